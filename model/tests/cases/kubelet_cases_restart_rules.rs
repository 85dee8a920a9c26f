//! The kubelet's table tests of container restart rules (KEP-5307, `ContainerRestartRules`) and of
//! restarting all containers (KEP-5532, `RestartAllContainersOnContainerExits`) in
//! `computePodActions`, ported case for case from the real Go.
//!
//! Source: `pkg/kubelet/kuberuntime/kuberuntime_manager_test.go` of yuanwang04/kubernetes at commit
//! bca651cd7096dea0998ef1bf1b6e6b4330bee57c (read_file id 59066912794, 242,736 characters; a tree
//! after v1.36: it already carries `InPlacePodVerticalScalingMemoryBackedVolumes` and sets the
//! emulation version to 1.36 in `TestComputePodActionsWithInitContainers`). The two tables sit past
//! the first 100,000 characters the string index reads, which is why earlier searches (find_string
//! on the test names) found only a TypeScript port; the file was found with `find_files` on the
//! path across forks and read with `read_file` at an offset. natasha41575/kubernetes@1a51be50
//! (read_file id 58455589135, 250,259 characters) holds the same restart-rules table.
//!
//! - `TestComputePodActionsWithContainerRestartRules` (offset ~104,000): 5 of 5 cases (module
//!   `with_container_restart_rules`). The Go test first re-runs `TestComputePodActions` and
//!   `TestComputePodActionsWithInitContainers` with the gate on; kubelet_cases.rs runs both with the
//!   gate on and off.
//! - `TestComputePodActionsForRestartAllContainers` (offset ~50,500): 10 of 10 cases (module
//!   `for_restart_all_containers`), with `ContainerRestartRules` and
//!   `RestartAllContainersOnContainerExits` on, as the Go test sets them (its third gate,
//!   `NodeDeclaredFeatures`, does not reach `computePodActions`). It also re-runs
//!   `TestComputePodActions` and `TestComputePodActionsWithInitContainers` under those gates: podsim's
//!   defaults, under which kubelet_cases.rs runs them. The Go test builds its expected
//!   `ContainersToReset` from `containerToRemoveInfo{container, containerID, kill}` in order; here
//!   each is a `ContainerToReset` with the container's list and index (what the Go pointer into the
//!   spec says).
//!
//! Every case runs with the gates on, as the Go tests set them (podsim's defaults).

use crate::kubelet_cases_fixtures;

use kubelet_cases_fixtures::*;
use podsim_model::actions::{ContainerToReset, PlanOptions};
use podsim_model::pod::{ContainerRestartRule, ExitCodes, ExitCodesOperator, RestartRuleAction};
use podsim_model::{
    ContainerKind, ContainerState, FeatureGates, KillReason, PodActions, ProbeResult, ProbeResults,
    RestartPolicy, SandboxState,
};

/// `ContainerRestartRules` on.
const RULES_ON: &[&str] = &["ContainerRestartRules=true"];

/// Both gates on, and the pod's `AllContainersRestarting` condition as given.
fn restart_all(restart_all_containers: bool) -> [PlanOptions<'static>; 1] {
    let gates =
        FeatureGates::parse("ContainerRestartRules=true,RestartAllContainersOnContainerExits=true").unwrap();
    [PlanOptions { gates, restart_all_containers, bugs: Default::default(), actuated: None }]
}

fn rule(action: RestartRuleAction, operator: ExitCodesOperator, values: &[i32]) -> ContainerRestartRule {
    ContainerRestartRule { action, exit_codes: ExitCodes { operator, values: values.to_vec() } }
}

/// `restartAllContainersRules`: RestartAllContainers on exit code 1.
fn restart_all_on_1() -> Vec<ContainerRestartRule> {
    vec![rule(RestartRuleAction::RestartAllContainers, ExitCodesOperator::In, &[1])]
}

/// One expected `containerToRemoveInfo`.
fn reset(name: &str, id: &str, kind: ContainerKind, index: usize, kill: bool) -> ContainerToReset {
    ContainerToReset { id: id.to_string().into(), name: name.to_string().into(), kind, index, kill }
}

/// `TestComputePodActionsWithContainerRestartRules` (see the header for the source).
mod with_container_restart_rules {
    use super::*;

