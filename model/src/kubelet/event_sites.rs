//! Where the kubelet records Events, each place named after the kubelet function it mirrors, and the
//! plumbing from `recorder.Event` to the API server through the [`super::recorder`] sink.
//!
//! Messages follow Kubernetes 1.35 (see [`crate::events`]): `EnsureImageExists`/`pullImage`
//! (image_manager.go `logIt`), `startContainer` and `killContainer` (kuberuntime_container.go),
//! `doBackOff`, `SyncPod` and `killPodWithSyncResult` (kuberuntime_manager.go), and the kubelet's
//! `SyncPod`/`SyncTerminatingPod` (kubelet.go: data directories, volumes, FailedKillPod).

use super::recorder::{AfterReply, Recorder, SinkWrite, WriteResult};
use super::{container_of, CallOwner, Kubelet};
use crate::events::{self, reason, EventType, KubeletEvent};
use crate::io::{ApiError, ApiReply, ApiRequest, CriReply, Output, Timer};
use crate::pod::{Container, ContainerKind, Pod};
use crate::runtime::Millis;

/// The message an image found on the node gets with `KubeletEnsureSecretPulledImages` (on by default
/// since 1.35; a preloaded image is not verified, `NeverVerifyPreloadedImages`).
fn already_present(image: &str) -> String {
    format!("Container image {image:?} already present on machine and can be accessed by the pod")
}

/// The error text of a CRI reply (the status's message of a failed pull or inspection).
pub(super) fn error_text(reply: &CriReply) -> String {
    cri_error_text(reply)
}

/// The gRPC message of a CRI reply (the status's message of a failed create or start).
pub(super) fn error_message(reply: &CriReply) -> String {
    cri_error_message(reply)
}

/// The error text of a CRI reply that is not the one asked for.
fn cri_error_text(reply: &CriReply) -> String {
    match reply {
        CriReply::Err(e) => events::grpc_error(e),
        other => format!("unexpected reply {other:?}"),
    }
}

/// The gRPC message of a CRI reply that is not the one asked for.
fn cri_error_message(reply: &CriReply) -> String {
    match reply {
        CriReply::Err(e) => events::grpc_message(e),
        other => format!("unexpected reply {other:?}"),
    }
}

/// The container of `pod` named `name`, with the list it is in (`GetContainerSpec`).
pub(super) fn find_container<'a>(pod: &'a Pod, name: &str) -> Option<(ContainerKind, &'a Container)> {
    let lists = [
        (ContainerKind::Regular, &pod.spec.containers),
        (ContainerKind::Init, &pod.spec.init_containers),
        (ContainerKind::Ephemeral, &pod.spec.ephemeral_containers),
    ];
    lists.into_iter().find_map(|(kind, list)| list.iter().find(|c| c.name() == name).map(|c| (kind, c)))
}

/// `utilerrors.NewAggregate(...).Error()`: one message as is, several in brackets (duplicates once).
pub(super) fn aggregate_errors(errors: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for e in errors {
        if !seen.contains(&e.as_str()) {
            seen.push(e);
        }
    }
    match seen.as_slice() {
        [one] => one.to_string(),
        many => format!("[{}]", many.join(", ")),
    }
}

/// A failed kill as `PodSyncResult.Error` prints it: `failed to "KillContainer" for "app" with
/// KillContainerError: "<err>"` (or `KillPodSandbox` for the pod's UID).
pub(super) fn kill_failure(container: Option<&str>, pod_uid: &str, reply: &CriReply) -> String {
    let err = cri_error_text(reply);
    match container {
        Some(name) => format!("failed to \"KillContainer\" for {name:?} with KillContainerError: {err:?}"),
        None => format!("failed to \"KillPodSandbox\" for {pod_uid:?} with KillPodSandboxError: {err:?}"),
    }
}

impl Kubelet {
    /// `recorder.Event`: the event is queued for the sink, which writes it if it is free.
    pub(super) fn emit(&mut self, now: Millis, event: KubeletEvent, out: &mut Vec<Output>) {
        out.push(Output::Event(event.clone()));
        self.recorder.record(now, event);
        self.pump_events(now, out);
    }

