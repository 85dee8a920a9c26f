//! `podsim run --report FILE.html`: the timeline report is one self-contained page with a lane per pod,
//! its sandboxes and containers, the faults, and, for a failing run, the violations.
//! (`scripts/check-report.sh` opens the same reports in a headless Chromium.)

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn podsim() -> Command {
    Command::cargo_bin("podsim").expect("the podsim binary is built")
}

/// A fresh, empty directory of this test's own under cargo's scratch space.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report_html").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the scratch directory is made");
    dir
}

/// Runs `podsim run SCENARIO --report DIR/r.html`: the exit code and the report.
fn run_with_report(scenario: &str, dir: &Path) -> (i32, String) {
    let report = dir.join("r.html");
    let out = podsim().args(["run", scenario, "--report"]).arg(&report).output().expect("podsim runs");
    let html = std::fs::read_to_string(&report).expect("the report is written");
    (out.status.code().unwrap_or(-1), html)
}

/// Asserts the page loads nothing from anywhere: no URL, no script, no stylesheet link, no import.
fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!doctype html>"), "an HTML document");
    assert!(html.trim_end().ends_with("</html>"), "a complete document");
    for outside in ["http://", "https://", "<script", "<link", "@import", "<img", "<iframe", "src="] {
        assert!(!html.contains(outside), "the report must not contain {outside:?}");
    }
    assert!(html.contains("Content-Security-Policy"), "the page forbids outside resources");
}

/// The lane of `pod`: from its `<section` to its end.
fn lane<'a>(html: &'a str, pod: &str) -> &'a str {
    let at = html.find(&format!("data-pod=\"{pod}\"")).unwrap_or_else(|| panic!("a lane for {pod}"));
    let start = html[..at].rfind("<section").expect("the lane's section");
    let len = html[start..].find("</section>").expect("the lane ends");
    &html[start..start + len]
}

/// The distinct `data-id`s of the spans of the row that starts with `row` (a `<g ...>` tag) in `lane`.
fn span_ids(lane: &str, row: &str) -> Vec<String> {
    let start = lane.find(row).unwrap_or_else(|| panic!("a row {row}"));
    let row = &lane[start..start + lane[start..].find("</g>").expect("the row ends")];
    let mut ids: Vec<String> = row
        .split("data-id=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').expect("a quoted id")].to_string())
        .collect();
    ids.dedup();
    ids
}

#[test]
fn a_passing_run_shows_the_pod_lane_its_two_sandboxes_and_the_fault() {
    let dir = scratch("pass");
    let (code, html) = run_with_report("scenarios/pause-death-recreates-sandbox.yaml", &dir);
    assert_eq!(code, 0, "the scenario passes");
    assert_self_contained(&html);
    assert!(html.contains("pause-death-recreates-sandbox"), "the header names the scenario");
    assert!(html.contains("class=\"verdict pass\""), "the verdict is PASS");

    let web = lane(&html, "default/web");
    assert_eq!(
        span_ids(web, "<g class=\"row sandbox\">"),
        ["sandbox-1", "sandbox-3"],
        "the old and the new sandbox"
    );
    let app = span_ids(web, "<g class=\"row container\" data-container=\"app\">");
    assert_eq!(app.len(), 2, "the container before and after the sandbox died: {app:?}");
    assert!(web.contains("class=\"restart\""), "the new instances are marked");
    assert!(web.contains("class=\"decision d-plan\""), "the kubelet's plans are ticks on the lane");
    assert!(web.contains("<title>"), "spans and ticks have hover texts");
    assert!(!web.contains("class=\"violation\""), "no violation on a passing run");

    assert!(html.contains("<g class=\"fault instant\" data-kind=\"PauseDeath\">"), "the fault is marked");
    assert!(html.contains("class=\"band instant\""), "and drawn across the lanes");
}

#[test]
fn a_failing_run_shows_its_violation_on_the_pod_lane() {
    let dir = scratch("fail");
    let scenario = dir.join("fails.yaml");
    std::fs::write(
        &scenario,
        r#"name: expects-restarts
description: "Expects <b>five</b> restarts & gets none."
duration: 2m
images:
- {name: podsim/workload:1}
pods:
- metadata: {name: web}
  spec:
    containers:
    - {name: app, image: "podsim/workload:1", command: [workload, run]}
expect:
  pods:
    web:
      containers:
        app: {state: running, restarts: 5}
"#,
    )
    .expect("the scenario is written");
    let (code, html) = run_with_report(scenario.to_str().expect("a UTF-8 path"), &dir);
    assert_eq!(code, 1, "the expectation fails");
    assert_self_contained(&html);
    assert!(html.contains("class=\"verdict fail\""), "the verdict is FAIL");
    assert!(html.contains("Expects &lt;b&gt;five&lt;/b&gt; restarts &amp; gets none."), "text is escaped");
    assert!(!html.contains("<b>five"), "no markup from the scenario gets through");

    let web = lane(&html, "default/web");
    assert!(web.starts_with("<section class=\"lane has-violation\""), "the lane is highlighted");
    assert!(web.contains("<g class=\"violation\" data-rule=\"Expectation\">"), "a violation marker");
    assert!(html.contains("<tr class=\"violation-row\" data-rule=\"Expectation\">"), "listed in the table");
    assert!(html.contains("expected 5 restarts, found 0"), "with its detail");
}
