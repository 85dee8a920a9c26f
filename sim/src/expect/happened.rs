//! What happened in a run, as a list of dated happenings both backends record the same way (from the
//! kubelet's CRI calls and their replies, the runtime's exits, the API server, the timeline and the
//! faults), and the expectations on them: how many times, how long after something else, in what
//! order.
//!
//! A happening is named by a selector, written as a kubelet engineer says it:
//!
//! ```text
//! start web/app            a container of pod web started (StartContainer succeeded)
//! exit web/app code 1      its process exited (with code 1)
//! kill web/app SIGKILL     it was sent SIGKILL (SIGTERM: the StopContainer; SIGKILL: the end of
//!                          the grace period, a zero grace period, or its sandbox being stopped)
//! sandbox web              a sandbox of web was started (RunPodSandbox succeeded)
//! pull IMAGE               the kubelet asked for a pull (pulled IMAGE / pullFailed IMAGE: its end)
//! plan web                 a sync of web whose computePodActions plan was not empty
//! sync web                 a sync of web ended (its pod worker requeued it: completeWork)
//! release web              the kubelet released the pod's API object (the final delete)
//! cri StopPodSandbox web   any CRI call by method, of a pod, a container, or an image
//! event BackOff web/app    a Kubernetes Event recorded by the API server (each time its count grows)
//! fault partition          a fault began (heal partition: it healed)
//! create web / update web / delete web / createSecret db / deleteSecret db: timeline actions
//! ```
//! A pod is `name` or `namespace/name`; a container is `pod/container`.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use podsim_model::io::{ContainerList, CriReply, CriRequest, PodRef, SandboxList};
use podsim_model::workload::SIGKILL_EXIT_CODE;
use podsim_model::Millis;

use super::time::{CountRange, Window};
use crate::faults::FaultKind;
use crate::scenario::{duration, split_name};

/// The kinds of happening.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// A container started.
    Start,
    /// A container's process exited.
    Exit,
    /// A container was sent a signal.
    Kill,
    /// A sandbox started.
    Sandbox,
    /// A pull was asked for.
    Pull,
    /// A pull succeeded.
    Pulled,
    /// A pull failed.
    PullFailed,
    /// A sync with a non-empty plan.
    Plan,
    /// A sync ended (its pod worker requeued the pod).
    Sync,
    /// The pod's API object was released.
    Release,
    /// A CRI call.
    Cri,
    /// A Kubernetes Event.
    Event,
    /// A fault began.
    Fault,
    /// A fault healed.
    Heal,
    /// Timeline: a pod created.
    Create,
    /// Timeline: a pod updated.
    Update,
    /// Timeline: a pod deleted.
    Delete,
    /// Timeline: a Secret created.
    CreateSecret,
    /// Timeline: a Secret deleted.
    DeleteSecret,
}

impl Kind {
    const WORDS: [(&'static str, Kind); 19] = [
        ("start", Kind::Start),
        ("exit", Kind::Exit),
        ("kill", Kind::Kill),
        ("sandbox", Kind::Sandbox),
        ("pull", Kind::Pull),
        ("pulled", Kind::Pulled),
        ("pullFailed", Kind::PullFailed),
        ("plan", Kind::Plan),
        ("sync", Kind::Sync),
        ("release", Kind::Release),
        ("cri", Kind::Cri),
        ("event", Kind::Event),
        ("fault", Kind::Fault),
        ("heal", Kind::Heal),
        ("create", Kind::Create),
        ("update", Kind::Update),
        ("delete", Kind::Delete),
        ("createSecret", Kind::CreateSecret),
        ("deleteSecret", Kind::DeleteSecret),
    ];

    fn word(self) -> &'static str {
        Kind::WORDS.iter().find(|(_, k)| *k == self).map_or("?", |(w, _)| w)
    }

