//! The churn family of `scenarios/scale/`: scenarios that differ only in their number of pods N, for
//! the "scale on one node" cost curve (BENCHMARKS.md) and for exploring a crowded node.
//!
//! Every pod lives the same life whatever N is, so that the simulator's cost per pod per virtual
//! minute can be compared across N:
//!
//! - pod `i` of N (named `pod-0000` ...) is created at `i * 6 min / N`: creations are spread evenly
//!   over the first 6 minutes, so that as many pods live at each instant per unit of N;
//! - every 5th (`i % 5 == 0`) mounts a Secret and an emptyDir volume; every 2nd (`i % 2 == 0`) has a
//!   sidecar (an init container with `restartPolicy: Always`);
//! - every 3rd (`i % 3 == 1`) is updated 60 s after its creation: its app's image changes to
//!   `podsim/workload:2`, a change the API server accepts;
//! - every 4th (`i % 4 == 2`) is deleted 90 s after its creation.
//!
//! Faults give every pod the same exposure whatever N is:
//!
//! - faults that hit one pod's container, sandbox or CRI call (`containerCrash`, `oomKill`,
//!   `pauseDeath`, `criFailure`) are drawn from the seed at a rate proportional to N
//!   (one a minute per [`PODS_PER_FAULT_A_MINUTE`] pods);
//! - faults of the whole node (the network, the API server, etcd, the Secret, the images, containerd,
//!   the kubelet, mounts, data directories, a reboot) hit every pod at once, so they come at fixed
//!   times, the same for every N ([`NODE_FAULTS`]).
//!
//! Nothing happens after 7 min 30 s; the run lasts 10 min. The expectations state only what holds
//! whatever the faults: a deleted pod is gone with its data directory, every other pod is Running.
//!
//! Regenerate the checked-in files with `cargo run -p podsim-sim --example churn_scenarios`; the
//! test `sim/tests/scale_scenarios.rs` fails if they and this generator disagree.

use std::fmt::Write;

use podsim_model::Millis;

use crate::scenario::duration::format as duration;

/// The sizes checked in as `scenarios/scale/churn-N-pods.yaml`.
pub const SIZES: [usize; 4] = [30, 100, 300, 1_000];

/// The most pods a generated scenario may have.
pub const MAX_PODS: usize = 10_000;

/// Pod-scoped faults drawn from the seed: one a virtual minute for this many pods (N / 50 a minute
/// for N pods, 0.02 per pod).
pub const PODS_PER_FAULT_A_MINUTE: usize = 50;

/// How long a run lasts.
const DURATION: Millis = 600_000;
/// Creations are spread evenly over `[0, CREATION_SPREAD)`.
const CREATION_SPREAD: Millis = 360_000;
/// An updated pod is updated this long after its creation.
const UPDATE_AFTER: Millis = 60_000;
/// A deleted pod is deleted this long after its creation.
const DELETE_AFTER: Millis = 90_000;
/// No random fault starts after this.
const FAULTS_UNTIL: Millis = 420_000;
// The last pod is deleted by 7 min 30 s, leaving 2 min 30 s before the end of the run.
const _: () = assert!(CREATION_SPREAD + DELETE_AFTER <= 450_000 && 450_000 < DURATION);

/// The faults of the whole node, at fixed times (the same for every N), in the timeline's words.
pub const NODE_FAULTS: [(Millis, &str); 15] = [
    (45_000, "{kind: partition, direction: both, duration: 20s}"),
    (75_000, "{kind: dropWatch}"),
    (100_000, "{kind: latency, extra: 500ms, duration: 30s}"),
    (130_000, "{kind: kubeletRestart, downtime: 10s}"),
    (160_000, "{kind: etcdUnavailable, duration: 15s}"),
    (185_000, "{kind: secretMissing, secret: db, duration: 20s}"),
    (210_000, "{kind: containerdRestart, downtime: 5s}"),
    (235_000, "{kind: apiServerRestart, downtime: 5s}"),
    (260_000, "{kind: imagePullFailure, image: \"podsim/workload:2\", failures: 2}"),
    (280_000, "{kind: etcdCompaction}"),
    (300_000, "{kind: slowPull, image: \"podsim/workload:1\", latency: 5s}"),
    (320_000, "{kind: mountFailure, duration: 15s}"),
    (340_000, "{kind: dataDirFailure, duration: 15s}"),
    (360_000, "{kind: removeImage, image: \"podsim/workload:1\"}"),
    (380_000, "{kind: nodeReboot, downtime: 15s}"),
];

