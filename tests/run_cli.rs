//! `podsim run` and `podsim explore` as a user runs them: outputs, exit codes, error messages, traces,
//! and determinism across processes and thread counts.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};

use assert_cmd::Command;

use podsim_sim::scenario::Scenario;
use podsim_sim::world::World;

fn podsim() -> Command {
    Command::cargo_bin("podsim").expect("the podsim binary is built")
}

/// Runs podsim with `args`: exit code, stdout, stderr.
fn podsim_output(args: &[&str]) -> (i32, String, String) {
    let out = podsim().args(args).output().expect("podsim runs");
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("podsim writes UTF-8")
}

/// A fresh, empty directory of this test's own under cargo's scratch space.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("run_cli").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the scratch directory is made");
    dir
}

/// Writes `contents` to `dir/name` and returns the path as a string.
fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("a scratch file is written");
    path.to_string_lossy().into_owned()
}

/// A scenario whose one container runs until stopped. The line numbers matter to the error tests:
/// line 3 is `duration`, 9 the container, 11-12 the first timeline entry, 13-14 the second.
const DEMO: &str = "\
name: demo
description: a pod that runs
duration: 2m
images:
- {name: podsim/workload:1}
pods:
- metadata: {name: web}
  spec:
    containers: [{name: app, image: podsim/workload:1, command: [workload, run]}]
timeline:
- at: 30s
  createSecret: db
- at: 1m
  createSecret: other
";

/// `DEMO` with an expectation that never holds: `app` never restarts.
fn never_restarts_five_times() -> String {
    format!("{DEMO}expect:\n  pods:\n    web:\n      containers:\n        app: {{restarts: 5}}\n")
}

// ---------------------------------------------------------------------------------------------------
// podsim run

#[test]
fn run_of_a_passing_scenario_exits_0_and_prints_pass_and_every_container() {
    let (code, out, err) = podsim_output(&["run", "scenarios/pod-runs.yaml"]);
    assert_eq!(code, 0, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("PASS pod-runs (seed 0): "), "{out}");
    // The pods are shown as checked, at the end of the run; liveness is told apart.
    assert!(lines.contains(&"pods at 2m (the end of the run, as checked):"), "{out}");
    assert!(
        lines.iter().any(|l| l.starts_with("liveness at ") && l.ends_with("every pod converged")),
        "{out}"
    );
    assert!(lines.contains(&"  default/web Running"), "{out}");
    for name in ["app", "sidecar"] {
        assert!(
            lines.iter().any(|l| l.trim_start().starts_with(name) && l.ends_with("running, 0 restarts")),
            "no line for container {name}:\n{out}"
        );
    }
    assert!(!out.contains("violations:") && !out.contains("replay:"), "{out}");
}

#[test]
fn run_json_prints_one_object_with_no_violations_and_the_pods() {
    let (code, out, err) = podsim_output(&["run", "scenarios/pod-runs.yaml", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().count(), 1, "one JSON object on one line: {out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("stdout is one JSON value");
    assert!(v.is_object(), "{v}");
    assert_eq!(v["violations"], serde_json::json!([]));
    assert_eq!(v["seed"], 0);
    assert_eq!(v["expectations_checked"], true);
    let pods = v["pods"].as_array().expect("pods is a list");
    assert_eq!(pods.len(), 1, "{v}");
    assert_eq!(pods[0]["name"], "default/web");
    assert_eq!(pods[0]["phase"], "Running");
    let containers: Vec<(&str, &str)> = pods[0]["containers"]
        .as_array()
        .expect("containers is a list")
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["state"].as_str().unwrap()))
        .collect();
    assert_eq!(containers, [("app", "running"), ("sidecar", "running")]);
}

