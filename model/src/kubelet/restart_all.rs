//! Carrying out an in-place restart of every container (KEP-5532,
//! `RestartAllContainersOnContainerExits`) in the sync, as the kubelet does:
//!
//! 1. `generateAPIPodStatus` sets `AllContainersRestarting=True` once a container exited matching a
//!    RestartAllContainers rule (status/restart_all.rs), and `Kubelet.SyncPod` hands the runtime's
//!    SyncPod `restartAllContainers` = that condition of the status it just generated (kubelet.go,
//!    read_file id 54300650048, kubernetes after v1.35).
//! 2. `computePodActions` then plans nothing but the reset (`containersToReset`,
//!    actions/restart_all.rs), and SyncPod kills each running one and removes each from the runtime,
//!    in the plan's order, keeping the sandbox. The kill skips the grace period ("Killing containers
//!    without grace period"): a zero override, which `killContainer` raises to its floor of 2 s
//!    (`minimumGracePeriodInSeconds`); its Killing event's message is SyncPod's "killing".
//! 3. A reset whose sync had no error and removed a container requeues the pod at once ("we want to
//!    immediately trigger another sync to start the containers", kubelet.go).
//! 4. That sync finds no container in the runtime: the condition turns False
//!    (`AllContainersRestartCleanedUp`), and the ordinary plan starts the pod over in its sandbox, from
//!    the first init container. No exited instance is left, so no CrashLoopBackOff applies; the new
//!    instances' restart counts come from the container log directory (`startContainer`:
//!    `calcRestartCountByLogDir`), for which podsim reads the restart count of the status it last
//!    generated (the removed instance's count + 1, as the kubelet shows it).
//!
//! The reset is SyncPod's step 3 in kuberuntime_manager.go of
//! OchukoWH/kubernetes@c8cba6c9cd150c14200d047bea241e23d9698dd6 (a fork after v1.35, read_file id
//! 70641482340); the requeue is kubelet.go's (id 54300650048).

use crate::coverage::Probe;
use crate::gates::FeatureGates;
use crate::status::restart_all::restarting_condition_true;
use crate::status::PodStatusReport;

use super::kill::{StopContainer, MINIMUM_GRACE_PERIOD_SECONDS};
use super::sync_run::Step;
use super::Kubelet;
use crate::actions::PodActions;

/// The message SyncPod gives `killContainer` for a reset's kill (its Killing event's message).
const KILL_MESSAGE: &str = "killing";

/// `Kubelet.SyncPod`: `restartingAllContainers`, with the gate on, is the `AllContainersRestarting`
/// condition of the status just generated.
pub(super) fn restarting_all_containers(gates: &FeatureGates, status: &PodStatusReport) -> bool {
    gates.restart_all_containers_on_container_exits && restarting_condition_true(Some(status))
}

/// The reset half of the runtime's `SyncPod`: for each container of `containersToReset`, in order,
/// kill it if it runs (no grace period beyond the kubelet's floor), then remove it; then the requeue.
pub(super) fn reset_steps(actions: &PodActions) -> Vec<Step> {
    let mut steps = Vec::new();
    for reset in &actions.containers_to_reset {
        if reset.kill {
            steps.push(Step::StopContainers(vec![StopContainer {
                id: reset.id.clone(),
                name: reset.name.clone(),
                grace_seconds: MINIMUM_GRACE_PERIOD_SECONDS,
                message: KILL_MESSAGE.to_string(),
            }]));
        }
        steps.push(Step::RemoveContainers(vec![reset.id.clone()]));
    }
    if !actions.containers_to_reset.is_empty() {
        steps.push(Step::RequeueAfterReset);
    }
    steps
}

/// The restart count of a container that has no instance in the runtime, as `calcRestartCountByLogDir`
/// finds it: the count the kubelet last showed for it (0 if none).
pub(super) fn restart_count_by_log_dir(last_status: Option<&PodStatusReport>, name: &str) -> u32 {
    last_status.and_then(|s| s.container(name)).map_or(0, |c| c.restart_count)
}

impl Kubelet {
    /// The reset removed the containers without an error: sync the pod again at once.
    pub(super) fn requeue_after_reset(&mut self, uid: &str) {
        if let Some(w) = self.workers.get_mut(uid) {
            w.sync_requested = true;
            self.probes_hit.hit(Probe::SyncRestartAllRequeued);
        }
    }
}

/// The status just generated ends an in-place restart: the old status held `AllContainersRestarting`
/// True, the new one does not.
pub(super) fn restart_all_cleared(old: Option<&PodStatusReport>, new: &PodStatusReport) -> bool {
    restarting_condition_true(old) && !restarting_condition_true(Some(new))
}
