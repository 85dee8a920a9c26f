//! What the checker is told: one observation per thing that happened, handed to every rule that
//! reacts to its kind, then taken into the checker's shared memory.

use podsim_model::io::{CriReply, CriRequest, PodRef};
use podsim_model::{Millis, Pod, PodPhase};

use super::liveness::Goal;
use super::View;
use crate::etcd::StoredPod;
use crate::scenario::Expectations;

/// One thing that happened, as the checker sees it. Those the runtime or the node can tell about
/// carry the view of the world at that moment.
pub enum Observation<'o> {
    /// The API server stored this version of a pod: its hashes are legitimate specs.
    Spec(&'o Pod),
    /// The kubelet was shown this version of a pod (a watch event, a list, a get).
    KubeletSawPod(&'o Pod),
    /// The kubelet read a Secret and found it, or not.
    KubeletSawSecret {
        /// The Secret's namespace.
        namespace: &'o str,
        /// Its name.
        name: &'o str,
        /// Whether the read found it.
        exists: bool,
    },
    /// A new kubelet process started (its memory is gone).
    KubeletStart,
    /// The API server took a status write of the kubelet's for the pod.
    StatusWritten {
        /// The pod.
        pod: &'o PodRef,
        /// The phase written.
        phase: PodPhase,
    },
    /// A plan killed these running containers of the pod and starts them again (a new plan of the
    /// pod replaces the last one's list).
    RestartPlanned {
        /// The pod's UID.
        pod_uid: &'o str,
        /// The containers killed and started again.
        containers: &'o [String],
    },
    /// The kubelet decided to kill a pod's containers within a sync (`computePodActions`: the whole
    /// pod, or the named containers). A `killContainer` runs on the grace period it began with, even
    /// if a deletion reaches the kubelet while it runs (a preStop hook, a sidecar's wait).
    KillPlanned {
        /// The pod's UID.
        pod_uid: &'o str,
        /// Every container of the pod (`killPod`).
        whole_pod: bool,
        /// The containers named to kill.
        containers: &'o [String],
        /// The grace period the kill began with, if not the pod's own: RestartAllContainers' reset
        /// kills with none beyond the kubelet's floor.
        grace_seconds: Option<i64>,
    },
    /// The node reboots: every process dies, none by itself.
    Reboot {
        /// The world just before.
        view: &'o View<'o>,
    },
    /// A container's process stopped running.
    Exit {
        /// The container.
        container_id: &'o str,
        /// The world just after.
        view: &'o View<'o>,
    },
    /// The kubelet makes a CRI call; the runtime has not carried it out yet.
    BeforeCri {
        /// The call.
        request: &'o CriRequest,
        /// The world before it.
        view: &'o View<'o>,
    },
    /// The runtime answered a CRI call.
    AfterCri {
        /// The call.
        request: &'o CriRequest,
        /// The runtime's answer.
        reply: &'o CriReply,
        /// The world after it.
        view: &'o View<'o>,
    },
    /// The API server released a pod's API object at the kubelet's request.
    Release {
        /// The pod's UID.
        pod_uid: &'o str,
        /// The world then.
        view: &'o View<'o>,
    },
    /// Liveness, once for the node: the world settled `waited` seconds ago.
    Settled {
        /// Seconds since the last fault healed and the last change was made.
        waited: Millis,
        /// The world now.
        view: &'o View<'o>,
    },
    /// Liveness, once per pod bound to the node, after [`Observation::Settled`].
    SettledPod {
        /// The pod as the API server has it.
        stored: &'o StoredPod,
        /// What its spec and restart policy ask of the node.
        goal: &'o Goal,
        /// Seconds since the world settled.
        waited: Millis,
        /// The world now.
        view: &'o View<'o>,
    },
    /// The world stopped a run that went past its limit of events.
    Livelock {
        /// The limit.
        events: u64,
    },
    /// The end of a run, judged against the scenario's expectations.
    Expectations {
        /// The expectations.
        expect: &'o Expectations,
        /// The world at the end.
        view: &'o View<'o>,
    },
}

/// The kinds of [`Observation`], for the rules to say which they react to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ObservationKind {
    /// [`Observation::Spec`].
    Spec,
    /// [`Observation::KubeletSawPod`].
    KubeletSawPod,
    /// [`Observation::KubeletSawSecret`].
    KubeletSawSecret,
    /// [`Observation::KubeletStart`].
    KubeletStart,
    /// [`Observation::StatusWritten`].
    StatusWritten,
    /// [`Observation::KillPlanned`].
    KillPlanned,
    /// [`Observation::Reboot`].
    Reboot,
    /// [`Observation::Exit`].
    Exit,
    /// [`Observation::BeforeCri`].
    BeforeCri,
    /// [`Observation::AfterCri`].
    AfterCri,
    /// [`Observation::Release`].
    Release,
    /// [`Observation::Settled`].
    Settled,
    /// [`Observation::SettledPod`].
    SettledPod,
    /// [`Observation::Livelock`].
    Livelock,
    /// [`Observation::Expectations`].
    Expectations,
}

impl Observation<'_> {
    /// Its kind.
    pub fn kind(&self) -> ObservationKind {
        match self {
            Observation::Spec(_) => ObservationKind::Spec,
            Observation::KubeletSawPod(_) => ObservationKind::KubeletSawPod,
            Observation::KubeletSawSecret { .. } => ObservationKind::KubeletSawSecret,
            Observation::KubeletStart => ObservationKind::KubeletStart,
            Observation::StatusWritten { .. } => ObservationKind::StatusWritten,
            Observation::KillPlanned { .. } => ObservationKind::KillPlanned,
            Observation::RestartPlanned { .. } => ObservationKind::KillPlanned,
            Observation::Reboot { .. } => ObservationKind::Reboot,
            Observation::Exit { .. } => ObservationKind::Exit,
            Observation::BeforeCri { .. } => ObservationKind::BeforeCri,
            Observation::AfterCri { .. } => ObservationKind::AfterCri,
            Observation::Release { .. } => ObservationKind::Release,
            Observation::Settled { .. } => ObservationKind::Settled,
            Observation::SettledPod { .. } => ObservationKind::SettledPod,
            Observation::Livelock { .. } => ObservationKind::Livelock,
            Observation::Expectations { .. } => ObservationKind::Expectations,
        }
    }
}
