//! What a pod must look like at one instant: its status as the API server has it (phase,
//! conditions, container states, `lastState`, restarts), its sandboxes on the node, and its data
//! directory and mounts. Failures are told in kubectl's words (`expected Waiting
//! (CrashLoopBackOff), found Running`), never in Rust's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use podsim_model::status::{reason, ConditionStatus};
use podsim_model::{ContainerStateReport, Millis, PodPhase, PodStatusReport};

use super::time::CountRange;
use crate::apiserver::ApiServer;
use crate::scenario::{duration, split_name};

/// What one pod must be.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodExpectation {
    /// Its phase as the API server has it.
    #[serde(default)]
    pub phase: Option<PodPhase>,
    /// Its status `reason` (the kubelet's pod reasons only).
    #[serde(default)]
    pub reason: Option<PodReason>,
    /// Text its status `message` contains.
    #[serde(default)]
    pub message: Option<String>,
    /// `true`: the pod is gone (its API object released by the kubelet).
    #[serde(default)]
    pub gone: bool,
    /// Per container (regular, init or ephemeral), by name.
    #[serde(default)]
    pub containers: BTreeMap<String, ContainerExpectation>,
    /// Per condition the kubelet owns: `Ready: "False"` or `Ready: {status: "False", reason: ...}`.
    #[serde(default)]
    pub conditions: BTreeMap<ConditionType, ConditionExpectation>,
    /// Its sandboxes on the node.
    #[serde(default)]
    pub sandboxes: Option<SandboxExpectation>,
    /// Its data directory (`/var/lib/kubelet/pods/<uid>`) on the node.
    #[serde(default)]
    pub data_dir: Option<Presence>,
    /// Its volume mounts on the node (`present`: at least one).
    #[serde(default)]
    pub mounts: Option<Presence>,
    /// The Kubernetes Events about it the API server holds, by reason.
    #[serde(default)]
    pub events: BTreeMap<EventReason, EventExpectation>,
}

/// The reasons the kubelet gives a pod's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PodReason {
    /// The active deadline handler's (`activeDeadlineSeconds` passed).
    DeadlineExceeded,
}

impl PodReason {
    /// The API's word.
    pub fn as_str(self) -> &'static str {
        match self {
            PodReason::DeadlineExceeded => "DeadlineExceeded",
        }
    }
}

/// The reasons a container's state can have: the kubelet's (pkg/kubelet/kubelet_pods.go, kuberuntime)
/// and containerd's for an exit (`Completed`, `Error`, `OOMKilled`, `StartError`, `Unknown`).
pub const CONTAINER_REASONS: [&str; 17] = [
    reason::CONTAINER_CREATING,
    reason::POD_INITIALIZING,
    reason::CREATE_CONTAINER_CONFIG_ERROR,
    reason::CREATE_CONTAINER_ERROR,
    reason::ERR_IMAGE_PULL,
    reason::IMAGE_INSPECT_ERROR,
    reason::IMAGE_PULL_BACK_OFF,
    reason::ERR_IMAGE_NEVER_PULL,
    reason::CRASH_LOOP_BACK_OFF,
    reason::RUN_CONTAINER_ERROR,
    reason::COMPLETED,
    reason::ERROR,
    reason::OOM_KILLED,
    reason::CONTAINER_STATUS_UNKNOWN,
    reason::RESTARTING_ALL_CONTAINERS,
    "StartError",
    "Unknown",
];

/// The reasons of the Events the kubelet records about pods and their containers
/// (pkg/kubelet/events/event.go, and the active deadline handler's); podsim records those it models
/// (README, "Events").
pub const KUBELET_EVENT_REASONS: [&str; 29] = [
    "Created",
    "Started",
    "Failed",
    "Killing",
    "Preempting",
    "BackOff",
    "ExceededGracePeriod",
    "FailedKillPod",
    "FailedCreatePodContainer",
    "NetworkNotReady",
    "Pulling",
    "Pulled",
    "InspectFailed",
    "ErrImageNeverPull",
    "FailedMount",
    "FailedAttachVolume",
    "FailedMapVolume",
    "WarnAlreadyMountedVolume",
    "SuccessfulMountVolume",
    "FailedCreatePodSandBox",
    "FailedPodSandBoxStatus",
    "SandboxChanged",
    "FailedSync",
    "FailedValidation",
    "Unhealthy",
    "ProbeWarning",
    "FailedPreStopHook",
    "FailedPostStartHook",
    "DeadlineExceeded",
];

