//! The `Kubelet` state machine against an obedient world (tests/common): each test states one
//! behaviour of the kubelet's pod management and checks it on the runtime, the node and the API.

use crate::common;

use common::{World, NODE};
use podsim_model::io::Timer;
use podsim_model::kubelet::FailedSyncRequeue;
use podsim_model::pod::{EnvSource, EnvVar, Volume, VolumeMount, VolumeSource};
use podsim_model::{
    Container, ContainerState, ContainerStateReport, KubeletConfig, Pod, PodPhase, RestartPolicy,
};

fn pod(name: &str, containers: &[(&str, &str)]) -> Pod {
    let mut p = Pod::new(name, format!("uid-{name}"), NODE);
    for (n, image) in containers {
        p.spec_mut().containers.push(Container::new(*n, *image));
    }
    p
}

fn exiting(name: &str, image: &str, code: i32) -> Container {
    let mut c = Container::new(name, image);
    c.command = vec!["exit".into(), code.to_string()];
    c
}

fn waiting_reason(w: &World, uid: &str, name: &str) -> Option<String> {
    match &w.api.statuses.get(uid)?.container(name)?.state {
        ContainerStateReport::Waiting { reason, .. } => Some(reason.to_string()),
        _ => None,
    }
}

#[test]
fn a_new_pod_gets_its_sandbox_before_its_containers_and_runs() {
    let mut w = World::new();
    let mut p = pod("web", &[("app", "web:1"), ("sidecar", "log:1")]);
    p.spec_mut().volumes.push(Volume { name: "cache".into(), source: VolumeSource::EmptyDir });
    w.create_pod(p);
    w.run_for(5_000);
    assert!(w.running("uid-web", "app") && w.running("uid-web", "sidecar"), "both containers run");
    let calls: Vec<&String> = w.rt.calls.iter().filter(|c| !c.starts_with("List")).collect();
    let sandbox = calls.iter().position(|c| c.starts_with("RunPodSandbox")).expect("a sandbox was made");
    let first_create =
        calls.iter().position(|c| c.starts_with("CreateContainer")).expect("containers were made");
    assert!(sandbox < first_create, "the sandbox is created before any container: {calls:?}");
    assert!(w.node.data_dirs.contains("uid-web"), "the data directory exists");
    assert!(w.node.mounts.contains(&("uid-web".into(), "cache".into())), "the volume is mounted");
    let status = &w.api.statuses["uid-web"];
    assert_eq!(status.phase, PodPhase::Running, "the API server hears the pod runs: {status:?}");
}

#[test]
fn an_image_change_restarts_only_that_container() {
    let mut w = World::new();
    w.create_pod(pod("web", &[("app", "web:1"), ("metrics", "m:1")]));
    w.run_for(5_000);
    let metrics_before = w.instances("uid-web", "metrics")[0].id.clone();
    let app_before = w.instances("uid-web", "app")[0].id.clone();
    w.update_pod("uid-web", |p| p.spec_mut().containers[0].set_image("web:2"));
    w.run_for(5_000);
    let app = w.instances("uid-web", "app");
    assert_ne!(app[0].id, app_before, "app was replaced");
    assert_eq!(app[0].image, "web:2");
    assert_eq!(app[0].restart_count, 1, "the new instance counts as a restart");
    assert_eq!(w.instances("uid-web", "metrics")[0].id, metrics_before, "metrics was left alone");
    assert_eq!(w.sandboxes_of("uid-web").len(), 1, "the sandbox was kept");
}

#[test]
fn a_change_outside_the_hash_restarts_nothing() {
    let mut w = World::new();
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.run_for(5_000);
    let before = w.instances("uid-web", "app")[0].id.clone();
    w.update_pod("uid-web", |p| p.spec_mut().containers[0].args = vec!["--verbose".into()]);
    w.run_for(5_000);
    assert_eq!(w.instances("uid-web", "app").len(), 1, "no new instance");
    assert_eq!(w.instances("uid-web", "app")[0].id, before);
}

