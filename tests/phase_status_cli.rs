//! `podsim phase` and `podsim status` as a user runs them: outputs, exit codes, standard input, bad
//! input with its line and column, and feature gates.

use assert_cmd::Command;
use serde_json::{json, Value};

fn podsim() -> Command {
    Command::cargo_bin("podsim").expect("the podsim binary is built")
}

fn stdout_json(args: &[&str], stdin: Option<&str>) -> Value {
    let mut cmd = podsim();
    cmd.args(args);
    if let Some(text) = stdin {
        cmd.write_stdin(text);
    }
    let out = cmd.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).expect("stdout is one JSON value")
}

fn failure(args: &[&str], stdin: &str) -> (i32, String) {
    let out = podsim().args(args).write_stdin(stdin).output().expect("runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn example(path: &str) -> String {
    std::fs::read_to_string(path).expect("the example exists")
}

// ---- podsim phase ----

#[test]
fn phase_of_the_shipped_examples() {
    for (file, phase) in [
        ("examples/phase/running.yaml", "Running"),
        ("examples/phase/sidecar.yaml", "Running"),
        ("examples/phase/failed.yaml", "Failed"),
        ("examples/phase/start-error.yaml", "Running"),
        ("examples/phase/restart-rules.yaml", "Running"),
    ] {
        let v = stdout_json(&["phase", file], None);
        assert_eq!(v["phase"], phase, "{file}: {v}");
    }
    let v = stdout_json(&["phase", "examples/phase/running.yaml"], None);
    assert_eq!(v["pod"], "shop/web-7d4b9c8f6d-x2k8p");
    assert_eq!(v["reportedPhase"], "Running");
    assert_eq!(v["counts"]["running"], 1);
    assert_eq!(v["podHasInitialized"], true);
    let v = stdout_json(&["phase", "examples/phase/sidecar.yaml"], None);
    assert_eq!(v["counts"]["running"], 2, "the started sidecar and the app: {v}");
    assert_eq!(v["counts"]["pendingRestartableInitContainers"], 0);
}

#[test]
fn phase_reads_kubectl_output_from_standard_input_as_yaml_or_json() {
    let yaml = example("examples/phase/failed.yaml");
    assert_eq!(stdout_json(&["phase", "-"], Some(&yaml))["phase"], "Failed");
    // `kubectl get pod -o json`.
    let as_json: Value = serde_yaml::from_str(&yaml).unwrap();
    let v = stdout_json(&["phase", "-"], Some(&as_json.to_string()));
    assert_eq!(v["phase"], "Failed");
    assert_eq!(v["pod"], "batch/report-29384756-kq7zt");
}

#[test]
fn phase_follows_the_gates_it_is_given() {
    let file = "examples/phase/restart-rules.yaml";
    let on = stdout_json(&["phase", file], None);
    assert_eq!((on["phase"].clone(), on["featureGates"].clone()), (json!("Running"), json!({})));
    let off = stdout_json(&["phase", file, "--feature-gates", "ContainerRestartRules=false"], None);
    assert_eq!(off["phase"], "Failed", "without the gate the rules are not read: {off}");
    assert_eq!(off["featureGates"], json!({"ContainerRestartRules": false}));
}

#[test]
fn phase_of_a_terminal_pod_is_succeeded_or_failed_whatever_the_policy() {
    let pod = "metadata: {name: p}\nspec:\n  containers: [{name: a, image: i}]\nstatus:\n  containerStatuses:\n  - name: a\n    state: {terminated: {exitCode: 0, reason: Completed}}\n";
    assert_eq!(stdout_json(&["phase", "-"], Some(pod))["phase"], "Running", "Always restarts it");
    let v = stdout_json(&["phase", "-", "--terminal"], Some(pod));
    assert_eq!((v["phase"].clone(), v["podIsTerminal"].clone()), (json!("Succeeded"), json!(true)));
    // A static pod (from a file, not the API server) is not given a terminal phase.
    let static_pod = pod.replace(
        "metadata: {name: p}",
        "metadata: {name: p, annotations: {kubernetes.io/config.source: file}}",
    );
    let v = stdout_json(&["phase", "-", "--terminal"], Some(&static_pod));
    assert_eq!((v["phase"].clone(), v["staticPod"].clone()), (json!("Running"), json!(true)));
}

#[test]
fn phase_counts_a_waiting_container_after_a_termination_as_stopped_never_succeeded() {
    // Defect 1's shape: waiting with a last termination of exit 0 under Never: stopped, not succeeded.
    let pod = "metadata: {name: p}\nspec:\n  restartPolicy: Never\n  containers: [{name: a, image: i}]\nstatus:\n  containerStatuses:\n  - name: a\n    state: {waiting: {}}\n    lastState: {terminated: {exitCode: 0}}\n";
    let v = stdout_json(&["phase", "-"], Some(pod));
    assert_eq!(v["phase"], "Failed", "{v}");
    assert_eq!((v["counts"]["stopped"].clone(), v["counts"]["succeeded"].clone()), (json!(1), json!(0)));
}

#[test]
fn phase_bad_input_names_the_line_column_and_field_and_exits_2() {
    let (code, err) = failure(&["phase", "-"], "metadata: {name: p}\nspec:\n  containers:\n  - image: i\n");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("<stdin>:4:5: spec.containers[0]: missing field `name`"), "{err}");

    let (code, err) = failure(
        &["phase", "-"],
        "metadata: {name: p}\nspec:\n  restartPolicy: Sometimes\n  containers: [{name: a}]\n",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("<stdin>:3:") && err.contains("spec.restartPolicy: unknown variant `Sometimes`"),
        "{err}"
    );

    let two_states = "metadata: {name: p}\nspec:\n  containers: [{name: a}]\nstatus:\n  containerStatuses:\n  - name: a\n    state: {running: {}, waiting: {}}\n";
    let (code, err) = failure(&["phase", "-"], two_states);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("<stdin>:7:12: status.containerStatuses[0].state: may not specify more than 1 state"),
        "{err}"
    );

    let rule = "metadata: {name: p}\nspec:\n  containers:\n  - name: a\n    restartPolicy: Never\n    restartPolicyRules: [{action: Retry, exitCodes: {operator: In, values: [1]}}]\n";
    let (code, err) = failure(&["phase", "-"], rule);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("<stdin>:6:") && err.contains("unknown variant `Retry`"), "{err}");

    let (code, err) =
        failure(&["phase", "-"], "kind: Service\nmetadata: {name: p}\nspec:\n  containers: [{name: a}]\n");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("<stdin>:1:7: kind: expected Pod, found \"Service\""), "{err}");

    let (code, err) =
        failure(&["phase", "examples/phase/running.yaml", "--feature-gates", "NoSuchGate=true"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown feature gate \"NoSuchGate\""), "{err}");

    let (code, err) = failure(&["phase", "/no/such/pod.yaml"], "");
    assert_eq!(code, 2);
    assert!(err.contains("/no/such/pod.yaml: cannot read"), "{err}");
}

