//! Pins of the survivors of the full tier-1 `cargo mutants` run of `model/` (issue 13, at d7d1bfd) in
//! the files that read and hold a pod's spec and status: `linux_resources.rs`, `manifest.rs`,
//! `pod.rs`, `pod_status_manifest.rs`, `runtime.rs`, `shared_str.rs`, `status/mod.rs`, `workload.rs`.
//! Each test's doc comment names the mutants it catches, as cargo-mutants names them, and the kubelet
//! (or API server) function whose behaviour it pins; each was checked to fail on its mutants (the
//! mutation applied by hand) and re-run through cargo-mutants by name. The full run reached only the
//! first of these files before this work ended; the survivors of the others were found by applying
//! each suspect mutant by hand and running the model's unit and `cases` tests. The survivors no test
//! can observe are listed, with why, in /work/mutants/full/reasons-pins_spec.md.
//!
//! Ported Go cases: `getPhase` rows of pkg/kubelet/kubelet_pods_test.go (OchukoWH/kubernetes@3669de28,
//! a fork of kubernetes master after v1.35; read_file id 60756631880, as `get_phase_cases.rs`), here
//! read from a Pod with its status as `kubectl get pod -o json` prints it (`podsim phase`'s input).

use crate::common;
use podsim_model::gates::FeatureGates;
use podsim_model::manifest::PodManifest;
use podsim_model::pod_status_manifest::{ApiPod, PodWithStatusManifest};
use podsim_model::status::phase::{get_phase_with_counts, PhaseOptions};
use podsim_model::workload::check_pod_commands;
use podsim_model::{Container, ContainerStateReport, Pod, PodPhase, RestartPolicy};

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

// ---- workload.rs: the `workload` vocabulary a scenario's containers speak ---------------------------

fn words(text: &str) -> Vec<String> {
    text.split(' ').filter(|w| !w.is_empty()).map(String::from).collect()
}

/// A pod of one container with this `command` and `args`.
fn pod_running(command: &str, args: &str) -> Pod {
    let mut c = Container::new("app", "podsim/workload:1");
    c.command = words(command);
    c.args = words(args);
    let mut pod = Pod::new("web", "uid-web", "node-1");
    pod.spec_mut().containers.push(c);
    pod
}

/// Survivors: `model/src/workload.rs:265:64: replace + with - in parse_verb` and
/// `model/src/workload.rs:265:64: replace + with * in parse_verb`. A bad health option is blamed on
/// the word it is, counted after the verb's arguments: in `args` when the option was written there,
/// whether the verb takes no arguments (`run`) or two (`exit-after DURATION CODE`), so that `podsim`
/// names the container field at fault (`spec.containers[0].args`).
#[test]
fn a_bad_health_option_is_blamed_on_the_field_that_holds_it() {
    let field = |command: &str, args: &str| check_pod_commands(&pod_running(command, args)).unwrap_err();
    let e = field("workload run", "--ready-after soon");
    assert_eq!((e.error.word, e.field.as_str()), (3, "spec.containers[0].args"));
    let e = field("workload exit-after 2s 3", "--unhealthy-after later");
    assert_eq!((e.error.word, e.field.as_str()), (5, "spec.containers[0].args"));
    assert_eq!(
        e.to_string(),
        "spec.containers[0].args: workload: --unhealthy-after: \"later\" is not a duration (like 500ms, 2s, 1m)"
    );
    let e = field("workload exit-after 2s 3 --started-after", "");
    assert_eq!((e.error.word, e.field.as_str()), (4, "spec.containers[0].command"), "its value is missing");
    let e = field("workload exit-after 2s", "3 --readyafter 1s");
    assert_eq!((e.error.word, e.field.as_str()), (4, "spec.containers[0].args"));
}