#[test]
fn a_deleted_pod_stops_containers_before_the_sandbox_and_leaves_nothing() {
    let mut w = World::new();
    let mut p = pod("web", &[("app", "web:1")]);
    p.spec_mut().volumes.push(Volume { name: "cache".into(), source: VolumeSource::EmptyDir });
    w.create_pod(p);
    w.run_for(5_000);
    w.delete_pod("uid-web");
    w.run_for(5_000);
    assert_eq!(w.anything_left_of("uid-web"), Vec::<String>::new(), "nothing of the pod is left");
    assert!(w.api.released.contains("uid-web"), "the kubelet released the API object");
    let stop_container = w.rt.calls.iter().position(|c| c.starts_with("StopContainer")).expect("stopped");
    let stop_sandbox = w.rt.calls.iter().position(|c| c.starts_with("StopPodSandbox")).expect("stopped");
    assert!(stop_container < stop_sandbox, "containers stop before the sandbox");
    assert!(
        w.rt.calls[stop_container].ends_with(" 30s"),
        "with the grace period: {}",
        w.rt.calls[stop_container]
    );
}

#[test]
fn crash_loop_backoff_doubles_from_ten_seconds() {
    let mut w = World::new();
    let mut p = Pod::new("crash", "uid-crash", NODE);
    p.spec_mut().containers.push(exiting("app", "app:1", 1));
    w.create_pod(p);
    w.run_for(230_000);
    let starts = w.start_times("uid-crash", "app");
    let gaps: Vec<u64> = starts.windows(2).map(|p| (p[1] - p[0]) / 1000).collect();
    // The first restart is immediate (up to the 1 s relist); then 10 s, 20 s, 40 s, 80 s.
    assert!(gaps.len() >= 4, "it restarted several times: {starts:?}");
    assert!(gaps[0] <= 1, "the first restart is immediate: {gaps:?}");
    assert_eq!(&gaps[1..5], &[10, 20, 40, 80], "then the backoff doubles: {gaps:?}");
    // Backing off 160 s from 151 s, the sync at 152 s is retried after the sync frequency (the
    // backoff's end, capped), and that sync reports the CrashLoopBackOff.
    assert_eq!(waiting_reason(&w, "uid-crash", "app").as_deref(), Some("CrashLoopBackOff"));
}

#[test]
fn restart_policy_never_does_not_restart_and_the_pod_fails() {
    let mut w = World::new();
    let mut p = Pod::new("job", "uid-job", NODE);
    p.spec_mut().restart_policy = RestartPolicy::Never;
    p.spec_mut().containers.push(exiting("app", "app:1", 3));
    w.create_pod(p);
    w.run_for(60_000);
    assert_eq!(w.instances("uid-job", "app").len(), 1, "never restarted");
    assert_eq!(w.api.statuses["uid-job"].phase, PodPhase::Failed);
    assert!(
        w.sandboxes_of("uid-job").iter().all(|s| s.state != podsim_model::SandboxState::Ready),
        "the sandbox of a finished pod is stopped"
    );
}

#[test]
fn on_failure_restarts_after_a_failure_but_not_after_success() {
    let mut w = World::new();
    let mut p = Pod::new("job", "uid-job", NODE);
    p.spec_mut().restart_policy = RestartPolicy::OnFailure;
    p.spec_mut().containers.push(exiting("ok", "ok:1", 0));
    p.spec_mut().containers.push(exiting("bad", "bad:1", 1));
    w.create_pod(p);
    w.run_for(30_000);
    assert_eq!(w.instances("uid-job", "ok").len(), 1, "exit 0 is not restarted under OnFailure");
    assert!(w.start_times("uid-job", "bad").len() >= 2, "exit 1 is restarted under OnFailure");
    assert_eq!(w.start_times("uid-job", "ok").len(), 1);
    assert_eq!(w.instances("uid-job", "bad").len(), 1, "dead instances are collected, the newest is kept");
    assert!(w.instances("uid-job", "bad")[0].restart_count >= 1);
}

