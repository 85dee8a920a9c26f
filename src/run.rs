//! `podsim run` and `podsim explore`: one seeded run of a scenario, or many.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use podsim_model::kubelet::KubeletBug;
use podsim_sim::input::{read_source, InputError};
use podsim_sim::scenario::{duration, Scenario};
use podsim_sim::world::{Outcome, World};

/// A scenario file read and parsed.
pub struct Loaded {
    /// The path as given.
    pub path: String,
    /// The scenario.
    pub scenario: Scenario,
    /// The `--feature-gates` list applied over the scenario's gates, if any (replays repeat it).
    pub feature_gates: Option<String>,
    /// The `--kubelet-bug` names added to the scenario's kubelet, if any (replays repeat them).
    pub kubelet_bugs: Vec<KubeletBug>,
}

/// Reads one scenario file.
pub fn load(path: &str) -> Result<Loaded, InputError> {
    let text = read_source(path)?;
    let scenario = Scenario::parse(path, &text)?;
    Ok(Loaded { path: path.to_string(), scenario, feature_gates: None, kubelet_bugs: Vec::new() })
}

/// Reads one scenario file and applies a `--feature-gates` list over its gates.
pub fn load_with_gates(path: &str, feature_gates: Option<&str>) -> Result<Loaded, InputError> {
    let mut loaded = load(path)?;
    if let Some(list) = feature_gates {
        apply_gates(&mut loaded, list)?;
    }
    Ok(loaded)
}

/// Applies a `--feature-gates` list over a loaded scenario's gates; an unknown gate or a bad value is
/// bad input.
pub fn apply_gates(loaded: &mut Loaded, list: &str) -> Result<(), InputError> {
    loaded.scenario.apply_feature_gates(list).map_err(|message| InputError {
        file: loaded.path.clone(),
        location: None,
        field: Some("--feature-gates".into()),
        message,
    })?;
    loaded.feature_gates = Some(list.to_string());
    Ok(())
}

/// Adds `--kubelet-bug` variants to a loaded scenario's kubelet (over its `kubelet.bugs`).
pub fn apply_bugs(loaded: &mut Loaded, bugs: &[KubeletBug]) {
    let config = &mut loaded.scenario.kubelet;
    config.bugs = bugs.iter().fold(config.bugs, |set, bug| set.with(*bug));
    loaded.kubelet_bugs.extend_from_slice(bugs);
}

/// ` --kubelet-bug NAME` for each bug, as a replay command repeats them.
pub fn bug_flags(bugs: &[KubeletBug]) -> String {
    bugs.iter().map(|b| format!(" --kubelet-bug {}", b.name())).collect()
}

/// Expands files and directories (every `*.yaml` in a directory, sorted) into scenarios.
pub fn load_all(paths: &[String]) -> Result<Vec<Loaded>, InputError> {
    let mut files: Vec<String> = Vec::new();
    for p in paths {
        let path = Path::new(p);
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| InputError::whole_file(p, format!("cannot read directory: {e}")))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect();
            found.sort();
            files.extend(found.into_iter().map(|f| f.to_string_lossy().into_owned()));
        } else {
            files.push(p.clone());
        }
    }
    if files.is_empty() {
        return Err(InputError::whole_file(&paths.join(" "), "no scenario files (*.yaml) found"));
    }
    files.iter().map(|f| load(f)).collect()
}

/// The command that replays one run.
pub fn replay_command(loaded: &Loaded, seed: u64, random_faults: bool) -> String {
    let faults = if random_faults { " --random-faults" } else { "" };
    let gates = match &loaded.feature_gates {
        None => String::new(),
        Some(g) if g.contains(char::is_whitespace) => format!(" --feature-gates '{g}'"),
        Some(g) => format!(" --feature-gates {g}"),
    };
    let bugs = bug_flags(&loaded.kubelet_bugs);
    format!("podsim run {} --seed {seed}{faults}{gates}{bugs}", loaded.path)
}

