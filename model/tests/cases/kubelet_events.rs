//! The Kubernetes Events the kubelet records, and what its client-go sink leaves at the API server,
//! against the obedient world of tests/common. Reasons, types and messages are those of the kubelet
//! of Kubernetes 1.35: pkg/kubelet/events/event.go, images/image_manager.go (index id 680658890),
//! kuberuntime_container.go `startContainer`/`killContainer` (messages of kubernetes/kubernetes#134043),
//! kuberuntime_manager.go `SyncPod`/`doBackOff`; the sink is client-go tools/record `recordToSink`
//! and `EventCorrelator` (index ids 56666535, 3292221909). The correlator's own table tests
//! (`TestEventCorrelator`) are ported in model/src/kubelet/recorder.rs.

use crate::common;

use common::{World, NODE};
use podsim_model::kubelet::recorder::{MAX_TRIES, SLEEP};
use podsim_model::pod::{EnvSource, EnvVar, Volume, VolumeMount, VolumeSource};
use podsim_model::{Container, ContainerState, Pod, PullPolicy};

fn pod(name: &str, containers: &[(&str, &str)]) -> Pod {
    let mut p = Pod::new(name, format!("uid-{name}"), NODE);
    for (n, image) in containers {
        p.spec_mut().containers.push(Container::new(*n, *image));
    }
    p
}

/// (container, type, reason, message) of what the kubelet recorded about a pod, in order.
fn recorded(w: &World, uid: &str) -> Vec<(String, &'static str, String, String)> {
    w.recorded_of(uid).into_iter().map(|(_, c, t, r, m)| (c, t, r, m)).collect()
}

fn ev(
    container: &str,
    t: &'static str,
    reason: &str,
    message: &str,
) -> (String, &'static str, String, String) {
    (container.to_string(), t, reason.to_string(), message.to_string())
}

/// (reason, count) of the API server's Events about a pod with this reason and message.
fn api_count(w: &World, uid: &str, reason: &str, message: &str) -> Option<u32> {
    w.api_events_of(uid).into_iter().find(|e| e.reason == reason && e.message == message).map(|e| e.count)
}

#[test]
fn a_pulled_and_started_container_records_pulling_pulled_created_started() {
    let mut w = World::new();
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.run_for(5_000);
    assert_eq!(
        recorded(&w, "uid-web"),
        vec![
            ev("app", "Normal", "Pulling", "Pulling image \"web:1\""),
            ev(
                "app",
                "Normal",
                "Pulled",
                "Successfully pulled image \"web:1\" in 1ms (1ms including waiting). Image size: 0 bytes."
            ),
            ev("app", "Normal", "Created", "Container created"),
            ev("app", "Normal", "Started", "Container started"),
        ]
    );
    let events = w.api_events_of("uid-web");
    assert_eq!(events.len(), 4, "each reached the API server: {events:?}");
    for e in events {
        assert_eq!(e.field_path.as_deref(), Some("spec.containers{app}"));
        assert_eq!((e.count, e.source_host.as_str()), (1, NODE));
        assert_eq!(e.first_timestamp, e.last_timestamp);
        assert!(e.name.starts_with("web."), "named after the pod: {}", e.name);
    }
}

#[test]
fn an_image_on_the_node_is_already_present_and_an_untagged_pull_says_latest() {
    let mut w = World::new();
    w.rt.images.insert("web:1".into());
    let mut p = pod("web", &[("app", "web:1"), ("cache", "redis")]);
    let mut init = Container::new("init", "web:1");
    init.command = vec!["exit".into(), "0".into()];
    p.spec_mut().init_containers.push(init);
    p.spec_mut().containers[1].image_pull_policy = PullPolicy::IfNotPresent;
    w.create_pod(p);
    w.run_for(5_000);
    let got = recorded(&w, "uid-web");
    let present = "Container image \"web:1\" already present on machine and can be accessed by the pod";
    assert_eq!(got[0], ev("init", "Normal", "Pulled", present), "{got:?}");
    assert!(got.contains(&ev("app", "Normal", "Pulled", present)), "{got:?}");
    assert!(got.contains(&ev("cache", "Normal", "Pulling", "Pulling image \"redis:latest\"")), "{got:?}");
    let init = w.api_events_of("uid-web").into_iter().find(|e| e.reason == "Pulled").expect("recorded");
    assert_eq!(init.field_path.as_deref(), Some("spec.initContainers{init}"));
}

