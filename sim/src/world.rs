//! The world: one event queue ordered by (virtual time, sequence number), a clock that jumps to the
//! next event, one seeded rng, and the components — the kubelet model, the API server over etcd, the
//! simulated containerd and the node — whose messages it delivers, with the network between the
//! kubelet and the API server, faults, the checker and the trace.
//!
//! The kubelet's contract (see `podsim_model::io`): one reply per request. The world keeps it: a
//! request lost in a partition, or a reply that would come later than the client's timeout, is
//! answered with an error at the timeout instead.

use std::collections::BTreeMap;

use podsim_model::backoff::Jitter;
use podsim_model::coverage::Probes;
use podsim_model::io::{
    ApiError, ApiReply, ApiRequest, CallId, CriReply, CriRequest, Decision, Input, NodeRequest, Output,
    Timer, WatchEvent,
};
use podsim_model::{Kubelet, Millis, SandboxState};

use crate::apiserver::ApiServer;
use crate::checker::{Checker, View};
use crate::containerd::{Containerd, CriMethod, PullFailure, RegistryImage, RuntimeTimer};
use crate::expect::Judge;
use crate::faults::{Direction, DrawnFaults, Fault, FaultKind};
use crate::link::Link;
use crate::node::Node;
use crate::node_setup::PresetState;
use crate::rng::SimRng;
use crate::scenario::{split_name, Action, PullFailureSpec, Scenario};
use crate::trace::{Trace, TraceKind};

/// What the checker sees of the world (a macro, so that the checker's own field stays borrowable).
macro_rules! view {
    ($w:expr) => {
        View { api: &$w.api, containerd: &$w.containerd, node: &$w.node, node_name: &$w.scenario.node }
    };
}

pub use crate::link::BASE_LATENCY;
/// How long the kubelet's API client waits for a reply.
pub const API_TIMEOUT: Millis = 5_000;
/// How long the kubelet takes to notice that its watch connection broke.
pub const WATCH_BREAK_DETECTION: Millis = 5_000;
/// The API server compacts etcd this often, keeping this many revisions.
pub const COMPACTION_INTERVAL: Millis = 5 * 60_000;
/// Revisions kept by the periodic compaction.
pub const COMPACTION_KEEP: u64 = 1_000;
/// Transient faults counted in uses (injected CRI failures, failing pulls) also expire after this,
/// so that every random fault ends by a known time.
pub const TRANSIENT_FAULT_LIFETIME: Millis = 60_000;
/// The run stops early with a violation past this many events (a livelock guard).
pub const MAX_EVENTS: u64 = 5_000_000;

/// Something that happens at a time.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
enum Event {
    /// An input for the kubelet process of this incarnation.
    Kubelet { incarnation: u32, input: Input },
    /// A kubelet request reaches the API server.
    ApiArrive { incarnation: u32, call: CallId, request: ApiRequest },
    /// The kubelet's API client gives up waiting.
    ApiTimeout { incarnation: u32, call: CallId },
    /// containerd wakes up.
    Runtime(RuntimeTimer),
    /// The next timeline action.
    Timeline(usize),
    /// A random fault of this kind fires (its target drawn now).
    RandomFault(FaultKind),
    /// A fault heals.
    Heal(Heal),
    /// The kubelet process starts again.
    KubeletBoot,
    /// The API server's periodic compaction.
    Compact,
}

/// How often a heal that the API server refused (etcd down) is tried again.
const HEAL_RETRY_INTERVAL: Millis = 1_000;
/// A heal is tried at most this many more times (etcd faults are far shorter than 600 s).
const MAX_HEAL_RETRIES: u32 = 600;

#[derive(Clone, Debug)]
enum Heal {
    Partition,
    Latency,
    EtcdAvailable,
    /// The Secret is created again; `attempt` counts tries made while etcd was down.
    SecretBack {
        namespace: String,
        name: String,
        attempt: u32,
    },
    PullsWork {
        image: String,
    },
    PullLatency {
        image: String,
        latency: Millis,
    },
    /// A fault of this kind ends (told in the trace as the text).
    Label(FaultKind, &'static str),
}

impl Heal {
    /// The kind of fault that ends.
    fn fault_kind(&self) -> FaultKind {
        match self {
            Heal::Partition => FaultKind::Partition,
            Heal::Latency => FaultKind::Latency,
            Heal::EtcdAvailable => FaultKind::EtcdUnavailable,
            Heal::SecretBack { .. } => FaultKind::SecretMissing,
            Heal::PullsWork { .. } => FaultKind::ImagePullFailure,
            Heal::PullLatency { .. } => FaultKind::SlowPull,
            Heal::Label(kind, _) => *kind,
        }
    }
}

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

/// A run of one scenario with one seed.
pub struct World {
    now: Millis,
    seq: u64,
    queue: BTreeMap<(Millis, u64), Event>,
    rng: SimRng,
    seed: u64,
    scenario: Scenario,
    kubelet: Option<Kubelet>,
    incarnation: u32,
    api: ApiServer,
    containerd: Containerd,
    node: Node,
    link: Link,
    etcd_down_until: Millis,
    /// Requests awaiting a reply: their incarnation.
    pending_api: BTreeMap<CallId, u32>,
    trace: Trace,
    checker: Checker,
    last_heal: Millis,
    last_action: Millis,
    permanent_faults: bool,
    /// Whether the scenario's expectations hold in this run (not when random faults were added to a
    /// scenario written without them).
    check_expectations: bool,
    liveness_checked: bool,
    applied_faults: Vec<(Millis, Fault)>,
    /// GetSecret requests in flight, to tell the checker what the kubelet learnt.
    secret_calls: BTreeMap<CallId, (String, String)>,
    /// Retries of timeline entries that failed while the API server was down.
    retries: BTreeMap<usize, u32>,
    faults: u64,
    events: u64,
    drawn: DrawnFaults,
    timers: Vec<(Millis, RuntimeTimer)>,
    outputs: Vec<Output>,
    /// The run's history for a report (kept only when asked for).
    history: Option<crate::history::History>,
    /// Every sandbox and container start, in order.
    starts: crate::report::StartLog,
    /// Whether the run goes on past its end to check liveness.
    liveness: bool,
    /// The scenario's expectations, judged as the run goes (when they are checked).
    judge: Option<Judge>,
    /// The probes reached by the kubelets that crashed (each restart starts a new one at zero).
    probes: Probes,
}

impl World {
    /// A world for `scenario` with `seed`; `random_faults` enables the scenario's random-fault
    /// profile (or a default one when it has none); `trace` keeps the trace.
    pub fn new(scenario: &Scenario, seed: u64, random_faults: bool, trace: bool) -> World {
        let mut rng = SimRng::new(seed);
        let registry: BTreeMap<String, RegistryImage> = scenario
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
            .collect();
        let mut containerd = Containerd::new(registry);
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
        let mut api = ApiServer::new();
        for (ns, name) in &scenario.secrets {
            let _ = api.create_secret(ns, name);
        }
        for (ns, name) in &scenario.config_maps {
            let _ = api.create_config_map(ns, name);
        }
        let drawn = match (&scenario.random_faults, random_faults) {
            (_, false) => DrawnFaults { kinds: Vec::new(), schedule: Vec::new() },
            (Some(profile), true) => {
                let mut profile = profile.clone();
                if profile.until.is_none() {
                    profile.until = Some(default_fault_window(scenario));
                }
                profile.draw(&FaultKind::ALL, scenario.duration, &mut rng)
            }
            (None, true) => {
                let profile = crate::faults::FaultProfile {
                    kinds: Vec::new(),
                    per_minute: 2.0,
                    until: Some(default_fault_window(scenario)),
                };
                profile.draw(&FaultKind::ALL, scenario.duration, &mut rng)
            }
        };
        let permanent_faults =
            scenario.timeline.iter().any(|(_, a)| matches!(a, Action::Fault(f) if f.is_permanent()))
                || scenario.images.values().any(|i| i.failure == PullFailureSpec::Permanent);
        let mut w = World {
            now: 0,
            seq: 0,
            queue: BTreeMap::new(),
            rng,
            seed,
            scenario: scenario.clone(),
            kubelet: None,
            incarnation: 0,
            api,
            containerd,
            node: Node::new(),
            link: Link::new(),
            etcd_down_until: 0,
            pending_api: BTreeMap::new(),
            trace: Trace::new(trace),
            checker: Checker::with_restart_backoff(
                &scenario.node,
                scenario.kubelet_config().restart_backoff(),
            ),
            last_heal: 0,
            last_action: 0,
            permanent_faults,
            check_expectations: !random_faults || scenario.random_faults.is_some(),
            liveness_checked: false,
            probes: Probes::new(),
            applied_faults: Vec::new(),
            retries: BTreeMap::new(),
            secret_calls: BTreeMap::new(),
            faults: 0,
            events: 0,
            drawn,
            timers: Vec::new(),
            outputs: Vec::new(),
            history: None,
            starts: crate::report::StartLog::default(),
            liveness: true,
            judge: (!random_faults || scenario.random_faults.is_some())
                .then(|| Judge::new(&scenario.expect, scenario.duration)),
        };
        for (i, (at, _)) in scenario.timeline.iter().enumerate() {
            w.schedule(*at, Event::Timeline(i));
        }
        for (at, kind) in w.drawn.schedule.clone() {
            w.schedule(at, Event::RandomFault(kind));
        }
        for (at, timer) in preset_timers {
            w.schedule(at, Event::Runtime(timer));
        }
        preset_node(&mut w.node, &scenario.node_setup);
        w.schedule(0, Event::KubeletBoot);
        w.schedule(COMPACTION_INTERVAL, Event::Compact);
        w
    }

