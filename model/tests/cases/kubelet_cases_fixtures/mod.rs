//! The fixtures of the kubelet's `computePodActions` table tests (kuberuntime_manager_test.go),
//! shared by `kubelet_cases*.rs`: `makeBasePodAndStatus` and its variants, the kill maps,
//! `verifyActions`. See kubelet_cases.rs for the source version and how the Go fixtures map.

#![allow(dead_code)]

use podsim_model::actions::{compute_pod_actions_opts, PlanOptions};
use podsim_model::shared_str::SharedStr;
use podsim_model::{
    Container, ContainerKind, ContainerState, ContainerStatus, ContainerToKill, FeatureGates, KillReason,
    Pod, PodActions, ProbeResult, ProbeResults, RestartPolicy, RuntimePodStatus, SandboxState, SandboxStatus,
};

/// The id of the one sandbox of every base status.
pub const SANDBOX_ID: &str = "sandboxID";

/// A `kubecontainer.Status` as the Go fixtures write it: id, name, state and the hash of the container.
pub fn status_of(id: &str, container: &Container, state: ContainerState) -> ContainerStatus {
    ContainerStatus {
        id: id.into(),
        name: container.shared_name().clone(),
        state,
        exit_code: 0,
        reason: SharedStr::EMPTY,
        hash: container.hash(),
        restart_count: 0,
        sandbox_id: SharedStr::EMPTY,
        image: SharedStr::EMPTY,
        created_at: 0,
        started_at: None,
        finished_at: None,
        resources: None,
    }
}

