//! What the checker's rules read of the container runtime: one view that both drivers provide. The
//! simulator's containerd gives its own records; a real containerd gives what its CRI
//! `ListPodSandbox` and `ListContainers` (and their statuses) return, which carry the same pod
//! labels and kubelet annotations ([`SandboxInfo`], [`ContainerInfo`]).

use std::cmp::Reverse;
use std::collections::BTreeSet;

use podsim_model::io::{ContainerInfo, PodRef, SandboxInfo};
use podsim_model::workload::Workload;
use podsim_model::{ContainerState, ContainerStatus, SandboxState, SandboxStatus};

use crate::containerd::Containerd;

/// One sandbox as the runtime shows it.
#[derive(Clone, Copy, Debug)]
pub struct RuntimeSandbox<'a> {
    /// Its pod, from its labels (`None`: not made by a kubelet).
    pub pod: Option<&'a PodRef>,
    /// Its status, as `ListPodSandbox` reports it.
    pub status: &'a SandboxStatus,
}

/// One container as the runtime shows it.
#[derive(Clone, Copy, Debug)]
pub struct RuntimeContainer<'a> {
    /// Its pod, from its labels (`None`: not made by a kubelet).
    pub pod: Option<&'a PodRef>,
    /// Its status with the kubelet's annotations read back, as `ListContainers` and
    /// `ContainerStatus` report it.
    pub status: &'a ContainerStatus,
}

impl RuntimeSandbox<'_> {
    /// Whether it belongs to the pod with this UID.
    pub fn is_of(&self, pod_uid: &str) -> bool {
        self.pod.is_some_and(|p| p.uid == pod_uid)
    }

    /// Whether it is ready.
    pub fn is_ready(&self) -> bool {
        self.status.state == SandboxState::Ready
    }
}

impl RuntimeContainer<'_> {
    /// Whether it belongs to the pod with this UID.
    pub fn is_of(&self, pod_uid: &str) -> bool {
        self.pod.is_some_and(|p| p.uid == pod_uid)
    }

    /// Whether its process runs.
    pub fn runs(&self) -> bool {
        self.status.state == ContainerState::Running
    }
}

/// The runtime as the checker reads it. Both lists are newest first (by creation), as the kubelet's
/// own listing orders them; objects without pod labels are listed too (the checker must see a
/// kubelet touch them).
pub trait RuntimeFacts {
    /// Every sandbox, newest first.
    fn sandboxes(&self) -> Box<dyn Iterator<Item = RuntimeSandbox<'_>> + '_>;
    /// Every container, newest first.
    fn containers(&self) -> Box<dyn Iterator<Item = RuntimeContainer<'_>> + '_>;
    /// Whether the node's image store has the image.
    fn has_image(&self, image: &str) -> bool;
    /// What a container of this image and command does, in podsim's workload vocabulary (the
    /// `workload` binary reads the command the same way; an image with a fixed behaviour has it).
    fn workload_for(&self, image: &str, command: &[String], args: &[String]) -> Workload {
        let _ = image;
        Workload::from_command(command, args)
    }

    /// The sandbox with this id.
    fn sandbox(&self, sandbox_id: &str) -> Option<RuntimeSandbox<'_>> {
        self.sandboxes().find(|s| s.status.id == sandbox_id)
    }

    /// The container with this id.
    fn container(&self, container_id: &str) -> Option<RuntimeContainer<'_>> {
        self.containers().find(|c| c.status.id == container_id)
    }
}

/// The simulated containerd, read directly.
impl RuntimeFacts for Containerd {
    fn sandboxes(&self) -> Box<dyn Iterator<Item = RuntimeSandbox<'_>> + '_> {
        Box::new(
            Containerd::sandboxes(self).map(|s| RuntimeSandbox { pod: s.pod.as_ref(), status: &s.status }),
        )
    }

