//! Property-based tests of the `Kubelet` state machine against the obedient world of tests/cases/common.
//!
//! Each `proptest!` below guards one rule of the kubelet's pod management, named after it, with the
//! rule in words in its doc comment. A generated [`Case`] is 1-6 pods bound to [`NODE`] (0-2 init
//! containers, plain ones exiting 0 after a while or sidecars running forever; 1-3 regular containers
//! running forever or exiting 0 or 1 after a while; any restart policy; 0-2 emptyDir volumes mounted by
//! some containers) and a timeline of operations at random virtual times in the first few minutes:
//! create a pod, change a container's image (in the hash), change its args (outside the hash), delete
//! a pod, restart the kubelet. The time between operations is often a few milliseconds, so that they
//! land in the middle of a sync, between a request and its reply.
//!
//! The kubelet's garbage collection keeps only the newest exited instance of a container, so the
//! history of a container is read from the world's records (`rt.started`, the CRI call log), not from
//! the instances left at the end. `PROPTEST_CASES=1000` searches harder than the default 64 cases.

use crate::common;

use podsim_model::SharedStr;
use std::collections::{BTreeMap, BTreeSet};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

use common::{World, NODE};
use podsim_model::pod::{Volume, VolumeMount, VolumeSource};
use podsim_model::{Container, ContainerState, Millis, Pod, PodPhase, RestartPolicy, SandboxState};

const SECOND: Millis = 1_000;
const MINUTE: Millis = 60 * SECOND;
/// Every operation happens within the first three minutes.
const HORIZON: Millis = 3 * MINUTE;
/// How long the world runs after the last operation before the end state is checked: longer than the
/// longest workload (90 s) and the longest CrashLoopBackOff (5 min). (A container replaced for a
/// changed definition has a new backoff key and starts at once; crash-looping ones are only checked
/// to keep their pod Running.)
const SETTLE: Millis = 6 * MINUTE + 30 * SECOND;
/// At most this many pods.
const MAX_PODS: usize = 6;

// ---- generated cases ----------------------------------------------------------------------------------

/// What a container's process does once started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Workload {
    /// Runs until stopped.
    Forever,
    /// `["exit", code, after]`: exits with `code` `after` ms after it started.
    Exit { code: i32, after: Millis },
}

/// An init container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Init {
    /// A plain init container: exits 0 `after` ms after it started.
    Plain { after: Millis },
    /// `restartPolicy: Always`: a sidecar, running forever.
    Sidecar,
}

/// One generated pod. Names follow the position: pod `p{i}` (uid `uid-p{i}`), init containers
/// `init{k}` or `side{k}`, regular containers `c{k}`, volumes `vol{v}`.
#[derive(Clone, Debug)]
struct PodGen {
    restart_policy: RestartPolicy,
    volumes: usize,
    /// Each init container, whether its image has a tag (else pull policy Always), and a bit mask of the
    /// volumes it mounts.
    inits: Vec<(Init, bool, u8)>,
    /// Each regular container, likewise.
    regulars: Vec<(Workload, bool, u8)>,
}

impl PodGen {
    fn init_name(&self, k: usize) -> String {
        match self.inits[k].0 {
            Init::Plain { .. } => format!("init{k}"),
            Init::Sidecar => format!("side{k}"),
        }
    }

    /// Every container's name: init containers, then regular ones.
    fn container_names(&self) -> Vec<String> {
        (0..self.inits.len())
            .map(|k| self.init_name(k))
            .chain((0..self.regulars.len()).map(|k| format!("c{k}")))
            .collect()
    }

    fn build(&self, i: usize) -> Pod {
        let name = pod_name(i);
        let mut pod = Pod::new(name.clone(), uid(i), NODE);
        pod.spec_mut().restart_policy = self.restart_policy;
        for v in 0..self.volumes {
            pod.spec_mut().volumes.push(Volume { name: format!("vol{v}"), source: VolumeSource::EmptyDir });
        }
        let container = |cname: String, tagged: bool, mask: u8, command: Vec<String>| {
            let image = if tagged { format!("{name}-{cname}:1") } else { format!("{name}-{cname}") };
            let mut c = Container::new(cname, image);
            c.command = command;
            for v in (0..self.volumes).filter(|v| mask & (1 << v) != 0) {
                c.volume_mounts
                    .push(VolumeMount { name: format!("vol{v}"), mount_path: format!("/mnt/vol{v}") });
            }
            c
        };
        for (k, &(init, tagged, mask)) in self.inits.iter().enumerate() {
            let command = match init {
                Init::Plain { after } => exit_command(0, after),
                Init::Sidecar => vec!["serve".to_string()],
            };
            let mut c = container(self.init_name(k), tagged, mask, command);
            if init == Init::Sidecar {
                c.restart_policy = Some(RestartPolicy::Always);
            }
            pod.spec_mut().init_containers.push(c);
        }
        for (k, &(workload, tagged, mask)) in self.regulars.iter().enumerate() {
            let command = match workload {
                Workload::Forever => vec!["serve".to_string()],
                Workload::Exit { code, after } => exit_command(code, after),
            };
            pod.spec_mut().containers.push(container(format!("c{k}"), tagged, mask, command));
        }
        pod
    }
}

