//! A container's cgroup values (the CRI's `LinuxContainerResources`) both ways, and
//! `UpdateContainerResources`: what the kubelet sets at `CreateContainer` and changes by an in-place
//! resize, and what the runtime reports in a container's status (`ContainerStatus.resources`).

use k8s_cri::v1 as cri;
use podsim_model::io::CriRequest;
use podsim_model::linux_resources::LinuxContainerResources;

/// model -> CRI: the cgroup values the kubelet sets (the rest left unset, as the kubelet leaves
/// what it does not manage).
pub fn cri_linux_resources(r: &LinuxContainerResources) -> cri::LinuxContainerResources {
    cri::LinuxContainerResources {
        cpu_period: r.cpu_period,
        cpu_quota: r.cpu_quota,
        cpu_shares: r.cpu_shares,
        memory_limit_in_bytes: r.memory_limit_in_bytes,
        ..Default::default()
    }
}

/// CRI -> model: the cgroup values a config or a status carries.
pub fn linux_resources_of(r: &cri::LinuxContainerResources) -> LinuxContainerResources {
    LinuxContainerResources {
        cpu_period: r.cpu_period,
        cpu_quota: r.cpu_quota,
        cpu_shares: r.cpu_shares,
        memory_limit_in_bytes: r.memory_limit_in_bytes,
    }
}

/// model -> CRI: `UpdateContainerResources` (Linux values only).
pub fn update_container_resources(
    container_id: &str,
    resources: &LinuxContainerResources,
) -> cri::UpdateContainerResourcesRequest {
    cri::UpdateContainerResourcesRequest {
        container_id: container_id.to_string(),
        linux: Some(cri_linux_resources(resources)),
        ..Default::default()
    }
}

/// CRI -> model: `UpdateContainerResources` (a request without Linux values sets nothing: all zero).
pub fn update_container_resources_of(request: cri::UpdateContainerResourcesRequest) -> CriRequest {
    CriRequest::UpdateContainerResources {
        container_id: request.container_id.into(),
        resources: request.linux.as_ref().map(linux_resources_of).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_comes_back_the_same() {
        let resources = LinuxContainerResources {
            cpu_period: 100_000,
            cpu_quota: 50_000,
            cpu_shares: 256,
            memory_limit_in_bytes: 1 << 27,
        };
        let request = CriRequest::UpdateContainerResources { container_id: "c1".into(), resources };
        assert_eq!(update_container_resources_of(update_container_resources("c1", &resources)), request);
    }
}