/// A container reason as written: one of [`CONTAINER_REASONS`].
fn known_container_reason<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let word = String::deserialize(d)?;
    if CONTAINER_REASONS.contains(&word.as_str()) {
        Ok(Some(word))
    } else {
        Err(serde::de::Error::custom(format!(
            "unknown container reason {word:?} (known: {})",
            CONTAINER_REASONS.join(", ")
        )))
    }
}

/// The reason of a kubelet Event, one of [`KUBELET_EVENT_REASONS`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventReason(pub String);

impl TryFrom<String> for EventReason {
    type Error = String;

    fn try_from(word: String) -> Result<EventReason, String> {
        if KUBELET_EVENT_REASONS.contains(&word.as_str()) {
            Ok(EventReason(word))
        } else {
            Err(format!(
                "unknown kubelet Event reason {word:?} (known: {})",
                KUBELET_EVENT_REASONS.join(", ")
            ))
        }
    }
}

impl From<EventReason> for String {
    fn from(r: EventReason) -> String {
        r.0
    }
}

/// What the Events of one reason about a pod must be, as the API server holds them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventExpectation {
    /// The sum of their `count`s (`0`: none).
    #[serde(default)]
    pub count: Option<CountRange>,
    /// Their `type`.
    #[serde(default, rename = "type")]
    pub event_type: Option<podsim_model::events::EventType>,
    /// Only those about this container.
    #[serde(default)]
    pub container: Option<String>,
    /// Text one of their messages contains.
    #[serde(default)]
    pub message: Option<String>,
}

/// A container's state, by kubectl's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StateName {
    /// Running.
    Running,
    /// Waiting (with a reason).
    Waiting,
    /// Terminated.
    Terminated,
}

impl StateName {
    fn of(state: &ContainerStateReport) -> StateName {
        match state {
            ContainerStateReport::Running { .. } => StateName::Running,
            ContainerStateReport::Waiting { .. } => StateName::Waiting,
            ContainerStateReport::Terminated { .. } => StateName::Terminated,
        }
    }

    fn word(self) -> &'static str {
        match self {
            StateName::Running => "Running",
            StateName::Waiting => "Waiting",
            StateName::Terminated => "Terminated",
        }
    }
}

/// What one container must be.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerExpectation {
    /// Its state.
    #[serde(default)]
    pub state: Option<StateName>,
    /// The reason of a waiting or terminated state.
    #[serde(default, deserialize_with = "known_container_reason", skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Text the message of its state contains.
    #[serde(default)]
    pub message: Option<String>,
    /// Its restart count: `3`, or a range `2..5` or `2..`.
    #[serde(default)]
    pub restarts: Option<CountRange>,
    /// The exit code of a terminated state.
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// Its `lastState` (the previous instance's end).
    #[serde(default)]
    pub last_state: Option<LastStateExpectation>,
    /// `ready`.
    #[serde(default)]
    pub ready: Option<bool>,
    /// `started`.
    #[serde(default)]
    pub started: Option<bool>,
}

/// What a container's `lastState` must be.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LastStateExpectation {
    /// Its state (`terminated` when left out, the only one the kubelet reports there).
    #[serde(default)]
    pub state: Option<StateName>,
    /// Its reason (`OOMKilled`, `Error`, `Completed`, ...).
    #[serde(default, deserialize_with = "known_container_reason", skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Its exit code.
    #[serde(default)]
    pub exit_code: Option<i32>,
}

