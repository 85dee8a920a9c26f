//! The kubelet's own `getPhase` table tests (pkg/kubelet/kubelet_pods_test.go), ported case for case:
//! each Go test is a Rust test, each Go case a row carrying the Go description string.
//!
//! Ported from OchukoWH/kubernetes@3669de28fe1658f1033b4296d34553d8d2e6a0d4 (a fork of kubernetes
//! master after v1.35; kubelet_pods_test.go, index id 60756631880, whose `getPhase(logger, pod, info,
//! podIsTerminal, podHasInitialized)` matches kubelet_pods.go of the same commit, id 60635241778).
//!
//! Gates, as each Go test sets them (`featuregatetesting.SetFeatureGateDuringTest`):
//! - TestPodPhaseWithRestartAlways, ...AlwaysInitContainers, ...AlwaysRestartableInitContainers,
//!   ...AlwaysAndPodHasRun, ...Never, ...NeverInitContainers, ...NeverRestartableInitContainers,
//!   ...OnFailure set none: they run with the kubelet's defaults of that version
//!   (`FeatureGates::default()`: ContainerRestartRules on, RestartAllContainersOnContainerExits off).
//!   Their pods set no container-level policy, so the legacy path (ContainerRestartRules off) must give
//!   the same phase: each such table is also run with the gate off.
//! - TestPodPhaseWithContainerRestartPolicy and ...InitContainers: ContainerRestartRules=true.
//! - TestPodPhaseWithRestartAllContainers: ContainerRestartRules=true, NodeDeclaredFeatures=true (not a
//!   podsim gate: it changes no phase), RestartAllContainersOnContainerExits=true.
//!
//! A Go status helper (`runningState`, `failedState`, ...) is a Rust function of the same name in
//! snake case; `stoppedState` is `Terminated{}` (exit code 0, as Go's zero value).

use podsim_model::gates::FeatureGates;
use podsim_model::shared_str::SharedStr;
use podsim_model::status::phase::{
    get_phase, ExitCodeOperator, ExitCodesRule, PhaseContainer, PhaseOptions, PhaseSpec, PhaseStatus,
    RestartRule, RestartRuleAction,
};
use podsim_model::status::reason::RESTARTING_ALL_CONTAINERS;
use podsim_model::{ContainerStateReport, ContainerStatusReport, PodPhase, RestartPolicy};

use PodPhase::{Failed, Pending, Running, Succeeded};

// ---- the Go status helpers ----

fn status(name: &str, state: ContainerStateReport) -> ContainerStatusReport {
    ContainerStatusReport { name: name.into(), state, ..ContainerStatusReport::default() }
}

fn waiting_state(name: &str) -> ContainerStatusReport {
    status(name, ContainerStateReport::waiting("", ""))
}

fn with_last(mut s: ContainerStatusReport, last: ContainerStateReport) -> ContainerStatusReport {
    s.last_state = Some(last);
    s
}

fn waiting_state_with_last_termination(name: &str) -> ContainerStatusReport {
    with_last(waiting_state(name), ContainerStateReport::terminated(0, ""))
}

fn waiting_state_with_non_zero_termination(name: &str) -> ContainerStatusReport {
    with_last(waiting_state(name), ContainerStateReport::terminated(-1, ""))
}

const RESTART_ALL_MESSAGE: &str = "The container is removed because RestartAllContainers in place";

fn waiting_state_with_restarting_all_containers(name: &str) -> ContainerStatusReport {
    let last = ContainerStateReport::Terminated {
        exit_code: 137,
        reason: RESTARTING_ALL_CONTAINERS.into(),
        message: RESTART_ALL_MESSAGE.into(),
        started_at: None,
        finished_at: None,
        container_id: SharedStr::EMPTY,
    };
    with_last(
        status(name, ContainerStateReport::waiting(RESTARTING_ALL_CONTAINERS, RESTART_ALL_MESSAGE)),
        last,
    )
}

fn running_state(name: &str) -> ContainerStatusReport {
    status(name, ContainerStateReport::Running { started_at: 0 })
}

fn started_state(name: &str) -> ContainerStatusReport {
    ContainerStatusReport { started: Some(true), ..running_state(name) }
}

