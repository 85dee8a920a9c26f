//! A list/watch of one kind of object, as client-go's reflector runs it (tools/cache/reflector.go):
//! list, then watch from the list's resource version; between failed attempts, the backoff manager's
//! delay (800 ms doubling to 30 s, jitter 1.0, reset after 2 minutes of quiet).
//!
//! Nothing resets the backoff when a list or watch succeeds: only 2 minutes without asking for a
//! delay start it over at 800 ms (`exponentialBackoffManagerImpl.getNextBackoff`). A watch that ends
//! normally is opened again at once, without a list and without backing off.
//!
//! The kubelet runs one for its pods (the pod config's source) and one per Secret a pod references
//! (the watch-based Secret manager). [`ListWatch`] only decides what to ask next; the kubelet issues
//! the requests and timers: for the pods below ([`Kubelet::pods_next`]), for Secrets in
//! [`super::secret_manager`].

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{CallOwner, Kubelet};
use crate::backoff::{BackoffManager, Jitter};
use crate::coverage::Probe;
use crate::io::{ApiError, ApiReply, ApiRequest, Output, Timer, WatchEvent};
use crate::runtime::Millis;

/// A watch that ends sooner than this after it opened, having delivered no event, is an error
/// ("very short watch" in `handleAnyWatch`): the reflector backs off and lists again.
const SHORT_WATCH: Millis = 1_000;

/// What the reflector asks for next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// List.
    List,
    /// Watch from this resource version.
    Watch(u64),
    /// Wait this long (the backoff manager's delay, to be jittered by 1.0), then ask again.
    Wait(Millis),
    /// Nothing (a request is outstanding, or the watch is open).
    Nothing,
}

/// One reflector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ListWatch {
    resource_version: u64,
    /// A list succeeded at least once: the store is filled (`HasSynced`).
    synced: bool,
    /// `Run` was called.
    started: bool,
    /// A backoff timer is set; a list follows it (every error podsim's API server gives ends
    /// `ListAndWatch`; the watch errors client-go retries without a list, connection refused and 429,
    /// do not occur here).
    waiting: bool,
    /// When the open watch was established, and how many events it delivered.
    watch_opened: Option<(Millis, u64)>,
    backoff: BackoffManager,
}

impl ListWatch {
    /// A reflector created at `now` (its backoff manager's clock starts then).
    pub(crate) fn new(now: Millis) -> ListWatch {
        ListWatch {
            resource_version: 0,
            synced: false,
            started: false,
            waiting: false,
            watch_opened: None,
            backoff: BackoffManager::reflector(now),
        }
    }

    /// Whether a list has filled the store.
    pub(crate) fn has_synced(&self) -> bool {
        self.synced
    }

    /// `Run`: the first list.
    pub(crate) fn start(&mut self) -> Next {
        if self.started {
            return Next::Nothing;
        }
        self.started = true;
        Next::List
    }

    /// `Run` again after the reflector was stopped: the same reflector, with its backoff manager.
    pub(crate) fn restart(&mut self) {
        self.started = false;
        self.waiting = false;
        self.watch_opened = None;
    }

    /// The list came back: `Some(resource_version)` if it succeeded. On success the watch follows at
    /// once; on failure, `ListAndWatch` returns its error and `BackoffUntil` waits.
    pub(crate) fn on_list(&mut self, listed: Option<u64>, now: Millis) -> Next {
        match listed {
            Some(resource_version) => {
                self.synced = true;
                self.resource_version = resource_version;
                Next::Watch(resource_version)
            }
            None => self.back_off(now),
        }
    }

    /// The watch request came back: established, or failed. A watch that cannot be opened ends
    /// `ListAndWatch` with its error: back off, then list again (a timeout or an unavailable server is
    /// not one of the errors `isWatchErrorRetriable` retries without a list, and 410 Gone needs one).
    pub(crate) fn on_watch_reply(&mut self, result: Result<(), ApiError>, now: Millis) -> Next {
        match result {
            Ok(()) => {
                self.watch_opened = Some((now, 0));
                Next::Nothing
            }
            Err(_) => self.back_off(now),
        }
    }

