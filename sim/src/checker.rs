//! The checker: safety invariants checked at every event that could break them (each CRI call the
//! kubelet makes, each release of a pod, each exit), every one naming the rule it guards; liveness
//! checked the VOPR way once the last fault has healed; and the scenario's expectations.
//!
//! The checker is apart from the model: it re-derives what the kubelet may do from what the world
//! shows (the API server's objects, the runtime, the node), never from the kubelet's memory.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use podsim_model::backoff::Backoff;
use podsim_model::io::{CriReply, CriRequest};
use podsim_model::{ContainerKind, ContainerState, Millis, Pod, PodPhase, SandboxState};

use podsim_model::pod::container_should_restart;

use crate::apiserver::ApiServer;
use crate::containerd::{ContainerRecord, Containerd};
use crate::node::Node;
use crate::scenario::Expectations;

/// The rules the checker guards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Rule {
    /// A container is created only in a ready sandbox of its own pod, so after that sandbox.
    ContainerInOwnReadySandbox,
    /// A container is created only once its pod's data directory, volumes and Secrets are in place.
    PrerequisitesFirst,
    /// A running container whose spec hash matches is stopped only for deletion, a probe failure, a
    /// sandbox change or the pod finishing.
    MatchingContainerKept,
    /// Never restarts no container that exited on its own; OnFailure none that exited 0.
    RestartPolicyHonoured,
    /// Plain init containers run one at a time, in order, and regular containers only after them.
    InitContainersInOrder,
    /// Restart k of a container comes no sooner than the CrashLoopBackOff allows.
    RestartBackoff,
    /// A deleted pod's containers stop before its sandbox.
    ContainersStopBeforeSandbox,
    /// A container of a deleted pod gets its full grace period before SIGKILL.
    GracePeriodHonoured,
    /// Once a pod's API object is released, nothing of it is left on the node.
    NothingLeftBehind,
    /// The kubelet acts only on pods bound to its node.
    OwnNodeOnly,
    /// The kubelet touches only runtime objects it created (with pod labels).
    OwnObjectsOnly,
    /// Liveness: after the last fault healed, every pod reaches its desired state in time.
    Convergence,
    /// Liveness: the API server's status agrees with the node.
    StatusAgrees,
    /// A scenario expectation did not hold.
    Expectation,
}

/// A broken rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// When (virtual ms).
    pub t: Millis,
    /// Which rule.
    pub rule: Rule,
    /// What happened.
    pub detail: String,
}

/// What the checker may look at.
pub struct View<'a> {
    /// The API server.
    pub api: &'a ApiServer,
    /// The runtime.
    pub containerd: &'a Containerd,
    /// The node.
    pub node: &'a Node,
    /// The kubelet's node.
    pub node_name: &'a str,
}

/// How a container instance ended, as far as the checker saw.
#[derive(Clone, Debug)]
struct Ended {
    /// It exited on its own (workload, crash, OOM), not by a stop or a reboot.
    by_itself: bool,
    exit_code: i32,
    /// The sandbox it ran in.
    sandbox_id: String,
}

/// The checker's memory.
#[derive(Clone, Debug)]
pub struct Checker {
    node_name: String,
    violations: Vec<Violation>,
    /// Every spec hash each container of each pod has had: (pod uid, container name) -> hashes.
    spec_hashes: BTreeMap<(String, String), BTreeSet<u64>>,
    /// Containers the kubelet asked to stop (or whose sandbox it stopped).
    stop_requested: BTreeSet<String>,
    /// The last self-ended instance of each (pod uid, container name).
    last_end: BTreeMap<(String, String), Ended>,
    /// The CrashLoopBackOff the kubelet must at least respect, mirrored per (pod, name, hash).
    backoff: Backoff,
    /// That backoff as the kubelet's settings make it, empty (a restarted kubelet starts from it).
    configured_backoff: Backoff,
    /// Per pod UID: the deletion grace period the kubelet has been shown (it may act on no more).
    seen_deletion: BTreeMap<String, i64>,
    /// Per Secret: whether the kubelet's latest read found it.
    seen_secret: BTreeMap<(String, String), bool>,
    /// Per pod UID: the container that exited on its own matching a RestartAllContainers rule, while
    /// the in-place restart it triggered has not yet created it again (checker_restart_all.rs).
    restart_all_pending: BTreeMap<String, String>,
}

impl Checker {
    /// A checker for the kubelet of `node_name` with the kubelet's default CrashLoopBackOff.
    pub fn new(node_name: &str) -> Checker {
        Checker::with_restart_backoff(node_name, Backoff::kubelet_default())
    }

    /// A checker for a kubelet whose CrashLoopBackOff is `restart_backoff` (its settings: initial and
    /// maximum delay, reset period), which restarts must at least respect.
    pub fn with_restart_backoff(node_name: &str, restart_backoff: Backoff) -> Checker {
        Checker {
            configured_backoff: restart_backoff.clone(),
            node_name: node_name.to_string(),
            violations: Vec::new(),
            spec_hashes: BTreeMap::new(),
            stop_requested: BTreeSet::new(),
            last_end: BTreeMap::new(),
            backoff: restart_backoff,
            seen_deletion: BTreeMap::new(),
            seen_secret: BTreeMap::new(),
            restart_all_pending: BTreeMap::new(),
        }
    }

