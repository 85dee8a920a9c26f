//! The per-node kubelet: pod workers, the sync of each pod, termination, the PLEG relist, the pod
//! list/watch and the Secret manager, as one state machine: `Kubelet::handle(now, input) -> outputs`.
//!
//! Each pod has a worker (pkg/kubelet/pod_workers.go) in one of three states:
//! - **syncing** (`SyncPod`): read the runtime's state of the pod; report the status (a terminal pod
//!   stops there); make the data directory; mount the volumes (a secret volume with its Secret); read
//!   the image pull Secrets; then the runtime sync of
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
//!
//! # Index: kubelet rule → podsim file → kubelet source
//!
//! This file only routes inputs ([`Kubelet::handle`]): each arm hands its input to the file of the
//! kubelet component it belongs to.
//!
//! | kubelet rule | podsim file | kubelet Go source |
//! |---|---|---|
//! | historical bugs re-introduced on purpose (off by default) | `bugs.rs` | (the fix PRs named there) |
//! | settings, defaults, validation | `config.rs` | apis/config `KubeletConfiguration`, v1beta1 defaults.go, validation.go; kubelet.go constants |
//! | pod list/watch, relist on failure with backoff | `reflector.rs` | client-go tools/cache/reflector.go; config/apiserver.go |
//! | a pod version: update, reconcile or delete | `pod_config.rs` | config/config.go `checkAndUpdatePod`; kubelet.go `HandlePodAdditions`/`Updates`/`Reconcile`/`Removes` |
//! | one worker per pod, one sync at a time, requeue | `pod_workers.rs` | pod_workers.go `UpdatePod`, `podWorkerLoop`, `completeWork` |
//! | a sync as steps, each step's requests and replies | `sync_run.rs` | (podsim's: where a goroutine blocks on a call) |
//! | SyncPod steps 1-8 (runtime state, status, data dir, volumes, plan, sandbox) | `sync_pod.rs` | kubelet.go `SyncPod`; kuberuntime_manager.go `SyncPod`, `createPodSandbox` |
//! | probe workers, results, ExecSync probes | `prober.rs` | prober/prober_manager.go, worker.go, prober.go; prober/results |
//! | `computePodActions` | `crate::actions` | kuberuntime_manager.go `computePodActions` |
//! | startContainer: backoff → image → config → create → start | `start.rs` | kuberuntime_container.go `startContainer`, kuberuntime_manager.go `doBackOff`, images/image_manager.go `EnsureImageExists` |
//! | serial or parallel image pulls | `image_puller.rs` | images/puller.go |
//! | kill the pod, kill containers, grace periods | `kill.rs` | kuberuntime_manager.go `killPodWithSyncResult`; kuberuntime_container.go `killContainer`, `executePreStopHook`, `killContainersWithSyncResult` |
//! | sidecars stop after the regular containers, in reverse order | `termination_order.rs` | kuberuntime_termination_order.go `newTerminationOrdering`, `waitForTurn` |
//! | running a lifecycle hook (sleep, httpGet, tcpSocket, exec) | `hooks.rs` | lifecycle/handlers.go `HandlerRunner.Run` |
//! | container and sandbox GC, purge init containers | `gc.rs` | kuberuntime_gc.go `evictContainers`, `evictSandboxes`; kuberuntime_container.go `purgeInitContainers` |
//! | terminated: unmount, remove dir, release | `terminated.rs` | kubelet.go `SyncTerminatedPod`; pod_workers.go `completeTerminated`; status_manager.go `canBeDeleted` |
//! | allocation, resize admission, resize conditions | `allocation.rs` | allocation/allocation_manager.go `AddPod`, `handlePodResourcesResize`, `canResizePod`, `RetryPendingResizes`, `CheckPodResizeInProgress` |
//! | step 7: in-place resize | `resize.rs` | kuberuntime_manager.go `doPodResizeAction`, `updatePodContainerResources` |
//! | activeDeadlineSeconds: Failed, DeadlineExceeded | `active_deadline.rs` | active_deadline.go `pastActiveDeadline`, `ShouldEvict`, `ShouldSync` |
//! | status generation and the API write | `status_manager.rs` | kubelet_pods.go `generateAPIPodStatus`; status/status_manager.go `SetPodStatus`, `syncBatch` |
//! | relist, sync-worthy events | `pleg.rs` | pleg/generic.go `relist`, `isSyncPodWorthy` |
//! | Secrets for image pulls, env and volumes | `secret_manager.rs` | secret/secret_manager.go; util/manager/watch_based_manager.go |
//! | runtime pods and pod dirs no pod owns | `housekeeping.rs` | kubelet_pods.go `HandlePodCleanups`; kubelet_volumes.go `cleanupOrphanedPodDirs` |
//! | Events: reasons, messages, where recorded | `event_sites.rs` | the kubelet's `recorder.Eventf` calls (events/event.go reasons) |
//! | the event recorder and sink | `recorder.rs` | client-go tools/record event.go, events_cache.go |

