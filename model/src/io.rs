//! Everything the kubelet asks of the world and everything it hears back: API server requests, CRI
//! calls shaped like the CRI's runtime.v1 API, node operations (data directories, volume mounts), and
//! their replies. The world that delivers them (the simulator, or the real backend) promises one reply
//! per request: a success, or an error when the call failed or timed out.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::shared_str::SharedStr;

use crate::linux_resources::LinuxContainerResources;
use crate::pod::{ContainerKind, Pod};
use crate::runtime::{ContainerStatus, Millis, SandboxStatus};
use crate::status::PodStatusReport;

/// Identifies one request, so that its reply finds its way back. Issued by the kubelet, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CallId(pub u64);

/// The pod a runtime object belongs to, as the kubelet writes it in the object's labels
/// (`io.kubernetes.pod.uid`, `io.kubernetes.pod.name`, `io.kubernetes.pod.namespace`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PodRef {
    /// `metadata.uid`.
    pub uid: SharedStr,
    /// `metadata.name`.
    pub name: SharedStr,
    /// `metadata.namespace`.
    pub namespace: SharedStr,
}

impl PodRef {
    /// The reference of a pod (its labels are copied once; every record, listing and call that
    /// carries them after shares them).
    pub fn of(pod: &Pod) -> PodRef {
        PodRef {
            uid: pod.uid.as_str().into(),
            name: pod.name.as_str().into(),
            namespace: pod.namespace.as_str().into(),
        }
    }
}

/// A request to the API server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApiRequest {
    /// List the pods bound to `node` (`fieldSelector=spec.nodeName=node`).
    ListPods {
        /// The node.
        node: String,
    },
    /// Watch the pods bound to `node` from `resource_version`; events arrive as [`Input::WatchEvent`].
    WatchPods {
        /// The node.
        node: String,
        /// The list's resource version to watch from.
        resource_version: u64,
    },
    /// Read one pod. (The kubelet never reads a pod this way: it syncs from the pod its list/watch
    /// delivered. The API server serves it for other clients.)
    GetPod {
        /// The namespace.
        namespace: String,
        /// The name.
        name: String,
    },
    /// Read one Secret. (The kubelet's watch-based Secret manager lists and watches instead.)
    GetSecret {
        /// The namespace.
        namespace: String,
        /// The name.
        name: String,
    },
    /// List one Secret (`fieldSelector=metadata.name=name`): the Secret manager's reflector for it.
    ListSecret {
        /// The namespace.
        namespace: String,
        /// The name.
        name: String,
    },
    /// Watch one Secret from `resource_version`; its changes arrive as [`Input::SecretEvent`].
    WatchSecret {
        /// The namespace.
        namespace: String,
        /// The name.
        name: String,
        /// The list's resource version to watch from.
        resource_version: u64,
    },
    /// Write a pod's status (the status manager).
    UpdatePodStatus {
        /// The pod.
        pod: PodRef,
        /// The status.
        status: PodStatusReport,
    },
    /// Remove the API object of a deleted pod whose every resource is gone (grace period 0, with a
    /// UID precondition): the kubelet's final word on the pod.
    DeletePod {
        /// The pod.
        pod: PodRef,
    },
    /// Create an Event (`POST /api/v1/namespaces/<ns>/events`, the event sink's `Create`).
    CreateEvent {
        /// The event.
        event: crate::events::Event,
    },
    /// Patch an Event the kubelet wrote before: its count, message and last timestamp (the event
    /// sink's `Patch`; 404 if the server no longer has it).
    PatchEvent {
        /// The event, as it is to be.
        event: crate::events::Event,
    },
}

/// An error from the API server or on the way to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApiError {
    /// 404.
    NotFound,
    /// 410: the resource version is too old (compacted); relist.
    Gone,
    /// 409: a precondition or resource version did not match.
    Conflict,
    /// The server could not be reached, or did not answer in time.
    Unavailable,
    /// 422: the request is invalid (the API server's validation), with its message.
    Invalid(String),
}

