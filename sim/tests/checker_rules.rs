//! The checker's rules, one at a time: each test builds a small world by hand (an API server with its
//! pods and Secrets, a containerd, a node), plays a kubelet by issuing the CRI calls and node operations
//! itself, calls the checker's hooks in the order the world does, and asserts that the rule is reported
//! when the kubelet breaks it (`reports_...`) and that nothing is reported when it behaves
//! (`accepts_...`), so that every rule is shown to be both enforced and precise.

use podsim_model::shared_str::SharedStr;
use std::collections::BTreeMap;

use podsim_model::backoff::Backoff;
use podsim_model::io::{
    ApiReply, ApiRequest, ContainerConfig, ContainerInfo, CriReply, CriRequest, NodeReply, NodeRequest,
    PodRef, SandboxConfig, SandboxInfo,
};
use podsim_model::pod::{EnvSource, EnvVar, Volume, VolumeMount, VolumeSource};
use podsim_model::{
    Container, ContainerState, ContainerStateReport, ContainerStatus, ContainerStatusReport, Millis, Pod,
    PodPhase, PodStatusReport, RestartPolicy, SandboxState, SandboxStatus,
};
use podsim_sim::apiserver::ApiServer;
use podsim_sim::checker::rules::{registry, Settings};
use podsim_sim::checker::{
    check_convergence, check_expectations, Checker, CriListing, Rule, View, Violation,
};
use podsim_sim::containerd::{Containerd, PullFailure, RegistryImage, RuntimeTimer};
use podsim_sim::node::Node;
use podsim_sim::scenario::{ContainerExpectation, CountRange, Expectations, PodExpectation, StateName};

/// The kubelet's node.
const NODE: &str = "node-1";
/// The image every test container runs (on the node from the start).
const IMAGE: &str = "podsim/workload:1";
/// A second image, for spec changes.
const IMAGE_2: &str = "podsim/workload:2";

/// What the checker may look at, borrowed field by field so that the checker stays borrowable.
macro_rules! view {
    ($b:expr) => {
        View { api: &$b.api, containerd: &$b.containerd, node: &$b.node, node_name: NODE }
    };
}

/// The same, with the runtime read as its CRI lists show it (what the containerd driver provides).
macro_rules! listed_view {
    ($b:expr, $listing:expr) => {
        View { api: &$b.api, containerd: $listing, node: &$b.node, node_name: NODE }
    };
}

/// A hand-driven world: the test plays the kubelet, the bench calls the checker as the world does.
/// A twin checker is told the same, but reads the runtime from a [`CriListing`] of it made at each
/// hook (as a containerd driver would give it); every assertion first asserts that both found the
/// same, so each rule is shown to judge a runtime read from CRI listings as it judges the simulated
/// containerd.
struct Bench {
    api: ApiServer,
    containerd: Containerd,
    node: Node,
    checker: Checker,
    twin: Checker,
    now: Millis,
    /// Runtime timers not fired yet, in the order containerd asked for them.
    timers: Vec<(Millis, RuntimeTimer)>,
}

impl Bench {
    fn new() -> Bench {
        let registry: BTreeMap<String, RegistryImage> = [IMAGE, IMAGE_2]
            .into_iter()
            .map(|image| {
                let entry = RegistryImage { pull_latency: 100, failure: PullFailure::None, workload: None };
                (image.to_string(), entry)
            })
            .collect();
        let mut containerd = Containerd::new(registry);
        containerd.preload(IMAGE);
        containerd.preload(IMAGE_2);
        Bench {
            api: ApiServer::new(),
            containerd,
            node: Node::new(),
            checker: Checker::new(NODE),
            twin: Checker::new(NODE),
            now: 0,
            timers: Vec::new(),
        }
    }

    // ---- the users' side: the API server ---------------------------------------------------------

    /// A user creates the pod (the world shows the checker its spec first).
    fn create_pod(&mut self, pod: Pod) -> Pod {
        self.checker.on_spec(self.now, &pod);
        self.twin.on_spec(self.now, &pod);
        self.api.create_pod(self.now, pod).expect("the pod is created")
    }

    /// A user changes the image of one container (the checker sees the new spec, as the world shows
    /// it every version the watch carries).
    fn update_image(&mut self, pod: &Pod, container: &str, image: &str) -> Pod {
        let updated = self
            .api
            .update_pod(self.now, &pod.namespace, &pod.name, |p| {
                for c in p.spec_mut().containers.iter_mut().filter(|c| c.name() == container) {
                    c.set_image(image);
                }
            })
            .expect("the pod is updated");
        self.checker.on_spec(self.now, &updated);
        self.twin.on_spec(self.now, &updated);
        updated
    }

    /// A user deletes the pod gracefully.
    /// A user deletes the pod, and the kubelet is shown the deletion (as the watch delivers it).
    fn delete_pod(&mut self, pod: &Pod, grace_seconds: Option<i64>) {
        self.api.delete_pod(self.now, &pod.namespace, &pod.name, grace_seconds).expect("the pod is deleted");
        if let Some(stored) = self.api.pod(&pod.namespace, &pod.name) {
            self.checker.on_kubelet_saw_pod(self.now, &stored.pod);
            self.twin.on_kubelet_saw_pod(self.now, &stored.pod);
        }
    }

    /// The kubelet plans, within a sync, to kill the pod's containers (all of them, or those named).
    fn plan_kill(&mut self, pod: &Pod, whole_pod: bool, containers: &[&str]) {
        self.plan_kill_with(pod, whole_pod, containers, None);
    }

    /// [`Bench::plan_kill`] with the grace period the kill begins with, if not the pod's own.
    fn plan_kill_with(&mut self, pod: &Pod, whole_pod: bool, containers: &[&str], grace: Option<i64>) {
        let names: Vec<String> = containers.iter().map(|c| c.to_string()).collect();
        self.checker.on_kill_planned(self.now, &pod.uid, whole_pod, &names, grace);
        self.twin.on_kill_planned(self.now, &pod.uid, whole_pod, &names, grace);
    }

    /// The kubelet writes the pod's status.
    fn report_status(&mut self, pod: &Pod, status: PodStatusReport) {
        let phase = status.phase;
        let reply = self.api.handle(self.now, ApiRequest::UpdatePodStatus { pod: PodRef::of(pod), status });
        assert_eq!(reply, ApiReply::Ok, "the status is written");
        self.checker.on_status_written(self.now, &PodRef::of(pod), phase);
        self.twin.on_status_written(self.now, &PodRef::of(pod), phase);
    }

    /// The kubelet releases the pod's API object; the checker looks once the API server said yes.
    fn release(&mut self, pod: &Pod) -> ApiReply {
        let reply = self.api.handle(self.now, ApiRequest::DeletePod { pod: PodRef::of(pod) });
        if reply == ApiReply::Ok {
            self.checker.on_release(self.now, &pod.uid, &view!(self));
            let listing = self.listing();
            self.twin.on_release(self.now, &pod.uid, &listed_view!(self, &listing));
        }
        reply
    }

    // ---- the kubelet's side: the node and the runtime ---------------------------------------------

    /// One node operation.
    fn node_op(&mut self, request: NodeRequest) -> NodeReply {
        self.node.handle(self.now, &request)
    }

    /// The pod's data directory and every volume it declares, as the volume manager makes them.
    fn prepare(&mut self, pod: &Pod) {
        let reply = self.node_op(NodeRequest::MakeDataDir { pod_uid: pod.uid.clone() });
        assert_eq!(reply, NodeReply::Ok);
        for v in &pod.spec.volumes {
            let reply =
                self.node_op(NodeRequest::MountVolume { pod_uid: pod.uid.clone(), volume: v.name.clone() });
            assert_eq!(reply, NodeReply::Ok);
        }
    }

    /// One CRI call, checked as the world checks it: before the runtime carries it out, and after.
    fn cri(&mut self, request: CriRequest) -> CriReply {
        let listing = self.listing();
        self.checker.before_cri(self.now, &request, &view!(self));
        self.twin.before_cri(self.now, &request, &listed_view!(self, &listing));
        let outcome = self.containerd.handle(self.now, request.clone(), &mut self.timers);
        let listing = self.listing();
        self.checker.after_cri(self.now, &request, &outcome.reply, &view!(self));
        self.twin.after_cri(self.now, &request, &outcome.reply, &listed_view!(self, &listing));
        outcome.reply
    }

    /// A CRI call and the reply of a runtime, judged without the simulated containerd carrying it out.
    fn judge_call(&mut self, request: &CriRequest, reply: &CriReply) {
        let listing = self.listing();
        self.checker.before_cri(self.now, request, &view!(self));
        self.twin.before_cri(self.now, request, &listed_view!(self, &listing));
        self.checker.after_cri(self.now, request, reply, &view!(self));
        self.twin.after_cri(self.now, request, reply, &listed_view!(self, &listing));
    }

    /// The runtime as its CRI lists show it now.
    fn listing(&self) -> CriListing {
        let sandboxes =
            self.containerd.sandboxes().map(|s| SandboxInfo { pod: s.pod.clone(), status: s.status.clone() });
        let containers = self
            .containerd
            .containers()
            .map(|c| ContainerInfo { pod: c.pod.clone(), status: c.status.clone() });
        let images = [IMAGE, IMAGE_2].into_iter().filter(|i| self.containerd.has_image(i)).map(String::from);
        CriListing::new(sandboxes.collect(), containers.collect(), images)
    }

    /// A new kubelet process starts.
    fn kubelet_starts(&mut self) {
        self.checker.on_kubelet_start();
        self.twin.on_kubelet_start();
    }

    /// The world stops the run past its limit of `events` events.
    fn livelock(&mut self, events: u64) {
        self.checker.on_livelock(self.now, events);
        self.twin.on_livelock(self.now, events);
    }

    /// Forgets what both checkers found so far.
    fn forget_violations(&mut self) {
        self.checker.take_violations();
        self.twin.take_violations();
    }

    /// `RunPodSandbox` for the pod; the new sandbox's id.
    fn run_sandbox(&mut self, pod: &Pod, attempt: u32) -> String {
        let config = SandboxConfig { pod: PodRef::of(pod), attempt, host_network: false };
        match self.cri(CriRequest::RunPodSandbox { config }) {
            CriReply::SandboxCreated { sandbox_id } => sandbox_id.to_string(),
            other => panic!("no sandbox for {}: {other:?}", pod.name),
        }
    }

    /// `CreateContainer` of the pod's container `name` (of any kind), as the kubelet configures it.
    fn create(&mut self, sandbox_id: &str, pod: &Pod, name: &str, restart_count: u32) -> CriReply {
        let config = config_of(pod, name, restart_count);
        self.cri(CriRequest::CreateContainer { sandbox_id: sandbox_id.into(), config })
    }

