//! The kubelet's pod config (pkg/kubelet/config/config.go): what a version of a known pod, delivered
//! by the list/watch, asks of the pod workers.
//!
//! The config keeps the last version of each pod and compares the next with it (`checkAndUpdatePod`):
//! a change the kubelet acts on (spec, labels, annotations, deletion timestamp or grace period;
//! `podsDifferSemantically`) is an UPDATE (or a DELETE when it sets the deletion timestamp), and it
//! dispatches a sync. A change of nothing but the status (such as the kubelet's own status write,
//! coming back on the watch) is a RECONCILE: `HandlePodReconcile` stores the pod in the pod manager
//! and dispatches a sync only to fix the Ready condition of a pod with readiness gates, or to remove
//! the dead containers of an evicted pod; podsim's pods have neither.

use super::pod_workers::PodWorker;
use super::Kubelet;
use crate::coverage::Probe;
use crate::io::{Decision, Output, WorkerState};
use crate::pod::Pod;
use crate::runtime::Millis;

/// What a new version of a known pod is (`checkAndUpdatePod`'s results).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PodChange {
    /// A meaningful change: sync the pod with it (`needUpdate`).
    Update,
    /// A meaningful change that sets the deletion timestamp (`needGracefulDelete`).
    GracefulDelete,
    /// Only the status changed (`needReconcile`): store it, sync nothing.
    Reconcile,
    /// The same object again.
    Unchanged,
}

/// `podsDifferSemantically`: whether the kubelet acts on the difference. Of the fields it compares,
/// podsim's pod carries the spec and the deletion timestamp and grace period (no labels or
/// annotations).
pub(crate) fn pods_differ_semantically(existing: &Pod, new: &Pod) -> bool {
    existing.spec != new.spec
        || existing.deletion_timestamp != new.deletion_timestamp
        || existing.deletion_grace_period_seconds != new.deletion_grace_period_seconds
}

/// Whether the API server holds the pod as Succeeded or Failed (`podutil.IsPodPhaseTerminal` of
/// `pod.Status.Phase`).
pub(crate) fn is_api_terminal(pod: &Pod) -> bool {
    pod.status.as_ref().is_some_and(|s| s.phase.is_terminal())
}

/// `checkAndUpdatePod`: what `new` is, next to the version the kubelet has. Any other write (here:
/// a status write) gives the object a new resource version and nothing else.
pub(crate) fn check_pod(existing: &Pod, new: &Pod) -> PodChange {
    if !pods_differ_semantically(existing, new) {
        if existing.resource_version != new.resource_version {
            return PodChange::Reconcile;
        }
        return PodChange::Unchanged;
    }
    if new.deletion_timestamp.is_some() {
        PodChange::GracefulDelete
    } else {
        PodChange::Update
    }
}

impl Kubelet {
    /// A version of a pod from the list or the watch: the pod config's `checkAndUpdatePod`, then the
    /// pod manager and the pod workers (`HandlePodAdditions`, `HandlePodUpdates`, `HandlePodReconcile`).
    pub(super) fn upsert_pod(&mut self, pod: Pod, now: Millis, out: &mut Vec<Output>) {
        if pod.spec.node_name != self.config.node_name || self.released.contains(&pod.uid) {
            // Bound elsewhere, or already released: not this kubelet's business.
            return;
        }
        let uid = pod.uid.clone();
        let deleted = pod.deletion_timestamp.is_some();
        let added = !self.workers.get(&uid).is_some_and(|w| w.in_api);
        match self.workers.get_mut(&uid) {
            Some(w) if w.in_api => match check_pod(w.latest(), &pod) {
                PodChange::Unchanged => return,
                PodChange::Reconcile => {
                    // `HandlePodReconcile`: the pod manager takes the new version, no sync is dispatched
                    // (that is only for readiness gates and evicted pods, which podsim's pods lack).
                    w.store(pod);
                    return;
                }
                PodChange::Update => {
                    w.store(pod);
                    if self.config.feature_gates.in_place_pod_vertical_scaling {
                        // `HandlePodUpdates`: a resize is handled before the pod worker's update.
                        self.on_pod_updated_for_resize(&uid, now, out);
                    }
                }
                PodChange::GracefulDelete => w.store(pod),
            },
            Some(w) => {
                // Known only from the runtime until now.
                w.store(pod);
                w.in_api = true;
            }
            None => {
                // `UpdatePod`, a pod seen for the first time: one the API server holds terminal, of
                // which the runtime cache shows nothing running, went through `SyncTerminatingPod`
                // before (a kubelet restart): its worker starts terminated, and only
                // `SyncTerminatedPod` runs (kubernetes#105523).
                let terminated = is_api_terminal(&pod) && self.pleg.shows_terminal(&uid);
                if terminated {
                    self.probes_hit.hit(Probe::WorkerStartsTerminated);
                }
                let state = if terminated { WorkerState::Terminated } else { WorkerState::Syncing };
                out.push(Output::Decision(Decision::Worker { pod_uid: uid.clone(), state }));
                if !is_api_terminal(&pod) {
                    // `HandlePodAdditions`: the allocation manager's `AddPod` (a pod already terminal
                    // is not admitted again).
                    self.allocate_new_pod(&pod);
                }
                let mut worker = PodWorker::new(pod, true, state);
                worker.terminal_only = terminated;
                worker.mounted = self.claim_reconstructed_mounts(&uid);
                self.workers.insert(uid.clone(), worker);
                self.housekeeping_due = true;
            }
        }
        self.register_secrets(&uid, now, out);
        let terminated = self.workers[&uid].state == WorkerState::Terminated;
        if added && !deleted && !terminated {
            // HandlePodAdditions: `probeManager.AddPod`.
            self.add_probe_workers(&uid, now, out);
        }
        if deleted {
            self.request_termination(&uid, now, out);
        } else {
            self.request_sync(&uid, now, out);
        }
    }

