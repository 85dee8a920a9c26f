//! `convertStatusToAPIStatus` and `convertToAPIContainerStatuses` (pkg/kubelet/kubelet_pods.go): the
//! API container statuses from the runtime's records, the previous status, and the reason cache.
//!
//! The rules that decide what a status says, each as the kubelet has it:
//! - a container the runtime does not know waits (ContainerCreating, or PodInitializing for a regular
//!   container of a pod with init containers), keeping the restart count and last state of its old
//!   status, or all of its old status if that was terminated;
//! - the newest runtime instance gives the state: running, terminated, or, if only created (never
//!   started), waiting with no reason; the second newest gives `lastState`, whatever it was;
//! - a container that should be (re)started and whose last start failed waits with the reason
//!   cache's reason, and a termination it showed moves to `lastState`.

use super::{reason, ContainerStateReport, ContainerStatusReport, PodStatusReport, StatusContext};
use crate::actions::should_container_be_restarted_with;
use crate::gates::FeatureGates;
use crate::pod::{Container, Pod};
use crate::runtime::{ContainerState, ContainerStatus, RuntimePodStatus};
use crate::shared_str::SharedStr;

/// The message of a last state the kubelet makes up for a container that was running and vanished.
pub const VANISHED_WHILE_RUNNING: &str =
    "The container could not be located when the pod was deleted.  The container used to be Running";
/// The message of a state the kubelet makes up for a running container the runtime reports unknown.
pub const UNKNOWN_WHILE_RUNNING: &str = "The container could not be located when the pod was terminated";
/// The message of a completed state the kubelet makes up for an init container the runtime forgot.
pub const INIT_CONTAINER_FORGOTTEN: &str = "Unable to get init container status from container runtime and pod has been initialized, treat it as exited normally";

/// Which list a call of `convertToAPIContainerStatuses` builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvertOptions {
    /// `hasInitContainers`: the pod has init containers.
    pub has_init_containers: bool,
    /// `isInitContainer`: the list is the init containers'.
    pub is_init_container: bool,
    /// The feature gates (RestartAllContainersOnContainerExits).
    pub gates: FeatureGates,
    /// `podRestarting`: the pod restarts all its containers in place (`ShouldAllContainersRestart`,
    /// with the gate on).
    pub pod_restarting: bool,
}

/// `convertStatusToAPIStatus`: the pod IP and the three container status lists.
pub(crate) fn convert_status_to_api_status(
    pod: &Pod,
    runtime: &RuntimePodStatus,
    context: &StatusContext<'_>,
) -> PodStatusReport {
    let old = context.old_status;
    let has_init_containers = !pod.spec.init_containers.is_empty();
    let pod_restarting = context.gates.restart_all_containers_on_container_exits
        && super::restart_all::should_restart_all(pod, runtime, old);
    let options = |is_init_container| ConvertOptions {
        has_init_containers,
        is_init_container,
        gates: context.gates,
        pod_restarting,
    };
    let convert = |previous: Option<&Vec<ContainerStatusReport>>, containers: &[Container], is_init| {
        let previous = previous.map_or(&[][..], Vec::as_slice);
        convert_to_api_container_statuses(
            pod,
            runtime,
            previous,
            containers,
            context.reasons,
            &options(is_init),
        )
    };
    PodStatusReport {
        pod_ip: super::pod_ip(runtime),
        container_statuses: convert(old.map(|o| &o.container_statuses), &pod.spec.containers, false),
        init_container_statuses: convert(
            old.map(|o| &o.init_container_statuses),
            &pod.spec.init_containers,
            true,
        ),
        ephemeral_container_statuses: convert(
            old.map(|o| &o.ephemeral_container_statuses),
            &pod.spec.ephemeral_containers,
            false,
        ),
        ..PodStatusReport::default()
    }
}

/// `convertToAPIContainerStatuses` for one list of containers (init, regular or ephemeral). The
/// init list comes back in spec order, the others sorted by name, as the kubelet sorts them.
pub fn convert_to_api_container_statuses(
    pod: &Pod,
    runtime: &RuntimePodStatus,
    previous: &[ContainerStatusReport],
    containers: &[Container],
    reasons: &dyn super::ReasonCache,
    options: &ConvertOptions,
) -> Vec<ContainerStatusReport> {
    let mut statuses: Vec<ContainerStatusReport> =
        containers.iter().map(|c| default_status(c, old_status(previous, c.name()), options)).collect();
    for (status, container) in statuses.iter_mut().zip(containers) {
        let known = runtime.containers.iter().any(|c| c.name == container.name());
        if !known {
            let old = old_status(previous, container.name());
            if options.pod_restarting && super::restart_all::removed_for_restart(status, old) {
                continue;
            }
            infer_vanished(status, old, pod, options);
        }
    }
    apply_runtime_instances(&mut statuses, runtime, previous, options);
    for (status, container) in statuses.iter_mut().zip(containers) {
        apply_start_failure(status, container, pod, runtime, reasons, options);
    }
    if !options.is_init_container {
        // kubetypes.SortedContainerStatuses: by name.
        statuses.sort_by(|a, b| a.name.cmp(&b.name));
    }
    statuses
}

