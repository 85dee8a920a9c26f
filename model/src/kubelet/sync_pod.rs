//! `SyncPod`: the sync of a pod that should run (pkg/kubelet/kubelet.go `SyncPod`, then the runtime's
//! pkg/kubelet/kuberuntime/kuberuntime_manager.go `SyncPod`).
//!
//! The kubelet's half: make the data directory, mount the volumes (`WaitForAttachAndMount`), read the
//! image pull Secrets (`getPullSecretsForPod`), read the runtime's state of the pod (`GetPodStatus`),
//! and hand the status manager the pod's status. The runtime's half follows its doc's steps 1-8:
//!
//! 1. Compute sandbox and container changes (`computePodActions`).
//! 2. Kill pod sandbox if necessary ([`super::kill`]), purging the init containers ([`super::gc`]).
//! 3. Kill any containers that should not be running ([`super::kill`]).
//! 4. Create sandbox if necessary (`createPodSandbox`).
//! 5. Create ephemeral containers, 6. init containers, 8. normal containers: each
//!    `startContainer` ([`super::start`]).
//! 7. Resize running containers in place: `UpdateContainerResources` ([`super::resize`]).
//!
//! podsim runs the container GC of the pod (kuberuntime_gc.go) at the start of the runtime half
//! ([`super::gc`]).

use std::collections::BTreeSet;

use super::gc::collect_garbage;
use super::kill::{stop_containers_to_kill, sync_grace_seconds};
use super::sync_run::Step;
use super::Kubelet;
use crate::actions::{compute_pod_actions_opts, record_plan_probes, PlanOptions, PodActions};
use crate::coverage::{Probe, Probes};
use crate::events::{self, EventType};
use crate::io::{CriReply, CriRequest, Decision, NodeReply, NodeRequest, Output, PodRef, SandboxConfig};
use crate::pod::{ContainerKind, Pod, Volume, VolumeSource};
use crate::runtime::{ContainerState, Millis, RuntimePodStatus};

/// The steps of `SyncPod` before the runtime's, in kubelet.go's order: the runtime's state (the pod
/// worker reads it from the pod cache before `SyncPod`), the status generated from it and handed to
/// the status manager (a terminal pod's sync ends there), the data directory, the volumes (a secret
/// volume's setup first gets its Secret from the Secret manager), a `Get` of each image pull Secret
/// (a Secret it cannot get is only logged), then the plan. So a pod whose volumes cannot be mounted
/// still reports its status (Pending, its containers ContainerCreating).
pub(super) fn sync_pod_steps(pod: &Pod) -> Vec<Step> {
    let namespace = &pod.namespace;
    let volume_secrets: BTreeSet<&String> = pod.spec.volumes.iter().filter_map(secret_of_volume).collect();
    let mut steps = vec![Step::ReadRuntime, Step::ReportStatus, Step::MakeDataDir];
    steps.extend(volume_secrets.into_iter().map(|s| Step::AwaitSecret((namespace.clone(), s.clone()))));
    steps.push(Step::MountVolumes);
    steps.extend(
        pod.spec.image_pull_secrets.iter().map(|s| Step::AwaitSecret((namespace.clone(), s.clone()))),
    );
    steps.push(Step::Plan);
    steps
}

/// The Secret a secret volume holds.
fn secret_of_volume(volume: &Volume) -> Option<&String> {
    match &volume.source {
        VolumeSource::Secret { secret_name, .. } => Some(secret_name),
        VolumeSource::ConfigMap { .. }
        | VolumeSource::EmptyDir
        | VolumeSource::HostPath { .. }
        | VolumeSource::Other => None,
    }
}

impl Kubelet {
    /// `makePodDataDirs` (its UID is the worker's key).
    pub(super) fn make_data_dir(&mut self, uid: &str, out: &mut Vec<Output>) {
        let request = NodeRequest::MakeDataDir { pod_uid: uid.to_string() };
        self.call(uid, out, |call| Output::Node { call, request });
    }

