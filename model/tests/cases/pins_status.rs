//! Pins of the survivors of the full tier-1 `cargo mutants` run of model/ (issue 13, at d7d1bfd) in
//! the status, pod and workload files: model/src/status/{phase,containers,conditions,prober,
//! restart_all}.rs, model/src/pod/{resources,qos,lifecycle,probe,restart_rules}.rs,
//! model/src/manifest/{probe,lifecycle}.rs and model/src/workload/{exec,health}.rs. Each test's doc
//! comment names the mutants it catches as cargo-mutants names them, and the kubelet (or apimachinery)
//! function whose behaviour it asserts; each was checked to fail on its mutant (applied by hand) and
//! re-run through cargo-mutants by name (/work/mutants/check-pins_status). Survivors no test can
//! observe are argued in /work/mutants/full/reasons-pins_status.md.
//!
//! The full run had not reached these files by the end of this work, so their survivors were found
//! by running the full run's own mutants (its mutants.json, at d7d1bfd) one by one against the model
//! crate's tests at d7d1bfd: all of phase.rs, containers.rs and conditions.rs, and resources.rs up
//! to `div_ceil`. The tests on the manifest validation and the workload words were written ahead,
//! for mutants the existing tests visibly leave open, and checked to fail on them.
//!
//! Ported Go tables:
//! - apimachinery's `TestQuantityParse` (pkg/api/resource/quantity_test.go, read_file id 32563121,
//!   Kubernetes 1.3x), every row but the three above int64 (`9Ei`, `9223372036854775807Ki`, `12E`),
//!   which resource.Quantity caps or keeps and podsim refuses as out of range (its documented limit).

use podsim_model::gates::FeatureGates;
use podsim_model::manifest::PodManifest;
use podsim_model::pod::{ContainerRestartRule, ExitCodes, ExitCodesOperator, RestartRuleAction};
use podsim_model::pod::{LifecycleHandler, Quantity};
use podsim_model::shared_str::SharedStr;
use podsim_model::status::containers::VANISHED_WHILE_RUNNING;
use podsim_model::status::phase::{
    get_phase_with_counts, PhaseContainer, PhaseCounts, PhaseOptions, PhaseSpec, PhaseStatus,
};
use podsim_model::status::{generate_api_pod_status, reason, PodStatusReport, StatusContext};
use podsim_model::Pod;
use podsim_model::{
    Container, ContainerState, ContainerStateReport, ContainerStatus, ContainerStatusReport, PodPhase,
    ProbeResults, RestartPolicy, RuntimePodStatus, SandboxState, SandboxStatus,
};
use std::collections::BTreeMap;

