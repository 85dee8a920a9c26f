//! The simulated CRI server under turmoil, driven by the raw k8s-cri clients: a container's life as
//! the kubelet sees it, label filtering, error codes, and the network path (a partition, a bounced
//! runtime host).
#![cfg(feature = "containerd")]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use k8s_cri::v1 as cri;
use k8s_cri::v1::image_service_client::ImageServiceClient;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use podsim_cri::labels;
use podsim_cri::sim_server::{turmoil_channel, SimCri, KEEP_ALIVE_INTERVAL};
use tonic::transport::Channel;
use tonic::Code;

const PORT: u16 = 9000;
const PAUSE: &str = "podsim.local/pause:1";
const WORKLOAD: &str = "podsim.local/workload:1";
const CALL_TIMEOUT: Duration = Duration::from_secs(2);
const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// A turmoil world long enough for every test here.
fn world() -> turmoil::Sim<'static> {
    turmoil::Builder::new().simulation_duration(Duration::from_secs(120)).build()
}

/// Hosts `cri` as "containerd" (a bounce restarts the server on the same state).
fn host_containerd(sim: &mut turmoil::Sim<'_>, cri: &SimCri) {
    let cri = cri.clone();
    sim.host("containerd", move || {
        let cri = cri.clone();
        async move {
            let listener = turmoil::net::TcpListener::bind(("0.0.0.0", PORT)).await?;
            cri.serve_turmoil(listener).await
        }
    });
}

async fn runtime_client() -> RuntimeServiceClient<Channel> {
    RuntimeServiceClient::new(turmoil_channel("containerd", PORT, CALL_TIMEOUT).await)
}

fn pod_labels(uid: &str, name: &str) -> HashMap<String, String> {
    HashMap::from([
        (labels::POD_UID.to_string(), uid.to_string()),
        (labels::POD_NAME.to_string(), name.to_string()),
        (labels::POD_NAMESPACE.to_string(), "default".to_string()),
        (labels::RUN_ID.to_string(), "test-run".to_string()),
    ])
}

fn sandbox_config(uid: &str, name: &str) -> cri::PodSandboxConfig {
    cri::PodSandboxConfig {
        metadata: Some(cri::PodSandboxMetadata {
            name: name.to_string(),
            uid: uid.to_string(),
            namespace: "default".to_string(),
            attempt: 0,
        }),
        labels: pod_labels(uid, name),
        annotations: HashMap::from([("note".to_string(), format!("sandbox of {name}"))]),
        ..Default::default()
    }
}

fn container_config(uid: &str, pod: &str, name: &str, command: &[&str]) -> cri::ContainerConfig {
    let mut labels = pod_labels(uid, pod);
    labels.insert(labels::CONTAINER_NAME.to_string(), name.to_string());
    cri::ContainerConfig {
        metadata: Some(cri::ContainerMetadata { name: name.to_string(), attempt: 0 }),
        image: Some(cri::ImageSpec { image: WORKLOAD.to_string(), ..Default::default() }),
        command: command.iter().map(|word| word.to_string()).collect(),
        labels,
        annotations: HashMap::from([
            (labels::CONTAINER_HASH.to_string(), "1a2b3c".to_string()),
            (labels::CONTAINER_RESTART_COUNT.to_string(), "0".to_string()),
            (labels::CONTAINER_KIND.to_string(), "regular".to_string()),
        ]),
        ..Default::default()
    }
}

async fn run_sandbox(runtime: &mut RuntimeServiceClient<Channel>, uid: &str, name: &str) -> String {
    let request = cri::RunPodSandboxRequest { config: Some(sandbox_config(uid, name)), ..Default::default() };
    runtime.run_pod_sandbox(request).await.expect("RunPodSandbox").into_inner().pod_sandbox_id
}

async fn create_container(
    runtime: &mut RuntimeServiceClient<Channel>,
    sandbox_id: &str,
    (uid, pod): (&str, &str),
    name: &str,
    command: &[&str],
) -> String {
    let request = cri::CreateContainerRequest {
        pod_sandbox_id: sandbox_id.to_string(),
        config: Some(container_config(uid, pod, name, command)),
        sandbox_config: Some(sandbox_config(uid, pod)),
    };
    runtime.create_container(request).await.expect("CreateContainer").into_inner().container_id
}

async fn container_status(runtime: &mut RuntimeServiceClient<Channel>, id: &str) -> cri::ContainerStatus {
    let request = cri::ContainerStatusRequest { container_id: id.to_string(), verbose: false };
    let reply = runtime.container_status(request).await.expect("ContainerStatus");
    reply.into_inner().status.expect("a status")
}

