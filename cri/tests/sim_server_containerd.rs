//! The simulated CRI server answering as containerd 1.6 does, under turmoil (simulated time): images
//! by tag, id and repo digest, pulled without a tag and removed by id with every tag; a container's
//! log written in the CRI format at the path asked for, and reopened; stats; a running container
//! removed. (`tests/serve_cri.rs` holds the same server to critest and crictl on the wall clock.)
#![cfg(feature = "containerd")]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_cri::v1 as cri;
use k8s_cri::v1::image_service_client::ImageServiceClient;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use podsim_cri::sim_server::{turmoil_channel, SimCri, SimCriOptions, TraceSink};
use podsim_sim::containerd::{PullFailure, RegistryImage};
use podsim_sim::trace::{TraceKind, TraceRecord};
use tonic::transport::Channel;

const PORT: u16 = 9000;
const CALL_TIMEOUT: Duration = Duration::from_secs(2);
const TAGS: [&str; 2] =
    ["gcr.io/k8s-staging-cri-tools/test-image-tags:1", "gcr.io/k8s-staging-cri-tools/test-image-tags:2"];
const BUSYBOX: &str = "registry.k8s.io/e2e-test-images/busybox:1.29-2";

/// A runtime whose registry has these images, none on the node.
fn runtime(images: &[&str]) -> SimCri {
    traced_runtime(images, None)
}

/// [`runtime`], recording its trace.
fn traced_runtime(images: &[&str], trace: Option<TraceSink>) -> SimCri {
    let instant = || RegistryImage { pull_latency: 0, failure: PullFailure::None, workload: None };
    let registry: BTreeMap<String, RegistryImage> =
        images.iter().map(|i| (i.to_string(), instant())).collect();
    SimCri::with_options(SimCriOptions { registry, preloaded: Vec::new(), wall_clock: false, trace })
}

fn world(cri: &SimCri) -> turmoil::Sim<'static> {
    let mut sim = turmoil::Builder::new().simulation_duration(Duration::from_secs(60)).build();
    let cri = cri.clone();
    sim.host("containerd", move || {
        let cri = cri.clone();
        async move { cri.serve_turmoil(turmoil::net::TcpListener::bind(("0.0.0.0", PORT)).await?).await }
    });
    sim
}

async fn clients() -> (RuntimeServiceClient<Channel>, ImageServiceClient<Channel>) {
    let channel = turmoil_channel("containerd", PORT, CALL_TIMEOUT).await;
    (RuntimeServiceClient::new(channel.clone()), ImageServiceClient::new(channel))
}

fn spec(image: &str) -> Option<cri::ImageSpec> {
    Some(cri::ImageSpec { image: image.to_string(), ..Default::default() })
}

async fn status(images: &mut ImageServiceClient<Channel>, image: &str) -> Option<cri::Image> {
    let request = cri::ImageStatusRequest { image: spec(image), verbose: false };
    images.image_status(request).await.expect("ImageStatus").into_inner().image
}

async fn pull(images: &mut ImageServiceClient<Channel>, image: &str) -> String {
    let request = cri::PullImageRequest { image: spec(image), ..Default::default() };
    images.pull_image(request).await.expect("PullImage").into_inner().image_ref
}

#[test]
fn images_resolve_by_tag_id_and_repo_digest_and_go_with_every_tag() {
    let cri = runtime(&TAGS);
    let mut sim = world(&cri);
    sim.client("kubelet", async {
        let (_, mut images) = clients().await;
        assert_eq!(status(&mut images, TAGS[0]).await, None, "not on the node yet");
        let ids = [pull(&mut images, TAGS[0]).await, pull(&mut images, TAGS[1]).await];
        assert_eq!(ids[0], ids[1], "two tags of one image");
        let image = status(&mut images, TAGS[0]).await.expect("pulled");
        assert_eq!(image.id, ids[0]);
        assert_eq!(image.repo_tags, TAGS);
        assert!(image.size > 0);
        let by_digest = status(&mut images, &image.repo_digests[0]).await;
        assert_eq!(by_digest.as_ref(), Some(&image));
        assert_eq!(status(&mut images, &image.id).await.as_ref(), Some(&image));
        let listed = images.list_images(cri::ListImagesRequest::default()).await?.into_inner().images;
        assert_eq!(listed, vec![image.clone()]);
        let fs = images.image_fs_info(cri::ImageFsInfoRequest::default()).await?.into_inner();
        assert_eq!(fs.image_filesystems[0].used_bytes.as_ref().map(|u| u.value), Some(image.size));
        images.remove_image(cri::RemoveImageRequest { image: spec(&image.id) }).await?;
        assert_eq!(status(&mut images, TAGS[1]).await, None, "every tag went with the image");
        images.remove_image(cri::RemoveImageRequest { image: spec(&image.id) }).await?;
        Ok(())
    });
    sim.run().expect("the simulation runs to the end");
}