/// The pod conditions the kubelet sets (`generateAPIPodStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ConditionType {
    /// `PodReadyToStartContainers`.
    PodReadyToStartContainers,
    /// `Initialized`.
    Initialized,
    /// `ContainersReady`.
    ContainersReady,
    /// `Ready`.
    Ready,
    /// `AllContainersRestarting` (RestartAllContainersOnContainerExits, a pod with a
    /// RestartAllContainers rule).
    AllContainersRestarting,
    /// `PodResizePending` (an in-place resize the kubelet has not admitted: Deferred or Infeasible).
    PodResizePending,
    /// `PodResizeInProgress` (an admitted resize not yet carried out).
    PodResizeInProgress,
}

impl ConditionType {
    fn name(self) -> &'static str {
        match self {
            ConditionType::PodReadyToStartContainers => "PodReadyToStartContainers",
            ConditionType::Initialized => "Initialized",
            ConditionType::ContainersReady => "ContainersReady",
            ConditionType::Ready => "Ready",
            ConditionType::AllContainersRestarting => "AllContainersRestarting",
            ConditionType::PodResizePending => "PodResizePending",
            ConditionType::PodResizeInProgress => "PodResizeInProgress",
        }
    }
}

/// A condition's expected status, with its reason if given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ConditionText", into = "ConditionText")]
pub struct ConditionExpectation {
    /// `True`, `False` or `Unknown`.
    pub status: ConditionStatus,
    /// Its reason.
    pub reason: Option<String>,
}

/// A condition as written: `True`, `"False"`, or `{status: "False", reason: ContainersNotReady}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum ConditionText {
    Bool(bool),
    Word(String),
    Full {
        status: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

fn condition_status(word: &str) -> Result<ConditionStatus, String> {
    match word {
        "True" => Ok(ConditionStatus::True),
        "False" => Ok(ConditionStatus::False),
        "Unknown" => Ok(ConditionStatus::Unknown),
        other => Err(format!("unknown condition status {other:?} (known: True, False, Unknown)")),
    }
}

impl TryFrom<ConditionText> for ConditionExpectation {
    type Error = String;

    fn try_from(t: ConditionText) -> Result<ConditionExpectation, String> {
        Ok(match t {
            ConditionText::Bool(true) => ConditionExpectation { status: ConditionStatus::True, reason: None },
            ConditionText::Bool(false) => {
                ConditionExpectation { status: ConditionStatus::False, reason: None }
            }
            ConditionText::Word(w) => ConditionExpectation { status: condition_status(&w)?, reason: None },
            ConditionText::Full { status, reason } => {
                ConditionExpectation { status: condition_status(&status)?, reason }
            }
        })
    }
}

impl From<ConditionExpectation> for ConditionText {
    fn from(c: ConditionExpectation) -> ConditionText {
        ConditionText::Full { status: c.status.as_str().to_string(), reason: c.reason }
    }
}

/// What the pod's sandboxes on the node must be.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SandboxExpectation {
    /// How many (ready or not).
    #[serde(default)]
    pub count: Option<CountRange>,
    /// How many are ready.
    #[serde(default)]
    pub ready: Option<CountRange>,
    /// The newest one's `metadata.attempt`.
    #[serde(default)]
    pub attempt: Option<u32>,
    /// The newest one is the one that was newest at this time ("still the same sandbox"); judged
    /// from that time on.
    #[serde(default, with = "crate::scenario::opt_duration")]
    pub same_as: Option<Millis>,
}

/// Whether something is on the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Presence {
    /// It is there.
    Present,
    /// It is not.
    Gone,
}

/// One sandbox as the expectations see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxFact {
    /// The runtime's id.
    pub id: String,
    /// `metadata.attempt`.
    pub attempt: u32,
    /// Whether it is ready.
    pub ready: bool,
}

impl SandboxFact {
    /// A pod's sandboxes as facts, newest first (as `ListPodSandbox` answers).
    pub fn newest_first<'a>(
        sandboxes: impl Iterator<Item = &'a podsim_model::SandboxStatus>,
    ) -> Vec<SandboxFact> {
        let mut found: Vec<&podsim_model::SandboxStatus> = sandboxes.collect();
        found.sort_by_key(|s| std::cmp::Reverse((s.created_at, s.attempt)));
        found
            .into_iter()
            .map(|s| SandboxFact {
                id: s.id.to_string(),
                attempt: s.attempt,
                ready: s.state == podsim_model::SandboxState::Ready,
            })
            .collect()
    }
}

