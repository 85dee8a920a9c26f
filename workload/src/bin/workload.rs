//! podsim's workload: a container process whose behaviour is its command, read exactly as the
//! simulator reads it ([`Workload::parse`]), so that a scenario means the same on a real
//! containerd as in the simulator.
//!
//! ```text
//! workload run                         run until stopped; SIGTERM ends it with exit code 143
//! workload exit-after DURATION CODE    exit with CODE after DURATION; SIGTERM ends it earlier (143)
//! workload ignore-sigterm              ignore SIGTERM; only SIGKILL ends it
//!   ... [--ready-after D] [--started-after D] [--unhealthy-after D]   when it passes its checks
//! workload check ready|live|started    (an exec) exit 0 if the main process passes the check, else 1
//! workload fail-checks CHECKS D        (an exec) the checks fail for D from now; exit 0
//! ```
//! The main process writes its start time and health options to a file in the state folder
//! (`$PODSIM_WORKLOAD_DIR`, default `/tmp`, which podsim's image has); a check run by an exec in the
//! same container reads it and answers with [`Health::passes`], as the simulator answers from the
//! container's start time. Only the container's first workload process writes the file (a restarted
//! container has a fresh root file system). `fail-checks` writes, per check, the time until which it fails. With no
//! such file (the main process is not a workload) every check passes, as in the simulator.
//! Anything else (no verb, an unknown verb, bad arguments) is refused with the same message that a
//! scenario's load gives (both come from [`Workload::parse`]), on stderr, and exit code 2. The binary
//! is built statically and packed into podsim's own image at `/bin/workload`; as a container's PID 1
//! a signal has no default action, so the handlers below are what make SIGTERM end it.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use podsim_model::workload::exec::{Exec, CHECK_FAILED_EXIT_CODE};
use podsim_model::workload::{Check, Health, Workload, SIGTERM_EXIT_CODE, USAGE_EXIT_CODE};

fn main() {
    let argv = command_as_the_simulator_reads_it(std::env::args().collect());
    let exec = match Exec::parse(&argv) {
        Ok(exec) => exec,
        Err(refused) => refuse(refused),
    };
    match exec {
        Exec::Check(check) => std::process::exit(answer_check(check)),
        Exec::FailChecks { checks, duration } => {
            fail_checks(&checks, duration);
            std::process::exit(0)
        }
        Exec::Process(_) | Exec::Other => {}
    }
    let (workload, health) = match Workload::parse_with_health(&argv, &[]) {
        Ok(parsed) => parsed,
        Err(refused) => refuse(refused),
    };
    write_health(health);
    run(workload)
}

fn refuse(refused: podsim_model::workload::WorkloadError) -> ! {
    eprintln!("{refused}");
    std::process::exit(USAGE_EXIT_CODE)
}

/// The folder the main process and the checks share.
fn state_dir() -> PathBuf {
    std::env::var_os("PODSIM_WORKLOAD_DIR").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from)
}

fn health_file() -> PathBuf {
    state_dir().join("podsim-workload-health")
}

fn fail_file(check: Check) -> PathBuf {
    state_dir().join(format!("podsim-workload-fail-{}", check.word()))
}

/// Milliseconds since the epoch (the main process and the checks share the node's clock).
fn now_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// The main process records when it started and its health options (written whole, then renamed,
/// so that a check never reads half a file). Only the first workload of the container writes it: an
/// exec of a workload verb later (`workload exit-after 3s 1` as an exec) leaves the main's record.
fn write_health(health: Health) {
    if health_file().exists() {
        return;
    }
    let word = |v: Option<u64>| v.map_or("-".to_string(), |ms| ms.to_string());
    let text = format!(
        "{} {} {} {}\n",
        now_millis(),
        word(health.ready_after),
        word(health.started_after),
        word(health.unhealthy_after)
    );
    let file = health_file();
    let partial = file.with_extension("partial");
    let written = std::fs::write(&partial, text).and_then(|()| std::fs::rename(&partial, &file));
    if let Err(e) = written {
        eprintln!("workload: cannot record health in {}: {e}", file.display());
    }
}