/// The API server's reply.
// Replies are moved once from the world to the kubelet, never stored in bulk: no need to box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApiReply {
    /// The pods bound to the node, at `resource_version`.
    PodList {
        /// The pods.
        pods: Vec<Pod>,
        /// The list's resource version.
        resource_version: u64,
    },
    /// The watch is established.
    Watching,
    /// One pod.
    Pod(Pod),
    /// A Secret exists (its data does not matter to pod management).
    Secret,
    /// The list of one Secret: whether it exists, at `resource_version`.
    SecretList {
        /// Whether the Secret exists.
        exists: bool,
        /// The list's resource version.
        resource_version: u64,
    },
    /// The request succeeded with nothing to return.
    Ok,
    /// It failed.
    Err(ApiError),
}

/// A change seen on the pod watch.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WatchEvent {
    /// A pod was created or changed (including its deletion timestamp being set).
    Upserted(Pod),
    /// A pod's API object is gone.
    Deleted(Pod),
}

/// What the kubelet sends a sandbox to be created with (`PodSandboxConfig`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxConfig {
    /// Its pod (labels).
    pub pod: PodRef,
    /// `metadata.attempt`.
    pub attempt: u32,
    /// Namespace mode NODE for the network.
    pub host_network: bool,
}

/// What the kubelet sends a container to be created with (`ContainerConfig`; hash and restart count
/// go in its annotations).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerConfig {
    /// Its pod (labels).
    pub pod: PodRef,
    /// The container's name (label `io.kubernetes.container.name`).
    pub name: SharedStr,
    /// Which list of the spec it comes from.
    pub kind: ContainerKind,
    /// The image.
    pub image: SharedStr,
    /// `command`: the workload.
    pub command: Vec<String>,
    /// `args`.
    pub args: Vec<String>,
    /// The spec hash (annotation `io.kubernetes.container.hash`).
    pub hash: u64,
    /// The restart count (annotation `io.kubernetes.container.restartCount`).
    pub restart_count: u32,
    /// `metadata.attempt`.
    pub attempt: u32,
    /// `linux.resources`: the cgroup values from the container's allocated resources
    /// (`calculateLinuxResources`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<LinuxContainerResources>,
}

/// A call to the container runtime, one per CRI method the kubelet uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CriRequest {
    /// `ListPodSandbox` (with `PodSandboxStatus` of each), all of them or one pod's.
    ListPodSandbox {
        /// Filter on the pod UID label.
        pod_uid: Option<String>,
    },
    /// `ListContainers` (with `ContainerStatus` of each), all of them or one pod's.
    ListContainers {
        /// Filter on the pod UID label.
        pod_uid: Option<String>,
    },
    /// `RunPodSandbox`.
    RunPodSandbox {
        /// The config.
        config: SandboxConfig,
    },
    /// `StopPodSandbox`: stops the pause process and tears down the network.
    StopPodSandbox {
        /// The sandbox.
        sandbox_id: SharedStr,
    },
    /// `RemovePodSandbox`.
    RemovePodSandbox {
        /// The sandbox.
        sandbox_id: SharedStr,
    },
    /// `ImageStatus`: is the image on the node?
    ImageStatus {
        /// The image reference.
        image: SharedStr,
    },
    /// `PullImage`.
    PullImage {
        /// The image reference.
        image: SharedStr,
    },
    /// `CreateContainer`.
    CreateContainer {
        /// The sandbox it goes in.
        sandbox_id: SharedStr,
        /// The config.
        config: ContainerConfig,
    },
    /// `StartContainer`.
    StartContainer {
        /// The container.
        container_id: SharedStr,
    },
    /// `StopContainer`: SIGTERM, then SIGKILL after `timeout_seconds`.
    StopContainer {
        /// The container.
        container_id: SharedStr,
        /// The grace period.
        timeout_seconds: i64,
    },
    /// `RemoveContainer`.
    RemoveContainer {
        /// The container.
        container_id: SharedStr,
    },
    /// `UpdateContainerResources`: set a running container's cgroup values (in-place resize,
    /// `doPodResizeAction`).
    UpdateContainerResources {
        /// The container.
        container_id: SharedStr,
        /// The values to set.
        resources: LinuxContainerResources,
    },
    /// `ExecSync`: runs `cmd` in the running container and waits for it to exit, at most
    /// `timeout_seconds` (0: no timeout), as the kubelet's exec prober does (`prober.runProbe` through
    /// `RuntimeService.ExecSync`).
    ExecSync {
        /// The container.
        container_id: SharedStr,
        /// The command and its arguments.
        cmd: Vec<String>,
        /// The timeout.
        timeout_seconds: i64,
    },
}

