//! A CRI (`runtime.v1`) gRPC server over the simulator's containerd, so that podsim's real CRI client
//! can be tested deterministically under turmoil (a simulated network) against it.
//!
//! [`SimCri`] holds one [`Containerd`] state machine behind a mutex. Each gRPC call first fires the
//! runtime's due timers (process exits, pulls landing), then is translated into the model's
//! [`CriRequest`], served at the server's `now`, and answered after the outcome's delay, the way the
//! containerd CRI plugin answers it. The server's clock is tokio's (`Instant::now()` minus the time of
//! the first reading), so under turmoil it is turmoil's simulated time. CRI timestamps are that clock
//! in nanoseconds.
//!
//! The CRI carries more than the model does (labels, annotations, metadata as sent); the server keeps
//! it per sandbox and container id, and reads it back verbatim in lists and statuses, filtering on it.
//! Requests and answers are converted in [`crate::convert`].

use podsim_model::shared_str::SharedStr;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use k8s_cri::v1 as cri;
use k8s_cri::v1::image_service_server::{ImageService, ImageServiceServer};
use k8s_cri::v1::runtime_service_server::{RuntimeService, RuntimeServiceServer};
use podsim_model::io::{ContainerConfig, ContainerInfo, CriError, CriReply, CriRequest, PodRef, SandboxInfo};
use podsim_model::workload::Workload;
use podsim_model::{ContainerState, ContainerStatus, Millis, SandboxStatus};
use podsim_sim::containerd::{Containerd, PullFailure, RegistryImage, RuntimeTimer};
use podsim_sim::harness::describe::{short_cri, short_cri_reply};
use podsim_sim::trace::{TraceKind, TraceRecord};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tonic::codegen::tokio_stream::Stream;
use tonic::transport::server::Connected;
use tonic::{Request, Response, Status};

use crate::convert::call;
use crate::convert::container::{container_config_of, cri_container, cri_container_status, ContainerMeta};
use crate::convert::error::grpc_status;
use crate::convert::image::image_of_spec;
use crate::convert::pod::{labels_match, pod_of_labels, pod_of_metadata};
use crate::convert::sandbox::{cri_sandbox, cri_sandbox_status, sandbox_config_of, SandboxMeta};
use crate::convert::time::cri_nanos;
use crate::sim_faults;
use crate::sim_images::{self, ImageStore};
use crate::sim_logs::ContainerLog;
use crate::sim_process;
use crate::sim_stats;

/// How often [`SimCri::serve_with_incoming`] fires the runtime's due timers between calls.
pub const ADVANCE_PERIOD: Duration = Duration::from_millis(100);
/// How often [`turmoil_channel`] pings the server to find a dead connection.
pub const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(1);
/// The runtime name `Version` reports.
pub const RUNTIME_NAME: &str = "containerd";
/// The runtime version `Version` reports (it is the simulator, not a containerd release).
pub const RUNTIME_VERSION: &str = "podsim-simulated";
/// The CRI version the server speaks.
pub const RUNTIME_API_VERSION: &str = "v1";
/// The most timers one [`SimCri::advance`] fires (a bound, not an expected figure).
const MAX_TIMERS_PER_ADVANCE: usize = 1_000_000;
/// The Unix time of the server clock's 0 under turmoil: CRI timestamps are that clock in
/// nanoseconds. On the wall clock ([`SimCriOptions::wall_clock`]) the origin is the Unix time the
/// server started.
const SIMULATED_CLOCK_ORIGIN_UNIX_NANOS: i64 = 0;

/// The simulator's containerd behind a CRI server: one shared state, its clock read from tokio's (so
/// under turmoil it is turmoil's simulated time). Clones share the state, so a host that serves a
/// clone comes back from a bounce with the runtime as it was (containerd keeps its state on disk).
///
/// The clock starts at its first reading and never goes back; read it (serve, [`SimCri::advance`],
/// [`SimCri::snapshot`]) from the runtime that serves it: other turmoil hosts have clocks of their own.
#[derive(Clone)]
pub struct SimCri {
    state: Arc<Mutex<State>>,
}

/// Everything behind the server's lock.
struct State {
    containerd: Containerd,
    /// The images the registry knows (normalised names), in the order given.
    images: Vec<String>,
    clock: Clock,
    /// The Unix time (nanoseconds) of the clock's 0.
    origin_unix_nanos: i64,
    /// Where each call and reply is recorded, if anywhere.
    trace: Option<TraceSink>,
    /// Wake-ups the runtime asked for, in the order asked.
    timers: Vec<(Millis, RuntimeTimer)>,
    /// What each sandbox was created with, by id.
    sandboxes: BTreeMap<String, SandboxMeta>,
    /// What each container was created with, by id.
    containers: BTreeMap<String, ContainerMeta>,
    /// The log directory of each sandbox, by id (containerd joins a container's log path to it).
    sandbox_log_dirs: BTreeMap<String, String>,
    /// What the server keeps of each container beyond the model, by id: its log and mounts.
    container_extras: BTreeMap<String, ContainerExtras>,
}

/// What the server keeps of a container beyond the model.
struct ContainerExtras {
    /// Its log: what its process prints, and where it goes.
    log: ContainerLog,
    /// Whether the log file was opened (when the process started).
    opened: bool,
    /// The mounts it was created with (reported back as sent).
    mounts: Vec<cri::Mount>,
}

/// The server's clock: milliseconds of tokio time since its first reading, never going back.
struct Clock {
    start: Option<tokio::time::Instant>,
    last: Millis,
}

/// A reply computed under the lock, to be sent after the runtime's delay.
struct Answer<T> {
    delay: Millis,
    result: Result<T, Status>,
}

impl<T> Answer<T> {
    fn at_once(result: Result<T, Status>) -> Answer<T> {
        Answer { delay: 0, result }
    }

    /// containerd's `NotFound` names what it did not find (`an error occurred when try to find
    /// container "x": not found`).
    fn naming(mut self, what: &str, id: &str) -> Answer<T> {
        if matches!(&self.result, Err(status) if status.code() == tonic::Code::NotFound) {
            self.result = Err(not_found(what, id));
        }
        self
    }

    /// Waits out the delay (tokio time), then answers.
    async fn send(self) -> Result<Response<T>, Status> {
        if self.delay > 0 {
            tokio::time::sleep(Duration::from_millis(self.delay)).await;
        }
        self.result.map(Response::new)
    }
}

