//! The status the kubelet writes (`generateAPIPodStatus`): defect 1 of the issue, and the kubelet's
//! own table tests of what the model carries, ported case for case with the Go description strings.
//!
//! Ported from:
//! - pkg/kubelet/kubelet_pods_test.go of OchukoWH/kubernetes@3669de28fe1658f1033b4296d34553d8d2e6a0d4
//!   (index id 60756631880): TestConvertToAPIContainerStatuses (every case, those with
//!   `podRestarting` too), TestConvertToAPIContainerStatusesInitDefault;
//! - pkg/kubelet/kubelet_test.go of the same commit (id 60697634115):
//!   TestGenerateAPIPodStatusWithSortedContainers, TestGenerateAPIPodStatusWithReasonCache,
//!   TestGenerateAPIPodStatusWithDifferentRestartPolicies;
//! - pkg/kubelet/status/generate_test.go of kubernetes/kubernetes (id 68803514966, the version whose
//!   condition functions take `oldPodStatus`): TestGenerateContainersReadyCondition,
//!   TestGeneratePodReadyCondition, TestGeneratePodInitializedCondition,
//!   TestGeneratePodReadyToStartContainersCondition.
//!
//! Gates: the Go tests above set none except TestConvertToAPIContainerStatuses (ContainerRestartRules,
//! NodeDeclaredFeatures, RestartAllContainersOnContainerExits all true) and
//! TestGeneratePodInitializedCondition (the same three, which do not change that function's result);
//! the others run with the defaults (`FeatureGates::default()`).
//!
//! Not ported, because the model does not carry what they observe:
//! TestGenerateAPIPodStatusWithContainerRestartPolicies (container-level restart policies reach
//! `ShouldContainerBeRestarted`, which lives in actions.rs and reads the pod policy only),
//! Test_generateAPIPodStatus (a fake prober manager, resources, host IPs, QoS), the resource, user,
//! image-volume and pod-IP-sorting tests, and the insecure-ID conditions.
//! (TestGenerateAllContainersRestartingCondition is ported in restart_all_containers.rs.)

use podsim_model::shared_str::SharedStr;
use std::collections::BTreeMap;

use podsim_model::actions::pod_sandbox_changed;
use podsim_model::gates::FeatureGates;
use podsim_model::status::conditions::{
    condition_reason, generate_containers_ready_condition, generate_pod_initialized_condition,
    generate_pod_ready_condition, generate_pod_ready_to_start_containers_condition, sandbox_not_ready,
    ConditionStatus, PodCondition, SandboxNotReady, CONTAINERS_READY, INITIALIZED,
    POD_READY_TO_START_CONTAINERS, READY,
};
use podsim_model::status::containers::{
    convert_to_api_container_statuses, ConvertOptions, INIT_CONTAINER_FORGOTTEN, UNKNOWN_WHILE_RUNNING,
    VANISHED_WHILE_RUNNING,
};
use podsim_model::status::restart_all::REMOVED_FOR_RESTART_MESSAGE;
use podsim_model::status::{
    generate_api_pod_status, pod_status_report, reason, PodStatusReport, StatusContext,
};
use podsim_model::{
    Container, ContainerState, ContainerStateReport, ContainerStatus, ContainerStatusReport, Pod, PodPhase,
    ProbeResults, RestartPolicy, RuntimePodStatus, SandboxState, SandboxStatus,
};

// ---- builders ----

/// A pod with these init (name, sidecar?) and regular containers; images are empty, as in the Go
/// tests' specs.
fn pod(policy: RestartPolicy, init: &[(&str, bool)], containers: &[&str]) -> Pod {
    let mut pod = Pod::new("foo", "12345678", "node-1");
    pod.spec_mut().restart_policy = policy;
    pod.spec_mut().init_containers = init
        .iter()
        .map(|(name, sidecar)| {
            let mut c = Container::new(*name, "");
            c.restart_policy = sidecar.then_some(RestartPolicy::Always);
            c
        })
        .collect();
    pod.spec_mut().containers = containers.iter().map(|n| Container::new(*n, "")).collect();
    pod
}

fn ready_sandbox(id: &str) -> SandboxStatus {
    SandboxStatus {
        id: id.into(),
        state: SandboxState::Ready,
        attempt: 0,
        ip: "10.0.0.10".into(),
        host_network: false,
        created_at: 0,
    }
}

/// A runtime instance (`kubecontainer.Status`), in sandbox `s1`.
fn instance(id: &str, name: &str, state: ContainerState, exit_code: i32) -> ContainerStatus {
    ContainerStatus {
        id: id.into(),
        name: name.into(),
        state,
        exit_code,
        reason: SharedStr::EMPTY,
        hash: 0,
        restart_count: 0,
        sandbox_id: "s1".into(),
        image: SharedStr::EMPTY,
        created_at: 0,
        started_at: None,
        finished_at: None,
        resources: None,
    }
}

fn runtime(containers: Vec<ContainerStatus>) -> RuntimePodStatus {
    RuntimePodStatus { sandboxes: vec![ready_sandbox("s1")], containers }
}

fn reasons(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries.iter().map(|(n, r)| (n.to_string(), r.to_string())).collect()
}

/// `generateAPIPodStatus` with this reason cache and old status, default gates, no probe results.
fn generate(
    pod: &Pod,
    rt: &RuntimePodStatus,
    cache: &BTreeMap<String, String>,
    old: Option<&PodStatusReport>,
) -> PodStatusReport {
    let probes = ProbeResults::none();
    let context = StatusContext {
        reasons: cache,
        old_status: old,
        probes: &probes,
        gates: FeatureGates::default(),
        pod_is_terminal: false,
    };
    generate_api_pod_status(pod, rt, &context)
}

fn status_of<'s>(statuses: &'s [ContainerStatusReport], name: &str) -> &'s ContainerStatusReport {
    statuses.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no status for {name}: {statuses:?}"))
}

/// The state as the Go tests compare it: kind, exit code and reason (and message).
fn terminated(exit_code: i32) -> ContainerStateReport {
    ContainerStateReport::terminated(exit_code, "")
}

/// Whether `actual` is the state `expected` describes: the same kind, and for waiting the same reason
/// and message, for terminated the same exit code, reason and message.
fn same_state(actual: &ContainerStateReport, expected: &ContainerStateReport) -> bool {
    use ContainerStateReport::*;
    match (actual, expected) {
        (Waiting { reason: a, message: am }, Waiting { reason: e, message: em }) => a == e && am == em,
        (Running { .. }, Running { .. }) => true,
        (
            Terminated { exit_code: a, reason: ar, message: am, .. },
            Terminated { exit_code: e, reason: er, message: em, .. },
        ) => a == e && ar == er && am == em,
        _ => false,
    }
}

fn assert_state(actual: &ContainerStateReport, expected: &ContainerStateReport, what: &str) {
    assert!(same_state(actual, expected), "{what}: expected {expected:?}, found {actual:?}");
}

fn assert_last(actual: &Option<ContainerStateReport>, expected: Option<&ContainerStateReport>, what: &str) {
    match (actual, expected) {
        (None, None) => {}
        (Some(a), Some(e)) => assert_state(a, e, what),
        _ => panic!("{what}: expected last state {expected:?}, found {actual:?}"),
    }
}

// ---- defect 1: an OnFailure pod reported Succeeded after a failed restart ----

