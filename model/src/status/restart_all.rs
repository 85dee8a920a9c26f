//! The status side of restarting every container in place (KEP-5532,
//! `RestartAllContainersOnContainerExits`): the `AllContainersRestarting` condition
//! (pkg/kubelet/status/generate.go `GenerateAllContainersRestartingCondition`), the helpers it reads
//! (pkg/kubelet/container/helpers.go `ShouldAllContainersRestart`, `AllContainersRestartCleanedUp`;
//! pkg/api/v1/pod/util.go `AllContainersCouldRestart`), what `convertToAPIContainerStatuses` shows for
//! a container the reset removed, and the Initialized condition that a restart does not take back.
//!
//! Sources: generate.go and its test `TestGenerateAllContainersRestartingCondition` were read from
//! kubernetes/kubernetes after v1.35 (read_file ids 68698090696 and 3768377772). helpers.go,
//! util.go and kubelet_pods.go of that level are not in the search index: `ShouldAllContainersRestart`,
//! `AllContainersRestartCleanedUp`, `AllContainersCouldRestart` (the condition is published only for a
//! pod with a RestartAllContainers rule) and the `podRestarting` branch of
//! `convertToAPIContainerStatuses` follow a TypeScript port that names those Go functions
//! ("Webernetes", read_file ids 54487257730, 54531373814, 54790863485), and agree with the KEP's text
//! (keps/sig-node/5532, read_file id 24096698112).

use super::conditions::{condition_reason, ConditionStatus, PodCondition, INITIALIZED};
use super::{reason, ContainerStateReport, ContainerStatusReport, PodPhase, PodStatusReport};
use crate::actions::restart_all::{all_containers_restart_cleaned_up, should_all_containers_restart};
use crate::gates::FeatureGates;
use crate::pod::{find_matching_container_restart_rule, Pod, RestartRuleAction};
use crate::runtime::RuntimePodStatus;
use crate::shared_str::SharedStr;

/// `v1.AllContainersRestarting`.
pub const ALL_CONTAINERS_RESTARTING: &str = "AllContainersRestarting";
/// generate.go `RestartAllContainersStarted`: a container exited and triggered the action.
pub const RESTART_ALL_CONTAINERS_STARTED: &str = "RestartAllContainersStarted";
/// The message of the True condition.
pub const RESTART_ALL_STARTED_MESSAGE: &str = "container exited with restart policy rule";
/// The message of a container status the reset removed (state and last state).
pub const REMOVED_FOR_RESTART_MESSAGE: &str =
    "The container is removed because RestartAllContainers in place";

/// `podutil.AllContainersCouldRestart`: some init or regular container has a RestartAllContainers
/// rule.
pub fn all_containers_could_restart(pod: &Pod) -> bool {
    pod.spec
        .init_containers
        .iter()
        .chain(&pod.spec.containers)
        .any(|c| c.restart_policy_rules.iter().any(|r| r.action == RestartRuleAction::RestartAllContainers))
}

/// Whether the status holds `AllContainersRestarting=True`.
pub fn restarting_condition_true(status: Option<&PodStatusReport>) -> bool {
    status
        .and_then(|s| s.condition(ALL_CONTAINERS_RESTARTING))
        .is_some_and(|c| c.status == ConditionStatus::True)
}

/// `kubecontainer.ShouldAllContainersRestart(pod, podStatus, oldPodStatus)`: the old status holds the
/// condition True, or the newest runtime instance, or the old API status, of some init or regular
/// container shows an exit matching a RestartAllContainers rule.
pub fn should_restart_all(pod: &Pod, runtime: &RuntimePodStatus, old: Option<&PodStatusReport>) -> bool {
    if should_all_containers_restart(pod, runtime, restarting_condition_true(old)) {
        return true;
    }
    let Some(old) = old else { return false };
    pod.spec.init_containers.iter().chain(&pod.spec.containers).any(|c| {
        let exit = old.container(c.name()).and_then(|s| match &s.state {
            ContainerStateReport::Terminated { exit_code, .. } => Some(*exit_code),
            _ => None,
        });
        exit.and_then(|code| find_matching_container_restart_rule(c, code))
            .is_some_and(|r| r.action == RestartRuleAction::RestartAllContainers)
    })
}

