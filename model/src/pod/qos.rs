//! A pod's QoS class and its total requests, as the API server and the kubelet compute them:
//! pkg/apis/core/v1/helper/qos `GetPodQOS` and component-helpers/resource `PodRequests` (cpu and
//! memory only, no pod-level resources). A container's request defaults to its limit where only the
//! limit is set, as the API server's defaulting (`SetDefaults_Pod`) writes it.

use serde::{Deserialize, Serialize};

use super::{Container, Pod, ResourceName};

/// `v1.PodQOSClass`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QosClass {
    /// Every container has cpu and memory limits equal to its requests.
    Guaranteed,
    /// Some request or limit, not Guaranteed.
    Burstable,
    /// No request and no limit anywhere.
    BestEffort,
}

impl QosClass {
    /// Its name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            QosClass::Guaranteed => "Guaranteed",
            QosClass::Burstable => "Burstable",
            QosClass::BestEffort => "BestEffort",
        }
    }
}

/// A container's request of one resource in its unit (millicores, bytes), the limit standing in for
/// a missing request; `None` when neither is set.
pub fn effective_request(c: &Container, name: ResourceName) -> Option<i64> {
    let r = &c.resources;
    let value = |q: &super::Quantity| match name {
        ResourceName::Cpu => q.milli_value(),
        ResourceName::Memory => q.value(),
    };
    r.requests.get(name).or_else(|| r.limits.get(name)).map(value)
}

/// A container's limit of one resource in its unit.
fn limit(c: &Container, name: ResourceName) -> Option<i64> {
    let q = c.resources.limits.get(name)?;
    Some(match name {
        ResourceName::Cpu => q.milli_value(),
        ResourceName::Memory => q.value(),
    })
}

/// `GetPodQOS` (`ComputePodQOS`) over the init and regular containers.
pub fn get_pod_qos(pod: &Pod) -> QosClass {
    let containers: Vec<&Container> = pod.spec.init_containers.iter().chain(&pod.spec.containers).collect();
    let names = [ResourceName::Cpu, ResourceName::Memory];
    let any_set = containers.iter().any(|c| {
        names
            .iter()
            .any(|&n| effective_request(c, n).is_some_and(|v| v != 0) || limit(c, n).is_some_and(|v| v != 0))
    });
    if !any_set {
        return QosClass::BestEffort;
    }
    let guaranteed = containers.iter().all(|c| {
        names.iter().all(
            |&n| matches!((effective_request(c, n), limit(c, n)), (Some(r), Some(l)) if r == l && l != 0),
        )
    });
    if guaranteed {
        QosClass::Guaranteed
    } else {
        QosClass::Burstable
    }
}

/// `PodRequests` of one resource: the regular containers and the sidecars add up; a plain init
/// container runs alone beside the sidecars started before it, and the pod needs the larger of the
/// two.
pub fn pod_request(pod: &Pod, name: ResourceName) -> i64 {
    let request = |c: &Container| effective_request(c, name).unwrap_or(0);
    let mut total: i64 = pod.spec.containers.iter().map(request).sum();
    let mut sidecars = 0i64;
    let mut init_peak = 0i64;
    for c in &pod.spec.init_containers {
        let need = if c.is_restartable_init_container() {
            total += request(c);
            sidecars += request(c);
            sidecars
        } else {
            request(c) + sidecars
        };
        init_peak = init_peak.max(need);
    }
    total.max(init_peak)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::{Quantity, ResourceList, ResourceRequirements, RestartPolicy};

    fn with(
        cpu_req: Option<&str>,
        cpu_lim: Option<&str>,
        mem_req: Option<&str>,
        mem_lim: Option<&str>,
    ) -> Container {
        let q = |t: Option<&str>| t.map(|t| Quantity::parse(t).unwrap());
        let mut c = Container::new("c", "img");
        c.resources = ResourceRequirements {
            requests: ResourceList { cpu: q(cpu_req), memory: q(mem_req) },
            limits: ResourceList { cpu: q(cpu_lim), memory: q(mem_lim) },
        };
        c
    }

    fn pod_of(containers: Vec<Container>) -> Pod {
        let mut p = Pod::new("p", "uid", "node");
        p.spec_mut().containers = containers;
        p
    }

    #[test]
    fn qos_classes() {
        assert_eq!(get_pod_qos(&pod_of(vec![Container::new("a", "i")])), QosClass::BestEffort);
        let guaranteed = with(None, Some("1"), None, Some("1Gi"));
        assert_eq!(
            get_pod_qos(&pod_of(vec![guaranteed.clone()])),
            QosClass::Guaranteed,
            "requests default to limits"
        );
        assert_eq!(
            get_pod_qos(&pod_of(vec![with(Some("500m"), Some("1"), None, Some("1Gi"))])),
            QosClass::Burstable
        );
        assert_eq!(get_pod_qos(&pod_of(vec![guaranteed, Container::new("b", "i")])), QosClass::Burstable);
        // A request alone, or a limit alone of one resource, is set: Burstable, not BestEffort
        // (survivor `qos.rs:59:71`, `||` to `&&`).
        assert_eq!(get_pod_qos(&pod_of(vec![with(Some("100m"), None, None, None)])), QosClass::Burstable);
        assert_eq!(get_pod_qos(&pod_of(vec![with(None, None, Some("1Gi"), None)])), QosClass::Burstable);
    }

    #[test]
    fn pod_requests_add_sidecars_and_take_the_init_peak() {
        let mut p = pod_of(vec![with(Some("100m"), None, None, None), with(Some("200m"), None, None, None)]);
        assert_eq!(pod_request(&p, ResourceName::Cpu), 300);
        let mut sidecar = with(Some("50m"), None, None, None);
        sidecar.restart_policy = Some(RestartPolicy::Always);
        p.spec_mut().init_containers = vec![sidecar, with(Some("1"), None, None, None)];
        assert_eq!(pod_request(&p, ResourceName::Cpu), 1050, "the init container beside the sidecar");
        p.spec_mut().init_containers.pop();
        assert_eq!(pod_request(&p, ResourceName::Cpu), 350);
    }
}
