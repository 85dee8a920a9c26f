//! Pins of the survivors of the full tier-1 `cargo mutants` run of model/ (issue 13, at d7d1bfd) in
//! the kubelet's sync-side files: model/src/actions/{coverage,legacy,resize,restart_all}.rs and
//! model/src/kubelet/{active_deadline,allocation,bugs,config,event_sites,gc,hooks,housekeeping,
//! image_puller,kill,pleg}.rs. The full run had not reached these files in time, so their mutants
//! were screened against d7d1bfd's own tests (the cases, and the lib's unit tests for files that
//! have them); each test's doc comment names the survivor(s) it catches as cargo-mutants names
//! them, and the kubelet function whose behaviour it pins. Each was checked to fail on its mutant
//! (applied by hand) and re-run through cargo-mutants by name (/work/mutants/check-pins_kubelet_sync:
//! 24 caught of 24). The survivors no test can observe are argued in
//! /work/mutants/full/reasons-pins_kubelet_sync.md.
//!
//! Kubelet sources read (search index ids): kuberuntime_container.go `killContainer`,
//! `killContainersWithSyncResult`, `purgeInitContainers`, `computeInitContainerActions` (id
//! 41926215, a 1.3x version with the termination ordering and `ctx`); kuberuntime_manager.go
//! `SyncPod` step 3 (`killContainer(..., nil, nil)`) and `computePodActions` (id 79542686);
//! lifecycle/handlers.go `runSleepHandler` (as cited in model/src/kubelet/hooks.rs); the kubelet
//! configuration's validation.go rules for `crashLoopBackOff.maxContainerRestartPeriod` (as cited
//! in model/src/kubelet/config.rs, Kubernetes 1.35).

use crate::common;

use common::{World, NODE};
use podsim_model::coverage::Probe;
use podsim_model::{Container, Millis, Pod, RestartPolicy};

/// A sidecar (a restartable init container) of this name and image that runs until stopped.
fn sidecar(name: &str, image: &str) -> Container {
    let mut c = Container::new(name, image);
    c.restart_policy = Some(RestartPolicy::Always);
    c
}

/// When the newest instance of `uid`'s container `name` finished (its StopContainer was served).
fn finished_at(w: &World, uid: &str, name: &str) -> Option<Millis> {
    w.instances(uid, name).into_iter().find_map(|c| c.finished_at)
}

/// Mutant `model/src/kubelet/kill.rs:199:33: replace && with || in Kubelet::stop_containers`: the
/// sidecar termination ordering applies only to a pod killed whole (`killContainersWithSyncResult`
/// makes a `terminationOrdering` for a pod with restartable init containers); `SyncPod`'s step 3
/// kills its containers to kill with no ordering (`killContainer(..., nil, nil)`,
/// kuberuntime_manager.go). Two sidecars whose images changed are stopped at once, the first not
/// waiting for the second to exit (and `kill.sidecar_ordering` is not counted for them); a pod
/// without sidecars killed whole has no ordering to count.
#[test]
fn sync_pod_kills_changed_sidecars_at_once_without_the_termination_ordering() {
    let mut w = World::new();
    let mut p = Pod::new("web", "uid-web", NODE);
    p.spec_mut().init_containers = vec![sidecar("a", "a:1"), sidecar("b", "b:1")];
    p.spec_mut().containers.push(Container::new("app", "app:1"));
    w.create_pod(p);
    w.run_for(30_000);
    assert!(w.running("uid-web", "a") && w.running("uid-web", "b") && w.running("uid-web", "app"));
    let ordered_kills = w.kubelet.probes().count(Probe::KillSidecarOrdering);
    w.update_pod("uid-web", |p| {
        p.spec_mut().init_containers[0].set_image("a:2");
        p.spec_mut().init_containers[1].set_image("b:2");
    });
    w.run_for(30_000);
    let (a, b) = (finished_at(&w, "uid-web", "a"), finished_at(&w, "uid-web", "b"));
    assert!(a.is_some(), "the old sidecar a was stopped");
    assert_eq!(a, b, "both old sidecars are stopped at the same instant");
    let ordered = w.kubelet.probes().count(Probe::KillSidecarOrdering);
    assert_eq!(ordered, ordered_kills, "no kill of the whole pod since it ran");
    // A pod without sidecars deleted: killed whole, with nothing to order.
    let mut plain = World::new();
    plain.create_pod(Pod::new("job", "uid-job", NODE));
    plain.update_pod("uid-job", |p| p.spec_mut().containers.push(Container::new("app", "app:1")));
    plain.run_for(30_000);
    plain.delete_pod("uid-job");
    plain.run_for(30_000);
    assert!(plain.api.released.contains("uid-job"));
    assert_eq!(plain.kubelet.probes().count(Probe::KillSidecarOrdering), 0);
}