/// The old status of a container: the last one with its name (the kubelet builds a map by name).
fn old_status<'p>(previous: &'p [ContainerStatusReport], name: &str) -> Option<&'p ContainerStatusReport> {
    previous.iter().rev().find(|s| s.name == name)
}

/// The reason a container waits when nothing else is known.
fn default_waiting_reason(options: &ConvertOptions) -> &'static str {
    if options.has_init_containers && !options.is_init_container {
        reason::POD_INITIALIZING
    } else {
        reason::CONTAINER_CREATING
    }
}

/// The default status: waiting with the default reason, the spec's image; an old terminated status
/// is kept whole, otherwise its restart count and last state carry over.
fn default_status(
    container: &Container,
    old: Option<&ContainerStatusReport>,
    options: &ConvertOptions,
) -> ContainerStatusReport {
    match old {
        Some(old) if old.state.is_terminated() => old.clone(),
        _ => ContainerStatusReport {
            name: container.shared_name().clone(),
            image: container.shared_image().clone(),
            state: ContainerStateReport::waiting(
                SharedStr::from_static(default_waiting_reason(options)),
                SharedStr::EMPTY,
            ),
            restart_count: old.map_or(0, |o| o.restart_count),
            last_state: old.and_then(|o| o.last_state.clone()),
            ..ContainerStatusReport::default()
        },
    }
}

/// A container the runtime no longer knows but which was running: it must have terminated, so the
/// kubelet gives it a last state of exit 137 (and counts a restart unless the pod is being deleted),
/// rather than let the waiting state take the pod back to Pending.
fn infer_vanished(
    status: &mut ContainerStatusReport,
    old: Option<&ContainerStatusReport>,
    pod: &Pod,
    options: &ConvertOptions,
) {
    let Some(old) = old else { return };
    if old.state.is_terminated() || !old.state.is_running() {
        return;
    }
    let is_default_waiting = matches!(&status.state,
        ContainerStateReport::Waiting { reason, .. } if reason == default_waiting_reason(options));
    if !is_default_waiting || status.last_termination().is_some() {
        return;
    }
    status.last_state = Some(ContainerStateReport::Terminated {
        exit_code: 137,
        reason: SharedStr::from_static(reason::CONTAINER_STATUS_UNKNOWN),
        message: SharedStr::from_static(VANISHED_WHILE_RUNNING),
        started_at: None,
        finished_at: None,
        container_id: SharedStr::EMPTY,
    });
    if pod.deletion_timestamp.is_none() {
        status.restart_count += 1;
    }
}

/// The runtime's instances, newest first (`SortContainerStatusesByCreationTime`, reversed, a stable
/// sort): the newest of each container gives its status, the one before it its `lastState`; older
/// ones are ignored. Each status looks for its two newest instances itself (equal creation times
/// keep the runtime's order, as the stable sort does), so nothing is sorted into a new list.
fn apply_runtime_instances(
    statuses: &mut [ContainerStatusReport],
    runtime: &RuntimePodStatus,
    previous: &[ContainerStatusReport],
    options: &ConvertOptions,
) {
    for status in statuses.iter_mut() {
        let (newest, before) = two_newest(runtime, &status.name);
        let Some(newest) = newest else { continue };
        let old = old_status(previous, &newest.name);
        *status = convert_container_status(newest, old, options);
        if let Some(before) = before {
            status.last_state = Some(convert_container_status(before, old, options).state);
        }
    }
}

/// The newest and the second newest instance of the container `name`, in the order of a stable sort
/// by creation time, newest first.
fn two_newest<'r>(
    runtime: &'r RuntimePodStatus,
    name: &str,
) -> (Option<&'r ContainerStatus>, Option<&'r ContainerStatus>) {
    let (mut first, mut second): (Option<&ContainerStatus>, Option<&ContainerStatus>) = (None, None);
    for instance in runtime.containers.iter().filter(|c| c.name == name) {
        if first.is_none_or(|f| instance.created_at > f.created_at) {
            second = first;
            first = Some(instance);
        } else if second.is_none_or(|s| instance.created_at > s.created_at) {
            second = Some(instance);
        }
    }
    (first, second)
}

