//! The pod workers (pkg/kubelet/pod_workers.go): one worker per pod, in one of three states
//! (syncing, terminating, terminated), running one sync at a time (`podWorkerLoop`), taking the
//! newest version of the pod at the start of each (`UpdatePod`'s pending update), and, when a sync
//! ends, setting when the pod syncs again (`completeWork`: the work queue entry, as a base delay and a
//! jitter factor that the world draws).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::bugs::KubeletBugs;
use super::kill::terminating_steps;
use super::sync_pod::sync_pod_steps;
use super::sync_run::{Step, SyncRun};
use super::terminated::terminated_steps;
use super::Kubelet;
use crate::backoff::Jitter;
use crate::coverage::Probe;
use crate::io::{Decision, Output, ProbeKind, Timer, WorkerState};
use crate::pod::Pod;
use crate::runtime::Millis;
use crate::status::PodStatusReport;

/// How the pod workers retry a sync that failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FailedSyncRequeue {
    /// When the earliest CrashLoopBackOff of the sync ends (its `BackoffError`), clamped to
    /// `[0, sync frequency]`; after the back-off period if no container was backing off. Kubernetes
    /// 1.35 and later (kubernetes/kubernetes#133066, "Propagate backoff duration for crashloop
    /// backoff").
    #[default]
    AtBackOffExpiry,
    /// After the back-off period (10 s), whatever backoff made the sync fail: Kubernetes up to 1.34.
    /// A container whose backoff ends is restarted at the first retry after that.
    AfterWorkerBackOff,
}

/// The timing `completeWork` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RequeueTiming {
    /// `resyncInterval` (`--sync-frequency`).
    pub resync: Millis,
    /// `workerResyncIntervalJitterFactor`.
    pub resync_jitter: Jitter,
    /// `backOffPeriod`.
    pub back_off: Millis,
    /// `workerBackOffPeriodJitterFactor`.
    pub back_off_jitter: Jitter,
    /// Which release's rule a failed sync follows.
    pub failed_sync: FailedSyncRequeue,
}

/// How a sync ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SyncEnd {
    /// It succeeded.
    Succeeded,
    /// It failed; if containers were backing off (CrashLoopBackOff), when the earliest backoff ends
    /// (`MinBackoffExpiration` of the sync's error).
    Failed {
        /// The earliest end of a CrashLoopBackOff the sync met.
        backoff_expiry: Option<Millis>,
    },
}

/// A work queue entry: due after `delay` plus a jitter drawn from `[0, delay · jitter)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Requeue {
    pub delay: Millis,
    pub jitter: Jitter,
}

/// `completeWork` for a sync that did not change the worker's phase (a phase transition is queued at
/// once, without jitter: the kubelet goes straight on to the next phase's sync).
pub(crate) fn requeue(timing: &RequeueTiming, now: Millis, end: SyncEnd) -> Requeue {
    match end {
        SyncEnd::Succeeded => Requeue { delay: timing.resync, jitter: timing.resync_jitter },
        SyncEnd::Failed { backoff_expiry } => {
            let delay = match (timing.failed_sync, backoff_expiry) {
                (FailedSyncRequeue::AtBackOffExpiry, Some(at)) => at.saturating_sub(now).min(timing.resync),
                _ => timing.back_off,
            };
            Requeue { delay, jitter: timing.back_off_jitter }
        }
    }
}

/// One pod's worker (`podSyncStatus` with its pending and active updates).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct PodWorker {
    /// The pod the worker syncs (the pod worker's active update; for a pod known only from the
    /// runtime, a stub with no containers). Its UID is the worker's key.
    pub(super) pod: Pod,
    /// A newer version that arrived during a sync, for the next sync (the pending update).
    pub(super) pending_pod: Option<Pod>,
    /// Whether the API server still has the pod.
    pub(super) in_api: bool,
    pub(super) state: WorkerState,
    pub(super) sync: Option<SyncRun>,
    /// Work arrived while a sync ran: sync again when it ends.
    pub(super) sync_requested: bool,
    /// Deletion arrived while a sync ran: terminate when the current step ends.
    pub(super) terminate_requested: bool,
    /// The last start failure of each container (the kubelet's reason cache).
    pub(super) start_failures: BTreeMap<String, (String, String)>,
    pub(super) last_status: Option<PodStatusReport>,
    /// The status whose write is in flight.
    pub(super) status_in_flight: Option<PodStatusReport>,
    /// A newer status waiting for the one in flight.
    pub(super) status_pending: Option<PodStatusReport>,
    /// A status whose write failed, for the status manager's next periodic sync.
    pub(super) status_failed: Option<PodStatusReport>,
    pub(super) mounted: BTreeSet<String>,
    /// The pod is terminal (Succeeded/Failed) and not deleted: once terminated, only its volumes go.
    pub(super) terminal_only: bool,
    /// The pod's work queue entry (the generation of its [`Timer::PodSync`]).
    pub(super) queued: Option<u64>,
    /// The pod's start time: when the status manager took its first status (active_deadline.rs).
    pub(super) start_time: Option<Millis>,
    /// The sync loop's tick armed for the pod's active deadline (active_deadline.rs), if any.
    pub(super) deadline_tick: Option<Millis>,
    /// Terminated and cleaned up (`IsFinished`): the sync loop's ticks no longer update it.
    pub(super) finished: bool,
}

