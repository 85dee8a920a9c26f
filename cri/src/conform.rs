//! `podsim conform`: one scenario in the simulator and on a real containerd, over the same span of
//! time, and the observable outcomes compared: per pod its phase; per container its state, exit
//! code, reason and restart count (within the scenario's tolerance); and the order in which the
//! pod's sandbox and containers first started; and, step by step, the order of the kubelet's
//! decisions and runtime calls per pod ([`podsim_sim::harness::steps`]), printing where they first
//! part. Tolerances: restart counts within the scenario's restart tolerance; steps one side made
//! past the other's last, within [`ORDER_SLACK`] of the end or no more container starts than the
//! restart tolerance.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;

use podsim_model::Millis;
use podsim_sim::harness::steps::{first_divergence, Divergence, StepLog, StepTolerance};
use podsim_sim::report::{ContainerOutcome, PodOutcome, StartLog};
use podsim_sim::scenario::Scenario;

/// What one side (the simulator or containerd) ended with.
#[derive(Clone, Debug, Serialize)]
pub struct Side {
    /// Each pod the API server still has.
    pub pods: Vec<PodOutcome>,
    /// Per pod, its sandbox and containers in the order they first started.
    pub start_order: BTreeMap<String, Vec<String>>,
    /// The kubelet's decisions and runtime calls, per pod.
    pub steps: StepLog,
    /// The checker's findings on this side (`Rule: detail`): a run that breaks a rule does not conform
    /// whatever the other side did.
    pub violations: Vec<String>,
}

/// Steps one side made past the other's last are not counted within this much of the end (a
/// wall-clock run lags the virtual one).
pub const ORDER_SLACK: Millis = 2_000;

impl Side {
    /// A side from a run's pods, starts and steps.
    pub fn new(pods: Vec<PodOutcome>, starts: &StartLog, steps: StepLog) -> Side {
        Side { pods, start_order: starts.first_start_order(), steps, violations: Vec::new() }
    }

    /// The side, with the checker's findings of its run.
    pub fn with_violations(mut self, violations: &[podsim_sim::checker::Violation]) -> Side {
        self.violations = violations.iter().map(|v| format!("{:?}: {}", v.rule, v.detail)).collect();
        self
    }
}

/// One line of the comparison: what is compared, each side's value, and whether they agree.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// `pod`, `pod/container`, with the field.
    pub what: String,
    /// The simulator's value.
    pub simulator: String,
    /// containerd's value.
    pub containerd: String,
    /// Whether they agree (restart counts: within the tolerance).
    pub agrees: bool,
}

/// The comparison of one scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// The scenario's name.
    pub scenario: String,
    /// The span both sides ran (milliseconds).
    pub span_millis: Millis,
    /// How far restart counts may differ.
    pub restart_tolerance: u32,
    /// Every row.
    pub rows: Vec<Row>,
    /// Where the order of the kubelet's steps first parts, if it does.
    pub divergence: Option<Divergence>,
    /// The rules the checker found broken, on either side (`simulator: ...`, `containerd: ...`).
    pub violations: Vec<String>,
}

impl Comparison {
    /// Whether every row agrees, the steps go in the same order, and neither run broke a rule.
    pub fn agrees(&self) -> bool {
        self.rows.iter().all(|r| r.agrees) && self.divergence.is_none() && self.violations.is_empty()
    }

    /// Prints the rows side by side.
    pub fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        let verdict = if self.agrees() { "conforms" } else { "DIFFERS" };
        writeln!(
            out,
            "{}: {verdict} ({} s, restart tolerance {})",
            self.scenario,
            self.span_millis / 1_000,
            self.restart_tolerance
        )?;
        let width = self.rows.iter().map(|r| r.what.len()).max().unwrap_or(0).max(4);
        let left = self.rows.iter().map(|r| r.simulator.len()).max().unwrap_or(0).max(9);
        writeln!(out, "  {:width$}  {:left$}  containerd", "", "simulator")?;
        for r in &self.rows {
            let mark = if r.agrees { " " } else { "≠" };
            writeln!(out, "{mark} {:width$}  {:left$}  {}", r.what, r.simulator, r.containerd)?;
        }
        if let Some(d) = &self.divergence {
            let show = |s: &Option<podsim_sim::harness::steps::Step>| {
                s.as_ref().map_or("(no more steps)".to_string(), |s| format!("at {} ms: {}", s.t, s.what))
            };
            writeln!(out, "≠ first divergence: pod {} step {}", d.pod, d.index + 1)?;
            writeln!(out, "    simulator:  {}", show(&d.simulator))?;
            writeln!(out, "    containerd: {}", show(&d.containerd))?;
        }
        for v in &self.violations {
            writeln!(out, "≠ violation on the {v}")?;
        }
        Ok(())
    }
}

