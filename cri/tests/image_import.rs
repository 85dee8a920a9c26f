//! podsim's images import into a real containerd and run: podsim's private containerd, `ctr images
//! import` of the pause and workload images, `ctr images ls`, CRI `ImageStatus`, and `ctr run` of
//! `workload exit-after`.
//!
//! Skipped (with a message) when `containerd` is not on PATH, unless `PODSIM_REQUIRE_CONTAINERD=1`.
#![cfg(feature = "containerd")]

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use podsim_cri::daemon::PrivateContainerd;
use podsim_cri::image::{import_images, normalise_reference, PAUSE_IMAGE};

/// How long the CRI plugin's image cache may take to see an imported image.
const IMAGE_PATIENCE: Duration = Duration::from_secs(20);

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
        let channel = podsim_cri::client::unix_channel(socket);
        let mut images = ImageServiceClient::new(channel);
        let deadline = Instant::now() + IMAGE_PATIENCE;
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

/// `ctr --address SOCKET -n k8s.io ARGS...`.
fn ctr(socket: &Path, args: &[&str]) -> Output {
    Command::new("ctr")
        .arg("--address")
        .arg(socket)
        .args(["-n", "k8s.io"])
        .args(args)
        .output()
        .expect("ctr runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn podsim_images_import_and_the_workload_runs() {
    if !containerd_available() {
        return;
    }
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("image_import");
    let _ = std::fs::remove_dir_all(&root);
    let run_id = format!("import{}", std::process::id());
    let containerd =
        PrivateContainerd::start_in(&root, &run_id, PAUSE_IMAGE).expect("a private containerd starts");
    let socket = containerd.socket().to_path_buf();
    let references = vec!["podsim/workload:1".to_string(), "podsim/workload:2".to_string()];
    import_images(&socket, &containerd.dir().join("images"), &references).expect("import");

    let listed = ctr(&socket, &["images", "ls", "-q"]);
    assert!(listed.status.success(), "ctr images ls: {}", String::from_utf8_lossy(&listed.stderr));
    let names: Vec<String> = stdout(&listed).lines().map(str::to_string).collect();
    for expected in ["docker.io/podsim/workload:1", "docker.io/podsim/workload:2", "podsim.local/pause:1"] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
    }
    for (image, tag) in [("podsim/workload:1", "docker.io/podsim/workload:1"), (PAUSE_IMAGE, PAUSE_IMAGE)] {
        let tags = cri_repo_tags(&socket, image);
        assert!(tags.iter().any(|t| t == tag), "CRI ImageStatus({image}) has tags {tags:?}, not {tag}");
        assert_eq!(normalise_reference(image), tag);
    }

    // Under the run's runc root and cgroup parent, so that stopping the run cleans up after it.
    let runc_root = containerd.dir().join("runc").join("ctr");
    let cgroup = format!("{}/workload", podsim_cri::run_dir::cgroup_parent(&run_id));
    let ran = ctr(
        &socket,
        &[
            "run",
            "--rm",
            "--runc-root",
            &runc_root.to_string_lossy(),
            "--cgroup",
            &cgroup,
            "docker.io/podsim/workload:1",
            "podsim-image-import",
            "/bin/workload",
            "exit-after",
            "100ms",
            "3",
        ],
    );
    assert_eq!(ran.status.code(), Some(3), "ctr run: {}", String::from_utf8_lossy(&ran.stderr));
    containerd.stop().expect("the private containerd stops");
    assert_eq!(podsim_cri::clean::leftovers_in(&root, &run_id), Vec::<String>::new(), "nothing is left");
}

/// A scenario whose every image is absent from the node (imagePullPolicy Never, not preloaded)
/// imports the pause image alone: an OCI layout naming no image made `ctr images import` fail with
/// `image might be filtered out` (issue 12).
#[test]
fn with_no_workload_reference_only_the_pause_image_is_imported() {
    if !containerd_available() {
        return;
    }
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("image_import_none");
    let _ = std::fs::remove_dir_all(&root);
    let run_id = format!("importnone{}", std::process::id());
    let containerd =
        PrivateContainerd::start_in(&root, &run_id, PAUSE_IMAGE).expect("a private containerd starts");
    let socket = containerd.socket().to_path_buf();
    let imported = import_images(&socket, &containerd.dir().join("images"), &[]);
    let listed = ctr(&socket, &["images", "ls", "-q"]);
    containerd.stop().expect("the private containerd stops");
    imported.expect("importing no workload reference succeeds");
    assert!(listed.status.success(), "ctr images ls: {}", String::from_utf8_lossy(&listed.stderr));
    // The CRI plugin adds a digest reference (`sha256:...`) to each image it sees.
    let names: Vec<String> =
        stdout(&listed).lines().filter(|n| !n.starts_with("sha256:")).map(str::to_string).collect();
    assert_eq!(names, [PAUSE_IMAGE], "only the pause image");
    assert_eq!(podsim_cri::clean::leftovers_in(&root, &run_id), Vec::<String>::new(), "nothing is left");
}
