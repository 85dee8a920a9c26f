//! Determinism: the same scenario and seed give byte-identical traces (DESIGN.md, "Contracts").
//!
//! Every shipped scenario runs twice per seed in this process, with random faults and the trace on,
//! and the two traces (and outcomes) must be equal byte for byte. Two runs in one process also catch
//! hash-order leaks: every `HashMap` gets its own random keys. That the trace is the same when written
//! by two separate processes is tested through the binary in `tests/run_cli.rs`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use podsim_sim::scenario::Scenario;
use podsim_sim::world::World;

/// The shipped scenarios folder.
const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios");

/// The slowest scenario (thirty pods); it gets fewer seeds.
const CHURN: &str = "churn-random-faults.yaml";

/// Seeds `0..n` shared out among the quick scenarios (at least 4 each), so that the test's time stays
/// about the same as scenarios are added; each scenario also runs the far seeds. With 11 quick
/// scenarios: 11 x (12 + 3) = 165 seeds, each run twice.
const QUICK_SEED_BUDGET: u64 = 128;

/// Seeds of the churn scenario, each run twice (about 0.3 s a run in a debug build).
const CHURN_SEEDS: u64 = 4;

/// Seeds far from zero, so that the whole of the seed reaches the rng, not its low bits only.
const FAR_SEEDS: [u64; 3] = [u64::MAX, 1 << 32, 0x5eed_5eed_5eed_5eed];

/// Every `*.yaml` in `scenarios/`, sorted by file name, with its file name.
fn scenarios() -> Vec<(String, Scenario)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(SCENARIOS)
        .expect("the scenarios folder is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "scenarios/ holds the shipped scenarios: {files:?}");
    files
        .iter()
        .map(|path| {
            let file = path.to_string_lossy().into_owned();
            let text = std::fs::read_to_string(path).expect("a scenario file is readable");
            let scenario = Scenario::parse(&file, &text).unwrap_or_else(|e| panic!("{e}"));
            let name = path.file_name().expect("a file name").to_string_lossy().into_owned();
            (name, scenario)
        })
        .collect()
}

/// One run with random faults and the trace on: the trace as JSON lines, and the outcome as JSON.
fn run(scenario: &Scenario, seed: u64) -> (String, String) {
    let (outcome, trace) = World::new(scenario, seed, true, true).run();
    let outcome = serde_json::to_string(&outcome).expect("an outcome serialises");
    (trace.to_jsonl(), outcome)
}

/// The first line where two traces differ, for a readable failure.
fn first_difference(a: &str, b: &str) -> String {
    let (mut la, mut lb) = (a.lines(), b.lines());
    for n in 1.. {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (None, None) => return "no line differs (line endings?)".into(),
            (x, y) => return format!("line {n}:\n  first:  {x:?}\n  second: {y:?}"),
        }
    }
    unreachable!("the loop returns")
}

/// Runs `file` twice for every seed and asserts that both runs wrote the same bytes; returns the
/// traces, one per seed.
fn assert_same_trace_twice(file: &str, scenario: &Scenario, seeds: &[u64]) -> Vec<String> {
    let mut traces = Vec::with_capacity(seeds.len());
    for &seed in seeds {
        let (first, first_outcome) = run(scenario, seed);
        let (second, second_outcome) = run(scenario, seed);
        assert!(
            first == second,
            "{file} seed {seed}: two runs in one process wrote different traces; {}",
            first_difference(&first, &second)
        );
        assert_eq!(first_outcome, second_outcome, "{file} seed {seed}: the outcomes differ");
        assert!(
            first.contains(r#""kind":"cri""#),
            "{file} seed {seed}: the trace has no CRI call, so it shows nothing:\n{first}"
        );
        traces.push(first);
    }
    traces
}

fn seeds(n: u64) -> Vec<u64> {
    (0..n).chain(FAR_SEEDS).collect()
}

#[test]
fn same_scenario_and_seed_give_identical_trace_bytes_in_one_process() {
    let quick: Vec<(String, Scenario)> = scenarios().into_iter().filter(|(f, _)| f != CHURN).collect();
    let per_scenario = QUICK_SEED_BUDGET.div_ceil(quick.len() as u64).max(4);
    let seeds = seeds(per_scenario);
    // The scenarios are shared out among threads; each (scenario, seed) is run twice by one thread.
    let next = AtomicUsize::new(0);
    let checked = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(quick.len());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some((file, scenario)) = quick.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let traces = assert_same_trace_twice(file, scenario, &seeds);
                    // The random faults are on: some seed injects one, and the seed matters.
                    assert!(
                        traces.iter().any(|t| t.contains(r#""kind":"fault""#)),
                        "{file}: no seed of {seeds:?} injected a random fault"
                    );
                    let distinct: BTreeSet<&String> = traces.iter().collect();
                    assert!(distinct.len() > 1, "{file}: every seed of {seeds:?} gave the same trace");
                    checked.lock().expect("no thread panics holding it").push((file, seeds.len()));
                }
            });
        }
    });
    let checked = checked.into_inner().expect("no thread panicked holding it");
    assert_eq!(checked.len(), quick.len(), "every quick scenario was checked");
    let pairs: usize = checked.iter().map(|(_, n)| n).sum();
    assert!(pairs >= 100, "only {pairs} (scenario, seed) pairs were checked: {checked:?}");
}

#[test]
fn churn_with_random_faults_is_deterministic_and_the_seed_matters() {
    let all = scenarios();
    let (file, scenario) = all.iter().find(|(f, _)| f == CHURN).expect("the churn scenario is shipped");
    let traces = assert_same_trace_twice(file, scenario, &(0..CHURN_SEEDS).collect::<Vec<_>>());
    assert!(
        traces[0] != traces[1],
        "{file}: seeds 0 and 1 gave the same trace, so the seed does not reach the world"
    );
    assert!(traces.iter().all(|t| t.contains(r#""kind":"fault""#)), "{file}: a seed injected no fault");
}