/// The records a container under restartPolicy OnFailure leaves when it exited 1 and its next start(s)
/// failed: each failed StartContainer leaves an instance that was created but never started (the
/// model's GC removes only duplicate exited instances). Newest first.
fn failed_restarts(failed_starts: u32, first_exit: (i32, &str)) -> RuntimePodStatus {
    let mut exited = instance("c-1", "app", ContainerState::Exited, first_exit.0);
    exited.reason = first_exit.1.into();
    exited.started_at = Some(1_000);
    exited.finished_at = Some(2_000);
    let mut containers: Vec<ContainerStatus> = (1..=failed_starts)
        .rev()
        .map(|n| {
            let mut c = instance(&format!("c-{}", n + 1), "app", ContainerState::Created, 0);
            c.restart_count = n;
            c.created_at = 2_000 + u64::from(n);
            c
        })
        .collect();
    containers.push(exited);
    runtime(containers)
}

#[test]
fn on_failure_exit_1_then_two_failed_starts_is_not_reported_succeeded() {
    // The scenario: OnFailure, the container exits 1, its next two StartContainer calls fail.
    let pod = pod(RestartPolicy::OnFailure, &[], &["app"]);
    let rt = failed_restarts(2, (1, "Error"));
    let status = pod_status_report(&pod, &rt, &reasons(&[("app", reason::RUN_CONTAINER_ERROR)]));
    let app = status.container("app").expect("app has a status");
    // The reason cache makes it wait with RunContainerError.
    assert!(
        matches!(&app.state, ContainerStateReport::Waiting { reason, .. } if reason == reason::RUN_CONTAINER_ERROR)
    );
    // Its last state is the instance before the newest: created, never started, so waiting with no
    // reason; never a made-up termination with exit code 0.
    assert_eq!(app.last_state, Some(ContainerStateReport::waiting("", "")), "{app:?}");
    // A waiting container without a last termination has not started: getPhase says Pending. The pod is
    // not terminal, so its sandbox stays and the kubelet retries.
    assert_eq!(status.phase, PodPhase::Pending, "{status:?}");
    assert!(!status.phase.is_terminal());
}

#[test]
fn on_failure_exit_1_then_one_failed_start_keeps_the_pod_running() {
    let pod = pod(RestartPolicy::OnFailure, &[], &["app"]);
    let rt = failed_restarts(1, (1, "Error"));
    let status = pod_status_report(&pod, &rt, &reasons(&[("app", reason::RUN_CONTAINER_ERROR)]));
    let app = status.container("app").expect("app has a status");
    assert!(
        matches!(&app.state, ContainerStateReport::Waiting { reason, .. } if reason == reason::RUN_CONTAINER_ERROR)
    );
    // The last termination is the run that exited 1: the container is stopped and will restart.
    assert!(
        matches!(&app.last_state, Some(ContainerStateReport::Terminated { exit_code: 1, .. })),
        "{app:?}"
    );
    assert_eq!(status.phase, PodPhase::Running, "{status:?}");
}

#[test]
fn on_failure_oom_killed_then_failed_starts_is_never_terminal() {
    // `podsim explore`'s variant: the container is OOM-killed (exit 137), then starts fail.
    let pod = pod(RestartPolicy::OnFailure, &[], &["app"]);
    for failed_starts in 1..=3 {
        let rt = failed_restarts(failed_starts, (137, reason::OOM_KILLED));
        let status = pod_status_report(&pod, &rt, &reasons(&[("app", reason::RUN_CONTAINER_ERROR)]));
        assert!(!status.phase.is_terminal(), "after {failed_starts} failed starts: {status:?}");
        let app = status.container("app").expect("app has a status");
        assert_ne!(app.last_state.as_ref().and_then(ContainerStateReport::exit_code), Some(0), "{app:?}");
    }
}

#[test]
fn a_created_instance_is_waiting_and_a_waiting_container_never_counts_as_succeeded() {
    // Without a reason cache entry the newest, created instance shows as waiting with no reason, and
    // the last state (exit 0) makes the container stopped but not succeeded: under Never that is Failed,
    // never Succeeded (getPhase counts `succeeded` only for a terminated state).
    let pod = pod(RestartPolicy::Never, &[], &["app"]);
    let mut exited = instance("c-1", "app", ContainerState::Exited, 0);
    exited.reason = reason::COMPLETED.into();
    let created = instance("c-2", "app", ContainerState::Created, 0);
    let status = pod_status_report(&pod, &runtime(vec![created, exited]), &BTreeMap::new());
    let app = status.container("app").expect("app has a status");
    assert_eq!(app.state, ContainerStateReport::waiting("", ""));
    assert!(matches!(&app.last_state, Some(ContainerStateReport::Terminated { exit_code: 0, .. })));
    assert_eq!(status.phase, PodPhase::Failed, "{status:?}");
}

// ---- kubelet_test.go: TestGenerateAPIPodStatusWithSortedContainers ----

#[test]
fn test_generate_api_pod_status_with_sorted_containers() {
    let names: Vec<String> = (0..10).map(|i| format!("{i}container")).collect();
    let mut instances = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let c = instance(&i.to_string(), name, ContainerState::Running, 0);
        // Rearrange container statuses.
        if i % 2 == 0 {
            instances.push(c);
        } else {
            instances.insert(0, c);
        }
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let pod = pod(RestartPolicy::Always, &[], &refs);
    let rt = RuntimePodStatus { sandboxes: Vec::new(), containers: instances };
    for _ in 0..5 {
        let status = generate(&pod, &rt, &BTreeMap::new(), None);
        let order: Vec<&str> = status.container_statuses.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(order, refs, "container statuses are sorted by name");
    }
}

// ---- kubelet_test.go: TestGenerateAPIPodStatusWithReasonCache ----

