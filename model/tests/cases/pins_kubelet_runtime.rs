//! Pins of the survivors of the full tier-1 `cargo mutants` run of model/ (issue 13; run at d7d1bfd,
//! /work/mutants/full) in the kubelet's runtime files: pod_config, pod_workers, prober, recorder,
//! reflector, resize, restart_all, secret_manager, start, status_manager, sync_pod, sync_run,
//! terminated and termination_order (model/src/kubelet/). Each test's doc comment names the mutants
//! it catches exactly as cargo-mutants names them, and the kubelet function whose behaviour it
//! asserts; each was checked to fail on its mutants by applying them by hand. The survivors no test
//! can observe are argued in /work/mutants/full/reasons-pins_kubelet_runtime.md.
//!
//! Kubelet sources read (search index ids): allocation_manager.go with `handlePodResourcesResize`,
//! `canResizePod` and `getAllocatedPods(m.getActivePods())` (read_file id 672050693, the Kubernetes
//! 1.34/1.35 line); kuberuntime_manager.go `SyncPod` step 6 ("Failed to initialize the pod, as the init
//! container failed to start, aborting" then `return`, before step 7's `doPodResizeAction`), as found
//! by find_string in ids 14701678 and 31030900308 (1.27+ with SidecarContainers); kubelet.go
//! `SyncPod`'s `probeManager.AddPod` (id 27459845215); worker.go `doProbe` and `run` through the port
//! in prober_worker_cases.rs (ids 6705783, 264648198). No Go table test matched these survivors
//! case for case; each test states the kubelet function whose behaviour it asserts.

#![allow(unused_imports)]

use crate::common;

use common::{World, NODE};
use podsim_model::io::WorkerState;
use podsim_model::pod::{EnvSource, EnvVar, Quantity};
use podsim_model::{Container, Millis, Pod, RestartPolicy};

fn running_pod(uid: &str, containers: &[(&str, &str)]) -> Pod {
    let mut p = Pod::new(uid.trim_start_matches("uid-"), uid, NODE);
    for (name, image) in containers {
        p.spec_mut().containers.push(Container::new(*name, *image));
    }
    p
}

// ---- active_deadline.rs (mod.rs `on_active_deadline`) -----------------------------------------------

/// A pod of one container with `activeDeadlineSeconds: 5`, created at 0; every `StopContainer` fails.
fn deadline_pod_that_cannot_be_stopped() -> World {
    let mut w = World::new();
    let mut p = running_pod("uid-job", &[("app", "app:1")]);
    p.spec_mut().active_deadline_seconds = Some(5);
    w.rt.failing_methods.insert("StopContainer".into());
    w.create_pod(p);
    w
}

/// StopContainer calls between two instants.
fn stops_during(w: &World, calls_before: usize) -> usize {
    w.rt.calls[calls_before..].iter().filter(|c| c.starts_with("StopContainer")).count()
}

/// kubelet.go `getPodsToSync`: at every one-second tick of the sync loop, every pod of the pod
/// manager past its active deadline (`ShouldSync`) is handed to its worker (`HandlePodSyncs`), in
/// any state. A pod Failed by its deadline whose container cannot be stopped runs
/// `SyncTerminatingPod` again at every tick, not only after the pod worker's back-off (10 s, then
/// 20 s, ...): about ten tries in ten seconds. (Survivor `model/src/kubelet/mod.rs:442:17`, once left
/// unpinned as the divergence it showed.)
#[test]
fn a_pod_past_its_deadline_is_synced_again_at_every_tick() {
    let mut w = deadline_pod_that_cannot_be_stopped();
    w.run_until(7_000);
    assert_eq!(w.api.statuses["uid-job"].phase, podsim_model::PodPhase::Failed);
    assert!(w.running("uid-job", "app"), "its container cannot be stopped");
    let before = w.rt.calls.len();
    w.run_until(17_000);
    let stops = stops_during(&w, before);
    assert!((9..=11).contains(&stops), "a stop a second: {stops} in 10 s");

    // Once the container can be stopped, the pod finishes, and the ticks stop with it.
    w.rt.failing_methods.clear();
    w.run_until(20_000);
    assert!(!w.running("uid-job", "app"));
    let reads = w.syncs_of("uid-job").len();
    w.run_until(80_000);
    assert_eq!(w.syncs_of("uid-job").len(), reads, "a finished pod is not synced again");
    assert!(w.api.pods.contains_key("uid-job"), "its object stays, Failed");
}

/// A pod of `deadline_pod_that_cannot_be_stopped` with an emptyDir volume `cache`, whose containers
/// can be stopped.
fn deadline_pod_with_a_volume() -> World {
    use podsim_model::pod::{Volume, VolumeMount, VolumeSource};
    let mut w = World::new();
    let mut p = running_pod("uid-job", &[("app", "app:1")]);
    p.spec_mut().active_deadline_seconds = Some(5);
    p.spec_mut().volumes.push(Volume { name: "cache".into(), source: VolumeSource::EmptyDir });
    p.spec_mut().containers[0]
        .volume_mounts
        .push(VolumeMount { name: "cache".into(), mount_path: "/c".into() });
    w.create_pod(p);
    w
}

/// The unmounts of the job's volume asked of the node from `from` on.
fn unmounts_since(w: &World, from: Millis) -> usize {
    w.node.requests.iter().filter(|(t, r)| *t >= from && r == "UnmountVolume uid-job/cache").count()
}

/// Survivors: `model/src/kubelet/mod.rs:465:22` and `465:37` (`&&` to `||` in `on_active_deadline`)
/// and `469:44` (`&&` to `||`). A pod Failed by its deadline and not deleted keeps its object; once
/// its worker terminated it and unmounted its volume, it is finished, and the ticks no longer hand it
/// to the worker (`UpdatePod` ignores a finished pod): its volume is unmounted once. While its
/// unmount fails, the tick tries the cleanup again every second (not after the back-off).
#[test]
fn a_finished_pod_past_its_deadline_is_left_alone_and_a_failed_cleanup_is_retried_each_second() {
    let mut w = deadline_pod_with_a_volume();
    w.run_until(20_000);
    assert_eq!(w.api.statuses["uid-job"].phase, podsim_model::PodPhase::Failed);
    assert_eq!(unmounts_since(&w, 0), 1, "unmounted once: {:?}", w.node.requests);
    w.run_until(80_000);
    assert_eq!(unmounts_since(&w, 0), 1, "and never again");

    let mut w = deadline_pod_with_a_volume();
    w.node.stuck_volumes.insert("cache".into());
    w.run_until(10_000);
    let before = unmounts_since(&w, 0);
    assert!(before >= 1, "the cleanup tried: {:?}", w.node.requests);
    w.run_until(20_000);
    let tries = unmounts_since(&w, 10_000);
    assert!((9..=11).contains(&tries), "an unmount a second: {tries} in 10 s");
}

/// Survivors: `model/src/kubelet/mod.rs:465:22` and `465:37` (`&&` to `||` in `on_active_deadline`).
/// The sync loop's ticks for a pod past its deadline stop once the pod is finished: a world whose pod
/// was Failed by its deadline handles no more inputs over a minute than one whose pod Succeeded on
/// its own at about the same time (a tick a second would be 60 more).
#[test]
fn the_deadline_ticks_stop_once_the_pod_is_finished() {
    let inputs_in_the_second_minute = |deadline: bool| {
        let mut w = World::new();
        let mut p = running_pod("uid-job", &[("app", "app:1")]);
        p.spec_mut().restart_policy = RestartPolicy::Never;
        if deadline {
            p.spec_mut().active_deadline_seconds = Some(5);
        } else {
            p.spec_mut().containers[0].command = vec!["exit".into(), "0".into(), "5000".into()];
        }
        w.create_pod(p);
        w.run_until(60_000);
        assert!(w.api.statuses["uid-job"].phase.is_terminal());
        let before = w.inputs;
        w.run_until(120_000);
        w.inputs - before
    };
    assert_eq!(inputs_in_the_second_minute(true), inputs_in_the_second_minute(false));
}

/// A deadline that passes while the pod's worker is busy with `SyncPod` (here a pull of 5.5 s) kills
/// the pod as soon as that sync ends (the tick's update waits as the pending update, as the relist's
/// event of the new container does), not at a later tick.
#[test]
fn a_deadline_tick_during_a_sync_kills_the_pod_when_the_sync_ends() {
    let mut w = World::new();
    w.rt.pull_latency.insert("app:1".into(), 5_500);
    let mut p = running_pod("uid-job", &[("app", "app:1")]);
    p.spec_mut().active_deadline_seconds = Some(5);
    w.create_pod(p);
    w.run_until(7_000);
    let stop = w.rt.calls.iter().position(|c| c.starts_with("StopContainer"));
    assert!(stop.is_some(), "{:?}", w.rt.calls);
    let stopped_at = w.rt.started.first().map(|(t, _, _)| *t).expect("started once");
    assert!((5_500..5_600).contains(&stopped_at), "started at the pull's end: {stopped_at}");
    let kill_at = w.recorded_of("uid-job").into_iter().find(|e| e.3 == "Killing").map(|e| e.0);
    assert!(kill_at.is_some_and(|t| t < 6_000), "killed before the next tick: {kill_at:?}");
}

/// The ticks hand the pod to its worker whatever its state: a pod deleted before its deadline, whose
/// container cannot be stopped, waits out its worker's back-off only until the deadline passes;
/// from then on it is tried again every second.
#[test]
fn a_deleted_pod_is_tried_again_every_second_once_past_its_deadline() {
    let mut w = deadline_pod_that_cannot_be_stopped();
    w.run_until(1_000);
    w.delete_pod("uid-job");
    w.run_until(5_000);
    let before = w.rt.calls.len();
    w.run_until(15_000);
    let stops = stops_during(&w, before);
    assert!((9..=11).contains(&stops), "a stop a second after the deadline: {stops} in 10 s");
}

// ---- pod_workers.rs --------------------------------------------------------------------------------

/// Survivor: `model/src/kubelet/pod_workers.rs:263:49: replace == with != in Kubelet::advance`.
///
/// A deletion that arrives while `SyncPod` runs ends that sync once its current step (here an image
/// pull) is done: pod_workers.go `UpdatePod` cancels the running sync's context when termination is
/// requested (`status.cancelFn()`), so the containers after the pull are neither created nor started;
/// the worker goes on to `SyncTerminatingPod`.
#[test]
fn a_deletion_during_a_pull_ends_the_sync_before_any_container_is_created() {
    let mut w = World::new();
    w.rt.pull_latency.insert("app:1".into(), 5_000);
    w.create_pod(running_pod("uid-web", &[("app", "app:1"), ("side", "side:1")]));
    w.run_for(2_000);
    assert_eq!(w.rt.pulls.len(), 1, "the first container's image is being pulled");
    w.delete_pod("uid-web");
    w.run_for(30_000);
    let creates: Vec<&String> = w.rt.calls.iter().filter(|c| c.starts_with("CreateContainer")).collect();
    assert_eq!(creates, Vec::<&String>::new(), "no container is created after the deletion");
    assert!(w.rt.started.is_empty(), "nothing started");
    assert!(w.api.released.contains("uid-web"), "the pod is torn down and released");
}

