//! Stopping a pod's containers and sandboxes (pkg/kubelet/kuberuntime/kuberuntime_container.go
//! `killContainer`, `executePreStopHook`, `killContainersWithSyncResult`; kuberuntime_manager.go
//! `killPodWithSyncResult`), for `SyncPod`'s steps 2 and 3 and for `SyncTerminatingPod`.
//!
//! Every container of a kill step is killed at once, as the kubelet's goroutines do, each by
//! `killContainer`, which podsim runs as a small state machine ([`Kill`]):
//! 1. the `Killing` event;
//! 2. the preStop hook, if the container has one and its grace period is above zero: it may take up
//!    to the grace period, and the whole seconds it took are taken off it (`executePreStopHook`;
//!    see [`super::hooks`] for how each action runs);
//! 3. with a termination ordering (a pod with sidecars killed whole, [`TerminationOrdering`]): wait
//!    for the container's turn, at most the grace period left, and take the whole seconds waited off;
//! 4. `StopContainer` with what is left, at least `minimumGracePeriodInSeconds` (2 s);
//! 5. a successful stop ends the container's part of the ordering (`containerTerminated`).
//!
//! The pod's sandboxes are stopped after every container; stopping a sandbox whose pause process
//! died still tears down its network. A container or sandbox already gone counts as stopped. The
//! failed kills of a terminating pod are reported as one `FailedKillPod` event.

use crate::shared_str::SharedStr;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::event_sites::{self, find_container};
use super::hooks::{exec_hook_error, pre_stop_start, HookRun};
use super::sync_run::Step;
use super::termination_order::TerminationOrdering;
use super::{CallOwner, Kubelet, KubeletBug};
use crate::actions::PodActions;
use crate::coverage::Probe;
use crate::io::{CallId, CriError, CriReply, CriRequest, Output, Timer, WorkerState};
use crate::pod::{LifecycleHandler, Pod};
use crate::runtime::{ContainerState, Millis};

/// The kubelet never gives a container less than this to stop when it kills it
/// (`minimumGracePeriodInSeconds`, applied by `killContainer` after the hook and the wait).
pub const MINIMUM_GRACE_PERIOD_SECONDS: i64 = 2;

/// One container to stop, with the message of its Killing event ("" for the default, `Stopping
/// container <name>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct StopContainer {
    pub(super) id: SharedStr,
    pub(super) name: SharedStr,
    pub(super) grace_seconds: i64,
    pub(super) message: String,
}

/// Where one container's `killContainer` is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum KillPhase {
    /// Its preStop hook runs (since `started`) until `until`: the hook's end or the grace period's.
    PreStop { started: Millis, until: Millis },
    /// It waits for its turn (since `started`) until its prerequisites exited or `deadline`.
    Turn { started: Millis, deadline: Millis },
    /// Its `StopContainer` is out.
    Stopping,
    /// Its `StopContainer` was answered.
    Done,
}

/// One container's `killContainer` in progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Kill {
    pub(super) stop: StopContainer,
    /// `gracePeriod` as `killContainer` lowers it.
    pub(super) grace: i64,
    pub(super) phase: KillPhase,
}

/// The kills of one step (`killContainersWithSyncResult`, or `SyncPod`'s containers to kill).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Kills {
    pub(super) kills: Vec<Kill>,
    /// The sidecar termination ordering, for a pod with sidecars killed whole.
    pub(super) ordering: Option<TerminationOrdering>,
    /// Which kill each outstanding `StopContainer` is for.
    pub(super) calls: BTreeMap<CallId, usize>,
    /// Which kill each preStop exec's outstanding `ExecSync` is for (the kill does not wait on it
    /// past its grace period: an abandoned hook's entry is dropped, and its reply ignored).
    pub(super) hook_calls: BTreeMap<CallId, usize>,
}

impl Kills {
    /// Whether every container's kill is over.
    pub(super) fn all_done(&self) -> bool {
        self.kills.iter().all(|k| k.phase == KillPhase::Done)
    }

    /// The next instant a hook or a wait ends, after `now`.
    fn next_wake(&self, now: Millis) -> Option<Millis> {
        self.kills
            .iter()
            .filter_map(|k| match k.phase {
                KillPhase::PreStop { until, .. } => Some(until),
                KillPhase::Turn { deadline, .. } => Some(deadline),
                KillPhase::Stopping | KillPhase::Done => None,
            })
            .filter(|&t| t > now)
            .min()
    }
}

