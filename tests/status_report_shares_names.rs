//! Issue 16, "status reports borrow names": the status the kubelet generates for a pod shares the
//! container names and images of the pod's spec and the ids and reasons of the runtime's records
//! (`SharedStr`: a reference count, not a copy), and the kubelet's own words (ContainerCreating,
//! PodInitializing, the condition types) are static. What a stable pod's report still allocates is
//! lists, no text: the container statuses and the conditions, and three short lists of references
//! the phase and the conditions read (the spec's containers and the statuses, as `getPhase` takes
//! them; the init and regular statuses, for the conditions).
//!
//! The file holds ONE test on purpose: the allocation counter is process-wide (see
//! `alloc_free_planning.rs`).

use std::collections::BTreeMap;
use std::hint::black_box;

use podsim_model::status::pod_status_report;
use podsim_model::ContainerStateReport;

#[path = "../benches/common/mod.rs"]
mod common;

use common::{runtime, small_pod, Drift};

mod counting_alloc;

use counting_alloc::allocations_of;

#[test]
fn a_stable_pods_status_shares_its_names_and_allocates_only_its_lists() {
    let pod = small_pod(0);
    let rt = runtime(&pod, Drift::Stable);
    let reasons = BTreeMap::new();

    let (allocations, report) =
        allocations_of(|| pod_status_report(black_box(&pod), black_box(&rt), &reasons));

    // Shared, not copied: each status's name and image are the spec's own text, its id the record's.
    assert_eq!(report.container_statuses.len(), pod.spec.containers.len());
    for status in &report.container_statuses {
        let container =
            pod.spec.containers.iter().find(|c| c.name() == status.name).expect("a spec container");
        let record = rt.containers.iter().find(|c| c.name == status.name).expect("a runtime record");
        assert!(status.name.ptr_eq(container.shared_name()), "{}: the name is the spec's", status.name);
        assert!(status.image.ptr_eq(&record.image), "{}: the image is the record's", status.name);
        assert!(status.container_id.ptr_eq(&record.id), "{}: the id is the record's", status.name);
        assert!(matches!(status.state, ContainerStateReport::Running { .. }), "{}: running", status.name);
    }
    // Lists are all that is allocated: the container statuses and the conditions, and three views.
    assert!(!report.conditions.is_empty());
    assert_eq!(allocations, 5, "a stable pod's status allocates its two lists and three views, no text");
}