/// A pod whose one container `app` asks (and is limited to) `cpu`, and runs until stopped.
fn pod_asking_cpu(name: &str, cpu: &str) -> Pod {
    let mut p = Pod::new(name, format!("uid-{name}"), NODE);
    let mut c = Container::new("app", "app:1");
    c.resources.requests.cpu = Some(Quantity::parse(cpu).unwrap());
    c.resources.limits.cpu = Some(Quantity::parse(cpu).unwrap());
    p.spec_mut().containers.push(c);
    p
}

/// An update of the pod `uid` that resizes its first container's cpu request and limit.
fn resize_cpu(w: &mut World, uid: &str, cpu: &str) {
    w.update_pod(uid, |p| {
        let r = &mut p.spec_mut().containers[0].resources;
        r.requests.cpu = Some(Quantity::parse(cpu).unwrap());
        r.limits.cpu = Some(Quantity::parse(cpu).unwrap());
    });
}

/// (Written for the survivors `model/src/kubelet/pod_workers.rs:147:9: replace PodWorker::is_deleted
/// -> bool with false` and `147:22: replace || with && in PodWorker::is_deleted`, when the resize
/// admission left out every deleted pod; it now pins `is_active` in allocation.rs, and those two are
/// again observable nowhere: BENCHMARKS.md.)
///
/// A deleted pod whose termination is done no longer counts against the node when another pod is
/// resized: `handlePodResourcesResize` weighs the resize against `GetActivePods`, whose
/// `filterOutInactivePods` leaves out a pod the pod workers know terminated
/// (`IsPodKnownTerminated`). Here the deleted pod's directory cannot be removed, so its API object
/// is not released yet; its 2 cpus are free all the same, and a 1-cpu pod grows to 3 cpus on the
/// 4-cpu node.
#[test]
fn a_deleted_pod_whose_termination_is_done_leaves_room_for_a_resize() {
    let mut w = World::new();
    w.create_pod(pod_asking_cpu("other", "2"));
    w.create_pod(pod_asking_cpu("web", "1"));
    w.run_for(30_000);
    assert!(w.running("uid-other", "app") && w.running("uid-web", "app"));
    w.node.stuck_data_dirs.insert("uid-other".into());
    w.delete_pod("uid-other");
    w.run_for(60_000);
    assert!(!w.running("uid-other", "app"), "the deleted pod's container is stopped");
    let terminated = w.kubelet.workers().any(|(u, s)| u == "uid-other" && s == WorkerState::Terminated);
    assert!(terminated, "its worker is terminated");
    assert!(!w.api.released.contains("uid-other"), "its directory is stuck, so it is not released");
    resize_cpu(&mut w, "uid-web", "3");
    w.run_for(30_000);
    let status = &w.api.statuses["uid-web"];
    assert!(status.condition("PodResizePending").is_none(), "{:?}", status.conditions);
    assert_eq!(w.rt.resource_updates.len(), 1, "resized in place");
}

/// Survivors: `model/src/kubelet/pod_workers.rs:293:74: delete ! in Kubelet::finish_sync`,
/// `model/src/kubelet/pod_workers.rs:293:94: delete ! in Kubelet::finish_sync` and
/// `model/src/kubelet/terminated.rs:122:9: replace Kubelet::forget with ()`, and
/// `model/src/kubelet/sync_pod.rs:163:33: delete ! in Kubelet::plan`.
///
/// Once a deleted pod is cleaned up and its API object released, its pod worker is forgotten:
/// pod_workers.go `SyncKnownPods` (from `HandlePodCleanups`) removes the worker of a pod that has
/// finished terminating and is no longer known (`removeTerminatedWorker`). A pod that is only
/// terminal (Succeeded, not deleted) keeps its worker, which is terminated: `SyncPod` reports the
/// pod terminal, and the pod worker goes on to `SyncTerminatingPod` and `SyncTerminatedPod`.
#[test]
fn a_released_pods_worker_is_forgotten_and_a_terminal_pods_is_kept() {
    let mut w = World::new();
    w.create_pod(running_pod("uid-web", &[("app", "app:1")]));
    let mut job = Pod::new("job", "uid-job", NODE);
    job.spec_mut().restart_policy = RestartPolicy::Never;
    let mut c = Container::new("app", "app:1");
    c.command = vec!["exit".into(), "0".into()];
    job.spec_mut().containers.push(c);
    w.create_pod(job);
    w.run_for(30_000);
    w.delete_pod("uid-web");
    w.run_for(60_000);
    assert!(w.api.released.contains("uid-web"), "released");
    let workers: Vec<(String, WorkerState)> = w.kubelet.workers().map(|(u, s)| (u.to_string(), s)).collect();
    assert_eq!(
        workers,
        vec![("uid-job".to_string(), WorkerState::Terminated)],
        "only the job's worker is left"
    );
}

// ---- sync_run.rs -------------------------------------------------------------------------------------

/// Survivor: `model/src/kubelet/sync_run.rs:79:9: replace Step::is_start -> bool with true`, which
/// showed a disagreement with the kubelet, fixed: when a plain init container fails to start, the
/// runtime's `SyncPod` returns ("Failed to initialize the pod, as the init container failed to start,
/// aborting", kuberuntime_manager.go step 6), so step 7, the in-place resize of a running sidecar
/// planned in the same sync (`doPodResizeAction`), is not carried out; podsim carried it out. Here
/// the sidecar `proxy` runs, the plain init container `setup` cannot start (its Secret is missing),
/// and `proxy` is resized: no `UpdateContainerResources` goes out while `setup` keeps failing.
#[test]
fn a_plain_init_container_that_fails_to_start_stops_the_resize_of_a_sidecar() {
    let mut w = World::new();
    let mut p = Pod::new("web", "uid-web", NODE);
    let mut proxy = Container::new("proxy", "proxy:1");
    proxy.restart_policy = Some(RestartPolicy::Always);
    proxy.resources.requests.cpu = Some(Quantity::parse("500m").unwrap());
    proxy.resources.limits.cpu = Some(Quantity::parse("500m").unwrap());
    p.spec_mut().init_containers.push(proxy);
    let mut setup = Container::new("setup", "setup:1");
    setup.command = vec!["exit".into(), "0".into()];
    setup.env.push(EnvVar {
        name: "TOKEN".into(),
        source: EnvSource::SecretKeyRef { name: "db".into(), key: "t".into(), optional: false },
    });
    p.spec_mut().init_containers.push(setup);
    p.spec_mut().containers.push(Container::new("app", "app:1"));
    w.create_pod(p);
    w.run_for(30_000);
    assert!(w.running("uid-web", "proxy"), "the sidecar runs");
    assert!(w.instances("uid-web", "setup").is_empty(), "the plain init container cannot start");
    w.update_pod("uid-web", |p| {
        let r = &mut p.spec_mut().init_containers[0].resources;
        r.requests.cpu = Some(Quantity::parse("1").unwrap());
        r.limits.cpu = Some(Quantity::parse("1").unwrap());
    });
    w.run_for(60_000);
    assert!(w.instances("uid-web", "setup").is_empty(), "still failing");
    assert_eq!(w.rt.resource_updates.len(), 0, "SyncPod returned before step 7: no resize");
}

// ---- pod_config.rs -----------------------------------------------------------------------------------

/// Survivor: `model/src/kubelet/pod_config.rs:61:56: replace || with && in Kubelet::upsert_pod`.
///
/// The kubelet's pod source takes only the pods bound to its node (config/apiserver.go
/// `NewSourceApiserver` watches with the field selector `spec.nodeName=<node>`): a pod bound to
/// another node that reaches the kubelet on its open watch is not run.
#[test]
fn a_pod_of_another_node_seen_on_the_watch_is_not_run() {
    let mut w = World::new();
    w.create_pod(running_pod("uid-web", &[("app", "app:1")]));
    w.run_for(5_000);
    assert!(w.running("uid-web", "app"), "the watch is open and the node's own pod runs");
    let mut elsewhere = running_pod("uid-elsewhere", &[("app", "app:1")]);
    elsewhere.spec_mut().node_name = "node-2".into();
    w.create_pod(elsewhere);
    w.run_for(30_000);
    assert_eq!(w.anything_left_of("uid-elsewhere"), Vec::<String>::new(), "nothing of it on this node");
    assert!(w.kubelet.workers().all(|(u, _)| u != "uid-elsewhere"), "no pod worker for it");
}

/// Survivor: `model/src/kubelet/pod_config.rs:105:18: replace && with || in Kubelet::upsert_pod`.
///
/// A pod the kubelet first sees already deleted is not probed: the probe manager's `AddPod` comes
/// with the pod's first sync (`SyncPod`: "Ensure the pod is being probed"), and a pod first seen with a
/// deletion timestamp goes straight to `SyncTerminatingPod` (pod_workers.go `UpdatePod`). Here the
/// kubelet restarts while its pod is being deleted: the new kubelet starts no probe worker for it.
#[test]
fn a_pod_first_seen_deleted_gets_no_probe_worker() {
    use podsim_model::io::Timer;
    let mut w = World::new();
    let mut p = running_pod("uid-web", &[("app", "app:1")]);
    let mut probe = podsim_model::pod::Probe::exec(&["workload", "check", "live"]);
    probe.period_seconds = 300;
    p.spec_mut().containers[0].readiness_probe = Some(probe.clone());
    p.spec_mut().containers[0].liveness_probe = Some(probe);
    w.create_pod(p);
    w.run_for(5_000);
    assert!(w.running("uid-web", "app"));
    let probe_timers =
        |w: &World| w.timers.iter().filter(|(_, t, _, _)| matches!(t, Timer::Probe { .. })).count();
    assert_eq!(probe_timers(&w), 2, "the first kubelet started a readiness and a liveness worker");
    w.restart_kubelet();
    w.delete_pod("uid-web");
    w.run_for(60_000);
    assert!(w.api.released.contains("uid-web"), "the new kubelet tore the pod down");
    assert_eq!(probe_timers(&w), 2, "and started no probe worker for it");
}

// ---- prober.rs ---------------------------------------------------------------------------------------