    /// What its subject is.
    fn subject(self) -> Subject {
        match self {
            Kind::Start | Kind::Exit | Kind::Kill => Subject::Container,
            Kind::Sandbox
            | Kind::Plan
            | Kind::Sync
            | Kind::Release
            | Kind::Create
            | Kind::Update
            | Kind::Delete => Subject::Pod,
            Kind::Pull | Kind::Pulled | Kind::PullFailed => Subject::Image,
            Kind::CreateSecret | Kind::DeleteSecret => Subject::Secret,
            Kind::Cri | Kind::Event => Subject::PodOrContainer,
            Kind::Fault | Kind::Heal => Subject::None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Subject {
    Container,
    Pod,
    PodOrContainer,
    Image,
    Secret,
    None,
}

/// The CRI methods the kubelet calls, by their CRI names.
pub const CRI_METHODS: [&str; 13] = [
    "ListPodSandbox",
    "ListContainers",
    "RunPodSandbox",
    "StopPodSandbox",
    "RemovePodSandbox",
    "ImageStatus",
    "PullImage",
    "CreateContainer",
    "StartContainer",
    "StopContainer",
    "RemoveContainer",
    "UpdateContainerResources",
    "ExecSync",
];

/// The signals a container can be sent.
pub const SIGNALS: [&str; 2] = ["SIGTERM", "SIGKILL"];

/// One dated happening.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Happening {
    /// When (virtual ms, or ms since a real run began).
    pub t: Millis,
    /// What kind.
    pub kind: Kind,
    /// Its pod (`namespace`, `name`), if it has one.
    pub pod: Option<(String, String)>,
    /// Its container, if it has one.
    pub container: Option<String>,
    /// The kind's word: the CRI method, the event's reason, the fault kind, the signal.
    pub word: Option<Cow<'static, str>>,
    /// The image or Secret (`namespace/name`) it is about.
    pub object: Option<String>,
    /// An exit's code.
    pub code: Option<i32>,
}

impl std::fmt::Display for Happening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.kind.word())?;
        let word_first = matches!(self.kind, Kind::Cri | Kind::Event | Kind::Fault | Kind::Heal);
        if let (true, Some(w)) = (word_first, &self.word) {
            write!(f, " {w}")?;
        }
        if let Some((ns, name)) = &self.pod {
            if ns == "default" {
                write!(f, " {name}")?;
            } else {
                write!(f, " {ns}/{name}")?;
            }
            if let Some(c) = &self.container {
                write!(f, "/{c}")?;
            }
        }
        if let Some(o) = &self.object {
            write!(f, " {o}")?;
        }
        if let (false, Some(w)) = (word_first, &self.word) {
            write!(f, " {w}")?;
        }
        if let Some(code) = self.code {
            write!(f, " code {code}")?;
        }
        write!(f, " at {}", duration::human(self.t))
    }
}

/// A selector: which happenings an expectation speaks of (see the module's doc for the words).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Selector {
    text: String,
    kind: Kind,
    /// A pod or container subject: one or two readings of it (`a/b` is pod a's container b, or the
    /// pod b of namespace a).
    subject: Vec<(String, String, Option<String>)>,
    word: Option<String>,
    object: Option<String>,
    code: Option<i32>,
}

