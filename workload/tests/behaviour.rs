//! The host builds of `workload` and `pause` behave as their commands say: exit codes, SIGTERM
//! handling and timing, observed on real processes.

use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

/// How long any test waits for a process to reach a state before it fails.
const PATIENCE: Duration = Duration::from_secs(10);

/// SIGTERM's bit in the signal masks of `/proc/PID/status`.
const SIGTERM_BIT: u64 = 1 << (libc::SIGTERM - 1);

fn start(program: &str, args: &[&str]) -> Child {
    Command::new(program)
        .args(args)
        .env("PODSIM_WORKLOAD_DIR", state_dir())
        .spawn()
        .expect("the binary starts")
}

/// A state folder of this test's own (the main process and its checks share it, as they share
/// `/tmp` in a container), so that tests never see each other's records. It is removed when the
/// test's thread ends: the tests leave nothing behind in the temporary folder.
fn state_dir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    thread_local!(static DIR: StateDir = {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("podsim-workload-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("state folder");
        StateDir(dir)
    });
    DIR.with(|d| d.0.clone())
}

/// A test's state folder, removed with everything in it when its thread ends.
struct StateDir(std::path::PathBuf);

impl Drop for StateDir {
    fn drop(&mut self) {
        // A folder already gone is no failure: cleanup must not panic during unwinding.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The state folder of a test whose thread has ended is gone, with the records in it.
#[test]
fn a_test_leaves_no_state_folder_behind() {
    let dir = std::thread::spawn(|| {
        let dir = state_dir();
        std::fs::write(dir.join("podsim-workload-health"), "record").expect("a record");
        assert!(dir.exists(), "the folder exists while its test runs");
        dir
    })
    .join()
    .expect("the thread ends");
    assert!(!dir.exists(), "{} is left behind", dir.display());
}

fn workload(args: &[&str]) -> Child {
    start(env!("CARGO_BIN_EXE_workload"), args)
}

/// Runs an exec of the workload binary in the same state folder, and returns its exit code.
fn exec(args: &[&str]) -> Option<i32> {
    let output = Command::new(env!("CARGO_BIN_EXE_workload"))
        .args(args)
        .env("PODSIM_WORKLOAD_DIR", state_dir())
        .output()
        .expect("the binary runs");
    output.status.code()
}

/// Waits until the main process has recorded its health.
fn wait_for_health_record() {
    let deadline = Instant::now() + PATIENCE;
    while !state_dir().join("podsim-workload-health").exists() {
        assert!(Instant::now() < deadline, "the main process never recorded its health");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Polls `check` until it exits with `code`; returns when that happened.
fn wait_for_check(check: &str, code: i32) -> Instant {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if exec(&["check", check]) == Some(code) {
            return Instant::now();
        }
        assert!(Instant::now() < deadline, "check {check} never exited {code}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The checks answer from the main process's start and health options, as the simulator's
/// containerd answers them from the container's start (model/src/workload/health.rs).
#[test]
fn checks_follow_the_health_options_of_the_main_process() {
    let started = Instant::now();
    let mut child = workload(&["run", "--ready-after", "1500ms", "--unhealthy-after", "3s"]);
    wait_for_health_record();
    // On a loaded machine the first check may come after --unhealthy-after: only then is "live at
    // first" not asked (the bounds below hold whatever the load).
    if started.elapsed() < Duration::from_millis(2_500) {
        assert_eq!(exec(&["check", "live"]), Some(0), "live at first");
    }
    assert_eq!(exec(&["check", "started"]), Some(0), "no --started-after: started at once");
    if started.elapsed() < Duration::from_millis(1_000) {
        assert_eq!(exec(&["check", "ready"]), Some(1), "not ready before --ready-after");
    }
    let ready = wait_for_check("ready", 0);
    assert!(ready.duration_since(started) >= Duration::from_millis(1_500), "ready early");
    let unhealthy = wait_for_check("live", 1);
    assert!(unhealthy.duration_since(started) >= Duration::from_secs(3), "unhealthy early");
    let _ = child.kill();
    let _ = child.wait();
}

/// `fail-checks` makes a check fail for a while, then it passes again (the probeFailure fault).
#[test]
fn fail_checks_fails_a_check_for_its_duration() {
    let mut child = workload(&["run"]);
    wait_for_health_record();
    assert_eq!(exec(&["check", "live"]), Some(0));
    let failed_at = Instant::now();
    assert_eq!(exec(&["fail-checks", "live,ready", "1s"]), Some(0));
    assert_eq!(exec(&["check", "started"]), Some(0), "a check not named still passes");
    if failed_at.elapsed() < Duration::from_millis(800) {
        assert_eq!(exec(&["check", "live"]), Some(1), "failing");
    }
    let healed = wait_for_check("live", 0);
    assert!(healed.duration_since(failed_at) >= Duration::from_secs(1), "healed early");
    assert_eq!(exec(&["check", "healthy"]), Some(2), "a bad check word is refused");
    let _ = child.kill();
    let _ = child.wait();
}

/// One signal mask of `/proc/PID/status` (`SigCgt`: caught, `SigIgn`: ignored).
fn signal_mask(child: &Child, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).expect("process status");
    let line = status.lines().find(|l| l.starts_with(field)).expect("mask line");
    u64::from_str_radix(line[field.len() + 1..].trim(), 16).expect("hex mask")
}

/// Waits until the process has set up its SIGTERM disposition (`field` has SIGTERM's bit), so that a
/// signal sent next meets the handler and not the default action.
fn wait_until_sigterm_in(child: &Child, field: &str) {
    let deadline = Instant::now() + PATIENCE;
    while signal_mask(child, field) & SIGTERM_BIT == 0 {
        assert!(Instant::now() < deadline, "SIGTERM never appeared in {field}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn send(child: &Child, signal: libc::c_int) {
    // SAFETY: kill only sends a signal to our own child, which has not been reaped yet.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
}

/// Waits for the process to exit, failing the test after [`PATIENCE`].
fn wait_for_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the process did not exit within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn exit_after_exits_with_its_code_after_its_duration() {
    let started = Instant::now();
    let mut child = workload(&["exit-after", "200ms", "3"]);
    let status = wait_for_exit(&mut child);
    assert_eq!(status.code(), Some(3));
    assert!(started.elapsed() >= Duration::from_millis(200), "exited early: {:?}", started.elapsed());
}

#[test]
fn run_ends_with_143_on_sigterm() {
    let mut child = workload(&["run"]);
    wait_until_sigterm_in(&child, "SigCgt");
    send(&child, libc::SIGTERM);
    assert_eq!(wait_for_exit(&mut child).code(), Some(143));
}

/// A command outside the vocabulary is refused at once: exit code 2 and the same message a
/// scenario's load gives (issue 12: `workload exit-after 2 sec 1` used to run forever).
#[test]
fn a_bad_command_is_refused_with_exit_code_2_and_its_message() {
    let known = "(known: run, exit-after DURATION CODE, ignore-sigterm)";
    let cases: [(&[&str], String); 4] = [
        (&["exit-afterr", "2s", "1"], format!("workload: unknown verb \"exit-afterr\" {known}")),
        (
            &["exit-after", "2", "sec", "1"],
            "workload: exit-after takes DURATION CODE, got \"2\" \"sec\" \"1\"".into(),
        ),
        (&["exit-after", "2s", "one"], "workload: exit-after: \"one\" is not an exit code (0 to 255)".into()),
        (&[], format!("workload: no verb {known}")),
    ];
    for (args, message) in cases {
        let output =
            Command::new(env!("CARGO_BIN_EXE_workload")).args(args).output().expect("the binary runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), format!("{message}\n"), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let same = podsim_model::workload::Workload::parse(
            &["workload".to_string()],
            &args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        );
        assert_eq!(same.unwrap_err().to_string(), message, "the binary and the model say the same");
    }
}

#[test]
fn exit_after_ends_early_with_143_on_sigterm() {
    let started = Instant::now();
    let mut child = workload(&["exit-after", "1m", "3"]);
    wait_until_sigterm_in(&child, "SigCgt");
    send(&child, libc::SIGTERM);
    assert_eq!(wait_for_exit(&mut child).code(), Some(143));
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn ignore_sigterm_survives_sigterm_until_sigkill() {
    use std::os::unix::process::ExitStatusExt;
    let mut child = workload(&["ignore-sigterm"]);
    wait_until_sigterm_in(&child, "SigIgn");
    send(&child, libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().expect("try_wait").is_none(), "it exited on SIGTERM");
    send(&child, libc::SIGKILL);
    assert_eq!(wait_for_exit(&mut child).signal(), Some(libc::SIGKILL));
}

#[test]
fn pause_exits_0_on_sigterm() {
    let mut child = start(env!("CARGO_BIN_EXE_pause"), &[]);
    wait_until_sigterm_in(&child, "SigCgt");
    send(&child, libc::SIGTERM);
    assert_eq!(wait_for_exit(&mut child).code(), Some(0));
}
