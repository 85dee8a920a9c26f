//! Pins of the survivors of the full tier-1 `cargo mutants` run of `model/` (issue 13, at d7d1bfd) in
//! the files that read and hold a pod's spec and status: `linux_resources.rs`, `manifest.rs`,
//! `pod.rs`, `pod_status_manifest.rs`, `runtime.rs`, `shared_str.rs`, `status/mod.rs`, `workload.rs`.
//! Each test's doc comment names the mutants it catches, as cargo-mutants names them, and the kubelet
//! (or API server) function whose behaviour it pins; each was checked to fail on its mutants (the
//! mutation applied by hand) and re-run through cargo-mutants by name. The survivors no test can
//! observe are listed, with why, in /work/mutants/full/reasons-pins_spec.md.
//!
//! Ported Go cases: `getPhase` rows of pkg/kubelet/kubelet_pods_test.go (OchukoWH/kubernetes@3669de28,
//! a fork of kubernetes master after v1.35; read_file id 60756631880, as `get_phase_cases.rs`), here
//! read from a Pod with its status as `kubectl get pod -o json` prints it (`podsim phase`'s input).

use podsim_model::gates::FeatureGates;
use podsim_model::pod_status_manifest::{ApiPod, PodWithStatusManifest};
use podsim_model::status::phase::{get_phase_with_counts, PhaseOptions};
use podsim_model::{ContainerStateReport, PodPhase, RestartPolicy};

// ---- pod_status_manifest.rs: a Pod with its status, as `podsim phase` reads it -------------------

/// A Pod with its status, read and validated.
fn api_pod(json: serde_json::Value) -> Result<ApiPod, String> {
    serde_json::from_value::<PodWithStatusManifest>(json)
        .map_err(|e| e.to_string())?
        .into_api_pod()
        .map_err(|e| e.to_string())
}

/// `getPhase` of a pod read from its manifest, as `podsim phase` computes it: `podHasInitialized`
/// from `HasAnyRegularContainerStarted` over the API statuses, the pod not terminal.
fn phase_of_manifest(pod: &ApiPod, gates: FeatureGates) -> PodPhase {
    let options = PhaseOptions {
        pod_is_terminal: false,
        pod_has_initialized: pod.has_any_regular_container_started(),
        gates,
    };
    get_phase_with_counts(&pod.phase_spec(), &pod.phase_statuses(), &options).0
}

fn terminated(exit_code: i32) -> serde_json::Value {
    serde_json::json!({"terminated": {"exitCode": exit_code}})
}

fn running() -> serde_json::Value {
    serde_json::json!({"running": {"startedAt": "2026-01-01T00:00:00Z"}})
}

/// Survivors: `model/src/pod_status_manifest.rs:283:48: delete ! in
/// PodWithStatusManifest::into_api_pod` and `model/src/pod_status_manifest.rs:285:75: replace != with
/// == in PodWithStatusManifest::into_api_pod`. The pod is named `namespace/name` (the kubelet's
/// `format.Pod`), `default` when the namespace is absent or empty; it is static
/// (`kubetypes.IsStaticPod`: `kubernetes.io/config.source` is not `api`) only when the annotation says
/// another source (a file, an http URL), not when it says `api` or is absent.
#[test]
fn a_pod_with_status_is_named_by_namespace_and_static_by_its_config_source() {
    let pod = |metadata: serde_json::Value| {
        api_pod(serde_json::json!({
            "metadata": metadata,
            "spec": {"containers": [{"name": "app", "image": "app:1"}]}
        }))
        .unwrap()
    };
    let shop = pod(serde_json::json!({"name": "web", "namespace": "shop"}));
    assert_eq!(shop.full_name, "shop/web");
    assert!(!shop.is_static_pod, "no config source annotation: an API server pod");
    assert_eq!(pod(serde_json::json!({"name": "web", "namespace": ""})).full_name, "default/web");
    assert_eq!(pod(serde_json::json!({"name": "web"})).full_name, "default/web");
    let source = |value: &str| {
        pod(serde_json::json!({"name": "web", "annotations": {"kubernetes.io/config.source": value}}))
            .is_static_pod
    };
    assert!(source("file"), "a static pod from a manifest file");
    assert!(source("http"));
    assert!(!source("api"));
}

/// Survivor: `model/src/pod_status_manifest.rs:276:56: replace != with == in
/// PodWithStatusManifest::into_api_pod`. A Pod of `apiVersion: v1` is read; another version is
/// refused, naming the field.
#[test]
fn a_pod_with_status_must_be_of_api_version_v1() {
    let read = |version: &str| {
        api_pod(serde_json::json!({
            "apiVersion": version, "kind": "Pod",
            "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "app", "image": "app:1"}]}
        }))
    };
    assert!(read("v1").is_ok());
    let err = read("v2").unwrap_err();
    assert_eq!(err, "apiVersion: expected v1, found \"v2\"");
}

