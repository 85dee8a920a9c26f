//! The kubelet's own table tests of `computePodActions`, ported case by case.
//!
//! Source: kubernetes/kubernetes `pkg/kubelet/kuberuntime/kuberuntime_manager_test.go`, as of the
//! 1.33 release (the version that still carries the `...WithLegacySidecarContainers` twins). Each Go
//! test is a module here, each case of its table a `#[test]` named after the case's description
//! (snake_case, apostrophes dropped), with the original description string in a comment above it.
//!
//! Ported, with the default feature gates of Kubernetes 1.33+ (LegacySidecarContainers off: restartable
//! init containers always take the `computeInitContainerActions` path):
//!
//! - `TestComputePodActions`: 17 of 17 cases (module `compute_pod_actions`).
//! - `TestComputePodActionsWithInitContainers`: 15 of 15 cases (module `with_init_containers`).
//! - `TestComputePodActionsWithRestartableInitContainers`: 24 of 24 cases (module
//!   `with_restartable_init_containers`).
//! - `TestComputePodActionsWithInitAndEphemeralContainers`: 9 of 9 cases (module
//!   `with_init_and_ephemeral_containers`). The Go test also re-runs `TestComputePodActions` and
//!   `TestComputePodActionsWithInitContainers` first ("make sure existing test cases pass with feature
//!   enabled"); those are the cases above and are not duplicated.
//!
//! Skipped, because they need a feature gate that is not at its 1.33+ default, or test what the model
//! does not carry:
//!
//! - `TestComputePodActionsWithInitContainersWithLegacySidecarContainers` and
//!   `TestComputePodActionsWithInitAndEphemeralContainersWithLegacySidecarContainers`: they turn
//!   LegacySidecarContainers on (the `findNextInitContainerToRun` / `NextInitContainerToStart` path).
//! - `TestComputePodActionsForPodResize` (and every other in-place resize test): in-place pod resize,
//!   `ContainersToUpdate` / `UpdatePodResources`; the model carries no resources.
//!
//! No case of the four ported tests needed a non-default gate, so none of them was left out.
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
//!   empty both mean an empty Vec. `NextInitContainerToStart` belongs to the legacy path and has no
//!   counterpart.
//! - `ContainersToKill` (`getKillMap` / `getKillMapWithInitContainers`, keyed by container id, holding
//!   the spec container and its name) is compared as a set of (id, name, kind, index, reason): kind
//!   and index say which spec container the Go map points at. Go's `verifyActions` blanks message and
//!   reason; we check that a message is present, and the reason the kubelet would give on that path
//!   (`DefinitionChanged` where the kubelet leaves the reason empty).

use podsim_model::{
    compute_pod_actions, Container, ContainerKind, ContainerState, ContainerStatus, ContainerToKill,
    KillReason, Pod, PodActions, ProbeResult, ProbeResults, RestartPolicy, RuntimePodStatus, SandboxState,
    SandboxStatus,
};

/// The id of the one sandbox of every base status.
const SANDBOX_ID: &str = "sandboxID";

/// A `kubecontainer.Status` as the Go fixtures write it: id, name, state and the hash of the container.
fn status_of(id: &str, container: &Container, state: ContainerState) -> ContainerStatus {
    ContainerStatus {
        id: id.to_string(),
        name: container.name().to_string(),
        state,
        exit_code: 0,
        reason: String::new(),
        hash: container.hash(),
        restart_count: 0,
        sandbox_id: String::new(),
        image: String::new(),
        created_at: 0,
        started_at: None,
        finished_at: None,
        resources: None,
    }
}

