//! The layout of a run on the machine: where its folder is (`<state_root>/<run_id>/`), what is in it,
//! the record that says whose run it is, and the cgroup parent of its sandboxes.
//!
//! ```text
//! <state_root>/<run_id>/          state_root: $PODSIM_STATE_DIR, else <temp dir>/podsim
//!   run.json                      a RunRecord
//!   config.toml                   the private containerd's config
//!   containerd.sock(.ttrpc)       its sockets
//!   containerd.log                its stdout and stderr
//!   root/ state/                  its root and state folders
//!   runc/<namespace>/             the runc root, one folder per containerd namespace
//!   logs/                         the pods' log folders
//! /podsim-<run_id>                the cgroup parent of the run's sandboxes, in every hierarchy
//! ```
//!
//! Both the private containerd ([`crate::daemon`]) and the clean-up ([`crate::clean`]) read this layout;
//! neither reads the other's.

use std::fs;
use std::path::{Path, PathBuf};

/// The file in a run folder that describes the run (a [`RunRecord`] as JSON).
pub const RUN_RECORD_FILE: &str = "run.json";
/// containerd's config file in a run folder.
pub const CONFIG_FILE: &str = "config.toml";
/// containerd's socket in a run folder.
pub const SOCKET_FILE: &str = "containerd.sock";
/// containerd's stdout and stderr in a run folder (appended to across restarts).
pub const LOG_FILE: &str = "containerd.log";
/// containerd's root folder in a run folder.
pub const ROOT_DIR: &str = "root";
/// containerd's state folder in a run folder.
pub const STATE_DIR: &str = "state";
/// The runc root in a run folder; runc keeps one sub-folder per containerd namespace under it.
pub const RUNC_ROOT_DIR: &str = "runc";
/// The folder of the pods' log folders in a run folder.
pub const POD_LOGS_DIR: &str = "logs";

/// Where podsim keeps the folders of its real-runtime runs (`$PODSIM_STATE_DIR`, else
/// `<temp dir>/podsim`): one folder per run id, which `podsim clean` walks.
pub fn state_root() -> PathBuf {
    match std::env::var_os("PODSIM_STATE_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => std::env::temp_dir().join("podsim"),
    }
}

/// The cgroup parent of a run's sandboxes (cgroupfs driver, path style).
pub fn cgroup_parent(run_id: &str) -> String {
    format!("/podsim-{run_id}")
}

/// Whether `run_id` can name a run folder (one path component, no separators, not `.`/`..`).
pub fn is_valid_run_id(run_id: &str) -> bool {
    !run_id.is_empty() && run_id != "." && run_id != ".." && !run_id.contains('/') && !run_id.contains('\0')
}

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
    /// The record of a run this podsim process starts now, with no containerd running yet.
    pub fn new(run_id: &str, socket: PathBuf) -> RunRecord {
        RunRecord {
            run_id: run_id.to_string(),
            podsim_pid: std::process::id(),
            containerd_pid: 0,
            socket,
            created: unix_now(),
        }
    }

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

/// Seconds since the Unix epoch.
fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_id_is_one_path_component() {
        assert!(is_valid_run_id("19a2b3c4d5e0f1"));
        for bad in ["", ".", "..", "a/b", "/", "a\0b"] {
            assert!(!is_valid_run_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_run_record_reads_back_as_written() {
        let dir = std::env::temp_dir().join(format!("podsim-run-dir-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let written = RunRecord::new("r1", dir.join(SOCKET_FILE));
        written.write(&dir).unwrap();
        let read = RunRecord::read(&dir);
        fs::remove_dir_all(&dir).unwrap();
        let read = read.unwrap();
        assert_eq!(
            (read.run_id, read.podsim_pid, read.containerd_pid, read.socket, read.created),
            (written.run_id, std::process::id(), 0, dir.join(SOCKET_FILE), written.created)
        );
    }

    #[test]
    fn the_cgroup_parent_names_the_run() {
        assert_eq!(cgroup_parent("r1"), "/podsim-r1");
    }
}
