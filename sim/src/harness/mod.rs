//! The harness: everything the simulator and the containerd driver share, as one sans-IO core.
//!
//! It owns the kubelet model and its restarts, the API server over etcd and the link to it, the
//! node, the timeline (with one retry rule), the faults that do not touch the runtime and every
//! heal, the trace, the checker's hooks, the expectations' judge and what goes into the outcome;
//! and one event queue keyed by (time, sequence number). A driver owns the clock and the runtime:
//! the harness hands it the kubelet's CRI calls ([`Driver::cri_call`]) and the runtime faults it
//! realises ([`Driver::realise`]), and takes back replies and exits ([`Harness::cri_answered`],
//! [`Harness::container_exited`]). The driver's own events (the simulated containerd's wake-ups)
//! ride in the same queue as [`Event::Runtime`], so that one order holds for everything.
//!
//! The kubelet's contract (see `podsim_model::io`): one reply per request. The harness keeps it: a
//! request lost in a partition, or a reply that would come later than the client's timeout, is
//! answered with an error at the timeout instead.

pub mod describe;
mod faults;
pub mod injected;
mod link;
mod queue;
pub mod steps;
mod timeline;

use std::collections::BTreeMap;

use podsim_model::coverage::Probes;
use podsim_model::io::{
    ApiError, ApiReply, ApiRequest, CallId, CriReply, CriRequest, Decision, Input, Output, Timer, WatchEvent,
};
use podsim_model::{Kubelet, Millis};

use crate::apiserver::ApiServer;
use crate::checker::{Checker, RuntimeFacts, View};
use crate::containerd::CriMethod;
use crate::expect::{Judge, RuntimeView};
use crate::faults::{DrawnFaults, Fault, FaultKind};
use crate::link::Link;
use crate::node::Node;
use crate::rng::SimRng;
use crate::scenario::{Action, Scenario};
use crate::trace::{Trace, TraceKind};

pub use faults::Heal;

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

/// What the checker sees of the world, when the driver's runtime can be looked into (a macro, so
/// that the checker's own field stays borrowable).
macro_rules! checker_view {
    ($h:expr, $d:expr) => {
        $d.containerd().map(|containerd| View {
            api: &$h.api,
            containerd,
            node: &$h.node,
            node_name: &$h.scenario.node,
        })
    };
}
pub(crate) use checker_view;

/// A backend: the clock's owner and the runtime behind the CRI. The simulator drives the harness
/// with the simulated containerd on the virtual clock; the containerd driver makes the CRI calls
/// and feeds the replies back on the wall clock.
pub trait Driver {
    /// The driver's own events, queued with the harness's (the simulated containerd's wake-ups).
    type Event: Clone + std::fmt::Debug;
    /// The runtime as the expectations read it.
    type View<'a>: RuntimeView
    where
        Self: 'a;

    /// Whether this driver realises faults of `kind` (the faults that touch the runtime; every
    /// other kind the harness realises on both).
    fn realises(&self, kind: FaultKind) -> bool;

    /// The runtime as the checker's rules read it: the simulated containerd itself, or what a real
    /// containerd's CRI lists and statuses return (None: those rules are not checked on this
    /// backend).
    fn containerd(&self) -> Option<&dyn RuntimeFacts>;

    /// The runtime with the API server and the node, as the expectations read them.
    fn runtime_view<'a>(&'a self, api: &'a ApiServer, node: &'a Node, node_name: &'a str) -> Self::View<'a>;

    /// Makes the kubelet's CRI call `call` of incarnation `h.incarnation`; its reply comes back
    /// through [`Harness::cri_answered`] and is delivered to the kubelet.
    fn cri_call(&mut self, h: &mut Harness<Self::Event>, call: CallId, request: CriRequest);

    /// One of the driver's own events is due.
    fn on_event(&mut self, h: &mut Harness<Self::Event>, event: Self::Event);

