//! The simulated containerd: the CRI `runtime.v1` server as the kubelet sees it, with its image store,
//! sandboxes, containers and the processes in them, and the faults a real node can suffer.
//!
//! It is a plain state machine. [`Containerd::handle`] serves one CRI call at `now` and says how long
//! after the call its reply is sent; whatever must happen later (a process exiting, a pull landing)
//! is handed back as a [`RuntimeTimer`] for the world to schedule and deliver to
//! [`Containerd::on_timer`]. Faults are methods applied at `now`.
//!
//! What it models of containerd's CRI plugin, as the kubelet observes it:
//! - ids come from one counter (`sandbox-1`, `container-2`, ...); lists are newest first;
//! - names are reserved as containerd reserves them: one sandbox per (pod, attempt) and one container
//!   per (pod, container name, attempt) may exist at a time ("name is reserved");
//! - a container's process behaves as its [`Workload`]; a pending exit carries the container's
//!   `generation`, so an exit scheduled before the container stopped, crashed or was removed is
//!   ignored when it fires;
//! - `StopContainer` sends SIGTERM, then SIGKILL after the grace period; the call returns when the
//!   process is gone;
//! - a container started in a sandbox that is not ready fails to start and exits with code 128,
//!   reason `StartError` (containerd's `errorStartExitCode`/`errorStartReason`);
//! - after a node reboot, containers that were running are reported exited with code 255, reason
//!   `Unknown` (containerd's `unknownExitCode`/`unknownExitReason` on recovery); created containers
//!   stay created, images stay on disk, sandboxes are not ready.

use podsim_model::shared_str::SharedStr;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

mod records;
use records::Records;

use podsim_model::io::ExecResult;
use podsim_model::io::{
    ContainerConfig, ContainerInfo, ContainerList, CriError, CriReply, CriRequest, PodRef, SandboxConfig,
    SandboxInfo, SandboxList,
};
use podsim_model::linux_resources::{to_kube_container_resources, LinuxContainerResources};
use podsim_model::workload::exec::{Exec, CHECK_FAILED_EXIT_CODE};
use podsim_model::workload::{Check, Health, Workload, SIGKILL_EXIT_CODE};
use podsim_model::{ContainerKind, ContainerState, ContainerStatus, Millis, SandboxState, SandboxStatus};

/// How long the registry takes to say that it does not know an image.
pub const REGISTRY_NOT_FOUND_DELAY: Millis = 1;
/// The exit code containerd reports for a process it lost track of (after a reboot).
pub const UNKNOWN_EXIT_CODE: i32 = 255;
/// The reason containerd reports for a process it lost track of (after a reboot).
pub const UNKNOWN_EXIT_REASON: &str = "Unknown";
/// The exit code containerd gives a container that failed to start.
pub const START_ERROR_EXIT_CODE: i32 = 128;
/// The reason containerd gives a container that failed to start.
pub const START_ERROR_REASON: &str = "StartError";
/// The reason of a process the kernel OOM-killed.
pub const OOM_KILLED_REASON: &str = "OOMKilled";
/// The reason of a crashed process ([`Containerd::crash_container`]).
pub const ERROR_REASON: &str = "Error";
/// The reason containerd's CRI plugin gives an exited container that has none of its own.
pub const COMPLETED_REASON: &str = "Completed";

/// How long an `ExecSync` without a timeout (0) may run before the call gives up: the kubelet's
/// default runtime request timeout (`--runtime-request-timeout`, 2 min).
pub const EXEC_WITHOUT_TIMEOUT_LIMIT: Millis = 120_000;

/// The image of containers added by [`Containerd::add_foreign_container`].
pub const FOREIGN_IMAGE: &str = "foreign.example/unmanaged:latest";

/// How an image behaves in the registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryImage {
    /// How long a pull takes (successful or not).
    pub pull_latency: Millis,
    /// How pulls fail.
    pub failure: PullFailure,
    /// `Some(w)`: every container of this image behaves as `w` whatever its command (an image podsim
    /// did not build behaves as [`Workload::Run`]); `None`: the behaviour is read from the
    /// container's command with [`Workload::from_command`].
    pub workload: Option<Workload>,
}

/// How pulls of an image fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PullFailure {
    /// They succeed.
    None,
    /// They always fail.
    Permanent,
    /// The next `failures_left` pulls fail, then pulls succeed.
    Transient {
        /// How many more pulls fail.
        failures_left: u32,
    },
}

/// Something containerd must be woken up for at a time: the world schedules it and hands it to
/// [`Containerd::on_timer`] when it is due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuntimeTimer {
    /// A container's process exits (ignored if the container's generation moved on).
    ProcessExit {
        /// The container.
        container_id: String,
        /// The container's generation when the exit was scheduled.
        generation: u64,
        /// The exit code.
        exit_code: i32,
        /// The runtime's reason ("" for an ordinary exit; the kubelet derives Completed/Error).
        reason: String,
    },
    /// A pull completes: the image is on the node from now on.
    PullDone {
        /// The image.
        image: String,
    },
}

/// A reply, and how long after the request it is sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriOutcome {
    /// The reply.
    pub reply: CriReply,
    /// How long after the request the reply is sent (pulls take their latency; a `StopContainer` of a
    /// process that ignores SIGTERM replies when the SIGKILL lands).
    pub delay: Millis,
}

impl CriOutcome {
    /// A reply sent at once.
    pub fn at_once(reply: CriReply) -> CriOutcome {
        CriOutcome { reply, delay: 0 }
    }

    /// A reply sent `delay` after the request.
    pub fn after(delay: Millis, reply: CriReply) -> CriOutcome {
        CriOutcome { reply, delay }
    }

    fn failed(message: String) -> CriOutcome {
        CriOutcome::at_once(CriReply::Err(CriError::Failed(message)))
    }

    fn error(error: CriError) -> CriOutcome {
        CriOutcome::at_once(CriReply::Err(error))
    }
}

/// The CRI methods, to target injected failures ([`Containerd::fail_calls`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CriMethod {
    /// `ListPodSandbox`.
    ListPodSandbox,
    /// `ListContainers`.
    ListContainers,
    /// `RunPodSandbox`.
    RunPodSandbox,
    /// `StopPodSandbox`.
    StopPodSandbox,
    /// `RemovePodSandbox`.
    RemovePodSandbox,
    /// `ImageStatus`.
    ImageStatus,
    /// `PullImage`.
    PullImage,
    /// `CreateContainer`.
    CreateContainer,
    /// `StartContainer`.
    StartContainer,
    /// `StopContainer`.
    StopContainer,
    /// `RemoveContainer`.
    RemoveContainer,
    /// `UpdateContainerResources`.
    UpdateContainerResources,
    /// `ExecSync`.
    ExecSync,
}

impl CriMethod {
    /// The method a request calls.
    pub fn of(request: &CriRequest) -> CriMethod {
        match request {
            CriRequest::ListPodSandbox { .. } => CriMethod::ListPodSandbox,
            CriRequest::ListContainers { .. } => CriMethod::ListContainers,
            CriRequest::RunPodSandbox { .. } => CriMethod::RunPodSandbox,
            CriRequest::StopPodSandbox { .. } => CriMethod::StopPodSandbox,
            CriRequest::RemovePodSandbox { .. } => CriMethod::RemovePodSandbox,
            CriRequest::ImageStatus { .. } => CriMethod::ImageStatus,
            CriRequest::PullImage { .. } => CriMethod::PullImage,
            CriRequest::CreateContainer { .. } => CriMethod::CreateContainer,
            CriRequest::StartContainer { .. } => CriMethod::StartContainer,
            CriRequest::StopContainer { .. } => CriMethod::StopContainer,
            CriRequest::RemoveContainer { .. } => CriMethod::RemoveContainer,
            CriRequest::UpdateContainerResources { .. } => CriMethod::UpdateContainerResources,
            CriRequest::ExecSync { .. } => CriMethod::ExecSync,
        }
    }

    /// Its name in the CRI (`StopPodSandbox`).
    pub fn name(self) -> &'static str {
        match self {
            CriMethod::ListPodSandbox => "ListPodSandbox",
            CriMethod::ListContainers => "ListContainers",
            CriMethod::RunPodSandbox => "RunPodSandbox",
            CriMethod::StopPodSandbox => "StopPodSandbox",
            CriMethod::RemovePodSandbox => "RemovePodSandbox",
            CriMethod::ImageStatus => "ImageStatus",
            CriMethod::PullImage => "PullImage",
            CriMethod::CreateContainer => "CreateContainer",
            CriMethod::StartContainer => "StartContainer",
            CriMethod::StopContainer => "StopContainer",
            CriMethod::RemoveContainer => "RemoveContainer",
            CriMethod::UpdateContainerResources => "UpdateContainerResources",
            CriMethod::ExecSync => "ExecSync",
        }
    }
}

/// One sandbox as containerd holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxRecord {
    /// Its pod, from its labels.
    pub pod: Option<PodRef>,
    /// Its status, as `ListPodSandbox` reports it.
    pub status: SandboxStatus,
    /// Whether its pause process runs.
    pub pause_alive: bool,
}

/// One container as containerd holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerRecord {
    /// Its pod, from its labels (`None`: not made by a kubelet).
    pub pod: Option<PodRef>,
    /// Its status, as `ListContainers` reports it.
    pub status: ContainerStatus,
    /// What its process does.
    pub workload: Workload,
    /// How it answers the probe checks (its command's health options).
    pub health: Health,
    /// Checks made to fail until a time (`workload fail-checks`, the probeFailure fault).
    pub failing: BTreeMap<Check, Millis>,
    /// Bumped on every change of state, so that exits scheduled before it are recognised as stale.
    pub generation: u64,
    /// Which list of the pod spec it comes from (`None`: not made by a kubelet).
    pub kind: Option<ContainerKind>,
    /// `metadata.attempt` (part of its reserved name).
    pub attempt: u32,
    /// When the SIGKILL of a pending `StopContainer` lands, if one is pending.
    pub kill_at: Option<Millis>,
}

impl ContainerRecord {
    fn is_running(&self) -> bool {
        self.status.state == ContainerState::Running
    }

