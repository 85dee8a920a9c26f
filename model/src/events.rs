//! The Kubernetes Events the kubelet records (pkg/kubelet/events/event.go), and the core/v1 Event
//! objects its client-go recorder writes to the API server.
//!
//! Reasons, types and message texts follow the kubelet of Kubernetes 1.35: its event reasons
//! (`pkg/kubelet/events/event.go`), the image manager's `logIt` calls
//! (`pkg/kubelet/images/image_manager.go`, read at index id 680658890), `startContainer`,
//! `killContainer` and `doBackOff` (`pkg/kubelet/kuberuntime`, whose Created and Started messages lost
//! the container's name in 1.35, kubernetes/kubernetes#134043), and `SyncPod`
//! (`kuberuntime_manager.go`: SandboxChanged, FailedCreatePodSandBox).
//!
//! Only what the model does emits an event: podsim has no probes that fail on their own
//! (Unhealthy), no node events.

use serde::{Deserialize, Serialize};

use crate::io::{CriError, PodRef};
use crate::pod::{Container, ContainerKind, Pod};
use crate::runtime::Millis;

/// `v1.EventTypeNormal` and `v1.EventTypeWarning`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// `Normal`.
    Normal,
    /// `Warning`.
    Warning,
}

impl EventType {
    /// The API's word.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// The kubelet's event reasons (pkg/kubelet/events/event.go), those podsim's model can emit.
pub mod reason {
    /// `CreatedContainer`.
    pub const CREATED: &str = "Created";
    /// `StartedContainer`.
    pub const STARTED: &str = "Started";
    /// `FailedToCreateContainer`, `FailedToStartContainer`, `FailedToPullImage` and
    /// `FailedToMakePodDataDirectories` all say `Failed`.
    pub const FAILED: &str = "Failed";
    /// `KillingContainer`.
    pub const KILLING: &str = "Killing";
    /// `BackOffStartContainer` and `BackOffPullImage`.
    pub const BACK_OFF: &str = "BackOff";
    /// `PullingImage`.
    pub const PULLING: &str = "Pulling";
    /// `PulledImage`.
    pub const PULLED: &str = "Pulled";
    /// `FailedToInspectImage`.
    pub const INSPECT_FAILED: &str = "InspectFailed";
    /// `ErrImageNeverPullPolicy`.
    pub const ERR_IMAGE_NEVER_PULL: &str = "ErrImageNeverPull";
    /// `FailedMountVolume`.
    pub const FAILED_MOUNT: &str = "FailedMount";
    /// `SandboxChanged`.
    pub const SANDBOX_CHANGED: &str = "SandboxChanged";
    /// `FailedCreatePodSandBox`.
    pub const FAILED_CREATE_POD_SANDBOX: &str = "FailedCreatePodSandBox";
    /// `FailedToKillPod`.
    pub const FAILED_KILL_POD: &str = "FailedKillPod";
    /// `FailedPreStopHook`.
    pub const FAILED_PRE_STOP_HOOK: &str = "FailedPreStopHook";
    /// `FailedPostStartHook`.
    pub const FAILED_POST_START_HOOK: &str = "FailedPostStartHook";
    /// The active deadline handler's reason (pkg/kubelet/active_deadline.go).
    pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";
}

/// What the kubelet hands its recorder (`recorder.Event(ref, type, reason, message)`): the pod the
/// event is about, with the container's field path for a container event (`GenerateContainerRef`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubeletEvent {
    /// The involved pod.
    pub pod: PodRef,
    /// `involvedObject.fieldPath`, e.g. `spec.containers{app}` (`None` for a pod event).
    pub field_path: Option<String>,
    /// `type`.
    pub event_type: EventType,
    /// `reason`.
    pub reason: String,
    /// `message`.
    pub message: String,
}

impl KubeletEvent {
    /// An event about the pod itself (`ref.GetReference(pod)`).
    pub fn pod(pod: &Pod, event_type: EventType, reason: &str, message: String) -> KubeletEvent {
        KubeletEvent { pod: PodRef::of(pod), field_path: None, event_type, reason: reason.into(), message }
    }

    /// An event about one of the pod's containers (`recordContainerEvent`).
    pub fn container(
        pod: &Pod,
        kind: ContainerKind,
        container: &Container,
        event_type: EventType,
        reason: &str,
        message: String,
    ) -> KubeletEvent {
        KubeletEvent {
            pod: PodRef::of(pod),
            field_path: Some(field_path(kind, container.name())),
            event_type,
            reason: reason.into(),
            message,
        }
    }
}

/// The `fieldPath` of a container reference (`fieldPath` in pkg/kubelet/container/ref.go).
pub fn field_path(kind: ContainerKind, name: &str) -> String {
    match kind {
        ContainerKind::Regular => format!("spec.containers{{{name}}}"),
        ContainerKind::Init => format!("spec.initContainers{{{name}}}"),
        ContainerKind::Ephemeral => format!("spec.ephemeralContainers{{{name}}}"),
    }
}

