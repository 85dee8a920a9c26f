//! The kubelet touches only runtime objects it made: those that carry its pod labels (labels.go
//! `newPodLabels`, `newContainerLabels`: `io.kubernetes.pod.uid` and the pod's name and namespace), by
//! which it groups what the runtime lists into pods (`getContainerInfoFromLabels`).

use podsim_model::io::CriRequest;

use super::{Check, Context, Finding};
use crate::checker::observation::{Observation, ObservationKind};
use crate::checker::Rule;

/// [`Rule::OwnObjectsOnly`].
pub struct OwnObjectsOnly;

impl Check for OwnObjectsOnly {
    fn rule(&self) -> Rule {
        Rule::OwnObjectsOnly
    }

    fn words(&self) -> &'static str {
        "The kubelet starts, stops and removes only sandboxes and containers it made (with pod labels)."
    }

    fn observes(&self) -> &'static [ObservationKind] {
        &[ObservationKind::BeforeCri]
    }

    fn check(&mut self, observation: &Observation<'_>, _context: &Context<'_>) -> Vec<Finding> {
        let Observation::BeforeCri { request, view } = observation else { return Vec::new() };
        let runtime = view.containerd;
        let foreign_container = |id: &str| runtime.container(id).is_some_and(|c| c.pod.is_none());
        let foreign_sandbox = |id: &str| runtime.sandbox(id).is_some_and(|s| s.pod.is_none());
        let detail = match request {
            CriRequest::StartContainer { container_id } if foreign_container(container_id) => {
                format!("started foreign container {container_id}")
            }
            CriRequest::StopContainer { container_id, .. } if foreign_container(container_id) => {
                format!("stopped foreign container {container_id}")
            }
            CriRequest::RemoveContainer { container_id } if foreign_container(container_id) => {
                format!("removed foreign container {container_id}")
            }
            CriRequest::StopPodSandbox { sandbox_id } if foreign_sandbox(sandbox_id) => {
                format!("stopped foreign sandbox {sandbox_id}")
            }
            CriRequest::RemovePodSandbox { sandbox_id } if foreign_sandbox(sandbox_id) => {
                format!("removed foreign sandbox {sandbox_id}")
            }
            _ => return Vec::new(),
        };
        vec![Finding::of_node(detail)]
    }
}
