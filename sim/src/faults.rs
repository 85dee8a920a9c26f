//! The fault catalog: every fault podsim can inject, named and documented, usable at a fixed time
//! from a scenario's timeline or drawn from the seed by a [`FaultProfile`] ("swarm testing": each
//! seed enables its own subset of kinds, each with its own rate, and every fault ends by a time).

use serde::{Deserialize, Serialize};

use podsim_model::Millis;

use crate::containerd::CriMethod;
use crate::rng::SimRng;

/// Which way a partition between the kubelet and the API server cuts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    /// Nothing passes either way.
    Both,
    /// The kubelet's requests do not reach the API server.
    ToApiServer,
    /// Replies and watch events do not reach the kubelet.
    FromApiServer,
}

/// One fault, with its parameters. Durations are virtual milliseconds; targets name a pod (by
/// `namespace/name` or just `name` in `default`) and a container; an absent target is drawn from the
/// seed among what exists when the fault fires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "kind", deny_unknown_fields)]
pub enum Fault {
    /// Cut the network between the kubelet and the API server for `duration`.
    Partition {
        /// Which way.
        #[serde(default = "both")]
        direction: Direction,
        /// How long.
        #[serde(with = "crate::scenario::duration")]
        duration: Millis,
    },
    /// Break the kubelet's pod watch connection (it re-watches, or relists).
    DropWatch,
    /// Add `extra` latency to every message between the kubelet and the API server for `duration`.
    Latency {
        /// The added one-way latency.
        #[serde(with = "crate::scenario::duration")]
        extra: Millis,
        /// How long.
        #[serde(with = "crate::scenario::duration")]
        duration: Millis,
    },
    /// The API server restarts: down for `downtime`, watches closed.
    ApiServerRestart {
        /// How long it is down.
        #[serde(with = "crate::scenario::duration")]
        downtime: Millis,
    },
    /// etcd compacts its history and the watch breaks: re-watching from the old resource version is
    /// 410 Gone and the kubelet must relist.
    EtcdCompaction,
    /// etcd is unavailable for `duration`: the API server answers 503.
    EtcdUnavailable {
        /// How long.
        #[serde(with = "crate::scenario::duration")]
        duration: Millis,
    },
    /// A Secret is deleted, then created again after `duration` (0: never).
    SecretMissing {
        /// The Secret (namespace `default` unless `namespace/name`).
        secret: String,
        /// How long it is missing (0: for good).
        #[serde(default, with = "crate::scenario::duration")]
        duration: Millis,
    },
    /// Pulls of `image` fail: `permanent`, or the next `failures` pulls.
    ImagePullFailure {
        /// The image.
        image: String,
        /// Every pull fails from now on.
        #[serde(default)]
        permanent: bool,
        /// How many pulls fail (when not permanent).
        #[serde(default = "one")]
        failures: u32,
    },
    /// Pulls of `image` take `latency`.
    SlowPull {
        /// The image.
        image: String,
        /// The pull latency.
        #[serde(with = "crate::scenario::duration")]
        latency: Millis,
    },
    /// A container's process crashes with `exit_code`.
    ContainerCrash {
        /// The pod.
        #[serde(default)]
        pod: Option<String>,
        /// The container.
        #[serde(default)]
        container: Option<String>,
        /// Its exit code.
        #[serde(default = "one_i32")]
        exit_code: i32,
    },
    /// The kernel OOM-kills a container (exit 137, reason OOMKilled).
    OomKill {
        /// The pod.
        #[serde(default)]
        pod: Option<String>,
        /// The container.
        #[serde(default)]
        container: Option<String>,
    },
    /// A pod's pause process dies: its sandbox becomes NOTREADY.
    PauseDeath {
        /// The pod.
        #[serde(default)]
        pod: Option<String>,
    },
    /// containerd restarts: down for `downtime`; running containers survive.
    ContainerdRestart {
        /// How long it is down.
        #[serde(with = "crate::scenario::duration")]
        downtime: Millis,
    },
    /// The next `count` calls of a CRI method fail (`timeout`: with DeadlineExceeded after 2 s).
    CriFailure {
        /// The method.
        method: CriMethod,
        /// How many calls.
        #[serde(default = "one")]
        count: u32,
        /// Time out rather than fail at once.
        #[serde(default)]
        timeout: bool,
    },
    /// The kubelet crashes (all its memory lost) and starts again after `downtime`.
    KubeletRestart {
        /// How long it is down.
        #[serde(with = "crate::scenario::duration")]
        downtime: Millis,
    },
    /// The node reboots: every process dies, volume mounts are gone, containerd and the kubelet
    /// come back after `downtime`.
    NodeReboot {
        /// How long the node is down.
        #[serde(with = "crate::scenario::duration")]
        downtime: Millis,
    },
    /// Mounting volumes (of one pod, or all) fails for `duration`.
    MountFailure {
        /// The pod, or every pod.
        #[serde(default)]
        pod: Option<String>,
        /// How long.
        #[serde(with = "crate::scenario::duration")]
        duration: Millis,
    },
    /// Making pod data directories fails for `duration`.
    DataDirFailure {
        /// How long.
        #[serde(with = "crate::scenario::duration")]
        duration: Millis,
    },
    /// An image is removed from the node.
    RemoveImage {
        /// The image.
        image: String,
    },
    /// A running container's probes fail for `duration`: its answers to the probe checks of these
    /// probe types (`workload check live` for liveness, `ready` for readiness, `started` for startup)
    /// fail, whatever its health options say; then they are as before.
    ProbeFailure {
        /// The pod.
        #[serde(default)]
        pod: Option<String>,
        /// The container.
        #[serde(default)]
        container: Option<String>,
        /// Which probe types (default: all three).
        #[serde(default = "every_probe")]
        probes: Vec<FaultProbe>,
        /// How long.
        #[serde(with = "crate::scenario::duration")]
        duration: Millis,
    },
}

