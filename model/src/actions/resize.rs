//! In-place pod vertical scaling (KEP-1287, `InPlacePodVerticalScaling`): `computePodResizeAction`
//! compares a running container's spec resources with what the runtime reports it runs with, and
//! plans an in-place update (`ContainersToUpdate`) or, where its `resizePolicy` asks, a restart.
//!
//! Ported from the behaviour the kubelet's `TestComputePodActionsForPodResize` (1.33 test file,
//! read_file id 79542686) pins down, with the 1.29 source (id 14701678) for its structure: the
//! desired values are the spec's, the current ones the runtime's (`kubecontainer.Status.Resources`);
//! a container whose runtime status carries no resources is not resized; cpu requests at or below
//! `MinShares` and cpu limits at or below the smallest effective quota count as equal; a memory
//! request is never compared (cgroups do not carry it). Left out: the allocation manager's checkpoint
//! of allocated and actuated resources (1.34+ compares the spec with the actuated resources it
//! recorded, not with the runtime; in runs the runtime reports what the kubelet set, so the two agree
//! once an update succeeded), static pods, pod-level resources, swap and the CPU/memory
//! managers' exclusive CPUs, which the table does not observe.

use serde::{Deserialize, Serialize};

use crate::gates::FeatureGates;
use crate::pod::{Container, ContainerKind, ResizeRestartPolicy, ResourceName};
use crate::runtime::{ContainerState, ContainerStatus};

use super::{KillReason, PodActions};

/// `cm.MinShares`: the smallest cpu.shares, which a cpu request of 2m or less maps to.
const MIN_SHARES_MILLI_CPU: i64 = 2;

/// `cm.MinQuotaPeriod` (1000 µs) of the default 100 ms period, in millicores: a cpu limit of 10m or
/// less gets the same quota.
const MIN_MILLI_CPU_LIMIT: i64 = 10;

/// `containerResources`: the values the kubelet sets on a container (memory in bytes, cpu in
/// millicores; 0 for unset).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerResources {
    /// `memoryLimit`.
    pub memory_limit: i64,
    /// `memoryRequest`.
    pub memory_request: i64,
    /// `cpuLimit`.
    pub cpu_limit: i64,
    /// `cpuRequest`.
    pub cpu_request: i64,
}

/// One entry of `podActions.ContainersToUpdate[resource]` (`containerToUpdateInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerToUpdate {
    /// The runtime container id (`kubeContainerID`).
    pub id: String,
    /// The container's name.
    pub name: String,
    /// Which list of the spec it is in (regular, or init for a sidecar).
    pub kind: ContainerKind,
    /// Its index in that list.
    pub index: usize,
    /// `desiredContainerResources`: from the spec.
    pub desired: ContainerResources,
    /// `currentContainerResources`: what it runs with.
    pub current: ContainerResources,
}

/// The running container `computePodResizeAction` looks at.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    /// Which list of the spec it is in.
    pub kind: ContainerKind,
    /// Its index in that list.
    pub index: usize,
    /// Its spec.
    pub container: &'a Container,
    /// Its newest runtime status.
    pub status: &'a ContainerStatus,
}