/// The container name in a field path such as `spec.containers{app}`.
pub fn container_of_field_path(field_path: &str) -> Option<&str> {
    let (_, rest) = field_path.split_once('{')?;
    rest.strip_suffix('}')
}

/// The `source.component` of every event the kubelet writes.
pub const SOURCE_COMPONENT: &str = "kubelet";

/// A core/v1 Event as the kubelet's client-go recorder writes it (`makeEvent`, then the
/// correlator's count and timestamps). `involvedObject` is the pod (`kind: Pod`, `apiVersion: v1`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// `metadata.name`: `<pod name>.<hex nanoseconds of its first occurrence>`.
    pub name: String,
    /// `metadata.namespace`: the pod's.
    pub namespace: String,
    /// `involvedObject`: the pod.
    pub involved_object: PodRef,
    /// `involvedObject.fieldPath`.
    pub field_path: Option<String>,
    /// `type`.
    pub event_type: EventType,
    /// `reason`.
    pub reason: String,
    /// `message`.
    pub message: String,
    /// `count`.
    pub count: u32,
    /// `firstTimestamp`.
    pub first_timestamp: Millis,
    /// `lastTimestamp`.
    pub last_timestamp: Millis,
    /// `source.host`: the node (`source.component` is always `kubelet`).
    pub source_host: String,
}

/// `format.Pod`: `name_namespace(uid)`.
pub fn format_pod(pod: &Pod) -> String {
    format!("{}_{}({})", pod.name, pod.namespace, pod.uid)
}

/// `applyDefaultImageTag`: an image with neither tag nor digest gets `:latest`.
pub fn apply_default_image_tag(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') || last.contains(':') {
        image.to_string()
    } else {
        format!("{image}:latest")
    }
}

/// A CRI error as Go prints the gRPC error (`err.Error()`): `rpc error: code = C desc = D`.
pub fn grpc_error(e: &CriError) -> String {
    format!("rpc error: code = {} desc = {}", grpc_code(e), grpc_message(e))
}

/// A CRI error's gRPC message (`status.FromError(err).Message()`). The descriptions of NotFound and
/// Unavailable are podsim's words (a runtime says more); DeadlineExceeded's is Go's context error.
pub fn grpc_message(e: &CriError) -> String {
    match e {
        CriError::NotFound => "not found".into(),
        CriError::Unavailable => "the container runtime is unavailable".into(),
        CriError::DeadlineExceeded => "context deadline exceeded".into(),
        CriError::Failed(m) => m.clone(),
    }
}

fn grpc_code(e: &CriError) -> &'static str {
    match e {
        CriError::NotFound => "NotFound",
        CriError::Unavailable => "Unavailable",
        CriError::DeadlineExceeded => "DeadlineExceeded",
        CriError::Failed(_) => "Unknown",
    }
}

/// Go's `time.Duration.String` of a whole number of milliseconds (`1.5s`, `405ms`, `2m44.956s`).
pub fn go_duration(ms: Millis) -> String {
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1_000 {
        return format!("{ms}ms");
    }
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, frac) = (rest / 1_000, rest % 1_000);
    let mut seconds = s.to_string();
    if frac > 0 {
        let digits = format!("{frac:03}");
        seconds.push('.');
        seconds.push_str(digits.trim_end_matches('0'));
    }
    match (h, m) {
        (0, 0) => format!("{seconds}s"),
        (0, m) => format!("{m}m{seconds}s"),
        (h, m) => format!("{h}h{m}m{seconds}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_go_prints_them() {
        let cases = [
            (0, "0s"),
            (1, "1ms"),
            (405, "405ms"),
            (1_000, "1s"),
            (1_500, "1.5s"),
            (3_140, "3.14s"),
            (164_956, "2m44.956s"),
            (60_000, "1m0s"),
            (3_600_001, "1h0m0.001s"),
        ];
        for (ms, text) in cases {
            assert_eq!(go_duration(ms), text, "{ms} ms");
        }
    }

    #[test]
    fn images_without_tag_or_digest_get_latest() {
        assert_eq!(apply_default_image_tag("nginx"), "nginx:latest");
        assert_eq!(apply_default_image_tag("registry.local:5000/app"), "registry.local:5000/app:latest");
        assert_eq!(apply_default_image_tag("registry.local/app:1"), "registry.local/app:1");
        assert_eq!(apply_default_image_tag("app@sha256:abc"), "app@sha256:abc");
    }

    #[test]
    fn field_paths_name_the_container_list() {
        assert_eq!(field_path(ContainerKind::Regular, "app"), "spec.containers{app}");
        assert_eq!(field_path(ContainerKind::Init, "init"), "spec.initContainers{init}");
        assert_eq!(field_path(ContainerKind::Ephemeral, "dbg"), "spec.ephemeralContainers{dbg}");
        assert_eq!(container_of_field_path("spec.initContainers{init}"), Some("init"));
        assert_eq!(container_of_field_path("spec"), None);
    }
}