    /// Records a violation.
    pub fn violate(&mut self, t: Millis, rule: Rule, detail: String) {
        // Bounded: a broken rule tends to repeat; 100 are plenty to debug from.
        if self.violations.len() < 100 {
            self.violations.push(Violation { t, rule, detail });
        }
    }

    /// The violations so far.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Takes the violations.
    pub fn take_violations(&mut self) -> Vec<Violation> {
        std::mem::take(&mut self.violations)
    }

    /// A pod version the API server stored (its hashes are all legitimate specs).
    pub fn on_spec(&mut self, _now: Millis, pod: &Pod) {
        for (_, c) in pod.all_containers() {
            self.spec_hashes.entry((pod.uid.clone(), c.name().to_string())).or_default().insert(c.hash());
        }
    }

    /// The kubelet was shown this version of a pod (a watch event, a list, a get): its spec is one
    /// the kubelet may act on, and a deletion it shows is known to the kubelet from now on.
    pub fn on_kubelet_saw_pod(&mut self, now: Millis, pod: &Pod) {
        self.on_spec(now, pod);
        if pod.deletion_timestamp.is_some() {
            let grace = pod.grace_period_seconds().max(1);
            let e = self.seen_deletion.entry(pod.uid.clone()).or_insert(grace);
            *e = (*e).min(grace);
        }
    }

    /// The kubelet read a Secret and found it, or not.
    pub fn on_kubelet_saw_secret(&mut self, namespace: &str, name: &str, exists: bool) {
        self.seen_secret.insert((namespace.to_string(), name.to_string()), exists);
    }

    /// A new kubelet process: its backoff memory is gone, so the mirror starts over.
    pub fn on_kubelet_start(&mut self) {
        self.backoff = self.configured_backoff.clone();
    }

    /// The node reboots: every process dies, none by itself.
    pub fn on_reboot(&mut self, _now: Millis, view: &View<'_>) {
        for c in view.containerd.containers() {
            if c.status.state == ContainerState::Running {
                self.stop_requested.insert(c.status.id.clone());
            }
        }
    }

    /// A container stopped running (workload exit, crash, OOM, SIGKILL at the end of a grace period).
    pub fn on_exit(&mut self, _now: Millis, id: &str, view: &View<'_>) {
        let Some(c) = find_container(view, id) else { return };
        let Some(pod) = &c.pod else { return };
        let by_itself = !self.stop_requested.contains(id);
        let key = (pod.uid.clone(), c.status.name.clone());
        let sandbox_id = c.status.sandbox_id.clone();
        if by_itself
            && crate::checker_restart_all::triggers(view, &pod.uid, &c.status.name, c.status.exit_code)
        {
            self.restart_all_pending.insert(pod.uid.clone(), c.status.name.clone());
        }
        self.last_end.insert(key, Ended { by_itself, exit_code: c.status.exit_code, sandbox_id });
    }

    /// Checks a CRI call before the runtime carries it out.
    pub fn before_cri(&mut self, now: Millis, request: &CriRequest, view: &View<'_>) {
        match request {
            CriRequest::RunPodSandbox { config } => match view.api.pod_by_uid(&config.pod.uid) {
                Some(p) if p.pod.spec.node_name != self.node_name => self.violate(
                    now,
                    Rule::OwnNodeOnly,
                    format!(
                        "sandbox made for {}/{}, bound to {}",
                        p.pod.namespace, p.pod.name, p.pod.spec.node_name
                    ),
                ),
                _ => {}
            },
            CriRequest::CreateContainer { sandbox_id, config } => {
                self.check_create(now, sandbox_id, config, view)
            }
            CriRequest::StartContainer { container_id } => self.check_start(now, container_id, view),
            CriRequest::StopContainer { container_id, timeout_seconds } => {
                self.check_stop_container(now, container_id, *timeout_seconds, view);
                // Only a running process can be stopped; stopping an exited one changes nothing.
                if find_container(view, container_id)
                    .is_some_and(|c| c.status.state == ContainerState::Running)
                {
                    self.stop_requested.insert(container_id.clone());
                }
            }
            CriRequest::StopPodSandbox { sandbox_id } => {
                self.check_stop_sandbox(now, sandbox_id, view);
                for c in view.containerd.containers().filter(|c| {
                    c.status.sandbox_id == *sandbox_id && c.status.state == ContainerState::Running
                }) {
                    self.stop_requested.insert(c.status.id.clone());
                }
            }
            CriRequest::RemoveContainer { container_id } => {
                if let Some(c) = find_container(view, container_id) {
                    if c.pod.is_none() {
                        self.violate(
                            now,
                            Rule::OwnObjectsOnly,
                            format!("removed foreign container {container_id}"),
                        );
                    }
                }
            }
            CriRequest::RemovePodSandbox { sandbox_id }
                if view.containerd.sandboxes().any(|s| s.status.id == *sandbox_id && s.pod.is_none()) =>
            {
                self.violate(now, Rule::OwnObjectsOnly, format!("removed foreign sandbox {sandbox_id}"));
            }
            _ => {}
        }
    }