/// The life of one pod of the family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodLife {
    /// Its index, 0-based (its name is `pod-` and the index in 4 digits).
    pub index: usize,
    /// When it is created.
    pub created: Millis,
    /// Whether it mounts the Secret `db` and an emptyDir volume.
    pub secret: bool,
    /// Whether it has a sidecar.
    pub sidecar: bool,
    /// When its app's image is changed, if it is.
    pub updated: Option<Millis>,
    /// When it is deleted, if it is.
    pub deleted: Option<Millis>,
}

impl PodLife {
    /// Pod `index` of a scenario of `pods` pods.
    pub fn of(index: usize, pods: usize) -> PodLife {
        let created = CREATION_SPREAD * index as Millis / pods.max(1) as Millis;
        PodLife {
            index,
            created,
            secret: index.is_multiple_of(5),
            sidecar: index.is_multiple_of(2),
            updated: (index % 3 == 1).then_some(created + UPDATE_AFTER),
            deleted: (index % 4 == 2).then_some(created + DELETE_AFTER),
        }
    }

    /// Its name.
    pub fn name(&self) -> String {
        format!("pod-{:04}", self.index)
    }
}

/// The file name of the scenario of `pods` pods.
pub fn file_name(pods: usize) -> String {
    format!("churn-{pods}-pods.yaml")
}

/// The scenario of `pods` pods, as the text of its file; an error for 0 pods or more than
/// [`MAX_PODS`].
pub fn churn_scenario(pods: usize) -> Result<String, String> {
    if pods == 0 || pods > MAX_PODS {
        return Err(format!("the number of pods must be from 1 to {MAX_PODS}, not {pods}"));
    }
    let lives: Vec<PodLife> = (0..pods).map(|i| PodLife::of(i, pods)).collect();
    let mut out = header(pods);
    out.push_str("timeline:\n");
    for (_, _, entry) in timeline(&lives) {
        out.push_str(&entry);
    }
    out.push_str("expect:\n  pods:\n");
    for life in &lives {
        let expected =
            if life.deleted.is_some() { "{gone: true, dataDir: gone}" } else { "{phase: Running}" };
        let _ = writeln!(out, "    {}: {expected}", life.name());
    }
    Ok(out)
}