/// Survivor: `model/src/kubelet/prober.rs:160:50: replace < with <= in Kubelet::start_probe_worker`.
///
/// worker.go `run`: a probe worker sleeps a random part of its period before its first probe only
/// while the prober manager started less than a period ago (`probeTickerPeriod >
/// time.Since(w.probeManager.start)`). A worker that starts exactly one period after the kubelet does
/// not wait: its first probe is not a random timer.
#[test]
fn a_probe_worker_started_exactly_one_period_after_the_kubelet_does_not_wait_at_random() {
    use podsim_model::io::Timer;
    let mut w = World::new();
    let mut p = running_pod("uid-web", &[("app", "app:1")]);
    let mut probe = podsim_model::pod::Probe::exec(&["workload", "check", "live"]);
    probe.period_seconds = 10;
    p.spec_mut().containers[0].liveness_probe = Some(probe);
    // The watch delivers the pod 1 ms after its creation: at 10 s, one period after the start at 0.
    w.run_until(9_999);
    w.create_pod(p);
    w.run_for(30_000);
    assert!(w.running("uid-web", "app"));
    assert!(!w.rt.execs.is_empty(), "the liveness worker probes");
    let random = w.timers.iter().filter(|(_, t, _, _)| matches!(t, Timer::Probe { .. })).count();
    assert_eq!(random, 0, "its first probe is not delayed at random");
}

/// Survivor: `model/src/kubelet/prober.rs:240:57: replace != with == in Kubelet::do_probe`.
///
/// worker.go `doProbe`, "Graceful shutdown of the pod": once the pod is deleted, only the liveness
/// and startup workers report a last result and stop; the readiness worker keeps probing while the
/// containers stop. Here a readiness probe that fails keeps the container not ready through its
/// preStop hook's 10 s sleep, and is probed meanwhile.
#[test]
fn a_deleted_pods_readiness_probe_keeps_probing_while_its_container_stops() {
    use podsim_model::pod::LifecycleHandler;
    use podsim_model::ProbeResult;
    let mut w = World::new();
    let mut p = running_pod("uid-web", &[("app", "app:1")]);
    let mut probe = podsim_model::pod::Probe::exec(&["workload", "check", "ready"]);
    probe.period_seconds = 1;
    p.spec_mut().containers[0].readiness_probe = Some(probe);
    p.spec_mut().containers[0].lifecycle.pre_stop = Some(LifecycleHandler::Sleep { seconds: 10 });
    w.rt.exec_exit.insert("app".into(), Some(1));
    w.create_pod(p);
    w.run_for(10_000);
    let id = w.instances("uid-web", "app")[0].id.to_string();
    assert_eq!(w.kubelet.probe_results().readiness(&id), Some(ProbeResult::Failure));
    w.delete_pod("uid-web");
    w.run_for(5_000);
    assert!(w.running("uid-web", "app"), "the preStop hook still sleeps");
    let execs_before = w.rt.execs.len();
    w.run_for(3_000);
    assert!(w.rt.execs.len() > execs_before, "the readiness worker still probes");
    assert_eq!(w.kubelet.probe_results().readiness(&id), Some(ProbeResult::Failure), "still not ready");
}

/// Survivor: `model/src/kubelet/pod_config.rs:69:24: replace match guard w.in_api with true in
/// Kubelet::upsert_pod`.
///
/// A pod the kubelet first knew only from the runtime (its housekeeping kills the runtime pods the
/// API server's list lacks: `HandlePodCleanups`) that then shows up in the API server, being
/// deleted, is a pod of the API from then on: once its containers are gone, the kubelet makes its
/// final delete (the status manager's `canBeDeleted` with the deletion timestamp set), so it does not
/// stay Terminating. Here the restarted kubelet's list lacks the pod (as a list served from a
/// lagging watch cache may), and the pod's directory cannot be removed at first, so its worker is
/// still there when the pod arrives on the watch.
#[test]
fn a_runtime_pod_that_shows_up_in_the_api_deleted_is_released() {
    let mut w = World::new();
    w.create_pod(running_pod("uid-x", &[("app", "app:1")]));
    w.run_for(5_000);
    assert!(w.running("uid-x", "app"));
    let pod = w.api.pods.remove("uid-x").expect("created");
    w.node.stuck_data_dirs.insert("uid-x".into());
    w.restart_kubelet();
    w.run_for(10_000);
    assert!(!w.running("uid-x", "app"), "the runtime pod the list lacks is killed");
    let mut late = pod;
    late.deletion_timestamp = Some(w.now);
    late.deletion_grace_period_seconds = Some(30);
    w.create_pod(late);
    w.run_for(5_000);
    w.node.stuck_data_dirs.remove("uid-x");
    w.run_for(60_000);
    assert!(w.api.released.contains("uid-x"), "the deleted pod's API object is released");
    assert_eq!(w.anything_left_of("uid-x"), Vec::<String>::new());
}

/// The same runtime pod showing up in the API NOT being deleted (the lagging list left it out, the
/// watch brings it) is never deleted by the kubelet: the status manager makes the final delete only
/// of a pod with a deletion timestamp (`canBeDeleted`: `pod.DeletionTimestamp == nil` -> false). Its
/// containers were stopped as an orphan's, and a pod whose worker terminated does not start again
/// (pod_workers.go: a UID that terminated stays terminated); its object stays in the API.
#[test]
fn a_runtime_pod_that_shows_up_in_the_api_not_deleted_is_not_deleted_by_the_kubelet() {
    let mut w = World::new();
    w.create_pod(running_pod("uid-x", &[("app", "app:1")]));
    w.run_for(5_000);
    let pod = w.api.pods.remove("uid-x").expect("created");
    w.node.stuck_data_dirs.insert("uid-x".into());
    w.restart_kubelet();
    w.run_for(10_000);
    assert!(!w.running("uid-x", "app"), "the runtime pod the list lacks is killed");
    w.create_pod(pod);
    w.run_for(5_000);
    w.node.stuck_data_dirs.remove("uid-x");
    w.run_for(60_000);
    let deletes = w.api.requests.iter().filter(|(_, kind)| *kind == "DeletePod").count();
    assert_eq!(deletes, 0, "the kubelet never deletes a pod nobody deleted");
    assert!(w.api.pods.contains_key("uid-x") && !w.api.released.contains("uid-x"));
    assert!(!w.running("uid-x", "app"), "and does not run it again");
}

// ---- resize.rs ---------------------------------------------------------------------------------------

/// Survivors: `model/src/kubelet/resize.rs:81:13: delete match arm CriReply::Err(e) in
/// Kubelet::on_resources_updated` and `model/src/kubelet/resize.rs:79:9: replace
/// Kubelet::on_resources_updated with ()`.
///
/// An `UpdateContainerResources` that fails fails the sync (`doPodResizeAction`'s result is an error,
/// so `SyncPod` returns it), and the pod worker tries again after its back-off period of 10 s
/// (`completeWork`): neither at once, in a loop, nor only at the next periodic resync (a minute).
#[test]
fn a_failed_in_place_resize_is_tried_again_after_the_back_off_period() {
    let mut w = World::new();
    w.create_pod(pod_asking_cpu("web", "1"));
    w.run_for(30_000);
    w.rt.failing_methods.insert("UpdateContainerResources".into());
    resize_cpu(&mut w, "uid-web", "2");
    w.run_for(25_000);
    let updates = w.rt.calls.iter().filter(|c| c.starts_with("UpdateContainerResources")).count();
    assert!((3..=4).contains(&updates), "{updates} updates in 25 s");
}

// ---- allocation.rs -----------------------------------------------------------------------------------

/// `handlePodResourcesResize` weighs a resize against `GetActivePods`, which keeps a deleted pod
/// until the pod workers know it terminated (`filterOutInactivePods`): a pod whose containers are
/// still being stopped holds its resources. On the 4-cpu node, `web` (1 cpu) asking 3 cpus while the
/// deleted 2-cpu `other` cannot be stopped (every `StopContainer` fails) is Deferred; once `other`
/// is stopped and gone, the resize is allocated and carried out.
#[test]
fn a_deleted_pod_still_terminating_holds_its_resources_against_a_resize() {
    let mut w = World::new();
    w.create_pod(pod_asking_cpu("other", "2"));
    w.create_pod(pod_asking_cpu("web", "1"));
    w.run_for(30_000);
    w.rt.failing_methods.insert("StopContainer".into());
    w.delete_pod("uid-other");
    w.run_for(5_000);
    resize_cpu(&mut w, "uid-web", "3");
    w.run_for(30_000);
    assert!(w.running("uid-other", "app"), "the deleted pod's container still runs");
    let pending = w.api.statuses["uid-web"].condition("PodResizePending").cloned().expect("pending");
    assert_eq!(&*pending.reason, "Deferred");
    assert_eq!(
        &*pending.message,
        "Node didn't have enough resource: cpu, requested: 3000, used: 2000, capacity: 4000"
    );
    assert_eq!(w.rt.resource_updates, vec![], "nothing resized while it runs");

    w.rt.failing_methods.clear();
    w.run_for(60_000);
    assert!(w.api.released.contains("uid-other"), "the deleted pod is stopped and released");
    let status = &w.api.statuses["uid-web"];
    assert!(status.condition("PodResizePending").is_none(), "{:?}", status.conditions);
    assert_eq!(w.rt.resource_updates.len(), 1, "resized in place");
}

/// `GetActivePods` leaves out a pod the pod workers know terminated, deleted or not: a Succeeded pod
/// (restartPolicy Never, its container exited 0) that stays in the API holds nothing, and `web`
/// grows from 1 to 3 cpus beside it on the 4-cpu node though the finished pod asked 2.
#[test]
fn a_finished_pod_holds_no_resources_against_a_resize() {
    let mut w = World::new();
    let mut job = pod_asking_cpu("job", "2");
    job.spec_mut().restart_policy = RestartPolicy::Never;
    job.spec_mut().containers[0].command = vec!["exit".into(), "0".into()];
    w.create_pod(job);
    w.create_pod(pod_asking_cpu("web", "1"));
    w.run_for(30_000);
    let finished = w.kubelet.workers().any(|(u, s)| u == "uid-job" && s == WorkerState::Terminated);
    assert!(finished, "the job's worker is terminated");
    assert!(w.api.pods.contains_key("uid-job"), "and its pod stays in the API");
    resize_cpu(&mut w, "uid-web", "3");
    w.run_for(30_000);
    let status = &w.api.statuses["uid-web"];
    assert!(status.condition("PodResizePending").is_none(), "{:?}", status.conditions);
    assert_eq!(w.rt.resource_updates.len(), 1, "resized in place");
}

