//! One shard of `podsim explore` run inside podsim's own image (cri/src/podsim_image.rs) on a private
//! containerd, as a Kubernetes Indexed Job's pod would run it (examples/explore-job/): a static podsim
//! is built (glibc, +crt-static, as `scripts/build-image.sh` does), packed with the scenarios, imported
//! with `ctr images import`, and run through the CRI with a host folder mounted at /results; the
//! shard's JSON read from there is the one the same binary writes on the host. Everything the test
//! made is removed, and the private containerd stopped.
//!
//! Needs root and containerd (Debian: containerd, runc); skipped otherwise, unless
//! `PODSIM_REQUIRE_CONTAINERD=1` (as CI sets), which makes it fail instead.
#![cfg(feature = "containerd")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use k8s_cri::v1 as cri;
use podsim_cri::client::{ClientOptions, CriClient, RunContext};
use podsim_cri::daemon::PrivateContainerd;
use podsim_cri::podsim_image::{default_reference, podsim_image_tar, PodsimImage};
use podsim_model::io::{PodRef, SandboxConfig};

/// The target of the static build: podsim's images are linux/amd64.
const STATIC_TARGET: &str = "x86_64-unknown-linux-gnu";
/// The shard the container runs: 2 scenarios x 6 seeds, shard 1 of 3.
const SHARD_ARGS: [&str; 10] = [
    "explore",
    "scenarios/pod-runs.yaml",
    "scenarios/crash-loop-backoff.yaml",
    "--seeds",
    "0..6",
    "--shard",
    "1/3",
    "--jobs",
    "1",
    "--json-file",
];
/// How long the shard may take in the container.
const SHARD_LIMIT: Duration = Duration::from_secs(120);

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

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("cri/ is in the workspace").to_path_buf()
}

/// Builds podsim statically (dev profile without debug info: quicker to build; the shard is small)
/// in a target folder of its own, as scripts/build-image.sh does for release; its path.
fn static_podsim() -> PathBuf {
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("static-podsim");
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .args(["build", "-p", "podsim", "--bin", "podsim", "--target", STATIC_TARGET])
        .arg("--manifest-path")
        .arg(workspace().join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .env("CARGO_PROFILE_DEV_DEBUG", "0");
    for variable in ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET", "CARGO_ENCODED_RUSTFLAGS", "RUSTC_WRAPPER"] {
        cargo.env_remove(variable);
    }
    let output = cargo.output().expect("cargo runs");
    assert!(output.status.success(), "the static build failed:\n{}", String::from_utf8_lossy(&output.stderr));
    target_dir.join(STATIC_TARGET).join("debug").join("podsim")
}

/// Every scenario of the library: (file name, contents), sorted.
fn scenarios() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(workspace().join("scenarios"))
        .expect("scenarios/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(p).unwrap()))
        .collect()
}

/// The shard's result without its wall time.
fn result_of(file: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut v: serde_json::Value = serde_json::from_str(&text).expect("one JSON value");
    v.as_object_mut().expect("an object").remove("wall_millis").expect("wall_millis");
    v
}

