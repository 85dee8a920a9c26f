//! A scenario's runtime faults realised on the simulated containerd behind `podsim serve-cri`, at
//! their times on the server's clock: the same verbs the simulator's world applies
//! (`sim/src/world.rs`, `realise`), with targets found among what the CRI client made (pods by the
//! kubelet's labels or the sandbox metadata, `namespace/name` or `name` in `default`).
//!
//! There is no kubelet or API server behind `serve-cri`: faults of the network, the API server,
//! etcd, Secrets, the kubelet, mounts and data directories are skipped, each with a note.

use podsim_model::io::PodRef;
use podsim_model::{ContainerState, Millis, SandboxState};
use podsim_sim::containerd::{Containerd, PullFailure};
use podsim_sim::faults::Fault;
use podsim_sim::harness::injected::INJECTED_TIMEOUT;
use podsim_sim::harness::TRANSIENT_FAULT_LIFETIME;
use podsim_sim::rng::SimRng;
use podsim_sim::scenario::{split_name, PullFailureSpec, Scenario};

/// What must be undone later, and when.
#[derive(Clone, Debug, PartialEq)]
pub struct Heal {
    /// When (server clock).
    pub at: Millis,
    /// What.
    pub action: HealAction,
}

/// A runtime fault ending.
#[derive(Clone, Debug, PartialEq)]
pub enum HealAction {
    /// Pulls of the image fail as the registry says again.
    PullsWork {
        /// The image.
        image: String,
        /// How its pulls fail when healthy.
        failure: PullFailure,
    },
    /// Pulls of the image take their normal time again.
    PullLatency {
        /// The image.
        image: String,
        /// The normal latency.
        latency: Millis,
    },
}

/// What a fault did: a line for the trace, and what must be undone later.
#[derive(Clone, Debug, PartialEq)]
pub struct Realised {
    /// What happened, in one line.
    pub text: String,
    /// The heal, if the fault ends by itself.
    pub heal: Option<Heal>,
}

impl Realised {
    fn done(text: String) -> Realised {
        Realised { text, heal: None }
    }
}

/// The runtime faults of a scenario's timeline, in time order.
pub fn runtime_faults(scenario: &Scenario) -> Vec<(Millis, Fault)> {
    scenario
        .timeline
        .iter()
        .filter_map(|(at, action)| match action {
            podsim_sim::scenario::Action::Fault(fault) => Some((*at, fault.clone())),
            _ => None,
        })
        .collect()
}

/// Applies `fault` to the runtime at `now`; a target the fault does not name is drawn from `rng`.
pub fn realise(
    containerd: &mut Containerd,
    now: Millis,
    fault: &Fault,
    rng: &mut SimRng,
    scenario: Option<&Scenario>,
) -> Realised {
    match fault {
        Fault::ContainerCrash { pod, container, exit_code } => {
            match pick_container(containerd, pod.as_deref(), container.as_deref(), rng) {
                Some(id) if containerd.crash_container(now, &id, *exit_code) => {
                    Realised::done(format!("container {id} crashed with exit code {exit_code}"))
                }
                _ => Realised::done(no_target("containerCrash", pod, container)),
            }
        }
        Fault::OomKill { pod, container } => {
            match pick_container(containerd, pod.as_deref(), container.as_deref(), rng) {
                Some(id) if containerd.oom_kill(now, &id) => {
                    Realised::done(format!("container {id} OOM-killed"))
                }
                _ => Realised::done(no_target("oomKill", pod, container)),
            }
        }
        Fault::PauseDeath { pod } => match pick_sandbox(containerd, pod.as_deref(), rng) {
            Some(id) if containerd.kill_pause(now, &id) => {
                Realised::done(format!("pause process of sandbox {id} died"))
            }
            _ => Realised::done(no_target("pauseDeath", pod, &None)),
        },
        Fault::ContainerdRestart { downtime } => {
            containerd.restart(now, now + downtime);
            Realised::done(format!("containerd restarts: down for {downtime} ms"))
        }
        Fault::NodeReboot { downtime } => {
            containerd.reboot(now, now + downtime);
            Realised::done(format!("node reboots: every process dies, containerd down for {downtime} ms"))
        }
        Fault::CriFailure { method, count, timeout } => {
            let until = now + TRANSIENT_FAULT_LIFETIME;
            containerd.fail_calls_until(*method, *count, *timeout, INJECTED_TIMEOUT, until);
            let how = if *timeout { "time out" } else { "fail" };
            Realised::done(format!("the next {count} {} calls {how}", method.name()))
        }
        Fault::ImagePullFailure { image, permanent, failures } => {
            pull_failure(containerd, now, image, *permanent, *failures, scenario)
        }
        Fault::SlowPull { image, latency } => {
            let image = normal(image);
            containerd.set_pull_latency(&image, *latency);
            let normal_latency =
                scenario.and_then(|s| scenario_image(s, &image)).map_or(0, |spec| spec.pull_latency);
            let heal = Heal {
                at: now + TRANSIENT_FAULT_LIFETIME,
                action: HealAction::PullLatency { image: image.clone(), latency: normal_latency },
            };
            Realised { text: format!("pulls of {image} take {latency} ms"), heal: Some(heal) }
        }
        Fault::RemoveImage { image } => {
            let image = normal(image);
            containerd.remove_image(&image);
            Realised::done(format!("image {image} removed"))
        }
        other => Realised::done(format!(
            "{:?} is no runtime fault: serve-cri has no kubelet, API server or node to apply it to; skipped",
            other.kind()
        )),
    }
}

