//! Faults: drawing random ones from the seed, realising those that do not touch the runtime (the
//! network to the API server, the API server and etcd, Secrets, the kubelet, the node's mounts and
//! data directories), handing the others to the driver, and healing every one of them. One place
//! for both backends.

use podsim_model::io::ApiError;
use podsim_model::io::PodRef;
use podsim_model::{ContainerStatus, Millis};

use super::{Driver, Event, Harness, TRANSIENT_FAULT_LIFETIME, WATCH_BREAK_DETECTION};
use crate::containerd::CriMethod;
use crate::faults::{Direction, Fault, FaultKind, FaultProbe};
use crate::link::BASE_LATENCY;
use crate::rng::SimRng;
use crate::scenario::split_name;
use crate::trace::TraceKind;

/// How often a heal that the API server refused (etcd down) is tried again.
const HEAL_RETRY_INTERVAL: Millis = 1_000;
/// A heal is tried at most this many more times (etcd faults are far shorter than 600 s).
const MAX_HEAL_RETRIES: u32 = 600;

/// A fault ending.
#[derive(Clone, Debug)]
pub enum Heal {
    /// The partition ends.
    Partition,
    /// The extra latency ends.
    Latency,
    /// etcd is available again.
    EtcdAvailable,
    /// The Secret is created again; `attempt` counts tries made while etcd was down.
    SecretBack {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// Tries made so far.
        attempt: u32,
    },
    /// Pulls of the image work again (the driver heals it).
    PullsWork {
        /// The image.
        image: String,
    },
    /// Pulls of the image take their normal time again (the driver heals it).
    PullLatency {
        /// The image.
        image: String,
        /// The normal latency.
        latency: Millis,
    },
    /// A fault of this kind ends (told in the trace as the text).
    Label(FaultKind, &'static str),
}

impl Heal {
    /// The kind of fault that ends.
    fn fault_kind(&self) -> FaultKind {
        match self {
            Heal::Partition => FaultKind::Partition,
            Heal::Latency => FaultKind::Latency,
            Heal::EtcdAvailable => FaultKind::EtcdUnavailable,
            Heal::SecretBack { .. } => FaultKind::SecretMissing,
            Heal::PullsWork { .. } => FaultKind::ImagePullFailure,
            Heal::PullLatency { .. } => FaultKind::SlowPull,
            Heal::Label(kind, _) => *kind,
        }
    }
}

/// Whether a fault of `kind` touches the runtime (the driver realises it, if it can).
pub fn touches_runtime(kind: FaultKind) -> bool {
    matches!(
        kind,
        FaultKind::ImagePullFailure
            | FaultKind::SlowPull
            | FaultKind::ContainerCrash
            | FaultKind::OomKill
            | FaultKind::PauseDeath
            | FaultKind::ContainerdRestart
            | FaultKind::CriFailure
            | FaultKind::NodeReboot
            | FaultKind::RemoveImage
            | FaultKind::ProbeFailure
    )
}

impl<E: Clone + std::fmt::Debug> Harness<E> {
    /// Schedules a heal at `at`; the run's last heal moves with it.
    pub fn heal_at(&mut self, at: Millis, heal: Heal) {
        self.last_heal = self.last_heal.max(at);
        self.schedule(at, Event::Heal(heal));
    }

