//! Pods and runtime states shared by `benches/podsim.rs` and `tests/alloc_free_planning.rs`.
//!
//! Lives in a subdirectory so that cargo does not take it for a bench target of its own. Each user
//! takes only what it needs, hence the `dead_code` allowance.

#![allow(dead_code)]

use podsim_model::shared_str::SharedStr;
use podsim_model::{
    Container, ContainerState, ContainerStatus, Pod, RestartPolicy, RuntimePodStatus, SandboxState,
    SandboxStatus,
};

/// Which runtime state to build for a pod.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drift {
    /// Everything runs from the current spec: planning has nothing to do.
    Stable,
    /// The second regular container runs from an older spec (its hash differs): one kill and start.
    ChangedHash,
}

/// A pod with `regular` containers, `plain_init` plain init containers and then `sidecars`
/// restartable init containers (`restartPolicy: Always`), named after `index`.
pub fn pod(index: usize, regular: usize, plain_init: usize, sidecars: usize) -> Pod {
    let mut pod = Pod::new(format!("pod-{index}"), format!("uid-{index:06}"), "node-1");
    for i in 0..plain_init {
        pod.spec_mut().init_containers.push(Container::new(format!("init-{i}"), "podsim/workload:1"));
    }
    for i in 0..sidecars {
        let mut c = Container::new(format!("sidecar-{i}"), "podsim/workload:2");
        c.restart_policy = Some(RestartPolicy::Always);
        pod.spec_mut().init_containers.push(c);
    }
    for i in 0..regular {
        pod.spec_mut().containers.push(Container::new(format!("app-{i}"), "podsim/workload:1"));
    }
    pod
}

/// A 3-container pod (no init containers).
pub fn small_pod(index: usize) -> Pod {
    pod(index, 3, 0, 0)
}

/// A large pod: 10 containers and 3 init containers, the last 2 of them sidecars.
pub fn large_pod(index: usize) -> Pod {
    pod(index, 10, 1, 2)
}

fn status(pod: &Pod, container: &Container, n: usize, state: ContainerState, hash: u64) -> ContainerStatus {
    ContainerStatus {
        id: format!("{}-ctr-{n}", pod.uid).into(),
        name: container.shared_name().clone(),
        state,
        exit_code: 0,
        reason: if state == ContainerState::Exited { "Completed".into() } else { SharedStr::EMPTY },
        hash,
        restart_count: 0,
        sandbox_id: format!("{}-sandbox", pod.uid).into(),
        image: container.shared_image().clone(),
        created_at: 1_000,
        started_at: Some(1_100),
        finished_at: if state == ContainerState::Exited { Some(1_200) } else { None },
        resources: None,
    }
}

/// The runtime of a pod that has settled: one READY sandbox with an IP, plain init containers exited
/// 0, sidecars and regular containers running from their current spec hash; with `ChangedHash` the
/// second regular container runs from another hash.
pub fn runtime(pod: &Pod, drift: Drift) -> RuntimePodStatus {
    let sandboxes = vec![SandboxStatus {
        id: format!("{}-sandbox", pod.uid).into(),
        state: SandboxState::Ready,
        attempt: 0,
        ip: "10.0.0.7".into(),
        host_network: false,
        created_at: 900,
    }];
    let mut containers = Vec::new();
    for c in &pod.spec.init_containers {
        let state =
            if c.is_restartable_init_container() { ContainerState::Running } else { ContainerState::Exited };
        containers.push(status(pod, c, containers.len(), state, c.hash()));
    }
    for (i, c) in pod.spec.containers.iter().enumerate() {
        let hash = if drift == Drift::ChangedHash && i == 1 { c.hash() ^ 1 } else { c.hash() };
        containers.push(status(pod, c, containers.len(), ContainerState::Running, hash));
    }
    // Newest first, as the runtime reports them.
    containers.reverse();
    RuntimePodStatus { sandboxes, containers }
}

/// A node of `n` 3-container pods with their runtimes; every tenth pod (index 0, 10, ...) has a
/// changed hash when `changed_tenth` is set.
pub fn node(n: usize, changed_tenth: bool) -> Vec<(Pod, RuntimePodStatus)> {
    (0..n)
        .map(|i| {
            let pod = small_pod(i);
            let drift = if changed_tenth && i % 10 == 0 { Drift::ChangedHash } else { Drift::Stable };
            let rt = runtime(&pod, drift);
            (pod, rt)
        })
        .collect()
}
