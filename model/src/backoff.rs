//! Exponential backoffs, without their jitter (the model draws no random numbers: a delay that the
//! kubelet jitters is handed to the world as a base and a [`Jitter`] factor, and the world draws it).
//!
//! - [`Backoff`]: client-go's `flowcontrol.Backoff`, per key, as the kubelet uses it for container
//!   restarts (CrashLoopBackOff) and image pulls (ImagePullBackOff): 10 s doubling to 300 s; an entry
//!   is forgotten once it was last bumped longer ago than its reset period (`hasExpired`).
//! - [`BackoffManager`]: apimachinery's `wait.NewExponentialBackoffManager`, as client-go's reflector
//!   uses it between list/watch attempts: 800 ms doubling to 30 s, jitter 1.0, reset after 2 min of
//!   quiet.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::runtime::Millis;

/// The kubelet's default initial backoff, 10 s.
pub const INITIAL_BACKOFF: Millis = 10_000;
/// The kubelet's default maximum backoff, 300 s.
pub const MAX_BACKOFF: Millis = 300_000;

/// A jitter factor, in thousandths: a delay `d` jittered by `f` is drawn uniformly from `[d, d + f·d)`
/// (apimachinery's `wait.Jitter(d, f)`). The model never draws it; the world does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Jitter(pub u32);

impl Jitter {
    /// No jitter.
    pub const NONE: Jitter = Jitter(0);
    /// 0.5: the pod workers' `workerResyncIntervalJitterFactor` and `workerBackOffPeriodJitterFactor`.
    pub const HALF: Jitter = Jitter(500);
    /// 1.0: the reflector's backoff manager.
    pub const FULL: Jitter = Jitter(1_000);

    /// The factor in thousandths.
    pub fn per_mille(self) -> u32 {
        self.0
    }

    /// The largest extra delay a draw can add to `delay` (exclusive): `delay · factor`.
    pub fn max_extra(self, delay: Millis) -> Millis {
        delay.saturating_mul(u64::from(self.0)) / 1_000
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    backoff: Millis,
    last_update: Millis,
}

/// What [`Backoff::next`] did to a key's backoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bump {
    /// The key had no entry: it starts at the initial duration.
    Started,
    /// The entry went stale (`hasExpired`): it starts over at the initial duration.
    Reset,
    /// The entry doubled (up to the maximum).
    Doubled,
}

/// Backoff durations per key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backoff {
    initial: Millis,
    max: Millis,
    /// An entry last bumped longer ago than this starts over (`hasExpired`).
    reset_after: Millis,
    entries: BTreeMap<String, Entry>,
}

impl Backoff {
    /// A backoff starting at `initial` and doubling up to `max` (`flowcontrol.NewBackOff`); an entry
    /// resets after twice the maximum of quiet (flowcontrol's default `hasExpired`).
    pub fn new(initial: Millis, max: Millis) -> Backoff {
        assert!(initial > 0 && initial <= max, "a backoff needs 0 < initial <= max");
        Backoff { initial, max, reset_after: 2 * max, entries: BTreeMap::new() }
    }

    /// The same backoff with another reset period: the kubelet sets the CrashLoopBackOff's
    /// `HasExpiredFunc` to a flat 10 minutes whatever its maximum (KEP-4603, Kubernetes 1.32).
    pub fn with_reset_after(mut self, reset_after: Millis) -> Backoff {
        self.reset_after = reset_after;
        self
    }

    /// The kubelet's defaults: 10 s to 300 s, reset after 10 minutes.
    pub fn kubelet_default() -> Backoff {
        Backoff::new(INITIAL_BACKOFF, MAX_BACKOFF)
    }

    /// The initial duration.
    pub fn initial(&self) -> Millis {
        self.initial
    }

    /// The maximum duration.
    pub fn max(&self) -> Millis {
        self.max
    }

    /// The reset period.
    pub fn reset_after(&self) -> Millis {
        self.reset_after
    }

