//! The private containerd on a real containerd: start, restart with a container running, stop, and
//! clean-up after a podsim that was SIGKILLed. Every test has its own state folder and run id, and
//! proves with `leftovers_in` that nothing of its run is left on the machine.
#![cfg(feature = "containerd")]

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use podsim_cri::clean::{clean_all_in, leftovers_in};
use podsim_cri::daemon::PrivateContainerd;
use podsim_cri::image::import_images;
use podsim_cri::labels;
use podsim_cri::run_dir::RunRecord;

const SKIPPED: &str = "skipped: containerd not installed (apt-get install containerd runc)";
/// The sandbox image named in the config (never pulled by these tests).
const PAUSE_IMAGE: &str = "podsim.local/pause:test";
/// podsim's workload image, imported under this name (its default command, `workload run`, runs until
/// stopped).
const WORKLOAD_IMAGE: &str = "podsim.local/workload:test";

/// Whether containerd can run here; panics when it cannot but `PODSIM_REQUIRE_CONTAINERD=1`.
fn containerd_installed() -> bool {
    let installed = Command::new("containerd").arg("--version").output().is_ok_and(|o| o.status.success());
    if !installed {
        assert!(std::env::var("PODSIM_REQUIRE_CONTAINERD").as_deref() != Ok("1"), "{SKIPPED}");
        println!("{SKIPPED}");
    }
    installed
}

/// A fresh state folder and run id for one test.
fn fresh_run(test: &str) -> (PathBuf, String) {
    let run_id = format!("{}-{test}", labels::new_run_id());
    let root = std::env::temp_dir().join(format!("podsim-daemon-test-{run_id}"));
    std::fs::create_dir_all(&root).unwrap();
    (root, run_id)
}

/// Runs `ctr --address SOCK -n k8s.io ARGS...` and returns its stdout; panics with its stderr.
fn ctr(socket: &Path, args: &[&str]) -> String {
    let output = Command::new("ctr")
        .arg("--address")
        .arg(socket)
        .args(["-n", labels::CONTAINERD_NAMESPACE])
        .args(args)
        .output()
        .expect("running ctr");
    assert!(output.status.success(), "ctr {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Imports podsim's own images (pause, and the static workload binary under `WORKLOAD_IMAGE`), built in
/// memory by `podsim_cri::image`: no program beyond containerd's `ctr` is needed.
fn import_workload_image(daemon: &PrivateContainerd) {
    import_images(daemon.socket(), &daemon.dir().join("images"), &[WORKLOAD_IMAGE.to_string()])
        .expect("importing podsim's images");
}

/// Starts a container of the workload image (`workload run`, until stopped) with ctr, in the run's runc root and cgroup; returns its pid.
fn run_sleeper(daemon: &PrivateContainerd, id: &str) -> u32 {
    let runc_root = daemon.dir().join("runc");
    let cgroup = format!("{}/{id}", podsim_cri::run_dir::cgroup_parent(daemon.run_id()));
    ctr(
        daemon.socket(),
        &["run", "-d", "--runc-root", runc_root.to_str().unwrap(), "--cgroup", &cgroup, WORKLOAD_IMAGE, id],
    );
    task_pid(daemon.socket(), id).expect("the container's task runs")
}

/// The pid of a RUNNING task, from `ctr task ls`.
fn task_pid(socket: &Path, id: &str) -> Option<u32> {
    ctr(socket, &["task", "ls"]).lines().find_map(|line| {
        match line.split_whitespace().collect::<Vec<_>>()[..] {
            [task, pid, "RUNNING"] if task == id => pid.parse().ok(),
            _ => None,
        }
    })
}

/// Whether the cri plugin is listed as loaded (`ok`) by `ctr plugins ls`.
fn cri_plugin_ok(socket: &Path) -> bool {
    ctr(socket, &["plugins", "ls"]).lines().any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        fields.first() == Some(&"io.containerd.grpc.v1")
            && fields.get(1) == Some(&"cri")
            && fields.last() == Some(&"ok")
    })
}

/// Whether a process runs (exists and is no zombie).
fn process_runs(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
}

/// The pid of a process that has exited (and been reaped): a podsim that is gone.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    child.wait().unwrap();
    child.id()
}

#[test]
fn start_answers_with_the_cri_plugin_and_stop_leaves_nothing() {
    if !containerd_installed() {
        return;
    }
    let (root, run_id) = fresh_run("start");
    let started = Instant::now();
    let daemon = PrivateContainerd::start_in(&root, &run_id, PAUSE_IMAGE).unwrap();
    let start_time = started.elapsed();

    assert!(UnixStream::connect(daemon.socket()).is_ok(), "the socket answers once start returns");
    assert!(cri_plugin_ok(daemon.socket()), "ctr plugins ls shows io.containerd.grpc.v1 cri ok");
    let record = RunRecord::read(daemon.dir()).unwrap();
    assert_eq!(record.run_id, run_id);
    assert_eq!(record.podsim_pid, std::process::id());
    assert_eq!(Some(record.containerd_pid), daemon.pid());
    assert_eq!(record.socket, daemon.socket());
    let dir = daemon.dir().to_path_buf();
    assert!(dir.starts_with(root.canonicalize().unwrap()) && dir.ends_with(&run_id));
    assert!(!leftovers_in(&root, &run_id).is_empty(), "a running run is seen by leftovers");

    let stopping = Instant::now();
    let report = daemon.stop().unwrap();
    let stop_time = stopping.elapsed();
    println!("start took {start_time:?}, stop (with clean-up) took {stop_time:?}");

    assert_eq!((report.runs, report.containerd_stopped, report.dirs_removed), (1, 1, 1), "{report:?}");
    assert_eq!(leftovers_in(&root, &run_id), Vec::<String>::new());
    assert!(!dir.exists());
    std::fs::remove_dir(&root).unwrap();
}