/// A gRPC error from the runtime (or the way to it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CriError {
    /// `NotFound`.
    NotFound,
    /// `Unavailable` (the runtime is down or restarting).
    Unavailable,
    /// `DeadlineExceeded` (the call timed out).
    DeadlineExceeded,
    /// Any other failure, with the runtime's message.
    Failed(String),
}

/// How an `ExecSync` command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecResult {
    /// Its exit code (meaningless when it timed out).
    pub exit_code: i32,
    /// Whether it outlasted its timeout (the runtime killed it and answered `DeadlineExceeded`,
    /// which the kubelet's CRI client turns into `exec.NewTimeoutError`).
    pub timed_out: bool,
}

impl ExecResult {
    /// A command that exited with `exit_code`.
    pub fn exited(exit_code: i32) -> ExecResult {
        ExecResult { exit_code, timed_out: false }
    }

    /// A command that outlasted its timeout.
    pub fn timed_out() -> ExecResult {
        ExecResult { exit_code: -1, timed_out: true }
    }
}

/// A sandbox as `ListPodSandbox` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxInfo {
    /// Its pod, from its labels (`None`: not made by a kubelet; never touched).
    pub pod: Option<PodRef>,
    /// Its status.
    pub status: SandboxStatus,
}

/// A container as `ListContainers` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerInfo {
    /// Its pod, from its labels (`None`: not made by a kubelet; never touched).
    pub pod: Option<PodRef>,
    /// Its status, with the kubelet's annotations read back.
    pub status: ContainerStatus,
}

/// A `ListPodSandbox` reply, newest first. Shared: a runtime that has not changed since its last
/// listing may hand out the same list again, so a quiet relist costs a reference count.
pub type SandboxList = Arc<[SandboxInfo]>;

/// A `ListContainers` reply, newest first, shared as [`SandboxList`] is.
pub type ContainerList = Arc<[ContainerInfo]>;

/// The runtime's reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CriReply {
    /// Sandboxes, newest first.
    Sandboxes(SandboxList),
    /// Containers, newest first.
    Containers(ContainerList),
    /// `RunPodSandbox` made this sandbox.
    SandboxCreated {
        /// Its id.
        sandbox_id: SharedStr,
    },
    /// `CreateContainer` made this container.
    ContainerCreated {
        /// Its id.
        container_id: SharedStr,
    },
    /// `ImageStatus`: whether the image is present.
    ImagePresent(bool),
    /// `ExecSync`: how the command ended.
    Exec(ExecResult),
    /// The call succeeded with nothing to return.
    Ok,
    /// The call failed.
    Err(CriError),
}

/// An operation on the node itself (the kubelet's volume manager and pod directories).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeRequest {
    /// Make `/var/lib/kubelet/pods/<uid>` (idempotent).
    MakeDataDir {
        /// The pod.
        pod_uid: String,
    },
    /// Mount one of the pod's volumes (idempotent).
    MountVolume {
        /// The pod.
        pod_uid: String,
        /// The volume's name.
        volume: String,
    },
    /// Unmount one of the pod's volumes (idempotent).
    UnmountVolume {
        /// The pod.
        pod_uid: String,
        /// The volume's name.
        volume: String,
    },
    /// Remove the pod's data directory (idempotent; volumes must be unmounted first).
    RemoveDataDir {
        /// The pod.
        pod_uid: String,
    },
    /// List the pod directories on disk with the volumes mounted in each (`listPodsFromDisk` and
    /// `getMountedVolumePathListFromDisk`): what the volume manager reconstructs at start-up and what
    /// `cleanupOrphanedPodDirs` walks.
    ListPodDirs,
}

