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

use crate::mounts::{self, mounts_under};
use crate::process::{self, POLL_INTERVAL};
use crate::run_dir::{self, RunRecord, CONFIG_FILE, RUNC_ROOT_DIR};

/// How long a stopped process gets to exit after SIGTERM before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(5);
/// How long clean-up waits for SIGKILLed processes to be gone.
const KILL_WAIT: Duration = Duration::from_secs(5);
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

/// Cleans every run folder under [`run_dir::state_root`] whose podsim process is gone (or all when
/// `include_live`).
pub fn clean_all(include_live: bool) -> Result<CleanReport, String> {
    clean_all_in(&run_dir::state_root(), include_live)
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
        Ok(record) if process::is_alive_since(record.podsim_pid, record.created) => {
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
    if !run_dir::is_valid_run_id(&run_id) {
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
/// described; empty when clean. Looks for the folder under [`run_dir::state_root`].
pub fn leftovers(run_id: &str) -> Vec<String> {
    leftovers_in(&run_dir::state_root(), run_id)
}

/// [`leftovers`] of a run whose folder is under `state_root`.
pub fn leftovers_in(state_root: &Path, run_id: &str) -> Vec<String> {
    let dir = state_root.canonicalize().unwrap_or_else(|_| state_root.to_path_buf()).join(run_id);
    let mut found = Vec::new();
    for pid in process::processes_naming(&dir) {
        found.push(format!("process {pid} names the run folder: {}", process::cmdline(pid).join(" ")));
    }
    for cgroup in cgroup_dirs(run_id) {
        found.push(format!("cgroup folder {}", cgroup.display()));
        for pid in read_pids(&cgroup.join("cgroup.procs")) {
            found.push(format!(
                "process {pid} in cgroup {}: {}",
                cgroup.display(),
                process::cmdline(pid).join(" ")
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
    let is_ours = |pid: u32| is_containerd_with_config(&process::cmdline(pid), &config);
    let mut pids: Vec<u32> = process::all_pids().into_iter().filter(|&pid| is_ours(pid)).collect();
    if let Ok(record) = RunRecord::read(dir) {
        if record.containerd_pid != 0
            && !pids.contains(&record.containerd_pid)
            && is_ours(record.containerd_pid)
        {
            pids.push(record.containerd_pid);
        }
    }
    for &pid in &pids {
        process::signal(pid, libc::SIGTERM);
    }
    if !process::wait_gone(&pids, is_ours, TERM_GRACE) {
        for &pid in &pids {
            if is_ours(pid) {
                process::signal(pid, libc::SIGKILL);
            }
        }
        process::wait_gone(&pids, is_ours, KILL_WAIT);
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
        let cmdline = process::cmdline(pid);
        let program = cmdline.first().map(|p| Path::new(p).file_name().unwrap_or_default().to_string_lossy());
        program.is_some_and(|p| p.starts_with("containerd-shim")) && process::names_path(&cmdline, dir)
    };
    let shims: Vec<u32> = process::all_pids().into_iter().filter(|&pid| is_shim(pid)).collect();
    for &pid in &shims {
        process::signal(pid, libc::SIGKILL);
    }
    process::wait_gone(&shims, is_shim, KILL_WAIT);
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
        pids.retain(|&pid| process::is_running(pid));
        pids
    };
    let pids = pids_in_run();
    for &pid in &pids {
        process::signal(pid, libc::SIGKILL);
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
            if mounts::unmount(mount, 0) || mounts::unmount(mount, libc::MNT_DETACH) {
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
    let relative = run_dir::cgroup_parent(run_id);
    let relative = relative.trim_start_matches('/');
    mounts::cgroup_roots().into_iter().map(|root| root.join(relative)).filter(|dir| dir.is_dir()).collect()
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

/// The last component of a path, as a string.
fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
