//! The kubelet's steps, per pod, in order: its decisions and the runtime calls that change the
//! runtime, told without the runtime's ids (a container by its name, a sandbox by its attempt), so
//! that a run on containerd can be compared with a simulated one step by step (`podsim conform`).
//!
//! Left out, because their number or place depends on timing rather than on the kubelet's rules:
//! lists and status reads, image pulls (a real run finds its images imported), removals (the
//! garbage collector's period), containers not started for a backoff (one each sync), and a
//! worker state the pod is already in.

use std::collections::BTreeMap;

use serde::Serialize;

use podsim_model::io::{CriReply, CriRequest, Decision};
use podsim_model::Millis;

use super::describe::describe_decision;

/// Steps are kept for at most this many pods, and this many steps a pod (a limit on memory).
const MAX_PODS: usize = 1_000;
/// See [`MAX_PODS`].
const MAX_STEPS_PER_POD: usize = 10_000;

/// One step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// When (run milliseconds).
    pub t: Millis,
    /// What, in words without ids.
    pub what: String,
}

/// The steps of a run, by pod UID.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StepLog {
    /// Per pod UID, its steps in order.
    pub pods: BTreeMap<String, Vec<Step>>,
    /// Container id -> (pod UID, container name).
    #[serde(skip)]
    containers: BTreeMap<String, (String, String)>,
    /// Sandbox id -> (pod UID, attempt).
    #[serde(skip)]
    sandboxes: BTreeMap<String, (String, u32)>,
    /// The last worker state of each pod.
    #[serde(skip)]
    workers: BTreeMap<String, String>,
}

impl StepLog {
    fn push(&mut self, pod: &str, t: Millis, what: String) {
        if !self.pods.contains_key(pod) && self.pods.len() >= MAX_PODS {
            return;
        }
        let steps = self.pods.entry(pod.to_string()).or_default();
        if steps.len() < MAX_STEPS_PER_POD {
            steps.push(Step { t, what });
        }
    }

    /// A decision of the kubelet.
    pub fn on_decision(&mut self, t: Millis, d: &Decision) {
        match d {
            Decision::Planned { pod_uid, .. } | Decision::SyncFailed { pod_uid, .. } => {
                let text = describe_decision(d);
                let what = text.strip_prefix(&format!("{pod_uid}: ")).unwrap_or(&text).to_string();
                self.push(pod_uid, t, what);
            }
            Decision::Worker { pod_uid, state } => {
                let state = format!("worker {state:?}");
                if self.workers.get(pod_uid) != Some(&state) {
                    self.workers.insert(pod_uid.clone(), state.clone());
                    self.push(pod_uid, t, state);
                }
            }
            Decision::NotStarted { .. } => {}
        }
    }

    /// A runtime call as it is made.
    pub fn on_cri_call(&mut self, t: Millis, request: &CriRequest) {
        let (pod, what) = match request {
            CriRequest::RunPodSandbox { config } => {
                (config.pod.uid.to_string(), format!("RunPodSandbox attempt {}", config.attempt))
            }
            CriRequest::CreateContainer { config, .. } => (
                config.pod.uid.to_string(),
                format!("CreateContainer {} restart {}", config.name, config.restart_count),
            ),
            CriRequest::StartContainer { container_id } => match self.containers.get(container_id.as_str()) {
                Some((pod, name)) => (pod.clone(), format!("StartContainer {name}")),
                None => return,
            },
            CriRequest::StopContainer { container_id, timeout_seconds } => match self
                .containers
                .get(container_id.as_str())
            {
                Some((pod, name)) => (pod.clone(), format!("StopContainer {name} grace {timeout_seconds}s")),
                None => return,
            },
            CriRequest::StopPodSandbox { sandbox_id } => match self.sandboxes.get(sandbox_id.as_str()) {
                Some((pod, attempt)) => (pod.clone(), format!("StopPodSandbox attempt {attempt}")),
                None => return,
            },
            _ => return,
        };
        self.push(&pod, t, what);
    }

