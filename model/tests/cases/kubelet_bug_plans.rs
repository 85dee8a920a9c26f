//! The bug variants of `computePodActions` (model/src/kubelet/bugs.rs, BUGS.md): for each, one pod and
//! runtime state where the current kubelet's plan and the pre-fix plan differ exactly as the fix
//! changed them, and the same state planned without the bug gives today's plan.

use podsim_model::actions::{compute_pod_actions_opts, PlanOptions, PodActions};
use podsim_model::kubelet::{KubeletBug, KubeletBugs};
use podsim_model::runtime::{ContainerState, ContainerStatus, RuntimePodStatus, SandboxState, SandboxStatus};
use podsim_model::shared_str::SharedStr;
use podsim_model::{Container, Pod, ProbeResults, RestartPolicy};

fn pod(policy: RestartPolicy, inits: &[&str], regular: &[&str]) -> Pod {
    let mut pod = Pod::new("web", "uid-1", "node-1");
    pod.spec_mut().restart_policy = policy;
    pod.spec_mut().init_containers = inits.iter().map(|n| Container::new(*n, "img")).collect();
    pod.spec_mut().containers = regular.iter().map(|n| Container::new(*n, "img")).collect();
    pod
}

fn sandbox(id: &str, state: SandboxState, attempt: u32) -> SandboxStatus {
    SandboxStatus { id: id.into(), state, attempt, ip: "10.0.0.1".into(), host_network: false, created_at: 0 }
}

/// A container of `pod` named `name` in `state` (exit code `code`), with its spec's hash.
fn container(pod: &Pod, name: &str, state: ContainerState, code: i32, sandbox: &str) -> ContainerStatus {
    let (_, spec) = pod.all_containers().find(|(_, c)| c.name() == name).expect("a container of the pod");
    ContainerStatus {
        id: format!("{name}-{sandbox}").into(),
        name: name.into(),
        state,
        exit_code: code,
        reason: SharedStr::EMPTY,
        hash: spec.hash(),
        restart_count: 0,
        sandbox_id: sandbox.into(),
        image: "img".into(),
        created_at: 0,
        started_at: None,
        finished_at: None,
        resources: None,
    }
}

/// The plan with and without `bug`.
fn plans(pod: &Pod, status: &RuntimePodStatus, bug: KubeletBug) -> (PodActions, PodActions) {
    let plan = |bugs: KubeletBugs| {
        let options = PlanOptions { bugs, ..PlanOptions::default() };
        compute_pod_actions_opts(pod, status, &ProbeResults::none(), &options)
    };
    (plan(KubeletBugs::NONE), plan(KubeletBugs::NONE.with(bug)))
}

use ContainerState::{Created, Exited, Running};
use SandboxState::{NotReady, Ready};

/// A Never pod whose sandbox died after its containers ran: no new sandbox (kubernetes#35309); the
/// pre-fix kubelet made one and started every container again.
#[test]
fn never_pod_sandbox_recreated() {
    let p = pod(RestartPolicy::Never, &[], &["a", "b"]);
    let status = RuntimePodStatus {
        sandboxes: vec![sandbox("s1", NotReady, 0)],
        containers: vec![container(&p, "a", Exited, 1, "s1"), container(&p, "b", Running, 0, "s1")],
    };
    let (today, buggy) = plans(&p, &status, KubeletBug::NeverPodSandboxRecreated);
    assert!(today.kill_pod && !today.create_sandbox && today.containers_to_start.is_empty());
    assert!(buggy.create_sandbox && buggy.containers_to_start == [0, 1]);
}

/// A Never pod whose second sandbox died before any container was created: a new sandbox
/// (kubernetes#79451); 1.13-1.15 read the attempt alone and made none.
#[test]
fn never_pod_sandbox_not_retried() {
    let p = pod(RestartPolicy::Never, &[], &["a"]);
    let status = RuntimePodStatus { sandboxes: vec![sandbox("s2", NotReady, 1)], containers: Vec::new() };
    let (today, buggy) = plans(&p, &status, KubeletBug::NeverPodSandboxNotRetried);
    assert!(today.create_sandbox && today.containers_to_start == [0]);
    assert!(!buggy.create_sandbox && buggy.containers_to_start.is_empty());
}

