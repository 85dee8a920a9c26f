//! `compute_pod_actions`: what the kubelet must do to bring one pod's runtime state to its spec.
//!
//! This is the kubelet's `computePodActions` (pkg/kubelet/kuberuntime/kuberuntime_manager.go) under
//! the feature gates of [`FeatureGates`]: with their defaults (the current kubelet's), restartable
//! init containers take the `computeInitContainerActions` path, running containers are resized in
//! place ([`resize`]), a container's own restart policy and rules are read, and a pod whose
//! containers are all restarting is reset ([`restart_all`]). `SidecarContainers=false` takes the
//! legacy init path ([`legacy`]). Each helper is named after the kubelet function it mirrors.

use crate::shared_str::SharedStr;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::gates::FeatureGates;
use crate::kubelet::{KubeletBug, KubeletBugs};
use crate::pod::{container_should_restart, Container, ContainerKind, Pod, ResourceName, RestartPolicy};
use crate::runtime::{
    ContainerState, ContainerStatus, ProbeResult, ProbeResults, RuntimePodStatus, SandboxState,
};

pub mod coverage;
pub mod legacy;
pub mod resize;
pub mod restart_all;

pub use coverage::record_plan_probes;
pub use resize::{ActuatedResources, ContainerResources, ContainerToUpdate};
pub use restart_all::ContainerToReset;

/// Why a container is to be killed (`containerKillReason`, plus the changes the kubelet leaves
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
    /// Its resources changed and its `resizePolicy` asks for a restart (`computePodResizeAction`).
    ResizeRequiresRestart,
}

/// One entry of `podActions.ContainersToKill`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerToKill {
    /// The runtime container id.
    pub id: SharedStr,
    /// The container's name.
    pub name: SharedStr,
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
///
/// The fields the default path never sets (the legacy next init container, resource updates, the
/// reset list) are left out of the serialised form while empty.
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
    /// `NextInitContainerToStart`, the legacy path's (SidecarContainers off) one init container to
    /// start: an index into `spec.initContainers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_init_container_to_start: Option<usize>,
    /// Indexes into `spec.initContainers` to start, in spec order.
    pub init_containers_to_start: Vec<usize>,
    /// Indexes into `spec.containers` to start, in spec order.
    pub containers_to_start: Vec<usize>,
    /// Indexes into `spec.ephemeralContainers` to start.
    pub ephemeral_containers_to_start: Vec<usize>,
    /// Containers to stop before anything starts, in spec order (init, regular, ephemeral).
    pub containers_to_kill: Vec<ContainerToKill>,
    /// `ContainersToUpdate`: running containers whose cpu or memory is resized in place, per
    /// resource, decreases before increases.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub containers_to_update: BTreeMap<ResourceName, Vec<ContainerToUpdate>>,
    /// `UpdatePodResources`: the pod's cgroup is to be resized (a container restarts for a resize).
    #[serde(default, skip_serializing_if = "is_false")]
    pub update_pod_resources: bool,
    /// The containers to kill (if running) and remove from the runtime, in order, while the pod's
    /// containers are all restarting (KEP-5532); nothing else is done in that sync.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers_to_reset: Vec<ContainerToReset>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl PodActions {
    /// Nothing to do: no kill, no sandbox, no start, no resize, no reset.
    pub fn is_noop(&self) -> bool {
        !self.kill_pod
            && !self.create_sandbox
            && self.next_init_container_to_start.is_none()
            && self.init_containers_to_start.is_empty()
            && self.containers_to_start.is_empty()
            && self.ephemeral_containers_to_start.is_empty()
            && self.containers_to_kill.is_empty()
            && self.containers_to_update.is_empty()
            && !self.update_pod_resources
            && self.containers_to_reset.is_empty()
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

    /// Empties every list, keeping their buffers (the resync hot path allocates nothing).
    fn reset(&mut self, create_sandbox: bool, attempt: u32, sandbox_id: &str) {
        self.kill_pod = create_sandbox;
        self.create_sandbox = create_sandbox;
        self.attempt = attempt;
        self.sandbox_id.clear();
        self.sandbox_id.push_str(sandbox_id);
        self.next_init_container_to_start = None;
        self.init_containers_to_start.clear();
        self.containers_to_start.clear();
        self.ephemeral_containers_to_start.clear();
        self.containers_to_kill.clear();
        self.containers_to_update.clear();
        self.update_pod_resources = false;
        self.containers_to_reset.clear();
    }
}

