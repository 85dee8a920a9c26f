//! The PLEG (pkg/kubelet/pleg/generic.go `GenericPLEG`): every relist period it lists the runtime's
//! sandboxes and containers, compares each pod's objects with the last relist, and asks for a sync of
//! each pod with an event worth one (`isSyncPodWorthy`). The relist also keeps what the housekeeping
//! and the probe results need: the pods with runtime objects and the containers seen.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{CallOwner, Kubelet};
use crate::coverage::Probe;
use crate::io::{
    ContainerInfo, ContainerList, CriReply, CriRequest, Output, PodRef, SandboxInfo, SandboxList, Timer,
};
use crate::runtime::{ContainerState, Millis, SandboxState};

/// The PLEG's relist in progress and the last state it saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Pleg {
    in_flight: bool,
    sandboxes: Option<SandboxList>,
    containers: Option<ContainerList>,
    failed: bool,
    /// The sandboxes the last relist saw (to tell a relist that saw nothing new).
    seen_sandboxes: SandboxList,
    /// Per pod UID: its runtime objects at the last relist (id hash and state, sorted).
    last: BTreeMap<String, PlegRecord>,
    /// The containers the last relist saw (to find a container's pod).
    seen_containers: ContainerList,
    /// The pods (by UID) that had runtime objects at the last relist, with their labels.
    pub(super) pods: BTreeMap<String, PodRef>,
    /// Whether a relist has completed (the runtime cache has been filled once).
    pub(super) relisted: bool,
}

impl Pleg {
    /// `isPodStatusCacheTerminal` on the runtime cache the relists fill: none of the pod's containers
    /// runs and none of its sandboxes is ready (a pod the cache does not hold has neither). Before
    /// the first relist the cache says nothing: podsim answers false there, where the kubelet's empty
    /// cache would answer true and its housekeeping would then kill what runs (`HandlePodCleanups`,
    /// `SyncPodKill`); the pod's first sync reads the runtime itself instead and, its phase held
    /// terminal, stops what runs.
    pub(super) fn shows_terminal(&self, uid: &str) -> bool {
        self.relisted
            && self
                .last
                .get(uid)
                .is_none_or(|objects| objects.iter().all(|(_, state)| *state != PlegState::Running))
    }
}

/// The PLEG's state of a runtime object (generic.go `convertState`; a sandbox counts as a container).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
enum PlegState {
    Running,
    Exited,
    Unknown,
}

/// A pod's runtime objects as a relist saw them: id hash and state, sorted.
type PlegRecord = Vec<(u64, PlegState)>;

/// Which of the relist's two lists a reply answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RelistPart {
    Sandboxes,
    Containers,
}

