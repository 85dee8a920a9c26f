//! Containers: the config a container is created with, and a container as `ListContainers` and
//! `ContainerStatus` report it, with the kubelet's labels and annotations read back (name, spec hash,
//! restart count).

use std::collections::HashMap;

use k8s_cri::v1 as cri;
use podsim_model::io::{ContainerConfig, PodRef};
use podsim_model::linux_resources::to_kube_container_resources;
use podsim_model::{ContainerState, ContainerStatus};
use tonic::Status;

use super::image::{image_id, image_of_spec, image_spec};
use super::pod::pod_labels;
use super::resources::{cri_linux_resources, linux_resources_of};
use super::sandbox::node_network;
use super::state::{container_kind, container_state, cri_container_state, kind_annotation};
use super::time::{cri_nanos, cri_nanos_if_set, model_millis, model_millis_if_set};
use crate::labels;

/// The exit reason containerd reports for an exit code 0 when the runtime gave none.
const COMPLETED_REASON: &str = "Completed";
/// The exit reason containerd reports for a non-zero exit code when the runtime gave none.
const ERROR_REASON: &str = "Error";

/// What the CRI carries about a container that the model does not keep: its metadata, image,
/// labels and annotations as sent (a server keeps them to report them back).
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerMeta {
    /// The metadata as sent.
    pub metadata: cri::ContainerMetadata,
    /// The image as sent.
    pub image: cri::ImageSpec,
    /// The labels as sent.
    pub labels: HashMap<String, String>,
    /// The annotations as sent.
    pub annotations: HashMap<String, String>,
}

impl ContainerMeta {
    /// What a container not created through the CRI is reported with: its name alone.
    pub fn of_status(status: &ContainerStatus) -> ContainerMeta {
        ContainerMeta {
            metadata: cri::ContainerMetadata { name: status.name.to_string(), attempt: 0 },
            image: image_spec(&status.image),
            labels: HashMap::new(),
            annotations: HashMap::new(),
        }
    }
}

/// model -> CRI: the `ContainerConfig` the client sends for the model's container config: the
/// kubelet's pod and container labels and the run's label, the spec hash (hex), restart count and
/// kind in annotations, a log file per attempt, the node's network and a pid namespace of its own.
pub fn cri_container_config(config: &ContainerConfig, run_id: &str) -> cri::ContainerConfig {
    let mut labels = pod_labels(&config.pod);
    labels.insert(labels::RUN_ID.into(), run_id.to_string());
    labels.insert(labels::CONTAINER_NAME.into(), config.name.to_string());
    let annotations = HashMap::from([
        (labels::CONTAINER_HASH.to_string(), podsim_model::format_hash(config.hash)),
        (labels::CONTAINER_RESTART_COUNT.to_string(), config.restart_count.to_string()),
        (labels::CONTAINER_KIND.to_string(), kind_annotation(config.kind).to_string()),
    ]);
    cri::ContainerConfig {
        metadata: Some(cri::ContainerMetadata { name: config.name.to_string(), attempt: config.attempt }),
        image: Some(image_spec(&config.image)),
        command: config.command.clone(),
        args: config.args.clone(),
        labels,
        annotations,
        log_path: format!("{}/{}.log", config.name, config.attempt),
        linux: Some(cri::LinuxContainerConfig {
            security_context: Some(cri::LinuxContainerSecurityContext {
                namespace_options: Some(node_network()),
                ..Default::default()
            }),
            resources: config.resources.as_ref().map(cri_linux_resources),
        }),
        ..Default::default()
    }
}

/// CRI -> model: the model's container config of a `ContainerConfig` in `pod` (what a server
/// creates), and what the CRI carries beside it. Metadata is required, and a kind annotation must
/// name a kind.
pub fn container_config_of(
    config: &cri::ContainerConfig,
    pod: PodRef,
) -> Result<(ContainerConfig, ContainerMeta), Status> {
    let Some(metadata) = config.metadata.clone() else {
        return Err(Status::invalid_argument("container config must include metadata"));
    };
    let image = config.image.clone().unwrap_or_default();
    let model = ContainerConfig {
        pod,
        name: metadata.name.as_str().into(),
        kind: container_kind(&config.annotations)?,
        image: image_of_spec(Some(image.clone())).into(),
        command: config.command.clone(),
        args: config.args.clone(),
        hash: annotation_hash(&config.annotations),
        restart_count: annotation_restart_count(&config.annotations),
        attempt: metadata.attempt,
        resources: config.linux.as_ref().and_then(|l| l.resources.as_ref()).map(linux_resources_of),
    };
    let meta = ContainerMeta {
        metadata,
        image,
        labels: config.labels.clone(),
        annotations: config.annotations.clone(),
    };
    Ok((model, meta))
}

