//! The kubelet's `TestComputePodActionsForPodResize`, ported case by case: in-place pod vertical
//! scaling in `computePodActions` (`computePodResizeAction`).
//!
//! Source: kubernetes/kubernetes `pkg/kubelet/kuberuntime/kuberuntime_manager_test.go` of the 1.33
//! release (read_file id 79542686), the same file as kubelet_cases.rs: 10 of 10 cases (module
//! `for_pod_resize`), with `InPlacePodVerticalScaling` on as the Go test sets it (podsim's default).
//! That file has no sidecar variant of this table (`TestUpdatePodContainerResources` covers the
//! runtime side, which is not the model's); the newer versions of the table (1.34+, which compare
//! the spec with the allocation manager's actuated resources instead of the runtime's) are not in
//! the search index.
//!
//! How the Go fixtures map: `makeBasePodAndStatus` with every container's `ResizePolicy` set to
//! NotRequired for cpu and memory; `cStatus.Resources = &kubecontainer.ContainerResources{...}`
//! becomes the runtime status's `resources`; the Go test recomputes the hashes after `setupFn`, which
//! changes nothing here (the kubelet's hash covers name and image only). `ContainersToUpdate` is
//! compared per resource, in order, each entry with its id, name, index and the desired and current
//! `containerResources`; a restart for a resize is a kill with `ResizeRequiresRestart` (the Go kill
//! carries no reason). The module `podsim_extras` holds podsim's own checks of the same function,
//! not from the Go table, marked as such.

mod kubelet_cases_fixtures;

use std::collections::BTreeMap;

use kubelet_cases_fixtures::*;
use podsim_model::actions::{ContainerResources, ContainerToUpdate};
use podsim_model::pod::{
    ActualResources, ContainerResizePolicy, Quantity, ResizeRestartPolicy, ResourceName,
};
use podsim_model::{ContainerKind, KillReason, Pod, PodActions, ProbeResults, RuntimePodStatus};

/// `InPlacePodVerticalScaling` on, as `featuregatetesting.SetFeatureGateDuringTest` sets it.
const RESIZE_ON: &[&str] = &["InPlacePodVerticalScaling=true"];

fn q(text: &str) -> Quantity {
    Quantity::parse(text).unwrap()
}

/// `v1.ContainerResizePolicy{ResourceName, RestartPolicy}`.
fn policy(resource_name: ResourceName, restart_policy: ResizeRestartPolicy) -> ContainerResizePolicy {
    ContainerResizePolicy { resource_name, restart_policy }
}

/// The Go loop's setup: `makeBasePodAndStatus`, every container NotRequired for cpu and memory.
fn base() -> (Pod, RuntimePodStatus) {
    let (mut pod, status) = base_pod_and_status();
    for c in &mut pod.spec.containers {
        c.resize_policy = vec![
            policy(ResourceName::Cpu, ResizeRestartPolicy::NotRequired),
            policy(ResourceName::Memory, ResizeRestartPolicy::NotRequired),
        ];
    }
    (pod, status)
}

/// `c.Resources = v1.ResourceRequirements{Requests: ..., Limits: ...}` for cpu and memory.
fn set_spec(
    pod: &mut Pod,
    i: usize,
    requests: (Option<&str>, Option<&str>),
    limits: (Option<&str>, Option<&str>),
) {
    let r = &mut pod.spec.containers[i].resources;
    r.requests.cpu = requests.0.map(q);
    r.requests.memory = requests.1.map(q);
    r.limits.cpu = limits.0.map(q);
    r.limits.memory = limits.1.map(q);
}

/// `cStatus.Resources = &kubecontainer.ContainerResources{CPURequest, CPULimit, MemoryLimit}` of the
/// container's newest status.
fn set_actual(
    status: &mut RuntimePodStatus,
    name: &str,
    cpu_request: Option<&str>,
    cpu_limit: Option<&str>,
    memory_limit: Option<&str>,
) {
    let st = status.containers.iter_mut().find(|c| c.name == name).unwrap();
    st.resources = Some(ActualResources {
        cpu_request: cpu_request.map(q),
        cpu_limit: cpu_limit.map(q),
        memory_limit: memory_limit.map(q),
    });
}

/// `containerResources{memoryLimit, cpuLimit}` (requests 0).
fn limits(memory_limit: &str, cpu_limit: &str) -> ContainerResources {
    ContainerResources {
        memory_limit: q(memory_limit).value(),
        memory_request: 0,
        cpu_limit: q(cpu_limit).milli_value(),
        cpu_request: 0,
    }
}

/// One `containerToUpdateInfo` of regular container `i` (status `id{i+1}`).
fn update(
    pod: &Pod,
    i: usize,
    desired: ContainerResources,
    current: ContainerResources,
) -> ContainerToUpdate {
    ContainerToUpdate {
        id: format!("id{}", i + 1),
        name: pod.spec.containers[i].name().to_string(),
        kind: ContainerKind::Regular,
        index: i,
        desired,
        current,
    }
}

