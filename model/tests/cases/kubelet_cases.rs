//! The kubelet's own table tests of `computePodActions`, ported case by case.
//!
//! Source: kubernetes/kubernetes `pkg/kubelet/kuberuntime/kuberuntime_manager_test.go` of the 1.33
//! release (read_file id 79542686, 130k characters, the newest version in the search index: it
//! still carries the `...WithLegacySidecarContainers` twins, removed in 1.34). Each Go test is a
//! module, each case of its table a `#[test]` named after the case's description (snake_case,
//! apostrophes dropped), with the original description string in a comment above it. The fixtures
//! (`makeBasePodAndStatus...`, the kill maps, `verifyActions`) are in `kubelet_cases_fixtures/`;
//! every case runs under each `--feature-gates` list of its module's `GATES`.
//!
//! Ported here (kubelet_cases.rs):
//!
//! - `TestComputePodActions`: 17 of 17 cases (module `compute_pod_actions`), with
//!   ContainerRestartRules on and off: the 1.33 file ran them without the gate (off), and
//!   `TestComputePodActionsWithContainerRestartRules` re-runs them with it on.
//! - `TestComputePodActionsWithInitContainers`: 15 of 15 cases (module `with_init_containers`),
//!   ContainerRestartRules on and off, for the same reason.
//! - `TestComputePodActionsWithRestartableInitContainers`: 24 of 24 cases (module
//!   `with_restartable_init_containers`), default gates.
//! - `TestComputePodActionsWithInitAndEphemeralContainers`: 9 of 9 cases (module
//!   `with_init_and_ephemeral_containers`), default gates. The Go test also re-runs
//!   `TestComputePodActions` and `TestComputePodActionsWithInitContainers` first ("make sure existing
//!   test cases pass with feature enabled"); those are the cases above and are not duplicated.
//!
//! In the sibling files (one file per gate, to keep each under ~2,000 lines):
//!
//! - kubelet_cases_legacy.rs: `TestComputePodActionsWithInitContainersWithLegacySidecarContainers`
//!   (15 of 15) and `TestComputePodActionsWithInitAndEphemeralContainersWithLegacySidecarContainers`
//!   (9 of 9), under `SidecarContainers=false` (the Go tests set `LegacySidecarContainers=true`; see
//!   that file for why the two select the same path for these pods).
//! - kubelet_cases_resize.rs: `TestComputePodActionsForPodResize` (10 of 10), under
//!   `InPlacePodVerticalScaling=true`, and podsim's own resize checks.
//! - kubelet_cases_restart_rules.rs: `TestComputePodActionsWithContainerRestartRules` (5 of 5) and
//!   `TestComputePodActionsForRestartAllContainers` (10 of 10), added to the Go file in 1.34 and 1.35,
//!   after the 1.33 version above; ported from a newer version of the file (yuanwang04/kubernetes,
//!   read_file id 59066912794), see that file's header.
//!
//! Not ported: the tests of the runtime side (`TestUpdatePodContainerResources`,
//! `TestDoPodResizeAction`, `SyncPod` tests), which are the kubelet model's and the runtime's, not
//! `computePodActions`'.
//!
//! How the Go fixtures map to ours:
//!
//! - The Go pods leave `spec.restartPolicy` empty unless a case sets it; the kubelet treats "" like
//!   Always (`shouldRestartOnFailure` is `!= Never`, `ShouldContainerBeRestarted` only special-cases
//!   Never and OnFailure), and our `Pod::new` defaults to Always.
//! - `kubecontainer.PodStatus.ContainerStatuses` keeps the Go order exactly (the first status with a
//!   name is the one `FindContainerStatusByName` returns); statuses carry `container.hash()` as the Go
//!   ones carry `kubecontainer.HashContainer(&c)`.
//! - `m.livenessManager.Set(id, r, pod)` / `m.startupManager.Set(...)` become entries of
//!   [`ProbeResults`]; `Remove` clears the entry. Each case starts from the probe results the Go loop
//!   sets before calling its `mutateStatusFn` (none, except for the restartable init containers).
//! - Go's `InitContainersToStart`, `ContainersToStart` and `EphemeralContainersToStart` being nil or
//!   empty both mean an empty Vec; `NextInitContainerToStart: &pod.Spec.InitContainers[i]` is
//!   `next_init_container_to_start: Some(i)`; `ContainersToUpdate` nil or empty is an empty map.
//! - `ContainersToKill` (`getKillMap` / `getKillMapWithInitContainers`, keyed by container id, holding
//!   the spec container and its name) is compared as a set of (id, name, kind, index, reason): kind
//!   and index say which spec container the Go map points at. Go's `verifyActions` blanks message and
//!   reason; we check that a message is present, and the reason the kubelet would give on that path
//!   (`DefinitionChanged` where the kubelet leaves the reason empty).