    /// `CreateContainer` that must succeed; the container's id.
    fn created(&mut self, sandbox_id: &str, pod: &Pod, name: &str, restart_count: u32) -> String {
        match self.create(sandbox_id, pod, name, restart_count) {
            CriReply::ContainerCreated { container_id } => container_id.to_string(),
            other => panic!("{}/{name} not created: {other:?}", pod.name),
        }
    }

    /// `StartContainer`.
    fn start(&mut self, container_id: &str) -> CriReply {
        self.cri(CriRequest::StartContainer { container_id: container_id.into() })
    }

    /// `CreateContainer` then `StartContainer`, both succeeding; the container's id.
    fn run(&mut self, sandbox_id: &str, pod: &Pod, name: &str, restart_count: u32) -> String {
        let id = self.created(sandbox_id, pod, name, restart_count);
        assert_eq!(self.start(&id), CriReply::Ok, "{}/{name} did not start", pod.name);
        id
    }

    /// `StopContainer` with a grace period.
    fn stop(&mut self, container_id: &str, timeout_seconds: i64) -> CriReply {
        self.cri(CriRequest::StopContainer { container_id: container_id.into(), timeout_seconds })
    }

    // ---- time and the world's faults ----------------------------------------------------------------

    /// Moves the clock to `to`, firing the runtime's timers on the way; a process that ends is
    /// reported to the checker with `on_exit`, as the world does.
    fn advance(&mut self, to: Millis) {
        assert!(to >= self.now, "time only moves forward");
        loop {
            let due =
                (0..self.timers.len()).filter(|&i| self.timers[i].0 <= to).min_by_key(|&i| self.timers[i].0);
            let Some(i) = due else { break };
            let (at, timer) = self.timers.remove(i);
            self.now = self.now.max(at);
            let exiting = match &timer {
                RuntimeTimer::ProcessExit { container_id, .. } => Some(container_id.clone()),
                RuntimeTimer::PullDone { .. } => None,
            };
            let was_running = exiting.as_deref().is_some_and(|id| self.running(id));
            let mut more = Vec::new();
            self.containerd.on_timer(self.now, timer, &mut more);
            self.timers.extend(more);
            if let (Some(id), true) = (exiting, was_running) {
                if !self.running(&id) {
                    self.exited(&id);
                }
            }
        }
        self.now = to;
    }

    /// The container's process crashes with `exit_code` (the `containerCrash` fault).
    fn crash(&mut self, container_id: &str, exit_code: i32) {
        assert!(self.containerd.crash_container(self.now, container_id, exit_code), "{container_id} runs");
        self.exited(container_id);
    }

    /// Tells both checkers that the container's process ended.
    fn exited(&mut self, container_id: &str) {
        self.checker.on_exit(self.now, container_id, &view!(self));
        let listing = self.listing();
        self.twin.on_exit(self.now, container_id, &listed_view!(self, &listing));
    }

    fn running(&self, container_id: &str) -> bool {
        self.containerd
            .container(container_id)
            .is_some_and(|c| c.status.state == podsim_model::ContainerState::Running)
    }

    // ---- judging ---------------------------------------------------------------------------------

    /// Liveness, as the world judges it at the end of a run that settled at `since`.
    fn judge_convergence(&mut self, since: Millis) {
        check_convergence(&mut self.checker, self.now, since, 60_000, &view!(self));
        let listing = self.listing();
        check_convergence(&mut self.twin, self.now, since, 60_000, &listed_view!(self, &listing));
    }

    /// The scenario's expectations, as the world judges them at the end of a run.
    fn judge_expectations(&mut self, expect: &Expectations) {
        let now = self.now;
        check_expectations(&mut self.checker, now, expect, &view!(self));
        let listing = self.listing();
        check_expectations(&mut self.twin, now, expect, &listed_view!(self, &listing));
    }

    /// What the checker found; first asserts that its twin, reading CRI listings, found the same.
    fn violations(&self) -> &[Violation] {
        assert_eq!(
            self.twin.violations(),
            self.checker.violations(),
            "the rules judge the runtime as its CRI lists show it as they judge the simulated containerd"
        );
        self.checker.violations()
    }

    /// Asserts that `rule` was reported with a detail naming every one of `words`.
    fn assert_reported(&self, rule: Rule, words: &[&str]) {
        let hit =
            self.violations().iter().any(|v| v.rule == rule && words.iter().all(|w| v.detail.contains(w)));
        assert!(hit, "expected {rule:?} naming {words:?}, got {:#?}", self.violations());
    }

    /// Asserts that `rule`, and only `rule`, was reported.
    fn assert_only(&self, rule: Rule) {
        assert!(!self.violations().is_empty(), "expected {rule:?}, got nothing");
        let others: Vec<&Violation> = self.violations().iter().filter(|v| v.rule != rule).collect();
        assert!(others.is_empty(), "expected only {rule:?}, also got {others:#?}");
    }

    /// Asserts that every violation of `rule` names `pod` (`namespace/name`) as the one it concerns.
    fn assert_pod(&self, rule: Rule, pod: Option<&str>) {
        let of_rule: Vec<&Violation> = self.violations().iter().filter(|v| v.rule == rule).collect();
        assert!(!of_rule.is_empty(), "expected {rule:?}, got {:#?}", self.violations());
        for v in of_rule {
            assert_eq!(v.pod.as_deref(), pod, "the pod of {v:#?}");
        }
    }

    fn assert_clean(&self) {
        assert!(self.violations().is_empty(), "expected no violation, got {:#?}", self.violations());
    }
}

// ---- pods ------------------------------------------------------------------------------------------

/// A container of `IMAGE` with a workload command.
fn container(name: &str, workload: &[&str]) -> Container {
    let mut c = Container::new(name, IMAGE);
    c.command = workload.iter().map(|w| w.to_string()).collect();
    c
}

/// Runs until stopped.
const RUN: &[&str] = &["workload", "run"];
/// Ignores SIGTERM: only the SIGKILL at the end of the grace period stops it.
const IGNORE_SIGTERM: &[&str] = &["workload", "ignore-sigterm"];

/// A pod bound to the kubelet's node with one container `app` that runs until stopped.
fn pod(name: &str) -> Pod {
    pod_on(name, NODE)
}

fn pod_on(name: &str, node: &str) -> Pod {
    let mut p = Pod::new(name, format!("uid-{name}"), node);
    p.spec_mut().containers.push(container("app", RUN));
    p
}

/// What a kubelet sends to create the pod's container `name` (found in any list of the spec).
fn config_of(pod: &Pod, name: &str, restart_count: u32) -> ContainerConfig {
    let (kind, c) =
        pod.find_container(name).unwrap_or_else(|| panic!("{} has no container {name}", pod.name));
    ContainerConfig {
        pod: PodRef::of(pod),
        name: name.into(),
        kind,
        image: c.shared_image().clone(),
        command: c.command.clone(),
        args: c.args.clone(),
        hash: c.hash(),
        restart_count,
        attempt: restart_count,
        resources: None,
    }
}

fn running_status(pod: &Pod) -> PodStatusReport {
    PodStatusReport {
        phase: PodPhase::Running,
        pod_ip: "10.88.0.2".into(),
        init_container_statuses: Vec::new(),
        container_statuses: pod
            .spec
            .containers
            .iter()
            .map(|c| ContainerStatusReport {
                name: c.shared_name().clone(),
                state: ContainerStateReport::Running { started_at: 0 },
                last_state: None,
                restart_count: 0,
                container_id: SharedStr::EMPTY,
                ..Default::default()
            })
            .collect(),
        ephemeral_container_statuses: Vec::new(),
        ..Default::default()
    }
}

/// A bench with `pod` created, its data directory and volumes made and its sandbox running; the
/// sandbox's id.
fn bench_with_sandbox(pod: &Pod) -> (Bench, String) {
    let mut b = Bench::new();
    b.create_pod(pod.clone());
    b.prepare(pod);
    let sandbox = b.run_sandbox(pod, 0);
    (b, sandbox)
}

// ---- ContainerInOwnReadySandbox ------------------------------------------------------------------------

#[test]
fn reports_a_container_created_in_another_pods_sandbox() {
    let (a, b_pod) = (pod("a"), pod("b"));
    let (mut b, sandbox_of_a) = bench_with_sandbox(&a);
    b.create_pod(b_pod.clone());
    b.prepare(&b_pod);
    b.created(&sandbox_of_a, &b_pod, "app", 0);
    b.assert_reported(
        Rule::ContainerInOwnReadySandbox,
        &["default/b/app", "another pod's sandbox", &sandbox_of_a],
    );
    b.assert_only(Rule::ContainerInOwnReadySandbox);
    b.assert_pod(Rule::ContainerInOwnReadySandbox, Some("default/b"));
}

/// The simulated containerd refuses a container in a sandbox that is not ready (or unknown), so a
/// kubelet's request for one never makes a container there; the checker judges what a runtime made.
/// These two cases feed it the reply of a runtime that did accept such a call.
#[test]
fn reports_a_container_a_runtime_made_in_a_sandbox_that_is_not_ready() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    assert!(b.containerd.kill_pause(b.now, &sandbox));
    let request =
        CriRequest::CreateContainer { sandbox_id: sandbox.as_str().into(), config: config_of(&p, "app", 0) };
    let made = CriReply::ContainerCreated { container_id: "container-99".into() };
    b.judge_call(&request, &made);
    b.assert_reported(Rule::ContainerInOwnReadySandbox, &["default/web/app", &sandbox, "not ready"]);
    b.assert_only(Rule::ContainerInOwnReadySandbox);
    b.assert_pod(Rule::ContainerInOwnReadySandbox, Some("default/web"));
}

#[test]
fn reports_a_container_a_runtime_made_in_an_unknown_sandbox() {
    let p = pod("web");
    let (mut b, _) = bench_with_sandbox(&p);
    let request =
        CriRequest::CreateContainer { sandbox_id: "sandbox-77".into(), config: config_of(&p, "app", 0) };
    let made = CriReply::ContainerCreated { container_id: "container-99".into() };
    b.judge_call(&request, &made);
    b.assert_reported(Rule::ContainerInOwnReadySandbox, &["default/web/app", "unknown sandbox sandbox-77"]);
    b.assert_only(Rule::ContainerInOwnReadySandbox);
}

#[test]
fn accepts_a_container_created_in_its_ready_sandbox() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "app", 0);
    b.assert_clean();
}

/// A create that races the sandbox's death is refused by the runtime: not the kubelet's fault.
#[test]
fn accepts_a_create_the_runtime_refused_in_a_sandbox_that_is_not_ready() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    assert!(b.containerd.kill_pause(b.now, &sandbox));
    let reply = b.create(&sandbox, &p, "app", 0);
    assert!(matches!(reply, CriReply::Err(_)), "containerd refuses it: {reply:?}");
    b.assert_clean();
}