/// A pod initialised in its old sandbox gets a new one: it starts over from the first init container
/// (kubernetes#47599); before, the regular containers started at once.
#[test]
fn init_containers_skipped_in_new_sandbox() {
    let p = pod(RestartPolicy::Always, &["init"], &["app"]);
    let status = RuntimePodStatus {
        sandboxes: vec![sandbox("s1", NotReady, 0)],
        containers: vec![container(&p, "app", Exited, 137, "s1"), container(&p, "init", Exited, 0, "s1")],
    };
    let (today, buggy) = plans(&p, &status, KubeletBug::InitContainersSkippedInNewSandbox);
    assert!(
        today.create_sandbox && today.init_containers_to_start == [0] && today.containers_to_start.is_empty()
    );
    assert!(
        buggy.create_sandbox && buggy.init_containers_to_start.is_empty() && buggy.containers_to_start == [0]
    );
    // The first sandbox of a pod runs its init containers even with the bug.
    let first = RuntimePodStatus::default();
    let (_, buggy_first) = plans(&p, &first, KubeletBug::InitContainersSkippedInNewSandbox);
    assert_eq!(buggy_first.init_containers_to_start, [0]);
}

/// In the new sandbox the first init container runs; the exited `app` of the old sandbox is no proof
/// of initialisation (kubernetes#120269); 1.28.0 took it as one and started `app`.
#[test]
fn exited_container_counts_as_initialized() {
    let p = pod(RestartPolicy::Always, &["init-1", "init-2"], &["app"]);
    let status = RuntimePodStatus {
        sandboxes: vec![sandbox("s2", Ready, 1), sandbox("s1", NotReady, 0)],
        containers: vec![container(&p, "init-1", Running, 0, "s2"), container(&p, "app", Exited, 137, "s1")],
    };
    let (today, buggy) = plans(&p, &status, KubeletBug::ExitedContainerCountsAsInitialized);
    assert!(today.containers_to_start.is_empty(), "{today:?}");
    assert_eq!(buggy.containers_to_start, [0], "{buggy:?}");
}

/// An init container left created by a failed start is started again (kubernetes#126543); before,
/// nothing was planned.
#[test]
fn created_init_container_not_restarted() {
    let p = pod(RestartPolicy::Always, &["init"], &["app"]);
    let status = RuntimePodStatus {
        sandboxes: vec![sandbox("s1", Ready, 0)],
        containers: vec![container(&p, "init", Created, 0, "s1")],
    };
    let (today, buggy) = plans(&p, &status, KubeletBug::CreatedInitContainerNotRestarted);
    assert_eq!(today.init_containers_to_start, [0]);
    assert!(buggy.is_noop(), "{buggy:?}");
}

/// The init container of a running pod was removed from the runtime: it is not run again
/// (kubernetes#96572); before, it was, beside the running `app`.
#[test]
fn init_containers_rerun_after_removal() {
    let p = pod(RestartPolicy::Always, &["init"], &["app"]);
    let status = RuntimePodStatus {
        sandboxes: vec![sandbox("s1", Ready, 0)],
        containers: vec![container(&p, "app", Running, 0, "s1")],
    };
    let (today, buggy) = plans(&p, &status, KubeletBug::InitContainersRerunAfterRemoval);
    assert!(today.is_noop(), "{today:?}");
    assert_eq!(buggy.init_containers_to_start, [0]);
}

/// A finished OnFailure pod whose sandbox died: kill only (kubernetes#92614); before, a new sandbox
/// and its init container again.
#[test]
fn done_pod_sandbox_recreated() {
    let p = pod(RestartPolicy::OnFailure, &["init"], &["app"]);
    let status = RuntimePodStatus {
        sandboxes: vec![sandbox("s1", NotReady, 0)],
        containers: vec![container(&p, "app", Exited, 0, "s1"), container(&p, "init", Exited, 0, "s1")],
    };
    let (today, buggy) = plans(&p, &status, KubeletBug::DonePodSandboxRecreated);
    assert!(today.kill_pod && !today.create_sandbox);
    assert!(buggy.create_sandbox && buggy.init_containers_to_start == [0]);
}
