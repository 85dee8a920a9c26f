//! containerd's metadata of sandboxes and containers, and the listings it hands out. A listing of
//! every object is built once and shared until an object changes, so that the kubelet's relist of a
//! quiet node (one a second) costs a reference count instead of a copy of every record (issue 16).
//! Objects are also found by id and by pod through an index, so that a call on one object, or a
//! listing of one pod's, does not scan the node: the cost of a call stays flat as the node grows.
//!
//! Records change only through these methods: in place ([`Records::sandboxes_mut`],
//! [`Records::containers_mut`]: ids and pod labels never change), added (`push_*`) or removed
//! (`retain_*`); each drops the shared listing of its kind and keeps the index up to date (a removal
//! moves the positions after it: the index follows them in one pass, without rebuilding its maps).

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
    /// Where each object is, by id and by pod (`None`: not built yet, built at its first use).
    index: Option<Index>,
}

/// Positions in [`Records`]' vectors (ascending: oldest first).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
            self.by_pod.entry(pod.uid.to_string()).or_default().0.push(at);
        }
    }

    fn add_container(&mut self, at: usize, c: &ContainerRecord) {
        self.container_by_id.insert(c.status.id.to_string(), at);
        if let Some(pod) = &c.pod {
            self.by_pod.entry(pod.uid.to_string()).or_default().1.push(at);
        }
    }
}

/// Where a removal moved each record: by old position, the new one (`None`: removed).
type Moves = Vec<Option<usize>>;

/// `items.retain(keep)`, and where each record went; `None` if nothing was removed.
fn retain_positions<T>(items: &mut Vec<T>, mut keep: impl FnMut(&T) -> bool) -> Option<Moves> {
    let mut moved = Vec::with_capacity(items.len());
    let mut next = 0;
    items.retain(|item| {
        let kept = keep(item);
        moved.push(kept.then_some(next));
        next += usize::from(kept);
        kept
    });
    (next < moved.len()).then_some(moved)
}

/// An id map after a removal: removed records leave it, the others take their new positions.
fn follow(by_id: &mut BTreeMap<String, usize>, moved: &Moves) {
    by_id.retain(|_, at| match moved[*at] {
        Some(new) => {
            *at = new;
            true
        }
        None => false,
    });
}

/// A pod's positions after a removal (ascending before and after).
fn follow_list(positions: &mut Vec<usize>, moved: &Moves) {
    positions.retain_mut(|at| match moved[*at] {
        Some(new) => {
            *at = new;
            true
        }
        None => false,
    });
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
        let Some(moved) = retain_positions(&mut self.sandboxes, keep) else { return };
        self.sandbox_listing = None;
        if let Some(index) = &mut self.index {
            follow(&mut index.sandbox_by_id, &moved);
            index.by_pod.retain(|_, (sandboxes, containers)| {
                follow_list(sandboxes, &moved);
                !sandboxes.is_empty() || !containers.is_empty()
            });
        }
    }

    /// Keeps the containers `keep` says to keep.
    pub(super) fn retain_containers(&mut self, keep: impl FnMut(&ContainerRecord) -> bool) {
        let Some(moved) = retain_positions(&mut self.containers, keep) else { return };
        self.container_listing = None;
        if let Some(index) = &mut self.index {
            follow(&mut index.container_by_id, &moved);
            index.by_pod.retain(|_, (sandboxes, containers)| {
                follow_list(containers, &moved);
                !sandboxes.is_empty() || !containers.is_empty()
            });
        }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use podsim_model::io::PodRef;
    use podsim_model::workload::{Health, Workload};
    use podsim_model::{ContainerKind, ContainerState, ContainerStatus, SandboxState, SandboxStatus};

    use super::{ContainerRecord, Index, Records, SandboxRecord};

    fn pod(uid: &str) -> Option<PodRef> {
        Some(PodRef { namespace: "default".into(), name: uid.into(), uid: uid.into() })
    }

    fn sandbox(id: &str, uid: &str) -> SandboxRecord {
        let status = SandboxStatus {
            id: id.into(),
            state: SandboxState::Ready,
            attempt: 0,
            ip: "10.0.0.1".into(),
            host_network: false,
            created_at: 0,
        };
        SandboxRecord { pod: pod(uid), status, pause_alive: true }
    }

    fn container(id: &str, uid: &str, sandbox_id: &str) -> ContainerRecord {
        let status = ContainerStatus {
            id: id.into(),
            name: "app".into(),
            state: ContainerState::Running,
            exit_code: 0,
            reason: Default::default(),
            hash: 1,
            restart_count: 0,
            sandbox_id: sandbox_id.into(),
            image: "busybox".into(),
            created_at: 0,
            started_at: Some(0),
            finished_at: None,
            resources: None,
        };
        ContainerRecord {
            pod: pod(uid),
            status,
            workload: Workload::Run,
            health: Health::default(),
            failing: BTreeMap::new(),
            generation: 1,
            kind: Some(ContainerKind::Regular),
            attempt: 0,
            kill_at: None,
        }
    }

    /// After removals the index is the one a rebuild from the records would give, and lookups by
    /// id and by pod find the records that remain.
    #[test]
    fn a_removal_keeps_the_index_as_a_rebuild_would_make_it() {
        let mut records = Records::default();
        for (n, uid) in ["a", "b", "c", "a", "b"].iter().enumerate() {
            records.push_sandbox(sandbox(&format!("s{n}"), uid));
            records.push_container(container(&format!("c{n}"), uid, &format!("s{n}")));
            records.push_container(container(&format!("d{n}"), uid, &format!("s{n}")));
        }
        assert_eq!(records.pod_sandboxes("a").count(), 2, "builds the index");
        records.retain_containers(|c| c.status.sandbox_id != "s1");
        records.retain_sandboxes(|s| s.status.id != "s1");
        records.retain_containers(|c| c.status.id != "c0");
        let rebuilt = Index::of(&records.sandboxes, &records.containers);
        assert_eq!(records.index.as_ref(), Some(&rebuilt));
        assert!(records.sandbox("s1").is_none() && records.container("d1").is_none());
        assert_eq!(records.container("d4").map(|c| c.status.sandbox_id.as_str()), Some("s4"));
        let ids = |records: &mut Records, uid: &str| -> Vec<String> {
            records.pod_containers(uid).map(|c| c.status.id.to_string()).collect()
        };
        assert_eq!(ids(&mut records, "a"), ["d3", "c3", "d0"], "newest first");
        assert_eq!(ids(&mut records, "b"), ["d4", "c4"]);
        records.retain_sandboxes(|s| s.status.id != "s2");
        records.retain_containers(|c| c.status.sandbox_id != "s2");
        assert!(!records.index.as_ref().unwrap().by_pod.contains_key("c"), "a pod with nothing left leaves");
        assert_eq!(records.index.as_ref(), Some(&Index::of(&records.sandboxes, &records.containers)));
    }
}
