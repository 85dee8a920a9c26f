//! Once a pod's API object is released, nothing of it is left on the node. The kubelet's status
//! manager deletes a pod's API object only once `PodResourcesAreReclaimed` (kubelet_pods.go) holds:
//! no container can run and no volume is mounted. The rule asks more, as podsim's kubelet model
//! does: no container, sandbox, mount or data directory of the pod is left.

use super::{Check, Context, Finding};
use crate::checker::observation::{Observation, ObservationKind};
use crate::checker::Rule;

/// [`Rule::NothingLeftBehind`].
pub struct NothingLeftBehind;

impl Check for NothingLeftBehind {
    fn rule(&self) -> Rule {
        Rule::NothingLeftBehind
    }

    fn words(&self) -> &'static str {
        "Once a pod's API object is released, none of its containers, sandboxes, mounts or data directory is left on the node."
    }

    fn observes(&self) -> &'static [ObservationKind] {
        &[ObservationKind::Release]
    }

    fn check(&mut self, observation: &Observation<'_>, context: &Context<'_>) -> Vec<Finding> {
        let Observation::Release { pod_uid: uid, view } = observation else { return Vec::new() };
        let runtime = view.containerd;
        let mut left = Vec::new();
        left.extend(
            runtime.containers().filter(|c| c.is_of(uid)).map(|c| format!("container {}", c.status.name)),
        );
        left.extend(runtime.sandboxes().filter(|s| s.is_of(uid)).map(|s| format!("sandbox {}", s.status.id)));
        left.extend(view.node.mounts_of(uid).map(|v| format!("mount {v}")));
        if view.node.has_data_dir(uid) {
            left.push("data directory".into());
        }
        if left.is_empty() {
            return Vec::new();
        }
        let detail = format!("pod {uid} released with {} left", left.join(", "));
        let name =
            context.memory.pod_name(uid).map(str::to_string).or_else(|| pod_name_from_labels(view, uid));
        vec![Finding { pod: name, detail, at: None }]
    }
}

/// The pod's `namespace/name` as its runtime objects' labels tell it.
fn pod_name_from_labels(view: &crate::checker::View<'_>, uid: &str) -> Option<String> {
    let from_sandbox = view.containerd.sandboxes().find_map(|s| s.pod.filter(|p| p.uid == uid));
    let from_container = || view.containerd.containers().find_map(|c| c.pod.filter(|p| p.uid == uid));
    from_sandbox.or_else(from_container).map(super::shared::full_name)
}
