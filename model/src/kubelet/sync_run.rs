//! A pod worker's sync as podsim runs it: a queue of steps, each of which issues its requests and
//! waits for every reply before the next runs. Where the kubelet's goroutine blocks on a call,
//! podsim's worker holds the step and its outstanding calls ([`SyncRun`]). This file routes each step
//! to the file of the kubelet code it mirrors, and each reply back to the step that asked (see the
//! index in [`super`]).

use crate::shared_str::SharedStr;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::kill::{Kills, StopContainer, Stopped};
use super::pod_workers::SyncEnd;
use super::secret_manager::SecretKey;
use super::status_manager::Reported;
use super::{CallOwner, Kubelet};
use crate::io::{
    ApiReply, CallId, ContainerList, CriReply, CriRequest, NodeReply, Output, SandboxList, WorkerState,
};
use crate::pod::{ContainerKind, Pod};
use crate::runtime::{Millis, RuntimePodStatus};

/// One step of a sync. Steps run in order; a step's requests are all answered before the next runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Step {
    MakeDataDir,
    MountVolumes,
    /// The Secret manager's `Get` of one Secret: wait up to a second for its cache to fill. (What
    /// the cache holds is read by the step that needs it.)
    AwaitSecret(SecretKey),
    ReadRuntime,
    /// `SyncPod`'s start: generate the status from the runtime state just read and hand it to the
    /// status manager; a terminal pod's sync ends here.
    ReportStatus,
    /// Compute the pod's actions (Step 1 of the runtime's `SyncPod`); queues the runtime steps.
    Plan,
    /// Stop every container that may run, then every ready sandbox (the runtime state just read).
    KillPod {
        grace_seconds: i64,
    },
    /// `killContainer` of each (`SyncPod`'s containers to kill), all at once.
    StopContainers(Vec<StopContainer>),
    /// `killContainersWithSyncResult`: `killContainer` of each, all at once, with the sidecar
    /// termination ordering if the pod has sidecars.
    KillPodContainers(Vec<StopContainer>),
    StopSandboxes(Vec<SharedStr>),
    RemoveContainers(Vec<SharedStr>),
    /// Remove every container, then every sandbox, of the runtime state just read.
    RemoveAll,
    RemoveSandboxes(Vec<SharedStr>),
    RunSandbox {
        attempt: u32,
    },
    /// Start a container: restart backoff, then its image.
    Start(ContainerKind, usize),
    ImageStatus(ContainerKind, usize),
    PullImage(ContainerKind, usize),
    CreateContainer(ContainerKind, usize),
    StartContainer(ContainerKind, usize, SharedStr),
    /// `startContainer` step 4 for an exec postStart hook: its `ExecSync`, waited for.
    PostStartExec(ContainerKind, usize, SharedStr),
    /// Step 7: `UpdateContainerResources` of one container (in-place resize).
    UpdateContainerResources {
        container_id: SharedStr,
        resources: crate::linux_resources::LinuxContainerResources,
    },
    /// The in-place restart of every container removed the pod's containers: sync again at once
    /// (restart_all.rs).
    RequeueAfterReset,
    /// `SyncTerminatingPod`'s final status, from the runtime state just read (`podIsTerminal`).
    ReportTerminalStatus,
    /// Terminating is done: the worker becomes terminated.
    MarkTerminated,
    UnmountVolumes,
    RemoveDataDir,
    /// The status manager's write of the pod's status in flight, and the one waiting for it, are
    /// answered: the final delete comes after the terminal status (status_manager.go `syncPod`
    /// deletes a pod only after it patched its status, `canBeDeleted`).
    AwaitStatusWritten,
    Release,
}