    /// The pod's API object is gone (or it was never in the API): `HandlePodRemoves`.
    pub(super) fn pod_gone(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        w.in_api = false;
        self.probes_hit.hit(Probe::TerminateRemovedFromApi);
        self.secrets.unregister_pod(uid);
        // `HandlePodRemoves`: the allocation goes, and what it held may admit a deferred resize.
        self.allocation.remove_pod(uid);
        self.retry_pending_resizes(now, out);
        self.request_termination(uid, now, out);
    }
}

/// Ported from pkg/kubelet/config/config_test.go (kubernetes master, read_file id 3694465888, the
/// Kubernetes 1.35 development line): `TestNewPodAddedSetReconciled`, and the deletion case of
/// `checkAndUpdatePod`'s contract. `TestPodUpdateAnnotations` and `TestPodUpdateLabels` are not
/// ported: podsim's pod has no labels or annotations.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::Container;

    fn pod() -> Pod {
        let mut p = Pod::new("changeable-pod-0", "uid-0", "node-1");
        p.spec_mut().containers.push(Container::new("ctr", "image:1"));
        p.resource_version = "1".into();
        p
    }

    fn with_status_written(p: &Pod) -> Pod {
        let mut p = p.clone();
        p.resource_version = "2".into();
        p
    }

    // "If status is not changed, no reconcile should be triggered"
    #[test]
    fn the_same_pod_again_is_no_change() {
        assert_eq!(check_pod(&pod(), &pod()), PodChange::Unchanged);
    }

    // "If the pod status is changed and not updated, a reconcile should be triggered"
    #[test]
    fn a_status_only_change_is_a_reconcile() {
        assert_eq!(check_pod(&pod(), &with_status_written(&pod())), PodChange::Reconcile);
    }

    // "If the pod status is changed, but the pod is also updated, no reconcile should be triggered"
    #[test]
    fn a_status_and_spec_change_is_an_update() {
        let mut new = with_status_written(&pod());
        new.spec_mut().containers[0] = Container::new("renamed", "image:1");
        assert_eq!(check_pod(&pod(), &new), PodChange::Update);
    }

    // checkAndUpdatePod: "if ref makes a meaningful change, and this change is graceful deletion,
    // returns needGracefulDelete=true"
    #[test]
    fn setting_the_deletion_timestamp_is_a_graceful_delete() {
        let mut new = with_status_written(&pod());
        new.deletion_timestamp = Some(5_000);
        new.deletion_grace_period_seconds = Some(30);
        assert_eq!(check_pod(&pod(), &new), PodChange::GracefulDelete);
        let mut shorter = new.clone();
        shorter.deletion_grace_period_seconds = Some(0);
        assert_eq!(check_pod(&new, &shorter), PodChange::GracefulDelete, "a shorter grace period");
    }
}