#[test]
fn init_containers_run_in_order_before_regular_containers() {
    let mut w = World::new();
    let mut p = Pod::new("init", "uid-init", NODE);
    p.spec_mut().init_containers.push(exiting("first", "i:1", 0));
    p.spec_mut().init_containers.push(exiting("second", "i:2", 0));
    p.spec_mut().containers.push(Container::new("app", "app:1"));
    w.create_pod(p);
    w.run_for(10_000);
    let creates: Vec<&String> = w.rt.calls.iter().filter(|c| c.starts_with("CreateContainer")).collect();
    assert_eq!(
        creates,
        vec!["CreateContainer init/first", "CreateContainer init/second", "CreateContainer init/app"]
    );
    let first = &w.instances("uid-init", "first")[0];
    let second = &w.instances("uid-init", "second")[0];
    assert!(second.started_at >= first.finished_at, "second starts after first finished");
    assert!(w.running("uid-init", "app"));
}

#[test]
fn a_missing_secret_blocks_its_container_until_it_exists() {
    let mut w = World::new();
    let mut p = pod("web", &[("app", "web:1"), ("other", "o:1")]);
    p.spec_mut().containers[0].env.push(EnvVar {
        name: "PASSWORD".into(),
        source: EnvSource::SecretKeyRef { name: "db".into(), key: "pw".into(), optional: false },
    });
    w.create_pod(p);
    w.run_for(15_000);
    assert!(w.instances("uid-web", "app").is_empty(), "no container without its Secret");
    assert!(w.running("uid-web", "other"), "the other container is not held back");
    assert_eq!(waiting_reason(&w, "uid-web", "app").as_deref(), Some("CreateContainerConfigError"));
    w.create_secret("db");
    w.run_for(15_000);
    assert!(w.running("uid-web", "app"), "it starts once the Secret exists");
}

#[test]
fn a_failing_mount_keeps_the_pod_creating_until_it_heals() {
    let mut w = World::new();
    let mut p = pod("web", &[("app", "web:1")]);
    p.spec_mut()
        .volumes
        .push(Volume { name: "data".into(), source: VolumeSource::HostPath { path: "/d".into() } });
    p.spec_mut().containers[0]
        .volume_mounts
        .push(VolumeMount { name: "data".into(), mount_path: "/d".into() });
    w.node.broken_volumes.insert("data".into());
    w.create_pod(p);
    w.run_for(20_000);
    assert!(w.sandboxes_of("uid-web").is_empty(), "nothing runs before the volumes are mounted");
    w.node.broken_volumes.clear();
    w.run_for(15_000);
    assert!(w.running("uid-web", "app"));
}

#[test]
fn a_failing_pull_backs_off_and_recovers() {
    let mut w = World::new();
    w.rt.broken_images.insert("web:1".into());
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.run_for(25_000);
    let pulls = w.rt.calls.iter().filter(|c| *c == "PullImage web:1").count();
    assert!((2..=3).contains(&pulls), "pulls back off (10 s, then 20 s): {pulls}");
    let reason = waiting_reason(&w, "uid-web", "app");
    assert!(matches!(reason.as_deref(), Some("ErrImagePull" | "ImagePullBackOff")), "{reason:?}");
    w.rt.broken_images.clear();
    w.run_for(60_000);
    assert!(w.running("uid-web", "app"));
}

#[test]
fn pull_policy_never_with_a_missing_image_is_err_image_never_pull() {
    let mut w = World::new();
    let mut p = pod("web", &[("app", "web:1")]);
    p.spec_mut().containers[0].image_pull_policy = podsim_model::PullPolicy::Never;
    w.create_pod(p);
    w.run_for(15_000);
    assert!(!w.rt.calls.iter().any(|c| c.starts_with("PullImage")), "Never never pulls");
    assert_eq!(waiting_reason(&w, "uid-web", "app").as_deref(), Some("ErrImageNeverPull"));
}

#[test]
fn a_restarted_kubelet_keeps_containers_whose_hash_matches() {
    let mut w = World::new();
    w.create_pod(pod("web", &[("app", "web:1"), ("b", "b:1")]));
    w.run_for(5_000);
    let before: Vec<String> = w.rt.containers.iter().map(|(_, c, _)| c.id.to_string()).collect();
    w.restart_kubelet();
    w.run_for(70_000);
    let after: Vec<String> = w.rt.containers.iter().map(|(_, c, _)| c.id.to_string()).collect();
    assert_eq!(before, after, "nothing was restarted or added");
    assert!(w.rt.containers.iter().all(|(_, c, _)| c.state == ContainerState::Running));
}