// ---- PrerequisitesFirst ----------------------------------------------------------------------------

/// A pod whose container `app` mounts the volume `data` and reads the Secret `db` (optional or not).
fn pod_with_prerequisites(name: &str, secret_optional: bool) -> Pod {
    let mut p = pod(name);
    p.spec_mut().volumes.push(Volume { name: "data".into(), source: VolumeSource::EmptyDir });
    let app = &mut p.spec_mut().containers[0];
    app.volume_mounts.push(VolumeMount { name: "data".into(), mount_path: "/data".into() });
    app.env.push(EnvVar {
        name: "PASSWORD".into(),
        source: EnvSource::SecretKeyRef {
            name: "db".into(),
            key: "password".into(),
            optional: secret_optional,
        },
    });
    p
}

#[test]
fn reports_a_container_created_before_its_pods_data_directory() {
    let p = pod("web");
    let mut b = Bench::new();
    b.create_pod(p.clone());
    let sandbox = b.run_sandbox(&p, 0);
    b.created(&sandbox, &p, "app", 0);
    b.assert_reported(Rule::PrerequisitesFirst, &["default/web/app", "data directory"]);
    b.assert_only(Rule::PrerequisitesFirst);
    b.assert_pod(Rule::PrerequisitesFirst, Some("default/web"));
}

#[test]
fn reports_a_container_created_before_its_volume_is_mounted() {
    let p = pod_with_prerequisites("web", false);
    let mut b = Bench::new();
    b.api.create_secret("default", "db").unwrap();
    b.create_pod(p.clone());
    b.node_op(NodeRequest::MakeDataDir { pod_uid: p.uid.clone() });
    let sandbox = b.run_sandbox(&p, 0);
    b.created(&sandbox, &p, "app", 0);
    b.assert_reported(Rule::PrerequisitesFirst, &["default/web/app", "volume \"data\""]);
    b.assert_only(Rule::PrerequisitesFirst);
    b.assert_pod(Rule::PrerequisitesFirst, Some("default/web"));
}

#[test]
fn reports_a_container_created_while_its_secret_is_missing() {
    let p = pod_with_prerequisites("web", false);
    let mut b = Bench::new();
    b.create_pod(p.clone());
    b.prepare(&p);
    let sandbox = b.run_sandbox(&p, 0);
    b.created(&sandbox, &p, "app", 0);
    b.assert_reported(Rule::PrerequisitesFirst, &["default/web/app", "Secret \"db\" is missing"]);
    b.assert_only(Rule::PrerequisitesFirst);
    b.assert_pod(Rule::PrerequisitesFirst, Some("default/web"));
}

#[test]
fn accepts_a_container_created_after_its_data_directory_volumes_and_secrets() {
    let p = pod_with_prerequisites("web", false);
    let mut b = Bench::new();
    b.api.create_secret("default", "db").unwrap();
    b.create_pod(p.clone());
    b.prepare(&p);
    let sandbox = b.run_sandbox(&p, 0);
    b.run(&sandbox, &p, "app", 0);
    b.assert_clean();
}

#[test]
fn accepts_a_container_created_while_an_optional_secret_is_missing() {
    let p = pod_with_prerequisites("web", true);
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "app", 0);
    b.assert_clean();
}

// ---- MatchingContainerKept ---------------------------------------------------------------------------

#[test]
fn reports_a_running_container_with_a_matching_hash_stopped_in_its_ready_sandbox() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    b.stop(&id, 30);
    b.assert_reported(Rule::MatchingContainerKept, &["default/web/app", "matching hash"]);
    b.assert_only(Rule::MatchingContainerKept);
    b.assert_pod(Rule::MatchingContainerKept, Some("default/web"));
}

#[test]
fn accepts_a_container_stopped_after_its_spec_changed() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    let p = b.update_image(&p, "app", IMAGE_2);
    b.stop(&id, 30);
    b.run(&sandbox, &p, "app", 1);
    b.assert_clean();
}

#[test]
fn accepts_a_container_stopped_after_its_sandbox_died() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    assert!(b.containerd.kill_pause(b.now, &sandbox));
    b.stop(&id, 30);
    b.cri(CriRequest::StopPodSandbox { sandbox_id: sandbox.into() });
    let sandbox = b.run_sandbox(&p, 1);
    b.run(&sandbox, &p, "app", 1);
    b.assert_clean();
}

#[test]
fn accepts_a_container_with_a_liveness_probe_stopped() {
    let mut p = pod("web");
    p.spec_mut().containers[0].liveness_probe =
        Some(podsim_model::pod::Probe::exec(&["workload", "check", "live"]));
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    b.stop(&id, 30);
    b.assert_clean();
}

#[test]
fn accepts_a_container_of_a_deleted_pod_stopped() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    b.delete_pod(&p, None);
    b.stop(&id, 30);
    b.assert_clean();
}

// ---- RestartPolicyHonoured ---------------------------------------------------------------------------

/// A pod whose container `app` runs until stopped, under `policy`.
fn pod_with_policy(name: &str, policy: RestartPolicy) -> Pod {
    let mut p = pod(name);
    p.spec_mut().restart_policy = policy;
    p
}

/// Runs `app` of `p`, lets it exit with `exit_code` on its own after 2 s, then creates it again.
fn restart_after_exit(p: &Pod, exit_code: i32) -> Bench {
    let (mut b, sandbox) = bench_with_sandbox(p);
    let id = b.run(&sandbox, p, "app", 0);
    b.advance(2_000);
    b.crash(&id, exit_code);
    b.advance(12_000);
    b.create(&sandbox, p, "app", 1);
    b
}

/// ContainerRestartRules: a regular container's own restartPolicy counts before the pod's.
#[test]
fn reports_a_container_restarted_against_its_own_restart_policy() {
    let mut p = pod_with_policy("web", RestartPolicy::Always);
    p.spec_mut().containers[0].restart_policy = Some(RestartPolicy::Never);
    let b = restart_after_exit(&p, 1);
    b.assert_reported(Rule::RestartPolicyHonoured, &["default/web/app", "restartPolicy Never", "exited 1"]);
    b.assert_only(Rule::RestartPolicyHonoured);
    b.assert_pod(Rule::RestartPolicyHonoured, Some("default/web"));
}

/// ... and its rules before its policy: exit code 42 is retried although the policy is Never.
#[test]
fn accepts_a_container_restarted_by_its_restart_rule() {
    let mut p = pod_with_policy("web", RestartPolicy::Never);
    p.spec_mut().containers[0].restart_policy = Some(RestartPolicy::Never);
    p.spec_mut().containers[0].restart_policy_rules = vec![podsim_model::pod::ContainerRestartRule {
        action: podsim_model::pod::RestartRuleAction::Restart,
        exit_codes: podsim_model::pod::ExitCodes {
            operator: podsim_model::pod::ExitCodesOperator::In,
            values: vec![42],
        },
    }];
    restart_after_exit(&p, 42).assert_clean();
    let b = restart_after_exit(&p, 1);
    b.assert_reported(Rule::RestartPolicyHonoured, &["default/web/app", "restartPolicy Never", "exited 1"]);
}

#[test]
fn reports_a_container_restarted_under_restart_policy_never_after_it_exited() {
    let b = restart_after_exit(&pod_with_policy("job", RestartPolicy::Never), 1);
    b.assert_reported(Rule::RestartPolicyHonoured, &["default/job/app", "restartPolicy Never", "exited 1"]);
    b.assert_only(Rule::RestartPolicyHonoured);
}

#[test]
fn reports_a_container_restarted_under_on_failure_after_it_exited_0() {
    let b = restart_after_exit(&pod_with_policy("job", RestartPolicy::OnFailure), 0);
    b.assert_reported(
        Rule::RestartPolicyHonoured,
        &["default/job/app", "restartPolicy OnFailure", "exited 0"],
    );
    b.assert_only(Rule::RestartPolicyHonoured);
}

/// The workload's own exit (not a crash fault) counts the same: `exit-after` ends it on its own.
#[test]
fn reports_a_container_restarted_under_never_after_its_workload_completed() {
    let mut p = pod_with_policy("job", RestartPolicy::Never);
    p.spec_mut().containers[0].command = ["workload", "exit-after", "3s", "0"].map(String::from).to_vec();
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "app", 0);
    b.advance(20_000);
    b.create(&sandbox, &p, "app", 1);
    b.assert_reported(Rule::RestartPolicyHonoured, &["default/job/app", "restartPolicy Never", "exited 0"]);
    b.assert_only(Rule::RestartPolicyHonoured);
}

#[test]
fn accepts_a_container_restarted_under_on_failure_after_it_failed() {
    restart_after_exit(&pod_with_policy("job", RestartPolicy::OnFailure), 2).assert_clean();
}

#[test]
fn accepts_a_container_restarted_under_always_after_it_completed() {
    restart_after_exit(&pod_with_policy("web", RestartPolicy::Always), 0).assert_clean();
}

/// A spec change restarts a container whatever the restart policy (kubelet `computePodActions`).
#[test]
fn accepts_a_container_recreated_under_never_after_the_kubelet_stopped_it_for_a_spec_change() {
    let p = pod_with_policy("job", RestartPolicy::Never);
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(2_000);
    let p = b.update_image(&p, "app", IMAGE_2);
    b.stop(&id, 30);
    b.run(&sandbox, &p, "app", 1);
    b.assert_clean();
}

// ---- RestartAllContainers (KEP-5532): MatchingContainerKept and RestartPolicyHonoured ---------------

/// A restartPolicy Never pod: `trigger` (restartPolicy Never, RestartAllContainers on exit 42) and
/// `worker`, both running until stopped.
fn pod_restarting_all(name: &str) -> Pod {
    let mut p = pod_with_policy(name, RestartPolicy::Never);
    p.spec_mut().containers[0] = container("trigger", RUN);
    p.spec_mut().containers[0].restart_policy = Some(RestartPolicy::Never);
    p.spec_mut().containers[0].restart_policy_rules = vec![podsim_model::pod::ContainerRestartRule {
        action: podsim_model::pod::RestartRuleAction::RestartAllContainers,
        exit_codes: podsim_model::pod::ExitCodes {
            operator: podsim_model::pod::ExitCodesOperator::In,
            values: vec![42],
        },
    }];
    p.spec_mut().containers.push(container("worker", RUN));
    p
}