fn exit_command(code: i32, after: Millis) -> Vec<String> {
    vec!["exit".to_string(), code.to_string(), after.to_string()]
}

fn pod_name(i: usize) -> String {
    format!("p{i}")
}

fn uid(i: usize) -> String {
    format!("uid-p{i}")
}

/// One operation of the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Op {
    Create {
        pod: usize,
    },
    /// `set_image`: a change in the container's hash.
    SetImage {
        pod: usize,
        container: String,
    },
    /// New `args`: a change outside the hash.
    SetArgs {
        pod: usize,
        container: String,
    },
    /// A graceful delete (`World::delete_pod`).
    Delete {
        pod: usize,
    },
    RestartKubelet,
}

#[derive(Clone, Copy, Debug)]
enum OpKind {
    SetImage,
    SetArgs,
    Delete,
    RestartKubelet,
}

/// A generated case: the pods and the timeline, sorted by time, and where in its range each
/// jittered delay of the kubelet falls (in thousandths of the largest jitter).
#[derive(Clone, Debug)]
struct Case {
    pods: Vec<PodGen>,
    timeline: Vec<(Millis, Op)>,
    jitter: u64,
}

fn restart_policy() -> impl Strategy<Value = RestartPolicy> {
    prop_oneof![Just(RestartPolicy::Always), Just(RestartPolicy::OnFailure), Just(RestartPolicy::Never)]
}

fn workload(forever_only: bool) -> BoxedStrategy<Workload> {
    if forever_only {
        return Just(Workload::Forever).boxed();
    }
    let exit = (0..=1i32, prop_oneof![1..=50u64, 500..=90_000u64])
        .prop_map(|(code, after)| Workload::Exit { code, after });
    prop_oneof![Just(Workload::Forever), exit].boxed()
}

fn init() -> impl Strategy<Value = Init> {
    prop_oneof![(1..=3_000u64).prop_map(|after| Init::Plain { after }), Just(Init::Sidecar)]
}

fn pod_gen(forever_only: bool) -> impl Strategy<Value = PodGen> {
    (
        restart_policy(),
        0..=2usize,
        vec((init(), any::<bool>(), 0..4u8), 0..=2),
        vec((workload(forever_only), any::<bool>(), 0..4u8), 1..=3),
    )
        .prop_map(|(restart_policy, volumes, inits, regulars)| PodGen {
            restart_policy,
            volumes,
            inits,
            regulars,
        })
}

/// The time from one operation to the next: often a few milliseconds (inside a sync), sometimes
/// seconds, now and then most of a minute.
fn delta() -> impl Strategy<Value = Millis> {
    prop_oneof![3 => 0..=20u64, 2 => 0..=2_000u64, 1 => 0..=40_000u64]
}

fn op_kind() -> impl Strategy<Value = OpKind> {
    prop_oneof![
        3 => Just(OpKind::SetImage),
        2 => Just(OpKind::SetArgs),
        2 => Just(OpKind::Delete),
        2 => Just(OpKind::RestartKubelet),
    ]
}

/// Cases whose regular containers all run forever when `forever_only`, else any. (No `prop_flat_map`,
/// so that a failing case shrinks pod by pod and operation by operation.)
fn case_strategy(forever_only: bool) -> impl Strategy<Value = Case> {
    (
        vec(pod_gen(forever_only), 1..=MAX_PODS),
        vec((any::<Index>(), delta()), MAX_PODS),
        vec((op_kind(), any::<Index>(), any::<Index>(), delta()), 0..=12),
        prop_oneof![Just(0u64), Just(1_000u64), 0..=1_000u64],
    )
        .prop_map(|(pods, creates, ops, jitter)| Case { jitter, ..build_case(pods, creates, ops) })
}

/// Interleaves each pod's creation (at a random position) with the other operations, resolves the
/// indexes into pods and container names, and sums up the times.
fn build_case(
    pods: Vec<PodGen>,
    creates: Vec<(Index, Millis)>,
    ops: Vec<(OpKind, Index, Index, Millis)>,
) -> Case {
    let mut slots: Vec<Vec<(Millis, Op)>> = vec![Vec::new(); ops.len() + 1];
    for (pod, (at, delta)) in creates.into_iter().take(pods.len()).enumerate() {
        slots[at.index(ops.len() + 1)].push((delta, Op::Create { pod }));
    }
    let mut timeline = Vec::new();
    let mut t: Millis = 0;
    for (k, slot) in slots.into_iter().enumerate() {
        for (delta, op) in slot {
            t = (t + delta).min(HORIZON);
            timeline.push((t, op));
        }
        if let Some(&(kind, p, c, delta)) = ops.get(k) {
            let pod = p.index(pods.len());
            let names = pods[pod].container_names();
            let container = names[c.index(names.len())].clone();
            let op = match kind {
                OpKind::SetImage => Op::SetImage { pod, container },
                OpKind::SetArgs => Op::SetArgs { pod, container },
                OpKind::Delete => Op::Delete { pod },
                OpKind::RestartKubelet => Op::RestartKubelet,
            };
            t = (t + delta).min(HORIZON);
            timeline.push((t, op));
        }
    }
    Case { pods, timeline, jitter: 0 }
}