#[test]
fn a_pod_deleted_while_the_kubelet_was_down_is_torn_down() {
    let mut w = World::new();
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.run_for(5_000);
    // The API object vanishes (a force delete) while the kubelet is down.
    w.api.pods.remove("uid-web");
    w.restart_kubelet();
    w.run_for(10_000);
    assert_eq!(w.anything_left_of("uid-web"), Vec::<String>::new(), "the orphan is gone");
}

#[test]
fn a_dead_pause_process_gets_a_new_sandbox_with_the_next_attempt() {
    let mut w = World::new();
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.run_for(5_000);
    // The pause process dies: the sandbox is not ready and its containers die with it.
    let sandbox = w.sandboxes_of("uid-web")[0].id.clone();
    for (_, s) in w.rt.sandboxes.iter_mut() {
        s.state = podsim_model::SandboxState::NotReady;
    }
    for (_, c, _) in w.rt.containers.iter_mut().filter(|(_, c, _)| c.sandbox_id == sandbox) {
        c.state = ContainerState::Exited;
        c.exit_code = 137;
        c.finished_at = Some(5_000);
    }
    w.run_for(5_000);
    let sandboxes = w.sandboxes_of("uid-web");
    assert_eq!(sandboxes[0].attempt, 1, "the new sandbox is attempt 1");
    assert_eq!(sandboxes[0].state, podsim_model::SandboxState::Ready);
    assert!(w.running("uid-web", "app"), "the container runs in the new sandbox");
    assert_eq!(w.instances("uid-web", "app")[0].sandbox_id, sandboxes[0].id);
}

#[test]
fn a_pod_for_another_node_is_ignored() {
    let mut w = World::new();
    let mut p = pod("elsewhere", &[("app", "web:1")]);
    p.spec_mut().node_name = "node-2".into();
    w.create_pod(p);
    w.run_for(5_000);
    assert!(w.rt.sandboxes.is_empty() && w.node.data_dirs.is_empty(), "nothing done for another node's pod");
}

#[test]
fn a_failed_liveness_probe_restarts_the_container_and_only_it() {
    let mut w = World::new();
    let mut p = pod("web", &[("app", "web:1"), ("other", "o:1")]);
    p.spec_mut().containers[0].liveness_probe =
        Some(podsim_model::pod::Probe::exec(&["workload", "check", "live"]));
    w.create_pod(p);
    w.run_for(5_000);
    let app = w.instances("uid-web", "app")[0].id.clone();
    let other = w.instances("uid-web", "other")[0].id.clone();
    w.probe(&app, podsim_model::io::ProbeKind::Liveness, podsim_model::ProbeResult::Failure);
    w.run_for(5_000);
    let now_app = w.instances("uid-web", "app")[0];
    assert_ne!(now_app.id, app, "the failing container was replaced");
    assert_eq!(now_app.state, ContainerState::Running);
    assert_eq!(now_app.restart_count, 1);
    assert_eq!(w.instances("uid-web", "other")[0].id, other, "the healthy container was left alone");
}

/// Found by the Kubelet properties: an update that arrives while a sync pulls the old image must
/// not make that sync create the container from the new image (never pulled).
#[test]
fn an_update_during_a_sync_waits_for_the_next_sync() {
    for at in 1..12 {
        let mut w = World::new();
        w.run_until(1);
        w.create_pod(pod("web", &[("app", "app:1")]));
        w.run_until(1 + at);
        w.update_pod("uid-web", |p| p.spec_mut().containers[0].set_image("app:2"));
        // The world asserts that every container is created from a present image.
        w.run_for(10_000);
        let app = w.instances("uid-web", "app");
        assert_eq!(app[0].image, "app:2", "update at +{at} ms: the new image runs in the end");
        assert_eq!(app[0].state, ContainerState::Running);
    }
}

// ---- syncs work from the watched pod and never wait on the network ------------------------------------

