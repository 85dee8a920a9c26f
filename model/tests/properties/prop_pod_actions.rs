//! Property-based tests of `compute_pod_actions`, the port of the kubelet's `computePodActions`
//! (pkg/kubelet/kuberuntime/kuberuntime_manager.go, default feature gates of 1.33+).
//!
//! Each `proptest!` below guards one rule of the kubelet, named after it, with the rule in words in its
//! doc comment. The inputs are random pods (init containers, some of them sidecars, regular and
//! ephemeral containers, any restart policy, host network or not, being deleted or not) and random
//! runtime states (sandboxes newest first, any number of statuses per container newest first, in any
//! state, with old or current spec hashes) with random cached probe results.
//!
//! The convergence properties drive a small runtime, [`Runtime`], that obeys each plan the way the
//! kubelet's `SyncPod` carries it out (kill, create the sandbox, start ephemeral, init, then regular
//! containers) and then lets the world make progress (plain init containers run to completion, the
//! prober reports success).

use podsim_model::SharedStr;
use std::collections::BTreeSet;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use podsim_model::actions::compute_pod_actions_with;
use podsim_model::{
    compute_pod_actions, Container, ContainerKind, ContainerProbes, ContainerState, ContainerStatus,
    FeatureGates, KillReason, Pod, PodActions, ProbeResult, ProbeResults, RestartPolicy, RuntimePodStatus,
    SandboxState, SandboxStatus,
};

/// How many plan-and-apply rounds the convergence properties allow. A pod needs at most one round for
/// a new sandbox (which also starts the first init container), one per further init container, one for
/// the regular containers and one to see that all is well: 6 with 3 init containers.
const ROUNDS: usize = 10;

/// Images the generated containers run.
const IMAGES: [&str; 3] = ["registry.local/app:1", "registry.local/app:2", "busybox"];

/// One generated input: a pod, what the runtime holds for it, the cached probe results, and whether
/// the runtime manages to purge the init containers when the kubelet makes a new sandbox
/// (`purgeInitContainers` tolerates removal failures, so both happen).
#[derive(Clone, Debug)]
struct Case {
    pod: Pod,
    status: RuntimePodStatus,
    probes: ProbeResults,
    purge_init_containers: bool,
}

fn container(name: String, image: usize, startup: bool, liveness: bool) -> Container {
    let mut c = Container::new(name, IMAGES[image]);
    c.startup_probe = startup.then(|| podsim_model::pod::Probe::exec(&["workload", "check", "started"]));
    c.liveness_probe = liveness.then(|| podsim_model::pod::Probe::exec(&["workload", "check", "live"]));
    c
}

fn restart_policy_strategy() -> impl Strategy<Value = RestartPolicy> {
    prop_oneof![Just(RestartPolicy::Always), Just(RestartPolicy::OnFailure), Just(RestartPolicy::Never)]
}

prop_compose! {
    /// A pod with 0-3 init containers (sidecars or not, with or without probes), 1-4 regular
    /// containers, 0-1 ephemeral containers, all names unique.
    fn pod_strategy()(
        inits in vec((any::<bool>(), any::<bool>(), any::<bool>(), 0..IMAGES.len()), 0..=3),
        regulars in vec((any::<bool>(), any::<bool>(), 0..IMAGES.len()), 1..=4),
        ephemerals in vec(0..IMAGES.len(), 0..=1),
        restart_policy in restart_policy_strategy(),
        host_network in any::<bool>(),
        deletion_timestamp in option::weighted(0.25, 1u64..1_000_000),
    ) -> Pod {
        let mut pod = Pod::new("web", "uid-1", "node-1");
        pod.spec_mut().restart_policy = restart_policy;
        pod.spec_mut().host_network = host_network;
        pod.deletion_timestamp = deletion_timestamp;
        for (i, (sidecar, startup, liveness, image)) in inits.into_iter().enumerate() {
            let mut c = container(format!("init-{i}"), image, startup, liveness);
            if sidecar {
                c.restart_policy = Some(RestartPolicy::Always);
            }
            pod.spec_mut().init_containers.push(c);
        }
        for (i, (startup, liveness, image)) in regulars.into_iter().enumerate() {
            pod.spec_mut().containers.push(container(format!("app-{i}"), image, startup, liveness));
        }
        for (i, image) in ephemerals.into_iter().enumerate() {
            pod.spec_mut().ephemeral_containers.push(container(format!("debug-{i}"), image, false, false));
        }
        pod
    }
}

/// One generated sandbox: ready (if it is the newest), ready (if it is an older one), attempt, has an
/// IP, network mode matches the pod's. Weighted so that about half the cases have a usable sandbox.
type SandboxSeed = (bool, bool, u32, bool, bool);

fn sandbox_seed() -> impl Strategy<Value = SandboxSeed> {
    (
        prop::bool::weighted(0.85),
        prop::bool::weighted(0.15),
        0u32..6,
        prop::bool::weighted(0.9),
        prop::bool::weighted(0.9),
    )
}

/// One generated container status: which container (index into `all_containers`), state, exit code,
/// OOM-killed, made from an old spec, liveness and startup results, index of its sandbox.
type StatusSeed = (usize, ContainerState, i32, bool, bool, Option<ProbeResult>, Option<ProbeResult>, usize);

fn probe_result() -> impl Strategy<Value = Option<ProbeResult>> {
    option::weighted(
        0.45,
        prop_oneof![Just(ProbeResult::Success), Just(ProbeResult::Failure), Just(ProbeResult::Unknown)],
    )
}

fn status_seed(containers: usize) -> impl Strategy<Value = StatusSeed> {
    (
        0..containers,
        prop_oneof![
            4 => Just(ContainerState::Running),
            3 => Just(ContainerState::Exited),
            1 => Just(ContainerState::Created),
            1 => Just(ContainerState::Unknown),
        ],
        prop_oneof![Just(0), Just(1), Just(137)],
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.35),
        probe_result(),
        probe_result(),
        0usize..4,
    )
}