/// A sync in progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct SyncRun {
    /// The worker state the sync was started for.
    pub(super) kind: WorkerState,
    pub(super) queue: VecDeque<Step>,
    /// The step whose requests are outstanding, and the requests.
    current: Option<Step>,
    pub(super) waiting: BTreeSet<CallId>,
    /// The Secret whose cache the sync waits for, and until when.
    pub(super) awaiting_secret: Option<(SecretKey, Millis)>,
    /// The sync waits for the status manager's writes of the pod to be answered.
    pub(super) awaiting_status: bool,
    /// The runtime's state of the pod, as read by `ReadRuntime`.
    pub(super) runtime: RuntimePodStatus,
    /// Sandboxes and containers read, before they are assembled into `runtime`.
    pub(super) read_sandboxes: Option<SandboxList>,
    pub(super) read_containers: Option<ContainerList>,
    /// The sandbox containers start in.
    pub(super) sandbox_id: SharedStr,
    /// The attempt of that sandbox.
    pub(super) attempt: u32,
    /// What each outstanding call of the step is about (a volume's name).
    pub(super) subjects: BTreeMap<CallId, SharedStr>,
    /// The time of the input being handled.
    pub(super) now: Millis,
    /// Why the sync failed, if it did (the rest of the queue is dropped).
    pub(super) error: Option<String>,
    /// A container could not be started: the runtime sync's result is an error.
    pub(super) start_failed: bool,
    /// The earliest end of a CrashLoopBackOff the sync met (its `BackoffError`).
    pub(super) backoff_expiry: Option<Millis>,
    /// When the image pull in flight was asked for.
    pub(super) pull_started: Millis,
    /// The failed kills of a terminating sync, as the kubelet's sync results print them.
    pub(super) kill_failures: Vec<String>,
    /// The container kills of the current step (its hooks, turns and stops).
    pub(super) kills: Option<Kills>,
    /// A postStart hook runs until then: `startContainer` waits for it, so the next container too.
    pub(super) post_start_until: Option<Millis>,
    /// What the sync's `ReportStatus` step handed the status manager.
    pub(super) reported: Option<Reported>,
}

impl SyncRun {
    pub(super) fn new(kind: WorkerState, queue: Vec<Step>) -> SyncRun {
        SyncRun {
            kind,
            queue: queue.into(),
            current: None,
            waiting: BTreeSet::new(),
            awaiting_secret: None,
            awaiting_status: false,
            runtime: RuntimePodStatus::default(),
            read_sandboxes: None,
            read_containers: None,
            sandbox_id: SharedStr::EMPTY,
            attempt: 0,
            subjects: BTreeMap::new(),
            now: 0,
            error: None,
            start_failed: false,
            backoff_expiry: None,
            pull_started: 0,
            kill_failures: Vec::new(),
            kills: None,
            post_start_until: None,
            reported: None,
        }
    }

    /// Whether the current step still waits (for replies, or for a Secret's cache).
    pub(super) fn is_waiting(&self) -> bool {
        !self.waiting.is_empty()
            || self.awaiting_secret.is_some()
            || self.awaiting_status
            || self.kills.as_ref().is_some_and(|k| !k.all_done())
            || self.post_start_until.is_some()
    }

    /// The current step is done: nothing of it is outstanding.
    pub(super) fn step_done(&mut self) {
        self.current = None;
        self.kills = None;
    }

    /// How the sync ended, for the work queue.
    pub(super) fn end(&self) -> SyncEnd {
        if self.error.is_some() || self.start_failed {
            SyncEnd::Failed { backoff_expiry: self.backoff_expiry }
        } else {
            SyncEnd::Succeeded
        }
    }

    /// The runtime's `SyncPod` returns: a plain init container could not start ("Failed to initialize
    /// the pod, as the init container failed to start, aborting", kuberuntime_manager.go step 6), so
    /// nothing queued after it runs: no later start, and no in-place resize (step 7).
    pub(super) fn abort_runtime_sync(&mut self) {
        self.queue.clear();
    }

    /// Runs `steps` next, before the rest of the queue, in their order.
    pub(super) fn push_next(&mut self, steps: impl DoubleEndedIterator<Item = Step>) {
        for step in steps.rev() {
            self.queue.push_front(step);
        }
    }
}

/// A worker's reply, whoever sent it.
#[allow(clippy::large_enum_variant)]
pub(super) enum Reply {
    Api(ApiReply),
    Cri(CriReply),
    Node(NodeReply),
}

impl Kubelet {
    /// The sync in progress of a pod's worker.
    pub(super) fn sync_mut(&mut self, uid: &str) -> Option<&mut SyncRun> {
        self.workers.get_mut(uid).and_then(|w| w.sync.as_mut())
    }

    /// The pod a worker syncs (the version its sync started with).
    pub(super) fn pod_of(&self, uid: &str) -> &Pod {
        &self.workers.get(uid).expect("a sync's step runs for a pod with a worker").pod
    }