/// One case: containers, runtime instances (newest first), reason cache, old statuses, and the expected
/// state and last termination by container (`None`: no last state).
struct ReasonCacheCase {
    containers: &'static [&'static str],
    statuses: Vec<ContainerStatus>,
    reasons: &'static [(&'static str, &'static str)],
    old: Vec<ContainerStatusReport>,
    expected_state: Vec<(&'static str, ContainerStateReport)>,
    expected_init_state: Option<Vec<(&'static str, ContainerStateReport)>>,
    expected_last: Vec<(&'static str, Option<ContainerStateReport>)>,
    comment: &'static str,
}

fn reason_cache_cases() -> Vec<ReasonCacheCase> {
    let waiting_creating = || ContainerStateReport::waiting(reason::CONTAINER_CREATING, "");
    let exited = |name: &str, code| instance("", name, ContainerState::Exited, code);
    let mut running = instance("", "running", ContainerState::Running, 0);
    running.started_at = Some(123_456_789_987);
    vec![
        ReasonCacheCase {
            comment: "For container with no historical record, State should be Waiting, LastTerminationState should be retrieved from old status from apiserver.",
            containers: &["without-old-record", "with-old-record"],
            statuses: vec![],
            reasons: &[],
            old: vec![ContainerStatusReport {
                name: "with-old-record".into(),
                last_state: Some(terminated(0)),
                ..Default::default()
            }],
            expected_state: vec![("without-old-record", waiting_creating()), ("with-old-record", waiting_creating())],
            expected_init_state: Some(vec![
                ("without-old-record", waiting_creating()),
                ("with-old-record", waiting_creating()),
            ]),
            expected_last: vec![("without-old-record", None), ("with-old-record", Some(terminated(0)))],
        },
        ReasonCacheCase {
            comment: "For running container, State should be Running, LastTerminationState should be retrieved from latest terminated status.",
            containers: &["running"],
            statuses: vec![running, instance("", "running", ContainerState::Exited, 1)],
            reasons: &[],
            old: vec![],
            expected_state: vec![("running", ContainerStateReport::Running { started_at: 123_456_789_987 })],
            expected_init_state: None,
            expected_last: vec![("running", Some(terminated(1)))],
        },
        ReasonCacheCase {
            comment: "For terminated container: no recent start error: Terminated, last from the second latest; a recent start error: Waiting, last from the latest; exit 0 under OnFailure: not restarted, so Terminated whatever the cache.",
            containers: &["without-reason", "with-reason"],
            statuses: vec![
                exited("without-reason", 1),
                exited("with-reason", 2),
                exited("without-reason", 3),
                exited("with-reason", 4),
                exited("succeed", 0),
                exited("succeed", 5),
            ],
            reasons: &[("with-reason", "test-error"), ("succeed", "test-error")],
            old: vec![],
            expected_state: vec![
                ("without-reason", terminated(1)),
                ("with-reason", ContainerStateReport::waiting("test-error", "")),
            ],
            expected_init_state: None,
            expected_last: vec![("without-reason", Some(terminated(3))), ("with-reason", Some(terminated(2)))],
        },
        ReasonCacheCase {
            comment: "For Unknown Container Status: a container that was running and whose status cannot be read goes Running->Terminated, not Running->Waiting.",
            containers: &["unknown"],
            statuses: vec![
                instance("", "unknown", ContainerState::Unknown, 0),
                instance("", "unknown", ContainerState::Running, 0),
            ],
            reasons: &[],
            old: vec![ContainerStatusReport {
                name: "unknown".into(),
                state: ContainerStateReport::Running { started_at: 0 },
                ..Default::default()
            }],
            expected_state: vec![(
                "unknown",
                ContainerStateReport::Terminated {
                    exit_code: 137,
                    reason: reason::CONTAINER_STATUS_UNKNOWN.into(),
                    message: UNKNOWN_WHILE_RUNNING.into(),
                    started_at: None,
                    finished_at: None,
                    container_id: SharedStr::EMPTY,
                },
            )],
            expected_init_state: None,
            expected_last: vec![("unknown", Some(ContainerStateReport::Running { started_at: 0 }))],
        },
    ]
}

fn check_statuses(
    statuses: &[ContainerStatusReport],
    state: &[(&str, ContainerStateReport)],
    last: &[(&str, Option<ContainerStateReport>)],
    what: &str,
) {
    for (name, expected) in state {
        assert_state(&status_of(statuses, name).state, expected, &format!("{what}: {name} state"));
    }
    for (name, expected) in last {
        assert_last(
            &status_of(statuses, name).last_state,
            expected.as_ref(),
            &format!("{what}: {name} last state"),
        );
    }
}

#[test]
fn test_generate_api_pod_status_with_reason_cache() {
    let cases = reason_cache_cases();
    let mut last_containers: &[&str] = &[];
    for (i, c) in cases.iter().enumerate() {
        let pod = pod(RestartPolicy::OnFailure, &[], c.containers);
        let old = PodStatusReport { container_statuses: c.old.clone(), ..Default::default() };
        let status = generate(&pod, &runtime(c.statuses.clone()), &reasons(c.reasons), Some(&old));
        check_statuses(
            &status.container_statuses,
            &c.expected_state,
            &c.expected_last,
            &format!("case {i}: {}", c.comment),
        );
        last_containers = c.containers;
    }
    // "Everything should be the same for init containers" (the Go test leaves the last case's regular
    // containers in the spec).
    for (i, c) in cases.iter().enumerate() {
        let init: Vec<(&str, bool)> = c.containers.iter().map(|n| (*n, false)).collect();
        let pod = pod(RestartPolicy::OnFailure, &init, last_containers);
        let old = PodStatusReport { init_container_statuses: c.old.clone(), ..Default::default() };
        let status = generate(&pod, &runtime(c.statuses.clone()), &reasons(c.reasons), Some(&old));
        let expected = c.expected_init_state.as_ref().unwrap_or(&c.expected_state);
        check_statuses(
            &status.init_container_statuses,
            expected,
            &c.expected_last,
            &format!("init case {i}"),
        );
    }
}

// ---- kubelet_test.go: TestGenerateAPIPodStatusWithDifferentRestartPolicies ----

#[test]
fn test_generate_api_pod_status_with_different_restart_policies() {
    let statuses = vec![
        instance("", "succeed", ContainerState::Exited, 0),
        instance("", "failed", ContainerState::Exited, 1),
        instance("", "succeed", ContainerState::Exited, 2),
        instance("", "failed", ContainerState::Exited, 3),
    ];
    let cache = reasons(&[("succeed", "test-error"), ("failed", "test-error")]);
    let waiting = || ContainerStateReport::waiting("test-error", "");
    type Expected = Vec<(&'static str, ContainerStateReport)>;
    type ExpectedLast = Vec<(&'static str, Option<ContainerStateReport>)>;
    type PolicyCase = (RestartPolicy, Expected, ExpectedLast, Option<Expected>, Option<ExpectedLast>);
    let cases: Vec<PolicyCase> = vec![
        (
            RestartPolicy::Never,
            vec![("succeed", terminated(0)), ("failed", terminated(1))],
            vec![("succeed", Some(terminated(2))), ("failed", Some(terminated(3)))],
            None,
            None,
        ),
        (
            RestartPolicy::OnFailure,
            vec![("succeed", terminated(0)), ("failed", waiting())],
            vec![("succeed", Some(terminated(2))), ("failed", Some(terminated(1)))],
            None,
            None,
        ),
        (
            RestartPolicy::Always,
            vec![("succeed", waiting()), ("failed", waiting())],
            vec![("succeed", Some(terminated(0))), ("failed", Some(terminated(1)))],
            // If the init container is terminated with exit code 0, it won't be restarted even when the
            // restart policy is RestartAlways.
            Some(vec![("succeed", terminated(0)), ("failed", waiting())]),
            Some(vec![("succeed", Some(terminated(2))), ("failed", Some(terminated(1)))]),
        ),
    ];
    for (i, (policy, state, last, init_state, init_last)) in cases.iter().enumerate() {
        let regular = pod(*policy, &[], &["succeed", "failed"]);
        let status = generate(&regular, &runtime(statuses.clone()), &cache, None);
        check_statuses(&status.container_statuses, state, last, &format!("case {i}"));
        let init = pod(*policy, &[("succeed", false), ("failed", false)], &[]);
        let status = generate(&init, &runtime(statuses.clone()), &cache, None);
        let state = init_state.as_ref().unwrap_or(state);
        let last = init_last.as_ref().unwrap_or(last);
        check_statuses(&status.init_container_statuses, state, last, &format!("init case {i}"));
    }
}

// ---- kubelet_pods_test.go: TestConvertToAPIContainerStatuses ----

/// `waitingWithLastTerminationUnknown`.
fn waiting_with_last_termination_unknown(name: &str, restart_count: u32) -> ContainerStatusReport {
    ContainerStatusReport {
        name: name.into(),
        state: ContainerStateReport::waiting(reason::CONTAINER_CREATING, ""),
        last_state: Some(ContainerStateReport::Terminated {
            exit_code: 137,
            reason: reason::CONTAINER_STATUS_UNKNOWN.into(),
            message: VANISHED_WHILE_RUNNING.into(),
            started_at: None,
            finished_at: None,
            container_id: SharedStr::EMPTY,
        }),
        restart_count,
        ..Default::default()
    }
}

/// `waitingStateWithRestartingAllContainers` with a restart count: removed by an in-place restart.
fn removed_for_restart(name: &str, restart_count: u32) -> ContainerStatusReport {
    ContainerStatusReport {
        name: name.into(),
        state: ContainerStateReport::waiting(reason::RESTARTING_ALL_CONTAINERS, REMOVED_FOR_RESTART_MESSAGE),
        last_state: Some(ContainerStateReport::Terminated {
            exit_code: 137,
            reason: reason::RESTARTING_ALL_CONTAINERS.into(),
            message: REMOVED_FOR_RESTART_MESSAGE.into(),
            started_at: None,
            finished_at: None,
            container_id: SharedStr::EMPTY,
        }),
        restart_count,
        ..Default::default()
    }
}

fn runtime_of(containers: Vec<ContainerStatus>) -> RuntimePodStatus {
    RuntimePodStatus { sandboxes: Vec::new(), containers }
}

fn running_state(name: &str) -> ContainerStatusReport {
    ContainerStatusReport {
        name: name.into(),
        state: ContainerStateReport::Running { started_at: 0 },
        ..Default::default()
    }
}

fn failed_state(name: &str, exit_code: i32, restart_count: u32) -> ContainerStatusReport {
    ContainerStatusReport {
        name: name.into(),
        state: terminated(exit_code),
        restart_count,
        ..Default::default()
    }
}

/// The Go test's comparison: everything but the container id (cleared on both sides).
fn assert_converted(actual: &[ContainerStatusReport], expected: &[ContainerStatusReport], test: &str) {
    assert_eq!(actual.len(), expected.len(), "[test {test}] {actual:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert_eq!(a.name, e.name, "[test {test}]");
        assert_state(&a.state, &e.state, &format!("[test {test}] {} state", a.name));
        assert_last(&a.last_state, e.last_state.as_ref(), &format!("[test {test}] {} last state", a.name));
        assert_eq!(a.restart_count, e.restart_count, "[test {test}] {} restart count", a.name);
        assert_eq!(
            (a.ready, a.started, &a.image),
            (e.ready, e.started, &e.image),
            "[test {test}] {}",
            a.name
        );
    }
}

fn convert(
    pod: &Pod,
    rt: &RuntimePodStatus,
    previous: &[ContainerStatusReport],
    containers: &[Container],
    options: ConvertOptions,
) -> Vec<ContainerStatusReport> {
    convert_to_api_container_statuses(
        pod,
        rt,
        previous,
        containers,
        &BTreeMap::<String, String>::new(),
        &options,
    )
}

#[test]
fn test_convert_to_api_container_statuses() {
    let gates =
        FeatureGates::parse("ContainerRestartRules=true,RestartAllContainersOnContainerExits=true").unwrap();
    let regular =
        ConvertOptions { has_init_containers: false, is_init_container: false, gates, pod_restarting: false };
    let init =
        ConvertOptions { has_init_containers: true, is_init_container: true, gates, pod_restarting: false };
    let desired = pod(RestartPolicy::Always, &[], &["containerA", "containerB"]);
    let empty = RuntimePodStatus::default();
    let previous_running = vec![running_state("containerA"), running_state("containerB")];

    let mut deleted = desired.clone();
    deleted.deletion_timestamp = Some(1);
    assert_converted(
        &convert(&deleted, &empty, &previous_running, &deleted.spec.containers, regular),
        &[
            waiting_with_last_termination_unknown("containerA", 0),
            waiting_with_last_termination_unknown("containerB", 0),
        ],
        "no current status, with previous statuses and deletion",
    );
    assert_converted(
        &convert(&desired, &empty, &previous_running, &desired.spec.containers, regular),
        &[
            waiting_with_last_termination_unknown("containerA", 1),
            waiting_with_last_termination_unknown("containerB", 1),
        ],
        "no current status, with previous statuses and no deletion",
    );
    let failed_5 = vec![failed_state("containerA", -1, 5), failed_state("containerB", -1, 5)];
    assert_converted(
        &convert(&desired, &empty, &failed_5, &desired.spec.containers, regular),
        &failed_5,
        "no current status, keeping previous restartCount",
    );
    let both_running = RuntimePodStatus {
        sandboxes: Vec::new(),
        containers: vec![
            instance("containerA", "containerA", ContainerState::Running, 0),
            instance("containerB", "containerB", ContainerState::Running, 0),
        ],
    };
    let running_after = |name: &str| ContainerStatusReport {
        last_state: Some(terminated(-1)),
        restart_count: 6,
        ..running_state(name)
    };
    assert_converted(
        &convert(&desired, &both_running, &failed_5, &desired.spec.containers, regular),
        &[running_after("containerA"), running_after("containerB")],
        "currently running with lower restartCount; should keeping previous restartCount",
    );
    let b_exited = RuntimePodStatus {
        sandboxes: Vec::new(),
        containers: vec![
            instance("", "containerA", ContainerState::Running, 0),
            instance("", "containerB", ContainerState::Exited, 42),
        ],
    };
    assert_converted(
        &convert(&desired, &b_exited, &previous_running, &desired.spec.containers, regular),
        &[running_state("containerA"), failed_state("containerB", 42, 0)],
        "containerB dies and triggers RestartAllContainers in place",
    );
    // The rows with `podRestarting: true` whose containers left the runtime.
    let restarting = ConvertOptions { pod_restarting: true, ..regular };
    let b_failed_42 = failed_state("containerB", 42, 0);
    let a_killed = runtime_of(vec![instance("", "containerA", ContainerState::Exited, 137)]);
    assert_converted(
        &convert(
            &desired,
            &a_killed,
            &[running_state("containerA"), b_failed_42.clone()],
            &desired.spec.containers,
            restarting,
        ),
        &[failed_state("containerA", 137, 0), removed_for_restart("containerB", 1)],
        "containerB dies and triggers RestartAllContainers in place, containerA killed",
    );
    assert_converted(
        &convert(
            &desired,
            &empty,
            &[failed_state("containerA", 137, 0), b_failed_42.clone()],
            &desired.spec.containers,
            restarting,
        ),
        &[removed_for_restart("containerA", 1), removed_for_restart("containerB", 1)],
        "containerB dies and triggers RestartAllContainers in place, containerA killed then removed",
    );
    assert_converted(
        &convert(
            &desired,
            &empty,
            &[running_state("containerA"), b_failed_42.clone()],
            &desired.spec.containers,
            restarting,
        ),
        &[removed_for_restart("containerA", 1), removed_for_restart("containerB", 1)],
        "containerB dies and triggers RestartAllContainers in place, containerA killed and removed together",
    );
    let a_rerun = runtime_of(vec![instance("containerA-new", "containerA", ContainerState::Running, 0)]);
    let a_rerun_expected = ContainerStatusReport {
        last_state: removed_for_restart("containerA", 1).last_state,
        restart_count: 1,
        ..running_state("containerA")
    };
    assert_converted(
        &convert(
            &desired,
            &a_rerun,
            &[removed_for_restart("containerA", 1), b_failed_42.clone()],
            &desired.spec.containers,
            restarting,
        ),
        &[a_rerun_expected, removed_for_restart("containerB", 1)],
        "containerB dies and triggers RestartAllContainers in place, containerA rerun",
    );
    let a_running_1 = ContainerStatusReport { restart_count: 1, ..running_state("containerA") };
    let a_succeeded = runtime_of(vec![instance("", "containerA", ContainerState::Exited, 0)]);
    assert_converted(
        &convert(
            &desired,
            &a_succeeded,
            &[a_running_1.clone(), b_failed_42.clone()],
            &desired.spec.containers,
            restarting,
        ),
        &[failed_state("containerA", 0, 1), removed_for_restart("containerB", 1)],
        "containerB dies and triggers RestartAllContainers in place, containerA succeeded",
    );
    let a_failed = runtime_of(vec![instance("", "containerA", ContainerState::Exited, 1)]);
    assert_converted(
        &convert(&desired, &a_failed, &[a_running_1, b_failed_42], &desired.spec.containers, restarting),
        &[failed_state("containerA", 1, 1), removed_for_restart("containerB", 1)],
        "containerB dies and triggers RestartAllContainers in place, containerA failed",
    );

    let with_init = pod(RestartPolicy::Always, &[("init-1", false)], &["containerA"]);
    let a_running = RuntimePodStatus {
        sandboxes: Vec::new(),
        containers: vec![instance("foo", "containerA", ContainerState::Running, 0)],
    };
    let completed = ContainerStatusReport {
        name: "init-1".into(),
        state: ContainerStateReport::Terminated {
            exit_code: 0,
            reason: reason::COMPLETED.into(),
            message: INIT_CONTAINER_FORGOTTEN.into(),
            started_at: None,
            finished_at: None,
            container_id: SharedStr::EMPTY,
        },
        ..Default::default()
    };
    assert_converted(
        &convert(&with_init, &a_running, &[], &with_init.spec.init_containers, init),
        &[completed],
        "Unable to get init container status from container runtime and pod has been initialized, treat it as exited normally",
    );
    let with_sidecar = pod(RestartPolicy::Always, &[("sidecar-1", true)], &["containerA"]);
    let sidecar_waiting = ContainerStatusReport {
        name: "sidecar-1".into(),
        state: ContainerStateReport::waiting(reason::CONTAINER_CREATING, ""),
        ..Default::default()
    };
    assert_converted(
        &convert(&with_sidecar, &a_running, &[], &with_sidecar.spec.init_containers, init),
        &[sidecar_waiting],
        "Unable to get sidecar container status from container runtime and pod has been initialized, sidecar container should be waiting",
    );
}

#[test]
fn test_convert_to_api_container_statuses_init_default() {
    let gates = FeatureGates::default();
    let mut with_init = pod(RestartPolicy::Always, &[("init-1", false)], &["app"]);
    with_init.spec_mut().init_containers[0].set_image("busybox");
    with_init.spec_mut().containers[0].set_image("nginx");
    let empty = RuntimePodStatus::default();
    let waiting_reason = |s: &[ContainerStatusReport]| {
        assert_eq!(s.len(), 1);
        s[0].state.reason().to_string()
    };
    // Init container with no CRI status should be ContainerCreating (not PodInitializing).
    let init =
        ConvertOptions { has_init_containers: true, is_init_container: true, gates, pod_restarting: false };
    let statuses = convert(&with_init, &empty, &[], &with_init.spec.init_containers, init);
    assert!(statuses[0].state.is_waiting());
    assert_eq!(
        waiting_reason(&statuses),
        reason::CONTAINER_CREATING,
        "init container default should be ContainerCreating"
    );
    assert_eq!(statuses[0].image, "busybox", "a container the runtime does not know shows the spec's image");
    // Regular container during init should remain PodInitializing.
    let regular_during_init =
        ConvertOptions { has_init_containers: true, is_init_container: false, gates, pod_restarting: false };
    let statuses = convert(&with_init, &empty, &[], &with_init.spec.containers, regular_during_init);
    assert_eq!(
        waiting_reason(&statuses),
        reason::POD_INITIALIZING,
        "regular container during init should be PodInitializing"
    );
    // Pod without init containers should be ContainerCreating for regular containers.
    let without_init = pod(RestartPolicy::Always, &[], &["app"]);
    let regular =
        ConvertOptions { has_init_containers: false, is_init_container: false, gates, pod_restarting: false };
    let statuses = convert(&without_init, &empty, &[], &without_init.spec.containers, regular);
    assert_eq!(waiting_reason(&statuses), reason::CONTAINER_CREATING);
}

// ---- generate_test.go ----

fn get_ready_status(name: &str) -> ContainerStatusReport {
    ContainerStatusReport { name: name.into(), ready: true, ..Default::default() }
}

fn get_not_ready_status(name: &str) -> ContainerStatusReport {
    ContainerStatusReport { name: name.into(), ready: false, ..Default::default() }
}

fn get_started_status(name: &str) -> ContainerStatusReport {
    ContainerStatusReport { name: name.into(), started: Some(true), ..Default::default() }
}

fn get_not_started_status(name: &str) -> ContainerStatusReport {
    ContainerStatusReport { name: name.into(), started: Some(false), ..Default::default() }
}

fn cond(kind: &str, status: ConditionStatus, reason: &str, message: &str) -> PodCondition {
    PodCondition::new(kind.to_string(), status, reason.to_string(), message.to_string())
}

use ConditionStatus::{False, True};

#[test]
fn test_generate_containers_ready_condition() {
    use condition_reason::*;
    let one = pod(RestartPolicy::Always, &[], &["1234"]);
    let two = pod(RestartPolicy::Always, &[], &["1234", "5678"]);
    let one_sidecar = pod(RestartPolicy::Always, &[("restartable-init-1", true)], &["regular-1"]);
    let two_sidecars = pod(
        RestartPolicy::Always,
        &[("restartable-init-1", true), ("restartable-init-2", true)],
        &["regular-1"],
    );
    let empty = Pod::new("p", "u", "n");
    let cases: Vec<(&Pod, Option<Vec<ContainerStatusReport>>, PodPhase, PodCondition)> = vec![
        (&empty, None, PodPhase::Running, cond(CONTAINERS_READY, False, UNKNOWN_CONTAINER_STATUSES, "")),
        (&empty, Some(vec![]), PodPhase::Running, cond(CONTAINERS_READY, True, "", "")),
        (
            &one,
            Some(vec![]),
            PodPhase::Running,
            cond(CONTAINERS_READY, False, CONTAINERS_NOT_READY, "containers with unknown status: [1234]"),
        ),
        (
            &two,
            Some(vec![get_ready_status("1234"), get_ready_status("5678")]),
            PodPhase::Running,
            cond(CONTAINERS_READY, True, "", ""),
        ),
        (
            &two,
            Some(vec![get_ready_status("1234")]),
            PodPhase::Running,
            cond(CONTAINERS_READY, False, CONTAINERS_NOT_READY, "containers with unknown status: [5678]"),
        ),
        (
            &two,
            Some(vec![get_ready_status("1234"), get_not_ready_status("5678")]),
            PodPhase::Running,
            cond(CONTAINERS_READY, False, CONTAINERS_NOT_READY, "containers with unready status: [5678]"),
        ),
        (
            &one,
            Some(vec![get_not_ready_status("1234")]),
            PodPhase::Succeeded,
            cond(CONTAINERS_READY, False, POD_COMPLETED, ""),
        ),
        (
            &one_sidecar,
            Some(vec![get_ready_status("regular-1")]),
            PodPhase::Running,
            cond(
                CONTAINERS_READY,
                False,
                CONTAINERS_NOT_READY,
                "containers with unknown status: [restartable-init-1]",
            ),
        ),
        (
            &two_sidecars,
            Some(vec![
                get_ready_status("restartable-init-1"),
                get_ready_status("restartable-init-2"),
                get_ready_status("regular-1"),
            ]),
            PodPhase::Running,
            cond(CONTAINERS_READY, True, "", ""),
        ),
        (
            &two_sidecars,
            Some(vec![get_ready_status("restartable-init-1"), get_ready_status("regular-1")]),
            PodPhase::Running,
            cond(
                CONTAINERS_READY,
                False,
                CONTAINERS_NOT_READY,
                "containers with unknown status: [restartable-init-2]",
            ),
        ),
        (
            &two_sidecars,
            Some(vec![
                get_ready_status("restartable-init-1"),
                get_not_ready_status("restartable-init-2"),
                get_ready_status("regular-1"),
            ]),
            PodPhase::Running,
            cond(
                CONTAINERS_READY,
                False,
                CONTAINERS_NOT_READY,
                "containers with unready status: [restartable-init-2]",
            ),
        ),
    ];
    for (i, (pod, statuses, phase, expected)) in cases.iter().enumerate() {
        let refs: Option<Vec<&ContainerStatusReport>> = statuses.as_ref().map(|s| s.iter().collect());
        let ready = generate_containers_ready_condition(pod, refs.as_deref(), *phase);
        assert_eq!(&ready, expected, "On test case {i}");
    }
}

#[test]
fn test_generate_pod_ready_condition() {
    use condition_reason::*;
    let one = pod(RestartPolicy::Always, &[], &["1234"]);
    let two = pod(RestartPolicy::Always, &[], &["1234", "5678"]);
    let empty = Pod::new("p", "u", "n");
    let gate = |name: &str, status| cond(name, status, "", "");
    type Case<'p> = (
        &'p Pod,
        &'static [&'static str],
        Vec<PodCondition>,
        Option<Vec<ContainerStatusReport>>,
        PodPhase,
        PodCondition,
    );
    let cases: Vec<Case<'_>> = vec![
        (&empty, &[], vec![], None, PodPhase::Running, cond(READY, False, UNKNOWN_CONTAINER_STATUSES, "")),
        (&empty, &[], vec![], Some(vec![]), PodPhase::Running, cond(READY, True, "", "")),
        (
            &one,
            &[],
            vec![],
            Some(vec![]),
            PodPhase::Running,
            cond(READY, False, CONTAINERS_NOT_READY, "containers with unknown status: [1234]"),
        ),
        (
            &two,
            &[],
            vec![],
            Some(vec![get_ready_status("1234"), get_ready_status("5678")]),
            PodPhase::Running,
            cond(READY, True, "", ""),
        ),
        (
            &two,
            &[],
            vec![],
            Some(vec![get_ready_status("1234")]),
            PodPhase::Running,
            cond(READY, False, CONTAINERS_NOT_READY, "containers with unknown status: [5678]"),
        ),
        (
            &two,
            &[],
            vec![],
            Some(vec![get_ready_status("1234"), get_not_ready_status("5678")]),
            PodPhase::Running,
            cond(READY, False, CONTAINERS_NOT_READY, "containers with unready status: [5678]"),
        ),
        (
            &one,
            &[],
            vec![],
            Some(vec![get_not_ready_status("1234")]),
            PodPhase::Succeeded,
            cond(READY, False, POD_COMPLETED, ""),
        ),
        (
            &empty,
            &["gate1"],
            vec![],
            Some(vec![]),
            PodPhase::Running,
            cond(
                READY,
                False,
                READINESS_GATES_NOT_READY,
                "corresponding condition of pod readiness gate \"gate1\" does not exist.",
            ),
        ),
        (
            &empty,
            &["gate1"],
            vec![gate("gate1", False)],
            Some(vec![]),
            PodPhase::Running,
            cond(
                READY,
                False,
                READINESS_GATES_NOT_READY,
                "the status of pod readiness gate \"gate1\" is not \"True\", but False",
            ),
        ),
        (
            &empty,
            &["gate1"],
            vec![gate("gate1", True)],
            Some(vec![]),
            PodPhase::Running,
            cond(READY, True, "", ""),
        ),
        (
            &empty,
            &["gate1", "gate2"],
            vec![gate("gate1", True)],
            Some(vec![]),
            PodPhase::Running,
            cond(
                READY,
                False,
                READINESS_GATES_NOT_READY,
                "corresponding condition of pod readiness gate \"gate2\" does not exist.",
            ),
        ),
        (
            &empty,
            &["gate1", "gate2"],
            vec![gate("gate1", True), gate("gate2", False)],
            Some(vec![]),
            PodPhase::Running,
            cond(
                READY,
                False,
                READINESS_GATES_NOT_READY,
                "the status of pod readiness gate \"gate2\" is not \"True\", but False",
            ),
        ),
        (
            &empty,
            &["gate1", "gate2"],
            vec![gate("gate1", True), gate("gate2", True)],
            Some(vec![]),
            PodPhase::Running,
            cond(READY, True, "", ""),
        ),
        (
            &one,
            &["gate1"],
            vec![gate("gate1", True)],
            Some(vec![get_not_ready_status("1234")]),
            PodPhase::Running,
            cond(READY, False, CONTAINERS_NOT_READY, "containers with unready status: [1234]"),
        ),
    ];
    for (i, (pod, gates, conditions, statuses, phase, expected)) in cases.iter().enumerate() {
        let refs: Option<Vec<&ContainerStatusReport>> = statuses.as_ref().map(|s| s.iter().collect());
        let ready = generate_pod_ready_condition(pod, gates, conditions, refs.as_deref(), *phase);
        assert_eq!(&ready, expected, "On test case {i}");
    }
}

#[test]
fn test_generate_pod_initialized_condition() {
    use condition_reason::*;
    let no_init = pod(RestartPolicy::Always, &[], &[]);
    let one_init = pod(RestartPolicy::Always, &[("1234", false)], &["regular"]);
    let two_init = pod(RestartPolicy::Always, &[("1234", false), ("5678", false)], &["regular"]);
    let one_restartable = pod(RestartPolicy::Always, &[("1234", true)], &["regular"]);
    let regular_running = ContainerStatusReport {
        name: "regular".into(),
        state: ContainerStateReport::Running { started_at: 0 },
        ..Default::default()
    };
    let init_waiting = ContainerStatusReport {
        name: "1234".into(),
        state: ContainerStateReport::waiting("", ""),
        ..Default::default()
    };
    let regular_terminated =
        ContainerStatusReport { name: "regular".into(), state: terminated(0), ..Default::default() };
    type InitCase<'p> =
        (&'p Pod, Option<Vec<ContainerStatusReport>>, PodPhase, ConditionStatus, &'static str);
    let cases: Vec<InitCase<'_>> = vec![
        (&two_init, None, PodPhase::Running, False, UNKNOWN_CONTAINER_STATUSES),
        (&no_init, Some(vec![]), PodPhase::Running, True, ""),
        (&one_init, Some(vec![]), PodPhase::Running, False, CONTAINERS_NOT_INITIALIZED),
        (
            &two_init,
            Some(vec![get_ready_status("1234"), get_ready_status("5678")]),
            PodPhase::Running,
            True,
            "",
        ),
        (
            &two_init,
            Some(vec![get_ready_status("1234")]),
            PodPhase::Running,
            False,
            CONTAINERS_NOT_INITIALIZED,
        ),
        (
            &two_init,
            Some(vec![get_ready_status("1234"), get_not_ready_status("5678")]),
            PodPhase::Running,
            False,
            CONTAINERS_NOT_INITIALIZED,
        ),
        (&one_init, Some(vec![get_ready_status("1234")]), PodPhase::Succeeded, True, POD_COMPLETED),
        (
            &one_restartable,
            Some(vec![get_not_started_status("1234")]),
            PodPhase::Pending,
            False,
            CONTAINERS_NOT_INITIALIZED,
        ),
        (&one_restartable, Some(vec![get_started_status("1234")]), PodPhase::Running, True, ""),
        (
            &one_restartable,
            Some(vec![get_not_started_status("1234"), regular_running]),
            PodPhase::Running,
            True,
            "",
        ),
        (&one_init, Some(vec![init_waiting, regular_terminated]), PodPhase::Running, True, ""),
    ];
    for (i, (pod, statuses, phase, status, reason)) in cases.iter().enumerate() {
        let refs: Option<Vec<&ContainerStatusReport>> = statuses.as_ref().map(|s| s.iter().collect());
        let condition = generate_pod_initialized_condition(pod, refs.as_deref(), *phase);
        assert_eq!(condition.condition_type, INITIALIZED, "case {i}");
        assert_eq!((condition.status, condition.reason.as_ref()), (*status, *reason), "case {i}");
    }
}

