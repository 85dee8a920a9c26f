//! `compute_pod_actions`: what the kubelet must do to bring one pod's runtime state to its spec.
//!
//! This is the kubelet's `computePodActions` (pkg/kubelet/kuberuntime/kuberuntime_manager.go) with the
//! default feature gates of Kubernetes 1.33 and later: restartable init containers always take the
//! `computeInitContainerActions` path (LegacySidecarContainers off), in-place resize has nothing to do
//! (the model carries no resources). Each helper is named after the kubelet function it mirrors.

use serde::{Deserialize, Serialize};

use crate::pod::{Container, ContainerKind, Pod, RestartPolicy};
use crate::runtime::{
    ContainerState, ContainerStatus, ProbeResult, ProbeResults, RuntimePodStatus, SandboxState,
};

/// Why a container is to be killed (`containerKillReason`, plus the hash change the kubelet leaves
/// without a reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum KillReason {
    /// The spec hash differs from the running container's.
    DefinitionChanged,
    /// The liveness probe failed.
    LivenessProbe,
    /// The startup probe failed.
    StartupProbe,
    /// The runtime reports the container in an unknown state.
    Unknown,
}

/// One entry of `podActions.ContainersToKill`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerToKill {
    /// The runtime container id.
    pub id: String,
    /// The container's name.
    pub name: String,
    /// Which list of the spec it is in.
    pub kind: ContainerKind,
    /// Its index in that list.
    pub index: usize,
    /// Why it is killed.
    pub reason: KillReason,
    /// The kubelet's message for the kill, as it appears in its events.
    pub message: String,
}

/// The kubelet's `podActions`: the plan for one sync of one pod.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodActions {
    /// Stop every container and the sandbox of the pod.
    pub kill_pod: bool,
    /// Create a new sandbox (after killing the pod).
    pub create_sandbox: bool,
    /// The existing sandbox to start containers in ("" if none).
    pub sandbox_id: String,
    /// The attempt number of the sandbox to create (or of the current one).
    pub attempt: u32,
    /// Indexes into `spec.initContainers` to start, in spec order.
    pub init_containers_to_start: Vec<usize>,
    /// Indexes into `spec.containers` to start, in spec order.
    pub containers_to_start: Vec<usize>,
    /// Indexes into `spec.ephemeralContainers` to start.
    pub ephemeral_containers_to_start: Vec<usize>,
    /// Containers to stop before anything starts, in spec order (init, regular, ephemeral).
    pub containers_to_kill: Vec<ContainerToKill>,
}

impl PodActions {
    /// Nothing to do: no kill, no sandbox, no start.
    pub fn is_noop(&self) -> bool {
        !self.kill_pod
            && !self.create_sandbox
            && self.init_containers_to_start.is_empty()
            && self.containers_to_start.is_empty()
            && self.ephemeral_containers_to_start.is_empty()
            && self.containers_to_kill.is_empty()
    }

    /// Adds a kill; a second entry for the same container id replaces the first (the kubelet's map).
    fn kill(
        &mut self,
        status: &ContainerStatus,
        kind: ContainerKind,
        index: usize,
        reason: KillReason,
        message: String,
    ) {
        let entry = ContainerToKill {
            id: status.id.clone(),
            name: status.name.clone(),
            kind,
            index,
            reason,
            message,
        };
        match self.containers_to_kill.iter_mut().find(|k| k.id == entry.id) {
            Some(existing) => *existing = entry,
            None => self.containers_to_kill.push(entry),
        }
    }
}

/// `PodSandboxChanged`: whether the pod needs a new sandbox, the attempt number to use, and the id of
/// the sandbox that exists now ("" if none, or if the network namespace mode changed).
pub fn pod_sandbox_changed(pod: &Pod, status: &RuntimePodStatus) -> (bool, u32, String) {
    let (changed, attempt, id) = sandbox_changed(pod, status);
    (changed, attempt, id.to_string())
}

