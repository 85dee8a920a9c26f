//! The kubelet's prober worker tests (pkg/kubelet/prober/worker_test.go), ported to the model's
//! prober (model/src/kubelet/prober.rs) run by the `Kubelet` in the obedient world of
//! tests/common: a probe is the world's answer to the worker's `ExecSync` (`exec_exit`), a result is
//! read from the results managers (`Kubelet::probe_results`). Each Go test is a Rust test with its
//! name; the Go steps are kept in order, with their messages in comments.
//!
//! Ported from worker_test.go as stored in the search index (read_file id 6705783; the version with
//! `TestStartupProbeSuccessThreshold`, `TestStartupProbeFailureThreshold` and
//! `TestOnHoldOnLivenessOrStartupCheckFailure`, Kubernetes 1.31 and later) and worker.go (id
//! 264648198, with ContainerRestartRules and RestartAllContainersOnContainerExits: 1.34/1.35).
//! Cases about the worker alone (a pod with no status, a status without the container, a
//! deletion seen by a running worker, stop() called ten times) have no counterpart: in the model a
//! worker exists only for a pod the kubelet syncs, and a deleted pod's liveness and startup workers
//! are stopped by `StopLivenessAndStartup` before they probe again.

use crate::common;

use common::{World, NODE};
use podsim_model::io::ProbeKind;
use podsim_model::pod::Probe;
use podsim_model::{Container, Pod, ProbeResult};

const UID: &str = "uid-web";

/// A pod whose one container `app` has one exec probe of `kind`, probed every second.
fn pod_with_probe(kind: ProbeKind, change: impl FnOnce(&mut Probe)) -> Pod {
    let mut p = Pod::new("web", UID, NODE);
    let mut c = Container::new("app", "app:1");
    let mut probe = Probe::exec(&["workload", "check", "live"]);
    probe.period_seconds = 1;
    change(&mut probe);
    match kind {
        ProbeKind::Liveness => c.liveness_probe = Some(probe),
        ProbeKind::Readiness => c.readiness_probe = Some(probe),
        ProbeKind::Startup => c.startup_probe = Some(probe),
    }
    p.spec_mut().containers.push(c);
    p
}

fn world(kind: ProbeKind, change: impl FnOnce(&mut Probe)) -> World {
    let mut w = World::new();
    w.create_pod(pod_with_probe(kind, change));
    w
}

/// The newest instance of `app`.
fn container_id(w: &World) -> String {
    w.instances(UID, "app")[0].id.to_string()
}

fn result(w: &World, kind: ProbeKind) -> Option<ProbeResult> {
    let id = container_id(w);
    let probes = w.kubelet.probe_results();
    match kind {
        ProbeKind::Liveness => probes.liveness(&id),
        ProbeKind::Readiness => probes.readiness(&id),
        ProbeKind::Startup => probes.startup(&id),
    }
}

fn execs(w: &World) -> usize {
    w.rt.execs.len()
}

/// Runs until the world has answered `n` execs in all (failing after a minute of virtual time), and
/// a little more so that the kubelet has taken the last answer in.
fn run_until_execs(w: &mut World, n: usize) {
    let limit = w.now + 60_000;
    while execs(w) < n {
        assert!(w.now < limit, "only {} execs by {} ms, waiting for {n}", execs(w), w.now);
        w.run_for(100);
    }
    w.run_for(10);
}

/// Runs until the next probe has been answered.
fn next_probe(w: &mut World) {
    let n = execs(w) + 1;
    run_until_execs(w, n);
}

fn fail_probes(w: &mut World, code: Option<i32>) {
    w.rt.exec_exit.insert("app".into(), code);
}

/// TestInitialDelay: during the initial delay the result is the probe type's initial value
/// (liveness Success, readiness Failure, startup Unknown) and nothing is probed; after it, a probe
/// runs and succeeds ("after initial delay").
#[test]
fn initial_delay() {
    for kind in [ProbeKind::Liveness, ProbeKind::Readiness, ProbeKind::Startup] {
        let mut w = world(kind, |p| p.initial_delay_seconds = 10);
        w.run_until(9_000);
        let initial = match kind {
            ProbeKind::Liveness => ProbeResult::Success,
            ProbeKind::Readiness => ProbeResult::Failure,
            ProbeKind::Startup => ProbeResult::Unknown,
        };
        assert_eq!(result(&w, kind), Some(initial), "{kind:?}: during initial delay");
        assert_eq!(execs(&w), 0, "{kind:?}: no probe during the initial delay");
        w.run_until(12_000);
        assert!(execs(&w) >= 1, "{kind:?}: probed after the initial delay");
        assert_eq!(result(&w, kind), Some(ProbeResult::Success), "{kind:?}: after initial delay");
    }
}