#[test]
fn a_reference_without_a_tag_is_pulled_as_latest() {
    let cri = runtime(&["docker.io/library/busybox:latest"]);
    let mut sim = world(&cri);
    sim.client("kubelet", async {
        let (_, mut images) = clients().await;
        let id = pull(&mut images, "busybox").await;
        let image = status(&mut images, "docker.io/library/busybox").await.expect("pulled");
        assert_eq!((image.id, image.repo_tags), (id, vec!["docker.io/library/busybox:latest".to_string()]));
        let unknown =
            images.pull_image(cri::PullImageRequest { image: spec("nope"), ..Default::default() }).await;
        assert!(unknown.is_err(), "an image the registry does not know");
        Ok(())
    });
    sim.run().expect("the simulation runs to the end");
}

#[test]
fn a_containers_output_goes_to_its_log_in_the_cri_format_and_is_reopened() {
    let dir = std::env::temp_dir().join(format!("podsim-sim-server-logs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let records: Arc<Mutex<Vec<TraceRecord>>> = Arc::default();
    let kept = records.clone();
    let sink: TraceSink = Arc::new(move |record| kept.lock().unwrap().push(record));
    let cri = traced_runtime(&[BUSYBOX], Some(sink));
    let mut sim = world(&cri);
    let log_dir = dir.clone();
    sim.client("kubelet", async move {
        let (mut runtime, mut images) = clients().await;
        pull(&mut images, BUSYBOX).await;
        let sandbox = cri::PodSandboxConfig {
            metadata: Some(cri::PodSandboxMetadata {
                name: "web".into(),
                uid: "u1".into(),
                namespace: "default".into(),
                attempt: 0,
            }),
            log_directory: log_dir.to_string_lossy().into_owned(),
            ..Default::default()
        };
        let request = cri::RunPodSandboxRequest { config: Some(sandbox.clone()), ..Default::default() };
        let sandbox_id = runtime.run_pod_sandbox(request).await?.into_inner().pod_sandbox_id;
        let create = |name: &str, script: &str| cri::CreateContainerRequest {
            pod_sandbox_id: sandbox_id.clone(),
            config: Some(cri::ContainerConfig {
                metadata: Some(cri::ContainerMetadata { name: name.into(), attempt: 0 }),
                image: spec(BUSYBOX),
                command: vec!["sh".into(), "-c".into(), script.into()],
                log_path: format!("{name}.log"),
                ..Default::default()
            }),
            sandbox_config: Some(sandbox.clone()),
        };
        let looping = runtime
            .create_container(create("loop", "while true; do echo tick; sleep 1; done"))
            .await?
            .into_inner()
            .container_id;
        let once =
            runtime.create_container(create("once", "echo done; exit 0")).await?.into_inner().container_id;
        let stats =
            runtime.list_container_stats(cri::ListContainerStatsRequest::default()).await?.into_inner().stats;
        assert_eq!(stats.len(), 2);
        assert!(stats.iter().all(|s| s.cpu.is_none()), "nothing runs yet");
        for id in [&looping, &once] {
            runtime.start_container(cri::StartContainerRequest { container_id: id.clone() }).await?;
        }
        let path = log_dir.join("loop.log");
        assert!(path.exists(), "opened when the process started");
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        let status = |id: &String| cri::ContainerStatusRequest { container_id: id.clone(), verbose: false };
        let done = runtime.container_status(status(&once)).await?.into_inner().status.expect("a status");
        assert_eq!(
            (done.state, done.exit_code, done.reason.as_str()),
            (cri::ContainerState::ContainerExited as i32, 0, "Completed")
        );
        assert_eq!(done.log_path, log_dir.join("once.log").to_string_lossy());
        assert!(std::fs::read_to_string(log_dir.join("once.log"))?.ends_with(" stdout F done\n"));
        let ticks = std::fs::read_to_string(&path)?;
        assert_eq!(ticks.lines().count(), 3, "a tick at 0, 1 and 2 s: {ticks}");
        assert!(ticks.lines().all(|l| l.ends_with(" stdout F tick") && l.contains("T00:00:0")), "{ticks}");

        let stats = runtime
            .container_stats(cri::ContainerStatsRequest { container_id: looping.clone() })
            .await?
            .into_inner();
        assert!(stats.stats.and_then(|s| s.cpu).is_some(), "a running container uses CPU");
        let exited = runtime.container_stats(cri::ContainerStatsRequest { container_id: once.clone() }).await;
        assert!(exited.is_err(), "no metrics without a running task");

        std::fs::rename(&path, log_dir.join("loop.log.1"))?;
        runtime
            .reopen_container_log(cri::ReopenContainerLogRequest { container_id: looping.clone() })
            .await?;
        assert!(path.exists(), "reopened");
        let refused =
            runtime.reopen_container_log(cri::ReopenContainerLogRequest { container_id: once.clone() }).await;
        assert!(refused.is_err(), "only a running container's log is reopened");

        runtime.remove_container(cri::RemoveContainerRequest { container_id: looping.clone() }).await?;
        let gone = runtime.container_status(status(&looping)).await.expect_err("removed while running");
        assert_eq!(gone.code(), tonic::Code::NotFound);
        Ok(())
    });
    sim.run().expect("the simulation runs to the end");
    let _ = std::fs::remove_dir_all(&dir);
    let records = records.lock().unwrap();
    let exits: Vec<&str> =
        records.iter().filter(|r| r.kind == TraceKind::Runtime).map(|r| r.text.as_str()).collect();
    assert_eq!(exits.len(), 1, "the echo exited by itself, the loop was removed: {exits:?}");
    assert!(exits[0].ends_with("exited with code 0"), "{exits:?}");
    assert!(records.iter().any(|r| r.kind == TraceKind::Cri && r.text.starts_with("ReopenContainerLog ")));
}

/// `ExecSync` runs a command of the workload vocabulary in a running container and answers when it
/// ends (its exit code) or at its timeout (`DeadlineExceeded`); a container that does not run is
/// refused. `UpdateContainerResources` sets a container's cgroup values; an unknown id is NotFound.
#[test]
fn exec_sync_answers_when_the_command_ends_and_resources_are_updated() {
    let cri = runtime(&[BUSYBOX]);
    let mut sim = world(&cri);
    sim.client("kubelet", async move {
        let (mut runtime, mut images) = clients().await;
        pull(&mut images, BUSYBOX).await;
        let sandbox = cri::PodSandboxConfig {
            metadata: Some(cri::PodSandboxMetadata {
                name: "web".into(),
                uid: "u1".into(),
                namespace: "default".into(),
                attempt: 0,
            }),
            ..Default::default()
        };
        let request = cri::RunPodSandboxRequest { config: Some(sandbox.clone()), ..Default::default() };
        let sandbox_id = runtime.run_pod_sandbox(request).await?.into_inner().pod_sandbox_id;
        let create = |name: &str, command: &[&str]| cri::CreateContainerRequest {
            pod_sandbox_id: sandbox_id.clone(),
            config: Some(cri::ContainerConfig {
                metadata: Some(cri::ContainerMetadata { name: name.into(), attempt: 0 }),
                image: spec(BUSYBOX),
                command: command.iter().map(|w| w.to_string()).collect(),
                ..Default::default()
            }),
            sandbox_config: Some(sandbox.clone()),
        };
        let app =
            runtime.create_container(create("app", &["workload", "run"])).await?.into_inner().container_id;
        let exec = |id: &str, cmd: &[&str], timeout: i64| cri::ExecSyncRequest {
            container_id: id.to_string(),
            cmd: cmd.iter().map(|w| w.to_string()).collect(),
            timeout,
        };
        let not_running = runtime.exec_sync(exec(&app, &["workload", "exit-after", "1s", "3"], 5)).await;
        assert!(not_running.is_err(), "a created container runs no exec");
        runtime.start_container(cri::StartContainerRequest { container_id: app.clone() }).await?;

        let asked = tokio::time::Instant::now();
        let done =
            runtime.exec_sync(exec(&app, &["workload", "exit-after", "1s", "3"], 5)).await?.into_inner();
        assert_eq!(done.exit_code, 3);
        assert_eq!(asked.elapsed().as_secs(), 1, "answered when the command ended");
        let asked = tokio::time::Instant::now();
        // (1 s: within the client's own call timeout of 2 s.)
        let late = runtime.exec_sync(exec(&app, &["workload", "run"], 1)).await.expect_err("timed out");
        assert_eq!(late.code(), tonic::Code::DeadlineExceeded);
        assert_eq!(asked.elapsed().as_secs(), 1, "answered at the timeout");

        let resources = cri::LinuxContainerResources {
            cpu_shares: 512,
            memory_limit_in_bytes: 1 << 28,
            ..Default::default()
        };
        let update = |id: &str| cri::UpdateContainerResourcesRequest {
            container_id: id.to_string(),
            linux: Some(resources.clone()),
            ..Default::default()
        };
        runtime.update_container_resources(update(&app)).await?;
        let unknown =
            runtime.update_container_resources(update("nope")).await.expect_err("no such container");
        assert_eq!(unknown.code(), tonic::Code::NotFound);
        Ok(())
    });
    sim.run().expect("the simulation runs to the end");
}
