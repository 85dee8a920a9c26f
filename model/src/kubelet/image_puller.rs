//! The image puller (pkg/kubelet/images/puller.go): how many `PullImage` calls the kubelet has out
//! at once, and in which order the others wait.
//!
//! `NewImageManager` (image_manager.go) picks one of two pullers:
//! - `serializeImagePulls: true` (the default): `newSerialImagePuller`, one goroutine reading pull
//!   requests from a channel (`processImagePullRequests`), so the pulls of every pod run one at a time,
//!   in the order they were asked for;
//! - `serializeImagePulls: false`: `newParallelImagePuller`, a goroutine per pull, at most
//!   `maxParallelImagePulls` of them pulling at once (a semaphore of that many tokens; nil or less
//!   than 1: no limit).
//!
//! Both are reached from `imageManager.pullImage`, after `EnsureImageExists` has inspected the image
//! (pull policy) and after the ImagePullBackOff check: neither waits in the puller's queue. The pod
//! worker then waits for its pull's result (`<-pullChan`).
//!
//! What podsim decides where the kubelet leaves it to goroutines:
//! - **Order.** The serial puller's channel is first in, first out; so is the parallel puller's
//!   semaphore here (Go wakes the goroutines blocked on a full channel in the order they blocked).
//!   The channel's buffer (`maxImagePullRequests`, 10) blocks the 11th sender until a slot frees,
//!   which keeps the same order, so podsim's queue has no bound of its own: each pod worker has at
//!   most one pull waiting (a sync's steps run one at a time), so the queue is no longer than the
//!   number of pods.
//! - **A pod deleted while its pull waits.** The puller is handed the pull with the sync's context,
//!   and `UpdatePod` cancels that context when the pod starts terminating. The serial puller still
//!   processes every request it was given, in order; when a cancelled one comes up, its
//!   `PullImage(ctx, ...)` ends at once with `Canceled` and pulls nothing. podsim does the same: the
//!   request keeps its place, and when it comes up it fails at once with that error, without a CRI
//!   call (the pod worker then records a failed pull, as `pullImage` does for any error, and goes on
//!   to terminate the pod). A pull already in flight is not cancelled: podsim models no cancelled CRI
//!   call, so it runs to its end (the kubelet's would end at once).
//! - **A kubelet restart.** The queue lives in the kubelet's memory and is lost with it; the new
//!   kubelet's pod workers ask for their pulls again as they sync.
//!
//! Read in the search index (ids are its file ids; the index's kubernetes/kubernetes copy of
//! puller.go is a 2017 one, so recent copies were read instead): puller.go as of Kubernetes 1.33+
//! (id 70476494663: `serialImagePuller`, `maxImagePullRequests`, `newParallelImagePuller`'s tokens;
//! id 39934521351, an annotated copy of the 1.27-1.32 file, for the parallel puller's goroutine per
//! pull); image_manager.go 1.33+ (id 680658890: `NewImageManager`, `EnsureImageExists`, `pullImage`);
//! pkg/kubelet/apis/config/v1beta1/defaults.go (id 16677878); validation.go (id 4640499) and
//! validation_test.go (id 9350235); image_manager_test.go `TestMaxParallelImagePullsLimit` (id
//! 3589149732); pod_workers.go `UpdatePod` (id 20104594293: "Cancelling current pod sync").

use std::collections::{BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::sync_run::Reply;
use super::{CallOwner, Kubelet, KubeletConfig};
use crate::coverage::Probe;
use crate::io::{CallId, CriError, CriReply, CriRequest, Output, WorkerState};
use crate::runtime::Millis;

/// What a pull whose context was cancelled returns (`PullImage` over gRPC).
pub const PULL_CANCELLED: &str = "rpc error: code = Canceled desc = context canceled";

/// How many pulls may be out at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PullLimit {
    /// The parallel puller without `maxParallelImagePulls`.
    Unlimited,
    /// The serial puller (1), or the parallel puller's tokens.
    AtMost(u32),
}

impl PullLimit {
    /// The puller `NewImageManager` makes for these settings.
    pub fn of(config: &KubeletConfig) -> PullLimit {
        if config.serialize_image_pulls {
            return PullLimit::AtMost(1);
        }
        // `newParallelImagePuller`: nil or less than 1 is no limit.
        match config.max_parallel_image_pulls {
            Some(max) if max >= 1 => PullLimit::AtMost(max.unsigned_abs()),
            _ => PullLimit::Unlimited,
        }
    }

    /// Whether one more pull may start while `in_flight` are out.
    fn has_room(self, in_flight: usize) -> bool {
        match self {
            PullLimit::Unlimited => true,
            PullLimit::AtMost(max) => in_flight < max as usize,
        }
    }
}