    /// Records what a CRI call did.
    pub fn after_cri(&mut self, now: Millis, request: &CriRequest, reply: &CriReply, view: &View<'_>) {
        if let (CriRequest::CreateContainer { sandbox_id, config }, CriReply::ContainerCreated { .. }) =
            (request, reply)
        {
            // The runtime made it: it must be in a ready sandbox of its own pod. (A request for a
            // sandbox that just died is a race the runtime refuses; that is not the kubelet's fault.)
            self.check_sandbox_of_new_container(now, sandbox_id, config, view);
        }
        if let (CriRequest::StopContainer { container_id, .. }, CriReply::Ok) = (request, reply) {
            // A SIGTERM-obeying process ended now; remember it as stopped, not self-ended.
            let stopped_now = self.stop_requested.contains(container_id);
            if let Some(c) = find_container(view, container_id)
                .filter(|c| stopped_now && c.status.state == ContainerState::Exited)
            {
                if let Some(pod) = &c.pod {
                    let key = (pod.uid.clone(), c.status.name.clone());
                    let ended = Ended {
                        by_itself: false,
                        exit_code: c.status.exit_code,
                        sandbox_id: c.status.sandbox_id.clone(),
                    };
                    self.last_end.insert(key, ended);
                }
            }
        }
    }

    fn check_sandbox_of_new_container(
        &mut self,
        now: Millis,
        sandbox_id: &str,
        config: &podsim_model::io::ContainerConfig,
        view: &View<'_>,
    ) {
        let who = format!("{}/{}/{}", config.pod.namespace, config.pod.name, config.name);
        match view.containerd.sandboxes().find(|s| s.status.id == sandbox_id) {
            None => self.violate(
                now,
                Rule::ContainerInOwnReadySandbox,
                format!("{who} created in unknown sandbox {sandbox_id}"),
            ),
            Some(s) => {
                if s.pod.as_ref().map(|p| p.uid.as_str()) != Some(config.pod.uid.as_str()) {
                    self.violate(
                        now,
                        Rule::ContainerInOwnReadySandbox,
                        format!("{who} created in another pod's sandbox {sandbox_id}"),
                    );
                } else if s.status.state != SandboxState::Ready {
                    self.violate(
                        now,
                        Rule::ContainerInOwnReadySandbox,
                        format!("{who} created in sandbox {sandbox_id}, which is not ready"),
                    );
                }
            }
        }
    }

    fn check_create(
        &mut self,
        now: Millis,
        sandbox_id: &str,
        config: &podsim_model::io::ContainerConfig,
        view: &View<'_>,
    ) {
        let who = format!("{}/{}/{}", config.pod.namespace, config.pod.name, config.name);
        let Some(stored) = view.api.pod_by_uid(&config.pod.uid) else { return };
        let pod = &stored.pod;
        if pod.spec.node_name != self.node_name {
            self.violate(
                now,
                Rule::OwnNodeOnly,
                format!("{who} created for a pod bound to {}", pod.spec.node_name),
            );
        }
        // The pod restarts all its containers in place: every one may run again. The restart is
        // under way until its trigger is created again (a sync that began before the trigger's exit
        // may still create others).
        let restarting_all = self.restart_all_pending.contains_key(&pod.uid);
        if self.restart_all_pending.get(&pod.uid) == Some(&config.name) {
            self.restart_all_pending.remove(&pod.uid);
            self.last_end.retain(|(uid, _), _| *uid != pod.uid);
        }
        if !view.node.has_data_dir(&pod.uid) {
            self.violate(
                now,
                Rule::PrerequisitesFirst,
                format!("{who} created before its pod's data directory"),
            );
        }
        let Some((kind, spec)) = pod.find_container(&config.name) else { return };
        for m in &spec.volume_mounts {
            if !view.node.is_mounted(&pod.uid, &m.name) {
                self.violate(
                    now,
                    Rule::PrerequisitesFirst,
                    format!("{who} created before volume {:?} was mounted", m.name),
                );
            }
        }
        for e in &spec.env {
            if let podsim_model::pod::EnvSource::SecretKeyRef { name, optional: false, .. } = &e.source {
                // Judged on what the kubelet read: a Secret deleted after the kubelet found it is a
                // race every kubelet has (its Secret cache lags), not a broken rule.
                let seen = self.seen_secret.get(&(pod.namespace.clone(), name.clone())).copied();
                if !view.api.secret_exists(&pod.namespace, name) && seen != Some(true) {
                    self.violate(
                        now,
                        Rule::PrerequisitesFirst,
                        format!("{who} created while Secret {name:?} is missing"),
                    );
                }
            }
        }
        // Restart policy: only regular containers (init containers start over with a new sandbox).
        if kind == ContainerKind::Regular && !restarting_all {
            let key = (pod.uid.clone(), config.name.clone());
            if let Some(end) = self.last_end.get(&key) {
                // ShouldContainerBeRestarted: an exited container stays exited under Never (and
                // under OnFailure after exit 0) whatever its spec says now.
                // The container's own restartPolicy and rules count first (ContainerRestartRules;
                // with the gate off the API server dropped them).
                let container = pod.spec.containers.iter().find(|c| c.name() == config.name);
                // A new sandbox starts every regular container again but those that succeeded and
                // run once (computePodActions); a container's own Never is not read there, so a
                // creation in another sandbox is judged by the pod's policy only.
                let own_policy_in_new_sandbox =
                    end.sandbox_id != sandbox_id && container.is_some_and(|c| c.restart_policy.is_some());
                let forbidden = end.by_itself
                    && !own_policy_in_new_sandbox
                    && container.is_some_and(|c| !container_should_restart(c, &pod.spec, end.exit_code));
                if forbidden {
                    let policy = container.and_then(|c| c.restart_policy).unwrap_or(pod.spec.restart_policy);
                    self.violate(
                        now,
                        Rule::RestartPolicyHonoured,
                        format!(
                            "{who} created again under restartPolicy {} after it exited {} on its own",
                            policy.as_str(),
                            end.exit_code
                        ),
                    );
                }
            }
        }
        self.check_init_order(now, &who, pod, kind, &config.name, sandbox_id, view);
    }

