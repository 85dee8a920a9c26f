//! Pins of the survivors of the full tier-1 `cargo mutants` run of model/ (issue 13; all 2,368 mutants
//! at d7d1bfd) in the planning files: model/src/actions.rs, backoff.rs, coverage.rs, events.rs,
//! gates.rs, hash.rs, io.rs and kubelet/mod.rs. Each test's doc comment names the mutants it catches
//! as cargo-mutants names them, and the kubelet function whose behaviour it asserts; each was checked
//! to fail on its mutant by applying the mutation by hand, and again by re-running cargo-mutants on the
//! pinned list (/work/mutants/full/pinned-pins_plan.txt). The survivors that no test can observe are
//! argued in /work/mutants/full/reasons-pins_plan.md.
//!
//! Kubelet sources read: `computePodActions` of pkg/kubelet/kuberuntime/kuberuntime_manager.go after
//! kubernetes#134631 (the running container's restart reads the container's own restartPolicy only
//! with ContainerRestartRules; a 1.35 diff of it is read_file id 55775960992), and its kill messages
//! for containers in the unknown state (`"Container is in %q state, try killing it before restart"`,
//! `"Init container is in %q state, ..."`; kuberuntime_manager.go of 1.33+, read_file id 41926215).

use podsim_model::actions::{
    compute_pod_actions_into, compute_pod_actions_with, ContainerToKill, KillReason, PodActions,
};
use podsim_model::runtime::{ContainerProbes, ProbeResult, ProbeResults};
use podsim_model::shared_str::SharedStr;
use podsim_model::{
    compute_pod_actions, Container, ContainerKind, ContainerState, ContainerStatus, FeatureGates, Pod,
    RestartPolicy, RuntimePodStatus, SandboxState, SandboxStatus,
};

const NODE: &str = "node-1";

/// A pod `web` with these init and regular containers (image `img`) under the pod's `policy`.
fn pod(policy: RestartPolicy, inits: Vec<Container>, regular: Vec<Container>) -> Pod {
    let mut pod = Pod::new("web", "uid-web", NODE);
    pod.spec_mut().restart_policy = policy;
    pod.spec_mut().init_containers = inits;
    pod.spec_mut().containers = regular;
    pod
}

/// A container `name` with its own `restartPolicy`, if any.
fn container(name: &str, own_policy: Option<RestartPolicy>) -> Container {
    let mut c = Container::new(name, "img");
    c.restart_policy = own_policy;
    c
}

/// The pod's sandbox `s1` (attempt 0) in `state`, with an IP.
fn sandbox(state: SandboxState) -> SandboxStatus {
    SandboxStatus {
        id: "s1".into(),
        state,
        attempt: 0,
        ip: "10.0.0.1".into(),
        host_network: false,
        created_at: 0,
    }
}

/// The runtime's instance `<name>-1` of the pod's container `name` in `state` (exit code `code`),
/// made from its current spec (same hash).
fn instance(pod: &Pod, name: &str, state: ContainerState, code: i32) -> ContainerStatus {
    let (_, spec) = pod.all_containers().find(|(_, c)| c.name() == name).expect("a container of the pod");
    ContainerStatus {
        id: format!("{name}-1").into(),
        name: name.into(),
        state,
        exit_code: code,
        reason: SharedStr::EMPTY,
        hash: spec.hash(),
        restart_count: 0,
        sandbox_id: "s1".into(),
        image: "img".into(),
        created_at: 0,
        started_at: None,
        finished_at: None,
        resources: None,
    }
}

fn runtime(sandbox_state: SandboxState, containers: Vec<ContainerStatus>) -> RuntimePodStatus {
    RuntimePodStatus { sandboxes: vec![sandbox(sandbox_state)], containers }
}

fn gates_without_restart_rules() -> FeatureGates {
    FeatureGates { container_restart_rules: false, ..FeatureGates::default() }
}

/// The one kill of a plan.
fn only_kill(plan: &PodActions) -> &ContainerToKill {
    assert_eq!(plan.containers_to_kill.len(), 1, "{plan:?}");
    &plan.containers_to_kill[0]
}