    /// The process ends: the container is exited and every exit scheduled before is stale.
    fn exit(&mut self, now: Millis, exit_code: i32, reason: &str) {
        assert!(self.is_running(), "only a running container's process can exit ({})", self.status.id);
        self.status.state = ContainerState::Exited;
        self.status.exit_code = exit_code;
        self.status.reason = reason.into();
        self.status.finished_at = Some(now);
        self.kill_at = None;
        self.generation += 1;
    }

    /// Whether it passes `check` at `now`: as its health says from its start, unless the check is
    /// made to fail ([`podsim_model::workload::health`]).
    pub fn passes(&self, check: Check, now: Millis) -> bool {
        let failing = self.failing.get(&check).is_some_and(|&until| now < until);
        let elapsed = now.saturating_sub(self.status.started_at.unwrap_or(now));
        !failing && self.health.passes(check, elapsed)
    }

    /// `checks` fail from `now` for `duration` (or longer, if they already fail longer).
    fn fail_checks(&mut self, now: Millis, checks: &[Check], duration: Millis) {
        for &check in checks {
            let until = self.failing.entry(check).or_insert(now);
            *until = (*until).max(now.saturating_add(duration));
        }
    }

    fn process_exit(&self, exit_code: i32, reason: &str) -> RuntimeTimer {
        RuntimeTimer::ProcessExit {
            container_id: self.status.id.to_string(),
            generation: self.generation,
            exit_code,
            reason: reason.to_string(),
        }
    }
}

/// A container an earlier kubelet made, for [`Containerd::add_preset_container`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresetContainer {
    /// Its id.
    pub id: String,
    /// Its pod (labels).
    pub pod: PodRef,
    /// `io.kubernetes.container.name`.
    pub name: String,
    /// Which list of the pod's spec it comes from.
    pub kind: ContainerKind,
    /// Its image.
    pub image: String,
    /// `io.kubernetes.container.hash`.
    pub hash: u64,
    /// `io.kubernetes.container.restartCount` (and its attempt).
    pub restart_count: u32,
    /// The sandbox it is in.
    pub sandbox_id: String,
    /// Created, running or exited.
    pub state: ContainerState,
    /// The exit code, if exited.
    pub exit_code: i32,
    /// What its process does.
    pub workload: Workload,
}

/// The simulated containerd of one node.
#[derive(Clone, Debug)]
pub struct Containerd {
    /// Every image a pull can find, with how its pulls behave.
    registry: BTreeMap<String, RegistryImage>,
    /// The node's image store.
    images: BTreeSet<String>,
    /// Pulls in flight: when each image lands (the earliest, if several pulls overlap).
    pulls: BTreeMap<String, Millis>,
    /// The sandboxes and containers, with their shared listings.
    records: Records,
    /// The last id handed out (sandboxes and containers share it).
    last_id: u64,
    /// How many pod IPs were handed out.
    ips_allocated: u64,
    /// containerd answers no call before this time.
    down_until: Millis,
    /// Injected failures, in the order they were injected.
    injected: crate::harness::injected::InjectedFailures,
}

impl Containerd {
    /// A containerd with an empty image store, pulling from `registry`.
    pub fn new(registry: BTreeMap<String, RegistryImage>) -> Containerd {
        Containerd {
            registry,
            images: BTreeSet::new(),
            pulls: BTreeMap::new(),
            records: Records::default(),
            last_id: 0,
            ips_allocated: 0,
            down_until: 0,
            injected: Default::default(),
        }
    }

    /// Images already on the node (imported), e.g. the pause image.
    pub fn preload(&mut self, image: &str) {
        self.images.insert(image.to_string());
    }

    /// Serves one CRI call at `now`; pushes the (time, timer) pairs it needs onto `timers`.
    ///
    /// While containerd is down every call fails with `Unavailable` at once; otherwise an injected
    /// failure of the method, if any is left, answers the call (which then does nothing).
    pub fn handle(
        &mut self,
        now: Millis,
        request: CriRequest,
        timers: &mut Vec<(Millis, RuntimeTimer)>,
    ) -> CriOutcome {
        if !self.is_up(now) {
            return CriOutcome::error(CriError::Unavailable);
        }
        if let Some(outcome) = self.take_injected_failure(now, CriMethod::of(&request)) {
            return outcome;
        }
        match request {
            CriRequest::ListPodSandbox { pod_uid } => {
                CriOutcome::at_once(CriReply::Sandboxes(self.list_pod_sandbox(pod_uid.as_deref())))
            }
            CriRequest::ListContainers { pod_uid } => {
                CriOutcome::at_once(CriReply::Containers(self.list_containers(pod_uid.as_deref())))
            }
            CriRequest::RunPodSandbox { config } => self.run_pod_sandbox(now, config),
            CriRequest::StopPodSandbox { sandbox_id } => self.stop_pod_sandbox(now, &sandbox_id),
            CriRequest::RemovePodSandbox { sandbox_id } => self.remove_pod_sandbox(&sandbox_id),
            CriRequest::ImageStatus { image } => {
                CriOutcome::at_once(CriReply::ImagePresent(self.image_present(now, &image)))
            }
            CriRequest::PullImage { image } => self.pull_image(now, image.to_string(), timers),
            CriRequest::CreateContainer { sandbox_id, config } => {
                self.create_container(now, &sandbox_id, config)
            }
            CriRequest::StartContainer { container_id } => self.start_container(now, &container_id, timers),
            CriRequest::StopContainer { container_id, timeout_seconds } => {
                self.stop_container(now, &container_id, timeout_seconds, timers)
            }
            CriRequest::RemoveContainer { container_id } => self.remove_container(&container_id),
            CriRequest::UpdateContainerResources { container_id, resources } => {
                self.update_container_resources(&container_id, resources)
            }
            CriRequest::ExecSync { container_id, cmd, timeout_seconds } => {
                self.exec_sync(now, &container_id, &cmd, timeout_seconds)
            }
        }
    }

    /// A timer fired: a process exits (ignored if the container's `generation` moved on, i.e. it
    /// already stopped or was removed), or a pull completes (the image becomes present). Runs whether
    /// containerd is up or not: processes live in their shims, and the kernel does not wait.
    pub fn on_timer(&mut self, now: Millis, timer: RuntimeTimer, _timers: &mut Vec<(Millis, RuntimeTimer)>) {
        match timer {
            RuntimeTimer::ProcessExit { container_id, generation, exit_code, reason } => {
                if let Some(c) = self.container_mut(&container_id) {
                    if c.generation == generation && c.is_running() {
                        c.exit(now, exit_code, &reason);
                    }
                }
            }
            RuntimeTimer::PullDone { image } => {
                if self.pulls.get(&image).is_some_and(|&at| at <= now) {
                    self.pulls.remove(&image);
                    self.images.insert(image);
                }
            }
        }
    }

    // --- the CRI methods ---

    /// `ListPodSandbox`: all sandboxes (the shared listing), or one pod's, newest first.
    fn list_pod_sandbox(&mut self, pod_uid: Option<&str>) -> SandboxList {
        match pod_uid {
            None => self.records.sandbox_listing(sandbox_info),
            Some(uid) => self.records.pod_sandboxes(uid).map(sandbox_info).collect(),
        }
    }

    /// `ListContainers`: all containers (the shared listing), or one pod's, newest first, with the
    /// reason the CRI plugin reports (see [`cri_reason`]).
    fn list_containers(&mut self, pod_uid: Option<&str>) -> ContainerList {
        match pod_uid {
            None => self.records.container_listing(container_info),
            Some(uid) => self.records.pod_containers(uid).map(container_info).collect(),
        }
    }

    /// `RunPodSandbox`: a ready sandbox with a live pause process (the sandbox image is always on the
    /// node), unless its name (pod and attempt) is reserved by another sandbox.
    fn run_pod_sandbox(&mut self, now: Millis, config: SandboxConfig) -> CriOutcome {
        let reserved_by = self
            .records
            .sandboxes()
            .iter()
            .find(|s| s.pod.as_ref() == Some(&config.pod) && s.status.attempt == config.attempt);
        if let Some(holder) = reserved_by {
            return CriOutcome::failed(format!(
                "failed to reserve sandbox name {:?}: name is reserved for {:?}",
                sandbox_name(&config.pod, config.attempt),
                holder.status.id
            ));
        }
        let id = self.next_id("sandbox");
        let ip = if config.host_network { String::new() } else { self.next_ip() };
        self.records.push_sandbox(SandboxRecord {
            pod: Some(config.pod),
            status: SandboxStatus {
                id: id.as_str().into(),
                state: SandboxState::Ready,
                attempt: config.attempt,
                ip: ip.into(),
                host_network: config.host_network,
                created_at: now,
            },
            pause_alive: true,
        });
        CriOutcome::at_once(CriReply::SandboxCreated { sandbox_id: id.into() })
    }

    /// `StopPodSandbox`: SIGKILLs every container of the sandbox still running (containerd stops them
    /// with a timeout of 0), stops the pause process. Idempotent.
    fn stop_pod_sandbox(&mut self, now: Millis, sandbox_id: &str) -> CriOutcome {
        if self.sandbox(sandbox_id).is_none() {
            return CriOutcome::error(CriError::NotFound);
        }
        for c in self
            .records
            .containers_mut()
            .iter_mut()
            .filter(|c| c.status.sandbox_id == sandbox_id && c.is_running())
        {
            c.exit(now, SIGKILL_EXIT_CODE, "");
        }
        let sandbox = self.sandbox_mut(sandbox_id).expect("the sandbox was found above");
        sandbox.status.state = SandboxState::NotReady;
        sandbox.pause_alive = false;
        CriOutcome::at_once(CriReply::Ok)
    }

    /// `RemovePodSandbox`: removes the sandbox and every container in it, killing what still runs
    /// (containerd stops a ready sandbox before removing it). Idempotent.
    fn remove_pod_sandbox(&mut self, sandbox_id: &str) -> CriOutcome {
        self.records.retain_containers(|c| c.status.sandbox_id != sandbox_id);
        self.records.retain_sandboxes(|s| s.status.id != sandbox_id);
        CriOutcome::at_once(CriReply::Ok)
    }