/// Runs both containers of `p`, crashes `trigger` with `exit_code` after 2 s, then does what the
/// kubelet does for an in-place restart: stops the running worker, removes both, creates both again.
fn restart_all_after_exit(p: &Pod, exit_code: i32) -> Bench {
    let (mut b, sandbox) = bench_with_sandbox(p);
    let trigger = b.run(&sandbox, p, "trigger", 0);
    let worker = b.run(&sandbox, p, "worker", 0);
    b.advance(2_000);
    b.crash(&trigger, exit_code);
    b.stop(&worker, 2);
    b.cri(CriRequest::RemoveContainer { container_id: worker.into() });
    b.cri(CriRequest::RemoveContainer { container_id: trigger.into() });
    b.run(&sandbox, p, "trigger", 1);
    b.run(&sandbox, p, "worker", 1);
    b
}

/// An exit matching a RestartAllContainers rule: the kubelet may stop the matching running worker
/// and start the trigger again although its policy is Never.
#[test]
fn accepts_an_in_place_restart_of_every_container_after_a_matching_exit() {
    restart_all_after_exit(&pod_restarting_all("job"), 42).assert_clean();
}

/// Any other exit restarts nothing: stopping the worker and starting the trigger again is reported.
#[test]
fn reports_an_in_place_restart_after_an_exit_no_rule_matches() {
    let b = restart_all_after_exit(&pod_restarting_all("job"), 1);
    b.assert_reported(Rule::MatchingContainerKept, &["default/job/worker", "matching hash"]);
    b.assert_reported(
        Rule::RestartPolicyHonoured,
        &["default/job/trigger", "restartPolicy Never", "exited 1"],
    );
}

/// A sync that began before the trigger's exit may still create a container; the reset that
/// follows stops it, and the restart is under way until the trigger is created again.
#[test]
fn accepts_a_container_created_after_the_trigger_exited_and_stopped_by_the_reset() {
    let p = pod_restarting_all("job");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let trigger = b.run(&sandbox, &p, "trigger", 0);
    b.advance(2_000);
    b.crash(&trigger, 42);
    let worker = b.run(&sandbox, &p, "worker", 0);
    b.advance(3_000);
    b.stop(&worker, 2);
    b.assert_clean();
    b.cri(CriRequest::RemoveContainer { container_id: worker.into() });
    b.cri(CriRequest::RemoveContainer { container_id: trigger.into() });
    let worker = b.run(&sandbox, &p, "worker", 1);
    b.run(&sandbox, &p, "trigger", 1);
    b.advance(10_000);
    b.assert_clean();
    // The trigger runs again: the restart is over, and the worker's hash matches.
    b.stop(&worker, 30);
    b.assert_reported(Rule::MatchingContainerKept, &["default/job/worker", "matching hash"]);
}

/// Once the pod started over, the restart is done: stopping a matching worker again is reported.
#[test]
fn reports_a_matching_container_stopped_after_the_in_place_restart_is_done() {
    let p = pod_restarting_all("job");
    let mut b = restart_all_after_exit(&p, 42);
    b.assert_clean();
    let worker = b.containerd.containers().find(|c| c.status.name == "worker" && b.running(&c.status.id));
    let worker = worker.expect("the new worker runs").status.id.clone();
    b.advance(10_000);
    b.stop(&worker, 30);
    b.assert_reported(Rule::MatchingContainerKept, &["default/job/worker", "matching hash"]);
}

// ---- InitContainersInOrder ---------------------------------------------------------------------------

/// A pod with plain init containers `first` and `second` (each exits 0 after 1 s) and `app`.
fn pod_with_inits(name: &str) -> Pod {
    let mut p = pod(name);
    let exit_0 = &["workload", "exit-after", "1s", "0"];
    p.spec_mut().init_containers.push(container("first", exit_0));
    p.spec_mut().init_containers.push(container("second", exit_0));
    p
}

#[test]
fn reports_a_regular_container_created_before_the_init_containers_completed() {
    let p = pod_with_inits("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.created(&sandbox, &p, "app", 0);
    b.assert_reported(
        Rule::InitContainersInOrder,
        &["default/web/app", "before init container first completed"],
    );
    b.assert_reported(
        Rule::InitContainersInOrder,
        &["default/web/app", "before init container second completed"],
    );
    b.assert_only(Rule::InitContainersInOrder);
    b.assert_pod(Rule::InitContainersInOrder, Some("default/web"));
}

#[test]
fn reports_an_init_container_created_before_the_previous_one_completed() {
    let p = pod_with_inits("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.created(&sandbox, &p, "second", 0);
    b.assert_reported(
        Rule::InitContainersInOrder,
        &["default/web/second", "before init container first completed"],
    );
    b.assert_only(Rule::InitContainersInOrder);
    b.assert_pod(Rule::InitContainersInOrder, Some("default/web"));
}

#[test]
fn reports_an_init_container_created_while_another_runs() {
    let p = pod_with_inits("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "first", 0);
    b.advance(500);
    b.created(&sandbox, &p, "second", 0);
    b.assert_reported(
        Rule::InitContainersInOrder,
        &["default/web/second", "while init container first runs"],
    );
    b.assert_only(Rule::InitContainersInOrder);
    b.assert_pod(Rule::InitContainersInOrder, Some("default/web"));
}

#[test]
fn reports_a_regular_container_created_after_an_init_container_failed() {
    let p = pod_with_inits("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let first = b.run(&sandbox, &p, "first", 0);
    b.advance(500);
    b.crash(&first, 1);
    b.run(&sandbox, &p, "second", 0);
    b.advance(5_000);
    b.created(&sandbox, &p, "app", 0);
    b.assert_reported(
        Rule::InitContainersInOrder,
        &["default/web/app", "before init container first completed"],
    );
    b.assert_only(Rule::InitContainersInOrder);
}

#[test]
fn accepts_init_containers_run_one_at_a_time_in_order_then_regular_containers() {
    let p = pod_with_inits("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "first", 0);
    b.advance(1_000);
    b.run(&sandbox, &p, "second", 0);
    b.advance(2_000);
    b.run(&sandbox, &p, "app", 0);
    b.assert_clean();
}

/// A sidecar (an init container with restartPolicy Always) keeps running next to what follows it.
#[test]
fn accepts_a_plain_init_and_the_regular_container_next_to_a_running_sidecar() {
    let mut p = pod("web");
    let mut sidecar = container("proxy", RUN);
    sidecar.restart_policy = Some(RestartPolicy::Always);
    p.spec_mut().init_containers.push(sidecar);
    p.spec_mut().init_containers.push(container("migrate", &["workload", "exit-after", "1s", "0"]));
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "proxy", 0);
    b.run(&sandbox, &p, "migrate", 0);
    b.advance(1_000);
    b.run(&sandbox, &p, "app", 0);
    b.assert_clean();
}

/// An init container is retried after it failed; a regular container restarts without the init
/// containers running again.
#[test]
fn accepts_a_failed_init_container_retried_and_a_regular_container_restarted() {
    let p = pod_with_inits("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let first = b.run(&sandbox, &p, "first", 0);
    b.advance(500);
    b.crash(&first, 1);
    b.run(&sandbox, &p, "first", 1);
    b.advance(2_000);
    b.run(&sandbox, &p, "second", 0);
    b.advance(4_000);
    let app = b.run(&sandbox, &p, "app", 0);
    b.advance(10_000);
    b.crash(&app, 1);
    b.run(&sandbox, &p, "app", 1);
    b.assert_clean();
}

// ---- RestartBackoff --------------------------------------------------------------------------------

/// Runs `app` of `p`, then crashes and restarts it at the given times: (crash at, restart at).
fn crash_loop(p: &Pod, rounds: &[(Millis, Millis)]) -> Bench {
    let (mut b, sandbox) = bench_with_sandbox(p);
    let mut id = b.run(&sandbox, p, "app", 0);
    for (restart, &(crash_at, restart_at)) in rounds.iter().enumerate() {
        b.advance(crash_at);
        b.crash(&id, 1);
        b.advance(restart_at);
        id = b.run(&sandbox, p, "app", restart as u32 + 1);
    }
    b
}

#[test]
fn reports_a_restart_started_before_its_backoff_ended() {
    // The first restart may come at once (10 s of backoff from then on); the second comes 1 s after
    // its crash.
    let b = crash_loop(&pod("web"), &[(2_000, 2_000), (4_000, 5_000)]);
    b.assert_reported(
        Rule::RestartBackoff,
        &["web/app", "restart 2", "started at 5000 ms", "ended at 14000 ms"],
    );
    b.assert_only(Rule::RestartBackoff);
    b.assert_pod(Rule::RestartBackoff, Some("default/web"));
}

#[test]
fn reports_a_restart_that_ignores_the_doubled_backoff() {
    // 10 s waited the second time, but the third restart needs 20 s.
    let b = crash_loop(&pod("web"), &[(2_000, 2_000), (4_000, 14_000), (16_000, 30_000)]);
    b.assert_reported(Rule::RestartBackoff, &["web/app", "restart 3", "ended at 36000 ms"]);
    b.assert_only(Rule::RestartBackoff);
}

#[test]
fn accepts_restarts_that_wait_out_the_doubling_backoff() {
    let b = crash_loop(&pod("web"), &[(2_000, 2_000), (4_000, 14_000), (16_000, 36_000), (40_000, 80_000)]);
    b.assert_clean();
}

/// A kubelet that stopped the previous instance itself (a spec change) owes no backoff for it.
#[test]
fn accepts_an_immediate_restart_of_a_container_the_kubelet_stopped() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let first = b.run(&sandbox, &p, "app", 0);
    b.advance(2_000);
    b.crash(&first, 1);
    let second = b.run(&sandbox, &p, "app", 1);
    b.advance(4_000);
    let p = b.update_image(&p, "app", IMAGE_2);
    b.stop(&second, 30);
    b.run(&sandbox, &p, "app", 2);
    b.assert_clean();
}

/// A new kubelet process has forgotten its backoff: its first restart may come at once.
#[test]
fn accepts_an_immediate_restart_by_a_new_kubelet_process() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let first = b.run(&sandbox, &p, "app", 0);
    b.advance(2_000);
    b.crash(&first, 1);
    let second = b.run(&sandbox, &p, "app", 1);
    b.advance(4_000);
    b.crash(&second, 1);
    b.kubelet_starts();
    b.advance(4_100);
    b.run(&sandbox, &p, "app", 2);
    b.assert_clean();
}

// ---- ContainersStopBeforeSandbox ---------------------------------------------------------------------

#[test]
fn reports_the_sandbox_of_a_deleted_pod_stopped_while_its_container_runs() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    b.delete_pod(&p, None);
    b.cri(CriRequest::StopPodSandbox { sandbox_id: sandbox.into() });
    b.assert_reported(Rule::ContainersStopBeforeSandbox, &["default/web", "[\"app\"] still run"]);
    b.assert_only(Rule::ContainersStopBeforeSandbox);
    b.assert_pod(Rule::ContainersStopBeforeSandbox, Some("default/web"));
}

#[test]
fn accepts_a_deleted_pods_containers_stopped_before_its_sandbox() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    b.delete_pod(&p, None);
    b.stop(&id, 30);
    b.cri(CriRequest::StopPodSandbox { sandbox_id: sandbox.into() });
    b.assert_clean();
}

/// Only a deleted pod's sandbox is judged: a live pod's dead sandbox is replaced as the kubelet sees fit.
#[test]
fn accepts_the_dead_sandbox_of_a_live_pod_stopped_with_its_container() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    assert!(b.containerd.kill_pause(b.now, &sandbox));
    b.cri(CriRequest::StopPodSandbox { sandbox_id: sandbox.into() });
    b.assert_clean();
}