/// Survivor: `model/src/workload.rs:381:5: replace check_exec_hooks -> Result<(), (&'static str,
/// WorkloadError)> with Ok(())`. An exec lifecycle hook's command is read as an exec probe's is
/// (`workload check ...`), so a bad one is refused at load, naming the hook's field, instead of
/// failing in the container as `FailedPostStartHook` / `FailedPreStopHook` at run time.
#[test]
fn a_bad_exec_hook_command_is_refused_with_its_field() {
    use podsim_model::pod::LifecycleHandler;
    let exec = |command: &str| Some(LifecycleHandler::Exec { command: words(command) });
    let mut pod = pod_running("workload run", "");
    pod.spec_mut().containers[0].lifecycle.pre_stop = exec("workload check live");
    pod.spec_mut().containers[0].lifecycle.post_start = exec("workload check ready");
    assert_eq!(check_pod_commands(&pod), Ok(()));
    pod.spec_mut().containers[0].lifecycle.pre_stop = exec("workload check alive");
    assert_eq!(
        check_pod_commands(&pod).unwrap_err().to_string(),
        "spec.containers[0].lifecycle.preStop.exec.command: workload: \"alive\" is not a check (known: live, ready, started)"
    );
    pod.spec_mut().containers[0].lifecycle.pre_stop = None;
    pod.spec_mut().containers[0].lifecycle.post_start = exec("workload");
    assert_eq!(
        check_pod_commands(&pod).unwrap_err().field,
        "spec.containers[0].lifecycle.postStart.exec.command"
    );
}

/// Survivor: `model/src/workload.rs:220:9: replace Workload::to_command_with_health -> Vec<String>
/// with vec![]` (and its `vec![String::new()]`, `vec!["xyzzy".into()]`). The command the simulator's
/// scenarios write for a workload with health options reads back as that workload with those options,
/// and a container running it answers its checks as they say.
#[test]
fn a_workload_with_health_options_round_trips_through_its_command() {
    use podsim_model::workload::{Check, Health, Workload};
    let health = Health { ready_after: Some(5_000), started_after: None, unhealthy_after: Some(60_000) };
    for workload in [Workload::Run, Workload::IgnoreSigterm, Workload::ExitAfter { after: 90_000, code: 4 }] {
        let command = workload.to_command_with_health(health);
        assert_eq!(command[0], "workload");
        assert_eq!(Workload::parse_with_health(&command, &[]), Ok((workload, health)), "{command:?}");
        let (_, read) = Workload::from_command_with_health(&command, &[]);
        assert!(!read.passes(Check::Ready, 4_999) && read.passes(Check::Ready, 5_000));
        assert!(read.passes(Check::Live, 59_999) && !read.passes(Check::Live, 60_000));
    }
    assert_eq!(
        Workload::Run.to_command_with_health(Health::default()),
        ["workload", "run"],
        "no option for a default health"
    );
}

// ---- manifest.rs: a v1 Pod read as the API server would store it ----------------------------------

/// A Pod manifest, read and validated under these gates.
fn pod_with_gates(json: serde_json::Value, gates: &FeatureGates) -> Result<Pod, String> {
    serde_json::from_value::<PodManifest>(json)
        .map_err(|e| e.to_string())?
        .into_pod_with(gates)
        .map_err(|e| e.to_string())
}

/// Survivors: `model/src/manifest.rs:261:21: replace != with == in PodManifest::into_pod_with` and
/// `model/src/manifest.rs:266:18: replace != with == in PodManifest::into_pod_with`. A manifest of
/// `apiVersion: v1, kind: Pod` is read; another kind or version is refused, naming the field.
#[test]
fn a_pod_manifest_must_be_a_v1_pod() {
    let read = |api_version: &str, kind: &str| {
        pod_with_gates(
            serde_json::json!({
                "apiVersion": api_version, "kind": kind,
                "metadata": {"name": "web"},
                "spec": {"containers": [{"name": "app", "image": "app:1"}]}
            }),
            &FeatureGates::default(),
        )
    };
    assert_eq!(read("v1", "Pod").unwrap().spec.containers[0].name(), "app");
    assert_eq!(read("v1", "Deployment").unwrap_err(), "kind: expected Pod, found \"Deployment\"");
    assert_eq!(read("apps/v1", "Pod").unwrap_err(), "apiVersion: expected v1, found \"apps/v1\"");
}

/// `restartPolicyRules: [{action: Restart, exitCodes: {operator: In, values: VALUES}}]`.
fn rules_with(values: Vec<i32>) -> serde_json::Value {
    serde_json::json!([{"action": "Restart", "exitCodes": {"operator": "In", "values": values}}])
}

