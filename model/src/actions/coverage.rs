//! Which branches of `computePodActions` a plan took, read back from the plan and the state it was
//! made from, so that `compute_pod_actions` itself stays pure and its hot path untouched: the
//! kubelet's sync calls [`record_plan_probes`] after planning, into its own [`Probes`].

use crate::coverage::{Probe, Probes};
use crate::pod::{find_matching_container_restart_rule, Container, ContainerKind, Pod, RestartRuleAction};
use crate::runtime::{ContainerState, ContainerStatus, RuntimePodStatus};

use super::{
    is_init_container_failed, sandbox_change_reason, should_container_be_restarted_with,
    should_restart_on_failure, KillReason, PlanOptions, PodActions, SandboxChange,
};

/// Records the branches `computePodActions(pod, status)` took to make `actions`.
pub fn record_plan_probes(
    pod: &Pod,
    status: &RuntimePodStatus,
    options: &PlanOptions,
    actions: &PodActions,
    probes: &mut Probes,
) {
    if !actions.containers_to_reset.is_empty() {
        probes.hit(Probe::PlanRestartAllContainers);
        return;
    }
    if let Some(reason) = sandbox_change_reason(pod, status) {
        record_sandbox_change(pod, status, reason, actions, probes);
        return;
    }
    for kill in &actions.containers_to_kill {
        probes.hit(kill_probe(kill.kind, kill.reason));
    }
    for &i in &actions.init_containers_to_start {
        if let Some(probe) = init_start_probe(&pod.spec.init_containers[i], status) {
            probes.hit(probe);
        }
    }
    if actions.next_init_container_to_start.is_some() {
        probes.hit(Probe::PlanLegacyNextInit);
    }
    record_regular_containers(pod, status, options, actions, probes);
    if !actions.containers_to_update.is_empty() {
        probes.hit(Probe::PlanResizeInPlace);
    }
    if actions.kill_pod {
        let init_failed = pod.spec.init_containers.iter().any(|c| {
            !c.is_restartable_init_container()
                && status.find_container_status_by_name(c.name()).is_some_and(is_init_container_failed)
        });
        probes.hit(if init_failed { Probe::PlanKillPodInitFailed } else { Probe::PlanKillPodDone });
    }
}

/// The `createPodSandbox` branch: why, and whether the sandbox is made again.
fn record_sandbox_change(
    pod: &Pod,
    status: &RuntimePodStatus,
    reason: SandboxChange,
    actions: &PodActions,
    probes: &mut Probes,
) {
    probes.hit(match reason {
        SandboxChange::NoSandbox => Probe::PlanSandboxFirst,
        SandboxChange::TwoReady => Probe::PlanSandboxTwoReady,
        SandboxChange::NotReady => Probe::PlanSandboxNotReady,
        SandboxChange::NetworkChanged => Probe::PlanSandboxNetworkChanged,
        SandboxChange::NoIp => Probe::PlanSandboxNoIp,
    });
    if actions.create_sandbox {
        if !actions.sandbox_id.is_empty() {
            probes.hit(Probe::PlanSandboxRecreated);
        }
        return;
    }
    // The same condition as the branch that declines a new sandbox under restartPolicy Never.
    let never_ran = !should_restart_on_failure(pod) && actions.attempt != 0 && !status.containers.is_empty();
    probes.hit(if never_ran {
        Probe::PlanSandboxNotRecreatedNever
    } else {
        Probe::PlanSandboxNotRecreatedDone
    });
}

/// The probe of one planned kill.
fn kill_probe(kind: ContainerKind, reason: KillReason) -> Probe {
    match (reason, kind) {
        (KillReason::DefinitionChanged, ContainerKind::Init) => Probe::PlanKillSidecarDefinitionChanged,
        (KillReason::DefinitionChanged, _) => Probe::PlanKillDefinitionChanged,
        (KillReason::LivenessProbe, _) => Probe::PlanKillLiveness,
        (KillReason::StartupProbe, _) => Probe::PlanKillStartup,
        (KillReason::Unknown, _) => Probe::PlanKillUnknown,
        (KillReason::ResizeRequiresRestart, _) => Probe::PlanResizeRestart,
    }
}

/// Why an init container is in `initContainersToStart` (nothing for a running one: its kill says).
fn init_start_probe(container: &Container, status: &RuntimePodStatus) -> Option<Probe> {
    let Some(st) = status.find_container_status_by_name(container.name()) else {
        return Some(Probe::PlanInitStart);
    };
    match st.state {
        ContainerState::Exited if container.is_restartable_init_container() => {
            Some(Probe::PlanSidecarRestart)
        }
        ContainerState::Exited if is_init_container_failed(st) => Some(Probe::PlanInitRetryFailed),
        ContainerState::Exited => Some(Probe::PlanInitStart),
        ContainerState::Created => Some(Probe::PlanRestartCreated),
        ContainerState::Running | ContainerState::Unknown => None,
    }
}