/// Where a server records each call and reply (`podsim serve-cri --trace`).
pub type TraceSink = Arc<dyn Fn(TraceRecord) + Send + Sync>;

/// How a [`SimCri`] is set up.
pub struct SimCriOptions {
    /// Every image a pull can find (by name; names are normalised as containerd normalises
    /// references), with how its pulls behave.
    pub registry: BTreeMap<String, RegistryImage>,
    /// The images on the node from the start.
    pub preloaded: Vec<String>,
    /// The wall clock: the server's clock starts now, and CRI timestamps are Unix time. Otherwise
    /// (turmoil) the clock starts at its first reading and timestamps count from the Unix epoch.
    pub wall_clock: bool,
    /// Where each call and reply is recorded.
    pub trace: Option<TraceSink>,
}

impl SimCri {
    /// A runtime whose registry has these images (present, or pullable): every one is on the node
    /// from the start, and a pull of it succeeds at once.
    pub fn new(images: &[&str]) -> SimCri {
        let registry: BTreeMap<String, RegistryImage> = images
            .iter()
            .map(|name| {
                let image = RegistryImage { pull_latency: 0, failure: PullFailure::None, workload: None };
                (name.to_string(), image)
            })
            .collect();
        let preloaded = images.iter().map(|name| name.to_string()).collect();
        SimCri::with_options(SimCriOptions { registry, preloaded, wall_clock: false, trace: None })
    }

    /// A runtime set up as `options` say.
    pub fn with_options(options: SimCriOptions) -> SimCri {
        let normal = |name: &String| sim_images::normalize(name).unwrap_or_else(|_| name.clone());
        let registry: BTreeMap<String, RegistryImage> =
            options.registry.iter().map(|(name, image)| (normal(name), image.clone())).collect();
        let mut containerd = Containerd::new(registry.clone());
        for name in &options.preloaded {
            containerd.preload(&normal(name));
        }
        let (start, origin_unix_nanos) = if options.wall_clock {
            (Some(tokio::time::Instant::now()), unix_nanos_now())
        } else {
            (None, SIMULATED_CLOCK_ORIGIN_UNIX_NANOS)
        };
        let mut images: Vec<String> = options.registry.keys().map(normal).collect();
        images.extend(options.preloaded.iter().map(normal));
        let mut seen = std::collections::BTreeSet::new();
        images.retain(|name| seen.insert(name.clone()));
        let state = State {
            containerd,
            images,
            clock: Clock { start, last: 0 },
            origin_unix_nanos,
            trace: options.trace,
            timers: Vec::new(),
            sandboxes: BTreeMap::new(),
            containers: BTreeMap::new(),
            sandbox_log_dirs: BTreeMap::new(),
            container_extras: BTreeMap::new(),
        };
        SimCri { state: Arc::new(Mutex::new(state)) }
    }

    /// The runtime service, for `tonic::transport::Server::builder().add_service(..)`.
    pub fn runtime_service(&self) -> RuntimeServiceServer<SimRuntimeService> {
        RuntimeServiceServer::new(SimRuntimeService { cri: self.clone() })
    }

    /// The image service, for `tonic::transport::Server::builder().add_service(..)`.
    pub fn image_service(&self) -> ImageServiceServer<SimImageService> {
        ImageServiceServer::new(SimImageService { cri: self.clone() })
    }

    /// Fires the runtime's due timers (process exits, pulls landing) up to now, each at its own time.
    /// The server also does this at the start of every call, and [`SimCri::serve_with_incoming`]
    /// every [`ADVANCE_PERIOD`].
    pub fn advance(&self) {
        drop(self.lock());
    }

    /// The server's clock: milliseconds of tokio time since its first reading.
    pub fn now(&self) -> Millis {
        self.lock().clock.now()
    }

    /// Changes the simulated containerd at the server's now, e.g. to inject a fault
    /// (`crash_container`, `restart`, `fail_calls`, ...).
    pub fn with_runtime<R>(&self, change: impl FnOnce(&mut Containerd, Millis) -> R) -> R {
        let mut state = self.lock();
        let now = state.clock.now();
        change(&mut state.containerd, now)
    }

    /// Realises one of a scenario's runtime faults at the server's now (a target it does not name is
    /// drawn from `rng`), and records it.
    pub fn realise_fault(
        &self,
        fault: &podsim_sim::faults::Fault,
        rng: &mut podsim_sim::rng::SimRng,
        scenario: Option<&podsim_sim::scenario::Scenario>,
    ) -> sim_faults::Realised {
        let mut state = self.lock();
        let now = state.clock.now();
        let done = sim_faults::realise(&mut state.containerd, now, fault, rng, scenario);
        let fault_json = serde_json::to_string(fault).unwrap_or_default();
        state.record(now, TraceKind::Fault, format!("{fault_json}: {}", done.text));
        done
    }

    /// Ends a fault (its heal is due), and records it.
    pub fn heal_fault(&self, action: &sim_faults::HealAction) -> String {
        let mut state = self.lock();
        let now = state.clock.now();
        let text = sim_faults::heal(&mut state.containerd, action);
        state.record(now, TraceKind::Heal, text.clone());
        text
    }

    /// A snapshot for assertions: (sandboxes, containers) as the model types, newest first.
    pub fn snapshot(&self) -> (Vec<SandboxInfo>, Vec<ContainerInfo>) {
        let state = self.lock();
        let sandboxes = state
            .containerd
            .sandboxes()
            .map(|s| SandboxInfo { pod: s.pod.clone(), status: s.status.clone() })
            .collect();
        let containers = state
            .containerd
            .containers()
            .map(|c| ContainerInfo { pod: c.pod.clone(), status: c.status.clone() })
            .collect();
        (sandboxes, containers)
    }

