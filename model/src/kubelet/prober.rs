//! The prober manager and its workers (pkg/kubelet/prober: prober_manager.go, worker.go,
//! prober.go; the results managers of prober/results): one worker per container and probe type,
//! probing on timers the world delivers.
//!
//! - `AddPod` makes a worker for each probe of each regular container and sidecar when the kubelet
//!   first takes the pod; `StopLivenessAndStartup` stops the liveness and startup workers when the pod
//!   starts terminating; `RemovePod` stops the rest when it is terminated ([`Kubelet::enter`]).
//! - A worker's loop (`worker.run`): its first probe at once, or, when the kubelet started less than a
//!   period ago, after a random part of the period (the world draws it: [`Output::SetRandomTimer`]);
//!   then one probe per period (a probe that outlasts the period takes the tick that waited, and the
//!   ticks it missed are dropped, as Go's ticker drops them).
//! - Each probe is `worker.doProbe`: the status manager's status of the pod (the model's last generated
//!   status), the container's id (a new one resets the results to the initial value: readiness
//!   Failure, liveness Success, startup Unknown, and takes the worker off hold), a non-running
//!   container fails, a deleted pod's liveness and startup succeed and stop, `initialDelaySeconds`,
//!   startup before the others, then the probe and the thresholds; a liveness failure or a startup
//!   result puts the worker on hold until a new container.
//! - An exec probe is a CRI `ExecSync` of its command with its `timeoutSeconds` (prober.go `runProbe`,
//!   exec.go): exit 0 is Success, another exit code or a timeout Failure (ExecProbeTimeout on); a
//!   runtime error is tried again up to 3 times (`maxProbeRetries`), then the result is thrown away.
//! - `httpGet`, `tcpSocket` and `grpc` probes are not carried out: podsim has no pod network to probe
//!   (pods run in the node's network namespace, and the simulator has no sockets). They succeed, as
//!   against a container that answers; a scenario that needs them to fail uses an exec probe.
//! - What podsim leaves out: the manual trigger of a readiness probe by the status manager
//!   (`UpdatePodStatus`'s `manualTriggerCh`: the next probe comes on the period), probe events
//!   (`Unhealthy`), and the probe's own `terminationGracePeriodSeconds` on the kill it causes.

use crate::shared_str::SharedStr;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{CallOwner, Kubelet};
use crate::io::{CriError, CriReply, CriRequest, Output, ProbeKind, Timer};
use crate::pod::{Container, Pod, Probe, ProbeHandler};
use crate::runtime::{Millis, ProbeResult};
use crate::status::{ContainerStateReport, ContainerStatusReport, PodStatusReport};

/// prober.go `maxProbeRetries`: tries of one probe that errors.
pub const MAX_PROBE_RETRIES: u32 = 3;

/// One worker: a pod, a container, a probe type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WorkerKey {
    /// The pod.
    pub pod_uid: String,
    /// The container's name.
    pub container: String,
    /// The probe type.
    pub kind: ProbeKind,
}

/// A worker's state (worker.go `worker`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct ProbeWorker {
    spec: Probe,
    /// The result a new container starts with.
    initial_value: ProbeResult,
    /// The last container id seen ("" none).
    container_id: SharedStr,
    last_result: Option<ProbeResult>,
    /// How many times in a row the probe gave `last_result`.
    result_run: i32,
    /// Probing is held until a new container.
    on_hold: bool,
    /// Which timer of this worker is current (older ones are stale).
    generation: u64,
    /// When the tick that started the current or last probe was due.
    tick_at: Millis,
    /// The probe in flight: its tries so far.
    in_flight: Option<u32>,
}

/// The prober manager: its workers, and when the kubelet started.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Prober {
    workers: BTreeMap<WorkerKey, ProbeWorker>,
    /// `manager.start`: when this kubelet started.
    start: Millis,
    next_generation: u64,
}

impl Prober {
    /// The prober of a kubelet that starts at `now`.
    pub(super) fn new(now: Millis) -> Prober {
        Prober { workers: BTreeMap::new(), start: now, next_generation: 0 }
    }