    /// `PullImage`: asks the registry. An image it does not know fails at once; otherwise the pull
    /// takes the image's latency, and fails as the image's [`PullFailure`] says, or lands (the image
    /// is present from then on). A pull that overlaps one in flight for the same image joins it.
    fn pull_image(
        &mut self,
        now: Millis,
        image: String,
        timers: &mut Vec<(Millis, RuntimeTimer)>,
    ) -> CriOutcome {
        let Some(entry) = self.registry.get_mut(&image) else {
            return CriOutcome::after(
                REGISTRY_NOT_FOUND_DELAY,
                CriReply::Err(CriError::Failed(format!(
                    "failed to pull and unpack image {image:?}: failed to resolve reference {image:?}: not found"
                ))),
            );
        };
        let latency = entry.pull_latency;
        let fails = match &mut entry.failure {
            PullFailure::None => false,
            PullFailure::Permanent => true,
            PullFailure::Transient { failures_left: 0 } => false,
            PullFailure::Transient { failures_left } => {
                *failures_left -= 1;
                true
            }
        };
        if fails {
            return CriOutcome::after(
                latency,
                CriReply::Err(CriError::Failed(format!(
                    "failed to pull and unpack image {image:?}: unexpected status from GET request: 500 Internal Server Error"
                ))),
            );
        }
        let lands_at = now.saturating_add(latency);
        if let Some(&in_flight) = self.pulls.get(&image) {
            if in_flight <= lands_at {
                return CriOutcome::after(in_flight.saturating_sub(now), CriReply::Ok);
            }
        }
        self.pulls.insert(image.clone(), lands_at);
        timers.push((lands_at, RuntimeTimer::PullDone { image }));
        CriOutcome::after(latency, CriReply::Ok)
    }

    /// `CreateContainer`: a created container in a ready sandbox, from an image on the node, unless
    /// its name (pod, container name and attempt) is reserved by another container.
    fn create_container(&mut self, now: Millis, sandbox_id: &str, config: ContainerConfig) -> CriOutcome {
        match self.sandbox(sandbox_id) {
            None => return CriOutcome::failed(format!("failed to find sandbox {sandbox_id:?}: not found")),
            Some(s) if s.status.state != SandboxState::Ready => {
                return CriOutcome::failed(format!("sandbox {sandbox_id:?} is not ready"))
            }
            Some(_) => {}
        }
        if !self.image_present(now, &config.image) {
            return CriOutcome::failed(format!("image not found: {:?}", config.image));
        }
        let reserved_by = self.records.containers().iter().find(|c| {
            c.pod.as_ref() == Some(&config.pod) && c.status.name == config.name && c.attempt == config.attempt
        });
        if let Some(holder) = reserved_by {
            return CriOutcome::failed(format!(
                "failed to reserve container name {:?}: name is reserved for {:?}",
                container_name(&config.pod, &config.name, config.attempt),
                holder.status.id
            ));
        }
        let (workload, health) = match self.registry.get(config.image.as_str()).and_then(|i| i.workload) {
            Some(workload) => (workload, Health::default()),
            None => Workload::from_command_with_health(&config.command, &config.args),
        };
        let id = self.next_id("container");
        self.records.push_container(ContainerRecord {
            pod: Some(config.pod),
            status: ContainerStatus {
                id: id.as_str().into(),
                name: config.name,
                state: ContainerState::Created,
                exit_code: 0,
                reason: SharedStr::EMPTY,
                hash: config.hash,
                restart_count: config.restart_count,
                sandbox_id: sandbox_id.into(),
                image: config.image,
                created_at: now,
                started_at: None,
                finished_at: None,
                resources: config.resources.as_ref().map(to_kube_container_resources),
            },
            workload,
            health,
            failing: BTreeMap::new(),
            generation: 0,
            kind: Some(config.kind),
            attempt: config.attempt,
            kill_at: None,
        });
        CriOutcome::at_once(CriReply::ContainerCreated { container_id: id.into() })
    }

    /// `UpdateContainerResources`: a created or running container takes the new cgroup values, which
    /// its status reports from then on (containerd refuses it for an exited container).
    fn update_container_resources(
        &mut self,
        container_id: &str,
        resources: LinuxContainerResources,
    ) -> CriOutcome {
        let Some(c) = self.container_mut(container_id) else {
            return CriOutcome::error(CriError::NotFound);
        };
        if !matches!(c.status.state, ContainerState::Created | ContainerState::Running) {
            return CriOutcome::failed(format!(
                "container {container_id:?} is in {:?} state, not created or running",
                c.status.state
            ));
        }
        c.status.resources = Some(to_kube_container_resources(&resources));
        CriOutcome::at_once(CriReply::Ok)
    }

    /// `StartContainer`: a created container's process starts (and schedules its own exit, if its
    /// workload exits by itself). In a sandbox that is not ready it fails to start: the container is
    /// exited with code 128, reason `StartError`, as containerd leaves it.
    fn start_container(
        &mut self,
        now: Millis,
        container_id: &str,
        timers: &mut Vec<(Millis, RuntimeTimer)>,
    ) -> CriOutcome {
        let Some(c) = self.container(container_id) else {
            return CriOutcome::error(CriError::NotFound);
        };
        if c.status.state != ContainerState::Created {
            return CriOutcome::failed(format!(
                "container {container_id:?} is in {:?} state, not created",
                c.status.state
            ));
        }
        let sandbox_id = c.status.sandbox_id.clone();
        let sandbox_ready = self.sandbox(&sandbox_id).is_some_and(|s| s.status.state == SandboxState::Ready);
        let c = self.container_mut(container_id).expect("the container was found above");
        if !sandbox_ready {
            c.status.state = ContainerState::Exited;
            c.status.exit_code = START_ERROR_EXIT_CODE;
            c.status.reason = SharedStr::from_static(START_ERROR_REASON);
            c.status.finished_at = Some(now);
            c.generation += 1;
            return CriOutcome::failed(format!("sandbox container {sandbox_id:?} is not running"));
        }
        c.status.state = ContainerState::Running;
        c.status.started_at = Some(now);
        c.generation += 1;
        if let Workload::ExitAfter { after, code } = c.workload {
            timers.push((now.saturating_add(after), c.process_exit(code, "")));
        }
        CriOutcome::at_once(CriReply::Ok)
    }

    /// `StopContainer`: SIGTERM, then SIGKILL after `timeout_seconds` (at once if it is not positive).
    /// A process that stops on SIGTERM exits now (143); one that ignores it keeps running until the
    /// SIGKILL lands (137), and the call returns then. A container not running: done at once.
    fn stop_container(
        &mut self,
        now: Millis,
        container_id: &str,
        timeout_seconds: i64,
        timers: &mut Vec<(Millis, RuntimeTimer)>,
    ) -> CriOutcome {
        let Some(c) = self.container_mut(container_id) else {
            return CriOutcome::error(CriError::NotFound);
        };
        if !c.is_running() {
            return CriOutcome::at_once(CriReply::Ok);
        }
        if timeout_seconds <= 0 {
            c.exit(now, SIGKILL_EXIT_CODE, "");
            return CriOutcome::at_once(CriReply::Ok);
        }
        if c.workload.stops_on_sigterm() {
            c.exit(now, c.workload.exit_code_on_sigterm(), "");
            return CriOutcome::at_once(CriReply::Ok);
        }
        let grace = (timeout_seconds as u64).saturating_mul(1_000);
        let kill_at = now.saturating_add(grace);
        match c.kill_at {
            // An earlier StopContainer's SIGKILL lands first: this call returns with it.
            Some(pending) if pending <= kill_at => {}
            _ => {
                c.kill_at = Some(kill_at);
                timers.push((kill_at, c.process_exit(SIGKILL_EXIT_CODE, "")));
            }
        }
        let lands_at = c.kill_at.expect("a SIGKILL is pending");
        CriOutcome::after(lands_at - now, CriReply::Ok)
    }

    /// `RemoveContainer`: removes a container, forcibly stopping it first if it runs (containerd
    /// 1.6 `RemoveContainer` stops a running container with a timeout of 0: SIGKILL). Idempotent.
    fn remove_container(&mut self, container_id: &str) -> CriOutcome {
        self.records.retain_containers(|c| c.status.id != container_id);
        CriOutcome::at_once(CriReply::Ok)
    }

    /// `ExecSync`: runs `cmd` in a running container, read with the workload's vocabulary
    /// ([`Exec`]): a check answers at once from the container's health, `fail-checks` makes checks
    /// fail from now, a workload verb runs as that process would (`exit-after 3s 1` answers exit 1
    /// after 3 s), any other program exits 0 at once. A command that outlasts `timeout_seconds`
    /// answers at the timeout as timed out (containerd kills it and returns `DeadlineExceeded`); a
    /// timeout of 0 is bounded by [`EXEC_WITHOUT_TIMEOUT_LIMIT`]. A container that is not running
    /// fails the call as containerd's `execInternal` does: `container is in CONTAINER_EXITED state`.
    fn exec_sync(
        &mut self,
        now: Millis,
        container_id: &str,
        cmd: &[String],
        timeout_seconds: i64,
    ) -> CriOutcome {
        let Some(c) = self.container_mut(container_id) else {
            return CriOutcome::error(CriError::NotFound);
        };
        if !c.is_running() {
            return CriOutcome::failed(format!("container is in {} state", cri_state_name(c.status.state)));
        }
        let (takes, exit_code) = match Exec::from_command(cmd) {
            Exec::Check(check) => (Some(0), if c.passes(check, now) { 0 } else { CHECK_FAILED_EXIT_CODE }),
            Exec::FailChecks { checks, duration } => {
                c.fail_checks(now, &checks, duration);
                (Some(0), 0)
            }
            Exec::Process(Workload::ExitAfter { after, code }) => (Some(after), code),
            Exec::Process(Workload::Run | Workload::IgnoreSigterm) => (None, 0),
            Exec::Other => (Some(0), 0),
        };
        let limit = match timeout_seconds {
            t if t > 0 => (t as Millis).saturating_mul(1_000),
            _ => EXEC_WITHOUT_TIMEOUT_LIMIT,
        };
        match takes {
            Some(takes) if takes <= limit => {
                CriOutcome::after(takes, CriReply::Exec(ExecResult::exited(exit_code)))
            }
            _ => CriOutcome::after(limit, CriReply::Exec(ExecResult::timed_out())),
        }
    }

