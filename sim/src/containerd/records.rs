//! containerd's metadata of sandboxes and containers, and the listings it hands out. A listing of
//! every object is built once and shared until an object changes, so that the kubelet's relist of a
//! quiet node (one a second) costs a reference count instead of a copy of every record (issue 16).
//! Every change goes through [`Records::sandboxes_mut`] or [`Records::containers_mut`], which drop
//! the shared listing of their kind.

use podsim_model::io::{ContainerInfo, ContainerList, SandboxInfo, SandboxList};

use super::{ContainerRecord, SandboxRecord};

/// The sandboxes and containers, oldest first, with their shared full listings.
#[derive(Clone, Debug, Default)]
pub(super) struct Records {
    sandboxes: Vec<SandboxRecord>,
    containers: Vec<ContainerRecord>,
    /// Every sandbox as `ListPodSandbox` shows it, newest first, while no sandbox changed.
    sandbox_listing: Option<SandboxList>,
    /// Every container as `ListContainers` shows it, newest first, while no container changed.
    container_listing: Option<ContainerList>,
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

    /// The sandboxes, to change: the shared listing of sandboxes is dropped.
    pub(super) fn sandboxes_mut(&mut self) -> &mut Vec<SandboxRecord> {
        self.sandbox_listing = None;
        &mut self.sandboxes
    }

    /// The containers, to change: the shared listing of containers is dropped.
    pub(super) fn containers_mut(&mut self) -> &mut Vec<ContainerRecord> {
        self.container_listing = None;
        &mut self.containers
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