/// Survivors: `model/src/manifest.rs:489:41: replace > with >= in validate_restart_policy` and
/// `model/src/manifest.rs:489:41: replace > with == in validate_restart_policy`. The API server's
/// `validateContainerRestartPolicy` refuses a rule with more than 255 exit codes
/// (`field.TooMany(..., 255)`): 255 are valid, 256 are not.
#[test]
fn a_restart_rule_may_list_255_exit_codes_and_no_more() {
    let read = |count: i32| {
        pod_with_gates(
            serde_json::json!({
                "metadata": {"name": "web"},
                "spec": {"containers": [{
                    "name": "app", "image": "app:1", "restartPolicy": "Never",
                    "restartPolicyRules": rules_with((1..=count).collect())
                }]}
            }),
            &FeatureGates::default(),
        )
    };
    assert_eq!(read(255).unwrap().spec.containers[0].restart_policy_rules[0].exit_codes.values.len(), 255);
    assert_eq!(
        read(256).unwrap_err(),
        "spec.containers[0].restartPolicyRules[0].exitCodes.values: may hold at most 255 values"
    );
    assert!(read(1).is_ok());
}

/// `validateContainerRestartPolicy` refuses more than 20 `restartPolicyRules` on a container
/// (`field.TooMany(fldPath.Child("restartPolicyRules"), len(rules), 20)`): 20 are valid, 21 are not.
#[test]
fn a_container_may_have_20_restart_rules_and_no_more() {
    let read = |count: usize| {
        let rules: Vec<serde_json::Value> =
            (0..count).map(|i| rules_with(vec![i as i32 + 1])[0].clone()).collect();
        pod_with_gates(
            serde_json::json!({
                "metadata": {"name": "web"},
                "spec": {"containers": [{
                    "name": "app", "image": "app:1", "restartPolicy": "Never", "restartPolicyRules": rules
                }]}
            }),
            &FeatureGates::default(),
        )
    };
    assert_eq!(read(20).unwrap().spec.containers[0].restart_policy_rules.len(), 20);
    assert_eq!(read(21).unwrap_err(), "spec.containers[0].restartPolicyRules: may hold at most 20 rules");
}

/// A pod with a sidecar (`proxy`, a cpu resize policy), a plain init container whose own policy is
/// Never with a `Restart` rule (`setup`), and a regular container whose own policy is OnFailure with
/// a `Restart` rule and a memory resize policy (`app`), read under the default gates.
fn pod_with_every_gated_field() -> Pod {
    pod_with_gates(every_gated_field(), &FeatureGates::default()).unwrap()
}

/// The manifest of [`pod_with_every_gated_field`].
fn every_gated_field() -> serde_json::Value {
    let resize =
        |resource: &str| serde_json::json!([{"resourceName": resource, "restartPolicy": "NotRequired"}]);
    serde_json::json!({
            "metadata": {"name": "web"},
            "spec": {
                "initContainers": [
                    {"name": "proxy", "image": "p:1", "restartPolicy": "Always", "resizePolicy": resize("cpu")},
                    {"name": "setup", "image": "s:1", "restartPolicy": "Never", "restartPolicyRules": rules_with(vec![42])}
                ],
                "containers": [{
                    "name": "app", "image": "app:1", "restartPolicy": "OnFailure",
                    "restartPolicyRules": rules_with(vec![3]), "resizePolicy": resize("memory")
                }]
            }
    })
}