fn stopped_state(name: &str) -> ContainerStatusReport {
    status(name, ContainerStateReport::terminated(0, ""))
}

fn succeeded_state(name: &str) -> ContainerStatusReport {
    status(name, ContainerStateReport::terminated(0, ""))
}

fn failed_state(name: &str) -> ContainerStatusReport {
    status(name, ContainerStateReport::terminated(-1, ""))
}

fn failed_state_with_exit_code(name: &str, code: i32) -> ContainerStatusReport {
    status(name, ContainerStateReport::terminated(code, ""))
}

// ---- specs ----

fn plain(name: &str) -> PhaseContainer<'_> {
    PhaseContainer::named(name)
}

fn with_policy(name: &str, policy: RestartPolicy) -> PhaseContainer<'_> {
    PhaseContainer { restart_policy: Some(policy), ..PhaseContainer::named(name) }
}

fn sidecar(name: &str) -> PhaseContainer<'_> {
    with_policy(name, RestartPolicy::Always)
}

fn spec<'a>(
    policy: RestartPolicy,
    init: Vec<PhaseContainer<'a>>,
    containers: Vec<PhaseContainer<'a>>,
) -> PhaseSpec<'a> {
    PhaseSpec { restart_policy: policy, init_containers: init, containers, is_static_pod: false }
}

/// One Go table row: the statuses (in the order the Go test passes them), `podIsTerminal`,
/// `podHasInitialized`, the expected phase, and the Go description.
struct Case {
    statuses: Vec<ContainerStatusReport>,
    terminal: bool,
    initialized: bool,
    phase: PodPhase,
    test: &'static str,
}

fn case(
    statuses: Vec<ContainerStatusReport>,
    terminal: bool,
    initialized: bool,
    phase: PodPhase,
    test: &'static str,
) -> Case {
    Case { statuses, terminal, initialized, phase, test }
}

fn gates(list: &str) -> FeatureGates {
    FeatureGates::parse(list).expect("known gates")
}

fn phase_of(spec: &PhaseSpec<'_>, c: &Case, gates: FeatureGates) -> PodPhase {
    let views: Vec<PhaseStatus<'_>> = c.statuses.iter().map(PhaseStatus::from).collect();
    let options = PhaseOptions { pod_is_terminal: c.terminal, pod_has_initialized: c.initialized, gates };
    get_phase(spec, &views, &options)
}

/// Runs every row under these gates.
fn check(spec: &PhaseSpec<'_>, cases: &[Case], gates: FeatureGates) {
    for c in cases {
        assert_eq!(
            phase_of(spec, c, gates),
            c.phase,
            "[test {}] with gates {:?}",
            c.test,
            gates.non_default()
        );
    }
}

/// A table the Go test runs with the default gates, and (its pods setting no container-level policy)
/// the same under the legacy path.
fn check_default_and_legacy(spec: &PhaseSpec<'_>, cases: &[Case]) {
    check(spec, cases, FeatureGates::default());
    check(spec, cases, gates("ContainerRestartRules=false"));
}

fn two_regular() -> Vec<PhaseContainer<'static>> {
    vec![plain("containerA"), plain("containerB")]
}

#[test]
fn test_pod_phase_with_restart_always() {
    let s = spec(RestartPolicy::Always, vec![], two_regular());
    let cases = vec![
        case(vec![], false, false, Pending, "waiting"),
        case(
            vec![running_state("containerA"), running_state("containerB")],
            false,
            false,
            Running,
            "all running",
        ),
        case(
            vec![stopped_state("containerA"), stopped_state("containerB")],
            false,
            false,
            Running,
            "all stopped with restart always",
        ),
        case(
            vec![succeeded_state("containerA"), succeeded_state("containerB")],
            true,
            false,
            Succeeded,
            "all succeeded with restart always, but the pod is terminal",
        ),
        case(
            vec![succeeded_state("containerA"), failed_state("containerB")],
            true,
            false,
            Failed,
            "all stopped with restart always, but the pod is terminal",
        ),
        case(
            vec![running_state("containerA"), stopped_state("containerB")],
            false,
            false,
            Running,
            "mixed state #1 with restart always",
        ),
        case(vec![running_state("containerA")], false, false, Pending, "mixed state #2 with restart always"),
        case(
            vec![running_state("containerA"), waiting_state("containerB")],
            false,
            false,
            Pending,
            "mixed state #3 with restart always",
        ),
        case(
            vec![running_state("containerA"), waiting_state_with_last_termination("containerB")],
            false,
            false,
            Running,
            "backoff crashloop container with restart always",
        ),
    ];
    check_default_and_legacy(&s, &cases);
}

