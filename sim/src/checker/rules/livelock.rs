//! A run comes to rest: the world stops a run that goes past its limit of events (`MAX_EVENTS` in
//! world.rs), a loop of retries or timers that never ends. Told apart from
//! [`Rule::Convergence`](crate::checker::Rule::Convergence): such a run never reaches the point where
//! convergence is judged.

use super::{Check, Context, Finding};
use crate::checker::observation::{Observation, ObservationKind};
use crate::checker::Rule;

/// [`Rule::Livelock`].
pub struct Livelock;

impl Check for Livelock {
    fn rule(&self) -> Rule {
        Rule::Livelock
    }

    fn words(&self) -> &'static str {
        "A run comes to rest: it handles no more events than the world's limit (more is a loop that never ends)."
    }

    fn observes(&self) -> &'static [ObservationKind] {
        &[ObservationKind::Livelock]
    }

    fn check(&mut self, observation: &Observation<'_>, _context: &Context<'_>) -> Vec<Finding> {
        let Observation::Livelock { events } = observation else { return Vec::new() };
        vec![Finding::of_node(format!("more than {events} events: a livelock"))]
    }
}