    /// A runtime fault with its targets named (drawn from the seed where the fault left them open),
    /// so that it can be written into a scenario and replayed without the seed.
    fn resolve(&mut self, h: &mut Harness<Self::Event>, fault: Fault) -> Fault;

    /// Realises a runtime fault (one whose kind [`Driver::realises`]).
    fn realise(&mut self, h: &mut Harness<Self::Event>, fault: &Fault);

    /// A runtime fault heals (pulls work again, are fast again); what to trace.
    fn heal(&mut self, h: &mut Harness<Self::Event>, heal: &Heal) -> String;

    /// A timeline action was carried out.
    fn on_action(&mut self, _h: &Harness<Self::Event>, _action: &Action) {}
}

/// Something that happens at a time.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Event<E> {
    /// An input for the kubelet process of this incarnation.
    Kubelet {
        /// The kubelet process it is for.
        incarnation: u32,
        /// The input.
        input: Input,
    },
    /// A kubelet request reaches the API server.
    ApiArrive {
        /// The kubelet process that sent it.
        incarnation: u32,
        /// Its call id.
        call: CallId,
        /// The request.
        request: ApiRequest,
    },
    /// The kubelet's API client gives up waiting.
    ApiTimeout {
        /// The kubelet process that waits.
        incarnation: u32,
        /// Its call id.
        call: CallId,
    },
    /// The driver's own event.
    Runtime(E),
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

/// How the harness of a run is set up.
pub struct HarnessOptions {
    /// The run's seed (the kubelet's jitter, random faults and targets are drawn from `rng`).
    pub seed: u64,
    /// The run's one rng.
    pub rng: SimRng,
    /// Keep the trace.
    pub trace: bool,
    /// Judge the scenario's expectations.
    pub check_expectations: bool,
    /// The random faults drawn for the run.
    pub drawn: DrawnFaults,
}

/// A CRI call and its reply, as the runtime answered it.
pub struct CriAnswer<'a> {
    /// When the call was made.
    pub asked: Millis,
    /// When the reply came (or, in the simulator, comes).
    pub answered: Millis,
    /// The call.
    pub request: &'a CriRequest,
    /// The reply.
    pub reply: &'a CriReply,
    /// When a `StopContainer` that lasted its grace period escalated to SIGKILL, if the driver
    /// knows.
    pub escalated: Option<Millis>,
}

/// Everything the two backends share, for one run of one scenario.
pub struct Harness<E> {
    /// Now (virtual or wall-clock milliseconds since the run began); the driver sets it.
    pub now: Millis,
    /// The events to come, earliest first.
    queue: queue::EventQueue<Event<E>>,
    /// The run's one rng: the kubelet's jitter, random faults and their targets.
    pub rng: SimRng,
    /// The seed.
    pub seed: u64,
    /// The scenario.
    pub scenario: Scenario,
    /// The kubelet process, if it runs.
    pub kubelet: Option<Kubelet>,
    /// Which kubelet process runs (each boot starts a new one).
    pub incarnation: u32,
    /// The API server over etcd.
    pub api: ApiServer,
    /// The node's directories and mounts.
    pub node: Node,
    /// The network between the kubelet and the API server.
    pub link: Link,
    /// etcd is down until then.
    pub etcd_down_until: Millis,
    /// Requests awaiting a reply: their incarnation.
    pending_api: BTreeMap<CallId, u32>,
    /// The trace.
    pub trace: Trace,
    /// The checker.
    pub checker: Checker,
    /// When the last fault healed.
    pub last_heal: Millis,
    /// When the last timeline action (or its retry) was made.
    pub last_action: Millis,
    /// Whether a fault that never heals was injected.
    pub permanent_faults: bool,
    /// Whether the scenario's expectations hold in this run.
    pub check_expectations: bool,
    /// Every fault injected, with its targets named, in time order.
    pub applied_faults: Vec<(Millis, Fault)>,
    /// CRI calls in flight, by kubelet process and call id: their method (their reply's record
    /// names it).
    cri_calls: BTreeMap<(u32, CallId), CriMethod>,
    /// GetSecret requests in flight, to tell the checker what the kubelet learnt.
    secret_calls: BTreeMap<CallId, (String, String)>,
    /// Retries of timeline entries that failed while the API server was down.
    retries: BTreeMap<usize, u32>,
    /// Faults injected.
    pub faults: u64,
    /// Events handled.
    pub events: u64,
    /// The random faults drawn for the run.
    pub drawn: DrawnFaults,
    outputs: Vec<Output>,
    /// The run's history for a report (kept only when asked for).
    pub history: Option<crate::history::History>,
    /// Every sandbox and container start, in order.
    pub starts: crate::report::StartLog,
    /// The scenario's expectations, judged as the run goes (when they are checked).
    pub judge: Option<Judge>,
    /// The probes reached by the kubelets that crashed (each restart starts a new one at zero).
    pub probes: Probes,
    /// Faults that could not be realised, and why.
    pub notes: Vec<String>,
    /// The kubelet's steps per pod, for comparing two runs (kept only when asked for).
    pub steps: Option<steps::StepLog>,
    /// A broken variant of the kubelet, for tests that the checker catches it on both backends:
    /// each of the kubelet's outputs passes through this before it is carried out.
    pub broken_kubelet: Option<BrokenKubelet>,
}