/// The kubelet's checks of the pull settings (validation.go `ValidateKubeletConfiguration`).
pub fn validate_pull_settings(serialize: bool, max_parallel: Option<i32>) -> Result<(), String> {
    match max_parallel {
        Some(max) if max < 1 => {
            Err(format!("maxParallelImagePulls: invalid configuration: maxParallelImagePulls {max} must be a positive number"))
        }
        Some(max) if serialize && max > 1 => Err("maxParallelImagePulls: invalid configuration: maxParallelImagePulls \
                                                  cannot be larger than 1 unless SerializeImagePulls \
                                                  (--serialize-image-pulls) is set to false"
            .into()),
        _ => Ok(()),
    }
}

/// One pull a pod worker asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// The call its reply comes back on (the pod worker waits for it).
    pub call: CallId,
    /// The pod whose sync asked.
    pub pod_uid: String,
    /// The image.
    pub image: String,
}

/// The pulls waiting and in flight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePuller {
    limit: PullLimit,
    /// Pulls not started, in the order they were asked for.
    waiting: VecDeque<PullRequest>,
    /// Pulls started and not answered.
    in_flight: BTreeSet<CallId>,
}

impl ImagePuller {
    /// An empty puller.
    pub fn new(limit: PullLimit) -> ImagePuller {
        ImagePuller { limit, waiting: VecDeque::new(), in_flight: BTreeSet::new() }
    }

    /// A pod worker asks for a pull (`pullImage`): it waits behind every pull asked for before it.
    pub fn push(&mut self, request: PullRequest) {
        self.waiting.push_back(request);
    }

    /// The next pull to start, if one waits and the limit leaves room; it counts as in flight.
    pub fn start_next(&mut self) -> Option<PullRequest> {
        if !self.limit.has_room(self.in_flight.len()) {
            return None;
        }
        let request = self.waiting.pop_front()?;
        self.in_flight.insert(request.call);
        Some(request)
    }

    /// A pull ended (answered, or cancelled); whether it was one of this puller's.
    pub fn finish(&mut self, call: CallId) -> bool {
        self.in_flight.remove(&call)
    }

    /// How many pulls wait.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// How many pulls are out.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }
}

impl Kubelet {
    /// `imageManager.pullImage` hands the pull to the puller (past the ImagePullBackOff check): the
    /// pod worker waits for the call, which goes out when the puller gets to it.
    pub(super) fn queue_pull(&mut self, uid: &str, image: String, now: Millis, out: &mut Vec<Output>) {
        let call = self.call_id(CallOwner::Worker(uid.to_string()));
        if let Some(run) = self.workers.get_mut(uid).and_then(|w| w.sync.as_mut()) {
            run.waiting.insert(call);
        }
        self.puller.push(PullRequest { call, pod_uid: uid.to_string(), image });
        self.start_pulls(now, out);
        if self.puller.waiting() > 0 {
            self.hit(Probe::PullerWaited);
        }
    }

    /// A CRI reply arrived: if it answers a pull, the pull's slot is free for the next.
    pub(super) fn pull_answered(&mut self, call: CallId, now: Millis, out: &mut Vec<Output>) {
        if self.puller.finish(call) {
            self.start_pulls(now, out);
        }
    }

    /// Starts every pull the limit allows, in order. A pull whose sync was cancelled fails at once
    /// without a CRI call, and the next one comes up.
    fn start_pulls(&mut self, now: Millis, out: &mut Vec<Output>) {
        let mut cancelled = Vec::new();
        while let Some(request) = self.puller.start_next() {
            if self.pull_cancelled(&request) {
                self.hit(Probe::PullerCancelled);
                self.puller.finish(request.call);
                cancelled.push(request);
                continue;
            }
            let PullRequest { call, image, .. } = request;
            out.push(Output::Cri { call, request: CriRequest::PullImage { image: image.into() } });
            if self.puller.in_flight() > 1 {
                self.hit(Probe::PullerParallel);
            }
        }
        for request in cancelled {
            self.calls.remove(&request.call);
            let reply = Reply::Cri(CriReply::Err(CriError::Failed(PULL_CANCELLED.into())));
            self.on_reply(&request.pod_uid, request.call, reply, now, out);
        }
    }

