//! podsim's workload: a container process whose behaviour is its command, read exactly as the
//! simulator reads it ([`Workload::parse`]), so that a scenario means the same on a real
//! containerd as in the simulator.
//!
//! ```text
//! workload run                         run until stopped; SIGTERM ends it with exit code 143
//! workload exit-after DURATION CODE    exit with CODE after DURATION; SIGTERM ends it earlier (143)
//! workload ignore-sigterm              ignore SIGTERM; only SIGKILL ends it
//! ```
//! Anything else (no verb, an unknown verb, bad arguments) is refused with the same message that a
//! scenario's load gives (both come from [`Workload::parse`]), on stderr, and exit code 2. The binary
//! is built statically and packed into podsim's own image at `/bin/workload`; as a container's PID 1
//! a signal has no default action, so the handlers below are what make SIGTERM end it.

use std::time::Duration;

use podsim_model::workload::{Workload, SIGTERM_EXIT_CODE, USAGE_EXIT_CODE};

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let workload = match Workload::parse(&command_as_the_simulator_reads_it(argv), &[]) {
        Ok(workload) => workload,
        Err(refused) => {
            eprintln!("{refused}");
            std::process::exit(USAGE_EXIT_CODE)
        }
    };
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
