//! What the checker's rules read of the container runtime: one view that both drivers provide. The
//! simulator's containerd gives its own records; a real containerd gives what its CRI
//! `ListPodSandbox` and `ListContainers` (and their statuses) return, which carry the same pod
//! labels and kubelet annotations ([`SandboxInfo`], [`ContainerInfo`]).

use podsim_model::shared_str::SharedStr;
use std::cmp::Reverse;
use std::collections::BTreeSet;

use podsim_model::io::{
    ContainerConfig, ContainerInfo, CriReply, CriRequest, PodRef, SandboxConfig, SandboxInfo,
};
use podsim_model::workload::Workload;
use podsim_model::{ContainerState, ContainerStatus, Millis, SandboxState, SandboxStatus};

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

    /// Takes in a `ListPodSandbox` reply: every sandbox (`pod_uid` None), or those of one pod.
    pub fn take_sandboxes(&mut self, pod_uid: Option<&str>, listed: &[SandboxInfo]) {
        self.sandboxes.retain(|s| pod_uid.is_some_and(|uid| !is_of(s.pod.as_ref(), uid)));
        self.sandboxes.extend(listed.iter().cloned());
        self.sandboxes.sort_by_key(|s| Reverse((s.status.created_at, s.status.attempt)));
    }

    /// Takes in a `ListContainers` reply: every container (`pod_uid` None), or those of one pod.
    /// Returns the containers that ran in the listing before and no longer run, with their exit
    /// codes (what the kubelet's PLEG would see as `ContainerDied`).
    pub fn take_containers(&mut self, pod_uid: Option<&str>, listed: &[ContainerInfo]) -> Vec<(String, i32)> {
        let exits = listed
            .iter()
            .filter(|c| c.status.state != ContainerState::Running)
            .filter(|c| self.container(&c.status.id).is_some_and(|was| was.runs()))
            .map(|c| (c.status.id.to_string(), c.status.exit_code))
            .collect();
        self.containers.retain(|c| pod_uid.is_some_and(|uid| !is_of(c.pod.as_ref(), uid)));
        self.containers.extend(listed.iter().cloned());
        self.containers.sort_by_key(|c| Reverse((c.status.created_at, c.status.restart_count)));
        exits
    }

    /// Takes in a CRI reply at `now`: a listing replaces what it lists, a pull adds its image, a
    /// call that changes the runtime changes it as its reply says. Returns the
    /// containers a listing shows no longer running (see [`CriListing::take_containers`]).
    pub fn take_reply(&mut self, now: Millis, request: &CriRequest, reply: &CriReply) -> Vec<(String, i32)> {
        match (request, reply) {
            (CriRequest::ListPodSandbox { pod_uid }, CriReply::Sandboxes(list)) => {
                self.take_sandboxes(pod_uid.as_deref(), list);
                Vec::new()
            }
            (CriRequest::ListContainers { pod_uid }, CriReply::Containers(list)) => {
                self.take_containers(pod_uid.as_deref(), list)
            }
            (CriRequest::PullImage { image }, CriReply::Ok) => {
                self.set_image(image, true);
                Vec::new()
            }
            _ => self.take_change(now, request, reply),
        }
    }

    /// What a call that changes the runtime did, as its reply tells it (containerd's own
    /// semantics: a new sandbox is ready, a new container created, a started one runs, a stopped
    /// one exited, a stopped sandbox's containers are stopped with it, a removed object is gone),
    /// so that what the kubelet made since its last listing is known before it names it again.
    /// The next listing corrects what a reply cannot tell (exit codes, timestamps). Returns the
    /// containers that stopped running.
    fn take_change(&mut self, now: Millis, request: &CriRequest, reply: &CriReply) -> Vec<(String, i32)> {
        match (request, reply) {
            (CriRequest::RunPodSandbox { config }, CriReply::SandboxCreated { sandbox_id }) => {
                self.sandboxes.insert(0, new_sandbox(now, config, sandbox_id));
                Vec::new()
            }
            (
                CriRequest::CreateContainer { sandbox_id, config },
                CriReply::ContainerCreated { container_id },
            ) => {
                self.containers.insert(0, new_container(now, sandbox_id, config, container_id));
                Vec::new()
            }
            (CriRequest::StartContainer { container_id }, CriReply::Ok) => {
                if let Some(c) = self.containers.iter_mut().find(|c| c.status.id == *container_id) {
                    c.status.state = ContainerState::Running;
                    c.status.started_at = Some(now);
                }
                Vec::new()
            }
            (CriRequest::StopContainer { container_id, .. }, CriReply::Ok) => {
                self.stop_containers(now, |c| c.status.id == *container_id)
            }
            (CriRequest::StopPodSandbox { sandbox_id }, CriReply::Ok) => {
                if let Some(s) = self.sandboxes.iter_mut().find(|s| s.status.id == *sandbox_id) {
                    s.status.state = SandboxState::NotReady;
                }
                self.stop_containers(now, |c| c.status.sandbox_id == *sandbox_id)
            }
            (CriRequest::RemovePodSandbox { sandbox_id }, CriReply::Ok) => {
                self.sandboxes.retain(|s| s.status.id != *sandbox_id);
                self.containers.retain(|c| c.status.sandbox_id != *sandbox_id);
                Vec::new()
            }
            (CriRequest::RemoveContainer { container_id }, CriReply::Ok) => {
                self.containers.retain(|c| c.status.id != *container_id);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Marks the running containers `which` picks exited at `now`; returns them.
    fn stop_containers(&mut self, now: Millis, which: impl Fn(&ContainerInfo) -> bool) -> Vec<(String, i32)> {
        let mut stopped = Vec::new();
        for c in self.containers.iter_mut().filter(|c| c.status.state == ContainerState::Running && which(c))
        {
            c.status.state = ContainerState::Exited;
            c.status.finished_at = Some(now);
            stopped.push((c.status.id.to_string(), c.status.exit_code));
        }
        stopped
    }

    /// An image arrived in the store (a pull) or left it (a removal).
    pub fn set_image(&mut self, image: &str, present: bool) {
        if present {
            self.images.insert(image.to_string());
        } else {
            self.images.remove(image);
        }
    }
}

/// The sandbox `RunPodSandbox` just made: ready.
fn new_sandbox(now: Millis, config: &SandboxConfig, id: &str) -> SandboxInfo {
    let status = SandboxStatus {
        id: id.into(),
        state: SandboxState::Ready,
        attempt: config.attempt,
        ip: SharedStr::EMPTY,
        host_network: config.host_network,
        created_at: now,
    };
    SandboxInfo { pod: Some(config.pod.clone()), status }
}

/// The container `CreateContainer` just made: created, with the kubelet's annotations.
fn new_container(now: Millis, sandbox_id: &str, config: &ContainerConfig, id: &str) -> ContainerInfo {
    let status = ContainerStatus {
        id: id.into(),
        name: config.name.clone(),
        state: ContainerState::Created,
        exit_code: 0,
        reason: SharedStr::EMPTY,
        hash: config.hash,
        restart_count: config.restart_count,
        sandbox_id: sandbox_id.into(),
        image: config.image.clone(),
        created_at: now,
        started_at: None,
        finished_at: None,
        resources: None,
    };
    ContainerInfo { pod: Some(config.pod.clone()), status }
}

fn is_of(pod: Option<&PodRef>, uid: &str) -> bool {
    pod.is_some_and(|p| p.uid == uid)
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
            ip: SharedStr::EMPTY,
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

    fn container(id: &str, pod_uid: &str, state: ContainerState, exit_code: i32) -> ContainerInfo {
        let status = ContainerStatus {
            id: id.into(),
            name: "app".into(),
            state,
            exit_code,
            reason: SharedStr::EMPTY,
            hash: 0,
            restart_count: 0,
            sandbox_id: "s".into(),
            image: "i".into(),
            created_at: 0,
            started_at: None,
            finished_at: None,
            resources: None,
        };
        let pod = PodRef { uid: pod_uid.into(), name: "web".into(), namespace: "default".into() };
        ContainerInfo { pod: Some(pod), status }
    }

    #[test]
    fn a_container_that_ran_and_is_listed_exited_is_told_once_with_its_exit_code() {
        let mut listing = CriListing::default();
        assert!(listing.take_containers(None, &[container("c", "u", ContainerState::Running, 0)]).is_empty());
        let exited = [container("c", "u", ContainerState::Exited, 3)];
        assert_eq!(listing.take_containers(None, &exited), [("c".to_string(), 3)]);
        assert!(listing.take_containers(None, &exited).is_empty(), "once");
    }

    #[test]
    fn a_listing_of_one_pod_replaces_only_that_pods_objects() {
        let mut listing = CriListing::default();
        let both = [
            container("a", "u", ContainerState::Running, 0),
            container("b", "v", ContainerState::Running, 0),
        ];
        listing.take_containers(None, &both);
        listing.take_containers(Some("u"), &[]);
        let ids: Vec<&str> = listing.containers().map(|c| c.status.id.as_str()).collect();
        assert_eq!(ids, ["b"]);
        listing.take_sandboxes(None, &[sandbox("s1", 1, 0)]);
        listing.take_sandboxes(Some("other"), &[]);
        assert!(listing.sandbox("s1").is_some(), "another pod's listing keeps it");
        listing.take_sandboxes(Some("u"), &[]);
        assert!(listing.sandbox("s1").is_none());
        listing.set_image("x:1", true);
        assert!(listing.has_image("x:1"));
        listing.set_image("x:1", false);
        assert!(!listing.has_image("x:1"));
    }
}