// ---- running a case ---------------------------------------------------------------------------------------

/// A check run after every millisecond in which the kubelet handled an input.
type StepCheck<'a> = &'a mut dyn FnMut(&World) -> Result<(), TestCaseError>;

/// A kubelet restart of the timeline.
struct Restart {
    /// The operation's index in the timeline.
    seq: usize,
    at: Millis,
    /// The containers running just before (pod uid, name, id) that run forever and had their spec's
    /// hash, of pods not being deleted.
    running: Vec<(String, String, String)>,
}

/// A finished run of a case, with what the operations did.
struct Run {
    world: World,
    /// Pods created in the API.
    created: BTreeSet<String>,
    /// Pods whose deletion was requested.
    deleted: BTreeSet<String>,
    /// The index in the timeline of the last operation that reached each pod.
    touched: BTreeMap<String, usize>,
    /// Every kubelet restart of the timeline.
    restarts: Vec<Restart>,
}

/// Runs the world to `until`: at once, or a millisecond at a time with `check` after every
/// millisecond in which the kubelet handled something.
fn advance(world: &mut World, until: Millis, check: &mut Option<StepCheck>) -> Result<(), TestCaseError> {
    match check {
        None => world.run_until(until),
        Some(check) => {
            let mut handled = world.inputs;
            while world.now < until {
                world.run_until(world.now + 1);
                if world.inputs != handled {
                    handled = world.inputs;
                    check(world)?;
                }
            }
        }
    }
    Ok(())
}

fn container_mut<'a>(pod: &'a mut Pod, name: &str) -> &'a mut Container {
    let spec = pod.spec_mut();
    spec.init_containers
        .iter_mut()
        .chain(spec.containers.iter_mut())
        .find(|c| c.name() == name)
        .expect("a generated container name")
}

/// The running containers that run forever and match their spec, of the pods that are not being
/// deleted.
fn running_matching(world: &World) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    for pod in world.api.pods.values().filter(|p| p.deletion_timestamp.is_none()) {
        let forever: Vec<&Container> = pod
            .spec
            .init_containers
            .iter()
            .filter(|c| c.is_restartable_init_container())
            .chain(&pod.spec.containers)
            .filter(|c| c.command.first().map(String::as_str) != Some("exit"))
            .collect();
        let running_matching = |c: &Container| {
            let newest = world.instances(&pod.uid, c.name()).first().cloned();
            newest.filter(|n| n.state == ContainerState::Running && n.hash == c.hash())
        };
        // Only a settled pod: one whose change is still being carried out (a container killed for
        // a new spec and not yet started again) may end differently. A restarted kubelet sees that
        // container exited, and under restartPolicy Never computePodActions does not start it again
        // (its "definition changed, restart" holds only for a running container): the pod fails,
        // and its sidecars are stopped with it.
        if !forever.iter().all(|c| running_matching(c).is_some()) {
            continue;
        }
        for c in forever {
            if let Some(newest) = running_matching(c) {
                found.push((pod.uid.clone(), c.name().to_string(), newest.id.to_string()));
            }
        }
    }
    found
}

/// Plays the case's timeline, then lets the world run `settle` more.
fn drive(case: &Case, settle: Millis, mut check: Option<StepCheck>) -> Result<Run, TestCaseError> {
    let mut run = Run {
        world: World::new(),
        created: BTreeSet::new(),
        deleted: BTreeSet::new(),
        touched: BTreeMap::new(),
        restarts: Vec::new(),
    };
    run.world.jitter = (case.jitter, 1_000);
    // The world's watch does not replay what changed between the list and the watch (it ignores the
    // watch's resource version), so a change made in the very millisecond the kubelet starts and lists
    // would be lost for good: no operation lands in the millisecond of a (re)start.
    let mut not_before: Millis = 1;
    for (seq, (at, op)) in case.timeline.iter().enumerate() {
        let at = (*at).max(not_before);
        advance(&mut run.world, at, &mut check)?;
        let w = &mut run.world;
        let target = match op {
            Op::Create { pod } | Op::Delete { pod } => Some(uid(*pod)),
            Op::SetImage { pod, .. } | Op::SetArgs { pod, .. } => Some(uid(*pod)),
            Op::RestartKubelet => None,
        };
        // Changes reach only pods the API server has.
        if let Some(u) = &target {
            if !matches!(op, Op::Create { .. }) && !w.api.pods.contains_key(u) {
                continue;
            }
        }
        match op {
            Op::Create { pod } => {
                w.create_pod(case.pods[*pod].build(*pod));
                run.created.insert(uid(*pod));
            }
            Op::SetImage { pod, container } => w.update_pod(&uid(*pod), |p| {
                let c = container_mut(p, container);
                let image = format!("{}-{seq}", c.image());
                c.set_image(image);
            }),
            Op::SetArgs { pod, container } => {
                w.update_pod(&uid(*pod), |p| container_mut(p, container).args = vec![format!("--gen={seq}")])
            }
            Op::Delete { pod } => {
                w.delete_pod(&uid(*pod));
                run.deleted.insert(uid(*pod));
            }
            Op::RestartKubelet => {
                let running = running_matching(w);
                w.restart_kubelet();
                run.restarts.push(Restart { seq, at, running });
                not_before = at + 1;
            }
        }
        if let Some(u) = target {
            run.touched.insert(u, seq);
        }
    }
    let end = run.world.now + settle;
    advance(&mut run.world, end, &mut check)?;
    Ok(run)
}