/// `makeBasePodAndStatus`: pod foo-ns/foo (uid 12345678) with containers foo1, foo2, foo3 (busybox),
/// one ready sandbox "sandboxID" (attempt 0, IP 10.0.0.1) and the three containers running as
/// id1, id2, id3.
pub fn base_pod_and_status() -> (Pod, RuntimePodStatus) {
    let mut pod = Pod::new("foo", "12345678", "");
    pod.namespace = "foo-ns".to_string();
    pod.spec_mut().containers = vec![
        Container::new("foo1", "busybox"),
        Container::new("foo2", "busybox"),
        Container::new("foo3", "busybox"),
    ];
    let status = RuntimePodStatus {
        sandboxes: vec![SandboxStatus {
            id: SharedStr::from_static(SANDBOX_ID),
            state: SandboxState::Ready,
            attempt: 0,
            ip: "10.0.0.1".into(),
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
pub fn base_pod_and_status_with_init_containers() -> (Pod, RuntimePodStatus) {
    let (mut pod, mut status) = base_pod_and_status();
    pod.spec_mut().init_containers = vec![
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
pub fn sidecar(name: &str, probes: bool) -> Container {
    let mut c = Container::new(name, "bar-image");
    c.restart_policy = Some(RestartPolicy::Always);
    c.liveness_probe = probes.then(|| podsim_model::pod::Probe::exec(&["workload", "check", "live"]));
    c.startup_probe = probes.then(|| podsim_model::pod::Probe::exec(&["workload", "check", "started"]));
    c
}

/// `makeBasePodAndStatusWithRestartableInitContainers`: the base pod plus restartable init containers
/// restartable-init-1 (no probes), -2 and -3 (liveness and startup probes); the statuses are replaced
/// by the three of them running (initid1..initid3).
pub fn base_pod_and_status_with_restartable_init_containers() -> (Pod, RuntimePodStatus) {
    let (mut pod, mut status) = base_pod_and_status();
    pod.spec_mut().init_containers = vec![
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
pub fn restartable_base_probes() -> ProbeResults {
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
pub fn base_pod_and_status_with_init_and_ephemeral_containers() -> (Pod, RuntimePodStatus) {
    let (mut pod, mut status) = base_pod_and_status();
    pod.spec_mut().init_containers = vec![Container::new("init1", "bar-image")];
    pod.spec_mut().ephemeral_containers = vec![Container::new("debug", "busybox")];
    status.containers.push(status_of("initid1", &pod.spec.init_containers[0], ContainerState::Exited));
    status.containers.push(status_of("debug1", &pod.spec.ephemeral_containers[0], ContainerState::Running));
    (pod, status)
}

/// `m.livenessManager.Set(id, result, pod)`.
pub fn set_liveness(probes: &mut ProbeResults, id: &str, result: ProbeResult) {
    probes.0.entry(id.to_string()).or_default().liveness = Some(result);
}

/// `m.startupManager.Set(id, result, pod)`.
pub fn set_startup(probes: &mut ProbeResults, id: &str, result: ProbeResult) {
    probes.0.entry(id.to_string()).or_default().startup = Some(result);
}

/// `m.livenessManager.Remove(id)`.
pub fn remove_liveness(probes: &mut ProbeResults, id: &str) {
    if let Some(p) = probes.0.get_mut(id) {
        p.liveness = None;
    }
}

/// `m.startupManager.Remove(id)`.
pub fn remove_startup(probes: &mut ProbeResults, id: &str) {
    if let Some(p) = probes.0.get_mut(id) {
        p.startup = None;
    }
}

/// Expected actions with nothing set (Go's zero `podActions`, e.g. for a pod without a sandbox).
pub fn actions() -> PodActions {
    PodActions::default()
}

/// The Go tests' `noAction`: keep the sandbox, start and kill nothing.
pub fn no_action() -> PodActions {
    PodActions { sandbox_id: SANDBOX_ID.to_string(), ..PodActions::default() }
}

/// One entry of `getKillMap(basePod, baseStatus, []int{i})`: regular container `i`, whose status is
/// `baseStatus.ContainerStatuses[i]`.
pub fn kill_regular(
    base_pod: &Pod,
    base_status: &RuntimePodStatus,
    i: usize,
    reason: KillReason,
) -> ContainerToKill {
    ContainerToKill {
        id: base_status.containers[i].id.clone(),
        name: base_pod.spec.containers[i].shared_name().clone(),
        kind: ContainerKind::Regular,
        index: i,
        reason,
        message: String::new(),
    }
}

/// One entry of `getKillMapWithInitContainers(basePod, baseStatus, []int{i})`: init container `i`,
/// whose status is `baseStatus.ContainerStatuses[i]`.
pub fn kill_init(
    base_pod: &Pod,
    base_status: &RuntimePodStatus,
    i: usize,
    reason: KillReason,
) -> ContainerToKill {
    ContainerToKill {
        id: base_status.containers[i].id.clone(),
        name: base_pod.spec.init_containers[i].shared_name().clone(),
        kind: ContainerKind::Init,
        index: i,
        reason,
        message: String::new(),
    }
}

/// `verifyActions` under each `--feature-gates` list of `gate_lists` (the kubelet's gates with those
/// set): compares everything, the kills as a set (by id) and without their message (which must be
/// there).
#[track_caller]
pub fn check_under(
    gate_lists: &[&str],
    pod: &Pod,
    status: &RuntimePodStatus,
    probes: &ProbeResults,
    expected: PodActions,
) {
    let options: Vec<PlanOptions> = gate_lists
        .iter()
        .map(|list| PlanOptions {
            gates: FeatureGates::parse(list).unwrap(),
            restart_all_containers: false,
            bugs: Default::default(),
            actuated: None,
        })
        .collect();
    check_opts(&options, pod, status, probes, expected);
}

/// `verifyActions` of `computePodActions` with each of `options`.
#[track_caller]
pub fn check_opts(
    options: &[PlanOptions],
    pod: &Pod,
    status: &RuntimePodStatus,
    probes: &ProbeResults,
    mut expected: PodActions,
) {
    expected.containers_to_kill.sort_by(|a, b| a.id.cmp(&b.id));
    for opts in options {
        let mut actual = compute_pod_actions_opts(pod, status, probes, opts);
        for k in &mut actual.containers_to_kill {
            assert!(!k.message.is_empty(), "the kill of {} ({}) has no message", k.id, k.name);
            k.message.clear();
        }
        actual.containers_to_kill.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(actual, expected, "under the gates {:?}", opts.gates.non_default());
    }
}
