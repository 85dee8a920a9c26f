//! `startContainer` (pkg/kubelet/kuberuntime/kuberuntime_container.go), as `SyncPod`'s `start` runs
//! it for each container to start, in order:
//!
//! 1. the restart backoff (`doBackOff`): a CrashLoopBackOff that has not ended fails the start
//!    with a `BackoffError` carrying its end;
//! 2. the image (images/image_manager.go `EnsureImageExists`): per pull policy, inspect it
//!    (`ImageStatus`) or pull it; an image not present is pulled unless the policy is `Never`; a
//!    pull first checks the ImagePullBackOff, then waits in the image puller ([`super::image_puller`]);
//! 3. the config (`generateContainerConfig`): each Secret the container reads, from the Secret
//!    manager's cache ([`super::secret_manager`]);
//! 4. `CreateContainer`;
//! 5. `StartContainer`.
//!
//! Each CRI request sits beside the handling of its reply. A start that fails records why in the
//! reason cache (the container's waiting reason in the status), and a plain init container that
//! fails to start ends the runtime's `SyncPod` (no start after it, no in-place resize).

use crate::shared_str::SharedStr;
use std::collections::BTreeMap;

use super::hooks::PostStartRun;
use super::kill::StopContainer;
use super::secret_manager::SecretKey;
use super::sync_run::Step;
use super::{container_of, event_sites, Kubelet};
use crate::backoff::Bump;
use crate::coverage::Probe;
use crate::events::{self, EventType};
use crate::io::{ContainerConfig, CriReply, CriRequest, Decision, Output, PodRef, Timer};
use crate::linux_resources::calculate_linux_resources;
use crate::pod::{Container, ContainerKind, EnvSource, LifecycleHandler, Pod, PullPolicy};
use crate::runtime::{ContainerState, Millis};
use crate::status::reason;

/// A container of the pod: its kind and its index among the containers of that kind.
pub(super) type Slot = (ContainerKind, usize);

/// The restart backoff key of a container (`GetStableKey`: pod, container and its hash).
fn restart_key(pod: &Pod, container: &Container) -> String {
    format!("{}/{}/{:x}", pod.uid, container.name(), container.hash())
}

/// The image pull backoff key (pod and image).
fn image_key(uid: &str, image: &str) -> String {
    format!("{uid}/{image}")
}

impl Kubelet {
    // ---- 1. the restart backoff ------------------------------------------------------------------

    /// The `Start` step: the restart backoff (CrashLoopBackOff), then the image.
    pub(super) fn start_container(&mut self, uid: &str, slot: Slot, now: Millis, out: &mut Vec<Output>) {
        if self.restart_backoff_blocks(uid, slot, now, out) {
            return;
        }
        let next = ensure_image_step(self.pod_of(uid), slot);
        let run = self.sync_mut(uid).expect("the Start step runs within a sync");
        run.queue.push_front(next);
    }

    /// `doBackOff`, counted from when the newest exited instance finished: whether the container is
    /// in CrashLoopBackOff (then its start failed); if not, the backoff counts this restart.
    fn restart_backoff_blocks(
        &mut self,
        uid: &str,
        (kind, index): Slot,
        now: Millis,
        out: &mut Vec<Output>,
    ) -> bool {
        let w = &self.workers[uid];
        let run = w.sync.as_ref().expect("the Start step runs within a sync");
        let container = container_of(&w.pod, kind, index);
        let exited = run
            .runtime
            .containers
            .iter()
            .find(|c| c.name == container.name() && c.state == ContainerState::Exited);
        let Some(exited) = exited else { return false };
        let key = restart_key(&w.pod, container);
        let finished = exited.finished_at.unwrap_or(exited.created_at);
        let Some(end) = self.restart_backoff.backoff_end(&key, finished, now) else {
            let bump = self.restart_backoff.next(&key, finished, now);
            self.probes_hit.hit(match bump {
                Bump::Started => Probe::CrashLoopFirst,
                Bump::Doubled => Probe::CrashLoopDoubled,
                Bump::Reset => Probe::CrashLoopReset,
            });
            return false;
        };
        self.probes_hit.hit(Probe::CrashLoopWaiting);
        // doBackOff's message for the status (the backoff as Go prints a duration).
        let status_message = format!(
            "back-off {} restarting failed container={} pod={}",
            events::go_duration(self.restart_backoff.get(&key)),
            container.name(),
            events::format_pod(&w.pod)
        );
        // doBackOff's event, then a `BackoffError` carrying when the backoff ends.
        let message = format!(
            "Back-off restarting failed container {} in pod {}",
            container.name(),
            events::format_pod(&w.pod)
        );
        self.container_event(
            uid,
            (kind, index),
            EventType::Warning,
            events::reason::BACK_OFF,
            message,
            now,
            out,
        );
        let why = (reason::CRASH_LOOP_BACK_OFF, status_message);
        self.start_failed(uid, (kind, index), why, Some(end), out);
        true
    }