    /// Injects `fault`: its targets named, recorded, traced, and realised (by the driver if it
    /// touches the runtime).
    pub(super) fn apply_fault<D: Driver<Event = E>>(&mut self, d: &mut D, fault: Fault) {
        let kind = fault.kind();
        if touches_runtime(kind) && !d.realises(kind) {
            let text = format!("{:?} cannot be realised on this runtime; skipped", kind);
            self.trace.record(self.now, TraceKind::Fault, || text.clone());
            self.notes.push(format!("at {} ms: {text}", self.now));
            return;
        }
        let fault = if touches_runtime(kind) { d.resolve(self, fault) } else { fault };
        self.record_fault(&fault);
        let now = self.now;
        match &fault {
            Fault::Partition { direction, duration } => {
                let until = self.link.partition(now, *direction, *duration);
                self.break_watch(WATCH_BREAK_DETECTION);
                self.heal_at(until, Heal::Partition);
            }
            Fault::DropWatch => self.break_watch(BASE_LATENCY),
            Fault::Latency { extra, duration } => {
                let until = self.link.slow_down(now, *extra, *duration);
                self.heal_at(until, Heal::Latency);
            }
            Fault::ApiServerRestart { downtime } => {
                self.api.restart(now, now + downtime);
                self.break_watch(BASE_LATENCY);
                self.heal_at(now + downtime, Heal::Label(FaultKind::ApiServerRestart, "API server up"));
            }
            Fault::EtcdCompaction => {
                self.api.compact();
                self.break_watch(BASE_LATENCY);
            }
            Fault::EtcdUnavailable { duration } => {
                self.api.etcd_mut().set_available(false);
                self.etcd_down_until = self.etcd_down_until.max(now + duration);
                let until = self.etcd_down_until;
                self.heal_at(until, Heal::EtcdAvailable);
            }
            Fault::SecretMissing { secret, duration } => {
                let (namespace, name) = split_name(secret);
                let _ = self.api.delete_secret(&namespace, &name);
                if *duration > 0 {
                    self.heal_at(now + duration, Heal::SecretBack { namespace, name, attempt: 0 });
                }
            }
            Fault::KubeletRestart { downtime } => {
                self.kubelet_crash();
                self.schedule(now + downtime, Event::KubeletBoot);
                self.heal_at(now + downtime, Heal::Label(FaultKind::KubeletRestart, "kubelet up"));
            }
            Fault::NodeReboot { downtime } => {
                self.kubelet_crash();
                d.realise(self, &fault);
                self.node.reboot();
                self.schedule(now + downtime, Event::KubeletBoot);
                self.heal_at(now + downtime, Heal::Label(FaultKind::NodeReboot, "node up"));
            }
            Fault::MountFailure { pod, duration } => {
                let uid = pod.as_deref().and_then(|p| self.pod_uid(p));
                self.node.fail_mounts(uid, now + duration);
                self.heal_at(now + duration, Heal::Label(FaultKind::MountFailure, "mounts work"));
            }
            Fault::DataDirFailure { duration } => {
                self.node.fail_data_dirs(now + duration);
                self.heal_at(now + duration, Heal::Label(FaultKind::DataDirFailure, "data directories work"));
            }
            runtime => {
                d.realise(self, runtime);
                self.schedule_runtime_heal(runtime);
            }
        }
        self.flush_watch();
    }

    /// The fault's record: the applied faults, the history, the expectations' log, the counts and
    /// the trace.
    fn record_fault(&mut self, fault: &Fault) {
        self.applied_faults.push((self.now, fault.clone()));
        if let Some(h) = self.history.as_mut() {
            h.faults.push(crate::history::FaultSpan {
                kind: format!("{:?}", fault.kind()),
                text: serde_json::to_string(fault).unwrap_or_default(),
                from: self.now,
                to: self.now + fault.duration(),
            });
        }
        if let Some(judge) = self.judge.as_mut() {
            judge.log().on_fault(self.now, fault.kind());
        }
        self.faults += 1;
        self.last_heal = self.last_heal.max(self.now);
        if fault.is_permanent() {
            self.permanent_faults = true;
        }
        if self.trace.enabled() {
            let text = serde_json::to_string(fault).unwrap_or_default();
            self.trace.record(self.now, TraceKind::Fault, || text);
        }
    }

