//! The kubelet's Secret manager with its default change-detection strategy, `Watch`
//! (pkg/kubelet/secret/secret_manager.go `NewWatchingSecretManager`, over
//! pkg/kubelet/util/manager/cache_based_manager.go and watch_based_manager.go).
//!
//! A pod's Secrets are registered when the pod manager adds or updates the pod (`RegisterPod`) and
//! released when its API object is gone (`UnregisterPod`). Each Secret referenced by a registered pod
//! has a cache item fed by a reflector of its own (a list and watch of that one Secret). A sync reads a
//! Secret from the cache (`Get`), never from the API server: once a Secret was seen, a partition
//! does not keep a container from starting; the cache holds what was last seen. `Get`:
//! - records the access, and starts the reflector again if it was stopped for being idle;
//! - waits up to a second for the cache to fill (`wait.PollImmediate(10ms, 1s, hasSynced)`), then
//!   fails with "failed to sync secret cache" (a Secret never seen, and the API server unreachable);
//! - answers the Secret, or NotFound if the watch said it was deleted or the list did not have it.
//!
//! An item not read for `maxIdleTime` (5 x the sync frequency) is stopped by a recycler that runs
//! every minute (`startRecycleIdleWatch`); stopping it empties the cache (`unsetInitialized`), so the
//! next `Get` waits for a list again. The recycler is applied lazily here, at each use of an item.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::reflector::{watch_result, ListWatch, Next};
use super::{CallOwner, Kubelet, KubeletBug};
use crate::backoff::Jitter;
use crate::coverage::Probe;
use crate::io::{ApiError, ApiReply, ApiRequest, Output, Timer};
use crate::runtime::Millis;

/// How often the idle recycler runs (`wait.Until(store.startRecycleIdleWatch, time.Minute, ...)`).
const RECYCLE_PERIOD: Millis = 60_000;

/// How long `Get` waits for an item's cache to fill.
pub(crate) const GET_SYNC_WAIT: Millis = 1_000;

/// A Secret's key: namespace and name.
pub(crate) type SecretKey = (String, String);

/// What a read of the cache finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// The Secret exists.
    Found,
    /// The Secret does not exist (`NotFound`).
    NotFound,
    /// The cache has not filled: "failed to sync secret cache" (or not registered).
    NotSynced,
}

impl Lookup {
    /// Why a Secret that a pod needs cannot be had, if it cannot, in the kubelet's words: a missing
    /// one is no error only when its reference is optional (`makeEnvironmentVariables`, the secret
    /// volume plugin's `SetUp`); a cache that never filled is an error either way (`GetSecret`).
    pub(crate) fn error(self, name: &str, optional: bool) -> Option<String> {
        match self {
            Lookup::Found => None,
            Lookup::NotFound => (!optional).then(|| format!("secret {name:?} not found")),
            Lookup::NotSynced => {
                Some("failed to sync secret cache: timed out waiting for the condition".into())
            }
        }
    }
}

/// One Secret's cache item (`objectCacheItem`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Item {
    /// The registered pods that reference it.
    refs: BTreeSet<String>,
    /// The incarnation of its reflector: replies to an earlier one are stale.
    generation: u64,
    reflector: ListWatch,
    /// Whether the Secret exists, as last listed or watched.
    exists: bool,
    /// When the cache was filled (`cacheStore.initialized`); `None` while it is not.
    synced_at: Option<Millis>,
    /// The recycler stopped the reflector.
    stopped: bool,
    /// When it was last read (`None`: never, which the recycler takes as long ago).
    last_access: Option<Millis>,
}

/// The watch-based Secret manager.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SecretManager {
    items: BTreeMap<SecretKey, Item>,
    /// The Secrets each registered pod references.
    pub(crate) registered: BTreeMap<String, BTreeSet<SecretKey>>,
    next_generation: u64,
    /// When the recycler started (the kubelet's start).
    started_at: Millis,
    /// `maxIdleTime`.
    max_idle: Millis,
}

/// A request the manager asks the kubelet to send for a Secret's reflector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ask {
    pub key: SecretKey,
    pub generation: u64,
    pub next: Next,
}