    /// Serves both services on a stream of connections until the future is dropped, firing the
    /// runtime's due timers every [`ADVANCE_PERIOD`] meanwhile.
    pub async fn serve_with_incoming<S, IO, E>(self, incoming: S) -> Result<(), tonic::transport::Error>
    where
        S: Stream<Item = Result<IO, E>>,
        IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let _ticker = AbortOnDrop(tokio::spawn(self.clone().advance_periodically()));
        tonic::transport::Server::builder()
            .add_service(self.runtime_service())
            .add_service(self.image_service())
            .serve_with_incoming(incoming)
            .await
    }

    /// Serves both services on a turmoil listener (a simulated network) until the future is dropped.
    pub async fn serve_turmoil(
        self,
        listener: turmoil::net::TcpListener,
    ) -> Result<(), Box<dyn std::error::Error>> {
        self.serve_with_incoming(TurmoilIncoming::new(listener)).await?;
        Ok(())
    }

    /// Serves both services on a unix socket until the future is dropped.
    pub async fn serve_unix(
        self,
        listener: tokio::net::UnixListener,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let incoming = tonic::codegen::tokio_stream::wrappers::UnixListenerStream::new(listener);
        self.serve_with_incoming(incoming).await?;
        Ok(())
    }

    async fn advance_periodically(self) {
        let mut ticks = tokio::time::interval(ADVANCE_PERIOD);
        loop {
            ticks.tick().await;
            self.advance();
        }
    }

    /// The state, with the runtime's due timers fired.
    fn lock(&self) -> MutexGuard<'_, State> {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.catch_up();
        state
    }

    /// Serves `request` on the simulated containerd and reads its reply with `read`.
    fn call<T>(
        &self,
        request: CriRequest,
        read: impl FnOnce(&mut State, CriReply) -> Result<T, Status>,
    ) -> Answer<T> {
        let mut state = self.lock();
        let outcome = state.handle(request);
        // What the call started (a process, its log) happens before the reply.
        state.catch_up();
        let result = match outcome.reply {
            CriReply::Err(error) => Err(grpc_status(error)),
            reply => read(&mut state, reply),
        };
        Answer { delay: outcome.delay, result }
    }

    /// Reads the state with `read`, unless containerd is down (`Unavailable`); records the call as
    /// `what`.
    fn inspect<T>(&self, what: &str, read: impl FnOnce(&mut State) -> Result<T, Status>) -> Answer<T> {
        let mut state = self.lock();
        let now = state.clock.now();
        let result = if state.containerd.is_up(now) {
            read(&mut state)
        } else {
            Err(grpc_status(CriError::Unavailable))
        };
        state.record_call(what, &result);
        Answer::at_once(result)
    }
}

impl Clock {
    fn now(&mut self) -> Millis {
        let now = tokio::time::Instant::now();
        let start = *self.start.get_or_insert(now);
        let elapsed = u64::try_from(now.saturating_duration_since(start).as_millis()).unwrap_or(Millis::MAX);
        self.last = self.last.max(elapsed);
        self.last
    }
}

impl State {
    /// Serves one request at the clock's now, keeping the wake-ups it asks for, and records it.
    fn handle(&mut self, request: CriRequest) -> podsim_sim::containerd::CriOutcome {
        let now = self.clock.now();
        let mut timers = Vec::new();
        let call = self.trace.is_some().then(|| short_cri(&request));
        let outcome = self.containerd.handle(now, request, &mut timers);
        self.timers.extend(timers);
        if let Some(call) = call {
            self.record(now, TraceKind::Cri, format!("{call} -> {}", short_cri_reply(&outcome.reply)));
        }
        outcome
    }

    /// Whether a container's process runs.
    fn is_running(&self, container_id: &str) -> bool {
        self.containerd.container(container_id).is_some_and(|c| c.status.state == ContainerState::Running)
    }

    /// Records a process that exited by itself.
    fn record_exit(&self, at: Millis, container_id: &str) {
        if let Some(c) = self.containerd.container(container_id) {
            let text = format!("container {container_id} exited with code {}", c.status.exit_code);
            self.record(at, TraceKind::Runtime, text);
        }
    }

    /// Adds a record to the trace, if one is kept.
    fn record(&self, t: Millis, kind: TraceKind, text: String) {
        if let Some(trace) = &self.trace {
            trace(TraceRecord { t, kind, text });
        }
    }

    /// Records a call the model has no request for (`what`) with its result.
    fn record_call<T>(&mut self, what: &str, result: &Result<T, Status>) {
        if self.trace.is_none() {
            return;
        }
        let now = self.clock.now();
        let reply = match result {
            Ok(_) => "ok".to_string(),
            Err(status) => format!("{:?}: {}", status.code(), status.message()),
        };
        self.record(now, TraceKind::Cri, format!("{what} -> {reply}"));
    }

    /// Fires the due timers, then writes what processes printed meanwhile to their logs.
    fn catch_up(&mut self) {
        self.fire_due_timers();
        let now = self.clock.now();
        self.write_logs(now);
    }

    /// Appends to each log what its process printed by `now` (until it exited), opening the file
    /// when the process started. Write errors are dropped, as containerd only logs them.
    fn write_logs(&mut self, now: Millis) {
        let Self { containerd, container_extras, origin_unix_nanos, .. } = self;
        for (id, extras) in container_extras.iter_mut() {
            let Some(container) = containerd.container(id) else { continue };
            let Some(started) = container.status.started_at else { continue };
            if !extras.opened {
                let _ = extras.log.open();
                extras.opened = true;
            }
            let ran_for = container.status.finished_at.unwrap_or(now).saturating_sub(started);
            let _ = extras.log.write_due(cri_nanos(started, *origin_unix_nanos), ran_for);
        }
    }

    /// Keeps what a container created from `config` in `sandbox_id` prints and where its log goes,
    /// and, unless its image fixes its behaviour, what its process does as busybox's `sh` would run
    /// its command ([`sim_process`]).
    fn keep_container_extras(
        &mut self,
        id: &str,
        sandbox_id: &str,
        config: &cri::ContainerConfig,
        image: &str,
    ) {
        let process = sim_process::process_of(image, &config.command, &config.args);
        let fixed_by_image = self.containerd.workload_for(image, &config.command, &config.args)
            != Workload::from_command(&config.command, &config.args);
        let output = if fixed_by_image {
            sim_process::Output::default()
        } else {
            self.containerd.set_workload(id, process.workload);
            process.output
        };
        let log_dir = self.sandbox_log_dirs.get(sandbox_id).cloned().unwrap_or_default();
        let path = (!config.log_path.is_empty()).then(|| Path::new(&log_dir).join(&config.log_path));
        let extras = ContainerExtras {
            log: ContainerLog::new(path, output),
            opened: false,
            mounts: config.mounts.clone(),
        };
        self.container_extras.insert(id.to_string(), extras);
    }