/// `PodSandboxChanged` (pkg/kubelet/kuberuntime/util/util.go), borrowing the sandbox id: whether the
/// pod needs a new sandbox, the attempt number to use, and the id of the sandbox that exists now (""
/// if none, or if the network namespace mode changed).
///
/// Every attempt is counted from the newest sandbox (`SandboxStatuses[0].Metadata.Attempt`): a new
/// sandbox gets its attempt + 1, a kept one reports its own attempt. The highest attempt among older
/// sandboxes plays no part (kubernetes#128089, which proposed it, was closed unmerged).
fn sandbox_changed<'a>(pod: &Pod, status: &'a RuntimePodStatus) -> (bool, u32, &'a str) {
    let Some(newest) = status.sandboxes.first() else {
        return (true, 0, "");
    };
    let ready = status.sandboxes.iter().filter(|s| s.state == SandboxState::Ready).count();
    let next_attempt = newest.attempt + 1;
    if ready > 1 {
        // More than one sandbox is ready: reconcile by starting over.
        return (true, next_attempt, newest.id.as_str());
    }
    if newest.state != SandboxState::Ready {
        // The newest sandbox is not ready (stopped, or its pause process died).
        return (true, next_attempt, newest.id.as_str());
    }
    if newest.host_network != pod.spec.host_network {
        // The network namespace mode changed.
        return (true, next_attempt, "");
    }
    if !pod.spec.host_network && newest.ip.is_empty() {
        // A pod network sandbox without an IP.
        return (true, next_attempt, newest.id.as_str());
    }
    (false, newest.attempt, newest.id.as_str())
}

/// `shouldRestartOnFailure`: any policy but Never restarts a failed container.
pub fn should_restart_on_failure(pod: &Pod) -> bool {
    pod.spec.restart_policy != RestartPolicy::Never
}

/// `containerSucceeded`: the newest status of the container is exited with code 0.
fn container_succeeded(container: &Container, status: &RuntimePodStatus) -> bool {
    status
        .find_container_status_by_name(container.name())
        .is_some_and(|s| s.state == ContainerState::Exited && s.exit_code == 0)
}

/// `containerChanged`: the spec hash differs from the hash the running container was made from.
pub fn container_changed(container: &Container, status: &ContainerStatus) -> bool {
    container.hash() != status.hash
}

/// `isInitContainerFailed`: OOM-killed, exited non-zero, or unknown.
pub fn is_init_container_failed(status: &ContainerStatus) -> bool {
    status.reason == "OOMKilled"
        || (status.state == ContainerState::Exited && status.exit_code != 0)
        || status.state == ContainerState::Unknown
}

/// `hasAnyRegularContainerCreated`: some regular container was created, running or exited, which
/// means initialization finished at some point.
fn has_any_regular_container_created(pod: &Pod, status: &RuntimePodStatus) -> bool {
    pod.spec.containers.iter().any(|c| {
        matches!(
            status.find_container_status_by_name(c.name()).map(|s| s.state),
            Some(ContainerState::Created | ContainerState::Running | ContainerState::Exited)
        )
    })
}

/// `ShouldContainerBeRestarted`: whether a container that is not running should be (re)started.
pub fn should_container_be_restarted(container: &Container, pod: &Pod, status: &RuntimePodStatus) -> bool {
    // A pod marked for deletion never restarts anything.
    if pod.deletion_timestamp.is_some() {
        return false;
    }
    let Some(latest) = status.find_container_status_by_name(container.name()) else {
        // Never started (or every old instance was garbage collected).
        return true;
    };
    match latest.state {
        ContainerState::Running => false,
        // Created (the start failed) or unknown: always try again.
        ContainerState::Unknown | ContainerState::Created => true,
        ContainerState::Exited => match pod.spec.restart_policy {
            RestartPolicy::Never => false,
            RestartPolicy::OnFailure => latest.exit_code != 0,
            RestartPolicy::Always => true,
        },
    }
}

/// `%q` of a kubelet container state, as the kill messages print it.
fn quoted_state(state: ContainerState) -> &'static str {
    match state {
        ContainerState::Created => "\"created\"",
        ContainerState::Running => "\"running\"",
        ContainerState::Exited => "\"exited\"",
        ContainerState::Unknown => "\"unknown\"",
    }
}

