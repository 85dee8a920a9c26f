//! The machine's processes, read from /proc and signalled with kill(2): what the private containerd
//! ([`crate::daemon`]) and the clean-up ([`crate::clean`]) need to find, stop and wait for processes.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

/// How often processes are polled while waiting for them to go.
pub const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// Sends `signal` to `pid` (errors such as "no such process" are ignored: the caller checks).
pub fn signal(pid: u32, signal: libc::c_int) {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return };
    if pid <= 0 {
        return;
    }
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Every pid in /proc.
pub fn all_pids() -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else { return Vec::new() };
    entries.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect()
}

/// A process's command line (empty for a zombie, a kernel thread or a process that is gone).
pub fn cmdline(pid: u32) -> Vec<String> {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    raw.split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// The running processes (not podsim itself) whose command line names `dir` or a path under it.
pub fn processes_naming(dir: &Path) -> Vec<u32> {
    let me = std::process::id();
    all_pids().into_iter().filter(|&pid| pid != me && names_path(&cmdline(pid), dir)).collect()
}

/// Whether an argument (or the value of an `--option=value` argument) is `dir` or a path under it.
pub fn names_path(cmdline: &[String], dir: &Path) -> bool {
    cmdline.iter().any(|arg| {
        let value = arg.split_once('=').map_or(arg.as_str(), |(_, value)| value);
        Path::new(arg).starts_with(dir) || Path::new(value).starts_with(dir)
    })
}

/// Whether a process exists and is not a zombie (reaping the zombie if it is podsim's child).
pub fn is_running(pid: u32) -> bool {
    match stat_fields(pid) {
        Some(fields) if fields.first().is_some_and(|s| s == "Z" || s == "X") => {
            reap(pid);
            false
        }
        Some(_) => true,
        None => false,
    }
}

/// Whether `pid` runs and started no later than `since` (seconds since the epoch, with a second of
/// slack): a later start means the pid was reused by another process.
pub fn is_alive_since(pid: u32, since: u64) -> bool {
    if !is_running(pid) {
        return false;
    }
    match start_time(pid) {
        Some(started) => started <= since + 1,
        None => true,
    }
}

/// Waits (at most `limit`) until none of `pids` is still running and still `matches`; whether they
/// all went.
pub fn wait_gone(pids: &[u32], matches: impl Fn(u32) -> bool, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if pids.iter().all(|&pid| !is_running(pid) || !matches(pid)) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// A process's `/proc/PID/stat` fields after the command name (field 3, the state, first).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    Some(after_name.split_whitespace().map(str::to_string).collect())
}

/// When a process started, in seconds since the epoch (boot time plus its start in clock ticks).
fn start_time(pid: u32) -> Option<u64> {
    // Field 22 of /proc/PID/stat; `stat_fields` starts at field 3.
    let ticks: u64 = stat_fields(pid)?.get(22 - 3)?.parse().ok()?;
    let stat = fs::read_to_string("/proc/stat").ok()?;
    let boot: u64 = stat.lines().find_map(|l| l.strip_prefix("btime "))?.trim().parse().ok()?;
    // SAFETY: sysconf has no memory-safety preconditions.
    let ticks_per_second =
        u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok().filter(|&t| t > 0)?;
    Some(boot + ticks / ticks_per_second)
}

/// Reaps `pid` if it is an exited child of podsim (otherwise does nothing).
fn reap(pid: u32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return };
    let mut status = 0;
    // SAFETY: waitpid with WNOHANG writes only to `status`, which lives across the call.
    unsafe {
        libc::waitpid(pid, &mut status, libc::WNOHANG);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_under_another_run_with_a_longer_id_is_not_named() {
        let dir = Path::new("/tmp/podsim/r1");
        let shim =
            ["containerd-shim-runc-v2", "-address", "/tmp/podsim/r10/containerd.sock"].map(String::from);
        assert!(!names_path(&shim, dir));
        let shim =
            ["containerd-shim-runc-v2", "-address", "/tmp/podsim/r1/containerd.sock"].map(String::from);
        assert!(names_path(&shim, dir));
        let option = ["containerd", "--config=/tmp/podsim/r1/config.toml"].map(String::from);
        assert!(names_path(&option, dir));
    }

    #[test]
    fn this_process_runs_since_it_started_and_not_before() {
        let me = std::process::id();
        assert!(is_running(me));
        assert_eq!(cmdline(me).first(), std::env::args().next().as_ref());
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        assert!(is_alive_since(me, now));
        assert!(!is_alive_since(me, 0), "a pid that started after the record is another process");
    }
}
