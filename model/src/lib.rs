//! # podsim-model: the kubelet's pod management as a pure state machine
//!
//! No I/O, no async, no clock, no randomness: every function here is handed what it needs (including
//! the current time) and returns what it wants done. The pieces, each named after the kubelet concept
//! it implements:
//!
//! - [`pod`]: the compact pod types (what the kubelet reads of a v1 Pod); [`manifest`] reads a real
//!   Pod manifest into them.
//! - [`hash`]: `HashContainer`, byte-identical to the kubelet's.
//! - [`runtime`]: the runtime's view of a pod (sandboxes, containers) and probe results.
//! - [`actions`]: `computePodActions` and the rules it is made of.
//! - [`backoff`]: the restart (CrashLoopBackOff) and image pull backoff.
//! - [`coverage`]: the named probes at the model's decisions (rule coverage).
//! - [`gates`]: the kubelet feature gates that change pod-management decisions.
//! - [`status`]: the pod status the kubelet reports (container states and reasons, phase,
//!   conditions); [`pod_status_manifest`] reads a Pod with its status as `kubectl get -o yaml` prints it.
//! - [`events`]: the Kubernetes Events the kubelet records, and the core/v1 Event it writes.
//! - [`io`]: the kubelet's inputs and outputs: API requests, CRI calls, node operations, timers.
//! - [`linux_resources`]: the cgroup values the kubelet gives a container and reads back.
//! - [`kubelet`]: the per-node `Kubelet` with its pod workers: `handle(now, input) -> outputs`.
//! - [`workload`]: what a container does, read from its command (shared with the real backend).

#![deny(missing_docs)]

pub mod actions;
pub mod backoff;
pub mod coverage;
pub mod events;
pub mod gates;
pub mod hash;
pub mod io;
pub mod kubelet;
pub mod linux_resources;
pub mod manifest;
pub mod pod;
pub mod pod_status_manifest;
pub mod runtime;
pub mod shared_str;
pub mod status;
pub mod workload;

pub use actions::{compute_pod_actions, ContainerToKill, KillReason, PodActions};
pub use gates::FeatureGates;
pub use hash::{format_hash, hash_container, parse_hash};
pub use kubelet::{Kubelet, KubeletConfig};
pub use pod::{Container, ContainerKind, Pod, PodSpec, PullPolicy, RestartPolicy};
pub use runtime::{
    ContainerProbes, ContainerState, ContainerStatus, Millis, ProbeResult, ProbeResults, RuntimePodStatus,
    SandboxState, SandboxStatus,
};
pub use shared_str::SharedStr;
pub use status::{ContainerStateReport, ContainerStatusReport, PodPhase, PodStatusReport};