    // "restart exited containers if RestartPolicy == Always"
    #[test]
    fn restart_exited_containers_if_restartpolicy_always() {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().containers[0].restart_policy = Some(RestartPolicy::Always);
        pod.spec_mut().containers[1].restart_policy = Some(RestartPolicy::Always);
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.containers[0].state = ContainerState::Exited;
        status.containers[0].exit_code = 0;
        status.containers[1].state = ContainerState::Exited;
        status.containers[1].exit_code = 111;
        let expected = PodActions { containers_to_start: vec![0, 1], ..no_action() };
        check_under(RULES_ON, &pod, &status, &ProbeResults::none(), expected);
    }

    // "restart failed containers if RestartPolicy == OnFailure"
    #[test]
    fn restart_failed_containers_if_restartpolicy_onfailure() {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().containers[0].restart_policy = Some(RestartPolicy::OnFailure);
        pod.spec_mut().containers[1].restart_policy = Some(RestartPolicy::OnFailure);
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.containers[0].state = ContainerState::Exited;
        status.containers[0].exit_code = 0;
        status.containers[1].state = ContainerState::Exited;
        status.containers[1].exit_code = 111;
        let expected = PodActions { containers_to_start: vec![1], ..no_action() };
        check_under(RULES_ON, &pod, &status, &ProbeResults::none(), expected);
    }

    // "restart created but not started containers if RestartPolicy == OnFailure"
    #[test]
    fn restart_created_but_not_started_containers_if_restartpolicy_onfailure() {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().containers[0].restart_policy = Some(RestartPolicy::OnFailure);
        pod.spec_mut().containers[1].restart_policy = Some(RestartPolicy::OnFailure);
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.containers[0].state = ContainerState::Exited;
        status.containers[0].exit_code = 0;
        status.containers[1].state = ContainerState::Created;
        let expected = PodActions { containers_to_start: vec![1], ..no_action() };
        check_under(RULES_ON, &pod, &status, &ProbeResults::none(), expected);
    }

    // "don't restart containers if RestartPolicy == Never"
    #[test]
    fn dont_restart_containers_if_restartpolicy_never() {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().containers[0].restart_policy = Some(RestartPolicy::Never);
        pod.spec_mut().containers[1].restart_policy = Some(RestartPolicy::Never);
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers[0].state = ContainerState::Exited;
        status.containers[0].exit_code = 0;
        status.containers[1].state = ContainerState::Exited;
        status.containers[1].exit_code = 111;
        check_under(RULES_ON, &pod, &status, &ProbeResults::none(), no_action());
    }

    // "Kill pod and recreate all containers (except for the succeeded one) if the pod sandbox is dead"
    #[test]
    fn kill_pod_and_recreate_all_containers_except_for_the_succeeded_one_if_the_pod_sandbox_is_dead() {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().containers[1].restart_policy = Some(RestartPolicy::OnFailure);
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers[1].state = ContainerState::Exited;
        status.containers[1].exit_code = 0;
        let expected = PodActions {
            kill_pod: true,
            create_sandbox: true,
            attempt: 1,
            containers_to_start: vec![0, 2],
            ..no_action()
        };
        check_under(RULES_ON, &pod, &status, &ProbeResults::none(), expected);
    }
}

/// `TestComputePodActionsForRestartAllContainers` (see the header for the source). Each case calls
/// `computePodActions` with its `restartAllContainers` flag; the sandbox is kept, nothing is started
/// unless the case says so.
mod for_restart_all_containers {
    use super::*;

    use ContainerKind::{Init, Regular};

    // "pod not marked for RestartAllContainers"
    #[test]
    fn pod_not_marked_for_restartallcontainers() {
        let (pod, status) = base_pod_and_status();
        check_opts(&restart_all(false), &pod, &status, &ProbeResults::none(), no_action());
    }

    // "pod marked for RestartAllContainers"
    #[test]
    fn pod_marked_for_restartallcontainers() {
        let (pod, status) = base_pod_and_status();
        let expected = PodActions {
            containers_to_reset: vec![
                reset("foo1", "id1", Regular, 0, true),
                reset("foo2", "id2", Regular, 1, true),
                reset("foo3", "id3", Regular, 2, true),
            ],
            ..no_action()
        };
        check_opts(&restart_all(true), &pod, &status, &ProbeResults::none(), expected);
    }

    // "pod marked for RestartAllContainers with init containers"
    #[test]
    fn pod_marked_for_restartallcontainers_with_init_containers() {
        let (pod, status) = base_pod_and_status_with_init_containers();
        let expected = PodActions {
            containers_to_reset: vec![
                reset("init1", "initid1", Init, 0, false),
                reset("init2", "initid2", Init, 1, false),
                reset("init3", "initid3", Init, 2, false),
            ],
            ..no_action()
        };
        check_opts(&restart_all(true), &pod, &status, &ProbeResults::none(), expected);
    }