/// Survivors: `model/src/pod_status_manifest.rs:314:5: replace containers -> Result<Vec<ApiContainer>,
/// InvalidPod> with Ok(vec![])`, `model/src/pod_status_manifest.rs:251:9: replace
/// ApiPod::phase_statuses -> Vec<PhaseStatus<'_>> with vec![]` and
/// `model/src/pod_status_manifest.rs:265:9: replace ApiPod::has_any_regular_container_started -> bool
/// with true` / `with false`, and `model/src/pod_status_manifest.rs:164:47: replace > with < in <impl
/// TryFrom<StateS> for ApiState>::try_from` (a state with none of its members set, `lastState: {}`,
/// is read as no state, not refused: only more than one member is, the API server's rule). `getPhase` (kubelet_pods.go) over a pod read from its manifest: the Go
/// rows of `TestPodPhaseWithContainerRestartPolicy` and `...InitContainers` and
/// `TestPodPhaseWithRestartAlwaysAndPodHasRun`, with the container-level restart policies read from the
/// spec and the statuses from `status.containerStatuses` and `status.initContainerStatuses`.
#[test]
fn get_phase_of_a_pod_read_with_its_status() {
    let gates = FeatureGates::parse("ContainerRestartRules=true").unwrap();
    // "init container with restart policy Never failed"
    let pod = api_pod(serde_json::json!({
        "metadata": {"name": "web"},
        "spec": {
            "restartPolicy": "Always",
            "initContainers": [{"name": "failed-container", "image": "i:1", "restartPolicy": "Never"}],
            "containers": [{"name": "container", "image": "i:1"}]
        },
        "status": {"initContainerStatuses": [{"name": "failed-container", "state": terminated(-1)}]}
    }))
    .unwrap();
    assert_eq!(phase_of_manifest(&pod, gates), PodPhase::Failed);
    assert_eq!(pod.init_containers[0].restart_policy, Some(RestartPolicy::Never));
    assert!(!pod.has_any_regular_container_started(), "only an init container has a status");

    // "At least one container with restartable container-level restart policy failed"
    let pod = api_pod(serde_json::json!({
        "metadata": {"name": "web"},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {"name": "containerA", "image": "i:1", "restartPolicy": "Always"},
                {"name": "containerB", "image": "i:1"}
            ]
        },
        "status": {"containerStatuses": [
            {"name": "containerA", "state": terminated(0)},
            {"name": "containerB", "state": terminated(-1)}
        ]}
    }))
    .unwrap();
    assert!(pod.has_any_regular_container_started());
    assert_eq!(phase_of_manifest(&pod, gates), PodPhase::Running);

    // "regular init container is succeeded, restartable init container is running, regular
    // containers is stopped": initialized, so Running.
    let with_regular = |regular: serde_json::Value| {
        api_pod(serde_json::json!({
            "metadata": {"name": "web"},
            "spec": {
                "initContainers": [
                    {"name": "containerX", "image": "i:1"},
                    {"name": "containerY", "image": "i:1", "restartPolicy": "Always"}
                ],
                "containers": [{"name": "containerA", "image": "i:1"}]
            },
            "status": {
                "initContainerStatuses": [
                    {"name": "containerX", "state": terminated(0)},
                    {"name": "containerY", "state": running()}
                ],
                "containerStatuses": [{"name": "containerA", "state": regular, "lastState": {}}]
            }
        }))
        .unwrap()
    };
    let pod = with_regular(terminated(0));
    assert!(pod.has_any_regular_container_started());
    assert_eq!(phase_of_manifest(&pod, FeatureGates::default()), PodPhase::Running);
    // The regular container has not started yet: the pod is not initialized, and Pending.
    let pod = with_regular(serde_json::json!({"waiting": {"reason": "ContainerCreating"}}));
    assert!(!pod.has_any_regular_container_started());
    assert_eq!(phase_of_manifest(&pod, FeatureGates::default()), PodPhase::Pending);
    assert_eq!(
        pod.statuses.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["containerA", "containerX", "containerY"],
        "the regular statuses, then the init ones, as generateAPIPodStatus hands them to getPhase"
    );
    assert_eq!(pod.statuses[0].state, Some(ContainerStateReport::waiting("ContainerCreating", "")));
    assert_eq!(pod.statuses[0].last_state, None, "`lastState: {{}}`, as kubectl prints a first instance's");
}
