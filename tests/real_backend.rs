//! The real-runtime backend end to end, as a user runs it: `podsim run --runtime containerd`,
//! `podsim conform`, and `podsim clean` after podsim was SIGKILLed mid-run.
//!
//! These need root and containerd (Debian: containerd, runc). Without them they say what is missing
//! and pass, unless `PODSIM_REQUIRE_CONTAINERD=1` (as CI sets), which makes them fail instead.
#![cfg(feature = "containerd")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Whether a real containerd can run here; panics when it cannot but CI requires it.
fn containerd_available() -> bool {
    let missing = if which("containerd").is_none() || which("runc").is_none() {
        Some("containerd or runc is not installed (apt-get install containerd runc)")
    } else if unsafe { libc_geteuid() } != 0 {
        Some("not root (a private containerd needs root)")
    } else {
        None
    };
    match missing {
        None => true,
        Some(why) if std::env::var("PODSIM_REQUIRE_CONTAINERD").as_deref() == Ok("1") => {
            panic!("PODSIM_REQUIRE_CONTAINERD=1 but {why}")
        }
        Some(why) => {
            eprintln!("skipped: {why}");
            false
        }
    }
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|p| p.is_file())
}

fn podsim(state_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_podsim"));
    cmd.env("PODSIM_STATE_DIR", state_dir).current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// A fresh state folder of this test's own.
fn state_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("real_backend").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("make the state folder");
    dir
}

/// The run folders under a state folder.
fn runs_in(state: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(state)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect())
        .unwrap_or_default()
}

/// The running tasks of the containerd at `socket` (pause processes included).
fn running_tasks(socket: &Path) -> usize {
    let out = Command::new("ctr")
        .args(["--address", &socket.to_string_lossy(), "-n", "k8s.io", "tasks", "ls"])
        .output()
        .expect("ctr runs");
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("RUNNING")).count()
}

