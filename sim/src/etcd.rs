//! A revisioned key-value store with the semantics of etcd v3 that the API server relies on.
//!
//! - One global **revision** counts writes: it starts at 1 (as a fresh etcd cluster does) and every
//!   successful put or delete adds one. A key remembers the revision of its last write, its
//!   **mod revision**, which the API server hands out as the object's `resourceVersion`.
//! - Writes take an optional **precondition** on the key's mod revision (an etcd transaction comparing
//!   `mod_revision`): `Some(0)` means "must not exist", `Some(r)` means "must be at `r`". A failed
//!   precondition is [`EtcdError::Conflict`].
//! - Every write is recorded in the **history**, from which [`Etcd::events_since`] serves watches.
//!   [`Etcd::compact`] drops history at and before a revision; reading events from before it is then
//!   [`EtcdError::Compacted`] (the API server answers 410 Gone and the client must relist).
//! - The history grows by one event per write until compacted: the API server compacts periodically
//!   (kube-apiserver every 5 minutes, see `ApiServer::compact_keep`), which keeps it bounded.
//! - While **unavailable** ([`Etcd::set_available`]) every client call fails with
//!   [`EtcdError::Unavailable`] and nothing changes.
//!
//! A pure state machine: no clock, no randomness, no I/O; ordered collections only.

use std::collections::BTreeMap;
use std::fmt;

use podsim_model::{Pod, PodStatusReport};
use serde::{Deserialize, Serialize};

/// A stored API object: the kinds the simulated API server keeps.
// Objects are moved between etcd, the API server and the checker one at a time; no need to box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Object {
    /// A pod, with the status the kubelet last wrote.
    Pod(StoredPod),
    /// A Secret (its data does not matter to pod management).
    Secret,
    /// A ConfigMap (its data does not matter to pod management).
    ConfigMap,
}

/// A pod as the API server stores it: the object and its `status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPod {
    /// The pod (metadata and spec; its `status` is `None` here, and filled from the field below when
    /// the API server hands the pod out).
    pub pod: Pod,
    /// `status`, as the kubelet last reported it (`None` before its first report).
    pub status: Option<PodStatusReport>,
}

/// Why a call to etcd failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EtcdError {
    /// etcd cannot be reached (see [`Etcd::set_available`]).
    Unavailable,
    /// The precondition on the key's mod revision did not hold.
    Conflict,
    /// The requested revision is older than the compacted revision: its history is gone.
    Compacted {
        /// The revision history was compacted at.
        compact_revision: u64,
    },
    /// The key does not exist.
    NotFound,
}

impl fmt::Display for EtcdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EtcdError::Unavailable => write!(f, "etcd is unavailable"),
            EtcdError::Conflict => write!(f, "the mod revision precondition failed"),
            EtcdError::Compacted { compact_revision } => {
                write!(f, "the requested revision has been compacted (at {compact_revision})")
            }
            EtcdError::NotFound => write!(f, "key not found"),
        }
    }
}

impl std::error::Error for EtcdError {}

/// What a write did to a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventKind {
    /// The key was created or changed.
    Put,
    /// The key was removed.
    Delete,
}

/// One write, as a watch sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EtcdEvent {
    /// The revision the write made.
    pub revision: u64,
    /// The key written.
    pub key: String,
    /// Put or delete.
    pub kind: EventKind,
    /// The new value for a put; the last value for a delete.
    pub value: Option<Object>,
}

/// One key of a [`Etcd::range`]: the key, its value and its mod revision.
pub type KeyValue = (String, Object, u64);

/// A key's current value and the revision of its last write.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    value: Object,
    mod_revision: u64,
}

/// The store: current values, the write history since the last compaction, and the revision counters.
#[derive(Clone, Debug)]
pub struct Etcd {
    /// Current values, by key (ordered, so ranges come out sorted).
    entries: BTreeMap<String, Entry>,
    /// Every write after `compacted`, in revision order (revisions strictly increase).
    history: Vec<EtcdEvent>,
    /// The current revision: 1 at the start, +1 per write.
    revision: u64,
    /// History at and before this revision is gone (0: never compacted).
    compacted: u64,
    /// Whether clients can reach the store.
    available: bool,
}

impl Default for Etcd {
    fn default() -> Etcd {
        Etcd::new()
    }
}

impl Etcd {
    /// An empty, available store at revision 1.
    pub fn new() -> Etcd {
        Etcd { entries: BTreeMap::new(), history: Vec::new(), revision: 1, compacted: 0, available: true }
    }

