//! The containerd driver: the [harness](podsim_sim::harness) — the same kubelet model, in-process
//! API server over the simulated etcd, node, timeline, faults, trace and judge as the simulator —
//! on the wall clock, with containerd behind the CRI instead of the simulated one.
//!
//! Time is read from tokio's clock (the wall clock, or turmoil's simulated one in tests), and a CRI
//! call runs as a task whose reply comes back when the runtime answers, so that calls overlap as
//! the kubelet's goroutines do. The kubelet's contract is kept: one reply per request.
//!
//! Faults that exist on a real node are realised for real: a container crash SIGKILLs the
//! container's process, a pause death SIGKILLs the pause process, a containerd restart restarts the
//! private containerd, a removed image is removed with the CRI, and injected CRI failures answer
//! calls instead of containerd (as in the simulator, they expire). Every other fault the harness
//! realises as on the simulator. Faults that only the simulator can make (OOM kills, node reboots,
//! registry failures and slow pulls) make the scenario not runnable here: see
//! [`unsupported_faults`].
//!
//! The checker judges the run as it judges a simulated one, reading the runtime through a
//! [`CriListing`]: what containerd's `ListPodSandbox` and `ListContainers` returned to the kubelet's
//! own listings (its relist every second), kept up to date between them from each reply of a call
//! that changes the runtime (a new sandbox is ready, a created container is created, a started one
//! runs, a stopped one exited, a removed one gone), so that nothing the kubelet made since its last
//! relist is unknown when it names it. A fresh listing after each such call would be exact, but
//! would hold the loop 5-80 ms a call and delay the kubelet's own timers. Exits are learnt as the
//! kubelet's PLEG learns them, at the listing that shows them (or at the stop that ended them),
//! and the checker is told before the kubelet. Liveness is judged at the end, on a fresh listing,
//! when the run lasted the scenario's bound past the last heal and change and no fault was
//! permanent; otherwise a note says why it was not.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;
use tokio::time::Instant;

use podsim_model::coverage::Probes;
use podsim_model::io::{CallId, ContainerInfo, CriReply, CriRequest, PodRef};
use podsim_model::{ContainerState, ContainerStatus, Millis};
use podsim_sim::apiserver::ApiServer;
use podsim_sim::checker::{CriListing, RuntimeFacts, Violation};
use podsim_sim::containerd::CriMethod;
use podsim_sim::expect::listed::{ListedRuntime, ListedView};
use podsim_sim::expect::RuntimeView;
use podsim_sim::faults::{DrawnFaults, Fault, FaultKind};
use podsim_sim::harness::injected::InjectedFailures;
use podsim_sim::harness::steps::StepLog;
use podsim_sim::harness::{CriAnswer, Driver, Harness, HarnessOptions, Heal, TRANSIENT_FAULT_LIFETIME};
use podsim_sim::node::Node;
use podsim_sim::report::{PodOutcome, StartLog};
use podsim_sim::rng::SimRng;
use podsim_sim::scenario::{Action, Scenario};
use podsim_sim::trace::Trace;

use crate::client::CriClient;

/// The runtime's own controls, for faults a CRI client cannot make (podsim's private containerd).
pub trait RuntimeControl: Send {
    /// Stops the runtime, waits `downtime`, and starts it again. Blocks.
    fn restart(&mut self, downtime: Duration) -> Result<(), String>;
}

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
    /// Broken rules (safety, liveness) and unmet expectations.
    pub violations: Vec<Violation>,
    /// Whether liveness was judged (the run lasted the bound past the last heal, and no fault was
    /// permanent); when not, a note says why.
    pub liveness_checked: bool,
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
    /// The kubelet's steps per pod.
    #[serde(skip)]
    pub steps: StepLog,
}

impl RealOutcome {
    /// Every expectation met.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Why a fault cannot be realised on a real containerd (None: it can).
fn why_not_realised(fault: &Fault) -> Option<&'static str> {
    match fault {
        Fault::OomKill { .. } => Some("the kernel's OOM killer cannot be made to pick a container here"),
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
    }
}

