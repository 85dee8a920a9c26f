//! A tiny world for testing the `Kubelet` alone: an API server, a node and a container runtime that
//! do exactly what they are told, answer after 1 ms, and keep time on an event queue. (The real,
//! fault-injecting world is the `sim` crate; this one is deliberately obedient.)
//!
//! Workloads: a container whose command is `["exit", CODE]` exits with CODE 1 ms after it starts;
//! `["exit", CODE, MILLIS]` after MILLIS; any other runs until stopped.
//!
//! Like a real API server, a status write changes the pod's resource version and comes back on the
//! watch (a status-only change). The network to the API server can be cut ([`World::partition`]): a
//! request is then answered Unavailable after the client's timeout, and every watch breaks. A jittered
//! timer fires after its delay plus [`World::jitter`] (a fraction of the largest jitter; none by
//! default).

#![allow(dead_code)]

use podsim_model::shared_str::SharedStr;
use std::collections::{BTreeMap, BTreeSet};

use podsim_model::linux_resources::{to_kube_container_resources, LinuxContainerResources};

use podsim_model::events::{Event as ApiEvent, KubeletEvent};
use podsim_model::io::{
    ApiError, ApiReply, ApiRequest, ContainerInfo, CriError, CriReply, CriRequest, Input, NodeReply,
    NodeRequest, Output, PodDir, PodRef, SandboxInfo, Timer, WatchEvent,
};
use podsim_model::{
    ContainerState, ContainerStatus, Kubelet, KubeletConfig, Millis, Pod, PodStatusReport, SandboxState,
    SandboxStatus,
};

pub const NODE: &str = "node-1";

/// One delivery: to the kubelet, or a runtime-internal happening (a container's process exits).
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Event {
    ToKubelet(Input),
    Exit { container_id: String, code: i32 },
}

#[derive(Default)]
pub struct Runtime {
    pub sandboxes: Vec<(PodRef, SandboxStatus)>,
    pub containers: Vec<(PodRef, ContainerStatus, Vec<String>)>,
    pub images: BTreeSet<String>,
    /// Pulls of these images fail.
    pub broken_images: BTreeSet<String>,
    /// Calls of these CRI methods (`StopContainer`, `ImageStatus`, ...) fail with `injected failure`.
    pub failing_methods: BTreeSet<String>,
    /// Calls of these methods (`ExecSync`, ...) time out: answered with `DeadlineExceeded` (as the
    /// simulator's injected timeouts are), without doing anything.
    pub timing_out_methods: BTreeSet<String>,
    /// The message a failing method's error has instead, `{id}` replaced by the call's first argument
    /// (the container's or sandbox's id), as a real runtime's errors name what failed.
    pub failure_messages: BTreeMap<String, String>,
    /// Pulls of these images are answered this long after they are asked (others after 1 ms).
    pub pull_latency: BTreeMap<String, Millis>,
    /// Every `PullImage` asked: when, and the image.
    pub pulls: Vec<(Millis, String)>,
    next_id: u64,
    /// Every CRI call, in order, as text (for assertions on order).
    pub calls: Vec<String>,
    /// Every container start: when, pod UID, container name.
    pub started: Vec<(Millis, String, String)>,
    /// Every read of one pod's runtime state (a sync's `ReadRuntime`): when, pod UID.
    pub pod_reads: Vec<(Millis, String)>,
    /// Every `UpdateContainerResources`: when, the container, the values.
    pub resource_updates: Vec<(Millis, String, LinuxContainerResources)>,
    /// What an `ExecSync` in a running container of this name exits with (default 0); `None`: the
    /// call fails with a runtime error.
    pub exec_exit: BTreeMap<String, Option<i32>>,
    /// An `ExecSync` in a container of this name is answered this long after it is asked (others
    /// after 1 ms).
    pub exec_latency: BTreeMap<String, Millis>,
    /// Every `ExecSync`: when, and the container's name.
    pub execs: Vec<(Millis, String)>,
}

