//! The model crate's proptest properties, each named after the rule it checks: the plan
//! (`prop_pod_actions`) and the whole `Kubelet` against an obedient world (`prop_kubelet`).
//!
//! A second test binary beside `tests/cases/`, run after it (see there why).

#[path = "../cases/common/mod.rs"]
mod common;

mod prop_kubelet;
mod prop_pod_actions;

use proptest::test_runner::RngSeed;

/// The seed of a property's cases: fixed, so that every run of the tests tries the same cases (a
/// failure in CI is one anyone can replay), unless `PROPTEST_RNG_SEED` asks for another to search
/// elsewhere.
fn seed(defaults: &proptest::test_runner::Config) -> RngSeed {
    if std::env::var_os("PROPTEST_RNG_SEED").is_some() {
        defaults.rng_seed
    } else {
        RngSeed::Fixed(0)
    }
}