/// The faults of a scenario that cannot be realised on a real runtime (by name), with why.
pub fn unsupported_faults(scenario: &Scenario) -> Vec<String> {
    let mut found = Vec::new();
    for (_, action) in &scenario.timeline {
        if let Action::Fault(f) = action {
            if let Some(why) = why_not_realised(f) {
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

/// A CRI reply coming back from its task.
struct CriDone {
    incarnation: u32,
    call: CallId,
    request: CriRequest,
    reply: CriReply,
    /// When the call was made (run milliseconds).
    asked: Millis,
    took: Duration,
}

/// The real runtime as the harness's driver: the CRI client, the runtime's controls, and what the
/// kubelet last listed of it.
struct RealRuntime {
    client: CriClient,
    control: Option<Arc<Mutex<dyn RuntimeControl>>>,
    start: Instant,
    replies_tx: mpsc::UnboundedSender<CriDone>,
    /// Injected CRI failures (the `criFailure` fault), the simulator's rule.
    injected: InjectedFailures,
    stats: BTreeMap<String, CallStats>,
    readiness: BTreeMap<String, (u64, Vec<String>, Option<u64>)>,
    notes: Vec<String>,
    /// Notes from tasks (a containerd restart running beside the loop).
    late_notes: Arc<Mutex<Vec<String>>>,
    /// The runtime as the kubelet last listed it (what the expectations read of it).
    listed: ListedRuntime,
    /// Every container the kubelet's listings showed, by id (fault targets are named from it).
    seen: BTreeMap<String, ContainerInfo>,
    /// The runtime as the checker's rules read it: what containerd's `ListPodSandbox` and
    /// `ListContainers` last returned (the kubelet's own listings, and a fresh listing after each
    /// call that changes the runtime), and the image store.
    facts: CriListing,
    /// Runtime faults to realise once the event is handled (they need calls to containerd).
    pending: Vec<Fault>,
}

/// A run of one scenario on a real runtime.
pub struct RealWorld {
    h: Harness<Infallible>,
    rt: RealRuntime,
    config: RealConfig,
    replies: mpsc::UnboundedReceiver<CriDone>,
    /// Whether liveness was judged at the end.
    liveness_checked: bool,
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
        let seed = scenario.seed.unwrap_or(0);
        let options = HarnessOptions {
            seed,
            // The kubelet's jitter is drawn from this, seeded with the scenario's seed (0 if none), as
            // in the simulator: the model draws no random numbers.
            rng: SimRng::new(seed),
            trace: config.trace,
            check_expectations: config.check_expectations,
            drawn: DrawnFaults { kinds: Vec::new(), schedule: Vec::new() },
        };
        let mut h = Harness::new(scenario, options);
        h.steps = Some(StepLog::default());
        h.boot();
        let (replies_tx, replies) = mpsc::unbounded_channel();
        let rt = RealRuntime {
            client,
            control,
            start: Instant::now(),
            replies_tx,
            injected: InjectedFailures::default(),
            stats: BTreeMap::new(),
            readiness: BTreeMap::new(),
            notes: Vec::new(),
            late_notes: Arc::new(Mutex::new(Vec::new())),
            listed: ListedRuntime::default(),
            seen: BTreeMap::new(),
            facts: CriListing::new(Vec::new(), Vec::new(), scenario_images(scenario)),
            pending: Vec::new(),
        };
        RealWorld { h, rt, config, replies, liveness_checked: false }
    }

    /// Runs a broken variant of the kubelet instead (tests that the checker catches it on this
    /// backend as on the simulator).
    pub fn with_broken_kubelet(mut self, broken: podsim_sim::harness::BrokenKubelet) -> RealWorld {
        self.h.broken_kubelet = Some(broken);
        self
    }

    /// Runs until the configured duration has passed, then reads the outcome.
    pub async fn run(mut self) -> (RealOutcome, Trace) {
        let end = self.config.duration;
        loop {
            let now = self.rt.now();
            if now >= end {
                break;
            }
            if let Some((_, event)) = self.h.pop_due(now) {
                self.h.judge_before(&self.rt, now);
                self.h.now = now;
                self.h.events += 1;
                self.h.dispatch(&mut self.rt, event);
                self.realise_pending().await;
                self.h.judge_after(&self.rt);
                continue;
            }
            let next = self.h.next_at().map_or(end, |t| t.min(end));
            let wake = self.rt.start + Duration::from_millis(next);
            tokio::select! {
                Some(done) = self.replies.recv() => {
                    let now = self.rt.now();
                    self.h.judge_before(&self.rt, now);
                    self.h.now = now;
                    self.on_cri_done(done);
                    self.h.judge_after(&self.rt);
                }
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
        self.finish().await
    }

    async fn finish(mut self) -> (RealOutcome, Trace) {
        let now = self.rt.now();
        self.h.now = now;
        self.check_liveness().await;
        if let Some(mut judge) = self.h.judge.take() {
            let view = self.rt.listed.view(&self.h.node);
            for v in judge.finish(&self.h.api, &view) {
                self.h.checker.record(v);
            }
        }
        let sandboxes = match self.rt.client.call(&CriRequest::ListPodSandbox { pod_uid: None }).await {
            CriReply::Sandboxes(list) => list.to_vec(),
            _ => Vec::new(),
        };
        let pods = podsim_sim::report::pod_outcomes_with(&self.h.api, |uid| {
            sandboxes.iter().filter(|s| s.pod.as_ref().is_some_and(|p| p.uid == uid)).count()
        });
        let violations = self.h.checker.take_violations();
        self.h.trace_violations(&violations);
        self.h.api.expire_events(now);
        let kube_events = self.h.api.events().cloned().collect();
        let readiness = self
            .rt
            .readiness
            .iter()
            .map(|(pod, (created, _, ready))| PodReadiness {
                pod: pod.clone(),
                created_micros: *created,
                all_running_micros: *ready,
            })
            .collect();
        let mut notes = std::mem::take(&mut self.h.notes);
        notes.append(&mut self.rt.notes);
        notes.extend(self.rt.late_notes.lock().expect("notes lock").drain(..));
        let probes = self.h.all_probes();
        let outcome = RealOutcome {
            run_id: self.rt.client.run().run_id.clone(),
            wall_millis: now,
            pods,
            violations,
            liveness_checked: self.liveness_checked,
            starts: std::mem::take(&mut self.h.starts),
            cri_calls: std::mem::take(&mut self.rt.stats),
            readiness,
            applied_faults: std::mem::take(&mut self.h.applied_faults),
            notes,
            kube_events,
            probes,
            steps: self.h.steps.take().unwrap_or_default(),
        };
        (outcome, self.h.trace)
    }

    /// Liveness, VOPR style, as the simulator judges it: once the last fault has healed and the
    /// last change was made, every pod must have reached its desired state within the scenario's
    /// bound (`convergeWithin`). The run does not go on past its span: a span that ends before
    /// the bound passed leaves liveness unchecked, and the outcome says so.
    async fn check_liveness(&mut self) {
        let settled_from = self.h.last_heal.max(self.h.last_action);
        let bound = self.h.scenario.converge_within;
        let why_not = if self.h.permanent_faults {
            Some("a fault is permanent".to_string())
        } else if self.h.now < settled_from + bound {
            Some(format!(
                "the run ended {} ms after the world settled at {settled_from} ms, before the bound of {bound} ms",
                self.h.now - settled_from
            ))
        } else {
            None
        };
        if let Some(why) = why_not {
            self.rt.notes.push(format!("liveness not checked: {why}"));
            return;
        }
        self.rt.refresh_facts().await;
        self.liveness_checked = self.h.check_convergence(&self.rt, settled_from, bound);
    }

    /// A CRI reply came back: the runtime as the checker reads it is brought up to date with it
    /// (a listing replaces what it lists; a call that changes the runtime changes it as its reply
    /// says, so that what the kubelet made since its last relist is known before it names it; a
    /// fresh listing per call would hold the loop 5-80 ms a call and delay the kubelet's timers),
    /// the checker learns the exits it shows, the harness takes it in, and the kubelet is told.
    fn on_cri_done(&mut self, done: CriDone) {
        let now = self.h.now;
        self.rt.count_call(&done);
        let died = self.rt.facts.take_reply(now, &done.request, &done.reply);
        for (id, _) in &died {
            self.h.checker_saw_exit(&self.rt, id);
        }
        // Whether a container ran is read before this reply is taken in (a StopContainer's reply
        // says it no longer does).
        let was_running: Vec<String> = match &done.request {
            CriRequest::StopContainer { container_id, .. } => {
                Some(container_id.to_string()).into_iter().filter(|id| self.rt.listed.running(id)).collect()
            }
            CriRequest::StopPodSandbox { .. } => self.rt.listed.running_ids(),
            _ => Vec::new(),
        };
        let exits = self.rt.listed.on_cri(&done.request, &done.reply);
        self.rt.see(&done.request, &done.reply);
        let answer = CriAnswer {
            asked: done.asked,
            answered: now,
            request: &done.request,
            reply: &done.reply,
            escalated: escalated_at(&done),
        };
        let recorded = self.h.starts.starts.len();
        let running = |id: &str| was_running.iter().any(|r| r == id);
        self.h.cri_answered(&self.rt, answer, &running, &exits);
        if self.h.starts.starts.len() > recorded {
            self.rt.note_readiness(&self.h.starts);
        }
        self.h.deliver_cri_reply(&mut self.rt, done.incarnation, done.call, done.reply);
    }

    /// Realises the runtime faults the last event injected (they need calls to containerd).
    async fn realise_pending(&mut self) {
        for fault in std::mem::take(&mut self.rt.pending) {
            self.rt.realise_now(&self.h, fault).await;
        }
    }
}

/// containerd's StopContainer sends SIGKILL once the grace period is over, and returns when the
/// process is gone: a call that lasted the grace period escalated then.
fn escalated_at(done: &CriDone) -> Option<Millis> {
    let (CriRequest::StopContainer { timeout_seconds, .. }, CriReply::Ok) = (&done.request, &done.reply)
    else {
        return None;
    };
    let grace = (*timeout_seconds).max(0) as Millis * 1_000;
    (done.took.as_millis() as Millis >= grace).then_some(done.asked + grace)
}

impl Driver for RealRuntime {
    type Event = Infallible;
    type View<'a> = ListedView<'a>;

    fn realises(&self, kind: FaultKind) -> bool {
        matches!(
            kind,
            FaultKind::ContainerCrash
                | FaultKind::PauseDeath
                | FaultKind::ContainerdRestart
                | FaultKind::CriFailure
                | FaultKind::RemoveImage
                | FaultKind::ProbeFailure
        )
    }

    /// What containerd's CRI lists and statuses last returned.
    fn containerd(&self) -> Option<&dyn RuntimeFacts> {
        Some(&self.facts)
    }

    fn runtime_view<'a>(
        &'a self,
        _api: &'a ApiServer,
        node: &'a Node,
        _node_name: &'a str,
    ) -> ListedView<'a> {
        self.listed.view(node)
    }

    /// Starts a CRI call as a task (or answers it with an injected failure).
    fn cri_call(&mut self, h: &mut Harness<Infallible>, call: CallId, request: CriRequest) {
        let (incarnation, asked, tx) = (h.incarnation, h.now, self.replies_tx.clone());
        if let Some((reply, delay)) = self.injected.take(asked, CriMethod::of(&request)) {
            tokio::spawn(async move {
                let begun = Instant::now();
                tokio::time::sleep(Duration::from_millis(delay)).await;
                let _ = tx.send(CriDone { incarnation, call, request, reply, asked, took: begun.elapsed() });
            });
            return;
        }
        let client = self.client.clone();
        tokio::spawn(async move {
            let begun = Instant::now();
            let reply = client.call(&request).await;
            let _ = tx.send(CriDone { incarnation, call, request, reply, asked, took: begun.elapsed() });
        });
    }

    fn on_event(&mut self, _h: &mut Harness<Infallible>, event: Infallible) {
        match event {}
    }

    /// Targets are named from what the kubelet last listed, by the harness's one rule.
    fn resolve(&mut self, h: &mut Harness<Infallible>, fault: Fault) -> Fault {
        match fault {
            Fault::ContainerCrash { pod, container, exit_code } => {
                let id = h.pick_container(self.running(), pod.as_deref(), container.as_deref());
                match id.and_then(|id| self.seen.get(&id)).and_then(names_of) {
                    Some((pod, container)) => {
                        Fault::ContainerCrash { pod: Some(pod), container: Some(container), exit_code }
                    }
                    None => Fault::ContainerCrash { pod, container, exit_code },
                }
            }
            Fault::PauseDeath { pod } => {
                let named = pod.is_some();
                let candidates = self.ready_sandboxes(h, pod.as_deref());
                match h.pick_target(&candidates.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(), named) {
                    Some(id) => Fault::PauseDeath {
                        pod: candidates.into_iter().find(|(s, _)| *s == id).map(|(_, p)| p),
                    },
                    None => Fault::PauseDeath { pod },
                }
            }
            other => other,
        }
    }

    fn realise(&mut self, h: &mut Harness<Infallible>, fault: &Fault) {
        match fault {
            Fault::CriFailure { method, count, timeout } => {
                let until = h.now + TRANSIENT_FAULT_LIFETIME;
                self.injected.add(
                    *method,
                    *count,
                    *timeout,
                    podsim_sim::harness::injected::INJECTED_TIMEOUT,
                    until,
                );
            }
            other => self.pending.push(other.clone()),
        }
    }

    fn heal(&mut self, _h: &mut Harness<Infallible>, heal: &Heal) -> String {
        format!("{heal:?} (not realised on containerd)")
    }

    fn on_action(&mut self, _h: &Harness<Infallible>, action: &Action) {
        if let Action::CreatePod(pod) = action {
            let regular: Vec<String> = pod.spec.containers.iter().map(|c| c.name().to_string()).collect();
            self.readiness.insert(pod.full_name(), (self.micros(), regular, None));
        }
    }
}

/// A container's pod (`namespace/name`) and name.
fn names_of(c: &ContainerInfo) -> Option<(String, String)> {
    let pod = c.pod.as_ref()?;
    Some((format!("{}/{}", pod.namespace, pod.name), c.status.name.to_string()))
}

impl RealRuntime {
    fn now(&self) -> Millis {
        self.start.elapsed().as_millis() as Millis
    }

    fn micros(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    fn count_call(&mut self, done: &CriDone) {
        let stats = self.stats.entry(format!("{:?}", CriMethod::of(&done.request))).or_default();
        let micros = done.took.as_micros() as u64;
        stats.calls += 1;
        stats.errors += u64::from(matches!(done.reply, CriReply::Err(_)));
        stats.total_micros += micros;
        stats.max_micros = stats.max_micros.max(micros);
    }

    /// Lists every sandbox and container of the run afresh, for the checker; returns the containers
    /// no longer running that ran at the last listing. A listing that fails (containerd is down)
    /// leaves what was known.
    async fn refresh_facts(&mut self) -> Vec<(String, i32)> {
        let mut died = Vec::new();
        for request in
            [CriRequest::ListPodSandbox { pod_uid: None }, CriRequest::ListContainers { pod_uid: None }]
        {
            let reply = self.client.call(&request).await;
            died.extend(self.facts.take_reply(self.now(), &request, &reply));
        }
        died
    }

    /// Keeps what a listing showed of each container (to name fault targets).
    fn see(&mut self, request: &CriRequest, reply: &CriReply) {
        if let (CriRequest::ListContainers { .. }, CriReply::Containers(list)) = (request, reply) {
            for c in list.iter() {
                self.seen.insert(c.status.id.to_string(), c.clone());
            }
        }
    }

    /// Marks the start just recorded: once every regular container of a pod watched for readiness
    /// has started, the pod is ready.
    fn note_readiness(&mut self, starts: &StartLog) {
        let Some(last) = starts.starts.last() else { return };
        let micros = self.micros();
        if let Some((_, waiting, ready)) = self.readiness.get_mut(&last.pod) {
            waiting.retain(|name| *name != last.what);
            if waiting.is_empty() && ready.is_none() {
                *ready = Some(micros);
            }
        }
    }

    /// The containers that ran when last listed, with their pods (fault targets).
    fn running(&self) -> impl Iterator<Item = (Option<&PodRef>, &ContainerStatus)> {
        self.seen.values().filter(|c| self.listed.running(&c.status.id)).map(|c| (c.pod.as_ref(), &c.status))
    }

    /// The ready sandboxes as last listed, of the named pod or of every pod, with their pod's name.
    fn ready_sandboxes(&self, h: &Harness<Infallible>, pod: Option<&str>) -> Vec<(String, String)> {
        let view = self.listed.view(&h.node);
        let pods: Vec<(String, String)> = match pod {
            Some(name) => h.pod_uid(name).map(|uid| (uid, name.to_string())).into_iter().collect(),
            None => h.api.pods().iter().map(|p| (p.pod.uid.clone(), p.pod.full_name())).collect(),
        };
        let mut found = Vec::new();
        for (uid, name) in pods {
            for s in view.sandboxes_of(&uid).into_iter().filter(|s| s.ready) {
                found.push((s.id, name.clone()));
            }
        }
        found
    }

    /// Realises a runtime fault with calls to containerd.
    async fn realise_now(&mut self, h: &Harness<Infallible>, fault: Fault) {
        let now = h.now;
        match fault {
            Fault::ContainerCrash { pod, container, .. } => {
                let uid = pod.as_deref().and_then(|p| h.pod_uid(p));
                match self.find_container(uid, container.as_deref()).await {
                    Some(id) => self.kill_container(&id).await,
                    None => {
                        self.notes.push(format!("containerCrash at {now} ms: no running container to crash"))
                    }
                }
            }
            Fault::PauseDeath { pod } => {
                let uid = pod.as_deref().and_then(|p| h.pod_uid(p));
                match self.find_sandbox(uid).await {
                    Some(id) => match self.client.sandbox_pid(&id).await {
                        Ok(Some(pid)) => kill(pid, &mut self.notes),
                        other => self.notes.push(format!("pauseDeath: no pause process for {id}: {other:?}")),
                    },
                    None => self.notes.push(format!("pauseDeath at {now} ms: no ready sandbox")),
                }
            }
            Fault::ContainerdRestart { downtime } => self.restart_containerd(downtime),
            Fault::ProbeFailure { pod, container, probes, duration } => {
                let uid = pod.as_deref().and_then(|p| h.pod_uid(p));
                let Some(id) = self.find_container(uid, container.as_deref()).await else {
                    self.notes.push(format!("probeFailure at {now} ms: no running container"));
                    return;
                };
                // The workload in the container makes its own checks fail (`workload fail-checks`).
                let checks: Vec<_> = probes.iter().map(|p| p.check()).collect();
                let cmd = podsim_model::workload::exec::Exec::fail_checks_command(&checks, duration);
                let request =
                    CriRequest::ExecSync { container_id: id.as_str().into(), cmd, timeout_seconds: 10 };
                match self.client.call(&request).await {
                    CriReply::Exec(r) if r.exit_code == 0 && !r.timed_out => {}
                    other => self.notes.push(format!("probeFailure: fail-checks in {id}: {other:?}")),
                }
            }
            Fault::RemoveImage { image } => match self.client.remove_image(&image).await {
                CriReply::Err(e) => self.notes.push(format!("removeImage {image}: {e:?}")),
                _ => self.facts.set_image(&image, false),
            },
            other => {
                self.notes.push(format!("{:?} cannot be realised on a real runtime; skipped", other.kind()))
            }
        }
    }

    /// Restarts podsim's private containerd beside the loop: the kubelet's calls fail meanwhile.
    fn restart_containerd(&mut self, downtime: Millis) {
        let Some(control) = self.control.clone() else {
            self.notes.push("containerdRestart: this containerd is not podsim's; skipped".into());
            return;
        };
        let handle = tokio::task::spawn_blocking(move || {
            control.lock().expect("runtime control lock").restart(Duration::from_millis(downtime))
        });
        let notes = self.late_notes.clone();
        tokio::spawn(async move {
            if let Ok(Err(e)) = handle.await {
                notes.lock().expect("notes lock").push(format!("containerd restart failed: {e}"));
            }
        });
    }

    /// A running container of this run: of the pod `uid` if given, named `container` if given.
    async fn find_container(&self, uid: Option<String>, container: Option<&str>) -> Option<String> {
        let CriReply::Containers(list) = self.client.call(&CriRequest::ListContainers { pod_uid: uid }).await
        else {
            return None;
        };
        list.iter()
            .filter(|c| c.status.state == ContainerState::Running)
            .filter(|c| container.is_none_or(|n| c.status.name == n))
            .min_by(|a, b| a.status.id.cmp(&b.status.id))
            .map(|c| c.status.id.to_string())
    }

    /// The newest ready sandbox of this run, of the pod `uid` if given.
    async fn find_sandbox(&self, uid: Option<String>) -> Option<String> {
        let CriReply::Sandboxes(list) = self.client.call(&CriRequest::ListPodSandbox { pod_uid: uid }).await
        else {
            return None;
        };
        list.iter()
            .find(|s| s.status.state == podsim_model::SandboxState::Ready)
            .map(|s| s.status.id.to_string())
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
    run_kubelet_on_containerd(scenario, runtime, duration, trace, None)
}

/// Runs `scenario` as [`run_on_containerd`] does, with a broken variant of the kubelet (tests that
/// the checker reports it on a real containerd with the rule it reports in the simulator).
pub fn run_broken_on_containerd(
    scenario: &Scenario,
    runtime: Runtime<'_>,
    duration: Millis,
    broken: podsim_sim::harness::BrokenKubelet,
) -> Result<(RealOutcome, Trace), String> {
    run_kubelet_on_containerd(scenario, runtime, duration, false, Some(broken))
}

fn run_kubelet_on_containerd(
    scenario: &Scenario,
    runtime: Runtime<'_>,
    duration: Millis,
    trace: bool,
    broken: Option<podsim_sim::harness::BrokenKubelet>,
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
                        tokio.block_on(client.call(&CriRequest::ImageStatus { image: i.as_str().into() }));
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
        let mut world = RealWorld::new(scenario, config, client.clone(), control);
        if let Some(broken) = broken {
            world = world.with_broken_kubelet(broken);
        }
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