impl From<Selector> for String {
    fn from(s: Selector) -> String {
        s.text
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl TryFrom<String> for Selector {
    type Error = String;

    fn try_from(text: String) -> Result<Selector, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let Some((first, rest)) = words.split_first() else {
            return Err("an empty selector (like `start web/app` or `cri StopPodSandbox web`)".into());
        };
        let kind = Kind::WORDS.iter().find(|(w, _)| w == first).map(|(_, k)| *k).ok_or_else(|| {
            let known: Vec<&str> = Kind::WORDS.iter().map(|(w, _)| *w).collect();
            format!("unknown happening {first:?} (known: {})", known.join(", "))
        })?;
        let mut s =
            Selector { text: text.clone(), kind, subject: Vec::new(), word: None, object: None, code: None };
        let rest = s.read_word(rest)?;
        let rest = s.read_subject(rest)?;
        s.read_qualifier(rest)?;
        Ok(s)
    }
}

impl Selector {
    /// The word a CRI call, an event or a fault needs first.
    fn read_word<'a, 'b>(&mut self, rest: &'a [&'b str]) -> Result<&'a [&'b str], String> {
        let (known, what): (Vec<String>, &str) = match self.kind {
            Kind::Cri => (CRI_METHODS.iter().map(|m| m.to_string()).collect(), "CRI method"),
            Kind::Fault | Kind::Heal => {
                (FaultKind::ALL.iter().map(|k| k.name().to_string()).collect(), "fault kind")
            }
            Kind::Event => {
                let Some((reason, rest)) = rest.split_first() else {
                    return Err(format!(
                        "{}: an event's reason is missing (like `event BackOff web/app`)",
                        self.text
                    ));
                };
                if !super::state::KUBELET_EVENT_REASONS.contains(reason) {
                    let known = super::state::KUBELET_EVENT_REASONS.join(", ");
                    return Err(format!("unknown kubelet Event reason {reason:?} (known: {known})"));
                }
                self.word = Some(reason.to_string());
                return Ok(rest);
            }
            _ => return Ok(rest),
        };
        let Some((w, rest)) = rest.split_first() else {
            return Err(format!("{}: the {what} is missing (known: {})", self.text, known.join(", ")));
        };
        if !known.iter().any(|k| k == w) {
            return Err(format!("unknown {what} {w:?} (known: {})", known.join(", ")));
        }
        self.word = Some(w.to_string());
        Ok(rest)
    }

    /// The pod, container, image or Secret it speaks of (optional except where it is the point).
    fn read_subject<'a, 'b>(&mut self, rest: &'a [&'b str]) -> Result<&'a [&'b str], String> {
        let subject = match self.kind {
            Kind::Cri if matches!(self.word.as_deref(), Some("PullImage" | "ImageStatus")) => Subject::Image,
            k => k.subject(),
        };
        let Some((w, tail)) = rest.split_first() else {
            return match subject {
                Subject::Secret => Err(format!("{}: the Secret's name is missing", self.text)),
                _ => Ok(rest),
            };
        };
        match subject {
            Subject::None => Ok(rest),
            Subject::Image => {
                self.object = Some(w.to_string());
                Ok(tail)
            }
            Subject::Secret => {
                self.object = Some(secret_word(w));
                Ok(tail)
            }
            Subject::Pod | Subject::Container | Subject::PodOrContainer => {
                self.subject = readings(w, subject);
                if self.subject.is_empty() {
                    return Err(format!("{w:?} is not a pod (name or namespace/name) or pod/container"));
                }
                Ok(tail)
            }
        }
    }

    /// `code N` for an exit, a signal for a kill.
    fn read_qualifier(&mut self, rest: &[&str]) -> Result<(), String> {
        match (self.kind, rest) {
            (_, []) => Ok(()),
            (Kind::Exit, ["code", n]) => {
                self.code = Some(n.parse().map_err(|_| format!("{n:?} is not an exit code"))?);
                Ok(())
            }
            (Kind::Kill, [signal]) if SIGNALS.contains(signal) => {
                self.word = Some(signal.to_string());
                Ok(())
            }
            (Kind::Kill, [other]) => Err(format!("unknown signal {other:?} (known: SIGTERM, SIGKILL)")),
            (_, extra) => Err(format!("{}: unexpected {:?} at the end", self.text, extra.join(" "))),
        }
    }

    /// The pods it names, as (namespace, name) in every reading.
    pub fn pods(&self) -> impl Iterator<Item = (&str, &str)> {
        self.subject.iter().map(|(ns, n, _)| (ns.as_str(), n.as_str()))
    }

    /// Whether it names a pod (a reading of it) that is among `known`.
    pub fn names_pod_in(&self, known: &BTreeSet<(String, String)>) -> bool {
        self.subject.is_empty()
            || self.subject.iter().any(|(ns, n, _)| known.contains(&(ns.clone(), n.clone())))
    }

    /// Whether happening `h` is one it selects.
    pub fn matches(&self, h: &Happening) -> bool {
        if h.kind != self.kind {
            return false;
        }
        if self.word.is_some() && h.word.as_deref() != self.word.as_deref() {
            return false;
        }
        if self.object.is_some() && h.object != self.object {
            return false;
        }
        if self.code.is_some() && h.code != self.code {
            return false;
        }
        if self.subject.is_empty() {
            return true;
        }
        let Some((ns, name)) = &h.pod else { return false };
        self.subject.iter().any(|(sns, sname, sc)| {
            sns == ns && sname == name && (sc.is_none() || sc.as_ref() == h.container.as_ref())
        })
    }
}

/// The readings of a subject `a`, `a/b` or `a/b/c` as (namespace, pod, container).
fn readings(text: &str, subject: Subject) -> Vec<(String, String, Option<String>)> {
    let parts: Vec<&str> = text.split('/').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Vec::new();
    }
    let pod_only = |ns: &str, n: &str| (ns.to_string(), n.to_string(), None);
    let with = |ns: &str, n: &str, c: &str| (ns.to_string(), n.to_string(), Some(c.to_string()));
    match (subject, parts.as_slice()) {
        (Subject::Pod, [n]) => vec![pod_only("default", n)],
        (Subject::Pod, [ns, n]) => vec![pod_only(ns, n)],
        (Subject::Container | Subject::PodOrContainer, [n]) => vec![pod_only("default", n)],
        (Subject::Container | Subject::PodOrContainer, [a, b]) => vec![with("default", a, b), pod_only(a, b)],
        (Subject::Container | Subject::PodOrContainer, [ns, n, c]) => vec![with(ns, n, c)],
        _ => Vec::new(),
    }
}

/// An expectation on what happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "HappenedFile", into = "HappenedFile")]
pub struct HappenedExpectation {
    /// What it speaks of.
    pub what: Check,
    /// Only happenings in this interval count (default: the whole run).
    pub during: Window,
}

/// The forms of an expectation on what happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// `what:` happenings, how many, and how long after each `after:` happening.
    Each {
        /// Which happenings.
        what: Selector,
        /// How many.
        count: Option<CountRange>,
        /// Timing against another happening.
        after: Option<Box<After>>,
    },
    /// `order:` each selector's happenings all come before the first of the next.
    Order(Vec<Selector>),
}

