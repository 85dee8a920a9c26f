//! What a pod's spec and restart policy ask of the node once the world has settled: the goal the
//! liveness rules ([`Convergence`](super::Rule::Convergence),
//! [`StatusAgrees`](super::Rule::StatusAgrees)) hold the node and the API server to. It is derived
//! from the pod and the runtime, never from the kubelet's memory.

use podsim_model::workload::Workload;
use podsim_model::{Pod, PodPhase};

use super::{restart_all, View};

/// What the pod's spec and restart policy ask of one regular container once the world has settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DesiredContainer {
    /// Runs its current spec.
    Run,
    /// Exited, and its restart policy does not restart it (`podutil.ContainerShouldRestart`: Never,
    /// or OnFailure after exit 0, unless a rule says Restart): it stays exited with this code.
    StayExited(i32),
    /// Its workload exits by itself and the policy restarts it: it cycles, with no steady state.
    Cycles,
}

/// What a settled node owes one pod bound to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Goal {
    /// It was deleted: the kubelet must have released it.
    Released,
    /// It has no steady state to reach (no regular container, or one blocked by its own making).
    Unjudged,
    /// None of its regular containers is to run again: it is done with this phase (the kubelet's
    /// `getPhase`: Succeeded if every one exited 0, else Failed).
    Done(PodPhase),
    /// A restartPolicy Never pod that lost its sandbox after its containers ran: left as it is.
    Stranded,
    /// It runs: its newest sandbox is ready and each regular container does what it says.
    Run(Vec<DesiredContainer>),
}

/// The goal of `pod`, bound to the node, as the world shows it now.
pub fn goal_of(view: &View<'_>, pod: &Pod) -> Goal {
    if pod.deletion_timestamp.is_some() {
        return Goal::Released;
    }
    if past_active_deadline(view, pod) {
        return Goal::Done(PodPhase::Failed);
    }
    if blocked_by_design(view, pod)
        || pod.spec.containers.is_empty()
        || restart_all::cycles_by_restart_all(view, pod)
    {
        return Goal::Unjudged;
    }
    let desired: Vec<DesiredContainer> =
        pod.spec.containers.iter().map(|c| desired_container(view, pod, c)).collect();
    let exits: Vec<i32> = desired
        .iter()
        .filter_map(|d| match d {
            DesiredContainer::StayExited(code) => Some(*code),
            _ => None,
        })
        .collect();
    if exits.len() == desired.len() {
        let phase = if exits.iter().all(|&code| code == 0) { PodPhase::Succeeded } else { PodPhase::Failed };
        Goal::Done(phase)
    } else if sandbox_lost_for_good(view, pod) {
        Goal::Stranded
    } else {
        Goal::Run(desired)
    }
}

/// The kubelet's active deadline handler failed the pod (`activeDeadlineSeconds` passed): its status
/// says DeadlineExceeded, and nothing of it is to run again.
fn past_active_deadline(view: &View<'_>, pod: &Pod) -> bool {
    pod.spec.active_deadline_seconds.is_some()
        && view.api.pod_by_uid(&pod.uid).and_then(|s| s.status).is_some_and(|s| {
            s.phase == PodPhase::Failed && s.reason == podsim_model::kubelet::DEADLINE_EXCEEDED
        })
}

/// What `c`, a regular container of `pod`, should be doing: decided by its newest runtime instance
/// that ran and its restart policy (`podutil.ContainerShouldRestart`: its own rules and policy, else
/// the pod's), never by the kubelet's memory. An instance that was only created (its start failed)
/// never ran: the kubelet shows the container waiting with the termination before it as its last
/// state (`convertToAPIContainerStatuses`), and `getPhase` judges that termination.
fn desired_container(view: &View<'_>, pod: &Pod, c: &podsim_model::Container) -> DesiredContainer {
    let newest_that_ran = view
        .containerd
        .containers()
        .filter(|r| r.is_of(&pod.uid) && r.status.name == c.name())
        .find(|r| r.status.state != podsim_model::ContainerState::Created);
    if let Some(r) = newest_that_ran.filter(|r| r.status.state == podsim_model::ContainerState::Exited) {
        if !restart_all::restarts_after_exit(c, &pod.spec, r.status.exit_code) {
            return DesiredContainer::StayExited(r.status.exit_code);
        }
    }
    match view.containerd.workload_for(c.image(), &c.command, &c.args) {
        Workload::ExitAfter { code, .. } if restart_all::restarts_after_exit(c, &pod.spec, code) => {
            DesiredContainer::Cycles
        }
        _ if probed_to_death_by_design(c) => DesiredContainer::Cycles,
        _ => DesiredContainer::Run,
    }
}

/// Whether a liveness or startup probe of `c` can fail by the workload's own health options (a
/// `workload check` its health fails at some time): the kubelet kills and restarts it, over and over.
fn probed_to_death_by_design(c: &podsim_model::Container) -> bool {
    use podsim_model::workload::exec::Exec;
    use podsim_model::workload::Check;
    let (_, health) = Workload::from_command_with_health(&c.command, &c.args);
    let can_fail = |check: Check| match check {
        Check::Live => health.unhealthy_after.is_some(),
        Check::Ready => health.ready_after.is_some(),
        Check::Started => health.started_after.is_some(),
    };
    [&c.liveness_probe, &c.startup_probe].into_iter().flatten().any(|p| match &p.handler {
        podsim_model::pod::ProbeHandler::Exec(e) => match Exec::from_command(&e.command) {
            Exec::Check(check) => can_fail(check),
            Exec::Process(w) => !matches!(w, Workload::ExitAfter { code: 0, after } if after <= (p.timeout_seconds.max(1) as u64) * 1_000),
            Exec::FailChecks { .. } | Exec::Other => false,
        },
        _ => false,
    })
}

