//! The kubelet acts only on pods bound to its node (its pod source is the API server's pods of
//! `spec.nodeName` = the node: `NewSourceApiserver` lists with that field selector).

use podsim_model::io::CriRequest;

use super::shared::Create;
use super::{Check, Context, Finding};
use crate::checker::observation::{Observation, ObservationKind};
use crate::checker::Rule;

/// [`Rule::OwnNodeOnly`].
pub struct OwnNodeOnly;

impl Check for OwnNodeOnly {
    fn rule(&self) -> Rule {
        Rule::OwnNodeOnly
    }

    fn words(&self) -> &'static str {
        "The kubelet makes sandboxes and containers only for pods bound to its node."
    }

    fn observes(&self) -> &'static [ObservationKind] {
        &[ObservationKind::BeforeCri]
    }

    fn check(&mut self, observation: &Observation<'_>, context: &Context<'_>) -> Vec<Finding> {
        let node = context.memory.node_name();
        if let Observation::BeforeCri { request: CriRequest::RunPodSandbox { config }, view } = observation {
            return match view.api.pod_by_uid(&config.pod.uid) {
                Some(p) if p.pod.spec.node_name != node => {
                    let detail = format!(
                        "sandbox made for {}/{}, bound to {}",
                        p.pod.namespace, p.pod.name, p.pod.spec.node_name
                    );
                    vec![Finding::of_pod(p.pod.full_name(), detail)]
                }
                _ => Vec::new(),
            };
        }
        let Some(create) = Create::before(observation) else { return Vec::new() };
        let Some(stored) = create.stored() else { return Vec::new() };
        if stored.pod.spec.node_name == node {
            return Vec::new();
        }
        let detail = format!("{} created for a pod bound to {}", create.who(), stored.pod.spec.node_name);
        vec![Finding::of_pod(stored.pod.full_name(), detail)]
    }
}