/// Runs the shard in a container of the image, the results folder mounted at /results; its exit code.
async fn run_shard(client: &CriClient, image: &str, results: &Path) -> i32 {
    let mut rt = client.runtime_service();
    let pod =
        PodRef { uid: "uid-explore-0".into(), name: "podsim-explore-0".into(), namespace: "podsim".into() };
    let sandbox = client.sandbox_config(&SandboxConfig { pod, attempt: 0, host_network: true });
    std::fs::create_dir_all(&sandbox.log_directory).expect("the pod's log folder");
    let sandbox_id = rt
        .run_pod_sandbox(cri::RunPodSandboxRequest {
            config: Some(sandbox.clone()),
            runtime_handler: String::new(),
        })
        .await
        .expect("RunPodSandbox")
        .into_inner()
        .pod_sandbox_id;
    let mut args: Vec<String> = SHARD_ARGS.iter().map(|a| a.to_string()).collect();
    args.push("/results/shard-1.json".into());
    let config = cri::ContainerConfig {
        metadata: Some(cri::ContainerMetadata { name: "explore".into(), attempt: 0 }),
        image: Some(cri::ImageSpec { image: image.into(), ..Default::default() }),
        args,
        labels: sandbox.labels.clone(),
        log_path: "explore.log".into(),
        mounts: vec![cri::Mount {
            container_path: "/results".into(),
            host_path: results.to_string_lossy().into_owned(),
            ..Default::default()
        }],
        ..Default::default()
    };
    let create = cri::CreateContainerRequest {
        pod_sandbox_id: sandbox_id,
        config: Some(config),
        sandbox_config: Some(sandbox),
    };
    let container_id = rt.create_container(create).await.expect("CreateContainer").into_inner().container_id;
    rt.start_container(cri::StartContainerRequest { container_id: container_id.clone() })
        .await
        .expect("StartContainer");
    let deadline = Instant::now() + SHARD_LIMIT;
    loop {
        let status = rt
            .container_status(cri::ContainerStatusRequest {
                container_id: container_id.clone(),
                verbose: false,
            })
            .await
            .expect("ContainerStatus")
            .into_inner()
            .status
            .expect("a status");
        if status.state == cri::ContainerState::ContainerExited as i32 {
            return status.exit_code;
        }
        assert!(Instant::now() < deadline, "the shard did not end within {SHARD_LIMIT:?}: {status:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[test]
fn one_shard_runs_in_podsim_s_image_on_containerd() {
    if !containerd_available() {
        return;
    }
    let binary_path = static_podsim();
    let binary = std::fs::read(&binary_path).expect("the static podsim");
    let scenarios = scenarios();
    let reference = default_reference();
    let tar = podsim_image_tar(&PodsimImage { binary: &binary, scenarios: &scenarios }, &reference)
        .expect("the image is made (the binary is static)");

    // The same shard on the host, with the same binary: what the container must write.
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("podsim_image_shard");
    let _ = std::fs::remove_dir_all(&scratch);
    let results = scratch.join("results");
    std::fs::create_dir_all(&results).unwrap();
    let on_host = scratch.join("on-host.json");
    let host = Command::new(&binary_path)
        .args(SHARD_ARGS)
        .arg(&on_host)
        .current_dir(workspace())
        .output()
        .expect("the static podsim runs on the host");
    assert!(host.status.success(), "{}", String::from_utf8_lossy(&host.stderr));

    let run_id = podsim_cri::labels::new_run_id();
    let daemon =
        PrivateContainerd::start(&run_id, podsim_cri::image::PAUSE_IMAGE).expect("a private containerd");
    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio");
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        podsim_cri::image::import_images(daemon.socket(), daemon.dir(), &[])
            .expect("the pause image imports");
        let file = daemon.dir().join("podsim-image.tar");
        std::fs::write(&file, &tar).unwrap();
        podsim_cri::image::ctr_import(daemon.socket(), &file).expect("podsim's image imports");
        let _entered = tokio.enter();
        let run = RunContext {
            run_id: run_id.clone(),
            log_root: daemon.dir().join("logs"),
            cgroup_parent: podsim_cri::run_dir::cgroup_parent(daemon.run_id()),
            clock_origin_unix_nanos: 0,
        };
        let client = CriClient::unix(daemon.socket(), run, ClientOptions::default());
        let exit_code = tokio.block_on(run_shard(&client, &reference, &results));
        let removed =
            tokio.block_on(client.remove_everything()).expect("the sandbox and container are removed");
        (exit_code, removed)
    }));
    let report = daemon.stop().expect("the private containerd stops and its run folder is cleaned");
    let (exit_code, removed) = outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    assert_eq!(removed, (1, 1), "one sandbox and one container were made and removed");
    assert_eq!(report.containerd_stopped, 1, "{report:?}");
    assert_eq!(exit_code, 0, "the shard's runs pass, as on the host");

    let in_container = result_of(&results.join("shard-1.json"));
    assert_eq!(in_container["shard"]["index"], 1);
    assert_eq!(in_container["runs"], 4, "shard 1/3 of 12 pairs");
    assert_eq!(in_container, result_of(&on_host), "the container's shard is the host's");
    std::fs::remove_dir_all(&scratch).unwrap();
}
