//! The simulator driver: the [harness](crate::harness) with the simulated containerd, on the
//! virtual clock. The clock jumps to the next event of the harness's queue; the simulated
//! containerd answers a CRI call at once with the delay its reply takes, and its own wake-ups
//! (workload exits, pulls landing) ride in the queue as [`Event::Runtime`]. It realises every
//! runtime fault.

use std::collections::{BTreeMap, BTreeSet};

use podsim_model::coverage::Probes;
use podsim_model::io::PodRef;
use podsim_model::io::{CallId, CriRequest, Input};
use podsim_model::{ContainerStatus, Millis, SandboxState, SharedStr};

use crate::apiserver::ApiServer;
use crate::checker::View;
use crate::containerd::{ContainerRecord, Containerd, PullFailure, RegistryImage, RuntimeTimer};
use crate::faults::{DrawnFaults, Fault, FaultKind};
use crate::harness::injected::INJECTED_TIMEOUT;
use crate::harness::{CriAnswer, Driver, Event, Harness, HarnessOptions, Heal};
use crate::node::Node;
use crate::node_setup::PresetState;
use crate::rng::SimRng;
use crate::scenario::{PullFailureSpec, Scenario};

pub use crate::harness::describe::{describe_jittered_timer, short_cri, written_event};
pub use crate::harness::preset_node;
pub use crate::harness::{
    API_TIMEOUT, COMPACTION_INTERVAL, COMPACTION_KEEP, MAX_EVENTS, TRANSIENT_FAULT_LIFETIME,
    WATCH_BREAK_DETECTION,
};
pub use crate::link::BASE_LATENCY;

/// The result of a run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Outcome {
    /// The seed.
    pub seed: u64,
    /// Virtual time simulated.
    pub virtual_millis: Millis,
    /// Events handled.
    pub events: u64,
    /// Faults injected.
    pub faults: u64,
    /// When the last fault healed.
    pub last_heal: Millis,
    /// Every violation, in time order.
    pub violations: Vec<crate::checker::Violation>,
    /// Each pod at the end of the run (the scenario's `duration`): the state the expectations were
    /// checked against.
    pub pods: Vec<crate::report::PodOutcome>,
    /// The liveness check, if it was made: when, and each pod then (after the run was extended).
    pub liveness: Option<LivenessOutcome>,
    /// What happened, in time order (recorded when the expectations are checked).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub happenings: Vec<crate::expect::Happening>,
    /// Whether the scenario's expectations were checked (not when random faults were added).
    pub expectations_checked: bool,
    /// Whether liveness was checked (the run lasted long enough after the last fault healed).
    pub liveness_checked: bool,
    /// Every fault injected, with its targets named, in time order.
    pub applied_faults: Vec<(Millis, Fault)>,
    /// Every sandbox and container start, in order (for comparing with a real runtime).
    #[serde(skip)]
    pub starts: crate::report::StartLog,
    /// The Kubernetes Events the API server holds at the end, in order of creation.
    pub kube_events: Vec<crate::events::EventRecord>,
    /// How often each of the kubelet model's decisions was reached, over every kubelet of the run
    /// (rule coverage; `podsim explore --coverage`).
    #[serde(skip)]
    pub probes: Probes,
    /// The kubelet's steps per pod, if [`World::with_steps`] asked for them.
    #[serde(skip)]
    pub steps: Option<crate::harness::steps::StepLog>,
}

/// The liveness check of a run, apart from its end state.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LivenessOutcome {
    /// When the world settled (the last fault healed, the last change was made).
    pub settled_at: Millis,
    /// When convergence was checked (the settling time plus the bound, or the run's end).
    pub checked_at: Millis,
    /// Whether the run went on past its end for it.
    pub extended: bool,
    /// Whether every pod had converged.
    pub converged: bool,
    /// Each pod when it was checked.
    pub pods: Vec<crate::report::PodOutcome>,
}

