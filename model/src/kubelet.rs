//! The per-node kubelet: pod workers, the sync of each pod, termination, the PLEG relist, the pod
//! list/watch and the Secret manager, as one state machine: `Kubelet::handle(now, input) -> outputs`.
//!
//! Each pod has a worker (pkg/kubelet/pod_workers.go) in one of three states:
//! - **syncing** (`SyncPod`): make the data directory; mount the volumes; read the image pull
//!   Secrets; read the runtime's state of the pod; report the status; then the runtime sync of
//!   `computePodActions`: kill the pod or the containers to kill, create the sandbox before any
//!   container, start ephemeral, init and regular containers (each: restart backoff, image per pull
//!   policy with its backoff, config with its Secrets, create, start);
//! - **terminating** (`SyncTerminatingPod`): stop every container (with the grace period), then the
//!   sandboxes;
//! - **terminated** (`SyncTerminatedPod` and cleanup): remove the containers and sandboxes, unmount the
//!   volumes, remove the data directory, and release the API object.
//!
//! A sync works from the pod as the list/watch last delivered it (the pod manager): the pod worker
//! hands `SyncPod` its pod, and nothing in a sync waits on the API server. Secrets come from the
//! Secret manager's watch-fed cache ([`secret_manager`]); status writes go out beside the sync (the
//! status manager). A new version of a pod dispatches a sync only if it changes what the kubelet acts
//! on ([`pod_config`]): the kubelet's own status write, coming back on the watch, does not.
//!
//! A worker runs one sync at a time; each step issues its requests and waits for every reply before
//! the next step. The world promises one reply per request (see [`crate::io`]). When a sync ends, the
//! worker queues the next one ([`pod_workers`]): jittered delays are handed to the world to draw.

mod event_sites;
mod housekeeping;
pub mod image_puller;
mod pod_config;
pub mod pod_workers;
pub mod recorder;
mod reflector;
// Hook (restart-all): the in-place restart of every container, KEP-5532.
mod restart_all;
mod secret_manager;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::actions::{compute_pod_actions_opts, record_plan_probes, PlanOptions, PodActions};
use crate::backoff::{Backoff, Bump, Jitter};
use crate::coverage::{Probe, Probes};
use crate::events::{self, EventType};
use crate::gates::FeatureGates;
use crate::io::{
    ApiError, ApiReply, ApiRequest, CallId, ContainerConfig, ContainerInfo, CriError, CriReply, CriRequest,
    Decision, Input, NodeReply, NodeRequest, Output, PodRef, ProbeKind, SandboxConfig, SandboxInfo, Timer,
    WatchEvent, WorkerState,
};
use crate::pod::{Container, ContainerKind, EnvSource, Pod, PullPolicy, VolumeSource};
use crate::runtime::{ContainerState, Millis, ProbeResults, RuntimePodStatus, SandboxState};
use crate::status::{generate_api_pod_status, reason, PodStatusReport, StatusContext};

use image_puller::{ImagePuller, PullLimit};
use pod_config::{check_pod, PodChange};
pub use pod_workers::FailedSyncRequeue;
use pod_workers::{requeue, Requeue, RequeueTiming, SyncEnd};
use recorder::Recorder;
use reflector::{ListWatch, Next};
use secret_manager::{Ask, Lookup, SecretKey, SecretManager, GET_SYNC_WAIT};

/// The kubelet's default `--sync-frequency`, 1 minute.
pub const SYNC_FREQUENCY: Millis = 60_000;
/// The PLEG's relist period (`genericPlegRelistPeriod`), 1 s.
pub const RELIST_PERIOD: Millis = 1_000;
/// The pod workers' back-off period after a failed sync (`backOffPeriod` in kubelet.go), 10 s.
pub const POD_WORKER_BACK_OFF: Millis = 10_000;
/// The CrashLoopBackOff's initial delay (`initialCrashLoopBackOff`), 10 s.
pub const CRASH_LOOP_INITIAL: Millis = 10_000;
/// The CrashLoopBackOff's maximum (`MaxCrashLoopBackOff` = `MaxContainerBackOff`), 300 s.
pub const CRASH_LOOP_MAX: Millis = 300_000;
/// With `ReduceDefaultCrashLoopBackOffDecay`: `reducedInitialCrashLoopBackOff`, 1 s.
pub const REDUCED_CRASH_LOOP_INITIAL: Millis = 1_000;
/// With `ReduceDefaultCrashLoopBackOffDecay`: `reducedMaxCrashLoopBackOff`, 60 s.
pub const REDUCED_CRASH_LOOP_MAX: Millis = 60_000;
/// The CrashLoopBackOff's reset: 10 minutes of quiet whatever the maximum (the kubelet's
/// `HasExpiredFunc`, KEP-4603, Kubernetes 1.32; before, flowcontrol's 2 x the maximum, also 10 min).
pub const CRASH_LOOP_RESET: Millis = 600_000;
/// The image pull backoff's initial delay (`backOffPeriod`), 10 s.
pub const IMAGE_PULL_INITIAL: Millis = 10_000;
/// The image pull backoff's maximum (`MaxImageBackOff`), 300 s.
pub const IMAGE_PULL_MAX: Millis = 300_000;
/// The status manager's sync period (`syncPeriod` in status_manager.go): a failed write is sent again
/// by the next periodic sync.
pub const STATUS_SYNC_PERIOD: Millis = 10_000;
/// The Secret manager's `maxIdleTime` is this many sync frequencies (`NewWatchBasedManager`).
const SECRET_IDLE_SYNC_FREQUENCIES: Millis = 5;

fn serialize_image_pulls_default() -> bool {
    true
}

/// The CrashLoopBackOff settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CrashLoopBackOffConfig {
    /// The first delay (`None`: the kubelet's, 10 s, or 1 s with `ReduceDefaultCrashLoopBackOffDecay`).
    /// The kubelet has no setting for it; podsim does.
    pub initial: Option<Millis>,
    /// `crashLoopBackOff.maxContainerRestartPeriod` (needs `KubeletCrashLoopBackOffMax`; 1 s to
    /// 300 s; `None`: 300 s, or 60 s with `ReduceDefaultCrashLoopBackOffDecay`).
    pub max: Option<Millis>,
    /// A container's backoff starts over after this long without a restart (10 min).
    pub reset_after: Millis,
}

impl Default for CrashLoopBackOffConfig {
    fn default() -> CrashLoopBackOffConfig {
        CrashLoopBackOffConfig { initial: None, max: None, reset_after: CRASH_LOOP_RESET }
    }
}

/// An exponential backoff's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackoffBounds {
    /// The first delay.
    pub initial: Millis,
    /// The largest delay.
    pub max: Millis,
}

/// The kubelet's settings, with its defaults. Each field names the kubelet setting or constant it
/// stands for; the defaults follow Kubernetes 1.35.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubeletConfig {
    /// The node this kubelet runs.
    pub node_name: String,
    /// `--sync-frequency` (1 min): a pod worker syncs its pod again this long after a sync that
    /// succeeded (jittered by `resync_jitter`).
    pub sync_frequency: Millis,
    /// `workerResyncIntervalJitterFactor` (0.5).
    pub resync_jitter: Jitter,
    /// The PLEG relists the runtime this often (`genericPlegRelistPeriod`, 1 s).
    pub relist_period: Millis,
    /// The pod workers' back-off period: a failed sync is retried after this long (`backOffPeriod`,
    /// 10 s; jittered by `pod_worker_back_off_jitter`).
    pub pod_worker_back_off: Millis,
    /// `workerBackOffPeriodJitterFactor` (0.5).
    pub pod_worker_back_off_jitter: Jitter,
    /// When a sync that failed because a container is in CrashLoopBackOff is retried.
    pub failed_sync_requeue: FailedSyncRequeue,
    /// The CrashLoopBackOff (`newCrashLoopBackOff` in kubelet.go).
    pub crash_loop_back_off: CrashLoopBackOffConfig,
    /// The ImagePullBackOff (`flowcontrol.NewBackOff(backOffPeriod, MaxImageBackOff)`: 10 s to 300 s,
    /// reset after twice the maximum).
    pub image_pull_back_off: BackoffBounds,
    /// `serializeImagePulls` (true): pull one image at a time, in the order asked
    /// ([`image_puller`]).
    #[serde(default = "serialize_image_pulls_default")]
    pub serialize_image_pulls: bool,
    /// `maxParallelImagePulls` (nil: no limit): with `serialize_image_pulls` false, at most this
    /// many pulls at once.
    #[serde(default)]
    pub max_parallel_image_pulls: Option<i32>,
    /// The feature gates that change pod-management decisions.
    #[serde(default)]
    pub feature_gates: FeatureGates,
}

impl KubeletConfig {
    /// The kubelet's defaults for `node`.
    pub fn new(node: impl Into<String>) -> KubeletConfig {
        KubeletConfig {
            node_name: node.into(),
            sync_frequency: SYNC_FREQUENCY,
            resync_jitter: Jitter::HALF,
            relist_period: RELIST_PERIOD,
            pod_worker_back_off: POD_WORKER_BACK_OFF,
            pod_worker_back_off_jitter: Jitter::HALF,
            failed_sync_requeue: FailedSyncRequeue::default(),
            crash_loop_back_off: CrashLoopBackOffConfig::default(),
            image_pull_back_off: BackoffBounds { initial: IMAGE_PULL_INITIAL, max: IMAGE_PULL_MAX },
            serialize_image_pulls: true,
            max_parallel_image_pulls: None,
            feature_gates: FeatureGates::default(),
        }
    }

    /// `serializeImagePulls` when a configuration leaves it out (v1beta1 `SetDefaults_KubeletConfiguration`):
    /// true unless `maxParallelImagePulls` is set to 2 or more, so that setting the limit alone
    /// pulls in parallel.
    pub fn default_serialize_image_pulls(max_parallel_image_pulls: Option<i32>) -> bool {
        !matches!(max_parallel_image_pulls, Some(max) if max >= 2)
    }

    /// The CrashLoopBackOff's initial and maximum delay, as `newCrashLoopBackOff` resolves them: the
    /// defaults (or the reduced ones under `ReduceDefaultCrashLoopBackOffDecay`), the configured
    /// maximum taking precedence (under `KubeletCrashLoopBackOffMax`), and an initial delay never above
    /// the maximum.
    pub fn crash_loop_bounds(&self) -> BackoffBounds {
        let reduced = self.feature_gates.reduce_default_crash_loop_back_off_decay;
        let (mut initial, mut max) = if reduced {
            (REDUCED_CRASH_LOOP_INITIAL, REDUCED_CRASH_LOOP_MAX)
        } else {
            (CRASH_LOOP_INITIAL, CRASH_LOOP_MAX)
        };
        if let Some(i) = self.crash_loop_back_off.initial {
            initial = i;
        }
        if let Some(m) =
            self.crash_loop_back_off.max.filter(|_| self.feature_gates.kubelet_crash_loop_back_off_max)
        {
            max = m;
        }
        BackoffBounds { initial: initial.min(max), max }
    }