    fn schedule(&mut self, at: Millis, event: Event) {
        self.seq += 1;
        self.queue.insert((at.max(self.now), self.seq), event);
    }

    /// The fault kinds this seed's swarm enabled.
    pub fn swarm(&self) -> &[FaultKind] {
        &self.drawn.kinds
    }

    /// The trace so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The API server (for reports and tests).
    pub fn api(&self) -> &ApiServer {
        &self.api
    }

    /// The runtime (for reports and tests).
    pub fn containerd(&self) -> &Containerd {
        &self.containerd
    }

    /// The node (for reports and tests).
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Keeps the run's history (per pod spans of sandbox and container states, decisions, faults) for
    /// a report; costs a look at the runtime after every event.
    pub fn with_history(mut self) -> World {
        self.history =
            Some(crate::history::History::new(&self.scenario.name, &self.scenario.description, self.seed));
        self
    }

    /// Stops the run at the scenario's end: no liveness check past it (for comparing with a real
    /// runtime over the same wall-clock span).
    pub fn without_liveness(mut self) -> World {
        self.liveness = false;
        self
    }

    /// Runs to the end of the scenario and judges the run.
    pub fn run(self) -> (Outcome, Trace) {
        let (outcome, trace, _) = self.run_full();
        (outcome, trace)
    }

    /// Like [`World::run`], also returning the history if [`World::with_history`] asked for it.
    pub fn run_full(mut self) -> (Outcome, Trace, Option<crate::history::History>) {
        let end = self.scenario.duration;
        let mut alive = self.run_until(end);
        self.now = end;
        let mut happenings = Vec::new();
        if let Some(mut judge) = self.judge.take() {
            for v in judge.finish(&self.api, &view!(self)) {
                self.checker.record(v);
            }
            happenings = judge.happenings();
        }
        // What is reported is what was checked: the pods and Events at the end of the run, before any
        // extension.
        let pods = crate::report::pod_outcomes(&self.api, &self.containerd, &self.node);
        self.api.expire_events(end);
        let kube_events: Vec<crate::events::EventRecord> = self.api.events().cloned().collect();
        let mut liveness = None;
        // Liveness, VOPR style: once the last fault has healed and the last change was made, every pod
        // must reach its desired state within the bound; the run goes on past its end if need be.
        let settled_from = self.last_heal.max(self.last_action);
        let bound = self.scenario.converge_within;
        if alive && self.liveness && !self.permanent_faults {
            let deadline = settled_from + bound;
            if deadline > self.now {
                alive = self.run_until(deadline);
                self.now = self.now.max(deadline);
            }
            if alive {
                self.liveness_checked = true;
                let before = self.checker.violations().len();
                crate::checker::check_convergence(
                    &mut self.checker,
                    self.now,
                    settled_from,
                    bound,
                    &view!(self),
                );
                liveness = Some(LivenessOutcome {
                    settled_at: settled_from,
                    checked_at: self.now,
                    extended: self.now > end,
                    converged: self.checker.violations().len() == before,
                    pods: crate::report::pod_outcomes(&self.api, &self.containerd, &self.node),
                });
            }
        }
        let simulated = self.now;
        let violations = self.checker.take_violations();
        let mut probes = self.probes;
        if let Some(kubelet) = &self.kubelet {
            probes.add(&kubelet.probes());
        }
        for v in &violations {
            let text = format!("{:?}: {}", v.rule, v.detail);
            self.trace.record(v.t, TraceKind::Violation, || text);
        }
        let mut history = self.history.take();
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
        let outcome = Outcome {
            seed: self.seed,
            virtual_millis: simulated,
            events: self.events,
            faults: self.faults,
            last_heal: self.last_heal,
            violations,
            pods,
            expectations_checked: self.check_expectations,
            liveness_checked: self.liveness_checked,
            liveness,
            happenings,
            applied_faults: std::mem::take(&mut self.applied_faults),
            starts: std::mem::take(&mut self.starts),
            kube_events,
            probes,
        };
        (outcome, self.trace, history)
    }

