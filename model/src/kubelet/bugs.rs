//! Historical kubelet bugs, each one re-introduced as an opt-in variant of the model
//! (`--kubelet-bug NAME`, `kubelet.bugs: [NAME]`), so that podsim can show it finds them from a clean
//! search (BUGS.md). Each variant is the pre-fix behaviour, as small as the original fault: a one- or
//! few-line branch at the place the fix changed, guarded by [`KubeletBugs::has`]. The kubelet's
//! defaults carry none of them ([`KubeletBugs::NONE`]).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A historical kubelet pod-management bug. Each doc comment names the upstream issue, the fix, the
/// kubelet versions that had the bug, and what it breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KubeletBug {
    /// kubernetes/kubernetes#35309 (fix, Kubernetes 1.5; "CRI: Handle container/sandbox restarts for pod
    /// with RestartPolicy == Never"): the CRI kubelet's `computePodActions` recreated a dead sandbox
    /// and started every container again whatever the restart policy. The fix: under `Never`, once
    /// containers ran, a new sandbox is not made. Had by the CRI kubelet before 1.5. Breaks
    /// `restartPolicy: Never` (a container that exited is run again in a new sandbox).
    NeverPodSandboxRecreated,
    /// kubernetes/kubernetes#79398, fixed by #79451 (1.16, back-ported to 1.13-1.15): after #68980
    /// (1.13) the `Never` guard read only the sandbox attempt, so a pod whose first sandbox died before
    /// any container was created never got a new one and stayed `ContainerCreating` for ever. The fix
    /// adds "and containers already ran" to the guard. Had by 1.13.0-1.15.x. Breaks liveness.
    NeverPodSandboxNotRetried,
    /// kubernetes/kubernetes#36485 and #49505, fixed by #47599 (1.8): when the sandbox had to be
    /// recreated (pause death, node reboot), the kubelet started the regular containers in the new
    /// sandbox without running the init containers again. Had by 1.5-1.7 (the CRI kubelet). Breaks
    /// "regular containers only after every init container completed" in that sandbox.
    InitContainersSkippedInNewSandbox,
    /// kubernetes/kubernetes#92614 (1.19): a finished pod (every regular container succeeded under
    /// `OnFailure`) whose sandbox died got a new sandbox, and its init containers ran again, though
    /// nothing was left to run. The fix: initialised before and nothing to start means no new sandbox.
    /// Had by 1.8-1.18. Breaks `restartPolicy: OnFailure` (an init container that exited 0 runs again).
    DonePodSandboxRecreated,
    /// kubernetes/kubernetes#120247, fixed by #120269 (for 1.29, cherry-picked to 1.28): `computeInitContainerActions`
    /// took a regular container with any status, exited ones too, as proof that the pod had been
    /// initialised. After a node reboot or a pause death the exited containers of the old sandbox made
    /// the kubelet start the regular containers in the new sandbox after the first init container,
    /// skipping the others. The fix counts only created or running containers. A regression of 1.28.0
    /// (with or without SidecarContainers). Breaks init container order.
    ExitedContainerCountsAsInitialized,
    /// kubernetes/kubernetes#126543 (cherry-picked to 1.29, 1.30 and 1.31 as #127214, #127213 and
    /// #127212, September 2024): with SidecarContainers (default on since 1.29), an init container
    /// whose start failed after its create (left `created`) was never started again, and the pod
    /// stayed `Init:0/N` for ever. A regression of 1.29.0, in 1.29-1.31 until those patch releases.
    /// Breaks liveness.
    CreatedInitContainerNotRestarted,
    /// kubernetes/kubernetes#62362, #86531 and #90271 (Red Hat bz 1770017), fixed by #96572 (1.20):
    /// when the exited init containers of a running pod were removed from the runtime (garbage
    /// collection, `docker container prune`), the kubelet ran them again beside the running regular
    /// containers. The fix: a regular container with a status means initialisation is done. Had by
    /// every kubelet before 1.20. Breaks init container order (an init container after the regular
    /// ones).
    InitContainersRerunAfterRemoval,
    /// kubernetes/kubernetes#29033 and #36466, fixed by #40239 (1.6, "Delay deletion of pod from the
    /// API server until volumes are deleted"): the kubelet made the final delete of a pod's API object
    /// as soon as its containers had stopped, before its volumes were torn down and what was left of
    /// it removed. Had by every kubelet before 1.6. Breaks "nothing of a released pod is left on the
    /// node".
    ReleaseBeforeCleanup,
    /// kubernetes/kubernetes#58711, fixed by #59767 (1.10, "kubelet: check for illegal phase
    /// transition"): `generateAPIPodStatus` wrote the phase `getPhase` computed, even when the pod
    /// already had a terminal one, so a Failed pod could be reported Succeeded or Running again. Had
    /// by every kubelet before 1.10. Breaks "a pod never leaves a terminal phase".
    TerminalPhaseRegression,
    /// kubernetes/kubernetes#9764, fixed by #9765 (June 2015, before 1.0): the kubelet killed a
    /// pod's containers and its network (infra, now sandbox) container at once, so the network
    /// container could go first and a pre-stop hook or graceful shutdown that needs the network
    /// failed. The variant stops the sandbox first, the race's losing order. Had by the kubelet
    /// before 1.0. Breaks "a deleted pod's containers stop before its sandbox".
    SandboxStoppedBeforeContainers,
    /// kubernetes/kubernetes#52043 (fix proposed in #52044, September 2017; today's
    /// cache_based_manager.go `RegisterPod` removes only the dropped references): `RegisterPod` of
    /// the caching Secret manager released every Secret the previous version of a pod referenced,
    /// also those the new version still references, so after an update of the pod (an image
    /// change) its Secrets were no longer registered and could never be read ("secret ... not
    /// registered") for the pod's lifetime. Had by 1.7 (commit ffd8daf, the caching manager).
    /// Breaks liveness (the updated container never starts).
    SecretReleasedOnPodUpdate,
}