/// Survivors: `model/src/manifest.rs:394:8: delete ! in apply_gates_to_pod`, `model/src/manifest.rs:
/// 399:8: delete ! in apply_gates_to_pod`, `model/src/manifest.rs:401:33: replace != with == in
/// apply_gates_to_pod` and `model/src/manifest.rs:411:8: delete ! in apply_gates_to_pod`. A scenario's
/// or `--feature-gates`' gates reach a pod read under the defaults as the API server's
/// `dropDisabledFields` (pkg/api/pod/util.go) would have on create: SidecarContainers off drops the
/// init containers' restartPolicy; ContainerRestartRules off (`dropContainerRestartRules`) drops the
/// container-level policies and rules but a sidecar's Always; InPlacePodVerticalScaling off drops the
/// resize policies. Each gives the pod that reading the manifest under those gates gives, which pins
/// the create-time `drop_disabled_fields` too (survivor `model/src/manifest.rs:371:33: replace != with
/// == in drop_disabled_fields`: a sidecar read with ContainerRestartRules off stays a sidecar).
#[test]
fn gates_arriving_later_drop_the_fields_of_disabled_gates() {
    use podsim_model::manifest::apply_gates_to_pod;
    let with = |list: &str| {
        let mut pod = pod_with_every_gated_field();
        apply_gates_to_pod(&mut pod, &FeatureGates::parse(list).unwrap()).unwrap();
        pod
    };
    let unchanged = with("");
    assert_eq!(unchanged, pod_with_every_gated_field(), "the default gates drop nothing");

    let no_sidecars = with("SidecarContainers=false");
    assert!(!no_sidecars.has_restartable_init_container());
    assert_eq!(no_sidecars.spec.init_containers[1].restart_policy, None);
    assert_eq!(no_sidecars.spec.containers[0].restart_policy, Some(RestartPolicy::OnFailure));

    let no_rules = with("ContainerRestartRules=false");
    let [proxy, setup] = &no_rules.spec.init_containers[..] else { panic!("two init containers") };
    assert_eq!(proxy.restart_policy, Some(RestartPolicy::Always), "a sidecar stays a sidecar");
    assert_eq!((setup.restart_policy, setup.restart_policy_rules.len()), (None, 0));
    let app = &no_rules.spec.containers[0];
    assert_eq!((app.restart_policy, app.restart_policy_rules.len()), (None, 0));
    assert_eq!(app.resize_policy.len(), 1, "resize policies are another gate's");

    let no_resize = with("InPlacePodVerticalScaling=false");
    assert!(no_resize.spec.init_containers[0].resize_policy.is_empty());
    assert!(no_resize.spec.containers[0].resize_policy.is_empty());
    assert_eq!(no_resize.spec.containers[0].restart_policy_rules.len(), 1);

    // (SidecarContainers off is left out: read on create, `setup`'s rules lose their policy first and
    // validation refuses them; the gate is GA and today's API server no longer drops for it.)
    for list in ["ContainerRestartRules=false", "InPlacePodVerticalScaling=false"] {
        let read = pod_with_gates(every_gated_field(), &FeatureGates::parse(list).unwrap());
        assert_eq!(read.as_ref(), Ok(&with(list)), "read under {list}");
    }
}

/// Survivors: `model/src/manifest.rs:393:5: replace apply_gates_to_pod -> Result<(), InvalidPod> with
/// Ok(())`, `model/src/manifest.rs:422:21: replace == with != in apply_gates_to_pod`,
/// `model/src/manifest.rs:423:17: replace && with || in apply_gates_to_pod`, `model/src/manifest.rs:
/// 424:17: replace && with || in apply_gates_to_pod`, `model/src/manifest.rs:424:20: delete ! in
/// apply_gates_to_pod` and `model/src/manifest.rs:434:40: replace == with != in apply_gates_to_pod`.
/// With RestartAllContainersOnContainerExits off, validation (`validateContainerRestartPolicy` with
/// `AllowRestartAllContainers` false) refuses a sidecar's rules and a `RestartAllContainers` action,
/// and nothing else: `Restart` rules of plain init and regular containers, and a sidecar without
/// rules, stay valid. With the gate on, both are valid.
#[test]
fn gates_arriving_later_refuse_what_restart_all_containers_off_does_not_allow() {
    use podsim_model::manifest::apply_gates_to_pod;
    use podsim_model::pod::{ContainerRestartRule, RestartRuleAction};
    let off = FeatureGates::parse("RestartAllContainersOnContainerExits=false").unwrap();
    let mut pod = pod_with_every_gated_field();
    assert_eq!(apply_gates_to_pod(&mut pod, &off), Ok(()));
    assert_eq!(pod, pod_with_every_gated_field(), "nothing of another gate is dropped");

    let rule = |action: RestartRuleAction| -> ContainerRestartRule {
        let mut r = pod_with_every_gated_field().spec.containers[0].restart_policy_rules[0].clone();
        r.action = action;
        r
    };
    let mut sidecar_with_rules = pod_with_every_gated_field();
    sidecar_with_rules.spec_mut().init_containers[0].restart_policy_rules =
        vec![rule(RestartRuleAction::Restart)];
    assert_eq!(apply_gates_to_pod(&mut sidecar_with_rules.clone(), &FeatureGates::default()), Ok(()));
    let e = apply_gates_to_pod(&mut sidecar_with_rules, &off).unwrap_err();
    assert_eq!(
        e.to_string(),
        "spec.initContainers[0].restartPolicyRules: may not be set for a restartable init container"
    );

    let mut restart_all = pod_with_every_gated_field();
    restart_all.spec_mut().containers[0].restart_policy_rules =
        vec![rule(RestartRuleAction::Restart), rule(RestartRuleAction::RestartAllContainers)];
    assert_eq!(apply_gates_to_pod(&mut restart_all.clone(), &FeatureGates::default()), Ok(()));
    let e = apply_gates_to_pod(&mut restart_all, &off).unwrap_err();
    assert_eq!(e.path, "spec.containers[0].restartPolicyRules[1].action");
}