    /// The kubelet's validation of these settings (pkg/kubelet/apis/config/validation): a maximum
    /// restart period needs its gate and lies within 1 s to 300 s; every period is positive; a
    /// limit on parallel pulls is positive, and above 1 only when pulls are not serialised.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(max) = self.crash_loop_back_off.max {
            if !self.feature_gates.kubelet_crash_loop_back_off_max {
                return Err("crashLoopBackOff.max: FeatureGate KubeletCrashLoopBackOffMax not enabled, \
                            CrashLoopBackOff.MaxContainerRestartPeriod must not be set"
                    .into());
            }
            if !(1_000..=300_000).contains(&max) {
                return Err(format!(
                    "crashLoopBackOff.max: MaxContainerRestartPeriod (got: {} seconds) must be set between 1s and 300s",
                    max as f64 / 1_000.0
                ));
            }
        }
        let positive = [
            ("syncFrequency", self.sync_frequency),
            ("relistPeriod", self.relist_period),
            ("podWorkerBackOff", self.pod_worker_back_off),
            ("crashLoopBackOff.initial", self.crash_loop_back_off.initial.unwrap_or(1)),
            ("crashLoopBackOff.resetAfter", self.crash_loop_back_off.reset_after),
            ("imagePullBackOff.initial", self.image_pull_back_off.initial),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(format!("{name}: must be more than 0"));
        }
        if self.image_pull_back_off.initial > self.image_pull_back_off.max {
            return Err("imagePullBackOff: initial must not be more than max".into());
        }
        image_puller::validate_pull_settings(self.serialize_image_pulls, self.max_parallel_image_pulls)
    }

    fn requeue_timing(&self) -> RequeueTiming {
        RequeueTiming {
            resync: self.sync_frequency,
            resync_jitter: self.resync_jitter,
            back_off: self.pod_worker_back_off,
            back_off_jitter: self.pod_worker_back_off_jitter,
            failed_sync: self.failed_sync_requeue,
        }
    }

    /// The CrashLoopBackOff these settings give (bounds and reset period), empty.
    pub fn restart_backoff(&self) -> Backoff {
        let b = self.crash_loop_bounds();
        Backoff::new(b.initial, b.max).with_reset_after(self.crash_loop_back_off.reset_after)
    }

    fn image_backoff(&self) -> Backoff {
        Backoff::new(self.image_pull_back_off.initial, self.image_pull_back_off.max)
    }
}

/// The kubelet never gives a container less than this to stop when it kills it during a sync
/// (`minimumGracePeriodInSeconds`).
const MINIMUM_GRACE_PERIOD_SECONDS: i64 = 2;

/// One step of a sync. Steps run in order; a step's requests are all answered before the next runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Step {
    MakeDataDir,
    MountVolumes,
    /// The Secret manager's `Get` of one Secret: wait up to a second for its cache to fill. (What
    /// the cache holds is read by the step that needs it.)
    AwaitSecret(SecretKey),
    ReadRuntime,
    /// Report the status and compute the pod's actions; queues the runtime steps.
    Plan,
    /// Stop every container that may run, then every ready sandbox (the runtime state just read).
    KillPod {
        grace_seconds: i64,
    },
    StopContainers(Vec<StopContainer>),
    StopSandboxes(Vec<String>),
    RemoveContainers(Vec<String>),
    /// Remove every container, then every sandbox, of the runtime state just read.
    RemoveAll,
    RemoveSandboxes(Vec<String>),
    RunSandbox {
        attempt: u32,
    },
    /// Start a container: restart backoff, then its image.
    Start(ContainerKind, usize),
    ImageStatus(ContainerKind, usize),
    PullImage(ContainerKind, usize),
    CreateContainer(ContainerKind, usize),
    StartContainer(ContainerKind, usize, String),
    /// Hook (restart-all): the reset removed the pod's containers; sync again at once.
    RequeueAfterReset,
    /// Terminating is done: the worker becomes terminated.
    MarkTerminated,
    UnmountVolumes,
    RemoveDataDir,
    Release,
}

/// One container to stop, with the message of its Killing event ("" for the default, `Stopping
/// container <name>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct StopContainer {
    id: String,
    name: String,
    grace_seconds: i64,
    message: String,
}

/// A sync in progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SyncRun {
    /// The worker state the sync was started for.
    kind: WorkerState,
    queue: VecDeque<Step>,
    /// The step whose requests are outstanding, and the requests.
    current: Option<Step>,
    waiting: BTreeSet<CallId>,
    /// The Secret whose cache the sync waits for, and until when.
    awaiting_secret: Option<(SecretKey, Millis)>,
    /// The runtime's state of the pod, as read by `ReadRuntime`.
    runtime: RuntimePodStatus,
    /// Sandboxes and containers read, before they are assembled into `runtime`.
    read_sandboxes: Option<Vec<SandboxInfo>>,
    read_containers: Option<Vec<ContainerInfo>>,
    /// The sandbox containers start in.
    sandbox_id: String,
    /// The attempt of that sandbox.
    attempt: u32,
    /// What each outstanding call of the step is about (a volume's name).
    subjects: BTreeMap<CallId, String>,
    /// The time of the input being handled.
    now: Millis,
    /// Why the sync failed, if it did (the rest of the queue is dropped).
    error: Option<String>,
    /// A container could not be started: the runtime sync's result is an error.
    start_failed: bool,
    /// The earliest end of a CrashLoopBackOff the sync met (its `BackoffError`).
    backoff_expiry: Option<Millis>,
    /// When the image pull in flight was asked for.
    pull_started: Millis,
    /// The failed kills of a terminating sync, as the kubelet's sync results print them.
    kill_failures: Vec<String>,
}

impl SyncRun {
    fn new(kind: WorkerState, queue: Vec<Step>) -> SyncRun {
        SyncRun {
            kind,
            queue: queue.into(),
            current: None,
            waiting: BTreeSet::new(),
            awaiting_secret: None,
            runtime: RuntimePodStatus::default(),
            read_sandboxes: None,
            read_containers: None,
            sandbox_id: String::new(),
            attempt: 0,
            subjects: BTreeMap::new(),
            now: 0,
            error: None,
            start_failed: false,
            backoff_expiry: None,
            pull_started: 0,
            kill_failures: Vec::new(),
        }
    }

    /// Whether the current step still waits (for replies, or for a Secret's cache).
    fn is_waiting(&self) -> bool {
        !self.waiting.is_empty() || self.awaiting_secret.is_some()
    }

    /// How the sync ended, for the work queue.
    fn end(&self) -> SyncEnd {
        if self.error.is_some() || self.start_failed {
            SyncEnd::Failed { backoff_expiry: self.backoff_expiry }
        } else {
            SyncEnd::Succeeded
        }
    }

    /// Drops the starts still queued: a plain init container could not start, so nothing after it may.
    fn abort_starts(&mut self) {
        self.queue.retain(|s| {
            !matches!(
                s,
                Step::Start(..)
                    | Step::ImageStatus(..)
                    | Step::PullImage(..)
                    | Step::AwaitSecret(..)
                    | Step::CreateContainer(..)
                    | Step::StartContainer(..)
            )
        });
    }
}

/// One pod's worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct PodWorker {
    /// The pod the worker syncs (the pod worker's active update; for a pod known only from the
    /// runtime, a stub with no containers).
    pod: Pod,
    /// A newer version that arrived during a sync, for the next sync (the pending update).
    pending_pod: Option<Pod>,
    /// Whether the API server still has the pod.
    in_api: bool,
    state: WorkerState,
    sync: Option<SyncRun>,
    /// Work arrived while a sync ran: sync again when it ends.
    sync_requested: bool,
    /// Deletion arrived while a sync ran: terminate when the current step ends.
    terminate_requested: bool,
    /// The last start failure of each container (the kubelet's reason cache).
    start_failures: BTreeMap<String, (String, String)>,
    last_status: Option<PodStatusReport>,
    /// The status whose write is in flight.
    status_in_flight: Option<PodStatusReport>,
    /// A newer status waiting for the one in flight.
    status_pending: Option<PodStatusReport>,
    /// A status whose write failed, for the status manager's next periodic sync.
    status_failed: Option<PodStatusReport>,
    mounted: BTreeSet<String>,
    /// The pod is terminal (Succeeded/Failed) and not deleted: once terminated, only its volumes go.
    terminal_only: bool,
    /// The pod's work queue entry (the generation of its [`Timer::PodSync`]).
    queued: Option<u64>,
}

impl PodWorker {
    fn new(pod: Pod, in_api: bool, state: WorkerState) -> PodWorker {
        PodWorker {
            pod,
            pending_pod: None,
            in_api,
            state,
            sync: None,
            sync_requested: false,
            terminate_requested: false,
            start_failures: BTreeMap::new(),
            last_status: None,
            status_in_flight: None,
            status_pending: None,
            status_failed: None,
            mounted: BTreeSet::new(),
            terminal_only: false,
            queued: None,
        }
    }

    /// Deleted in the API, gone from it, or known only from the runtime.
    fn is_deleted(&self) -> bool {
        !self.in_api || self.pod.deletion_timestamp.is_some()
    }

    /// The newest version of the pod the kubelet has (the pod manager's).
    fn latest(&self) -> &Pod {
        self.pending_pod.as_ref().unwrap_or(&self.pod)
    }

    /// Stores a newer version: a sync in progress keeps the version it started with (as the kubelet's
    /// pod worker does), and the next sync takes the newer one.
    fn store(&mut self, pod: Pod) {
        if self.sync.is_some() || self.pending_pod.is_some() {
            self.pending_pod = Some(pod);
        } else {
            self.pod = pod;
        }
    }
}

/// What an outstanding request is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum CallOwner {
    ListPods,
    WatchPods,
    ListSecret(SecretKey, u64),
    WatchSecret(SecretKey, u64),
    ListPodDirs,
    RelistSandboxes,
    RelistContainers,
    StatusUpdate(String),
    Worker(String),
    /// A write of the event sink.
    Event,
}

/// The PLEG's relist in progress and the last state it saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Pleg {
    in_flight: bool,
    sandboxes: Option<Vec<SandboxInfo>>,
    containers: Option<Vec<ContainerInfo>>,
    failed: bool,
    /// Per pod UID: its runtime objects at the last relist (id hash and state, sorted).
    last: BTreeMap<String, PlegRecord>,
    /// The containers the last relist saw (to find a container's pod).
    seen_containers: Vec<ContainerInfo>,
    /// The pods (by UID) that had runtime objects at the last relist, with their labels.
    pods: BTreeMap<String, PodRef>,
    /// Whether a relist has completed (the runtime cache has been filled once).
    relisted: bool,
}