fn quantity(text: &str) -> Quantity {
    Quantity::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The rows of `TestQuantityParse`'s table: the input, and its value in nano-units (the Go
/// `decQuantity(d, scale)` times 10^9).
const QUANTITY_PARSE_ROWS: &[(&str, i128)] = &[
    ("0", 0),
    ("0n", 0),
    ("0u", 0),
    ("0m", 0),
    ("0Ki", 0),
    ("0k", 0),
    ("0Mi", 0),
    ("0M", 0),
    ("0Gi", 0),
    ("0G", 0),
    ("0Ti", 0),
    ("0T", 0),
    // Quantity less numbers are allowed
    ("1", 1_000_000_000),
    // Binary suffixes
    ("1Ki", 1024 * 1_000_000_000),
    ("8Ki", 8 * 1024 * 1_000_000_000),
    ("7Mi", 7 * (1 << 20) * 1_000_000_000),
    ("6Gi", 6 * (1 << 30) * 1_000_000_000),
    ("5Ti", 5 * (1 << 40) * 1_000_000_000),
    ("4Pi", 4 * (1 << 50) * 1_000_000_000),
    ("3Ei", 3 * (1 << 60) * 1_000_000_000),
    ("10Ti", 10 * (1 << 40) * 1_000_000_000),
    ("100Ti", 100 * (1 << 40) * 1_000_000_000),
    // Decimal suffixes
    ("5n", 5),
    ("4u", 4_000),
    ("3m", 3_000_000),
    ("9", 9_000_000_000),
    ("8k", 8 * 10i128.pow(12)),
    ("50k", 5 * 10i128.pow(13)),
    ("7M", 7 * 10i128.pow(15)),
    ("6G", 6 * 10i128.pow(18)),
    ("5T", 5 * 10i128.pow(21)),
    ("40T", 4 * 10i128.pow(22)),
    ("300T", 3 * 10i128.pow(23)),
    ("2P", 2 * 10i128.pow(24)),
    ("1E", 10i128.pow(27)),
    // Decimal exponents
    ("1E-3", 1_000_000),
    ("1e3", 10i128.pow(12)),
    ("1E6", 10i128.pow(15)),
    ("1e9", 10i128.pow(18)),
    ("1E12", 10i128.pow(21)),
    ("1e15", 10i128.pow(24)),
    ("1E18", 10i128.pow(27)),
    // Nonstandard but still parsable
    ("1e14", 10i128.pow(23)),
    ("1e13", 10i128.pow(22)),
    ("1e3", 10i128.pow(12)),
    ("100.035k", 100_035 * 1_000_000_000),
    // Things that look like floating point
    ("0.001", 1_000_000),
    ("0.0005k", 500_000_000),
    ("0.005", 5_000_000),
    ("0.05", 50_000_000),
    ("0.5", 500_000_000),
    ("0.00050k", 500_000_000),
    ("0.00500", 5_000_000),
    ("0.05000", 50_000_000),
    ("0.50000", 500_000_000),
    ("0.5e0", 500_000_000),
    ("0.5e-1", 50_000_000),
    ("0.5e-2", 5_000_000),
    ("0.5e0", 500_000_000),
    ("10.035M", 10_035 * 10i128.pow(12)),
    ("1.2e3", 12 * 10i128.pow(11)),
    ("1.3E+6", 13 * 10i128.pow(14)),
    ("1.40e9", 14 * 10i128.pow(17)),
    ("1.53E12", 153 * 10i128.pow(19)),
    ("1.6e15", 16 * 10i128.pow(23)),
    ("1.7E18", 17 * 10i128.pow(26)),
    ("9.01", 9_010_000_000),
    ("8.1k", 81 * 10i128.pow(11)),
    ("7.123456M", 7_123_456 * 1_000_000_000),
    ("6.987654321G", 6_987_654_321 * 1_000_000_000),
    ("5.444T", 5_444 * 10i128.pow(18)),
    ("40.1T", 401 * 10i128.pow(20)),
    ("300.2T", 3_002 * 10i128.pow(20)),
    ("2.5P", 25 * 10i128.pow(23)),
    ("1.01E", 101 * 10i128.pow(25)),
    // Things that saturate/round
    ("3.001n", 4),
    ("1.1E-9", 2),
    ("0.0000000001", 1),
    ("0.0000000005", 1),
    ("0.00000000050", 1),
    ("0.5e-9", 1),
    // (podsim's own rows) an exponent has any number of digits (`strconv.ParseInt`): survivors
    // `resources.rs:127:85` and `127:103`, and up to 30 significant digits are read (`99:30`).
    ("1e0001", 10i128.pow(10)),
    ("1e018", 10i128.pow(27)),
    ("0.123456789012345678901234567890", 123_456_790),
    // The largest amount an int64 holds is in range (survivor `resources.rs:99:30`, `>` to `>=`).
    ("9223372036854775807", 9_223_372_036_854_775_807 * 1_000_000_000),
    ("0.9n", 1),
    ("0.00000012345", 124),
    ("0.00000012354", 124),
    // We'll accept fractional binary stuff, too.
    ("100.035Ki", 10_243_584 * 10i128.pow(7)),
    ("0.5Mi", 524_288 * 1_000_000_000),
    ("0.05Gi", 536_870_912 * 10i128.pow(8)),
    ("0.025Ti", 274_877_906_944 * 10i128.pow(8)),
    // Things written by trolls
    ("0.000000000001Ki", 2), // rounds up, changes format
    (".001", 1_000_000),
    (".0001k", 100_000_000),
    ("1.", 1_000_000_000),
    ("1.G", 10i128.pow(18)),
];

/// The value of nano-units as a quantity (`<n>n` is read exactly).
fn nanos(n: i128) -> Quantity {
    quantity(&format!("{n}n"))
}

/// Survivors in `model/src/pod/resources.rs` (`parse_nanos`, `suffix_scale`, `div_ceil`, `saturate`,
/// `Quantity::is_negative`, named in the pinned list): apimachinery's
/// `TestQuantityParse` (quantity_test.go), row for row, with the sign (`-` and `+`) the Go test also
/// tries; a quantity's amount is compared at nano precision, and `Value()`/`MilliValue()` (rounded
/// up) are checked.
#[test]
fn test_quantity_parse() {
    assert!(Quantity::parse("").is_err(), "expected empty string to return error");
    for &(input, expected) in QUANTITY_PARSE_ROWS {
        let got = quantity(input);
        assert_eq!(got.amount_cmp(&nanos(expected)), std::cmp::Ordering::Equal, "{input}");
        assert!(!got.is_negative(), "{input}");
        let ceil = |d: i128| i64::try_from((expected + d - 1) / d).unwrap_or(i64::MAX);
        assert_eq!(got.value(), ceil(1_000_000_000), "{input}: Value");
        assert_eq!(got.milli_value(), ceil(1_000_000), "{input}: MilliValue");
        assert_eq!(got.as_str(), input);
        // Printed as written (`String()` of a parsed quantity; survivor `resources.rs:142:9`, `fmt`).
        assert_eq!(got.to_string(), input);
        // Try everything with an explicit +
        let plus = quantity(&format!("+{input}"));
        assert_eq!(plus.amount_cmp(&got), std::cmp::Ordering::Equal, "+{input}");
        // Try the negative version of everything
        let minus = quantity(&format!("-{input}"));
        assert_eq!(minus.amount_cmp(&nanos(-expected)), std::cmp::Ordering::Equal, "-{input}");
        assert_eq!(minus.is_negative(), expected != 0, "-{input}");
    }
    // Beyond an int64 the thousandths saturate, at either end (`saturate`).
    assert_eq!(quantity("1E").milli_value(), i64::MAX);
    assert_eq!(quantity("-1E").milli_value(), i64::MIN);
    assert_eq!(quantity("-1E").value(), -1_000_000_000_000_000_000);
    let invalid = [
        "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-",
        // trailing whitespace is forbidden
        " 1", "1 ",
    ];
    for input in invalid {
        assert!(Quantity::parse(input).is_err(), "{input} parsed unexpectedly");
    }
}

// ---- model/src/manifest/lifecycle.rs and model/src/manifest/probe.rs: validation ----------------

/// A pod read from JSON as the API server would admit it, or the error naming the field.
fn read_manifest(json: serde_json::Value) -> Result<Pod, String> {
    let manifest: PodManifest = serde_json::from_value(json).map_err(|e| e.to_string())?;
    manifest.into_pod().map_err(|e| e.to_string())
}

/// A pod whose container `app` has this `lifecycle`, with a grace period of 30 s.
fn with_lifecycle(lifecycle: serde_json::Value) -> Result<Pod, String> {
    read_manifest(serde_json::json!({
        "metadata": {"name": "web", "uid": "uid-web"},
        "spec": {"terminationGracePeriodSeconds": 30, "containers": [{
            "name": "app", "image": "app:1", "lifecycle": lifecycle
        }]}
    }))
}

/// Survivors in `model/src/manifest/lifecycle.rs` (`is_iana_svc_name`, `PortM::validate`):
/// apimachinery's `TestIsValidPortName` (validation_test.go, read_file id 152336943), every good and
/// bad value, as the port of a preStop hook's `tcpSocket` and `httpGet` (`validateTCPSocketAction`
/// and `validateHTTPGetAction` call `ValidatePortNumOrName`); and the port numbers 1 and 65535 are
/// valid, 0 and 65536 are not. A valid port is kept as written.
#[test]
fn a_lifecycle_hook_port_is_a_number_or_an_iana_service_name() {
    let tcp = |port: serde_json::Value| {
        with_lifecycle(serde_json::json!({"preStop": {"tcpSocket": {"port": port}}}))
    };
    let http = |port: serde_json::Value| {
        with_lifecycle(serde_json::json!({"preStop": {"httpGet": {"path": "/quit", "port": port}}}))
    };
    let sixteen = "a".repeat(16);
    let good = ["telnet", "re-mail-ck", "pop3", "a", "a-1", "1-a", "a-1-b-2-c", "1-a-2-b-3"];
    let bad = [
        "longerthan15characters",
        "",
        &sixteen,
        "12345",
        "1-2-3-4",
        "-begin",
        "end-",
        "two--hyphens",
        "whois++",
    ];
    for name in good {
        let pod = tcp(name.into()).unwrap_or_else(|e| panic!("{name:?}: {e}"));
        assert_eq!(
            pod.spec.containers[0].lifecycle.pre_stop,
            Some(LifecycleHandler::TcpSocket { port: name.into() })
        );
        let pod = http(name.into()).unwrap_or_else(|e| panic!("{name:?}: {e}"));
        let Some(LifecycleHandler::HttpGet { port, .. }) = &pod.spec.containers[0].lifecycle.pre_stop else {
            panic!("{name:?}: an httpGet hook")
        };
        assert_eq!(port, name);
    }
    for name in bad {
        let err = tcp(name.into()).expect_err(name);
        assert!(
            err.contains("preStop.tcpSocket.port: must be a valid port name (IANA_SVC_NAME)"),
            "{name:?}: {err}"
        );
        let err = http(name.into()).expect_err(name);
        assert!(err.contains("preStop.httpGet.port: must be a valid port name"), "{name:?}: {err}");
    }
    for number in [1, 80, 65535] {
        let pod = tcp(number.into()).unwrap_or_else(|e| panic!("{number}: {e}"));
        let want = LifecycleHandler::TcpSocket { port: number.to_string() };
        assert_eq!(pod.spec.containers[0].lifecycle.pre_stop, Some(want));
    }
    for number in [0, -1, 65536] {
        let err = tcp(number.into()).expect_err("out of range");
        assert!(
            err.contains("preStop.tcpSocket.port: must be between 1 and 65535, inclusive"),
            "{number}: {err}"
        );
    }
}

/// Survivors in `model/src/manifest/lifecycle.rs` (`HandlerM::into_handler`, the sleep check):
/// `validateSleepAction` with PodLifecycleSleepActionAllowZero: a sleep of 0 up to the grace period
/// itself is valid, one second more or a negative one is not; and an exec hook keeps its command.
#[test]
fn a_sleep_hook_may_last_up_to_the_grace_period() {
    let sleep =
        |seconds: i64| with_lifecycle(serde_json::json!({"preStop": {"sleep": {"seconds": seconds}}}));
    for seconds in [0, 1, 29, 30] {
        let pod = sleep(seconds).unwrap_or_else(|e| panic!("{seconds}: {e}"));
        assert_eq!(pod.spec.containers[0].lifecycle.pre_stop, Some(LifecycleHandler::Sleep { seconds }));
    }
    for seconds in [-1, 31] {
        let err = sleep(seconds).expect_err("out of range");
        assert!(
            err.contains(
                "preStop.sleep: must be non-negative and less than terminationGracePeriodSeconds (30)"
            ),
            "{seconds}: {err}"
        );
    }
    let pod =
        with_lifecycle(serde_json::json!({"postStart": {"exec": {"command": ["warm", "up"]}}})).unwrap();
    let want = LifecycleHandler::Exec { command: vec!["warm".into(), "up".into()] };
    assert_eq!(pod.spec.containers[0].lifecycle.post_start, Some(want));
    assert!(pod.spec.containers[0].lifecycle.pre_stop.is_none());
}

/// A pod whose container `app` has this probe in `field`.
fn with_probe(field: &str, probe: serde_json::Value) -> Result<Pod, String> {
    read_manifest(serde_json::json!({
        "metadata": {"name": "web", "uid": "uid-web"},
        "spec": {"containers": [{"name": "app", "image": "app:1", field: probe}]}
    }))
}

/// Survivors in `model/src/manifest/probe.rs` (`read_handler`, `read_probe`): `validateHTTPGetAction`
/// takes the schemes HTTP and HTTPS, keeps the path written (defaulting only an empty one to `/`,
/// `SetDefaults_HTTPGetAction`) and the host; `validateProbe` takes zero for every number (which the
/// defaults then replace, but for `initialDelaySeconds`) and a positive
/// `terminationGracePeriodSeconds` on a liveness or startup probe.
#[test]
fn a_probe_keeps_what_the_api_server_accepts() {
    use podsim_model::pod::{HttpGetAction, PortValue, ProbeHandler};
    for scheme in ["HTTP", "HTTPS"] {
        let probe = serde_json::json!({"httpGet": {"path": "/healthz", "port": 8080, "host": "10.0.0.1", "scheme": scheme}});
        let pod = with_probe("readinessProbe", probe).unwrap_or_else(|e| panic!("{scheme}: {e}"));
        let handler = &pod.spec.containers[0].readiness_probe.as_ref().unwrap().handler;
        let want = HttpGetAction {
            path: "/healthz".into(),
            port: PortValue::Number(8080),
            host: "10.0.0.1".into(),
            scheme: scheme.into(),
        };
        assert_eq!(handler, &ProbeHandler::HttpGet(want));
    }
    let pod = with_probe("readinessProbe", serde_json::json!({"httpGet": {"path": "", "port": 80}})).unwrap();
    let ProbeHandler::HttpGet(h) = &pod.spec.containers[0].readiness_probe.as_ref().unwrap().handler else {
        panic!("httpGet")
    };
    assert_eq!(h.path, "/", "an empty path is defaulted");
    let zeros = serde_json::json!({
        "exec": {"command": ["check"]}, "initialDelaySeconds": 0, "timeoutSeconds": 0, "periodSeconds": 0,
        "successThreshold": 0, "failureThreshold": 0, "terminationGracePeriodSeconds": 1
    });
    for field in ["livenessProbe", "startupProbe"] {
        let pod = with_probe(field, zeros.clone()).unwrap_or_else(|e| panic!("{field}: {e}"));
        let c = &pod.spec.containers[0];
        let probe = if field == "livenessProbe" { &c.liveness_probe } else { &c.startup_probe };
        let p = probe.as_ref().unwrap();
        assert_eq!(
            (
                p.initial_delay_seconds,
                p.timeout_seconds,
                p.period_seconds,
                p.success_threshold,
                p.failure_threshold
            ),
            (0, 1, 10, 1, 3),
            "{field}: zero is defaulted"
        );
        assert_eq!(p.termination_grace_period_seconds, Some(1));
    }
    let set = serde_json::json!({
        "exec": {"command": ["check"]}, "initialDelaySeconds": 5, "timeoutSeconds": 2, "periodSeconds": 3,
        "failureThreshold": 4
    });
    let pod = with_probe("livenessProbe", set).unwrap();
    let p = pod.spec.containers[0].liveness_probe.as_ref().unwrap();
    assert_eq!(
        (p.initial_delay_seconds, p.timeout_seconds, p.period_seconds, p.failure_threshold),
        (5, 2, 3, 4)
    );
    for field in ["initialDelaySeconds", "timeoutSeconds", "successThreshold", "failureThreshold"] {
        let mut probe = serde_json::json!({"exec": {"command": ["check"]}});
        probe[field] = serde_json::json!(-1);
        let err = with_probe("readinessProbe", probe).expect_err(field);
        assert!(
            err.contains(&format!("readinessProbe.{field}: must be greater than or equal to 0")),
            "{err}"
        );
    }
    let ephemeral = read_manifest(serde_json::json!({
        "metadata": {"name": "web", "uid": "uid-web"},
        "spec": {"containers": [{"name": "app", "image": "app:1"}],
                 "ephemeralContainers": [{"name": "debug", "image": "d:1",
                     "readinessProbe": {"exec": {"command": ["check"]}}}]}
    }));
    let err = ephemeral.expect_err("no probe on an ephemeral container");
    assert!(err.contains("readinessProbe: may not be set for ephemeral containers"), "{err}");
}

// ---- model/src/workload/health.rs and model/src/workload/exec.rs: the word at fault ---------------

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| s.to_string()).collect()
}

