//! Rule coverage: a named probe at each decision of the kubelet model that a test should reach, as
//! FoundationDB's code probes (`CODE_PROBE`) and Antithesis' "sometimes" assertions do it. A probe is
//! a counter in the model's own state ([`Probes`], a fixed array indexed by [`Probe`]), bumped with
//! one add at the decision; the world reads the counts at the end of a run, and `podsim explore
//! --coverage` reports the probes no run reached. A probe that no scenario reaches is a gap in the
//! tests.
//!
//! Decisions made inside pure functions (`computePodActions`) are recorded by their caller from the
//! plan they returned ([`crate::actions::record_plan_probes`]), so those functions stay as they are.
//!
//! Some decisions cannot happen in the simulated world by design (its runtime
//! reports no container resources and never an unknown state, and `hostNetwork` is immutable; the
//! kubelet ends a pod whose phase is terminal before it plans): their probes are marked
//! [`Reach::OutsideWorld`], with the reason, and the model's unit and ported table tests
//! (model/tests/cases/) reach them instead.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where a probe can be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Reach {
    /// Some run of the shipped scenarios (with random faults) must reach it.
    World,
    /// The simulated world does not make the decision (the description says why); the model's unit
    /// and ported table tests reach it where they can.
    OutsideWorld,
}

macro_rules! probes {
    ($( $variant:ident = ($name:literal, $reach:ident, $description:literal), )*) => {
        /// One decision of the kubelet model that a test should reach.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Probe {
            $(
                #[doc = $description]
                $variant,
            )*
        }

        impl Probe {
            /// Every probe, in declaration order (its index is its position).
            pub const ALL: &'static [Probe] = &[$(Probe::$variant,)*];

            /// Its name, `area.decision`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Probe::$variant => $name,)*
                }
            }

            /// What the decision is, in one line.
            pub fn description(self) -> &'static str {
                match self {
                    $(Probe::$variant => $description,)*
                }
            }

            /// Where it can be reached.
            pub fn reach(self) -> Reach {
                match self {
                    $(Probe::$variant => Reach::$reach,)*
                }
            }
        }
    };
}