/// `imagePullFailure`: the next `failures` pulls fail (or every pull, if permanent); unused
/// failures expire as in the simulator.
fn pull_failure(
    containerd: &mut Containerd,
    now: Millis,
    image: &str,
    permanent: bool,
    failures: u32,
    scenario: Option<&Scenario>,
) -> Realised {
    let image = normal(image);
    if permanent {
        containerd.set_pull_failure(&image, PullFailure::Permanent);
        return Realised::done(format!("every pull of {image} fails"));
    }
    containerd.set_pull_failure(&image, PullFailure::Transient { failures_left: failures });
    let healthy = match scenario.and_then(|s| scenario_image(s, &image)).map(|spec| spec.failure) {
        Some(PullFailureSpec::Permanent) => PullFailure::Permanent,
        _ => PullFailure::None,
    };
    let heal = Heal {
        at: now + TRANSIENT_FAULT_LIFETIME,
        action: HealAction::PullsWork { image: image.clone(), failure: healthy },
    };
    Realised { text: format!("the next {failures} pulls of {image} fail"), heal: Some(heal) }
}

/// Undoes a fault; one line for the trace.
pub fn heal(containerd: &mut Containerd, action: &HealAction) -> String {
    match action {
        HealAction::PullsWork { image, failure } => {
            containerd.set_pull_failure(image, *failure);
            format!("pulls of {image} work again")
        }
        HealAction::PullLatency { image, latency } => {
            containerd.set_pull_latency(image, *latency);
            format!("pulls of {image} are fast again")
        }
    }
}

/// The scenario's image of a normalised name.
fn scenario_image<'a>(scenario: &'a Scenario, image: &str) -> Option<&'a podsim_sim::scenario::ImageSpec> {
    scenario.images.iter().find(|(name, _)| normal(name) == image).map(|(_, spec)| spec)
}

/// An image name as the server keeps it.
fn normal(image: &str) -> String {
    crate::sim_images::normalize(image).unwrap_or_else(|_| image.to_string())
}

/// Whether an object of `pod` is of the pod a fault names (`namespace/name`, or `name` in
/// `default`); any pod when it names none.
fn is_named_pod(pod: Option<&PodRef>, named: Option<&str>) -> bool {
    match (pod, named) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(pod), Some(named)) => {
            let (namespace, name) = split_name(named);
            pod.namespace == namespace && pod.name == name
        }
    }
}

/// A running container for a fault: the newest of the named pod and container if it names them,
/// else one drawn from the seed.
fn pick_container(
    containerd: &Containerd,
    pod: Option<&str>,
    container: Option<&str>,
    rng: &mut SimRng,
) -> Option<String> {
    let candidates: Vec<String> = containerd
        .containers()
        .filter(|c| c.status.state == ContainerState::Running)
        .filter(|c| is_named_pod(c.pod.as_ref(), pod))
        .filter(|c| container.is_none_or(|name| c.status.name == name))
        .map(|c| c.status.id.to_string())
        .collect();
    pick(candidates, pod.is_some() || container.is_some(), rng)
}

/// A ready sandbox for a fault: the newest of the named pod, else one drawn from the seed.
fn pick_sandbox(containerd: &Containerd, pod: Option<&str>, rng: &mut SimRng) -> Option<String> {
    let candidates: Vec<String> = containerd
        .sandboxes()
        .filter(|s| s.status.state == SandboxState::Ready)
        .filter(|s| is_named_pod(s.pod.as_ref(), pod))
        .map(|s| s.status.id.to_string())
        .collect();
    pick(candidates, pod.is_some(), rng)
}

/// The first candidate if the fault named it, else one drawn from the seed (the harness's rule).
fn pick(candidates: Vec<String>, named: bool, rng: &mut SimRng) -> Option<String> {
    if named {
        return candidates.into_iter().next();
    }
    rng.pick(&candidates).cloned()
}

