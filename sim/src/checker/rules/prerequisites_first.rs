//! A container is created only once its pod's data directory, volumes and Secrets are in place
//! (`SyncPod` in kubelet.go: `makePodDataDirs`, then `WaitForAttachAndMount`, before the runtime's
//! `SyncPod`; `makeEnvironmentVariables` fails the start while a required Secret is missing).

use podsim_model::pod::EnvSource;

use super::shared::Create;
use super::{Check, Context, Finding};
use crate::checker::observation::{Observation, ObservationKind};
use crate::checker::Rule;

/// [`Rule::PrerequisitesFirst`].
pub struct PrerequisitesFirst;

impl Check for PrerequisitesFirst {
    fn rule(&self) -> Rule {
        Rule::PrerequisitesFirst
    }

    fn words(&self) -> &'static str {
        "A container is created only once its pod's data directory, volumes and Secrets are in place."
    }

    fn observes(&self) -> &'static [ObservationKind] {
        &[ObservationKind::BeforeCri]
    }

    fn check(&mut self, observation: &Observation<'_>, context: &Context<'_>) -> Vec<Finding> {
        let Some(create) = Create::before(observation) else { return Vec::new() };
        let Some(stored) = create.stored() else { return Vec::new() };
        let (pod, node, who) = (&stored.pod, create.view.node, create.who());
        let mut details = Vec::new();
        if !node.has_data_dir(&pod.uid) {
            details.push(format!("{who} created before its pod's data directory"));
        }
        let Some((_, spec)) = pod.find_container(&create.config.name) else {
            return findings(&create, details);
        };
        for m in spec.volume_mounts.iter().filter(|m| !node.is_mounted(&pod.uid, &m.name)) {
            details.push(format!("{who} created before volume {:?} was mounted", m.name));
        }
        for e in &spec.env {
            let EnvSource::SecretKeyRef { name, optional: false, .. } = &e.source else { continue };
            // Judged on what the kubelet read: a Secret deleted after the kubelet found it is a race
            // every kubelet has (its Secret cache lags), not a broken rule.
            let seen = context.memory.seen_secret(&pod.namespace, name);
            if !create.view.api.secret_exists(&pod.namespace, name) && seen != Some(true) {
                details.push(format!("{who} created while Secret {name:?} is missing"));
            }
        }
        findings(&create, details)
    }
}

fn findings(create: &Create<'_>, details: Vec<String>) -> Vec<Finding> {
    details.into_iter().map(|d| Finding::of_pod(create.pod_name(), d)).collect()
}
