//! The CRI client: carries out the kubelet model's CRI calls ([`CriRequest`]) on a runtime.v1 server
//! (containerd's CRI plugin, or [`crate::sim_server`] in tests) and turns the answers back into the
//! model's replies ([`CriReply`]).
//!
//! - Everything it creates carries the run's label ([`labels::RUN_ID`]), and every list it reads is
//!   filtered on that label: the kubelet model never sees, stops or removes anything of another run
//!   or anything podsim did not make.
//! - Every call has a deadline; reads (`List*`, `*Status`) are retried on `Unavailable` (the channel
//!   reconnects by itself); calls that create something are not, as the kubelet does not.
//! - Errors map to the model's [`CriError`]: `NotFound`, `Unavailable` (also any transport failure),
//!   `DeadlineExceeded`, and anything else as `Failed` with the runtime's message.
//! - Pods run in the node's network namespace whatever their spec says (no CNI plugin on the node):
//!   the network mode the kubelet asked for is kept in an annotation and reported back, and a
//!   pod-network sandbox is reported with the node's loopback address as its IP.
//! - What is sent and what is read back is converted in [`crate::convert`].

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_cri::v1 as cri;
use k8s_cri::v1::image_service_client::ImageServiceClient;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use tonic::transport::{Channel, Endpoint};

use podsim_model::io::{ContainerConfig, ContainerInfo, CriError, CriReply, CriRequest, SandboxConfig};
use podsim_model::{ContainerState, ContainerStatus};

use crate::convert::call;
use crate::convert::container::{container_status_of, cri_container_config};
use crate::convert::error::cri_error;
use crate::convert::image::{image_present, image_spec};
use crate::convert::pod::pod_of_labels;
use crate::convert::resources;
use crate::convert::sandbox::{cri_sandbox_config, sandbox_info};
use crate::convert::state::container_state;
use crate::labels;

/// What a run tags its objects with (defined with the conversions that use it).
pub use crate::convert::RunContext;

/// The largest message the client accepts (ListContainers of a busy node).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// Deadlines and retries of the client.
#[derive(Clone, Copy, Debug)]
pub struct ClientOptions {
    /// The deadline of one call (StopContainer gets its grace period on top).
    pub call_timeout: Duration,
    /// How many times a read is retried after `Unavailable`.
    pub read_retries: u32,
    /// The pause before a retry.
    pub retry_pause: Duration,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            call_timeout: Duration::from_secs(10),
            read_retries: 2,
            retry_pause: Duration::from_millis(100),
        }
    }
}

/// What the client remembers of a container whose final state it has read (exited containers never
/// change again), and of the start time of running ones, to spare a `ContainerStatus` call per
/// container per relist.
#[derive(Clone, Debug, Default)]
struct StatusCache {
    /// By container id: the last status read, and whether it is final (exited).
    containers: BTreeMap<String, (ContainerStatus, bool)>,
    /// By sandbox id: the config it was created with (CreateContainer sends it along).
    sandbox_configs: BTreeMap<String, cri::PodSandboxConfig>,
}

/// A CRI client for one run.
#[derive(Clone)]
pub struct CriClient {
    runtime: RuntimeServiceClient<Channel>,
    images: ImageServiceClient<Channel>,
    run: Arc<RunContext>,
    options: ClientOptions,
    cache: Arc<Mutex<StatusCache>>,
}

/// A channel to a CRI server on a unix socket; it connects when first used and reconnects after
/// failures by itself.
pub fn unix_channel(socket: &Path) -> Channel {
    let socket = socket.to_path_buf();
    // The URI is a placeholder: the connector ignores it and dials the socket.
    Endpoint::from_static("http://[::]:50051").connect_with_connector_lazy(tower::service_fn(
        move |_: tonic::transport::Uri| {
            let socket = socket.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(socket).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
            }
        },
    ))
}

impl CriClient {
    /// A client over `channel`.
    pub fn new(channel: Channel, run: RunContext, options: ClientOptions) -> CriClient {
        CriClient {
            runtime: RuntimeServiceClient::new(channel.clone()).max_decoding_message_size(MAX_MESSAGE_BYTES),
            images: ImageServiceClient::new(channel).max_decoding_message_size(MAX_MESSAGE_BYTES),
            run: Arc::new(run),
            options,
            cache: Arc::new(Mutex::new(StatusCache::default())),
        }
    }

