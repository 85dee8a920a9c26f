//! Step 7 of the runtime's `SyncPod`: `doPodResizeAction` carries out the in-place resize
//! `computePodActions` planned (pkg/kubelet/kuberuntime/kuberuntime_manager.go
//! `doPodResizeAction`, `updatePodContainerResources`): memory first, then cpu, each container by
//! `UpdateContainerResources` in the order planned (decreases before increases). A memory update
//! sets the desired memory with the cpu values the container runs with; a cpu update the desired cpu
//! with the memory values. A failed update fails the sync's result (the pod is synced again after
//! the worker's back-off), and the steps after it still run, as `SyncPod` goes on to step 8.
//!
//! After a successful update the kubelet sets a pod watch condition (`SetPodWatchCondition`) that
//! syncs the pod at the next relist once the runtime shows the new values; podsim syncs it again as
//! soon as the sync ends, which reads the runtime at once.

use super::sync_run::Step;
use super::Kubelet;
use crate::actions::{ContainerResources, ContainerToUpdate, PodActions};
use crate::io::{CriReply, CriRequest, Output};
use crate::linux_resources::{
    milli_cpu_to_quota, milli_cpu_to_shares, LinuxContainerResources, QUOTA_PERIOD,
};
use crate::pod::ResourceName;
use crate::shared_str::SharedStr;

/// The values `updatePodContainerResources` sets for one container when `name` is resized.
pub fn resources_for_update(update: &ContainerToUpdate, name: ResourceName) -> ContainerResources {
    let (d, c) = (update.desired, update.current);
    match name {
        ResourceName::Memory => ContainerResources {
            memory_limit: d.memory_limit,
            memory_request: d.memory_request,
            cpu_limit: c.cpu_limit,
            cpu_request: c.cpu_request,
        },
        ResourceName::Cpu => ContainerResources {
            memory_limit: c.memory_limit,
            memory_request: c.memory_request,
            cpu_limit: d.cpu_limit,
            cpu_request: d.cpu_request,
        },
    }
}

/// `calculateLinuxResources` of those values (every request set, as the Go container is).
pub fn linux_resources_of(r: ContainerResources) -> LinuxContainerResources {
    LinuxContainerResources {
        cpu_period: QUOTA_PERIOD,
        cpu_quota: milli_cpu_to_quota(r.cpu_limit, QUOTA_PERIOD),
        cpu_shares: milli_cpu_to_shares(r.cpu_request),
        memory_limit_in_bytes: r.memory_limit.max(0),
    }
}

/// The steps of `doPodResizeAction`: one `UpdateContainerResources` per container and resource,
/// memory first.
pub(super) fn resize_steps(actions: &PodActions) -> Vec<Step> {
    let mut steps = Vec::new();
    for name in [ResourceName::Memory, ResourceName::Cpu] {
        for update in actions.containers_to_update.get(&name).into_iter().flatten() {
            let resources = linux_resources_of(resources_for_update(update, name));
            steps.push(Step::UpdateContainerResources { container_id: update.id.clone(), resources });
        }
    }
    steps
}

impl Kubelet {
    /// `UpdateContainerResources` of one container.
    pub(super) fn update_container_resources(
        &mut self,
        uid: &str,
        container_id: SharedStr,
        resources: LinuxContainerResources,
        out: &mut Vec<Output>,
    ) {
        self.cri(uid, out, CriRequest::UpdateContainerResources { container_id, resources });
    }

    /// The update is done (the pod is synced again once this sync ends), or the resize failed.
    pub(super) fn on_resources_updated(&mut self, uid: &str, reply: CriReply) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        match reply {
            CriReply::Err(e) => {
                if let Some(run) = w.sync.as_mut() {
                    run.start_failed = true;
                    run.kill_failures.push(format!("failed to update container resources: {e:?}"));
                }
            }
            _ => w.sync_requested = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::ContainerKind;

    fn r(cpu: i64, mem_mi: i64) -> ContainerResources {
        let mem = mem_mi << 20;
        ContainerResources { memory_limit: mem, memory_request: mem, cpu_limit: cpu, cpu_request: cpu }
    }

    fn update(desired: ContainerResources, current: ContainerResources) -> ContainerToUpdate {
        ContainerToUpdate {
            id: "c".into(),
            name: "c".into(),
            kind: ContainerKind::Regular,
            index: 0,
            desired,
            current,
        }
    }

    /// kuberuntime_manager_test.go `TestUpdatePodContainerResources` (yuanwang04/kubernetes, read_file
    /// id 59066912794): the limits and requests each container runs with after the update of one
    /// resource, for the three containers of the base pod (and, in the Go test's second pass, its
    /// three sidecars: the same values).
    #[test]
    fn update_pod_container_resources() {
        let spec = [r(150, 150), r(250, 250), r(350, 350)];
        let status = [r(100, 100), r(200, 200), r(300, 300)];
        // "Guaranteed QoS Pod - CPU & memory resize requested, update CPU"
        let expected_cpu = [r(150, 100), r(250, 200), r(350, 300)];
        // "Guaranteed QoS Pod - CPU & memory resize requested, update memory"
        let expected_mem = [r(100, 150), r(200, 250), r(300, 350)];
        for i in 0..3 {
            let u = update(spec[i], status[i]);
            assert_eq!(resources_for_update(&u, ResourceName::Cpu), expected_cpu[i]);
            assert_eq!(resources_for_update(&u, ResourceName::Memory), expected_mem[i]);
        }
    }

    #[test]
    fn memory_goes_before_cpu() {
        let mut actions = PodActions::default();
        actions.containers_to_update.insert(ResourceName::Cpu, vec![update(r(200, 100), r(100, 100))]);
        actions.containers_to_update.insert(ResourceName::Memory, vec![update(r(100, 200), r(100, 100))]);
        let steps = resize_steps(&actions);
        let Step::UpdateContainerResources { resources, .. } = &steps[0] else { panic!("{steps:?}") };
        assert_eq!(resources.memory_limit_in_bytes, 200 << 20);
        assert_eq!(resources.cpu_quota, 10_000);
        let Step::UpdateContainerResources { resources, .. } = &steps[1] else { panic!("{steps:?}") };
        assert_eq!(resources.cpu_quota, 20_000);
    }
}
