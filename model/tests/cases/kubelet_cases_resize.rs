//! The kubelet's `TestComputePodActionsForPodResize`, ported case by case: in-place pod vertical
//! scaling in `computePodActions` (`computePodResizeAction`).
//!
//! Source of the newest table (module `for_pod_resize`): yuanwang04/kubernetes
//! `pkg/kubelet/kuberuntime/kuberuntime_manager_test.go` at bca651cd7096dea0998ef1bf1b6e6b4330bee57c
//! (read_file id 59066912794, after v1.36), with the kubelet source of the same generation
//! (natasha41575/kubernetes `kuberuntime_manager.go`, id 58374800144: `computePodResizeAction`
//! reads `m.actuatedState`). The Go test sets `InPlacePodVerticalScaling` on (podsim's default) and
//! `NodeDeclaredFeatures` on (no effect on these plans; podsim does not know the gate), builds the
//! pod with `makeBasePodAndStatus` and every container NotRequired for cpu and memory, and records
//! each container's actuated resources with `setupActuatedResources`: here the plan input's
//! [`ActuatedResources`] (`PlanOptions::actuated`). The runtime status carries no resources: the
//! kubelet no longer reads them here.
//!
//! Ported: 13 of its 18 cases. Not ported, each needs pod-level resources (`pod.Spec.Resources`
//! and `InPlacePodLevelResourcesVerticalScaling` on, `UpdatePodLevelResources` in the plan), which
//! podsim's pods, gates and plans do not have:
//! - "Update pod-level CPU and memory resources"
//! - "Update pod-level resources and container CPU and memory resources"
//! - "Update pod-level limits and container updated by default"
//! - "Update pod-level limits and container to kill updated by default"
//! - "Update pod-level limits does not mutate container resources"
//! - (the two cases named "... pod resize disabled" are ported: with the gate off the kubelet
//!   ignores the actuated pod-level resources they record, and the pod has no `Resources`.)
//!
//! The 1.33 table (module `for_pod_resize_1_33`; kubernetes/kubernetes, read_file id 79542686, 10 of
//! 10 cases) compared the spec with the runtime's reported resources (`cStatus.Resources`), which is
//! what podsim's model still does when the plan input carries no actuated resources (podsim's runs:
//! their kubelet keeps no actuated checkpoint). Its two cases that the newest table dropped ("...
//! are equivalent", "... to equivalent value": the cgroup rounding of tiny cpu values) pin that path.
//!
//! How the Go fixtures map: `ContainersToUpdate` is compared per resource, in order, each entry with
//! its id, name, index and the desired and current `containerResources`; a restart for a resize is a
//! kill with `ResizeRequiresRestart` (the Go kill carries no reason); the Go test recomputes the
//! hashes after `setupFn`, which changes nothing here (the kubelet's hash covers name and image
//! only). The module `podsim_extras` holds podsim's own checks of the same function, not from the Go
//! tables, marked as such.

use crate::kubelet_cases_fixtures;

use std::collections::BTreeMap;