/// Timing against the happenings of `after`: after each of them, the first `what` that follows.
#[derive(Clone, Debug, PartialEq)]
pub struct After {
    /// The happening measured from.
    pub from: Selector,
    /// The i-th follower comes `delays[i]` after its happening (± `tolerance` for a single delay).
    pub delays: Vec<Delay>,
    /// The allowed error of `delays`.
    pub tolerance: Millis,
    /// Each follower comes at most this long after.
    pub within: Option<Millis>,
    /// Each follower comes at least this long after.
    pub not_before: Option<Millis>,
}

/// The written form.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HappenedFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    what: Option<Selector>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    order: Vec<Selector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    during: Option<Window>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    count: Option<CountRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<Selector>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    delays: Vec<Delay>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::scenario::opt_duration")]
    tolerance: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::scenario::opt_duration")]
    within: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::scenario::opt_duration")]
    not_before: Option<Millis>,
}

/// One expected delay: `10s` (± the tolerance) or a range `10s..15s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DelayText", into = "String")]
pub struct Delay {
    /// The least.
    pub min: Millis,
    /// The most (`None`: a single delay, `min`).
    pub max: Option<Millis>,
}

impl Delay {
    /// Its bounds with a tolerance applied to a single delay.
    fn bounds(self, tolerance: Millis) -> (Millis, Millis) {
        match self.max {
            Some(max) => (self.min, max),
            None => (self.min.saturating_sub(tolerance), self.min + tolerance),
        }
    }

    fn describe(self, tolerance: Millis) -> String {
        match self.max {
            Some(max) => format!("{} to {}", duration::human(self.min), duration::human(max)),
            None => format!("{} ±{}", duration::human(self.min), duration::human(tolerance)),
        }
    }
}

