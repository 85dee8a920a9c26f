//! Rule coverage as "sometimes" assertions (FoundationDB's code probes): the shipped scenario library,
//! each scenario as written and over a few seeds with random faults (as `podsim explore` runs it),
//! must reach every probe of the kubelet model that the simulated world can reach. A probe no run
//! reaches is a gap in the scenarios: add one that reaches it (see scenarios/README.md).
//!
//! The library is joined by the first generated worlds (`podsim explore --generate`), as the issue
//! asks: the shipped scenarios plus N generated seeds reach every probe.

use std::path::Path;

use podsim_model::coverage::Reach;
use podsim_sim::coverage::{measure, Subject};
use podsim_sim::scenario::Scenario;

/// Seeds with random faults per scenario, after its run as written.
const SEEDS: std::ops::Range<u64> = 0..2;

/// Every `*.yaml` of the shipped scenarios/ folder, with its path, sorted.
fn shipped_scenarios() -> Vec<(String, Scenario)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("the scenarios folder")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let name = format!("scenarios/{}", p.file_name().expect("a file").to_string_lossy());
            let text = std::fs::read_to_string(p).expect("readable");
            let scenario = Scenario::parse(&name, &text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, scenario)
        })
        .collect()
}

/// Runs `scenarios` and fails naming every probe of the world that no run reached, and every run that
/// failed.
fn assert_every_probe_reached(scenarios: &[(String, Scenario)], seeds: std::ops::Range<u64>) {
    let subjects: Vec<Subject<'_>> =
        scenarios.iter().map(|(name, scenario)| Subject { name, scenario }).collect();
    let report = measure(&subjects, seeds, 2);
    assert!(report.failed.is_empty(), "runs failed: {:?}", report.failed);
    let gaps: Vec<String> = report
        .never_reached
        .iter()
        .map(|name| {
            let line = report.probes.iter().find(|l| l.name == *name).expect("a probe of the report");
            format!("{name}: {}", line.description)
        })
        .collect();
    assert!(gaps.is_empty(), "no scenario reaches these probes:\n  {}", gaps.join("\n  "));
    // Both ways: a probe marked outside the world that a run reaches is mislabelled (its description
    // says why the world cannot reach it, and that reason is wrong).
    let mislabelled: Vec<String> = report
        .probes
        .iter()
        .filter(|l| l.reach == Reach::OutsideWorld && l.runs > 0)
        .map(|l| format!("{} (first: {:?}): {}", l.name, l.first, l.description))
        .collect();
    assert!(
        mislabelled.is_empty(),
        "runs reach probes marked outside the world:\n  {}",
        mislabelled.join("\n  ")
    );
}

/// Generated worlds added to the library's scenarios (`podsim explore --generate`'s first seeds).
const GENERATED: std::ops::Range<u64> = 0..20;

#[test]
fn the_shipped_scenarios_and_generated_worlds_reach_every_probe_of_the_world() {
    let mut scenarios = shipped_scenarios();
    let options = podsim_sim::generate::GenerateOptions::default();
    for seed in GENERATED {
        let world =
            podsim_sim::generate::generate(seed, &options).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        scenarios.push((format!("generated seed {seed}"), world));
    }
    assert_every_probe_reached(&scenarios, SEEDS);
}
