//! The pod status the kubelet writes to the API server, as `generateAPIPodStatus`
//! (pkg/kubelet/kubelet_pods.go) builds it from the runtime's records:
//!
//! - [`containers`]: `convertToAPIContainerStatuses`: each container's state, last state, restart
//!   count and id, with the reason cache's waiting reasons;
//! - [`phase`]: `getPhase` over those API statuses (and `podutil.ContainerShouldRestart`);
//! - [`prober`]: the prober manager's `UpdatePodStatus`: `started` and `ready`;
//! - [`conditions`]: pkg/kubelet/status/generate.go: PodReadyToStartContainers, Initialized, Ready,
//!   ContainersReady (and PodScheduled);
//! - [`restart_all`]: AllContainersRestarting and the statuses of an in-place restart (KEP-5532).
//!
//! Ported from the kubelet at OchukoWH/kubernetes@3669de28fe1658f1033b4296d34553d8d2e6a0d4 (a fork of
//! kubernetes master after v1.35: kubelet_pods.go with `getPhase(logger, pod, info, podIsTerminal,
//! podHasInitialized)`, ContainerRestartRules and RestartAllContainersOnContainerExits), and
//! pkg/kubelet/status/generate.go of kubernetes/kubernetes at the same level (the version whose
//! condition functions take `oldPodStatus`).
//!
//! What the model does not carry, and so does not report: readiness probes (a running, started
//! container is ready: the kubelet's rule for a container without a readiness probe), resources,
//! image digests (`imageID` is empty), users, volume mount statuses, host IPs, QoS class, and the
//! conditions the kubelet copies from elsewhere (DisruptionTarget, resize).

pub mod conditions;
pub mod containers;
pub mod phase;
pub mod prober;
pub mod restart_all;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::shared_str::SharedStr;

use crate::gates::FeatureGates;
use crate::pod::Pod;
use crate::runtime::{Millis, ProbeResults, RuntimePodStatus, SandboxState};

pub use conditions::{ConditionStatus, PodCondition};
pub use phase::{get_phase, PhaseCounts, PhaseOptions, PhaseSpec};

/// `pod.status.phase`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PodPhase {
    /// Accepted, but not every container has started (images, init containers, config).
    #[default]
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

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PodPhase::Pending => "Pending",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Failed => "Failed",
        }
    }
}

/// Why a container waits or how it ended: the kubelet's (and containerd's) reasons.
pub mod reason {
    /// No runtime container yet: the sandbox or the container is being made (kubelet_pods.go
    /// `ContainerCreating`).
    pub const CONTAINER_CREATING: &str = "ContainerCreating";
    /// A regular container waiting for the init containers (kubelet_pods.go `PodInitializing`).
    pub const POD_INITIALIZING: &str = "PodInitializing";
    /// The container's config (a Secret or ConfigMap it reads) is missing.
    pub const CREATE_CONTAINER_CONFIG_ERROR: &str = "CreateContainerConfigError";
    /// `CreateContainer` failed in the runtime (kuberuntime `ErrCreateContainer`).
    pub const CREATE_CONTAINER_ERROR: &str = "CreateContainerError";
    /// The last image pull failed.
    pub const ERR_IMAGE_PULL: &str = "ErrImagePull";
    /// The runtime could not say whether the image is present (images `ErrImageInspect`).
    pub const IMAGE_INSPECT_ERROR: &str = "ImageInspectError";
    /// The image pull is backing off.
    pub const IMAGE_PULL_BACK_OFF: &str = "ImagePullBackOff";
    /// imagePullPolicy Never and the image is not on the node.
    pub const ERR_IMAGE_NEVER_PULL: &str = "ErrImageNeverPull";
    /// The container keeps exiting and its restart is backing off.
    pub const CRASH_LOOP_BACK_OFF: &str = "CrashLoopBackOff";
    /// The container's postStart hook failed (`kubecontainer.ErrPostStartHook`).
    pub const POST_START_HOOK_ERROR: &str = "PostStartHookError";
    /// `StartContainer` failed in the runtime (`kubecontainer.ErrRunContainer`).
    pub const RUN_CONTAINER_ERROR: &str = "RunContainerError";
    /// Exited with code 0 (containerd's `completeExitReason`).
    pub const COMPLETED: &str = "Completed";
    /// Exited with a non-zero code (containerd's `errorExitReason`).
    pub const ERROR: &str = "Error";
    /// Killed by the kernel for exceeding its memory limit.
    pub const OOM_KILLED: &str = "OOMKilled";
    /// The runtime lost track of a container that was running
    /// (`kubecontainer.ContainerReasonStatusUnknown`).
    pub const CONTAINER_STATUS_UNKNOWN: &str = "ContainerStatusUnknown";
    /// The pod restarts all its containers in place (kubelet_pods.go `RestartingAllContainers`).
    pub const RESTARTING_ALL_CONTAINERS: &str = "RestartingAllContainers";
}

