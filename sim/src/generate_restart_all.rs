//! Container restart policies and rules in generated worlds (ContainerRestartRules, KEP-5307, and
//! RestartAllContainers, KEP-5532):
//! - a quarter of the pods get one regular container with the rule "RestartAllContainers on exit code
//!   1 (or 2)", codes that its workload or a random `containerCrash` fault (1, 2 or 137) can give. A
//!   rule needs a container restart policy: the container gets the pod's, so that the rule is the only
//!   thing that differs from a world without it;
//! - a fifth of the pods get one other regular container with a restart policy of its own (any of the
//!   three, whatever the pod's), half of those with a rule "Restart on exit code 1 (or 137)" too.
//!
//! The draw has an rng of its own, derived from the world's seed and the pod's name, so that every
//! other draw of a generated world is what it was without it (the worlds of a seed stay the same but
//! for the rules), and a pod's updates keep the rule (restart rules are immutable).

use serde_json::{json, Value};

use crate::rng::SimRng;

/// The share of pods that get a rule.
const SHARE: f64 = 0.25;
/// The exit codes a rule restarts the pod on.
const CODES: [i32; 2] = [1, 2];

/// The share of pods that get a container with a restart policy of its own.
const OWN_POLICY_SHARE: f64 = 0.2;
/// The exit codes an own Restart rule restarts the container on.
const RESTART_CODES: [i32; 2] = [1, 137];
/// The container restart policies.
const POLICIES: [&str; 3] = ["Always", "OnFailure", "Never"];

/// The rng of a draw (`salt`) for pod `name` in the world of `seed`.
fn rule_rng(seed: u64, name: &str, salt: u64) -> SimRng {
    // FNV-1a of the name: stable across runs and platforms.
    let name_hash =
        name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    SimRng::new(seed ^ salt ^ name_hash)
}

/// Gives one of `containers` (a pod's regular containers, as manifests) a RestartAllContainers rule,
/// for a quarter of the pods.
pub fn maybe_add_rule(seed: u64, pod_name: &str, pod_policy: &str, containers: &mut [Value]) {
    let mut rng = rule_rng(seed, pod_name, 0x5532_5532_5532_5532);
    if containers.is_empty() || !rng.chance(SHARE) {
        return;
    }
    let index = rng.below(containers.len() as u64) as usize;
    let code = *rng.pick(&CODES).expect("not empty");
    let Some(container) = containers[index].as_object_mut() else { return };
    container.insert("restartPolicy".into(), json!(pod_policy));
    container.insert(
        "restartPolicyRules".into(),
        json!([{"action": "RestartAllContainers", "exitCodes": {"operator": "In", "values": [code]}}]),
    );
}

/// Gives one regular container of a fifth of the pods a restart policy of its own (one that has no
/// rule yet), and half of those a Restart rule, from a draw of their own.
pub fn maybe_add_own_policy(seed: u64, pod_name: &str, containers: &mut [Value]) {
    let mut rng = rule_rng(seed, pod_name, 0x5307_5307_5307_5307);
    if containers.is_empty() || !rng.chance(OWN_POLICY_SHARE) {
        return;
    }
    let index = rng.below(containers.len() as u64) as usize;
    let policy = *rng.pick(&POLICIES).expect("not empty");
    let rule = rng.chance(0.5).then(|| *rng.pick(&RESTART_CODES).expect("not empty"));
    let Some(container) = containers[index].as_object_mut() else { return };
    if container.contains_key("restartPolicyRules") {
        return;
    }
    container.insert("restartPolicy".into(), json!(policy));
    if let Some(code) = rule {
        container.insert(
            "restartPolicyRules".into(),
            json!([{"action": "Restart", "exitCodes": {"operator": "In", "values": [code]}}]),
        );
    }
}