impl SecretManager {
    /// A manager started at `now`, whose items go idle after `max_idle`.
    pub(crate) fn new(now: Millis, max_idle: Millis) -> SecretManager {
        SecretManager {
            items: BTreeMap::new(),
            registered: BTreeMap::new(),
            next_generation: 0,
            started_at: now,
            max_idle,
        }
    }

    /// `RegisterPod`: the pod references `keys` now; new items start their reflectors (the asks to
    /// send), and Secrets it no longer references are released.
    pub(crate) fn register_pod(&mut self, uid: &str, keys: BTreeSet<SecretKey>, now: Millis) -> Vec<Ask> {
        let mut asks = Vec::new();
        for key in &keys {
            if !self.items.contains_key(key) {
                let generation = self.new_generation();
                let mut item = Item {
                    refs: BTreeSet::new(),
                    generation,
                    reflector: ListWatch::new(now),
                    exists: false,
                    synced_at: None,
                    stopped: false,
                    last_access: None,
                };
                let next = item.reflector.start();
                self.items.insert(key.clone(), item);
                asks.push(Ask { key: key.clone(), generation, next });
            }
            if let Some(item) = self.items.get_mut(key) {
                item.refs.insert(uid.to_string());
            }
        }
        let previous = self.registered.insert(uid.to_string(), keys.clone()).unwrap_or_default();
        for key in previous.difference(&keys) {
            self.release(uid, key);
        }
        asks
    }

    /// `UnregisterPod`: the pod's API object is gone.
    pub(crate) fn unregister_pod(&mut self, uid: &str) {
        for key in self.registered.remove(uid).unwrap_or_default() {
            self.release(uid, &key);
        }
    }

    /// `DeleteReference`: an item no pod references any more is stopped and forgotten.
    pub(crate) fn release(&mut self, uid: &str, key: &SecretKey) {
        let unused = self.items.get_mut(key).is_some_and(|item| {
            item.refs.remove(uid);
            item.refs.is_empty()
        });
        if unused {
            self.items.remove(key);
        }
    }

    fn new_generation(&mut self) -> u64 {
        self.next_generation += 1;
        self.next_generation
    }

    /// The recycler's verdict at `now`: whether it has stopped the item by then. It runs at
    /// `started_at + k · 1 min` and stops a filled item last read more than `max_idle` before.
    fn idle_stopped_by(&self, item: &Item, now: Millis) -> bool {
        let Some(synced_at) = item.synced_at else { return false };
        // The first run at or after the fill, and (if it was ever read) after the idle time passed.
        let earliest = match item.last_access {
            Some(at) => synced_at.max(at + self.max_idle + 1),
            None => synced_at,
        };
        let since_start = earliest.saturating_sub(self.started_at);
        let run = self.started_at + since_start.div_ceil(RECYCLE_PERIOD) * RECYCLE_PERIOD;
        run <= now
    }

    /// Applies the recycler to `key` up to `now`.
    fn recycle(&mut self, key: &SecretKey, now: Millis) {
        let stop = self.items.get(key).is_some_and(|item| !item.stopped && self.idle_stopped_by(item, now));
        if let Some(item) = self.items.get_mut(key).filter(|_| stop) {
            item.stopped = true;
            item.synced_at = None;
        }
    }

    /// The start of `Get`: records the access and starts a stopped reflector again (the ask to send).
    /// Whether the caller must wait for the cache is [`SecretManager::is_synced`].
    pub(crate) fn begin_get(&mut self, key: &SecretKey, now: Millis) -> Option<Ask> {
        self.recycle(key, now);
        let generation = self.new_generation();
        let item = self.items.get_mut(key)?;
        item.last_access = Some(now);
        if !item.stopped {
            return None;
        }
        // `restartReflectorIfNeeded`: the same reflector (and backoff manager) runs again.
        item.stopped = false;
        item.generation = generation;
        item.reflector.restart();
        let next = item.reflector.start();
        Some(Ask { key: key.clone(), generation, next })
    }

    /// Whether a registered pod references the Secret (else `Get` fails at once: "not registered").
    pub(crate) fn is_registered(&self, key: &SecretKey) -> bool {
        self.items.contains_key(key)
    }