impl PodWorker {
    pub(super) fn new(pod: Pod, in_api: bool, state: WorkerState) -> PodWorker {
        PodWorker {
            pod,
            pending_pod: None,
            in_api,
            state,
            sync: None,
            sync_requested: false,
            terminate_requested: false,
            start_failures: BTreeMap::new(),
            last_status: None,
            status_in_flight: None,
            status_pending: None,
            status_failed: None,
            mounted: BTreeSet::new(),
            terminal_only: false,
            queued: None,
            start_time: None,
            deadline_tick: None,
            finished: false,
        }
    }

    /// Deleted in the API, gone from it, or known only from the runtime.
    pub(super) fn is_deleted(&self) -> bool {
        !self.in_api || self.pod.deletion_timestamp.is_some()
    }

    /// The pod's start time as the status manager holds it, or else as the API server does (the
    /// active deadline handler's `pastActiveDeadline`: the status manager's status, else `pod.Status`).
    pub(super) fn known_start_time(&self) -> Option<Millis> {
        self.start_time.or_else(|| super::status_manager::api_start_time(self.latest()))
    }

    /// The newest version of the pod the kubelet has (the pod manager's).
    pub(super) fn latest(&self) -> &Pod {
        self.pending_pod.as_ref().unwrap_or(&self.pod)
    }

    /// Stores a newer version: a sync in progress keeps the version it started with (as the kubelet's
    /// pod worker does), and the next sync takes the newer one.
    pub(super) fn store(&mut self, pod: Pod) {
        if self.sync.is_some() || self.pending_pod.is_some() {
            self.pending_pod = Some(pod);
        } else {
            self.pod = pod;
        }
    }

    /// The steps of a sync of the worker's state: `SyncPod`, `SyncTerminatingPod` or
    /// `SyncTerminatedPod` (with the cleanup).
    fn steps(&self, bugs: KubeletBugs) -> Vec<Step> {
        match self.state {
            WorkerState::Syncing => sync_pod_steps(&self.pod),
            WorkerState::Terminating => terminating_steps(&self.pod),
            WorkerState::Terminated => terminated_steps(self, bugs),
        }
    }
}

impl Kubelet {
    /// `UpdatePod` with work for a syncing worker: sync now, or after the sync in progress. A
    /// finished pod's worker takes no more work ("Pod is finished processing, no further updates");
    /// only a deletion (`request_termination`) brings its cleanup back.
    pub(super) fn request_sync(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.finished {
            return;
        }
        if w.sync.is_some() {
            w.sync_requested = true;
        } else {
            self.start_sync(uid, now, out);
        }
    }

    /// `UpdatePod` with a deletion (or the pod gone from the API): terminate, at once or when the
    /// sync in progress finishes its current step.
    pub(super) fn request_termination(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        match w.state {
            WorkerState::Syncing => {
                if w.in_api {
                    self.probes_hit.hit(Probe::TerminateGracefulDelete);
                }
                if w.sync.is_some() {
                    self.probes_hit.hit(Probe::TerminateDuringSync);
                    w.terminate_requested = true;
                } else {
                    self.enter(uid, WorkerState::Terminating, out);
                    self.start_sync(uid, now, out);
                }
            }
            // Terminating already, or terminated: clean up (again) if it was only terminal before.
            WorkerState::Terminating | WorkerState::Terminated => {
                w.terminal_only = false;
                w.finished = false;
                self.request_sync(uid, now, out);
            }
        }
    }

