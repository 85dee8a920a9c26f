//! `getPhase` (pkg/kubelet/kubelet_pods.go): the pod phase from the API container statuses, and the
//! restart rule it reads, `podutil.ContainerShouldRestart` (pkg/api/v1/pod/util.go).
//!
//! The function reads the API statuses exactly as the kubelet does: a container is found by name
//! (`podutil.GetContainerStatus`: the first status with that name), a waiting container whose last
//! state is a termination counts as stopped (never as succeeded), a running sidecar counts as pending
//! until it is `started`.

use serde::Serialize;

use super::{reason, ContainerStateReport, ContainerStatusReport, PodPhase, PodStatusReport, StatusContext};
use crate::gates::FeatureGates;
use crate::pod::{Pod, RestartPolicy};
use crate::runtime::{RuntimePodStatus, SandboxState};

/// The restart rule types are the pod's (`crate::pod`), under the names this module used.
pub use crate::pod::{
    ContainerRestartRule as RestartRule, ExitCodes as ExitCodesRule, ExitCodesOperator as ExitCodeOperator,
    RestartRuleAction,
};

/// What `getPhase` reads of one container of the spec.
#[derive(Clone, Copy, Debug)]
pub struct PhaseContainer<'a> {
    /// `name`.
    pub name: &'a str,
    /// The container-level `restartPolicy` (`Always` on an init container makes it a sidecar).
    pub restart_policy: Option<RestartPolicy>,
    /// `restartPolicyRules`, in order.
    pub restart_policy_rules: &'a [RestartRule],
}

impl<'a> PhaseContainer<'a> {
    /// A container with no container-level policy.
    pub fn named(name: &'a str) -> PhaseContainer<'a> {
        PhaseContainer { name, restart_policy: None, restart_policy_rules: &[] }
    }

    /// `podutil.IsRestartableInitContainer`: restartPolicy Always.
    pub fn is_restartable_init_container(&self) -> bool {
        self.restart_policy == Some(RestartPolicy::Always)
    }
}

/// What `getPhase` reads of a pod: its restart policy, its containers, and whether it is static.
#[derive(Clone, Debug)]
pub struct PhaseSpec<'a> {
    /// `spec.restartPolicy`.
    pub restart_policy: RestartPolicy,
    /// `spec.initContainers`.
    pub init_containers: Vec<PhaseContainer<'a>>,
    /// `spec.containers`.
    pub containers: Vec<PhaseContainer<'a>>,
    /// `kubetypes.IsStaticPod`: the pod came from a file or URL, not the API server.
    pub is_static_pod: bool,
}

impl<'a> PhaseSpec<'a> {
    /// The spec of a model pod (an API pod: never static), with each container's restart policy and
    /// rules.
    pub fn of(pod: &'a Pod) -> PhaseSpec<'a> {
        let view = |c: &'a crate::pod::Container| PhaseContainer {
            name: c.name(),
            restart_policy: c.restart_policy,
            restart_policy_rules: &c.restart_policy_rules,
        };
        PhaseSpec {
            restart_policy: pod.spec.restart_policy,
            init_containers: pod.spec.init_containers.iter().map(view).collect(),
            containers: pod.spec.containers.iter().map(view).collect(),
            is_static_pod: false,
        }
    }
}

/// The inputs of `getPhase` other than the spec and the statuses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PhaseOptions {
    /// `podIsTerminal`: the pod worker terminated the pod; its containers will not restart.
    pub pod_is_terminal: bool,
    /// `podHasInitialized`: a regular container of the current sandbox has started
    /// (`HasAnyActiveRegularContainerStarted`).
    pub pod_has_initialized: bool,
    /// The feature gates (ContainerRestartRules, RestartAllContainersOnContainerExits).
    pub gates: FeatureGates,
}

