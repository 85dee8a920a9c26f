//! The labels podsim puts on everything it creates in a runtime, and the run id they carry.
//!
//! podsim never stops, removes or reads into a sandbox or container without [`RUN_ID`]; with
//! `--address` (a containerd that is not podsim's) it also touches nothing of another run.

/// The label every sandbox and container podsim creates carries: its run's id.
pub const RUN_ID: &str = "podsim.run-id";
/// The kubelet's label of a pod's UID.
pub const POD_UID: &str = "io.kubernetes.pod.uid";
/// The kubelet's label of a pod's name.
pub const POD_NAME: &str = "io.kubernetes.pod.name";
/// The kubelet's label of a pod's namespace.
pub const POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
/// The kubelet's label of a container's name.
pub const CONTAINER_NAME: &str = "io.kubernetes.container.name";
/// The kubelet's annotation of a container's spec hash (hex).
pub const CONTAINER_HASH: &str = "io.kubernetes.container.hash";
/// The kubelet's annotation of a container's restart count.
pub const CONTAINER_RESTART_COUNT: &str = "io.kubernetes.container.restartCount";
/// podsim's annotation of which list of the spec a container comes from (init, regular, ephemeral).
pub const CONTAINER_KIND: &str = "podsim.container-kind";

/// The CRI namespace (containerd namespace) the CRI plugin keeps its objects in.
pub const CONTAINERD_NAMESPACE: &str = "k8s.io";

/// A run id: unique on this machine (start time in ms, process id, and a count of the ids this
/// process made, so that `conform --jobs N` starting two runs in one millisecond gives two ids), short
/// enough for paths.
pub fn new_run_id() -> String {
    static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nth = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{:x}{:04x}{nth:x}", (nanos / 1_000_000) & 0xff_ffff_ffff, std::process::id() & 0xffff)
}

#[cfg(test)]
mod tests {
    /// Two runs started by one process in the same millisecond (conform --jobs 2) get two ids.
    #[test]
    fn ids_made_at_once_by_one_process_differ() {
        let ids: std::collections::BTreeSet<String> = (0..1000).map(|_| super::new_run_id()).collect();
        assert_eq!(ids.len(), 1000);
    }
}
