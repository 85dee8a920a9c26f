//! The compact pod types the kubelet reads from a v1 Pod: only the fields that pod management uses.
//!
//! These are the model's own types, not the API's: the edges (the CLI, the scenario loader) convert a
//! real manifest into them (see [`crate::manifest`]), applying the API server's defaulting on the way.

use serde::{Deserialize, Serialize};

use crate::shared_str::SharedStr;

use crate::hash::hash_container;

mod lifecycle;
mod probe;
mod qos;
mod resources;
mod restart_rules;

pub use lifecycle::{
    exec_hook_failed_message, http_hook_failed_message, invalid_handler_message, HookOutcome, Lifecycle,
    LifecycleHandler,
};
pub use probe::{
    ExecAction, GrpcAction, HttpGetAction, PortValue, Probe, ProbeHandler, TcpSocketAction,
    DEFAULT_FAILURE_THRESHOLD, DEFAULT_PERIOD_SECONDS, DEFAULT_SUCCESS_THRESHOLD, DEFAULT_TIMEOUT_SECONDS,
};
pub use qos::{effective_request, get_pod_qos, pod_request, QosClass};

pub use resources::{
    ActualResources, ContainerResizePolicy, Quantity, ResizeRestartPolicy, ResourceList, ResourceName,
    ResourceRequirements,
};
pub use restart_rules::{
    container_should_restart, find_matching_container_restart_rule, is_container_restartable,
    ContainerRestartRule, ExitCodes, ExitCodesOperator, RestartRuleAction,
};

/// A pod's identity and the spec the kubelet manages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pod {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` (defaulted to `default`).
    pub namespace: String,
    /// `metadata.uid`: the key of everything the kubelet keeps per pod.
    pub uid: String,
    /// `metadata.resourceVersion`, as the API server last wrote it ("" if never stored).
    #[serde(default)]
    pub resource_version: String,
    /// `metadata.deletionTimestamp`, as milliseconds of virtual time; `Some` once deletion was requested.
    #[serde(default)]
    pub deletion_timestamp: Option<u64>,
    /// `metadata.deletionGracePeriodSeconds`.
    #[serde(default)]
    pub deletion_grace_period_seconds: Option<i64>,
    /// The desired state.
    pub spec: std::sync::Arc<PodSpec>,
    /// `status`, as the API server holds it: the kubelet's last write, coming back on the list and
    /// the watch (`None` before the first). The kubelet reads it where its status manager holds no
    /// status of the pod: after a restart (`generateAPIPodStatus`' old status, the start time of
    /// `updateStatusInternal`, a pod worker's first sight of a terminal pod). A manifest's status is
    /// not read: the API server clears it on create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<std::sync::Arc<crate::status::PodStatusReport>>,
}

/// `pod.spec`, reduced to what the kubelet's pod management reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    /// `spec.nodeName`: the node the pod is bound to ("" if unscheduled).
    pub node_name: String,
    /// `spec.restartPolicy` (absent means Always).
    pub restart_policy: RestartPolicy,
    /// `spec.hostNetwork`: the sandbox uses the node's network namespace.
    pub host_network: bool,
    /// `spec.terminationGracePeriodSeconds` (default 30).
    pub termination_grace_period_seconds: i64,
    /// `spec.activeDeadlineSeconds`: how long the pod may be active on the node, from its start time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<i64>,
    /// `spec.initContainers`, in order; sidecars have `restart_policy: Some(Always)`.
    pub init_containers: Vec<Container>,
    /// `spec.containers`.
    pub containers: Vec<Container>,
    /// `spec.ephemeralContainers`.
    pub ephemeral_containers: Vec<Container>,
    /// `spec.volumes`.
    pub volumes: Vec<Volume>,
    /// `spec.imagePullSecrets`: names of Secrets in the pod's namespace.
    pub image_pull_secrets: Vec<String>,
}

/// `spec.restartPolicy`, for the pod, or for an init container (only `Always`, marking a sidecar).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub enum RestartPolicy {
    /// Restart every container that exits (the default).
    #[default]
    Always,
    /// Restart a container only when it exits with a non-zero code.
    OnFailure,
    /// Never restart a container.
    Never,
}

impl RestartPolicy {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::Always => "Always",
            RestartPolicy::OnFailure => "OnFailure",
            RestartPolicy::Never => "Never",
        }
    }
}

/// `imagePullPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PullPolicy {
    /// Pull on every container start.
    Always,
    /// Pull only when the image is not on the node.
    IfNotPresent,
    /// Never pull; a missing image is `ErrImageNeverPull`.
    Never,
}

