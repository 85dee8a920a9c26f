//! The world's event queue: the earliest event first, and of events due at the same time the one
//! scheduled first (`(at, seq)` order, so a run is the same on every machine).
//!
//! The heap holds only small keys; the events wait in a slab of slots reused as they are taken.
//! Sifting a key moves 24 bytes instead of a whole event, and once the slab and the heap have
//! grown to a run's busiest moment, scheduling allocates nothing.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use podsim_model::Millis;

/// Events of type `T`, each due at a virtual time.
pub(super) struct EventQueue<T> {
    /// `(at, seq, slot)`, reversed: the max-heap's greatest is the earliest `(at, seq)`. `seq` is
    /// unique, so the slot never decides the order.
    keys: BinaryHeap<Reverse<(Millis, u64, u32)>>,
    /// The events, by slot.
    slots: Vec<Option<T>>,
    /// Slots free for reuse.
    free: Vec<u32>,
    /// How many events were ever scheduled.
    seq: u64,
}

impl<T> EventQueue<T> {
    /// An empty queue.
    pub(super) fn new() -> EventQueue<T> {
        EventQueue { keys: BinaryHeap::new(), slots: Vec::new(), free: Vec::new(), seq: 0 }
    }

    /// Schedules `event` at `at`, after every event already due at `at`.
    pub(super) fn push(&mut self, at: Millis, event: T) {
        self.seq += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(event);
                slot
            }
            None => {
                self.slots.push(Some(event));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 events wait at once")
            }
        };
        self.keys.push(Reverse((at, self.seq, slot)));
    }

    /// When the next event is due.
    pub(super) fn next_at(&self) -> Option<Millis> {
        self.keys.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Takes the next event if it is due by `until`.
    pub(super) fn pop_due(&mut self, until: Millis) -> Option<(Millis, T)> {
        if self.next_at()? > until {
            return None;
        }
        let Reverse((at, _, slot)) = self.keys.pop()?;
        let event = self.slots[slot as usize].take().expect("a key's slot holds its event");
        self.free.push(slot);
        Some((at, event))
    }
}

#[cfg(test)]
mod tests {
    use super::EventQueue;

    #[test]
    fn pops_by_time_then_by_order_of_scheduling() {
        let mut q = EventQueue::new();
        q.push(20, "b");
        q.push(10, "a");
        q.push(20, "c");
        q.push(5, "first");
        assert_eq!(q.next_at(), Some(5));
        assert_eq!(q.pop_due(4), None, "nothing is due by 4");
        assert_eq!(q.pop_due(100), Some((5, "first")));
        assert_eq!(q.pop_due(100), Some((10, "a")));
        q.push(20, "d");
        assert_eq!(q.pop_due(100), Some((20, "b")));
        assert_eq!(q.pop_due(100), Some((20, "c")));
        assert_eq!(q.pop_due(100), Some((20, "d")));
        assert_eq!(q.pop_due(100), None);
        assert_eq!(q.next_at(), None);
    }

    #[test]
    fn reuses_the_slots_of_taken_events() {
        let mut q = EventQueue::new();
        for round in 0..100u64 {
            q.push(round, round);
            q.push(round, round + 1000);
            assert_eq!(q.pop_due(round), Some((round, round)));
            assert_eq!(q.pop_due(round), Some((round, round + 1000)));
        }
        assert_eq!(q.slots.len(), 2, "two events waited at once at most");
    }
}
