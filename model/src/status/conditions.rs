//! The kubelet-owned pod conditions (pkg/kubelet/status/generate.go), in the order
//! `generateAPIPodStatus` appends them: PodReadyToStartContainers, Initialized, Ready,
//! ContainersReady, PodScheduled.
//!
//! The conditions read the API container statuses; a missing list (`None`) is Go's nil slice, which
//! the condition functions tell apart from an empty one.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{ContainerStatusReport, PodPhase, PodStatusReport};
use crate::pod::Pod;
use crate::runtime::{RuntimePodStatus, SandboxState};

/// `v1.PodReadyToStartContainers`.
pub const POD_READY_TO_START_CONTAINERS: &str = "PodReadyToStartContainers";
/// `v1.PodInitialized`.
pub const INITIALIZED: &str = "Initialized";
/// `v1.PodReady`.
pub const READY: &str = "Ready";
/// `v1.ContainersReady`.
pub const CONTAINERS_READY: &str = "ContainersReady";
/// `v1.PodScheduled`.
pub const POD_SCHEDULED: &str = "PodScheduled";

/// The reasons of the generated conditions (generate.go's constants).
pub mod condition_reason {
    /// All container statuses are unknown.
    pub const UNKNOWN_CONTAINER_STATUSES: &str = "UnknownContainerStatuses";
    /// All related containers have succeeded.
    pub const POD_COMPLETED: &str = "PodCompleted";
    /// The pod has failed.
    pub const POD_FAILED: &str = "PodFailed";
    /// One or more containers are not ready.
    pub const CONTAINERS_NOT_READY: &str = "ContainersNotReady";
    /// One or more init containers have not succeeded.
    pub const CONTAINERS_NOT_INITIALIZED: &str = "ContainersNotInitialized";
    /// One or more readiness gates are not ready.
    pub const READINESS_GATES_NOT_READY: &str = "ReadinessGatesNotReady";
    /// The sandbox is missing or must be made again (kubetypes `PodSandboxNotReadyReason`).
    pub const POD_SANDBOX_NOT_READY: &str = "PodSandboxNotReady";
}

/// `v1.ConditionStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ConditionStatus {
    /// `True`.
    True,
    /// `False`.
    False,
    /// `Unknown`.
    Unknown,
}

impl ConditionStatus {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionStatus::True => "True",
            ConditionStatus::False => "False",
            ConditionStatus::Unknown => "Unknown",
        }
    }
}

/// `v1.PodCondition` (without times and observed generation, which the model does not keep).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodCondition {
    /// `type`: one of the constants above, or a readiness gate's condition type.
    #[serde(rename = "type")]
    pub condition_type: Cow<'static, str>,
    /// `status`.
    pub status: ConditionStatus,
    /// `reason` ("" if none).
    #[serde(default)]
    pub reason: Cow<'static, str>,
    /// `message` ("" if none).
    #[serde(default)]
    pub message: Cow<'static, str>,
}

impl PodCondition {
    /// A condition with this type, status, reason and message (the kubelet's own words are static
    /// and not copied: a status report of a stable pod builds its conditions without allocating).
    pub fn new(
        condition_type: impl Into<Cow<'static, str>>,
        status: ConditionStatus,
        reason: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> PodCondition {
        PodCondition {
            condition_type: condition_type.into(),
            status,
            reason: reason.into(),
            message: message.into(),
        }
    }
}

/// The conditions `generateAPIPodStatus` sets, from the finished statuses and phase.
pub(crate) fn kubelet_conditions(
    pod: &Pod,
    runtime: &RuntimePodStatus,
    status: &PodStatusReport,
) -> Vec<PodCondition> {
    let all: Vec<&ContainerStatusReport> =
        status.init_container_statuses.iter().chain(&status.container_statuses).collect();
    // Five conditions: one allocation, not one per growth.
    let mut conditions = Vec::with_capacity(5);
    conditions.push(generate_pod_ready_to_start_containers_condition(pod, runtime));
    conditions.push(generate_pod_initialized_condition(pod, Some(&all), status.phase));
    let ready = generate_pod_ready_condition(pod, &[], &conditions, Some(&all), status.phase);
    conditions.push(ready);
    conditions.push(generate_containers_ready_condition(pod, Some(&all), status.phase));
    conditions.push(PodCondition::new(POD_SCHEDULED, ConditionStatus::True, "", ""));
    conditions
}

/// `podutil.GetContainerStatus`: the first status with this name.
fn find<'s>(statuses: &[&'s ContainerStatusReport], name: &str) -> Option<&'s ContainerStatusReport> {
    statuses.iter().copied().find(|s| s.name == name)
}

