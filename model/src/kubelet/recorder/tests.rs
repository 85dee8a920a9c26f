//! The recorder's tests.

use super::*;
use crate::events::EventType;
use crate::io::PodRef;

fn kubelet_event(reason: &str, message: &str) -> KubeletEvent {
    KubeletEvent {
        pod: PodRef { uid: "u1".into(), name: "web".into(), namespace: "default".into() },
        field_path: Some("spec.containers{app}".into()),
        event_type: EventType::Warning,
        reason: reason.into(),
        message: message.into(),
    }
}

fn written(w: Option<SinkWrite>) -> (Event, bool) {
    match w.expect("a write") {
        SinkWrite::Create(e) => (e, false),
        SinkWrite::Patch(e) => (e, true),
    }
}

/// `TestEventCorrelator` "the-same-event-should-just-count": the same event again is one event
/// whose count grows, patched, with its first name and first timestamp.
#[test]
fn the_same_event_counts_up() {
    let mut r = Recorder::new("node-1");
    r.record(1_000, kubelet_event("BackOff", "Back-off"));
    let (first, patch) = written(r.next(1_000));
    assert!(!patch);
    assert_eq!((first.count, first.first_timestamp, first.last_timestamp), (1, 1_000, 1_000));
    assert_eq!(r.on_reply(WriteResult::Ok), AfterReply::Done);
    r.record(11_000, kubelet_event("BackOff", "Back-off"));
    let (second, patch) = written(r.next(11_000));
    assert!(patch, "a repeated event is patched");
    assert_eq!(second.name, first.name);
    assert_eq!((second.count, second.first_timestamp, second.last_timestamp), (2, 1_000, 11_000));
}

/// "different-reasons-should-not-aggregate" and a different message: distinct events.
#[test]
fn different_messages_or_reasons_are_separate_events() {
    let mut r = Recorder::new("node-1");
    for (reason, message) in [("Failed", "Error: a"), ("Failed", "Error: b"), ("BackOff", "Error: a")] {
        r.record(0, kubelet_event(reason, message));
        let (e, patch) = written(r.next(0));
        assert!(!patch, "{reason} {message}");
        assert_eq!(e.count, 1);
        r.on_reply(WriteResult::Ok);
    }
}

/// "similar-events-should-aggregate-event": the 10th distinct message of one reason within 10
/// minutes is written as a combined event, and later ones count it up.
#[test]
fn ten_similar_messages_aggregate() {
    let mut r = Recorder::new("node-1");
    for i in 0..9 {
        r.record(i, kubelet_event("Failed", &format!("Error: {i}")));
        let (e, _) = written(r.next(i));
        assert!(!e.message.starts_with(AGGREGATE_PREFIX), "message {i} is not combined");
        r.on_reply(WriteResult::Ok);
    }
    r.record(9, kubelet_event("Failed", "Error: 9"));
    let (combined, patch) = written(r.next(9));
    assert!(!patch);
    assert_eq!(combined.message, format!("{AGGREGATE_PREFIX}Error: 9"));
    r.on_reply(WriteResult::Ok);
    r.record(10, kubelet_event("Failed", "Error: 10"));
    let (again, patch) = written(r.next(10));
    assert!(patch, "the combined event counts up");
    assert_eq!((again.name, again.count), (combined.name, 2));
    assert_eq!(again.message, format!("{AGGREGATE_PREFIX}Error: 10"));
}

/// The spam filter lets 25 events of one object, type and reason through, then one per 5 min.
#[test]
fn the_spam_filter_allows_a_burst_then_one_per_five_minutes() {
    let mut r = Recorder::new("node-1");
    let mut writes = 0;
    for i in 0..30 {
        r.record(i, kubelet_event("BackOff", "same"));
        if r.next(i).is_some() {
            writes += 1;
            r.on_reply(WriteResult::Ok);
        }
    }
    assert_eq!(writes, 25);
    assert_eq!(r.dropped(), 5);
    r.record(30 + SPAM_REFILL, kubelet_event("BackOff", "same"));
    let (e, _) = written(r.next(30 + SPAM_REFILL));
    assert_eq!(e.count, 31, "dropped events still counted (observe runs before the filter)");
}

