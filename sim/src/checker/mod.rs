//! The checker: a list of rules, one unit each ([`rules`]), stated in words. Safety rules are judged
//! at every event that could break them (each CRI call the kubelet makes, each release of a pod,
//! each exit); liveness the VOPR way once the last fault has healed; the scenario's expectations at
//! the end. A violation names its rule and the pod it concerns.
//!
//! The checker is apart from the model: it re-derives what the kubelet may do from what the world
//! shows (the API server's objects, the runtime through [`RuntimeFacts`], the node), never from the
//! kubelet's memory. Each hook below turns what happened into one [`Observation`], hands it to every
//! registered rule that reacts to its kind, then takes it into the shared [`Memory`].
//!
//! A driver tells the checker, with a [`View`] of the world at that moment (its `containerd` is any
//! [`RuntimeFacts`]: the simulated containerd, or a [`CriListing`] made from fresh CRI lists):
//! every pod version the API server stores ([`Checker::on_spec`]) and every one the kubelet is shown
//! ([`Checker::on_kubelet_saw_pod`]); each Secret read ([`Checker::on_kubelet_saw_secret`]); each
//! kubelet start; a reboot before it kills the processes; each exit after it; each CRI call before the
//! runtime carries it out and after it answered ([`Checker::before_cri`], [`Checker::after_cri`]);
//! each release of a pod after the API server accepted it; a livelock; and once the world settled and
//! the bound passed, [`check_convergence`].

pub mod liveness;
pub mod memory;
pub mod observation;
pub mod restart_all;
pub mod rules;
pub mod runtime;

use serde::{Deserialize, Serialize};

use podsim_model::backoff::Backoff;
use podsim_model::io::{CriReply, CriRequest};
use podsim_model::{Millis, Pod};

use crate::apiserver::ApiServer;
use crate::node::Node;
use crate::scenario::Expectations;

pub use memory::Memory;
pub use observation::{Observation, ObservationKind};
pub use rules::{Check, Context, Finding, Settings};
pub use runtime::{CriListing, RuntimeContainer, RuntimeFacts, RuntimeSandbox};

/// The rules the checker guards (each one unit in [`rules`], listed in [`rules::registry`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Rule {
    /// A container is created only in a ready sandbox of its own pod, so after that sandbox.
    ContainerInOwnReadySandbox,
    /// A container is created only once its pod's data directory, volumes and Secrets are in place.
    PrerequisitesFirst,
    /// A running container whose spec hash matches is stopped only for deletion, a probe failure, a
    /// sandbox change or the pod finishing.
    MatchingContainerKept,
    /// Never restarts no container that exited on its own; OnFailure none that exited 0.
    RestartPolicyHonoured,
    /// Plain init containers run one at a time, in order, and regular containers only after them.
    InitContainersInOrder,
    /// Restart k of a container comes no sooner than the CrashLoopBackOff allows.
    RestartBackoff,
    /// A deleted pod's containers stop before its sandbox.
    ContainersStopBeforeSandbox,
    /// A container of a deleted pod gets its full grace period before SIGKILL.
    GracePeriodHonoured,
    /// Once a pod's API object is released, nothing of it is left on the node.
    NothingLeftBehind,
    /// The kubelet acts only on pods bound to its node.
    OwnNodeOnly,
    /// The kubelet touches only runtime objects it created (with pod labels).
    OwnObjectsOnly,
    /// A pod's status never leaves Succeeded or Failed once written.
    TerminalPhaseKept,
    /// Liveness: after the last fault healed, every pod reaches its desired state in time.
    Convergence,
    /// Liveness: the API server's status agrees with the node.
    StatusAgrees,
    /// Liveness: a run comes to rest within the world's limit of events.
    Livelock,
    /// A scenario expectation did not hold.
    Expectation,
}

/// A broken rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// When (virtual ms).
    pub t: Millis,
    /// Which rule.
    pub rule: Rule,
    /// The pod it concerns (`namespace/name`), as the rule named it; `None` if it concerns none
    /// (a foreign runtime object, a livelock).
    #[serde(default)]
    pub pod: Option<String>,
    /// What happened.
    pub detail: String,
}

