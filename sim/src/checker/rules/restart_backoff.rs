//! Restart k of a container comes no sooner than the CrashLoopBackOff allows (`doBackOff` in
//! kuberuntime_manager.go: the key is pod, container name and spec hash; the delay starts at the
//! newest exited instance's `finishedAt`). The rule keeps its own mirror of the kubelet's backoff,
//! which a new kubelet process starts over.

use podsim_model::backoff::Backoff;
use podsim_model::io::CriRequest;
use podsim_model::ContainerState;

use super::shared::full_name;
use super::{Check, Context, Finding};
use crate::checker::observation::{Observation, ObservationKind};
use crate::checker::Rule;

/// [`Rule::RestartBackoff`], with its mirror of the kubelet's backoff.
pub struct RestartBackoff {
    /// The backoff the kubelet must at least respect, per (pod, name, hash).
    backoff: Backoff,
    /// That backoff as the kubelet's settings make it, empty (a restarted kubelet starts from it).
    configured: Backoff,
}

impl RestartBackoff {
    /// The rule for a kubelet whose CrashLoopBackOff is `configured`.
    pub fn new(configured: Backoff) -> RestartBackoff {
        RestartBackoff { backoff: configured.clone(), configured }
    }
}

impl Check for RestartBackoff {
    fn rule(&self) -> Rule {
        Rule::RestartBackoff
    }

    fn words(&self) -> &'static str {
        "Restart k of a container that crashed comes no sooner than the CrashLoopBackOff allows."
    }

    fn observes(&self) -> &'static [ObservationKind] {
        &[ObservationKind::KubeletStart, ObservationKind::BeforeCri]
    }

    fn check(&mut self, observation: &Observation<'_>, context: &Context<'_>) -> Vec<Finding> {
        match observation {
            Observation::KubeletStart => {
                self.backoff = self.configured.clone();
                Vec::new()
            }
            Observation::BeforeCri { request: CriRequest::StartContainer { container_id }, view } => {
                self.check_start(context, container_id, view)
            }
            _ => Vec::new(),
        }
    }
}

impl RestartBackoff {
    fn check_start(
        &mut self,
        context: &Context<'_>,
        container_id: &str,
        view: &crate::checker::View<'_>,
    ) -> Vec<Finding> {
        let Some(c) = view.containerd.container(container_id) else { return Vec::new() };
        let Some(pod) = c.pod else { return Vec::new() };
        // The newest exited instance of the same container, as doBackOff reads it.
        let previous = view.containerd.containers().filter(|o| o.status.id != container_id).find(|o| {
            o.is_of(&pod.uid) && o.status.name == c.status.name && o.status.state == ContainerState::Exited
        });
        let Some(previous) = previous else { return Vec::new() };
        if context.memory.stop_requested(&previous.status.id)
            || context.memory.stopped_after_exit(&previous.status.id)
        {
            // (Or it asked to stop it just after it exited: its sync read it running, and the start
            // in that sync bumped no backoff for it.)
            // The kubelet stopped the previous instance itself (a hash change, a new sandbox, a
            // probe): that is no crash, and doBackOff saw no exited container in its sync.
            return Vec::new();
        }
        let Some(finished) = previous.status.finished_at else { return Vec::new() };
        let key = format!("{}/{}/{:x}", pod.uid, c.status.name, c.status.hash);
        let now = context.now;
        let mut out = Vec::new();
        if self.backoff.is_in_backoff_since(&key, finished, now) {
            let end = finished + self.backoff.get(&key);
            let detail = format!(
                "{}/{} restart {} started at {} ms, before its backoff ended at {end} ms",
                pod.name, c.status.name, c.status.restart_count, now
            );
            out.push(Finding::of_pod(full_name(pod), detail));
        }
        // The kubelet bumps its backoff when it decides to restart (before the pull), at the earliest
        // when the instance finished: bump the mirror then, so it never outlives the kubelet's.
        self.backoff.next(&key, finished, finished);
        out
    }
}
