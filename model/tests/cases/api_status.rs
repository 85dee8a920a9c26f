//! What the kubelet reads of the pod's status as the API server holds it (`pod.Status`, delivered
//! with the pod by the list and the watch), where its own status manager holds none: after a
//! kubelet restart. And the active deadline's tick delivered late, as a real clock delivers it.
//!
//! Kubelet sources read (search index ids): kubelet_pods.go `generateAPIPodStatus` (ids 3281083,
//! 35086117723: `oldPodStatus` is the status manager's, else `pod.Status`; the three-way merge of
//! the phase; "pods are not allowed to transition out of terminal phases"); status_manager.go
//! `updateStatusInternal` (the start time of the old status, else now); active_deadline.go
//! `pastActiveDeadline` (the status manager's status, else `pod.Status`); pod_workers.go `UpdatePod`
//! (a pod synced for the first time whose phase is terminal and whose runtime cache is terminal
//! starts terminated, kubernetes#105523); kubelet.go `HandlePodAdditions` (a terminal pod is not
//! admitted again).

use crate::common;

use common::{World, NODE};
use podsim_model::coverage::Probe;
use podsim_model::io::WorkerState;
use podsim_model::{Container, Pod, PodPhase};

/// A pod of one container, restart policy Always, with this active deadline and a 1 s grace period.
fn deadline_pod(seconds: i64) -> Pod {
    let mut p = Pod::new("job", "uid-job", NODE);
    p.spec_mut().containers.push(Container::new("app", "app:1"));
    p.spec_mut().active_deadline_seconds = Some(seconds);
    p.spec_mut().termination_grace_period_seconds = 1;
    p
}

fn phases_written_after(w: &World, uid: &str, t: u64) -> Vec<PodPhase> {
    w.api.status_writes.iter().filter(|(at, u, _)| *at > t && u == uid).map(|(_, _, p)| *p).collect()
}

fn worker_state(w: &World, uid: &str) -> Option<WorkerState> {
    w.kubelet.workers().find(|(u, _)| *u == uid).map(|(_, s)| s)
}

/// A pod Failed by its active deadline, its containers stopped, stays Failed across a kubelet
/// restart: the new kubelet's pod worker sees a pod terminal in the API and nothing of it running in
/// its runtime cache, so it starts terminated and no container is created again (`UpdatePod`,
/// kubernetes#105523). The old model restarted the container (the pod is Always) and wrote Running
/// over Failed.
#[test]
fn a_pod_failed_by_its_deadline_stays_failed_across_a_kubelet_restart() {
    let mut w = World::new();
    w.create_pod(deadline_pod(5));
    w.run_until(10_000);
    assert_eq!(w.api.statuses["uid-job"].phase, PodPhase::Failed);
    assert!(!w.running("uid-job", "app"));
    let starts = w.rt.started.len();
    // The new kubelet's runtime cache fills before its pod list arrives (the API server is out of
    // reach for its first seconds).
    w.partition();
    w.restart_kubelet();
    w.run_until(13_000);
    w.heal();
    w.run_until(60_000);
    assert_eq!(w.rt.started.len(), starts, "no container starts again");
    assert_eq!(worker_state(&w, "uid-job"), Some(WorkerState::Terminated));
    assert_eq!(w.kubelet.probes().count(Probe::WorkerStartsTerminated), 1, "at first sight");
    assert!(w.syncs_of("uid-job").iter().all(|t| *t < 10_000), "no SyncPod read the runtime again");
    assert!(phases_written_after(&w, "uid-job", 10_000).iter().all(|p| *p == PodPhase::Failed));
    assert_eq!(w.api.statuses["uid-job"].reason, "DeadlineExceeded");
}

