//! The per-node kubelet: pod workers, the sync of each pod, termination, the PLEG relist and the pod
//! list/watch, as one state machine: `Kubelet::handle(now, input) -> outputs`.
//!
//! Each pod has a worker (pkg/kubelet/pod_workers.go) in one of three states:
//! - **syncing** (`SyncPod`): make the data directory; read the manifest from the API server; mount
//!   the volumes; fetch the Secrets; read the runtime's state of the pod; report the status; then the
//!   runtime sync of `computePodActions`: kill the pod or the containers to kill, create the sandbox
//!   before any container, start ephemeral, init and regular containers (each: restart backoff, image
//!   per pull policy with its backoff, config, create, start);
//! - **terminating** (`SyncTerminatingPod`): stop every container (with the grace period), then the
//!   sandboxes;
//! - **terminated** (`SyncTerminatedPod` and cleanup): remove the containers and sandboxes, unmount the
//!   volumes, remove the data directory, and release the API object.
//!
//! A worker runs one sync at a time; each step issues its requests and waits for every reply before
//! the next step. The world promises one reply per request (see [`crate::io`]).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::actions::{compute_pod_actions, PodActions};
use crate::backoff::Backoff;
use crate::gates::FeatureGates;
use crate::io::{
    ApiError, ApiReply, ApiRequest, CallId, ContainerConfig, ContainerInfo, CriError, CriReply, CriRequest,
    Decision, Input, NodeReply, NodeRequest, Output, PodRef, ProbeKind, SandboxConfig, SandboxInfo, Timer,
    WatchEvent, WorkerState,
};
use crate::pod::{Container, ContainerKind, EnvSource, Pod, PullPolicy, VolumeSource};
use crate::runtime::{ContainerState, Millis, ProbeResults, RuntimePodStatus, SandboxState};
use crate::status::{generate_api_pod_status, reason, PodStatusReport, StatusContext};

/// The kubelet's settings, with its defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubeletConfig {
    /// The node this kubelet runs.
    pub node_name: String,
    /// A pod is synced at least this often (`--sync-frequency`, 1 min).
    pub resync_interval: Millis,
    /// The PLEG relists the runtime this often (1 s).
    pub relist_period: Millis,
    /// A failed sync is retried after this long (the pod workers' back-off period, 10 s).
    pub sync_retry: Millis,
    /// A broken pod watch is re-established after this long.
    pub rewatch_delay: Millis,
    /// The feature gates that change pod-management decisions.
    #[serde(default)]
    pub feature_gates: FeatureGates,
}

impl KubeletConfig {
    /// The kubelet's defaults for `node`.
    pub fn new(node: impl Into<String>) -> KubeletConfig {
        KubeletConfig {
            node_name: node.into(),
            resync_interval: 60_000,
            relist_period: 1_000,
            sync_retry: 10_000,
            rewatch_delay: 1_000,
            feature_gates: FeatureGates::default(),
        }
    }
}

/// The kubelet never gives a container less than this to stop when it kills it during a sync
/// (`minimumGracePeriodInSeconds`).
const MINIMUM_GRACE_PERIOD_SECONDS: i64 = 2;

/// One step of a sync. Steps run in order; a step's requests are all answered before the next runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Step {
    MakeDataDir,
    GetPod,
    MountVolumes,
    GetSecrets,
    ReadRuntime,
    /// Report the status and compute the pod's actions; queues the runtime steps.
    Plan,
    /// Stop every container that may run, then every ready sandbox (the runtime state just read).
    KillPod {
        grace_seconds: i64,
    },
    StopContainers(Vec<(String, i64)>),
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
    /// Terminating is done: the worker becomes terminated.
    MarkTerminated,
    UnmountVolumes,
    RemoveDataDir,
    Release,
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
    /// The runtime's state of the pod, as read by `ReadRuntime`.
    runtime: RuntimePodStatus,
    /// Sandboxes and containers read, before they are assembled into `runtime`.
    read_sandboxes: Option<Vec<SandboxInfo>>,
    read_containers: Option<Vec<ContainerInfo>>,
    /// The sandbox containers start in.
    sandbox_id: String,
    /// The attempt of that sandbox.
    attempt: u32,
    /// What each outstanding call of the step is about (a volume's or a Secret's name).
    subjects: BTreeMap<CallId, String>,
    /// Secrets that were not found.
    missing_secrets: BTreeSet<String>,
    /// The time of the input being handled.
    now: Millis,
    /// Why the sync failed, if it did (the rest of the queue is dropped).
    error: Option<String>,
    /// Sync again no later than this (a backoff ends, a start failed).
    retry_at: Option<Millis>,
}

