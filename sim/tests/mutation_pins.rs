//! Behaviours of the model that `cargo mutants` showed no test of the workspace observed, pinned
//! through a shipped scenario run by the simulated world (issue 13, "Mutation score"; the figures are
//! in BENCHMARKS.md). Each test names the mutant it catches.

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

/// `Kubelet::event_data_dir_failed` -> (): a pod created while making data directories fails gets
/// the kubelet's Warning "Failed" event, "error making pod data directories: ..." (Kubelet.SyncPod's
/// `events.FailedToMakePodDataDirectories`), and runs once the failure heals.
#[test]
fn a_failed_data_directory_is_a_warning_event_of_the_pod() {
    let events = run("data-dir-failure-heals.yaml");
    let failed: Vec<&EventRecord> = events
        .iter()
        .filter(|e| e.reason == "Failed" && e.message.starts_with("error making pod data directories: "))
        .collect();
    assert_eq!(failed.len(), 1, "one Event, counted: {events:#?}");
    let e = failed[0];
    assert_eq!((e.pod_name.as_str(), e.event_type), ("web", EventType::Warning));
    assert!(e.container.is_none(), "about the pod, not a container: {e:?}");
}