    fn generation(&mut self) -> u64 {
        self.next_generation += 1;
        self.next_generation
    }
}

/// The probes of a container a worker may run: regular containers and sidecars.
fn probes_of(c: &Container) -> [(ProbeKind, Option<&Probe>); 3] {
    [
        (ProbeKind::Readiness, c.readiness_probe.as_ref()),
        (ProbeKind::Liveness, c.liveness_probe.as_ref()),
        (ProbeKind::Startup, c.startup_probe.as_ref()),
    ]
}

/// `newWorker`'s initial value of each probe type.
fn initial_value(kind: ProbeKind) -> ProbeResult {
    match kind {
        ProbeKind::Readiness => ProbeResult::Failure,
        ProbeKind::Liveness => ProbeResult::Success,
        ProbeKind::Startup => ProbeResult::Unknown,
    }
}

/// What `doProbe` decided.
enum Step {
    /// Keep going: the next tick.
    Next,
    /// Stop the worker.
    Stop,
    /// Run the probe now.
    Probe,
}

impl Kubelet {
    /// `probeManager.AddPod`: a worker for each probe of each regular container and sidecar that has
    /// none yet.
    pub(super) fn add_probe_workers(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let Some(w) = self.workers.get(uid) else { return };
        let pod = w.pod.clone();
        let sidecars = pod.spec.init_containers.iter().filter(|c| c.is_restartable_init_container());
        for c in sidecars.chain(pod.spec.containers.iter()) {
            for (kind, probe) in probes_of(c) {
                let Some(probe) = probe else { continue };
                let key = WorkerKey { pod_uid: uid.to_string(), container: c.name().to_string(), kind };
                if self.prober.workers.contains_key(&key) {
                    continue;
                }
                self.start_probe_worker(key, probe.clone(), now, out);
            }
        }
    }

    /// `worker.run`: the first probe at once, or after a random part of the period if the kubelet
    /// started less than a period ago.
    fn start_probe_worker(&mut self, key: WorkerKey, spec: Probe, now: Millis, out: &mut Vec<Output>) {
        let period = period_millis(&spec);
        let generation = self.prober.generation();
        let worker = ProbeWorker {
            initial_value: initial_value(key.kind),
            spec,
            container_id: SharedStr::EMPTY,
            last_result: None,
            result_run: 0,
            on_hold: false,
            generation,
            tick_at: now,
            in_flight: None,
        };
        let timer = probe_timer(&key, generation);
        self.prober.workers.insert(key, worker);
        if now.saturating_sub(self.prober.start) < period {
            out.push(Output::SetRandomTimer { within: period, timer });
        } else {
            out.push(Output::SetTimer { at: now, timer });
        }
    }

    /// `StopLivenessAndStartup` (the pod terminates) or `RemovePod` (it is terminated): the workers
    /// of these kinds stop, and their results are removed.
    pub(super) fn stop_probe_workers(&mut self, uid: &str, kinds: &[ProbeKind]) {
        let keys: Vec<WorkerKey> = self
            .prober
            .workers
            .keys()
            .filter(|k| k.pod_uid == uid && kinds.contains(&k.kind))
            .cloned()
            .collect();
        for key in keys {
            self.remove_probe_worker(&key);
        }
    }

    /// The end of `worker.run`: its container's result is removed, and the worker with it.
    fn remove_probe_worker(&mut self, key: &WorkerKey) {
        if let Some(w) = self.prober.workers.remove(key) {
            if !w.container_id.is_empty() {
                self.remove_probe_result(&w.container_id, key.kind);
            }
        }
    }

    /// A worker's tick.
    pub(super) fn on_probe_timer(
        &mut self,
        key: WorkerKey,
        generation: u64,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let Some(w) = self.prober.workers.get_mut(&key) else { return };
        if w.generation != generation || w.in_flight.is_some() {
            return;
        }
        w.tick_at = now;
        match self.do_probe(&key, now) {
            Step::Next => self.next_tick(&key, now, out),
            Step::Stop => self.remove_probe_worker(&key),
            Step::Probe => self.run_probe(&key, 1, now, out),
        }
    }