    /// The worker moves to `state` (a decision the trace shows).
    pub(super) fn enter(&mut self, uid: &str, state: WorkerState, out: &mut Vec<Output>) {
        if let Some(w) = self.workers.get_mut(uid) {
            if w.state != state {
                w.state = state;
                out.push(Output::Decision(Decision::Worker { pod_uid: uid.to_string(), state }));
            }
        }
        // SyncTerminatingPod stops the liveness and startup probes first (`StopLivenessAndStartup`);
        // once the pod is terminated, the readiness probes go too (`RemovePod`).
        match state {
            WorkerState::Syncing => {}
            WorkerState::Terminating => {
                self.stop_probe_workers(uid, &[ProbeKind::Liveness, ProbeKind::Startup]);
            }
            WorkerState::Terminated => {
                self.stop_probe_workers(
                    uid,
                    &[ProbeKind::Liveness, ProbeKind::Startup, ProbeKind::Readiness],
                );
            }
        }
    }

    /// `podWorkerLoop` takes the pending update and runs the sync of the worker's state.
    pub(super) fn start_sync(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let bugs = self.config.bugs;
        let Some(w) = self.workers.get_mut(uid) else { return };
        debug_assert!(w.sync.is_none(), "a pod worker runs one sync at a time");
        if let Some(newer) = w.pending_pod.take() {
            w.pod = newer;
        }
        w.sync_requested = false;
        w.queued = None;
        w.sync = Some(SyncRun::new(w.state, w.steps(bugs)));
        self.advance(uid, now, out);
    }

    /// Runs steps until one waits for replies or the sync ends.
    pub(super) fn advance(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        loop {
            let Some(w) = self.workers.get_mut(uid) else { return };
            let Some(run) = w.sync.as_mut() else { return };
            run.now = now;
            if run.is_waiting() {
                return;
            }
            run.step_done();
            if run.error.is_some() {
                run.queue.clear();
            }
            if w.terminate_requested && w.state == WorkerState::Syncing {
                // Deleted mid-sync: the current step is done, so nothing is in flight; terminate.
                w.terminate_requested = false;
                w.sync = None;
                self.enter(uid, WorkerState::Terminating, out);
                self.start_sync(uid, now, out);
                return;
            }
            let Some(step) = run.queue.pop_front() else {
                self.finish_sync(uid, now, out);
                return;
            };
            self.run_step(uid, step, now, out);
        }
    }

    /// `completeWork`: report a failure, then the next sync: a sync asked for meanwhile, or the work
    /// queue's entry (none for a pod cleaned up).
    fn finish_sync(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let Some(run) = self.workers.get_mut(uid).and_then(|w| w.sync.take()) else { return };
        if let Some(error) = &run.error {
            out.push(Output::Decision(Decision::SyncFailed {
                pod_uid: uid.to_string(),
                error: error.clone(),
            }));
        }
        if !run.kill_failures.is_empty() {
            self.event_kill_pod_failed(uid, &run.kill_failures, now, out);
        }
        let Some(w) = self.workers.get_mut(uid) else { return };
        if run.kind == WorkerState::Terminated && run.error.is_none() && !w.terminal_only && !w.in_api {
            self.forget(uid);
            return;
        }
        // A termination asked for during the sync was taken up by `advance` before the last step.
        debug_assert!(!w.terminate_requested, "a termination request outlived its sync");
        if run.kind == WorkerState::Terminated && run.error.is_none() && w.terminal_only {
            // A terminal pod cleaned up is finished (`completeTerminated`): work asked for meanwhile
            // (a relist's event, a deadline tick) is dropped, as `UpdatePod` drops it for a finished
            // pod; a deletion would have cleared `terminal_only`.
            w.finished = true;
            w.sync_requested = false;
            return;
        }
        if w.sync_requested {
            self.start_sync(uid, now, out);
            return;
        }
        if run.error.is_none() && w.state == WorkerState::Terminated {
            // Terminated and cleaned up: nothing more until the API object changes.
            w.finished = true;
            return;
        }
        let entry = requeue(&self.config.requeue_timing(), now, run.end());
        self.enqueue(uid, entry, out);
    }

    /// Sets the pod's work queue entry (`workQueue.Enqueue`), replacing any earlier one.
    fn enqueue(&mut self, uid: &str, entry: Requeue, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        self.next_generation += 1;
        let generation = self.next_generation;
        w.queued = Some(generation);
        out.push(Output::SetJitteredTimer {
            delay: entry.delay,
            jitter: entry.jitter,
            timer: Timer::PodSync { pod_uid: uid.to_string(), generation },
        });
    }