    /// When a runtime fault the driver realised ends.
    fn schedule_runtime_heal(&mut self, fault: &Fault) {
        let now = self.now;
        match fault {
            Fault::ImagePullFailure { image, permanent: false, .. } => {
                // Unused failures expire, so that the fault ends by a known time.
                self.heal_at(now + TRANSIENT_FAULT_LIFETIME, Heal::PullsWork { image: image.clone() });
            }
            Fault::SlowPull { image, .. } => {
                let normal = self.scenario.images.get(image).map_or(100, |i| i.pull_latency);
                let heal = Heal::PullLatency { image: image.clone(), latency: normal };
                self.heal_at(now + TRANSIENT_FAULT_LIFETIME, heal);
            }
            Fault::ContainerdRestart { downtime } => {
                self.heal_at(now + downtime, Heal::Label(FaultKind::ContainerdRestart, "containerd up"));
            }
            Fault::CriFailure { .. } => {
                let until = now + TRANSIENT_FAULT_LIFETIME;
                self.heal_at(until, Heal::Label(FaultKind::CriFailure, "injected CRI failures expired"));
            }
            Fault::ProbeFailure { duration, .. } => {
                self.heal_at(now + duration, Heal::Label(FaultKind::ProbeFailure, "probe checks pass again"));
            }
            _ => {}
        }
    }

    /// A fault heals (a partition or latency only when no later one of its kind is in force).
    pub(super) fn heal<D: Driver<Event = E>>(&mut self, d: &mut D, heal: Heal) {
        let now = self.now;
        let kind = heal.fault_kind();
        let what = match heal {
            Heal::Partition => {
                if !self.link.heal_partition(now) {
                    return;
                }
                "partition healed".to_string()
            }
            Heal::Latency => {
                if !self.link.heal_latency(now) {
                    return;
                }
                "latency back to normal".to_string()
            }
            Heal::EtcdAvailable => {
                if now < self.etcd_down_until {
                    return;
                }
                self.api.etcd_mut().set_available(true);
                "etcd available".to_string()
            }
            Heal::SecretBack { namespace, name, attempt } => match self.secret_back(namespace, name, attempt)
            {
                Some(text) => text,
                None => return,
            },
            runtime @ (Heal::PullsWork { .. } | Heal::PullLatency { .. }) => d.heal(self, &runtime),
            Heal::Label(_, text) => text.to_string(),
        };
        if let Some(judge) = self.judge.as_mut() {
            judge.log().on_heal(now, kind);
        }
        self.trace.record(now, TraceKind::Heal, || what);
        self.flush_watch();
    }

    /// The Secret is created again; None if the API server refused (it is retried every second,
    /// like a timeline action, and the heal time moves with it).
    fn secret_back(&mut self, namespace: String, name: String, attempt: u32) -> Option<String> {
        let now = self.now;
        match self.api.create_secret(&namespace, &name) {
            Ok(()) | Err(ApiError::Conflict) => Some(format!("secret {namespace}/{name} created again")),
            Err(e) => {
                if attempt < MAX_HEAL_RETRIES {
                    let retry = Heal::SecretBack {
                        namespace: namespace.clone(),
                        name: name.clone(),
                        attempt: attempt + 1,
                    };
                    self.heal_at(now + HEAL_RETRY_INTERVAL, retry);
                }
                self.trace.record(now, TraceKind::Heal, || {
                    format!("secret {namespace}/{name} could not be created again ({e:?}); retried in 1 s")
                });
                None
            }
        }
    }