/// Survivor: `model/src/actions.rs:257:25: replace match guard gates.container_restart_rules with true
/// in restart_running_container`.
///
/// `computePodActions` (kuberuntime_manager.go): a running container killed for a failed liveness
/// probe is restarted after `shouldRestartOnFailure(pod)`; only with ContainerRestartRules on does
/// the container's own `restartPolicy` replace the pod's (kubernetes#134631). A kubelet with the gate
/// off (its API server may have it on and keep the field) restarts an `Always` pod's container whose
/// own policy says Never; with the gate on it does not.
#[test]
fn without_container_restart_rules_a_probe_kill_restarts_after_the_pods_policy() {
    let p = pod(RestartPolicy::Always, vec![], vec![container("app", Some(RestartPolicy::Never))]);
    let status = runtime(SandboxState::Ready, vec![instance(&p, "app", ContainerState::Running, 0)]);
    let failed = ContainerProbes { liveness: Some(ProbeResult::Failure), ..ContainerProbes::default() };
    let probes = ProbeResults([("app-1".to_string(), failed)].into_iter().collect());

    let off = compute_pod_actions_with(&p, &status, &probes, &gates_without_restart_rules());
    assert_eq!(off.containers_to_start, vec![0], "gate off: the pod's Always restarts it");
    let kill = only_kill(&off);
    assert_eq!(kill.reason, KillReason::LivenessProbe);
    assert_eq!(kill.message, "Container app failed liveness probe, will be restarted");

    let on = compute_pod_actions_with(&p, &status, &probes, &FeatureGates::default());
    assert_eq!(on.containers_to_start, Vec::<usize>::new(), "gate on: its own Never keeps it down");
    assert_eq!(only_kill(&on).message, "Container app failed liveness probe");
}

/// Survivor: `model/src/actions.rs:463:29: replace match guard gates.container_restart_rules with true
/// in new_sandbox_actions`.
///
/// The `createPodSandbox` branch of `computePodActions`: with ContainerRestartRules off, a container
/// that succeeded is left out of the new sandbox only when the POD's policy is OnFailure; its own
/// `restartPolicy: OnFailure` is not read. An `Always` pod whose sandbox died after its container
/// exited 0 gets a new sandbox and starts the container again.
#[test]
fn without_container_restart_rules_a_new_sandbox_starts_a_succeeded_container_of_an_always_pod() {
    let p = pod(RestartPolicy::Always, vec![], vec![container("app", Some(RestartPolicy::OnFailure))]);
    let status = runtime(SandboxState::NotReady, vec![instance(&p, "app", ContainerState::Exited, 0)]);

    let off = compute_pod_actions_with(&p, &status, &ProbeResults::none(), &gates_without_restart_rules());
    assert!(off.kill_pod && off.create_sandbox, "gate off: a new sandbox: {off:?}");
    assert_eq!(off.containers_to_start, vec![0]);

    // With the gate on its own OnFailure is read: it succeeded, nothing is left to run, no sandbox.
    let on = compute_pod_actions_with(&p, &status, &ProbeResults::none(), &FeatureGates::default());
    assert!(on.kill_pod && !on.create_sandbox, "gate on: killed, not recreated: {on:?}");
    assert_eq!(on.containers_to_start, Vec::<usize>::new());
}

/// Survivors: `model/src/actions.rs:331:5: replace quoted_state -> &'static str with ""` and `... with
/// "xyzzy"`.
///
/// `computePodActions` kills a container in the unknown state before it restarts it, with the message
/// `Container is in "unknown" state, try killing it before restart` (`%q` of the state); for an init
/// container (`computeInitContainerActions`) `Init container is in "unknown" state, ...`. The message
/// is the one the kubelet's Killing event carries.
#[test]
fn a_container_in_the_unknown_state_is_killed_with_the_quoted_state_in_its_message() {
    let p = pod(RestartPolicy::Always, vec![], vec![container("app", None)]);
    let status = runtime(SandboxState::Ready, vec![instance(&p, "app", ContainerState::Unknown, 0)]);
    let plan = compute_pod_actions(&p, &status, &ProbeResults::none());
    assert_eq!(plan.containers_to_start, vec![0]);
    let kill = only_kill(&plan);
    assert_eq!((kill.kind, kill.reason), (ContainerKind::Regular, KillReason::Unknown));
    assert_eq!(kill.message, "Container is in \"unknown\" state, try killing it before restart");

    let p = pod(RestartPolicy::Always, vec![container("init", None)], vec![container("app", None)]);
    let status = runtime(SandboxState::Ready, vec![instance(&p, "init", ContainerState::Unknown, 0)]);
    let plan = compute_pod_actions(&p, &status, &ProbeResults::none());
    assert_eq!(plan.init_containers_to_start, vec![0]);
    let kill = only_kill(&plan);
    assert_eq!((kill.kind, kill.reason), (ContainerKind::Init, KillReason::Unknown));
    assert_eq!(kill.message, "Init container is in \"unknown\" state, try killing it before restart");
}

