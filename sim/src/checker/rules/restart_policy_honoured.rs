//! The restart policy is honoured (`ShouldContainerBeRestarted` in pkg/kubelet/container/helpers.go,
//! with `podutil.ContainerShouldRestart`): under Never no container that exited on its own is created
//! again, under OnFailure none that exited 0; a container's own restartPolicy and restart rules count
//! first.

use podsim_model::ContainerKind;

use podsim_model::pod::container_should_restart;

use super::shared::Create;
use super::{Check, Context, Finding};
use crate::checker::observation::{Observation, ObservationKind};
use crate::checker::Rule;

/// [`Rule::RestartPolicyHonoured`].
pub struct RestartPolicyHonoured;

impl Check for RestartPolicyHonoured {
    fn rule(&self) -> Rule {
        Rule::RestartPolicyHonoured
    }

    fn words(&self) -> &'static str {
        "Under restartPolicy Never no container that exited on its own is created again, under OnFailure none that exited 0 (the container's own policy and rules count first)."
    }

    fn observes(&self) -> &'static [ObservationKind] {
        &[ObservationKind::BeforeCri]
    }

    /// Only regular containers: init containers start over with a new sandbox.
    fn check(&mut self, observation: &Observation<'_>, context: &Context<'_>) -> Vec<Finding> {
        let Some(create) = Create::before(observation) else { return Vec::new() };
        let Some(stored) = create.stored() else { return Vec::new() };
        let pod = &stored.pod;
        let name = &create.config.name;
        if !matches!(pod.find_container(name), Some((ContainerKind::Regular, _))) {
            return Vec::new();
        }
        // The pod restarts all its containers in place: every one may run again.
        if context.memory.restarting_all(&pod.uid) {
            return Vec::new();
        }
        // The plan that killed it while it ran starts it again (its spec changed): whatever it
        // exited with meanwhile, before its stop, does not count.
        if context.memory.restart_planned(&pod.uid, name) {
            return Vec::new();
        }
        let Some(end) = context.memory.last_end(&pod.uid, name) else { return Vec::new() };
        let container = pod.spec.containers.iter().find(|c| c.name() == name);
        // A new sandbox starts every regular container again but those that succeeded and run once
        // (computePodActions); a container's own Never is not read there, so a creation in another
        // sandbox is judged by the pod's policy only.
        let own_policy_in_new_sandbox =
            end.sandbox_id != create.sandbox_id && container.is_some_and(|c| c.restart_policy.is_some());
        let forbidden = end.by_itself
            && !own_policy_in_new_sandbox
            && container.is_some_and(|c| !container_should_restart(c, &pod.spec, end.exit_code));
        if !forbidden {
            return Vec::new();
        }
        let policy = container.and_then(|c| c.restart_policy).unwrap_or(pod.spec.restart_policy);
        let detail = format!(
            "{} created again under restartPolicy {} after it exited {} on its own",
            create.who(),
            policy.as_str(),
            end.exit_code
        );
        vec![Finding::of_pod(create.pod_name(), detail)]
    }
}