// ---- the checks -----------------------------------------------------------------------------------------

/// One container start, from the world's record of starts and the CRI call log.
#[derive(Debug)]
struct Start {
    at: Millis,
    uid: String,
    name: String,
    id: String,
    /// The kubelet stopped this instance later (`StopContainer`).
    stopped: bool,
}

/// Every container start, in order. The world records each start (time, pod, name) as it serves a
/// `StartContainer`, whose call names the container id, so the two lists pair up one to one.
fn starts(w: &World) -> Result<Vec<Start>, TestCaseError> {
    let ids: Vec<&str> = w.rt.calls.iter().filter_map(|c| c.strip_prefix("StartContainer ")).collect();
    prop_assert_eq!(
        ids.len(),
        w.rt.started.len(),
        "every StartContainer finds its container (the kubelet starts only what it just created)"
    );
    let stopped: BTreeSet<&str> =
        w.rt.calls
            .iter()
            .filter_map(|c| c.strip_prefix("StopContainer "))
            .filter_map(|c| c.split(' ').next())
            .collect();
    Ok(w.rt
        .started
        .iter()
        .zip(ids)
        .map(|((at, uid, name), id)| Start {
            at: *at,
            uid: uid.clone(),
            name: name.clone(),
            id: id.to_string(),
            stopped: stopped.contains(id),
        })
        .collect())
}

/// How many times the kubelet made this container (`CreateContainer` calls).
fn created_count(w: &World, pod_name: &str, container: &str) -> usize {
    let call = format!("CreateContainer {pod_name}/{container}");
    w.rt.calls.iter().filter(|c| **c == call).count()
}

/// A kubelet restart this soon after a container was killed for a changed definition may fall between
/// the kill and the start of its replacement: they are one sync (stop; then image, create and start of
/// each container to start, a few milliseconds each in this world).
const KILL_TO_START: Millis = 50;

/// What a regular container comes to, from its workload and what happened to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// It runs (forever).
    Runs,
    /// It exits with this code (and, unless the policy stops it, is restarted).
    Exits(i32),
    /// Under Never: killed for a changed definition by a kubelet that crashed before it started the
    /// replacement (kill, create and start are one sync). The restarted kubelet sees the killed
    /// instance exited, or the replacement merely created with the killed one as its last state:
    /// `computePodActions` compares the hashes of running containers only, an exited one is subject
    /// to `ShouldContainerBeRestarted` (false under Never), and `getPhase` counts a waiting container
    /// with a terminated last state as stopped, so the pod may end Failed with it never started.
    Lost,
}