#[test]
fn test_pod_phase_with_restart_always_init_containers() {
    let s = spec(RestartPolicy::Always, vec![plain("containerX")], two_regular());
    let cases = vec![
        case(vec![], false, false, Pending, "empty, waiting"),
        case(vec![running_state("containerX")], false, false, Pending, "init container running"),
        case(vec![failed_state("containerX")], false, false, Pending, "init container terminated non-zero"),
        case(
            vec![waiting_state_with_last_termination("containerX")],
            false,
            false,
            Pending,
            "init container waiting, terminated zero",
        ),
        case(
            vec![waiting_state_with_non_zero_termination("containerX")],
            false,
            false,
            Pending,
            "init container waiting, terminated non-zero",
        ),
        case(
            vec![waiting_state("containerX")],
            false,
            false,
            Pending,
            "init container waiting, not terminated",
        ),
        case(
            vec![succeeded_state("containerX"), running_state("containerA"), running_state("containerB")],
            false,
            false,
            Running,
            "init container succeeded",
        ),
    ];
    check_default_and_legacy(&s, &cases);
}

#[test]
fn test_pod_phase_with_restart_always_restartable_init_containers() {
    let s = spec(RestartPolicy::Always, vec![sidecar("containerX")], two_regular());
    let all_running =
        |x: ContainerStatusReport| vec![x, running_state("containerA"), running_state("containerB")];
    let all_succeeded =
        |x: ContainerStatusReport| vec![x, succeeded_state("containerA"), succeeded_state("containerB")];
    let cases = vec![
        case(vec![], false, false, Pending, "empty, waiting"),
        case(vec![running_state("containerX")], false, false, Pending, "restartable init container running"),
        case(vec![stopped_state("containerX")], false, false, Pending, "restartable init container stopped"),
        case(
            vec![waiting_state_with_last_termination("containerX")],
            false,
            false,
            Pending,
            "restartable init container waiting, terminated zero",
        ),
        case(
            vec![waiting_state_with_non_zero_termination("containerX")],
            false,
            false,
            Pending,
            "restartable init container waiting, terminated non-zero",
        ),
        case(
            vec![waiting_state("containerX")],
            false,
            false,
            Pending,
            "restartable init container waiting, not terminated",
        ),
        case(
            vec![started_state("containerX"), running_state("containerA")],
            false,
            true,
            Pending,
            "restartable init container started, 1/2 regular container running",
        ),
        case(
            all_running(started_state("containerX")),
            false,
            true,
            Running,
            "restartable init container started, all regular containers running",
        ),
        case(
            all_running(running_state("containerX")),
            false,
            true,
            Running,
            "restartable init container running, all regular containers running",
        ),
        case(
            all_running(stopped_state("containerX")),
            false,
            true,
            Running,
            "restartable init container stopped, all regular containers running",
        ),
        case(
            all_running(waiting_state_with_last_termination("containerX")),
            false,
            true,
            Running,
            "backoff crashloop restartable init container, all regular containers running",
        ),
        case(
            all_succeeded(failed_state("containerX")),
            true,
            true,
            Succeeded,
            "all regular containers succeeded and restartable init container failed with restart always, but the pod is terminal",
        ),
        case(
            all_succeeded(succeeded_state("containerX")),
            true,
            true,
            Succeeded,
            "all regular containers succeeded and restartable init container succeeded with restart always, but the pod is terminal",
        ),
        case(
            all_running(running_state("containerX")),
            false,
            false,
            Pending,
            "re-initializing the pod after the sandbox is recreated",
        ),
    ];
    check_default_and_legacy(&s, &cases);
}

