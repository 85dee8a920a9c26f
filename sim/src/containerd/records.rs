//! containerd's metadata of sandboxes and containers, and the listings it hands out. A listing of
//! every object is built once and shared until an object changes, so that the kubelet's relist of a
//! quiet node (one a second) costs a reference count instead of a copy of every record (issue 16).
//! Objects are also found by id and by pod through an index, so that a call on one object, or a
//! listing of one pod's, does not scan the node: the cost of a call stays flat as the node grows.
//!
//! Records change only through these methods: in place ([`Records::sandboxes_mut`],
//! [`Records::containers_mut`]: ids and pod labels never change), added (`push_*`) or removed
//! (`retain_*`); each drops the shared listing of its kind, and a removal drops the index (rebuilt
//! at its next use).

use std::collections::BTreeMap;

use podsim_model::io::{ContainerInfo, ContainerList, SandboxInfo, SandboxList};

use super::{ContainerRecord, SandboxRecord};

/// The sandboxes and containers, oldest first, with their shared full listings and their index.
#[derive(Clone, Debug, Default)]
pub(super) struct Records {
    sandboxes: Vec<SandboxRecord>,
    containers: Vec<ContainerRecord>,
    /// Every sandbox as `ListPodSandbox` shows it, newest first, while no sandbox changed.
    sandbox_listing: Option<SandboxList>,
    /// Every container as `ListContainers` shows it, newest first, while no container changed.
    container_listing: Option<ContainerList>,
    /// Where each object is, by id and by pod (`None`: to be rebuilt after a removal).
    index: Option<Index>,
}

/// Positions in [`Records`]' vectors (ascending: oldest first).
#[derive(Clone, Debug, Default)]
struct Index {
    sandbox_by_id: BTreeMap<String, usize>,
    container_by_id: BTreeMap<String, usize>,
    /// Pod UID -> its sandboxes' and containers' positions.
    by_pod: BTreeMap<String, (Vec<usize>, Vec<usize>)>,
}

impl Index {
    fn of(sandboxes: &[SandboxRecord], containers: &[ContainerRecord]) -> Index {
        let mut index = Index::default();
        for (at, s) in sandboxes.iter().enumerate() {
            index.add_sandbox(at, s);
        }
        for (at, c) in containers.iter().enumerate() {
            index.add_container(at, c);
        }
        index
    }

    fn add_sandbox(&mut self, at: usize, s: &SandboxRecord) {
        self.sandbox_by_id.insert(s.status.id.to_string(), at);
        if let Some(pod) = &s.pod {
            self.by_pod.entry(pod.uid.clone()).or_default().0.push(at);
        }
    }

    fn add_container(&mut self, at: usize, c: &ContainerRecord) {
        self.container_by_id.insert(c.status.id.to_string(), at);
        if let Some(pod) = &c.pod {
            self.by_pod.entry(pod.uid.clone()).or_default().1.push(at);
        }
    }
}

impl Records {
    /// The sandboxes, oldest first.
    pub(super) fn sandboxes(&self) -> &[SandboxRecord] {
        &self.sandboxes
    }

    /// The containers, oldest first.
    pub(super) fn containers(&self) -> &[ContainerRecord] {
        &self.containers
    }

    /// The sandboxes, to change in place: the shared listing of sandboxes is dropped.
    pub(super) fn sandboxes_mut(&mut self) -> &mut [SandboxRecord] {
        self.sandbox_listing = None;
        &mut self.sandboxes
    }

    /// The containers, to change in place: the shared listing of containers is dropped.
    pub(super) fn containers_mut(&mut self) -> &mut [ContainerRecord] {
        self.container_listing = None;
        &mut self.containers
    }

    /// A new sandbox (the newest).
    pub(super) fn push_sandbox(&mut self, s: SandboxRecord) {
        self.sandbox_listing = None;
        if let Some(index) = &mut self.index {
            index.add_sandbox(self.sandboxes.len(), &s);
        }
        self.sandboxes.push(s);
    }

