//! The kubelet's side of the network: its requests to the API server, their replies and timeouts,
//! and the watch events that come back (or the watches breaking in a partition).

use podsim_model::io::{ApiReply, ApiRequest, CallId, Input, WatchEvent};
use podsim_model::Millis;

use super::describe::{short_api, short_api_reply, written_event};
use super::{checker_view, Driver, Event, Harness, API_TIMEOUT, WATCH_BREAK_DETECTION};
use crate::checker::View;
use crate::faults::Direction;
use crate::link::BASE_LATENCY;
use crate::trace::TraceKind;

impl<E: Clone + std::fmt::Debug> Harness<E> {
    /// Sends a kubelet request towards the API server (lost in a partition; answered with an error
    /// at the client's timeout if no reply comes by then).
    pub(super) fn send_api(&mut self, call: CallId, request: ApiRequest) {
        let incarnation = self.incarnation;
        self.pending_api.insert(call, incarnation);
        if let ApiRequest::ListSecret { namespace, name } = &request {
            self.secret_calls.insert(call, (namespace.clone(), name.clone()));
        }
        self.schedule(self.now + API_TIMEOUT, Event::ApiTimeout { incarnation, call });
        if self.link.blocked(Direction::ToApiServer) {
            self.trace
                .record(self.now, TraceKind::Api, || format!("{} lost in a partition", short_api(&request)));
            return;
        }
        let at = self.now + self.link.latency(self.now);
        self.schedule(at, Event::ApiArrive { incarnation, call, request });
    }

    /// A kubelet request reaches the API server: it is served, and its reply sent back.
    pub(super) fn api_arrive<D: Driver<Event = E>>(
        &mut self,
        d: &mut D,
        incarnation: u32,
        call: CallId,
        request: ApiRequest,
    ) {
        let releasing = match &request {
            ApiRequest::DeletePod { pod } => Some(pod.uid.clone()),
            _ => None,
        };
        let short = if self.trace.enabled() { short_api(&request) } else { String::new() };
        let event_name = written_event(&request);
        let status_written = match &request {
            ApiRequest::UpdatePodStatus { pod, status } => Some((pod.clone(), status.phase)),
            _ => None,
        };
        let reply = self.api.handle(self.now, request);
        if let (Some((pod, phase)), ApiReply::Ok) = (&status_written, &reply) {
            self.checker.on_status_written(self.now, pod, *phase);
        }
        self.trace.record(self.now, TraceKind::Api, || format!("{short} -> {}", short_api_reply(&reply)));
        if let (Some((namespace, name)), ApiReply::Ok) = (event_name, &reply) {
            self.note_event_written(&namespace, &name);
        }
        if let (Some(uid), ApiReply::Ok) = (releasing, &reply) {
            if let Some(judge) = self.judge.as_mut() {
                judge.log().on_release(self.now, &uid);
            }
            if let Some(view) = checker_view!(self, d) {
                self.checker.on_release(self.now, &uid, &view);
            }
        }
        self.flush_watch();
        if incarnation != self.incarnation || self.link.blocked(Direction::FromApiServer) {
            return;
        }
        let at = self.link.arrival_from_api(self.now, 0);
        self.schedule(at, Event::Kubelet { incarnation, input: Input::Api { call, reply } });
    }

    /// An Event the kubelet's sink wrote: the expectations' log and the trace.
    fn note_event_written(&mut self, namespace: &str, name: &str) {
        if let Some(e) = self.api.event(namespace, name) {
            if let Some(judge) = self.judge.as_mut() {
                judge.log().on_event(self.now, &e.namespace, &e.pod_name, e.container.as_deref(), &e.reason);
            }
            self.trace.record(self.now, TraceKind::Event, || e.describe());
        }
    }

    /// Sends the watch events the API server has for the kubelet, its pods' and its Secrets' (or
    /// breaks the watches in a partition).
    pub fn flush_watch(&mut self) {
        let events = self.api.take_watch_events();
        for (event, _) in &events {
            if let WatchEvent::Upserted(p) = event {
                self.checker.on_spec(self.now, p);
            }
        }
        let secret_events = self.api.take_secret_events();
        let incarnation = self.incarnation;
        for (namespace, name) in self.api.take_ended_secret_watches() {
            let input = Input::SecretWatchClosed { namespace, name, gone: true };
            let at = self.link.arrival_from_api(self.now, BASE_LATENCY);
            self.schedule(at, Event::Kubelet { incarnation, input });
        }
        if events.is_empty() && secret_events.is_empty() {
            return;
        }
        if self.link.blocked(Direction::FromApiServer) {
            self.break_watch(WATCH_BREAK_DETECTION);
            return;
        }
        let at = self.link.arrival_from_api(self.now, 0);
        for (event, resource_version) in events {
            self.schedule(
                at,
                Event::Kubelet { incarnation, input: Input::WatchEvent { event, resource_version } },
            );
        }
        for (namespace, name, exists, resource_version) in secret_events {
            let input = Input::SecretEvent { namespace, name, exists, resource_version };
            self.schedule(at, Event::Kubelet { incarnation, input });
        }
    }

    /// Every watch of the kubelet breaks (they share its connection); it notices after `detection`.
    pub(super) fn break_watch(&mut self, detection: Millis) {
        let incarnation = self.incarnation;
        let at = self.link.arrival_from_api(self.now, detection);
        if self.api.close_watch() {
            self.schedule(at, Event::Kubelet { incarnation, input: Input::WatchClosed { gone: false } });
        }
        for (namespace, name) in self.api.close_secret_watches() {
            let input = Input::SecretWatchClosed { namespace, name, gone: false };
            self.schedule(at, Event::Kubelet { incarnation, input });
        }
    }
}