/// `computePodResizeAction`: plans the resize of one running container. Returns whether the
/// container is kept (false: its resize policy restarts it, and the kill, the start and
/// `UpdatePodResources` are planned).
pub fn compute_pod_resize_action(target: Target<'_>, gates: &FeatureGates, actions: &mut PodActions) -> bool {
    // `IsInPlacePodVerticalScalingAllowed` (podsim has no static pods), a running container, and
    // what it runs with known.
    if !gates.in_place_pod_vertical_scaling || target.status.state != ContainerState::Running {
        return true;
    }
    let Some(actual) = &target.status.resources else {
        return true;
    };
    let spec = &target.container.resources;
    let mut desired = ContainerResources {
        memory_limit: spec.limits.memory_bytes(),
        memory_request: spec.requests.memory_bytes(),
        cpu_limit: spec.limits.cpu_milli(),
        cpu_request: spec.requests.cpu_milli(),
    };
    let current = ContainerResources {
        memory_limit: actual.memory_limit.as_ref().map_or(0, |q| q.value()),
        // The runtime does not report a memory request: take it as applied.
        memory_request: desired.memory_request,
        cpu_limit: actual.cpu_limit.as_ref().map_or(0, |q| q.milli_value()),
        cpu_request: actual.cpu_request.as_ref().map_or(0, |q| q.milli_value()),
    };
    if desired.cpu_request <= MIN_SHARES_MILLI_CPU && current.cpu_request <= MIN_SHARES_MILLI_CPU {
        desired.cpu_request = current.cpu_request;
    }
    if desired.cpu_limit <= MIN_MILLI_CPU_LIMIT && current.cpu_limit <= MIN_MILLI_CPU_LIMIT {
        desired.cpu_limit = current.cpu_limit;
    }
    if desired == current {
        return true;
    }
    let policy = |name| resize_restart_policy(target.container, name);
    let memory_limit = Change::of(desired.memory_limit, current.memory_limit, policy(ResourceName::Memory));
    let cpu_limit = Change::of(desired.cpu_limit, current.cpu_limit, policy(ResourceName::Cpu));
    let cpu_request = Change::of(desired.cpu_request, current.cpu_request, policy(ResourceName::Cpu));
    if memory_limit.restart || cpu_limit.restart || cpu_request.restart {
        restart_for_resize(target, actions);
        return false;
    }
    let update = ContainerToUpdate {
        id: target.status.id.clone(),
        name: target.container.name().to_string(),
        kind: target.kind,
        index: target.index,
        desired,
        current,
    };
    if memory_limit.resize {
        mark_container_for_update(actions, ResourceName::Memory, memory_limit, update.clone());
    }
    if cpu_limit.resize {
        mark_container_for_update(actions, ResourceName::Cpu, cpu_limit, update);
    } else if cpu_request.resize {
        mark_container_for_update(actions, ResourceName::Cpu, cpu_request, update);
    }
    true
}

/// The container's `resizePolicy` for one resource; NotRequired when it has none.
fn resize_restart_policy(container: &Container, name: ResourceName) -> ResizeRestartPolicy {
    container
        .resize_policy
        .iter()
        .find(|p| p.resource_name == name)
        .map_or(ResizeRestartPolicy::NotRequired, |p| p.restart_policy)
}

/// `determineContainerResize` for one value.
#[derive(Clone, Copy)]
struct Change {
    desired: i64,
    current: i64,
    resize: bool,
    restart: bool,
}

impl Change {
    fn of(desired: i64, current: i64, policy: ResizeRestartPolicy) -> Change {
        let resize = desired != current;
        Change {
            desired,
            current,
            resize,
            restart: resize && policy == ResizeRestartPolicy::RestartContainer,
        }
    }
}

/// The resize policy asks for a restart: kill the container, start it again, and resize the pod.
fn restart_for_resize(target: Target<'_>, actions: &mut PodActions) {
    let message = format!("Container {} resize requires restart", target.container.name());
    actions.kill(target.status, target.kind, target.index, KillReason::ResizeRequiresRestart, message);
    match target.kind {
        ContainerKind::Init => actions.init_containers_to_start.push(target.index),
        _ => actions.containers_to_start.push(target.index),
    }
    actions.update_pod_resources = true;
}

/// `markContainerForUpdate`: decreases go first, increases last, so that a pod's total never
/// overshoots while containers are updated one by one.
fn mark_container_for_update(
    actions: &mut PodActions,
    name: ResourceName,
    change: Change,
    update: ContainerToUpdate,
) {
    let list = actions.containers_to_update.entry(name).or_default();
    if change.desired < change.current {
        list.insert(0, update);
    } else {
        list.push(update);
    }
}