    /// The work queue's entry of a pod came due: only its newest entry counts (the queue keeps one
    /// per pod), and only while no sync runs.
    pub(super) fn on_pod_sync_timer(
        &mut self,
        uid: &str,
        generation: u64,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let due = self.workers.get(uid).is_some_and(|w| w.sync.is_none() && w.queued == Some(generation));
        if due {
            self.start_sync(uid, now, out);
        }
    }
}

/// Ported from pkg/kubelet/pod_workers_test.go `TestCompleteWork_Enqueue` (added with
/// kubernetes/kubernetes#133066, Kubernetes 1.35; the Go file is not in the search index, so the cases
/// were read from a case-for-case port of it, read_file id 54691027857): resync 20 s, back-off 10 s,
/// clock at 1 s (10 s here); each case's delay must lie in `[min, min + min · jitter]`. Here the jitter is drawn by
/// the world, so each case checks the base delay and the factor.
///
/// Not ported: "phase transition requeues for immediate processing" (podsim starts the next phase's
/// sync at once instead of queueing it) and the three NetworkNotReady cases ("NetworkNotReadyError
/// uses backOffOnTransientErrorPeriod", "Aggregate with NetworkNotReadyError", "Aggregate with
/// NetworkNotReadyError and BackoffError"): podsim's node has no network plugin to be not ready.
/// "Aggregate error with one BackoffError uses its backoff" and "... multiple BackoffErrors uses
/// minimum backoff" are one case here: the sync keeps only the earliest backoff end.
#[cfg(test)]
mod tests {
    use super::*;

    /// The Go test's fake clock starts at 1 s; 10 s here, so that 5 s in the past is a time.
    const NOW: Millis = 10_000;

    fn timing(failed_sync: FailedSyncRequeue) -> RequeueTiming {
        RequeueTiming {
            resync: 20_000,
            resync_jitter: Jitter::HALF,
            back_off: 10_000,
            back_off_jitter: Jitter::HALF,
            failed_sync,
        }
    }

    fn after(end: SyncEnd) -> Requeue {
        requeue(&timing(FailedSyncRequeue::AtBackOffExpiry), NOW, end)
    }

    fn failed(backoff_expiry: Option<Millis>) -> SyncEnd {
        SyncEnd::Failed { backoff_expiry }
    }

    // "no error uses regular resync interval"
    #[test]
    fn no_error_uses_the_regular_resync_interval() {
        assert_eq!(after(SyncEnd::Succeeded), Requeue { delay: 20_000, jitter: Jitter::HALF });
    }

    // "generic error uses default backoff"
    #[test]
    fn a_generic_error_uses_the_default_backoff() {
        assert_eq!(after(failed(None)), Requeue { delay: 10_000, jitter: Jitter::HALF });
    }

    // "BackoffError uses error's backoff"; "Aggregate error with one BackoffError uses its backoff";
    // "Aggregate error with multiple BackoffErrors uses minimum backoff"
    #[test]
    fn a_backoff_error_uses_its_backoff() {
        assert_eq!(after(failed(Some(NOW + 5_000))), Requeue { delay: 5_000, jitter: Jitter::HALF });
        assert_eq!(after(failed(Some(NOW + 3_000))).delay, 3_000);
    }

    // "BackoffError in the past enqueues for immediate processing with jitter"
    #[test]
    fn a_backoff_error_in_the_past_enqueues_at_once_with_jitter() {
        assert_eq!(after(failed(Some(NOW - 5_000))), Requeue { delay: 0, jitter: Jitter::HALF });
    }

    // "Excessively long backoff duration enqueues for the maximum allowed"
    #[test]
    fn an_excessively_long_backoff_enqueues_for_the_resync_interval() {
        assert_eq!(after(failed(Some(NOW + 40_000))), Requeue { delay: 20_000, jitter: Jitter::HALF });
    }

    /// Kubernetes up to 1.34: every failed sync is retried after the back-off period, backing off or
    /// not (pod_workers.go before #133066).
    #[test]
    fn up_to_1_34_a_failed_sync_waits_the_back_off_period_whatever_its_backoff() {
        let t = timing(FailedSyncRequeue::AfterWorkerBackOff);
        assert_eq!(
            requeue(&t, NOW, failed(Some(NOW + 3_000))),
            Requeue { delay: 10_000, jitter: Jitter::HALF }
        );
        assert_eq!(requeue(&t, NOW, failed(Some(NOW + 40_000))).delay, 10_000);
        assert_eq!(requeue(&t, NOW, SyncEnd::Succeeded).delay, 20_000);
    }
}