#[test]
fn run_of_an_unmet_expectation_exits_1_with_the_violation_and_its_replay_command() {
    let dir = scratch("unmet-expectation");
    let file = write(&dir, "never-restarts.yaml", &never_restarts_five_times());

    let (code, out, err) = podsim_output(&["run", &file]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.starts_with("FAIL demo (seed 0): "), "{out}");
    assert!(out.contains("\nviolations:\n"), "{out}");
    let violation = out
        .lines()
        .find(|l| l.contains("Expectation: "))
        .unwrap_or_else(|| panic!("no Expectation violation:\n{out}"));
    // `  at <virtual time>  Expectation: at the end: web/app: expected 5 restarts, found 0`
    let (at, detail) = violation.trim_start().split_once("  Expectation: ").expect("time, then rule");
    let time = at.strip_prefix("at ").expect("the line starts with `at`").trim();
    assert!(time.starts_with(|c: char| c.is_ascii_digit()), "no virtual time in {violation:?}");
    assert_eq!(detail, "at the end: web/app: expected 5 restarts, found 0");
    assert!(out.lines().any(|l| l == format!("replay: podsim run {file} --seed 0")), "{out}");

    let (code, out, _) = podsim_output(&["run", &file, "--seed", "3"]);
    assert_eq!(code, 1);
    assert!(out.lines().any(|l| l == format!("replay: podsim run {file} --seed 3")), "{out}");

    let (code, out, _) = podsim_output(&["run", &file, "--json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("stdout is one JSON value");
    let violations = v["violations"].as_array().expect("a list");
    assert_eq!(violations.len(), 1, "{v}");
    assert_eq!(violations[0]["rule"], "Expectation");
    assert_eq!(violations[0]["detail"], "at the end: web/app: expected 5 restarts, found 0");
    // Expectations are checked at the end of the scenario (2 minutes), within the run.
    let t = violations[0]["t"].as_u64().expect("a virtual time");
    assert!(t >= 120_000 && t <= v["virtual_millis"].as_u64().unwrap(), "{v}");
}

#[test]
fn run_trace_writes_json_lines_of_t_kind_and_text_the_same_as_the_library() {
    let dir = scratch("trace");
    let trace = dir.join("run.jsonl").to_string_lossy().into_owned();
    let (code, out, err) = podsim_output(&["run", "scenarios/pod-runs.yaml", "--trace", &trace]);
    assert_eq!(code, 0, "{out}{err}");
    let written = std::fs::read_to_string(&trace).expect("the trace is written");
    assert!(written.ends_with('\n'), "every record ends its line");
    let kinds = [
        "timeline",
        "fault",
        "heal",
        "api",
        "watch",
        "cri",
        "node",
        "decision",
        "runtime",
        "kubelet",
        "event",
        "violation",
    ];
    let mut last_t = 0;
    let mut seen = std::collections::BTreeSet::new();
    for (n, line) in written.lines().enumerate() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}: {line}", n + 1));
        let record = v.as_object().unwrap_or_else(|| panic!("line {}: not an object: {line}", n + 1));
        let keys: Vec<&str> = record.keys().map(String::as_str).collect();
        assert_eq!(keys, ["kind", "t", "text"], "line {}: {line}", n + 1);
        let t = v["t"].as_u64().unwrap_or_else(|| panic!("line {}: t is not a time: {line}", n + 1));
        let kind = v["kind"].as_str().unwrap_or_else(|| panic!("line {}: kind: {line}", n + 1));
        assert!(kinds.contains(&kind), "line {}: unknown kind {kind:?}", n + 1);
        assert!(!v["text"].as_str().expect("text is a string").is_empty(), "line {}: empty text", n + 1);
        // A passing run records no violation, so its records are in time order.
        assert!(t >= last_t, "line {}: time goes back from {last_t} to {t}", n + 1);
        last_t = t;
        seen.insert(kind.to_string());
    }
    for kind in ["timeline", "kubelet", "api", "watch", "cri", "event"] {
        assert!(seen.contains(kind), "no {kind} record in the trace; seen {seen:?}");
    }

    // The file is exactly the world's trace of the same run.
    let text = std::fs::read_to_string("scenarios/pod-runs.yaml").expect("readable");
    let scenario = Scenario::parse("scenarios/pod-runs.yaml", &text).expect("the scenario parses");
    let (_, in_process) = World::new(&scenario, 0, false, true).run();
    assert!(written == in_process.to_jsonl(), "the CLI's trace differs from the library's");
}