/// One pod directory on the node's disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodDir {
    /// The pod's UID (the directory's name).
    pub pod_uid: String,
    /// The volumes mounted in it.
    pub volumes: Vec<String>,
}

/// The node's reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeReply {
    /// Done.
    Ok,
    /// The pod directories on disk ([`NodeRequest::ListPodDirs`]), by UID.
    PodDirs(Vec<PodDir>),
    /// Failed, with why.
    Err(String),
}

/// The kubelet's timers. A timer names what it is for; a stale firing is harmless.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Timer {
    /// The periodic relist of the runtime (the kubelet's PLEG).
    Relist,
    /// The pod work queue's entry for a pod is due (a resync, the retry of a failed sync, or the end
    /// of a backoff). Only the newest entry of a pod counts, as in the kubelet's work queue.
    PodSync {
        /// The pod.
        pod_uid: String,
        /// Which enqueue this is (an older one is stale).
        generation: u64,
    },
    /// The pod reflector's backoff is over: list or watch again.
    Rewatch,
    /// A Secret reflector's backoff is over: list or watch again.
    SecretRewatch {
        /// The Secret's namespace.
        namespace: String,
        /// The Secret's name.
        name: String,
        /// Which reflector of that Secret set it (an older one is stale).
        generation: u64,
    },
    /// A sync has waited its second for a Secret's cache to fill (the Secret manager's `Get`).
    SecretSyncTimeout {
        /// The pod whose sync waits.
        pod_uid: String,
    },
    /// The status manager's periodic sync: write again a status whose write failed.
    StatusRetry {
        /// The pod.
        pod_uid: String,
    },
    /// The event sink's sleep between tries of one event is over (`recordToSink`).
    EventRetry,
    /// A postStart sleep hook of the pod's sync may have ended.
    PostStartDone {
        /// The pod.
        pod_uid: String,
    },
    /// The pod's active deadline passed (the sync loop's tick finds `ShouldSync`).
    ActiveDeadline {
        /// The pod.
        pod_uid: String,
        /// The tick it was armed for (a real clock may deliver it later; an older chain's is stale).
        tick: Millis,
    },
    /// The allocation manager's ticker: try the pending resizes again (`retryPendingResizes` with the
    /// trigger `periodic_retry`).
    ResizeRetry {
        /// Which arming of the ticker this is (each retry resets it; an older one is stale).
        generation: u64,
    },
    /// A preStop hook or a container's wait for its turn to stop may have ended (`killContainer`).
    KillProgress {
        /// The pod being killed.
        pod_uid: String,
    },
    /// A probe worker's tick (worker.go's ticker, or its first random wait).
    Probe {
        /// The pod.
        pod_uid: String,
        /// The container's name.
        container: String,
        /// The probe type.
        kind: ProbeKind,
        /// Which timer of the worker this is (an older one is stale).
        generation: u64,
    },
}

