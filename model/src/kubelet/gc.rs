//! Garbage collection of a pod's dead containers and sandboxes (pkg/kubelet/kuberuntime/
//! kuberuntime_gc.go `evictContainers`, `evictSandboxes`; kuberuntime_container.go
//! `purgeInitContainers`), and the removal of everything of a terminated pod.
//!
//! The kubelet's container GC runs every `ContainerGCPeriod` (1 min) over all pods; podsim runs it
//! for one pod at the start of each runtime sync, with `MaxPerPodContainer` = 1: the newest exited
//! instance of each container stays (it carries the restart count and when it finished), and so does
//! the newest sandbox. A terminated pod's containers and sandboxes are all removed by its worker
//! (podsim's stand-in for the GC of a pod that is gone, see [`super::housekeeping`]).

use crate::shared_str::SharedStr;
use std::collections::BTreeSet;

use super::sync_run::Step;
use super::Kubelet;
use crate::coverage::{Probe, Probes};
use crate::io::{CriError, CriReply, CriRequest, Output};
use crate::pod::Pod;
use crate::runtime::{ContainerState, RuntimePodStatus, SandboxState};

/// The pod's container and sandbox GC, as steps.
pub(super) fn collect_garbage(runtime: &RuntimePodStatus, probes: &mut Probes) -> Vec<Step> {
    let mut steps = Vec::new();
    let dead = evictable_containers(runtime);
    if !dead.is_empty() {
        probes.hit(Probe::GcDeadContainers);
        steps.push(Step::RemoveContainers(dead));
    }
    let old_sandboxes = evictable_sandboxes(runtime);
    if !old_sandboxes.is_empty() {
        probes.hit(Probe::GcOldSandboxes);
        steps.push(Step::RemoveSandboxes(old_sandboxes));
    }
    steps
}

/// `evictContainers` with `MaxPerPodContainer` = 1: every exited instance of a container but the
/// newest. (Running instances are not counted: the newest dead one stays beside a running one, so
/// that lastState is still known.)
fn evictable_containers(runtime: &RuntimePodStatus) -> Vec<SharedStr> {
    let mut names = BTreeSet::new();
    runtime
        .containers
        .iter()
        .filter(|c| c.state == ContainerState::Exited && !names.insert(c.name.as_str()))
        .map(|c| c.id.clone())
        .collect()
}

/// `evictSandboxes`: a sandbox that is not ready, not the newest, and holds no container any more.
fn evictable_sandboxes(runtime: &RuntimePodStatus) -> Vec<SharedStr> {
    runtime
        .sandboxes
        .iter()
        .skip(1)
        .filter(|s| s.state != SandboxState::Ready)
        .filter(|s| !runtime.containers.iter().any(|c| c.sandbox_id == s.id))
        .map(|s| s.id.clone())
        .collect()
}

/// `purgeInitContainers`: a new sandbox starts initialisation over, so every instance of an init
/// container goes.
pub(super) fn purge_init_containers(
    pod: &Pod,
    runtime: &RuntimePodStatus,
    probes: &mut Probes,
) -> Option<Step> {
    let init_ids: Vec<SharedStr> = runtime
        .containers
        .iter()
        .filter(|c| pod.spec.init_containers.iter().any(|i| i.name() == c.name))
        .map(|c| c.id.clone())
        .collect();
    if init_ids.is_empty() {
        return None;
    }
    probes.hit(Probe::GcInitPurged);
    Some(Step::RemoveContainers(init_ids))
}

impl Kubelet {
    /// Remove every container, then every sandbox, of the runtime state just read.
    pub(super) fn remove_all(&mut self, uid: &str) {
        let run = self.sync_mut(uid).expect("the RemoveAll step runs within a sync");
        let containers = run.runtime.containers.iter().map(|c| c.id.clone()).collect();
        let sandboxes = run.runtime.sandboxes.iter().map(|s| s.id.clone()).collect();
        run.push_next([Step::RemoveContainers(containers), Step::RemoveSandboxes(sandboxes)].into_iter());
    }

    /// `RemoveContainer` of each.
    pub(super) fn remove_containers(&mut self, uid: &str, ids: Vec<SharedStr>, out: &mut Vec<Output>) {
        for container_id in ids {
            self.cri(uid, out, CriRequest::RemoveContainer { container_id });
        }
    }

    /// `RemovePodSandbox` of each.
    pub(super) fn remove_sandboxes(&mut self, uid: &str, ids: Vec<SharedStr>, out: &mut Vec<Output>) {
        for sandbox_id in ids {
            self.cri(uid, out, CriRequest::RemovePodSandbox { sandbox_id });
        }
    }

    /// A removal was answered: removed, or gone already; otherwise the sync fails.
    pub(super) fn on_removed(&mut self, uid: &str, reply: CriReply) {
        match reply {
            CriReply::Ok | CriReply::Err(CriError::NotFound) => {}
            failure => {
                self.hit(Probe::SyncFailRemove);
                self.fail(uid, format!("stop or remove: {failure:?}"));
            }
        }
    }
}