// ---- GracePeriodHonoured -----------------------------------------------------------------------------

#[test]
fn reports_a_container_of_a_deleted_pod_stopped_with_less_than_its_grace_period() {
    let mut p = pod("web");
    p.spec_mut().containers[0].command = IGNORE_SIGTERM.iter().map(|w| w.to_string()).collect();
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    b.delete_pod(&p, Some(20));
    b.stop(&id, 2);
    b.assert_reported(Rule::GracePeriodHonoured, &["default/web/app", "with 2s", "grace period 20s"]);
    b.assert_only(Rule::GracePeriodHonoured);
    b.assert_pod(Rule::GracePeriodHonoured, Some("default/web"));
}

/// The grace period is one budget from the deletion the kubelet saw: a container stopped later (after
/// its preStop hook, or a sidecar after its wait for its turn) with what is left of it keeps it, and
/// one stopped with less than is left does not (killContainer, waitForTurn).
#[test]
fn judges_the_grace_period_as_one_budget_from_the_deletion() {
    let mut p = pod("web");
    p.spec_mut().containers[0].command = IGNORE_SIGTERM.iter().map(|w| w.to_string()).collect();
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    b.delete_pod(&p, Some(20));
    b.advance(23_000);
    b.stop(&id, 2);
    assert!(b.violations().is_empty(), "{:#?}", b.violations());

    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    b.delete_pod(&p, Some(20));
    b.advance(15_000);
    b.stop(&id, 2);
    b.assert_reported(Rule::GracePeriodHonoured, &["default/web/app", "with 2s", "grace period 20s"]);
}

/// A kill the kubelet planned within a sync before the deletion reached it (a dead sandbox's pod,
/// a changed container) runs on the budget it began with, the spec's grace period: `killContainer`
/// spent it on the preStop hook from then. It is still judged: stopped with less than that budget
/// leaves, it is reported.
#[test]
fn judges_a_kill_planned_before_the_deletion_from_when_it_was_planned() {
    let mut p = pod("web");
    p.spec_mut().containers[0].command = IGNORE_SIGTERM.iter().map(|w| w.to_string()).collect();
    // The kubelet's copy has the spec's 10 s until the deletion (20 s) reaches it.
    p.spec_mut().termination_grace_period_seconds = 10;
    for (whole_pod, containers) in [(true, &[][..]), (false, &["app"][..])] {
        let (mut b, sandbox) = bench_with_sandbox(&p);
        let id = b.run(&sandbox, &p, "app", 0);
        b.advance(5_000);
        b.plan_kill(&p, whole_pod, containers);
        b.advance(9_000);
        b.delete_pod(&p, Some(20));
        b.advance(13_000);
        b.stop(&id, 2);
        assert!(b.violations().is_empty(), "{:#?}", b.violations());
    }

    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    b.plan_kill(&p, true, &[]);
    b.advance(9_000);
    b.delete_pod(&p, Some(20));
    b.advance(11_000);
    b.stop(&id, 2);
    b.assert_reported(Rule::GracePeriodHonoured, &["default/web/app", "with 2s", "grace period 20s"]);

    // A RestartAllContainers reset kills with the kubelet's floor: judged on that budget if it began
    // before the deletion reached the kubelet, on the deletion's if after.
    for reset_before_deletion in [true, false] {
        let (mut b, sandbox) = bench_with_sandbox(&p);
        let id = b.run(&sandbox, &p, "app", 0);
        b.advance(5_000);
        if reset_before_deletion {
            b.plan_kill_with(&p, false, &["app"], Some(2));
        }
        b.advance(9_000);
        b.delete_pod(&p, Some(20));
        b.advance(10_000);
        if !reset_before_deletion {
            b.plan_kill_with(&p, false, &["app"], Some(2));
        }
        b.advance(11_000);
        b.stop(&id, 2);
        if reset_before_deletion {
            assert!(b.violations().is_empty(), "{:#?}", b.violations());
        } else {
            b.assert_reported(Rule::GracePeriodHonoured, &["default/web/app", "with 2s", "grace period 20s"]);
        }
    }

    // A kill planned for another container, or one over (the container created again), does not count.
    for done in [false, true] {
        let (mut b, sandbox) = bench_with_sandbox(&p);
        let id = b.run(&sandbox, &p, "app", 0);
        b.advance(5_000);
        b.plan_kill(&p, false, if done { &["app"][..] } else { &["other"][..] });
        if done {
            b.cri(CriRequest::CreateContainer {
                sandbox_id: sandbox.as_str().into(),
                config: config_of(&p, "app", 1),
            });
        }
        b.advance(9_000);
        b.delete_pod(&p, Some(20));
        b.advance(25_000);
        b.stop(&id, 2);
        b.assert_reported(Rule::GracePeriodHonoured, &["default/web/app", "with 2s", "grace period 20s"]);
    }
}

#[test]
fn reports_a_container_stopped_with_no_grace_period() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    b.update_image(&p, "app", IMAGE_2);
    b.stop(&id, 0);
    b.assert_reported(Rule::GracePeriodHonoured, &["default/web/app", "no grace period"]);
    b.assert_only(Rule::GracePeriodHonoured);
    b.assert_pod(Rule::GracePeriodHonoured, Some("default/web"));
}

#[test]
fn accepts_a_container_of_a_deleted_pod_stopped_with_its_full_grace_period() {
    let mut p = pod("web");
    p.spec_mut().containers[0].command = IGNORE_SIGTERM.iter().map(|w| w.to_string()).collect();
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    b.delete_pod(&p, Some(20));
    assert_eq!(b.stop(&id, 20), CriReply::Ok);
    b.advance(25_000);
    assert!(!b.running(&id), "the SIGKILL landed");
    b.cri(CriRequest::StopPodSandbox { sandbox_id: sandbox.into() });
    b.assert_clean();
}

/// A second delete may shorten the grace period; the shorter one is then the full one.
#[test]
fn accepts_a_container_stopped_with_a_shortened_deletion_grace_period() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    b.delete_pod(&p, None);
    b.advance(6_000);
    b.delete_pod(&p, Some(3));
    b.stop(&id, 3);
    b.assert_clean();
}

// ---- NothingLeftBehind -------------------------------------------------------------------------------

/// A pod with a volume, running, then deleted; the bench and its sandbox and container ids.
fn deleted_pod_with_volume() -> (Bench, Pod, String, String) {
    let mut p = pod("web");
    p.spec_mut().volumes.push(Volume { name: "data".into(), source: VolumeSource::EmptyDir });
    p.spec_mut().containers[0]
        .volume_mounts
        .push(VolumeMount { name: "data".into(), mount_path: "/data".into() });
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    b.delete_pod(&p, None);
    b.stop(&id, 30);
    b.cri(CriRequest::StopPodSandbox { sandbox_id: sandbox.as_str().into() });
    (b, p, sandbox, id)
}

#[test]
fn reports_a_pod_released_while_its_sandbox_and_container_remain() {
    let (mut b, p, sandbox, _) = deleted_pod_with_volume();
    assert_eq!(b.release(&p), ApiReply::Ok);
    b.assert_reported(Rule::NothingLeftBehind, &["uid-web", "container app", &format!("sandbox {sandbox}")]);
    b.assert_only(Rule::NothingLeftBehind);
    b.assert_pod(Rule::NothingLeftBehind, Some("default/web"));
}

#[test]
fn reports_a_pod_released_with_a_volume_mounted_and_its_data_directory() {
    let (mut b, p, sandbox, _) = deleted_pod_with_volume();
    b.cri(CriRequest::RemovePodSandbox { sandbox_id: sandbox.into() });
    assert_eq!(b.release(&p), ApiReply::Ok);
    b.assert_reported(Rule::NothingLeftBehind, &["uid-web", "mount data", "data directory"]);
    b.assert_only(Rule::NothingLeftBehind);
    b.assert_pod(Rule::NothingLeftBehind, Some("default/web"));
}

#[test]
fn accepts_a_pod_released_after_everything_of_it_was_removed() {
    let (mut b, p, sandbox, id) = deleted_pod_with_volume();
    b.cri(CriRequest::RemoveContainer { container_id: id.into() });
    b.cri(CriRequest::RemovePodSandbox { sandbox_id: sandbox.into() });
    b.node_op(NodeRequest::UnmountVolume { pod_uid: p.uid.clone(), volume: "data".into() });
    assert_eq!(b.node_op(NodeRequest::RemoveDataDir { pod_uid: p.uid.clone() }), NodeReply::Ok);
    assert_eq!(b.release(&p), ApiReply::Ok);
    b.assert_clean();
}

/// A release the API server refuses (the pod was never deleted) releases nothing: nothing is judged.
#[test]
fn accepts_a_refused_release_of_a_running_pod() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "app", 0);
    assert!(matches!(b.release(&p), ApiReply::Err(_)));
    b.assert_clean();
}

// ---- TerminalPhaseKept -------------------------------------------------------------------------------

fn phase(phase: PodPhase) -> PodStatusReport {
    PodStatusReport { phase, ..Default::default() }
}

/// The old model after a kubelet restart: Failed by the active deadline, then Running again.
#[test]
fn reports_a_pod_written_running_after_failed() {
    let p = pod("web");
    let mut b = Bench::new();
    let p = b.create_pod(p);
    b.report_status(&p, phase(PodPhase::Running));
    b.report_status(&p, phase(PodPhase::Failed));
    b.assert_clean();
    b.advance(20_000);
    b.report_status(&p, phase(PodPhase::Running));
    b.assert_reported(Rule::TerminalPhaseKept, &["Running after Failed"]);
    b.assert_only(Rule::TerminalPhaseKept);
    b.assert_pod(Rule::TerminalPhaseKept, Some("default/web"));
}

/// kubernetes#58711: Failed, then Succeeded.
#[test]
fn reports_a_pod_written_succeeded_after_failed() {
    let mut b = Bench::new();
    let p = b.create_pod(pod("job"));
    b.report_status(&p, phase(PodPhase::Failed));
    b.report_status(&p, phase(PodPhase::Succeeded));
    b.assert_reported(Rule::TerminalPhaseKept, &["Succeeded after Failed"]);
}