#[derive(Default)]
pub struct Api {
    pub pods: BTreeMap<String, Pod>,
    pub secrets: BTreeSet<String>,
    pub statuses: BTreeMap<String, PodStatusReport>,
    /// Every status write taken: when, the pod's UID, the phase.
    pub status_writes: Vec<(Millis, String, podsim_model::PodPhase)>,
    pub released: BTreeSet<String>,
    rv: u64,
    watching: bool,
    /// Every watch event with its resource version, so that a watch from an older version replays.
    history: Vec<(u64, WatchEvent)>,
    /// The Secrets being watched.
    secret_watches: BTreeSet<String>,
    /// Every request the kubelet sent, answered or not: when, and its kind (`ListPods`,
    /// `WatchPods`, `ListSecret`, ...).
    pub requests: Vec<(Millis, &'static str)>,
    /// The network to the API server is cut.
    pub partitioned: bool,
    /// A status write is answered this long after it is taken (others after 1 ms).
    pub status_reply_delay: Millis,
    /// Status writes come back on the watch (as a real API server's do).
    pub echo_status: bool,
    /// The Events written, by name (the last write of each).
    pub events: BTreeMap<String, ApiEvent>,
    /// Requests of these kinds (`WatchSecret`, `ListPods`, ...) are answered Unavailable.
    pub failing_requests: BTreeSet<&'static str>,
}

/// How long the kubelet's API client waits for a reply.
pub const API_TIMEOUT: Millis = 5_000;

#[derive(Default)]
pub struct Node {
    pub data_dirs: BTreeSet<String>,
    pub mounts: BTreeSet<(String, String)>,
    /// Mounts of these volume names fail.
    pub broken_volumes: BTreeSet<String>,
    /// Removals of these pods' data directories fail (the node answers an error).
    pub stuck_data_dirs: BTreeSet<String>,
    /// Unmounts of volumes of these names fail (the node answers an error; the volume stays mounted).
    pub stuck_volumes: BTreeSet<String>,
    /// Makings of these pods' data directories fail (the node answers an error).
    pub broken_data_dirs: BTreeSet<String>,
    /// Every request the kubelet sent the node: when, and what (`UnmountVolume web/cache`, ...).
    pub requests: Vec<(Millis, String)>,
}

pub struct World {
    pub now: Millis,
    pub kubelet: Kubelet,
    queue: BTreeMap<(Millis, u64), Event>,
    seq: u64,
    pub api: Api,
    pub rt: Runtime,
    pub node: Node,
    pub inputs: u64,
    /// Jittered timers fire after their delay plus this fraction (numerator, denominator) of the
    /// largest jitter.
    pub jitter: (u64, u64),
    /// Every jittered timer set: when, the timer, its base delay, the delay drawn.
    pub timers: Vec<(Millis, Timer, Millis, Millis)>,
    /// Every event the kubelet recorded (`recorder.Event`), when.
    pub recorded: Vec<(Millis, KubeletEvent)>,
    /// Fixed timers fire this late, as a real clock may deliver them (0: on time, as the simulator).
    pub timer_lateness: Millis,
}

impl World {
    pub fn new() -> World {
        let mut w = World {
            now: 0,
            kubelet: Kubelet::new(KubeletConfig::new(NODE)),
            queue: BTreeMap::new(),
            seq: 0,
            api: Api::default(),
            rt: Runtime::default(),
            node: Node::default(),
            inputs: 0,
            jitter: (0, 1),
            timers: Vec::new(),
            recorded: Vec::new(),
            timer_lateness: 0,
        };
        w.api.echo_status = true;
        w.schedule(0, Event::ToKubelet(Input::Start));
        w
    }

    /// A world whose kubelet has these settings.
    pub fn with_config(config: KubeletConfig) -> World {
        let mut w = World::new();
        w.kubelet = Kubelet::new(config);
        w
    }

    /// Cuts the network to the API server: every open watch breaks (the kubelet notices after the
    /// client's timeout), and requests are answered Unavailable after it.
    pub fn partition(&mut self) {
        self.api.partitioned = true;
        let at = self.now + API_TIMEOUT;
        if std::mem::take(&mut self.api.watching) {
            self.schedule(at, Event::ToKubelet(Input::WatchClosed { gone: false }));
        }
        for name in std::mem::take(&mut self.api.secret_watches) {
            let input = Input::SecretWatchClosed { namespace: "default".into(), name, gone: false };
            self.schedule(at, Event::ToKubelet(input));
        }
    }

    /// The API server ends the open pod watch (`gone`: with 410 Gone, the version it watched from
    /// compacted); the kubelet hears of it 1 ms later.
    pub fn end_pod_watch(&mut self, gone: bool) {
        if std::mem::take(&mut self.api.watching) {
            self.schedule(self.now + 1, Event::ToKubelet(Input::WatchClosed { gone }));
        }
    }