/// What the checker may look at.
pub struct View<'a> {
    /// The API server.
    pub api: &'a ApiServer,
    /// The container runtime: the simulated containerd, or a real containerd as its CRI lists it.
    pub containerd: &'a dyn RuntimeFacts,
    /// The node.
    pub node: &'a Node,
    /// The kubelet's node.
    pub node_name: &'a str,
}

/// At most this many violations are kept: a broken rule tends to repeat; 100 are plenty to debug from.
const MAX_VIOLATIONS: usize = 100;

/// The checker: its rules, their shared memory, and what they found.
pub struct Checker {
    rules: Vec<Box<dyn Check>>,
    memory: Memory,
    violations: Vec<Violation>,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rules: Vec<Rule> = self.rules.iter().map(|r| r.rule()).collect();
        f.debug_struct("Checker")
            .field("rules", &rules)
            .field("memory", &self.memory)
            .field("violations", &self.violations)
            .finish()
    }
}

impl Checker {
    /// A checker for the kubelet of `node_name` with the kubelet's default CrashLoopBackOff.
    pub fn new(node_name: &str) -> Checker {
        Checker::with_restart_backoff(node_name, Backoff::kubelet_default())
    }

    /// A checker for a kubelet whose CrashLoopBackOff is `restart_backoff` (its settings: initial and
    /// maximum delay, reset period), which restarts must at least respect.
    pub fn with_restart_backoff(node_name: &str, restart_backoff: Backoff) -> Checker {
        Checker {
            rules: rules::registry(&Settings { restart_backoff }),
            memory: Memory::new(node_name),
            violations: Vec::new(),
        }
    }

    /// Every rule with its words, in the registry's order.
    pub fn rules(&self) -> Vec<(Rule, &'static str)> {
        self.rules.iter().map(|r| (r.rule(), r.words())).collect()
    }

    /// Records a violation that concerns no pod in particular.
    pub fn violate(&mut self, t: Millis, rule: Rule, detail: String) {
        self.record(Violation { t, rule, pod: None, detail });
    }

    /// Records a violation (such as the expectations' judge found).
    pub fn record(&mut self, violation: Violation) {
        if self.violations.len() < MAX_VIOLATIONS {
            self.violations.push(violation);
        }
    }

    /// The violations so far.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Takes the violations.
    pub fn take_violations(&mut self) -> Vec<Violation> {
        std::mem::take(&mut self.violations)
    }

    /// Hands an observation to every rule that reacts to its kind, then to the memory.
    pub fn observe(&mut self, now: Millis, observation: &Observation<'_>) {
        let kind = observation.kind();
        let context = Context { now, memory: &self.memory };
        for rule in self.rules.iter_mut().filter(|r| r.observes().contains(&kind)) {
            let id = rule.rule();
            for f in rule.check(observation, &context) {
                let v = Violation { t: f.at.unwrap_or(now), rule: id, pod: f.pod, detail: f.detail };
                if self.violations.len() < MAX_VIOLATIONS {
                    self.violations.push(v);
                }
            }
        }
        self.memory.take_in(now, observation);
    }

    /// A pod version the API server stored (its hashes are all legitimate specs).
    pub fn on_spec(&mut self, now: Millis, pod: &Pod) {
        self.observe(now, &Observation::Spec(pod));
    }

    /// The kubelet was shown this version of a pod (a watch event, a list, a get): its spec is one
    /// the kubelet may act on, and a deletion it shows is known to the kubelet from now on.
    pub fn on_kubelet_saw_pod(&mut self, now: Millis, pod: &Pod) {
        self.observe(now, &Observation::KubeletSawPod(pod));
    }

    /// The kubelet read a Secret and found it, or not.
    pub fn on_kubelet_saw_secret(&mut self, namespace: &str, name: &str, exists: bool) {
        self.observe(0, &Observation::KubeletSawSecret { namespace, name, exists });
    }

    /// The kubelet planned a kill within a sync (the whole pod, or the named containers).
    pub fn on_kill_planned(
        &mut self,
        now: Millis,
        pod_uid: &str,
        whole_pod: bool,
        containers: &[String],
        grace_seconds: Option<i64>,
    ) {
        self.observe(now, &Observation::KillPlanned { pod_uid, whole_pod, containers, grace_seconds });
    }

