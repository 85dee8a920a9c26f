//! The scenario format (documented in scenarios/README.md): a node, the kubelet's settings, real Pod
//! manifests, Secrets, the registry's images, a timeline of changes and faults, a random-fault
//! profile, and expectations.
//!
//! Files are read with [`crate::input::parse_document`], so a bad file is reported with its line,
//! column and field path; checks that need the whole entry (one action per timeline entry, a valid
//! pod) run while deserialising, so they are located too.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use podsim_model::backoff::Jitter;
use podsim_model::kubelet::{BackoffBounds, FailedSyncRequeue, KubeletBugs};
use podsim_model::manifest::PodManifest;
use podsim_model::workload::{check_pod_commands, Workload, WorkloadError};
use podsim_model::{FeatureGates, KubeletConfig, Millis, Pod};

use crate::faults::{Fault, FaultProfile};
use crate::input::{parse_document, InputError};
use crate::locate::FieldPath;
use crate::node_setup::{check_references, NodeFile, NodeSetup, ScenarioPods};

/// Durations in scenario files: `500ms`, `30s`, `10m`, `1h`, or a number of seconds.
pub mod duration {
    use podsim_model::workload::parse_duration;
    use podsim_model::Millis;
    use serde::{Deserializer, Serializer};

    /// Writes `1500ms`, `2s`, `10m`: the largest unit that divides it.
    pub fn format(ms: Millis) -> String {
        if ms != 0 && ms.is_multiple_of(60_000) {
            format!("{}m", ms / 60_000)
        } else if ms.is_multiple_of(1_000) {
            format!("{}s", ms / 1_000)
        } else {
            format!("{ms}ms")
        }
    }

    /// For people: `7m 8s`, `449h 28m`, `350ms`.
    pub fn human(ms: Millis) -> String {
        let (h, m, s) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1_000 % 60);
        match (h, m, s) {
            (0, 0, 0) => format!("{ms}ms"),
            (0, 0, s) => format!("{s}s"),
            (0, m, 0) => format!("{m}m"),
            (0, m, s) => format!("{m}m {s}s"),
            (h, m, _) => format!("{h}h {m}m"),
        }
    }

    /// serde: write.
    pub fn serialize<S: Serializer>(ms: &Millis, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*ms))
    }

    struct Visitor;

    impl serde::de::Visitor<'_> for Visitor {
        type Value = Millis;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a duration like 500ms, 30s, 10m, or a number of seconds")
        }

        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Millis, E> {
            v.checked_mul(1_000).ok_or_else(|| E::custom("the duration is too long"))
        }

        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Millis, E> {
            u64::try_from(v)
                .map_err(|_| E::custom("a duration cannot be negative"))
                .and_then(|v| self.visit_u64(v))
        }

        fn visit_str<E: serde::de::Error>(self, t: &str) -> Result<Millis, E> {
            parse_duration(t)
                .ok_or_else(|| E::custom(format!("{t:?} is not a duration (like 500ms, 30s, 10m)")))
        }
    }

    /// serde: read (a visitor, so that the reader keeps the value's line and column).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Millis, D::Error> {
        d.deserialize_any(Visitor)
    }
}

/// An optional duration.
pub mod opt_duration {
    use podsim_model::Millis;
    use serde::{Deserialize, Deserializer, Serializer};

    /// serde: write.
    pub fn serialize<S: Serializer>(ms: &Option<Millis>, s: S) -> Result<S::Ok, S::Error> {
        match ms {
            Some(ms) => super::duration::serialize(ms, s),
            None => s.serialize_none(),
        }
    }

    #[derive(Deserialize)]
    struct Wrap(#[serde(with = "super::duration")] Millis);

    /// serde: read.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Millis>, D::Error> {
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }
}

/// A jitter factor as written: a number from 0 to 10 (`0.5`), kept in thousandths.
pub mod jitter_factor {
    use podsim_model::backoff::Jitter;
    use serde::{Deserialize, Deserializer, Serializer};

    /// The largest factor accepted.
    const MAX: f64 = 10.0;

    /// serde: write.
    pub fn serialize<S: Serializer>(j: &Jitter, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(f64::from(j.per_mille()) / 1_000.0)
    }

    /// serde: read.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Jitter, D::Error> {
        let f = f64::deserialize(d)?;
        if !(0.0..=MAX).contains(&f) {
            return Err(serde::de::Error::custom(format!("a jitter factor is from 0 to {MAX}, not {f}")));
        }
        Ok(Jitter((f * 1_000.0).round() as u32))
    }
}

/// An optional jitter factor.
mod opt_jitter_factor {
    use podsim_model::backoff::Jitter;
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    struct Wrap(#[serde(with = "super::jitter_factor")] Jitter);

    /// serde: read.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Jitter>, D::Error> {
        Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
    }
}