/// What the kubelet's sync passes to `computePodActions` besides the pod, its runtime status and the
/// probe results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanOptions<'a> {
    /// The kubelet's feature gates.
    pub gates: FeatureGates,
    /// `restartAllContainers`: the pod's `AllContainersRestarting` condition is True (Kubelet.SyncPod
    /// passes it only with RestartAllContainersOnContainerExits on).
    pub restart_all_containers: bool,
    /// The historical bugs the kubelet carries ([`crate::kubelet::bugs`]; none by default).
    pub bugs: KubeletBugs,
    /// The allocation manager's actuated resources of the pod's containers (1.34+), which
    /// `computePodResizeAction` compares the spec with; None: compare with the runtime's reported
    /// resources, as the 1.33 kubelet did (podsim's runs keep no actuated checkpoint).
    pub actuated: Option<&'a ActuatedResources>,
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
    let (change, attempt, id) = sandbox_change(pod, status);
    (change.is_some(), attempt, id)
}

/// Why `PodSandboxChanged` asks for a new sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandboxChange {
    /// The pod has no sandbox.
    NoSandbox,
    /// More than one sandbox is ready.
    TwoReady,
    /// The newest sandbox is not ready.
    NotReady,
    /// The network namespace mode changed.
    NetworkChanged,
    /// A pod-network sandbox has no IP.
    NoIp,
}

/// Why the pod needs a new sandbox, if it does (the reason of `PodSandboxChanged`).
pub fn sandbox_change_reason(pod: &Pod, status: &RuntimePodStatus) -> Option<SandboxChange> {
    sandbox_change(pod, status).0
}

/// The body of `PodSandboxChanged`: the reason for a new sandbox (`None`: keep it), the attempt, the
/// sandbox id.
fn sandbox_change<'a>(pod: &Pod, status: &'a RuntimePodStatus) -> (Option<SandboxChange>, u32, &'a str) {
    let Some(newest) = status.sandboxes.first() else {
        return (Some(SandboxChange::NoSandbox), 0, "");
    };
    let ready = status.sandboxes.iter().filter(|s| s.state == SandboxState::Ready).count();
    let next_attempt = newest.attempt + 1;
    if ready > 1 {
        // More than one sandbox is ready: reconcile by starting over.
        return (Some(SandboxChange::TwoReady), next_attempt, newest.id.as_str());
    }
    if newest.state != SandboxState::Ready {
        // The newest sandbox is not ready (stopped, or its pause process died).
        return (Some(SandboxChange::NotReady), next_attempt, newest.id.as_str());
    }
    if newest.host_network != pod.spec.host_network {
        // The network namespace mode changed.
        return (Some(SandboxChange::NetworkChanged), next_attempt, "");
    }
    if !pod.spec.host_network && newest.ip.is_empty() {
        // A pod network sandbox without an IP.
        return (Some(SandboxChange::NoIp), next_attempt, newest.id.as_str());
    }
    (None, newest.attempt, newest.id.as_str())
}

/// `shouldRestartOnFailure`: any pod policy but Never restarts a failed container.
pub fn should_restart_on_failure(pod: &Pod) -> bool {
    pod.spec.restart_policy != RestartPolicy::Never
}