/// A probe type a [`Fault::ProbeFailure`] fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultProbe {
    /// `livenessProbe`: the `live` check.
    Liveness,
    /// `readinessProbe`: the `ready` check.
    Readiness,
    /// `startupProbe`: the `started` check.
    Startup,
}

impl FaultProbe {
    /// The check a probe of this type runs, by podsim's convention.
    pub fn check(self) -> podsim_model::workload::Check {
        match self {
            FaultProbe::Liveness => podsim_model::workload::Check::Live,
            FaultProbe::Readiness => podsim_model::workload::Check::Ready,
            FaultProbe::Startup => podsim_model::workload::Check::Started,
        }
    }
}

fn every_probe() -> Vec<FaultProbe> {
    vec![FaultProbe::Liveness, FaultProbe::Readiness, FaultProbe::Startup]
}

fn both() -> Direction {
    Direction::Both
}
fn one() -> u32 {
    1
}
fn one_i32() -> i32 {
    1
}

/// The name of each fault kind, for profiles, summaries and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultKind {
    /// [`Fault::Partition`].
    Partition,
    /// [`Fault::DropWatch`].
    DropWatch,
    /// [`Fault::Latency`].
    Latency,
    /// [`Fault::ApiServerRestart`].
    ApiServerRestart,
    /// [`Fault::EtcdCompaction`].
    EtcdCompaction,
    /// [`Fault::EtcdUnavailable`].
    EtcdUnavailable,
    /// [`Fault::SecretMissing`].
    SecretMissing,
    /// [`Fault::ImagePullFailure`].
    ImagePullFailure,
    /// [`Fault::SlowPull`].
    SlowPull,
    /// [`Fault::ContainerCrash`].
    ContainerCrash,
    /// [`Fault::OomKill`].
    OomKill,
    /// [`Fault::PauseDeath`].
    PauseDeath,
    /// [`Fault::ContainerdRestart`].
    ContainerdRestart,
    /// [`Fault::CriFailure`].
    CriFailure,
    /// [`Fault::KubeletRestart`].
    KubeletRestart,
    /// [`Fault::NodeReboot`].
    NodeReboot,
    /// [`Fault::MountFailure`].
    MountFailure,
    /// [`Fault::DataDirFailure`].
    DataDirFailure,
    /// [`Fault::RemoveImage`].
    RemoveImage,
    /// [`Fault::ProbeFailure`].
    ProbeFailure,
}

impl FaultKind {
    /// Its name in a scenario (`partition`, `oomKill`).
    pub fn name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
    }

    /// Every kind, in catalog order.
    pub const ALL: [FaultKind; 20] = [
        FaultKind::Partition,
        FaultKind::DropWatch,
        FaultKind::Latency,
        FaultKind::ApiServerRestart,
        FaultKind::EtcdCompaction,
        FaultKind::EtcdUnavailable,
        FaultKind::SecretMissing,
        FaultKind::ImagePullFailure,
        FaultKind::SlowPull,
        FaultKind::ContainerCrash,
        FaultKind::OomKill,
        FaultKind::PauseDeath,
        FaultKind::ContainerdRestart,
        FaultKind::CriFailure,
        FaultKind::KubeletRestart,
        FaultKind::NodeReboot,
        FaultKind::MountFailure,
        FaultKind::DataDirFailure,
        FaultKind::RemoveImage,
        FaultKind::ProbeFailure,
    ];
}

