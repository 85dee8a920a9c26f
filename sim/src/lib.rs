//! # podsim-sim: the deterministic world
//!
//! The simulated etcd, API server and containerd, the event queue with its virtual clock, the seeded
//! rng, the fault catalog and the checker (see DESIGN.md). This crate is the next step of the work;
//! it holds nothing yet.
