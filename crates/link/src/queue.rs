//! The sending end of a link: a drop-tail queue in front of a serializer.
//!
//! A packet finishes serialization `bytes · 8 / bandwidth` after the later of its sending
//! instant and the end of the previous packet's serialization: a burst queues behind itself.
//! The end of serialization is kept exactly, in units of ns·bps, and only rounded up to a
//! whole nanosecond when reported, so a long stream neither drifts from the bandwidth nor
//! accumulates one rounding per packet: the `i`-th packet of a burst finishes at exactly
//! `ceil(i · bytes · 8 · 10^9 / bps)` ns after it.
//!
//! The queue holds the packets whose serialization has not finished, the one on the wire
//! included. With a limit, their finishing instants sit in a ring buffer sized once up front
//! (up to [`PREALLOCATED_SLOTS`]; a larger limit grows it on the way and then stops), so the
//! steady state allocates nothing. Without a limit only the last finishing instant matters.

use std::collections::VecDeque;

use synack_sim::Time;

/// Slots reserved at construction. A limit above this (rare: real queues are hundreds to a
/// few thousand packets) grows the buffer while the queue first fills, never afterwards.
const PREALLOCATED_SLOTS: u32 = 4096;

const NANOS_PER_SEC: u128 = 1_000_000_000;

#[derive(Clone, Debug)]
pub(crate) struct Serializer {
    bandwidth_bps: Option<u64>,
    limit: Option<u32>,
    /// When the last admitted packet finishes serialization, times `bandwidth_bps`.
    busy_until_scaled: u128,
    /// Finishing instants of the queued packets, oldest first (only with a limit).
    unfinished: VecDeque<Time>,
}

impl Serializer {
    pub fn new(bandwidth_bps: Option<u64>, limit: Option<u32>) -> Serializer {
        let slots = match (bandwidth_bps, limit) {
            (Some(_), Some(limit)) => limit.min(PREALLOCATED_SLOTS) as usize,
            // Infinite bandwidth never queues; an unbounded queue is not tracked.
            _ => 0,
        };
        Serializer {
            bandwidth_bps,
            limit,
            busy_until_scaled: 0,
            unfinished: VecDeque::with_capacity(slots),
        }
    }

    /// When a packet of `bytes` sent at `now` leaves the sender, fully serialized; `None`
    /// if the queue is full and the packet is dropped.
    pub fn admit(&mut self, now: Time, bytes: u32) -> Option<Time> {
        let Some(bps) = self.bandwidth_bps else {
            return Some(now);
        };
        if let Some(limit) = self.limit {
            while self.unfinished.front().is_some_and(|&done| done <= now) {
                self.unfinished.pop_front();
            }
            if self.unfinished.len() >= limit as usize {
                return None;
            }
        }
        // Saturating: only a bandwidth near u64::MAX at the end of time could reach 2^128.
        let bps = u128::from(bps);
        let start = self
            .busy_until_scaled
            .max(u128::from(now.as_nanos()).saturating_mul(bps));
        self.busy_until_scaled = start.saturating_add(u128::from(bytes) * 8 * NANOS_PER_SEC);
        let done = Time::from_nanos(
            u64::try_from(self.busy_until_scaled.div_ceil(bps)).unwrap_or(u64::MAX),
        );
        if self.limit.is_some() {
            self.unfinished.push_back(done);
        }
        Some(done)
    }
}