/// The comment, the settings, the images, the Secret and the random-fault profile.
fn header(pods: usize) -> String {
    let rate = pods as f64 / PODS_PER_FAULT_A_MINUTE as f64;
    let mut out = String::new();
    let _ = write!(
        out,
        "# Generated by `cargo run -p podsim-sim --example churn_scenarios` (sim/src/churn.rs); do not edit.
# One of a family that differs only in the number of pods (scenarios/scale/, N = 30, 100, 300, 1000).
# Pod i of N is created at i * 6m / N; every 5th (i % 5 == 0) mounts a Secret and an emptyDir, every
# 2nd (i % 2 == 0) has a sidecar; every 3rd (i % 3 == 1) gets podsim/workload:2 60 s after its
# creation; every 4th (i % 4 == 2) is deleted 90 s after it. Faults of one pod (containerCrash,
# oomKill, pauseDeath, criFailure) are drawn from the seed, N / 50 a minute until 7 min; faults of the
# whole node come at fixed times, the same for every N. Expectations state only what holds whatever
# the faults: deleted pods are gone, the others are Running at 10 min.
name: scale-churn-{pods}-pods
description: {pods} pods created, updated and deleted over 7.5 minutes under faults of every kind at a rate per pod that does not depend on the number of pods; deleted pods leave nothing behind and the others end Running.
duration: {duration}
images:
- {{name: \"podsim/workload:1\"}}
- {{name: \"podsim/workload:2\"}}
secrets: [db]
randomFaults:
  kinds: [containerCrash, oomKill, pauseDeath, criFailure]
  perMinute: {rate}
  until: {until}
",
        duration = duration(DURATION),
        until = duration(FAULTS_UNTIL),
    );
    out
}

/// Every timeline entry, sorted by time, then node faults before creations, updates and deletions,
/// then by pod.
fn timeline(lives: &[PodLife]) -> Vec<(Millis, (u8, usize), String)> {
    let mut entries: Vec<(Millis, (u8, usize), String)> = Vec::new();
    for (i, (at, fault)) in NODE_FAULTS.iter().enumerate() {
        entries.push((*at, (0, i), format!("- at: {}\n  fault: {fault}\n", duration(*at))));
    }
    for life in lives {
        entries.push((
            life.created,
            (1, life.index),
            pod_entry("createPod", life, "podsim/workload:1", life.created),
        ));
        if let Some(at) = life.updated {
            entries.push((at, (2, life.index), pod_entry("updatePod", life, "podsim/workload:2", at)));
        }
        if let Some(at) = life.deleted {
            let text = format!("- at: {}\n  deletePod: {{name: {}}}\n", duration(at), life.name());
            entries.push((at, (3, life.index), text));
        }
    }
    entries.sort_by_key(|e| (e.0, e.1));
    entries
}

/// A `createPod` or `updatePod` entry: the pod's whole manifest with the app's `image`.
fn pod_entry(action: &str, life: &PodLife, image: &str, at: Millis) -> String {
    let mut out = format!(
        "- at: {}\n  {action}:\n    metadata: {{name: {}}}\n    spec:\n      terminationGracePeriodSeconds: 5\n",
        duration(at),
        life.name()
    );
    if life.secret {
        out.push_str("      volumes:\n");
        out.push_str("      - {name: creds, secret: {secretName: db}}\n");
        out.push_str("      - {name: scratch, emptyDir: {}}\n");
    }
    if life.sidecar {
        out.push_str("      initContainers:\n");
        out.push_str(
            "      - {name: side, image: \"podsim/workload:1\", command: [workload, run], restartPolicy: Always}\n",
        );
    }
    out.push_str("      containers:\n");
    let mounts = if life.secret {
        ", volumeMounts: [{name: creds, mountPath: /etc/creds}, {name: scratch, mountPath: /scratch}]"
    } else {
        ""
    };
    let _ = writeln!(out, "      - {{name: app, image: \"{image}\", command: [workload, run]{mounts}}}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_lives_are_spread_evenly_and_share_alike() {
        let lives: Vec<PodLife> = (0..100).map(|i| PodLife::of(i, 100)).collect();
        assert_eq!(lives[0].created, 0);
        assert_eq!(lives[1].created, 3_600);
        assert_eq!(lives[99].created, 356_400);
        assert_eq!(lives.iter().filter(|l| l.secret).count(), 20);
        assert_eq!(lives.iter().filter(|l| l.sidecar).count(), 50);
        assert_eq!(lives.iter().filter(|l| l.updated.is_some()).count(), 33);
        assert_eq!(lives.iter().filter(|l| l.deleted.is_some()).count(), 25);
        assert_eq!(lives[10].updated, Some(36_000 + UPDATE_AFTER));
        assert_eq!(lives[10].deleted, Some(36_000 + DELETE_AFTER));
        assert_eq!(lives[7].name(), "pod-0007");
    }

    #[test]
    fn nothing_happens_after_seven_and_a_half_minutes() {
        let last = PodLife::of(MAX_PODS - 1, MAX_PODS);
        assert!(last.created < CREATION_SPREAD);
        assert!(NODE_FAULTS.iter().all(|(at, _)| *at < FAULTS_UNTIL));
        assert!(NODE_FAULTS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn a_size_out_of_range_is_refused() {
        assert!(churn_scenario(0).unwrap_err().contains("from 1 to 10000"));
        assert!(churn_scenario(MAX_PODS + 1).is_err());
        assert!(churn_scenario(1).is_ok());
    }
}
