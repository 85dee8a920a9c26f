//! The real backend's network path, deterministically: the kubelet model and podsim's CRI client
//! (deadlines, read retries, reconnects, error mapping) on one turmoil host, a CRI server over the
//! simulator's containerd on another, with turmoil's partitions, a host crash and bounce, and
//! latency between them. Whatever the network does, once it heals the kubelet converges: the pod
//! runs, with one sandbox, and no container was restarted that did not have to be.
#![cfg(feature = "containerd")]

use std::time::Duration;

use podsim_cri::client::{ClientOptions, CriClient, RunContext};
use podsim_cri::real::{RealConfig, RealOutcome, RealWorld};
use podsim_cri::sim_server::{turmoil_channel, SimCri};
use podsim_model::ContainerState;
use podsim_sim::scenario::Scenario;

const IMAGE: &str = "podsim/workload:1";
const PORT: u16 = 9000;
/// turmoil's seed (its message latencies are drawn from it).
const SEED: u64 = 7;

/// One pod with two long-running containers, created at once; a second pod created at 30 s.
const SCENARIO: &str = r#"
name: turmoil-network
description: Two pods on a node whose CRI connection is partitioned, slowed and bounced.
duration: 3m
images:
- {name: "podsim/workload:1"}
pods:
- metadata: {name: web}
  spec:
    containers:
    - {name: app, image: "podsim/workload:1", command: [workload, run]}
    - {name: helper, image: "podsim/workload:1", command: [workload, run]}
timeline:
- at: 30s
  createPod:
    metadata: {name: late}
    spec:
      containers:
      - {name: app, image: "podsim/workload:1", command: [workload, run]}
"#;

/// What the network does to the CRI connection, and when (simulated seconds).
#[derive(Clone, Copy, Debug)]
enum Trouble {
    /// Cut both ways from `from` to `to`.
    Partition { from: u64, to: u64 },
    /// The CRI server's host crashes at `from` and comes back at `to` (its runtime state, like a
    /// containerd's, survives: containers keep running).
    CrashAndBounce { from: u64, to: u64 },
    /// Every message takes `millis` longer from `from` to `to`.
    Latency { from: u64, to: u64, millis: u64 },
}

/// Runs the scenario for 3 simulated minutes with `trouble`; the kubelet's outcome and the
/// runtime's final state.
fn run_with(trouble: Trouble) -> (RealOutcome, SimCri) {
    let scenario = Scenario::parse("turmoil-network.yaml", SCENARIO).expect("the scenario parses");
    // The simulated runtime makes each sandbox's log folder, as containerd does: one folder a run,
    // removed at its end, so that the test leaves nothing behind.
    let log_root =
        std::env::temp_dir().join(format!("podsim-turmoil-logs-{}", podsim_cri::labels::new_run_id()));
    let logs = log_root.clone();
    let mut sim = turmoil::Builder::new()
        .rng_seed(SEED)
        .simulation_duration(Duration::from_secs(600))
        .tick_duration(Duration::from_millis(5))
        .build();
    let cri = SimCri::new(&[IMAGE]);
    let server = cri.clone();
    sim.host("containerd", move || {
        let server = server.clone();
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
            run_id: "turmoil".into(),
            log_root: logs,
            cgroup_parent: "/podsim-turmoil".into(),
            clock_origin_unix_nanos: 0,
        };
        let options = ClientOptions { call_timeout: Duration::from_secs(2), ..ClientOptions::default() };
        let client = CriClient::new(channel, run, options);
        let config = RealConfig { duration: 180_000, trace: false, check_expectations: false };
        let (done, _) = RealWorld::new(&scenario, config, client, None).run().await;
        *slot.lock().expect("outcome lock") = Some(done);
        Ok(())
    });
    let step_until = |sim: &mut turmoil::Sim<'_>, secs: u64| {
        while sim.elapsed() < Duration::from_secs(secs) {
            sim.step().expect("the simulation steps");
        }
    };
    match trouble {
        Trouble::Partition { from, to } => {
            step_until(&mut sim, from);
            sim.partition("kubelet", "containerd");
            step_until(&mut sim, to);
            sim.repair("kubelet", "containerd");
        }
        Trouble::CrashAndBounce { from, to } => {
            step_until(&mut sim, from);
            sim.crash("containerd");
            step_until(&mut sim, to);
            sim.bounce("containerd");
        }
        Trouble::Latency { from, to, millis } => {
            step_until(&mut sim, from);
            sim.set_link_latency("kubelet", "containerd", Duration::from_millis(millis));
            step_until(&mut sim, to);
            sim.set_link_latency("kubelet", "containerd", Duration::from_millis(0));
        }
    }
    sim.run().expect("the simulation finishes");
    let _ = std::fs::remove_dir_all(&log_root);
    let done = outcome.lock().expect("outcome lock").take().expect("the kubelet host finished");
    (done, cri)
}

