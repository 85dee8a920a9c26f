//! A node that is not empty at start: `node:` with the runtime's sandboxes and containers as an
//! earlier kubelet left them, and the pod directories and volume mounts on disk (documented in
//! scenarios/README.md).
//!
//! Each object carries what the kubelet writes on it (`labels.go` `newPodLabels`,
//! `newContainerLabels`, `newContainerAnnotations`): the pod's UID, name and namespace, the
//! container's name, its spec hash and restart count, and the sandbox's attempt in its metadata.
//!
//! References are checked with their place in the file: the block is read a second time with what
//! the whole file declares (its pods, its sandboxes) at hand, so that a dangling reference or a name
//! containerd would refuse is reported at its own line and column.

use podsim_model::shared_str::SharedStr;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

use podsim_model::io::PodRef;
use podsim_model::{ContainerKind, Millis, Pod};

use crate::scenario::{split_name, Action};

/// Everything on the node before the kubelet starts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeSetup {
    /// Sandboxes, oldest first.
    pub sandboxes: Vec<PresetSandbox>,
    /// Containers, oldest first.
    pub containers: Vec<PresetContainer>,
    /// Pod directories, by pod UID.
    pub data_dirs: Vec<String>,
    /// Mounted volumes, as (pod UID, volume); each pod's directory exists with them.
    pub mounts: Vec<(String, String)>,
}

impl NodeSetup {
    /// Whether the node starts empty.
    pub fn is_empty(&self) -> bool {
        self.sandboxes.is_empty()
            && self.containers.is_empty()
            && self.data_dirs.is_empty()
            && self.mounts.is_empty()
    }
}

/// A sandbox an earlier kubelet made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresetSandbox {
    /// Its id (the scenario's name for it; a real runtime gives its own).
    pub id: String,
    /// Its pod (labels `io.kubernetes.pod.*`).
    pub pod: PodRef,
    /// `metadata.attempt`.
    pub attempt: u32,
    /// Ready (the pause process runs) or not.
    pub ready: bool,
}

/// A container an earlier kubelet made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresetContainer {
    /// Its id.
    pub id: String,
    /// The sandbox it is in.
    pub sandbox: String,
    /// Its pod (the sandbox's).
    pub pod: PodRef,
    /// `io.kubernetes.container.name`.
    pub name: String,
    /// Its image.
    pub image: String,
    /// `io.kubernetes.container.hash`.
    pub hash: PresetHash,
    /// `io.kubernetes.container.restartCount` (also its `metadata.attempt`, as the kubelet makes it).
    pub restart_count: u32,
    /// Its state.
    pub state: PresetState,
    /// The exit code of an exited container.
    pub exit_code: i32,
    /// Its command, if given (else its pod's spec for that container, if the pod is the scenario's).
    pub command: Option<Vec<String>>,
}

/// The spec hash a preset container carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PresetHash {
    /// The hash of the pod's container spec, as the model computes it (`HashContainer`).
    Current,
    /// A hash different from that.
    Stale,
    /// This hash.
    Value(u64),
}

