//! The API server the kubelet talks to, over the simulated [`Etcd`].
//!
//! It serves the kubelet's requests ([`ApiRequest`] → [`ApiReply`]): the pod list and watch of its
//! node (`fieldSelector=spec.nodeName=<node>`), single pod and Secret reads, status writes and the
//! final removal of a deleted pod. It also offers what users and controllers do on the scenario's
//! timeline: create, update and (gracefully) delete pods, create and delete Secrets and ConfigMaps.
//!
//! Storage follows kube-apiserver: keys `/registry/pods/<ns>/<name>`, `/registry/secrets/<ns>/<name>`,
//! `/registry/configmaps/<ns>/<name>`; an object's `resourceVersion` is its etcd mod revision (a
//! deleted pod's, the revision of its deletion); updates are optimistic (read, change, write with a mod
//! revision precondition); an update that changes nothing writes nothing (no new revision, no watch
//! event), as `GuaranteedUpdate` short-circuits it.
//!
//! There is one watcher, the kubelet of the watched node: its pod watch, and one watch per Secret its
//! Secret manager watches (`fieldSelector=metadata.name=<name>`). Watches are caught up with etcd
//! before every compaction the server makes, so compaction never loses events of an open watch; it
//! only makes *re-opening* from an old resource version fail with 410 Gone.
//!
//! A pure state machine: time is handed in as `now`; no clock, no randomness, no I/O.

use podsim_model::io::{ApiError, ApiReply, ApiRequest, PodRef, WatchEvent};
use podsim_model::{Millis, Pod, PodSpec, PodStatusReport};

use crate::etcd::{Etcd, EtcdError, EtcdEvent, EventKind, Object, StoredPod};
use crate::events::{EventRecord, EventStore};

/// Where pods are stored: `/registry/pods/<namespace>/<name>`.
pub const POD_PREFIX: &str = "/registry/pods/";
/// Where Secrets are stored: `/registry/secrets/<namespace>/<name>`.
pub const SECRET_PREFIX: &str = "/registry/secrets/";
/// Where ConfigMaps are stored: `/registry/configmaps/<namespace>/<name>`.
pub const CONFIG_MAP_PREFIX: &str = "/registry/configmaps/";

/// The most watch events held for the watcher before it takes them. A watcher that falls this far
/// behind is closed, as kube-apiserver's watch cache terminates watchers that do not keep up; the
/// client re-opens its watch from the last resource version it saw.
pub const WATCH_BUFFER_LIMIT: usize = 10_000;

fn pod_key(namespace: &str, name: &str) -> String {
    format!("{POD_PREFIX}{namespace}/{name}")
}

fn secret_key(namespace: &str, name: &str) -> String {
    format!("{SECRET_PREFIX}{namespace}/{name}")
}

fn config_map_key(namespace: &str, name: &str) -> String {
    format!("{CONFIG_MAP_PREFIX}{namespace}/{name}")
}

/// The stored pod of a value under [`POD_PREFIX`].
fn as_stored_pod(object: &Object) -> &StoredPod {
    match object {
        Object::Pod(p) => p,
        other => panic!("only pods are stored under {POD_PREFIX}, found {other:?}"),
    }
}

/// The pod as clients see it: `resourceVersion` is the revision of its last write.
fn with_resource_version(stored: &StoredPod, revision: u64) -> StoredPod {
    let mut stored = stored.clone();
    stored.pod.resource_version = revision.to_string();
    stored.pod.status = stored.status.clone().map(std::sync::Arc::new);
    stored
}

/// etcd's errors as the API server reports them.
impl From<EtcdError> for ApiError {
    fn from(e: EtcdError) -> ApiError {
        match e {
            EtcdError::Unavailable => ApiError::Unavailable,
            EtcdError::Conflict => ApiError::Conflict,
            EtcdError::Compacted { .. } => ApiError::Gone,
            EtcdError::NotFound => ApiError::NotFound,
        }
    }
}

/// The kubelet's open pod watch.
#[derive(Clone, Debug)]
struct PodWatch {
    /// Only pods with this `spec.nodeName` are sent.
    node: String,
    /// Every etcd event up to this revision has been looked at.
    revision: u64,
    /// Events for the watcher not yet taken, in revision order.
    pending: Vec<(WatchEvent, u64)>,
}

impl PodWatch {
    /// The watch event for `event`, if it concerns a pod on the watched node.
    fn event_for(&self, event: &EtcdEvent) -> Option<WatchEvent> {
        let value = event.value.as_ref().expect("etcd records the value of every put and delete");
        let stored = as_stored_pod(value);
        if stored.pod.spec.node_name != self.node {
            return None;
        }
        let pod = with_resource_version(stored, event.revision).pod;
        Some(match event.kind {
            EventKind::Put => WatchEvent::Upserted(pod),
            EventKind::Delete => WatchEvent::Deleted(pod),
        })
    }
}

/// The kubelet's watch of one Secret.
#[derive(Clone, Debug)]
struct SecretWatch {
    /// Every etcd event up to this revision has been looked at.
    revision: u64,
    /// Events not yet taken: whether the Secret exists, at which revision.
    pending: Vec<(bool, u64)>,
}

/// A Secret's namespace and name.
type SecretName = (String, String);

/// A change of a watched Secret: its namespace and name, whether it exists, the revision.
pub type SecretEvent = (String, String, bool, u64);

/// The simulated kube-apiserver: owns its etcd and the kubelet's watches.
#[derive(Clone, Debug, Default)]
pub struct ApiServer {
    etcd: Etcd,
    /// Down (restarting) until this time.
    down_until: Option<Millis>,
    /// The kubelet's pod watch, if open.
    watch: Option<PodWatch>,
    /// The server ended the watch (restart, or it could not be served any more) and the client has not
    /// been told yet: [`ApiServer::close_watch`] reports it.
    watch_ended: bool,
    /// The kubelet's Secret watches.
    secret_watches: std::collections::BTreeMap<SecretName, SecretWatch>,
    /// Secret watches the server ended whose client was not told yet.
    secret_watches_ended: std::collections::BTreeSet<SecretName>,
    /// The Events the kubelet wrote.
    events: EventStore,
    /// The key each pod was created at, by UID (a UID never moves: name, namespace and UID are
    /// immutable), so that [`ApiServer::pod_by_uid`] need not read every pod of a crowded node.
    pod_keys_by_uid: std::collections::BTreeMap<String, String>,
}

impl ApiServer {
    /// An API server over an empty, available etcd, up, with no watch.
    pub fn new() -> ApiServer {
        ApiServer { etcd: Etcd::new(), ..ApiServer::default() }
    }

    /// Its etcd.
    pub fn etcd(&self) -> &Etcd {
        &self.etcd
    }

    /// Its etcd, for faults (unavailability, compaction). The open watch is caught up first, so a
    /// compaction made through it loses no event of the watch.
    pub fn etcd_mut(&mut self) -> &mut Etcd {
        self.sync_watches();
        &mut self.etcd
    }

    // ---- the kubelet's requests ------------------------------------------------------------------

    /// Serves a kubelet request at `now`. While the server is down (see [`ApiServer::restart`]) or etcd
    /// is unavailable, every request is answered `Err(Unavailable)`.
    pub fn handle(&mut self, now: Millis, request: ApiRequest) -> ApiReply {
        if !self.is_up(now) {
            return ApiReply::Err(ApiError::Unavailable);
        }
        let reply = match request {
            ApiRequest::ListPods { node } => self.list_pods(&node),
            ApiRequest::WatchPods { node, resource_version } => self.open_watch(node, resource_version),
            ApiRequest::GetPod { namespace, name } => self.get_pod(&namespace, &name),
            ApiRequest::GetSecret { namespace, name } => self.get_secret(&namespace, &name),
            ApiRequest::ListSecret { namespace, name } => self.list_secret(&namespace, &name),
            ApiRequest::WatchSecret { namespace, name, resource_version } => {
                self.open_secret_watch(namespace, name, resource_version)
            }
            ApiRequest::UpdatePodStatus { pod, status } => self.update_pod_status(&pod, status),
            ApiRequest::DeletePod { pod } => self.release_pod(&pod),
            ApiRequest::CreateEvent { event } => Ok(self.events.create(now, event)),
            ApiRequest::PatchEvent { event } => Ok(self.events.patch(now, event)),
        };
        reply.unwrap_or_else(ApiReply::Err)
    }