    /// Fires every timer due by now, earliest first (ties in the order they were asked for), each at
    /// its own time, so that a process exit is stamped when it happened.
    fn fire_due_timers(&mut self) {
        let now = self.clock.now();
        for _ in 0..MAX_TIMERS_PER_ADVANCE {
            let due = self
                .timers
                .iter()
                .enumerate()
                .filter(|(_, (at, _))| *at <= now)
                .min_by_key(|(i, (at, _))| (*at, *i));
            let Some((index, _)) = due else { return };
            let (at, timer) = self.timers.remove(index);
            let exiting = match &timer {
                RuntimeTimer::ProcessExit { container_id, .. } if self.is_running(container_id) => {
                    Some(container_id.clone())
                }
                _ => None,
            };
            let mut more = Vec::new();
            self.containerd.on_timer(at, timer, &mut more);
            self.timers.extend(more);
            if let Some(id) = exiting.filter(|id| !self.is_running(id)) {
                self.record_exit(at, &id);
            }
        }
        panic!("the runtime asked for more than {MAX_TIMERS_PER_ADVANCE} wake-ups due at once");
    }

    /// Drops what is kept of sandboxes and containers the runtime no longer has.
    fn forget_removed(&mut self) {
        let Self { containerd, sandboxes, containers, sandbox_log_dirs, container_extras, .. } = self;
        sandboxes.retain(|id, _| containerd.sandbox(id).is_some());
        sandbox_log_dirs.retain(|id, _| containerd.sandbox(id).is_some());
        containers.retain(|id, _| containerd.container(id).is_some());
        container_extras.retain(|id, _| containerd.container(id).is_some());
    }

    /// The name on the node of the image a reference (a name, a repo digest, an id) resolves to;
    /// else the reference normalised (containerd then fails: the image is not there).
    fn image_name(&self, reference: &str) -> String {
        let store = self.image_store();
        match store.resolve(reference).and_then(|id| store.names(id).first()) {
            Some(name) => name.clone(),
            None => sim_images::normalize(reference).unwrap_or_else(|_| reference.to_string()),
        }
    }

    /// The images on the node, as containerd's image store groups them.
    fn image_store(&self) -> ImageStore {
        ImageStore::of(self.images.iter().filter(|name| self.containerd.has_image(name)).map(String::as_str))
    }

    /// The CRI view of a sandbox, with what it was created with.
    fn cri_sandbox(&self, status: &SandboxStatus) -> cri::PodSandbox {
        cri_sandbox(status, self.sandboxes.get(status.id.as_str()), self.origin_unix_nanos)
    }

    /// `PodSandboxStatus` of a sandbox.
    fn cri_sandbox_status(&self, status: &SandboxStatus) -> cri::PodSandboxStatus {
        cri_sandbox_status(status, self.sandboxes.get(status.id.as_str()), self.origin_unix_nanos)
    }

    /// The CRI view of a container, with what it was created with; its image ref is the image's
    /// id (containerd's `ListContainers`).
    fn cri_container(&self, status: &ContainerStatus) -> cri::Container {
        let mut listed = cri_container(status, &self.container_meta(status), self.origin_unix_nanos);
        let id = sim_images::facts(&status.image).id;
        listed.image_ref = id.clone();
        listed.image_id = id;
        listed
    }

    /// `ContainerStatus` of a container, as containerd 1.6 reports it: while its image is on the
    /// node, the image's first tag and first repo digest; its log path and mounts.
    fn cri_container_status(&self, status: &ContainerStatus) -> cri::ContainerStatus {
        let mut reported = cri_container_status(status, &self.container_meta(status), self.origin_unix_nanos);
        let id = sim_images::facts(&status.image).id;
        reported.image_ref = id.clone();
        reported.image_id = id.clone();
        if let Some(image) = self.image_store().cri_image(&id) {
            if let Some(tag) = image.repo_tags.first() {
                reported.image = Some(crate::convert::image::image_spec(tag));
            }
            if let Some(digest) = image.repo_digests.first() {
                reported.image_ref = digest.clone();
            }
        }
        if let Some(extras) = self.container_extras.get(status.id.as_str()) {
            reported.log_path =
                extras.log.path().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
            reported.mounts = extras.mounts.clone();
        }
        reported
    }

    /// What a container was created with (for one the server did not create: its name alone).
    fn container_meta(&self, status: &ContainerStatus) -> ContainerMeta {
        self.containers.get(status.id.as_str()).cloned().unwrap_or_else(|| ContainerMeta::of_status(status))
    }

    /// The pod a container created in `sandbox_id` belongs to: its pod labels if it has them all,
    /// else its sandbox's metadata (what containerd reserves the container's name with).
    fn container_pod(&self, sandbox_id: &str, labels: &HashMap<String, String>) -> PodRef {
        if let Some(pod) = pod_of_labels(labels) {
            return pod;
        }
        match self.sandboxes.get(sandbox_id) {
            Some(meta) => pod_of_metadata(&meta.metadata),
            None => no_pod(),
        }
    }
}

/// The runtime service (`runtime.v1.RuntimeService`) of a [`SimCri`].
pub struct SimRuntimeService {
    cri: SimCri,
}

/// The image service (`runtime.v1.ImageService`) of a [`SimCri`].
pub struct SimImageService {
    cri: SimCri,
}

#[tonic::async_trait]
impl RuntimeService for SimRuntimeService {
    async fn version(
        &self,
        _: Request<cri::VersionRequest>,
    ) -> Result<Response<cri::VersionResponse>, Status> {
        let version = cri::VersionResponse {
            version: "0.1.0".to_string(),
            runtime_name: RUNTIME_NAME.to_string(),
            runtime_version: RUNTIME_VERSION.to_string(),
            runtime_api_version: RUNTIME_API_VERSION.to_string(),
        };
        self.cri.inspect("Version", |_| Ok(version)).send().await
    }

