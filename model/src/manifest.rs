//! Reading a real v1 Pod manifest into the model's [`Pod`].
//!
//! [`PodManifest`] deserialises the subset of a v1 Pod that the kubelet's pod management reads; every
//! other field of a real manifest is accepted and ignored. Converting it applies the API server's
//! defaulting (namespace `default`, restartPolicy Always, terminationGracePeriodSeconds 30, the
//! imagePullPolicy rule) and the validation a kubelet relies on (non-empty, unique container names).
//! The caller picks the text format (the CLI uses YAML, which reads JSON too) and so reports lines.

use std::collections::BTreeSet;

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::pod::{
    Container, EnvSource, EnvVar, Pod, PodSpec, PullPolicy, RestartPolicy, Volume, VolumeMount, VolumeSource,
};

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
    liveness_probe: Option<IgnoredAny>,
    #[serde(default)]
    startup_probe: Option<IgnoredAny>,
    #[serde(default)]
    lifecycle: Option<LifecycleM>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LifecycleM {
    #[serde(default)]
    post_start: Option<IgnoredAny>,
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
    /// Validates and defaults the manifest into the model's pod.
    pub fn into_pod(self) -> Result<Pod, InvalidPod> {
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
        let s = self.spec;
        if s.containers.is_empty() {
            return Err(invalid("spec.containers".into(), "a pod needs at least one container"));
        }
        let mut names = BTreeSet::new();
        let mut convert = |list: Vec<ContainerM>, field: &str| -> Result<Vec<Container>, InvalidPod> {
            list.into_iter()
                .enumerate()
                .map(|(i, c)| {
                    let at = format!("spec.{field}[{i}]");
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
                    if c.restart_policy
                        .is_some_and(|p| field != "initContainers" || p != RestartPolicy::Always)
                    {
                        return Err(invalid(
                            format!("{at}.restartPolicy"),
                            "only an init container may set restartPolicy, and only to Always",
                        ));
                    }
                    Ok(c.into_container())
                })
                .collect()
        };
        let init_containers = convert(s.init_containers, "initContainers")?;
        let containers = convert(s.containers, "containers")?;
        let ephemeral_containers = convert(s.ephemeral_containers, "ephemeralContainers")?;
        let volumes = s.volumes.into_iter().map(VolumeM::into_volume).collect();
        Ok(Pod {
            name: m.name,
            namespace,
            uid,
            resource_version: m.resource_version.unwrap_or_default(),
            // The model keeps virtual time; a manifest's wall-clock timestamp only says "deleted".
            deletion_timestamp: m.deletion_timestamp.map(|_| 0),
            deletion_grace_period_seconds: m.deletion_grace_period_seconds,
            spec: PodSpec {
                node_name: s.node_name.unwrap_or_default(),
                restart_policy: s.restart_policy.unwrap_or_default(),
                host_network: s.host_network.unwrap_or(false),
                termination_grace_period_seconds: s.termination_grace_period_seconds.unwrap_or(30),
                init_containers,
                containers,
                ephemeral_containers,
                volumes,
                image_pull_secrets: s.image_pull_secrets.into_iter().map(|r| r.name).collect(),
            },
        })
    }
}

impl ContainerM {
    fn into_container(self) -> Container {
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
        c.has_liveness_probe = self.liveness_probe.is_some();
        c.has_startup_probe = self.startup_probe.is_some();
        c.has_post_start_hook = self.lifecycle.is_some_and(|l| l.post_start.is_some());
        c
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
