//! The status manager (pkg/kubelet/status/status_manager.go) and the status a sync hands it
//! (kubelet_pods.go `generateAPIPodStatus`).
//!
//! Each sync's `Plan` step generates the pod's API status from the runtime state just read
//! (`SyncPod` → `generateAPIPodStatus` → `statusManager.SetPodStatus`). The status manager writes a
//! changed status beside the syncs (no sync waits for the write), one write of a pod at a time with
//! the newest last, so an older status never lands after a newer one; a failed write is sent again
//! by its periodic sync (`syncBatch`, every [`STATUS_SYNC_PERIOD`]) unless a newer one comes first.

use super::active_deadline::{
    active_deadline_at, past_active_deadline, sync_tick_at_or_after, DEADLINE_EXCEEDED,
    DEADLINE_EXCEEDED_MESSAGE,
};
use super::{restart_all, CallOwner, Kubelet, KubeletBug, STATUS_SYNC_PERIOD};
use crate::coverage::Probe;
use crate::events::EventType;
use crate::io::{ApiReply, ApiRequest, Output, PodRef, Timer};
use crate::pod::Pod;
use crate::runtime::Millis;
use crate::status::PodPhase;
use crate::status::{generate_api_pod_status, keep_api_terminal_phase, PodStatusReport, StatusContext};
use serde::{Deserialize, Serialize};

/// `status.startTime` of the pod as the API server holds it, if it has one.
pub(super) fn api_start_time(pod: &Pod) -> Option<Millis> {
    pod.status.as_ref()?.start_time
}

/// What the status manager was handed by a sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Reported {
    /// The status's phase is Succeeded or Failed.
    pub terminal: bool,
    /// It is the first status the worker generated (the worker's first sync).
    pub first: bool,
    /// `Kubelet.SyncPod`'s `restartAllContainers`: the status's `AllContainersRestarting` condition
    /// (restart_all.rs).
    pub restart_all_containers: bool,
}