    /// `ListPods`: the pods bound to `node`, sorted by namespace and name, at the current revision.
    fn list_pods(&self, node: &str) -> Result<ApiReply, ApiError> {
        let (items, resource_version) = self.etcd.range(POD_PREFIX)?;
        let pods = items
            .iter()
            .map(|(_, value, revision)| with_resource_version(as_stored_pod(value), *revision).pod)
            .filter(|pod| pod.spec.node_name == node)
            .collect();
        Ok(ApiReply::PodList { pods, resource_version })
    }

    /// `WatchPods`: replaces any open watch with one from `resource_version` (exclusive); Gone if that
    /// revision is compacted.
    fn open_watch(&mut self, node: String, resource_version: u64) -> Result<ApiReply, ApiError> {
        self.watch = None;
        self.watch_ended = false;
        if !self.etcd.is_available() {
            return Err(ApiError::Unavailable);
        }
        if resource_version < self.etcd.compacted_revision() {
            return Err(ApiError::Gone);
        }
        self.watch = Some(PodWatch { node, revision: resource_version, pending: Vec::new() });
        Ok(ApiReply::Watching)
    }

    fn get_pod(&self, namespace: &str, name: &str) -> Result<ApiReply, ApiError> {
        let (stored, revision) = self.read_pod(namespace, name)?.ok_or(ApiError::NotFound)?;
        Ok(ApiReply::Pod(with_resource_version(&stored, revision).pod))
    }

    fn get_secret(&self, namespace: &str, name: &str) -> Result<ApiReply, ApiError> {
        match self.etcd.get(&secret_key(namespace, name))? {
            Some(_) => Ok(ApiReply::Secret),
            None => Err(ApiError::NotFound),
        }
    }

    /// `UpdatePodStatus` (the status manager's `PATCH .../status`): stores `status` on the pod with the
    /// reference's UID; NotFound if there is none (the pod is gone, or was recreated with a new UID).
    fn update_pod_status(&mut self, pod: &PodRef, status: PodStatusReport) -> Result<ApiReply, ApiError> {
        let key = pod_key(&pod.namespace, &pod.name);
        let (mut stored, revision) = self.read_pod(&pod.namespace, &pod.name)?.ok_or(ApiError::NotFound)?;
        if stored.pod.uid != pod.uid {
            return Err(ApiError::NotFound);
        }
        if stored.status.as_ref() == Some(&status) {
            // Nothing changes: nothing is written.
            return Ok(ApiReply::Ok);
        }
        stored.status = Some(status);
        self.etcd.put(&key, Object::Pod(stored), Some(revision))?;
        Ok(ApiReply::Ok)
    }

    /// `DeletePod` (the status manager's final delete, grace period 0 with a UID precondition): removes
    /// the API object of a pod whose deletion was requested. NotFound if it is gone; Conflict if the UID
    /// differs or its deletion was never requested.
    fn release_pod(&mut self, pod: &PodRef) -> Result<ApiReply, ApiError> {
        let key = pod_key(&pod.namespace, &pod.name);
        let (stored, revision) = self.read_pod(&pod.namespace, &pod.name)?.ok_or(ApiError::NotFound)?;
        if stored.pod.uid != pod.uid {
            return Err(ApiError::Conflict);
        }
        if stored.pod.deletion_timestamp.is_none() {
            // The kubelet removes only pods someone deleted (status manager `canBeDeleted`).
            return Err(ApiError::Conflict);
        }
        self.etcd.delete(&key, Some(revision))?;
        Ok(ApiReply::Ok)
    }

    /// The stored pod `namespace/name` and its mod revision (as stored: `resource_version` empty).
    fn read_pod(&self, namespace: &str, name: &str) -> Result<Option<(StoredPod, u64)>, ApiError> {
        Ok(self
            .etcd
            .get(&pod_key(namespace, name))?
            .map(|(value, revision)| (as_stored_pod(value).clone(), revision)))
    }

    // ---- the kubelet's watch ---------------------------------------------------------------------

    /// Moves the etcd events after the watch's revision into its buffer. If the watch cannot be served
    /// any more (its history was compacted, or it fell more than [`WATCH_BUFFER_LIMIT`] events
    /// behind) it is closed, and its buffered events are dropped with it.
    fn sync_watch(&mut self) {
        let Some(watch) = self.watch.as_mut() else {
            return;
        };
        match self.etcd.events_since(POD_PREFIX, watch.revision) {
            Ok(events) => {
                for event in &events {
                    if let Some(e) = watch.event_for(event) {
                        watch.pending.push((e, event.revision));
                    }
                }
                // Every write up to now has been looked at, those outside the prefix included.
                watch.revision = watch.revision.max(self.etcd.revision());
                if watch.pending.len() > WATCH_BUFFER_LIMIT {
                    self.end_watch();
                }
            }
            // No write can happen while etcd is down: nothing to fetch, the watch stays.
            Err(EtcdError::Unavailable) => {}
            Err(EtcdError::Compacted { .. }) => self.end_watch(),
            Err(e @ (EtcdError::Conflict | EtcdError::NotFound)) => {
                unreachable!("reading events cannot fail with {e:?}")
            }
        }
    }

    /// Events for the open watch not yet taken: pods whose `spec.nodeName` is the watched node, as
    /// (event, resource version), in revision order. `Upserted` for a write (creation, update, status
    /// update, deletion timestamp set), `Deleted` for a removal. Empty if no watch is open.
    ///
    /// The server may end the watch here (it fell more than [`WATCH_BUFFER_LIMIT`] events behind):
    /// [`ApiServer::close_watch`] then returns true, and the kubelet is to be told its watch closed.
    pub fn take_watch_events(&mut self) -> Vec<(WatchEvent, u64)> {
        self.sync_watch();
        match self.watch.as_mut() {
            Some(watch) => std::mem::take(&mut watch.pending),
            None => Vec::new(),
        }
    }

    /// The server ends the open watch; the client learns of it through [`ApiServer::close_watch`].
    fn end_watch(&mut self) {
        if self.watch.take().is_some() {
            self.watch_ended = true;
        }
    }

    /// Drops the watch (connection broken, server restart, or compaction past it); returns whether one
    /// was open, or was ended by the server (restart, buffer overflow) since the last call: whether the
    /// kubelet must be told its watch closed.
    pub fn close_watch(&mut self) -> bool {
        let was_open = self.watch.take().is_some();
        was_open | std::mem::take(&mut self.watch_ended)
    }

    /// Whether the kubelet's watch is open.
    pub fn watch_is_open(&self) -> bool {
        self.watch.is_some()
    }

    // ---- what users and controllers do -----------------------------------------------------------

    fn check_up(&self, now: Millis) -> Result<(), ApiError> {
        if self.is_up(now) {
            Ok(())
        } else {
            Err(ApiError::Unavailable)
        }
    }

    /// Creates `pod` (as given, UID included); Conflict if `namespace/name` exists. The deletion fields
    /// and status are cleared, as the API server does on create. Returns the pod with its
    /// `resource_version`.
    pub fn create_pod(&mut self, now: Millis, mut pod: Pod) -> Result<Pod, ApiError> {
        self.check_up(now)?;
        pod.resource_version = String::new();
        pod.deletion_timestamp = None;
        pod.deletion_grace_period_seconds = None;
        pod.status = None;
        let key = pod_key(&pod.namespace, &pod.name);
        let stored = StoredPod { pod, status: None };
        let revision = self.etcd.put(&key, Object::Pod(stored.clone()), Some(0))?;
        self.pod_keys_by_uid.insert(stored.pod.uid.clone(), key);
        Ok(with_resource_version(&stored, revision).pod)
    }

