//! `podsim plan` with `actuated:`: the allocation manager's actuated resources (1.34+
//! `computePodResizeAction` compares the spec with them), against the same document without them
//! (the runtime's reported resources, as the 1.33 kubelet compared), and the error for a name that
//! is not a resizable container of the pod.

use assert_cmd::Command;
use serde_json::{json, Value};

const EXAMPLE: &str = "examples/plan/resize-actuated.yaml";

fn podsim() -> Command {
    Command::cargo_bin("podsim").expect("the podsim binary is built")
}

/// Runs `podsim plan -` on `doc` and returns its JSON.
fn plan_stdin(doc: &str) -> Value {
    let out = podsim().args(["plan", "-"]).write_stdin(doc).assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).expect("stdout is one JSON value")
}

fn example() -> String {
    std::fs::read_to_string(EXAMPLE).expect("the example exists")
}

/// The example without its `actuated:` section (the last one).
fn example_without_actuated() -> String {
    let text = example();
    let at = text.find("\nactuated:").expect("the example has actuated resources");
    text[..=at].to_string()
}

#[test]
fn a_memory_request_change_against_the_actuated_resources_restarts_per_policy() {
    let v = plan_stdin(&example());
    assert_eq!(v["containersToStart"], json!(["app"]));
    assert_eq!(v["containersToKill"][0]["name"], "app");
    assert_eq!(v["containersToKill"][0]["reason"], "Container app resize requires restart");
    assert_eq!(v["updatePodResources"], true);
    let cpu = &v["containersToUpdate"]["cpu"];
    assert_eq!(cpu.as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(cpu[0]["name"], "web");
    assert_eq!((&cpu[0]["desired"]["cpuLimit"], &cpu[0]["current"]["cpuLimit"]), (&json!(1000), &json!(500)));
}

#[test]
fn without_actuated_resources_the_unreported_memory_request_is_not_seen() {
    let v = plan_stdin(&example_without_actuated());
    assert_eq!(v["containersToStart"], json!([]), "{v}");
    assert_eq!(v["containersToKill"], json!([]));
    assert!(v.get("updatePodResources").is_none(), "{v}");
    assert_eq!(v["containersToUpdate"]["cpu"][0]["name"], "web", "the cpu limit is reported: {v}");
}

#[test]
fn an_actuated_name_that_is_no_resizable_container_is_an_error_at_its_place() {
    let doc = format!("{}  nope:\n    limits: {{cpu: 1m}}\n", example());
    // The error points at the entry's value (its last line).
    let line = doc.lines().count();
    let out = podsim().args(["plan", "-"]).write_stdin(doc).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("<stdin>:{line}:"))
            && stderr.contains("actuated.nope: \"nope\" is not a regular container or a sidecar of the pod"),
        "{stderr}"
    );
}
