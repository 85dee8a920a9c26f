//! The Kubernetes Events of shipped scenarios, as the simulated API server ends up with them: the
//! kubelet's records (reasons, types, messages of Kubernetes 1.35) after client-go's correlator and
//! sink, carried over the kubelet ↔ API server link (so a partition delays them).

use podsim_model::events::EventType;
use podsim_sim::events::EventRecord;
use podsim_sim::scenario::Scenario;
use podsim_sim::world::World;

const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios");

fn run(file: &str) -> Vec<EventRecord> {
    let path = format!("{SCENARIOS}/{file}");
    let text = std::fs::read_to_string(&path).expect("the scenario is readable");
    let scenario = Scenario::parse(&path, &text).unwrap_or_else(|e| panic!("{e}"));
    let (outcome, _) = World::new(&scenario, scenario.seed.unwrap_or(0), false, false).run();
    assert!(outcome.passed(), "{file}: {:?}", outcome.violations);
    outcome.kube_events
}

fn find<'a>(events: &'a [EventRecord], reason: &str, message_start: &str) -> Vec<&'a EventRecord> {
    events.iter().filter(|e| e.reason == reason && e.message.starts_with(message_start)).collect()
}

#[test]
fn crash_loop_backoff_has_one_back_off_warning_counted_many_times() {
    let events = run("crash-loop-backoff.yaml");
    let backoffs = find(&events, "BackOff", "Back-off restarting failed container ");
    assert_eq!(backoffs.len(), 1, "one Event per container and message: {backoffs:?}");
    let e = backoffs[0];
    assert_eq!(e.event_type, EventType::Warning);
    assert!(e.count > 1, "counted up: {e:?}");
    assert!(e.last > e.first, "first and last differ: {e:?}");
    assert!(
        e.container.is_some() && e.field_path.as_deref().is_some_and(|f| f.starts_with("spec.containers{"))
    );
    let started = find(&events, "Started", "Container started");
    assert_eq!(started.len(), 1);
    // Every restart after the first waited out a back-off, and each sync in it records one.
    assert!(e.count + 1 >= started[0].count, "a back-off before each restart: {started:?} {e:?}");
}

#[test]
fn image_pull_permanent_failure_has_failed_and_back_off_events() {
    let events = run("image-pull-permanent-failure.yaml");
    let failed_pull = find(&events, "Failed", "Failed to pull image ");
    assert_eq!(failed_pull.len(), 1, "{events:#?}");
    assert_eq!(failed_pull[0].event_type, EventType::Warning);
    assert!(failed_pull[0].count > 1, "the pull is retried: {failed_pull:?}");
    let err = find(&events, "Failed", "Error: ErrImagePull");
    let back_off_err = find(&events, "Failed", "Error: ImagePullBackOff");
    assert_eq!((err.len(), back_off_err.len()), (1, 1), "{events:#?}");
    let back_off = find(&events, "BackOff", "Back-off pulling image ");
    assert_eq!(back_off.len(), 1);
    assert_eq!(back_off[0].event_type, EventType::Normal, "the image manager's back-off is Normal");
    assert!(events.iter().all(|e| e.source_component == "kubelet"));
}

#[test]
fn events_of_a_partition_reach_the_api_server_after_it_heals() {
    // A 2-minute partition from 5 s: the BackOffs of the crash loop are recorded during it.
    let events = run("partition-does-not-delay-restarts.yaml");
    let backoff = find(&events, "BackOff", "Back-off restarting failed container app");
    let e = backoff.first().expect("the back-offs arrived");
    assert!(e.first < 125_000, "first seen during the partition: {e:?}");
    assert!(e.written >= 125_000, "written once it healed: {e:?}");
}

#[test]
fn a_graceful_delete_records_killing() {
    let events = run("graceful-delete-ignores-sigterm.yaml");
    let killing = find(&events, "Killing", "Stopping container ");
    assert_eq!(killing.len(), 1, "{events:#?}");
    assert_eq!(killing[0].event_type, EventType::Normal);
}