/// The node as the expectations see it: each backend provides it (the simulated containerd and
/// node; on a real containerd, the runtime as the kubelet last listed it).
pub trait RuntimeView {
    /// The pod's sandboxes, newest first.
    fn sandboxes_of(&self, pod_uid: &str) -> Vec<SandboxFact>;
    /// Whether the pod's data directory exists.
    fn has_data_dir(&self, pod_uid: &str) -> bool;
    /// How many of the pod's volumes are mounted.
    fn mount_count(&self, pod_uid: &str) -> usize;
}

/// The newest sandbox of each pod (by UID) at the instants `sameAs` names.
pub type SandboxesAt = BTreeMap<(Millis, String), Option<String>>;

/// What is wrong with pod `name` now, one line each (empty: it is as expected). `known_uid` names the
/// UID a pod the API server no longer has had.
pub fn pod_failures(
    name: &str,
    e: &PodExpectation,
    now: Millis,
    api: &ApiServer,
    runtime: &dyn RuntimeView,
    sandboxes_at: &SandboxesAt,
    known_uid: &dyn Fn(&str, &str) -> Option<String>,
) -> Vec<String> {
    let (ns, n) = split_name(name);
    let stored = api.pod(&ns, &n);
    let mut out = Vec::new();
    if e.gone {
        if let Some(p) = &stored {
            let how = if p.pod.deletion_timestamp.is_some() { "being deleted" } else { "not deleted" };
            out.push(format!("{name}: expected gone, but the API server still has it ({how})"));
        }
        // What is left of a released pod on the node is still checked (by the UID it had).
        if let Some(uid) = stored.as_ref().map(|p| p.pod.uid.clone()).or_else(|| known_uid(&ns, &n)) {
            node_failures(name, e, now, &uid, runtime, sandboxes_at, &mut out);
        }
        return out;
    }
    let Some(stored) = stored else {
        out.push(format!("{name}: expected, but the API server does not have it"));
        return out;
    };
    let status = stored.status.as_ref();
    if let Some(phase) = e.phase {
        let found = status.map_or("no status".to_string(), |s| format!("{:?}", s.phase));
        if status.map(|s| s.phase) != Some(phase) {
            out.push(format!("{name}: expected phase {phase:?}, found {found}"));
        }
    }
    if let Some(reason) = e.reason {
        let found = status.map_or("", |s| s.reason.as_str());
        if found != reason.as_str() {
            out.push(format!("{name}: expected reason {}, found {found:?}", reason.as_str()));
        }
    }
    if let Some(message) = &e.message {
        let found = status.map_or("", |s| s.message.as_str());
        if !found.contains(message.as_str()) {
            out.push(format!("{name}: expected a message containing {message:?}, found {found:?}"));
        }
    }
    for (kind, want) in &e.conditions {
        condition_failures(name, *kind, want, status, &mut out);
    }
    for (cname, ce) in &e.containers {
        match status.and_then(|s| s.container(cname)) {
            None => out.push(format!("{name}/{cname}: no status reported")),
            Some(cs) => container_failures(&format!("{name}/{cname}"), ce, cs, &mut out),
        }
    }
    node_failures(name, e, now, &stored.pod.uid, runtime, sandboxes_at, &mut out);
    for (reason, want) in &e.events {
        event_failures(name, &stored.pod.uid, &reason.0, want, api, &mut out);
    }
    out
}