    /// `hasExpired`: an entry last bumped longer than the reset period before `event_time` is stale.
    fn expired(&self, entry: &Entry, event_time: Millis) -> bool {
        event_time.saturating_sub(entry.last_update) > self.reset_after
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
    /// `event_time`), or double it (up to the maximum); either way it was bumped `now`. Returns which
    /// of the three it did.
    pub fn next(&mut self, key: &str, event_time: Millis, now: Millis) -> Bump {
        let bump = match self.entries.get(key) {
            None => Bump::Started,
            Some(e) if self.expired(e, event_time) => Bump::Reset,
            Some(_) => Bump::Doubled,
        };
        let backoff = match bump {
            Bump::Started | Bump::Reset => self.initial,
            Bump::Doubled => (self.get(key) * 2).min(self.max),
        };
        self.entries.insert(key.to_string(), Entry { backoff, last_update: now });
        bump
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

/// client-go's reflector backoff (`wait.NewExponentialBackoffManager(800ms, 30s, 2m, 2.0, 1.0)` in
/// tools/cache/reflector.go `NewReflectorWithOptions`): the initial delay.
pub const REFLECTOR_INITIAL_BACKOFF: Millis = 800;
/// The reflector backoff's cap: delays stop at 30 s (jittered to `[30 s, 60 s)`).
pub const REFLECTOR_MAX_BACKOFF: Millis = 30_000;
/// The reflector backoff starts over when it was not used for 2 minutes.
pub const REFLECTOR_BACKOFF_RESET: Millis = 120_000;

/// apimachinery's `exponentialBackoffManagerImpl` (`wait.NewExponentialBackoffManager`) with factor 2:
/// each [`BackoffManager::next`] returns the current delay and doubles it up to the cap; when the last
/// delay was asked for more than `reset_after` ago, it starts over at the initial delay. The jitter the
/// manager applies is left to the world: callers hand it the delay with [`Jitter::FULL`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackoffManager {
    initial: Millis,
    cap: Millis,
    reset_after: Millis,
    /// The delay the next step returns (`Backoff.Duration`).
    duration: Millis,
    /// When a delay was last asked for (`lastBackoffStart`; the manager's creation at first).
    last_backoff_start: Millis,
}

impl BackoffManager {
    /// A manager created at `now`.
    pub fn new(initial: Millis, cap: Millis, reset_after: Millis, now: Millis) -> BackoffManager {
        assert!(initial > 0 && initial <= cap, "a backoff needs 0 < initial <= cap");
        BackoffManager { initial, cap, reset_after, duration: initial, last_backoff_start: now }
    }

    /// The reflector's manager, created at `now`.
    pub fn reflector(now: Millis) -> BackoffManager {
        BackoffManager::new(REFLECTOR_INITIAL_BACKOFF, REFLECTOR_MAX_BACKOFF, REFLECTOR_BACKOFF_RESET, now)
    }

    /// `getNextBackoff`: the delay to wait now (before jitter), advancing the steps.
    pub fn next(&mut self, now: Millis) -> Millis {
        if now.saturating_sub(self.last_backoff_start) > self.reset_after {
            self.duration = self.initial;
        }
        self.last_backoff_start = now;
        // `Backoff.Step`: return the current duration; the next one doubles, up to the cap.
        let delay = self.duration;
        self.duration = self.duration.saturating_mul(2).min(self.cap);
        delay
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

    #[test]
    fn crash_loop_reset_is_a_setting_of_its_own() {
        // KEP-4603: the kubelet keeps 10 minutes of quiet as the reset whatever the maximum.
        let mut b = Backoff::new(10_000, 60_000).with_reset_after(600_000);
        b.next("k", 0, 0);
        b.next("k", 10_000, 10_000);
        assert_eq!(b.get("k"), 20_000);
        b.next("k", 10_000 + 300_000, 10_000 + 300_000);
        assert_eq!(b.get("k"), 40_000, "5 minutes of quiet is not 10: no reset");
        b.next("k", 310_000 + 600_001, 310_000 + 600_001);
        assert_eq!(b.get("k"), 10_000, "more than 10 minutes of quiet starts over");
    }

    /// apimachinery wait_test.go `TestExponentialBackoffManagerGetNextBackoff`: manager (1, 10, 10,
    /// 2.0, 0.0): 1, 2, 4, 8, 10, 10, 10; then 11 units of quiet reset it to 1.
    #[test]
    fn exponential_backoff_manager_get_next_backoff() {
        let mut m = BackoffManager::new(1, 10, 10, 0);
        let steps: Vec<Millis> = (0..7).map(|_| m.next(0)).collect();
        assert_eq!(steps, vec![1, 2, 4, 8, 10, 10, 10]);
        assert_eq!(m.next(11), 1, "after reset, backoff should be 1");
    }

    #[test]
    fn the_reflector_backs_off_800_ms_doubling_to_30_s_and_resets_after_2_minutes() {
        let mut m = BackoffManager::reflector(0);
        let mut last = 0;
        let mut seen = Vec::new();
        for _ in 0..8 {
            let d = m.next(last);
            seen.push(d);
            last += d;
        }
        // The last delay was asked for at `last - 30 s`.
        let asked = last - 30_000;
        assert_eq!(seen, vec![800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000, 30_000]);
        assert_eq!(m.next(asked + 120_000), 30_000, "exactly 2 minutes of quiet is not more than 2");
        assert_eq!(m.next(asked + 240_001), 800, "more than 2 minutes of quiet starts over");
    }

    #[test]
    fn jitter_bounds() {
        assert_eq!(Jitter::HALF.max_extra(10_000), 5_000);
        assert_eq!(Jitter::FULL.max_extra(800), 800);
        assert_eq!(Jitter::NONE.max_extra(60_000), 0);
    }
}
