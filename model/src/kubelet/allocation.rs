//! The allocation manager of in-place pod resize (pkg/kubelet/allocation/allocation_manager.go, of
//! the 1.33+ kubelet; natasha41575/kubernetes read_file id 1588907817): the resources each pod's
//! containers were admitted with (the allocation), the resize the API asks for admitted against the
//! node's allocatable or left pending, and the pod's resize conditions (the status manager's
//! `PodResizePending` / `PodResizeInProgress`).
//!
//! - `AddPod`: a new pod is allocated its spec's resources (podsim has no admission handlers: a pod
//!   that does not fit is admitted all the same).
//! - `handlePodResourcesResize` (from `HandlePodUpdates`, through `PushPendingResize` and
//!   `RetryPendingResizes`): spec = allocation → nothing pending; gate off → Infeasible; the pod's
//!   requests above the node's allocatable → Infeasible ("Node didn't have enough capacity: ...");
//!   above what the other pods' allocations leave → Deferred ("Node didn't have enough resource:
//!   ..."); else the allocation takes the spec, and `PodResizeInProgress` is set.
//! - `RetryPendingResizes`: deferred resizes are tried again when a pod is updated or removed, when a
//!   resize completes, and by the manager's ticker 3 minutes after the last retry (`retryDelay`).
//!   Since 1.34 the kubelet sorts the queue (`sortPendingResizes`: resizes that ask for no more first,
//!   then by priority, QoS class and age); podsim tries them in the order they arrived.
//! - `CheckPodResizeInProgress` (from `SyncPod`): in progress while a running resizable container
//!   runs with other values than allocated (podsim reads what it runs with from the runtime, where the
//!   1.34+ kubelet keeps an actuated checkpoint; the two agree once an update succeeded).
//! - `UpdatePodFromAllocation`: a sync works from the pod with the allocated resources.
//!
//! Not kept across a kubelet restart (the kubelet checkpoints it to disk): a restarted kubelet
//! allocates each pod's spec as it finds it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::pod_config::is_api_terminal;
use super::pod_workers::PodWorker;
use super::Kubelet;
use crate::io::{Output, Timer, WorkerState};
use crate::pod::{pod_request, Container, Pod, Quantity, ResourceList, ResourceName, ResourceRequirements};
use crate::runtime::{ContainerState, Millis, RuntimePodStatus};
use crate::status::conditions::{ConditionStatus, PodCondition};

/// `v1.PodResizePending`.
pub const POD_RESIZE_PENDING: &str = "PodResizePending";
/// `v1.PodResizeInProgress`.
pub const POD_RESIZE_IN_PROGRESS: &str = "PodResizeInProgress";
/// `v1.PodReasonDeferred`.
pub const REASON_DEFERRED: &str = "Deferred";
/// `v1.PodReasonInfeasible`.
pub const REASON_INFEASIBLE: &str = "Infeasible";

/// `retryDelay`: the allocation manager's ticker tries the pending resizes again 3 minutes after the
/// last retry, whatever triggered it (`retryPendingResizes` resets the ticker).
pub const RESIZE_RETRY_DELAY: Millis = 180_000;

/// The default `evictionHard` `memory.available` (100Mi): held back from the node's allocatable.
pub const EVICTION_HARD_MEMORY_AVAILABLE: i64 = 100 << 20;

/// A pod's resize conditions, as the status manager holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResizeConditions {
    /// `PodResizePending`: (reason, message).
    pub pending: Option<(String, String)>,
    /// `PodResizeInProgress`.
    pub in_progress: bool,
}

impl ResizeConditions {
    /// The conditions as `generateAPIPodStatus` appends them (pending first).
    pub fn to_conditions(&self) -> Vec<PodCondition> {
        let mut out = Vec::new();
        if let Some((reason, message)) = &self.pending {
            out.push(PodCondition::new(
                POD_RESIZE_PENDING,
                ConditionStatus::True,
                reason.clone(),
                message.clone(),
            ));
        }
        if self.in_progress {
            out.push(PodCondition::new(POD_RESIZE_IN_PROGRESS, ConditionStatus::True, "", ""));
        }
        out
    }
}