/// Pending and Running may come and go ("running can revert to pending"); a terminal phase written
/// again is no change; a new pod of the same name (a new UID) starts over.
#[test]
fn accepts_non_terminal_phases_in_any_order_and_a_terminal_one_kept() {
    let mut b = Bench::new();
    let p = b.create_pod(pod("web"));
    for ph in
        [PodPhase::Pending, PodPhase::Running, PodPhase::Pending, PodPhase::Succeeded, PodPhase::Succeeded]
    {
        b.report_status(&p, phase(ph));
    }
    b.assert_clean();
    b.delete_pod(&p, Some(0));
    let mut again = pod("web");
    again.uid = "uid-web-2".into();
    let again = b.create_pod(again);
    b.report_status(&again, phase(PodPhase::Running));
    b.assert_clean();
}

// ---- OwnNodeOnly -----------------------------------------------------------------------------------

#[test]
fn reports_a_sandbox_made_for_a_pod_bound_to_another_node() {
    let p = pod_on("elsewhere", "node-2");
    let mut b = Bench::new();
    b.create_pod(p.clone());
    b.run_sandbox(&p, 0);
    b.assert_reported(Rule::OwnNodeOnly, &["default/elsewhere", "bound to node-2"]);
    b.assert_only(Rule::OwnNodeOnly);
    b.assert_pod(Rule::OwnNodeOnly, Some("default/elsewhere"));
}

#[test]
fn reports_a_container_created_for_a_pod_bound_to_another_node() {
    let p = pod_on("elsewhere", "node-2");
    let mut b = Bench::new();
    b.create_pod(p.clone());
    b.prepare(&p);
    let sandbox = b.run_sandbox(&p, 0);
    b.forget_violations();
    b.created(&sandbox, &p, "app", 0);
    b.assert_reported(Rule::OwnNodeOnly, &["default/elsewhere/app", "bound to node-2"]);
    b.assert_only(Rule::OwnNodeOnly);
    b.assert_pod(Rule::OwnNodeOnly, Some("default/elsewhere"));
}

#[test]
fn accepts_a_pod_bound_to_its_node_run_next_to_one_bound_elsewhere() {
    let (mine, theirs) = (pod("web"), pod_on("elsewhere", "node-2"));
    let (mut b, sandbox) = bench_with_sandbox(&mine);
    b.create_pod(theirs);
    b.run(&sandbox, &mine, "app", 0);
    b.assert_clean();
}

// ---- OwnObjectsOnly ----------------------------------------------------------------------------------

#[test]
fn reports_a_foreign_container_stopped() {
    let mut b = Bench::new();
    let foreign = b.containerd.add_foreign_container(0, "monitoring-agent");
    b.stop(&foreign, 30);
    b.assert_reported(Rule::OwnObjectsOnly, &["stopped foreign container", &foreign]);
    b.assert_only(Rule::OwnObjectsOnly);
    b.assert_pod(Rule::OwnObjectsOnly, None);
}

#[test]
fn reports_a_foreign_container_removed() {
    let mut b = Bench::new();
    let foreign = b.containerd.add_foreign_container(0, "monitoring-agent");
    assert!(b.containerd.crash_container(0, &foreign, 1));
    assert_eq!(b.cri(CriRequest::RemoveContainer { container_id: foreign.as_str().into() }), CriReply::Ok);
    b.assert_reported(Rule::OwnObjectsOnly, &["removed foreign container", &foreign]);
    b.assert_only(Rule::OwnObjectsOnly);
    b.assert_pod(Rule::OwnObjectsOnly, None);
}

#[test]
fn reports_a_foreign_container_started() {
    let mut b = Bench::new();
    let foreign = b.containerd.add_foreign_container(0, "monitoring-agent");
    assert!(b.containerd.crash_container(0, &foreign, 1));
    b.start(&foreign);
    b.assert_reported(Rule::OwnObjectsOnly, &["started foreign container", &foreign]);
    b.assert_only(Rule::OwnObjectsOnly);
    b.assert_pod(Rule::OwnObjectsOnly, None);
}

#[test]
fn accepts_own_objects_stopped_and_removed_next_to_a_foreign_container() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let foreign = b.containerd.add_foreign_container(0, "monitoring-agent");
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    b.delete_pod(&p, None);
    b.cri(CriRequest::ListContainers { pod_uid: None });
    b.cri(CriRequest::ListPodSandbox { pod_uid: None });
    b.stop(&id, 30);
    b.cri(CriRequest::StopPodSandbox { sandbox_id: sandbox.as_str().into() });
    b.cri(CriRequest::RemoveContainer { container_id: id.into() });
    b.cri(CriRequest::RemovePodSandbox { sandbox_id: sandbox.into() });
    assert!(b.running(&foreign), "the foreign container was left alone");
    b.assert_clean();
}

// ---- Convergence -------------------------------------------------------------------------------------

#[test]
fn reports_a_deleted_pod_not_released_after_the_world_settled() {
    let p = pod("web");
    let (mut b, _) = bench_with_sandbox(&p);
    b.delete_pod(&p, None);
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_reported(Rule::Convergence, &["default/web", "deleted but is not released 390 s"]);
    b.assert_only(Rule::Convergence);
    b.assert_pod(Rule::Convergence, Some("default/web"));
}

/// What an earlier kubelet left of a pod the API server does not have must be gone once the world
/// settled (HandlePodCleanups, the container GC, cleanupOrphanedPodDirs).
#[test]
fn reports_what_is_left_of_a_pod_the_api_server_does_not_have_after_the_world_settled() {
    let mut b = Bench::new();
    let gone = pod("gone");
    let sandbox = b.run_sandbox(&gone, 0);
    b.node.preset_mount(&gone.uid, "data");
    b.advance(400_000);
    b.judge_convergence(10_000);
    let uid = gone.uid.as_str();
    b.assert_reported(
        Rule::Convergence,
        &[uid, "API server does not have", &sandbox, "mount data", "data directory"],
    );
    b.assert_only(Rule::Convergence);
    b.assert_pod(Rule::Convergence, Some("default/gone"));
}

#[test]
fn accepts_a_node_cleaned_of_a_pod_the_api_server_does_not_have() {
    let mut b = Bench::new();
    let gone = pod("gone");
    let sandbox = b.run_sandbox(&gone, 0);
    b.node.preset_mount(&gone.uid, "data");
    b.cri(CriRequest::StopPodSandbox { sandbox_id: sandbox.as_str().into() });
    b.cri(CriRequest::RemovePodSandbox { sandbox_id: sandbox.into() });
    b.node_op(NodeRequest::UnmountVolume { pod_uid: gone.uid.clone(), volume: "data".into() });
    assert_eq!(b.node_op(NodeRequest::RemoveDataDir { pod_uid: gone.uid.clone() }), NodeReply::Ok);
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_clean();
}

#[test]
fn reports_a_pod_without_a_ready_sandbox_after_the_world_settled() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "app", 0);
    assert!(b.containerd.kill_pause(b.now, &sandbox));
    b.report_status(&p, running_status(&p));
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_reported(Rule::Convergence, &["default/web", "no ready sandbox"]);
    b.assert_only(Rule::Convergence);
    b.assert_pod(Rule::Convergence, Some("default/web"));
}

/// A trigger whose exit matches its RestartAllContainers rule is to run again (the whole pod
/// restarts), whatever its own policy: left exited, it is reported.
#[test]
fn reports_a_pod_whose_in_place_restart_never_came_after_the_world_settled() {
    let p = pod_restarting_all("job");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let trigger = b.run(&sandbox, &p, "trigger", 0);
    b.run(&sandbox, &p, "worker", 0);
    b.report_status(&p, running_status(&p));
    b.advance(2_000);
    b.crash(&trigger, 42);
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_reported(Rule::Convergence, &["default/job/trigger", "is not running its spec"]);
    b.assert_only(Rule::Convergence);
}

/// ... while an exit no rule matches leaves it exited under its policy Never.
#[test]
fn accepts_a_trigger_left_exited_after_an_exit_no_rule_matches() {
    let p = pod_restarting_all("job");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let trigger = b.run(&sandbox, &p, "trigger", 0);
    b.run(&sandbox, &p, "worker", 0);
    b.report_status(&p, running_status(&p));
    b.advance(2_000);
    b.crash(&trigger, 1);
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_clean();
}

#[test]
fn reports_a_container_not_running_its_spec_after_the_world_settled() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "app", 0);
    b.report_status(&p, running_status(&p));
    b.update_image(&p, "app", IMAGE_2);
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_reported(Rule::Convergence, &["default/web/app", "is not running its spec"]);
    b.assert_only(Rule::Convergence);
}

#[test]
fn reports_a_container_never_started_after_the_world_settled() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.created(&sandbox, &p, "app", 0);
    b.report_status(&p, running_status(&p));
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_reported(Rule::Convergence, &["default/web/app", "is not running its spec"]);
    b.assert_only(Rule::Convergence);
}

#[test]
fn accepts_a_pod_running_its_spec_after_the_world_settled() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "app", 0);
    b.report_status(&p, running_status(&p));
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_clean();
}

/// A pod whose status the kubelet wrote with this phase (container states as when running).
fn status_with_phase(p: &Pod, phase: PodPhase) -> PodStatusReport {
    let mut status = running_status(p);
    status.phase = phase;
    status
}

/// A pod of restart policy `policy` whose one container `app` ran and exited with `exit_code`.
fn pod_whose_container_exited(policy: RestartPolicy, exit_code: i32) -> (Bench, Pod, String) {
    let p = pod_with_policy("web", policy);
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(5_000);
    b.crash(&id, exit_code);
    (b, p, sandbox)
}

/// A Job-like pod that ran to completion (exit 0 under Never, sandbox stopped, Succeeded), and a pod
/// of another node: both are where their spec asks them to be.
#[test]
fn accepts_a_pod_that_completed_and_a_pod_of_another_node() {
    let (mut b, p, sandbox) = pod_whose_container_exited(RestartPolicy::Never, 0);
    b.cri(CriRequest::StopPodSandbox { sandbox_id: sandbox.into() });
    b.report_status(&p, status_with_phase(&p, PodPhase::Succeeded));
    b.create_pod(pod_on("elsewhere", "node-2"));
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_clean();
}

/// The restart policy decides what "converged" means: a container OOM-killed under Never leaves the
/// pod Failed with its sandbox stopped, which is where the kubelet must leave it (no new sandbox).
#[test]
fn accepts_a_pod_failed_under_never_with_its_sandbox_stopped() {
    let (mut b, p, sandbox) = pod_whose_container_exited(RestartPolicy::Never, 137);
    b.cri(CriRequest::StopPodSandbox { sandbox_id: sandbox.into() });
    b.report_status(&p, status_with_phase(&p, PodPhase::Failed));
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_clean();
}

