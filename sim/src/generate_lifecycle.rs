//! Lifecycle hooks and active deadlines in generated worlds (model/src/kubelet/hooks.rs, kill.rs,
//! active_deadline.rs):
//! - each container (init, sidecar or regular) gets, now and then, a preStop `sleep` of up to 5 s
//!   (never above the pod's grace period, as validation requires) or a preStop `tcpSocket` (a hook
//!   that fails: FailedPreStopHook, and the kill goes on), and a postStart `sleep` of up to 3 s (neither sleep above the grace period) or,
//!   rarely, a postStart `tcpSocket` (a hook that always fails: the container is killed at every
//!   start);
//! - from a draw of its own, a container without a preStop or postStart hook gets, now and then, an
//!   exec hook (`workload exit-after D CODE`, run through the CRI's ExecSync): a preStop that takes
//!   up to 6 s (beyond a short grace period it is abandoned), a postStart that takes up to 3 s; a
//!   few exit non-zero (FailedPreStopHook; FailedPostStartHook and a kill at every start);
//! - a sixth of the pods get an `activeDeadlineSeconds` of 5 s to 2 min.
//!
//! Together with the sidecars the generator draws, pods killed whole exercise the sidecar
//! termination ordering and its shared grace period. The draw has an rng of its own, derived from the
//! world's seed and the pod's name (as generate_restart_all.rs does), so that every other draw of a
//! world stays what it was, and a pod's updates keep what was drawn.

use serde_json::{json, Value};

use crate::rng::SimRng;

/// The share of containers with a preStop hook, and of those, with one that fails.
const PRE_STOP_SHARE: f64 = 0.2;
const PRE_STOP_FAILS: f64 = 0.2;
/// The share of containers with a postStart hook, and of those, with one that fails.
const POST_START_SHARE: f64 = 0.15;
const POST_START_FAILS: f64 = 0.1;
/// The share of containers (of those without such a hook) given an exec preStop or postStart hook,
/// the share of those that exit non-zero, and the longest each takes, in milliseconds.
const EXEC_PRE_STOP_SHARE: f64 = 0.1;
const EXEC_POST_START_SHARE: f64 = 0.08;
const EXEC_FAILS: f64 = 0.2;
const EXEC_PRE_STOP_MAX_MS: u64 = 6_000;
const EXEC_POST_START_MAX_MS: u64 = 3_000;
/// The share of pods with an active deadline, and its bounds in seconds.
const DEADLINE_SHARE: f64 = 1.0 / 6.0;
const DEADLINE_SECONDS: (u64, u64) = (5, 120);

/// The rng of a draw (`salt`) for pod `name` in the world of `seed`.
fn draw_rng(seed: u64, name: &str, salt: u64) -> SimRng {
    let name_hash =
        name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    SimRng::new(seed ^ salt ^ name_hash)
}

/// Gives some of the pod's containers hooks; `grace_seconds` is the pod's grace period.
pub fn maybe_add_hooks(seed: u64, pod_name: &str, grace_seconds: i64, lists: [&mut [Value]; 2]) {
    let mut rng = draw_rng(seed, pod_name, 0x0753_0753_0753_0753);
    let mut exec_rng = draw_rng(seed, pod_name, 0x0e5e_c0e5_ec0e_5ec0);
    for container in lists.into_iter().flat_map(|l| l.iter_mut()) {
        let Some(obj) = container.as_object_mut() else { continue };
        let mut lifecycle = serde_json::Map::new();
        if rng.chance(PRE_STOP_SHARE) {
            let hook = if rng.chance(PRE_STOP_FAILS) {
                json!({"tcpSocket": {"port": 8080}})
            } else {
                let most = u64::try_from(grace_seconds.clamp(0, 5)).unwrap_or(0);
                json!({"sleep": {"seconds": rng.below(most + 1)}})
            };
            lifecycle.insert("preStop".into(), hook);
        }
        if rng.chance(POST_START_SHARE) {
            let hook = if rng.chance(POST_START_FAILS) {
                json!({"tcpSocket": {"port": 8080}})
            } else {
                let most = u64::try_from(grace_seconds.clamp(0, 3)).unwrap_or(0);
                json!({"sleep": {"seconds": rng.below(most + 1)}})
            };
            lifecycle.insert("postStart".into(), hook);
        }
        add_exec_hooks(&mut exec_rng, &mut lifecycle);
        if !lifecycle.is_empty() {
            obj.insert("lifecycle".into(), Value::Object(lifecycle));
        }
    }
}

/// From the exec hooks' own rng: an exec preStop and postStart where the container has none, each
/// now and then. Its draws are the same whatever the other hooks are, so a world's other draws
/// stay what they were.
fn add_exec_hooks(rng: &mut SimRng, lifecycle: &mut serde_json::Map<String, Value>) {
    let draws = [
        ("preStop", EXEC_PRE_STOP_SHARE, EXEC_PRE_STOP_MAX_MS),
        ("postStart", EXEC_POST_START_SHARE, EXEC_POST_START_MAX_MS),
    ];
    for (hook, share, max_ms) in draws {
        let wanted = rng.chance(share);
        let fails = rng.chance(EXEC_FAILS);
        let takes = rng.below(max_ms + 1);
        if wanted && !lifecycle.contains_key(hook) {
            let code = if fails { "1" } else { "0" };
            let command = json!(["workload", "exit-after", format!("{takes}ms"), code]);
            lifecycle.insert(hook.into(), json!({"exec": {"command": command}}));
        }
    }
}

/// Gives a sixth of the pods an active deadline.
pub fn maybe_add_deadline(seed: u64, pod_name: &str, spec: &mut serde_json::Map<String, Value>) {
    let mut rng = draw_rng(seed, pod_name, 0x0ad5_0ad5_0ad5_0ad5);
    if rng.chance(DEADLINE_SHARE) {
        spec.insert(
            "activeDeadlineSeconds".into(),
            json!(rng.between(DEADLINE_SECONDS.0, DEADLINE_SECONDS.1)),
        );
    }
}