    /// The current revision: 1 for an empty store, one more after every write.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The revision history was last compacted at (0 if never).
    pub fn compacted_revision(&self) -> u64 {
        self.compacted
    }

    /// Whether clients can reach the store.
    pub fn is_available(&self) -> bool {
        self.available
    }

    /// How many events the history holds (it shrinks only by [`Etcd::compact`]).
    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    fn check_available(&self) -> Result<(), EtcdError> {
        if self.available {
            Ok(())
        } else {
            Err(EtcdError::Unavailable)
        }
    }

    /// The value of `key` and its mod revision, or `None` if it does not exist.
    pub fn get(&self, key: &str) -> Result<Option<(&Object, u64)>, EtcdError> {
        self.check_available()?;
        Ok(self.entries.get(key).map(|e| (&e.value, e.mod_revision)))
    }

    /// Every key starting with `prefix`, sorted by key, with its value and mod revision; and the
    /// revision the range was read at.
    pub fn range(&self, prefix: &str) -> Result<(Vec<KeyValue>, u64), EtcdError> {
        self.check_available()?;
        let items =
            self.inspect_range(prefix).into_iter().map(|(k, v, r)| (k.to_string(), v.clone(), r)).collect();
        Ok((items, self.revision))
    }

    /// What is stored under `prefix`, sorted by key, whether or not the store is available: the view
    /// of the checker and of the simulator's reports, not a client call.
    pub fn inspect_range(&self, prefix: &str) -> Vec<(&str, &Object, u64)> {
        self.entries
            .range::<str, _>((std::ops::Bound::Included(prefix), std::ops::Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, e)| (k.as_str(), &e.value, e.mod_revision))
            .collect()
    }

    /// What is stored at `key`, whether or not the store is available (see [`Etcd::inspect_range`]).
    pub fn inspect(&self, key: &str) -> Option<(&Object, u64)> {
        self.entries.get(key).map(|e| (&e.value, e.mod_revision))
    }

    /// Checks the precondition `expected` (0: the key must not exist) against the key's mod revision
    /// (0 if absent, as etcd compares it).
    fn check_precondition(&self, key: &str, expected: Option<u64>) -> Result<(), EtcdError> {
        let current = self.entries.get(key).map_or(0, |e| e.mod_revision);
        match expected {
            Some(expected) if expected != current => Err(EtcdError::Conflict),
            _ => Ok(()),
        }
    }

    /// Writes `value` at `key` if the key's mod revision is `expected_mod_revision` (when given; 0 means
    /// the key must not exist). Returns the new revision, which is also the key's mod revision.
    pub fn put(
        &mut self,
        key: &str,
        value: Object,
        expected_mod_revision: Option<u64>,
    ) -> Result<u64, EtcdError> {
        self.check_available()?;
        self.check_precondition(key, expected_mod_revision)?;
        self.revision += 1;
        let revision = self.revision;
        self.history.push(EtcdEvent {
            revision,
            key: key.to_string(),
            kind: EventKind::Put,
            value: Some(value.clone()),
        });
        self.entries.insert(key.to_string(), Entry { value, mod_revision: revision });
        Ok(revision)
    }

    /// Removes `key` if its mod revision is `expected_mod_revision` (when given). Returns the new
    /// revision; [`EtcdError::NotFound`] if the key does not exist.
    pub fn delete(&mut self, key: &str, expected_mod_revision: Option<u64>) -> Result<u64, EtcdError> {
        self.check_available()?;
        if !self.entries.contains_key(key) {
            return Err(EtcdError::NotFound);
        }
        self.check_precondition(key, expected_mod_revision)?;
        let entry = self.entries.remove(key).expect("the key exists: checked above");
        self.revision += 1;
        let revision = self.revision;
        self.history.push(EtcdEvent {
            revision,
            key: key.to_string(),
            kind: EventKind::Delete,
            value: Some(entry.value),
        });
        Ok(revision)
    }

    /// Events after `revision` (exclusive) under `prefix`, in revision order. [`EtcdError::Compacted`]
    /// if `revision` is older than the compacted revision (some of the events it asks for are gone).
    pub fn events_since(&self, prefix: &str, revision: u64) -> Result<Vec<EtcdEvent>, EtcdError> {
        self.check_available()?;
        if revision < self.compacted {
            return Err(EtcdError::Compacted { compact_revision: self.compacted });
        }
        // The history is sorted by revision: skip straight to the first event after `revision`.
        let start = self.history.partition_point(|e| e.revision <= revision);
        Ok(self.history[start..].iter().filter(|e| e.key.starts_with(prefix)).cloned().collect())
    }

