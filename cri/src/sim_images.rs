//! The simulated containerd's images as its CRI plugin shows them: references normalised as
//! containerd normalises them, and what each image carries beyond its presence (id, size, repo tags
//! and digests, the user of its config), all derived from its name so that a run is reproducible.
//!
//! The simulator keeps its image store by name ([`podsim_sim::containerd::Containerd::has_image`]);
//! this module groups the names on the node into images as containerd does: names of the same
//! content are one image with several tags (containerd's image store keys images by config digest),
//! and a reference (a tag, a repo digest or an image id) resolves to that image.
//!
//! Mirrors containerd 1.6 `pkg/cri/server`: `toCRIImage` (image_list.go), `localResolve`
//! (helpers.go), `getUserFromImage` (image_status.go) and `reference/docker.ParseDockerRef`.

use std::collections::BTreeMap;

use k8s_cri::v1 as cri;
use sha2::{Digest, Sha256};

/// The default test image of critest v1.26.1 (its `--test-images-file` default).
pub const CRITEST_BUSYBOX: &str = "registry.k8s.io/e2e-test-images/busybox:1.29-2";

/// Every image critest v1.26.1 pulls (cri-tools pkg/validate/consts.go and pkg/framework), so that a
/// simulated node can serve its whole suite without a registry.
pub const CRITEST_IMAGES: &[&str] = &[
    CRITEST_BUSYBOX,
    "registry.k8s.io/e2e-test-images/nginx:1.14-2",
    "registry.k8s.io/e2e-test-images/httpd:2.4.39-4",
    "registry.k8s.io/e2e-test-images/nonewprivs:1.3",
    "gcr.io/k8s-staging-cri-tools/hostnet-nginx-amd64:latest",
    "gcr.io/k8s-staging-cri-tools/test-image-1:latest",
    "gcr.io/k8s-staging-cri-tools/test-image-2:latest",
    "gcr.io/k8s-staging-cri-tools/test-image-3:latest",
    "gcr.io/k8s-staging-cri-tools/test-image-tags:1",
    "gcr.io/k8s-staging-cri-tools/test-image-tags:2",
    "gcr.io/k8s-staging-cri-tools/test-image-tags:3",
    "gcr.io/k8s-staging-cri-tools/test-image-tag:test",
    "gcr.io/k8s-staging-cri-tools/test-image-tag:all",
    "gcr.io/k8s-staging-cri-tools/test-image-latest:latest",
    "gcr.io/k8s-staging-cri-tools/test-image-digest@sha256:9700f9a2f5bf2c45f2f605a0bd3bce7cf37420ec9d3ed50ac2758413308766bf",
    "gcr.io/k8s-staging-cri-tools/test-image-user-uid:latest",
    "gcr.io/k8s-staging-cri-tools/test-image-user-username:latest",
    "gcr.io/k8s-staging-cri-tools/test-image-user-uid-group:latest",
    "gcr.io/k8s-staging-cri-tools/test-image-user-username-group:latest",
    "gcr.io/k8s-staging-cri-tools/test-image-predefined-group:latest",
    "public.ecr.aws/docker/library/busybox:1-musl",
    "public.ecr.aws/docker/library/busybox:1-uclibc",
];

/// Names that are one image (one content) under several tags: critest's
/// `testDifferentTagSameImageList`.
const SAME_CONTENT: &[(&str, &str)] = &[
    ("gcr.io/k8s-staging-cri-tools/test-image-tags:1", "test-image-tags"),
    ("gcr.io/k8s-staging-cri-tools/test-image-tags:2", "test-image-tags"),
    ("gcr.io/k8s-staging-cri-tools/test-image-tags:3", "test-image-tags"),
];

/// The `USER` of images' configs (critest's test-image-user-* family, consts.go).
const IMAGE_USERS: &[(&str, &str)] = &[
    ("gcr.io/k8s-staging-cri-tools/test-image-user-uid:latest", "1002"),
    ("gcr.io/k8s-staging-cri-tools/test-image-user-username:latest", "www-data"),
    ("gcr.io/k8s-staging-cri-tools/test-image-user-uid-group:latest", "1003:1003"),
    ("gcr.io/k8s-staging-cri-tools/test-image-user-username-group:latest", "www-data:www-data"),
    ("gcr.io/k8s-staging-cri-tools/test-image-predefined-group:latest", "1000"),
];

/// Where containerd 1.6's image filesystem is (the overlayfs snapshotter's root), as `ImageFsInfo`
/// reports it.
pub const IMAGE_FS_MOUNTPOINT: &str = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs";

