//! The containerd driver (the harness on tokio's clock, podsim's CRI client) without a real
//! containerd: it runs on a turmoil host against a CRI server over the simulator's containerd.
//!
//! `podsim conform`'s step comparison: its steps per pod — the kubelet's decisions and the runtime
//! calls it makes — are compared with the simulator's for the same scenario. They agree; and a
//! different kubelet input (another restart policy) is reported at the first step that parts. A
//! broken kubelet variant is reported with the same rule as in the simulator (sim/tests/
//! broken_kubelet.rs). The drifts the shared harness fixed: an injected CRI failure expires as in
//! the simulator, and a fault's target is recorded named.
#![cfg(feature = "containerd")]

use std::time::Duration;

use podsim_cri::client::{ClientOptions, CriClient, RunContext};
use podsim_cri::conform::{simulate, ORDER_SLACK};
use podsim_cri::real::{RealConfig, RealOutcome, RealWorld};
use podsim_cri::sim_server::{turmoil_channel, SimCri};
use podsim_sim::harness::steps::{first_divergence, StepTolerance};
use podsim_sim::scenario::Scenario;

const IMAGE: &str = "podsim/workload:1";
const PORT: u16 = 9000;
const SPAN: u64 = 40_000;

/// An init container, a container that fails twice a minute and one that runs, deleted at 25 s.
fn scenario(restart_policy: &str) -> Scenario {
    let text = format!(
        r#"
name: conform-steps
description: Steps of one pod compared between the two drivers.
duration: 40s
images:
- {{name: "podsim/workload:1", preloaded: true}}
pods:
- metadata: {{name: web}}
  spec:
    restartPolicy: {restart_policy}
    terminationGracePeriodSeconds: 3
    initContainers:
    - {{name: init, image: "podsim/workload:1", command: [workload, exit-after, 1s, "0"]}}
    containers:
    - {{name: app, image: "podsim/workload:1", command: [workload, exit-after, 4s, "1"]}}
    - {{name: helper, image: "podsim/workload:1", command: [workload, run]}}
timeline:
- at: 25s
  deletePod: {{name: web}}
"#
    );
    Scenario::parse("conform-steps.yaml", &text).expect("the scenario parses")
}

/// The scenario on the containerd driver, against the simulator's containerd behind a CRI server.
fn run_on_driver(scenario: Scenario) -> RealOutcome {
    run_variant(scenario, SPAN, None)
}

/// The scenario on the containerd driver for `span`, with a kubelet variant if given.
fn run_variant(
    scenario: Scenario,
    span: u64,
    broken: Option<podsim_sim::harness::BrokenKubelet>,
) -> RealOutcome {
    let log_root =
        std::env::temp_dir().join(format!("podsim-conform-steps-{}", podsim_cri::labels::new_run_id()));
    let logs = log_root.clone();
    let mut sim = turmoil::Builder::new()
        .rng_seed(1)
        .simulation_duration(Duration::from_millis(span + 60_000))
        .tick_duration(Duration::from_millis(1))
        .build();
    let cri = SimCri::new(&[IMAGE]);
    sim.host("containerd", move || {
        let server = cri.clone();
        async move {
            let listener = turmoil::net::TcpListener::bind(("0.0.0.0", PORT)).await?;
            server.serve_turmoil(listener).await?;
            Ok(())
        }
    });
    let outcome = std::sync::Arc::new(std::sync::Mutex::new(None));
    let slot = outcome.clone();
    sim.client("kubelet", async move {
        let channel = turmoil_channel("containerd", PORT, Duration::from_secs(2)).await;
        let run = RunContext {
            run_id: "conform-steps".into(),
            log_root: logs,
            cgroup_parent: "/podsim-conform-steps".into(),
            clock_origin_unix_nanos: 0,
        };
        let client = CriClient::new(channel, run, ClientOptions::default());
        let config = RealConfig { duration: span, trace: false, check_expectations: false };
        let mut world = RealWorld::new(&scenario, config, client, None);
        if let Some(broken) = broken {
            world = world.with_broken_kubelet(broken);
        }
        let (done, _) = world.run().await;
        *slot.lock().expect("outcome lock") = Some(done);
        Ok(())
    });
    sim.run().expect("the simulation finishes");
    let _ = std::fs::remove_dir_all(&log_root);
    let done = outcome.lock().expect("outcome lock").take().expect("the kubelet host finished");
    done
}