/// Survivor: `model/src/actions.rs:353:5: replace compute_pod_actions_into with ()`.
///
/// `computePodActions` planned into a reused `PodActions` (the resync hot path) gives the same plan as
/// a fresh one: whatever the buffer held from another pod's sync is replaced. A pod whose sandbox is
/// gone gets a new one after a stable pod's no-op plan, and the stable pod's no-op after that.
#[test]
fn planning_into_a_reused_plan_gives_the_fresh_plan() {
    let p = pod(RestartPolicy::Always, vec![], vec![container("app", None)]);
    let stable = runtime(SandboxState::Ready, vec![instance(&p, "app", ContainerState::Running, 0)]);
    let gone = RuntimePodStatus::default();
    let probes = ProbeResults::none();

    let mut plan = PodActions::default();
    compute_pod_actions_into(&p, &gone, &probes, &mut plan);
    assert_eq!(plan, compute_pod_actions(&p, &gone, &probes));
    assert!(plan.create_sandbox && plan.containers_to_start == vec![0], "{plan:?}");

    compute_pod_actions_into(&p, &stable, &probes, &mut plan);
    assert_eq!(plan, compute_pod_actions(&p, &stable, &probes));
    assert!(plan.is_noop(), "{plan:?}");
}

/// Survivor: `model/src/actions.rs:518:68: replace && with || in runs_init_containers_in_new_sandbox`.
///
/// The bug variant `InitContainersSkippedInNewSandbox` (kubernetes#47599: the 1.5-1.7 kubelet read
/// the init containers that COMPLETED in the old sandbox as done, `findNextInitContainerToRun`'s
/// `done`, and started the regular containers of a recreated sandbox at once): an init container
/// that exited non-zero, or still runs, has not completed, so even that kubelet runs the init
/// containers again in the new sandbox.
#[test]
fn with_the_skipped_init_bug_a_failed_or_running_init_container_still_runs_in_a_new_sandbox() {
    use podsim_model::actions::{compute_pod_actions_opts, PlanOptions};
    use podsim_model::kubelet::{KubeletBug, KubeletBugs};
    let options = PlanOptions {
        bugs: KubeletBugs::NONE.with(KubeletBug::InitContainersSkippedInNewSandbox),
        ..PlanOptions::default()
    };
    let p = pod(RestartPolicy::Always, vec![container("init", None)], vec![container("app", None)]);
    for (state, code) in [(ContainerState::Exited, 1), (ContainerState::Running, 0)] {
        let status = runtime(SandboxState::NotReady, vec![instance(&p, "init", state, code)]);
        let plan = compute_pod_actions_opts(&p, &status, &ProbeResults::none(), &options);
        assert!(plan.create_sandbox, "{state:?} {code}: {plan:?}");
        assert_eq!(plan.init_containers_to_start, vec![0], "{state:?} {code}: {plan:?}");
        assert_eq!(plan.containers_to_start, Vec::<usize>::new(), "{state:?} {code}: {plan:?}");
    }
    // The init container that completed is skipped (the bug itself).
    let done = runtime(SandboxState::NotReady, vec![instance(&p, "init", ContainerState::Exited, 0)]);
    let plan = compute_pod_actions_opts(&p, &done, &ProbeResults::none(), &options);
    assert_eq!((plan.init_containers_to_start, plan.containers_to_start), (vec![], vec![0]));
}

