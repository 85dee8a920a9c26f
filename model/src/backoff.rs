//! The kubelet's exponential backoff (client-go `flowcontrol.Backoff`), as used for container restarts
//! (CrashLoopBackOff) and image pulls (ImagePullBackOff): 10 s doubling to 300 s, and an entry is
//! forgotten once it was last bumped more than twice the maximum ago (so 10 minutes of quiet resets it).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::runtime::Millis;

/// The kubelet's default initial backoff, 10 s.
pub const INITIAL_BACKOFF: Millis = 10_000;
/// The kubelet's default maximum backoff, 300 s.
pub const MAX_BACKOFF: Millis = 300_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    backoff: Millis,
    last_update: Millis,
}

/// Backoff durations per key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backoff {
    initial: Millis,
    max: Millis,
    entries: BTreeMap<String, Entry>,
}

impl Backoff {
    /// A backoff starting at `initial` and doubling up to `max`.
    pub fn new(initial: Millis, max: Millis) -> Backoff {
        assert!(initial > 0 && initial <= max, "a backoff needs 0 < initial <= max");
        Backoff { initial, max, entries: BTreeMap::new() }
    }

    /// The kubelet's defaults: 10 s to 300 s.
    pub fn kubelet_default() -> Backoff {
        Backoff::new(INITIAL_BACKOFF, MAX_BACKOFF)
    }

    /// `hasExpired`: an entry last bumped more than twice the maximum before `event_time` is stale.
    fn expired(&self, entry: &Entry, event_time: Millis) -> bool {
        event_time.saturating_sub(entry.last_update) > 2 * self.max
    }

    /// The current backoff duration of `key` (0 if none).
    pub fn get(&self, key: &str) -> Millis {
        self.entries.get(key).map_or(0, |e| e.backoff)
    }

    /// `IsInBackOffSince`: whether less than the current backoff has passed since `event_time`.
    pub fn is_in_backoff_since(&self, key: &str, event_time: Millis, now: Millis) -> bool {
        match self.entries.get(key) {
            None => false,
            Some(e) if self.expired(e, event_time) => false,
            Some(e) => now.saturating_sub(event_time) < e.backoff,
        }
    }

    /// `IsInBackOffSinceUpdate`: whether less than the current backoff has passed since the last bump.
    pub fn is_in_backoff_since_update(&self, key: &str, now: Millis) -> bool {
        match self.entries.get(key) {
            None => false,
            Some(e) if self.expired(e, now) => false,
            Some(e) => now.saturating_sub(e.last_update) < e.backoff,
        }
    }

    /// When the backoff of `key` counted from `event_time` ends (`None` if not backing off).
    pub fn backoff_end(&self, key: &str, event_time: Millis, now: Millis) -> Option<Millis> {
        self.is_in_backoff_since(key, event_time, now).then(|| event_time + self.get(key))
    }

    /// When the backoff of `key` counted from its last bump ends.
    pub fn backoff_end_since_update(&self, key: &str, now: Millis) -> Option<Millis> {
        let e = self.entries.get(key)?;
        self.is_in_backoff_since_update(key, now).then_some(e.last_update + e.backoff)
    }

    /// `Next`: start the backoff at the initial duration (also when the entry went stale by
    /// `event_time`), or double it (up to the maximum); either way it was bumped `now`.
    pub fn next(&mut self, key: &str, event_time: Millis, now: Millis) {
        let fresh = match self.entries.get(key) {
            None => true,
            Some(e) => self.expired(e, event_time),
        };
        let backoff = if fresh { self.initial } else { (self.get(key) * 2).min(self.max) };
        self.entries.insert(key.to_string(), Entry { backoff, last_update: now });
    }

    /// Forgets `key`.
    pub fn reset(&mut self, key: &str) {
        self.entries.remove(key);
    }

    /// Forgets every key starting with `prefix` (a pod's entries when it goes away).
    pub fn reset_prefix(&mut self, prefix: &str) {
        let keys: Vec<String> = self
            .entries
            .range(prefix.to_string()..)
            .map(|(k, _)| k.clone())
            .take_while(|k| k.starts_with(prefix))
            .collect();
        for k in keys {
            self.entries.remove(&k);
        }
    }

    /// How many keys are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_ten_seconds_to_five_minutes() {
        let mut b = Backoff::kubelet_default();
        let mut seen = Vec::new();
        let mut now = 0;
        for _ in 0..8 {
            b.next("k", now, now);
            seen.push(b.get("k") / 1000);
            now += b.get("k");
        }
        assert_eq!(seen, vec![10, 20, 40, 80, 160, 300, 300, 300]);
    }

    #[test]
    fn in_backoff_only_until_the_duration_has_passed() {
        let mut b = Backoff::kubelet_default();
        assert!(!b.is_in_backoff_since("k", 0, 0), "an unknown key is never backing off");
        b.next("k", 1_000, 1_000);
        assert!(b.is_in_backoff_since("k", 1_000, 10_999));
        assert!(!b.is_in_backoff_since("k", 1_000, 11_000));
        assert_eq!(b.backoff_end("k", 1_000, 5_000), Some(11_000));
    }

    #[test]
    fn ten_quiet_minutes_reset_the_backoff() {
        let mut b = Backoff::kubelet_default();
        b.next("k", 0, 0);
        b.next("k", 10_000, 10_000);
        assert_eq!(b.get("k"), 20_000);
        // The container ran for more than ten minutes after its last restart.
        assert!(!b.is_in_backoff_since("k", 10_000 + 600_001, 10_000 + 600_001));
        b.next("k", 10_000 + 600_001, 10_000 + 600_002);
        assert_eq!(b.get("k"), 10_000, "more than 2 x max since the last bump starts over");
    }

    #[test]
    fn reset_prefix_forgets_only_that_pod() {
        let mut b = Backoff::kubelet_default();
        b.next("podA/x", 0, 0);
        b.next("podA/y", 0, 0);
        b.next("podB/x", 0, 0);
        b.reset_prefix("podA/");
        assert_eq!(b.len(), 1);
        assert_eq!(b.get("podB/x"), 10_000);
    }
}