#[test]
fn test_generate_pod_ready_to_start_containers_condition() {
    let plain = Pod::new("p", "u", "n");
    let mut host_network = plain.clone();
    host_network.spec_mut().host_network = true;
    let not_ready =
        SandboxStatus { state: SandboxState::NotReady, ip: SharedStr::EMPTY, ..ready_sandbox("s0") };
    let no_ip = SandboxStatus { ip: SharedStr::EMPTY, ..ready_sandbox("s0") };
    let second = SandboxStatus { attempt: 1, ip: "10.0.0.10".into(), ..ready_sandbox("s1") };
    let first = SandboxStatus { ip: "10.0.0.11".into(), ..ready_sandbox("s0") };
    let cases: Vec<(&str, &Pod, Vec<SandboxStatus>, Option<SandboxNotReady>)> = vec![
        ("Empty pod status", &plain, vec![], Some(SandboxNotReady::NoPodSandbox)),
        ("Pod sandbox status not ready", &plain, vec![not_ready], Some(SandboxNotReady::SandboxNotReady)),
        (
            "Pod with multiple ready sandboxes",
            &plain,
            vec![second, first],
            Some(SandboxNotReady::MultipleSandboxes),
        ),
        (
            "Pod sandbox status ready but network namespace mode changed",
            &host_network,
            vec![ready_sandbox("s0")],
            Some(SandboxNotReady::NetworkNamespaceMode),
        ),
        (
            "Pod sandbox status ready but no IP configured",
            &plain,
            vec![no_ip],
            Some(SandboxNotReady::NoIpAddress),
        ),
        ("Pod sandbox status ready and IP configured", &plain, vec![ready_sandbox("s0")], None),
    ];
    for (desc, pod, sandboxes, why) in cases {
        let rt = RuntimePodStatus { sandboxes, containers: Vec::new() };
        let condition = generate_pod_ready_to_start_containers_condition(pod, &rt);
        let expected = match why {
            None => cond(POD_READY_TO_START_CONTAINERS, True, "", ""),
            Some(why) => cond(
                POD_READY_TO_START_CONTAINERS,
                False,
                condition_reason::POD_SANDBOX_NOT_READY,
                why.message(),
            ),
        };
        assert_eq!(condition, expected, "{desc}");
        assert_eq!(sandbox_not_ready(pod, &rt), why, "{desc}");
        // The condition's reason and computePodActions' PodSandboxChanged agree.
        assert_eq!(why.is_some(), pod_sandbox_changed(pod, &rt).0, "{desc}");
    }
    assert_eq!(SandboxNotReady::NoPodSandbox.message(), "no pod sandbox exists");
    assert_eq!(SandboxNotReady::NoIpAddress.message(), "pod sandbox has no IP address");
}

