//! What the checker remembers of a run, in one place the rules read: every spec a pod has had, what
//! the kubelet was shown (deletions, Secrets), which containers the kubelet stopped and how each
//! container last ended. Rules judge an observation on what was known before it; the memory takes the
//! observation in afterwards.

use std::collections::{BTreeMap, BTreeSet};

use podsim_model::io::{CriReply, CriRequest};
use podsim_model::{Millis, Pod};

use super::observation::Observation;
use super::restart_all;
use super::runtime::RuntimeFacts;
use super::View;

/// How a container instance ended, as far as the checker saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ended {
    /// It exited on its own (workload, crash, OOM), not by a stop or a reboot.
    pub by_itself: bool,
    /// Its exit code.
    pub exit_code: i32,
    /// The sandbox it ran in.
    pub sandbox_id: String,
}

/// The checker's shared memory.
#[derive(Clone, Debug, Default)]
pub struct Memory {
    /// The kubelet's node.
    node_name: String,
    /// Each pod's `namespace/name`, by UID, as its specs showed it.
    names: BTreeMap<String, String>,
    /// Every spec hash each container of each pod has had: (pod uid, container name) -> hashes.
    spec_hashes: BTreeMap<(String, String), BTreeSet<u64>>,
    /// Containers the kubelet asked to stop (or whose sandbox it stopped), or a reboot killed.
    stop_requested: BTreeSet<String>,
    /// Containers the kubelet asked to stop after they had exited: its sync read them as running.
    stopped_after_exit: BTreeSet<String>,
    /// The last ended instance of each (pod uid, container name).
    last_end: BTreeMap<(String, String), Ended>,
    /// Per pod UID: the deletion grace period the kubelet has been shown (it may act on no more),
    /// and when it was first shown a deletion.
    seen_deletion: BTreeMap<String, (i64, Millis)>,
    /// Kills the kubelet planned within a sync and has not finished: per (pod uid, container name),
    /// or per (pod uid, "") for the whole pod, when it planned the kill (the earliest still open).
    kill_planned: BTreeMap<(String, String), (Millis, Option<i64>)>,
    /// Containers (pod UID, name) the pod's last plan killed while they ran AND started again: the
    /// kubelet restarts a container whose spec changed whatever its restart policy
    /// (`computePodActions`: "Restart regardless of the restart policy because the container spec
    /// changed"), even if it exits by itself before its stop.
    restart_planned: BTreeSet<(String, String)>,
    /// Per pod UID: when the kubelet was first shown the pod (no start time of the kubelet's can be
    /// earlier).
    first_seen: BTreeMap<String, Millis>,
    /// Per Secret: whether the kubelet's latest read found it.
    seen_secret: BTreeMap<(String, String), bool>,
    /// Per pod UID: the container that exited on its own matching a RestartAllContainers rule, while
    /// the in-place restart it triggered has not yet created it again (restart_all.rs).
    restart_all_pending: BTreeMap<String, String>,
}

impl Memory {
    /// The memory of a checker of the kubelet of `node_name`.
    pub fn new(node_name: &str) -> Memory {
        Memory { node_name: node_name.to_string(), ..Memory::default() }
    }

    /// The kubelet's node.
    pub fn node_name(&self) -> &str {
        &self.node_name
    }

    /// The pod's `namespace/name`, if a spec of it was seen.
    pub fn pod_name(&self, pod_uid: &str) -> Option<&str> {
        self.names.get(pod_uid).map(String::as_str)
    }

    /// Whether the container of the pod has had more than one spec.
    pub fn spec_changed(&self, pod_uid: &str, container: &str) -> bool {
        self.spec_hashes.get(&(pod_uid.to_string(), container.to_string())).is_some_and(|h| h.len() > 1)
    }

    /// Whether the kubelet stopped the container (or its sandbox), or a reboot killed it.
    pub fn stop_requested(&self, container_id: &str) -> bool {
        self.stop_requested.contains(container_id)
    }

    /// Whether the kubelet asked to stop the container after it had exited: the sync that did read
    /// it as running (it kills only running containers), so its `doBackOff` saw no exit of it.
    pub fn stopped_after_exit(&self, container_id: &str) -> bool {
        self.stopped_after_exit.contains(container_id)
    }

    /// How the newest ended instance of the pod's container ended.
    pub fn last_end(&self, pod_uid: &str, container: &str) -> Option<&Ended> {
        self.last_end.get(&(pod_uid.to_string(), container.to_string()))
    }

