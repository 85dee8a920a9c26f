//! criterion benchmarks of the sync loop and of the world (see benches/README.md).
//!
//! - `compute_pod_actions`: one plan for a 3-container pod and a large pod, stable and with one
//!   changed hash.
//! - `resync`: planning every pod of a node of N pods (`compute_pod_actions_into` one reused plan, as
//!   the kubelet's resync loop would, then `pod_status_report`).
//! - `world`: one seeded run of `scenarios/churn-random-faults.yaml` with random faults.
//! - `scale`: one seeded run of `scenarios/scale/churn-N-pods.yaml`, N = 30, 100, 300, 1000
//!   (throughput per pod; `scripts/scale-curve.py` gives the same curve per virtual minute).
//!
//! `PODSIM_BENCH_QUICK=1` takes few, short samples, skips N = 10000 of `resync` and runs `scale`
//! at N = 30 only (a smoke run, not figures).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use podsim_model::actions::compute_pod_actions_into;
use podsim_model::status::pod_status_report;
use podsim_model::{compute_pod_actions, PodActions, ProbeResults};
use podsim_sim::scenario::Scenario;
use podsim_sim::world::World;

mod common;

use common::{large_pod, node, runtime, small_pod, Drift};

/// Whether `PODSIM_BENCH_QUICK=1` asks for the quick mode.
fn quick() -> bool {
    std::env::var("PODSIM_BENCH_QUICK").is_ok_and(|v| v == "1")
}

/// criterion's configuration: its defaults, or few short samples in quick mode.
fn config() -> Criterion {
    let c = Criterion::default();
    if quick() {
        c.sample_size(10)
            .warm_up_time(Duration::from_millis(100))
            .measurement_time(Duration::from_millis(200))
    } else {
        c
    }
}

fn bench_compute_pod_actions(c: &mut Criterion) {
    let probes = ProbeResults::none();
    let mut group = c.benchmark_group("compute_pod_actions");
    for (name, pod) in [("3-containers", small_pod(0)), ("large-10c-3init-2sidecars", large_pod(0))] {
        for (case, drift) in [("stable", Drift::Stable), ("changed-hash", Drift::ChangedHash)] {
            let rt = runtime(&pod, drift);
            let actions = compute_pod_actions(&pod, &rt, &probes);
            assert_eq!(actions.is_noop(), drift == Drift::Stable, "{name}/{case}: {actions:?}");
            group.bench_function(BenchmarkId::new(name, case), |b| {
                b.iter(|| compute_pod_actions(black_box(&pod), black_box(&rt), black_box(&probes)))
            });
        }
    }
    group.finish();
}

fn bench_resync(c: &mut Criterion) {
    let probes = ProbeResults::none();
    let start_failures = BTreeMap::new();
    let sizes: &[usize] = if quick() { &[10, 100, 1000] } else { &[10, 100, 1000, 10_000] };
    let mut group = c.benchmark_group("resync");
    for &n in sizes {
        group.throughput(Throughput::Elements(n as u64));
        for (case, changed) in [("stable", false), ("10pct-changed", true)] {
            let pods = node(n, changed);
            let mut plan = PodActions::default();
            group.bench_with_input(BenchmarkId::new(case, n), &pods, |b, pods| {
                b.iter(|| {
                    for (pod, rt) in pods {
                        compute_pod_actions_into(pod, rt, &probes, &mut plan);
                        black_box(&plan);
                        black_box(pod_status_report(pod, rt, &start_failures));
                    }
                })
            });
        }
    }
    group.finish();
}

fn bench_world(c: &mut Criterion) {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/churn-random-faults.yaml");
    let text = std::fs::read_to_string(file).expect("read the churn scenario");
    let scenario = Scenario::parse(file, &text).expect("parse the churn scenario");
    let mut group = c.benchmark_group("world");
    // A run takes ~0.1 s: flat sampling keeps the iteration count at the sample count.
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    if !quick() {
        group.measurement_time(Duration::from_secs(10));
    }
    group.bench_function("churn-random-faults/seed-1", |b| {
        b.iter(|| World::new(black_box(&scenario), 1, true, false).run())
    });
    group.finish();
}

fn bench_scale(c: &mut Criterion) {
    let sizes: &[usize] = if quick() { &[30] } else { &podsim_sim::churn::SIZES };
    let mut group = c.benchmark_group("scale");
    // A run takes 40 ms (N = 30) to 3 s (N = 1000): flat sampling, the fewest samples criterion takes.
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    for &n in sizes {
        let file = format!("{}/scenarios/scale/churn-{n}-pods.yaml", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&file).expect("read the scale scenario");
        let scenario = Scenario::parse(&file, &text).expect("parse the scale scenario");
        let (outcome, _) = World::new(&scenario, 1, true, false).run();
        assert!(outcome.passed(), "{file} seed 1: {:?}", outcome.violations);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("churn-seed-1", n), &scenario, |b, scenario| {
            b.iter(|| World::new(black_box(scenario), 1, true, false).run())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_compute_pod_actions, bench_resync, bench_world, bench_scale
}
criterion_main!(benches);