// ---- the whole status: conditions, started and ready ----

#[test]
fn a_running_pod_is_ready_and_its_conditions_are_true_in_the_kubelet_order() {
    let pod = pod(RestartPolicy::Always, &[("setup", false)], &["app"]);
    let mut setup = instance("c-1", "setup", ContainerState::Exited, 0);
    setup.reason = reason::COMPLETED.into();
    let app = instance("c-2", "app", ContainerState::Running, 0);
    let status = generate(&pod, &runtime(vec![app, setup]), &BTreeMap::new(), None);
    assert_eq!(status.phase, PodPhase::Running);
    let kinds: Vec<(&str, ConditionStatus)> =
        status.conditions.iter().map(|c| (c.condition_type.as_ref(), c.status)).collect();
    assert_eq!(
        kinds,
        vec![
            (POD_READY_TO_START_CONTAINERS, True),
            (INITIALIZED, True),
            (READY, True),
            (CONTAINERS_READY, True),
            ("PodScheduled", True)
        ]
    );
    let app = status.container("app").unwrap();
    assert_eq!((app.started, app.ready), (Some(true), true), "running without a readiness probe: ready");
    let setup = status.container("setup").unwrap();
    assert_eq!((setup.started, setup.ready), (Some(false), true), "a completed init container is ready");
}