    async fn run_pod_sandbox(
        &self,
        request: Request<cri::RunPodSandboxRequest>,
    ) -> Result<Response<cri::RunPodSandboxResponse>, Status> {
        let sent = request.into_inner().config.unwrap_or_default();
        let log_directory = sent.log_directory.clone();
        let (config, meta) = sandbox_config_of(sent)?;
        let answer = self.cri.call(CriRequest::RunPodSandbox { config }, |state, reply| match reply {
            CriReply::SandboxCreated { sandbox_id } => {
                state.sandbox_log_dirs.insert(sandbox_id.to_string(), log_directory);
                state.sandboxes.insert(sandbox_id.to_string(), meta);
                Ok(call::run_pod_sandbox_response(sandbox_id.to_string()))
            }
            other => Err(unexpected(other)),
        });
        answer.send().await
    }

    async fn stop_pod_sandbox(
        &self,
        request: Request<cri::StopPodSandboxRequest>,
    ) -> Result<Response<cri::StopPodSandboxResponse>, Status> {
        let request = request.into_inner();
        let sandbox_id = request.pod_sandbox_id.clone();
        let answer = self.cri.call(call::stop_pod_sandbox_of(request), |_, reply| {
            expect_ok(reply).map(|()| cri::StopPodSandboxResponse {})
        });
        answer.naming("sandbox", &sandbox_id).send().await
    }

    async fn remove_pod_sandbox(
        &self,
        request: Request<cri::RemovePodSandboxRequest>,
    ) -> Result<Response<cri::RemovePodSandboxResponse>, Status> {
        let answer = self.cri.call(call::remove_pod_sandbox_of(request.into_inner()), |state, reply| {
            state.forget_removed();
            expect_ok(reply).map(|()| cri::RemovePodSandboxResponse {})
        });
        answer.send().await
    }

    async fn pod_sandbox_status(
        &self,
        request: Request<cri::PodSandboxStatusRequest>,
    ) -> Result<Response<cri::PodSandboxStatusResponse>, Status> {
        let sandbox_id = request.into_inner().pod_sandbox_id;
        let what = format!("PodSandboxStatus {sandbox_id}");
        let answer = self.cri.inspect(&what, |state| {
            let Some(sandbox) = state.containerd.sandbox(&sandbox_id) else {
                return Err(not_found("sandbox", &sandbox_id));
            };
            Ok(cri::PodSandboxStatusResponse {
                status: Some(state.cri_sandbox_status(&sandbox.status)),
                ..Default::default()
            })
        });
        answer.send().await
    }

    async fn list_pod_sandbox(
        &self,
        request: Request<cri::ListPodSandboxRequest>,
    ) -> Result<Response<cri::ListPodSandboxResponse>, Status> {
        let filter = request.into_inner().filter.unwrap_or_default();
        let answer = self.cri.call(CriRequest::ListPodSandbox { pod_uid: None }, |state, reply| {
            let CriReply::Sandboxes(sandboxes) = reply else { return Err(unexpected(reply)) };
            let items = sandboxes
                .iter()
                .map(|s| state.cri_sandbox(&s.status))
                .filter(|s| sandbox_passes(s, &filter))
                .collect();
            Ok(cri::ListPodSandboxResponse { items })
        });
        answer.send().await
    }

    async fn create_container(
        &self,
        request: Request<cri::CreateContainerRequest>,
    ) -> Result<Response<cri::CreateContainerResponse>, Status> {
        let request = request.into_inner();
        let config = request.config.unwrap_or_default();
        // The config is read (or refused) first; its pod is found under the lock (`call_with_pod`).
        let (model, meta) = container_config_of(&config, no_pod())?;
        let sandbox_id = request.pod_sandbox_id;
        let answer =
            self.cri.call_with_pod(&sandbox_id, &config.labels, |state, pod| CriRequest::CreateContainer {
                sandbox_id: sandbox_id.as_str().into(),
                config: ContainerConfig { pod, image: state.image_name(&model.image).into(), ..model },
            });
        let answer = answer.then(|state, reply| match reply {
            CriReply::ContainerCreated { container_id } => {
                let image = state.image_name(&image_of_spec(config.image.clone()));
                state.keep_container_extras(&container_id, &sandbox_id, &config, &image);
                state.containers.insert(container_id.to_string(), meta);
                Ok(call::create_container_response(container_id.to_string()))
            }
            other => Err(unexpected(other)),
        });
        answer.send().await
    }

    async fn start_container(
        &self,
        request: Request<cri::StartContainerRequest>,
    ) -> Result<Response<cri::StartContainerResponse>, Status> {
        let request = request.into_inner();
        let container_id = request.container_id.clone();
        let answer = self.cri.call(call::start_container_of(request), |_, reply| {
            expect_ok(reply).map(|()| cri::StartContainerResponse {})
        });
        answer.naming("container", &container_id).send().await
    }

    async fn stop_container(
        &self,
        request: Request<cri::StopContainerRequest>,
    ) -> Result<Response<cri::StopContainerResponse>, Status> {
        let request = request.into_inner();
        let container_id = request.container_id.clone();
        let call = call::stop_container_of(request);
        let answer = self.cri.call(call, |_, reply| expect_ok(reply).map(|()| cri::StopContainerResponse {}));
        answer.naming("container", &container_id).send().await
    }

    async fn remove_container(
        &self,
        request: Request<cri::RemoveContainerRequest>,
    ) -> Result<Response<cri::RemoveContainerResponse>, Status> {
        let answer = self.cri.call(call::remove_container_of(request.into_inner()), |state, reply| {
            state.forget_removed();
            expect_ok(reply).map(|()| cri::RemoveContainerResponse {})
        });
        answer.send().await
    }

    async fn list_containers(
        &self,
        request: Request<cri::ListContainersRequest>,
    ) -> Result<Response<cri::ListContainersResponse>, Status> {
        let filter = request.into_inner().filter.unwrap_or_default();
        let answer = self.cri.call(CriRequest::ListContainers { pod_uid: None }, |state, reply| {
            let CriReply::Containers(containers) = reply else { return Err(unexpected(reply)) };
            let containers = containers
                .iter()
                .map(|c| state.cri_container(&c.status))
                .filter(|c| container_passes(c, &filter))
                .collect();
            Ok(cri::ListContainersResponse { containers })
        });
        answer.send().await
    }

