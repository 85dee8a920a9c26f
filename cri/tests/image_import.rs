//! podsim's images import into a real containerd and run: a throwaway containerd in a temp folder,
//! `ctr images import` of the pause and workload images, `ctr images ls`, and `ctr run` of
//! `workload exit-after`.
//!
//! Skipped (with a message) when `containerd` is not on PATH, unless `PODSIM_REQUIRE_CONTAINERD=1`.
#![cfg(feature = "containerd")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use podsim_cri::image::{import_images, normalise_reference, PAUSE_IMAGE};

/// How long the socket may take to appear (it answers within ~0.2 s on these machines).
const SOCKET_PATIENCE: Duration = Duration::from_secs(20);
/// How long containerd may take to exit after SIGTERM before it gets SIGKILL.
const STOP_PATIENCE: Duration = Duration::from_secs(10);

/// A containerd of this test alone: its own config, root, state and socket in a temp folder. Dropping
/// it stops the daemon (SIGTERM, then SIGKILL) and removes the folder.
struct ThrowawayContainerd {
    dir: PathBuf,
    daemon: Child,
}

impl ThrowawayContainerd {
    fn start() -> ThrowawayContainerd {
        let dir = std::env::temp_dir().join(format!("podsim-image-import-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp folder");
        let config = dir.join("config.toml");
        std::fs::write(&config, config_toml(&dir)).expect("config");
        let log = std::fs::File::create(dir.join("containerd.log")).expect("log file");
        let daemon = Command::new("setsid")
            .arg("containerd")
            .arg("--config")
            .arg(&config)
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("setsid containerd starts");
        let containerd = ThrowawayContainerd { dir, daemon };
        containerd.wait_for_socket();
        containerd
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("containerd.sock")
    }

    fn wait_for_socket(&self) {
        let deadline = Instant::now() + SOCKET_PATIENCE;
        while std::os::unix::net::UnixStream::connect(self.socket()).is_err() {
            assert!(Instant::now() < deadline, "containerd's socket did not answer:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("containerd.log")).unwrap_or_default()
    }

    /// `ctr --address SOCKET -n k8s.io ARGS...`.
    fn ctr(&self, args: &[&str]) -> Output {
        Command::new("ctr")
            .arg("--address")
            .arg(self.socket())
            .args(["-n", "k8s.io"])
            .args(args)
            .output()
            .expect("ctr runs")
    }
}

impl Drop for ThrowawayContainerd {
    fn drop(&mut self) {
        // setsid execs containerd in place, so the child's pid is containerd's.
        let pid = self.daemon.id() as libc::pid_t;
        // SAFETY: kill only signals our own child, which has not been reaped yet.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + STOP_PATIENCE;
        while self.daemon.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                let _ = self.daemon.kill();
                let _ = self.daemon.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        unmount_everything_under(&self.dir);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Unmounts what containerd left mounted under `dir` (snapshot and shm mounts), deepest first.
fn unmount_everything_under(dir: &Path) {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let prefix = dir.to_string_lossy().to_string();
    let mut mount_points: Vec<&str> =
        mounts.lines().filter_map(|l| l.split(' ').nth(1)).filter(|m| m.starts_with(&prefix)).collect();
    mount_points.sort_by_key(|m| std::cmp::Reverse(m.len()));
    for mount_point in mount_points {
        let _ = Command::new("umount").arg("-l").arg(mount_point).status();
    }
}

/// Config version 2 with everything under `dir`; `restrict_oom_score_adj` because the machine lacks
/// CAP_SYS_RESOURCE, podsim's pause image as the sandbox image, the cgroupfs driver.
fn config_toml(dir: &Path) -> String {
    let dir = dir.display();
    format!(
        r#"version = 2
root = "{dir}/root"
state = "{dir}/state"

[grpc]
  address = "{dir}/containerd.sock"

[ttrpc]
  address = "{dir}/containerd.sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  restrict_oom_score_adj = true
  sandbox_image = "{PAUSE_IMAGE}"
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = false
  Root = "{dir}/runc"

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "{dir}/cni/bin"
  conf_dir = "{dir}/cni/conf"
"#
    )
}

/// Whether a program is on PATH.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// False (after saying why) when containerd or ctr is missing and the test is allowed to skip.
fn containerd_available() -> bool {
    if on_path("containerd") && on_path("ctr") {
        return true;
    }
    let required = std::env::var("PODSIM_REQUIRE_CONTAINERD").is_ok_and(|v| v == "1");
    assert!(!required, "PODSIM_REQUIRE_CONTAINERD=1 but containerd or ctr is not on PATH");
    eprintln!("skipped: containerd or ctr is not on PATH (set PODSIM_REQUIRE_CONTAINERD=1 to fail instead)");
    false
}

/// The repo tags that the CRI's `ImageStatus` reports for `image` (as the kubelet names it), waiting
/// briefly for the CRI plugin's image cache, which follows containerd's image events.
fn cri_repo_tags(socket: &Path, image: &str) -> Vec<String> {
    use k8s_cri::v1::image_service_client::ImageServiceClient;
    use k8s_cri::v1::{ImageSpec, ImageStatusRequest};

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let socket = socket.to_path_buf();
        let channel = tonic::transport::Endpoint::try_from("http://[::]")
            .expect("endpoint")
            .connect_with_connector(tower::service_fn(move |_: tonic::transport::Uri| {
                let socket = socket.clone();
                async move {
                    let stream = tokio::net::UnixStream::connect(socket).await?;
                    Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
                }
            }))
            .await
            .expect("CRI connection");
        let mut images = ImageServiceClient::new(channel);
        let deadline = Instant::now() + SOCKET_PATIENCE;
        loop {
            let request = ImageStatusRequest {
                image: Some(ImageSpec { image: image.to_string(), ..Default::default() }),
                verbose: false,
            };
            let status = images.image_status(request).await.expect("ImageStatus").into_inner();
            if let Some(found) = status.image {
                return found.repo_tags;
            }
            assert!(Instant::now() < deadline, "CRI ImageStatus never found {image}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn podsim_images_import_and_the_workload_runs() {
    if !containerd_available() {
        return;
    }
    let containerd = ThrowawayContainerd::start();
    let references = vec!["podsim/workload:1".to_string(), "podsim/workload:2".to_string()];
    import_images(&containerd.socket(), &containerd.dir.join("images"), &references).expect("import");

    let listed = containerd.ctr(&["images", "ls", "-q"]);
    assert!(listed.status.success(), "ctr images ls: {}", String::from_utf8_lossy(&listed.stderr));
    let names: Vec<String> = stdout(&listed).lines().map(str::to_string).collect();
    for expected in ["docker.io/podsim/workload:1", "docker.io/podsim/workload:2", "podsim.local/pause:1"] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
    }
    for (image, tag) in [("podsim/workload:1", "docker.io/podsim/workload:1"), (PAUSE_IMAGE, PAUSE_IMAGE)] {
        let tags = cri_repo_tags(&containerd.socket(), image);
        assert!(tags.iter().any(|t| t == tag), "CRI ImageStatus({image}) has tags {tags:?}, not {tag}");
        assert_eq!(normalise_reference(image), tag);
    }

    let container_id = format!("podsim-image-import-{}", std::process::id());
    let runc_root = containerd.dir.join("runc-ctr");
    let ran = containerd.ctr(&[
        "run",
        "--rm",
        "--runc-root",
        &runc_root.to_string_lossy(),
        "docker.io/podsim/workload:1",
        &container_id,
        "/bin/workload",
        "exit-after",
        "100ms",
        "3",
    ]);
    assert_eq!(
        ran.status.code(),
        Some(3),
        "ctr run: {}\n{}",
        String::from_utf8_lossy(&ran.stderr),
        containerd.log()
    );
}