    /// A random fault of `kind` with parameters drawn from the seed (None if nothing to hit).
    pub(super) fn draw_fault(&mut self, kind: FaultKind) -> Option<Fault> {
        let r = &mut self.rng;
        let short = |r: &mut SimRng| r.between(1, 30) * 1_000;
        let images: Vec<String> = self.scenario.images.keys().cloned().collect();
        Some(match kind {
            FaultKind::Partition => {
                let direction =
                    *r.pick(&[Direction::Both, Direction::ToApiServer, Direction::FromApiServer])?;
                Fault::Partition { direction, duration: short(r) }
            }
            FaultKind::DropWatch => Fault::DropWatch,
            FaultKind::Latency => Fault::Latency { extra: r.between(10, 3_000), duration: short(r) },
            FaultKind::ApiServerRestart => Fault::ApiServerRestart { downtime: r.between(1, 10) * 1_000 },
            FaultKind::EtcdCompaction => Fault::EtcdCompaction,
            FaultKind::EtcdUnavailable => Fault::EtcdUnavailable { duration: short(r) },
            FaultKind::SecretMissing => {
                let secrets: Vec<String> =
                    self.scenario.secrets.iter().map(|(ns, n)| format!("{ns}/{n}")).collect();
                let secret = r.pick(&secrets)?.clone();
                Fault::SecretMissing { secret, duration: short(r) }
            }
            FaultKind::ImagePullFailure => {
                let image = r.pick(&images)?.clone();
                Fault::ImagePullFailure { image, permanent: false, failures: r.between(1, 3) as u32 }
            }
            FaultKind::SlowPull => {
                let image = r.pick(&images)?.clone();
                Fault::SlowPull { image, latency: r.between(1, 20) * 1_000 }
            }
            FaultKind::ContainerCrash => {
                Fault::ContainerCrash { pod: None, container: None, exit_code: *r.pick(&[1, 2, 137])? }
            }
            FaultKind::OomKill => Fault::OomKill { pod: None, container: None },
            FaultKind::PauseDeath => Fault::PauseDeath { pod: None },
            FaultKind::ContainerdRestart => Fault::ContainerdRestart { downtime: r.between(1, 10) * 1_000 },
            FaultKind::CriFailure => {
                let method = *r.pick(&[
                    CriMethod::RunPodSandbox,
                    CriMethod::CreateContainer,
                    CriMethod::StartContainer,
                    CriMethod::StopContainer,
                    CriMethod::ListContainers,
                    CriMethod::PullImage,
                ])?;
                Fault::CriFailure { method, count: r.between(1, 3) as u32, timeout: r.chance(0.5) }
            }
            FaultKind::KubeletRestart => Fault::KubeletRestart { downtime: r.between(1, 20) * 1_000 },
            FaultKind::NodeReboot => Fault::NodeReboot { downtime: r.between(5, 30) * 1_000 },
            FaultKind::MountFailure => Fault::MountFailure { pod: None, duration: short(r) },
            FaultKind::DataDirFailure => Fault::DataDirFailure { duration: short(r) },
            FaultKind::RemoveImage => Fault::RemoveImage { image: r.pick(&images)?.clone() },
            FaultKind::ProbeFailure => {
                let all = [FaultProbe::Liveness, FaultProbe::Readiness, FaultProbe::Startup];
                let mut probes: Vec<FaultProbe> = all.iter().copied().filter(|_| r.chance(0.5)).collect();
                if probes.is_empty() {
                    probes.push(*r.pick(&all)?);
                }
                Fault::ProbeFailure { pod: None, container: None, probes, duration: short(r) }
            }
        })
    }

    /// A running container of a kubelet pod for a fault to hit, among `running` (pod and status of
    /// each container whose process runs, as the driver sees them): of the named pod and with the
    /// named name if the fault names them, by [`Harness::pick_target`].
    pub fn pick_container<'a>(
        &mut self,
        running: impl Iterator<Item = (Option<&'a PodRef>, &'a ContainerStatus)>,
        pod: Option<&str>,
        container: Option<&str>,
    ) -> Option<String> {
        let uid = pod.and_then(|p| self.pod_uid(p));
        let candidates: Vec<String> = running
            .filter(|(p, _)| p.is_some_and(|p| uid.as_ref().is_none_or(|u| *u == p.uid)))
            .filter(|(_, c)| container.is_none_or(|n| n == c.name))
            .map(|(_, c)| c.id.to_string())
            .collect();
        self.pick_target(&candidates, pod.is_some() || container.is_some())
    }

    /// A target among `candidates` (ids of what the fault may hit): the first if the fault named it,
    /// else one drawn from the seed. One rule for both backends.
    pub fn pick_target(&mut self, candidates: &[String], named: bool) -> Option<String> {
        if named {
            return candidates.first().cloned();
        }
        self.rng.pick(candidates).cloned()
    }
}
