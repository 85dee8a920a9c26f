//! The trace's wording: one line for each timeline action, kubelet decision, API and node request,
//! CRI call and reply, the same on both backends.

use podsim_model::backoff::Jitter;
use podsim_model::io::{ApiReply, ApiRequest, CallId, CriReply, CriRequest, Decision, NodeRequest, Timer};
use podsim_model::Millis;

use crate::containerd::CriMethod;
use crate::scenario::Action;

/// One line for a timeline action.
pub fn describe_action(a: &Action) -> String {
    match a {
        Action::CreatePod(p) => format!("create pod {}", p.full_name()),
        Action::UpdatePod(p) => format!("update pod {}", p.full_name()),
        Action::ResizePod { namespace, name, containers } => format!(
            "resize pod {namespace}/{name}: {}",
            containers.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
        ),
        Action::DeletePod { namespace, name, grace_seconds } => {
            format!("delete pod {namespace}/{name} (grace {grace_seconds:?})")
        }
        Action::CreateSecret { namespace, name } => format!("create secret {namespace}/{name}"),
        Action::DeleteSecret { namespace, name } => format!("delete secret {namespace}/{name}"),
        Action::Fault(f) => format!("fault {}", serde_json::to_string(f).unwrap_or_default()),
    }
}

/// One line for a decision of the kubelet.
pub fn describe_decision(d: &Decision) -> String {
    match d {
        Decision::Planned { pod_uid, actions } => format!(
            "{pod_uid}: plan killPod={} createSandbox={} attempt={} init={:?} start={:?} ephemeral={:?} kill={:?}{}{}",
            actions.kill_pod,
            actions.create_sandbox,
            actions.attempt,
            actions.init_containers_to_start,
            actions.containers_to_start,
            actions.ephemeral_containers_to_start,
            actions.containers_to_kill.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(),
            describe_reset(actions),
            describe_update(actions)
        ),
        Decision::NotStarted { pod_uid, container, reason } => format!("{pod_uid}: {container} not started: {reason}"),
        Decision::Worker { pod_uid, state } => format!("{pod_uid}: worker {state:?}"),
        Decision::SyncFailed { pod_uid, error } => format!("{pod_uid}: sync failed: {error}"),
    }
}

/// The restart-all reset of a plan (KEP-5532), in the order it is carried out; "" if none.
fn describe_reset(actions: &podsim_model::PodActions) -> String {
    if actions.containers_to_reset.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = actions.containers_to_reset.iter().map(|r| r.name.as_str()).collect();
    format!(" reset={names:?}")
}

/// The in-place resize of a plan (`ContainersToUpdate`), by resource; "" if none.
fn describe_update(actions: &podsim_model::PodActions) -> String {
    let parts: Vec<String> = actions
        .containers_to_update
        .iter()
        .map(|(name, list)| {
            let names: Vec<&str> = list.iter().map(|u| u.name.as_str()).collect();
            format!("{name:?}={names:?}")
        })
        .collect();
    if parts.is_empty() {
        return String::new();
    }
    format!(" update=[{}]", parts.join(", "))
}

/// One line for a jittered timer the world resolved: what for, its base delay and jitter, what was
/// drawn.
pub fn describe_jittered_timer(timer: &Timer, delay: Millis, jitter: Jitter, extra: Millis) -> String {
    let what = match timer {
        Timer::PodSync { pod_uid, .. } => format!("{pod_uid}: next sync"),
        Timer::Rewatch => "pod list/watch retry".to_string(),
        Timer::SecretRewatch { namespace, name, .. } => format!("secret {namespace}/{name} list/watch retry"),
        other => format!("{other:?}"),
    };
    format!(
        "{what} in {delay} ms + jitter {}.{:03} drawn {extra} ms = {} ms",
        jitter.per_mille() / 1_000,
        jitter.per_mille() % 1_000,
        delay + extra
    )
}