/// The kubelet of one node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kubelet {
    config: KubeletConfig,
    next_call: u64,
    workers: BTreeMap<String, PodWorker>,
    /// UIDs whose API object the kubelet released: later events about them are stale.
    released: BTreeSet<String>,
    calls: BTreeMap<CallId, CallOwner>,
    /// The pod list/watch (the API server source of the pod config).
    reflector: ListWatch,
    /// The watch-based Secret manager.
    secrets: SecretManager,
    pleg: Pleg,
    /// CrashLoopBackOff per pod, container and hash.
    restart_backoff: Backoff,
    /// ImagePullBackOff per pod and image.
    image_backoff: Backoff,
    /// The image puller: pulls waiting and in flight (serial or parallel).
    puller: ImagePuller,
    /// The liveness and startup result managers: results by container id.
    probes: ProbeResults,
    /// The last work queue generation handed out.
    next_generation: u64,
    /// The event recorder and its sink (client-go's).
    recorder: Recorder,
    /// The pod directories found on disk at start-up (with their mounted volumes) that no worker has
    /// claimed yet: the volume manager's reconstruction (`None` until the node answered).
    disk: Option<BTreeMap<String, BTreeSet<String>>>,
    /// The decisions reached (rule coverage; the recorder keeps its own).
    probes_hit: Probes,
}

/// The restart backoff key of a container (`GetStableKey`: pod, container and its hash).
fn restart_key(pod: &Pod, container: &Container) -> String {
    format!("{}/{}/{:x}", pod.uid, container.name(), container.hash())
}

/// The image pull backoff key (pod and image).
fn image_key(pod: &Pod, image: &str) -> String {
    format!("{}/{}", pod.uid, image)
}

fn container_of(pod: &Pod, kind: ContainerKind, index: usize) -> &Container {
    match kind {
        ContainerKind::Init => &pod.spec.init_containers[index],
        ContainerKind::Regular => &pod.spec.containers[index],
        ContainerKind::Ephemeral => &pod.spec.ephemeral_containers[index],
    }
}