// ---- runtime.rs: the probe results managers ---------------------------------------------------------

/// Survivor: `model/src/runtime.rs:163:9: replace ContainerProbes::is_empty -> bool with false`. When
/// a liveness probe fails and the container is restarted, the probe worker sees the new container
/// and removes the old one's result (worker.go: `w.resultsManager.Remove(w.containerID)`, which
/// deletes the id from the manager's cache): the results then hold the new container alone, though
/// the old one is still in the runtime (exited).
#[test]
fn a_restarted_containers_old_probe_results_are_removed() {
    use common::World;
    use podsim_model::pod::Probe;
    use podsim_model::ContainerState;
    let mut w = World::new();
    let mut p = Pod::new("web", "uid-web", common::NODE);
    let mut c = Container::new("app", "app:1");
    c.liveness_probe = Some(Probe::exec(&["workload", "check", "live"]));
    p.spec_mut().containers.push(c);
    w.rt.exec_exit.insert("app".into(), Some(1));
    w.create_pod(p);
    w.run_for(60_000);
    let instances: Vec<_> = w.instances("uid-web", "app").into_iter().cloned().collect();
    assert!(instances.len() >= 2, "the liveness failures restarted it: {instances:?}");
    let (new, old) = (&instances[0], &instances[1]);
    assert_eq!(old.state, ContainerState::Exited, "the old instance is still in the runtime");
    let ids: Vec<&String> = w.kubelet.probe_results().0.keys().collect();
    assert_eq!(ids, [&new.id.to_string()], "only the running container has results");
}

// ---- status/mod.rs: the pod status the kubelet writes ----------------------------------------------

/// Survivor: `model/src/status/mod.rs:64:9: replace PodPhase::as_str -> &'static str with ""` (and
/// `with "xyzzy"`). A phase is spelled as the API spells `status.phase` (v1.PodPhase), as it is
/// serialized into the status the kubelet writes.
#[test]
fn a_phase_is_spelled_as_the_api_spells_it() {
    for (phase, word) in [
        (PodPhase::Pending, "Pending"),
        (PodPhase::Running, "Running"),
        (PodPhase::Succeeded, "Succeeded"),
        (PodPhase::Failed, "Failed"),
    ] {
        assert_eq!(phase.as_str(), word);
        assert_eq!(serde_json::to_value(phase).unwrap(), word);
    }
}

// ---- linux_resources.rs: the cgroup values the runtime reports back ---------------------------------

