//! The scenario's own expectations (`expect:`), judged by [`crate::expect::Judge`] against the API
//! server and the runtime view; here at the end of a run, for a checker used on its own.

use super::{Check, Context, Finding};
use crate::checker::observation::{Observation, ObservationKind};
use crate::checker::Rule;

/// [`Rule::Expectation`].
pub struct Expectation;

impl Check for Expectation {
    fn rule(&self) -> Rule {
        Rule::Expectation
    }

    fn words(&self) -> &'static str {
        "Every expectation the scenario states holds (its pods' phases, containers and sandboxes, and what happened)."
    }

    fn observes(&self) -> &'static [ObservationKind] {
        &[ObservationKind::Expectations]
    }

    fn check(&mut self, observation: &Observation<'_>, context: &Context<'_>) -> Vec<Finding> {
        let Observation::Expectations { expect, view } = observation else { return Vec::new() };
        let mut judge = crate::expect::Judge::new(expect, context.now);
        let violations = judge.finish(view.api, *view);
        violations.into_iter().map(|v| Finding { pod: v.pod, detail: v.detail, at: Some(v.t) }).collect()
    }
}