/// `containerStatus.state` (and `lastState`): exactly one of waiting, running, terminated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ContainerStateReport {
    /// Not running; `reason` says why ("" for a container created but not started).
    Waiting {
        /// One of [`reason`], or "".
        reason: SharedStr,
        /// The reason cache's message ("" if none).
        #[serde(default)]
        message: SharedStr,
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
        /// Completed, Error, OOMKilled, ContainerStatusUnknown, StartError, ...
        reason: SharedStr,
        /// The runtime's (or the kubelet's) message.
        #[serde(default)]
        message: SharedStr,
        /// When it started, if known.
        #[serde(default)]
        started_at: Option<Millis>,
        /// When it finished, if known.
        #[serde(default)]
        finished_at: Option<Millis>,
        /// The runtime container id ("" if the kubelet made this state up).
        #[serde(default)]
        container_id: SharedStr,
    },
}

/// An empty waiting state: what the API shows as `waiting: {}`.
impl Default for ContainerStateReport {
    fn default() -> ContainerStateReport {
        ContainerStateReport::waiting(SharedStr::EMPTY, SharedStr::EMPTY)
    }
}

impl ContainerStateReport {
    /// `waiting: {reason, message}`.
    pub fn waiting(reason: impl Into<SharedStr>, message: impl Into<SharedStr>) -> ContainerStateReport {
        ContainerStateReport::Waiting { reason: reason.into(), message: message.into() }
    }

    /// `terminated: {exitCode, reason}` with nothing else known.
    pub fn terminated(exit_code: i32, reason: impl Into<SharedStr>) -> ContainerStateReport {
        ContainerStateReport::Terminated {
            exit_code,
            reason: reason.into(),
            message: SharedStr::EMPTY,
            started_at: None,
            finished_at: None,
            container_id: SharedStr::EMPTY,
        }
    }

    /// `state.Running != nil`.
    pub fn is_running(&self) -> bool {
        matches!(self, ContainerStateReport::Running { .. })
    }

    /// `state.Waiting != nil`.
    pub fn is_waiting(&self) -> bool {
        matches!(self, ContainerStateReport::Waiting { .. })
    }

    /// `state.Terminated != nil`.
    pub fn is_terminated(&self) -> bool {
        matches!(self, ContainerStateReport::Terminated { .. })
    }

    /// The exit code, if terminated.
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            ContainerStateReport::Terminated { exit_code, .. } => Some(*exit_code),
            _ => None,
        }
    }

    /// The reason of a waiting or terminated state ("" when running).
    pub fn reason(&self) -> &str {
        match self {
            ContainerStateReport::Waiting { reason, .. }
            | ContainerStateReport::Terminated { reason, .. } => reason,
            ContainerStateReport::Running { .. } => "",
        }
    }
}

/// One entry of `status.containerStatuses` (or init/ephemeral): `v1.ContainerStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatusReport {
    /// The container's name.
    pub name: SharedStr,
    /// Its state now.
    pub state: ContainerStateReport,
    /// `lastState`: the state of its previous instance (whatever it was), if known.
    pub last_state: Option<ContainerStateReport>,
    /// `ready`.
    #[serde(default)]
    pub ready: bool,
    /// `started` (set by the prober manager; unset before it ran).
    #[serde(default)]
    pub started: Option<bool>,
    /// How often it was restarted.
    pub restart_count: u32,
    /// The runtime container id ("" if none).
    pub container_id: SharedStr,
    /// The image: the runtime's for a container it knows, else the spec's.
    #[serde(default)]
    pub image: SharedStr,
    /// The image's digest (`imageID`; podsim's runtime records carry none, so "").
    #[serde(default)]
    pub image_id: SharedStr,
}

impl ContainerStatusReport {
    /// `lastTerminationState.Terminated`, if the last state is a termination.
    pub fn last_termination(&self) -> Option<&ContainerStateReport> {
        self.last_state.as_ref().filter(|s| s.is_terminated())
    }
}

/// The `status` the kubelet writes for a pod.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatusReport {
    /// The phase.
    pub phase: PodPhase,
    /// `reason`: why the pod is in this phase, if the kubelet says (`DeadlineExceeded`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// `message`: the reason in words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The kubelet-owned conditions, in the order the kubelet appends them.
    #[serde(default)]
    pub conditions: Vec<PodCondition>,
    /// `startTime`: when the kubelet first wrote a status of the pod (virtual milliseconds); it never
    /// changes afterwards (the status manager's `updateStatusInternal`). `None` in a status not yet
    /// handed to the status manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Millis>,
    /// The pod IP ("" if none).
    pub pod_ip: SharedStr,
    /// Init containers, in spec order.
    pub init_container_statuses: Vec<ContainerStatusReport>,
    /// Regular containers, sorted by name (`kubetypes.SortedContainerStatuses`).
    pub container_statuses: Vec<ContainerStatusReport>,
    /// Ephemeral containers, sorted by name.
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

    /// The condition of this type, if the status has it.
    pub fn condition(&self, condition_type: &str) -> Option<&PodCondition> {
        self.conditions.iter().find(|c| c.condition_type == condition_type)
    }
}

/// The kubelet's reason cache (pkg/kubelet/reason_cache.go): why the last start of a container failed,
/// as `(reason, message)`, by container name. Entries are added when a StartContainer sync result
/// fails and removed when one succeeds.
pub trait ReasonCache {
    /// `ReasonCache.Get(uid, name)`.
    fn get(&self, container: &str) -> Option<(&str, &str)>;
}

