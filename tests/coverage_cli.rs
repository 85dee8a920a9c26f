//! `podsim explore --coverage` as a user runs it: per probe, the runs that reached it and the first
//! run that did; the probes never reached.

use assert_cmd::Command;

fn podsim() -> Command {
    Command::cargo_bin("podsim").expect("the podsim binary is built")
}

fn probe<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["probes"].as_array().expect("a list").iter().find(|p| p["name"] == name).expect("the probe")
}

#[test]
fn coverage_json_names_the_first_run_of_each_probe_and_the_gaps() {
    let out = podsim()
        .args(["explore", "scenarios/events-aggregated.yaml", "--coverage", "--seeds", "3..5", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&out).expect("one JSON value");
    // The scenario as written, then seeds 3 and 4 with random faults.
    assert_eq!(report["runs"], 3);
    let aggregated = probe(&report, "events.aggregated");
    assert_eq!(aggregated["reach"], "world");
    assert!(aggregated["runs"].as_u64().expect("a count") >= 1);
    assert_eq!(
        aggregated["first"],
        serde_json::json!({"scenario": "scenarios/events-aggregated.yaml", "seed": 0, "randomFaults": false})
    );
    // One pod that runs: no init container, so no init probe; the gap is listed, a probe the world
    // cannot reach is not.
    assert_eq!(probe(&report, "plan.init.start")["runs"], 0);
    let gaps: Vec<&str> = report["neverReached"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|g| g.as_str().expect("a name"))
        .collect();
    assert!(gaps.contains(&"plan.init.start"), "{gaps:?}");
    assert!(!gaps.contains(&"events.aggregated"));
    assert!(!gaps.contains(&"plan.sandbox.no_ip"), "outside the world: no gap");
    assert_eq!(probe(&report, "plan.sandbox.no_ip")["reach"], "outsideWorld");
}

#[test]
fn coverage_text_lists_every_probe_and_the_probes_never_reached() {
    let out = podsim()
        .args(["explore", "scenarios/pod-runs.yaml", "--coverage", "--seeds", "0..1", "--jobs", "1"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.starts_with("2 runs, 0 failed"), "{text}");
    assert!(text.contains("plan.sandbox.first"), "{text}");
    assert!(text.contains("first: scenarios/pod-runs.yaml as written"), "{text}");
    assert!(text.contains("never reached ("), "{text}");
    assert!(text.contains("  events.aggregated: EventAggregator"), "{text}");
}

/// `--generate --coverage`: the generated worlds of the seeds, one run each, reported per probe with
/// the first seed that reached it; the report is the same whatever the number of threads.
#[test]
fn coverage_of_generated_worlds_names_the_first_seed_of_each_probe() {
    let report = |jobs: &str| -> serde_json::Value {
        let out = podsim()
            .args(["explore", "--generate", "--coverage", "--seeds", "0..12", "--jobs", jobs, "--json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).expect("one JSON value")
    };
    let one = report("1");
    assert_eq!(one["runs"], 12, "one run a seed");
    assert_eq!(one["failed"], serde_json::json!([]));
    // Every generated world starts a pod: the first seed made a first sandbox.
    assert_eq!(
        probe(&one, "plan.sandbox.first")["first"],
        serde_json::json!({"scenario": "generated world", "seed": 0, "randomFaults": true})
    );
    assert_eq!(probe(&one, "plan.sandbox.first")["runs"], 12);
    let reached = one["probes"].as_array().expect("a list").iter().filter(|p| p["runs"] != 0).count();
    assert!(reached > 20, "generated worlds reach many decisions, not {reached}");
    assert_eq!(report("2"), one, "the threads do not change the report");
}

#[test]
fn coverage_of_generated_worlds_refuses_out() {
    let assert = podsim()
        .args(["explore", "--generate", "--coverage", "--seeds", "0..1", "--out", "x"])
        .assert()
        .code(2);
    let err = String::from_utf8(assert.get_output().stderr.clone()).expect("utf-8");
    assert!(err.contains("--out writes the failing worlds"), "{err}");
}