/// `computePodActions`: the plan for one sync of `pod`, given what the runtime holds for it and the
/// cached probe results.
pub fn compute_pod_actions(pod: &Pod, status: &RuntimePodStatus, probes: &ProbeResults) -> PodActions {
    let mut actions = PodActions::default();
    compute_pod_actions_into(pod, status, probes, &mut actions);
    actions
}

/// [`compute_pod_actions`] into `actions`, reusing its buffers: planning a stable pod into a reused
/// `PodActions` allocates nothing (the kubelet's resync hot path).
pub fn compute_pod_actions_into(
    pod: &Pod,
    status: &RuntimePodStatus,
    probes: &ProbeResults,
    actions: &mut PodActions,
) {
    let (create_sandbox, attempt, sandbox_id) = sandbox_changed(pod, status);
    actions.kill_pod = create_sandbox;
    actions.create_sandbox = create_sandbox;
    actions.attempt = attempt;
    actions.sandbox_id.clear();
    actions.sandbox_id.push_str(sandbox_id);
    actions.init_containers_to_start.clear();
    actions.containers_to_start.clear();
    actions.ephemeral_containers_to_start.clear();
    actions.containers_to_kill.clear();

    // A new sandbox means everything is killed and started again from the first init container.
    if create_sandbox {
        if !should_restart_on_failure(pod) && attempt != 0 && !status.containers.is_empty() {
            // restartPolicy Never and containers already ran: do not make a new sandbox, just make
            // sure the pod is killed.
            actions.create_sandbox = false;
            return;
        }
        let to_start: Vec<usize> = pod
            .spec
            .containers
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                !(pod.spec.restart_policy == RestartPolicy::OnFailure && container_succeeded(c, status))
            })
            .map(|(i, _)| i)
            .collect();
        if to_start.is_empty() && has_any_regular_container_created(pod, status) {
            // Initialised before and nothing left to run: kill, do not recreate.
            actions.create_sandbox = false;
            return;
        }
        if !pod.spec.init_containers.is_empty() {
            actions.init_containers_to_start = vec![0];
            return;
        }
        actions.containers_to_start = to_start;
        return;
    }

    // Ephemeral containers start even before initialisation is done, and are never restarted.
    for (i, c) in pod.spec.ephemeral_containers.iter().enumerate() {
        if status.find_container_status_by_name(c.name()).is_none() {
            actions.ephemeral_containers_to_start.push(i);
        }
    }

    let initialized = compute_init_container_actions(pod, status, probes, actions);
    if actions.kill_pod || !initialized {
        // Initialisation failed or is still in progress: regular containers wait.
        sort_kills(actions);
        return;
    }

    let mut keep_count = 0;
    for (index, container) in pod.spec.containers.iter().enumerate() {
        let latest = status.find_container_status_by_name(container.name());
        let running = latest.filter(|s| s.state == ContainerState::Running);
        let Some(running) = running else {
            if should_container_be_restarted(container, pod, status) {
                actions.containers_to_start.push(index);
                if let Some(unknown) = latest.filter(|s| s.state == ContainerState::Unknown) {
                    // It may still run: kill it first so that two instances never run at once.
                    let message = format!(
                        "Container is in {} state, try killing it before restart",
                        quoted_state(unknown.state)
                    );
                    actions.kill(unknown, ContainerKind::Regular, index, KillReason::Unknown, message);
                }
            }
            continue;
        };

        let mut restart = should_restart_on_failure(pod);
        let (reason, message) = if container_changed(container, running) {
            // A changed spec restarts the container whatever the restart policy.
            restart = true;
            (KillReason::DefinitionChanged, format!("Container {} definition changed", container.name()))
        } else if probes.liveness(&running.id) == Some(ProbeResult::Failure) {
            (KillReason::LivenessProbe, format!("Container {} failed liveness probe", container.name()))
        } else if probes.startup(&running.id) == Some(ProbeResult::Failure) {
            (KillReason::StartupProbe, format!("Container {} failed startup probe", container.name()))
        } else {
            keep_count += 1;
            continue;
        };
        let message = if restart {
            actions.containers_to_start.push(index);
            format!("{message}, will be restarted")
        } else {
            message
        };
        actions.kill(running, ContainerKind::Regular, index, reason, message);
    }

    if keep_count == 0 && actions.containers_to_start.is_empty() {
        // Every container finished and none is to start: the pod is done. Sidecars must not keep
        // it alive, so they are not restarted.
        actions.kill_pod = true;
        actions.init_containers_to_start.clear();
    }
    sort_kills(actions);
}