    fn dispatch(&mut self, event: Event) {
        match event {
            Event::Kubelet { incarnation, input } => {
                if incarnation == self.incarnation && self.kubelet.is_some() {
                    if let Input::Api { call, .. } = &input {
                        if self.pending_api.remove(call).is_none() {
                            // Its timeout already answered it.
                            return;
                        }
                    }
                    self.deliver(input);
                }
            }
            Event::ApiArrive { incarnation, call, request } => self.api_arrive(incarnation, call, request),
            Event::ApiTimeout { incarnation, call } => {
                if incarnation == self.incarnation && self.pending_api.remove(&call).is_some() {
                    self.trace.record(self.now, TraceKind::Api, || format!("call {} timed out", call.0));
                    self.deliver(Input::Api { call, reply: ApiReply::Err(ApiError::Unavailable) });
                }
            }
            Event::Runtime(timer) => {
                let exiting = match &timer {
                    RuntimeTimer::ProcessExit { container_id, .. } => Some(container_id.clone()),
                    RuntimeTimer::PullDone { .. } => None,
                };
                let before = exiting.as_deref().map(|id| self.container_running(id));
                self.containerd.on_timer(self.now, timer, &mut self.timers);
                self.flush_runtime_timers();
                if let (Some(id), Some(true)) = (exiting, before) {
                    if !self.container_running(&id) {
                        self.note_exit(&id);
                        self.trace.record(self.now, TraceKind::Runtime, || format!("container {id} exited"));
                        self.checker.on_exit(self.now, &id, &view!(self));
                    }
                }
            }
            Event::Timeline(i) => {
                self.last_action = self.last_action.max(self.now);
                self.apply_action(i);
            }
            Event::RandomFault(kind) => {
                if let Some(fault) = self.draw_fault(kind) {
                    self.apply_fault(fault);
                }
            }
            Event::Heal(heal) => self.heal(heal),
            Event::KubeletBoot => {
                self.incarnation += 1;
                self.kubelet = Some(Kubelet::new(self.scenario.kubelet_config()));
                self.checker.on_kubelet_start();
                self.trace.record(self.now, TraceKind::Kubelet, || "kubelet started".into());
                self.deliver(Input::Start);
            }
            Event::Compact => {
                self.api.compact_keep(COMPACTION_KEEP);
                self.schedule(self.now + COMPACTION_INTERVAL, Event::Compact);
            }
        }
    }

    /// The ids of the containers whose process runs.
    fn running_ids(&self) -> Vec<String> {
        self.containerd
            .containers()
            .filter(|c| c.status.state == podsim_model::ContainerState::Running)
            .map(|c| c.status.id.clone())
            .collect()
    }

    /// Records that a container's process ended (its exit code as the runtime has it).
    fn note_exit(&mut self, id: &str) {
        let code = self.containerd.container(id).map_or(0, |c| c.status.exit_code);
        if let Some(judge) = self.judge.as_mut() {
            judge.log().on_exit(self.now, id, code);
        }
    }

    fn container_running(&self, id: &str) -> bool {
        self.containerd
            .containers()
            .any(|c| c.status.id == id && c.status.state == podsim_model::ContainerState::Running)
    }

    /// Hands an input to the kubelet and carries out what it asks.
    fn deliver(&mut self, input: Input) {
        if self.kubelet.is_none() {
            return;
        }
        // What the kubelet is shown, the checker notes: its rules judge the kubelet on what it knew.
        match &input {
            Input::Api { reply: ApiReply::Pod(p), .. }
            | Input::WatchEvent { event: WatchEvent::Upserted(p), .. } => {
                self.checker.on_kubelet_saw_pod(self.now, p)
            }
            Input::Api { reply: ApiReply::PodList { pods, .. }, .. } => {
                for p in pods {
                    self.checker.on_kubelet_saw_pod(self.now, p);
                }
            }
            Input::Api { call, reply } => {
                if let Some((ns, name)) = self.secret_calls.remove(call) {
                    if let ApiReply::SecretList { exists, .. } = reply {
                        self.checker.on_kubelet_saw_secret(&ns, &name, *exists);
                    }
                }
            }
            Input::SecretEvent { namespace, name, exists, .. } => {
                self.checker.on_kubelet_saw_secret(namespace, name, *exists)
            }
            _ => {}
        }
        let Some(kubelet) = self.kubelet.as_mut() else { return };
        if self.trace.enabled() {
            match &input {
                Input::WatchEvent { event, resource_version } => {
                    let text = match event {
                        WatchEvent::Upserted(p) => {
                            format!("watch rv {resource_version}: upserted {}", p.full_name())
                        }
                        WatchEvent::Deleted(p) => {
                            format!("watch rv {resource_version}: deleted {}", p.full_name())
                        }
                    };
                    self.trace.record(self.now, TraceKind::Watch, || text);
                }
                Input::WatchClosed { gone } => {
                    self.trace.record(self.now, TraceKind::Watch, || format!("watch closed (gone: {gone})"))
                }
                Input::SecretEvent { namespace, name, exists, resource_version } => {
                    let what = if *exists { "exists" } else { "deleted" };
                    let text = format!("watch rv {resource_version}: secret {namespace}/{name} {what}");
                    self.trace.record(self.now, TraceKind::Watch, || text);
                }
                Input::SecretWatchClosed { namespace, name, gone } => {
                    let text = format!("watch of secret {namespace}/{name} closed (gone: {gone})");
                    self.trace.record(self.now, TraceKind::Watch, || text);
                }
                _ => {}
            }
        }
        let mut outputs = std::mem::take(&mut self.outputs);
        kubelet.handle_into(self.now, input, &mut outputs);
        for output in outputs.drain(..) {
            self.carry_out(output);
        }
        self.outputs = outputs;
    }

