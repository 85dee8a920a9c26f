//! Bad input at load: every field of a scenario with a fixed vocabulary (the `workload` command's
//! verbs and arguments, the Pod manifest's enums, fault kinds, directions and CRI methods, expected
//! phases and states, kubelet settings and feature gates) refuses an unknown word with
//! `file:line:column: field: message`, never a silent default. One case per field class; each
//! changes one word of a scenario that loads.

use podsim_sim::scenario::Scenario;

/// A scenario that uses each of those fields once, and loads.
const GOOD: &str = include_str!("load_errors/vocabulary.yaml");

/// The file name errors are reported under.
const FILE: &str = "scenarios/vocabulary.yaml";

/// The error of `GOOD` with `from` (found exactly once) replaced by `to`.
fn error_with(from: &str, to: &str) -> String {
    assert_eq!(GOOD.matches(from).count(), 1, "{from:?} is in the scenario once");
    match Scenario::parse(FILE, &GOOD.replace(from, to)) {
        Ok(_) => panic!("{to:?} loaded"),
        Err(e) => e.to_string(),
    }
}

/// Asserts each case's error starts with `file:line:column: field: message`.
fn assert_errors(cases: &[(&str, &str, &str)]) {
    for (from, to, expected) in cases {
        let error = error_with(from, to);
        assert!(
            error.starts_with(&format!("{FILE}:{expected}")),
            "{to:?}:\n  got      {error}\n  expected {FILE}:{expected}"
        );
    }
}

#[test]
fn the_scenario_loads_as_written() {
    Scenario::parse(FILE, GOOD).expect("the base scenario is good");
}

const KNOWN_VERBS: &str = "(known: run, exit-after DURATION CODE, ignore-sigterm)";

