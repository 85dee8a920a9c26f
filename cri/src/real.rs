//! The real world: the same kubelet model and the same in-process API server (over the simulated
//! etcd) as the simulator, on the wall clock, with containerd behind the CRI instead of the
//! simulated one.
//!
//! The loop is the simulator's with two changes: time is read from tokio's clock (the wall clock,
//! or turmoil's simulated one in tests), and a CRI call runs as a task whose reply comes back when
//! the runtime answers, so that calls overlap as the kubelet's goroutines do. The kubelet's contract
//! is kept: one reply per request.
//!
//! Faults that exist on a real node are realised for real: a container crash SIGKILLs the
//! container's process, a pause death SIGKILLs the pause process, a containerd restart restarts the
//! private containerd, a removed image is removed with the CRI. Faults between the kubelet and the
//! API server, of the node's volumes and data directories, and injected CRI failures, are applied as
//! the simulator applies them. Faults that only the simulator can make (OOM kills, node reboots,
//! registry failures and slow pulls) make the scenario not runnable here: see [`unsupported_faults`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::Instant;

use podsim_model::coverage::Probes;
use podsim_model::io::{
    ApiError, ApiReply, ApiRequest, CallId, CriError, CriReply, CriRequest, Input, Output,
};
use podsim_model::{ContainerState, Kubelet, Millis};
use podsim_sim::apiserver::ApiServer;
use podsim_sim::checker::{Checker, Violation};
use podsim_sim::containerd::CriMethod;
use podsim_sim::expect::listed::ListedRuntime;
use podsim_sim::expect::Judge;
use podsim_sim::faults::{Direction, Fault, FaultKind};
use podsim_sim::link::Link;
use podsim_sim::node::Node;
use podsim_sim::report::{PodOutcome, StartLog};
use podsim_sim::rng::SimRng;
use podsim_sim::scenario::{split_name, Action, Scenario};
use podsim_sim::trace::{Trace, TraceKind};
use podsim_sim::world::{API_TIMEOUT, BASE_LATENCY, WATCH_BREAK_DETECTION};

use crate::client::CriClient;

/// The runtime's own controls, for faults a CRI client cannot make (podsim's private containerd).
pub trait RuntimeControl: Send {
    /// Stops the runtime, waits `downtime`, and starts it again. Blocks.
    fn restart(&mut self, downtime: Duration) -> Result<(), String>;
}

/// How long an injected CRI failure that times out takes to answer (as in the simulator).
const INJECTED_TIMEOUT: Millis = 2_000;

/// How a real run goes.
#[derive(Clone, Debug)]
pub struct RealConfig {
    /// How long it runs (wall-clock milliseconds).
    pub duration: Millis,
    /// Keep the trace.
    pub trace: bool,
    /// Judge the end against the scenario's expectations (they are written for the scenario's own
    /// duration: not when the run is shorter).
    pub check_expectations: bool,
}

/// Time spent in one CRI method.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CallStats {
    /// How many calls.
    pub calls: u64,
    /// How many failed.
    pub errors: u64,
    /// Their total time, in microseconds.
    pub total_micros: u64,
    /// The slowest, in microseconds.
    pub max_micros: u64,
}

/// When a pod was created and when all of its containers were first running.
#[derive(Clone, Debug, Serialize)]
pub struct PodReadiness {
    /// `namespace/name`.
    pub pod: String,
    /// When the pod was created in the API server (microseconds since the run began).
    pub created_micros: u64,
    /// When the last of its regular containers first started (its StartContainer returned).
    pub all_running_micros: Option<u64>,
}

/// The result of a real run.
#[derive(Clone, Debug, Serialize)]
pub struct RealOutcome {
    /// The run id (the label on everything it created).
    pub run_id: String,
    /// Wall-clock milliseconds it ran.
    pub wall_millis: Millis,
    /// The final state of each pod.
    pub pods: Vec<PodOutcome>,
    /// Unmet expectations.
    pub violations: Vec<Violation>,
    /// Every sandbox and container start, in order.
    pub starts: StartLog,
    /// Time spent per CRI method.
    pub cri_calls: BTreeMap<String, CallStats>,
    /// Per created pod, how long until its containers ran.
    pub readiness: Vec<PodReadiness>,
    /// Every fault, as realised, in time order.
    pub applied_faults: Vec<(Millis, Fault)>,
    /// Things that went wrong in realising faults.
    pub notes: Vec<String>,
    /// The Kubernetes Events the API server holds at the end, in order of creation.
    pub kube_events: Vec<podsim_sim::events::EventRecord>,
    /// How often each of the kubelet model's decisions was reached, over every kubelet of the run
    /// (rule coverage).
    #[serde(skip)]
    pub probes: Probes,
}

