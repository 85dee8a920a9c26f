//! The `podsim` binary as a user runs it: outputs, exit codes and error messages.

use assert_cmd::Command;

fn podsim() -> Command {
    Command::cargo_bin("podsim").expect("the podsim binary is built")
}

fn stdout_json(args: &[&str], stdin: Option<&str>) -> serde_json::Value {
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

#[test]
fn hash_prints_the_kubelet_hash_of_every_container_in_spec_order() {
    let pod = "metadata: {name: p}\nspec:\n  initContainers:\n  - {name: init, image: i:1}\n  containers:\n  - {name: test_container, image: foo/image:v1}\n";
    let v = stdout_json(&["hash", "-"], Some(pod));
    let expected_init = podsim_model::format_hash(podsim_model::hash_container("init", "i:1"));
    // The kubelet's own test vector, and spec order: init containers first.
    assert_eq!(v.to_string(), format!("{{\"init\":\"{expected_init}\",\"test_container\":\"8e45cbd0\"}}"));
}

#[test]
fn plan_of_the_shipped_example_restarts_the_changed_container_only() {
    let v = stdout_json(&["plan", "examples/plan/image-changed.yaml"], None);
    assert_eq!(v["killPod"], false);
    assert_eq!(v["createSandbox"], false);
    assert_eq!(v["sandboxId"], "s1");
    assert_eq!(v["containersToStart"], serde_json::json!(["app"]));
    assert_eq!(v["containersToKill"][0]["name"], "app");
    assert_eq!(v["containersToKill"][0]["id"], "c1");
    assert_eq!(v["containersToKill"].as_array().unwrap().len(), 1);
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 8, "exactly the podActions keys: {keys:?}");
}

#[test]
fn plan_recreates_a_dead_sandbox_with_the_next_attempt() {
    let v = stdout_json(&["plan", "examples/plan/sandbox-died.yaml"], None);
    assert_eq!(v["killPod"], true);
    assert_eq!(v["createSandbox"], true);
    assert_eq!(v["attempt"], 1);
    assert_eq!(v["initContainersToStart"], serde_json::json!(["setup"]));
}

#[test]
fn plan_reads_json_and_probe_results() {
    let doc =
        r#"{"pod": {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "app", "image": "a:1"}]}},
      "runtime": {"sandboxes": [{"id": "s", "state": "SANDBOX_READY", "ip": "10.0.0.1"}],
                  "containers": [{"id": "c", "name": "app", "state": "CONTAINER_RUNNING", "hash": "HASH"}]},
      "probes": {"c": {"liveness": "Failure"}}}"#
            .replace("HASH", &podsim_model::format_hash(podsim_model::hash_container("app", "a:1")));
    let v = stdout_json(&["plan", "-"], Some(&doc));
    assert_eq!(v["containersToKill"][0]["reason"], "Container app failed liveness probe, will be restarted");
    assert_eq!(v["containersToStart"], serde_json::json!(["app"]));
}

#[test]
fn bad_input_names_the_file_line_and_field_and_exits_2() {
    let (code, err) =
        failure(&["plan", "-"], "pod:\n  metadata: {name: x}\n  spec:\n    containers:\n    - image: foo\n");
    assert_eq!(code, 2);
    assert!(err.contains("<stdin>:5:7: pod.spec.containers[0]: missing field `name`"), "{err}");

    let (code, err) =
        failure(&["plan", "-"], "pod:\n  metadata: {name: x}\n  spec:\n    containers:\n    - {name: a}\n");
    assert_eq!(code, 2);
    assert!(err.contains("missing field `image`"), "{err}");

    let doc = "pod:\n  metadata: {name: x}\n  spec:\n    containers: [{name: a, image: b}]\nruntime:\n  containers:\n  - {id: c, name: a, state: RUNNING, hash: '1'}\n";
    let (code, err) = failure(&["plan", "-"], doc);
    assert_eq!(code, 2);
    assert!(
        err.contains(":7:") && err.contains("runtime.containers[0].state: unknown variant `RUNNING`"),
        "{err}"
    );

    let (code, err) = failure(
        &["plan", "-"],
        "pod:\n  metadata: {name: x}\n  spec:\n    containers: [{name: a, image: b}]\nruntimes: {}\n",
    );
    assert_eq!(code, 2);
    assert!(err.contains("<stdin>:5:1") && err.contains("unknown field `runtimes`"), "{err}");

    let (code, err) = failure(
        &["hash", "-"],
        "metadata: {name: x}\nspec:\n  containers: [{name: a, image: b}, {name: a, image: c}]\n",
    );
    assert_eq!(code, 2);
    assert!(err.contains("spec.containers[1].name: duplicate container name"), "{err}");

    let (code, err) = failure(&["plan", "-"], ": : :\n\t- [");
    assert_eq!(code, 2);
    assert!(err.starts_with("error: <stdin>:"), "{err}");

    let (code, err) = failure(&["hash", "/no/such/file.yaml"], "");
    assert_eq!(code, 2);
    assert!(err.contains("/no/such/file.yaml: cannot read"), "{err}");
}

