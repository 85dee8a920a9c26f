//! Liveness: once the world settled, the API server's status of each pod agrees with the node (the
//! kubelet's status manager writes what `generateAPIPodStatus` and `getPhase` make of the runtime).

use podsim_model::{PodPhase, PodStatusReport};

use super::{Check, Context, Finding};
use crate::checker::liveness::{newest_sandbox_ready, Goal};
use crate::checker::observation::{Observation, ObservationKind};
use crate::checker::Rule;

/// [`Rule::StatusAgrees`].
pub struct StatusAgrees;

impl Check for StatusAgrees {
    fn rule(&self) -> Rule {
        Rule::StatusAgrees
    }

    fn words(&self) -> &'static str {
        "After the last fault healed, the API server's phase of each pod agrees with the node: Succeeded or Failed when done, Running when it runs."
    }

    fn observes(&self) -> &'static [ObservationKind] {
        &[ObservationKind::SettledPod]
    }

    /// A pod that is to run is judged only once its newest sandbox is ready (before that,
    /// [`Rule::Convergence`] says what is wrong).
    fn check(&mut self, observation: &Observation<'_>, _context: &Context<'_>) -> Vec<Finding> {
        let Observation::SettledPod { stored, goal, view, .. } = observation else { return Vec::new() };
        let who = stored.pod.full_name();
        let status = stored.status.as_ref();
        let detail = match goal {
            Goal::Done(phase) if status.is_none_or(|s| s.phase != *phase) => {
                format!("{who} is {phase:?} but the API server says {}", phase_word(status))
            }
            Goal::Run(_)
                if newest_sandbox_ready(view, &stored.pod.uid)
                    && status.is_none_or(|s| s.phase != PodPhase::Running) =>
            {
                format!("{who} runs but the API server says {}", phase_word(status))
            }
            _ => return Vec::new(),
        };
        vec![Finding::of_pod(who, detail)]
    }
}

/// A status's phase in kubectl's words (`Running`, or `no status`).
fn phase_word(status: Option<&PodStatusReport>) -> String {
    status.map_or("no status".to_string(), |s| format!("{:?}", s.phase))
}