fn updates(
    entries: Vec<(ResourceName, ContainerToUpdate)>,
) -> BTreeMap<ResourceName, Vec<ContainerToUpdate>> {
    let mut map: BTreeMap<ResourceName, Vec<ContainerToUpdate>> = BTreeMap::new();
    for (name, e) in entries {
        map.entry(name).or_default().push(e);
    }
    map
}

/// `TestComputePodActionsForPodResize`.
mod for_pod_resize {
    use super::*;

    // "Update container CPU and memory resources"
    #[test]
    fn update_container_cpu_and_memory_resources() {
        let (mut pod, mut status) = base();
        set_spec(&mut pod, 1, (None, None), (Some("100m"), Some("100Mi")));
        set_actual(&mut status, "foo2", None, Some("200m"), Some("200Mi"));
        let u = update(&pod, 1, limits("100Mi", "100m"), limits("200Mi", "200m"));
        let expected = PodActions {
            containers_to_update: updates(vec![(ResourceName::Memory, u.clone()), (ResourceName::Cpu, u)]),
            ..no_action()
        };
        check_under(RESIZE_ON, &pod, &status, &ProbeResults::none(), expected);
    }

    // "Update container CPU resources"
    #[test]
    fn update_container_cpu_resources() {
        let (mut pod, mut status) = base();
        set_spec(&mut pod, 1, (None, None), (Some("100m"), Some("100Mi")));
        set_actual(&mut status, "foo2", None, Some("200m"), Some("100Mi"));
        let u = update(&pod, 1, limits("100Mi", "100m"), limits("100Mi", "200m"));
        let expected =
            PodActions { containers_to_update: updates(vec![(ResourceName::Cpu, u)]), ..no_action() };
        check_under(RESIZE_ON, &pod, &status, &ProbeResults::none(), expected);
    }

    // "Update container memory resources"
    #[test]
    fn update_container_memory_resources() {
        let (mut pod, mut status) = base();
        set_spec(&mut pod, 2, (None, None), (Some("200m"), Some("200Mi")));
        set_actual(&mut status, "foo3", None, Some("200m"), Some("100Mi"));
        let u = update(&pod, 2, limits("200Mi", "200m"), limits("100Mi", "200m"));
        let expected =
            PodActions { containers_to_update: updates(vec![(ResourceName::Memory, u)]), ..no_action() };
        check_under(RESIZE_ON, &pod, &status, &ProbeResults::none(), expected);
    }

    // "Nothing when spec.Resources and status.Resources are equal"
    #[test]
    fn nothing_when_spec_resources_and_status_resources_are_equal() {
        let (mut pod, mut status) = base();
        set_spec(&mut pod, 1, (None, None), (Some("200m"), None));
        set_actual(&mut status, "foo2", None, Some("200m"), None);
        check_under(RESIZE_ON, &pod, &status, &ProbeResults::none(), no_action());
    }

    // "Nothing when spec.Resources and status.Resources are equivalent"
    #[test]
    fn nothing_when_spec_resources_and_status_resources_are_equivalent() {
        let (mut pod, mut status) = base();
        // best effort pod
        set_spec(&mut pod, 1, (None, None), (None, None));
        set_actual(&mut status, "foo2", Some("2m"), None, None);
        check_under(RESIZE_ON, &pod, &status, &ProbeResults::none(), no_action());
    }

    // "Update container CPU resources to equivalent value"
    #[test]
    fn update_container_cpu_resources_to_equivalent_value() {
        let (mut pod, mut status) = base();
        set_spec(&mut pod, 1, (Some("1m"), None), (Some("1m"), None));
        set_actual(&mut status, "foo2", Some("2m"), Some("10m"), None);
        check_under(RESIZE_ON, &pod, &status, &ProbeResults::none(), no_action());
    }

    // "Update container CPU and memory resources with Restart policy for CPU"
    #[test]
    fn update_container_cpu_and_memory_resources_with_restart_policy_for_cpu() {
        restart_for_resize(
            0,
            "foo1",
            ResizeRestartPolicy::RestartContainer,
            ResizeRestartPolicy::NotRequired,
        );
    }

    // "Update container CPU and memory resources with Restart policy for memory"
    #[test]
    fn update_container_cpu_and_memory_resources_with_restart_policy_for_memory() {
        restart_for_resize(
            2,
            "foo3",
            ResizeRestartPolicy::NotRequired,
            ResizeRestartPolicy::RestartContainer,
        );
    }

    /// Both resources change from 100m/100Mi to 200m/200Mi and one of them asks for a restart.
    fn restart_for_resize(i: usize, name: &str, cpu: ResizeRestartPolicy, memory: ResizeRestartPolicy) {
        let (mut pod, mut status) = base();
        let (base_pod, base_status) = base();
        pod.spec.containers[i].resize_policy =
            vec![policy(ResourceName::Cpu, cpu), policy(ResourceName::Memory, memory)];
        set_spec(&mut pod, i, (None, None), (Some("200m"), Some("200Mi")));
        set_actual(&mut status, name, None, Some("100m"), Some("100Mi"));
        let expected = PodActions {
            containers_to_start: vec![i],
            containers_to_kill: vec![kill_regular(
                &base_pod,
                &base_status,
                i,
                KillReason::ResizeRequiresRestart,
            )],
            update_pod_resources: true,
            ..no_action()
        };
        check_under(RESIZE_ON, &pod, &status, &ProbeResults::none(), expected);
    }