    fn carry_out(&mut self, output: Output) {
        let incarnation = self.incarnation;
        match output {
            Output::SetTimer { at, timer } => {
                self.schedule(at, Event::Kubelet { incarnation, input: Input::Timer(timer) });
            }
            Output::SetJitteredTimer { delay, jitter, timer } => {
                if let (Some(judge), Timer::PodSync { pod_uid, .. }) = (self.judge.as_mut(), &timer) {
                    judge.log().on_sync(self.now, pod_uid);
                }
                // The world draws the kubelet's jitter (`wait.Jitter`) from its one rng.
                let extra = self.rng.below(jitter.max_extra(delay));
                if self.trace.enabled() {
                    let text = describe_jittered_timer(&timer, delay, jitter, extra);
                    self.trace.record(self.now, TraceKind::Kubelet, || text);
                }
                let at = self.now + delay + extra;
                self.schedule(at, Event::Kubelet { incarnation, input: Input::Timer(timer) });
            }
            Output::SetRandomTimer { within, timer } => {
                // The world draws the kubelet's `sleepDuration * rand.Float64()` from its one rng.
                let at = self.now + self.rng.below(within);
                self.schedule(at, Event::Kubelet { incarnation, input: Input::Timer(timer) });
            }
            // What reaches the API server is traced there (the sink's writes).
            Output::Event(_) => {}
            Output::Decision(d) => {
                if let (Some(judge), Decision::Planned { pod_uid, .. }) = (self.judge.as_mut(), &d) {
                    judge.log().on_plan(self.now, pod_uid);
                }
                if let Some(h) = self.history.as_mut() {
                    let uid = match &d {
                        Decision::Planned { pod_uid, .. }
                        | Decision::NotStarted { pod_uid, .. }
                        | Decision::Worker { pod_uid, .. }
                        | Decision::SyncFailed { pod_uid, .. } => pod_uid.clone(),
                    };
                    h.decision(self.now, &uid, describe_decision(&d));
                }
                if self.trace.enabled() {
                    let text = describe_decision(&d);
                    self.trace.record(self.now, TraceKind::Decision, || text);
                }
            }
            Output::Api { call, request } => {
                self.pending_api.insert(call, incarnation);
                if let ApiRequest::ListSecret { namespace, name } = &request {
                    self.secret_calls.insert(call, (namespace.clone(), name.clone()));
                }
                self.schedule(self.now + API_TIMEOUT, Event::ApiTimeout { incarnation, call });
                if self.blocked(Direction::ToApiServer) {
                    self.trace.record(self.now, TraceKind::Api, || {
                        format!("{} lost in a partition", short_api(&request))
                    });
                    return;
                }
                let at = self.now + self.latency();
                self.schedule(at, Event::ApiArrive { incarnation, call, request });
            }
            Output::Node { call, request } => {
                let reply = self.node.handle(self.now, &request);
                self.trace
                    .record(self.now, TraceKind::Node, || format!("{} -> {reply:?}", short_node(&request)));
                self.schedule(self.now, Event::Kubelet { incarnation, input: Input::Node { call, reply } });
            }
            Output::Cri { call, request } => {
                self.checker.before_cri(self.now, &request, &view!(self));
                let stopping =
                    matches!(request, CriRequest::StopContainer { .. } | CriRequest::StopPodSandbox { .. });
                let running_before: Vec<String> = if stopping { self.running_ids() } else { Vec::new() };
                let outcome = self.containerd.handle(self.now, request.clone(), &mut self.timers);
                self.flush_runtime_timers();
                if let Some(judge) = self.judge.as_mut() {
                    let was_running = |id: &str| running_before.iter().any(|r| r == id);
                    judge.log().on_cri(
                        self.now,
                        self.now + outcome.delay,
                        &request,
                        &outcome.reply,
                        &was_running,
                    );
                }
                // Processes a stop ended at once (SIGKILL of a zero grace period or of a stopped sandbox).
                for id in running_before {
                    if !self.container_running(&id) {
                        self.note_exit(&id);
                    }
                }
                self.checker.after_cri(self.now, &request, &outcome.reply, &view!(self));
                self.starts.on_cri(self.now + outcome.delay, &request, &outcome.reply);
                if self.trace.enabled() {
                    let text = format!("{} -> {}", short_cri(&request), short_cri_reply(&outcome.reply));
                    self.trace.record(self.now, TraceKind::Cri, || text);
                }
                let at = self.now + outcome.delay;
                self.schedule(
                    at,
                    Event::Kubelet { incarnation, input: Input::Cri { call, reply: outcome.reply } },
                );
            }
        }
    }

    fn flush_runtime_timers(&mut self) {
        let timers = std::mem::take(&mut self.timers);
        for (at, timer) in timers {
            self.schedule(at, Event::Runtime(timer));
        }
    }

    fn latency(&self) -> Millis {
        self.link.latency(self.now)
    }

    fn blocked(&self, way: Direction) -> bool {
        self.link.blocked(way)
    }

    fn api_arrive(&mut self, incarnation: u32, call: CallId, request: ApiRequest) {
        let releasing = match &request {
            ApiRequest::DeletePod { pod } => Some(pod.uid.clone()),
            _ => None,
        };
        let short = if self.trace.enabled() { short_api(&request) } else { String::new() };
        let event_name = written_event(&request);
        let reply = self.api.handle(self.now, request);
        self.trace.record(self.now, TraceKind::Api, || format!("{short} -> {}", short_api_reply(&reply)));
        if let (Some((namespace, name)), ApiReply::Ok) = (event_name, &reply) {
            if let Some(e) = self.api.event(&namespace, &name) {
                if let Some(judge) = self.judge.as_mut() {
                    judge.log().on_event(
                        self.now,
                        &e.namespace,
                        &e.pod_name,
                        e.container.as_deref(),
                        &e.reason,
                    );
                }
                self.trace.record(self.now, TraceKind::Event, || e.describe());
            }
        }
        if let (Some(uid), ApiReply::Ok) = (releasing, &reply) {
            if let Some(judge) = self.judge.as_mut() {
                judge.log().on_release(self.now, &uid);
            }
            self.checker.on_release(self.now, &uid, &view!(self));
        }
        self.flush_watch();
        if incarnation != self.incarnation {
            return;
        }
        if self.blocked(Direction::FromApiServer) {
            return;
        }
        let at = self.link.arrival_from_api(self.now, 0);
        self.schedule(at, Event::Kubelet { incarnation, input: Input::Api { call, reply } });
    }

    /// Sends the watch events the API server has for the kubelet, its pods' and its Secrets' (or
    /// breaks the watches in a partition).
    fn flush_watch(&mut self) {
        let events = self.api.take_watch_events();
        for (event, _) in &events {
            if let WatchEvent::Upserted(p) = event {
                self.checker.on_spec(self.now, p);
            }
        }
        let secret_events = self.api.take_secret_events();
        let incarnation = self.incarnation;
        for (namespace, name) in self.api.take_ended_secret_watches() {
            let input = Input::SecretWatchClosed { namespace, name, gone: true };
            let at = self.link.arrival_from_api(self.now, BASE_LATENCY);
            self.schedule(at, Event::Kubelet { incarnation, input });
        }
        if events.is_empty() && secret_events.is_empty() {
            return;
        }
        if self.blocked(Direction::FromApiServer) {
            self.break_watch(WATCH_BREAK_DETECTION);
            return;
        }
        let at = self.link.arrival_from_api(self.now, 0);
        for (event, resource_version) in events {
            self.schedule(
                at,
                Event::Kubelet { incarnation, input: Input::WatchEvent { event, resource_version } },
            );
        }
        for (namespace, name, exists, resource_version) in secret_events {
            let input = Input::SecretEvent { namespace, name, exists, resource_version };
            self.schedule(at, Event::Kubelet { incarnation, input });
        }
    }

