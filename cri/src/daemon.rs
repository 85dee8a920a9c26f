//! Stub until the daemon module lands (helper h2).
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A containerd of podsim's own.
pub struct PrivateContainerd {
    dir: PathBuf,
    socket: PathBuf,
}

impl PrivateContainerd {
    /// Starts it.
    pub fn start(_run_id: &str, _pause_image: &str) -> Result<PrivateContainerd, String> {
        Err("not yet".into())
    }
    /// Its socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }
    /// Its folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// Restarts it.
    pub fn restart(&mut self, _downtime: Duration) -> Result<(), String> {
        Ok(())
    }
    /// Stops it.
    pub fn stop(self) -> Result<(), String> {
        Ok(())
    }
}