// ---- podsim status ----

fn container<'v>(status: &'v Value, list: &str, name: &str) -> &'v Value {
    status[list]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no {name}: {status}"))
}

#[test]
fn status_of_a_crash_loop_is_shaped_like_the_api() {
    let v = stdout_json(&["status", "examples/status/crash-loop.yaml"], None);
    assert_eq!(v["phase"], "Running");
    let types: Vec<&str> =
        v["conditions"].as_array().unwrap().iter().map(|c| c["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
    );
    assert_eq!(
        v["conditions"][2],
        json!({"type": "Ready", "status": "False", "reason": "ContainersNotReady", "message": "containers with unready status: [app]"})
    );
    assert_eq!(v["podIP"], "10.244.1.9");
    let app = container(&v, "containerStatuses", "app");
    assert_eq!(app["state"]["waiting"]["reason"], "CrashLoopBackOff");
    assert_eq!(
        app["state"]["waiting"]["message"],
        "back-off 40s restarting failed container=app pod=web_default(u1)"
    );
    assert_eq!(app["lastState"]["terminated"]["exitCode"], 1);
    assert_eq!(app["lastState"]["terminated"]["containerID"], "containerd://c4");
    assert_eq!(
        (app["restartCount"].clone(), app["ready"].clone(), app["started"].clone()),
        (json!(3), json!(false), json!(false))
    );
    assert_eq!(app["image"], "registry.local/app:1", "a runtime container without an image shows the spec's");
    let log = container(&v, "containerStatuses", "sidecar-log");
    assert_eq!(
        (log["ready"].clone(), log["started"].clone(), log["lastState"].clone()),
        (json!(true), json!(true), json!({}))
    );
    assert_eq!(log["containerID"], "containerd://c2");
    // Container statuses are sorted by name, as the kubelet sorts them.
    let names: Vec<&str> =
        v["containerStatuses"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["app", "sidecar-log"]);
}

#[test]
fn status_of_failed_restarts_is_never_succeeded() {
    // Defect 1: OnFailure, exit 1, two failed starts.
    let v = stdout_json(&["status", "examples/status/failed-restarts.yaml"], None);
    assert_eq!(v["phase"], "Pending", "{v}");
    let app = container(&v, "containerStatuses", "app");
    assert_eq!(app["state"]["waiting"]["reason"], "RunContainerError");
    assert_eq!(app["lastState"], json!({"waiting": {}}), "the instance before it never ran");
}

#[test]
fn status_of_a_starting_sidecar_is_pending_and_not_initialized() {
    let v = stdout_json(&["status", "-"], Some(&example("examples/status/sidecar-starting.yaml")));
    assert_eq!(v["phase"], "Pending");
    assert_eq!(
        v["conditions"][1],
        json!({"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized", "message": "containers with incomplete status: [proxy]"})
    );
    let proxy = container(&v, "initContainerStatuses", "proxy");
    assert_eq!((proxy["started"].clone(), proxy["ready"].clone()), (json!(false), json!(false)));
    let migrate = container(&v, "initContainerStatuses", "migrate");
    assert_eq!(migrate["ready"], true, "a completed init container is ready");
    assert_eq!(container(&v, "containerStatuses", "api")["state"]["waiting"]["reason"], "PodInitializing");
}

#[test]
fn status_takes_gates_and_terminal() {
    let doc = "pod:\n  metadata: {name: p}\n  spec:\n    containers: [{name: a, image: i}]\nruntime:\n  sandboxes: [{id: s, state: SANDBOX_READY, ip: 10.0.0.1}]\n  containers: [{id: c, name: a, state: CONTAINER_EXITED, exitCode: 0, reason: Completed, hash: '0'}]\n";
    assert_eq!(stdout_json(&["status", "-"], Some(doc))["phase"], "Running");
    let v = stdout_json(
        &["status", "-", "--terminal", "--feature-gates", "ContainerRestartRules=false"],
        Some(doc),
    );
    assert_eq!(v["phase"], "Succeeded");
    assert_eq!(
        v["conditions"][3],
        json!({"type": "ContainersReady", "status": "False", "reason": "PodCompleted"})
    );
}

#[test]
fn status_bad_input_names_the_line_column_and_field_and_exits_2() {
    let doc = "pod:\n  metadata: {name: p}\n  spec:\n    containers: [{name: a, image: i}]\nreasonCache:\n  a: {reason: TooTired}\n";
    let (code, err) = failure(&["status", "-"], doc);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("<stdin>:6:") && err.contains("reasonCache.a.reason: unknown variant `TooTired`"),
        "{err}"
    );

    let doc = "pod:\n  metadata: {name: p}\n  spec:\n    containers: [{name: a, image: i}]\nreasonCache:\n  b: {reason: CrashLoopBackOff}\n";
    let (code, err) = failure(&["status", "-"], doc);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("<stdin>:6:6: reasonCache.b: the pod has no container \"b\""), "{err}");

    let doc = "pod:\n  metadata: {name: p}\n  spec:\n    containers: [{name: a, image: i}]\noldStatus: {}\n";
    let (code, err) = failure(&["status", "-"], doc);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("<stdin>:5:1") && err.contains("unknown field `oldStatus`"), "{err}");

    let doc = "pod:\n  metadata: {name: p}\n  spec:\n    containers: [{name: a, image: i}]\nruntime:\n  containers:\n  - {id: c, name: a, state: CONTAINER_RUNNING, hash: '0', restartCount: -1}\n";
    let (code, err) = failure(&["status", "-"], doc);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("<stdin>:7:") && err.contains("runtime.containers[0].restartCount"), "{err}");

    let (code, err) =
        failure(&["status", "examples/status/crash-loop.yaml", "--feature-gates", "Bogus=true"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown feature gate \"Bogus\""), "{err}");
}

#[test]
fn phase_and_status_have_help() {
    for cmd in ["phase", "status"] {
        let out = podsim().args([cmd, "--help"]).assert().success().get_output().stdout.clone();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("Usage:") && text.contains("--feature-gates") && text.contains("Examples:"),
            "{text}"
        );
    }
    let (code, _) = failure(&["phase"], "");
    assert_eq!(code, 2, "a missing argument is a usage error");
}