    /// Every watch of the kubelet breaks (they share its connection); it notices after `detection`.
    fn break_watch(&mut self, detection: Millis) {
        let incarnation = self.incarnation;
        let at = self.link.arrival_from_api(self.now, detection);
        if self.api.close_watch() {
            self.schedule(at, Event::Kubelet { incarnation, input: Input::WatchClosed { gone: false } });
        }
        for (namespace, name) in self.api.close_secret_watches() {
            let input = Input::SecretWatchClosed { namespace, name, gone: false };
            self.schedule(at, Event::Kubelet { incarnation, input });
        }
    }

    // ---- the timeline ------------------------------------------------------------------------------

    /// Carries out timeline entry `index`. A user's request that fails because the API server or
    /// etcd is down is retried every second, as kubectl users and controllers do (at most 600 times).
    fn apply_action(&mut self, index: usize) {
        let action = self.scenario.timeline[index].1.clone();
        if self.trace.enabled() {
            let text = describe_action(&action);
            self.trace.record(self.now, TraceKind::Timeline, || text);
        }
        let result = match action.clone() {
            Action::CreatePod(pod) => {
                self.checker.on_spec(self.now, &pod);
                self.api.create_pod(self.now, pod).map(|_| ())
            }
            Action::UpdatePod(new) => {
                let now = self.now;
                let stored = self.api.update_pod(now, &new.namespace, &new.name, |p| {
                    let node = p.spec.node_name.clone();
                    p.spec = new.spec.clone();
                    p.spec.node_name = node;
                });
                if let Ok(p) = &stored {
                    self.checker.on_spec(now, p);
                }
                stored.map(|_| ())
            }
            Action::DeletePod { namespace, name, grace_seconds } => {
                self.api.delete_pod(self.now, &namespace, &name, grace_seconds)
            }
            Action::CreateSecret { namespace, name } => self.api.create_secret(&namespace, &name),
            Action::DeleteSecret { namespace, name } => self.api.delete_secret(&namespace, &name),
            Action::Fault(fault) => {
                self.apply_fault(fault);
                Ok(())
            }
        };
        if let (Ok(()), Some(judge)) = (&result, self.judge.as_mut()) {
            judge.log().on_action(self.now, &action);
        }
        if let Err(e) = result {
            self.trace.record(self.now, TraceKind::Timeline, || format!("failed: {e:?}"));
            let attempts = self.retries.entry(index).or_insert(0);
            *attempts += 1;
            if e == ApiError::Unavailable && *attempts <= 600 {
                self.last_action = self.last_action.max(self.now + 1_000);
                self.schedule(self.now + 1_000, Event::Timeline(index));
            }
        }
        self.flush_watch();
    }

    // ---- faults --------------------------------------------------------------------------------------

    fn heal_at(&mut self, at: Millis, heal: Heal) {
        self.last_heal = self.last_heal.max(at);
        self.schedule(at, Event::Heal(heal));
    }

    fn apply_fault(&mut self, fault: Fault) {
        let resolved = self.resolve_targets(fault);
        self.applied_faults.push((self.now, resolved.clone()));
        if let Some(h) = self.history.as_mut() {
            h.faults.push(crate::history::FaultSpan {
                kind: format!("{:?}", resolved.kind()),
                text: serde_json::to_string(&resolved).unwrap_or_default(),
                from: self.now,
                to: self.now + resolved.duration(),
            });
        }
        let fault = resolved;
        if let Some(judge) = self.judge.as_mut() {
            judge.log().on_fault(self.now, fault.kind());
        }
        self.faults += 1;
        self.last_heal = self.last_heal.max(self.now);
        if fault.is_permanent() {
            self.permanent_faults = true;
        }
        if self.trace.enabled() {
            let text = serde_json::to_string(&fault).unwrap_or_default();
            self.trace.record(self.now, TraceKind::Fault, || text);
        }
        let now = self.now;
        match fault {
            Fault::Partition { direction, duration } => {
                let until = self.link.partition(now, direction, duration);
                self.break_watch(WATCH_BREAK_DETECTION);
                self.heal_at(until, Heal::Partition);
            }
            Fault::DropWatch => self.break_watch(BASE_LATENCY),
            Fault::Latency { extra, duration } => {
                let until = self.link.slow_down(now, extra, duration);
                self.heal_at(until, Heal::Latency);
            }
            Fault::ApiServerRestart { downtime } => {
                self.api.restart(now, now + downtime);
                self.break_watch(BASE_LATENCY);
                self.heal_at(now + downtime, Heal::Label(FaultKind::ApiServerRestart, "API server up"));
            }
            Fault::EtcdCompaction => {
                self.api.compact();
                self.break_watch(BASE_LATENCY);
            }
            Fault::EtcdUnavailable { duration } => {
                self.api.etcd_mut().set_available(false);
                self.etcd_down_until = self.etcd_down_until.max(now + duration);
                let until = self.etcd_down_until;
                self.heal_at(until, Heal::EtcdAvailable);
            }
            Fault::SecretMissing { secret, duration } => {
                let (namespace, name) = split_name(&secret);
                let _ = self.api.delete_secret(&namespace, &name);
                if duration > 0 {
                    self.heal_at(now + duration, Heal::SecretBack { namespace, name, attempt: 0 });
                }
            }
            Fault::ImagePullFailure { image, permanent, failures } => {
                let failure = if permanent {
                    PullFailure::Permanent
                } else {
                    PullFailure::Transient { failures_left: failures }
                };
                self.containerd.set_pull_failure(&image, failure);
                if !permanent {
                    // Unused failures expire, so that the fault ends by a known time.
                    self.heal_at(now + TRANSIENT_FAULT_LIFETIME, Heal::PullsWork { image });
                }
            }
            Fault::SlowPull { image, latency } => {
                let normal = self.scenario.images.get(&image).map_or(100, |i| i.pull_latency);
                self.containerd.set_pull_latency(&image, latency);
                self.heal_at(now + TRANSIENT_FAULT_LIFETIME, Heal::PullLatency { image, latency: normal });
            }
            Fault::ContainerCrash { pod, container, exit_code } => {
                if let Some(id) = self.pick_container(pod.as_deref(), container.as_deref()) {
                    if self.containerd.crash_container(now, &id, exit_code) {
                        self.note_exit(&id);
                        self.checker.on_exit(now, &id, &view!(self));
                    }
                }
            }
            Fault::OomKill { pod, container } => {
                if let Some(id) = self.pick_container(pod.as_deref(), container.as_deref()) {
                    if self.containerd.oom_kill(now, &id) {
                        self.note_exit(&id);
                        self.checker.on_exit(now, &id, &view!(self));
                    }
                }
            }
            Fault::PauseDeath { pod } => {
                if let Some(id) = self.pick_sandbox(pod.as_deref()) {
                    self.containerd.kill_pause(now, &id);
                }
            }
            Fault::ContainerdRestart { downtime } => {
                self.containerd.restart(now, now + downtime);
                self.heal_at(now + downtime, Heal::Label(FaultKind::ContainerdRestart, "containerd up"));
            }
            Fault::CriFailure { method, count, timeout } => {
                let until = now + TRANSIENT_FAULT_LIFETIME;
                self.containerd.fail_calls_until(method, count, timeout, 2_000, until);
                self.heal_at(until, Heal::Label(FaultKind::CriFailure, "injected CRI failures expired"));
            }
            Fault::KubeletRestart { downtime } => {
                self.kubelet_crash();
                self.schedule(now + downtime, Event::KubeletBoot);
                self.heal_at(now + downtime, Heal::Label(FaultKind::KubeletRestart, "kubelet up"));
            }
            Fault::NodeReboot { downtime } => {
                self.kubelet_crash();
                self.checker.on_reboot(now, &view!(self));
                let running_before = self.running_ids();
                self.containerd.reboot(now, now + downtime);
                for id in running_before {
                    self.note_exit(&id);
                }
                self.node.reboot();
                self.schedule(now + downtime, Event::KubeletBoot);
                self.heal_at(now + downtime, Heal::Label(FaultKind::NodeReboot, "node up"));
            }
            Fault::MountFailure { pod, duration } => {
                let uid = pod.and_then(|p| self.pod_uid(&p));
                self.node.fail_mounts(uid, now + duration);
                self.heal_at(now + duration, Heal::Label(FaultKind::MountFailure, "mounts work"));
            }
            Fault::DataDirFailure { duration } => {
                self.node.fail_data_dirs(now + duration);
                self.heal_at(now + duration, Heal::Label(FaultKind::DataDirFailure, "data directories work"));
            }
            Fault::RemoveImage { image } => self.containerd.remove_image(&image),
        }
        self.flush_watch();
    }