    /// Drops history at and before `revision` (clamped to the current revision). Compacting at or
    /// before the last compacted revision does nothing, as does compacting while unavailable (the
    /// request does not reach etcd). Current values are kept.
    pub fn compact(&mut self, revision: u64) {
        if !self.available {
            return;
        }
        let revision = revision.min(self.revision);
        if revision <= self.compacted {
            return;
        }
        let keep_from = self.history.partition_point(|e| e.revision <= revision);
        self.history.drain(..keep_from);
        self.compacted = revision;
        if let Some(first) = self.history.first() {
            assert!(
                first.revision > self.compacted,
                "the history holds only events after the compacted revision"
            );
        }
    }

    /// Makes the store reachable (`true`) or not (`false`): while unavailable every client call
    /// returns [`EtcdError::Unavailable`]. The data survives.
    pub fn set_available(&mut self, up: bool) {
        self.available = up;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str) -> Object {
        Object::Pod(StoredPod { pod: Pod::new(name, format!("uid-{name}"), "node-1"), status: None })
    }

    #[test]
    fn revision_starts_at_one_and_increases_by_one_per_write() {
        let mut etcd = Etcd::new();
        assert_eq!(etcd.revision(), 1);
        assert_eq!(etcd.put("/a", Object::Secret, None), Ok(2));
        assert_eq!(etcd.put("/b", Object::ConfigMap, None), Ok(3));
        assert_eq!(etcd.put("/a", Object::ConfigMap, None), Ok(4));
        assert_eq!(etcd.delete("/b", None), Ok(5));
        assert_eq!(etcd.revision(), 5);
        // A failed write makes no revision.
        assert_eq!(etcd.delete("/b", None), Err(EtcdError::NotFound));
        assert_eq!(etcd.put("/a", Object::Secret, Some(0)), Err(EtcdError::Conflict));
        assert_eq!(etcd.revision(), 5);
    }

    #[test]
    fn get_returns_the_value_and_its_mod_revision() {
        let mut etcd = Etcd::new();
        assert_eq!(etcd.get("/a"), Ok(None));
        etcd.put("/a", Object::Secret, None).unwrap();
        etcd.put("/b", Object::Secret, None).unwrap();
        etcd.put("/a", Object::ConfigMap, None).unwrap();
        assert_eq!(etcd.get("/a"), Ok(Some((&Object::ConfigMap, 4))));
        assert_eq!(etcd.get("/b"), Ok(Some((&Object::Secret, 3))));
    }

    #[test]
    fn put_preconditions_conflict_unless_the_mod_revision_matches() {
        let mut etcd = Etcd::new();
        // Must not exist, and does not: created.
        let created = etcd.put("/a", Object::Secret, Some(0)).unwrap();
        // Must not exist, but does: conflict.
        assert_eq!(etcd.put("/a", Object::Secret, Some(0)), Err(EtcdError::Conflict));
        // Stale mod revision: conflict, value unchanged.
        assert_eq!(etcd.put("/a", Object::ConfigMap, Some(created - 1)), Err(EtcdError::Conflict));
        assert_eq!(etcd.get("/a"), Ok(Some((&Object::Secret, created))));
        // Matching mod revision: written.
        let updated = etcd.put("/a", Object::ConfigMap, Some(created)).unwrap();
        assert_eq!(etcd.get("/a"), Ok(Some((&Object::ConfigMap, updated))));
        // A mod revision on a missing key: conflict.
        assert_eq!(etcd.put("/missing", Object::Secret, Some(updated)), Err(EtcdError::Conflict));
    }

    #[test]
    fn delete_preconditions_conflict_and_missing_keys_are_not_found() {
        let mut etcd = Etcd::new();
        let rev = etcd.put("/a", Object::Secret, None).unwrap();
        assert_eq!(etcd.delete("/a", Some(rev + 7)), Err(EtcdError::Conflict));
        assert!(etcd.get("/a").unwrap().is_some());
        assert_eq!(etcd.delete("/a", Some(rev)), Ok(rev + 1));
        assert_eq!(etcd.get("/a"), Ok(None));
        assert_eq!(etcd.delete("/a", None), Err(EtcdError::NotFound));
    }

