//! The kubelet's settings that pod management reads (pkg/kubelet/apis/config `KubeletConfiguration`
//! and the constants of kubelet.go), with the kubelet's defaults and its validation.

use serde::{Deserialize, Serialize};

use super::bugs::KubeletBugs;
use super::image_puller;
use super::pod_workers::{FailedSyncRequeue, RequeueTiming};
use crate::backoff::{Backoff, Jitter};
use crate::gates::FeatureGates;
use crate::runtime::Millis;

/// The kubelet's default `--sync-frequency`, 1 minute.
pub const SYNC_FREQUENCY: Millis = 60_000;
/// The PLEG's relist period (`genericPlegRelistPeriod`), 1 s.
pub const RELIST_PERIOD: Millis = 1_000;
/// The pod workers' back-off period after a failed sync (`backOffPeriod` in kubelet.go), 10 s.
pub const POD_WORKER_BACK_OFF: Millis = 10_000;
/// The CrashLoopBackOff's initial delay (`initialCrashLoopBackOff`), 10 s.
pub const CRASH_LOOP_INITIAL: Millis = 10_000;
/// The CrashLoopBackOff's maximum (`MaxCrashLoopBackOff` = `MaxContainerBackOff`), 300 s.
pub const CRASH_LOOP_MAX: Millis = 300_000;
/// With `ReduceDefaultCrashLoopBackOffDecay`: `reducedInitialCrashLoopBackOff`, 1 s.
pub const REDUCED_CRASH_LOOP_INITIAL: Millis = 1_000;
/// With `ReduceDefaultCrashLoopBackOffDecay`: `reducedMaxCrashLoopBackOff`, 60 s.
pub const REDUCED_CRASH_LOOP_MAX: Millis = 60_000;
/// The CrashLoopBackOff's reset: 10 minutes of quiet whatever the maximum (the kubelet's
/// `HasExpiredFunc`, KEP-4603, Kubernetes 1.32; before, flowcontrol's 2 x the maximum, also 10 min).
pub const CRASH_LOOP_RESET: Millis = 600_000;
/// The image pull backoff's initial delay (`backOffPeriod`), 10 s.
pub const IMAGE_PULL_INITIAL: Millis = 10_000;
/// The image pull backoff's maximum (`MaxImageBackOff`), 300 s.
pub const IMAGE_PULL_MAX: Millis = 300_000;
/// The status manager's sync period (`syncPeriod` in status_manager.go): a failed write is sent again
/// by the next periodic sync.
pub const STATUS_SYNC_PERIOD: Millis = 10_000;
/// The Secret manager's `maxIdleTime` is this many sync frequencies (`NewWatchBasedManager`).
pub(super) const SECRET_IDLE_SYNC_FREQUENCIES: Millis = 5;

fn serialize_image_pulls_default() -> bool {
    true
}

/// The CrashLoopBackOff settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CrashLoopBackOffConfig {
    /// The first delay (`None`: the kubelet's, 10 s, or 1 s with `ReduceDefaultCrashLoopBackOffDecay`).
    /// The kubelet has no setting for it; podsim does.
    pub initial: Option<Millis>,
    /// `crashLoopBackOff.maxContainerRestartPeriod` (needs `KubeletCrashLoopBackOffMax`; 1 s to
    /// 300 s; `None`: 300 s, or 60 s with `ReduceDefaultCrashLoopBackOffDecay`).
    pub max: Option<Millis>,
    /// A container's backoff starts over after this long without a restart (10 min).
    pub reset_after: Millis,
}

impl Default for CrashLoopBackOffConfig {
    fn default() -> CrashLoopBackOffConfig {
        CrashLoopBackOffConfig { initial: None, max: None, reset_after: CRASH_LOOP_RESET }
    }
}

/// An exponential backoff's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackoffBounds {
    /// The first delay.
    pub initial: Millis,
    /// The largest delay.
    pub max: Millis,
}

/// The kubelet's settings, with its defaults. Each field names the kubelet setting or constant it
/// stands for; the defaults follow Kubernetes 1.35.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubeletConfig {
    /// The node this kubelet runs.
    pub node_name: String,
    /// `--sync-frequency` (1 min): a pod worker syncs its pod again this long after a sync that
    /// succeeded (jittered by `resync_jitter`).
    pub sync_frequency: Millis,
    /// `workerResyncIntervalJitterFactor` (0.5).
    pub resync_jitter: Jitter,
    /// The PLEG relists the runtime this often (`genericPlegRelistPeriod`, 1 s).
    pub relist_period: Millis,
    /// The pod workers' back-off period: a failed sync is retried after this long (`backOffPeriod`,
    /// 10 s; jittered by `pod_worker_back_off_jitter`).
    pub pod_worker_back_off: Millis,
    /// `workerBackOffPeriodJitterFactor` (0.5).
    pub pod_worker_back_off_jitter: Jitter,
    /// When a sync that failed because a container is in CrashLoopBackOff is retried.
    pub failed_sync_requeue: FailedSyncRequeue,
    /// The CrashLoopBackOff (`newCrashLoopBackOff` in kubelet.go).
    pub crash_loop_back_off: CrashLoopBackOffConfig,
    /// The ImagePullBackOff (`flowcontrol.NewBackOff(backOffPeriod, MaxImageBackOff)`: 10 s to 300 s,
    /// reset after twice the maximum).
    pub image_pull_back_off: BackoffBounds,
    /// `serializeImagePulls` (true): pull one image at a time, in the order asked
    /// ([`image_puller`]).
    #[serde(default = "serialize_image_pulls_default")]
    pub serialize_image_pulls: bool,
    /// `maxParallelImagePulls` (nil: no limit): with `serialize_image_pulls` false, at most this
    /// many pulls at once.
    #[serde(default)]
    pub max_parallel_image_pulls: Option<i32>,
    /// The feature gates that change pod-management decisions.
    #[serde(default)]
    pub feature_gates: FeatureGates,
    /// Historical bugs re-introduced on purpose ([`super::bugs`]); none by default, and left out of
    /// the serialised form while none.
    #[serde(default, skip_serializing_if = "KubeletBugs::is_empty")]
    pub bugs: KubeletBugs,
    /// The node's cpu and memory capacity (what cadvisor reports; podsim's nodes: 4 cpus, 8Gi). Its
    /// allocatable, against which in-place resizes are admitted, is this less the default hard
    /// eviction threshold of 100Mi of memory.
    #[serde(default = "super::allocation::default_node_capacity")]
    pub node_capacity: crate::pod::ResourceList,
}