impl Outcome {
    /// No violation and every expectation met.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// The simulated runtime: containerd and the wake-ups it asked for.
pub struct SimRuntime {
    containerd: Containerd,
    timers: Vec<(Millis, RuntimeTimer)>,
}

/// A run of one scenario with one seed.
pub struct World {
    h: Harness<RuntimeTimer>,
    rt: SimRuntime,
    /// Whether the run goes on past its end to check liveness.
    liveness: bool,
}

impl World {
    /// A world for `scenario` with `seed`; `random_faults` enables the scenario's random-fault
    /// profile (or a default one when it has none); `trace` keeps the trace.
    pub fn new(scenario: &Scenario, seed: u64, random_faults: bool, trace: bool) -> World {
        let mut rng = SimRng::new(seed);
        let mut containerd = Containerd::new(registry(scenario));
        for (name, spec) in &scenario.images {
            if spec.preloaded {
                containerd.preload(name);
            }
        }
        for i in 0..scenario.foreign_containers {
            containerd.add_foreign_container(0, &format!("foreign-{i}"));
        }
        let mut preset_timers = Vec::new();
        preset_runtime(&mut containerd, scenario, &mut preset_timers);
        let drawn = draw_faults(scenario, random_faults, &mut rng);
        let options = HarnessOptions {
            seed,
            rng,
            trace,
            check_expectations: !random_faults || scenario.random_faults.is_some(),
            drawn,
        };
        let mut h = Harness::new(scenario, options);
        for (at, timer) in preset_timers {
            h.schedule(at, Event::Runtime(timer));
        }
        h.boot();
        World { h, rt: SimRuntime { containerd, timers: Vec::new() }, liveness: true }
    }

    /// The fault kinds this seed's swarm enabled.
    pub fn swarm(&self) -> &[FaultKind] {
        &self.h.drawn.kinds
    }

    /// The trace so far.
    pub fn trace(&self) -> &crate::trace::Trace {
        &self.h.trace
    }

    /// The API server (for reports and tests).
    pub fn api(&self) -> &ApiServer {
        &self.h.api
    }

    /// The runtime (for reports and tests).
    pub fn containerd(&self) -> &Containerd {
        &self.rt.containerd
    }

    /// The node (for reports and tests).
    pub fn node(&self) -> &Node {
        &self.h.node
    }

    /// Keeps the run's history (per pod spans of sandbox and container states, decisions, faults) for
    /// a report; costs a look at the runtime after every event.
    pub fn with_history(mut self) -> World {
        self.h.history = Some(crate::history::History::new(
            &self.h.scenario.name,
            &self.h.scenario.description,
            self.h.seed,
        ));
        self
    }

    /// Runs a broken variant of the kubelet instead (tests that the checker catches it).
    pub fn with_broken_kubelet(mut self, broken: crate::harness::BrokenKubelet) -> World {
        self.h.broken_kubelet = Some(broken);
        self
    }

    /// Keeps the kubelet's steps per pod (for comparing the run with one on containerd).
    pub fn with_steps(mut self) -> World {
        self.h.steps = Some(Default::default());
        self
    }

    /// Stops the run at the scenario's end: no liveness check past it (for comparing with a real
    /// runtime over the same wall-clock span).
    pub fn without_liveness(mut self) -> World {
        self.liveness = false;
        self
    }

    /// Judges no expectation: for a run cut short of the scenario's end, whose expectations speak of
    /// a time it does not reach (a comparison with a shorter real run).
    pub fn without_expectations(mut self) -> World {
        self.h.check_expectations = false;
        self.h.judge = None;
        self
    }

    /// Runs to the end of the scenario and judges the run.
    pub fn run(self) -> (Outcome, crate::trace::Trace) {
        let (outcome, trace, _) = self.run_full();
        (outcome, trace)
    }