#[test]
fn test_pod_phase_with_restart_always_and_pod_has_run() {
    let s = spec(
        RestartPolicy::Always,
        vec![plain("containerX"), sidecar("containerY")],
        vec![plain("containerA")],
    );
    let cases = vec![
        case(
            vec![running_state("containerX"), running_state("containerY"), running_state("containerA")],
            false,
            false,
            Pending,
            "regular init containers, restartable init container and regular container are all running",
        ),
        case(
            vec![running_state("containerX"), running_state("containerY"), stopped_state("containerA")],
            false,
            false,
            Pending,
            "regular containers is stopped, restartable init container and regular int container are both running",
        ),
        case(
            vec![succeeded_state("containerX"), running_state("containerY"), stopped_state("containerA")],
            false,
            false,
            Pending,
            "re-created sandbox: regular init container is succeeded, restartable init container is running, old regular containers is stopped",
        ),
        case(
            vec![succeeded_state("containerX"), running_state("containerY"), stopped_state("containerA")],
            false,
            true,
            Running,
            "regular init container is succeeded, restartable init container is running, regular containers is stopped",
        ),
        case(
            vec![succeeded_state("containerX"), running_state("containerY"), running_state("containerA")],
            false,
            true,
            Running,
            "regular init container is succeeded, restartable init container and regular containers are both running",
        ),
    ];
    check_default_and_legacy(&s, &cases);
}

#[test]
fn test_pod_phase_with_restart_never() {
    let s = spec(RestartPolicy::Never, vec![], two_regular());
    let cases = vec![
        case(vec![], false, false, Pending, "waiting"),
        case(
            vec![running_state("containerA"), running_state("containerB")],
            false,
            false,
            Running,
            "all running with restart never",
        ),
        case(
            vec![succeeded_state("containerA"), succeeded_state("containerB")],
            false,
            false,
            Succeeded,
            "all succeeded with restart never",
        ),
        case(
            vec![failed_state("containerA"), failed_state("containerB")],
            false,
            false,
            Failed,
            "all failed with restart never",
        ),
        case(
            vec![running_state("containerA"), succeeded_state("containerB")],
            false,
            false,
            Running,
            "mixed state #1 with restart never",
        ),
        case(vec![running_state("containerA")], false, false, Pending, "mixed state #2 with restart never"),
        case(
            vec![running_state("containerA"), waiting_state("containerB")],
            false,
            false,
            Pending,
            "mixed state #3 with restart never",
        ),
    ];
    check_default_and_legacy(&s, &cases);
}

#[test]
fn test_pod_phase_with_restart_never_init_containers() {
    let s = spec(RestartPolicy::Never, vec![plain("containerX")], two_regular());
    let cases = vec![
        case(vec![], false, false, Pending, "empty, waiting"),
        case(vec![running_state("containerX")], false, false, Pending, "init container running"),
        case(vec![failed_state("containerX")], false, false, Failed, "init container terminated non-zero"),
        case(
            vec![waiting_state_with_last_termination("containerX")],
            false,
            false,
            Pending,
            "init container waiting, terminated zero",
        ),
        case(
            vec![waiting_state_with_non_zero_termination("containerX")],
            false,
            false,
            Failed,
            "init container waiting, terminated non-zero",
        ),
        case(
            vec![waiting_state("containerX")],
            false,
            false,
            Pending,
            "init container waiting, not terminated",
        ),
        case(
            vec![succeeded_state("containerX"), running_state("containerA"), running_state("containerB")],
            false,
            false,
            Running,
            "init container succeeded",
        ),
    ];
    check_default_and_legacy(&s, &cases);
}