fn build_case(
    pod: Pod,
    sandboxes: Vec<SandboxSeed>,
    statuses: Vec<StatusSeed>,
    purge_init_containers: bool,
) -> Case {
    let mut status = RuntimePodStatus::default();
    let count = sandboxes.len() as u64;
    for (i, (ready_if_newest, ready_if_older, attempt, has_ip, same_network)) in
        sandboxes.into_iter().enumerate()
    {
        let ready = if i == 0 { ready_if_newest } else { ready_if_older };
        status.sandboxes.push(SandboxStatus {
            id: format!("sandbox-{i}").into(),
            state: if ready { SandboxState::Ready } else { SandboxState::NotReady },
            attempt,
            ip: if has_ip { format!("10.0.0.{}", i + 1).into() } else { String::new().into() },
            host_network: if same_network { pod.spec.host_network } else { !pod.spec.host_network },
            created_at: 1000 * (count - i as u64),
        });
    }
    let specs: Vec<&Container> = pod.all_containers().map(|(_, c)| c).collect();
    let mut probes = ProbeResults::none();
    let count = statuses.len() as u64;
    for (i, (which, state, exit_code, oom, old_spec, liveness, startup, sandbox)) in
        statuses.into_iter().enumerate()
    {
        let spec = specs[which];
        let id = format!("container-{i}");
        if liveness.is_some() || startup.is_some() {
            probes.0.insert(id.clone(), ContainerProbes { liveness, startup, readiness: None });
        }
        status.containers.push(ContainerStatus {
            id: id.into(),
            name: spec.name().to_string().into(),
            state,
            exit_code,
            reason: if oom { "OOMKilled".to_string().into() } else { String::new().into() },
            hash: if old_spec { spec.hash() ^ 0x5a5a } else { spec.hash() },
            restart_count: 0,
            sandbox_id: status.sandboxes.get(sandbox).map(|s| s.id.clone()).unwrap_or_default(),
            image: spec.image().to_string().into(),
            created_at: 1000 * (count - i as u64),
            started_at: None,
            finished_at: None,
            resources: None,
        });
    }
    Case { pod, status, probes, purge_init_containers }
}

/// Any pod, any runtime state.
fn case_strategy() -> impl Strategy<Value = Case> {
    pod_strategy()
        .prop_flat_map(|pod| {
            let n = pod.all_containers().count();
            (Just(pod), vec(sandbox_seed(), 0..=3), vec(status_seed(n), 0..=8), any::<bool>())
        })
        .prop_map(|(pod, sandboxes, statuses, purge)| build_case(pod, sandboxes, statuses, purge))
}

/// Pods that are not being deleted, any restart policy.
fn live_case_strategy() -> impl Strategy<Value = Case> {
    case_strategy().prop_map(|mut case| {
        case.pod.deletion_timestamp = None;
        case
    })
}

/// Pods that can be stable: restart policy Always and not being deleted.
fn stable_case_strategy() -> impl Strategy<Value = Case> {
    live_case_strategy().prop_map(|mut case| {
        case.pod.spec_mut().restart_policy = RestartPolicy::Always;
        case
    })
}

/// Makes the newest sandbox usable (adding one if there is none): ready, with the pod's network mode
/// and an IP; the older ones not ready.
fn make_sandbox_usable(case: &mut Case) {
    if case.status.sandboxes.is_empty() {
        case.status.sandboxes.push(SandboxStatus {
            id: "sandbox-0".to_string().into(),
            state: SandboxState::Ready,
            attempt: 0,
            ip: String::new().into(),
            host_network: false,
            created_at: 1000,
        });
    }
    for s in &mut case.status.sandboxes {
        s.state = SandboxState::NotReady;
    }
    let newest = &mut case.status.sandboxes[0];
    newest.state = SandboxState::Ready;
    newest.host_network = case.pod.spec.host_network;
    if newest.ip.is_empty() {
        newest.ip = "10.0.0.100".to_string().into();
    }
}

/// Any pod in a usable sandbox.
fn usable_case_strategy() -> impl Strategy<Value = Case> {
    case_strategy().prop_map(|mut case| {
        make_sandbox_usable(&mut case);
        case
    })
}

/// Marks the pod as being deleted.
fn being_deleted(mut case: Case) -> Case {
    case.pod.deletion_timestamp.get_or_insert(1);
    case
}

/// Pods still initialising in a usable sandbox: no regular container created or running (those
/// statuses are turned into exited ones, as after a node reboot), the newest sandbox ready with the
/// pod's network mode and an IP, the older ones not ready; and, more often than not, a newest status
/// of an init container that exited (with any code, OOM-killed or not), is in an unknown state, or
/// runs (with or without a startup probe verdict), and no status for the init containers after it.
fn initialising_case_strategy() -> impl Strategy<Value = Case> {
    let last_init = (
        option::weighted(0.6, any::<prop::sample::Index>()),
        prop_oneof![
            2 => Just(ContainerState::Exited),
            1 => Just(ContainerState::Unknown),
            2 => Just(ContainerState::Running),
        ],
        prop_oneof![Just(0), Just(1), Just(137)],
        prop::bool::weighted(0.2),
        probe_result(),
    );
    (case_strategy(), last_init).prop_map(|(mut case, (init, state, exit_code, oom, startup))| {
        let regular: BTreeSet<String> =
            case.pod.spec.containers.iter().map(|c| c.name().to_string()).collect();
        for c in &mut case.status.containers {
            if regular.contains(c.name.as_str())
                && matches!(c.state, ContainerState::Created | ContainerState::Running)
            {
                c.state = ContainerState::Exited;
            }
        }
        make_sandbox_usable(&mut case);
        let newest = &case.status.sandboxes[0];
        let inits = &case.pod.spec.init_containers;
        if let Some(i) = init.filter(|_| !inits.is_empty()).map(|i| i.index(inits.len())) {
            // It is the latest init container to have run: those after it have no status.
            let later: BTreeSet<&str> = inits[i + 1..].iter().map(|c| c.name()).collect();
            case.status.containers.retain(|c| !later.contains(c.name.as_str()));
            let spec = &inits[i];
            if startup.is_some() {
                case.probes.0.insert(
                    "container-init".to_string(),
                    ContainerProbes { liveness: None, startup, readiness: None },
                );
            }
            case.status.containers.insert(
                0,
                ContainerStatus {
                    id: "container-init".to_string().into(),
                    name: spec.name().to_string().into(),
                    state,
                    exit_code,
                    reason: if oom { "OOMKilled".to_string().into() } else { String::new().into() },
                    hash: spec.hash(),
                    restart_count: 0,
                    sandbox_id: newest.id.clone(),
                    image: spec.image().to_string().into(),
                    created_at: 1_000_000,
                    started_at: None,
                    finished_at: None,
                    resources: None,
                },
            );
        }
        case
    })
}

/// `FindContainerStatusByName`: the newest status of a container.
fn newest<'a>(status: &'a RuntimePodStatus, name: &str) -> Option<&'a ContainerStatus> {
    status.containers.iter().find(|c| c.name == name)
}