/// A 2-cpu job (restartPolicy Never) that exits 40 s after it starts, and `web` (1 cpu) asking 3 cpus
/// at 10 s on the 4-cpu node: Deferred while the job runs.
fn web_waiting_for_a_job() -> World {
    let mut w = World::new();
    let mut job = pod_asking_cpu("job", "2");
    job.spec_mut().restart_policy = RestartPolicy::Never;
    job.spec_mut().containers[0].command = vec!["exit".into(), "0".into(), "40000".into()];
    w.create_pod(job);
    w.create_pod(pod_asking_cpu("web", "1"));
    w.run_until(10_000);
    resize_cpu(&mut w, "uid-web", "3");
    w.run_until(15_000);
    assert_eq!(resize_pending(&w, "uid-web").as_deref(), Some("Deferred"));
    w
}

/// The reason of a pod's `PodResizePending`, if it has one.
fn resize_pending(w: &World, uid: &str) -> Option<String> {
    w.api.statuses[uid].condition("PodResizePending").map(|c| c.reason.to_string())
}

/// When a pod's container was resized in place (`UpdateContainerResources`).
fn resized_at(w: &World, uid: &str) -> Vec<Millis> {
    let id = w.instances(uid, "app")[0].id.clone();
    w.rt.resource_updates.iter().filter(|(_, c, _)| *c == *id).map(|(t, _, _)| *t).collect()
}

/// The allocation manager's ticker (`retryDelay`, reset by every retry) tries the pending resizes
/// again 3 minutes after the last retry: a job that finished frees its cpus without any trigger
/// (it stays in the API, Succeeded), so `web`'s resize, last tried at 10 s, is admitted at 3 min 10 s.
#[test]
fn a_deferred_resize_is_tried_again_three_minutes_after_the_last_retry() {
    let mut w = web_waiting_for_a_job();
    w.run_until(189_000);
    assert!(w.kubelet.workers().any(|(u, s)| u == "uid-job" && s == WorkerState::Terminated));
    assert_eq!(resize_pending(&w, "uid-web").as_deref(), Some("Deferred"), "not tried again yet");
    w.run_until(195_000);
    assert_eq!(resize_pending(&w, "uid-web"), None);
    let at = resized_at(&w, "uid-web");
    assert!(at.len() == 1 && (190_000..191_000).contains(&at[0]), "resized at 3 min 10 s: {at:?}");
}

/// Survivor `model/src/kubelet/allocation.rs:265:42: replace += with *= in
/// Kubelet::retry_pending_resizes`. Every retry resets the ticker (`ticker.Reset(retryDelay)`): the
/// next periodic retry is 3 minutes after the LAST retry, whatever triggered it. Here `db`'s image
/// update at 30 s retries the pending resizes (`HandlePodUpdates`), so `web`'s resize, deferred at
/// 10 s while the job ran, is admitted at 3 min 30 s, not at 3 min 10 s.
#[test]
fn every_retry_resets_the_resize_ticker() {
    let mut w = web_waiting_for_a_job();
    w.create_pod(pod_asking_cpu("db", "1"));
    w.run_until(30_000);
    w.update_pod("uid-db", |p| p.spec_mut().containers[0].set_image("app:2"));
    w.run_until(209_000);
    assert!(w.kubelet.workers().any(|(u, s)| u == "uid-job" && s == WorkerState::Terminated));
    assert_eq!(resize_pending(&w, "uid-web").as_deref(), Some("Deferred"), "not at 3 min 10 s");
    w.run_until(215_000);
    let at = resized_at(&w, "uid-web");
    assert!(at.len() == 1 && (210_000..211_000).contains(&at[0]), "resized at 3 min 30 s: {at:?}");
}

/// Survivors: `model/src/kubelet/allocation.rs:290:9: replace Kubelet::check_pod_resize_in_progress
/// with ()`, `292:37: replace && with ||` and `292:40: delete !` (in it).
///
/// kubelet.go `SyncPod`: when `CheckPodResizeInProgress` finds a resize completed, the pending
/// resizes are tried again (`RetryPendingResizes(TriggerReasonPodResized)`), not only at the next
/// tick. Here `db`'s resize down to 500m is allocated at 20 s but cannot be carried out until 50 s
/// (`UpdateContainerResources` fails); the job finished meanwhile; once `db`'s resize completes,
/// `web`'s deferred resize is tried again and admitted, well before the ticker's 3 minutes.
#[test]
fn a_completed_resize_tries_the_pending_ones_again() {
    let mut w = web_waiting_for_a_job();
    w.create_pod(pod_asking_cpu("db", "1"));
    w.run_until(19_000);
    w.rt.failing_methods.insert("UpdateContainerResources".into());
    resize_cpu(&mut w, "uid-db", "500m");
    w.run_until(50_000);
    assert!(w.api.statuses["uid-db"].condition("PodResizeInProgress").is_some());
    assert_eq!(resize_pending(&w, "uid-web").as_deref(), Some("Deferred"));
    w.rt.failing_methods.clear();
    w.run_until(180_000);
    assert!(w.api.statuses["uid-db"].condition("PodResizeInProgress").is_none(), "db's resize completed");
    assert_eq!(resize_pending(&w, "uid-web"), None, "web's resize admitted");
    let at = resized_at(&w, "uid-web");
    assert_eq!(at.len(), 1, "resized once, before the ticker's retry at 3 min 20 s: {at:?}");
    assert!(resized_at(&w, "uid-db")[0] <= at[0], "after db's resize");
}

/// Survivor: `model/src/kubelet/allocation.rs:221:54: replace == with != in
/// Kubelet::on_pod_updated_for_resize`.
///
/// `PushPendingResize` queues a resized pod unless it is queued already; every queued resize is then
/// tried (`RetryPendingResizes`). A pod's resize that fits is allocated and carried out though another
/// pod's resize waits, Deferred, in the queue: on the 4-cpu node with pods of 1, 1 and 2 cpus, `b`
/// asking 3 cpus is Deferred, and `c` going down to 500m is resized at once.
#[test]
fn a_resize_that_fits_is_carried_out_beside_a_deferred_one() {
    let mut w = World::new();
    for (name, cpu) in [("b", "1"), ("c", "1"), ("d", "2")] {
        w.create_pod(pod_asking_cpu(name, cpu));
    }
    w.run_for(30_000);
    resize_cpu(&mut w, "uid-b", "3");
    w.run_for(5_000);
    let pending = |w: &World, uid: &str| {
        w.api.statuses[uid].condition("PodResizePending").map(|c| c.reason.to_string())
    };
    assert_eq!(pending(&w, "uid-b").as_deref(), Some("Deferred"));
    resize_cpu(&mut w, "uid-c", "500m");
    w.run_for(10_000);
    assert_eq!(pending(&w, "uid-c"), None, "c's resize is not pending");
    let c = w.instances("uid-c", "app")[0].resources.clone().expect("the runtime reports c's resources");
    assert_eq!(c.cpu_limit.map(|q| q.milli_value()), Some(500), "c runs with 500m");
    assert_eq!(pending(&w, "uid-b").as_deref(), Some("Deferred"), "b still waits");
}

// ---- housekeeping.rs ---------------------------------------------------------------------------------

/// Survivor: `model/src/kubelet/housekeeping.rs:40:41: replace || with && in
/// Kubelet::handle_pod_cleanups`.
///
/// `HandlePodCleanups` waits for the pod sources' first list (`sourcesReady`) as well as for the
/// runtime's: a kubelet restarted while the API server is out of reach knows no pod yet, and must
/// not take the pods it finds running for orphans. Here they run on through 30 s of the outage, and
/// once the list arrives nothing is restarted.
#[test]
fn a_kubelet_restarted_during_an_api_outage_kills_nothing() {
    let mut w = World::new();
    w.create_pod(running_pod("uid-web", &[("app", "app:1")]));
    w.run_for(5_000);
    let before: Vec<String> = w.rt.containers.iter().map(|(_, c, _)| c.id.to_string()).collect();
    w.partition();
    w.restart_kubelet();
    w.run_for(30_000);
    let stops = w.rt.calls.iter().filter(|c| c.starts_with("Stop")).count();
    assert_eq!(stops, 0, "nothing stopped before the pods are listed: {:?}", w.rt.calls);
    w.heal();
    w.run_for(30_000);
    let after: Vec<String> = w.rt.containers.iter().map(|(_, c, _)| c.id.to_string()).collect();
    assert_eq!(before, after, "nothing was restarted or added");
    assert!(w.running("uid-web", "app"));
}

/// Survivor: `model/src/kubelet/housekeeping.rs:40:64: replace || with && in
/// Kubelet::handle_pod_cleanups`.
///
/// `HandlePodCleanups` also waits for the runtime cache (the PLEG's first relist): before it, a pod
/// directory without an API pod looks orphaned though its containers may still run. Here a pod
/// force-deleted while the kubelet was down still runs; the restarted kubelet cannot list containers
/// for 10 s. Once it can, the runtime pod is found and killed (`StopContainer`) before anything of it
/// is removed, and its directory goes after.
#[test]
fn orphans_are_cleaned_up_only_after_the_runtime_is_listed() {
    let mut w = World::new();
    w.create_pod(running_pod("uid-web", &[("app", "app:1")]));
    w.run_for(5_000);
    w.api.pods.remove("uid-web");
    w.rt.failing_methods.insert("ListContainers".into());
    w.restart_kubelet();
    w.run_for(10_000);
    w.rt.failing_methods.clear();
    w.run_for(20_000);
    let stop = w.rt.calls.iter().position(|c| c.starts_with("StopContainer"));
    let remove = w.rt.calls.iter().position(|c| c.starts_with("RemoveContainer"));
    assert!(stop.is_some() && stop < remove, "stopped, then removed: {:?}", w.rt.calls);
    assert_eq!(w.anything_left_of("uid-web"), Vec::<String>::new(), "the orphan is gone");
}

/// Survivors: `model/src/kubelet/housekeeping.rs:108:12: delete ! in
/// Kubelet::claim_reconstructed_mounts` and `model/src/kubelet/housekeeping.rs:127:20: delete ! in
/// Kubelet::on_pod_dirs`.
///
/// The coverage probe `startup.mounts_reconstructed` counts the pods whose mounted volumes a
/// restarted kubelet found on disk (the volume manager's reconstruction), wherever the pod's worker
/// takes them: a pod with an emptyDir volume counts once; a pod without volumes, whose directory holds
/// none, does not count.
#[test]
fn only_a_pod_with_mounted_volumes_counts_as_reconstructed() {
    use podsim_model::coverage::Probe;
    use podsim_model::pod::{Volume, VolumeMount, VolumeSource};
    let reconstructed_after_a_restart = |with_volume: bool| {
        let mut w = World::new();
        let mut p = running_pod("uid-web", &[("app", "app:1")]);
        if with_volume {
            p.spec_mut().volumes.push(Volume { name: "cache".into(), source: VolumeSource::EmptyDir });
            p.spec_mut().containers[0]
                .volume_mounts
                .push(VolumeMount { name: "cache".into(), mount_path: "/cache".into() });
        }
        w.create_pod(p);
        w.run_for(5_000);
        assert!(w.node.data_dirs.contains("uid-web"), "the pod has its directory");
        w.restart_kubelet();
        w.run_for(10_000);
        assert!(w.running("uid-web", "app"));
        w.kubelet.probes().count(Probe::StartupMountsReconstructed)
    };
    assert_eq!(reconstructed_after_a_restart(true), 1);
    assert_eq!(reconstructed_after_a_restart(false), 0);
}

