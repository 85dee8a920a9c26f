//! A container is stopped with a grace period: a deleted pod's so that SIGKILL comes no sooner than its
//! full deletion grace period after the kubelet was shown the deletion (`killContainer` in
//! kuberuntime_container.go takes `pod.DeletionGracePeriodSeconds`, then spends it on the preStop
//! hook and, for a sidecar, on its wait for its turn, and stops the container with what is left),
//! any other with at least one second. (The kubelet's own floor, `minimumGracePeriodInSeconds`, is
//! 2 s; the rule asks for less, so it never reports a kubelet that keeps it.)

use podsim_model::ContainerKind;

use super::shared::StopRunning;
use super::{Check, Context, Finding};
use crate::checker::observation::{Observation, ObservationKind};
use crate::checker::Rule;

/// [`Rule::GracePeriodHonoured`].
pub struct GracePeriodHonoured;

impl Check for GracePeriodHonoured {
    fn rule(&self) -> Rule {
        Rule::GracePeriodHonoured
    }

    fn words(&self) -> &'static str {
        "A container of a deleted pod gets its full grace period before SIGKILL; no container is stopped without one."
    }

    fn observes(&self) -> &'static [ObservationKind] {
        &[ObservationKind::BeforeCri]
    }

    fn check(&mut self, observation: &Observation<'_>, context: &Context<'_>) -> Vec<Finding> {
        let Some(stop) = StopRunning::before(observation) else { return Vec::new() };
        let pod = &stop.stored.pod;
        let timeout = stop.timeout_seconds;
        let mut details = Vec::new();
        let seen = context.memory.seen_deletion(&pod.uid).zip(context.memory.seen_deletion_at(&pod.uid));
        if let Some((seen, seen_at)) = seen {
            // Judged on the deletion the kubelet was shown: a stop it issued for a sync just before
            // the deletion reached it may use the pod's own grace period. The grace period is one
            // budget from then: a hook or a wait for its turn may have spent part of it.
            let required = seen.min(pod.grace_period_seconds().max(1));
            let kill_at = context.now.saturating_add(u64::try_from(timeout.max(0)).unwrap_or(0) * 1000);
            let mut due = seen_at.saturating_add(u64::try_from(required).unwrap_or(0) * 1000);
            // A kill the kubelet planned within a sync before the deletion reached it runs on the
            // budget it began with (`killContainer` spends the pod's own grace period from then, on a
            // preStop hook or a sidecar's wait for its turn).
            let name = &stop.container.status.name;
            let planned = context.memory.kill_planned_at(&pod.uid, name).filter(|&(at, _)| at < seen_at);
            if let Some((at, grace)) = planned {
                // Before the deletion reached it, the kubelet's copy of the pod had the spec's grace
                // period (at least `minimumGracePeriodInSeconds`), or the reset's floor.
                let spec_grace = pod.spec.termination_grace_period_seconds.max(2);
                let began_with = grace.unwrap_or(spec_grace).max(1);
                due = due.min(at.saturating_add(u64::try_from(began_with).unwrap_or(0) * 1000));
            }
            if kill_at < due {
                details.push(format!(
                    "{} of a deleted pod stopped with {timeout}s at {}s, so killed before its grace period {required}s from {}s ends",
                    stop.who(),
                    context.now / 1000,
                    seen_at / 1000
                ));
            }
        }
        let regular =
            matches!(pod.find_container(&stop.container.status.name), Some((ContainerKind::Regular, _)));
        if pod.deletion_timestamp.is_none() && regular && timeout < 1 {
            details.push(format!("{} stopped with no grace period", stop.who()));
        }
        details.into_iter().map(|d| Finding::of_pod(stop.pod_name(), d)).collect()
    }
}