/// Survivor: `model/src/linux_resources.rs:102:93: replace > with >= in to_kube_container_resources`.
/// kuberuntime_container_linux.go `toKubeContainerResources` (read_file id 79477855) reads a cpu
/// request from the reported shares only when `sharesToMilliCPU` gives more than 0: a runtime that
/// reports 1 share (below `cm.MinShares`) reports no cpu request, and 2 shares read as 2m.
#[test]
fn shares_below_the_minimum_read_back_as_no_cpu_request() {
    use podsim_model::linux_resources::{to_kube_container_resources, LinuxContainerResources};
    let read = |cpu_shares: i64| {
        to_kube_container_resources(&LinuxContainerResources {
            cpu_period: 100_000,
            cpu_quota: 50_000,
            cpu_shares,
            memory_limit_in_bytes: 64 << 20,
        })
    };
    let one = read(1);
    assert_eq!(one.cpu_request, None);
    assert_eq!(one.cpu_limit.map(|q| q.milli_value()), Some(500), "the limit is read all the same");
    assert_eq!(one.memory_limit.map(|q| q.value()), Some(64 << 20));
    assert_eq!(read(0).cpu_request, None);
    assert_eq!(read(2).cpu_request.map(|q| q.milli_value()), Some(2));
}

/// A pod `web` of one container `app` under `policy`, and the runtime's record of it: a ready
/// sandbox, and `app` in `state` (exited with `exit_code`).
fn one_container_pod(
    policy: RestartPolicy,
    state: podsim_model::ContainerState,
    exit_code: i32,
) -> (Pod, podsim_model::RuntimePodStatus) {
    use podsim_model::{ContainerStatus, RuntimePodStatus, SandboxState, SandboxStatus};
    let mut pod = Pod::new("web", "uid-web", common::NODE);
    pod.spec_mut().restart_policy = policy;
    pod.spec_mut().containers.push(Container::new("app", "app:1"));
    let exited = state == podsim_model::ContainerState::Exited;
    let app = ContainerStatus {
        id: "app-1".into(),
        name: "app".into(),
        state,
        exit_code,
        reason: (if exited { "Error" } else { "" }).into(),
        hash: pod.spec.containers[0].hash(),
        restart_count: 0,
        sandbox_id: "s1".into(),
        image: "app:1".into(),
        created_at: 1_000,
        started_at: Some(1_000),
        finished_at: exited.then_some(5_000),
        resources: None,
    };
    let sandbox = SandboxStatus {
        id: "s1".into(),
        state: SandboxState::Ready,
        attempt: 0,
        ip: "10.1.0.1".into(),
        host_network: false,
        created_at: 500,
    };
    (pod, RuntimePodStatus { sandboxes: vec![sandbox], containers: vec![app] })
}

/// `generateAPIPodStatus` of the pod with the status manager holding `old`.
fn status_with_old(
    pod: &Pod,
    runtime: &podsim_model::RuntimePodStatus,
    old: &podsim_model::PodStatusReport,
) -> podsim_model::PodStatusReport {
    use podsim_model::status::{generate_api_pod_status, StatusContext};
    let reasons = std::collections::BTreeMap::<String, String>::new();
    let probes = podsim_model::ProbeResults::none();
    let context = StatusContext {
        reasons: &reasons,
        old_status: Some(old),
        probes: &probes,
        gates: FeatureGates::default(),
        pod_is_terminal: false,
    };
    generate_api_pod_status(pod, runtime, &context)
}