/// What is wrong with the pod's Events of one reason.
fn event_failures(
    name: &str,
    uid: &str,
    reason: &str,
    want: &EventExpectation,
    api: &ApiServer,
    out: &mut Vec<String>,
) {
    let found: Vec<&crate::events::EventRecord> = api
        .events()
        .filter(|e| e.pod_uid == uid && e.reason == reason)
        .filter(|e| want.container.is_none() || e.container == want.container)
        .collect();
    let count: u32 = found.iter().map(|e| e.count).sum();
    let what = match &want.container {
        Some(c) => format!("{name}/{c}"),
        None => name.to_string(),
    };
    if let Some(range) = want.count {
        if !range.contains(count) {
            out.push(format!("{what}: expected {range} {reason} events, found {count}"));
        }
    }
    if let Some(t) = want.event_type {
        if let Some(other) = found.iter().find(|e| e.event_type != t) {
            out.push(format!(
                "{what}: expected {reason} events of type {}, found {}",
                t.as_str(),
                other.event_type.as_str()
            ));
        }
    }
    if let Some(text) = &want.message {
        if !found.iter().any(|e| e.message.contains(text.as_str())) {
            let seen = found.first().map_or("none".to_string(), |e| format!("{:?}", e.message));
            out.push(format!(
                "{what}: expected a {reason} event whose message contains {text:?}, found {seen}"
            ));
        }
    }
}

/// What is wrong with the pod's sandboxes, data directory and mounts on the node.
fn node_failures(
    name: &str,
    e: &PodExpectation,
    now: Millis,
    uid: &str,
    runtime: &dyn RuntimeView,
    sandboxes_at: &SandboxesAt,
    out: &mut Vec<String>,
) {
    if let Some(se) = &e.sandboxes {
        sandbox_failures(name, se, now, &runtime.sandboxes_of(uid), sandboxes_at, uid, out);
    }
    if let Some(want) = e.data_dir {
        presence_failure(name, "data directory", want, runtime.has_data_dir(uid), out);
    }
    if let Some(want) = e.mounts {
        presence_failure(name, "volume mounts", want, runtime.mount_count(uid) > 0, out);
    }
}

fn condition_failures(
    name: &str,
    kind: ConditionType,
    want: &ConditionExpectation,
    status: Option<&PodStatusReport>,
    out: &mut Vec<String>,
) {
    let found = status.and_then(|s| s.condition(kind.name()));
    let Some(found) = found else {
        out.push(format!("{name}: expected condition {}={}, found none", kind.name(), want.status.as_str()));
        return;
    };
    if found.status != want.status {
        out.push(format!(
            "{name}: expected condition {}={}, found {}",
            kind.name(),
            want.status.as_str(),
            found.status.as_str()
        ));
    }
    if let Some(reason) = &want.reason {
        if &found.reason != reason {
            out.push(format!(
                "{name}: expected condition {} reason {reason}, found {:?}",
                kind.name(),
                found.reason
            ));
        }
    }
}

/// A container state as `kubectl describe` tells it: `Running`, `Waiting (CrashLoopBackOff)`,
/// `Terminated (Error, exit code 1)`.
pub fn describe_state(state: &ContainerStateReport) -> String {
    match state {
        ContainerStateReport::Running { .. } => "Running".to_string(),
        ContainerStateReport::Waiting { reason, .. } if reason.is_empty() => "Waiting".to_string(),
        ContainerStateReport::Waiting { reason, .. } => format!("Waiting ({reason})"),
        ContainerStateReport::Terminated { exit_code, reason, .. } => {
            format!("Terminated ({reason}, exit code {exit_code})")
        }
    }
}

fn state_reason_message(state: &ContainerStateReport) -> (Option<&str>, &str, Option<i32>) {
    match state {
        ContainerStateReport::Running { .. } => (None, "", None),
        ContainerStateReport::Waiting { reason, message } => (Some(reason), message, None),
        ContainerStateReport::Terminated { exit_code, reason, message, .. } => {
            (Some(reason), message, Some(*exit_code))
        }
    }
}

