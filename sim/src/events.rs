//! The API server's Events (core/v1 `Event`, `/registry/events/<namespace>/<name>`): what the
//! kubelet's event sink created and patched, as the checker, the trace, the report and the outcome
//! read them.
//!
//! As kube-apiserver keeps them: a create of an existing name is refused (409 AlreadyExists, which
//! the kubelet's sink does not retry); a patch of a missing event is 404 (the sink then creates
//! it); a patch sets `count`, `message` and `lastTimestamp`. Each write renews the event's time to
//! live (`--event-ttl`, 1 h): an event not written for an hour is gone. podsim also bounds how many
//! are kept ([`EVENT_LIMIT`], the oldest written go first). The Events are stored beside the pods'
//! etcd, as with `--etcd-servers-overrides=/events#...`: they take no revision of it, so the pods'
//! resource versions are the same with or without them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use podsim_model::events::{container_of_field_path, Event, EventType, SOURCE_COMPONENT};
use podsim_model::io::{ApiError, ApiReply};
use podsim_model::Millis;

/// kube-apiserver's default `--event-ttl`: 1 hour after its last write an Event is gone.
pub const EVENT_TTL: Millis = 3_600_000;
/// The most Events kept; past it, the least recently written is dropped.
pub const EVENT_LIMIT: usize = 10_000;

/// One Event as the API server stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRecord {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` (the pod's).
    pub namespace: String,
    /// `involvedObject.name`.
    pub pod_name: String,
    /// `involvedObject.uid`.
    pub pod_uid: String,
    /// The container of `involvedObject.fieldPath` (`spec.containers{app}` → `app`).
    pub container: Option<String>,
    /// `involvedObject.fieldPath`.
    pub field_path: Option<String>,
    /// `type`.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// `reason`.
    pub reason: String,
    /// `message`.
    pub message: String,
    /// `count`.
    pub count: u32,
    /// `firstTimestamp` (virtual milliseconds; the API prints whole seconds).
    pub first: Millis,
    /// `lastTimestamp`.
    pub last: Millis,
    /// `source.component`.
    pub source_component: String,
    /// `source.host`.
    pub source_host: String,
    /// When the API server last wrote it (its time to live counts from here).
    pub written: Millis,
}

impl EventRecord {
    fn of(event: Event, now: Millis) -> EventRecord {
        EventRecord {
            container: event.field_path.as_deref().and_then(container_of_field_path).map(str::to_string),
            name: event.name,
            namespace: event.namespace,
            pod_name: event.involved_object.name.to_string(),
            pod_uid: event.involved_object.uid.to_string(),
            field_path: event.field_path,
            event_type: event.event_type,
            reason: event.reason,
            message: event.message,
            count: event.count,
            first: event.first_timestamp,
            last: event.last_timestamp,
            source_component: SOURCE_COMPONENT.to_string(),
            source_host: event.source_host,
            written: now,
        }
    }

    /// One line, as the trace prints it: `Warning BackOff default/web app x3: Back-off ...`.
    pub fn describe(&self) -> String {
        let container = self.container.as_deref().map(|c| format!(" {c}")).unwrap_or_default();
        format!(
            "{} {} {}/{}{container} x{}: {}",
            self.event_type.as_str(),
            self.reason,
            self.namespace,
            self.pod_name,
            self.count,
            self.message
        )
    }
}

/// The Events, in order of creation.
#[derive(Clone, Debug, Default)]
pub struct EventStore {
    /// By creation sequence.
    records: BTreeMap<u64, EventRecord>,
    /// `(namespace, name)` → sequence.
    by_name: BTreeMap<(String, String), u64>,
    /// `(written, sequence)` of every record, least recently written first: expiry and the bound
    /// take from its front instead of scanning every record (a node of N pods keeps O(N) Events).
    by_written: BTreeSet<(Millis, u64)>,
    next: u64,
}

impl EventStore {
    /// `POST .../events`.
    pub fn create(&mut self, now: Millis, event: Event) -> ApiReply {
        self.expire(now);
        let key = (event.namespace.clone(), event.name.clone());
        if self.by_name.contains_key(&key) {
            return ApiReply::Err(ApiError::Conflict);
        }
        self.next += 1;
        self.by_name.insert(key, self.next);
        self.records.insert(self.next, EventRecord::of(event, now));
        self.by_written.insert((now, self.next));
        self.bound();
        ApiReply::Ok
    }

    /// `PATCH .../events/<name>`: count, message and last timestamp.
    pub fn patch(&mut self, now: Millis, event: Event) -> ApiReply {
        self.expire(now);
        let key = (event.namespace.clone(), event.name.clone());
        let Some(&seq) = self.by_name.get(&key) else {
            return ApiReply::Err(ApiError::NotFound);
        };
        let Some(record) = self.records.get_mut(&seq) else {
            return ApiReply::Err(ApiError::NotFound);
        };
        self.by_written.remove(&(record.written, seq));
        self.by_written.insert((now, seq));
        record.count = event.count;
        record.message = event.message;
        record.last = event.last_timestamp;
        record.written = now;
        ApiReply::Ok
    }

