//! `podsim status`: the `podsim plan` document (pod, runtime, probes), with an optional reason cache,
//! to the API PodStatus the kubelet would write (`generateAPIPodStatus`), shaped like the API: camelCase
//! keys, `state: {waiting: {reason, message}}`, `lastState: {}` when there is none, container ids as
//! `containerd://ID`, times in RFC 3339 (podsim's virtual clock counts from 1970-01-01T00:00:00Z; a
//! plan document carries no times).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use podsim_model::gates::FeatureGates;
use podsim_model::manifest::PodManifest;
use podsim_model::status::{generate_api_pod_status, PodCondition, PodStatusReport, StatusContext};
use podsim_model::{ContainerStateReport, ContainerStatusReport, Millis, ProbeResults};

use podsim_sim::input::{parse_document, InputError};

use crate::plan::{plan_input, PlanInput, RuntimeDocument, Source};

/// The input of `podsim status`: a plan document, plus the kubelet's reason cache.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StatusDocument {
    pod: PodManifest,
    #[serde(default)]
    runtime: Option<RuntimeDocument>,
    #[serde(default)]
    probes: Option<ProbeResults>,
    /// Why the last start of a container failed, by container name.
    #[serde(default)]
    reason_cache: BTreeMap<String, CachedReason>,
}

/// One reason cache entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CachedReason {
    reason: StartFailure,
    #[serde(default)]
    message: String,
}

/// The reasons the kubelet's sync results give a failed start (its `Err*` errors); the variant names
/// are the API's words.
#[derive(Clone, Copy, Debug, Deserialize)]
enum StartFailure {
    CrashLoopBackOff,
    RunContainerError,
    CreateContainerError,
    CreateContainerConfigError,
    PreCreateHookError,
    PreStartHookError,
    PostStartHookError,
    ErrImagePull,
    ImagePullBackOff,
    ErrImageNeverPull,
    InvalidImageName,
    ImageInspectError,
    RegistryUnavailable,
    SignatureValidationFailed,
}

impl StartFailure {
    /// The API word (the variant's name).
    fn word(self) -> String {
        format!("{self:?}")
    }
}

/// A parsed status document.
pub struct StatusInput {
    plan: PlanInput,
    reasons: BTreeMap<String, (String, String)>,
}

/// How `podsim status` runs `generateAPIPodStatus`.
#[derive(Clone, Copy, Debug, Default)]
pub struct StatusSettings {
    /// The kubelet's feature gates.
    pub gates: FeatureGates,
    /// `podIsTerminal`.
    pub pod_is_terminal: bool,
}

/// Reads a status document.
pub fn read_status(file: &str, text: &str, gates: &FeatureGates) -> Result<StatusInput, InputError> {
    let doc: StatusDocument = parse_document(file, text)?;
    let source = Source { file, text };
    let plan = plan_input(source, doc.pod, doc.runtime, doc.probes, gates)?;
    let mut reasons = BTreeMap::new();
    for (name, cached) in doc.reason_cache {
        if plan.pod.find_container(&name).is_none() {
            let message = format!("the pod has no container {name:?}");
            return Err(source.error_at(&format!("reasonCache.{name}"), message));
        }
        reasons.insert(name, (cached.reason.word(), cached.message));
    }
    Ok(StatusInput { plan, reasons })
}

/// The API status the kubelet would write.
pub fn status(input: &StatusInput, settings: &StatusSettings) -> ApiPodStatus {
    let context = StatusContext {
        reasons: &input.reasons,
        old_status: None,
        probes: &input.plan.probes,
        gates: settings.gates,
        pod_is_terminal: settings.pod_is_terminal,
    };
    ApiPodStatus::from(&generate_api_pod_status(&input.plan.pod, &input.plan.runtime, &context))
}

/// `v1.PodStatus`, as the API server returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiPodStatus {
    phase: &'static str,
    conditions: Vec<ApiCondition>,
    #[serde(rename = "podIP", skip_serializing_if = "String::is_empty")]
    pod_ip: String,
    #[serde(rename = "podIPs", skip_serializing_if = "Vec::is_empty")]
    pod_ips: Vec<ApiPodIp>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    init_container_statuses: Vec<ApiContainerStatus>,
    container_statuses: Vec<ApiContainerStatus>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ephemeral_container_statuses: Vec<ApiContainerStatus>,
}

#[derive(Debug, Serialize)]
struct ApiPodIp {
    ip: String,
}