    /// The data directory is made, or the sync fails.
    pub(super) fn on_data_dir_made(
        &mut self,
        uid: &str,
        reply: NodeReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        match reply {
            NodeReply::Err(e) => {
                self.hit(Probe::SyncFailDataDir);
                self.fail(uid, format!("make data directory: {e}"));
                self.event_data_dir_failed(uid, &e, now, out);
            }
            // Done (a listing is no failure either: only `Err` is).
            NodeReply::Ok | NodeReply::PodDirs(_) => {}
        }
    }

    /// `WaitForAttachAndMount`: mount each volume not mounted yet. A secret volume is set up with its
    /// Secret, which the steps before got from the Secret manager (`GetSecret`, which also keeps the
    /// Secret's cache item from going idle): one whose Secret is missing (and the volume not
    /// optional), or whose cache never filled, fails to mount, and with it the sync, so that no
    /// container of the pod starts (`MountVolume.SetUp failed for volume "v" : secret "s" not
    /// found`).
    pub(super) fn mount_volumes(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let w = &self.workers[uid];
        let pod = &w.pod;
        let mut to_mount = Vec::new();
        let mut failed = Vec::new();
        for volume in pod.spec.volumes.iter().filter(|v| !w.mounted.contains(&v.name)) {
            let error = match &volume.source {
                VolumeSource::Secret { secret_name, optional } => {
                    let lookup = self.secrets.lookup(&(pod.namespace.clone(), secret_name.clone()));
                    lookup.error(secret_name, *optional)
                }
                _ => None,
            };
            match error {
                Some(e) => failed.push((volume.name.clone(), e)),
                None => to_mount.push(volume.name.clone()),
            }
        }
        for (volume, e) in failed {
            self.probes_hit.hit(Probe::SyncFailMount);
            self.fail(uid, format!("MountVolume.SetUp failed for volume {volume:?}: {e}"));
            self.event_mount_failed(uid, &volume, &e, now, out);
        }
        for volume in to_mount {
            let request = NodeRequest::MountVolume { pod_uid: uid.to_string(), volume: volume.clone() };
            self.call_about(uid, volume.into(), out, |call| Output::Node { call, request });
        }
    }