const TOLERANCE: StepTolerance = StepTolerance { end: SPAN, slack: ORDER_SLACK, restarts: 0 };

#[test]
fn the_containerd_driver_takes_the_simulators_steps_in_the_same_order() {
    let real = run_on_driver(scenario("OnFailure"));
    let sim = simulate(&scenario("OnFailure"), SPAN, 0);
    let steps = |log: &podsim_sim::harness::steps::StepLog| log.pods.values().map(Vec::len).sum::<usize>();
    assert!(steps(&sim.steps) > 8, "the pod was started, restarted and stopped: {:#?}", sim.steps);
    assert_eq!(
        first_divergence(&sim.steps, &real.steps, TOLERANCE),
        None,
        "{:#?}\n{:#?}",
        sim.steps,
        real.steps
    );
}

#[test]
fn another_restart_policy_is_reported_at_the_first_step_that_parts() {
    let real = run_on_driver(scenario("OnFailure"));
    let sim = simulate(&scenario("Never"), SPAN, 0);
    let d = first_divergence(&sim.steps, &real.steps, TOLERANCE).expect("they part");
    let at =
        |s: &Option<podsim_sim::harness::steps::Step>| s.as_ref().map(|s| s.what.clone()).unwrap_or_default();
    assert!(
        at(&d.containerd).contains("app restart 1") || at(&d.containerd).contains("start=[0]"),
        "containerd restarted app where the simulator did not: {d:#?}"
    );
}

/// The broken kubelet of sim/tests/broken_kubelet.rs: every StopContainer with no grace period.
fn stops_without_grace(output: &mut podsim_model::io::Output) {
    use podsim_model::io::{CriRequest, Output};
    if let Output::Cri { request: CriRequest::StopContainer { timeout_seconds, .. }, .. } = output {
        *timeout_seconds = 0;
    }
}

#[test]
fn a_broken_kubelet_is_reported_on_the_containerd_driver_with_the_simulators_rule() {
    let real = run_variant(scenario("Always"), SPAN, Some(stops_without_grace));
    let rules: Vec<_> = real.violations.iter().map(|v| v.rule).collect();
    assert!(rules.contains(&podsim_sim::checker::Rule::GracePeriodHonoured), "{:#?}", real.violations);
    let mut cut = scenario("Always");
    cut.duration = SPAN;
    let world = podsim_sim::world::World::new(&cut, 0, false, false).without_liveness();
    let (sim, _) = world.with_broken_kubelet(stops_without_grace).run();
    let sim_rules: Vec<_> = sim.violations.iter().map(|v| v.rule).collect();
    assert!(sim_rules.contains(&podsim_sim::checker::Rule::GracePeriodHonoured), "{:#?}", sim.violations);
}

#[test]
fn the_kubelet_breaks_no_rule_on_the_containerd_driver() {
    let real = run_on_driver(scenario("OnFailure"));
    assert_eq!(real.violations, [], "the checker judges the run through the CRI listing");
}

/// One pod with one container that runs, and a fault at 5 s.
fn with_fault(fault: &str) -> Scenario {
    let text = format!(
        r#"
name: driver-drift
description: One pod and a fault.
duration: 90s
images:
- {{name: "podsim/workload:1", preloaded: true}}
timeline:
- at: 1s
  fault: {fault}
- at: 5s
  createPod:
    metadata: {{name: web}}
    spec:
      containers:
      - {{name: app, image: "podsim/workload:1", command: [workload, run]}}
"#
    );
    Scenario::parse("driver-drift.yaml", &text).expect("the scenario parses")
}

