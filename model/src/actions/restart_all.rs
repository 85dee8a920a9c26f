//! Restarting every container of a pod in place (KEP-5532, `RestartAllContainersOnContainerExits`):
//! when a container exits matching a `RestartAllContainers` rule, the kubelet marks the pod with the
//! condition `AllContainersRestarting`, and while it holds, `computePodActions` plans nothing but
//! killing and removing every init and regular container from the runtime. Once none is left the
//! condition clears and the pod starts over in its sandbox, from the first init container.

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
    pub id: String,
    /// The container's name.
    pub name: String,
    /// Which list of the spec it is in.
    pub kind: ContainerKind,
    /// Its index in that list.
    pub index: usize,
    /// It has not exited: kill it before removing it.
    pub kill: bool,
}

/// The containers to reset (`getContainersToReset`): every runtime instance of every regular
/// container (in spec order), then of every init container (last first), each killed if it has not
/// exited; the instances whose exit triggered the restart (they match a `RestartAllContainers` rule)
/// come last. Ephemeral containers are kept.
pub fn containers_to_reset(pod: &Pod, status: &RuntimePodStatus, actions: &mut PodActions) {
    let regular = pod.spec.containers.iter().enumerate().map(|(i, c)| (ContainerKind::Regular, i, c));
    let init = pod.spec.init_containers.iter().enumerate().rev().map(|(i, c)| (ContainerKind::Init, i, c));
    let mut sources = Vec::new();
    for (kind, index, container) in regular.chain(init) {
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
                actions.containers_to_reset.push(entry);
            }
        }
    }
    actions.containers_to_reset.append(&mut sources);
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