impl From<Delay> for String {
    fn from(d: Delay) -> String {
        match d.max {
            Some(max) => format!("{}..{}", duration::format(d.min), duration::format(max)),
            None => duration::format(d.min),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DelayText {
    Seconds(u64),
    Text(String),
}

impl TryFrom<DelayText> for Delay {
    type Error = String;

    fn try_from(t: DelayText) -> Result<Delay, String> {
        let text = match t {
            DelayText::Seconds(s) => return Ok(Delay { min: s.saturating_mul(1_000), max: None }),
            DelayText::Text(text) => text,
        };
        let read = |w: &str| {
            podsim_model::workload::parse_duration(w)
                .ok_or_else(|| format!("{w:?} is not a delay (like 10s, or a range 10s..15s)"))
        };
        match text.split_once("..") {
            None => Ok(Delay { min: read(&text)?, max: None }),
            Some((a, b)) => {
                let (min, max) = (read(a)?, read(b)?);
                if min > max {
                    return Err(format!("the range {text:?} is empty"));
                }
                Ok(Delay { min, max: Some(max) })
            }
        }
    }
}

/// The most entries an `order:` or `delays:` list may have.
const MAX_LIST: usize = 100;

impl TryFrom<HappenedFile> for HappenedExpectation {
    type Error = String;

    fn try_from(f: HappenedFile) -> Result<HappenedExpectation, String> {
        let during = f.during.unwrap_or(Window::ALL);
        if f.order.len() > MAX_LIST || f.delays.len() > MAX_LIST {
            return Err(format!("at most {MAX_LIST} entries in order or delays"));
        }
        let timing =
            !f.delays.is_empty() || f.tolerance.is_some() || f.within.is_some() || f.not_before.is_some();
        let what = match (f.what, f.order.is_empty()) {
            (Some(_), false) => return Err("give either what or order, not both".into()),
            (None, true) => return Err("give what (a happening) or order (a list of them)".into()),
            (None, false) => {
                if f.order.len() < 2 || f.count.is_some() || f.after.is_some() || timing {
                    return Err("order takes two or more happenings, and no count, after or timing".into());
                }
                Check::Order(f.order)
            }
            (Some(what), true) => {
                if timing && f.after.is_none() {
                    return Err(
                        "delays, tolerance, within and notBefore are measured from after: give it".into()
                    );
                }
                let after = f.after.map(|from| {
                    Box::new(After {
                        from,
                        delays: f.delays,
                        tolerance: f.tolerance.unwrap_or(0),
                        within: f.within,
                        not_before: f.not_before,
                    })
                });
                Check::Each { what, count: f.count, after }
            }
        };
        Ok(HappenedExpectation { what, during })
    }
}

impl From<HappenedExpectation> for HappenedFile {
    fn from(e: HappenedExpectation) -> HappenedFile {
        let during = (e.during != Window::ALL).then_some(e.during);
        match e.what {
            Check::Order(order) => HappenedFile { order, during, ..Default::default() },
            Check::Each { what, count, after } => {
                let mut f = HappenedFile { what: Some(what), count, during, ..Default::default() };
                if let Some(a) = after.map(|a| *a) {
                    f.after = Some(a.from);
                    f.delays = a.delays;
                    f.tolerance = (a.tolerance > 0).then_some(a.tolerance);
                    f.within = a.within;
                    f.not_before = a.not_before;
                }
                f
            }
        }
    }
}

impl HappenedExpectation {
    /// Every selector it uses.
    pub fn selectors(&self) -> Vec<&Selector> {
        match &self.what {
            Check::Order(list) => list.iter().collect(),
            Check::Each { what, after, .. } => {
                let mut v = vec![what];
                if let Some(a) = after {
                    v.push(&a.from);
                }
                v
            }
        }
    }

    /// What is wrong with the run's happenings (in time order), for a run that ended at `end`.
    pub fn failures(&self, log: &[Happening], end: Millis) -> Vec<String> {
        let seen: Vec<(usize, &Happening)> =
            log.iter().enumerate().filter(|(_, h)| self.during.contains(h.t, end)).collect();
        let scope =
            if self.during == Window::ALL { String::new() } else { format!(" during {}", self.during) };
        match &self.what {
            Check::Order(list) => order_failures(list, &seen, &scope),
            Check::Each { what, count, after } => {
                let mut out = Vec::new();
                let found: Vec<&(usize, &Happening)> = seen.iter().filter(|(_, h)| what.matches(h)).collect();
                if let Some(range) = count {
                    if !range.contains(found.len() as u32) {
                        out.push(format!(
                            "expected {range} of `{what}`{scope}, found {}{}",
                            found.len(),
                            listed(&found)
                        ));
                    }
                }
                if let Some(a) = after {
                    out.extend(after_failures(what, a, &seen, end, &scope));
                }
                out
            }
        }
    }
}

/// Up to five of the happenings found, for a message.
fn listed(found: &[&(usize, &Happening)]) -> String {
    if found.is_empty() {
        return String::new();
    }
    let times: Vec<String> = found.iter().take(5).map(|(_, h)| duration::human(h.t)).collect();
    let more = if found.len() > 5 { ", ..." } else { "" };
    format!(" (at {}{more})", times.join(", "))
}

fn order_failures(list: &[Selector], seen: &[(usize, &Happening)], scope: &str) -> Vec<String> {
    let mut out = Vec::new();
    let at = |s: &Selector| -> Vec<&Happening> {
        seen.iter().filter(|(_, h)| s.matches(h)).map(|(_, h)| *h).collect()
    };
    for s in list {
        if at(s).is_empty() {
            out.push(format!("expected `{s}`{scope}, found none"));
        }
    }
    if !out.is_empty() {
        return out;
    }
    for pair in list.windows(2) {
        let last_before = seen.iter().rev().find(|(_, h)| pair[0].matches(h));
        let first_after = seen.iter().find(|(_, h)| pair[1].matches(h));
        if let (Some((i, a)), Some((j, b))) = (last_before, first_after) {
            if i > j {
                out.push(format!(
                    "expected every `{}` before the first `{}`{scope}, found {a} after {b}",
                    pair[0], pair[1]
                ));
            }
        }
    }
    out
}

fn after_failures(
    what: &Selector,
    a: &After,
    seen: &[(usize, &Happening)],
    end: Millis,
    scope: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    let refs: Vec<&(usize, &Happening)> = seen.iter().filter(|(_, h)| a.from.matches(h)).collect();
    if refs.is_empty() {
        return vec![format!("expected `{}`{scope} to measure `{what}` from, found none", a.from)];
    }
    if refs.len() < a.delays.len() {
        out.push(format!(
            "expected {} of `{}`{scope} to measure `{what}` from, found {}{}",
            a.delays.len(),
            a.from,
            refs.len(),
            listed(&refs)
        ));
    }
    for (k, (i, r)) in refs.iter().enumerate() {
        let follower = seen.iter().find(|(j, h)| j > i && what.matches(h)).map(|(_, h)| *h);
        let want = a.delays.get(k).copied();
        if let Some(f) = follower {
            let gap = f.t - r.t;
            let gap_text = duration::human(gap);
            if let Some(d) = want {
                let (lo, hi) = d.bounds(a.tolerance);
                if gap < lo || gap > hi {
                    out.push(format!(
                        "expected `{what}` {} after {r}, found it {gap_text} after ({f})",
                        d.describe(a.tolerance)
                    ));
                }
            }
            if let Some(w) = a.within {
                if gap > w {
                    out.push(format!(
                        "expected `{what}` within {} of {r}, found it {gap_text} after ({f})",
                        duration::human(w)
                    ));
                }
            }
            if let Some(nb) = a.not_before {
                if gap < nb {
                    out.push(format!(
                        "expected `{what}` no sooner than {} after {r}, found it {gap_text} after ({f})",
                        duration::human(nb)
                    ));
                }
            }
            continue;
        }
        // Nothing followed: wrong only if the run lasted past the time it was due.
        let due = [want.map(|d| d.bounds(a.tolerance).1), a.within].into_iter().flatten().min();
        if let Some(due) = due {
            if r.t + due < end {
                out.push(format!(
                    "expected `{what}` {} after {r}, found none by the end",
                    duration::human(due)
                ));
            }
        }
    }
    out
}

/// The happenings of a run, recorded as they come, from what both backends see.
#[derive(Clone, Debug, Default)]
pub struct HappeningLog {
    happenings: Vec<Happening>,
    /// Container id -> its pod and name (from CreateContainer, or a listing).
    containers: BTreeMap<String, (PodRef, String)>,
    /// Sandbox id -> its pod.
    sandboxes: BTreeMap<String, PodRef>,
    /// Pod UID -> its pod.
    pods: BTreeMap<String, PodRef>,
    /// Containers the kubelet asked to stop, whose SIGKILL is still to come.
    stopping: BTreeSet<String>,
    /// Pods created, in order: (namespace, name, uid).
    created: Vec<(String, String, String)>,
    /// The last listings of the whole node learnt from: learning is only ever adding what is not
    /// known yet, so a listing shared with the last one (a quiet relist) has nothing new.
    learnt: (Option<SandboxList>, Option<ContainerList>),
}

/// The most happenings kept (a run that makes more is a livelock the checker reports anyway).
const MAX_HAPPENINGS: usize = 1_000_000;

/// Whether `list` is the very listing `last` holds (shared, not merely equal).
fn is_same_listing<T>(last: &Option<Arc<[T]>>, list: &Arc<[T]>) -> bool {
    last.as_ref().is_some_and(|last| Arc::ptr_eq(last, list))
}

fn pod_of(p: &PodRef) -> Option<(String, String)> {
    Some((p.namespace.to_string(), p.name.to_string()))
}

impl HappeningLog {
    /// Every happening, in time order.
    pub fn sorted(&mut self) -> &[Happening] {
        self.happenings.sort_by_key(|h| h.t);
        &self.happenings
    }

    /// The happenings, in the order they are held ([`HappeningLog::sorted`] sorts them).
    pub fn into_happenings(self) -> Vec<Happening> {
        self.happenings
    }

    fn push(&mut self, h: Happening) {
        if self.happenings.len() < MAX_HAPPENINGS {
            self.happenings.push(h);
        }
    }

    fn of_pod(
        &mut self,
        t: Millis,
        kind: Kind,
        pod: Option<(String, String)>,
        container: Option<String>,
        word: Option<String>,
    ) {
        self.push(Happening {
            t,
            kind,
            pod,
            container,
            word: word.map(Cow::Owned),
            object: None,
            code: None,
        });
    }

    fn of_object(&mut self, t: Millis, kind: Kind, object: String) {
        self.push(Happening {
            t,
            kind,
            pod: None,
            container: None,
            word: None,
            object: Some(object),
            code: None,
        });
    }

    /// The UID of the pod of this name created last, as far as the log knows.
    pub fn uid_of(&self, namespace: &str, name: &str) -> Option<String> {
        self.created
            .iter()
            .rev()
            .find(|(ns, n, _)| ns == namespace && n == name)
            .map(|(_, _, uid)| uid.clone())
    }

    /// Notes a pod the world knows (so that its UID can be named).
    pub fn know_pod(&mut self, pod: PodRef) {
        self.pods.insert(pod.uid.to_string(), pod);
    }

    /// Notes a runtime object the kubelet listed (left by an earlier kubelet, say).
    pub fn know_container(&mut self, id: &str, pod: &PodRef, name: &str) {
        if !self.containers.contains_key(id) {
            self.containers.insert(id.to_string(), (pod.clone(), name.to_string()));
        }
    }

    /// Notes a sandbox the kubelet listed.
    pub fn know_sandbox(&mut self, id: &str, pod: &PodRef) {
        if !self.sandboxes.contains_key(id) {
            self.sandboxes.insert(id.to_string(), pod.clone());
        }
    }

    fn container(&self, id: &str) -> (Option<(String, String)>, Option<String>) {
        match self.containers.get(id) {
            Some((p, name)) => (pod_of(p), Some(name.clone())),
            None => (None, None),
        }
    }

    /// A CRI call the kubelet made at `t`, answered at `replied` with `reply`; `running(id)` says
    /// whether a container runs as the call is made.
    pub fn on_cri(
        &mut self,
        t: Millis,
        replied: Millis,
        request: &CriRequest,
        reply: &CriReply,
        running: &dyn Fn(&str) -> bool,
    ) {
        self.learn_from_listing(request, reply);
        let method = crate::containerd::CriMethod::of(request).name();
        let (pod, container, object) = match request {
            CriRequest::ListPodSandbox { .. } | CriRequest::ListContainers { .. } => (None, None, None),
            CriRequest::RunPodSandbox { config } => (pod_of(&config.pod), None, None),
            CriRequest::StopPodSandbox { sandbox_id } | CriRequest::RemovePodSandbox { sandbox_id } => {
                (self.sandboxes.get(sandbox_id.as_str()).and_then(pod_of), None, None)
            }
            CriRequest::ImageStatus { image } | CriRequest::PullImage { image } => {
                (None, None, Some(image.to_string()))
            }
            CriRequest::CreateContainer { config, .. } => {
                (pod_of(&config.pod), Some(config.name.to_string()), None)
            }
            CriRequest::StartContainer { container_id }
            | CriRequest::StopContainer { container_id, .. }
            | CriRequest::RemoveContainer { container_id }
            | CriRequest::UpdateContainerResources { container_id, .. }
            | CriRequest::ExecSync { container_id, .. } => {
                let (p, c) = self.container(container_id);
                (p, c, None)
            }
        };
        self.push(Happening {
            t,
            kind: Kind::Cri,
            pod,
            container,
            word: Some(Cow::Borrowed(method)),
            object,
            code: None,
        });
        let ok = !matches!(reply, CriReply::Err(_));
        self.after_cri(t, replied, request, reply, ok, running);
    }

    /// Learns the pods of the runtime objects a listing shows (some an earlier kubelet made).
    fn learn_from_listing(&mut self, request: &CriRequest, reply: &CriReply) {
        let whole_node = matches!(
            request,
            CriRequest::ListContainers { pod_uid: None } | CriRequest::ListPodSandbox { pod_uid: None }
        );
        match reply {
            CriReply::Containers(list) if is_same_listing(&self.learnt.1, list) => {}
            CriReply::Sandboxes(list) if is_same_listing(&self.learnt.0, list) => {}
            CriReply::Containers(list) => {
                if whole_node {
                    self.learnt.1 = Some(list.clone());
                }
                for c in list.iter() {
                    if let Some(p) = &c.pod {
                        self.know_container(&c.status.id, p, &c.status.name);
                    }
                }
            }
            CriReply::Sandboxes(list) => {
                if whole_node {
                    self.learnt.0 = Some(list.clone());
                }
                for s in list.iter() {
                    if let Some(p) = &s.pod {
                        self.know_sandbox(&s.status.id, p);
                    }
                }
            }
            _ => {}
        }
    }

    fn after_cri(
        &mut self,
        t: Millis,
        replied: Millis,
        request: &CriRequest,
        reply: &CriReply,
        ok: bool,
        running: &dyn Fn(&str) -> bool,
    ) {
        match (request, reply) {
            (CriRequest::RunPodSandbox { config }, CriReply::SandboxCreated { sandbox_id }) => {
                self.sandboxes.insert(sandbox_id.to_string(), config.pod.clone());
                self.pods.insert(config.pod.uid.to_string(), config.pod.clone());
                self.of_pod(replied, Kind::Sandbox, pod_of(&config.pod), None, None);
            }
            (CriRequest::CreateContainer { config, .. }, CriReply::ContainerCreated { container_id }) => {
                self.containers
                    .insert(container_id.to_string(), (config.pod.clone(), config.name.to_string()));
            }
            (CriRequest::StartContainer { container_id }, CriReply::Ok) => {
                let (p, c) = self.container(container_id);
                self.of_pod(replied, Kind::Start, p, c, None);
            }
            (CriRequest::PullImage { image }, _) => {
                self.of_object(t, Kind::Pull, image.to_string());
                let kind = if ok { Kind::Pulled } else { Kind::PullFailed };
                self.of_object(replied, kind, image.to_string());
            }
            (CriRequest::StopContainer { container_id, timeout_seconds }, _) if running(container_id) => {
                let (p, c) = self.container(container_id);
                let signal = if *timeout_seconds > 0 { "SIGTERM" } else { "SIGKILL" };
                self.of_pod(t, Kind::Kill, p, c, Some(signal.into()));
                if *timeout_seconds > 0 {
                    self.stopping.insert(container_id.to_string());
                }
            }
            (CriRequest::StopPodSandbox { sandbox_id }, _) => {
                // The sandbox's pod is looked up once, and a container's pod is compared before its
                // process is asked about.
                let Some(uid) = self.sandboxes.get(sandbox_id.as_str()).map(|s| s.uid.as_str()) else {
                    return;
                };
                let inside: Vec<String> = self
                    .containers
                    .iter()
                    .filter(|(_, (p, _))| p.uid == uid)
                    .filter(|(id, _)| running(id))
                    .map(|(id, _)| id.clone())
                    .collect();
                self.stopping.extend(inside);
            }
            _ => {}
        }
    }

    /// A `StopContainer` whose reply came only after its grace period: the runtime sent SIGKILL at
    /// `t` (a backend that sees exits late, at its relist, tells this from the call's length).
    pub fn on_stop_escalated(&mut self, t: Millis, container_id: &str) {
        if self.stopping.remove(container_id) {
            let (p, c) = self.container(container_id);
            self.of_pod(t, Kind::Kill, p, c, Some("SIGKILL".into()));
        }
    }

    /// A container's process exited at `t` with `code`.
    pub fn on_exit(&mut self, t: Millis, container_id: &str, code: i32) {
        let (p, c) = self.container(container_id);
        if self.stopping.remove(container_id) && code == SIGKILL_EXIT_CODE {
            self.of_pod(t, Kind::Kill, p.clone(), c.clone(), Some("SIGKILL".into()));
        }
        self.push(Happening {
            t,
            kind: Kind::Exit,
            pod: p,
            container: c,
            word: None,
            object: None,
            code: Some(code),
        });
    }

    /// A sync of the pod with this UID had a non-empty plan.
    pub fn on_plan(&mut self, t: Millis, pod_uid: &str) {
        let pod = self.pods.get(pod_uid).and_then(pod_of);
        self.of_pod(t, Kind::Plan, pod, None, None);
    }

    /// A sync of the pod with this UID ended.
    pub fn on_sync(&mut self, t: Millis, pod_uid: &str) {
        let pod = self.pods.get(pod_uid).and_then(pod_of);
        self.of_pod(t, Kind::Sync, pod, None, None);
    }

    /// The kubelet released the pod's API object.
    pub fn on_release(&mut self, t: Millis, pod_uid: &str) {
        let pod = self.pods.get(pod_uid).and_then(pod_of);
        self.of_pod(t, Kind::Release, pod, None, None);
    }

    /// A Kubernetes Event about a pod (and container) was recorded, or its count grew.
    pub fn on_event(&mut self, t: Millis, namespace: &str, pod: &str, container: Option<&str>, reason: &str) {
        let p = Some((namespace.to_string(), pod.to_string()));
        self.of_pod(t, Kind::Event, p, container.map(str::to_string), Some(reason.to_string()));
    }

    /// A fault began.
    pub fn on_fault(&mut self, t: Millis, kind: FaultKind) {
        self.of_pod(t, Kind::Fault, None, None, Some(kind.name().to_string()));
    }

    /// A fault healed.
    pub fn on_heal(&mut self, t: Millis, kind: FaultKind) {
        self.of_pod(t, Kind::Heal, None, None, Some(kind.name().to_string()));
    }

    /// A timeline action was carried out.
    pub fn on_action(&mut self, t: Millis, action: &crate::scenario::Action) {
        use crate::scenario::Action;
        let pod = |ns: &str, n: &str| Some((ns.to_string(), n.to_string()));
        match action {
            Action::CreatePod(p) => {
                self.know_pod(PodRef::of(p));
                self.created.push((p.namespace.clone(), p.name.clone(), p.uid.clone()));
                self.of_pod(t, Kind::Create, pod(&p.namespace, &p.name), None, None);
            }
            Action::UpdatePod(p) => self.of_pod(t, Kind::Update, pod(&p.namespace, &p.name), None, None),
            Action::ResizePod { namespace, name, .. } => {
                self.of_pod(t, Kind::Update, pod(namespace, name), None, None)
            }
            Action::DeletePod { namespace, name, .. } => {
                self.of_pod(t, Kind::Delete, pod(namespace, name), None, None)
            }
            Action::CreateSecret { namespace, name } => {
                self.of_object(t, Kind::CreateSecret, format!("{namespace}/{name}"))
            }
            Action::DeleteSecret { namespace, name } => {
                self.of_object(t, Kind::DeleteSecret, format!("{namespace}/{name}"))
            }
            Action::Fault(_) => {}
        }
    }
}

/// `namespace/name` of a selector's Secret as written (`db` is `default/db`).
pub fn secret_word(text: &str) -> String {
    let (ns, n) = split_name(text);
    format!("{ns}/{n}")
}
