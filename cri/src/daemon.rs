//! A private containerd: podsim's own instance in `<state_root>/<run_id>/`, with its own config, root,
//! state, socket and runc root, so that nothing collides with another run or with the machine's
//! containerd.
//!
//! The run folder also holds `run.json` (a [`RunRecord`]), which lets [`crate::clean`] find and remove
//! what a run left even after podsim was killed.

use std::fs;
use std::io::Read;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::clean::CleanReport;

/// The file in a run folder that describes the run (a [`RunRecord`] as JSON).
pub const RUN_RECORD_FILE: &str = "run.json";
/// containerd's config file in a run folder.
pub const CONFIG_FILE: &str = "config.toml";
/// containerd's socket in a run folder.
pub const SOCKET_FILE: &str = "containerd.sock";
/// containerd's stdout and stderr in a run folder (appended to across restarts).
pub const LOG_FILE: &str = "containerd.log";
/// The runc root in a run folder; runc keeps one sub-folder per containerd namespace under it.
pub const RUNC_ROOT_DIR: &str = "runc";

/// How long [`PrivateContainerd::start`] waits for the socket to answer.
const SOCKET_WAIT_LIMIT: Duration = Duration::from_secs(10);
/// How long containerd gets to stop after SIGTERM before it is SIGKILLed.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// How often the socket and the process are polled while waiting.
const POLL_INTERVAL: Duration = Duration::from_millis(5);
/// How many lines of containerd's log an error message quotes.
const LOG_TAIL_LINES: usize = 20;

/// What a run folder's `run.json` says about its run, for `podsim clean`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunRecord {
    /// The run's id (also the folder's name and the value of the run label).
    pub run_id: String,
    /// The podsim process that owns the run; the run is live while it is.
    pub podsim_pid: u32,
    /// The run's containerd, when it is running (0 while it is not started).
    pub containerd_pid: u32,
    /// containerd's socket.
    pub socket: PathBuf,
    /// When the run was created, in seconds since the Unix epoch.
    pub created: u64,
}

impl RunRecord {
    /// Reads a run folder's `run.json`.
    pub fn read(dir: &Path) -> Result<RunRecord, String> {
        let path = dir.join(RUN_RECORD_FILE);
        let text = fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("parsing {}: {e}", path.display()))
    }

    /// Writes a run folder's `run.json` (through a temporary file, so a reader never sees half of it).
    pub fn write(&self, dir: &Path) -> Result<(), String> {
        let path = dir.join(RUN_RECORD_FILE);
        let partial = dir.join(format!("{RUN_RECORD_FILE}.partial"));
        let text = serde_json::to_string_pretty(self).map_err(|e| format!("encoding run record: {e}"))?;
        fs::write(&partial, text).map_err(|e| format!("writing {}: {e}", partial.display()))?;
        fs::rename(&partial, &path).map_err(|e| format!("writing {}: {e}", path.display()))
    }
}

/// A containerd of podsim's own, in `<state_root>/<run_id>/`.
pub struct PrivateContainerd {
    run_id: String,
    dir: PathBuf,
    socket: PathBuf,
    config: PathBuf,
    /// The running containerd; `None` once stopped.
    child: Option<Child>,
    record: RunRecord,
}

impl PrivateContainerd {
    /// Writes the config and starts `setsid containerd --config FILE` (stdout/stderr to
    /// `dir/containerd.log`), waiting (at most 10 s) until the socket answers. Errors say what failed,
    /// with the tail of the log.
    pub fn start(run_id: &str, pause_image: &str) -> Result<PrivateContainerd, String> {
        PrivateContainerd::start_in(&crate::labels::state_root(), run_id, pause_image)
    }

    /// [`PrivateContainerd::start`] with the run folder under `state_root` instead of
    /// [`crate::labels::state_root`].
    pub fn start_in(state_root: &Path, run_id: &str, pause_image: &str) -> Result<PrivateContainerd, String> {
        assert!(is_valid_run_id(run_id), "a run id is a non-empty file name, not {run_id:?}");
        let dir = state_root.join(run_id);
        if dir.exists() {
            return Err(format!("run folder {} already exists", dir.display()));
        }
        fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let dir = dir.canonicalize().map_err(|e| format!("resolving {}: {e}", dir.display()))?;
        let record = RunRecord {
            run_id: run_id.to_string(),
            podsim_pid: std::process::id(),
            containerd_pid: 0,
            socket: dir.join(SOCKET_FILE),
            created: unix_now(),
        };
        record.write(&dir)?;
        let config = dir.join(CONFIG_FILE);
        fs::write(&config, containerd_config(&dir, pause_image))
            .map_err(|e| format!("writing {}: {e}", config.display()))?;
        let mut daemon = PrivateContainerd {
            run_id: run_id.to_string(),
            socket: dir.join(SOCKET_FILE),
            dir,
            config,
            child: None,
            record,
        };
        daemon.launch()?;
        Ok(daemon)
    }

