//! Removing what a run left on the machine, even after podsim was SIGKILLed mid-run (its private
//! containerd then keeps running, with shims and containers).
//!
//! A run owns exactly: its folder `<state_root>/<run_id>/`, the processes whose command line names that
//! folder (its containerd and shims), the containers in its runc root, the mounts under the folder and
//! the cgroup folders `cgroup_parent(run_id)` in every hierarchy. Nothing else is touched: not another
//! run's, not a containerd that is not podsim's.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::daemon::{self, RunRecord, CONFIG_FILE, RUNC_ROOT_DIR};
use crate::labels;

/// How long a stopped process gets to exit after SIGTERM before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(5);
/// How long clean-up waits for SIGKILLed processes to be gone.
const KILL_WAIT: Duration = Duration::from_secs(5);
/// How often processes are polled while waiting for them to go.
const POLL_INTERVAL: Duration = Duration::from_millis(5);
/// A run folder without `run.json` younger than this may be a run being created: it is left alone.
const UNRECORDED_RUN_GRACE: Duration = Duration::from_secs(60);

/// What clean-up found and removed (counts), for the user.
#[derive(Debug, Default, serde::Serialize)]
pub struct CleanReport {
    /// Run folders cleaned.
    pub runs: usize,
    /// Private containerd processes stopped.
    pub containerd_stopped: usize,
    /// runc containers killed and deleted.
    pub containers_killed: usize,
    /// containerd shims killed.
    pub shims_killed: usize,
    /// Mounts under run folders unmounted.
    pub mounts_unmounted: usize,
    /// cgroup folders removed (one per hierarchy and level).
    pub cgroups_removed: usize,
    /// Run folders removed.
    pub dirs_removed: usize,
    /// Runs left alone because their podsim is still running (run id and why).
    pub skipped_live: Vec<String>,
}

impl CleanReport {
    /// Adds another report's counts to this one.
    pub fn add(&mut self, other: CleanReport) {
        self.runs += other.runs;
        self.containerd_stopped += other.containerd_stopped;
        self.containers_killed += other.containers_killed;
        self.shims_killed += other.shims_killed;
        self.mounts_unmounted += other.mounts_unmounted;
        self.cgroups_removed += other.cgroups_removed;
        self.dirs_removed += other.dirs_removed;
        self.skipped_live.extend(other.skipped_live);
    }
}

/// Cleans every run folder under [`labels::state_root`] whose podsim process is gone (or all when
/// `include_live`).
pub fn clean_all(include_live: bool) -> Result<CleanReport, String> {
    clean_all_in(&labels::state_root(), include_live)
}