/// Prints a run's human summary.
pub fn print_summary(
    out: &mut impl Write,
    loaded: &Loaded,
    outcome: &Outcome,
    random_faults: bool,
) -> std::io::Result<()> {
    let s = &loaded.scenario;
    let verdict = if outcome.passed() { "PASS" } else { "FAIL" };
    writeln!(
        out,
        "{verdict} {} (seed {}): {} virtual, {} events, {} faults",
        s.name,
        outcome.seed,
        duration::human(outcome.virtual_millis),
        outcome.events,
        outcome.faults
    )?;
    writeln!(out, "  {}", s.description)?;
    let mut unchecked = Vec::new();
    if !outcome.expectations_checked {
        unchecked.push("expectations (random faults were added)");
    }
    if !outcome.liveness_checked {
        unchecked.push("liveness (the run ended too soon after the last fault, or a fault is permanent)");
    }
    if !unchecked.is_empty() {
        writeln!(out, "  not checked: {}", unchecked.join("; "))?;
    }
    if !outcome.violations.is_empty() {
        writeln!(out, "violations:")?;
        for v in &outcome.violations {
            writeln!(out, "  at {:>9}  {:?}: {}", duration::human(v.t), v.rule, v.detail)?;
        }
    }
    writeln!(out, "pods at {} (the end of the run, as checked):", duration::human(s.duration))?;
    if outcome.pods.is_empty() {
        writeln!(out, "  (none left in the API server)")?;
    }
    for p in &outcome.pods {
        let deleting = if p.deleting { " (deleting)" } else { "" };
        let phase = if p.phase.is_empty() { "no status" } else { p.phase.as_str() };
        writeln!(out, "  {} {phase}{deleting}", p.name)?;
        for c in &p.containers {
            let reason = if c.reason.is_empty() { String::new() } else { format!(" {}", c.reason) };
            let exit = c.exit_code.map_or(String::new(), |e| format!(" exit {e}"));
            writeln!(out, "    {:<20} {}{reason}{exit}, {} restarts", c.name, c.state, c.restarts)?;
        }
    }
    if let Some(l) = &outcome.liveness {
        let verdict = if l.converged { "every pod converged" } else { "not converged (see violations)" };
        let extended = if l.extended { ", the run extended for it" } else { "" };
        writeln!(
            out,
            "liveness at {} ({} after the world settled at {}{extended}): {verdict}",
            duration::human(l.checked_at),
            duration::human(l.checked_at - l.settled_at),
            duration::human(l.settled_at)
        )?;
    }
    if !outcome.passed() {
        writeln!(out, "replay: {}", replay_command(loaded, outcome.seed, random_faults))?;
    }
    Ok(())
}

/// Prints what happened (`--happened`), leaving out the relist's CRI List calls.
pub fn print_happened(out: &mut impl Write, outcome: &Outcome) -> std::io::Result<()> {
    if !outcome.expectations_checked {
        return writeln!(out, "happened: not recorded (random faults were added to a scenario without them)");
    }
    writeln!(out, "happened:")?;
    let listing = |h: &&podsim_sim::expect::Happening| {
        h.kind == podsim_sim::expect::happened::Kind::Cri
            && h.word.as_deref().is_some_and(|w| w.starts_with("List"))
    };
    for h in outcome.happenings.iter().filter(|h| !listing(h)) {
        writeln!(out, "  {h}")?;
    }
    Ok(())
}

/// One failing run of an exploration.
#[derive(Serialize, Deserialize)]
pub struct Failure {
    /// The scenario file.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// The first violation.
    pub first_violation: String,
    /// How many violations.
    pub violations: usize,
    /// The command that replays it.
    pub replay: String,
    /// Wall time from the exploration's start to the end of this run, in ms (how long the search
    /// took to find it; BUGS.md reports the first).
    pub found_after_millis: u64,
}

/// The summary of an exploration.
#[derive(Serialize, Deserialize)]
pub struct ExploreSummary {
    /// Runs made.
    pub runs: u64,
    /// Runs that failed.
    pub failures: Vec<Failure>,
    /// Virtual time simulated, in ms.
    pub virtual_millis: u64,
    /// Wall time, in ms.
    pub wall_millis: u64,
    /// Events handled.
    pub events: u64,
}

/// Runs every scenario over every seed in `seeds` (only `shard`'s pairs of them: src/shard.rs), on
/// `jobs` threads, with random faults. Runs are numbered and each thread takes the next number, so
/// memory does not grow with the number of runs; only failures are kept, and they are reported in
/// (scenario, seed) order whatever the threads did.
pub fn explore(
    scenarios: &[Loaded],
    seeds: std::ops::Range<u64>,
    jobs: usize,
    progress: bool,
    shard: crate::shard::Shard,
) -> ExploreSummary {
    let started = Instant::now();
    let per_scenario = seeds.end - seeds.start;
    let total = shard.len(per_scenario.saturating_mul(scenarios.len() as u64));
    let next = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    let simulated = AtomicU64::new(0);
    let events = AtomicU64::new(0);
    let failures: Mutex<Vec<(usize, u64, Outcome, u64)>> = Mutex::new(Vec::new());
    let show = progress && std::io::stderr().is_terminal();
    let last_draw = Mutex::new(Instant::now());
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= total {
                    break;
                }
                let i = shard.pair(k);
                let scenario = (i / per_scenario) as usize;
                let seed = seeds.start + i % per_scenario;
                let (outcome, _) = World::new(&scenarios[scenario].scenario, seed, true, false).run();
                simulated.fetch_add(outcome.virtual_millis, Ordering::Relaxed);
                events.fetch_add(outcome.events, Ordering::Relaxed);
                if !outcome.passed() {
                    failed.fetch_add(1, Ordering::Relaxed);
                    let found = started.elapsed().as_millis() as u64;
                    failures
                        .lock()
                        .expect("no thread panics holding it")
                        .push((scenario, seed, outcome, found));
                }
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if show {
                    let mut last = last_draw.lock().expect("no thread panics holding it");
                    if last.elapsed().as_millis() >= 100 || n == total {
                        *last = Instant::now();
                        let secs = started.elapsed().as_secs_f64().max(1e-9);
                        let width = 30u64;
                        let filled = (n * width / total.max(1)) as usize;
                        eprint!(
                            "\r[{}{}] {n}/{total} runs, {:.0} runs/s, {} failed ",
                            "#".repeat(filled),
                            " ".repeat(width as usize - filled),
                            n as f64 / secs,
                            failed.load(Ordering::Relaxed)
                        );
                    }
                }
            });
        }
    });
    if show {
        eprintln!();
    }
    let mut failures = failures.into_inner().expect("no thread panicked");
    failures.sort_by_key(|(s, seed, _, _)| (*s, *seed));
    ExploreSummary {
        runs: done.load(Ordering::Relaxed),
        failures: failures
            .iter()
            .map(|(s, seed, outcome, found)| {
                let v = &outcome.violations[0];
                Failure {
                    scenario: scenarios[*s].path.clone(),
                    seed: *seed,
                    first_violation: format!("at {} {:?}: {}", duration::human(v.t), v.rule, v.detail),
                    violations: outcome.violations.len(),
                    replay: replay_command(&scenarios[*s], *seed, true),
                    found_after_millis: *found,
                }
            })
            .collect(),
        virtual_millis: simulated.load(Ordering::Relaxed),
        wall_millis: started.elapsed().as_millis() as u64,
        events: events.load(Ordering::Relaxed),
    }
}