use kubelet_cases_fixtures::*;
use podsim_model::actions::{ActuatedResources, ContainerResources, ContainerToUpdate, PlanOptions};
use podsim_model::pod::{
    ActualResources, ContainerResizePolicy, Quantity, ResizeRestartPolicy, ResourceName, ResourceRequirements,
};
use podsim_model::{
    ContainerKind, FeatureGates, KillReason, Pod, PodActions, ProbeResults, RuntimePodStatus,
};

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
    for c in &mut pod.spec_mut().containers {
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
    let r = &mut pod.spec_mut().containers[i].resources;
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
        id: format!("id{}", i + 1).into(),
        name: pod.spec.containers[i].name().to_string().into(),
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

/// `v1.ResourceRequirements{Requests: {cpu, memory}, Limits: {cpu, memory}}`.
fn requirements(
    requests: (Option<&str>, Option<&str>),
    limits: (Option<&str>, Option<&str>),
) -> ResourceRequirements {
    let mut r = ResourceRequirements::default();
    r.requests.cpu = requests.0.map(q);
    r.requests.memory = requests.1.map(q);
    r.limits.cpu = limits.0.map(q);
    r.limits.memory = limits.1.map(q);
    r
}

/// `setupActuatedResources` of each (container name, resources).
fn actuated(entries: &[(&str, ResourceRequirements)]) -> ActuatedResources {
    entries.iter().map(|(name, r)| (name.to_string(), r.clone())).collect()
}

/// `resourceRequirements{memoryLimit, memoryRequest, cpuLimit, cpuRequest}`.
fn all(memory_limit: &str, memory_request: &str, cpu_limit: &str, cpu_request: &str) -> ContainerResources {
    ContainerResources {
        memory_limit: q(memory_limit).value(),
        memory_request: q(memory_request).value(),
        cpu_limit: q(cpu_limit).milli_value(),
        cpu_request: q(cpu_request).milli_value(),
    }
}

/// `verifyActions` of `computePodActions` with `InPlacePodVerticalScaling` on and these actuated
/// resources.
#[track_caller]
fn check_actuated(pod: &Pod, status: &RuntimePodStatus, actuated: &ActuatedResources, expected: PodActions) {
    let options = PlanOptions {
        gates: FeatureGates::parse(RESIZE_ON[0]).unwrap(),
        actuated: Some(actuated),
        ..PlanOptions::default()
    };
    check_opts(&[options], pod, status, &ProbeResults::none(), expected);
}

/// `TestComputePodActionsForPodResize` of the newest file (id 59066912794): the spec against the
/// actuated resources.
mod for_pod_resize {
    use super::*;

    const NONE: (Option<&str>, Option<&str>) = (None, None);

    /// `Limits: {cpu, memory}` only.
    fn lim(cpu: &str, memory: &str) -> ResourceRequirements {
        requirements(NONE, (Some(cpu), Some(memory)))
    }

    // "Update pod-level CPU and memory resources pod resize disabled"
    #[test]
    fn update_pod_level_cpu_and_memory_resources_pod_resize_disabled() {
        // The actuated pod-level limits (200m, 200Mi) are not read with the pod-level gate off.
        let (mut pod, status) = base();
        pod.spec_mut().containers[1].resources = lim("100m", "100Mi");
        let act = actuated(&[("foo2", lim("100m", "100Mi"))]);
        check_actuated(&pod, &status, &act, no_action());
    }

    // "Update pod-level and container CPU and memory resources pod resize disabled"
    #[test]
    fn update_pod_level_and_container_cpu_and_memory_resources_pod_resize_disabled() {
        let (mut pod, status) = base();
        pod.spec_mut().containers[1].resources = lim("100m", "100Mi");
        let act = actuated(&[("foo2", lim("200m", "200Mi"))]);
        let u = update(&pod, 1, limits("100Mi", "100m"), limits("200Mi", "200m"));
        let expected = PodActions {
            containers_to_update: updates(vec![(ResourceName::Memory, u.clone()), (ResourceName::Cpu, u)]),
            ..no_action()
        };
        check_actuated(&pod, &status, &act, expected);
    }

    // "Update container CPU and memory resources"
    #[test]
    fn update_container_cpu_and_memory_resources() {
        let (mut pod, status) = base();
        pod.spec_mut().containers[1].resources = lim("100m", "100Mi");
        let act = actuated(&[("foo2", lim("200m", "200Mi"))]);
        let u = update(&pod, 1, limits("100Mi", "100m"), limits("200Mi", "200m"));
        let expected = PodActions {
            containers_to_update: updates(vec![(ResourceName::Memory, u.clone()), (ResourceName::Cpu, u)]),
            ..no_action()
        };
        check_actuated(&pod, &status, &act, expected);
    }

    // "Update container CPU resources"
    #[test]
    fn update_container_cpu_resources() {
        let (mut pod, status) = base();
        pod.spec_mut().containers[1].resources = lim("100m", "100Mi");
        let act = actuated(&[("foo2", lim("200m", "100Mi"))]);
        let u = update(&pod, 1, limits("100Mi", "100m"), limits("100Mi", "200m"));
        let expected =
            PodActions { containers_to_update: updates(vec![(ResourceName::Cpu, u)]), ..no_action() };
        check_actuated(&pod, &status, &act, expected);
    }

    // "Update container memory resources"
    #[test]
    fn update_container_memory_resources() {
        let (mut pod, status) = base();
        pod.spec_mut().containers[2].resources = lim("200m", "200Mi");
        let act = actuated(&[("foo3", lim("200m", "100Mi"))]);
        let u = update(&pod, 2, limits("200Mi", "200m"), limits("100Mi", "200m"));
        let expected =
            PodActions { containers_to_update: updates(vec![(ResourceName::Memory, u)]), ..no_action() };
        check_actuated(&pod, &status, &act, expected);
    }

    // "Nothing when spec.Resources and status.Resources are equal"
    #[test]
    fn nothing_when_spec_resources_and_status_resources_are_equal() {
        let (mut pod, status) = base();
        pod.spec_mut().containers[1].resources = requirements(NONE, (Some("200m"), None));
        let act = actuated(&[("foo2", requirements(NONE, (Some("200m"), None)))]);
        check_actuated(&pod, &status, &act, no_action());
    }

    // "Nothing when spec.Resources and status.Resources are equal (besteffort)"
    #[test]
    fn nothing_when_spec_resources_and_status_resources_are_equal_besteffort() {
        let (mut pod, status) = base();
        pod.spec_mut().containers[1].resources = ResourceRequirements::default();
        let act = actuated(&[("foo2", ResourceRequirements::default())]);
        check_actuated(&pod, &status, &act, no_action());
    }

    // "Update container CPU and memory resources with Restart policy for CPU"
    #[test]
    fn update_container_cpu_and_memory_resources_with_restart_policy_for_cpu() {
        let policies = (ResizeRestartPolicy::RestartContainer, ResizeRestartPolicy::NotRequired);
        restart_for_resize(0, "foo1", policies, lim("200m", "200Mi"), lim("100m", "100Mi"));
    }

    // "Update container CPU and memory resources with Restart policy for memory"
    #[test]
    fn update_container_cpu_and_memory_resources_with_restart_policy_for_memory() {
        let policies = (ResizeRestartPolicy::NotRequired, ResizeRestartPolicy::RestartContainer);
        restart_for_resize(2, "foo3", policies, lim("200m", "200Mi"), lim("100m", "100Mi"));
    }

    // "Update container memory (requests only) with RestartContainer policy for memory"
    #[test]
    fn update_container_memory_requests_only_with_restart_container_policy_for_memory() {
        let policies = (ResizeRestartPolicy::NotRequired, ResizeRestartPolicy::RestartContainer);
        let spec = requirements((Some("100m"), Some("100Mi")), (Some("200m"), Some("200Mi")));
        let act = requirements((Some("100m"), Some("200Mi")), (Some("200m"), Some("200Mi")));
        restart_for_resize(2, "foo3", policies, spec, act);
    }

    /// Container `i` with these (cpu, memory) resize policies, spec and actuated resources is
    /// restarted for its resize.
    fn restart_for_resize(
        i: usize,
        name: &str,
        (cpu, memory): (ResizeRestartPolicy, ResizeRestartPolicy),
        spec: ResourceRequirements,
        actuated_resources: ResourceRequirements,
    ) {
        let (mut pod, status) = base();
        let (base_pod, base_status) = base();
        pod.spec_mut().containers[i].resize_policy =
            vec![policy(ResourceName::Cpu, cpu), policy(ResourceName::Memory, memory)];
        pod.spec_mut().containers[i].resources = spec;
        let act = actuated(&[(name, actuated_resources)]);
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
        check_actuated(&pod, &status, &act, expected);
    }

    // "Update container memory resources with Restart policy for CPU"
    #[test]
    fn update_container_memory_resources_with_restart_policy_for_cpu() {
        let (mut pod, status) = base();
        pod.spec_mut().containers[1].resize_policy = vec![
            policy(ResourceName::Cpu, ResizeRestartPolicy::RestartContainer),
            policy(ResourceName::Memory, ResizeRestartPolicy::NotRequired),
        ];
        pod.spec_mut().containers[1].resources = lim("100m", "200Mi");
        let act = actuated(&[("foo2", lim("100m", "100Mi"))]);
        let u = update(&pod, 1, limits("200Mi", "100m"), limits("100Mi", "100m"));
        let expected =
            PodActions { containers_to_update: updates(vec![(ResourceName::Memory, u)]), ..no_action() };
        check_actuated(&pod, &status, &act, expected);
    }

    // "Update container CPU resources with Restart policy for memory"
    #[test]
    fn update_container_cpu_resources_with_restart_policy_for_memory() {
        let (mut pod, status) = base();
        pod.spec_mut().containers[2].resize_policy = vec![
            policy(ResourceName::Cpu, ResizeRestartPolicy::NotRequired),
            policy(ResourceName::Memory, ResizeRestartPolicy::RestartContainer),
        ];
        pod.spec_mut().containers[2].resources = lim("200m", "100Mi");
        let act = actuated(&[("foo3", lim("100m", "100Mi"))]);
        let u = update(&pod, 2, limits("100Mi", "200m"), limits("100Mi", "100m"));
        let expected =
            PodActions { containers_to_update: updates(vec![(ResourceName::Cpu, u)]), ..no_action() };
        check_actuated(&pod, &status, &act, expected);
    }

    // "Update container memory (requests only) with RestartNotRequired policy for memory"
    #[test]
    fn update_container_memory_requests_only_with_restart_not_required_policy_for_memory() {
        let (mut pod, status) = base();
        pod.spec_mut().containers[2].resources =
            requirements((Some("100m"), Some("100Mi")), (Some("200m"), Some("200Mi")));
        let act =
            actuated(&[("foo3", requirements((Some("100m"), Some("200Mi")), (Some("200m"), Some("200Mi"))))]);
        let u = update(&pod, 2, all("200Mi", "100Mi", "200m", "100m"), all("200Mi", "200Mi", "200m", "100m"));
        let expected =
            PodActions { containers_to_update: updates(vec![(ResourceName::Memory, u)]), ..no_action() };
        check_actuated(&pod, &status, &act, expected);
    }
}

/// `TestComputePodActionsForPodResize` of the 1.33 file (id 79542686): the spec against the
/// runtime's reported resources, the model's path when the plan input has no actuated resources.
mod for_pod_resize_1_33 {
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
        pod.spec_mut().containers[i].resize_policy =
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
        pod.spec_mut().containers[1].resize_policy = vec![
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
        pod.spec_mut().containers[2].resize_policy = vec![
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

    /// A container without an actuated record is compared with zero values, as the kubelet does
    /// after logging "Missing actuated resource record" (an update from nothing).
    #[test]
    fn a_missing_actuated_record_reads_as_zero_values() {
        let (mut pod, status) = base();
        pod.spec_mut().containers[0].resources = requirements((None, None), (Some("100m"), Some("100Mi")));
        let act = actuated(&[("foo2", ResourceRequirements::default())]);
        let u = update(&pod, 0, limits("100Mi", "100m"), ContainerResources::default());
        let expected = PodActions {
            containers_to_update: updates(vec![(ResourceName::Memory, u.clone()), (ResourceName::Cpu, u)]),
            ..no_action()
        };
        check_actuated(&pod, &status, &act, expected);
    }

    /// With actuated resources the cgroups' rounding of tiny cpu values no longer hides a change:
    /// 1m against an actuated 2m is a cpu update (the 1.33 runtime path called it equal).
    #[test]
    fn actuated_resources_are_compared_exactly() {
        let (mut pod, status) = base();
        pod.spec_mut().containers[1].resources = requirements((Some("1m"), None), (Some("1m"), None));
        let act = actuated(&[("foo2", requirements((Some("2m"), None), (Some("10m"), None)))]);
        let cpu = |limit: &str, request: &str| ContainerResources {
            cpu_limit: q(limit).milli_value(),
            cpu_request: q(request).milli_value(),
            ..ContainerResources::default()
        };
        let expected = PodActions {
            containers_to_update: updates(vec![(
                ResourceName::Cpu,
                update(&pod, 1, cpu("1m", "1m"), cpu("10m", "2m")),
            )]),
            ..no_action()
        };
        check_actuated(&pod, &status, &act, expected);
    }

    /// Survivor `model/src/actions/resize.rs:182:49: replace && with || in from_runtime_status`. The
    /// 1.33 comparison with the runtime's values takes two cpu limits as equal only when BOTH are at or
    /// below the smallest quota (10m, `cm.MinQuotaPeriod`): a 5m limit against a running 200m, or 200m
    /// against a running 5m, is a resize either way.
    #[test]
    fn a_tiny_cpu_limit_against_a_large_one_is_a_resize() {
        let cpu =
            |m: &str| ContainerResources { cpu_limit: q(m).milli_value(), ..ContainerResources::default() };
        for (spec, running) in [("5m", "200m"), ("200m", "5m")] {
            let (mut pod, mut status) = base();
            set_spec(&mut pod, 1, (None, None), (Some(spec), None));
            set_actual(&mut status, "foo2", None, Some(running), None);
            let u = update(&pod, 1, cpu(spec), cpu(running));
            let expected =
                PodActions { containers_to_update: updates(vec![(ResourceName::Cpu, u)]), ..no_action() };
            check_under(RESIZE_ON, &pod, &status, &ProbeResults::none(), expected);
        }
    }

    /// With `InPlacePodVerticalScaling` off the kubelet never compares resources.
    #[test]
    fn gate_off_never_resizes() {
        let (mut pod, mut status) = base();
        set_spec(&mut pod, 0, (None, None), (Some("200m"), Some("200Mi")));
        pod.spec_mut().containers[0].resize_policy =
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
        let sidecar = &mut pod.spec_mut().init_containers[0];
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