    fn containers(&self) -> Box<dyn Iterator<Item = RuntimeContainer<'_>> + '_> {
        Box::new(
            Containerd::containers(self).map(|c| RuntimeContainer { pod: c.pod.as_ref(), status: &c.status }),
        )
    }

    fn has_image(&self, image: &str) -> bool {
        Containerd::has_image(self, image)
    }

    fn workload_for(&self, image: &str, command: &[String], args: &[String]) -> Workload {
        Containerd::workload_for(self, image, command, args)
    }

    fn sandbox(&self, sandbox_id: &str) -> Option<RuntimeSandbox<'_>> {
        Containerd::sandbox(self, sandbox_id)
            .map(|s| RuntimeSandbox { pod: s.pod.as_ref(), status: &s.status })
    }

    fn container(&self, container_id: &str) -> Option<RuntimeContainer<'_>> {
        Containerd::container(self, container_id)
            .map(|c| RuntimeContainer { pod: c.pod.as_ref(), status: &c.status })
    }
}

/// The runtime as CRI lists show it: what a driver of a real containerd builds from the replies of
/// `ListPodSandbox`, `ListContainers` (or `ContainerStatus`) and `ListImages`, so that the same
/// rules judge it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CriListing {
    /// Newest first.
    sandboxes: Vec<SandboxInfo>,
    /// Newest first.
    containers: Vec<ContainerInfo>,
    /// The image store.
    images: BTreeSet<String>,
}

impl CriListing {
    /// The listing of these sandboxes, containers and images, in any order: kept newest first (by
    /// creation, then attempt or restart count, as the kubelet orders what it lists).
    pub fn new(
        mut sandboxes: Vec<SandboxInfo>,
        mut containers: Vec<ContainerInfo>,
        images: impl IntoIterator<Item = String>,
    ) -> CriListing {
        sandboxes.sort_by_key(|s| Reverse((s.status.created_at, s.status.attempt)));
        containers.sort_by_key(|c| Reverse((c.status.created_at, c.status.restart_count)));
        CriListing { sandboxes, containers, images: images.into_iter().collect() }
    }
}

impl RuntimeFacts for CriListing {
    fn sandboxes(&self) -> Box<dyn Iterator<Item = RuntimeSandbox<'_>> + '_> {
        Box::new(self.sandboxes.iter().map(|s| RuntimeSandbox { pod: s.pod.as_ref(), status: &s.status }))
    }

    fn containers(&self) -> Box<dyn Iterator<Item = RuntimeContainer<'_>> + '_> {
        Box::new(self.containers.iter().map(|c| RuntimeContainer { pod: c.pod.as_ref(), status: &c.status }))
    }

    fn has_image(&self, image: &str) -> bool {
        self.images.contains(image)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use podsim_model::io::PodRef;

    fn sandbox(id: &str, created_at: u64, attempt: u32) -> SandboxInfo {
        let status = SandboxStatus {
            id: id.into(),
            state: SandboxState::Ready,
            attempt,
            ip: String::new(),
            host_network: false,
            created_at,
        };
        SandboxInfo {
            pod: Some(PodRef { uid: "u".into(), name: "web".into(), namespace: "default".into() }),
            status,
        }
    }

    #[test]
    fn a_listing_is_read_newest_first_whatever_order_the_runtime_listed_it_in() {
        let listed = vec![sandbox("old", 1_000, 0), sandbox("new", 5_000, 1), sandbox("mid", 3_000, 0)];
        let listing = CriListing::new(listed, Vec::new(), ["podsim/workload:1".to_string()]);
        let ids: Vec<&str> = listing.sandboxes().map(|s| s.status.id.as_str()).collect();
        assert_eq!(ids, ["new", "mid", "old"]);
        assert_eq!(listing.sandbox("mid").map(|s| s.is_of("u")), Some(true));
        assert!(listing.has_image("podsim/workload:1") && !listing.has_image("other:1"));
    }
}