#[test]
fn a_crash_loop_records_back_off_warnings_counted_on_one_event() {
    let mut w = World::new();
    let mut p = Pod::new("crash", "uid-crash", NODE);
    let mut c = Container::new("app", "app:1");
    c.command = vec!["exit".into(), "1".into()];
    p.spec_mut().containers.push(c);
    w.create_pod(p);
    w.run_for(180_000);
    let message = "Back-off restarting failed container app in pod crash_default(uid-crash)";
    let backoffs: Vec<u64> = w
        .recorded_of("uid-crash")
        .into_iter()
        .filter(|(_, c, t, r, m)| c == "app" && *t == "Warning" && r == "BackOff" && m == message)
        .map(|(at, ..)| at)
        .collect();
    assert!(backoffs.len() > 1, "backing off is recorded each time: {backoffs:?}");
    let events: Vec<_> = w.api_events_of("uid-crash").into_iter().filter(|e| e.reason == "BackOff").collect();
    assert_eq!(events.len(), 1, "one Event, counted: {events:?}");
    let e = events[0];
    assert_eq!(e.count as usize, backoffs.len());
    assert_eq!((e.first_timestamp, e.last_timestamp), (backoffs[0], *backoffs.last().unwrap()));
    let starts = w.start_times("uid-crash", "app").len() as u32;
    assert_eq!(api_count(&w, "uid-crash", "Started", "Container started"), Some(starts));
}

#[test]
fn a_failing_pull_records_failed_then_back_off() {
    let mut w = World::new();
    w.rt.broken_images.insert("web:1".into());
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.run_for(15_000);
    let got = recorded(&w, "uid-web");
    let failed = "Failed to pull image \"web:1\": rpc error: code = Unknown desc = pull failed";
    assert_eq!(
        &got[..3],
        &[
            ev("app", "Normal", "Pulling", "Pulling image \"web:1\""),
            ev("app", "Warning", "Failed", failed),
            ev("app", "Warning", "Failed", "Error: ErrImagePull"),
        ]
    );
    assert!(got.contains(&ev("app", "Normal", "BackOff", "Back-off pulling image \"web:1\"")), "{got:?}");
    assert!(got.contains(&ev("app", "Warning", "Failed", "Error: ImagePullBackOff")), "{got:?}");
}

#[test]
fn pull_policy_never_records_err_image_never_pull() {
    let mut w = World::new();
    let mut p = pod("web", &[("app", "web:1")]);
    p.spec_mut().containers[0].image_pull_policy = PullPolicy::Never;
    w.create_pod(p);
    w.run_for(2_000);
    assert_eq!(
        recorded(&w, "uid-web")[..2],
        [
            ev(
                "app",
                "Warning",
                "ErrImageNeverPull",
                "Container image \"web:1\" is not present with pull policy of Never"
            ),
            ev("app", "Warning", "Failed", "Error: ErrImageNeverPull"),
        ]
    );
}

#[test]
fn a_missing_secret_records_the_config_error() {
    let mut w = World::new();
    let mut p = pod("web", &[("app", "web:1")]);
    p.spec_mut().containers[0].env.push(EnvVar {
        name: "PASSWORD".into(),
        source: EnvSource::SecretKeyRef { name: "db".into(), key: "pw".into(), optional: false },
    });
    w.create_pod(p);
    w.run_for(5_000);
    let got = recorded(&w, "uid-web");
    assert!(got.contains(&ev("app", "Warning", "Failed", "Error: secret \"db\" not found")), "{got:?}");
    assert!(!got.iter().any(|e| e.2 == "Created"), "nothing was created: {got:?}");
}