#[derive(Debug, Serialize)]
struct ApiCondition {
    #[serde(rename = "type")]
    condition_type: String,
    status: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    reason: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiContainerStatus {
    name: String,
    state: ApiState,
    last_state: ApiState,
    ready: bool,
    restart_count: u32,
    image: String,
    #[serde(rename = "imageID")]
    image_id: String,
    #[serde(rename = "containerID", skip_serializing_if = "String::is_empty")]
    container_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    started: Option<bool>,
}

/// `v1.ContainerState`: `{}` when empty.
#[derive(Debug, Default, Serialize)]
struct ApiState {
    #[serde(skip_serializing_if = "Option::is_none")]
    waiting: Option<ApiWaiting>,
    #[serde(skip_serializing_if = "Option::is_none")]
    running: Option<ApiRunning>,
    #[serde(skip_serializing_if = "Option::is_none")]
    terminated: Option<ApiTerminated>,
}

#[derive(Debug, Serialize)]
struct ApiWaiting {
    #[serde(skip_serializing_if = "String::is_empty")]
    reason: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiRunning {
    started_at: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiTerminated {
    exit_code: i32,
    #[serde(skip_serializing_if = "String::is_empty")]
    reason: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    message: String,
    started_at: Option<String>,
    finished_at: Option<String>,
    #[serde(rename = "containerID", skip_serializing_if = "String::is_empty")]
    container_id: String,
}

impl From<&PodStatusReport> for ApiPodStatus {
    fn from(s: &PodStatusReport) -> ApiPodStatus {
        let statuses = |list: &[ContainerStatusReport]| list.iter().map(ApiContainerStatus::from).collect();
        ApiPodStatus {
            phase: s.phase.as_str(),
            conditions: s.conditions.iter().map(ApiCondition::from).collect(),
            pod_ips: if s.pod_ip.is_empty() {
                Vec::new()
            } else {
                vec![ApiPodIp { ip: s.pod_ip.to_string() }]
            },
            pod_ip: s.pod_ip.to_string(),
            init_container_statuses: statuses(&s.init_container_statuses),
            container_statuses: statuses(&s.container_statuses),
            ephemeral_container_statuses: statuses(&s.ephemeral_container_statuses),
        }
    }
}

impl From<&PodCondition> for ApiCondition {
    fn from(c: &PodCondition) -> ApiCondition {
        ApiCondition {
            condition_type: c.condition_type.to_string(),
            status: c.status.as_str(),
            reason: c.reason.to_string(),
            message: c.message.to_string(),
        }
    }
}

impl From<&ContainerStatusReport> for ApiContainerStatus {
    fn from(c: &ContainerStatusReport) -> ApiContainerStatus {
        ApiContainerStatus {
            name: c.name.to_string(),
            state: ApiState::from(Some(&c.state)),
            last_state: ApiState::from(c.last_state.as_ref()),
            ready: c.ready,
            restart_count: c.restart_count,
            image: c.image.to_string(),
            image_id: c.image_id.to_string(),
            container_id: container_id(&c.container_id),
            started: c.started,
        }
    }
}

impl From<Option<&ContainerStateReport>> for ApiState {
    fn from(state: Option<&ContainerStateReport>) -> ApiState {
        match state {
            None => ApiState::default(),
            Some(ContainerStateReport::Waiting { reason, message }) => ApiState {
                waiting: Some(ApiWaiting { reason: reason.to_string(), message: message.to_string() }),
                ..ApiState::default()
            },
            Some(ContainerStateReport::Running { started_at }) => ApiState {
                running: Some(ApiRunning { started_at: Some(rfc3339(*started_at)) }),
                ..ApiState::default()
            },
            Some(ContainerStateReport::Terminated {
                exit_code,
                reason,
                message,
                started_at,
                finished_at,
                container_id: id,
            }) => ApiState {
                terminated: Some(ApiTerminated {
                    exit_code: *exit_code,
                    reason: reason.to_string(),
                    message: message.to_string(),
                    started_at: started_at.map(rfc3339),
                    finished_at: finished_at.map(rfc3339),
                    container_id: container_id(id),
                }),
                ..ApiState::default()
            },
        }
    }
}

/// `kubecontainer.ContainerID.String()` on containerd: `containerd://ID` ("" stays "").
fn container_id(id: &str) -> String {
    if id.is_empty() {
        String::new()
    } else {
        format!("containerd://{id}")
    }
}

/// A virtual time as `metav1.Time` marshals it: RFC 3339 in UTC, to the second.
pub fn rfc3339(ms: Millis) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_from_the_virtual_epoch() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(61_999), "1970-01-01T00:01:01Z");
        assert_eq!(rfc3339(86_400_000 * 59), "1970-03-01T00:00:00Z");
        // 2000-02-29 (a leap day of a year divisible by 400) is day 11_016.
        assert_eq!(rfc3339(11_016 * 86_400_000 + 3_723_000), "2000-02-29T01:02:03Z");
    }
}