/// [`clean_all`] for the run folders under `state_root`.
pub fn clean_all_in(state_root: &Path, include_live: bool) -> Result<CleanReport, String> {
    let mut report = CleanReport::default();
    let entries = match fs::read_dir(state_root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(report),
        Err(e) => return Err(format!("listing {}: {e}", state_root.display())),
    };
    let mut errors = Vec::new();
    for entry in entries.flatten() {
        let dir = entry.path();
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        if !include_live {
            if let Some(why) = why_run_is_live(&dir) {
                report.skipped_live.push(format!("{}: {why}", file_name(&dir)));
                continue;
            }
        }
        match clean_run_dir(&dir) {
            Ok(one) => report.add(one),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(report)
    } else {
        Err(format!("{} (cleaned so far: {report:?})", errors.join("; ")))
    }
}

/// Why a run folder must be left alone, or `None` when its podsim is gone.
fn why_run_is_live(dir: &Path) -> Option<String> {
    match RunRecord::read(dir) {
        Ok(record) if proc::is_alive_since(record.podsim_pid, record.created) => {
            Some(format!("podsim (pid {}) is still running", record.podsim_pid))
        }
        Ok(_) => None,
        Err(_) => {
            let age = fs::metadata(dir).and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
            match age {
                Some(age) if age >= UNRECORDED_RUN_GRACE => None,
                _ => Some("no run.json yet: the run may be starting".to_string()),
            }
        }
    }
}

/// Cleans one run folder: stops its containerd, kills and deletes its runc containers, kills its
/// shims, unmounts everything under the folder (deepest first), removes the run's cgroup folders
/// (deepest first, once their processes are gone) and removes the folder.
pub fn clean_run_dir(dir: &Path) -> Result<CleanReport, String> {
    let dir = match dir.canonicalize() {
        Ok(dir) => dir,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(CleanReport::default()),
        Err(e) => return Err(format!("resolving {}: {e}", dir.display())),
    };
    let run_id = file_name(&dir);
    if !daemon::is_valid_run_id(&run_id) {
        return Err(format!("{} is not a run folder", dir.display()));
    }
    let mut report = CleanReport { runs: 1, ..CleanReport::default() };
    let mut errors = Vec::new();
    report.containerd_stopped = stop_containerd(&dir);
    report.containers_killed = kill_runc_containers(&dir, &mut errors);
    report.shims_killed = kill_shims(&dir);
    kill_cgroup_processes(&run_id);
    report.mounts_unmounted = unmount_all_under(&dir).unwrap_or_else(|e| note(&mut errors, e));
    report.cgroups_removed = remove_cgroups(&run_id).unwrap_or_else(|e| note(&mut errors, e));
    if !errors.is_empty() {
        // The folder stays (its runc root and run.json) so that a later clean can finish the job.
        return Err(format!("cleaning run {run_id}: {}", errors.join("; ")));
    }
    remove_run_folder(&dir)?;
    report.dirs_removed = 1;
    Ok(report)
}

/// Keeps an error for the end of a clean-up that goes on; counts nothing for the failed step.
fn note(errors: &mut Vec<String>, error: String) -> usize {
    errors.push(error);
    0
}

/// Anything of this run still on the machine (processes, mounts, cgroup folders, the folder itself),
/// described; empty when clean. Looks for the folder under [`labels::state_root`].
pub fn leftovers(run_id: &str) -> Vec<String> {
    leftovers_in(&labels::state_root(), run_id)
}

/// [`leftovers`] of a run whose folder is under `state_root`.
pub fn leftovers_in(state_root: &Path, run_id: &str) -> Vec<String> {
    let dir = state_root.canonicalize().unwrap_or_else(|_| state_root.to_path_buf()).join(run_id);
    let mut found = Vec::new();
    for pid in processes_naming(&dir) {
        found.push(format!("process {pid} names the run folder: {}", proc::cmdline(pid).join(" ")));
    }
    for cgroup in cgroup_dirs(run_id) {
        found.push(format!("cgroup folder {}", cgroup.display()));
        for pid in read_pids(&cgroup.join("cgroup.procs")) {
            found.push(format!(
                "process {pid} in cgroup {}: {}",
                cgroup.display(),
                proc::cmdline(pid).join(" ")
            ));
        }
    }
    for mount in mounts_under(&dir) {
        found.push(format!("mount {}", mount.display()));
    }
    if dir.exists() {
        found.push(format!("run folder {}", dir.display()));
    }
    found
}

/// Stops the run's containerd processes (the pid in run.json and any containerd started with this
/// folder's config): SIGTERM, SIGKILL after [`TERM_GRACE`]. Returns how many were stopped.
fn stop_containerd(dir: &Path) -> usize {
    let config = dir.join(CONFIG_FILE);
    let is_ours = |pid: u32| is_containerd_with_config(&proc::cmdline(pid), &config);
    let mut pids: Vec<u32> = proc::all_pids().into_iter().filter(|&pid| is_ours(pid)).collect();
    if let Ok(record) = RunRecord::read(dir) {
        if record.containerd_pid != 0
            && !pids.contains(&record.containerd_pid)
            && is_ours(record.containerd_pid)
        {
            pids.push(record.containerd_pid);
        }
    }
    for &pid in &pids {
        daemon::signal(pid, libc::SIGTERM);
    }
    if !proc::wait_gone(&pids, is_ours, TERM_GRACE) {
        for &pid in &pids {
            if is_ours(pid) {
                daemon::signal(pid, libc::SIGKILL);
            }
        }
        proc::wait_gone(&pids, is_ours, KILL_WAIT);
    }
    pids.len()
}

/// Whether a command line is containerd's with `--config CONFIG`.
fn is_containerd_with_config(cmdline: &[String], config: &Path) -> bool {
    let Some(program) = cmdline.first() else { return false };
    let is_containerd = Path::new(program).file_name().is_some_and(|name| name == "containerd");
    let config = config.to_string_lossy();
    let names_config =
        cmdline.windows(2).any(|pair| (pair[0] == "--config" || pair[0] == "-c") && pair[1] == *config)
            || cmdline.iter().any(|arg| arg.strip_prefix("--config=") == Some(&*config));
    is_containerd && names_config
}

/// Kills and deletes every container in the run's runc root (one runc root per containerd namespace),
/// going on past failures (kept in `errors`). Returns how many containers were deleted.
fn kill_runc_containers(dir: &Path, errors: &mut Vec<String>) -> usize {
    let Ok(namespaces) = fs::read_dir(dir.join(RUNC_ROOT_DIR)) else { return 0 };
    let mut killed = 0;
    for namespace in namespaces.flatten() {
        let root = namespace.path();
        if !root.is_dir() {
            continue;
        }
        let ids = runc_container_ids(&root).unwrap_or_else(|e| {
            errors.push(e);
            Vec::new()
        });
        for id in ids {
            // runc kill fails for a container that is already stopped; delete --force handles both.
            let _ = run_runc(&root, &["kill", "--all", &id, "KILL"]);
            match run_runc(&root, &["delete", "--force", &id]) {
                Ok(_) => killed += 1,
                Err(e) => errors.push(e),
            }
        }
    }
    killed
}

/// The ids of the containers in one runc root.
fn runc_container_ids(root: &Path) -> Result<Vec<String>, String> {
    let listing = run_runc(root, &["list", "--quiet"])?;
    Ok(listing.lines().map(str::trim).filter(|id| !id.is_empty()).map(str::to_string).collect())
}

/// Runs `runc --root ROOT ARGS...`, returning its stdout or an error with its stderr.
fn run_runc(root: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("runc")
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| format!("running runc: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "runc --root {} {}: {}",
            root.display(),
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// SIGKILLs the containerd shims whose command line names the run folder (their `-address` is the
/// run's socket) and waits for them to go. Returns how many there were.
fn kill_shims(dir: &Path) -> usize {
    let is_shim = |pid: u32| {
        let cmdline = proc::cmdline(pid);
        let program = cmdline.first().map(|p| Path::new(p).file_name().unwrap_or_default().to_string_lossy());
        program.is_some_and(|p| p.starts_with("containerd-shim")) && names_path(&cmdline, dir)
    };
    let shims: Vec<u32> = proc::all_pids().into_iter().filter(|&pid| is_shim(pid)).collect();
    for &pid in &shims {
        daemon::signal(pid, libc::SIGKILL);
    }
    proc::wait_gone(&shims, is_shim, KILL_WAIT);
    shims.len()
}

/// SIGKILLs whatever still runs in the run's cgroups (container processes that outlived runc) and
/// waits for them to go.
fn kill_cgroup_processes(run_id: &str) {
    let pids_in_run = || -> Vec<u32> {
        let mut pids: Vec<u32> =
            cgroup_dirs(run_id).iter().flat_map(|c| read_pids(&c.join("cgroup.procs"))).collect();
        pids.sort_unstable();
        pids.dedup();
        pids.retain(|&pid| proc::is_running(pid));
        pids
    };
    let pids = pids_in_run();
    for &pid in &pids {
        daemon::signal(pid, libc::SIGKILL);
    }
    let deadline = Instant::now() + KILL_WAIT;
    while !pids_in_run().is_empty() && Instant::now() < deadline {
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// Unmounts every mount at or under `dir`, deepest first (lazily when a plain unmount fails); returns
/// how many were unmounted, or an error naming those that stayed.
fn unmount_all_under(dir: &Path) -> Result<usize, String> {
    let mut unmounted = 0;
    // A path can be mounted over several times; each pass removes the top ones, so repeat (bounded).
    for _pass in 0..8 {
        let mut mounts = mounts_under(dir);
        if mounts.is_empty() {
            return Ok(unmounted);
        }
        mounts.sort_by_key(|m| std::cmp::Reverse(m.components().count()));
        for mount in &mounts {
            if unmount(mount, 0) || unmount(mount, libc::MNT_DETACH) {
                unmounted += 1;
            }
        }
    }
    let left = mounts_under(dir);
    if left.is_empty() {
        Ok(unmounted)
    } else {
        Err(format!("could not unmount {:?}", left))
    }
}

/// umount2(path, flags); whether it succeeded.
fn unmount(path: &Path, flags: libc::c_int) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else { return false };
    // SAFETY: `path` is a valid NUL-terminated string that outlives the call.
    unsafe { libc::umount2(path.as_ptr(), flags) == 0 }
}

/// The mount points at or under `dir`, from /proc/self/mountinfo.
fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    mountinfo().into_iter().filter(|m| m.mount_point.starts_with(dir)).map(|m| m.mount_point).collect()
}

/// Removes the run's cgroup folders in every hierarchy, deepest first; returns how many.
fn remove_cgroups(run_id: &str) -> Result<usize, String> {
    let mut removed = 0;
    for top in cgroup_dirs(run_id) {
        let mut dirs = Vec::new();
        collect_dirs(&top, &mut dirs);
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for dir in dirs {
            fs::remove_dir(&dir).map_err(|e| format!("removing cgroup {}: {e}", dir.display()))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// `dir` and every folder below it.
fn collect_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    out.push(dir.to_path_buf());
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            collect_dirs(&entry.path(), out);
        }
    }
}

/// The run's top cgroup folder (`cgroup_parent(run_id)`) in each cgroup hierarchy where it exists.
fn cgroup_dirs(run_id: &str) -> Vec<PathBuf> {
    let relative = labels::cgroup_parent(run_id);
    let relative = relative.trim_start_matches('/');
    let mut roots: Vec<PathBuf> = mountinfo()
        .into_iter()
        .filter(|m| m.fs_type == "cgroup" || m.fs_type == "cgroup2")
        .map(|m| m.mount_point)
        .collect();
    roots.sort();
    roots.dedup();
    roots.into_iter().map(|root| root.join(relative)).filter(|dir| dir.is_dir()).collect()
}

/// The pids listed in a cgroup.procs file (none if it cannot be read).
fn read_pids(path: &Path) -> Vec<u32> {
    fs::read_to_string(path).unwrap_or_default().lines().filter_map(|l| l.trim().parse().ok()).collect()
}

/// Removes the run folder, refusing while anything is still mounted under it (removing would reach
/// into the mounted file system).
fn remove_run_folder(dir: &Path) -> Result<(), String> {
    let mounts = mounts_under(dir);
    if !mounts.is_empty() {
        return Err(format!("not removing {}: still mounted: {mounts:?}", dir.display()));
    }
    fs::remove_dir_all(dir).map_err(|e| format!("removing {}: {e}", dir.display()))
}

/// The running processes (not podsim itself) whose command line names `dir` or a path under it.
fn processes_naming(dir: &Path) -> Vec<u32> {
    let me = std::process::id();
    proc::all_pids().into_iter().filter(|&pid| pid != me && names_path(&proc::cmdline(pid), dir)).collect()
}

/// Whether an argument (or the value of an `--option=value` argument) is `dir` or a path under it.
fn names_path(cmdline: &[String], dir: &Path) -> bool {
    cmdline.iter().any(|arg| {
        let value = arg.split_once('=').map_or(arg.as_str(), |(_, value)| value);
        Path::new(arg).starts_with(dir) || Path::new(value).starts_with(dir)
    })
}

/// The last component of a path, as a string.
fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// One line of /proc/self/mountinfo: what podsim needs of it.
struct Mount {
    mount_point: PathBuf,
    fs_type: String,
}

/// The mounts in podsim's mount namespace.
fn mountinfo() -> Vec<Mount> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    text.lines().filter_map(parse_mountinfo_line).collect()
}

/// Parses `ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FS_TYPE SOURCE SUPER_OPTIONS`.
fn parse_mountinfo_line(line: &str) -> Option<Mount> {
    let mut fields = line.split(' ');
    let mount_point = fields.nth(4)?;
    let fs_type = fields.skip_while(|f| *f != "-").nth(1)?;
    Some(Mount { mount_point: PathBuf::from(unescape_octal(mount_point)), fs_type: fs_type.to_string() })
}

/// Undoes mountinfo's octal escapes (`\040` for a space, and so on).
fn unescape_octal(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match escape {
            Some(digits) => {
                out.push(digits.iter().fold(0u8, |n, d| n.wrapping_mul(8).wrapping_add(d - b'0')));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reading processes from /proc.
mod proc {
    use std::fs;
    use std::time::{Duration, Instant};

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

    /// A process's `/proc/PID/stat` fields after the command name (field 3, the state, first).
    fn stat_fields(pid: u32) -> Option<Vec<String>> {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after_name = &stat[stat.rfind(')')? + 1..];
        Some(after_name.split_whitespace().map(str::to_string).collect())
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
            std::thread::sleep(super::POLL_INTERVAL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_lines_are_parsed_with_escapes() {
        let line = "44 27 0:39 / /tmp/a\\040b/rootfs rw,relatime shared:1 - overlay overlay rw,lowerdir=/x";
        let mount = parse_mountinfo_line(line).unwrap();
        assert_eq!(mount.mount_point, PathBuf::from("/tmp/a b/rootfs"));
        assert_eq!(mount.fs_type, "overlay");
    }

    #[test]
    fn only_this_runs_containerd_is_recognised() {
        let config = Path::new("/tmp/podsim/r1/config.toml");
        let ours = ["containerd", "--config", "/tmp/podsim/r1/config.toml"].map(String::from);
        let other_run = ["containerd", "--config", "/tmp/podsim/r10/config.toml"].map(String::from);
        let system = ["/usr/bin/containerd"].map(String::from);
        assert!(is_containerd_with_config(&ours, config));
        assert!(!is_containerd_with_config(&other_run, config));
        assert!(!is_containerd_with_config(&system, config));
    }

    #[test]
    fn a_path_under_another_run_with_a_longer_id_is_not_named() {
        let dir = Path::new("/tmp/podsim/r1");
        let shim =
            ["containerd-shim-runc-v2", "-address", "/tmp/podsim/r10/containerd.sock"].map(String::from);
        assert!(!names_path(&shim, dir));
        let shim =
            ["containerd-shim-runc-v2", "-address", "/tmp/podsim/r1/containerd.sock"].map(String::from);
        assert!(names_path(&shim, dir));
    }
}