    // ---- 2. the image: EnsureImageExists ---------------------------------------------------------

    /// `ImageStatus` of the container's image.
    pub(super) fn image_status(&mut self, uid: &str, (kind, index): Slot, out: &mut Vec<Output>) {
        let image = container_of(self.pod_of(uid), kind, index).shared_image().clone();
        self.cri(uid, out, CriRequest::ImageStatus { image });
    }

    /// Present: on to the config. Not present: pull it, unless the policy is `Never`. The image could
    /// not be inspected (an error, or a reply of another shape): `ErrImageInspect`.
    pub(super) fn on_image_status(
        &mut self,
        uid: &str,
        slot: Slot,
        reply: CriReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let (kind, index) = slot;
        match reply {
            CriReply::ImagePresent(true) => {
                self.event_image_present(uid, slot, now, out);
                self.queue_create(uid, slot);
            }
            CriReply::ImagePresent(false) => {
                let container = container_of(self.pod_of(uid), kind, index);
                if container.image_pull_policy == PullPolicy::Never {
                    let message = format!(
                        "Container image {:?} is not present with pull policy of Never",
                        container.image()
                    );
                    self.probes_hit.hit(Probe::SyncFailNeverPull);
                    self.event_never_pull(uid, slot, now, out);
                    self.start_failed(uid, slot, (reason::ERR_IMAGE_NEVER_PULL, message), None, out);
                } else if let Some(run) = self.sync_mut(uid) {
                    run.queue.push_front(Step::PullImage(kind, index));
                }
            }
            failure => {
                self.hit(Probe::SyncFailImageStatus);
                self.event_inspect_failed(uid, slot, &failure, now, out);
                let message = format!("Failed to inspect image \"\": {}", event_sites::error_text(&failure));
                self.start_failed(uid, slot, (reason::IMAGE_INSPECT_ERROR, message), None, out);
            }
        }
    }

    /// `pullImage`: within the ImagePullBackOff the start fails (`ErrImagePullBackOff`, an error like
    /// any other, no `BackoffError`); otherwise "Pulling image" is recorded as the pod worker asks,
    /// and the pull goes to the puller (serial or parallel), which may make it wait.
    pub(super) fn pull_image(&mut self, uid: &str, slot: Slot, now: Millis, out: &mut Vec<Output>) {
        let image = container_of(self.pod_of(uid), slot.0, slot.1).image().to_string();
        if self.image_backoff.backoff_end_since_update(&image_key(uid, &image), now).is_some() {
            self.hit(Probe::ImagePullWaiting);
            self.event_pull_back_off(uid, slot, now, out);
            let message = format!("Back-off pulling image {:?}", events::apply_default_image_tag(&image));
            self.start_failed(uid, slot, (reason::IMAGE_PULL_BACK_OFF, message), None, out);
            return;
        }
        self.event_pulling(uid, slot, now, out);
        if let Some(run) = self.sync_mut(uid) {
            run.pull_started = now;
        }
        self.queue_pull(uid, image, now, out);
    }

