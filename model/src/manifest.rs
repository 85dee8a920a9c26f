//! Reading a real v1 Pod manifest into the model's [`Pod`].
//!
//! [`PodManifest`] deserialises the subset of a v1 Pod that the kubelet's pod management reads; every
//! other field of a real manifest is accepted and ignored. Converting it does what the API server
//! does on create, in its order: drop the fields of disabled feature gates (pkg/api/pod/util.go
//! `dropDisabledFields`, `dropContainerRestartRules`), default (namespace `default`, restartPolicy
//! Always, terminationGracePeriodSeconds 30, the imagePullPolicy rule, requests from limits), and
//! validate what the kubelet relies on (non-empty, unique container names; container restart
//! policies and rules; resources and resize policies). Unknown enum values and bad quantities are
//! errors. The caller picks the text format (the CLI uses YAML, which reads JSON too) and so reports
//! lines.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::IgnoredAny;
use serde::Deserialize;

mod probe;

use crate::gates::FeatureGates;
use lifecycle::LifecycleM;

mod lifecycle;
use crate::pod::{
    Container, ContainerResizePolicy, ContainerRestartRule, EnvSource, EnvVar, Pod, PodSpec, Probe,
    PullPolicy, Quantity, ResourceList, ResourceRequirements, RestartPolicy, RestartRuleAction, Volume,
    VolumeMount, VolumeSource,
};
use probe::{read_probe, ProbeField, ProbeM};

/// Validation's limit on `restartPolicyRules[].exitCodes.values`.
/// `validateContainerRestartPolicy`: at most 20 `restartPolicyRules` a container (`field.TooMany`).
const MAX_RESTART_POLICY_RULES: usize = 20;

const MAX_EXIT_CODE_VALUES: usize = 255;

/// A v1 Pod as written in YAML or JSON (`apiVersion` and `kind` may be omitted).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodManifest {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    metadata: MetadataM,
    spec: SpecM,
    #[serde(default)]
    status: Option<StatusM>,
}

/// `status`, reduced to the conditions the kubelet's sync reads.
#[derive(Clone, Debug, Deserialize)]
struct StatusM {
    #[serde(default)]
    conditions: Vec<ConditionM>,
}

#[derive(Clone, Debug, Deserialize)]
struct ConditionM {
    #[serde(rename = "type")]
    kind: String,
    status: ConditionStatus,
}

