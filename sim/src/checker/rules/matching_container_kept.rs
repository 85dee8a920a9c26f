//! A running container whose spec hash matches is kept (`computePodActions`: a container is killed
//! only when `containerChanged`, its liveness or startup probe failed, the sandbox changed, or the pod
//! is finished or deleted; the active deadline handler finishes a pod past its
//! `activeDeadlineSeconds`).

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
        "A running container whose spec hash matches is stopped only for deletion, a probe failure, a sandbox change, a resize its resize policy restarts it for, or the pod finishing."
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
        // A postStart hook that failed kills its container (startContainer's step 4).
        let post_start_failure = spec.lifecycle.post_start.is_some();
        // An in-place restart of every container stops them all (KEP-5532).
        let restarting_all = context.memory.restarting_all(&pod.uid);
        // An in-place resize whose resize policy asks for a restart (`computePodResizeAction`).
        let resize_restart = resize_requires_restart(spec, c);
        // Past its active deadline the pod is Failed, and the kubelet kills it.
        let deadline = context.memory.active_deadline_may_have_passed(pod, context.now);
        if spec_changed
            || sandbox_changed
            || probe_failure
            || post_start_failure
            || restarting_all
            || deadline
            || resize_restart
        {
            return Vec::new();
        }
        let detail =
            format!("{} stopped although it runs with a matching hash in a ready sandbox", stop.who());
        vec![Finding::of_pod(stop.pod_name(), detail)]
    }
}

/// The container runs with other cgroup values than its spec asks for, and its resize policy
/// restarts it for a resize (`RestartContainer` for cpu or memory).
fn resize_requires_restart(spec: &podsim_model::Container, c: &podsim_model::ContainerStatus) -> bool {
    use podsim_model::linux_resources::{calculate_linux_resources, to_kube_container_resources};
    use podsim_model::pod::ResizeRestartPolicy;
    let Some(actual) = &c.resources else { return false };
    let wanted = to_kube_container_resources(&calculate_linux_resources(&spec.resources));
    wanted != *actual
        && spec.resize_policy.iter().any(|p| p.restart_policy == ResizeRestartPolicy::RestartContainer)
}