impl Kubelet {
    /// `generateAPIPodStatus` for the runtime state the sync read, then `SetPodStatus`: a status
    /// that differs from the last one is written (or waits for the write in flight).
    pub(super) fn report_status(
        &mut self,
        uid: &str,
        pod_is_terminal: bool,
        now: Millis,
        out: &mut Vec<Output>,
    ) -> Reported {
        let kubelet_started = self.started_at;
        // The status manager's resize conditions (`GetPodResizeConditions`), appended last.
        let resize_conditions = if self.config.feature_gates.in_place_pod_vertical_scaling {
            self.allocation.conditions(uid)
        } else {
            Vec::new()
        };
        let w = self.workers.get_mut(uid).expect("a sync's step runs for a pod with a worker");
        // updateStatusInternal: the pod's start time is the old status's (the status manager's, else
        // the API server's), or the first status's; it then never changes.
        let start_time = *w.start_time.get_or_insert(api_start_time(&w.pod).unwrap_or(now));
        let run = w.sync.as_ref().expect("the Plan step runs within a sync");
        let context = StatusContext {
            reasons: &w.start_failures,
            // `oldPodStatus`: the status manager's, else the API server's (`pod.Status`).
            old_status: w.last_status.as_ref().or(w.pod.status.as_deref()),
            probes: &self.probes,
            gates: self.config.feature_gates,
            pod_is_terminal,
        };
        let mut status = generate_api_pod_status(&w.pod, &run.runtime, &context);
        if self.config.bugs.has(KubeletBug::TerminalPhaseRegression) {
            // Before kubernetes#59767: the phase `getPhase` computed, even after a terminal one (the
            // status manager's or the API server's).
            let unguarded = StatusContext { old_status: None, ..context };
            let without_api_status = Pod { status: None, ..w.pod.clone() };
            status.phase = generate_api_pod_status(&without_api_status, &run.runtime, &unguarded).phase;
        }
        status.conditions.extend(resize_conditions);
        // generateAPIPodStatus asks the pod sync handlers (the active deadline handler's
        // ShouldEvict) last: past its deadline the pod is Failed.
        let evict = past_active_deadline(&w.pod, Some(start_time), now);
        if evict {
            status.phase = PodPhase::Failed;
            status.reason = DEADLINE_EXCEEDED.to_string();
            status.message = DEADLINE_EXCEEDED_MESSAGE.to_string();
            if !self.config.bugs.has(KubeletBug::TerminalPhaseRegression) {
                keep_api_terminal_phase(&w.pod, &mut status);
            }
        }
        status.start_time = Some(start_time);
        let deadline = active_deadline_at(&w.pod, Some(start_time)).filter(|&at| at > now);
        if restart_all::restart_all_cleared(w.last_status.as_ref(), &status) {
            self.probes_hit.hit(Probe::StatusRestartAllCleared);
        }
        let reported = Reported {
            terminal: status.phase.is_terminal(),
            first: w.last_status.is_none(),
            restart_all_containers: restart_all::restarting_all_containers(
                &self.config.feature_gates,
                &status,
            ),
        };
        if let Some(at) = deadline {
            // ShouldSync: the sync loop's tick dispatches a sync once the deadline passed.
            self.arm_deadline_tick(uid, sync_tick_at_or_after(kubelet_started, at), out);
        }
        if evict {
            self.probes_hit.hit(Probe::StatusActiveDeadline);
            let message = DEADLINE_EXCEEDED_MESSAGE.to_string();
            self.pod_event(uid, EventType::Normal, DEADLINE_EXCEEDED, message, now, out);
        }
        let w = self.workers.get_mut(uid).expect("a sync's step runs for a pod with a worker");
        if w.last_status.as_ref() != Some(&status) {
            w.last_status = Some(status.clone());
            if w.status_in_flight.is_some() {
                self.probes_hit.hit(Probe::StatusWriteQueued);
                w.status_pending = Some(status);
            } else {
                self.send_status(uid, status, out);
            }
        }
        reported
    }

    /// The status manager writes a status (beside the sync: no sync waits for it).
    fn send_status(&mut self, uid: &str, status: PodStatusReport, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        w.status_in_flight = Some(status.clone());
        w.status_failed = None;
        let pod_ref = PodRef::of(&w.pod);
        let call = self.call_id(CallOwner::StatusUpdate(uid.to_string()));
        out.push(Output::Api { call, request: ApiRequest::UpdatePodStatus { pod: pod_ref, status } });
    }

    /// A status write was answered (`Ok` is the only success): send the newer one that waited. A
    /// failed write is sent again by the status manager's next periodic sync, unless a sync has a
    /// newer status first.
    pub(super) fn on_status_reply(
        &mut self,
        uid: &str,
        reply: &ApiReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let ok = matches!(reply, ApiReply::Ok);
        let Some(w) = self.workers.get_mut(uid) else { return };
        let sent = w.status_in_flight.take();
        if let Some(next) = w.status_pending.take() {
            self.send_status(uid, next, out);
            return;
        }
        if !ok {
            self.probes_hit.hit(Probe::StatusWriteFailed);
            w.status_failed = sent;
            let timer = Timer::StatusRetry { pod_uid: uid.to_string() };
            out.push(Output::SetTimer { at: now + STATUS_SYNC_PERIOD, timer });
        }
        // Every write is answered: a release that waited for them goes on.
        if let Some(run) = w.sync.as_mut().filter(|run| run.awaiting_status) {
            run.awaiting_status = false;
            self.advance(uid, now, out);
        }
    }

    /// The status manager's periodic sync: a status whose write failed is written again.
    pub(super) fn retry_status(&mut self, uid: &str, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.status_in_flight.is_some() {
            return;
        }
        if let Some(status) = w.status_failed.take() {
            self.send_status(uid, status, out);
        }
    }
}