/// A broken variant of the kubelet: it changes what the kubelet asks for (tests only).
pub type BrokenKubelet = fn(&mut Output);

impl<E: Clone + std::fmt::Debug> Harness<E> {
    /// A harness for `scenario`: the API server holds its Secrets and ConfigMaps, the node what an
    /// earlier kubelet left, and the queue its timeline and random faults. [`Harness::boot`] starts
    /// the kubelet.
    pub fn new(scenario: &Scenario, options: HarnessOptions) -> Harness<E> {
        let mut api = ApiServer::new();
        for (ns, name) in &scenario.secrets {
            let _ = api.create_secret(ns, name);
        }
        for (ns, name) in &scenario.config_maps {
            let _ = api.create_config_map(ns, name);
        }
        let permanent_faults =
            scenario.timeline.iter().any(|(_, a)| matches!(a, Action::Fault(f) if f.is_permanent()))
                || scenario.images.values().any(|i| i.failure == crate::scenario::PullFailureSpec::Permanent);
        let mut h = Harness {
            now: 0,
            queue: queue::EventQueue::new(),
            rng: options.rng,
            seed: options.seed,
            scenario: scenario.clone(),
            kubelet: None,
            incarnation: 0,
            api,
            node: Node::new(),
            link: Link::new(),
            etcd_down_until: 0,
            pending_api: BTreeMap::new(),
            trace: Trace::new(options.trace),
            checker: Checker::with_restart_backoff(
                &scenario.node,
                scenario.kubelet_config().restart_backoff(),
            ),
            last_heal: 0,
            last_action: 0,
            permanent_faults,
            check_expectations: options.check_expectations,
            applied_faults: Vec::new(),
            cri_calls: BTreeMap::new(),
            secret_calls: BTreeMap::new(),
            retries: BTreeMap::new(),
            faults: 0,
            events: 0,
            drawn: options.drawn,
            outputs: Vec::new(),
            history: None,
            starts: crate::report::StartLog::default(),
            judge: options.check_expectations.then(|| Judge::new(&scenario.expect, scenario.duration)),
            probes: Probes::new(),
            notes: Vec::new(),
            steps: None,
            broken_kubelet: None,
        };
        for (i, (at, _)) in scenario.timeline.iter().enumerate() {
            h.schedule(*at, Event::Timeline(i));
        }
        for (at, kind) in h.drawn.schedule.clone() {
            h.schedule(at, Event::RandomFault(kind));
        }
        preset_node(&mut h.node, &scenario.node_setup);
        h
    }

