//! The legacy init-container path of `computePodActions`: the kubelet before native sidecars, and
//! every kubelet of 1.28-1.32 with `SidecarContainers` off (1.29-1.32 took it for pods without
//! restartable init containers too, and 1.33 behind `LegacySidecarContainers`; 1.34 removed it).
//! Init containers run one at a time, `NextInitContainerToStart`, as `findNextInitContainerToRun`
//! (pkg/kubelet/kuberuntime/kuberuntime_container.go) finds it.

use crate::gates::FeatureGates;
use crate::pod::{ContainerKind, Pod};
use crate::runtime::{ContainerState, ContainerStatus, RuntimePodStatus};

use super::{is_init_container_failed, quoted_state, should_restart_on_failure, KillReason, PodActions};

/// Whether `computePodActions` takes this path: `SidecarContainers` off.
pub fn takes_legacy_path(gates: &FeatureGates) -> bool {
    !gates.sidecar_containers
}

/// What `findNextInitContainerToRun` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextInit<'a> {
    /// The status of the last failed init container, if one failed (then `next` is that container).
    pub failed: Option<&'a ContainerStatus>,
    /// The index of the init container to start next, if any.
    pub next: Option<usize>,
    /// Every init container has completed (or initialisation finished before).
    pub done: bool,
}

/// `findNextInitContainerToRun`: the last failed init container, else the one after the last
/// completed, else the first; done when the last completed or a regular container runs.
pub fn find_next_init_container_to_run<'a>(pod: &Pod, status: &'a RuntimePodStatus) -> NextInit<'a> {
    let inits = &pod.spec.init_containers;
    let done = NextInit { failed: None, next: None, done: true };
    if inits.is_empty() {
        return done;
    }
    // A running regular container means every init container ran in the past, even if their
    // statuses are gone since.
    let regular_runs = pod.spec.containers.iter().any(|c| {
        status.find_container_status_by_name(c.name()).is_some_and(|s| s.state == ContainerState::Running)
    });
    if regular_runs {
        return done;
    }
    // The last failed one is restarted.
    for (i, c) in inits.iter().enumerate().rev() {
        if let Some(st) =
            status.find_container_status_by_name(c.name()).filter(|s| is_init_container_failed(s))
        {
            return NextInit { failed: Some(st), next: Some(i), done: false };
        }
    }
    // None failed: find the last one with a status.
    for (i, c) in inits.iter().enumerate().rev() {
        let Some(st) = status.find_container_status_by_name(c.name()) else { continue };
        match st.state {
            ContainerState::Running => return NextInit { failed: None, next: None, done: false },
            ContainerState::Exited if i == inits.len() - 1 => return done,
            ContainerState::Exited => return NextInit { failed: None, next: Some(i + 1), done: false },
            // Created or unknown (but not failed): look further back.
            ContainerState::Created | ContainerState::Unknown => {}
        }
    }
    NextInit { failed: None, next: Some(0), done: false }
}

/// The legacy "check initialization progress" step of `computePodActions`: start the next init
/// container (killing it first if its last instance is in an unknown state), or kill the pod when
/// one failed under restartPolicy Never. Returns whether the pod is initialised.
pub fn init_container_actions(pod: &Pod, status: &RuntimePodStatus, actions: &mut PodActions) -> bool {
    let found = find_next_init_container_to_run(pod, status);
    if found.done {
        return true;
    }
    let Some(next) = found.next else {
        // An init container runs: wait for it.
        return false;
    };
    let failed = found.failed.is_some_and(is_init_container_failed);
    if failed && !should_restart_on_failure(pod) {
        actions.kill_pod = true;
        return false;
    }
    if let Some(unknown) = found.failed.filter(|s| s.state == ContainerState::Unknown) {
        // Always try to stop a container in an unknown state before it restarts.
        let message = format!(
            "Init container is in {} state, try killing it before restart",
            quoted_state(unknown.state)
        );
        actions.kill(unknown, ContainerKind::Init, next, KillReason::Unknown, message);
    }
    actions.next_init_container_to_start = Some(next);
    false
}