    async fn container_status(
        &self,
        request: Request<cri::ContainerStatusRequest>,
    ) -> Result<Response<cri::ContainerStatusResponse>, Status> {
        let container_id = request.into_inner().container_id;
        let what = format!("ContainerStatus {container_id}");
        let answer = self.cri.inspect(&what, |state| {
            let Some(container) = state.containerd.container(&container_id) else {
                return Err(not_found("container", &container_id));
            };
            Ok(cri::ContainerStatusResponse {
                status: Some(state.cri_container_status(&container.status)),
                info: HashMap::new(),
            })
        });
        answer.send().await
    }

    async fn status(&self, _: Request<cri::StatusRequest>) -> Result<Response<cri::StatusResponse>, Status> {
        let ready = |kind: &str| cri::RuntimeCondition {
            r#type: kind.to_string(),
            status: true,
            ..Default::default()
        };
        let status = cri::StatusResponse {
            status: Some(cri::RuntimeStatus {
                conditions: vec![ready("RuntimeReady"), ready("NetworkReady")],
            }),
            ..Default::default()
        };
        self.cri.inspect("Status", |_| Ok(status)).send().await
    }

    /// `UpdateContainerResources` (in-place resize): the container's cgroup values are set.
    async fn update_container_resources(
        &self,
        request: Request<cri::UpdateContainerResourcesRequest>,
    ) -> Result<Response<cri::UpdateContainerResourcesResponse>, Status> {
        let request = request.into_inner();
        let container_id = request.container_id.clone();
        let call = crate::convert::resources::update_container_resources_of(request);
        let answer = self
            .cri
            .call(call, |_, reply| expect_ok(reply).map(|()| cri::UpdateContainerResourcesResponse {}));
        answer.naming("container", &container_id).send().await
    }

    /// containerd's `ReopenContainerLog`: a running container's log file is opened again (created,
    /// after the kubelet renamed it); any other container is refused.
    async fn reopen_container_log(
        &self,
        request: Request<cri::ReopenContainerLogRequest>,
    ) -> Result<Response<cri::ReopenContainerLogResponse>, Status> {
        let container_id = request.into_inner().container_id;
        let what = format!("ReopenContainerLog {container_id}");
        let answer = self.cri.inspect(&what, |state| {
            let Some(container) = state.containerd.container(&container_id) else {
                return Err(not_found("container", &container_id));
            };
            if container.status.state != ContainerState::Running {
                return Err(Status::unknown("container is not running"));
            }
            if let Some(extras) = state.container_extras.get(&container_id) {
                extras
                    .log
                    .open()
                    .map_err(|e| Status::unknown(format!("failed to create and open log: {e}")))?;
            }
            Ok(cri::ReopenContainerLogResponse {})
        });
        answer.send().await
    }

    /// `ExecSync`: the command is read with the workload vocabulary (a `workload check`, a verb run
    /// as an exec; any other program exits 0 at once) and answered when it ends, or with
    /// `DeadlineExceeded` at its timeout, as containerd answers it. No output is produced.
    async fn exec_sync(
        &self,
        request: Request<cri::ExecSyncRequest>,
    ) -> Result<Response<cri::ExecSyncResponse>, Status> {
        let request = request.into_inner();
        let container_id = request.container_id.clone();
        let answer = self.cri.call(call::exec_sync_of(request), |_, reply| {
            call::exec_sync_response(reply).map_err(grpc_status)
        });
        answer.naming("container", &container_id).send().await
    }

    async fn exec(&self, _: Request<cri::ExecRequest>) -> Result<Response<cri::ExecResponse>, Status> {
        Err(unimplemented("Exec"))
    }

    async fn attach(&self, _: Request<cri::AttachRequest>) -> Result<Response<cri::AttachResponse>, Status> {
        Err(unimplemented("Attach"))
    }

    async fn port_forward(
        &self,
        _: Request<cri::PortForwardRequest>,
    ) -> Result<Response<cri::PortForwardResponse>, Status> {
        Err(unimplemented("PortForward"))
    }

    /// containerd's `ContainerStats`: a running container's usage; a container without a running
    /// process has no metrics (containerd: "unexpected metrics response").
    async fn container_stats(
        &self,
        request: Request<cri::ContainerStatsRequest>,
    ) -> Result<Response<cri::ContainerStatsResponse>, Status> {
        let container_id = request.into_inner().container_id;
        let what = format!("ContainerStats {container_id}");
        let answer = self.cri.inspect(&what, |state| {
            let Some(container) = state.containerd.container(&container_id) else {
                return Err(not_found("container", &container_id));
            };
            if container.status.state != ContainerState::Running {
                return Err(Status::unknown(format!(
                    "unexpected metrics response: container {container_id:?} has no running task"
                )));
            }
            let status = container.status.clone();
            let now = state.clock.now();
            let stats = sim_stats::container_stats(
                &status,
                &state.container_meta(&status),
                now,
                state.origin_unix_nanos,
            );
            Ok(cri::ContainerStatsResponse { stats: Some(stats) })
        });
        answer.send().await
    }

    /// containerd's `ListContainerStats`: every container the filter selects, newest first.
    async fn list_container_stats(
        &self,
        request: Request<cri::ListContainerStatsRequest>,
    ) -> Result<Response<cri::ListContainerStatsResponse>, Status> {
        let filter = request.into_inner().filter.unwrap_or_default();
        let answer = self.cri.inspect("ListContainerStats", |state| {
            let now = state.clock.now();
            let stats = state
                .containerd
                .containers()
                .map(|c| {
                    let stats = sim_stats::container_stats(
                        &c.status,
                        &state.container_meta(&c.status),
                        now,
                        state.origin_unix_nanos,
                    );
                    (c.status.sandbox_id.clone(), stats)
                })
                .filter(|(sandbox_id, stats)| sim_stats::stats_pass(stats, sandbox_id, &filter))
                .map(|(_, stats)| stats)
                .collect();
            Ok(cri::ListContainerStatsResponse { stats })
        });
        answer.send().await
    }

    async fn pod_sandbox_stats(
        &self,
        _: Request<cri::PodSandboxStatsRequest>,
    ) -> Result<Response<cri::PodSandboxStatsResponse>, Status> {
        Err(unimplemented("PodSandboxStats"))
    }

    async fn list_pod_sandbox_stats(
        &self,
        _: Request<cri::ListPodSandboxStatsRequest>,
    ) -> Result<Response<cri::ListPodSandboxStatsResponse>, Status> {
        Err(unimplemented("ListPodSandboxStats"))
    }