#[test]
fn a_failing_mount_records_failed_mount_on_the_pod() {
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
    w.run_for(2_000);
    let got = recorded(&w, "uid-web");
    assert_eq!(got[0].0, "", "a pod event, no container");
    assert_eq!((got[0].1, got[0].2.as_str()), ("Warning", "FailedMount"));
    assert!(got[0].3.starts_with("MountVolume.SetUp failed for volume \"data\" : "), "{got:?}");
}

#[test]
fn a_deleted_pod_records_killing_for_each_running_container() {
    let mut w = World::new();
    w.create_pod(pod("web", &[("app", "web:1"), ("side", "s:1")]));
    w.run_for(5_000);
    w.delete_pod("uid-web");
    w.run_for(5_000);
    let mut kills: Vec<_> = recorded(&w, "uid-web").into_iter().filter(|e| e.2 == "Killing").collect();
    kills.sort();
    assert_eq!(
        kills,
        vec![
            ev("app", "Normal", "Killing", "Stopping container app"),
            ev("side", "Normal", "Killing", "Stopping container side"),
        ]
    );
}

#[test]
fn a_changed_container_is_killed_with_the_plans_message() {
    let mut w = World::new();
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.run_for(5_000);
    w.update_pod("uid-web", |p| p.spec_mut().containers[0].set_image("web:2"));
    w.run_for(5_000);
    let got = recorded(&w, "uid-web");
    let message = "Container app definition changed, will be restarted";
    assert!(got.contains(&ev("app", "Normal", "Killing", message)), "{got:?}");
    assert_eq!(api_count(&w, "uid-web", "Started", "Container started"), Some(2));
}

/// The pause process dies: the sandbox is replaced and SyncPod says so, about the pod.
fn kill_the_pause_process(w: &mut World, uid: &str) {
    let sandbox = w.sandboxes_of(uid)[0].id.clone();
    for (_, s) in w.rt.sandboxes.iter_mut() {
        s.state = podsim_model::SandboxState::NotReady;
    }
    let now = w.now;
    for (_, c, _) in w.rt.containers.iter_mut().filter(|(_, c, _)| c.sandbox_id == sandbox) {
        c.state = ContainerState::Exited;
        c.exit_code = 137;
        c.finished_at = Some(now);
    }
}

const SANDBOX_CHANGED: &str = "Pod sandbox changed, it will be killed and re-created.";

#[test]
fn a_dead_sandbox_records_sandbox_changed() {
    let mut w = World::new();
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.run_for(5_000);
    kill_the_pause_process(&mut w, "uid-web");
    w.run_for(5_000);
    let got = recorded(&w, "uid-web");
    assert!(got.contains(&ev("", "Normal", "SandboxChanged", SANDBOX_CHANGED)), "{got:?}");
    assert_eq!(api_count(&w, "uid-web", "SandboxChanged", SANDBOX_CHANGED), Some(1));
}

#[test]
fn events_of_a_short_partition_arrive_after_it_heals_with_their_own_times() {
    let mut w = World::new();
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.run_for(5_000);
    w.partition();
    w.run_for(5_000);
    kill_the_pause_process(&mut w, "uid-web");
    w.run_for(55_000);
    assert_eq!(api_count(&w, "uid-web", "SandboxChanged", SANDBOX_CHANGED), None, "not during the cut");
    let at = w.recorded_of("uid-web").iter().find(|e| e.3 == "SandboxChanged").expect("recorded").0;
    w.heal();
    w.run_for(2 * SLEEP + 10_000);
    let e =
        w.api_events_of("uid-web").into_iter().find(|e| e.reason == "SandboxChanged").expect("it arrived");
    assert_eq!((e.count, e.first_timestamp, e.last_timestamp), (1, at, at), "the time it happened");
    for reason in ["Created", "Started"] {
        let count = w.api_events_of("uid-web").into_iter().find(|e| e.reason == reason).map(|e| e.count);
        assert_eq!(count, Some(2), "{reason} counted up after the heal");
    }
    let present = "Container image \"web:1\" already present on machine and can be accessed by the pod";
    assert_eq!(api_count(&w, "uid-web", "Pulled", present), Some(1), "a new message is a new event");
    assert_eq!(w.kubelet.recorder().dropped(), 0);
}

