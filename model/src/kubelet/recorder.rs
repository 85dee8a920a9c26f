//! The kubelet's event recorder: client-go's `tools/record` pipeline as far as it changes what the
//! API server ends up with, in the kubelet process (so a kubelet restart loses what it held).
//!
//! - `recorder.Event` → `makeEvent` (name `<pod>.<hex unix nanos>`, count 1, first = last = now)
//!   → the broadcaster, whose watcher for the sink queues at most [`QUEUE_LIMIT`] events and drops
//!   the rest (`NewLongQueueBroadcaster(maxQueuedEvents, DropIfChannelFull)`);
//! - the sink's watcher handles one event at a time (`StartEventWatcher`), each by `recordToSink`:
//!   the [`Correlator`] (`EventCorrelate`: aggregate, observe, spam filter), then `recordEvent`
//!   (a Patch when the count is above 1, falling back to a Create when the server has no such
//!   event) tried up to [`MAX_TRIES`] times: the first wait is a random part of [`SLEEP`], the others
//!   [`SLEEP`]. Only a transport error (the server not reached, or not answering) is retried; an
//!   error status from the server drops the event ("will not retry!").
//!
//! Ported from client-go `tools/record/event.go` (`recordToSink`, `recordEvent`, `makeEvent`) and
//! `events_cache.go` (read at index ids 56666535 and 3292221909; the spam key with the event's type and
//! reason since Kubernetes 1.31, kubernetes/kubernetes#124747).
//!
//! Virtual time has milliseconds where Go's clock has nanoseconds: the name of an event adds the
//! recorder's sequence number as nanoseconds, so two events of one pod in one millisecond do not
//! share a name (which the server would refuse as AlreadyExists).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::coverage::{Probe, Probes};
use crate::events::{Event, KubeletEvent};
use crate::runtime::Millis;

/// `maxQueuedEvents`: the broadcaster's queue for the sink.
pub const QUEUE_LIMIT: usize = 1_000;
/// `maxTriesPerEvent`.
pub const MAX_TRIES: u32 = 12;
/// `defaultSleepDuration`: the wait between tries.
pub const SLEEP: Millis = 10_000;
/// `maxLruCacheEntries` of each correlator cache.
pub const LRU_ENTRIES: usize = 4_096;
/// `defaultAggregateMaxEvents`: similar events (differing only in message) before they aggregate.
pub const AGGREGATE_MAX_EVENTS: usize = 10;
/// `defaultAggregateIntervalInSeconds`: a similar event older than this starts the count over.
pub const AGGREGATE_INTERVAL: Millis = 600_000;
/// `defaultSpamBurst`: events a source may send about one object (and type and reason) at once.
pub const SPAM_BURST: u64 = 25;
/// One token per `1 / defaultSpamQPS` = 300 s.
pub const SPAM_REFILL: Millis = 300_000;
/// `EventAggregatorByReasonMessageFunc`'s prefix.
pub const AGGREGATE_PREFIX: &str = "(combined from similar events): ";

/// A write of the sink.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SinkWrite {
    /// `sink.Create(event)`.
    Create(Event),
    /// `sink.Patch(event, patch)`: count, message and last timestamp of an existing event.
    Patch(Event),
}

/// What a write's reply leads to (moved once to the caller: no need to box).
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AfterReply {
    /// The event is done with (written, or dropped): the next one may go.
    Done,
    /// Write again at once (a Patch of an event the server no longer has becomes a Create).
    Write(SinkWrite),
    /// Wait, then write again: `within` means a random part of it (the first retry's sleep).
    Sleep {
        /// The wait.
        delay: Millis,
        /// Whether the world draws it from `[0, delay)`.
        random: bool,
    },
}

/// How a write of the sink ended, as `recordEvent` tells them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteResult {
    /// Written.
    Ok,
    /// The server has no such event (a Patch's 404).
    NotFound,
    /// Not reached, or no answer in time: a transport error, retried.
    Transport,
    /// The server refused it with an error status: dropped.
    Refused,
}