/// A container that exits 1 after 10 s, in pod `crash`.
fn crashing_after_ten_seconds() -> Pod {
    let mut p = Pod::new("crash", "uid-crash", NODE);
    let mut c = Container::new("app", "app:1");
    c.command = vec!["exit".into(), "1".into(), "10000".into()];
    p.spec_mut().containers.push(c);
    p
}

/// Starts of `name` in `[from, to)`.
fn starts_between(w: &World, uid: &str, name: &str, from: u64, to: u64) -> Vec<u64> {
    w.start_times(uid, name).into_iter().filter(|t| (from..to).contains(t)).collect()
}

/// A partition between the kubelet and the API server delays status writes, not restarts: the
/// kubelet syncs from the pod its watch delivered (the pod manager), so a container that crashes
/// during a 2-minute partition is restarted on the CrashLoopBackOff schedule (at once, then 10 s, 20 s
/// and 40 s after each exit).
#[test]
fn a_partition_does_not_delay_restarts() {
    let mut w = World::new();
    w.create_pod(crashing_after_ten_seconds());
    w.run_until(5_000);
    w.partition();
    w.run_until(125_000);
    let during = starts_between(&w, "uid-crash", "app", 5_000, 125_000);
    // Exits at ~10 s, 21 s, 41 s, 71 s: restarts at the next relist (11 s), then when each backoff
    // ends (31 s, 61 s, 111 s).
    let seconds: Vec<u64> = during.iter().map(|t| t / 1_000).collect();
    assert_eq!(seconds, vec![11, 31, 61, 111], "restarts during the partition: {during:?}");
    w.heal();
    w.run_for(30_000);
    assert!(w.api.statuses["uid-crash"].container("app").is_some_and(|c| c.restart_count >= 4));
}

/// The Secret manager serves Secrets from its watch-fed cache: a pod whose Secret the kubelet has
/// seen keeps restarting during a partition.
#[test]
fn a_partition_does_not_stop_restarts_of_a_pod_whose_secrets_were_seen() {
    let mut w = World::new();
    w.create_secret("db");
    let mut p = crashing_after_ten_seconds();
    p.spec_mut().containers[0].env.push(EnvVar {
        name: "PASSWORD".into(),
        source: EnvSource::SecretKeyRef { name: "db".into(), key: "pw".into(), optional: false },
    });
    w.create_pod(p);
    w.run_until(5_000);
    w.partition();
    w.run_until(125_000);
    let during = starts_between(&w, "uid-crash", "app", 5_000, 125_000);
    assert_eq!(during.len(), 4, "restarts during the partition: {during:?}");
    assert!(!w.api.requests.iter().any(|(_, kind)| *kind == "GetSecret"), "no sync reads a Secret itself");
}

/// A Secret the kubelet never saw (its list did not come back) keeps its container from starting:
/// the Secret manager's `Get` waits a second for the cache, then the container's config fails.
#[test]
fn a_secret_never_seen_is_a_config_error_after_waiting_a_second() {
    let mut w = World::new();
    w.create_secret("db");
    w.run_until(100);
    let mut p = pod("web", &[("first", "f:1"), ("app", "web:1")]);
    p.spec_mut().containers[1].env.push(EnvVar {
        name: "PASSWORD".into(),
        source: EnvSource::SecretKeyRef { name: "db".into(), key: "pw".into(), optional: false },
    });
    w.create_pod(p);
    // The pod is on its way to the kubelet when the network goes: the Secret's list is never answered.
    w.partition();
    w.run_until(20_000);
    assert!(w.running("uid-web", "first"), "a container without Secrets starts");
    assert!(w.instances("uid-web", "app").is_empty(), "no container without its Secret");
    let first = w.start_times("uid-web", "first")[0];
    let app_create = w.rt.calls.iter().any(|c| c == "CreateContainer web/app");
    assert!(!app_create, "app's config failed before CreateContainer");
    assert!(first < 1_000, "first started before the Secret wait ended: {first}");
    w.heal();
    w.run_for(60_000);
    assert!(w.running("uid-web", "app"), "once the Secret's list succeeds, the container starts");
}