#[test]
fn a_startup_probe_keeps_a_container_unstarted_until_it_succeeds() {
    let mut pod = pod(RestartPolicy::Always, &[], &["app"]);
    pod.spec_mut().containers[0].startup_probe =
        Some(podsim_model::pod::Probe::exec(&["workload", "check", "started"]));
    let rt = runtime(vec![instance("c-1", "app", ContainerState::Running, 0)]);
    let status = generate(&pod, &rt, &BTreeMap::new(), None);
    let app = status.container("app").unwrap();
    assert_eq!((app.started, app.ready), (Some(false), false));
    assert_eq!(status.condition(READY).map(|c| c.status), Some(False));
    let mut probes = ProbeResults::none();
    probes.0.insert(
        "c-1".into(),
        podsim_model::ContainerProbes {
            liveness: None,
            startup: Some(podsim_model::ProbeResult::Success),
            readiness: None,
        },
    );
    let cache = BTreeMap::<String, String>::new();
    let context = StatusContext {
        reasons: &cache,
        old_status: None,
        probes: &probes,
        gates: FeatureGates::default(),
        pod_is_terminal: false,
    };
    let status = generate_api_pod_status(&pod, &rt, &context);
    let app = status.container("app").unwrap();
    assert_eq!((app.started, app.ready), (Some(true), true));
}