/// issue 12: `workload exit-after 2 sec 1` ran forever as `workload run`; every place a pod or an
/// image gives a command is checked.
#[test]
fn workload_commands_outside_the_vocabulary_are_errors_where_they_are_written() {
    let cases = [
        (
            r#"args: [exit-after, 2s, "1"]"#,
            r#"args: [exit-after, 2, sec, "1"]"#,
            r#"20:13: pods[0].spec.containers[0].args: workload: exit-after takes DURATION CODE, got "2" "sec" "1""#.to_string(),
        ),
        (
            r#"args: [exit-after, 2s, "1"]"#,
            r#"args: [exit-afterr, 2s, "1"]"#,
            format!(r#"20:13: pods[0].spec.containers[0].args: workload: unknown verb "exit-afterr" {KNOWN_VERBS}"#),
        ),
        (
            r#"args: [exit-after, 2s, "1"]"#,
            "args: [exit-after, 2s, one]",
            r#"20:13: pods[0].spec.containers[0].args: workload: exit-after: "one" is not an exit code (0 to 255)"#.to_string(),
        ),
        (
            r#"[workload, exit-after, 1s, "0"]"#,
            r#"[workload, exit-after, 1 s, "0"]"#,
            r#"14:55: pods[0].spec.initContainers[0].command: workload: exit-after: "1 s" is not a duration (like 500ms, 2s, 1m)"#.to_string(),
        ),
        (
            "[workload, ignore-sigterm]",
            "[workload, ignore-sigterms]",
            format!(r#"35:57: timeline[2].createPod.spec.containers[0].command: workload: unknown verb "ignore-sigterms" {KNOWN_VERBS}"#),
        ),
        (
            "[/bin/workload, run]",
            "[/bin/workload]",
            format!("42:57: timeline[3].updatePod.spec.containers[0].command: workload: no verb {KNOWN_VERBS}"),
        ),
        (
            "command: [workload, run]}",
            "command: [workload, runs]}",
            format!(r#"8:38: images[0].command: workload: unknown verb "runs" {KNOWN_VERBS}"#),
        ),
    ];
    for (from, to, expected) in &cases {
        assert_eq!(error_with(from, to), format!("{FILE}:{expected}"), "{to:?}");
    }
}

/// Programs podsim did not build are not read: they run until stopped.
#[test]
fn other_programs_are_not_checked() {
    let text = GOOD.replace(
        r#"command: [workload]
      args: [exit-after, 2s, "1"]"#,
        r#"command: [nginx]
      args: [-g, "daemon off;"]"#,
    );
    Scenario::parse(FILE, &text).expect("nginx's arguments are its own");
}

#[test]
fn pod_manifest_enums_are_errors_at_their_word() {
    assert_errors(&[
        ("restartPolicy: Always", "restartPolicy: always", "12:20: pods[0].spec.restartPolicy: unknown variant `always`, expected one of `Always`, `OnFailure`, `Never`"),
        ("imagePullPolicy: IfNotPresent", "imagePullPolicy: IfNotPresant", "18:24: pods[0].spec.containers[0].imagePullPolicy: unknown variant `IfNotPresant`, expected one of `Always`, `IfNotPresent`, `Never`"),
        ("restartPolicy: OnFailure", "restartPolicy: OnFail", "21:22: pods[0].spec.containers[0].restartPolicy: unknown variant `OnFail`"),
        ("action: Restart", "action: Reboot", "22:37: pods[0].spec.containers[0].restartPolicyRules[0].action: unknown variant `Reboot`, expected `Restart` or `RestartAllContainers`"),
        ("operator: In", "operator: Within", "22:68: pods[0].spec.containers[0].restartPolicyRules[0].exitCodes.operator: unknown variant `Within`, expected `In` or `NotIn`"),
        ("resourceName: cpu", "resourceName: gpu", "23:37: pods[0].spec.containers[0].resizePolicy[0].resourceName: unknown variant `gpu`, expected `cpu` or `memory`"),
        ("restartPolicy: NotRequired", "restartPolicy: Sometimes", "23:57: pods[0].spec.containers[0].resizePolicy[0].restartPolicy: unknown variant `Sometimes`, expected `NotRequired` or `RestartContainer`"),
        ("restartPolicy: Never\n      containers:\n      - {name: once, image: podsim/workload:1, command: [workload, ignore", "restartPolicy: Nevr\n      containers:\n      - {name: once, image: podsim/workload:1, command: [workload, ignore", "33:22: timeline[2].createPod.spec.restartPolicy: unknown variant `Nevr`"),
        ("    metadata: {name: job}\n    spec:\n      restartPolicy: Never\n      containers:\n      - {name: once, image: podsim/workload:1, command: [/bin", "    metadata: {name: job}\n    kind: Deployment\n    spec:\n      restartPolicy: Never\n      containers:\n      - {name: once, image: podsim/workload:1, command: [/bin", "39:11: timeline[3].updatePod.kind: expected Pod, found \"Deployment\""),
    ]);
}

/// A fault's fields are read after its `kind` is found; the error still names the field and its place.
#[test]
fn fault_kinds_directions_and_cri_methods_are_errors_at_their_word() {
    assert_errors(&[
        ("kind: partition", "kind: partitio", "26:17: timeline[0].fault.kind: unknown variant `partitio`, expected one of `partition`,"),
        ("direction: toApiServer", "direction: toApiserver", "26:39: timeline[0].fault.direction: unknown variant `toApiserver`, expected one of `both`, `toApiServer`, `fromApiServer`"),
        ("method: StartContainer", "method: StartContainers", "28:37: timeline[1].fault.method: unknown variant `StartContainers`, expected one of `ListPodSandbox`,"),
        ("count: 2", "count: two", "28:60: timeline[1].fault.count: invalid type: string \"two\", expected u32"),
        ("count: 2", "cont: 2", "28:59: timeline[1].fault.cont: unknown field `cont`, expected one of `method`, `count`, `timeout`"),
        ("kinds: [partition, pauseDeath]", "kinds: [partition, pauseDeth]", "43:35: randomFaults.kinds[1]: unknown variant `pauseDeth`, expected one of `partition`,"),
        ("  createPod:", "  createPods:", "29:3: timeline[2]: unknown field `createPods`, expected one of `at`, `createPod`,"),
    ]);
}

#[test]
fn kubelet_settings_and_feature_gates_are_errors_at_their_word() {
    assert_errors(&[
        ("failedSyncRequeue: atBackOffExpiry", "failedSyncRequeue: atBackoffExpiry", "5:22: kubelet.failedSyncRequeue: unknown variant `atBackoffExpiry`, expected `atBackOffExpiry` or `afterWorkerBackOff`"),
        ("ContainerRestartRules: true", "ContainerRestartRule: true", "6:40: kubelet.featureGates.ContainerRestartRule: unknown feature gate \"ContainerRestartRule\" (known: "),
        ("ContainerRestartRules: true", "ContainerRestartRules: yes", "6:41: kubelet.featureGates.ContainerRestartRules: invalid type: string \"yes\", expected a boolean"),
    ]);
}

#[test]
fn expected_phases_and_states_are_errors_at_their_word() {
    assert_errors(&[
        ("phase: Running", "phase: running", "47:14: expect.pods.web.phase: unknown variant `running`, expected one of `Pending`, `Running`, `Succeeded`, `Failed`"),
        ("state: running", "state: Running", "49:22: expect.pods.web.containers.app.state: unknown variant `Running`, expected one of `running`, `waiting`, `terminated`"),
    ]);
}