    /// Changes the pod `namespace/name` with `change`, optimistically: reads it, applies `change`, and
    /// writes it back on condition that nobody wrote it in between. See [`ApiServer::update_pod_if`]
    /// for what an update may change.
    pub fn update_pod(
        &mut self,
        now: Millis,
        namespace: &str,
        name: &str,
        change: impl FnOnce(&mut Pod),
    ) -> Result<Pod, ApiError> {
        self.check_up(now)?;
        let (current, revision) = self.read_pod(namespace, name)?.ok_or(ApiError::NotFound)?;
        let mut pod = with_resource_version(&current, revision).pod;
        change(&mut pod);
        self.write_update(current, revision, pod)
    }

    /// Replaces the stored pod with `pod` if `pod.resource_version` is the stored one (Conflict
    /// otherwise; NotFound if there is no such pod).
    ///
    /// As the API server validates updates (`ValidatePodUpdate`): name, namespace and UID cannot change
    /// (an empty UID means "the stored one"), nor `spec.nodeName` once set (setting it on an unbound
    /// pod is the binding), and the spec may change only where [`validate_pod_spec_update`] allows;
    /// anything else is refused with 422 Invalid. The deletion timestamp and grace period are kept as
    /// stored (only deletion sets them), and the status is kept (it is written by the kubelet only).
    pub fn update_pod_if(&mut self, now: Millis, pod: Pod) -> Result<Pod, ApiError> {
        self.check_up(now)?;
        let (current, revision) = self.read_pod(&pod.namespace, &pod.name)?.ok_or(ApiError::NotFound)?;
        if pod.resource_version != revision.to_string() {
            return Err(ApiError::Conflict);
        }
        self.write_update(current, revision, pod)
    }

    /// `PATCH .../pods/<name>/resize`: replaces the named containers' resources, validated as the
    /// API server's `ValidatePodResize` does ([`crate::pod_resize`]). With `InPlacePodVerticalScaling`
    /// off (`served` false) the subresource does not exist: NotFound.
    pub fn resize_pod(
        &mut self,
        now: Millis,
        namespace: &str,
        name: &str,
        containers: &[crate::scenario::ContainerResize],
        served: bool,
    ) -> Result<Pod, ApiError> {
        self.check_up(now)?;
        if !served {
            return Err(ApiError::NotFound);
        }
        let (current, revision) = self.read_pod(namespace, name)?.ok_or(ApiError::NotFound)?;
        let invalid = |e: String| ApiError::Invalid(format!("Pod {name:?} is invalid: {e}"));
        let pod = crate::pod_resize::apply_resize(&current.pod, containers).map_err(invalid)?;
        crate::pod_resize::validate_pod_resize(&current.pod, &pod).map_err(invalid)?;
        if pod == current.pod {
            return Ok(with_resource_version(&current, revision).pod);
        }
        let key = pod_key(namespace, name);
        let stored = StoredPod { pod, status: current.status };
        let revision = self.etcd.put(&key, Object::Pod(stored.clone()), Some(revision))?;
        Ok(with_resource_version(&stored, revision).pod)
    }

    /// Validates an update of `current` (at `revision`) to `pod` and writes it.
    fn write_update(&mut self, current: StoredPod, revision: u64, mut pod: Pod) -> Result<Pod, ApiError> {
        let old = &current.pod;
        if pod.uid.is_empty() {
            pod.uid = old.uid.clone();
        }
        if pod.name != old.name || pod.namespace != old.namespace || pod.uid != old.uid {
            return Err(ApiError::Invalid(format!(
                "Pod {:?} is invalid: metadata: name, namespace and uid are immutable",
                old.name
            )));
        }
        validate_pod_spec_update(&old.spec, &pod.spec)
            .map_err(|e| ApiError::Invalid(format!("Pod {:?} is invalid: {e}", old.name)))?;
        pod.deletion_timestamp = old.deletion_timestamp;
        pod.deletion_grace_period_seconds = old.deletion_grace_period_seconds;
        pod.resource_version = String::new();
        // The status is kept as stored (beside the pod, never in it).
        pod.status = None;
        if pod == *old {
            // Nothing changes: nothing is written.
            return Ok(with_resource_version(&current, revision).pod);
        }
        let key = pod_key(&pod.namespace, &pod.name);
        let stored = StoredPod { pod, status: current.status };
        let revision = self.etcd.put(&key, Object::Pod(stored.clone()), Some(revision))?;
        Ok(with_resource_version(&stored, revision).pod)
    }

    /// Graceful delete: a pod bound to a node gets deletionTimestamp = `now` and
    /// deletionGracePeriodSeconds = `grace_seconds` (default: spec.terminationGracePeriodSeconds) and
    /// stays until the kubelet releases it (`DeletePod`). A second delete may only shorten the grace
    /// period (the deletion timestamp stays: the deadline is the first request plus the new period);
    /// a longer or absent one changes nothing.
    ///
    /// The pod is removed at once, as the pod registry's `CheckGracefulDelete` decides, when the grace
    /// period comes to 0: the pod is unbound, its status phase is Succeeded or Failed, or 0 was asked
    /// (a force delete); and when a pending deletion already has grace period 0. A negative period
    /// counts as 1 second.
    pub fn delete_pod(
        &mut self,
        now: Millis,
        namespace: &str,
        name: &str,
        grace_seconds: Option<i64>,
    ) -> Result<(), ApiError> {
        self.check_up(now)?;
        let key = pod_key(namespace, name);
        let (mut stored, revision) = self.read_pod(namespace, name)?.ok_or(ApiError::NotFound)?;
        let requested = grace_seconds.map(|g| if g < 0 { 1 } else { g });
        let pod = &mut stored.pod;
        let grace = if pod.deletion_timestamp.is_some() {
            match (pod.deletion_grace_period_seconds, requested) {
                // A pending deletion with no time left: finish it.
                (None | Some(0), _) => 0,
                (Some(current), Some(shorter)) if shorter < current => shorter,
                // Graceful deletion is pending; only a shorter period changes it.
                _ => return Ok(()),
            }
        } else {
            let terminal = stored.status.as_ref().is_some_and(|s| s.phase.is_terminal());
            let period = requested.unwrap_or(pod.spec.termination_grace_period_seconds);
            let period = if period < 0 { 1 } else { period };
            if pod.spec.node_name.is_empty() || terminal {
                0
            } else {
                period
            }
        };
        if grace == 0 {
            self.etcd.delete(&key, Some(revision))?;
            return Ok(());
        }
        pod.deletion_timestamp.get_or_insert(now);
        pod.deletion_grace_period_seconds = Some(grace);
        self.etcd.put(&key, Object::Pod(stored), Some(revision))?;
        Ok(())
    }

    /// Creates the Secret `namespace/name`; Conflict if it exists. (The timeline's Secret and
    /// ConfigMap calls carry no time: they are refused only when etcd is unavailable, not while the
    /// API server restarts.)
    pub fn create_secret(&mut self, namespace: &str, name: &str) -> Result<(), ApiError> {
        self.etcd.put(&secret_key(namespace, name), Object::Secret, Some(0))?;
        Ok(())
    }

    /// Deletes the Secret `namespace/name`; NotFound if it does not exist.
    pub fn delete_secret(&mut self, namespace: &str, name: &str) -> Result<(), ApiError> {
        self.etcd.delete(&secret_key(namespace, name), None)?;
        Ok(())
    }