/// A runtime object's id, hashed for the PLEG's record of a pod (FNV-1a, then the splitmix64
/// finaliser).
fn id_hash(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The PLEG's state of a runtime object (generic.go `convertState`; a sandbox counts as a container).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
enum PlegState {
    Running,
    Exited,
    Unknown,
}

/// A pod's runtime objects as a relist saw them: id hash and state, sorted.
type PlegRecord = Vec<(u64, PlegState)>;

fn pleg_state(s: ContainerState) -> PlegState {
    match s {
        ContainerState::Running => PlegState::Running,
        ContainerState::Exited => PlegState::Exited,
        ContainerState::Created | ContainerState::Unknown => PlegState::Unknown,
    }
}

/// Whether the PLEG's events between two relists of a pod are worth a sync (`isSyncPodWorthy`): a
/// container started, died or changed; a container that was seen exited and is now gone is only
/// `ContainerRemoved`, which is not. Both records are sorted by id hash.
fn sync_worthy(old: &[(u64, PlegState)], new: &[(u64, PlegState)]) -> bool {
    let changed = new
        .iter()
        .any(|(id, state)| old.binary_search_by_key(id, |(h, _)| *h).map_or(true, |i| old[i].1 != *state));
    let vanished_alive = old
        .iter()
        .any(|(id, state)| *state != PlegState::Exited && new.binary_search_by_key(id, |(h, _)| *h).is_err());
    changed || vanished_alive
}

impl Kubelet {
    /// A kubelet that has not started: feed it [`Input::Start`].
    pub fn new(config: KubeletConfig) -> Kubelet {
        let restart_backoff = config.restart_backoff();
        let image_backoff = config.image_backoff();
        let puller = ImagePuller::new(PullLimit::of(&config));
        let secret_idle = SECRET_IDLE_SYNC_FREQUENCIES * config.sync_frequency;
        Kubelet {
            next_call: 0,
            workers: BTreeMap::new(),
            released: BTreeSet::new(),
            calls: BTreeMap::new(),
            reflector: ListWatch::new(0),
            secrets: SecretManager::new(0, secret_idle),
            pleg: Pleg::default(),
            restart_backoff,
            image_backoff,
            puller,
            probes: ProbeResults::none(),
            next_generation: 0,
            recorder: Recorder::new(&config.node_name),
            disk: None,
            probes_hit: Probes::new(),
            config,
        }
    }

    /// Its settings.
    pub fn config(&self) -> &KubeletConfig {
        &self.config
    }

    /// The UIDs of the pods it has a worker for, with the worker's state.
    pub fn workers(&self) -> impl Iterator<Item = (&str, WorkerState)> {
        self.workers.iter().map(|(uid, w)| (uid.as_str(), w.state))
    }

    /// The last status it reported for a pod.
    pub fn last_status(&self, uid: &str) -> Option<&PodStatusReport> {
        self.workers.get(uid).and_then(|w| w.last_status.as_ref())
    }

    /// How often each of its decisions was reached since it started (rule coverage): its own and its
    /// event recorder's.
    pub fn probes(&self) -> Probes {
        let mut probes = self.probes_hit;
        probes.add(self.recorder.probes());
        probes
    }

    /// Records that a decision was reached.
    #[inline]
    fn hit(&mut self, probe: Probe) {
        self.probes_hit.hit(probe);
    }

    /// How many requests await a reply.
    pub fn outstanding_calls(&self) -> usize {
        self.calls.len()
    }

    /// Handles one input at time `now`, returning what it asks for.
    pub fn handle(&mut self, now: Millis, input: Input) -> Vec<Output> {
        let mut out = Vec::new();
        self.handle_into(now, input, &mut out);
        out
    }

    /// Like [`Kubelet::handle`], appending to `out` (no allocation when nothing is asked).
    pub fn handle_into(&mut self, now: Millis, input: Input, out: &mut Vec<Output>) {
        match input {
            Input::Start => self.start(now, out),
            Input::Timer(timer) => self.on_timer(timer, now, out),
            Input::ProbeResult { container_id, probe, result } => {
                let entry = self.probes.0.entry(container_id.clone()).or_default();
                let slot = match probe {
                    ProbeKind::Liveness => &mut entry.liveness,
                    ProbeKind::Startup => &mut entry.startup,
                };
                if *slot != Some(result) {
                    *slot = Some(result);
                    // A changed result is a reason to sync the container's pod (the probe managers'
                    // updates channel).
                    let owner = self.pleg_owner_of(&container_id);
                    if let Some(uid) = owner {
                        self.request_sync(&uid, now, out);
                    }
                }
            }
            Input::WatchEvent { event, resource_version } => {
                self.reflector.on_event(resource_version);
                match event {
                    WatchEvent::Upserted(pod) => self.upsert_pod(pod, now, out),
                    WatchEvent::Deleted(pod) => self.pod_gone(&pod.uid, now, out),
                }
            }
            Input::WatchClosed { gone } => {
                let next = self.reflector.on_closed(gone, now);
                match next {
                    Next::Wait(_) if gone => self.hit(Probe::ReflectorWatchGone),
                    Next::Wait(_) => self.hit(Probe::ReflectorShortWatch),
                    Next::Watch(_) => self.hit(Probe::ReflectorWatchReopened),
                    Next::List | Next::Nothing => {}
                }
                self.pods_next(next, out);
            }
            Input::SecretEvent { namespace, name, exists, resource_version } => {
                self.secrets.on_event(&(namespace, name), exists, resource_version, now);
            }
            Input::SecretWatchClosed { namespace, name, gone } => {
                if gone {
                    self.hit(Probe::SecretWatchGone);
                }
                let ask = self.secrets.on_closed(&(namespace, name), gone, now);
                self.secret_next(ask, out);
            }
            Input::Api { call, reply } => match self.calls.remove(&call) {
                Some(CallOwner::ListPods) => self.on_pod_list(reply, now, out),
                Some(CallOwner::WatchPods) => {
                    let result = watch_result(reply);
                    match &result {
                        Err(ApiError::Gone) => self.hit(Probe::ReflectorWatchGone),
                        Err(_) => self.hit(Probe::ReflectorWatchFailed),
                        Ok(()) => {}
                    }
                    let next = self.reflector.on_watch_reply(result, now);
                    self.pods_next(next, out);
                }
                Some(CallOwner::ListSecret(key, generation)) => {
                    let listed = match reply {
                        ApiReply::SecretList { exists, resource_version } => Some((exists, resource_version)),
                        _ => None,
                    };
                    let ask = self.secrets.on_list(&key, generation, listed, now);
                    self.secret_next(ask, out);
                    if self.secrets.is_synced(&key) {
                        self.secret_synced(&key, now, out);
                    }
                }
                Some(CallOwner::WatchSecret(key, generation)) => {
                    let result = watch_result(reply);
                    if result == Err(ApiError::Gone) {
                        self.hit(Probe::SecretWatchGone);
                    }
                    let ask = self.secrets.on_watch_reply(&key, generation, result, now);
                    self.secret_next(ask, out);
                }
                Some(CallOwner::Worker(uid)) => self.on_reply(&uid, call, Reply::Api(reply), now, out),
                // Status writes go out beside the syncs (the status manager).
                Some(CallOwner::StatusUpdate(uid)) => {
                    self.on_status_reply(&uid, matches!(reply, ApiReply::Ok), now, out)
                }
                Some(CallOwner::Event) => self.on_event_reply(&reply, now, out),
                None => {}
                Some(_) => {}
            },
            Input::Cri { call, reply } => match self.calls.remove(&call) {
                Some(CallOwner::RelistSandboxes) => {
                    match reply {
                        CriReply::Sandboxes(s) => self.pleg.sandboxes = Some(s),
                        _ => self.pleg.failed = true,
                    }
                    self.finish_relist(now, out);
                }
                Some(CallOwner::RelistContainers) => {
                    match reply {
                        CriReply::Containers(c) => self.pleg.containers = Some(c),
                        _ => self.pleg.failed = true,
                    }
                    self.finish_relist(now, out);
                }
                Some(CallOwner::Worker(uid)) => {
                    // A pull's reply frees its slot in the puller first: the next queued pull goes out.
                    self.pull_answered(call, now, out);
                    self.on_reply(&uid, call, Reply::Cri(reply), now, out)
                }
                _ => {}
            },
            Input::Node { call, reply } => match self.calls.remove(&call) {
                Some(CallOwner::Worker(uid)) => self.on_reply(&uid, call, Reply::Node(reply), now, out),
                Some(CallOwner::ListPodDirs) => self.on_pod_dirs(reply, now, out),
                _ => {}
            },
        }
    }

    /// The kubelet process starts: the pod source's reflector lists, the PLEG starts relisting, and
    /// the Secret manager's idle recycler starts its minutes.
    fn start(&mut self, now: Millis, out: &mut Vec<Output>) {
        self.reflector = ListWatch::new(now);
        self.secrets = SecretManager::new(now, SECRET_IDLE_SYNC_FREQUENCIES * self.config.sync_frequency);
        let next = self.reflector.start();
        self.pods_next(next, out);
        out.push(Output::SetTimer { at: now, timer: Timer::Relist });
        // The volume manager reconstructs what is mounted from the pod directories on disk.
        let call = self.call_id(CallOwner::ListPodDirs);
        out.push(Output::Node { call, request: NodeRequest::ListPodDirs });
    }

    fn on_timer(&mut self, timer: Timer, now: Millis, out: &mut Vec<Output>) {
        match timer {
            Timer::Relist => self.relist(now, out),
            Timer::Rewatch => {
                let next = self.reflector.on_timer();
                self.pods_next(next, out);
            }
            Timer::PodSync { pod_uid, generation } => {
                // Only the pod's newest work queue entry counts (the queue keeps one per pod).
                let due = self
                    .workers
                    .get(&pod_uid)
                    .is_some_and(|w| w.sync.is_none() && w.queued == Some(generation));
                if due {
                    self.start_sync(&pod_uid, now, out);
                }
            }
            Timer::SecretRewatch { namespace, name, generation } => {
                let ask = self.secrets.on_timer(&(namespace, name), generation, now);
                self.secret_next(ask, out);
            }
            Timer::SecretSyncTimeout { pod_uid } => {
                let run = self.workers.get_mut(&pod_uid).and_then(|w| w.sync.as_mut());
                let timed_out =
                    run.as_ref().and_then(|r| r.awaiting_secret.as_ref()).is_some_and(|(_, at)| *at <= now);
                if let Some(run) = run.filter(|_| timed_out) {
                    // `wait.PollImmediate` gave up: the step that reads the Secret finds no cache.
                    run.awaiting_secret = None;
                    self.advance(&pod_uid, now, out);
                }
            }
            Timer::StatusRetry { pod_uid } => self.retry_status(&pod_uid, out),
            Timer::EventRetry => {
                if let Some(write) = self.recorder.on_retry_timer() {
                    self.write_event(write, out);
                }
            }
        }
    }

    fn call_id(&mut self, owner: CallOwner) -> CallId {
        let id = CallId(self.next_call);
        self.next_call += 1;
        self.calls.insert(id, owner);
        id
    }

    // ---- the pod list and watch ------------------------------------------------------------------

    /// Carries out what the pod reflector asks.
    fn pods_next(&mut self, next: Next, out: &mut Vec<Output>) {
        let node = self.config.node_name.clone();
        match next {
            Next::List => {
                let call = self.call_id(CallOwner::ListPods);
                out.push(Output::Api { call, request: ApiRequest::ListPods { node } });
            }
            Next::Watch(resource_version) => {
                let call = self.call_id(CallOwner::WatchPods);
                out.push(Output::Api { call, request: ApiRequest::WatchPods { node, resource_version } });
            }
            Next::Wait(delay) => {
                out.push(Output::SetJitteredTimer { delay, jitter: Jitter::FULL, timer: Timer::Rewatch })
            }
            Next::Nothing => {}
        }
    }

    fn on_pod_list(&mut self, reply: ApiReply, now: Millis, out: &mut Vec<Output>) {
        let ApiReply::PodList { pods, resource_version } = reply else {
            self.hit(Probe::ReflectorListFailed);
            let next = self.reflector.on_list(None, now);
            self.pods_next(next, out);
            return;
        };
        let listed: BTreeSet<String> = pods.iter().map(|p| p.uid.clone()).collect();
        for pod in pods {
            self.upsert_pod(pod, now, out);
        }
        // Pods the kubelet knew from the API that the list no longer has are gone.
        let gone: Vec<String> = self
            .workers
            .iter()
            .filter(|(uid, w)| w.in_api && !listed.contains(*uid))
            .map(|(u, _)| u.clone())
            .collect();
        for uid in gone {
            self.pod_gone(&uid, now, out);
        }
        let next = self.reflector.on_list(Some(resource_version), now);
        self.pods_next(next, out);
        // The pod source is ready: what the runtime and the disk hold for pods it does not have can
        // be cleaned up.
        self.handle_pod_cleanups(now, out);
    }

    /// A version of a pod from the list or the watch: the pod config's `checkAndUpdatePod`, then the
    /// pod manager and the pod workers (`HandlePodAdditions`, `HandlePodUpdates`, `HandlePodReconcile`).
    fn upsert_pod(&mut self, pod: Pod, now: Millis, out: &mut Vec<Output>) {
        if pod.spec.node_name != self.config.node_name || self.released.contains(&pod.uid) {
            // Bound elsewhere, or already released: not this kubelet's business.
            return;
        }
        let uid = pod.uid.clone();
        let deleted = pod.deletion_timestamp.is_some();
        match self.workers.get_mut(&uid) {
            Some(w) if w.in_api => match check_pod(w.latest(), &pod) {
                PodChange::Unchanged => return,
                PodChange::Reconcile => {
                    // `HandlePodReconcile`: the pod manager takes the new version, no sync is dispatched
                    // (that is only for readiness gates and evicted pods, which podsim's pods lack).
                    w.store(pod);
                    return;
                }
                PodChange::Update | PodChange::GracefulDelete => w.store(pod),
            },
            Some(w) => {
                // Known only from the runtime until now.
                w.store(pod);
                w.in_api = true;
            }
            None => {
                out.push(Output::Decision(Decision::Worker {
                    pod_uid: uid.clone(),
                    state: WorkerState::Syncing,
                }));
                let mut worker = PodWorker::new(pod, true, WorkerState::Syncing);
                worker.mounted = self.claim_reconstructed_mounts(&uid);
                self.workers.insert(uid.clone(), worker);
            }
        }
        self.register_secrets(&uid, now, out);
        if deleted {
            self.request_termination(&uid, now, out);
        } else {
            self.request_sync(&uid, now, out);
        }
    }

    /// The pod's API object is gone (or it was never in the API).
    fn pod_gone(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        w.in_api = false;
        self.probes_hit.hit(Probe::TerminateRemovedFromApi);
        self.secrets.unregister_pod(uid);
        self.request_termination(uid, now, out);
    }

    // ---- the Secret manager ----------------------------------------------------------------------------

    /// `RegisterPod`: the Secrets the pod manager's version of the pod references.
    fn register_secrets(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get(uid) else { return };
        let pod = w.latest();
        let keys: BTreeSet<SecretKey> =
            pod.secret_refs().into_iter().map(|(name, _)| (pod.namespace.clone(), name)).collect();
        for ask in self.secrets.register_pod(uid, keys, now) {
            self.secret_next(Some(ask), out);
        }
    }

    /// Carries out what a Secret's reflector asks.
    fn secret_next(&mut self, ask: Option<Ask>, out: &mut Vec<Output>) {
        let Some(Ask { key, generation, next }) = ask else { return };
        let (namespace, name) = key.clone();
        match next {
            Next::List => {
                let call = self.call_id(CallOwner::ListSecret(key, generation));
                out.push(Output::Api { call, request: ApiRequest::ListSecret { namespace, name } });
            }
            Next::Watch(resource_version) => {
                let call = self.call_id(CallOwner::WatchSecret(key, generation));
                let request = ApiRequest::WatchSecret { namespace, name, resource_version };
                out.push(Output::Api { call, request });
            }
            Next::Wait(delay) => out.push(Output::SetJitteredTimer {
                delay,
                jitter: Jitter::FULL,
                timer: Timer::SecretRewatch { namespace, name, generation },
            }),
            Next::Nothing => {}
        }
    }

    /// A Secret's cache filled: the syncs that waited for it go on.
    fn secret_synced(&mut self, key: &SecretKey, now: Millis, out: &mut Vec<Output>) {
        let waiting: Vec<String> = self
            .workers
            .iter_mut()
            .filter_map(|(uid, w)| {
                let run = w.sync.as_mut()?;
                let waits = run.awaiting_secret.as_ref().is_some_and(|(k, _)| k == key);
                waits.then(|| {
                    run.awaiting_secret = None;
                    uid.clone()
                })
            })
            .collect();
        for uid in waiting {
            self.advance(&uid, now, out);
        }
    }

    // ---- pod workers -------------------------------------------------------------------------------

    fn request_sync(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.sync.is_some() {
            w.sync_requested = true;
        } else {
            self.start_sync(uid, now, out);
        }
    }

    fn request_termination(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        match w.state {
            WorkerState::Syncing => {
                if w.in_api {
                    self.probes_hit.hit(Probe::TerminateGracefulDelete);
                }
                if w.sync.is_some() {
                    self.probes_hit.hit(Probe::TerminateDuringSync);
                    w.terminate_requested = true;
                } else {
                    self.enter(uid, WorkerState::Terminating, out);
                    self.start_sync(uid, now, out);
                }
            }
            // Terminating already, or terminated: clean up (again) if it was only terminal before.
            WorkerState::Terminating | WorkerState::Terminated => {
                w.terminal_only = false;
                self.request_sync(uid, now, out);
            }
        }
    }

    fn enter(&mut self, uid: &str, state: WorkerState, out: &mut Vec<Output>) {
        if let Some(w) = self.workers.get_mut(uid) {
            if w.state != state {
                w.state = state;
                out.push(Output::Decision(Decision::Worker { pod_uid: uid.to_string(), state }));
            }
        }
    }

    // ---- the PLEG ----------------------------------------------------------------------------------

    fn relist(&mut self, now: Millis, out: &mut Vec<Output>) {
        out.push(Output::SetTimer { at: now + self.config.relist_period, timer: Timer::Relist });
        if self.pleg.in_flight {
            return;
        }
        self.pleg.in_flight = true;
        self.pleg.failed = false;
        let call = self.call_id(CallOwner::RelistSandboxes);
        out.push(Output::Cri { call, request: CriRequest::ListPodSandbox { pod_uid: None } });
        let call = self.call_id(CallOwner::RelistContainers);
        out.push(Output::Cri { call, request: CriRequest::ListContainers { pod_uid: None } });
    }

    /// The pod whose container has this id, as the last relist saw it.
    fn pleg_owner_of(&self, container_id: &str) -> Option<String> {
        self.pleg
            .seen_containers
            .iter()
            .find(|c| c.status.id == container_id)
            .and_then(|c| c.pod.as_ref())
            .map(|p| p.uid.clone())
    }

    fn finish_relist(&mut self, now: Millis, out: &mut Vec<Output>) {
        if !self.pleg.failed && (self.pleg.sandboxes.is_none() || self.pleg.containers.is_none()) {
            return;
        }
        let still_waiting = self
            .calls
            .values()
            .any(|o| matches!(o, CallOwner::RelistSandboxes | CallOwner::RelistContainers));
        if still_waiting {
            return;
        }
        self.pleg.in_flight = false;
        let sandboxes = self.pleg.sandboxes.take();
        let containers = self.pleg.containers.take();
        let (Some(sandboxes), Some(containers)) = (sandboxes, containers) else {
            self.hit(Probe::PlegRelistFailed);
            return;
        };
        // Each pod's runtime objects (ids and states), compared with the last relist's.
        let mut seen: BTreeMap<&str, (PlegRecord, &PodRef)> = BTreeMap::new();
        for sb in &sandboxes {
            if let Some(p) = &sb.pod {
                let state = if sb.status.state == SandboxState::Ready {
                    PlegState::Running
                } else {
                    PlegState::Exited
                };
                seen.entry(p.uid.as_str()).or_insert((Vec::new(), p)).0.push((id_hash(&sb.status.id), state));
            }
        }
        for c in &containers {
            if let Some(p) = &c.pod {
                let state = pleg_state(c.status.state);
                seen.entry(p.uid.as_str()).or_insert((Vec::new(), p)).0.push((id_hash(&c.status.id), state));
            }
        }
        let mut changed: Vec<String> = Vec::new();
        for (uid, (objects, _)) in seen.iter_mut() {
            objects.sort_unstable();
            let old = self.pleg.last.get(*uid).map_or(&[][..], Vec::as_slice);
            if sync_worthy(old, objects) {
                changed.push(uid.to_string());
            }
        }
        for (uid, old) in &self.pleg.last {
            if !seen.contains_key(uid.as_str()) && sync_worthy(old, &[]) {
                changed.push(uid.clone());
            }
        }
        self.pleg.last.retain(|uid, _| seen.contains_key(uid.as_str()));
        self.pleg.pods =
            seen.iter().map(|(uid, (_, pod_ref))| (uid.to_string(), (*pod_ref).clone())).collect();
        for (uid, (objects, _)) in seen.iter_mut() {
            match self.pleg.last.get_mut(*uid) {
                Some(last) => std::mem::swap(last, objects),
                None => {
                    self.pleg.last.insert(uid.to_string(), std::mem::take(objects));
                }
            }
        }
        drop(seen);
        if !self.probes.0.is_empty() {
            // Forget probe results of containers that are gone.
            let live: BTreeSet<&str> = containers.iter().map(|c| c.status.id.as_str()).collect();
            self.probes.0.retain(|id, _| live.contains(id.as_str()));
        }
        self.pleg.seen_containers = containers;
        self.pleg.relisted = true;
        for uid in changed {
            if self.workers.contains_key(&uid) {
                self.request_sync(&uid, now, out);
            }
        }
        // Runtime objects of pods the kubelet does not know are terminated by the housekeeping.
        self.handle_pod_cleanups(now, out);
    }

    // ---- pod workers ---------------------------------------------------------------------------------

    fn start_sync(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        debug_assert!(w.sync.is_none(), "a pod worker runs one sync at a time");
        if let Some(newer) = w.pending_pod.take() {
            w.pod = newer;
        }
        w.sync_requested = false;
        w.queued = None;
        let steps = match w.state {
            WorkerState::Syncing => {
                // SyncPod works from the pod it was handed. Its image pull Secrets are read from the
                // Secret manager (`getPullSecretsForPod`: a Secret it cannot get is only logged).
                let mut steps = vec![Step::MakeDataDir, Step::MountVolumes];
                let namespace = &w.pod.namespace;
                steps.extend(
                    w.pod
                        .spec
                        .image_pull_secrets
                        .iter()
                        .map(|s| Step::AwaitSecret((namespace.clone(), s.clone()))),
                );
                steps.extend([Step::ReadRuntime, Step::Plan]);
                steps
            }
            WorkerState::Terminating => {
                // The grace period of a deletion (at least 1 s, as pod_workers.go enforces).
                let grace = w.pod.grace_period_seconds().max(1);
                vec![Step::ReadRuntime, Step::KillPod { grace_seconds: grace }, Step::MarkTerminated]
            }
            WorkerState::Terminated => {
                if w.terminal_only {
                    vec![Step::UnmountVolumes]
                } else {
                    let mut steps =
                        vec![Step::ReadRuntime, Step::RemoveAll, Step::UnmountVolumes, Step::RemoveDataDir];
                    if w.in_api {
                        steps.push(Step::Release);
                    }
                    steps
                }
            }
        };
        w.sync = Some(SyncRun::new(w.state, steps));
        self.advance(uid, now, out);
    }

    /// Runs steps until one waits for replies or the sync ends.
    fn advance(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        loop {
            let Some(w) = self.workers.get_mut(uid) else { return };
            let Some(run) = w.sync.as_mut() else { return };
            run.now = now;
            if run.is_waiting() {
                return;
            }
            run.current = None;
            if run.error.is_some() {
                run.queue.clear();
            }
            if w.terminate_requested && w.state == WorkerState::Syncing {
                // Deleted mid-sync: the current step is done, so nothing is in flight; terminate.
                w.terminate_requested = false;
                w.sync = None;
                self.enter(uid, WorkerState::Terminating, out);
                self.start_sync(uid, now, out);
                return;
            }
            let Some(step) = run.queue.pop_front() else {
                self.finish_sync(uid, now, out);
                return;
            };
            self.run_step(uid, step, now, out);
        }
    }

    fn finish_sync(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        let Some(run) = w.sync.take() else { return };
        if let Some(error) = &run.error {
            out.push(Output::Decision(Decision::SyncFailed {
                pod_uid: uid.to_string(),
                error: error.clone(),
            }));
        }
        if !run.kill_failures.is_empty() {
            self.event_kill_pod_failed(uid, &run.kill_failures, now, out);
        }
        let Some(w) = self.workers.get_mut(uid) else { return };
        if run.kind == WorkerState::Terminated && run.error.is_none() && !w.terminal_only && !w.in_api {
            // Everything of the pod is gone and so is its API object: forget it.
            self.workers.remove(uid);
            self.hit(Probe::TerminateForgotten);
            self.restart_backoff.reset_prefix(&format!("{uid}/"));
            self.image_backoff.reset_prefix(&format!("{uid}/"));
            return;
        }
        if w.terminate_requested {
            w.terminate_requested = false;
            if w.state == WorkerState::Syncing {
                self.enter(uid, WorkerState::Terminating, out);
            }
            self.start_sync(uid, now, out);
            return;
        }
        if w.sync_requested {
            self.start_sync(uid, now, out);
            return;
        }
        if run.error.is_none() && w.state == WorkerState::Terminated {
            // Terminated and cleaned up: nothing more until the API object changes.
            return;
        }
        let entry = requeue(&self.config.requeue_timing(), now, run.end());
        self.enqueue(uid, entry, out);
    }

    /// Sets the pod's work queue entry (`workQueue.Enqueue`), replacing any earlier one.
    fn enqueue(&mut self, uid: &str, entry: Requeue, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        self.next_generation += 1;
        let generation = self.next_generation;
        w.queued = Some(generation);
        out.push(Output::SetJitteredTimer {
            delay: entry.delay,
            jitter: entry.jitter,
            timer: Timer::PodSync { pod_uid: uid.to_string(), generation },
        });
    }

    fn call(&mut self, uid: &str, out: &mut Vec<Output>, make: impl FnOnce(CallId) -> Output) {
        let call = self.call_id(CallOwner::Worker(uid.to_string()));
        if let Some(run) = self.workers.get_mut(uid).and_then(|w| w.sync.as_mut()) {
            run.waiting.insert(call);
        }
        out.push(make(call));
    }

    /// Issues a worker's request about a named thing (a volume, a Secret).
    fn call_about(
        &mut self,
        uid: &str,
        subject: String,
        out: &mut Vec<Output>,
        make: impl FnOnce(CallId) -> Output,
    ) {
        let next = CallId(self.next_call);
        if let Some(run) = self.workers.get_mut(uid).and_then(|w| w.sync.as_mut()) {
            run.subjects.insert(next, subject);
        }
        self.call(uid, out, make);
    }

    fn cri(&mut self, uid: &str, out: &mut Vec<Output>, request: CriRequest) {
        self.call(uid, out, |call| Output::Cri { call, request });
    }

    fn set_current(&mut self, uid: &str, step: Step) {
        if let Some(run) = self.workers.get_mut(uid).and_then(|w| w.sync.as_mut()) {
            run.current = Some(step);
        }
    }

    fn run_step(&mut self, uid: &str, step: Step, now: Millis, out: &mut Vec<Output>) {
        let pod = self.workers[uid].pod.clone();
        let mounted = self.workers[uid].mounted.clone();
        self.set_current(uid, step.clone());
        match step {
            Step::MakeDataDir => {
                self.call(uid, out, |call| Output::Node {
                    call,
                    request: NodeRequest::MakeDataDir { pod_uid: pod.uid.clone() },
                });
            }
            Step::MountVolumes => {
                // The volume manager reads the Secret of a secret volume from the Secret manager as it
                // sets the volume up (which keeps the Secret's cache item from going idle).
                for volume in &pod.spec.volumes {
                    if let VolumeSource::Secret { secret_name, .. } = &volume.source {
                        let ask = self.secrets.begin_get(&(pod.namespace.clone(), secret_name.clone()), now);
                        self.secret_next(ask, out);
                    }
                }
                let to_mount: Vec<String> = pod
                    .spec
                    .volumes
                    .iter()
                    .map(|v| v.name.clone())
                    .filter(|n| !mounted.contains(n))
                    .collect();
                for volume in to_mount {
                    let request =
                        NodeRequest::MountVolume { pod_uid: pod.uid.clone(), volume: volume.clone() };
                    self.call_about(uid, volume, out, |call| Output::Node { call, request });
                }
            }
            Step::AwaitSecret(key) => self.await_secret(uid, key, now, out),
            Step::ReadRuntime => {
                if let Some(run) = self.workers.get_mut(uid).and_then(|w| w.sync.as_mut()) {
                    run.read_sandboxes = None;
                    run.read_containers = None;
                }
                self.cri(uid, out, CriRequest::ListPodSandbox { pod_uid: Some(pod.uid.clone()) });
                self.cri(uid, out, CriRequest::ListContainers { pod_uid: Some(pod.uid.clone()) });
            }
            Step::Plan => self.plan(uid, now, out),
            Step::KillPod { grace_seconds } => {
                let run = self.workers[uid].sync.as_ref().expect("a step runs within a sync");
                let stops: Vec<StopContainer> = run
                    .runtime
                    .containers
                    .iter()
                    .filter(|c| c.state != ContainerState::Exited)
                    .map(|c| StopContainer {
                        id: c.id.clone(),
                        name: c.name.clone(),
                        grace_seconds,
                        message: String::new(),
                    })
                    .collect();
                // Every sandbox of the pod is stopped (killPodWithSyncResult); stopping a sandbox whose
                // pause process died still tears down its network.
                let sandboxes: Vec<String> = run.runtime.sandboxes.iter().map(|s| s.id.clone()).collect();
                if run.kind == WorkerState::Terminating && !stops.is_empty() {
                    self.probes_hit.hit(Probe::TerminateKillRunning);
                }
                // Containers stop before their sandbox.
                let run = self.workers.get_mut(uid).and_then(|w| w.sync.as_mut()).expect("in a sync");
                run.queue.push_front(Step::StopSandboxes(sandboxes));
                run.queue.push_front(Step::StopContainers(stops));
            }
            Step::StopContainers(stops) => {
                for stop in stops {
                    // killContainer records its event before it runs the pre-stop hook and stops.
                    self.event_killing(uid, &stop.name, &stop.message, now, out);
                    let request = CriRequest::StopContainer {
                        container_id: stop.id,
                        timeout_seconds: stop.grace_seconds,
                    };
                    self.call_about(uid, stop.name, out, |call| Output::Cri { call, request });
                }
            }
            Step::StopSandboxes(ids) => {
                for sandbox_id in ids {
                    self.cri(uid, out, CriRequest::StopPodSandbox { sandbox_id });
                }
            }
            Step::RemoveAll => {
                let run = self.workers.get_mut(uid).and_then(|w| w.sync.as_mut()).expect("in a sync");
                let containers = run.runtime.containers.iter().map(|c| c.id.clone()).collect();
                let sandboxes = run.runtime.sandboxes.iter().map(|s| s.id.clone()).collect();
                run.queue.push_front(Step::RemoveSandboxes(sandboxes));
                run.queue.push_front(Step::RemoveContainers(containers));
            }
            Step::RemoveContainers(ids) => {
                for container_id in ids {
                    self.cri(uid, out, CriRequest::RemoveContainer { container_id });
                }
            }
            Step::RemoveSandboxes(ids) => {
                for sandbox_id in ids {
                    self.cri(uid, out, CriRequest::RemovePodSandbox { sandbox_id });
                }
            }
            Step::RunSandbox { attempt } => {
                let config =
                    SandboxConfig { pod: PodRef::of(&pod), attempt, host_network: pod.spec.host_network };
                self.cri(uid, out, CriRequest::RunPodSandbox { config });
            }
            Step::Start(kind, index) => self.start_container(uid, kind, index, now, out),
            Step::ImageStatus(kind, index) => {
                let image = container_of(&pod, kind, index).image().to_string();
                self.cri(uid, out, CriRequest::ImageStatus { image });
            }
            Step::PullImage(kind, index) => {
                let image = container_of(&pod, kind, index).image().to_string();
                let key = image_key(&pod, &image);
                if self.image_backoff.backoff_end_since_update(&key, now).is_some() {
                    // `ErrImagePullBackOff`: an error like any other (no `BackoffError`).
                    self.hit(Probe::ImagePullWaiting);
                    self.event_pull_back_off(uid, (kind, index), now, out);
                    let message =
                        format!("Back-off pulling image {:?}", events::apply_default_image_tag(&image));
                    self.start_failed(uid, kind, index, (reason::IMAGE_PULL_BACK_OFF, message), None, out);
                } else {
                    // "Pulling image" is recorded as the pod worker asks (EnsureImageExists); the
                    // pull then goes to the puller (serial or parallel), which may make it wait.
                    self.event_pulling(uid, (kind, index), now, out);
                    if let Some(run) = self.workers.get_mut(uid).and_then(|w| w.sync.as_mut()) {
                        run.pull_started = now;
                    }
                    self.queue_pull(uid, image, now, out);
                }
            }
            Step::CreateContainer(kind, index) => self.create_container(uid, kind, index, out),
            Step::StartContainer(_, _, container_id) => {
                self.cri(uid, out, CriRequest::StartContainer { container_id });
            }
            // Hook (restart-all).
            Step::RequeueAfterReset => self.requeue_after_reset(uid),
            Step::MarkTerminated => {
                let failed = self.workers[uid].sync.as_ref().is_some_and(|r| r.error.is_some());
                if !failed {
                    self.enter(uid, WorkerState::Terminated, out);
                    // Cleanup follows at once, as SyncTerminatedPod does.
                    if let Some(w) = self.workers.get_mut(uid) {
                        w.sync_requested = true;
                    }
                }
            }
            Step::UnmountVolumes => {
                let mut volumes: BTreeSet<String> = mounted;
                volumes.extend(pod.spec.volumes.iter().map(|v| v.name.clone()));
                for volume in volumes {
                    let request =
                        NodeRequest::UnmountVolume { pod_uid: pod.uid.clone(), volume: volume.clone() };
                    self.call_about(uid, volume, out, |call| Output::Node { call, request });
                }
            }
            Step::RemoveDataDir => {
                let request = NodeRequest::RemoveDataDir { pod_uid: pod.uid.clone() };
                self.call(uid, out, |call| Output::Node { call, request });
            }
            Step::Release => {
                let request = ApiRequest::DeletePod { pod: PodRef::of(&pod) };
                self.call(uid, out, |call| Output::Api { call, request });
            }
        }
    }

    /// The start of the Secret manager's `Get`: record the access (starting an idle reflector again)
    /// and, if the Secret's cache has not filled, wait for it up to a second.
    fn await_secret(&mut self, uid: &str, key: SecretKey, now: Millis, out: &mut Vec<Output>) {
        let ask = self.secrets.begin_get(&key, now);
        self.secret_next(ask, out);
        if self.secrets.is_synced(&key) || !self.secrets.is_registered(&key) {
            // Filled: nothing to wait for. Not registered (the pod no longer references it): `Get`
            // fails at once.
            return;
        }
        let Some(run) = self.workers.get_mut(uid).and_then(|w| w.sync.as_mut()) else { return };
        let deadline = now + GET_SYNC_WAIT;
        run.awaiting_secret = Some((key, deadline));
        out.push(Output::SetTimer {
            at: deadline,
            timer: Timer::SecretSyncTimeout { pod_uid: uid.to_string() },
        });
    }

    /// The status manager writes a status (beside the sync: no sync waits for it).
    fn send_status(&mut self, uid: &str, status: PodStatusReport, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        w.status_in_flight = Some(status.clone());
        w.status_failed = None;
        let pod_ref = PodRef::of(&w.pod);
        let call = self.call_id(CallOwner::StatusUpdate(uid.to_string()));
        out.push(Output::Api { call, request: ApiRequest::UpdatePodStatus { pod: pod_ref, status } });
    }

    /// A status write was answered: send the newer one that waited. A failed write is sent again by
    /// the status manager's next periodic sync (`syncBatch`, every [`STATUS_SYNC_PERIOD`]), unless a
    /// sync has a newer status first.
    fn on_status_reply(&mut self, uid: &str, ok: bool, now: Millis, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        let sent = w.status_in_flight.take();
        if let Some(next) = w.status_pending.take() {
            self.send_status(uid, next, out);
        } else if !ok {
            self.probes_hit.hit(Probe::StatusWriteFailed);
            w.status_failed = sent;
            let timer = Timer::StatusRetry { pod_uid: uid.to_string() };
            out.push(Output::SetTimer { at: now + STATUS_SYNC_PERIOD, timer });
        }
    }

    /// The status manager's periodic sync: a status whose write failed is written again.
    fn retry_status(&mut self, uid: &str, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.status_in_flight.is_some() {
            return;
        }
        if let Some(status) = w.status_failed.take() {
            self.send_status(uid, status, out);
        }
    }

    /// The `Plan` step: report the status, then queue the runtime sync of `computePodActions`.
    fn plan(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let w = self.workers.get_mut(uid).expect("a step runs for a known pod");
        let run = w.sync.as_mut().expect("a step runs within a sync");
        let context = StatusContext {
            reasons: &w.start_failures,
            old_status: w.last_status.as_ref(),
            probes: &self.probes,
            gates: self.config.feature_gates,
            pod_is_terminal: false,
        };
        let status = generate_api_pod_status(&w.pod, &run.runtime, &context);
        // Hook (restart-all): Kubelet.SyncPod reads AllContainersRestarting from this status.
        let restart_all_containers =
            restart_all::restarting_all_containers(&self.config.feature_gates, &status);
        if restart_all::restart_all_cleared(w.last_status.as_ref(), &status) {
            self.probes_hit.hit(Probe::StatusRestartAllCleared);
        }
        let terminal = status.phase.is_terminal();
        let first_sync = w.last_status.is_none();
        if w.last_status.as_ref() != Some(&status) {
            w.last_status = Some(status.clone());
            // The status manager writes one status of a pod at a time, newest last: a write waits
            // for the one in flight, so an older status can never land after a newer one.
            if w.status_in_flight.is_some() {
                self.probes_hit.hit(Probe::StatusWriteQueued);
                w.status_pending = Some(status);
            } else {
                self.send_status(uid, status, out);
            }
        }
        let w = self.workers.get_mut(uid).expect("known pod");
        if terminal && !w.is_deleted() {
            // Succeeded or Failed: nothing will run again; stop the sandbox and release its volumes.
            self.probes_hit.hit(Probe::TerminateTerminalPod);
            w.terminal_only = true;
            w.terminate_requested = true;
            return;
        }
        let run = w.sync.as_mut().expect("in a sync");
        // Results of containers that no longer exist are dropped, as the result managers do.
        let probes = &self.probes;
        // The kubelet's gates decide the plan.
        let options = PlanOptions { gates: self.config.feature_gates, restart_all_containers };
        let actions = compute_pod_actions_opts(&w.pod, &run.runtime, probes, &options);
        record_plan_probes(&w.pod, &run.runtime, &options, &actions, &mut self.probes_hit);
        if first_sync && adopts_running(&run.runtime, &actions) {
            self.probes_hit.hit(Probe::StartupAdoptedRunning);
        }
        if !actions.is_noop() {
            out.push(Output::Decision(Decision::Planned {
                pod_uid: uid.to_string(),
                actions: actions.clone(),
            }));
        }
        let steps = runtime_steps(&w.pod, &run.runtime, &actions, &mut self.probes_hit);
        run.sandbox_id = actions.sandbox_id.clone();
        run.attempt = actions.attempt;
        for step in steps.into_iter().rev() {
            run.queue.push_front(step);
        }
        if actions.create_sandbox && !actions.sandbox_id.is_empty() {
            // SyncPod, before step 2: a sandbox exists, and it is to be replaced.
            let message = "Pod sandbox changed, it will be killed and re-created.".to_string();
            self.pod_event(uid, EventType::Normal, events::reason::SANDBOX_CHANGED, message, now, out);
        }
    }

    /// The `Start` step: the restart backoff (CrashLoopBackOff), then the image.
    fn start_container(
        &mut self,
        uid: &str,
        kind: ContainerKind,
        index: usize,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let w = &self.workers[uid];
        let run = w.sync.as_ref().expect("in a sync");
        let container = container_of(&w.pod, kind, index);
        // doBackOff: counted from when the newest exited instance finished.
        let exited = run
            .runtime
            .containers
            .iter()
            .find(|c| c.name == container.name() && c.state == ContainerState::Exited);
        if let Some(exited) = exited {
            let key = restart_key(&w.pod, container);
            let finished = exited.finished_at.unwrap_or(exited.created_at);
            if let Some(end) = self.restart_backoff.backoff_end(&key, finished, now) {
                self.probes_hit.hit(Probe::CrashLoopWaiting);
                // doBackOff's message for the status (the backoff as Go prints a duration).
                let status_message = format!(
                    "back-off {} restarting failed container={} pod={}",
                    events::go_duration(self.restart_backoff.get(&key)),
                    container.name(),
                    events::format_pod(&w.pod)
                );
                // doBackOff's event, then a `BackoffError` carrying when the backoff ends.
                let message = format!(
                    "Back-off restarting failed container {} in pod {}",
                    container.name(),
                    events::format_pod(&w.pod)
                );
                let event_type = EventType::Warning;
                self.container_event(
                    uid,
                    (kind, index),
                    event_type,
                    events::reason::BACK_OFF,
                    message,
                    now,
                    out,
                );
                self.start_failed(
                    uid,
                    kind,
                    index,
                    (reason::CRASH_LOOP_BACK_OFF, status_message),
                    Some(end),
                    out,
                );
                return;
            }
            let bump = self.restart_backoff.next(&key, finished, now);
            self.probes_hit.hit(match bump {
                Bump::Started => Probe::CrashLoopFirst,
                Bump::Doubled => Probe::CrashLoopDoubled,
                Bump::Reset => Probe::CrashLoopReset,
            });
        }
        let next = match container.image_pull_policy {
            PullPolicy::Always => Step::PullImage(kind, index),
            PullPolicy::IfNotPresent | PullPolicy::Never => Step::ImageStatus(kind, index),
        };
        let run = self.workers.get_mut(uid).and_then(|w| w.sync.as_mut()).expect("in a sync");
        run.queue.push_front(next);
    }

    /// Queues the container's creation: its config reads its Secrets from the Secret manager
    /// (`generateContainerConfig` → `makeEnvironmentVariables`), so each `Get` first waits for its
    /// Secret's cache.
    fn queue_create(&mut self, uid: &str, kind: ContainerKind, index: usize) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        let keys: Vec<SecretKey> = container_secrets(&w.pod, container_of(&w.pod, kind, index))
            .into_iter()
            .map(|(name, _)| (w.pod.namespace.clone(), name))
            .collect();
        let Some(run) = w.sync.as_mut() else { return };
        run.queue.push_front(Step::CreateContainer(kind, index));
        for key in keys.into_iter().rev() {
            run.queue.push_front(Step::AwaitSecret(key));
        }
    }

    /// The `CreateContainer` step: the container's config (its Secrets, from the cache), then
    /// `CreateContainer`.
    fn create_container(&mut self, uid: &str, kind: ContainerKind, index: usize, out: &mut Vec<Output>) {
        let w = &self.workers[uid];
        let run = w.sync.as_ref().expect("in a sync");
        let container = container_of(&w.pod, kind, index);
        let config_error = container_secrets(&w.pod, container).into_iter().find_map(|(name, optional)| {
            match self.secrets.lookup(&(w.pod.namespace.clone(), name.clone())) {
                Lookup::Found => None,
                // "ignore error when marked optional"; any other error fails the config.
                Lookup::NotFound => (!optional).then(|| format!("secret {name:?} not found")),
                Lookup::NotSynced => {
                    Some("failed to sync secret cache: timed out waiting for the condition".to_string())
                }
            }
        });
        if let Some(error) = config_error {
            let now = run.now;
            self.hit(if error.starts_with("failed to sync") {
                Probe::SyncFailSecretNotSynced
            } else {
                Probe::SyncFailSecretMissing
            });
            self.failed_event(uid, (kind, index), &error, now, out);
            self.start_failed(uid, kind, index, (reason::CREATE_CONTAINER_CONFIG_ERROR, error), None, out);
            return;
        }
        // Hook (restart-all): no instance left: the count the log directory gives.
        let restart_count = run.runtime.find_container_status_by_name(container.name()).map_or_else(
            || restart_all::restart_count_by_log_dir(w.last_status.as_ref(), container.name()),
            |c| c.restart_count + 1,
        );
        let config = ContainerConfig {
            pod: PodRef::of(&w.pod),
            name: container.name().to_string(),
            kind,
            image: container.image().to_string(),
            command: container.command.clone(),
            args: container.args.clone(),
            hash: container.hash(),
            restart_count,
            attempt: restart_count,
        };
        let sandbox_id = run.sandbox_id.clone();
        self.cri(uid, out, CriRequest::CreateContainer { sandbox_id, config });
    }

    /// A container could not be started: remember why (the reason cache), and if it is a plain init
    /// container, start nothing after it. The runtime sync's result is an error, so the worker retries
    /// the sync after its back-off period, or when `backoff_expiry` comes (a CrashLoopBackOff's
    /// `BackoffError`), as the kubelet's release does ([`FailedSyncRequeue`]).
    fn start_failed(
        &mut self,
        uid: &str,
        kind: ContainerKind,
        index: usize,
        (why, message): (&str, String),
        backoff_expiry: Option<Millis>,
        out: &mut Vec<Output>,
    ) {
        let w = self.workers.get_mut(uid).expect("known pod");
        let container = container_of(&w.pod, kind, index);
        let name = container.name().to_string();
        let plain_init = kind == ContainerKind::Init && !container.is_restartable_init_container();
        w.start_failures.insert(name.clone(), (why.to_string(), message));
        let run = w.sync.as_mut().expect("in a sync");
        run.start_failed = true;
        if let Some(at) = backoff_expiry {
            run.backoff_expiry = Some(run.backoff_expiry.map_or(at, |earliest| earliest.min(at)));
        }
        if plain_init {
            run.abort_starts();
            self.probes_hit.hit(Probe::SyncInitStartAborted);
        }
        out.push(Output::Decision(Decision::NotStarted {
            pod_uid: uid.to_string(),
            container: name,
            reason: why.to_string(),
        }));
    }

    fn fail(&mut self, uid: &str, error: String) {
        if let Some(run) = self.workers.get_mut(uid).and_then(|w| w.sync.as_mut()) {
            if run.error.is_none() {
                run.error = Some(error);
            }
        }
    }

    fn on_reply(&mut self, uid: &str, call: CallId, reply: Reply, now: Millis, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        let Some(run) = w.sync.as_mut() else { return };
        run.now = now;
        if !run.waiting.remove(&call) {
            return;
        }
        let Some(step) = run.current.clone() else { return };
        let pod = w.pod.clone();
        match (step, reply) {
            (Step::MakeDataDir, Reply::Node(NodeReply::Err(e))) => {
                self.hit(Probe::SyncFailDataDir);
                self.fail(uid, format!("make data directory: {e}"));
                self.event_data_dir_failed(uid, &e, now, out);
            }
            (Step::MountVolumes, Reply::Node(r)) => {
                let volume = run.subjects.remove(&call).unwrap_or_default();
                match r {
                    NodeReply::Err(e) => {
                        self.probes_hit.hit(Probe::SyncFailMount);
                        self.fail(uid, format!("MountVolume.SetUp failed for volume {volume:?}: {e}"));
                        self.event_mount_failed(uid, &volume, &e, now, out);
                    }
                    NodeReply::Ok | NodeReply::PodDirs(_) => {
                        w.mounted.insert(volume);
                    }
                }
            }
            (Step::UnmountVolumes, Reply::Node(r)) => {
                let volume = run.subjects.remove(&call).unwrap_or_default();
                match r {
                    NodeReply::Err(e) => {
                        self.fail(uid, format!("UnmountVolume failed for volume {volume:?}: {e}"))
                    }
                    NodeReply::Ok | NodeReply::PodDirs(_) => {
                        w.mounted.remove(&volume);
                    }
                }
            }
            (Step::ReadRuntime, Reply::Cri(CriReply::Sandboxes(s))) => {
                run.read_sandboxes = Some(s);
                assemble_runtime(run, &pod.uid);
            }
            (Step::ReadRuntime, Reply::Cri(CriReply::Containers(c))) => {
                run.read_containers = Some(c);
                assemble_runtime(run, &pod.uid);
            }
            (Step::ReadRuntime, Reply::Cri(other)) => {
                self.hit(Probe::SyncFailReadRuntime);
                self.fail(uid, format!("read runtime: {other:?}"))
            }
            (step @ (Step::StopContainers(_) | Step::StopSandboxes(_)), Reply::Cri(r))
                if !matches!(r, CriReply::Ok | CriReply::Err(CriError::NotFound)) =>
            {
                self.probes_hit.hit(match step {
                    Step::StopContainers(_) => Probe::SyncFailStopContainer,
                    _ => Probe::SyncFailStopSandbox,
                });
                // killPodWithSyncResult's results: a container's name, or the pod for a sandbox.
                let container = run.subjects.remove(&call);
                if run.kind == WorkerState::Terminating && w.in_api {
                    run.kill_failures.push(event_sites::kill_failure(container.as_deref(), uid, &r));
                }
                self.fail(uid, format!("stop or remove: {r:?}"));
            }
            (Step::StopContainers(_) | Step::StopSandboxes(_), Reply::Cri(r))
            | (Step::RemoveContainers(_) | Step::RemoveSandboxes(_), Reply::Cri(r)) => match r {
                CriReply::Ok | CriReply::Err(CriError::NotFound) => {}
                other => {
                    self.hit(Probe::SyncFailRemove);
                    self.fail(uid, format!("stop or remove: {other:?}"))
                }
            },
            (Step::RunSandbox { .. }, Reply::Cri(CriReply::SandboxCreated { sandbox_id })) => {
                run.sandbox_id = sandbox_id;
            }
            (Step::RunSandbox { .. }, Reply::Cri(other)) => {
                self.hit(Probe::SyncFailRunSandbox);
                self.fail(uid, format!("create pod sandbox: {other:?}"));
                self.event_sandbox_failed(uid, &other, now, out);
            }
            (Step::ImageStatus(kind, index), Reply::Cri(CriReply::ImagePresent(present))) => {
                let container = container_of(&pod, kind, index);
                if present {
                    self.event_image_present(uid, (kind, index), now, out);
                    self.queue_create(uid, kind, index);
                } else if container.image_pull_policy == PullPolicy::Never {
                    self.probes_hit.hit(Probe::SyncFailNeverPull);
                    self.event_never_pull(uid, (kind, index), now, out);
                    let message = format!(
                        "Container image {:?} is not present with pull policy of Never",
                        container.image()
                    );
                    self.start_failed(uid, kind, index, (reason::ERR_IMAGE_NEVER_PULL, message), None, out);
                } else {
                    run.queue.push_front(Step::PullImage(kind, index));
                }
            }
            (Step::ImageStatus(kind, index), Reply::Cri(r)) => {
                // EnsureImageExists: the image could not be inspected (images.ErrImageInspect).
                self.hit(Probe::SyncFailImageStatus);
                self.event_inspect_failed(uid, (kind, index), &r, now, out);
                let message = format!("Failed to inspect image \"\": {}", event_sites::error_text(&r));
                self.start_failed(uid, kind, index, (reason::IMAGE_INSPECT_ERROR, message), None, out);
            }
            (Step::PullImage(kind, index), Reply::Cri(CriReply::Ok)) => {
                let took = now.saturating_sub(run.pull_started);
                self.event_pulled(uid, (kind, index), took, now, out);
                self.queue_create(uid, kind, index)
            }
            (Step::PullImage(kind, index), Reply::Cri(r)) => {
                let image = container_of(&pod, kind, index).image().to_string();
                let key = image_key(&pod, &image);
                let bump = self.image_backoff.next(&key, now, now);
                self.hit(Probe::SyncFailPull);
                self.hit(match bump {
                    Bump::Started | Bump::Reset => Probe::ImagePullFirst,
                    Bump::Doubled => Probe::ImagePullDoubled,
                });
                self.event_pull_failed(uid, (kind, index), &r, now, out);
                // pullImage: the status's message is the pull's error (evalCRIPullErr).
                self.start_failed(
                    uid,
                    kind,
                    index,
                    (reason::ERR_IMAGE_PULL, event_sites::error_text(&r)),
                    None,
                    out,
                );
            }
            (Step::CreateContainer(kind, index), Reply::Cri(CriReply::ContainerCreated { container_id })) => {
                run.queue.push_front(Step::StartContainer(kind, index, container_id));
                self.event_created(uid, (kind, index), now, out);
            }
            (Step::CreateContainer(kind, index), Reply::Cri(r)) => {
                // startContainer: CreateContainer failed (kuberuntime ErrCreateContainer).
                self.hit(Probe::SyncFailCreateContainer);
                self.event_runtime_failed(uid, (kind, index), "", &r, now, out);
                let message = event_sites::error_message(&r);
                self.start_failed(uid, kind, index, (reason::CREATE_CONTAINER_ERROR, message), None, out);
            }
            (Step::StartContainer(kind, index, _), Reply::Cri(CriReply::Ok)) => {
                let name = container_of(&pod, kind, index).name().to_string();
                w.start_failures.remove(&name);
                self.event_started(uid, (kind, index), now, out);
            }
            (Step::StartContainer(kind, index, container_id), Reply::Cri(r)) => {
                self.hit(Probe::SyncFailStartContainer);
                self.event_runtime_failed(uid, (kind, index), &container_id, &r, now, out);
                let message = event_sites::error_message(&r);
                self.start_failed(uid, kind, index, (reason::RUN_CONTAINER_ERROR, message), None, out);
            }
            (Step::RemoveDataDir, Reply::Node(NodeReply::Err(e))) => {
                self.hit(Probe::SyncFailRemoveDataDir);
                self.fail(uid, format!("remove data directory: {e}"))
            }
            (Step::Release, Reply::Api(ApiReply::Ok | ApiReply::Err(ApiError::NotFound))) => {
                self.released.insert(uid.to_string());
                self.hit(Probe::TerminateReleased);
                if let Some(w) = self.workers.get_mut(uid) {
                    w.in_api = false;
                }
            }
            (Step::Release, Reply::Api(other)) => {
                self.hit(Probe::SyncFailRelease);
                self.fail(uid, format!("release pod: {other:?}"))
            }
            _ => {}
        }
        self.advance(uid, now, out);
    }
}

