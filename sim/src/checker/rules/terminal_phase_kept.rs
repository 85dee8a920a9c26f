//! A pod's status never leaves Succeeded or Failed once the kubelet wrote it: `generateAPIPodStatus`
//! keeps a terminal phase the status manager holds (the three-way merge) and forces back one the API
//! server holds ("Pod attempted illegal phase transition"; kubernetes#58711, fixed by #59767). Judged
//! at every status write the API server takes, across kubelet restarts, per pod UID.

use std::collections::BTreeMap;

use podsim_model::PodPhase;

use super::{Check, Context, Finding};
use crate::checker::observation::{Observation, ObservationKind};
use crate::checker::Rule;

/// [`Rule::TerminalPhaseKept`]: remembers the first terminal phase written of each pod (by UID).
#[derive(Default)]
pub struct TerminalPhaseKept {
    terminal: BTreeMap<String, PodPhase>,
}

impl Check for TerminalPhaseKept {
    fn rule(&self) -> Rule {
        Rule::TerminalPhaseKept
    }

    fn words(&self) -> &'static str {
        "Once the kubelet wrote a pod Succeeded or Failed, it never writes another phase of it."
    }

    fn observes(&self) -> &'static [ObservationKind] {
        &[ObservationKind::StatusWritten]
    }

    fn check(&mut self, observation: &Observation<'_>, _context: &Context<'_>) -> Vec<Finding> {
        let Observation::StatusWritten { pod, phase } = observation else { return Vec::new() };
        match self.terminal.get(pod.uid.as_str()) {
            Some(first) if first != phase => {
                let detail = format!("status written {phase:?} after {first:?}");
                vec![Finding::of_pod(format!("{}/{}", pod.namespace, pod.name), detail)]
            }
            Some(_) => Vec::new(),
            None => {
                if phase.is_terminal() {
                    self.terminal.insert(pod.uid.to_string(), *phase);
                }
                Vec::new()
            }
        }
    }
}
