//! Images: references as the CRI takes them, image ids, and `ImageStatus`'s answer.

use std::collections::HashMap;

use k8s_cri::v1 as cri;

/// model -> CRI: an image reference as the CRI takes it.
pub fn image_spec(image: &str) -> cri::ImageSpec {
    cri::ImageSpec { image: image.to_string(), ..Default::default() }
}

/// CRI -> model: the image reference of a request's image (empty when it has none).
pub fn image_of_spec(spec: Option<cri::ImageSpec>) -> String {
    spec.unwrap_or_default().image
}

/// A stable, content-address-shaped id for an image name (`sha256:` and 64 hex digits; FNV-1a of
/// the name, as the simulator has no image content to digest).
pub fn image_id(name: &str) -> String {
    let hash =
        name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    format!("sha256:{hash:064x}")
}

/// model -> CRI: the CRI image of a name on the node.
pub fn cri_image(name: &str) -> cri::Image {
    cri::Image {
        id: image_id(name),
        repo_tags: vec![name.to_string()],
        spec: Some(image_spec(name)),
        ..Default::default()
    }
}

/// model -> CRI: `ImageStatus`'s answer for an image that is on the node or not (the model's
/// `ImagePresent`).
pub fn image_status_response(name: &str, present: bool) -> cri::ImageStatusResponse {
    cri::ImageStatusResponse { image: present.then(|| cri_image(name)), info: HashMap::new() }
}

/// CRI -> model: whether `ImageStatus` found the image (the model's `ImagePresent`).
pub fn image_present(response: &cri::ImageStatusResponse) -> bool {
    response.image.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_comes_back_the_same() {
        for image in ["podsim.local/workload:test", "docker.io/library/nginx:1.25", ""] {
            assert_eq!(image_of_spec(Some(image_spec(image))), image);
        }
        assert_eq!(image_of_spec(None), "");
    }

    #[test]
    fn presence_comes_back_the_same() {
        for present in [true, false] {
            assert_eq!(image_present(&image_status_response("nginx:1", present)), present);
        }
    }

    #[test]
    fn an_image_is_named_by_its_tag_and_its_id() {
        let image = cri_image("nginx:1");
        assert_eq!(image.repo_tags, ["nginx:1"]);
        assert_eq!(image.id, image_id("nginx:1"));
        assert_eq!(image_of_spec(image.spec), "nginx:1");
    }

    #[test]
    fn image_ids_are_stable_content_address_shaped_and_differ_by_name() {
        let id = image_id("nginx:1");
        assert_eq!(id, image_id("nginx:1"));
        assert_ne!(id, image_id("nginx:2"));
        let digest = id.strip_prefix("sha256:").expect("a sha256 id");
        assert_eq!(digest.len(), 64);
        assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
