//! Restarting every container of a pod in place (KEP-5532, `RestartAllContainersOnContainerExits`):
//! when a container exits matching a `RestartAllContainers` rule, the kubelet marks the pod with the
//! condition `AllContainersRestarting`, and while it holds, `computePodActions` plans nothing but
//! killing and removing every init and regular container from the runtime. Once none is left the
//! condition clears and the pod starts over in its sandbox, from the first init container.

use crate::shared_str::SharedStr;
use serde::{Deserialize, Serialize};

use crate::pod::{find_matching_container_restart_rule, Container, ContainerKind, Pod, RestartRuleAction};
use crate::runtime::{ContainerState, ContainerStatus, RuntimePodStatus};

use super::PodActions;

/// One container instance to remove from the runtime (`containerToRemoveInfo`), killed first if it
/// has not exited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerToReset {
    /// The runtime container id.
    pub id: SharedStr,
    /// The container's name.
    pub name: SharedStr,
    /// Which list of the spec it is in.
    pub kind: ContainerKind,
    /// Its index in that list.
    pub index: usize,
    /// It has not exited: kill it before removing it.
    pub kill: bool,
}

/// The containers to reset, as `computePodActions` orders them (kuberuntime_manager.go of
/// OchukoWH/kubernetes@c8cba6c9cd150c14200d047bea241e23d9698dd6, after v1.35, read_file id
/// 70641482340): the regular containers' instances that did not trigger the restart, then the init
/// containers', then the regular instances that triggered it, then the init ones; each list in spec
/// order, and per container in the runtime's order (`getContainersToReset`). An instance that has not
/// exited is killed first. Ephemeral containers are kept. The kubelet's own table
/// (`TestComputePodActionsForRestartAllContainers`, kubelet_cases_restart_rules.rs) checks this order.
pub fn containers_to_reset(pod: &Pod, status: &RuntimePodStatus, actions: &mut PodActions) {
    let (init_sources, init_targets) =
        get_containers_to_reset(&pod.spec.init_containers, ContainerKind::Init, status);
    let (sources, targets) = get_containers_to_reset(&pod.spec.containers, ContainerKind::Regular, status);
    let reset = &mut actions.containers_to_reset;
    reset.extend(targets);
    reset.extend(init_targets);
    reset.extend(sources);
    reset.extend(init_sources);
}

/// `getContainersToReset`: every runtime instance of every container of the list, as
/// `(sources, targets)`: the exited instances whose exit matches a RestartAllContainers rule, and
/// the others (killed first if they have not exited).
fn get_containers_to_reset(
    containers: &[Container],
    kind: ContainerKind,
    status: &RuntimePodStatus,
) -> (Vec<ContainerToReset>, Vec<ContainerToReset>) {
    let (mut sources, mut targets) = (Vec::new(), Vec::new());
    for (index, container) in containers.iter().enumerate() {
        for st in status.containers.iter().filter(|s| s.name == container.name()) {
            let entry = ContainerToReset {
                id: st.id.clone(),
                name: st.name.clone(),
                kind,
                index,
                kill: st.state != ContainerState::Exited,
            };
            if triggers_restart_all(container, st) {
                sources.push(entry);
            } else {
                targets.push(entry);
            }
        }
    }
    (sources, targets)
}

/// The instance exited with a code that matches one of its `RestartAllContainers` rules.
fn triggers_restart_all(container: &Container, st: &ContainerStatus) -> bool {
    st.state == ContainerState::Exited
        && find_matching_container_restart_rule(container, st.exit_code)
            .is_some_and(|r| r.action == RestartRuleAction::RestartAllContainers)
}

/// `ShouldAllContainersRestart` (pkg/kubelet/container/helpers.go), from the runtime's side: the
/// condition is already True, or the newest instance of some init or regular container exited with a
/// code matching a `RestartAllContainers` rule. (The kubelet also reads the exits recorded in the
/// API's container statuses; the caller adds those.)
pub fn should_all_containers_restart(pod: &Pod, status: &RuntimePodStatus, condition_true: bool) -> bool {
    condition_true
        || pod.spec.init_containers.iter().chain(&pod.spec.containers).any(|c| {
            status.find_container_status_by_name(c.name()).is_some_and(|st| triggers_restart_all(c, st))
        })
}

/// `AllContainersRestartCleanedUp`: no init or regular container is left in the runtime, so the
/// condition may clear and the pod start over.
pub fn all_containers_restart_cleaned_up(pod: &Pod, status: &RuntimePodStatus) -> bool {
    pod.spec
        .init_containers
        .iter()
        .chain(&pod.spec.containers)
        .all(|c| status.find_container_status_by_name(c.name()).is_none())
}
