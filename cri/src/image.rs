//! podsim's own images, with no registry: the static `workload` binary (at `/bin/workload`) and the
//! static `pause` binary (at `/pause`), each in a one-layer OCI image, packed as an OCI image layout
//! tar in memory and imported into containerd with `ctr images import`.
//!
//! Every timestamp, owner and ordering is fixed, so the same binaries give the same digests.
//! The workload image runs `workload run` when a container gives no command, as the simulator does.

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

/// The reference of podsim's pause image (the sandbox image of the private containerd).
pub const PAUSE_IMAGE: &str = "podsim.local/pause:1";

/// The static workload binary, built by `build.rs`.
const WORKLOAD_BINARY: &[u8] = include_bytes!(env!("PODSIM_WORKLOAD_BIN"));
/// The static pause binary, built by `build.rs`.
const PAUSE_BINARY: &[u8] = include_bytes!(env!("PODSIM_PAUSE_BIN"));

/// The annotation of an index entry that names the image; `ctr images import` takes it as the
/// image's name when it is a full reference.
const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";

const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";
const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";

/// The registry a reference without one belongs to, and the repository prefix of its official images.
const DEFAULT_DOMAIN: &str = "docker.io";
const OFFICIAL_REPOSITORY_PREFIX: &str = "library/";
const DEFAULT_TAG: &str = "latest";

/// The reference containerd stores for an image name, docker-style.
///
/// `podsim/workload:1` → `docker.io/podsim/workload:1`, `nginx` → `docker.io/library/nginx:latest`;
/// a name whose first component looks like a host (`podsim.local/pause:1`, `localhost:5000/x`) keeps
/// it; a digest (`name@sha256:…`) is kept and no tag is added.
pub fn normalise_reference(image: &str) -> String {
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (image, None),
    };
    let (domain, remainder) = match name.split_once('/') {
        Some((first, rest)) if looks_like_a_host(first) => (first, rest.to_string()),
        _ => (DEFAULT_DOMAIN, name.to_string()),
    };
    let domain = if domain == "index.docker.io" { DEFAULT_DOMAIN } else { domain };
    let remainder = if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        format!("{OFFICIAL_REPOSITORY_PREFIX}{remainder}")
    } else {
        remainder
    };
    let has_tag = remainder.rsplit('/').next().is_some_and(|last| last.contains(':'));
    match digest {
        Some(digest) => format!("{domain}/{remainder}@{digest}"),
        None if has_tag => format!("{domain}/{remainder}"),
        None => format!("{domain}/{remainder}:{DEFAULT_TAG}"),
    }
}

/// Whether the first component of an image name is a registry host rather than a repository path:
/// it has a dot or a port, or is `localhost` (docker's rule).
fn looks_like_a_host(component: &str) -> bool {
    component.contains('.') || component.contains(':') || component == "localhost"
}

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

/// `ctr --address SOCKET -n k8s.io images import FILE`, unpacked into the default snapshotter.
fn ctr_import(socket: &Path, file: &Path) -> Result<(), String> {
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

/// A blob of the layout: its bytes and their digest (`sha256:HEX`).
struct Blob {
    bytes: Vec<u8>,
    digest: String,
}

impl Blob {
    fn new(bytes: Vec<u8>) -> Blob {
        let digest = format!("sha256:{}", hex(&Sha256::digest(&bytes)));
        Blob { bytes, digest }
    }

    /// The blob's OCI descriptor.
    fn descriptor(&self, media_type: &str) -> serde_json::Value {
        serde_json::json!({ "mediaType": media_type, "digest": self.digest, "size": self.bytes.len() })
    }

    /// Its path in the layout: `blobs/sha256/HEX`.
    fn layout_path(&self) -> String {
        format!("blobs/{}", self.digest.replacen(':', "/", 1))
    }
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
    fn layer(&self) -> Blob {
        let mut layer = TarWriter::new();
        for folder in ["bin", "dev", "etc", "proc", "sys"] {
            layer.folder(folder, 0o755);
        }
        layer.folder("tmp", 0o1777);
        layer.file("etc/passwd", b"root:x:0:0:root:/:/bin/workload\n", 0o644);
        layer.file("etc/group", b"root:x:0:\n", 0o644);
        layer.file(self.binary_path, self.binary, 0o755);
        Blob::new(layer.finish())
    }

    /// The image config: linux/amd64, how it starts, and its one layer's diff id (the layer is
    /// uncompressed, so its diff id is its digest).
    fn config(&self, layer: &Blob) -> Blob {
        let config = serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "created": "1970-01-01T00:00:00Z",
            "config": { "Env": ["PATH=/bin"], "Entrypoint": self.entrypoint, "Cmd": self.cmd, "WorkingDir": "/" },
            "rootfs": { "type": "layers", "diff_ids": [layer.digest] },
        });
        Blob::new(config.to_string().into_bytes())
    }

    /// The OCI layout tar: `oci-layout`, `index.json` naming the manifest once per reference, and the
    /// blobs (layer, config, manifest).
    fn layout_tar(&self, references: &[String]) -> Vec<u8> {
        let layer = self.layer();
        let config = self.config(&layer);
        let manifest = Blob::new(
            serde_json::json!({
                "schemaVersion": 2,
                "mediaType": MANIFEST_MEDIA_TYPE,
                "config": config.descriptor(CONFIG_MEDIA_TYPE),
                "layers": [layer.descriptor(LAYER_MEDIA_TYPE)],
            })
            .to_string()
            .into_bytes(),
        );
        let mut layout = TarWriter::new();
        layout.file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#, 0o644);
        layout.file("index.json", index_json(&manifest, references).as_bytes(), 0o644);
        layout.folder("blobs", 0o755);
        layout.folder("blobs/sha256", 0o755);
        for blob in [&layer, &config, &manifest] {
            layout.file(&blob.layout_path(), &blob.bytes, 0o644);
        }
        layout.finish()
    }
}