/// model -> CRI: a container as `ListContainers` reports it, with what it was created with.
pub fn cri_container(
    status: &ContainerStatus,
    meta: &ContainerMeta,
    origin_unix_nanos: i64,
) -> cri::Container {
    cri::Container {
        id: status.id.to_string(),
        pod_sandbox_id: status.sandbox_id.to_string(),
        metadata: Some(meta.metadata.clone()),
        image: Some(meta.image.clone()),
        image_ref: image_id(&status.image),
        state: cri_container_state(status.state) as i32,
        created_at: cri_nanos(status.created_at, origin_unix_nanos),
        labels: meta.labels.clone(),
        annotations: meta.annotations.clone(),
        image_id: image_id(&status.image),
    }
}

/// model -> CRI: a container as `ContainerStatus` reports it, as containerd does (an exited
/// container without a reason gets `Completed` or `Error`, from its exit code).
pub fn cri_container_status(
    status: &ContainerStatus,
    meta: &ContainerMeta,
    origin_unix_nanos: i64,
) -> cri::ContainerStatus {
    cri::ContainerStatus {
        id: status.id.to_string(),
        metadata: Some(meta.metadata.clone()),
        state: cri_container_state(status.state) as i32,
        created_at: cri_nanos(status.created_at, origin_unix_nanos),
        started_at: cri_nanos_if_set(status.started_at, origin_unix_nanos),
        finished_at: cri_nanos_if_set(status.finished_at, origin_unix_nanos),
        exit_code: status.exit_code,
        image: Some(image_spec(&status.image)),
        image_ref: image_id(&status.image),
        reason: exit_reason(status),
        labels: meta.labels.clone(),
        annotations: meta.annotations.clone(),
        image_id: image_id(&status.image),
        ..Default::default()
    }
}

/// The reason containerd reports: the runtime's, else, once exited, `Completed` (code 0) or `Error`.
fn exit_reason(status: &ContainerStatus) -> String {
    match (status.state, status.reason.is_empty()) {
        (ContainerState::Exited, true) if status.exit_code == 0 => COMPLETED_REASON.to_string(),
        (ContainerState::Exited, true) => ERROR_REASON.to_string(),
        _ => status.reason.to_string(),
    }
}

/// CRI -> model: the model's status of a listed container and its `ContainerStatus` (what the client
/// reads): the name from the kubelet's label (else the metadata), the hash and restart count from
/// its annotations, the rest from the status.
pub fn container_status_of(
    container: &cri::Container,
    status: &cri::ContainerStatus,
    origin_unix_nanos: i64,
) -> ContainerStatus {
    let name = container
        .labels
        .get(labels::CONTAINER_NAME)
        .cloned()
        .or_else(|| container.metadata.as_ref().map(|m| m.name.clone()))
        .unwrap_or_default();
    ContainerStatus {
        id: container.id.as_str().into(),
        name: name.into(),
        state: container_state(status.state),
        exit_code: status.exit_code,
        reason: status.reason.as_str().into(),
        hash: annotation_hash(&container.annotations),
        restart_count: annotation_restart_count(&container.annotations),
        sandbox_id: container.pod_sandbox_id.as_str().into(),
        image: image_of_spec(container.image.clone()).into(),
        created_at: model_millis(status.created_at, origin_unix_nanos),
        started_at: model_millis_if_set(status.started_at, origin_unix_nanos),
        finished_at: model_millis_if_set(status.finished_at, origin_unix_nanos),
        resources: status
            .resources
            .as_ref()
            .and_then(|r| r.linux.as_ref())
            .map(|l| to_kube_container_resources(&linux_resources_of(l))),
    }
}

/// The spec hash the kubelet wrote (hex); 0 when missing or unreadable, as the kubelet reads it
/// (kuberuntime_labels.go `getContainerInfoFromAnnotations`).
fn annotation_hash(annotations: &HashMap<String, String>) -> u64 {
    annotations.get(labels::CONTAINER_HASH).and_then(|hex| podsim_model::parse_hash(hex)).unwrap_or(0)
}