    /// Issues a worker's request: the sync waits for its reply.
    pub(super) fn call(&mut self, uid: &str, out: &mut Vec<Output>, make: impl FnOnce(CallId) -> Output) {
        let call = self.call_id(CallOwner::Worker(uid.to_string()));
        if let Some(run) = self.sync_mut(uid) {
            run.waiting.insert(call);
        }
        out.push(make(call));
    }

    /// Issues a worker's request about a named thing (a volume, a container).
    pub(super) fn call_about(
        &mut self,
        uid: &str,
        subject: SharedStr,
        out: &mut Vec<Output>,
        make: impl FnOnce(CallId) -> Output,
    ) {
        let next = CallId(self.next_call);
        if let Some(run) = self.sync_mut(uid) {
            run.subjects.insert(next, subject);
        }
        self.call(uid, out, make);
    }

    /// Issues a worker's CRI call.
    pub(super) fn cri(&mut self, uid: &str, out: &mut Vec<Output>, request: CriRequest) {
        self.call(uid, out, |call| Output::Cri { call, request });
    }

    /// The sync fails with `error` (its first error is the one reported); the rest of its queue is
    /// dropped when the current step ends.
    pub(super) fn fail(&mut self, uid: &str, error: String) {
        if let Some(run) = self.sync_mut(uid) {
            if run.error.is_none() {
                run.error = Some(error);
            }
        }
    }

    /// Runs one step: issues its requests (each file below holds a step's request beside the
    /// handling of its reply), or queues the steps it expands to.
    pub(super) fn run_step(&mut self, uid: &str, step: Step, now: Millis, out: &mut Vec<Output>) {
        if let Some(run) = self.sync_mut(uid) {
            run.current = Some(step.clone());
        }
        match step {
            Step::MakeDataDir => self.make_data_dir(uid, out),
            Step::MountVolumes => self.mount_volumes(uid, now, out),
            Step::AwaitSecret(key) => self.await_secret(uid, key, now, out),
            Step::ReadRuntime => self.read_runtime(uid, out),
            Step::ReportStatus => self.report_sync_status(uid, now, out),
            Step::Plan => self.plan(uid, now, out),
            Step::KillPod { grace_seconds } => self.kill_pod(uid, grace_seconds),
            Step::StopContainers(stops) => self.stop_containers(uid, stops, false, now, out),
            Step::KillPodContainers(stops) => self.stop_containers(uid, stops, true, now, out),
            Step::StopSandboxes(ids) => self.stop_sandboxes(uid, ids, out),
            Step::RemoveAll => self.remove_all(uid),
            Step::RemoveContainers(ids) => self.remove_containers(uid, ids, out),
            Step::RemoveSandboxes(ids) => self.remove_sandboxes(uid, ids, out),
            Step::RunSandbox { attempt } => self.run_sandbox(uid, attempt, out),
            Step::Start(kind, index) => self.start_container(uid, (kind, index), now, out),
            Step::ImageStatus(kind, index) => self.image_status(uid, (kind, index), out),
            Step::PullImage(kind, index) => self.pull_image(uid, (kind, index), now, out),
            Step::CreateContainer(kind, index) => self.create_container(uid, (kind, index), now, out),
            Step::StartContainer(_, _, container_id) => self.start_created(uid, container_id, out),
            Step::PostStartExec(kind, index, container_id) => {
                self.post_start_exec(uid, (kind, index), container_id, out)
            }
            Step::UpdateContainerResources { container_id, resources } => {
                self.update_container_resources(uid, container_id, resources, out)
            }
            Step::RequeueAfterReset => self.requeue_after_reset(uid),
            Step::ReportTerminalStatus => {
                // A runtime pod (`SyncTerminatingRuntimePod`) has no status to write, nor has a pod
                // the API server no longer holds (the status manager's write finds it gone).
                if self.workers.get(uid).is_some_and(|w| w.in_api) {
                    self.report_status(uid, true, now, out);
                }
            }
            Step::MarkTerminated => self.mark_terminated(uid, out),
            Step::UnmountVolumes => self.unmount_volumes(uid, out),
            Step::RemoveDataDir => self.remove_data_dir(uid, out),
            Step::AwaitStatusWritten => self.await_status_written(uid),
            Step::Release => self.release(uid, out),
        }
    }