impl PullPolicy {
    /// The API server's defaulting: `Always` for an image tagged `:latest` or with no tag (and no
    /// digest), `IfNotPresent` otherwise.
    pub fn default_for_image(image: &str) -> PullPolicy {
        if image.contains('@') {
            return PullPolicy::IfNotPresent;
        }
        // The tag is what follows the last ':' after the last '/' (a ':' before it is a registry port).
        let last_segment = image.rsplit('/').next().unwrap_or(image);
        match last_segment.rsplit_once(':') {
            None => PullPolicy::Always,
            Some((_, "latest")) => PullPolicy::Always,
            Some(_) => PullPolicy::IfNotPresent,
        }
    }
}

/// One container of any kind (init, regular, ephemeral).
///
/// `name` and `image` are private so that the cached kubelet hash, which covers exactly those two, can
/// never go stale: construct with [`Container::new`] and change the image with [`Container::set_image`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "ContainerFields", into = "ContainerFields")]
pub struct Container {
    name: SharedStr,
    image: SharedStr,
    hash: u64,
    /// `imagePullPolicy`, already defaulted.
    pub image_pull_policy: PullPolicy,
    /// `command`: the workload the simulator and podsim's workload binary read.
    pub command: Vec<String>,
    /// `args`.
    pub args: Vec<String>,
    /// `env`.
    pub env: Vec<EnvVar>,
    /// `volumeMounts`.
    pub volume_mounts: Vec<VolumeMount>,
    /// The container's own `restartPolicy`: `Some(Always)` on an init container makes it a sidecar;
    /// on a regular or plain init container (ContainerRestartRules) it overrides the pod's.
    pub restart_policy: Option<RestartPolicy>,
    /// `restartPolicyRules` (ContainerRestartRules; on sidecars with RestartAllContainersOnContainerExits).
    pub restart_policy_rules: Vec<ContainerRestartRule>,
    /// `resources`: cpu and memory requests and limits.
    pub resources: ResourceRequirements,
    /// `resizePolicy` (InPlacePodVerticalScaling); a resource without an entry is NotRequired.
    pub resize_policy: Vec<ContainerResizePolicy>,
    /// `livenessProbe`.
    pub liveness_probe: Option<Probe>,
    /// `readinessProbe`.
    pub readiness_probe: Option<Probe>,
    /// `startupProbe`.
    pub startup_probe: Option<Probe>,
    /// `lifecycle`: the postStart and preStop hooks.
    pub lifecycle: Lifecycle,
}

impl Container {
    /// A container with the given name and image, the defaulted pull policy and nothing else set.
    pub fn new(name: impl Into<SharedStr>, image: impl Into<SharedStr>) -> Container {
        let name = name.into();
        let image = image.into();
        Container {
            hash: hash_container(&name, &image),
            image_pull_policy: PullPolicy::default_for_image(&image),
            name,
            image,
            command: Vec::new(),
            args: Vec::new(),
            env: Vec::new(),
            volume_mounts: Vec::new(),
            restart_policy: None,
            restart_policy_rules: Vec::new(),
            resources: ResourceRequirements::default(),
            resize_policy: Vec::new(),
            liveness_probe: None,
            readiness_probe: None,
            startup_probe: None,
            lifecycle: Lifecycle::default(),
        }
    }

    /// `name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `image`.
    pub fn image(&self) -> &str {
        &self.image
    }

    /// `name`, shared: a copy for a record or a status costs a reference count.
    pub fn shared_name(&self) -> &SharedStr {
        &self.name
    }

    /// `image`, shared as [`Container::shared_name`] is.
    pub fn shared_image(&self) -> &SharedStr {
        &self.image
    }

    /// The kubelet's `HashContainer` of this container (cached).
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// Replaces the image and recomputes the hash; the pull policy is left as it was.
    pub fn set_image(&mut self, image: impl Into<SharedStr>) {
        self.image = image.into();
        self.hash = hash_container(&self.name, &self.image);
    }

    /// Whether a liveness probe is set.
    pub fn has_liveness_probe(&self) -> bool {
        self.liveness_probe.is_some()
    }

    /// Whether a startup probe is set.
    pub fn has_startup_probe(&self) -> bool {
        self.startup_probe.is_some()
    }

    /// Whether a readiness probe is set.
    pub fn has_readiness_probe(&self) -> bool {
        self.readiness_probe.is_some()
    }

    /// An init container with `restartPolicy: Always`: a sidecar (`podutil.IsRestartableInitContainer`).
    pub fn is_restartable_init_container(&self) -> bool {
        self.restart_policy == Some(RestartPolicy::Always)
    }

    /// The names of the Secrets this container's environment reads.
    pub fn env_secret_names(&self) -> impl Iterator<Item = &str> {
        self.env.iter().filter_map(|e| match &e.source {
            EnvSource::SecretKeyRef { name, .. } => Some(name.as_str()),
            _ => None,
        })
    }
}