impl RealOutcome {
    /// Every expectation met.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// The faults of a scenario that cannot be realised on a real runtime (by name), with why.
pub fn unsupported_faults(scenario: &Scenario) -> Vec<String> {
    let mut found = Vec::new();
    for (_, action) in &scenario.timeline {
        if let Action::Fault(f) = action {
            let why = match f {
                Fault::OomKill { .. } => {
                    Some("the kernel's OOM killer cannot be made to pick a container here")
                }
                Fault::NodeReboot { .. } => Some("podsim cannot reboot the machine it runs on"),
                Fault::ContainerCrash { exit_code, .. }
                    if *exit_code != podsim_model::workload::SIGKILL_EXIT_CODE =>
                {
                    Some("a crash is realised as SIGKILL, which exits 137: give the fault exitCode: 137")
                }
                Fault::ImagePullFailure { .. } | Fault::SlowPull { .. } => {
                    Some("pulls never reach a registry here (images are imported)")
                }
                _ => None,
            };
            if let Some(why) = why {
                found.push(format!("{:?}: {why}", f.kind()));
            }
        }
    }
    if scenario.foreign_containers > 0 {
        found.push("foreignContainers: start foreign containers with the runtime's own tools instead".into());
    }
    if scenario.random_faults.is_some() {
        found.push("randomFaults: random faults are drawn by the simulator only".into());
    }
    found
}

/// Something due at a time.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
enum Event {
    Kubelet { incarnation: u32, input: Input },
    ApiArrive { incarnation: u32, call: CallId, request: ApiRequest },
    ApiTimeout { incarnation: u32, call: CallId },
    Timeline(usize),
    KubeletBoot,
    HealPartition,
    HealLatency,
    EtcdBack,
    SecretBack { namespace: String, name: String },
}

/// A CRI reply coming back from its task.
struct CriDone {
    incarnation: u32,
    call: CallId,
    request: CriRequest,
    reply: CriReply,
    took: Duration,
}

/// A run of one scenario on a real runtime.
pub struct RealWorld {
    scenario: Scenario,
    config: RealConfig,
    client: CriClient,
    control: Option<Arc<Mutex<dyn RuntimeControl>>>,
    start: Instant,
    seq: u64,
    queue: BTreeMap<(Millis, u64), Event>,
    kubelet: Option<Kubelet>,
    incarnation: u32,
    api: ApiServer,
    node: Node,
    pending_api: BTreeMap<CallId, u32>,
    link: Link,
    etcd_down_until: Millis,
    /// Injected CRI failures: per method, how many calls are left to fail, and whether they time out.
    injected: BTreeMap<CriMethod, (u32, bool)>,
    replies_tx: mpsc::UnboundedSender<CriDone>,
    replies: mpsc::UnboundedReceiver<CriDone>,
    trace: Trace,
    starts: StartLog,
    stats: BTreeMap<String, CallStats>,
    readiness: BTreeMap<String, (u64, Vec<String>, Option<u64>)>,
    applied_faults: Vec<(Millis, Fault)>,
    notes: Vec<String>,
    /// Notes from tasks (a containerd restart running beside the loop).
    late_notes: Arc<Mutex<Vec<String>>>,
    /// The kubelet's jitter is drawn from this, seeded with the scenario's seed (0 if none), as in
    /// the simulator: the model draws no random numbers.
    rng: SimRng,
    /// The scenario's expectations, judged as the run goes (when they are checked).
    judge: Option<Judge>,
    /// The runtime as the kubelet last listed it (what the expectations read of it).
    listed: ListedRuntime,
    /// The probes reached by the kubelets that crashed (each restart starts a new one at zero).
    probes: Probes,
}

impl RealWorld {
    /// A run of `scenario` through `client`; `control` restarts the runtime for containerd-restart
    /// faults (without it they are noted and skipped).
    pub fn new(
        scenario: &Scenario,
        config: RealConfig,
        client: CriClient,
        control: Option<Arc<Mutex<dyn RuntimeControl>>>,
    ) -> RealWorld {
        let mut api = ApiServer::new();
        for (ns, name) in &scenario.secrets {
            let _ = api.create_secret(ns, name);
        }
        for (ns, name) in &scenario.config_maps {
            let _ = api.create_config_map(ns, name);
        }
        let (replies_tx, replies) = mpsc::unbounded_channel();
        let mut world = RealWorld {
            trace: Trace::new(config.trace),
            scenario: scenario.clone(),
            client,
            control,
            start: Instant::now(),
            seq: 0,
            queue: BTreeMap::new(),
            kubelet: None,
            incarnation: 0,
            api,
            node: Node::new(),
            pending_api: BTreeMap::new(),
            link: Link::new(),
            etcd_down_until: 0,
            injected: BTreeMap::new(),
            replies_tx,
            replies,
            starts: StartLog::default(),
            stats: BTreeMap::new(),
            readiness: BTreeMap::new(),
            applied_faults: Vec::new(),
            notes: Vec::new(),
            late_notes: Arc::new(Mutex::new(Vec::new())),
            rng: SimRng::new(scenario.seed.unwrap_or(0)),
            judge: config.check_expectations.then(|| Judge::new(&scenario.expect, scenario.duration)),
            listed: ListedRuntime::default(),
            probes: Probes::new(),
            config,
        };
        podsim_sim::world::preset_node(&mut world.node, &scenario.node_setup);
        for (i, (at, _)) in scenario.timeline.iter().enumerate() {
            world.schedule(*at, Event::Timeline(i));
        }
        world.schedule(0, Event::KubeletBoot);
        world
    }

