//! A kubelet that starts on a node that is not empty: what an earlier kubelet left in the runtime and
//! on disk, reconciled as the kubelet does it.
//!
//! - `computePodActions`/`PodSandboxChanged` (kuberuntime_manager.go, kuberuntime/util/util.go): more
//!   than one ready sandbox of a pod kills the pod and makes a new sandbox, attempt = newest + 1;
//! - `computePodActions`/`containerChanged`: a running left-over whose hash differs is killed and
//!   started again; one whose hash matches is kept;
//! - `startContainer` (kuberuntime_container.go): the restart count goes on from the newest status's
//!   `io.kubernetes.container.restartCount` annotation;
//! - `HandlePodCleanups` (kubelet_pods.go, read_file id 3281083): a runtime pod no worker knows is
//!   killed with a grace period of 1 s, even if the pod source became ready after the first relist;
//! - `cleanupOrphanedPodDirs` (kubelet_volumes.go, read_file id 59525309): an orphaned pod directory is
//!   removed only once no volume is mounted in it; the volume manager reconstructs the mounts from
//!   the disk and unmounts them.
//!
//! Ported from Kubernetes 1.3x sources (the read_file ids above); the Go functions have no table tests
//! of start-up as such, so each behaviour is one test here.

use crate::common;

use common::{World, NODE};
use podsim_model::io::PodRef;
use podsim_model::pod::{Volume, VolumeSource};
use podsim_model::{Container, ContainerState, ContainerStatus, Pod, SandboxState, SandboxStatus};

fn pod(name: &str, containers: &[&str]) -> Pod {
    let mut p = Pod::new(name, format!("uid-{name}"), NODE);
    for n in containers {
        p.spec_mut().containers.push(Container::new(*n, "app:1"));
    }
    p
}

fn pod_ref(p: &Pod) -> PodRef {
    PodRef::of(p)
}

/// A sandbox an earlier kubelet made (call in creation order: the newest is listed first).
fn preset_sandbox(w: &mut World, pod: PodRef, id: &str, attempt: u32, ready: bool) {
    let state = if ready { SandboxState::Ready } else { SandboxState::NotReady };
    let status = SandboxStatus {
        id: id.into(),
        state,
        attempt,
        ip: format!("10.1.0.{attempt}").into(),
        host_network: false,
        created_at: 0,
    };
    w.rt.sandboxes.insert(0, (pod, status));
}

/// A container an earlier kubelet made, with its labels and annotations (creation order).
#[allow(clippy::too_many_arguments)]
fn preset_container(
    w: &mut World,
    pod: PodRef,
    id: &str,
    sandbox: &str,
    name: &str,
    hash: u64,
    restart_count: u32,
    exited_with: Option<i32>,
) {
    let (state, exit_code, finished_at) = match exited_with {
        Some(code) => (ContainerState::Exited, code, Some(0)),
        None => (ContainerState::Running, 0, None),
    };
    let status = ContainerStatus {
        id: id.into(),
        name: name.into(),
        state,
        exit_code,
        reason: String::new().into(),
        hash,
        restart_count,
        sandbox_id: sandbox.into(),
        image: "app:1".into(),
        created_at: 0,
        started_at: Some(0),
        finished_at,
        resources: None,
    };
    w.rt.images.insert("app:1".into());
    w.rt.containers.insert(0, (pod, status, Vec::new()));
}

fn hash_of(p: &Pod, name: &str) -> u64 {
    p.spec.containers.iter().find(|c| c.name() == name).expect("a container of the pod").hash()
}

/// podSandboxChanged: "Multiple sandboxes are ready for Pod. Need to reconcile them": the pod is
/// killed and gets one new sandbox whose attempt follows the newest's.
#[test]
fn two_ready_sandboxes_are_replaced_by_one_with_the_next_attempt() {
    let mut w = World::new();
    let web = pod("web", &["app"]);
    let r = pod_ref(&web);
    preset_sandbox(&mut w, r.clone(), "old-a", 0, true);
    preset_sandbox(&mut w, r.clone(), "old-b", 1, true);
    preset_container(&mut w, r.clone(), "c-a", "old-a", "app", hash_of(&web, "app"), 0, None);
    preset_container(&mut w, r, "c-b", "old-b", "app", hash_of(&web, "app"), 1, None);
    w.create_pod(web);
    w.run_for(10_000);
    let sandboxes = w.sandboxes_of("uid-web");
    assert_eq!((sandboxes[0].attempt, sandboxes[0].state), (2, SandboxState::Ready), "{sandboxes:?}");
    assert!(sandboxes[1..].iter().all(|s| s.state == SandboxState::NotReady), "the old ones stopped");
    let made: Vec<&String> = w.rt.calls.iter().filter(|c| c.starts_with("RunPodSandbox")).collect();
    assert_eq!(made, vec!["RunPodSandbox web attempt 2"], "exactly one new sandbox");
    let app = w.instances("uid-web", "app");
    assert!(w.running("uid-web", "app"), "app runs again: {app:?}");
    assert_eq!(app[0].sandbox_id, sandboxes[0].id, "in the new sandbox");
    assert_eq!(app[0].restart_count, 2, "the count goes on from the newest left-over (1)");
    let stops: Vec<&String> = w.rt.calls.iter().filter(|c| c.starts_with("StopContainer")).collect();
    assert_eq!(stops.len(), 2, "both left-overs were stopped: {stops:?}");
}