/// The counters `getPhase` keeps, by the Go names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhaseCounts {
    /// Plain init containers not done (missing, running, waiting without a past run).
    pub pending_regular_init_containers: u32,
    /// Sidecars missing, waiting for a first run, or running but not started.
    pub pending_restartable_init_containers: u32,
    /// Plain init containers that exited non-zero (now or last time).
    pub failed_initialization: u32,
    /// Of those, the ones that will not be restarted (read with ContainerRestartRules).
    pub failed_initialization_not_restartable: u32,
    /// Sidecars and regular containers without a status, or with an empty state.
    pub unknown: u32,
    /// Sidecars and regular containers running.
    pub running: u32,
    /// Sidecars and regular containers waiting for their first run.
    pub waiting: u32,
    /// Regular containers terminated, or waiting after a termination.
    pub stopped: u32,
    /// Of those, the ones that will not be restarted (read with ContainerRestartRules).
    pub stopped_not_restartable: u32,
    /// Regular containers terminated with exit code 0.
    pub succeeded: u32,
}

/// What `getPhase` reads of one API container status: its name, its state (`None`: none of waiting,
/// running, terminated is set), its last state, and `started`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhaseStatus<'a> {
    /// `name`.
    pub name: &'a str,
    /// `state`, if one of its three members is set.
    pub state: Option<&'a ContainerStateReport>,
    /// `lastState`, if set.
    pub last_state: Option<&'a ContainerStateReport>,
    /// `started`.
    pub started: Option<bool>,
}

impl<'a> PhaseStatus<'a> {
    /// `lastTerminationState.Terminated`, if the last state is a termination.
    fn last_termination(&self) -> Option<&'a ContainerStateReport> {
        self.last_state.filter(|s| s.is_terminated())
    }
}

impl<'a> From<&'a ContainerStatusReport> for PhaseStatus<'a> {
    fn from(s: &'a ContainerStatusReport) -> PhaseStatus<'a> {
        PhaseStatus {
            name: &s.name,
            state: Some(&s.state),
            last_state: s.last_state.as_ref(),
            started: s.started,
        }
    }
}

/// `podutil.GetContainerStatus`: the first status with this name.
fn container_status<'s, 'a>(statuses: &'s [PhaseStatus<'a>], name: &str) -> Option<&'s PhaseStatus<'a>> {
    statuses.iter().find(|s| s.name == name)
}

/// `findMatchingContainerRestartRule`: the first rule whose exit-code condition holds.
fn matching_restart_rule(container: &PhaseContainer<'_>, exit_code: i32) -> Option<RestartRuleAction> {
    container.restart_policy_rules.iter().find(|rule| rule.matches(exit_code)).map(|rule| rule.action)
}

/// `podutil.ContainerShouldRestart`: the container's rules first, then its own restart policy, then
/// the pod's. A matching RestartAllContainers rule restarts it (the whole pod restarts) when
/// RestartAllContainersOnContainerExits is on: the kubelet's getPhase tables expect it
/// ("regular container triggers RestartAllContainers" is Running).
pub fn container_should_restart(
    container: &PhaseContainer<'_>,
    pod_policy: RestartPolicy,
    exit_code: i32,
    gates: &FeatureGates,
) -> bool {
    let Some(policy) = container.restart_policy else {
        return policy_restarts(pod_policy, exit_code);
    };
    match matching_restart_rule(container, exit_code) {
        Some(RestartRuleAction::Restart) => return true,
        Some(RestartRuleAction::RestartAllContainers) if gates.restart_all_containers_on_container_exits => {
            return true
        }
        _ => {}
    }
    policy_restarts(policy, exit_code)
}

/// Whether a restart policy restarts a container that exited with this code.
fn policy_restarts(policy: RestartPolicy, exit_code: i32) -> bool {
    match policy {
        RestartPolicy::Always => true,
        RestartPolicy::OnFailure => exit_code != 0,
        RestartPolicy::Never => false,
    }
}

/// Whether a container that ended this way will be restarted: `ContainerShouldRestart`, or, with
/// RestartAllContainersOnContainerExits, a termination by the pod's in-place restart.
fn restartable_after(
    container: &PhaseContainer<'_>,
    spec: &PhaseSpec<'_>,
    ended: &ContainerStateReport,
    gates: &FeatureGates,
) -> bool {
    let exit_code = ended.exit_code().unwrap_or(0);
    let restartable = container_should_restart(container, spec.restart_policy, exit_code, gates);
    restartable
        || (gates.restart_all_containers_on_container_exits
            && ended.reason() == reason::RESTARTING_ALL_CONTAINERS)
}

/// `getPhase` over the API statuses (regular then init, as the kubelet passes them).
pub fn get_phase(spec: &PhaseSpec<'_>, statuses: &[PhaseStatus<'_>], options: &PhaseOptions) -> PodPhase {
    get_phase_with_counts(spec, statuses, options).0
}