    /// The shortest deletion grace period the kubelet was shown for the pod, once it saw a deletion.
    pub fn seen_deletion(&self, pod_uid: &str) -> Option<i64> {
        self.seen_deletion.get(pod_uid).map(|&(grace, _)| grace)
    }

    /// Whether the pod's `activeDeadlineSeconds` may have passed: that long after the kubelet was
    /// first shown the pod (its start time is no earlier).
    pub fn active_deadline_may_have_passed(&self, pod: &Pod, now: Millis) -> bool {
        let (Some(seconds), Some(&seen)) = (pod.spec.active_deadline_seconds, self.first_seen.get(&pod.uid))
        else {
            return false;
        };
        now >= seen.saturating_add(u64::try_from(seconds).unwrap_or(0).saturating_mul(1000))
    }

    /// When the kubelet was first shown the pod's deletion.
    pub fn seen_deletion_at(&self, pod_uid: &str) -> Option<Millis> {
        self.seen_deletion.get(pod_uid).map(|&(_, at)| at)
    }

    /// Whether the kubelet's latest read of the Secret found it (`None`: it never read it).
    pub fn seen_secret(&self, namespace: &str, name: &str) -> Option<bool> {
        self.seen_secret.get(&(namespace.to_string(), name.to_string())).copied()
    }

    /// Whether the pod is restarting all its containers in place: from the exit that triggered it
    /// until that container is created again (a sync that began before the trigger's exit may still
    /// create others). Meanwhile every container may be stopped and may run again.
    pub fn restarting_all(&self, pod_uid: &str) -> bool {
        self.restart_all_pending.contains_key(pod_uid)
    }

    /// Takes in what happened.
    pub fn take_in(&mut self, now: Millis, observation: &Observation<'_>) {
        match observation {
            Observation::Spec(pod) => self.learn_spec(pod),
            Observation::KubeletSawPod(pod) => self.learn_seen_pod(now, pod),
            Observation::KubeletSawSecret { namespace, name, exists } => {
                self.seen_secret.insert((namespace.to_string(), name.to_string()), *exists);
            }
            Observation::Reboot { view } => {
                let running = view.containerd.containers().filter(|c| c.runs());
                self.stop_requested.extend(running.map(|c| c.status.id.to_string()));
            }
            Observation::Exit { container_id, view } => self.learn_exit(container_id, view),
            Observation::BeforeCri { request, view } => {
                self.learn_kill_done(request);
                self.learn_stop_request(request, view.containerd);
                self.learn_restart_all_done(request);
            }
            Observation::AfterCri { request, reply, view } => {
                self.learn_stopped(request, reply, view.containerd)
            }
            Observation::RestartPlanned { pod_uid, containers } => {
                self.restart_planned.retain(|(uid, _)| uid != pod_uid);
                self.restart_planned.extend(containers.iter().map(|c| (pod_uid.to_string(), c.clone())));
            }
            Observation::KillPlanned { pod_uid, whole_pod, containers, grace_seconds } => {
                self.learn_kill_planned(now, pod_uid, *whole_pod, containers, *grace_seconds)
            }
            Observation::KubeletStart => self.kill_planned.clear(),
            Observation::Release { .. }
            | Observation::StatusWritten { .. }
            | Observation::Settled { .. }
            | Observation::SettledPod { .. }
            | Observation::Livelock { .. }
            | Observation::Expectations { .. } => {}
        }
    }

    fn learn_spec(&mut self, pod: &Pod) {
        self.names.insert(pod.uid.clone(), pod.full_name());
        for (_, c) in pod.all_containers() {
            self.spec_hashes.entry((pod.uid.clone(), c.name().to_string())).or_default().insert(c.hash());
        }
    }

    /// A kill planned within a sync: the earliest plan still open counts.
    fn learn_kill_planned(
        &mut self,
        now: Millis,
        uid: &str,
        whole_pod: bool,
        containers: &[String],
        grace_seconds: Option<i64>,
    ) {
        let mut open = |name: &str| {
            self.kill_planned.entry((uid.to_string(), name.to_string())).or_insert((now, grace_seconds));
        };
        if whole_pod {
            open("");
        }
        containers.iter().for_each(|c| open(c));
    }

    /// A planned kill is over once the kubelet creates what it killed again: the container (by
    /// name), or for the whole pod a new sandbox.
    fn learn_kill_done(&mut self, request: &CriRequest) {
        let key = match request {
            CriRequest::CreateContainer { config, .. } => {
                (config.pod.uid.to_string(), config.name.to_string())
            }
            CriRequest::RunPodSandbox { config } => (config.pod.uid.to_string(), String::new()),
            _ => return,
        };
        self.kill_planned.remove(&key);
    }