probes! {
    // ---- computePodActions: the sandbox ----------------------------------------------------------
    PlanSandboxFirst = ("plan.sandbox.first", World,
        "computePodActions: the pod has no sandbox yet, create its first (PodSandboxChanged: no sandbox)"),
    PlanSandboxNotReady = ("plan.sandbox.not_ready", World,
        "computePodActions: the newest sandbox is not ready (stopped, pause died): kill the pod, create a new one"),
    PlanSandboxTwoReady = ("plan.sandbox.two_ready", World,
        "computePodActions: more than one sandbox is ready: kill the pod and start over in a new one"),
    PlanSandboxNetworkChanged = ("plan.sandbox.network_changed", OutsideWorld,
        "computePodActions: the sandbox's network mode differs from spec.hostNetwork (unreachable in the world: hostNetwork is immutable)"),
    PlanSandboxNoIp = ("plan.sandbox.no_ip", OutsideWorld,
        "computePodActions: a pod-network sandbox has no IP (unreachable in the world: the simulated runtime gives every one an IP)"),
    PlanSandboxRecreated = ("plan.sandbox.recreated", World,
        "computePodActions: an existing sandbox is replaced (SandboxChanged event), containers start over"),
    PlanSandboxNotRecreatedNever = ("plan.sandbox.not_recreated_never", World,
        "computePodActions: the sandbox changed under restartPolicy Never after containers ran: kill only, no new sandbox"),
    PlanSandboxNotRecreatedDone = ("plan.sandbox.not_recreated_done", OutsideWorld,
        "computePodActions: the sandbox changed but nothing is left to run and the pod was initialised: kill only (not in the world: such a pod's phase is terminal, and SyncPod ends a terminal pod before it plans)"),
    // ---- computePodActions: the pod ----------------------------------------------------------------
    PlanKillPodDone = ("plan.kill_pod.done", World,
        "computePodActions: every regular container finished and none is to start: kill the pod, sidecars too (a running sidecar keeps the phase Running, so SyncPod plans)"),
    PlanKillPodInitFailed = ("plan.kill_pod.init_failed", OutsideWorld,
        "computePodActions: a plain init container failed and is not restarted (Never): kill the pod (not in the world: the pod is Failed, and SyncPod ends a terminal pod before it plans)"),
    // ---- computePodActions: kills ------------------------------------------------------------------
    PlanKillDefinitionChanged = ("plan.kill.definition_changed", World,
        "containerChanged: a running regular container's spec hash changed: kill and restart it"),
    PlanKillSidecarDefinitionChanged = ("plan.kill.sidecar_definition_changed", World,
        "computeInitContainerActions: a running sidecar's spec hash changed: kill and restart it"),
    PlanKillLiveness = ("plan.kill.liveness", World,
        "computePodActions: a container failed its liveness probe: kill it"),
    PlanKillStartup = ("plan.kill.startup", World,
        "computePodActions: a container failed its startup probe: kill it"),
    PlanKillUnknown = ("plan.kill.unknown_state", OutsideWorld,
        "computePodActions: a container in an unknown state is killed before it restarts (unreachable in the world: the simulated runtime reports exited, code 255, on recovery)"),
    PlanResizeInPlace = ("plan.resize.in_place", World,
        "computePodResizeAction: a running container's resources are updated in place"),
    PlanResizeRestart = ("plan.resize.restart", World,
        "computePodResizeAction: the resize policy restarts a container for a resize"),
    PlanRestartAllContainers = ("plan.restart_all.reset", World,
        "computePodActions: AllContainersRestarting is True: every container is killed and removed in place, the sandbox kept (KEP-5532)"),
    // ---- computePodActions: init containers and sidecars --------------------------------------------
    PlanInitStart = ("plan.init.start", World,
        "computeInitContainerActions: start the next init container (the first, or the one after the last that completed)"),
    PlanInitRetryFailed = ("plan.init.retry_failed", World,
        "computeInitContainerActions: a failed plain init container is restarted (pod policy OnFailure or Always)"),
    PlanSidecarRestart = ("plan.init.sidecar_restart", World,
        "computeInitContainerActions: an exited sidecar (restartable init container) is restarted"),
    PlanLegacyNextInit = ("plan.init.legacy_next", World,
        "findNextInitContainerToRun (SidecarContainers off): the one init container to start next"),
    // ---- computePodActions: regular containers -------------------------------------------------------
    PlanStartFirst = ("plan.start.first", World,
        "computePodActions: a regular container that never ran is started"),
    PlanRestartPodPolicy = ("plan.restart.pod_policy", World,
        "ShouldContainerBeRestarted: an exited container restarts under the pod's restartPolicy (Always, or OnFailure after a failure)"),
    PlanRestartContainerPolicy = ("plan.restart.container_policy", World,
        "ContainerShouldRestart (ContainerRestartRules): an exited container restarts under its own restartPolicy"),
    PlanRestartRule = ("plan.restart.rule", World,
        "ContainerShouldRestart (ContainerRestartRules): an exited container restarts by a matching Restart rule"),
    PlanNotRestarted = ("plan.restart.not_restarted", World,
        "ShouldContainerBeRestarted: an exited container stays exited (Never, or OnFailure after exit 0)"),
    PlanRestartCreated = ("plan.restart.created", World,
        "ShouldContainerBeRestarted: a container created but never started (its start failed) is started again"),
    // ---- backoff ---------------------------------------------------------------------------------
    CrashLoopWaiting = ("backoff.crash_loop.waiting", World,
        "doBackOff: the container is in CrashLoopBackOff, its restart waits (BackoffError)"),
    CrashLoopFirst = ("backoff.crash_loop.first", World,
        "doBackOff: a container restarts for the first time, its backoff starts at the initial delay"),
    CrashLoopDoubled = ("backoff.crash_loop.doubled", World,
        "doBackOff: a container restarts again within the reset period, its backoff doubles (up to the maximum)"),
    CrashLoopReset = ("backoff.crash_loop.reset", World,
        "doBackOff: the backoff entry went stale (quiet for the reset period) and starts over at the initial delay"),
    ImagePullWaiting = ("backoff.image_pull.waiting", World,
        "EnsureImageExists: the image is in ImagePullBackOff, the pull is not tried"),
    ImagePullFirst = ("backoff.image_pull.first", World,
        "pullImage: a failed pull starts the image's backoff at the initial delay"),
    ImagePullDoubled = ("backoff.image_pull.doubled", World,
        "pullImage: another failed pull doubles the image's backoff"),
    // ---- SyncPod: each step's failure ----------------------------------------------------------------
    SyncFailDataDir = ("sync.fail.data_dir", World,
        "SyncPod: the pod's data directories could not be made"),
    SyncFailMount = ("sync.fail.mount", World,
        "SyncPod: a volume could not be mounted (FailedMount)"),
    SyncFailReadRuntime = ("sync.fail.read_runtime", World,
        "SyncPod: the runtime's sandboxes or containers of the pod could not be listed"),
    SyncFailRunSandbox = ("sync.fail.run_sandbox", World,
        "SyncPod: RunPodSandbox failed (FailedCreatePodSandBox)"),
    SyncFailImageStatus = ("sync.fail.image_status", World,
        "EnsureImageExists: ImageStatus failed (InspectFailed)"),
    SyncFailNeverPull = ("sync.fail.never_pull", World,
        "EnsureImageExists: the image is missing and its pull policy is Never (ErrImageNeverPull)"),
    SyncFailPull = ("sync.fail.pull", World,
        "pullImage: PullImage failed (ErrImagePull)"),
    SyncFailSecretMissing = ("sync.fail.secret_missing", World,
        "generateContainerConfig: a Secret the container needs does not exist (CreateContainerConfigError)"),
    SyncFailSecretNotSynced = ("sync.fail.secret_not_synced", World,
        "generateContainerConfig: the Secret's cache did not fill in time (CreateContainerConfigError)"),
    SyncFailCreateContainer = ("sync.fail.create_container", World,
        "startContainer: CreateContainer failed (CreateContainerError)"),
    SyncFailStartContainer = ("sync.fail.start_container", World,
        "startContainer: StartContainer failed (RunContainerError)"),
    SyncInitStartAborted = ("sync.init_start_aborted", World,
        "SyncPod: a plain init container could not start, so nothing after it starts in this sync"),
    SyncFailStopContainer = ("sync.fail.stop_container", World,
        "killContainer: StopContainer failed"),
    SyncFailStopSandbox = ("sync.fail.stop_sandbox", World,
        "killPodWithSyncResult: StopPodSandbox failed"),
    SyncFailRemove = ("sync.fail.remove", World,
        "RemoveContainer or RemovePodSandbox failed"),
    SyncFailRemoveDataDir = ("sync.fail.remove_data_dir", OutsideWorld,
        "cleanup: the pod's directory could not be removed (not in the world: the worker unmounts every volume the disk showed first, and the simulated node fails no unmount or removal)"),
    SyncFailRelease = ("sync.fail.release", World,
        "cleanup: the final delete of the pod's API object failed"),
    SyncRestartAllRequeued = ("sync.restart_all.requeued", World,
        "Kubelet.SyncPod: a RestartAllContainers reset removed the containers without error: the pod is synced again at once"),
    StatusRestartAllCleared = ("status.restart_all.cleared", World,
        "GenerateAllContainersRestartingCondition: no container is left in the runtime (AllContainersRestartCleanedUp): the condition turns False and the pod starts over"),
    StatusWriteFailed = ("status.write_failed", World,
        "status manager: a status write failed, it is written again by the next periodic sync"),
    StatusWriteQueued = ("status.write_queued", World,
        "status manager: a newer status waits for the write in flight (one write per pod at a time)"),
    // ---- termination ------------------------------------------------------------------------------
    TerminateGracefulDelete = ("terminate.graceful_delete", World,
        "HandlePodUpdates: the pod has a deletion timestamp, its worker starts terminating"),
    TerminateRemovedFromApi = ("terminate.removed_from_api", World,
        "HandlePodRemoves: the pod's API object is gone while its worker lives"),
    TerminateDuringSync = ("terminate.during_sync", World,
        "UpdatePod: deletion arrived during a sync, which ends at its current step and terminates"),
    TerminateTerminalPod = ("terminate.terminal_pod", World,
        "SyncPod: the pod is Succeeded or Failed and not deleted: stop it, release its volumes, keep the object"),
    WorkerStartsTerminated = ("terminate.starts_terminated", World,
        "UpdatePod: a pod seen for the first time is terminal in the API and nothing of it runs: its worker starts terminated (kubernetes#105523)"),
    TerminateKillRunning = ("terminate.kill_running", World,
        "SyncTerminatingPod: running containers are stopped with the deletion's grace period"),
    StatusActiveDeadline = ("status.active_deadline", World,
        "generateAPIPodStatus: the pod is past its activeDeadlineSeconds: Failed, DeadlineExceeded (active deadline handler ShouldEvict)"),
    StartPostStartSleep = ("start.post_start.sleep", World,
        "startContainer step 4: a postStart sleep ran; the start, and the next container's, waited for it"),
    StartPostStartExec = ("start.post_start.exec", World,
        "startContainer step 4: a postStart exec ran through ExecSync; the start, and the next container's, waited for its reply"),
    StartPostStartFailed = ("start.post_start.failed", World,
        "startContainer step 4: the postStart hook failed: FailedPostStartHook, the container is killed, PostStartHookError"),
    KillSidecarOrdering = ("kill.sidecar_ordering", World,
        "killContainersWithSyncResult: a pod with sidecars is killed whole: sidecars wait for the regular containers, in reverse order (terminationOrdering)"),
    KillTurnWaited = ("kill.turn_waited", World,
        "killContainer: a sidecar waited for its turn and the whole seconds waited came off its grace period (waitForTurn)"),
    KillPreStopSleep = ("kill.pre_stop.sleep", World,
        "executePreStopHook: a preStop sleep ran on the kubelet's timer and its seconds came off the grace period"),
    KillPreStopExec = ("kill.pre_stop.exec", World,
        "executePreStopHook: a preStop exec ran through ExecSync, the kill waited for its reply at most the grace period"),
    KillPreStopAbandoned = ("kill.pre_stop.abandoned", World,
        "executePreStopHook: a preStop hook was still running when the grace period ended: the kill went on without it"),
    KillPreStopFailed = ("kill.pre_stop.failed", World,
        "executePreStopHook: the preStop hook failed (FailedPreStopHook) and the kill went on"),
    KillMinimumGrace = ("kill.minimum_grace", World,
        "killContainer: the hook and the wait left less than minimumGracePeriodInSeconds: the container still gets 2 s"),
    TerminateReleased = ("terminate.released", World,
        "SyncTerminatedPod: the pod's API object is deleted for good"),
    TerminateForgotten = ("terminate.worker_forgotten", World,
        "pod workers: everything of the pod is gone, its worker and backoff entries are forgotten"),
    CleanupOrphanRuntimePod = ("cleanup.orphan_runtime_pod", World,
        "HandlePodCleanups: a runtime pod no worker knows is killed (SyncTerminatingRuntimePod)"),
    CleanupOrphanPodDir = ("cleanup.orphan_pod_dir", World,
        "cleanupOrphanedPodDirs: a pod directory of no known pod is unmounted and removed"),
    // ---- garbage collection -----------------------------------------------------------------------
    GcDeadContainers = ("gc.dead_containers", World,
        "container GC: older exited instances of a container are removed (one kept per container)"),
    GcOldSandboxes = ("gc.old_sandboxes", World,
        "evictSandboxes: an old, not ready sandbox without containers is removed"),
    GcInitPurged = ("gc.init_purged", World,
        "SyncPod: a new sandbox starts initialisation over, the old init containers are removed"),
    // ---- the pod reflector, the Secret reflectors and the PLEG --------------------------------------
    ReflectorWatchGone = ("reflector.watch_gone", World,
        "reflector: the pod watch could not be opened (or ended) with 410 Gone, its version compacted: back off, then list again"),
    ReflectorShortWatch = ("reflector.short_watch", World,
        "reflector: the pod watch ended within a second without an event: back off, then list again"),
    ReflectorWatchReopened = ("reflector.watch_reopened", World,
        "reflector: the pod watch ended normally and is opened again at once from the last version"),
    ReflectorListFailed = ("reflector.list_failed", World,
        "reflector: the pod list failed: back off, then list again"),
    ReflectorWatchFailed = ("reflector.watch_failed", World,
        "reflector: the pod watch could not be opened (server unavailable, timed out): back off, then list again"),
    SecretWatchGone = ("secret.watch_gone", World,
        "Secret manager: a Secret's watch ended, or could not be opened, with 410 Gone: its reflector lists again"),
    PlegRelistFailed = ("pleg.relist_failed", World,
        "PLEG: a relist could not list the runtime, the pods' state is kept until the next"),
    // ---- start-up -----------------------------------------------------------------------------------
    StartupMountsReconstructed = ("startup.mounts_reconstructed", World,
        "volume manager: a pod's worker takes over the mounts the disk showed at start-up (reconstructVolumes)"),
    StartupAdoptedRunning = ("startup.adopted_running", World,
        "start-up: a new kubelet's first sync of a pod finds its containers running and keeps them"),
    // ---- the image puller -----------------------------------------------------------------------------
    PullerWaited = ("puller.waited", World,
        "image puller: a pull waits behind others (serial puller, or maxParallelImagePulls reached)"),
    PullerParallel = ("puller.parallel", World,
        "image puller: more than one pull is out at once (serializeImagePulls false)"),
    PullerCancelled = ("puller.cancelled", World,
        "image puller: a queued pull's pod began terminating, it fails at once without a CRI call"),
    // ---- the event recorder ----------------------------------------------------------------------------
    EventCountedUp = ("events.counted_up", World,
        "EventCorrelator: the same event again is a patch of one Event whose count grows"),
    EventAggregated = ("events.aggregated", World,
        "EventAggregator: ten similar messages of one reason are combined into one Event"),
    EventSpamFiltered = ("events.spam_filtered", World,
        "EventSourceObjectSpamFilter: an event over the per-object rate is dropped"),
    EventQueueFull = ("events.queue_full", OutsideWorld,
        "broadcaster: the sink's queue is full, a new event is dropped (not in the shipped scenarios: it takes 1,000 events queued behind a stalled sink; recorder.rs's a_full_queue_drops_new_events reaches it)"),
    EventRetry = ("events.retry", World,
        "recordToSink: a write failed in transport, it is tried again after a sleep"),
    EventRetryLimit = ("events.retry_limit", World,
        "recordToSink: the twelfth try failed, the event is dropped"),
    EventPatchMissing = ("events.patch_missing", World,
        "recordEvent: a patch found no Event (it expired), it is created instead"),
    EventRefused = ("events.refused", World,
        "recordEvent: the server refused the write, the event is dropped (no retry)"),
}