/// Whole seconds from `started` to `now`, as Go truncates a duration's `Seconds()` to `int64`.
fn whole_seconds(started: Millis, now: Millis) -> i64 {
    i64::try_from(now.saturating_sub(started) / 1000).unwrap_or(i64::MAX)
}

/// The grace period of a kill within `SyncPod` (the pod's, at least `minimumGracePeriodInSeconds`).
pub(super) fn sync_grace_seconds(pod: &Pod) -> i64 {
    pod.grace_period_seconds().max(MINIMUM_GRACE_PERIOD_SECONDS)
}

/// Step 3 of `SyncPod`: the containers `computePodActions` found should not run, each with the
/// message of why.
pub(super) fn stop_containers_to_kill(actions: &PodActions, grace_seconds: i64) -> Step {
    Step::StopContainers(
        actions
            .containers_to_kill
            .iter()
            .map(|k| StopContainer {
                id: k.id.clone(),
                name: k.name.clone(),
                grace_seconds,
                message: k.message.clone(),
            })
            .collect(),
    )
}

/// `SyncTerminatingPod`: read the runtime, kill the pod with the deletion's grace period (at least
/// 1 s, as pod_workers.go enforces), read the runtime again and hand the status manager the final
/// status from it (`generateAPIPodStatus` with `podIsTerminal`: Succeeded or Failed, a deleted pod's
/// too, which is how its controllers learn how it ended), then the worker is terminated.
pub(super) fn terminating_steps(pod: &Pod) -> Vec<Step> {
    let grace = pod.grace_period_seconds().max(1);
    vec![
        Step::ReadRuntime,
        Step::KillPod { grace_seconds: grace },
        Step::ReadRuntime,
        Step::ReportTerminalStatus,
        Step::MarkTerminated,
    ]
}

/// Which kind of object a stop was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stopped {
    Container,
    Sandbox,
}

impl Kubelet {
    /// `killPodWithSyncResult`: stop every container that may run (`killContainersWithSyncResult`,
    /// with the sidecar termination ordering if the pod has sidecars), then every sandbox of the
    /// pod, from the runtime state just read.
    pub(super) fn kill_pod(&mut self, uid: &str, grace_seconds: i64) {
        let run = self.sync_mut(uid).expect("the KillPod step runs within a sync");
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
        let sandboxes: Vec<SharedStr> = run.runtime.sandboxes.iter().map(|s| s.id.clone()).collect();
        let terminating = run.kind == WorkerState::Terminating;
        let killing_running = terminating && !stops.is_empty();
        // Containers stop before their sandbox.
        let mut steps = [Step::KillPodContainers(stops), Step::StopSandboxes(sandboxes)];
        if self.config.bugs.has(KubeletBug::SandboxStoppedBeforeContainers) {
            // Before kubernetes#9765 the infra container was killed with the others, and could go first.
            steps.reverse();
        }
        let run = self.sync_mut(uid).expect("the KillPod step runs within a sync");
        run.push_next(steps.into_iter());
        if killing_running {
            self.hit(Probe::TerminateKillRunning);
        }
    }