    /// Creates the ConfigMap `namespace/name`; Conflict if it exists.
    pub fn create_config_map(&mut self, namespace: &str, name: &str) -> Result<(), ApiError> {
        self.etcd.put(&config_map_key(namespace, name), Object::ConfigMap, Some(0))?;
        Ok(())
    }

    /// Deletes the ConfigMap `namespace/name`; NotFound if it does not exist.
    pub fn delete_config_map(&mut self, namespace: &str, name: &str) -> Result<(), ApiError> {
        self.etcd.delete(&config_map_key(namespace, name), None)?;
        Ok(())
    }

    // ---- faults and housekeeping -----------------------------------------------------------------

    /// The server restarts at `now` and is down until `until`: every request is Unavailable and the
    /// watch is closed (the next [`ApiServer::close_watch`] returns true, and the world tells the
    /// kubelet, `WatchClosed { gone: false }`). Data is in etcd and survives. A restart during a
    /// restart extends it.
    pub fn restart(&mut self, now: Millis, until: Millis) {
        assert!(until >= now, "a restart ends after it starts ({until} < {now})");
        self.down_until = Some(self.down_until.map_or(until, |u| u.max(until)));
        self.end_watch();
        let ended: Vec<SecretName> = std::mem::take(&mut self.secret_watches).into_keys().collect();
        self.secret_watches_ended.extend(ended);
    }

    /// Whether the server answers at `now` (it is not restarting).
    pub fn is_up(&self, now: Millis) -> bool {
        !matches!(self.down_until, Some(until) if now < until)
    }

    /// Compacts etcd at its current revision. The open watch is caught up first and stays open; a
    /// watch *re-opened* from an older resource version fails with Gone.
    pub fn compact(&mut self) {
        self.sync_watches();
        let revision = self.etcd.revision();
        self.etcd.compact(revision);
    }

    /// Compacts history older than the last `keep_revisions` revisions (kube-apiserver does this every 5
    /// minutes); the world calls it periodically, which keeps etcd's history bounded.
    pub fn compact_keep(&mut self, keep_revisions: u64) {
        let revision = self.etcd.revision().saturating_sub(keep_revisions);
        if revision > self.etcd.compacted_revision() {
            self.sync_watches();
            self.etcd.compact(revision);
        }
    }

    /// Catches every open watch up with etcd.
    fn sync_watches(&mut self) {
        self.sync_watch();
        self.sync_secret_watches();
    }

    // ---- the kubelet's Secret watches --------------------------------------------------------------

    /// `ListSecret` (a list with `fieldSelector=metadata.name=<name>`): whether the Secret exists, at
    /// the current revision.
    fn list_secret(&self, namespace: &str, name: &str) -> Result<ApiReply, ApiError> {
        let exists = self.etcd.get(&secret_key(namespace, name))?.is_some();
        Ok(ApiReply::SecretList { exists, resource_version: self.etcd.revision() })
    }

    /// `WatchSecret`: replaces any open watch of that Secret with one from `resource_version`
    /// (exclusive); Gone if that revision is compacted.
    fn open_secret_watch(
        &mut self,
        namespace: String,
        name: String,
        resource_version: u64,
    ) -> Result<ApiReply, ApiError> {
        let key = (namespace, name);
        self.secret_watches.remove(&key);
        self.secret_watches_ended.remove(&key);
        if !self.etcd.is_available() {
            return Err(ApiError::Unavailable);
        }
        if resource_version < self.etcd.compacted_revision() {
            return Err(ApiError::Gone);
        }
        self.secret_watches.insert(key, SecretWatch { revision: resource_version, pending: Vec::new() });
        Ok(ApiReply::Watching)
    }

    /// Moves the etcd events of each watched Secret into its watch's buffer; a watch whose history
    /// was compacted is ended.
    fn sync_secret_watches(&mut self) {
        let current = self.etcd.revision();
        let mut ended = Vec::new();
        for ((namespace, name), watch) in self.secret_watches.iter_mut() {
            let key = secret_key(namespace, name);
            match self.etcd.events_since(&key, watch.revision) {
                Ok(events) => {
                    // The prefix also matches longer names: only this key's events.
                    for event in events.iter().filter(|e| e.key == key) {
                        watch.pending.push((event.kind == EventKind::Put, event.revision));
                    }
                    watch.revision = watch.revision.max(current);
                    if watch.pending.len() > WATCH_BUFFER_LIMIT {
                        ended.push((namespace.clone(), name.clone()));
                    }
                }
                Err(EtcdError::Unavailable) => {}
                Err(EtcdError::Compacted { .. }) => ended.push((namespace.clone(), name.clone())),
                Err(e @ (EtcdError::Conflict | EtcdError::NotFound)) => {
                    unreachable!("reading events cannot fail with {e:?}")
                }
            }
        }
        for key in ended {
            self.secret_watches.remove(&key);
            self.secret_watches_ended.insert(key);
        }
    }

    /// Changes of the watched Secrets not yet taken, in Secret then revision order.
    pub fn take_secret_events(&mut self) -> Vec<SecretEvent> {
        self.sync_secret_watches();
        let mut events = Vec::new();
        for ((namespace, name), watch) in self.secret_watches.iter_mut() {
            for (exists, revision) in watch.pending.drain(..) {
                events.push((namespace.clone(), name.clone(), exists, revision));
            }
        }
        events
    }

    /// Drops every Secret watch (the connection broke, or the kubelet is gone); returns those that
    /// were open or that the server ended since the last call: the kubelet is to be told each closed.
    pub fn close_secret_watches(&mut self) -> Vec<(String, String)> {
        let mut closed: std::collections::BTreeSet<SecretName> =
            std::mem::take(&mut self.secret_watches).into_keys().collect();
        closed.append(&mut self.secret_watches_ended);
        closed.into_iter().collect()
    }

    /// Secret watches the server ended (a compaction past them) whose kubelet was not told yet.
    pub fn take_ended_secret_watches(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.secret_watches_ended).into_iter().collect()
    }

    // ---- views (the checker's and the reports'; they see etcd whether or not it is available) -----

    /// Every pod, sorted by namespace and name, with its `resource_version`.
    pub fn pods(&self) -> Vec<StoredPod> {
        self.etcd
            .inspect_range(POD_PREFIX)
            .into_iter()
            .map(|(_, value, revision)| with_resource_version(as_stored_pod(value), revision))
            .collect()
    }

    /// The pod with this UID, if stored.
    pub fn pod_by_uid(&self, uid: &str) -> Option<StoredPod> {
        let at_its_key = self
            .pod_keys_by_uid
            .get(uid)
            .and_then(|key| self.etcd.inspect(key))
            .filter(|(value, _)| as_stored_pod(value).pod.uid == uid);
        if let Some((value, revision)) = at_its_key {
            return Some(with_resource_version(as_stored_pod(value), revision));
        }
        // Not created through the API server (a test's own etcd write), or gone: read every pod.
        self.etcd
            .inspect_range(POD_PREFIX)
            .into_iter()
            .find(|(_, value, _)| as_stored_pod(value).pod.uid == uid)
            .map(|(_, value, revision)| with_resource_version(as_stored_pod(value), revision))
    }

    /// The pod `namespace/name`, if stored.
    pub fn pod(&self, namespace: &str, name: &str) -> Option<StoredPod> {
        self.etcd
            .inspect(&pod_key(namespace, name))
            .map(|(value, revision)| with_resource_version(as_stored_pod(value), revision))
    }

    /// The Events the kubelet wrote, in order of creation (without those whose time to live was
    /// over at the last write; see [`ApiServer::expire_events`]).
    pub fn events(&self) -> impl Iterator<Item = &EventRecord> {
        self.events.iter()
    }

    /// The Event `namespace/name`.
    pub fn event(&self, namespace: &str, name: &str) -> Option<&EventRecord> {
        self.events.get(namespace, name)
    }

    /// Drops the Events whose time to live is over at `now` (`--event-ttl`).
    pub fn expire_events(&mut self, now: Millis) {
        self.events.expire(now);
    }

    /// Whether the Secret `namespace/name` exists.
    pub fn secret_exists(&self, namespace: &str, name: &str) -> bool {
        self.etcd.inspect(&secret_key(namespace, name)).is_some()
    }

    /// Whether the ConfigMap `namespace/name` exists.
    pub fn config_map_exists(&self, namespace: &str, name: &str) -> bool {
        self.etcd.inspect(&config_map_key(namespace, name)).is_some()
    }
}