impl Fault {
    /// Its kind.
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Partition { .. } => FaultKind::Partition,
            Fault::DropWatch => FaultKind::DropWatch,
            Fault::Latency { .. } => FaultKind::Latency,
            Fault::ApiServerRestart { .. } => FaultKind::ApiServerRestart,
            Fault::EtcdCompaction => FaultKind::EtcdCompaction,
            Fault::EtcdUnavailable { .. } => FaultKind::EtcdUnavailable,
            Fault::SecretMissing { .. } => FaultKind::SecretMissing,
            Fault::ImagePullFailure { .. } => FaultKind::ImagePullFailure,
            Fault::SlowPull { .. } => FaultKind::SlowPull,
            Fault::ContainerCrash { .. } => FaultKind::ContainerCrash,
            Fault::OomKill { .. } => FaultKind::OomKill,
            Fault::PauseDeath { .. } => FaultKind::PauseDeath,
            Fault::ContainerdRestart { .. } => FaultKind::ContainerdRestart,
            Fault::CriFailure { .. } => FaultKind::CriFailure,
            Fault::KubeletRestart { .. } => FaultKind::KubeletRestart,
            Fault::NodeReboot { .. } => FaultKind::NodeReboot,
            Fault::MountFailure { .. } => FaultKind::MountFailure,
            Fault::DataDirFailure { .. } => FaultKind::DataDirFailure,
            Fault::RemoveImage { .. } => FaultKind::RemoveImage,
            Fault::ProbeFailure { .. } => FaultKind::ProbeFailure,
        }
    }

    /// How long after it starts the fault has healed (0 for an instant fault).
    pub fn duration(&self) -> Millis {
        match self {
            Fault::Partition { duration, .. }
            | Fault::Latency { duration, .. }
            | Fault::EtcdUnavailable { duration }
            | Fault::SecretMissing { duration, .. }
            | Fault::MountFailure { duration, .. }
            | Fault::ProbeFailure { duration, .. }
            | Fault::DataDirFailure { duration } => *duration,
            Fault::ApiServerRestart { downtime }
            | Fault::ContainerdRestart { downtime }
            | Fault::KubeletRestart { downtime }
            | Fault::NodeReboot { downtime } => *downtime,
            _ => 0,
        }
    }

    /// Whether the fault leaves the node unable ever to converge (a permanent pull failure, a Secret
    /// missing for good): liveness is not checked after such a fault.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Fault::ImagePullFailure { permanent: true, .. } | Fault::SecretMissing { duration: 0, .. }
        )
    }
}

/// Which faults a seed injects at random, and how often.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultProfile {
    /// Kinds to draw from (empty: every kind whose targets the scenario has).
    #[serde(default)]
    pub kinds: Vec<FaultKind>,
    /// Mean faults per virtual minute, over all enabled kinds.
    #[serde(default = "default_rate")]
    pub per_minute: f64,
    /// No fault starts after this, and every fault has healed by then plus its duration bound.
    #[serde(default, with = "crate::scenario::opt_duration")]
    pub until: Option<Millis>,
}

fn default_rate() -> f64 {
    2.0
}

/// The faults a seed draws: the kinds it enables and when each fires.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrawnFaults {
    /// The kinds this seed enabled (its "swarm").
    pub kinds: Vec<FaultKind>,
    /// Fault start times with the kind to draw then, in time order.
    pub schedule: Vec<(Millis, FaultKind)>,
}

impl FaultProfile {
    /// Draws the swarm and the schedule for a run of `duration` with `rng`.
    ///
    /// Each allowed kind is enabled with probability 1/2 (at least one), each enabled kind gets a
    /// random share of the rate, and start times are spread over `[0, until)`.
    pub fn draw(&self, allowed: &[FaultKind], duration: Millis, rng: &mut SimRng) -> DrawnFaults {
        let pool: Vec<FaultKind> = if self.kinds.is_empty() {
            allowed.to_vec()
        } else {
            self.kinds.iter().copied().filter(|k| allowed.contains(k)).collect()
        };
        if pool.is_empty() || self.per_minute <= 0.0 {
            return DrawnFaults { kinds: Vec::new(), schedule: Vec::new() };
        }
        let mut kinds: Vec<FaultKind> = pool.iter().copied().filter(|_| rng.chance(0.5)).collect();
        if kinds.is_empty() {
            kinds.push(pool[rng.below(pool.len() as u64) as usize]);
        }
        let until = self.until.unwrap_or(duration * 6 / 10).min(duration);
        let minutes = until as f64 / 60_000.0;
        // Bounded: at most 1,000 faults a run whatever the profile says.
        let count = ((self.per_minute * minutes).round() as u64).min(1_000);
        let mut schedule: Vec<(Millis, FaultKind)> = (0..count)
            .map(|_| (rng.below(until.max(1)), kinds[rng.below(kinds.len() as u64) as usize]))
            .collect();
        schedule.sort();
        DrawnFaults { kinds, schedule }
    }
}