    // "Update container memory resources with Restart policy for CPU"
    #[test]
    fn update_container_memory_resources_with_restart_policy_for_cpu() {
        let (mut pod, mut status) = base();
        pod.spec.containers[1].resize_policy = vec![
            policy(ResourceName::Cpu, ResizeRestartPolicy::RestartContainer),
            policy(ResourceName::Memory, ResizeRestartPolicy::NotRequired),
        ];
        set_spec(&mut pod, 1, (None, None), (Some("100m"), Some("200Mi")));
        set_actual(&mut status, "foo2", None, Some("100m"), Some("100Mi"));
        let u = update(&pod, 1, limits("200Mi", "100m"), limits("100Mi", "100m"));
        let expected =
            PodActions { containers_to_update: updates(vec![(ResourceName::Memory, u)]), ..no_action() };
        check_under(RESIZE_ON, &pod, &status, &ProbeResults::none(), expected);
    }

    // "Update container CPU resources with Restart policy for memory"
    #[test]
    fn update_container_cpu_resources_with_restart_policy_for_memory() {
        let (mut pod, mut status) = base();
        pod.spec.containers[2].resize_policy = vec![
            policy(ResourceName::Cpu, ResizeRestartPolicy::NotRequired),
            policy(ResourceName::Memory, ResizeRestartPolicy::RestartContainer),
        ];
        set_spec(&mut pod, 2, (None, None), (Some("200m"), Some("100Mi")));
        set_actual(&mut status, "foo3", None, Some("100m"), Some("100Mi"));
        let u = update(&pod, 2, limits("100Mi", "200m"), limits("100Mi", "100m"));
        let expected =
            PodActions { containers_to_update: updates(vec![(ResourceName::Cpu, u)]), ..no_action() };
        check_under(RESIZE_ON, &pod, &status, &ProbeResults::none(), expected);
    }
}

/// podsim's own checks of `computePodResizeAction` (not cases of the Go table).
mod podsim_extras {
    use super::*;

    /// With `InPlacePodVerticalScaling` off the kubelet never compares resources.
    #[test]
    fn gate_off_never_resizes() {
        let (mut pod, mut status) = base();
        set_spec(&mut pod, 0, (None, None), (Some("200m"), Some("200Mi")));
        pod.spec.containers[0].resize_policy =
            vec![policy(ResourceName::Cpu, ResizeRestartPolicy::RestartContainer)];
        set_actual(&mut status, "foo1", None, Some("100m"), Some("100Mi"));
        check_under(&["InPlacePodVerticalScaling=false"], &pod, &status, &ProbeResults::none(), no_action());
    }

    /// `markContainerForUpdate`: a decrease goes before an increase of the same resource, whatever the
    /// spec order.
    #[test]
    fn decreases_are_applied_before_increases() {
        let (mut pod, mut status) = base();
        set_spec(&mut pod, 0, (None, None), (Some("300m"), None));
        set_actual(&mut status, "foo1", None, Some("200m"), None);
        set_spec(&mut pod, 1, (None, None), (Some("100m"), None));
        set_actual(&mut status, "foo2", None, Some("200m"), None);
        let cpu =
            |m: &str| ContainerResources { cpu_limit: q(m).milli_value(), ..ContainerResources::default() };
        let expected = PodActions {
            containers_to_update: updates(vec![
                (ResourceName::Cpu, update(&pod, 1, cpu("100m"), cpu("200m"))),
                (ResourceName::Cpu, update(&pod, 0, cpu("300m"), cpu("200m"))),
            ]),
            ..no_action()
        };
        check_under(RESIZE_ON, &pod, &status, &ProbeResults::none(), expected);
    }

    /// A running sidecar is resized like a regular container (`computeInitContainerActions` calls
    /// `computePodResizeAction` for it, 1.32+), and a restart for a resize restarts it as an init
    /// container.
    #[test]
    fn a_sidecar_is_resized_and_restarted_as_an_init_container() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let (base_pod, base_status) = base_pod_and_status_with_restartable_init_containers();
        status.containers.extend(base_pod_and_status().1.containers);
        let sidecar = &mut pod.spec.init_containers[0];
        sidecar.resources.limits.memory = Some(q("64Mi"));
        sidecar.resize_policy = vec![policy(ResourceName::Memory, ResizeRestartPolicy::RestartContainer)];
        status.containers[0].resources =
            Some(ActualResources { memory_limit: Some(q("32Mi")), ..ActualResources::default() });
        let expected = PodActions {
            init_containers_to_start: vec![0],
            containers_to_kill: vec![kill_init(
                &base_pod,
                &base_status,
                0,
                KillReason::ResizeRequiresRestart,
            )],
            update_pod_resources: true,
            ..no_action()
        };
        check_under(RESIZE_ON, &pod, &status, &restartable_base_probes(), expected);
    }
}