    /// Heals the partition.
    pub fn heal(&mut self) {
        self.api.partitioned = false;
    }

    /// Creates a Secret (in namespace `default`).
    pub fn create_secret(&mut self, name: &str) {
        self.api.secrets.insert(name.to_string());
        self.notify_secret(name, true);
    }

    /// Deletes a Secret.
    pub fn delete_secret(&mut self, name: &str) {
        self.api.secrets.remove(name);
        self.notify_secret(name, false);
    }

    fn notify_secret(&mut self, name: &str, exists: bool) {
        self.api.rv += 1;
        if self.api.secret_watches.contains(name) {
            let input = Input::SecretEvent {
                namespace: "default".into(),
                name: name.to_string(),
                exists,
                resource_version: self.api.rv,
            };
            self.schedule(self.now + 1, Event::ToKubelet(input));
        }
    }

    /// A status-only change of a pod, as another writer of its status would make (the resource
    /// version moves, nothing the kubelet acts on changes).
    pub fn touch_status(&mut self, uid: &str) {
        self.update_pod(uid, |_| {});
    }

    /// When each sync of this pod read the runtime.
    pub fn syncs_of(&self, uid: &str) -> Vec<Millis> {
        self.rt.pod_reads.iter().filter(|(_, u)| u == uid).map(|(t, _)| *t).collect()
    }

    fn schedule(&mut self, at: Millis, event: Event) {
        self.seq += 1;
        self.queue.insert((at, self.seq), event);
    }

    /// A kubelet crash and restart: a new process, all memory lost; in-flight replies are lost too.
    pub fn restart_kubelet(&mut self) {
        self.queue.retain(|_, e| !matches!(e, Event::ToKubelet(_)));
        self.api.watching = false;
        self.api.secret_watches.clear();
        self.kubelet = Kubelet::new(self.kubelet.config().clone());
        self.schedule(self.now, Event::ToKubelet(Input::Start));
    }

    pub fn create_pod(&mut self, mut pod: Pod) {
        self.api.rv += 1;
        pod.resource_version = self.api.rv.to_string();
        self.api.pods.insert(pod.uid.clone(), pod.clone());
        self.notify(WatchEvent::Upserted(pod));
    }

    pub fn update_pod(&mut self, uid: &str, change: impl FnOnce(&mut Pod)) {
        let mut pod = self.api.pods[uid].clone();
        change(&mut pod);
        self.api.rv += 1;
        pod.resource_version = self.api.rv.to_string();
        self.api.pods.insert(uid.to_string(), pod.clone());
        self.notify(WatchEvent::Upserted(pod));
    }

    /// A graceful delete, as `kubectl delete` does: the object stays, with a deletion timestamp.
    pub fn delete_pod(&mut self, uid: &str) {
        let now = self.now;
        self.update_pod(uid, |p| {
            p.deletion_grace_period_seconds = Some(p.spec.termination_grace_period_seconds);
            p.deletion_timestamp = Some(now);
        });
    }

    fn notify(&mut self, event: WatchEvent) {
        let rv = self.api.rv;
        self.api.history.push((rv, event.clone()));
        if self.api.watching && !self.api.partitioned {
            self.schedule(self.now + 1, Event::ToKubelet(Input::WatchEvent { event, resource_version: rv }));
        }
    }

    /// Runs every event up to and including time `until`.
    pub fn run_until(&mut self, until: Millis) {
        while let Some((&(at, seq), _)) = self.queue.iter().next() {
            if at > until {
                break;
            }
            let event = self.queue.remove(&(at, seq)).expect("just seen");
            self.now = at;
            match event {
                Event::ToKubelet(input) => {
                    self.inputs += 1;
                    let outputs = self.kubelet.handle(self.now, input);
                    for o in outputs {
                        self.serve(o);
                    }
                }
                Event::Exit { container_id, code } => self.exit(&container_id, code, ""),
            }
        }
        self.now = until;
    }

    /// Runs for `millis` more.
    pub fn run_for(&mut self, millis: Millis) {
        self.run_until(self.now + millis);
    }

    fn reply_later(&mut self, input: Input) {
        self.schedule(self.now + 1, Event::ToKubelet(input));
    }

