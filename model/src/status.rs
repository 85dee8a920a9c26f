//! The pod status the kubelet reports to the API server: container states with the kubelet's reasons,
//! restart counts, and the pod phase (kubelet `convertToAPIContainerStatuses` and `getPhase`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::pod::{Container, Pod, RestartPolicy};
use crate::runtime::{ContainerState, ContainerStatus, Millis, RuntimePodStatus};

/// `pod.status.phase`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PodPhase {
    /// Accepted, but not every container has started (images, init containers, config).
    Pending,
    /// Bound and initialised; at least one container runs or is restarting.
    Running,
    /// Every container exited 0 and none will restart.
    Succeeded,
    /// Every container exited and at least one failed, and none will restart.
    Failed,
}

impl PodPhase {
    /// Succeeded or Failed: the kubelet will never run this pod's containers again.
    pub fn is_terminal(self) -> bool {
        matches!(self, PodPhase::Succeeded | PodPhase::Failed)
    }
}

/// Why a container waits: the kubelet's reasons.
pub mod reason {
    /// No runtime container yet: the sandbox or the container is being made.
    pub const CONTAINER_CREATING: &str = "ContainerCreating";
    /// A regular container waiting for the init containers.
    pub const POD_INITIALIZING: &str = "PodInitializing";
    /// The container's config (a Secret or ConfigMap it reads) is missing.
    pub const CREATE_CONTAINER_CONFIG_ERROR: &str = "CreateContainerConfigError";
    /// The last image pull failed.
    pub const ERR_IMAGE_PULL: &str = "ErrImagePull";
    /// The image pull is backing off.
    pub const IMAGE_PULL_BACK_OFF: &str = "ImagePullBackOff";
    /// imagePullPolicy Never and the image is not on the node.
    pub const ERR_IMAGE_NEVER_PULL: &str = "ErrImageNeverPull";
    /// The container keeps exiting and its restart is backing off.
    pub const CRASH_LOOP_BACK_OFF: &str = "CrashLoopBackOff";
    /// CreateContainer or StartContainer failed in the runtime.
    pub const RUN_CONTAINER_ERROR: &str = "RunContainerError";
    /// Exited with code 0.
    pub const COMPLETED: &str = "Completed";
    /// Exited with a non-zero code.
    pub const ERROR: &str = "Error";
    /// Killed by the kernel for exceeding its memory limit.
    pub const OOM_KILLED: &str = "OOMKilled";
    /// The runtime lost track of the container.
    pub const CONTAINER_STATUS_UNKNOWN: &str = "ContainerStatusUnknown";
}

/// `containerStatus.state` (and `lastState`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ContainerStateReport {
    /// Not running; `reason` says why.
    Waiting {
        /// One of [`reason`].
        reason: String,
    },
    /// Running since `started_at`.
    Running {
        /// When it started.
        started_at: Millis,
    },
    /// Exited.
    Terminated {
        /// The exit code.
        exit_code: i32,
        /// Completed, Error, OOMKilled, ContainerStatusUnknown.
        reason: String,
    },
}

/// One entry of `status.containerStatuses` (or init/ephemeral).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatusReport {
    /// The container's name.
    pub name: String,
    /// Its state now.
    pub state: ContainerStateReport,
    /// The state of its previous instance, if it exited.
    pub last_state: Option<ContainerStateReport>,
    /// How often it was restarted.
    pub restart_count: u32,
    /// The runtime container id ("" if none).
    pub container_id: String,
}

/// The `status` the kubelet writes for a pod.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatusReport {
    /// The phase.
    pub phase: PodPhase,
    /// The pod IP ("" if none).
    pub pod_ip: String,
    /// Init containers, in spec order.
    pub init_container_statuses: Vec<ContainerStatusReport>,
    /// Regular containers, in spec order.
    pub container_statuses: Vec<ContainerStatusReport>,
    /// Ephemeral containers, in spec order.
    pub ephemeral_container_statuses: Vec<ContainerStatusReport>,
}

impl PodStatusReport {
    /// The report of the container with this name, of any kind.
    pub fn container(&self, name: &str) -> Option<&ContainerStatusReport> {
        self.init_container_statuses
            .iter()
            .chain(&self.container_statuses)
            .chain(&self.ephemeral_container_statuses)
            .find(|c| c.name == name)
    }
}

fn terminated(status: &ContainerStatus) -> ContainerStateReport {
    if status.state == ContainerState::Unknown {
        return ContainerStateReport::Terminated {
            exit_code: 137,
            reason: reason::CONTAINER_STATUS_UNKNOWN.to_string(),
        };
    }
    let reason = if !status.reason.is_empty() {
        status.reason.clone()
    } else if status.exit_code == 0 {
        reason::COMPLETED.to_string()
    } else {
        reason::ERROR.to_string()
    };
    ContainerStateReport::Terminated { exit_code: status.exit_code, reason }
}