// ---- terminated.rs -----------------------------------------------------------------------------------

/// Survivor: `model/src/kubelet/terminated.rs:104:9: replace Kubelet::on_released with ()`.
///
/// Once the kubelet's final delete of a pod succeeded, the pod is done with for good: a stale version
/// of it that still reaches the kubelet afterwards (here the test world sends the pod's last version
/// again, as a replayed watch event would) is not run again (pod_workers.go `UpdatePod` on a finished
/// pod: "Pod is finished processing, no further updates"), and the release is counted once
/// (`terminate.released`).
#[test]
fn a_released_pod_is_not_run_again_by_a_stale_event() {
    use podsim_model::coverage::Probe;
    let mut w = World::new();
    w.create_pod(running_pod("uid-web", &[("app", "app:1")]));
    w.run_for(30_000);
    w.delete_pod("uid-web");
    let last = w.api.pods["uid-web"].clone();
    w.run_for(60_000);
    assert!(w.api.released.contains("uid-web"));
    assert_eq!(w.kubelet.probes().count(Probe::TerminateReleased), 1);
    let mut stale = last;
    stale.deletion_timestamp = None;
    stale.deletion_grace_period_seconds = None;
    w.create_pod(stale);
    w.run_for(30_000);
    assert_eq!(w.anything_left_of("uid-web"), Vec::<String>::new(), "the released pod is not run again");
}

/// Survivor: `model/src/kubelet/prober.rs:387:45: replace && with || in container_status`.
///
/// worker.go `doProbe` finds its own container's status by name (`podutil.GetContainerStatus`):
/// the readiness worker of the second container probes that container, not the first one.
#[test]
fn a_probe_worker_probes_its_own_container() {
    use podsim_model::ProbeResult;
    let mut w = World::new();
    let mut p = running_pod("uid-web", &[("app", "app:1"), ("side", "side:1")]);
    let mut probe = podsim_model::pod::Probe::exec(&["workload", "check", "ready"]);
    probe.period_seconds = 1;
    p.spec_mut().containers[1].readiness_probe = Some(probe);
    w.create_pod(p);
    w.run_for(10_000);
    assert!(!w.rt.execs.is_empty(), "the readiness worker probes");
    assert!(w.rt.execs.iter().all(|(_, name)| name == "side"), "{:?}", w.rt.execs);
    let side = w.instances("uid-web", "side")[0].id.to_string();
    assert_eq!(w.kubelet.probe_results().readiness(&side), Some(ProbeResult::Success));
}

/// Survivor: `model/src/kubelet/prober.rs:396:5: replace will_run_again -> bool with true`.
///
/// worker.go `doProbe`: a probe worker whose container is not running and will not run again (it
/// exited and its restart policy does not restart it) stops, and its result is removed with it
/// (`run`'s deferred `resultsManager.Remove`); the pod's other container runs on.
#[test]
fn the_probe_worker_of_a_container_that_will_not_run_again_stops() {
    use podsim_model::ProbeResult;
    let mut w = World::new();
    let mut p = running_pod("uid-web", &[("app", "app:1"), ("keep", "keep:1")]);
    p.spec_mut().restart_policy = RestartPolicy::Never;
    p.spec_mut().containers[0].command = vec!["exit".into(), "0".into(), "5000".into()];
    let mut probe = podsim_model::pod::Probe::exec(&["workload", "check", "ready"]);
    probe.period_seconds = 1;
    p.spec_mut().containers[0].readiness_probe = Some(probe);
    w.create_pod(p);
    w.run_for(4_000);
    let app = w.instances("uid-web", "app")[0].id.to_string();
    assert_eq!(w.kubelet.probe_results().readiness(&app), Some(ProbeResult::Success));
    w.run_for(10_000);
    assert!(!w.running("uid-web", "app") && w.running("uid-web", "keep"));
    assert_eq!(w.kubelet.probe_results().readiness(&app), None, "the worker stopped, its result is gone");
}

/// Survivors: `model/src/kubelet/prober.rs:396:5: replace will_run_again -> bool with false` and
/// `model/src/kubelet/prober.rs:397:100: replace == with != in will_run_again`.
///
/// worker.go `doProbe`: the probe worker of a container that exited but will run again keeps going
/// (`podutil.ContainerShouldRestart`; a sidecar always restarts, whatever the pod's restart policy),
/// and probes the new instance. Here a sidecar of a `Never` pod exits and is restarted: its readiness
/// worker probes the new instance, which turns ready.
#[test]
fn the_probe_worker_of_a_sidecar_that_exited_probes_its_next_instance() {
    let mut w = World::new();
    let mut p = running_pod("uid-web", &[("app", "app:1")]);
    p.spec_mut().restart_policy = RestartPolicy::Never;
    let mut proxy = Container::new("proxy", "proxy:1");
    proxy.restart_policy = Some(RestartPolicy::Always);
    exit_after_3s_with_a_readiness_probe(&mut proxy);
    p.spec_mut().init_containers.push(proxy);
    w.create_pod(p);
    assert_the_restarted_instance_turns_ready(&mut w, "proxy");
}

/// `c` exits 1 three seconds after each start, and has a readiness probe every second.
fn exit_after_3s_with_a_readiness_probe(c: &mut Container) {
    c.command = vec!["exit".into(), "1".into(), "3000".into()];
    let mut probe = podsim_model::pod::Probe::exec(&["workload", "check", "ready"]);
    probe.period_seconds = 1;
    c.readiness_probe = Some(probe);
}

/// Runs 6.5 s: `name` of `uid-web` exits at 3 s and is restarted at once (no back-off yet), at 4 s;
/// its readiness worker went on and finds the new instance ready.
fn assert_the_restarted_instance_turns_ready(w: &mut World, name: &str) {
    w.run_for(6_500);
    assert_eq!(w.start_times("uid-web", name).len(), 2, "{name} was restarted");
    assert!(w.running("uid-web", name));
    let newest = w.instances("uid-web", name)[0].id.to_string();
    assert_eq!(w.kubelet.probe_results().readiness(&newest), Some(podsim_model::ProbeResult::Success));
}

/// Survivor: `model/src/kubelet/prober.rs:399:43: replace || with && in will_run_again`.
///
/// The same for a regular container of an `Always` pod (`podutil.ContainerShouldRestart`): its
/// readiness worker goes on through the container's exit and probes the restarted instance.
#[test]
fn the_probe_worker_of_a_regular_container_that_exited_probes_its_next_instance() {
    let mut w = World::new();
    let mut p = running_pod("uid-web", &[("app", "app:1")]);
    exit_after_3s_with_a_readiness_probe(&mut p.spec_mut().containers[0]);
    w.create_pod(p);
    assert_the_restarted_instance_turns_ready(&mut w, "app");
}

// ---- restart_all.rs ----------------------------------------------------------------------------------

/// Survivors: `model/src/kubelet/restart_all.rs:85:5: replace restart_all_cleared -> bool with true`,
/// `... with false`, `model/src/kubelet/restart_all.rs:85:36: replace && with || in
/// restart_all_cleared` and `model/src/kubelet/restart_all.rs:85:39: delete ! in restart_all_cleared`.
///
/// An in-place restart of every container (KEP-5532) ends when the status the kubelet generates no
/// longer holds `AllContainersRestarting=True` after one that did (`generateAPIPodStatus`: the
/// condition turns False once no container is left, `AllContainersRestartCleanedUp`); podsim counts
/// that end once per restart (`status.restart_all_cleared`), and never for a pod that does not
/// restart its containers.
#[test]
fn the_end_of_an_in_place_restart_of_every_container_is_counted_once() {
    use podsim_model::coverage::Probe;
    use podsim_model::pod::{ContainerRestartRule, ExitCodes, ExitCodesOperator, RestartRuleAction};
    let mut w = World::new();
    w.create_pod(running_pod("uid-web", &[("app", "app:1")]));
    let mut p = Pod::new("job", "uid-job", NODE);
    p.spec_mut().restart_policy = RestartPolicy::Never;
    let mut trigger = Container::new("trigger", "t:1");
    trigger.command = vec!["exit".into(), "42".into(), "8000".into()];
    trigger.restart_policy = Some(RestartPolicy::Never);
    trigger.restart_policy_rules = vec![ContainerRestartRule {
        action: RestartRuleAction::RestartAllContainers,
        exit_codes: ExitCodes { operator: ExitCodesOperator::In, values: vec![42] },
    }];
    p.spec_mut().containers.push(trigger);
    p.spec_mut().containers.push(Container::new("worker", "w:1"));
    w.create_pod(p);
    w.run_for(7_000);
    assert_eq!(w.kubelet.probes().count(Probe::StatusRestartAllCleared), 0, "nothing restarted yet");
    w.run_for(7_000);
    assert_eq!(w.start_times("uid-job", "worker").len(), 2, "every container was restarted once");
    assert_eq!(w.kubelet.probes().count(Probe::StatusRestartAllCleared), 1);
}

// ---- status_manager.rs ---------------------------------------------------------------------------------

/// Survivors: `model/src/kubelet/status_manager.rs:77:85: replace > with == in Kubelet::report_status`
/// and `model/src/kubelet/status_manager.rs:77:85: replace > with < in Kubelet::report_status`.
///
/// active_deadline.go `ShouldSync`: the sync loop's one-second tick dispatches a sync of a pod once
/// its `activeDeadlineSeconds` have passed, so the pod is Failed (`DeadlineExceeded`) within about a
/// second of its deadline, not at its next periodic resync.
#[test]
fn a_pod_is_failed_within_a_second_or_two_of_its_active_deadline() {
    use podsim_model::PodPhase;
    let mut w = World::new();
    let mut p = running_pod("uid-web", &[("app", "app:1")]);
    p.spec_mut().active_deadline_seconds = Some(5);
    w.create_pod(p);
    w.run_for(4_000);
    assert_eq!(w.api.statuses["uid-web"].phase, PodPhase::Running);
    w.run_for(3_000);
    let status = &w.api.statuses["uid-web"];
    assert_eq!((status.phase, status.reason.as_str()), (PodPhase::Failed, "DeadlineExceeded"));
}