/// Survivor: `model/src/actions.rs:591:5: replace sort_kills with ()`.
///
/// `computePodActions` collects `ContainersToKill` in a map, which `SyncPod` step 3 kills one by one in
/// the map's order; podsim's plan fixes that order to the spec's (init containers, then regular, each
/// by index) so that a trace does not depend on how the plan was walked. `computeInitContainerActions`
/// walks the init containers backwards: two sidecars that failed their liveness probe are still
/// killed first to last, before the regular container that failed its own.
#[test]
fn containers_to_kill_are_in_spec_order() {
    use podsim_model::pod::Probe as ProbeSpec;
    let probed = |name: &str, own_policy: Option<RestartPolicy>| {
        let mut c = container(name, own_policy);
        c.liveness_probe = Some(ProbeSpec::exec(&["workload", "check", "live"]));
        c
    };
    let always = Some(RestartPolicy::Always);
    let p = pod(
        RestartPolicy::Always,
        vec![probed("sidecar-a", always), probed("sidecar-b", always)],
        vec![probed("app", None)],
    );
    let names = ["sidecar-a", "sidecar-b", "app"];
    let status = runtime(
        SandboxState::Ready,
        names.iter().map(|n| instance(&p, n, ContainerState::Running, 0)).collect(),
    );
    let failed = ContainerProbes { liveness: Some(ProbeResult::Failure), ..ContainerProbes::default() };
    let probes = ProbeResults(names.iter().map(|n| (format!("{n}-1"), failed)).collect());
    let plan = compute_pod_actions(&p, &status, &probes);
    let kills: Vec<(ContainerKind, usize, &str)> =
        plan.containers_to_kill.iter().map(|k| (k.kind, k.index, k.name.as_str())).collect();
    assert_eq!(
        kills,
        vec![
            (ContainerKind::Init, 0, "sidecar-a"),
            (ContainerKind::Init, 1, "sidecar-b"),
            (ContainerKind::Regular, 0, "app")
        ]
    );
    assert_eq!((plan.init_containers_to_start, plan.containers_to_start), (vec![0, 1], vec![0]));
}

/// Survivor: `model/src/actions.rs:720:38: replace && with || in restart_failed_init_container`.
///
/// `computeInitContainerActions`: a plain init container that failed is restarted after
/// `shouldRestartOnFailure(pod)`; only with ContainerRestartRules on is its own `restartPolicy` read
/// (`podutil.ContainerShouldRestart`). A kubelet with the gate off restarts the failed init container
/// of an `Always` pod though its own policy says Never; with the gate on the pod is killed.
#[test]
fn without_container_restart_rules_a_failed_init_container_restarts_after_the_pods_policy() {
    let p = pod(
        RestartPolicy::Always,
        vec![container("init", Some(RestartPolicy::Never))],
        vec![container("app", None)],
    );
    let status = runtime(SandboxState::Ready, vec![instance(&p, "init", ContainerState::Exited, 1)]);

    let off = compute_pod_actions_with(&p, &status, &ProbeResults::none(), &gates_without_restart_rules());
    assert!(!off.kill_pod, "gate off: {off:?}");
    assert_eq!(off.init_containers_to_start, vec![0], "gate off: the pod's Always restarts it");

    let on = compute_pod_actions_with(&p, &status, &ProbeResults::none(), &FeatureGates::default());
    assert!(on.kill_pod, "gate on: its own Never ends the pod: {on:?}");
    assert_eq!(on.init_containers_to_start, Vec::<usize>::new());
}

