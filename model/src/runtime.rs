//! What the kubelet knows of a pod in the container runtime: its sandboxes and containers, shaped like
//! the CRI's `PodSandboxStatus` and `ContainerStatus` (kubelet's `kubecontainer.PodStatus`), plus the
//! cached probe results.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::shared_str::SharedStr;

use crate::pod::ActualResources;

/// Milliseconds of (virtual or wall) time; the model never reads a clock, it is handed `now`.
pub type Millis = u64;

/// `runtimeapi.PodSandboxState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SandboxState {
    /// The pause process runs and the network is set up.
    #[serde(rename = "SANDBOX_READY")]
    Ready,
    /// The sandbox was stopped, or its pause process died.
    #[serde(rename = "SANDBOX_NOTREADY")]
    NotReady,
}

/// `kubecontainer.State`, from the CRI's `ContainerState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ContainerState {
    /// Created but not started.
    #[serde(rename = "CONTAINER_CREATED")]
    Created,
    /// Its process runs.
    #[serde(rename = "CONTAINER_RUNNING")]
    Running,
    /// Its process ended.
    #[serde(rename = "CONTAINER_EXITED")]
    Exited,
    /// The runtime does not know.
    #[serde(rename = "CONTAINER_UNKNOWN")]
    Unknown,
}

/// One sandbox of a pod.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxStatus {
    /// The runtime's id.
    pub id: SharedStr,
    /// Ready or not.
    pub state: SandboxState,
    /// `metadata.attempt`: how many sandboxes the kubelet made for this pod before this one.
    pub attempt: u32,
    /// The pod IP ("" for none).
    #[serde(default)]
    pub ip: SharedStr,
    /// Whether the sandbox runs in the node's network namespace (`NamespaceMode_NODE`).
    #[serde(default)]
    pub host_network: bool,
    /// When it was created.
    #[serde(default)]
    pub created_at: Millis,
}

/// One container of a pod, as the runtime reports it, with what the kubelet wrote in its labels and
/// annotations (name, hash, restart count).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatus {
    /// The runtime's id.
    pub id: SharedStr,
    /// The container's name in the pod spec (label `io.kubernetes.container.name`).
    pub name: SharedStr,
    /// Its state.
    pub state: ContainerState,
    /// The exit code, once exited.
    #[serde(default)]
    pub exit_code: i32,
    /// The runtime's reason, such as `OOMKilled`, once exited.
    #[serde(default)]
    pub reason: SharedStr,
    /// The spec hash it was created from (annotation `io.kubernetes.container.hash`).
    pub hash: u64,
    /// The restart count the kubelet gave it (annotation `io.kubernetes.container.restartCount`).
    #[serde(default)]
    pub restart_count: u32,
    /// The sandbox it runs in.
    #[serde(default)]
    pub sandbox_id: SharedStr,
    /// The image it runs.
    #[serde(default)]
    pub image: SharedStr,
    /// When it was created.
    #[serde(default)]
    pub created_at: Millis,
    /// When it started, if it did.
    #[serde(default)]
    pub started_at: Option<Millis>,
    /// When it exited, if it did.
    #[serde(default)]
    pub finished_at: Option<Millis>,
    /// The resources the runtime reports it runs with (`kubecontainer.Status.Resources`), if it
    /// reports them: what in-place resize compares with the spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ActualResources>,
}

/// Everything the runtime holds for one pod (`kubecontainer.PodStatus`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimePodStatus {
    /// Sandboxes, newest first.
    pub sandboxes: Vec<SandboxStatus>,
    /// Containers, newest first: the first entry with a name is that container's latest status.
    pub containers: Vec<ContainerStatus>,
}

impl RuntimePodStatus {
    /// `PodStatus.FindContainerStatusByName`: the first (newest) status with this name.
    pub fn find_container_status_by_name(&self, name: &str) -> Option<&ContainerStatus> {
        self.containers.iter().find(|c| c.name == name)
    }
}

/// A probe's cached result (`proberesults.Result`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ProbeResult {
    /// The probe passed.
    Success,
    /// The probe failed (past its failure threshold).
    Failure,
    /// No verdict yet.
    Unknown,
}

/// The cached liveness and startup results of one container.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerProbes {
    /// The liveness manager's result, if any.
    #[serde(default)]
    pub liveness: Option<ProbeResult>,
    /// The startup manager's result, if any.
    #[serde(default)]
    pub startup: Option<ProbeResult>,
    /// The readiness manager's result, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<ProbeResult>,
}

impl ContainerProbes {
    /// The result of one probe type.
    pub fn slot(&mut self, kind: crate::io::ProbeKind) -> &mut Option<ProbeResult> {
        match kind {
            crate::io::ProbeKind::Liveness => &mut self.liveness,
            crate::io::ProbeKind::Startup => &mut self.startup,
            crate::io::ProbeKind::Readiness => &mut self.readiness,
        }
    }

    /// No result at all.
    pub fn is_empty(&self) -> bool {
        self.liveness.is_none() && self.startup.is_none() && self.readiness.is_none()
    }
}

/// Probe results by container id (the kubelet's liveness and startup result managers).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProbeResults(pub BTreeMap<String, ContainerProbes>);

impl ProbeResults {
    /// No results at all.
    pub fn none() -> ProbeResults {
        ProbeResults::default()
    }

    /// `livenessManager.Get(id)`.
    pub fn liveness(&self, container_id: &str) -> Option<ProbeResult> {
        self.0.get(container_id).and_then(|p| p.liveness)
    }

    /// `startupManager.Get(id)`.
    pub fn startup(&self, container_id: &str) -> Option<ProbeResult> {
        self.0.get(container_id).and_then(|p| p.startup)
    }

    /// `readinessManager.Get(id)`.
    pub fn readiness(&self, container_id: &str) -> Option<ProbeResult> {
        self.0.get(container_id).and_then(|p| p.readiness)
    }
}
