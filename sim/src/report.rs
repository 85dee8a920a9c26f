//! The final state of each pod, as a run reports it: the API server's phase and container statuses,
//! and what is left of the pod on the node.

use serde::{Deserialize, Serialize};

use podsim_model::io::{CriReply, CriRequest, PodRef};
use podsim_model::{ContainerStateReport, Millis};

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
    pod_outcomes_with(api, |uid| {
        containerd.sandboxes().filter(|s| s.pod.as_ref().is_some_and(|p| p.uid == uid)).count()
    })
}

/// The outcome of every pod the API server still has, with `sandboxes_of(uid)` counting a pod's
/// sandboxes on the node (the simulator's, or a real runtime's).
pub fn pod_outcomes_with(api: &ApiServer, sandboxes_of: impl Fn(&str) -> usize) -> Vec<PodOutcome> {
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
                            ContainerStateReport::Waiting { reason, .. } => {
                                ("waiting", reason.to_string(), None)
                            }
                            ContainerStateReport::Terminated { exit_code, reason, .. } => {
                                ("terminated", reason.to_string(), Some(*exit_code))
                            }
                        };
                        ContainerOutcome {
                            name: c.name.to_string(),
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
                sandboxes: sandboxes_of(&pod.uid),
            }
        })
        .collect()
}

/// A start the runtime carried out for a pod: its sandbox, or one of its containers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartRecord {
    /// When the start succeeded.
    pub t: Millis,
    /// The pod, `namespace/name`.
    pub pod: String,
    /// `sandbox`, or the container's name.
    pub what: String,
}

/// The starts of a run, in the order they succeeded, recorded the same way by the simulator and the
/// real backend (from a CRI call and its reply).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartLog {
    /// Every start.
    pub starts: Vec<StartRecord>,
    /// Which pod and container each created container id is.
    #[serde(skip)]
    created: std::collections::BTreeMap<String, (String, String)>,
}

impl StartLog {
    /// Notes a CRI call and its reply at `t`.
    pub fn on_cri(&mut self, t: Millis, request: &CriRequest, reply: &CriReply) {
        let full = |p: &PodRef| format!("{}/{}", p.namespace, p.name);
        match (request, reply) {
            (CriRequest::RunPodSandbox { config }, CriReply::SandboxCreated { .. }) => {
                self.starts.push(StartRecord { t, pod: full(&config.pod), what: "sandbox".into() })
            }
            (CriRequest::CreateContainer { config, .. }, CriReply::ContainerCreated { container_id }) => {
                self.created.insert(container_id.to_string(), (full(&config.pod), config.name.to_string()));
            }
            (CriRequest::StartContainer { container_id }, CriReply::Ok) => {
                if let Some((pod, name)) = self.created.get(container_id.as_str()) {
                    self.starts.push(StartRecord { t, pod: pod.clone(), what: name.clone() });
                }
            }
            _ => {}
        }
    }

    /// Per pod, the order in which its sandbox and containers first started.
    pub fn first_start_order(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        let mut order: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for s in &self.starts {
            let list = order.entry(s.pod.clone()).or_default();
            if !list.contains(&s.what) {
                list.push(s.what.clone());
            }
        }
        order
    }
}