/// `convertContainerStatus`: one runtime instance as an API status.
fn convert_container_status(
    instance: &ContainerStatus,
    old: Option<&ContainerStatusReport>,
    options: &ConvertOptions,
) -> ContainerStatusReport {
    let mut status = ContainerStatusReport {
        name: instance.name.clone(),
        restart_count: instance.restart_count,
        image: instance.image.clone(),
        container_id: instance.id.clone(),
        ..ContainerStatusReport::default()
    };
    if let (Some(old), true) = (old, options.gates.restart_all_containers_on_container_exits) {
        carry_over_restart_all(&mut status, old);
    }
    status.state = match instance.state {
        ContainerState::Running => {
            if let (Some(old), true) = (old, options.gates.restart_all_containers_on_container_exits) {
                // Restarted in place after a termination the runtime no longer holds: count it.
                if old.state.is_terminated() && old.restart_count >= instance.restart_count {
                    status.restart_count = old.restart_count + 1;
                }
            }
            ContainerStateReport::Running { started_at: instance.started_at.unwrap_or(instance.created_at) }
        }
        // Created but not started: "waiting to be running", never a termination.
        ContainerState::Created => ContainerStateReport::default(),
        ContainerState::Exited => ContainerStateReport::Terminated {
            exit_code: instance.exit_code,
            reason: instance.reason.clone(),
            message: SharedStr::EMPTY,
            started_at: instance.started_at,
            finished_at: instance.finished_at,
            container_id: instance.id.clone(),
        },
        ContainerState::Unknown => match old {
            Some(old) if old.state.is_running() => {
                status.restart_count = old.restart_count + 1;
                ContainerStateReport::Terminated {
                    exit_code: 137,
                    reason: SharedStr::from_static(reason::CONTAINER_STATUS_UNKNOWN),
                    message: SharedStr::from_static(UNKNOWN_WHILE_RUNNING),
                    started_at: None,
                    finished_at: None,
                    container_id: SharedStr::EMPTY,
                }
            }
            // Any other unknown state collapses to waiting.
            _ => ContainerStateReport::default(),
        },
    };
    if instance.state == ContainerState::Running {
        keep_old_started(&mut status, old);
    }
    status
}

/// With RestartAllContainersOnContainerExits: a restart count never goes down, and a termination the
/// runtime no longer holds (all containers were removed) stays the last state.
fn carry_over_restart_all(status: &mut ContainerStatusReport, old: &ContainerStatusReport) {
    status.restart_count = status.restart_count.max(old.restart_count);
    if old.container_id != status.container_id && old.state.is_terminated() {
        status.last_state = Some(old.state.clone());
    } else if let Some(last) = old.last_termination() {
        status.last_state = Some(last.clone());
    }
}

/// With ChangeContainerStatusOnKubeletRestart off (its default), a running container keeps the
/// `started` of its old status until the prober manager decides again.
fn keep_old_started(status: &mut ContainerStatusReport, old: Option<&ContainerStatusReport>) {
    if let Some(started) = old.and_then(|o| o.started) {
        status.started = Some(started);
    }
}

/// The last loop of `convertToAPIContainerStatuses`: an init container that completed is left alone
/// (and one the runtime forgot after the pod initialised is reported completed); a container that
/// should be restarted and whose last start failed waits with the reason cache's reason.
fn apply_start_failure(
    status: &mut ContainerStatusReport,
    container: &Container,
    pod: &Pod,
    runtime: &RuntimePodStatus,
    reasons: &dyn super::ReasonCache,
    options: &ConvertOptions,
) {
    if options.is_init_container && init_container_settled(status, container, pod, runtime) {
        return;
    }
    if !should_container_be_restarted_with(container, pod, runtime, &options.gates) {
        return;
    }
    let Some((why, message)) = reasons.get(container.name()) else {
        // No failed start: the original state (waiting or terminated) is more informative.
        return;
    };
    if status.state.is_terminated() {
        status.last_state = Some(status.state.clone());
    }
    status.state = ContainerStateReport::waiting(why, message);
}

/// For an init container: it completed (exit 0, it will not run again), or the runtime forgot it after
/// a regular container was created, in which case it is reported completed (sidecars excepted).
fn init_container_settled(
    status: &mut ContainerStatusReport,
    container: &Container,
    pod: &Pod,
    runtime: &RuntimePodStatus,
) -> bool {
    let newest = runtime.find_container_status_by_name(container.name());
    if newest.is_some_and(|s| s.state == ContainerState::Exited && s.exit_code == 0) {
        return true;
    }
    let forgotten = newest.is_none()
        && has_any_regular_container_created(pod, runtime)
        && !container.is_restartable_init_container()
        && status.state.is_waiting();
    if forgotten {
        status.state = ContainerStateReport::Terminated {
            exit_code: 0,
            reason: SharedStr::from_static(reason::COMPLETED),
            message: SharedStr::from_static(INIT_CONTAINER_FORGOTTEN),
            started_at: None,
            finished_at: None,
            container_id: SharedStr::EMPTY,
        };
    }
    forgotten
}

/// `kuberuntime.HasAnyRegularContainerCreated`: the newest instance of some regular container was
/// created, runs or exited.
fn has_any_regular_container_created(pod: &Pod, runtime: &RuntimePodStatus) -> bool {
    pod.spec.containers.iter().any(|c| {
        matches!(
            runtime.find_container_status_by_name(c.name()).map(|s| s.state),
            Some(ContainerState::Created | ContainerState::Running | ContainerState::Exited)
        )
    })
}