    /// An event arrived on the watch.
    pub(crate) fn on_event(&mut self, resource_version: u64) {
        self.resource_version = self.resource_version.max(resource_version);
        if let Some((_, events)) = self.watch_opened.as_mut() {
            *events += 1;
        }
    }

    /// The watch ended. A watch that ended normally is opened again at once from the last resource
    /// version (`watch` loops); one the server ended with 410 Gone, or a very short one, is an error:
    /// `ListAndWatch` returns, `BackoffUntil` waits, and the reflector lists again.
    /// A close for a watch the reflector does not hold open (its reply was lost) changes nothing.
    pub(crate) fn on_closed(&mut self, gone: bool, now: Millis) -> Next {
        let Some((opened_at, events)) = self.watch_opened.take() else { return Next::Nothing };
        let short = events == 0 && now.saturating_sub(opened_at) < SHORT_WATCH;
        if gone || short {
            return self.back_off(now);
        }
        Next::Watch(self.resource_version)
    }

    /// The backoff timer fired.
    pub(crate) fn on_timer(&mut self) -> Next {
        if std::mem::take(&mut self.waiting) {
            Next::List
        } else {
            Next::Nothing
        }
    }

    fn back_off(&mut self, now: Millis) -> Next {
        self.watch_opened = None;
        self.waiting = true;
        Next::Wait(self.backoff.next(now))
    }
}

/// A watch request's reply, as the reflector reads it: established, or failed (a reply of another
/// shape is no watch either, and counts as the server being unavailable).
pub(super) fn watch_result(reply: ApiReply) -> Result<(), ApiError> {
    match reply {
        ApiReply::Watching => Ok(()),
        ApiReply::Err(e) => Err(e),
        ApiReply::PodList { .. }
        | ApiReply::Pod(_)
        | ApiReply::Secret
        | ApiReply::SecretList { .. }
        | ApiReply::Ok => Err(ApiError::Unavailable),
    }
}

/// The kubelet's pod source: the reflector of the pods bound to the node (pkg/kubelet/config
/// apiserver.go `NewSourceApiserver`), which feeds the pod config.
impl Kubelet {
    /// Carries out what the pod reflector asks.
    pub(super) fn pods_next(&mut self, next: Next, out: &mut Vec<Output>) {
        let node = self.config.node_name.clone();
        match next {
            Next::List => {
                let call = self.call_id(CallOwner::ListPods);
                out.push(Output::Api { call, request: ApiRequest::ListPods { node } });
            }
            Next::Watch(resource_version) => {
                let call = self.call_id(CallOwner::WatchPods);
                out.push(Output::Api { call, request: ApiRequest::WatchPods { node, resource_version } });
            }
            Next::Wait(delay) => {
                out.push(Output::SetJitteredTimer { delay, jitter: Jitter::FULL, timer: Timer::Rewatch })
            }
            Next::Nothing => {}
        }
    }

    /// The pod list arrived (or failed): each pod goes to the pod config, the pods the kubelet knew
    /// from the API that the list lacks are gone, and the source is ready for the housekeeping.
    pub(super) fn on_pod_list(&mut self, reply: ApiReply, now: Millis, out: &mut Vec<Output>) {
        let ApiReply::PodList { pods, resource_version } = reply else {
            self.hit(Probe::ReflectorListFailed);
            let next = self.reflector.on_list(None, now);
            self.pods_next(next, out);
            return;
        };
        let listed: BTreeSet<String> = pods.iter().map(|p| p.uid.clone()).collect();
        for pod in pods {
            self.upsert_pod(pod, now, out);
        }
        // Pods the kubelet knew from the API that the list no longer has are gone.
        let gone: Vec<String> = self
            .workers
            .iter()
            .filter(|(uid, w)| w.in_api && !listed.contains(*uid))
            .map(|(u, _)| u.clone())
            .collect();
        for uid in gone {
            self.pod_gone(&uid, now, out);
        }
        let next = self.reflector.on_list(Some(resource_version), now);
        self.pods_next(next, out);
        // The pod source is ready: what the runtime and the disk hold for pods it does not have can
        // be cleaned up.
        self.handle_pod_cleanups(now, out);
    }