/// The start time survives a kubelet restart: the new kubelet takes the API server's
/// `status.startTime` (`updateStatusInternal`), so a 30 s deadline passes 30 s after the pod
/// started, not 30 s after the restart.
#[test]
fn a_restarted_kubelet_counts_the_deadline_from_the_api_servers_start_time() {
    let mut w = World::new();
    w.create_pod(deadline_pod(30));
    w.run_until(10_000);
    let started = w.api.statuses["uid-job"].start_time;
    assert!(started.is_some_and(|t| t < 100), "the first status sets the start time: {started:?}");
    w.restart_kubelet();
    w.run_until(32_000);
    assert_eq!(w.api.statuses["uid-job"].phase, PodPhase::Failed, "the deadline passed at 30 s");
    assert_eq!(w.api.statuses["uid-job"].start_time, started, "the start time never changes");
}

/// A pod whose API status is Failed but whose container still runs (the kubelet went down before it
/// could stop it): the new kubelet syncs it, keeps the phase Failed whatever the runtime shows (the
/// three-way merge and the terminal guard of `generateAPIPodStatus`), and stops the container. It
/// never writes a non-terminal phase.
#[test]
fn a_restarted_kubelet_never_turns_a_failed_pod_running_and_stops_it() {
    let mut w = World::new();
    w.rt.failing_methods.insert("StopContainer".into());
    w.create_pod(deadline_pod(5));
    w.run_until(7_000);
    assert_eq!(w.api.statuses["uid-job"].phase, PodPhase::Failed);
    assert!(w.running("uid-job", "app"), "its container could not be stopped");
    w.rt.failing_methods.clear();
    let starts = w.rt.started.len();
    w.restart_kubelet();
    w.run_until(20_000);
    assert!(!w.running("uid-job", "app"), "the new kubelet stops it");
    assert_eq!(w.rt.started.len(), starts, "and starts nothing");
    let written = phases_written_after(&w, "uid-job", 7_000);
    assert!(written.iter().all(|p| *p == PodPhase::Failed), "{written:?}");
}

/// The sync loop's tick for a pod past its deadline, delivered a few milliseconds late (as the
/// containerd backend's wall clock delivers timers), still syncs the pod: the tick is known by the
/// time it was armed for, not by the time it arrives. The old model ignored a late tick as stale, so
/// the pod ran on past its deadline until its next resync (seen on a real containerd in CI:
/// active-deadline-fails-the-pod stayed Running).
#[test]
fn a_late_deadline_tick_still_fails_the_pod() {
    let mut w = World::new();
    w.timer_lateness = 3;
    w.create_pod(deadline_pod(5));
    w.run_until(9_000);
    assert_eq!(w.api.statuses["uid-job"].phase, PodPhase::Failed);
    assert!(!w.running("uid-job", "app"));
}

/// `SyncTerminatingPod` hands the status manager the final status of a deleted pod too
/// (`generateAPIPodStatus` with `podIsTerminal`): its controllers see it Failed (or Succeeded)
/// before it goes. The status manager deletes the pod only after it wrote that status
/// (`syncPod`: the status patch, then `canBeDeleted`, then the delete): the final delete is sent
/// after the status write was answered. The old model released a deleted pod with the phase it ran
/// with, never writing a terminal one.
#[test]
fn a_deleted_pod_is_written_failed_before_it_is_released() {
    let mut w = World::new();
    let mut p = Pod::new("web", "uid-web", NODE);
    p.spec_mut().containers.push(Container::new("app", "app:1"));
    p.spec_mut().termination_grace_period_seconds = 1;
    w.create_pod(p);
    w.run_until(5_000);
    assert_eq!(w.api.statuses["uid-web"].phase, PodPhase::Running);
    // Status writes are slow to be answered: the release waits for the terminal one.
    w.api.status_reply_delay = 3_000;
    w.delete_pod("uid-web");
    w.run_until(20_000);
    assert!(w.api.released.contains("uid-web"), "released");
    let (written_at, _, phase) =
        w.api.status_writes.iter().rfind(|(_, u, _)| u == "uid-web").expect("a status");
    assert_eq!(*phase, PodPhase::Failed, "the last status written is terminal");
    let deletes: Vec<u64> =
        w.api.requests.iter().filter(|(_, k)| *k == "DeletePod").map(|(t, _)| *t).collect();
    assert_eq!(deletes.len(), 1);
    let answered = written_at + 3_000;
    assert!(deletes[0] >= answered, "the delete at {} waits for the answer at {answered}", deletes[0]);
}