    /// Pulled: on to the config. Failed (an error, a cancelled pull, or a reply of another shape):
    /// the ImagePullBackOff counts it, and the status's message is the pull's error (`ErrImagePull`,
    /// evalCRIPullErr).
    pub(super) fn on_image_pulled(
        &mut self,
        uid: &str,
        slot: Slot,
        reply: CriReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        match reply {
            CriReply::Ok => {
                let started = self.sync_mut(uid).map_or(now, |run| run.pull_started);
                self.event_pulled(uid, slot, now.saturating_sub(started), now, out);
                self.queue_create(uid, slot);
            }
            failure => {
                let image = container_of(self.pod_of(uid), slot.0, slot.1).image().to_string();
                let bump = self.image_backoff.next(&image_key(uid, &image), now, now);
                self.hit(Probe::SyncFailPull);
                self.hit(match bump {
                    Bump::Started | Bump::Reset => Probe::ImagePullFirst,
                    Bump::Doubled => Probe::ImagePullDoubled,
                });
                self.event_pull_failed(uid, slot, &failure, now, out);
                let why = (reason::ERR_IMAGE_PULL, event_sites::error_text(&failure));
                self.start_failed(uid, slot, why, None, out);
            }
        }
    }

    // ---- 3. the config, 4. CreateContainer ---------------------------------------------------------