    fn serve(&mut self, output: Output) {
        match output {
            Output::SetTimer { at, timer } => {
                self.schedule(at.max(self.now) + self.timer_lateness, Event::ToKubelet(Input::Timer(timer)))
            }
            Output::SetJitteredTimer { delay, jitter, timer } => {
                let (num, den) = self.jitter;
                let drawn = delay + jitter.max_extra(delay) * num / den.max(1);
                self.timers.push((self.now, timer.clone(), delay, drawn));
                self.schedule(self.now + drawn, Event::ToKubelet(Input::Timer(timer)))
            }
            Output::SetRandomTimer { within, timer } => {
                let (num, den) = self.jitter;
                let drawn = within * num / den.max(1);
                self.timers.push((self.now, timer.clone(), 0, drawn));
                self.schedule(self.now + drawn, Event::ToKubelet(Input::Timer(timer)))
            }
            Output::Decision(_) => {}
            Output::Event(e) => self.recorded.push((self.now, e)),
            Output::Api { call, request } => {
                self.api.requests.push((self.now, request_kind(&request)));
                if self.api.partitioned {
                    let reply = ApiReply::Err(ApiError::Unavailable);
                    self.schedule(self.now + API_TIMEOUT, Event::ToKubelet(Input::Api { call, reply }));
                    return;
                }
                let kind = request_kind(&request);
                let reply = if self.api.failing_requests.contains(kind) {
                    ApiReply::Err(ApiError::Unavailable)
                } else {
                    self.serve_api(request)
                };
                let delay = if kind == "UpdatePodStatus" { self.api.status_reply_delay.max(1) } else { 1 };
                self.schedule(self.now + delay, Event::ToKubelet(Input::Api { call, reply }));
            }
            Output::Node { call, request } => {
                self.node.requests.push((self.now, describe_node(&request)));
                let reply = self.serve_node(request);
                self.reply_later(Input::Node { call, reply });
            }
            Output::Cri { call, request } => {
                self.rt.calls.push(describe(&request));
                let mut latency = 1;
                if let CriRequest::PullImage { image } = &request {
                    self.rt.pulls.push((self.now, image.to_string()));
                    latency = self.rt.pull_latency.get(image.as_str()).copied().unwrap_or(1);
                }
                if let CriRequest::ExecSync { container_id, .. } = &request {
                    let name = self.rt.containers.iter().find(|(_, c, _)| c.id == *container_id);
                    let delay = name.and_then(|(_, c, _)| self.rt.exec_latency.get(c.name.as_str()));
                    latency = delay.copied().unwrap_or(1);
                }
                let reply = self.serve_cri(request);
                self.schedule(self.now + latency, Event::ToKubelet(Input::Cri { call, reply }));
            }
        }
    }

    fn serve_api(&mut self, request: ApiRequest) -> ApiReply {
        match request {
            ApiRequest::ListPods { node } => ApiReply::PodList {
                pods: self.api.pods.values().filter(|p| p.spec.node_name == node).cloned().collect(),
                resource_version: self.api.rv,
            },
            ApiRequest::WatchPods { resource_version, .. } => {
                self.api.watching = true;
                // Replay what changed after the version the kubelet listed.
                let missed: Vec<(u64, WatchEvent)> =
                    self.api.history.iter().filter(|(rv, _)| *rv > resource_version).cloned().collect();
                for (rv, event) in missed {
                    self.schedule(
                        self.now + 1,
                        Event::ToKubelet(Input::WatchEvent { event, resource_version: rv }),
                    );
                }
                ApiReply::Watching
            }
            ApiRequest::GetPod { namespace, name } => {
                match self.api.pods.values().find(|p| p.namespace == namespace && p.name == name) {
                    Some(p) => ApiReply::Pod(p.clone()),
                    None => ApiReply::Err(ApiError::NotFound),
                }
            }
            ApiRequest::GetSecret { name, .. } => {
                if self.api.secrets.contains(&name) {
                    ApiReply::Secret
                } else {
                    ApiReply::Err(ApiError::NotFound)
                }
            }
            ApiRequest::ListSecret { name, .. } => ApiReply::SecretList {
                exists: self.api.secrets.contains(&name),
                resource_version: self.api.rv,
            },
            ApiRequest::WatchSecret { name, .. } => {
                self.api.secret_watches.insert(name);
                ApiReply::Watching
            }
            ApiRequest::UpdatePodStatus { pod, status } => {
                if self.api.pods.contains_key(pod.uid.as_str()) {
                    self.api.status_writes.push((self.now, pod.uid.to_string(), status.phase));
                    self.api.statuses.insert(pod.uid.to_string(), status.clone());
                    let status = Some(std::sync::Arc::new(status));
                    if self.api.echo_status {
                        // A status write is a write: a new resource version, sent on the watch.
                        self.update_pod(&pod.uid, |p| p.status = status);
                    } else if let Some(p) = self.api.pods.get_mut(pod.uid.as_str()) {
                        p.status = status;
                    }
                    ApiReply::Ok
                } else {
                    ApiReply::Err(ApiError::NotFound)
                }
            }
            ApiRequest::CreateEvent { event } => {
                if self.api.events.contains_key(&event.name) {
                    return ApiReply::Err(ApiError::Conflict);
                }
                self.api.events.insert(event.name.clone(), event);
                ApiReply::Ok
            }
            ApiRequest::PatchEvent { event } => match self.api.events.get_mut(&event.name) {
                Some(e) => {
                    *e = event;
                    ApiReply::Ok
                }
                None => ApiReply::Err(ApiError::NotFound),
            },
            ApiRequest::DeletePod { pod } => match self.api.pods.remove(pod.uid.as_str()) {
                Some(p) => {
                    self.api.released.insert(pod.uid.to_string());
                    self.api.rv += 1;
                    self.notify(WatchEvent::Deleted(p));
                    ApiReply::Ok
                }
                None => ApiReply::Err(ApiError::NotFound),
            },
        }
    }