impl SyncRun {
    fn new(kind: WorkerState, queue: Vec<Step>) -> SyncRun {
        SyncRun {
            kind,
            queue: queue.into(),
            current: None,
            waiting: BTreeSet::new(),
            runtime: RuntimePodStatus::default(),
            read_sandboxes: None,
            read_containers: None,
            sandbox_id: String::new(),
            attempt: 0,
            subjects: BTreeMap::new(),
            missing_secrets: BTreeSet::new(),
            now: 0,
            error: None,
            retry_at: None,
        }
    }

    fn retry_no_later_than(&mut self, at: Millis) {
        self.retry_at = Some(self.retry_at.map_or(at, |r| r.min(at)));
    }

    /// Drops the starts still queued: a plain init container could not start, so nothing after it may.
    fn abort_starts(&mut self) {
        self.queue.retain(|s| {
            !matches!(
                s,
                Step::Start(..)
                    | Step::ImageStatus(..)
                    | Step::PullImage(..)
                    | Step::CreateContainer(..)
                    | Step::StartContainer(..)
            )
        });
    }
}

/// One pod's worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct PodWorker {
    /// The spec the worker syncs (for a pod known only from the runtime, a stub with no containers).
    pod: Pod,
    /// A newer spec that arrived during a sync, for the next sync.
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
    start_failures: BTreeMap<String, String>,
    last_status: Option<PodStatusReport>,
    /// A status write is in flight.
    status_in_flight: bool,
    /// A newer status waiting for the one in flight.
    status_pending: Option<PodStatusReport>,
    mounted: BTreeSet<String>,
    /// The pod is terminal (Succeeded/Failed) and not deleted: once terminated, only its volumes go.
    terminal_only: bool,
    /// When the next sync is due.
    next_sync_at: Option<Millis>,
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
            status_in_flight: false,
            status_pending: None,
            mounted: BTreeSet::new(),
            terminal_only: false,
            next_sync_at: None,
        }
    }

    /// Deleted in the API, gone from it, or known only from the runtime.
    fn is_deleted(&self) -> bool {
        !self.in_api || self.pod.deletion_timestamp.is_some()
    }
}

/// What an outstanding request is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum CallOwner {
    ListPods,
    WatchPods,
    RelistSandboxes,
    RelistContainers,
    StatusUpdate(String),
    Worker(String),
}

/// The pod list/watch (client-go's reflector).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Reflector {
    resource_version: u64,
    listed: bool,
    /// A list or watch request is outstanding, or a rewatch timer is set.
    busy: bool,
    /// The next attempt must list again (410 Gone).
    must_relist: bool,
}

/// The PLEG's relist in progress and the last state it saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Pleg {
    in_flight: bool,
    sandboxes: Option<Vec<SandboxInfo>>,
    containers: Option<Vec<ContainerInfo>>,
    failed: bool,
    /// Per pod UID: the fingerprint of its runtime objects' ids and states at the last relist.
    last: BTreeMap<String, u64>,
    /// The containers the last relist saw (to find a container's pod).
    seen_containers: Vec<ContainerInfo>,
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
    reflector: Reflector,
    pleg: Pleg,
    /// CrashLoopBackOff per pod, container and hash.
    restart_backoff: Backoff,
    /// ImagePullBackOff per pod and image.
    image_backoff: Backoff,
    /// The liveness and startup result managers: results by container id.
    probes: ProbeResults,
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

/// A runtime object's id and state, hashed for the PLEG's per-pod fingerprint (a sum over objects):
/// FNV-1a, then the splitmix64 finaliser so that the sum of two changed objects cannot cancel out the
/// way FNV's last linear step would let it.
fn object_fingerprint(id: &str, state: u8) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes().chain(std::iter::once(state)) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