#[test]
fn a_sidecar_counts_as_pending_until_a_status_says_it_started() {
    // getPhase reads `started` of the converted statuses, which comes from the old status: the first
    // status of a running sidecar (with no regular container yet) is Pending, the next one, which
    // carries `started: true` from the first, is not held back by it.
    let pod = pod(RestartPolicy::Always, &[("proxy", true)], &["app"]);
    let rt = runtime(vec![instance("c-1", "proxy", ContainerState::Running, 0)]);
    let first = generate(&pod, &rt, &BTreeMap::new(), None);
    assert_eq!(first.phase, PodPhase::Pending);
    assert_eq!(first.container("proxy").unwrap().started, Some(true));
    let rt = runtime(vec![
        instance("c-2", "app", ContainerState::Running, 0),
        instance("c-1", "proxy", ContainerState::Running, 0),
    ]);
    let second = generate(&pod, &rt, &BTreeMap::new(), Some(&first));
    assert_eq!(second.phase, PodPhase::Running);
}

#[test]
fn a_terminal_phase_the_status_manager_holds_is_kept() {
    let pod = pod(RestartPolicy::Never, &[], &["app"]);
    let old = PodStatusReport { phase: PodPhase::Succeeded, ..Default::default() };
    let rt = runtime(vec![instance("c-1", "app", ContainerState::Running, 0)]);
    assert_eq!(generate(&pod, &rt, &BTreeMap::new(), Some(&old)).phase, PodPhase::Succeeded);
    assert_eq!(generate(&pod, &rt, &BTreeMap::new(), None).phase, PodPhase::Running);
}

