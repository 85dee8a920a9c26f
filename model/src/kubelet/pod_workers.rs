//! When a pod worker syncs a pod again after a sync (pkg/kubelet/pod_workers.go `completeWork`): the
//! work queue entry it sets, as a base delay and a jitter factor that the world draws.

use serde::{Deserialize, Serialize};

use crate::backoff::Jitter;
use crate::runtime::Millis;

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