/// After a kubelet restart the old status is the API server's (`generateAPIPodStatus`:
/// `oldPodStatus = pod.Status` when the status manager has none). A container the API status shows
/// running, which the runtime no longer knows, vanished while running: its last state is a
/// termination with exit 137 (`ContainerStatusUnknown`) and its restart is counted
/// (`convertToAPIContainerStatuses`). Here the runtime lost the pod while the kubelet was down and its
/// image cannot be pulled again, so the container stays waiting with that last state.
#[test]
fn a_restarted_kubelet_takes_the_old_container_statuses_from_the_api_server() {
    let mut w = World::new();
    let mut p = Pod::new("web", "uid-web", NODE);
    p.spec_mut().containers.push(Container::new("app", "app:1"));
    w.create_pod(p);
    w.run_until(5_000);
    assert!(w.running("uid-web", "app"));
    w.restart_kubelet();
    w.rt.containers.clear();
    w.rt.sandboxes.clear();
    w.rt.images.remove("app:1");
    w.rt.broken_images.insert("app:1".into());
    w.run_until(20_000);
    let status = &w.api.statuses["uid-web"];
    let app = status.container("app").expect("app's status");
    let last = app.last_termination().expect("a last termination, from the API server's running status");
    assert!(
        matches!(last, podsim_model::ContainerStateReport::Terminated { exit_code: 137, .. }),
        "{last:?}"
    );
    assert_eq!(app.restart_count, 1);
}

/// A pod's start time is its first status's: a pod created at 10 s with a 5 s deadline runs until
/// 15 s (the API server's start time is read only where it has one).
#[test]
fn a_pod_created_later_counts_its_deadline_from_its_own_first_status() {
    let mut w = World::new();
    w.run_until(10_000);
    w.create_pod(deadline_pod(5));
    w.run_until(13_000);
    let status = &w.api.statuses["uid-job"];
    assert_eq!(status.phase, PodPhase::Running);
    assert!(status.start_time.is_some_and(|t| t >= 10_000), "{:?}", status.start_time);
    w.run_until(17_000);
    assert_eq!(w.api.statuses["uid-job"].phase, PodPhase::Failed);
}

/// "Pods are not allowed to transition out of terminal phases": a pod the API server holds
/// Succeeded keeps that phase even where the active deadline handler would fail it. Here a Never pod
/// whose container exited 0 at 1 s (Succeeded), with a 5 s deadline, meets a new kubelet at 10 s
/// whose pod list comes before its first relist, so the pod is synced (not started terminated) past
/// its deadline: the status stays Succeeded.
#[test]
fn a_succeeded_pod_past_its_deadline_stays_succeeded_across_a_kubelet_restart() {
    let mut w = World::new();
    let mut p = deadline_pod(5);
    p.spec_mut().restart_policy = podsim_model::RestartPolicy::Never;
    p.spec_mut().containers[0].command = vec!["exit".into(), "0".into(), "1000".into()];
    w.create_pod(p);
    w.run_until(10_000);
    assert_eq!(w.api.statuses["uid-job"].phase, PodPhase::Succeeded);
    w.restart_kubelet();
    w.run_until(30_000);
    let written = phases_written_after(&w, "uid-job", 10_000);
    assert!(w.syncs_of("uid-job").iter().any(|t| *t >= 10_000), "the new kubelet synced the pod");
    assert!(written.iter().all(|p| *p == PodPhase::Succeeded), "{written:?}");
}