/// Survivor: `model/src/status/mod.rs:356:66: replace == with != in generate_api_pod_status` (the test
/// also catches `model/src/status/mod.rs:352:22: replace match guard old.is_terminal() &&
/// !phase.is_terminal() with false in generate_api_pod_status` and `model/src/status/mod.rs:352:43:
/// delete ! in generate_api_pod_status`, which earlier tests catch too). kubelet_pods.go `generateAPIPodStatus`' three-way merge: a phase that
/// `getPhase` computes as not terminal gives way to a terminal phase the status manager holds (a pod
/// never leaves Succeeded or Failed), but a terminal phase computed is kept as computed; the reason
/// and message go with the phase (kept from the old status while the phase is the old one).
#[test]
fn a_terminal_phase_the_status_manager_holds_is_kept_and_its_reason_with_it() {
    use podsim_model::{ContainerState, PodStatusReport};
    let old = |phase: PodPhase, reason: &str| PodStatusReport {
        phase,
        reason: reason.into(),
        message: format!("{reason} message"),
        ..PodStatusReport::default()
    };
    // Running by its containers, Succeeded by the status manager: Succeeded.
    let (pod, runtime) = one_container_pod(RestartPolicy::Always, ContainerState::Running, 0);
    let status = status_with_old(&pod, &runtime, &old(PodPhase::Succeeded, ""));
    assert_eq!(status.phase, PodPhase::Succeeded);
    // The same pod with a Running status before: Running, the old reason kept with its phase.
    let status = status_with_old(&pod, &runtime, &old(PodPhase::Running, "Resizing"));
    assert_eq!((status.phase, status.reason.as_str()), (PodPhase::Running, "Resizing"));
    assert_eq!(status.message, "Resizing message");
    // A Never pod whose container failed: Failed as computed, whatever terminal phase was held.
    let (pod, runtime) = one_container_pod(RestartPolicy::Never, ContainerState::Exited, 1);
    let status = status_with_old(&pod, &runtime, &old(PodPhase::Succeeded, "Done"));
    assert_eq!((status.phase, status.reason.as_str(), status.message.as_str()), (PodPhase::Failed, "", ""));
    // Failed as before (DeadlineExceeded): the reason and message stay.
    let status = status_with_old(&pod, &runtime, &old(PodPhase::Failed, "DeadlineExceeded"));
    assert_eq!((status.phase, status.reason.as_str()), (PodPhase::Failed, "DeadlineExceeded"));
    // Pending before, Failed now: the Pending phase's reason does not come along.
    let status = status_with_old(&pod, &runtime, &old(PodPhase::Pending, "Waiting"));
    assert_eq!((status.phase, status.reason.as_str()), (PodPhase::Failed, ""));
}

// ---- shared_str.rs: names, ids and reasons shared by many records ---------------------------------

/// Survivors: `model/src/shared_str.rs:68:9: replace <impl AsRef<str> for SharedStr>::as_ref -> &str
/// with ""` (and `"xyzzy"`), `model/src/shared_str.rs:74:9: replace <impl Borrow<str> for
/// SharedStr>::borrow -> &str with ""` (and `"xyzzy"`), `model/src/shared_str.rs:98:9: replace <impl
/// From<&String> for SharedStr>::from -> SharedStr with Default::default()`, the `-> bool with true`
/// mutants of `<impl PartialEq<str> for SharedStr>::eq` (118:9), `<impl PartialEq<String> for
/// SharedStr>::eq` (130:9), `<impl PartialEq<SharedStr> for str>::eq` (136:9) and `<impl
/// PartialEq<SharedStr> for &str>::eq` (142:9), and `model/src/shared_str.rs:166:9: replace <impl
/// std::hash::Hash for SharedStr>::hash with ()`. A name held as a `SharedStr` reads, converts,
/// compares and hashes as its text in every form the kubelet's records meet it: a container name
/// looked up by `&str` in a map keyed by names (ordered or hashed: `Borrow` requires the hash of the
/// text), compared with the spec's `String`s and `&str`s from either side.
#[test]
fn a_shared_name_reads_compares_and_hashes_as_its_text() {
    use podsim_model::shared_str::SharedStr;
    use std::collections::{BTreeMap, HashSet};
    use std::hash::{BuildHasher, RandomState};
    let owned = String::from("app");
    let name = SharedStr::from(&owned);
    assert_eq!(name.as_str(), "app");
    fn text_of(s: impl AsRef<str>) -> String {
        s.as_ref().to_string()
    }
    assert_eq!(text_of(name.clone()), "app");
    assert_eq!(String::from(name.clone()), "app");
    assert_eq!(String::from(SharedStr::from_static("sidecar")), "sidecar");

    let by_name: BTreeMap<SharedStr, u32> = [(name.clone(), 1), (SharedStr::from("init"), 2)].into();
    assert_eq!((by_name.get("app"), by_name.get("init"), by_name.get("other")), (Some(&1), Some(&2), None));
    let hashed: HashSet<SharedStr> = [name.clone(), SharedStr::from("init")].into();
    assert!(hashed.contains("app") && hashed.contains("init") && !hashed.contains("other"));
    let state = RandomState::new();
    assert_eq!(state.hash_one(&name), state.hash_one("app"), "hashes as its text");

    let other = String::from("other");
    // SharedStr == str, &str, String
    assert!(name == *"app" && name != *"other");
    assert!(name == "app" && name != "other");
    assert!(name == owned && name != other);
    // str, &str, String == SharedStr
    assert!(*"app" == name && *"other" != name);
    assert!("app" == name && "other" != name);
    assert!(owned == name && other != name);
}

