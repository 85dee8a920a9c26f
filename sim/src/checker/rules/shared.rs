//! What several rules read the same way.

use podsim_model::io::{ContainerConfig, CriRequest, PodRef};

use super::super::observation::Observation;
use super::super::runtime::RuntimeContainer;
use super::super::View;
use crate::etcd::StoredPod;

/// A pod's `namespace/name`.
pub fn full_name(pod: &PodRef) -> String {
    format!("{}/{}", pod.namespace, pod.name)
}

/// A container as the rules name it: `namespace/name/container`.
pub fn who(pod: &PodRef, container: &str) -> String {
    format!("{}/{}/{}", pod.namespace, pod.name, container)
}

/// A `CreateContainer` the kubelet is about to make, with the world before it.
pub struct Create<'o> {
    /// The sandbox it names.
    pub sandbox_id: &'o str,
    /// What the kubelet sends.
    pub config: &'o ContainerConfig,
    /// The world before it.
    pub view: &'o View<'o>,
}

impl<'o> Create<'o> {
    /// The observation, if it is a `CreateContainer` about to be made.
    pub fn before(observation: &'o Observation<'o>) -> Option<Create<'o>> {
        match observation {
            Observation::BeforeCri { request: CriRequest::CreateContainer { sandbox_id, config }, view } => {
                Some(Create { sandbox_id, config, view })
            }
            _ => None,
        }
    }

    /// The container as the rules name it.
    pub fn who(&self) -> String {
        who(&self.config.pod, &self.config.name)
    }

    /// The pod's `namespace/name`.
    pub fn pod_name(&self) -> String {
        full_name(&self.config.pod)
    }

    /// The pod as the API server has it (`None`: it has none of that UID; nothing is judged then).
    pub fn stored(&self) -> Option<StoredPod> {
        self.view.api.pod_by_uid(&self.config.pod.uid)
    }
}

/// A `StopContainer` of a running container of a pod the API server has, about to be made.
pub struct StopRunning<'o> {
    /// The container.
    pub container: RuntimeContainer<'o>,
    /// Its pod's labels.
    pub pod_ref: &'o PodRef,
    /// Its pod as the API server has it.
    pub stored: StoredPod,
    /// The grace period the kubelet gives.
    pub timeout_seconds: i64,
}

impl<'o> StopRunning<'o> {
    /// The observation, if it is such a stop.
    pub fn before(observation: &'o Observation<'o>) -> Option<StopRunning<'o>> {
        let Observation::BeforeCri {
            request: CriRequest::StopContainer { container_id, timeout_seconds },
            view,
        } = observation
        else {
            return None;
        };
        let container = view.containerd.container(container_id)?;
        let pod_ref = container.pod?;
        if !container.runs() {
            return None;
        }
        let stored = view.api.pod_by_uid(&pod_ref.uid)?;
        Some(StopRunning { container, pod_ref, stored, timeout_seconds: *timeout_seconds })
    }

    /// The container as the rules name it.
    pub fn who(&self) -> String {
        who(self.pod_ref, &self.container.status.name)
    }

    /// The pod's `namespace/name`.
    pub fn pod_name(&self) -> String {
        full_name(self.pod_ref)
    }
}