/// The kubelet's `PodSandboxChanged` returning false, written out independently of the model: at most
/// one ready sandbox, and it is the newest, with the pod's network mode and, off the host network, an IP.
fn sandbox_is_usable(pod: &Pod, status: &RuntimePodStatus) -> bool {
    let Some(newest) = status.sandboxes.first() else { return false };
    let ready = status.sandboxes.iter().filter(|s| s.state == SandboxState::Ready).count();
    ready == 1
        && newest.state == SandboxState::Ready
        && newest.host_network == pod.spec.host_network
        && (pod.spec.host_network || !newest.ip.is_empty())
}

fn starts_anything(actions: &PodActions) -> bool {
    !actions.init_containers_to_start.is_empty()
        || !actions.containers_to_start.is_empty()
        || !actions.ephemeral_containers_to_start.is_empty()
}

fn has_failed_probe(probes: &ProbeResults, id: &str) -> bool {
    probes.liveness(id) == Some(ProbeResult::Failure) || probes.startup(id) == Some(ProbeResult::Failure)
}

/// The kubelet's `isInitContainerFailed`: OOM-killed, exited non-zero, or in an unknown state.
fn init_container_failed(st: &ContainerStatus) -> bool {
    st.reason == "OOMKilled"
        || (st.state == ContainerState::Exited && st.exit_code != 0)
        || st.state == ContainerState::Unknown
}

/// Whether some regular container was created or runs (the kubelet's `podHasInitialized` seed in
/// `computeInitContainerActions`: initialisation finished in the past).
fn regular_container_created_or_running(pod: &Pod, status: &RuntimePodStatus) -> bool {
    pod.spec.containers.iter().any(|c| {
        newest(status, c.name())
            .is_some_and(|s| matches!(s.state, ContainerState::Created | ContainerState::Running))
    })
}

/// A container runtime, and a world around it, that does what the kubelet asks.
#[derive(Clone, Debug, PartialEq)]
struct Runtime {
    status: RuntimePodStatus,
    probes: ProbeResults,
    purge_init_containers: bool,
    next_id: usize,
}

impl Runtime {
    fn new(case: &Case) -> Runtime {
        Runtime {
            status: case.status.clone(),
            probes: case.probes.clone(),
            purge_init_containers: case.purge_init_containers,
            next_id: 0,
        }
    }

    fn fresh_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-new-{}", self.next_id)
    }

    /// Stops a container: running ones exit with 137 (SIGKILL), others keep their exit code.
    fn stop(probes: &mut ProbeResults, c: &mut ContainerStatus) {
        if c.state == ContainerState::Running {
            c.exit_code = 137;
        }
        c.state = ContainerState::Exited;
        probes.0.remove(c.id.as_str());
    }

    /// Carries out a plan in the order of the kubelet's `SyncPod`.
    fn apply(&mut self, pod: &Pod, actions: &PodActions) {
        // Steps 2 and 3: kill the whole pod, or only the containers that must go.
        if actions.kill_pod {
            for c in &mut self.status.containers {
                if c.state != ContainerState::Exited {
                    Self::stop(&mut self.probes, c);
                }
            }
            for s in &mut self.status.sandboxes {
                s.state = SandboxState::NotReady;
            }
            if actions.create_sandbox && self.purge_init_containers {
                // `purgeInitContainers`.
                let inits: BTreeSet<&str> = pod.spec.init_containers.iter().map(|c| c.name()).collect();
                let probes = &mut self.probes;
                self.status.containers.retain(|c| {
                    let keep = !inits.contains(c.name.as_str());
                    if !keep {
                        probes.0.remove(c.id.as_str());
                    }
                    keep
                });
            }
        } else {
            for kill in &actions.containers_to_kill {
                if let Some(c) = self.status.containers.iter_mut().find(|c| c.id == kill.id) {
                    Self::stop(&mut self.probes, c);
                    c.exit_code = 137;
                    c.reason = String::new().into();
                }
            }
        }
        // Step 4: create the sandbox.
        let sandbox_id = if actions.create_sandbox {
            let id = self.fresh_id("sandbox");
            let ip = if pod.spec.host_network { String::new() } else { format!("10.1.0.{}", self.next_id) };
            self.status.sandboxes.insert(
                0,
                SandboxStatus {
                    id: id.clone().into(),
                    state: SandboxState::Ready,
                    attempt: actions.attempt,
                    ip: ip.into(),
                    host_network: pod.spec.host_network,
                    created_at: 0,
                },
            );
            id
        } else {
            actions.sandbox_id.clone()
        };
        // A container cannot be created in a sandbox that is gone or stopped: such starts fail.
        if !self.status.sandboxes.iter().any(|s| s.id == sandbox_id && s.state == SandboxState::Ready) {
            return;
        }
        // Steps 5 to 7: ephemeral, init, regular containers.
        for &i in &actions.ephemeral_containers_to_start {
            self.start(&pod.spec.ephemeral_containers[i], ContainerState::Running, &sandbox_id);
        }
        for &i in &actions.init_containers_to_start {
            let c = &pod.spec.init_containers[i];
            // A plain init container is modelled as having run to completion at once.
            let state = if c.is_restartable_init_container() {
                ContainerState::Running
            } else {
                ContainerState::Exited
            };
            self.start(c, state, &sandbox_id);
        }
        for &i in &actions.containers_to_start {
            self.start(&pod.spec.containers[i], ContainerState::Running, &sandbox_id);
        }
    }

    fn start(&mut self, spec: &Container, state: ContainerState, sandbox_id: &str) {
        let restart_count = newest(&self.status, spec.name()).map_or(0, |c| c.restart_count + 1);
        let id = self.fresh_id(spec.name());
        self.status.containers.insert(
            0,
            ContainerStatus {
                id: id.into(),
                name: spec.name().to_string().into(),
                state,
                exit_code: 0,
                reason: String::new().into(),
                hash: spec.hash(),
                restart_count,
                sandbox_id: sandbox_id.to_string().into(),
                image: spec.image().to_string().into(),
                created_at: 0,
                started_at: None,
                finished_at: None,
                resources: None,
            },
        );
    }

    /// A healthy world between two syncs: plain init containers that run finish with exit code 0, and
    /// the prober gives a verdict of success to every running container's probes that have none.
    fn progress(&mut self, pod: &Pod) {
        for c in &mut self.status.containers {
            if c.state != ContainerState::Running {
                continue;
            }
            let Some((kind, spec)) = pod.find_container(&c.name) else { continue };
            if kind == ContainerKind::Init && !spec.is_restartable_init_container() {
                c.state = ContainerState::Exited;
                c.exit_code = 0;
                c.reason = String::new().into();
                continue;
            }
            let probes = self.probes.0.entry(c.id.to_string()).or_default();
            if spec.has_startup_probe() && probes.startup != Some(ProbeResult::Failure) {
                probes.startup = Some(ProbeResult::Success);
            }
            if spec.has_liveness_probe() && probes.liveness != Some(ProbeResult::Failure) {
                probes.liveness = Some(ProbeResult::Success);
            }
        }
    }

    /// Plans and applies until the plan is a no-op and the world makes no more progress on its own, or
    /// `ROUNDS` plans were carried out; returns the plans carried out and the last plan computed.
    fn settle(&mut self, pod: &Pod) -> (Vec<PodActions>, PodActions) {
        let mut history = Vec::new();
        while history.len() < ROUNDS {
            let plan = compute_pod_actions(pod, &self.status, &self.probes);
            if plan.is_noop() {
                // The kubelet may be waiting (for a plain init container to finish, for a probe's
                // verdict): give the world a turn, and stop only if it had nothing left to do.
                let before = (self.status.clone(), self.probes.clone());
                self.progress(pod);
                if (&self.status, &self.probes) == (&before.0, &before.1) {
                    return (history, plan);
                }
                continue;
            }
            self.apply(pod, &plan);
            self.progress(pod);
            history.push(plan);
        }
        let last = compute_pod_actions(pod, &self.status, &self.probes);
        (history, last)
    }
}