/// `makeBasePodAndStatus`: pod foo-ns/foo (uid 12345678) with containers foo1, foo2, foo3 (busybox),
/// one ready sandbox "sandboxID" (attempt 0, IP 10.0.0.1) and the three containers running as
/// id1, id2, id3.
fn base_pod_and_status() -> (Pod, RuntimePodStatus) {
    let mut pod = Pod::new("foo", "12345678", "");
    pod.namespace = "foo-ns".to_string();
    pod.spec.containers = vec![
        Container::new("foo1", "busybox"),
        Container::new("foo2", "busybox"),
        Container::new("foo3", "busybox"),
    ];
    let status = RuntimePodStatus {
        sandboxes: vec![SandboxStatus {
            id: SANDBOX_ID.to_string(),
            state: SandboxState::Ready,
            attempt: 0,
            ip: "10.0.0.1".to_string(),
            host_network: false,
            created_at: 0,
        }],
        containers: vec![
            status_of("id1", &pod.spec.containers[0], ContainerState::Running),
            status_of("id2", &pod.spec.containers[1], ContainerState::Running),
            status_of("id3", &pod.spec.containers[2], ContainerState::Running),
        ],
    };
    (pod, status)
}

/// `makeBasePodAndStatusWithInitContainers`: the base pod plus init containers init1..init3
/// (bar-image); the statuses are replaced by the three init containers, all exited with code 0
/// (initid1..initid3).
fn base_pod_and_status_with_init_containers() -> (Pod, RuntimePodStatus) {
    let (mut pod, mut status) = base_pod_and_status();
    pod.spec.init_containers = vec![
        Container::new("init1", "bar-image"),
        Container::new("init2", "bar-image"),
        Container::new("init3", "bar-image"),
    ];
    status.containers = vec![
        status_of("initid1", &pod.spec.init_containers[0], ContainerState::Exited),
        status_of("initid2", &pod.spec.init_containers[1], ContainerState::Exited),
        status_of("initid3", &pod.spec.init_containers[2], ContainerState::Exited),
    ];
    (pod, status)
}

/// A restartable init container (`restartPolicy: Always`), with or without liveness and startup probes.
fn sidecar(name: &str, probes: bool) -> Container {
    let mut c = Container::new(name, "bar-image");
    c.restart_policy = Some(RestartPolicy::Always);
    c.has_liveness_probe = probes;
    c.has_startup_probe = probes;
    c
}

/// `makeBasePodAndStatusWithRestartableInitContainers`: the base pod plus restartable init containers
/// restartable-init-1 (no probes), -2 and -3 (liveness and startup probes); the statuses are replaced
/// by the three of them running (initid1..initid3).
fn base_pod_and_status_with_restartable_init_containers() -> (Pod, RuntimePodStatus) {
    let (mut pod, mut status) = base_pod_and_status();
    pod.spec.init_containers = vec![
        sidecar("restartable-init-1", false),
        sidecar("restartable-init-2", true),
        sidecar("restartable-init-3", true),
    ];
    status.containers = vec![
        status_of("initid1", &pod.spec.init_containers[0], ContainerState::Running),
        status_of("initid2", &pod.spec.init_containers[1], ContainerState::Running),
        status_of("initid3", &pod.spec.init_containers[2], ContainerState::Running),
    ];
    (pod, status)
}

/// What the Go loop of `TestComputePodActionsWithRestartableInitContainers` sets before each case:
/// liveness and startup Success for initid2 and initid3.
fn restartable_base_probes() -> ProbeResults {
    let mut probes = ProbeResults::none();
    for id in ["initid2", "initid3"] {
        set_liveness(&mut probes, id, ProbeResult::Success);
        set_startup(&mut probes, id, ProbeResult::Success);
    }
    probes
}

/// `makeBasePodAndStatusWithInitAndEphemeralContainers`: the base pod plus init container init1
/// (bar-image) and ephemeral container debug (busybox); the base statuses are followed by init1
/// exited (initid1) and debug running (debug1).
fn base_pod_and_status_with_init_and_ephemeral_containers() -> (Pod, RuntimePodStatus) {
    let (mut pod, mut status) = base_pod_and_status();
    pod.spec.init_containers = vec![Container::new("init1", "bar-image")];
    pod.spec.ephemeral_containers = vec![Container::new("debug", "busybox")];
    status.containers.push(status_of("initid1", &pod.spec.init_containers[0], ContainerState::Exited));
    status.containers.push(status_of("debug1", &pod.spec.ephemeral_containers[0], ContainerState::Running));
    (pod, status)
}

