//! A deleted pod's containers stop before its sandbox (`KillPod` in kuberuntime_manager.go:
//! `killContainersWithSyncResult` first, then `StopPodSandbox`).

use podsim_model::io::CriRequest;

use super::shared::full_name;
use super::{Check, Context, Finding};
use crate::checker::observation::{Observation, ObservationKind};
use crate::checker::Rule;

/// [`Rule::ContainersStopBeforeSandbox`].
pub struct ContainersStopBeforeSandbox;

impl Check for ContainersStopBeforeSandbox {
    fn rule(&self) -> Rule {
        Rule::ContainersStopBeforeSandbox
    }

    fn words(&self) -> &'static str {
        "A deleted pod's containers stop before its sandbox."
    }

    fn observes(&self) -> &'static [ObservationKind] {
        &[ObservationKind::BeforeCri]
    }

    fn check(&mut self, observation: &Observation<'_>, _context: &Context<'_>) -> Vec<Finding> {
        let Observation::BeforeCri { request: CriRequest::StopPodSandbox { sandbox_id }, view } = observation
        else {
            return Vec::new();
        };
        let Some(pod_ref) = view.containerd.sandbox(sandbox_id).and_then(|s| s.pod) else {
            return Vec::new();
        };
        let deleted = view.api.pod_by_uid(&pod_ref.uid).is_none_or(|p| p.pod.deletion_timestamp.is_some());
        if !deleted {
            return Vec::new();
        }
        let running: Vec<String> = view
            .containerd
            .containers()
            .filter(|c| c.status.sandbox_id == *sandbox_id && c.runs())
            .map(|c| c.status.name.to_string())
            .collect();
        if running.is_empty() {
            return Vec::new();
        }
        let detail = format!(
            "sandbox of deleted pod {}/{} stopped while {running:?} still run",
            pod_ref.namespace, pod_ref.name
        );
        vec![Finding::of_pod(full_name(pod_ref), detail)]
    }
}