    /// containerd's socket (gRPC, for the CRI and for `ctr --address`).
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The run folder (podsim's other parts keep pod log dirs and image tars under it).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The run's id.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// containerd's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops containerd (SIGTERM, then SIGKILL after 5 s) and starts it again with the same config
    /// after `downtime`; containers survive (their shims keep running). Blocks.
    pub fn restart(&mut self, downtime: Duration) -> Result<(), String> {
        self.terminate()?;
        std::thread::sleep(downtime);
        self.launch()
    }

    /// Stops containerd and removes everything this run left (see [`crate::clean::clean_run_dir`]).
    pub fn stop(mut self) -> Result<CleanReport, String> {
        self.stop_and_clean()
    }

    /// Stops containerd, then cleans the run folder; afterwards `self` owns nothing.
    fn stop_and_clean(&mut self) -> Result<CleanReport, String> {
        let stopped = self.terminate();
        let report = crate::clean::clean_run_dir(&self.dir);
        self.dir = PathBuf::new();
        let mut report = report?;
        if stopped? {
            report.containerd_stopped += 1;
        }
        Ok(report)
    }

    /// Starts containerd and waits for its socket; records its pid in `run.json`.
    fn launch(&mut self) -> Result<(), String> {
        assert!(self.child.is_none(), "launching containerd while one is running");
        // A socket left by the last containerd would refuse connections until the new one listens;
        // removing it makes "the file exists" mean "this containerd created it".
        let _ = fs::remove_file(&self.socket);
        let log_path = self.dir.join(LOG_FILE);
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| format!("opening {}: {e}", log_path.display()))?;
        let log_err = log.try_clone().map_err(|e| format!("opening {}: {e}", log_path.display()))?;
        // setsid: containerd (and the shims it starts) leave podsim's session, so a terminal's
        // Ctrl-C does not reach them; as podsim's child is no group leader, setsid execs in place and
        // the child's pid is containerd's.
        let child = Command::new("setsid")
            .arg("containerd")
            .arg("--config")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("starting `setsid containerd --config {}`: {e}", self.config.display()))?;
        self.record.containerd_pid = child.id();
        self.child = Some(child);
        self.record.write(&self.dir)?;
        self.wait_for_socket()
    }

    /// Waits (bounded) until a connection to the socket succeeds, failing early if containerd exits.
    fn wait_for_socket(&mut self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if UnixStream::connect(&self.socket).is_ok() {
                return Ok(());
            }
            let child = self.child.as_mut().expect("waiting for the socket of a running containerd");
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Err(format!(
                    "containerd exited ({status}) before its socket answered{}",
                    self.log_tail()
                ));
            }
            if started.elapsed() > SOCKET_WAIT_LIMIT {
                let _ = self.terminate();
                return Err(format!(
                    "containerd's socket {} did not answer within {SOCKET_WAIT_LIMIT:?}{}",
                    self.socket.display(),
                    self.log_tail()
                ));
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Stops containerd: SIGTERM, then SIGKILL after [`STOP_GRACE`]; reaps it. Whether it was running.
    fn terminate(&mut self) -> Result<bool, String> {
        let Some(mut child) = self.child.take() else { return Ok(false) };
        self.record.containerd_pid = 0;
        let _ = self.record.write(&self.dir);
        if let Ok(Some(_)) = child.try_wait() {
            return Ok(false);
        }
        signal(child.id(), libc::SIGTERM);
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            match child.try_wait() {
                Ok(Some(_)) => return Ok(true),
                Ok(None) => std::thread::sleep(POLL_INTERVAL),
                Err(e) => return Err(format!("waiting for containerd (pid {}): {e}", child.id())),
            }
        }
        child.kill().map_err(|e| format!("killing containerd (pid {}): {e}", child.id()))?;
        child.wait().map_err(|e| format!("waiting for containerd (pid {}): {e}", child.id()))?;
        Ok(true)
    }

    /// The last lines of containerd's log, as a suffix for an error message.
    fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = fs::File::open(self.dir.join(LOG_FILE)) {
            let _ = file.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(LOG_TAIL_LINES)..];
        format!("; the end of {}:\n{}", self.dir.join(LOG_FILE).display(), tail.join("\n"))
    }
}

impl Drop for PrivateContainerd {
    /// Best-effort stop and clean-up when the daemon was not stopped explicitly.
    fn drop(&mut self) {
        if self.dir.as_os_str().is_empty() {
            return;
        }
        if let Err(e) = self.stop_and_clean() {
            eprintln!("podsim: cleaning up the private containerd of run {}: {e}", self.run_id);
        }
    }
}

/// Whether `run_id` can name a run folder (one path component, no separators, not `.`/`..`).
pub fn is_valid_run_id(run_id: &str) -> bool {
    !run_id.is_empty() && run_id != "." && run_id != ".." && !run_id.contains('/') && !run_id.contains('\0')
}

/// containerd's config (version 2) for a run folder: everything under the folder, the CRI plugin set
/// up for this machine (see CONTAINERD-NOTES.md), plugins podsim does not need disabled.
pub fn containerd_config(dir: &Path, pause_image: &str) -> String {
    let dir = dir.display();
    format!(
        r#"# podsim's private containerd (written by podsim-cri; removed with the run folder)
version = 2
root = "{dir}/root"
state = "{dir}/state"
disabled_plugins = [
  "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
]

[grpc]
  address = "{dir}/{SOCKET_FILE}"
  tcp_address = ""

[ttrpc]
  address = "{dir}/{SOCKET_FILE}.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

# The v1 runtime is not used, but the tasks service needs it loaded: keep its root in the folder too.
[plugins."io.containerd.runtime.v1.linux"]
  runtime_root = "{dir}/{RUNC_ROOT_DIR}"

[plugins."io.containerd.grpc.v1.cri"]
  # Required here: the machine lacks CAP_SYS_RESOURCE, and runc create fails without it.
  restrict_oom_score_adj = true
  sandbox_image = "{pause_image}"
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "{dir}/{RUNC_ROOT_DIR}"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{dir}/cni/bin"
    conf_dir = "{dir}/cni/conf"
"#
    )
}

/// Sends `signal` to `pid` (errors such as "no such process" are ignored: the caller checks).
pub(crate) fn signal(pid: u32, signal: libc::c_int) {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return };
    if pid <= 0 {
        return;
    }
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Seconds since the Unix epoch.
fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