impl KubeletConfig {
    /// The kubelet's defaults for `node`.
    pub fn new(node: impl Into<String>) -> KubeletConfig {
        KubeletConfig {
            node_name: node.into(),
            sync_frequency: SYNC_FREQUENCY,
            resync_jitter: Jitter::HALF,
            relist_period: RELIST_PERIOD,
            pod_worker_back_off: POD_WORKER_BACK_OFF,
            pod_worker_back_off_jitter: Jitter::HALF,
            failed_sync_requeue: FailedSyncRequeue::default(),
            crash_loop_back_off: CrashLoopBackOffConfig::default(),
            image_pull_back_off: BackoffBounds { initial: IMAGE_PULL_INITIAL, max: IMAGE_PULL_MAX },
            serialize_image_pulls: true,
            max_parallel_image_pulls: None,
            feature_gates: FeatureGates::default(),
            bugs: KubeletBugs::NONE,
            node_capacity: super::allocation::default_node_capacity(),
        }
    }

    /// `serializeImagePulls` when a configuration leaves it out (v1beta1 `SetDefaults_KubeletConfiguration`):
    /// true unless `maxParallelImagePulls` is set to 2 or more, so that setting the limit alone
    /// pulls in parallel.
    pub fn default_serialize_image_pulls(max_parallel_image_pulls: Option<i32>) -> bool {
        !matches!(max_parallel_image_pulls, Some(max) if max >= 2)
    }

    /// The CrashLoopBackOff's initial and maximum delay, as `newCrashLoopBackOff` resolves them: the
    /// defaults (or the reduced ones under `ReduceDefaultCrashLoopBackOffDecay`), the configured
    /// maximum taking precedence (under `KubeletCrashLoopBackOffMax`), and an initial delay never above
    /// the maximum.
    pub fn crash_loop_bounds(&self) -> BackoffBounds {
        let reduced = self.feature_gates.reduce_default_crash_loop_back_off_decay;
        let (mut initial, mut max) = if reduced {
            (REDUCED_CRASH_LOOP_INITIAL, REDUCED_CRASH_LOOP_MAX)
        } else {
            (CRASH_LOOP_INITIAL, CRASH_LOOP_MAX)
        };
        if let Some(i) = self.crash_loop_back_off.initial {
            initial = i;
        }
        if let Some(m) =
            self.crash_loop_back_off.max.filter(|_| self.feature_gates.kubelet_crash_loop_back_off_max)
        {
            max = m;
        }
        BackoffBounds { initial: initial.min(max), max }
    }

    /// The kubelet's validation of these settings (pkg/kubelet/apis/config/validation): a maximum
    /// restart period needs its gate and lies within 1 s to 300 s; every period is positive; a
    /// limit on parallel pulls is positive, and above 1 only when pulls are not serialised.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(max) = self.crash_loop_back_off.max {
            if !self.feature_gates.kubelet_crash_loop_back_off_max {
                return Err("crashLoopBackOff.max: FeatureGate KubeletCrashLoopBackOffMax not enabled, \
                            CrashLoopBackOff.MaxContainerRestartPeriod must not be set"
                    .into());
            }
            if !(1_000..=300_000).contains(&max) {
                return Err(format!(
                    "crashLoopBackOff.max: MaxContainerRestartPeriod (got: {} seconds) must be set between 1s and 300s",
                    max as f64 / 1_000.0
                ));
            }
        }
        let positive = [
            ("syncFrequency", self.sync_frequency),
            ("relistPeriod", self.relist_period),
            ("podWorkerBackOff", self.pod_worker_back_off),
            ("crashLoopBackOff.initial", self.crash_loop_back_off.initial.unwrap_or(1)),
            ("crashLoopBackOff.resetAfter", self.crash_loop_back_off.reset_after),
            ("imagePullBackOff.initial", self.image_pull_back_off.initial),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(format!("{name}: must be more than 0"));
        }
        if self.image_pull_back_off.initial > self.image_pull_back_off.max {
            return Err("imagePullBackOff: initial must not be more than max".into());
        }
        image_puller::validate_pull_settings(self.serialize_image_pulls, self.max_parallel_image_pulls)
    }

    pub(super) fn requeue_timing(&self) -> RequeueTiming {
        RequeueTiming {
            resync: self.sync_frequency,
            resync_jitter: self.resync_jitter,
            back_off: self.pod_worker_back_off,
            back_off_jitter: self.pod_worker_back_off_jitter,
            failed_sync: self.failed_sync_requeue,
        }
    }

    /// The CrashLoopBackOff these settings give (bounds and reset period), empty.
    pub fn restart_backoff(&self) -> Backoff {
        let b = self.crash_loop_bounds();
        Backoff::new(b.initial, b.max).with_reset_after(self.crash_loop_back_off.reset_after)
    }

    pub(super) fn image_backoff(&self) -> Backoff {
        Backoff::new(self.image_pull_back_off.initial, self.image_pull_back_off.max)
    }
}