/// `kubelet:` as written: the kubelet's timing settings and feature gates, each optional (the
/// kubelet's default when left out). Documented, with the defaults and the kubelet version each
/// follows, in scenarios/README.md.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KubeletFile {
    #[serde(default, deserialize_with = "opt_positive_duration::deserialize")]
    sync_frequency: Option<Millis>,
    #[serde(default, with = "opt_jitter_factor")]
    resync_jitter: Option<Jitter>,
    #[serde(default, deserialize_with = "opt_positive_duration::deserialize")]
    relist_period: Option<Millis>,
    #[serde(default, deserialize_with = "opt_positive_duration::deserialize")]
    pod_worker_back_off: Option<Millis>,
    #[serde(default, with = "opt_jitter_factor")]
    pod_worker_back_off_jitter: Option<Jitter>,
    #[serde(default)]
    failed_sync_requeue: Option<FailedSyncRequeue>,
    #[serde(default)]
    crash_loop_back_off: Option<CrashLoopFile>,
    #[serde(default)]
    image_pull_back_off: Option<BoundsFile>,
    #[serde(default)]
    serialize_image_pulls: Option<bool>,
    #[serde(default)]
    max_parallel_image_pulls: Option<i32>,
    #[serde(default)]
    feature_gates: Option<FeatureGates>,
    /// Historical kubelet bugs to re-introduce, by name (model/src/kubelet/bugs.rs; BUGS.md).
    #[serde(default)]
    bugs: Option<KubeletBugs>,
    /// The node's cpu and memory capacity (in-place resizes are admitted against it).
    #[serde(default)]
    node_capacity: Option<podsim_model::pod::ResourceList>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CrashLoopFile {
    #[serde(default, deserialize_with = "opt_positive_duration::deserialize")]
    initial: Option<Millis>,
    #[serde(default, deserialize_with = "opt_positive_duration::deserialize")]
    max: Option<Millis>,
    #[serde(default, deserialize_with = "opt_positive_duration::deserialize")]
    reset_after: Option<Millis>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BoundsFile {
    #[serde(default, deserialize_with = "opt_positive_duration::deserialize")]
    initial: Option<Millis>,
    #[serde(default, deserialize_with = "opt_positive_duration::deserialize")]
    max: Option<Millis>,
}

impl KubeletFile {
    /// The settings over the kubelet's defaults (the node is set by the scenario).
    fn into_config(self) -> KubeletConfig {
        let mut c = KubeletConfig::new(String::new());
        c.sync_frequency = self.sync_frequency.unwrap_or(c.sync_frequency);
        c.resync_jitter = self.resync_jitter.unwrap_or(c.resync_jitter);
        c.relist_period = self.relist_period.unwrap_or(c.relist_period);
        c.pod_worker_back_off = self.pod_worker_back_off.unwrap_or(c.pod_worker_back_off);
        c.pod_worker_back_off_jitter =
            self.pod_worker_back_off_jitter.unwrap_or(c.pod_worker_back_off_jitter);
        c.failed_sync_requeue = self.failed_sync_requeue.unwrap_or(c.failed_sync_requeue);
        if let Some(f) = self.crash_loop_back_off {
            c.crash_loop_back_off.initial = f.initial;
            c.crash_loop_back_off.max = f.max;
            c.crash_loop_back_off.reset_after = f.reset_after.unwrap_or(c.crash_loop_back_off.reset_after);
        }
        if let Some(f) = self.image_pull_back_off {
            c.image_pull_back_off = BackoffBounds {
                initial: f.initial.unwrap_or(c.image_pull_back_off.initial),
                max: f.max.unwrap_or(c.image_pull_back_off.max),
            };
        }
        // Left out, `serializeImagePulls` follows the limit (the kubelet's v1beta1 defaulting).
        c.max_parallel_image_pulls = self.max_parallel_image_pulls;
        c.serialize_image_pulls = self
            .serialize_image_pulls
            .unwrap_or_else(|| KubeletConfig::default_serialize_image_pulls(self.max_parallel_image_pulls));
        c.feature_gates = self.feature_gates.unwrap_or_default();
        c.bugs = self.bugs.unwrap_or_default();
        if let Some(capacity) = self.node_capacity {
            c.node_capacity.cpu = capacity.cpu.or(c.node_capacity.cpu);
            c.node_capacity.memory = capacity.memory.or(c.node_capacity.memory);
        }
        c
    }
}

/// A duration that must be more than 0, optional.
mod opt_positive_duration {
    use podsim_model::Millis;
    use serde::Deserializer;

    /// serde: read.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Millis>, D::Error> {
        match super::opt_duration::deserialize(d)? {
            Some(0) => Err(serde::de::Error::custom("must be more than 0")),
            other => Ok(other),
        }
    }
}

/// The `kubelet:` block that gives `config` (only what differs from the kubelet's defaults), as a
/// scenario file writes it; `None` if nothing differs.
pub fn kubelet_block(config: &KubeletConfig) -> Option<serde_json::Value> {
    use serde_json::{json, Map, Value};
    let d = KubeletConfig::new(config.node_name.clone());
    let mut block = Map::new();
    let mut put = |key: &str, value: Value| {
        block.insert(key.to_string(), value);
    };
    let jitter = |j: Jitter| json!(f64::from(j.per_mille()) / 1_000.0);
    if config.sync_frequency != d.sync_frequency {
        put("syncFrequency", json!(duration::format(config.sync_frequency)));
    }
    if config.resync_jitter != d.resync_jitter {
        put("resyncJitter", jitter(config.resync_jitter));
    }
    if config.relist_period != d.relist_period {
        put("relistPeriod", json!(duration::format(config.relist_period)));
    }
    if config.pod_worker_back_off != d.pod_worker_back_off {
        put("podWorkerBackOff", json!(duration::format(config.pod_worker_back_off)));
    }
    if config.pod_worker_back_off_jitter != d.pod_worker_back_off_jitter {
        put("podWorkerBackOffJitter", jitter(config.pod_worker_back_off_jitter));
    }
    if config.failed_sync_requeue != d.failed_sync_requeue {
        put("failedSyncRequeue", json!(config.failed_sync_requeue));
    }
    if config.crash_loop_back_off != d.crash_loop_back_off {
        let c = &config.crash_loop_back_off;
        let mut crash = Map::new();
        if let Some(i) = c.initial {
            crash.insert("initial".into(), json!(duration::format(i)));
        }
        if let Some(m) = c.max {
            crash.insert("max".into(), json!(duration::format(m)));
        }
        crash.insert("resetAfter".into(), json!(duration::format(c.reset_after)));
        put("crashLoopBackOff", Value::Object(crash));
    }
    if config.image_pull_back_off != d.image_pull_back_off {
        let b = &config.image_pull_back_off;
        put(
            "imagePullBackOff",
            json!({"initial": duration::format(b.initial), "max": duration::format(b.max)}),
        );
    }
    if config.serialize_image_pulls != d.serialize_image_pulls {
        put("serializeImagePulls", json!(config.serialize_image_pulls));
    }
    if let Some(max) = config.max_parallel_image_pulls {
        put("maxParallelImagePulls", json!(max));
    }
    if config.feature_gates != d.feature_gates {
        put("featureGates", json!(config.feature_gates));
    }
    if !config.bugs.is_empty() {
        put("bugs", json!(config.bugs));
    }
    if config.node_capacity != d.node_capacity {
        put("nodeCapacity", json!(config.node_capacity));
    }
    (!block.is_empty()).then_some(Value::Object(block))
}

