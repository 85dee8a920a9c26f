//! Behaviours that `cargo mutants` showed no test pinned (issue 13: survivors with the workspace's
//! tests). The backoff tests fail on the mutants they name (checked by hand: `>` -> `>=` in
//! `Backoff::expired`, `2 * max` -> `2 + max` in `Backoff::new`).
//!
//! Two named survivors are equivalent in podsim's model, and the tests below pin the behaviour around
//! them all the same:
//! - `PodWorker::is_deleted` -> false in the sync's "terminal pod" branch: a sync runs on the version of
//!   the pod it started with, so a deletion seen during it only reaches the worker's next phase, which
//!   tears the pod down either way (both tests pass with the mutant);
//! - `SyncRun::abort_starts` -> (): computePodActions never plans a start after a plain init container
//!   that has not completed (regular containers wait for initialization; one init container starts at
//!   a time), so nothing is left to abort; it mirrors SyncPod's `return` after a failed init start.
//!
//! `Kubelet::has_released` -> true survived because nothing called it: it is removed.

mod common;

use common::{World, NODE};
use podsim_model::backoff::Backoff;
use podsim_model::pod::{EnvSource, EnvVar};
use podsim_model::{Container, Pod, PodPhase, RestartPolicy};

fn exiting(name: &str, image: &str, code: i32) -> Container {
    let mut c = Container::new(name, image);
    c.command = vec!["exit".into(), code.to_string()];
    c
}

/// A pod that finished (Succeeded) and is then deleted is released, and nothing of it is left: a
/// deleted terminal pod is torn down as a deleted pod, not kept as a terminal one whose sandbox is
/// merely stopped.
#[test]
fn a_terminal_pod_deleted_afterwards_is_released() {
    let mut w = World::new();
    let mut p = Pod::new("job", "uid-job", NODE);
    p.spec.restart_policy = RestartPolicy::Never;
    p.spec.containers.push(exiting("app", "app:1", 0));
    w.create_pod(p);
    w.run_for(30_000);
    assert_eq!(w.api.statuses["uid-job"].phase, PodPhase::Succeeded);
    assert!(!w.api.released.contains("uid-job"), "a finished pod is not released before its deletion");
    w.delete_pod("uid-job");
    w.run_for(30_000);
    assert!(w.api.released.contains("uid-job"), "the deleted pod is released");
    assert_eq!(w.anything_left_of("uid-job"), Vec::<String>::new(), "nothing of it is left");
}

/// A pod deleted before its only container finishes, whose container then ends it (Succeeded as it is
/// torn down): it is released all the same.
#[test]
fn a_pod_deleted_while_it_finishes_is_released() {
    let mut w = World::new();
    let mut p = Pod::new("job", "uid-job", NODE);
    p.spec.restart_policy = RestartPolicy::Never;
    let mut c = Container::new("app", "app:1");
    c.command = vec!["exit".into(), "0".into(), "5000".into()];
    p.spec.containers.push(c);
    w.create_pod(p);
    w.run_for(4_000);
    w.delete_pod("uid-job");
    w.run_for(60_000);
    assert!(w.api.released.contains("uid-job"), "the deleted pod is released");
    assert_eq!(w.anything_left_of("uid-job"), Vec::<String>::new());
}

/// A plain init container that cannot start (its Secret is missing) holds back the regular container
/// after it until it has run (computeInitContainerActions).
#[test]
fn a_plain_init_container_that_cannot_start_holds_back_the_regular_containers() {
    let mut w = World::new();
    let mut p = Pod::new("web", "uid-web", NODE);
    let mut init = exiting("setup", "i:1", 0);
    init.env.push(EnvVar {
        name: "TOKEN".into(),
        source: EnvSource::SecretKeyRef { name: "db".into(), key: "t".into(), optional: false },
    });
    p.spec.init_containers.push(init);
    p.spec.containers.push(Container::new("app", "app:1"));
    w.create_pod(p);
    w.run_for(30_000);
    assert!(w.instances("uid-web", "setup").is_empty(), "the init container waits for its Secret");
    assert!(w.instances("uid-web", "app").is_empty(), "the regular container waits for the init container");
    w.create_secret("db");
    w.run_for(30_000);
    assert_eq!(w.instances("uid-web", "setup").len(), 1, "the init container ran once");
    assert!(w.running("uid-web", "app"), "then the regular container runs");
}

/// `Backoff::expired` (`>` -> `>=`): an entry is stale only once MORE than the reset period has
/// passed since its last bump (flowcontrol's `hasExpired`); at exactly the reset period it still holds.
#[test]
fn a_backoff_entry_resets_only_after_more_than_its_reset_period() {
    let reset = 600_000;
    let mut b = Backoff::new(10_000, 300_000).with_reset_after(reset);
    b.next("k", 0, 0);
    b.next("k", 0, 0);
    assert_eq!(b.get("k"), 20_000, "doubled");
    // Exactly the reset period after the last bump: the entry holds (still in backoff since then).
    assert!(b.is_in_backoff_since("k", reset, reset + 1), "at exactly the reset period it holds");
    // One millisecond more: stale, so not in backoff, and the next bump starts over.
    assert!(!b.is_in_backoff_since("k", reset + 1, reset + 2), "past the reset period it is stale");
    b.next("k", reset + 1, reset + 1);
    assert_eq!(b.get("k"), 10_000, "a stale entry starts over at the initial delay");
}

/// `Backoff::new`'s default reset period is twice the maximum (`2 * max`, not `2 + max`).
#[test]
fn the_default_reset_period_is_twice_the_maximum() {
    let mut b = Backoff::new(1_000, 4_000);
    b.next("k", 0, 0);
    b.next("k", 0, 0);
    assert_eq!(b.get("k"), 2_000);
    assert!(b.is_in_backoff_since("k", 8_000, 8_001), "8 s (2 x 4 s) after the bump it holds");
    assert!(!b.is_in_backoff_since("k", 8_001, 8_002), "past 2 x max it is stale");
    assert_eq!(b.reset_after(), 8_000);
}