/// Asserts that podsim rejected bad input: exit code 2, no panic, nothing on stdout, and one line
/// `error: FILE:LINE:COLUMN: FIELD: MESSAGE` on stderr whose message contains `message`.
/// Returns (line, column).
fn assert_bad_input(args: &[&str], file: &str, field: &str, message: &str) -> (usize, usize) {
    let (code, out, err) = podsim_output(args);
    assert_eq!(code, 2, "{args:?}: exit code; stdout {out:?}, stderr {err:?}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(out.is_empty(), "{args:?}: stdout {out:?}");
    assert_eq!(err.lines().count(), 1, "{args:?}: one line on stderr: {err}");
    let rest = err
        .trim_end()
        .strip_prefix(&format!("error: {file}:"))
        .unwrap_or_else(|| panic!("{args:?}: does not start with `error: {file}:`: {err}"));
    let mut parts = rest.splitn(3, ':');
    let line: usize = parts.next().unwrap().parse().unwrap_or_else(|_| panic!("no line in {err}"));
    let column: usize = parts.next().unwrap().parse().unwrap_or_else(|_| panic!("no column in {err}"));
    let rest = parts.next().unwrap_or_default();
    let text = rest
        .strip_prefix(&format!(" {field}: "))
        .unwrap_or_else(|| panic!("{args:?}: the field is not `{field}`: {err}"));
    assert!(text.contains(message), "{args:?}: the message has no {message:?}: {err}");
    (line, column)
}

/// Asserts that podsim rejected a whole file or directory: exit 2, `error: PATH: MESSAGE`.
fn assert_bad_file(args: &[&str], path: &str, message: &str) {
    let (code, out, err) = podsim_output(args);
    assert_eq!(code, 2, "{args:?}: exit code; stdout {out:?}, stderr {err:?}");
    assert!(!err.contains("panicked") && out.is_empty(), "{args:?}: {out}{err}");
    let rest = err
        .trim_end()
        .strip_prefix(&format!("error: {path}: "))
        .unwrap_or_else(|| panic!("{args:?}: does not start with `error: {path}: `: {err}"));
    assert!(rest.contains(message), "{args:?}: the message has no {message:?}: {err}");
}

#[test]
fn bad_scenarios_exit_2_naming_file_line_column_and_field() {
    let dir = scratch("bad-input");

    let file =
        write(&dir, "fault.yaml", &DEMO.replace("  createSecret: db", "  fault: {kind: meteorStrike}"));
    let at =
        assert_bad_input(&["run", &file], &file, "timeline[0].fault.kind", "unknown variant `meteorStrike`");
    assert_eq!(at, (12, 17), "the location of `meteorStrike`");
    // explore reads scenarios the same way.
    assert_bad_input(&["explore", &file], &file, "timeline[0].fault.kind", "unknown variant `meteorStrike`");

    let file = write(
        &dir,
        "two-actions.yaml",
        &DEMO.replace("  createSecret: db", "  createSecret: db\n  deleteSecret: db"),
    );
    let at = assert_bad_input(&["run", &file], &file, "timeline[0].deleteSecret", "exactly one action");
    assert_eq!(at, (13, 17), "the second action of the entry at line 11");

    let file = write(&dir, "no-image.yaml", &DEMO.replace("image: podsim/workload:1, command", "command"));
    let at = assert_bad_input(&["run", &file], &file, "pods[0].spec.containers[0]", "missing field `image`");
    assert_eq!(at.0, 9, "the container at line 9");

    let file = write(&dir, "duration.yaml", &DEMO.replace("duration: 2m", "duration: 2 minutes"));
    assert_bad_input(&["run", &file], &file, "duration", "\"2 minutes\" is not a duration");

    let file = write(&dir, "at.yaml", &DEMO.replace("- at: 30s", "- at: half a minute"));
    let (line, _) =
        assert_bad_input(&["run", &file], &file, "timeline[0].at", "\"half a minute\" is not a duration");
    assert_eq!(line, 11);

    let file = write(
        &dir,
        "pull-latency.yaml",
        &DEMO.replace("{name: podsim/workload:1}", "{name: podsim/workload:1, pullLatency: 2 sec}"),
    );
    let (line, _) =
        assert_bad_input(&["run", &file], &file, "images[0].pullLatency", "\"2 sec\" is not a duration");
    assert_eq!(line, 5);
}

#[test]
fn missing_files_and_empty_directories_exit_2() {
    assert_bad_file(&["run", "/no/such/scenario.yaml"], "/no/such/scenario.yaml", "cannot read");
    assert_bad_file(&["explore", "/no/such/scenario.yaml"], "/no/such/scenario.yaml", "cannot read");
    let dir = scratch("no-yaml");
    write(&dir, "README.md", "not a scenario\n");
    let dir = dir.to_string_lossy().into_owned();
    assert_bad_file(&["explore", &dir], &dir, "no scenario files (*.yaml) found");
    for seeds in ["5..3", "5..5", "a..b", ""] {
        let (code, _, err) = podsim_output(&["explore", "scenarios/pod-runs.yaml", "--seeds", seeds]);
        assert_eq!(code, 2, "--seeds {seeds:?}: {err}");
        assert!(err.contains("--seeds") && !err.contains("panicked"), "--seeds {seeds:?}: {err}");
    }
}

// Bugs found and fixed, each kept as a test of the behaviour it should have.

#[test]
fn a_malformed_duration_is_reported_at_its_line() {
    let dir = scratch("bug-duration-location");
    let file = write(&dir, "duration.yaml", &DEMO.replace("duration: 2m", "duration: 2 minutes"));
    let (line, _) = assert_bad_input(&["run", &file], &file, "duration", "\"2 minutes\" is not a duration");
    assert_eq!(line, 3, "`duration` is on line 3");
}

#[test]
fn a_nested_malformed_duration_names_its_field_once() {
    let dir = scratch("bug-duration-path");
    let file = write(&dir, "at.yaml", &DEMO.replace("- at: 30s", "- at: half a minute"));
    assert_bad_input(&["run", &file], &file, "timeline[0].at", "");
    let (_, _, err) = podsim_output(&["run", &file]);
    assert!(err.contains("timeline[0].at: \"half a minute\" is not a duration"), "{err}");
}

#[test]
fn a_timeline_entry_with_two_actions_is_reported_at_that_entry() {
    let dir = scratch("bug-two-actions");
    let file = write(
        &dir,
        "two-actions.yaml",
        &DEMO.replace("  createSecret: other", "  createSecret: other\n  deleteSecret: db"),
    );
    let (line, _) =
        assert_bad_input(&["run", &file], &file, "timeline[1].deleteSecret", "exactly one action");
    let (_, _, err) = podsim_output(&["run", &file]);
    assert!(err.contains("timeline[1].deleteSecret: a timeline entry takes exactly one action"), "{err}");
    assert!((13..=15).contains(&line), "the second entry is on lines 13-15: {err}");
}

#[test]
fn the_largest_seed_is_not_a_panic() {
    let (code, out, err) =
        podsim_output(&["explore", "scenarios/pod-runs.yaml", "--seeds", &u64::MAX.to_string()]);
    assert!(!err.contains("panicked"), "{err}");
    assert!(code == 0 || code == 2, "exit {code}: {out}{err}");
}

// ---------------------------------------------------------------------------------------------------
// podsim explore

const EXPLORE_ARGS: [&str; 5] =
    ["explore", "scenarios/pod-runs.yaml", "scenarios/crash-loop-backoff.yaml", "--seeds", "0..5"];

/// The summary line without its wall-time part (`... of virtual time in 0.10 s of wall time ...`),
/// the only thing allowed to differ between two explorations.
fn without_wall_time(out: &str) -> String {
    out.lines()
        .filter(|l| !l.starts_with("first failure found after "))
        .map(|l| match l.find(" of virtual time in ") {
            Some(at) if l.contains(" runs, ") => &l[..at],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn without_wall_millis(json: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(json).expect("stdout is one JSON value");
    v.as_object_mut().expect("an object").remove("wall_millis").expect("a wall_millis field");
    for failure in v["failures"].as_array_mut().expect("a list of failures") {
        let wall = failure.as_object_mut().expect("an object").remove("found_after_millis");
        assert!(wall.is_some_and(|w| w.is_u64()), "each failure says when it was found");
    }
    v
}

#[test]
fn explore_runs_every_scenario_and_seed_and_prints_a_summary() {
    let args = [&EXPLORE_ARGS[..], &["--jobs", "2"]].concat();
    let (code, out, err) = podsim_output(&args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("10 runs, 0 failed; "), "{out}");
    assert!(out.contains("of virtual time"), "{out}");

    let (code, json, err) = podsim_output(&[&args[..], &["--json"]].concat());
    assert_eq!(code, 0, "{json}{err}");
    let v: serde_json::Value = serde_json::from_str(&json).expect("stdout is one JSON value");
    assert_eq!(v["runs"], 10);
    assert_eq!(v["failures"], serde_json::json!([]));
    assert!(v["events"].as_u64().unwrap() > 0 && v["virtual_millis"].as_u64().unwrap() > 0, "{v}");
}

#[test]
fn explore_reports_the_same_whatever_the_number_of_threads() {
    let run = |jobs: &str, json: bool| {
        let mut args = [&EXPLORE_ARGS[..], &["--jobs", jobs]].concat();
        if json {
            args.push("--json");
        }
        let (code, out, err) = podsim_output(&args);
        assert_eq!(code, 0, "--jobs {jobs}: {out}{err}");
        out
    };
    assert_eq!(without_wall_time(&run("1", false)), without_wall_time(&run("2", false)));
    assert_eq!(without_wall_millis(&run("1", true)), without_wall_millis(&run("2", true)));
}

#[test]
fn explore_failures_are_the_same_whatever_the_threads_and_their_replay_command_replays_them() {
    // Its own random-fault profile keeps its expectations checked under random faults; they never hold.
    let dir = scratch("explore-failures");
    let scenario = never_restarts_five_times()
        .replace("timeline:", "randomFaults: {kinds: [dropWatch], perMinute: 2}\ntimeline:");
    let file = write(&dir, "failing.yaml", &scenario);
    let run = |jobs: &str, json: bool| {
        let mut args = vec!["explore", &file, "--seeds", "0..6", "--jobs", jobs];
        if json {
            args.push("--json");
        }
        let (code, out, err) = podsim_output(&args);
        assert_eq!(code, 1, "--jobs {jobs}: every seed fails: {out}{err}");
        out
    };
    let human = run("2", false);
    assert!(human.starts_with("6 runs, 6 failed; "), "{human}");
    assert!(human.lines().nth(1).is_some_and(|l| l.starts_with("first failure found after ")), "{human}");
    assert_eq!(without_wall_time(&run("1", false)), without_wall_time(&human));
    let json = run("2", true);
    let summary = without_wall_millis(&json);
    assert_eq!(without_wall_millis(&run("1", true)), summary);

    let failures = summary["failures"].as_array().expect("a list");
    let seeds: Vec<u64> = failures.iter().map(|f| f["seed"].as_u64().unwrap()).collect();
    assert_eq!(seeds, [0, 1, 2, 3, 4, 5], "every seed fails, in seed order");
    for f in failures {
        let seed = f["seed"].as_u64().unwrap();
        assert_eq!(f["scenario"], file.as_str());
        let replay = f["replay"].as_str().expect("a replay command");
        assert_eq!(replay, format!("podsim run {file} --seed {seed} --random-faults"));
        assert!(human.contains(&format!("FAIL {file} seed {seed}: ")), "{human}");
        assert!(human.contains(&format!("  replay: {replay}")), "{human}");
    }

    // The replay command gives the same first violation.
    let replay = failures[3]["replay"].as_str().unwrap();
    let mut args: Vec<&str> = replay.split(' ').skip(1).collect();
    args.push("--json");
    let (code, out, err) = podsim_output(&args);
    assert_eq!(code, 1, "{replay}: {out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON value");
    let first = &v["violations"][0];
    let expected_end = format!("{}: {}", first["rule"].as_str().unwrap(), first["detail"].as_str().unwrap());
    let first_violation = failures[3]["first_violation"].as_str().unwrap();
    assert!(first_violation.ends_with(&expected_end), "{first_violation:?} vs the replay's {expected_end:?}");
    assert_eq!(failures[3]["violations"], v["violations"].as_array().unwrap().len());
}

// ---------------------------------------------------------------------------------------------------
// Determinism across processes

/// The quickest shipped scenarios (tens of ms a run in a debug build; churn takes ten times as long).
const QUICK: [&str; 6] = [
    "scenarios/graceful-delete-ignores-sigterm.yaml",
    "scenarios/image-update-restarts-one-container.yaml",
    "scenarios/kubelet-restart-keeps-containers.yaml",
    "scenarios/partition-then-delete.yaml",
    "scenarios/pause-death-recreates-sandbox.yaml",
    "scenarios/secret-missing-then-created.yaml",
];

/// Seeds per quick scenario: 6 x 20 = 120 (scenario, seed) pairs, each run by two processes.
const SEEDS_PER_SCENARIO: u64 = 20;

fn run_with_trace(scenario: &str, seed: u64, trace: &Path) -> Output {
    let seed = seed.to_string();
    let trace = trace.to_str().expect("a UTF-8 path");
    let args = ["run", scenario, "--seed", &seed, "--random-faults", "--trace", trace];
    std::process::Command::new(env!("CARGO_BIN_EXE_podsim")).args(args).output().expect("podsim runs")
}

#[test]
fn two_processes_write_byte_identical_traces_for_the_same_scenario_and_seed() {
    let dir = scratch("determinism");
    let pairs: Vec<(&str, u64)> =
        QUICK.iter().flat_map(|s| (0..SEEDS_PER_SCENARIO).map(move |seed| (*s, seed))).collect();
    assert!(pairs.len() >= 100);
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for worker in 0..2 {
            let (dir, pairs, next) = (&dir, &pairs, &next);
            scope.spawn(move || {
                let (a, b) = (dir.join(format!("{worker}-a.jsonl")), dir.join(format!("{worker}-b.jsonl")));
                while let Some(&(scenario, seed)) = pairs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let first = run_with_trace(scenario, seed, &a);
                    let second = run_with_trace(scenario, seed, &b);
                    let what = format!("{scenario} --seed {seed} --random-faults");
                    assert!(matches!(first.status.code(), Some(0 | 1)), "{what}: {first:?}");
                    assert_eq!(first.status.code(), second.status.code(), "{what}: exit codes differ");
                    assert_eq!(text(&first.stdout), text(&second.stdout), "{what}: summaries differ");
                    let (ta, tb) = (std::fs::read(&a).expect("a trace"), std::fs::read(&b).expect("a trace"));
                    assert!(ta.windows(12).any(|w| w == br#""kind":"cri""#), "{what}: a trace without CRI calls");
                    if ta != tb {
                        let (ta, tb) = (text(&ta), text(&tb));
                        let line = ta.lines().zip(tb.lines()).position(|(x, y)| x != y);
                        panic!("{what}: two processes wrote different traces (first difference at line {line:?})");
                    }
                }
            });
        }
    });
}

// ---------------------------------------------------------------------------------------------------
// the kubelet's settings: `kubelet:` in a scenario, `--feature-gates` on the command line

/// `DEMO` with a `kubelet:` block (after `description`, line 3 on).
fn with_kubelet(block: &str) -> String {
    DEMO.replacen("duration: 2m\n", &format!("kubelet:\n{block}duration: 2m\n"), 1)
}

#[test]
fn run_with_an_unknown_feature_gate_exits_2_naming_it() {
    for command in [&["run", "scenarios/pod-runs.yaml"][..], &["explore", "scenarios/pod-runs.yaml"][..]] {
        let mut args = command.to_vec();
        args.extend(["--feature-gates", "NoSuchGate=true"]);
        let (code, out, err) = podsim_output(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            err.contains("--feature-gates") && err.contains("unknown feature gate \"NoSuchGate\""),
            "{err}"
        );
        assert!(err.contains("SidecarContainers"), "the known gates are listed: {err}");
    }
    let (code, _, err) =
        podsim_output(&["run", "scenarios/pod-runs.yaml", "--feature-gates", "SidecarContainers=on"]);
    assert_eq!(code, 2);
    assert!(err.contains("\"on\" is not true or false"), "{err}");
}

#[test]
fn feature_gates_on_the_command_line_go_over_the_scenarios_and_into_the_replay_command() {
    let dir = scratch("feature-gates");
    let file = write(&dir, "max.yaml", &with_kubelet("  crashLoopBackOff: {max: 1m}\n"));
    // The scenario's maximum restart period needs KubeletCrashLoopBackOffMax, as the kubelet's
    // configuration check says: turning the gate off from the command line is refused.
    let (code, out, err) =
        podsim_output(&["run", &file, "--feature-gates", "KubeletCrashLoopBackOffMax=false"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("KubeletCrashLoopBackOffMax not enabled"), "{err}");
    let (code, out, err) = podsim_output(&["run", &file]);
    assert_eq!(code, 0, "{out}{err}");

    let failing = write(&dir, "never.yaml", &never_restarts_five_times());
    let (code, out, _) = podsim_output(&["run", &failing, "--feature-gates", "ContainerRestartRules=false"]);
    assert_eq!(code, 1);
    let replay = format!("replay: podsim run {failing} --seed 0 --feature-gates ContainerRestartRules=false");
    assert!(out.lines().any(|l| l == replay), "the replay repeats the gates:\n{out}");
}

#[test]
fn the_kubelet_block_sets_the_kubelets_timing() {
    let dir = scratch("kubelet-block");
    let file = write(&dir, "slow-resync.yaml", &with_kubelet("  syncFrequency: 30s\n  resyncJitter: 0\n"));
    let trace = dir.join("trace.jsonl");
    let (code, out, err) = podsim_output(&["run", &file, "--trace", &trace.to_string_lossy()]);
    assert_eq!(code, 0, "{out}{err}");
    let text = std::fs::read_to_string(&trace).expect("the trace is written");
    assert!(
        text.contains("default-web: next sync in 30000 ms + jitter 0.000 drawn 0 ms = 30000 ms"),
        "the pod is resynced every 30 s, unjittered:\n{text}"
    );
    let bad = write(&dir, "bad.yaml", &with_kubelet("  syncFrequency: 30s\n  relistEvery: 1s\n"));
    let (code, _, err) = podsim_output(&["run", &bad]);
    assert_eq!(code, 2);
    assert!(err.contains("kubelet") && err.contains("unknown field `relistEvery`"), "{err}");
    assert!(err.contains(&format!("{bad}:5:")), "the line of the unknown field: {err}");
}

#[test]
fn run_happened_lists_what_happened_in_the_words_of_expectations() {
    let (code, out, err) =
        podsim_output(&["run", "scenarios/graceful-delete-ignores-sigterm.yaml", "--happened"]);
    assert_eq!(code, 0, "{out}{err}");
    let listed: Vec<&str> = out.lines().skip_while(|l| *l != "happened:").skip(1).map(str::trim).collect();
    for line in [
        "delete stubborn at 10s",
        "kill stubborn/app SIGTERM at 10s",
        "kill stubborn/app SIGKILL at 30s",
        "exit stubborn/app code 137 at 30s",
        "release stubborn at 30s",
    ] {
        assert!(listed.contains(&line), "no {line:?} in:\n{out}");
    }
    assert!(!listed.iter().any(|l| l.starts_with("cri List")), "the relist's calls are left out:\n{out}");

    let (code, out, _) =
        podsim_output(&["run", "scenarios/graceful-delete-ignores-sigterm.yaml", "--happened", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON value");
    let kills: Vec<(u64, &str)> = v["happenings"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|h| h["kind"] == "kill")
        .map(|h| (h["t"].as_u64().unwrap(), h["word"].as_str().unwrap()))
        .collect();
    // The kubelet sees the deletion 1 ms after it (the watch's latency); SIGKILL 20 s later.
    assert_eq!(kills, [(10_001, "SIGTERM"), (30_001, "SIGKILL")]);
    // The liveness check is reported apart from the checked end state.
    assert_eq!(v["liveness"]["converged"], true, "{}", v["liveness"]);
    let (_, out, _) = podsim_output(&["run", "scenarios/graceful-delete-ignores-sigterm.yaml", "--json"]);
    assert!(!out.contains("\"happenings\""), "only when asked for: {out}");
}

// podsim explore --generate

#[test]
fn explore_generate_runs_one_generated_world_a_seed() {
    let args = ["explore", "--generate", "--seeds", "0..4", "--jobs", "2", "--json"];
    let (code, json, err) = podsim_output(&args);
    assert_eq!(code, 0, "{json}{err}");
    let v = without_wall_millis(&json);
    assert_eq!(v["runs"], 4);
    assert_eq!(v["failures"], serde_json::json!([]));
    assert!(v["events"].as_u64().unwrap() > 0 && v["virtual_millis"].as_u64().unwrap() > 0, "{v}");
    let (code, one, err) =
        podsim_output(&["explore", "--generate", "--seeds", "0..4", "--jobs", "1", "--json"]);
    assert_eq!(code, 0, "{one}{err}");
    assert_eq!(without_wall_millis(&one), v, "the same worlds whatever the threads");

    let (code, out, _) = podsim_output(&["explore", "--generate", "--seeds", "0..2"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("2 runs, 0 failed; "), "{out}");
}

#[test]
fn explore_generate_refuses_scenarios_and_out_needs_it() {
    let (code, _, err) = podsim_output(&["explore", "--generate", "scenarios/pod-runs.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
    let (code, _, err) = podsim_output(&["explore", "--out", "x", "scenarios/pod-runs.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--generate"), "{err}");
}

/// A generated world as `explore --generate` writes a failing one.
fn generated_world_file(dir: &Path, seed: u64) -> (String, Scenario) {
    let options = podsim_sim::generate::GenerateOptions::default();
    let scenario = podsim_sim::generate::generate(seed, &options).expect("a valid world");
    let file = write(dir, &podsim_sim::generate::file_name(seed), &podsim_sim::shrink::to_yaml(&scenario));
    (file, scenario)
}

#[test]
fn a_generated_world_written_to_a_file_replays_exactly_with_podsim_run() {
    let dir = scratch("generated-replay");
    for seed in [3, 11] {
        let (file, scenario) = generated_world_file(&dir, seed);
        let (expected, _) = World::new(&scenario, seed, true, false).run();
        let (code, json, err) = podsim_output(&["run", &file, "--json"]);
        assert_eq!(code, 0, "{json}{err}");
        let v: serde_json::Value = serde_json::from_str(&json).expect("one JSON value");
        assert_eq!(v["seed"], seed, "the file carries its seed");
        assert_eq!(v["events"], expected.events, "seed {seed}: the same run");
        assert_eq!(v["virtual_millis"], expected.virtual_millis, "seed {seed}");
        assert_eq!(v["faults"], expected.faults, "seed {seed}: the same random faults");
    }
}

#[test]
fn a_failing_generated_world_shrinks_with_podsim_run_shrink() {
    let dir = scratch("generated-shrink");
    let (file, _) = generated_world_file(&dir, 5);
    // No expectation is generated; one that never holds makes the world fail.
    let text = std::fs::read_to_string(&file).unwrap();
    let failing = text.replace(
        "expect:\n  pods: {}",
        "expect:\n  pods:\n    pod-1: {containers: {app-1: {restarts: 1000}}}",
    );
    assert_ne!(failing, text, "the writer ends with an empty expect block");
    std::fs::write(&file, failing).unwrap();
    let small = dir.join("small.yaml").to_string_lossy().into_owned();
    let (code, out, err) = podsim_output(&["run", &file, "--shrink", "--shrink-to", &small]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("still breaks Expectation"), "{out}");
    let (code, out, err) = podsim_output(&["run", &small]);
    assert_eq!(code, 1, "the small world fails too: {out}{err}");
    assert!(out.contains("Expectation"), "{out}");
}