mod active_deadline;
pub mod allocation;
pub mod bugs;
mod config;
mod event_sites;
mod gc;
mod hooks;
mod housekeeping;
pub mod image_puller;
mod kill;
mod pleg;
mod pod_config;
pub mod pod_workers;
pub mod prober;
pub mod recorder;
mod reflector;
mod resize;
mod restart_all;
mod secret_manager;
mod start;
mod status_manager;
mod sync_pod;
mod sync_run;
mod terminated;
pub mod termination_order;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::backoff::Backoff;
use crate::coverage::{Probe, Probes};
use crate::io::{
    ApiReply, CallId, CriReply, Input, NodeReply, NodeRequest, Output, ProbeKind, Timer, WorkerState,
};
use crate::pod::{Container, ContainerKind, Pod};
use crate::runtime::{Millis, ProbeResult, ProbeResults};
use crate::status::PodStatusReport;

pub use active_deadline::{DEADLINE_EXCEEDED, DEADLINE_EXCEEDED_MESSAGE};
pub use bugs::{KubeletBug, KubeletBugs};
use config::SECRET_IDLE_SYNC_FREQUENCIES;
pub use config::{
    BackoffBounds, CrashLoopBackOffConfig, KubeletConfig, CRASH_LOOP_INITIAL, CRASH_LOOP_MAX,
    CRASH_LOOP_RESET, IMAGE_PULL_INITIAL, IMAGE_PULL_MAX, POD_WORKER_BACK_OFF, REDUCED_CRASH_LOOP_INITIAL,
    REDUCED_CRASH_LOOP_MAX, RELIST_PERIOD, STATUS_SYNC_PERIOD, SYNC_FREQUENCY,
};
use image_puller::{ImagePuller, PullLimit};
pub use kill::MINIMUM_GRACE_PERIOD_SECONDS;
use pleg::{Pleg, RelistPart};
pub use pod_workers::FailedSyncRequeue;
use pod_workers::PodWorker;
use recorder::Recorder;
use reflector::ListWatch;
use secret_manager::{SecretKey, SecretManager};
use sync_run::Reply;

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
    /// A probe worker's `ExecSync`.
    Probe(prober::WorkerKey),
    /// The `ExecSync` of a pod's preStop exec hook (its kill waits for it at most the grace period).
    PreStopHook(String),
}

/// A new kubelet's housekeeping has everything to look at.
fn housekeeping_due_at_start() -> bool {
    true
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
    /// The liveness, startup and readiness result managers: results by container id.
    probes: ProbeResults,
    /// The prober manager and its workers.
    prober: prober::Prober,
    /// The last work queue generation handed out.
    next_generation: u64,
    /// The event recorder and its sink (client-go's).
    recorder: Recorder,
    /// The pod directories found on disk at start-up (with their mounted volumes) that no worker has
    /// claimed yet: the volume manager's reconstruction (`None` until the node answered).
    disk: Option<BTreeMap<String, BTreeSet<String>>>,
    /// Whether what the housekeeping reads (the workers, the released UIDs, the runtime pods, the
    /// unclaimed pod directories) changed since it last ran: if not, it would find nothing new.
    #[serde(default = "housekeeping_due_at_start")]
    housekeeping_due: bool,
    /// The decisions reached (rule coverage; the recorder keeps its own).
    probes_hit: Probes,
    /// The allocation manager of in-place resize.
    allocation: allocation::Allocation,
    /// When the kubelet started: the phase of its one-second sync tick.
    started_at: Millis,
}