    /// Drops the Events whose time to live is over at `now`.
    pub fn expire(&mut self, now: Millis) {
        while self.by_written.first().is_some_and(|&(written, _)| written + EVENT_TTL <= now) {
            if let Some((_, seq)) = self.by_written.pop_first() {
                self.remove(seq);
            }
        }
    }

    /// Keeps at most [`EVENT_LIMIT`]: the least recently written go (the first created among
    /// those written at once).
    fn bound(&mut self) {
        while self.records.len() > EVENT_LIMIT {
            match self.by_written.pop_first() {
                Some((_, seq)) => self.remove(seq),
                None => return,
            }
        }
    }

    fn remove(&mut self, seq: u64) {
        if let Some(r) = self.records.remove(&seq) {
            self.by_written.remove(&(r.written, seq));
            self.by_name.remove(&(r.namespace, r.name));
        }
    }

    /// Every Event, in order of creation.
    pub fn iter(&self) -> impl Iterator<Item = &EventRecord> {
        self.records.values()
    }

    /// The Event `namespace/name`.
    pub fn get(&self, namespace: &str, name: &str) -> Option<&EventRecord> {
        self.by_name.get(&(namespace.to_string(), name.to_string())).and_then(|seq| self.records.get(seq))
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use podsim_model::io::PodRef;

    fn event(name: &str, count: u32, at: Millis) -> Event {
        Event {
            name: name.into(),
            namespace: "default".into(),
            involved_object: PodRef { uid: "u1".into(), name: "web".into(), namespace: "default".into() },
            field_path: Some("spec.containers{app}".into()),
            event_type: EventType::Warning,
            reason: "BackOff".into(),
            message: format!("m{count}"),
            count,
            first_timestamp: 1_000,
            last_timestamp: at,
            source_host: "node-1".into(),
        }
    }

    #[test]
    fn create_then_patch_counts_up_and_keeps_the_first_time() {
        let mut s = EventStore::default();
        assert_eq!(s.create(1_000, event("web.1", 1, 1_000)), ApiReply::Ok);
        assert_eq!(s.create(1_000, event("web.1", 1, 1_000)), ApiReply::Err(ApiError::Conflict));
        assert_eq!(s.patch(9_000, event("web.1", 3, 9_000)), ApiReply::Ok);
        let r = s.get("default", "web.1").expect("stored");
        assert_eq!((r.count, r.first, r.last, r.message.as_str()), (3, 1_000, 9_000, "m3"));
        assert_eq!(r.container.as_deref(), Some("app"));
        assert_eq!(r.source_component, "kubelet");
        assert_eq!(s.patch(9_000, event("web.2", 2, 9_000)), ApiReply::Err(ApiError::NotFound));
    }

    #[test]
    fn an_event_not_written_for_an_hour_is_gone() {
        let mut s = EventStore::default();
        s.create(0, event("web.1", 1, 0));
        s.create(10, event("web.2", 1, 10));
        s.patch(EVENT_TTL - 1, event("web.2", 2, EVENT_TTL - 1));
        s.expire(EVENT_TTL);
        let names: Vec<&str> = s.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["web.2"], "a patch renews the time to live");
    }

    #[test]
    fn the_store_keeps_at_most_the_limit() {
        let mut s = EventStore::default();
        for i in 0..EVENT_LIMIT as u64 + 2 {
            s.create(i, event(&format!("web.{i}"), 1, i));
        }
        assert_eq!(s.len(), EVENT_LIMIT);
        assert!(s.get("default", "web.0").is_none() && s.get("default", "web.1").is_none());
        assert!(s.get("default", "web.2").is_some());
    }

    /// The bound drops the least recently written, so a patch keeps an old Event.
    #[test]
    fn at_the_limit_a_patched_event_outlives_later_ones() {
        let mut s = EventStore::default();
        for i in 0..EVENT_LIMIT as u64 {
            s.create(i, event(&format!("web.{i}"), 1, i));
        }
        assert_eq!(s.patch(EVENT_LIMIT as u64, event("web.0", 2, EVENT_LIMIT as u64)), ApiReply::Ok);
        s.create(EVENT_LIMIT as u64 + 1, event("web.new", 1, EVENT_LIMIT as u64 + 1));
        assert_eq!(s.len(), EVENT_LIMIT);
        assert!(s.get("default", "web.0").is_some(), "patched: written last but one");
        assert!(s.get("default", "web.1").is_none(), "the least recently written");
        s.expire(EVENT_TTL + EVENT_LIMIT as u64 - 1);
        let left: Vec<&str> = s.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(left, ["web.0", "web.new"], "the two written after the others' hour ran out");
    }

    #[test]
    fn the_trace_line_names_type_reason_pod_container_and_count() {
        let mut s = EventStore::default();
        s.create(0, event("web.1", 2, 0));
        let line = s.iter().next().expect("one").describe();
        assert_eq!(line, "Warning BackOff default/web app x2: m2");
    }
}