use crate::kubelet_cases_fixtures;

use kubelet_cases_fixtures::*;
use podsim_model::shared_str::SharedStr;
use podsim_model::{
    Container, ContainerState, ContainerStatus, KillReason, Pod, PodActions, ProbeResult, ProbeResults,
    RestartPolicy, SandboxState,
};

/// `TestComputePodActions`.
mod compute_pod_actions {
    use super::*;

    /// The 1.33 file ran these with ContainerRestartRules absent (off);
    /// `TestComputePodActionsWithContainerRestartRules` re-runs them with it on.
    const GATES: &[&str] = &["", "ContainerRestartRules=false"];

    // "everything is good; do nothing"
    #[test]
    fn everything_is_good_do_nothing() {
        let (pod, status) = base_pod_and_status();
        check_under(GATES, &pod, &status, &ProbeResults::none(), no_action());
    }

    // "start pod sandbox and all containers for a new pod"
    #[test]
    fn start_pod_sandbox_and_all_containers_for_a_new_pod() {
        let (pod, mut status) = base_pod_and_status();
        // No container or sandbox exists.
        status.sandboxes.clear();
        status.containers.clear();
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions {
                kill_pod: true,
                create_sandbox: true,
                attempt: 0,
                containers_to_start: vec![0, 1, 2],
                ..actions()
            },
        );
    }

    // "restart exited containers if RestartPolicy == Always"
    #[test]
    fn restart_exited_containers_if_restartpolicy_always() {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        // The first container completed, restart it.
        status.containers[0].state = ContainerState::Exited;
        status.containers[0].exit_code = 0;
        // The second container exited with failure, restart it.
        status.containers[1].state = ContainerState::Exited;
        status.containers[1].exit_code = 111;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { containers_to_start: vec![0, 1], ..no_action() },
        );
    }

    // "restart failed containers if RestartPolicy == OnFailure"
    #[test]
    fn restart_failed_containers_if_restartpolicy_onfailure() {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::OnFailure;
        // The first container completed, don't restart it.
        status.containers[0].state = ContainerState::Exited;
        status.containers[0].exit_code = 0;
        // The second container exited with failure, restart it.
        status.containers[1].state = ContainerState::Exited;
        status.containers[1].exit_code = 111;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { containers_to_start: vec![1], ..no_action() },
        );
    }

    // "restart created but not started containers if RestartPolicy == OnFailure"
    #[test]
    fn restart_created_but_not_started_containers_if_restartpolicy_onfailure() {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::OnFailure;
        // The first container completed, don't restart it.
        status.containers[0].state = ContainerState::Exited;
        status.containers[0].exit_code = 0;
        // The second container was created, but never started.
        status.containers[1].state = ContainerState::Created;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { containers_to_start: vec![1], ..no_action() },
        );
    }

    // "don't restart containers if RestartPolicy == Never"
    #[test]
    fn dont_restart_containers_if_restartpolicy_never() {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        // Don't restart any containers.
        status.containers[0].state = ContainerState::Exited;
        status.containers[0].exit_code = 0;
        status.containers[1].state = ContainerState::Exited;
        status.containers[1].exit_code = 111;
        check_under(GATES, &pod, &status, &ProbeResults::none(), no_action());
    }

    // "Kill pod and recreate everything if the pod sandbox is dead, and RestartPolicy == Always"
    #[test]
    fn kill_pod_and_recreate_everything_if_the_pod_sandbox_is_dead_and_restartpolicy_always() {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.sandboxes[0].state = SandboxState::NotReady;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions {
                kill_pod: true,
                create_sandbox: true,
                attempt: 1,
                containers_to_start: vec![0, 1, 2],
                ..no_action()
            },
        );
    }

    // "Kill pod and recreate all containers (except for the succeeded one) if the pod sandbox is dead,
    // and RestartPolicy == OnFailure"
    #[test]
    fn kill_pod_and_recreate_all_containers_except_for_the_succeeded_one_if_the_pod_sandbox_is_dead_and_restartpolicy_onfailure(
    ) {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::OnFailure;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers[1].state = ContainerState::Exited;
        status.containers[1].exit_code = 0;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions {
                kill_pod: true,
                create_sandbox: true,
                attempt: 1,
                containers_to_start: vec![0, 2],
                ..no_action()
            },
        );
    }

    // "Kill pod and recreate all containers if the PodSandbox does not have an IP"
    #[test]
    fn kill_pod_and_recreate_all_containers_if_the_podsandbox_does_not_have_an_ip() {
        let (pod, mut status) = base_pod_and_status();
        status.sandboxes[0].ip = SharedStr::EMPTY;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions {
                kill_pod: true,
                create_sandbox: true,
                attempt: 1,
                containers_to_start: vec![0, 1, 2],
                ..no_action()
            },
        );
    }

    // "Kill and recreate the container if the container's spec changed"
    #[test]
    fn kill_and_recreate_the_container_if_the_containers_spec_changed() {
        let (base_pod, base_status) = base_pod_and_status();
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers[1].hash = 432423432;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions {
                containers_to_kill: vec![kill_regular(
                    &base_pod,
                    &base_status,
                    1,
                    KillReason::DefinitionChanged,
                )],
                containers_to_start: vec![1],
                ..no_action()
            },
        );
    }

    // "Kill and recreate the container if the liveness check has failed"
    #[test]
    fn kill_and_recreate_the_container_if_the_liveness_check_has_failed() {
        let (base_pod, base_status) = base_pod_and_status();
        let (mut pod, status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        let mut probes = ProbeResults::none();
        set_liveness(&mut probes, &status.containers[1].id, ProbeResult::Failure);
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions {
                containers_to_kill: vec![kill_regular(&base_pod, &base_status, 1, KillReason::LivenessProbe)],
                containers_to_start: vec![1],
                ..no_action()
            },
        );
    }

    // "Kill and recreate the container if the startup check has failed"
    #[test]
    fn kill_and_recreate_the_container_if_the_startup_check_has_failed() {
        let (base_pod, base_status) = base_pod_and_status();
        let (mut pod, status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        let mut probes = ProbeResults::none();
        set_startup(&mut probes, &status.containers[1].id, ProbeResult::Failure);
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions {
                containers_to_kill: vec![kill_regular(&base_pod, &base_status, 1, KillReason::StartupProbe)],
                containers_to_start: vec![1],
                ..no_action()
            },
        );
    }

    // "Verify we do not create a pod sandbox if no ready sandbox for pod with RestartPolicy=Never and
    // all containers exited"
    #[test]
    fn verify_we_do_not_create_a_pod_sandbox_if_no_ready_sandbox_for_pod_with_restartpolicy_never_and_all_containers_exited(
    ) {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        // no ready sandbox
        status.sandboxes[0].state = SandboxState::NotReady;
        status.sandboxes[0].attempt = 1;
        // all containers exited
        for c in &mut status.containers {
            c.state = ContainerState::Exited;
            c.exit_code = 0;
        }
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { attempt: 2, create_sandbox: false, kill_pod: true, ..no_action() },
        );
    }

    // "Verify we do not create a pod sandbox if no ready sandbox for pod with RestartPolicy=OnFailure
    // and all containers succeeded"
    #[test]
    fn verify_we_do_not_create_a_pod_sandbox_if_no_ready_sandbox_for_pod_with_restartpolicy_onfailure_and_all_containers_succeeded(
    ) {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::OnFailure;
        // no ready sandbox
        status.sandboxes[0].state = SandboxState::NotReady;
        status.sandboxes[0].attempt = 1;
        // all containers succeeded
        for c in &mut status.containers {
            c.state = ContainerState::Exited;
            c.exit_code = 0;
        }
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { attempt: 2, create_sandbox: false, kill_pod: true, ..no_action() },
        );
    }

    // "Verify we create a pod sandbox if no ready sandbox for pod with RestartPolicy=Never and no
    // containers have ever been created"
    #[test]
    fn verify_we_create_a_pod_sandbox_if_no_ready_sandbox_for_pod_with_restartpolicy_never_and_no_containers_have_ever_been_created(
    ) {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        // no ready sandbox
        status.sandboxes[0].state = SandboxState::NotReady;
        status.sandboxes[0].attempt = 2;
        // no visible containers
        status.containers.clear();
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions {
                attempt: 3,
                create_sandbox: true,
                kill_pod: true,
                containers_to_start: vec![0, 1, 2],
                ..no_action()
            },
        );
    }

    // "Kill and recreate the container if the container is in unknown state"
    #[test]
    fn kill_and_recreate_the_container_if_the_container_is_in_unknown_state() {
        let (base_pod, base_status) = base_pod_and_status();
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.containers[1].state = ContainerState::Unknown;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions {
                containers_to_kill: vec![kill_regular(&base_pod, &base_status, 1, KillReason::Unknown)],
                containers_to_start: vec![1],
                ..no_action()
            },
        );
    }

    // "Restart the container if the container is in created state"
    #[test]
    fn restart_the_container_if_the_container_is_in_created_state() {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.containers[1].state = ContainerState::Created;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { containers_to_start: vec![1], ..no_action() },
        );
    }
}

