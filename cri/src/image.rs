//! podsim's own images, with no registry: the static `workload` binary (at `/bin/workload`) and the
//! static `pause` binary (at `/pause`), each in a one-layer OCI image, packed as an OCI image layout
//! tar in memory and imported into containerd with `ctr images import`.
//!
//! Every timestamp, owner and ordering is fixed, so the same binaries give the same digests (the
//! layout itself: [`crate::oci_layout`]).
//! The workload image runs `workload run` when a container gives no command, as the simulator does.

use std::path::Path;
use std::process::Command;

pub use crate::oci_layout::normalise_reference;
use crate::oci_layout::{layout_tar, RunConfig, TarWriter};

/// The reference of podsim's pause image (the sandbox image of the private containerd).
pub const PAUSE_IMAGE: &str = "podsim.local/pause:1";

/// The static workload binary, built by `build.rs`.
const WORKLOAD_BINARY: &[u8] = include_bytes!(env!("PODSIM_WORKLOAD_BIN"));
/// The static pause binary, built by `build.rs`.
const PAUSE_BINARY: &[u8] = include_bytes!(env!("PODSIM_PAUSE_BIN"));

/// The OCI layout tar of podsim's workload image, under each of these references.
pub fn workload_image_tar(references: &[String]) -> Vec<u8> {
    let references: Vec<String> = references.iter().map(|r| normalise_reference(r)).collect();
    ImageSpec::workload().layout_tar(&references)
}

/// The OCI layout tar of the pause image.
pub fn pause_image_tar() -> Vec<u8> {
    ImageSpec::pause().layout_tar(&[normalise_reference(PAUSE_IMAGE)])
}

/// Imports the pause image and the workload image under each reference into the containerd at
/// `socket` (namespace k8s.io) with `ctr --address SOCK -n k8s.io images import FILE`, writing the
/// tars into `work_dir` first. Errors carry ctr's stderr.
///
/// With no reference (a scenario whose every image is absent from the node) only the pause image is
/// imported: a layout whose index names no image is refused by ctr (`image might be filtered out`).
pub fn import_images(socket: &Path, work_dir: &Path, workload_references: &[String]) -> Result<(), String> {
    std::fs::create_dir_all(work_dir).map_err(|e| format!("creating {}: {e}", work_dir.display()))?;
    let mut images = vec![("pause-image.tar", pause_image_tar())];
    if !workload_references.is_empty() {
        images.push(("workload-image.tar", workload_image_tar(workload_references)));
    }
    for (file_name, tar) in images {
        let file = work_dir.join(file_name);
        std::fs::write(&file, tar).map_err(|e| format!("writing {}: {e}", file.display()))?;
        ctr_import(socket, &file)?;
    }
    Ok(())
}

/// `ctr --address SOCKET -n k8s.io images import FILE`, unpacked into the default snapshotter (an
/// OCI layout tar such as podsim's own image, crate::podsim_image).
pub fn ctr_import(socket: &Path, file: &Path) -> Result<(), String> {
    ctr(socket, &["images".as_ref(), "import".as_ref(), file.as_os_str()]).map(|_| ())
}

/// Labels images podsim added to a containerd that is not its own with the run's label, so that
/// `podsim clean --address` can take them back after the run was killed.
pub fn label_images(socket: &Path, references: &[String], run_id: &str) -> Result<(), String> {
    let label = format!("{}={run_id}", crate::labels::RUN_ID);
    for reference in references {
        let reference = normalise_reference(reference);
        ctr(socket, &["images".as_ref(), "label".as_ref(), reference.as_ref(), label.as_ref()])?;
    }
    Ok(())
}

/// The references of every image carrying podsim's run label (of any run) in the containerd at
/// `socket` (remove them with CRI `RemoveImage`, which also drops the CRI's own digest references).
pub fn labelled_images(socket: &Path) -> Result<Vec<String>, String> {
    let filter = format!("labels.\"{}\"", crate::labels::RUN_ID);
    let listing = ctr(socket, &["images".as_ref(), "ls".as_ref(), "-q".as_ref(), filter.as_ref()])?;
    Ok(listing.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect())
}

