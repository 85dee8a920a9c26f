//! Rule coverage over many runs: which of the kubelet model's probes
//! ([`podsim_model::coverage::Probe`]) the runs reached, how many runs reached each, and the first
//! run (in scenario, then seed order) that did, as FoundationDB's code probes report it. A probe of
//! [`Reach::World`] that no run reached is a gap in the scenarios.
//!
//! [`measure`] runs each scenario once as written (as `podsim run` does: the behaviour it was written
//! for, with its expectations) and then over each seed with random faults, as `podsim explore` does,
//! on several threads; the result does not depend on how the threads took the runs.
//! [`measure_generated`] does the same over the generated worlds of `explore --generate`.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use podsim_model::coverage::{Probe, Probes, Reach};

use crate::generate::{generate, GenerateOptions};
use crate::scenario::Scenario;
use crate::world::World;

/// One scenario to run, under the name the report gives it (its file).
#[derive(Clone, Copy)]
pub struct Subject<'a> {
    /// How the report names it (its path).
    pub name: &'a str,
    /// The scenario.
    pub scenario: &'a Scenario,
}

/// One run of a scenario: as written, or with a seed's random faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// The run had random faults (else it ran as written, as `podsim run` does).
    pub random_faults: bool,
    /// The seed.
    pub seed: u64,
}

/// The first run that reached a probe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FirstRun {
    /// The scenario's name in the report (its file).
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// The run had random faults.
    pub random_faults: bool,
}

/// One probe's line of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeLine {
    /// The probe's name.
    pub name: &'static str,
    /// What the decision is.
    pub description: &'static str,
    /// Where it can be reached.
    pub reach: Reach,
    /// How many runs reached it.
    pub runs: u64,
    /// How often it was reached, over every run.
    pub hits: u64,
    /// The first run that reached it (scenario order, then seed).
    pub first: Option<FirstRun>,
}

/// A run that violated a rule or an expectation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedRun {
    /// The scenario's name in the report.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// The run had random faults.
    pub random_faults: bool,
}

/// The coverage of a set of runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CoverageReport {
    /// How many runs were made.
    pub runs: u64,
    /// Every probe, in declaration order.
    pub probes: Vec<ProbeLine>,
    /// The names of the probes of [`Reach::World`] that no run reached: the gaps.
    pub never_reached: Vec<&'static str>,
    /// The runs that failed, in scenario then seed order.
    pub failed: Vec<FailedRun>,
}

impl CoverageReport {
    /// The line of one probe.
    pub fn line(&self, probe: Probe) -> &ProbeLine {
        &self.probes[probe as usize]
    }
}

/// Counts per probe as runs come in; keeps the first run by scenario index, then run (as written
/// first, then by seed).
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    runs: u64,
    runs_per_probe: Vec<u64>,
    hits: Probes,
    first: Vec<Option<(usize, Run)>>,
    failed: Vec<(usize, Run)>,
}

impl Coverage {
    /// No run yet.
    pub fn new() -> Coverage {
        Coverage {
            runs: 0,
            runs_per_probe: vec![0; Probe::COUNT],
            hits: Probes::new(),
            first: vec![None; Probe::COUNT],
            failed: Vec::new(),
        }
    }

    /// Adds one run of scenario `index`, which reached `probes` and passed or not.
    pub fn record(&mut self, index: usize, run: Run, probes: &Probes, passed: bool) {
        self.runs += 1;
        self.hits.add(probes);
        for probe in probes.iter().filter(|(_, count)| *count > 0).map(|(probe, _)| probe) {
            let i = probe as usize;
            self.runs_per_probe[i] += 1;
            let key = (index, run);
            if self.first[i].is_none_or(|first| key < first) {
                self.first[i] = Some(key);
            }
        }
        if !passed {
            self.failed.push((index, run));
        }
    }

    /// The report, naming scenario `i` `names[i]`.
    pub fn report(&self, names: &[&str]) -> CoverageReport {
        let name = |index: usize| names[index].to_string();
        let probes: Vec<ProbeLine> = Probe::ALL
            .iter()
            .map(|&p| ProbeLine {
                name: p.name(),
                description: p.description(),
                reach: p.reach(),
                runs: self.runs_per_probe[p as usize],
                hits: self.hits.count(p),
                first: self.first[p as usize].map(|(s, run)| FirstRun {
                    scenario: name(s),
                    seed: run.seed,
                    random_faults: run.random_faults,
                }),
            })
            .collect();
        let never_reached =
            probes.iter().filter(|l| l.reach == Reach::World && l.runs == 0).map(|l| l.name).collect();
        let mut failed: Vec<(usize, Run)> = self.failed.clone();
        failed.sort_unstable();
        let failed = failed
            .into_iter()
            .map(|(s, run)| FailedRun { scenario: name(s), seed: run.seed, random_faults: run.random_faults })
            .collect();
        CoverageReport { runs: self.runs, probes, never_reached, failed }
    }
}