/// Go's `%s` of a `[]string`: `[a b c]`.
fn go_list(names: &[&str]) -> String {
    format!("[{}]", names.join(" "))
}

/// `GenerateContainersReadyCondition`: True when every sidecar and regular container is ready.
pub fn generate_containers_ready_condition(
    pod: &Pod,
    statuses: Option<&[&ContainerStatusReport]>,
    phase: PodPhase,
) -> PodCondition {
    use condition_reason::*;
    let Some(statuses) = statuses else {
        return PodCondition::new(CONTAINERS_READY, ConditionStatus::False, UNKNOWN_CONTAINER_STATUSES, "");
    };
    let sidecars = pod.spec.init_containers.iter().filter(|c| c.is_restartable_init_container());
    let (mut unknown, mut unready) = (Vec::new(), Vec::new());
    for c in sidecars.chain(&pod.spec.containers) {
        match find(statuses, c.name()) {
            Some(s) if !s.ready => unready.push(c.name()),
            Some(_) => {}
            None => unknown.push(c.name()),
        }
    }
    if (phase == PodPhase::Succeeded && unknown.is_empty()) || phase == PodPhase::Failed {
        return terminal_condition(CONTAINERS_READY, phase);
    }
    let message = unready_message(&unknown, "unready", &unready);
    if message.is_empty() {
        PodCondition::new(CONTAINERS_READY, ConditionStatus::True, "", "")
    } else {
        PodCondition::new(CONTAINERS_READY, ConditionStatus::False, CONTAINERS_NOT_READY, message)
    }
}

/// `containers with unknown status: [..], containers with <what> status: [..]`.
fn unready_message(unknown: &[&str], what: &str, others: &[&str]) -> String {
    let mut message = String::new();
    if !unknown.is_empty() {
        let _ = write!(message, "containers with unknown status: {}", go_list(unknown));
    }
    if !others.is_empty() {
        if !message.is_empty() {
            message.push_str(", ");
        }
        let _ = write!(message, "containers with {what} status: {}", go_list(others));
    }
    message
}

/// `generateContainersReadyConditionForTerminalPhase` (and the Ready one): False, PodFailed or
/// PodCompleted.
fn terminal_condition(condition_type: &'static str, phase: PodPhase) -> PodCondition {
    let reason = match phase {
        PodPhase::Failed => condition_reason::POD_FAILED,
        PodPhase::Succeeded => condition_reason::POD_COMPLETED,
        _ => "",
    };
    PodCondition::new(condition_type, ConditionStatus::False, reason, "")
}

/// `GeneratePodReadyCondition`: ContainersReady, and then every readiness gate's condition True.
pub fn generate_pod_ready_condition(
    pod: &Pod,
    readiness_gates: &[&str],
    conditions: &[PodCondition],
    statuses: Option<&[&ContainerStatusReport]>,
    phase: PodPhase,
) -> PodCondition {
    let containers_ready = generate_containers_ready_condition(pod, statuses, phase);
    if containers_ready.status != ConditionStatus::True {
        return PodCondition { condition_type: READY.into(), ..containers_ready };
    }
    let mut unready = Vec::new();
    for gate in readiness_gates {
        match conditions.iter().find(|c| c.condition_type == *gate) {
            None => unready
                .push(format!("corresponding condition of pod readiness gate {gate:?} does not exist.")),
            Some(c) if c.status != ConditionStatus::True => unready.push(format!(
                "the status of pod readiness gate {gate:?} is not \"True\", but {}",
                c.status.as_str()
            )),
            Some(_) => {}
        }
    }
    if unready.is_empty() {
        PodCondition::new(READY, ConditionStatus::True, "", "")
    } else {
        let message = unready.join(", ");
        PodCondition::new(READY, ConditionStatus::False, condition_reason::READINESS_GATES_NOT_READY, message)
    }
}

/// `isInitContainerInitialized`: a sidecar once started, a plain init container once ready.
fn is_init_container_initialized(container: &crate::pod::Container, status: &ContainerStatusReport) -> bool {
    if container.is_restartable_init_container() {
        status.started == Some(true)
    } else {
        status.ready
    }
}