/// The smallest and the span of the simulated image sizes, in bytes.
const MIN_IMAGE_SIZE: u64 = 700 * 1024;
const IMAGE_SIZE_SPAN: u64 = 4 * 1024 * 1024;
/// Simulated inodes per MiB of an unpacked image (for `ImageFsInfo`).
const INODES_PER_MIB: u64 = 40;

/// The default registry and repository prefix of a docker reference without one.
const DEFAULT_DOMAIN: &str = "docker.io";
const OFFICIAL_REPO_PREFIX: &str = "library/";
const DEFAULT_TAG: &str = "latest";
/// The longest reference podsim reads (docker's limit on a name is 255 characters).
const MAX_REFERENCE_LEN: usize = 4096;

/// A reference normalised as containerd's `ParseDockerRef` does: a domain (`docker.io` when none),
/// `library/` for a one-component docker.io repository, and `:latest` when it has neither tag nor
/// digest; a reference with both keeps only the digest. An empty or upper-case repository, or an
/// over-long reference, is an error.
pub fn normalize(reference: &str) -> Result<String, String> {
    if reference.is_empty() || reference.len() > MAX_REFERENCE_LEN {
        return Err(format!("invalid reference format: {reference:?}"));
    }
    let (name, digest) = match reference.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (reference, None),
    };
    let (repository, tag) = split_tag(name);
    if repository.is_empty() || repository.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!("invalid reference format: repository name must be lowercase: {reference:?}"));
    }
    let repository = with_domain(repository);
    Ok(match (digest, tag) {
        (Some(digest), _) => format!("{repository}@{digest}"),
        (None, Some(tag)) => format!("{repository}:{tag}"),
        (None, None) => format!("{repository}:{DEFAULT_TAG}"),
    })
}

/// A name's repository and tag: the tag follows the last `:` after the last `/`.
fn split_tag(name: &str) -> (&str, Option<&str>) {
    let last_component = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_component..].rfind(':') {
        Some(i) => (&name[..last_component + i], Some(&name[last_component + i + 1..])),
        None => (name, None),
    }
}

/// The repository with its domain: the first component is a domain if it has a `.` or a `:` or is
/// `localhost` (docker's `splitDockerDomain`).
fn with_domain(repository: &str) -> String {
    let has_domain = repository
        .split_once('/')
        .is_some_and(|(first, _)| first.contains('.') || first.contains(':') || first == "localhost");
    match (has_domain, repository.contains('/')) {
        (true, _) => repository.to_string(),
        (false, true) => format!("{DEFAULT_DOMAIN}/{repository}"),
        (false, false) => format!("{DEFAULT_DOMAIN}/{OFFICIAL_REPO_PREFIX}{repository}"),
    }
}

/// The repository of a normalised name (without tag or digest).
pub fn repository(name: &str) -> &str {
    let name = name.split_once('@').map_or(name, |(name, _)| name);
    split_tag(name).0
}

/// Whether a normalised name is a digest reference (`repo@sha256:...`).
fn is_digest_reference(name: &str) -> bool {
    name.contains('@')
}

/// What an image carries beyond its presence, derived from its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageFacts {
    /// Its id: the digest of its config (`sha256:` and 64 hex digits).
    pub id: String,
    /// The digest of its manifest, what its repo digests name.
    pub manifest_digest: String,
    /// Its size in bytes.
    pub size: u64,
    /// The `USER` of its config ("" when it names none).
    pub user: String,
}

