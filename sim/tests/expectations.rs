//! The scenario language's expectations, each construct shown both ways: reporting a violation on a
//! run that breaks it, and accepting a run that keeps it. Runs are whole simulated worlds (seed 0, no
//! random faults), so what is judged is what the kubelet model really did.

use podsim_sim::checker::Rule;
use podsim_sim::scenario::Scenario;
use podsim_sim::world::World;

/// A pod `web` whose `app` exits 1 every 2 s (CrashLoopBackOff), run for 3 minutes.
const CRASHER: &str = r#"
name: crasher
description: app exits 1 after 2 s, again and again.
duration: 3m
images:
- {name: podsim/workload:1}
pods:
- metadata: {name: web}
  spec:
    volumes: [{name: scratch, emptyDir: {}}]
    containers:
    - name: app
      image: podsim/workload:1
      command: [workload, exit-after, 2s, "1"]
      volumeMounts: [{name: scratch, mountPath: /scratch}]
"#;

/// A pod `web` whose `app` ignores SIGTERM, deleted at 10 s with a 20 s grace period.
const STUBBORN: &str = r#"
name: stubborn
description: app ignores SIGTERM; the pod is deleted at 10 s.
duration: 2m
images:
- {name: podsim/workload:1}
pods:
- metadata: {name: web}
  spec:
    terminationGracePeriodSeconds: 20
    containers:
    - {name: app, image: podsim/workload:1, command: [workload, ignore-sigterm]}
timeline:
- at: 10s
  deletePod: {name: web}
"#;

/// A pod `web` that runs; a partition from 30 s to 1m 30 s, during which it is deleted.
const PARTITIONED: &str = r#"
name: partitioned
description: deleted during a partition.
duration: 4m
images:
- {name: podsim/workload:1}
pods:
- metadata: {name: web}
  spec:
    terminationGracePeriodSeconds: 5
    containers:
    - {name: app, image: podsim/workload:1, command: [workload, run]}
timeline:
- at: 30s
  fault: {kind: partition, direction: both, duration: 1m}
- at: 45s
  deletePod: {name: web}
"#;