    /// containerd's `UpdateRuntimeConfig`: the kubelet hands the node's pod CIDR; with no CNI
    /// config template (the default) containerd keeps nothing of it and answers OK.
    async fn update_runtime_config(
        &self,
        request: Request<cri::UpdateRuntimeConfigRequest>,
    ) -> Result<Response<cri::UpdateRuntimeConfigResponse>, Status> {
        let cidr = request.into_inner().runtime_config.and_then(|c| c.network_config).map(|n| n.pod_cidr);
        let what = format!("UpdateRuntimeConfig podCIDR {}", cidr.unwrap_or_default());
        self.cri.inspect(&what, |_| Ok(cri::UpdateRuntimeConfigResponse {})).send().await
    }

    async fn checkpoint_container(
        &self,
        _: Request<cri::CheckpointContainerRequest>,
    ) -> Result<Response<cri::CheckpointContainerResponse>, Status> {
        Err(unimplemented("CheckpointContainer"))
    }

    type GetContainerEventsStream = tonic::codegen::BoxStream<cri::ContainerEventResponse>;

    async fn get_container_events(
        &self,
        _: Request<cri::GetEventsRequest>,
    ) -> Result<Response<Self::GetContainerEventsStream>, Status> {
        Err(unimplemented("GetContainerEvents"))
    }

    async fn list_metric_descriptors(
        &self,
        _: Request<cri::ListMetricDescriptorsRequest>,
    ) -> Result<Response<cri::ListMetricDescriptorsResponse>, Status> {
        Err(unimplemented("ListMetricDescriptors"))
    }

    async fn list_pod_sandbox_metrics(
        &self,
        _: Request<cri::ListPodSandboxMetricsRequest>,
    ) -> Result<Response<cri::ListPodSandboxMetricsResponse>, Status> {
        Err(unimplemented("ListPodSandboxMetrics"))
    }

    async fn runtime_config(
        &self,
        _: Request<cri::RuntimeConfigRequest>,
    ) -> Result<Response<cri::RuntimeConfigResponse>, Status> {
        Err(unimplemented("RuntimeConfig"))
    }
}

#[tonic::async_trait]
impl ImageService for SimImageService {
    /// containerd's `ListImages`: every image in the store, whatever the filter (containerd 1.6
    /// ignores it: "Add image list filters after CRI defines this more clear").
    async fn list_images(
        &self,
        _: Request<cri::ListImagesRequest>,
    ) -> Result<Response<cri::ListImagesResponse>, Status> {
        let answer = self.cri.inspect("ListImages", |state| {
            Ok(cri::ListImagesResponse { images: state.image_store().cri_images() })
        });
        answer.send().await
    }

    /// containerd's `ImageStatus`: the image a reference (tag, repo digest, id or id prefix)
    /// resolves to, or none.
    async fn image_status(
        &self,
        request: Request<cri::ImageStatusRequest>,
    ) -> Result<Response<cri::ImageStatusResponse>, Status> {
        let reference = image_of_spec(request.into_inner().image);
        let answer = {
            let mut state = self.cri.lock();
            let store = state.image_store();
            let id = store.resolve(&reference).map(str::to_string);
            let asked = match &id {
                Some(id) => store.names(id).first().cloned().unwrap_or_default(),
                None => sim_images::normalize(&reference).unwrap_or(reference),
            };
            let outcome = state.handle(CriRequest::ImageStatus { image: asked.into() });
            let result = match outcome.reply {
                CriReply::Err(error) => Err(grpc_status(error)),
                CriReply::ImagePresent(present) => Ok(cri::ImageStatusResponse {
                    image: id.filter(|_| present).and_then(|id| store.cri_image(&id)),
                    info: HashMap::new(),
                }),
                other => Err(unexpected(other)),
            };
            Answer { delay: outcome.delay, result }
        };
        answer.send().await
    }

    /// containerd's `PullImage`: the normalised reference from the registry; the reply names the
    /// image's id.
    async fn pull_image(
        &self,
        request: Request<cri::PullImageRequest>,
    ) -> Result<Response<cri::PullImageResponse>, Status> {
        let reference = image_of_spec(request.into_inner().image);
        let name = match sim_images::normalize(&reference) {
            Ok(name) => name,
            Err(message) => {
                return Err(Status::unknown(format!("failed to parse image reference: {message}")))
            }
        };
        let image_ref = sim_images::facts(&name).id;
        let answer = self.cri.call(CriRequest::PullImage { image: name.into() }, |_, reply| {
            expect_ok(reply).map(|()| cri::PullImageResponse { image_ref })
        });
        answer.send().await
    }

    /// containerd's `RemoveImage`: every reference of the image the reference resolves to (an
    /// image that is not there is removed already).
    async fn remove_image(
        &self,
        request: Request<cri::RemoveImageRequest>,
    ) -> Result<Response<cri::RemoveImageResponse>, Status> {
        let reference = image_of_spec(request.into_inner().image);
        let what = format!("RemoveImage {reference}");
        let answer = self.cri.inspect(&what, |state| {
            let store = state.image_store();
            if let Some(id) = store.resolve(&reference) {
                for name in store.names(id) {
                    state.containerd.remove_image(name);
                }
            }
            Ok(cri::RemoveImageResponse {})
        });
        answer.send().await
    }

    /// containerd's `ImageFsInfo`: the snapshotter's filesystem and what the images use of it.
    async fn image_fs_info(
        &self,
        _: Request<cri::ImageFsInfoRequest>,
    ) -> Result<Response<cri::ImageFsInfoResponse>, Status> {
        let answer = self.cri.inspect("ImageFsInfo", |state| {
            let (used_bytes, inodes_used) = state.image_store().usage();
            let now = state.clock.now();
            let usage = cri::FilesystemUsage {
                timestamp: cri_nanos(now, state.origin_unix_nanos),
                fs_id: Some(cri::FilesystemIdentifier { mountpoint: sim_images::IMAGE_FS_MOUNTPOINT.into() }),
                used_bytes: Some(cri::UInt64Value { value: used_bytes }),
                inodes_used: Some(cri::UInt64Value { value: inodes_used }),
            };
            Ok(cri::ImageFsInfoResponse { image_filesystems: vec![usage], container_filesystems: Vec::new() })
        });
        answer.send().await
    }
}