/// Property 1: the end state of every pod still in the API and not deleted.
fn check_desired_state(case: &Case, run: &Run) -> Result<(), TestCaseError> {
    let w = &run.world;
    let starts = starts(w)?;
    for (i, gen) in case.pods.iter().enumerate() {
        let uid = uid(i);
        if !run.created.contains(&uid) || run.deleted.contains(&uid) {
            continue;
        }
        let pod = w.api.pods.get(&uid);
        prop_assert!(pod.is_some(), "{uid}: a pod that was not deleted keeps its API object");
        let pod = pod.expect("checked");
        let status = w.api.statuses.get(&uid);
        prop_assert!(status.is_some(), "{uid}: the kubelet reports a status for every pod it runs");
        let status = status.expect("checked");
        let phase = status.phase;
        let policy = gen.restart_policy;

        let mut outcomes = Vec::new();
        for (c, &(workload, _, _)) in pod.spec.containers.iter().zip(&gen.regulars) {
            let name = c.name();
            // Newest first; the kubelet's garbage collection keeps only the newest exited instance, so
            // what happened before comes from the world's records of starts and CRI calls.
            let instances = w.instances(&uid, name);
            let history: Vec<&Start> = starts.iter().filter(|s| s.uid == uid && s.name == name).collect();
            let ends_by_itself = matches!(
                (policy, workload),
                (RestartPolicy::Never, _) | (RestartPolicy::OnFailure, Workload::Exit { code: 0, .. })
            );
            if ends_by_itself && history.len() > 1 {
                // Under Never nothing that ended is restarted, under OnFailure nothing that exited 0:
                // only a kill for a changed definition (a StopContainer) is followed by a new start.
                let unkilled = history[..history.len() - 1].iter().find(|s| !s.stopped);
                prop_assert!(
                    unkilled.is_none(),
                    "{uid}/{name}: under {policy:?} an instance that ended by itself ({}) is not started \
                     again; only one killed for a changed definition is replaced: starts (at, id, \
                     stopped) {:?}",
                    if policy == RestartPolicy::Never { "any exit" } else { "exit 0" },
                    history.iter().map(|s| (s.at, &s.id, s.stopped)).collect::<Vec<_>>()
                );
            }
            let creates = created_count(w, &pod.name, name);
            prop_assert_eq!(
                instances.first().map(|n| n.restart_count as usize + 1),
                Some(creates),
                "{}/{}: the newest instance counts every instance made before it as a restart",
                uid,
                name
            );
            let newest = instances.first().copied();
            let lost = policy == RestartPolicy::Never
                && history.last().is_some_and(|s| s.stopped)
                && newest.is_some_and(|n| {
                    // When the kill happened (the killed instance finished), or, if the replacement was
                    // already made, just before it was.
                    let anchor = match n.state {
                        ContainerState::Exited => n.finished_at.unwrap_or(n.created_at),
                        _ => n.created_at,
                    };
                    n.state != ContainerState::Running
                        && run.restarts.iter().any(|r| (anchor..=anchor + KILL_TO_START).contains(&r.at))
                });
            let outcome = match workload {
                _ if lost => Outcome::Lost,
                Workload::Forever => Outcome::Runs,
                Workload::Exit { code, .. } => Outcome::Exits(code),
            };
            outcomes.push(outcome);
            match outcome {
                Outcome::Runs => {
                    prop_assert!(
                        newest.is_some_and(|n| n.state == ContainerState::Running),
                        "{uid}/{name}: a container that runs forever runs: {newest:?}"
                    );
                    prop_assert_eq!(
                        newest.map(|n| n.hash),
                        Some(c.hash()),
                        "{}/{}: the running instance has the spec's hash (image updates are applied)",
                        uid,
                        name
                    );
                    let report = status.container(name).map(|r| (r.container_id.as_str(), r.restart_count));
                    prop_assert_eq!(
                        report,
                        newest.map(|n| (n.id.as_str(), n.restart_count)),
                        "{}/{}: the API status names the running instance and its restart count",
                        uid,
                        name
                    );
                }
                // Not restarted (Never; OnFailure after 0): the newest instance shows the exit code.
                Outcome::Exits(code)
                    if policy == RestartPolicy::Never
                        || (policy == RestartPolicy::OnFailure && code == 0) =>
                {
                    prop_assert!(
                        newest.is_some_and(|n| n.state == ContainerState::Exited && n.exit_code == code),
                        "{uid}/{name}: a container that exits with {code} and is not restarted (under \
                         {policy:?}) ends exited with {code}: {newest:?}"
                    );
                }
                Outcome::Exits(_) | Outcome::Lost => {}
            }
        }

        let finishes = match policy {
            RestartPolicy::Never => outcomes.iter().all(|o| *o != Outcome::Runs),
            RestartPolicy::OnFailure => outcomes.iter().all(|o| *o == Outcome::Exits(0)),
            RestartPolicy::Always => false,
        };
        if finishes {
            // `getPhase`: every container stopped and none will restart.
            let expected = if outcomes.iter().all(|o| *o == Outcome::Exits(0)) {
                PodPhase::Succeeded
            } else {
                PodPhase::Failed
            };
            prop_assert_eq!(
                phase,
                expected,
                "{}: a pod whose containers all finished ({:?}) under {:?} is {:?}",
                uid,
                outcomes,
                policy,
                expected
            );
            let running: Vec<_> =
                w.rt.containers
                    .iter()
                    .filter(|(p, c, _)| p.uid == uid && c.state == ContainerState::Running)
                    .collect();
            prop_assert!(running.is_empty(), "{uid}: nothing of a finished pod runs: {running:?}");
            prop_assert!(
                w.sandboxes_of(&uid).iter().all(|s| s.state != SandboxState::Ready),
                "{uid}: the sandbox of a finished pod is stopped: {:?}",
                w.sandboxes_of(&uid)
            );
            let mounts: Vec<_> = w.node.mounts.iter().filter(|(u, _)| *u == uid).collect();
            prop_assert!(mounts.is_empty(), "{uid}: a finished pod's volumes are unmounted: {mounts:?}");
        } else {
            // Something runs, or keeps being restarted: the pod runs with its newest spec.
            for c in pod.spec.init_containers.iter().filter(|c| c.is_restartable_init_container()) {
                let newest = w.instances(&uid, c.name()).first().copied();
                prop_assert!(
                    newest.is_some_and(|n| n.state == ContainerState::Running && n.hash == c.hash()),
                    "{}/{}: a sidecar of a running pod runs with the spec's hash {:x}: {:?}",
                    uid,
                    c.name(),
                    c.hash(),
                    newest
                );
            }
            let newest_sandbox = w.sandboxes_of(&uid).first().map(|s| s.state);
            prop_assert_eq!(
                newest_sandbox,
                Some(SandboxState::Ready),
                "{}: the newest sandbox of a running pod is ready",
                uid
            );
            prop_assert_eq!(phase, PodPhase::Running, "{}: the API server hears the pod runs", uid);
        }
    }
    Ok(())
}