/// A worker's reply, whoever sent it.
#[allow(clippy::large_enum_variant)]
enum Reply {
    Api(ApiReply),
    Cri(CriReply),
    Node(NodeReply),
}

/// Builds the pod's runtime status once both lists are in (only objects labelled with its UID).
fn assemble_runtime(run: &mut SyncRun, uid: &str) {
    let (Some(sandboxes), Some(containers)) = (&run.read_sandboxes, &run.read_containers) else { return };
    let ours = |p: &Option<PodRef>| p.as_ref().is_some_and(|p| p.uid == uid);
    run.runtime = RuntimePodStatus {
        sandboxes: sandboxes.iter().filter(|s| ours(&s.pod)).map(|s| s.status.clone()).collect(),
        containers: containers.iter().filter(|c| ours(&c.pod)).map(|c| c.status.clone()).collect(),
    };
}

/// The Secrets a container's config reads, with whether each is optional: its env's
/// `secretKeyRef`s (`makeEnvironmentVariables`) and the secret volumes it mounts (podsim checks a
/// secret volume with the container's config instead of in the volume manager).
fn container_secrets(pod: &Pod, container: &Container) -> Vec<(String, bool)> {
    let mut secrets: BTreeMap<String, bool> = BTreeMap::new();
    let mut add = |name: &str, optional: bool| {
        let e = secrets.entry(name.to_string()).or_insert(true);
        *e = *e && optional;
    };
    for e in &container.env {
        if let EnvSource::SecretKeyRef { name, optional, .. } = &e.source {
            add(name, *optional);
        }
    }
    for m in &container.volume_mounts {
        for v in pod.spec.volumes.iter().filter(|v| v.name == m.name) {
            if let VolumeSource::Secret { secret_name, optional } = &v.source {
                add(secret_name, *optional);
            }
        }
    }
    secrets.into_iter().collect()
}