    #[allow(clippy::too_many_arguments)]
    fn check_init_order(
        &mut self,
        now: Millis,
        who: &str,
        pod: &Pod,
        kind: ContainerKind,
        name: &str,
        sandbox_id: &str,
        view: &View<'_>,
    ) {
        let in_sandbox = |n: &str| -> Vec<&ContainerRecord> {
            view.containerd
                .containers()
                .filter(|c| c.status.sandbox_id == sandbox_id && c.status.name == n)
                .collect()
        };
        let completed = |n: &str| {
            in_sandbox(n)
                .first()
                .is_some_and(|c| c.status.state == ContainerState::Exited && c.status.exit_code == 0)
        };
        let plain_inits: Vec<&str> = pod
            .spec
            .init_containers
            .iter()
            .filter(|c| !c.is_restartable_init_container())
            .map(|c| c.name())
            .collect();
        match kind {
            ContainerKind::Init => {
                let Some(pos) = pod.spec.init_containers.iter().position(|c| c.name() == name) else {
                    return;
                };
                if pod.spec.init_containers[pos].is_restartable_init_container() {
                    return;
                }
                for other in &plain_inits {
                    if *other != name
                        && in_sandbox(other).iter().any(|c| c.status.state == ContainerState::Running)
                    {
                        self.violate(
                            now,
                            Rule::InitContainersInOrder,
                            format!("{who} created while init container {other} runs"),
                        );
                    }
                }
                for earlier in
                    pod.spec.init_containers[..pos].iter().filter(|c| !c.is_restartable_init_container())
                {
                    if !completed(earlier.name()) {
                        self.violate(
                            now,
                            Rule::InitContainersInOrder,
                            format!("{who} created before init container {} completed", earlier.name()),
                        );
                    }
                }
            }
            ContainerKind::Regular => {
                // A regular container that already ran in this sandbox shows initialisation was done;
                // so does, to the kubelet, one whose newest instance is created or running in any
                // sandbox of the pod.
                let initialised_before = pod.spec.containers.iter().any(|c| !in_sandbox(c.name()).is_empty());
                if initialised_before || kubelet_sees_initialised(view, pod) {
                    return;
                }
                for init in &plain_inits {
                    if !completed(init) {
                        self.violate(
                            now,
                            Rule::InitContainersInOrder,
                            format!("{who} created before init container {init} completed"),
                        );
                    }
                }
            }
            ContainerKind::Ephemeral => {}
        }
    }

    fn check_start(&mut self, now: Millis, container_id: &str, view: &View<'_>) {
        let Some(c) = find_container(view, container_id) else { return };
        let Some(pod) = &c.pod else {
            self.violate(now, Rule::OwnObjectsOnly, format!("started foreign container {container_id}"));
            return;
        };
        // The newest exited instance of the same container, as doBackOff reads it.
        let previous = view.containerd.containers().filter(|o| o.status.id != container_id).find(|o| {
            o.pod.as_ref().is_some_and(|p| p.uid == pod.uid)
                && o.status.name == c.status.name
                && o.status.state == ContainerState::Exited
        });
        let Some(previous) = previous else { return };
        if self.stop_requested.contains(&previous.status.id) {
            // The kubelet stopped the previous instance itself (a hash change, a new sandbox, a
            // probe): that is no crash, and doBackOff saw no exited container in its sync.
            return;
        }
        let Some(finished) = previous.status.finished_at else { return };
        let key = format!("{}/{}/{:x}", pod.uid, c.status.name, c.status.hash);
        if self.backoff.is_in_backoff_since(&key, finished, now) {
            let end = finished + self.backoff.get(&key);
            self.violate(
                now,
                Rule::RestartBackoff,
                format!(
                    "{}/{} restart {} started at {} ms, before its backoff ended at {end} ms",
                    pod.name, c.status.name, c.status.restart_count, now
                ),
            );
        }
        // The kubelet bumps its backoff when it decides to restart (before the pull), at the earliest
        // when the instance finished: bump the mirror then, so it never outlives the kubelet's.
        self.backoff.next(&key, finished, finished);
    }

