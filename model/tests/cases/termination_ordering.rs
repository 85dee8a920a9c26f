//! The sidecar termination ordering (KEP-753): the kubelet's own tests of `terminationOrdering`,
//! pkg/kubelet/kuberuntime/kuberuntime_termination_order_test.go (read_file id 299143206; the
//! implementation read is id 187219570, and `killContainer` with its `waitForTurn` call id 41926215,
//! Kubernetes 1.31 and later), ported case for case.
//!
//! The Go tests run one goroutine per container on the wall clock: each waits for its turn
//! (`waitForTurn(name, grace)`), records the whole seconds it waited, sleeps (its "exit"), then calls
//! `containerTerminated`. Here the same happens on a virtual clock in milliseconds, driving
//! [`TerminationOrdering`]: a container's turn comes when `is_turn` holds or its grace period ends.

use std::collections::BTreeMap;

use podsim_model::kubelet::termination_order::TerminationOrdering;
use podsim_model::{Container, Pod, RestartPolicy};

/// A container's part in a Go test: its grace period for `waitForTurn` and how long it takes to exit
/// after its turn.
struct Part {
    name: &'static str,
    grace_seconds: i64,
    exits_after_ms: u64,
}

/// Runs every part at once from time 0; returns each container's whole seconds waited.
fn run(pod: &Pod, parts: &[Part]) -> BTreeMap<&'static str, i64> {
    let mut ordering = TerminationOrdering::new(pod, parts.iter().map(|p| p.name));
    let mut turn: BTreeMap<&str, u64> = BTreeMap::new();
    let mut exited: BTreeMap<&str, u64> = BTreeMap::new();
    let mut now = 0u64;
    while exited.len() < parts.len() {
        for p in parts {
            let deadline = u64::try_from(p.grace_seconds.max(0)).unwrap() * 1000;
            let due = p.grace_seconds <= 0 || ordering.is_turn(p.name) || now >= deadline;
            if !turn.contains_key(p.name) && due {
                turn.insert(p.name, now);
            }
        }
        // The next thing to happen: an exit, or a waiting container's deadline.
        let next_exit = parts
            .iter()
            .filter(|p| !exited.contains_key(p.name))
            .filter_map(|p| turn.get(p.name).map(|t| (t + p.exits_after_ms, p.name)))
            .min();
        let next_deadline = parts
            .iter()
            .filter(|p| !turn.contains_key(p.name))
            .map(|p| u64::try_from(p.grace_seconds).unwrap() * 1000)
            .min();
        let exit_first = next_exit.is_some_and(|(at, _)| next_deadline.is_none_or(|d| at <= d));
        if let (true, Some((at, name))) = (exit_first, next_exit) {
            now = at;
            exited.insert(name, at);
            ordering.container_terminated(name);
        } else {
            now = next_deadline.expect("a container that neither waits nor runs");
        }
    }
    turn.into_iter().map(|(name, t)| (name, i64::try_from(t / 1000).unwrap())).collect()
}

fn sidecar(name: &str) -> Container {
    let mut c = Container::new(name, "busybox");
    c.restart_policy = Some(RestartPolicy::Always);
    c
}

fn pod(sidecars: &[&str]) -> Pod {
    let mut pod = Pod::new("bar", "12345678", "node");
    pod.namespace = "new".into();
    pod.spec_mut().init_containers = sidecars.iter().map(|n| sidecar(n)).collect();
    pod.spec_mut().containers.push(Container::new("main", "busybox"));
    pod
}

// TestTerminationOrderingSidecarStopAfterMain: "expected sidecar to wait for main container to
// exit" (1 s) and "expected main container to not wait to exit" (0).
#[test]
fn sidecar_stop_after_main() {
    let delays = run(
        &pod(&["init"]),
        &[
            Part { name: "init", grace_seconds: 30, exits_after_ms: 0 },
            Part { name: "main", grace_seconds: 0, exits_after_ms: 1000 },
        ],
    );
    assert_eq!(delays["init"], 1);
    assert_eq!(delays["main"], 0);
}

// TestTerminationOrderingSidecarsInReverseOrder: "sidecars should exit in reverse order, so sc1 = 3
// (main container + sc3 + sc2)", "sc2 = 2 (main container + sc3)", "sc3 = 1 (main container)",
// "main container = 0 delay, nothing to wait on"; each exits 1.25 s after its turn.
#[test]
fn sidecars_in_reverse_order() {
    let part = |name| Part { name, grace_seconds: 30, exits_after_ms: 1250 };
    let delays = run(&pod(&["sc1", "sc2", "sc3"]), &[part("sc1"), part("sc2"), part("sc3"), part("main")]);
    assert_eq!(delays["sc1"], 3);
    assert_eq!(delays["sc2"], 2);
    assert_eq!(delays["sc3"], 1);
    assert_eq!(delays["main"], 0);
}

// TestTerminationOrderingObeysGrace: "just a two second grace period which is not long enough for
// all of the waits to finish": sc1 "overall grace period limits the amount of time waited here" (2),
// sc2 2, sc3 1, main 0; each exits 1 s after its turn.
#[test]
fn obeys_grace() {
    let part = |name| Part { name, grace_seconds: 2, exits_after_ms: 1000 };
    let delays = run(&pod(&["sc1", "sc2", "sc3"]), &[part("sc1"), part("sc2"), part("sc3"), part("main")]);
    assert_eq!(delays["sc1"], 2);
    assert_eq!(delays["sc2"], 2);
    assert_eq!(delays["sc3"], 1);
    assert_eq!(delays["main"], 0);
}

/// `newTerminationOrdering`: a plain init container is no one's prerequisite and waits for no one;
/// a container that is not running counts as exited from the start.
#[test]
fn plain_init_containers_and_stopped_containers_do_not_wait() {
    let mut p = pod(&["sc1"]);
    p.spec_mut().init_containers.insert(0, Container::new("setup", "busybox"));
    p.spec_mut().containers.push(Container::new("done", "busybox"));
    let ordering = TerminationOrdering::new(&p, ["sc1", "main"]);
    assert_eq!(ordering.prereqs("sc1"), ["main".to_string(), "done".to_string()]);
    assert!(ordering.prereqs("setup").is_empty());
    assert!(!ordering.is_turn("sc1"), "main still runs");
    let mut ordering = ordering;
    ordering.container_terminated("main");
    assert!(ordering.is_turn("sc1"), "done was never running, so it counts as exited");
}