    /// A volume is mounted, or the sync fails.
    pub(super) fn on_volume_mounted(
        &mut self,
        uid: &str,
        call: crate::io::CallId,
        reply: NodeReply,
        now: Millis,
        out: &mut Vec<Output>,
    ) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        let Some(run) = w.sync.as_mut() else { return };
        let volume =
            run.subjects.remove(&call).expect("a mount is called with call_about, which names its volume");
        match reply {
            NodeReply::Err(e) => {
                self.probes_hit.hit(Probe::SyncFailMount);
                self.fail(uid, format!("MountVolume.SetUp failed for volume {volume:?}: {e}"));
                self.event_mount_failed(uid, &volume, &e, now, out);
            }
            NodeReply::Ok | NodeReply::PodDirs(_) => {
                w.mounted.insert(volume.into());
            }
        }
    }

    /// `GetPodStatus`: list the pod's sandboxes and containers.
    pub(super) fn read_runtime(&mut self, uid: &str, out: &mut Vec<Output>) {
        if let Some(run) = self.sync_mut(uid) {
            run.read_sandboxes = None;
            run.read_containers = None;
        }
        self.cri(uid, out, CriRequest::ListPodSandbox { pod_uid: Some(uid.to_string()) });
        self.cri(uid, out, CriRequest::ListContainers { pod_uid: Some(uid.to_string()) });
    }

    /// One of the pod's lists is in: once both are, they make the runtime state; anything else fails
    /// the sync.
    pub(super) fn on_runtime_read(&mut self, uid: &str, reply: CriReply) {
        let Some(run) = self.sync_mut(uid) else { return };
        match reply {
            CriReply::Sandboxes(s) => run.read_sandboxes = Some(s),
            CriReply::Containers(c) => run.read_containers = Some(c),
            other => {
                self.hit(Probe::SyncFailReadRuntime);
                self.fail(uid, format!("read runtime: {other:?}"));
                return;
            }
        }
        assemble_runtime(run, uid);
    }

    /// The `ReportStatus` step: the sync first notes whether a resize is still being carried out
    /// (`CheckPodResizeInProgress`, on the pod with its allocated resources), then generates the
    /// status and hands it to the status manager. A terminal pod (Succeeded or Failed) ends its sync
    /// here, before its directory and volumes: the pod worker terminates it.
    pub(super) fn report_sync_status(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        if self.config.feature_gates.in_place_pod_vertical_scaling {
            let allocated_pod = self.allocation.update_pod_from_allocation(self.pod_of(uid));
            let runtime = self.sync_mut(uid).map(|run| run.runtime.clone()).unwrap_or_default();
            self.check_pod_resize_in_progress(&allocated_pod, &runtime, now, out);
        }
        let reported = self.report_status(uid, false, now, out);
        let w = self.workers.get_mut(uid).expect("a sync's step runs for a pod with a worker");
        if reported.terminal && !w.is_deleted() {
            // Succeeded or Failed: nothing will run again; stop the sandbox and release its volumes.
            self.probes_hit.hit(Probe::TerminateTerminalPod);
            w.terminal_only = true;
            w.terminate_requested = true;
            return;
        }
        if let Some(run) = w.sync.as_mut() {
            run.reported = Some(reported);
        }
    }

    /// The `Plan` step: Step 1 of the runtime's `SyncPod`, which queues the steps 2-8. The sync
    /// works from the pod with its allocated resources (`UpdatePodFromAllocation`).
    pub(super) fn plan(&mut self, uid: &str, now: Millis, out: &mut Vec<Output>) {
        let allocated_pod = self.allocation.update_pod_from_allocation(self.pod_of(uid));
        let w = self.workers.get_mut(uid).expect("a sync's step runs for a pod with a worker");
        let run = w.sync.as_mut().expect("the Plan step runs within a sync");
        let reported = run.reported.expect("the ReportStatus step runs before the Plan step");
        // Step 1: Compute sandbox and container changes. The kubelet's gates decide the plan, and the
        // status just generated whether every container restarts in place.
        let options = PlanOptions {
            gates: self.config.feature_gates,
            restart_all_containers: reported.restart_all_containers,
            bugs: self.config.bugs,
            // podsim's kubelet keeps no actuated checkpoint: resizes compare with the runtime.
            actuated: None,
        };
        let actions = compute_pod_actions_opts(&allocated_pod, &run.runtime, &self.probes, &options);
        record_plan_probes(&allocated_pod, &run.runtime, &options, &actions, &mut self.probes_hit);
        if reported.first && adopts_running(&run.runtime, &actions) {
            self.probes_hit.hit(Probe::StartupAdoptedRunning);
        }
        if !actions.is_noop() {
            out.push(Output::Decision(Decision::Planned {
                pod_uid: uid.to_string(),
                actions: actions.clone(),
            }));
        }
        let steps = runtime_steps(&allocated_pod, &run.runtime, &actions, &mut self.probes_hit);
        run.sandbox_id = actions.sandbox_id.as_str().into();
        run.attempt = actions.attempt;
        run.push_next(steps.into_iter());
        if actions.create_sandbox && !actions.sandbox_id.is_empty() {
            // Before step 2: a sandbox exists, and it is to be replaced.
            let message = "Pod sandbox changed, it will be killed and re-created.".to_string();
            self.pod_event(uid, EventType::Normal, events::reason::SANDBOX_CHANGED, message, now, out);
        }
    }

    /// Step 4: `createPodSandbox`.
    pub(super) fn run_sandbox(&mut self, uid: &str, attempt: u32, out: &mut Vec<Output>) {
        let pod = self.pod_of(uid);
        let config = SandboxConfig { pod: PodRef::of(pod), attempt, host_network: pod.spec.host_network };
        self.cri(uid, out, CriRequest::RunPodSandbox { config });
    }

    /// The sandbox the containers start in, or the sync fails ("Failed to create sandbox").
    pub(super) fn on_sandbox_run(&mut self, uid: &str, reply: CriReply, now: Millis, out: &mut Vec<Output>) {
        match reply {
            CriReply::SandboxCreated { sandbox_id } => {
                if let Some(run) = self.sync_mut(uid) {
                    run.sandbox_id = sandbox_id;
                }
            }
            other => {
                self.hit(Probe::SyncFailRunSandbox);
                self.fail(uid, format!("create pod sandbox: {other:?}"));
                self.event_sandbox_failed(uid, &other, now, out);
            }
        }
    }
}