/// The spec fields an update may change, as the API server's message lists them.
const UPDATABLE_POD_SPEC_FIELDS: &str = "`spec.containers[*].image`,`spec.initContainers[*].image`,\
`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),\
`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// `ValidatePodUpdate`'s rule for the spec (pkg/apis/core/validation): binding an unbound pod sets
/// `nodeName`, which is then immutable; otherwise only the images of containers and init containers
/// may change (each still non-empty), `terminationGracePeriodSeconds` may go from negative to 1, and
/// `activeDeadlineSeconds` may be set, or lowered, but neither raised nor removed (tolerations are
/// mutable too, but the model carries none). Ephemeral
/// containers change only through their subresource, and resources only through `resize`, never by
/// an update. The error names the fields that changed.
pub fn validate_pod_spec_update(old: &PodSpec, new: &PodSpec) -> Result<(), String> {
    if !old.node_name.is_empty() && new.node_name != old.node_name {
        return Err(format!("spec.nodeName: Forbidden: may not be changed (from {:?})", old.node_name));
    }
    for (list, containers) in [("containers", &new.containers), ("initContainers", &new.init_containers)] {
        if let Some(i) = containers.iter().position(|c| c.image().is_empty()) {
            return Err(format!("spec.{list}[{i}].image: Required value"));
        }
    }
    validate_active_deadline_update(old.active_deadline_seconds, new.active_deadline_seconds)?;
    let mut munged = new.clone();
    munged.node_name = old.node_name.clone();
    munged.active_deadline_seconds = old.active_deadline_seconds;
    for (mine, theirs) in
        [(&mut munged.containers, &old.containers), (&mut munged.init_containers, &old.init_containers)]
    {
        if mine.len() == theirs.len() {
            for (c, o) in mine.iter_mut().zip(theirs) {
                c.set_image(o.image());
            }
        }
    }
    if old.termination_grace_period_seconds < 0 && new.termination_grace_period_seconds == 1 {
        munged.termination_grace_period_seconds = old.termination_grace_period_seconds;
    }
    if munged == *old {
        return Ok(());
    }
    Err(format!(
        "spec: Forbidden: pod updates may not change fields other than {UPDATABLE_POD_SPEC_FIELDS} (changed: {})",
        changed_fields(old, &munged).join(", ")
    ))
}

/// `ValidatePodUpdate`'s rule for `spec.activeDeadlineSeconds`: a new value lies in 0..=2^31-1 and is
/// at most the old one; a value once set may not be removed.
fn validate_active_deadline_update(old: Option<i64>, new: Option<i64>) -> Result<(), String> {
    match (old, new) {
        (_, Some(n)) if !(0..=i64::from(i32::MAX)).contains(&n) => Err(format!(
            "spec.activeDeadlineSeconds: Invalid value: {n}: must be between 0 and 2147483647, inclusive"
        )),
        (Some(o), Some(n)) if o < n => Err(format!(
            "spec.activeDeadlineSeconds: Invalid value: {n}: must be less than or equal to previous value"
        )),
        (Some(_), None) => Err(
            "spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value"
                .to_string(),
        ),
        _ => Ok(()),
    }
}

/// The paths of the fields in which two specs differ (`spec.containers[0].args`, `spec.volumes`).
fn changed_fields(old: &PodSpec, new: &PodSpec) -> Vec<String> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(old), serde_json::to_value(new))
    else {
        return vec!["spec".to_string()];
    };
    let mut changed = Vec::new();
    for (key, value) in &a {
        let other = b.get(key).unwrap_or(&serde_json::Value::Null);
        if value == other {
            continue;
        }
        match (value, other) {
            (serde_json::Value::Array(x), serde_json::Value::Array(y)) if x.len() == y.len() => {
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    changed.extend(changed_keys(p, q).into_iter().map(|k| format!("spec.{key}[{i}].{k}")));
                }
            }
            _ => changed.push(format!("spec.{key}")),
        }
    }
    changed
}

/// The keys in which two JSON objects differ (empty if either is not an object and they are equal).
fn changed_keys(a: &serde_json::Value, b: &serde_json::Value) -> Vec<String> {
    match (a, b) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().filter(|k| x.get(*k) != y.get(*k)).map(|k| k.to_string()).collect()
        }
        _ if a == b => Vec::new(),
        _ => vec!["(all)".to_string()],
    }
}

#[cfg(test)]
mod tests {
    use podsim_model::PodPhase;

    use super::*;

    const NODE: &str = "node-1";

    /// A pod with one container `app` of image `img:1`.
    fn pod_on(name: &str, node: &str) -> Pod {
        let mut pod = Pod::new(name, format!("uid-{name}"), node);
        pod.spec_mut().containers.push(podsim_model::Container::new("app", "img:1"));
        pod
    }

    fn status(phase: PodPhase) -> PodStatusReport {
        PodStatusReport {
            phase,
            pod_ip: "10.0.0.2".into(),
            init_container_statuses: Vec::new(),
            container_statuses: Vec::new(),
            ephemeral_container_statuses: Vec::new(),
            ..Default::default()
        }
    }

    fn watch(api: &mut ApiServer, resource_version: u64) -> ApiReply {
        api.handle(0, ApiRequest::WatchPods { node: NODE.into(), resource_version })
    }

    fn names(events: &[(WatchEvent, u64)]) -> Vec<(&'static str, String, u64)> {
        events
            .iter()
            .map(|(e, rv)| match e {
                WatchEvent::Upserted(p) => ("upserted", p.name.clone(), *rv),
                WatchEvent::Deleted(p) => ("deleted", p.name.clone(), *rv),
            })
            .collect()
    }

    #[test]
    fn list_returns_only_pods_bound_to_the_node_at_the_current_revision() {
        let mut api = ApiServer::new();
        api.create_pod(0, pod_on("b", NODE)).unwrap();
        api.create_pod(0, pod_on("a", NODE)).unwrap();
        api.create_pod(0, pod_on("other", "node-2")).unwrap();
        api.create_pod(0, pod_on("unbound", "")).unwrap();
        api.create_secret("default", "s").unwrap();
        let ApiReply::PodList { pods, resource_version } =
            api.handle(0, ApiRequest::ListPods { node: NODE.into() })
        else {
            panic!("expected a pod list");
        };
        let listed: Vec<(&str, &str)> =
            pods.iter().map(|p| (p.name.as_str(), p.resource_version.as_str())).collect();
        assert_eq!(listed, [("a", "3"), ("b", "2")]);
        assert_eq!(resource_version, api.etcd().revision());
        assert_eq!(resource_version, 6);
    }

    #[test]
    fn create_sets_the_resource_version_and_conflicts_on_an_existing_name() {
        let mut api = ApiServer::new();
        let mut pod = pod_on("a", NODE);
        pod.deletion_timestamp = Some(5);
        let created = api.create_pod(0, pod).unwrap();
        assert_eq!(created.resource_version, "2");
        assert_eq!(created.deletion_timestamp, None, "create clears the deletion fields");
        let mut again = pod_on("a", NODE);
        again.uid = "another-uid".into();
        assert_eq!(api.create_pod(0, again), Err(ApiError::Conflict));
        assert_eq!(api.pod("default", "a").unwrap().pod.uid, "uid-a");
    }

