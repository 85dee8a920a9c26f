//! podsim's overhead on a real containerd, in one run: the time from a pod's creation in the API
//! server to all of its containers running (the kubelet model's whole sync: data directory, API
//! reads, volumes, the runtime's lists, status, image checks, then the sandbox and containers),
//! against the sum of the raw CRI calls such a pod needs (RunPodSandbox, CreateContainer and
//! StartContainer for each container), timed directly on the same containerd.
//!
//! `cargo bench -p podsim-cri --features containerd --bench pod_start_overhead` (root, with the
//! Debian packages containerd and runc). Prints both figures and the ratio, and writes them to
//! `target/pod-start-overhead.json`. `PODSIM_OVERHEAD_PODS` sets how many pods each side starts.

use std::time::{Duration, Instant};

use k8s_cri::v1 as cri;
use podsim_cri::client::{ClientOptions, CriClient, RunContext};
use podsim_cri::real::{RealConfig, RealWorld};
use podsim_model::io::{ContainerConfig, PodRef, SandboxConfig};
use podsim_model::ContainerKind;
use podsim_sim::scenario::Scenario;

const IMAGE: &str = "podsim/workload:1";
/// Containers per pod.
const CONTAINERS: usize = 2;
/// Seconds between two pods' creation in the podsim run.
const SPACING_SECS: u64 = 2;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if !std::path::Path::new("/usr/bin/containerd").exists() && which("containerd").is_none() {
        eprintln!("skipped: containerd is not installed (apt-get install containerd runc)");
        return;
    }
    let pods: usize = std::env::var("PODSIM_OVERHEAD_PODS").ok().and_then(|n| n.parse().ok()).unwrap_or(10);
    let run_id = podsim_cri::labels::new_run_id();
    let daemon = podsim_cri::daemon::PrivateContainerd::start(&run_id, podsim_cri::image::PAUSE_IMAGE)
        .expect("a private containerd starts");
    podsim_cri::image::import_images(daemon.socket(), daemon.dir(), &[IMAGE.to_string()])
        .expect("the images import");
    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio");
    let _entered = tokio.enter();
    let run = RunContext {
        run_id: run_id.clone(),
        log_root: daemon.dir().join("logs"),
        cgroup_parent: podsim_cri::run_dir::cgroup_parent(&run_id),
        clock_origin_unix_nanos: 0,
    };
    let client = CriClient::unix(daemon.socket(), run, ClientOptions::default());

    // Warm-up: the first container of an image unpacks its snapshot.
    tokio.block_on(raw_pod(&client, "warm-up"));
    let raw: Vec<Duration> =
        (0..pods).map(|i| tokio.block_on(raw_pod(&client, &format!("raw-{i}")))).collect();

    let scenario = Scenario::parse("overhead.yaml", &scenario_yaml(pods)).expect("the scenario parses");
    let config = RealConfig {
        duration: (pods as u64 * SPACING_SECS + 3) * 1_000,
        trace: false,
        check_expectations: false,
    };
    let (outcome, _) = tokio.block_on(RealWorld::new(&scenario, config, client.clone(), None).run());
    let podsim: Vec<Duration> = outcome
        .readiness
        .iter()
        .map(|r| {
            let ready =
                r.all_running_micros.unwrap_or_else(|| panic!("{} never ran all its containers", r.pod));
            Duration::from_micros(ready - r.created_micros)
        })
        .collect();
    tokio.block_on(client.remove_everything()).expect("the run's pods are removed");
    drop(_entered);
    drop(tokio);
    daemon.stop().expect("the private containerd stops and nothing is left");

    let (raw_median, podsim_median) = (median(&raw), median(&podsim));
    let ratio = podsim_median.as_secs_f64() / raw_median.as_secs_f64();
    println!("pod start on containerd, {pods} pods of {CONTAINERS} containers each (medians):");
    println!("  raw CRI calls, summed (RunPodSandbox + {CONTAINERS} x (CreateContainer + StartContainer)): {:>7.1} ms", ms(raw_median));
    println!(
        "  podsim, pod created in the API server -> all containers running:                    {:>7.1} ms",
        ms(podsim_median)
    );
    println!("  ratio {ratio:.3}: podsim's overhead is {:+.1}% (target: under 30%)", (ratio - 1.0) * 100.0);
    println!("  raw:    {}", list(&raw));
    println!("  podsim: {}", list(&podsim));
    let report = serde_json::json!({
        "pods": pods,
        "containers_per_pod": CONTAINERS,
        "raw_cri_sum_ms": raw.iter().map(|d| ms(*d)).collect::<Vec<_>>(),
        "podsim_ms": podsim.iter().map(|d| ms(*d)).collect::<Vec<_>>(),
        "raw_median_ms": ms(raw_median),
        "podsim_median_ms": ms(podsim_median),
        "ratio": ratio,
    });
    let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/pod-start-overhead.json");
    let _ = std::fs::write(target, serde_json::to_string_pretty(&report).expect("json"));
}

/// One pod through the raw CRI, as the kubelet would start it: the sum of the calls' own times.
async fn raw_pod(client: &CriClient, name: &str) -> Duration {
    let pod = PodRef { uid: format!("uid-{name}").into(), name: name.into(), namespace: "default".into() };
    let mut rt = client.runtime_service();
    let sandbox = client.sandbox_config(&SandboxConfig { pod: pod.clone(), attempt: 0, host_network: true });
    let _ = std::fs::create_dir_all(&sandbox.log_directory);
    let mut spent = Duration::ZERO;
    let begun = Instant::now();
    let id = rt
        .run_pod_sandbox(cri::RunPodSandboxRequest {
            config: Some(sandbox.clone()),
            runtime_handler: String::new(),
        })
        .await
        .expect("RunPodSandbox")
        .into_inner()
        .pod_sandbox_id;
    spent += begun.elapsed();
    for i in 0..CONTAINERS {
        let config = client.container_config(&ContainerConfig {
            pod: pod.clone(),
            name: format!("c{i}").into(),
            kind: ContainerKind::Regular,
            image: IMAGE.into(),
            command: vec!["workload".into(), "run".into()],
            args: Vec::new(),
            hash: 1,
            restart_count: 0,
            attempt: 0,
            resources: None,
        });
        let begun = Instant::now();
        let container_id = rt
            .create_container(cri::CreateContainerRequest {
                pod_sandbox_id: id.clone(),
                config: Some(config),
                sandbox_config: Some(sandbox.clone()),
            })
            .await
            .expect("CreateContainer")
            .into_inner()
            .container_id;
        rt.start_container(cri::StartContainerRequest { container_id }).await.expect("StartContainer");
        spent += begun.elapsed();
    }
    spent
}

fn scenario_yaml(pods: usize) -> String {
    let mut text = String::from(
        "name: overhead\ndescription: pods created one after another\nduration: 10m\nimages:\n- {name: \"podsim/workload:1\"}\ntimeline:\n",
    );
    for i in 0..pods {
        text.push_str(&format!(
            "- at: {}s\n  createPod:\n    metadata: {{name: pod-{i}}}\n    spec:\n      containers:\n",
            1 + i as u64 * SPACING_SECS
        ));
        for c in 0..CONTAINERS {
            text.push_str(&format!("      - {{name: c{c}, image: \"{IMAGE}\", command: [workload, run]}}\n"));
        }
    }
    text
}

fn median(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

fn list(values: &[Duration]) -> String {
    values.iter().map(|d| format!("{:.0}", ms(*d))).collect::<Vec<_>>().join(" ")
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| std::path::Path::new(dir).join(program))
        .find(|p| p.is_file())
}