/// `GenerateAllContainersRestartingCondition`: False (PodCompleted / PodFailed) for a terminal pod;
/// True while the pod should restart all its containers and some are still in the runtime; False
/// once none is (`AllContainersRestartCleanedUp`) or none should.
pub fn generate_all_containers_restarting_condition(
    pod: &Pod,
    runtime: &RuntimePodStatus,
    old: Option<&PodStatusReport>,
    phase: PodPhase,
) -> PodCondition {
    let condition = |status, reason: &'static str, message: &'static str| {
        PodCondition::new(ALL_CONTAINERS_RESTARTING, status, reason, message)
    };
    match phase {
        PodPhase::Succeeded => return condition(ConditionStatus::False, condition_reason::POD_COMPLETED, ""),
        PodPhase::Failed => return condition(ConditionStatus::False, condition_reason::POD_FAILED, ""),
        PodPhase::Pending | PodPhase::Running => {}
    }
    if !should_restart_all(pod, runtime, old) || all_containers_restart_cleaned_up(pod, runtime) {
        return condition(ConditionStatus::False, "", "");
    }
    condition(ConditionStatus::True, RESTART_ALL_CONTAINERS_STARTED, RESTART_ALL_STARTED_MESSAGE)
}

/// `generateAPIPodStatus`: the condition is appended, after PodScheduled, for a pod that could restart
/// all its containers, with the gate on.
pub(crate) fn append_condition(
    pod: &Pod,
    runtime: &RuntimePodStatus,
    old: Option<&PodStatusReport>,
    gates: &FeatureGates,
    status: &mut PodStatusReport,
) {
    if gates.restart_all_containers_on_container_exits && all_containers_could_restart(pod) {
        let condition = generate_all_containers_restarting_condition(pod, runtime, old, status.phase);
        status.conditions.push(condition);
    }
}

/// `GeneratePodInitializedCondition` with the gate on: "once a pod is initialized, it cannot be
/// uninitialized": an Initialized condition that would turn False for init containers that are not
/// complete (an in-place restart runs them again) stays True if the old status holds it True.
pub(crate) fn keep_initialized(
    condition: &mut PodCondition,
    old: Option<&PodStatusReport>,
    gates: &FeatureGates,
) {
    let not_complete = condition.status == ConditionStatus::False
        && condition.reason == condition_reason::CONTAINERS_NOT_INITIALIZED;
    let was_initialized =
        old.and_then(|o| o.condition(INITIALIZED)).is_some_and(|c| c.status == ConditionStatus::True);
    if gates.restart_all_containers_on_container_exits && not_complete && was_initialized {
        *condition = PodCondition::new(INITIALIZED, ConditionStatus::True, "", "");
    }
}

/// The `podRestarting` branch of `convertToAPIContainerStatuses`: a container the runtime no longer
/// holds, whose old status was not waiting, while the pod restarts all its containers, waits with
/// reason RestartingAllContainers, its last state a termination (137) of that reason, its restart
/// count one more. Returns whether it applied.
pub(crate) fn removed_for_restart(
    status: &mut ContainerStatusReport,
    old: Option<&ContainerStatusReport>,
) -> bool {
    let Some(old) = old.filter(|o| !o.state.is_waiting()) else { return false };
    status.state = ContainerStateReport::waiting(
        SharedStr::from_static(reason::RESTARTING_ALL_CONTAINERS),
        SharedStr::from_static(REMOVED_FOR_RESTART_MESSAGE),
    );
    status.last_state = Some(ContainerStateReport::Terminated {
        exit_code: 137,
        reason: SharedStr::from_static(reason::RESTARTING_ALL_CONTAINERS),
        message: SharedStr::from_static(REMOVED_FOR_RESTART_MESSAGE),
        started_at: None,
        finished_at: None,
        container_id: SharedStr::EMPTY,
    });
    status.restart_count = old.restart_count + 1;
    true
}