    fn kubelet_crash(&mut self) {
        if let Some(kubelet) = self.kubelet.take() {
            self.probes.add(&kubelet.probes());
            self.trace.record(self.now, TraceKind::Kubelet, || "kubelet crashed".into());
        }
        self.incarnation += 1;
        self.pending_api.clear();
        self.api.close_watch();
        self.api.close_secret_watches();
    }

    fn heal(&mut self, heal: Heal) {
        let now = self.now;
        let kind = heal.fault_kind();
        let what = match heal {
            Heal::Partition => {
                if !self.link.heal_partition(now) {
                    return;
                }
                "partition healed".to_string()
            }
            Heal::Latency => {
                if !self.link.heal_latency(now) {
                    return;
                }
                "latency back to normal".to_string()
            }
            Heal::EtcdAvailable => {
                if now < self.etcd_down_until {
                    return;
                }
                self.api.etcd_mut().set_available(true);
                "etcd available".to_string()
            }
            Heal::SecretBack { namespace, name, attempt } => {
                match self.api.create_secret(&namespace, &name) {
                    Ok(()) | Err(ApiError::Conflict) => format!("secret {namespace}/{name} created again"),
                    Err(e) => {
                        // Whatever else is in force (etcd down), the fault heals: the re-creation is
                        // retried every second, like a timeline action, and the heal time moves with it.
                        if attempt < MAX_HEAL_RETRIES {
                            let retry = Heal::SecretBack {
                                namespace: namespace.clone(),
                                name: name.clone(),
                                attempt: attempt + 1,
                            };
                            self.heal_at(now + HEAL_RETRY_INTERVAL, retry);
                        }
                        self.trace.record(now, TraceKind::Heal, || {
                        format!("secret {namespace}/{name} could not be created again ({e:?}); retried in 1 s")
                    });
                        return;
                    }
                }
            }
            Heal::PullsWork { image } => {
                let failure = match self.scenario.images.get(&image).map(|i| i.failure) {
                    Some(PullFailureSpec::Permanent) => PullFailure::Permanent,
                    _ => PullFailure::None,
                };
                self.containerd.set_pull_failure(&image, failure);
                format!("pulls of {image} work again")
            }
            Heal::PullLatency { image, latency } => {
                self.containerd.set_pull_latency(&image, latency);
                format!("pulls of {image} are fast again")
            }
            Heal::Label(_, text) => text.to_string(),
        };
        if let Some(judge) = self.judge.as_mut() {
            judge.log().on_heal(now, kind);
        }
        self.trace.record(now, TraceKind::Heal, || what);
        self.flush_watch();
    }

    fn pod_uid(&self, name: &str) -> Option<String> {
        let (ns, n) = split_name(name);
        self.api.pod(&ns, &n).map(|p| p.pod.uid)
    }

    /// The fault with its targets named (drawn from the seed where the fault left them open), so that
    /// it can be written into a scenario and replayed without the seed.
    fn resolve_targets(&mut self, fault: Fault) -> Fault {
        let name_of = |uid: &str, api: &ApiServer| api.pod_by_uid(uid).map(|p| p.pod.full_name());
        match fault {
            Fault::ContainerCrash { pod, container, exit_code } => {
                match self.pick_container(pod.as_deref(), container.as_deref()) {
                    Some(id) => {
                        let (pod, container) = self.container_names(&id);
                        Fault::ContainerCrash { pod, container, exit_code }
                    }
                    None => Fault::ContainerCrash { pod, container, exit_code },
                }
            }
            Fault::OomKill { pod, container } => {
                match self.pick_container(pod.as_deref(), container.as_deref()) {
                    Some(id) => {
                        let (pod, container) = self.container_names(&id);
                        Fault::OomKill { pod, container }
                    }
                    None => Fault::OomKill { pod, container },
                }
            }
            Fault::PauseDeath { pod } => match self.pick_sandbox(pod.as_deref()) {
                Some(id) => {
                    let uid =
                        self.containerd.sandbox(&id).and_then(|s| s.pod.as_ref()).map(|p| p.uid.clone());
                    Fault::PauseDeath { pod: uid.and_then(|u| name_of(&u, &self.api)) }
                }
                None => Fault::PauseDeath { pod },
            },
            other => other,
        }
    }

    fn container_names(&self, id: &str) -> (Option<String>, Option<String>) {
        match self.containerd.container(id) {
            Some(c) => {
                (c.pod.as_ref().map(|p| format!("{}/{}", p.namespace, p.name)), Some(c.status.name.clone()))
            }
            None => (None, None),
        }
    }