/// Mutant `model/src/kubelet/kill.rs:210:53: replace > with >= in Kubelet::stop_containers`:
/// `killContainer` runs the preStop hook only "if there is enough time to run it" (`gracePeriod >
/// 0`). A container whose postStart hook failed is killed with the pod's grace period
/// (`setTerminationGracePeriod`), here `terminationGracePeriodSeconds: 0`: its preStop exec hook is
/// not run (no `ExecSync` of it), and it is stopped with the minimum grace period of 2 s.
#[test]
fn a_container_killed_with_no_grace_period_does_not_run_its_pre_stop_hook() {
    use podsim_model::pod::LifecycleHandler;
    let mut w = World::new();
    let mut p = Pod::new("web", "uid-web", NODE);
    p.spec_mut().termination_grace_period_seconds = 0;
    let mut c = Container::new("app", "app:1");
    c.lifecycle.post_start = Some(LifecycleHandler::TcpSocket { port: "8080".into() });
    c.lifecycle.pre_stop = Some(LifecycleHandler::Exec { command: vec!["drain".into()] });
    p.spec_mut().containers.push(c);
    w.create_pod(p);
    w.run_for(5_000);
    let first = w.instances("uid-web", "app").last().map(|c| c.id.to_string()).expect("it started");
    let stop = format!("StopContainer {first} 2s");
    assert!(w.rt.calls.contains(&stop), "killed after its postStart hook failed: {:?}", w.rt.calls);
    assert_eq!(w.rt.execs, vec![], "its preStop hook did not run");
    assert_eq!(w.kubelet.probes().count(Probe::KillPreStopExec), 0);
}

/// The id of the newest instance of `uid`'s container `name`.
fn id_of(w: &World, uid: &str, name: &str) -> String {
    w.instances(uid, name).first().map(|c| c.id.to_string()).expect("the container ran")
}

/// The grace period of the first `StopContainer` of the container instance `id` ("" if none).
fn stop_grace(w: &World, id: &str) -> String {
    let prefix = format!("StopContainer {id} ");
    w.rt.calls.iter().find_map(|c| c.strip_prefix(prefix.as_str())).unwrap_or_default().to_string()
}

/// When the container instance `id` finished, as the runtime recorded it.
fn finished(w: &World, id: &str) -> Option<Millis> {
    w.rt.containers.iter().find(|(_, c, _)| c.id == id).and_then(|(_, c, _)| c.finished_at)
}

/// A container instance's id, and when it finished (if it did).
type Stopped = (String, Option<Millis>);

/// A running pod `uid-web` with the regular container `app` (with this preStop hook) and the
/// sidecar `proxy`, deleted at 30 s and followed millisecond by millisecond for 10 s: the world
/// then, and when `app` and `proxy` finished (before their removal).
fn delete_pod_with_sidecar(
    app_pre_stop: Option<podsim_model::pod::LifecycleHandler>,
) -> (World, Stopped, Stopped) {
    let mut w = World::new();
    let mut p = Pod::new("web", "uid-web", NODE);
    p.spec_mut().init_containers.push(sidecar("proxy", "proxy:1"));
    let mut app = Container::new("app", "app:1");
    app.lifecycle.pre_stop = app_pre_stop;
    p.spec_mut().containers.push(app);
    w.create_pod(p);
    w.run_for(30_000);
    assert!(w.running("uid-web", "proxy") && w.running("uid-web", "app"));
    let (app, proxy) = (id_of(&w, "uid-web", "app"), id_of(&w, "uid-web", "proxy"));
    let (mut app_at, mut proxy_at) = (None, None);
    w.delete_pod("uid-web");
    for _ in 0..10_000 {
        w.run_for(1);
        app_at = app_at.or_else(|| finished(&w, &app));
        proxy_at = proxy_at.or_else(|| finished(&w, &proxy));
    }
    (w, (app, app_at), (proxy, proxy_at))
}