/// Runs `ctr --address SOCKET -n k8s.io ARGS...`: its stdout, or an error with its stderr.
fn ctr(socket: &Path, args: &[&std::ffi::OsStr]) -> Result<String, String> {
    let output = Command::new("ctr")
        .arg("--address")
        .arg(socket)
        .args(["-n", crate::labels::CONTAINERD_NAMESPACE])
        .args(args)
        .output()
        .map_err(|e| format!("running ctr: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        let words: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        Err(format!(
            "ctr {} failed ({}): {}",
            words.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// What one of podsim's images holds: its binary, where it lies, and how it starts.
struct ImageSpec {
    /// The binary's path in the image, without the leading slash.
    binary_path: &'static str,
    /// The binary's bytes.
    binary: &'static [u8],
    /// The image config's `Entrypoint`.
    entrypoint: &'static [&'static str],
    /// The image config's `Cmd` (the arguments when a container gives none).
    cmd: &'static [&'static str],
}

impl ImageSpec {
    fn workload() -> ImageSpec {
        ImageSpec {
            binary_path: "bin/workload",
            binary: WORKLOAD_BINARY,
            entrypoint: &["/bin/workload"],
            cmd: &["run"],
        }
    }

    fn pause() -> ImageSpec {
        ImageSpec { binary_path: "pause", binary: PAUSE_BINARY, entrypoint: &["/pause"], cmd: &[] }
    }

    /// The image's only layer: the root folders a container expects, a minimal /etc, and the binary.
    fn layer(&self) -> Vec<u8> {
        let mut layer = TarWriter::new();
        layer.root_folders("/bin/workload");
        layer.file(self.binary_path, self.binary, 0o755);
        layer.finish()
    }

    /// The OCI layout tar of the image under `references` (normalised).
    fn layout_tar(&self, references: &[String]) -> Vec<u8> {
        let run =
            RunConfig { entrypoint: self.entrypoint, cmd: self.cmd, env: &["PATH=/bin"], working_dir: "/" };
        layout_tar(self.layer(), &run, references)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci_layout::read::{blob, entries, json};
    use crate::oci_layout::{MANIFEST_MEDIA_TYPE, REF_NAME_ANNOTATION};

    #[test]
    fn references_are_normalised_docker_style() {
        let cases = [
            ("podsim/workload:1", "docker.io/podsim/workload:1"),
            ("nginx", "docker.io/library/nginx:latest"),
            ("nginx:1.25", "docker.io/library/nginx:1.25"),
            ("docker.io/podsim/workload:1", "docker.io/podsim/workload:1"),
            ("index.docker.io/library/busybox", "docker.io/library/busybox:latest"),
            ("podsim.local/pause:1", "podsim.local/pause:1"),
            ("localhost:5000/app", "localhost:5000/app:latest"),
            ("localhost/app:2", "localhost/app:2"),
            ("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"),
            ("busybox@sha256:abc", "docker.io/library/busybox@sha256:abc"),
        ];
        for (image, reference) in cases {
            assert_eq!(normalise_reference(image), reference, "{image}");
        }
    }

    #[test]
    fn the_workload_layout_is_a_well_formed_oci_image() {
        let references = vec!["podsim/workload:1".to_string(), "docker.io/podsim/workload:2".to_string()];
        let layout = entries(&workload_image_tar(&references));
        assert_eq!(json(&layout["oci-layout"].1)["imageLayoutVersion"], "1.0.0");

        let index = json(&layout["index.json"].1);
        let manifests = index["manifests"].as_array().expect("manifests");
        let names: Vec<&str> = manifests
            .iter()
            .map(|m| m["annotations"][REF_NAME_ANNOTATION].as_str().expect("a name"))
            .collect();
        assert_eq!(names, ["docker.io/podsim/workload:1", "docker.io/podsim/workload:2"]);
        assert_eq!(manifests[0]["digest"], manifests[1]["digest"], "one image under two names");
        assert_eq!(manifests[0]["platform"]["os"], "linux");

        let manifest = json(blob(&layout, &manifests[0]));
        assert_eq!(manifest["mediaType"], MANIFEST_MEDIA_TYPE);
        let config = json(blob(&layout, &manifest["config"]));
        assert_eq!(config["config"]["Entrypoint"], serde_json::json!(["/bin/workload"]));
        assert_eq!(config["config"]["Cmd"], serde_json::json!(["run"]));
        assert_eq!(config["config"]["Env"], serde_json::json!(["PATH=/bin"]));
        assert_eq!((config["os"].as_str(), config["architecture"].as_str()), (Some("linux"), Some("amd64")));

        let layer_descriptor = &manifest["layers"][0];
        assert_eq!(config["rootfs"]["diff_ids"][0], layer_descriptor["digest"], "uncompressed layer");
        let layer = entries(blob(&layout, layer_descriptor));
        let (mode, binary) = &layer["bin/workload"];
        assert_eq!((*mode, binary.as_slice()), (0o755, WORKLOAD_BINARY));
        assert!(binary.starts_with(b"\x7fELF"));
        for folder in ["dev/", "proc/", "sys/", "etc/", "tmp/"] {
            assert!(layer.contains_key(folder), "{folder} missing from the layer");
        }
    }

    #[test]
    fn the_pause_layout_names_the_pause_image() {
        let layout = entries(&pause_image_tar());
        let index = json(&layout["index.json"].1);
        assert_eq!(index["manifests"][0]["annotations"][REF_NAME_ANNOTATION], PAUSE_IMAGE);
        let manifest = json(blob(&layout, &index["manifests"][0]));
        let config = json(blob(&layout, &manifest["config"]));
        assert_eq!(config["config"]["Entrypoint"], serde_json::json!(["/pause"]));
        let layer = entries(blob(&layout, &manifest["layers"][0]));
        assert_eq!(layer["pause"], (0o755, PAUSE_BINARY.to_vec()));
    }

    #[test]
    fn layouts_are_reproducible() {
        let references = vec!["podsim/workload:1".to_string()];
        assert!(workload_image_tar(&references) == workload_image_tar(&references));
        assert!(pause_image_tar() == pause_image_tar());
    }
}
