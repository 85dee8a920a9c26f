//! The model crate's proptest properties, each named after the rule it checks: the plan
//! (`prop_pod_actions`) and the whole `Kubelet` against an obedient world (`prop_kubelet`).
//!
//! A second test binary beside `tests/cases/`, run after it (see there why).

#[path = "../cases/common/mod.rs"]
mod common;

mod prop_kubelet;
mod prop_pod_actions;