/// Mutants `model/src/kubelet/kill.rs:325:39: replace > with >= in Kubelet::progress_kills`,
/// `model/src/kubelet/kill.rs:325:28: replace |= with &= in Kubelet::progress_kills` and
/// `model/src/kubelet/kill.rs:326:29: replace -= with /= in Kubelet::progress_kills`:
/// `killContainer` with a termination ordering takes the whole seconds a sidecar waited for its
/// turn (`waitForTurn`, truncated) off its grace period. The app's preStop sleep of 5 s holds its
/// stop back 5 s (grace 30 - 5 = 25 s); the sidecar waits for the app's stop, 5 s, and is stopped
/// with 25 s too; the coverage report counts `kill.turn_waited`. Without a hook the app stops at
/// once, the sidecar's turn comes within a second (0 whole seconds): stopped with the full 30 s,
/// and no wait is counted.
#[test]
fn a_sidecar_that_waited_for_its_turn_loses_the_whole_seconds_it_waited() {
    use podsim_model::pod::LifecycleHandler;
    let (w, (app, app_at), (proxy, proxy_at)) =
        delete_pod_with_sidecar(Some(LifecycleHandler::Sleep { seconds: 5 }));
    let app_at = app_at.expect("the app stopped");
    assert!((35_000..35_100).contains(&app_at), "the app stops after its 5 s hook, at {app_at}");
    assert_eq!(stop_grace(&w, &app), "25s", "30 s less the hook's 5 s");
    assert!(proxy_at > Some(app_at), "the sidecar stops after the app");
    assert_eq!(stop_grace(&w, &proxy), "25s", "the sidecar waited 5 whole seconds");
    assert_eq!(w.kubelet.probes().count(Probe::KillTurnWaited), 1);

    let (w, (app, app_at), (proxy, proxy_at)) = delete_pod_with_sidecar(None);
    let app_at = app_at.expect("the app stopped");
    assert!((30_000..30_100).contains(&app_at), "the app stops at once, at {app_at}");
    assert_eq!(stop_grace(&w, &app), "30s");
    assert!(proxy_at > Some(app_at), "the sidecar stops after the app");
    assert_eq!(stop_grace(&w, &proxy), "30s", "the sidecar's turn came within the second");
    assert_eq!(w.kubelet.probes().count(Probe::KillTurnWaited), 0, "no whole second was waited");
    assert!(w.api.released.contains("uid-web"));
}

/// Mutants `model/src/kubelet/kill.rs:328:36: replace < with <= in Kubelet::progress_kills`,
/// `model/src/kubelet/kill.rs:328:36: replace < with == in Kubelet::progress_kills` and
/// `model/src/kubelet/kill.rs:328:25: replace |= with &= in Kubelet::progress_kills`: `killContainer`
/// raises a grace period below `minimumGracePeriodInSeconds` (2 s) to it ("always give containers a
/// minimal shutdown window"); the coverage report counts `kill.minimum_grace` only for a grace period
/// that was below it. A pod deleted with a grace period of 1 s is stopped with 2 s (floored); one
/// deleted with 2 s is stopped with 2 s as it is.
#[test]
fn only_a_grace_period_below_two_seconds_is_raised_to_the_minimum() {
    let floored = |grace: i64| {
        let mut w = World::new();
        let mut p = Pod::new("web", "uid-web", NODE);
        p.spec_mut().termination_grace_period_seconds = grace;
        p.spec_mut().containers.push(Container::new("app", "app:1"));
        w.create_pod(p);
        w.run_for(30_000);
        let app = id_of(&w, "uid-web", "app");
        w.delete_pod("uid-web");
        w.run_for(30_000);
        assert!(w.api.released.contains("uid-web"));
        (stop_grace(&w, &app), w.kubelet.probes().count(Probe::KillMinimumGrace))
    };
    assert_eq!(floored(1), ("2s".to_string(), 1), "1 s is raised to 2 s");
    assert_eq!(floored(2), ("2s".to_string(), 0), "2 s is the minimum itself");
    assert_eq!(floored(3), ("3s".to_string(), 0));
}

/// Mutant `model/src/kubelet/kill.rs:410:57: replace && with || in Kubelet::on_stopped`: only the
/// kill of a terminating pod the API server knows is reported as a `FailedKillPod` event (kubelet.go
/// `SyncTerminatingPod`: "error killing pod: ..."); a container `SyncPod` fails to kill (its image
/// changed, step 3) fails the sync, retried, without that event.
#[test]
fn a_failed_kill_of_a_changed_container_is_no_failed_kill_pod_event() {
    let mut w = World::new();
    let mut p = Pod::new("web", "uid-web", NODE);
    p.spec_mut().containers.push(Container::new("app", "app:1"));
    w.create_pod(p);
    w.run_for(30_000);
    let old = id_of(&w, "uid-web", "app");
    w.rt.failing_methods.insert("StopContainer".into());
    w.update_pod("uid-web", |p| p.spec_mut().containers[0].set_image("app:2"));
    w.run_for(30_000);
    assert_eq!(stop_grace(&w, &old), "30s", "the kill was tried");
    assert!(w.running("uid-web", "app"), "and failed");
    let reasons: Vec<String> = w.recorded_of("uid-web").into_iter().map(|e| e.3).collect();
    assert!(reasons.contains(&"Killing".to_string()), "{reasons:?}");
    assert!(!reasons.contains(&"FailedKillPod".to_string()), "{reasons:?}");
    // Once the kills succeed, the new image runs.
    w.rt.failing_methods.clear();
    w.run_for(60_000);
    assert_eq!(w.instances("uid-web", "app")[0].image.as_str(), "app:2");
    assert!(w.running("uid-web", "app"));
}

