//! The API server's `resize` subresource of a pod (`kubectl patch pod --subresource resize`):
//! applying a patch of containers' resources and validating it as pkg/apis/core/validation
//! `ValidatePodResize` does (and the registry's `podResizeStrategy`): only the cpu and memory
//! requests and limits of regular containers and sidecars change, none is removed, each request
//! stays within its limit, and the pod's QoS class stays. With `InPlacePodVerticalScaling` off the
//! subresource is not served (404).

use podsim_model::pod::{get_pod_qos, ContainerKind, Pod, ResourceName, ResourceRequirements};

use crate::scenario::ContainerResize;

/// Applies a resize to `pod`: each named container's resources are replaced. A name the pod does
/// not have is refused, as a patch that would add a container.
pub fn apply_resize(pod: &Pod, containers: &[ContainerResize]) -> Result<Pod, String> {
    let mut new = pod.clone();
    for change in containers {
        let spec = new.spec_mut();
        let slot = spec
            .containers
            .iter_mut()
            .chain(spec.init_containers.iter_mut())
            .find(|c| c.name() == change.name);
        match slot {
            Some(c) => c.resources = change.resources.clone(),
            None => {
                return Err(format!(
                "spec.containers: Forbidden: pod resize may not add or remove containers (no container {:?})",
                change.name
            ))
            }
        }
    }
    Ok(new)
}

/// `ValidatePodResize` for the fields podsim's pods carry.
pub fn validate_pod_resize(old: &Pod, new: &Pod) -> Result<(), String> {
    for (i, (o, n)) in old.spec.init_containers.iter().zip(&new.spec.init_containers).enumerate() {
        if o.resources != n.resources && !o.is_restartable_init_container() {
            return Err(format!(
                "spec.initContainers[{i}].resources: Forbidden: resources for non-sidecar init containers are immutable"
            ));
        }
    }
    for (kind, list_name, olds, news) in [
        (ContainerKind::Regular, "containers", &old.spec.containers, &new.spec.containers),
        (ContainerKind::Init, "initContainers", &old.spec.init_containers, &new.spec.init_containers),
    ] {
        let _ = kind;
        for (i, (o, n)) in olds.iter().zip(news).enumerate() {
            let path = format!("spec.{list_name}[{i}].resources");
            validate_container_resize(&path, &o.resources, &n.resources)?;
        }
    }
    let (was, is) = (get_pod_qos(old), get_pod_qos(new));
    if was != is {
        return Err(format!(
            "spec: Invalid value: {:?}: Pod QOS Class may not change as a result of resizing (from {})",
            is.as_str(),
            was.as_str()
        ));
    }
    Ok(())
}

/// One container: no request or limit removed, every request within its limit.
fn validate_container_resize(
    path: &str,
    old: &ResourceRequirements,
    new: &ResourceRequirements,
) -> Result<(), String> {
    for name in [ResourceName::Cpu, ResourceName::Memory] {
        let word = resource_word(name);
        if old.requests.get(name).is_some() && new.requests.get(name).is_none() {
            return Err(format!("{path}.requests[{word}]: Forbidden: resource requests cannot be removed"));
        }
        if old.limits.get(name).is_some() && new.limits.get(name).is_none() {
            return Err(format!("{path}.limits[{word}]: Forbidden: resource limits cannot be removed"));
        }
        if let (Some(r), Some(l)) = (new.requests.get(name), new.limits.get(name)) {
            if r.amount_cmp(l) == std::cmp::Ordering::Greater {
                return Err(format!(
                    "{path}.requests: Invalid value: {:?}: must be less than or equal to {word} limit of {l}",
                    r.as_str()
                ));
            }
        }
    }
    Ok(())
}

fn resource_word(name: ResourceName) -> &'static str {
    match name {
        ResourceName::Cpu => "cpu",
        ResourceName::Memory => "memory",
    }
}

#[cfg(test)]
mod tests {
    use podsim_model::pod::{Container, Quantity, ResourceList, RestartPolicy};

    use super::*;

    fn res(cpu: &str, memory: &str) -> ResourceRequirements {
        let q = |t: &str| Some(Quantity::parse(t).unwrap());
        let list = ResourceList { cpu: q(cpu), memory: q(memory) };
        ResourceRequirements { requests: list.clone(), limits: list }
    }

    fn pod() -> Pod {
        let mut p = Pod::new("web", "uid-1", "node-1");
        let mut app = Container::new("app", "img:1");
        app.resources = res("500m", "128Mi");
        let mut init = Container::new("init", "img:1");
        init.resources = res("100m", "64Mi");
        let mut sidecar = Container::new("proxy", "img:1");
        sidecar.restart_policy = Some(RestartPolicy::Always);
        sidecar.resources = res("100m", "64Mi");
        p.spec_mut().containers = vec![app];
        p.spec_mut().init_containers = vec![init, sidecar];
        p
    }

    fn resize(name: &str, r: ResourceRequirements) -> Result<(), String> {
        let old = pod();
        let new = apply_resize(&old, &[ContainerResize { name: name.into(), resources: r }])?;
        validate_pod_resize(&old, &new)
    }

    #[test]
    fn a_guaranteed_resize_of_a_container_or_a_sidecar_is_valid() {
        assert_eq!(resize("app", res("1", "256Mi")), Ok(()));
        assert_eq!(resize("proxy", res("200m", "64Mi")), Ok(()));
    }

    #[test]
    fn a_plain_init_container_cannot_be_resized() {
        let e = resize("init", res("200m", "64Mi")).unwrap_err();
        assert!(e.contains("resources for non-sidecar init containers are immutable"), "{e}");
    }

    #[test]
    fn the_qos_class_cannot_change() {
        let mut burstable = res("500m", "128Mi");
        burstable.requests.cpu = Some(Quantity::parse("250m").unwrap());
        let e = resize("app", burstable).unwrap_err();
        assert!(e.contains("Pod QOS Class may not change as a result of resizing"), "{e}");
    }

    #[test]
    fn requests_and_limits_cannot_be_removed_nor_requests_exceed_limits() {
        let mut no_limit = res("500m", "128Mi");
        no_limit.limits.memory = None;
        assert!(resize("app", no_limit).unwrap_err().contains("resource limits cannot be removed"));
        let mut over = res("500m", "128Mi");
        over.requests.cpu = Some(Quantity::parse("600m").unwrap());
        assert!(resize("app", over).unwrap_err().contains("must be less than or equal to cpu limit"));
        assert!(resize("nope", res("1", "1Gi")).unwrap_err().contains("may not add or remove containers"));
    }

    /// A plain update that changes resources stays refused: resources change only through `resize`.
    #[test]
    fn a_plain_update_of_resources_is_refused() {
        let old = pod();
        let mut new = old.clone();
        new.spec_mut().containers[0].resources = res("1", "256Mi");
        let e = crate::apiserver::validate_pod_spec_update(&old.spec, &new.spec).unwrap_err();
        assert!(e.contains("pod updates may not change fields other than"), "{e}");
    }
}