    /// Whether the item's cache is filled (`hasSynced`); false for an unregistered Secret.
    pub(crate) fn is_synced(&self, key: &SecretKey) -> bool {
        self.items.get(key).is_some_and(|item| item.synced_at.is_some())
    }

    /// The rest of `Get`: what the cache holds.
    pub(crate) fn lookup(&self, key: &SecretKey) -> Lookup {
        match self.items.get(key) {
            Some(item) if item.synced_at.is_some() && item.exists => Lookup::Found,
            Some(item) if item.synced_at.is_some() => Lookup::NotFound,
            _ => Lookup::NotSynced,
        }
    }

    /// The item's live reflector, if `generation` is its incarnation.
    fn live(&mut self, key: &SecretKey, generation: u64, now: Millis) -> Option<&mut Item> {
        self.recycle(key, now);
        self.items.get_mut(key).filter(|item| item.generation == generation && !item.stopped)
    }

    /// The list of a Secret came back.
    pub(crate) fn on_list(
        &mut self,
        key: &SecretKey,
        generation: u64,
        listed: Option<(bool, u64)>,
        now: Millis,
    ) -> Option<Ask> {
        let item = self.live(key, generation, now)?;
        if let Some((exists, _)) = listed {
            item.exists = exists;
            item.synced_at = Some(now);
        }
        let next = item.reflector.on_list(listed.map(|(_, rv)| rv), now);
        Some(Ask { key: key.clone(), generation, next })
    }

    /// The watch request of a Secret came back.
    pub(crate) fn on_watch_reply(
        &mut self,
        key: &SecretKey,
        generation: u64,
        result: Result<(), ApiError>,
        now: Millis,
    ) -> Option<Ask> {
        let item = self.live(key, generation, now)?;
        let next = item.reflector.on_watch_reply(result, now);
        Some(Ask { key: key.clone(), generation, next })
    }

    /// A watch event of a Secret (for whichever reflector of it is live).
    pub(crate) fn on_event(&mut self, key: &SecretKey, exists: bool, resource_version: u64, now: Millis) {
        self.recycle(key, now);
        if let Some(item) = self.items.get_mut(key).filter(|item| !item.stopped) {
            item.exists = exists;
            item.reflector.on_event(resource_version);
        }
    }

    /// The watch of a Secret ended.
    pub(crate) fn on_closed(&mut self, key: &SecretKey, gone: bool, now: Millis) -> Option<Ask> {
        self.recycle(key, now);
        let item = self.items.get_mut(key).filter(|item| !item.stopped)?;
        let next = item.reflector.on_closed(gone, now);
        Some(Ask { key: key.clone(), generation: item.generation, next })
    }

    /// A reflector's backoff timer fired.
    pub(crate) fn on_timer(&mut self, key: &SecretKey, generation: u64, now: Millis) -> Option<Ask> {
        let item = self.live(key, generation, now)?;
        let next = item.reflector.on_timer();
        Some(Ask { key: key.clone(), generation, next })
    }

    /// How many Secrets have a cache item.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.items.len()
    }
}

/// A Secret's list reply as its reflector reads it: whether the Secret exists, at which version; or
/// the list failed (an error, or a reply of another shape).
fn secret_list(reply: ApiReply) -> Option<(bool, u64)> {
    match reply {
        ApiReply::SecretList { exists, resource_version } => Some((exists, resource_version)),
        ApiReply::Err(_)
        | ApiReply::PodList { .. }
        | ApiReply::Watching
        | ApiReply::Pod(_)
        | ApiReply::Secret
        | ApiReply::Ok => None,
    }
}

/// The Secret manager in the kubelet: the pods' registrations, each Secret's reflector's requests,
/// and the syncs that wait in `Get`.
impl Kubelet {
    /// `RegisterPod`: the Secrets the pod manager's version of the pod references.
    pub(super) fn register_secrets(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get(uid) else { return };
        let pod = w.latest();
        let keys: BTreeSet<SecretKey> =
            pod.secret_refs().into_iter().map(|(name, _)| (pod.namespace.clone(), name)).collect();
        // Before kubernetes#52044 every Secret of the previous version was released after the
        // registration, also those the new version still references (the bug variant).
        let released_too: Vec<SecretKey> = match self.secrets.registered.get(uid) {
            Some(previous) if self.config.bugs.has(KubeletBug::SecretReleasedOnPodUpdate) => {
                previous.intersection(&keys).cloned().collect()
            }
            _ => Vec::new(),
        };
        for ask in self.secrets.register_pod(uid, keys, now) {
            self.secret_next(Some(ask), out);
        }
        for key in &released_too {
            self.secrets.release(uid, key);
        }
    }