/// Runs every subject once as written and then over every seed with random faults, on `jobs`
/// threads, and reports which probes the runs reached.
pub fn measure(subjects: &[Subject<'_>], seeds: Range<u64>, jobs: usize) -> CoverageReport {
    let per_subject = 1 + seeds.end.saturating_sub(seeds.start);
    let total = per_subject.saturating_mul(subjects.len() as u64);
    let names: Vec<&str> = subjects.iter().map(|s| s.name).collect();
    tally(total, jobs, &names, |i| {
        let index = (i / per_subject) as usize;
        let scenario = subjects[index].scenario;
        let run = match i % per_subject {
            // As `podsim run` runs it: its own seed and faults.
            0 => Run { random_faults: scenario.random_faults.is_some(), seed: scenario.seed.unwrap_or(0) },
            k => Run { random_faults: true, seed: seeds.start + k - 1 },
        };
        let (outcome, _) = World::new(scenario, run.seed, run.random_faults, false).run();
        (index, run, outcome.probes, outcome.passed())
    })
}

/// How a coverage report over generated worlds names them (a single subject: the seed tells them
/// apart).
pub const GENERATED: &str = "generated world";

/// Runs the generated world of every seed once, with its random faults (as `podsim explore
/// --generate` does), on `jobs` threads, and reports which probes the runs reached. A seed whose
/// world the generator could not make (a bug of the generator) counts as a failed run.
pub fn measure_generated(seeds: Range<u64>, options: &GenerateOptions, jobs: usize) -> CoverageReport {
    let total = seeds.end.saturating_sub(seeds.start);
    tally(total, jobs, &[GENERATED], |i| {
        let run = Run { random_faults: true, seed: seeds.start + i };
        match generate(run.seed, options) {
            Ok(world) => {
                let (outcome, _) = World::new(&world, run.seed, true, false).run();
                (0, run, outcome.probes, outcome.passed())
            }
            Err(_) => (0, run, Probes::new(), false),
        }
    })
}

/// Makes runs `0..total` on `jobs` threads (`one(i)` makes run `i` and says which subject and run it
/// was, the probes it reached and whether it passed), and reports them under `names`. The report does
/// not depend on how the threads took the runs.
fn tally(
    total: u64,
    jobs: usize,
    names: &[&str],
    one: impl Fn(u64) -> (usize, Run, Probes, bool) + Sync,
) -> CoverageReport {
    let next = AtomicU64::new(0);
    let coverage = Mutex::new(Coverage::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let (index, run, probes, passed) = one(i);
                let mut c = coverage.lock().expect("no thread panics holding it");
                c.record(index, run, &probes, passed);
            });
        }
    });
    coverage.into_inner().expect("no thread panicked").report(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_run_is_the_least_by_scenario_then_seed_whatever_the_order() {
        let mut probes = Probes::new();
        probes.hit(Probe::GcDeadContainers);
        let random = |seed| Run { random_faults: true, seed };
        let mut c = Coverage::new();
        c.record(1, Run { random_faults: false, seed: 0 }, &probes, true);
        c.record(0, random(7), &probes, false);
        c.record(0, random(9), &probes, true);
        c.record(0, random(3), &Probes::new(), true);
        let report = c.report(&["a.yaml", "b.yaml"]);
        assert_eq!(report.runs, 4);
        let line = report.line(Probe::GcDeadContainers);
        assert_eq!((line.runs, line.hits), (3, 3));
        assert_eq!(line.first, Some(FirstRun { scenario: "a.yaml".into(), seed: 7, random_faults: true }));
        assert_eq!(report.line(Probe::GcOldSandboxes).first, None);
        assert!(report.never_reached.contains(&"gc.old_sandboxes"));
        assert!(!report.never_reached.contains(&"gc.dead_containers"));
        assert!(!report.never_reached.contains(&"plan.sandbox.no_ip"), "a tables-only probe is no gap");
        assert_eq!(
            report.failed,
            vec![FailedRun { scenario: "a.yaml".into(), seed: 7, random_faults: true }]
        );
        // A run as written comes before the runs with random faults.
        c.record(0, Run { random_faults: false, seed: 11 }, &probes, true);
        let first = c.report(&["a.yaml", "b.yaml"]).line(Probe::GcDeadContainers).first.clone();
        assert_eq!(first, Some(FirstRun { scenario: "a.yaml".into(), seed: 11, random_faults: false }));
    }
}