/// OnFailure after exit 0 is done too (Succeeded).
#[test]
fn accepts_a_pod_succeeded_under_on_failure_with_its_sandbox_stopped() {
    let (mut b, p, sandbox) = pod_whose_container_exited(RestartPolicy::OnFailure, 0);
    b.cri(CriRequest::StopPodSandbox { sandbox_id: sandbox.into() });
    b.report_status(&p, status_with_phase(&p, PodPhase::Succeeded));
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_clean();
}

#[test]
fn reports_a_done_pod_whose_sandbox_is_still_ready() {
    let (mut b, p, _) = pod_whose_container_exited(RestartPolicy::Never, 1);
    b.report_status(&p, status_with_phase(&p, PodPhase::Failed));
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_reported(Rule::Convergence, &["default/web", "is Failed but still has a ready sandbox"]);
    b.assert_only(Rule::Convergence);
    b.assert_pod(Rule::Convergence, Some("default/web"));
}

#[test]
fn reports_a_done_pod_whose_status_says_running() {
    let (mut b, p, sandbox) = pod_whose_container_exited(RestartPolicy::Never, 1);
    b.cri(CriRequest::StopPodSandbox { sandbox_id: sandbox.into() });
    b.report_status(&p, running_status(&p));
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_reported(Rule::StatusAgrees, &["default/web", "is Failed but the API server says Running"]);
    b.assert_only(Rule::StatusAgrees);
    b.assert_pod(Rule::StatusAgrees, Some("default/web"));
}

/// A container that failed under OnFailure is to run again: a stopped sandbox is not converged.
#[test]
fn reports_a_pod_failed_under_on_failure_left_without_a_sandbox() {
    let (mut b, p, sandbox) = pod_whose_container_exited(RestartPolicy::OnFailure, 1);
    b.cri(CriRequest::StopPodSandbox { sandbox_id: sandbox.into() });
    b.report_status(&p, status_with_phase(&p, PodPhase::Failed));
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_reported(Rule::Convergence, &["default/web", "no ready sandbox"]);
}

/// A container whose workload exits by itself under Always cycles (CrashLoopBackOff): no running
/// state is required of it, but its pod keeps a ready sandbox and is Running.
#[test]
fn accepts_a_container_that_cycles_under_always_between_restarts() {
    let mut p = pod("web");
    p.spec_mut().containers[0].command = ["workload", "exit-after", "1s", "1"].map(String::from).to_vec();
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "app", 0);
    b.advance(2_000);
    b.report_status(&p, running_status(&p));
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_clean();
}

/// A restartPolicy Never pod that lost its sandbox after its containers ran gets no new sandbox from
/// the kubelet (computePodActions), even for a container whose own policy is Always: it must only be
/// left with nothing running.
#[test]
fn accepts_a_never_pod_stranded_without_a_sandbox_and_reports_one_still_running() {
    let mut p = pod_with_policy("web", RestartPolicy::Never);
    p.spec_mut().containers[0].restart_policy = Some(RestartPolicy::Always);
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "app", 0);
    assert!(b.containerd.kill_pause(b.now, &sandbox));
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_reported(
        Rule::Convergence,
        &["default/web", "lost its sandbox under restartPolicy Never but still runs"],
    );
    b.assert_only(Rule::Convergence);

    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id2 = b.run(&sandbox, &p, "app", 0);
    assert!(b.containerd.kill_pause(b.now, &sandbox));
    b.stop(&id2, 2);
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_clean();
}

/// A pod that reads a Secret nobody created cannot run: the user's error, not the kubelet's.
#[test]
fn accepts_a_pod_that_reads_a_secret_nobody_created() {
    let p = pod_with_prerequisites("web", false);
    let (mut b, _) = bench_with_sandbox(&p);
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_clean();
}

// ---- StatusAgrees ------------------------------------------------------------------------------------

#[test]
fn reports_a_running_pod_whose_status_says_pending() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "app", 0);
    let mut status = running_status(&p);
    status.phase = PodPhase::Pending;
    b.report_status(&p, status);
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_reported(Rule::StatusAgrees, &["default/web", "the API server says Pending"]);
    b.assert_only(Rule::StatusAgrees);
    b.assert_pod(Rule::StatusAgrees, Some("default/web"));
}

#[test]
fn reports_a_running_pod_whose_status_was_never_written() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "app", 0);
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_reported(Rule::StatusAgrees, &["default/web", "the API server says no status"]);
    b.assert_only(Rule::StatusAgrees);
}

#[test]
fn accepts_a_running_pod_whose_status_says_running() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "app", 0);
    b.report_status(&p, running_status(&p));
    b.advance(400_000);
    b.judge_convergence(10_000);
    b.assert_clean();
}

// ---- Expectation -------------------------------------------------------------------------------------

fn expect(pod: &str, e: PodExpectation) -> Expectations {
    Expectations { pods: [(pod.to_string(), e)].into_iter().collect(), ..Default::default() }
}

/// A running pod `web` whose status the kubelet wrote: `app` running after 2 restarts.
fn reported_running_pod() -> Bench {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    b.run(&sandbox, &p, "app", 0);
    let mut status = running_status(&p);
    status.container_statuses[0].restart_count = 2;
    b.report_status(&p, status);
    b
}

#[test]
fn reports_a_pod_whose_phase_is_not_the_expected_one() {
    let mut b = reported_running_pod();
    b.judge_expectations(&expect(
        "web",
        PodExpectation { phase: Some(PodPhase::Succeeded), ..Default::default() },
    ));
    b.assert_reported(Rule::Expectation, &["web", "expected phase Succeeded, found Running"]);
    b.assert_only(Rule::Expectation);
    b.assert_pod(Rule::Expectation, Some("default/web"));
}

#[test]
fn reports_a_container_whose_state_reason_exit_code_and_restarts_are_not_the_expected_ones() {
    let mut b = reported_running_pod();
    let app = ContainerExpectation {
        state: Some(StateName::Terminated),
        reason: Some("Completed".into()),
        restarts: Some(CountRange { min: 5, max: 7 }),
        exit_code: Some(0),
        ..Default::default()
    };
    let containers = [("app".to_string(), app)].into_iter().collect();
    b.judge_expectations(&expect("web", PodExpectation { containers, ..Default::default() }));
    b.assert_reported(Rule::Expectation, &["web/app", "expected Terminated, found Running"]);
    b.assert_reported(Rule::Expectation, &["web/app", "expected reason Completed"]);
    b.assert_reported(Rule::Expectation, &["web/app", "expected exit code 0"]);
    b.assert_reported(Rule::Expectation, &["web/app", "expected 5..7 restarts, found 2"]);
    b.assert_only(Rule::Expectation);
}

#[test]
fn reports_a_container_without_a_status() {
    let mut b = reported_running_pod();
    let containers = [("sidecar".to_string(), ContainerExpectation::default())].into_iter().collect();
    b.judge_expectations(&expect("web", PodExpectation { containers, ..Default::default() }));
    b.assert_reported(Rule::Expectation, &["web/sidecar", "no status reported"]);
    b.assert_only(Rule::Expectation);
}

#[test]
fn reports_a_pod_expected_gone_that_the_api_server_still_has() {
    let mut b = reported_running_pod();
    b.delete_pod(&pod("web"), None);
    b.judge_expectations(&expect("web", PodExpectation { gone: true, ..Default::default() }));
    b.assert_reported(Rule::Expectation, &["web", "expected gone", "being deleted"]);
    b.assert_only(Rule::Expectation);
}

#[test]
fn reports_an_expected_pod_the_api_server_does_not_have() {
    let mut b = reported_running_pod();
    b.judge_expectations(&expect("default/other", PodExpectation::default()));
    b.assert_reported(Rule::Expectation, &["default/other", "the API server does not have it"]);
    b.assert_only(Rule::Expectation);
}

#[test]
fn accepts_a_pod_that_meets_its_expectations() {
    let mut b = reported_running_pod();
    let app = ContainerExpectation {
        state: Some(StateName::Running),
        reason: None,
        restarts: Some(CountRange { min: 1, max: 3 }),
        exit_code: None,
        ..Default::default()
    };
    let containers = [("app".to_string(), app)].into_iter().collect();
    let mut all =
        expect("web", PodExpectation { phase: Some(PodPhase::Running), containers, ..Default::default() });
    all.pods.insert("default/gone".into(), PodExpectation { gone: true, ..Default::default() });
    b.judge_expectations(&all);
    b.assert_clean();
}

// ---- cases the checker once got wrong (each was a false positive or negative) ----------------------

/// Once a FALSE POSITIVE (RestartBackoff), now fixed: the checker bumped its backoff mirror when it sees
/// `StartContainer`, the kubelet (client-go `Backoff.Next`, and the model's `start_container`) when it
/// decides to restart, before pulling the image. An entry expires when the next crash comes more than
/// 2 x 300 s after the last bump; a crash 600 s after the start of an instance whose image took 20 s to
/// pull has expired for the kubelet (620 s) but not for the checker (600 s). The kubelet then restarts
/// at once, which is right, and the checker reports a backoff violation.
#[test]
fn accepts_an_immediate_restart_once_the_kubelets_backoff_entry_expired() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let key = format!("{}/app/{:x}", p.uid, p.spec.containers[0].hash());
    let mut kubelet = Backoff::kubelet_default();
    let first = b.run(&sandbox, &p, "app", 0);
    // Crash 1 at 100 s. The kubelet decides at once (no backoff yet), pulls for 20 s, starts at 120 s.
    b.advance(100_000);
    b.crash(&first, 1);
    kubelet.next(&key, 100_000, 100_000);
    b.advance(120_000);
    let second = b.run(&sandbox, &p, "app", 1);
    // Crash 2 at 720 s: 620 s after the kubelet's bump, 600 s after the start.
    b.advance(720_000);
    b.crash(&second, 1);
    assert!(!kubelet.is_in_backoff_since(&key, 720_000, 720_500), "the kubelet's entry expired");
    b.advance(720_500);
    b.run(&sandbox, &p, "app", 2);
    b.assert_clean();
}

/// Once a FALSE NEGATIVE (RestartPolicyHonoured), now fixed: a `StopContainer` of a container that already exited on
/// its own rewrites the checker's memory of how it ended (`after_cri` records every successful stop
/// as "not by itself"), so a restart under restartPolicy Never after a redundant stop goes unreported.
#[test]
fn reports_a_restart_under_never_after_a_redundant_stop_of_the_exited_container() {
    let p = pod_with_policy("job", RestartPolicy::Never);
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.advance(2_000);
    b.crash(&id, 1);
    b.stop(&id, 30);
    b.create(&sandbox, &p, "app", 1);
    b.assert_reported(Rule::RestartPolicyHonoured, &["default/job/app", "restartPolicy Never"]);
}