/// One line for an API request.
pub fn short_api(r: &ApiRequest) -> String {
    match r {
        ApiRequest::ListPods { node } => format!("list pods on {node}"),
        ApiRequest::WatchPods { resource_version, .. } => format!("watch pods from rv {resource_version}"),
        ApiRequest::GetPod { namespace, name } => format!("get pod {namespace}/{name}"),
        ApiRequest::GetSecret { namespace, name } => format!("get secret {namespace}/{name}"),
        ApiRequest::ListSecret { namespace, name } => format!("list secret {namespace}/{name}"),
        ApiRequest::WatchSecret { namespace, name, resource_version } => {
            format!("watch secret {namespace}/{name} from rv {resource_version}")
        }
        ApiRequest::UpdatePodStatus { pod, status } => {
            format!("status {}/{}: {:?}", pod.namespace, pod.name, status.phase)
        }
        ApiRequest::DeletePod { pod } => format!("release pod {}/{}", pod.namespace, pod.name),
        ApiRequest::CreateEvent { event } => format!("create event {}/{}", event.namespace, event.name),
        ApiRequest::PatchEvent { event } => {
            format!("patch event {}/{} count {}", event.namespace, event.name, event.count)
        }
    }
}

/// The Event a request writes, if it writes one: `(namespace, name)`.
pub fn written_event(r: &ApiRequest) -> Option<(String, String)> {
    match r {
        ApiRequest::CreateEvent { event } | ApiRequest::PatchEvent { event } => {
            Some((event.namespace.clone(), event.name.clone()))
        }
        _ => None,
    }
}

/// One line for an API reply.
pub fn short_api_reply(r: &ApiReply) -> String {
    match r {
        ApiReply::PodList { pods, resource_version } => {
            format!("{} pods at rv {resource_version}", pods.len())
        }
        ApiReply::Watching => "watching".into(),
        ApiReply::Pod(p) => format!("pod rv {}", p.resource_version),
        ApiReply::Secret => "secret".into(),
        ApiReply::SecretList { exists, resource_version } => {
            format!("secret {} at rv {resource_version}", if *exists { "exists" } else { "not found" })
        }
        ApiReply::Ok => "ok".into(),
        ApiReply::Err(e) => format!("{e:?}"),
    }
}

/// One line for a node request.
pub fn short_node(r: &NodeRequest) -> String {
    match r {
        NodeRequest::MakeDataDir { pod_uid } => format!("mkdir {pod_uid}"),
        NodeRequest::MountVolume { pod_uid, volume } => format!("mount {pod_uid}/{volume}"),
        NodeRequest::UnmountVolume { pod_uid, volume } => format!("unmount {pod_uid}/{volume}"),
        NodeRequest::RemoveDataDir { pod_uid } => format!("rmdir {pod_uid}"),
        NodeRequest::ListPodDirs => "ls pods".to_string(),
    }
}

/// One line for a CRI call.
pub fn short_cri(r: &CriRequest) -> String {
    match r {
        CriRequest::ListPodSandbox { pod_uid } => {
            format!("ListPodSandbox {}", pod_uid.as_deref().unwrap_or("*"))
        }
        CriRequest::ListContainers { pod_uid } => {
            format!("ListContainers {}", pod_uid.as_deref().unwrap_or("*"))
        }
        CriRequest::RunPodSandbox { config } => {
            format!("RunPodSandbox {}/{} attempt {}", config.pod.namespace, config.pod.name, config.attempt)
        }
        CriRequest::StopPodSandbox { sandbox_id } => format!("StopPodSandbox {sandbox_id}"),
        CriRequest::RemovePodSandbox { sandbox_id } => format!("RemovePodSandbox {sandbox_id}"),
        CriRequest::ImageStatus { image } => format!("ImageStatus {image}"),
        CriRequest::PullImage { image } => format!("PullImage {image}"),
        CriRequest::CreateContainer { sandbox_id, config } => format!(
            "CreateContainer {}/{}/{} in {sandbox_id} restart {}",
            config.pod.namespace, config.pod.name, config.name, config.restart_count
        ),
        CriRequest::StartContainer { container_id } => format!("StartContainer {container_id}"),
        CriRequest::StopContainer { container_id, timeout_seconds } => {
            format!("StopContainer {container_id} (SIGTERM, SIGKILL after {timeout_seconds}s)")
        }
        CriRequest::RemoveContainer { container_id } => format!("RemoveContainer {container_id}"),
        CriRequest::UpdateContainerResources { container_id, resources } => format!(
            "UpdateContainerResources {container_id} cpu shares {} quota {}/{} memory limit {}",
            resources.cpu_shares, resources.cpu_quota, resources.cpu_period, resources.memory_limit_in_bytes
        ),
        CriRequest::ExecSync { container_id, cmd, timeout_seconds } => {
            format!("ExecSync {container_id} {:?} (timeout {timeout_seconds}s)", cmd.join(" "))
        }
    }
}

