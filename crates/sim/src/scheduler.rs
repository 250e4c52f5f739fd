//! The event queue: a monotone radix heap with FIFO ties and generation-checked cancellation.
//!
//! A discrete-event simulation only ever schedules at or after the current instant, so the
//! pending keys are never below the last key popped. A radix heap exploits this: bucket `i`
//! holds the events whose time differs from the last popped time first in bit `i - 1`
//! (bucket 0: equal to it). Scheduling appends to one bucket; popping takes from bucket 0,
//! refilling it when empty by redistributing the lowest non-empty bucket around its minimum.
//! Every event moves to a strictly lower bucket each time it is touched, so its cost is
//! bounded by the number of bits in which its time differs from "now" when it was scheduled
//! (about 20 for events a millisecond ahead), and the buckets are scanned sequentially,
//! which keeps a million pending events cache-friendly where a binary heap is not.
//!
//! **Ties.** Events at equal times always sit in the same bucket (the bucket depends only on
//! the time and the last popped time), every move keeps their relative order, and new events
//! are appended, so equal-time events come out in the order they were scheduled. This is
//! the FIFO rule of the design; a property test checks it against a `(time, sequence)` heap.
//!
//! **Cancellation.** [`Scheduler::schedule_cancellable`] returns an [`EventKey`] (slot and
//! generation). Cancelling bumps the slot's generation; the entry stays in its bucket as a
//! tombstone and is skipped when it surfaces, or dropped earlier when its bucket is
//! redistributed. When tombstones outnumber live events (and there are more than a few),
//! every bucket is compacted, so a timer reset a million times without firing keeps the
//! queue at most about twice the number of live events. Plain [`Scheduler::schedule`] events
//! carry no slot and cost nothing extra.

use std::collections::VecDeque;

use crate::{Duration, Time};

/// Identifies a cancellable event. Stale keys (the event already ran or was cancelled) are
/// harmless: cancelling them does nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventKey {
    slot: u32,
    generation: u32,
}

/// Scheduling into the past is a bug in the caller, reported rather than silently reordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot schedule an event at {at}, before the current time {now}")]
pub struct ScheduleError {
    pub at: Time,
    pub now: Time,
}

const NO_SLOT: u32 = u32::MAX;
/// Buckets 1..=64, by the highest bit in which a time differs from the last popped time.
const BUCKETS: usize = 64;
/// Compaction is not worth it below this many tombstones.
const MIN_TOMBSTONES_TO_COMPACT: usize = 64;

struct Entry<E> {
    at: u64,
    slot: u32,
    generation: u32,
    event: E,
}

/// A deterministic event queue over simulated time.
///
/// `E` is the caller's event type, normally a plain enum; the scheduler stores it inline, so
/// scheduling allocates only when a bucket outgrows its capacity (never in a steady state).
pub struct Scheduler<E> {
    now: Time,
    /// The time every entry of `due` has; pending times are never below it.
    last: u64,
    /// Bucket 0: the entries at `last`, in the order they were scheduled.
    due: VecDeque<Entry<E>>,
    /// `buckets[i - 1]` is bucket `i`: only appended to, and drained whole.
    buckets: Vec<Vec<Entry<E>>>,
    /// Bit `i - 1` set when bucket `i` is non-empty.
    occupied: u64,
    /// Entries stored, live or cancelled.
    stored: usize,
    tombstones: usize,
    generations: Vec<u32>,
    free_slots: Vec<u32>,
    executed: u64,
}

impl<E> Default for Scheduler<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Scheduler<E> {
    pub fn new() -> Self {
        Scheduler {
            now: Time::ZERO,
            last: 0,
            due: VecDeque::new(),
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            occupied: 0,
            stored: 0,
            tombstones: 0,
            generations: Vec::new(),
            free_slots: Vec::new(),
            executed: 0,
        }
    }