    /// A runtime reply: what it names (the ids of created and listed sandboxes and containers).
    pub fn on_cri_reply(&mut self, request: &CriRequest, reply: &CriReply) {
        match (request, reply) {
            (CriRequest::RunPodSandbox { config }, CriReply::SandboxCreated { sandbox_id }) => {
                self.sandboxes.insert(sandbox_id.to_string(), (config.pod.uid.to_string(), config.attempt));
            }
            (CriRequest::CreateContainer { config, .. }, CriReply::ContainerCreated { container_id }) => {
                self.containers
                    .insert(container_id.to_string(), (config.pod.uid.to_string(), config.name.to_string()));
            }
            (_, CriReply::Containers(list)) => {
                for c in list.iter() {
                    if let Some(p) = &c.pod {
                        let known = self.containers.get(c.status.id.as_str());
                        if known.is_none_or(|(uid, name)| *uid != p.uid || *name != c.status.name) {
                            self.containers.insert(
                                c.status.id.to_string(),
                                (p.uid.to_string(), c.status.name.to_string()),
                            );
                        }
                    }
                }
            }
            (_, CriReply::Sandboxes(list)) => {
                for s in list.iter() {
                    if let Some(p) = &s.pod {
                        let known = self.sandboxes.get(s.status.id.as_str());
                        if known.is_none_or(|(uid, attempt)| *uid != p.uid || *attempt != s.status.attempt) {
                            self.sandboxes
                                .insert(s.status.id.to_string(), (p.uid.to_string(), s.status.attempt));
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Where two runs' steps first part, within the tolerances.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// The pod (UID).
    pub pod: String,
    /// The index of the first step that differs (among the steps with repeats left out).
    pub index: usize,
    /// The simulator's step there (None: it had no more).
    pub simulator: Option<Step>,
    /// containerd's step there (None: it had no more).
    pub containerd: Option<Step>,
}

/// How far two runs' steps may differ and still conform.
#[derive(Clone, Copy, Debug)]
pub struct StepTolerance {
    /// The run's end: where one side has more steps than the other, those made within `slack` of
    /// the end are not counted (a wall-clock run lags the virtual one by a little).
    pub end: Millis,
    /// See `end`.
    pub slack: Millis,
    /// How many more container starts one side may have made at its end (a crash loop's restarts
    /// drift with timing: the scenario's restart tolerance).
    pub restarts: u32,
}

/// The first place where the two runs' steps differ beyond the tolerance (None: they conform). A
/// step repeated at once counts once (a plan the kubelet makes again at each sync while a backoff
/// holds the container back: how many syncs fall in the backoff is timing). The steps must agree
/// one for one as far as both go; past that, the longer side may have made only steps within the
/// slack of the end, or at most `restarts` container starts.
pub fn first_divergence(sim: &StepLog, real: &StepLog, tolerance: StepTolerance) -> Option<Divergence> {
    let pods: std::collections::BTreeSet<&String> = sim.pods.keys().chain(real.pods.keys()).collect();
    let empty = Vec::new();
    for pod in pods {
        let a = without_repeats(sim.pods.get(pod).unwrap_or(&empty));
        let b = without_repeats(real.pods.get(pod).unwrap_or(&empty));
        let (a, b) = (&a, &b);
        let common = a.iter().zip(b).position(|(x, y)| !same_step(x, y));
        let index = match common {
            Some(i) => i,
            None if a.len() == b.len() => continue,
            None => {
                let shorter = a.len().min(b.len());
                let tail = if a.len() > b.len() { &a[shorter..] } else { &b[shorter..] };
                if tail_is_tolerated(tail, tolerance) {
                    continue;
                }
                shorter
            }
        };
        return Some(Divergence {
            pod: pod.clone(),
            index,
            simulator: a.get(index).cloned(),
            containerd: b.get(index).cloned(),
        });
    }
    None
}

/// Whether the real run's step `real` is the simulated run's `sim`: the same words; or the same
/// container's `StopContainer` with a grace period shorter by at most the whole seconds the real step
/// came later. A container stopped after others (a sidecar after the regular containers, a kill
/// that waits for a preStop hook) gets what is left of the pod's grace period (`gracePeriod -
/// time since the kill began`, in whole seconds), and real containers take wall time to exit where
/// simulated ones exit at once.
fn same_step(sim: &Step, real: &Step) -> bool {
    if sim.what == real.what {
        return true;
    }
    let (Some((a, grace_a)), Some((b, grace_b))) = (stop_with_grace(&sim.what), stop_with_grace(&real.what))
    else {
        return false;
    };
    let lag_seconds = real.t.saturating_sub(sim.t).div_ceil(1_000);
    a == b && grace_b <= grace_a && grace_a - grace_b <= lag_seconds
}

/// `StopContainer NAME grace Ns`: the name and N.
fn stop_with_grace(what: &str) -> Option<(&str, u64)> {
    let (name, grace) = what.strip_prefix("StopContainer ")?.rsplit_once(" grace ")?;
    Some((name, grace.strip_suffix('s')?.parse().ok()?))
}

/// The steps with each step repeated at once left out.
fn without_repeats(steps: &[Step]) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::with_capacity(steps.len());
    for s in steps {
        if out.last().is_none_or(|last| last.what != s.what) {
            out.push(s.clone());
        }
    }
    out
}

/// Whether the steps one side made past the other's last are within the tolerance.
fn tail_is_tolerated(tail: &[Step], tolerance: StepTolerance) -> bool {
    let late = |s: &Step| s.t + tolerance.slack >= tolerance.end;
    let starts = tail.iter().filter(|s| !late(s) && s.what.starts_with("StartContainer ")).count();
    let other = tail.iter().filter(|s| !late(s) && !s.what.starts_with("StartContainer ")).count();
    let restart_cycles_only = other <= 3 * starts;
    tail.iter().all(late) || (starts as u32 <= tolerance.restarts && restart_cycles_only)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(steps: &[(Millis, &str)]) -> StepLog {
        let mut l = StepLog::default();
        for (t, what) in steps {
            l.push("u", *t, what.to_string());
        }
        l
    }

    const TOL: StepTolerance = StepTolerance { end: 10_000, slack: 2_000, restarts: 0 };

    #[test]
    fn the_same_steps_conform_whatever_their_times() {
        let a = log(&[(0, "RunPodSandbox attempt 0"), (5, "StartContainer app")]);
        let b = log(&[(3, "RunPodSandbox attempt 0"), (90, "StartContainer app")]);
        assert_eq!(first_divergence(&a, &b, TOL), None);
    }

    /// A sidecar stopped after the app: on containerd the app took 1.3 s to exit, so the sidecar got
    /// 4 s of the pod's 5 (seen in a conform run of active-deadline-fails-the-pod).
    #[test]
    fn a_later_stop_may_have_the_grace_the_lag_took() {
        let sim = log(&[(7_000, "StopContainer app grace 5s"), (7_000, "StopContainer proxy grace 5s")]);
        let real = log(&[(7_003, "StopContainer app grace 5s"), (8_294, "StopContainer proxy grace 4s")]);
        assert_eq!(first_divergence(&sim, &real, TOL), None);
        // Not more than the lag, not longer than the simulator's, not another container.
        for (t, what) in [(7_900, "StopContainer proxy grace 3s"), (8_294, "StopContainer proxy grace 6s")] {
            let real = log(&[(7_003, "StopContainer app grace 5s"), (t, what)]);
            assert_eq!(first_divergence(&sim, &real, TOL).map(|d| d.index), Some(1), "{what} at {t}");
        }
        let real = log(&[(7_003, "StopContainer app grace 5s"), (8_294, "StopContainer web grace 4s")]);
        assert_eq!(first_divergence(&sim, &real, TOL).map(|d| d.index), Some(1));
    }

    #[test]
    fn a_step_repeated_at_once_counts_once() {
        let a = log(&[(0, "plan start=[0]"), (10, "plan start=[0]"), (20, "StartContainer app")]);
        let b = log(&[(0, "plan start=[0]"), (20, "StartContainer app")]);
        assert_eq!(first_divergence(&a, &b, TOL), None);
    }

    #[test]
    fn the_first_different_step_is_the_divergence() {
        let a = log(&[(0, "RunPodSandbox attempt 0"), (5, "StartContainer app"), (6, "StartContainer web")]);
        let b = log(&[(0, "RunPodSandbox attempt 0"), (5, "StartContainer web"), (6, "StartContainer app")]);
        let d = first_divergence(&a, &b, TOL).expect("differs");
        assert_eq!(d.index, 1);
        assert_eq!(d.simulator.map(|s| s.what), Some("StartContainer app".to_string()));
    }

    #[test]
    fn extra_steps_near_the_end_or_within_the_restart_tolerance_are_tolerated() {
        let a = log(&[(0, "StartContainer app"), (9_500, "StopContainer app grace 30s")]);
        let b = log(&[(0, "StartContainer app")]);
        assert_eq!(first_divergence(&a, &b, TOL), None, "within the slack of the end");
        let early = log(&[
            (0, "StartContainer app"),
            (4_000, "CreateContainer app restart 1"),
            (4_000, "StartContainer app"),
        ]);
        assert!(first_divergence(&early, &b, TOL).is_some(), "an extra restart with no tolerance");
        let one = StepTolerance { restarts: 1, ..TOL };
        assert_eq!(first_divergence(&early, &b, one), None, "one restart tolerated");
    }
}
