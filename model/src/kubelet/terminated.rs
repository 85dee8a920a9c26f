//! A terminated pod's cleanup (pkg/kubelet/kubelet.go `SyncTerminatedPod`, pod_workers.go
//! `completeTerminated`, kubelet_pods.go `HandlePodCleanups`): once every container and sandbox is
//! stopped the worker is terminated; then what is left in the runtime is removed ([`super::gc`]), the
//! volumes are unmounted, the pod's directory removed, and its API object released (the final delete
//! of a pod the kubelet saw deleted: the status manager's `canBeDeleted` → `Delete` with a grace
//! period of 0). Then the worker is forgotten, with its backoffs.
//!
//! A pod that is terminal (Succeeded or Failed) but not deleted keeps its worker and its directory:
//! only its volumes are unmounted.

use std::collections::BTreeSet;

use super::bugs::{KubeletBug, KubeletBugs};
use super::pod_workers::PodWorker;
use super::sync_run::Step;
use super::Kubelet;
use crate::coverage::Probe;
use crate::io::{
    ApiError, ApiReply, ApiRequest, CallId, NodeReply, NodeRequest, Output, PodRef, WorkerState,
};

/// `SyncTerminatedPod` and the cleanup: the volumes only, for a terminal pod not deleted; else read
/// the runtime, remove all of it, unmount, remove the directory and, if the API has the pod and it
/// is being deleted, release it.
pub(super) fn terminated_steps(w: &PodWorker, bugs: KubeletBugs) -> Vec<Step> {
    if w.terminal_only {
        return vec![Step::UnmountVolumes];
    }
    let mut steps = vec![Step::ReadRuntime, Step::RemoveAll, Step::UnmountVolumes, Step::RemoveDataDir];
    if can_be_released(w) && bugs.has(KubeletBug::ReleaseBeforeCleanup) {
        // Before kubernetes#40239: the final delete as soon as the containers stopped.
        steps.splice(0..0, [Step::AwaitStatusWritten, Step::Release]);
    } else if can_be_released(w) {
        steps.extend([Step::AwaitStatusWritten, Step::Release]);
    }
    steps
}

/// The status manager's `canBeDeleted`, the part before the cleanup: the API has the pod and it has a
/// deletion timestamp. A pod killed as a runtime orphan whose API object showed up later, not
/// deleted, is terminated for good and never deleted by the kubelet.
fn can_be_released(w: &PodWorker) -> bool {
    w.in_api && w.pod.deletion_timestamp.is_some()
}

impl Kubelet {
    /// `SyncTerminatingPod` is done: unless it failed, the worker is terminated, and its cleanup
    /// follows at once, as `SyncTerminatedPod` does.
    pub(super) fn mark_terminated(&mut self, uid: &str, out: &mut Vec<Output>) {
        let failed = self.workers[uid].sync.as_ref().is_some_and(|r| r.error.is_some());
        if failed {
            return;
        }
        self.enter(uid, WorkerState::Terminated, out);
        if let Some(w) = self.workers.get_mut(uid) {
            w.sync_requested = true;
        }
    }

    /// Unmount every volume the pod had mounted, and every volume of its spec.
    pub(super) fn unmount_volumes(&mut self, uid: &str, out: &mut Vec<Output>) {
        let w = &self.workers[uid];
        let mut volumes: BTreeSet<String> = w.mounted.clone();
        volumes.extend(w.pod.spec.volumes.iter().map(|v| v.name.clone()));
        for volume in volumes {
            let request = NodeRequest::UnmountVolume { pod_uid: uid.to_string(), volume: volume.clone() };
            self.call_about(uid, volume.into(), out, |call| Output::Node { call, request });
        }
    }

    /// A volume is unmounted, or the sync fails.
    pub(super) fn on_volume_unmounted(&mut self, uid: &str, call: CallId, reply: NodeReply) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        let Some(run) = w.sync.as_mut() else { return };
        let volume =
            run.subjects.remove(&call).expect("an unmount is called with call_about, which names its volume");
        match reply {
            NodeReply::Err(e) => self.fail(uid, format!("UnmountVolume failed for volume {volume:?}: {e}")),
            NodeReply::Ok | NodeReply::PodDirs(_) => {
                w.mounted.remove(volume.as_str());
            }
        }
    }

    /// Remove the pod's directory (the node refuses while a volume is mounted in it).
    pub(super) fn remove_data_dir(&mut self, uid: &str, out: &mut Vec<Output>) {
        let request = NodeRequest::RemoveDataDir { pod_uid: uid.to_string() };
        self.call(uid, out, |call| Output::Node { call, request });
    }

    /// The directory is removed, or the sync fails.
    pub(super) fn on_data_dir_removed(&mut self, uid: &str, reply: NodeReply) {
        match reply {
            NodeReply::Err(e) => {
                self.hit(Probe::SyncFailRemoveDataDir);
                self.fail(uid, format!("remove data directory: {e}"));
            }
            // Done (a listing is no failure either: only `Err` is).
            NodeReply::Ok | NodeReply::PodDirs(_) => {}
        }
    }

    /// Release the pod's API object (the final delete).
    /// The final delete waits for the pod's status writes in flight (the terminal status of
    /// `SyncTerminatingPod`): the status manager deletes a pod only after it wrote its status. A
    /// write that failed is not waited for (its retry may never succeed, as for a pod gone).
    pub(super) fn await_status_written(&mut self, uid: &str) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        let writing = w.status_in_flight.is_some() || w.status_pending.is_some();
        if let Some(run) = w.sync.as_mut() {
            run.awaiting_status = writing;
        }
    }

    pub(super) fn release(&mut self, uid: &str, out: &mut Vec<Output>) {
        let request = ApiRequest::DeletePod { pod: PodRef::of(self.pod_of(uid)) };
        self.call(uid, out, |call| Output::Api { call, request });
    }

    /// Released (or gone already): later events about the pod are stale. Otherwise the sync fails.
    pub(super) fn on_released(&mut self, uid: &str, reply: ApiReply) {
        match reply {
            ApiReply::Ok | ApiReply::Err(ApiError::NotFound) => {
                self.released.insert(uid.to_string());
                self.housekeeping_due = true;
                self.hit(Probe::TerminateReleased);
                if let Some(w) = self.workers.get_mut(uid) {
                    w.in_api = false;
                }
            }
            other => {
                self.hit(Probe::SyncFailRelease);
                self.fail(uid, format!("release pod: {other:?}"));
            }
        }
    }

    /// Everything of the pod is gone and so is its API object: forget its worker and its backoffs.
    pub(super) fn forget(&mut self, uid: &str) {
        self.workers.remove(uid);
        self.housekeeping_due = true;
        self.hit(Probe::TerminateForgotten);
        self.restart_backoff.reset_prefix(&format!("{uid}/"));
        self.image_backoff.reset_prefix(&format!("{uid}/"));
    }
}