/// Compares the two sides.
pub fn compare(scenario: &str, span: Millis, tolerance: u32, sim: &Side, real: &Side) -> Comparison {
    let mut rows = Vec::new();
    let by_name = |side: &Side| -> BTreeMap<String, PodOutcome> {
        side.pods.iter().map(|p| (p.name.clone(), p.clone())).collect()
    };
    let (sim_pods, real_pods) = (by_name(sim), by_name(real));
    let names: std::collections::BTreeSet<&String> = sim_pods.keys().chain(real_pods.keys()).collect();
    for name in names {
        let (s, r) = (sim_pods.get(name), real_pods.get(name));
        let text =
            |p: Option<&PodOutcome>, f: &dyn Fn(&PodOutcome) -> String| p.map_or("(gone)".to_string(), f);
        let phase = |p: &PodOutcome| if p.phase.is_empty() { "(none)".to_string() } else { p.phase.clone() };
        rows.push(Row {
            what: format!("{name} phase"),
            simulator: text(s, &phase),
            containerd: text(r, &phase),
            agrees: s.map(phase) == r.map(phase),
        });
        let containers = |p: Option<&PodOutcome>| -> BTreeMap<String, ContainerOutcome> {
            p.map(|p| p.containers.iter().map(|c| (c.name.clone(), c.clone())).collect()).unwrap_or_default()
        };
        let (sc, rc) = (containers(s), containers(r));
        let mut cnames: Vec<&String> = sc.keys().chain(rc.keys()).collect();
        cnames.sort();
        cnames.dedup();
        for c in cnames {
            let (a, b) = (sc.get(c), rc.get(c));
            let state = |o: &ContainerOutcome| {
                let mut t = o.state.clone();
                if !o.reason.is_empty() {
                    t.push_str(&format!(" ({})", o.reason));
                }
                if let Some(code) = o.exit_code {
                    t.push_str(&format!(" exit {code}"));
                }
                t
            };
            let missing = || "(no status)".to_string();
            rows.push(Row {
                what: format!("{name}/{c} state"),
                simulator: a.map_or_else(missing, state),
                containerd: b.map_or_else(missing, state),
                agrees: a.map(state) == b.map(state),
            });
            let restarts = |o: &ContainerOutcome| o.restarts;
            rows.push(Row {
                what: format!("{name}/{c} restarts"),
                simulator: a.map_or_else(missing, |o| o.restarts.to_string()),
                containerd: b.map_or_else(missing, |o| o.restarts.to_string()),
                agrees: match (a.map(restarts), b.map(restarts)) {
                    (Some(x), Some(y)) => x.abs_diff(y) <= tolerance,
                    (x, y) => x == y,
                },
            });
        }
    }
    let pods: std::collections::BTreeSet<&String> =
        sim.start_order.keys().chain(real.start_order.keys()).collect();
    for pod in pods {
        let (a, b) = (sim.start_order.get(pod), real.start_order.get(pod));
        let show = |o: Option<&Vec<String>>| o.map_or("(none)".to_string(), |v| v.join(" → "));
        rows.push(Row {
            what: format!("{pod} start order"),
            simulator: show(a),
            containerd: show(b),
            agrees: a == b,
        });
    }
    let order = StepTolerance { end: span, slack: ORDER_SLACK, restarts: tolerance };
    let divergence = first_divergence(&sim.steps, &real.steps, order);
    let violations = (sim.violations.iter().map(|v| format!("simulator: {v}")))
        .chain(real.violations.iter().map(|v| format!("containerd: {v}")))
        .collect();
    Comparison {
        scenario: scenario.to_string(),
        span_millis: span,
        restart_tolerance: tolerance,
        rows,
        divergence,
        violations,
    }
}