/// The allocation manager's state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    /// Pod UID → container name → allocated resources (regular containers and sidecars).
    allocated: BTreeMap<String, BTreeMap<String, ResourceRequirements>>,
    /// Pod UID → resize conditions.
    conditions: BTreeMap<String, ResizeConditions>,
    /// Pods whose resize waits (`podsWithPendingResizes`), in order.
    pending: Vec<String>,
    /// The arming of the retry ticker whose tick counts (`ticker.Reset` at each retry).
    retry_generation: u64,
}

/// Whether the allocation manager keeps a container's resources (`IsResizableContainer`): regular
/// containers and sidecars.
fn is_resizable(c: &Container, init: bool) -> bool {
    !init || c.is_restartable_init_container()
}

/// `allocationFromPod`.
fn allocation_from_pod(pod: &Pod) -> BTreeMap<String, ResourceRequirements> {
    let regular = pod.spec.containers.iter().map(|c| (c, false));
    let init = pod.spec.init_containers.iter().map(|c| (c, true));
    regular
        .chain(init)
        .filter(|(c, init)| is_resizable(c, *init))
        .map(|(c, _)| (c.name().to_string(), c.resources.clone()))
        .collect()
}

impl Allocation {
    /// `UpdatePodFromAllocation`: the pod with each container's allocated resources (unchanged if
    /// the pod has no allocation).
    pub fn update_pod_from_allocation(&self, pod: &Pod) -> Pod {
        let mut out = pod.clone();
        let Some(alloc) = self.allocated.get(&pod.uid) else { return out };
        let differs = |c: &Container| alloc.get(c.name()).is_some_and(|r| *r != c.resources);
        if pod.spec.containers.iter().chain(pod.spec.init_containers.iter()).any(differs) {
            let spec = std::sync::Arc::make_mut(&mut out.spec);
            for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut()) {
                if let Some(r) = alloc.get(c.name()) {
                    c.resources = r.clone();
                }
            }
        }
        out
    }

    /// The resources allocated to one container of a pod, if it has an allocation.
    pub fn allocated_resources(&self, uid: &str, container: &str) -> Option<&ResourceRequirements> {
        self.allocated.get(uid)?.get(container)
    }

    /// The resize conditions of a pod.
    pub fn conditions(&self, uid: &str) -> Vec<PodCondition> {
        self.conditions.get(uid).map(ResizeConditions::to_conditions).unwrap_or_default()
    }

    fn conditions_mut(&mut self, uid: &str) -> &mut ResizeConditions {
        self.conditions.entry(uid.to_string()).or_default()
    }

    /// `RemovePod`.
    pub fn remove_pod(&mut self, uid: &str) {
        self.allocated.remove(uid);
        self.conditions.remove(uid);
        self.pending.retain(|u| u != uid);
    }
}

/// The node's allocatable cpu (millicores) and memory (bytes): its capacity less the default hard
/// eviction threshold for memory (no system or kube reservations, the kubelet's defaults).
pub fn node_allocatable(capacity: &ResourceList) -> (i64, i64) {
    (capacity.cpu_milli(), (capacity.memory_bytes() - EVICTION_HARD_MEMORY_AVAILABLE).max(0))
}

/// The node capacity podsim's nodes have unless a scenario says otherwise: 4 cpus and 8Gi.
pub fn default_node_capacity() -> ResourceList {
    ResourceList { cpu: Quantity::parse("4").ok(), memory: Quantity::parse("8Gi").ok() }
}

/// What `canResizePod` decides for a pod's desired resources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResizeFit {
    /// It fits: allocate.
    Fits,
    /// (reason, message): Infeasible or Deferred.
    Pending(&'static str, String),
}

/// `canResizePod`: Infeasible if the pod alone asks more than the node's allocatable; Deferred if
/// it asks more than the other pods' allocations leave (the predicate admit handler's message: the
/// first resource that does not fit, cpu before memory).
pub fn can_resize_pod(desired: &Pod, others: &[Pod], capacity: &ResourceList) -> ResizeFit {
    let (cpu_available, mem_available) = node_allocatable(capacity);
    let cpu = pod_request(desired, ResourceName::Cpu);
    let mem = pod_request(desired, ResourceName::Memory);
    if cpu > cpu_available || mem > mem_available {
        let what = if mem > mem_available {
            format!("memory, requested: {mem}, capacity: {mem_available}")
        } else {
            format!("cpu, requested: {cpu}, capacity: {cpu_available}")
        };
        return ResizeFit::Pending(REASON_INFEASIBLE, format!("Node didn't have enough capacity: {what}"));
    }
    for (name, word, requested, capacity) in
        [(ResourceName::Cpu, "cpu", cpu, cpu_available), (ResourceName::Memory, "memory", mem, mem_available)]
    {
        let used: i64 = others.iter().map(|p| pod_request(p, name)).sum();
        if used + requested > capacity {
            return ResizeFit::Pending(
                REASON_DEFERRED,
                format!(
                    "Node didn't have enough resource: {word}, requested: {requested}, used: {used}, capacity: {capacity}"
                ),
            );
        }
    }
    ResizeFit::Fits
}