// ---- kubelet_pods_test.go: Test_generateAPIPodStatus, its phase, reason and message cases ----
//
// Ported from pkg/kubelet/kubelet_pods_test.go (kubernetes/kubernetes, read_file id 8817320): the
// five cases on the three-way merge of the phase (the status manager's `previousStatus`, the API
// server's `pod.Status`, the runtime's `currentStatus`) and on the reason and message. Their
// conditions, host IPs and QoS class are not carried by podsim's status; the container statuses are
// covered by the convert tables above. The Go `previousStatus` with no phase is podsim's default
// (Pending): in every case below neither is terminal, so the merge reads them alike.

/// A status with this phase, reason and message.
fn phase_status(phase: PodPhase, reason: &str, message: &str) -> PodStatusReport {
    PodStatusReport { phase, reason: reason.into(), message: message.into(), ..Default::default() }
}

/// `desiredState` of the Go test (two containers, restart policy Always, or Never), with the API
/// server's status.
fn with_api_status(policy: RestartPolicy, api: PodStatusReport) -> Pod {
    let mut p = pod(policy, &[], &["containerA", "containerB"]);
    p.status = Some(std::sync::Arc::new(api));
    p
}

fn running_since(id: &str, name: &str, started: u64) -> ContainerStatus {
    ContainerStatus { started_at: Some(started), ..instance(id, name, ContainerState::Running, 0) }
}

#[test]
fn test_generate_api_pod_status_phase_merge() {
    let no_runtime = RuntimePodStatus { sandboxes: Vec::new(), containers: Vec::new() };
    let cases: Vec<(&str, Pod, RuntimePodStatus, PodStatusReport, PodStatusReport)> = vec![
        (
            "terminal phase cannot be changed (apiserver previous is succeeded)",
            with_api_status(RestartPolicy::Always, phase_status(PodPhase::Succeeded, "", "")),
            no_runtime.clone(),
            phase_status(PodPhase::Pending, "", ""),
            phase_status(PodPhase::Succeeded, "", ""),
        ),
        (
            "terminal phase from previous status must remain terminal, restartAlways",
            with_api_status(RestartPolicy::Always, phase_status(PodPhase::Running, "", "")),
            no_runtime.clone(),
            phase_status(PodPhase::Succeeded, "Test", "test"),
            phase_status(PodPhase::Succeeded, "Test", "test"),
        ),
        (
            "terminal phase from previous status must remain terminal, restartNever",
            with_api_status(RestartPolicy::Never, phase_status(PodPhase::Running, "", "")),
            no_runtime,
            phase_status(PodPhase::Succeeded, "Test", "test"),
            phase_status(PodPhase::Succeeded, "Test", "test"),
        ),
        (
            "running can revert to pending",
            with_api_status(RestartPolicy::Always, phase_status(PodPhase::Running, "", "")),
            runtime(Vec::new()),
            phase_status(PodPhase::Pending, "", ""),
            phase_status(PodPhase::Pending, "", ""),
        ),
        (
            "reason and message are preserved when phase doesn't change",
            with_api_status(RestartPolicy::Always, phase_status(PodPhase::Running, "", "")),
            runtime(vec![running_since("foo", "containerB", 1_000)]),
            phase_status(PodPhase::Pending, "Test", "test"),
            phase_status(PodPhase::Pending, "Test", "test"),
        ),
        (
            "reason and message are cleared when phase changes",
            with_api_status(RestartPolicy::Always, phase_status(PodPhase::Pending, "", "")),
            runtime(vec![running_since("c1", "containerA", 1_000), running_since("c2", "containerB", 2_000)]),
            phase_status(PodPhase::Pending, "Test", "test"),
            phase_status(PodPhase::Running, "", ""),
        ),
    ];
    for (name, pod, rt, previous, expected) in cases {
        let got = generate(&pod, &rt, &BTreeMap::new(), Some(&previous));
        let got = (got.phase, got.reason.as_str(), got.message.as_str());
        assert_eq!(got, (expected.phase, expected.reason.as_str(), expected.message.as_str()), "{name}");
    }
}

/// Beyond the table, the same function's other rules on the API server's status: with the status
/// manager's phase the same as the computed one and no reason of its own, the API server's reason
/// and message fill in; and a terminal API phase is forced back even over a computed terminal one
/// ("Pod attempted illegal phase transition").
#[test]
fn the_api_servers_status_fills_the_reason_and_holds_its_terminal_phase() {
    let api = phase_status(PodPhase::Running, "Evicting", "from the API");
    let pod = with_api_status(RestartPolicy::Always, api);
    let rt =
        runtime(vec![running_since("c1", "containerA", 1_000), running_since("c2", "containerB", 2_000)]);
    let got = generate(&pod, &rt, &BTreeMap::new(), Some(&phase_status(PodPhase::Running, "", "")));
    assert_eq!(
        (got.phase, got.reason.as_str(), got.message.as_str()),
        (PodPhase::Running, "Evicting", "from the API")
    );

    let pod = with_api_status(RestartPolicy::Never, phase_status(PodPhase::Succeeded, "", ""));
    let failed = runtime(vec![
        instance("c1", "containerA", ContainerState::Exited, 1),
        instance("c2", "containerB", ContainerState::Exited, 0),
    ]);
    assert_eq!(generate(&pod, &failed, &BTreeMap::new(), None).phase, PodPhase::Succeeded);
    let without_api = Pod { status: None, ..pod };
    assert_eq!(generate(&without_api, &failed, &BTreeMap::new(), None).phase, PodPhase::Failed);
}