    /// Whether the pod's last plan killed this running container and started it again.
    pub fn restart_planned(&self, pod_uid: &str, container: &str) -> bool {
        self.restart_planned.contains(&(pod_uid.to_string(), container.to_string()))
    }

    /// When the kubelet planned, within a sync, the kill of this container (or of its whole pod)
    /// that has not finished yet, if it did, with the grace period it began with if not the pod's.
    pub fn kill_planned_at(&self, pod_uid: &str, container: &str) -> Option<(Millis, Option<i64>)> {
        let of = |name: &str| self.kill_planned.get(&(pod_uid.to_string(), name.to_string())).copied();
        match (of(container), of("")) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    /// A pod the kubelet was shown: its spec is one the kubelet may act on, and a deletion it shows
    /// is known to the kubelet from now on.
    fn learn_seen_pod(&mut self, now: Millis, pod: &Pod) {
        self.learn_spec(pod);
        self.first_seen.entry(pod.uid.clone()).or_insert(now);
        if pod.deletion_timestamp.is_some() {
            let grace = pod.grace_period_seconds().max(1);
            let e = self.seen_deletion.entry(pod.uid.clone()).or_insert((grace, now));
            e.0 = e.0.min(grace);
        }
    }

    /// A container stopped running: by itself, unless the kubelet asked for it.
    fn learn_exit(&mut self, container_id: &str, view: &View<'_>) {
        let Some(c) = view.containerd.container(container_id) else { return };
        let Some(pod) = c.pod else { return };
        let by_itself = !self.stop_requested.contains(container_id);
        if by_itself && restart_all::triggers(view, &pod.uid, &c.status.name, c.status.exit_code) {
            self.restart_all_pending.insert(pod.uid.to_string(), c.status.name.to_string());
        }
        let ended =
            Ended { by_itself, exit_code: c.status.exit_code, sandbox_id: c.status.sandbox_id.to_string() };
        self.last_end.insert((pod.uid.to_string(), c.status.name.to_string()), ended);
    }

    /// The container that triggered an in-place restart is created again: the restart is over, and
    /// the pod's containers start over (no earlier end counts against them).
    fn learn_restart_all_done(&mut self, request: &CriRequest) {
        let CriRequest::CreateContainer { config, .. } = request else { return };
        let uid = &config.pod.uid;
        if self.restart_all_pending.get(uid.as_str()).is_some_and(|name| *name == config.name) {
            self.restart_all_pending.remove(uid.as_str());
            self.last_end.retain(|(pod_uid, _), _| pod_uid != uid);
        }
    }

    /// The kubelet stops a running container, or a sandbox with its running containers.
    fn learn_stop_request(&mut self, request: &CriRequest, runtime: &dyn RuntimeFacts) {
        match request {
            // Only a running process can be stopped; stopping an exited one changes nothing.
            CriRequest::StopContainer { container_id, .. }
                if runtime.container(container_id).is_some_and(|c| c.runs()) =>
            {
                self.stop_requested.insert(container_id.to_string());
            }
            CriRequest::StopContainer { container_id, .. } => {
                self.stopped_after_exit.insert(container_id.to_string());
            }
            CriRequest::StopPodSandbox { sandbox_id } => {
                let running = runtime.containers().filter(|c| c.status.sandbox_id == *sandbox_id && c.runs());
                self.stop_requested.extend(running.map(|c| c.status.id.to_string()));
            }
            _ => {}
        }
    }

    /// A SIGTERM-obeying process ended at its stop: remembered as stopped, not self-ended.
    fn learn_stopped(&mut self, request: &CriRequest, reply: &CriReply, runtime: &dyn RuntimeFacts) {
        let (CriRequest::StopContainer { container_id, .. }, CriReply::Ok) = (request, reply) else { return };
        if !self.stop_requested.contains(container_id.as_str()) {
            return;
        }
        let Some(c) = runtime.container(container_id) else { return };
        let Some(pod) = c.pod.filter(|_| c.status.state == podsim_model::ContainerState::Exited) else {
            return;
        };
        let ended = Ended {
            by_itself: false,
            exit_code: c.status.exit_code,
            sandbox_id: c.status.sandbox_id.to_string(),
        };
        self.last_end.insert((pod.uid.to_string(), c.status.name.to_string()), ended);
    }
}