/// `TestComputePodActionsWithInitContainers`.
mod with_init_containers {
    use super::*;

    /// Off as in the 1.33 file, and on as `TestComputePodActionsWithContainerRestartRules` re-runs them.
    const GATES: &[&str] = &["", "ContainerRestartRules=false"];

    // "initialization completed; start all containers"
    #[test]
    fn initialization_completed_start_all_containers() {
        let (pod, status) = base_pod_and_status_with_init_containers();
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { containers_to_start: vec![0, 1, 2], ..no_action() },
        );
    }

    // "no init containers have been started; start the first one"
    #[test]
    fn no_init_containers_have_been_started_start_the_first_one() {
        let (pod, mut status) = base_pod_and_status_with_init_containers();
        status.containers.clear();
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { init_containers_to_start: vec![0], ..no_action() },
        );
    }

    // "initialization in progress; do nothing"
    #[test]
    fn initialization_in_progress_do_nothing() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers[2].state = ContainerState::Running;
        check_under(GATES, &pod, &status, &ProbeResults::none(), no_action());
    }

    // "Kill pod and restart the first init container if the pod sandbox is dead"
    #[test]
    fn kill_pod_and_restart_the_first_init_container_if_the_pod_sandbox_is_dead() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.sandboxes[0].state = SandboxState::NotReady;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions {
                kill_pod: true,
                create_sandbox: true,
                attempt: 1,
                init_containers_to_start: vec![0],
                ..no_action()
            },
        );
    }

    // "initialization failed; restart the last init container if RestartPolicy == Always"
    #[test]
    fn initialization_failed_restart_the_last_init_container_if_restartpolicy_always() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers[2].exit_code = 137;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { init_containers_to_start: vec![2], ..no_action() },
        );
    }

    // "initialization failed; restart the last init container if RestartPolicy == OnFailure"
    #[test]
    fn initialization_failed_restart_the_last_init_container_if_restartpolicy_onfailure() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::OnFailure;
        status.containers[2].exit_code = 137;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { init_containers_to_start: vec![2], ..no_action() },
        );
    }

    // "initialization failed; kill pod if RestartPolicy == Never"
    #[test]
    fn initialization_failed_kill_pod_if_restartpolicy_never() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.containers[2].exit_code = 137;
        check_under(
            GATES,
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
        let (base_pod, base_status) = base_pod_and_status_with_init_containers();
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers[2].state = ContainerState::Unknown;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions {
                init_containers_to_start: vec![2],
                containers_to_kill: vec![kill_init(&base_pod, &base_status, 2, KillReason::Unknown)],
                ..no_action()
            },
        );
    }

    // "init container state unknown; kill and recreate the last init container if RestartPolicy ==
    // OnFailure"
    #[test]
    fn init_container_state_unknown_kill_and_recreate_the_last_init_container_if_restartpolicy_onfailure() {
        let (base_pod, base_status) = base_pod_and_status_with_init_containers();
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::OnFailure;
        status.containers[2].state = ContainerState::Unknown;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions {
                init_containers_to_start: vec![2],
                containers_to_kill: vec![kill_init(&base_pod, &base_status, 2, KillReason::Unknown)],
                ..no_action()
            },
        );
    }

    // "init container state unknown; kill pod if RestartPolicy == Never"
    #[test]
    fn init_container_state_unknown_kill_pod_if_restartpolicy_never() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.containers[2].state = ContainerState::Unknown;
        check_under(
            GATES,
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
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { kill_pod: true, create_sandbox: false, attempt: 1, ..no_action() },
        );
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
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions {
                kill_pod: true,
                create_sandbox: true,
                attempt: 1,
                init_containers_to_start: vec![0],
                ..no_action()
            },
        );
    }

    // "Pod sandbox not ready, init container failed, and RestartPolicy == OnFailure; create a new pod
    // sandbox"
    #[test]
    fn pod_sandbox_not_ready_init_container_failed_and_restartpolicy_onfailure_create_a_new_pod_sandbox() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::OnFailure;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers[2].exit_code = 137;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions {
                kill_pod: true,
                create_sandbox: true,
                attempt: 1,
                init_containers_to_start: vec![0],
                ..no_action()
            },
        );
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
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { kill_pod: false, ..no_action() },
        );
    }

    // "an init container is in the created state due to an unknown error when starting container;
    // restart it"
    #[test]
    fn an_init_container_is_in_the_created_state_due_to_an_unknown_error_when_starting_container_restart_it()
    {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers[2].state = ContainerState::Created;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { kill_pod: false, init_containers_to_start: vec![2], ..no_action() },
        );
    }
}

