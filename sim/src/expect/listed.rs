//! The runtime as the kubelet last listed it: what the expectations read on a backend whose runtime
//! the world cannot look into at every event (a real containerd). It is kept from the replies of the
//! kubelet's own CRI calls (its relist every second lists every sandbox and container), so it lags
//! the runtime by at most one relist; exits are noticed the same way.

use std::collections::BTreeMap;

use podsim_model::io::{CriReply, CriRequest, SandboxInfo};
use podsim_model::{ContainerState, SandboxState};

use super::state::{RuntimeView, SandboxFact};
use crate::node::Node;

/// Sandboxes and containers as last listed.
#[derive(Clone, Debug, Default)]
pub struct ListedRuntime {
    sandboxes: BTreeMap<String, SandboxInfo>,
    /// Container id -> what was last known of its process.
    containers: BTreeMap<String, Process>,
}

/// What is known of a container's process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Process {
    /// It runs.
    Running,
    /// A `StopContainer` of it returned: it is gone, though no listing has shown its exit yet.
    Stopped,
    /// A listing showed it not running.
    Ended,
}

impl ListedRuntime {
    /// Takes in a CRI call and its reply; the containers seen to have stopped running since the
    /// last listing, with their exit codes.
    pub fn on_cri(&mut self, request: &CriRequest, reply: &CriReply) -> Vec<(String, i32)> {
        let mut exits = Vec::new();
        match (request, reply) {
            (CriRequest::ListPodSandbox { pod_uid: None }, CriReply::Sandboxes(list)) => {
                self.sandboxes = list.iter().map(|s| (s.status.id.to_string(), s.clone())).collect();
            }
            (CriRequest::ListContainers { pod_uid }, CriReply::Containers(list)) => {
                for c in list.iter() {
                    let now = if c.status.state == ContainerState::Running {
                        Process::Running
                    } else {
                        Process::Ended
                    };
                    let was = self.containers.insert(c.status.id.to_string(), now);
                    if matches!(was, Some(Process::Running | Process::Stopped)) && now == Process::Ended {
                        exits.push((c.status.id.to_string(), c.status.exit_code));
                    }
                }
                if pod_uid.is_none() {
                    let listed: Vec<&str> = list.iter().map(|c| c.status.id.as_str()).collect();
                    self.containers.retain(|id, _| listed.contains(&id.as_str()));
                }
            }
            (CriRequest::StartContainer { container_id }, CriReply::Ok) => {
                self.containers.insert(container_id.to_string(), Process::Running);
            }
            (CriRequest::StopContainer { container_id, .. }, CriReply::Ok) => {
                if let Some(p @ Process::Running) = self.containers.get_mut(container_id.as_str()) {
                    *p = Process::Stopped;
                }
            }
            (CriRequest::StopPodSandbox { sandbox_id }, CriReply::Ok) => {
                if let Some(s) = self.sandboxes.get_mut(sandbox_id.as_str()) {
                    s.status.state = SandboxState::NotReady;
                }
            }
            (CriRequest::RemovePodSandbox { sandbox_id }, CriReply::Ok) => {
                self.sandboxes.remove(sandbox_id.as_str());
            }
            _ => {}
        }
        exits
    }

    /// Whether a container ran when last seen.
    pub fn running(&self, container_id: &str) -> bool {
        self.containers.get(container_id) == Some(&Process::Running)
    }

    /// The containers that ran when last seen.
    pub fn running_ids(&self) -> Vec<String> {
        self.containers.iter().filter(|(_, p)| **p == Process::Running).map(|(id, _)| id.clone()).collect()
    }

    /// With the node, a view for the expectations.
    pub fn view<'a>(&'a self, node: &'a Node) -> ListedView<'a> {
        ListedView { runtime: self, node }
    }
}

/// The listed runtime and the node, as the expectations see them.
pub struct ListedView<'a> {
    runtime: &'a ListedRuntime,
    node: &'a Node,
}

impl RuntimeView for ListedView<'_> {
    fn sandboxes_of(&self, pod_uid: &str) -> Vec<SandboxFact> {
        let of_pod =
            self.runtime.sandboxes.values().filter(|s| s.pod.as_ref().is_some_and(|p| p.uid == pod_uid));
        SandboxFact::newest_first(of_pod.map(|s| &s.status))
    }

    fn has_data_dir(&self, pod_uid: &str) -> bool {
        self.node.has_data_dir(pod_uid)
    }

    fn mount_count(&self, pod_uid: &str) -> usize {
        self.node.mounts_of(pod_uid).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use podsim_model::io::{ContainerInfo, PodRef};
    use podsim_model::ContainerStatus;

    fn listing(id: &str, state: ContainerState, exit_code: i32) -> CriReply {
        let status = ContainerStatus {
            id: id.into(),
            name: "app".into(),
            state,
            exit_code,
            reason: podsim_model::SharedStr::EMPTY,
            hash: 0,
            restart_count: 0,
            sandbox_id: "s".into(),
            image: "i".into(),
            created_at: 0,
            started_at: None,
            finished_at: None,
            resources: None,
        };
        let pod = PodRef { uid: "u".into(), name: "web".into(), namespace: "default".into() };
        CriReply::Containers(vec![ContainerInfo { pod: Some(pod), status }].into())
    }

    const ALL: CriRequest = CriRequest::ListContainers { pod_uid: None };

    #[test]
    fn an_exit_is_seen_once_at_the_listing_that_shows_it() {
        let mut r = ListedRuntime::default();
        assert!(r.on_cri(&ALL, &listing("c", ContainerState::Running, 0)).is_empty());
        assert!(r.running("c"));
        assert_eq!(r.on_cri(&ALL, &listing("c", ContainerState::Exited, 1)), [("c".to_string(), 1)]);
        assert!(r.on_cri(&ALL, &listing("c", ContainerState::Exited, 1)).is_empty(), "once");
        assert!(!r.running("c"));
    }

    #[test]
    fn a_stopped_container_no_longer_runs_but_its_exit_is_still_told() {
        let mut r = ListedRuntime::default();
        r.on_cri(&ALL, &listing("c", ContainerState::Running, 0));
        let stop = CriRequest::StopContainer { container_id: "c".into(), timeout_seconds: 10 };
        assert!(r.on_cri(&stop, &CriReply::Ok).is_empty());
        assert!(!r.running("c") && r.running_ids().is_empty());
        assert_eq!(r.on_cri(&ALL, &listing("c", ContainerState::Exited, 137)), [("c".to_string(), 137)]);
    }

    #[test]
    fn a_container_never_seen_running_has_no_exit() {
        let mut r = ListedRuntime::default();
        assert!(r.on_cri(&ALL, &listing("c", ContainerState::Exited, 0)).is_empty());
        assert!(r.on_cri(&ALL, &CriReply::Containers(Vec::new().into())).is_empty());
    }
}