/// Mutants `model/src/kubelet/hooks.rs:54:72: replace + with - in post_start_run`,
/// `model/src/kubelet/hooks.rs:54:72: replace + with * in post_start_run`,
/// `model/src/kubelet/hooks.rs:54:102: replace * with + in post_start_run` and
/// `model/src/kubelet/hooks.rs:54:102: replace * with / in post_start_run`: a postStart sleep hook
/// runs for its seconds (`runSleepHandler`), and `startContainer` waits for it before the sync
/// starts the next container. The first container's 5 s hook holds the second one back 5 s.
#[test]
fn a_post_start_sleep_holds_the_next_container_back_for_its_seconds() {
    use podsim_model::pod::LifecycleHandler;
    let mut w = World::new();
    let mut p = Pod::new("web", "uid-web", NODE);
    let mut first = Container::new("first", "first:1");
    first.lifecycle.post_start = Some(LifecycleHandler::Sleep { seconds: 5 });
    p.spec_mut().containers = vec![first, Container::new("second", "second:1")];
    w.create_pod(p);
    w.run_for(30_000);
    let first = w.start_times("uid-web", "first");
    let second = w.start_times("uid-web", "second");
    assert_eq!((first.len(), second.len()), (1, 1), "each started once");
    let held = second[0] - first[0];
    assert!((5_000..5_100).contains(&held), "the second started {held} ms after the first");
    assert!(w.running("uid-web", "first") && w.running("uid-web", "second"));
}

/// What `KubeletConfig::validate` says about the default settings changed by `change`.
fn validate_with(change: impl FnOnce(&mut podsim_model::KubeletConfig)) -> Result<(), String> {
    let mut config = podsim_model::KubeletConfig::new(NODE);
    change(&mut config);
    config.validate()
}

/// Mutants `model/src/kubelet/config.rs:177:16: delete ! in KubeletConfig::validate` and
/// `model/src/kubelet/config.rs:182:16: delete ! in KubeletConfig::validate`: the kubelet's
/// validation (pkg/kubelet/apis/config/validation/validation.go `ValidateKubeletConfiguration`) of
/// `crashLoopBackOff.maxContainerRestartPeriod`: it must not be set without the
/// `KubeletCrashLoopBackOffMax` gate, and with it lies within 1 s to 300 s (both ends allowed).
#[test]
fn the_maximum_restart_period_needs_its_gate_and_lies_within_one_to_three_hundred_seconds() {
    let with_max = |max: Millis, gate: bool| {
        validate_with(|c| {
            c.crash_loop_back_off.max = Some(max);
            c.feature_gates.kubelet_crash_loop_back_off_max = gate;
        })
    };
    for max in [1_000, 30_000, 300_000] {
        assert_eq!(with_max(max, true), Ok(()), "{max} ms");
    }
    for (max, seconds) in [(999, "0.999"), (300_001, "300.001"), (0, "0")] {
        let e = with_max(max, true).unwrap_err();
        let want =
            format!("MaxContainerRestartPeriod (got: {seconds} seconds) must be set between 1s and 300s");
        assert!(e.contains(&want), "{max} ms: {e}");
    }
    let e = with_max(30_000, false).unwrap_err();
    assert!(e.contains("FeatureGate KubeletCrashLoopBackOffMax not enabled"), "{e}");
    assert_eq!(validate_with(|c| c.feature_gates.kubelet_crash_loop_back_off_max = false), Ok(()));
}

/// Mutants `model/src/kubelet/config.rs:200:45: replace > with >= in KubeletConfig::validate`,
/// `model/src/kubelet/config.rs:200:45: replace > with == in KubeletConfig::validate` and
/// `model/src/kubelet/config.rs:197:67: replace == with != in KubeletConfig::validate`: an image pull
/// backoff may start at its maximum (a constant delay), not above it; every period must be more than
/// 0 (podsim's own settings: the kubelet has none for the initial delays, see config.rs).
#[test]
fn the_image_pull_backoff_may_start_at_its_maximum_but_not_above_it() {
    let bounds = |initial: Millis, max: Millis| {
        validate_with(|c| c.image_pull_back_off = podsim_model::kubelet::BackoffBounds { initial, max })
    };
    assert_eq!(bounds(10_000, 300_000), Ok(()));
    assert_eq!(bounds(20_000, 20_000), Ok(()), "a constant delay");
    assert_eq!(bounds(20_001, 20_000), Err("imagePullBackOff: initial must not be more than max".into()));
    assert_eq!(validate_with(|c| c.sync_frequency = 0), Err("syncFrequency: must be more than 0".into()));
    assert_eq!(validate_with(|c| c.relist_period = 0), Err("relistPeriod: must be more than 0".into()));
}