    fn serve_node(&mut self, request: NodeRequest) -> NodeReply {
        match request {
            NodeRequest::MakeDataDir { pod_uid } if self.node.broken_data_dirs.contains(&pod_uid) => {
                NodeReply::Err("permission denied: injected".into())
            }
            NodeRequest::MakeDataDir { pod_uid } => {
                self.node.data_dirs.insert(pod_uid);
                NodeReply::Ok
            }
            NodeRequest::MountVolume { pod_uid, volume } => {
                if self.node.broken_volumes.contains(&volume) {
                    return NodeReply::Err("mount failed".into());
                }
                assert!(
                    self.node.data_dirs.contains(&pod_uid),
                    "a volume is mounted only into an existing data directory"
                );
                self.node.mounts.insert((pod_uid, volume));
                NodeReply::Ok
            }
            NodeRequest::UnmountVolume { volume, .. } if self.node.stuck_volumes.contains(&volume) => {
                NodeReply::Err("device or resource busy: injected".into())
            }
            NodeRequest::UnmountVolume { pod_uid, volume } => {
                self.node.mounts.remove(&(pod_uid, volume));
                NodeReply::Ok
            }
            NodeRequest::RemoveDataDir { pod_uid } if self.node.stuck_data_dirs.contains(&pod_uid) => {
                NodeReply::Err("device or resource busy: injected".into())
            }
            NodeRequest::RemoveDataDir { pod_uid } => {
                assert!(
                    !self.node.mounts.iter().any(|(u, _)| *u == pod_uid),
                    "a data directory is removed only after its volumes are unmounted"
                );
                self.node.data_dirs.remove(&pod_uid);
                NodeReply::Ok
            }
            NodeRequest::ListPodDirs => NodeReply::PodDirs(
                self.node
                    .data_dirs
                    .iter()
                    .map(|uid| PodDir {
                        pod_uid: uid.clone(),
                        volumes: self
                            .node
                            .mounts
                            .iter()
                            .filter(|(u, _)| u == uid)
                            .map(|(_, v)| v.clone())
                            .collect(),
                    })
                    .collect(),
            ),
        }
    }

    fn new_id(&mut self, prefix: &str) -> String {
        self.rt.next_id += 1;
        format!("{prefix}{}", self.rt.next_id)
    }