    /// `killContainer` of each, all at once: the `Killing` event, then the preStop hook, the turn
    /// (with `ordered`: the sidecar termination ordering of the pod) and the stop.
    pub(super) fn stop_containers(
        &mut self,
        uid: &str,
        stops: Vec<StopContainer>,
        ordered: bool,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let pod = self.pod_of(uid).clone();
        let ordering = (ordered && pod.has_restartable_init_container())
            .then(|| TerminationOrdering::new(&pod, stops.iter().map(|s| s.name.as_str())));
        if ordering.is_some() {
            self.hit(Probe::KillSidecarOrdering);
        }
        let mut kills = Vec::with_capacity(stops.len());
        let mut hook_execs = Vec::new();
        for stop in stops {
            self.event_killing(uid, &stop.name, &stop.message, now, out);
            let grace = stop.grace_seconds;
            let hook = find_container(&pod, &stop.name).and_then(|(_, c)| c.lifecycle.pre_stop.clone());
            let phase = match hook.filter(|_| grace > 0) {
                None => KillPhase::Turn { started: now, deadline: now },
                Some(handler) => match pre_stop_start(&handler, grace, now) {
                    HookRun::Until(until) => {
                        self.hit(Probe::KillPreStopSleep);
                        KillPhase::PreStop { started: now, until }
                    }
                    HookRun::Exec(cmd) => {
                        self.hit(Probe::KillPreStopExec);
                        hook_execs.push((kills.len(), stop.id.clone(), cmd));
                        KillPhase::PreStop { started: now, until: now + grace as Millis * 1000 }
                    }
                    HookRun::Failed => {
                        self.hit(Probe::KillPreStopFailed);
                        self.event_pre_stop_hook_failed(uid, &stop.name, now, out);
                        KillPhase::Turn { started: now, deadline: now }
                    }
                },
            };
            kills.push(Kill { stop, grace, phase });
        }
        // A container with no hook starts its turn at once: its deadline is its whole grace period.
        for k in &mut kills {
            if let KillPhase::Turn { deadline, .. } = &mut k.phase {
                *deadline = now + k.grace.max(0) as Millis * 1000;
            }
        }
        let hook_calls = self.run_pre_stop_execs(uid, hook_execs, out);
        if let Some(run) = self.sync_mut(uid) {
            run.kills = Some(Kills { kills, ordering, calls: BTreeMap::new(), hook_calls });
        }
        self.progress_kills(uid, now, out);
    }

    /// `HandlerRunner.Run`'s exec case for each preStop exec: an `ExecSync` of the hook's command in
    /// the container, with no timeout of its own (0). `executePreStopHook` runs it in a goroutine
    /// and waits at most the grace period, so the kill's step does not wait on the call itself.
    fn run_pre_stop_execs(
        &mut self,
        uid: &str,
        execs: Vec<(usize, SharedStr, Vec<String>)>,
        out: &mut Vec<Output>,
    ) -> BTreeMap<CallId, usize> {
        let mut calls = BTreeMap::new();
        for (i, container_id, cmd) in execs {
            let call = self.call_id(CallOwner::PreStopHook(uid.to_string()));
            out.push(Output::Cri {
                call,
                request: CriRequest::ExecSync { container_id, cmd, timeout_seconds: 0 },
            });
            calls.insert(call, i);
        }
        calls
    }

    /// A preStop exec's `ExecSync` answered: if its kill still waits for it, the hook is over now
    /// (a failure records `FailedPreStopHook`, without the hook's output), and the kill goes on.
    pub(super) fn on_pre_stop_exec(
        &mut self,
        uid: &str,
        call: CallId,
        reply: CriReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let Some(kills) = self.sync_mut(uid).and_then(|r| r.kills.as_mut()) else { return };
        let Some(i) = kills.hook_calls.remove(&call) else { return };
        let k = &mut kills.kills[i];
        let KillPhase::PreStop { started, .. } = k.phase else { return };
        k.phase = KillPhase::PreStop { started, until: now };
        let name = k.stop.name.clone();
        let pod = self.pod_of(uid);
        let failed = find_container(pod, &name).is_some_and(|(_, c)| match &c.lifecycle.pre_stop {
            Some(LifecycleHandler::Exec { command }) => {
                exec_hook_error(command, &reply, pod, &name).is_some()
            }
            _ => false,
        });
        if failed {
            self.hit(Probe::KillPreStopFailed);
            self.event_pre_stop_hook_failed(uid, &name, now, out);
        }
        self.progress_kills(uid, now, out);
        self.advance(uid, now, out);
    }