    /// Like [`World::run`], also returning the history if [`World::with_history`] asked for it.
    pub fn run_full(mut self) -> (Outcome, crate::trace::Trace, Option<crate::history::History>) {
        let end = self.h.scenario.duration;
        let mut alive = self.run_until(end);
        self.h.now = end;
        let mut happenings = Vec::new();
        if let Some(mut judge) = self.h.judge.take() {
            let view = self.rt.runtime_view(&self.h.api, &self.h.node, &self.h.scenario.node);
            for v in judge.finish(&self.h.api, &view) {
                self.h.checker.record(v);
            }
            happenings = judge.into_happenings();
        }
        // What is reported is what was checked: the pods and Events at the end of the run, before any
        // extension.
        let pods = crate::report::pod_outcomes(&self.h.api, &self.rt.containerd, &self.h.node);
        self.h.api.expire_events(end);
        let kube_events: Vec<crate::events::EventRecord> = self.h.api.events().cloned().collect();
        let mut liveness = None;
        let mut liveness_checked = false;
        // Liveness, VOPR style: once the last fault has healed and the last change was made, every pod
        // must reach its desired state within the bound; the run goes on past its end if need be.
        let settled_from = self.h.last_heal.max(self.h.last_action);
        let bound = self.h.scenario.converge_within;
        if alive && self.liveness && !self.h.permanent_faults {
            let deadline = settled_from + bound;
            if deadline > self.h.now {
                alive = self.run_until(deadline);
                self.h.now = self.h.now.max(deadline);
            }
            if alive {
                liveness_checked = true;
                let before = self.h.checker.violations().len();
                let view = View {
                    api: &self.h.api,
                    containerd: &self.rt.containerd,
                    node: &self.h.node,
                    node_name: &self.h.scenario.node,
                };
                crate::checker::check_convergence(
                    &mut self.h.checker,
                    self.h.now,
                    settled_from,
                    bound,
                    &view,
                );
                liveness = Some(LivenessOutcome {
                    settled_at: settled_from,
                    checked_at: self.h.now,
                    extended: self.h.now > end,
                    converged: self.h.checker.violations().len() == before,
                    pods: crate::report::pod_outcomes(&self.h.api, &self.rt.containerd, &self.h.node),
                });
            }
        }
        let simulated = self.h.now;
        let violations = self.h.checker.take_violations();
        let probes = self.h.all_probes();
        self.h.trace_violations(&violations);
        let mut history = self.h.history.take();
        if let Some(h) = history.as_mut() {
            h.end = simulated;
            h.events = kube_events.clone();
            for v in &violations {
                h.violations.push(crate::history::ViolationMark {
                    t: v.t,
                    rule: format!("{:?}", v.rule),
                    detail: v.detail.clone(),
                    pod: v.pod.clone(),
                });
            }
        }
        let h = self.h;
        let outcome = Outcome {
            seed: h.seed,
            virtual_millis: simulated,
            events: h.events,
            faults: h.faults,
            last_heal: h.last_heal,
            violations,
            pods,
            expectations_checked: h.check_expectations,
            liveness_checked,
            liveness,
            happenings,
            applied_faults: h.applied_faults,
            starts: h.starts,
            kube_events,
            probes,
            steps: h.steps,
        };
        (outcome, h.trace, history)
    }

    /// Handles every event up to `until`; false if the run ran away (more than [`MAX_EVENTS`]).
    /// Runs the world's events up to virtual time `until` (the scenario's end is not enforced) and
    /// returns how many events ran: for benchmarks and tests that look at one stretch of a run.
    pub fn run_to(&mut self, until: Millis) -> u64 {
        let before = self.h.events;
        self.run_until(until);
        self.h.events - before
    }

    fn run_until(&mut self, until: Millis) -> bool {
        while let Some((at, event)) = self.h.pop_due(until) {
            self.h.judge_before(&self.rt, at);
            self.h.now = at;
            if !self.h.count_event() {
                return false;
            }
            self.h.dispatch(&mut self.rt, event);
            self.h.judge_after(&self.rt);
            if let Some(history) = self.h.history.as_mut() {
                history.observe(self.h.now, &self.rt.containerd);
            }
        }
        true
    }
}

impl Driver for SimRuntime {
    type Event = RuntimeTimer;
    type View<'a> = View<'a>;

    fn realises(&self, _kind: FaultKind) -> bool {
        true
    }

    fn containerd(&self) -> Option<&dyn crate::checker::RuntimeFacts> {
        Some(&self.containerd)
    }

    fn runtime_view<'a>(&'a self, api: &'a ApiServer, node: &'a Node, node_name: &'a str) -> View<'a> {
        View { api, containerd: &self.containerd, node, node_name }
    }

    /// The simulated containerd answers at once: its state changes now, and the reply reaches the
    /// kubelet after the delay it takes.
    fn cri_call(&mut self, h: &mut Harness<RuntimeTimer>, call: CallId, request: CriRequest) {
        let now = h.now;
        let running_before = self.running_ids_a_stop_may_end(&request);
        let outcome = self.containerd.handle(now, request.clone(), &mut self.timers);
        self.flush_timers(h);
        // Processes a stop ended at once (SIGKILL of a zero grace period or of a stopped sandbox).
        // Only the containers the stop names can end: a node of N pods runs O(N) containers, and a
        // stop must not cost O(N) lookups, let alone copies of every id (scenarios/scale/).
        let exits: Vec<(String, i32)> = running_before
            .iter()
            .filter(|id| !self.container_running(id))
            .map(|id| (id.to_string(), self.exit_code(id)))
            .collect();
        let before: BTreeSet<&str> = running_before.iter().map(SharedStr::as_str).collect();
        let was_running = |id: &str| before.contains(id);
        let answer = CriAnswer {
            asked: now,
            answered: now + outcome.delay,
            request: &request,
            reply: &outcome.reply,
            escalated: None,
        };
        h.cri_answered(self, answer, &was_running, &exits);
        let incarnation = h.incarnation;
        let input = Input::Cri { call, reply: outcome.reply };
        h.schedule(now + outcome.delay, Event::Kubelet { incarnation, input });
    }