/// Reasons without messages.
impl ReasonCache for BTreeMap<String, String> {
    fn get(&self, container: &str) -> Option<(&str, &str)> {
        BTreeMap::get(self, container).map(|r| (r.as_str(), ""))
    }
}

/// Reasons with their messages (what the model's kubelet keeps).
impl ReasonCache for BTreeMap<String, (String, String)> {
    fn get(&self, container: &str) -> Option<(&str, &str)> {
        BTreeMap::get(self, container).map(|(r, m)| (r.as_str(), m.as_str()))
    }
}

/// What `generateAPIPodStatus` reads besides the pod and the runtime's records.
#[derive(Clone, Copy)]
pub struct StatusContext<'a> {
    /// The reason cache.
    pub reasons: &'a dyn ReasonCache,
    /// The status the status manager holds for the pod (`oldPodStatus`), if any.
    pub old_status: Option<&'a PodStatusReport>,
    /// The cached liveness/startup results (the startup results decide `started`).
    pub probes: &'a ProbeResults,
    /// The kubelet's feature gates.
    pub gates: FeatureGates,
    /// `podIsTerminal`: the pod worker is terminating the pod and its containers are stopped.
    pub pod_is_terminal: bool,
}

/// The kubelet's status for `pod` from what the runtime holds and why starts failed (container name →
/// reason), with no earlier status, no probe results, the default gates and a pod that is not
/// terminal. See [`generate_api_pod_status`].
pub fn pod_status_report(
    pod: &Pod,
    runtime: &RuntimePodStatus,
    start_failures: &BTreeMap<String, String>,
) -> PodStatusReport {
    let probes = ProbeResults::none();
    let context = StatusContext {
        reasons: start_failures,
        old_status: None,
        probes: &probes,
        gates: FeatureGates::default(),
        pod_is_terminal: false,
    };
    generate_api_pod_status(pod, runtime, &context)
}

/// `generateAPIPodStatus`: the container statuses, the phase, `started`/`ready`, and the
/// kubelet-owned conditions. The old status (`oldPodStatus`) is the status manager's, or else the
/// API server's (`pod.status`): the caller passes the one it has. A pod never leaves a terminal
/// phase: a computed phase that is not terminal takes the old status's terminal phase, or else the
/// API server's (the three-way merge), and a terminal phase in the API server is kept whatever was
/// computed ([`keep_api_terminal_phase`]). The reason and message go with the phase.
pub fn generate_api_pod_status(
    pod: &Pod,
    runtime: &RuntimePodStatus,
    context: &StatusContext<'_>,
) -> PodStatusReport {
    let mut status = containers::convert_status_to_api_status(pod, runtime, context);
    let phase = phase::phase_of(pod, runtime, &status, context);
    let api = pod.status.as_deref();
    let terminal = |s: Option<&PodStatusReport>| s.map(|s| s.phase).filter(|p| p.is_terminal());
    status.phase = match (terminal(context.old_status), terminal(api)) {
        _ if phase.is_terminal() => phase,
        (Some(old), _) => old,
        (None, Some(api)) => api,
        (None, None) => phase,
    };
    // The reason and message go with the phase: kept while the phase is the old one (the API
    // server's fill in where the old status has none).
    if let Some(old) = context.old_status.filter(|old| old.phase == status.phase) {
        status.reason = old.reason.clone();
        status.message = old.message.clone();
        if let Some(api) = api {
            if status.reason.is_empty() {
                status.reason = api.reason.clone();
            }
            if status.message.is_empty() {
                status.message = api.message.clone();
            }
        }
    }
    keep_api_terminal_phase(pod, &mut status);
    prober::update_pod_status(pod, &mut status, context.probes);
    status.conditions = conditions::kubelet_conditions(pod, runtime, &status);
    if let Some(initialized) =
        status.conditions.iter_mut().find(|c| c.condition_type == conditions::INITIALIZED)
    {
        restart_all::keep_initialized(initialized, context.old_status, &context.gates);
    }
    restart_all::append_condition(pod, runtime, context.old_status, &context.gates, &mut status);
    status
}

/// "Pods are not allowed to transition out of terminal phases": a pod the API server holds as
/// Succeeded or Failed keeps that phase, whatever the kubelet computed ("Pod attempted illegal phase
/// transition"; the kubelet forces it back, after the pod sync handlers had their say).
pub fn keep_api_terminal_phase(pod: &Pod, status: &mut PodStatusReport) {
    if let Some(api) = pod.status.as_deref().map(|s| s.phase).filter(|p| p.is_terminal()) {
        status.phase = api;
    }
}

/// `podStatus.IPs[0]`: the IP of the newest sandbox, if it is ready (kuberuntime `GetPodStatus`).
fn pod_ip(runtime: &RuntimePodStatus) -> SharedStr {
    runtime
        .sandboxes
        .first()
        .filter(|s| s.state == SandboxState::Ready)
        .map_or(SharedStr::EMPTY, |s| s.ip.clone())
}