/// The facts of the image a normalised name names: names of the same content share them; a digest
/// reference's manifest digest is its own.
pub fn facts(name: &str) -> ImageFacts {
    let content = SAME_CONTENT.iter().find(|(n, _)| *n == name).map_or(name, |(_, content)| content);
    let id = sha256_hex(&format!("podsim image config {content}"));
    let manifest_digest = match name.split_once('@') {
        Some((_, digest)) => digest.to_string(),
        None => format!("sha256:{}", sha256_hex(&format!("podsim image manifest {content}"))),
    };
    let size_seed = u64::from_str_radix(&id[..12], 16).unwrap_or(0);
    let user = IMAGE_USERS.iter().find(|(n, _)| *n == name).map_or("", |(_, user)| user);
    ImageFacts {
        id: format!("sha256:{id}"),
        manifest_digest,
        size: MIN_IMAGE_SIZE + size_seed % IMAGE_SIZE_SPAN,
        user: user.to_string(),
    }
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The uid and username of an image's `USER`, as containerd reads them (`getUserFromImage`): none
/// for no user; the part before `:` is a uid if numeric, else a username.
pub fn user_of(user: &str) -> (Option<i64>, String) {
    if user.is_empty() {
        return (None, String::new());
    }
    let user = user.split(':').next().unwrap_or_default();
    match user.parse::<i64>() {
        Ok(uid) => (Some(uid), String::new()),
        Err(_) => (None, user.to_string()),
    }
}

/// The images on the node, grouped by id: each with the names it is known by.
pub struct ImageStore {
    by_id: BTreeMap<String, Vec<String>>,
}

impl ImageStore {
    /// The store of these names (the node's, in any order).
    pub fn of<'a>(names: impl IntoIterator<Item = &'a str>) -> ImageStore {
        let mut by_id: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for name in names {
            by_id.entry(facts(name).id).or_default().push(name.to_string());
        }
        for names in by_id.values_mut() {
            names.sort();
            names.dedup();
        }
        ImageStore { by_id }
    }

    /// The id of the image a reference names, as containerd's `localResolve` finds it: a digest is
    /// an image id; otherwise the normalised reference (a tag, or a repo digest of any of the
    /// image's repositories); failing that, the reference as an id or a unique prefix of one (with
    /// or without `sha256:`).
    pub fn resolve(&self, reference: &str) -> Option<&str> {
        if let Ok(name) = normalize(reference) {
            if let Some(id) = self.by_reference(&name) {
                return Some(id);
            }
        }
        self.by_id_prefix(reference)
    }

    fn by_reference(&self, name: &str) -> Option<&str> {
        self.by_id.iter().find_map(|(id, names)| {
            let named = names.iter().any(|n| n == name) || repo_digests(names).iter().any(|d| d == name);
            named.then_some(id.as_str())
        })
    }

    fn by_id_prefix(&self, reference: &str) -> Option<&str> {
        let hex = reference.strip_prefix("sha256:").unwrap_or(reference);
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut matching = self.by_id.keys().filter(|id| id["sha256:".len()..].starts_with(hex));
        match (matching.next(), matching.next()) {
            (Some(id), None) => Some(id.as_str()),
            _ => None,
        }
    }

    /// The names of an image.
    pub fn names(&self, id: &str) -> &[String] {
        self.by_id.get(id).map_or(&[], Vec::as_slice)
    }

    /// Every image as `ListImages` shows it, by id.
    pub fn cri_images(&self) -> Vec<cri::Image> {
        self.by_id.values().map(|names| cri_image_of(names)).collect()
    }

    /// One image as `ImageStatus` shows it.
    pub fn cri_image(&self, id: &str) -> Option<cri::Image> {
        self.by_id.get(id).map(|names| cri_image_of(names))
    }

    /// `ImageFsInfo`'s usage: the images' sizes, and inodes in proportion.
    pub fn usage(&self) -> (u64, u64) {
        let bytes: u64 = self.by_id.values().filter_map(|names| names.first()).map(|n| facts(n).size).sum();
        (bytes, bytes / (1024 * 1024) * INODES_PER_MIB + self.by_id.len() as u64)
    }
}

/// The repo digests of an image's names: `repository@manifest-digest`, one per repository.
fn repo_digests(names: &[String]) -> Vec<String> {
    let mut digests: Vec<String> =
        names.iter().map(|n| format!("{}@{}", repository(n), facts(n).manifest_digest)).collect();
    digests.sort();
    digests.dedup();
    digests
}

