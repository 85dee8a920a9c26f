//! Which images a real run starts with on the node ([`scenario_images`]): those the simulator's node
//! could ever hold, so that a scenario means the same on containerd. No containerd is needed.
#![cfg(feature = "containerd")]

use podsim_cri::real::scenario_images;
use podsim_sim::scenario::Scenario;

/// A scenario with these `images:` and one pod whose containers are `(image, imagePullPolicy)`.
fn scenario(images: &str, containers: &[(&str, &str)]) -> Scenario {
    let containers: String = containers
        .iter()
        .enumerate()
        .map(|(i, (image, policy))| {
            format!("    - {{name: c{i}, image: \"{image}\", imagePullPolicy: {policy}, command: [workload, run]}}\n")
        })
        .collect();
    let text = format!(
        "name: images\ndescription: d\nduration: 1m\nimages:\n{images}pods:\n- metadata: {{name: web}}\n  spec:\n    containers:\n{containers}"
    );
    Scenario::parse("images.yaml", &text).expect("the scenario loads")
}

/// issue 12: an image that is not preloaded and only asked for with `imagePullPolicy: Never` is never
/// on the simulator's node (ErrImageNeverPull); it used to be imported, so the container ran on
/// containerd, and a scenario whose only image it was imported nothing at all and failed.
#[test]
fn an_image_only_asked_for_with_never_and_not_preloaded_is_absent() {
    let s = scenario("- {name: \"tool:2\"}\n", &[("tool:2", "Never")]);
    assert_eq!(scenario_images(&s), Vec::<String>::new());
    let s = scenario(
        "- {name: \"tool:2\"}\n- {name: \"app:1\"}\n",
        &[("tool:2", "Never"), ("app:1", "IfNotPresent")],
    );
    assert_eq!(scenario_images(&s), ["app:1"]);
}

#[test]
fn a_preloaded_image_is_present_whatever_the_policy() {
    let s = scenario("- {name: \"tool:2\", preloaded: true}\n", &[("tool:2", "Never")]);
    assert_eq!(scenario_images(&s), ["tool:2"]);
    let s =
        scenario("- {name: \"tool:2\", preloaded: true, fail: {permanent: true}}\n", &[("tool:2", "Always")]);
    assert_eq!(scenario_images(&s), ["tool:2"], "on the node, though the registry cannot serve it");
}

#[test]
fn an_image_the_kubelet_can_pull_is_present_from_the_start() {
    for policy in ["IfNotPresent", "Always"] {
        let s = scenario("- {name: \"app:1\"}\n", &[("app:1", policy)]);
        assert_eq!(scenario_images(&s), ["app:1"], "{policy}");
    }
    let s = scenario("- {name: \"app:1\"}\n", &[("app:1", "Never"), ("app:1", "IfNotPresent")]);
    assert_eq!(scenario_images(&s), ["app:1"], "one container pulls it for both");
    let s = scenario("- {name: \"app:1\", fail: {times: 2}}\n", &[("app:1", "IfNotPresent")]);
    assert_eq!(scenario_images(&s), ["app:1"], "its pulls succeed in the end");
}

#[test]
fn an_image_the_registry_cannot_serve_or_does_not_list_is_absent() {
    let s = scenario("- {name: \"app:1\", fail: {permanent: true}}\n", &[("app:1", "IfNotPresent")]);
    assert_eq!(scenario_images(&s), Vec::<String>::new());
    let s = scenario("- {name: \"app:1\"}\n", &[("app:1", "IfNotPresent"), ("unlisted:1", "IfNotPresent")]);
    assert_eq!(scenario_images(&s), ["app:1"], "an image not in the registry is never pulled");
    let s = scenario("- {name: \"app:1\"}\n- {name: \"spare:1\"}\n", &[("app:1", "IfNotPresent")]);
    assert_eq!(scenario_images(&s), ["app:1"], "an image no pod uses is never pulled");
}