/// Survivor: `model/src/kubelet/status_manager.rs:141:49: replace + with - in
/// Kubelet::on_status_reply`.
///
/// A status write that fails is sent again by the status manager's periodic sync (`syncBatch`, every
/// 10 s: `syncPeriod`), not at once: while the API server refuses the writes, the kubelet asks about
/// once per 10 s, and the status lands once it accepts them.
#[test]
fn a_failed_status_write_is_sent_again_by_the_next_periodic_sync() {
    let mut w = World::new();
    let mut p = running_pod("uid-web", &[("app", "app:1")]);
    p.spec_mut().containers[0].command = vec!["exit".into(), "3".into(), "30000".into()];
    p.spec_mut().restart_policy = RestartPolicy::Never;
    w.create_pod(p);
    w.run_for(20_000);
    w.api.failing_requests.insert("UpdatePodStatus");
    let before = w.api.requests.len();
    w.run_for(25_000);
    let writes = w.api.requests[before..].iter().filter(|(_, kind)| *kind == "UpdatePodStatus").count();
    assert!((1..=4).contains(&writes), "{writes} status writes in 25 s");
    w.api.failing_requests.clear();
    w.run_for(15_000);
    assert_eq!(w.api.statuses["uid-web"].phase, podsim_model::PodPhase::Failed, "the exit's status lands");
}

// ---- sync_pod.rs -------------------------------------------------------------------------------------

/// Drives a kubelet by hand through its first sync of `pod`: the API server lists it, the node and
/// the runtime answer every request at once with nothing in them. Returns every output.
fn first_sync_outputs(pod: Pod) -> Vec<podsim_model::io::Output> {
    use podsim_model::io::{ApiReply, ApiRequest, CriReply, CriRequest, Input, NodeReply, Output};
    use podsim_model::{Kubelet, KubeletConfig};
    let mut kubelet = Kubelet::new(KubeletConfig::new(NODE));
    let mut all = Vec::new();
    let mut inputs = vec![Input::Start];
    let mut now = 0;
    while let Some(input) = inputs.pop() {
        now += 1;
        assert!(now < 1_000, "the first sync ends");
        for output in kubelet.handle(now, input) {
            match &output {
                Output::Api { call, request: ApiRequest::ListPods { .. } } => inputs.push(Input::Api {
                    call: *call,
                    reply: ApiReply::PodList { pods: vec![pod.clone()], resource_version: 1 },
                }),
                Output::Node { call, request } => {
                    let reply = match request {
                        podsim_model::io::NodeRequest::ListPodDirs => NodeReply::PodDirs(Vec::new()),
                        _ => NodeReply::Ok,
                    };
                    inputs.push(Input::Node { call: *call, reply });
                }
                Output::Cri { call, request: CriRequest::ListPodSandbox { .. } } => {
                    inputs.push(Input::Cri { call: *call, reply: CriReply::Sandboxes(Vec::new().into()) })
                }
                Output::Cri { call, request: CriRequest::ListContainers { .. } } => {
                    inputs.push(Input::Cri { call: *call, reply: CriReply::Containers(Vec::new().into()) })
                }
                _ => {}
            }
            all.push(output);
        }
    }
    all
}

/// Survivor: `model/src/kubelet/sync_pod.rs:185:12: delete ! in Kubelet::plan`.
///
/// The first sync of a new pod plans its sandbox and its container (`computePodActions`:
/// `CreateSandbox`, `ContainersToStart`), and podsim's trace shows that plan as a `Planned` decision
/// (a plan that does nothing is not shown).
#[test]
fn the_first_sync_of_a_pod_shows_its_plan() {
    use podsim_model::io::{Decision, Output};
    let outputs = first_sync_outputs(running_pod("uid-web", &[("app", "app:1")]));
    let plans: Vec<&podsim_model::PodActions> = outputs
        .iter()
        .filter_map(|o| match o {
            Output::Decision(Decision::Planned { pod_uid, actions }) if pod_uid == "uid-web" => Some(actions),
            _ => None,
        })
        .collect();
    assert_eq!(plans.len(), 1, "{outputs:?}");
    assert!(plans[0].create_sandbox, "{:?}", plans[0]);
    assert_eq!(plans[0].containers_to_start, vec![0]);
}

/// Survivor: `model/src/kubelet/prober.rs:342:17: replace || with && in Kubelet::take_probe_result`.
///
/// worker.go `doProbe`: a liveness failure puts the worker on hold ("Stop probing until we see a new
/// container ID", to keep exec away from a container being stopped): while the failed container's
/// preStop hook sleeps 10 s before it is stopped, it is not probed again.
#[test]
fn a_liveness_failure_stops_the_probes_of_that_container() {
    use podsim_model::pod::LifecycleHandler;
    let mut w = World::new();
    let mut p = running_pod("uid-web", &[("app", "app:1")]);
    let mut probe = podsim_model::pod::Probe::exec(&["workload", "check", "live"]);
    probe.period_seconds = 1;
    probe.failure_threshold = 1;
    p.spec_mut().containers[0].liveness_probe = Some(probe);
    p.spec_mut().containers[0].lifecycle.pre_stop = Some(LifecycleHandler::Sleep { seconds: 10 });
    w.create_pod(p);
    w.run_for(5_000);
    let first = w.instances("uid-web", "app")[0].id.to_string();
    w.rt.exec_exit.insert("app".into(), Some(1));
    let before = w.rt.execs.len();
    w.run_for(6_000);
    assert!(w.running("uid-web", "app"), "the failed container's preStop hook still sleeps");
    assert_eq!(w.instances("uid-web", "app")[0].id.as_str(), first);
    assert_eq!(w.rt.execs.len(), before + 1, "one failed probe, then none while it is stopped");
}

// ---- secret_manager.rs -------------------------------------------------------------------------------

/// Survivors: `model/src/kubelet/secret_manager.rs:198:9: replace SecretManager::is_registered -> bool
/// with true` and `model/src/kubelet/secret_manager.rs:308:31: replace match guard
/// self.config.bugs.has(KubeletBug::SecretReleasedOnPodUpdate) with false in Kubelet::register_secrets`
/// (the bug variant must release the Secret).
///
/// The watch-based Secret manager's `Get` of a Secret no registered pod references fails at once
/// ("object not registered"), without waiting for a cache. With the bug variant
/// `secret-released-on-pod-update` (kubernetes#52044) an update of the pod releases its Secret, so
/// when its container is restarted afterwards, its config fails (`CreateContainerConfigError`) in the
/// same instant the start is tried, not a second later.
#[test]
fn a_get_of_a_secret_no_pod_registers_fails_at_once() {
    use podsim_model::kubelet::bugs::KubeletBug;
    use podsim_model::KubeletConfig;
    let mut config = KubeletConfig::new(NODE);
    config.bugs = config.bugs.with(KubeletBug::SecretReleasedOnPodUpdate);
    let mut w = World::with_config(config);
    w.create_secret("db");
    let mut p = running_pod("uid-web", &[("app", "app:1")]);
    p.spec_mut().containers[0].command = vec!["exit".into(), "1".into(), "20000".into()];
    p.spec_mut().containers[0].env.push(EnvVar {
        name: "TOKEN".into(),
        source: EnvSource::SecretKeyRef { name: "db".into(), key: "t".into(), optional: false },
    });
    w.create_pod(p);
    w.run_for(5_000);
    assert!(w.running("uid-web", "app"));
    w.update_pod("uid-web", |p| p.spec_mut().active_deadline_seconds = Some(3_600));
    w.run_for(30_000);
    let failed: Vec<u64> = w
        .recorded_of("uid-web")
        .into_iter()
        .filter(|(_, _, _, reason, _)| reason == "Failed")
        .map(|(t, _, _, _, _)| t)
        .collect();
    assert!(!failed.is_empty(), "the restart's config fails: {:?}", w.recorded_of("uid-web"));
    let sync = w.syncs_of("uid-web").into_iter().filter(|&t| t <= failed[0]).max().unwrap();
    assert!(failed[0] - sync < 100, "the Get failed at {} ms, in the sync of {sync} ms", failed[0]);
}

/// Survivor: `model/src/kubelet/secret_manager.rs:151:9: replace SecretManager::new_generation -> u64
/// with 1`.
///
/// A Secret's cache item that no pod references any more is stopped and forgotten
/// (`DeleteReference`), its reflector with it: a backoff timer of that old reflector that fires after
/// another pod registered the same Secret does not drive the new reflector, whose lists follow its
/// own backoff (800 ms, doubling: client-go's reflector backoff manager). Here every watch of the
/// Secret fails, so each reflector lists, backs off and lists again.
#[test]
fn a_forgotten_secret_reflectors_timer_does_not_drive_the_next_one() {
    let mut w = World::new();
    w.create_secret("db");
    w.api.failing_requests.insert("WatchSecret");
    let reading = |name: &str| {
        let mut p = running_pod(&format!("uid-{name}"), &[("app", "app:1")]);
        p.spec_mut().containers[0].env.push(EnvVar {
            name: "TOKEN".into(),
            source: EnvSource::SecretKeyRef { name: "db".into(), key: "t".into(), optional: false },
        });
        p
    };
    w.create_pod(reading("a"));
    w.run_for(20_000);
    assert!(w.running("uid-a", "app"));
    w.delete_pod("uid-a");
    w.run_for(300);
    assert!(w.api.released.contains("uid-a"));
    let registered_at = w.now;
    w.create_pod(reading("b"));
    w.run_for(10_000);
    let lists: Vec<u64> = w
        .api
        .requests
        .iter()
        .filter(|(t, kind)| *kind == "ListSecret" && *t > registered_at)
        .map(|(t, _)| t - registered_at)
        .collect();
    assert!(w.running("uid-b", "app"));
    // The new reflector lists at once, then 800 ms, 1.6 s and 3.2 s after each failed watch (each
    // list and watch takes 1 ms); no list comes at the old reflector's times.
    assert_eq!(lists, vec![1, 803, 2_405, 5_607]);
}