/// Builds the pod's runtime status once both lists are in (only objects labelled with its UID).
fn assemble_runtime(run: &mut super::sync_run::SyncRun, uid: &str) {
    let (Some(sandboxes), Some(containers)) = (&run.read_sandboxes, &run.read_containers) else { return };
    let ours = |p: &Option<PodRef>| p.as_ref().is_some_and(|p| p.uid == uid);
    run.runtime = RuntimePodStatus {
        sandboxes: sandboxes.iter().filter(|s| ours(&s.pod)).map(|s| s.status.clone()).collect(),
        containers: containers.iter().filter(|c| ours(&c.pod)).map(|c| c.status.clone()).collect(),
    };
}

/// The runtime's `SyncPod` for a plan, steps 2-8 (after the pod's container GC): kill, purge,
/// sandbox, then starts (ephemeral, init, regular).
fn runtime_steps(
    pod: &Pod,
    runtime: &RuntimePodStatus,
    actions: &PodActions,
    probes: &mut Probes,
) -> Vec<Step> {
    let mut steps = collect_garbage(runtime, probes);
    let grace = sync_grace_seconds(pod);
    if actions.kill_pod {
        // Step 2: Kill the pod if the sandbox has changed.
        steps.push(Step::KillPod { grace_seconds: grace });
        if actions.create_sandbox {
            // A new sandbox starts initialisation over: purge the old init containers.
            steps.extend(super::gc::purge_init_containers(pod, runtime, probes));
        }
    } else if !actions.containers_to_reset.is_empty() {
        // Step 3 (RestartAllContainers): kill and remove every container, keep the sandbox.
        steps.extend(super::restart_all::reset_steps(actions));
    } else if !actions.containers_to_kill.is_empty() {
        // Step 3: kill any running containers in this pod which are not to keep.
        steps.push(stop_containers_to_kill(actions, grace));
    }
    // Step 4: Create a sandbox for the pod if necessary.
    if actions.create_sandbox {
        steps.push(Step::RunSandbox { attempt: actions.attempt });
    }
    // Step 5: start ephemeral containers.
    steps.extend(
        actions.ephemeral_containers_to_start.iter().map(|&i| Step::Start(ContainerKind::Ephemeral, i)),
    );
    // Step 6: start init containers (with SidecarContainers off, the legacy path names the one init
    // container to start next).
    steps.extend(actions.init_containers_to_start.iter().map(|&i| Step::Start(ContainerKind::Init, i)));
    steps.extend(actions.next_init_container_to_start.map(|i| Step::Start(ContainerKind::Init, i)));
    // Step 7: resize running containers in place (`doPodResizeAction`).
    steps.extend(super::resize::resize_steps(actions));
    // Step 8: start containers in podContainerChanges.ContainersToStart.
    steps.extend(actions.containers_to_start.iter().map(|&i| Step::Start(ContainerKind::Regular, i)));
    steps
}

/// A worker's first sync finds containers running (a kubelet restarted under them) and the plan keeps
/// them: no new sandbox, no kill of the pod, and some running container not among the kills.
fn adopts_running(runtime: &RuntimePodStatus, actions: &PodActions) -> bool {
    !actions.kill_pod
        && runtime.containers.iter().any(|c| {
            c.state == ContainerState::Running && !actions.containers_to_kill.iter().any(|k| k.id == c.id)
        })
}
