//! The event queue: a monotone radix heap (base 32) with FIFO ties and generation-checked
//! cancellation.
//!
//! A discrete-event simulation only ever schedules at or after the current instant, so the
//! pending times are never below the last time popped (`last`). A radix heap exploits this.
//! Write times in base 32 (five bits a digit: the fastest width in the hold benchmark); an event whose time differs from `last` first in digit `d`
//! (counting from the least significant) with digit value `v` there lives in bucket
//! `(d, v)`; events at `last` itself live in `due`. Every event of bucket `(d, v)` is earlier
//! than every event of any bucket `(d', v')` with `(d', v') > (d, v)`, so the earliest event
//! is in `due` or in the lowest non-empty bucket. Level-0 buckets hold events that agree with
//! `last` in all but the last digit, which means they share one time: when one is the
//! lowest, it simply becomes `due`. A higher bucket is redistributed around its minimum,
//! every event moving to a strictly lower level. An event is therefore moved at most once
//! per base-32 digit in which its time differs from "now" when it was scheduled (four for
//! an event a millisecond ahead), and buckets are scanned sequentially, which keeps a million
//! pending events cache-friendly where a binary heap is not.
//!
//! **Ties.** Events at equal times always sit in the same bucket (the bucket depends only on
//! the time and `last`), every move keeps their relative order, and new events are appended,
//! so equal-time events come out in the order they were scheduled. This is the FIFO rule of
//! the design; a property test checks it against a `(time, sequence)` heap.
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
/// Bits per digit of the radix.
const DIGIT: u32 = 5;
const RADIX: usize = 1 << DIGIT;
// `occupied` holds a bit per bucket of a level.
const _: () = assert!(RADIX <= 64);
const LEVELS: usize = 64_usize.div_ceil(DIGIT as usize);
const BUCKETS: usize = LEVELS * RADIX;
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
    /// The time of every entry in `due`; pending times are never below it.
    last: u64,
    /// The entries at `last`, in scheduling order.
    due: VecDeque<Entry<E>>,
    /// Bucket `(d, v)` is `buckets[d * RADIX + v]`: only appended to, and drained whole.
    buckets: Vec<Vec<Entry<E>>>,
    /// No entry of a bucket is earlier than its `mins` (cancelled ones included).
    mins: Vec<u64>,
    /// Bit `v` of `occupied[d]` set when bucket `(d, v)` is non-empty.
    occupied: [u64; LEVELS],
    /// Bit `d` set when `occupied[d] != 0`.
    levels: u32,
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
            mins: vec![u64::MAX; BUCKETS],
            occupied: [0; LEVELS],
            levels: 0,
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
        Some(self.take_head())
    }

    /// Removes the head of `due`, which `settle` has just made the next live event.
    #[inline]
    fn take_head(&mut self) -> (Time, E) {
        let entry = self.due.pop_front().expect("settle leaves a live head");
        self.stored -= 1;
        if entry.slot != NO_SLOT {
            self.release(entry.slot, entry.generation);
        }
        self.now = Time::from_nanos(entry.at);
        self.executed += 1;
        (self.now, entry.event)
    }

    /// Like [`Scheduler::pop`], but only if the next event is at or before `limit`.
    /// When it returns `None` with events still pending, the clock is left unchanged.
    #[inline]
    pub fn pop_until(&mut self, limit: Time) -> Option<(Time, E)> {
        // One settle: the head it leaves is the event to take.
        if self.settle() && self.last <= limit.as_nanos() {
            Some(self.take_head())
        } else {
            None
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

    /// The bucket of a time later than `last`: level of the highest differing digit,
    /// and the time's digit there.
    #[inline]
    fn bucket_of(&self, at: u64) -> usize {
        let diff = at ^ self.last;
        debug_assert!(diff != 0 && at > self.last);
        let level = (63 - diff.leading_zeros()) / DIGIT;
        let digit = (at >> (level * DIGIT)) as usize & (RADIX - 1);
        level as usize * RADIX + digit
    }

    #[inline]
    fn push(&mut self, entry: Entry<E>) {
        if entry.at < self.last {
            // Only after a look-ahead (`peek_time`, or `pop_until` past its limit) settled
            // the queue on a later event than `now`: rebase on the new, earlier time.
            self.rebase(entry.at);
        }
        self.stored += 1;
        if entry.at == self.last {
            self.due.push_back(entry);
        } else {
            let b = self.bucket_of(entry.at);
            self.push_bucket(b, entry);
        }
    }

    #[inline]
    fn push_bucket(&mut self, b: usize, entry: Entry<E>) {
        let (level, digit) = (b / RADIX, b % RADIX);
        self.occupied[level] |= 1 << digit;
        self.levels |= 1 << level;
        let min = &mut self.mins[b];
        *min = (*min).min(entry.at);
        self.buckets[b].push(entry);
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

    /// Makes the head of `due` the next live event. Returns false when none is pending.
    fn settle(&mut self) -> bool {
        loop {
            while let Some(front) = self.due.front() {
                if is_live(&self.generations, front) {
                    return true;
                }
                // A tombstone surfaced: drop it.
                self.due.pop_front();
                self.stored -= 1;
                self.tombstones -= 1;
            }
            if self.levels == 0 {
                return false;
            }
            let level = self.levels.trailing_zeros() as usize;
            let digit = self.occupied[level].trailing_zeros() as usize;
            self.refill(level * RADIX + digit);
        }
    }

    /// Refills the empty `due` from bucket `b`, the lowest non-empty one.
    fn refill(&mut self, b: usize) {
        let (level, digit) = (b / RADIX, b % RADIX);
        self.occupied[level] &= !(1 << digit);
        if self.occupied[level] == 0 {
            self.levels &= !(1 << level);
        }
        // The minimum may belong to a cancelled entry; every live one is still at or after
        // it, which is all the buckets need. If nothing live remains, `settle` goes on.
        self.last = std::mem::replace(&mut self.mins[b], u64::MAX);
        if level == 0 {
            // All of a level-0 bucket's entries share one time: it simply becomes `due`.
            // Both conversions take over the buffer (the old `due` is empty), so nothing
            // is copied or allocated.
            let bucket = std::mem::take(&mut self.buckets[b]);
            let old = std::mem::replace(&mut self.due, VecDeque::from(bucket));
            self.buckets[b] = Vec::from(old);
            return;
        }
        let mut entries = std::mem::take(&mut self.buckets[b]);
        for e in entries.drain(..) {
            if !is_live(&self.generations, &e) {
                self.stored -= 1;
                self.tombstones -= 1;
            } else if e.at == self.last {
                self.due.push_back(e);
            } else {
                let nb = self.bucket_of(e.at);
                debug_assert!(nb / RADIX < level, "an entry always moves to a lower level");
                self.push_bucket(nb, e);
            }
        }
        // Keep the allocation for reuse.
        self.buckets[b] = entries;
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
        self.occupied = [0; LEVELS];
        self.levels = 0;
        self.mins.fill(u64::MAX);
        self.last = at;
        for e in all {
            let b = self.bucket_of(e.at);
            self.push_bucket(b, e);
        }
    }

    /// Drops every tombstone now. Order within each bucket is preserved.
    fn compact(&mut self) {
        let generations = &self.generations;
        let before = self.stored;
        self.due.retain(|e| is_live(generations, e));
        let mut kept = self.due.len();
        for (b, bucket) in self.buckets.iter_mut().enumerate() {
            if bucket.is_empty() {
                continue;
            }
            bucket.retain(|e| is_live(generations, e));
            kept += bucket.len();
            self.mins[b] = bucket.iter().map(|e| e.at).min().unwrap_or(u64::MAX);
            if bucket.is_empty() {
                let (level, digit) = (b / RADIX, b % RADIX);
                self.occupied[level] &= !(1 << digit);
                if self.occupied[level] == 0 {
                    self.levels &= !(1 << level);
                }
            }
        }
        self.stored = kept;
        self.tombstones -= before - kept;
        debug_assert_eq!(self.tombstones, 0);
    }
}

#[inline]
fn is_live<E>(generations: &[u32], entry: &Entry<E>) -> bool {
    entry.slot == NO_SLOT || generations[entry.slot as usize] == entry.generation
}
