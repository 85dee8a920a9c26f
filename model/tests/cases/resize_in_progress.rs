//! The kubelet's `TestIsPodResizeInProgress` (pkg/kubelet/kuberuntime/kuberuntime_manager_test.go of
//! yuanwang04/kubernetes@bca651cd, read_file id 59066912794, after v1.36), ported row for row where
//! podsim can express it: the container rows. Not ported: the pod-level-resources rows
//! (`only-plr/...`, `plr/...`, "plr mismatch during initial creation"; podsim has no pod-level
//! resources) and "simple resized container/mem req" (the 1.34+ kubelet compares with its actuated
//! checkpoint, which records the memory request; podsim reads what runs from the runtime, which
//! reports no memory request, so a memory-request-only difference is not seen).
//!
//! Each row: containers with their allocated resources (cpu request, cpu limit, memory request,
//! memory limit, in millicores and bytes), what they run with (`actuated`; podsim: what the runtime
//! reports, from the cgroup values the kubelet would have set), running or exited or not started,
//! plain init container or sidecar.

use podsim_model::kubelet::allocation::is_pod_resize_in_progress;
use podsim_model::linux_resources::{calculate_linux_resources, to_kube_container_resources};
use podsim_model::pod::{Container, Pod, Quantity, ResourceList, ResourceRequirements, RestartPolicy};
use podsim_model::{ContainerState, ContainerStatus, RuntimePodStatus};

#[derive(Clone, Copy, Default)]
struct R {
    cpu_req: i64,
    cpu_lim: i64,
    mem_req: i64,
    mem_lim: i64,
}

const fn r(cpu_req: i64, cpu_lim: i64, mem_req: i64, mem_lim: i64) -> R {
    R { cpu_req, cpu_lim, mem_req, mem_lim }
}

#[derive(Clone, Copy, Default)]
struct C {
    allocated: R,
    actuated: Option<R>,
    non_sidecar_init: bool,
    sidecar: bool,
    running: bool,
    unstarted: bool,
}

/// `mkRequirements`: a value of 0 is left unset.
fn requirements(v: R) -> ResourceRequirements {
    let q = |text: String, n: i64| (n != 0).then(|| Quantity::parse(&text).unwrap());
    ResourceRequirements {
        requests: ResourceList {
            cpu: q(format!("{}m", v.cpu_req), v.cpu_req),
            memory: q(v.mem_req.to_string(), v.mem_req),
        },
        limits: ResourceList {
            cpu: q(format!("{}m", v.cpu_lim), v.cpu_lim),
            memory: q(v.mem_lim.to_string(), v.mem_lim),
        },
    }
}

fn in_progress(containers: &[C]) -> bool {
    let mut pod = Pod::new("test-pod", "12345", "node-1");
    let mut runtime = RuntimePodStatus::default();
    for (i, c) in containers.iter().enumerate() {
        let mut spec = Container::new(format!("c{i}"), "img");
        spec.resources = requirements(c.allocated);
        if c.sidecar {
            spec.restart_policy = Some(RestartPolicy::Always);
        }
        if !c.unstarted {
            let state = if c.running { ContainerState::Running } else { ContainerState::Exited };
            runtime.containers.push(ContainerStatus {
                id: format!("id{i}").into(),
                name: spec.name().to_string().into(),
                state,
                exit_code: 0,
                reason: String::new().into(),
                hash: spec.hash(),
                restart_count: 0,
                sandbox_id: String::new().into(),
                image: String::new().into(),
                created_at: 0,
                started_at: None,
                finished_at: None,
                resources: c
                    .actuated
                    .map(|a| to_kube_container_resources(&calculate_linux_resources(&requirements(a)))),
            });
        }
        if c.non_sidecar_init || c.sidecar {
            pod.spec_mut().init_containers.push(spec);
        } else {
            pod.spec_mut().containers.push(spec);
        }
    }
    is_pod_resize_in_progress(&pod, &runtime)
}

