//! The final state of each pod, as a run reports it: the API server's phase and container statuses,
//! and what is left of the pod on the node.

use serde::{Deserialize, Serialize};

use podsim_model::ContainerStateReport;

use crate::apiserver::ApiServer;
use crate::containerd::Containerd;
use crate::node::Node;

/// One container's final state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerOutcome {
    /// Its name.
    pub name: String,
    /// `running`, `waiting` or `terminated`.
    pub state: String,
    /// The reason of a waiting or terminated state.
    pub reason: String,
    /// The exit code of a terminated state.
    pub exit_code: Option<i32>,
    /// The restart count.
    pub restarts: u32,
}

/// One pod's final state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodOutcome {
    /// `namespace/name`.
    pub name: String,
    /// Its UID.
    pub uid: String,
    /// The phase the API server has ("" if no status was reported).
    pub phase: String,
    /// Whether it is being deleted.
    pub deleting: bool,
    /// Init, regular and ephemeral containers, in spec order.
    pub containers: Vec<ContainerOutcome>,
    /// Sandboxes of the pod on the node, and whether the newest is ready.
    pub sandboxes: usize,
}

/// The outcome of every pod the API server still has.
pub fn pod_outcomes(api: &ApiServer, containerd: &Containerd, _node: &Node) -> Vec<PodOutcome> {
    api.pods()
        .into_iter()
        .map(|stored| {
            let pod = &stored.pod;
            let containers = match &stored.status {
                None => Vec::new(),
                Some(status) => status
                    .init_container_statuses
                    .iter()
                    .chain(&status.container_statuses)
                    .chain(&status.ephemeral_container_statuses)
                    .map(|c| {
                        let (state, reason, exit_code) = match &c.state {
                            ContainerStateReport::Running { .. } => ("running", String::new(), None),
                            ContainerStateReport::Waiting { reason } => ("waiting", reason.clone(), None),
                            ContainerStateReport::Terminated { exit_code, reason } => {
                                ("terminated", reason.clone(), Some(*exit_code))
                            }
                        };
                        ContainerOutcome {
                            name: c.name.clone(),
                            state: state.to_string(),
                            reason,
                            exit_code,
                            restarts: c.restart_count,
                        }
                    })
                    .collect(),
            };
            PodOutcome {
                name: pod.full_name(),
                uid: pod.uid.clone(),
                phase: stored.status.as_ref().map_or(String::new(), |s| format!("{:?}", s.phase)),
                deleting: pod.deletion_timestamp.is_some(),
                containers,
                sandboxes: containerd
                    .sandboxes()
                    .filter(|s| s.pod.as_ref().is_some_and(|p| p.uid == pod.uid))
                    .count(),
            }
        })
        .collect()
}