/// The restart count the kubelet wrote; 0 when missing or unreadable, as the kubelet reads it
/// (kuberuntime_labels.go `getContainerInfoFromAnnotations`).
fn annotation_restart_count(annotations: &HashMap<String, String>) -> u32 {
    annotations.get(labels::CONTAINER_RESTART_COUNT).and_then(|count| count.parse().ok()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use podsim_model::ContainerKind;

    use super::*;
    use crate::convert::fixtures::{pod, run};

    fn config(kind: ContainerKind) -> ContainerConfig {
        ContainerConfig {
            pod: pod(),
            name: "app".into(),
            kind,
            image: "podsim.local/workload:test".into(),
            command: vec!["/workload".into(), "run".into()],
            args: vec!["--for".into(), "5s".into()],
            hash: 0xdead_beef_0123_4567,
            restart_count: 3,
            attempt: 3,
            resources: None,
        }
    }

    /// The container created from [`config`], as the runtime reports it.
    fn status(state: ContainerState, exit_code: i32, reason: &str) -> ContainerStatus {
        let exited = state == ContainerState::Exited;
        let started = matches!(state, ContainerState::Running | ContainerState::Exited);
        ContainerStatus {
            id: "container-1".into(),
            name: "app".into(),
            state,
            exit_code,
            reason: reason.into(),
            hash: 0xdead_beef_0123_4567,
            restart_count: 3,
            sandbox_id: "sandbox-1".into(),
            image: "podsim.local/workload:test".into(),
            created_at: 1_000,
            started_at: started.then_some(1_250),
            finished_at: exited.then_some(9_999),
            resources: None,
        }
    }

    fn sent_meta() -> ContainerMeta {
        container_config_of(&cri_container_config(&config(ContainerKind::Regular), "run-1"), pod()).unwrap().1
    }

    /// The client's status read of what a server reports.
    fn round_trip(status: &ContainerStatus, meta: &ContainerMeta) -> ContainerStatus {
        let origin = run().clock_origin_unix_nanos;
        container_status_of(
            &cri_container(status, meta, origin),
            &cri_container_status(status, meta, origin),
            origin,
        )
    }

    #[test]
    fn a_config_comes_back_the_same_for_every_kind() {
        for kind in [ContainerKind::Init, ContainerKind::Regular, ContainerKind::Ephemeral] {
            let sent = cri_container_config(&config(kind), "run-1");
            let (read, meta) = container_config_of(&sent, pod()).unwrap();
            assert_eq!(read, config(kind));
            assert_eq!(meta.labels[labels::RUN_ID], "run-1");
            assert_eq!(meta.labels[labels::CONTAINER_NAME], "app");
        }
    }

    #[test]
    fn a_config_logs_per_attempt_in_the_nodes_network() {
        let sent = cri_container_config(&config(ContainerKind::Init), "run-1");
        assert_eq!(sent.log_path, "app/3.log");
        let options = sent.linux.unwrap().security_context.unwrap().namespace_options.unwrap();
        assert_eq!((options.network, options.pid), (2, 1), "NamespaceMode NODE and CONTAINER");
    }

    #[test]
    fn a_config_without_metadata_or_with_an_unknown_kind_is_refused() {
        let mut sent = cri_container_config(&config(ContainerKind::Regular), "run-1");
        sent.annotations.insert(labels::CONTAINER_KIND.into(), "sidecar".into());
        assert_eq!(container_config_of(&sent, pod()).unwrap_err().code(), tonic::Code::InvalidArgument);
        sent.metadata = None;
        assert_eq!(container_config_of(&sent, pod()).unwrap_err().code(), tonic::Code::InvalidArgument);
    }

    /// Unreadable or missing annotations read as 0, as the kubelet reads them.
    #[test]
    fn a_config_without_readable_annotations_has_hash_and_restart_count_zero() {
        let mut sent = cri_container_config(&config(ContainerKind::Regular), "run-1");
        sent.annotations.insert(labels::CONTAINER_HASH.into(), "not-hex".into());
        sent.annotations.remove(labels::CONTAINER_RESTART_COUNT);
        let (read, _) = container_config_of(&sent, pod()).unwrap();
        assert_eq!((read.hash, read.restart_count), (0, 0));
    }

    /// Every state, with exit codes and reasons: a container a server reports reads back as the
    /// model's.
    #[test]
    fn a_listed_container_comes_back_the_same_in_every_state() {
        let meta = sent_meta();
        for status in [
            status(ContainerState::Created, 0, ""),
            status(ContainerState::Running, 0, ""),
            status(ContainerState::Exited, 0, "Completed"),
            status(ContainerState::Exited, 1, "Error"),
            status(ContainerState::Exited, 137, "OOMKilled"),
            status(ContainerState::Exited, -1, "Error"),
            status(ContainerState::Unknown, 0, ""),
        ] {
            assert_eq!(round_trip(&status, &meta), status);
        }
    }

    /// containerd fills in the reason of an exit that has none: the one place a status changes.
    #[test]
    fn an_exit_without_a_reason_reads_back_completed_or_error() {
        let meta = sent_meta();
        let completed = status(ContainerState::Exited, 0, "");
        assert_eq!(round_trip(&completed, &meta).reason, COMPLETED_REASON);
        let failed = status(ContainerState::Exited, 2, "");
        assert_eq!(round_trip(&failed, &meta).reason, ERROR_REASON);
        let running = status(ContainerState::Running, 0, "");
        assert_eq!(round_trip(&running, &meta).reason, "");
    }

    /// Without the kubelet's label and annotations (not created through the CRI), the name comes from
    /// the metadata and the hash and restart count are 0.
    #[test]
    fn a_container_not_created_through_the_cri_keeps_its_name_only() {
        let model = status(ContainerState::Running, 0, "");
        let read = round_trip(&model, &ContainerMeta::of_status(&model));
        assert_eq!(read, ContainerStatus { hash: 0, restart_count: 0, ..model });
    }
}