#[test]
fn an_event_that_fails_twelve_tries_is_lost_and_the_next_goes_on() {
    let mut w = World::new();
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.run_for(5_000);
    w.partition();
    w.run_for(5_000);
    kill_the_pause_process(&mut w, "uid-web");
    // Twelve tries: each waits for the client's timeout (5 s); the first wait is random (none
    // here), the others 10 s.
    w.run_for(u64::from(MAX_TRIES) * (SLEEP + 5_000) + 10_000);
    w.heal();
    w.run_for(3 * (SLEEP + 5_000));
    assert_eq!(w.kubelet.recorder().dropped(), 1, "the retry limit was reached once");
    assert_eq!(api_count(&w, "uid-web", "SandboxChanged", SANDBOX_CHANGED), None, "that event is lost");
    let started = w.api_events_of("uid-web").into_iter().find(|e| e.reason == "Started").map(|e| e.count);
    assert_eq!(started, Some(2), "the events after it arrived");
}

#[test]
fn a_kubelet_restart_loses_the_events_it_had_not_written() {
    let mut w = World::new();
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.run_for(5_000);
    w.partition();
    w.run_for(5_000);
    kill_the_pause_process(&mut w, "uid-web");
    w.run_for(5_000);
    assert!(w.recorded_of("uid-web").iter().any(|e| e.3 == "SandboxChanged"), "recorded before the crash");
    w.restart_kubelet();
    w.heal();
    w.run_for(60_000);
    assert_eq!(api_count(&w, "uid-web", "SandboxChanged", SANDBOX_CHANGED), None);
    assert_eq!(
        api_count(&w, "uid-web", "Started", "Container started"),
        Some(1),
        "the restart's start is lost"
    );
}

#[test]
fn an_image_that_cannot_be_inspected_records_inspect_failed() {
    let mut w = World::new();
    w.rt.failing_methods.insert("ImageStatus".into());
    let mut p = pod("web", &[("app", "web:1")]);
    p.spec_mut().containers[0].image_pull_policy = PullPolicy::IfNotPresent;
    w.create_pod(p);
    w.run_for(2_000);
    assert_eq!(
        recorded(&w, "uid-web")[..2],
        [
            ev(
                "app",
                "Warning",
                "InspectFailed",
                "Failed to inspect image \"\": rpc error: code = Unknown desc = injected failure"
            ),
            ev("app", "Warning", "Failed", "Error: ImageInspectError"),
        ]
    );
}

#[test]
fn a_sandbox_that_cannot_be_created_records_failed_create_pod_sandbox() {
    let mut w = World::new();
    w.rt.failing_methods.insert("RunPodSandbox".into());
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.run_for(2_000);
    let got = recorded(&w, "uid-web");
    let message = "Failed to create pod sandbox: rpc error: code = Unknown desc = injected failure";
    assert_eq!(got, vec![ev("", "Warning", "FailedCreatePodSandBox", message)]);
}

#[test]
fn a_kill_that_fails_during_termination_records_failed_kill_pod() {
    let mut w = World::new();
    w.create_pod(pod("web", &[("app", "web:1")]));
    w.run_for(5_000);
    w.rt.failing_methods.insert("StopContainer".into());
    w.delete_pod("uid-web");
    w.run_for(1_000);
    let got = recorded(&w, "uid-web");
    let message = "error killing pod: failed to \"KillContainer\" for \"app\" with KillContainerError: \
                   \"rpc error: code = Unknown desc = injected failure\"";
    assert!(got.contains(&ev("", "Warning", "FailedKillPod", message)), "{got:?}");
    w.rt.failing_methods.clear();
    w.run_for(30_000);
    assert_eq!(w.anything_left_of("uid-web"), Vec::<String>::new(), "the kill is retried");
}