    #[test]
    fn get_pod_and_get_secret_answer_the_object_or_not_found() {
        let mut api = ApiServer::new();
        let created = api.create_pod(0, pod_on("a", NODE)).unwrap();
        api.create_secret("default", "s").unwrap();
        let get = |name: &str| ApiRequest::GetPod { namespace: "default".into(), name: name.into() };
        assert_eq!(api.handle(0, get("a")), ApiReply::Pod(created));
        assert_eq!(api.handle(0, get("zz")), ApiReply::Err(ApiError::NotFound));
        let secret = |name: &str| ApiRequest::GetSecret { namespace: "default".into(), name: name.into() };
        assert_eq!(api.handle(0, secret("s")), ApiReply::Secret);
        assert_eq!(api.handle(0, secret("t")), ApiReply::Err(ApiError::NotFound));
        api.delete_secret("default", "s").unwrap();
        assert_eq!(api.handle(0, secret("s")), ApiReply::Err(ApiError::NotFound));
        assert!(!api.secret_exists("default", "s"));
        assert_eq!(api.delete_secret("default", "s"), Err(ApiError::NotFound));
        api.create_config_map("default", "c").unwrap();
        assert_eq!(api.create_config_map("default", "c"), Err(ApiError::Conflict));
        assert!(api.config_map_exists("default", "c"));
        api.delete_config_map("default", "c").unwrap();
        assert!(!api.config_map_exists("default", "c"));
    }

    #[test]
    fn updates_are_optimistic_and_a_stale_resource_version_conflicts() {
        let mut api = ApiServer::new();
        let created = api.create_pod(0, pod_with_app("a")).unwrap();
        let updated =
            api.update_pod(0, "default", "a", |p| p.spec_mut().containers[0].set_image("img:2")).unwrap();
        assert_eq!(updated.resource_version, "3");
        assert_eq!(updated.spec.containers[0].image(), "img:2");
        // `created` is stale now.
        let mut stale = created.clone();
        stale.spec_mut().containers[0].set_image("img:3");
        assert_eq!(api.update_pod_if(0, stale), Err(ApiError::Conflict));
        let mut fresh = updated.clone();
        fresh.spec_mut().containers[0].set_image("img:3");
        let written = api.update_pod_if(0, fresh).unwrap();
        assert_eq!(written.resource_version, "4");
        assert_eq!(api.pod("default", "a").unwrap().pod, written);
        assert_eq!(api.update_pod(0, "default", "zz", |_| {}), Err(ApiError::NotFound));
    }

    /// A pod on the node with one container `app` of image `img:1`.
    fn pod_with_app(name: &str) -> Pod {
        pod_on(name, NODE)
    }

    /// The Invalid message of an update of `pod_with_app("a")`, or None if it was accepted.
    fn refusal(change: impl FnOnce(&mut Pod)) -> Option<String> {
        let mut api = ApiServer::new();
        api.create_pod(0, pod_with_app("a")).unwrap();
        match api.update_pod(0, "default", "a", change) {
            Ok(_) => None,
            Err(ApiError::Invalid(message)) => Some(message),
            Err(other) => panic!("expected Ok or Invalid, got {other:?}"),
        }
    }

    /// `ValidatePodUpdate`: only images (and a negative grace period set to 1) may change.
    #[test]
    fn updates_may_change_only_images_as_the_api_server_allows() {
        assert_eq!(refusal(|p| p.spec_mut().containers[0].set_image("img:2")), None);
        let env = refusal(|p| {
            p.spec_mut().containers[0].env.push(podsim_model::pod::EnvVar {
                name: "X".into(),
                source: podsim_model::pod::EnvSource::Value("1".into()),
            })
        })
        .expect("an env change is refused");
        assert!(
            env.contains("pod updates may not change fields other than `spec.containers[*].image`"),
            "{env}"
        );
        assert!(env.contains("changed: spec.containers[0].env"), "{env}");
        let args = refusal(|p| p.spec_mut().containers[0].args = vec!["--verbose".into()]).unwrap();
        assert!(args.contains("spec.containers[0].args"), "{args}");
        let added =
            refusal(|p| p.spec_mut().containers.push(podsim_model::Container::new("two", "img:1"))).unwrap();
        assert!(added.contains("changed: spec.containers"), "{added}");
        let grace = refusal(|p| p.spec_mut().termination_grace_period_seconds = 5).unwrap();
        assert!(grace.contains("spec.terminationGracePeriodSeconds"), "{grace}");
        let policy = refusal(|p| p.spec_mut().restart_policy = podsim_model::RestartPolicy::Never).unwrap();
        assert!(policy.contains("spec.restartPolicy"), "{policy}");
        let empty = refusal(|p| p.spec_mut().containers[0].set_image("")).unwrap();
        assert!(empty.contains("spec.containers[0].image: Required value"), "{empty}");
        // A negative grace period may be set to 1, nothing else.
        let mut spec = (*pod_with_app("a").spec).clone();
        spec.termination_grace_period_seconds = -1;
        let mut to_one = spec.clone();
        to_one.termination_grace_period_seconds = 1;
        assert_eq!(validate_pod_spec_update(&spec, &to_one), Ok(()));
        to_one.termination_grace_period_seconds = 2;
        assert!(validate_pod_spec_update(&spec, &to_one).is_err());
    }

    /// `ValidatePodUpdate` on `activeDeadlineSeconds`: it may be set or lowered, not raised or removed
    /// (the cases of the API server's messages, validation.go).
    #[test]
    fn active_deadline_may_be_set_or_lowered_only() {
        assert_eq!(refusal(|p| p.spec_mut().active_deadline_seconds = Some(10)), None, "set from none");
        let with = |v: Option<i64>| {
            let mut s = (*pod_with_app("a").spec).clone();
            s.active_deadline_seconds = v;
            s
        };
        assert_eq!(validate_pod_spec_update(&with(Some(10)), &with(Some(5))), Ok(()));
        assert_eq!(validate_pod_spec_update(&with(Some(10)), &with(Some(10))), Ok(()));
        assert_eq!(
            validate_pod_spec_update(&with(Some(10)), &with(Some(20))).unwrap_err(),
            "spec.activeDeadlineSeconds: Invalid value: 20: must be less than or equal to previous value"
        );
        assert_eq!(
            validate_pod_spec_update(&with(Some(10)), &with(None)).unwrap_err(),
            "spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value"
        );
        assert!(validate_pod_spec_update(&with(None), &with(Some(3_000_000_000)))
            .unwrap_err()
            .contains("must be between 0 and 2147483647, inclusive"));
    }

    #[test]
    fn an_update_that_changes_nothing_writes_nothing() {
        let mut api = ApiServer::new();
        let created = api.create_pod(0, pod_on("a", NODE)).unwrap();
        let same = api.update_pod(0, "default", "a", |_| {}).unwrap();
        assert_eq!(same, created);
        assert_eq!(api.etcd().revision(), 2);
    }

    #[test]
    fn updates_cannot_change_identity_or_rebind_a_pod() {
        let mut api = ApiServer::new();
        api.create_pod(0, pod_on("a", NODE)).unwrap();
        api.create_pod(0, pod_on("u", "")).unwrap();
        let uid = api.update_pod(0, "default", "a", |p| p.uid = "x".into());
        assert!(matches!(&uid, Err(ApiError::Invalid(m)) if m.contains("immutable")), "{uid:?}");
        let rebound = api.update_pod(0, "default", "a", |p| p.spec_mut().node_name = "node-2".into());
        assert!(matches!(&rebound, Err(ApiError::Invalid(m)) if m.contains("spec.nodeName")), "{rebound:?}");
        // Binding an unbound pod is allowed.
        let bound = api.update_pod(0, "default", "u", |p| p.spec_mut().node_name = NODE.into()).unwrap();
        assert_eq!(bound.spec.node_name, NODE);
        // Deletion fields are set by deletion only.
        let kept = api.update_pod(0, "default", "a", |p| p.deletion_timestamp = Some(9)).unwrap();
        assert_eq!(kept.deletion_timestamp, None);
    }