/// Survivor `model/src/workload/health.rs:109:31: replace + with - in parse_options`: a health option
/// given twice is blamed on its second occurrence, word `first + i` of the command: with the options
/// in the container's `args` (after `command: [workload, run]`), the error names
/// `spec.containers[0].args`, not the command (`check_pod_commands`, `WorkloadError::field`).
#[test]
fn a_repeated_health_option_in_the_args_is_blamed_on_the_args() {
    let mut p = Pod::new("web", "uid-web", "node-1");
    let mut c = podsim_model::Container::new("app", "app:1");
    c.command = words(&["workload", "run"]);
    c.args = words(&["--ready-after", "1s", "--ready-after", "2s"]);
    p.spec_mut().containers.push(c);
    let err = podsim_model::workload::check_pod_commands(&p).expect_err("a repeated option");
    assert_eq!(err.error.word, 4, "the second --ready-after is word 4 of the command");
    assert_eq!(err.to_string(), "spec.containers[0].args: workload: --ready-after given twice");
    let (workload, health) = podsim_model::workload::Workload::parse_with_health(
        &words(&["workload", "run"]),
        &words(&["--started-after", "2s", "--unhealthy-after", "1m"]),
    )
    .expect("valid options");
    assert_eq!(workload, podsim_model::workload::Workload::Run);
    assert_eq!(
        (health.ready_after, health.started_after, health.unhealthy_after),
        (None, Some(2_000), Some(60_000))
    );
}