/// A Secret deleted after the kubelet saw it: the watch tells the cache, and the next start of the
/// container fails with CreateContainerConfigError.
#[test]
fn a_deleted_secret_fails_the_next_start() {
    let mut w = World::new();
    w.create_secret("db");
    let mut p = crashing_after_ten_seconds();
    p.spec_mut().containers[0].env.push(EnvVar {
        name: "PASSWORD".into(),
        source: EnvSource::SecretKeyRef { name: "db".into(), key: "pw".into(), optional: false },
    });
    w.create_pod(p);
    w.run_until(5_000);
    w.delete_secret("db");
    // The container exits at 10 s; the restart at the 11 s relist fails on its config, and the sync
    // 10 s later reports why.
    w.run_until(21_500);
    assert_eq!(waiting_reason(&w, "uid-crash", "app").as_deref(), Some("CreateContainerConfigError"));
    w.run_until(120_000);
    assert_eq!(w.start_times("uid-crash", "app").len(), 1, "no restart without the Secret");
    w.create_secret("db");
    w.run_until(300_000);
    assert!(w.start_times("uid-crash", "app").len() > 1, "restarted once the Secret is back");
}

/// The kubelet does not sync a pod on a change of nothing but its status (the pod config's
/// RECONCILE): not on its own status write coming back on the watch, nor on anyone else's.
#[test]
fn a_status_only_change_does_not_sync_the_pod() {
    let mut w = World::new();
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.run_for(5_000);
    let before = w.syncs_of("uid-web");
    assert!(w.running("uid-web", "app"));
    w.touch_status("uid-web");
    w.run_for(1_000);
    assert_eq!(w.syncs_of("uid-web"), before, "a status-only change dispatched a sync");
    // A change the kubelet acts on does.
    w.update_pod("uid-web", |p| p.spec_mut().containers[0].args = vec!["--verbose".into()]);
    w.run_for(1_000);
    assert_eq!(w.syncs_of("uid-web").len(), before.len() + 1, "a spec change syncs the pod once");
}

/// With no status write syncing the pod again, a container that exits is restarted when the PLEG's
/// next relist sees it exited (within the 1 s relist period), not milliseconds after the exit.
#[test]
fn the_first_restart_after_an_exit_comes_at_the_next_relist() {
    let mut w = World::new();
    let mut p = Pod::new("crash", "uid-crash", NODE);
    p.spec_mut().containers.push(exiting("app", "app:1", 1));
    w.create_pod(p);
    w.run_for(5_000);
    let starts = w.start_times("uid-crash", "app");
    assert!(starts.len() >= 2, "{starts:?}");
    let exit = starts[0] + 1;
    let next_relist = (exit / 1_000 + 1) * 1_000;
    assert!(
        (next_relist..next_relist + 10).contains(&starts[1]),
        "exited at {exit} ms, restarted at {} ms: not at the relist at {next_relist} ms",
        starts[1]
    );
}

// ---- the pod list/watch backs off as client-go's reflector does ----------------------------------------

/// During a partition, the pod reflector's attempts are spaced by its backoff manager (800 ms
/// doubling to 30 s, after each attempt's 5 s timeout), not retried every second.
#[test]
fn the_pod_reflector_backs_off_doubling_to_30_seconds() {
    let mut w = World::new();
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.run_until(10_000);
    w.partition();
    w.run_until(10_000 + 300_000);
    let lists: Vec<u64> =
        w.api.requests.iter().filter(|(t, k)| *t > 10_000 && *k == "ListPods").map(|(t, _)| *t).collect();
    let gaps: Vec<u64> = lists.windows(2).map(|p| p[1] - p[0]).collect();
    let expected: Vec<u64> = [1_600, 3_200, 6_400, 12_800, 25_600, 30_000, 30_000, 30_000]
        .iter()
        .map(|backoff| backoff + common::API_TIMEOUT)
        .collect();
    assert_eq!(gaps[..expected.len()], expected[..], "list attempts at {lists:?}");
    let rewatch: Vec<_> = w.timers.iter().filter(|(_, t, _, _)| *t == Timer::Rewatch).collect();
    assert_eq!(rewatch[0].2, 800, "the first backoff is 800 ms");
    w.heal();
    w.run_for(70_000);
    assert!(w.running("uid-web", "app"));
    let after_heal = w.api.requests.iter().filter(|(t, k)| *t > 310_000 && *k == "WatchPods").count();
    assert!(after_heal >= 1, "the watch is established again after the heal");
}

