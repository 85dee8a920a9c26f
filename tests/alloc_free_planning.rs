//! How many heap allocations `compute_pod_actions` makes for a stable pod (the issue's "the stable-pod
//! planning path allocates nothing per pod").
//!
//! It does not reach zero yet: planning a stable 3-container pod makes exactly one allocation, the
//! clone of the sandbox id into `PodActions::sandbox_id: String` (`pod_sandbox_changed` returns
//! `newest.id.clone()`). Every `Vec` of the plan stays empty and so unallocated, and no kill message is
//! formatted. The count becomes zero if `PodActions` borrows the sandbox id (`&'a str`, or an index into
//! `status.sandboxes`) or holds it in a shared `Arc<str>` that the runtime status already owns; then
//! `MAX_ALLOCATIONS_PER_STABLE_POD` below should drop to 0.
//!
//! The file holds ONE test on purpose: the counter is process-wide, and a second test running on
//! another thread must not allocate into the measurement. (The counter is also gated to the measuring
//! thread, so the libtest harness's own thread cannot add to it either.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use podsim_model::{compute_pod_actions, ProbeResults};

#[path = "../benches/common/mod.rs"]
mod common;

use common::{runtime, small_pod, Drift};

/// The measured count for one stable 3-container pod: the sandbox id clone (see the module doc).
const MAX_ALLOCATIONS_PER_STABLE_POD: usize = 1;

/// `System`, counting every allocation (alloc, alloc_zeroed, realloc) made while the current thread
/// is measuring.
struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // Const-initialised and without a destructor: safe to read from inside the allocator.
    static MEASURING: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if MEASURING.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to `System`; counting neither allocates nor unwinds.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// The allocations `f` makes on this thread.
fn allocations_of<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    MEASURING.with(|m| m.set(true));
    let out = f();
    MEASURING.with(|m| m.set(false));
    (ALLOCATIONS.load(Ordering::Relaxed) - before, out)
}

#[test]
fn stable_planning_allocations_are_bounded_per_pod() {
    let probes = ProbeResults::none();

    // One stable 3-container pod.
    let pod = small_pod(0);
    let rt = runtime(&pod, Drift::Stable);
    let (one, actions) = allocations_of(|| compute_pod_actions(black_box(&pod), black_box(&rt), &probes));
    assert!(actions.is_noop(), "a stable pod has nothing to do: {actions:?}");
    eprintln!("compute_pod_actions, stable 3-container pod: {one} allocation(s)");
    assert!(
        one <= MAX_ALLOCATIONS_PER_STABLE_POD,
        "planning a stable 3-container pod made {one} allocations, more than the \
         {MAX_ALLOCATIONS_PER_STABLE_POD} measured (the sandbox id clone)"
    );

    // A node of 1,000 stable pods: the count is linear in the pods, nothing accumulates.
    let pods: Vec<_> = (0..1_000)
        .map(|i| {
            let pod = small_pod(i);
            let rt = runtime(&pod, Drift::Stable);
            (pod, rt)
        })
        .collect();
    let (all, noops) = allocations_of(|| {
        pods.iter().filter(|(pod, rt)| black_box(compute_pod_actions(pod, rt, &probes)).is_noop()).count()
    });
    assert_eq!(noops, pods.len(), "every stable pod plans a no-op");
    eprintln!("compute_pod_actions, 1,000 stable 3-container pods: {all} allocation(s)");
    assert!(
        all <= pods.len() * MAX_ALLOCATIONS_PER_STABLE_POD,
        "planning 1,000 stable pods made {all} allocations, more than 1,000 x {MAX_ALLOCATIONS_PER_STABLE_POD}"
    );
}
