//! Reading a Pod with its status, as `kubectl get pod NAME -o yaml` prints it, into what `getPhase`
//! reads: the restart policies (pod, container, and container restart rules), and the API container
//! statuses. Every other field (managedFields, ownerReferences, conditions, timestamps, resources, ...)
//! is accepted and ignored; an unknown value of a field read here is an error.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::manifest::InvalidPod;
use crate::pod::RestartPolicy;
use crate::status::phase::{
    has_any_regular_container_started, ExitCodeOperator, ExitCodesRule, PhaseContainer, PhaseSpec,
    PhaseStatus, RestartRule, RestartRuleAction,
};
use crate::status::ContainerStateReport;

/// The annotation saying where a pod came from (`kubetypes.ConfigSourceAnnotationKey`).
pub const CONFIG_SOURCE_ANNOTATION: &str = "kubernetes.io/config.source";
/// Its value for a pod from the API server (`kubetypes.ApiserverSource`).
pub const API_SERVER_SOURCE: &str = "api";

/// A v1 Pod with its status (`apiVersion` and `kind` may be omitted).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodWithStatusManifest {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    metadata: MetadataS,
    spec: SpecS,
    #[serde(default)]
    status: Option<StatusS>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataS {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpecS {
    #[serde(default)]
    restart_policy: Option<RestartPolicy>,
    #[serde(default)]
    init_containers: Vec<ContainerS>,
    containers: Vec<ContainerS>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContainerS {
    name: String,
    #[serde(default)]
    restart_policy: Option<RestartPolicy>,
    #[serde(default)]
    restart_policy_rules: Vec<RestartRuleS>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RestartRuleS {
    action: RestartRuleAction,
    #[serde(default)]
    exit_codes: Option<ExitCodesS>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExitCodesS {
    operator: ExitCodeOperator,
    #[serde(default)]
    values: Vec<i32>,
}

/// `status.phase` as the API server may hold it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum ReportedPhase {
    /// Pending.
    Pending,
    /// Running.
    Running,
    /// Succeeded.
    Succeeded,
    /// Failed.
    Failed,
    /// Unknown (deprecated; set by nothing current).
    Unknown,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusS {
    #[serde(default)]
    phase: Option<ReportedPhase>,
    #[serde(default)]
    init_container_statuses: Vec<ContainerStatusS>,
    #[serde(default)]
    container_statuses: Vec<ContainerStatusS>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContainerStatusS {
    name: String,
    #[serde(default)]
    state: ApiState,
    #[serde(default)]
    last_state: ApiState,
    #[serde(default)]
    started: Option<bool>,
}

/// A `v1.ContainerState`: at most one of waiting, running, terminated (the API server's rule).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(try_from = "StateS")]
struct ApiState(Option<ContainerStateReport>);

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StateS {
    #[serde(default)]
    waiting: Option<WaitingS>,
    #[serde(default)]
    running: Option<IgnoredAny>,
    #[serde(default)]
    terminated: Option<TerminatedS>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WaitingS {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TerminatedS {
    exit_code: i32,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "containerID")]
    container_id: Option<String>,
}

impl TryFrom<StateS> for ApiState {
    type Error = String;

    fn try_from(s: StateS) -> Result<ApiState, String> {
        let set = [s.waiting.is_some(), s.running.is_some(), s.terminated.is_some()];
        if set.iter().filter(|b| **b).count() > 1 {
            return Err("may not specify more than 1 state type (waiting, running, terminated)".into());
        }
        let state = match (s.waiting, s.running, s.terminated) {
            (Some(w), _, _) => Some(ContainerStateReport::waiting(
                w.reason.as_deref().unwrap_or(""),
                w.message.as_deref().unwrap_or(""),
            )),
            (_, Some(_), _) => Some(ContainerStateReport::Running { started_at: 0 }),
            (_, _, Some(t)) => Some(ContainerStateReport::Terminated {
                exit_code: t.exit_code,
                reason: t.reason.unwrap_or_default().into(),
                message: t.message.unwrap_or_default().into(),
                started_at: None,
                finished_at: None,
                container_id: t.container_id.unwrap_or_default().into(),
            }),
            (None, None, None) => None,
        };
        Ok(ApiState(state))
    }
}

/// One container of an [`ApiPod`]'s spec, as `getPhase` reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiContainer {
    /// `name`.
    pub name: String,
    /// The container-level `restartPolicy`.
    pub restart_policy: Option<RestartPolicy>,
    /// `restartPolicyRules`.
    pub restart_policy_rules: Vec<RestartRule>,
}

/// One API container status, as `getPhase` reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiContainerStatus {
    /// `name`.
    pub name: String,
    /// `state` (`None`: none of its members is set).
    pub state: Option<ContainerStateReport>,
    /// `lastState` (`None`: empty).
    pub last_state: Option<ContainerStateReport>,
    /// `started`.
    pub started: Option<bool>,
}

/// A pod with its status, as `getPhase` reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiPod {
    /// `namespace/name`.
    pub full_name: String,
    /// `kubetypes.IsStaticPod`: the config source annotation says anything but `api`.
    pub is_static_pod: bool,
    /// `spec.restartPolicy` (defaulted to Always).
    pub restart_policy: RestartPolicy,
    /// `spec.initContainers`.
    pub init_containers: Vec<ApiContainer>,
    /// `spec.containers`.
    pub containers: Vec<ApiContainer>,
    /// `status.phase`, if set.
    pub reported_phase: Option<ReportedPhase>,
    /// `status.containerStatuses` then `status.initContainerStatuses`, the order in which
    /// `generateAPIPodStatus` hands them to `getPhase`.
    pub statuses: Vec<ApiContainerStatus>,
}

impl ApiPod {
    /// The spec `getPhase` reads.
    pub fn phase_spec(&self) -> PhaseSpec<'_> {
        fn view(c: &ApiContainer) -> PhaseContainer<'_> {
            PhaseContainer {
                name: &c.name,
                restart_policy: c.restart_policy,
                restart_policy_rules: &c.restart_policy_rules,
            }
        }
        PhaseSpec {
            restart_policy: self.restart_policy,
            init_containers: self.init_containers.iter().map(view).collect(),
            containers: self.containers.iter().map(view).collect(),
            is_static_pod: self.is_static_pod,
        }
    }

    /// The statuses `getPhase` reads.
    pub fn phase_statuses(&self) -> Vec<PhaseStatus<'_>> {
        self.statuses
            .iter()
            .map(|s| PhaseStatus {
                name: &s.name,
                state: s.state.as_ref(),
                last_state: s.last_state.as_ref(),
                started: s.started,
            })
            .collect()
    }

    /// `kubecontainer.HasAnyRegularContainerStarted` over the API statuses: the best an API object can
    /// say of `podHasInitialized` (which the kubelet reads from the runtime's active sandbox).
    pub fn has_any_regular_container_started(&self) -> bool {
        has_any_regular_container_started(&self.phase_spec(), &self.phase_statuses())
    }
}