    /// Queues the container's creation: its config reads its Secrets from the Secret manager
    /// (`generateContainerConfig` → `makeEnvironmentVariables`), so each `Get` first waits for its
    /// Secret's cache.
    fn queue_create(&mut self, uid: &str, (kind, index): Slot) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        let keys: Vec<SecretKey> = container_secrets(container_of(&w.pod, kind, index))
            .into_iter()
            .map(|(name, _)| (w.pod.namespace.clone(), name))
            .collect();
        let Some(run) = w.sync.as_mut() else { return };
        run.push_next(keys.into_iter().map(Step::AwaitSecret).chain([Step::CreateContainer(kind, index)]));
    }

    /// The `CreateContainer` step: the container's config (its Secrets, from the cache), then
    /// `CreateContainer`.
    pub(super) fn create_container(&mut self, uid: &str, slot: Slot, now: Millis, out: &mut Vec<Output>) {
        if let Some(error) = self.config_error(uid, slot) {
            self.hit(if error.starts_with("failed to sync") {
                Probe::SyncFailSecretNotSynced
            } else {
                Probe::SyncFailSecretMissing
            });
            self.failed_event(uid, slot, &error, now, out);
            self.start_failed(uid, slot, (reason::CREATE_CONTAINER_CONFIG_ERROR, error), None, out);
            return;
        }
        let w = &self.workers[uid];
        let run = w.sync.as_ref().expect("the CreateContainer step runs within a sync");
        let container = container_of(&w.pod, slot.0, slot.1);
        // No instance left (an in-place restart of every container removed it): the count the log
        // directory gives.
        let restart_count = run.runtime.find_container_status_by_name(container.name()).map_or_else(
            || super::restart_all::restart_count_by_log_dir(w.last_status.as_ref(), container.name()),
            |c| c.restart_count + 1,
        );
        let config = ContainerConfig {
            pod: PodRef::of(&w.pod),
            name: container.shared_name().clone(),
            kind: slot.0,
            image: container.shared_image().clone(),
            command: container.command.clone(),
            args: container.args.clone(),
            hash: container.hash(),
            restart_count,
            attempt: restart_count,
            resources: Some(calculate_linux_resources(
                self.allocation.allocated_resources(uid, container.name()).unwrap_or(&container.resources),
            )),
        };
        let sandbox_id = run.sandbox_id.clone();
        self.cri(uid, out, CriRequest::CreateContainer { sandbox_id, config });
    }

    /// Why the container's config cannot be made, if it cannot: a Secret it needs is missing ("ignore
    /// error when marked optional"), or its cache never filled.
    fn config_error(&self, uid: &str, (kind, index): Slot) -> Option<String> {
        let pod = self.pod_of(uid);
        container_secrets(container_of(pod, kind, index)).into_iter().find_map(|(name, optional)| {
            self.secrets.lookup(&(pod.namespace.clone(), name.clone())).error(&name, optional)
        })
    }

    /// Created: start it. Otherwise (kuberuntime `ErrCreateContainer`) the start failed.
    pub(super) fn on_container_created(
        &mut self,
        uid: &str,
        slot: Slot,
        reply: CriReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        match reply {
            CriReply::ContainerCreated { container_id } => {
                if let Some(run) = self.sync_mut(uid) {
                    run.queue.push_front(Step::StartContainer(slot.0, slot.1, container_id));
                }
                self.event_created(uid, slot, now, out);
            }
            failure => {
                self.hit(Probe::SyncFailCreateContainer);
                self.event_runtime_failed(uid, slot, "", &failure, now, out);
                let message = event_sites::error_message(&failure);
                self.start_failed(uid, slot, (reason::CREATE_CONTAINER_ERROR, message), None, out);
            }
        }
    }

    // ---- 5. StartContainer -------------------------------------------------------------------------

    /// `StartContainer` of the created container.
    pub(super) fn start_created(&mut self, uid: &str, container_id: SharedStr, out: &mut Vec<Output>) {
        self.cri(uid, out, CriRequest::StartContainer { container_id });
    }

    /// Started: its last start failure is forgotten. Otherwise (`ErrRunContainer`) the start failed.
    pub(super) fn on_container_started(
        &mut self,
        uid: &str,
        slot: Slot,
        container_id: &str,
        reply: CriReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        match reply {
            CriReply::Ok => {
                if let Some(w) = self.workers.get_mut(uid) {
                    let name = container_of(&w.pod, slot.0, slot.1).name();
                    w.start_failures.remove(name);
                }
                self.event_started(uid, slot, now, out);
                self.run_post_start(uid, slot, container_id, now, out);
            }
            failure => {
                self.hit(Probe::SyncFailStartContainer);
                self.event_runtime_failed(uid, slot, container_id, &failure, now, out);
                let message = event_sites::error_message(&failure);
                self.start_failed(uid, slot, (reason::RUN_CONTAINER_ERROR, message), None, out);
            }
        }
    }

    // ---- step 4: the postStart hook ----------------------------------------------------------------

    /// `startContainer` step 4: run the container's postStart hook, if it has one; the start (and so
    /// the next container's) waits for it. A hook that fails records `FailedPostStartHook`, kills the
    /// container (`killContainer` with the message `FailedPostStartHook` and the pod's grace period)
    /// and fails the start with `PostStartHookError` and the hook's message.
    fn run_post_start(
        &mut self,
        uid: &str,
        slot: Slot,
        container_id: &str,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let w = self.workers.get(uid).expect("a sync's step runs for a pod with a worker");
        let container = container_of(&w.pod, slot.0, slot.1);
        let Some(handler) = container.lifecycle.post_start.clone() else { return };
        let name = container.name().to_string();
        let run = w.sync.as_ref().expect("a start runs within a sync");
        let pod_ip = run.runtime.sandboxes.first().map_or(SharedStr::EMPTY, |s| s.ip.clone());
        match super::hooks::post_start_run(&handler, &w.pod, &name, &pod_ip, now) {
            PostStartRun::Until(until) => {
                self.hit(Probe::StartPostStartSleep);
                if let Some(run) = self.sync_mut(uid) {
                    run.post_start_until = Some(until);
                }
                out.push(Output::SetTimer {
                    at: until,
                    timer: Timer::PostStartDone { pod_uid: uid.to_string() },
                });
            }
            PostStartRun::Exec(_) => {
                if let Some(run) = self.sync_mut(uid) {
                    run.queue.push_front(Step::PostStartExec(slot.0, slot.1, container_id.into()));
                }
            }
            PostStartRun::Failed(message) => {
                self.post_start_failed(uid, slot, container_id, message, now, out)
            }
        }
    }

    /// A postStart hook failed: `FailedPostStartHook`, the kill of the container, and the start fails
    /// with `PostStartHookError` and the hook's message.
    fn post_start_failed(
        &mut self,
        uid: &str,
        slot: Slot,
        container_id: &str,
        message: String,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        self.hit(Probe::StartPostStartFailed);
        let name = container_of(self.pod_of(uid), slot.0, slot.1).shared_name().clone();
        self.event_post_start_hook_failed(uid, &name, now, out);
        let grace = self.pod_of(uid).grace_period_seconds();
        let stop = StopContainer {
            id: container_id.into(),
            name,
            grace_seconds: grace,
            message: "FailedPostStartHook".to_string(),
        };
        self.start_failed(uid, slot, (reason::POST_START_HOOK_ERROR, message), None, out);
        if let Some(run) = self.sync_mut(uid) {
            run.push_next([Step::StopContainers(vec![stop])].into_iter());
        }
    }

    /// The `PostStartExec` step: `HandlerRunner.Run`'s exec case, an `ExecSync` of the hook's command
    /// in the container with no timeout (0); the start, and so the next container's, waits for it.
    pub(super) fn post_start_exec(
        &mut self,
        uid: &str,
        slot: Slot,
        container_id: SharedStr,
        out: &mut Vec<Output>,
    ) {
        let container = container_of(self.pod_of(uid), slot.0, slot.1);
        let Some(LifecycleHandler::Exec { command }) = container.lifecycle.post_start.clone() else { return };
        self.hit(Probe::StartPostStartExec);
        self.cri(uid, out, CriRequest::ExecSync { container_id, cmd: command, timeout_seconds: 0 });
    }

    /// The postStart hook's `ExecSync` answered: exit 0 ends the start; anything else fails the hook.
    pub(super) fn on_post_start_exec(
        &mut self,
        uid: &str,
        slot: Slot,
        container_id: &str,
        reply: CriReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let pod = self.pod_of(uid);
        let container = container_of(pod, slot.0, slot.1);
        let Some(LifecycleHandler::Exec { command }) = &container.lifecycle.post_start else { return };
        if let Some(message) = super::hooks::exec_hook_error(command, &reply, pod, container.name()) {
            self.post_start_failed(uid, slot, container_id, message, now, out);
        }
    }

    /// A postStart sleep may have ended: the start is over, and the sync goes on.
    pub(super) fn on_post_start_timer(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let Some(run) = self.sync_mut(uid) else { return };
        if run.post_start_until.is_some_and(|until| now >= until) {
            run.post_start_until = None;
            self.advance(uid, now, out);
        }
    }

    // ---- a start that failed -----------------------------------------------------------------------

    /// A container could not be started: remember why (the reason cache), and if it is a plain init
    /// container, end the runtime's `SyncPod` (nothing after it runs). The runtime sync's result is an error, so the worker retries
    /// the sync after its back-off period, or when `backoff_expiry` comes (a CrashLoopBackOff's
    /// `BackoffError`), as the kubelet's release does ([`super::FailedSyncRequeue`]).
    fn start_failed(
        &mut self,
        uid: &str,
        (kind, index): Slot,
        (why, message): (&str, String),
        backoff_expiry: Option<Millis>,
        out: &mut Vec<Output>,
    ) {
        let w = self.workers.get_mut(uid).expect("a sync's step runs for a pod with a worker");
        let container = container_of(&w.pod, kind, index);
        let name = container.name().to_string();
        let plain_init = kind == ContainerKind::Init && !container.is_restartable_init_container();
        w.start_failures.insert(name.clone(), (why.to_string(), message));
        let run = w.sync.as_mut().expect("a start fails within a sync");
        run.start_failed = true;
        if let Some(at) = backoff_expiry {
            run.backoff_expiry = Some(run.backoff_expiry.map_or(at, |earliest| earliest.min(at)));
        }
        if plain_init {
            run.abort_runtime_sync();
            self.probes_hit.hit(Probe::SyncInitStartAborted);
        }
        out.push(Output::Decision(Decision::NotStarted {
            pod_uid: uid.to_string(),
            container: name,
            reason: why.to_string(),
        }));
    }
}

/// `EnsureImageExists`' first question, by pull policy: `Always` pulls; `IfNotPresent` and `Never`
/// inspect the image first.
fn ensure_image_step(pod: &Pod, (kind, index): Slot) -> Step {
    match container_of(pod, kind, index).image_pull_policy {
        PullPolicy::Always => Step::PullImage(kind, index),
        PullPolicy::IfNotPresent | PullPolicy::Never => Step::ImageStatus(kind, index),
    }
}

/// The Secrets a container's config reads, with whether each is optional: its env's
/// `secretKeyRef`s (`makeEnvironmentVariables`). (A secret volume's Secret is read when the volume is
/// set up, before any container: `Kubelet::mount_volumes`.)
fn container_secrets(container: &Container) -> Vec<(String, bool)> {
    let mut secrets: BTreeMap<String, bool> = BTreeMap::new();
    for e in &container.env {
        if let EnvSource::SecretKeyRef { name, optional, .. } = &e.source {
            let all_optional = secrets.entry(name.to_string()).or_insert(true);
            *all_optional = *all_optional && *optional;
        }
    }
    secrets.into_iter().collect()
}
