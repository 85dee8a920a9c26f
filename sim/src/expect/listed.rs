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
    /// Container id -> (running, exit code).
    containers: BTreeMap<String, (bool, i32)>,
}

impl ListedRuntime {
    /// Takes in a CRI call and its reply; the containers seen to have stopped running since the
    /// last listing, with their exit codes.
    pub fn on_cri(&mut self, request: &CriRequest, reply: &CriReply) -> Vec<(String, i32)> {
        let mut exits = Vec::new();
        match (request, reply) {
            (CriRequest::ListPodSandbox { pod_uid: None }, CriReply::Sandboxes(list)) => {
                self.sandboxes = list.iter().map(|s| (s.status.id.clone(), s.clone())).collect();
            }
            (CriRequest::ListContainers { pod_uid }, CriReply::Containers(list)) => {
                for c in list {
                    let running = c.status.state == ContainerState::Running;
                    let was = self.containers.insert(c.status.id.clone(), (running, c.status.exit_code));
                    if was.is_some_and(|(r, _)| r) && !running {
                        exits.push((c.status.id.clone(), c.status.exit_code));
                    }
                }
                if pod_uid.is_none() {
                    let listed: Vec<&str> = list.iter().map(|c| c.status.id.as_str()).collect();
                    self.containers.retain(|id, _| listed.contains(&id.as_str()));
                }
            }
            (CriRequest::StartContainer { container_id }, CriReply::Ok) => {
                self.containers.insert(container_id.clone(), (true, 0));
            }
            (CriRequest::StopPodSandbox { sandbox_id }, CriReply::Ok) => {
                if let Some(s) = self.sandboxes.get_mut(sandbox_id) {
                    s.status.state = SandboxState::NotReady;
                }
            }
            (CriRequest::RemovePodSandbox { sandbox_id }, CriReply::Ok) => {
                self.sandboxes.remove(sandbox_id);
            }
            _ => {}
        }
        exits
    }

    /// Whether a container ran when last seen.
    pub fn running(&self, container_id: &str) -> bool {
        self.containers.get(container_id).is_some_and(|(r, _)| *r)
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
        let mut found: Vec<&SandboxInfo> = self
            .runtime
            .sandboxes
            .values()
            .filter(|s| s.pod.as_ref().is_some_and(|p| p.uid == pod_uid))
            .collect();
        found.sort_by_key(|s| std::cmp::Reverse((s.status.created_at, s.status.attempt)));
        found
            .into_iter()
            .map(|s| SandboxFact {
                id: s.status.id.clone(),
                attempt: s.status.attempt,
                ready: s.status.state == SandboxState::Ready,
            })
            .collect()
    }

    fn has_data_dir(&self, pod_uid: &str) -> bool {
        self.node.has_data_dir(pod_uid)
    }

    fn mount_count(&self, pod_uid: &str) -> usize {
        self.node.mounts_of(pod_uid).count()
    }
}