/// The main process's start time and health, if it recorded them.
fn read_health() -> Option<(u64, Health)> {
    let text = std::fs::read_to_string(health_file()).ok()?;
    let words: Vec<&str> = text.split_whitespace().collect();
    let [started, ready, started_after, unhealthy] = words[..] else { return None };
    let value = |w: &str| if w == "-" { Some(None) } else { w.parse::<u64>().ok().map(Some) };
    let health = Health {
        ready_after: value(ready)?,
        started_after: value(started_after)?,
        unhealthy_after: value(unhealthy)?,
    };
    Some((started.parse().ok()?, health))
}

/// `check CHECK`: 0 if the main process passes it now, else 1.
fn answer_check(check: Check) -> i32 {
    let now = now_millis();
    let failing = std::fs::read_to_string(fail_file(check))
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok())
        .is_some_and(|until| now < until);
    let passes = match read_health() {
        Some((started, health)) => health.passes(check, now.saturating_sub(started)),
        None => true,
    };
    if passes && !failing {
        0
    } else {
        CHECK_FAILED_EXIT_CODE
    }
}

/// `fail-checks CHECKS DURATION`: each check fails until now + DURATION (or later, if it already did).
fn fail_checks(checks: &[Check], duration: u64) {
    let until = now_millis().saturating_add(duration);
    for &check in checks {
        let file = fail_file(check);
        let earlier = std::fs::read_to_string(&file).ok().and_then(|t| t.trim().parse::<u64>().ok());
        let until = earlier.map_or(until, |e| e.max(until));
        if let Err(e) = std::fs::write(&file, format!("{until}\n")) {
            eprintln!("workload: cannot write {}: {e}", file.display());
            std::process::exit(CHECK_FAILED_EXIT_CODE)
        }
    }
}

/// The main process (or an exec of a workload verb) does what its verb says.
fn run(workload: Workload) -> ! {
    match workload {
        Workload::Run => {
            exit_on_stop_signals();
            wait_for_signals_forever()
        }
        Workload::ExitAfter { after, code } => {
            exit_on_stop_signals();
            std::thread::sleep(Duration::from_millis(after));
            std::process::exit(code)
        }
        Workload::IgnoreSigterm => {
            set_disposition(libc::SIGTERM, libc::SIG_IGN);
            set_disposition(libc::SIGINT, sigterm_code_handler());
            wait_for_signals_forever()
        }
    }
}

/// The command with the program's own name as the simulator spells it: this binary is the workload
/// whatever path it was started by (`/bin/workload` in podsim's image, a cargo target dir in tests).
fn command_as_the_simulator_reads_it(mut argv: Vec<String>) -> Vec<String> {
    match argv.first_mut() {
        Some(program) => *program = "workload".to_string(),
        None => argv.push("workload".to_string()),
    }
    argv
}

/// SIGTERM and SIGINT end the process at once with exit code 143, as the simulator's workload does.
fn exit_on_stop_signals() {
    set_disposition(libc::SIGTERM, sigterm_code_handler());
    set_disposition(libc::SIGINT, sigterm_code_handler());
}

/// [`exit_with_sigterm_code`] as a signal disposition.
fn sigterm_code_handler() -> libc::sighandler_t {
    let handler: extern "C" fn(libc::c_int) = exit_with_sigterm_code;
    handler as libc::sighandler_t
}

/// The signal handler: `_exit` is async-signal-safe (no destructors, no stdio flush).
extern "C" fn exit_with_sigterm_code(_signal: libc::c_int) {
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(SIGTERM_EXIT_CODE) }
}

/// Installs `disposition` (a handler, `SIG_IGN` or `SIG_DFL`) for `signal`; panics if the kernel
/// refuses, since the workload would then not mean what its command says.
fn set_disposition(signal: libc::c_int, disposition: libc::sighandler_t) {
    // SAFETY: a zeroed sigaction is valid (empty mask, no flags); the handler is async-signal-safe.
    let installed = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = disposition;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(signal, &action, std::ptr::null_mut())
    };
    assert_eq!(installed, 0, "sigaction({signal}) failed: {}", std::io::Error::last_os_error());
}

/// Sleeps until a signal's handler ends the process (or SIGKILL does), without busy-waiting.
fn wait_for_signals_forever() -> ! {
    loop {
        // SAFETY: pause only blocks until a signal is delivered.
        unsafe { libc::pause() };
    }
}