/// `m.livenessManager.Set(id, result, pod)`.
fn set_liveness(probes: &mut ProbeResults, id: &str, result: ProbeResult) {
    probes.0.entry(id.to_string()).or_default().liveness = Some(result);
}

/// `m.startupManager.Set(id, result, pod)`.
fn set_startup(probes: &mut ProbeResults, id: &str, result: ProbeResult) {
    probes.0.entry(id.to_string()).or_default().startup = Some(result);
}

/// `m.livenessManager.Remove(id)`.
fn remove_liveness(probes: &mut ProbeResults, id: &str) {
    if let Some(p) = probes.0.get_mut(id) {
        p.liveness = None;
    }
}

/// `m.startupManager.Remove(id)`.
fn remove_startup(probes: &mut ProbeResults, id: &str) {
    if let Some(p) = probes.0.get_mut(id) {
        p.startup = None;
    }
}

/// Expected actions with nothing set (Go's zero `podActions`, e.g. for a pod without a sandbox).
fn actions() -> PodActions {
    PodActions::default()
}

/// The Go tests' `noAction`: keep the sandbox, start and kill nothing.
fn no_action() -> PodActions {
    PodActions { sandbox_id: SANDBOX_ID.to_string(), ..PodActions::default() }
}

/// One entry of `getKillMap(basePod, baseStatus, []int{i})`: regular container `i`, whose status is
/// `baseStatus.ContainerStatuses[i]`.
fn kill_regular(
    base_pod: &Pod,
    base_status: &RuntimePodStatus,
    i: usize,
    reason: KillReason,
) -> ContainerToKill {
    ContainerToKill {
        id: base_status.containers[i].id.clone(),
        name: base_pod.spec.containers[i].name().to_string(),
        kind: ContainerKind::Regular,
        index: i,
        reason,
        message: String::new(),
    }
}

/// One entry of `getKillMapWithInitContainers(basePod, baseStatus, []int{i})`: init container `i`,
/// whose status is `baseStatus.ContainerStatuses[i]`.
fn kill_init(
    base_pod: &Pod,
    base_status: &RuntimePodStatus,
    i: usize,
    reason: KillReason,
) -> ContainerToKill {
    ContainerToKill {
        id: base_status.containers[i].id.clone(),
        name: base_pod.spec.init_containers[i].name().to_string(),
        kind: ContainerKind::Init,
        index: i,
        reason,
        message: String::new(),
    }
}

/// `verifyActions`: compares everything, the kills as a set (by id) and without their message (which
/// must be there).
#[track_caller]
fn check(pod: &Pod, status: &RuntimePodStatus, probes: &ProbeResults, mut expected: PodActions) {
    let mut actual = compute_pod_actions(pod, status, probes);
    for k in &mut actual.containers_to_kill {
        assert!(!k.message.is_empty(), "the kill of {} ({}) has no message", k.id, k.name);
        k.message.clear();
    }
    actual.containers_to_kill.sort_by(|a, b| a.id.cmp(&b.id));
    expected.containers_to_kill.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(actual, expected);
}

/// `TestComputePodActions`.
mod compute_pod_actions {
    use super::*;

    // "everything is good; do nothing"
    #[test]
    fn everything_is_good_do_nothing() {
        let (pod, status) = base_pod_and_status();
        check(&pod, &status, &ProbeResults::none(), no_action());
    }