/// The serialised form of [`Container`] (the hash is derived, never read).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContainerFields {
    name: String,
    image: String,
    image_pull_policy: Option<PullPolicy>,
    #[serde(default)]
    command: Vec<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: Vec<EnvVar>,
    #[serde(default)]
    volume_mounts: Vec<VolumeMount>,
    #[serde(default)]
    restart_policy: Option<RestartPolicy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    restart_policy_rules: Vec<ContainerRestartRule>,
    #[serde(default, skip_serializing_if = "ResourceRequirements::is_empty")]
    resources: ResourceRequirements,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    resize_policy: Vec<ContainerResizePolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    liveness_probe: Option<Probe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    readiness_probe: Option<Probe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    startup_probe: Option<Probe>,
    #[serde(default, skip_serializing_if = "Lifecycle::is_empty")]
    lifecycle: Lifecycle,
}

impl From<ContainerFields> for Container {
    fn from(f: ContainerFields) -> Container {
        let mut c = Container::new(f.name, f.image);
        if let Some(p) = f.image_pull_policy {
            c.image_pull_policy = p;
        }
        c.command = f.command;
        c.args = f.args;
        c.env = f.env;
        c.volume_mounts = f.volume_mounts;
        c.restart_policy = f.restart_policy;
        c.restart_policy_rules = f.restart_policy_rules;
        c.resources = f.resources;
        c.resize_policy = f.resize_policy;
        c.liveness_probe = f.liveness_probe;
        c.readiness_probe = f.readiness_probe;
        c.startup_probe = f.startup_probe;
        c.lifecycle = f.lifecycle;
        c
    }
}

impl From<Container> for ContainerFields {
    fn from(c: Container) -> ContainerFields {
        ContainerFields {
            name: c.name.into(),
            image: c.image.into(),
            image_pull_policy: Some(c.image_pull_policy),
            command: c.command,
            args: c.args,
            env: c.env,
            volume_mounts: c.volume_mounts,
            restart_policy: c.restart_policy,
            restart_policy_rules: c.restart_policy_rules,
            resources: c.resources,
            resize_policy: c.resize_policy,
            liveness_probe: c.liveness_probe,
            readiness_probe: c.readiness_probe,
            startup_probe: c.startup_probe,
            lifecycle: c.lifecycle,
        }
    }
}

/// One `env` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    /// The variable's name.
    pub name: String,
    /// Where its value comes from.
    pub source: EnvSource,
}

/// Where an environment variable's value comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EnvSource {
    /// A literal `value`.
    Value(String),
    /// `valueFrom.secretKeyRef`.
    SecretKeyRef {
        /// The Secret's name (same namespace as the pod).
        name: String,
        /// The key in the Secret.
        key: String,
        /// `optional: true`: a missing Secret is not an error.
        optional: bool,
    },
    /// `valueFrom.configMapKeyRef`.
    ConfigMapKeyRef {
        /// The ConfigMap's name.
        name: String,
        /// The key in the ConfigMap.
        key: String,
        /// `optional: true`.
        optional: bool,
    },
    /// Any other `valueFrom` (fieldRef, resourceFieldRef): resolved by the kubelet itself.
    Other,
}

/// One `volumeMounts` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeMount {
    /// The volume's name in `spec.volumes`.
    pub name: String,
    /// Where it appears in the container.
    pub mount_path: String,
}

/// One `spec.volumes` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// The volume's name.
    pub name: String,
    /// What backs it.
    pub source: VolumeSource,
}

/// The kinds of volume the model knows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum VolumeSource {
    /// `secret`: the Secret's contents as files.
    Secret {
        /// `secretName`.
        secret_name: String,
        /// `optional`.
        optional: bool,
    },
    /// `configMap`.
    ConfigMap {
        /// `name`.
        name: String,
        /// `optional`.
        optional: bool,
    },
    /// `emptyDir`.
    EmptyDir,
    /// `hostPath`.
    HostPath {
        /// `path`.
        path: String,
    },
    /// Any other kind: mounted like an emptyDir.
    Other,
}

impl Pod {
    /// The spec, to change: copied first if another pod shares it (pods share specs, so that a
    /// reply or a watch event of a pod costs a reference count, not a copy of its spec).
    pub fn spec_mut(&mut self) -> &mut PodSpec {
        std::sync::Arc::make_mut(&mut self.spec)
    }

    /// A pod with defaults everywhere: bound to `node`, restart policy Always, grace period 30 s.
    pub fn new(name: impl Into<String>, uid: impl Into<String>, node: impl Into<String>) -> Pod {
        Pod {
            name: name.into(),
            namespace: "default".to_string(),
            uid: uid.into(),
            resource_version: String::new(),
            deletion_timestamp: None,
            deletion_grace_period_seconds: None,
            status: None,
            spec: std::sync::Arc::new(PodSpec {
                node_name: node.into(),
                restart_policy: RestartPolicy::Always,
                host_network: false,
                termination_grace_period_seconds: 30,
                active_deadline_seconds: None,
                init_containers: Vec::new(),
                containers: Vec::new(),
                ephemeral_containers: Vec::new(),
                volumes: Vec::new(),
                image_pull_secrets: Vec::new(),
            }),
        }
    }