    /// A reply to a worker's call: the step that issued it handles it, then the sync goes on.
    pub(super) fn on_reply(
        &mut self,
        uid: &str,
        call: CallId,
        reply: Reply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let Some(run) = self.sync_mut(uid) else { return };
        run.now = now;
        if !run.waiting.remove(&call) {
            return;
        }
        // Calls go out only while their step is current, and a step stays current while any waits.
        let step = run.current.take().expect("an awaited call belongs to the current step");
        self.on_step_reply(uid, &step, call, reply, now, out);
        if let Some(run) = self.sync_mut(uid) {
            run.current = Some(step);
        }
        self.advance(uid, now, out);
    }

    /// Routes a reply to the handler beside the request of its step.
    fn on_step_reply(
        &mut self,
        uid: &str,
        step: &Step,
        call: CallId,
        reply: Reply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        match (step, reply) {
            (Step::MakeDataDir, Reply::Node(r)) => self.on_data_dir_made(uid, r, now, out),
            (Step::MountVolumes, Reply::Node(r)) => self.on_volume_mounted(uid, call, r, now, out),
            (Step::ReadRuntime, Reply::Cri(r)) => self.on_runtime_read(uid, r),
            (Step::RunSandbox { .. }, Reply::Cri(r)) => self.on_sandbox_run(uid, r, now, out),
            (Step::StopContainers(_) | Step::KillPodContainers(_), Reply::Cri(r)) => {
                self.on_container_stopped(uid, call, r, now, out)
            }
            (Step::StopSandboxes(_), Reply::Cri(r)) => self.on_stopped(uid, call, Stopped::Sandbox, r),
            (Step::RemoveContainers(_) | Step::RemoveSandboxes(_), Reply::Cri(r)) => self.on_removed(uid, r),
            (Step::ImageStatus(kind, index), Reply::Cri(r)) => {
                self.on_image_status(uid, (*kind, *index), r, now, out)
            }
            (Step::PullImage(kind, index), Reply::Cri(r)) => {
                self.on_image_pulled(uid, (*kind, *index), r, now, out)
            }
            (Step::CreateContainer(kind, index), Reply::Cri(r)) => {
                self.on_container_created(uid, (*kind, *index), r, now, out)
            }
            (Step::StartContainer(kind, index, id), Reply::Cri(r)) => {
                self.on_container_started(uid, (*kind, *index), id, r, now, out)
            }
            (Step::PostStartExec(kind, index, id), Reply::Cri(r)) => {
                self.on_post_start_exec(uid, (*kind, *index), id, r, now, out)
            }
            (Step::UpdateContainerResources { .. }, Reply::Cri(r)) => self.on_resources_updated(uid, r),
            (Step::UnmountVolumes, Reply::Node(r)) => self.on_volume_unmounted(uid, call, r),
            (Step::RemoveDataDir, Reply::Node(r)) => self.on_data_dir_removed(uid, r),
            (Step::Release, Reply::Api(r)) => self.on_released(uid, r),
            // A reply on another channel than its request went out on: the world broke its promise of
            // one reply per request (crate::io). It says nothing about the request; the call is done.
            (
                Step::MakeDataDir | Step::MountVolumes | Step::UnmountVolumes | Step::RemoveDataDir,
                Reply::Api(_) | Reply::Cri(_),
            )
            | (
                Step::ReadRuntime
                | Step::RunSandbox { .. }
                | Step::StopContainers(_)
                | Step::KillPodContainers(_)
                | Step::StopSandboxes(_)
                | Step::RemoveContainers(_)
                | Step::RemoveSandboxes(_)
                | Step::ImageStatus(..)
                | Step::PullImage(..)
                | Step::CreateContainer(..)
                | Step::StartContainer(..)
                | Step::PostStartExec(..)
                | Step::UpdateContainerResources { .. },
                Reply::Api(_) | Reply::Node(_),
            )
            | (Step::Release, Reply::Cri(_) | Reply::Node(_)) => {}
            (
                Step::AwaitSecret(_)
                | Step::ReportStatus
                | Step::Plan
                | Step::KillPod { .. }
                | Step::RemoveAll
                | Step::Start(..)
                | Step::RequeueAfterReset
                | Step::ReportTerminalStatus
                | Step::MarkTerminated
                | Step::AwaitStatusWritten,
                _,
            ) => unreachable!(
                "step {step:?} issues no call of the worker's, so no reply can be awaited for it"
            ),
        }
    }
}
