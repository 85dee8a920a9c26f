//! OCI image layouts as podsim builds its images, with no registry and no docker: one uncompressed
//! layer, its config and manifest, and an index naming the manifest by reference, packed as an
//! OCI image layout tar that `ctr images import` (or skopeo, `kind load image-archive`, ...) takes.
//!
//! Every timestamp, owner and ordering is fixed, so the same contents give the same digests.
//! Shared by podsim's workload and pause images ([`crate::image`], with the `containerd` feature)
//! and the image of podsim itself ([`crate::podsim_image`], built without it).

use sha2::{Digest, Sha256};

/// The annotation of an index entry that names the image; `ctr images import` takes it as the
/// image's name when it is a full reference.
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";

pub const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";
pub const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";

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

/// How a container of the image starts: the image config's `config` fields.
pub struct RunConfig<'a> {
    /// `Entrypoint`.
    pub entrypoint: &'a [&'a str],
    /// `Cmd`: the arguments when a container gives none.
    pub cmd: &'a [&'a str],
    /// `Env`.
    pub env: &'a [&'a str],
    /// `WorkingDir`.
    pub working_dir: &'a str,
}

/// The OCI layout tar of a linux/amd64 image of one uncompressed `layer` (a tar), started as
/// `run` says: `oci-layout`, `index.json` naming the manifest once per reference (as given: normalise
/// them first), and the blobs (layer, config, manifest).
pub fn layout_tar(layer: Vec<u8>, run: &RunConfig<'_>, references: &[String]) -> Vec<u8> {
    let layer = Blob::new(layer);
    let config = config(&layer, run);
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

/// The image config: linux/amd64, how it starts, and its one layer's diff id (the layer is
/// uncompressed, so its diff id is its digest).
fn config(layer: &Blob, run: &RunConfig<'_>) -> Blob {
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": { "Env": run.env, "Entrypoint": run.entrypoint, "Cmd": run.cmd, "WorkingDir": run.working_dir },
        "rootfs": { "type": "layers", "diff_ids": [layer.digest] },
    });
    Blob::new(config.to_string().into_bytes())
}

/// A blob of the layout: its bytes and their digest (`sha256:HEX`).
struct Blob {
    bytes: Vec<u8>,
    digest: String,
}

impl Blob {
    fn new(bytes: Vec<u8>) -> Blob {
        let digest = sha256_digest(&bytes);
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

/// `sha256:HEX` of `bytes`, as OCI descriptors name blobs.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!("sha256:{}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
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
pub struct TarWriter {
    builder: tar::Builder<Vec<u8>>,
}

impl Default for TarWriter {
    fn default() -> TarWriter {
        TarWriter::new()
    }
}

impl TarWriter {
    pub fn new() -> TarWriter {
        TarWriter { builder: tar::Builder::new(Vec::new()) }
    }

    /// Adds the root folders a container expects (`bin`, `dev`, `etc`, `proc`, `sys`, `tmp`) and a
    /// minimal `/etc/passwd` and `/etc/group` naming root with `shell` as its shell.
    pub fn root_folders(&mut self, shell: &str) {
        for folder in ["bin", "dev", "etc", "proc", "sys"] {
            self.folder(folder, 0o755);
        }
        self.folder("tmp", 0o1777);
        self.file("etc/passwd", format!("root:x:0:0:root:/:{shell}\n").as_bytes(), 0o644);
        self.file("etc/group", b"root:x:0:\n", 0o644);
    }

    pub fn folder(&mut self, path: &str, mode: u32) {
        let header = fixed_header(tar::EntryType::Directory, mode, 0);
        self.append(header, &format!("{path}/"), &[][..]);
    }

    pub fn file(&mut self, path: &str, contents: &[u8], mode: u32) {
        let header = fixed_header(tar::EntryType::Regular, mode, contents.len() as u64);
        self.append(header, path, contents);
    }

    fn append(&mut self, mut header: tar::Header, path: &str, contents: &[u8]) {
        // Writing into a Vec cannot fail; a path too long for ustar would be a bug here.
        self.builder.append_data(&mut header, path, contents).expect("appending to an in-memory tar");
    }

    pub fn finish(self) -> Vec<u8> {
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

/// Reading layouts back, for tests of the images built on this module.
#[cfg(test)]
pub(crate) mod read {
    use std::collections::BTreeMap;
    use std::io::Read;

    /// The entries of a tar: path → (mode, contents). Panics on a malformed tar or an entry not
    /// dated 0.
    pub fn entries(tar_bytes: &[u8]) -> BTreeMap<String, (u32, Vec<u8>)> {
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

    pub fn json(bytes: &[u8]) -> serde_json::Value {
        serde_json::from_slice(bytes).expect("JSON")
    }

    /// The blob a descriptor points to, checked against its digest and size.
    pub fn blob<'a>(
        layout: &'a BTreeMap<String, (u32, Vec<u8>)>,
        descriptor: &serde_json::Value,
    ) -> &'a [u8] {
        let digest = descriptor["digest"].as_str().expect("a digest");
        let (_, bytes) = &layout[&format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"))];
        assert_eq!(super::sha256_digest(bytes), digest, "digest of {digest}");
        assert_eq!(descriptor["size"].as_u64(), Some(bytes.len() as u64), "size of {digest}");
        bytes
    }
}