/// The event `recordToSink` is on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Delivery {
    event: Event,
    /// `updateExistingEvent`: the correlated count is above 1.
    patch: bool,
    tries: u32,
    /// Whether the write in flight is the Create that follows a Patch's 404.
    creating: bool,
}

/// The recorder and its sink: the queue, the event being written, the correlator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorder {
    host: String,
    seq: u64,
    queue: VecDeque<Event>,
    current: Option<Delivery>,
    /// Whether the current event waits for its retry timer.
    sleeping: bool,
    correlator: Correlator,
    /// Events dropped: a full queue, the spam filter, the last try failed, or refused.
    dropped: u64,
    /// The recorder's decisions reached (rule coverage).
    probes: Probes,
}

impl Recorder {
    /// The recorder of the kubelet on `host`, empty.
    pub fn new(host: &str) -> Recorder {
        Recorder {
            host: host.to_string(),
            seq: 0,
            queue: VecDeque::new(),
            current: None,
            sleeping: false,
            correlator: Correlator::default(),
            dropped: 0,
            probes: Probes::new(),
        }
    }

    /// `recorder.Event`: makes the event and queues it for the sink (dropped if the queue is full).
    pub fn record(&mut self, now: Millis, e: KubeletEvent) {
        let event = self.make_event(now, e);
        if self.queue.len() >= QUEUE_LIMIT {
            self.dropped += 1;
            self.probes.hit(Probe::EventQueueFull);
            return;
        }
        self.queue.push_back(event);
    }

    /// `makeEvent`.
    fn make_event(&mut self, now: Millis, e: KubeletEvent) -> Event {
        self.seq += 1;
        Event {
            name: event_name(&e.pod.name, now, self.seq),
            namespace: e.pod.namespace.to_string(),
            involved_object: e.pod,
            field_path: e.field_path,
            event_type: e.event_type,
            reason: e.reason,
            message: e.message,
            count: 1,
            first_timestamp: now,
            last_timestamp: now,
            source_host: self.host.clone(),
        }
    }

    /// Events waiting for the sink.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// The recorder's decisions reached so far (rule coverage).
    pub fn probes(&self) -> &Probes {
        &self.probes
    }

    /// Events dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Whether an event is being written (or waits to be written again).
    pub fn busy(&self) -> bool {
        self.current.is_some()
    }

    /// The sink's watcher takes the next event if it is free: `recordToSink` correlates it (the
    /// correlator may skip it) and makes its first write.
    pub fn next(&mut self, now: Millis) -> Option<SinkWrite> {
        if self.current.is_some() {
            return None;
        }
        while let Some(event) = self.queue.pop_front() {
            self.seq += 1;
            match self.correlator.correlate(now, event, self.seq) {
                Correlated::Skip => {
                    self.dropped += 1;
                    self.probes.hit(Probe::EventSpamFiltered);
                }
                Correlated::Write { event, patch } => {
                    if patch {
                        self.probes.hit(Probe::EventCountedUp);
                    }
                    if event.message.starts_with(AGGREGATE_PREFIX) {
                        self.probes.hit(Probe::EventAggregated);
                    }
                    let delivery = Delivery { event, patch, tries: 0, creating: false };
                    let write = delivery.write();
                    self.current = Some(delivery);
                    return Some(write);
                }
            }
        }
        None
    }

    /// A write was answered (`recordEvent` then `recordToSink`'s loop).
    pub fn on_reply(&mut self, result: WriteResult) -> AfterReply {
        let Some(d) = self.current.as_mut() else { return AfterReply::Done };
        match result {
            WriteResult::Ok => {
                self.correlator.update_state(&d.event);
                self.current = None;
                AfterReply::Done
            }
            WriteResult::NotFound if d.patch && !d.creating => {
                // "Update can fail because the event may have been removed": create it.
                d.creating = true;
                self.probes.hit(Probe::EventPatchMissing);
                AfterReply::Write(SinkWrite::Create(d.event.clone()))
            }
            WriteResult::NotFound | WriteResult::Refused => {
                // "Server rejected event (will not retry!)".
                self.current = None;
                self.dropped += 1;
                self.probes.hit(Probe::EventRefused);
                AfterReply::Done
            }
            WriteResult::Transport => {
                d.tries += 1;
                d.creating = false;
                if d.tries >= MAX_TRIES {
                    // "Unable to write event (retry limit exceeded!)".
                    self.current = None;
                    self.dropped += 1;
                    self.probes.hit(Probe::EventRetryLimit);
                    return AfterReply::Done;
                }
                self.sleeping = true;
                self.probes.hit(Probe::EventRetry);
                // "Randomize the first sleep so that various clients won't all be synced up".
                AfterReply::Sleep { delay: SLEEP, random: d.tries == 1 }
            }
        }
    }

