//! # podsim-sim: the deterministic world
//!
//! The simulated etcd, API server and containerd, the node, the network between the kubelet and the
//! API server, the event queue with its virtual clock, the one seeded rng, the fault catalog, the
//! checker and the trace (see DESIGN.md). Every component is a plain state machine; the [`world`]
//! delivers their messages, owns time and chance, and injects faults.

#![deny(missing_docs)]

pub mod apiserver;
pub mod checker;
pub mod churn;
pub mod containerd;
pub mod coverage;
pub mod etcd;
pub mod events;
pub mod expect;
pub mod faults;
pub mod generate;
pub mod generate_lifecycle;
pub mod generate_restart_all;
pub mod harness;
pub mod history;
pub mod input;
pub mod link;
pub mod locate;
pub mod node;
pub mod node_setup;
pub mod pod_resize;
pub mod report;
pub mod report_html;
pub mod rng;
pub mod scenario;
pub mod shrink;
pub mod trace;
pub mod world;