/// `realRuntime:` as written: `true`, or how to run on a real containerd.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RealRuntimeFile {
    Flag(bool),
    Spec(RealRuntime),
}

/// How a scenario runs on a real containerd (`podsim run --runtime containerd`, `podsim conform`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RealRuntime {
    /// How long it runs there, in wall-clock time (default: the scenario's duration); `podsim
    /// conform` runs the simulator over the same span.
    #[serde(default, with = "opt_duration", skip_serializing_if = "Option::is_none")]
    pub duration: Option<Millis>,
    /// How far restart counts may differ between the simulator and the real runtime (wall-clock
    /// timing moves a crash loop's restarts by a little).
    #[serde(default)]
    pub restart_tolerance: u32,
}

/// A scenario file as written.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScenarioFile {
    name: String,
    description: String,
    #[serde(default)]
    node: NodeFile,
    #[serde(default)]
    kubelet: Option<KubeletFile>,
    #[serde(with = "duration")]
    duration: Millis,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    real_runtime: Option<RealRuntimeFile>,
    #[serde(default)]
    foreign_containers: u32,
    #[serde(default)]
    images: Vec<ImageFile>,
    #[serde(default)]
    secrets: Vec<String>,
    #[serde(default)]
    config_maps: Vec<String>,
    #[serde(default)]
    pods: Vec<ScenarioPod>,
    #[serde(default)]
    timeline: Vec<TimelineEntry>,
    #[serde(default)]
    random_faults: Option<FaultProfile>,
    #[serde(default)]
    expect: Expectations,
    #[serde(default, with = "opt_duration")]
    converge_within: Option<Millis>,
}

/// An image in the registry.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ImageFile {
    name: String,
    #[serde(default, with = "opt_duration")]
    pull_latency: Option<Millis>,
    #[serde(default)]
    preloaded: bool,
    #[serde(default)]
    fail: Option<PullFailureFile>,
    #[serde(default)]
    command: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PullFailureFile {
    #[serde(default)]
    permanent: bool,
    #[serde(default)]
    times: Option<u32>,
}

/// How pulls of an image fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PullFailureSpec {
    /// They succeed.
    None,
    /// They always fail.
    Permanent,
    /// The first `n` fail.
    Transient(u32),
}

/// An image of the scenario's registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSpec {
    /// How long a pull takes.
    pub pull_latency: Millis,
    /// Whether it is on the node from the start.
    pub preloaded: bool,
    /// How pulls fail.
    pub failure: PullFailureSpec,
    /// A fixed behaviour for every container of the image (else read from each container's command).
    pub workload: Option<Workload>,
}

/// A Pod manifest checked while it is read (so errors carry its location).
#[derive(Debug, Clone)]
struct ScenarioPod(Pod);

impl<'de> Deserialize<'de> for ScenarioPod {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ScenarioPod, D::Error> {
        let manifest = PodManifest::deserialize(d)?;
        manifest.into_pod().map(ScenarioPod).map_err(|e| serde::de::Error::custom(e.to_string()))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DeletePodFile {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    grace_period_seconds: Option<i64>,
}

/// A timeline entry: `at` and exactly one action. Read key by key, so that a second action is
/// reported at its own line.
#[derive(Debug, Clone)]
struct TimelineEntry {
    at: Millis,
    action: Action,
}

const TIMELINE_KEYS: &[&str] =
    &["at", "createPod", "updatePod", "resize", "deletePod", "createSecret", "deleteSecret", "fault"];

/// The `resize` action: a patch of the pod's `resize` subresource with the new resources of some of
/// its containers.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResizeFile {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    containers: Vec<ContainerResize>,
}

/// One container's new resources in a `resize`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerResize {
    /// The container (regular, or a sidecar).
    pub name: String,
    /// Its new requests and limits.
    pub resources: podsim_model::pod::ResourceRequirements,
}

impl<'de> Deserialize<'de> for TimelineEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TimelineEntry, D::Error> {
        struct EntryVisitor;