    // --- faults, each applied at `now` ---

    /// The container's process crashes with this exit code (reason `Error`); no-op (false) unless it
    /// runs.
    pub fn crash_container(&mut self, now: Millis, container_id: &str, exit_code: i32) -> bool {
        self.kill_process(now, container_id, exit_code, ERROR_REASON)
    }

    /// The kernel OOM-kills the container's process: exit 137, reason `OOMKilled`; no-op (false)
    /// unless it runs.
    pub fn oom_kill(&mut self, now: Millis, container_id: &str) -> bool {
        self.kill_process(now, container_id, SIGKILL_EXIT_CODE, OOM_KILLED_REASON)
    }

    fn kill_process(&mut self, now: Millis, container_id: &str, exit_code: i32, reason: &str) -> bool {
        match self.container_mut(container_id) {
            Some(c) if c.is_running() => {
                c.exit(now, exit_code, reason);
                true
            }
            _ => false,
        }
    }

    /// A running container fails these probe checks for `duration` (the probeFailure fault, as
    /// `workload fail-checks` run in it does); false unless it runs.
    pub fn fail_checks(
        &mut self,
        now: Millis,
        container_id: &str,
        checks: &[Check],
        duration: Millis,
    ) -> bool {
        match self.container_mut(container_id) {
            Some(c) if c.is_running() => {
                c.fail_checks(now, checks, duration);
                true
            }
            _ => false,
        }
    }

    /// The sandbox's pause process dies: the sandbox becomes not ready, its containers keep running
    /// (as on a real node). False if there is no such sandbox or its pause process was not running.
    pub fn kill_pause(&mut self, _now: Millis, sandbox_id: &str) -> bool {
        match self.sandbox_mut(sandbox_id) {
            Some(s) if s.pause_alive => {
                s.pause_alive = false;
                s.status.state = SandboxState::NotReady;
                true
            }
            _ => false,
        }
    }

    /// containerd goes down until `until`: every call before then fails with `Unavailable`; running
    /// containers keep running (their shims survive) and still exit on schedule. Replies already
    /// promised (a pull in flight, a pending SIGKILL) are still sent as promised.
    pub fn restart(&mut self, now: Millis, until: Millis) {
        assert!(until >= now, "containerd comes back after it goes down ({now} > {until})");
        self.down_until = self.down_until.max(until);
    }

    /// The node reboots: every process dies and containerd is down until `until`. Running containers
    /// are exited with code 255, reason `Unknown` (what containerd reports on recovery for a task it
    /// lost), created ones stay created; every sandbox is not ready; pulls in flight are lost; images
    /// already on disk stay.
    pub fn reboot(&mut self, now: Millis, until: Millis) {
        for c in self.records.containers_mut().iter_mut().filter(|c| c.is_running()) {
            c.exit(now, UNKNOWN_EXIT_CODE, UNKNOWN_EXIT_REASON);
        }
        for s in self.records.sandboxes_mut() {
            s.pause_alive = false;
            s.status.state = SandboxState::NotReady;
        }
        self.pulls.clear();
        self.restart(now, until);
    }

    /// An image is removed from the node's image store. A pull of it in flight is lost with it (its
    /// reply still says Ok, as if the image had been removed just after it landed).
    pub fn remove_image(&mut self, image: &str) {
        self.images.remove(image);
        self.pulls.remove(image);
    }

    /// The next `count` calls of `method` fail (without doing anything): with `DeadlineExceeded`
    /// after `delay` if `timeout`, else with `Failed` at once. Injections of one method are consumed
    /// in the order they were made; calls while containerd is down do not consume them.
    pub fn fail_calls(&mut self, method: CriMethod, count: u32, timeout: bool, delay: Millis) {
        self.fail_calls_until(method, count, timeout, delay, Millis::MAX);
    }

    /// Like [`Containerd::fail_calls`], but the failure heals at `until` even if not used up (so a
    /// random fault ends by a known time).
    pub fn fail_calls_until(
        &mut self,
        method: CriMethod,
        count: u32,
        timeout: bool,
        delay: Millis,
        until: Millis,
    ) {
        self.injected.add(method, count, timeout, delay, until);
    }

    fn take_injected_failure(&mut self, now: Millis, method: CriMethod) -> Option<CriOutcome> {
        let (reply, delay) = self.injected.take(now, method)?;
        Some(CriOutcome { reply, delay })
    }

    /// Adds a running container not made by a kubelet (no pod labels, no sandbox), for isolation
    /// tests; returns its id.
    pub fn add_foreign_container(&mut self, now: Millis, name: &str) -> String {
        let id = self.next_id("container");
        self.records.push_container(ContainerRecord {
            pod: None,
            status: ContainerStatus {
                id: id.as_str().into(),
                name: name.into(),
                state: ContainerState::Running,
                exit_code: 0,
                reason: SharedStr::EMPTY,
                hash: 0,
                restart_count: 0,
                sandbox_id: SharedStr::EMPTY,
                image: SharedStr::from_static(FOREIGN_IMAGE),
                created_at: now,
                started_at: Some(now),
                finished_at: None,
                resources: None,
            },
            workload: Workload::Run,
            health: Health::default(),
            failing: BTreeMap::new(),
            generation: 1,
            kind: None,
            attempt: 0,
            kill_at: None,
        });
        id
    }

    /// Adds a sandbox an earlier kubelet made (ready: its pause process runs), at `now`, after every
    /// sandbox added before it. Its id is the caller's.
    pub fn add_preset_sandbox(&mut self, now: Millis, id: &str, pod: PodRef, attempt: u32, ready: bool) {
        let ip = self.next_ip();
        let state = if ready { SandboxState::Ready } else { SandboxState::NotReady };
        let status = SandboxStatus {
            id: id.into(),
            state,
            attempt,
            ip: ip.into(),
            host_network: false,
            created_at: now,
        };
        self.records.push_sandbox(SandboxRecord { pod: Some(pod), status, pause_alive: ready });
    }

    /// Adds a container an earlier kubelet made, at `now`, after every container added before it. A
    /// running one behaves as `workload` from `now` (its exit, if it exits by itself, is pushed onto
    /// `timers`); an exited one exited `now` with `exit_code`.
    pub fn add_preset_container(
        &mut self,
        now: Millis,
        preset: PresetContainer,
        timers: &mut Vec<(Millis, RuntimeTimer)>,
    ) {
        let running = preset.state == ContainerState::Running;
        let exited = preset.state == ContainerState::Exited;
        let record = ContainerRecord {
            pod: Some(preset.pod),
            status: ContainerStatus {
                id: preset.id.into(),
                name: preset.name.into(),
                state: preset.state,
                exit_code: if exited { preset.exit_code } else { 0 },
                reason: SharedStr::EMPTY,
                hash: preset.hash,
                restart_count: preset.restart_count,
                sandbox_id: preset.sandbox_id.into(),
                image: preset.image.into(),
                created_at: now,
                started_at: (running || exited).then_some(now),
                finished_at: exited.then_some(now),
                resources: None,
            },
            workload: preset.workload,
            health: Health::default(),
            failing: BTreeMap::new(),
            generation: 1,
            kind: Some(preset.kind),
            attempt: preset.restart_count,
            kill_at: None,
        };
        if let (true, Workload::ExitAfter { after, code }) = (running, record.workload) {
            timers.push((now.saturating_add(after), record.process_exit(code, "")));
        }
        self.records.push_container(record);
    }

    /// From now on, pulls of `image` fail as `failure` says (replacing what the registry said). No-op
    /// for an image the registry does not know (its pulls fail anyway).
    pub fn set_pull_failure(&mut self, image: &str, failure: PullFailure) {
        if let Some(entry) = self.registry.get_mut(image) {
            entry.failure = failure;
        }
    }

    /// From now on, pulls of `image` take `latency` (pulls in flight keep theirs). No-op for an image
    /// the registry does not know.
    pub fn set_pull_latency(&mut self, image: &str, latency: Millis) {
        if let Some(entry) = self.registry.get_mut(image) {
            entry.pull_latency = latency;
        }
    }

    /// The registry entry of an image, to change how its pulls behave (slow pulls, pull failures).
    pub fn registry_image_mut(&mut self, image: &str) -> Option<&mut RegistryImage> {
        self.registry.get_mut(image)
    }

    /// Sets what a created container's process will do when it starts, for a server that reads
    /// commands beyond the workload vocabulary (`podsim serve-cri` reads busybox shell commands).
    /// False (and nothing changes) unless the container exists and has not started.
    pub fn set_workload(&mut self, container_id: &str, workload: Workload) -> bool {
        match self.container_mut(container_id) {
            Some(c) if c.status.state == ContainerState::Created => {
                c.workload = workload;
                true
            }
            _ => false,
        }
    }

    // --- views for the checker and reports ---

    /// What a container of `image` with this command does: the image's fixed behaviour if the
    /// registry gives it one, else what its command says (as `CreateContainer` decides).
    pub fn workload_for(&self, image: &str, command: &[String], args: &[String]) -> Workload {
        self.registry
            .get(image)
            .and_then(|i| i.workload)
            .unwrap_or_else(|| Workload::from_command(command, args))
    }

    /// Every sandbox, newest first.
    pub fn sandboxes(&self) -> impl Iterator<Item = &SandboxRecord> {
        self.records.sandboxes().iter().rev()
    }

    /// Every container, newest first.
    pub fn containers(&self) -> impl Iterator<Item = &ContainerRecord> {
        self.records.containers().iter().rev()
    }

    /// One sandbox.
    pub fn sandbox(&self, sandbox_id: &str) -> Option<&SandboxRecord> {
        self.records.sandbox(sandbox_id)
    }

    /// One container.
    pub fn container(&self, container_id: &str) -> Option<&ContainerRecord> {
        self.records.container(container_id)
    }

