//! Restarting every container in place (KEP-5532, `RestartAllContainersOnContainerExits`).
//!
//! - `generate_all_containers_restarting_condition`: the kubelet's table test
//!   `TestGenerateAllContainersRestartingCondition` (pkg/kubelet/status/generate_test.go of
//!   kubernetes/kubernetes after v1.35, read_file id 3768377772), ported case for case under the gates
//!   it sets (ContainerRestartRules, NodeDeclaredFeatures, RestartAllContainersOnContainerExits on);
//!   its cases are a map, so they are ported in the order of the source.
//! - The `Kubelet` against the obedient world (tests/common): the in-place restart carried out in the
//!   sync, one behaviour a test (the kubelet has no unit test of this path that the search index
//!   holds; kubelet.go's requeue is read_file id 54300650048).

use crate::common;

use common::{World, NODE};
use podsim_model::pod::{ContainerRestartRule, ExitCodes, ExitCodesOperator, RestartRuleAction};
use podsim_model::shared_str::SharedStr;
use podsim_model::status::conditions::ConditionStatus;
use podsim_model::status::reason::RESTARTING_ALL_CONTAINERS;
use podsim_model::status::restart_all::{
    generate_all_containers_restarting_condition, ALL_CONTAINERS_RESTARTING, RESTART_ALL_CONTAINERS_STARTED,
    RESTART_ALL_STARTED_MESSAGE,
};
use podsim_model::status::PodCondition;
use podsim_model::{
    Container, ContainerState, ContainerStateReport, ContainerStatus, Pod, PodPhase, PodStatusReport,
    RestartPolicy, RuntimePodStatus,
};

fn restart_all_on(code: i32) -> Vec<ContainerRestartRule> {
    vec![ContainerRestartRule {
        action: RestartRuleAction::RestartAllContainers,
        exit_codes: ExitCodes { operator: ExitCodesOperator::In, values: vec![code] },
    }]
}

/// `defaultPod`: `container1`, and `trigger` (restartPolicy Never, RestartAllContainers on 42).
fn default_pod() -> Pod {
    let mut pod = Pod::new("p", "uid-p", NODE);
    pod.spec_mut().containers.push(Container::new("container1", "i:1"));
    let mut trigger = Container::new("trigger", "i:1");
    trigger.restart_policy = Some(RestartPolicy::Never);
    trigger.restart_policy_rules = restart_all_on(42);
    pod.spec_mut().containers.push(trigger);
    pod
}