impl KubeletBug {
    /// Every bug, in the order above.
    pub const ALL: [KubeletBug; 11] = [
        KubeletBug::NeverPodSandboxRecreated,
        KubeletBug::NeverPodSandboxNotRetried,
        KubeletBug::InitContainersSkippedInNewSandbox,
        KubeletBug::DonePodSandboxRecreated,
        KubeletBug::ExitedContainerCountsAsInitialized,
        KubeletBug::CreatedInitContainerNotRestarted,
        KubeletBug::InitContainersRerunAfterRemoval,
        KubeletBug::ReleaseBeforeCleanup,
        KubeletBug::TerminalPhaseRegression,
        KubeletBug::SandboxStoppedBeforeContainers,
        KubeletBug::SecretReleasedOnPodUpdate,
    ];

    /// Its kebab-case name, as `--kubelet-bug` and `kubelet.bugs` take it.
    pub fn name(self) -> &'static str {
        match self {
            KubeletBug::NeverPodSandboxRecreated => "never-pod-sandbox-recreated",
            KubeletBug::NeverPodSandboxNotRetried => "never-pod-sandbox-not-retried",
            KubeletBug::InitContainersSkippedInNewSandbox => "init-containers-skipped-in-new-sandbox",
            KubeletBug::DonePodSandboxRecreated => "done-pod-sandbox-recreated",
            KubeletBug::ExitedContainerCountsAsInitialized => "exited-container-counts-as-initialized",
            KubeletBug::CreatedInitContainerNotRestarted => "created-init-container-not-restarted",
            KubeletBug::InitContainersRerunAfterRemoval => "init-containers-rerun-after-removal",
            KubeletBug::ReleaseBeforeCleanup => "release-before-cleanup",
            KubeletBug::TerminalPhaseRegression => "terminal-phase-regression",
            KubeletBug::SandboxStoppedBeforeContainers => "sandbox-stopped-before-containers",
            KubeletBug::SecretReleasedOnPodUpdate => "secret-released-on-pod-update",
        }
    }

    /// The bug of this name; an unknown name is an error listing the known ones.
    pub fn parse(name: &str) -> Result<KubeletBug, String> {
        KubeletBug::ALL.into_iter().find(|b| b.name() == name).ok_or_else(|| {
            let known: Vec<&str> = KubeletBug::ALL.iter().map(|b| b.name()).collect();
            format!("unknown kubelet bug {name:?}; known: {}", known.join(", "))
        })
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A set of [`KubeletBug`]s the kubelet carries (none by default), written as a list of names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct KubeletBugs(u32);

impl KubeletBugs {
    /// No bug: the kubelet as it is now.
    pub const NONE: KubeletBugs = KubeletBugs(0);

    /// Whether `bug` is re-introduced.
    #[inline]
    pub fn has(self, bug: KubeletBug) -> bool {
        self.0 & bug.bit() != 0
    }

    /// This set with `bug` added.
    pub fn with(self, bug: KubeletBug) -> KubeletBugs {
        KubeletBugs(self.0 | bug.bit())
    }

    /// No bug is on.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The bugs that are on, in [`KubeletBug::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = KubeletBug> {
        KubeletBug::ALL.into_iter().filter(move |b| self.has(*b))
    }
}

impl FromIterator<KubeletBug> for KubeletBugs {
    fn from_iter<I: IntoIterator<Item = KubeletBug>>(bugs: I) -> KubeletBugs {
        bugs.into_iter().fold(KubeletBugs::NONE, KubeletBugs::with)
    }
}

impl Serialize for KubeletBugs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for KubeletBugs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<KubeletBugs, D::Error> {
        Ok(Vec::<KubeletBug>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_unknown_names_are_errors() {
        for bug in KubeletBug::ALL {
            assert_eq!(KubeletBug::parse(bug.name()), Ok(bug));
            let json = serde_json::to_string(&bug).unwrap();
            assert_eq!(json, format!("\"{}\"", bug.name()), "serde writes the same name");
        }
        let e = KubeletBug::parse("no-such-bug").unwrap_err();
        assert!(
            e.contains("unknown kubelet bug \"no-such-bug\"") && e.contains("release-before-cleanup"),
            "{e}"
        );
    }

    #[test]
    fn a_set_holds_what_was_added_and_writes_a_list() {
        let set = KubeletBugs::NONE.with(KubeletBug::ReleaseBeforeCleanup);
        assert!(set.has(KubeletBug::ReleaseBeforeCleanup));
        assert!(!set.has(KubeletBug::NeverPodSandboxRecreated));
        assert!(KubeletBugs::NONE.is_empty() && !set.is_empty());
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, "[\"release-before-cleanup\"]");
        assert_eq!(serde_json::from_str::<KubeletBugs>(&json).unwrap(), set);
        assert!(serde_json::from_str::<KubeletBugs>("[\"nope\"]").is_err());
    }
}