fn container_of(pod: &Pod, kind: ContainerKind, index: usize) -> &Container {
    match kind {
        ContainerKind::Init => &pod.spec.init_containers[index],
        ContainerKind::Regular => &pod.spec.containers[index],
        ContainerKind::Ephemeral => &pod.spec.ephemeral_containers[index],
    }
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
            prober: prober::Prober::default(),
            next_generation: 0,
            recorder: Recorder::new(&config.node_name),
            disk: None,
            housekeeping_due: housekeeping_due_at_start(),
            probes_hit: Probes::new(),
            allocation: allocation::Allocation::default(),
            started_at: 0,
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

    /// The liveness, startup and readiness results managers' results, by container id.
    pub fn probe_results(&self) -> &ProbeResults {
        &self.probes
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
                self.on_probe_result(container_id, probe, result, now, out)
            }
            Input::WatchEvent { event, resource_version } => {
                self.on_pod_event(event, resource_version, now, out)
            }
            Input::WatchClosed { gone } => self.on_pod_watch_closed(gone, now, out),
            Input::SecretEvent { namespace, name, exists, resource_version } => {
                self.secrets.on_event(&(namespace, name), exists, resource_version, now)
            }
            Input::SecretWatchClosed { namespace, name, gone } => {
                self.on_secret_watch_closed((namespace, name), gone, now, out)
            }
            Input::Api { call, reply } => self.on_api_reply(call, reply, now, out),
            Input::Cri { call, reply } => self.on_cri_reply(call, reply, now, out),
            Input::Node { call, reply } => self.on_node_reply(call, reply, now, out),
        }
    }

    /// An API server reply goes to the component that asked.
    fn on_api_reply(&mut self, call: CallId, reply: ApiReply, now: Millis, out: &mut Vec<Output>) {
        match self.calls.remove(&call) {
            Some(CallOwner::ListPods) => self.on_pod_list(reply, now, out),
            Some(CallOwner::WatchPods) => self.on_pod_watch_reply(reply, now, out),
            Some(CallOwner::ListSecret(key, generation)) => {
                self.on_secret_list((key, generation), reply, now, out)
            }
            Some(CallOwner::WatchSecret(key, generation)) => {
                self.on_secret_watch_reply((key, generation), reply, now, out)
            }
            Some(CallOwner::Worker(uid)) => self.on_reply(&uid, call, Reply::Api(reply), now, out),
            // Status writes go out beside the syncs (the status manager).
            Some(CallOwner::StatusUpdate(uid)) => self.on_status_reply(&uid, &reply, now, out),
            Some(CallOwner::Event) => self.on_event_reply(&reply, now, out),
            // Runtime and node calls answered on the API channel: the world broke its promise of one
            // reply per request on the request's channel (crate::io); the call is dropped.
            Some(
                CallOwner::RelistSandboxes
                | CallOwner::RelistContainers
                | CallOwner::ListPodDirs
                | CallOwner::Probe(_)
                | CallOwner::PreStopHook(_),
            ) => {}
            // No call of this kubelet's waits for it (a second reply): nothing to do.
            None => {}
        }
    }

    /// A runtime reply goes to the PLEG or to the pod worker that asked.
    fn on_cri_reply(&mut self, call: CallId, reply: CriReply, now: Millis, out: &mut Vec<Output>) {
        match self.calls.remove(&call) {
            Some(CallOwner::RelistSandboxes) => self.on_relist_reply(RelistPart::Sandboxes, reply, now, out),
            Some(CallOwner::RelistContainers) => {
                self.on_relist_reply(RelistPart::Containers, reply, now, out)
            }
            Some(CallOwner::Worker(uid)) => {
                // A pull's reply frees its slot in the puller first: the next queued pull goes out.
                self.pull_answered(call, now, out);
                self.on_reply(&uid, call, Reply::Cri(reply), now, out)
            }
            Some(CallOwner::Probe(key)) => self.on_probe_reply(key, reply, now, out),
            Some(CallOwner::PreStopHook(uid)) => self.on_pre_stop_exec(&uid, call, reply, now, out),
            // API and node calls answered on the runtime channel: dropped (see `on_api_reply`).
            Some(
                CallOwner::ListPods
                | CallOwner::WatchPods
                | CallOwner::ListSecret(..)
                | CallOwner::WatchSecret(..)
                | CallOwner::StatusUpdate(_)
                | CallOwner::Event
                | CallOwner::ListPodDirs,
            ) => {}
            None => {}
        }
    }

    /// A node reply goes to the volume manager's reconstruction or to the pod worker that asked.
    fn on_node_reply(&mut self, call: CallId, reply: NodeReply, now: Millis, out: &mut Vec<Output>) {
        match self.calls.remove(&call) {
            Some(CallOwner::Worker(uid)) => self.on_reply(&uid, call, Reply::Node(reply), now, out),
            Some(CallOwner::ListPodDirs) => self.on_pod_dirs(reply, now, out),
            // API and runtime calls answered on the node channel: dropped (see `on_api_reply`).
            Some(
                CallOwner::ListPods
                | CallOwner::WatchPods
                | CallOwner::ListSecret(..)
                | CallOwner::WatchSecret(..)
                | CallOwner::StatusUpdate(_)
                | CallOwner::Event
                | CallOwner::RelistSandboxes
                | CallOwner::RelistContainers
                | CallOwner::Probe(_)
                | CallOwner::PreStopHook(_),
            ) => {}
            None => {}
        }
    }

    /// The kubelet process starts: the pod source's reflector lists, the PLEG starts relisting, and
    /// the Secret manager's idle recycler starts its minutes.
    fn start(&mut self, now: Millis, out: &mut Vec<Output>) {
        self.started_at = now;
        self.reflector = ListWatch::new(now);
        self.prober = prober::Prober::new(now);
        self.secrets = SecretManager::new(now, SECRET_IDLE_SYNC_FREQUENCIES * self.config.sync_frequency);
        let next = self.reflector.start();
        self.pods_next(next, out);
        out.push(Output::SetTimer { at: now, timer: Timer::Relist });
        // The volume manager reconstructs what is mounted from the pod directories on disk.
        let call = self.call_id(CallOwner::ListPodDirs);
        out.push(Output::Node { call, request: NodeRequest::ListPodDirs });
    }

    /// A timer goes to the component that set it.
    fn on_timer(&mut self, timer: Timer, now: Millis, out: &mut Vec<Output>) {
        match timer {
            Timer::Relist => self.relist(now, out),
            Timer::Rewatch => {
                let next = self.reflector.on_timer();
                self.pods_next(next, out);
            }
            Timer::PodSync { pod_uid, generation } => self.on_pod_sync_timer(&pod_uid, generation, now, out),
            Timer::SecretRewatch { namespace, name, generation } => {
                let ask = self.secrets.on_timer(&(namespace, name), generation, now);
                self.secret_next(ask, out);
            }
            Timer::SecretSyncTimeout { pod_uid } => self.on_secret_sync_timeout(&pod_uid, now, out),
            Timer::StatusRetry { pod_uid } => self.retry_status(&pod_uid, out),
            Timer::KillProgress { pod_uid } => self.on_kill_timer(&pod_uid, now, out),
            Timer::ActiveDeadline { pod_uid, tick } => self.on_active_deadline(&pod_uid, tick, now, out),
            Timer::PostStartDone { pod_uid } => self.on_post_start_timer(&pod_uid, now, out),
            Timer::ResizeRetry { generation } => self.on_resize_retry_timer(generation, now, out),
            Timer::EventRetry => {
                if let Some(write) = self.recorder.on_retry_timer() {
                    self.write_event(write, out);
                }
            }
            Timer::Probe { pod_uid, container, kind, generation } => {
                let key = prober::WorkerKey { pod_uid, container, kind };
                self.on_probe_timer(key, generation, now, out)
            }
        }
    }

    /// The liveness and startup result managers take a result; a changed one is a reason to sync the
    /// container's pod (the probe managers' updates channel).
    fn on_probe_result(
        &mut self,
        container_id: String,
        probe: ProbeKind,
        result: ProbeResult,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let entry = self.probes.0.entry(container_id.clone()).or_default();
        let slot = entry.slot(probe);
        if *slot == Some(result) {
            return;
        }
        *slot = Some(result);
        if let Some(uid) = self.pleg_owner_of(&container_id) {
            self.request_sync(&uid, now, out);
        }
    }

    /// Arms the sync loop's tick at `at` for the pod's active deadline (one chain of ticks a pod).
    pub(super) fn arm_deadline_tick(&mut self, uid: &str, at: Millis, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.deadline_tick != Some(at) {
            w.deadline_tick = Some(at);
            let timer = Timer::ActiveDeadline { pod_uid: uid.to_string(), tick: at };
            out.push(Output::SetTimer { at, timer });
        }
    }

    /// The sync loop's one-second tick for a pod past its active deadline. `getPodsToSync` adds every
    /// pod of the pod manager whose `ShouldSync` holds at every tick, whatever its worker does, and
    /// `HandlePodSyncs` gives its worker an update (`UpdatePod`, `SyncPodSync`), ignored once the
    /// pod is finished. So an idle worker syncs now: a running pod's sync turns its status Failed
    /// (active_deadline.rs), and a terminating or terminated one that failed runs its
    /// `SyncTerminatingPod` or cleanup again without waiting out its back-off. A worker busy with a
    /// sync takes the update when the sync ends (the pending update; dropped if the pod finished).
    /// Ticks go on while the pod is in the API and unfinished.
    /// The tick is the one the timer was armed for: the simulator delivers it then, a real clock
    /// (the containerd backend) may deliver it a little later, and the next tick keeps the grid.
    fn on_active_deadline(&mut self, uid: &str, tick: Millis, now: Millis, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.deadline_tick != Some(tick) {
            // A tick of an earlier chain (the deadline changed).
            return;
        }
        w.deadline_tick = None;
        let due = w.in_api
            && !w.finished
            && active_deadline::past_active_deadline(w.latest(), w.known_start_time(), now);
        if !due {
            return;
        }
        self.arm_deadline_tick(uid, tick + active_deadline::SYNC_TICK, out);
        self.request_sync(uid, now, out);
    }

    /// A new call, owned by `owner` until its reply.
    fn call_id(&mut self, owner: CallOwner) -> CallId {
        let id = CallId(self.next_call);
        self.next_call += 1;
        self.calls.insert(id, owner);
        id
    }
}
