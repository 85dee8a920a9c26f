//! A broken variant of the kubelet is caught by the checker, naming the rule it breaks: one that
//! stops a deleted pod's containers with no grace period breaks GracePeriodHonoured (the kubelet's
//! killContainer gives each container the pod's grace period: pkg/kubelet/kuberuntime/
//! kuberuntime_container.go). The same variant is reported with the same rule on the containerd
//! driver, over the simulated CRI (cri/tests/driver_on_sim_cri.rs) and on a real containerd
//! (tests/real_backend.rs).

use podsim_model::io::{CriRequest, Output};
use podsim_sim::checker::Rule;
use podsim_sim::scenario::Scenario;
use podsim_sim::world::World;

const SCENARIO: &str = r#"
name: broken-kubelet
description: A pod deleted with a grace period of 10 s.
duration: 1m
images:
- {name: "podsim/workload:1", preloaded: true}
pods:
- metadata: {name: web}
  spec:
    terminationGracePeriodSeconds: 10
    containers:
    - {name: app, image: "podsim/workload:1", command: [workload, run]}
timeline:
- at: 10s
  deletePod: {name: web}
"#;

/// The broken kubelet: every StopContainer with no grace period.
fn stops_without_grace(output: &mut Output) {
    if let Output::Cri { request: CriRequest::StopContainer { timeout_seconds, .. }, .. } = output {
        *timeout_seconds = 0;
    }
}

fn scenario() -> Scenario {
    Scenario::parse("broken-kubelet.yaml", SCENARIO).expect("the scenario parses")
}

#[test]
fn the_kubelet_as_it_is_breaks_no_rule() {
    let (outcome, _) = World::new(&scenario(), 0, false, false).run();
    assert!(outcome.passed(), "{:#?}", outcome.violations);
}

#[test]
fn a_kubelet_that_stops_without_grace_is_caught_by_the_grace_period_rule() {
    let (outcome, _) =
        World::new(&scenario(), 0, false, false).with_broken_kubelet(stops_without_grace).run();
    let rules: Vec<Rule> = outcome.violations.iter().map(|v| v.rule).collect();
    assert!(rules.contains(&Rule::GracePeriodHonoured), "{:#?}", outcome.violations);
}