    // "pod marked for RestartAllContainers with restartable init containers"
    #[test]
    fn pod_marked_for_restartallcontainers_with_restartable_init_containers() {
        let (pod, status) = base_pod_and_status_with_restartable_init_containers();
        let expected = PodActions {
            containers_to_reset: vec![
                reset("restartable-init-1", "initid1", Init, 0, true),
                reset("restartable-init-2", "initid2", Init, 1, true),
                reset("restartable-init-3", "initid3", Init, 2, true),
            ],
            ..no_action()
        };
        check_opts(&restart_all(true), &pod, &status, &ProbeResults::none(), expected);
    }

    // "init container exit triggers RestartAllContainers"
    // (Go: init3 exited and triggers it, init2 is a running sidecar: init1 is removed first, then
    // init2 killed and removed, init3 last.)
    #[test]
    fn init_container_exit_triggers_restartallcontainers() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().init_containers[1].restart_policy = Some(RestartPolicy::Always);
        pod.spec_mut().init_containers[2].restart_policy = Some(RestartPolicy::Never);
        pod.spec_mut().init_containers[2].restart_policy_rules = restart_all_on_1();
        status.containers[1].state = ContainerState::Running;
        status.containers[2].exit_code = 1;
        let expected = PodActions {
            containers_to_reset: vec![
                reset("init1", "initid1", Init, 0, false),
                reset("init2", "initid2", Init, 1, true),
                reset("init3", "initid3", Init, 2, false),
            ],
            ..no_action()
        };
        check_opts(&restart_all(true), &pod, &status, &ProbeResults::none(), expected);
    }

    // "sidecar container exit triggers RestartAllContainres"
    // (Go: restartable-init-3 fails and triggers it; the running foo1 is killed and removed first,
    // then restartable-init-1 and -2, restartable-init-3 last. foo2 and foo3 have no status.)
    #[test]
    fn sidecar_container_exit_triggers_restartallcontainres() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        pod.spec_mut().init_containers[2].restart_policy = Some(RestartPolicy::Always);
        pod.spec_mut().init_containers[2].restart_policy_rules = restart_all_on_1();
        status.containers[2].exit_code = 1;
        status.containers[2].state = ContainerState::Exited;
        status.containers.push(status_of("id1", &pod.spec.containers[0], ContainerState::Running));
        let expected = PodActions {
            containers_to_reset: vec![
                reset("foo1", "id1", Regular, 0, true),
                reset("restartable-init-1", "initid1", Init, 0, true),
                reset("restartable-init-2", "initid2", Init, 1, true),
                reset("restartable-init-3", "initid3", Init, 2, false),
            ],
            ..no_action()
        };
        check_opts(&restart_all(true), &pod, &status, &ProbeResults::none(), expected);
    }

    // "regular container exit triggers RestartAllContainers"
    #[test]
    fn regular_container_exit_triggers_restartallcontainers() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        pod.spec_mut().containers[2].restart_policy = Some(RestartPolicy::Never);
        pod.spec_mut().containers[2].restart_policy_rules = restart_all_on_1();
        status.containers.push(status_of("id1", &pod.spec.containers[0], ContainerState::Running));
        status.containers.push(status_of("id2", &pod.spec.containers[1], ContainerState::Running));
        let mut foo3 = status_of("id3", &pod.spec.containers[2], ContainerState::Exited);
        foo3.exit_code = 1;
        status.containers.push(foo3);
        let expected = PodActions {
            containers_to_reset: vec![
                reset("foo1", "id1", Regular, 0, true),
                reset("foo2", "id2", Regular, 1, true),
                reset("restartable-init-1", "initid1", Init, 0, true),
                reset("restartable-init-2", "initid2", Init, 1, true),
                reset("restartable-init-3", "initid3", Init, 2, true),
                reset("foo3", "id3", Regular, 2, false),
            ],
            ..no_action()
        };
        check_opts(&restart_all(true), &pod, &status, &ProbeResults::none(), expected);
    }

    // "removes past terminated statuses"
    // (Go: foo3 terminated and triggers it; every container started at t0 and restarted at t1;
    // every status is removed, foo3's triggering one last.)
    #[test]
    fn removes_past_terminated_statuses() {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        pod.spec_mut().containers[2].restart_policy = Some(RestartPolicy::Always);
        pod.spec_mut().containers[2].restart_policy_rules = restart_all_on_1();
        let (t0, t1) = (60_000, 120_000);
        status.containers[0].created_at = t1;
        status.containers[1].created_at = t1;
        let mut foo3 = status_of("id3", &pod.spec.containers[2], ContainerState::Exited);
        foo3.exit_code = 1;
        foo3.created_at = t1;
        status.containers[2] = foo3;
        for (i, name) in ["foo1", "foo2", "foo3"].into_iter().enumerate() {
            let mut past =
                status_of(&format!("id{}-past", i + 1), &pod.spec.containers[i], ContainerState::Exited);
            past.name = name.to_string().into();
            past.exit_code = 99;
            past.created_at = t0;
            status.containers.push(past);
        }
        let expected = PodActions {
            containers_to_reset: vec![
                reset("foo1", "id1", Regular, 0, true),
                reset("foo1", "id1-past", Regular, 0, false),
                reset("foo2", "id2", Regular, 1, true),
                reset("foo2", "id2-past", Regular, 1, false),
                reset("foo3", "id3-past", Regular, 2, false),
                reset("foo3", "id3", Regular, 2, false),
            ],
            ..no_action()
        };
        check_opts(&restart_all(true), &pod, &status, &ProbeResults::none(), expected);
    }

    // "all containers removed, start init container"
    #[test]
    fn all_containers_removed_start_init_container() {
        let (pod, _) = base_pod_and_status_with_init_containers();
        let (_, mut status) = base_pod_and_status();
        status.containers.clear();
        let expected = PodActions { init_containers_to_start: vec![0], ..no_action() };
        check_opts(&restart_all(false), &pod, &status, &ProbeResults::none(), expected);
    }

    // "all containers removed, start regular container"
    #[test]
    fn all_containers_removed_start_regular_container() {
        let (pod, mut status) = base_pod_and_status();
        status.containers.clear();
        let expected = PodActions { containers_to_start: vec![0, 1, 2], ..no_action() };
        check_opts(&restart_all(false), &pod, &status, &ProbeResults::none(), expected);
    }
}