    /// The time of the event being (or last) executed.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Live pending events (cancelled ones excluded).
    pub fn len(&self) -> usize {
        self.stored - self.tombstones
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries held in the queue, cancelled ones included: what memory the queue uses.
    pub fn stored(&self) -> usize {
        self.stored
    }

    /// Events handed out by [`Scheduler::pop`] so far.
    pub fn executed(&self) -> u64 {
        self.executed
    }

    /// Schedules `event` at `at`, which must not be before [`Scheduler::now`].
    #[inline]
    pub fn schedule(&mut self, at: Time, event: E) -> Result<(), ScheduleError> {
        self.check(at)?;
        self.push(Entry {
            at: at.as_nanos(),
            slot: NO_SLOT,
            generation: 0,
            event,
        });
        Ok(())
    }

    /// Schedules `event` after `delay` from now; never fails.
    #[inline]
    pub fn schedule_in(&mut self, delay: Duration, event: E) {
        let at = self.now + delay;
        self.push(Entry {
            at: at.as_nanos(),
            slot: NO_SLOT,
            generation: 0,
            event,
        });
    }

    /// Schedules an event that can later be cancelled with the returned key.
    pub fn schedule_cancellable(&mut self, at: Time, event: E) -> Result<EventKey, ScheduleError> {
        self.check(at)?;
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                let slot = u32::try_from(self.generations.len())
                    .ok()
                    .filter(|&s| s != NO_SLOT)
                    .expect("fewer than 2^32 - 1 cancellable events pending");
                self.generations.push(0);
                slot
            }
        };
        let generation = self.generations[slot as usize];
        self.push(Entry {
            at: at.as_nanos(),
            slot,
            generation,
            event,
        });
        Ok(EventKey { slot, generation })
    }

    /// Cancels a pending event. Returns whether it was still pending.
    pub fn cancel(&mut self, key: EventKey) -> bool {
        if !self.release(key.slot, key.generation) {
            return false;
        }
        self.tombstones += 1;
        if self.tombstones >= MIN_TOMBSTONES_TO_COMPACT && self.tombstones > self.len() {
            self.compact();
        }
        true
    }

    /// The time of the next live event, if any.
    pub fn peek_time(&mut self) -> Option<Time> {
        if self.settle() {
            Some(Time::from_nanos(self.last))
        } else {
            None
        }
    }

    /// Removes and returns the next event, advancing the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(Time, E)> {
        if !self.settle() {
            return None;
        }
        let entry = self.due.pop_front().expect("settle leaves a live head");
        self.stored -= 1;
        if entry.slot != NO_SLOT {
            self.release(entry.slot, entry.generation);
        }
        self.now = Time::from_nanos(entry.at);
        self.executed += 1;
        Some((self.now, entry.event))
    }

    /// Like [`Scheduler::pop`], but only if the next event is at or before `limit`.
    /// When it returns `None` with events still pending, the clock is left unchanged.
    #[inline]
    pub fn pop_until(&mut self, limit: Time) -> Option<(Time, E)> {
        match self.peek_time() {
            Some(t) if t <= limit => self.pop(),
            _ => None,
        }
    }

    /// Runs `handler` on every event at or before `limit`, in order, then advances the clock
    /// to `limit`. Handlers may schedule and cancel events.
    pub fn run_until(&mut self, limit: Time, mut handler: impl FnMut(&mut Self, Time, E)) {
        while let Some((t, event)) = self.pop_until(limit) {
            handler(self, t, event);
        }
        if limit > self.now && limit != Time::MAX {
            self.now = limit;
        }
    }

    /// Runs `handler` on every event until the queue is empty.
    pub fn run(&mut self, mut handler: impl FnMut(&mut Self, Time, E)) {
        while let Some((t, event)) = self.pop() {
            handler(self, t, event);
        }
    }

    #[inline]
    fn check(&self, at: Time) -> Result<(), ScheduleError> {
        if at < self.now {
            Err(ScheduleError { at, now: self.now })
        } else {
            Ok(())
        }
    }

    /// 0 for `last` itself, else 1 + the highest bit in which `at` differs from `last`.
    #[inline]
    fn bucket_of(&self, at: u64) -> usize {
        (64 - (at ^ self.last).leading_zeros()) as usize
    }

    #[inline]
    fn push(&mut self, entry: Entry<E>) {
        if entry.at < self.last {
            // Only after a look-ahead (`peek_time`, or `pop_until` past its limit) settled
            // the queue on a later event than `now`: rebase on the new, earlier time.
            self.rebase(entry.at);
        }
        self.stored += 1;
        match self.bucket_of(entry.at) {
            0 => self.due.push_back(entry),
            b => {
                self.occupied |= 1 << (b - 1);
                self.buckets[b - 1].push(entry);
            }
        }
    }

    /// Bumps a slot's generation if `generation` is current, and frees the slot.
    #[inline]
    fn release(&mut self, slot: u32, generation: u32) -> bool {
        match self.generations.get_mut(slot as usize) {
            Some(g) if *g == generation => {
                *g = g.wrapping_add(1);
                self.free_slots.push(slot);
                true
            }
            _ => false,
        }
    }

    /// Makes the front of `due` the next live event. Returns false when none is pending.
    fn settle(&mut self) -> bool {
        loop {
            while let Some(front) = self.due.front() {
                if is_live(&self.generations, front) {
                    return true;
                }
                self.due.pop_front();
                self.stored -= 1;
                self.tombstones -= 1;
            }
            if self.occupied == 0 {
                return false;
            }
            self.redistribute(self.occupied.trailing_zeros() as usize + 1);
        }
    }

    /// Empties bucket `b` into lower buckets around its minimum live time, dropping
    /// tombstones on the way. Called only when `due` is empty.
    fn redistribute(&mut self, b: usize) {
        let mut entries = std::mem::take(&mut self.buckets[b - 1]);
        self.occupied &= !(1 << (b - 1));
        let min = entries
            .iter()
            .filter(|e| is_live(&self.generations, e))
            .map(|e| e.at)
            .min();
        if let Some(min) = min {
            self.last = min;
        }
        for e in entries.drain(..) {
            if is_live(&self.generations, &e) {
                self.push_moved(e, b);
            } else {
                self.stored -= 1;
                self.tombstones -= 1;
            }
        }
        // Keep the allocation for reuse.
        self.buckets[b - 1] = entries;
    }

    #[inline]
    fn push_moved(&mut self, entry: Entry<E>, from: usize) {
        let b = self.bucket_of(entry.at);
        debug_assert!(b < from, "an entry always moves to a lower bucket");
        if b == 0 {
            self.due.push_back(entry);
        } else {
            self.occupied |= 1 << (b - 1);
            self.buckets[b - 1].push(entry);
        }
    }

    /// Makes `at` (earlier than `last`, not earlier than `now`) the base of the buckets by
    /// re-inserting every entry. Equal times share one bucket before and after, and each
    /// bucket is re-inserted in order, so FIFO ties survive. O(pending); rare.
    #[cold]
    fn rebase(&mut self, at: u64) {
        debug_assert!(at >= self.now.as_nanos() && at < self.last);
        let mut all: Vec<Entry<E>> = self.due.drain(..).collect();
        for bucket in &mut self.buckets {
            all.append(bucket);
        }
        self.occupied = 0;
        self.last = at;
        for e in all {
            let b = self.bucket_of(e.at);
            debug_assert!(b > 0, "every pending entry is later than the new base");
            self.occupied |= 1 << (b - 1);
            self.buckets[b - 1].push(e);
        }
    }

    /// Drops every tombstone now. Order within each bucket is preserved.
    fn compact(&mut self) {
        let generations = &self.generations;
        let before = self.due.len() + self.buckets.iter().map(Vec::len).sum::<usize>();
        self.due.retain(|e| is_live(generations, e));
        for (i, bucket) in self.buckets.iter_mut().enumerate() {
            bucket.retain(|e| is_live(generations, e));
            if bucket.is_empty() {
                self.occupied &= !(1 << i);
            }
        }
        let after = self.due.len() + self.buckets.iter().map(Vec::len).sum::<usize>();
        self.stored -= before - after;
        self.tombstones -= before - after;
        debug_assert_eq!(self.tombstones, 0);
    }
}

#[inline]
fn is_live<E>(generations: &[u32], entry: &Entry<E>) -> bool {
    entry.slot == NO_SLOT || generations[entry.slot as usize] == entry.generation
}