impl Probe {
    /// How many probes there are.
    pub const COUNT: usize = Probe::ALL.len();

    /// The probe of this name.
    pub fn from_name(name: &str) -> Option<Probe> {
        Probe::ALL.iter().copied().find(|p| p.name() == name)
    }
}

/// How often each probe was reached: a fixed array indexed by [`Probe`], no allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probes {
    counts: [u64; Probe::COUNT],
}

impl Default for Probes {
    fn default() -> Probes {
        Probes { counts: [0; Probe::COUNT] }
    }
}

impl Probes {
    /// No probe reached.
    pub fn new() -> Probes {
        Probes::default()
    }

    /// The decision `probe` was made once more.
    #[inline]
    pub fn hit(&mut self, probe: Probe) {
        self.counts[probe as usize] += 1;
    }

    /// How often `probe` was reached.
    pub fn count(&self, probe: Probe) -> u64 {
        self.counts[probe as usize]
    }

    /// Adds another set of counts (another kubelet incarnation's, another run's).
    pub fn add(&mut self, other: &Probes) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
    }

    /// Every probe with its count, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (Probe, u64)> + '_ {
        Probe::ALL.iter().map(|&p| (p, self.count(p)))
    }
}

/// Serialised as the counts in declaration order (serde's arrays stop at 32 elements).
impl Serialize for Probes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.counts.iter())
    }
}