/// Survivors `model/src/workload/exec.rs:92:30: replace + with - in fail_checks` and `... with *`:
/// an exec's `fail-checks CHECKS DURATION` whose duration does not read is refused at word 3 of its
/// command (the DURATION; `WorkloadError::word`, the program being word 0).
#[test]
fn a_bad_fail_checks_duration_is_word_three() {
    use podsim_model::workload::exec::Exec;
    let err = Exec::parse(&words(&["workload", "fail-checks", "live", "soon"])).expect_err("not a duration");
    assert_eq!(err.word, 3);
    let err = Exec::parse(&words(&["workload", "check", "healthy"])).expect_err("not a check");
    assert_eq!(err.word, 2);
}

// ---- model/src/status/phase.rs: getPhase ---------------------------------------------------------

/// `getPhase` of these statuses (views, so that a status may have an empty state, as a Pod read by
/// `podsim phase` may), with these gates and `podHasInitialized`; the pod is not terminal.
fn get_phase_of(
    spec: &PhaseSpec<'_>,
    statuses: &[PhaseStatus<'_>],
    pod_has_initialized: bool,
    gates: FeatureGates,
) -> (PodPhase, PhaseCounts) {
    let options = PhaseOptions { pod_is_terminal: false, pod_has_initialized, gates };
    get_phase_with_counts(spec, statuses, &options)
}

fn phase_spec<'a>(
    policy: RestartPolicy,
    init: Vec<PhaseContainer<'a>>,
    containers: Vec<PhaseContainer<'a>>,
) -> PhaseSpec<'a> {
    PhaseSpec { restart_policy: policy, init_containers: init, containers, is_static_pod: false }
}

fn view<'a>(name: &'a str, state: Option<&'a ContainerStateReport>) -> PhaseStatus<'a> {
    PhaseStatus { name, state, last_state: None, started: None }
}

fn gates_of(list: &str) -> FeatureGates {
    FeatureGates::parse(list).expect("known gates")
}

/// The gates of the legacy path and of the default one.
fn both_gate_settings() -> [FeatureGates; 2] {
    [FeatureGates::default(), gates_of("ContainerRestartRules=false")]
}

/// Survivor `model/src/status/phase.rs:170:9: delete match arm Some(RestartRuleAction::Restart) in
/// container_should_restart`: `podutil.ContainerShouldRestart` reads the container's rules first: a
/// container whose own policy is Never, exited with a code its `Restart` rule lists, is restarted, so
/// the pod (policy Never) stays Running (getPhase: `stopped != stoppedNotRestartable`); exited with
/// another code, it is not, and the pod fails.
#[test]
fn a_restart_rule_that_matches_keeps_the_pod_running() {
    let rules = [ContainerRestartRule {
        action: RestartRuleAction::Restart,
        exit_codes: ExitCodes { operator: ExitCodesOperator::In, values: vec![42] },
    }];
    let c = PhaseContainer {
        name: "app",
        restart_policy: Some(RestartPolicy::Never),
        restart_policy_rules: &rules,
    };
    let spec = phase_spec(RestartPolicy::Never, vec![], vec![c]);
    let gates = gates_of("ContainerRestartRules=true");
    let exited_42 = ContainerStateReport::terminated(42, "Error");
    let (phase, counts) = get_phase_of(&spec, &[view("app", Some(&exited_42))], true, gates);
    assert_eq!((phase, counts.stopped, counts.stopped_not_restartable), (PodPhase::Running, 1, 0));
    let exited_1 = ContainerStateReport::terminated(1, "Error");
    let (phase, counts) = get_phase_of(&spec, &[view("app", Some(&exited_1))], true, gates);
    assert_eq!((phase, counts.stopped, counts.stopped_not_restartable), (PodPhase::Failed, 1, 1));
}