    /// The pod watch was answered: established, or failed.
    pub(super) fn on_pod_watch_reply(&mut self, reply: ApiReply, now: Millis, out: &mut Vec<Output>) {
        let result = watch_result(reply);
        match &result {
            Err(ApiError::Gone) => self.hit(Probe::ReflectorWatchGone),
            Err(_) => self.hit(Probe::ReflectorWatchFailed),
            Ok(()) => {}
        }
        let next = self.reflector.on_watch_reply(result, now);
        self.pods_next(next, out);
    }

    /// An event on the pod watch: a version of a pod, or its deletion.
    pub(super) fn on_pod_event(
        &mut self,
        event: WatchEvent,
        resource_version: u64,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        self.reflector.on_event(resource_version);
        match event {
            WatchEvent::Upserted(pod) => self.upsert_pod(pod, now, out),
            WatchEvent::Deleted(pod) => self.pod_gone(&pod.uid, now, out),
        }
    }

    /// The pod watch ended: open it again, or back off (and list again).
    pub(super) fn on_pod_watch_closed(&mut self, gone: bool, now: Millis, out: &mut Vec<Output>) {
        let next = self.reflector.on_closed(gone, now);
        match next {
            Next::Wait(_) if gone => self.hit(Probe::ReflectorWatchGone),
            Next::Wait(_) => self.hit(Probe::ReflectorShortWatch),
            Next::Watch(_) => self.hit(Probe::ReflectorWatchReopened),
            Next::List | Next::Nothing => {}
        }
        self.pods_next(next, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_then_watches_from_the_lists_version() {
        let mut r = ListWatch::new(0);
        assert_eq!(r.start(), Next::List);
        assert_eq!(r.start(), Next::Nothing, "one list at a time");
        assert_eq!(r.on_list(Some(7), 5), Next::Watch(7));
        assert!(r.has_synced());
        assert_eq!(r.on_watch_reply(Ok(()), 6), Next::Nothing);
    }

    #[test]
    fn a_failed_list_backs_off_doubling_then_lists_again() {
        let mut r = ListWatch::new(0);
        r.start();
        assert_eq!(r.on_list(None, 5_000), Next::Wait(800));
        assert_eq!(r.on_timer(), Next::List);
        assert_eq!(r.on_list(None, 10_000), Next::Wait(1_600));
        assert_eq!(r.on_timer(), Next::List);
        assert_eq!(r.on_timer(), Next::Nothing, "a stale timer asks for nothing");
        assert!(!r.has_synced());
    }

    #[test]
    fn a_watch_that_ends_normally_is_opened_again_at_once() {
        let mut r = ListWatch::new(0);
        r.start();
        r.on_list(Some(3), 1);
        r.on_watch_reply(Ok(()), 2);
        r.on_event(9);
        assert_eq!(r.on_closed(false, 60_000), Next::Watch(9), "from the last event's version");
    }

    #[test]
    fn gone_or_a_very_short_watch_backs_off_and_lists_again() {
        let mut r = ListWatch::new(0);
        r.start();
        r.on_list(Some(3), 1);
        r.on_watch_reply(Ok(()), 2);
        assert_eq!(r.on_closed(true, 60_000), Next::Wait(800));
        assert_eq!(r.on_timer(), Next::List);
        r.on_list(Some(4), 61_000);
        r.on_watch_reply(Ok(()), 61_001);
        assert_eq!(r.on_closed(false, 61_500), Next::Wait(1_600), "closed within a second, no event");
        assert_eq!(r.on_closed(false, 70_000), Next::Nothing, "no watch is open: nothing to close");
    }

    #[test]
    fn a_watch_that_cannot_be_opened_backs_off_and_lists_again() {
        let mut r = ListWatch::new(0);
        r.start();
        r.on_list(Some(3), 1);
        assert_eq!(r.on_watch_reply(Err(ApiError::Unavailable), 5_001), Next::Wait(800));
        assert_eq!(r.on_timer(), Next::List);
    }
}