    /// Carries out what a Secret's reflector asks.
    pub(super) fn secret_next(&mut self, ask: Option<Ask>, out: &mut Vec<Output>) {
        let Some(Ask { key, generation, next }) = ask else { return };
        let (namespace, name) = key.clone();
        match next {
            Next::List => {
                let call = self.call_id(CallOwner::ListSecret(key, generation));
                out.push(Output::Api { call, request: ApiRequest::ListSecret { namespace, name } });
            }
            Next::Watch(resource_version) => {
                let call = self.call_id(CallOwner::WatchSecret(key, generation));
                let request = ApiRequest::WatchSecret { namespace, name, resource_version };
                out.push(Output::Api { call, request });
            }
            Next::Wait(delay) => out.push(Output::SetJitteredTimer {
                delay,
                jitter: Jitter::FULL,
                timer: Timer::SecretRewatch { namespace, name, generation },
            }),
            Next::Nothing => {}
        }
    }

    /// A Secret's list was answered: once its cache has filled, the syncs that waited for it go on.
    pub(super) fn on_secret_list(
        &mut self,
        (key, generation): (SecretKey, u64),
        reply: ApiReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let ask = self.secrets.on_list(&key, generation, secret_list(reply), now);
        self.secret_next(ask, out);
        if self.secrets.is_synced(&key) {
            self.secret_synced(&key, now, out);
        }
    }

    /// A Secret's watch was answered: established, or failed.
    pub(super) fn on_secret_watch_reply(
        &mut self,
        (key, generation): (SecretKey, u64),
        reply: ApiReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let result = watch_result(reply);
        if result == Err(ApiError::Gone) {
            self.hit(Probe::SecretWatchGone);
        }
        let ask = self.secrets.on_watch_reply(&key, generation, result, now);
        self.secret_next(ask, out);
    }

    /// A Secret's watch ended.
    pub(super) fn on_secret_watch_closed(
        &mut self,
        key: SecretKey,
        gone: bool,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        if gone {
            self.hit(Probe::SecretWatchGone);
        }
        let ask = self.secrets.on_closed(&key, gone, now);
        self.secret_next(ask, out);
    }

    /// A Secret's cache filled: the syncs that waited for it go on.
    fn secret_synced(&mut self, key: &SecretKey, now: Millis, out: &mut Vec<Output>) {
        let waiting: Vec<String> = self
            .workers
            .iter_mut()
            .filter_map(|(uid, w)| {
                let run = w.sync.as_mut()?;
                let waits = run.awaiting_secret.as_ref().is_some_and(|(k, _)| k == key);
                waits.then(|| {
                    run.awaiting_secret = None;
                    uid.clone()
                })
            })
            .collect();
        for uid in waiting {
            self.advance(&uid, now, out);
        }
    }

    /// The start of the Secret manager's `Get`: record the access (starting an idle reflector again)
    /// and, if the Secret's cache has not filled, wait for it up to a second.
    pub(super) fn await_secret(&mut self, uid: &str, key: SecretKey, now: Millis, out: &mut Vec<Output>) {
        let ask = self.secrets.begin_get(&key, now);
        self.secret_next(ask, out);
        if self.secrets.is_synced(&key) || !self.secrets.is_registered(&key) {
            // Filled: nothing to wait for. Not registered (the pod no longer references it): `Get`
            // fails at once.
            return;
        }
        let Some(run) = self.sync_mut(uid) else { return };
        let deadline = now + GET_SYNC_WAIT;
        run.awaiting_secret = Some((key, deadline));
        out.push(Output::SetTimer {
            at: deadline,
            timer: Timer::SecretSyncTimeout { pod_uid: uid.to_string() },
        });
    }