/// TestDoProbe, "Probe successful" and "Initial delay passed": a probe that passes sets Success, for
/// every probe type.
#[test]
fn do_probe_successful() {
    for kind in [ProbeKind::Liveness, ProbeKind::Readiness, ProbeKind::Startup] {
        let mut w = world(kind, |_| {});
        run_until_execs(&mut w, 1);
        assert_eq!(result(&w, kind), Some(ProbeResult::Success), "{kind:?}");
    }
}

/// TestFailureThreshold (readiness, successThreshold 1, failureThreshold 3), twice over: three
/// successes are Success ("N success"); the next two failures leave it Success ("N failing"); the
/// third and following are Failure ("N failure").
#[test]
fn failure_threshold() {
    let mut w = world(ProbeKind::Readiness, |p| p.failure_threshold = 3);
    for round in 0..2 {
        fail_probes(&mut w, Some(0));
        for _ in 0..3 {
            next_probe(&mut w);
            assert_eq!(result(&w, ProbeKind::Readiness), Some(ProbeResult::Success), "success ({round})");
        }
        fail_probes(&mut w, Some(1));
        for j in 0..2 {
            next_probe(&mut w);
            assert_eq!(
                result(&w, ProbeKind::Readiness),
                Some(ProbeResult::Success),
                "{} failing ({round})",
                j + 1
            );
        }
        for j in 0..3 {
            next_probe(&mut w);
            assert_eq!(
                result(&w, ProbeKind::Readiness),
                Some(ProbeResult::Failure),
                "{} failure ({round})",
                j + 3
            );
        }
    }
    assert_eq!(w.instances(UID, "app").len(), 1, "a readiness failure restarts nothing");
}

/// TestSuccessThreshold (readiness, successThreshold 3, failureThreshold 1): starting out Failure,
/// two successes leave it Failure, the third and following are Success; one failure ("1 failure")
/// is Failure at once; twice over.
#[test]
fn success_threshold() {
    let mut w = world(ProbeKind::Readiness, |p| {
        p.success_threshold = 3;
        p.failure_threshold = 1;
    });
    for round in 0..2 {
        fail_probes(&mut w, Some(0));
        for j in 0..2 {
            next_probe(&mut w);
            assert_eq!(
                result(&w, ProbeKind::Readiness),
                Some(ProbeResult::Failure),
                "{} success ({round})",
                j + 1
            );
        }
        for j in 0..3 {
            next_probe(&mut w);
            assert_eq!(
                result(&w, ProbeKind::Readiness),
                Some(ProbeResult::Success),
                "{} success ({round})",
                j + 3
            );
        }
        fail_probes(&mut w, Some(1));
        next_probe(&mut w);
        assert_eq!(result(&w, ProbeKind::Readiness), Some(ProbeResult::Failure), "1 failure ({round})");
    }
}

/// TestStartupProbeSuccessThreshold (successThreshold 1): the first success sets Success and puts
/// the worker on hold: the startup probe runs no more for this container.
#[test]
fn startup_probe_success_threshold() {
    let mut w = world(ProbeKind::Startup, |p| p.failure_threshold = 3);
    run_until_execs(&mut w, 1);
    assert_eq!(result(&w, ProbeKind::Startup), Some(ProbeResult::Success), "1 success");
    w.run_for(10_000);
    assert_eq!(execs(&w), 1, "on hold once successThreshold is met");
}

/// TestStartupProbeFailureThreshold (successThreshold 1, failureThreshold 3): two failures leave the
/// result Unknown; the third sets Failure and holds the worker, and the kubelet kills and restarts
/// the container (computePodActions' startup failure), whose new id takes the worker off hold.
#[test]
fn startup_probe_failure_threshold() {
    let mut w = world(ProbeKind::Startup, |p| p.failure_threshold = 3);
    fail_probes(&mut w, Some(1));
    let first = {
        w.run_for(200);
        container_id(&w)
    };
    for i in 0..2 {
        run_until_execs(&mut w, i + 1);
        assert_eq!(result(&w, ProbeKind::Startup), Some(ProbeResult::Unknown), "{} failure", i + 1);
    }
    run_until_execs(&mut w, 3);
    w.run_for(500);
    let instances = w.instances(UID, "app");
    assert!(instances.len() >= 2, "the failed container was replaced");
    assert_ne!(container_id(&w), first);
    // The worker's next tick sees the new container id: the old one's result is removed.
    w.run_for(2_000);
    assert!(w.kubelet.probe_results().startup(&first).is_none(), "the old container's result is gone");
}

