//! The prober manager's `UpdatePodStatus` (pkg/kubelet/prober/prober_manager.go): `started` and
//! `ready` of each container status, after the phase is computed.
//!
//! The model keeps startup and readiness results (by container id, [`crate::kubelet::prober`]): a
//! started, running container is ready when its readiness result is Success, or when it has no
//! readiness probe (`ready = !exists` of the readiness worker).
//! ChangeContainerStatusOnKubeletRestart is taken as off (its default): a `started` carried over from
//! the old status counts.

use super::{ContainerStatusReport, PodStatusReport};
use crate::pod::{Container, Pod};
use crate::runtime::{ProbeResult, ProbeResults};

/// `UpdatePodStatus`: regular containers, then init containers (a plain init container is ready once
/// it exited 0; a sidecar like a regular container). Ephemeral containers are not probed.
pub fn update_pod_status(pod: &Pod, status: &mut PodStatusReport, probes: &ProbeResults) {
    for s in &mut status.container_statuses {
        let spec = pod.spec.containers.iter().find(|c| c.name() == s.name);
        let started = is_container_started(spec, s, probes);
        s.started = Some(started);
        if started {
            s.ready = s.state.is_running() && is_ready(spec, s, probes);
        }
    }
    for (i, s) in status.init_container_statuses.iter_mut().enumerate() {
        let spec = pod.spec.init_containers.get(i).filter(|c| c.name() == s.name);
        let started = is_container_started(spec, s, probes);
        s.started = Some(started);
        let Some(spec) = spec else { continue };
        if !spec.is_restartable_init_container() {
            if s.state.exit_code() == Some(0) {
                s.ready = true;
            }
            continue;
        }
        if started {
            s.ready = s.state.is_running() && is_ready(Some(spec), s, probes);
        }
    }
}

/// `UpdatePodStatus`'s readiness of a started, running container: the readiness result is Success,
/// or there is no readiness probe (`ready = !exists` of its worker).
fn is_ready(spec: Option<&Container>, status: &ContainerStatusReport, probes: &ProbeResults) -> bool {
    match probes.readiness(&status.container_id) {
        Some(ProbeResult::Success) => true,
        _ => !spec.is_some_and(|c| c.has_readiness_probe()),
    }
}

/// `isContainerStarted`: running, and the startup probe succeeded (or there is none).
fn is_container_started(
    spec: Option<&Container>,
    status: &ContainerStatusReport,
    probes: &ProbeResults,
) -> bool {
    if !status.state.is_running() {
        return false;
    }
    if let Some(result) = probes.startup(&status.container_id) {
        return result == ProbeResult::Success;
    }
    if status.started == Some(true) {
        return true;
    }
    // A startup probe that has not run yet: not started.
    !spec.is_some_and(|c| c.has_startup_probe())
}