    /// `wait.PollImmediate` gave up on a Secret's cache: the step that reads the Secret finds no
    /// cache (a stale timer, of a wait that already ended, does nothing).
    pub(super) fn on_secret_sync_timeout(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let Some(run) = self.sync_mut(uid) else { return };
        let timed_out = run.awaiting_secret.as_ref().is_some_and(|(_, at)| *at <= now);
        if timed_out {
            run.awaiting_secret = None;
            self.advance(uid, now, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: Millis = 5 * 60_000;

    fn key(name: &str) -> SecretKey {
        ("default".to_string(), name.to_string())
    }

    fn keys(names: &[&str]) -> BTreeSet<SecretKey> {
        names.iter().map(|n| key(n)).collect()
    }

    /// A manager with `name` registered for pod `p` at 0 and listed (existing) at 5 ms.
    fn listed(name: &str) -> SecretManager {
        let mut m = SecretManager::new(0, IDLE);
        let asks = m.register_pod("p", keys(&[name]), 0);
        assert_eq!(asks.len(), 1);
        assert_eq!(asks[0].next, Next::List);
        let ask = m.on_list(&key(name), asks[0].generation, Some((true, 4)), 5).unwrap();
        assert_eq!(ask.next, Next::Watch(4));
        m
    }

    #[test]
    fn a_secret_is_read_from_the_cache_once_listed() {
        let mut m = SecretManager::new(0, IDLE);
        m.register_pod("p", keys(&["db"]), 0);
        assert_eq!(m.lookup(&key("db")), Lookup::NotSynced, "never seen: the cache is not filled");
        let mut m = listed("db");
        assert_eq!(m.begin_get(&key("db"), 10), None);
        assert_eq!(m.lookup(&key("db")), Lookup::Found);
        m.on_event(&key("db"), false, 9, 20);
        assert_eq!(m.lookup(&key("db")), Lookup::NotFound, "the watch said it was deleted");
    }

    #[test]
    fn a_closed_watch_keeps_what_was_seen() {
        let mut m = listed("db");
        let ask = m.on_closed(&key("db"), false, 30_000).expect("the item is live");
        assert_eq!(ask.next, Next::Nothing, "the watch was not reported open");
        assert_eq!(m.lookup(&key("db")), Lookup::Found, "a partition does not empty the cache");
    }

    #[test]
    fn secrets_no_pod_references_are_forgotten() {
        let mut m = listed("db");
        m.register_pod("q", keys(&["db", "other"]), 10);
        assert_eq!(m.len(), 2);
        m.register_pod("q", keys(&["db"]), 20);
        assert_eq!(m.len(), 1, "q no longer references other");
        m.unregister_pod("p");
        assert_eq!(m.len(), 1, "q still references db");
        m.unregister_pod("q");
        assert_eq!(m.len(), 0);
    }

    #[test]
    fn an_idle_item_is_stopped_by_the_recycler_and_started_again_by_get() {
        let mut m = listed("db");
        m.begin_get(&key("db"), 1_000);
        // Read at 1 s: idle after 5 min 1 s; the recycler runs each minute, so at 6 min.
        assert_eq!(m.lookup(&key("db")), Lookup::Found);
        m.recycle(&key("db"), 359_999);
        assert!(m.is_synced(&key("db")), "not stopped before the 6 min run");
        let ask = m.begin_get(&key("db"), 360_000).expect("stopped, so restarted");
        assert_eq!(ask.next, Next::List);
        assert!(!m.is_synced(&key("db")), "stopping emptied the cache: Get waits for a list");
        assert_eq!(m.on_list(&key("db"), ask.generation - 1, Some((true, 9)), 360_002), None, "stale");
        m.on_list(&key("db"), ask.generation, Some((true, 9)), 360_002);
        assert_eq!(m.lookup(&key("db")), Lookup::Found);
    }

    #[test]
    fn an_item_never_read_is_stopped_at_the_first_recycle_after_it_filled() {
        let mut m = listed("db");
        m.recycle(&key("db"), 59_999);
        assert!(m.is_synced(&key("db")));
        m.recycle(&key("db"), 60_000);
        assert!(!m.is_synced(&key("db")), "lastAccessTime zero: idle at once");
    }
}