/// The note of a fault that found nothing to hit.
fn no_target(kind: &str, pod: &Option<String>, container: &Option<String>) -> String {
    let pod = pod.as_deref().unwrap_or("any pod");
    let container = container.as_deref().unwrap_or("any container");
    format!("{kind}: nothing running to hit ({pod}, {container}); skipped")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use podsim_model::io::{ContainerConfig, CriReply, CriRequest, SandboxConfig};
    use podsim_model::ContainerKind;
    use podsim_sim::containerd::RegistryImage;

    use super::*;

    const IMAGE: &str = "docker.io/library/app:1";

    fn pod(name: &str) -> PodRef {
        PodRef { uid: format!("uid-{name}").into(), name: name.into(), namespace: "default".into() }
    }

    fn containerd() -> Containerd {
        let image = RegistryImage { pull_latency: 100, failure: PullFailure::None, workload: None };
        let mut c = Containerd::new(BTreeMap::from([(IMAGE.to_string(), image)]));
        c.preload(IMAGE);
        c
    }

    /// A running container `name` of pod `pod`; returns its id.
    fn running(c: &mut Containerd, pod: &PodRef, name: &str) -> String {
        let mut timers = Vec::new();
        let config = SandboxConfig { pod: pod.clone(), attempt: 0, host_network: true };
        let sandbox_id = match c.handle(0, CriRequest::RunPodSandbox { config }, &mut timers).reply {
            CriReply::SandboxCreated { sandbox_id } => sandbox_id,
            other => panic!("{other:?}"),
        };
        let config = ContainerConfig {
            pod: pod.clone(),
            name: name.into(),
            kind: ContainerKind::Regular,
            image: IMAGE.into(),
            command: vec!["sleep".into()],
            args: Vec::new(),
            hash: 0,
            restart_count: 0,
            attempt: 0,
            resources: None,
        };
        let id = match c.handle(0, CriRequest::CreateContainer { sandbox_id, config }, &mut timers).reply {
            CriReply::ContainerCreated { container_id } => container_id,
            other => panic!("{other:?}"),
        };
        c.handle(0, CriRequest::StartContainer { container_id: id.clone() }, &mut timers);
        id.to_string()
    }

    #[test]
    fn a_named_crash_hits_the_named_container_of_the_named_pod() {
        let mut c = containerd();
        let web = running(&mut c, &pod("web"), "app");
        let db = running(&mut c, &pod("db"), "app");
        let fault =
            Fault::ContainerCrash { pod: Some("web".into()), container: Some("app".into()), exit_code: 3 };
        let done = realise(&mut c, 10, &fault, &mut SimRng::new(0), None);
        assert!(done.text.contains(&web), "{}", done.text);
        let status = &c.container(&web).unwrap().status;
        assert_eq!(
            (status.state, status.exit_code, status.finished_at),
            (ContainerState::Exited, 3, Some(10))
        );
        assert_eq!(c.container(&db).unwrap().status.state, ContainerState::Running);
        let again = realise(&mut c, 20, &fault, &mut SimRng::new(0), None);
        assert!(again.text.contains("skipped"), "nothing of web runs: {}", again.text);
    }

    #[test]
    fn a_pause_death_makes_the_named_pods_sandbox_not_ready() {
        let mut c = containerd();
        running(&mut c, &pod("web"), "app");
        let fault = Fault::PauseDeath { pod: Some("default/web".into()) };
        realise(&mut c, 5, &fault, &mut SimRng::new(0), None);
        assert!(c.sandboxes().all(|s| s.status.state == SandboxState::NotReady));
    }

    #[test]
    fn a_transient_pull_failure_heals_after_the_lifetime() {
        let mut c = containerd();
        let fault = Fault::ImagePullFailure { image: "app:1".into(), permanent: false, failures: 2 };
        let done = realise(&mut c, 1_000, &fault, &mut SimRng::new(0), None);
        let heal_at = done.heal.as_ref().map(|h| h.at);
        assert_eq!(heal_at, Some(1_000 + TRANSIENT_FAULT_LIFETIME));
        let pull = |c: &mut Containerd| {
            c.handle(2_000, CriRequest::PullImage { image: IMAGE.into() }, &mut vec![]).reply
        };
        assert!(matches!(pull(&mut c), CriReply::Err(_)));
        heal(&mut c, &done.heal.unwrap().action);
        assert_eq!(pull(&mut c), CriReply::Ok);
    }

    #[test]
    fn faults_outside_the_runtime_are_skipped_with_a_note() {
        let mut c = containerd();
        let done = realise(&mut c, 0, &Fault::DropWatch, &mut SimRng::new(0), None);
        assert!(done.text.contains("skipped") && done.heal.is_none(), "{}", done.text);
    }

    #[test]
    fn containerd_restart_makes_calls_unavailable_for_the_downtime() {
        let mut c = containerd();
        realise(&mut c, 100, &Fault::ContainerdRestart { downtime: 500 }, &mut SimRng::new(0), None);
        assert!(!c.is_up(599) && c.is_up(600));
    }
}
