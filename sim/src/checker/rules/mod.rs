//! The checker's rules, one unit each: its [`Rule`] id, its words, the observations it reacts to and
//! its check. [`registry`] lists them, one line a rule. Adding a rule: its file here, its variant of
//! [`Rule`], its line in [`registry`], and a test in `sim/tests/checker_rules.rs` that reports it and
//! one that accepts (the registry test fails until every variant is listed once).

mod container_in_own_ready_sandbox;
mod containers_stop_before_sandbox;
mod convergence;
mod expectation;
mod grace_period_honoured;
mod init_containers_in_order;
mod livelock;
mod matching_container_kept;
mod nothing_left_behind;
mod own_node_only;
mod own_objects_only;
mod prerequisites_first;
mod restart_backoff;
mod restart_policy_honoured;
mod shared;
mod status_agrees;
mod terminal_phase_kept;

use podsim_model::backoff::Backoff;
use podsim_model::Millis;

use super::memory::Memory;
use super::observation::{Observation, ObservationKind};
use super::Rule;

/// One rule of the checker.
pub trait Check {
    /// Its id, as violations name it.
    fn rule(&self) -> Rule;
    /// What it asks, in one line.
    fn words(&self) -> &'static str;
    /// The observations it reacts to (it is handed no other).
    fn observes(&self) -> &'static [ObservationKind];
    /// Judges one observation on what was known before it: what the rule finds broken.
    fn check(&mut self, observation: &Observation<'_>, context: &Context<'_>) -> Vec<Finding>;
}

/// What a rule may read besides the observation.
pub struct Context<'c> {
    /// Now (virtual ms).
    pub now: Millis,
    /// What the checker remembers of the run so far.
    pub memory: &'c Memory,
}

/// One thing a rule found broken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The pod it concerns (`namespace/name`), if one.
    pub pod: Option<String>,
    /// What happened.
    pub detail: String,
    /// When, if not at the observation (an expectation judged at an earlier instant).
    pub at: Option<Millis>,
}

impl Finding {
    /// A finding about the pod `namespace/name`.
    pub fn of_pod(pod: impl Into<String>, detail: String) -> Finding {
        Finding { pod: Some(pod.into()), detail, at: None }
    }

    /// A finding about no pod in particular (or one whose name is not known).
    pub fn of_node(detail: String) -> Finding {
        Finding { pod: None, detail, at: None }
    }
}

/// The settings rules are made with (the kubelet's, which the rules hold it to).
#[derive(Clone, Debug)]
pub struct Settings {
    /// The kubelet's CrashLoopBackOff (initial and maximum delay, reset period).
    pub restart_backoff: Backoff,
}

/// Every rule, one line each, in the order they judge an observation (so the order in which one
/// event's violations are told).
pub fn registry(settings: &Settings) -> Vec<Box<dyn Check>> {
    vec![
        Box::new(own_node_only::OwnNodeOnly),
        Box::new(own_objects_only::OwnObjectsOnly),
        Box::new(container_in_own_ready_sandbox::ContainerInOwnReadySandbox),
        Box::new(prerequisites_first::PrerequisitesFirst),
        Box::new(restart_policy_honoured::RestartPolicyHonoured),
        Box::new(init_containers_in_order::InitContainersInOrder),
        Box::new(restart_backoff::RestartBackoff::new(settings.restart_backoff.clone())),
        Box::new(matching_container_kept::MatchingContainerKept),
        Box::new(grace_period_honoured::GracePeriodHonoured),
        Box::new(containers_stop_before_sandbox::ContainersStopBeforeSandbox),
        Box::new(nothing_left_behind::NothingLeftBehind),
        Box::new(terminal_phase_kept::TerminalPhaseKept::default()),
        Box::new(convergence::Convergence),
        Box::new(status_agrees::StatusAgrees),
        Box::new(livelock::Livelock),
        Box::new(expectation::Expectation),
    ]
}