/// Survivor `model/src/status/phase.rs:171:58: replace match guard
/// gates.restart_all_containers_on_container_exits with true in container_should_restart`: a
/// `RestartAllContainers` rule restarts nothing while RestartAllContainersOnContainerExits is off
/// (`ContainerShouldRestart` falls through to the container's policy, Never): the pod fails; with the
/// gate on it keeps running (TestPodPhaseWithRestartAllContainers, "regular container triggers
/// RestartAllContainers").
#[test]
fn a_restart_all_containers_rule_restarts_nothing_with_its_gate_off() {
    let rules = [ContainerRestartRule {
        action: RestartRuleAction::RestartAllContainers,
        exit_codes: ExitCodes { operator: ExitCodesOperator::In, values: vec![42] },
    }];
    let c = PhaseContainer {
        name: "app",
        restart_policy: Some(RestartPolicy::Never),
        restart_policy_rules: &rules,
    };
    let spec = phase_spec(RestartPolicy::Never, vec![], vec![c]);
    let exited_42 = ContainerStateReport::terminated(42, "Error");
    let statuses = [view("app", Some(&exited_42))];
    let off = gates_of("ContainerRestartRules=true,RestartAllContainersOnContainerExits=false");
    assert_eq!(get_phase_of(&spec, &statuses, true, off).0, PodPhase::Failed);
    let on = gates_of("ContainerRestartRules=true,RestartAllContainersOnContainerExits=true");
    assert_eq!(get_phase_of(&spec, &statuses, true, on).0, PodPhase::Running);
}