    /// Whether the image is in the node's image store.
    pub fn has_image(&self, image: &str) -> bool {
        self.images.contains(image)
    }

    /// Whether containerd answers calls at `now`.
    pub fn is_up(&self, now: Millis) -> bool {
        now >= self.down_until
    }

    // --- internals ---

    fn sandbox_mut(&mut self, sandbox_id: &str) -> Option<&mut SandboxRecord> {
        self.records.sandbox_mut(sandbox_id)
    }

    fn container_mut(&mut self, container_id: &str) -> Option<&mut ContainerRecord> {
        self.records.container_mut(container_id)
    }

    /// Present in the store, or a pull of it has landed by `now` (its timer may not have fired yet).
    fn image_present(&self, now: Millis, image: &str) -> bool {
        self.images.contains(image) || self.pulls.get(image).is_some_and(|&at| at <= now)
    }

    fn next_id(&mut self, kind: &str) -> String {
        self.last_id += 1;
        format!("{kind}-{}", self.last_id)
    }

    /// The next pod IP: `10.88.x.y` with `y` in 2..=254 (`.1` is the bridge's gateway).
    fn next_ip(&mut self) -> String {
        let k = self.ips_allocated;
        self.ips_allocated += 1;
        format!("10.88.{}.{}", (k / 253) % 256, 2 + k % 253)
    }
}

/// The name containerd reserves for a sandbox (`k8s_POD_<name>_<namespace>_<uid>_<attempt>`).
fn sandbox_name(pod: &PodRef, attempt: u32) -> String {
    format!("k8s_POD_{}_{}_{}_{attempt}", pod.name, pod.namespace, pod.uid)
}

/// The name containerd reserves for a container (`k8s_<container>_<pod>_<namespace>_<uid>_<attempt>`).
fn container_name(pod: &PodRef, name: &str, attempt: u32) -> String {
    format!("k8s_{name}_{}_{}_{}_{attempt}", pod.name, pod.namespace, pod.uid)
}

/// The CRI's name of a container state (`CONTAINER_EXITED`), as containerd's errors spell it.
fn cri_state_name(state: ContainerState) -> &'static str {
    match state {
        ContainerState::Created => "CONTAINER_CREATED",
        ContainerState::Running => "CONTAINER_RUNNING",
        ContainerState::Exited => "CONTAINER_EXITED",
        ContainerState::Unknown => "CONTAINER_UNKNOWN",
    }
}

/// A sandbox as `ListPodSandbox` shows it.
fn sandbox_info(s: &SandboxRecord) -> SandboxInfo {
    SandboxInfo { pod: s.pod.clone(), status: s.status.clone() }
}

/// A container as `ListContainers` shows it, with the reason the CRI plugin reports.
fn container_info(c: &ContainerRecord) -> ContainerInfo {
    let mut status = c.status.clone();
    status.reason = cri_reason(&c.status).into();
    ContainerInfo { pod: c.pod.clone(), status }
}