#[test]
fn an_injected_cri_failure_expires_as_in_the_simulator() {
    // More failures than the kubelet's retries use up in 90 s: only their expiry at 61 s lets the
    // container start.
    let scenario = with_fault("{kind: criFailure, method: StartContainer, count: 1000}");
    let real = run_variant(scenario, 90_000, None);
    let app = real.pods.iter().flat_map(|p| &p.containers).find(|c| c.name == "app").expect("app");
    assert_eq!(app.state, "running", "the failures expired at 61 s: {:#?}", real.pods);
}

#[test]
fn a_crash_fault_is_recorded_with_its_target_named() {
    let scenario = with_fault("{kind: containerCrash, pod: web, exitCode: 137}");
    let mut scenario = scenario;
    // The crash comes once the container runs.
    scenario.timeline.sort_by_key(|(at, _)| *at);
    let (_, crash) = scenario.timeline.remove(0);
    scenario.timeline.push((20_000, crash));
    let real = run_variant(scenario, 30_000, None);
    let crashes: Vec<_> = real.applied_faults.iter().map(|(_, f)| f.clone()).collect();
    assert_eq!(
        crashes,
        [podsim_sim::faults::Fault::ContainerCrash {
            pod: Some("default/web".into()),
            container: Some("app".into()),
            exit_code: 137
        }],
        "the target named as the simulator names it"
    );
}

/// One pod whose container runs, judged for liveness 10 s after the world settled.
fn settles_quickly() -> Scenario {
    let text = r#"
name: liveness-on-the-driver
description: One pod that runs, with a short liveness bound.
duration: 20s
convergeWithin: 10s
images:
- {name: "podsim/workload:1", preloaded: true}
pods:
- metadata: {name: web}
  spec:
    containers:
    - {name: app, image: "podsim/workload:1", command: [workload, run]}
"#;
    Scenario::parse("liveness-on-the-driver.yaml", text).expect("the scenario parses")
}

/// A broken kubelet that starts no container: every StartContainer names one that is not there.
fn starts_nothing(output: &mut podsim_model::io::Output) {
    use podsim_model::io::{CriRequest, Output};
    if let Output::Cri { request: CriRequest::StartContainer { container_id }, .. } = output {
        *container_id = "no-such-container".into();
    }
}

#[test]
fn liveness_is_judged_on_the_containerd_driver_once_the_bound_passed() {
    let real = run_variant(settles_quickly(), 20_000, None);
    assert!(real.liveness_checked, "{:#?}", real.notes);
    assert_eq!(real.violations, [], "the pod runs: it converged");
}

#[test]
fn a_kubelet_that_never_converges_is_reported_on_the_containerd_driver_as_in_the_simulator() {
    let real = run_variant(settles_quickly(), 20_000, Some(starts_nothing));
    assert!(real.liveness_checked, "{:#?}", real.notes);
    let rules: Vec<_> = real.violations.iter().map(|v| v.rule).collect();
    assert!(rules.contains(&podsim_sim::checker::Rule::Convergence), "{:#?}", real.violations);
    let (sim, _) = podsim_sim::world::World::new(&settles_quickly(), 0, false, false)
        .with_broken_kubelet(starts_nothing)
        .run();
    let sim_rules: Vec<_> = sim.violations.iter().map(|v| v.rule).collect();
    assert!(sim_rules.contains(&podsim_sim::checker::Rule::Convergence), "{:#?}", sim.violations);
}

#[test]
fn a_run_shorter_than_the_bound_says_liveness_was_not_checked() {
    let real = run_variant(settles_quickly(), 5_000, None);
    assert!(!real.liveness_checked);
    assert!(real.notes.iter().any(|n| n.starts_with("liveness not checked")), "{:#?}", real.notes);
}