#[test]
fn test_pod_phase_with_restart_never_restartable_init_containers() {
    let s = spec(RestartPolicy::Never, vec![sidecar("containerX")], two_regular());
    let main_succeeded =
        |x: ContainerStatusReport| vec![x, succeeded_state("containerA"), succeeded_state("containerB")];
    let cases = vec![
        case(vec![], false, false, Pending, "empty, waiting"),
        case(vec![running_state("containerX")], false, false, Pending, "restartable init container running"),
        case(vec![stopped_state("containerX")], false, false, Pending, "restartable init container stopped"),
        case(
            vec![waiting_state_with_last_termination("containerX")],
            false,
            false,
            Pending,
            "restartable init container waiting, terminated zero",
        ),
        case(
            vec![waiting_state_with_non_zero_termination("containerX")],
            false,
            false,
            Pending,
            "restartable init container waiting, terminated non-zero",
        ),
        case(
            vec![waiting_state("containerX")],
            false,
            false,
            Pending,
            "restartable init container waiting, not terminated",
        ),
        case(
            vec![started_state("containerX"), running_state("containerA")],
            false,
            true,
            Pending,
            "restartable init container started, one main container running",
        ),
        case(
            main_succeeded(started_state("containerX")),
            false,
            true,
            Running,
            "restartable init container started, main containers succeeded",
        ),
        case(
            main_succeeded(running_state("containerX")),
            false,
            true,
            Running,
            "restartable init container re-running, main containers succeeded",
        ),
        case(
            main_succeeded(succeeded_state("containerX")),
            false,
            true,
            Succeeded,
            "all containers succeeded",
        ),
        case(
            main_succeeded(failed_state("containerX")),
            false,
            true,
            Succeeded,
            "restartable init container terminated non-zero, main containers succeeded",
        ),
        case(
            main_succeeded(waiting_state_with_last_termination("containerX")),
            false,
            true,
            Succeeded,
            "backoff crashloop restartable init container, main containers succeeded",
        ),
        case(
            main_succeeded(waiting_state_with_non_zero_termination("containerX")),
            false,
            true,
            Succeeded,
            "backoff crashloop with non-zero restartable init container, main containers succeeded",
        ),
    ];
    check_default_and_legacy(&s, &cases);
}

#[test]
fn test_pod_phase_with_restart_on_failure() {
    let s = spec(RestartPolicy::OnFailure, vec![], two_regular());
    let cases = vec![
        case(vec![], false, false, Pending, "waiting"),
        case(
            vec![running_state("containerA"), running_state("containerB")],
            false,
            false,
            Running,
            "all running with restart onfailure",
        ),
        case(
            vec![succeeded_state("containerA"), succeeded_state("containerB")],
            false,
            false,
            Succeeded,
            "all succeeded with restart onfailure",
        ),
        case(
            vec![failed_state("containerA"), failed_state("containerB")],
            false,
            false,
            Running,
            "all failed with restart never",
        ),
        case(
            vec![running_state("containerA"), succeeded_state("containerB")],
            false,
            false,
            Running,
            "mixed state #1 with restart onfailure",
        ),
        case(
            vec![running_state("containerA")],
            false,
            false,
            Pending,
            "mixed state #2 with restart onfailure",
        ),
        case(
            vec![running_state("containerA"), waiting_state("containerB")],
            false,
            false,
            Pending,
            "mixed state #3 with restart onfailure",
        ),
        case(
            vec![running_state("containerA"), waiting_state_with_last_termination("containerB")],
            false,
            false,
            Running,
            "backoff crashloop container with restart onfailure",
        ),
    ];
    check_default_and_legacy(&s, &cases);
}

/// One row of the container-restart-policy tables, which each have their own spec.
struct SpecCase<'a> {
    name: &'static str,
    spec: PhaseSpec<'a>,
    statuses: Vec<ContainerStatusReport>,
    expected: PodPhase,
}