/// `TestComputePodActionsWithRestartableInitContainers`. Every case starts from
/// [`restartable_base_probes`], as the Go loop sets those results before each case.
mod with_restartable_init_containers {
    use super::*;

    /// The default gates.
    const GATES: &[&str] = &[""];

    /// The running regular containers foo1..foo3 (id1..id3) or their exited-with-0 statuses, as the
    /// Go cases append them after the init container statuses.
    fn regular_statuses(pod: &Pod, state: ContainerState) -> Vec<ContainerStatus> {
        (1..=3).map(|i| status_of(&format!("id{i}"), &pod.spec.containers[i - 1], state)).collect()
    }

    // "initialization completed; start all containers"
    #[test]
    fn initialization_completed_start_all_containers() {
        let (pod, status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions { containers_to_start: vec![0, 1, 2], ..no_action() },
        );
    }

    // "no init containers have been started; start the first one"
    #[test]
    fn no_init_containers_have_been_started_start_the_first_one() {
        let (pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        status.containers.clear();
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions { init_containers_to_start: vec![0], ..no_action() },
        );
    }

    // "an init container is stuck in the created state; restart it"
    #[test]
    fn an_init_container_is_stuck_in_the_created_state_restart_it() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers[2].state = ContainerState::Created;
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions { init_containers_to_start: vec![2], ..no_action() },
        );
    }

    // "restartable init container has started; start the next"
    #[test]
    fn restartable_init_container_has_started_start_the_next() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers.truncate(1);
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions { init_containers_to_start: vec![1], ..no_action() },
        );
    }

    // "livenessProbe has not been run; start the nothing"
    #[test]
    fn livenessprobe_has_not_been_run_start_the_nothing() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let mut probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        remove_liveness(&mut probes, &status.containers[1].id);
        status.containers.truncate(2);
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions { init_containers_to_start: vec![2], ..no_action() },
        );
    }

    // "livenessProbe in progress; start the next"
    #[test]
    fn livenessprobe_in_progress_start_the_next() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let mut probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        set_liveness(&mut probes, &status.containers[1].id, ProbeResult::Unknown);
        status.containers.truncate(2);
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions { init_containers_to_start: vec![2], ..no_action() },
        );
    }

    // "livenessProbe has completed; start the next"
    #[test]
    fn livenessprobe_has_completed_start_the_next() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers.truncate(2);
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions { init_containers_to_start: vec![2], ..no_action() },
        );
    }

    // "kill and recreate the restartable init container if the liveness check has failed"
    #[test]
    fn kill_and_recreate_the_restartable_init_container_if_the_liveness_check_has_failed() {
        let (base_pod, base_status) = base_pod_and_status_with_restartable_init_containers();
        let (mut pod, status) = base_pod_and_status_with_restartable_init_containers();
        let mut probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        set_liveness(&mut probes, &status.containers[2].id, ProbeResult::Failure);
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions {
                init_containers_to_start: vec![2],
                containers_to_kill: vec![kill_init(&base_pod, &base_status, 2, KillReason::LivenessProbe)],
                containers_to_start: vec![0, 1, 2],
                ..no_action()
            },
        );
    }

    // "startupProbe has not been run; do nothing"
    #[test]
    fn startupprobe_has_not_been_run_do_nothing() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let mut probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        remove_startup(&mut probes, &status.containers[1].id);
        status.containers.truncate(2);
        check_under(GATES, &pod, &status, &probes, no_action());
    }

    // "startupProbe in progress; do nothing"
    #[test]
    fn startupprobe_in_progress_do_nothing() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let mut probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        set_startup(&mut probes, &status.containers[1].id, ProbeResult::Unknown);
        status.containers.truncate(2);
        check_under(GATES, &pod, &status, &probes, no_action());
    }

    // "startupProbe has completed; start the next"
    #[test]
    fn startupprobe_has_completed_start_the_next() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers.truncate(2);
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions { init_containers_to_start: vec![2], ..no_action() },
        );
    }

    // "kill and recreate the restartable init container if the startup check has failed"
    #[test]
    fn kill_and_recreate_the_restartable_init_container_if_the_startup_check_has_failed() {
        let (base_pod, base_status) = base_pod_and_status_with_restartable_init_containers();
        let (mut pod, status) = base_pod_and_status_with_restartable_init_containers();
        let mut probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        pod.spec_mut().init_containers[2].startup_probe =
            Some(podsim_model::pod::Probe::exec(&["workload", "check", "started"]));
        set_startup(&mut probes, &status.containers[2].id, ProbeResult::Failure);
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions {
                init_containers_to_start: vec![2],
                containers_to_kill: vec![kill_init(&base_pod, &base_status, 2, KillReason::StartupProbe)],
                ..no_action()
            },
        );
    }

    // "kill and recreate the restartable init container if the container definition changes"
    #[test]
    fn kill_and_recreate_the_restartable_init_container_if_the_container_definition_changes() {
        let (base_pod, base_status) = base_pod_and_status_with_restartable_init_containers();
        let (mut pod, status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        pod.spec_mut().init_containers[2].set_image("foo-image");
        // Go's modifyKillMapContainerImage only swaps the image of the container the kill entry points
        // at: still init container 2, under the same id and name.
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions {
                init_containers_to_start: vec![2],
                containers_to_kill: vec![kill_init(
                    &base_pod,
                    &base_status,
                    2,
                    KillReason::DefinitionChanged,
                )],
                containers_to_start: vec![0, 1, 2],
                ..no_action()
            },
        );
    }

    // "restart terminated restartable init container and next init container"
    #[test]
    fn restart_terminated_restartable_init_container_and_next_init_container() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers[0].state = ContainerState::Exited;
        status.containers[2].state = ContainerState::Exited;
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions { init_containers_to_start: vec![0, 2], ..no_action() },
        );
    }

    // "restart terminated restartable init container and regular containers"
    #[test]
    fn restart_terminated_restartable_init_container_and_regular_containers() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers[0].state = ContainerState::Exited;
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions {
                init_containers_to_start: vec![0],
                containers_to_start: vec![0, 1, 2],
                ..no_action()
            },
        );
    }

    // "Pod sandbox not ready, restartable init container failed, but RestartPolicy == Never; kill pod
    // only"
    #[test]
    fn pod_sandbox_not_ready_restartable_init_container_failed_but_restartpolicy_never_kill_pod_only() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers[2].state = ContainerState::Exited;
        status.containers[2].exit_code = 137;
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions { kill_pod: true, create_sandbox: false, attempt: 1, ..no_action() },
        );
    }

    // "Pod sandbox not ready, and RestartPolicy == Never, but no visible restartable init containers;
    // create a new pod sandbox"
    #[test]
    fn pod_sandbox_not_ready_and_restartpolicy_never_but_no_visible_restartable_init_containers_create_a_new_pod_sandbox(
    ) {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers.clear();
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions {
                kill_pod: true,
                create_sandbox: true,
                attempt: 1,
                init_containers_to_start: vec![0],
                ..no_action()
            },
        );
    }

    // "Pod sandbox not ready, restartable init container failed, and RestartPolicy == OnFailure;
    // create a new pod sandbox"
    #[test]
    fn pod_sandbox_not_ready_restartable_init_container_failed_and_restartpolicy_onfailure_create_a_new_pod_sandbox(
    ) {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::OnFailure;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers[2].state = ContainerState::Exited;
        status.containers[2].exit_code = 137;
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions {
                kill_pod: true,
                create_sandbox: true,
                attempt: 1,
                init_containers_to_start: vec![0],
                ..no_action()
            },
        );
    }

    // "Pod sandbox not ready, restartable init container failed, and RestartPolicy == Always; create a
    // new pod sandbox"
    #[test]
    fn pod_sandbox_not_ready_restartable_init_container_failed_and_restartpolicy_always_create_a_new_pod_sandbox(
    ) {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers[2].state = ContainerState::Exited;
        status.containers[2].exit_code = 137;
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions {
                kill_pod: true,
                create_sandbox: true,
                attempt: 1,
                init_containers_to_start: vec![0],
                ..no_action()
            },
        );
    }

    // "initialization failed; restart the last restartable init container even if pod's RestartPolicy
    // == Never"
    #[test]
    fn initialization_failed_restart_the_last_restartable_init_container_even_if_pods_restartpolicy_never() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.containers[2].state = ContainerState::Exited;
        status.containers[2].exit_code = 137;
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions { init_containers_to_start: vec![2], ..no_action() },
        );
    }

    // "restartable init container state unknown; kill and recreate the last restartable init container
    // even if pod's RestartPolicy == Never"
    #[test]
    fn restartable_init_container_state_unknown_kill_and_recreate_the_last_restartable_init_container_even_if_pods_restartpolicy_never(
    ) {
        let (base_pod, base_status) = base_pod_and_status_with_restartable_init_containers();
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.containers[2].state = ContainerState::Unknown;
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions {
                init_containers_to_start: vec![2],
                containers_to_kill: vec![kill_init(&base_pod, &base_status, 2, KillReason::Unknown)],
                ..no_action()
            },
        );
    }

    // "restart restartable init container if regular containers are running even if pod's
    // RestartPolicy == Never"
    #[test]
    fn restart_restartable_init_container_if_regular_containers_are_running_even_if_pods_restartpolicy_never()
    {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.containers[2].state = ContainerState::Exited;
        status.containers[2].exit_code = 137;
        // all main containers are running
        status.containers.extend(regular_statuses(&pod, ContainerState::Running));
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions { init_containers_to_start: vec![2], ..no_action() },
        );
    }

    // "kill the pod if all main containers succeeded if pod's RestartPolicy == Never"
    #[test]
    fn kill_the_pod_if_all_main_containers_succeeded_if_pods_restartpolicy_never() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        // all main containers succeeded
        status.containers.extend(regular_statuses(&pod, ContainerState::Exited));
        check_under(GATES, &pod, &status, &probes, PodActions { kill_pod: true, ..no_action() });
    }

    // "some of the init container statuses are missing but the last init container is running,
    // restart restartable init and regular containers"
    #[test]
    fn some_of_the_init_container_statuses_are_missing_but_the_last_init_container_is_running_restart_restartable_init_and_regular_containers(
    ) {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers.drain(..2);
        check_under(
            GATES,
            &pod,
            &status,
            &probes,
            PodActions {
                init_containers_to_start: vec![0, 1],
                containers_to_start: vec![0, 1, 2],
                ..no_action()
            },
        );
    }
}