/// The regular containers: why each planned start, and the exited ones that stay exited.
fn record_regular_containers(
    pod: &Pod,
    status: &RuntimePodStatus,
    options: &PlanOptions,
    actions: &PodActions,
    probes: &mut Probes,
) {
    for (i, c) in pod.spec.containers.iter().enumerate() {
        let latest = status.find_container_status_by_name(c.name());
        if actions.containers_to_start.contains(&i) {
            if let Some(probe) = start_probe(c, latest, options) {
                probes.hit(probe);
            }
        } else if latest.is_some_and(|s| s.state == ContainerState::Exited)
            && !should_container_be_restarted_with(c, pod, status, &options.gates)
        {
            probes.hit(Probe::PlanNotRestarted);
        }
    }
}

/// Why a regular container is in `containersToStart` (nothing for a running one: its kill says).
fn start_probe(
    container: &Container,
    latest: Option<&ContainerStatus>,
    options: &PlanOptions,
) -> Option<Probe> {
    let Some(latest) = latest else { return Some(Probe::PlanStartFirst) };
    match latest.state {
        ContainerState::Exited => Some(restart_probe(container, latest.exit_code, options)),
        ContainerState::Created => Some(Probe::PlanRestartCreated),
        ContainerState::Running | ContainerState::Unknown => None,
    }
}

/// Which rule restarts an exited container: a matching `Restart` rule or its own restart policy
/// (ContainerRestartRules, `podutil.ContainerShouldRestart`), else the pod's policy.
fn restart_probe(container: &Container, exit_code: i32, options: &PlanOptions) -> Probe {
    if !options.gates.container_restart_rules || container.restart_policy.is_none() {
        return Probe::PlanRestartPodPolicy;
    }
    let rule = find_matching_container_restart_rule(container, exit_code);
    if rule.is_some_and(|r| r.action == RestartRuleAction::Restart) {
        Probe::PlanRestartRule
    } else {
        Probe::PlanRestartContainerPolicy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::compute_pod_actions_opts;
    use crate::pod::RestartPolicy;
    use crate::runtime::{ContainerProbes, ProbeResult, ProbeResults, SandboxState, SandboxStatus};
    use crate::SharedStr;

    fn ready_sandbox() -> SandboxStatus {
        SandboxStatus {
            id: "s1".into(),
            state: SandboxState::Ready,
            attempt: 0,
            ip: "10.0.0.1".into(),
            host_network: false,
            created_at: 0,
        }
    }

    fn status(pod: &Pod, name: &str, state: ContainerState, exit_code: i32) -> ContainerStatus {
        let container = pod.spec.containers.iter().find(|c| c.name() == name).expect("a container");
        ContainerStatus {
            id: format!("c-{name}").into(),
            name: name.into(),
            state,
            exit_code,
            reason: SharedStr::EMPTY,
            hash: container.hash(),
            restart_count: 0,
            sandbox_id: "s1".into(),
            image: container.image().into(),
            created_at: 0,
            started_at: None,
            finished_at: None,
            resources: None,
        }
    }

    /// The probes `record_plan_probes` records for the plan of `pod` on `runtime`.
    fn probes_of(pod: &Pod, runtime: &RuntimePodStatus, results: &ProbeResults) -> Vec<&'static str> {
        let options = PlanOptions::default();
        let actions = compute_pod_actions_opts(pod, runtime, results, &options);
        let mut probes = Probes::new();
        record_plan_probes(pod, runtime, &options, &actions, &mut probes);
        probes.iter().filter(|(_, n)| *n > 0).map(|(p, _)| p.name()).collect()
    }

    #[test]
    fn each_plan_records_the_branches_it_took() {
        let mut pod = Pod::new("web", "u1", "node");
        pod.spec_mut().containers = vec![Container::new("app", "img:1"), Container::new("job", "img:1")];
        // No sandbox: the first.
        assert_eq!(
            probes_of(&pod, &RuntimePodStatus::default(), &ProbeResults::none()),
            ["plan.sandbox.first"]
        );
        // app failed its liveness probe; job exited 1 and restarts under Always.
        let runtime = RuntimePodStatus {
            sandboxes: vec![ready_sandbox()],
            containers: vec![
                status(&pod, "app", ContainerState::Running, 0),
                status(&pod, "job", ContainerState::Exited, 1),
            ],
        };
        let mut results = ProbeResults::none();
        let failed = ContainerProbes { liveness: Some(ProbeResult::Failure), startup: None, readiness: None };
        results.0.insert("c-app".into(), failed);
        assert_eq!(probes_of(&pod, &runtime, &results), ["plan.kill.liveness", "plan.restart.pod_policy"]);
        // Under Never, job stays exited; app's changed hash restarts it whatever the policy.
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        pod.spec_mut().containers[0] = Container::new("app", "img:2");
        assert_eq!(
            probes_of(&pod, &runtime, &ProbeResults::none()),
            ["plan.kill.definition_changed", "plan.restart.not_restarted"]
        );
    }
}