    fn serve_cri(&mut self, request: CriRequest) -> CriReply {
        let now = self.now;
        let described = describe(&request);
        let method = described.split(' ').next().unwrap_or_default().to_string();
        if self.rt.failing_methods.contains(&method) {
            let target = described.split(' ').nth(1).unwrap_or_default();
            let message = self.rt.failure_messages.get(&method).map(|m| m.replace("{id}", target));
            return CriReply::Err(CriError::Failed(message.unwrap_or_else(|| "injected failure".into())));
        }
        if self.rt.timing_out_methods.contains(&method) {
            return CriReply::Err(CriError::DeadlineExceeded);
        }
        match request {
            CriRequest::ListPodSandbox { pod_uid } => {
                if let Some(uid) = &pod_uid {
                    self.rt.pod_reads.push((now, uid.clone()));
                }
                CriReply::Sandboxes(
                    self.rt
                        .sandboxes
                        .iter()
                        .filter(|(p, _)| pod_uid.as_ref().is_none_or(|u| *u == p.uid))
                        .map(|(p, s)| SandboxInfo { pod: Some(p.clone()), status: s.clone() })
                        .collect(),
                )
            }
            CriRequest::ListContainers { pod_uid } => CriReply::Containers(
                self.rt
                    .containers
                    .iter()
                    .filter(|(p, _, _)| pod_uid.as_ref().is_none_or(|u| *u == p.uid))
                    .map(|(p, c, _)| ContainerInfo { pod: Some(p.clone()), status: c.clone() })
                    .collect(),
            ),
            CriRequest::RunPodSandbox { config } => {
                let id = self.new_id("sb");
                let ip =
                    if config.host_network { String::new() } else { format!("10.0.0.{}", self.rt.next_id) };
                let status = SandboxStatus {
                    id: id.as_str().into(),
                    state: SandboxState::Ready,
                    attempt: config.attempt,
                    ip: ip.into(),
                    host_network: config.host_network,
                    created_at: now,
                };
                self.rt.sandboxes.insert(0, (config.pod, status));
                CriReply::SandboxCreated { sandbox_id: id.into() }
            }
            CriRequest::StopPodSandbox { sandbox_id } => {
                let running: Vec<String> = self
                    .rt
                    .containers
                    .iter()
                    .filter(|(_, c, _)| c.sandbox_id == sandbox_id && c.state == ContainerState::Running)
                    .map(|(_, c, _)| c.id.to_string())
                    .collect();
                for id in running {
                    self.exit(&id, 137, "");
                }
                match self.rt.sandboxes.iter_mut().find(|(_, s)| s.id == sandbox_id) {
                    Some((_, s)) => {
                        s.state = SandboxState::NotReady;
                        CriReply::Ok
                    }
                    None => CriReply::Err(CriError::NotFound),
                }
            }
            CriRequest::RemovePodSandbox { sandbox_id } => {
                self.rt.sandboxes.retain(|(_, s)| s.id != sandbox_id);
                self.rt.containers.retain(|(_, c, _)| c.sandbox_id != sandbox_id);
                CriReply::Ok
            }
            CriRequest::ExecSync { container_id, .. } => {
                let running = self
                    .rt
                    .containers
                    .iter()
                    .find(|(_, c, _)| c.id == container_id && c.state == ContainerState::Running)
                    .map(|(_, c, _)| c.name.clone());
                let Some(name) = running else {
                    return CriReply::Err(CriError::Failed("container is not running".into()));
                };
                self.rt.execs.push((now, name.to_string()));
                match self.rt.exec_exit.get(name.as_str()).copied().unwrap_or(Some(0)) {
                    Some(code) => CriReply::Exec(podsim_model::io::ExecResult::exited(code)),
                    None => CriReply::Err(CriError::Failed("exec failed".into())),
                }
            }
            CriRequest::ImageStatus { image } => {
                CriReply::ImagePresent(self.rt.images.contains(image.as_str()))
            }
            CriRequest::PullImage { image } => {
                if self.rt.broken_images.contains(image.as_str()) {
                    CriReply::Err(CriError::Failed("pull failed".into()))
                } else {
                    self.rt.images.insert(image.to_string());
                    CriReply::Ok
                }
            }
            CriRequest::CreateContainer { sandbox_id, config } => {
                let ready = self
                    .rt
                    .sandboxes
                    .iter()
                    .any(|(_, s)| s.id == sandbox_id && s.state == SandboxState::Ready);
                if !ready {
                    return CriReply::Err(CriError::Failed(format!("sandbox {sandbox_id:?} is not ready")));
                }
                assert!(
                    self.rt.images.contains(config.image.as_str()),
                    "a container is created only from a present image"
                );
                let id = self.new_id("c");
                let status = ContainerStatus {
                    id: id.as_str().into(),
                    name: config.name.clone(),
                    state: ContainerState::Created,
                    exit_code: 0,
                    reason: SharedStr::EMPTY,
                    hash: config.hash,
                    restart_count: config.restart_count,
                    sandbox_id,
                    image: config.image.clone(),
                    created_at: now,
                    started_at: None,
                    finished_at: None,
                    resources: config.resources.as_ref().map(to_kube_container_resources),
                };
                self.rt.containers.insert(0, (config.pod, status, config.command));
                CriReply::ContainerCreated { container_id: id.into() }
            }
            CriRequest::StartContainer { container_id } => {
                let Some((pod, c, command)) =
                    self.rt.containers.iter_mut().find(|(_, c, _)| c.id == container_id)
                else {
                    return CriReply::Err(CriError::NotFound);
                };
                self.rt.started.push((now, pod.uid.to_string(), c.name.to_string()));
                c.state = ContainerState::Running;
                c.started_at = Some(now);
                if command.first().map(String::as_str) == Some("exit") {
                    let code = command.get(1).and_then(|c| c.parse().ok()).unwrap_or(0);
                    let after = command.get(2).and_then(|c| c.parse().ok()).unwrap_or(1);
                    self.schedule(now + after, Event::Exit { container_id: container_id.to_string(), code });
                }
                CriReply::Ok
            }
            CriRequest::StopContainer { container_id, .. } => {
                if !self.rt.containers.iter().any(|(_, c, _)| c.id == container_id) {
                    return CriReply::Err(CriError::NotFound);
                }
                self.exit(&container_id, 137, "");
                CriReply::Ok
            }
            CriRequest::RemoveContainer { container_id } => {
                self.rt.containers.retain(|(_, c, _)| c.id != container_id);
                CriReply::Ok
            }
            CriRequest::UpdateContainerResources { container_id, resources } => {
                let Some((_, c, _)) = self.rt.containers.iter_mut().find(|(_, c, _)| c.id == container_id)
                else {
                    return CriReply::Err(CriError::NotFound);
                };
                c.resources = Some(to_kube_container_resources(&resources));
                self.rt.resource_updates.push((now, container_id.to_string(), resources));
                CriReply::Ok
            }
        }
    }