/// `TestComputePodActionsWithInitAndEphemeralContainers`.
mod with_init_and_ephemeral_containers {
    use super::*;

    /// The default gates.
    const GATES: &[&str] = &[""];

    // "steady state; do nothing; ignore ephemeral container"
    #[test]
    fn steady_state_do_nothing_ignore_ephemeral_container() {
        let (pod, status) = base_pod_and_status_with_init_and_ephemeral_containers();
        check_under(GATES, &pod, &status, &ProbeResults::none(), no_action());
    }

    // "No ephemeral containers running; start one"
    #[test]
    fn no_ephemeral_containers_running_start_one() {
        let (pod, mut status) = base_pod_and_status_with_init_and_ephemeral_containers();
        status.containers.truncate(4);
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { ephemeral_containers_to_start: vec![0], ..no_action() },
        );
    }

    // "Start second ephemeral container"
    #[test]
    fn start_second_ephemeral_container() {
        let (mut pod, status) = base_pod_and_status_with_init_and_ephemeral_containers();
        pod.spec_mut().ephemeral_containers.push(Container::new("debug2", "busybox"));
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { ephemeral_containers_to_start: vec![1], ..no_action() },
        );
    }

    // "Ephemeral container exited; do not restart"
    #[test]
    fn ephemeral_container_exited_do_not_restart() {
        let (mut pod, mut status) = base_pod_and_status_with_init_and_ephemeral_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.containers[4].state = ContainerState::Exited;
        check_under(GATES, &pod, &status, &ProbeResults::none(), no_action());
    }

    // "initialization in progress; start ephemeral container"
    #[test]
    fn initialization_in_progress_start_ephemeral_container() {
        let (pod, mut status) = base_pod_and_status_with_init_and_ephemeral_containers();
        status.containers[3].state = ContainerState::Running;
        status.containers.truncate(4);
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { ephemeral_containers_to_start: vec![0], ..no_action() },
        );
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
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions {
                kill_pod: true,
                create_sandbox: true,
                attempt: 1,
                init_containers_to_start: vec![0],
                ..no_action()
            },
        );
    }

    // "Kill pod and do not restart ephemeral container if the pod sandbox is dead"
    #[test]
    fn kill_pod_and_do_not_restart_ephemeral_container_if_the_pod_sandbox_is_dead() {
        let (mut pod, mut status) = base_pod_and_status_with_init_and_ephemeral_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Always;
        status.sandboxes[0].state = SandboxState::NotReady;
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions {
                kill_pod: true,
                create_sandbox: true,
                attempt: 1,
                init_containers_to_start: vec![0],
                ..no_action()
            },
        );
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
        check_under(
            GATES,
            &pod,
            &status,
            &ProbeResults::none(),
            PodActions { create_sandbox: false, kill_pod: true, ..no_action() },
        );
    }

    // "Ephemeral container is in unknown state; leave it alone"
    #[test]
    fn ephemeral_container_is_in_unknown_state_leave_it_alone() {
        let (mut pod, mut status) = base_pod_and_status_with_init_and_ephemeral_containers();
        pod.spec_mut().restart_policy = RestartPolicy::Never;
        status.containers[4].state = ContainerState::Unknown;
        check_under(GATES, &pod, &status, &ProbeResults::none(), no_action());
    }
}