    #[test]
    fn watch_sends_only_pods_on_the_watched_node_in_revision_order() {
        let mut api = ApiServer::new();
        api.create_pod(0, pod_on("before", NODE)).unwrap();
        let rv = api.etcd().revision();
        assert_eq!(watch(&mut api, rv), ApiReply::Watching);
        assert!(api.watch_is_open());
        api.create_pod(0, pod_on("a", NODE)).unwrap();
        api.create_pod(0, pod_on("elsewhere", "node-2")).unwrap();
        api.create_secret("default", "s").unwrap();
        api.update_pod(0, "default", "a", |p| p.spec_mut().containers[0].set_image("img:2")).unwrap();
        api.create_pod(0, pod_on("unbound", "")).unwrap();
        api.update_pod(0, "default", "unbound", |p| p.spec_mut().node_name = NODE.into()).unwrap();
        let events = api.take_watch_events();
        assert_eq!(
            names(&events),
            [("upserted", "a".into(), 3), ("upserted", "a".into(), 6), ("upserted", "unbound".into(), 8)]
        );
        let WatchEvent::Upserted(pod) = &events[1].0 else { panic!("upserted") };
        assert_eq!(pod.resource_version, "6", "the pod carries its resource version");
        assert_eq!(api.take_watch_events(), vec![], "events are taken once");
    }

    #[test]
    fn a_new_watch_replaces_the_old_one() {
        let mut api = ApiServer::new();
        watch(&mut api, 1);
        api.create_pod(0, pod_on("a", NODE)).unwrap();
        let reply = api.handle(0, ApiRequest::WatchPods { node: "node-2".into(), resource_version: 1 });
        assert_eq!(reply, ApiReply::Watching);
        assert_eq!(api.take_watch_events(), vec![], "the new watch is for node-2");
        assert!(api.close_watch());
        assert!(!api.close_watch());
        assert!(!api.watch_is_open());
        api.create_pod(0, pod_on("b", NODE)).unwrap();
        assert_eq!(api.take_watch_events(), vec![], "no watch, no events");
    }

    #[test]
    fn watch_from_a_compacted_resource_version_is_gone() {
        let mut api = ApiServer::new();
        api.create_pod(0, pod_on("a", NODE)).unwrap();
        api.create_pod(0, pod_on("b", NODE)).unwrap();
        api.compact();
        assert_eq!(api.etcd().compacted_revision(), 3);
        assert_eq!(watch(&mut api, 2), ApiReply::Err(ApiError::Gone));
        assert!(!api.watch_is_open());
        assert_eq!(watch(&mut api, 3), ApiReply::Watching);
    }

    #[test]
    fn compaction_loses_no_event_of_an_open_watch() {
        let mut api = ApiServer::new();
        watch(&mut api, 1);
        api.create_pod(0, pod_on("a", NODE)).unwrap();
        api.compact();
        api.create_pod(0, pod_on("b", NODE)).unwrap();
        api.etcd_mut().compact(u64::MAX);
        api.create_pod(0, pod_on("c", NODE)).unwrap();
        api.compact_keep(0);
        assert!(api.watch_is_open());
        let got: Vec<String> = names(&api.take_watch_events()).into_iter().map(|(_, n, _)| n).collect();
        assert_eq!(got, ["a", "b", "c"]);
    }

    #[test]
    fn compact_keep_keeps_the_last_revisions() {
        let mut api = ApiServer::new();
        for i in 0..10 {
            api.create_secret("default", &format!("s{i}")).unwrap();
        }
        assert_eq!(api.etcd().revision(), 11);
        api.compact_keep(4);
        assert_eq!(api.etcd().compacted_revision(), 7);
        assert_eq!(api.etcd().history_len(), 4);
        api.compact_keep(100);
        assert_eq!(api.etcd().compacted_revision(), 7, "nothing older to drop");
    }

    #[test]
    fn status_update_is_stored_and_emits_a_watch_event() {
        let mut api = ApiServer::new();
        let pod = api.create_pod(0, pod_on("a", NODE)).unwrap();
        watch(&mut api, 2);
        let request =
            ApiRequest::UpdatePodStatus { pod: PodRef::of(&pod), status: status(PodPhase::Running) };
        assert_eq!(api.handle(10, request.clone()), ApiReply::Ok);
        assert_eq!(api.pod("default", "a").unwrap().status, Some(status(PodPhase::Running)));
        assert_eq!(names(&api.take_watch_events()), [("upserted", "a".into(), 3)]);
        // The same status again changes nothing.
        assert_eq!(api.handle(11, request), ApiReply::Ok);
        assert_eq!(api.etcd().revision(), 3);
        assert_eq!(api.take_watch_events(), vec![]);
        // A spec update keeps the status.
        api.update_pod(12, "default", "a", |p| p.spec_mut().containers[0].set_image("img:3")).unwrap();
        assert_eq!(api.pod("default", "a").unwrap().status, Some(status(PodPhase::Running)));
    }

    #[test]
    fn status_update_for_another_uid_or_a_missing_pod_is_not_found() {
        let mut api = ApiServer::new();
        let pod = api.create_pod(0, pod_on("a", NODE)).unwrap();
        let mut old = PodRef::of(&pod);
        old.uid = "uid-of-an-earlier-a".into();
        let reply =
            api.handle(0, ApiRequest::UpdatePodStatus { pod: old, status: status(PodPhase::Running) });
        assert_eq!(reply, ApiReply::Err(ApiError::NotFound));
        let missing = PodRef { uid: "u".into(), name: "zz".into(), namespace: "default".into() };
        let reply =
            api.handle(0, ApiRequest::UpdatePodStatus { pod: missing, status: status(PodPhase::Running) });
        assert_eq!(reply, ApiReply::Err(ApiError::NotFound));
        assert_eq!(api.pod("default", "a").unwrap().status, None);
    }

    #[test]
    fn graceful_delete_keeps_the_pod_until_the_kubelet_removes_it() {
        let mut api = ApiServer::new();
        let pod = api.create_pod(0, pod_on("a", NODE)).unwrap();
        watch(&mut api, 2);
        api.delete_pod(1_000, "default", "a", None).unwrap();
        let stored = api.pod("default", "a").expect("a bound pod stays until the kubelet releases it");
        assert_eq!(stored.pod.deletion_timestamp, Some(1_000));
        assert_eq!(stored.pod.deletion_grace_period_seconds, Some(30), "the spec's grace period");
        let events = api.take_watch_events();
        assert_eq!(names(&events), [("upserted", "a".into(), 3)]);
        let WatchEvent::Upserted(seen) = &events[0].0 else { panic!("upserted") };
        assert_eq!(seen.deletion_timestamp, Some(1_000));

        // The kubelet's final delete removes it, and the watch says Deleted.
        assert_eq!(api.handle(2_000, ApiRequest::DeletePod { pod: PodRef::of(&pod) }), ApiReply::Ok);
        assert_eq!(api.pod("default", "a"), None);
        let events = api.take_watch_events();
        assert_eq!(names(&events), [("deleted", "a".into(), 4)]);
        let WatchEvent::Deleted(last) = &events[0].0 else { panic!("deleted") };
        assert_eq!(last.deletion_timestamp, Some(1_000), "Deleted carries the last state");
        // Again: gone.
        let again = api.handle(2_001, ApiRequest::DeletePod { pod: PodRef::of(&pod) });
        assert_eq!(again, ApiReply::Err(ApiError::NotFound));
    }

