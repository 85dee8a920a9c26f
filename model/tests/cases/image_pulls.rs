//! The image puller (pkg/kubelet/images/puller.go) in the `Kubelet` against the obedient world: the
//! kubelet's default serialises the pulls of every pod (`serializeImagePulls: true`); with it off,
//! `maxParallelImagePulls` bounds how many run at once, and without that nothing does.
//!
//! Each pod here has its own image, so that no pull finds another's image already present; an
//! image's pull takes the latency the test gives it.

use crate::common;

use common::{World, NODE};
use podsim_model::{Container, KubeletConfig, Millis, Pod};

fn pod(name: &str) -> Pod {
    let mut p = Pod::new(name, format!("uid-{name}"), NODE);
    p.spec_mut().containers.push(Container::new("app", format!("{name}:1")));
    p
}

fn world(serialize: bool, max_parallel: Option<i32>) -> World {
    let mut config = KubeletConfig::new(NODE);
    config.serialize_image_pulls = serialize;
    config.max_parallel_image_pulls = max_parallel;
    config.validate().expect("valid settings");
    World::with_config(config)
}

/// When the pull of each pod's image was asked of the runtime.
fn pull_times(w: &World, names: &[&str]) -> Vec<Option<Millis>> {
    names
        .iter()
        .map(|n| w.rt.pulls.iter().find(|(_, image)| *image == format!("{n}:1")).map(|(t, _)| *t))
        .collect()
}

#[test]
fn by_default_the_second_pull_waits_for_the_first_to_end() {
    let mut w = world(true, None);
    w.rt.pull_latency.insert("big:1".into(), 45_000);
    w.rt.pull_latency.insert("small:1".into(), 30_000);
    w.create_pod(pod("big"));
    w.run_until(20_000);
    w.create_pod(pod("small"));
    w.run_until(120_000);
    let [Some(big), Some(small)] = pull_times(&w, &["big", "small"])[..] else {
        panic!("both images were pulled: {:?}", w.rt.pulls)
    };
    assert!(big < 20_000, "big's pull starts at once: {big}");
    assert_eq!(small, big + 45_000, "small's pull starts when big's reply comes");
    let started = w.start_times("uid-small", "app");
    let pulled = small + 30_000;
    assert!(
        started.len() == 1 && (pulled..pulled + 10).contains(&started[0]),
        "small starts once its pull ends at {pulled}: {started:?}"
    );
    assert!(w.running("uid-big", "app") && w.running("uid-small", "app"));
}

#[test]
fn a_limit_of_two_starts_the_third_pull_when_one_ends() {
    let mut w = world(false, Some(2));
    for (name, latency) in [("a", 10_000), ("b", 20_000), ("c", 5_000)] {
        w.rt.pull_latency.insert(format!("{name}:1"), latency);
        w.create_pod(pod(name));
    }
    w.run_until(60_000);
    let [Some(a), Some(b), Some(c)] = pull_times(&w, &["a", "b", "c"])[..] else {
        panic!("every image was pulled: {:?}", w.rt.pulls)
    };
    assert!(a.abs_diff(b) < 100, "two pulls run at once: {a} {b}");
    assert_eq!(c, a + 10_000, "the third waits for a token: the first pull's end");
    assert!(["a", "b", "c"].iter().all(|n| w.running(&format!("uid-{n}"), "app")));
}

#[test]
fn without_a_limit_every_pull_starts_at_once() {
    let mut w = world(false, None);
    for name in ["a", "b", "c"] {
        w.rt.pull_latency.insert(format!("{name}:1"), 30_000);
        w.create_pod(pod(name));
    }
    w.run_until(10_000);
    let times = pull_times(&w, &["a", "b", "c"]);
    assert!(times.iter().all(|t| t.is_some_and(|t| t < 100)), "all three pull at once: {times:?}");
}

/// A pod deleted while its pull waits: the request keeps its place; when it comes up, its cancelled
/// context ends it at once, without a pull, and the next pull goes out at the same moment.
#[test]
fn a_pull_of_a_pod_deleted_while_it_waits_ends_when_it_comes_up_without_pulling() {
    let mut w = world(true, None);
    w.rt.pull_latency.insert("big:1".into(), 45_000);
    w.rt.pull_latency.insert("gone:1".into(), 60_000);
    w.create_pod(pod("big"));
    w.run_until(10_000);
    w.create_pod(pod("gone"));
    w.run_until(15_000);
    w.create_pod(pod("last"));
    w.run_until(20_000);
    w.delete_pod("uid-gone");
    w.run_until(30_000);
    assert!(
        !w.sandboxes_of("uid-gone").is_empty(),
        "its sync still waits for the pull, as the kubelet's does"
    );
    w.run_until(200_000);
    let [Some(big), gone, Some(last)] = pull_times(&w, &["big", "gone", "last"])[..] else {
        panic!("big and last were pulled: {:?}", w.rt.pulls)
    };
    assert_eq!(gone, None, "the deleted pod's image is never pulled");
    assert_eq!(last, big + 45_000, "the next pull goes out when big's ends, not after gone's latency");
    assert!(w.anything_left_of("uid-gone").is_empty(), "the deleted pod is torn down");
    assert!(w.running("uid-last", "app"));
}

/// The queue lives in the kubelet's memory: after a restart, a pull that waited behind one in flight
/// goes out as soon as the new kubelet's sync asks for it.
#[test]
fn a_kubelet_restart_loses_the_queue() {
    let mut w = world(true, None);
    w.rt.pull_latency.insert("big:1".into(), 45_000);
    w.create_pod(pod("big"));
    w.run_until(5_000);
    w.create_pod(pod("small"));
    w.run_until(10_000);
    assert_eq!(pull_times(&w, &["small"]), [None], "small waits behind big");
    w.restart_kubelet();
    w.run_until(20_000);
    let [Some(small)] = pull_times(&w, &["small"])[..] else { panic!("small was pulled: {:?}", w.rt.pulls) };
    assert!(small < 20_000, "the new kubelet pulls small without waiting for the old pull: {small}");
}

/// Survivors `model/src/kubelet/image_puller.rs:169:34: replace > with < in Kubelet::queue_pull` and
/// `... replace > with == in Kubelet::queue_pull`. The coverage probe `image.puller_waited` counts the
/// pulls queued behind another: a lone pull never waits; with the default serial puller the second
/// pod's pull waits for the first's once.
#[test]
fn only_a_pull_queued_behind_another_counts_as_waiting() {
    use podsim_model::coverage::Probe;
    let waited = |names: &[&str]| {
        let mut w = world(true, None);
        for name in names {
            w.rt.pull_latency.insert(format!("{name}:1"), 10_000);
            w.create_pod(pod(name));
        }
        w.run_until(60_000);
        assert!(names.iter().all(|n| w.running(&format!("uid-{n}"), "app")), "{names:?} run");
        w.kubelet.probes().count(Probe::PullerWaited)
    };
    assert_eq!(waited(&["big"]), 0);
    assert_eq!(waited(&["big", "small"]), 1);
}