/// Whether a pod can have no desired running state for reasons of its own making: a plain init
/// container that exits non-zero, a sidecar that exits the moment it starts, a Secret nobody created,
/// an image with pull policy Never that is not on the node. The user's error, not the kubelet's.
fn blocked_by_design(view: &View<'_>, pod: &Pod) -> bool {
    let workload = |c: &podsim_model::Container| view.containerd.workload_for(c.image(), &c.command, &c.args);
    let init_fails = pod.spec.init_containers.iter().any(|c| {
        !c.is_restartable_init_container() && !matches!(workload(c), Workload::ExitAfter { code: 0, .. })
    });
    let sidecar_never_runs = pod
        .spec
        .init_containers
        .iter()
        .any(|c| c.is_restartable_init_container() && sidecar_never_seen_running(workload(c)));
    // A postStart hook that fails (model/src/kubelet/hooks.rs) kills its container at every start.
    let post_start_fails =
        pod.all_containers().any(|(_, c)| c.lifecycle.post_start.as_ref().is_some_and(post_start_may_fail));
    // A sidecar that its own probes kill over and over may never start: the containers after it wait.
    let sidecar_probed_to_death = pod
        .spec
        .init_containers
        .iter()
        .any(|c| c.is_restartable_init_container() && probed_to_death_by_design(c));
    init_fails
        || sidecar_never_runs
        || sidecar_probed_to_death
        || post_start_fails
        || config_missing(view, pod)
        || never_pull_missing(view, pod)
}

/// Whether a postStart hook may fail by design: a `tcpSocket` or `httpGet` always does; an exec
/// unless its command exits 0 for sure (`workload exit-after D 0`, or a program podsim did not
/// build); a sleep never.
fn post_start_may_fail(hook: &podsim_model::pod::LifecycleHandler) -> bool {
    use podsim_model::pod::LifecycleHandler;
    use podsim_model::workload::exec::Exec;
    match hook {
        LifecycleHandler::Sleep { .. } => false,
        LifecycleHandler::Exec { command } => !matches!(
            Exec::from_command(command),
            Exec::Process(Workload::ExitAfter { code: 0, .. }) | Exec::Other
        ),
        LifecycleHandler::HttpGet { .. } | LifecycleHandler::TcpSocket { .. } => true,
    }
}

/// A Secret the pod needs (env or volume, not optional) that the API server does not have.
fn config_missing(view: &View<'_>, pod: &Pod) -> bool {
    use podsim_model::pod::{EnvSource, VolumeSource};
    let missing = |name: &str| !view.api.secret_exists(&pod.namespace, name);
    let env_missing = pod.all_containers().any(|(_, c)| {
        c.env.iter().any(
            |e| matches!(&e.source, EnvSource::SecretKeyRef { name, optional: false, .. } if missing(name)),
        )
    });
    let volume_missing = pod.spec.volumes.iter().any(|v| {
        matches!(&v.source, VolumeSource::Secret { secret_name, optional: false } if missing(secret_name))
    });
    env_missing || volume_missing
}

/// An image with pull policy Never that is not on the node.
fn never_pull_missing(view: &View<'_>, pod: &Pod) -> bool {
    pod.all_containers().any(|(_, c)| {
        c.image_pull_policy == podsim_model::PullPolicy::Never && !view.containerd.has_image(c.image())
    })
}

/// A sidecar whose process exits the moment it starts: the kubelet never sees it running, and
/// `computeInitContainerActions` counts a restartable init container as started only when it runs, so
/// nothing after it ever starts (`sidecar-exits-at-once-blocks-init`).
fn sidecar_never_seen_running(workload: Workload) -> bool {
    matches!(workload, Workload::ExitAfter { after: 0, .. })
}

/// A restartPolicy Never pod whose newest sandbox is not ready after its containers ran: the kubelet
/// never makes it a new sandbox (computePodActions: `!shouldRestartOnFailure(pod) && attempt != 0 &&
/// len(ContainerStatuses) != 0`), whatever its containers' own policies say (kubernetes#141948).
fn sandbox_lost_for_good(view: &View<'_>, pod: &Pod) -> bool {
    pod.spec.restart_policy == podsim_model::RestartPolicy::Never
        && view.containerd.sandboxes().find(|s| s.is_of(&pod.uid)).is_some_and(|s| !s.is_ready())
        && view.containerd.containers().any(|c| c.is_of(&pod.uid))
}

/// Whether the pod's newest sandbox is ready.
pub fn newest_sandbox_ready(view: &View<'_>, pod_uid: &str) -> bool {
    view.containerd.sandboxes().find(|s| s.is_of(pod_uid)).is_some_and(|s| s.is_ready())
}

/// The names of the pod's containers that run.
pub fn running_containers<'v>(view: &'v View<'_>, pod_uid: &str) -> Vec<&'v str> {
    view.containerd
        .containers()
        .filter(|r| r.is_of(pod_uid) && r.runs())
        .map(|r| r.status.name.as_str())
        .collect()
}
