//! A node that is not empty at start, on a real containerd: the scenario's `node.runtime` sandboxes
//! and containers created through the CRI before the kubelet model starts, with the kubelet's labels
//! and annotations and the run's label (so that the clean-up finds them), as an earlier kubelet would
//! have left them.
//!
//! - a ready sandbox is run; a not-ready one is run and then stopped, or, if one of its containers is
//!   to be running, its pause process is SIGKILLed (a pause death: its containers go on);
//! - a created container is created, a running one created and started; an exited one runs
//!   `workload exit-after 0ms CODE` and is waited for, so that it exits with its code.

use std::collections::BTreeMap;
use std::time::Duration;

use podsim_model::io::{ContainerConfig, CriReply, CriRequest, SandboxConfig};
use podsim_model::workload::Workload;
use podsim_model::ContainerState;
use podsim_sim::node_setup::{PresetContainer, PresetState};
use podsim_sim::scenario::Scenario;

use crate::client::CriClient;

/// How long an exited preset container may take to exit.
const EXIT_WAIT: Duration = Duration::from_secs(20);
/// How often its state is read meanwhile.
const EXIT_POLL: Duration = Duration::from_millis(50);

/// Creates the scenario's preset sandboxes and containers; returns the runtime's id of each (by the
/// scenario's id).
pub async fn create_preset_runtime(
    client: &CriClient,
    scenario: &Scenario,
) -> Result<BTreeMap<String, String>, String> {
    let setup = &scenario.node_setup;
    let mut ids = BTreeMap::new();
    for s in &setup.sandboxes {
        let config = SandboxConfig { pod: s.pod.clone(), attempt: s.attempt, host_network: false };
        match client.call(&CriRequest::RunPodSandbox { config }).await {
            CriReply::SandboxCreated { sandbox_id } => ids.insert(s.id.clone(), sandbox_id.to_string()),
            other => return Err(format!("node.runtime sandbox {}: RunPodSandbox: {other:?}", s.id)),
        };
    }
    for c in &setup.containers {
        let sandbox_id = ids.get(&c.sandbox).cloned().ok_or_else(|| format!("no sandbox {}", c.sandbox))?;
        let id = create_container(client, scenario, c, &sandbox_id).await?;
        ids.insert(c.id.clone(), id);
    }
    for s in setup.sandboxes.iter().filter(|s| !s.ready) {
        let runs = |c: &&PresetContainer| c.sandbox == s.id && c.state == PresetState::Running;
        let sandbox_id = &ids[&s.id];
        if setup.containers.iter().any(|c| runs(&c)) {
            kill_pause(client, sandbox_id).await?;
        } else {
            let request = CriRequest::StopPodSandbox { sandbox_id: sandbox_id.as_str().into() };
            if let other @ CriReply::Err(_) = client.call(&request).await {
                return Err(format!("node.runtime sandbox {}: StopPodSandbox: {other:?}", s.id));
            }
        }
    }
    Ok(ids)
}

/// One container: created, started unless it stays created, and waited for if it is to be exited.
async fn create_container(
    client: &CriClient,
    scenario: &Scenario,
    c: &PresetContainer,
    sandbox_id: &str,
) -> Result<String, String> {
    let timeline = &scenario.timeline;
    let (command, args) = match c.state {
        PresetState::Exited => (Workload::ExitAfter { after: 0, code: c.exit_code }.to_command(), Vec::new()),
        PresetState::Created | PresetState::Running => c.command(timeline),
    };
    let config = ContainerConfig {
        pod: c.pod.clone(),
        name: c.name.as_str().into(),
        kind: c.kind(timeline),
        image: c.image.as_str().into(),
        command,
        args,
        hash: c.hash_value(timeline),
        restart_count: c.restart_count,
        attempt: c.restart_count,
        resources: None,
    };
    let request = CriRequest::CreateContainer { sandbox_id: sandbox_id.into(), config };
    let id = match client.call(&request).await {
        CriReply::ContainerCreated { container_id } => container_id,
        other => return Err(format!("node.runtime container {}: CreateContainer: {other:?}", c.id)),
    };
    if c.state == PresetState::Created {
        return Ok(id.to_string());
    }
    if let other @ CriReply::Err(_) =
        client.call(&CriRequest::StartContainer { container_id: id.clone() }).await
    {
        return Err(format!("node.runtime container {}: StartContainer: {other:?}", c.id));
    }
    if c.state == PresetState::Exited {
        wait_for_exit(client, &c.id, &id).await?;
    }
    Ok(id.to_string())
}

async fn wait_for_exit(client: &CriClient, name: &str, id: &str) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + EXIT_WAIT;
    while tokio::time::Instant::now() < deadline {
        if let CriReply::Containers(list) = client.call(&CriRequest::ListContainers { pod_uid: None }).await {
            if list.iter().any(|i| i.status.id == id && i.status.state == ContainerState::Exited) {
                return Ok(());
            }
        }
        tokio::time::sleep(EXIT_POLL).await;
    }
    Err(format!("node.runtime container {name} did not exit within {EXIT_WAIT:?}"))
}

/// The sandbox's pause process dies (SIGKILL), as a pause death does.
async fn kill_pause(client: &CriClient, sandbox_id: &str) -> Result<(), String> {
    let pid = client
        .sandbox_pid(sandbox_id)
        .await
        .map_err(|e| format!("no pause process for {sandbox_id}: {e:?}"))?
        .ok_or_else(|| format!("no pause process for {sandbox_id}"))?;
    // SAFETY: kill(2) with the pid the runtime reported for the pause process of this run's sandbox.
    let rc = unsafe { libc::kill(pid, libc::SIGKILL) };
    if rc != 0 {
        return Err(format!("kill {pid}: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}