        #[derive(Deserialize)]
        struct At(#[serde(with = "duration")] Millis);

        impl<'de> serde::de::Visitor<'de> for EntryVisitor {
            type Value = TimelineEntry;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a timeline entry: `at` and one action")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<TimelineEntry, A::Error> {
                use serde::de::Error;
                let mut at = None;
                let mut action: Option<Action> = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "at" {
                        if at.is_some() {
                            return Err(A::Error::duplicate_field("at"));
                        }
                        at = Some(map.next_value::<At>()?.0);
                        continue;
                    }
                    if action.is_some() && TIMELINE_KEYS.contains(&key.as_str()) {
                        return Err(A::Error::custom(format!(
                            "a timeline entry takes exactly one action, and `{key}` is a second one; split it into several entries"
                        )));
                    }
                    action = Some(match key.as_str() {
                        "createPod" => Action::CreatePod(map.next_value::<ScenarioPod>()?.0),
                        "updatePod" => Action::UpdatePod(map.next_value::<ScenarioPod>()?.0),
                        "resize" => {
                            let r: ResizeFile = map.next_value()?;
                            Action::ResizePod {
                                namespace: r.namespace.unwrap_or_else(|| "default".into()),
                                name: r.name,
                                containers: r.containers,
                            }
                        }
                        "deletePod" => {
                            let d: DeletePodFile = map.next_value()?;
                            Action::DeletePod {
                                namespace: d.namespace.unwrap_or_else(|| "default".into()),
                                name: d.name,
                                grace_seconds: d.grace_period_seconds,
                            }
                        }
                        "createSecret" => {
                            let (namespace, name) = split_name(&map.next_value::<String>()?);
                            Action::CreateSecret { namespace, name }
                        }
                        "deleteSecret" => {
                            let (namespace, name) = split_name(&map.next_value::<String>()?);
                            Action::DeleteSecret { namespace, name }
                        }
                        "fault" => Action::Fault(map.next_value::<Fault>()?),
                        other => return Err(A::Error::unknown_field(other, TIMELINE_KEYS)),
                    });
                }
                let at = at.ok_or_else(|| A::Error::missing_field("at"))?;
                let action = action.ok_or_else(|| {
                    A::Error::custom(
                        "a timeline entry needs one action: createPod, updatePod, resize, deletePod, \
                         createSecret, deleteSecret or fault",
                    )
                })?;
                Ok(TimelineEntry { at, action })
            }
        }

        d.deserialize_map(EntryVisitor)
    }
}

/// `namespace/name`, or `name` in `default`.
pub fn split_name(text: &str) -> (String, String) {
    match text.split_once('/') {
        Some((ns, name)) => (ns.to_string(), name.to_string()),
        None => ("default".to_string(), text.to_string()),
    }
}

/// Something that happens at a time of the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// A user creates a pod (bound to the scenario's node unless its manifest names one).
    CreatePod(Pod),
    /// A user updates a pod (same namespace/name): its spec is replaced.
    UpdatePod(Pod),
    /// A user resizes a pod in place (`kubectl patch --subresource resize`): the named containers'
    /// requests and limits are replaced.
    ResizePod {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// The containers' new resources.
        containers: Vec<ContainerResize>,
    },
    /// A user deletes a pod, gracefully.
    DeletePod {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// The grace period (default: the pod's terminationGracePeriodSeconds).
        grace_seconds: Option<i64>,
    },
    /// A Secret is created.
    CreateSecret {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// A Secret is deleted.
    DeleteSecret {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// A fault is injected.
    Fault(Fault),
}

pub use crate::expect::state::{ContainerExpectation, PodExpectation, StateName};
pub use crate::expect::{CountRange, Expectations};

/// A loaded, validated scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// One line on what it shows.
    pub description: String,
    /// The node the kubelet runs.
    pub node: String,
    /// What is on the node before the kubelet starts (`node.runtime`, `node.dataDirs`,
    /// `node.mounts`).
    #[serde(default)]
    pub node_setup: NodeSetup,
    /// The kubelet's settings (its `node_name` is `node`).
    pub kubelet: KubeletConfig,
    /// How long the run lasts (virtual time).
    pub duration: Millis,
    /// Its fixed seed, if it has one.
    pub seed: Option<u64>,
    /// Whether it can run on a real containerd, and how (`None`: simulator only).
    pub real_runtime: Option<RealRuntime>,
    /// Containers not made by the kubelet (no pod labels) running beside it from the start: the
    /// kubelet must never touch them.
    pub foreign_containers: u32,
    /// The registry.
    pub images: BTreeMap<String, ImageSpec>,
    /// Secrets that exist at the start (`(namespace, name)`).
    pub secrets: Vec<(String, String)>,
    /// ConfigMaps that exist at the start.
    pub config_maps: Vec<(String, String)>,
    /// What happens when, in time order (the initial pods are created at 0, first).
    pub timeline: Vec<(Millis, Action)>,
    /// Random faults, if any.
    pub random_faults: Option<FaultProfile>,
    /// What the run must end with.
    pub expect: Expectations,
    /// Liveness: once the last fault has healed, every pod reaches its desired state within this.
    pub converge_within: Millis,
    /// The timeline's pods as written (read under the default gates), from which `timeline` is made
    /// again whenever the gates change.
    #[serde(skip)]
    written_timeline: Vec<(Millis, Action)>,
}

/// The default liveness bound: the longest restart backoff (5 min) plus a minute of syncs.
pub const DEFAULT_CONVERGE_WITHIN: Millis = 6 * 60_000;

impl Scenario {
    /// The kubelet's settings for a run of this scenario.
    pub fn kubelet_config(&self) -> KubeletConfig {
        let mut config = self.kubelet.clone();
        config.node_name = self.node.clone();
        config
    }