fn state_code(s: ContainerState) -> u8 {
    match s {
        ContainerState::Created => 0,
        ContainerState::Running => 1,
        ContainerState::Exited => 2,
        ContainerState::Unknown => 3,
    }
}

impl Kubelet {
    /// A kubelet that has not started: feed it [`Input::Start`].
    pub fn new(config: KubeletConfig) -> Kubelet {
        Kubelet {
            config,
            next_call: 0,
            workers: BTreeMap::new(),
            released: BTreeSet::new(),
            calls: BTreeMap::new(),
            reflector: Reflector::default(),
            pleg: Pleg::default(),
            restart_backoff: Backoff::kubelet_default(),
            image_backoff: Backoff::kubelet_default(),
            probes: ProbeResults::none(),
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

    /// Whether it has released a pod's API object.
    pub fn has_released(&self, uid: &str) -> bool {
        self.released.contains(uid)
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
            Input::Start => {
                self.list_pods(out);
                out.push(Output::SetTimer { at: now, timer: Timer::Relist });
            }
            Input::Timer(Timer::Relist) => self.relist(now, out),
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
            Input::Timer(Timer::Rewatch) => {
                self.reflector.busy = false;
                if self.reflector.must_relist || !self.reflector.listed {
                    self.list_pods(out);
                } else {
                    self.watch_pods(out);
                }
            }
            Input::Timer(Timer::PodSync { pod_uid }) => {
                let due = self
                    .workers
                    .get(&pod_uid)
                    .is_some_and(|w| w.sync.is_none() && w.next_sync_at.is_some_and(|at| at <= now));
                if due {
                    self.start_sync(&pod_uid, now, out);
                }
            }
            Input::WatchEvent { event, resource_version } => {
                self.reflector.resource_version = self.reflector.resource_version.max(resource_version);
                match event {
                    WatchEvent::Upserted(pod) => self.upsert_pod(pod, now, out),
                    WatchEvent::Deleted(pod) => self.pod_gone(&pod.uid, now, out),
                }
            }
            Input::WatchClosed { gone } => {
                self.reflector.must_relist |= gone;
                self.schedule_rewatch(now, out);
            }
            Input::Api { call, reply } => match self.calls.remove(&call) {
                Some(CallOwner::ListPods) => self.on_pod_list(reply, now, out),
                Some(CallOwner::WatchPods) => match reply {
                    ApiReply::Watching => {}
                    ApiReply::Err(e) => {
                        self.reflector.must_relist |= e == ApiError::Gone;
                        self.schedule_rewatch(now, out);
                    }
                    _ => {}
                },
                Some(CallOwner::Worker(uid)) => self.on_reply(&uid, call, Reply::Api(reply), now, out),
                // Status updates are fire-and-forget; a failed one is sent again at the next sync.
                Some(CallOwner::StatusUpdate(uid)) => {
                    self.on_status_reply(&uid, matches!(reply, ApiReply::Ok), out)
                }
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
                Some(CallOwner::Worker(uid)) => self.on_reply(&uid, call, Reply::Cri(reply), now, out),
                _ => {}
            },
            Input::Node { call, reply } => {
                if let Some(CallOwner::Worker(uid)) = self.calls.remove(&call) {
                    self.on_reply(&uid, call, Reply::Node(reply), now, out);
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

    fn list_pods(&mut self, out: &mut Vec<Output>) {
        self.reflector.busy = true;
        let call = self.call_id(CallOwner::ListPods);
        out.push(Output::Api { call, request: ApiRequest::ListPods { node: self.config.node_name.clone() } });
    }

    fn watch_pods(&mut self, out: &mut Vec<Output>) {
        self.reflector.busy = true;
        let call = self.call_id(CallOwner::WatchPods);
        out.push(Output::Api {
            call,
            request: ApiRequest::WatchPods {
                node: self.config.node_name.clone(),
                resource_version: self.reflector.resource_version,
            },
        });
    }

    fn schedule_rewatch(&mut self, now: Millis, out: &mut Vec<Output>) {
        self.reflector.busy = true;
        out.push(Output::SetTimer { at: now + self.config.rewatch_delay, timer: Timer::Rewatch });
    }

    fn on_pod_list(&mut self, reply: ApiReply, now: Millis, out: &mut Vec<Output>) {
        let ApiReply::PodList { pods, resource_version } = reply else {
            self.schedule_rewatch(now, out);
            return;
        };
        self.reflector.listed = true;
        self.reflector.must_relist = false;
        self.reflector.resource_version = resource_version;
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
        self.watch_pods(out);
    }

    fn upsert_pod(&mut self, pod: Pod, now: Millis, out: &mut Vec<Output>) {
        if pod.spec.node_name != self.config.node_name || self.released.contains(&pod.uid) {
            // Bound elsewhere, or already released: not this kubelet's business.
            return;
        }
        let uid = pod.uid.clone();
        let deleted = pod.deletion_timestamp.is_some();
        match self.workers.get_mut(&uid) {
            Some(w) => {
                // A sync in progress keeps the spec it started with (as the kubelet's pod worker
                // does): the update waits for the next sync.
                if w.sync.is_some() {
                    w.pending_pod = Some(pod);
                } else {
                    w.pod = pod;
                }
                w.in_api = true;
            }
            None => {
                out.push(Output::Decision(Decision::Worker {
                    pod_uid: uid.clone(),
                    state: WorkerState::Syncing,
                }));
                self.workers.insert(uid.clone(), PodWorker::new(pod, true, WorkerState::Syncing));
            }
        }
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
        self.request_termination(uid, now, out);
    }

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
                if w.sync.is_some() {
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
        let (Some(sandboxes), Some(containers)) = (sandboxes, containers) else { return };
        // Each pod's runtime objects (ids and states) as one order-independent fingerprint: a pod
        // whose fingerprint moved had a container or sandbox event. No allocation per object.
        let mut seen: BTreeMap<&str, (u64, &PodRef)> = BTreeMap::new();
        for sb in &sandboxes {
            if let Some(p) = &sb.pod {
                let code = if sb.status.state == SandboxState::Ready { 10 } else { 11 };
                let e = seen.entry(p.uid.as_str()).or_insert((0, p));
                e.0 = e.0.wrapping_add(object_fingerprint(&sb.status.id, code));
            }
        }
        for c in &containers {
            if let Some(p) = &c.pod {
                let e = seen.entry(p.uid.as_str()).or_insert((0, p));
                e.0 = e.0.wrapping_add(object_fingerprint(&c.status.id, state_code(c.status.state)));
            }
        }
        let mut changed: Vec<(String, Option<PodRef>)> = Vec::new();
        for (uid, (fingerprint, pod_ref)) in &seen {
            if self.pleg.last.get(*uid) != Some(fingerprint) {
                changed.push((uid.to_string(), Some((*pod_ref).clone())));
            }
        }
        for uid in self.pleg.last.keys() {
            if !seen.contains_key(uid.as_str()) {
                changed.push((uid.clone(), None));
            }
        }
        self.pleg.last.retain(|uid, _| seen.contains_key(uid.as_str()));
        for (uid, (fingerprint, _)) in &seen {
            match self.pleg.last.get_mut(*uid) {
                Some(f) => *f = *fingerprint,
                None => {
                    self.pleg.last.insert(uid.to_string(), *fingerprint);
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
        for (uid, pod_ref) in changed {
            if self.workers.contains_key(&uid) {
                self.request_sync(&uid, now, out);
            } else if let Some(pod_ref) =
                pod_ref.filter(|_| self.reflector.listed && !self.released.contains(&uid))
            {
                // Runtime objects of a pod the API server does not have for this node: an orphan of a
                // pod deleted while the kubelet was away. Tear it down.
                let mut stub = Pod::new(pod_ref.name, uid.clone(), self.config.node_name.clone());
                stub.namespace = pod_ref.namespace;
                stub.spec.termination_grace_period_seconds = 0;
                out.push(Output::Decision(Decision::Worker {
                    pod_uid: uid.clone(),
                    state: WorkerState::Terminating,
                }));
                self.workers.insert(uid.clone(), PodWorker::new(stub, false, WorkerState::Terminating));
                self.start_sync(&uid, now, out);
            }
        }
    }

    // ---- pod workers ---------------------------------------------------------------------------------

    fn start_sync(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        debug_assert!(w.sync.is_none(), "a pod worker runs one sync at a time");
        if let Some(newer) = w.pending_pod.take() {
            w.pod = newer;
        }
        w.sync_requested = false;
        w.next_sync_at = None;
        let steps = match w.state {
            WorkerState::Syncing => vec![
                Step::MakeDataDir,
                Step::GetPod,
                Step::MountVolumes,
                Step::GetSecrets,
                Step::ReadRuntime,
                Step::Plan,
            ],
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
            if !run.waiting.is_empty() {
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
        if run.kind == WorkerState::Terminated && run.error.is_none() && !w.terminal_only && !w.in_api {
            // Everything of the pod is gone and so is its API object: forget it.
            self.workers.remove(uid);
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
        let next = if run.error.is_some() {
            now + self.config.sync_retry
        } else if w.state == WorkerState::Terminated {
            // Terminated and cleaned up: nothing more until the API object changes.
            return;
        } else {
            let resync = now + self.config.resync_interval;
            run.retry_at.map_or(resync, |r| r.min(resync))
        };
        w.next_sync_at = Some(next);
        out.push(Output::SetTimer { at: next, timer: Timer::PodSync { pod_uid: uid.to_string() } });
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
            Step::GetPod => {
                let request = ApiRequest::GetPod { namespace: pod.namespace.clone(), name: pod.name.clone() };
                self.call(uid, out, |call| Output::Api { call, request });
            }
            Step::MountVolumes => {
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
            Step::GetSecrets => {
                for (name, optional) in pod.secret_refs() {
                    if optional {
                        // An optional Secret never blocks a container; no need to read it.
                        continue;
                    }
                    let request =
                        ApiRequest::GetSecret { namespace: pod.namespace.clone(), name: name.clone() };
                    self.call_about(uid, name, out, |call| Output::Api { call, request });
                }
            }
            Step::ReadRuntime => {
                if let Some(run) = self.workers.get_mut(uid).and_then(|w| w.sync.as_mut()) {
                    run.read_sandboxes = None;
                    run.read_containers = None;
                }
                self.cri(uid, out, CriRequest::ListPodSandbox { pod_uid: Some(pod.uid.clone()) });
                self.cri(uid, out, CriRequest::ListContainers { pod_uid: Some(pod.uid.clone()) });
            }
            Step::Plan => self.plan(uid, out),
            Step::KillPod { grace_seconds } => {
                let run = self.workers[uid].sync.as_ref().expect("a step runs within a sync");
                let stops: Vec<(String, i64)> = run
                    .runtime
                    .containers
                    .iter()
                    .filter(|c| c.state != ContainerState::Exited)
                    .map(|c| (c.id.clone(), grace_seconds))
                    .collect();
                // Every sandbox of the pod is stopped (killPodWithSyncResult); stopping a sandbox whose
                // pause process died still tears down its network.
                let sandboxes: Vec<String> = run.runtime.sandboxes.iter().map(|s| s.id.clone()).collect();
                // Containers stop before their sandbox.
                let run = self.workers.get_mut(uid).and_then(|w| w.sync.as_mut()).expect("in a sync");
                run.queue.push_front(Step::StopSandboxes(sandboxes));
                run.queue.push_front(Step::StopContainers(stops));
            }
            Step::StopContainers(stops) => {
                for (container_id, timeout_seconds) in stops {
                    self.cri(uid, out, CriRequest::StopContainer { container_id, timeout_seconds });
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
                if let Some(end) = self.image_backoff.backoff_end_since_update(&key, now) {
                    self.start_failed(uid, kind, index, reason::IMAGE_PULL_BACK_OFF, Some(end), out);
                } else {
                    self.cri(uid, out, CriRequest::PullImage { image });
                }
            }
            Step::CreateContainer(kind, index) => self.create_container(uid, kind, index, now, out),
            Step::StartContainer(_, _, container_id) => {
                self.cri(uid, out, CriRequest::StartContainer { container_id });
            }
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

    fn send_status(&mut self, uid: &str, status: PodStatusReport, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        w.status_in_flight = true;
        let pod_ref = PodRef::of(&w.pod);
        let call = self.call_id(CallOwner::StatusUpdate(uid.to_string()));
        out.push(Output::Api { call, request: ApiRequest::UpdatePodStatus { pod: pod_ref, status } });
    }

    /// A status write was answered: send the newer one that waited; after a failure, forget what was
    /// sent so that the next sync writes again.
    fn on_status_reply(&mut self, uid: &str, ok: bool, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        w.status_in_flight = false;
        if let Some(next) = w.status_pending.take() {
            self.send_status(uid, next, out);
        } else if !ok {
            w.last_status = None;
        }
    }

    /// The `Plan` step: report the status, then queue the runtime sync of `computePodActions`.
    fn plan(&mut self, uid: &str, out: &mut Vec<Output>) {
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
        let terminal = status.phase.is_terminal();
        if w.last_status.as_ref() != Some(&status) {
            w.last_status = Some(status.clone());
            // The status manager writes one status of a pod at a time, newest last: a write waits
            // for the one in flight, so an older status can never land after a newer one.
            if w.status_in_flight {
                w.status_pending = Some(status);
            } else {
                self.send_status(uid, status, out);
            }
        }
        let w = self.workers.get_mut(uid).expect("known pod");
        if terminal && !w.is_deleted() {
            // Succeeded or Failed: nothing will run again; stop the sandbox and release its volumes.
            w.terminal_only = true;
            w.terminate_requested = true;
            return;
        }
        let run = w.sync.as_mut().expect("in a sync");
        // Results of containers that no longer exist are dropped, as the result managers do.
        let probes = &self.probes;
        let actions = compute_pod_actions(&w.pod, &run.runtime, probes);
        if !actions.is_noop() {
            out.push(Output::Decision(Decision::Planned {
                pod_uid: uid.to_string(),
                actions: actions.clone(),
            }));
        }
        let steps = runtime_steps(&w.pod, &run.runtime, &actions);
        run.sandbox_id = actions.sandbox_id.clone();
        run.attempt = actions.attempt;
        for step in steps.into_iter().rev() {
            run.queue.push_front(step);
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
                self.start_failed(uid, kind, index, reason::CRASH_LOOP_BACK_OFF, Some(end), out);
                return;
            }
            self.restart_backoff.next(&key, finished, now);
        }
        let next = match container.image_pull_policy {
            PullPolicy::Always => Step::PullImage(kind, index),
            PullPolicy::IfNotPresent | PullPolicy::Never => Step::ImageStatus(kind, index),
        };
        let run = self.workers.get_mut(uid).and_then(|w| w.sync.as_mut()).expect("in a sync");
        run.queue.push_front(next);
    }

    /// The `CreateContainer` step: the container's config (its Secrets), then `CreateContainer`.
    fn create_container(
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
        if needs_missing_secret(&w.pod, container, &run.missing_secrets) {
            let retry = now + self.config.sync_retry;
            self.start_failed(uid, kind, index, reason::CREATE_CONTAINER_CONFIG_ERROR, Some(retry), out);
            return;
        }
        let restart_count =
            run.runtime.find_container_status_by_name(container.name()).map_or(0, |c| c.restart_count + 1);
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

    /// A container could not be started: remember why (the reason cache), sync again by `retry_at`,
    /// and if it is a plain init container, start nothing after it.
    fn start_failed(
        &mut self,
        uid: &str,
        kind: ContainerKind,
        index: usize,
        why: &str,
        retry_at: Option<Millis>,
        out: &mut Vec<Output>,
    ) {
        let retry_by = self.config.sync_retry;
        let w = self.workers.get_mut(uid).expect("known pod");
        let container = container_of(&w.pod, kind, index);
        let name = container.name().to_string();
        let plain_init = kind == ContainerKind::Init && !container.is_restartable_init_container();
        w.start_failures.insert(name.clone(), why.to_string());
        let run = w.sync.as_mut().expect("in a sync");
        // A failed start is retried no later than the pod workers' back-off period (10 s), or when the
        // backoff ends if that is sooner.
        let now = run.now;
        run.retry_no_later_than(retry_at.map_or(now + retry_by, |at| at.min(now + retry_by)));
        if plain_init {
            run.abort_starts();
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
                self.fail(uid, format!("make data directory: {e}"))
            }
            (Step::GetPod, Reply::Api(ApiReply::Pod(fresh))) => {
                if fresh.uid != pod.uid {
                    // Same name, another pod: ours is gone.
                    w.in_api = false;
                    w.terminate_requested = true;
                } else {
                    if fresh.deletion_timestamp.is_some() {
                        w.terminate_requested = true;
                    }
                    // The manifest read is the spec of this sync; a pending update no newer than it
                    // is done with.
                    let version = |p: &Pod| p.resource_version.parse::<u64>().unwrap_or(0);
                    if w.pending_pod.as_ref().is_some_and(|p| version(p) <= version(&fresh)) {
                        w.pending_pod = None;
                    }
                    w.pod = fresh;
                }
            }
            (Step::GetPod, Reply::Api(ApiReply::Err(ApiError::NotFound))) => {
                w.in_api = false;
                w.terminate_requested = true;
            }
            (Step::GetPod, Reply::Api(other)) => self.fail(uid, format!("get pod: {other:?}")),
            (Step::MountVolumes, Reply::Node(r)) => {
                let volume = run.subjects.remove(&call).unwrap_or_default();
                match r {
                    NodeReply::Ok => {
                        w.mounted.insert(volume);
                    }
                    NodeReply::Err(e) => {
                        self.fail(uid, format!("MountVolume.SetUp failed for volume {volume:?}: {e}"))
                    }
                }
            }
            (Step::UnmountVolumes, Reply::Node(r)) => {
                let volume = run.subjects.remove(&call).unwrap_or_default();
                match r {
                    NodeReply::Ok => {
                        w.mounted.remove(&volume);
                    }
                    NodeReply::Err(e) => {
                        self.fail(uid, format!("UnmountVolume failed for volume {volume:?}: {e}"))
                    }
                }
            }
            (Step::GetSecrets, Reply::Api(ApiReply::Secret)) => {
                run.subjects.remove(&call);
            }
            (Step::GetSecrets, Reply::Api(ApiReply::Err(ApiError::NotFound))) => {
                if let Some(name) = run.subjects.remove(&call) {
                    run.missing_secrets.insert(name);
                }
            }
            (Step::GetSecrets, Reply::Api(other)) => self.fail(uid, format!("get secret: {other:?}")),
            (Step::ReadRuntime, Reply::Cri(CriReply::Sandboxes(s))) => {
                run.read_sandboxes = Some(s);
                assemble_runtime(run, &pod.uid);
            }
            (Step::ReadRuntime, Reply::Cri(CriReply::Containers(c))) => {
                run.read_containers = Some(c);
                assemble_runtime(run, &pod.uid);
            }
            (Step::ReadRuntime, Reply::Cri(other)) => self.fail(uid, format!("read runtime: {other:?}")),
            (Step::StopContainers(_) | Step::StopSandboxes(_), Reply::Cri(r))
            | (Step::RemoveContainers(_) | Step::RemoveSandboxes(_), Reply::Cri(r)) => match r {
                CriReply::Ok | CriReply::Err(CriError::NotFound) => {}
                other => self.fail(uid, format!("stop or remove: {other:?}")),
            },
            (Step::RunSandbox { .. }, Reply::Cri(CriReply::SandboxCreated { sandbox_id })) => {
                run.sandbox_id = sandbox_id;
            }
            (Step::RunSandbox { .. }, Reply::Cri(other)) => {
                self.fail(uid, format!("create pod sandbox: {other:?}"));
            }
            (Step::ImageStatus(kind, index), Reply::Cri(CriReply::ImagePresent(present))) => {
                let container = container_of(&pod, kind, index);
                if present {
                    run.queue.push_front(Step::CreateContainer(kind, index));
                } else if container.image_pull_policy == PullPolicy::Never {
                    self.start_failed(
                        uid,
                        kind,
                        index,
                        reason::ERR_IMAGE_NEVER_PULL,
                        Some(now + self.config.sync_retry),
                        out,
                    );
                } else {
                    run.queue.push_front(Step::PullImage(kind, index));
                }
            }
            (Step::ImageStatus(kind, index), Reply::Cri(_)) => {
                self.start_failed(
                    uid,
                    kind,
                    index,
                    reason::ERR_IMAGE_PULL,
                    Some(now + self.config.sync_retry),
                    out,
                );
            }
            (Step::PullImage(kind, index), Reply::Cri(CriReply::Ok)) => {
                run.queue.push_front(Step::CreateContainer(kind, index));
            }
            (Step::PullImage(kind, index), Reply::Cri(_)) => {
                let image = container_of(&pod, kind, index).image().to_string();
                let key = image_key(&pod, &image);
                self.image_backoff.next(&key, now, now);
                let end = now + self.image_backoff.get(&key);
                self.start_failed(uid, kind, index, reason::ERR_IMAGE_PULL, Some(end), out);
            }
            (Step::CreateContainer(kind, index), Reply::Cri(CriReply::ContainerCreated { container_id })) => {
                run.queue.push_front(Step::StartContainer(kind, index, container_id));
            }
            (Step::CreateContainer(kind, index), Reply::Cri(_)) => {
                self.start_failed(
                    uid,
                    kind,
                    index,
                    reason::RUN_CONTAINER_ERROR,
                    Some(now + self.config.sync_retry),
                    out,
                );
            }
            (Step::StartContainer(kind, index, _), Reply::Cri(CriReply::Ok)) => {
                let name = container_of(&pod, kind, index).name().to_string();
                w.start_failures.remove(&name);
            }
            (Step::StartContainer(kind, index, _), Reply::Cri(_)) => {
                self.start_failed(
                    uid,
                    kind,
                    index,
                    reason::RUN_CONTAINER_ERROR,
                    Some(now + self.config.sync_retry),
                    out,
                );
            }
            (Step::RemoveDataDir, Reply::Node(NodeReply::Err(e))) => {
                self.fail(uid, format!("remove data directory: {e}"))
            }
            (Step::Release, Reply::Api(ApiReply::Ok | ApiReply::Err(ApiError::NotFound))) => {
                self.released.insert(uid.to_string());
                if let Some(w) = self.workers.get_mut(uid) {
                    w.in_api = false;
                }
            }
            (Step::Release, Reply::Api(other)) => self.fail(uid, format!("release pod: {other:?}")),
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

/// Whether a container reads a Secret that was not found (through its env or a volume it mounts).
fn needs_missing_secret(pod: &Pod, container: &Container, missing: &BTreeSet<String>) -> bool {
    if missing.is_empty() {
        return false;
    }
    let env = container.env.iter().any(|e| match &e.source {
        EnvSource::SecretKeyRef { name, optional, .. } => !optional && missing.contains(name),
        _ => false,
    });
    let volume = container.volume_mounts.iter().any(|m| {
        pod.spec.volumes.iter().any(|v| {
            v.name == m.name
                && matches!(&v.source, VolumeSource::Secret { secret_name, optional } if !optional && missing.contains(secret_name))
        })
    });
    env || volume
}

/// The runtime half of `SyncPod` for a plan: kill, purge, sandbox, then starts (ephemeral, init,
/// regular).
fn runtime_steps(pod: &Pod, runtime: &RuntimePodStatus, actions: &PodActions) -> Vec<Step> {
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
                steps.push(Step::RemoveContainers(init_ids));
            }
        }
    } else if !actions.containers_to_kill.is_empty() {
        steps.push(Step::StopContainers(
            actions.containers_to_kill.iter().map(|k| (k.id.clone(), grace)).collect(),
        ));
    }
    if actions.create_sandbox {
        steps.push(Step::RunSandbox { attempt: actions.attempt });
    }
    steps.extend(
        actions.ephemeral_containers_to_start.iter().map(|&i| Step::Start(ContainerKind::Ephemeral, i)),
    );
    steps.extend(actions.init_containers_to_start.iter().map(|&i| Step::Start(ContainerKind::Init, i)));
    steps.extend(actions.containers_to_start.iter().map(|&i| Step::Start(ContainerKind::Regular, i)));
    steps
}