/// 256 cases each (the default), from a fixed seed unless `PROPTEST_RNG_SEED` is set (`crate::seed`);
/// no failure persistence, as a regressions file next to this one is not wanted: a failure prints its
/// minimal input, which belongs in a unit test.
fn config() -> ProptestConfig {
    let defaults = ProptestConfig::default();
    ProptestConfig { rng_seed: crate::seed(&defaults), failure_persistence: None, ..defaults }
}

proptest! {
    #![proptest_config(config())]

    /// A pod that can be stable (restart policy Always, not being deleted) reaches a plan with nothing
    /// to do once the runtime carries out the kubelet's plans and the world is healthy, and planning
    /// again from there keeps changing nothing: the kubelet's sync loop settles instead of killing or
    /// restarting containers forever. Any starting state qualifies, probe failures included: under
    /// Always every failed, changed, exited or unknown container is restarted as a fresh one, which has
    /// no failed probe.
    #[test]
    fn planning_is_idempotent(case in stable_case_strategy()) {
        let mut runtime = Runtime::new(&case);
        let (history, last) = runtime.settle(&case.pod);
        prop_assert!(
            last.is_noop(),
            "a stable pod's plan must become a no-op within {} rounds; plans: {:#?}\nlast plan: {:#?}\nruntime: {:#?}",
            ROUNDS, history, last, runtime.status
        );
        let before = runtime.clone();
        runtime.apply(&case.pod, &last);
        prop_assert_eq!(&runtime, &before, "carrying out a no-op plan must change nothing");
        let again = compute_pod_actions(&case.pod, &runtime.status, &runtime.probes);
        prop_assert!(again.is_noop(), "planning again after a no-op plan must give a no-op: {:#?}", again);
    }

    /// Once a stable pod (restart policy Always, not being deleted) has settled, it runs what its spec
    /// says: one usable sandbox, every regular container and every sidecar running from the current
    /// spec (hash) and without a failed probe the kubelet acts on, and every ephemeral container
    /// started once.
    #[test]
    fn settled_stable_pod_runs_its_spec(case in stable_case_strategy()) {
        let pod = &case.pod;
        let mut runtime = Runtime::new(&case);
        let (history, last) = runtime.settle(pod);
        prop_assert!(last.is_noop(), "a stable pod's plan must become a no-op; plans: {:#?}", history);
        let status = &runtime.status;
        prop_assert!(sandbox_is_usable(pod, status), "a settled pod must have a usable sandbox: {:#?}", status);
        let must_run = pod
            .spec
            .containers
            .iter()
            .chain(pod.spec.init_containers.iter().filter(|c| c.is_restartable_init_container()));
        for c in must_run {
            let st = newest(status, c.name());
            prop_assert!(
                st.is_some_and(|s| s.state == ContainerState::Running && s.hash == c.hash()),
                "every regular container and sidecar of a settled pod must run its current spec; {} is {:?}",
                c.name(), st
            );
        }
        for c in &pod.spec.containers {
            let id = &newest(status, c.name()).expect("checked above").id;
            prop_assert!(
                !has_failed_probe(&runtime.probes, id),
                "no regular container of a settled pod may keep running with a failed probe: {}", c.name()
            );
        }
        for c in pod.spec.init_containers.iter().filter(|c| c.is_restartable_init_container()) {
            let id = &newest(status, c.name()).expect("checked above").id;
            let failed = (c.has_liveness_probe() && runtime.probes.liveness(id) == Some(ProbeResult::Failure))
                || (c.has_startup_probe() && runtime.probes.startup(id) == Some(ProbeResult::Failure));
            prop_assert!(!failed, "no sidecar of a settled pod may keep running with a failed probe: {}", c.name());
        }
        for c in &pod.spec.ephemeral_containers {
            prop_assert!(
                newest(status, c.name()).is_some(),
                "every ephemeral container of a settled pod must have been started; {} was not", c.name()
            );
        }
    }

    /// Whatever the restart policy, a pod that is not being deleted reaches a fixed point: a plan that,
    /// carried out, changes nothing in the runtime. It is either a no-op or, for a pod that is done
    /// (Never/OnFailure with nothing left to run), a bare `kill_pod` that creates and starts nothing.
    /// (A pod being deleted is left out: the kubelet hands it to `killPod`, never to
    /// `computePodActions`, and `computePodActions` alone would recreate its sandbox and rerun its init
    /// containers, then kill it again as no regular container may start, round after round.)
    #[test]
    fn planning_reaches_a_fixed_point_under_any_restart_policy(case in live_case_strategy()) {
        let pod = &case.pod;
        let mut runtime = Runtime::new(&case);
        let mut history = Vec::new();
        let mut fixed = None;
        for _ in 0..ROUNDS {
            let plan = compute_pod_actions(pod, &runtime.status, &runtime.probes);
            let before = runtime.clone();
            runtime.apply(pod, &plan);
            runtime.progress(pod);
            if runtime.status == before.status {
                fixed = Some(plan);
                break;
            }
            history.push(plan);
        }
        let Some(plan) = fixed else {
            return Err(TestCaseError::fail(format!(
                "a pod not being deleted must reach a fixed point within {ROUNDS} rounds; plans: {history:#?}"
            )));
        };
        prop_assert!(
            plan.is_noop() || (plan.kill_pod && !plan.create_sandbox && !starts_anything(&plan)),
            "a fixed point must be a no-op or a bare kill of a finished pod: {:#?}", plan
        );
    }

    /// No container is started without a sandbox to run in: any planned start (init, regular or
    /// ephemeral) comes with either a new sandbox or the newest sandbox, which is ready, as
    /// `sandbox_id`.
    #[test]
    fn no_start_without_a_ready_sandbox(case in case_strategy()) {
        let actions = compute_pod_actions(&case.pod, &case.status, &case.probes);
        if starts_anything(&actions) && !actions.create_sandbox {
            let newest = case.status.sandboxes.first();
            prop_assert!(
                newest.is_some_and(|s| s.state == SandboxState::Ready && s.id == actions.sandbox_id),
                "containers may start only in a new sandbox or in the newest, ready one; plan {:#?}, sandboxes {:#?}",
                actions, case.status.sandboxes
            );
        }
    }

    /// A new sandbox's attempt number is the newest sandbox's attempt + 1 (0 for the first), and a
    /// kept sandbox reports its own attempt, whatever the attempts of older sandboxes: the kubelet's
    /// `PodSandboxChanged` reads `SandboxStatuses[0].Metadata.Attempt` only. (The attempts generated
    /// here are in any order; the runtime lists sandboxes newest first.)
    #[test]
    fn sandbox_attempt_follows_the_newest_sandbox(case in case_strategy()) {
        let actions = compute_pod_actions(&case.pod, &case.status, &case.probes);
        match case.status.sandboxes.first() {
            None => prop_assert_eq!(actions.attempt, 0, "the first sandbox must have attempt 0"),
            Some(newest) if sandbox_is_usable(&case.pod, &case.status) => {
                prop_assert_eq!(actions.attempt, newest.attempt, "a kept sandbox keeps its attempt")
            }
            Some(newest) => {
                prop_assert_eq!(actions.attempt, newest.attempt + 1, "a new sandbox follows the newest one")
            }
        }
    }

    /// A sandbox that is not usable (none, several ready, newest not ready, network mode changed, no
    /// IP) means the pod is killed and, if it is recreated, restarted from scratch: no individual kill,
    /// no ephemeral container, only the first init container if there are any, else every regular
    /// container except (under OnFailure) those that succeeded. The kubelet does not recreate it when
    /// the restart policy is Never and containers already ran in an earlier sandbox, nor when no regular
    /// container is left to run and one was created before. A usable sandbox is never replaced.
    #[test]
    fn unusable_sandbox_means_kill_and_start_from_scratch(case in case_strategy()) {
        let pod = &case.pod;
        let status = &case.status;
        let actions = compute_pod_actions(pod, status, &case.probes);
        if sandbox_is_usable(pod, status) {
            prop_assert!(!actions.create_sandbox, "a usable sandbox must not be replaced: {:#?}", actions);
            return Ok(());
        }
        prop_assert!(actions.kill_pod, "a pod without a usable sandbox must be killed: {:#?}", actions);
        prop_assert!(
            actions.containers_to_kill.is_empty() && actions.ephemeral_containers_to_start.is_empty(),
            "a pod without a usable sandbox is killed whole and starts no ephemeral container: {:#?}", actions
        );
        let succeeded = |c: &Container| {
            newest(status, c.name()).is_some_and(|s| s.state == ContainerState::Exited && s.exit_code == 0)
        };
        let to_start: Vec<usize> = pod
            .spec
            .containers
            .iter()
            .enumerate()
            .filter(|(_, c)| !(pod.spec.restart_policy == RestartPolicy::OnFailure && succeeded(c)))
            .map(|(i, _)| i)
            .collect();
        let regular_created = pod.spec.containers.iter().any(|c| newest(status, c.name()).is_some_and(|s| {
            matches!(s.state, ContainerState::Created | ContainerState::Running | ContainerState::Exited)
        }));
        let ran_before = pod.spec.restart_policy == RestartPolicy::Never
            && !status.sandboxes.is_empty()
            && !status.containers.is_empty();
        let nothing_left = to_start.is_empty() && regular_created;
        if ran_before || nothing_left {
            prop_assert!(
                !actions.create_sandbox && !starts_anything(&actions),
                "a finished pod (Never and ran before: {}, nothing left to run: {}) must only be killed: {:#?}",
                ran_before, nothing_left, actions
            );
        } else {
            prop_assert!(actions.create_sandbox, "a pod without a usable sandbox must get a new one: {:#?}", actions);
            if pod.spec.init_containers.is_empty() {
                prop_assert_eq!(
                    &actions.containers_to_start, &to_start,
                    "without init containers a new sandbox starts every regular container still to run"
                );
                prop_assert!(actions.init_containers_to_start.is_empty(), "no init container to start");
            } else {
                prop_assert_eq!(
                    &actions.init_containers_to_start, &vec![0],
                    "a new sandbox starts from the first init container"
                );
                prop_assert!(
                    actions.containers_to_start.is_empty(),
                    "a new sandbox with init containers starts no regular container yet: {:#?}", actions
                );
            }
        }
    }

    /// Under restart policy Never, a regular container whose newest status is Exited is never started
    /// again. The one exception is the kubelet's: with no sandbox at all in the runtime,
    /// `PodSandboxChanged` returns attempt 0, which `computePodActions` takes as "never ran", and the
    /// new sandbox gets every regular container; so the rule is checked whenever a sandbox exists.
    #[test]
    fn never_restarts_exited_container_under_never(case in case_strategy()) {
        let mut case = case;
        case.pod.spec_mut().restart_policy = RestartPolicy::Never;
        let actions = compute_pod_actions(&case.pod, &case.status, &case.probes);
        if case.status.sandboxes.is_empty() {
            return Ok(());
        }
        for (i, c) in case.pod.spec.containers.iter().enumerate() {
            if newest(&case.status, c.name()).is_some_and(|s| s.state == ContainerState::Exited) {
                prop_assert!(
                    !actions.containers_to_start.contains(&i),
                    "under Never an exited container ({}) must not be started again: {:#?}", c.name(), actions
                );
            }
        }
    }

    /// Under restart policy OnFailure, a regular container whose newest status is Exited with exit code
    /// 0 has succeeded and is never started again, whether or not the sandbox is recreated
    /// (`ShouldContainerBeRestarted`, and `containerSucceeded` on the new-sandbox path).
    #[test]
    fn on_failure_never_restarts_after_exit_zero(case in case_strategy()) {
        let mut case = case;
        case.pod.spec_mut().restart_policy = RestartPolicy::OnFailure;
        let actions = compute_pod_actions(&case.pod, &case.status, &case.probes);
        for (i, c) in case.pod.spec.containers.iter().enumerate() {
            if newest(&case.status, c.name()).is_some_and(|s| s.state == ContainerState::Exited && s.exit_code == 0) {
                prop_assert!(
                    !actions.containers_to_start.contains(&i),
                    "under OnFailure a container that exited 0 ({}) must not be started again: {:#?}",
                    c.name(), actions
                );
            }
        }
    }

    /// A regular container whose newest status is Running, made from the current spec, with no failed
    /// liveness or startup probe, is kept: never in the kill list, restarted only with a new sandbox,
    /// and, while the sandbox is usable, its pod is not killed (a running regular container proves the
    /// pod initialised, and it counts towards the containers to keep).
    #[test]
    fn running_matching_container_is_kept(case in case_strategy()) {
        let pod = &case.pod;
        let actions = compute_pod_actions(pod, &case.status, &case.probes);
        for (i, c) in pod.spec.containers.iter().enumerate() {
            let Some(st) = newest(&case.status, c.name()) else { continue };
            if st.state != ContainerState::Running || st.hash != c.hash() || has_failed_probe(&case.probes, &st.id) {
                continue;
            }
            prop_assert!(
                !actions.containers_to_kill.iter().any(|k| k.id == st.id),
                "a running, unchanged, healthy container ({}) must not be killed: {:#?}", c.name(), actions
            );
            prop_assert!(
                actions.create_sandbox || !actions.containers_to_start.contains(&i),
                "a running, unchanged, healthy container ({}) must not be started again: {:#?}", c.name(), actions
            );
            if sandbox_is_usable(pod, &case.status) {
                prop_assert!(
                    !actions.kill_pod,
                    "a pod with a container to keep ({}) and a usable sandbox must not be killed: {:#?}",
                    c.name(), actions
                );
            }
        }
    }

    /// A running regular container made from an old spec (its hash differs) is killed and started
    /// again, whatever the restart policy, as long as the sandbox stays: a running regular container
    /// means initialisation is done (`podHasInitialized`), so nothing holds the restart back.
    #[test]
    fn changed_hash_means_kill_and_start(case in usable_case_strategy()) {
        let pod = &case.pod;
        prop_assert!(sandbox_is_usable(pod, &case.status), "the generator must give usable sandboxes");
        let actions = compute_pod_actions(pod, &case.status, &case.probes);
        for (i, c) in pod.spec.containers.iter().enumerate() {
            let Some(st) = newest(&case.status, c.name()) else { continue };
            if st.state != ContainerState::Running || st.hash == c.hash() {
                continue;
            }
            prop_assert!(
                actions.containers_to_kill.iter().any(|k| k.id == st.id && k.reason == KillReason::DefinitionChanged),
                "a running container with a changed spec ({}) must be killed for it: {:#?}", c.name(), actions
            );
            prop_assert!(
                actions.containers_to_start.contains(&i),
                "a running container with a changed spec ({}) must be started again: {:#?}", c.name(), actions
            );
            prop_assert!(!actions.kill_pod, "restarting a changed container must not kill the pod: {:#?}", actions);
        }
    }

    /// Plain (non-sidecar) init containers run one at a time and before every regular container: at
    /// most one of them is to start, and then no regular container is; the init containers to start
    /// are listed in spec order without repetition.
    #[test]
    fn init_containers_start_one_at_a_time_and_before_regular_ones(case in case_strategy()) {
        let pod = &case.pod;
        let actions = compute_pod_actions(pod, &case.status, &case.probes);
        let plain: Vec<usize> = actions
            .init_containers_to_start
            .iter()
            .copied()
            .filter(|&i| !pod.spec.init_containers[i].is_restartable_init_container())
            .collect();
        prop_assert!(plain.len() <= 1, "at most one plain init container may start at a time: {:#?}", actions);
        prop_assert!(
            plain.is_empty() || actions.containers_to_start.is_empty(),
            "no regular container may start while a plain init container is to start: {:#?}", actions
        );
        prop_assert!(
            actions.init_containers_to_start.windows(2).all(|w| w[0] < w[1]),
            "init containers to start must be strictly increasing: {:?}", actions.init_containers_to_start
        );
        prop_assert!(
            actions.init_containers_to_start.iter().all(|&i| i < pod.spec.init_containers.len()),
            "init containers to start must be indexes into spec.initContainers: {:?}",
            actions.init_containers_to_start
        );
    }

    /// The kill list names each container once, each by the id of a status the runtime reported: the
    /// newest status of a container of the pod, which runs or is in an unknown state (an exited
    /// container needs no kill), with its name, kind and index in the spec.
    #[test]
    fn kill_list_has_no_duplicates_and_refers_to_real_statuses(case in case_strategy()) {
        let pod = &case.pod;
        let status = &case.status;
        let actions = compute_pod_actions(pod, status, &case.probes);
        let ids: BTreeSet<&str> = actions.containers_to_kill.iter().map(|k| k.id.as_str()).collect();
        prop_assert_eq!(
            ids.len(), actions.containers_to_kill.len(),
            "a container may be in the kill list only once: {:#?}", actions.containers_to_kill
        );
        for kill in &actions.containers_to_kill {
            let st = status.containers.iter().find(|c| c.id == kill.id);
            prop_assert!(st.is_some(), "a kill must name a container the runtime reported: {:?}", kill);
            let st = st.unwrap();
            prop_assert_eq!(&st.name, &kill.name, "a kill must carry the name of the status it kills");
            prop_assert!(
                newest(status, &st.name).is_some_and(|n| n.id == st.id),
                "only the newest status of a container may be killed: {:?}", kill
            );
            prop_assert!(
                matches!(st.state, ContainerState::Running | ContainerState::Unknown),
                "only running or unknown containers may be killed: {:?} is {:?}", kill, st.state
            );
            let list = match kill.kind {
                ContainerKind::Init => &pod.spec.init_containers,
                ContainerKind::Regular => &pod.spec.containers,
                ContainerKind::Ephemeral => &pod.spec.ephemeral_containers,
            };
            prop_assert!(
                list.get(kill.index).is_some_and(|c| c.name() == kill.name),
                "a kill's kind and index must point at the spec container of that name: {:?}", kill
            );
        }
    }

    /// A running regular container made from the current spec whose liveness probe failed (or, failing
    /// that, its startup probe) is killed for it, and started again unless the restart policy is Never
    /// (`shouldRestartOnFailure`), as long as the sandbox stays.
    #[test]
    fn failed_probe_kills_running_container(case in usable_case_strategy()) {
        let pod = &case.pod;
        prop_assert!(sandbox_is_usable(pod, &case.status), "the generator must give usable sandboxes");
        let actions = compute_pod_actions(pod, &case.status, &case.probes);
        for (i, c) in pod.spec.containers.iter().enumerate() {
            let Some(st) = newest(&case.status, c.name()) else { continue };
            if st.state != ContainerState::Running || st.hash != c.hash() || !has_failed_probe(&case.probes, &st.id) {
                continue;
            }
            let reason = if case.probes.liveness(&st.id) == Some(ProbeResult::Failure) {
                KillReason::LivenessProbe
            } else {
                KillReason::StartupProbe
            };
            prop_assert!(
                actions.containers_to_kill.iter().any(|k| k.id == st.id && k.reason == reason),
                "a running container with a failed probe ({}) must be killed for {:?}: {:#?}", c.name(), reason, actions
            );
            prop_assert_eq!(
                actions.containers_to_start.contains(&i),
                pod.spec.restart_policy != RestartPolicy::Never,
                "a container killed for a failed probe must be restarted exactly when the restart policy is not Never"
            );
        }
    }

    /// Two instances of a container never run at once: a container to start whose newest status runs or
    /// is in an unknown state (it may still run) is killed first, by name in the kill list or with the
    /// whole pod.
    #[test]
    fn started_container_never_runs_twice(case in case_strategy()) {
        let pod = &case.pod;
        let actions = compute_pod_actions(pod, &case.status, &case.probes);
        let starts = actions
            .init_containers_to_start
            .iter()
            .map(|&i| &pod.spec.init_containers[i])
            .chain(actions.containers_to_start.iter().map(|&i| &pod.spec.containers[i]))
            .chain(actions.ephemeral_containers_to_start.iter().map(|&i| &pod.spec.ephemeral_containers[i]));
        for c in starts {
            let Some(st) = newest(&case.status, c.name()) else { continue };
            if matches!(st.state, ContainerState::Running | ContainerState::Unknown) {
                prop_assert!(
                    actions.kill_pod || actions.containers_to_kill.iter().any(|k| k.id == st.id),
                    "a container to start ({}) that may still run ({:?}) must be killed first: {:#?}",
                    c.name(), st.state, actions
                );
            }
        }
    }

    /// While the pod initialises (no regular container created or running) in a usable sandbox, a
    /// failed plain init container (exited non-zero or OOM-killed, or in an unknown state) that is the
    /// latest init container to have run makes the pod terminal under restart policy Never: the pod is
    /// killed and nothing but ephemeral containers starts. Under Always and OnFailure it is started
    /// again (killed first if its state is unknown) and the pod is not killed. (The state decides
    /// first in `computeInitContainerActions`: a running init container is waited for and a created one
    /// started, whatever its reason, so `isInitContainerFailed` only matters for exited and unknown
    /// ones.)
    #[test]
    fn failed_init_container_restarts_unless_never(case in initialising_case_strategy()) {
        let pod = &case.pod;
        let status = &case.status;
        prop_assert!(
            sandbox_is_usable(pod, status) && !regular_container_created_or_running(pod, status),
            "the generator must give initialising pods in usable sandboxes"
        );
        let latest = pod.spec.init_containers.iter().enumerate().rev().find_map(|(i, c)| {
            newest(status, c.name()).map(|st| (i, c, st))
        });
        let Some((i, c, st)) = latest else { return Ok(()) };
        let exited_or_unknown = matches!(st.state, ContainerState::Exited | ContainerState::Unknown);
        if c.is_restartable_init_container() || !exited_or_unknown || !init_container_failed(st) {
            return Ok(());
        }
        let actions = compute_pod_actions(pod, status, &case.probes);
        if pod.spec.restart_policy == RestartPolicy::Never {
            prop_assert!(
                actions.kill_pod
                    && actions.init_containers_to_start.is_empty()
                    && actions.containers_to_start.is_empty(),
                "under Never a failed init container ({}) must make the pod terminal: {:#?}", c.name(), actions
            );
        } else {
            prop_assert!(
                !actions.kill_pod && actions.init_containers_to_start.contains(&i),
                "a failed init container ({}) must be started again under {:?}: {:#?}",
                c.name(), pod.spec.restart_policy, actions
            );
            if st.state == ContainerState::Unknown {
                prop_assert!(
                    actions.containers_to_kill.iter().any(|k| k.id == st.id && k.reason == KillReason::Unknown),
                    "an init container in an unknown state ({}) must be killed before its restart: {:#?}",
                    c.name(), actions
                );
            }
        }
    }

    /// A pod being deleted starts no stopped regular container again (`ShouldContainerBeRestarted`
    /// returns false once the deletion timestamp is set): while its sandbox is usable, the only regular
    /// containers it starts replace running ones (changed spec, failed probe).
    #[test]
    fn pod_being_deleted_restarts_no_stopped_container(case in usable_case_strategy().prop_map(being_deleted)) {
        let pod = &case.pod;
        prop_assert!(sandbox_is_usable(pod, &case.status), "the generator must give usable sandboxes");
        let actions = compute_pod_actions(pod, &case.status, &case.probes);
        for &i in &actions.containers_to_start {
            let c = &pod.spec.containers[i];
            let st = newest(&case.status, c.name());
            prop_assert!(
                st.is_some_and(|s| s.state == ContainerState::Running),
                "a pod being deleted may only replace running containers; {} is {:?}: {:#?}", c.name(), st, actions
            );
        }
    }

    /// Ephemeral containers are started once and never restarted: one with any status in the runtime
    /// is never to start, and, in a usable sandbox, one without a status is always to start, even while
    /// the pod initialises or is being killed.
    #[test]
    fn ephemeral_containers_start_once(case in case_strategy()) {
        let pod = &case.pod;
        let actions = compute_pod_actions(pod, &case.status, &case.probes);
        let usable = sandbox_is_usable(pod, &case.status);
        for (i, c) in pod.spec.ephemeral_containers.iter().enumerate() {
            let ran = newest(&case.status, c.name()).is_some();
            let to_start = actions.ephemeral_containers_to_start.contains(&i);
            prop_assert!(!(ran && to_start), "an ephemeral container that ran ({}) must not start again", c.name());
            prop_assert!(
                ran || !usable || to_start,
                "an ephemeral container that never ran ({}) must start in a usable sandbox: {:#?}", c.name(), actions
            );
        }
    }

    /// After a new sandbox, whose creation purged the old init containers (`purgeInitContainers`),
    /// every init container runs again in it, in order, before any regular container starts there:
    /// plain ones to completion (exit code 0), sidecars running. (Without the purge, the kubelet may
    /// take an old init container's success as initialisation done: `computeInitContainerActions`
    /// cannot tell sandboxes apart.)
    #[test]
    fn new_sandbox_reruns_every_init_container_before_regular_ones(case in stable_case_strategy()) {
        let pod = &case.pod;
        let mut runtime = Runtime::new(&case);
        runtime.purge_init_containers = true;
        let mut sandbox: Option<SharedStr> = None;
        for _ in 0..ROUNDS {
            let plan = compute_pod_actions(pod, &runtime.status, &runtime.probes);
            if plan.is_noop() {
                break;
            }
            if let (Some(id), false, false) = (&sandbox, plan.create_sandbox, plan.containers_to_start.is_empty()) {
                for c in &pod.spec.init_containers {
                    let st = newest(&runtime.status, c.name());
                    let done = st.is_some_and(|s| {
                        &s.sandbox_id == id
                            && (c.is_restartable_init_container()
                                || (s.state == ContainerState::Exited && s.exit_code == 0))
                    });
                    prop_assert!(
                        done,
                        "init container {} must have run in the new sandbox {} before regular containers start \
                         there; it is {:?}; plan {:#?}", c.name(), id, st, plan
                    );
                }
            }
            runtime.apply(pod, &plan);
            runtime.progress(pod);
            if plan.create_sandbox {
                sandbox = runtime.status.sandboxes.first().map(|s| s.id.clone());
            }
        }
    }

    /// While the pod initialises in a usable sandbox and the latest init container to have run is a
    /// running sidecar, the next step waits for its startup probe: without a success (no verdict yet,
    /// unknown, or failed) nothing after it starts, neither the next init container nor a regular
    /// one; once it passed (or it has no startup probe), the next init container starts, or, if it is
    /// the last init container, the pod is initialised and (under Always, not being deleted) every
    /// regular container starts.
    #[test]
    fn sidecar_gates_the_next_init_container_on_its_startup_probe(case in initialising_case_strategy()) {
        let pod = &case.pod;
        let status = &case.status;
        let latest = pod.spec.init_containers.iter().enumerate().rev().find_map(|(i, c)| {
            newest(status, c.name()).map(|st| (i, c, st))
        });
        let Some((i, c, st)) = latest else { return Ok(()) };
        if !c.is_restartable_init_container() || st.state != ContainerState::Running {
            return Ok(());
        }
        let actions = compute_pod_actions(pod, status, &case.probes);
        let started = !c.has_startup_probe() || case.probes.startup(&st.id) == Some(ProbeResult::Success);
        let last = i + 1 == pod.spec.init_containers.len();
        if !started {
            prop_assert!(
                !actions.init_containers_to_start.contains(&(i + 1)) && actions.containers_to_start.is_empty(),
                "nothing may start after sidecar {} before its startup probe succeeds: {:#?}", c.name(), actions
            );
        } else if !last {
            prop_assert!(
                actions.init_containers_to_start.contains(&(i + 1)),
                "the init container after started sidecar {} must start: {:#?}", c.name(), actions
            );
            prop_assert!(
                actions.containers_to_start.is_empty(),
                "no regular container may start before the last init container: {:#?}", actions
            );
        } else if pod.spec.restart_policy == RestartPolicy::Always && pod.deletion_timestamp.is_none() {
            prop_assert_eq!(
                actions.containers_to_start.clone(),
                (0..pod.spec.containers.len()).collect::<Vec<_>>(),
                "once the last init container (sidecar {}) started, every regular container must start", c.name()
            );
        }
    }

    /// A pod that is killed without being recreated (it failed or finished) starts no init or regular
    /// container: in particular its sidecars are not restarted to keep it alive (`InitContainersToStart
    /// = nil` next to `KillPod = true`). A pod killed to be recreated starts from its first init
    /// container, or its regular containers if it has none.
    #[test]
    fn killed_pod_starts_nothing_unless_recreated(case in case_strategy()) {
        let actions = compute_pod_actions(&case.pod, &case.status, &case.probes);
        if actions.kill_pod && !actions.create_sandbox {
            prop_assert!(
                actions.init_containers_to_start.is_empty() && actions.containers_to_start.is_empty(),
                "a pod killed for good must start no init or regular container: {:#?}", actions
            );
        }
        prop_assert!(!actions.create_sandbox || actions.kill_pod, "a new sandbox must come with killing the pod");
    }

    /// The gates that read fields these pods do not have change nothing: without a container restart
    /// policy or rule (only sidecars' Always), ContainerRestartRules on or off plans the same; without
    /// resources reported by the runtime, InPlacePodVerticalScaling on or off plans the same, and
    /// never resizes.
    #[test]
    fn gates_without_their_fields_change_nothing(case in case_strategy()) {
        let default = compute_pod_actions(&case.pod, &case.status, &case.probes);
        for list in ["ContainerRestartRules=false", "InPlacePodVerticalScaling=false"] {
            let gates = FeatureGates::parse(list).unwrap();
            let other = compute_pod_actions_with(&case.pod, &case.status, &case.probes, &gates);
            prop_assert_eq!(&other, &default, "{} changed the plan", list);
        }
        prop_assert!(default.containers_to_update.is_empty() && !default.update_pod_resources);
    }

    /// The legacy init path (SidecarContainers off) plans init containers one at a time, as
    /// `NextInitContainerToStart`, never in `InitContainersToStart`; the default path never sets it.
    #[test]
    fn the_legacy_path_starts_one_init_container_at_a_time(case in case_strategy()) {
        let legacy = FeatureGates::parse("SidecarContainers=false").unwrap();
        let actions = compute_pod_actions_with(&case.pod, &case.status, &case.probes, &legacy);
        prop_assert!(actions.init_containers_to_start.is_empty(), "legacy plan {:#?}", actions);
        if let Some(next) = actions.next_init_container_to_start {
            prop_assert!(next < case.pod.spec.init_containers.len());
            prop_assert!(actions.containers_to_start.is_empty(), "regular containers wait for the init containers");
        }
        let default = compute_pod_actions(&case.pod, &case.status, &case.probes);
        prop_assert!(default.next_init_container_to_start.is_none());
    }
}