    /// Applies a `--feature-gates` list over the scenario's gates (`A=true,B=false`); an unknown gate,
    /// a bad value, or settings the gates no longer allow are errors.
    pub fn apply_feature_gates(&mut self, list: &str) -> Result<(), String> {
        let mut config = self.kubelet.clone();
        config.feature_gates.apply(list)?;
        config.validate().map_err(|e| format!("with --feature-gates {list}: kubelet.{e}"))?;
        let timeline = gated_timeline(&self.written_timeline, &config.feature_gates)
            .map_err(|e| format!("with --feature-gates {list}: {e}"))?;
        self.kubelet = config;
        self.timeline = timeline;
        Ok(())
    }

    /// Reads a scenario from YAML text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Scenario, InputError> {
        let mut f: ScenarioFile = parse_document(file, text)?;
        check_workload_commands(file, text, &f)?;
        let node = std::mem::take(&mut f.node);
        let whole = |message: String| InputError::whole_file(file, message);
        if f.name.trim().is_empty() {
            return Err(whole("name: must not be empty".into()));
        }
        if f.duration == 0 {
            return Err(whole("duration: must be more than 0".into()));
        }
        let mut images = BTreeMap::new();
        for (i, img) in f.images.into_iter().enumerate() {
            let failure = match img.fail {
                None => PullFailureSpec::None,
                Some(PullFailureFile { permanent: true, .. }) => PullFailureSpec::Permanent,
                Some(PullFailureFile { times, .. }) => PullFailureSpec::Transient(times.unwrap_or(1)),
            };
            let workload = img.command.map(|c| Workload::from_command(&c, &[]));
            let spec = ImageSpec {
                pull_latency: img.pull_latency.unwrap_or(100),
                preloaded: img.preloaded,
                failure,
                workload,
            };
            if images.insert(img.name.clone(), spec).is_some() {
                return Err(whole(format!("images[{i}].name: {:?} is listed twice", img.name)));
            }
        }
        let mut timeline: Vec<(Millis, Action)> = Vec::new();
        for p in f.pods {
            timeline.push((0, Action::CreatePod(p.0)));
        }
        let mut entries: Vec<TimelineEntry> = f.timeline;
        entries.sort_by_key(|e| e.at);
        for e in entries {
            if e.at > f.duration {
                return Err(whole(format!(
                    "timeline: an entry at {} is after the end of the run ({})",
                    duration::format(e.at),
                    duration::format(f.duration)
                )));
            }
            timeline.push((e.at, e.action));
        }
        // Bind unbound pods to the node (the scheduler's job), and give each creation its own UID.
        let mut created: BTreeMap<(String, String), u32> = BTreeMap::new();
        for (_, action) in timeline.iter_mut() {
            if let Action::CreatePod(p) | Action::UpdatePod(p) = action {
                if p.spec.node_name.is_empty() {
                    p.spec_mut().node_name = node.name.clone();
                }
            }
            if let Action::CreatePod(p) = action {
                let n = created.entry((p.namespace.clone(), p.name.clone())).or_insert(0);
                *n += 1;
                if *n > 1 && p.uid == format!("{}-{}", p.namespace, p.name) {
                    p.uid = format!("{}-{}", p.uid, n);
                }
            }
        }
        let created_pods = created.keys().cloned().collect();
        f.expect.check_names(&created_pods).map_err(whole)?;
        let mut kubelet =
            f.kubelet.map_or_else(|| KubeletConfig::new(String::new()), KubeletFile::into_config);
        kubelet.node_name = node.name.clone();
        // The kubelet's own checks of its configuration, across fields (gates and settings).
        kubelet.validate().map_err(|e| whole(format!("kubelet.{e}")))?;
        let node_setup = if node.setup.is_empty() {
            NodeSetup::default()
        } else {
            check_references(file, text, ScenarioPods::of(&timeline), &node.setup)?
        };
        let written_timeline = timeline;
        let timeline = gated_timeline(&written_timeline, &kubelet.feature_gates).map_err(whole)?;
        Ok(Scenario {
            name: f.name,
            description: f.description,
            node: node.name,
            node_setup,
            kubelet,
            duration: f.duration,
            seed: f.seed,
            real_runtime: match f.real_runtime {
                None | Some(RealRuntimeFile::Flag(false)) => None,
                Some(RealRuntimeFile::Flag(true)) => {
                    Some(RealRuntime { duration: None, restart_tolerance: 0 })
                }
                Some(RealRuntimeFile::Spec(spec)) => Some(spec),
            },
            foreign_containers: f.foreign_containers.min(100),
            images,
            secrets: f.secrets.iter().map(|s| split_name(s)).collect(),
            config_maps: f.config_maps.iter().map(|s| split_name(s)).collect(),
            timeline,
            random_faults: f.random_faults,
            expect: f.expect,
            converge_within: f.converge_within.unwrap_or(DEFAULT_CONVERGE_WITHIN),
            written_timeline,
        })
    }
}