/// Survivors: `model/src/kubelet/prober.rs:90:9: replace Prober::generation -> u64 with 0`,
/// `model/src/kubelet/prober.rs:90:9: replace Prober::generation -> u64 with 1`,
/// `model/src/kubelet/prober.rs:90:30: replace += with *= in Prober::generation` and
/// `model/src/kubelet/prober.rs:200:39: replace || with && in Kubelet::on_probe_timer`.
///
/// A probe worker that was stopped takes its ticks with it (worker.go `run` returns): when a relist
/// lacked a pod (as one served from a lagging watch cache may) and the pod then comes back on the
/// watch, the liveness worker made again for it probes once per period, not also on the old
/// worker's ticks. Here the pod's container is kept running by its preStop hook meanwhile.
#[test]
fn a_probe_worker_made_again_probes_once_per_period() {
    use podsim_model::pod::LifecycleHandler;
    let mut w = World::new();
    let mut p = running_pod("uid-web", &[("app", "app:1")]);
    let mut probe = podsim_model::pod::Probe::exec(&["workload", "check", "live"]);
    probe.period_seconds = 1;
    p.spec_mut().containers[0].liveness_probe = Some(probe);
    p.spec_mut().containers[0].lifecycle.pre_stop = Some(LifecycleHandler::Sleep { seconds: 30 });
    w.create_pod(p);
    w.run_for(10_500);
    let pod = w.api.pods.remove("uid-web").expect("created");
    w.end_pod_watch(true);
    let terminating =
        |w: &World| w.kubelet.workers().any(|(u, s)| u == "uid-web" && s == WorkerState::Terminating);
    let limit = w.now + 5_000;
    while !terminating(&w) {
        assert!(w.now < limit, "the relist without the pod terminates it");
        w.run_for(1);
    }
    w.create_pod(pod);
    w.run_for(500);
    let before = w.rt.execs.len();
    w.run_for(5_000);
    assert!(w.running("uid-web", "app"), "its preStop hook keeps it running");
    let execs = w.rt.execs.len() - before;
    assert!((4..=6).contains(&execs), "{execs} probes in 5 s");
}

// ---- reflector.rs ------------------------------------------------------------------------------------

/// Survivors: `model/src/kubelet/reflector.rs:122:21: replace += with *= in ListWatch::on_event` and
/// `model/src/kubelet/reflector.rs:132:33: replace && with || in ListWatch::on_closed`.
///
/// client-go's reflector (`handleAnyWatch`) takes a watch that ends as an error ("very short watch")
/// only when it lasted less than a second AND delivered no event; any other watch that ends normally
/// is opened again at once, from the last resource version, without a list. Here a watch that
/// delivered nothing for a minute, then one that delivered a pod within its first half second, both
/// end normally: each is reopened at once, and the kubelet lists its pods only once, at its start.
#[test]
fn a_watch_that_lasted_or_delivered_an_event_is_reopened_without_a_list() {
    let mut w = World::new();
    w.run_for(60_000);
    let count = |w: &World, kind: &str| w.api.requests.iter().filter(|(_, k)| *k == kind).count();
    assert_eq!((count(&w, "ListPods"), count(&w, "WatchPods")), (1, 1));
    w.end_pod_watch(false);
    w.run_for(10);
    assert_eq!((count(&w, "ListPods"), count(&w, "WatchPods")), (1, 2), "a quiet minute-long watch");
    w.run_for(90);
    w.create_pod(running_pod("uid-web", &[("app", "app:1")]));
    w.run_for(400);
    w.end_pod_watch(false);
    w.run_for(10);
    assert_eq!((count(&w, "ListPods"), count(&w, "WatchPods")), (1, 3), "a short watch with an event");
    w.run_for(5_000);
    assert!(w.running("uid-web", "app"));
}

/// Survivor: `model/src/kubelet/reflector.rs:132:66: replace < with <= in ListWatch::on_closed`.
///
/// `handleAnyWatch`'s "very short watch" is one that lasted LESS than a second (`watchDuration <
/// time.Second`): a watch without events that ends exactly a second after it opened is reopened at
/// once, without a list.
#[test]
fn a_watch_that_ends_exactly_a_second_after_it_opened_is_reopened_without_a_list() {
    let mut w = World::new();
    w.run_for(5_000);
    let count = |w: &World, kind: &str| w.api.requests.iter().filter(|(_, k)| *k == kind).count();
    let asked = w.api.requests.iter().rev().find(|(_, k)| *k == "WatchPods").map(|(t, _)| *t).unwrap();
    // The watch was established when its reply came, 1 ms after it was asked; it ends 1 s after that
    // (the kubelet hears of the end 1 ms after the API server ends it).
    let opened = asked + 1;
    w.run_until(opened + 999);
    w.end_pod_watch(false);
    w.run_for(10);
    assert_eq!((count(&w, "ListPods"), count(&w, "WatchPods")), (1, 2));
}

/// Survivor: `model/src/kubelet/secret_manager.rs:308:31: replace match guard
/// self.config.bugs.has(KubeletBug::SecretReleasedOnPodUpdate) with true in Kubelet::register_secrets`.
///
/// Without the bug variant, an update of a pod keeps the Secrets its new version still references
/// registered (`RegisterPod` then `UnregisterPod` of the previous version's Secrets only where they
/// differ, kubernetes#52044): the pod's container, restarted after the update, gets its Secret and
/// runs again.
#[test]
fn an_updated_pods_secret_stays_registered_for_its_next_start() {
    let mut w = World::new();
    w.create_secret("db");
    let mut p = running_pod("uid-web", &[("app", "app:1")]);
    p.spec_mut().containers[0].command = vec!["exit".into(), "1".into(), "20000".into()];
    p.spec_mut().containers[0].env.push(EnvVar {
        name: "TOKEN".into(),
        source: EnvSource::SecretKeyRef { name: "db".into(), key: "t".into(), optional: false },
    });
    w.create_pod(p);
    w.run_for(5_000);
    w.update_pod("uid-web", |p| p.spec_mut().active_deadline_seconds = Some(3_600));
    w.run_for(20_000);
    assert_eq!(w.start_times("uid-web", "app").len(), 2, "restarted after its exit");
    assert!(w.running("uid-web", "app"));
}

/// Survivor: `model/src/kubelet/reflector.rs:252:30: replace match guard gone with true in
/// Kubelet::on_pod_watch_closed`.
///
/// A very short pod watch (ended within a second, no event) backs off and lists again, and podsim
/// counts it as such (`reflector.short_watch`), not as a watch the server ended with 410 Gone
/// (`reflector.watch_gone`).
#[test]
fn a_very_short_pod_watch_is_counted_as_short_not_gone() {
    use podsim_model::coverage::Probe;
    let mut w = World::new();
    w.run_for(5_000);
    w.end_pod_watch(false);
    w.run_for(2);
    w.end_pod_watch(false);
    w.run_for(5_000);
    let probes = w.kubelet.probes();
    assert_eq!((probes.count(Probe::ReflectorShortWatch), probes.count(Probe::ReflectorWatchGone)), (1, 0));
    let lists = w.api.requests.iter().filter(|(_, k)| *k == "ListPods").count();
    assert_eq!(lists, 2, "the short watch was followed by a list");
}

/// A pod whose container reads the Secret `db`.
fn pod_reading_db() -> Pod {
    let mut p = running_pod("uid-web", &[("app", "app:1")]);
    p.spec_mut().containers[0].env.push(EnvVar {
        name: "TOKEN".into(),
        source: EnvSource::SecretKeyRef { name: "db".into(), key: "t".into(), optional: false },
    });
    p
}

/// Survivors: `model/src/kubelet/secret_manager.rs:383:9: replace Kubelet::on_secret_watch_closed with
/// ()` and `model/src/kubelet/secret_manager.rs:368:19: replace == with != in
/// Kubelet::on_secret_watch_reply`.
///
/// A Secret's reflector whose watch broke (here the network to the API server is cut) watches again
/// (client-go's reflector: `ListAndWatch` returns, and `BackoffUntil` runs it again), so once the
/// network is back the Secret is watched anew; none of this is a 410 Gone
/// (`secret.watch_gone` is not counted).
#[test]
fn a_secret_watch_that_broke_is_opened_again() {
    use podsim_model::coverage::Probe;
    let mut w = World::new();
    w.create_secret("db");
    w.create_pod(pod_reading_db());
    w.run_for(5_000);
    assert!(w.running("uid-web", "app"));
    w.partition();
    w.run_for(10_000);
    w.heal();
    let healed = w.now;
    w.run_for(60_000);
    let watches = w.api.requests.iter().filter(|(t, k)| *k == "WatchSecret" && *t > healed).count();
    assert!(watches >= 1, "the Secret is watched again after the partition");
    assert_eq!(w.kubelet.probes().count(Probe::SecretWatchGone), 0);
}

// ---- recorder.rs -------------------------------------------------------------------------------------

fn recorded_event(message: &str) -> podsim_model::events::KubeletEvent {
    use podsim_model::events::{EventType, KubeletEvent};
    use podsim_model::io::PodRef;
    KubeletEvent {
        pod: PodRef { uid: "u1".into(), name: "web".into(), namespace: "default".into() },
        field_path: Some("spec.containers{app}".into()),
        event_type: EventType::Warning,
        reason: "BackOff".into(),
        message: message.into(),
    }
}

fn event_of(
    write: Option<podsim_model::kubelet::recorder::SinkWrite>,
) -> (podsim_model::events::Event, bool) {
    use podsim_model::kubelet::recorder::SinkWrite;
    match write.expect("a write") {
        SinkWrite::Create(e) => (e, false),
        SinkWrite::Patch(e) => (e, true),
    }
}

/// Survivor: `model/src/kubelet/recorder.rs:143:18: replace += with *= in Recorder::make_event`.
///
/// `makeEvent` names each event `<pod>.<unix nanoseconds>`; two events the recorder makes in the
/// same millisecond, queued before the sink takes either, still get different names (podsim counts
/// the recorder's events as the nanoseconds), so the server does not refuse the second as
/// AlreadyExists.
#[test]
fn two_events_made_in_one_millisecond_have_different_names() {
    use podsim_model::kubelet::recorder::{Recorder, WriteResult};
    let mut r = Recorder::new(NODE);
    r.record(1_000, recorded_event("first"));
    r.record(1_000, recorded_event("second"));
    let (first, _) = event_of(r.next(1_000));
    r.on_reply(WriteResult::Ok);
    let (second, _) = event_of(r.next(1_000));
    assert_ne!(first.name, second.name);
    assert!(first.name.starts_with("web.") && second.name.starts_with("web."));
}

/// Survivors: `model/src/kubelet/recorder.rs:186:22: replace += with -= in Recorder::next` and `...
/// replace += with *= in Recorder::next`.
///
/// The recorder's sequence goes on counting when the sink takes an event (an aggregate the
/// correlator makes is named from it too): an event made after the sink took another, in the same
/// millisecond, is still named apart from it, so the server does not refuse it as AlreadyExists.
#[test]
fn an_event_made_after_the_sink_took_one_is_named_apart() {
    use podsim_model::kubelet::recorder::{Recorder, WriteResult};
    let mut r = Recorder::new(NODE);
    let mut names = Vec::new();
    for message in ["first", "second", "third"] {
        r.record(1_000, recorded_event(message));
        let (event, _) = event_of(r.next(1_000));
        r.on_reply(WriteResult::Ok);
        names.push(event.name);
    }
    let distinct: std::collections::BTreeSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), 3, "{names:?}");
}