/// The reason containerd's CRI plugin reports for a container (`ContainerStatus`): its own (OOMKilled,
/// StartError, Unknown), else, once exited, `Completed` for exit code 0 and `Error` otherwise.
fn cri_reason(status: &ContainerStatus) -> String {
    match (status.state, status.reason.is_empty()) {
        (ContainerState::Exited, true) if status.exit_code == 0 => COMPLETED_REASON.to_string(),
        (ContainerState::Exited, true) => ERROR_REASON.to_string(),
        _ => status.reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Timers = Vec<(Millis, RuntimeTimer)>;

    const APP: &str = "app:1";
    const PAUSE: &str = "pause:3.9";

    fn image(pull_latency: Millis, failure: PullFailure, workload: Option<Workload>) -> RegistryImage {
        RegistryImage { pull_latency, failure, workload }
    }

    fn containerd() -> Containerd {
        let mut registry = BTreeMap::new();
        registry.insert(APP.to_string(), image(500, PullFailure::None, None));
        registry.insert("nginx:1".to_string(), image(500, PullFailure::None, Some(Workload::Run)));
        registry.insert("broken:1".to_string(), image(300, PullFailure::Permanent, None));
        registry.insert("flaky:1".to_string(), image(200, PullFailure::Transient { failures_left: 2 }, None));
        let mut c = Containerd::new(registry);
        c.preload(PAUSE);
        c.preload(APP);
        c
    }

    fn pod(uid: &str) -> PodRef {
        PodRef {
            uid: uid.to_string().into(),
            name: format!("pod-{uid}").into(),
            namespace: "default".to_string().into(),
        }
    }

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    fn config(pod: &PodRef, name: &str, image: &str, command: &[&str], attempt: u32) -> ContainerConfig {
        ContainerConfig {
            pod: pod.clone(),
            name: name.into(),
            kind: ContainerKind::Regular,
            image: image.into(),
            command: words(command),
            args: Vec::new(),
            hash: 42,
            restart_count: attempt,
            attempt,
            resources: None,
        }
    }

    fn run_sandbox(c: &mut Containerd, now: Millis, pod: &PodRef, host_network: bool) -> String {
        let config = SandboxConfig { pod: pod.clone(), attempt: 0, host_network };
        match c.handle(now, CriRequest::RunPodSandbox { config }, &mut Vec::new()).reply {
            CriReply::SandboxCreated { sandbox_id } => sandbox_id.to_string(),
            other => panic!("RunPodSandbox: {other:?}"),
        }
    }

    fn create(c: &mut Containerd, now: Millis, sandbox_id: &str, config: ContainerConfig) -> CriOutcome {
        c.handle(now, CriRequest::CreateContainer { sandbox_id: sandbox_id.into(), config }, &mut Vec::new())
    }

    fn created_id(outcome: CriOutcome) -> String {
        match outcome.reply {
            CriReply::ContainerCreated { container_id } => container_id.to_string(),
            other => panic!("CreateContainer: {other:?}"),
        }
    }

    /// A running container of `pod` with this command, in a new sandbox; returns (sandbox, container).
    fn running(
        c: &mut Containerd,
        now: Millis,
        pod: &PodRef,
        command: &[&str],
        timers: &mut Timers,
    ) -> (String, String) {
        let sandbox = run_sandbox(c, now, pod, false);
        let id = created_id(create(c, now, &sandbox, config(pod, "main", APP, command, 0)));
        let start = c.handle(now, CriRequest::StartContainer { container_id: id.as_str().into() }, timers);
        assert_eq!(start, CriOutcome::at_once(CriReply::Ok));
        (sandbox, id)
    }

    fn status(c: &Containerd, id: &str) -> ContainerStatus {
        c.container(id).expect("container exists").status.clone()
    }

    fn stop(
        c: &mut Containerd,
        now: Millis,
        id: &str,
        timeout_seconds: i64,
        timers: &mut Timers,
    ) -> CriOutcome {
        c.handle(now, CriRequest::StopContainer { container_id: id.into(), timeout_seconds }, timers)
    }

    /// Delivers every timer due by `until`, in time order, as the world would.
    fn fire_until(c: &mut Containerd, timers: &mut Timers, until: Millis) {
        loop {
            timers.sort_by_key(|(at, _)| *at);
            match timers.first() {
                Some(&(at, _)) if at <= until => {
                    let (at, timer) = timers.remove(0);
                    c.on_timer(at, timer, timers);
                }
                _ => return,
            }
        }
    }

    #[test]
    fn ids_are_deterministic_and_lists_are_newest_first() {
        let mut c = containerd();
        let a = run_sandbox(&mut c, 0, &pod("a"), false);
        let id = created_id(create(&mut c, 1, &a, config(&pod("a"), "main", APP, &[], 0)));
        let b = run_sandbox(&mut c, 2, &pod("b"), true);
        assert_eq!((a.as_str(), id.as_str(), b.as_str()), ("sandbox-1", "container-2", "sandbox-3"));
        let CriReply::Sandboxes(list) =
            c.handle(3, CriRequest::ListPodSandbox { pod_uid: None }, &mut vec![]).reply
        else {
            panic!("not a sandbox list")
        };
        let ids: Vec<&str> = list.iter().map(|s| s.status.id.as_str()).collect();
        assert_eq!(ids, ["sandbox-3", "sandbox-1"]);
        assert_eq!(list[0].status.ip, "", "host network sandboxes have no pod IP");
        assert!(list[0].status.host_network);
        assert_eq!(list[1].status.ip, "10.88.0.2");
        assert_eq!(list[1].status.state, SandboxState::Ready);
        assert_eq!(list[1].status.created_at, 0);
        assert_eq!(list[1].pod, Some(pod("a")));
    }

    #[test]
    fn create_and_start_record_the_config_and_times() {
        let mut c = containerd();
        let p = pod("a");
        let sandbox = run_sandbox(&mut c, 0, &p, false);
        let id = created_id(create(&mut c, 10, &sandbox, config(&p, "main", APP, &["workload", "run"], 3)));
        let s = status(&c, &id);
        assert_eq!(s.state, ContainerState::Created);
        assert_eq!((s.name.as_str(), s.hash, s.restart_count), ("main", 42, 3));
        assert_eq!((s.sandbox_id.as_str(), s.image.as_str(), s.created_at), (sandbox.as_str(), APP, 10));
        assert_eq!(c.container(&id).unwrap().kind, Some(ContainerKind::Regular));
        let mut timers = Vec::new();
        let start =
            c.handle(20, CriRequest::StartContainer { container_id: id.as_str().into() }, &mut timers);
        assert_eq!(start, CriOutcome::at_once(CriReply::Ok));
        let s = status(&c, &id);
        assert_eq!((s.state, s.started_at, s.finished_at), (ContainerState::Running, Some(20), None));
        assert!(timers.is_empty(), "a `run` workload never exits by itself");
        let again = c.handle(21, CriRequest::StartContainer { container_id: id.into() }, &mut timers);
        assert!(matches!(again.reply, CriReply::Err(CriError::Failed(_))), "only a created container starts");
    }

    fn exec(c: &mut Containerd, now: Millis, id: &str, cmd: &[&str], timeout_seconds: i64) -> CriOutcome {
        let request = CriRequest::ExecSync { container_id: id.into(), cmd: words(cmd), timeout_seconds };
        c.handle(now, request, &mut Vec::new())
    }

    fn exited(delay: Millis, code: i32) -> CriOutcome {
        CriOutcome::after(delay, CriReply::Exec(ExecResult::exited(code)))
    }

    #[test]
    fn exec_runs_workload_verbs_within_the_timeout() {
        let mut c = containerd();
        let (_, id) = running(&mut c, 0, &pod("a"), &["workload", "run"], &mut vec![]);
        assert_eq!(exec(&mut c, 10, &id, &["workload", "exit-after", "3s", "1"], 5), exited(3_000, 1));
        assert_eq!(
            exec(&mut c, 10, &id, &["workload", "exit-after", "3s", "1"], 2),
            CriOutcome::after(2_000, CriReply::Exec(ExecResult::timed_out())),
            "it outlasts its timeout: answered at the timeout"
        );
        assert_eq!(
            exec(&mut c, 10, &id, &["workload", "run"], 1),
            CriOutcome::after(1_000, CriReply::Exec(ExecResult::timed_out()))
        );
        assert_eq!(
            exec(&mut c, 10, &id, &["workload", "run"], 0),
            CriOutcome::after(EXEC_WITHOUT_TIMEOUT_LIMIT, CriReply::Exec(ExecResult::timed_out()))
        );
        assert_eq!(exec(&mut c, 10, &id, &["cat", "/tmp/healthy"], 1), exited(0, 0), "another program");
        assert_eq!(exec(&mut c, 10, &id, &["workload", "sleep"], 1), exited(0, 2), "refused: exit 2 at once");
    }

    #[test]
    fn exec_in_a_container_that_does_not_run_fails_as_containerd_fails_it() {
        let mut c = containerd();
        let mut timers = Timers::new();
        let (_, id) = running(&mut c, 0, &pod("a"), &["workload", "exit-after", "1s", "0"], &mut timers);
        fire_until(&mut c, &mut timers, 1_000);
        assert_eq!(
            exec(&mut c, 2_000, &id, &["workload", "check", "live"], 1).reply,
            CriReply::Err(CriError::Failed("container is in CONTAINER_EXITED state".into()))
        );
        assert_eq!(
            exec(&mut c, 2_000, "container-99", &["true"], 1).reply,
            CriReply::Err(CriError::NotFound)
        );
    }

    #[test]
    fn checks_answer_from_the_start_time_and_the_health_options() {
        let mut c = containerd();
        let command = ["workload", "run", "--ready-after", "5s", "--unhealthy-after", "30s"];
        let (_, id) = running(&mut c, 1_000, &pod("a"), &command, &mut vec![]);
        let check = |c: &mut Containerd, now, word| exec(c, now, &id, &["workload", "check", word], 1);
        assert_eq!(check(&mut c, 5_999, "ready"), exited(0, 1), "not ready before 5 s");
        assert_eq!(check(&mut c, 6_000, "ready"), exited(0, 0));
        assert_eq!(check(&mut c, 30_999, "live"), exited(0, 0));
        assert_eq!(check(&mut c, 31_000, "live"), exited(0, 1), "unhealthy from 30 s on");
        assert_eq!(check(&mut c, 1_000, "started"), exited(0, 0));
        assert_eq!(
            exec(&mut c, 7_000, &id, &["workload", "fail-checks", "ready,started", "10s"], 1),
            exited(0, 0)
        );
        assert_eq!(check(&mut c, 16_999, "ready"), exited(0, 1), "failing until 17 s");
        assert_eq!(check(&mut c, 16_999, "started"), exited(0, 1));
        assert_eq!(check(&mut c, 16_999, "live"), exited(0, 0), "a check not named passes");
        assert_eq!(check(&mut c, 17_000, "ready"), exited(0, 0), "healed");
    }

    #[test]
    fn exit_after_schedules_the_exit_at_the_right_time() {
        let mut c = containerd();
        let mut timers = Vec::new();
        let (_, id) = running(&mut c, 1_000, &pod("a"), &["workload", "exit-after", "2s", "3"], &mut timers);
        assert_eq!(timers.len(), 1);
        assert_eq!(timers[0].0, 3_000);
        fire_until(&mut c, &mut timers, 2_999);
        assert_eq!(status(&c, &id).state, ContainerState::Running);
        fire_until(&mut c, &mut timers, 3_000);
        let s = status(&c, &id);
        assert_eq!((s.state, s.exit_code, s.reason.as_str()), (ContainerState::Exited, 3, ""));
        assert_eq!(s.finished_at, Some(3_000));
    }

    #[test]
    fn image_workload_overrides_the_command() {
        let mut c = containerd();
        c.preload("nginx:1");
        let p = pod("a");
        let sandbox = run_sandbox(&mut c, 0, &p, false);
        let cfg = config(&p, "web", "nginx:1", &["workload", "exit-after", "1s", "0"], 0);
        let id = created_id(create(&mut c, 0, &sandbox, cfg));
        assert_eq!(c.container(&id).unwrap().workload, Workload::Run);
        let mut timers = Vec::new();
        c.handle(0, CriRequest::StartContainer { container_id: id.into() }, &mut timers);
        assert!(timers.is_empty());
    }

    #[test]
    fn stale_exit_timers_are_ignored() {
        let mut c = containerd();
        let mut timers = Vec::new();
        let (_, id) = running(&mut c, 0, &pod("a"), &["workload", "exit-after", "5s", "0"], &mut timers);
        assert!(c.crash_container(1_000, &id, 2));
        fire_until(&mut c, &mut timers, 10_000);
        let s = status(&c, &id);
        assert_eq!((s.exit_code, s.reason.as_str(), s.finished_at), (2, ERROR_REASON, Some(1_000)));
        // An exit for a removed container is ignored too.
        let stale = c.container(&id).unwrap().process_exit(9, "");
        assert_eq!(
            c.handle(11_000, CriRequest::RemoveContainer { container_id: id.as_str().into() }, &mut timers)
                .reply,
            CriReply::Ok
        );
        c.on_timer(12_000, stale, &mut timers);
        assert!(c.container(&id).is_none());
    }

    #[test]
    fn stop_container_sigterm_exits_at_once_with_143() {
        let mut c = containerd();
        let mut timers = Vec::new();
        let (_, id) = running(&mut c, 0, &pod("a"), &["workload", "exit-after", "5s", "0"], &mut timers);
        assert_eq!(stop(&mut c, 100, &id, 30, &mut timers), CriOutcome::at_once(CriReply::Ok));
        let s = status(&c, &id);
        assert_eq!((s.state, s.exit_code, s.finished_at), (ContainerState::Exited, 143, Some(100)));
        fire_until(&mut c, &mut timers, 10_000);
        assert_eq!(status(&c, &id).exit_code, 143, "the scheduled exit is stale");
        assert_eq!(stop(&mut c, 200, &id, 30, &mut timers), CriOutcome::at_once(CriReply::Ok), "idempotent");
    }

    #[test]
    fn stop_container_ignoring_sigterm_is_killed_after_the_grace_period() {
        let mut c = containerd();
        let mut timers = Vec::new();
        let (_, id) = running(&mut c, 0, &pod("a"), &["workload", "ignore-sigterm"], &mut timers);
        let outcome = stop(&mut c, 1_000, &id, 30, &mut timers);
        assert_eq!(outcome, CriOutcome::after(30_000, CriReply::Ok), "the reply waits for the SIGKILL");
        assert_eq!(c.container(&id).unwrap().kill_at, Some(31_000));
        fire_until(&mut c, &mut timers, 30_999);
        assert_eq!(status(&c, &id).state, ContainerState::Running, "SIGTERM is ignored");
        // A second stop with a longer grace period returns with the first SIGKILL.
        assert_eq!(stop(&mut c, 2_000, &id, 60, &mut timers), CriOutcome::after(29_000, CriReply::Ok));
        fire_until(&mut c, &mut timers, 100_000);
        let s = status(&c, &id);
        assert_eq!((s.state, s.exit_code, s.reason.as_str()), (ContainerState::Exited, 137, ""));
        assert_eq!(s.finished_at, Some(31_000));
        assert_eq!(c.container(&id).unwrap().kill_at, None);
    }

    #[test]
    fn stop_container_with_no_grace_period_kills_at_once() {
        let mut c = containerd();
        let mut timers = Vec::new();
        let (_, id) = running(&mut c, 0, &pod("a"), &["workload", "run"], &mut timers);
        assert_eq!(stop(&mut c, 5, &id, 0, &mut timers), CriOutcome::at_once(CriReply::Ok));
        assert_eq!(status(&c, &id).exit_code, 137);
        assert_eq!(stop(&mut c, 5, "container-99", 0, &mut timers).reply, CriReply::Err(CriError::NotFound));
    }

    #[test]
    fn stop_pod_sandbox_kills_its_containers() {
        let mut c = containerd();
        let mut timers = Vec::new();
        let p = pod("a");
        let (sandbox, id) = running(&mut c, 0, &p, &["workload", "ignore-sigterm"], &mut timers);
        let (_, other) = running(&mut c, 0, &pod("b"), &["workload", "run"], &mut timers);
        let req = || CriRequest::StopPodSandbox { sandbox_id: sandbox.as_str().into() };
        assert_eq!(c.handle(50, req(), &mut timers), CriOutcome::at_once(CriReply::Ok));
        let s = status(&c, &id);
        assert_eq!((s.state, s.exit_code, s.reason.as_str()), (ContainerState::Exited, 137, ""));
        assert_eq!(c.sandbox(&sandbox).unwrap().status.state, SandboxState::NotReady);
        assert!(!c.sandbox(&sandbox).unwrap().pause_alive);
        assert_eq!(status(&c, &other).state, ContainerState::Running, "other pods are untouched");
        assert_eq!(c.handle(60, req(), &mut timers), CriOutcome::at_once(CriReply::Ok), "idempotent");
        let unknown = CriRequest::StopPodSandbox { sandbox_id: "sandbox-99".into() };
        assert_eq!(c.handle(60, unknown, &mut timers).reply, CriReply::Err(CriError::NotFound));
    }

    #[test]
    fn remove_pod_sandbox_removes_its_containers() {
        let mut c = containerd();
        let mut timers = Vec::new();
        let (sandbox, id) = running(&mut c, 0, &pod("a"), &["workload", "run"], &mut timers);
        let req = || CriRequest::RemovePodSandbox { sandbox_id: sandbox.as_str().into() };
        assert_eq!(c.handle(10, req(), &mut timers).reply, CriReply::Ok);
        assert!(c.sandbox(&sandbox).is_none());
        assert!(c.container(&id).is_none());
        assert_eq!(c.handle(20, req(), &mut timers).reply, CriReply::Ok, "idempotent");
    }

    /// containerd 1.6 `RemoveContainer` forcibly stops a running container (timeout 0) before it
    /// removes it; critest's "runtime should support removing running container".
    #[test]
    fn remove_container_kills_a_running_one_then_removes_it() {
        let mut c = containerd();
        let mut timers = Vec::new();
        let (_, id) = running(&mut c, 0, &pod("a"), &["workload", "ignore-sigterm"], &mut timers);
        let req = || CriRequest::RemoveContainer { container_id: id.as_str().into() };
        assert_eq!(c.handle(1, req(), &mut timers), CriOutcome::at_once(CriReply::Ok));
        assert!(c.container(&id).is_none());
        assert_eq!(c.handle(4, req(), &mut timers).reply, CriReply::Ok, "idempotent");
        let (_, stopped) = running(&mut c, 5, &pod("b"), &["workload", "run"], &mut timers);
        stop(&mut c, 6, &stopped, 10, &mut timers);
        let remove = CriRequest::RemoveContainer { container_id: stopped.as_str().into() };
        assert_eq!(c.handle(7, remove, &mut timers).reply, CriReply::Ok);
        assert!(c.container(&stopped).is_none());
    }

    #[test]
    fn set_workload_changes_a_created_container_only() {
        let mut c = containerd();
        let mut timers = Vec::new();
        let p = pod("a");
        let sandbox = run_sandbox(&mut c, 0, &p, true);
        let id = created_id(create(&mut c, 0, &sandbox, config(&p, "main", APP, &["echo", "hi"], 0)));
        let echo = Workload::ExitAfter { after: 0, code: 0 };
        assert!(c.set_workload(&id, echo));
        c.handle(1, CriRequest::StartContainer { container_id: id.as_str().into() }, &mut timers);
        assert_eq!(
            timers,
            vec![(
                1,
                RuntimeTimer::ProcessExit {
                    container_id: id.clone(),
                    generation: 1,
                    exit_code: 0,
                    reason: String::new()
                }
            )]
        );
        assert!(!c.set_workload(&id, Workload::Run), "it started");
        assert!(!c.set_workload("container-99", Workload::Run));
    }

    #[test]
    fn create_container_needs_a_ready_sandbox_and_the_image() {
        let mut c = containerd();
        let p = pod("a");
        let missing = create(&mut c, 0, "sandbox-9", config(&p, "main", APP, &[], 0));
        assert!(matches!(missing.reply, CriReply::Err(CriError::Failed(_))));
        let sandbox = run_sandbox(&mut c, 0, &p, false);
        let Err(CriError::Failed(message)) =
            reply_result(create(&mut c, 0, &sandbox, config(&p, "main", "nginx:1", &[], 0)))
        else {
            panic!("created without the image")
        };
        assert!(message.contains("image not found"), "{message}");
        assert!(c.kill_pause(1, &sandbox));
        let not_ready = create(&mut c, 2, &sandbox, config(&p, "main", APP, &[], 0));
        assert!(matches!(not_ready.reply, CriReply::Err(CriError::Failed(_))));
        assert_eq!(c.containers().count(), 0);
    }

    fn reply_result(outcome: CriOutcome) -> Result<CriReply, CriError> {
        match outcome.reply {
            CriReply::Err(e) => Err(e),
            r => Ok(r),
        }
    }

    #[test]
    fn names_are_reserved_per_pod_container_and_attempt() {
        let mut c = containerd();
        let p = pod("a");
        let sandbox = run_sandbox(&mut c, 0, &p, false);
        let first = created_id(create(&mut c, 0, &sandbox, config(&p, "main", APP, &[], 0)));
        let Err(CriError::Failed(message)) =
            reply_result(create(&mut c, 1, &sandbox, config(&p, "main", APP, &[], 0)))
        else {
            panic!("a reserved name was given twice")
        };
        assert!(message.contains("k8s_main_pod-a_default_a_0") && message.contains(&first), "{message}");
        created_id(create(&mut c, 2, &sandbox, config(&p, "main", APP, &[], 1)));
        let twice = c.handle(
            3,
            CriRequest::RunPodSandbox {
                config: SandboxConfig { pod: p.clone(), attempt: 0, host_network: false },
            },
            &mut vec![],
        );
        assert!(matches!(twice.reply, CriReply::Err(CriError::Failed(_))));
        // Removing the container frees its name.
        c.handle(4, CriRequest::RemoveContainer { container_id: first.into() }, &mut vec![]);
        created_id(create(&mut c, 5, &sandbox, config(&p, "main", APP, &[], 0)));
    }

    #[test]
    fn start_in_a_sandbox_that_is_not_ready_is_a_start_error() {
        let mut c = containerd();
        let p = pod("a");
        let sandbox = run_sandbox(&mut c, 0, &p, false);
        let id = created_id(create(&mut c, 0, &sandbox, config(&p, "main", APP, &[], 0)));
        assert!(c.kill_pause(5, &sandbox));
        let start =
            c.handle(10, CriRequest::StartContainer { container_id: id.as_str().into() }, &mut vec![]);
        assert!(matches!(start.reply, CriReply::Err(CriError::Failed(_))));
        let s = status(&c, &id);
        assert_eq!(
            (s.state, s.exit_code, s.reason.as_str()),
            (ContainerState::Exited, 128, START_ERROR_REASON)
        );
        assert_eq!((s.started_at, s.finished_at), (None, Some(10)));
    }

    #[test]
    fn pull_takes_the_latency_then_the_image_is_present() {
        let mut c = containerd();
        c.remove_image(APP);
        let mut timers = Vec::new();
        let present = |c: &mut Containerd, now| {
            c.handle(now, CriRequest::ImageStatus { image: APP.into() }, &mut vec![])
        };
        assert_eq!(present(&mut c, 0).reply, CriReply::ImagePresent(false));
        let pull = c.handle(100, CriRequest::PullImage { image: APP.into() }, &mut timers);
        assert_eq!(pull, CriOutcome::after(500, CriReply::Ok));
        assert_eq!(timers, vec![(600, RuntimeTimer::PullDone { image: APP.into() })]);
        assert_eq!(present(&mut c, 599).reply, CriReply::ImagePresent(false));
        assert_eq!(
            present(&mut c, 600).reply,
            CriReply::ImagePresent(true),
            "landed, even before its timer fires"
        );
        // A second pull while the first is in flight joins it.
        let joined = c.handle(300, CriRequest::PullImage { image: APP.into() }, &mut timers);
        assert_eq!(joined, CriOutcome::after(300, CriReply::Ok));
        assert_eq!(timers.len(), 1);
        fire_until(&mut c, &mut timers, 600);
        assert!(c.has_image(APP));
    }

    #[test]
    fn pull_of_an_unknown_image_fails_at_once() {
        let mut c = containerd();
        let mut timers = Vec::new();
        let pull = c.handle(0, CriRequest::PullImage { image: "nope:1".into() }, &mut timers);
        assert_eq!(pull.delay, REGISTRY_NOT_FOUND_DELAY);
        let Err(CriError::Failed(message)) = reply_result(pull) else { panic!("pulled an unknown image") };
        assert!(message.contains("not found"), "{message}");
        assert!(timers.is_empty());
    }

    #[test]
    fn permanent_pull_failure_fails_after_the_latency_every_time() {
        let mut c = containerd();
        let mut timers = Vec::new();
        for now in [0, 1_000, 2_000] {
            let pull = c.handle(now, CriRequest::PullImage { image: "broken:1".into() }, &mut timers);
            assert_eq!(pull.delay, 300);
            assert!(matches!(pull.reply, CriReply::Err(CriError::Failed(_))));
        }
        assert!(timers.is_empty());
        assert!(!c.has_image("broken:1"));
    }

    #[test]
    fn transient_pull_failure_fails_then_succeeds() {
        let mut c = containerd();
        let mut timers = Vec::new();
        let pull = |c: &mut Containerd, now, timers: &mut Timers| {
            c.handle(now, CriRequest::PullImage { image: "flaky:1".into() }, timers)
        };
        assert!(matches!(pull(&mut c, 0, &mut timers).reply, CriReply::Err(CriError::Failed(_))));
        assert!(matches!(pull(&mut c, 1_000, &mut timers).reply, CriReply::Err(CriError::Failed(_))));
        assert_eq!(pull(&mut c, 2_000, &mut timers), CriOutcome::after(200, CriReply::Ok));
        fire_until(&mut c, &mut timers, 2_200);
        assert!(c.has_image("flaky:1"));
        let left = c.registry_image_mut("flaky:1").unwrap().failure;
        assert_eq!(left, PullFailure::Transient { failures_left: 0 });
    }

    #[test]
    fn pull_faults_change_the_registry() {
        let mut c = containerd();
        let mut timers = Vec::new();
        c.set_pull_failure(APP, PullFailure::Transient { failures_left: 1 });
        c.set_pull_latency(APP, 7_000);
        c.set_pull_latency("nope:1", 1);
        let pull = |c: &mut Containerd, now, timers: &mut Timers| {
            c.handle(now, CriRequest::PullImage { image: APP.into() }, timers)
        };
        let first = pull(&mut c, 0, &mut timers);
        assert_eq!(first.delay, 7_000);
        assert!(matches!(first.reply, CriReply::Err(CriError::Failed(_))));
        assert_eq!(pull(&mut c, 10_000, &mut timers), CriOutcome::after(7_000, CriReply::Ok));
        assert_eq!(timers, vec![(17_000, RuntimeTimer::PullDone { image: APP.into() })]);
        assert!(c.registry_image_mut("nope:1").is_none(), "faults add no image to the registry");
    }

    #[test]
    fn restart_keeps_running_containers_and_fails_calls_while_down() {
        let mut c = containerd();
        let mut timers = Vec::new();
        let (_, id) = running(&mut c, 0, &pod("a"), &["workload", "exit-after", "3s", "0"], &mut timers);
        c.restart(1_000, 5_000);
        assert!(!c.is_up(4_999));
        let list = c.handle(2_000, CriRequest::ListContainers { pod_uid: None }, &mut timers);
        assert_eq!(list, CriOutcome::at_once(CriReply::Err(CriError::Unavailable)));
        assert_eq!(status(&c, &id).state, ContainerState::Running, "the shim survives");
        fire_until(&mut c, &mut timers, 3_000);
        let s = status(&c, &id);
        assert_eq!((s.state, s.exit_code, s.finished_at), (ContainerState::Exited, 0, Some(3_000)));
        assert!(c.is_up(5_000));
        let CriReply::Containers(list) =
            c.handle(5_000, CriRequest::ListContainers { pod_uid: None }, &mut timers).reply
        else {
            panic!("containerd is not back")
        };
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].status.state, ContainerState::Exited);
    }

    #[test]
    fn reboot_kills_everything() {
        let mut c = containerd();
        let mut timers = Vec::new();
        let p = pod("a");
        let (sandbox, id) = running(&mut c, 0, &p, &["workload", "exit-after", "3s", "0"], &mut timers);
        let created = created_id(create(&mut c, 0, &sandbox, config(&p, "side", APP, &[], 0)));
        let foreign = c.add_foreign_container(0, "other");
        c.remove_image("nginx:1");
        c.handle(0, CriRequest::PullImage { image: "nginx:1".into() }, &mut timers);
        c.reboot(1_000, 10_000);
        for killed in [&id, &foreign] {
            let s = status(&c, killed);
            assert_eq!((s.state, s.exit_code), (ContainerState::Exited, UNKNOWN_EXIT_CODE));
            assert_eq!((s.reason.as_str(), s.finished_at), (UNKNOWN_EXIT_REASON, Some(1_000)));
        }
        assert_eq!(status(&c, &created).state, ContainerState::Created, "nothing ran, nothing died");
        let s = c.sandbox(&sandbox).unwrap();
        assert_eq!((s.status.state, s.pause_alive), (SandboxState::NotReady, false));
        fire_until(&mut c, &mut timers, 20_000);
        assert_eq!(status(&c, &id).exit_code, UNKNOWN_EXIT_CODE, "the scheduled exit died with the process");
        assert!(!c.has_image("nginx:1"), "the pull in flight was lost");
        assert!(c.has_image(APP), "images on disk stay");
        let call = c.handle(9_999, CriRequest::ListPodSandbox { pod_uid: None }, &mut timers);
        assert_eq!(call.reply, CriReply::Err(CriError::Unavailable));
        assert!(c.is_up(10_000));
    }

    #[test]
    fn kill_pause_makes_the_sandbox_not_ready_and_keeps_containers() {
        let mut c = containerd();
        let mut timers = Vec::new();
        let (sandbox, id) = running(&mut c, 0, &pod("a"), &["workload", "run"], &mut timers);
        assert!(c.kill_pause(100, &sandbox));
        let s = c.sandbox(&sandbox).unwrap();
        assert_eq!((s.status.state, s.pause_alive), (SandboxState::NotReady, false));
        assert_eq!(status(&c, &id).state, ContainerState::Running);
        assert!(!c.kill_pause(200, &sandbox), "already dead");
        assert!(!c.kill_pause(200, "sandbox-99"));
        // Stopping the sandbox still kills what runs in it.
        c.handle(300, CriRequest::StopPodSandbox { sandbox_id: sandbox.into() }, &mut timers);
        assert_eq!(status(&c, &id).exit_code, 137);
    }

    #[test]
    fn oom_kill_and_crash_apply_only_to_running_containers() {
        let mut c = containerd();
        let mut timers = Vec::new();
        let (_, id) = running(&mut c, 0, &pod("a"), &["workload", "run"], &mut timers);
        assert!(c.oom_kill(10, &id));
        let s = status(&c, &id);
        assert_eq!((s.exit_code, s.reason.as_str()), (137, OOM_KILLED_REASON));
        assert!(!c.oom_kill(20, &id));
        assert!(!c.crash_container(20, &id, 1));
        assert!(!c.crash_container(20, "container-99", 1));
        assert_eq!(status(&c, &id).finished_at, Some(10));
    }

    #[test]
    fn lists_filter_by_pod() {
        let mut c = containerd();
        let mut timers = Vec::new();
        let (sa, ca) = running(&mut c, 0, &pod("a"), &["workload", "run"], &mut timers);
        let (sb, cb) = running(&mut c, 0, &pod("b"), &["workload", "run"], &mut timers);
        let CriReply::Containers(list) =
            c.handle(1, CriRequest::ListContainers { pod_uid: Some("a".into()) }, &mut timers).reply
        else {
            panic!("not a container list")
        };
        assert_eq!(list.len(), 1);
        assert_eq!((list[0].status.id.as_str(), list[0].pod.clone()), (ca.as_str(), Some(pod("a"))));
        let CriReply::Sandboxes(list) =
            c.handle(1, CriRequest::ListPodSandbox { pod_uid: Some("b".into()) }, &mut timers).reply
        else {
            panic!("not a sandbox list")
        };
        let ids: Vec<&str> = list.iter().map(|s| s.status.id.as_str()).collect();
        assert_eq!(ids, [sb.as_str()]);
        let CriReply::Containers(all) =
            c.handle(1, CriRequest::ListContainers { pod_uid: None }, &mut timers).reply
        else {
            panic!("not a container list")
        };
        let ids: Vec<&str> = all.iter().map(|c| c.status.id.as_str()).collect();
        assert_eq!(ids, [cb.as_str(), ca.as_str()], "newest first");
        assert_ne!(sa, sb);
    }

    #[test]
    fn foreign_containers_are_listed_without_pod() {
        let mut c = containerd();
        let mut timers = Vec::new();
        running(&mut c, 0, &pod("a"), &["workload", "run"], &mut timers);
        let foreign = c.add_foreign_container(5, "monitoring-agent");
        let CriReply::Containers(all) =
            c.handle(6, CriRequest::ListContainers { pod_uid: None }, &mut timers).reply
        else {
            panic!("not a container list")
        };
        assert_eq!(all[0].status.id, foreign);
        assert_eq!(all[0].pod, None);
        assert_eq!((all[0].status.state, all[0].status.started_at), (ContainerState::Running, Some(5)));
        let CriReply::Containers(mine) =
            c.handle(6, CriRequest::ListContainers { pod_uid: Some("a".into()) }, &mut timers).reply
        else {
            panic!("not a container list")
        };
        assert!(
            mine.iter().all(|c| c.status.id != foreign),
            "a pod filter never matches a foreign container"
        );
    }

    #[test]
    fn injected_failures_consume_the_count_in_call_order() {
        let mut c = containerd();
        let mut timers = Vec::new();
        c.fail_calls(CriMethod::ListPodSandbox, 1, false, 0);
        c.fail_calls(CriMethod::ListPodSandbox, 1, true, 2_000);
        let list = || CriRequest::ListPodSandbox { pod_uid: None };
        assert_eq!(CriMethod::of(&list()), CriMethod::ListPodSandbox);
        // Other methods are not affected, and calls while down do not consume the count.
        assert_eq!(
            c.handle(0, CriRequest::ImageStatus { image: APP.into() }, &mut timers).reply,
            CriReply::ImagePresent(true)
        );
        c.restart(0, 10);
        assert_eq!(c.handle(5, list(), &mut timers).reply, CriReply::Err(CriError::Unavailable));
        assert!(matches!(c.handle(10, list(), &mut timers).reply, CriReply::Err(CriError::Failed(_))));
        assert_eq!(
            c.handle(11, list(), &mut timers),
            CriOutcome::after(2_000, CriReply::Err(CriError::DeadlineExceeded))
        );
        assert_eq!(
            c.handle(12, list(), &mut timers),
            CriOutcome::at_once(CriReply::Sandboxes(Vec::new().into()))
        );
        // A failed RunPodSandbox made nothing.
        c.fail_calls(CriMethod::RunPodSandbox, 1, false, 0);
        let config = SandboxConfig { pod: pod("a"), attempt: 0, host_network: false };
        assert!(matches!(
            c.handle(13, CriRequest::RunPodSandbox { config }, &mut timers).reply,
            CriReply::Err(CriError::Failed(_))
        ));
        assert_eq!(c.sandboxes().count(), 0);
    }

    #[test]
    fn identical_calls_give_identical_runtimes() {
        let script = |c: &mut Containerd| {
            let mut timers = Vec::new();
            for (i, uid) in ["a", "b", "c"].iter().enumerate() {
                running(c, i as Millis, &pod(uid), &["workload", "exit-after", "1s", "1"], &mut timers);
            }
            fire_until(c, &mut timers, 5_000);
            let CriReply::Containers(list) =
                c.handle(6_000, CriRequest::ListContainers { pod_uid: None }, &mut timers).reply
            else {
                panic!("not a container list")
            };
            list
        };
        assert_eq!(script(&mut containerd()), script(&mut containerd()));
    }

    #[test]
    fn workload_for_prefers_the_images_fixed_behaviour_over_the_command() {
        let mut registry = BTreeMap::new();
        registry.insert("fixed:1".to_string(), image(10, PullFailure::None, Some(Workload::IgnoreSigterm)));
        registry.insert("plain:1".to_string(), image(10, PullFailure::None, None));
        let c = Containerd::new(registry);
        let exit = words(&["workload", "exit-after", "2s", "1"]);
        assert_eq!(c.workload_for("fixed:1", &exit, &[]), Workload::IgnoreSigterm);
        assert_eq!(c.workload_for("plain:1", &exit, &[]), Workload::ExitAfter { after: 2_000, code: 1 });
        assert_eq!(c.workload_for("unknown:1", &[], &[]), Workload::Run);
    }
}