    fn check_stop_container(
        &mut self,
        now: Millis,
        container_id: &str,
        timeout_seconds: i64,
        view: &View<'_>,
    ) {
        let Some(c) = find_container(view, container_id) else { return };
        let Some(pod_ref) = &c.pod else {
            self.violate(now, Rule::OwnObjectsOnly, format!("stopped foreign container {container_id}"));
            return;
        };
        if c.status.state != ContainerState::Running {
            return;
        }
        let who = format!("{}/{}/{}", pod_ref.namespace, pod_ref.name, c.status.name);
        let Some(stored) = view.api.pod_by_uid(&pod_ref.uid) else { return };
        let pod = &stored.pod;
        if let Some(&seen) = self.seen_deletion.get(&pod.uid) {
            // Judged on the deletion the kubelet was shown: a stop it issued for a sync just before
            // the deletion reached it may use the pod's own grace period.
            let required = seen.min(pod.grace_period_seconds().max(1));
            if timeout_seconds < required {
                self.violate(
                    now,
                    Rule::GracePeriodHonoured,
                    format!("{who} of a deleted pod stopped with {timeout_seconds}s, less than its grace period {required}s"),
                );
            }
        }
        if pod.deletion_timestamp.is_some() {
            return;
        }
        let Some((kind, spec)) = pod.find_container(&c.status.name) else { return };
        if kind != ContainerKind::Regular {
            return;
        }
        let key = (pod.uid.clone(), c.status.name.clone());
        let spec_changed =
            self.spec_hashes.get(&key).is_some_and(|h| h.len() > 1) || spec.hash() != c.status.hash;
        let sandboxes: Vec<_> = view
            .containerd
            .sandboxes()
            .filter(|s| s.pod.as_ref().is_some_and(|p| p.uid == pod.uid))
            .collect();
        let sandbox_changed = sandboxes
            .first()
            .is_none_or(|s| s.status.state != SandboxState::Ready || s.status.id != c.status.sandbox_id)
            || sandboxes.iter().filter(|s| s.status.state == SandboxState::Ready).count() > 1;
        // A running container with a matching hash counts towards the kubelet's keepCount, so the pod
        // is not "finished"; only a probe failure (the container has a probe) remains.
        let probe_failure = spec.has_liveness_probe || spec.has_startup_probe;
        let restarting_all = self.restart_all_pending.contains_key(&pod.uid);
        if !(spec_changed || sandbox_changed || probe_failure || restarting_all) {
            self.violate(
                now,
                Rule::MatchingContainerKept,
                format!("{who} stopped although it runs with a matching hash in a ready sandbox"),
            );
        }
        if timeout_seconds < 1 {
            self.violate(now, Rule::GracePeriodHonoured, format!("{who} stopped with no grace period"));
        }
    }

    fn check_stop_sandbox(&mut self, now: Millis, sandbox_id: &str, view: &View<'_>) {
        let Some(s) = view.containerd.sandboxes().find(|s| s.status.id == sandbox_id) else { return };
        let Some(pod_ref) = &s.pod else {
            self.violate(now, Rule::OwnObjectsOnly, format!("stopped foreign sandbox {sandbox_id}"));
            return;
        };
        let deleted = view.api.pod_by_uid(&pod_ref.uid).is_none_or(|p| p.pod.deletion_timestamp.is_some());
        if !deleted {
            return;
        }
        let running: Vec<String> = view
            .containerd
            .containers()
            .filter(|c| c.status.sandbox_id == sandbox_id && c.status.state == ContainerState::Running)
            .map(|c| c.status.name.clone())
            .collect();
        if !running.is_empty() {
            self.violate(
                now,
                Rule::ContainersStopBeforeSandbox,
                format!(
                    "sandbox of deleted pod {}/{} stopped while {running:?} still run",
                    pod_ref.namespace, pod_ref.name
                ),
            );
        }
    }

    /// The kubelet released a pod's API object: nothing of it may be left.
    pub fn on_release(&mut self, now: Millis, uid: &str, view: &View<'_>) {
        let mut left = Vec::new();
        left.extend(
            view.containerd
                .containers()
                .filter(|c| c.pod.as_ref().is_some_and(|p| p.uid == uid))
                .map(|c| format!("container {}", c.status.name)),
        );
        left.extend(
            view.containerd
                .sandboxes()
                .filter(|s| s.pod.as_ref().is_some_and(|p| p.uid == uid))
                .map(|s| format!("sandbox {}", s.status.id)),
        );
        left.extend(view.node.mounts_of(uid).map(|v| format!("mount {v}")));
        if view.node.has_data_dir(uid) {
            left.push("data directory".into());
        }
        if !left.is_empty() {
            self.violate(
                now,
                Rule::NothingLeftBehind,
                format!("pod {uid} released with {} left", left.join(", ")),
            );
        }
    }
}