/// `isPodResizeInProgress`: some running resizable container runs with other cpu or memory values
/// than allocated (as the runtime reports them; a memory request is not reported, and is taken as
/// applied; a cpu request of at most 2m reads as the minimum shares).
pub fn is_pod_resize_in_progress(allocated_pod: &Pod, runtime: &RuntimePodStatus) -> bool {
    let regular = allocated_pod.spec.containers.iter().map(|c| (c, false));
    let init = allocated_pod.spec.init_containers.iter().map(|c| (c, true));
    regular.chain(init).filter(|(c, init)| is_resizable(c, *init)).any(|(c, _)| {
        let Some(status) = runtime.find_container_status_by_name(c.name()) else { return false };
        if status.state != ContainerState::Running {
            return false;
        }
        let Some(actual) = &status.resources else { return false };
        let linux = crate::linux_resources::calculate_linux_resources(&c.resources);
        let wanted = crate::linux_resources::to_kube_container_resources(&linux);
        wanted != *actual
    })
}

/// A pod of `GetActivePods`, which a resize is weighed against (`filterOutInactivePods`): in the
/// pod manager (the API's pods), not one the pod workers know terminated (`IsPodKnownTerminated`),
/// and not one admitted terminal (Succeeded or Failed in the API server or the status manager,
/// `isAdmittedPodTerminal`) unless its termination is requested (`IsPodTerminationRequested`: a
/// terminal pod still stopping holds its resources). A deleted pod still terminating is active.
fn is_active(w: &PodWorker) -> bool {
    let known_terminated = w.state == WorkerState::Terminated;
    let termination_requested = w.state != WorkerState::Syncing || w.terminate_requested;
    let admitted_terminal =
        is_api_terminal(w.latest()) || w.last_status.as_ref().is_some_and(|s| s.phase.is_terminal());
    let terminal_not_stopping = admitted_terminal && !termination_requested;
    w.in_api && !known_terminated && !terminal_not_stopping
}

impl Kubelet {
    /// `AddPod`: a pod the kubelet sees for the first time is allocated its spec's resources.
    pub(super) fn allocate_new_pod(&mut self, pod: &Pod) {
        if !self.allocation.allocated.contains_key(&pod.uid) {
            self.allocation.allocated.insert(pod.uid.clone(), allocation_from_pod(pod));
        }
    }

    /// `HandlePodUpdates` with in-place resize: `PushPendingResize`, then `RetryPendingResizes`.
    pub(super) fn on_pod_updated_for_resize(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        if !self.allocation.pending.iter().any(|u| u == uid) {
            self.allocation.pending.push(uid.to_string());
        }
        self.retry_pending_resizes(now, out);
    }

    /// `RetryPendingResizes`: each pending resize is handled again; deferred ones stay pending; a
    /// pod whose allocation or resize conditions changed is synced.
    pub(super) fn retry_pending_resizes(&mut self, now: Millis, out: &mut Vec<Output>) {
        let pending = std::mem::take(&mut self.allocation.pending);
        let mut still = Vec::new();
        for uid in pending {
            let Some(pod) = self.workers.get(&uid).map(|w| w.latest().clone()) else { continue };
            let before = self.allocation.conditions.get(&uid).cloned().unwrap_or_default();
            let allocated = self.handle_pod_resources_resize(&pod);
            let after = self.allocation.conditions.get(&uid).cloned().unwrap_or_default();
            if after.pending.as_ref().is_some_and(|(reason, _)| reason == REASON_DEFERRED) {
                still.push(uid.clone());
            }
            if allocated || before != after {
                self.request_sync(&uid, now, out);
            }
        }
        self.allocation.pending = still;
        // `ticker.Reset(retryDelay)`: the next periodic retry is 3 minutes from now (with nothing
        // pending a tick would find nothing, so none is set).
        self.allocation.retry_generation += 1;
        if !self.allocation.pending.is_empty() {
            let timer = Timer::ResizeRetry { generation: self.allocation.retry_generation };
            out.push(Output::SetTimer { at: now + RESIZE_RETRY_DELAY, timer });
        }
    }