fn instance(name: &str, state: ContainerState, exit_code: i32) -> ContainerStatus {
    ContainerStatus {
        id: format!("id-{name}").into(),
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
    RuntimePodStatus { sandboxes: Vec::new(), containers }
}

/// An old API status holding `AllContainersRestarting=True`.
fn old_restarting() -> PodStatusReport {
    PodStatusReport {
        conditions: vec![PodCondition::new(ALL_CONTAINERS_RESTARTING, ConditionStatus::True, "", "")],
        ..PodStatusReport::default()
    }
}

fn expected(status: ConditionStatus, reason: &str, message: &str) -> PodCondition {
    PodCondition::new(ALL_CONTAINERS_RESTARTING, status, reason.to_string(), message.to_string())
}

fn check(rt: &RuntimePodStatus, old: Option<&PodStatusReport>, phase: PodPhase, want: PodCondition) {
    let got = generate_all_containers_restarting_condition(&default_pod(), rt, old, phase);
    assert_eq!(got, want);
}

/// `TestGenerateAllContainersRestartingCondition`.
mod generate_all_containers_restarting_condition_cases {
    use super::*;

    // "pod pending"
    #[test]
    fn pod_pending() {
        check(&runtime(vec![]), None, PodPhase::Pending, expected(ConditionStatus::False, "", ""));
    }

    // "pod failed"
    #[test]
    fn pod_failed() {
        check(&runtime(vec![]), None, PodPhase::Failed, expected(ConditionStatus::False, "PodFailed", ""));
    }

    // "pod succeeded"
    #[test]
    fn pod_succeeded() {
        let want = expected(ConditionStatus::False, "PodCompleted", "");
        check(&runtime(vec![]), None, PodPhase::Succeeded, want);
    }

    // "container triggers RestartAllContainers rule"
    #[test]
    fn container_triggers_restartallcontainers_rule() {
        let rt = runtime(vec![
            instance("container", ContainerState::Running, 0),
            instance("trigger", ContainerState::Exited, 42),
        ]);
        let want =
            expected(ConditionStatus::True, RESTART_ALL_CONTAINERS_STARTED, RESTART_ALL_STARTED_MESSAGE);
        check(&rt, None, PodPhase::Running, want);
    }

    // "container triggres RestartAllContainers rule, cleaning up"
    #[test]
    fn container_triggres_restartallcontainers_rule_cleaning_up() {
        let rt = runtime(vec![
            instance("container", ContainerState::Exited, 0),
            instance("trigger", ContainerState::Exited, 42),
        ]);
        let want =
            expected(ConditionStatus::True, RESTART_ALL_CONTAINERS_STARTED, RESTART_ALL_STARTED_MESSAGE);
        check(&rt, Some(&old_restarting()), PodPhase::Running, want);
    }

    // "container triggres RestartAllContainers rule, cleaned up"
    #[test]
    fn container_triggres_restartallcontainers_rule_cleaned_up() {
        let want = expected(ConditionStatus::False, "", "");
        check(&runtime(vec![]), Some(&old_restarting()), PodPhase::Pending, want);
    }
}

/// A restartPolicy Never pod: the init container `setup` (exits 0), `trigger` (Never, RestartAll on
/// 42, exits 42 after `trigger_after` ms) and `worker` (runs).
fn job(trigger_after: u64) -> Pod {
    let mut p = Pod::new("job", "uid-job", NODE);
    p.spec_mut().restart_policy = RestartPolicy::Never;
    let mut setup = Container::new("setup", "i:1");
    setup.command = vec!["exit".into(), "0".into(), "500".into()];
    p.spec_mut().init_containers.push(setup);
    let mut trigger = Container::new("trigger", "t:1");
    trigger.command = vec!["exit".into(), "42".into(), trigger_after.to_string()];
    trigger.restart_policy = Some(RestartPolicy::Never);
    trigger.restart_policy_rules = restart_all_on(42);
    p.spec_mut().containers.push(trigger);
    p.spec_mut().containers.push(Container::new("worker", "w:1"));
    p
}

fn condition(w: &World) -> Option<ConditionStatus> {
    w.api.statuses.get("uid-job")?.condition(ALL_CONTAINERS_RESTARTING).map(|c| c.status)
}

/// Runs in steps of 10 ms up to `until`, recording every status the API server held for the
/// condition, in order, without repeats.
fn condition_history(w: &mut World, until: u64) -> Vec<Option<ConditionStatus>> {
    let mut seen = vec![condition(w)];
    while w.now < until {
        w.run_for(10);
        let now = condition(w);
        if seen.last() != Some(&now) {
            seen.push(now);
        }
    }
    seen
}

#[test]
fn an_exit_matching_the_rule_restarts_every_container_in_the_same_sandbox() {
    let mut w = World::new();
    w.create_pod(job(8_000));
    w.run_for(3_000);
    let sandbox = w.sandboxes_of("uid-job")[0].id.clone();
    let worker_before = w.instances("uid-job", "worker")[0].id.clone();
    // While the containers cannot be removed, the reset fails and the condition stays True; the
    // obedient world would otherwise show True and False at the same instant.
    w.rt.failing_methods.insert("RemoveContainer".into());
    let mut history = condition_history(&mut w, 12_000);
    assert!(!w.running("uid-job", "worker"), "the reset killed the worker");
    w.rt.failing_methods.clear();
    history.extend(condition_history(&mut w, 25_000).into_iter().skip(1));
    assert_eq!(
        history,
        vec![Some(ConditionStatus::False), Some(ConditionStatus::True), Some(ConditionStatus::False)],
        "AllContainersRestarting goes True until every container is removed, then False"
    );
    let sandboxes = w.sandboxes_of("uid-job");
    assert_eq!(sandboxes.len(), 1, "the sandbox is kept");
    assert_eq!(sandboxes[0].id, sandbox);
    let creates: Vec<&String> = w.rt.calls.iter().filter(|c| c.starts_with("CreateContainer")).collect();
    assert_eq!(
        creates,
        vec![
            "CreateContainer job/setup",
            "CreateContainer job/trigger",
            "CreateContainer job/worker",
            "CreateContainer job/setup",
            "CreateContainer job/trigger",
            "CreateContainer job/worker",
        ],
        "the init container runs again before the regular containers"
    );
    let worker = w.instances("uid-job", "worker");
    assert_eq!(worker.len(), 1, "the old instances were removed from the runtime");
    assert_ne!(worker[0].id, worker_before, "the worker was killed and started again");
    assert_eq!(worker[0].restart_count, 1, "the restart count goes on from the removed instance's");
    let status = &w.api.statuses["uid-job"];
    let worker_status = status.container("worker").expect("a worker status");
    assert_eq!(worker_status.restart_count, 1);
    assert_eq!(worker_status.last_state.as_ref().map(|s| s.reason()), Some(RESTARTING_ALL_CONTAINERS));
    let initialized = status.condition("Initialized").map(|c| c.status);
    assert_eq!(initialized, Some(ConditionStatus::True), "a restart does not uninitialise the pod");
}

#[test]
fn the_kill_of_a_reset_skips_the_grace_period_down_to_the_kubelets_floor() {
    let mut w = World::new();
    let mut p = job(5_000);
    p.spec_mut().termination_grace_period_seconds = 60;
    w.create_pod(p);
    w.run_for(9_000);
    let stops: Vec<&String> = w.rt.calls.iter().filter(|c| c.starts_with("StopContainer")).collect();
    assert!(!stops.is_empty(), "the running worker was killed");
    assert!(stops.iter().all(|c| c.ends_with(" 2s")), "2 s, not the pod's 60 s: {stops:?}");
}

#[test]
fn after_the_reset_the_trigger_starts_at_once_with_no_crash_loop_backoff() {
    let mut w = World::new();
    w.create_pod(job(2_000));
    w.run_for(20_000);
    let starts = w.start_times("uid-job", "trigger");
    assert!(starts.len() >= 5, "it exits every 2 s and the pod restarts each time: {starts:?}");
    for pair in starts.windows(2) {
        assert!(pair[1] - pair[0] < 5_000, "no backoff between restarts: {starts:?}");
    }
    let status = &w.api.statuses["uid-job"];
    assert_ne!(
        status.phase,
        PodPhase::Failed,
        "a restartPolicy Never pod that restarts in place is not Failed"
    );
}

#[test]
fn with_the_gate_off_the_rule_is_not_read_and_nothing_restarts() {
    let mut config = podsim_model::KubeletConfig::new(NODE);
    config.feature_gates =
        podsim_model::FeatureGates::parse("RestartAllContainersOnContainerExits=false").unwrap();
    let mut w = World::with_config(config);
    w.create_pod(job(2_000));
    w.run_for(10_000);
    assert_eq!(w.start_times("uid-job", "trigger").len(), 1, "Never: not restarted");
    assert_eq!(w.start_times("uid-job", "setup").len(), 1);
    assert_eq!(condition(&w), None, "no condition is published with the gate off");
    let trigger = w.api.statuses["uid-job"].container("trigger").map(|c| c.state.clone());
    assert!(matches!(trigger, Some(ContainerStateReport::Terminated { exit_code: 42, .. })));
}
