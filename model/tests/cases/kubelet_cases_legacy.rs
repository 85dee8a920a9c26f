//! The kubelet's `...WithLegacySidecarContainers` table tests of `computePodActions`, ported case by
//! case: the legacy init-container path (`findNextInitContainerToRun`, one `NextInitContainerToStart`).
//!
//! Source: kubernetes/kubernetes `pkg/kubelet/kuberuntime/kuberuntime_manager_test.go` of the 1.33
//! release (read_file id 79542686; the last release with the legacy path, behind
//! `LegacySidecarContainers`), the same file as kubelet_cases.rs.
//!
//! - `TestComputePodActionsWithInitContainersWithLegacySidecarContainers`: 15 of 15 cases (module
//!   `with_init_containers_with_legacy_sidecar_containers`).
//! - `TestComputePodActionsWithInitAndEphemeralContainersWithLegacySidecarContainers`: 9 of 9 cases
//!   (module `with_init_and_ephemeral_containers_with_legacy_sidecar_containers`). Its opening
//!   re-runs ("make sure existing test cases pass with feature enabled") are `TestComputePodActions`,
//!   which runs outside the gate there (the gate is set inside each subtest), and the first table
//!   here; neither is duplicated.
//!
//! The gate: the Go tests set `LegacySidecarContainers=true` on a 1.33 kubelet, whose legacy path is
//! taken by pods without restartable init containers (the tests' expectations drop
//! `InitContainersToStart` for them, and none of their pods has one). podsim models the legacy path
//! as the 1.28-1.32 kubelet with `SidecarContainers=false`, which takes it for every pod; for these
//! pods the two select the same code, so every case runs under `SidecarContainers=false`.

use crate::kubelet_cases_fixtures;

use kubelet_cases_fixtures::*;
use podsim_model::{
    Container, ContainerState, KillReason, PodActions, ProbeResults, RestartPolicy, SandboxState,
};

/// The legacy path: `SidecarContainers` off.
const LEGACY: &[&str] = &["SidecarContainers=false"];

/// `NextInitContainerToStart: &basePod.Spec.InitContainers[i]` on top of `noAction`.
fn next_init(i: usize) -> PodActions {
    PodActions { next_init_container_to_start: Some(i), ..no_action() }
}

/// `TestComputePodActionsWithInitContainersWithLegacySidecarContainers`.
mod with_init_containers_with_legacy_sidecar_containers {
    use super::*;