    #[test]
    fn a_second_delete_may_only_shorten_the_grace_period() {
        let mut api = ApiServer::new();
        api.create_pod(0, pod_on("a", NODE)).unwrap();
        api.delete_pod(100, "default", "a", Some(20)).unwrap();
        let revision = api.etcd().revision();
        api.delete_pod(200, "default", "a", Some(40)).unwrap();
        api.delete_pod(200, "default", "a", None).unwrap();
        assert_eq!(api.etcd().revision(), revision, "a longer or absent period changes nothing");
        api.delete_pod(300, "default", "a", Some(5)).unwrap();
        let pod = api.pod("default", "a").unwrap().pod;
        assert_eq!(pod.deletion_grace_period_seconds, Some(5));
        assert_eq!(pod.deletion_timestamp, Some(100), "the deletion was requested at 100");
        // Shortening to 0 is a force delete.
        api.delete_pod(400, "default", "a", Some(0)).unwrap();
        assert_eq!(api.pod("default", "a"), None);
    }

    #[test]
    fn unbound_terminal_or_zero_grace_pods_are_removed_at_once() {
        let mut api = ApiServer::new();
        api.create_pod(0, pod_on("unbound", "")).unwrap();
        api.create_pod(0, pod_on("forced", NODE)).unwrap();
        let done = api.create_pod(0, pod_on("done", NODE)).unwrap();
        let reply = api.handle(
            0,
            ApiRequest::UpdatePodStatus { pod: PodRef::of(&done), status: status(PodPhase::Succeeded) },
        );
        assert_eq!(reply, ApiReply::Ok);
        let revision = api.etcd().revision();
        watch(&mut api, revision);
        api.delete_pod(10, "default", "unbound", None).unwrap();
        api.delete_pod(10, "default", "forced", Some(0)).unwrap();
        api.delete_pod(10, "default", "done", None).unwrap();
        assert!(api.pods().is_empty());
        let got: Vec<(&str, String)> =
            names(&api.take_watch_events()).into_iter().map(|(k, n, _)| (k, n)).collect();
        assert_eq!(got, [("deleted", "forced".to_string()), ("deleted", "done".to_string())]);
        assert_eq!(api.delete_pod(10, "default", "done", None), Err(ApiError::NotFound));
    }

    #[test]
    fn kubelet_delete_checks_the_uid_and_needs_a_requested_deletion() {
        let mut api = ApiServer::new();
        let pod = api.create_pod(0, pod_on("a", NODE)).unwrap();
        let release = |uid: &str| ApiRequest::DeletePod {
            pod: PodRef { uid: uid.into(), name: "a".into(), namespace: "default".into() },
        };
        assert_eq!(api.handle(0, release(&pod.uid)), ApiReply::Err(ApiError::Conflict), "not deleted yet");
        api.delete_pod(1, "default", "a", None).unwrap();
        assert_eq!(api.handle(2, release("uid-other")), ApiReply::Err(ApiError::Conflict));
        assert!(api.pod("default", "a").is_some());
        assert_eq!(api.handle(3, release(&pod.uid)), ApiReply::Ok);
        assert_eq!(api.pod_by_uid(&pod.uid), None);
    }

    #[test]
    fn views_find_pods_by_uid_and_name() {
        let mut api = ApiServer::new();
        api.create_pod(0, pod_on("b", NODE)).unwrap();
        api.create_pod(0, pod_on("a", "node-2")).unwrap();
        let all: Vec<String> = api.pods().iter().map(|p| p.pod.name.clone()).collect();
        assert_eq!(all, ["a", "b"]);
        assert_eq!(api.pod_by_uid("uid-b").unwrap().pod.resource_version, "2");
        assert_eq!(api.pod_by_uid("nope"), None);
        api.etcd_mut().set_available(false);
        assert_eq!(api.pods().len(), 2, "views see etcd even while it is unavailable");
    }

    /// A pod recreated under the same name has a new UID: the old UID finds nothing, the new one the
    /// new pod, with its resource version.
    #[test]
    fn a_recreated_pod_is_found_by_its_new_uid_only() {
        let mut api = ApiServer::new();
        let first = api.create_pod(0, pod_on("a", NODE)).unwrap();
        api.delete_pod(1, "default", "a", None).unwrap();
        let release = ApiRequest::DeletePod { pod: PodRef::of(&first) };
        assert_eq!(api.handle(2, release), ApiReply::Ok);
        let mut again = pod_on("a", NODE);
        again.uid = "uid-a2".into();
        let second = api.create_pod(3, again).unwrap();
        assert_eq!(api.pod_by_uid(&first.uid), None);
        let found = api.pod_by_uid("uid-a2").expect("the new pod");
        assert_eq!(
            (found.pod.uid.as_str(), &found.pod.resource_version),
            ("uid-a2", &second.resource_version)
        );
    }

    #[test]
    fn unavailable_etcd_answers_every_request_unavailable() {
        let mut api = ApiServer::new();
        let pod = api.create_pod(0, pod_on("a", NODE)).unwrap();
        api.create_secret("default", "s").unwrap();
        api.etcd_mut().set_available(false);
        let requests = [
            ApiRequest::ListPods { node: NODE.into() },
            ApiRequest::WatchPods { node: NODE.into(), resource_version: 1 },
            ApiRequest::GetPod { namespace: "default".into(), name: "a".into() },
            ApiRequest::GetSecret { namespace: "default".into(), name: "s".into() },
            ApiRequest::UpdatePodStatus { pod: PodRef::of(&pod), status: status(PodPhase::Running) },
            ApiRequest::DeletePod { pod: PodRef::of(&pod) },
        ];
        for request in requests {
            assert_eq!(api.handle(0, request.clone()), ApiReply::Err(ApiError::Unavailable), "{request:?}");
        }
        assert_eq!(api.create_pod(0, pod_on("b", NODE)), Err(ApiError::Unavailable));
        assert_eq!(api.delete_pod(0, "default", "a", None), Err(ApiError::Unavailable));
        assert_eq!(api.create_secret("default", "t"), Err(ApiError::Unavailable));
        api.etcd_mut().set_available(true);
        assert!(matches!(
            api.handle(0, ApiRequest::ListPods { node: NODE.into() }),
            ApiReply::PodList { .. }
        ));
    }

    #[test]
    fn a_restarting_api_server_answers_unavailable_and_closes_the_watch() {
        let mut api = ApiServer::new();
        api.create_pod(0, pod_on("a", NODE)).unwrap();
        watch(&mut api, 2);
        api.restart(100, 500);
        assert!(!api.watch_is_open());
        assert!(api.close_watch(), "the world learns that the watch ended, once");
        assert!(!api.close_watch());
        assert!(!api.is_up(100));
        assert!(!api.is_up(499));
        let list = ApiRequest::ListPods { node: NODE.into() };
        assert_eq!(api.handle(300, list.clone()), ApiReply::Err(ApiError::Unavailable));
        assert_eq!(api.create_pod(300, pod_on("b", NODE)), Err(ApiError::Unavailable));
        assert_eq!(api.update_pod(300, "default", "a", |_| {}), Err(ApiError::Unavailable));
        assert!(api.is_up(500));
        let ApiReply::PodList { pods, .. } = api.handle(500, list) else { panic!("a pod list") };
        assert_eq!(pods.len(), 1, "the data survives the restart");
    }

    #[test]
    fn a_watcher_that_falls_too_far_behind_is_closed() {
        let mut api = ApiServer::new();
        watch(&mut api, 1);
        api.create_pod(0, pod_on("a", NODE)).unwrap();
        for i in 0..WATCH_BUFFER_LIMIT {
            let image = format!("img:{}", i + 2);
            api.update_pod(0, "default", "a", |p| p.spec_mut().containers[0].set_image(&image)).unwrap();
        }
        assert_eq!(api.take_watch_events(), vec![]);
        assert!(!api.watch_is_open());
        assert!(api.close_watch(), "the world learns that the watch ended");
    }
}