/// A watch request's reply, as the reflector reads it.
fn watch_result(reply: ApiReply) -> Result<(), ApiError> {
    match reply {
        ApiReply::Watching => Ok(()),
        ApiReply::Err(e) => Err(e),
        _ => Err(ApiError::Unavailable),
    }
}

/// The runtime half of `SyncPod` for a plan: kill, purge, sandbox, then starts (ephemeral, init,
/// regular).
fn runtime_steps(
    pod: &Pod,
    runtime: &RuntimePodStatus,
    actions: &PodActions,
    probes: &mut Probes,
) -> Vec<Step> {
    let mut steps = Vec::new();
    // Container garbage collection (MaxPerPodContainer = 1): keep only the newest exited instance of
    // each container, which carries its restart count and when it finished.
    // (Running instances are not counted: the newest dead one stays beside a running one, so that
    // lastState is still known.)
    let mut names = BTreeSet::new();
    let dead: Vec<String> = runtime
        .containers
        .iter()
        .filter(|c| c.state == ContainerState::Exited && !names.insert(c.name.as_str()))
        .map(|c| c.id.clone())
        .collect();
    if !dead.is_empty() {
        probes.hit(Probe::GcDeadContainers);
        steps.push(Step::RemoveContainers(dead));
    }
    // Sandbox garbage collection (evictSandboxes): a sandbox that is not ready, not the newest, and
    // holds no container any more is removed.
    let old_sandboxes: Vec<String> = runtime
        .sandboxes
        .iter()
        .skip(1)
        .filter(|s| s.state != SandboxState::Ready)
        .filter(|s| !runtime.containers.iter().any(|c| c.sandbox_id == s.id))
        .map(|s| s.id.clone())
        .collect();
    if !old_sandboxes.is_empty() {
        probes.hit(Probe::GcOldSandboxes);
        steps.push(Step::RemoveSandboxes(old_sandboxes));
    }
    let grace = pod.grace_period_seconds().max(MINIMUM_GRACE_PERIOD_SECONDS);
    if actions.kill_pod {
        steps.push(Step::KillPod { grace_seconds: grace });
        if actions.create_sandbox {
            // A new sandbox starts initialisation over: purge the old init containers.
            let init_ids: Vec<String> = runtime
                .containers
                .iter()
                .filter(|c| pod.spec.init_containers.iter().any(|i| i.name() == c.name))
                .map(|c| c.id.clone())
                .collect();
            if !init_ids.is_empty() {
                probes.hit(Probe::GcInitPurged);
                steps.push(Step::RemoveContainers(init_ids));
            }
        }
    } else if !actions.containers_to_reset.is_empty() {
        // Hook (restart-all): kill and remove every container, keep the sandbox.
        steps.extend(restart_all::reset_steps(actions));
    } else if !actions.containers_to_kill.is_empty() {
        steps.push(Step::StopContainers(
            actions
                .containers_to_kill
                .iter()
                .map(|k| StopContainer {
                    id: k.id.clone(),
                    name: k.name.clone(),
                    grace_seconds: grace,
                    message: k.message.clone(),
                })
                .collect(),
        ));
    }
    if actions.create_sandbox {
        steps.push(Step::RunSandbox { attempt: actions.attempt });
    }
    steps.extend(
        actions.ephemeral_containers_to_start.iter().map(|&i| Step::Start(ContainerKind::Ephemeral, i)),
    );
    steps.extend(actions.init_containers_to_start.iter().map(|&i| Step::Start(ContainerKind::Init, i)));
    // SidecarContainers off: the legacy path names the one init container to start next.
    steps.extend(actions.next_init_container_to_start.map(|i| Step::Start(ContainerKind::Init, i)));
    steps.extend(actions.containers_to_start.iter().map(|&i| Step::Start(ContainerKind::Regular, i)));
    steps
}

/// A worker's first sync finds containers running (a kubelet restarted under them) and the plan keeps
/// them: no new sandbox, no kill of the pod, and some running container not among the kills.
fn adopts_running(runtime: &RuntimePodStatus, actions: &PodActions) -> bool {
    !actions.kill_pod
        && runtime.containers.iter().any(|c| {
            c.state == ContainerState::Running && !actions.containers_to_kill.iter().any(|k| k.id == c.id)
        })
}