/// `restart` of a running container that is to be killed: the pod's policy, or (ContainerRestartRules)
/// the container's own policy if set. Rules are not read: the container has not exited.
fn restart_running_container(container: &Container, pod: &Pod, gates: &FeatureGates) -> bool {
    match container.restart_policy {
        Some(policy) if gates.container_restart_rules => policy != RestartPolicy::Never,
        _ => should_restart_on_failure(pod),
    }
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

/// `ShouldContainerBeRestarted` with the default gates.
pub fn should_container_be_restarted(container: &Container, pod: &Pod, status: &RuntimePodStatus) -> bool {
    should_container_be_restarted_with(container, pod, status, &FeatureGates::default())
}

/// `ShouldContainerBeRestarted` (pkg/kubelet/container/helpers.go): whether a container that is not
/// running should be (re)started. An exited one follows `podutil.ContainerShouldRestart` (its rules,
/// its own policy, the pod's) with ContainerRestartRules, the pod's policy alone without.
pub fn should_container_be_restarted_with(
    container: &Container,
    pod: &Pod,
    status: &RuntimePodStatus,
    gates: &FeatureGates,
) -> bool {
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
        ContainerState::Exited if gates.container_restart_rules => {
            container_should_restart(container, &pod.spec, latest.exit_code)
        }
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

/// `computePodActions` with the default gates: the plan for one sync of `pod`, given what the runtime
/// holds for it and the cached probe results.
pub fn compute_pod_actions(pod: &Pod, status: &RuntimePodStatus, probes: &ProbeResults) -> PodActions {
    compute_pod_actions_with(pod, status, probes, &FeatureGates::default())
}

/// [`compute_pod_actions`] into `actions`, reusing its buffers: planning a stable pod into a reused
/// `PodActions` allocates nothing (the kubelet's resync hot path).
pub fn compute_pod_actions_into(
    pod: &Pod,
    status: &RuntimePodStatus,
    probes: &ProbeResults,
    actions: &mut PodActions,
) {
    compute_pod_actions_with_into(pod, status, probes, &FeatureGates::default(), actions);
}

/// `computePodActions` under these feature gates (the pod's containers are not all restarting).
pub fn compute_pod_actions_with(
    pod: &Pod,
    status: &RuntimePodStatus,
    probes: &ProbeResults,
    gates: &FeatureGates,
) -> PodActions {
    let mut actions = PodActions::default();
    compute_pod_actions_with_into(pod, status, probes, gates, &mut actions);
    actions
}

/// [`compute_pod_actions_with`] into `actions`, reusing its buffers.
pub fn compute_pod_actions_with_into(
    pod: &Pod,
    status: &RuntimePodStatus,
    probes: &ProbeResults,
    gates: &FeatureGates,
    actions: &mut PodActions,
) {
    let options =
        PlanOptions { gates: *gates, restart_all_containers: false, bugs: KubeletBugs::NONE, actuated: None };
    compute_pod_actions_opts_into(pod, status, probes, &options, actions);
}

/// `computePodActions(ctx, pod, podStatus, restartAllContainers)` with everything the sync passes.
pub fn compute_pod_actions_opts(
    pod: &Pod,
    status: &RuntimePodStatus,
    probes: &ProbeResults,
    options: &PlanOptions,
) -> PodActions {
    let mut actions = PodActions::default();
    compute_pod_actions_opts_into(pod, status, probes, options, &mut actions);
    actions
}

/// [`compute_pod_actions_opts`] into `actions`, reusing its buffers.
pub fn compute_pod_actions_opts_into(
    pod: &Pod,
    status: &RuntimePodStatus,
    probes: &ProbeResults,
    options: &PlanOptions,
    actions: &mut PodActions,
) {
    let gates = &options.gates;
    let bugs = options.bugs;
    let (create_sandbox, attempt, sandbox_id) = sandbox_changed(pod, status);
    actions.reset(create_sandbox, attempt, sandbox_id);

    // The pod's containers are all restarting: kill and remove them, nothing else (KEP-5532).
    if gates.restart_all_containers_on_container_exits && options.restart_all_containers {
        restart_all::containers_to_reset(pod, status, actions);
        return;
    }
    // A new sandbox means everything is killed and started again from the first init container.
    if create_sandbox {
        new_sandbox_actions(pod, status, gates, bugs, actions);
        return;
    }

    // Ephemeral containers start even before initialisation is done, and are never restarted.
    for (i, c) in pod.spec.ephemeral_containers.iter().enumerate() {
        if status.find_container_status_by_name(c.name()).is_none() {
            actions.ephemeral_containers_to_start.push(i);
        }
    }

    let initialized = if legacy::takes_legacy_path(gates) {
        legacy::init_container_actions(pod, status, actions)
    } else {
        compute_init_container_actions(pod, status, probes, options, actions)
    };
    if actions.kill_pod || !initialized {
        // Initialisation failed or is still in progress: regular containers wait.
        sort_kills(actions);
        return;
    }
    let keep_count = regular_container_actions(pod, status, probes, options, actions);
    if keep_count == 0 && actions.containers_to_start.is_empty() {
        // Every container finished and none is to start: the pod is done. Sidecars must not keep
        // it alive, so they are not restarted.
        actions.kill_pod = true;
        actions.init_containers_to_start.clear();
    }
    sort_kills(actions);
}

/// The `createPodSandbox` branch of `computePodActions`: kill the pod, and unless it is finished,
/// recreate the sandbox and start over from the first init container (or every regular container).
fn new_sandbox_actions(
    pod: &Pod,
    status: &RuntimePodStatus,
    gates: &FeatureGates,
    bugs: KubeletBugs,
    actions: &mut PodActions,
) {
    if never_pod_keeps_its_dead_sandbox(pod, status, actions.attempt, bugs) {
        // restartPolicy Never and containers already ran: do not make a new sandbox, just make sure
        // the pod is killed.
        actions.create_sandbox = false;
        return;
    }
    // Every regular container but those that succeeded and only run once (OnFailure: the pod's
    // policy, or with ContainerRestartRules the container's own).
    for (i, c) in pod.spec.containers.iter().enumerate() {
        let run_once = match c.restart_policy {
            Some(policy) if gates.container_restart_rules => policy == RestartPolicy::OnFailure,
            _ => pod.spec.restart_policy == RestartPolicy::OnFailure,
        };
        if !(run_once && container_succeeded(c, status)) {
            actions.containers_to_start.push(i);
        }
    }
    // kubernetes#92614 added this check; before it a finished pod got a new sandbox.
    if actions.containers_to_start.is_empty() && !bugs.has(KubeletBug::DonePodSandboxRecreated) {
        let initialized = if legacy::takes_legacy_path(gates) {
            legacy::find_next_init_container_to_run(pod, status).done
        } else {
            has_any_regular_container_created(pod, status)
        };
        if initialized {
            // Initialised before and nothing left to run: kill, do not recreate.
            actions.create_sandbox = false;
            return;
        }
    }
    if runs_init_containers_in_new_sandbox(pod, status, bugs) {
        actions.containers_to_start.clear();
        if legacy::takes_legacy_path(gates) {
            actions.next_init_container_to_start = Some(0);
        } else {
            actions.init_containers_to_start.push(0);
        }
    }
}

/// The `restartPolicy: Never` guard of the `createPodSandbox` branch: a `Never` pod whose sandbox
/// is not its first and whose containers already ran gets no new sandbox (kubernetes#35309; "and
/// containers already ran" is kubernetes#79451's). The bug variants take the guard away entirely
/// (before #35309) or read the attempt alone (#68980 to #79451).
fn never_pod_keeps_its_dead_sandbox(
    pod: &Pod,
    status: &RuntimePodStatus,
    attempt: u32,
    bugs: KubeletBugs,
) -> bool {
    if bugs.has(KubeletBug::NeverPodSandboxRecreated) {
        return false;
    }
    let containers_ran = !status.containers.is_empty() || bugs.has(KubeletBug::NeverPodSandboxNotRetried);
    !should_restart_on_failure(pod) && attempt != 0 && containers_ran
}

/// A new sandbox starts over from the first init container (kubernetes#47599). Before that fix the
/// kubelet read the init containers that completed in the old sandbox as done, and started the
/// regular containers of a recreated sandbox at once (the bug variant).
fn runs_init_containers_in_new_sandbox(pod: &Pod, status: &RuntimePodStatus, bugs: KubeletBugs) -> bool {
    let completed_before = || {
        pod.spec.init_containers.iter().all(|c| {
            status
                .find_container_status_by_name(c.name())
                .is_some_and(|s| s.state == ContainerState::Exited && s.exit_code == 0)
        })
    };
    let skipped = bugs.has(KubeletBug::InitContainersSkippedInNewSandbox) && completed_before();
    !pod.spec.init_containers.is_empty() && !skipped
}

/// The regular-container loop of `computePodActions`: start what should run and does not, kill what
/// runs but must not (changed spec, failed probes, a resize that needs a restart), resize the rest in
/// place. Returns how many running containers are kept (`keepCount`).
fn regular_container_actions(
    pod: &Pod,
    status: &RuntimePodStatus,
    probes: &ProbeResults,
    options: &PlanOptions<'_>,
    actions: &mut PodActions,
) -> usize {
    let gates = &options.gates;
    let mut keep_count = 0;
    for (index, container) in pod.spec.containers.iter().enumerate() {
        let latest = status.find_container_status_by_name(container.name());
        let running = latest.filter(|s| s.state == ContainerState::Running);
        let Some(running) = running else {
            if should_container_be_restarted_with(container, pod, status, gates) {
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

        let mut restart = restart_running_container(container, pod, gates);
        let (reason, message) = if container_changed(container, running) {
            // A changed spec restarts the container whatever the restart policy.
            restart = true;
            (KillReason::DefinitionChanged, format!("Container {} definition changed", container.name()))
        } else if probes.liveness(&running.id) == Some(ProbeResult::Failure) {
            (KillReason::LivenessProbe, format!("Container {} failed liveness probe", container.name()))
        } else if probes.startup(&running.id) == Some(ProbeResult::Failure) {
            (KillReason::StartupProbe, format!("Container {} failed startup probe", container.name()))
        } else {
            let target = resize::Target {
                kind: ContainerKind::Regular,
                index,
                container,
                status: running,
                actuated: options.actuated,
            };
            if resize::compute_pod_resize_action(target, gates, actions) {
                keep_count += 1;
            }
            // Otherwise the resize policy restarts it; the kill and the start are planned.
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
    keep_count
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
    options: &PlanOptions<'_>,
    actions: &mut PodActions,
) -> bool {
    let (gates, bugs) = (&options.gates, options.bugs);
    let inits = &pod.spec.init_containers;
    if inits.is_empty() {
        return true;
    }
    let last = inits.len() - 1;

    // A regular container that was created or runs means initialisation finished in the past. (An
    // exited one does not count: after a node reboot every container is exited and the new sandbox
    // must be initialised again.)
    let mut pod_has_initialized = pod.spec.containers.iter().any(|c| {
        match status.find_container_status_by_name(c.name()).map(|s| s.state) {
            Some(ContainerState::Created | ContainerState::Running) => true,
            // kubernetes#120269 left exited ones out; 1.28.0-1.28.1 counted them.
            Some(ContainerState::Exited) => bugs.has(KubeletBug::ExitedContainerCountsAsInitialized),
            _ => false,
        }
    });
    // kubernetes#96572 added the shortcut; before it only init containers' statuses counted.
    pod_has_initialized &= !bugs.has(KubeletBug::InitContainersRerunAfterRemoval);
    let mut is_previously_initialized = pod_has_initialized;

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
                // The start failed after the create: start it again rather than leave it stuck
                // (kubernetes#126543; before it, the kubelet waited for a start that never came).
                if !bugs.has(KubeletBug::CreatedInitContainerNotRestarted) {
                    actions.init_containers_to_start.push(i);
                }
            }
            ContainerState::Running => {
                if sidecar {
                    let progress = InitProgress { last, is_previously_initialized };
                    let target = resize::Target {
                        kind: ContainerKind::Init,
                        index: i,
                        container,
                        status: st,
                        actuated: options.actuated,
                    };
                    let initialized = sidecar_running_actions(target, progress, probes, gates, actions);
                    pod_has_initialized |= initialized;
                }
                // A plain init container that runs: wait for it to finish.
            }
            ContainerState::Exited => {
                if sidecar {
                    actions.init_containers_to_start.push(i);
                } else if is_init_container_failed(st) {
                    if !restart_failed_init_container(container, pod, st, gates) {
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
                if !sidecar && !restart_unknown_init_container(container, pod, gates) {
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

/// Whether a failed, exited plain init container is restarted: the pod's policy, or with
/// ContainerRestartRules and a policy of its own, `podutil.ContainerShouldRestart` on its exit code
/// (its rules, then its policy).
fn restart_failed_init_container(
    container: &Container,
    pod: &Pod,
    st: &ContainerStatus,
    gates: &FeatureGates,
) -> bool {
    if gates.container_restart_rules && container.restart_policy.is_some() {
        return container_should_restart(container, &pod.spec, st.exit_code);
    }
    should_restart_on_failure(pod)
}

/// Whether a plain init container in an unknown state is restarted: the pod's policy, or with
/// ContainerRestartRules its own policy if set (no rules: it may not have exited, there is no exit
/// code to match; kubernetes#134631).
fn restart_unknown_init_container(container: &Container, pod: &Pod, gates: &FeatureGates) -> bool {
    restart_running_container(container, pod, gates)
}

/// Where the backwards walk of `computeInitContainerActions` stands.
#[derive(Clone, Copy)]
struct InitProgress {
    /// The index of the last init container.
    last: usize,
    /// An init container after this one has a status, or a regular container was created.
    is_previously_initialized: bool,
}

/// The part of `computeInitContainerActions` for a running sidecar: wait for its startup probe, start
/// the next init container, restart it on a changed spec or a failed probe, resize it in place.
/// Returns whether it completes the pod's initialisation (it is the last init container, started).
fn sidecar_running_actions(
    target: resize::Target<'_>,
    progress: InitProgress,
    probes: &ProbeResults,
    gates: &FeatureGates,
    actions: &mut PodActions,
) -> bool {
    let resize::Target { index: i, container, status: st, .. } = target;
    if container.has_startup_probe() {
        match probes.startup(&st.id) {
            // Not probed yet, or no verdict: wait.
            None | Some(ProbeResult::Unknown) => return false,
            Some(ProbeResult::Failure) => {
                let message = format!("Init container {} failed startup probe", container.name());
                actions.kill(st, ContainerKind::Init, i, KillReason::StartupProbe, message);
                actions.init_containers_to_start.push(i);
                return false;
            }
            Some(ProbeResult::Success) => {}
        }
    }
    let initialized = i == progress.last;
    if !initialized && !progress.is_previously_initialized {
        // Started for the first time: the next init container may start.
        actions.init_containers_to_start.push(i + 1);
    }
    if container_changed(container, st) {
        let message = format!("Init container {} definition changed", container.name());
        actions.kill(st, ContainerKind::Init, i, KillReason::DefinitionChanged, message);
        actions.init_containers_to_start.push(i);
        return initialized;
    }
    // A sidecar's liveness does not hold back the next init container, but a failure restarts it,
    // and no verdict yet waits (no resize).
    if container.has_liveness_probe() {
        match probes.liveness(&st.id) {
            None => return initialized,
            Some(ProbeResult::Failure) => {
                let message = format!("Init container {} failed liveness probe", container.name());
                actions.kill(st, ContainerKind::Init, i, KillReason::LivenessProbe, message);
                actions.init_containers_to_start.push(i);
                return initialized;
            }
            Some(ProbeResult::Success | ProbeResult::Unknown) => {}
        }
    }
    resize::compute_pod_resize_action(target, gates, actions);
    initialized
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::SandboxStatus;

    fn sandbox(id: &str, state: SandboxState, attempt: u32) -> SandboxStatus {
        SandboxStatus {
            id: id.into(),
            state,
            attempt,
            ip: "10.0.0.1".into(),
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
        host.spec_mut().host_network = true;
        assert_eq!(pod_sandbox_changed(&host, &kept), (true, 2, String::new()));
        // No IP.
        let mut no_ip = kept.clone();
        no_ip.sandboxes[0].ip = SharedStr::EMPTY;
        assert_eq!(pod_sandbox_changed(&pod, &no_ip), (true, 2, "new".to_string()));
    }
}