/// When an init container let the next container start: a plain one when it first exited 0 (its
/// successful instance is never restarted, so never garbage collected), a sidecar when it first started.
fn ready_at(w: &World, uid: &str, init: &Container) -> Option<Millis> {
    if init.is_restartable_init_container() {
        first_start(w, uid, init.name())
    } else {
        w.instances(uid, init.name())
            .iter()
            .filter(|c| c.state == ContainerState::Exited && c.exit_code == 0)
            .filter_map(|c| c.finished_at)
            .min()
    }
}

/// The first time the container started.
fn first_start(w: &World, uid: &str, name: &str) -> Option<Millis> {
    w.start_times(uid, name).into_iter().min()
}

/// The init containers run in spec order, each starting only once the one before it completed (a
/// plain one) or started (a sidecar), and regular containers start only once every init container did.
fn check_init_order(case: &Case, run: &Run) -> Result<(), TestCaseError> {
    let w = &run.world;
    for (i, _) in case.pods.iter().enumerate() {
        let uid = uid(i);
        let Some(pod) = w.api.pods.get(&uid) else { continue };
        if run.deleted.contains(&uid) {
            continue;
        }
        // When the init containers before the one at hand let it start.
        let mut ready: Option<Millis> = Some(0);
        let mut before = "the pod's creation".to_string();
        for init in &pod.spec.init_containers {
            if let Some(started) = first_start(w, &uid, init.name()) {
                prop_assert!(
                    ready.is_some_and(|r| r <= started),
                    "{}/{}: an init container starts only after {} (at {:?}), not at {}",
                    uid,
                    init.name(),
                    before,
                    ready,
                    started
                );
            }
            ready = ready.and(ready_at(w, &uid, init));
            before = format!("{} completed or started", init.name());
        }
        for c in &pod.spec.containers {
            if let Some(started) = first_start(w, &uid, c.name()) {
                prop_assert!(
                    ready.is_some_and(|r| r <= started),
                    "{}/{}: a regular container starts only after every init container ({} at {:?}), \
                     not at {}",
                    uid,
                    c.name(),
                    before,
                    ready,
                    started
                );
            }
        }
    }
    Ok(())
}

/// Checks, a millisecond at a time, that containers are made and run only where they may.
#[derive(Default)]
struct StartChecker {
    /// CRI calls already looked at.
    calls_seen: usize,
    /// Pod names that had a `RunPodSandbox`.
    sandboxed: BTreeSet<String>,
    /// Container ids already seen.
    containers_seen: BTreeSet<String>,
}

impl StartChecker {
    fn check(&mut self, w: &World) -> Result<(), TestCaseError> {
        let mut creates = 0;
        for call in &w.rt.calls[self.calls_seen..] {
            if let Some(rest) = call.strip_prefix("RunPodSandbox ") {
                self.sandboxed.insert(rest.split(' ').next().unwrap_or_default().to_string());
            }
            if let Some(rest) = call.strip_prefix("CreateContainer ") {
                creates += 1;
                let pod = rest.split('/').next().unwrap_or_default();
                prop_assert!(
                    self.sandboxed.contains(pod),
                    "at {} ms: no CreateContainer before the pod's first RunPodSandbox: {call}",
                    w.now
                );
            }
        }
        self.calls_seen = w.rt.calls.len();

        let mut made = 0;
        let mut running: BTreeMap<(&str, &str), &str> = BTreeMap::new();
        for (pod, c, _) in &w.rt.containers {
            let new = self.containers_seen.insert(c.id.to_string());
            if new {
                made += 1;
            }
            if !(new || c.state == ContainerState::Running) {
                continue;
            }
            let what = if new { "made" } else { "runs" };
            let id = &c.id;
            let sandboxes = w.sandboxes_of(&pod.uid);
            let own = sandboxes.iter().find(|s| s.id == c.sandbox_id);
            prop_assert!(
                own.is_some(),
                "at {} ms: container {id} of {} is {what} in a sandbox of its own pod",
                w.now,
                pod.uid
            );
            prop_assert!(
                own.is_some_and(|s| s.state == SandboxState::Ready),
                "at {} ms: container {id} of {} is {what} only in a ready sandbox",
                w.now,
                pod.uid
            );
            if new {
                prop_assert_eq!(
                    sandboxes.first().map(|s| &s.id),
                    Some(&c.sandbox_id),
                    "at {} ms: container {} of {} is made in the pod's newest sandbox",
                    w.now,
                    id,
                    pod.uid
                );
            }
            prop_assert!(
                w.node.data_dirs.contains(pod.uid.as_str()),
                "at {} ms: container {id} of {} is {what} only while the pod's data directory exists",
                w.now,
                pod.uid
            );
            if let Some(spec) = w.api.pods.get(pod.uid.as_str()) {
                for v in &spec.spec.volumes {
                    prop_assert!(
                        w.node.mounts.contains(&(pod.uid.to_string(), v.name.clone())),
                        "at {} ms: container {id} of {} is {what} only while every volume of the pod is \
                         mounted ({} is not)",
                        w.now,
                        pod.uid,
                        v.name
                    );
                }
            }
            if c.state == ContainerState::Running {
                let other = running.insert((&pod.uid, &c.name), id);
                prop_assert!(
                    other.is_none(),
                    "at {} ms: two instances of {}/{} run at once: {id} and {:?}",
                    w.now,
                    pod.uid,
                    c.name,
                    other
                );
            }
        }
        prop_assert_eq!(
            made,
            creates,
            "at {} ms: every CreateContainer is accepted (the kubelet creates containers only in a ready \
             sandbox of the pod)",
            w.now
        );
        Ok(())
    }
}

