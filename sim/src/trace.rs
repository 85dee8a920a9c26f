//! The trace: every delivered message, decision, fault and violation of a run, as serde records with
//! their virtual time. Written as JSON lines by `podsim run --trace`, condensed for snapshots, and
//! compared byte for byte by the determinism tests.

use serde::{Deserialize, Serialize};

use podsim_model::Millis;

/// What a record is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TraceKind {
    /// A timeline action (a user creating, updating or deleting something).
    Timeline,
    /// A fault starting.
    Fault,
    /// A fault healing.
    Heal,
    /// A request of the kubelet to the API server, with the reply it got.
    Api,
    /// A watch event or watch end delivered to the kubelet.
    Watch,
    /// A CRI call, with its reply.
    Cri,
    /// A node operation, with its reply.
    Node,
    /// A decision of the kubelet (its plan, a container not started, a worker state).
    Decision,
    /// A change inside the runtime not asked for by the kubelet (a process exiting).
    Runtime,
    /// The kubelet process starting or dying.
    Kubelet,
    /// An Event the API server stored (created or patched by the kubelet's event sink).
    Event,
    /// A safety or liveness violation.
    Violation,
}

/// One record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceRecord {
    /// Virtual time, in milliseconds.
    pub t: Millis,
    /// What it is about.
    pub kind: TraceKind,
    /// What happened, in one line.
    pub text: String,
}

/// The records of a run (kept only when asked for: exploring thousands of seeds keeps none).
#[derive(Clone, Debug, Default)]
pub struct Trace {
    enabled: bool,
    records: Vec<TraceRecord>,
}

impl Trace {
    /// A trace that keeps records (`enabled`) or drops them.
    pub fn new(enabled: bool) -> Trace {
        Trace { enabled, records: Vec::new() }
    }

    /// Whether records are kept (callers skip formatting when not).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Adds a record; `text` is built only when records are kept.
    pub fn record(&mut self, t: Millis, kind: TraceKind, text: impl FnOnce() -> String) {
        if self.enabled {
            self.records.push(TraceRecord { t, kind, text: text() });
        }
    }

    /// The records.
    pub fn records(&self) -> &[TraceRecord] {
        &self.records
    }

    /// The trace as JSON lines.
    pub fn to_jsonl(&self) -> String {
        let mut out = String::new();
        for r in &self.records {
            out.push_str(&serde_json::to_string(r).expect("a trace record serialises"));
            out.push('\n');
        }
        out
    }
}