/// `v1.ConditionStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
enum ConditionStatus {
    True,
    False,
    Unknown,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataM {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    uid: Option<String>,
    #[serde(default)]
    resource_version: Option<String>,
    #[serde(default)]
    deletion_timestamp: Option<String>,
    #[serde(default)]
    deletion_grace_period_seconds: Option<i64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpecM {
    #[serde(default)]
    node_name: Option<String>,
    #[serde(default)]
    restart_policy: Option<RestartPolicy>,
    #[serde(default)]
    host_network: Option<bool>,
    #[serde(default)]
    termination_grace_period_seconds: Option<i64>,
    #[serde(default)]
    active_deadline_seconds: Option<i64>,
    #[serde(default)]
    init_containers: Vec<ContainerM>,
    containers: Vec<ContainerM>,
    #[serde(default)]
    ephemeral_containers: Vec<ContainerM>,
    #[serde(default)]
    volumes: Vec<VolumeM>,
    #[serde(default)]
    image_pull_secrets: Vec<NameRefM>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContainerM {
    name: String,
    image: String,
    #[serde(default)]
    image_pull_policy: Option<PullPolicy>,
    #[serde(default)]
    command: Vec<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: Vec<EnvVarM>,
    #[serde(default)]
    volume_mounts: Vec<VolumeMountM>,
    #[serde(default)]
    restart_policy: Option<RestartPolicy>,
    #[serde(default)]
    restart_policy_rules: Vec<ContainerRestartRule>,
    #[serde(default)]
    resources: Option<ResourcesM>,
    #[serde(default)]
    resize_policy: Vec<ContainerResizePolicy>,
    #[serde(default)]
    liveness_probe: Option<ProbeM>,
    #[serde(default)]
    readiness_probe: Option<ProbeM>,
    #[serde(default)]
    startup_probe: Option<ProbeM>,
    #[serde(default)]
    lifecycle: Option<LifecycleM>,
}

/// `resources`: every resource name is read (its quantity must parse), cpu and memory are kept.
#[derive(Clone, Debug, Default, Deserialize)]
struct ResourcesM {
    #[serde(default)]
    requests: BTreeMap<String, Quantity>,
    #[serde(default)]
    limits: BTreeMap<String, Quantity>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnvVarM {
    name: String,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    value_from: Option<EnvVarSourceM>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnvVarSourceM {
    #[serde(default)]
    secret_key_ref: Option<KeyRefM>,
    #[serde(default)]
    config_map_key_ref: Option<KeyRefM>,
}

#[derive(Clone, Debug, Deserialize)]
struct KeyRefM {
    name: String,
    key: String,
    #[serde(default)]
    optional: Option<bool>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VolumeMountM {
    name: String,
    mount_path: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VolumeM {
    name: String,
    #[serde(default)]
    secret: Option<SecretVolumeM>,
    #[serde(default)]
    config_map: Option<ConfigMapVolumeM>,
    #[serde(default)]
    empty_dir: Option<IgnoredAny>,
    #[serde(default)]
    host_path: Option<HostPathM>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SecretVolumeM {
    secret_name: String,
    #[serde(default)]
    optional: Option<bool>,
}

#[derive(Clone, Debug, Deserialize)]
struct ConfigMapVolumeM {
    name: String,
    #[serde(default)]
    optional: Option<bool>,
}

#[derive(Clone, Debug, Deserialize)]
struct HostPathM {
    path: String,
}

#[derive(Clone, Debug, Deserialize)]
struct NameRefM {
    name: String,
}

/// A manifest that parsed but is not a valid pod: `path` is the field, as `spec.containers[1].name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidPod {
    /// The offending field.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl std::fmt::Display for InvalidPod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for InvalidPod {}

impl PodManifest {
    /// Whether `status.conditions` holds a condition of this type with status True (how the kubelet's
    /// `SyncPod` reads `AllContainersRestarting` from the status it last generated).
    pub fn condition_is_true(&self, kind: &str) -> bool {
        self.status
            .as_ref()
            .is_some_and(|s| s.conditions.iter().any(|c| c.kind == kind && c.status == ConditionStatus::True))
    }

    /// Validates and defaults the manifest into the model's pod, with every feature gate at its default.
    pub fn into_pod(self) -> Result<Pod, InvalidPod> {
        self.into_pod_with(&FeatureGates::default())
    }

    /// Validates and defaults the manifest into the model's pod as an API server with these gates
    /// would on create: the fields of disabled gates are dropped first, then defaults, then validation.
    pub fn into_pod_with(self, gates: &FeatureGates) -> Result<Pod, InvalidPod> {
        let invalid = |path: String, message: &str| InvalidPod { path, message: message.to_string() };
        if let Some(kind) = &self.kind {
            if kind != "Pod" {
                return Err(invalid("kind".into(), &format!("expected Pod, found {kind:?}")));
            }
        }
        if let Some(v) = &self.api_version {
            if v != "v1" {
                return Err(invalid("apiVersion".into(), &format!("expected v1, found {v:?}")));
            }
        }
        let m = self.metadata;
        if m.name.is_empty() {
            return Err(invalid("metadata.name".into(), "must not be empty"));
        }
        let namespace = m.namespace.filter(|n| !n.is_empty()).unwrap_or_else(|| "default".into());
        let uid = m.uid.filter(|u| !u.is_empty()).unwrap_or_else(|| format!("{namespace}-{}", m.name));
        let mut s = self.spec;
        if s.containers.is_empty() {
            return Err(invalid("spec.containers".into(), "a pod needs at least one container"));
        }
        drop_disabled_fields(&mut s, gates);
        let grace = s.termination_grace_period_seconds.unwrap_or(30);
        let active_deadline_seconds = validate_active_deadline(s.active_deadline_seconds)?;
        let mut names = BTreeSet::new();
        let mut convert = |list: Vec<ContainerM>, kind: ListKind| -> Result<Vec<Container>, InvalidPod> {
            list.into_iter()
                .enumerate()
                .map(|(i, c)| {
                    let at = format!("spec.{}[{i}]", kind.field());
                    if c.name.is_empty() {
                        return Err(invalid(format!("{at}.name"), "must not be empty"));
                    }
                    if c.image.is_empty() {
                        return Err(invalid(format!("{at}.image"), "must not be empty"));
                    }
                    if !names.insert(c.name.clone()) {
                        return Err(invalid(
                            format!("{at}.name"),
                            &format!("duplicate container name {:?}", c.name),
                        ));
                    }
                    validate_restart_policy(&c, kind, gates)
                        .map_err(|(f, msg)| invalid(format!("{at}.{f}"), &msg))?;
                    validate_resources(&c).map_err(|(f, msg)| invalid(format!("{at}.{f}"), &msg))?;
                    let probes =
                        read_probes(&c, kind).map_err(|(f, msg)| invalid(format!("{at}.{f}"), &msg))?;
                    let mut container =
                        c.into_container(grace).map_err(|(f, msg)| invalid(format!("{at}.{f}"), &msg))?;
                    (container.liveness_probe, container.readiness_probe, container.startup_probe) = probes;
                    Ok(container)
                })
                .collect()
        };
        let init_containers = convert(s.init_containers, ListKind::Init)?;
        let containers = convert(s.containers, ListKind::Regular)?;
        let ephemeral_containers = convert(s.ephemeral_containers, ListKind::Ephemeral)?;
        let volumes = s.volumes.into_iter().map(VolumeM::into_volume).collect();
        Ok(Pod {
            name: m.name,
            namespace,
            uid,
            resource_version: m.resource_version.unwrap_or_default(),
            // The model keeps virtual time; a manifest's wall-clock timestamp only says "deleted".
            deletion_timestamp: m.deletion_timestamp.map(|_| 0),
            deletion_grace_period_seconds: m.deletion_grace_period_seconds,
            status: None,
            spec: std::sync::Arc::new(PodSpec {
                node_name: s.node_name.unwrap_or_default(),
                restart_policy: s.restart_policy.unwrap_or_default(),
                host_network: s.host_network.unwrap_or(false),
                termination_grace_period_seconds: grace,
                active_deadline_seconds,
                init_containers,
                containers,
                ephemeral_containers,
                volumes,
                image_pull_secrets: s.image_pull_secrets.into_iter().map(|r| r.name).collect(),
            }),
        })
    }
}

/// Which list of the spec a container is in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Init,
    Regular,
    Ephemeral,
}

impl ListKind {
    fn field(self) -> &'static str {
        match self {
            ListKind::Init => "initContainers",
            ListKind::Regular => "containers",
            ListKind::Ephemeral => "ephemeralContainers",
        }
    }
}

/// The API server's `dropDisabledFields` on create (no old pod uses the fields): what a disabled
/// gate does not know is removed before validation, not refused.
fn drop_disabled_fields(s: &mut SpecM, gates: &FeatureGates) {
    if !gates.sidecar_containers {
        // dropDisabledFields: init containers lose restartPolicy (no sidecars without the gate).
        for c in &mut s.init_containers {
            c.restart_policy = None;
        }
    }
    if !gates.container_restart_rules {
        // dropContainerRestartRules: init containers keep only a sidecar's Always.
        for c in &mut s.init_containers {
            if c.restart_policy != Some(RestartPolicy::Always) {
                c.restart_policy = None;
            }
            c.restart_policy_rules.clear();
        }
        for c in s.containers.iter_mut().chain(s.ephemeral_containers.iter_mut()) {
            c.restart_policy = None;
            c.restart_policy_rules.clear();
        }
    }
    if !gates.in_place_pod_vertical_scaling {
        for c in s.init_containers.iter_mut().chain(s.containers.iter_mut()) {
            c.resize_policy.clear();
        }
    }
}

/// The same `dropDisabledFields` (and the gate-dependent part of validation) applied to a pod already
/// read under the default gates, for settings that arrive later (a scenario's `kubelet.featureGates`,
/// `--feature-gates`): the fields of disabled gates are removed; a `RestartAllContainers` rule, or a
/// rule on a sidecar, with RestartAllContainersOnContainerExits off is an error naming its field.
pub fn apply_gates_to_pod(pod: &mut Pod, gates: &FeatureGates) -> Result<(), InvalidPod> {
    let spec = std::sync::Arc::make_mut(&mut pod.spec);
    if !gates.sidecar_containers {
        for c in &mut spec.init_containers {
            c.restart_policy = None;
        }
    }
    if !gates.container_restart_rules {
        for c in &mut spec.init_containers {
            if c.restart_policy != Some(RestartPolicy::Always) {
                c.restart_policy = None;
            }
            c.restart_policy_rules.clear();
        }
        for c in spec.containers.iter_mut().chain(spec.ephemeral_containers.iter_mut()) {
            c.restart_policy = None;
            c.restart_policy_rules.clear();
        }
    }
    if !gates.in_place_pod_vertical_scaling {
        for c in spec.init_containers.iter_mut().chain(spec.containers.iter_mut()) {
            c.resize_policy.clear();
        }
    }
    if gates.restart_all_containers_on_container_exits {
        return Ok(());
    }
    let lists = [("initContainers", &spec.init_containers), ("containers", &spec.containers)];
    for (list, containers) in lists {
        for (i, c) in containers.iter().enumerate() {
            if list == "initContainers"
                && c.is_restartable_init_container()
                && !c.restart_policy_rules.is_empty()
            {
                return Err(InvalidPod {
                    path: format!("spec.{list}[{i}].restartPolicyRules"),
                    message: "may not be set for a restartable init container".into(),
                });
            }
            if let Some(j) = c
                .restart_policy_rules
                .iter()
                .position(|r| r.action == RestartRuleAction::RestartAllContainers)
            {
                return Err(InvalidPod {
                    path: format!("spec.{list}[{i}].restartPolicyRules[{j}].action"),
                    message: "\"RestartAllContainers\" is not supported (RestartAllContainersOnContainerExits is off): supported \"Restart\"".into(),
                });
            }
        }
    }
    Ok(())
}

/// A field below the container, and what is wrong with it.
type FieldError = (String, String);

/// Validation of a container's `restartPolicy` and `restartPolicyRules` (pkg/apis/core/validation:
/// `validateContainerRestartPolicy` and the rules' checks, with `AllowContainerRestartPolicyRules`
/// and `AllowRestartAllContainers` following the gates).
fn validate_restart_policy(c: &ContainerM, kind: ListKind, gates: &FeatureGates) -> Result<(), FieldError> {
    let sidecar = kind == ListKind::Init && c.restart_policy == Some(RestartPolicy::Always);
    match (kind, c.restart_policy) {
        (_, None) => {}
        (ListKind::Ephemeral, Some(_)) => {
            return Err(("restartPolicy".into(), "may not be set for ephemeral containers".into()));
        }
        (ListKind::Init, Some(RestartPolicy::Always)) => {}
        (_, Some(_)) if gates.container_restart_rules => {}
        (_, Some(p)) => {
            return Err((
                "restartPolicy".into(),
                format!(
                    "{:?} is not supported: only an init container may set restartPolicy, to Always",
                    p.as_str()
                ),
            ));
        }
    }
    if c.restart_policy_rules.is_empty() {
        return Ok(());
    }
    if c.restart_policy.is_none() {
        return Err(("restartPolicyRules".into(), "may only be set together with restartPolicy".into()));
    }
    if sidecar && !gates.restart_all_containers_on_container_exits {
        return Err(("restartPolicyRules".into(), "may not be set for a restartable init container".into()));
    }
    if c.restart_policy_rules.len() > MAX_RESTART_POLICY_RULES {
        return Err((
            "restartPolicyRules".into(),
            format!("may hold at most {MAX_RESTART_POLICY_RULES} rules"),
        ));
    }
    for (i, rule) in c.restart_policy_rules.iter().enumerate() {
        if rule.action == RestartRuleAction::RestartAllContainers
            && !gates.restart_all_containers_on_container_exits
        {
            return Err((
                format!("restartPolicyRules[{i}].action"),
                "\"RestartAllContainers\" is not supported (RestartAllContainersOnContainerExits is off): supported \"Restart\"".into(),
            ));
        }
        if rule.exit_codes.values.len() > MAX_EXIT_CODE_VALUES {
            return Err((
                format!("restartPolicyRules[{i}].exitCodes.values"),
                format!("may hold at most {MAX_EXIT_CODE_VALUES} values"),
            ));
        }
    }
    Ok(())
}

/// A container's liveness, readiness and startup probes.
type ContainerProbes = (Option<Probe>, Option<Probe>, Option<Probe>);

/// A container's liveness, readiness and startup probes, defaulted and validated ([`probe`]).
fn read_probes(c: &ContainerM, kind: ListKind) -> Result<ContainerProbes, FieldError> {
    let restartable = kind == ListKind::Init && c.restart_policy == Some(RestartPolicy::Always);
    Ok((
        read_probe(c.liveness_probe.as_ref(), ProbeField::Liveness, kind, restartable)?,
        read_probe(c.readiness_probe.as_ref(), ProbeField::Readiness, kind, restartable)?,
        read_probe(c.startup_probe.as_ref(), ProbeField::Startup, kind, restartable)?,
    ))
}

/// Validation of `resources` (non-negative quantities, requests at most limits) and `resizePolicy`
/// (one entry per resource).
fn validate_resources(c: &ContainerM) -> Result<(), FieldError> {
    if let Some(r) = &c.resources {
        for (list, values) in [("requests", &r.requests), ("limits", &r.limits)] {
            if let Some((name, _)) = values.iter().find(|(_, q)| q.is_negative()) {
                return Err((
                    format!("resources.{list}[{name}]"),
                    "must be greater than or equal to 0".into(),
                ));
            }
        }
        for (name, request) in &r.requests {
            let over = r.limits.get(name).is_some_and(|l| request.amount_cmp(l).is_gt());
            if over {
                return Err((
                    format!("resources.requests[{name}]"),
                    format!("{request} must be less than or equal to the limit"),
                ));
            }
        }
    }
    let mut seen = BTreeSet::new();
    for (i, p) in c.resize_policy.iter().enumerate() {
        if !seen.insert(p.resource_name) {
            return Err((format!("resizePolicy[{i}].resourceName"), "duplicate value".into()));
        }
    }
    Ok(())
}

impl ResourcesM {
    /// cpu and memory, with the API server's `SetDefaults_Pod`: a request missing where a limit is set
    /// defaults to the limit.
    fn into_requirements(self) -> ResourceRequirements {
        let list = |m: &BTreeMap<String, Quantity>| ResourceList {
            cpu: m.get("cpu").cloned(),
            memory: m.get("memory").cloned(),
        };
        let limits = list(&self.limits);
        let mut requests = list(&self.requests);
        if requests.cpu.is_none() {
            requests.cpu = limits.cpu.clone();
        }
        if requests.memory.is_none() {
            requests.memory = limits.memory.clone();
        }
        ResourceRequirements { requests, limits }
    }
}

/// `spec.activeDeadlineSeconds` (validation.go `ValidatePodSpec`): from 1 to 2147483647 when set.
fn validate_active_deadline(value: Option<i64>) -> Result<Option<i64>, InvalidPod> {
    match value {
        Some(v) if !(1..=i64::from(i32::MAX)).contains(&v) => Err(InvalidPod {
            path: "spec.activeDeadlineSeconds".into(),
            message: format!("{v}: must be between 1 and 2147483647, inclusive"),
        }),
        v => Ok(v),
    }
}

impl ContainerM {
    /// The model's container; its lifecycle validated against the pod's grace period.
    fn into_container(self, grace_period_seconds: i64) -> Result<Container, FieldError> {
        let mut c = Container::new(self.name, self.image);
        if let Some(p) = self.image_pull_policy {
            c.image_pull_policy = p;
        }
        c.command = self.command;
        c.args = self.args;
        c.env = self.env.into_iter().map(EnvVarM::into_env).collect();
        c.volume_mounts = self
            .volume_mounts
            .into_iter()
            .map(|m| VolumeMount { name: m.name, mount_path: m.mount_path })
            .collect();
        c.restart_policy = self.restart_policy;
        c.restart_policy_rules = self.restart_policy_rules;
        c.resources = self.resources.map(ResourcesM::into_requirements).unwrap_or_default();
        c.resize_policy = self.resize_policy;
        if let Some(l) = self.lifecycle {
            c.lifecycle = l.into_lifecycle(grace_period_seconds)?;
        }
        Ok(c)
    }
}

impl EnvVarM {
    fn into_env(self) -> EnvVar {
        let source = match (self.value, self.value_from) {
            (_, Some(EnvVarSourceM { secret_key_ref: Some(r), .. })) => {
                EnvSource::SecretKeyRef { name: r.name, key: r.key, optional: r.optional.unwrap_or(false) }
            }
            (_, Some(EnvVarSourceM { config_map_key_ref: Some(r), .. })) => {
                EnvSource::ConfigMapKeyRef { name: r.name, key: r.key, optional: r.optional.unwrap_or(false) }
            }
            (_, Some(_)) => EnvSource::Other,
            (value, None) => EnvSource::Value(value.unwrap_or_default()),
        };
        EnvVar { name: self.name, source }
    }
}

impl VolumeM {
    fn into_volume(self) -> Volume {
        let source = if let Some(s) = self.secret {
            VolumeSource::Secret { secret_name: s.secret_name, optional: s.optional.unwrap_or(false) }
        } else if let Some(c) = self.config_map {
            VolumeSource::ConfigMap { name: c.name, optional: c.optional.unwrap_or(false) }
        } else if let Some(h) = self.host_path {
            VolumeSource::HostPath { path: h.path }
        } else if self.empty_dir.is_some() {
            VolumeSource::EmptyDir
        } else {
            VolumeSource::Other
        };
        Volume { name: self.name, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::{ExitCodesOperator, ResizeRestartPolicy, ResourceName};

    fn read(json: &str) -> Result<PodManifest, serde_json::Error> {
        serde_json::from_str(json)
    }

    fn pod_with(container: &str) -> String {
        format!(r#"{{"metadata":{{"name":"p"}},"spec":{{"containers":[{container}]}}}}"#)
    }

    fn gates(list: &str) -> FeatureGates {
        FeatureGates::parse(list).unwrap()
    }

    #[test]
    fn reads_resources_defaults_requests_from_limits_and_keeps_resize_policy() {
        let text = pod_with(
            r#"{"name":"a","image":"i:1","resources":{"limits":{"cpu":"500m","memory":"128Mi","ephemeral-storage":"1Gi"},
                "requests":{"cpu":"100m"}},
                "resizePolicy":[{"resourceName":"memory","restartPolicy":"RestartContainer"}]}"#,
        );
        let pod = read(&text).unwrap().into_pod().unwrap();
        let c = &pod.spec.containers[0];
        assert_eq!(c.resources.requests.cpu_milli(), 100);
        assert_eq!(
            c.resources.requests.memory_bytes(),
            128 << 20,
            "the memory request defaults to the limit"
        );
        assert_eq!(c.resources.limits.cpu_milli(), 500);
        assert_eq!(c.resize_policy[0].resource_name, ResourceName::Memory);
        assert_eq!(c.resize_policy[0].restart_policy, ResizeRestartPolicy::RestartContainer);
        // With the gate off the API server drops resizePolicy.
        let off = read(&text).unwrap().into_pod_with(&gates("InPlacePodVerticalScaling=false")).unwrap();
        assert!(off.spec.containers[0].resize_policy.is_empty());
    }

    #[test]
    fn bad_quantities_unknown_words_and_invalid_resources_are_errors() {
        let bad_quantity = pod_with(r#"{"name":"a","image":"i:1","resources":{"limits":{"cpu":"lots"}}}"#);
        assert!(read(&bad_quantity).unwrap_err().to_string().contains("\"lots\" is not a valid quantity"));
        let bad_policy = pod_with(
            r#"{"name":"a","image":"i:1","resizePolicy":[{"resourceName":"cpu","restartPolicy":"Sometimes"}]}"#,
        );
        assert!(read(&bad_policy).unwrap_err().to_string().contains("unknown variant"));
        let bad_resource = pod_with(
            r#"{"name":"a","image":"i:1","resizePolicy":[{"resourceName":"disk","restartPolicy":"NotRequired"}]}"#,
        );
        assert!(read(&bad_resource).unwrap_err().to_string().contains("unknown variant"));
        let over = pod_with(
            r#"{"name":"a","image":"i:1","resources":{"limits":{"cpu":"1"},"requests":{"cpu":"2"}}}"#,
        );
        let e = read(&over).unwrap().into_pod().unwrap_err();
        assert_eq!(e.path, "spec.containers[0].resources.requests[cpu]");
        let negative = pod_with(r#"{"name":"a","image":"i:1","resources":{"requests":{"memory":"-1"}}}"#);
        assert!(read(&negative)
            .unwrap()
            .into_pod()
            .unwrap_err()
            .message
            .contains("greater than or equal to 0"));
        let twice = pod_with(
            r#"{"name":"a","image":"i:1","resizePolicy":[{"resourceName":"cpu","restartPolicy":"NotRequired"},
               {"resourceName":"cpu","restartPolicy":"RestartContainer"}]}"#,
        );
        assert_eq!(
            read(&twice).unwrap().into_pod().unwrap_err().path,
            "spec.containers[0].resizePolicy[1].resourceName"
        );
    }

    #[test]
    fn container_restart_policy_and_rules_follow_the_gates() {
        let text = pod_with(
            r#"{"name":"a","image":"i:1","restartPolicy":"Never",
                "restartPolicyRules":[{"action":"Restart","exitCodes":{"operator":"In","values":[42]}}]}"#,
        );
        let pod = read(&text).unwrap().into_pod().unwrap();
        let c = &pod.spec.containers[0];
        assert_eq!(c.restart_policy, Some(RestartPolicy::Never));
        assert_eq!(c.restart_policy_rules[0].exit_codes.operator, ExitCodesOperator::In);
        // ContainerRestartRules off: dropped, not refused.
        let off = read(&text).unwrap().into_pod_with(&gates("ContainerRestartRules=false")).unwrap();
        assert_eq!(off.spec.containers[0].restart_policy, None);
        assert!(off.spec.containers[0].restart_policy_rules.is_empty());
        // Rules need a container policy.
        let no_policy = pod_with(
            r#"{"name":"a","image":"i:1","restartPolicyRules":[{"action":"Restart","exitCodes":{"operator":"In","values":[1]}}]}"#,
        );
        assert_eq!(
            read(&no_policy).unwrap().into_pod().unwrap_err().path,
            "spec.containers[0].restartPolicyRules"
        );
        // Unknown action or operator, and a missing condition, are errors.
        for rule in [
            r#"{"action":"Explode","exitCodes":{"operator":"In","values":[1]}}"#,
            r#"{"action":"Restart","exitCodes":{"operator":"Maybe","values":[1]}}"#,
            r#"{"action":"Restart"}"#,
        ] {
            let text = pod_with(&format!(
                r#"{{"name":"a","image":"i:1","restartPolicy":"Never","restartPolicyRules":[{rule}]}}"#
            ));
            assert!(read(&text).is_err(), "{rule} must be refused");
        }
        // RestartAllContainers needs its gate.
        let all = pod_with(
            r#"{"name":"a","image":"i:1","restartPolicy":"Never",
                "restartPolicyRules":[{"action":"RestartAllContainers","exitCodes":{"operator":"In","values":[1]}}]}"#,
        );
        assert!(read(&all).unwrap().into_pod().is_ok());
        let e = read(&all)
            .unwrap()
            .into_pod_with(&gates("RestartAllContainersOnContainerExits=false"))
            .unwrap_err();
        assert_eq!(e.path, "spec.containers[0].restartPolicyRules[0].action");
        // An ephemeral container may not set a restart policy.
        let eph = r#"{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"i:1"}],
            "ephemeralContainers":[{"name":"d","image":"i:1","restartPolicy":"Always"}]}}"#;
        assert_eq!(
            read(eph).unwrap().into_pod().unwrap_err().path,
            "spec.ephemeralContainers[0].restartPolicy"
        );
    }

    #[test]
    fn sidecars_disappear_with_the_sidecar_gate_off() {
        let text = r#"{"metadata":{"name":"p"},"spec":{"initContainers":[{"name":"s","image":"i:1","restartPolicy":"Always"}],
            "containers":[{"name":"a","image":"i:1"}]}}"#;
        let on = read(text).unwrap().into_pod().unwrap();
        assert!(on.has_restartable_init_container());
        let off = read(text).unwrap().into_pod_with(&gates("SidecarContainers=false")).unwrap();
        assert!(!off.has_restartable_init_container());
    }

    #[test]
    fn reads_the_status_conditions_the_sync_looks_at() {
        let text = r#"{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"i:1"}]},
            "status":{"phase":"Running","conditions":[{"type":"AllContainersRestarting","status":"True"},
            {"type":"Ready","status":"False"}]}}"#;
        let m = read(text).unwrap();
        assert!(m.condition_is_true("AllContainersRestarting"));
        assert!(!m.condition_is_true("Ready"));
        let bad = text.replace("\"True\"", "\"Yes\"");
        assert!(read(&bad).is_err(), "an unknown condition status is an error");
    }
}