    /// The next tick: a period after the last, or at once if that has passed (the tick that waited).
    fn next_tick(&mut self, key: &WorkerKey, now: Millis, out: &mut Vec<Output>) {
        let generation = self.prober.generation();
        let Some(w) = self.prober.workers.get_mut(key) else { return };
        w.generation = generation;
        w.in_flight = None;
        let at = w.tick_at.saturating_add(period_millis(&w.spec)).max(now);
        out.push(Output::SetTimer { at, timer: probe_timer(key, generation) });
    }

    /// `doProbe` up to the probe itself.
    fn do_probe(&mut self, key: &WorkerKey, now: Millis) -> Step {
        let Some(pw) = self.workers.get(&key.pod_uid) else { return Step::Stop };
        let Some(status) = pw.last_status.clone() else { return Step::Next };
        if status.phase.is_terminal() {
            return Step::Stop;
        }
        let pod = pw.pod.clone();
        let Some(c) = container_status(&status, &key.container) else { return Step::Next };
        self.see_container(key, &c);
        let w = self.prober.workers.get(key).expect("the worker ticks");
        if w.on_hold {
            return Step::Next;
        }
        let ContainerStateReport::Running { started_at } = c.state else {
            let id = w.container_id.clone();
            self.set_probe_result(&key.pod_uid, &id, key.kind, ProbeResult::Failure);
            return if will_run_again(&pod, &key.container, &c) { Step::Next } else { Step::Stop };
        };
        if pod.deletion_timestamp.is_some() && key.kind != ProbeKind::Readiness {
            // Graceful shutdown of the pod: a last Success, for a quiet shutdown.
            let id = w.container_id.clone();
            self.set_probe_result(&key.pod_uid, &id, key.kind, ProbeResult::Success);
            return Step::Stop;
        }
        let running_seconds = now.saturating_sub(started_at) / 1_000;
        if (running_seconds as i64) < i64::from(w.spec.initial_delay_seconds) {
            return Step::Next;
        }
        let started = c.started == Some(true);
        if started == (key.kind == ProbeKind::Startup) {
            // Startup stops once started; the others wait for it.
            return Step::Next;
        }
        Step::Probe
    }

    /// A new container id: the old one's result goes, the new one starts from the initial value
    /// (unless it ran before this kubelet started: ChangeContainerStatusOnKubeletRestart off keeps a
    /// ready container ready over a kubelet restart), and the worker is off hold.
    fn see_container(&mut self, key: &WorkerKey, c: &ContainerStatusReport) {
        let start = self.prober.start;
        let w = self.prober.workers.get_mut(key).expect("the worker ticks");
        if w.container_id == c.container_id {
            return;
        }
        let old = std::mem::replace(&mut w.container_id, c.container_id.clone());
        w.on_hold = false;
        let initial = w.initial_value;
        let is_restart =
            matches!(c.state, ContainerStateReport::Running { started_at } if started_at < start);
        if !old.is_empty() {
            self.remove_probe_result(&old, key.kind);
        }
        if !is_restart {
            self.set_probe_result(&key.pod_uid, &c.container_id, key.kind, initial);
        }
    }

    /// `prober.probe`: an exec probe is an `ExecSync`; the other handlers succeed (not realised).
    fn run_probe(&mut self, key: &WorkerKey, attempt: u32, now: Millis, out: &mut Vec<Output>) {
        let w = self.prober.workers.get_mut(key).expect("the worker ticks");
        let ProbeHandler::Exec(exec) = &w.spec.handler else {
            self.take_probe_result(key, ProbeResult::Success, now, out);
            return;
        };
        w.in_flight = Some(attempt);
        let request = CriRequest::ExecSync {
            container_id: w.container_id.clone(),
            cmd: exec.command.clone(),
            timeout_seconds: i64::from(w.spec.timeout_seconds),
        };
        let call = self.call_id(CallOwner::Probe(key.clone()));
        out.push(Output::Cri { call, request });
    }

