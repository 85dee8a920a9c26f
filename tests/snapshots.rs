//! Regression snapshots: every shipped scenario at its fixed seed, as a condensed trace (the kubelet's
//! decisions, the runtime calls that change state, faults and violations, with virtual times) and its
//! outcome. A change in behaviour shows up as a snapshot diff: accept it with `cargo insta review`.
//!
//! Also: every scenario over a range of seeds with random faults must keep every invariant.

use std::path::{Path, PathBuf};

use podsim_sim::scenario::Scenario;
use podsim_sim::trace::{Trace, TraceKind};
use podsim_sim::world::{Outcome, World};

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the scenarios folder exists")
        .map(|e| e.expect("a readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "the library has scenarios");
    files
}

fn load(path: &Path) -> Scenario {
    let text = std::fs::read_to_string(path).expect("readable");
    Scenario::parse(&path.to_string_lossy(), &text).unwrap_or_else(|e| panic!("{e}"))
}

/// The part of a trace that describes behaviour: no API chatter, no list calls, no watch events.
fn condensed(trace: &Trace) -> String {
    let mut out = String::new();
    for r in trace.records() {
        let keep = match r.kind {
            TraceKind::Api | TraceKind::Watch | TraceKind::Node => false,
            TraceKind::Cri => !r.text.starts_with("List") && !r.text.starts_with("ImageStatus"),
            _ => true,
        };
        if keep {
            out.push_str(&format!("{:>9} {:<9} {}\n", r.t, format!("{:?}", r.kind).to_lowercase(), r.text));
        }
    }
    out
}

fn outcome_text(o: &Outcome) -> String {
    let mut out = format!("passed: {}\nviolations: {}\n", o.passed(), o.violations.len());
    for v in &o.violations {
        out.push_str(&format!("  at {} {:?}: {}\n", v.t, v.rule, v.detail));
    }
    for p in &o.pods {
        out.push_str(&format!("pod {} phase {} deleting {}\n", p.name, p.phase, p.deleting));
        for c in &p.containers {
            out.push_str(&format!(
                "  {} {} {} exit {:?} restarts {}\n",
                c.name, c.state, c.reason, c.exit_code, c.restarts
            ));
        }
    }
    out
}

#[test]
fn every_scenario_matches_its_snapshot() {
    let mut failing = Vec::new();
    for path in scenario_files() {
        let scenario = load(&path);
        let seed = scenario.seed.unwrap_or(0);
        let random = scenario.random_faults.is_some();
        let (outcome, trace) = World::new(&scenario, seed, random, true).run();
        let name = scenario.name.clone();
        insta::with_settings!({
            snapshot_path => "../snapshots",
            prepend_module_to_snapshot => false,
            description => scenario.description.clone(),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(format!("{name}.outcome"), outcome_text(&outcome));
            insta::assert_snapshot!(format!("{name}.trace"), condensed(&trace));
        });
        if !outcome.passed() {
            failing.push(format!("{name} fails at its own seed: {:?}", outcome.violations));
        }
    }
    assert!(failing.is_empty(), "{}", failing.join("\n"));
}

/// Every scenario over seeds with random faults (each seed its own swarm of fault kinds): no run may
/// break a safety invariant or fail to converge once the faults heal.
#[test]
fn every_scenario_keeps_every_invariant_over_seeds_with_random_faults() {
    let seeds: u64 = std::env::var("PODSIM_TEST_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(12);
    let files = scenario_files();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(files.len().div_ceil(2))
            .map(|chunk| {
                scope.spawn(move || {
                    let mut failed = Vec::new();
                    for path in chunk {
                        let scenario = load(path);
                        for seed in 0..seeds {
                            let (o, _) = World::new(&scenario, seed, true, false).run();
                            if let Some(v) = o.violations.first() {
                                failed.push(format!(
                                    "{} seed {seed}: {:?}: {} (replay: podsim run {} --seed {seed} --random-faults)",
                                    scenario.name,
                                    v.rule,
                                    v.detail,
                                    path.display()
                                ));
                            }
                        }
                    }
                    failed
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("no panic")).collect()
    });
    assert!(failures.is_empty(), "runs broke an invariant:\n{}", failures.join("\n"));
}