/// `GeneratePodInitializedCondition`: True when every init container is initialised, the pod
/// succeeded, or a regular container has started (a pod never goes back to uninitialised).
pub fn generate_pod_initialized_condition(
    pod: &Pod,
    statuses: Option<&[&ContainerStatusReport]>,
    phase: PodPhase,
) -> PodCondition {
    use condition_reason::*;
    let statuses = match statuses {
        Some(statuses) => statuses,
        None if pod.spec.init_containers.is_empty() => &[],
        None => {
            return PodCondition::new(INITIALIZED, ConditionStatus::False, UNKNOWN_CONTAINER_STATUSES, "")
        }
    };
    let (mut unknown, mut incomplete) = (Vec::new(), Vec::new());
    for c in &pod.spec.init_containers {
        match find(statuses, c.name()) {
            None => unknown.push(c.name()),
            Some(s) if !is_init_container_initialized(c, s) => incomplete.push(c.name()),
            Some(_) => {}
        }
    }
    if phase == PodPhase::Succeeded && unknown.is_empty() {
        return PodCondition::new(INITIALIZED, ConditionStatus::True, POD_COMPLETED, "");
    }
    if any_regular_container_started(pod, statuses) {
        return PodCondition::new(INITIALIZED, ConditionStatus::True, "", "");
    }
    let message = unready_message(&unknown, "incomplete", &incomplete);
    if message.is_empty() {
        PodCondition::new(INITIALIZED, ConditionStatus::True, "", "")
    } else {
        PodCondition::new(INITIALIZED, ConditionStatus::False, CONTAINERS_NOT_INITIALIZED, message)
    }
}

/// `kubecontainer.HasAnyRegularContainerStarted` over the API statuses: a regular container's status
/// is running or terminated (as [`super::phase::has_any_regular_container_started`] asks of the
/// phase's views).
fn any_regular_container_started(pod: &Pod, statuses: &[&ContainerStatusReport]) -> bool {
    statuses.iter().any(|s| {
        pod.spec.containers.iter().any(|c| c.name() == s.name)
            && (s.state.is_running() || s.state.is_terminated())
    })
}

/// Why `PodSandboxChanged` asks for a new sandbox, as the kubelet's condition message says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandboxNotReady {
    /// No sandbox exists.
    NoPodSandbox,
    /// More than one sandbox is ready.
    MultipleSandboxes,
    /// The newest sandbox is not ready.
    SandboxNotReady,
    /// The network namespace mode changed.
    NetworkNamespaceMode,
    /// A pod-network sandbox has no IP.
    NoIpAddress,
}

impl SandboxNotReady {
    /// The condition message (kubetypes `PodSandboxNotReadyMsg*`). The text of three of them was not
    /// available to port (only their names are), so those carry no message.
    pub fn message(self) -> &'static str {
        match self {
            SandboxNotReady::NoPodSandbox => "no pod sandbox exists",
            SandboxNotReady::NoIpAddress => "pod sandbox has no IP address",
            SandboxNotReady::MultipleSandboxes
            | SandboxNotReady::SandboxNotReady
            | SandboxNotReady::NetworkNamespaceMode => "",
        }
    }
}

/// `runtimeutil.PodSandboxChanged`'s reason: the branches of [`crate::actions::pod_sandbox_changed`],
/// named.
pub fn sandbox_not_ready(pod: &Pod, runtime: &RuntimePodStatus) -> Option<SandboxNotReady> {
    let Some(newest) = runtime.sandboxes.first() else {
        return Some(SandboxNotReady::NoPodSandbox);
    };
    let ready = runtime.sandboxes.iter().filter(|s| s.state == SandboxState::Ready).count();
    if ready > 1 {
        Some(SandboxNotReady::MultipleSandboxes)
    } else if newest.state != SandboxState::Ready {
        Some(SandboxNotReady::SandboxNotReady)
    } else if newest.host_network != pod.spec.host_network {
        Some(SandboxNotReady::NetworkNamespaceMode)
    } else if !pod.spec.host_network && newest.ip.is_empty() {
        Some(SandboxNotReady::NoIpAddress)
    } else {
        None
    }
}

/// `GeneratePodReadyToStartContainersCondition`: True when no new sandbox is needed.
pub fn generate_pod_ready_to_start_containers_condition(
    pod: &Pod,
    runtime: &RuntimePodStatus,
) -> PodCondition {
    match sandbox_not_ready(pod, runtime) {
        None => PodCondition::new(POD_READY_TO_START_CONTAINERS, ConditionStatus::True, "", ""),
        Some(why) => PodCondition::new(
            POD_READY_TO_START_CONTAINERS,
            ConditionStatus::False,
            condition_reason::POD_SANDBOX_NOT_READY,
            why.message(),
        ),
    }
}