/// Prints an exploration's human summary.
pub fn print_explore(out: &mut impl Write, summary: &ExploreSummary) -> std::io::Result<()> {
    let wall = summary.wall_millis.max(1) as f64 / 1000.0;
    writeln!(
        out,
        "{} runs, {} failed; {} of virtual time in {:.2} s of wall time ({:.0} runs/s, {:.0}x real time)",
        summary.runs,
        summary.failures.len(),
        duration::human(summary.virtual_millis),
        wall,
        summary.runs as f64 / wall,
        summary.virtual_millis as f64 / summary.wall_millis.max(1) as f64
    )?;
    if let Some(first) = summary.failures.iter().map(|f| f.found_after_millis).min() {
        writeln!(out, "first failure found after {:.2} s of wall time", first as f64 / 1000.0)?;
    }
    for f in summary.failures.iter().take(50) {
        writeln!(
            out,
            "FAIL {} seed {}: {} ({} violations)",
            f.scenario, f.seed, f.first_violation, f.violations
        )?;
        writeln!(out, "  replay: {}", f.replay)?;
    }
    if summary.failures.len() > 50 {
        writeln!(out, "... and {} more failures (see --json)", summary.failures.len() - 50)?;
    }
    Ok(())
}

/// Parses `A..B` (B excluded) or a single seed `A`.
pub fn parse_seeds(text: &str) -> Result<std::ops::Range<u64>, String> {
    let bad = || format!("{text:?} is not a seed range like 0..1000");
    match text.split_once("..") {
        Some((a, b)) => {
            let a: u64 = a.trim().parse().map_err(|_| bad())?;
            let b: u64 = b.trim().parse().map_err(|_| bad())?;
            if a >= b {
                return Err(format!("the seed range {text:?} is empty"));
            }
            Ok(a..b)
        }
        None => {
            let a: u64 = text.trim().parse().map_err(|_| bad())?;
            let b = a
                .checked_add(1)
                .ok_or_else(|| format!("seed {a} is too large (at most {})", u64::MAX - 1))?;
            Ok(a..b)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `explore`'s default library is scenarios/*.yaml: the shrunk scenarios of scenarios/bugs/ (each
    /// found with its bug on, BUGS.md) are not part of it, so a search for a bug starts clean; nor
    /// are the large ones of scenarios/scale/ (seconds a run), which would slow it and CI.
    #[test]
    fn the_default_library_leaves_out_scenarios_bugs_and_scale() {
        assert!(Path::new("scenarios/bugs").is_dir(), "run from the package root");
        assert!(Path::new("scenarios/scale").is_dir(), "run from the package root");
        let library = load_all(&["scenarios".to_string()]).expect("the library loads");
        assert!(library.len() > 50, "{} scenarios", library.len());
        assert!(library.iter().all(|l| !l.path.contains("bugs")), "no scenario of scenarios/bugs/");
        assert!(library.iter().all(|l| !l.path.contains("/scale/")), "no scenario of scenarios/scale/");
        let scale = load_all(&["scenarios/scale".to_string()]).expect("the scale scenarios load");
        assert_eq!(scale.len(), 4, "named, they load");
        let bugs = load_all(&["scenarios/bugs".to_string()]).expect("the bug scenarios load");
        assert!(bugs.iter().all(|l| l.scenario.kubelet.bugs.is_empty()), "they carry no bug themselves");
    }
}