/// `getPhase`, with the counters it decided from.
pub fn get_phase_with_counts(
    spec: &PhaseSpec<'_>,
    statuses: &[PhaseStatus<'_>],
    options: &PhaseOptions,
) -> (PodPhase, PhaseCounts) {
    let mut counts = PhaseCounts::default();
    let gates = &options.gates;
    for c in spec.init_containers.iter().filter(|c| !c.is_restartable_init_container()) {
        count_regular_init_container(&mut counts, spec, c, container_status(statuses, c.name), gates);
    }
    for c in spec.init_containers.iter().filter(|c| c.is_restartable_init_container()) {
        count_sidecar(&mut counts, container_status(statuses, c.name));
    }
    for c in &spec.containers {
        count_regular_container(&mut counts, spec, c, container_status(statuses, c.name), gates);
    }
    (decide(spec, &counts, options), counts)
}

/// The plain init containers' part of `getPhase`.
fn count_regular_init_container(
    counts: &mut PhaseCounts,
    spec: &PhaseSpec<'_>,
    container: &PhaseContainer<'_>,
    status: Option<&PhaseStatus<'_>>,
    gates: &FeatureGates,
) {
    let Some(status) = status else {
        counts.pending_regular_init_containers += 1;
        return;
    };
    match (status.state, status.last_termination()) {
        (Some(ContainerStateReport::Running { .. }), _) => counts.pending_regular_init_containers += 1,
        (Some(ended @ ContainerStateReport::Terminated { exit_code, .. }), _) => {
            if *exit_code != 0 {
                counts.failed_initialization += 1;
                // The kubelet reads the restart rules here only with ContainerRestartRules on.
                if gates.container_restart_rules && !restartable_after(container, spec, ended, gates) {
                    counts.failed_initialization_not_restartable += 1;
                }
            }
        }
        (Some(ContainerStateReport::Waiting { .. }), Some(last)) => {
            if last.exit_code() != Some(0) {
                counts.failed_initialization += 1;
                // ... and here whatever the gate (its count is read only with the gate on).
                if !restartable_after(container, spec, last, gates) {
                    counts.failed_initialization_not_restartable += 1;
                }
            }
        }
        (Some(ContainerStateReport::Waiting { .. }), None) | (None, _) => {
            counts.pending_regular_init_containers += 1
        }
    }
}

/// The restartable init containers' (sidecars') part of `getPhase`: a terminated sidecar, or one
/// waiting after a termination, does not count.
fn count_sidecar(counts: &mut PhaseCounts, status: Option<&PhaseStatus<'_>>) {
    let Some(status) = status else {
        counts.unknown += 1;
        return;
    };
    match (status.state, status.last_termination()) {
        (Some(ContainerStateReport::Running { .. }), _) => {
            if status.started != Some(true) {
                counts.pending_restartable_init_containers += 1;
            }
            counts.running += 1;
        }
        (Some(ContainerStateReport::Terminated { .. }), _)
        | (Some(ContainerStateReport::Waiting { .. }), Some(_)) => {}
        (Some(ContainerStateReport::Waiting { .. }), None) => {
            counts.pending_restartable_init_containers += 1;
            counts.waiting += 1;
        }
        (None, _) => {
            counts.pending_restartable_init_containers += 1;
            counts.unknown += 1;
        }
    }
}

/// The regular containers' part of `getPhase`.
fn count_regular_container(
    counts: &mut PhaseCounts,
    spec: &PhaseSpec<'_>,
    container: &PhaseContainer<'_>,
    status: Option<&PhaseStatus<'_>>,
    gates: &FeatureGates,
) {
    let Some(status) = status else {
        counts.unknown += 1;
        return;
    };
    let ended = match (status.state, status.last_termination()) {
        (Some(ContainerStateReport::Running { .. }), _) => {
            counts.running += 1;
            return;
        }
        (Some(ended @ ContainerStateReport::Terminated { exit_code, .. }), _) => {
            if *exit_code == 0 {
                counts.succeeded += 1;
            }
            ended
        }
        // Waiting after a termination: stopped (restarting or backing off), never succeeded.
        (Some(ContainerStateReport::Waiting { .. }), Some(last)) => last,
        (Some(ContainerStateReport::Waiting { .. }), None) => {
            counts.waiting += 1;
            return;
        }
        (None, _) => {
            counts.unknown += 1;
            return;
        }
    };
    counts.stopped += 1;
    if gates.container_restart_rules && !restartable_after(container, spec, ended, gates) {
        counts.stopped_not_restartable += 1;
    }
}

/// The decision at the end of `getPhase`.
fn decide(spec: &PhaseSpec<'_>, c: &PhaseCounts, options: &PhaseOptions) -> PodPhase {
    let initialization_failed = if options.gates.container_restart_rules {
        c.failed_initialization_not_restartable > 0
    } else {
        c.failed_initialization > 0 && spec.restart_policy == RestartPolicy::Never
    };
    if initialization_failed {
        return PodPhase::Failed;
    }
    let initializing = c.pending_regular_init_containers > 0
        || (c.pending_restartable_init_containers > 0 && !options.pod_has_initialized);
    if initializing || c.waiting > 0 {
        // One or more containers has not been started.
        PodPhase::Pending
    } else if c.running > 0 && c.unknown == 0 {
        // All containers have been started, and at least one container is running.
        PodPhase::Running
    } else if c.running == 0 && c.stopped > 0 && c.unknown == 0 {
        all_stopped_phase(spec, c, options)
    } else {
        PodPhase::Pending
    }
}

/// `getPhase` when every container has stopped.
fn all_stopped_phase(spec: &PhaseSpec<'_>, c: &PhaseCounts, options: &PhaseOptions) -> PodPhase {
    let all_succeeded = c.stopped == c.succeeded;
    // A terminal pod's containers will not restart whatever the policy (static pods excepted).
    if options.pod_is_terminal && !spec.is_static_pod {
        return if all_succeeded { PodPhase::Succeeded } else { PodPhase::Failed };
    }
    if options.gates.container_restart_rules {
        return if c.stopped != c.stopped_not_restartable {
            // At least one container is in the process of restarting.
            PodPhase::Running
        } else if all_succeeded {
            PodPhase::Succeeded
        } else {
            PodPhase::Failed
        };
    }
    match spec.restart_policy {
        RestartPolicy::Always => PodPhase::Running,
        _ if all_succeeded => PodPhase::Succeeded,
        RestartPolicy::Never => PodPhase::Failed,
        RestartPolicy::OnFailure => PodPhase::Running,
    }
}

/// `kubecontainer.HasAnyActiveRegularContainerStarted`: a regular container exists in the active
/// sandbox: the newest sandbox, when it is ready (kuberuntime `GetPodStatus`'s
/// `ActiveContainerStatuses`).
pub fn has_any_active_regular_container_started(pod: &Pod, runtime: &RuntimePodStatus) -> bool {
    let Some(active) = runtime.sandboxes.first().filter(|s| s.state == SandboxState::Ready) else {
        return false;
    };
    runtime
        .containers
        .iter()
        .filter(|c| c.sandbox_id == active.id)
        .any(|c| pod.spec.containers.iter().any(|spec| spec.name() == c.name))
}

/// `kubecontainer.HasAnyRegularContainerStarted`: a regular container's API status is running or
/// terminated.
pub fn has_any_regular_container_started(spec: &PhaseSpec<'_>, statuses: &[PhaseStatus<'_>]) -> bool {
    statuses.iter().any(|s| {
        spec.containers.iter().any(|c| c.name == s.name)
            && s.state.is_some_and(|state| state.is_running() || state.is_terminated())
    })
}

/// The phase `generateAPIPodStatus` computes for the converted statuses (regular, then init).
pub(crate) fn phase_of(
    pod: &Pod,
    runtime: &RuntimePodStatus,
    status: &PodStatusReport,
    context: &StatusContext<'_>,
) -> PodPhase {
    let spec = PhaseSpec::of(pod);
    let all: Vec<PhaseStatus<'_>> = status
        .container_statuses
        .iter()
        .chain(&status.init_container_statuses)
        .map(PhaseStatus::from)
        .collect();
    let options = PhaseOptions {
        pod_is_terminal: context.pod_is_terminal,
        pod_has_initialized: has_any_active_regular_container_started(pod, runtime),
        gates: context.gates,
    };
    get_phase(&spec, &all, &options)
}