    /// A new container (the newest).
    pub(super) fn push_container(&mut self, c: ContainerRecord) {
        self.container_listing = None;
        if let Some(index) = &mut self.index {
            index.add_container(self.containers.len(), &c);
        }
        self.containers.push(c);
    }

    /// Keeps the sandboxes `keep` says to keep.
    pub(super) fn retain_sandboxes(&mut self, keep: impl FnMut(&SandboxRecord) -> bool) {
        self.sandbox_listing = None;
        self.index = None;
        self.sandboxes.retain(keep);
    }

    /// Keeps the containers `keep` says to keep.
    pub(super) fn retain_containers(&mut self, keep: impl FnMut(&ContainerRecord) -> bool) {
        self.container_listing = None;
        self.index = None;
        self.containers.retain(keep);
    }

    fn index(&mut self) -> &Index {
        let (sandboxes, containers) = (&self.sandboxes, &self.containers);
        self.index.get_or_insert_with(|| Index::of(sandboxes, containers))
    }

    /// The sandbox with this id (through the index if it is built).
    pub(super) fn sandbox(&self, id: &str) -> Option<&SandboxRecord> {
        match &self.index {
            Some(index) => index.sandbox_by_id.get(id).map(|&at| &self.sandboxes[at]),
            None => self.sandboxes.iter().find(|s| s.status.id == id),
        }
    }

    /// The container with this id (through the index if it is built).
    pub(super) fn container(&self, id: &str) -> Option<&ContainerRecord> {
        match &self.index {
            Some(index) => index.container_by_id.get(id).map(|&at| &self.containers[at]),
            None => self.containers.iter().find(|c| c.status.id == id),
        }
    }

    /// The sandbox with this id.
    pub(super) fn sandbox_mut(&mut self, id: &str) -> Option<&mut SandboxRecord> {
        let at = *self.index().sandbox_by_id.get(id)?;
        self.sandbox_listing = None;
        self.sandboxes.get_mut(at)
    }

    /// The container with this id.
    pub(super) fn container_mut(&mut self, id: &str) -> Option<&mut ContainerRecord> {
        let at = *self.index().container_by_id.get(id)?;
        self.container_listing = None;
        self.containers.get_mut(at)
    }

    /// The positions of one pod's sandboxes and containers (oldest first).
    fn of_pod(&mut self, pod_uid: &str) -> (Vec<usize>, Vec<usize>) {
        self.index().by_pod.get(pod_uid).cloned().unwrap_or_default()
    }

    /// One pod's sandboxes, newest first.
    pub(super) fn pod_sandboxes(&mut self, pod_uid: &str) -> impl Iterator<Item = &SandboxRecord> {
        let (sandboxes, _) = self.of_pod(pod_uid);
        sandboxes.into_iter().rev().map(|at| &self.sandboxes[at])
    }

    /// One pod's containers, newest first.
    pub(super) fn pod_containers(&mut self, pod_uid: &str) -> impl Iterator<Item = &ContainerRecord> {
        let (_, containers) = self.of_pod(pod_uid);
        containers.into_iter().rev().map(|at| &self.containers[at])
    }

    /// Every sandbox, newest first, shared until a sandbox changes.
    pub(super) fn sandbox_listing(&mut self, info: impl Fn(&SandboxRecord) -> SandboxInfo) -> SandboxList {
        let sandboxes = &self.sandboxes;
        self.sandbox_listing.get_or_insert_with(|| sandboxes.iter().rev().map(info).collect()).clone()
    }

    /// Every container, newest first, shared until a container changes.
    pub(super) fn container_listing(
        &mut self,
        info: impl Fn(&ContainerRecord) -> ContainerInfo,
    ) -> ContainerList {
        let containers = &self.containers;
        self.container_listing.get_or_insert_with(|| containers.iter().rev().map(info).collect()).clone()
    }
}