    fn now(&self) -> Millis {
        self.start.elapsed().as_millis() as Millis
    }

    fn micros(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    fn schedule(&mut self, at: Millis, event: Event) {
        self.seq += 1;
        self.queue.insert((at, self.seq), event);
    }

    /// Runs until the configured duration has passed, then reads the outcome.
    pub async fn run(mut self) -> (RealOutcome, Trace) {
        let end = self.config.duration;
        loop {
            let now = self.now();
            if now >= end {
                break;
            }
            if let Some((&(t, seq), _)) = self.queue.first_key_value() {
                if t <= now {
                    let event = self.queue.remove(&(t, seq)).expect("the first event is there");
                    self.judge_before(now);
                    self.dispatch(event).await;
                    self.judge_after(now);
                    continue;
                }
            }
            let next = self.queue.first_key_value().map_or(end, |(&(t, _), _)| t.min(end));
            let wake = self.start + Duration::from_millis(next);
            tokio::select! {
                Some(done) = self.replies.recv() => {
                    let now = self.now();
                    self.judge_before(now);
                    self.on_cri_done(done);
                    self.judge_after(now);
                }
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
        self.finish().await
    }

    fn judge_before(&mut self, now: Millis) {
        if let Some(judge) = self.judge.as_mut() {
            judge.before(now, &self.api, &self.listed.view(&self.node));
        }
    }

    fn judge_after(&mut self, now: Millis) {
        if let Some(judge) = self.judge.as_mut() {
            judge.after_event(now, &self.api, &self.listed.view(&self.node));
        }
    }

    async fn finish(mut self) -> (RealOutcome, Trace) {
        let now = self.now();
        let mut checker = Checker::with_restart_backoff(
            &self.scenario.node,
            self.scenario.kubelet_config().restart_backoff(),
        );
        if let Some(mut judge) = self.judge.take() {
            for v in judge.finish(&self.api, &self.listed.view(&self.node)) {
                checker.record(v);
            }
        }
        let sandboxes = match self.client.call(&CriRequest::ListPodSandbox { pod_uid: None }).await {
            CriReply::Sandboxes(list) => list,
            _ => Vec::new(),
        };
        let pods = podsim_sim::report::pod_outcomes_with(&self.api, |uid| {
            sandboxes.iter().filter(|s| s.pod.as_ref().is_some_and(|p| p.uid == uid)).count()
        });
        let violations = checker.take_violations();
        for v in &violations {
            let text = format!("{:?}: {}", v.rule, v.detail);
            self.trace.record(v.t, TraceKind::Violation, || text);
        }
        self.api.expire_events(now);
        let kube_events = self.api.events().cloned().collect();
        let readiness = self
            .readiness
            .iter()
            .map(|(pod, (created, _, ready))| PodReadiness {
                pod: pod.clone(),
                created_micros: *created,
                all_running_micros: *ready,
            })
            .collect();
        let outcome = RealOutcome {
            run_id: self.client.run().run_id.clone(),
            wall_millis: now,
            pods,
            violations,
            starts: std::mem::take(&mut self.starts),
            cri_calls: std::mem::take(&mut self.stats),
            readiness,
            applied_faults: std::mem::take(&mut self.applied_faults),
            notes: {
                let mut notes = std::mem::take(&mut self.notes);
                notes.extend(self.late_notes.lock().expect("notes lock").drain(..));
                notes
            },
            kube_events,
            probes: {
                let mut probes = self.probes;
                if let Some(kubelet) = &self.kubelet {
                    probes.add(&kubelet.probes());
                }
                probes
            },
        };
        (outcome, self.trace)
    }

    async fn dispatch(&mut self, event: Event) {
        let now = self.now();
        match event {
            Event::Kubelet { incarnation, input } => {
                if incarnation != self.incarnation {
                    return;
                }
                if let Input::Api { call, .. } = &input {
                    if self.pending_api.remove(call).is_none() {
                        return;
                    }
                }
                self.deliver(input);
            }
            Event::ApiArrive { incarnation, call, request } => self.api_arrive(incarnation, call, request),
            Event::ApiTimeout { incarnation, call } => {
                if incarnation == self.incarnation && self.pending_api.remove(&call).is_some() {
                    self.deliver(Input::Api { call, reply: ApiReply::Err(ApiError::Unavailable) });
                }
            }
            Event::Timeline(i) => self.apply_action(i).await,
            Event::KubeletBoot => {
                self.incarnation += 1;
                self.kubelet = Some(Kubelet::new(self.scenario.kubelet_config()));
                self.trace.record(now, TraceKind::Kubelet, || "kubelet started".into());
                self.deliver(Input::Start);
            }
            Event::HealPartition => {
                if self.link.heal_partition(now) {
                    self.note_heal(now, FaultKind::Partition);
                }
            }
            Event::HealLatency => {
                if self.link.heal_latency(now) {
                    self.note_heal(now, FaultKind::Latency);
                }
            }
            Event::EtcdBack => {
                if now >= self.etcd_down_until {
                    self.api.etcd_mut().set_available(true);
                    self.note_heal(now, FaultKind::EtcdUnavailable);
                }
            }
            Event::SecretBack { namespace, name } => {
                let _ = self.api.create_secret(&namespace, &name);
                self.note_heal(now, FaultKind::SecretMissing);
            }
        }
    }

    fn note_heal(&mut self, now: Millis, kind: FaultKind) {
        if let Some(judge) = self.judge.as_mut() {
            judge.log().on_heal(now, kind);
        }
    }

    /// Hands an input to the kubelet and carries out what it asks.
    fn deliver(&mut self, input: Input) {
        let now = self.now();
        let Some(kubelet) = self.kubelet.as_mut() else { return };
        let outputs = kubelet.handle(now, input);
        for output in outputs {
            self.carry_out(now, output);
        }
    }

    fn carry_out(&mut self, now: Millis, output: Output) {
        let incarnation = self.incarnation;
        match output {
            Output::SetTimer { at, timer } => {
                self.schedule(at, Event::Kubelet { incarnation, input: Input::Timer(timer) })
            }
            Output::SetJitteredTimer { delay, jitter, timer } => {
                if let (Some(judge), podsim_model::io::Timer::PodSync { pod_uid, .. }) =
                    (self.judge.as_mut(), &timer)
                {
                    judge.log().on_sync(now, pod_uid);
                }
                let extra = self.rng.below(jitter.max_extra(delay));
                if self.trace.enabled() {
                    let text = podsim_sim::world::describe_jittered_timer(&timer, delay, jitter, extra);
                    self.trace.record(now, TraceKind::Kubelet, || text);
                }
                self.schedule(now + delay + extra, Event::Kubelet { incarnation, input: Input::Timer(timer) })
            }
            Output::SetRandomTimer { within, timer } => {
                // client-go's `sleepDuration * rand.Float64()`, drawn from the run's rng.
                let at = now + self.rng.below(within);
                self.schedule(at, Event::Kubelet { incarnation, input: Input::Timer(timer) })
            }
            // What reaches the API server is traced there (the sink's writes).
            Output::Event(_) => {}
            Output::Decision(d) => {
                if let (Some(judge), podsim_model::io::Decision::Planned { pod_uid, .. }) =
                    (self.judge.as_mut(), &d)
                {
                    judge.log().on_plan(now, pod_uid);
                }
                if self.trace.enabled() {
                    let text = format!("{d:?}");
                    self.trace.record(now, TraceKind::Decision, || text);
                }
            }
            Output::Api { call, request } => {
                self.pending_api.insert(call, incarnation);
                self.schedule(now + API_TIMEOUT, Event::ApiTimeout { incarnation, call });
                if self.blocked(Direction::ToApiServer) {
                    return;
                }
                let at = now + self.latency();
                self.schedule(at, Event::ApiArrive { incarnation, call, request });
            }
            Output::Node { call, request } => {
                let reply = self.node.handle(now, &request);
                self.trace.record(now, TraceKind::Node, || format!("{request:?} -> {reply:?}"));
                self.schedule(now, Event::Kubelet { incarnation, input: Input::Node { call, reply } });
            }
            Output::Cri { call, request } => self.start_cri_call(incarnation, call, request),
        }
    }

    /// Starts a CRI call as a task (or answers it with an injected failure).
    fn start_cri_call(&mut self, incarnation: u32, call: CallId, request: CriRequest) {
        let tx = self.replies_tx.clone();
        if let Some((left, timeout)) = self.injected.get_mut(&CriMethod::of(&request)) {
            if *left > 0 {
                *left -= 1;
                let timeout = *timeout;
                tokio::spawn(async move {
                    let begun = Instant::now();
                    let reply = if timeout {
                        tokio::time::sleep(Duration::from_millis(INJECTED_TIMEOUT)).await;
                        CriReply::Err(CriError::DeadlineExceeded)
                    } else {
                        CriReply::Err(CriError::Failed("injected failure".into()))
                    };
                    let _ = tx.send(CriDone { incarnation, call, request, reply, took: begun.elapsed() });
                });
                return;
            }
        }
        let client = self.client.clone();
        tokio::spawn(async move {
            let begun = Instant::now();
            let reply = client.call(&request).await;
            let _ = tx.send(CriDone { incarnation, call, request, reply, took: begun.elapsed() });
        });
    }

    fn on_cri_done(&mut self, done: CriDone) {
        let now = self.now();
        let stats = self.stats.entry(format!("{:?}", CriMethod::of(&done.request))).or_default();
        let micros = done.took.as_micros() as u64;
        stats.calls += 1;
        stats.errors += u64::from(matches!(done.reply, CriReply::Err(_)));
        stats.total_micros += micros;
        stats.max_micros = stats.max_micros.max(micros);
        // Whether a container ran is read before this reply is taken in (a StopContainer's reply
        // says it no longer does).
        let was_running: Vec<String> = match &done.request {
            CriRequest::StopContainer { container_id, .. } => {
                vec![container_id.clone()].into_iter().filter(|id| self.listed.running(id)).collect()
            }
            CriRequest::StopPodSandbox { .. } => self.listed.running_ids(),
            _ => Vec::new(),
        };
        let exits = self.listed.on_cri(&done.request, &done.reply);
        if let Some(judge) = self.judge.as_mut() {
            let asked = now.saturating_sub(done.took.as_millis() as Millis);
            let running = |id: &str| was_running.iter().any(|r| r == id);
            judge.log().on_cri(asked, now, &done.request, &done.reply, &running);
            // containerd's StopContainer sends SIGKILL once the grace period is over, and returns
            // when the process is gone: a call that lasted the grace period escalated then.
            if let (CriRequest::StopContainer { container_id, timeout_seconds }, CriReply::Ok) =
                (&done.request, &done.reply)
            {
                let grace = (*timeout_seconds).max(0) as Millis * 1_000;
                if done.took.as_millis() as Millis >= grace {
                    judge.log().on_stop_escalated(asked + grace, container_id);
                }
            }
            for (id, code) in exits {
                judge.log().on_exit(now, &id, code);
            }
        }
        let recorded = self.starts.starts.len();
        self.starts.on_cri(now, &done.request, &done.reply);
        if self.starts.starts.len() > recorded {
            self.note_readiness();
        }
        if self.trace.enabled() {
            let text = format!(
                "{} -> {:?} ({} ms)",
                podsim_sim::world::short_cri(&done.request),
                done.reply,
                done.took.as_millis()
            );
            self.trace.record(now, TraceKind::Cri, || text);
        }
        if done.incarnation == self.incarnation {
            self.deliver(Input::Cri { call: done.call, reply: done.reply });
        }
    }

    /// Marks the start just recorded: once every regular container of a pod watched for readiness
    /// has started, the pod is ready.
    fn note_readiness(&mut self) {
        let Some(last) = self.starts.starts.last() else { return };
        let micros = self.micros();
        if let Some((_, waiting, ready)) = self.readiness.get_mut(&last.pod) {
            waiting.retain(|name| *name != last.what);
            if waiting.is_empty() && ready.is_none() {
                *ready = Some(micros);
            }
        }
    }

    // ---- the API server and the network to it ----

    fn latency(&self) -> Millis {
        self.link.latency(self.now())
    }

    fn blocked(&self, way: Direction) -> bool {
        self.link.blocked(way)
    }

    fn api_arrive(&mut self, incarnation: u32, call: CallId, request: ApiRequest) {
        let now = self.now();
        let releasing = match &request {
            ApiRequest::DeletePod { pod } => Some(pod.uid.clone()),
            _ => None,
        };
        let event_name = podsim_sim::world::written_event(&request);
        let reply = self.api.handle(now, request);
        if let (Some(uid), ApiReply::Ok, Some(judge)) = (releasing, &reply, self.judge.as_mut()) {
            judge.log().on_release(now, &uid);
        }
        if let (Some((namespace, name)), ApiReply::Ok) = (event_name, &reply) {
            if let Some(e) = self.api.event(&namespace, &name) {
                if let Some(judge) = self.judge.as_mut() {
                    judge.log().on_event(now, &e.namespace, &e.pod_name, e.container.as_deref(), &e.reason);
                }
                self.trace.record(now, TraceKind::Event, || e.describe());
            }
        }
        self.flush_watch();
        if incarnation != self.incarnation || self.blocked(Direction::FromApiServer) {
            return;
        }
        let at = self.link.arrival_from_api(self.now(), 0);
        self.schedule(at, Event::Kubelet { incarnation, input: Input::Api { call, reply } });
    }

    /// Sends the watch events of the kubelet's pods and Secrets (or breaks the watches in a
    /// partition), as the simulator does.
    fn flush_watch(&mut self) {
        let events = self.api.take_watch_events();
        let secret_events = self.api.take_secret_events();
        let incarnation = self.incarnation;
        for (namespace, name) in self.api.take_ended_secret_watches() {
            let input = Input::SecretWatchClosed { namespace, name, gone: true };
            let at = self.link.arrival_from_api(self.now(), BASE_LATENCY);
            self.schedule(at, Event::Kubelet { incarnation, input });
        }
        if events.is_empty() && secret_events.is_empty() {
            return;
        }
        if self.blocked(Direction::FromApiServer) {
            self.break_watch(WATCH_BREAK_DETECTION);
            return;
        }
        let at = self.link.arrival_from_api(self.now(), 0);
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
        let at = self.link.arrival_from_api(self.now(), detection);
        if self.api.close_watch() {
            self.schedule(at, Event::Kubelet { incarnation, input: Input::WatchClosed { gone: false } });
        }
        for (namespace, name) in self.api.close_secret_watches() {
            let input = Input::SecretWatchClosed { namespace, name, gone: false };
            self.schedule(at, Event::Kubelet { incarnation, input });
        }
    }

    // ---- the timeline and faults ----

    async fn apply_action(&mut self, index: usize) {
        let now = self.now();
        let action = self.scenario.timeline[index].1.clone();
        self.trace.record(now, TraceKind::Timeline, || format!("{action:?}"));
        let result = match action.clone() {
            Action::CreatePod(pod) => {
                let regular: Vec<String> = pod.spec.containers.iter().map(|c| c.name().to_string()).collect();
                self.readiness.insert(pod.full_name(), (self.micros(), regular, None));
                self.api.create_pod(now, pod).map(|_| ())
            }
            Action::UpdatePod(new) => self
                .api
                .update_pod(now, &new.namespace, &new.name, |p| {
                    let node = p.spec.node_name.clone();
                    p.spec = new.spec.clone();
                    p.spec.node_name = node;
                })
                .map(|_| ()),
            Action::DeletePod { namespace, name, grace_seconds } => {
                self.api.delete_pod(now, &namespace, &name, grace_seconds)
            }
            Action::CreateSecret { namespace, name } => self.api.create_secret(&namespace, &name),
            Action::DeleteSecret { namespace, name } => self.api.delete_secret(&namespace, &name),
            Action::Fault(fault) => {
                self.apply_fault(fault).await;
                Ok(())
            }
        };
        if let (Ok(()), Some(judge)) = (&result, self.judge.as_mut()) {
            judge.log().on_action(now, &action);
        }
        if let Err(e) = result {
            if e == ApiError::Unavailable {
                self.schedule(now + 1_000, Event::Timeline(index));
            }
        }
        self.flush_watch();
    }

    async fn apply_fault(&mut self, fault: Fault) {
        let now = self.now();
        self.applied_faults.push((now, fault.clone()));
        if let Some(judge) = self.judge.as_mut() {
            judge.log().on_fault(now, fault.kind());
        }
        self.trace.record(now, TraceKind::Fault, || serde_json::to_string(&fault).unwrap_or_default());
        match fault {
            Fault::Partition { direction, duration } => {
                let until = self.link.partition(now, direction, duration);
                self.break_watch(WATCH_BREAK_DETECTION);
                self.schedule(until, Event::HealPartition);
            }
            Fault::DropWatch => self.break_watch(BASE_LATENCY),
            Fault::Latency { extra, duration } => {
                let until = self.link.slow_down(now, extra, duration);
                self.schedule(until, Event::HealLatency);
            }
            Fault::ApiServerRestart { downtime } => {
                self.api.restart(now, now + downtime);
                self.break_watch(BASE_LATENCY);
            }
            Fault::EtcdCompaction => {
                self.api.compact();
                self.break_watch(BASE_LATENCY);
            }
            Fault::EtcdUnavailable { duration } => {
                self.api.etcd_mut().set_available(false);
                self.etcd_down_until = self.etcd_down_until.max(now + duration);
                let until = self.etcd_down_until;
                self.schedule(until, Event::EtcdBack);
            }
            Fault::SecretMissing { secret, duration } => {
                let (namespace, name) = split_name(&secret);
                let _ = self.api.delete_secret(&namespace, &name);
                if duration > 0 {
                    self.schedule(now + duration, Event::SecretBack { namespace, name });
                }
            }
            Fault::ContainerCrash { pod, container, .. } => {
                match self.find_container(pod.as_deref(), container.as_deref()).await {
                    Some(id) => self.kill_container(&id).await,
                    None => {
                        self.notes.push(format!("containerCrash at {now} ms: no running container to crash"))
                    }
                }
            }
            Fault::PauseDeath { pod } => match self.find_sandbox(pod.as_deref()).await {
                Some(id) => match self.client.sandbox_pid(&id).await {
                    Ok(Some(pid)) => kill(pid, &mut self.notes),
                    other => self.notes.push(format!("pauseDeath: no pause process for {id}: {other:?}")),
                },
                None => self.notes.push(format!("pauseDeath at {now} ms: no ready sandbox")),
            },
            Fault::ContainerdRestart { downtime } => match self.control.clone() {
                Some(control) => {
                    let handle = tokio::task::spawn_blocking(move || {
                        control.lock().expect("runtime control lock").restart(Duration::from_millis(downtime))
                    });
                    // The loop goes on while containerd is down: the kubelet's calls fail meanwhile.
                    let notes = self.late_notes.clone();
                    tokio::spawn(async move {
                        if let Ok(Err(e)) = handle.await {
                            notes.lock().expect("notes lock").push(format!("containerd restart failed: {e}"));
                        }
                    });
                }
                None => self.notes.push("containerdRestart: this containerd is not podsim's; skipped".into()),
            },
            Fault::CriFailure { method, count, timeout } => {
                self.injected.insert(method, (count, timeout));
            }
            Fault::KubeletRestart { downtime } => {
                if let Some(kubelet) = self.kubelet.take() {
                    self.probes.add(&kubelet.probes());
                    self.trace.record(now, TraceKind::Kubelet, || "kubelet crashed".into());
                }
                self.incarnation += 1;
                self.pending_api.clear();
                self.api.close_watch();
                self.api.close_secret_watches();
                self.schedule(now + downtime, Event::KubeletBoot);
            }
            Fault::MountFailure { pod, duration } => {
                let uid = pod.and_then(|p| {
                    let (ns, name) = split_name(&p);
                    self.api.pod(&ns, &name).map(|s| s.pod.uid)
                });
                self.node.fail_mounts(uid, now + duration);
            }
            Fault::DataDirFailure { duration } => self.node.fail_data_dirs(now + duration),
            Fault::RemoveImage { image } => {
                if let CriReply::Err(e) = self.client.remove_image(&image).await {
                    self.notes.push(format!("removeImage {image}: {e:?}"));
                }
            }
            other @ (Fault::OomKill { .. }
            | Fault::NodeReboot { .. }
            | Fault::ImagePullFailure { .. }
            | Fault::SlowPull { .. }) => {
                self.notes.push(format!("{:?} cannot be realised on a real runtime; skipped", other.kind()));
            }
        }
        self.flush_watch();
    }

    /// A running container of this run: of `pod` (by name) if given, named `container` if given.
    async fn find_container(&self, pod: Option<&str>, container: Option<&str>) -> Option<String> {
        let uid = self.pod_uid(pod);
        let CriReply::Containers(list) = self.client.call(&CriRequest::ListContainers { pod_uid: uid }).await
        else {
            return None;
        };
        list.into_iter()
            .filter(|c| c.status.state == ContainerState::Running)
            .filter(|c| container.is_none_or(|n| c.status.name == n))
            .min_by(|a, b| a.status.id.cmp(&b.status.id))
            .map(|c| c.status.id)
    }

    /// The newest ready sandbox of this run, of `pod` (by name) if given.
    async fn find_sandbox(&self, pod: Option<&str>) -> Option<String> {
        let uid = self.pod_uid(pod);
        let CriReply::Sandboxes(list) = self.client.call(&CriRequest::ListPodSandbox { pod_uid: uid }).await
        else {
            return None;
        };
        list.into_iter().find(|s| s.status.state == podsim_model::SandboxState::Ready).map(|s| s.status.id)
    }

    fn pod_uid(&self, pod: Option<&str>) -> Option<String> {
        let (ns, name) = split_name(pod?);
        self.api.pod(&ns, &name).map(|s| s.pod.uid)
    }

    async fn kill_container(&mut self, id: &str) {
        match self.client.container_pid(id).await {
            Ok(Some(pid)) => kill(pid, &mut self.notes),
            other => self.notes.push(format!("containerCrash: no process for {id}: {other:?}")),
        }
    }
}

/// SIGKILLs a process of this run (its pid read from the runtime, for an object carrying the run's label).
fn kill(pid: i32, notes: &mut Vec<String>) {
    // SAFETY: kill(2) with a pid the runtime reported for one of this run's containers.
    let rc = unsafe { libc::kill(pid, libc::SIGKILL) };
    if rc != 0 {
        notes.push(format!("kill {pid}: {}", std::io::Error::last_os_error()));
    }
}

/// Where a real run's containerd comes from.
pub enum Runtime<'a> {
    /// A private containerd that podsim starts in a temporary folder and stops at the end.
    Private,
    /// A containerd already running, at this socket: podsim imports its images there, touches
    /// only what it creates, and removes that at the end.
    Address(&'a std::path::Path),
}

/// The images a real run starts with on the node: each is imported as podsim's workload image. An
/// image is there if the simulator's node could ever hold it: it is in the scenario's registry
/// (`images:`) and either preloaded, or pullable (its pulls do not fail for good) by a container whose
/// `imagePullPolicy` lets the kubelet pull it. (Imported from the start, a pullable image is found
/// present rather than pulled: pulls never reach a registry here.) So an image that is not
/// preloaded and only ever asked for with `imagePullPolicy: Never` is absent, as in the simulator,
/// and its containers wait with ErrImageNeverPull. The list may be empty.
pub fn scenario_images(scenario: &Scenario) -> Vec<String> {
    let pullers = pulling_containers_by_image(scenario);
    let mut images: std::collections::BTreeSet<String> = scenario
        .images
        .iter()
        .filter(|(name, spec)| {
            let pullable = spec.failure != podsim_sim::scenario::PullFailureSpec::Permanent;
            spec.preloaded || (pullable && pullers.get(name.as_str()).is_some_and(|&n| n > 0))
        })
        .map(|(name, _)| name.clone())
        .collect();
    // A preset container's image is on the node: it was pulled for the container.
    images.extend(scenario.node_setup.containers.iter().map(|c| c.image.clone()));
    images.into_iter().collect()
}

/// Per image used by the scenario's pods (created or updated), how many of their containers would
/// have the kubelet pull it: those whose `imagePullPolicy` is not Never (pkg/kubelet/images/image_manager.go
/// `EnsureImageExists` and `shouldPullImage`: Never only looks for the image on the node).
fn pulling_containers_by_image(scenario: &Scenario) -> BTreeMap<&str, usize> {
    let mut pullers = BTreeMap::new();
    for (_, action) in &scenario.timeline {
        if let Action::CreatePod(pod) | Action::UpdatePod(pod) = action {
            for (_, c) in pod.all_containers() {
                let count = pullers.entry(c.image()).or_insert(0);
                if c.image_pull_policy != podsim_model::PullPolicy::Never {
                    *count += 1;
                }
            }
        }
    }
    pullers
}

/// Runs `scenario` on a real containerd for `duration` (wall clock), then removes everything the run
/// made (and stops the private containerd). Ctrl-C ends the run early, with the same clean-up.
pub fn run_on_containerd(
    scenario: &Scenario,
    runtime: Runtime<'_>,
    duration: Millis,
    trace: bool,
) -> Result<(RealOutcome, Trace), String> {
    let bad = unsupported_faults(scenario);
    if !bad.is_empty() {
        return Err(format!(
            "scenario {} cannot run on a real runtime:\n  {}",
            scenario.name,
            bad.join("\n  ")
        ));
    }
    let run_id = crate::labels::new_run_id();
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let (daemon, socket, dir) = match runtime {
        Runtime::Private => {
            let daemon = crate::daemon::PrivateContainerd::start(&run_id, crate::image::PAUSE_IMAGE)?;
            let socket = daemon.socket().to_path_buf();
            let dir = daemon.dir().to_path_buf();
            (Some(Arc::new(Mutex::new(daemon))), socket, dir)
        }
        Runtime::Address(socket) => {
            let dir = crate::run_dir::state_root().join(&run_id);
            std::fs::create_dir_all(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
            // So that `podsim clean` knows the folder is a run's, and whether its podsim still runs.
            let record = crate::run_dir::RunRecord {
                run_id: run_id.clone(),
                podsim_pid: std::process::id(),
                containerd_pid: 0,
                socket: socket.to_path_buf(),
                created: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
            };
            record.write(&dir)?;
            (None, socket.to_path_buf(), dir)
        }
    };
    let result = (|| {
        // The channel spawns its connection task on the runtime it is made in.
        let _entered = tokio.enter();
        let private = daemon.is_some();
        let run = crate::client::RunContext {
            run_id: run_id.clone(),
            log_root: dir.join("logs"),
            // Another containerd keeps its own cgroup layout (it may use the systemd driver).
            cgroup_parent: if private { crate::run_dir::cgroup_parent(&run_id) } else { String::new() },
            clock_origin_unix_nanos: unix_nanos_now(),
        };
        let client = crate::client::CriClient::unix(&socket, run, crate::client::ClientOptions::default());
        let mut images = scenario_images(scenario);
        images.push(crate::image::PAUSE_IMAGE.to_string());
        // In a containerd that is not podsim's, the images podsim adds are removed again at the end.
        let added: Vec<String> = if private {
            Vec::new()
        } else {
            images
                .iter()
                .filter(|i| {
                    let present =
                        tokio.block_on(client.call(&CriRequest::ImageStatus { image: i.to_string() }));
                    present == CriReply::ImagePresent(false)
                })
                .cloned()
                .collect()
        };
        images.pop();
        crate::image::import_images(&socket, &dir, &images)?;
        crate::image::label_images(&socket, &added, &run_id)?;
        let control = daemon.clone().map(|d| d as Arc<Mutex<dyn RuntimeControl>>);
        let config = RealConfig { duration, trace, check_expectations: duration >= scenario.duration };
        // What an earlier kubelet left, before this one starts.
        if let Err(e) = tokio.block_on(crate::preset::create_preset_runtime(&client, scenario)) {
            let _ = tokio.block_on(client.remove_everything());
            return Err(e);
        }
        let world = RealWorld::new(scenario, config, client.clone(), control);
        let outcome = tokio.block_on(async {
            tokio::select! {
                done = world.run() => Some(done),
                _ = tokio::signal::ctrl_c() => None,
            }
        });
        let removed = tokio.block_on(client.remove_everything());
        for image in &added {
            let _ = tokio.block_on(client.remove_image(image));
        }
        match outcome {
            Some(done) => {
                removed.map_err(|e| format!("removing the run's sandboxes and containers: {e:?}"))?;
                Ok(done)
            }
            None => Err("interrupted (Ctrl-C); everything the run made was removed".to_string()),
        }
    })();
    // Whatever happened, nothing of the run is left.
    let cleaned = match daemon {
        Some(daemon) => match Arc::try_unwrap(daemon) {
            Ok(daemon) => {
                daemon.into_inner().map_err(|_| "lock".to_string()).and_then(|d| d.stop().map(|_| ()))
            }
            Err(_) => Err("the containerd restart task still holds the daemon".to_string()),
        },
        None => std::fs::remove_dir_all(&dir).map_err(|e| format!("cannot remove {}: {e}", dir.display())),
    };
    match (result, cleaned) {
        (Ok(done), Ok(())) => Ok(done),
        (Ok(_), Err(e)) => Err(format!("the run ended but its clean-up failed: {e}")),
        (Err(e), Ok(())) => Err(e),
        (Err(e), Err(c)) => Err(format!("{e}; and its clean-up failed: {c}")),
    }
}

impl RuntimeControl for crate::daemon::PrivateContainerd {
    fn restart(&mut self, downtime: Duration) -> Result<(), String> {
        crate::daemon::PrivateContainerd::restart(self, downtime)
    }
}

/// Now, in Unix nanoseconds (the runtime's timestamps are read relative to it).
fn unix_nanos_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64)
}