    /// A running container of a kubelet pod: the named one, or one drawn from the seed.
    fn pick_container(&mut self, pod: Option<&str>, container: Option<&str>) -> Option<String> {
        let uid = pod.and_then(|p| self.pod_uid(p));
        let candidates: Vec<String> = self
            .containerd
            .containers()
            .filter(|c| c.status.state == podsim_model::ContainerState::Running)
            .filter(|c| c.pod.as_ref().is_some_and(|p| uid.as_ref().is_none_or(|u| *u == p.uid)))
            .filter(|c| container.is_none_or(|n| n == c.status.name))
            .map(|c| c.status.id.clone())
            .collect();
        if pod.is_some() || container.is_some() {
            return candidates.first().cloned();
        }
        self.rng.pick(&candidates).cloned()
    }

    fn pick_sandbox(&mut self, pod: Option<&str>) -> Option<String> {
        let uid = pod.and_then(|p| self.pod_uid(p));
        let candidates: Vec<String> = self
            .containerd
            .sandboxes()
            .filter(|s| s.status.state == SandboxState::Ready)
            .filter(|s| s.pod.as_ref().is_some_and(|p| uid.as_ref().is_none_or(|u| *u == p.uid)))
            .map(|s| s.status.id.clone())
            .collect();
        if pod.is_some() {
            return candidates.first().cloned();
        }
        self.rng.pick(&candidates).cloned()
    }

    /// A random fault of `kind` with parameters drawn from the seed (None if nothing to hit).
    fn draw_fault(&mut self, kind: FaultKind) -> Option<Fault> {
        let r = &mut self.rng;
        let short = |r: &mut SimRng| r.between(1, 30) * 1_000;
        let images: Vec<String> = self.scenario.images.keys().cloned().collect();
        Some(match kind {
            FaultKind::Partition => {
                let direction =
                    *r.pick(&[Direction::Both, Direction::ToApiServer, Direction::FromApiServer])?;
                Fault::Partition { direction, duration: short(r) }
            }
            FaultKind::DropWatch => Fault::DropWatch,
            FaultKind::Latency => Fault::Latency { extra: r.between(10, 3_000), duration: short(r) },
            FaultKind::ApiServerRestart => Fault::ApiServerRestart { downtime: r.between(1, 10) * 1_000 },
            FaultKind::EtcdCompaction => Fault::EtcdCompaction,
            FaultKind::EtcdUnavailable => Fault::EtcdUnavailable { duration: short(r) },
            FaultKind::SecretMissing => {
                let secrets: Vec<String> =
                    self.scenario.secrets.iter().map(|(ns, n)| format!("{ns}/{n}")).collect();
                let secret = r.pick(&secrets)?.clone();
                Fault::SecretMissing { secret, duration: short(r) }
            }
            FaultKind::ImagePullFailure => {
                let image = r.pick(&images)?.clone();
                Fault::ImagePullFailure { image, permanent: false, failures: r.between(1, 3) as u32 }
            }
            FaultKind::SlowPull => {
                let image = r.pick(&images)?.clone();
                Fault::SlowPull { image, latency: r.between(1, 20) * 1_000 }
            }
            FaultKind::ContainerCrash => {
                Fault::ContainerCrash { pod: None, container: None, exit_code: *r.pick(&[1, 2, 137])? }
            }
            FaultKind::OomKill => Fault::OomKill { pod: None, container: None },
            FaultKind::PauseDeath => Fault::PauseDeath { pod: None },
            FaultKind::ContainerdRestart => Fault::ContainerdRestart { downtime: r.between(1, 10) * 1_000 },
            FaultKind::CriFailure => {
                let method = *r.pick(&[
                    CriMethod::RunPodSandbox,
                    CriMethod::CreateContainer,
                    CriMethod::StartContainer,
                    CriMethod::StopContainer,
                    CriMethod::ListContainers,
                    CriMethod::PullImage,
                ])?;
                Fault::CriFailure { method, count: r.between(1, 3) as u32, timeout: r.chance(0.5) }
            }
            FaultKind::KubeletRestart => Fault::KubeletRestart { downtime: r.between(1, 20) * 1_000 },
            FaultKind::NodeReboot => Fault::NodeReboot { downtime: r.between(5, 30) * 1_000 },
            FaultKind::MountFailure => Fault::MountFailure { pod: None, duration: short(r) },
            FaultKind::DataDirFailure => Fault::DataDirFailure { duration: short(r) },
            FaultKind::RemoveImage => Fault::RemoveImage { image: r.pick(&images)?.clone() },
        })
    }

    // ---- judging the run -----------------------------------------------------------------------------

