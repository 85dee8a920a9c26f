//! `podsim explore --generate`: one generated world a seed (sim/src/generate.rs) instead of the
//! scenario library. A failing world is written as a scenario file that `podsim run FILE` replays
//! with its own seed and random faults, and that `podsim run FILE --shrink` reduces.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use podsim_model::kubelet::KubeletBug;
use podsim_sim::generate::{file_name, generate, GenerateOptions};
use podsim_sim::input::InputError;
use podsim_sim::scenario::duration;
use podsim_sim::shrink::to_yaml;
use podsim_sim::world::World;

use crate::run::{ExploreSummary, Failure};

/// What went wrong with one seed.
enum SeedFailure {
    /// The run broke a rule: its first violation and how many.
    Violated { first: String, count: usize, yaml: String },
    /// The generator made a world that does not read back (a bug of the generator).
    Invalid(InputError),
}

/// Runs the world of every seed in `seeds` (only `shard`'s of them: src/shard.rs) on `jobs` threads,
/// and writes each failing world to `out/generated-seed-N.yaml`. Failures are reported in seed order
/// whatever the threads did.
pub fn explore_generated(
    seeds: std::ops::Range<u64>,
    jobs: usize,
    progress: bool,
    out: &Path,
    bugs: &[KubeletBug],
    shard: crate::shard::Shard,
) -> Result<ExploreSummary, InputError> {
    let started = Instant::now();
    let options = GenerateOptions::default();
    let total = shard.len(seeds.end - seeds.start);
    let next = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let simulated = AtomicU64::new(0);
    let events = AtomicU64::new(0);
    let failures: Mutex<Vec<(u64, SeedFailure, u64)>> = Mutex::new(Vec::new());
    let bar = Progress::new(progress, total);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= total {
                    break;
                }
                let seed = seeds.start + shard.pair(k);
                let failure = match generate(seed, &options) {
                    Err(e) => Some(SeedFailure::Invalid(e)),
                    Ok(mut scenario) => {
                        // `--kubelet-bug`: the world's kubelet carries the bugs (its file says so).
                        scenario.kubelet.bugs = bugs.iter().fold(scenario.kubelet.bugs, |s, b| s.with(*b));
                        let (outcome, _) = World::new(&scenario, seed, true, false).run();
                        simulated.fetch_add(outcome.virtual_millis, Ordering::Relaxed);
                        events.fetch_add(outcome.events, Ordering::Relaxed);
                        outcome.violations.first().map(|v| SeedFailure::Violated {
                            first: format!("at {} {:?}: {}", duration::human(v.t), v.rule, v.detail),
                            count: outcome.violations.len(),
                            yaml: to_yaml(&scenario),
                        })
                    }
                };
                let failed = failure.is_some();
                if let Some(f) = failure {
                    let found = started.elapsed().as_millis() as u64;
                    failures.lock().expect("no thread panics holding it").push((seed, f, found));
                }
                bar.tick(done.fetch_add(1, Ordering::Relaxed) + 1, failed);
            });
        }
    });
    bar.finish();
    let mut failures = failures.into_inner().expect("no thread panicked");
    failures.sort_by_key(|(seed, _, _)| *seed);
    let failures = failures
        .into_iter()
        .map(|(seed, f, found)| {
            report(seed, f, out, bugs).map(|r| Failure { found_after_millis: found, ..r })
        })
        .collect::<Result<_, _>>()?;
    Ok(ExploreSummary {
        runs: done.load(Ordering::Relaxed),
        failures,
        virtual_millis: simulated.load(Ordering::Relaxed),
        wall_millis: started.elapsed().as_millis() as u64,
        events: events.load(Ordering::Relaxed),
    })
}

/// Writes a failing world's file and says how to replay it.
fn report(seed: u64, failure: SeedFailure, out: &Path, bugs: &[KubeletBug]) -> Result<Failure, InputError> {
    match failure {
        SeedFailure::Violated { first, count, yaml } => {
            let path = out.join(file_name(seed)).to_string_lossy().into_owned();
            std::fs::create_dir_all(out).and_then(|()| std::fs::write(&path, yaml)).map_err(|e| {
                InputError::whole_file(&path, format!("cannot write the generated world: {e}"))
            })?;
            Ok(Failure {
                replay: format!("podsim run {path}"),
                scenario: path,
                seed,
                first_violation: first,
                violations: count,
                found_after_millis: 0,
            })
        }
        SeedFailure::Invalid(e) => Ok(Failure {
            scenario: file_name(seed),
            seed,
            first_violation: format!("the generator made an invalid world (a bug of podsim): {e}"),
            violations: 1,
            replay: format!("podsim explore --generate --seeds {seed}{}", crate::run::bug_flags(bugs)),
            found_after_millis: 0,
        }),
    }
}

/// The progress bar on standard error (only on a terminal).
struct Progress {
    show: bool,
    total: u64,
    started: Instant,
    failed: AtomicU64,
    last_draw: Mutex<Instant>,
}

impl Progress {
    fn new(progress: bool, total: u64) -> Progress {
        Progress {
            show: progress && std::io::stderr().is_terminal(),
            total,
            started: Instant::now(),
            failed: AtomicU64::new(0),
            last_draw: Mutex::new(Instant::now()),
        }
    }

    /// Run `n` is done.
    fn tick(&self, n: u64, failed: bool) {
        if failed {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        if !self.show {
            return;
        }
        let mut last = self.last_draw.lock().expect("no thread panics holding it");
        if last.elapsed().as_millis() < 100 && n != self.total {
            return;
        }
        *last = Instant::now();
        let width = 30u64;
        let filled = (n * width / self.total.max(1)) as usize;
        eprint!(
            "\r[{}{}] {n}/{} generated worlds, {:.0} runs/s, {} failed ",
            "#".repeat(filled),
            " ".repeat(width as usize - filled),
            self.total,
            n as f64 / self.started.elapsed().as_secs_f64().max(1e-9),
            self.failed.load(Ordering::Relaxed)
        );
    }

    fn finish(&self) {
        if self.show {
            eprintln!();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A failing world is written where asked, and its replay command runs that file.
    #[test]
    fn a_failing_world_is_written_with_its_replay_command() {
        let dir = std::env::temp_dir().join(format!("podsim-generated-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let scenario = generate(9, &GenerateOptions::default()).unwrap();
        let failure = SeedFailure::Violated { first: "at 1s X".into(), count: 2, yaml: to_yaml(&scenario) };
        let f = report(9, failure, &dir, &[]).unwrap();
        let path = dir.join("generated-seed-9.yaml");
        assert_eq!(f.scenario, path.to_string_lossy());
        assert_eq!(f.replay, format!("podsim run {}", path.to_string_lossy()));
        assert_eq!((f.seed, f.violations, f.first_violation.as_str()), (9, 2, "at 1s X"));
        let again = podsim_sim::scenario::Scenario::parse("x.yaml", &std::fs::read_to_string(&path).unwrap());
        assert_eq!(again.unwrap(), scenario, "the file is the world that ran");
        let deeper = dir.join("new").join("dir");
        let failure = SeedFailure::Violated { first: String::new(), count: 1, yaml: String::new() };
        assert!(report(9, failure, &deeper, &[]).is_ok() && deeper.join("generated-seed-9.yaml").is_file());
        let under_a_file = path.join("dir");
        let failure = SeedFailure::Violated { first: String::new(), count: 1, yaml: String::new() };
        let e =
            report(9, failure, &under_a_file, &[]).err().expect("a directory under a file cannot be made");
        assert!(e.to_string().contains("cannot write the generated world"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
