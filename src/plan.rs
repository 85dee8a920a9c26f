//! `podsim plan`: the document it reads (a pod, its runtime state, probe results and, optionally,
//! the allocation manager's actuated resources) and the JSON it prints (the kubelet's `podActions`,
//! by container name), under the kubelet's feature gates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use podsim_model::actions::{compute_pod_actions_opts, ActuatedResources, ContainerResources, PlanOptions};
use podsim_model::manifest::PodManifest;
use podsim_model::pod::{ActualResources, ResourceName, ResourceRequirements};
use podsim_model::workload::check_pod_commands;
use podsim_model::{
    parse_hash, Container, ContainerKind, ContainerState, ContainerStatus, FeatureGates, Pod, PodActions,
    ProbeResults, RuntimePodStatus, SandboxState, SandboxStatus,
};

/// The pod condition the kubelet's sync reads to restart all containers (KEP-5532).
const ALL_CONTAINERS_RESTARTING: &str = "AllContainersRestarting";

use podsim_sim::input::{parse_document, InputError};

/// The whole input of `podsim plan`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanDocument {
    pod: PodManifest,
    #[serde(default)]
    runtime: Option<RuntimeDocument>,
    #[serde(default)]
    probes: Option<ProbeResults>,
    /// The allocation manager's actuated resources (1.34+), by container name: what the kubelet last
    /// started or resized each container with. Without it a resize compares the spec with the
    /// runtime's reported resources (the 1.33 kubelet).
    #[serde(default)]
    actuated: Option<BTreeMap<String, ResourceRequirements>>,
}

/// `runtime:` of a plan (or status) document.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeDocument {
    #[serde(default)]
    sandboxes: Vec<SandboxDocument>,
    #[serde(default)]
    containers: Vec<ContainerDocument>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SandboxDocument {
    id: String,
    state: SandboxState,
    #[serde(default)]
    attempt: u32,
    #[serde(default)]
    ip: Option<String>,
    #[serde(default)]
    host_network: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ContainerDocument {
    id: String,
    name: String,
    state: ContainerState,
    #[serde(default)]
    exit_code: i32,
    #[serde(default)]
    reason: String,
    hash: HashText,
    /// What the runtime reports it runs with (cpuRequest, cpuLimit, memoryLimit).
    #[serde(default)]
    resources: Option<ActualResources>,
    /// The restart count the kubelet wrote in its annotation.
    #[serde(default)]
    restart_count: u32,
    /// The image it runs (default: the image of the spec's container with its name).
    #[serde(default)]
    image: Option<String>,
    /// The sandbox it runs in (default: the newest sandbox).
    #[serde(default)]
    sandbox_id: Option<String>,
}

/// A hash as `podsim hash` prints it; YAML reads an all-digit hash such as `12345678` as a number,
/// so both are taken and read as hex text.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum HashText {
    Text(String),
    Number(u64),
}

impl HashText {
    fn text(&self) -> String {
        match self {
            HashText::Text(t) => t.clone(),
            HashText::Number(n) => n.to_string(),
        }
    }
}

/// A parsed and validated plan input.
pub struct PlanInput {
    /// The pod.
    pub pod: Pod,
    /// What the runtime holds for it.
    pub runtime: RuntimePodStatus,
    /// Cached probe results.
    pub probes: ProbeResults,
    /// The gates, and whether the pod's containers are all restarting.
    pub options: PlanOptions<'static>,
    /// The actuated resources of the pod's containers, if the document gives them.
    pub actuated: Option<ActuatedResources>,
}

/// Reads a plan document as a kubelet (and API server) with these feature gates would: the pod is
/// defaulted and validated under them, and its containers are all restarting if its status holds
/// `AllContainersRestarting=True` and RestartAllContainersOnContainerExits is on (`Kubelet.SyncPod`).
pub fn read_plan(file: &str, text: &str, gates: &FeatureGates) -> Result<PlanInput, InputError> {
    let doc: PlanDocument = parse_document(file, text)?;
    let source = Source { file, text };
    let mut input = plan_input(source, doc.pod, doc.runtime, doc.probes, gates)?;
    if let Some(actuated) = doc.actuated {
        check_actuated_names(source, &input.pod, &actuated)?;
        input.actuated = Some(actuated);
    }
    Ok(input)
}

/// Each name under `actuated:` is a container the allocation manager keeps resources for: a regular
/// container or a sidecar (`IsResizableContainer`).
fn check_actuated_names(
    source: Source<'_>,
    pod: &Pod,
    actuated: &ActuatedResources,
) -> Result<(), InputError> {
    let resizable = |name: &str| {
        pod.spec.containers.iter().any(|c| c.name() == name)
            || pod.spec.init_containers.iter().any(|c| c.name() == name && c.is_restartable_init_container())
    };
    match actuated.keys().find(|name| !resizable(name)) {
        Some(name) => Err(source.error_at(
            &format!("actuated.{name}"),
            format!("{name:?} is not a regular container or a sidecar of the pod"),
        )),
        None => Ok(()),
    }
}

/// A document as read: its file's name and its text (errors found after reading locate their field
/// in it).
#[derive(Clone, Copy)]
pub struct Source<'a> {
    /// The file as the user named it (`-`: standard input).
    pub file: &'a str,
    /// Its text.
    pub text: &'a str,
}

impl Source<'_> {
    /// An error at `field` (a path as errors write it), with its line and column.
    pub fn error_at(&self, field: &str, message: impl Into<String>) -> InputError {
        InputError::at_path(self.file, self.text, field, message)
    }
}

