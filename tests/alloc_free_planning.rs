//! The stable-pod planning path allocates nothing per pod: `compute_pod_actions_into` plans into a
//! reused `PodActions`, whose buffers (the sandbox id, the start and kill lists) keep their capacity,
//! so after the first pod a node of stable pods is planned without a single heap allocation.
//! (`compute_pod_actions`, which returns a fresh `PodActions`, makes one: the sandbox id.)
//!
//! The file holds ONE test on purpose: the counter is process-wide, and a second test running on
//! another thread must not allocate into the measurement. (The counter is also gated to the measuring
//! thread, so the libtest harness's own thread cannot add to it either.)

use std::hint::black_box;

use podsim_model::actions::compute_pod_actions_into;
use podsim_model::{compute_pod_actions, PodActions, ProbeResults};

#[path = "../benches/common/mod.rs"]
mod common;

use common::{runtime, small_pod, Drift};

mod counting_alloc;

use counting_alloc::allocations_of;

#[test]
fn stable_pod_planning_allocates_nothing_per_pod() {
    let probes = ProbeResults::none();

    // One stable 3-container pod, planned into a fresh PodActions: only the sandbox id is allocated.
    let pod = small_pod(0);
    let rt = runtime(&pod, Drift::Stable);
    let (one, actions) = allocations_of(|| compute_pod_actions(black_box(&pod), black_box(&rt), &probes));
    assert!(actions.is_noop(), "a stable pod has nothing to do: {actions:?}");
    assert!(one <= 1, "a fresh plan of a stable pod allocates at most its sandbox id, made {one}");

    // A node of 1,000 stable pods, planned into one reused PodActions (warmed up by one plan).
    let pods: Vec<_> = (0..1_000)
        .map(|i| {
            let pod = small_pod(i);
            let rt = runtime(&pod, Drift::Stable);
            (pod, rt)
        })
        .collect();
    let mut plan = PodActions::default();
    compute_pod_actions_into(&pods[0].0, &pods[0].1, &probes, &mut plan);
    let (all, noops) = allocations_of(|| {
        let mut noops = 0;
        for (pod, rt) in &pods {
            compute_pod_actions_into(black_box(pod), black_box(rt), &probes, &mut plan);
            noops += usize::from(plan.is_noop());
        }
        noops
    });
    assert_eq!(noops, pods.len(), "every stable pod plans a no-op");
    assert_eq!(all, 0, "planning 1,000 stable pods into a reused plan must allocate nothing, made {all}");
}
