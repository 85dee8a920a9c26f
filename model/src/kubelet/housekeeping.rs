//! The kubelet's housekeeping of what it finds on the node but has no pod for: runtime pods the pod
//! source does not have, and pod directories on disk, as an earlier kubelet (or the same one before a
//! restart) may have left them.
//!
//! - `HandlePodCleanups` (pkg/kubelet/kubelet_pods.go; read from a 1.3x version, read_file id 3281083):
//!   once the pod sources are ready, every pod in the runtime cache that no pod worker knows is handed
//!   to the pod workers with `SyncPodKill` and a grace period override of 1 s
//!   (`SyncTerminatingRuntimePod`). podsim's worker then removes the stopped containers and sandboxes
//!   itself, where the kubelet leaves that to the container GC (kuberuntime_gc.go `evictContainers`,
//!   `evictSandboxes`, every `ContainerGCPeriod` = 1 min; read_file id 656681188): the end state is the
//!   same, sooner.
//! - `cleanupOrphanedPodDirs` (pkg/kubelet/kubelet_volumes.go; read_file id 59525309): a pod directory
//!   of no known pod and no runtime pod is removed, but never while a volume is still mounted in it
//!   (`podVolumesExist`). The volumes themselves are unmounted by the volume manager, which reconstructs
//!   what was mounted from the disk at start-up (`reconstructVolumes`) and unmounts what no pod wants.
//!   podsim does both with a worker for the directory alone: unmount what the disk listed, then remove
//!   the directory (which the node refuses while anything is mounted).
//!
//! The housekeeping runs after every relist and once the pod list arrives (the kubelet's runs every
//! 2 s, `housekeepingPeriod`, and skips until the sources are ready): a runtime pod found before the
//! pod source was ready is cleaned up as soon as it is.

use std::collections::{BTreeMap, BTreeSet};

use crate::coverage::Probe;
use crate::io::{Decision, NodeReply, Output, PodRef, WorkerState};
use crate::pod::Pod;
use crate::runtime::Millis;

use super::pod_workers::PodWorker;
use super::Kubelet;

impl Kubelet {
    /// `HandlePodCleanups`, the part about pods the kubelet does not know: terminate the runtime pods
    /// no worker knows, then clean the orphaned pod directories. Waits for the pod source's first
    /// list and for the runtime cache (a completed relist). A pass whose inputs (workers, released
    /// UIDs, runtime pods, unclaimed directories) are as the last pass left them would find nothing,
    /// since the last pass gave every pod it found a worker, so it is skipped.
    pub(super) fn handle_pod_cleanups(&mut self, now: Millis, out: &mut Vec<Output>) {
        if !self.reflector.has_synced() || !self.pleg.relisted || !self.housekeeping_due {
            return;
        }
        self.housekeeping_due = false;
        let unknown: Vec<PodRef> = self
            .pleg
            .pods
            .iter()
            .filter(|(uid, _)| self.is_unknown_pod(uid))
            .map(|(_, pod_ref)| pod_ref.clone())
            .collect();
        for pod_ref in unknown {
            self.terminate_runtime_pod(pod_ref, now, out);
        }
        self.cleanup_orphaned_pod_dirs(now, out);
    }

    /// No worker has the pod and its API object was not released by this kubelet.
    fn is_unknown_pod(&self, uid: &str) -> bool {
        !self.workers.contains_key(uid) && !self.released.contains(uid)
    }

    /// "Clean up containers for orphaned pod we had not seen before": a worker that kills the runtime
    /// pod with a grace period of 1 s (`SyncTerminatingRuntimePod`), then removes what is left.
    fn terminate_runtime_pod(&mut self, pod_ref: PodRef, now: Millis, out: &mut Vec<Output>) {
        let uid = pod_ref.uid.clone();
        let mut stub = Pod::new(pod_ref.name, uid.clone(), self.config.node_name.clone());
        stub.namespace = pod_ref.namespace.to_string();
        std::sync::Arc::make_mut(&mut stub.spec).termination_grace_period_seconds = 0;
        self.hit(Probe::CleanupOrphanRuntimePod);
        self.add_stub_worker(stub, WorkerState::Terminating, out);
        self.start_sync(&uid, now, out);
    }

    /// `cleanupOrphanedPodDirs`: every pod directory found on disk that no worker claimed and no
    /// runtime pod owns gets a worker that unmounts its volumes and removes it.
    fn cleanup_orphaned_pod_dirs(&mut self, now: Millis, out: &mut Vec<Output>) {
        let Some(disk) = &self.disk else { return };
        let orphans: Vec<String> = disk
            .keys()
            .filter(|uid| self.is_unknown_pod(uid) && !self.pleg.pods.contains_key(*uid))
            .cloned()
            .collect();
        for uid in orphans {
            // No name is known: the directory is all there is of the pod.
            let stub = Pod::new(uid.clone(), uid.clone(), self.config.node_name.clone());
            self.hit(Probe::CleanupOrphanPodDir);
            self.add_stub_worker(stub, WorkerState::Terminated, out);
            self.start_sync(&uid, now, out);
        }
    }

    /// A worker for a pod known only from the node, not from the API server, with the volumes the
    /// disk shows mounted for it.
    fn add_stub_worker(&mut self, stub: Pod, state: WorkerState, out: &mut Vec<Output>) {
        let uid = stub.uid.clone();
        out.push(Output::Decision(Decision::Worker { pod_uid: uid.clone(), state }));
        let mut worker = PodWorker::new(stub, false, state);
        worker.mounted = self.claim_reconstructed_mounts(&uid);
        self.workers.insert(uid, worker);
        self.housekeeping_due = true;
    }

    /// The volumes the disk showed mounted for a pod, handed to its new worker (the volume manager's
    /// actual state of the world); the directory is the worker's from now on.
    pub(super) fn claim_reconstructed_mounts(&mut self, uid: &str) -> BTreeSet<String> {
        let mounts = self.disk.as_mut().and_then(|d| d.remove(uid)).unwrap_or_default();
        self.housekeeping_due = true;
        if !mounts.is_empty() {
            self.hit(Probe::StartupMountsReconstructed);
        }
        mounts
    }

    /// The node listed its pod directories: the volume manager's reconstruction. Workers that exist
    /// already take their pod's mounts; the rest waits for the housekeeping.
    pub(super) fn on_pod_dirs(&mut self, reply: NodeReply, now: Millis, out: &mut Vec<Output>) {
        let NodeReply::PodDirs(dirs) = reply else {
            // Nothing could be read: nothing is reconstructed (the kubelet logs and goes on).
            self.disk = Some(BTreeMap::new());
            self.housekeeping_due = true;
            return;
        };
        let mut disk: BTreeMap<String, BTreeSet<String>> =
            dirs.into_iter().map(|d| (d.pod_uid, d.volumes.into_iter().collect())).collect();
        for (uid, worker) in self.workers.iter_mut() {
            if let Some(volumes) = disk.remove(uid) {
                if !volumes.is_empty() {
                    self.probes_hit.hit(Probe::StartupMountsReconstructed);
                }
                worker.mounted.extend(volumes);
            }
        }
        self.disk = Some(disk);
        self.housekeeping_due = true;
        self.handle_pod_cleanups(now, out);
    }
}