async fn list_containers(
    runtime: &mut RuntimeServiceClient<Channel>,
    filter: cri::ContainerFilter,
) -> Vec<cri::Container> {
    let request = cri::ListContainersRequest { filter: Some(filter) };
    runtime.list_containers(request).await.expect("ListContainers").into_inner().containers
}

async fn list_sandboxes(
    runtime: &mut RuntimeServiceClient<Channel>,
    filter: cri::PodSandboxFilter,
) -> Vec<cri::PodSandbox> {
    let request = cri::ListPodSandboxRequest { filter: Some(filter) };
    runtime.list_pod_sandbox(request).await.expect("ListPodSandbox").into_inner().items
}

fn selector(key: &str, value: &str) -> HashMap<String, String> {
    HashMap::from([(key.to_string(), value.to_string())])
}

#[test]
fn a_container_runs_exits_on_schedule_and_is_removed() {
    let mut sim = world();
    let runtime_state = SimCri::new(&[PAUSE, WORKLOAD]);
    host_containerd(&mut sim, &runtime_state);
    sim.client("kubelet", async {
        let mut runtime = runtime_client().await;
        let mut images = ImageServiceClient::new(turmoil_channel("containerd", PORT, CALL_TIMEOUT).await);
        let version = runtime.version(cri::VersionRequest::default()).await?.into_inner();
        assert_eq!(version.runtime_api_version, "v1");
        let image = cri::ImageSpec { image: WORKLOAD.to_string(), ..Default::default() };
        let status =
            images.image_status(cri::ImageStatusRequest { image: Some(image), verbose: false }).await?;
        assert_eq!(status.into_inner().image.expect("the image is on the node").repo_tags, [WORKLOAD]);

        let sandbox_id = run_sandbox(&mut runtime, "uid-1", "web").await;
        let command = ["workload", "exit-after", "2s", "3"];
        let container_id =
            create_container(&mut runtime, &sandbox_id, ("uid-1", "web"), "app", &command).await;
        runtime.start_container(cri::StartContainerRequest { container_id: container_id.clone() }).await?;
        let running = container_status(&mut runtime, &container_id).await;
        assert_eq!(running.state, cri::ContainerState::ContainerRunning as i32);

        tokio::time::sleep(Duration::from_secs(3)).await;
        let exited = container_status(&mut runtime, &container_id).await;
        assert_eq!(exited.state, cri::ContainerState::ContainerExited as i32);
        assert_eq!(exited.exit_code, 3);
        assert_eq!(exited.reason, "Error", "containerd's reason for a non-zero exit");
        assert_eq!(exited.finished_at - exited.started_at, 2 * NANOS_PER_SECOND, "exits 2 s after its start");
        assert_eq!(exited.annotations[labels::CONTAINER_HASH], "1a2b3c");

        let filter = cri::ContainerFilter {
            label_selector: selector(labels::CONTAINER_NAME, "app"),
            ..Default::default()
        };
        let listed = list_containers(&mut runtime, filter).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, container_id);
        assert_eq!(listed[0].state, cri::ContainerState::ContainerExited as i32);
        assert_eq!(listed[0].labels, container_config("uid-1", "web", "app", &command).labels);

        runtime
            .stop_container(cri::StopContainerRequest { container_id: container_id.clone(), timeout: 10 })
            .await?;
        runtime.remove_container(cri::RemoveContainerRequest { container_id: container_id.clone() }).await?;
        runtime.stop_pod_sandbox(cri::StopPodSandboxRequest { pod_sandbox_id: sandbox_id.clone() }).await?;
        runtime.remove_pod_sandbox(cri::RemovePodSandboxRequest { pod_sandbox_id: sandbox_id }).await?;
        assert!(list_containers(&mut runtime, cri::ContainerFilter::default()).await.is_empty());
        assert!(list_sandboxes(&mut runtime, cri::PodSandboxFilter::default()).await.is_empty());
        Ok(())
    });
    sim.run().expect("the simulation runs to the end");
    let (sandboxes, containers) = runtime_state.snapshot();
    assert!(sandboxes.is_empty() && containers.is_empty(), "everything was removed");
}

