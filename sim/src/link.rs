//! The network between the kubelet and the API server: a base latency, extra latency for a while
//! (the latency fault), and partitions one way or both (the partition fault). Used by the simulator
//! and by the real backend, whose API server is in-process too.

use podsim_model::Millis;

use crate::faults::Direction;

/// One-way latency between the kubelet and the API server.
pub const BASE_LATENCY: Millis = 1;

/// The kubelet ↔ API server link.
#[derive(Clone, Debug, Default)]
pub struct Link {
    partition: Option<Direction>,
    partition_until: Millis,
    extra_latency: Millis,
    latency_until: Millis,
    /// When the last message from the API server reaches the kubelet.
    last_from_api: Millis,
}

impl Link {
    /// A link with the base latency and no partition.
    pub fn new() -> Link {
        Link::default()
    }

    /// The one-way latency of a message sent at `now`.
    pub fn latency(&self, now: Millis) -> Millis {
        BASE_LATENCY + if now < self.latency_until { self.extra_latency } else { 0 }
    }

    /// When a message the API server sends at `now` reaches the kubelet: after the latency (or
    /// `at_least`, for a connection's end the kubelet notices late), and never before one sent
    /// earlier. The connection is a stream: a watch's end cannot overtake the reply that opened it,
    /// nor its events.
    pub fn arrival_from_api(&mut self, now: Millis, at_least: Millis) -> Millis {
        let at = (now + self.latency(now).max(at_least)).max(self.last_from_api);
        self.last_from_api = at;
        at
    }

    /// Whether messages going `way` are lost.
    pub fn blocked(&self, way: Direction) -> bool {
        match self.partition {
            None => false,
            Some(Direction::Both) => true,
            Some(d) => d == way,
        }
    }

    /// Cuts the link `direction` (joining a cut the other way into both) for `duration`; returns
    /// when the cut heals.
    pub fn partition(&mut self, now: Millis, direction: Direction, duration: Millis) -> Millis {
        self.partition = Some(match self.partition {
            Some(d) if d != direction => Direction::Both,
            _ => direction,
        });
        self.partition_until = self.partition_until.max(now + duration);
        self.partition_until
    }

    /// Adds `extra` latency for `duration`; returns when it ends.
    pub fn slow_down(&mut self, now: Millis, extra: Millis, duration: Millis) -> Millis {
        self.extra_latency = extra;
        self.latency_until = self.latency_until.max(now + duration);
        self.latency_until
    }

    /// Heals the partition if its time has come (a later cut may have extended it); whether it did.
    pub fn heal_partition(&mut self, now: Millis) -> bool {
        if now < self.partition_until {
            return false;
        }
        self.partition = None;
        true
    }

    /// Ends the extra latency if its time has come; whether it did.
    pub fn heal_latency(&mut self, now: Millis) -> bool {
        if now < self.latency_until {
            return false;
        }
        self.extra_latency = 0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message sent when the extra latency has ended still arrives after one sent before it.
    #[test]
    fn messages_from_the_api_server_keep_their_order() {
        let mut link = Link::new();
        link.slow_down(0, 300, 100);
        let first = link.arrival_from_api(50, 0);
        assert_eq!(first, 351);
        assert!(link.heal_latency(100));
        assert_eq!(link.arrival_from_api(120, 0), first, "not before the earlier message");
        assert_eq!(link.arrival_from_api(500, 0), 501);
        assert_eq!(link.arrival_from_api(600, 30), 630, "a late-noticed end");
    }
}