    /// A client of the CRI server on `socket`.
    pub fn unix(socket: &Path, run: RunContext, options: ClientOptions) -> CriClient {
        CriClient::new(unix_channel(socket), run, options)
    }

    /// The runtime service client itself (for timing raw CRI calls beside podsim's).
    pub fn runtime_service(&self) -> RuntimeServiceClient<Channel> {
        self.runtime.clone()
    }

    /// The run this client works for.
    pub fn run(&self) -> &RunContext {
        &self.run
    }

    /// Carries out one of the kubelet model's CRI calls.
    pub async fn call(&self, request: &CriRequest) -> CriReply {
        match request {
            CriRequest::ListPodSandbox { pod_uid } => self.list_sandboxes(pod_uid.as_deref()).await,
            CriRequest::ListContainers { pod_uid } => self.list_containers(pod_uid.as_deref()).await,
            CriRequest::RunPodSandbox { config } => self.run_pod_sandbox(config).await,
            CriRequest::StopPodSandbox { sandbox_id } => {
                let id = sandbox_id.clone();
                self.once(self.options.call_timeout, |mut rt| async move {
                    rt.stop_pod_sandbox(call::stop_pod_sandbox(&id)).await
                })
                .await
                .map_or_else(CriReply::Err, |_| CriReply::Ok)
            }
            CriRequest::RemovePodSandbox { sandbox_id } => {
                let id = sandbox_id.clone();
                let reply = self
                    .once(self.options.call_timeout, |mut rt| async move {
                        rt.remove_pod_sandbox(call::remove_pod_sandbox(&id)).await
                    })
                    .await;
                if reply.is_ok() {
                    self.cache.lock().expect("cache lock").sandbox_configs.remove(sandbox_id.as_str());
                }
                reply.map_or_else(CriReply::Err, |_| CriReply::Ok)
            }
            CriRequest::ImageStatus { image } => self.image_status(image).await,
            CriRequest::PullImage { image } => {
                let pull = call::pull_image(image);
                self.images_once(|mut im| async move { im.pull_image(pull).await })
                    .await
                    .map_or_else(CriReply::Err, |_| CriReply::Ok)
            }
            CriRequest::CreateContainer { sandbox_id, config } => {
                self.create_container(sandbox_id, config).await
            }
            CriRequest::StartContainer { container_id } => {
                let id = container_id.clone();
                self.once(self.options.call_timeout, |mut rt| async move {
                    rt.start_container(call::start_container(&id)).await
                })
                .await
                .map_or_else(CriReply::Err, |_| CriReply::Ok)
            }
            CriRequest::StopContainer { container_id, timeout_seconds } => {
                let id = container_id.clone();
                let timeout = *timeout_seconds;
                let deadline = self.options.call_timeout + Duration::from_secs(timeout.max(0) as u64);
                self.once(deadline, |mut rt| async move {
                    rt.stop_container(call::stop_container(&id, timeout)).await
                })
                .await
                .map_or_else(CriReply::Err, |_| CriReply::Ok)
            }
            CriRequest::RemoveContainer { container_id } => {
                let id = container_id.clone();
                let reply = self
                    .once(self.options.call_timeout, |mut rt| async move {
                        rt.remove_container(call::remove_container(&id)).await
                    })
                    .await;
                if reply.is_ok() {
                    self.cache.lock().expect("cache lock").containers.remove(container_id.as_str());
                }
                reply.map_or_else(CriReply::Err, |_| CriReply::Ok)
            }
            CriRequest::UpdateContainerResources { container_id, resources } => {
                let update = resources::update_container_resources(container_id, resources);
                let reply = self
                    .once(self.options.call_timeout, |mut rt| async move {
                        rt.update_container_resources(update).await
                    })
                    .await;
                // The cached status holds the old values: read the container's status again.
                self.cache.lock().expect("cache lock").containers.remove(container_id.as_str());
                reply.map_or_else(CriReply::Err, |_| CriReply::Ok)
            }
            CriRequest::ExecSync { container_id, cmd, timeout_seconds } => {
                let exec = call::exec_sync(container_id, cmd, *timeout_seconds);
                // The runtime enforces the command's timeout; the call's own deadline comes on top,
                // as the kubelet's CRI client sets it (runtime request timeout + the exec's timeout).
                let deadline =
                    self.options.call_timeout + Duration::from_secs((*timeout_seconds).max(0) as u64);
                let result = self.once(deadline, |mut rt| async move { rt.exec_sync(exec).await }).await;
                call::exec_result_of(result)
            }
        }
    }