    /// `namespace/name`, as the kubelet names a pod in its logs.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// `types.HasRestartableInitContainer`.
    pub fn has_restartable_init_container(&self) -> bool {
        self.spec.init_containers.iter().any(Container::is_restartable_init_container)
    }

    /// Every container of the pod: init, then regular, then ephemeral, with its kind.
    pub fn all_containers(&self) -> impl Iterator<Item = (ContainerKind, &Container)> {
        let s = &self.spec;
        s.init_containers
            .iter()
            .map(|c| (ContainerKind::Init, c))
            .chain(s.containers.iter().map(|c| (ContainerKind::Regular, c)))
            .chain(s.ephemeral_containers.iter().map(|c| (ContainerKind::Ephemeral, c)))
    }

    /// The container of any kind with this name.
    pub fn find_container(&self, name: &str) -> Option<(ContainerKind, &Container)> {
        self.all_containers().find(|(_, c)| c.name() == name)
    }

    /// The Secrets the pod needs: volumes, env of every container, image pull secrets; sorted, unique,
    /// with whether each is optional (a Secret is optional only if every reference to it is).
    pub fn secret_refs(&self) -> Vec<(String, bool)> {
        let mut refs: std::collections::BTreeMap<String, bool> = std::collections::BTreeMap::new();
        let mut add = |name: &str, optional: bool| {
            let e = refs.entry(name.to_string()).or_insert(true);
            *e = *e && optional;
        };
        for v in &self.spec.volumes {
            if let VolumeSource::Secret { secret_name, optional } = &v.source {
                add(secret_name, *optional);
            }
        }
        for (_, c) in self.all_containers() {
            for e in &c.env {
                if let EnvSource::SecretKeyRef { name, optional, .. } = &e.source {
                    add(name, *optional);
                }
            }
        }
        for s in &self.spec.image_pull_secrets {
            add(s, true);
        }
        refs.into_iter().collect()
    }

    /// The grace period for stopping this pod's containers when it is deleted: the
    /// `deletionGracePeriodSeconds` if set, else `terminationGracePeriodSeconds`
    /// (kuberuntime `setTerminationGracePeriod`; the kubelet never uses less than 2 s for a kill).
    pub fn grace_period_seconds(&self) -> i64 {
        self.deletion_grace_period_seconds.unwrap_or(self.spec.termination_grace_period_seconds).max(0)
    }
}

/// The three kinds of container in a pod spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ContainerKind {
    /// `spec.initContainers` (sidecars included).
    Init,
    /// `spec.containers`.
    Regular,
    /// `spec.ephemeralContainers`.
    Ephemeral,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_defaults_like_the_api_server() {
        assert_eq!(PullPolicy::default_for_image("nginx"), PullPolicy::Always);
        assert_eq!(PullPolicy::default_for_image("nginx:latest"), PullPolicy::Always);
        assert_eq!(PullPolicy::default_for_image("nginx:1.25"), PullPolicy::IfNotPresent);
        assert_eq!(PullPolicy::default_for_image("reg:5000/nginx"), PullPolicy::Always);
        assert_eq!(PullPolicy::default_for_image("reg:5000/nginx:1"), PullPolicy::IfNotPresent);
        assert_eq!(PullPolicy::default_for_image("nginx@sha256:abc"), PullPolicy::IfNotPresent);
    }

    #[test]
    fn set_image_recomputes_the_hash() {
        let mut c = Container::new("app", "img:1");
        let before = c.hash();
        c.set_image("img:2");
        assert_ne!(before, c.hash());
        assert_eq!(c.hash(), hash_container("app", "img:2"));
    }

    #[test]
    fn secret_refs_are_sorted_and_optional_only_if_every_reference_is() {
        let mut pod = Pod::new("p", "u", "n");
        let mut c = Container::new("a", "i:1");
        c.env.push(EnvVar {
            name: "X".into(),
            source: EnvSource::SecretKeyRef { name: "s2".into(), key: "k".into(), optional: false },
        });
        pod.spec_mut().containers.push(c);
        pod.spec_mut().volumes.push(Volume {
            name: "v".into(),
            source: VolumeSource::Secret { secret_name: "s2".into(), optional: true },
        });
        pod.spec_mut().image_pull_secrets.push("s1".into());
        assert_eq!(pod.secret_refs(), vec![("s1".to_string(), true), ("s2".to_string(), false)]);
    }
}