    /// The retry timer fired: write the current event again.
    pub fn on_retry_timer(&mut self) -> Option<SinkWrite> {
        if !std::mem::take(&mut self.sleeping) {
            return None;
        }
        self.current.as_ref().map(Delivery::write)
    }
}

impl Delivery {
    fn write(&self) -> SinkWrite {
        if self.patch {
            SinkWrite::Patch(self.event.clone())
        } else {
            SinkWrite::Create(self.event.clone())
        }
    }
}

/// `<name>.<hex unix nanoseconds>` of `makeEvent`, with `seq` as the nanoseconds below the
/// millisecond.
fn event_name(pod_name: &str, now: Millis, seq: u64) -> String {
    let nanos = u128::from(now) * 1_000_000 + u128::from(seq % 1_000_000);
    format!("{pod_name}.{nanos:x}")
}

/// `getEventKey`: source, involved object (with field path), type, reason, message.
fn event_key(e: &Event) -> String {
    let p = &e.involved_object;
    let field_path = e.field_path.as_deref().unwrap_or("");
    [
        e.source_host.as_str(),
        &p.namespace,
        &p.name,
        field_path,
        &p.uid,
        e.event_type.as_str(),
        &e.reason,
        &e.message,
    ]
    .join("\u{1f}")
}

/// `EventAggregatorByReasonFunc`'s aggregate key: source, involved object (without field path), type
/// and reason; its local key is the message.
fn aggregate_key(e: &Event) -> String {
    let p = &e.involved_object;
    [e.source_host.as_str(), &p.namespace, &p.name, &p.uid, e.event_type.as_str(), &e.reason].join("\u{1f}")
}

/// The default spam key: source, involved object (without field path), type and reason.
fn spam_key(e: &Event) -> String {
    aggregate_key(e)
}

/// What `EventCorrelate` made of an event (moved once to the caller: no need to box).
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Correlated {
    /// The spam filter dropped it.
    Skip,
    /// Write it; `patch`: an event of the same key was seen, and this is its next count.
    Write {
        /// The event, with its count, first timestamp and name taken from the earlier ones.
        event: Event,
        /// Whether to patch the existing event.
        patch: bool,
    },
}

/// A map that forgets its least recently used entry past [`LRU_ENTRIES`] (groupcache's `lru`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Lru<V> {
    entries: BTreeMap<String, (V, u64)>,
    tick: u64,
}

impl<V> Default for Lru<V> {
    fn default() -> Lru<V> {
        Lru { entries: BTreeMap::new(), tick: 0 }
    }
}

impl<V: Clone> Lru<V> {
    fn get(&mut self, key: &str) -> Option<V> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(key).map(|(v, used)| {
            *used = tick;
            v.clone()
        })
    }

    fn add(&mut self, key: String, value: V) {
        self.tick += 1;
        self.entries.insert(key, (value, self.tick));
        if self.entries.len() > LRU_ENTRIES {
            let oldest = self.entries.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                self.entries.remove(&k);
            }
        }
    }
}

/// `aggregateRecord`: the messages seen of one aggregate key, and when last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct AggregateRecord {
    local_keys: BTreeSet<String>,
    last: Millis,
}

/// `eventLog`: how often an event was seen, since when, under which name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct EventLog {
    count: u32,
    first: Millis,
    name: String,
}