/// Waits (at most a minute) until the run under `state` has the pod's pause process and both of its
/// containers running; the run's folder.
fn wait_until_the_pod_runs(state: &Path) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "the pod never ran");
        if let Some(dir) = runs_in(state).into_iter().next() {
            let socket = dir.join("containerd.sock");
            if socket.exists() && running_tasks(&socket) >= 3 {
                return dir;
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_run_on_containerd_reaches_the_expected_state_and_leaves_nothing() {
    if !containerd_available() {
        return;
    }
    let state = state_dir("run");
    let out = podsim(&state)
        .args(["run", "scenarios/pod-runs.yaml", "--runtime", "containerd", "--json"])
        .output()
        .expect("podsim runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "podsim failed: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    let outcome: serde_json::Value = serde_json::from_str(&stdout).expect("JSON outcome");
    let pods = outcome["pods"].as_array().expect("pods");
    assert_eq!(pods.len(), 1, "{outcome}");
    assert_eq!(pods[0]["phase"], "Running", "{outcome}");
    for c in pods[0]["containers"].as_array().expect("containers") {
        assert_eq!(c["state"], "running", "{outcome}");
        assert_eq!(c["restarts"], 0, "{outcome}");
    }
    let starts = outcome["starts"]["starts"].as_array().expect("starts");
    assert_eq!(starts[0]["what"], "sandbox", "the sandbox starts before any container: {outcome}");
    let run_id = outcome["run_id"].as_str().expect("run id");
    assert_eq!(
        podsim_cri::clean::leftovers_in(&state, run_id),
        Vec::<String>::new(),
        "nothing of the run is left"
    );
    assert!(runs_in(&state).is_empty(), "the run folder is gone");
}

#[test]
fn conform_agrees_on_a_scenario_with_a_crash_loop() {
    if !containerd_available() {
        return;
    }
    let state = state_dir("conform");
    let out =
        podsim(&state).args(["conform", "scenarios/restart-on-failure.yaml"]).output().expect("podsim runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "conform failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("restart-on-failure: conforms"), "{stdout}");
    assert!(stdout.contains("1 of 1 scenarios conform"), "{stdout}");
}

#[test]
fn clean_removes_what_a_sigkilled_podsim_left() {
    if !containerd_available() {
        return;
    }
    let state = state_dir("sigkill");
    let mut child = podsim(&state)
        .args(["run", "scenarios/pod-runs.yaml", "--runtime", "containerd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("podsim starts");
    let run_dir = wait_until_the_pod_runs(&state);
    child.kill().expect("SIGKILL podsim");
    child.wait().expect("reap podsim");
    let run_id = run_dir.file_name().expect("run id").to_string_lossy().into_owned();
    let left = podsim_cri::clean::leftovers_in(&state, &run_id);
    assert!(!left.is_empty(), "a killed podsim leaves its containerd and containers running");

    let out = podsim(&state).args(["clean"]).output().expect("podsim clean runs");
    assert!(out.status.success(), "clean failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        podsim_cri::clean::leftovers_in(&state, &run_id),
        Vec::<String>::new(),
        "nothing is left after clean"
    );
    assert!(runs_in(&state).is_empty(), "the run folder is gone");
}

#[test]
fn ctrl_c_ends_a_run_and_leaves_nothing() {
    if !containerd_available() {
        return;
    }
    let state = state_dir("ctrl-c");
    let child = podsim(&state)
        .args(["run", "scenarios/pod-runs.yaml", "--runtime", "containerd"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("podsim starts");
    let run_dir = wait_until_the_pod_runs(&state);
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    assert!(status.success(), "SIGINT sent");
    let out = child.wait_with_output().expect("podsim ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "an interrupted run exits 1: {stderr}");
    assert!(stderr.contains("interrupted"), "it says it was interrupted: {stderr}");
    let run_id = run_dir.file_name().expect("run id").to_string_lossy().into_owned();
    assert_eq!(
        podsim_cri::clean::leftovers_in(&state, &run_id),
        Vec::<String>::new(),
        "nothing is left after Ctrl-C"
    );
}

#[test]
fn a_run_against_another_containerd_takes_back_all_it_added() {
    if !containerd_available() {
        return;
    }
    // Stands in for a containerd that is not podsim's.
    let theirs = state_dir("address-theirs");
    let daemon =
        podsim_cri::daemon::PrivateContainerd::start_in(&theirs, "theirs", podsim_cri::image::PAUSE_IMAGE)
            .expect("a containerd starts");
    let socket = daemon.socket().to_path_buf();
    let ctr_list = |what: &str| {
        let out = Command::new("ctr")
            .args(["--address", &socket.to_string_lossy(), "-n", "k8s.io", what, "ls", "-q"])
            .output()
            .expect("ctr runs");
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect::<Vec<_>>()
    };
    assert!(ctr_list("images").is_empty(), "it starts with no images");

    let state = state_dir("address-ours");
    let out = podsim(&state)
        .args(["run", "scenarios/pod-runs.yaml", "--runtime", "containerd", "--json", "--address"])
        .arg(&socket)
        .output()
        .expect("podsim runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "podsim failed: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    let outcome: serde_json::Value = serde_json::from_str(&stdout).expect("JSON outcome");
    assert_eq!(outcome["pods"][0]["phase"], "Running", "{outcome}");
    assert_eq!(ctr_list("containers"), Vec::<String>::new(), "no container of the run is left");
    assert_eq!(ctr_list("images"), Vec::<String>::new(), "the images podsim imported are removed again");
    assert!(runs_in(&state).is_empty(), "podsim's own run folder is gone");
    daemon.stop().expect("the stand-in containerd stops");
}

#[test]
fn clean_with_an_address_removes_what_a_killed_run_left_in_that_containerd() {
    if !containerd_available() {
        return;
    }
    let theirs = state_dir("clean-address-theirs");
    let daemon =
        podsim_cri::daemon::PrivateContainerd::start_in(&theirs, "theirs", podsim_cri::image::PAUSE_IMAGE)
            .expect("a containerd starts");
    let socket = daemon.socket().to_path_buf();
    let state = state_dir("clean-address-ours");
    let mut child = podsim(&state)
        .args(["run", "scenarios/pod-runs.yaml", "--runtime", "containerd", "--address"])
        .arg(&socket)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("podsim starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while running_tasks(&socket) < 3 {
        assert!(Instant::now() < deadline, "the pod never ran");
        std::thread::sleep(Duration::from_millis(200));
    }
    child.kill().expect("SIGKILL podsim");
    child.wait().expect("reap podsim");
    assert!(running_tasks(&socket) >= 3, "the killed run's sandbox and containers still run");

    let out = podsim(&state).arg("clean").arg("--address").arg(&socket).output().expect("podsim clean runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "clean failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("removed 1 sandbox(es), 2 container(s) and 2 image(s)"), "{stdout}");
    assert_eq!(running_tasks(&socket), 0, "nothing of the run runs any more");
    let images = Command::new("ctr")
        .args(["--address", &socket.to_string_lossy(), "-n", "k8s.io", "images", "ls", "-q"])
        .output()
        .expect("ctr runs");
    assert_eq!(String::from_utf8_lossy(&images.stdout).trim(), "", "the images the run added are gone");
    assert!(runs_in(&state).is_empty(), "podsim's own folder of the killed run is gone: {stdout}");
    daemon.stop().expect("the stand-in containerd stops");
}

/// A pod deleted at 5 s with a grace period of 10 s (as sim/tests/broken_kubelet.rs).
const BROKEN_KUBELET_SCENARIO: &str = r#"
name: broken-kubelet
description: A pod deleted with a grace period of 10 s.
duration: 15s
images:
- {name: "podsim/workload:1", preloaded: true}
pods:
- metadata: {name: web}
  spec:
    terminationGracePeriodSeconds: 10
    containers:
    - {name: app, image: "podsim/workload:1", command: [workload, run]}
timeline:
- at: 5s
  deletePod: {name: web}
"#;

/// The broken kubelet: every StopContainer with no grace period.
fn stops_without_grace(output: &mut podsim_model::io::Output) {
    use podsim_model::io::{CriRequest, Output};
    if let Output::Cri { request: CriRequest::StopContainer { timeout_seconds, .. }, .. } = output {
        *timeout_seconds = 0;
    }
}

#[test]
fn a_broken_kubelet_is_reported_on_containerd_with_the_simulators_rule() {
    if !containerd_available() {
        return;
    }
    let scenario = podsim_sim::scenario::Scenario::parse("broken-kubelet.yaml", BROKEN_KUBELET_SCENARIO)
        .expect("the scenario parses");
    let (sim, _) = podsim_sim::world::World::new(&scenario, 0, false, false)
        .without_liveness()
        .with_broken_kubelet(stops_without_grace)
        .run();
    let rule = podsim_sim::checker::Rule::GracePeriodHonoured;
    assert!(sim.violations.iter().any(|v| v.rule == rule), "{:#?}", sim.violations);
    let (real, _) = podsim_cri::real::run_broken_on_containerd(
        &scenario,
        podsim_cri::real::Runtime::Private,
        scenario.duration,
        stops_without_grace,
    )
    .expect("the run on containerd ends");
    let on_containerd: Vec<_> = real.violations.iter().filter(|v| v.rule == rule).collect();
    assert!(!on_containerd.is_empty(), "{:#?}", real.violations);
    assert_eq!(on_containerd[0].pod.as_deref(), Some("default/web"), "{:#?}", real.violations);
}