/// Survivor: `model/src/kubelet/recorder.rs:166:9: replace Recorder::probes -> &Probes with
/// Box::leak(Box::new(Default::default()))`.
///
/// The recorder reports the decisions it reached (rule coverage): the same event seen again is
/// counted up and patched (`EventCorrelate`'s `eventObserve`), and the recorder counts that once.
#[test]
fn the_recorder_counts_an_event_it_counted_up() {
    use podsim_model::coverage::Probe;
    use podsim_model::kubelet::recorder::{Recorder, WriteResult};
    let mut r = Recorder::new(NODE);
    r.record(1_000, recorded_event("same"));
    let (_, patch) = event_of(r.next(1_000));
    assert!(!patch);
    r.on_reply(WriteResult::Ok);
    r.record(2_000, recorded_event("same"));
    let (counted, patch) = event_of(r.next(2_000));
    assert!(patch && counted.count == 2);
    assert_eq!(r.probes().count(Probe::EventCountedUp), 1);
}

/// Survivor: `model/src/kubelet/recorder.rs:176:9: replace Recorder::busy -> bool with false`.
///
/// The sink's watcher handles one event at a time (`StartEventWatcher`): while an event's write is
/// out, the recorder is busy and the next event waits.
#[test]
fn the_recorder_is_busy_while_a_write_is_out() {
    use podsim_model::kubelet::recorder::{Recorder, WriteResult};
    let mut r = Recorder::new(NODE);
    assert!(!r.busy());
    r.record(1_000, recorded_event("first"));
    r.record(1_000, recorded_event("second"));
    assert!(r.next(1_000).is_some());
    assert!(r.busy(), "the first event's write is out");
    assert!(r.next(1_000).is_none(), "the second waits");
    r.on_reply(WriteResult::Ok);
    assert!(!r.busy());
}

/// Survivors: `model/src/kubelet/secret_manager.rs:420:28: replace + with * in Kubelet::await_secret`,
/// `model/src/kubelet/secret_manager.rs:431:9: replace Kubelet::on_secret_sync_timeout with ()` and
/// `model/src/kubelet/secret_manager.rs:432:80: replace <= with > in Kubelet::on_secret_sync_timeout`.
///
/// The Secret manager's `Get` waits for a Secret's cache at most a second
/// (`wait.PollImmediate(10ms, time.Second, hasSynced)`), then fails "failed to sync secret cache":
/// while the API server cannot list the Secret, the container's start fails
/// (`CreateContainerConfigError`) a second after its sync began, and again at each retry.
#[test]
fn a_get_gives_up_on_a_secrets_cache_after_a_second() {
    let mut w = World::new();
    w.create_secret("db");
    w.api.failing_requests.insert("ListSecret");
    w.create_pod(pod_reading_db());
    w.run_for(30_000);
    let failed: Vec<(u64, String)> = w
        .recorded_of("uid-web")
        .into_iter()
        .filter(|(_, _, _, reason, _)| reason == "Failed")
        .map(|(t, _, _, _, message)| (t, message))
        .collect();
    assert!(failed.len() >= 2, "{:?}", w.recorded_of("uid-web"));
    assert!(failed[0].1.contains("failed to sync secret cache"), "{}", failed[0].1);
    // (The sync that failed began before the failure; the next may read the runtime in the same ms.)
    let sync = w.syncs_of("uid-web").into_iter().filter(|&t| t < failed[0].0).max().unwrap();
    assert!(
        (1_000..1_100).contains(&(failed[0].0 - sync)),
        "failed at {} ms, sync at {sync} ms",
        failed[0].0
    );
}

// ---- sync_pod.rs: secret volumes ---------------------------------------------------------------------

/// A pod whose `app` mounts an emptyDir and whose `reader` mounts a secret volume of Secret `creds`
/// (optional or not).
fn pod_with_a_secret_volume(optional: bool) -> Pod {
    use podsim_model::pod::{Volume, VolumeMount, VolumeSource};
    let mut p = running_pod("uid-web", &[("app", "app:1"), ("reader", "reader:1")]);
    let spec = p.spec_mut();
    spec.volumes.push(Volume { name: "cache".into(), source: VolumeSource::EmptyDir });
    let creds = VolumeSource::Secret { secret_name: "creds".into(), optional };
    spec.volumes.push(Volume { name: "creds".into(), source: creds });
    spec.containers[0].volume_mounts.push(VolumeMount { name: "cache".into(), mount_path: "/c".into() });
    spec.containers[1].volume_mounts.push(VolumeMount { name: "creds".into(), mount_path: "/s".into() });
    p
}

/// Survivors: `model/src/kubelet/sync_pod.rs:54:5: replace secret_of_volume -> Option<&String> with
/// None` (and with `Some(...)` of "" or "xyzzy"). The secret volume plugin's `SetUp` gets its Secret
/// from the Secret manager (`GetSecret`), which waits up to a second for the Secret's cache: while
/// the API server cannot list it, the volume fails to mount "failed to sync secret cache" a second
/// after the sync began, not at once.
#[test]
fn a_secret_volume_waits_a_second_for_its_secrets_cache() {
    let mut w = World::new();
    w.create_secret("creds");
    w.api.failing_requests.insert("ListSecret");
    w.create_pod(pod_with_a_secret_volume(false));
    w.run_for(5_000);
    let (at, message) = w
        .recorded_of("uid-web")
        .into_iter()
        .find(|e| e.3 == "FailedMount")
        .map(|e| (e.0, e.4))
        .expect("a FailedMount");
    assert!(message.contains("failed to sync secret cache"), "{message}");
    let sync = w.syncs_of("uid-web").into_iter().filter(|&t| t < at).max().expect("a sync before");
    assert!((1_000..1_100).contains(&(at - sync)), "failed at {at} ms, the sync began at {sync} ms");
}

/// A secret volume is set up by the volume manager, before any container (`WaitForAttachAndMount`
/// in `SyncPod`), with its Secret (the secret volume plugin's `SetUp` → `GetSecret`): while the
/// Secret is missing the volume does not mount, the sync fails with `FailedMount` ("MountVolume.SetUp
/// failed for volume "creds" : secret "creds" not found"), and NO container of the pod starts, not
/// even one that does not mount it (survivor `model/src/kubelet/start.rs:517:60: replace == with !=
/// in container_secrets`, which tested podsim's old per-container check of secret volumes). Once the
/// Secret exists, the pod runs. An optional secret volume whose Secret is missing mounts empty.
#[test]
fn a_missing_secret_of_a_secret_volume_holds_the_whole_pod() {
    let mut w = World::new();
    w.create_pod(pod_with_a_secret_volume(false));
    w.run_for(20_000);
    assert!(w.rt.started.is_empty(), "nothing starts: {:?}", w.rt.started);
    assert!(!w.rt.calls.iter().any(|c| c.starts_with("CreateContainer")), "nothing is created");
    let failed_mount: Vec<String> =
        w.recorded_of("uid-web").into_iter().filter(|e| e.3 == "FailedMount").map(|e| e.4).collect();
    assert_eq!(
        failed_mount.first().map(String::as_str),
        Some("MountVolume.SetUp failed for volume \"creds\" : secret \"creds\" not found")
    );
    w.create_secret("creds");
    w.run_for(30_000);
    assert!(w.running("uid-web", "app") && w.running("uid-web", "reader"), "the pod runs once it exists");

    let mut w = World::new();
    w.create_pod(pod_with_a_secret_volume(true));
    w.run_for(10_000);
    assert!(w.running("uid-web", "app") && w.running("uid-web", "reader"), "optional: mounted empty");
}

// ---- start.rs ----------------------------------------------------------------------------------------

/// Survivors: `model/src/kubelet/event_sites.rs:24:5: replace error_text -> String with String::new()`
/// and `... with "xyzzy".into()`, `model/src/kubelet/event_sites.rs:29:5: replace error_message ->
/// String with String::new()` and `... with "xyzzy".into()`.
///
/// The reason cache keeps the message `startContainer` returns with its error, and the container's
/// waiting state shows it: for a failed pull `evalCRIPullErr`'s, the pull error's whole text
/// (`err.Error()`: "rpc error: code = Unknown desc = ..."); for a failed `CreateContainer` or
/// `StartContainer` the gRPC status's message alone (`s.Message()`).
#[test]
fn a_failed_start_shows_the_runtimes_error_in_the_waiting_state() {
    use podsim_model::ContainerStateReport;
    let waiting_after_a_failed = |method: &str| {
        let mut w = World::new();
        w.rt.failing_methods.insert(method.into());
        w.rt.failure_messages.insert(method.into(), format!("{method} broke"));
        w.create_pod(running_pod("uid-web", &[("app", "app:1")]));
        w.run_for(3_000);
        match &w.api.statuses["uid-web"].container("app").expect("app's status").state {
            ContainerStateReport::Waiting { reason, message } => (reason.to_string(), message.to_string()),
            other => panic!("{method}: {other:?}"),
        }
    };
    let expected = |reason: &str, message: &str| (reason.to_string(), message.to_string());
    assert_eq!(
        waiting_after_a_failed("PullImage"),
        expected("ErrImagePull", "rpc error: code = Unknown desc = PullImage broke")
    );
    assert_eq!(
        waiting_after_a_failed("CreateContainer"),
        expected("CreateContainerError", "CreateContainer broke")
    );
    assert_eq!(
        waiting_after_a_failed("StartContainer"),
        expected("RunContainerError", "StartContainer broke")
    );
}

/// Survivors: `model/src/kubelet/start.rs:45:5: replace image_key -> String with String::new()` and
/// `model/src/kubelet/start.rs:45:5: replace image_key -> String with "xyzzy".into()`.
///
/// The ImagePullBackOff is kept per pod and image (kuberuntime's `pullImage` backs off by the image
/// and the pod's UID): an image that fails to pull does not hold back the pull of another pod's
/// image.
#[test]
fn one_images_pull_back_off_does_not_hold_back_another_pods_image() {
    let mut w = World::new();
    w.rt.broken_images.insert("broken:1".into());
    w.create_pod(running_pod("uid-bad", &[("app", "broken:1")]));
    w.run_for(3_000);
    assert!(w.rt.pulls.iter().any(|(_, i)| i == "broken:1"), "the broken image was tried");
    w.create_pod(running_pod("uid-web", &[("app", "app:1")]));
    w.run_for(3_000);
    assert!(w.running("uid-web", "app"), "the other pod's image is pulled and its container runs");
}
