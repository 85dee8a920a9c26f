//! A CRI call's request and reply where they carry only ids (and a grace period, or an image), and the
//! list requests: each model request and the CRI request it is sent as, both ways.
//! (The requests that carry a config are built from [`super::sandbox`] and [`super::container`].)

use k8s_cri::v1 as cri;
use podsim_model::io::{CriError, CriReply, CriRequest, ExecResult};

use super::image::{image_of_spec, image_spec};
use super::pod::label_selector;

/// model -> CRI: `StopPodSandbox`.
pub fn stop_pod_sandbox(sandbox_id: &str) -> cri::StopPodSandboxRequest {
    cri::StopPodSandboxRequest { pod_sandbox_id: sandbox_id.to_string() }
}

/// CRI -> model: `StopPodSandbox`.
pub fn stop_pod_sandbox_of(request: cri::StopPodSandboxRequest) -> CriRequest {
    CriRequest::StopPodSandbox { sandbox_id: request.pod_sandbox_id.into() }
}

/// model -> CRI: `RemovePodSandbox`.
pub fn remove_pod_sandbox(sandbox_id: &str) -> cri::RemovePodSandboxRequest {
    cri::RemovePodSandboxRequest { pod_sandbox_id: sandbox_id.to_string() }
}

/// CRI -> model: `RemovePodSandbox`.
pub fn remove_pod_sandbox_of(request: cri::RemovePodSandboxRequest) -> CriRequest {
    CriRequest::RemovePodSandbox { sandbox_id: request.pod_sandbox_id.into() }
}

/// model -> CRI: `StartContainer`.
pub fn start_container(container_id: &str) -> cri::StartContainerRequest {
    cri::StartContainerRequest { container_id: container_id.to_string() }
}

/// CRI -> model: `StartContainer`.
pub fn start_container_of(request: cri::StartContainerRequest) -> CriRequest {
    CriRequest::StartContainer { container_id: request.container_id.into() }
}

/// model -> CRI: `StopContainer` with its grace period in seconds.
pub fn stop_container(container_id: &str, timeout_seconds: i64) -> cri::StopContainerRequest {
    cri::StopContainerRequest { container_id: container_id.to_string(), timeout: timeout_seconds }
}

/// CRI -> model: `StopContainer`.
pub fn stop_container_of(request: cri::StopContainerRequest) -> CriRequest {
    CriRequest::StopContainer { container_id: request.container_id.into(), timeout_seconds: request.timeout }
}

/// model -> CRI: `RemoveContainer`.
pub fn remove_container(container_id: &str) -> cri::RemoveContainerRequest {
    cri::RemoveContainerRequest { container_id: container_id.to_string() }
}

/// CRI -> model: `RemoveContainer`.
pub fn remove_container_of(request: cri::RemoveContainerRequest) -> CriRequest {
    CriRequest::RemoveContainer { container_id: request.container_id.into() }
}

/// model -> CRI: `ExecSync` of `cmd` with its timeout in seconds.
pub fn exec_sync(container_id: &str, cmd: &[String], timeout_seconds: i64) -> cri::ExecSyncRequest {
    cri::ExecSyncRequest {
        container_id: container_id.to_string(),
        cmd: cmd.to_vec(),
        timeout: timeout_seconds,
    }
}

/// CRI -> model: `ExecSync`.
pub fn exec_sync_of(request: cri::ExecSyncRequest) -> CriRequest {
    CriRequest::ExecSync {
        container_id: request.container_id.into(),
        cmd: request.cmd,
        timeout_seconds: request.timeout,
    }
}

/// CRI -> model: the model's reply to `ExecSync`: the exit code, or a timeout for `DeadlineExceeded`
/// (the kubelet's CRI client turns that code into `exec.NewTimeoutError`, remote_runtime.go
/// `ExecSync`); any other error stays an error.
pub fn exec_result_of(result: Result<cri::ExecSyncResponse, CriError>) -> CriReply {
    match result {
        Ok(response) => CriReply::Exec(ExecResult::exited(response.exit_code)),
        Err(CriError::DeadlineExceeded) => CriReply::Exec(ExecResult::timed_out()),
        Err(e) => CriReply::Err(e),
    }
}

/// model -> CRI: `ExecSync`'s answer (a timeout is `DeadlineExceeded`, as containerd answers it).
pub fn exec_sync_response(reply: CriReply) -> Result<cri::ExecSyncResponse, CriError> {
    match reply {
        CriReply::Exec(r) if r.timed_out => Err(CriError::DeadlineExceeded),
        CriReply::Exec(r) => Ok(cri::ExecSyncResponse { exit_code: r.exit_code, ..Default::default() }),
        CriReply::Err(e) => Err(e),
        other => Err(CriError::Failed(format!("unexpected reply to ExecSync: {other:?}"))),
    }
}