impl PodWithStatusManifest {
    /// Validates the manifest (kind, apiVersion, names) into what `getPhase` reads.
    pub fn into_api_pod(self) -> Result<ApiPod, InvalidPod> {
        let invalid = |path: String, message: String| InvalidPod { path, message };
        if let Some(kind) = self.kind.filter(|k| k != "Pod") {
            return Err(invalid("kind".into(), format!("expected Pod, found {kind:?}")));
        }
        if let Some(v) = self.api_version.filter(|v| v != "v1") {
            return Err(invalid("apiVersion".into(), format!("expected v1, found {v:?}")));
        }
        let m = self.metadata;
        if m.name.is_empty() {
            return Err(invalid("metadata.name".into(), "must not be empty".into()));
        }
        let namespace = m.namespace.filter(|n| !n.is_empty()).unwrap_or_else(|| "default".into());
        let is_static_pod =
            m.annotations.get(CONFIG_SOURCE_ANNOTATION).is_some_and(|s| s != API_SERVER_SOURCE);
        if self.spec.containers.is_empty() {
            return Err(invalid("spec.containers".into(), "a pod needs at least one container".into()));
        }
        let init_containers = containers(self.spec.init_containers, "initContainers")?;
        let containers = containers(self.spec.containers, "containers")?;
        let status = self.status;
        let reported_phase = status.as_ref().and_then(|s| s.phase);
        let statuses = status.map_or_else(Vec::new, |s| {
            s.container_statuses
                .into_iter()
                .chain(s.init_container_statuses)
                .map(ContainerStatusS::into_api)
                .collect()
        });
        Ok(ApiPod {
            full_name: format!("{namespace}/{}", m.name),
            is_static_pod,
            restart_policy: self.spec.restart_policy.unwrap_or_default(),
            init_containers,
            containers,
            reported_phase,
            statuses,
        })
    }
}

/// The containers of one list, each with a non-empty name.
fn containers(list: Vec<ContainerS>, field: &str) -> Result<Vec<ApiContainer>, InvalidPod> {
    list.into_iter()
        .enumerate()
        .map(|(i, c)| {
            if c.name.is_empty() {
                return Err(InvalidPod {
                    path: format!("spec.{field}[{i}].name"),
                    message: "must not be empty".into(),
                });
            }
            let rules = c
                .restart_policy_rules
                .into_iter()
                .enumerate()
                .map(|(j, r)| match r.exit_codes {
                    Some(e) => Ok(RestartRule {
                        action: r.action,
                        exit_codes: ExitCodesRule { operator: e.operator, values: e.values },
                    }),
                    // The API server's validation requires exitCodes on every rule.
                    None => Err(InvalidPod {
                        path: format!("spec.{field}[{i}].restartPolicyRules[{j}].exitCodes"),
                        message: "Required value".into(),
                    }),
                })
                .collect::<Result<Vec<_>, InvalidPod>>()?;
            Ok(ApiContainer { name: c.name, restart_policy: c.restart_policy, restart_policy_rules: rules })
        })
        .collect()
}

impl ContainerStatusS {
    fn into_api(self) -> ApiContainerStatus {
        ApiContainerStatus {
            name: self.name,
            state: self.state.0,
            last_state: self.last_state.0,
            started: self.started,
        }
    }
}
