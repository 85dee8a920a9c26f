//! `podsim plan`: the document it reads (a pod, its runtime state, probe results) and the JSON it
//! prints (the kubelet's `podActions`, by container name).

use serde::{Deserialize, Serialize};

use podsim_model::manifest::PodManifest;
use podsim_model::{
    compute_pod_actions, parse_hash, ContainerKind, ContainerState, ContainerStatus, Pod, PodActions,
    ProbeResults, RuntimePodStatus, SandboxState, SandboxStatus,
};

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
}

/// Reads a plan document.
pub fn read_plan(file: &str, text: &str) -> Result<PlanInput, InputError> {
    let doc: PlanDocument = parse_document(file, text)?;
    plan_input(file, doc.pod, doc.runtime, doc.probes)
}

/// Validates the parts of a plan document (shared with `podsim status`, whose document adds the
/// reason cache).
pub fn plan_input(
    file: &str,
    pod: PodManifest,
    runtime: Option<RuntimeDocument>,
    probes: Option<ProbeResults>,
) -> Result<PlanInput, InputError> {
    let pod = pod.into_pod().map_err(|e| InputError {
        file: file_label(file),
        location: None,
        field: Some(format!("pod.{}", e.path)),
        message: e.message,
    })?;
    let rt = runtime.unwrap_or_default();
    let newest_sandbox = rt.sandboxes.first().map_or(String::new(), |s| s.id.clone());
    let sandboxes = rt
        .sandboxes
        .into_iter()
        .map(|s| SandboxStatus {
            id: s.id,
            state: s.state,
            attempt: s.attempt,
            ip: s.ip.unwrap_or_default(),
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
            let hash = parse_hash(&text).ok_or_else(|| InputError {
                file: file_label(file),
                location: None,
                field: Some(format!("runtime.containers[{i}].hash")),
                message: format!("{text:?} is not a hex hash (as `podsim hash` prints)"),
            })?;
            Ok(ContainerStatus {
                image: c.image.unwrap_or_else(|| spec_image(&c.name)),
                id: c.id,
                name: c.name,
                state: c.state,
                exit_code: c.exit_code,
                reason: c.reason,
                hash,
                restart_count: c.restart_count,
                sandbox_id: c.sandbox_id.unwrap_or_else(|| newest_sandbox.clone()),
                created_at: 0,
                started_at: None,
                finished_at: None,
            })
        })
        .collect::<Result<Vec<_>, InputError>>()?;
    Ok(PlanInput {
        pod,
        runtime: RuntimePodStatus { sandboxes, containers },
        probes: probes.unwrap_or_default(),
    })
}

fn file_label(file: &str) -> String {
    if file == "-" {
        "<stdin>".into()
    } else {
        file.into()
    }
}

/// The JSON `podsim plan` prints.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanOutput {
    kill_pod: bool,
    create_sandbox: bool,
    sandbox_id: String,
    attempt: u32,
    init_containers_to_start: Vec<String>,
    containers_to_start: Vec<String>,
    ephemeral_containers_to_start: Vec<String>,
    containers_to_kill: Vec<KillOutput>,
}

#[derive(Debug, Serialize)]
struct KillOutput {
    name: String,
    id: String,
    reason: String,
}

/// Plans and renders the result by container name.
pub fn plan(input: &PlanInput) -> PlanOutput {
    let actions: PodActions = compute_pod_actions(&input.pod, &input.runtime, &input.probes);
    let spec = &input.pod.spec;
    let names = |list: &[podsim_model::Container], idx: &[usize]| -> Vec<String> {
        idx.iter().map(|&i| list[i].name().to_string()).collect()
    };
    PlanOutput {
        kill_pod: actions.kill_pod,
        create_sandbox: actions.create_sandbox,
        sandbox_id: actions.sandbox_id.clone(),
        attempt: actions.attempt,
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
                KillOutput { name: k.name.clone(), id: k.id.clone(), reason: k.message.clone() }
            })
            .collect(),
    }
}