/// The world draws each jitter: the reflector's backoff is jittered by 1.0.
#[test]
fn the_reflector_backoff_is_jittered_by_one() {
    let mut w = World::new();
    w.jitter = (1, 2);
    w.run_until(1_000);
    w.partition();
    w.run_until(40_000);
    let (_, _, base, drawn) =
        w.timers.iter().find(|(_, t, _, _)| *t == Timer::Rewatch).cloned().expect("a backoff");
    assert_eq!((base, drawn), (800, 1_200), "half of the largest jitter of 800 ms is 400 ms");
}

// ---- timing settings ------------------------------------------------------------------------------------

fn crash_loop_config() -> KubeletConfig {
    KubeletConfig::new(NODE)
}

/// Restart times of a container that exits 1 ms after each start, from its second restart on, as
/// gaps between consecutive starts in whole seconds.
fn crash_loop_gaps(config: KubeletConfig, run: u64) -> Vec<u64> {
    let mut w = World::with_config(config);
    let mut p = Pod::new("crash", "uid-crash", NODE);
    p.spec_mut().containers.push(exiting("app", "app:1", 1));
    w.create_pod(p);
    w.run_for(run);
    let starts = w.start_times("uid-crash", "app");
    starts.windows(2).map(|p| (p[1] - p[0]) / 1_000).collect()
}

#[test]
fn the_crash_loop_backoff_is_a_setting() {
    let mut config = crash_loop_config();
    config.crash_loop_back_off.initial = Some(5_000);
    config.crash_loop_back_off.max = Some(20_000);
    let gaps = crash_loop_gaps(config, 120_000);
    assert_eq!(&gaps[1..6], &[5, 10, 20, 20, 20], "5 s doubling to 20 s: {gaps:?}");
}

/// `ReduceDefaultCrashLoopBackOffDecay` (alpha 1.33): 1 s doubling to 60 s.
#[test]
fn the_reduced_crash_loop_decay_gate_starts_at_one_second() {
    let mut config = crash_loop_config();
    config.feature_gates.set("ReduceDefaultCrashLoopBackOffDecay", true).unwrap();
    let gaps = crash_loop_gaps(config, 200_000);
    assert_eq!(&gaps[1..9], &[1, 2, 4, 8, 16, 32, 60, 60], "{gaps:?}");
}

/// Up to Kubernetes 1.34 a sync that failed on a CrashLoopBackOff is retried after the pod workers'
/// back-off period (10 s), so a restart waits for the first retry after its backoff ended; from 1.35
/// the worker is queued for when the backoff ends.
#[test]
fn up_to_1_34_a_backed_off_restart_waits_for_the_workers_retry() {
    let restarts = |requeue: FailedSyncRequeue| {
        let mut config = crash_loop_config();
        config.failed_sync_requeue = requeue;
        let mut w = World::with_config(config);
        let mut p = Pod::new("crash", "uid-crash", NODE);
        p.spec_mut().containers.push(exiting("app", "app:1", 1));
        w.create_pod(p);
        w.run_for(40_000);
        w.start_times("uid-crash", "app").iter().map(|t| t / 1_000).collect::<Vec<u64>>()
    };
    // Exits 1 ms after each start; the first restart comes at the 1 s relist.
    assert_eq!(restarts(FailedSyncRequeue::AtBackOffExpiry), vec![0, 1, 11, 31]);
    assert_eq!(restarts(FailedSyncRequeue::AfterWorkerBackOff), vec![0, 1, 12, 33]);
}

