//! A running container whose spec hash matches is kept (`computePodActions`: a container is killed
//! only when `containerChanged`, its liveness or startup probe failed, the sandbox changed, or the pod
//! is finished or deleted).

use podsim_model::ContainerKind;

use super::shared::StopRunning;
use super::{Check, Context, Finding};
use crate::checker::observation::{Observation, ObservationKind};
use crate::checker::Rule;

/// [`Rule::MatchingContainerKept`].
pub struct MatchingContainerKept;

impl Check for MatchingContainerKept {
    fn rule(&self) -> Rule {
        Rule::MatchingContainerKept
    }

    fn words(&self) -> &'static str {
        "A running container whose spec hash matches is stopped only for deletion, a probe failure, a sandbox change or the pod finishing."
    }

    fn observes(&self) -> &'static [ObservationKind] {
        &[ObservationKind::BeforeCri]
    }

    fn check(&mut self, observation: &Observation<'_>, context: &Context<'_>) -> Vec<Finding> {
        let Some(stop) = StopRunning::before(observation) else { return Vec::new() };
        let Observation::BeforeCri { view, .. } = observation else { return Vec::new() };
        let pod = &stop.stored.pod;
        let c = stop.container.status;
        if pod.deletion_timestamp.is_some() {
            return Vec::new();
        }
        let Some((ContainerKind::Regular, spec)) = pod.find_container(&c.name) else { return Vec::new() };
        let spec_changed = context.memory.spec_changed(&pod.uid, &c.name) || spec.hash() != c.hash;
        let sandboxes: Vec<_> = view.containerd.sandboxes().filter(|s| s.is_of(&pod.uid)).collect();
        let sandbox_changed = sandboxes.first().is_none_or(|s| !s.is_ready() || s.status.id != c.sandbox_id)
            || sandboxes.iter().filter(|s| s.is_ready()).count() > 1;
        // A running container with a matching hash counts towards the kubelet's keepCount, so the pod
        // is not "finished"; only a probe failure (the container has a probe) remains.
        let probe_failure = spec.has_liveness_probe() || spec.has_startup_probe();
        // An in-place restart of every container stops them all (KEP-5532).
        let restarting_all = context.memory.restarting_all(&pod.uid);
        if spec_changed || sandbox_changed || probe_failure || restarting_all {
            return Vec::new();
        }
        let detail =
            format!("{} stopped although it runs with a matching hash in a ready sandbox", stop.who());
        vec![Finding::of_pod(stop.pod_name(), detail)]
    }
}