/// podsim's own checks of the same rules (not cases of the Go tables).
mod podsim_extras {
    use super::*;

    /// A `Restart` rule restarts a container whose own policy is Never, on a matching exit code only.
    #[test]
    fn a_restart_rule_overrides_the_container_policy_on_a_matching_exit() {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        for c in &mut pod.spec_mut().containers[..2] {
            c.restart_policy = Some(RestartPolicy::Never);
            c.restart_policy_rules = vec![rule(RestartRuleAction::Restart, ExitCodesOperator::In, &[42])];
        }
        status.containers[0].state = ContainerState::Exited;
        status.containers[0].exit_code = 42;
        status.containers[1].state = ContainerState::Exited;
        status.containers[1].exit_code = 1;
        let expected = PodActions { containers_to_start: vec![0], ..no_action() };
        check_under(RULES_ON, &pod, &status, &ProbeResults::none(), expected);
        // With the gate off the kubelet reads the pod's policy only: Never, nothing restarts.
        check_under(&["ContainerRestartRules=false"], &pod, &status, &ProbeResults::none(), no_action());
    }

    /// A running container killed for a failed liveness probe restarts by its own policy (rules are
    /// not read: it has not exited).
    #[test]
    fn a_probe_kill_follows_the_container_policy() {
        let (mut pod, status) = base_pod_and_status();
        let (base_pod, base_status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        pod.spec_mut().containers[1].restart_policy = Some(RestartPolicy::Never);
        let mut probes = ProbeResults::none();
        probes.0.entry("id2".into()).or_default().liveness = Some(ProbeResult::Failure);
        let expected = PodActions {
            containers_to_kill: vec![kill_regular(&base_pod, &base_status, 1, KillReason::LivenessProbe)],
            ..no_action()
        };
        check_under(RULES_ON, &pod, &status, &probes, expected);
    }

    /// A failed plain init container with its own policy Never kills the pod under a pod policy of
    /// Always; with a matching `Restart` rule it is restarted.
    #[test]
    fn a_failed_init_container_follows_its_own_policy_and_rules() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        pod.spec_mut().init_containers[2].restart_policy = Some(RestartPolicy::Never);
        status.containers[2].exit_code = 3;
        check_under(
            RULES_ON,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { kill_pod: true, ..no_action() },
        );
        pod.spec_mut().init_containers[2].restart_policy_rules =
            vec![rule(RestartRuleAction::Restart, ExitCodesOperator::NotIn, &[0])];
        let expected = PodActions { init_containers_to_start: vec![2], ..no_action() };
        check_under(RULES_ON, &pod, &status, &ProbeResults::none(), expected);
    }
}