/// client-go's `TestIsInBackOffSinceUpdate` (util/flowcontrol/backoff_test.go; the same table as
/// kubernetes' pkg/util/backoff_test.go, read_file id 171869300): a backoff of 1 s to 10 s, asked at
/// each tick whether it is still backing off since its last update, bumped (`Next`) whenever it is
/// not.
///
/// Survivor: `model/src/backoff.rs:132:58: replace < with <= in Backoff::is_in_backoff_since_update`:
/// at exactly its duration after the last update (ticks 1, 3, 7, ...) the entry is no longer backing
/// off.
///
/// Survivor: `model/src/backoff.rs:144:75: replace + with * in Backoff::backoff_end_since_update`:
/// while it backs off, the backoff ends its duration after the last update (what ImagePullBackOff's
/// retry waits for).
///
/// Survivor: `model/src/backoff.rs:131:24: replace match guard self.expired(e, now) with false in
/// Backoff::is_in_backoff_since_update`. With the default reset period (twice the maximum) an expired
/// entry is also past its duration, so the table alone cannot tell; flowcontrol's `hasExpired` is
/// checked first all the same, and an entry whose reset period (`HasExpiredFunc`, here
/// [`Backoff::with_reset_after`]) is shorter than its duration is stale, not backing off, once that
/// period has passed.
#[test]
fn is_in_backoff_since_update() {
    use podsim_model::backoff::Backoff;
    let mut b = Backoff::new(1_000, 10_000);
    // (tick in seconds, in backoff, the backoff in seconds while in it)
    let cases: [(u64, bool, u64); 38] = [
        (0, false, 0),
        (1, false, 1),
        (2, true, 2),
        (3, false, 2),
        (4, true, 4),
        (5, true, 4),
        (6, true, 4),
        (7, false, 4),
        (8, true, 8),
        (9, true, 8),
        (10, true, 8),
        (11, true, 8),
        (12, true, 8),
        (13, true, 8),
        (14, true, 8),
        (15, false, 8),
        (16, true, 10),
        (17, true, 10),
        (18, true, 10),
        (19, true, 10),
        (20, true, 10),
        (21, true, 10),
        (22, true, 10),
        (23, true, 10),
        (24, true, 10),
        (25, false, 10),
        (26, true, 10),
        (27, true, 10),
        (28, true, 10),
        (29, true, 10),
        (30, true, 10),
        (31, true, 10),
        (32, true, 10),
        (33, true, 10),
        (34, true, 10),
        (35, false, 10),
        (56, false, 0),
        (57, false, 1),
    ];
    let mut last_update = 0;
    for (tick, in_backoff, value) in cases {
        let now = tick * 1_000;
        assert_eq!(b.is_in_backoff_since_update("id", now), in_backoff, "tick {tick}");
        if in_backoff {
            assert_eq!(b.get("id"), value * 1_000, "tick {tick}");
            let end = last_update + value * 1_000;
            assert_eq!(b.backoff_end_since_update("id", now), Some(end), "tick {tick}");
        } else {
            assert_eq!(b.backoff_end_since_update("id", now), None, "tick {tick}");
            b.next("id", now, now);
            last_update = now;
        }
    }

    // A reset period shorter than the backoff: stale after it, though the 10 s have not passed.
    let mut short = Backoff::new(10_000, 300_000).with_reset_after(5_000);
    short.next("id", 0, 0);
    assert!(short.is_in_backoff_since_update("id", 5_000), "within the reset period");
    assert!(!short.is_in_backoff_since_update("id", 5_001), "past the reset period: stale");
    assert_eq!(short.backoff_end_since_update("id", 5_001), None);
}

/// client-go's `TestSlowBackoff` (util/flowcontrol/backoff_test.go, read_file id 23386776295; the
/// same table as kubernetes' older pkg/util one, id 171869300): 1 s doubling to 50 s, read
/// before each bump a second apart; then `Reset` clears the key's backoff.
///
/// Survivors: `model/src/backoff.rs:166:9: replace Backoff::reset with ()` and
/// `model/src/backoff.rs:184:9: replace Backoff::len -> usize with 1`: `Reset(id)` forgets that key
/// only, and the backoff holds one entry per key bumped.
#[test]
fn slow_backoff_then_reset() {
    use podsim_model::backoff::Backoff;
    let mut b = Backoff::new(1_000, 50_000);
    let mut now = 0;
    for (ix, want) in [0, 1, 2, 4, 8, 16, 32, 50, 50, 50].into_iter().enumerate() {
        now += 1_000;
        assert_eq!(b.get("_idSlow"), want * 1_000, "input: {ix}");
        b.next("_idSlow", now, now);
    }
    b.next("_idSlow", now, now);
    b.next("other", now, now);
    assert_eq!(b.len(), 2, "one entry per key");
    b.reset("_idSlow");
    assert_eq!(b.get("_idSlow"), 0, "Reset clears the backoff");
    assert!(!b.is_in_backoff_since_update("_idSlow", now));
    assert_eq!((b.len(), b.get("other")), (1, 1_000), "the other key is kept");
}

/// The kubelet's container hash (`HashContainer`: FNV-1a 32 over go-spew's `%#v` of the JSON of
/// `{"image": ..., "name": ...}`) computed from the JSON text Go's `json.Marshal` writes, given here
/// as text: the bytes in decimal as `([]uint8)[123 34 ...]`.
fn kubelet_hash_of_json(json: &str) -> u64 {
    let bytes: Vec<String> = json.bytes().map(|b| b.to_string()).collect();
    let spew = format!("([]uint8)[{}]", bytes.join(" "));
    let mut h: u32 = 0x811c_9dc5;
    for b in spew.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    u64::from(h)
}