/// Everything the kubelet can observe.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input {
    /// The kubelet process starts (for the first time, or after a crash: all memory is new).
    Start,
    /// A reply from the API server.
    Api {
        /// The request it answers.
        call: CallId,
        /// The reply.
        reply: ApiReply,
    },
    /// A change on the pod watch.
    WatchEvent {
        /// The change.
        event: WatchEvent,
        /// Its resource version.
        resource_version: u64,
    },
    /// The watch ended (connection dropped, or the server said 410 Gone).
    WatchClosed {
        /// Whether the server said the resource version is gone.
        gone: bool,
    },
    /// A watched Secret changed (created, updated or deleted).
    SecretEvent {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// Whether it exists now.
        exists: bool,
        /// The event's resource version.
        resource_version: u64,
    },
    /// The watch of one Secret ended (connection dropped, or the server said 410 Gone).
    SecretWatchClosed {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// Whether the server said the resource version is gone.
        gone: bool,
    },
    /// A reply from the runtime.
    Cri {
        /// The call it answers.
        call: CallId,
        /// The reply.
        reply: CriReply,
    },
    /// A reply from the node.
    Node {
        /// The request it answers.
        call: CallId,
        /// The reply.
        reply: NodeReply,
    },
    /// A timer fired.
    Timer(Timer),
    /// The prober's verdict on a container changed (the liveness or startup result manager).
    ProbeResult {
        /// The runtime container id.
        container_id: String,
        /// Which probe.
        probe: ProbeKind,
        /// The result.
        result: crate::runtime::ProbeResult,
    },
}

/// The probe types (prober.go `probeType`): liveness and startup results are read by
/// `computePodActions`, readiness results by the status manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ProbeKind {
    /// `livenessProbe`.
    Liveness,
    /// `startupProbe`.
    Startup,
    /// `readinessProbe`.
    Readiness,
}

/// A decision the kubelet took, recorded for traces and reports (it asks nothing of the world).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    /// `computePodActions` gave this plan.
    Planned {
        /// The pod.
        pod_uid: String,
        /// The plan (only when it is not a no-op).
        actions: crate::actions::PodActions,
    },
    /// A container was not started, and why (CrashLoopBackOff, ImagePullBackOff, ...).
    NotStarted {
        /// The pod.
        pod_uid: String,
        /// The container.
        container: String,
        /// The kubelet's reason.
        reason: String,
    },
    /// The pod worker entered a state.
    Worker {
        /// The pod.
        pod_uid: String,
        /// syncing, terminating or terminated.
        state: WorkerState,
    },
    /// A sync failed and will be retried.
    SyncFailed {
        /// The pod.
        pod_uid: String,
        /// What failed.
        error: String,
    },
}

/// The pod worker states of the kubelet's pod_workers.go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WorkerState {
    /// Running the pod: SyncPod.
    Syncing,
    /// Stopping the pod's containers and sandbox: SyncTerminatingPod.
    Terminating,
    /// Everything stopped; cleaning up volumes and directories: SyncTerminatedPod.
    Terminated,
}

/// Everything the kubelet asks for.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Output {
    /// A request to the API server.
    Api {
        /// Its id.
        call: CallId,
        /// The request.
        request: ApiRequest,
    },
    /// A CRI call.
    Cri {
        /// Its id.
        call: CallId,
        /// The call.
        request: CriRequest,
    },
    /// A node operation.
    Node {
        /// Its id.
        call: CallId,
        /// The operation.
        request: NodeRequest,
    },
    /// Fire `timer` at `at`.
    SetTimer {
        /// When.
        at: Millis,
        /// Which.
        timer: Timer,
    },
    /// Fire `timer` after `delay` plus a jitter the world draws from `[0, delay · jitter)`
    /// (apimachinery's `wait.Jitter`): the kubelet's jittered delays, drawn by the world so that the
    /// model stays free of chance.
    SetJitteredTimer {
        /// The base delay, from the time of the input being handled.
        delay: Millis,
        /// The jitter factor.
        jitter: crate::backoff::Jitter,
        /// Which.
        timer: Timer,
    },
    /// Fire `timer` after a delay the world draws from `[0, within)` (client-go's
    /// `sleepDuration * rand.Float64()`).
    SetRandomTimer {
        /// The bound of the delay, from the time of the input being handled.
        within: Millis,
        /// Which.
        timer: Timer,
    },
    /// A decision, for the record.
    Decision(Decision),
    /// The kubelet recorded an Event (`recorder.Event`), for the record: what reaches the API
    /// server goes as [`ApiRequest::CreateEvent`] and [`ApiRequest::PatchEvent`].
    Event(crate::events::KubeletEvent),
}
