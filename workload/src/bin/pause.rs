//! podsim's pause process: the process that holds a pod sandbox's namespaces, like the kubelet's
//! `pause` image. It sleeps until stopped, exits 0 on SIGTERM or SIGINT, and reaps the zombie
//! children that the kernel hands to it as a PID namespace's init.
//!
//! The binary is built statically and packed into podsim's pause image at `/pause`.

fn main() {
    set_handler(libc::SIGTERM, exit_cleanly);
    set_handler(libc::SIGINT, exit_cleanly);
    set_handler(libc::SIGCHLD, reap_children);
    loop {
        // SAFETY: pause only blocks until a signal is delivered.
        unsafe { libc::pause() };
    }
}

/// SIGTERM and SIGINT: the sandbox is being stopped; exit 0 as the real pause does.
extern "C" fn exit_cleanly(_signal: libc::c_int) {
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(0) }
}

/// SIGCHLD: reap every child that has exited, so no zombie is left behind.
extern "C" fn reap_children(_signal: libc::c_int) {
    // SAFETY: waitpid is async-signal-safe; WNOHANG stops at the first child still running.
    while unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) } > 0 {}
}

/// Installs `handler` for `signal`, restarting interrupted calls; panics if the kernel refuses.
fn set_handler(signal: libc::c_int, handler: extern "C" fn(libc::c_int)) {
    let handler = handler as libc::sighandler_t;
    // SAFETY: a zeroed sigaction is valid (empty mask); both handlers are async-signal-safe.
    let installed = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(signal, &action, std::ptr::null_mut())
    };
    assert_eq!(installed, 0, "sigaction({signal}) failed: {}", std::io::Error::last_os_error());
}