/// Mutant `model/src/kubelet/bugs.rs:144:28: replace | with ^ in KubeletBugs::with`: the bugs a
/// kubelet carries are a set: a bug named twice in `kubelet.bugs` is on (adding it again does not
/// take it away).
#[test]
fn a_kubelet_bug_named_twice_is_on() {
    use podsim_model::kubelet::{KubeletBug, KubeletBugs};
    let twice: KubeletBugs =
        serde_json::from_str(r#"["release-before-cleanup", "release-before-cleanup"]"#).unwrap();
    assert!(twice.has(KubeletBug::ReleaseBeforeCleanup));
    assert_eq!(twice.iter().collect::<Vec<_>>(), [KubeletBug::ReleaseBeforeCleanup]);
    let set = KubeletBugs::NONE.with(KubeletBug::TerminalPhaseRegression);
    assert_eq!(set.with(KubeletBug::TerminalPhaseRegression), set);
}

// ---- record_plan_probes: which branch of computePodActions a plan took ---------------------------

/// A runtime instance of `c` (its spec hash, so not a changed definition) in the sandbox `s1`.
fn instance_of(
    c: &Container,
    state: podsim_model::ContainerState,
    exit_code: i32,
) -> podsim_model::ContainerStatus {
    podsim_model::ContainerStatus {
        id: format!("c-{}", c.name()).into(),
        name: c.name().into(),
        state,
        exit_code,
        reason: podsim_model::SharedStr::EMPTY,
        hash: c.hash(),
        restart_count: 0,
        sandbox_id: "s1".into(),
        image: c.image().into(),
        created_at: 0,
        started_at: None,
        finished_at: None,
        resources: None,
    }
}

/// The sandbox `s1`, ready or not, of attempt 0.
fn sandbox_s1(ready: bool) -> podsim_model::SandboxStatus {
    let state = if ready { podsim_model::SandboxState::Ready } else { podsim_model::SandboxState::NotReady };
    podsim_model::SandboxStatus {
        id: "s1".into(),
        state,
        attempt: 0,
        ip: "10.0.0.1".into(),
        host_network: false,
        created_at: 0,
    }
}

/// The names of the probes `record_plan_probes` counts for the plan `computePodActions` makes.
fn plan_probe_names(
    pod: &Pod,
    runtime: &podsim_model::RuntimePodStatus,
    options: &podsim_model::actions::PlanOptions,
) -> Vec<&'static str> {
    use podsim_model::actions::{compute_pod_actions_opts, record_plan_probes};
    let actions = compute_pod_actions_opts(pod, runtime, &podsim_model::ProbeResults::none(), options);
    let mut probes = podsim_model::coverage::Probes::new();
    record_plan_probes(pod, runtime, options, &actions, &mut probes);
    probes.iter().filter(|(_, n)| *n > 0).map(|(p, _)| p.name()).collect()
}

/// Mutants of `record_plan_probes`' sandbox branch (`createPodSandbox`), among them
/// `model/src/actions/coverage.rs:70:12: delete ! in record_sandbox_change`,
/// `model/src/actions/coverage.rs:76:21: delete ! in record_sandbox_change`,
/// `model/src/actions/coverage.rs:76:72: replace != with == in record_sandbox_change`,
/// `model/src/actions/coverage.rs:76:77: replace && with || in record_sandbox_change` and
/// `model/src/actions/coverage.rs:76:80: delete ! in record_sandbox_change`: the coverage report
/// names the branch `computePodActions` took for a pod whose sandbox is missing or dead: the first
/// sandbox (not a re-creation); a new one after a pause death; none under restartPolicy Never once
/// containers ran; none for a pod with nothing left to run (OnFailure, its container succeeded:
/// the fix of kubernetes#92614).
#[test]
fn the_coverage_report_names_the_sandbox_branch_of_each_plan() {
    use podsim_model::actions::PlanOptions;
    use podsim_model::{ContainerState, RuntimePodStatus};
    let app = Container::new("app", "app:1");
    let pod_with = |policy| {
        let mut p = Pod::new("web", "uid-web", NODE);
        p.spec_mut().restart_policy = policy;
        p.spec_mut().containers.push(app.clone());
        p
    };
    let options = PlanOptions::default();
    let dead_sandbox_after = |exit_code| RuntimePodStatus {
        sandboxes: vec![sandbox_s1(false)],
        containers: vec![instance_of(&app, ContainerState::Exited, exit_code)],
    };
    let cases: [(&str, RestartPolicy, RuntimePodStatus, &[&str]); 4] = [
        ("no sandbox", RestartPolicy::Always, RuntimePodStatus::default(), &["plan.sandbox.first"]),
        (
            "pause died, Always",
            RestartPolicy::Always,
            dead_sandbox_after(1),
            &["plan.sandbox.not_ready", "plan.sandbox.recreated"],
        ),
        (
            "pause died, Never, the container ran",
            RestartPolicy::Never,
            dead_sandbox_after(0),
            &["plan.sandbox.not_ready", "plan.sandbox.not_recreated_never"],
        ),
        (
            "pause died, OnFailure, the container succeeded",
            RestartPolicy::OnFailure,
            dead_sandbox_after(0),
            &["plan.sandbox.not_ready", "plan.sandbox.not_recreated_done"],
        ),
    ];
    for (name, policy, runtime, want) in cases {
        assert_eq!(plan_probe_names(&pod_with(policy), &runtime, &options), want, "{name}");
    }
}