    /// The retry ticker: the pending resizes are tried again, unless a retry since reset it.
    pub(super) fn on_resize_retry_timer(&mut self, generation: u64, now: Millis, out: &mut Vec<Output>) {
        if generation == self.allocation.retry_generation {
            self.retry_pending_resizes(now, out);
        }
    }

    /// `handlePodResourcesResize`: whether the allocation took the pod's spec.
    fn handle_pod_resources_resize(&mut self, pod: &Pod) -> bool {
        let uid = pod.uid.as_str();
        let allocated_pod = self.allocation.update_pod_from_allocation(pod);
        if allocated_pod == *pod {
            self.allocation.conditions_mut(uid).pending = None;
            return false;
        }
        if !self.config.feature_gates.in_place_pod_vertical_scaling {
            let message = "InPlacePodVerticalScaling is disabled".to_string();
            self.allocation.conditions_mut(uid).pending = Some((REASON_INFEASIBLE.to_string(), message));
            return false;
        }
        let others: Vec<Pod> = self
            .workers
            .iter()
            .filter(|(u, w)| u.as_str() != uid && is_active(w))
            .map(|(_, w)| self.allocation.update_pod_from_allocation(w.latest()))
            .collect();
        match can_resize_pod(pod, &others, &self.config.node_capacity) {
            ResizeFit::Fits => {
                self.allocation.allocated.insert(uid.to_string(), allocation_from_pod(pod));
                let c = self.allocation.conditions_mut(uid);
                c.pending = None;
                c.in_progress = true;
                true
            }
            ResizeFit::Pending(reason, message) => {
                self.allocation.conditions_mut(uid).pending = Some((reason.to_string(), message));
                false
            }
        }
    }