/// The kubelet's `podHasInitialized` shortcut (kuberuntime_container.go
/// `computeInitContainerActions`): if the newest instance of any regular container of the pod, in
/// whatever sandbox, is created or running, all init containers "must have been executed at some
/// point in the past", and the kubelet skips the plain ones, even in a new sandbox. A container left
/// created by a failed start survives a pause death or a node reboot so, and the kubelet then starts
/// the regular containers of the new sandbox while its plain init container still runs
/// (`created-container-counts-as-initialized`).
fn kubelet_sees_initialised(view: &View<'_>, pod: &Pod) -> bool {
    pod.spec.containers.iter().any(|c| {
        view.containerd
            .containers()
            .filter(|r| r.pod.as_ref().is_some_and(|p| p.uid == pod.uid))
            .find(|r| r.status.name == c.name())
            .is_some_and(|r| matches!(r.status.state, ContainerState::Created | ContainerState::Running))
    })
}

fn find_container<'a>(view: &'a View<'_>, id: &str) -> Option<&'a ContainerRecord> {
    view.containerd.containers().find(|c| c.status.id == id)
}

/// What the pod's spec and restart policy ask of one regular container once the world has settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DesiredContainer {
    /// Runs its current spec.
    Run,
    /// Exited, and its restart policy does not restart it (`podutil.ContainerShouldRestart`: Never,
    /// or OnFailure after exit 0, unless a rule says Restart): it stays exited with this code.
    StayExited(i32),
    /// Its workload exits by itself and the policy restarts it: it cycles, with no steady state.
    Cycles,
}

/// What `c`, a regular container of `pod`, should be doing: decided by its newest runtime instance
/// and its restart policy (`podutil.ContainerShouldRestart`: its own rules and policy, else the
/// pod's), never by the kubelet's memory.
fn desired_container(view: &View<'_>, pod: &Pod, c: &podsim_model::Container) -> DesiredContainer {
    let newest = view
        .containerd
        .containers()
        .filter(|r| r.pod.as_ref().is_some_and(|p| p.uid == pod.uid))
        .find(|r| r.status.name == c.name());
    if let Some(r) = newest.filter(|r| r.status.state == ContainerState::Exited) {
        if !crate::checker_restart_all::restarts_after_exit(c, &pod.spec, r.status.exit_code) {
            return DesiredContainer::StayExited(r.status.exit_code);
        }
    }
    match view.containerd.workload_for(c.image(), &c.command, &c.args) {
        podsim_model::workload::Workload::ExitAfter { code, .. }
            if crate::checker_restart_all::restarts_after_exit(c, &pod.spec, code) =>
        {
            DesiredContainer::Cycles
        }
        _ => DesiredContainer::Run,
    }
}

/// Whether a pod can have no desired running state for reasons of its own making: a plain init
/// container that exits non-zero, a sidecar that exits the moment it starts, a Secret nobody created,
/// an image with pull policy Never that is not on the node. The user's error, not the kubelet's.
fn blocked_by_design(view: &View<'_>, pod: &Pod) -> bool {
    let workload = |c: &podsim_model::Container| view.containerd.workload_for(c.image(), &c.command, &c.args);
    let init_fails = pod.spec.init_containers.iter().any(|c| {
        !c.is_restartable_init_container()
            && !matches!(workload(c), podsim_model::workload::Workload::ExitAfter { code: 0, .. })
    });
    let sidecar_never_runs = pod
        .spec
        .init_containers
        .iter()
        .any(|c| c.is_restartable_init_container() && sidecar_never_seen_running(workload(c)));
    let config_missing = pod.all_containers().any(|(_, c)| {
        c.env.iter().any(|e| matches!(&e.source,
            podsim_model::pod::EnvSource::SecretKeyRef { name, optional: false, .. } if !view.api.secret_exists(&pod.namespace, name)))
    }) || pod.spec.volumes.iter().any(|v| matches!(&v.source,
            podsim_model::pod::VolumeSource::Secret { secret_name, optional: false } if !view.api.secret_exists(&pod.namespace, secret_name)));
    let never_pull_missing = pod.all_containers().any(|(_, c)| {
        c.image_pull_policy == podsim_model::PullPolicy::Never && !view.containerd.has_image(c.image())
    });
    init_fails || sidecar_never_runs || config_missing || never_pull_missing
}

/// A sidecar whose process exits the moment it starts: the kubelet never sees it running, and
/// `computeInitContainerActions` counts a restartable init container as started only when it runs, so
/// nothing after it ever starts (`sidecar-exits-at-once-blocks-init`).
fn sidecar_never_seen_running(workload: podsim_model::workload::Workload) -> bool {
    matches!(workload, podsim_model::workload::Workload::ExitAfter { after: 0, .. })
}

