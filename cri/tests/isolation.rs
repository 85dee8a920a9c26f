//! Isolation on a real containerd: a run touches only what carries its own run label. A sandbox and
//! container that podsim did not make, and another run's, run beside a run that creates and deletes
//! pods and then removes everything it made; they are never listed to the kubelet, stopped or
//! removed.
#![cfg(feature = "containerd")]

use std::collections::HashMap;
use std::time::Duration;

use k8s_cri::v1 as cri;
use podsim_cri::client::{ClientOptions, CriClient, RunContext};
use podsim_cri::daemon::PrivateContainerd;
use podsim_cri::real::{RealConfig, RealWorld};
use podsim_model::io::{CriReply, CriRequest};
use podsim_sim::scenario::Scenario;

const IMAGE: &str = "podsim/workload:1";

fn containerd_available() -> bool {
    let installed = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("containerd").is_file()));
    if installed {
        return true;
    }
    let why = "skipped: containerd is not installed (apt-get install containerd runc)";
    assert!(std::env::var("PODSIM_REQUIRE_CONTAINERD").as_deref() != Ok("1"), "{why}");
    eprintln!("{why}");
    false
}

fn client(daemon: &PrivateContainerd, run_id: &str) -> CriClient {
    let run = RunContext {
        run_id: run_id.to_string(),
        log_root: daemon.dir().join("logs").join(run_id),
        cgroup_parent: podsim_cri::run_dir::cgroup_parent(daemon.run_id()),
        clock_origin_unix_nanos: 0,
    };
    CriClient::unix(daemon.socket(), run, ClientOptions::default())
}

/// A sandbox and a running container made with the raw CRI, with these labels.
async fn foreign_pod(client: &CriClient, name: &str, labels: HashMap<String, String>) -> (String, String) {
    let mut rt = client.runtime_service();
    let mut sandbox = client.sandbox_config(&podsim_model::io::SandboxConfig {
        pod: podsim_model::io::PodRef {
            uid: format!("uid-{name}").into(),
            name: name.into(),
            namespace: "other".into(),
        },
        attempt: 0,
        host_network: true,
    });
    sandbox.labels = labels.clone();
    let _ = std::fs::create_dir_all(&sandbox.log_directory);
    let sandbox_id = rt
        .run_pod_sandbox(cri::RunPodSandboxRequest {
            config: Some(sandbox.clone()),
            runtime_handler: String::new(),
        })
        .await
        .expect("RunPodSandbox")
        .into_inner()
        .pod_sandbox_id;
    let config = cri::ContainerConfig {
        metadata: Some(cri::ContainerMetadata { name: "main".into(), attempt: 0 }),
        image: Some(cri::ImageSpec { image: IMAGE.into(), ..Default::default() }),
        command: vec!["workload".into(), "run".into()],
        labels,
        log_path: "main.log".into(),
        ..Default::default()
    };
    let container_id = rt
        .create_container(cri::CreateContainerRequest {
            pod_sandbox_id: sandbox_id.clone(),
            config: Some(config),
            sandbox_config: Some(sandbox),
        })
        .await
        .expect("CreateContainer")
        .into_inner()
        .container_id;
    rt.start_container(cri::StartContainerRequest { container_id: container_id.clone() })
        .await
        .expect("StartContainer");
    (sandbox_id, container_id)
}

async fn is_running(client: &CriClient, container_id: &str) -> bool {
    let status = client
        .runtime_service()
        .container_status(cri::ContainerStatusRequest { container_id: container_id.into(), verbose: false })
        .await
        .expect("ContainerStatus of the foreign container")
        .into_inner()
        .status
        .expect("a status");
    status.state == cri::ContainerState::ContainerRunning as i32
}

const SCENARIO: &str = r#"
name: isolation
description: a pod created and deleted beside foreign containers
duration: 1m
images:
- {name: "podsim/workload:1"}
pods:
- metadata: {name: web}
  spec:
    terminationGracePeriodSeconds: 2
    containers:
    - {name: app, image: "podsim/workload:1", command: [workload, run]}
timeline:
- at: 3s
  deletePod: {name: web}
- at: 4s
  createPod:
    metadata: {name: second}
    spec:
      containers:
      - {name: app, image: "podsim/workload:1", command: [workload, run]}
"#;

#[test]
fn a_run_never_lists_stops_or_removes_what_is_not_its_own() {
    if !containerd_available() {
        return;
    }
    let run_id = podsim_cri::labels::new_run_id();
    let daemon = PrivateContainerd::start(&run_id, podsim_cri::image::PAUSE_IMAGE)
        .expect("a private containerd starts");
    podsim_cri::image::import_images(daemon.socket(), daemon.dir(), &[IMAGE.to_string()])
        .expect("images import");
    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio");
    let _entered = tokio.enter();
    let ours = client(&daemon, "ours");
    let unlabelled = HashMap::from([("app".to_string(), "not-podsim".to_string())]);
    let other_run = HashMap::from([(podsim_cri::labels::RUN_ID.to_string(), "another-run".to_string())]);
    let (foreign_sandbox, foreign) = tokio.block_on(foreign_pod(&ours, "foreign", unlabelled));
    let (other_sandbox, other) = tokio.block_on(foreign_pod(&ours, "other-run", other_run));

    let scenario = Scenario::parse("isolation.yaml", SCENARIO).expect("the scenario parses");
    let config = RealConfig { duration: 10_000, trace: true, check_expectations: false };
    let (outcome, trace) = tokio.block_on(RealWorld::new(&scenario, config, ours.clone(), None).run());
    let names: Vec<&str> = outcome.pods.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["default/second"], "web was deleted and second runs: {:#?}", outcome.pods);
    let text = trace.to_jsonl();
    for id in [&foreign, &foreign_sandbox, &other, &other_sandbox] {
        assert!(!text.contains(id.as_str()), "the kubelet never saw {id}");
    }
    let listed = tokio.block_on(ours.call(&CriRequest::ListContainers { pod_uid: None }));
    let CriReply::Containers(listed) = listed else { panic!("ListContainers failed: {listed:?}") };
    assert!(
        listed.iter().all(|c| c.status.id != foreign && c.status.id != other),
        "lists hold only the run's own"
    );

    let (sandboxes, containers) =
        tokio.block_on(ours.remove_everything()).expect("the run's objects are removed");
    assert_eq!(
        (sandboxes, containers),
        (1, 1),
        "left to remove: second's sandbox and container (web's are gone)"
    );
    assert!(tokio.block_on(is_running(&ours, &foreign)), "the unlabelled container still runs");
    assert!(tokio.block_on(is_running(&ours, &other)), "another run's container still runs");
    // A crash fault can only find the run's own containers.
    assert_eq!(
        tokio.block_on(ours.container_pid(&foreign)).ok().flatten(),
        None,
        "no pid of a foreign container"
    );

    drop(_entered);
    drop(tokio);
    std::thread::sleep(Duration::from_millis(10));
    daemon.stop().expect("the private containerd stops, with the foreign containers, and nothing is left");
}