/// Puts the kill list in spec order (init, regular, ephemeral; by index), then by container id.
fn sort_kills(actions: &mut PodActions) {
    actions.containers_to_kill.sort_by(|a, b| (a.kind, a.index, &a.id).cmp(&(b.kind, b.index, &b.id)));
}

/// `computeInitContainerActions`: which init containers to (re)start and which sidecars to kill;
/// returns whether the pod has been initialised.
///
/// The init containers are walked from the last to the first: the newest evidence of progress wins,
/// as completed init containers may have been removed from the runtime.
fn compute_init_container_actions(
    pod: &Pod,
    status: &RuntimePodStatus,
    probes: &ProbeResults,
    actions: &mut PodActions,
) -> bool {
    let inits = &pod.spec.init_containers;
    if inits.is_empty() {
        return true;
    }
    let last = inits.len() - 1;

    // A regular container that was created or runs means initialisation finished in the past. (An
    // exited one does not count: after a node reboot every container is exited and the new sandbox
    // must be initialised again.)
    let mut pod_has_initialized = pod.spec.containers.iter().any(|c| {
        matches!(
            status.find_container_status_by_name(c.name()).map(|s| s.state),
            Some(ContainerState::Created | ContainerState::Running)
        )
    });
    let mut is_previously_initialized = pod_has_initialized;
    let restart_on_failure = should_restart_on_failure(pod);

    for i in (0..inits.len()).rev() {
        let container = &inits[i];
        let sidecar = container.is_restartable_init_container();
        let Some(st) = status.find_container_status_by_name(container.name()) else {
            // Initialised before, but this one's status is gone: a sidecar must run again.
            if is_previously_initialized && sidecar {
                actions.init_containers_to_start.push(i);
            }
            continue;
        };
        if is_previously_initialized && !sidecar {
            // After initialisation only sidecars are kept running.
            continue;
        }

        match st.state {
            ContainerState::Created => {
                // The start failed after the create: start it again rather than leave it stuck.
                actions.init_containers_to_start.push(i);
            }
            ContainerState::Running => {
                if sidecar {
                    sidecar_running_actions(
                        container,
                        i,
                        last,
                        st,
                        probes,
                        is_previously_initialized,
                        &mut pod_has_initialized,
                        actions,
                    );
                }
                // A plain init container that runs: wait for it to finish.
            }
            ContainerState::Exited => {
                if sidecar {
                    actions.init_containers_to_start.push(i);
                } else if is_init_container_failed(st) {
                    if !restart_on_failure {
                        // A failed init container under Never: the pod is terminal.
                        actions.kill_pod = true;
                        actions.init_containers_to_start.clear();
                        return false;
                    }
                    actions.init_containers_to_start.push(i);
                } else if i == last {
                    pod_has_initialized = true;
                } else {
                    // Done for the first time: start the next one.
                    actions.init_containers_to_start.push(i + 1);
                }
            }
            ContainerState::Unknown => {
                if !sidecar && !restart_on_failure {
                    actions.kill_pod = true;
                    actions.init_containers_to_start.clear();
                    return false;
                }
                let message = format!(
                    "Init container is in {} state, try killing it before restart",
                    quoted_state(st.state)
                );
                actions.kill(st, ContainerKind::Init, i, KillReason::Unknown, message);
                actions.init_containers_to_start.push(i);
            }
        }
        // Every init container before one with a status has been initialised.
        is_previously_initialized = true;
    }

    if !is_previously_initialized {
        // No init container has started yet: start the first.
        actions.init_containers_to_start.push(0);
    }
    // The walk went backwards; start them in spec order.
    actions.init_containers_to_start.reverse();
    pod_has_initialized
}