    /// Schedules the kubelet's first start and the API server's compaction (after the driver's own
    /// first events).
    pub fn boot(&mut self) {
        self.schedule(0, Event::KubeletBoot);
        self.schedule(COMPACTION_INTERVAL, Event::Compact);
    }

    /// Queues `event` at `at` (not before now); ties keep the order they were queued in.
    pub fn schedule(&mut self, at: Millis, event: Event<E>) {
        self.queue.push(at.max(self.now), event);
    }

    /// When the next event is due.
    pub fn next_at(&self) -> Option<Millis> {
        self.queue.next_at()
    }

    /// Takes the next event if it is due by `until`.
    pub fn pop_due(&mut self, until: Millis) -> Option<(Millis, Event<E>)> {
        self.queue.pop_due(until)
    }

    /// Counts an event; false (with a violation) past [`MAX_EVENTS`].
    pub fn count_event(&mut self) -> bool {
        self.events += 1;
        if self.events > MAX_EVENTS {
            self.checker.on_livelock(self.now, MAX_EVENTS);
            return false;
        }
        true
    }

    /// The expectations look at the world before an event at `at`.
    pub fn judge_before<D: Driver<Event = E>>(&mut self, d: &D, at: Millis) {
        if let Some(judge) = self.judge.as_mut() {
            judge.before(at, &self.api, &d.runtime_view(&self.api, &self.node, &self.scenario.node));
        }
    }

    /// The expectations look at the world after an event.
    pub fn judge_after<D: Driver<Event = E>>(&mut self, d: &D) {
        if let Some(judge) = self.judge.as_mut() {
            judge.after_event(
                self.now,
                &self.api,
                &d.runtime_view(&self.api, &self.node, &self.scenario.node),
            );
        }
    }

    /// Handles one event.
    pub fn dispatch<D: Driver<Event = E>>(&mut self, d: &mut D, event: Event<E>) {
        match event {
            Event::Kubelet { incarnation, input } => {
                if let Input::Cri { call, reply } = &input {
                    self.trace_cri_reply(incarnation, *call, reply);
                }
                if incarnation == self.incarnation && self.kubelet.is_some() {
                    if let Input::Api { call, .. } = &input {
                        if self.pending_api.remove(call).is_none() {
                            // Its timeout already answered it.
                            return;
                        }
                    }
                    self.deliver(d, input);
                }
            }
            Event::ApiArrive { incarnation, call, request } => self.api_arrive(d, incarnation, call, request),
            Event::ApiTimeout { incarnation, call } => {
                if incarnation == self.incarnation && self.pending_api.remove(&call).is_some() {
                    self.trace.record(self.now, TraceKind::Api, || format!("call {} timed out", call.0));
                    self.deliver(d, Input::Api { call, reply: ApiReply::Err(ApiError::Unavailable) });
                }
            }
            Event::Runtime(event) => d.on_event(self, event),
            Event::Timeline(i) => {
                self.last_action = self.last_action.max(self.now);
                self.apply_action(d, i);
            }
            Event::RandomFault(kind) => {
                if let Some(fault) = self.draw_fault(kind) {
                    self.apply_fault(d, fault);
                }
            }
            Event::Heal(heal) => self.heal(d, heal),
            Event::KubeletBoot => {
                self.incarnation += 1;
                self.kubelet = Some(Kubelet::new(self.scenario.kubelet_config()));
                self.checker.on_kubelet_start();
                self.trace.record(self.now, TraceKind::Kubelet, || "kubelet started".into());
                self.deliver(d, Input::Start);
            }
            Event::Compact => {
                self.api.compact_keep(COMPACTION_KEEP);
                self.schedule(self.now + COMPACTION_INTERVAL, Event::Compact);
            }
        }
    }

    /// Hands the reply of CRI call `call` to the kubelet process `incarnation`, now (the containerd
    /// driver, whose replies come back on their own).
    pub fn deliver_cri_reply<D: Driver<Event = E>>(
        &mut self,
        d: &mut D,
        incarnation: u32,
        call: CallId,
        reply: CriReply,
    ) {
        self.trace_cri_reply(incarnation, call, &reply);
        if incarnation == self.incarnation {
            self.deliver(d, Input::Cri { call, reply });
        }
    }