/// Go's `encodeStringTests` (encoding/json encode_test.go of Go 1.22+, read_file id 42483131: since
/// Go 1.22 `\b` and `\f` have short escapes), plus U+2028 and U+2029, which `appendString` escapes
/// unconditionally (encode.go, id 7125425303), and the HTML characters `json.Marshal` escapes: an
/// image whose name holds the character hashes as the kubelet's `HashContainer` of the JSON that Go
/// writes for it (the `io.kubernetes.container.hash` annotation). The reference hash is checked
/// against the kubelet's own vector first (`TestHashContainer`: 8e45cbd0).
///
/// Survivors: `model/src/hash.rs:70:17: delete match arm '\r' in SpewBytes::json_string`,
/// `model/src/hash.rs:72:17: delete match arm '\u{8}' in SpewBytes::json_string`,
/// `model/src/hash.rs:73:17: delete match arm '\u{c}' in SpewBytes::json_string` and
/// `model/src/hash.rs:81:17: delete match arm '\u{2029}' in SpewBytes::json_string`.
#[test]
fn the_container_hash_escapes_the_image_as_go_json_marshal_does() {
    let vector = kubelet_hash_of_json(r#"{"image":"foo/image:v1","name":"test_container"}"#);
    assert_eq!(podsim_model::format_hash(vector), "8e45cbd0", "the reference hash is the kubelet's");

    let mut cases: Vec<(String, String)> = (0u8..0x20)
        .map(|b| {
            let out = match b {
                0x08 => r"\b".to_string(),
                0x09 => r"\t".to_string(),
                0x0a => r"\n".to_string(),
                0x0c => r"\f".to_string(),
                0x0d => r"\r".to_string(),
                _ => format!(r"\u{b:04x}"),
            };
            (char::from(b).to_string(), out)
        })
        .collect();
    for (input, out) in [
        ("\u{2028}", r"\u2028"),
        ("\u{2029}", r"\u2029"),
        ("<", r"\u003c"),
        (">", r"\u003e"),
        ("&", r"\u0026"),
        ("\"", r#"\""#),
        ("\\", r"\\"),
        ("✭", "✭"),
    ] {
        cases.push((input.to_string(), out.to_string()));
    }
    for (input, out) in cases {
        let image = format!("reg/img{input}x:1");
        let json = format!(r#"{{"image":"reg/img{out}x:1","name":"app"}}"#);
        assert_eq!(
            podsim_model::hash_container("app", &image),
            kubelet_hash_of_json(&json),
            "{input:?} -> {out}"
        );
    }
}

/// Survivors: `model/src/kubelet/mod.rs:440:9: replace Kubelet::on_active_deadline with ()` and
/// `model/src/kubelet/mod.rs:441:21: replace == with != in Kubelet::on_active_deadline`.
///
/// The active deadline handler's `ShouldSync` (pkg/kubelet/active_deadline.go): once a running pod's
/// `activeDeadlineSeconds` have passed, the sync loop's one-second tick dispatches its sync at once,
/// and `generateAPIPodStatus` (`ShouldEvict`) turns it Failed with reason DeadlineExceeded and stops
/// its container; it does not wait for the periodic resync (a minute).
#[test]
fn a_pod_past_its_active_deadline_fails_within_the_next_second() {
    use podsim_model::kubelet::{DEADLINE_EXCEEDED, DEADLINE_EXCEEDED_MESSAGE};
    use podsim_model::PodPhase;
    let mut w = crate::common::World::new();
    let mut p = Pod::new("job", "uid-job", crate::common::NODE);
    p.spec_mut().active_deadline_seconds = Some(5);
    p.spec_mut().containers.push(Container::new("app", "app:1"));
    w.create_pod(p);
    w.run_for(4_000);
    assert_eq!(w.api.statuses["uid-job"].phase, PodPhase::Running, "before its deadline");
    assert!(w.running("uid-job", "app"));

    w.run_for(3_000);
    let status = &w.api.statuses["uid-job"];
    assert_eq!(status.phase, PodPhase::Failed, "within a second past its deadline: {status:?}");
    assert_eq!(
        (status.reason.as_str(), status.message.as_str()),
        (DEADLINE_EXCEEDED, DEADLINE_EXCEEDED_MESSAGE)
    );
    assert!(!w.running("uid-job", "app"), "its container is stopped");
}