    fn on_event(&mut self, h: &mut Harness<RuntimeTimer>, timer: RuntimeTimer) {
        let exiting = match &timer {
            RuntimeTimer::ProcessExit { container_id, .. } => Some(container_id.clone()),
            RuntimeTimer::PullDone { .. } => None,
        };
        let before = exiting.as_deref().map(|id| self.container_running(id));
        self.containerd.on_timer(h.now, timer, &mut self.timers);
        self.flush_timers(h);
        if let (Some(id), Some(true)) = (exiting, before) {
            if !self.container_running(&id) {
                h.container_exited(self, &id, self.exit_code(&id));
            }
        }
    }

    fn resolve(&mut self, h: &mut Harness<RuntimeTimer>, fault: Fault) -> Fault {
        let name_of = |uid: &str, api: &ApiServer| api.pod_by_uid(uid).map(|p| p.pod.full_name());
        match fault {
            Fault::ContainerCrash { pod, container, exit_code } => {
                match h.pick_container(self.running(), pod.as_deref(), container.as_deref()) {
                    Some(id) => {
                        let (pod, container) = self.container_names(&id);
                        Fault::ContainerCrash { pod, container, exit_code }
                    }
                    None => Fault::ContainerCrash { pod, container, exit_code },
                }
            }
            Fault::OomKill { pod, container } => {
                match h.pick_container(self.running(), pod.as_deref(), container.as_deref()) {
                    Some(id) => {
                        let (pod, container) = self.container_names(&id);
                        Fault::OomKill { pod, container }
                    }
                    None => Fault::OomKill { pod, container },
                }
            }
            Fault::ProbeFailure { pod, container, probes, duration } => {
                match h.pick_container(self.running(), pod.as_deref(), container.as_deref()) {
                    Some(id) => {
                        let (pod, container) = self.container_names(&id);
                        Fault::ProbeFailure { pod, container, probes, duration }
                    }
                    None => Fault::ProbeFailure { pod, container, probes, duration },
                }
            }
            Fault::PauseDeath { pod } => match self.pick_sandbox(h, pod.as_deref()) {
                Some(id) => {
                    let uid =
                        self.containerd.sandbox(&id).and_then(|s| s.pod.as_ref()).map(|p| p.uid.clone());
                    Fault::PauseDeath { pod: uid.and_then(|u| name_of(&u, &h.api)) }
                }
                None => Fault::PauseDeath { pod },
            },
            other => other,
        }
    }

    fn realise(&mut self, h: &mut Harness<RuntimeTimer>, fault: &Fault) {
        let now = h.now;
        match fault {
            Fault::ImagePullFailure { image, permanent, failures } => {
                let failure = if *permanent {
                    PullFailure::Permanent
                } else {
                    PullFailure::Transient { failures_left: *failures }
                };
                self.containerd.set_pull_failure(image, failure);
            }
            Fault::SlowPull { image, latency } => self.containerd.set_pull_latency(image, *latency),
            Fault::ContainerCrash { pod, container, exit_code } => {
                if let Some(id) = h.pick_container(self.running(), pod.as_deref(), container.as_deref()) {
                    if self.containerd.crash_container(now, &id, *exit_code) {
                        self.exited_by_fault(h, &id);
                    }
                }
            }
            Fault::OomKill { pod, container } => {
                if let Some(id) = h.pick_container(self.running(), pod.as_deref(), container.as_deref()) {
                    if self.containerd.oom_kill(now, &id) {
                        self.exited_by_fault(h, &id);
                    }
                }
            }
            Fault::ProbeFailure { pod, container, probes, duration } => {
                if let Some(id) = h.pick_container(self.running(), pod.as_deref(), container.as_deref()) {
                    let checks: Vec<_> = probes.iter().map(|p| p.check()).collect();
                    self.containerd.fail_checks(now, &id, &checks, *duration);
                }
            }
            Fault::PauseDeath { pod } => {
                if let Some(id) = self.pick_sandbox(h, pod.as_deref()) {
                    self.containerd.kill_pause(now, &id);
                }
            }
            Fault::ContainerdRestart { downtime } => self.containerd.restart(now, now + downtime),
            Fault::CriFailure { method, count, timeout } => {
                let until = now + TRANSIENT_FAULT_LIFETIME;
                self.containerd.fail_calls_until(*method, *count, *timeout, INJECTED_TIMEOUT, until);
            }
            Fault::NodeReboot { downtime } => {
                let view = self.runtime_view(&h.api, &h.node, &h.scenario.node);
                h.checker.on_reboot(now, &view);
                let running_before = self.running_ids();
                self.containerd.reboot(now, now + downtime);
                for id in running_before {
                    h.note_exit(&id, self.exit_code(&id));
                }
            }
            Fault::RemoveImage { image } => self.containerd.remove_image(image),
            _ => {}
        }
    }

