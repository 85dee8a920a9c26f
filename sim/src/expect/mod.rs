//! Expectations: what a run must show, and when. Three forms, documented in scenarios/README.md:
//!
//! - `pods:` the state of each pod at the end of the run (the scenario's `duration`);
//! - `states:` the same vocabulary at an instant (`at: 25s`), over an interval (`during: 1m..3m`,
//!   checked after every event in it), or `always`;
//! - `happened:` expectations on what happened ([`happened`]): how many times, how long after each
//!   happening of another kind (`after:` with `delays:`, `within:`, `notBefore:`), in what order.
//!
//! Both backends feed one [`Judge`]: the happenings they record the same way, and a
//! [`state::RuntimeView`] of the node; the judge says what did not hold, each as a
//! [`Rule::Expectation`](crate::checker::Rule::Expectation) violation in kubectl's words.

pub mod happened;
pub mod listed;
pub mod state;
pub mod time;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use podsim_model::Millis;

use crate::apiserver::ApiServer;
use crate::checker::{Rule, Violation};
use crate::scenario::split_name;

pub use happened::{HappenedExpectation, Happening, HappeningLog, Selector};
pub use state::{PodExpectation, RuntimeView, SandboxFact, SandboxesAt};
pub use time::{CountRange, Instant, Window};

/// What a run must show.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expectations {
    /// Per pod (`name` or `namespace/name`), at the end of the run.
    #[serde(default)]
    pub pods: BTreeMap<String, PodExpectation>,
    /// Pod states at an instant, over an interval, or always.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<StateExpectation>,
    /// Expectations on what happened.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub happened: Vec<HappenedExpectation>,
}

/// Pod states that must hold at some time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StateFile", into = "StateFile")]
pub struct StateExpectation {
    /// When.
    pub when: When,
    /// Per pod.
    pub pods: BTreeMap<String, PodExpectation>,
}

/// When a state expectation holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// At one instant (after everything that happened at that time).
    At(Instant),
    /// At every instant of the interval.
    During(Window),
}

impl std::fmt::Display for When {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            When::At(i) => write!(f, "at {i}"),
            When::During(w) if *w == Window::ALL => f.write_str("always"),
            When::During(w) => write!(f, "during {w}"),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StateFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<Instant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    during: Option<Window>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    always: bool,
    pods: BTreeMap<String, PodExpectation>,
}

impl TryFrom<StateFile> for StateExpectation {
    type Error = String;

    fn try_from(f: StateFile) -> Result<StateExpectation, String> {
        let when = match (f.at, f.during, f.always) {
            (Some(at), None, false) => When::At(at),
            (None, Some(w), false) => When::During(w),
            (None, None, true) => When::During(Window::ALL),
            _ => {
                return Err("give exactly one of at (an instant), during (an interval) or always: true".into())
            }
        };
        Ok(StateExpectation { when, pods: f.pods })
    }
}

impl From<StateExpectation> for StateFile {
    fn from(e: StateExpectation) -> StateFile {
        let mut f = StateFile { pods: e.pods, ..Default::default() };
        match e.when {
            When::At(i) => f.at = Some(i),
            When::During(w) if w == Window::ALL => f.always = true,
            When::During(w) => f.during = Some(w),
        }
        f
    }
}

impl Expectations {
    /// Whether there is nothing to check.
    pub fn is_empty(&self) -> bool {
        self.pods.is_empty() && self.states.is_empty() && self.happened.is_empty()
    }

    /// Checks the names it uses against the scenario's pods (`(namespace, name)`); the error names the
    /// field.
    pub fn check_names(&self, pods: &BTreeSet<(String, String)>) -> Result<(), String> {
        let known = |name: &str| pods.contains(&split_name(name));
        for name in self.pods.keys() {
            if !known(name) {
                return Err(format!("expect.pods.{name}: no pod of that name is created"));
            }
        }
        for (i, s) in self.states.iter().enumerate() {
            for name in s.pods.keys() {
                if !known(name) {
                    return Err(format!("expect.states[{i}].pods.{name}: no pod of that name is created"));
                }
            }
        }
        for (i, h) in self.happened.iter().enumerate() {
            for s in h.selectors() {
                if !s.names_pod_in(pods) {
                    return Err(format!("expect.happened[{i}]: `{s}` names no pod the scenario creates"));
                }
            }
        }
        Ok(())
    }
}

/// Judges a run against its expectations as it goes: the world calls [`Judge::before`] before each
/// event, [`Judge::after_event`] after it, and [`Judge::finish`] at the end of the run.
#[derive(Clone, Debug)]
pub struct Judge {
    expect: Expectations,
    end: Millis,
    /// The instants at which something is judged or noted, in order, and the next one's index.
    checkpoints: Vec<Millis>,
    next: usize,
    /// Per state expectation: whether it already failed (an interval reports its first failure).
    failed: Vec<bool>,
    sandboxes_at: SandboxesAt,
    log: HappeningLog,
    violations: Vec<Violation>,
    /// Whether any `during`/`always` expectation exists (else nothing is done after each event).
    has_intervals: bool,
}