/// Once a FALSE NEGATIVE (RestartBackoff), now fixed: `StopPodSandbox` marked every container of the sandbox as stopped by
/// the kubelet, those that had already crashed included, so a restart in the next sandbox that skips
/// the CrashLoopBackOff of the last crash goes unreported. The kubelet's `doBackOff` reads the newest
/// exited instance whatever sandbox it ran in, and that instance crashed on its own.
#[test]
fn reports_a_restart_in_a_new_sandbox_before_the_backoff_of_the_last_crash_ended() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let first = b.run(&sandbox, &p, "app", 0);
    b.advance(2_000);
    b.crash(&first, 1);
    let second = b.run(&sandbox, &p, "app", 1);
    b.advance(4_000);
    b.crash(&second, 1);
    b.advance(4_500);
    assert!(b.containerd.kill_pause(b.now, &sandbox));
    b.cri(CriRequest::StopPodSandbox { sandbox_id: sandbox.into() });
    let sandbox = b.run_sandbox(&p, 1);
    b.advance(5_000);
    b.run(&sandbox, &p, "app", 2);
    b.assert_reported(Rule::RestartBackoff, &["web/app", "restart 2", "ended at 14000 ms"]);
}

// ---- OwnObjectsOnly, on a runtime read from CRI listings --------------------------------------------

/// A runtime as a real containerd's CRI `ListPodSandbox` and `ListContainers` show it, built up as
/// listed (each new object first): what the containerd driver hands the checker as a [`CriListing`].
#[derive(Default)]
struct Listed {
    sandboxes: Vec<SandboxInfo>,
    containers: Vec<ContainerInfo>,
}

impl Listed {
    /// A ready sandbox `id` of `pod` (`None`: without pod labels, not the kubelet's).
    fn with_sandbox(mut self, id: &str, pod: Option<&Pod>) -> Listed {
        let status = SandboxStatus {
            id: id.into(),
            state: SandboxState::Ready,
            attempt: 0,
            ip: SharedStr::EMPTY,
            host_network: false,
            created_at: 0,
        };
        self.sandboxes.insert(0, SandboxInfo { pod: pod.map(PodRef::of), status });
        self
    }

    /// A container `id` named `name` running in sandbox `sandbox_id` of `pod` (`None`: foreign).
    fn with_running_container(mut self, id: &str, name: &str, sandbox_id: &str, pod: Option<&Pod>) -> Listed {
        let status = ContainerStatus {
            id: id.into(),
            name: name.into(),
            state: ContainerState::Running,
            exit_code: 0,
            reason: SharedStr::EMPTY,
            hash: 0,
            restart_count: 0,
            sandbox_id: sandbox_id.into(),
            image: IMAGE.into(),
            created_at: (self.sandboxes.len() + self.containers.len()) as Millis,
            started_at: Some(0),
            finished_at: None,
            resources: None,
        };
        self.containers.push(ContainerInfo { pod: pod.map(PodRef::of), status });
        self
    }

    /// The listing the checker reads.
    fn listing(self) -> CriListing {
        CriListing::new(self.sandboxes, self.containers, [IMAGE.to_string()])
    }
}

/// The kubelet's CRI calls against a listed runtime, judged as the world judges them; the violations.
fn judge_calls_on(runtime: Listed, calls: &[CriRequest]) -> Vec<Violation> {
    let (api, node, listing) = (ApiServer::new(), Node::new(), runtime.listing());
    let view = View { api: &api, containerd: &listing, node: &node, node_name: NODE };
    let mut checker = Checker::new(NODE);
    for call in calls {
        checker.before_cri(0, call, &view);
        checker.after_cri(0, call, &CriReply::Ok, &view);
    }
    checker.take_violations()
}

#[test]
fn reports_a_foreign_sandbox_stopped_and_removed() {
    let runtime = Listed::default().with_sandbox("sandbox-9", None);
    let calls = [
        CriRequest::StopPodSandbox { sandbox_id: "sandbox-9".into() },
        CriRequest::RemovePodSandbox { sandbox_id: "sandbox-9".into() },
    ];
    let found = judge_calls_on(runtime, &calls);
    let told: Vec<(Rule, Option<&str>, &str)> =
        found.iter().map(|v| (v.rule, v.pod.as_deref(), v.detail.as_str())).collect();
    assert_eq!(
        told,
        [
            (Rule::OwnObjectsOnly, None, "stopped foreign sandbox sandbox-9"),
            (Rule::OwnObjectsOnly, None, "removed foreign sandbox sandbox-9"),
        ]
    );
}

/// The kubelet's `HandlePodCleanups` stops and removes the sandbox of a pod the API server does not
/// have, once its containers stopped: its own object, next to a foreign one.
#[test]
fn accepts_an_own_sandbox_stopped_and_removed_next_to_a_foreign_one() {
    let gone = pod("gone");
    let runtime = Listed::default()
        .with_sandbox("sandbox-9", None)
        .with_running_container("container-9", "agent", "sandbox-9", None)
        .with_sandbox("sandbox-1", Some(&gone));
    let calls = [
        CriRequest::StopPodSandbox { sandbox_id: "sandbox-1".into() },
        CriRequest::RemovePodSandbox { sandbox_id: "sandbox-1".into() },
    ];
    assert_eq!(judge_calls_on(runtime, &calls), []);
}

/// The same rule judges a runtime read from CRI listings as the simulated containerd: a container of
/// a deleted pod's sandbox that still runs is seen there too.
#[test]
fn reports_a_sandbox_stopped_while_its_container_runs_on_a_listed_runtime() {
    let gone = pod("gone");
    let runtime = Listed::default().with_sandbox("sandbox-1", Some(&gone)).with_running_container(
        "container-1",
        "app",
        "sandbox-1",
        Some(&gone),
    );
    let found = judge_calls_on(runtime, &[CriRequest::StopPodSandbox { sandbox_id: "sandbox-1".into() }]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].rule, Rule::ContainersStopBeforeSandbox);
    assert_eq!(found[0].pod.as_deref(), Some("default/gone"));
}

// ---- Livelock --------------------------------------------------------------------------------------

#[test]
fn reports_a_run_stopped_past_its_event_limit_as_a_livelock() {
    let mut b = Bench::new();
    b.advance(7_000);
    b.livelock(5_000_000);
    b.assert_reported(Rule::Livelock, &["more than 5000000 events", "livelock"]);
    b.assert_only(Rule::Livelock);
    b.assert_pod(Rule::Livelock, None);
    assert_eq!(b.violations()[0].t, 7_000);
}

/// A whole run of a scenario with crash loops and restarts handles many events and comes to rest: no
/// livelock is reported, nor anything else.
#[test]
fn accepts_a_run_that_comes_to_rest() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/crash-loop-backoff.yaml");
    let text = std::fs::read_to_string(path).expect("the scenario is there");
    let scenario = podsim_sim::scenario::Scenario::parse(path, &text).expect("it parses");
    let (outcome, _) = podsim_sim::world::World::new(&scenario, 0, false, false).run();
    assert!(outcome.events > 100, "a busy run: {} events", outcome.events);
    assert!(outcome.liveness_checked, "it settled and was judged");
    assert!(outcome.violations.is_empty(), "{:#?}", outcome.violations);
}

// ---- the registry --------------------------------------------------------------------------------

/// Every variant of `Rule`, as serde knows them (its error for an unknown one lists them all).
fn every_rule_variant() -> Vec<String> {
    let error = serde_json::from_str::<Rule>("\"NoSuchRule\"").expect_err("no such rule").to_string();
    let (_, listed) = error.split_once("expected one of").expect("serde lists the variants");
    listed.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

#[test]
fn the_registry_lists_every_rule_once_with_its_words_and_observations() {
    let rules = registry(&Settings { restart_backoff: Backoff::kubelet_default() });
    let mut listed: Vec<String> = rules.iter().map(|r| format!("{:?}", r.rule())).collect();
    listed.sort();
    let mut variants = every_rule_variant();
    variants.sort();
    assert!(variants.len() >= 15, "serde listed {variants:?}");
    assert_eq!(listed, variants, "each Rule variant is registered exactly once");
    for rule in &rules {
        let words = rule.words();
        assert!(!words.is_empty() && !words.contains('\n'), "{:?}: one line of words", rule.rule());
        assert!(words.ends_with('.'), "{:?}: a sentence: {words}", rule.rule());
        assert!(!rule.observes().is_empty(), "{:?} observes something", rule.rule());
    }
    let told: Vec<Rule> = Checker::new(NODE).rules().into_iter().map(|(r, _)| r).collect();
    assert_eq!(told, rules.iter().map(|r| r.rule()).collect::<Vec<_>>(), "the checker runs the registry");
}

/// A violation's pod is part of its JSON (the run's `--json` outcome), `null` when it concerns none.
#[test]
fn a_violation_carries_its_pod_into_json() {
    let p = pod("web");
    let (mut b, sandbox) = bench_with_sandbox(&p);
    let id = b.run(&sandbox, &p, "app", 0);
    b.stop(&id, 30);
    let json = serde_json::to_value(&b.violations()[0]).expect("serialises");
    assert_eq!(json["rule"], "MatchingContainerKept");
    assert_eq!(json["pod"], "default/web");
    b.livelock(10);
    let json = serde_json::to_value(b.violations().last().expect("one more")).expect("serialises");
    assert_eq!(json["pod"], serde_json::Value::Null);
}

/// The README's table of the checker's rules says what the registry says, word for word.
#[test]
fn the_readme_lists_every_rule_with_its_words() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md is there");
    for rule in registry(&Settings { restart_backoff: Backoff::kubelet_default() }) {
        let row = format!("| `{:?}` | {} |", rule.rule(), rule.words());
        assert!(readme.contains(&row), "README.md lacks the row {row}");
    }
}

/// Every rule has its section in this file, with a case that breaks it (`reports_...`) and one that
/// honours it (`accepts_...`): a rule is only as good as the assertions made of it both ways.
#[test]
fn every_rule_has_a_section_here_that_reports_it_and_accepts() {
    let this = include_str!("checker_rules.rs");
    let sections: Vec<&str> = this.split("\n// ---- ").skip(1).collect();
    for rule in registry(&Settings { restart_backoff: Backoff::kubelet_default() }) {
        let name = format!("{:?}", rule.rule());
        let own = sections
            .iter()
            .find(|s| s.starts_with(&format!("{name} ")) || s.starts_with(&format!("{name},")));
        let Some(section) = own else { panic!("no section `// ---- {name}` in checker_rules.rs") };
        assert!(section.contains("\nfn reports_"), "{name}: no case that reports it");
        assert!(section.contains("\nfn accepts_"), "{name}: no case that accepts");
    }
}