/// model -> CRI: `ImageStatus` (not verbose).
pub fn image_status(image: &str) -> cri::ImageStatusRequest {
    cri::ImageStatusRequest { image: Some(image_spec(image)), verbose: false }
}

/// model -> CRI: `PullImage`.
pub fn pull_image(image: &str) -> cri::PullImageRequest {
    cri::PullImageRequest { image: Some(image_spec(image)), ..Default::default() }
}

/// CRI -> model: `PullImage`.
pub fn pull_image_of(request: cri::PullImageRequest) -> CriRequest {
    CriRequest::PullImage { image: image_of_spec(request.image).into() }
}

/// model -> CRI: `ListPodSandbox` of the run's sandboxes (of one pod's when `pod_uid` is given), as a
/// label selector (a server reads it with [`super::pod::labels_match`]).
pub fn list_pod_sandbox(run_id: &str, pod_uid: Option<&str>) -> cri::ListPodSandboxRequest {
    let label_selector = label_selector(run_id, pod_uid);
    cri::ListPodSandboxRequest {
        filter: Some(cri::PodSandboxFilter { label_selector, ..Default::default() }),
    }
}

/// model -> CRI: `ListContainers` of the run's containers (of one pod's when `pod_uid` is given), as
/// a label selector (a server reads it with [`super::pod::labels_match`]).
pub fn list_containers(run_id: &str, pod_uid: Option<&str>) -> cri::ListContainersRequest {
    let label_selector = label_selector(run_id, pod_uid);
    cri::ListContainersRequest { filter: Some(cri::ContainerFilter { label_selector, ..Default::default() }) }
}

/// CRI -> model: the model's reply to `RunPodSandbox`.
pub fn sandbox_created(response: cri::RunPodSandboxResponse) -> CriReply {
    CriReply::SandboxCreated { sandbox_id: response.pod_sandbox_id.into() }
}

/// model -> CRI: `RunPodSandbox`'s answer.
pub fn run_pod_sandbox_response(sandbox_id: String) -> cri::RunPodSandboxResponse {
    cri::RunPodSandboxResponse { pod_sandbox_id: sandbox_id }
}

/// CRI -> model: the model's reply to `CreateContainer`.
pub fn container_created(response: cri::CreateContainerResponse) -> CriReply {
    CriReply::ContainerCreated { container_id: response.container_id.into() }
}

