//! A private containerd: podsim's own instance in `<state_root>/<run_id>/`, with its own config, root,
//! state, socket and runc root, so that nothing collides with another run or with the machine's
//! containerd.
//!
//! The run folder ([`crate::run_dir`]) also holds `run.json` (a [`RunRecord`]), which lets
//! [`crate::clean`] find and remove what a run left even after podsim was killed.

use std::fs;
use std::io::Read;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::clean::{self, CleanReport};
use crate::process::{self, POLL_INTERVAL};
use crate::run_dir::{
    self, RunRecord, CONFIG_FILE, LOG_FILE, ROOT_DIR, RUNC_ROOT_DIR, SOCKET_FILE, STATE_DIR,
};

/// How long [`PrivateContainerd::start`] waits for the socket to answer.
const SOCKET_WAIT_LIMIT: Duration = Duration::from_secs(10);
/// How long containerd gets to stop after SIGTERM before it is SIGKILLed.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// How many lines of containerd's log an error message quotes.
const LOG_TAIL_LINES: usize = 20;

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
        PrivateContainerd::start_in(&run_dir::state_root(), run_id, pause_image)
    }

    /// [`PrivateContainerd::start`] with the run folder under `state_root` instead of
    /// [`run_dir::state_root`].
    pub fn start_in(state_root: &Path, run_id: &str, pause_image: &str) -> Result<PrivateContainerd, String> {
        assert!(run_dir::is_valid_run_id(run_id), "a run id is a non-empty file name, not {run_id:?}");
        let dir = state_root.join(run_id);
        if dir.exists() {
            return Err(format!("run folder {} already exists", dir.display()));
        }
        fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let dir = dir.canonicalize().map_err(|e| format!("resolving {}: {e}", dir.display()))?;
        let record = RunRecord::new(run_id, dir.join(SOCKET_FILE));
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

    /// Stops containerd and removes everything this run left (see [`clean::clean_run_dir`]).
    pub fn stop(mut self) -> Result<CleanReport, String> {
        self.stop_and_clean()
    }

    /// Stops containerd, then cleans the run folder; afterwards `self` owns nothing.
    fn stop_and_clean(&mut self) -> Result<CleanReport, String> {
        let stopped = self.terminate();
        let report = clean::clean_run_dir(&self.dir);
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
        process::signal(child.id(), libc::SIGTERM);
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

/// containerd's config (version 2) for a run folder: everything under the folder, the CRI plugin set
/// up for this machine (see CONTAINERD-NOTES.md), plugins podsim does not need disabled.
pub fn containerd_config(dir: &Path, pause_image: &str) -> String {
    let dir = dir.display();
    format!(
        r#"# podsim's private containerd (written by podsim-cri; removed with the run folder)
version = 2
root = "{dir}/{ROOT_DIR}"
state = "{dir}/{STATE_DIR}"
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