/// Mutants of `init_start_probe`: `model/src/actions/coverage.rs:98:5: replace init_start_probe ->
/// Option<Probe> with None`, `model/src/actions/coverage.rs:102:35: replace match guard
/// container.is_restartable_init_container() with true in init_start_probe`, `... with false ...`,
/// `model/src/actions/coverage.rs:105:35: replace match guard is_init_container_failed(st) with
/// false in init_start_probe`: the coverage report names why `computeInitContainerActions` starts an
/// init container: the first start, a failed plain init container's retry, an exited sidecar's
/// restart, a container left `created` by a failed start.
#[test]
fn the_coverage_report_names_why_each_init_container_starts() {
    use podsim_model::actions::PlanOptions;
    use podsim_model::{ContainerState, RuntimePodStatus};
    let setup = Container::new("setup", "setup:1");
    let proxy = sidecar("proxy", "proxy:1");
    let mut pod = Pod::new("web", "uid-web", NODE);
    pod.spec_mut().init_containers = vec![setup.clone(), proxy.clone()];
    pod.spec_mut().containers.push(Container::new("app", "app:1"));
    let runtime = |containers| RuntimePodStatus { sandboxes: vec![sandbox_s1(true)], containers };
    let cases: [(&str, RuntimePodStatus, &[&str]); 4] = [
        ("nothing ran", runtime(vec![]), &["plan.init.start"]),
        (
            "setup failed",
            runtime(vec![instance_of(&setup, ContainerState::Exited, 1)]),
            &["plan.init.retry_failed"],
        ),
        (
            "setup completed, the sidecar exited",
            runtime(vec![
                instance_of(&setup, ContainerState::Exited, 0),
                instance_of(&proxy, ContainerState::Exited, 1),
            ]),
            &["plan.init.sidecar_restart"],
        ),
        (
            "setup was created, not started",
            runtime(vec![instance_of(&setup, ContainerState::Created, 0)]),
            &["plan.restart.created"],
        ),
    ];
    for (name, runtime, want) in cases {
        assert_eq!(plan_probe_names(&pod, &runtime, &PlanOptions::default()), want, "{name}");
    }
}

/// Mutants of the regular containers' probes: `model/src/actions/coverage.rs:120:5: replace
/// record_regular_containers with ()`, `model/src/actions/coverage.rs:126:50: replace == with != in
/// record_regular_containers`, `model/src/actions/coverage.rs:127:13: replace && with || in
/// record_regular_containers`, `model/src/actions/coverage.rs:127:16: delete ! in
/// record_regular_containers`, `model/src/actions/coverage.rs:140:5: replace start_probe ->
/// Option<Probe> with None`, `model/src/actions/coverage.rs:151:8: delete ! in restart_probe`,
/// `model/src/actions/coverage.rs:151:47: replace || with && in restart_probe` and
/// `model/src/actions/coverage.rs:155:38: replace == with != in restart_probe`: the coverage report
/// names why a regular container starts (`ShouldContainerBeRestarted`, and with ContainerRestartRules
/// `podutil.ContainerShouldRestart`: a matching Restart rule, else the container's own policy, else
/// the pod's) or stays exited (a pod with nothing left to run is killed, `plan.kill_pod.done`); a
/// running container kept counts nothing.
#[test]
fn the_coverage_report_names_why_each_regular_container_starts_or_stays_exited() {
    use podsim_model::actions::PlanOptions;
    use podsim_model::pod::{ContainerRestartRule, ExitCodes, ExitCodesOperator, RestartRuleAction};
    use podsim_model::{ContainerState, RuntimePodStatus};
    let mut ruled = Container::new("ruled", "ruled:1");
    ruled.restart_policy = Some(RestartPolicy::Never);
    ruled.restart_policy_rules.push(ContainerRestartRule {
        action: RestartRuleAction::Restart,
        exit_codes: ExitCodes { operator: ExitCodesOperator::In, values: vec![42] },
    });
    let mut always = Container::new("always", "always:1");
    always.restart_policy = Some(RestartPolicy::Always);
    let plain = Container::new("plain", "plain:1");
    let pod_of = |policy, c: &Container| {
        let mut p = Pod::new("web", "uid-web", NODE);
        p.spec_mut().restart_policy = policy;
        p.spec_mut().containers.push(c.clone());
        p
    };
    let runtime = |containers| RuntimePodStatus { sandboxes: vec![sandbox_s1(true)], containers };
    let options = PlanOptions::default();
    assert!(options.gates.container_restart_rules, "ContainerRestartRules is on by default");
    let exited = |c: &Container, code| runtime(vec![instance_of(c, ContainerState::Exited, code)]);
    let cases: [(&str, Pod, RuntimePodStatus, &[&str]); 8] = [
        ("never ran", pod_of(RestartPolicy::Always, &plain), runtime(vec![]), &["plan.start.first"]),
        (
            "created, not started",
            pod_of(RestartPolicy::Always, &plain),
            runtime(vec![instance_of(&plain, ContainerState::Created, 0)]),
            &["plan.restart.created"],
        ),
        (
            "running",
            pod_of(RestartPolicy::Never, &plain),
            runtime(vec![instance_of(&plain, ContainerState::Running, 0)]),
            &[],
        ),
        (
            "exited 1 under Always",
            pod_of(RestartPolicy::Always, &plain),
            exited(&plain, 1),
            &["plan.restart.pod_policy"],
        ),
        (
            "exited 0 under OnFailure",
            pod_of(RestartPolicy::OnFailure, &plain),
            exited(&plain, 0),
            &["plan.kill_pod.done", "plan.restart.not_restarted"],
        ),
        (
            "a Restart rule matches",
            pod_of(RestartPolicy::Never, &ruled),
            exited(&ruled, 42),
            &["plan.restart.rule"],
        ),
        (
            "no rule matches, its policy Never",
            pod_of(RestartPolicy::Always, &ruled),
            exited(&ruled, 1),
            &["plan.kill_pod.done", "plan.restart.not_restarted"],
        ),
        (
            "its own policy Always",
            pod_of(RestartPolicy::Never, &always),
            exited(&always, 0),
            &["plan.restart.container_policy"],
        ),
    ];
    for (name, pod, runtime, want) in cases {
        assert_eq!(plan_probe_names(&pod, &runtime, &options), want, "{name}");
    }
    // Without the gate, the container's own policy and rules are not read.
    let off = PlanOptions {
        gates: podsim_model::FeatureGates { container_restart_rules: false, ..Default::default() },
        ..PlanOptions::default()
    };
    let pod = pod_of(RestartPolicy::Always, &ruled);
    assert_eq!(plan_probe_names(&pod, &exited(&ruled, 42), &off), ["plan.restart.pod_policy"]);
}