/// A token bucket (`flowcontrol.NewTokenBucketRateLimiterWithClock(1/300, 25)`) in exact integers:
/// one token is [`SPAM_REFILL`] units, and a millisecond adds one unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct TokenBucket {
    units: u64,
    at: Millis,
}

impl TokenBucket {
    fn full(now: Millis) -> TokenBucket {
        TokenBucket { units: SPAM_BURST * SPAM_REFILL, at: now }
    }

    /// `TryAccept`.
    fn try_accept(&mut self, now: Millis) -> bool {
        let elapsed = now.saturating_sub(self.at);
        self.units = (self.units + elapsed).min(SPAM_BURST * SPAM_REFILL);
        self.at = now.max(self.at);
        if self.units >= SPAM_REFILL {
            self.units -= SPAM_REFILL;
            true
        } else {
            false
        }
    }
}

/// client-go's `EventCorrelator` with its defaults: the aggregator, the event logger and the
/// source-object spam filter, each an LRU cache.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correlator {
    aggregates: Lru<AggregateRecord>,
    logs: Lru<EventLog>,
    spam: Lru<TokenBucket>,
}

impl Correlator {
    /// `EventCorrelate`: aggregate, observe (count), then the spam filter. `seq` names an aggregate
    /// event made now.
    pub fn correlate(&mut self, now: Millis, event: Event, seq: u64) -> Correlated {
        let (event, key) = self.aggregate(now, event, seq);
        let (event, patch) = self.observe(event, key);
        if self.filter(now, &event) {
            return Correlated::Skip;
        }
        Correlated::Write { event, patch }
    }

    /// `EventAggregate`: the tenth distinct message of one aggregate key within 10 minutes makes a
    /// new event, "(combined from similar events): <message>", counted under the aggregate key.
    fn aggregate(&mut self, now: Millis, event: Event, seq: u64) -> (Event, String) {
        let agg_key = aggregate_key(&event);
        let mut record = match self.aggregates.get(&agg_key) {
            Some(r) if now.saturating_sub(r.last) <= AGGREGATE_INTERVAL => r,
            _ => AggregateRecord { local_keys: BTreeSet::new(), last: now },
        };
        record.local_keys.insert(event.message.clone());
        record.last = now;
        let aggregated = record.local_keys.len() >= AGGREGATE_MAX_EVENTS;
        if aggregated {
            // "do not grow our local key set any larger than max" (Go pops any; podsim the first).
            record.local_keys.pop_first();
        }
        self.aggregates.add(agg_key.clone(), record);
        if !aggregated {
            let key = event_key(&event);
            return (event, key);
        }
        let combined = Event {
            name: event_name(&event.involved_object.name, now, seq),
            count: 1,
            first_timestamp: now,
            last_timestamp: now,
            message: format!("{AGGREGATE_PREFIX}{}", event.message),
            ..event
        };
        (combined, agg_key)
    }

    /// `eventObserve`: an event seen before under `key` keeps its name and first timestamp, and its
    /// count grows (to be patched).
    fn observe(&mut self, mut event: Event, key: String) -> (Event, bool) {
        let last = self.logs.get(&key);
        let patch = match last {
            Some(log) if log.count > 0 => {
                event.name = log.name;
                event.first_timestamp = log.first;
                event.count = log.count + 1;
                true
            }
            _ => false,
        };
        let log = EventLog { count: event.count, first: event.first_timestamp, name: event.name.clone() };
        self.logs.add(key, log);
        (event, patch)
    }

    /// `EventSourceObjectSpamFilter.Filter`: whether to drop the event.
    fn filter(&mut self, now: Millis, event: &Event) -> bool {
        let key = spam_key(event);
        let mut bucket = self.spam.get(&key).unwrap_or_else(|| TokenBucket::full(now));
        let accepted = bucket.try_accept(now);
        self.spam.add(key, bucket);
        !accepted
    }

    /// `UpdateState`: the server's copy of a written event (under its own full key).
    pub fn update_state(&mut self, event: &Event) {
        let log = EventLog { count: event.count, first: event.first_timestamp, name: event.name.clone() };
        self.logs.add(event_key(event), log);
    }
}

#[cfg(test)]
mod tests;
