//! A container is created only in a ready sandbox of its own pod (`SyncPod` step 4 makes the
//! sandbox before steps 5-7 create containers in it; `computePodActions` kills every container when
//! the sandbox changed).

use podsim_model::io::{CriReply, CriRequest};

use super::shared::{full_name, who};
use super::{Check, Context, Finding};
use crate::checker::observation::{Observation, ObservationKind};
use crate::checker::Rule;

/// [`Rule::ContainerInOwnReadySandbox`].
pub struct ContainerInOwnReadySandbox;

impl Check for ContainerInOwnReadySandbox {
    fn rule(&self) -> Rule {
        Rule::ContainerInOwnReadySandbox
    }

    fn words(&self) -> &'static str {
        "A container the runtime made is in a ready sandbox of its own pod."
    }

    fn observes(&self) -> &'static [ObservationKind] {
        &[ObservationKind::AfterCri]
    }

    /// Judged once the runtime made it: a request for a sandbox that just died is a race the runtime
    /// refuses, not the kubelet's fault.
    fn check(&mut self, observation: &Observation<'_>, _context: &Context<'_>) -> Vec<Finding> {
        let Observation::AfterCri {
            request: CriRequest::CreateContainer { sandbox_id, config },
            reply: CriReply::ContainerCreated { .. },
            view,
        } = observation
        else {
            return Vec::new();
        };
        let who = who(&config.pod, &config.name);
        let detail = match view.containerd.sandbox(sandbox_id) {
            None => format!("{who} created in unknown sandbox {sandbox_id}"),
            Some(s) if !s.is_of(&config.pod.uid) => {
                format!("{who} created in another pod's sandbox {sandbox_id}")
            }
            Some(s) if !s.is_ready() => format!("{who} created in sandbox {sandbox_id}, which is not ready"),
            Some(_) => return Vec::new(),
        };
        vec![Finding::of_pod(full_name(&config.pod), detail)]
    }
}