// ---- garbage collection (gc.rs) -------------------------------------------------------------------

/// Mutants `model/src/kubelet/gc.rs:23:5: replace collect_garbage -> Vec<Step> with vec![]`,
/// `model/src/kubelet/gc.rs:25:8: delete ! in collect_garbage`,
/// `model/src/kubelet/gc.rs:41:5: replace evictable_containers -> Vec<SharedStr> with vec![]`,
/// `model/src/kubelet/gc.rs:45:29: replace == with != in evictable_containers`,
/// `model/src/kubelet/gc.rs:45:55: replace && with || in evictable_containers` and
/// `model/src/kubelet/gc.rs:45:58: delete ! in evictable_containers`: the container GC
/// (kuberuntime_gc.go `evictContainers`, podsim's `MaxPerPodContainer` = 1) keeps, beside the
/// running instance, only the NEWEST exited instance of a container (the one whose exit the
/// status's lastState shows), and removes the older ones; a pod that never had a dead container
/// collects nothing.
#[test]
fn the_container_gc_keeps_only_the_newest_dead_instance() {
    let mut w = World::new();
    let mut p = Pod::new("web", "uid-web", NODE);
    let mut crasher = Container::new("crasher", "crasher:1");
    crasher.command = vec!["exit".into(), "1".into(), "2000".into()];
    p.spec_mut().containers = vec![crasher, Container::new("steady", "steady:1")];
    w.create_pod(p);
    w.run_for(5_000);
    assert_eq!(w.kubelet.probes().count(Probe::GcDeadContainers), 0, "nothing dead yet");
    w.run_for(120_000);
    let instances = w.instances("uid-web", "crasher");
    assert!(w.start_times("uid-web", "crasher").len() >= 4, "it crashed and restarted several times");
    let exited: Vec<_> =
        instances.iter().filter(|c| c.state == podsim_model::ContainerState::Exited).collect();
    assert!(instances.len() <= 2 && exited.len() == 1, "one dead instance is kept: {instances:?}");
    let newest = instances.iter().map(|c| c.restart_count).max().unwrap();
    let dead = exited[0].restart_count;
    let running = instances.iter().any(|c| c.state == podsim_model::ContainerState::Running);
    assert_eq!(dead, if running { newest - 1 } else { newest }, "the newest dead instance is the one kept");
    assert_eq!(w.instances("uid-web", "steady").len(), 1, "the running container is not touched");
    assert!(w.kubelet.probes().count(Probe::GcDeadContainers) >= 1);
}