/// containerChanged: a left-over running a stale hash is killed and started again, a matching one is
/// kept, an exited one is restarted (restartPolicy Always), and each count goes on from its
/// annotation.
#[test]
fn left_overs_with_stale_hashes_are_replaced_and_matching_ones_kept() {
    let mut w = World::new();
    let web = pod("web", &["app", "keep", "helper"]);
    let r = pod_ref(&web);
    preset_sandbox(&mut w, r.clone(), "old", 0, true);
    preset_container(&mut w, r.clone(), "c-app", "old", "app", hash_of(&web, "app") ^ 1, 2, None);
    preset_container(&mut w, r.clone(), "c-keep", "old", "keep", hash_of(&web, "keep"), 1, None);
    preset_container(&mut w, r, "c-helper", "old", "helper", hash_of(&web, "helper"), 4, Some(1));
    w.create_pod(web);
    w.run_for(10_000);
    assert_eq!(w.sandboxes_of("uid-web").len(), 1, "the sandbox is kept");
    let app = w.instances("uid-web", "app");
    assert!(w.running("uid-web", "app") && app[0].id != "c-app", "app was replaced: {app:?}");
    assert_eq!(app[0].restart_count, 3);
    let keep = w.instances("uid-web", "keep");
    assert_eq!((keep.len(), keep[0].id.as_str()), (1, "c-keep"), "keep was adopted as it runs");
    assert_eq!(keep[0].state, ContainerState::Running);
    let helper = w.instances("uid-web", "helper");
    assert!(w.running("uid-web", "helper"), "helper restarted: {helper:?}");
    assert_eq!(helper[0].restart_count, 5);
    let status = &w.api.statuses["uid-web"];
    let counts: Vec<u32> = ["app", "keep", "helper"]
        .iter()
        .map(|n| status.container(n).expect("reported").restart_count)
        .collect();
    assert_eq!(counts, vec![3, 1, 5], "the API server hears the counts the kubelet read back");
}

/// HandlePodCleanups: a runtime pod the API server does not have is killed (grace period 1 s, which
/// `killContainer` raises to its `minimumGracePeriodInSeconds`, 2 s) and
/// removed, also when the pod source was not ready at the first relist (its list was lost in a
/// partition): the housekeeping looks at every runtime pod, not only at the ones that just changed.
#[test]
fn a_runtime_pod_unknown_to_the_api_server_is_killed_once_the_source_is_ready() {
    let mut w = World::new();
    let gone = PodRef { uid: "uid-gone".into(), name: "gone".into(), namespace: "default".into() };
    preset_sandbox(&mut w, gone.clone(), "orphan-sb", 0, true);
    preset_container(&mut w, gone, "orphan-c", "orphan-sb", "app", 7, 0, None);
    w.partition();
    w.run_for(1_000);
    w.heal();
    w.run_for(30_000);
    assert!(w.api.requests.iter().filter(|(_, k)| *k == "ListPods").count() >= 2, "the first list failed");
    assert_eq!(w.anything_left_of("uid-gone"), Vec::<String>::new(), "{:?}", w.rt.calls);
    assert!(w.rt.calls.contains(&"StopContainer orphan-c 2s".to_string()), "{:?}", w.rt.calls);
    // `SyncTerminatingRuntimePod` writes no status: the API server has no such pod.
    let writes = w.api.requests.iter().filter(|(_, k)| *k == "UpdatePodStatus").count();
    assert_eq!(writes, 0, "no status is written of a runtime pod");
}

/// cleanupOrphanedPodDirs: a directory of a pod nobody knows is removed, after the volume manager
/// unmounted what the disk showed mounted in it (the obedient node panics on the other order).
#[test]
fn an_orphaned_pod_dir_is_removed_after_its_volumes_are_unmounted() {
    let mut w = World::new();
    w.node.data_dirs.insert("uid-lost".into());
    w.node.mounts.insert(("uid-lost".into(), "cache".into()));
    w.create_pod(pod("web", &["app"]));
    w.run_for(10_000);
    assert_eq!(w.anything_left_of("uid-lost"), Vec::<String>::new());
    assert!(w.running("uid-web", "app"), "the pod the API server has runs");
    assert!(w.node.data_dirs.contains("uid-web"));
}

/// Volume reconstruction: a volume mounted for a pod before the kubelet started, which its spec no
/// longer has, is unmounted when the pod goes (else its directory could never be removed).
#[test]
fn mounts_found_on_disk_are_the_pods_and_unmounted_with_it() {
    let mut w = World::new();
    let mut web = pod("web", &["app"]);
    web.spec_mut().volumes.push(Volume { name: "cache".into(), source: VolumeSource::EmptyDir });
    w.node.data_dirs.insert("uid-web".into());
    w.node.mounts.insert(("uid-web".into(), "cache".into()));
    w.node.mounts.insert(("uid-web".into(), "old".into()));
    w.create_pod(web);
    w.run_for(5_000);
    assert!(w.running("uid-web", "app"));
    w.delete_pod("uid-web");
    w.run_for(60_000);
    assert!(w.api.released.contains("uid-web"), "the pod was released");
    assert_eq!(w.anything_left_of("uid-web"), Vec::<String>::new());
}
