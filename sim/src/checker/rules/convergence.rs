//! Liveness, the VOPR way: once the last fault healed and the last change was made, and the bound has
//! passed, the node is where every pod's spec and restart policy ask it to be, and nothing is left of
//! pods the API server does not have (the kubelet's `HandlePodCleanups`, its container GC and
//! `cleanupOrphanedPodDirs`).

use std::collections::{BTreeMap, BTreeSet};

use podsim_model::{Millis, PodPhase};

use super::{Check, Context, Finding};
use crate::checker::liveness::{newest_sandbox_ready, running_containers, DesiredContainer, Goal};
use crate::checker::observation::{Observation, ObservationKind};
use crate::checker::{Rule, View};
use crate::etcd::StoredPod;

/// [`Rule::Convergence`].
pub struct Convergence;

impl Check for Convergence {
    fn rule(&self) -> Rule {
        Rule::Convergence
    }

    fn words(&self) -> &'static str {
        "After the last fault healed, every pod reaches what its spec and restart policy ask within the bound, and nothing is left of pods the API server does not have."
    }

    fn observes(&self) -> &'static [ObservationKind] {
        &[ObservationKind::Settled, ObservationKind::SettledPod]
    }

    fn check(&mut self, observation: &Observation<'_>, _context: &Context<'_>) -> Vec<Finding> {
        match observation {
            Observation::Settled { waited, view } => orphans(*waited, view),
            Observation::SettledPod { stored, goal, waited, view } => {
                pod_converged(stored, goal, *waited, view)
            }
            _ => Vec::new(),
        }
    }
}

/// What the node still has of pods the API server does not have.
fn orphans(waited: Millis, view: &View<'_>) -> Vec<Finding> {
    let pods = view.api.pods();
    let known: BTreeSet<&str> = pods.iter().map(|s| s.pod.uid.as_str()).collect();
    let mut left: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut names: BTreeMap<&str, String> = BTreeMap::new();
    for s in view.containerd.sandboxes() {
        if let Some(p) = s.pod.filter(|p| !known.contains(p.uid.as_str())) {
            left.entry(&p.uid).or_default().push(format!("sandbox {}", s.status.id));
            names.entry(&p.uid).or_insert_with(|| super::shared::full_name(p));
        }
    }
    for c in view.containerd.containers() {
        if let Some(p) = c.pod.filter(|p| !known.contains(p.uid.as_str())) {
            left.entry(&p.uid).or_default().push(format!("container {}", c.status.id));
            names.entry(&p.uid).or_insert_with(|| super::shared::full_name(p));
        }
    }
    for (uid, volume) in view.node.mounts().filter(|(uid, _)| !known.contains(uid)) {
        left.entry(uid).or_default().push(format!("mount {volume}"));
    }
    for uid in view.node.data_dirs().filter(|uid| !known.contains(uid)) {
        left.entry(uid).or_default().push("data directory".to_string());
    }
    left.into_iter()
        .map(|(uid, things)| {
            let detail = format!(
                "pod {uid}, which the API server does not have, still has {things:?} on the node {waited} s after the world settled"
            );
            Finding { pod: names.get(uid).cloned(), detail, at: None }
        })
        .collect()
}

/// Whether the node is where the pod's goal asks.
fn pod_converged(stored: &StoredPod, goal: &Goal, waited: Millis, view: &View<'_>) -> Vec<Finding> {
    let pod = &stored.pod;
    let who = pod.full_name();
    let detail = match goal {
        Goal::Released => format!("{who} was deleted but is not released {waited} s after the world settled"),
        Goal::Unjudged => return Vec::new(),
        Goal::Done(phase) => match done_pod_left_running(*phase, stored, waited, view) {
            Some(detail) => detail,
            None => return Vec::new(),
        },
        Goal::Stranded => {
            let running = running_containers(view, &pod.uid);
            if running.is_empty() {
                return Vec::new();
            }
            format!(
                "{who} lost its sandbox under restartPolicy Never but still runs {running:?} {waited} s after the world settled"
            )
        }
        Goal::Run(desired) => return running_pod_converged(stored, desired, waited, view),
    };
    vec![Finding::of_pod(who, detail)]
}

/// A done pod has no ready sandbox and no running container.
fn done_pod_left_running(
    phase: PodPhase,
    stored: &StoredPod,
    waited: Millis,
    view: &View<'_>,
) -> Option<String> {
    let pod = &stored.pod;
    let running = running_containers(view, &pod.uid);
    let ready_sandbox = view.containerd.sandboxes().any(|s| s.is_of(&pod.uid) && s.is_ready());
    if running.is_empty() && !ready_sandbox {
        return None;
    }
    let what = if running.is_empty() {
        "a ready sandbox".to_string()
    } else {
        format!("running containers {}", running.join(", "))
    };
    Some(format!("{} is {phase:?} but still has {what} {waited} s after the world settled", pod.full_name()))
}

/// A pod still to run: its newest sandbox is ready and every container to run runs its current spec.
fn running_pod_converged(
    stored: &StoredPod,
    desired: &[DesiredContainer],
    waited: Millis,
    view: &View<'_>,
) -> Vec<Finding> {
    let pod = &stored.pod;
    let who = pod.full_name();
    if !newest_sandbox_ready(view, &pod.uid) {
        let detail = format!("{who} has no ready sandbox {waited} s after the world settled");
        return vec![Finding::of_pod(who, detail)];
    }
    let mut out = Vec::new();
    for (c, _) in pod.spec.containers.iter().zip(desired).filter(|(_, want)| **want == DesiredContainer::Run)
    {
        let newest =
            view.containerd.containers().filter(|r| r.is_of(&pod.uid)).find(|r| r.status.name == c.name());
        if newest.is_some_and(|r| r.runs() && r.status.hash == c.hash()) {
            continue;
        }
        let detail = format!(
            "{who}/{} is not running its spec {waited} s after the world settled (runtime: {:?})",
            c.name(),
            newest.map(|r| (r.status.state, r.status.hash == c.hash()))
        );
        out.push(Finding::of_pod(who.clone(), detail));
    }
    out
}
