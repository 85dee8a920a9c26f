//! Sandboxes: the config a sandbox is run with, and a sandbox as `ListPodSandbox` and
//! `PodSandboxStatus` report it.
//!
//! Pods run in the node's network namespace whatever their spec says (no CNI plugin on the node): the
//! config always asks for the node's network, the mode the kubelet asked for is kept in
//! [`HOST_NETWORK_ANNOTATION`] and read back from it, and a pod-network sandbox is reported with
//! [`STAND_IN_POD_IP`].

use podsim_model::shared_str::SharedStr;
use std::collections::HashMap;

use k8s_cri::v1 as cri;
use podsim_model::io::{SandboxConfig, SandboxInfo};
use podsim_model::SandboxStatus;
use tonic::Status;

use super::pod::{pod_labels, pod_of_labels, pod_of_metadata, sandbox_metadata};
use super::state::{cri_sandbox_state, sandbox_state};
use super::time::{cri_nanos, model_millis};
use super::RunContext;
use crate::labels;

/// podsim's annotation of the network mode the kubelet asked a sandbox for.
pub const HOST_NETWORK_ANNOTATION: &str = "podsim.host-network";
/// The IP reported for a sandbox that asked for a pod network (it runs in the node's).
pub const STAND_IN_POD_IP: &str = "127.0.0.1";

/// What the CRI carries about a sandbox that the model does not keep: its metadata, labels and
/// annotations as sent (a server keeps them to report them back).
#[derive(Clone, Debug, PartialEq)]
pub struct SandboxMeta {
    /// The metadata as sent.
    pub metadata: cri::PodSandboxMetadata,
    /// The labels as sent.
    pub labels: HashMap<String, String>,
    /// The annotations as sent.
    pub annotations: HashMap<String, String>,
}