fn running(allocated: R, actuated: R) -> C {
    C { allocated, actuated: Some(actuated), running: true, ..C::default() }
}

#[test]
fn simple_running_container() {
    assert!(!in_progress(&[running(r(100, 100, 100, 100), r(100, 100, 100, 100))]));
}

#[test]
fn simple_unstarted_container() {
    assert!(!in_progress(&[C { allocated: r(100, 100, 100, 100), unstarted: true, ..C::default() }]));
}

// "simple resized container/cpu req"
#[test]
fn simple_resized_container_cpu_req() {
    assert!(in_progress(&[running(r(100, 200, 100, 200), r(150, 200, 100, 200))]));
}

// "simple resized container/cpu limit"
#[test]
fn simple_resized_container_cpu_limit() {
    assert!(in_progress(&[running(r(100, 200, 100, 200), r(100, 300, 100, 200))]));
}

// "simple resized container/cpu+mem req"
#[test]
fn simple_resized_container_cpu_mem_req() {
    assert!(in_progress(&[running(r(100, 200, 100, 200), r(150, 200, 150, 200))]));
}

// "simple resized container/mem limit"
#[test]
fn simple_resized_container_mem_limit() {
    assert!(in_progress(&[running(r(100, 200, 100, 200), r(100, 200, 100, 300))]));
}

// "terminated resized container"
#[test]
fn terminated_resized_container() {
    let c = C { allocated: r(100, 200, 100, 200), actuated: Some(r(200, 200, 100, 200)), ..C::default() };
    assert!(!in_progress(&[c]));
}

// "non-sidecar init container"
#[test]
fn non_sidecar_init_container() {
    let init = C { allocated: r(100, 200, 100, 200), non_sidecar_init: true, running: true, ..C::default() };
    assert!(!in_progress(&[init, running(r(100, 200, 100, 200), r(100, 200, 100, 200))]));
}

// "non-resized sidecar"
#[test]
fn non_resized_sidecar() {
    let sidecar = C { sidecar: true, ..running(r(100, 200, 100, 200), r(100, 200, 100, 200)) };
    assert!(!in_progress(&[sidecar, running(r(100, 200, 100, 200), r(100, 200, 100, 200))]));
}

// "resized sidecar"
#[test]
fn resized_sidecar() {
    let sidecar = C { sidecar: true, ..running(r(100, 200, 100, 200), r(200, 200, 100, 200)) };
    assert!(in_progress(&[sidecar, running(r(100, 200, 100, 200), r(100, 200, 100, 200))]));
}

// "several containers and a resize"
#[test]
fn several_containers_and_a_resize() {
    let init = C { allocated: r(100, 200, 100, 200), non_sidecar_init: true, running: true, ..C::default() };
    let unstarted = C { allocated: r(100, 200, 100, 200), unstarted: true, ..C::default() };
    assert!(in_progress(&[
        init,
        running(r(100, 200, 100, 200), r(100, 200, 100, 200)),
        unstarted,
        running(r(100, 200, 100, 200), r(200, 200, 100, 200)),
    ]));
}

// "several containers"
#[test]
fn several_containers() {
    let sidecar = C { sidecar: true, ..running(r(100, 200, 0, 0), r(100, 200, 0, 0)) };
    assert!(!in_progress(&[
        sidecar,
        running(r(0, 0, 100, 200), r(0, 0, 100, 200)),
        running(r(200, 0, 100, 0), r(200, 0, 100, 0)),
    ]));
}

// "best-effort pod"
#[test]
fn best_effort_pod() {
    assert!(!in_progress(&[running(R::default(), R::default())]));
}

// "burstable pod/not resizing"
#[test]
fn burstable_pod_not_resizing() {
    assert!(!in_progress(&[running(r(100, 0, 0, 0), r(100, 0, 0, 0))]));
}

// "burstable pod/resized"
#[test]
fn burstable_pod_resized() {
    assert!(in_progress(&[running(r(100, 0, 0, 0), r(500, 0, 0, 0))]));
}