#[test]
fn lists_return_only_what_the_filters_select() {
    let mut sim = world();
    host_containerd(&mut sim, &SimCri::new(&[PAUSE, WORKLOAD]));
    sim.client("kubelet", async {
        let mut runtime = runtime_client().await;
        let web = run_sandbox(&mut runtime, "uid-web", "web").await;
        let db = run_sandbox(&mut runtime, "uid-db", "db").await;
        let web_app =
            create_container(&mut runtime, &web, ("uid-web", "web"), "app", &["workload", "run"]).await;
        let db_app = create_container(&mut runtime, &db, ("uid-db", "db"), "app", &["workload", "run"]).await;
        let db_log = create_container(&mut runtime, &db, ("uid-db", "db"), "log", &["workload", "run"]).await;
        runtime.start_container(cri::StartContainerRequest { container_id: db_app.clone() }).await?;

        let of_db = cri::PodSandboxFilter {
            label_selector: selector(labels::POD_UID, "uid-db"),
            ..Default::default()
        };
        let sandboxes = list_sandboxes(&mut runtime, of_db).await;
        assert_eq!(sandboxes.iter().map(|s| &s.id).collect::<Vec<_>>(), [&db]);
        assert_eq!(sandboxes[0].annotations["note"], "sandbox of db", "annotations come back as sent");
        let by_id = cri::PodSandboxFilter { id: web.clone(), ..Default::default() };
        assert_eq!(list_sandboxes(&mut runtime, by_id).await.len(), 1);

        let apps = cri::ContainerFilter {
            label_selector: selector(labels::CONTAINER_NAME, "app"),
            ..Default::default()
        };
        let mut ids: Vec<String> =
            list_containers(&mut runtime, apps).await.into_iter().map(|c| c.id).collect();
        ids.sort();
        let mut expected = vec![web_app.clone(), db_app.clone()];
        expected.sort();
        assert_eq!(ids, expected);

        let mut db_apps = selector(labels::CONTAINER_NAME, "app");
        db_apps.insert(labels::POD_UID.to_string(), "uid-db".to_string());
        let both = cri::ContainerFilter { label_selector: db_apps, ..Default::default() };
        assert_eq!(
            list_containers(&mut runtime, both).await.iter().map(|c| &c.id).collect::<Vec<_>>(),
            [&db_app]
        );

        let running = cri::ContainerFilter {
            state: Some(cri::ContainerStateValue { state: cri::ContainerState::ContainerRunning as i32 }),
            ..Default::default()
        };
        assert_eq!(
            list_containers(&mut runtime, running).await.iter().map(|c| &c.id).collect::<Vec<_>>(),
            [&db_app]
        );

        let in_db = cri::ContainerFilter { pod_sandbox_id: db.clone(), ..Default::default() };
        assert_eq!(list_containers(&mut runtime, in_db).await.len(), 2);
        let by_id = cri::ContainerFilter { id: db_log.clone(), ..Default::default() };
        assert_eq!(
            list_containers(&mut runtime, by_id).await.iter().map(|c| &c.id).collect::<Vec<_>>(),
            [&db_log]
        );

        let nobody = cri::ContainerFilter {
            label_selector: selector(labels::RUN_ID, "other-run"),
            ..Default::default()
        };
        assert!(list_containers(&mut runtime, nobody).await.is_empty());
        Ok(())
    });
    sim.run().expect("the simulation runs to the end");
}

#[test]
fn runtime_errors_map_to_grpc_codes() {
    let mut sim = world();
    host_containerd(&mut sim, &SimCri::new(&[PAUSE, WORKLOAD]));
    sim.client("kubelet", async {
        let mut runtime = runtime_client().await;
        let unknown =
            cri::ContainerStatusRequest { container_id: "container-99".to_string(), verbose: false };
        assert_eq!(runtime.container_status(unknown).await.unwrap_err().code(), Code::NotFound);
        let start = cri::StartContainerRequest { container_id: "container-99".to_string() };
        assert_eq!(runtime.start_container(start).await.unwrap_err().code(), Code::NotFound);

        let sandbox_id = run_sandbox(&mut runtime, "uid-1", "web").await;
        let mut config = container_config("uid-1", "web", "app", &["workload", "run"]);
        config.image =
            Some(cri::ImageSpec { image: "missing.example/app:1".to_string(), ..Default::default() });
        let create = cri::CreateContainerRequest {
            pod_sandbox_id: sandbox_id.clone(),
            config: Some(config),
            sandbox_config: None,
        };
        let error = runtime.create_container(create).await.unwrap_err();
        assert_eq!(error.code(), Code::Unknown);
        assert!(error.message().contains("image not found"), "{}", error.message());

        let mut images = ImageServiceClient::new(turmoil_channel("containerd", PORT, CALL_TIMEOUT).await);
        let missing = cri::ImageSpec { image: "missing.example/app:1".to_string(), ..Default::default() };
        let pull = cri::PullImageRequest { image: Some(missing.clone()), ..Default::default() };
        assert_eq!(images.pull_image(pull).await.unwrap_err().code(), Code::Unknown);
        let status = cri::ImageStatusRequest { image: Some(missing), verbose: false };
        assert!(
            images.image_status(status).await?.into_inner().image.is_none(),
            "an absent image has no status"
        );
        let exec = cri::ExecSyncRequest { container_id: "x".to_string(), ..Default::default() };
        assert_eq!(runtime.exec_sync(exec).await.unwrap_err().code(), Code::NotFound, "no such container");
        let stream = cri::ExecRequest { container_id: "x".to_string(), ..Default::default() };
        assert_eq!(runtime.exec(stream).await.unwrap_err().code(), Code::Unimplemented, "no streaming");
        Ok(())
    });
    sim.run().expect("the simulation runs to the end");
}