/// The expectation violations of a run of `base` with `expect` appended.
fn violations(base: &str, expect: &str) -> Vec<String> {
    let text = format!("{base}expect:\n{expect}");
    let scenario = Scenario::parse("test.yaml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let (outcome, _) = World::new(&scenario, 0, false, false).run();
    outcome.violations.into_iter().filter(|v| v.rule == Rule::Expectation).map(|v| v.detail).collect()
}

fn accepts(base: &str, expect: &str) {
    let found = violations(base, expect);
    assert!(found.is_empty(), "expected no violation of\n{expect}\nfound: {found:#?}");
}

fn rejects(base: &str, expect: &str, words: &[&str]) {
    let found = violations(base, expect);
    assert!(
        found.iter().any(|v| words.iter().all(|w| v.contains(w))),
        "expected a violation naming {words:?} of\n{expect}\nfound: {found:#?}"
    );
}

fn load_error(base: &str, expect: &str) -> String {
    let text = format!("{base}expect:\n{expect}");
    Scenario::parse("test.yaml", &text).expect_err("a load error").to_string()
}

// ---- states: at, during, always ----------------------------------------------------------------

#[test]
fn at_an_instant() {
    // app starts at 102 ms and exits at 2.1 s; the API server has the status the kubelet last wrote,
    // at its syncs: Running until the sync at the next relist (3 s). It exits again at 5 s, and the
    // sync then writes the status it found at its start, Terminated, with 1 restart.
    let e = "  states:\n  - at: 2500ms\n    pods: {web: {phase: Running, containers: {app: {state: running, restarts: 0}}}}\n  - at: 10s\n    pods: {web: {containers: {app: {state: terminated, exitCode: 1, restarts: 1}}}}\n";
    accepts(CRASHER, e);
    let e = "  states:\n  - at: 10s\n    pods: {web: {containers: {app: {state: running}}}}\n";
    rejects(CRASHER, e, &["at 10s: web/app: expected Running, found Terminated (Error, exit code 1)"]);
}

#[test]
fn during_an_interval_reports_its_first_failure_with_its_time() {
    accepts(PARTITIONED, "  states:\n  - during: 5s..90s\n    pods: {web: {phase: Running}}\n");
    // Soon after the partition heals at 1m 30s the kubelet writes the deleted pod's final status,
    // Failed, then releases it: the first failure is the Failed phase.
    let e = "  states:\n  - during: 5s..3m\n    pods: {web: {phase: Running}}\n";
    rejects(PARTITIONED, e, &["during 5s..3m, at 1m 43s", "web: expected phase Running, found Failed"]);
    assert_eq!(violations(PARTITIONED, e).len(), 1, "an interval reports only its first failure");
}

#[test]
fn always() {
    accepts(
        CRASHER,
        "  states:\n  - always: true\n    pods: {web: {sandboxes: {count: 0..1, ready: 0..1}}}\n",
    );
    let e = "  states:\n  - always: true\n    pods: {web: {phase: Running}}\n";
    // At 0 s the pod has no status yet.
    rejects(CRASHER, e, &["always, at", "web: expected phase Running, found no status"]);
}

// ---- node and runtime --------------------------------------------------------------------------

#[test]
fn sandboxes_count_ready_attempt_and_same_as() {
    let e = "  pods: {web: {sandboxes: {count: 1, ready: 1, attempt: 0, sameAs: 10s}}}\n";
    accepts(CRASHER, e);
    rejects(CRASHER, "  pods: {web: {sandboxes: {count: 2}}}\n", &["web: expected 2 sandboxes, found 1"]);
    rejects(CRASHER, "  pods: {web: {sandboxes: {ready: 0}}}\n", &["expected 0 ready sandboxes, found 1"]);
    rejects(CRASHER, "  pods: {web: {sandboxes: {attempt: 1}}}\n", &["newest sandbox's attempt 1, found 0"]);
    // Before its sandbox existed, the pod had none: "the same as at 0s" fails.
    rejects(
        CRASHER,
        "  pods: {web: {sandboxes: {sameAs: 0s}}}\n",
        &["expected the sandbox it had at 0s (none)"],
    );
}

#[test]
fn last_state_exit_code_and_reason() {
    let e = "  pods: {web: {containers: {app: {lastState: {exitCode: 1, reason: Error}}}}}\n";
    accepts(CRASHER, e);
    let e = "  pods: {web: {containers: {app: {lastState: {exitCode: 137, reason: OOMKilled}}}}}\n";
    rejects(
        CRASHER,
        e,
        &["web/app: expected lastState exit code 137, found Terminated (Error, exit code 1)"],
    );
    rejects(CRASHER, e, &["expected lastState reason OOMKilled"]);
}

#[test]
fn messages_as_the_kubelet_writes_them() {
    // doBackOff's message names the backoff being waited, as Go prints a duration.
    // The sync that met the backoff (at 5 s) set the reason cache; the status it shows is written by
    // the next sync, when the backoff has ended (19 s), which then starts the container.
    let e = "  states:\n  - at: 20s\n    pods: {web: {containers: {app: {reason: CrashLoopBackOff, message: back-off 10s restarting failed container=app pod=web_default(default-web)}}}}\n";
    accepts(CRASHER, e);
    let e = "  states:\n  - at: 20s\n    pods: {web: {containers: {app: {message: back-off 20s}}}}\n";
    rejects(
        CRASHER,
        e,
        &["at 20s: web/app: expected a message containing \"back-off 20s\", found \"back-off 10s restarting"],
    );
}

#[test]
fn conditions_and_readiness() {
    let e = "  pods: {web: {conditions: {PodReadyToStartContainers: \"True\", Initialized: true, Ready: {status: \"False\", reason: ContainersNotReady}}, containers: {app: {ready: false}}}}\n";
    accepts(CRASHER, e);
    rejects(
        CRASHER,
        "  pods: {web: {conditions: {Ready: \"True\"}}}\n",
        &["expected condition Ready=True, found False"],
    );
    rejects(
        CRASHER,
        "  pods: {web: {containers: {app: {ready: true}}}}\n",
        &["expected ready=true, found ready=false"],
    );
    rejects(
        CRASHER,
        "  pods: {web: {containers: {app: {started: true}}}}\n",
        &["expected started=true, found started=false"],
    );
    accepts(CRASHER, "  pods: {web: {containers: {app: {started: false}}}}\n");
}

#[test]
fn data_dir_and_mounts() {
    accepts(CRASHER, "  pods: {web: {dataDir: present, mounts: present}}\n");
    rejects(CRASHER, "  pods: {web: {dataDir: gone}}\n", &["expected its data directory gone"]);
    rejects(CRASHER, "  pods: {web: {mounts: gone}}\n", &["expected its volume mounts gone"]);
    // A released pod's directory is gone, as the states at its deletion show.
    accepts(PARTITIONED, "  states:\n  - at: 20s\n    pods: {web: {dataDir: present}}\n");
}

// ---- what happened ------------------------------------------------------------------------------

#[test]
fn counts_and_never() {
    let e = "  happened:\n  - {what: pull podsim/workload:1, count: 1}\n  - {what: cri StopPodSandbox, count: 0}\n  - {what: start web/app, count: \"5..\"}\n";
    accepts(CRASHER, e);
    let e = "  happened:\n  - {what: cri RunPodSandbox web, count: 0}\n";
    rejects(CRASHER, e, &["expected 0 of `cri RunPodSandbox web`, found 1 (at "]);
}

#[test]
fn delays_after_each_happening() {
    // Restarts come 0 s, then 10 s, 20 s, 40 s after each exit, plus at most one relist (1 s) and the
    // pod worker's jitter of the remaining backoff (up to half of it).
    let e = "  happened:\n  - what: start web/app\n    after: exit web/app code 1\n    delays: [0s..1s, 10s..16s, 20s..31s, 40s..61s]\n";
    accepts(CRASHER, e);
    let e = "  happened:\n  - what: start web/app\n    after: exit web/app\n    delays: [0s, 10s, 20s]\n    tolerance: 1s\n";
    rejects(CRASHER, e, &["expected `start web/app` 20s ±1s after exit web/app code 1 at"]);
    let e = "  happened:\n  - what: start web/app\n    after: exit web/app\n    delays: [0s..1s, 1s..2s]\n";
    rejects(CRASHER, e, &["expected `start web/app` 1s to 2s after exit web/app"]);
}

#[test]
fn within_and_none_by_the_end() {
    // The kubelet sees the deletion when its pod reflector lists again, on its own backoff (up to
    // 30 s, jittered by 1.0), then gives the container its 5 s grace period.
    let e = "  happened:\n  - {what: release web, after: heal partition, within: 65s}\n";
    accepts(PARTITIONED, e);
    let e = "  happened:\n  - {what: release web, after: heal partition, within: 5s}\n";
    rejects(
        PARTITIONED,
        e,
        &["expected `release web` within 5s of heal partition at 1m 30s, found it 13s after"],
    );
    let e = "  happened:\n  - {what: release web, after: fault partition, within: 10s}\n";
    rejects(PARTITIONED, e, &["expected `release web` within 10s of fault partition at 30s, found it 1m"]);
    let e = "  happened:\n  - {what: cri StopPodSandbox web, after: heal partition, within: 1s, during: 0s..1m}\n";
    rejects(PARTITIONED, e, &["expected `heal partition` during 0s..1m to measure"]);
}

#[test]
fn kills_with_signals_and_not_before() {
    let e = "  happened:\n  - {what: kill web/app SIGTERM, after: delete web, within: 2s, count: 1}\n  - {what: kill web/app SIGKILL, after: kill web/app SIGTERM, notBefore: 20s, within: 21s}\n";
    accepts(STUBBORN, e);
    let e = "  happened:\n  - {what: kill web/app SIGKILL, after: delete web, notBefore: 30s}\n";
    rejects(
        STUBBORN,
        e,
        &["expected `kill web/app SIGKILL` no sooner than 30s after delete web at 10s, found it 2"],
    );
}

#[test]
fn order() {
    let e = "  happened:\n  - order: [delete web, cri StopContainer web, kill web/app SIGTERM, kill web/app SIGKILL, cri StopPodSandbox web, cri RemovePodSandbox web, release web]\n";
    accepts(STUBBORN, e);
    let e = "  happened:\n  - order: [cri StopPodSandbox web, cri StopContainer web]\n";
    rejects(
        STUBBORN,
        e,
        &["expected every `cri StopPodSandbox web` before the first `cri StopContainer web`"],
    );
    let e = "  happened:\n  - order: [delete web, cri RunPodSandbox web]\n";
    rejects(STUBBORN, e, &["expected every `delete web` before the first `cri RunPodSandbox web`"]);
}

#[test]
fn kubernetes_events_by_reason() {
    let e = "  happened:\n  - {what: event Killing web/app, after: delete web, within: 1s, count: 1}\n  - {what: event BackOff, count: 0}\n";
    accepts(STUBBORN, e);
    rejects(
        STUBBORN,
        "  happened:\n  - {what: event BackOff web, count: 1}\n",
        &["expected 1 of `event BackOff web`, found 0"],
    );
    rejects(
        CRASHER,
        "  happened:\n  - {what: event BackOff web/app, count: 0}\n",
        &["expected 0 of `event BackOff web/app`, found"],
    );
}

#[test]
fn events_the_api_server_holds_with_their_counts() {
    let e = "  pods: {web: {events: {BackOff: {count: \"3..\", type: Warning, container: app, message: \"Back-off restarting failed container app in pod web_default\"}, Killing: {count: 0}}}}\n";
    accepts(CRASHER, e);
    rejects(
        CRASHER,
        "  pods: {web: {events: {BackOff: {type: Normal}}}}\n",
        &["web: expected BackOff events of type Normal, found Warning"],
    );
    rejects(
        CRASHER,
        "  pods: {web: {events: {Killing: {count: \"1..\"}}}}\n",
        &["web: expected 1.. Killing events, found 0"],
    );
    rejects(
        CRASHER,
        "  pods: {web: {events: {BackOff: {message: pulling}}}}\n",
        &["expected a BackOff event whose message contains \"pulling\""],
    );
}

#[test]
fn syncs_follow_each_exit_at_the_next_relist() {
    // The PLEG relists every second; an exit makes it sync the pod (syncLoopIteration, plegCh).
    accepts(CRASHER, "  happened:\n  - {what: sync web, after: exit web/app, within: 1s}\n");
    let e = "  happened:\n  - {what: sync web, after: exit web/app, notBefore: 2s}\n";
    rejects(CRASHER, e, &["expected `sync web` no sooner than 2s after exit web/app code 1 at 2s"]);
}

#[test]
fn plans_syncs_and_timeline_happenings() {
    let e = "  happened:\n  - {what: plan web, count: \"1..\"}\n  - {what: create web, count: 1}\n  - {what: fault partition, count: 1}\n  - {what: heal partition, count: 1}\n";
    accepts(PARTITIONED, e);
    rejects(
        PARTITIONED,
        "  happened:\n  - {what: update web, count: 1}\n",
        &["expected 1 of `update web`, found 0"],
    );
    rejects(
        PARTITIONED,
        "  happened:\n  - {what: deleteSecret db, count: 1}\n",
        &["expected 1 of `deleteSecret db`, found 0"],
    );
    accepts(CRASHER, "  happened:\n  - {what: sandbox web, count: 1}\n  - {what: pullFailed, count: 0}\n");
    rejects(
        CRASHER,
        "  happened:\n  - {what: sandbox web, count: 2}\n",
        &["expected 2 of `sandbox web`, found 1"],
    );
}

// ---- bad input -----------------------------------------------------------------------------------

#[test]
fn bad_expectations_are_load_errors_with_their_place() {
    let e = load_error(CRASHER, "  happened:\n  - {what: restart web/app, count: 1}\n");
    assert!(
        e.contains("test.yaml:")
            && e.contains("expect.happened[0]")
            && e.contains("unknown happening \"restart\""),
        "{e}"
    );
    let e = load_error(CRASHER, "  happened:\n  - {what: cri StopSandbox web}\n");
    assert!(e.contains("unknown CRI method \"StopSandbox\""), "{e}");
    let e = load_error(CRASHER, "  happened:\n  - {what: kill web/app SIGINT}\n");
    assert!(e.contains("unknown signal \"SIGINT\""), "{e}");
    let e = load_error(CRASHER, "  happened:\n  - {what: start web/app, delays: [10s]}\n");
    assert!(e.contains("measured from after"), "{e}");
    let e = load_error(CRASHER, "  states:\n  - {at: 1m, during: 1m..2m, pods: {}}\n");
    assert!(e.contains("exactly one of at"), "{e}");
    let e = load_error(CRASHER, "  states:\n  - {during: 2m..1m, pods: {}}\n");
    assert!(e.contains("empty"), "{e}");
    let e = load_error(CRASHER, "  states:\n  - {at: 1m, pods: {web: {conditions: {Happy: \"True\"}}}}\n");
    assert!(e.contains("unknown variant `Happy`"), "{e}");
    let e = load_error(CRASHER, "  pods: {web: {containers: {app: {reason: CrashLoopBackof}}}}\n");
    assert!(
        e.contains("expect.pods.web.containers.app.reason")
            && e.contains("unknown container reason \"CrashLoopBackof\""),
        "{e}"
    );
    let e = load_error(CRASHER, "  pods: {web: {events: {Backoff: {count: 1}}}}\n");
    assert!(e.contains("unknown kubelet Event reason \"Backoff\""), "{e}");
    let e = load_error(CRASHER, "  happened:\n  - {what: event Pulld web/app}\n");
    assert!(e.contains("unknown kubelet Event reason \"Pulld\""), "{e}");
    let e = load_error(CRASHER, "  happened:\n  - {what: start wbe/app}\n");
    assert!(e.contains("expect.happened[0]: `start wbe/app` names no pod"), "{e}");
    let e = load_error(CRASHER, "  pods: {web: {containers: {app: {lastState: {exitCode: one}}}}}\n");
    assert!(e.contains("test.yaml:") && e.contains("exitCode"), "{e}");
}