    // "initialization completed; start all containers"
    #[test]
    fn initialization_completed_start_all_containers() {
        let (pod, status) = base_pod_and_status_with_init_containers();
        let expected = PodActions { containers_to_start: vec![0, 1, 2], ..no_action() };
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), expected);
    }

    // "no init containers have been started; start the first one"
    #[test]
    fn no_init_containers_have_been_started_start_the_first_one() {
        let (pod, mut status) = base_pod_and_status_with_init_containers();
        status.containers.clear();
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), next_init(0));
    }

    // "initialization in progress; do nothing"
    #[test]
    fn initialization_in_progress_do_nothing() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers[2].state = ContainerState::Running;
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), no_action());
    }

    // "Kill pod and restart the first init container if the pod sandbox is dead"
    #[test]
    fn kill_pod_and_restart_the_first_init_container_if_the_pod_sandbox_is_dead() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.sandboxes[0].state = SandboxState::NotReady;
        let expected = PodActions { kill_pod: true, create_sandbox: true, attempt: 1, ..next_init(0) };
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), expected);
    }

    // "initialization failed; restart the last init container if RestartPolicy == Always"
    #[test]
    fn initialization_failed_restart_the_last_init_container_if_restartpolicy_always() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers[2].exit_code = 137;
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), next_init(2));
    }

    // "initialization failed; restart the last init container if RestartPolicy == OnFailure"
    #[test]
    fn initialization_failed_restart_the_last_init_container_if_restartpolicy_onfailure() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::OnFailure;
        status.containers[2].exit_code = 137;
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), next_init(2));
    }

    // "initialization failed; kill pod if RestartPolicy == Never"
    #[test]
    fn initialization_failed_kill_pod_if_restartpolicy_never() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.containers[2].exit_code = 137;
        check_under(
            LEGACY,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { kill_pod: true, ..no_action() },
        );
    }

    // "init container state unknown; kill and recreate the last init container if RestartPolicy ==
    // Always"
    #[test]
    fn init_container_state_unknown_kill_and_recreate_the_last_init_container_if_restartpolicy_always() {
        unknown_last_init_container_is_killed_and_restarted(RestartPolicy::Always);
    }

    // "init container state unknown; kill and recreate the last init container if RestartPolicy ==
    // OnFailure"
    #[test]
    fn init_container_state_unknown_kill_and_recreate_the_last_init_container_if_restartpolicy_onfailure() {
        unknown_last_init_container_is_killed_and_restarted(RestartPolicy::OnFailure);
    }

    fn unknown_last_init_container_is_killed_and_restarted(policy: RestartPolicy) {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        let (base_pod, base_status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = policy;
        status.containers[2].state = ContainerState::Unknown;
        let expected = PodActions {
            containers_to_kill: vec![kill_init(&base_pod, &base_status, 2, KillReason::Unknown)],
            ..next_init(2)
        };
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), expected);
    }

    // "init container state unknown; kill pod if RestartPolicy == Never"
    #[test]
    fn init_container_state_unknown_kill_pod_if_restartpolicy_never() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.containers[2].state = ContainerState::Unknown;
        check_under(
            LEGACY,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { kill_pod: true, ..no_action() },
        );
    }

    // "Pod sandbox not ready, init container failed, but RestartPolicy == Never; kill pod only"
    #[test]
    fn pod_sandbox_not_ready_init_container_failed_but_restartpolicy_never_kill_pod_only() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.sandboxes[0].state = SandboxState::NotReady;
        let expected = PodActions { kill_pod: true, create_sandbox: false, attempt: 1, ..no_action() };
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), expected);
    }

    // "Pod sandbox not ready, and RestartPolicy == Never, but no visible init containers;  create a
    // new pod sandbox"
    #[test]
    fn pod_sandbox_not_ready_and_restartpolicy_never_but_no_visible_init_containers_create_a_new_pod_sandbox()
    {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers.clear();
        let expected = PodActions { kill_pod: true, create_sandbox: true, attempt: 1, ..next_init(0) };
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), expected);
    }

    // "Pod sandbox not ready, init container failed, and RestartPolicy == OnFailure; create a new pod
    // sandbox"
    #[test]
    fn pod_sandbox_not_ready_init_container_failed_and_restartpolicy_onfailure_create_a_new_pod_sandbox() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::OnFailure;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers[2].exit_code = 137;
        let expected = PodActions { kill_pod: true, create_sandbox: true, attempt: 1, ..next_init(0) };
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), expected);
    }

    // "some of the init container statuses are missing but the last init container is running, don't
    // restart preceding ones"
    #[test]
    fn some_of_the_init_container_statuses_are_missing_but_the_last_init_container_is_running_dont_restart_preceding_ones(
    ) {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers[2].state = ContainerState::Running;
        status.containers.drain(..2);
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), no_action());
    }

    // "an init container is in the created state due to an unknown error when starting container;
    // restart it"
    #[test]
    fn an_init_container_is_in_the_created_state_due_to_an_unknown_error_when_starting_container_restart_it()
    {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers[2].state = ContainerState::Created;
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), next_init(2));
    }
}

/// `TestComputePodActionsWithInitAndEphemeralContainersWithLegacySidecarContainers`.
mod with_init_and_ephemeral_containers_with_legacy_sidecar_containers {
    use super::*;