/// Checks every `workload` command of the file with the workload's own parser ([`Workload::parse`],
/// which the `workload` binary also uses): the pods under `pods:`, the pods of the timeline's
/// `createPod` and `updatePod`, and the `command:` of `images:`. A word the workload does not know is
/// an error at load naming file:line:column: field, where it used to run as `workload run` forever.
/// Other programs (images podsim did not build) are not checked: they run until stopped.
fn check_workload_commands(file: &str, text: &str, f: &ScenarioFile) -> Result<(), InputError> {
    let refused =
        |path: FieldPath, error: WorkloadError| InputError::at_field(file, text, &path, error.to_string());
    for (i, image) in f.images.iter().enumerate() {
        if let Some(command) = &image.command {
            let path = FieldPath::root().key("images").index(i).key("command");
            Workload::parse(command, &[]).map_err(|e| refused(path, e))?;
        }
    }
    let pods = f.pods.iter().enumerate().map(|(i, p)| (FieldPath::root().key("pods").index(i), &p.0));
    let timeline = f.timeline.iter().enumerate().filter_map(|(i, entry)| {
        let entry_path = FieldPath::root().key("timeline").index(i);
        match &entry.action {
            Action::CreatePod(pod) => Some((entry_path.key("createPod"), pod)),
            Action::UpdatePod(pod) => Some((entry_path.key("updatePod"), pod)),
            _ => None,
        }
    });
    for (path, pod) in pods.chain(timeline) {
        check_pod_commands(pod).map_err(|e| {
            let field =
                FieldPath::parse(&e.field).map_or(path.clone(), |relative| path.clone().join(&relative));
            refused(field, e.error)
        })?;
    }
    Ok(())
}