/// A call whose reply is still to be read under the lock (see [`SimCri::call_with_pod`]).
struct PendingCall<'a> {
    state: MutexGuard<'a, State>,
    outcome: podsim_sim::containerd::CriOutcome,
}

impl SimCri {
    /// Serves the request `make` builds from the pod of a container created in `sandbox_id` (see
    /// `State::container_pod`), keeping the lock for reading its reply.
    fn call_with_pod(
        &self,
        sandbox_id: &str,
        labels: &HashMap<String, String>,
        make: impl FnOnce(&State, PodRef) -> CriRequest,
    ) -> PendingCall<'_> {
        let mut state = self.lock();
        let pod = state.container_pod(sandbox_id, labels);
        let request = make(&state, pod);
        let outcome = state.handle(request);
        PendingCall { state, outcome }
    }
}

impl PendingCall<'_> {
    /// Reads the reply with `read` (an error reply answers for itself), releasing the lock.
    fn then<T>(mut self, read: impl FnOnce(&mut State, CriReply) -> Result<T, Status>) -> Answer<T> {
        let result = match self.outcome.reply {
            CriReply::Err(error) => Err(grpc_status(error)),
            reply => read(&mut self.state, reply),
        };
        Answer { delay: self.outcome.delay, result }
    }
}

// --- answers and filters ---

/// The pod of a container whose labels and sandbox name none.
fn no_pod() -> PodRef {
    PodRef { uid: SharedStr::EMPTY, name: SharedStr::EMPTY, namespace: SharedStr::EMPTY }
}

/// The Unix time now, in nanoseconds (the wall-clock server's origin).
fn unix_nanos_now() -> i64 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since_epoch.as_nanos()).unwrap_or(i64::MAX)
}

/// containerd's `NotFound` for an id it does not know.
fn not_found(what: &str, id: &str) -> Status {
    Status::not_found(format!("an error occurred when try to find {what} {id:?}: not found"))
}

fn unimplemented(method: &str) -> Status {
    Status::unimplemented(format!("{method} is not implemented by the simulated containerd"))
}

/// A reply the simulated containerd never gives to this request.
fn unexpected(reply: CriReply) -> Status {
    Status::internal(format!("unexpected reply from the simulated containerd: {reply:?}"))
}

fn expect_ok(reply: CriReply) -> Result<(), Status> {
    match reply {
        CriReply::Ok => Ok(()),
        other => Err(unexpected(other)),
    }
}

/// `PodSandboxFilter`: id, state and label selector, each only if set.
fn sandbox_passes(sandbox: &cri::PodSandbox, filter: &cri::PodSandboxFilter) -> bool {
    (filter.id.is_empty() || sandbox.id == filter.id)
        && filter.state.as_ref().is_none_or(|wanted| sandbox.state == wanted.state)
        && labels_match(&sandbox.labels, &filter.label_selector)
}

/// `ContainerFilter`: id, state, sandbox and label selector, each only if set.
fn container_passes(container: &cri::Container, filter: &cri::ContainerFilter) -> bool {
    (filter.id.is_empty() || container.id == filter.id)
        && filter.state.as_ref().is_none_or(|wanted| container.state == wanted.state)
        && (filter.pod_sandbox_id.is_empty() || container.pod_sandbox_id == filter.pod_sandbox_id)
        && labels_match(&container.labels, &filter.label_selector)
}

// --- the network: turmoil's listener and channel ---

/// Aborts a spawned task when dropped (the server's timer task dies with the server).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A connection accepted on a turmoil listener, with what tonic needs of it.
pub struct TurmoilConnection(turmoil::net::TcpStream);

impl Connected for TurmoilConnection {
    type ConnectInfo = Option<SocketAddr>;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.0.peer_addr().ok()
    }
}

impl AsyncRead for TurmoilConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TurmoilConnection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

type Accepting = Pin<Box<dyn Future<Output = std::io::Result<TurmoilConnection>> + Send>>;

/// The connections a turmoil listener accepts, as a stream.
struct TurmoilIncoming {
    listener: Arc<turmoil::net::TcpListener>,
    accepting: Option<Accepting>,
}

impl TurmoilIncoming {
    fn new(listener: turmoil::net::TcpListener) -> TurmoilIncoming {
        TurmoilIncoming { listener: Arc::new(listener), accepting: None }
    }
}

impl Stream for TurmoilIncoming {
    type Item = std::io::Result<TurmoilConnection>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let listener = Arc::clone(&self.listener);
        let accepting = self.accepting.get_or_insert_with(|| {
            Box::pin(async move { listener.accept().await.map(|(stream, _)| TurmoilConnection(stream)) })
        });
        let accepted = std::task::ready!(accepting.as_mut().poll(cx));
        self.accepting = None;
        Poll::Ready(Some(accepted))
    }
}

/// A channel to a CRI server at `host:port` on turmoil's simulated network, with `timeout` on
/// connecting and on every call. It connects lazily and reconnects after the connection breaks (the
/// server's host crashed or bounced, or a partition lost its bytes): calls fail meanwhile, and
/// succeed again once the server is back.
///
/// turmoil's TCP does not retransmit what a partition dropped, so a partition leaves an open
/// connection dead even after it heals. HTTP/2 keep-alive pings (every [`KEEP_ALIVE_INTERVAL`], even
/// while idle) find it: after `timeout` without an answer the connection is closed, and the next call
/// opens a new one. A call made on the dead connection before then fails with its timeout.
pub async fn turmoil_channel(host: &str, port: u16, timeout: Duration) -> tonic::transport::Channel {
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{host}:{port}"))
        .expect("a host name and a port make a valid URI")
        .timeout(timeout)
        .connect_timeout(timeout)
        .http2_keep_alive_interval(KEEP_ALIVE_INTERVAL)
        .keep_alive_timeout(timeout)
        .keep_alive_while_idle(true);
    endpoint.connect_with_connector_lazy(tower::service_fn(|uri: tonic::transport::Uri| async move {
        let host = uri.host().unwrap_or_default().to_string();
        let port = uri.port_u16().unwrap_or(80);
        let stream = turmoil::net::TcpStream::connect((host, port)).await?;
        Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
    }))
}