/// Survivors `model/src/status/phase.rs:237:48: replace += with *= in count_regular_init_container`
/// and `model/src/status/phase.rs:261:52: replace += with *= in count_regular_init_container`:
/// `getPhase` counts a plain init container without a status, waiting without a past run, or with
/// an empty state, as initialization still pending: the pod is Pending even while its regular
/// container's status says running (as after its init container's record was lost), gate on or off.
#[test]
fn a_plain_init_container_not_done_keeps_the_pod_pending() {
    let spec = phase_spec(
        RestartPolicy::Always,
        vec![PhaseContainer::named("init")],
        vec![PhaseContainer::named("app")],
    );
    let running = ContainerStateReport::Running { started_at: 0 };
    let waiting = ContainerStateReport::waiting("PodInitializing", "");
    for gates in both_gate_settings() {
        let cases: [(&str, Vec<PhaseStatus<'_>>); 3] = [
            ("no status", vec![view("app", Some(&running))]),
            ("waiting", vec![view("app", Some(&running)), view("init", Some(&waiting))]),
            ("empty state", vec![view("app", Some(&running)), view("init", None)]),
        ];
        for (what, statuses) in cases {
            let (phase, counts) = get_phase_of(&spec, &statuses, true, gates);
            assert_eq!((phase, counts.pending_regular_init_containers), (PodPhase::Pending, 1), "{what}");
        }
    }
}

/// Survivors `model/src/status/phase.rs:283:56: replace += with *= in count_sidecar` and
/// `model/src/status/phase.rs:284:28: replace += with *= in count_sidecar`: a sidecar waiting for its
/// first run counts both as a pending restartable init container and as waiting (the counters
/// `podsim phase` prints), so the pod is Pending even once it has initialized (`waiting > 0`).
#[test]
fn a_sidecar_waiting_for_its_first_run_keeps_the_pod_pending() {
    let sidecar =
        PhaseContainer { restart_policy: Some(RestartPolicy::Always), ..PhaseContainer::named("proxy") };
    let spec = phase_spec(RestartPolicy::Always, vec![sidecar], vec![PhaseContainer::named("app")]);
    let running = ContainerStateReport::Running { started_at: 0 };
    let waiting = ContainerStateReport::waiting("ContainerCreating", "");
    let statuses = [view("app", Some(&running)), view("proxy", Some(&waiting))];
    for gates in both_gate_settings() {
        let (phase, counts) = get_phase_of(&spec, &statuses, true, gates);
        assert_eq!(phase, PodPhase::Pending);
        assert_eq!((counts.pending_restartable_init_containers, counts.waiting, counts.running), (1, 1, 1));
    }
}

/// Survivors `model/src/status/phase.rs:287:56: replace += with -= in count_sidecar`, `... with *=`,
/// `model/src/status/phase.rs:288:28: replace += with -= in count_sidecar` and `... with *=`: a sidecar
/// whose status has an empty state (none of waiting, running, terminated: getPhase's `default`
/// case) counts as pending and unknown, so the pod is Pending even once it has initialized
/// (`running > 0 && unknown == 0` does not hold).
#[test]
fn a_sidecar_with_an_empty_state_keeps_the_pod_pending() {
    let sidecar =
        PhaseContainer { restart_policy: Some(RestartPolicy::Always), ..PhaseContainer::named("proxy") };
    let spec = phase_spec(RestartPolicy::Always, vec![sidecar], vec![PhaseContainer::named("app")]);
    let running = ContainerStateReport::Running { started_at: 0 };
    let statuses = [view("app", Some(&running)), view("proxy", None)];
    for gates in both_gate_settings() {
        let (phase, counts) = get_phase_of(&spec, &statuses, true, gates);
        assert_eq!(phase, PodPhase::Pending);
        assert_eq!((counts.pending_restartable_init_containers, counts.unknown, counts.running), (1, 1, 1));
    }
}

/// A runtime instance of container `name` in sandbox `sandbox`, created at `created_at`.
fn instance(id: &str, name: &str, sandbox: &str, state: ContainerState, created_at: u64) -> ContainerStatus {
    ContainerStatus {
        id: id.into(),
        name: name.into(),
        state,
        exit_code: 0,
        reason: SharedStr::EMPTY,
        hash: 0,
        restart_count: 0,
        sandbox_id: sandbox.into(),
        image: SharedStr::EMPTY,
        created_at,
        started_at: Some(created_at),
        finished_at: None,
        resources: None,
    }
}

fn sandbox(id: &str, state: SandboxState, created_at: u64) -> SandboxStatus {
    SandboxStatus { id: id.into(), state, attempt: 0, ip: "10.0.0.7".into(), host_network: false, created_at }
}

/// `generateAPIPodStatus` with no old status, no failed start, no probe result, default gates.
fn generate(pod: &Pod, runtime: &RuntimePodStatus) -> PodStatusReport {
    generate_with(pod, runtime, None, FeatureGates::default())
}

/// `generateAPIPodStatus` with this old status (the status manager's) and gates, no failed start, no
/// probe result.
fn generate_with(
    pod: &Pod,
    runtime: &RuntimePodStatus,
    old: Option<&PodStatusReport>,
    gates: FeatureGates,
) -> PodStatusReport {
    let reasons = BTreeMap::<String, String>::new();
    let probes = ProbeResults::none();
    let context =
        StatusContext { reasons: &reasons, old_status: old, probes: &probes, gates, pod_is_terminal: false };
    generate_api_pod_status(pod, runtime, &context)
}

/// Survivors `model/src/status/prober.rs:46:9: delete match arm Some(ProbeResult::Success) in
/// is_ready` and `model/src/status/prober.rs:37:44: replace && with || in update_pod_status`. The
/// prober manager's `UpdatePodStatus`: a started, running container WITH a readiness probe is ready
/// only when its readiness result is Success, a regular container and a sidecar alike: `app`
/// (Success) is ready, `proxy` (Failure) is not.
#[test]
fn a_probed_container_is_ready_only_on_a_readiness_success() {
    use podsim_model::pod::Probe as ContainerProbe;
    use podsim_model::runtime::{ContainerProbes, ProbeResult};
    let mut pod = Pod::new("web", "uid-web", "node-1");
    let mut proxy = Container::new("proxy", "proxy:1");
    proxy.restart_policy = Some(RestartPolicy::Always);
    proxy.readiness_probe = Some(ContainerProbe::exec(&["workload", "check", "ready"]));
    let mut app = Container::new("app", "app:1");
    app.readiness_probe = Some(ContainerProbe::exec(&["workload", "check", "ready"]));
    pod.spec_mut().init_containers.push(proxy);
    pod.spec_mut().containers.push(app);
    let runtime = RuntimePodStatus {
        sandboxes: vec![sandbox("sb", SandboxState::Ready, 1)],
        containers: vec![
            instance("proxy-1", "proxy", "sb", ContainerState::Running, 2),
            instance("app-1", "app", "sb", ContainerState::Running, 3),
        ],
    };
    let readiness = |r: ProbeResult| ContainerProbes { readiness: Some(r), ..ContainerProbes::default() };
    let probes = ProbeResults(
        [
            ("proxy-1".to_string(), readiness(ProbeResult::Failure)),
            ("app-1".to_string(), readiness(ProbeResult::Success)),
        ]
        .into_iter()
        .collect(),
    );
    let reasons = BTreeMap::<String, String>::new();
    let context = StatusContext {
        reasons: &reasons,
        old_status: None,
        probes: &probes,
        gates: FeatureGates::default(),
        pod_is_terminal: false,
    };
    let status = generate_api_pod_status(&pod, &runtime, &context);
    let ready = |name: &str| {
        let all = status.container_statuses.iter().chain(&status.init_container_statuses);
        all.clone().find(|s| s.name == name).map(|s| s.ready).unwrap_or_else(|| panic!("{name}: {status:?}"))
    };
    assert!(ready("app"), "Success: ready");
    assert!(!ready("proxy"), "Failure: not ready");
}

/// Survivors `model/src/status/phase.rs:387:5: replace has_any_active_regular_container_started ->
/// bool with true` and `model/src/status/phase.rs:394:68: replace == with != in
/// has_any_active_regular_container_started`: `podHasInitialized` is
/// `HasAnyActiveRegularContainerStarted`, a REGULAR container in the current sandbox. After the
/// sandbox was re-created, only the sidecar runs in the new one, not started yet (its startup probe
/// has not passed); the regular container's last instance is in the old sandbox. The pod has not
/// initialized again: Pending (a pending sidecar keeps an uninitialized pod Pending), not Running.
#[test]
fn a_pod_whose_new_sandbox_runs_only_its_unstarted_sidecar_is_pending() {
    use podsim_model::pod::Probe as ContainerProbe;
    let mut pod = Pod::new("web", "uid-web", "node-1");
    let mut proxy = Container::new("proxy", "proxy:1");
    proxy.restart_policy = Some(RestartPolicy::Always);
    proxy.startup_probe = Some(ContainerProbe::exec(&["check"]));
    pod.spec_mut().init_containers.push(proxy);
    pod.spec_mut().containers.push(Container::new("app", "app:1"));
    let mut app = instance("app-1", "app", "sb-1", ContainerState::Exited, 1_000);
    app.finished_at = Some(5_000);
    let runtime = RuntimePodStatus {
        sandboxes: vec![
            sandbox("sb-2", SandboxState::Ready, 6_000),
            sandbox("sb-1", SandboxState::NotReady, 0),
        ],
        containers: vec![instance("proxy-2", "proxy", "sb-2", ContainerState::Running, 7_000), app],
    };
    let status = generate(&pod, &runtime);
    let proxy = &status.init_container_statuses[0];
    assert!(proxy.state.is_running() && proxy.started == Some(false), "{proxy:?}");
    assert!(status.container_statuses[0].state.is_terminated());
    assert_eq!(status.phase, PodPhase::Pending);
    // Once the regular container runs in the new sandbox, the pod has initialized again.
    let mut again = runtime.clone();
    again.containers.insert(0, instance("app-2", "app", "sb-2", ContainerState::Running, 8_000));
    assert_eq!(generate(&pod, &again).phase, PodPhase::Running);
}

/// Survivors in `model/src/status/phase.rs` `has_any_regular_container_started` (`-> true`, `-> false`,
/// and its `==`, `&&`, `||`): `kubecontainer.HasAnyRegularContainerStarted` over the API statuses
/// (`podsim phase`'s `podHasInitialized`): only a REGULAR container whose state is running or
/// terminated counts; a waiting one, an init container, or an empty state does not.
#[test]
fn has_any_regular_container_started_reads_regular_containers_that_ran() {
    use podsim_model::status::phase::has_any_regular_container_started;
    let spec = phase_spec(
        RestartPolicy::Always,
        vec![PhaseContainer::named("init")],
        vec![PhaseContainer::named("app")],
    );
    let running = ContainerStateReport::Running { started_at: 0 };
    let exited = ContainerStateReport::terminated(0, "Completed");
    let waiting = ContainerStateReport::waiting("PodInitializing", "");
    let cases: [(&str, Vec<PhaseStatus<'_>>, bool); 7] = [
        ("nothing", vec![], false),
        (
            "the regular container waits",
            vec![view("init", Some(&exited)), view("app", Some(&waiting))],
            false,
        ),
        ("the init container runs", vec![view("init", Some(&running))], false),
        ("an empty state", vec![view("app", None)], false),
        ("the regular container runs", vec![view("app", Some(&running))], true),
        ("the regular container exited", vec![view("init", Some(&exited)), view("app", Some(&exited))], true),
        (
            "after an init container's status",
            vec![view("init", Some(&running)), view("app", Some(&running))],
            true,
        ),
    ];
    for (what, statuses, want) in cases {
        assert_eq!(has_any_regular_container_started(&spec, &statuses), want, "{what}");
    }
}

/// Survivor `model/src/status/restart_all.rs:117:9: replace && with || in keep_initialized`. Only with
/// RestartAllContainersOnContainerExits on does an Initialized condition that was True stay True
/// while init containers run again ("once a pod is initialized, it cannot be uninitialized",
/// `GeneratePodInitializedCondition`); with the gate off it turns False, ContainersNotInitialized.
#[test]
fn an_initialized_pod_stays_initialized_only_with_restart_all_containers_on() {
    use podsim_model::status::conditions::ConditionStatus;
    let mut pod = web_pod();
    pod.spec_mut().init_containers.push(Container::new("init", "init:1"));
    // A new sandbox, nothing started in it yet (a regular container started would make the pod
    // initialized by itself).
    let runtime =
        RuntimePodStatus { sandboxes: vec![sandbox("sb-2", SandboxState::Ready, 10)], containers: vec![] };
    let mut old = old_status_running();
    old.conditions = generate_with(&pod, &runtime, None, FeatureGates::default()).conditions;
    for c in &mut old.conditions {
        c.status = ConditionStatus::True;
    }
    let initialized = |gates: FeatureGates| {
        let status = generate_with(&pod, &runtime, Some(&old), gates);
        status.condition("Initialized").map(|c| (c.status, c.reason.to_string())).expect("Initialized")
    };
    assert_eq!(initialized(FeatureGates::default()), (ConditionStatus::True, String::new()));
    assert_eq!(
        initialized(gates_of("RestartAllContainersOnContainerExits=false")),
        (ConditionStatus::False, "ContainersNotInitialized".to_string())
    );
}

// ---- model/src/status/containers.rs: convertToAPIContainerStatuses -------------------------------

/// A pod `web` with one container `app`.
fn web_pod() -> Pod {
    let mut pod = Pod::new("web", "uid-web", "node-1");
    pod.spec_mut().containers.push(Container::new("app", "app:1"));
    pod
}

/// The status manager's status of `web_pod` with `app` running (restarted twice before).
fn old_status_running() -> PodStatusReport {
    PodStatusReport {
        phase: PodPhase::Running,
        container_statuses: vec![ContainerStatusReport {
            name: "app".into(),
            state: ContainerStateReport::Running { started_at: 1_000 },
            restart_count: 2,
            container_id: "app-3".into(),
            ..ContainerStatusReport::default()
        }],
        ..PodStatusReport::default()
    }
}

/// Survivor `model/src/status/containers.rs:51:9: replace && with || in
/// convert_status_to_api_status`: `podRestarting` is `ShouldAllContainersRestart`, asked only with
/// RestartAllContainersOnContainerExits on; the gate alone does not make a pod restart all its
/// containers. A running container of a pod without a RestartAllContainers rule that vanished from
/// the runtime is inferred terminated (`ContainerStatusUnknown`, exit 137, one more restart) and
/// waits as ContainerCreating, with the gate on as with it off; it is not reported "removed because
/// RestartAllContainers in place".
#[test]
fn a_vanished_container_of_a_pod_that_does_not_restart_all_is_inferred_terminated() {
    let pod = web_pod();
    let runtime =
        RuntimePodStatus { sandboxes: vec![sandbox("sb-1", SandboxState::Ready, 0)], containers: vec![] };
    let old = old_status_running();
    for gates in [FeatureGates::default(), gates_of("RestartAllContainersOnContainerExits=false")] {
        let status = generate_with(&pod, &runtime, Some(&old), gates);
        let app = &status.container_statuses[0];
        assert_eq!(app.state, ContainerStateReport::waiting(reason::CONTAINER_CREATING, ""), "{gates:?}");
        let Some(ContainerStateReport::Terminated { exit_code, reason: why, message, .. }) = &app.last_state
        else {
            panic!("a last termination: {app:?}")
        };
        assert_eq!(
            (*exit_code, why.as_str(), message.as_str()),
            (137, reason::CONTAINER_STATUS_UNKNOWN, VANISHED_WHILE_RUNNING)
        );
        assert_eq!(app.restart_count, 3);
        assert_eq!(status.phase, PodPhase::Running, "a stopped container of an Always pod restarts");
    }
}

/// Survivor `model/src/status/containers.rs:112:8: delete ! in convert_to_api_container_statuses`:
/// the regular and ephemeral container statuses are sorted by name (`kubetypes.SortedContainerStatuses`
/// in `convertToAPIContainerStatuses`), the init container statuses keep the spec's order (they run
/// in that order). The spec lists each out of name order here.
#[test]
fn regular_statuses_are_sorted_by_name_and_init_statuses_keep_the_spec_order() {
    let mut pod = Pod::new("web", "uid-web", "node-1");
    for name in ["zeta-init", "alpha-init"] {
        pod.spec_mut().init_containers.push(Container::new(name, "init:1"));
    }
    for name in ["web", "cache", "metrics"] {
        pod.spec_mut().containers.push(Container::new(name, "app:1"));
    }
    for name in ["debug-b", "debug-a"] {
        pod.spec_mut().ephemeral_containers.push(Container::new(name, "busybox"));
    }
    let runtime =
        RuntimePodStatus { sandboxes: vec![sandbox("sb-1", SandboxState::Ready, 0)], containers: vec![] };
    let status = generate(&pod, &runtime);
    let names = |list: &[ContainerStatusReport]| list.iter().map(|s| s.name.to_string()).collect::<Vec<_>>();
    assert_eq!(names(&status.init_container_statuses), ["zeta-init", "alpha-init"]);
    assert_eq!(names(&status.container_statuses), ["cache", "metrics", "web"]);
    assert_eq!(names(&status.ephemeral_container_statuses), ["debug-a", "debug-b"]);
}

/// Survivor `model/src/status/containers.rs:171:28: replace || with && in infer_vanished`: a running
/// container that vanished from the runtime but whose status already holds a last termination (it
/// had exited before, and its old status carried it over) keeps that termination and its restart
/// count: `convertToAPIContainerStatuses` infers a termination only when there is none ("if we already
/// have a termination state, nothing to do").
#[test]
fn a_vanished_container_keeps_the_last_termination_it_had() {
    let pod = web_pod();
    let runtime =
        RuntimePodStatus { sandboxes: vec![sandbox("sb-1", SandboxState::Ready, 0)], containers: vec![] };
    let mut old = old_status_running();
    let before = ContainerStateReport::terminated(1, "Error");
    old.container_statuses[0].last_state = Some(before.clone());
    let status = generate_with(&pod, &runtime, Some(&old), FeatureGates::default());
    let app = &status.container_statuses[0];
    assert_eq!(app.state, ContainerStateReport::waiting(reason::CONTAINER_CREATING, ""));
    assert_eq!(app.last_state, Some(before), "the termination it had");
    assert_eq!(app.restart_count, 2, "no restart is inferred");
}

/// An exited instance of `app` created at `created_at`, with this exit code.
fn exited(id: &str, created_at: u64, exit_code: i32) -> ContainerStatus {
    let mut c = instance(id, "app", "sb-1", ContainerState::Exited, created_at);
    c.exit_code = exit_code;
    c.finished_at = Some(created_at + 10);
    c
}

/// Survivors `model/src/status/containers.rs:219:61: replace > with == in two_newest` and
/// `model/src/status/containers.rs:219:61: replace > with >= in two_newest`: the last state is the second newest instance by creation time
/// (`SortContainerStatusesByCreationTime`, newest first), whatever the runtime's order; of two
/// instances created at the same time, the one the runtime lists first (Go's sort of so few
/// statuses is an insertion sort, which keeps equal ones in order).
#[test]
fn the_last_state_is_the_second_newest_instance() {
    let pod = web_pod();
    let exit_code_of_last = |containers: Vec<ContainerStatus>| {
        let runtime =
            RuntimePodStatus { sandboxes: vec![sandbox("sb-1", SandboxState::Ready, 0)], containers };
        let status = generate(&pod, &runtime);
        let app = &status.container_statuses[0];
        assert!(app.state.is_running(), "the newest instance runs: {app:?}");
        app.last_state.as_ref().and_then(|s| s.exit_code())
    };
    let newest = || instance("app-3", "app", "sb-1", ContainerState::Running, 3_000);
    assert_eq!(
        exit_code_of_last(vec![exited("app-1", 1_000, 1), newest(), exited("app-2", 2_000, 2)]),
        Some(2)
    );
    assert_eq!(
        exit_code_of_last(vec![newest(), exited("app-2a", 2_000, 2), exited("app-2b", 2_000, 5)]),
        Some(2)
    );
}

/// Survivors `model/src/status/containers.rs:278:23: replace == with != in convert_container_status`
/// and `model/src/status/containers.rs:298:5: replace keep_old_started with ()`: a running container
/// whose startup probe has no result yet in the prober's cache (as after a kubelet restart) keeps
/// the `started: true` of its old status (ChangeContainerStatusOnKubeletRestart off, its default), and
/// so is ready (it has no readiness probe); one whose old status did not say it started is neither.
#[test]
fn a_running_container_keeps_the_started_of_its_old_status() {
    use podsim_model::pod::Probe as ContainerProbe;
    let mut pod = web_pod();
    pod.spec_mut().containers[0].startup_probe = Some(ContainerProbe::exec(&["check"]));
    let runtime = RuntimePodStatus {
        sandboxes: vec![sandbox("sb-1", SandboxState::Ready, 0)],
        containers: vec![instance("app-3", "app", "sb-1", ContainerState::Running, 1_000)],
    };
    let mut old = old_status_running();
    old.container_statuses[0].started = Some(true);
    let status = generate_with(&pod, &runtime, Some(&old), FeatureGates::default());
    let app = &status.container_statuses[0];
    assert_eq!((app.started, app.ready), (Some(true), true), "{app:?}");
    old.container_statuses[0].started = Some(false);
    let status = generate_with(&pod, &runtime, Some(&old), FeatureGates::default());
    let app = &status.container_statuses[0];
    assert_eq!((app.started, app.ready), (Some(false), false), "{app:?}");
}

// ---- model/src/status/conditions.rs: the kubelet-owned conditions ---------------------------------

/// Survivor `model/src/status/conditions.rs:181:9: delete match arm PodPhase::Failed in
/// terminal_condition`: in a Failed pod, ContainersReady and Ready are False with reason PodFailed
/// (`generateContainersReadyConditionForTerminalPhase`); in a Succeeded one, PodCompleted.
#[test]
fn a_terminal_pod_is_not_ready_with_the_reason_of_its_phase() {
    use podsim_model::status::conditions::{
        condition_reason, generate_containers_ready_condition, generate_pod_ready_condition, ConditionStatus,
    };
    let pod = web_pod();
    let app = ContainerStatusReport {
        name: "app".into(),
        state: ContainerStateReport::terminated(1, "Error"),
        ..ContainerStatusReport::default()
    };
    let statuses = [&app];
    for (phase, why) in [
        (PodPhase::Failed, condition_reason::POD_FAILED),
        (PodPhase::Succeeded, condition_reason::POD_COMPLETED),
    ] {
        let containers_ready = generate_containers_ready_condition(&pod, Some(&statuses), phase);
        assert_eq!(
            (
                containers_ready.condition_type.as_ref(),
                containers_ready.status,
                containers_ready.reason.as_ref()
            ),
            ("ContainersReady", ConditionStatus::False, why)
        );
        let ready = generate_pod_ready_condition(&pod, &[], &[], Some(&statuses), phase);
        assert_eq!(
            (ready.condition_type.as_ref(), ready.status, ready.reason.as_ref()),
            ("Ready", ConditionStatus::False, why)
        );
    }
}

/// Survivor `model/src/status/conditions.rs:239:17: replace match guard
/// pod.spec.init_containers.is_empty() with false in generate_pod_initialized_condition`: a pod
/// without init containers is Initialized even when the container statuses are unknown (nil):
/// `GeneratePodInitializedCondition` reports UnknownContainerStatuses only for a pod that has init
/// containers.
#[test]
fn a_pod_without_init_containers_is_initialized_whatever_its_statuses() {
    use podsim_model::status::conditions::{
        condition_reason, generate_pod_initialized_condition, ConditionStatus,
    };
    let pod = web_pod();
    let c = generate_pod_initialized_condition(&pod, None, PodPhase::Pending);
    assert_eq!(
        (c.condition_type.as_ref(), c.status, c.reason.as_ref()),
        ("Initialized", ConditionStatus::True, "")
    );
    let mut with_init = web_pod();
    with_init.spec_mut().init_containers.push(Container::new("setup", "setup:1"));
    let c = generate_pod_initialized_condition(&with_init, None, PodPhase::Pending);
    assert_eq!(
        (c.status, c.reason.as_ref()),
        (ConditionStatus::False, condition_reason::UNKNOWN_CONTAINER_STATUSES)
    );
}