    /// Moves every kill on as far as it can at `now`: a hook that ended gives way to the turn, a
    /// container whose turn came (or whose wait ran out) is stopped; then a timer for the next hook
    /// or wait to end.
    pub(super) fn progress_kills(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let Some(kills) = self.sync_mut(uid).and_then(|r| r.kills.as_mut()) else { return };
        let mut to_stop = Vec::new();
        let (mut waited, mut floored, mut abandoned) = (false, false, false);
        for (i, k) in kills.kills.iter_mut().enumerate() {
            if let KillPhase::PreStop { started, until } = k.phase {
                if now < until {
                    continue;
                }
                // executePreStopHook: a hook still running at the end of the grace period is left
                // behind; the whole seconds the hook took come off the grace period.
                let before = kills.hook_calls.len();
                kills.hook_calls.retain(|_, kill| *kill != i);
                abandoned |= kills.hook_calls.len() < before;
                k.grace -= whole_seconds(started, now);
                let deadline = now + k.grace.max(0) as Millis * 1000;
                k.phase = KillPhase::Turn { started: now, deadline };
            }
            if let KillPhase::Turn { started, deadline } = k.phase {
                let waits = kills.ordering.as_ref().is_some_and(|o| !o.is_turn(&k.stop.name));
                if k.grace > 0 && waits && now < deadline {
                    continue;
                }
                if kills.ordering.is_some() && k.grace > 0 {
                    // waitForTurn: the whole seconds waited come off the grace period.
                    let seconds = whole_seconds(started, now);
                    waited |= seconds > 0;
                    k.grace -= seconds;
                }
                floored |= k.grace < MINIMUM_GRACE_PERIOD_SECONDS;
                k.grace = k.grace.max(MINIMUM_GRACE_PERIOD_SECONDS);
                k.phase = KillPhase::Stopping;
                to_stop.push((i, k.stop.id.clone(), k.stop.name.clone(), k.grace));
            }
        }
        let wake = kills.next_wake(now);
        if waited {
            self.hit(Probe::KillTurnWaited);
        }
        if floored {
            self.hit(Probe::KillMinimumGrace);
        }
        if abandoned {
            self.hit(Probe::KillPreStopAbandoned);
        }
        for (i, id, name, grace) in to_stop {
            let request = CriRequest::StopContainer { container_id: id, timeout_seconds: grace };
            let call = CallId(self.next_call);
            self.call_about(uid, name, out, |call| Output::Cri { call, request });
            if let Some(kills) = self.sync_mut(uid).and_then(|r| r.kills.as_mut()) {
                kills.calls.insert(call, i);
            }
        }
        if let Some(at) = wake {
            out.push(Output::SetTimer { at, timer: Timer::KillProgress { pod_uid: uid.to_string() } });
        }
    }

    /// A hook or a wait of a kill may have ended: move the kills on, and the sync if they are over.
    pub(super) fn on_kill_timer(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        if self.sync_mut(uid).is_some_and(|r| r.kills.is_some()) {
            self.progress_kills(uid, now, out);
            self.advance(uid, now, out);
        }
    }

    /// `StopPodSandbox` of each.
    pub(super) fn stop_sandboxes(&mut self, uid: &str, ids: Vec<SharedStr>, out: &mut Vec<Output>) {
        for sandbox_id in ids {
            self.cri(uid, out, CriRequest::StopPodSandbox { sandbox_id });
        }
    }

    /// A container's stop was answered: its kill is over, and a stop that succeeded lets the
    /// containers that waited for it have their turn.
    pub(super) fn on_container_stopped(
        &mut self,
        uid: &str,
        call: CallId,
        reply: CriReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let stopped = matches!(reply, CriReply::Ok | CriReply::Err(CriError::NotFound));
        if let Some(kills) = self.sync_mut(uid).and_then(|r| r.kills.as_mut()) {
            if let Some(i) = kills.calls.remove(&call) {
                let k = &mut kills.kills[i];
                k.phase = KillPhase::Done;
                if let (true, Some(ordering)) = (stopped, kills.ordering.as_mut()) {
                    ordering.container_terminated(&k.stop.name);
                }
            }
        }
        self.on_stopped(uid, call, Stopped::Container, reply);
        self.progress_kills(uid, now, out);
    }

    /// A stop was answered: stopped, or gone already; otherwise the sync fails, and a terminating
    /// pod's kill result names the container (or the pod, for a sandbox).
    pub(super) fn on_stopped(&mut self, uid: &str, call: CallId, what: Stopped, reply: CriReply) {
        match reply {
            CriReply::Ok | CriReply::Err(CriError::NotFound) => {}
            failure => {
                self.hit(match what {
                    Stopped::Container => Probe::SyncFailStopContainer,
                    Stopped::Sandbox => Probe::SyncFailStopSandbox,
                });
                let Some(w) = self.workers.get_mut(uid) else { return };
                let in_api = w.in_api;
                let Some(run) = w.sync.as_mut() else { return };
                let container = run.subjects.remove(&call);
                if run.kind == WorkerState::Terminating && in_api {
                    run.kill_failures.push(event_sites::kill_failure(container.as_deref(), uid, &failure));
                }
                self.fail(uid, format!("stop or remove: {failure:?}"));
            }
        }
    }
}
