//! `podsim explore --coverage`: which of the kubelet model's decisions (its named probes) the runs
//! reached, how many runs reached each and the first seed that did, and the probes never reached.

use std::io::Write;
use std::ops::Range;

use podsim_model::coverage::Reach;
use podsim_sim::coverage::{measure, CoverageReport, FailedRun, Subject};
use podsim_sim::scenario::duration;

use crate::run::{replay_command, Loaded};

/// Runs every scenario once as written, then over every seed with random faults, and reports the
/// probes reached.
pub fn explore_coverage(scenarios: &[Loaded], seeds: Range<u64>, jobs: usize) -> CoverageReport {
    let subjects: Vec<Subject<'_>> =
        scenarios.iter().map(|l| Subject { name: &l.path, scenario: &l.scenario }).collect();
    measure(&subjects, seeds, jobs)
}

/// The command that replays a failed run of `scenarios`.
pub fn replay_of<'a>(scenarios: &'a [Loaded]) -> impl Fn(&FailedRun) -> String + 'a {
    move |f| {
        let loaded = scenarios.iter().find(|l| l.path == f.scenario).expect("a scenario of the run");
        replay_command(loaded, f.seed, f.random_faults)
    }
}

/// The command that replays a failed generated world: `explore --generate` of its one seed, which
/// writes the world as a file and says how to run it.
pub fn replay_generated(f: &FailedRun) -> String {
    format!("podsim explore --generate --seeds {}", f.seed)
}

/// Prints the report: a line per probe (runs that reached it, the first seed and scenario), then the
/// probes never reached and the failed runs with the command (`replay`) that replays each.
pub fn print_coverage(
    out: &mut impl Write,
    report: &CoverageReport,
    replay: &dyn Fn(&FailedRun) -> String,
    wall_millis: u64,
) -> std::io::Result<()> {
    let reached = report.probes.iter().filter(|l| l.runs > 0).count();
    writeln!(
        out,
        "{} runs, {} failed, in {}; {reached} of {} probes reached",
        report.runs,
        report.failed.len(),
        duration::human(wall_millis),
        report.probes.len()
    )?;
    let width = report.probes.iter().map(|l| l.name.len()).max().unwrap_or(0);
    for line in &report.probes {
        let first = match (&line.first, line.reach) {
            (Some(f), _) if f.random_faults => format!("first: seed {} {}", f.seed, f.scenario),
            (Some(f), _) => format!("first: {} as written", f.scenario),
            (None, Reach::World) => "NEVER REACHED".to_string(),
            (None, Reach::OutsideWorld) => "outside the simulated world (see its description)".to_string(),
        };
        writeln!(out, "  {:<width$} {:>6} runs  {first}", line.name, line.runs)?;
    }
    if report.never_reached.is_empty() {
        writeln!(out, "every probe the world can reach was reached")?;
    } else {
        writeln!(out, "never reached ({}):", report.never_reached.len())?;
        for name in &report.never_reached {
            let line = report.probes.iter().find(|l| l.name == *name).expect("a probe of the report");
            writeln!(out, "  {name}: {}", line.description)?;
        }
    }
    for f in report.failed.iter().take(50) {
        writeln!(out, "FAIL {} seed {}", f.scenario, f.seed)?;
        writeln!(out, "  replay: {}", replay(f))?;
    }
    if report.failed.len() > 50 {
        writeln!(out, "... and {} more failures (see --json)", report.failed.len() - 50)?;
    }
    Ok(())
}