impl<'de> Deserialize<'de> for Probes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Probes, D::Error> {
        let counts: Vec<u64> = Vec::deserialize(deserializer)?;
        let counts: [u64; Probe::COUNT] = counts.try_into().map_err(|v: Vec<u64>| {
            serde::de::Error::custom(format!("{} probe counts, expected {}", v.len(), Probe::COUNT))
        })?;
        Ok(Probes { counts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn names_are_unique_and_the_index_is_the_position() {
        let names: BTreeSet<&str> = Probe::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(names.len(), Probe::COUNT);
        for (i, p) in Probe::ALL.iter().enumerate() {
            assert_eq!(*p as usize, i);
            assert_eq!(Probe::from_name(p.name()), Some(*p));
        }
    }

    #[test]
    fn counts_add_up_and_round_trip() {
        let mut a = Probes::new();
        a.hit(Probe::GcDeadContainers);
        a.hit(Probe::GcDeadContainers);
        let mut b = Probes::new();
        b.hit(Probe::GcDeadContainers);
        b.hit(Probe::EventRetry);
        a.add(&b);
        assert_eq!(a.count(Probe::GcDeadContainers), 3);
        assert_eq!(a.count(Probe::EventRetry), 1);
        assert_eq!(a.count(Probe::PlanSandboxFirst), 0);
        let json = serde_json::to_string(&a).expect("serialises");
        let back: Probes = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, a);
        assert!(serde_json::from_str::<Probes>("[1,2]").is_err(), "a wrong length is refused");
    }
}