/// `recordToSink`: a transport error is retried after a random part of 10 s, then every 10 s, 12
/// tries in all; the next event waits meanwhile.
#[test]
fn transport_errors_are_retried_twelve_times_then_dropped() {
    let mut r = Recorder::new("node-1");
    r.record(0, kubelet_event("Pulling", "one"));
    r.record(0, kubelet_event("Pulling", "two"));
    assert!(r.next(0).is_some());
    assert_eq!(r.next(0), None, "one event at a time");
    let mut sleeps = Vec::new();
    for _ in 0..MAX_TRIES {
        match r.on_reply(WriteResult::Transport) {
            AfterReply::Sleep { delay, random } => {
                sleeps.push((delay, random));
                assert!(r.on_retry_timer().is_some());
            }
            AfterReply::Done => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(sleeps.len(), (MAX_TRIES - 1) as usize);
    assert_eq!(sleeps[0], (SLEEP, true));
    assert!(sleeps[1..].iter().all(|s| *s == (SLEEP, false)));
    assert_eq!(r.dropped(), 1);
    let (next, _) = written(r.next(200_000));
    assert_eq!(next.message, "two");
}

/// `recordEvent`: a patch the server cannot apply (404) becomes a create in the same try; a
/// refusal is not retried.
#[test]
fn a_patch_of_a_missing_event_creates_it_and_a_refusal_drops() {
    let mut r = Recorder::new("node-1");
    r.record(0, kubelet_event("BackOff", "x"));
    r.next(0);
    r.on_reply(WriteResult::Ok);
    r.record(5, kubelet_event("BackOff", "x"));
    let (patched, patch) = written(r.next(5));
    assert!(patch);
    let AfterReply::Write(SinkWrite::Create(created)) = r.on_reply(WriteResult::NotFound) else {
        panic!("a create follows the 404")
    };
    assert_eq!(created, patched, "the same event, count 2");
    assert_eq!(r.on_reply(WriteResult::Refused), AfterReply::Done);
    assert_eq!(r.dropped(), 1);
    assert!(!r.busy());
}

#[test]
fn a_full_queue_drops_new_events() {
    let mut r = Recorder::new("node-1");
    for i in 0..QUEUE_LIMIT as u64 + 3 {
        r.record(i, kubelet_event("Pulling", &i.to_string()));
    }
    assert_eq!(r.queued(), QUEUE_LIMIT);
    assert_eq!(r.dropped(), 3);
}

#[test]
fn names_are_unique_within_a_millisecond() {
    assert_eq!(event_name("web", 1, 1), "web.f4241");
    assert_ne!(event_name("web", 1, 1), event_name("web", 1, 2));
}

/// Survivors of the full mutation run: `recorder.rs:334:19` and `343:19` (`+=` to `*=` in `Lru::get`
/// and `Lru::add`), `345:31` (`>` to `>=` and to `==` in `Lru::add`). The correlator's caches are
/// groupcache LRUs of `maxLruCacheEntries` (4096) entries: they hold exactly that many, and adding
/// one more forgets the entry used least recently, where a `get` counts as a use.
#[test]
fn the_lru_holds_4096_entries_and_forgets_the_least_recently_used() {
    let mut lru: Lru<u32> = Lru::default();
    lru.add("x".into(), 0);
    lru.add("y".into(), 0);
    let others: Vec<String> = (0..LRU_ENTRIES - 2).map(|i| format!("k{i:04}")).collect();
    for k in &others {
        lru.add(k.clone(), 1);
    }
    assert_eq!(lru.entries.len(), LRU_ENTRIES, "full, nothing forgotten");
    // Uses, oldest first: y, x, then every other key.
    assert_eq!(lru.get("y"), Some(0));
    assert_eq!(lru.get("x"), Some(0));
    for k in &others {
        assert_eq!(lru.get(k), Some(1));
    }
    lru.add("new".into(), 2);
    assert_eq!(lru.entries.len(), LRU_ENTRIES);
    assert!(!lru.entries.contains_key("y"), "y, used least recently, is forgotten");
    assert!(lru.entries.contains_key("x") && lru.entries.contains_key("k0000"));
    lru.add("newer".into(), 3);
    assert!(!lru.entries.contains_key("x"), "then x");
    assert_eq!(lru.get("newer"), Some(3));

    // Without any get, the entry added first is the one forgotten (an add is a use too).
    let mut lru: Lru<u32> = Lru::default();
    lru.add("z".into(), 0);
    for k in &others {
        lru.add(k.clone(), 1);
    }
    lru.add("y".into(), 1);
    lru.add("new".into(), 2);
    assert!(!lru.entries.contains_key("z") && lru.entries.contains_key("k0000"));
}

/// Survivor `recorder.rs:422:24` (the match guard `now - r.last <= AGGREGATE_INTERVAL` to `true` in
/// `Correlator::aggregate`). `EventAggregate` counts the distinct messages of one aggregate key seen
/// within `maxIntervalInSeconds` (600 s) of the last one: a tenth message 600 s after the ninth is
/// combined; one 600.001 s after starts the count again, as itself.
#[test]
fn a_tenth_message_more_than_ten_minutes_later_is_not_combined() {
    let tenth_after = |gap: Millis| {
        let mut r = Recorder::new("node-1");
        for i in 0..9 {
            r.record(i, kubelet_event("Failed", &format!("Error: {i}")));
            written(r.next(i));
            r.on_reply(WriteResult::Ok);
        }
        let at = 8 + gap;
        r.record(at, kubelet_event("Failed", "Error: 9"));
        written(r.next(at)).0.message
    };
    assert_eq!(tenth_after(AGGREGATE_INTERVAL), format!("{AGGREGATE_PREFIX}Error: 9"));
    assert_eq!(tenth_after(AGGREGATE_INTERVAL + 1), "Error: 9");
}