/// model -> CRI: the `PodSandboxConfig` the client sends for the model's sandbox config: the kubelet's
/// pod labels and the run's label, the asked network mode in an annotation, a log folder of its own
/// under the run's, the run's cgroup parent, the node's network and a pid namespace of its own.
pub fn cri_sandbox_config(config: &SandboxConfig, run: &RunContext) -> cri::PodSandboxConfig {
    let pod = &config.pod;
    let mut labels = pod_labels(pod);
    labels.insert(labels::RUN_ID.into(), run.run_id.clone());
    let annotations = HashMap::from([(HOST_NETWORK_ANNOTATION.to_string(), config.host_network.to_string())]);
    let log_directory = run
        .log_root
        .join(format!("{}_{}_{}", pod.namespace, pod.name, pod.uid))
        .to_string_lossy()
        .into_owned();
    cri::PodSandboxConfig {
        metadata: Some(sandbox_metadata(pod, config.attempt)),
        // The sandbox shares the node's UTS namespace (host network): no hostname of its own.
        hostname: String::new(),
        log_directory,
        labels,
        annotations,
        linux: Some(cri::LinuxPodSandboxConfig {
            cgroup_parent: run.cgroup_parent.clone(),
            security_context: Some(cri::LinuxSandboxSecurityContext {
                namespace_options: Some(node_network()),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The namespaces of podsim's sandboxes and containers: the node's network, a pid namespace of the
/// container's own.
pub(super) fn node_network() -> cri::NamespaceOption {
    cri::NamespaceOption {
        network: cri::NamespaceMode::Node as i32,
        pid: cri::NamespaceMode::Container as i32,
        ..Default::default()
    }
}

/// CRI -> model: the model's sandbox config of a `PodSandboxConfig` (what a server runs), and what
/// the CRI carries beside it. The pod is the one of the kubelet's labels, else of the metadata; the
/// network is the node's if the config asks for it. Metadata is required.
pub fn sandbox_config_of(config: cri::PodSandboxConfig) -> Result<(SandboxConfig, SandboxMeta), Status> {
    let Some(metadata) = config.metadata.clone() else {
        return Err(Status::invalid_argument("sandbox config must include metadata"));
    };
    let model = SandboxConfig {
        pod: pod_of_labels(&config.labels).unwrap_or_else(|| pod_of_metadata(&metadata)),
        attempt: metadata.attempt,
        host_network: is_host_network(&config),
    };
    Ok((model, SandboxMeta { metadata, labels: config.labels, annotations: config.annotations }))
}

/// Whether the sandbox is asked to share the node's network namespace
/// (`linux.security_context.namespace_options.network == NODE`).
fn is_host_network(config: &cri::PodSandboxConfig) -> bool {
    let network = config
        .linux
        .as_ref()
        .and_then(|linux| linux.security_context.as_ref())
        .and_then(|context| context.namespace_options.as_ref())
        .map(|options| options.network);
    network == Some(cri::NamespaceMode::Node as i32)
}

/// model -> CRI: a sandbox as `ListPodSandbox` reports it, with what it was created with (`None`:
/// not created through the CRI, so no metadata, labels or annotations).
pub fn cri_sandbox(
    status: &SandboxStatus,
    meta: Option<&SandboxMeta>,
    origin_unix_nanos: i64,
) -> cri::PodSandbox {
    cri::PodSandbox {
        id: status.id.to_string(),
        metadata: meta.map(|m| m.metadata.clone()),
        state: cri_sandbox_state(status.state) as i32,
        created_at: cri_nanos(status.created_at, origin_unix_nanos),
        labels: meta.map(|m| m.labels.clone()).unwrap_or_default(),
        annotations: meta.map(|m| m.annotations.clone()).unwrap_or_default(),
        runtime_handler: String::new(),
    }
}

/// model -> CRI: a sandbox as `PodSandboxStatus` reports it: as listed, with its IP and network mode.
pub fn cri_sandbox_status(
    status: &SandboxStatus,
    meta: Option<&SandboxMeta>,
    origin_unix_nanos: i64,
) -> cri::PodSandboxStatus {
    let sandbox = cri_sandbox(status, meta, origin_unix_nanos);
    let network_mode = if status.host_network { cri::NamespaceMode::Node } else { cri::NamespaceMode::Pod };
    let options = cri::NamespaceOption { network: network_mode as i32, ..Default::default() };
    cri::PodSandboxStatus {
        id: sandbox.id,
        metadata: sandbox.metadata,
        state: sandbox.state,
        created_at: sandbox.created_at,
        network: Some(cri::PodSandboxNetworkStatus { ip: status.ip.to_string(), additional_ips: Vec::new() }),
        linux: Some(cri::LinuxPodSandboxStatus {
            namespaces: Some(cri::Namespace { options: Some(options) }),
        }),
        labels: sandbox.labels,
        annotations: sandbox.annotations,
        runtime_handler: sandbox.runtime_handler,
    }
}

/// CRI -> model: the model's view of a listed sandbox (what the client reads): its pod from the
/// kubelet's labels, the network mode the kubelet asked for from [`HOST_NETWORK_ANNOTATION`], and
/// [`STAND_IN_POD_IP`] for a pod network.
pub fn sandbox_info(sandbox: &cri::PodSandbox, origin_unix_nanos: i64) -> SandboxInfo {
    let meta = sandbox.metadata.clone().unwrap_or_default();
    let host_network = sandbox.annotations.get(HOST_NETWORK_ANNOTATION).is_some_and(|v| v == "true");
    SandboxInfo {
        pod: pod_of_labels(&sandbox.labels),
        status: SandboxStatus {
            id: sandbox.id.as_str().into(),
            state: sandbox_state(sandbox.state),
            attempt: meta.attempt,
            ip: if host_network { SharedStr::EMPTY } else { SharedStr::from_static(STAND_IN_POD_IP) },
            host_network,
            created_at: model_millis(sandbox.created_at, origin_unix_nanos),
        },
    }
}

#[cfg(test)]
mod tests {
    use podsim_model::SandboxState;

    use super::*;
    use crate::convert::fixtures::{pod, run};

    fn config(host_network: bool) -> SandboxConfig {
        SandboxConfig { pod: pod(), attempt: 2, host_network }
    }

    /// The sandbox the kubelet asked for, as the runtime reports it once run.
    fn status(state: SandboxState, host_network: bool) -> SandboxStatus {
        SandboxStatus {
            id: "sandbox-1".into(),
            state,
            attempt: 2,
            ip: if host_network { SharedStr::EMPTY } else { STAND_IN_POD_IP.into() },
            host_network,
            created_at: 1_234,
        }
    }

    /// A config read back by a server is the one sent, but for the network: the node's, always.
    #[test]
    fn a_config_comes_back_the_same_in_the_nodes_network() {
        for host_network in [true, false] {
            let (read, meta) = sandbox_config_of(cri_sandbox_config(&config(host_network), &run())).unwrap();
            assert_eq!(read, SandboxConfig { host_network: true, ..config(host_network) });
            assert_eq!(meta.annotations[HOST_NETWORK_ANNOTATION], host_network.to_string());
            assert_eq!(meta.labels[labels::RUN_ID], "run-1");
            assert_eq!(meta.metadata, sandbox_metadata(&pod(), 2));
        }
    }

    #[test]
    fn a_config_goes_under_the_runs_log_folder_and_cgroup() {
        let sent = cri_sandbox_config(&config(false), &run());
        assert_eq!(sent.log_directory, "/tmp/podsim/run-1/logs/default_web_uid-1");
        let linux = sent.linux.unwrap();
        assert_eq!(linux.cgroup_parent, "/podsim-run-1");
        assert_eq!(linux.security_context.unwrap().namespace_options, Some(node_network()));
    }

    #[test]
    fn a_config_without_labels_names_the_pod_of_its_metadata_and_one_without_metadata_is_refused() {
        let mut sent = cri_sandbox_config(&config(true), &run());
        sent.labels.clear();
        assert_eq!(sandbox_config_of(sent.clone()).unwrap().0.pod, pod());
        sent.metadata = None;
        assert_eq!(sandbox_config_of(sent).unwrap_err().code(), tonic::Code::InvalidArgument);
    }

    #[test]
    fn a_config_without_the_node_network_is_a_pod_network() {
        let mut sent = cri_sandbox_config(&config(true), &run());
        sent.linux = None;
        assert!(!sandbox_config_of(sent).unwrap().0.host_network);
    }

    /// Every state and network mode: a sandbox listed by a server reads back as the model's.
    #[test]
    fn a_listed_sandbox_comes_back_the_same() {
        let origin = run().clock_origin_unix_nanos;
        for state in [SandboxState::Ready, SandboxState::NotReady] {
            for host_network in [true, false] {
                let (_, meta) = sandbox_config_of(cri_sandbox_config(&config(host_network), &run())).unwrap();
                let status = status(state, host_network);
                let listed = cri_sandbox(&status, Some(&meta), origin);
                assert_eq!(sandbox_info(&listed, origin), SandboxInfo { pod: Some(pod()), status });
            }
        }
    }

    #[test]
    fn a_sandbox_not_created_through_the_cri_has_no_pod() {
        let status = status(SandboxState::Ready, true);
        let read = sandbox_info(&cri_sandbox(&status, None, 0), 0);
        assert_eq!(read.pod, None);
        assert_eq!((read.status.attempt, read.status.host_network), (0, false));
    }

    #[test]
    fn a_sandbox_status_carries_the_listing_and_the_network() {
        let (_, meta) = sandbox_config_of(cri_sandbox_config(&config(false), &run())).unwrap();
        let model = SandboxStatus { ip: "10.0.0.7".into(), ..status(SandboxState::NotReady, false) };
        let reported = cri_sandbox_status(&model, Some(&meta), 0);
        let listed = cri_sandbox(&model, Some(&meta), 0);
        assert_eq!(
            (reported.id, reported.metadata, reported.state, reported.created_at, reported.labels),
            (listed.id, listed.metadata, listed.state, listed.created_at, listed.labels)
        );
        assert_eq!(reported.network.unwrap().ip, "10.0.0.7");
        let options = reported.linux.unwrap().namespaces.unwrap().options.unwrap();
        assert_eq!(options.network, cri::NamespaceMode::Pod as i32);
    }
}