#[test]
fn restart_keeps_a_container_running_and_stop_removes_it() {
    if !containerd_installed() {
        return;
    }
    let (root, run_id) = fresh_run("restart");
    let mut daemon = PrivateContainerd::start_in(&root, &run_id, PAUSE_IMAGE).unwrap();
    import_workload_image(&daemon);
    let sleeper = run_sleeper(&daemon, "sleeper");
    let first_containerd = daemon.pid().unwrap();

    let restarting = Instant::now();
    daemon.restart(Duration::from_millis(200)).unwrap();
    println!("restart with 200 ms downtime took {:?}", restarting.elapsed());

    assert_ne!(daemon.pid(), Some(first_containerd), "a new containerd runs");
    assert!(!process_runs(first_containerd), "the old containerd is gone");
    assert_eq!(RunRecord::read(daemon.dir()).unwrap().containerd_pid, daemon.pid().unwrap());
    assert!(UnixStream::connect(daemon.socket()).is_ok());
    assert!(cri_plugin_ok(daemon.socket()));
    assert_eq!(task_pid(daemon.socket(), "sleeper"), Some(sleeper), "the container survived the restart");
    assert!(process_runs(sleeper));

    let report = daemon.stop().unwrap();
    assert_eq!((report.containers_killed, report.shims_killed), (1, 1), "{report:?}");
    assert!(report.mounts_unmounted >= 1, "the container's rootfs was mounted: {report:?}");
    assert!(report.cgroups_removed >= 2, "the run's cgroup folder, in each hierarchy: {report:?}");
    assert!(!process_runs(sleeper));
    assert_eq!(leftovers_in(&root, &run_id), Vec::<String>::new());
    std::fs::remove_dir(&root).unwrap();
}

#[test]
fn a_killed_podsims_run_is_cleaned_and_live_runs_are_not_touched() {
    if !containerd_installed() {
        return;
    }
    let (root, run_id) = fresh_run("killed");
    let orphan = PrivateContainerd::start_in(&root, &run_id, PAUSE_IMAGE).unwrap();
    import_workload_image(&orphan);
    let sleeper = run_sleeper(&orphan, "orphan-sleeper");
    let orphan_containerd = orphan.pid().unwrap();
    let orphan_dir = orphan.dir().to_path_buf();
    // podsim "dies": nothing stops its containerd, which keeps running with its shim and container.
    std::mem::forget(orphan);
    let live_id = format!("{run_id}-live");
    let live = PrivateContainerd::start_in(&root, &live_id, PAUSE_IMAGE).unwrap();

    let untouched = clean_all_in(&root, false).unwrap();
    assert_eq!(untouched.runs, 0, "both runs' podsim (this test) still runs: {untouched:?}");
    assert_eq!(untouched.skipped_live.len(), 2, "{untouched:?}");

    let mut record = RunRecord::read(&orphan_dir).unwrap();
    record.podsim_pid = dead_pid();
    record.write(&orphan_dir).unwrap();
    let report = clean_all_in(&root, false).unwrap();
    println!("clean-up of a killed run: {report:?}");

    assert_eq!((report.runs, report.containerd_stopped, report.dirs_removed), (1, 1, 1), "{report:?}");
    assert_eq!((report.containers_killed, report.shims_killed), (1, 1), "{report:?}");
    assert!(report.mounts_unmounted >= 1 && report.cgroups_removed >= 2, "{report:?}");
    assert_eq!(report.skipped_live.len(), 1, "the live run is skipped: {report:?}");
    assert!(!process_runs(orphan_containerd) && !process_runs(sleeper));
    assert_eq!(leftovers_in(&root, &run_id), Vec::<String>::new());

    assert!(UnixStream::connect(live.socket()).is_ok(), "the live run's containerd still answers");
    assert!(live.dir().exists());
    live.stop().unwrap();
    assert_eq!(leftovers_in(&root, &live_id), Vec::<String>::new());
    std::fs::remove_dir(&root).unwrap();
}

#[test]
fn a_failed_start_says_why_with_the_log_and_leaves_nothing() {
    if !containerd_installed() {
        return;
    }
    let (root, run_id) = fresh_run("fails");
    // A unix socket path is limited to 108 bytes: containerd cannot listen on this one.
    let run_id = format!("{run_id}-{}", "x".repeat(120));
    let error = PrivateContainerd::start_in(&root, &run_id, PAUSE_IMAGE).err().expect("start fails");
    assert!(error.contains("containerd.log"), "the error quotes the log: {error}");
    assert_eq!(leftovers_in(&root, &run_id), Vec::<String>::new());
    std::fs::remove_dir(&root).unwrap();
}
