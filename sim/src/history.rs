//! The history of a run for people: per pod, the spans of its sandboxes and containers in each state
//! over virtual time, the kubelet's decisions about it, and the faults and violations of the run.
//! Recorded only when a report is asked for (it looks at the runtime after every event).

use std::collections::BTreeMap;

use serde::Serialize;

use podsim_model::{ContainerState, Millis, SandboxState};

use crate::containerd::Containerd;

/// One span of time an object spent in one state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Span {
    /// The runtime object's id.
    pub id: String,
    /// `ready`/`notready` for a sandbox; `created`/`running`/`exited`/`unknown` for a container.
    pub state: String,
    /// When it entered the state.
    pub from: Millis,
    /// When it left it (`None`: still in it at the end).
    pub to: Option<Millis>,
    /// What to show on hover: attempt, restart count, exit code and reason.
    pub detail: String,
}

/// One pod's lane.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PodLane {
    /// `namespace/name`.
    pub name: String,
    /// Its sandboxes' spans, in time order.
    pub sandboxes: Vec<Span>,
    /// Per container name, its instances' spans, in time order.
    pub containers: BTreeMap<String, Vec<Span>>,
    /// The kubelet's decisions about the pod: (time, text).
    pub decisions: Vec<(Millis, String)>,
}

/// A fault, from when it struck to when it healed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FaultSpan {
    /// Its kind.
    pub kind: String,
    /// Its parameters.
    pub text: String,
    /// When it struck.
    pub from: Millis,
    /// When it healed (equal to `from` for an instant fault).
    pub to: Millis,
}

/// A violation, for the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ViolationMark {
    /// When.
    pub t: Millis,
    /// The rule.
    pub rule: String,
    /// What happened.
    pub detail: String,
    /// The pod it names, if one (`namespace/name`).
    pub pod: Option<String>,
}

/// Everything a report shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct History {
    /// The scenario's name.
    pub scenario: String,
    /// Its description.
    pub description: String,
    /// The seed.
    pub seed: u64,
    /// The end of the run.
    pub end: Millis,
    /// One lane per pod (by UID, in order of appearance).
    pub pods: BTreeMap<String, PodLane>,
    /// Faults.
    pub faults: Vec<FaultSpan>,
    /// Violations.
    pub violations: Vec<ViolationMark>,
    /// The Events the API server holds at the end, in order of creation.
    pub events: Vec<crate::events::EventRecord>,
    /// Object id -> (pod UID, container name or "" for a sandbox, open span index), for open spans.
    #[serde(skip)]
    open: BTreeMap<String, (String, String, usize)>,
}

fn container_state(s: ContainerState) -> &'static str {
    match s {
        ContainerState::Created => "created",
        ContainerState::Running => "running",
        ContainerState::Exited => "exited",
        ContainerState::Unknown => "unknown",
    }
}

impl History {
    /// An empty history of a run of `scenario` (with its description) and `seed`.
    pub fn new(scenario: &str, description: &str, seed: u64) -> History {
        History { scenario: scenario.into(), description: description.into(), seed, ..History::default() }
    }

    /// Looks at the runtime at `now` and opens or closes spans for every change since the last look.
    pub fn observe(&mut self, now: Millis, containerd: &Containerd) {
        let mut present: BTreeMap<String, ()> = BTreeMap::new();
        for s in containerd.sandboxes() {
            let Some(pod) = &s.pod else { continue };
            present.insert(s.status.id.to_string(), ());
            let state = if s.status.state == SandboxState::Ready { "ready" } else { "notready" };
            let detail = format!("sandbox {} attempt {}", s.status.id, s.status.attempt);
            self.note(
                now,
                &pod.uid,
                &format!("{}/{}", pod.namespace, pod.name),
                "",
                &s.status.id,
                state,
                detail,
            );
        }
        for c in containerd.containers() {
            let Some(pod) = &c.pod else { continue };
            present.insert(c.status.id.to_string(), ());
            let state = container_state(c.status.state);
            let mut detail = format!("{} restart {}", c.status.id, c.status.restart_count);
            if c.status.state == ContainerState::Exited {
                detail.push_str(&format!(", exit {}", c.status.exit_code));
                if !c.status.reason.is_empty() {
                    detail.push_str(&format!(" {}", c.status.reason));
                }
            }
            let name = c.status.name.clone();
            self.note(
                now,
                &pod.uid,
                &format!("{}/{}", pod.namespace, pod.name),
                &name,
                &c.status.id,
                state,
                detail,
            );
        }
        // Objects that are gone: close their spans.
        let gone: Vec<String> = self.open.keys().filter(|id| !present.contains_key(*id)).cloned().collect();
        for id in gone {
            self.close(&id, now);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn note(
        &mut self,
        now: Millis,
        uid: &str,
        pod_name: &str,
        container: &str,
        id: &str,
        state: &str,
        detail: String,
    ) {
        if let Some((u, c, index)) = self.open.get(id).cloned() {
            let lane = self.pods.get_mut(&u).expect("an open span has a lane");
            let spans = if c.is_empty() {
                &mut lane.sandboxes
            } else {
                lane.containers.get_mut(&c).expect("its list")
            };
            if spans[index].state == state && spans[index].detail == detail {
                return;
            }
            spans[index].to = Some(now);
        }
        let lane = self.pods.entry(uid.to_string()).or_default();
        lane.name = pod_name.to_string();
        let spans = if container.is_empty() {
            &mut lane.sandboxes
        } else {
            lane.containers.entry(container.to_string()).or_default()
        };
        spans.push(Span { id: id.to_string(), state: state.to_string(), from: now, to: None, detail });
        let index = spans.len() - 1;
        self.open.insert(id.to_string(), (uid.to_string(), container.to_string(), index));
    }

    fn close(&mut self, id: &str, now: Millis) {
        if let Some((u, c, index)) = self.open.remove(id) {
            if let Some(lane) = self.pods.get_mut(&u) {
                let spans =
                    if c.is_empty() { Some(&mut lane.sandboxes) } else { lane.containers.get_mut(&c) };
                if let Some(span) = spans.and_then(|s| s.get_mut(index)) {
                    span.to = Some(now);
                }
            }
        }
    }

    /// A decision of the kubelet about a pod.
    pub fn decision(&mut self, now: Millis, pod_uid: &str, text: String) {
        // Decisions may come before the pod has a runtime object: its lane starts with them.
        let lane = self.pods.entry(pod_uid.to_string()).or_default();
        if lane.name.is_empty() {
            lane.name = pod_uid.to_string();
        }
        if lane.decisions.len() < 10_000 {
            lane.decisions.push((now, text));
        }
    }
}