fn container_failures(
    who: &str,
    ce: &ContainerExpectation,
    cs: &podsim_model::ContainerStatusReport,
    out: &mut Vec<String>,
) {
    let found = describe_state(&cs.state);
    let (reason, message, exit) = state_reason_message(&cs.state);
    if let Some(want) = ce.state {
        if StateName::of(&cs.state) != want {
            out.push(format!("{who}: expected {}, found {found}", want.word()));
        }
    }
    if let Some(want) = &ce.reason {
        if reason != Some(want.as_str()) {
            out.push(format!("{who}: expected reason {want}, found {found}"));
        }
    }
    if let Some(want) = &ce.message {
        if !message.contains(want.as_str()) {
            out.push(format!("{who}: expected a message containing {want:?}, found {message:?}"));
        }
    }
    if let Some(want) = ce.exit_code {
        if exit != Some(want) {
            out.push(format!("{who}: expected exit code {want}, found {found}"));
        }
    }
    if let Some(range) = ce.restarts {
        if !range.contains(cs.restart_count) {
            out.push(format!("{who}: expected {range} restarts, found {}", cs.restart_count));
        }
    }
    if let Some(want) = ce.ready {
        if cs.ready != want {
            out.push(format!("{who}: expected ready={want}, found ready={}", cs.ready));
        }
    }
    if let Some(want) = ce.started {
        if cs.started.unwrap_or(false) != want {
            out.push(format!(
                "{who}: expected started={want}, found started={}",
                cs.started.unwrap_or(false)
            ));
        }
    }
    if let Some(want) = &ce.last_state {
        last_state_failures(who, want, cs.last_state.as_ref(), out);
    }
}

fn last_state_failures(
    who: &str,
    want: &LastStateExpectation,
    found: Option<&ContainerStateReport>,
    out: &mut Vec<String>,
) {
    let Some(found) = found else {
        out.push(format!("{who}: expected a lastState, found none"));
        return;
    };
    let text = describe_state(found);
    let (reason, _, exit) = state_reason_message(found);
    if StateName::of(found) != want.state.unwrap_or(StateName::Terminated) {
        let word = want.state.unwrap_or(StateName::Terminated).word();
        out.push(format!("{who}: expected lastState {word}, found {text}"));
    }
    if let Some(r) = &want.reason {
        if reason != Some(r.as_str()) {
            out.push(format!("{who}: expected lastState reason {r}, found {text}"));
        }
    }
    if let Some(code) = want.exit_code {
        if exit != Some(code) {
            out.push(format!("{who}: expected lastState exit code {code}, found {text}"));
        }
    }
}

fn sandbox_failures(
    name: &str,
    se: &SandboxExpectation,
    now: Millis,
    found: &[SandboxFact],
    sandboxes_at: &SandboxesAt,
    uid: &str,
    out: &mut Vec<String>,
) {
    if let Some(range) = se.count {
        if !range.contains(found.len() as u32) {
            out.push(format!("{name}: expected {range} sandboxes, found {}", found.len()));
        }
    }
    if let Some(range) = se.ready {
        let ready = found.iter().filter(|s| s.ready).count();
        if !range.contains(ready as u32) {
            out.push(format!("{name}: expected {range} ready sandboxes, found {ready}"));
        }
    }
    let newest = found.first();
    if let Some(attempt) = se.attempt {
        match newest {
            Some(s) if s.attempt == attempt => {}
            Some(s) => out.push(format!(
                "{name}: expected the newest sandbox's attempt {attempt}, found {} ({})",
                s.attempt, s.id
            )),
            None => out.push(format!("{name}: expected a sandbox of attempt {attempt}, found none")),
        }
    }
    // "The same sandbox as at T" is judged from T on.
    if let Some(at) = se.same_as.filter(|at| *at <= now) {
        let then = sandboxes_at.get(&(at, uid.to_string())).cloned().flatten();
        let now = newest.map(|s| s.id.clone());
        if then.is_none() || then != now {
            out.push(format!(
                "{name}: expected the sandbox it had at {} ({}), found {}",
                duration::format(at),
                then.as_deref().unwrap_or("none"),
                now.as_deref().unwrap_or("none")
            ));
        }
    }
}

fn presence_failure(name: &str, what: &str, want: Presence, present: bool, out: &mut Vec<String>) {
    match (want, present) {
        (Presence::Present, false) => {
            out.push(format!("{name}: expected its {what} on the node, found none"))
        }
        (Presence::Gone, true) => {
            out.push(format!("{name}: expected its {what} gone, found them on the node"))
        }
        _ => {}
    }
}
