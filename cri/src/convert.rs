//! Conversions between the kubelet model's CRI-shaped values ([`podsim_model::io::CriRequest`],
//! [`podsim_model::io::CriReply`] and the runtime statuses they carry) and the CRI's protobuf types
//! (`k8s_cri::v1`), both ways, in one place:
//!
//! - model -> CRI: what the client ([`crate::client`]) sends for the kubelet model's calls, and what
//!   the simulated CRI server ([`crate::sim_server`]) answers from the simulator's containerd;
//! - CRI -> model: what the simulated server reads from a request, and what the client reads from a
//!   reply.
//!
//! Each submodule holds one kind of value both ways, and tests that a value sent one way and read the
//! other comes back the same (and says so where the CRI loses something on purpose).
//!
//! - [`error`]: gRPC statuses and the model's [`podsim_model::io::CriError`];
//! - [`state`]: sandbox and container states, container kinds;
//! - [`time`]: the model's milliseconds and the CRI's Unix nanoseconds;
//! - [`pod`]: the kubelet's pod labels, a sandbox's metadata, label selectors;
//! - [`image`]: image references, ids and `ImageStatus`;
//! - [`sandbox`]: sandbox configs, and sandboxes as listed;
//! - [`container`]: container configs, and containers as listed with their statuses;
//! - [`resources`]: a container's cgroup values and `UpdateContainerResources`;
//! - [`call`]: the requests that carry only ids (and the list requests), and the replies that carry
//!   only an id.

pub mod call;
pub mod container;
pub mod error;
pub mod image;
pub mod pod;
pub mod resources;
pub mod sandbox;
pub mod state;
pub mod time;

use std::path::PathBuf;

/// What a run tags its objects with and where it keeps their logs: what the model's requests do not
/// say and the CRI's do.
#[derive(Clone, Debug)]
pub struct RunContext {
    /// The run id, written in every object's [`crate::labels::RUN_ID`] label.
    pub run_id: String,
    /// Pod log folders go under this folder (one per sandbox).
    pub log_root: PathBuf,
    /// The cgroup parent of the run's sandboxes.
    pub cgroup_parent: String,
    /// The runtime's timestamps (Unix nanoseconds) minus this are the model's milliseconds.
    pub clock_origin_unix_nanos: i64,
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Values the round-trip tests share.

    use podsim_model::io::PodRef;

    use super::RunContext;

    /// A pod.
    pub fn pod() -> PodRef {
        PodRef { uid: "uid-1".into(), name: "web".into(), namespace: "default".into() }
    }

    /// A run whose clock starts at a non-zero time, so that a lost origin shows.
    pub fn run() -> RunContext {
        RunContext {
            run_id: "run-1".into(),
            log_root: "/tmp/podsim/run-1/logs".into(),
            cgroup_parent: "/podsim-run-1".into(),
            clock_origin_unix_nanos: 1_700_000_000_000_000_000,
        }
    }
}