/// An image as containerd's `toCRIImage` shows it: id, tags (its names that are no digest
/// reference), repo digests, size, and the user of its config.
fn cri_image_of(names: &[String]) -> cri::Image {
    let first = names.first().map(String::as_str).unwrap_or_default();
    let facts = facts(first);
    let (uid, username) = user_of(&facts.user);
    cri::Image {
        id: facts.id,
        repo_tags: names.iter().filter(|n| !is_digest_reference(n)).cloned().collect(),
        repo_digests: repo_digests(names),
        size: facts.size,
        uid: uid.map(|value| cri::Int64Value { value }),
        username,
        spec: None,
        pinned: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:9700f9a2f5bf2c45f2f605a0bd3bce7cf37420ec9d3ed50ac2758413308766bf";

    /// containerd's (docker's) normalisation, reference by reference.
    #[test]
    fn references_normalise_as_containerd_parses_docker_refs() {
        for (reference, normalised) in [
            ("busybox", "docker.io/library/busybox:latest"),
            ("busybox:1.36", "docker.io/library/busybox:1.36"),
            ("library/busybox", "docker.io/library/busybox:latest"),
            ("kubernetes/pause", "docker.io/kubernetes/pause:latest"),
            ("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"),
            ("localhost/app", "localhost/app:latest"),
            ("localhost:5000/app:v1", "localhost:5000/app:v1"),
            ("gcr.io/x/test-image-latest", "gcr.io/x/test-image-latest:latest"),
            (&format!("gcr.io/x/d@{DIGEST}"), &format!("gcr.io/x/d@{DIGEST}")),
            (&format!("gcr.io/x/d:tag@{DIGEST}"), &format!("gcr.io/x/d@{DIGEST}")),
        ] {
            assert_eq!(normalize(reference).as_deref(), Ok(normalised), "{reference}");
        }
        for bad in ["", "Busybox", "docker.io/Library/x:1"] {
            assert!(normalize(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn critest_images_are_normalised_names() {
        for image in CRITEST_IMAGES {
            assert_eq!(normalize(image).as_deref(), Ok(*image));
        }
    }

    /// containerd's `getUserFromImage`, case by case.
    #[test]
    fn users_read_as_uid_or_username() {
        assert_eq!(user_of(""), (None, String::new()));
        assert_eq!(user_of("1002"), (Some(1002), String::new()));
        assert_eq!(user_of("1003:1003"), (Some(1003), String::new()));
        assert_eq!(user_of("www-data"), (None, "www-data".to_string()));
        assert_eq!(user_of("www-data:www-data"), (None, "www-data".to_string()));
    }

    #[test]
    fn facts_are_stable_and_shared_by_names_of_one_content() {
        let tags: Vec<ImageFacts> =
            (1..=3).map(|i| facts(&format!("gcr.io/k8s-staging-cri-tools/test-image-tags:{i}"))).collect();
        assert!(tags.iter().all(|f| *f == tags[0]));
        let others: Vec<String> = (1..=3)
            .map(|i| facts(&format!("gcr.io/k8s-staging-cri-tools/test-image-{i}:latest")).id)
            .collect();
        assert!(others[0] != others[1] && others[1] != others[2] && others[0] != tags[0].id);
        assert_eq!(facts(CRITEST_BUSYBOX), facts(CRITEST_BUSYBOX));
        let id = facts(CRITEST_BUSYBOX).id;
        assert!(id.starts_with("sha256:") && id.len() == 71);
        assert!(facts(CRITEST_BUSYBOX).size >= MIN_IMAGE_SIZE);
    }

    /// critest's "image status should support all kinds of references": the id, every tag and every
    /// repo digest resolve to the same image.
    #[test]
    fn an_image_resolves_by_tag_id_id_prefix_and_repo_digest() {
        let names = [
            "gcr.io/k8s-staging-cri-tools/test-image-tags:1",
            "gcr.io/k8s-staging-cri-tools/test-image-tags:2",
        ];
        let store = ImageStore::of(names);
        let id = facts(names[0]).id;
        let image = store.cri_image(&id).unwrap();
        assert_eq!(image.repo_tags, names);
        assert_eq!(image.repo_digests.len(), 1, "one repository");
        let mut references = vec![id.clone(), id[7..19].to_string(), id[..19].to_string()];
        references.extend(image.repo_tags.iter().cloned());
        references.extend(image.repo_digests.iter().cloned());
        for reference in references {
            assert_eq!(store.resolve(&reference), Some(id.as_str()), "{reference}");
        }
        assert_eq!(store.resolve("gcr.io/k8s-staging-cri-tools/test-image-tags:3"), None);
        assert_eq!(store.resolve("sha256:"), None);
    }

    #[test]
    fn a_digest_reference_has_its_digest_and_no_tag() {
        let name = format!("gcr.io/k8s-staging-cri-tools/test-image-digest@{DIGEST}");
        let store = ImageStore::of([name.as_str()]);
        let image = store.cri_images().remove(0);
        assert!(image.repo_tags.is_empty());
        assert_eq!(image.repo_digests, vec![name.clone()]);
        assert_eq!(store.resolve(&name), Some(image.id.as_str()));
    }

    #[test]
    fn an_image_with_a_user_reports_it() {
        let store = ImageStore::of(["gcr.io/k8s-staging-cri-tools/test-image-user-username:latest"]);
        let image = store.cri_images().remove(0);
        assert_eq!((image.uid, image.username.as_str()), (None, "www-data"));
        let store = ImageStore::of(["gcr.io/k8s-staging-cri-tools/test-image-user-uid:latest"]);
        assert_eq!(store.cri_images()[0].uid, Some(cri::Int64Value { value: 1002 }));
    }

    #[test]
    fn usage_adds_up_the_images_once_each() {
        let one = ImageStore::of(["gcr.io/k8s-staging-cri-tools/test-image-tags:1"]).usage();
        let both = ImageStore::of([
            "gcr.io/k8s-staging-cri-tools/test-image-tags:1",
            "gcr.io/k8s-staging-cri-tools/test-image-tags:2",
        ])
        .usage();
        assert_eq!(one, both);
        assert!(one.0 > 0 && one.1 > 0);
        assert_eq!(ImageStore::of([]).usage(), (0, 0));
    }
}
