//! Plain init containers run one at a time, in order, and regular containers only after them
//! (`computeInitContainerActions` in kuberuntime_container.go); sidecars (restartable init
//! containers) do not hold the rest back once started.

use podsim_model::{ContainerKind, ContainerState, Pod};

use super::shared::Create;
use super::{Check, Context, Finding};
use crate::checker::observation::{Observation, ObservationKind};
use crate::checker::runtime::RuntimeContainer;
use crate::checker::{Rule, View};

/// [`Rule::InitContainersInOrder`].
pub struct InitContainersInOrder;

impl Check for InitContainersInOrder {
    fn rule(&self) -> Rule {
        Rule::InitContainersInOrder
    }

    fn words(&self) -> &'static str {
        "Plain init containers run one at a time, in order, and regular containers only after them."
    }

    fn observes(&self) -> &'static [ObservationKind] {
        &[ObservationKind::BeforeCri]
    }

    fn check(&mut self, observation: &Observation<'_>, _context: &Context<'_>) -> Vec<Finding> {
        let Some(create) = Create::before(observation) else { return Vec::new() };
        let Some(stored) = create.stored() else { return Vec::new() };
        let pod = &stored.pod;
        let Some((kind, _)) = pod.find_container(&create.config.name) else { return Vec::new() };
        let sandbox = Sandbox { view: create.view, id: create.sandbox_id };
        let who = create.who();
        let details = match kind {
            ContainerKind::Init => init_out_of_order(&sandbox, pod, &create.config.name, &who),
            ContainerKind::Regular => regular_before_inits(&sandbox, pod, &who),
            ContainerKind::Ephemeral => Vec::new(),
        };
        details.into_iter().map(|d| Finding::of_pod(create.pod_name(), d)).collect()
    }
}

/// The sandbox a container is created in.
struct Sandbox<'a> {
    view: &'a View<'a>,
    id: &'a str,
}

impl Sandbox<'_> {
    /// The instances of container `name` in it, newest first.
    fn instances(&self, name: &str) -> Vec<RuntimeContainer<'_>> {
        self.view
            .containerd
            .containers()
            .filter(|c| c.status.sandbox_id == self.id && c.status.name == name)
            .collect()
    }

    /// Whether the newest instance of `name` in it exited 0.
    fn completed(&self, name: &str) -> bool {
        self.instances(name)
            .first()
            .is_some_and(|c| c.status.state == ContainerState::Exited && c.status.exit_code == 0)
    }
}

fn plain_inits(pod: &Pod) -> Vec<&str> {
    pod.spec.init_containers.iter().filter(|c| !c.is_restartable_init_container()).map(|c| c.name()).collect()
}

/// A plain init container created while another runs, or before an earlier one completed.
fn init_out_of_order(sandbox: &Sandbox<'_>, pod: &Pod, name: &str, who: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Some(pos) = pod.spec.init_containers.iter().position(|c| c.name() == name) else { return out };
    if pod.spec.init_containers[pos].is_restartable_init_container() {
        return out;
    }
    for other in plain_inits(pod) {
        if other != name && sandbox.instances(other).iter().any(|c| c.runs()) {
            out.push(format!("{who} created while init container {other} runs"));
        }
    }
    let earlier = pod.spec.init_containers[..pos].iter().filter(|c| !c.is_restartable_init_container());
    for earlier in earlier.filter(|c| !sandbox.completed(c.name())) {
        out.push(format!("{who} created before init container {} completed", earlier.name()));
    }
    out
}

/// A regular container created before every plain init container completed. A regular container
/// that already ran in this sandbox shows initialisation was done; so does, to the kubelet, one whose
/// newest instance is created or running in any sandbox of the pod.
fn regular_before_inits(sandbox: &Sandbox<'_>, pod: &Pod, who: &str) -> Vec<String> {
    let initialised_before = pod.spec.containers.iter().any(|c| !sandbox.instances(c.name()).is_empty());
    if initialised_before || kubelet_sees_initialised(sandbox.view, pod) {
        return Vec::new();
    }
    let pending = plain_inits(pod).into_iter().filter(|init| !sandbox.completed(init));
    pending.map(|init| format!("{who} created before init container {init} completed")).collect()
}

/// The kubelet's `podHasInitialized` shortcut (kuberuntime_container.go
/// `computeInitContainerActions`): if the newest instance of any regular container of the pod, in
/// whatever sandbox, is created or running, all init containers "must have been executed at some
/// point in the past", and the kubelet skips the plain ones, even in a new sandbox. A container left
/// created by a failed start survives a pause death or a node reboot so, and the kubelet then starts
/// the regular containers of the new sandbox while its plain init container still runs
/// (`created-container-counts-as-initialized`).
fn kubelet_sees_initialised(view: &View<'_>, pod: &Pod) -> bool {
    pod.spec.containers.iter().any(|c| {
        view.containerd
            .containers()
            .filter(|r| r.is_of(&pod.uid))
            .find(|r| r.status.name == c.name())
            .is_some_and(|r| matches!(r.status.state, ContainerState::Created | ContainerState::Running))
    })
}