/// Liveness: every pod in the state its spec and restart policy ask for. `since` is when the world
/// settled; `bound` the allowance.
///
/// A pod none of whose regular containers is to run again is done (the kubelet's `getPhase`:
/// Succeeded if every one exited 0, else Failed): nothing of it runs and its sandbox is stopped.
/// Otherwise its newest sandbox is ready, every container that is to run runs its current spec, and
/// the API server says Running.
pub fn check_convergence(checker: &mut Checker, now: Millis, since: Millis, _bound: Millis, view: &View<'_>) {
    check_no_orphans(checker, now, (now - since) / 1000, view);
    for stored in view.api.pods() {
        let pod = &stored.pod;
        if pod.spec.node_name != checker.node_name {
            continue;
        }
        let who = pod.full_name();
        let waited = (now - since) / 1000;
        if pod.deletion_timestamp.is_some() {
            let detail = format!("{who} was deleted but is not released {waited} s after the world settled");
            checker.violate(now, Rule::Convergence, detail);
            continue;
        }
        if blocked_by_design(view, pod)
            || pod.spec.containers.is_empty()
            || crate::checker_restart_all::cycles_by_restart_all(view, pod)
        {
            continue;
        }
        let desired: Vec<DesiredContainer> =
            pod.spec.containers.iter().map(|c| desired_container(view, pod, c)).collect();
        let exits: Vec<i32> = desired
            .iter()
            .filter_map(|d| match d {
                DesiredContainer::StayExited(code) => Some(*code),
                _ => None,
            })
            .collect();
        if exits.len() == desired.len() {
            let phase =
                if exits.iter().all(|&code| code == 0) { PodPhase::Succeeded } else { PodPhase::Failed };
            check_done_pod(checker, now, &stored, phase, waited, view);
        } else if sandbox_lost_for_good(view, pod) {
            check_stranded_pod(checker, now, pod, waited, view);
        } else {
            check_running_pod(checker, now, &stored, &desired, waited, view);
        }
    }
}

/// Nothing is left on the node of a pod the API server does not have, such as an earlier kubelet
/// left them (the kubelet's `HandlePodCleanups` kills such runtime pods, its container GC removes
/// them, `cleanupOrphanedPodDirs` removes their directories once the volume manager unmounted them).
fn check_no_orphans(checker: &mut Checker, now: Millis, waited: Millis, view: &View<'_>) {
    let pods = view.api.pods();
    let known: BTreeSet<&str> = pods.iter().map(|s| s.pod.uid.as_str()).collect();
    let mut left: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for s in view.containerd.sandboxes() {
        if let Some(p) = s.pod.as_ref().filter(|p| !known.contains(p.uid.as_str())) {
            left.entry(&p.uid).or_default().push(format!("sandbox {}", s.status.id));
        }
    }
    for c in view.containerd.containers() {
        if let Some(p) = c.pod.as_ref().filter(|p| !known.contains(p.uid.as_str())) {
            left.entry(&p.uid).or_default().push(format!("container {}", c.status.id));
        }
    }
    for (uid, volume) in view.node.mounts().filter(|(uid, _)| !known.contains(uid)) {
        left.entry(uid).or_default().push(format!("mount {volume}"));
    }
    for uid in view.node.data_dirs().filter(|uid| !known.contains(uid)) {
        left.entry(uid).or_default().push("data directory".to_string());
    }
    for (uid, things) in left {
        let detail = format!(
            "pod {uid}, which the API server does not have, still has {things:?} on the node {waited} s after the world settled"
        );
        checker.violate(now, Rule::Convergence, detail);
    }
}

/// A restartPolicy Never pod whose newest sandbox is not ready after its containers ran: the kubelet
/// never makes it a new sandbox (computePodActions: `!shouldRestartOnFailure(pod) && attempt != 0 &&
/// len(ContainerStatuses) != 0`), whatever its containers' own policies say (kubernetes#141948).
fn sandbox_lost_for_good(view: &View<'_>, pod: &Pod) -> bool {
    let ours = |p: &Option<podsim_model::io::PodRef>| p.as_ref().is_some_and(|p| p.uid == pod.uid);
    pod.spec.restart_policy == podsim_model::RestartPolicy::Never
        && view
            .containerd
            .sandboxes()
            .find(|s| ours(&s.pod))
            .is_some_and(|s| s.status.state != SandboxState::Ready)
        && view.containerd.containers().any(|c| ours(&c.pod))
}

/// The names of the pod's containers that run.
fn running_containers<'v>(view: &'v View<'_>, pod: &Pod) -> Vec<&'v str> {
    let ours = |p: &Option<podsim_model::io::PodRef>| p.as_ref().is_some_and(|p| p.uid == pod.uid);
    view.containerd
        .containers()
        .filter(|r| ours(&r.pod) && r.status.state == ContainerState::Running)
        .map(|r| r.status.name.as_str())
        .collect()
}