/// issue 12: a malformed `workload` command is bad input wherever podsim reads a pod (a scenario,
/// `plan`, `status`), exit 2 at its place; it used to run silently as `workload run`.
#[test]
fn a_malformed_workload_command_is_bad_input_with_its_place() {
    let known = "(known: run, exit-after DURATION CODE, ignore-sigterm)";
    let pod = "pod:\n  metadata: {name: x}\n  spec:\n    containers:\n    - name: a\n      image: b\n      command: [workload, exit-after, 2, sec, \"1\"]\n";
    for command in ["plan", "status"] {
        let (code, err) = failure(&[command, "-"], pod);
        assert_eq!(code, 2, "{command}: {err}");
        assert_eq!(
            err,
            "error: <stdin>:7:16: pod.spec.containers[0].command: workload: exit-after takes DURATION CODE, got \"2\" \"sec\" \"1\"\n",
            "{command}"
        );
    }
    let scenario = "name: x\ndescription: d\nduration: 1m\npods:\n- metadata: {name: web}\n  spec:\n    containers:\n    - {name: app, image: podsim/workload:1, command: [workload, exit-afterr, 2s, \"1\"]}\n";
    let (code, err) = failure(&["run", "-"], scenario);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err,
        format!("error: <stdin>:8:54: pods[0].spec.containers[0].command: workload: unknown verb \"exit-afterr\" {known}\n")
    );
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["plan", "--help"],
        vec!["hash", "--help"],
        vec!["run", "--help"],
        vec!["explore", "--help"],
        vec!["conform", "--help"],
        vec!["clean", "--help"],
    ] {
        let out = podsim().args(&args).assert().success().get_output().stdout.clone();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Usage:"), "{args:?}: {text}");
    }
    let (code, _) = failure(&["plan"], "");
    assert_eq!(code, 2, "a missing argument is a usage error");
}

#[test]
fn real_runtime_flags_that_do_not_fit_are_usage_errors() {
    let (code, err) = failure(&["run", "scenarios/pod-runs.yaml", "--address", "/run/x.sock"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--address needs --runtime containerd"), "{err}");
    let (code, err) =
        failure(&["run", "scenarios/pod-runs.yaml", "--runtime", "containerd", "--random-faults"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--random-faults"), "{err}");
    let (code, err) = failure(&["run", "scenarios/pod-runs.yaml", "--runtime", "docker"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("possible values: sim, containerd"), "{err}");
}

/// Without the backend, its commands say how to get it (exit 1), never panic.
#[cfg(not(feature = "containerd"))]
#[test]
fn without_the_backend_its_commands_say_how_to_build_it() {
    for args in
        [vec!["conform"], vec!["clean"], vec!["run", "scenarios/pod-runs.yaml", "--runtime", "containerd"]]
    {
        let (code, err) = failure(&args, "");
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains("cargo build --features containerd"), "{args:?}: {err}");
    }
}

/// With the backend, a scenario not marked for a real runtime is bad input for conform, and one
/// whose faults only the simulator can make is refused before anything starts.
#[cfg(feature = "containerd")]
#[test]
fn conform_refuses_scenarios_not_meant_for_a_real_runtime() {
    let (code, err) = failure(&["conform", "scenarios/churn-random-faults.yaml"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not marked `realRuntime:`"), "{err}");
    let (code, err) = failure(&["run", "scenarios/oom-kill-restarts.yaml", "--runtime", "containerd"], "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("OomKill"), "{err}");
}

/// A scenario whose `node.runtime` names a sandbox it does not list, or uses a word podsim does not
/// know, is bad input: exit 2, with the file, line, column and field.
#[test]
fn a_bad_preset_node_is_bad_input_with_its_place() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/startup-stale-hashes.yaml"))
            .expect("the shipped scenario");
    let cases = [
        (
            "sandbox: old, name: app",
            "sandbox: gone, name: app",
            ":12:30: node.runtime.containers[0].sandbox: no sandbox \"gone\"",
        ),
        ("state: ready}", "state: warm}", ":10:46: node.runtime.sandboxes[0].state: unknown variant `warm`"),
    ];
    for (from, to, want) in cases {
        assert!(text.contains(from), "{from}");
        let (code, err) = failure(&["run", "-"], &text.replacen(from, to, 1));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(&format!("<stdin>{want}")), "{to}: {err}");
    }
}