    /// `CheckPodResizeInProgress` (from `SyncPod`): set while a running container differs from its
    /// allocation; when it clears, pending resizes are tried again.
    pub(super) fn check_pod_resize_in_progress(
        &mut self,
        allocated_pod: &Pod,
        runtime: &RuntimePodStatus,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let in_progress = is_pod_resize_in_progress(allocated_pod, runtime);
        let c = self.allocation.conditions_mut(&allocated_pod.uid);
        let cleared = c.in_progress && !in_progress;
        c.in_progress = in_progress;
        if cleared {
            self.retry_pending_resizes(now, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod_requesting(uid: &str, cpu: &str, memory: &str) -> Pod {
        let q = |t: &str| Quantity::parse(t).ok();
        let mut p = Pod::new(uid, uid, "node-1");
        let mut c = Container::new("app", "img");
        c.resources.requests = ResourceList { cpu: q(cpu), memory: q(memory) };
        p.spec_mut().containers.push(c);
        p
    }

    fn capacity() -> ResourceList {
        ResourceList { cpu: Quantity::parse("2").ok(), memory: Quantity::parse("1Gi").ok() }
    }

    /// `canResizePod`: above the allocatable is Infeasible (memory named first), above what the
    /// others leave is Deferred (cpu first), with the kubelet's messages.
    #[test]
    fn can_resize_pod_says_infeasible_or_deferred() {
        let others = [pod_requesting("b", "1", "100Mi")];
        let fit = |cpu, mem| can_resize_pod(&pod_requesting("a", cpu, mem), &others, &capacity());
        assert_eq!(fit("500m", "100Mi"), ResizeFit::Fits);
        assert_eq!(
            fit("3", "2Gi"),
            ResizeFit::Pending(
                REASON_INFEASIBLE,
                "Node didn't have enough capacity: memory, requested: 2147483648, capacity: 968884224".into()
            )
        );
        assert_eq!(
            fit("3", "100Mi"),
            ResizeFit::Pending(
                REASON_INFEASIBLE,
                "Node didn't have enough capacity: cpu, requested: 3000, capacity: 2000".into()
            )
        );
        assert_eq!(
            fit("1500m", "100Mi"),
            ResizeFit::Pending(
                REASON_DEFERRED,
                "Node didn't have enough resource: cpu, requested: 1500, used: 1000, capacity: 2000".into()
            )
        );
    }

    /// `canResizePod` compares with `>`: a pod asking exactly the node's allocatable cpu and memory
    /// fits; one asking more cpu than there is, and exactly the memory, is Infeasible for its cpu.
    /// (Survivors of the full mutation run: `allocation.rs:169:12`, `169:35` and `170:27`, `>` to `>=`.)
    #[test]
    fn can_resize_pod_fits_exactly_the_allocatable() {
        let (cpu, mem) = node_allocatable(&capacity());
        assert_eq!((cpu, mem), (2000, 968_884_224), "1Gi less the 100Mi eviction threshold");
        let fit = |cpu, mem| can_resize_pod(&pod_requesting("a", cpu, mem), &[], &capacity());
        assert_eq!(fit("2", "924Mi"), ResizeFit::Fits);
        assert_eq!(
            fit("2001m", "924Mi"),
            ResizeFit::Pending(
                REASON_INFEASIBLE,
                "Node didn't have enough capacity: cpu, requested: 2001, capacity: 2000".into()
            )
        );
        let over_memory = ResizeFit::Pending(
            REASON_INFEASIBLE,
            "Node didn't have enough capacity: memory, requested: 968884225, capacity: 968884224".into(),
        );
        assert_eq!(fit("2", "968884225"), over_memory);
    }

    /// Ported from pkg/kubelet/allocation/allocation_manager_test.go `TestRetryPendingResizes`
    /// (kubernetes/kubernetes, read_file id 700456726), the decision of `canResizePod` in each of its
    /// container-level cases, with the resized container a regular one and a sidecar (`sidecar=`).
    /// The Go node has 4 cpus and 4Gi allocatable (podsim's capacity here is 4Gi plus the 100Mi it
    /// holds back); the other active pods are two of 1 cpu and 1Gi. Messages are substrings, as the
    /// Go test asserts them. Not ported: the pod-level cases (podsim's pods have no pod-level
    /// resources), the two limit-only cases (`canResizePod` weighs requests, and podsim's resize
    /// fixtures carry the limits in kubelet_cases_resize.rs), and what each case says of the
    /// InProgress condition's message (podsim's condition carries none).
    #[test]
    fn retry_pending_resizes_decisions() {
        let capacity =
            ResourceList { cpu: Quantity::parse("4").ok(), memory: Quantity::parse("4196Mi").ok() };
        assert_eq!(node_allocatable(&capacity), (4000, 4 << 30));
        type Case<'a> = (&'a str, &'a str, &'a str, Option<(&'a str, &'a str)>);
        let cases: [Case; 10] = [
            ("Request CPU and memory decrease - expect InProgress", "500m", "500Mi", None),
            ("Request CPU increase, memory decrease - expect InProgress", "1500m", "500Mi", None),
            ("Request CPU decrease, memory increase - expect InProgress", "500m", "1500Mi", None),
            (
                "Request CPU and memory increase beyond current capacity - expect Deferred",
                "2500m",
                "2500Mi",
                Some((REASON_DEFERRED, "Node didn't have enough resource: cpu")),
            ),
            (
                "Request CPU decrease and memory increase beyond current capacity - expect Deferred",
                "500m",
                "2500Mi",
                Some((REASON_DEFERRED, "Node didn't have enough resource: memory")),
            ),
            (
                "Request memory increase beyond node capacity - expect Infeasible",
                "1",
                "4500Mi",
                Some((
                    REASON_INFEASIBLE,
                    "Node didn't have enough capacity: memory, requested: 4718592000, capacity: 4294967296",
                )),
            ),
            (
                "Request CPU increase beyond node capacity - expect Infeasible",
                "5000m",
                "1Gi",
                Some((
                    REASON_INFEASIBLE,
                    "Node didn't have enough capacity: cpu, requested: 5000, capacity: 4000",
                )),
            ),
            ("No resize", "1", "1Gi", None),
            ("Increase CPU from min shares", "1", "", None),
            ("Decrease CPU to min shares", "2m", "", None),
        ];
        let others = [pod_requesting("3333", "1", "1Gi"), pod_requesting("other", "1", "1Gi")];
        for (name, cpu, memory, expected) in cases {
            for sidecar in [false, true] {
                let mut desired = pod_requesting("1111", cpu, memory);
                if sidecar {
                    let mut c = desired.spec_mut().containers.remove(0);
                    c.restart_policy = Some(crate::pod::RestartPolicy::Always);
                    desired.spec_mut().init_containers.push(c);
                }
                let got = can_resize_pod(&desired, &others, &capacity);
                match (expected, got) {
                    (None, ResizeFit::Fits) => {}
                    (Some((reason, message)), ResizeFit::Pending(r, m)) => {
                        assert_eq!(r, reason, "{name}/sidecar={sidecar}");
                        assert!(m.contains(message), "{name}/sidecar={sidecar}: {m}");
                    }
                    (expected, got) => panic!("{name}/sidecar={sidecar}: expected {expected:?}, got {got:?}"),
                }
            }
        }
    }

    /// Ported from pkg/kubelet/kubelet_test.go `TestFilterOutInactivePods` (read_file id 2835627),
    /// case for case: eight pods, four active. The test's fake pod workers become worker states.
    #[test]
    fn filter_out_inactive_pods() {
        use crate::status::{PodPhase, PodStatusReport};
        let api = |phase| Some(std::sync::Arc::new(PodStatusReport { phase, ..Default::default() }));
        let worker = |i: usize, phase: Option<PodPhase>, state| {
            let mut pod = Pod::new(format!("pod{i}"), format!("uid{i}"), "node-1");
            pod.status = phase.and_then(api);
            PodWorker::new(pod, true, state)
        };
        let mut pods = [
            // 0, 1: terminal pods are excluded.
            worker(0, Some(PodPhase::Failed), WorkerState::Syncing),
            worker(1, Some(PodPhase::Succeeded), WorkerState::Syncing),
            // 2: a deleted pod is included unless it is known to be terminated.
            worker(2, Some(PodPhase::Running), WorkerState::Terminating),
            // 3, 4: pending and running pods are included.
            worker(3, Some(PodPhase::Pending), WorkerState::Syncing),
            worker(4, Some(PodPhase::Running), WorkerState::Syncing),
            // 5: running in the API, but the status manager holds it Failed (rejected): excluded.
            worker(5, Some(PodPhase::Running), WorkerState::Syncing),
            // 6: running in the API, but the pod workers know it terminated: excluded.
            worker(6, Some(PodPhase::Running), WorkerState::Terminated),
            // 7: failed, but its termination is requested (still stopping): included.
            worker(7, Some(PodPhase::Failed), WorkerState::Terminating),
        ];
        pods[2].pod.deletion_timestamp = Some(0);
        pods[5].last_status = Some(PodStatusReport { phase: PodPhase::Failed, ..Default::default() });
        let active: Vec<&str> = pods.iter().filter(|w| is_active(w)).map(|w| w.pod.name.as_str()).collect();
        assert_eq!(active, ["pod2", "pod3", "pod4", "pod7"]);
        // Beyond the table: a pod the API no longer has, and a failed pod whose deletion arrived
        // during a sync (its termination requested), are what their rules say.
        let mut gone = worker(8, Some(PodPhase::Running), WorkerState::Syncing);
        gone.in_api = false;
        assert!(!is_active(&gone));
        let mut deleting = worker(9, Some(PodPhase::Failed), WorkerState::Syncing);
        deleting.terminate_requested = true;
        assert!(is_active(&deleting));
    }

    #[test]
    fn the_allocation_covers_regular_containers_and_sidecars_only() {
        let mut p = pod_requesting("a", "1", "100Mi");
        let mut init = Container::new("init", "img");
        init.resources = p.spec.containers[0].resources.clone();
        let mut sidecar = Container::new("proxy", "img");
        sidecar.restart_policy = Some(crate::pod::RestartPolicy::Always);
        sidecar.resources = init.resources.clone();
        p.spec_mut().init_containers = vec![init, sidecar];
        let alloc = allocation_from_pod(&p);
        assert_eq!(alloc.keys().collect::<Vec<_>>(), ["app", "proxy"]);
    }
}