/// The pause process of `uid`'s only sandbox dies: the sandbox is not ready, its containers exit.
fn kill_pause(w: &mut World, uid: &str) {
    let now = w.now;
    let sandbox = w.sandboxes_of(uid)[0].id.clone();
    for (_, s) in w.rt.sandboxes.iter_mut().filter(|(p, _)| p.uid == uid) {
        s.state = podsim_model::SandboxState::NotReady;
    }
    for (_, c, _) in w.rt.containers.iter_mut().filter(|(_, c, _)| c.sandbox_id == sandbox) {
        if c.state == podsim_model::ContainerState::Running {
            c.state = podsim_model::ContainerState::Exited;
            c.exit_code = 137;
            c.finished_at = Some(now);
        }
    }
}

/// Mutants `model/src/kubelet/gc.rs:69:5: replace purge_init_containers -> Option<Step> with None`
/// and `model/src/kubelet/gc.rs:72:70: replace == with != in purge_init_containers`: when the
/// sandbox is made again, `SyncPod` purges every instance of the init containers
/// (`purgeInitContainers`: "a new sandbox starts initialisation over") before the new sandbox's
/// init container is created; the regular container's dead instance stays (its restart count and
/// last state live on).
#[test]
fn a_new_sandbox_purges_the_old_init_container_instances_only() {
    let mut w = World::new();
    let mut p = Pod::new("web", "uid-web", NODE);
    let mut setup = Container::new("setup", "setup:1");
    setup.command = vec!["exit".into(), "0".into()];
    p.spec_mut().init_containers.push(setup);
    p.spec_mut().containers.push(Container::new("app", "app:1"));
    w.create_pod(p);
    w.run_for(10_000);
    assert!(w.running("uid-web", "app"));
    let (old_setup, old_app) = (id_of(&w, "uid-web", "setup"), id_of(&w, "uid-web", "app"));
    kill_pause(&mut w, "uid-web");
    w.run_for(10_000);
    assert!(w.running("uid-web", "app"), "the pod runs again in a new sandbox");
    let calls = &w.rt.calls;
    let removed = calls.iter().position(|c| *c == format!("RemoveContainer {old_setup}"));
    let created = calls.iter().rposition(|c| c == "CreateContainer web/setup");
    assert!(removed.is_some() && removed < created, "the old init instance goes first: {calls:?}");
    assert!(!calls.contains(&format!("RemoveContainer {old_app}")), "{calls:?}");
    assert_eq!(w.instances("uid-web", "app").len(), 2, "the old app instance is kept beside the new");
    assert_eq!(w.kubelet.probes().count(Probe::GcInitPurged), 1);
}

/// Mutant `model/src/kubelet/gc.rs:107:9: replace Kubelet::on_removed with ()`: a container that
/// cannot be removed fails the terminated pod's sync (it is retried), so the pod's API object is
/// released only once nothing of it is left (`SyncTerminatedPod`; status_manager.go
/// `canBeDeleted`).
#[test]
fn a_deleted_pod_whose_container_cannot_be_removed_is_not_released() {
    let mut w = World::new();
    let mut p = Pod::new("web", "uid-web", NODE);
    p.spec_mut().containers.push(Container::new("app", "app:1"));
    w.create_pod(p);
    w.run_for(10_000);
    w.rt.failing_methods.insert("RemoveContainer".into());
    w.delete_pod("uid-web");
    w.run_for(60_000);
    assert!(!w.api.released.contains("uid-web"), "not released while its container is left");
    assert!(w.kubelet.probes().count(Probe::SyncFailRemove) > 0);
    w.rt.failing_methods.clear();
    w.run_for(60_000);
    assert!(w.api.released.contains("uid-web"));
    assert_eq!(w.anything_left_of("uid-web"), Vec::<String>::new());
}

/// Mutant `model/src/kubelet/kill.rs:367:9: replace Kubelet::stop_sandboxes with ()`:
/// `killPodWithSyncResult` stops the pod's sandboxes after its containers: a pod that finished
/// (restartPolicy Never, its container exited 0) and stays on the API server keeps its sandbox,
/// stopped (its network torn down), until the pod is deleted.
#[test]
fn a_finished_pod_keeps_its_sandbox_stopped() {
    let mut w = World::new();
    let mut p = Pod::new("job", "uid-job", NODE);
    p.spec_mut().restart_policy = RestartPolicy::Never;
    let mut c = Container::new("app", "app:1");
    c.command = vec!["exit".into(), "0".into()];
    p.spec_mut().containers.push(c);
    w.create_pod(p);
    w.run_for(30_000);
    assert_eq!(w.api.statuses["uid-job"].phase, podsim_model::PodPhase::Succeeded);
    let sandboxes = w.sandboxes_of("uid-job");
    assert_eq!(sandboxes.len(), 1, "the sandbox is kept");
    assert_eq!(sandboxes[0].state, podsim_model::SandboxState::NotReady, "and stopped");
    let stop = format!("StopPodSandbox {}", sandboxes[0].id);
    assert!(w.rt.calls.contains(&stop), "{:?}", w.rt.calls);
}