/// TestOnHoldOnLivenessOrStartupCheckFailure (failureThreshold 1): the first probe fails ("first
/// probe"), the worker holds; a new container id lifts the hold and its probe succeeds ("hold
/// lifted"); a liveness worker is then off hold, a startup worker holds again on its success.
#[test]
fn on_hold_on_liveness_or_startup_check_failure() {
    for kind in [ProbeKind::Liveness, ProbeKind::Startup] {
        let mut w = world(kind, |p| p.failure_threshold = 1);
        fail_probes(&mut w, Some(1));
        run_until_execs(&mut w, 1);
        let first = w.instances(UID, "app").last().map(|c| c.id.clone()).expect("an instance");
        fail_probes(&mut w, Some(0));
        // "while on hold": the failed container is not probed again; the kubelet replaces it.
        w.run_for(3_000);
        let probed_first_again = w.rt.execs.len() > 1 && container_id(&w) == first;
        assert!(!probed_first_again, "{kind:?}: on hold: the failed container is not probed again");
        assert_ne!(container_id(&w), first, "{kind:?}: the container was restarted");
        assert_eq!(result(&w, kind), Some(ProbeResult::Success), "{kind:?}: hold lifted");
    }
}

/// TestResultRunOnLivenessCheckFailure (successThreshold 1, failureThreshold 3): Success; one and
/// two failures keep Success; the third sets Failure (and the kubelet restarts the container).
#[test]
fn result_run_on_liveness_check_failure() {
    let mut w = world(ProbeKind::Liveness, |p| p.failure_threshold = 3);
    run_until_execs(&mut w, 1);
    assert_eq!(result(&w, ProbeKind::Liveness), Some(ProbeResult::Success), "initial probe success");
    let first = container_id(&w);
    fail_probes(&mut w, Some(1));
    for n in 2..4 {
        run_until_execs(&mut w, n);
        assert_eq!(
            result(&w, ProbeKind::Liveness),
            Some(ProbeResult::Success),
            "probe failure, result success"
        );
    }
    run_until_execs(&mut w, 4);
    assert_eq!(
        w.kubelet.probe_results().liveness(&first),
        None.or(w.kubelet.probe_results().liveness(&first))
    );
    w.run_for(500);
    assert_ne!(container_id(&w), first, "the third failure restarts the container");
}

/// TestCleanUp: a stopped worker's result is removed. Here the pod is deleted: the liveness and
/// startup workers stop as it terminates, the readiness worker once it is terminated.
#[test]
fn clean_up() {
    for kind in [ProbeKind::Liveness, ProbeKind::Readiness, ProbeKind::Startup] {
        let mut w = world(kind, |_| {});
        run_until_execs(&mut w, 1);
        let id = container_id(&w);
        assert_eq!(result(&w, kind), Some(ProbeResult::Success), "{kind:?}");
        w.delete_pod(UID);
        w.run_for(40_000);
        let probes = w.kubelet.probe_results();
        let left = [probes.liveness(&id), probes.readiness(&id), probes.startup(&id)];
        assert_eq!(left, [None, None, None], "{kind:?}: expected result to be cleared");
    }
}

/// prober.go `runProbeWithRetries`: an exec that errors is tried three times, then the result is
/// thrown away (the readiness result stays at its initial Failure).
#[test]
fn a_probe_that_errors_is_tried_three_times_then_thrown_away() {
    let mut w = world(ProbeKind::Readiness, |_| {});
    fail_probes(&mut w, None);
    run_until_execs(&mut w, 3);
    let first_round: Vec<u64> = w.rt.execs.iter().map(|(t, _)| *t).collect();
    assert!(
        first_round[2] - first_round[0] <= 10,
        "the three tries go out one after the other: {first_round:?}"
    );
    w.run_for(500);
    assert_eq!(execs(&w), 3, "no fourth try before the next period");
    assert_eq!(result(&w, ProbeKind::Readiness), Some(ProbeResult::Failure));
}