    fn exit(&mut self, container_id: &str, code: i32, reason: &str) {
        let now = self.now;
        if let Some((_, c, _)) = self.rt.containers.iter_mut().find(|(_, c, _)| c.id == container_id) {
            if c.state == ContainerState::Running {
                c.state = ContainerState::Exited;
                c.exit_code = code;
                c.reason = reason.into();
                c.finished_at = Some(now);
            }
        }
    }

    // ---- questions tests ask ---------------------------------------------------------------------

    /// The pod's containers of this name, newest first.
    pub fn instances(&self, uid: &str, name: &str) -> Vec<&ContainerStatus> {
        self.rt
            .containers
            .iter()
            .filter(|(p, c, _)| p.uid == uid && c.name == name)
            .map(|(_, c, _)| c)
            .collect()
    }

    pub fn running(&self, uid: &str, name: &str) -> bool {
        self.instances(uid, name).first().is_some_and(|c| c.state == ContainerState::Running)
    }

    pub fn sandboxes_of(&self, uid: &str) -> Vec<&SandboxStatus> {
        self.rt.sandboxes.iter().filter(|(p, _)| p.uid == uid).map(|(_, s)| s).collect()
    }

    /// Whether anything of the pod is left on the node: a container, a sandbox, a mount, a data dir.
    pub fn anything_left_of(&self, uid: &str) -> Vec<String> {
        let mut left = Vec::new();
        left.extend(
            self.rt
                .containers
                .iter()
                .filter(|(p, _, _)| p.uid == uid)
                .map(|(_, c, _)| format!("container {}", c.id)),
        );
        left.extend(
            self.rt.sandboxes.iter().filter(|(p, _)| p.uid == uid).map(|(_, s)| format!("sandbox {}", s.id)),
        );
        left.extend(self.node.mounts.iter().filter(|(u, _)| u == uid).map(|(_, v)| format!("mount {v}")));
        if self.node.data_dirs.contains(uid) {
            left.push("data directory".into());
        }
        left
    }
}

fn request_kind(request: &ApiRequest) -> &'static str {
    match request {
        ApiRequest::ListPods { .. } => "ListPods",
        ApiRequest::WatchPods { .. } => "WatchPods",
        ApiRequest::GetPod { .. } => "GetPod",
        ApiRequest::GetSecret { .. } => "GetSecret",
        ApiRequest::ListSecret { .. } => "ListSecret",
        ApiRequest::WatchSecret { .. } => "WatchSecret",
        ApiRequest::UpdatePodStatus { .. } => "UpdatePodStatus",
        ApiRequest::DeletePod { .. } => "DeletePod",
        ApiRequest::CreateEvent { .. } => "CreateEvent",
        ApiRequest::PatchEvent { .. } => "PatchEvent",
    }
}