    #[test]
    fn range_returns_keys_under_the_prefix_sorted() {
        let mut etcd = Etcd::new();
        etcd.put("/registry/pods/ns/b", pod("b"), None).unwrap();
        etcd.put("/registry/pods/ns/a", pod("a"), None).unwrap();
        etcd.put("/registry/pods/other/c", pod("c"), None).unwrap();
        etcd.put("/registry/podsx/ns/z", Object::Secret, None).unwrap();
        etcd.put("/registry/secrets/ns/s", Object::Secret, None).unwrap();
        let (items, revision) = etcd.range("/registry/pods/").unwrap();
        let keys: Vec<&str> = items.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(keys, ["/registry/pods/ns/a", "/registry/pods/ns/b", "/registry/pods/other/c"]);
        assert_eq!(items[0].2, 3, "each item carries its mod revision");
        assert_eq!(items[0].1, pod("a"));
        assert_eq!(revision, 6, "the range is read at the current revision");
        let (ns, _) = etcd.range("/registry/pods/ns/").unwrap();
        assert_eq!(ns.len(), 2);
        assert!(etcd.range("/nothing/").unwrap().0.is_empty());
    }

    #[test]
    fn events_since_returns_later_events_under_the_prefix_in_order() {
        let mut etcd = Etcd::new();
        let r1 = etcd.put("/p/a", Object::Secret, None).unwrap();
        let r2 = etcd.put("/q/x", Object::Secret, None).unwrap();
        let r3 = etcd.put("/p/a", Object::ConfigMap, None).unwrap();
        let r4 = etcd.delete("/p/a", None).unwrap();
        let all = etcd.events_since("/p/", 1).unwrap();
        assert_eq!(
            all,
            vec![
                EtcdEvent {
                    revision: r1,
                    key: "/p/a".into(),
                    kind: EventKind::Put,
                    value: Some(Object::Secret)
                },
                EtcdEvent {
                    revision: r3,
                    key: "/p/a".into(),
                    kind: EventKind::Put,
                    value: Some(Object::ConfigMap)
                },
                EtcdEvent {
                    revision: r4,
                    key: "/p/a".into(),
                    kind: EventKind::Delete,
                    value: Some(Object::ConfigMap)
                },
            ]
        );
        // Exclusive of the given revision.
        let after: Vec<u64> = etcd.events_since("/p/", r3).unwrap().iter().map(|e| e.revision).collect();
        assert_eq!(after, vec![r4]);
        assert_eq!(etcd.events_since("/q/", r2).unwrap(), vec![]);
        assert_eq!(etcd.events_since("", r4).unwrap(), vec![], "nothing after the current revision");
    }

    #[test]
    fn compaction_drops_history_and_older_revisions_are_compacted() {
        let mut etcd = Etcd::new();
        for i in 0..10 {
            etcd.put(&format!("/k/{i}"), Object::Secret, None).unwrap();
        }
        assert_eq!(etcd.revision(), 11);
        assert_eq!(etcd.history_len(), 10);
        etcd.compact(6);
        assert_eq!(etcd.compacted_revision(), 6);
        assert_eq!(etcd.history_len(), 5, "events at revisions 2..=6 are dropped");
        assert_eq!(etcd.events_since("/k/", 5), Err(EtcdError::Compacted { compact_revision: 6 }));
        let from_compacted: Vec<u64> =
            etcd.events_since("/k/", 6).unwrap().iter().map(|e| e.revision).collect();
        assert_eq!(from_compacted, vec![7, 8, 9, 10, 11]);
        // Values survive compaction.
        assert_eq!(etcd.range("/k/").unwrap().0.len(), 10);
        // Compacting backwards does nothing; compacting past the end clamps to the current revision.
        etcd.compact(3);
        assert_eq!(etcd.compacted_revision(), 6);
        etcd.compact(100);
        assert_eq!(etcd.compacted_revision(), 11);
        assert_eq!(etcd.history_len(), 0);
        assert_eq!(etcd.events_since("/k/", 11), Ok(vec![]));
    }

    #[test]
    fn unavailable_etcd_fails_every_call_and_changes_nothing() {
        let mut etcd = Etcd::new();
        etcd.put("/a", Object::Secret, None).unwrap();
        etcd.set_available(false);
        assert_eq!(etcd.get("/a"), Err(EtcdError::Unavailable));
        assert_eq!(etcd.range("/"), Err(EtcdError::Unavailable));
        assert_eq!(etcd.put("/b", Object::Secret, None), Err(EtcdError::Unavailable));
        assert_eq!(etcd.delete("/a", None), Err(EtcdError::Unavailable));
        assert_eq!(etcd.events_since("/", 1), Err(EtcdError::Unavailable));
        etcd.compact(2);
        assert_eq!(etcd.compacted_revision(), 0, "compaction does not reach an unavailable etcd");
        assert_eq!(etcd.revision(), 2);
        etcd.set_available(true);
        assert_eq!(etcd.get("/a"), Ok(Some((&Object::Secret, 2))));
        assert_eq!(etcd.get("/b"), Ok(None));
    }
}
