//! What the checker knows of an in-place restart of every container (KEP-5532,
//! `RestartAllContainersOnContainerExits`), re-derived from the world: a container that exits on its
//! own with a code matching one of its RestartAllContainers rules makes the kubelet kill and remove
//! every container of the pod and start them all again in the same sandbox, whatever each one's
//! restart policy (the KEP: "All regular containers will be restarted ... including succeeded
//! containers with restartPolicy=OnFailure or restartPolicy=Never"). So, from that exit until the pod
//! starts over, the kubelet may stop running containers whose hash matches, and afterwards it may
//! start again containers that exited on their own under Never.
//!
//! A scenario with such a rule is read only with the gate on (the API server refuses the rule
//! otherwise), so the rule's presence is enough.

use podsim_model::pod::{container_should_restart, find_matching_container_restart_rule, PodSpec};
use podsim_model::pod::{Container, RestartRuleAction};
use podsim_model::workload::Workload;
use podsim_model::Pod;

use super::View;

/// The exit code matches one of the container's RestartAllContainers rules (the first rule that
/// matches decides, `findMatchingContainerRestartRule`).
pub fn exit_restarts_all(container: &Container, exit_code: i32) -> bool {
    find_matching_container_restart_rule(container, exit_code)
        .is_some_and(|r| r.action == RestartRuleAction::RestartAllContainers)
}

/// The container named `name` of the pod with this UID (init or regular) exited with a code that
/// triggers the pod's in-place restart.
pub fn triggers(view: &View<'_>, pod_uid: &str, name: &str, exit_code: i32) -> bool {
    let Some(stored) = view.api.pod_by_uid(pod_uid) else { return false };
    let spec = &stored.pod.spec;
    spec.init_containers
        .iter()
        .chain(&spec.containers)
        .any(|c| c.name() == name && exit_restarts_all(c, exit_code))
}

/// Whether an exit with this code is followed by a new instance of the container: its restart policy
/// says so (`podutil.ContainerShouldRestart`), or the exit restarts the whole pod.
pub fn restarts_after_exit(container: &Container, spec: &PodSpec, exit_code: i32) -> bool {
    container_should_restart(container, spec, exit_code) || exit_restarts_all(container, exit_code)
}

/// A pod some of whose containers' workloads exit by themselves with a code that restarts the whole
/// pod: it has no steady state (every container goes down and comes back, over and over), so
/// liveness has nothing to compare it with.
pub fn cycles_by_restart_all(view: &View<'_>, pod: &Pod) -> bool {
    pod.spec.init_containers.iter().chain(&pod.spec.containers).any(|c| {
        matches!(view.containerd.workload_for(c.image(), &c.command, &c.args),
            Workload::ExitAfter { code, .. } if exit_restarts_all(c, code))
    })
}