impl Judge {
    /// A judge of `expect` for a run that ends at `end`.
    pub fn new(expect: &Expectations, end: Millis) -> Judge {
        let mut points = BTreeSet::new();
        for s in &expect.states {
            match s.when {
                When::At(i) => points.insert(i.resolve(end)),
                When::During(w) => points.insert(w.from.resolve(end)),
            };
            for p in s.pods.values() {
                if let Some(t) = p.sandboxes.as_ref().and_then(|s| s.same_as) {
                    points.insert(t.min(end));
                }
            }
        }
        for p in expect.pods.values() {
            if let Some(t) = p.sandboxes.as_ref().and_then(|s| s.same_as) {
                points.insert(t.min(end));
            }
        }
        Judge {
            has_intervals: expect.states.iter().any(|s| matches!(s.when, When::During(_))),
            failed: vec![false; expect.states.len()],
            expect: expect.clone(),
            end,
            checkpoints: points.into_iter().collect(),
            next: 0,
            sandboxes_at: SandboxesAt::new(),
            log: HappeningLog::default(),
            violations: Vec::new(),
        }
    }

    /// The happenings, to record into.
    pub fn log(&mut self) -> &mut HappeningLog {
        &mut self.log
    }

    /// Before an event at `t`: judges the instants before it (everything up to them has happened).
    pub fn before(&mut self, t: Millis, api: &ApiServer, runtime: &dyn RuntimeView) {
        while self.next < self.checkpoints.len() && self.checkpoints[self.next] < t {
            let at = self.checkpoints[self.next];
            self.next += 1;
            self.checkpoint(at, api, runtime);
        }
    }

    /// After an event at `now`: judges the intervals that hold now.
    pub fn after_event(&mut self, now: Millis, api: &ApiServer, runtime: &dyn RuntimeView) {
        if !self.has_intervals || now > self.end {
            return;
        }
        for i in 0..self.expect.states.len() {
            if let When::During(w) = self.expect.states[i].when {
                // The interval's first instant is judged once all of its events happened.
                if w.contains(now, self.end) && now > w.from.resolve(self.end) {
                    self.judge_state(i, now, api, runtime);
                }
            }
        }
    }

    /// At the end of the run: judges what is left, the end states and what happened; every
    /// violation found, in time order.
    pub fn finish(&mut self, api: &ApiServer, runtime: &dyn RuntimeView) -> Vec<Violation> {
        let end = self.end;
        self.before(end + 1, api, runtime);
        for (name, e) in &self.expect.pods {
            let known = |ns: &str, n: &str| self.log.uid_of(ns, n);
            for text in state::pod_failures(name, e, end, api, runtime, &self.sandboxes_at, &known) {
                self.violations.push(Violation {
                    t: end,
                    rule: Rule::Expectation,
                    pod: Some(full_name(name)),
                    detail: format!("at the end: {text}"),
                });
            }
        }
        let log = self.log.sorted();
        for h in &self.expect.happened {
            for text in h.failures(log, end) {
                self.violations.push(Violation { t: end, rule: Rule::Expectation, pod: None, detail: text });
            }
        }
        let mut out = std::mem::take(&mut self.violations);
        out.sort_by_key(|v| v.t);
        out
    }

    /// The happenings recorded, in time order.
    pub fn into_happenings(mut self) -> Vec<Happening> {
        self.log.sorted();
        self.log.into_happenings()
    }

    fn checkpoint(&mut self, at: Millis, api: &ApiServer, runtime: &dyn RuntimeView) {
        for stored in api.pods() {
            let newest = runtime.sandboxes_of(&stored.pod.uid).first().map(|s| s.id.clone());
            self.sandboxes_at.insert((at, stored.pod.uid.clone()), newest);
        }
        for i in 0..self.expect.states.len() {
            let due = match self.expect.states[i].when {
                When::At(instant) => instant.resolve(self.end) == at,
                When::During(w) => w.from.resolve(self.end) == at,
            };
            if due {
                self.judge_state(i, at, api, runtime);
            }
        }
    }

    fn judge_state(&mut self, i: usize, now: Millis, api: &ApiServer, runtime: &dyn RuntimeView) {
        if self.failed[i] {
            return;
        }
        let s = &self.expect.states[i];
        let mut texts = Vec::new();
        for (name, e) in &s.pods {
            let known = |ns: &str, n: &str| self.log.uid_of(ns, n);
            let failures = state::pod_failures(name, e, now, api, runtime, &self.sandboxes_at, &known);
            texts.extend(failures.into_iter().map(|text| (full_name(name), text)));
        }
        if texts.is_empty() {
            return;
        }
        self.failed[i] = true;
        let when = s.when;
        let at = crate::scenario::duration::human(now);
        for (pod, text) in texts {
            let detail = match when {
                When::At(_) => format!("{when}: {text}"),
                When::During(_) => format!("{when}, at {at}: {text}"),
            };
            self.violations.push(Violation { t: now, rule: Rule::Expectation, pod: Some(pod), detail });
        }
    }
}

/// An expectation's pod name (`web` or `namespace/web`) as `namespace/name`.
fn full_name(name: &str) -> String {
    let (ns, n) = split_name(name);
    format!("{ns}/{n}")
}
