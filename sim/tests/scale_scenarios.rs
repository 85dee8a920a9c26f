//! The churn family of `scenarios/scale/` (`podsim_sim::churn`): the checked-in files are exactly what
//! the generator makes, they load, they differ only in their number of pods, and the smallest one
//! passes (the large ones are for `podsim explore` and the cost curve in release builds; see
//! scenarios/README.md).

use std::path::{Path, PathBuf};

use podsim_sim::churn::{churn_scenario, file_name, PodLife, NODE_FAULTS, PODS_PER_FAULT_A_MINUTE, SIZES};
use podsim_sim::scenario::{Action, Scenario};
use podsim_sim::world::World;

fn scale_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/scale")
}

fn load(pods: usize) -> Scenario {
    let path = scale_dir().join(file_name(pods));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Scenario::parse(&path.to_string_lossy(), &text).unwrap_or_else(|e| panic!("{e}"))
}

/// Regenerating reproduces every checked-in file byte for byte, and the folder holds nothing else.
#[test]
fn the_checked_in_files_are_what_the_generator_makes() {
    for pods in SIZES {
        let path = scale_dir().join(file_name(pods));
        let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            on_disk == churn_scenario(pods).unwrap(),
            "{} differs from the generator's; regenerate with `cargo run -p podsim-sim --example churn_scenarios`",
            path.display()
        );
    }
    let mut files: Vec<String> = std::fs::read_dir(scale_dir())
        .expect("scenarios/scale exists")
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected: Vec<String> = SIZES.iter().map(|&n| file_name(n)).collect();
    expected.sort();
    assert_eq!(files, expected, "scenarios/scale/ holds the generated files only");
}

/// Counts of what a scenario's timeline does: creations, updates, deletions, faults.
fn counts(s: &Scenario) -> [usize; 4] {
    let mut c = [0; 4];
    for (_, action) in &s.timeline {
        match action {
            Action::CreatePod(_) => c[0] += 1,
            Action::UpdatePod(_) => c[1] += 1,
            Action::DeletePod { .. } => c[2] += 1,
            Action::Fault(_) => c[3] += 1,
            other => panic!("unexpected action {other:?}"),
        }
    }
    c
}

/// Each file has N pods living the family's lives, the node's faults at the same times whatever N,
/// the pod faults' rate N / 50 a minute, and an expectation for every pod.
#[test]
fn the_files_differ_only_in_their_number_of_pods() {
    for pods in SIZES {
        let s = load(pods);
        let lives: Vec<PodLife> = (0..pods).map(|i| PodLife::of(i, pods)).collect();
        let updated = lives.iter().filter(|l| l.updated.is_some()).count();
        let deleted = lives.iter().filter(|l| l.deleted.is_some()).count();
        assert_eq!(counts(&s), [pods, updated, deleted, NODE_FAULTS.len()], "{pods} pods");
        let fault_times: Vec<u64> =
            s.timeline.iter().filter(|(_, a)| matches!(a, Action::Fault(_))).map(|(t, _)| *t).collect();
        assert_eq!(fault_times, NODE_FAULTS.iter().map(|(t, _)| *t).collect::<Vec<_>>());
        let profile = s.random_faults.as_ref().expect("random pod faults");
        assert_eq!(profile.per_minute, pods as f64 / PODS_PER_FAULT_A_MINUTE as f64);
        assert_eq!(s.expect.pods.len(), pods, "one expectation a pod");
        assert_eq!(s.duration, 600_000);
    }
}

/// The 30-pod scenario passes at two seeds with its random faults (the others are run in release
/// builds: `podsim explore scenarios/scale/`).
#[test]
fn the_smallest_scenario_passes() {
    let s = load(30);
    for seed in 0..2 {
        let (outcome, _) = World::new(&s, seed, true, false).run();
        assert!(outcome.passed(), "seed {seed}: {:?}", outcome.violations);
        assert!(outcome.faults > NODE_FAULTS.len() as u64, "seed {seed}: random pod faults were drawn");
    }
}