    /// `RemoveImage` (a fault: the image disappears from the node).
    pub async fn remove_image(&self, image: &str) -> CriReply {
        let spec = image_spec(image);
        self.images_once(|mut im| async move {
            im.remove_image(cri::RemoveImageRequest { image: Some(spec) }).await
        })
        .await
        .map_or_else(CriReply::Err, |_| CriReply::Ok)
    }

    /// The process id of a container of this run (from its verbose status), if it runs.
    pub async fn container_pid(&self, container_id: &str) -> Result<Option<i32>, CriError> {
        let id = container_id.to_string();
        let reply = self
            .read(|mut rt| {
                let id = id.clone();
                async move {
                    rt.container_status(cri::ContainerStatusRequest { container_id: id, verbose: true }).await
                }
            })
            .await?;
        let Some(status) = reply.status else { return Ok(None) };
        if !self.is_ours(&status.labels) {
            return Err(CriError::Failed(format!("container {container_id} is not this run's")));
        }
        Ok(pid_from_info(&reply.info))
    }

    /// The pause process id of a sandbox of this run (from its verbose status), if it runs.
    pub async fn sandbox_pid(&self, sandbox_id: &str) -> Result<Option<i32>, CriError> {
        let id = sandbox_id.to_string();
        let reply = self
            .read(|mut rt| {
                let id = id.clone();
                async move {
                    rt.pod_sandbox_status(cri::PodSandboxStatusRequest { pod_sandbox_id: id, verbose: true })
                        .await
                }
            })
            .await?;
        let Some(status) = reply.status else { return Ok(None) };
        if !self.is_ours(&status.labels) {
            return Err(CriError::Failed(format!("sandbox {sandbox_id} is not this run's")));
        }
        Ok(pid_from_info(&reply.info))
    }

    /// Stops and removes every sandbox and container of this run (the end of a run, or `podsim clean`
    /// against a containerd that is not podsim's); returns how many of each it removed.
    pub async fn remove_everything(&self) -> Result<(usize, usize), CriError> {
        let containers = self.list_raw_containers(None).await?;
        for c in &containers {
            let id = c.id.clone();
            let _ = self
                .once(self.options.call_timeout, |mut rt| async move {
                    rt.stop_container(call::stop_container(&id, 0)).await
                })
                .await;
            let id = c.id.clone();
            self.once(self.options.call_timeout, |mut rt| async move {
                rt.remove_container(call::remove_container(&id)).await
            })
            .await?;
        }
        let sandboxes = self.list_raw_sandboxes(None).await?;
        for s in &sandboxes {
            let id = s.id.clone();
            let _ = self
                .once(self.options.call_timeout, |mut rt| async move {
                    rt.stop_pod_sandbox(call::stop_pod_sandbox(&id)).await
                })
                .await;
            let id = s.id.clone();
            self.once(self.options.call_timeout, |mut rt| async move {
                rt.remove_pod_sandbox(call::remove_pod_sandbox(&id)).await
            })
            .await?;
        }
        Ok((sandboxes.len(), containers.len()))
    }

    /// The run ids of every sandbox and container in the runtime that carries podsim's run label
    /// (for `podsim clean --address`: podsim's leftovers from runs that were killed).
    pub async fn podsim_run_ids(&self) -> Result<std::collections::BTreeSet<String>, CriError> {
        let sandboxes =
            self.read(|mut rt| async move {
                rt.list_pod_sandbox(cri::ListPodSandboxRequest { filter: None }).await
            })
            .await?;
        let containers = self
            .read(
                |mut rt| async move { rt.list_containers(cri::ListContainersRequest { filter: None }).await },
            )
            .await?;
        Ok(sandboxes
            .items
            .iter()
            .map(|s| &s.labels)
            .chain(containers.containers.iter().map(|c| &c.labels))
            .filter_map(|l| l.get(labels::RUN_ID).cloned())
            .collect())
    }

    // --- the calls ---