/// The report for one container: its newest runtime instance, the one before it, and the reason the
/// last start attempt failed (the kubelet's reason cache), if any.
fn container_report(
    container: &Container,
    runtime: &RuntimePodStatus,
    start_failure: Option<&str>,
    default_waiting: &str,
) -> ContainerStatusReport {
    let mut instances = runtime.containers.iter().filter(|c| c.name == container.name());
    let newest = instances.next();
    let previous = instances.next();
    let waiting = |r: &str| ContainerStateReport::Waiting { reason: r.to_string() };
    let (state, last_state) = match newest {
        None => (waiting(start_failure.unwrap_or(default_waiting)), None),
        Some(c) => match c.state {
            ContainerState::Running => (
                ContainerStateReport::Running { started_at: c.started_at.unwrap_or(c.created_at) },
                previous.map(terminated),
            ),
            ContainerState::Created => {
                (waiting(start_failure.unwrap_or(reason::CONTAINER_CREATING)), previous.map(terminated))
            }
            ContainerState::Exited | ContainerState::Unknown => match start_failure {
                // The kubelet tried to start it again and could not (backoff, image, config).
                Some(r) => (waiting(r), Some(terminated(c))),
                None => (terminated(c), previous.map(terminated)),
            },
        },
    };
    ContainerStatusReport {
        name: container.name().to_string(),
        state,
        last_state,
        restart_count: newest.map_or(0, |c| c.restart_count),
        container_id: newest.map_or(String::new(), |c| c.id.clone()),
    }
}

/// The kubelet's status for `pod` from what the runtime holds and why starts failed (container name →
/// reason), as `generateAPIPodStatus` computes it.
pub fn pod_status_report(
    pod: &Pod,
    runtime: &RuntimePodStatus,
    start_failures: &BTreeMap<String, String>,
) -> PodStatusReport {
    let failure = |c: &Container| start_failures.get(c.name()).map(String::as_str);
    let init_container_statuses: Vec<ContainerStatusReport> = pod
        .spec
        .init_containers
        .iter()
        .map(|c| container_report(c, runtime, failure(c), reason::POD_INITIALIZING))
        .collect();
    let initialized = is_initialized(pod, runtime);
    let regular_default = if initialized { reason::CONTAINER_CREATING } else { reason::POD_INITIALIZING };
    let container_statuses: Vec<ContainerStatusReport> = pod
        .spec
        .containers
        .iter()
        .map(|c| container_report(c, runtime, failure(c), regular_default))
        .collect();
    let ephemeral_container_statuses = pod
        .spec
        .ephemeral_containers
        .iter()
        .map(|c| container_report(c, runtime, failure(c), reason::CONTAINER_CREATING))
        .collect();
    let pod_ip = runtime
        .sandboxes
        .first()
        .filter(|s| s.state == crate::runtime::SandboxState::Ready)
        .map_or(String::new(), |s| s.ip.clone());
    let phase = get_phase(pod, &init_container_statuses, &container_statuses, initialized);
    PodStatusReport {
        phase,
        pod_ip,
        init_container_statuses,
        container_statuses,
        ephemeral_container_statuses,
    }
}

/// Whether initialisation is done: every plain init container has completed (sidecars need only have
/// started), or a regular container already exists.
fn is_initialized(pod: &Pod, runtime: &RuntimePodStatus) -> bool {
    let any_regular =
        pod.spec.containers.iter().any(|c| runtime.find_container_status_by_name(c.name()).is_some());
    if any_regular {
        return true;
    }
    pod.spec.init_containers.iter().all(|c| match runtime.find_container_status_by_name(c.name()) {
        None => false,
        Some(s) if c.is_restartable_init_container() => s.state == ContainerState::Running,
        Some(s) => s.state == ContainerState::Exited && s.exit_code == 0 && s.reason != reason::OOM_KILLED,
    })
}

/// `getPhase`.
fn get_phase(
    pod: &Pod,
    init: &[ContainerStatusReport],
    regular: &[ContainerStatusReport],
    initialized: bool,
) -> PodPhase {
    let policy = pod.spec.restart_policy;
    if !initialized {
        // A plain init container that failed under Never fails the pod; otherwise it waits.
        let failed_init = pod.spec.init_containers.iter().zip(init).any(|(c, r)| {
            !c.is_restartable_init_container()
                && match (&r.state, &r.last_state) {
                    (ContainerStateReport::Terminated { exit_code, reason }, _) => {
                        *exit_code != 0 || reason == reason::OOM_KILLED
                    }
                    _ => false,
                }
        });
        return if failed_init && policy == RestartPolicy::Never {
            PodPhase::Failed
        } else {
            PodPhase::Pending
        };
    }
    let (mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for r in regular {
        match (&r.state, &r.last_state) {
            (ContainerStateReport::Running { .. }, _) => running += 1,
            (ContainerStateReport::Terminated { exit_code, .. }, _) => {
                stopped += 1;
                if *exit_code == 0 {
                    succeeded += 1;
                }
            }
            (
                ContainerStateReport::Waiting { .. },
                Some(ContainerStateReport::Terminated { exit_code, .. }),
            ) => {
                stopped += 1;
                if *exit_code == 0 {
                    succeeded += 1;
                }
            }
            (ContainerStateReport::Waiting { .. }, _) => waiting += 1,
        }
    }
    if waiting > 0 {
        PodPhase::Pending
    } else if running > 0 {
        PodPhase::Running
    } else if stopped > 0 {
        match policy {
            RestartPolicy::Always => PodPhase::Running,
            _ if stopped == succeeded => PodPhase::Succeeded,
            RestartPolicy::Never => PodPhase::Failed,
            RestartPolicy::OnFailure => PodPhase::Running,
        }
    } else {
        PodPhase::Pending
    }
}