/// Such a pod is left as it is: nothing of it may run.
fn check_stranded_pod(checker: &mut Checker, now: Millis, pod: &Pod, waited: Millis, view: &View<'_>) {
    let running = running_containers(view, pod);
    if !running.is_empty() {
        let detail = format!(
            "{} lost its sandbox under restartPolicy Never but still runs {running:?} {waited} s after the world settled",
            pod.full_name()
        );
        checker.violate(now, Rule::Convergence, detail);
    }
}

/// A done pod: no ready sandbox, no running container, and the API server says `phase`.
fn check_done_pod(
    checker: &mut Checker,
    now: Millis,
    stored: &crate::etcd::StoredPod,
    phase: PodPhase,
    waited: Millis,
    view: &View<'_>,
) {
    let pod = &stored.pod;
    let who = pod.full_name();
    let ours = |p: &Option<podsim_model::io::PodRef>| p.as_ref().is_some_and(|p| p.uid == pod.uid);
    let running = running_containers(view, pod);
    let ready_sandbox =
        view.containerd.sandboxes().any(|s| ours(&s.pod) && s.status.state == SandboxState::Ready);
    if !running.is_empty() || ready_sandbox {
        let detail = format!(
            "{who} is {phase:?} but still has {} {waited} s after the world settled",
            if running.is_empty() {
                "a ready sandbox".to_string()
            } else {
                format!("running containers {}", running.join(", "))
            }
        );
        checker.violate(now, Rule::Convergence, detail);
    }
    match &stored.status {
        Some(s) if s.phase == phase => {}
        other => checker.violate(
            now,
            Rule::StatusAgrees,
            format!("{who} is {phase:?} but the API server says {}", phase_word(other.as_ref())),
        ),
    }
}

/// A pod still to run: its newest sandbox is ready, every container to run runs its current spec, and
/// the API server says Running.
fn check_running_pod(
    checker: &mut Checker,
    now: Millis,
    stored: &crate::etcd::StoredPod,
    desired: &[DesiredContainer],
    waited: Millis,
    view: &View<'_>,
) {
    let pod = &stored.pod;
    let who = pod.full_name();
    let ours = |c: &&ContainerRecord| c.pod.as_ref().is_some_and(|p| p.uid == pod.uid);
    let newest_sandbox =
        view.containerd.sandboxes().find(|s| s.pod.as_ref().is_some_and(|p| p.uid == pod.uid));
    if newest_sandbox.is_none_or(|s| s.status.state != SandboxState::Ready) {
        checker.violate(
            now,
            Rule::Convergence,
            format!("{who} has no ready sandbox {waited} s after the world settled"),
        );
        return;
    }
    for (c, want) in pod.spec.containers.iter().zip(desired) {
        if *want != DesiredContainer::Run {
            continue;
        }
        let newest = view.containerd.containers().filter(ours).find(|r| r.status.name == c.name());
        match newest {
            Some(r) if r.status.state == ContainerState::Running && r.status.hash == c.hash() => {}
            other => checker.violate(
                now,
                Rule::Convergence,
                format!(
                    "{who}/{} is not running its spec {waited} s after the world settled (runtime: {:?})",
                    c.name(),
                    other.map(|r| (r.status.state, r.status.hash == c.hash()))
                ),
            ),
        }
    }
    match &stored.status {
        Some(s) if s.phase == PodPhase::Running => {}
        other => checker.violate(
            now,
            Rule::StatusAgrees,
            format!("{who} runs but the API server says {}", phase_word(other.as_ref())),
        ),
    }
}

/// A status's phase in kubectl's words (`Running`, or `no status`).
fn phase_word(status: Option<&podsim_model::PodStatusReport>) -> String {
    status.map_or("no status".to_string(), |s| format!("{:?}", s.phase))
}

/// The node as the expectations see it, in the simulator.
impl crate::expect::RuntimeView for View<'_> {
    fn sandboxes_of(&self, pod_uid: &str) -> Vec<crate::expect::SandboxFact> {
        let of_pod = self.containerd.sandboxes().filter(|s| s.pod.as_ref().is_some_and(|p| p.uid == pod_uid));
        crate::expect::SandboxFact::newest_first(of_pod.map(|s| &s.status))
    }

    fn has_data_dir(&self, pod_uid: &str) -> bool {
        self.node.has_data_dir(pod_uid)
    }

    fn mount_count(&self, pod_uid: &str) -> usize {
        self.node.mounts_of(pod_uid).count()
    }
}

/// Checks the scenario's expectations of the end of a run (`expect.pods`, and `states` and
/// `happened` with nothing recorded) at `now`, against the API server and the node.
pub fn check_expectations(checker: &mut Checker, now: Millis, expect: &Expectations, view: &View<'_>) {
    let mut judge = crate::expect::Judge::new(expect, now);
    for v in judge.finish(view.api, view) {
        checker.violate(v.t, v.rule, v.detail);
    }
}
