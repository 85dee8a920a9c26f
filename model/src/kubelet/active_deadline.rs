//! The active deadline handler (pkg/kubelet/active_deadline.go): a pod whose
//! `spec.activeDeadlineSeconds` have passed since its start time is evicted by its own kubelet.
//!
//! `pastActiveDeadline`: the pod has a deadline and a start time, and now - start >= deadline.
//! `ShouldEvict` (consulted by `generateAPIPodStatus`) then turns the status Failed with reason
//! `DeadlineExceeded` and the message below, and records a Normal `DeadlineExceeded` event with the
//! same message on the pod; `SyncPod` finds the phase terminal and the pod worker terminates the pod
//! (its containers are killed with the pod's grace period; the object stays, Failed). `ShouldSync`
//! makes the sync loop's one-second tick (`syncTicker`) dispatch a sync once the deadline passed, and
//! again at every tick while the pod is in the API and its worker unfinished (`Kubelet::on_active_deadline`).
//!
//! The start time is the one the status manager gave the pod's first status (`updateStatusInternal`:
//! the first `SetPodStatus`), kept by the pod's worker. After a kubelet restart it is the API
//! object's `status.startTime`, as the real status manager and `pastActiveDeadline` read it
//! (`PodWorker::known_start_time`), so a restart does not move the deadline.

use crate::pod::Pod;
use crate::runtime::Millis;

/// `reason`: the status reason and the event's.
pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";
/// `message`: the status message and the event's.
pub const DEADLINE_EXCEEDED_MESSAGE: &str = "Pod was active on the node longer than the specified deadline";

/// When the pod's active deadline passes, if it has one and a start time.
pub fn active_deadline_at(pod: &Pod, start_time: Option<Millis>) -> Option<Millis> {
    let seconds = u64::try_from(pod.spec.active_deadline_seconds?).ok()?;
    Some(start_time?.saturating_add(seconds.saturating_mul(1000)))
}

/// `pastActiveDeadline`: no deadline or no start time is never past; otherwise now - start >= deadline.
pub fn past_active_deadline(pod: &Pod, start_time: Option<Millis>, now: Millis) -> bool {
    active_deadline_at(pod, start_time).is_some_and(|at| now >= at)
}

/// The period of the kubelet's `syncTicker`: the sync loop looks for pods to sync every second.
pub const SYNC_TICK: Millis = 1_000;

/// The first tick of the kubelet's one-second `syncTicker` (started with the kubelet) at or after
/// `at`: when the sync loop sees `ShouldSync` and dispatches the pod's sync.
pub fn sync_tick_at_or_after(kubelet_started: Millis, at: Millis) -> Millis {
    let since = at.saturating_sub(kubelet_started);
    kubelet_started + since.div_ceil(SYNC_TICK) * SYNC_TICK
}

/// Ported from pkg/kubelet/active_deadline_test.go `TestActiveDeadlineHandler` (read_file id
/// 17790171): four pods started a minute ago; the fourth has no start time.
#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 600_000;
    const STARTED: Millis = NOW - 60_000;

    fn pod(deadline: Option<i64>) -> Pod {
        let mut p = Pod::new("p", "u", "n");
        p.spec_mut().active_deadline_seconds = deadline;
        p
    }

    // "this pod has exceeded its active deadline" (30 s): ShouldSync and ShouldEvict are true.
    #[test]
    fn exceeded() {
        assert!(past_active_deadline(&pod(Some(30)), Some(STARTED), NOW));
    }

    // "this pod has not exceeded its active deadline" (120 s).
    #[test]
    fn not_yet() {
        assert!(!past_active_deadline(&pod(Some(120)), Some(STARTED), NOW));
    }

    // "this pod has no deadline".
    #[test]
    fn no_deadline() {
        assert!(!past_active_deadline(&pod(None), Some(STARTED), NOW));
    }

    // pods[3]: no start time ("we have no start time so just return").
    #[test]
    fn no_start_time() {
        assert!(!past_active_deadline(&pod(Some(30)), None, NOW));
    }

    /// `duration >= allowedDuration`: the deadline's own instant is past it.
    #[test]
    fn the_deadline_instant_counts() {
        assert!(past_active_deadline(&pod(Some(60)), Some(STARTED), NOW));
        assert!(!past_active_deadline(&pod(Some(60)), Some(STARTED), NOW - 1));
    }

    #[test]
    fn the_sync_tick_rounds_up_to_the_kubelets_second() {
        assert_eq!(sync_tick_at_or_after(250, 10_250), 10_250);
        assert_eq!(sync_tick_at_or_after(250, 10_251), 11_250);
        assert_eq!(sync_tick_at_or_after(0, 0), 0);
    }
}