/// Validates the parts of a plan document under these gates (shared with `podsim status`, whose
/// document adds the reason cache). A `workload` command outside the workload's vocabulary is an
/// error, as in a scenario.
pub fn plan_input(
    source: Source<'_>,
    pod: PodManifest,
    runtime: Option<RuntimeDocument>,
    probes: Option<ProbeResults>,
    gates: &FeatureGates,
) -> Result<PlanInput, InputError> {
    let restart_all_containers =
        gates.restart_all_containers_on_container_exits && pod.condition_is_true(ALL_CONTAINERS_RESTARTING);
    let pod = pod.into_pod_with(gates).map_err(|e| source.error_at(&format!("pod.{}", e.path), e.message))?;
    check_pod_commands(&pod)
        .map_err(|e| source.error_at(&format!("pod.{}", e.field), e.error.to_string()))?;
    let rt = runtime.unwrap_or_default();
    let newest_sandbox = rt.sandboxes.first().map_or(String::new(), |s| s.id.clone());
    let sandboxes = rt
        .sandboxes
        .into_iter()
        .map(|s| SandboxStatus {
            id: s.id.into(),
            state: s.state,
            attempt: s.attempt,
            ip: s.ip.unwrap_or_default().into(),
            host_network: s.host_network,
            created_at: 0,
        })
        .collect();
    let spec_image =
        |name: &str| pod.find_container(name).map_or(String::new(), |(_, c)| c.image().to_string());
    let containers = rt
        .containers
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let text = c.hash.text();
            let hash = parse_hash(&text).ok_or_else(|| {
                source.error_at(
                    &format!("runtime.containers[{i}].hash"),
                    format!("{text:?} is not a hex hash (as `podsim hash` prints)"),
                )
            })?;
            Ok(ContainerStatus {
                image: c.image.unwrap_or_else(|| spec_image(&c.name)).into(),
                id: c.id.into(),
                name: c.name.into(),
                state: c.state,
                exit_code: c.exit_code,
                reason: c.reason.into(),
                hash,
                restart_count: c.restart_count,
                sandbox_id: c.sandbox_id.unwrap_or_else(|| newest_sandbox.clone()).into(),
                created_at: 0,
                started_at: None,
                finished_at: None,
                resources: c.resources,
            })
        })
        .collect::<Result<Vec<_>, InputError>>()?;
    Ok(PlanInput {
        pod,
        runtime: RuntimePodStatus { sandboxes, containers },
        probes: probes.unwrap_or_default(),
        options: PlanOptions {
            gates: *gates,
            restart_all_containers,
            bugs: Default::default(),
            actuated: None,
        },
        actuated: None,
    })
}

/// The JSON `podsim plan` prints. The fields only the non-default paths set (the legacy next init
/// container, resizes, the reset list) appear only when set.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanOutput {
    kill_pod: bool,
    create_sandbox: bool,
    sandbox_id: String,
    attempt: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_init_container_to_start: Option<String>,
    init_containers_to_start: Vec<String>,
    containers_to_start: Vec<String>,
    ephemeral_containers_to_start: Vec<String>,
    containers_to_kill: Vec<KillOutput>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    containers_to_update: BTreeMap<ResourceName, Vec<UpdateOutput>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    update_pod_resources: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    containers_to_reset: Vec<ResetOutput>,
}

#[derive(Debug, Serialize)]
struct KillOutput {
    name: String,
    id: String,
    reason: String,
}

/// One in-place resize: cpu in millicores, memory in bytes.
#[derive(Debug, Serialize)]
struct UpdateOutput {
    name: String,
    id: String,
    desired: ContainerResources,
    current: ContainerResources,
}

/// One container to kill (if it runs) and remove while all containers restart.
#[derive(Debug, Serialize)]
struct ResetOutput {
    name: String,
    id: String,
    kill: bool,
}

/// Plans and renders the result by container name.
pub fn plan(input: &PlanInput) -> PlanOutput {
    let options = PlanOptions { actuated: input.actuated.as_ref(), ..input.options };
    let actions: PodActions = compute_pod_actions_opts(&input.pod, &input.runtime, &input.probes, &options);
    let spec = &input.pod.spec;
    let names = |list: &[Container], idx: &[usize]| -> Vec<String> {
        idx.iter().map(|&i| list[i].name().to_string()).collect()
    };
    PlanOutput {
        kill_pod: actions.kill_pod,
        create_sandbox: actions.create_sandbox,
        sandbox_id: actions.sandbox_id.clone(),
        attempt: actions.attempt,
        next_init_container_to_start: actions
            .next_init_container_to_start
            .map(|i| spec.init_containers[i].name().to_string()),
        init_containers_to_start: names(&spec.init_containers, &actions.init_containers_to_start),
        containers_to_start: names(&spec.containers, &actions.containers_to_start),
        ephemeral_containers_to_start: names(
            &spec.ephemeral_containers,
            &actions.ephemeral_containers_to_start,
        ),
        containers_to_kill: actions
            .containers_to_kill
            .iter()
            .map(|k| {
                debug_assert!(
                    k.kind != ContainerKind::Ephemeral,
                    "ephemeral containers are never killed alone"
                );
                KillOutput { name: k.name.to_string(), id: k.id.to_string(), reason: k.message.clone() }
            })
            .collect(),
        containers_to_update: actions
            .containers_to_update
            .iter()
            .map(|(resource, list)| {
                let list = list
                    .iter()
                    .map(|u| UpdateOutput {
                        name: u.name.to_string(),
                        id: u.id.to_string(),
                        desired: u.desired,
                        current: u.current,
                    })
                    .collect();
                (*resource, list)
            })
            .collect(),
        update_pod_resources: actions.update_pod_resources,
        containers_to_reset: actions
            .containers_to_reset
            .iter()
            .map(|r| ResetOutput { name: r.name.to_string(), id: r.id.to_string(), kill: r.kill })
            .collect(),
    }
}