    /// The `ExecSync` of a probe answered.
    pub(super) fn on_probe_reply(
        &mut self,
        key: WorkerKey,
        reply: CriReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let Some(w) = self.prober.workers.get(&key) else { return };
        let Some(attempt) = w.in_flight else { return };
        let result = match reply {
            CriReply::Exec(r) if r.timed_out => ProbeResult::Failure,
            CriReply::Exec(r) if r.exit_code == 0 => ProbeResult::Success,
            CriReply::Exec(_) => ProbeResult::Failure,
            CriReply::Err(CriError::DeadlineExceeded) => ProbeResult::Failure,
            // runProbeWithRetries: an error is tried again, then the result is thrown away.
            _ if attempt < MAX_PROBE_RETRIES => return self.run_probe(&key, attempt + 1, now, out),
            _ => return self.next_tick(&key, now, out),
        };
        self.take_probe_result(&key, result, now, out);
    }

    /// The end of `doProbe`: the thresholds, the result, the hold.
    fn take_probe_result(
        &mut self,
        key: &WorkerKey,
        result: ProbeResult,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let w = self.prober.workers.get_mut(key).expect("the worker probed");
        if w.last_result == Some(result) {
            w.result_run += 1;
        } else {
            w.last_result = Some(result);
            w.result_run = 1;
        }
        let below = match result {
            ProbeResult::Failure => w.result_run < w.spec.failure_threshold,
            ProbeResult::Success => w.result_run < w.spec.success_threshold,
            ProbeResult::Unknown => false,
        };
        if !below {
            let id = w.container_id.clone();
            if (key.kind == ProbeKind::Liveness && result == ProbeResult::Failure)
                || key.kind == ProbeKind::Startup
            {
                w.on_hold = true;
                w.result_run = 0;
            }
            if self.set_probe_result(&key.pod_uid, &id, key.kind, result) {
                self.request_sync(&key.pod_uid, now, out);
            }
        }
        self.next_tick(key, now, out);
    }

    /// The results manager's `Set`: whether the result changed (a change goes out on its updates
    /// channel: the pod is synced).
    fn set_probe_result(
        &mut self,
        _uid: &str,
        container_id: &str,
        kind: ProbeKind,
        result: ProbeResult,
    ) -> bool {
        if container_id.is_empty() {
            return false;
        }
        let entry = self.probes.0.entry(container_id.to_string()).or_default();
        let slot = entry.slot(kind);
        let changed = *slot != Some(result);
        *slot = Some(result);
        changed
    }

    /// The results manager's `Remove`.
    fn remove_probe_result(&mut self, container_id: &str, kind: ProbeKind) {
        if let Some(entry) = self.probes.0.get_mut(container_id) {
            *entry.slot(kind) = None;
            if entry.is_empty() {
                self.probes.0.remove(container_id);
            }
        }
    }
}

/// The status of a container by name: a regular one, else an init one, with a container id.
fn container_status(status: &PodStatusReport, name: &str) -> Option<ContainerStatusReport> {
    let with_id = |list: &[ContainerStatusReport]| {
        list.iter().find(|c| c.name == name && !c.container_id.is_empty()).cloned()
    };
    with_id(&status.container_statuses).or_else(|| with_id(&status.init_container_statuses))
}

/// Whether a container that does not run will run again (the worker keeps going): one still
/// waiting, or one whose exit its restart policy restarts (`podutil.ContainerShouldRestart`; a
/// sidecar always).
fn will_run_again(pod: &Pod, name: &str, c: &ContainerStatusReport) -> bool {
    let ContainerStateReport::Terminated { exit_code, .. } = &c.state else { return true };
    let spec = pod.spec.containers.iter().chain(pod.spec.init_containers.iter()).find(|s| s.name() == name);
    spec.is_some_and(|s| {
        s.is_restartable_init_container() || crate::pod::container_should_restart(s, &pod.spec, *exit_code)
    })
}

fn period_millis(spec: &Probe) -> Millis {
    (spec.period_seconds.max(1) as Millis).saturating_mul(1_000)
}

fn probe_timer(key: &WorkerKey, generation: u64) -> Timer {
    Timer::Probe {
        pod_uid: key.pod_uid.clone(),
        container: key.container.clone(),
        kind: key.kind,
        generation,
    }
}