    // "steady state; do nothing; ignore ephemeral container"
    #[test]
    fn steady_state_do_nothing_ignore_ephemeral_container() {
        let (pod, status) = base_pod_and_status_with_init_and_ephemeral_containers();
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), no_action());
    }

    // "No ephemeral containers running; start one"
    #[test]
    fn no_ephemeral_containers_running_start_one() {
        let (pod, mut status) = base_pod_and_status_with_init_and_ephemeral_containers();
        status.containers.truncate(4);
        let expected = PodActions { ephemeral_containers_to_start: vec![0], ..no_action() };
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), expected);
    }

    // "Start second ephemeral container"
    #[test]
    fn start_second_ephemeral_container() {
        let (mut pod, status) = base_pod_and_status_with_init_and_ephemeral_containers();
        pod.spec_mut().ephemeral_containers.push(Container::new("debug2", "busybox"));
        let expected = PodActions { ephemeral_containers_to_start: vec![1], ..no_action() };
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), expected);
    }

    // "Ephemeral container exited; do not restart"
    #[test]
    fn ephemeral_container_exited_do_not_restart() {
        let (mut pod, mut status) = base_pod_and_status_with_init_and_ephemeral_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers[4].state = ContainerState::Exited;
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), no_action());
    }

    // "initialization in progress; start ephemeral container"
    #[test]
    fn initialization_in_progress_start_ephemeral_container() {
        let (pod, mut status) = base_pod_and_status_with_init_and_ephemeral_containers();
        status.containers[3].state = ContainerState::Running;
        status.containers.truncate(4);
        let expected = PodActions { ephemeral_containers_to_start: vec![0], ..no_action() };
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), expected);
    }

    // "Create a new pod sandbox if the pod sandbox is dead, init container failed and RestartPolicy ==
    // OnFailure"
    #[test]
    fn create_a_new_pod_sandbox_if_the_pod_sandbox_is_dead_init_container_failed_and_restartpolicy_onfailure()
    {
        let (mut pod, mut status) = base_pod_and_status_with_init_and_ephemeral_containers();
        pod.spec_mut().restart_policy = RestartPolicy::OnFailure;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers.drain(..3);
        status.containers[0].exit_code = 137;
        let expected = PodActions { kill_pod: true, create_sandbox: true, attempt: 1, ..next_init(0) };
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), expected);
    }

    // "Kill pod and do not restart ephemeral container if the pod sandbox is dead"
    #[test]
    fn kill_pod_and_do_not_restart_ephemeral_container_if_the_pod_sandbox_is_dead() {
        let (mut pod, mut status) = base_pod_and_status_with_init_and_ephemeral_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.sandboxes[0].state = SandboxState::NotReady;
        let expected = PodActions { kill_pod: true, create_sandbox: true, attempt: 1, ..next_init(0) };
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), expected);
    }

    // "Kill pod if all containers exited except ephemeral container"
    #[test]
    fn kill_pod_if_all_containers_exited_except_ephemeral_container() {
        let (mut pod, mut status) = base_pod_and_status_with_init_and_ephemeral_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        // all regular containers exited
        for c in &mut status.containers[..3] {
            c.state = ContainerState::Exited;
            c.exit_code = 0;
        }
        let expected = PodActions { create_sandbox: false, kill_pod: true, ..no_action() };
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), expected);
    }

    // "Ephemeral container is in unknown state; leave it alone"
    #[test]
    fn ephemeral_container_is_in_unknown_state_leave_it_alone() {
        let (mut pod, mut status) = base_pod_and_status_with_init_and_ephemeral_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.containers[4].state = ContainerState::Unknown;
        check_under(LEGACY, &pod, &status, &ProbeResults::none(), no_action());
    }
}

/// Survivor `model/src/actions/legacy.rs:40:80: replace == with != in find_next_init_container_to_run`
/// (not a ported case). `findNextInitContainerToRun` takes initialisation as done only when a regular
/// container is RUNNING (`status.State == kubecontainer.ContainerStateRunning`); one that has only
/// exited (its status kept from an earlier sandbox) does not end it: the next init container starts.
#[test]
fn an_exited_regular_container_does_not_end_initialisation() {
    let (mut pod, mut status) = base_pod_and_status_with_init_containers();
    pod.spec_mut().restart_policy = RestartPolicy::Always;
    status.containers.truncate(1);
    let foo1 = pod.spec.containers[0].clone();
    status.containers.push(kubelet_cases_fixtures::status_of("id1", &foo1, ContainerState::Exited));
    check_under(LEGACY, &pod, &status, &ProbeResults::none(), next_init(1));

    // Running, it does: the other regular containers start, no init container does.
    status.containers[1].state = ContainerState::Running;
    let expected = PodActions { containers_to_start: vec![1, 2], ..no_action() };
    check_under(LEGACY, &pod, &status, &ProbeResults::none(), expected);
}