    // "start pod sandbox and all containers for a new pod"
    #[test]
    fn start_pod_sandbox_and_all_containers_for_a_new_pod() {
        let (pod, mut status) = base_pod_and_status();
        // No container or sandbox exists.
        status.sandboxes.clear();
        status.containers.clear();
        check(
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
        pod.spec.restart_policy = RestartPolicy::Always;
        // The first container completed, restart it.
        status.containers[0].state = ContainerState::Exited;
        status.containers[0].exit_code = 0;
        // The second container exited with failure, restart it.
        status.containers[1].state = ContainerState::Exited;
        status.containers[1].exit_code = 111;
        check(
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
        pod.spec.restart_policy = RestartPolicy::OnFailure;
        // The first container completed, don't restart it.
        status.containers[0].state = ContainerState::Exited;
        status.containers[0].exit_code = 0;
        // The second container exited with failure, restart it.
        status.containers[1].state = ContainerState::Exited;
        status.containers[1].exit_code = 111;
        check(
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
        pod.spec.restart_policy = RestartPolicy::OnFailure;
        // The first container completed, don't restart it.
        status.containers[0].state = ContainerState::Exited;
        status.containers[0].exit_code = 0;
        // The second container was created, but never started.
        status.containers[1].state = ContainerState::Created;
        check(
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
        pod.spec.restart_policy = RestartPolicy::Never;
        // Don't restart any containers.
        status.containers[0].state = ContainerState::Exited;
        status.containers[0].exit_code = 0;
        status.containers[1].state = ContainerState::Exited;
        status.containers[1].exit_code = 111;
        check(&pod, &status, &ProbeResults::none(), no_action());
    }

    // "Kill pod and recreate everything if the pod sandbox is dead, and RestartPolicy == Always"
    #[test]
    fn kill_pod_and_recreate_everything_if_the_pod_sandbox_is_dead_and_restartpolicy_always() {
        let (mut pod, mut status) = base_pod_and_status();
        pod.spec.restart_policy = RestartPolicy::Always;
        status.sandboxes[0].state = SandboxState::NotReady;
        check(
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
        pod.spec.restart_policy = RestartPolicy::OnFailure;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers[1].state = ContainerState::Exited;
        status.containers[1].exit_code = 0;
        check(
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
        status.sandboxes[0].ip = String::new();
        check(
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
        pod.spec.restart_policy = RestartPolicy::Always;
        status.containers[1].hash = 432423432;
        check(
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
        pod.spec.restart_policy = RestartPolicy::Always;
        let mut probes = ProbeResults::none();
        set_liveness(&mut probes, &status.containers[1].id, ProbeResult::Failure);
        check(
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
        pod.spec.restart_policy = RestartPolicy::Always;
        let mut probes = ProbeResults::none();
        set_startup(&mut probes, &status.containers[1].id, ProbeResult::Failure);
        check(
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
        pod.spec.restart_policy = RestartPolicy::Never;
        // no ready sandbox
        status.sandboxes[0].state = SandboxState::NotReady;
        status.sandboxes[0].attempt = 1;
        // all containers exited
        for c in &mut status.containers {
            c.state = ContainerState::Exited;
            c.exit_code = 0;
        }
        check(
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
        pod.spec.restart_policy = RestartPolicy::OnFailure;
        // no ready sandbox
        status.sandboxes[0].state = SandboxState::NotReady;
        status.sandboxes[0].attempt = 1;
        // all containers succeeded
        for c in &mut status.containers {
            c.state = ContainerState::Exited;
            c.exit_code = 0;
        }
        check(
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
        pod.spec.restart_policy = RestartPolicy::Never;
        // no ready sandbox
        status.sandboxes[0].state = SandboxState::NotReady;
        status.sandboxes[0].attempt = 2;
        // no visible containers
        status.containers.clear();
        check(
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
        pod.spec.restart_policy = RestartPolicy::Never;
        status.containers[1].state = ContainerState::Unknown;
        check(
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
        pod.spec.restart_policy = RestartPolicy::Never;
        status.containers[1].state = ContainerState::Created;
        check(
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

    // "initialization completed; start all containers"
    #[test]
    fn initialization_completed_start_all_containers() {
        let (pod, status) = base_pod_and_status_with_init_containers();
        check(
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
        check(
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
        pod.spec.restart_policy = RestartPolicy::Always;
        status.containers[2].state = ContainerState::Running;
        check(&pod, &status, &ProbeResults::none(), no_action());
    }

    // "Kill pod and restart the first init container if the pod sandbox is dead"
    #[test]
    fn kill_pod_and_restart_the_first_init_container_if_the_pod_sandbox_is_dead() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec.restart_policy = RestartPolicy::Always;
        status.sandboxes[0].state = SandboxState::NotReady;
        check(
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
        pod.spec.restart_policy = RestartPolicy::Always;
        status.containers[2].exit_code = 137;
        check(
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
        pod.spec.restart_policy = RestartPolicy::OnFailure;
        status.containers[2].exit_code = 137;
        check(
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
        pod.spec.restart_policy = RestartPolicy::Never;
        status.containers[2].exit_code = 137;
        check(&pod, &status, &ProbeResults::none(), PodActions { kill_pod: true, ..no_action() });
    }

    // "init container state unknown; kill and recreate the last init container if RestartPolicy ==
    // Always"
    #[test]
    fn init_container_state_unknown_kill_and_recreate_the_last_init_container_if_restartpolicy_always() {
        let (base_pod, base_status) = base_pod_and_status_with_init_containers();
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec.restart_policy = RestartPolicy::Always;
        status.containers[2].state = ContainerState::Unknown;
        check(
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
        pod.spec.restart_policy = RestartPolicy::OnFailure;
        status.containers[2].state = ContainerState::Unknown;
        check(
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
        pod.spec.restart_policy = RestartPolicy::Never;
        status.containers[2].state = ContainerState::Unknown;
        check(&pod, &status, &ProbeResults::none(), PodActions { kill_pod: true, ..no_action() });
    }

    // "Pod sandbox not ready, init container failed, but RestartPolicy == Never; kill pod only"
    #[test]
    fn pod_sandbox_not_ready_init_container_failed_but_restartpolicy_never_kill_pod_only() {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec.restart_policy = RestartPolicy::Never;
        status.sandboxes[0].state = SandboxState::NotReady;
        check(
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
        pod.spec.restart_policy = RestartPolicy::Never;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers.clear();
        check(
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
        pod.spec.restart_policy = RestartPolicy::OnFailure;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers[2].exit_code = 137;
        check(
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
        pod.spec.restart_policy = RestartPolicy::Always;
        status.containers[2].state = ContainerState::Running;
        status.containers.drain(..2);
        check(&pod, &status, &ProbeResults::none(), PodActions { kill_pod: false, ..no_action() });
    }

    // "an init container is in the created state due to an unknown error when starting container;
    // restart it"
    #[test]
    fn an_init_container_is_in_the_created_state_due_to_an_unknown_error_when_starting_container_restart_it()
    {
        let (mut pod, mut status) = base_pod_and_status_with_init_containers();
        pod.spec.restart_policy = RestartPolicy::Always;
        status.containers[2].state = ContainerState::Created;
        check(
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
        check(&pod, &status, &probes, PodActions { containers_to_start: vec![0, 1, 2], ..no_action() });
    }

    // "no init containers have been started; start the first one"
    #[test]
    fn no_init_containers_have_been_started_start_the_first_one() {
        let (pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        status.containers.clear();
        check(&pod, &status, &probes, PodActions { init_containers_to_start: vec![0], ..no_action() });
    }

    // "an init container is stuck in the created state; restart it"
    #[test]
    fn an_init_container_is_stuck_in_the_created_state_restart_it() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec.restart_policy = RestartPolicy::Always;
        status.containers[2].state = ContainerState::Created;
        check(&pod, &status, &probes, PodActions { init_containers_to_start: vec![2], ..no_action() });
    }

    // "restartable init container has started; start the next"
    #[test]
    fn restartable_init_container_has_started_start_the_next() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec.restart_policy = RestartPolicy::Always;
        status.containers.truncate(1);
        check(&pod, &status, &probes, PodActions { init_containers_to_start: vec![1], ..no_action() });
    }

    // "livenessProbe has not been run; start the nothing"
    #[test]
    fn livenessprobe_has_not_been_run_start_the_nothing() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let mut probes = restartable_base_probes();
        pod.spec.restart_policy = RestartPolicy::Always;
        remove_liveness(&mut probes, &status.containers[1].id);
        status.containers.truncate(2);
        check(&pod, &status, &probes, PodActions { init_containers_to_start: vec![2], ..no_action() });
    }

    // "livenessProbe in progress; start the next"
    #[test]
    fn livenessprobe_in_progress_start_the_next() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let mut probes = restartable_base_probes();
        pod.spec.restart_policy = RestartPolicy::Always;
        set_liveness(&mut probes, &status.containers[1].id, ProbeResult::Unknown);
        status.containers.truncate(2);
        check(&pod, &status, &probes, PodActions { init_containers_to_start: vec![2], ..no_action() });
    }

    // "livenessProbe has completed; start the next"
    #[test]
    fn livenessprobe_has_completed_start_the_next() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec.restart_policy = RestartPolicy::Always;
        status.containers.truncate(2);
        check(&pod, &status, &probes, PodActions { init_containers_to_start: vec![2], ..no_action() });
    }

    // "kill and recreate the restartable init container if the liveness check has failed"
    #[test]
    fn kill_and_recreate_the_restartable_init_container_if_the_liveness_check_has_failed() {
        let (base_pod, base_status) = base_pod_and_status_with_restartable_init_containers();
        let (mut pod, status) = base_pod_and_status_with_restartable_init_containers();
        let mut probes = restartable_base_probes();
        pod.spec.restart_policy = RestartPolicy::Always;
        set_liveness(&mut probes, &status.containers[2].id, ProbeResult::Failure);
        check(
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
        pod.spec.restart_policy = RestartPolicy::Always;
        remove_startup(&mut probes, &status.containers[1].id);
        status.containers.truncate(2);
        check(&pod, &status, &probes, no_action());
    }

    // "startupProbe in progress; do nothing"
    #[test]
    fn startupprobe_in_progress_do_nothing() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let mut probes = restartable_base_probes();
        pod.spec.restart_policy = RestartPolicy::Always;
        set_startup(&mut probes, &status.containers[1].id, ProbeResult::Unknown);
        status.containers.truncate(2);
        check(&pod, &status, &probes, no_action());
    }

    // "startupProbe has completed; start the next"
    #[test]
    fn startupprobe_has_completed_start_the_next() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec.restart_policy = RestartPolicy::Always;
        status.containers.truncate(2);
        check(&pod, &status, &probes, PodActions { init_containers_to_start: vec![2], ..no_action() });
    }

    // "kill and recreate the restartable init container if the startup check has failed"
    #[test]
    fn kill_and_recreate_the_restartable_init_container_if_the_startup_check_has_failed() {
        let (base_pod, base_status) = base_pod_and_status_with_restartable_init_containers();
        let (mut pod, status) = base_pod_and_status_with_restartable_init_containers();
        let mut probes = restartable_base_probes();
        pod.spec.restart_policy = RestartPolicy::Always;
        pod.spec.init_containers[2].has_startup_probe = true;
        set_startup(&mut probes, &status.containers[2].id, ProbeResult::Failure);
        check(
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
        pod.spec.restart_policy = RestartPolicy::Always;
        pod.spec.init_containers[2].set_image("foo-image");
        // Go's modifyKillMapContainerImage only swaps the image of the container the kill entry points
        // at: still init container 2, under the same id and name.
        check(
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
        pod.spec.restart_policy = RestartPolicy::Always;
        status.containers[0].state = ContainerState::Exited;
        status.containers[2].state = ContainerState::Exited;
        check(&pod, &status, &probes, PodActions { init_containers_to_start: vec![0, 2], ..no_action() });
    }

    // "restart terminated restartable init container and regular containers"
    #[test]
    fn restart_terminated_restartable_init_container_and_regular_containers() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec.restart_policy = RestartPolicy::Always;
        status.containers[0].state = ContainerState::Exited;
        check(
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
        pod.spec.restart_policy = RestartPolicy::Never;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers[2].state = ContainerState::Exited;
        status.containers[2].exit_code = 137;
        check(
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
        pod.spec.restart_policy = RestartPolicy::Never;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers.clear();
        check(
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
        pod.spec.restart_policy = RestartPolicy::OnFailure;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers[2].state = ContainerState::Exited;
        status.containers[2].exit_code = 137;
        check(
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
        pod.spec.restart_policy = RestartPolicy::Always;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers[2].state = ContainerState::Exited;
        status.containers[2].exit_code = 137;
        check(
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
        pod.spec.restart_policy = RestartPolicy::Never;
        status.containers[2].state = ContainerState::Exited;
        status.containers[2].exit_code = 137;
        check(&pod, &status, &probes, PodActions { init_containers_to_start: vec![2], ..no_action() });
    }

    // "restartable init container state unknown; kill and recreate the last restartable init container
    // even if pod's RestartPolicy == Never"
    #[test]
    fn restartable_init_container_state_unknown_kill_and_recreate_the_last_restartable_init_container_even_if_pods_restartpolicy_never(
    ) {
        let (base_pod, base_status) = base_pod_and_status_with_restartable_init_containers();
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec.restart_policy = RestartPolicy::Never;
        status.containers[2].state = ContainerState::Unknown;
        check(
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
        pod.spec.restart_policy = RestartPolicy::Never;
        status.containers[2].state = ContainerState::Exited;
        status.containers[2].exit_code = 137;
        // all main containers are running
        status.containers.extend(regular_statuses(&pod, ContainerState::Running));
        check(&pod, &status, &probes, PodActions { init_containers_to_start: vec![2], ..no_action() });
    }

    // "kill the pod if all main containers succeeded if pod's RestartPolicy == Never"
    #[test]
    fn kill_the_pod_if_all_main_containers_succeeded_if_pods_restartpolicy_never() {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec.restart_policy = RestartPolicy::Never;
        // all main containers succeeded
        status.containers.extend(regular_statuses(&pod, ContainerState::Exited));
        check(&pod, &status, &probes, PodActions { kill_pod: true, ..no_action() });
    }

    // "some of the init container statuses are missing but the last init container is running,
    // restart restartable init and regular containers"
    #[test]
    fn some_of_the_init_container_statuses_are_missing_but_the_last_init_container_is_running_restart_restartable_init_and_regular_containers(
    ) {
        let (mut pod, mut status) = base_pod_and_status_with_restartable_init_containers();
        let probes = restartable_base_probes();
        pod.spec.restart_policy = RestartPolicy::Always;
        status.containers.drain(..2);
        check(
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

    // "steady state; do nothing; ignore ephemeral container"
    #[test]
    fn steady_state_do_nothing_ignore_ephemeral_container() {
        let (pod, status) = base_pod_and_status_with_init_and_ephemeral_containers();
        check(&pod, &status, &ProbeResults::none(), no_action());
    }

    // "No ephemeral containers running; start one"
    #[test]
    fn no_ephemeral_containers_running_start_one() {
        let (pod, mut status) = base_pod_and_status_with_init_and_ephemeral_containers();
        status.containers.truncate(4);
        check(
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
        pod.spec.ephemeral_containers.push(Container::new("debug2", "busybox"));
        check(
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
        pod.spec.restart_policy = RestartPolicy::Always;
        status.containers[4].state = ContainerState::Exited;
        check(&pod, &status, &ProbeResults::none(), no_action());
    }

    // "initialization in progress; start ephemeral container"
    #[test]
    fn initialization_in_progress_start_ephemeral_container() {
        let (pod, mut status) = base_pod_and_status_with_init_and_ephemeral_containers();
        status.containers[3].state = ContainerState::Running;
        status.containers.truncate(4);
        check(
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
        pod.spec.restart_policy = RestartPolicy::OnFailure;
        status.sandboxes[0].state = SandboxState::NotReady;
        status.containers.drain(..3);
        status.containers[0].exit_code = 137;
        check(
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
        pod.spec.restart_policy = RestartPolicy::Always;
        status.sandboxes[0].state = SandboxState::NotReady;
        check(
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
        pod.spec.restart_policy = RestartPolicy::Never;
        // all regular containers exited
        for c in &mut status.containers[..3] {
            c.state = ContainerState::Exited;
            c.exit_code = 0;
        }
        check(
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
        pod.spec.restart_policy = RestartPolicy::Never;
        status.containers[4].state = ContainerState::Unknown;
        check(&pod, &status, &ProbeResults::none(), no_action());
    }
}