    async fn list_sandboxes(&self, pod_uid: Option<&str>) -> CriReply {
        match self.list_raw_sandboxes(pod_uid).await {
            Err(e) => CriReply::Err(e),
            Ok(mut items) => {
                items.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.id.cmp(&a.id)));
                let origin = self.run.clock_origin_unix_nanos;
                CriReply::Sandboxes(items.iter().map(|s| sandbox_info(s, origin)).collect())
            }
        }
    }

    async fn list_raw_sandboxes(&self, pod_uid: Option<&str>) -> Result<Vec<cri::PodSandbox>, CriError> {
        let list = call::list_pod_sandbox(&self.run.run_id, pod_uid);
        let reply = self
            .read(|mut rt| {
                let list = list.clone();
                async move { rt.list_pod_sandbox(list).await }
            })
            .await?;
        // The server filtered on the run label; a server that ignores filters must not make podsim
        // read into anything else.
        Ok(reply.items.into_iter().filter(|s| self.is_ours(&s.labels)).collect())
    }

    async fn list_raw_containers(&self, pod_uid: Option<&str>) -> Result<Vec<cri::Container>, CriError> {
        let list = call::list_containers(&self.run.run_id, pod_uid);
        let reply = self
            .read(|mut rt| {
                let list = list.clone();
                async move { rt.list_containers(list).await }
            })
            .await?;
        Ok(reply.containers.into_iter().filter(|c| self.is_ours(&c.labels)).collect())
    }

    async fn list_containers(&self, pod_uid: Option<&str>) -> CriReply {
        let mut items = match self.list_raw_containers(pod_uid).await {
            Ok(items) => items,
            Err(e) => return CriReply::Err(e),
        };
        items.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.id.cmp(&a.id)));
        let mut infos = Vec::with_capacity(items.len());
        for c in &items {
            match self.container_status(c).await {
                Ok(status) => infos.push(ContainerInfo { pod: pod_of_labels(&c.labels), status }),
                // Removed between the list and the status: it is gone.
                Err(CriError::NotFound) => {}
                Err(e) => return CriReply::Err(e),
            }
        }
        CriReply::Containers(infos.into())
    }

    /// A container's status: from the cache when it cannot have changed, else `ContainerStatus`.
    async fn container_status(&self, c: &cri::Container) -> Result<ContainerStatus, CriError> {
        let listed = container_state(c.state);
        if let Some((cached, is_final)) = self.cache.lock().expect("cache lock").containers.get(&c.id) {
            if *is_final || cached.state == listed && listed != ContainerState::Created {
                return Ok(cached.clone());
            }
        }
        let id = c.id.clone();
        let reply = self
            .read(|mut rt| {
                let id = id.clone();
                async move {
                    rt.container_status(cri::ContainerStatusRequest { container_id: id, verbose: false })
                        .await
                }
            })
            .await?;
        let Some(s) = reply.status else { return Err(CriError::NotFound) };
        let status = container_status_of(c, &s, self.run.clock_origin_unix_nanos);
        let is_final = status.state == ContainerState::Exited;
        self.cache.lock().expect("cache lock").containers.insert(c.id.clone(), (status.clone(), is_final));
        Ok(status)
    }

    async fn run_pod_sandbox(&self, config: &SandboxConfig) -> CriReply {
        let sandbox = self.sandbox_config(config);
        let run = cri::RunPodSandboxRequest { config: Some(sandbox.clone()), runtime_handler: String::new() };
        let _ = std::fs::create_dir_all(&sandbox.log_directory);
        match self
            .once(self.options.call_timeout, |mut rt| async move { rt.run_pod_sandbox(run).await })
            .await
        {
            Ok(reply) => {
                self.cache
                    .lock()
                    .expect("cache lock")
                    .sandbox_configs
                    .insert(reply.pod_sandbox_id.clone(), sandbox);
                call::sandbox_created(reply)
            }
            Err(e) => CriReply::Err(e),
        }
    }

    /// The CRI `PodSandboxConfig` this client sends for the model's sandbox config.
    pub fn sandbox_config(&self, config: &SandboxConfig) -> cri::PodSandboxConfig {
        cri_sandbox_config(config, &self.run)
    }

    async fn create_container(&self, sandbox_id: &str, config: &ContainerConfig) -> CriReply {
        let sandbox_config = {
            let cache = self.cache.lock().expect("cache lock");
            cache.sandbox_configs.get(sandbox_id).cloned()
        };
        let sandbox_config = sandbox_config.unwrap_or_else(|| {
            self.sandbox_config(&SandboxConfig { pod: config.pod.clone(), attempt: 0, host_network: true })
        });
        let create = cri::CreateContainerRequest {
            pod_sandbox_id: sandbox_id.to_string(),
            config: Some(self.container_config(config)),
            sandbox_config: Some(sandbox_config),
        };
        match self
            .once(self.options.call_timeout, |mut rt| async move { rt.create_container(create).await })
            .await
        {
            Ok(reply) => call::container_created(reply),
            Err(e) => CriReply::Err(e),
        }
    }

    /// The CRI `ContainerConfig` this client sends for the model's container config.
    pub fn container_config(&self, config: &ContainerConfig) -> cri::ContainerConfig {
        cri_container_config(config, &self.run.run_id)
    }

    async fn image_status(&self, image: &str) -> CriReply {
        let status = call::image_status(image);
        let reply = self
            .images_read(|mut im| {
                let status = status.clone();
                async move { im.image_status(status).await }
            })
            .await;
        match reply {
            Ok(r) => CriReply::ImagePresent(image_present(&r)),
            Err(e) => CriReply::Err(e),
        }
    }

    // --- plumbing ---

    /// Whether an object with these labels is this run's.
    fn is_ours(&self, object_labels: &HashMap<String, String>) -> bool {
        object_labels.get(labels::RUN_ID) == Some(&self.run.run_id)
    }

    /// One runtime call with a deadline, not retried.
    async fn once<T, F, Fut>(&self, deadline: Duration, call: F) -> Result<T, CriError>
    where
        F: FnOnce(RuntimeServiceClient<Channel>) -> Fut,
        Fut: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        within(deadline, call(self.runtime.clone())).await
    }

    /// A runtime read, retried after `Unavailable` within its deadline.
    async fn read<T, F, Fut>(&self, call: F) -> Result<T, CriError>
    where
        F: Fn(RuntimeServiceClient<Channel>) -> Fut,
        Fut: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        self.retrying(|| call(self.runtime.clone())).await
    }

    /// An image service call with a deadline, not retried.
    async fn images_once<T, F, Fut>(&self, call: F) -> Result<T, CriError>
    where
        F: FnOnce(ImageServiceClient<Channel>) -> Fut,
        Fut: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        within(self.options.call_timeout, call(self.images.clone())).await
    }

    /// An image service read, retried after `Unavailable` within its deadline.
    async fn images_read<T, F, Fut>(&self, call: F) -> Result<T, CriError>
    where
        F: Fn(ImageServiceClient<Channel>) -> Fut,
        Fut: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        self.retrying(|| call(self.images.clone())).await
    }

    /// Calls `call` until it succeeds, fails with anything but `Unavailable`, or has been retried
    /// `read_retries` times, all within one call deadline.
    async fn retrying<T, F, Fut>(&self, call: F) -> Result<T, CriError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let attempts = async {
            let mut tries = 0;
            loop {
                match call().await {
                    Ok(r) => return Ok(r.into_inner()),
                    Err(s) => {
                        let e = cri_error(&s);
                        if e != CriError::Unavailable || tries >= self.options.read_retries {
                            return Err(e);
                        }
                        tries += 1;
                        tokio::time::sleep(self.options.retry_pause).await;
                    }
                }
            }
        };
        tokio::time::timeout(self.options.call_timeout, attempts)
            .await
            .unwrap_or(Err(CriError::DeadlineExceeded))
    }
}

/// A call's reply, or `DeadlineExceeded` if it takes longer than `deadline`.
async fn within<T>(
    deadline: Duration,
    call: impl std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> Result<T, CriError> {
    match tokio::time::timeout(deadline, call).await {
        Err(_) => Err(CriError::DeadlineExceeded),
        Ok(result) => result.map(tonic::Response::into_inner).map_err(|s| cri_error(&s)),
    }
}

/// The `pid` in a verbose status's `info` JSON (containerd's CRI plugin writes it there).
fn pid_from_info(info: &HashMap<String, String>) -> Option<i32> {
    let text = info.get("info")?;
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    value.get("pid")?.as_i64().filter(|p| *p > 0).map(|p| p as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_is_read_from_the_verbose_info() {
        let info = HashMap::from([("info".to_string(), r#"{"pid": 4242, "sandboxID": "x"}"#.to_string())]);
        assert_eq!(pid_from_info(&info), Some(4242));
        assert_eq!(pid_from_info(&HashMap::from([("info".to_string(), r#"{"pid": 0}"#.to_string())])), None);
        assert_eq!(pid_from_info(&HashMap::new()), None);
    }
}
