//! A quiet node costs no heap allocation per event (issue 16): once every pod runs and no fault is
//! due, the world's events are the kubelet's relists (every second: `ListPodSandbox` and
//! `ListContainers` of the whole node), its housekeeping and the status manager's resync. The
//! simulated containerd hands out a shared snapshot of its lists while nothing changes, the PLEG
//! skips a relist whose lists are the last one's, and the observers (checker, happening log) learn a
//! shared listing once, and the event queue is a heap that keeps its capacity; so three quiet minutes
//! of a 30-pod node make no allocation at all.
//!
//! ONE test in this file on purpose: the counter is process-wide (gated to the measuring thread).

use podsim_sim::scenario::Scenario;
use podsim_sim::world::World;

mod counting_alloc;

use counting_alloc::allocations_of;

/// Thirty two-container pods created at once, no faults, ten minutes; the kubelet's periodic resync
/// of each pod (`syncFrequency`, 1 min by default) is set to 10 minutes, so that the quiet stretch
/// measured below holds no pod sync: a pod sync is real work (it reads the pod, lists its runtime
/// objects, builds its status) and allocates.
fn quiet_node() -> Scenario {
    let mut text = String::from("name: quiet-node\ndescription: Thirty pods and nothing happening.\nduration: 10m\nkubelet: {syncFrequency: 10m}\nimages:\n- {name: podsim/workload:1}\npods:\n");
    for i in 0..30 {
        text.push_str(&format!(
            "- metadata: {{name: pod-{i}}}\n  spec:\n    containers:\n    \
             - {{name: app, image: \"podsim/workload:1\", command: [workload, run]}}\n    \
             - {{name: side, image: \"podsim/workload:1\", command: [workload, run]}}\n"
        ));
    }
    Scenario::parse("quiet-node.yaml", &text).expect("the quiet node parses")
}

#[test]
fn a_quiet_node_allocates_nothing_per_event() {
    let scenario = quiet_node();
    let mut world = World::new(&scenario, 1, false, false);
    // Every pod starts within the first seconds; by two minutes the node is quiet.
    let settling = world.run_to(120_000);
    assert!(settling > 1_000, "the pods were started ({settling} events)");
    let (allocations, events) = allocations_of(|| world.run_to(300_000));
    // Three minutes of a quiet node: 180 relists and more.
    assert!(events >= 360, "the quiet minutes had their relists ({events} events)");
    assert_eq!(allocations, 0, "a quiet node allocated {allocations} times in {events} events");
}
