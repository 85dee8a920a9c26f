//! The node itself: pod data directories and volume mounts, with injectable failures.

use std::collections::BTreeSet;

use podsim_model::io::{NodeReply, NodeRequest, PodDir};
use podsim_model::Millis;

/// The node's filesystem as pod management sees it.
#[derive(Clone, Debug, Default)]
pub struct Node {
    data_dirs: BTreeSet<String>,
    mounts: BTreeSet<(String, String)>,
    /// Mounts fail until this time (for one pod UID, or every pod).
    mount_failures: Vec<(Option<String>, Millis)>,
    /// Making data directories fails until this time.
    data_dir_failure_until: Millis,
}

impl Node {
    /// An empty node.
    pub fn new() -> Node {
        Node::default()
    }

    /// Serves one node operation at `now`.
    pub fn handle(&mut self, now: Millis, request: &NodeRequest) -> NodeReply {
        match request {
            NodeRequest::MakeDataDir { pod_uid } => {
                if now < self.data_dir_failure_until {
                    return NodeReply::Err("mkdir: input/output error".into());
                }
                self.data_dirs.insert(pod_uid.clone());
                NodeReply::Ok
            }
            NodeRequest::MountVolume { pod_uid, volume } => {
                let failing = self
                    .mount_failures
                    .iter()
                    .any(|(pod, until)| now < *until && pod.as_ref().is_none_or(|p| p == pod_uid));
                if failing {
                    return NodeReply::Err(format!("mount of {volume:?} failed: injected"));
                }
                if !self.data_dirs.contains(pod_uid) {
                    return NodeReply::Err(format!("no data directory for pod {pod_uid}"));
                }
                self.mounts.insert((pod_uid.clone(), volume.clone()));
                NodeReply::Ok
            }
            NodeRequest::UnmountVolume { pod_uid, volume } => {
                self.mounts.remove(&(pod_uid.clone(), volume.clone()));
                NodeReply::Ok
            }
            NodeRequest::RemoveDataDir { pod_uid } => {
                if self.mounts.iter().any(|(p, _)| p == pod_uid) {
                    return NodeReply::Err("directory not empty: volumes are still mounted".into());
                }
                self.data_dirs.remove(pod_uid);
                NodeReply::Ok
            }
            NodeRequest::ListPodDirs => NodeReply::PodDirs(self.pod_dirs()),
        }
    }

    /// Every pod directory with the volumes mounted in it, by UID.
    fn pod_dirs(&self) -> Vec<PodDir> {
        self.data_dirs
            .iter()
            .map(|uid| PodDir {
                pod_uid: uid.clone(),
                volumes: self.mounts_of(uid).map(String::from).collect(),
            })
            .collect()
    }

    /// A pod directory that exists before the kubelet starts (an earlier kubelet made it).
    pub fn preset_data_dir(&mut self, pod_uid: &str) {
        self.data_dirs.insert(pod_uid.to_string());
    }

    /// A volume mounted before the kubelet starts; its pod directory exists with it.
    pub fn preset_mount(&mut self, pod_uid: &str, volume: &str) {
        self.preset_data_dir(pod_uid);
        self.mounts.insert((pod_uid.to_string(), volume.to_string()));
    }

    /// Every pod directory, by UID.
    pub fn data_dirs(&self) -> impl Iterator<Item = &str> {
        self.data_dirs.iter().map(String::as_str)
    }

    /// Every mount, as (pod UID, volume).
    pub fn mounts(&self) -> impl Iterator<Item = (&str, &str)> {
        self.mounts.iter().map(|(p, v)| (p.as_str(), v.as_str()))
    }

    /// Mounts fail (for `pod_uid`, or every pod) until `until`.
    pub fn fail_mounts(&mut self, pod_uid: Option<String>, until: Millis) {
        // Bounded by the number of faults of a run (at most 1,000).
        self.mount_failures.push((pod_uid, until));
    }

    /// Making data directories fails until `until`.
    pub fn fail_data_dirs(&mut self, until: Millis) {
        self.data_dir_failure_until = self.data_dir_failure_until.max(until);
    }

    /// A reboot: mounts are gone (data directories are on disk and stay).
    pub fn reboot(&mut self) {
        self.mounts.clear();
    }

    /// Whether the pod's data directory exists.
    pub fn has_data_dir(&self, pod_uid: &str) -> bool {
        self.data_dirs.contains(pod_uid)
    }

    /// Whether the volume of the pod is mounted.
    pub fn is_mounted(&self, pod_uid: &str, volume: &str) -> bool {
        self.mounts.contains(&(pod_uid.to_string(), volume.to_string()))
    }

    /// The pod's mounted volumes.
    pub fn mounts_of<'a>(&'a self, pod_uid: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.mounts.iter().filter(move |(p, _)| p == pod_uid).map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mk(uid: &str) -> NodeRequest {
        NodeRequest::MakeDataDir { pod_uid: uid.into() }
    }
    fn mount(uid: &str, v: &str) -> NodeRequest {
        NodeRequest::MountVolume { pod_uid: uid.into(), volume: v.into() }
    }

    #[test]
    fn mounts_need_a_data_dir_and_block_its_removal() {
        let mut n = Node::new();
        assert!(
            matches!(n.handle(0, &mount("p", "v")), NodeReply::Err(_)),
            "no mount without a data directory"
        );
        assert_eq!(n.handle(0, &mk("p")), NodeReply::Ok);
        assert_eq!(n.handle(0, &mount("p", "v")), NodeReply::Ok);
        let rm = NodeRequest::RemoveDataDir { pod_uid: "p".into() };
        assert!(matches!(n.handle(0, &rm), NodeReply::Err(_)), "a mounted pod keeps its directory");
        n.handle(0, &NodeRequest::UnmountVolume { pod_uid: "p".into(), volume: "v".into() });
        assert_eq!(n.handle(0, &rm), NodeReply::Ok);
        assert!(!n.has_data_dir("p"));
    }

    #[test]
    fn injected_failures_last_until_their_time() {
        let mut n = Node::new();
        n.fail_data_dirs(100);
        assert!(matches!(n.handle(99, &mk("p")), NodeReply::Err(_)));
        assert_eq!(n.handle(100, &mk("p")), NodeReply::Ok);
        assert_eq!(n.handle(100, &mk("q")), NodeReply::Ok);
        n.fail_mounts(Some("p".into()), 150);
        assert!(matches!(n.handle(110, &mount("p", "v")), NodeReply::Err(_)));
        assert_eq!(n.handle(110, &mount("q", "v")), NodeReply::Ok, "another pod's mounts work");
        assert_eq!(n.handle(150, &mount("p", "v")), NodeReply::Ok);
    }
}