/// Runs rows as these Go tests do: `getPhase(logger, pod, tc.statuses, tc.podIsTerminal (false), true)`.
fn check_spec_cases(cases: &[SpecCase<'_>], gates: FeatureGates) {
    for c in cases {
        let views: Vec<PhaseStatus<'_>> = c.statuses.iter().map(PhaseStatus::from).collect();
        let options = PhaseOptions { pod_is_terminal: false, pod_has_initialized: true, gates };
        assert_eq!(get_phase(&c.spec, &views, &options), c.expected, "[test {}]", c.name);
    }
}

#[test]
fn test_pod_phase_with_container_restart_policy() {
    use RestartPolicy::{Always, Never, OnFailure};
    let cases = vec![
        SpecCase {
            name: "container with restart policy Never failed",
            spec: spec(Always, vec![], vec![with_policy("failed-container", Never)]),
            statuses: vec![failed_state("failed-container")],
            expected: Failed,
        },
        SpecCase {
            name: "container with restart policy OnFailure failed",
            spec: spec(Always, vec![], vec![with_policy("failed-container", OnFailure)]),
            statuses: vec![failed_state("failed-container")],
            expected: Running,
        },
        SpecCase {
            name: "container with restart policy Always failed",
            spec: spec(Always, vec![], vec![with_policy("failed-container", Always)]),
            statuses: vec![failed_state("failed-container")],
            expected: Running,
        },
        SpecCase {
            name: "At least one container with restartable container-level restart policy failed",
            spec: spec(Never, vec![], vec![with_policy("containerA", Always), plain("containerB")]),
            statuses: vec![succeeded_state("containerA"), failed_state("containerB")],
            expected: Running,
        },
        SpecCase {
            name: "All containers without restartable container-level restart policy failed",
            spec: spec(
                Always,
                vec![],
                vec![with_policy("containerA", Never), with_policy("containerB", OnFailure)],
            ),
            statuses: vec![failed_state("containerA"), succeeded_state("containerB")],
            expected: Failed,
        },
        SpecCase {
            name: "All containers succeeded",
            spec: spec(
                Always,
                vec![],
                vec![with_policy("containerA", Never), with_policy("containerB", OnFailure)],
            ),
            statuses: vec![succeeded_state("containerA"), succeeded_state("containerB")],
            expected: Succeeded,
        },
    ];
    check_spec_cases(&cases, gates("ContainerRestartRules=true"));
}

#[test]
fn test_pod_phase_with_container_restart_policy_init_containers() {
    use RestartPolicy::{Always, Never, OnFailure};
    let cases = vec![
        SpecCase {
            name: "init container with restart policy Never failed",
            spec: spec(Always, vec![with_policy("failed-container", Never)], vec![plain("container")]),
            statuses: vec![failed_state("failed-container")],
            expected: Failed,
        },
        SpecCase {
            name: "init container with restart policy OnFailure failed",
            spec: spec(Never, vec![with_policy("failed-container", OnFailure)], vec![plain("container")]),
            statuses: vec![failed_state("failed-container")],
            expected: Pending,
        },
        SpecCase {
            name: "container with restart policy Always failed",
            spec: spec(Never, vec![with_policy("failed-container", Always)], vec![plain("container")]),
            statuses: vec![failed_state("failed-container")],
            expected: Pending,
        },
    ];
    check_spec_cases(&cases, gates("ContainerRestartRules=true"));
}

#[test]
fn test_pod_phase_with_restart_all_containers() {
    use RestartPolicy::{Always, Never};
    // restartPolicyRules: [{action: RestartAllContainers, exitCodes: {operator: In, values: [42]}}]
    let rules = [RestartRule {
        action: RestartRuleAction::RestartAllContainers,
        exit_codes: ExitCodesRule { operator: ExitCodeOperator::In, values: vec![42] },
    }];
    let container_with_rule =
        PhaseContainer { name: "container", restart_policy: Some(Never), restart_policy_rules: &rules };
    let sidecar_container_with_rule =
        PhaseContainer { name: "container", restart_policy: Some(Always), restart_policy_rules: &rules };
    let cases = vec![
        // Trigger RestartAllContainers
        SpecCase {
            name: "regular container triggers RestartAllContainers",
            spec: spec(Never, vec![], vec![container_with_rule]),
            statuses: vec![failed_state_with_exit_code("container", 42)],
            expected: Running,
        },
        SpecCase {
            name: "init container triggers RestartAllContainers",
            spec: spec(Never, vec![container_with_rule], vec![]),
            statuses: vec![failed_state_with_exit_code("container", 42), waiting_state("regular")],
            expected: Pending,
        },
        SpecCase {
            name: "sidecar container triggers RestartAllContainers",
            spec: spec(Never, vec![sidecar_container_with_rule], vec![plain("regular")]),
            statuses: vec![failed_state_with_exit_code("container", 42), waiting_state("regular")],
            expected: Pending,
        },
        SpecCase {
            name: "sidecar container triggers RestartAllContainers, kills another init container",
            spec: spec(Never, vec![sidecar_container_with_rule, plain("init")], vec![plain("regular")]),
            statuses: vec![
                failed_state_with_exit_code("container", 42),
                waiting_state("init"),
                waiting_state("regular"),
            ],
            expected: Pending,
        },
        // Cleanup phase
        SpecCase {
            name: "regular container triggers RestartAllContainers, cleaned up",
            spec: spec(Never, vec![], vec![container_with_rule]),
            statuses: vec![waiting_state_with_restarting_all_containers("container")],
            expected: Running,
        },
        SpecCase {
            name: "init container triggers RestartAllContainers, cleaned up",
            spec: spec(Never, vec![container_with_rule], vec![]),
            statuses: vec![
                waiting_state_with_restarting_all_containers("container"),
                waiting_state("regular"),
            ],
            expected: Pending,
        },
        SpecCase {
            name: "sidecar container triggers RestartAllContainers, cleaned up",
            spec: spec(Never, vec![sidecar_container_with_rule], vec![plain("regular")]),
            statuses: vec![
                waiting_state_with_restarting_all_containers("container"),
                waiting_state("regular"),
            ],
            expected: Pending,
        },
        SpecCase {
            name: "sidecar container triggers RestartAllContainers, kills another init container, cleaned up",
            spec: spec(Never, vec![sidecar_container_with_rule, plain("init")], vec![plain("regular")]),
            statuses: vec![
                waiting_state_with_restarting_all_containers("container"),
                waiting_state_with_restarting_all_containers("container"),
                waiting_state("regular"),
            ],
            expected: Pending,
        },
        // Startup phase
        SpecCase {
            name: "regular container triggered RestartAllContainers; init container succeeded",
            spec: spec(Never, vec![plain("init")], vec![container_with_rule]),
            statuses: vec![
                succeeded_state("init"),
                waiting_state_with_restarting_all_containers("container"),
            ],
            expected: Running,
        },
        SpecCase {
            name: "regular container triggered RestartAllContainers; init container failed",
            spec: spec(Never, vec![plain("init")], vec![container_with_rule]),
            statuses: vec![failed_state("init"), waiting_state_with_restarting_all_containers("container")],
            expected: Failed,
        },
        SpecCase {
            name: "init container triggered RestartAllContainers",
            spec: spec(Never, vec![container_with_rule], vec![plain("regular")]),
            statuses: vec![failed_state_with_exit_code("container", 42), waiting_state("regular")],
            expected: Pending,
        },
        SpecCase {
            name: "init container triggered RestartAllContainers; init container succeeds",
            spec: spec(Never, vec![container_with_rule], vec![plain("regular")]),
            statuses: vec![succeeded_state("container"), waiting_state("regular")],
            expected: Pending,
        },
        SpecCase {
            name: "sidecar container triggered RestartAllContainers kills regular container",
            spec: spec(Never, vec![sidecar_container_with_rule], vec![plain("regular")]),
            statuses: vec![
                waiting_state_with_restarting_all_containers("container"),
                waiting_state_with_restarting_all_containers("regular"),
            ],
            expected: Running,
        },
        SpecCase {
            name: "sidecar container triggered RestartAllContainers kills regular container; sidecar running",
            spec: spec(Never, vec![sidecar_container_with_rule], vec![plain("regular")]),
            statuses: vec![
                running_state("container"),
                waiting_state_with_restarting_all_containers("regular"),
            ],
            expected: Running,
        },
        SpecCase {
            name: "sidecar container triggered RestartAllContainers; kills init container; sidecar running",
            spec: spec(Never, vec![sidecar_container_with_rule, plain("init")], vec![plain("regular")]),
            statuses: vec![
                running_state("container"),
                waiting_state_with_restarting_all_containers("container"),
                waiting_state("regular"),
            ],
            expected: Pending,
        },
    ];
    check_spec_cases(&cases, gates("ContainerRestartRules=true,RestartAllContainersOnContainerExits=true"));
}