fn describe_node(request: &NodeRequest) -> String {
    match request {
        NodeRequest::MakeDataDir { pod_uid } => format!("MakeDataDir {pod_uid}"),
        NodeRequest::MountVolume { pod_uid, volume } => format!("MountVolume {pod_uid}/{volume}"),
        NodeRequest::UnmountVolume { pod_uid, volume } => format!("UnmountVolume {pod_uid}/{volume}"),
        NodeRequest::RemoveDataDir { pod_uid } => format!("RemoveDataDir {pod_uid}"),
        NodeRequest::ListPodDirs => "ListPodDirs".into(),
    }
}

fn describe(request: &CriRequest) -> String {
    match request {
        CriRequest::ListPodSandbox { .. } => "ListPodSandbox".into(),
        CriRequest::ListContainers { .. } => "ListContainers".into(),
        CriRequest::RunPodSandbox { config } => {
            format!("RunPodSandbox {} attempt {}", config.pod.name, config.attempt)
        }
        CriRequest::StopPodSandbox { sandbox_id } => format!("StopPodSandbox {sandbox_id}"),
        CriRequest::RemovePodSandbox { sandbox_id } => format!("RemovePodSandbox {sandbox_id}"),
        CriRequest::ImageStatus { image } => format!("ImageStatus {image}"),
        CriRequest::PullImage { image } => format!("PullImage {image}"),
        CriRequest::CreateContainer { config, .. } => {
            format!("CreateContainer {}/{}", config.pod.name, config.name)
        }
        CriRequest::StartContainer { container_id } => format!("StartContainer {container_id}"),
        CriRequest::StopContainer { container_id, timeout_seconds } => {
            format!("StopContainer {container_id} {timeout_seconds}s")
        }
        CriRequest::RemoveContainer { container_id } => format!("RemoveContainer {container_id}"),
        CriRequest::UpdateContainerResources { container_id, .. } => {
            format!("UpdateContainerResources {container_id}")
        }
        CriRequest::ExecSync { container_id, cmd, .. } => {
            format!("ExecSync {container_id} {}", cmd.join(" "))
        }
    }
}

impl World {
    /// When each start of this container happened.
    pub fn start_times(&self, uid: &str, name: &str) -> Vec<Millis> {
        self.rt.started.iter().filter(|(_, u, n)| u == uid && n == name).map(|(t, _, _)| *t).collect()
    }
}

impl World {
    /// The prober reports a result for a container now.
    pub fn probe(
        &mut self,
        container_id: &str,
        probe: podsim_model::io::ProbeKind,
        result: podsim_model::ProbeResult,
    ) {
        let input = Input::ProbeResult { container_id: container_id.to_string(), probe, result };
        self.schedule(self.now, Event::ToKubelet(input));
    }
}

impl World {
    /// The events the kubelet recorded about a pod: (time, container or "", type, reason, message).
    pub fn recorded_of(&self, uid: &str) -> Vec<(Millis, String, &'static str, String, String)> {
        self.recorded
            .iter()
            .filter(|(_, e)| e.pod.uid == uid)
            .map(|(t, e)| {
                let container = e
                    .field_path
                    .as_deref()
                    .and_then(podsim_model::events::container_of_field_path)
                    .unwrap_or("")
                    .to_string();
                (*t, container, e.event_type.as_str(), e.reason.clone(), e.message.clone())
            })
            .collect()
    }

    /// The Events the API server holds about a pod, in order of their first occurrence.
    pub fn api_events_of(&self, uid: &str) -> Vec<&ApiEvent> {
        let mut events: Vec<&ApiEvent> =
            self.api.events.values().filter(|e| e.involved_object.uid == uid).collect();
        events.sort_by_key(|e| (e.first_timestamp, e.name.clone()));
        events
    }
}