/// A runtime object's id, hashed for the PLEG's record of a pod (FNV-1a, then the splitmix64
/// finaliser).
fn id_hash(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

fn pleg_state(s: ContainerState) -> PlegState {
    match s {
        ContainerState::Running => PlegState::Running,
        ContainerState::Exited => PlegState::Exited,
        ContainerState::Created | ContainerState::Unknown => PlegState::Unknown,
    }
}

/// A sandbox counts as a container: running while ready, exited otherwise.
fn sandbox_pleg_state(s: SandboxState) -> PlegState {
    match s {
        SandboxState::Ready => PlegState::Running,
        SandboxState::NotReady => PlegState::Exited,
    }
}

/// Whether the PLEG's events between two relists of a pod are worth a sync (`isSyncPodWorthy`): a
/// container started, died or changed; a container that was seen exited and is now gone is only
/// `ContainerRemoved`, which is not. Both records are sorted by id hash.
fn sync_worthy(old: &[(u64, PlegState)], new: &[(u64, PlegState)]) -> bool {
    let changed = new
        .iter()
        .any(|(id, state)| old.binary_search_by_key(id, |(h, _)| *h).map_or(true, |i| old[i].1 != *state));
    let vanished_alive = old
        .iter()
        .any(|(id, state)| *state != PlegState::Exited && new.binary_search_by_key(id, |(h, _)| *h).is_err());
    changed || vanished_alive
}

/// Every runtime object of a pod in one relist: the pod's UID, the object's id hash and state, and the
/// pod's labels; sorted by UID, then id hash, so that each pod's objects are one run of the list.
fn objects_by_pod<'a>(sandboxes: &'a [SandboxInfo], containers: &'a [ContainerInfo]) -> Vec<PodObject<'a>> {
    let sandboxes = sandboxes.iter().filter_map(|sb| {
        sb.pod.as_ref().map(|p| (p, id_hash(&sb.status.id), sandbox_pleg_state(sb.status.state)))
    });
    let containers = containers
        .iter()
        .filter_map(|c| c.pod.as_ref().map(|p| (p, id_hash(&c.status.id), pleg_state(c.status.state))));
    let mut objects: Vec<PodObject<'a>> = sandboxes
        .chain(containers)
        .enumerate()
        .map(|(order, (pod, hash, state))| PodObject { pod, hash, state, order })
        .collect();
    objects.sort_by(|a, b| (a.pod.uid.as_str(), a.hash, a.state).cmp(&(b.pod.uid.as_str(), b.hash, b.state)));
    objects
}

/// One runtime object of a pod, as [`objects_by_pod`] lists it.
struct PodObject<'a> {
    pod: &'a PodRef,
    hash: u64,
    state: PlegState,
    /// Its place in the relist (sandboxes first): a pod's labels are its first object's.
    order: usize,
}

/// The labels of the pod of a run of objects: those of its first object in the relist.
fn labels_of<'a>(group: &[PodObject<'a>]) -> &'a PodRef {
    group.iter().min_by_key(|o| o.order).expect("a run of objects is never empty").pod
}

impl Kubelet {
    /// `relist`, on its timer: list every sandbox and container (one relist at a time).
    pub(super) fn relist(&mut self, now: Millis, out: &mut Vec<Output>) {
        out.push(Output::SetTimer { at: now + self.config.relist_period, timer: Timer::Relist });
        if self.pleg.in_flight {
            return;
        }
        self.pleg.in_flight = true;
        self.pleg.failed = false;
        let call = self.call_id(CallOwner::RelistSandboxes);
        out.push(Output::Cri { call, request: CriRequest::ListPodSandbox { pod_uid: None } });
        let call = self.call_id(CallOwner::RelistContainers);
        out.push(Output::Cri { call, request: CriRequest::ListContainers { pod_uid: None } });
    }

    /// One of the relist's lists was answered: a list of the other kind, or an error, fails the
    /// relist (it is tried again at the next period).
    pub(super) fn on_relist_reply(
        &mut self,
        part: RelistPart,
        reply: CriReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        match (part, reply) {
            (RelistPart::Sandboxes, CriReply::Sandboxes(s)) => self.pleg.sandboxes = Some(s),
            (RelistPart::Containers, CriReply::Containers(c)) => self.pleg.containers = Some(c),
            (RelistPart::Sandboxes | RelistPart::Containers, _) => self.pleg.failed = true,
        }
        self.finish_relist(now, out);
    }

    /// The pod whose container has this id, as the last relist saw it.
    pub(super) fn pleg_owner_of(&self, container_id: &str) -> Option<String> {
        self.pleg
            .seen_containers
            .iter()
            .find(|c| c.status.id == container_id)
            .and_then(|c| c.pod.as_ref())
            .map(|p| p.uid.to_string())
    }

    /// Whether one of the relist's lists is still out.
    fn relist_waiting(&self) -> bool {
        self.calls.values().any(|o| matches!(o, CallOwner::RelistSandboxes | CallOwner::RelistContainers))
    }