impl<'de> Deserialize<'de> for PresetHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PresetHash, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = PresetHash;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("`current`, `stale` or a number")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<PresetHash, E> {
                Ok(PresetHash::Value(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<PresetHash, E> {
                u64::try_from(v).map(PresetHash::Value).map_err(|_| E::custom("a hash is not negative"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PresetHash, E> {
                match v {
                    "current" => Ok(PresetHash::Current),
                    "stale" => Ok(PresetHash::Stale),
                    other => Err(E::unknown_variant(other, &["current", "stale"])),
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// A preset container's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PresetState {
    /// Created, never started.
    Created,
    /// Its process runs (and behaves as its command says).
    Running,
    /// Its process ended with `exitCode`.
    Exited,
}

// ---- the file ------------------------------------------------------------------------------------

/// `node:` as written: the node's name, or a map with the name and what is on the node.
#[derive(Debug)]
pub(crate) struct NodeFile {
    pub(crate) name: String,
    pub(crate) setup: NodeSetup,
}

impl Default for NodeFile {
    fn default() -> NodeFile {
        NodeFile { name: default_node(), setup: NodeSetup::default() }
    }
}

fn default_node() -> String {
    "node-1".to_string()
}

impl<'de> Deserialize<'de> for NodeFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NodeFile, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = NodeFile;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the node's name, or a map with `name`, `runtime`, `dataDirs` and `mounts`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<NodeFile, E> {
                Ok(NodeFile { name: v.to_string(), setup: NodeSetup::default() })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<NodeFile, A::Error> {
                let f = NodeMapFile::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(f.into_node_file())
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NodeMapFile {
    #[serde(default = "default_node")]
    name: String,
    #[serde(default)]
    runtime: RuntimeFile,
    #[serde(default)]
    data_dirs: Vec<PodRefFile>,
    #[serde(default)]
    mounts: Vec<MountFile>,
}

impl NodeMapFile {
    fn into_node_file(self) -> NodeFile {
        let setup = NodeSetup {
            sandboxes: self.runtime.sandboxes.into_iter().map(|s| s.0).collect(),
            containers: self.runtime.containers.into_iter().map(|c| c.0).collect(),
            data_dirs: self.data_dirs.into_iter().map(|p| p.0.uid.to_string()).collect(),
            mounts: self.mounts.into_iter().map(|m| (m.0 .0 .0.uid.to_string(), m.0 .1)).collect(),
        };
        NodeFile { name: self.name, setup }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuntimeFile {
    #[serde(default)]
    sandboxes: Vec<SandboxFile>,
    #[serde(default)]
    containers: Vec<ContainerFile>,
}

/// A pod reference: a name (`web`, `ns/web`) of a scenario pod or of a pod given with its UID
/// elsewhere in the block, or `{name, namespace, uid}` for a pod the API server does not have.
#[derive(Debug)]
struct PodRefFile(PodRef);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PodRefMap {
    name: String,
    #[serde(default = "default_namespace")]
    namespace: String,
    #[serde(deserialize_with = "text_or_number")]
    uid: String,
}

fn default_namespace() -> String {
    "default".to_string()
}

/// A string, or a number read as its text (`uid: 1234`).
fn text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string or a number")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
            if v.is_empty() {
                return Err(E::custom("must not be empty"));
            }
            Ok(v.to_string())
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
    }
    d.deserialize_any(Visitor)
}

impl<'de> Deserialize<'de> for PodRefFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PodRefFile, D::Error> {
        // Read a map or a string by hand: an untagged enum would lose the inner error.
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = PodRefFile;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a pod's name, or {name, namespace, uid}")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PodRefFile, E> {
                resolve_name(v).map(PodRefFile).map_err(E::custom)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<PodRefFile, A::Error> {
                let m = PodRefMap::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(PodRefFile(PodRef {
                    uid: m.uid.into(),
                    name: m.name.into(),
                    namespace: m.namespace.into(),
                }))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// An object id: unique among the block's sandboxes and containers, and not one of the runtime's own
/// (`sandbox-N`, `container-N`).
#[derive(Debug)]
struct ObjectId(String);

impl<'de> Deserialize<'de> for ObjectId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ObjectId, D::Error> {
        read_str(d, |id| {
            if id.is_empty() {
                return Err("an id must not be empty".to_string());
            }
            if is_runtime_id(id) {
                return Err(format!(
                    "{id:?} looks like an id the runtime hands out (sandbox-N, container-N); choose another"
                ));
            }
            with_check(|c| match c.seen.ids.insert(id.to_string()) {
                true => Ok(()),
                false => Err(format!("the id {id:?} is used twice")),
            })?;
            Ok(ObjectId(id.to_string()))
        })
    }
}

/// Reads a string and checks it with `check`: an error is reported at the string's own line and
/// column (it is raised while the string is read).
fn read_str<'de, D, T>(d: D, check: impl FnOnce(&str) -> Result<T, String>) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct Visitor<F>(F);
    impl<T, F: FnOnce(&str) -> Result<T, String>> serde::de::Visitor<'_> for Visitor<F> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
            (self.0)(v).map_err(E::custom)
        }
    }
    d.deserialize_str(Visitor(check))
}

fn is_runtime_id(id: &str) -> bool {
    ["sandbox-", "container-"].iter().any(|prefix| {
        id.strip_prefix(prefix).is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Reads one entry (a map) as `R`, then checks it with `check`: an error of the check is reported at
/// the entry's own line and column (it is raised while its map is read).
fn read_entry<'de, D, R, T>(d: D, check: impl FnOnce(R) -> Result<T, String>) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    R: Deserialize<'de>,
{
    struct Visitor<R, F>(F, std::marker::PhantomData<R>);
    impl<'de, R: Deserialize<'de>, T, F: FnOnce(R) -> Result<T, String>> serde::de::Visitor<'de>
        for Visitor<R, F>
    {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            let raw = R::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
            (self.0)(raw).map_err(A::Error::custom)
        }
    }
    d.deserialize_map(Visitor(check, std::marker::PhantomData))
}

#[derive(Debug)]
struct SandboxFile(PresetSandbox);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SandboxRaw {
    id: ObjectId,
    pod: PodRefFile,
    #[serde(default)]
    attempt: u32,
    state: SandboxStateWord,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
enum SandboxStateWord {
    Ready,
    NotReady,
}

impl<'de> Deserialize<'de> for SandboxFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SandboxFile, D::Error> {
        read_entry(d, |raw: SandboxRaw| {
            let sandbox = PresetSandbox {
                id: raw.id.0,
                pod: raw.pod.0,
                attempt: raw.attempt,
                ready: matches!(raw.state, SandboxStateWord::Ready),
            };
            with_check(|c| c.check_sandbox(&sandbox))?;
            Ok(SandboxFile(sandbox))
        })
    }
}

#[derive(Debug)]
struct ContainerFile(PresetContainer);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ContainerRaw {
    id: ObjectId,
    sandbox: SandboxRef,
    name: String,
    image: String,
    hash: PresetHash,
    #[serde(default)]
    restart_count: u32,
    state: PresetState,
    #[serde(default)]
    exit_code: Option<i32>,
    #[serde(default)]
    command: Option<Vec<String>>,
}

/// The id of a sandbox of the block, with its pod.
struct SandboxRef(String, PodRef);

impl<'de> Deserialize<'de> for SandboxRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SandboxRef, D::Error> {
        read_str(d, |id| {
            let pod = with_check(|c| match c.sandboxes.get(id) {
                Some(pod) => Ok(Some(pod.clone())),
                None => Err(format!("no sandbox {id:?} in node.runtime.sandboxes")),
            })?;
            let unchecked =
                || PodRef { uid: SharedStr::EMPTY, name: SharedStr::EMPTY, namespace: SharedStr::EMPTY };
            Ok(SandboxRef(id.to_string(), pod.unwrap_or_else(unchecked)))
        })
    }
}

impl<'de> Deserialize<'de> for ContainerFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ContainerFile, D::Error> {
        read_entry(d, |raw: ContainerRaw| {
            if raw.exit_code.is_some() && raw.state != PresetState::Exited {
                return Err("exitCode: only an exited container has one".to_string());
            }
            if let Some(command) = &raw.command {
                // A workload command podsim does not know is refused here as in a pod's spec.
                podsim_model::workload::Workload::parse(command, &[]).map_err(|e| format!("command: {e}"))?;
            }
            let container = PresetContainer {
                id: raw.id.0,
                sandbox: raw.sandbox.0,
                pod: raw.sandbox.1,
                name: raw.name,
                image: raw.image,
                hash: raw.hash,
                restart_count: raw.restart_count,
                state: raw.state,
                exit_code: raw.exit_code.unwrap_or(0),
                command: raw.command,
            };
            with_check(|c| c.check_container(&container))?;
            Ok(ContainerFile(container))
        })
    }
}

#[derive(Debug)]
struct MountFile((PodRefFile, String));

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MountRaw {
    pod: PodRefFile,
    volume: String,
}

impl<'de> Deserialize<'de> for MountFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<MountFile, D::Error> {
        read_entry(d, |raw: MountRaw| {
            with_check(|c| c.check_mount(&raw.pod.0, &raw.volume))?;
            Ok(MountFile((raw.pod, raw.volume)))
        })
    }
}

// ---- the second reading: references, with the whole file at hand ---------------------------------

/// What the scenario's pods are, for references: by namespace and name, the first pod created so.
#[derive(Clone, Debug, Default)]
pub(crate) struct ScenarioPods(BTreeMap<(String, String), ScenarioPod>);

#[derive(Clone, Debug)]
struct ScenarioPod {
    uid: String,
    containers: BTreeSet<String>,
    volumes: BTreeSet<String>,
}

impl ScenarioPods {
    /// The pods the timeline creates.
    pub(crate) fn of(timeline: &[(Millis, Action)]) -> ScenarioPods {
        let mut pods = BTreeMap::new();
        for (_, action) in timeline {
            if let Action::CreatePod(p) = action {
                pods.entry((p.namespace.clone(), p.name.clone())).or_insert_with(|| ScenarioPod {
                    uid: p.uid.clone(),
                    containers: p.all_containers().map(|(_, c)| c.name().to_string()).collect(),
                    volumes: p.spec.volumes.iter().map(|v| v.name.clone()).collect(),
                });
            }
        }
        ScenarioPods(pods)
    }

    fn by_uid(&self, uid: &str) -> Option<&ScenarioPod> {
        self.0.values().find(|p| p.uid == uid)
    }
}

/// What the second reading checks against.
struct Check {
    pods: ScenarioPods,
    /// Pods given with their UID in the block, by namespace and name.
    named: BTreeMap<(String, String), BTreeSet<String>>,
    /// The block's sandboxes and their pods.
    sandboxes: BTreeMap<String, PodRef>,
    seen: Seen,
}

#[derive(Default)]
struct Seen {
    ids: BTreeSet<String>,
    sandbox_names: BTreeSet<(String, u32)>,
    container_names: BTreeSet<(String, String, u32)>,
}

thread_local! {
    static CHECK: RefCell<Option<Check>> = const { RefCell::new(None) };
}

/// Runs `f` on the check of the second reading; nothing is checked in the first.
fn with_check<T: Default>(f: impl FnOnce(&mut Check) -> Result<T, String>) -> Result<T, String> {
    CHECK.with(|cell| match cell.borrow_mut().as_mut() {
        Some(check) => f(check),
        None => Ok(T::default()),
    })
}

/// A name as a pod reference: a scenario pod, or the one pod given with its UID under that name.
fn resolve_name(text: &str) -> Result<PodRef, String> {
    let (namespace, name) = split_name(text);
    let resolved = with_check(|c| {
        if let Some(p) = c.pods.0.get(&(namespace.clone(), name.clone())) {
            return Ok(Some(p.uid.clone()));
        }
        match c.named.get(&(namespace.clone(), name.clone())).map(|u| u.iter().collect::<Vec<_>>()) {
            Some(uids) if uids.len() == 1 => Ok(Some(uids[0].clone())),
            Some(_) => Err(format!(
                "{text:?} names pods with different UIDs in this block: write {{name, namespace, uid}}"
            )),
            None => Err(format!(
                "no pod {text:?}: neither a scenario pod nor one given with its UID here \
                 (write {{name: {name}, uid: ...}} for a pod the API server does not have)"
            )),
        }
    })?;
    // In the first reading nothing resolves: the UID is filled in by the second.
    Ok(PodRef { uid: resolved.unwrap_or_default().into(), name: name.into(), namespace: namespace.into() })
}

impl Check {
    fn check_sandbox(&mut self, s: &PresetSandbox) -> Result<(), String> {
        if !self.seen.sandbox_names.insert((s.pod.uid.to_string(), s.attempt)) {
            let name = format!("k8s_POD_{}_{}_{}_{}", s.pod.name, s.pod.namespace, s.pod.uid, s.attempt);
            return Err(format!(
                "a second sandbox of pod {} with attempt {}: containerd reserves the name {name:?} for one",
                s.pod.name, s.attempt
            ));
        }
        Ok(())
    }

    fn check_container(&mut self, c: &PresetContainer) -> Result<(), String> {
        let spec = self.pods.by_uid(&c.pod.uid);
        match (c.hash, spec) {
            (PresetHash::Current | PresetHash::Stale, None) => {
                return Err(format!(
                    "hash: pod {} is not a scenario pod, so there is no spec to hash: give a number",
                    c.pod.name
                ))
            }
            (PresetHash::Current | PresetHash::Stale, Some(p)) if !p.containers.contains(&c.name) => {
                return Err(format!("hash: pod {} has no container {:?} to hash", c.pod.name, c.name))
            }
            _ => {}
        }
        if !self.seen.container_names.insert((c.pod.uid.to_string(), c.name.clone(), c.restart_count)) {
            return Err(format!(
                "a second container {:?} of pod {} with restartCount {}: containerd reserves the name {:?} for one",
                c.name,
                c.pod.name,
                c.restart_count,
                format!("k8s_{}_{}_{}_{}_{}", c.name, c.pod.name, c.pod.namespace, c.pod.uid, c.restart_count)
            ));
        }
        Ok(())
    }

    fn check_mount(&self, pod: &PodRef, volume: &str) -> Result<(), String> {
        match self.pods.by_uid(&pod.uid) {
            Some(p) if !p.volumes.contains(volume) => {
                Err(format!("pod {} has no volume {volume:?} (its volumes: {:?})", pod.name, p.volumes))
            }
            _ => Ok(()),
        }
    }
}

/// Reads the file's `node:` block again with `pods` and what the first reading found at hand,
/// returning the block with every reference resolved, or the first bad one with its place.
pub(crate) fn check_references(
    file: &str,
    text: &str,
    pods: ScenarioPods,
    first: &NodeSetup,
) -> Result<NodeSetup, crate::input::InputError> {
    #[derive(Deserialize)]
    struct OnlyTheNode {
        #[serde(default)]
        node: NodeFile,
    }
    let mut named: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let given = first.sandboxes.iter().map(|s| &s.pod).filter(|p| !p.uid.is_empty());
    for p in given {
        named.entry((p.namespace.to_string(), p.name.to_string())).or_default().insert(p.uid.to_string());
    }
    let sandboxes: BTreeMap<String, PodRef> =
        first.sandboxes.iter().map(|s| (s.id.clone(), resolve_first(&s.pod, &pods, &named))).collect();
    let check = Check { pods, named, sandboxes, seen: Seen::default() };
    CHECK.with(|cell| *cell.borrow_mut() = Some(check));
    let read = crate::input::parse_document::<OnlyTheNode>(file, text);
    CHECK.with(|cell| *cell.borrow_mut() = None);
    Ok(read?.node.setup)
}

/// A sandbox's pod as the first reading left it: resolved by name if need be (an unresolvable name
/// is reported where it is written, by the second reading).
fn resolve_first(
    pod: &PodRef,
    pods: &ScenarioPods,
    named: &BTreeMap<(String, String), BTreeSet<String>>,
) -> PodRef {
    if !pod.uid.is_empty() {
        return pod.clone();
    }
    let key = (pod.namespace.to_string(), pod.name.to_string());
    let uid = pods
        .0
        .get(&key)
        .map(|p| p.uid.clone())
        .or_else(|| named.get(&key).and_then(|u| u.iter().next().cloned()))
        .unwrap_or_default();
    PodRef { uid: uid.into(), ..pod.clone() }
}

// ---- resolution for a run ------------------------------------------------------------------------

/// The pod the timeline creates with this UID (its first version), if any.
pub fn scenario_pod<'a>(timeline: &'a [(Millis, Action)], uid: &str) -> Option<&'a Pod> {
    timeline.iter().find_map(|(_, a)| match a {
        Action::CreatePod(p) if p.uid == uid => Some(p),
        _ => None,
    })
}

impl PresetContainer {
    /// The hash it carries: `current` is its pod's container spec's (as the API server with the run's
    /// gates stores the pod), `stale` another one.
    pub fn hash_value(&self, timeline: &[(Millis, Action)]) -> u64 {
        let current = || {
            scenario_pod(timeline, &self.pod.uid)
                .and_then(|p| p.find_container(&self.name))
                .map_or(0, |(_, c)| c.hash())
        };
        match self.hash {
            PresetHash::Current => current(),
            PresetHash::Stale => current() ^ 1,
            PresetHash::Value(v) => v,
        }
    }

    /// Which list of its pod's spec it comes from (regular if the pod is not the scenario's).
    pub fn kind(&self, timeline: &[(Millis, Action)]) -> ContainerKind {
        scenario_pod(timeline, &self.pod.uid)
            .and_then(|p| p.find_container(&self.name))
            .map_or(ContainerKind::Regular, |(kind, _)| kind)
    }

    /// The command and args its process runs: its own, else its pod's spec's for that container.
    pub fn command(&self, timeline: &[(Millis, Action)]) -> (Vec<String>, Vec<String>) {
        if let Some(command) = &self.command {
            return (command.clone(), Vec::new());
        }
        scenario_pod(timeline, &self.pod.uid)
            .and_then(|p| p.find_container(&self.name))
            .map_or((Vec::new(), Vec::new()), |(_, c)| (c.command.clone(), c.args.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    const GOOD: &str = "name: startup
description: a node with what an earlier kubelet left
duration: 1m
node:
  name: node-7
  runtime:
    sandboxes:
    - {id: old-a, pod: web, attempt: 0, state: ready}
    - {id: orphan, pod: {name: gone, uid: 1234}, state: notReady}
    containers:
    - {id: c1, sandbox: old-a, name: app, image: img:1, hash: stale, restartCount: 2, state: running}
    - {id: c2, sandbox: orphan, name: app, image: img:1, hash: 99, state: exited, exitCode: 1}
  dataDirs: [web, gone, {name: lost, uid: abc}]
  mounts:
  - {pod: web, volume: data}
pods:
- metadata: {name: web}
  spec:
    volumes: [{name: data, emptyDir: {}}]
    containers: [{name: app, image: img:1}]
";

    #[test]
    fn reads_the_node_with_its_runtime_and_resolves_every_reference() {
        let s = Scenario::parse("s.yaml", GOOD).unwrap();
        assert_eq!(s.node, "node-7");
        let setup = &s.node_setup;
        let web = PodRef { uid: "default-web".into(), name: "web".into(), namespace: "default".into() };
        let gone = PodRef { uid: "1234".into(), name: "gone".into(), namespace: "default".into() };
        assert_eq!(
            setup.sandboxes[0],
            PresetSandbox { id: "old-a".into(), pod: web.clone(), attempt: 0, ready: true }
        );
        assert_eq!((setup.sandboxes[1].pod.clone(), setup.sandboxes[1].ready), (gone.clone(), false));
        assert_eq!((setup.containers[0].pod.clone(), setup.containers[0].hash), (web, PresetHash::Stale));
        assert_eq!(setup.containers[1].pod, gone);
        assert_eq!((setup.containers[1].state, setup.containers[1].exit_code), (PresetState::Exited, 1));
        assert_eq!(setup.data_dirs, vec!["default-web", "1234", "abc"]);
        assert_eq!(setup.mounts, vec![("default-web".to_string(), "data".to_string())]);
        let spec_hash = scenario_pod(&s.timeline, "default-web").unwrap().spec.containers[0].hash();
        assert_ne!(setup.containers[0].hash_value(&s.timeline), spec_hash, "stale differs");
        let plain = Scenario::parse("s.yaml", &GOOD.replace("name: node-7\n  runtime", "runtime")).unwrap();
        assert_eq!(plain.node, "node-1", "the name defaults as before");
    }

    /// A shrunk scenario keeps what is on the node: `to_yaml` writes it so that it reads back the same.
    #[test]
    fn the_scenario_writer_keeps_the_node_setup() {
        let s = Scenario::parse("s.yaml", GOOD).unwrap();
        let text = crate::shrink::to_yaml(&s);
        let again = Scenario::parse("again.yaml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let (a, b) = (&s.node_setup, &again.node_setup);
        assert_eq!((&a.sandboxes, &a.data_dirs, &a.mounts), (&b.sandboxes, &b.data_dirs, &b.mounts));
        let hashes = |x: &Scenario| -> Vec<u64> {
            x.node_setup.containers.iter().map(|c| c.hash_value(&x.timeline)).collect()
        };
        assert_eq!(hashes(&s), hashes(&again));
        assert_eq!(again.node, "node-7");
    }

    /// Every bad word and dangling reference is an error with its file, line, column and field.
    #[test]
    fn bad_words_and_dangling_references_are_located() {
        let cases = [
            // (replace, with, the message says, the field, the line)
            ("state: ready}", "state: up}", "unknown variant `up`", "node.runtime.sandboxes[0].state", 8),
            (
                "attempt: 0, state",
                "attempts: 0, state",
                "unknown field `attempts`",
                "node.runtime.sandboxes[0].attempts",
                8,
            ),
            ("hash: stale", "hash: old", "unknown variant `old`", "node.runtime.containers[0].hash", 11),
            (
                "sandbox: old-a",
                "sandbox: old-z",
                "no sandbox \"old-z\"",
                "node.runtime.containers[0].sandbox",
                11,
            ),
            (
                "pod: web, attempt",
                "pod: nobody, attempt",
                "no pod \"nobody\"",
                "node.runtime.sandboxes[0].pod",
                8,
            ),
            ("dataDirs: [web,", "dataDirs: [webb,", "no pod \"webb\"", "node.dataDirs[0]", 13),
            ("volume: data}", "volume: logs}", "has no volume \"logs\"", "node.mounts[0].volume", 15),
            ("{id: c2,", "{id: c1,", "the id \"c1\" is used twice", "node.runtime.containers[1].id", 12),
            (
                "{id: c1,",
                "{id: container-3,",
                "looks like an id the runtime hands out",
                "node.runtime.containers[0].id",
                11,
            ),
            ("hash: 99", "hash: current", "no spec to hash", "node.runtime.containers[1].hash", 12),
            (
                "state: running}",
                "state: running, exitCode: 3}",
                "only an exited container",
                "node.runtime.containers[0].exitCode",
                11,
            ),
            (
                "{name: gone, uid: 1234}, state: notReady",
                "web, state: notReady",
                "a second sandbox of pod web with attempt 0",
                "node.runtime.sandboxes[1]",
                9,
            ),
            (
                "state: running}",
                "state: running, command: [workload, exit-afterr, 2s, \"1\"]}",
                "unknown verb \"exit-afterr\"",
                "node.runtime.containers[0].command",
                11,
            ),
            (
                "containers:\n    - {id: c1",
                "containerz:\n    - {id: c1",
                "unknown field `containerz`",
                "node.runtime.containerz",
                10,
            ),
        ];
        let mut wrong = Vec::new();
        for (from, to, message, field, line) in cases {
            assert!(GOOD.contains(from), "{from}");
            let e = Scenario::parse("s.yaml", &GOOD.replacen(from, to, 1)).unwrap_err();
            let text = e.to_string();
            let located =
                e.location.is_some_and(|l| l.0 == line) && text.starts_with(&format!("s.yaml:{line}:"));
            if !text.contains(message) || e.field.as_deref() != Some(field) || !located {
                wrong.push(format!("{to}: {text}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