/// The layout's index: the manifest once per reference, each for linux/amd64 and named by the
/// `org.opencontainers.image.ref.name` annotation.
fn index_json(manifest: &Blob, references: &[String]) -> String {
    let manifests: Vec<serde_json::Value> = references
        .iter()
        .map(|reference| {
            let mut entry = manifest.descriptor(MANIFEST_MEDIA_TYPE);
            entry["platform"] = serde_json::json!({ "architecture": "amd64", "os": "linux" });
            entry["annotations"] = serde_json::json!({ REF_NAME_ANNOTATION: reference });
            entry
        })
        .collect();
    serde_json::json!({ "schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE, "manifests": manifests })
        .to_string()
}

/// A tar archive in memory, with fixed owner (root) and time (0) so its bytes depend only on what
/// is added.
struct TarWriter {
    builder: tar::Builder<Vec<u8>>,
}

impl TarWriter {
    fn new() -> TarWriter {
        TarWriter { builder: tar::Builder::new(Vec::new()) }
    }

    fn folder(&mut self, path: &str, mode: u32) {
        let header = fixed_header(tar::EntryType::Directory, mode, 0);
        self.append(header, &format!("{path}/"), &[][..]);
    }

    fn file(&mut self, path: &str, contents: &[u8], mode: u32) {
        let header = fixed_header(tar::EntryType::Regular, mode, contents.len() as u64);
        self.append(header, path, contents);
    }

    fn append(&mut self, mut header: tar::Header, path: &str, contents: &[u8]) {
        // Writing into a Vec cannot fail; a path too long for ustar would be a bug here.
        self.builder.append_data(&mut header, path, contents).expect("appending to an in-memory tar");
    }

    fn finish(self) -> Vec<u8> {
        self.builder.into_inner().expect("finishing an in-memory tar")
    }
}

/// A ustar header owned by root, dated 0, for an entry of `size` bytes.
fn fixed_header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::Read;

    use super::*;

    /// The entries of a tar: path → (mode, contents).
    fn entries(tar_bytes: &[u8]) -> BTreeMap<String, (u32, Vec<u8>)> {
        let mut archive = tar::Archive::new(tar_bytes);
        let mut entries = BTreeMap::new();
        for entry in archive.entries().expect("a tar") {
            let mut entry = entry.expect("a well-formed entry");
            let path = entry.path().expect("a path").to_string_lossy().into_owned();
            let mode = entry.header().mode().expect("a mode");
            assert_eq!(entry.header().mtime().expect("a time"), 0, "{path} is not dated 0");
            let mut contents = Vec::new();
            entry.read_to_end(&mut contents).expect("contents");
            entries.insert(path, (mode, contents));
        }
        entries
    }

    fn json(bytes: &[u8]) -> serde_json::Value {
        serde_json::from_slice(bytes).expect("JSON")
    }

    /// The blob a descriptor points to, checked against its digest and size.
    fn blob<'a>(layout: &'a BTreeMap<String, (u32, Vec<u8>)>, descriptor: &serde_json::Value) -> &'a [u8] {
        let digest = descriptor["digest"].as_str().expect("a digest");
        let (_, bytes) = &layout[&format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"))];
        assert_eq!(format!("sha256:{}", hex(&Sha256::digest(bytes))), digest, "digest of {digest}");
        assert_eq!(descriptor["size"].as_u64(), Some(bytes.len() as u64), "size of {digest}");
        bytes
    }

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