/// model -> CRI: `CreateContainer`'s answer.
pub fn create_container_response(container_id: String) -> cri::CreateContainerResponse {
    cri::CreateContainerResponse { container_id }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use podsim_model::io::{ContainerConfig, SandboxConfig};
    use podsim_model::ContainerKind;

    use super::*;
    use crate::convert::container::{container_config_of, cri_container_config};
    use crate::convert::fixtures::{pod, run};
    use crate::convert::pod::{labels_match, pod_labels};
    use crate::convert::sandbox::{cri_sandbox_config, sandbox_config_of};
    use crate::labels;

    /// One of every model request (the lists: of the whole run and of one pod).
    fn every_request() -> Vec<CriRequest> {
        let container = ContainerConfig {
            pod: pod(),
            name: "app".into(),
            kind: ContainerKind::Init,
            image: "img:1".into(),
            command: vec!["/workload".into()],
            args: Vec::new(),
            hash: 0xabc,
            restart_count: 1,
            attempt: 1,
            resources: Some(podsim_model::linux_resources::LinuxContainerResources {
                cpu_period: 100_000,
                cpu_quota: 20_000,
                cpu_shares: 102,
                memory_limit_in_bytes: 1 << 26,
            }),
        };
        vec![
            CriRequest::ListPodSandbox { pod_uid: None },
            CriRequest::ListPodSandbox { pod_uid: Some("uid-1".into()) },
            CriRequest::ListContainers { pod_uid: None },
            CriRequest::ListContainers { pod_uid: Some("uid-1".into()) },
            CriRequest::RunPodSandbox {
                config: SandboxConfig { pod: pod(), attempt: 1, host_network: true },
            },
            CriRequest::StopPodSandbox { sandbox_id: "s1".into() },
            CriRequest::RemovePodSandbox { sandbox_id: "s1".into() },
            CriRequest::ImageStatus { image: "img:1".into() },
            CriRequest::PullImage { image: "img:1".into() },
            CriRequest::UpdateContainerResources {
                container_id: "c1".into(),
                resources: container.resources.unwrap_or_default(),
            },
            CriRequest::CreateContainer { sandbox_id: "s1".into(), config: container },
            CriRequest::StartContainer { container_id: "c1".into() },
            CriRequest::StopContainer { container_id: "c1".into(), timeout_seconds: 30 },
            CriRequest::StopContainer { container_id: "c1".into(), timeout_seconds: 0 },
            CriRequest::RemoveContainer { container_id: "c1".into() },
            CriRequest::ExecSync {
                container_id: "c1".into(),
                cmd: vec!["workload".into(), "check".into(), "live".into()],
                timeout_seconds: 1,
            },
        ]
    }

    /// Whether a list request, sent as the CRI's, selects exactly the objects of the run (and of the
    /// pod it names): the objects of the pod, of another pod, and of another run.
    fn selects_as_asked(selector: &HashMap<String, String>, pod_uid: Option<&str>) -> bool {
        let mut ours = pod_labels(&pod());
        ours.insert(labels::RUN_ID.into(), run().run_id);
        let mut other_pod = ours.clone();
        other_pod.insert(labels::POD_UID.into(), "uid-2".into());
        let mut other_run = ours.clone();
        other_run.insert(labels::RUN_ID.into(), "run-2".into());
        labels_match(&ours, selector)
            && labels_match(&other_pod, selector) == pod_uid.is_none()
            && !labels_match(&other_run, selector)
    }

    /// A model request sent as the CRI's and read back as a server reads it (a list: whether its
    /// selector selects as asked).
    fn comes_back_the_same(request: &CriRequest) -> bool {
        let read = match request {
            CriRequest::ListPodSandbox { pod_uid } => {
                let filter = list_pod_sandbox(&run().run_id, pod_uid.as_deref()).filter.unwrap();
                return selects_as_asked(&filter.label_selector, pod_uid.as_deref());
            }
            CriRequest::ListContainers { pod_uid } => {
                let filter = list_containers(&run().run_id, pod_uid.as_deref()).filter.unwrap();
                return selects_as_asked(&filter.label_selector, pod_uid.as_deref());
            }
            CriRequest::RunPodSandbox { config } => {
                let (read, _) = sandbox_config_of(cri_sandbox_config(config, &run())).unwrap();
                CriRequest::RunPodSandbox { config: read }
            }
            CriRequest::CreateContainer { sandbox_id, config } => {
                let (read, _) =
                    container_config_of(&cri_container_config(config, &run().run_id), pod()).unwrap();
                CriRequest::CreateContainer { sandbox_id: sandbox_id.clone(), config: read }
            }
            CriRequest::StopPodSandbox { sandbox_id } => stop_pod_sandbox_of(stop_pod_sandbox(sandbox_id)),
            CriRequest::RemovePodSandbox { sandbox_id } => {
                remove_pod_sandbox_of(remove_pod_sandbox(sandbox_id))
            }
            // A server resolves the reference (a name or an id) before it asks the runtime.
            CriRequest::ImageStatus { image } => {
                CriRequest::ImageStatus { image: image_of_spec(image_status(image).image).into() }
            }
            CriRequest::PullImage { image } => pull_image_of(pull_image(image)),
            CriRequest::StartContainer { container_id } => start_container_of(start_container(container_id)),
            CriRequest::StopContainer { container_id, timeout_seconds } => {
                stop_container_of(stop_container(container_id, *timeout_seconds))
            }
            CriRequest::RemoveContainer { container_id } => {
                remove_container_of(remove_container(container_id))
            }
            CriRequest::UpdateContainerResources { container_id, resources } => {
                use crate::convert::resources::{update_container_resources, update_container_resources_of};
                update_container_resources_of(update_container_resources(container_id, resources))
            }
            CriRequest::ExecSync { container_id, cmd, timeout_seconds } => {
                exec_sync_of(exec_sync(container_id, cmd, *timeout_seconds))
            }
        };
        read == *request
    }

    #[test]
    fn every_request_comes_back_the_same() {
        for request in every_request() {
            assert!(comes_back_the_same(&request), "{request:?}");
        }
    }

    /// An exec's exit code comes back as it is; a timeout is `DeadlineExceeded` on the wire, which
    /// the kubelet's CRI client reads as a timeout (remote_runtime.go `ExecSync`).
    #[test]
    fn exec_replies_come_back_the_same() {
        for reply in [
            CriReply::Exec(ExecResult::exited(0)),
            CriReply::Exec(ExecResult::exited(1)),
            CriReply::Exec(ExecResult::timed_out()),
            CriReply::Err(CriError::Failed("container is in CONTAINER_EXITED state".into())),
            CriReply::Err(CriError::NotFound),
        ] {
            assert_eq!(exec_result_of(exec_sync_response(reply.clone())), reply);
        }
    }

    #[test]
    fn the_replies_that_carry_an_id_come_back_the_same() {
        assert_eq!(
            sandbox_created(run_pod_sandbox_response("s1".into())),
            CriReply::SandboxCreated { sandbox_id: "s1".into() }
        );
        assert_eq!(
            container_created(create_container_response("c1".into())),
            CriReply::ContainerCreated { container_id: "c1".into() }
        );
    }
}