    /// An event about the pod of `uid`.
    pub(super) fn pod_event(
        &mut self,
        uid: &str,
        kind: EventType,
        reason: &str,
        message: String,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let Some(w) = self.workers.get(uid) else { return };
        let event = KubeletEvent::pod(&w.pod, kind, reason, message);
        self.emit(now, event, out);
    }

    /// An event about a container of the pod of `uid` (`recordContainerEvent`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn container_event(
        &mut self,
        uid: &str,
        (kind, index): (ContainerKind, usize),
        event_type: EventType,
        reason: &str,
        message: String,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let Some(w) = self.workers.get(uid) else { return };
        let container = container_of(&w.pod, kind, index);
        let event = KubeletEvent::container(&w.pod, kind, container, event_type, reason, message);
        self.emit(now, event, out);
    }

    /// The sink's watcher takes the next queued event, if it is free.
    pub(super) fn pump_events(&mut self, now: Millis, out: &mut Vec<Output>) {
        if let Some(write) = self.recorder.next(now) {
            self.write_event(write, out);
        }
    }

    pub(super) fn write_event(&mut self, write: SinkWrite, out: &mut Vec<Output>) {
        let call = self.call_id(CallOwner::Event);
        let request = match write {
            SinkWrite::Create(event) => ApiRequest::CreateEvent { event },
            SinkWrite::Patch(event) => ApiRequest::PatchEvent { event },
        };
        out.push(Output::Api { call, request });
    }

    /// A write of the sink was answered (`recordEvent`): an unreachable server is a transport error
    /// and is retried; any error status drops the event.
    pub(super) fn on_event_reply(&mut self, reply: &ApiReply, now: Millis, out: &mut Vec<Output>) {
        let result = match reply {
            ApiReply::Ok => WriteResult::Ok,
            ApiReply::Err(ApiError::NotFound) => WriteResult::NotFound,
            ApiReply::Err(ApiError::Unavailable) => WriteResult::Transport,
            ApiReply::Err(ApiError::Gone | ApiError::Conflict | ApiError::Invalid(_)) => WriteResult::Refused,
            // A reply of another shape is no write's answer: the sink drops the event as refused.
            ApiReply::PodList { .. }
            | ApiReply::Watching
            | ApiReply::Pod(_)
            | ApiReply::Secret
            | ApiReply::SecretList { .. } => WriteResult::Refused,
        };
        match self.recorder.on_reply(result) {
            AfterReply::Done => self.pump_events(now, out),
            AfterReply::Write(write) => self.write_event(write, out),
            AfterReply::Sleep { delay, random: true } => {
                out.push(Output::SetRandomTimer { within: delay, timer: Timer::EventRetry })
            }
            AfterReply::Sleep { delay, random: false } => {
                out.push(Output::SetTimer { at: now + delay, timer: Timer::EventRetry })
            }
        }
    }

    /// The event recorder (for tests and reports).
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// `startContainer`'s Warning `Failed` event: `Error: <the error's gRPC message>`.
    pub(super) fn failed_event(
        &mut self,
        uid: &str,
        container: (ContainerKind, usize),
        error: &str,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let message = format!("Error: {error}");
        self.container_event(uid, container, EventType::Warning, events::reason::FAILED, message, now, out);
    }

    // ---- the image manager (image_manager.go) ---------------------------------------------------

    /// `EnsureImageExists` found the image on the node.
    pub(super) fn event_image_present(
        &mut self,
        uid: &str,
        c: (ContainerKind, usize),
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let image = self.image_of(uid, c);
        self.container_event(uid, c, EventType::Normal, reason::PULLED, already_present(&image), now, out);
    }

    /// `imageNotPresentOnNeverPolicyError`, then `startContainer`'s `Error: ErrImageNeverPull`.
    pub(super) fn event_never_pull(
        &mut self,
        uid: &str,
        c: (ContainerKind, usize),
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let image = self.image_of(uid, c);
        let message = format!("Container image {image:?} is not present with pull policy of Never");
        self.container_event(uid, c, EventType::Warning, reason::ERR_IMAGE_NEVER_PULL, message, now, out);
        self.failed_event(uid, c, crate::status::reason::ERR_IMAGE_NEVER_PULL, now, out);
    }

    /// `imagePullPrecheck` could not inspect the image (its message quotes the empty image ref),
    /// then `Error: ImageInspectError`.
    pub(super) fn event_inspect_failed(
        &mut self,
        uid: &str,
        c: (ContainerKind, usize),
        reply: &CriReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let message = format!("Failed to inspect image \"\": {}", cri_error_text(reply));
        self.container_event(uid, c, EventType::Warning, reason::INSPECT_FAILED, message, now, out);
        self.failed_event(uid, c, crate::status::reason::IMAGE_INSPECT_ERROR, now, out);
    }

    /// `pullImage` in its backoff: a Normal `BackOff`, then `Error: ImagePullBackOff`.
    pub(super) fn event_pull_back_off(
        &mut self,
        uid: &str,
        c: (ContainerKind, usize),
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let image = events::apply_default_image_tag(&self.image_of(uid, c));
        let message = format!("Back-off pulling image {image:?}");
        self.container_event(uid, c, EventType::Normal, reason::BACK_OFF, message, now, out);
        self.failed_event(uid, c, crate::status::reason::IMAGE_PULL_BACK_OFF, now, out);
    }

    /// `pullImage` starts a pull.
    pub(super) fn event_pulling(
        &mut self,
        uid: &str,
        c: (ContainerKind, usize),
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let image = events::apply_default_image_tag(&self.image_of(uid, c));
        let message = format!("Pulling image {image:?}");
        self.container_event(uid, c, EventType::Normal, reason::PULLING, message, now, out);
    }

    /// `pullImage` succeeded after `took` (podsim knows no image sizes: 0 bytes).
    pub(super) fn event_pulled(
        &mut self,
        uid: &str,
        c: (ContainerKind, usize),
        took: Millis,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let image = events::apply_default_image_tag(&self.image_of(uid, c));
        let d = events::go_duration(took);
        let message = format!(
            "Successfully pulled image {image:?} in {d} ({d} including waiting). Image size: 0 bytes."
        );
        self.container_event(uid, c, EventType::Normal, reason::PULLED, message, now, out);
    }

    /// `pullImage` failed, then `Error: ErrImagePull`.
    pub(super) fn event_pull_failed(
        &mut self,
        uid: &str,
        c: (ContainerKind, usize),
        reply: &CriReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let image = events::apply_default_image_tag(&self.image_of(uid, c));
        let message = format!("Failed to pull image {image:?}: {}", cri_error_text(reply));
        self.container_event(uid, c, EventType::Warning, reason::FAILED, message, now, out);
        self.failed_event(uid, c, crate::status::reason::ERR_IMAGE_PULL, now, out);
    }

    fn image_of(&self, uid: &str, (kind, index): (ContainerKind, usize)) -> String {
        self.workers
            .get(uid)
            .map_or_else(String::new, |w| container_of(&w.pod, kind, index).image().to_string())
    }

    // ---- startContainer and killContainer (kuberuntime_container.go) -----------------------------

    /// `CreateContainer` succeeded.
    pub(super) fn event_created(
        &mut self,
        uid: &str,
        c: (ContainerKind, usize),
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        self.container_event(
            uid,
            c,
            EventType::Normal,
            reason::CREATED,
            "Container created".into(),
            now,
            out,
        );
    }

    /// `StartContainer` succeeded.
    pub(super) fn event_started(
        &mut self,
        uid: &str,
        c: (ContainerKind, usize),
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        self.container_event(
            uid,
            c,
            EventType::Normal,
            reason::STARTED,
            "Container started".into(),
            now,
            out,
        );
    }

    /// `CreateContainer` or `StartContainer` failed: `Error: <message>`, the container's id replaced by
    /// its name ("this protection makes a huge difference in the number of unique events").
    pub(super) fn event_runtime_failed(
        &mut self,
        uid: &str,
        c: (ContainerKind, usize),
        container_id: &str,
        reply: &CriReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let mut message = cri_error_message(reply);
        if !container_id.is_empty() {
            let name = self.workers.get(uid).map(|w| container_of(&w.pod, c.0, c.1).name().to_string());
            message = message.replace(container_id, &name.unwrap_or_default());
        }
        self.failed_event(uid, c, &message, now, out);
    }

    /// `killContainer`: a Normal `Killing` with the kill's message (`Stopping container <name>` by
    /// default). A container the pod's spec does not have gets no event (`GenerateContainerRef` fails
    /// on the spec restored from its labels).
    pub(super) fn event_killing(
        &mut self,
        uid: &str,
        name: &str,
        message: &str,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let Some(w) = self.workers.get(uid) else { return };
        let Some((kind, container)) = find_container(&w.pod, name) else { return };
        let message =
            if message.is_empty() { format!("Stopping container {name}") } else { message.to_string() };
        let event =
            KubeletEvent::container(&w.pod, kind, container, EventType::Normal, reason::KILLING, message);
        self.emit(now, event, out);
    }

    /// `startContainer` step 4: the postStart hook failed; a Warning `FailedPostStartHook`, without
    /// the hook's output.
    pub(super) fn event_post_start_hook_failed(
        &mut self,
        uid: &str,
        name: &str,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let Some(w) = self.workers.get(uid) else { return };
        let Some((kind, container)) = find_container(&w.pod, name) else { return };
        let event = KubeletEvent::container(
            &w.pod,
            kind,
            container,
            EventType::Warning,
            reason::FAILED_POST_START_HOOK,
            "PostStartHook failed".to_string(),
        );
        self.emit(now, event, out);
    }

    /// `executePreStopHook`: the hook failed; a Warning `FailedPreStopHook` whose message leaves the
    /// hook's output out ("do not record the message in the event so that secrets won't leak").
    pub(super) fn event_pre_stop_hook_failed(
        &mut self,
        uid: &str,
        name: &str,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let Some(w) = self.workers.get(uid) else { return };
        let Some((kind, container)) = find_container(&w.pod, name) else { return };
        let event = KubeletEvent::container(
            &w.pod,
            kind,
            container,
            EventType::Warning,
            reason::FAILED_PRE_STOP_HOOK,
            "PreStopHook failed".to_string(),
        );
        self.emit(now, event, out);
    }

    // ---- SyncPod (kuberuntime_manager.go, kubelet.go) --------------------------------------------

    /// `createPodSandbox` failed (not when the pod's termination was requested meanwhile).
    pub(super) fn event_sandbox_failed(
        &mut self,
        uid: &str,
        reply: &CriReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        if self.workers.get(uid).is_none_or(|w| w.terminate_requested) {
            return;
        }
        let message = format!("Failed to create pod sandbox: {}", cri_error_text(reply));
        self.pod_event(uid, EventType::Warning, reason::FAILED_CREATE_POD_SANDBOX, message, now, out);
    }

    /// `makePodDataDirs` failed.
    pub(super) fn event_data_dir_failed(
        &mut self,
        uid: &str,
        error: &str,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let message = format!("error making pod data directories: {error}");
        self.pod_event(uid, EventType::Warning, reason::FAILED, message, now, out);
    }

    /// The volume manager's `MountVolume.SetUp` failed (operation_generator's `FailedMount`).
    pub(super) fn event_mount_failed(
        &mut self,
        uid: &str,
        volume: &str,
        error: &str,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let message = format!("MountVolume.SetUp failed for volume {volume:?} : {error}");
        self.pod_event(uid, EventType::Warning, reason::FAILED_MOUNT, message, now, out);
    }

    /// `SyncTerminatingPod`: `killPod` failed.
    pub(super) fn event_kill_pod_failed(
        &mut self,
        uid: &str,
        failures: &[String],
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let message = format!("error killing pod: {}", aggregate_errors(failures));
        self.pod_event(uid, EventType::Warning, reason::FAILED_KILL_POD, message, now, out);
    }
}
