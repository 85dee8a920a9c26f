//! `podsim serve-cri` held to the CRI's own tools (cri-tools v1.26.1 from ../shared/tools, see its
//! README): critest's conformance suite must pass on a simulated node but for the specs a
//! simulator cannot honestly pass (skipped by name below, each with its reason), and crictl drives
//! a pod's whole life against it (pull, runp, create, start, ps, inspect, logs, stop, rm, stopp,
//! rmp), and watches a scenario's fault crash a container.
//!
//! The tools archive is found at `../shared/tools/cri-tools-v1.26.1-linux-amd64.tar.xz` beside the
//! checkout (or `PODSIM_CRI_TOOLS`); without it the tests say so and pass, unless
//! `PODSIM_REQUIRE_CRI_TOOLS=1` (as in CI), when they fail. critest needs no containerd.

#![cfg_attr(not(feature = "containerd"), allow(dead_code))]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};

/// The path of the cri-tools archive, relative to the workspace.
const TOOLS_ARCHIVE: &str = "../shared/tools/cri-tools-v1.26.1-linux-amd64.tar.xz";

/// A folder of its own for a test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("podsim-serve-cri-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temp folder");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// crictl and critest extracted into `dir`; `None` (the test passes, saying why) when the archive
/// is not there and CI does not require it.
fn cri_tools(dir: &Path) -> Option<PathBuf> {
    let archive = std::env::var_os("PODSIM_CRI_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(TOOLS_ARCHIVE));
    if !archive.exists() {
        let required = std::env::var("PODSIM_REQUIRE_CRI_TOOLS").is_ok_and(|v| v == "1");
        assert!(!required, "PODSIM_REQUIRE_CRI_TOOLS=1 but {} is missing", archive.display());
        eprintln!("skipped: {} is missing (set PODSIM_CRI_TOOLS)", archive.display());
        return None;
    }
    let tools = dir.join("tools");
    std::fs::create_dir_all(&tools).expect("the tools folder");
    let status =
        Command::new("tar").arg("-xJf").arg(&archive).arg("-C").arg(&tools).status().expect("tar runs");
    assert!(status.success(), "tar -xJf {} failed", archive.display());
    Some(tools)
}

/// A `podsim serve-cri` running on a socket in a test's folder.
struct Served {
    child: Child,
    socket: PathBuf,
    stderr: BufReader<ChildStderr>,
}

impl Served {
    /// Starts it and waits until it says it serves (the socket is bound by then).
    fn start(dir: &Path, extra: &[&str]) -> Served {
        let socket = dir.join("cri.sock");
        let mut child = Command::new(env!("CARGO_BIN_EXE_podsim"))
            .arg("serve-cri")
            .arg("--socket")
            .arg(&socket)
            .args(extra)
            .stderr(Stdio::piped())
            .spawn()
            .expect("podsim serve-cri starts");
        let mut stderr = BufReader::new(child.stderr.take().expect("its stderr"));
        let mut first = String::new();
        stderr.read_line(&mut first).expect("its first line");
        assert!(first.starts_with("serving the simulated containerd on unix://"), "{first}");
        assert!(socket.exists(), "the socket is bound before it says it serves");
        Served { child, socket, stderr }
    }

    fn endpoint(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// SIGTERM: it stops, says so, exits 0 and removes its socket.
    fn stop(mut self) -> String {
        let status =
            Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().expect("kill");
        assert!(status.success());
        let exit = self.child.wait().expect("it exits");
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).expect("the rest of its stderr");
        assert!(exit.success(), "exit {exit:?}: {rest}");
        assert!(!self.socket.exists(), "the socket is removed");
        rest
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// crictl against the served socket, as it ended.
fn crictl_output(tools: &Path, served: &Served, args: &[&str]) -> std::process::Output {
    let endpoint = served.endpoint();
    Command::new(tools.join("crictl"))
        .args(["--runtime-endpoint", &endpoint, "--image-endpoint", &endpoint, "--timeout", "10s"])
        .args(args)
        .output()
        .expect("crictl runs")
}

/// crictl against the served socket: its stdout, or a panic with its stderr.
fn crictl(tools: &Path, served: &Served, args: &[&str]) -> String {
    let output = crictl_output(tools, served, args);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "crictl {args:?}: {}{stdout}", String::from_utf8_lossy(&output.stderr));
    stdout
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// critest v1.26.1's conformance specs that a simulated runtime cannot honestly pass, skipped by
/// name (a regular expression each), with the reason. Beside them the issue's own skip list leaves
/// out streaming, networking, exec, SELinux and AppArmor.
const CRITEST_SKIPPED: &[(&str, &str)] = &[
    (
        "should support network",
        "Multiple Containers: fetches httpd's page from the pod over the network; a simulated node has no \
         network and runs no web server",
    ),
    (
        "starting container with volume",
        "both volume specs (plain and symlinked host path) look into the mount with ExecSync `ls`; the \
         simulated runtime runs no processes and does not simulate exec",
    ),
];

/// How many specs critest runs with the skips above, and that must all pass.
const CRITEST_SPECS: usize = 25;

/// The specs of a junit report as (name, status).
fn junit_specs(report: &str) -> Vec<(String, String)> {
    report
        .split("<testcase ")
        .skip(1)
        .filter_map(|case| {
            let attribute = |key: &str| {
                let start = case.find(&format!("{key}=\""))? + key.len() + 2;
                case[start..].split('"').next().map(str::to_string)
            };
            let name = attribute("name")?;
            name.starts_with("[It]").then(|| (name, attribute("status").unwrap_or_default()))
        })
        .collect()
}

#[cfg(feature = "containerd")]
#[test]
fn critest_conformance_passes_on_a_simulated_node() {
    let dir = TempDir::new("critest");
    let Some(tools) = cri_tools(&dir.0) else { return };
    let served = Served::start(&dir.0, &[]);
    let junit = dir.0.join("junit.xml");
    let mut skip = String::from("Streaming|Networking|exec|Exec|SELinux|AppArmor");
    for (name, _why) in CRITEST_SKIPPED {
        skip.push('|');
        skip.push_str(name);
    }
    let endpoint = served.endpoint();
    let output = Command::new(tools.join("critest"))
        .args(["--runtime-endpoint", &endpoint, "--image-endpoint", &endpoint])
        .arg("-ginkgo.focus=Conformance")
        .arg(format!("-ginkgo.skip={skip}"))
        .arg("-ginkgo.no-color")
        .arg(format!("-ginkgo.junit-report={}", junit.display()))
        .output()
        .expect("critest runs");
    let log = String::from_utf8_lossy(&output.stdout);
    let report = std::fs::read_to_string(&junit).unwrap_or_else(|e| panic!("no junit report ({e}): {log}"));
    let specs = junit_specs(&report);
    let ran: Vec<&(String, String)> = specs.iter().filter(|(_, status)| status != "skipped").collect();
    let failed: Vec<&str> =
        ran.iter().filter(|(_, status)| status != "passed").map(|(name, _)| name.as_str()).collect();
    assert!(failed.is_empty(), "critest specs failed: {failed:#?}\n{log}");
    assert_eq!(ran.len(), CRITEST_SPECS, "specs run: {ran:#?}");
    assert!(output.status.success(), "{log}");
    served.stop();
}

#[cfg(feature = "containerd")]
#[test]
fn crictl_drives_a_pod_through_its_life() {
    let dir = TempDir::new("crictl");
    let Some(tools) = cri_tools(&dir.0) else { return };
    let logs = dir.0.join("pods/web");
    let trace = dir.0.join("trace.jsonl");
    let trace_arg = trace.to_string_lossy().into_owned();
    let served = Served::start(&dir.0, &["--image", "busybox", "--trace", &trace_arg]);
    let pod = dir.0.join("pod.json");
    let pod_config = serde_json::json!({
        "metadata": {"name": "web", "namespace": "default", "uid": "uid-web", "attempt": 0},
        "log_directory": logs, "linux": {}
    });
    std::fs::write(&pod, pod_config.to_string()).unwrap();
    let container = dir.0.join("container.json");
    let container_config = serde_json::json!({
        "metadata": {"name": "app"}, "image": {"image": "busybox"},
        "command": ["sh", "-c", "while true; do echo tick; sleep 1; done"], "log_path": "app/0.log"
    });
    std::fs::write(&container, container_config.to_string()).unwrap();
    let (pod, container) = (pod.to_string_lossy().into_owned(), container.to_string_lossy().into_owned());

    let pulled = crictl(&tools, &served, &["pull", "busybox"]);
    assert!(pulled.contains("sha256:"), "{pulled}");
    let images = json(&crictl(&tools, &served, &["images", "-o", "json"]));
    let tags = images["images"][0]["repoTags"].clone();
    assert_eq!(tags, serde_json::json!(["docker.io/library/busybox:latest"]));

    let pod_id = crictl(&tools, &served, &["runp", &pod]).trim().to_string();
    let container_id = crictl(&tools, &served, &["create", &pod_id, &container, &pod]).trim().to_string();
    let created = json(&crictl(&tools, &served, &["inspect", &container_id]));
    assert_eq!(created["status"]["state"], "CONTAINER_CREATED");
    crictl(&tools, &served, &["start", &container_id]);

    let running = json(&crictl(&tools, &served, &["ps", "-o", "json"]));
    let listed = &running["containers"][0];
    assert_eq!(
        (listed["id"].as_str(), listed["state"].as_str()),
        (Some(container_id.as_str()), Some("CONTAINER_RUNNING"))
    );
    assert_eq!(listed["podSandboxId"], pod_id.as_str());
    let inspected = json(&crictl(&tools, &served, &["inspect", &container_id]));
    let status = &inspected["status"];
    assert_eq!(status["state"], "CONTAINER_RUNNING");
    assert_eq!(status["image"]["image"], "docker.io/library/busybox:latest");
    assert_eq!(status["logPath"], logs.join("app/0.log").to_string_lossy().as_ref());
    assert_eq!(status["metadata"]["name"], "app");
    let log = crictl(&tools, &served, &["logs", &container_id]);
    assert!(log.lines().next() == Some("tick"), "{log:?}");

    crictl(&tools, &served, &["stop", &container_id]);
    let stopped = json(&crictl(&tools, &served, &["inspect", &container_id]));
    let status = &stopped["status"];
    assert_eq!(
        (status["state"].as_str(), status["exitCode"].as_i64()),
        (Some("CONTAINER_EXITED"), Some(137))
    );
    assert_eq!(status["reason"], "Error");
    crictl(&tools, &served, &["stop", &container_id]);
    crictl(&tools, &served, &["rm", &container_id]);
    assert_eq!(crictl(&tools, &served, &["ps", "-a", "-q"]).trim(), "");

    crictl(&tools, &served, &["stopp", &pod_id]);
    let pods = json(&crictl(&tools, &served, &["pods", "-o", "json"]));
    assert_eq!(pods["items"][0]["state"], "SANDBOX_NOTREADY");
    crictl(&tools, &served, &["rmp", &pod_id]);
    assert_eq!(crictl(&tools, &served, &["pods", "-q"]).trim(), "");
    let unknown = crictl_output(&tools, &served, &["stop", "nope"]);
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert!(!unknown.status.success(), "stopping an unknown container fails");
    assert!(
        said.contains(
            r#"code = NotFound desc = an error occurred when try to find container \"nope\": not found"#
        ),
        "{said}"
    );
    served.stop();

    let trace = std::fs::read_to_string(&trace).unwrap();
    for call in [
        "PullImage docker.io/library/busybox:latest -> ok",
        "StartContainer container-2 -> ok",
        "RemovePodSandbox sandbox-1 -> ok",
    ] {
        assert!(trace.contains(call), "{call:?} not in the trace:\n{trace}");
    }
}

/// The example scenario's fault, brought forward: crictl sees the container crash with the fault's
/// exit code at its time.
#[cfg(feature = "containerd")]
#[test]
fn crictl_watches_a_scenario_fault_crash_a_container() {
    let dir = TempDir::new("crash");
    let Some(tools) = cri_tools(&dir.0) else { return };
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/serve-cri/crash.yaml"))
            .expect("the example scenario");
    assert!(example.contains("at: 20s"), "the test moves the example's fault forward");
    let scenario = dir.0.join("crash.yaml");
    std::fs::write(&scenario, example.replace("at: 20s", "at: 4s")).unwrap();
    let trace = dir.0.join("trace.jsonl");
    let (scenario, trace_arg) =
        (scenario.to_string_lossy().into_owned(), trace.to_string_lossy().into_owned());
    let served = Served::start(&dir.0, &[&scenario, "--trace", &trace_arg]);
    let pod = dir.0.join("pod.json");
    let pod_config = serde_json::json!({"metadata": {"name": "web", "namespace": "default", "uid": "u1"}, "log_directory": dir.0.join("logs")});
    std::fs::write(&pod, pod_config.to_string()).unwrap();
    let container = dir.0.join("container.json");
    let image = "registry.k8s.io/e2e-test-images/busybox:1.29-2";
    let command = ["sh", "-c", "while true; do echo tick; sleep 1; done"];
    let container_config = serde_json::json!({"metadata": {"name": "app"}, "image": {"image": image}, "command": command, "log_path": "app.log"});
    std::fs::write(&container, container_config.to_string()).unwrap();
    let (pod, container) = (pod.to_string_lossy().into_owned(), container.to_string_lossy().into_owned());
    let container_id = crictl(&tools, &served, &["run", &container, &pod]).trim().to_string();
    let running = json(&crictl(&tools, &served, &["inspect", &container_id]));
    assert_eq!(running["status"]["state"], "CONTAINER_RUNNING", "running before the fault");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let crashed = loop {
        let status = json(&crictl(&tools, &served, &["inspect", &container_id]));
        if status["status"]["state"] == "CONTAINER_EXITED" {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "the fault did not fire: {status}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(
        (crashed["status"]["exitCode"].as_i64(), crashed["status"]["reason"].as_str()),
        (Some(2), Some("Error"))
    );
    let finished = crashed["status"]["finishedAt"].as_str().unwrap_or_default().to_string();
    let started = crashed["status"]["startedAt"].as_str().unwrap_or_default().to_string();
    assert!(finished > started, "{started} .. {finished}");
    let stderr = served.stop();
    assert!(stderr.contains("1 faults fired"), "{stderr}");
    let trace = std::fs::read_to_string(&trace).unwrap();
    let fault = trace.lines().find(|l| l.contains(r#""kind":"fault""#));
    let fault = fault.unwrap_or_else(|| panic!("no fault in {trace}"));
    assert!(fault.contains(&format!("container {container_id} crashed with exit code 2")), "{fault}");
}

/// A path that is not a socket is never replaced: bad input, exit 2.
#[cfg(feature = "containerd")]
#[test]
fn serve_cri_refuses_a_path_that_is_not_a_socket() {
    let dir = TempDir::new("refuse");
    let file = dir.0.join("not-a-socket");
    std::fs::write(&file, "keep me").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_podsim"))
        .args(["serve-cri", "--socket"])
        .arg(&file)
        .output()
        .expect("podsim runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("is not a socket"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
}

/// Without the backend the command says how to get it: exit 2.
#[cfg(not(feature = "containerd"))]
#[test]
fn serve_cri_without_the_backend_says_so() {
    let output = Command::new(env!("CARGO_BIN_EXE_podsim"))
        .args(["serve-cri", "--socket", "/tmp/podsim-never-served.sock"])
        .output()
        .expect("podsim runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("serve-cri is not available") && stderr.contains("--features containerd"),
        "{stderr}"
    );
}

#[test]
fn junit_specs_are_read_with_their_status() {
    let report = r#"<testsuite><testcase name="[BeforeSuite]" status="passed"></testcase>
        <testcase name="[It] a spec [Conformance]" classname="CRI validation" status="passed"></testcase>
        <testcase name="[It] another" status="skipped"></testcase></testsuite>"#;
    assert_eq!(
        junit_specs(report),
        [
            ("[It] a spec [Conformance]".to_string(), "passed".to_string()),
            ("[It] another".to_string(), "skipped".to_string())
        ]
    );
}