/// Checks, a millisecond at a time, that an API object is released only when nothing of its pod is left.
#[derive(Default)]
struct ReleaseChecker {
    released_seen: BTreeSet<String>,
}

impl ReleaseChecker {
    fn check(&mut self, w: &World) -> Result<(), TestCaseError> {
        for uid in &w.api.released {
            if self.released_seen.insert(uid.clone()) {
                let left = w.anything_left_of(uid);
                prop_assert!(
                    left.is_empty(),
                    "at {} ms: {uid}'s API object is released only once nothing of it is left: {left:?}",
                    w.now
                );
            }
        }
        Ok(())
    }
}

/// The check of `a_kubelet_restart_restarts_no_matching_container`, for one case.
fn check_kubelet_restart(case: &Case) -> Result<(), TestCaseError> {
    let mut run = drive(case, 3 * MINUTE, None)?;
    let w = &mut run.world;
    let running = |w: &World| -> BTreeSet<SharedStr> {
        w.rt.containers
            .iter()
            .filter(|(_, c, _)| c.state == ContainerState::Running)
            .map(|(_, c, _)| c.id.clone())
            .collect()
    };
    let sandboxes = |w: &World| -> Vec<(SharedStr, SandboxState)> {
        w.rt.sandboxes.iter().map(|(_, s)| (s.id.clone(), s.state)).collect()
    };
    let (before, sandboxes_before, calls_before) = (running(w), sandboxes(w), w.rt.calls.len());
    w.restart_kubelet();
    w.run_for(2 * MINUTE);
    prop_assert_eq!(running(w), before, "the same containers run after a kubelet restart");
    prop_assert_eq!(sandboxes(w), sandboxes_before, "the same sandboxes exist after a kubelet restart");
    let made: Vec<&String> =
        w.rt.calls[calls_before..].iter().filter(|c| MAKES.iter().any(|m| c.starts_with(m))).collect();
    prop_assert!(made.is_empty(), "a restarted kubelet makes or starts nothing of settled pods: {made:?}");

    for restart in &run.restarts {
        let seq = restart.seq;
        for (uid, name, id) in &restart.running {
            if run.touched.get(uid).is_some_and(|&t| t > seq) {
                continue;
            }
            let newest = run.world.instances(uid, name).first().map(|c| (c.id.to_string(), c.state));
            prop_assert_eq!(
                newest,
                Some((id.clone(), ContainerState::Running)),
                "{}/{}: the container running with its spec's hash at the kubelet restart (operation \
                 {}) still runs",
                uid,
                name,
                seq
            );
        }
    }
    Ok(())
}

/// The CRI calls that make or start something.
const MAKES: [&str; 3] = ["RunPodSandbox", "CreateContainer", "StartContainer"];

/// 64 cases per property (set `PROPTEST_CASES` to search harder), from a fixed seed so that a run
/// of the tests is the same every time (set `PROPTEST_RNG_SEED` to search elsewhere); no regression
/// files are written.
fn config() -> ProptestConfig {
    let defaults = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() { defaults.cases } else { 64 };
    ProptestConfig { cases, rng_seed: crate::seed(&defaults), failure_persistence: None, ..defaults }
}