/// The part of `computeInitContainerActions` for a running sidecar: wait for its startup probe, start
/// the next init container, restart it on a changed spec or a failed probe.
#[allow(clippy::too_many_arguments)]
fn sidecar_running_actions(
    container: &Container,
    i: usize,
    last: usize,
    st: &ContainerStatus,
    probes: &ProbeResults,
    is_previously_initialized: bool,
    pod_has_initialized: &mut bool,
    actions: &mut PodActions,
) {
    if container.has_startup_probe {
        match probes.startup(&st.id) {
            // Not probed yet, or no verdict: wait.
            None | Some(ProbeResult::Unknown) => return,
            Some(ProbeResult::Failure) => {
                let message = format!("Init container {} failed startup probe", container.name());
                actions.kill(st, ContainerKind::Init, i, KillReason::StartupProbe, message);
                actions.init_containers_to_start.push(i);
                return;
            }
            Some(ProbeResult::Success) => {}
        }
    }
    if i == last {
        *pod_has_initialized = true;
    } else if !is_previously_initialized {
        // Started for the first time: the next init container may start.
        actions.init_containers_to_start.push(i + 1);
    }
    if container_changed(container, st) {
        let message = format!("Init container {} definition changed", container.name());
        actions.kill(st, ContainerKind::Init, i, KillReason::DefinitionChanged, message);
        actions.init_containers_to_start.push(i);
        return;
    }
    // A sidecar's liveness does not hold back the next init container, but a failure restarts it.
    if container.has_liveness_probe && probes.liveness(&st.id) == Some(ProbeResult::Failure) {
        let message = format!("Init container {} failed liveness probe", container.name());
        actions.kill(st, ContainerKind::Init, i, KillReason::LivenessProbe, message);
        actions.init_containers_to_start.push(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::SandboxStatus;

    fn sandbox(id: &str, state: SandboxState, attempt: u32) -> SandboxStatus {
        SandboxStatus {
            id: id.to_string(),
            state,
            attempt,
            ip: "10.0.0.1".to_string(),
            host_network: false,
            created_at: 0,
        }
    }

    /// `PodSandboxChanged` numbers the new sandbox after the newest one (`SandboxStatuses[0]`), not
    /// after the highest attempt seen: sandboxes newest first with attempts [1, 3] give attempt 2.
    #[test]
    fn new_sandbox_attempt_follows_the_newest_sandbox() {
        let pod = Pod::new("p", "u", "n");
        let status = RuntimePodStatus {
            sandboxes: vec![
                sandbox("new", SandboxState::NotReady, 1),
                sandbox("old", SandboxState::NotReady, 3),
            ],
            containers: Vec::new(),
        };
        assert_eq!(pod_sandbox_changed(&pod, &status), (true, 2, "new".to_string()));
        // Two ready sandboxes: reconcile, still numbered after the newest.
        let two_ready = RuntimePodStatus {
            sandboxes: vec![sandbox("new", SandboxState::Ready, 1), sandbox("old", SandboxState::Ready, 3)],
            containers: Vec::new(),
        };
        assert_eq!(pod_sandbox_changed(&pod, &two_ready), (true, 2, "new".to_string()));
        // A kept sandbox reports its own attempt.
        let kept = RuntimePodStatus {
            sandboxes: vec![
                sandbox("new", SandboxState::Ready, 1),
                sandbox("old", SandboxState::NotReady, 3),
            ],
            containers: Vec::new(),
        };
        assert_eq!(pod_sandbox_changed(&pod, &kept), (false, 1, "new".to_string()));
        // The network mode changed: a new sandbox, none to reuse.
        let mut host = pod.clone();
        host.spec.host_network = true;
        assert_eq!(pod_sandbox_changed(&host, &kept), (true, 2, String::new()));
        // No IP.
        let mut no_ip = kept.clone();
        no_ip.sandboxes[0].ip.clear();
        assert_eq!(pod_sandbox_changed(&pod, &no_ip), (true, 2, "new".to_string()));
    }
}