/// One line for a CRI reply.
pub fn short_cri_reply(r: &CriReply) -> String {
    match r {
        CriReply::Sandboxes(s) => format!("{} sandboxes", s.len()),
        CriReply::Containers(c) => format!("{} containers", c.len()),
        CriReply::SandboxCreated { sandbox_id } => sandbox_id.to_string(),
        CriReply::ContainerCreated { container_id } => container_id.to_string(),
        CriReply::ImagePresent(p) => format!("present {p}"),
        CriReply::Exec(r) if r.timed_out => "timed out".into(),
        CriReply::Exec(r) => format!("exit {}", r.exit_code),
        CriReply::Ok => "ok".into(),
        CriReply::Err(e) => format!("{e:?}"),
    }
}

/// One line for a CRI call as it is made: the call and the kubelet's call id (its reply names it).
pub fn describe_cri_call(call: CallId, request: &CriRequest) -> String {
    format!("{} #{}", short_cri(request), call.0)
}

/// One line for a CRI reply as it comes: the method, the call id and the reply.
pub fn describe_cri_reply(method: CriMethod, call: CallId, reply: &CriReply) -> String {
    format!("{method:?} #{} -> {}", call.0, short_cri_reply(reply))
}

/// One line for a container's process ending: its exit code, and the signal that ended it if the
/// code says one did (128 + the signal's number).
pub fn describe_exit(container_id: &str, code: i32) -> String {
    match signal_name(code) {
        Some(signal) => format!("container {container_id} exited with code {code} ({signal})"),
        None => format!("container {container_id} exited with code {code}"),
    }
}

/// The signal an exit code of 128 + N tells of, for the signals the kubelet and runtimes send.
fn signal_name(code: i32) -> Option<&'static str> {
    match code {
        podsim_model::workload::SIGKILL_EXIT_CODE => Some("SIGKILL"),
        podsim_model::workload::SIGTERM_EXIT_CODE => Some("SIGTERM"),
        130 => Some("SIGINT"),
        134 => Some("SIGABRT"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exit_names_its_code_and_the_signal_it_tells_of() {
        assert_eq!(describe_exit("c", 0), "container c exited with code 0");
        assert_eq!(describe_exit("c", 137), "container c exited with code 137 (SIGKILL)");
        assert_eq!(describe_exit("c", 143), "container c exited with code 143 (SIGTERM)");
        assert_eq!(describe_exit("c", 2), "container c exited with code 2");
    }

    #[test]
    fn a_call_and_its_reply_name_the_same_call() {
        let stop = CriRequest::StopContainer { container_id: "c".into(), timeout_seconds: 5 };
        assert_eq!(describe_cri_call(CallId(7), &stop), "StopContainer c (SIGTERM, SIGKILL after 5s) #7");
        assert_eq!(
            describe_cri_reply(CriMethod::of(&stop), CallId(7), &CriReply::Ok),
            "StopContainer #7 -> ok"
        );
    }
}