/// The span a scenario runs on a real runtime, and its restart tolerance (`None`: it is not marked
/// as runnable there).
pub fn real_span(scenario: &Scenario) -> Option<(Millis, u32)> {
    let real = scenario.real_runtime?;
    Some((real.duration.unwrap_or(scenario.duration), real.restart_tolerance))
}

/// The simulator's side: the scenario over `span`, with no random faults and no liveness extension;
/// its expectations are judged only when the span is the scenario's whole duration (as on containerd).
pub fn simulate(scenario: &Scenario, span: Millis, seed: u64) -> Side {
    let mut cut = scenario.clone();
    cut.duration = span;
    let mut world = podsim_sim::world::World::new(&cut, seed, false, false).without_liveness().with_steps();
    if span < scenario.duration {
        world = world.without_expectations();
    }
    let (outcome, _) = world.run();
    Side::new(outcome.pods, &outcome.starts, outcome.steps.unwrap_or_default())
        .with_violations(&outcome.violations)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(phase: &str, restarts: u32) -> PodOutcome {
        PodOutcome {
            name: "default/web".into(),
            uid: "u".into(),
            phase: phase.into(),
            deleting: false,
            containers: vec![ContainerOutcome {
                name: "app".into(),
                state: "running".into(),
                reason: String::new(),
                exit_code: None,
                restarts,
            }],
            sandboxes: 1,
        }
    }

    fn side(phase: &str, restarts: u32, order: &[&str]) -> Side {
        Side {
            pods: vec![pod(phase, restarts)],
            start_order: BTreeMap::from([(
                "default/web".to_string(),
                order.iter().map(|s| s.to_string()).collect(),
            )]),
            steps: StepLog::default(),
            violations: Vec::new(),
        }
    }

    #[test]
    fn equal_sides_conform() {
        let c = compare(
            "s",
            1,
            0,
            &side("Running", 2, &["sandbox", "app"]),
            &side("Running", 2, &["sandbox", "app"]),
        );
        assert!(c.agrees(), "{:?}", c.rows);
    }

    #[test]
    fn restart_counts_may_differ_within_the_tolerance_only() {
        let (a, b) = (side("Running", 2, &["sandbox", "app"]), side("Running", 3, &["sandbox", "app"]));
        assert!(compare("s", 1, 1, &a, &b).agrees());
        assert!(!compare("s", 1, 0, &a, &b).agrees());
    }

    #[test]
    fn a_different_phase_or_start_order_differs() {
        let a = side("Running", 0, &["sandbox", "app"]);
        assert!(!compare("s", 1, 0, &a, &side("Failed", 0, &["sandbox", "app"])).agrees());
        assert!(!compare("s", 1, 0, &a, &side("Running", 0, &["app", "sandbox"])).agrees());
        let gone = Side {
            pods: Vec::new(),
            start_order: a.start_order.clone(),
            steps: StepLog::default(),
            violations: Vec::new(),
        };
        let c = compare("s", 1, 0, &a, &gone);
        assert!(!c.agrees());
        assert!(c.rows.iter().any(|r| r.containerd == "(gone)"));
    }

    /// A run that broke a rule does not conform, on either side, and the report says which side.
    #[test]
    fn a_violation_on_either_side_differs() {
        let a = side("Running", 0, &["sandbox", "app"]);
        let broken = podsim_sim::checker::Violation {
            t: 5,
            rule: podsim_sim::checker::Rule::GracePeriodHonoured,
            detail: "default/web/app stopped with 0 s".into(),
            pod: Some("default/web".into()),
        };
        let b = a.clone().with_violations(std::slice::from_ref(&broken));
        let on_real = compare("s", 1, 0, &a, &b);
        assert!(!on_real.agrees());
        assert_eq!(
            on_real.violations,
            vec!["containerd: GracePeriodHonoured: default/web/app stopped with 0 s"]
        );
        let on_sim = compare("s", 1, 0, &b, &a);
        assert!(!on_sim.agrees());
        assert_eq!(
            on_sim.violations,
            vec!["simulator: GracePeriodHonoured: default/web/app stopped with 0 s"]
        );
        let mut text = Vec::new();
        on_real.print(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.contains("DIFFERS") && text.contains("≠ violation on the containerd: GracePeriodHonoured"),
            "{text}"
        );
        assert!(compare("s", 1, 0, &a, &a.clone()).agrees());
    }
}