    /// A plan of the pod killed these running containers and starts them again.
    pub fn on_restart_planned(&mut self, now: Millis, pod_uid: &str, containers: &[String]) {
        self.observe(now, &Observation::RestartPlanned { pod_uid, containers });
    }

    /// A new kubelet process: its backoff memory is gone, so the mirror starts over.
    pub fn on_kubelet_start(&mut self) {
        self.observe(0, &Observation::KubeletStart);
    }

    /// The node reboots: every process dies, none by itself.
    pub fn on_reboot(&mut self, now: Millis, view: &View<'_>) {
        self.observe(now, &Observation::Reboot { view });
    }

    /// A container stopped running (workload exit, crash, OOM, SIGKILL at the end of a grace period).
    pub fn on_exit(&mut self, now: Millis, id: &str, view: &View<'_>) {
        self.observe(now, &Observation::Exit { container_id: id, view });
    }

    /// Checks a CRI call before the runtime carries it out.
    pub fn before_cri(&mut self, now: Millis, request: &CriRequest, view: &View<'_>) {
        self.observe(now, &Observation::BeforeCri { request, view });
    }

    /// Checks what a CRI call did.
    pub fn after_cri(&mut self, now: Millis, request: &CriRequest, reply: &CriReply, view: &View<'_>) {
        self.observe(now, &Observation::AfterCri { request, reply, view });
    }

    /// The API server took a status write of the kubelet's for `pod`, with this phase.
    pub fn on_status_written(
        &mut self,
        now: Millis,
        pod: &podsim_model::io::PodRef,
        phase: podsim_model::PodPhase,
    ) {
        self.observe(now, &Observation::StatusWritten { pod, phase });
    }

    /// The kubelet released a pod's API object: nothing of it may be left.
    pub fn on_release(&mut self, now: Millis, uid: &str, view: &View<'_>) {
        self.observe(now, &Observation::Release { pod_uid: uid, view });
    }

    /// The world stopped the run past its limit of `events` events.
    pub fn on_livelock(&mut self, now: Millis, events: u64) {
        self.observe(now, &Observation::Livelock { events });
    }

    /// The kubelet's node.
    pub fn node_name(&self) -> &str {
        self.memory.node_name()
    }
}

/// Liveness: every pod in the state its spec and restart policy ask for. `since` is when the world
/// settled; `bound` the allowance.
///
/// A pod none of whose regular containers is to run again is done (the kubelet's `getPhase`:
/// Succeeded if every one exited 0, else Failed): nothing of it runs and its sandbox is stopped.
/// Otherwise its newest sandbox is ready, every container that is to run runs its current spec, and
/// the API server says Running. Judged once for the node ([`Observation::Settled`]), then once per
/// pod bound to it ([`Observation::SettledPod`]) with its [`liveness::Goal`].
pub fn check_convergence(checker: &mut Checker, now: Millis, since: Millis, _bound: Millis, view: &View<'_>) {
    let waited = (now - since) / 1000;
    checker.observe(now, &Observation::Settled { waited, view });
    for stored in view.api.pods() {
        if stored.pod.spec.node_name != checker.node_name() {
            continue;
        }
        let goal = liveness::goal_of(view, &stored.pod);
        checker.observe(now, &Observation::SettledPod { stored: &stored, goal: &goal, waited, view });
    }
}

/// The node as the expectations see it, in the simulator.
impl crate::expect::RuntimeView for View<'_> {
    fn sandboxes_of(&self, pod_uid: &str) -> Vec<crate::expect::SandboxFact> {
        let of_pod = self.containerd.sandboxes().filter(|s| s.is_of(pod_uid));
        crate::expect::SandboxFact::newest_first(of_pod.map(|s| s.status))
    }

    fn has_data_dir(&self, pod_uid: &str) -> bool {
        self.node.has_data_dir(pod_uid)
    }

    fn mount_count(&self, pod_uid: &str) -> usize {
        self.node.mounts_of(pod_uid).count()
    }
}

/// Checks the scenario's expectations of the end of a run (`expect.pods`, and `states` and
/// `happened` with nothing recorded) at `now`, against the API server and the node.
pub fn check_expectations(checker: &mut Checker, now: Millis, expect: &Expectations, view: &View<'_>) {
    checker.observe(now, &Observation::Expectations { expect, view });
}