    fn heal(&mut self, h: &mut Harness<RuntimeTimer>, heal: &Heal) -> String {
        match heal {
            Heal::PullsWork { image } => {
                let failure = match h.scenario.images.get(image).map(|i| i.failure) {
                    Some(PullFailureSpec::Permanent) => PullFailure::Permanent,
                    _ => PullFailure::None,
                };
                self.containerd.set_pull_failure(image, failure);
                format!("pulls of {image} work again")
            }
            Heal::PullLatency { image, latency } => {
                self.containerd.set_pull_latency(image, *latency);
                format!("pulls of {image} are fast again")
            }
            _ => String::new(),
        }
    }
}

impl SimRuntime {
    fn flush_timers(&mut self, h: &mut Harness<RuntimeTimer>) {
        for (at, timer) in self.timers.drain(..) {
            h.schedule(at, Event::Runtime(timer));
        }
    }

    /// The ids of the containers whose process runs.
    fn running_ids(&self) -> Vec<String> {
        self.containerd
            .containers()
            .filter(|c| c.status.state == podsim_model::ContainerState::Running)
            .map(|c| c.status.id.to_string())
            .collect()
    }

    /// The running containers a CRI call can end at once, and whose state before the call the
    /// happening log asks about: the one a `StopContainer` names; for a `StopPodSandbox`, those of the
    /// sandbox's pod (containerd SIGKILLs the sandbox's; the log asks about all of the pod's). No other
    /// call ends a process, so every other container's state before the call is its state after it.
    fn running_ids_a_stop_may_end(&self, request: &CriRequest) -> Vec<SharedStr> {
        let running = |c: &&ContainerRecord| c.status.state == podsim_model::ContainerState::Running;
        match request {
            CriRequest::StopContainer { container_id, .. } => self
                .containerd
                .container(container_id)
                .filter(running)
                .map(|c| c.status.id.clone())
                .into_iter()
                .collect(),
            CriRequest::StopPodSandbox { sandbox_id } => {
                // A sandbox no kubelet made (no pod label): its own containers.
                let uid = self.containerd.sandbox(sandbox_id).and_then(|s| s.pod.as_ref()).map(|p| &p.uid);
                let affected = |c: &ContainerRecord| match uid {
                    Some(uid) => c.pod.as_ref().is_some_and(|p| p.uid == *uid),
                    None => c.status.sandbox_id == *sandbox_id,
                };
                self.containerd
                    .containers()
                    .filter(|c| affected(c))
                    .filter(running)
                    .map(|c| c.status.id.clone())
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// Whether the container with this id runs (found through the runtime's index).
    fn container_running(&self, id: &str) -> bool {
        self.containerd.container(id).is_some_and(|c| c.status.state == podsim_model::ContainerState::Running)
    }

    /// A container's exit code as the runtime has it.
    fn exit_code(&self, id: &str) -> i32 {
        self.containerd.container(id).map_or(0, |c| c.status.exit_code)
    }

    /// A fault ended a container's process.
    fn exited_by_fault(&self, h: &mut Harness<RuntimeTimer>, id: &str) {
        h.note_exit(id, self.exit_code(id));
        let view = self.runtime_view(&h.api, &h.node, &h.scenario.node);
        h.checker.on_exit(h.now, id, &view);
    }

    fn container_names(&self, id: &str) -> (Option<String>, Option<String>) {
        match self.containerd.container(id) {
            Some(c) => (
                c.pod.as_ref().map(|p| format!("{}/{}", p.namespace, p.name)),
                Some(c.status.name.to_string()),
            ),
            None => (None, None),
        }
    }

    /// The containers whose process runs, with their pods (fault targets).
    fn running(&self) -> impl Iterator<Item = (Option<&PodRef>, &ContainerStatus)> {
        let runs = |c: &&ContainerRecord| c.status.state == podsim_model::ContainerState::Running;
        self.containerd.containers().filter(runs).map(|c| (c.pod.as_ref(), &c.status))
    }

    /// A ready sandbox of a kubelet pod: the named pod's, or one drawn from the seed.
    fn pick_sandbox(&self, h: &mut Harness<RuntimeTimer>, pod: Option<&str>) -> Option<String> {
        let uid = pod.and_then(|p| h.pod_uid(p));
        let candidates: Vec<String> = self
            .containerd
            .sandboxes()
            .filter(|s| s.status.state == SandboxState::Ready)
            .filter(|s| s.pod.as_ref().is_some_and(|p| uid.as_ref().is_none_or(|u| *u == p.uid)))
            .map(|s| s.status.id.to_string())
            .collect();
        h.pick_target(&candidates, pod.is_some())
    }
}

/// The scenario's registry: every image a pull can find, with how its pulls behave.
fn registry(scenario: &Scenario) -> BTreeMap<String, RegistryImage> {
    scenario
        .images
        .iter()
        .map(|(name, spec)| {
            let failure = match spec.failure {
                PullFailureSpec::None => PullFailure::None,
                PullFailureSpec::Permanent => PullFailure::Permanent,
                PullFailureSpec::Transient(n) => PullFailure::Transient { failures_left: n },
            };
            (
                name.clone(),
                RegistryImage { pull_latency: spec.pull_latency, failure, workload: spec.workload },
            )
        })
        .collect()
}

/// The random faults of a run: the scenario's profile (or a default one when it has none), drawn
/// from the seed, when `random_faults`.
fn draw_faults(scenario: &Scenario, random_faults: bool, rng: &mut SimRng) -> DrawnFaults {
    match (&scenario.random_faults, random_faults) {
        (_, false) => DrawnFaults { kinds: Vec::new(), schedule: Vec::new() },
        (Some(profile), true) => {
            let mut profile = profile.clone();
            if profile.until.is_none() {
                profile.until = Some(default_fault_window(scenario));
            }
            profile.draw(&FaultKind::ALL, scenario.duration, rng)
        }
        (None, true) => {
            let profile = crate::faults::FaultProfile {
                kinds: Vec::new(),
                per_minute: 2.0,
                until: Some(default_fault_window(scenario)),
            };
            profile.draw(&FaultKind::ALL, scenario.duration, rng)
        }
    }
}

/// The default window for random faults: the run less the liveness bound and a minute of heal time.
fn default_fault_window(scenario: &Scenario) -> Millis {
    let rest = scenario.duration.saturating_sub(scenario.converge_within + 60_000);
    if rest > 0 {
        rest
    } else {
        scenario.duration * 4 / 10
    }
}

/// The sandboxes and containers an earlier kubelet left (`node.runtime`), in the runtime before the
/// kubelet's first relist.
fn preset_runtime(
    containerd: &mut Containerd,
    scenario: &Scenario,
    timers: &mut Vec<(Millis, RuntimeTimer)>,
) {
    let setup = &scenario.node_setup;
    for s in &setup.sandboxes {
        containerd.add_preset_sandbox(0, &s.id, s.pod.clone(), s.attempt, s.ready);
    }
    for c in &setup.containers {
        // A container's image is on the node: it was pulled for it.
        containerd.preload(&c.image);
        let timeline = &scenario.timeline;
        let (command, args) = c.command(timeline);
        let state = match c.state {
            PresetState::Created => podsim_model::ContainerState::Created,
            PresetState::Running => podsim_model::ContainerState::Running,
            PresetState::Exited => podsim_model::ContainerState::Exited,
        };
        let preset = crate::containerd::PresetContainer {
            id: c.id.clone(),
            pod: c.pod.clone(),
            name: c.name.clone(),
            kind: c.kind(timeline),
            image: c.image.clone(),
            hash: c.hash_value(timeline),
            restart_count: c.restart_count,
            sandbox_id: c.sandbox.clone(),
            state,
            exit_code: c.exit_code,
            workload: containerd.workload_for(&c.image, &command, &args),
        };
        containerd.add_preset_container(0, preset, timers);
    }
}