    /// Handles every event up to `until`; false if the run ran away (more than [`MAX_EVENTS`]).
    fn run_until(&mut self, until: Millis) -> bool {
        while let Some((&(at, seq), _)) = self.queue.iter().next() {
            if at > until {
                return true;
            }
            let event = self.queue.remove(&(at, seq)).expect("just seen");
            if let Some(judge) = self.judge.as_mut() {
                judge.before(at, &self.api, &view!(self));
            }
            self.now = at;
            self.events += 1;
            if self.events > MAX_EVENTS {
                self.checker.on_livelock(self.now, MAX_EVENTS);
                return false;
            }
            self.dispatch(event);
            if let Some(judge) = self.judge.as_mut() {
                judge.after_event(self.now, &self.api, &view!(self));
            }
            if let Some(h) = self.history.as_mut() {
                h.observe(self.now, &self.containerd);
            }
        }
        true
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

fn describe_action(a: &Action) -> String {
    match a {
        Action::CreatePod(p) => format!("create pod {}", p.full_name()),
        Action::UpdatePod(p) => format!("update pod {}", p.full_name()),
        Action::DeletePod { namespace, name, grace_seconds } => {
            format!("delete pod {namespace}/{name} (grace {grace_seconds:?})")
        }
        Action::CreateSecret { namespace, name } => format!("create secret {namespace}/{name}"),
        Action::DeleteSecret { namespace, name } => format!("delete secret {namespace}/{name}"),
        Action::Fault(f) => format!("fault {}", serde_json::to_string(f).unwrap_or_default()),
    }
}

fn describe_decision(d: &Decision) -> String {
    match d {
        Decision::Planned { pod_uid, actions } => format!(
            "{pod_uid}: plan killPod={} createSandbox={} attempt={} init={:?} start={:?} ephemeral={:?} kill={:?}{}",
            actions.kill_pod,
            actions.create_sandbox,
            actions.attempt,
            actions.init_containers_to_start,
            actions.containers_to_start,
            actions.ephemeral_containers_to_start,
            actions.containers_to_kill.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(),
            describe_reset(actions)
        ),
        Decision::NotStarted { pod_uid, container, reason } => format!("{pod_uid}: {container} not started: {reason}"),
        Decision::Worker { pod_uid, state } => format!("{pod_uid}: worker {state:?}"),
        Decision::SyncFailed { pod_uid, error } => format!("{pod_uid}: sync failed: {error}"),
    }
}

/// The restart-all reset of a plan (KEP-5532), in the order it is carried out; "" if none.
fn describe_reset(actions: &podsim_model::PodActions) -> String {
    if actions.containers_to_reset.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = actions.containers_to_reset.iter().map(|r| r.name.as_str()).collect();
    format!(" reset={names:?}")
}

/// One line for a jittered timer the world resolved: what for, its base delay and jitter, what was
/// drawn.
pub fn describe_jittered_timer(timer: &Timer, delay: Millis, jitter: Jitter, extra: Millis) -> String {
    let what = match timer {
        Timer::PodSync { pod_uid, .. } => format!("{pod_uid}: next sync"),
        Timer::Rewatch => "pod list/watch retry".to_string(),
        Timer::SecretRewatch { namespace, name, .. } => format!("secret {namespace}/{name} list/watch retry"),
        other => format!("{other:?}"),
    };
    format!(
        "{what} in {delay} ms + jitter {}.{:03} drawn {extra} ms = {} ms",
        jitter.per_mille() / 1_000,
        jitter.per_mille() % 1_000,
        delay + extra
    )
}

fn short_api(r: &ApiRequest) -> String {
    match r {
        ApiRequest::ListPods { node } => format!("list pods on {node}"),
        ApiRequest::WatchPods { resource_version, .. } => format!("watch pods from rv {resource_version}"),
        ApiRequest::GetPod { namespace, name } => format!("get pod {namespace}/{name}"),
        ApiRequest::GetSecret { namespace, name } => format!("get secret {namespace}/{name}"),
        ApiRequest::ListSecret { namespace, name } => format!("list secret {namespace}/{name}"),
        ApiRequest::WatchSecret { namespace, name, resource_version } => {
            format!("watch secret {namespace}/{name} from rv {resource_version}")
        }
        ApiRequest::UpdatePodStatus { pod, status } => {
            format!("status {}/{}: {:?}", pod.namespace, pod.name, status.phase)
        }
        ApiRequest::DeletePod { pod } => format!("release pod {}/{}", pod.namespace, pod.name),
        ApiRequest::CreateEvent { event } => format!("create event {}/{}", event.namespace, event.name),
        ApiRequest::PatchEvent { event } => {
            format!("patch event {}/{} count {}", event.namespace, event.name, event.count)
        }
    }
}

/// The Event a request writes, if it writes one: `(namespace, name)`.
pub fn written_event(r: &ApiRequest) -> Option<(String, String)> {
    match r {
        ApiRequest::CreateEvent { event } | ApiRequest::PatchEvent { event } => {
            Some((event.namespace.clone(), event.name.clone()))
        }
        _ => None,
    }
}

fn short_api_reply(r: &ApiReply) -> String {
    match r {
        ApiReply::PodList { pods, resource_version } => {
            format!("{} pods at rv {resource_version}", pods.len())
        }
        ApiReply::Watching => "watching".into(),
        ApiReply::Pod(p) => format!("pod rv {}", p.resource_version),
        ApiReply::Secret => "secret".into(),
        ApiReply::SecretList { exists, resource_version } => {
            format!("secret {} at rv {resource_version}", if *exists { "exists" } else { "not found" })
        }
        ApiReply::Ok => "ok".into(),
        ApiReply::Err(e) => format!("{e:?}"),
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

/// The pod directories and mounts an earlier kubelet left (`node.dataDirs`, `node.mounts`).
pub fn preset_node(node: &mut Node, setup: &crate::node_setup::NodeSetup) {
    for uid in &setup.data_dirs {
        node.preset_data_dir(uid);
    }
    for (uid, volume) in &setup.mounts {
        node.preset_mount(uid, volume);
    }
}

fn short_node(r: &NodeRequest) -> String {
    match r {
        NodeRequest::MakeDataDir { pod_uid } => format!("mkdir {pod_uid}"),
        NodeRequest::MountVolume { pod_uid, volume } => format!("mount {pod_uid}/{volume}"),
        NodeRequest::UnmountVolume { pod_uid, volume } => format!("unmount {pod_uid}/{volume}"),
        NodeRequest::RemoveDataDir { pod_uid } => format!("rmdir {pod_uid}"),
        NodeRequest::ListPodDirs => "ls pods".to_string(),
    }
}

/// One line for a CRI call.
pub fn short_cri(r: &CriRequest) -> String {
    match r {
        CriRequest::ListPodSandbox { pod_uid } => {
            format!("ListPodSandbox {}", pod_uid.as_deref().unwrap_or("*"))
        }
        CriRequest::ListContainers { pod_uid } => {
            format!("ListContainers {}", pod_uid.as_deref().unwrap_or("*"))
        }
        CriRequest::RunPodSandbox { config } => {
            format!("RunPodSandbox {}/{} attempt {}", config.pod.namespace, config.pod.name, config.attempt)
        }
        CriRequest::StopPodSandbox { sandbox_id } => format!("StopPodSandbox {sandbox_id}"),
        CriRequest::RemovePodSandbox { sandbox_id } => format!("RemovePodSandbox {sandbox_id}"),
        CriRequest::ImageStatus { image } => format!("ImageStatus {image}"),
        CriRequest::PullImage { image } => format!("PullImage {image}"),
        CriRequest::CreateContainer { sandbox_id, config } => format!(
            "CreateContainer {}/{}/{} in {sandbox_id} restart {}",
            config.pod.namespace, config.pod.name, config.name, config.restart_count
        ),
        CriRequest::StartContainer { container_id } => format!("StartContainer {container_id}"),
        CriRequest::StopContainer { container_id, timeout_seconds } => {
            format!("StopContainer {container_id} grace {timeout_seconds}s")
        }
        CriRequest::RemoveContainer { container_id } => format!("RemoveContainer {container_id}"),
    }
}

fn short_cri_reply(r: &CriReply) -> String {
    match r {
        CriReply::Sandboxes(s) => format!("{} sandboxes", s.len()),
        CriReply::Containers(c) => format!("{} containers", c.len()),
        CriReply::SandboxCreated { sandbox_id } => sandbox_id.clone(),
        CriReply::ContainerCreated { container_id } => container_id.clone(),
        CriReply::ImagePresent(p) => format!("present {p}"),
        CriReply::Ok => "ok".into(),
        CriReply::Err(e) => format!("{e:?}"),
    }
}
