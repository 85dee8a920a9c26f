//! Stopping a pod's containers and sandboxes (pkg/kubelet/kuberuntime/kuberuntime_container.go
//! `killContainer`, `killContainersWithSyncResult`; kuberuntime_manager.go `killPodWithSyncResult`),
//! for `SyncPod`'s steps 2 and 3 and for `SyncTerminatingPod`.
//!
//! A container is stopped with its grace period (`StopContainer`'s timeout); its `Killing` event is
//! recorded first. The pod's sandboxes are stopped after every container; stopping a sandbox whose
//! pause process died still tears down its network. A container or sandbox already gone counts as
//! stopped. The failed kills of a terminating pod are reported as one `FailedKillPod` event.

use serde::{Deserialize, Serialize};

use super::sync_run::Step;
use super::{event_sites, Kubelet, KubeletBug};
use crate::actions::PodActions;
use crate::coverage::Probe;
use crate::io::{CallId, CriError, CriReply, CriRequest, Output, WorkerState};
use crate::pod::Pod;
use crate::runtime::{ContainerState, Millis};

/// The kubelet never gives a container less than this to stop when it kills it during a sync
/// (`minimumGracePeriodInSeconds`).
pub(super) const MINIMUM_GRACE_PERIOD_SECONDS: i64 = 2;

/// One container to stop, with the message of its Killing event ("" for the default, `Stopping
/// container <name>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct StopContainer {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) grace_seconds: i64,
    pub(super) message: String,
}

/// The grace period of a kill within `SyncPod` (the pod's, at least `minimumGracePeriodInSeconds`).
pub(super) fn sync_grace_seconds(pod: &Pod) -> i64 {
    pod.grace_period_seconds().max(MINIMUM_GRACE_PERIOD_SECONDS)
}

/// Step 3 of `SyncPod`: the containers `computePodActions` found should not run, each with the
/// message of why.
pub(super) fn stop_containers_to_kill(actions: &PodActions, grace_seconds: i64) -> Step {
    Step::StopContainers(
        actions
            .containers_to_kill
            .iter()
            .map(|k| StopContainer {
                id: k.id.clone(),
                name: k.name.clone(),
                grace_seconds,
                message: k.message.clone(),
            })
            .collect(),
    )
}

/// `SyncTerminatingPod`: read the runtime, kill the pod with the deletion's grace period (at least
/// 1 s, as pod_workers.go enforces), then the worker is terminated.
pub(super) fn terminating_steps(pod: &Pod) -> Vec<Step> {
    let grace = pod.grace_period_seconds().max(1);
    vec![Step::ReadRuntime, Step::KillPod { grace_seconds: grace }, Step::MarkTerminated]
}

/// Which kind of object a stop was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stopped {
    Container,
    Sandbox,
}

impl Kubelet {
    /// `killPodWithSyncResult`: stop every container that may run, then every sandbox of the pod,
    /// from the runtime state just read.
    pub(super) fn kill_pod(&mut self, uid: &str, grace_seconds: i64) {
        let run = self.sync_mut(uid).expect("the KillPod step runs within a sync");
        let stops: Vec<StopContainer> = run
            .runtime
            .containers
            .iter()
            .filter(|c| c.state != ContainerState::Exited)
            .map(|c| StopContainer {
                id: c.id.clone(),
                name: c.name.clone(),
                grace_seconds,
                message: String::new(),
            })
            .collect();
        let sandboxes: Vec<String> = run.runtime.sandboxes.iter().map(|s| s.id.clone()).collect();
        let terminating = run.kind == WorkerState::Terminating;
        let killing_running = terminating && !stops.is_empty();
        // Containers stop before their sandbox.
        let mut steps = [Step::StopContainers(stops), Step::StopSandboxes(sandboxes)];
        if self.config.bugs.has(KubeletBug::SandboxStoppedBeforeContainers) {
            // Before kubernetes#9765 the infra container was killed with the others, and could go first.
            steps.reverse();
        }
        let run = self.sync_mut(uid).expect("the KillPod step runs within a sync");
        run.push_next(steps.into_iter());
        if killing_running {
            self.hit(Probe::TerminateKillRunning);
        }
    }

    /// `killContainer` of each: its event before the pre-stop hook and the stop.
    pub(super) fn stop_containers(
        &mut self,
        uid: &str,
        stops: Vec<StopContainer>,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        for stop in stops {
            self.event_killing(uid, &stop.name, &stop.message, now, out);
            let request =
                CriRequest::StopContainer { container_id: stop.id, timeout_seconds: stop.grace_seconds };
            self.call_about(uid, stop.name, out, |call| Output::Cri { call, request });
        }
    }

    /// `StopPodSandbox` of each.
    pub(super) fn stop_sandboxes(&mut self, uid: &str, ids: Vec<String>, out: &mut Vec<Output>) {
        for sandbox_id in ids {
            self.cri(uid, out, CriRequest::StopPodSandbox { sandbox_id });
        }
    }

    /// A stop was answered: stopped, or gone already; otherwise the sync fails, and a terminating
    /// pod's kill result names the container (or the pod, for a sandbox).
    pub(super) fn on_stopped(&mut self, uid: &str, call: CallId, what: Stopped, reply: CriReply) {
        match reply {
            CriReply::Ok | CriReply::Err(CriError::NotFound) => {}
            failure => {
                self.hit(match what {
                    Stopped::Container => Probe::SyncFailStopContainer,
                    Stopped::Sandbox => Probe::SyncFailStopSandbox,
                });
                let Some(w) = self.workers.get_mut(uid) else { return };
                let in_api = w.in_api;
                let Some(run) = w.sync.as_mut() else { return };
                let container = run.subjects.remove(&call);
                if run.kind == WorkerState::Terminating && in_api {
                    run.kill_failures.push(event_sites::kill_failure(container.as_deref(), uid, &failure));
                }
                self.fail(uid, format!("stop or remove: {failure:?}"));
            }
        }
    }
}
