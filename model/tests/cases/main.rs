//! The model crate's tests by case: the kubelet's own table tests, behaviours against an obedient
//! world, and the pins of `cargo mutants` survivors, one concept a file.
//!
//! They are modules of one test binary (and the proptest properties of a second,
//! `tests/properties/`), so that a change to the model relinks two test programs, not twenty: a
//! mutant of `model/` builds in 2.6 s instead of 3.7 s (BENCHMARKS.md, "Mutation score"). The cases
//! run first, so a mutant they catch does not wait for the properties. One file's tests:
//! `cargo test -p podsim-model --test cases mutation_pins::`.

mod common;
mod kubelet_cases_fixtures;

mod api_status;
mod get_phase_cases;
mod image_pulls;
mod kubelet_behaviour;
mod kubelet_bug_plans;
mod kubelet_cases;
mod kubelet_cases_legacy;
mod kubelet_cases_resize;
mod kubelet_cases_restart_rules;
mod kubelet_events;
mod mutation_pins;
mod pins_kubelet_runtime;
mod pins_kubelet_sync;
mod pins_plan;
mod pins_spec;
mod pins_status;
mod prober_worker_cases;
mod resize_in_progress;
mod restart_all_containers;
mod startup_reconciliation;
mod status_cases;
mod termination_ordering;
