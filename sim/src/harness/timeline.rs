//! The scenario's timeline: users creating, updating and deleting pods and Secrets, and faults at
//! fixed times. One retry rule for both backends.

use podsim_model::io::ApiError;
use podsim_model::Millis;

use super::describe::describe_action;
use super::{Driver, Event, Harness};
use crate::scenario::Action;
use crate::trace::TraceKind;

/// How often a user's request that failed because the API server or etcd was down is tried again.
pub const TIMELINE_RETRY_INTERVAL: Millis = 1_000;
/// A timeline entry is tried at most this many more times (as kubectl users and controllers do,
/// and no fault of the API server lasts 600 s).
pub const MAX_TIMELINE_RETRIES: u32 = 600;

impl<E: Clone + std::fmt::Debug> Harness<E> {
    /// Carries out timeline entry `index`. A user's request that fails because the API server or
    /// etcd is down is retried every second (at most [`MAX_TIMELINE_RETRIES`] times).
    pub(super) fn apply_action<D: Driver<Event = E>>(&mut self, d: &mut D, index: usize) {
        let action = self.scenario.timeline[index].1.clone();
        if self.trace.enabled() {
            let text = describe_action(&action);
            self.trace.record(self.now, TraceKind::Timeline, || text);
        }
        let result = self.carry_out_action(d, action.clone());
        if result.is_ok() {
            d.on_action(self, &action);
            if let Some(judge) = self.judge.as_mut() {
                judge.log().on_action(self.now, &action);
            }
        }
        if let Err(e) = result {
            self.trace.record(self.now, TraceKind::Timeline, || format!("failed: {e:?}"));
            let attempts = self.retries.entry(index).or_insert(0);
            *attempts += 1;
            if e == ApiError::Unavailable && *attempts <= MAX_TIMELINE_RETRIES {
                let at = self.now + TIMELINE_RETRY_INTERVAL;
                self.last_action = self.last_action.max(at);
                self.schedule(at, Event::Timeline(index));
            }
        }
        self.flush_watch();
    }

    fn carry_out_action<D: Driver<Event = E>>(&mut self, d: &mut D, action: Action) -> Result<(), ApiError> {
        let now = self.now;
        match action {
            Action::CreatePod(pod) => {
                self.checker.on_spec(now, &pod);
                self.api.create_pod(now, pod).map(|_| ())
            }
            Action::UpdatePod(new) => {
                let stored = self.api.update_pod(now, &new.namespace, &new.name, |p| {
                    let node = p.spec.node_name.clone();
                    p.spec = new.spec.clone();
                    p.spec_mut().node_name = node;
                });
                if let Ok(p) = &stored {
                    self.checker.on_spec(now, p);
                }
                stored.map(|_| ())
            }
            Action::ResizePod { namespace, name, containers } => {
                let served = self.scenario.kubelet.feature_gates.in_place_pod_vertical_scaling;
                let stored = self.api.resize_pod(now, &namespace, &name, &containers, served);
                if let Ok(p) = &stored {
                    self.checker.on_spec(now, p);
                }
                stored.map(|_| ())
            }
            Action::DeletePod { namespace, name, grace_seconds } => {
                self.api.delete_pod(now, &namespace, &name, grace_seconds)
            }
            Action::CreateSecret { namespace, name } => self.api.create_secret(&namespace, &name),
            Action::DeleteSecret { namespace, name } => self.api.delete_secret(&namespace, &name),
            Action::Fault(fault) => {
                self.apply_fault(d, fault);
                Ok(())
            }
        }
    }
}