/// The pod workers requeue a pod that synced well after the sync frequency, jittered by 0.5.
#[test]
fn the_sync_frequency_is_a_setting() {
    let mut config = crash_loop_config();
    config.sync_frequency = 30_000;
    let mut w = World::with_config(config);
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.run_for(100_000);
    let resyncs: Vec<(u64, u64)> = w
        .timers
        .iter()
        .filter(|(_, t, _, _)| matches!(t, Timer::PodSync { .. }))
        .map(|(at, _, base, _)| (*at, *base))
        .collect();
    assert!(resyncs.iter().all(|(_, base)| *base == 30_000), "{resyncs:?}");
    let syncs = w.syncs_of("uid-web");
    let gaps: Vec<u64> = syncs.windows(2).map(|p| p[1] - p[0]).collect();
    assert!(gaps.iter().any(|g| (30_000..30_010).contains(g)), "a resync 30 s after a sync: {gaps:?}");
}

/// The status manager writes a status whose write failed again at its next periodic sync, without
/// waiting for a pod sync.
#[test]
fn a_failed_status_write_is_written_again_by_the_status_manager() {
    let mut w = World::new();
    let mut p = Pod::new("job", "uid-job", NODE);
    p.spec_mut().restart_policy = RestartPolicy::Never;
    p.spec_mut().containers.push(exiting("app", "app:1", 0));
    w.create_pod(p);
    w.run_until(2);
    w.partition();
    w.run_until(30_000);
    assert_ne!(w.api.statuses.get("uid-job").map(|s| s.phase), Some(PodPhase::Succeeded));
    w.heal();
    w.run_until(30_000 + 10_000 + 5_000);
    assert_eq!(w.api.statuses["uid-job"].phase, PodPhase::Succeeded, "written within a status sync period");
}

/// Survivor `model/src/kubelet/pleg.rs:168:35: replace == with != in Kubelet::pleg_owner_of`. A probe
/// result is a reason to sync the pod of ITS container (the probe managers' updates channel names
/// the pod): with two pods on the node, `web`'s failed liveness probe restarts `web`'s container
/// within seconds, and `db`'s is left alone.
#[test]
fn a_failed_liveness_probe_syncs_the_pod_of_its_container() {
    let mut w = World::new();
    for name in ["db", "web"] {
        let mut p = pod(name, &[("app", &format!("{name}:1"))]);
        p.spec_mut().containers[0].liveness_probe =
            Some(podsim_model::pod::Probe::exec(&["workload", "check", "live"]));
        w.create_pod(p);
    }
    w.run_for(5_000);
    let web = w.instances("uid-web", "app")[0].id.clone();
    let db = w.instances("uid-db", "app")[0].id.clone();
    w.probe(&web, podsim_model::io::ProbeKind::Liveness, podsim_model::ProbeResult::Failure);
    w.run_for(3_000);
    let now_web = w.instances("uid-web", "app")[0];
    assert_ne!(now_web.id, web, "web's failing container was replaced");
    assert_eq!((now_web.state, now_web.restart_count), (ContainerState::Running, 1));
    assert_eq!(w.instances("uid-db", "app")[0].id, db, "db's container was left alone");
}

/// Survivor `model/src/kubelet/pleg.rs:181:12: delete ! in Kubelet::finish_relist`. A relist whose
/// container list fails is over once its other list is answered (generic.go `relist` returns on
/// either error), and the next period relists again: the PLEG is not stuck by one failure. Here the
/// runtime cannot list containers for 2 s; the app's exit at 20 s is seen within the relist
/// period and the container restarted at once.
#[test]
fn the_pleg_relists_again_after_a_failed_list() {
    let mut w = World::new();
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.update_pod("uid-web", |p| {
        p.spec_mut().containers[0].command = vec!["exit".into(), "1".into(), "15000".into()]
    });
    w.run_for(5_000);
    w.rt.failing_methods.insert("ListContainers".into());
    w.run_for(2_000);
    w.rt.failing_methods.clear();
    w.run_for(15_000);
    let starts = w.start_times("uid-web", "app");
    assert_eq!(starts.len(), 2, "exited once and restarted: {starts:?}");
    let exited = starts[0] + 15_000;
    assert!(starts[1] <= exited + 2_000, "restarted within 2 s of its exit at {exited}: {starts:?}");
}
