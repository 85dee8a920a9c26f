//! `podsim plan --feature-gates`: the kubelet's gates over the defaults, the plans that depend on
//! them (the legacy init path, in-place resize, container restart rules, restarting all containers),
//! and the errors for a gate or a value podsim does not know.

use assert_cmd::Command;
use serde_json::{json, Value};

fn podsim() -> Command {
    Command::cargo_bin("podsim").expect("the podsim binary is built")
}

/// Runs `podsim plan ARGS` (with `stdin` as the document if given) and returns its JSON.
fn plan(args: &[&str], stdin: Option<&str>) -> Value {
    let mut cmd = podsim();
    cmd.arg("plan").args(args);
    if let Some(text) = stdin {
        cmd.write_stdin(text);
    }
    let out = cmd.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).expect("stdout is one JSON value")
}

/// Runs `podsim plan ARGS` expecting a failure: (exit code, stdout, stderr).
fn plan_fails(args: &[&str], stdin: &str) -> (i32, String, String) {
    let out = podsim().arg("plan").args(args).write_stdin(stdin).output().expect("runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// Init containers `a` and `b`, regular `app`; `a` completed, nothing else ran yet.
const INIT_IN_PROGRESS: &str = r#"
pod:
  metadata: {name: p, uid: u}
  spec:
    initContainers:
    - {name: a, image: "i:1"}
    - {name: b, image: "i:1"}
    containers:
    - {name: app, image: "i:1"}
runtime:
  sandboxes:
  - {id: s1, state: SANDBOX_READY, ip: 10.0.0.1}
  containers:
  - {id: ca, name: a, state: CONTAINER_EXITED, exitCode: 0, hash: "0"}
"#;

#[test]
fn the_resize_example_resizes_in_place_and_restarts_what_asks_for_it() {
    let v = plan(&["examples/plan/resize-cpu.yaml"], None);
    assert_eq!(v["containersToStart"], json!(["cache"]));
    assert_eq!(v["containersToKill"][0]["name"], "cache");
    assert_eq!(v["containersToKill"][0]["reason"], "Container cache resize requires restart");
    assert_eq!(v["updatePodResources"], true);
    let cpu = &v["containersToUpdate"]["cpu"];
    assert_eq!(cpu.as_array().map(Vec::len), Some(1));
    assert_eq!(cpu[0]["name"], "app");
    assert_eq!(cpu[0]["desired"]["cpuLimit"], 1000);
    assert_eq!(cpu[0]["current"]["cpuLimit"], 500);
    assert!(v["containersToUpdate"].get("memory").is_none(), "app's memory is unchanged");
}

#[test]
fn with_in_place_resize_off_the_resize_example_changes_nothing() {
    let v =
        plan(&["--feature-gates", "InPlacePodVerticalScaling=false", "examples/plan/resize-cpu.yaml"], None);
    assert_eq!(v["containersToStart"], json!([]));
    assert_eq!(v["containersToKill"], json!([]));
    assert!(v.get("containersToUpdate").is_none() && v.get("updatePodResources").is_none(), "{v}");
}

#[test]
fn the_restart_rule_example_follows_the_rule_and_the_gate() {
    let on = plan(&["examples/plan/restart-rule.yaml"], None);
    assert_eq!(on["containersToStart"], json!(["worker"]));
    assert_eq!(on["killPod"], false);
    let off =
        plan(&["--feature-gates", "ContainerRestartRules=false", "examples/plan/restart-rule.yaml"], None);
    assert_eq!(off["containersToStart"], json!([]));
    assert_eq!(off["killPod"], true, "every container is done under restartPolicy Never");
}

#[test]
fn sidecar_containers_off_takes_the_legacy_init_path() {
    let default = plan(&["-"], Some(INIT_IN_PROGRESS));
    assert_eq!(default["initContainersToStart"], json!(["b"]));
    assert!(default.get("nextInitContainerToStart").is_none());
    let legacy = plan(&["--feature-gates", "SidecarContainers=false", "-"], Some(INIT_IN_PROGRESS));
    assert_eq!(legacy["nextInitContainerToStart"], "b");
    assert_eq!(legacy["initContainersToStart"], json!([]));
}

#[test]
fn gates_apply_over_the_defaults_and_later_items_win() {
    let v = plan(
        &["--feature-gates", "SidecarContainers=false, SidecarContainers=true", "-"],
        Some(INIT_IN_PROGRESS),
    );
    assert_eq!(v["initContainersToStart"], json!(["b"]));
}

#[test]
fn a_pod_whose_containers_all_restart_is_reset() {
    let doc = r#"
pod:
  metadata: {name: p, uid: u}
  spec:
    containers:
    - name: app
      image: "i:1"
      restartPolicy: Never
      restartPolicyRules:
      - {action: RestartAllContainers, exitCodes: {operator: In, values: [3]}}
    - {name: side, image: "i:1"}
  status:
    conditions:
    - {type: AllContainersRestarting, status: "True"}
runtime:
  sandboxes:
  - {id: s1, state: SANDBOX_READY, ip: 10.0.0.1}
  containers:
  - {id: c1, name: app, state: CONTAINER_EXITED, exitCode: 3, hash: "0"}
  - {id: c2, name: side, state: CONTAINER_RUNNING, hash: "0"}
"#;
    let v = plan(&["-"], Some(doc));
    assert_eq!(
        v["containersToReset"],
        json!([{"name": "side", "id": "c2", "kill": true}, {"name": "app", "id": "c1", "kill": false}])
    );
    assert_eq!(v["containersToStart"], json!([]));
    // Without the gate the API server refuses the action.
    let (code, _, err) =
        plan_fails(&["--feature-gates", "RestartAllContainersOnContainerExits=false", "-"], doc);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("restartPolicyRules[0].action") && err.contains("RestartAllContainers"), "{err}");
}

#[test]
fn an_unknown_gate_is_a_usage_error_naming_the_known_ones() {
    let (code, out, err) =
        plan_fails(&["--feature-gates", "SidecarContainers=false,NoSuchGate=true", "-"], INIT_IN_PROGRESS);
    assert_eq!(code, 2);
    assert!(out.is_empty(), "nothing is printed on stdout: {out}");
    assert!(err.starts_with("error: --feature-gates: unknown feature gate \"NoSuchGate\""), "{err}");
    assert!(
        err.contains("InPlacePodVerticalScaling") && err.contains("RestartAllContainersOnContainerExits"),
        "{err}"
    );
}

#[test]
fn a_bad_gate_value_or_item_is_a_usage_error() {
    let (code, _, err) =
        plan_fails(&["--feature-gates", "ContainerRestartRules=maybe", "-"], INIT_IN_PROGRESS);
    assert_eq!(code, 2);
    assert!(err.contains("\"maybe\" is not true or false"), "{err}");
    let (code, _, err) = plan_fails(&["--feature-gates", "ContainerRestartRules", "-"], INIT_IN_PROGRESS);
    assert_eq!(code, 2);
    assert!(err.contains("expected NAME=true or NAME=false"), "{err}");
}

#[test]
fn a_bad_quantity_in_the_runtime_resources_is_an_input_error() {
    let doc = r#"
pod:
  metadata: {name: p}
  spec:
    containers:
    - {name: app, image: "i:1"}
runtime:
  containers:
  - {id: c1, name: app, state: CONTAINER_RUNNING, hash: "0", resources: {cpuLimit: "fast"}}
"#;
    let (code, _, err) = plan_fails(&["-"], doc);
    assert_eq!(code, 2);
    assert!(err.contains("\"fast\" is not a valid quantity"), "{err}");
}