/// The node converged: both pods run all their containers, each pod has exactly one ready
/// sandbox in the runtime, and `web`'s containers were never restarted.
fn assert_converged(trouble: Trouble, outcome: &RealOutcome, cri: &SimCri) {
    let pods: Vec<_> = outcome.pods.iter().map(|p| (p.name.as_str(), p)).collect();
    assert_eq!(pods.len(), 2, "{trouble:?}: both pods are in the API server: {:#?}", outcome.pods);
    for (name, pod) in &pods {
        assert_eq!(pod.phase, "Running", "{trouble:?}: {name} runs: {pod:#?}");
        for c in &pod.containers {
            assert_eq!(c.state, "running", "{trouble:?}: {name}/{} runs: {pod:#?}", c.name);
        }
    }
    let web = pods.iter().find(|(n, _)| *n == "default/web").expect("web").1;
    assert!(
        web.containers.iter().all(|c| c.restarts == 0),
        "{trouble:?}: a network fault restarts no container of a pod that was running: {web:#?}"
    );
    let (sandboxes, containers) = cri.snapshot();
    let ready = sandboxes.iter().filter(|s| s.status.state == podsim_model::SandboxState::Ready).count();
    assert_eq!(ready, 2, "{trouble:?}: one ready sandbox per pod: {sandboxes:#?}");
    let running = containers.iter().filter(|c| c.status.state == ContainerState::Running).count();
    assert_eq!(running, 3, "{trouble:?}: three containers run: {containers:#?}");
}

#[test]
fn the_kubelet_converges_after_a_partition_from_containerd() {
    // Cut while the second pod is being created, healed 40 s later.
    let trouble = Trouble::Partition { from: 25, to: 65 };
    let (outcome, cri) = run_with(trouble);
    assert_converged(trouble, &outcome, &cri);
    let failed: u64 = outcome.cri_calls.values().map(|s| s.errors).sum();
    assert!(failed > 0, "calls failed during the partition: {:?}", outcome.cri_calls);
}

#[test]
fn the_kubelet_converges_after_containerds_host_crashes_and_comes_back() {
    let trouble = Trouble::CrashAndBounce { from: 28, to: 50 };
    let (outcome, cri) = run_with(trouble);
    assert_converged(trouble, &outcome, &cri);
    let failed: u64 = outcome.cri_calls.values().map(|s| s.errors).sum();
    assert!(failed > 0, "calls failed while the host was down: {:?}", outcome.cri_calls);
}

#[test]
fn the_kubelet_converges_under_latency_longer_than_its_deadline() {
    // 3 s each way: every call misses its 2 s deadline until the latency ends.
    let trouble = Trouble::Latency { from: 20, to: 60, millis: 3_000 };
    let (outcome, cri) = run_with(trouble);
    assert_converged(trouble, &outcome, &cri);
    let timeouts = outcome.cri_calls.values().map(|s| s.errors).sum::<u64>();
    assert!(timeouts > 0, "calls timed out under the latency: {:?}", outcome.cri_calls);
}

#[test]
fn the_same_troubles_give_the_same_run() {
    let trouble = Trouble::Partition { from: 25, to: 65 };
    let (a, _) = run_with(trouble);
    let (b, _) = run_with(trouble);
    let summary = |o: &RealOutcome| {
        serde_json::to_string(&(&o.pods, &o.starts, &o.cri_calls.keys().collect::<Vec<_>>())).expect("json")
    };
    assert_eq!(summary(&a), summary(&b), "turmoil runs are deterministic");
}