// ---- pod.rs: the pod the kubelet manages ------------------------------------------------------------

/// Survivors: `model/src/pod.rs:102:9: replace RestartPolicy::as_str -> &'static str with ""` (and
/// `with "xyzzy"`). A restart policy is spelled as the API spells `restartPolicy` (v1.RestartPolicy)
/// and as a manifest is read: what `podsim` writes back into a manifest reads as the same policy.
#[test]
fn a_restart_policy_is_spelled_as_the_api_spells_it() {
    for (policy, word) in [
        (RestartPolicy::Always, "Always"),
        (RestartPolicy::OnFailure, "OnFailure"),
        (RestartPolicy::Never, "Never"),
    ] {
        assert_eq!(policy.as_str(), word);
        let json = serde_json::json!({
            "metadata": {"name": "web"},
            "spec": {"restartPolicy": policy.as_str(), "containers": [{"name": "app", "image": "app:1"}]}
        });
        assert_eq!(pod_with_gates(json, &FeatureGates::default()).unwrap().spec.restart_policy, policy);
    }
}

/// Survivors: `model/src/pod.rs:459:9: replace Pod::full_name -> String with String::new()` (and
/// `with "xyzzy".into()`). The kubelet names a pod `namespace/name` in its logs and messages
/// (`format.Pod`, `klog.KObj`).
#[test]
fn a_pod_is_named_by_namespace_and_name() {
    let mut pod = Pod::new("web", "uid-web", common::NODE);
    assert_eq!(pod.full_name(), "default/web");
    pod.namespace = "shop".into();
    assert_eq!(pod.full_name(), "shop/web");
}

/// Survivor: `model/src/pod.rs:245:9: replace Container::has_readiness_probe -> bool with false`. The
/// prober manager's `UpdatePodStatus`: a running, started container with a readiness probe is ready
/// only once the probe succeeded (its worker's initial result is Failure); one without a readiness
/// probe is ready as soon as it runs. The pod's Ready condition follows.
#[test]
fn a_running_container_with_a_readiness_probe_is_not_ready_before_it_succeeds() {
    use podsim_model::pod::Probe;
    use podsim_model::status::pod_status_report;
    use podsim_model::ContainerState;
    let (pod, runtime) = one_container_pod(RestartPolicy::Always, ContainerState::Running, 0);
    let status = pod_status_report(&pod, &runtime, &Default::default());
    assert!(status.container("app").unwrap().ready, "no readiness probe: ready once running");
    let mut probed = pod.clone();
    probed.spec_mut().containers[0].readiness_probe = Some(Probe::exec(&["workload", "check", "ready"]));
    let status = pod_status_report(&probed, &runtime, &Default::default());
    let app = status.container("app").unwrap();
    assert_eq!((app.state.is_running(), app.ready), (true, false));
    assert_eq!(status.condition("Ready").map(|c| c.status.as_str()), Some("False"));
}

/// Survivor: `model/src/pod.rs:479:9: replace Pod::find_container -> Option<(ContainerKind,
/// &Container)> with None`. A container of any kind is found by its name, with its kind
/// (`podutil.GetContainerSpec` over init, regular and ephemeral containers); an unknown name is not.
#[test]
fn a_container_of_any_kind_is_found_by_name() {
    use podsim_model::pod::ContainerKind;
    let mut pod = Pod::new("web", "uid-web", common::NODE);
    pod.spec_mut().init_containers.push(Container::new("setup", "s:1"));
    pod.spec_mut().containers.push(Container::new("app", "app:1"));
    pod.spec_mut().ephemeral_containers.push(Container::new("debug", "busybox:1"));
    let found = |name: &str| pod.find_container(name).map(|(kind, c)| (kind, c.image().to_string()));
    assert_eq!(found("setup"), Some((ContainerKind::Init, "s:1".into())));
    assert_eq!(found("app"), Some((ContainerKind::Regular, "app:1".into())));
    assert_eq!(found("debug"), Some((ContainerKind::Ephemeral, "busybox:1".into())));
    assert_eq!(found("sidecar"), None);
}