    /// Whether a pull's context is cancelled: the pod began terminating during the sync that asked
    /// (`UpdatePod` cancels a sync when the pod becomes terminating), or nothing waits for it any more.
    fn pull_cancelled(&self, request: &PullRequest) -> bool {
        let Some(w) = self.workers.get(&request.pod_uid) else { return true };
        let waits = w.sync.as_ref().is_some_and(|run| run.waiting.contains(&request.call));
        let became_terminating = w.terminate_requested && w.state == WorkerState::Syncing;
        !waits || became_terminating
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(n: u64) -> PullRequest {
        PullRequest { call: CallId(n), pod_uid: format!("pod-{n}"), image: format!("img-{n}:1") }
    }

    /// Every pull that can start now, by call number.
    fn start_all(p: &mut ImagePuller) -> Vec<u64> {
        std::iter::from_fn(|| p.start_next()).map(|r| r.call.0).collect()
    }

    #[test]
    fn the_serial_puller_starts_one_pull_at_a_time_in_the_order_asked() {
        let mut p = ImagePuller::new(PullLimit::AtMost(1));
        for n in [1, 2, 3] {
            p.push(request(n));
        }
        assert_eq!(start_all(&mut p), [1]);
        assert_eq!((p.in_flight(), p.waiting()), (1, 2));
        assert!(!p.finish(CallId(9)), "not a pull");
        assert_eq!(start_all(&mut p), Vec::<u64>::new(), "a reply that is not a pull frees nothing");
        assert!(p.finish(CallId(1)));
        assert_eq!(start_all(&mut p), [2]);
        assert!(p.finish(CallId(2)));
        assert_eq!(start_all(&mut p), [3]);
        assert!(p.finish(CallId(3)));
        assert_eq!((p.in_flight(), p.waiting()), (0, 0));
    }

    /// image_manager_test.go `TestMaxParallelImagePullsLimit`: with 5 tokens, 5 pulls start, 2 more
    /// wait; when 2 pulls end the 2 start; when the rest end, no more pulls were made (7 in all).
    #[test]
    fn max_parallel_image_pulls_limit() {
        let mut p = ImagePuller::new(PullLimit::AtMost(5));
        for n in 1..=5 {
            p.push(request(n));
        }
        // "First 5 EnsureImageExists should result in runtime calls"
        assert_eq!(start_all(&mut p), [1, 2, 3, 4, 5]);
        // "Next two EnsureImageExists should be blocked because maxParallelImagePulls is hit"
        p.push(request(6));
        p.push(request(7));
        assert_eq!(start_all(&mut p), Vec::<u64>::new());
        // "Unblock two image pulls from runtime, and two EnsureImageExists can go through"
        p.finish(CallId(1));
        p.finish(CallId(2));
        assert_eq!(start_all(&mut p), [6, 7]);
        // "Unblock the remaining 5 image pulls from runtime, and all EnsureImageExists can go through"
        for n in 3..=7 {
            assert!(p.finish(CallId(n)));
        }
        assert_eq!(start_all(&mut p), Vec::<u64>::new());
        assert_eq!((p.in_flight(), p.waiting()), (0, 0));
    }

    #[test]
    fn without_a_limit_every_pull_starts_at_once() {
        let mut p = ImagePuller::new(PullLimit::Unlimited);
        for n in 1..=20 {
            p.push(request(n));
        }
        assert_eq!(start_all(&mut p).len(), 20);
        assert_eq!(p.waiting(), 0);
    }

    #[test]
    fn the_settings_pick_the_puller_as_new_image_manager_does() {
        let config = |serialize, max| {
            let mut c = KubeletConfig::new("node-1");
            c.serialize_image_pulls = serialize;
            c.max_parallel_image_pulls = max;
            c
        };
        assert_eq!(PullLimit::of(&KubeletConfig::new("node-1")), PullLimit::AtMost(1), "the default");
        assert_eq!(PullLimit::of(&config(true, Some(1))), PullLimit::AtMost(1));
        assert_eq!(PullLimit::of(&config(false, None)), PullLimit::Unlimited);
        assert_eq!(PullLimit::of(&config(false, Some(3))), PullLimit::AtMost(3));
        // `newParallelImagePuller`: less than 1 is no limit (validation refuses it first).
        assert_eq!(PullLimit::of(&config(false, Some(0))), PullLimit::Unlimited);
    }

    /// v1beta1 defaults.go: `serializeImagePulls` left out is true unless `maxParallelImagePulls` is
    /// 2 or more.
    #[test]
    fn serialize_image_pulls_defaults_from_the_limit() {
        for (max, serialize) in
            [(None, true), (Some(0), true), (Some(1), true), (Some(2), false), (Some(5), false)]
        {
            assert_eq!(KubeletConfig::default_serialize_image_pulls(max), serialize, "{max:?}");
        }
    }

    /// validation_test.go `TestValidateKubeletConfiguration`, the cases about image pulls.
    #[test]
    fn validate_kubelet_configuration_image_pull_cases() {
        let cases: [(&str, bool, Option<i32>, Option<&str>); 5] = [
            // "invalid MaxParallelImagePulls"
            ("0", true, Some(0), Some("maxParallelImagePulls 0 must be a positive number")),
            // "invalid MaxParallelImagePulls and SerializeImagePulls combination"
            (
                "3 serialized",
                true,
                Some(3),
                Some(
                    "maxParallelImagePulls cannot be larger than 1 unless SerializeImagePulls \
                     (--serialize-image-pulls) is set to false",
                ),
            ),
            // "valid MaxParallelImagePulls and SerializeImagePulls combination"
            ("1 serialized", true, Some(1), None),
            // The defaults (the Go test's base configuration).
            ("defaults", true, None, None),
            ("3 in parallel", false, Some(3), None),
        ];
        for (name, serialize, max, error) in cases {
            let mut c = KubeletConfig::new("node-1");
            c.serialize_image_pulls = serialize;
            c.max_parallel_image_pulls = max;
            match (c.validate(), error) {
                (Ok(()), None) => {}
                (Err(e), Some(want)) => assert!(e.contains(want), "{name}: {e}"),
                (got, want) => panic!("{name}: got {got:?}, want an error {want:?}"),
            }
        }
    }
}