    /// Once both lists are answered: compare each pod with the last relist, sync the pods whose
    /// events are worth it, then run the housekeeping.
    fn finish_relist(&mut self, now: Millis, out: &mut Vec<Output>) {
        if !self.pleg.failed && (self.pleg.sandboxes.is_none() || self.pleg.containers.is_none()) {
            return;
        }
        if self.relist_waiting() {
            return;
        }
        self.pleg.in_flight = false;
        let sandboxes = self.pleg.sandboxes.take();
        let containers = self.pleg.containers.take();
        let (Some(sandboxes), Some(containers)) = (sandboxes, containers) else {
            self.hit(Probe::PlegRelistFailed);
            return;
        };
        let changed = if self.saw_nothing_new(&sandboxes, &containers) {
            Vec::new()
        } else {
            let changed = self.compare_with_last_relist(&sandboxes, &containers);
            if !self.probes.0.is_empty() {
                // Forget probe results of containers that are gone.
                let live: BTreeSet<&str> = containers.iter().map(|c| c.status.id.as_str()).collect();
                self.probes.0.retain(|id, _| live.contains(id.as_str()));
            }
            changed
        };
        // Kept even when equal to the last ones: the next relist of an unchanged runtime is then the
        // same shared snapshot, told apart by a pointer instead of a comparison.
        self.pleg.seen_sandboxes = sandboxes;
        self.pleg.seen_containers = containers;
        self.pleg.relisted = true;
        for uid in changed {
            if self.workers.contains_key(&uid) {
                self.request_sync(&uid, now, out);
            }
        }
        // Runtime objects of pods the kubelet does not know are terminated by the housekeeping.
        self.handle_pod_cleanups(now, out);
    }

    /// Whether this relist's lists are the last relist's (the same shared snapshot, or equal): then
    /// no pod has an event, the records stay as they are, and no probe result is of a gone container.
    fn saw_nothing_new(&self, sandboxes: &SandboxList, containers: &ContainerList) -> bool {
        let same_sandboxes =
            Arc::ptr_eq(sandboxes, &self.pleg.seen_sandboxes) || *sandboxes == self.pleg.seen_sandboxes;
        same_sandboxes
            && (Arc::ptr_eq(containers, &self.pleg.seen_containers)
                || *containers == self.pleg.seen_containers)
    }

    /// Records this relist's objects of each pod in place of the last one's, and returns the pods
    /// whose change is worth a sync (those seen now first, then those gone, each in UID order). A pod
    /// whose objects are as the last relist saw them keeps its record untouched.
    fn compare_with_last_relist(
        &mut self,
        sandboxes: &[SandboxInfo],
        containers: &[ContainerInfo],
    ) -> Vec<String> {
        let objects = objects_by_pod(sandboxes, containers);
        let mut changed: Vec<String> = Vec::new();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for group in objects.chunk_by(|a, b| a.pod.uid == b.pod.uid) {
            let pod = group[0].pod;
            seen.insert(&pod.uid);
            let unchanged = self.pleg.last.get(pod.uid.as_str()).is_some_and(|last| {
                last.len() == group.len() && last.iter().zip(group).all(|(l, o)| *l == (o.hash, o.state))
            });
            if unchanged {
                continue;
            }
            let record = self.pleg.last.entry(pod.uid.to_string()).or_default();
            let new: PlegRecord = group.iter().map(|o| (o.hash, o.state)).collect();
            if sync_worthy(record, &new) {
                changed.push(pod.uid.to_string());
            }
            *record = new;
        }
        for (uid, old) in &self.pleg.last {
            if !seen.contains(uid.as_str()) && sync_worthy(old, &[]) {
                changed.push(uid.clone());
            }
        }
        self.pleg.last.retain(|uid, _| seen.contains(uid.as_str()));
        self.record_pods(&objects, &seen);
        changed
    }

    /// Keeps the labels of each pod with runtime objects ([`Pleg::pods`]), changing only what changed.
    fn record_pods(&mut self, objects: &[PodObject<'_>], seen: &BTreeSet<&str>) {
        self.housekeeping_due = true;
        self.pleg.pods.retain(|uid, _| seen.contains(uid.as_str()));
        for group in objects.chunk_by(|a, b| a.pod.uid == b.pod.uid) {
            let pod = labels_of(group);
            if self.pleg.pods.get(pod.uid.as_str()) != Some(pod) {
                self.pleg.pods.insert(pod.uid.to_string(), pod.clone());
            }
        }
    }
}