/// The timeline with its pods as an API server with these gates stores them (the fields of disabled
/// gates dropped; `manifest::apply_gates_to_pod`). The API server's gates are taken to be the
/// kubelet's, as on a cluster whose components share one `--feature-gates`.
fn gated_timeline(
    written: &[(Millis, Action)],
    gates: &FeatureGates,
) -> Result<Vec<(Millis, Action)>, String> {
    let mut timeline = written.to_vec();
    for (i, (_, action)) in timeline.iter_mut().enumerate() {
        let (Action::CreatePod(pod) | Action::UpdatePod(pod)) = action else { continue };
        let who = format!("the pod {} (timeline entry {i}, pods first)", pod.full_name());
        podsim_model::manifest::apply_gates_to_pod(pod, gates).map_err(|e| format!("{who}: {e}"))?;
    }
    Ok(timeline)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "
name: demo
description: a pod that runs
duration: 2m
pods:
- metadata: {name: web}
  spec:
    containers: [{name: app, image: app:1}]
timeline:
- at: 1m
  deletePod: {name: web}
- at: 30s
  fault: {kind: containerCrash, pod: web, container: app, exitCode: 3}
expect:
  pods:
    web: {gone: true}
";

    #[test]
    fn reads_a_scenario_and_orders_its_timeline() {
        let s = Scenario::parse("demo.yaml", GOOD).unwrap();
        assert_eq!(s.duration, 120_000);
        assert_eq!(s.node, "node-1");
        let times: Vec<Millis> = s.timeline.iter().map(|(t, _)| *t).collect();
        assert_eq!(times, vec![0, 30_000, 60_000]);
        match &s.timeline[0].1 {
            Action::CreatePod(p) => {
                assert_eq!(p.spec.node_name, "node-1", "unbound pods are bound to the node")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(s.timeline[1].1, Action::Fault(Fault::ContainerCrash { exit_code: 3, .. })));
        assert!(s.expect.pods["web"].gone);
    }

    #[test]
    fn errors_name_the_line_and_field() {
        let bad = GOOD.replace("exitCode: 3", "exitCode: three");
        let e = Scenario::parse("demo.yaml", &bad).unwrap_err();
        // A fault's fields are read after its `kind`, so the error points at the entry (line 12-14).
        assert!(e.location.is_some_and(|l| (12..=14).contains(&l.0)), "{e}");
        assert!(e.to_string().contains("timeline[1]"), "{e}");

        let bad = GOOD.replace("kind: containerCrash", "kind: meteorStrike");
        let e = Scenario::parse("demo.yaml", &bad).unwrap_err();
        assert!(e.to_string().contains("unknown variant `meteorStrike`"), "{e}");

        let bad = GOOD.replace("  deletePod: {name: web}", "  deletePod: {name: web}\n  createSecret: s");
        let e = Scenario::parse("demo.yaml", &bad).unwrap_err();
        assert!(e.to_string().contains("exactly one action"), "{e}");

        let bad = GOOD.replace("containers: [{name: app, image: app:1}]", "containers: [{name: app}]");
        let e = Scenario::parse("demo.yaml", &bad).unwrap_err();
        assert!(e.to_string().contains("missing field `image`") && e.location.is_some(), "{e}");

        let bad = GOOD.replace("duration: 2m", "duration: 2 minutes");
        let e = Scenario::parse("demo.yaml", &bad).unwrap_err();
        assert!(e.to_string().contains("is not a duration"), "{e}");

        let bad = GOOD.replace("web: {gone: true}", "nope: {gone: true}");
        let e = Scenario::parse("demo.yaml", &bad).unwrap_err();
        assert!(e.to_string().contains("expect.pods.nope"), "{e}");
    }

    #[test]
    fn count_ranges() {
        let r: CountRange = serde_yaml::from_str("2..5").unwrap();
        assert!(r.contains(2) && r.contains(5) && !r.contains(6));
        let r: CountRange = serde_yaml::from_str("3").unwrap();
        assert_eq!(r, CountRange { min: 3, max: 3 });
        assert!(serde_yaml::from_str::<CountRange>("5..2").is_err());
    }

    const KUBELET: &str = "
name: tuned
description: a kubelet with its own timing
kubelet:
  syncFrequency: 2m
  resyncJitter: 0.25
  relistPeriod: 2s
  podWorkerBackOff: 5s
  podWorkerBackOffJitter: 0
  failedSyncRequeue: afterWorkerBackOff
  crashLoopBackOff: {initial: 5s, max: 1m, resetAfter: 20m}
  imagePullBackOff: {initial: 2s, max: 30s}
  featureGates: {ContainerRestartRules: false}
duration: 1m
";

    #[test]
    fn reads_the_kubelet_settings_over_the_defaults() {
        let s = Scenario::parse("tuned.yaml", KUBELET).unwrap();
        let k = s.kubelet_config();
        assert_eq!(k.node_name, "node-1");
        assert_eq!((k.sync_frequency, k.relist_period, k.pod_worker_back_off), (120_000, 2_000, 5_000));
        assert_eq!((k.resync_jitter, k.pod_worker_back_off_jitter), (Jitter(250), Jitter(0)));
        assert_eq!(k.failed_sync_requeue, FailedSyncRequeue::AfterWorkerBackOff);
        assert_eq!(k.crash_loop_bounds(), BackoffBounds { initial: 5_000, max: 60_000 });
        assert_eq!(k.crash_loop_back_off.reset_after, 1_200_000);
        assert_eq!(k.image_pull_back_off, BackoffBounds { initial: 2_000, max: 30_000 });
        assert!(!k.feature_gates.container_restart_rules);
        let defaults = Scenario::parse("demo.yaml", GOOD).unwrap();
        assert_eq!(
            defaults.kubelet_config(),
            KubeletConfig::new("node-1"),
            "no block: the kubelet's defaults"
        );
    }

    #[test]
    fn the_kubelet_block_writes_back_what_it_read() {
        let s = Scenario::parse("tuned.yaml", KUBELET).unwrap();
        let block = kubelet_block(&s.kubelet).expect("settings differ from the defaults");
        let text = KUBELET.replace(
            KUBELET[KUBELET.find("kubelet:").unwrap()..KUBELET.find("duration").unwrap()].trim_end(),
            &format!("kubelet: {block}"),
        );
        let again = Scenario::parse("again.yaml", &text).unwrap();
        assert_eq!(again.kubelet, s.kubelet);
        assert_eq!(kubelet_block(&KubeletConfig::new("node-1")), None);
    }

    #[test]
    fn bad_kubelet_settings_are_errors_with_their_place() {
        let cases = [
            ("  syncFrequency: 2m", "  syncFrequncy: 2m", "unknown field `syncFrequncy`"),
            ("{ContainerRestartRules: false}", "{NoSuchGate: true}", "unknown feature gate \"NoSuchGate\""),
            ("afterWorkerBackOff", "whenever", "unknown variant `whenever`"),
            ("max: 1m,", "max: 10m,", "must be set between 1s and 300s"),
            ("resyncJitter: 0.25", "resyncJitter: -1", "a jitter factor is from 0 to 10"),
            ("relistPeriod: 2s", "relistPeriod: 0s", "must be more than 0"),
            (
                "imagePullBackOff: {initial: 2s, max: 30s}",
                "imagePullBackOff: {initial: 2m, max: 30s}",
                "initial must not be",
            ),
        ];
        for (from, to, message) in cases {
            let bad = KUBELET.replace(from, to);
            let e = Scenario::parse("tuned.yaml", &bad).unwrap_err();
            assert!(e.to_string().contains(message), "{to}: {e}");
            assert!(e.to_string().contains("kubelet"), "{to}: the field is named: {e}");
        }
        let gate_off =
            KUBELET.replace("{ContainerRestartRules: false}", "{KubeletCrashLoopBackOffMax: false}");
        let e = Scenario::parse("tuned.yaml", &gate_off).unwrap_err();
        assert!(e.to_string().contains("KubeletCrashLoopBackOffMax not enabled"), "{e}");
    }

    /// `kubelet.bugs` names historical bugs to re-introduce (none by default, written back by
    /// `kubelet_block`); an unknown name is an error with its line and column.
    #[test]
    fn kubelet_bugs_are_read_by_name_and_unknown_names_are_errors() {
        use podsim_model::kubelet::KubeletBug;
        assert!(Scenario::parse("tuned.yaml", KUBELET).unwrap().kubelet.bugs.is_empty(), "none by default");
        let with =
            KUBELET.replace("  relistPeriod: 2s\n", "  relistPeriod: 2s\n  bugs: [release-before-cleanup]\n");
        let s = Scenario::parse("tuned.yaml", &with).unwrap();
        assert!(s.kubelet.bugs.has(KubeletBug::ReleaseBeforeCleanup));
        let block = kubelet_block(&s.kubelet).unwrap();
        assert_eq!(block["bugs"], serde_json::json!(["release-before-cleanup"]));
        let bad = KUBELET.replace("  relistPeriod: 2s\n", "  relistPeriod: 2s\n  bugs: [no-such-bug]\n");
        let e = Scenario::parse("tuned.yaml", &bad).unwrap_err();
        assert!(e.to_string().contains("unknown variant `no-such-bug`"), "{e}");
        assert!(e.to_string().contains("kubelet.bugs"), "the field is named: {e}");
        assert!(e.location.is_some(), "with its line and column: {e}");
    }

    /// `serializeImagePulls` and `maxParallelImagePulls`: left out, the first follows the second
    /// (v1beta1 defaults.go); the kubelet's validation refuses a limit below 1, or above 1 with
    /// serialised pulls; the `kubelet:` block writes back what was read.
    #[test]
    fn reads_the_image_pull_settings_as_the_kubelet_defaults_them() {
        let with = |block: &str| GOOD.replace("duration: 2m", &format!("duration: 2m\nkubelet: {block}"));
        let cases = [
            ("{}", true, None),
            ("{maxParallelImagePulls: 1}", true, Some(1)),
            ("{maxParallelImagePulls: 3}", false, Some(3)),
            ("{serializeImagePulls: false}", false, None),
            ("{serializeImagePulls: false, maxParallelImagePulls: 1}", false, Some(1)),
        ];
        for (block, serialize, max) in cases {
            let s = Scenario::parse("pulls.yaml", &with(block)).unwrap_or_else(|e| panic!("{block}: {e}"));
            let k = s.kubelet_config();
            assert_eq!((k.serialize_image_pulls, k.max_parallel_image_pulls), (serialize, max), "{block}");
            let written = kubelet_block(&k).map_or("{}".to_string(), |b| b.to_string());
            let again = Scenario::parse("again.yaml", &with(&written)).unwrap();
            assert_eq!(again.kubelet, s.kubelet, "{block} written as {written}");
        }
        let errors = [
            ("{maxParallelImagePulls: 0}", "maxParallelImagePulls 0 must be a positive number"),
            ("{maxParallelImagePulls: -2}", "maxParallelImagePulls -2 must be a positive number"),
            ("{serializeImagePulls: true, maxParallelImagePulls: 3}", "cannot be larger than 1 unless"),
            ("{serializeImagePulls: maybe}", "invalid type"),
            ("{maxParallelImagePull: 3}", "unknown field `maxParallelImagePull`"),
        ];
        for (block, message) in errors {
            let e = Scenario::parse("pulls.yaml", &with(block)).unwrap_err();
            assert!(e.to_string().contains(message) && e.to_string().contains("kubelet"), "{block}: {e}");
        }
    }

    /// A pod whose container sets its own restartPolicy and a Restart rule (ContainerRestartRules).
    const RULES: &str = "
name: rules
description: a container with its own restart policy
duration: 1m
pods:
- metadata: {name: job}
  spec:
    restartPolicy: Never
    containers:
    - name: app
      image: img:1
      restartPolicy: Never
      restartPolicyRules: [{action: Restart, exitCodes: {operator: In, values: [42]}}]
";

    fn first_pod(s: &Scenario) -> &Pod {
        match &s.timeline[0].1 {
            Action::CreatePod(p) => p,
            other => panic!("expected a pod first, got {other:?}"),
        }
    }

    /// The pods are stored as an API server with the kubelet's gates stores them: a gate turned off
    /// drops its fields, and turned on again (--feature-gates) brings them back from the file.
    #[test]
    fn pods_follow_the_gates_of_the_scenario_and_the_command_line() {
        let mut s = Scenario::parse("rules.yaml", RULES).unwrap();
        assert_eq!(first_pod(&s).spec.containers[0].restart_policy, Some(podsim_model::RestartPolicy::Never));
        assert_eq!(first_pod(&s).spec.containers[0].restart_policy_rules.len(), 1);
        s.apply_feature_gates("ContainerRestartRules=false").unwrap();
        assert_eq!(first_pod(&s).spec.containers[0].restart_policy, None);
        assert!(first_pod(&s).spec.containers[0].restart_policy_rules.is_empty());
        s.apply_feature_gates("ContainerRestartRules=true").unwrap();
        assert_eq!(first_pod(&s).spec.containers[0].restart_policy_rules.len(), 1);
        let off = RULES
            .replace("duration: 1m", "duration: 1m\nkubelet: {featureGates: {ContainerRestartRules: false}}");
        let s = Scenario::parse("rules.yaml", &off).unwrap();
        assert_eq!(first_pod(&s).spec.containers[0].restart_policy, None);
    }

    /// A RestartAllContainers rule is read with its gate on (podsim's kubelet carries it out), and
    /// refused, naming its field, with the gate off (as the API server's validation refuses it).
    #[test]
    fn a_restart_all_containers_rule_needs_its_gate() {
        let text = RULES.replace("action: Restart,", "action: RestartAllContainers,");
        let s = Scenario::parse("rules.yaml", &text).unwrap();
        let rule = &first_pod(&s).spec.containers[0].restart_policy_rules[0];
        assert_eq!(rule.action, podsim_model::pod::RestartRuleAction::RestartAllContainers);
        let off = text.replace(
            "duration: 1m",
            "duration: 1m\nkubelet: {featureGates: {RestartAllContainersOnContainerExits: false}}",
        );
        let e = Scenario::parse("rules.yaml", &off).unwrap_err().to_string();
        assert!(e.contains("restartPolicyRules[0].action") && e.contains("is not supported"), "{e}");
    }

    #[test]
    fn feature_gates_from_the_command_line_go_over_the_scenarios() {
        let mut s = Scenario::parse("tuned.yaml", KUBELET).unwrap();
        s.apply_feature_gates("ContainerRestartRules=true,SidecarContainers=false").unwrap();
        assert!(
            s.kubelet.feature_gates.container_restart_rules && !s.kubelet.feature_gates.sidecar_containers
        );
        assert!(s.apply_feature_gates("Bogus=true").unwrap_err().contains("unknown feature gate"));
        let e = s.apply_feature_gates("KubeletCrashLoopBackOffMax=false").unwrap_err();
        assert!(e.contains("must not be set"), "the scenario sets crashLoopBackOff.max: {e}");
        assert!(s.kubelet.feature_gates.kubelet_crash_loop_back_off_max, "a refused list changes nothing");
    }
}
