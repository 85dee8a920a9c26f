//! The sidecar termination ordering (pkg/kubelet/kuberuntime/kuberuntime_termination_order.go,
//! SidecarContainers KEP-753): when a pod with restartable init containers is killed
//! (`killContainersWithSyncResult`), every regular container may stop at once; each sidecar waits
//! until every regular container has exited and, in reverse spec order, the next sidecar after it;
//! a container that is not running counts as exited from the start. The wait is bounded by the
//! container's remaining grace period (`waitForTurn`); only a successful stop counts as an exit
//! (`containerTerminated` follows a successful `StopContainer`).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::pod::Pod;

/// `terminationOrdering`: who waits for whom, and who has exited.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminationOrdering {
    /// Per container name, the containers it waits for (`prereqs`).
    prereqs: BTreeMap<String, Vec<String>>,
    /// The containers not yet exited (`terminated`'s open channels).
    running: BTreeSet<String>,
}

impl TerminationOrdering {
    /// `newTerminationOrdering`: the pod's regular containers are the prerequisites of every
    /// sidecar, and each sidecar of the one after it in the spec; `running` names the containers
    /// being killed.
    pub fn new<'a>(pod: &Pod, running: impl IntoIterator<Item = &'a str>) -> TerminationOrdering {
        let running_names: BTreeSet<&str> = running.into_iter().collect();
        let mut ordering = TerminationOrdering::default();
        let mains: Vec<String> = pod.spec.containers.iter().map(|c| c.name().to_string()).collect();
        let all = pod.spec.containers.iter().chain(pod.spec.init_containers.iter());
        ordering.running =
            all.map(|c| c.name()).filter(|n| running_names.contains(n)).map(String::from).collect();
        let mut later_sidecar: Option<String> = None;
        for init in pod.spec.init_containers.iter().rev() {
            if !init.is_restartable_init_container() {
                continue;
            }
            let mut waits = mains.clone();
            waits.extend(later_sidecar.take());
            ordering.prereqs.insert(init.name().to_string(), waits);
            later_sidecar = Some(init.name().to_string());
        }
        ordering
    }

    /// What the container waits for.
    pub fn prereqs(&self, name: &str) -> &[String] {
        self.prereqs.get(name).map_or(&[], Vec::as_slice)
    }

    /// Whether every container `name` waits for has exited: its turn has come.
    pub fn is_turn(&self, name: &str) -> bool {
        self.prereqs(name).iter().all(|p| !self.running.contains(p))
    }

    /// `containerTerminated`: the container exited.
    pub fn container_terminated(&mut self, name: &str) {
        self.running.remove(name);
    }
}