    /// A CRI reply comes back (to the kubelet process that made the call, alive or not): its record,
    /// stamped when it comes and naming its call.
    fn trace_cri_reply(&mut self, incarnation: u32, call: CallId, reply: &CriReply) {
        let Some(method) = self.cri_calls.remove(&(incarnation, call)) else { return };
        if self.trace.enabled() {
            let text = describe::describe_cri_reply(method, call, reply);
            self.trace.record(self.now, TraceKind::Cri, || text);
        }
    }

    /// Hands an input to the kubelet and carries out what it asks.
    fn deliver<D: Driver<Event = E>>(&mut self, d: &mut D, input: Input) {
        if self.kubelet.is_none() {
            return;
        }
        self.checker_notes(&input);
        if self.trace.enabled() {
            self.trace_input(&input);
        }
        let Some(kubelet) = self.kubelet.as_mut() else { return };
        let mut outputs = std::mem::take(&mut self.outputs);
        kubelet.handle_into(self.now, input, &mut outputs);
        for mut output in outputs.drain(..) {
            if let Some(broken) = self.broken_kubelet {
                broken(&mut output);
            }
            self.carry_out(d, output);
        }
        self.outputs = outputs;
    }

    /// What the kubelet is shown, the checker notes: its rules judge the kubelet on what it knew.
    fn checker_notes(&mut self, input: &Input) {
        match input {
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
    }

    /// Traces what the kubelet is told of its watches.
    fn trace_input(&mut self, input: &Input) {
        let text = match input {
            Input::WatchEvent { event: WatchEvent::Upserted(p), resource_version } => {
                format!("watch rv {resource_version}: upserted {}", p.full_name())
            }
            Input::WatchEvent { event: WatchEvent::Deleted(p), resource_version } => {
                format!("watch rv {resource_version}: deleted {}", p.full_name())
            }
            Input::WatchClosed { gone } => format!("watch closed (gone: {gone})"),
            Input::SecretEvent { namespace, name, exists, resource_version } => {
                let what = if *exists { "exists" } else { "deleted" };
                format!("watch rv {resource_version}: secret {namespace}/{name} {what}")
            }
            Input::SecretWatchClosed { namespace, name, gone } => {
                format!("watch of secret {namespace}/{name} closed (gone: {gone})")
            }
            _ => return,
        };
        self.trace.record(self.now, TraceKind::Watch, || text);
    }

    fn carry_out<D: Driver<Event = E>>(&mut self, d: &mut D, output: Output) {
        let incarnation = self.incarnation;
        match output {
            Output::SetTimer { at, timer } => {
                self.schedule(at, Event::Kubelet { incarnation, input: Input::Timer(timer) });
            }
            Output::SetJitteredTimer { delay, jitter, timer } => {
                if let (Some(judge), Timer::PodSync { pod_uid, .. }) = (self.judge.as_mut(), &timer) {
                    judge.log().on_sync(self.now, pod_uid);
                }
                // The harness draws the kubelet's jitter (`wait.Jitter`) from its one rng.
                let extra = self.rng.below(jitter.max_extra(delay));
                if self.trace.enabled() {
                    let text = describe::describe_jittered_timer(&timer, delay, jitter, extra);
                    self.trace.record(self.now, TraceKind::Kubelet, || text);
                }
                let at = self.now + delay + extra;
                self.schedule(at, Event::Kubelet { incarnation, input: Input::Timer(timer) });
            }
            Output::SetRandomTimer { within, timer } => {
                // The harness draws the kubelet's `sleepDuration * rand.Float64()` from its one rng.
                let at = self.now + self.rng.below(within);
                self.schedule(at, Event::Kubelet { incarnation, input: Input::Timer(timer) });
            }
            // What reaches the API server is traced there (the sink's writes).
            Output::Event(_) => {}
            Output::Decision(decision) => self.on_decision(&decision),
            Output::Api { call, request } => self.send_api(call, request),
            Output::Node { call, request } => {
                let reply = self.node.handle(self.now, &request);
                self.trace.record(self.now, TraceKind::Node, || {
                    format!("{} -> {reply:?}", describe::short_node(&request))
                });
                self.schedule(self.now, Event::Kubelet { incarnation, input: Input::Node { call, reply } });
            }
            Output::Cri { call, request } => {
                if self.trace.enabled() {
                    self.cri_calls.insert((incarnation, call), CriMethod::of(&request));
                    let text = describe::describe_cri_call(call, &request);
                    self.trace.record(self.now, TraceKind::Cri, || text);
                }
                if let Some(steps) = self.steps.as_mut() {
                    steps.on_cri_call(self.now, &request);
                }
                if let Some(view) = checker_view!(self, d) {
                    self.checker.before_cri(self.now, &request, &view);
                }
                d.cri_call(self, call, request);
            }
        }
    }

    fn on_decision(&mut self, d: &Decision) {
        if let Some(steps) = self.steps.as_mut() {
            steps.on_decision(self.now, d);
        }
        if let (Some(judge), Decision::Planned { pod_uid, .. }) = (self.judge.as_mut(), d) {
            judge.log().on_plan(self.now, pod_uid);
        }
        if let Decision::NotStarted { pod_uid, container, reason } = d {
            if reason == podsim_model::status::reason::POST_START_HOOK_ERROR {
                // A failed postStart hook kills its container (startContainer's step 4), with the
                // pod's grace period.
                self.checker.on_kill_planned(self.now, pod_uid, false, std::slice::from_ref(container), None);
            }
        }
        if let Decision::Worker { pod_uid, state: podsim_model::io::WorkerState::Terminating } = d {
            // `syncTerminatingPod` kills every container of the pod with the grace period the
            // kubelet holds as it begins (the spec's, for a pod past its active deadline or
            // evicted); a deletion it is shown later does not begin the kill again.
            self.checker.on_kill_planned(self.now, pod_uid, true, &[], None);
        }
        if let Decision::Planned { pod_uid, actions } = d {
            let restarted: Vec<String> = actions
                .containers_to_kill
                .iter()
                .filter(|k| match k.kind {
                    podsim_model::ContainerKind::Regular => actions.containers_to_start.contains(&k.index),
                    podsim_model::ContainerKind::Init => actions.init_containers_to_start.contains(&k.index),
                    podsim_model::ContainerKind::Ephemeral => false,
                })
                .map(|k| k.name.to_string())
                .collect();
            self.checker.on_restart_planned(self.now, pod_uid, &restarted);
            if actions.kill_pod || !actions.containers_to_kill.is_empty() {
                let names: Vec<String> =
                    actions.containers_to_kill.iter().map(|k| k.name.to_string()).collect();
                self.checker.on_kill_planned(self.now, pod_uid, actions.kill_pod, &names, None);
            }
            if !actions.containers_to_reset.is_empty() {
                // RestartAllContainers' reset kills with no grace period beyond the kubelet's floor.
                let names: Vec<String> =
                    actions.containers_to_reset.iter().map(|r| r.name.to_string()).collect();
                let floor = Some(podsim_model::kubelet::MINIMUM_GRACE_PERIOD_SECONDS);
                self.checker.on_kill_planned(self.now, pod_uid, false, &names, floor);
            }
        }
        if let Some(h) = self.history.as_mut() {
            let uid = match d {
                Decision::Planned { pod_uid, .. }
                | Decision::NotStarted { pod_uid, .. }
                | Decision::Worker { pod_uid, .. }
                | Decision::SyncFailed { pod_uid, .. } => pod_uid.clone(),
            };
            h.decision(self.now, &uid, describe::describe_decision(d));
        }
        if self.trace.enabled() {
            let text = describe::describe_decision(d);
            self.trace.record(self.now, TraceKind::Decision, || text);
        }
    }

    /// Takes in a CRI call's reply (made at `answer.asked`; the simulator knows it at once, the
    /// containerd driver when it comes): the expectations' log, the containers that exited with it
    /// (`exits`: id and exit code), the checker, the start log and the trace. `was_running` says
    /// whether a container ran before the call.
    pub fn cri_answered<D: Driver<Event = E>>(
        &mut self,
        d: &D,
        answer: CriAnswer<'_>,
        was_running: &dyn Fn(&str) -> bool,
        exits: &[(String, i32)],
    ) {
        let CriAnswer { asked, answered, request, reply, escalated } = answer;
        if let Some(judge) = self.judge.as_mut() {
            judge.log().on_cri(asked, answered, request, reply, was_running);
            if let (Some(at), CriRequest::StopContainer { container_id, .. }) = (escalated, request) {
                judge.log().on_stop_escalated(at, container_id);
            }
        }
        for (id, code) in exits {
            self.note_exit(id, *code);
        }
        if let Some(view) = checker_view!(self, d) {
            self.checker.after_cri(self.now, request, reply, &view);
        }
        self.starts.on_cri(answered, request, reply);
        if let Some(steps) = self.steps.as_mut() {
            steps.on_cri_reply(request, reply);
        }
    }

    /// Records that a container's process ended with `code` (for the expectations).
    pub fn note_exit(&mut self, id: &str, code: i32) {
        if let Some(judge) = self.judge.as_mut() {
            judge.log().on_exit(self.now, id, code);
        }
    }

    /// A container's process ended on its own (its workload, a crash): the expectations, the trace
    /// and the checker learn of it.
    pub fn container_exited<D: Driver<Event = E>>(&mut self, d: &D, id: &str, code: i32) {
        self.note_exit(id, code);
        self.trace.record(self.now, TraceKind::Runtime, || describe::describe_exit(id, code));
        if let Some(view) = checker_view!(self, d) {
            self.checker.on_exit(self.now, id, &view);
        }
    }

    /// The runtime was seen to no longer run a container that ran (a driver that learns exits from
    /// CRI listings, not at the moment they happen): the checker learns of it.
    pub fn checker_saw_exit<D: Driver<Event = E>>(&mut self, d: &D, id: &str) {
        if let Some(view) = checker_view!(self, d) {
            self.checker.on_exit(self.now, id, &view);
        }
    }

    /// Liveness ([`crate::checker::check_convergence`]) at now, for a world that settled at
    /// `settled_from`, with the bound `bound`; false if the driver's runtime cannot be looked into.
    pub fn check_convergence<D: Driver<Event = E>>(
        &mut self,
        d: &D,
        settled_from: Millis,
        bound: Millis,
    ) -> bool {
        let Some(view) = checker_view!(self, d) else { return false };
        crate::checker::check_convergence(&mut self.checker, self.now, settled_from, bound, &view);
        true
    }

    /// The kubelet process dies: its calls are forgotten and its watches closed.
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

    /// The probes reached over every kubelet of the run.
    pub fn all_probes(&self) -> Probes {
        let mut probes = self.probes;
        if let Some(kubelet) = &self.kubelet {
            probes.add(&kubelet.probes());
        }
        probes
    }

    /// The pod's UID, by `namespace/name` (or `name` in `default`).
    pub fn pod_uid(&self, name: &str) -> Option<String> {
        let (ns, n) = crate::scenario::split_name(name);
        self.api.pod(&ns, &n).map(|p| p.pod.uid)
    }

    /// Traces every violation so far (at the end of a run).
    pub fn trace_violations(&mut self, violations: &[crate::checker::Violation]) {
        for v in violations {
            let text = format!("{:?}: {}", v.rule, v.detail);
            self.trace.record(v.t, TraceKind::Violation, || text);
        }
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