proptest! {
    #![proptest_config(config())]

    /// Every pod that is still in the API and not being deleted reaches the state its spec asks for.
    /// A pod that keeps something running (a container running forever, or one restarted under
    /// Always/OnFailure) runs every container that runs forever, and every sidecar, with the spec's
    /// hash (image updates are applied), in a ready newest sandbox, and is reported Running. Under
    /// Never a container is never restarted (only a changed definition replaces it, in the sync that
    /// killed it: a kubelet crash in between leaves it exited, see [`Outcome::Lost`]) and ends with its
    /// workload's exit code; under OnFailure one that exited 0 is never restarted. A pod whose
    /// containers all finish under Never (or all succeed under OnFailure) is reported Succeeded or
    /// Failed from their exit codes, runs nothing, has its sandbox stopped and its volumes unmounted.
    #[test]
    fn every_pod_reaches_its_desired_state(case in case_strategy(false)) {
        let run = drive(&case, SETTLE, None)?;
        check_desired_state(&case, &run)?;
    }

    /// Init containers run in spec order before the regular containers: each init container starts
    /// only once the one before it exited 0 (a plain one) or started (a sidecar), and a regular
    /// container starts only once every init container did.
    #[test]
    fn init_containers_run_in_order_before_regular_containers(case in case_strategy(false)) {
        let run = drive(&case, 2 * MINUTE, None)?;
        check_init_order(&case, &run)?;
    }

    /// A deleted pod leaves nothing behind: once it settled, no container, sandbox, mount or data
    /// directory of it is left, and the kubelet released its API object (the final delete).
    #[test]
    fn deleted_pods_leave_nothing_behind(case in case_strategy(false)) {
        // Tearing a pod down takes milliseconds here (the world stops containers at once).
        let run = drive(&case, 5 * MINUTE, None)?;
        let w = &run.world;
        for uid in &run.deleted {
            let left = w.anything_left_of(uid);
            prop_assert!(left.is_empty(), "{uid}: nothing of a deleted pod is left: {left:?}");
            prop_assert!(
                w.api.released.contains(uid),
                "{uid}: the kubelet released the deleted pod's object"
            );
            prop_assert!(!w.api.pods.contains_key(uid), "{uid}: the released object is gone from the API");
        }
    }

    /// Containers start only in a ready sandbox after the data directory and mounts: no CreateContainer
    /// for a pod before its first RunPodSandbox; every container is made in its pod's newest sandbox,
    /// which is ready; a container is made or runs only while its sandbox is ready, the pod's data
    /// directory exists and every volume of the pod is mounted; two instances of one container never
    /// run at once. Checked after every millisecond in which the kubelet did something.
    #[test]
    fn containers_start_only_in_a_ready_sandbox_after_the_data_directory_and_mounts(
        case in case_strategy(false)
    ) {
        let mut checker = StartChecker::default();
        let mut check = |w: &World| checker.check(w);
        drive(&case, MINUTE, Some(&mut check))?;
    }

    /// The kubelet releases a pod's API object (its final delete) only once every container, sandbox,
    /// mount and the data directory of the pod are gone. Checked after every millisecond in which the
    /// kubelet did something.
    #[test]
    fn the_api_object_is_released_only_after_everything_is_gone(case in case_strategy(false)) {
        let mut checker = ReleaseChecker::default();
        let mut check = |w: &World| checker.check(w);
        drive(&case, MINUTE, Some(&mut check))?;
    }

    /// A kubelet restart restarts no matching container: with only run-forever containers, the
    /// containers (and sandboxes) running before a restart of a settled kubelet are exactly those
    /// running once the new one settled, and the new kubelet makes and starts nothing. Also, at
    /// any restart during the timeline, a container running with its spec's hash in a pod that no
    /// later operation touches is still the one running at the end.
    #[test]
    fn a_kubelet_restart_restarts_no_matching_container(case in case_strategy(true)) {
        check_kubelet_restart(&case)?;
    }

    /// The same inputs give the same run: playing a case twice makes the same CRI calls in the same
    /// order and reports the same statuses (the model and the world are deterministic).
    #[test]
    fn same_inputs_same_run(case in case_strategy(false)) {
        let first = drive(&case, 3 * MINUTE, None)?;
        let second = drive(&case, 3 * MINUTE, None)?;
        prop_assert_eq!(first.world.inputs, second.world.inputs, "the kubelet handled as many inputs");
        prop_assert!(first.world.rt.calls == second.world.rt.calls, "the same CRI calls in the same order");
        prop_assert!(first.world.api.statuses == second.world.api.statuses, "the same final API statuses");
    }
}

/// The minimal case proptest found for `a_kubelet_restart_restarts_no_matching_container` when the
/// property counted an unsettled pod: pod 2 (restartPolicy Never, a sidecar and one regular
/// container) has its container's image changed 3 ms before the kubelet restarts. The old kubelet
/// kills the container for its new spec; the new kubelet finds it exited, and under Never does not
/// start it again (computePodActions restarts a changed container only while it runs), so the pod
/// fails and its sidecar is stopped. The sidecar ran with its spec's hash at the restart, but its pod
/// was not settled: the property leaves such a pod out, and the settled pods keep their containers.
#[test]
fn a_kubelet_restart_during_a_spec_change_is_no_counterexample() {
    let forever = |restart_policy, inits: Vec<(Init, bool, u8)>| PodGen {
        restart_policy,
        volumes: 0,
        inits,
        regulars: vec![(Workload::Forever, false, 0)],
    };
    let case = Case {
        pods: vec![
            forever(RestartPolicy::Always, vec![]),
            forever(RestartPolicy::Always, vec![]),
            forever(RestartPolicy::Never, vec![(Init::Sidecar, false, 0)]),
            forever(RestartPolicy::Always, vec![]),
        ],
        timeline: vec![
            (0, Op::Create { pod: 0 }),
            (0, Op::Create { pod: 1 }),
            (0, Op::Create { pod: 2 }),
            (0, Op::Create { pod: 3 }),
            (993, Op::SetImage { pod: 0, container: "c0".into() }),
            (1005, Op::SetImage { pod: 2, container: "c0".into() }),
            (1008, Op::RestartKubelet),
        ],
        jitter: 0,
    };
    check_kubelet_restart(&case).expect("the settled pods keep their containers across the restart");
    let run = drive(&case, 3 * MINUTE, None).expect("the case runs");
    let sidecar = run.world.instances("uid-p2", "side0").first().map(|c| c.state);
    assert_eq!(sidecar, Some(ContainerState::Exited), "pod 2 failed, and its sidecar was stopped with it");
    assert_eq!(run.world.api.statuses.get("uid-p2").map(|s| s.phase), Some(PodPhase::Failed));
}