#[test]
fn a_partition_fails_calls_until_it_is_repaired() {
    let mut sim = world();
    host_containerd(&mut sim, &SimCri::new(&[PAUSE, WORKLOAD]));
    sim.client("kubelet", async {
        let mut runtime = runtime_client().await;
        runtime.version(cri::VersionRequest::default()).await?;
        turmoil::partition("kubelet", "containerd");
        let error = runtime.version(cri::VersionRequest::default()).await.unwrap_err();
        assert_eq!(error.code(), Code::Cancelled, "the client's timeout: {error:?}");
        // Long enough for the keep-alive pings to find the connection the partition broke.
        tokio::time::sleep(KEEP_ALIVE_INTERVAL + CALL_TIMEOUT).await;
        turmoil::repair("kubelet", "containerd");
        runtime.version(cri::VersionRequest::default()).await?;
        Ok(())
    });
    sim.run().expect("the simulation runs to the end");
}

#[test]
fn held_messages_fail_a_call_and_the_next_succeeds_once_released() {
    let mut sim = world();
    host_containerd(&mut sim, &SimCri::new(&[PAUSE, WORKLOAD]));
    sim.client("kubelet", async {
        let mut runtime = runtime_client().await;
        runtime.version(cri::VersionRequest::default()).await?;
        turmoil::hold("kubelet", "containerd");
        let error = runtime.version(cri::VersionRequest::default()).await.unwrap_err();
        assert_eq!(error.code(), Code::Cancelled, "the client's timeout: {error:?}");
        turmoil::release("kubelet", "containerd");
        runtime.version(cri::VersionRequest::default()).await?;
        Ok(())
    });
    sim.run().expect("the simulation runs to the end");
}

/// The steps of the bounce test, shared by the client and the loop that crashes and restarts hosts.
const SERVED: u8 = 1;
const CRASHED: u8 = 2;
const FAILED: u8 = 3;
const BOUNCED: u8 = 4;
const DONE: u8 = 5;

#[test]
fn calls_fail_while_the_runtime_host_is_down_and_succeed_once_it_is_back() {
    let mut sim = world();
    host_containerd(&mut sim, &SimCri::new(&[PAUSE, WORKLOAD]));
    let step = Arc::new(AtomicU8::new(0));
    let client_step = Arc::clone(&step);
    sim.client("kubelet", async move {
        let wait_for = |wanted: u8| {
            let step = Arc::clone(&client_step);
            async move {
                while step.load(Ordering::SeqCst) != wanted {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        };
        let mut runtime = runtime_client().await;
        let sandbox_id = run_sandbox(&mut runtime, "uid-1", "web").await;
        client_step.store(SERVED, Ordering::SeqCst);
        wait_for(CRASHED).await;
        let error = runtime.version(cri::VersionRequest::default()).await.unwrap_err();
        assert!(
            matches!(
                error.code(),
                Code::Cancelled | Code::DeadlineExceeded | Code::Unavailable | Code::Unknown
            ),
            "{error:?}"
        );
        client_step.store(FAILED, Ordering::SeqCst);
        wait_for(BOUNCED).await;
        let mut attempts = 0;
        while runtime.version(cri::VersionRequest::default()).await.is_err() {
            attempts += 1;
            assert!(attempts < 5, "the channel reconnects to the bounced host");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let sandboxes = list_sandboxes(&mut runtime, cri::PodSandboxFilter::default()).await;
        assert_eq!(
            sandboxes.iter().map(|s| &s.id).collect::<Vec<_>>(),
            [&sandbox_id],
            "the runtime's state survives"
        );
        client_step.store(DONE, Ordering::SeqCst);
        Ok(())
    });
    for _ in 0..1_000_000 {
        match step.load(Ordering::SeqCst) {
            SERVED => {
                sim.crash("containerd");
                step.store(CRASHED, Ordering::SeqCst);
            }
            FAILED => {
                sim.bounce("containerd");
                step.store(BOUNCED, Ordering::SeqCst);
            }
            _ => {}
        }
        if sim.step().expect("the simulation steps") {
            assert_eq!(step.load(Ordering::SeqCst), DONE);
            return;
        }
    }
    panic!("the client did not finish");
}
