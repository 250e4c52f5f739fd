//! The sending end of a link: a FIFO queue in front of a serializer, with drop-tail limits
//! in packets and bytes, and optionally RED or CoDel.
//!
//! # Serialization
//!
//! A packet finishes serialization `bytes · 8 / bandwidth` after the later of its sending
//! instant and the end of the previous packet's serialization: a burst queues behind itself.
//! The end of serialization is kept exactly, in units of ns·bps, and only rounded up to a
//! whole nanosecond when reported, so a long stream neither drifts from the bandwidth nor
//! accumulates one rounding per packet: the `i`-th packet of a burst finishes at exactly
//! `ceil(i · bytes · 8 · 10^9 / bps)` ns after it.
//!
//! # The queue, decided at admission
//!
//! There are no dequeue events: everything about a packet is decided when it is sent. In a
//! FIFO that is exact for drop-tail, since a packet's departure depends only on the packets
//! before it. The queue holds the packets whose serialization has not finished, the one on
//! the wire included (so ns-3's `MaxSize = n` is our `n + 1`, and a Linux qdisc's backlog
//! is ours less the packet the device is sending); their finishing instants and sizes sit
//! in a ring buffer that doubles as the queue first reaches a new depth and never shrinks,
//! so a steady state allocates nothing, and the thousand idle access links of a large
//! topology hold a few slots each rather than room for their whole limit. A packet is
//! dropped if the packets would then exceed `queue_packets`, or their bytes `queue_bytes`.
//! (An unbounded drop-tail queue keeps no ring: only its last finishing instant matters.)
//! A packet's *wait* (its sojourn in the queue) runs from its sending instant to the start
//! of its serialization.
//!
//! **RED** (Floyd & Jacobson, "Random Early Detection Gateways for Congestion Avoidance",
//! IEEE/ACM ToN 1993) is an enqueue-side rule, so it too is exact here: the average is
//! updated and the early drop decided on each arrival, as in the paper's Figure 2, in
//! packets (the queue as the limit counts it), or in bytes as tc-red counts them
//! ([`crate::Red::bytes`]), with the one extra random word per packet
//! described in `src/draws.rs`. The limit still applies after RED (a forced drop, which,
//! as in Linux's `red_enqueue`, leaves RED's `count` alone).
//!
//! **CoDel** (RFC 8289) decides at dequeue, from the packet's sojourn time. In a FIFO with
//! a known service order, a packet's dequeue instant (the start of its serialization) is
//! known when it is sent, and packets are dequeued in the order they were sent; so the
//! dequeue-side state machine of RFC 8289 §5.5 (and Linux's `codel_dequeue`,
//! include/net/codel_impl.h) runs here packet by packet in sending order, each step at that
//! packet's dequeue instant. A packet CoDel drops leaves the queue at its dequeue instant
//! without being serialized, so the next one starts then. The two simplifications:
//! - The "queue nearly empty" test (`bytes() <= maxpacket` in RFC 8289 §5.5, from §4.1's
//!   non-starvation rule: no drop while the queue holds at most one packet's worth) should
//!   read the backlog left behind the packet at its dequeue, which includes packets sent
//!   after it. Here it reads the backlog the packet found ahead of itself when it was sent
//!   (which, for a queue in steady state, is the one it leaves behind).
//! - An empty dequeue (the link finds no packet when it finishes one) is inferred when the
//!   next packet arrives after the link went idle; it resets `first_above_time` and leaves
//!   the dropping state, as `codel_should_drop(NULL)` and `codel_dequeue` do.
//!
//! The choice: exact dequeue events would cost an event per packet per queue, roughly
//! doubling the events of a loaded link, for a difference only in that one test.
//!
//! **ECN** (RFC 3168 §5): with `ecn` on, where RED would drop an ECN-capable packet early
//! (Linux `red_enqueue`: the probabilistic mark and, without `harddrop`, the forced one
//! above `max_th`) or CoDel would drop one at its dequeue (`codel_dequeue`), the packet is
//! marked CE and kept. CoDel's state moves as Linux's does: a mark on entering the dropping
//! state is the one packet sent; a mark inside the dropping loop schedules the next one by
//! the control law and ends the loop. A full queue drops whatever the packet carries.

use std::collections::VecDeque;

use synack_sim::{Duration, Time};

use crate::draws::chance;
use crate::params::{Aqm, CoDel, Red};

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// What the queue did with a packet it admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Admitted {
    /// When its serialization ends.
    pub done: Time,
    /// How long it waited for its serialization to start.
    pub wait: Duration,
    /// RED or CoDel marked it CE instead of dropping it.
    pub marked: bool,
}

/// CoDel's verdict on a packet at its dequeue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Send,
    Drop,
    Mark,
}

/// Why the queue refused a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A limit (packets or bytes) was reached.
    Full,
    /// RED dropped it early, or CoDel at its dequeue.
    Aqm,
}

#[derive(Clone, Debug)]
pub(crate) struct Serializer {
    bandwidth_bps: Option<u64>,
    limit_packets: Option<u32>,
    limit_bytes: Option<u64>,
    /// When the last admitted packet finishes serialization (or, dropped by CoDel, leaves
    /// the queue), exactly.
    busy_until: Exact,
    /// Finishing instants and sizes of the queued packets, oldest first (with a bandwidth).
    queued: VecDeque<(Time, u32)>,
    /// Their bytes.
    queued_bytes: u64,
    /// Whether `queued` is kept: with a bandwidth, and a limit or an AQM.
    tracked: bool,
    red: Option<RedState>,
    codel: Option<CoDelState>,
}

impl Serializer {
    pub fn new(
        bandwidth_bps: Option<u64>,
        limit_packets: Option<u32>,
        limit_bytes: Option<u64>,
        aqm: Aqm,
    ) -> Serializer {
        // Infinite bandwidth never queues, and an unbounded drop-tail queue is not tracked:
        // only its last finishing instant matters.
        let tracked = bandwidth_bps.is_some()
            && (limit_packets.is_some() || limit_bytes.is_some() || aqm != Aqm::None);
        Serializer {
            bandwidth_bps,
            limit_packets,
            limit_bytes,
            busy_until: Exact::default(),
            queued: VecDeque::new(),
            queued_bytes: 0,
            tracked,
            red: match aqm {
                Aqm::Red(params) => Some(RedState::new(params, bandwidth_bps)),
                _ => None,
            },
            codel: match aqm {
                Aqm::CoDel(params) => Some(CoDelState::new(params)),
                _ => None,
            },
        }
    }

    /// When a packet of `bytes` sent at `now` leaves the sender, fully serialized, how
    /// long it waited for its serialization to start and whether it was marked CE; or why
    /// it is dropped. `word` is the packet's random word for RED (unused otherwise); `ect`:
    /// the packet is ECN-capable.
    pub fn admit(
        &mut self,
        now: Time,
        bytes: u32,
        word: u32,
        ect: bool,
    ) -> Result<Admitted, Refusal> {
        let Some(bps) = self.bandwidth_bps else {
            return Ok(Admitted {
                done: now,
                wait: Duration::ZERO,
                marked: false,
            });
        };
        let mut marked = false;
        // The instant the link last finished (or CoDel last dropped) a packet.
        let free_at = self.busy_until.ceil();
        if free_at <= now {
            // Every queued packet is done by the last one's end: the queue is empty, known
            // without reading it (on an idle link, most arrivals find it so).
            self.queued.clear();
            self.queued_bytes = 0;
        }
        while self.queued.front().is_some_and(|&(done, _)| done <= now) {
            let (_, b) = self.queued.pop_front().expect("just seen");
            self.queued_bytes -= u64::from(b);
        }
        if let Some(red) = &mut self.red {
            let q = if red.params.bytes {
                self.queued_bytes as f64
            } else {
                self.queued.len() as f64
            };
            let early = red.arrival(now, q, free_at, word);
            if early && red.params.ecn && ect {
                marked = true;
            } else if early {
                return Err(Refusal::Aqm);
            }
        }
        let full_packets = self
            .limit_packets
            .is_some_and(|limit| self.queued.len() >= limit as usize);
        let full_bytes = self
            .limit_bytes
            .is_some_and(|limit| self.queued_bytes + u64::from(bytes) > limit);
        if full_packets || full_bytes {
            return Err(Refusal::Full);
        }
        let start = self.busy_until.max(Exact::at(now));
        let dequeued = start.ceil();
        let wait = dequeued.saturating_since(now);
        if let Some(codel) = &mut self.codel {
            let ahead = self.queued_bytes;
            let can_mark = codel.ecn && ect;
            match codel.dequeue(now, dequeued, free_at, (bytes, ahead), can_mark) {
                Verdict::Drop => {
                    // Dropped at its dequeue: it held its place until then, and the link
                    // moves on to the next packet at once.
                    self.busy_until = start;
                    self.push(dequeued, bytes);
                    return Err(Refusal::Aqm);
                }
                Verdict::Mark => marked = true,
                Verdict::Send => {}
            }
        }
        self.busy_until = start.plus_bits(u64::from(bytes) * 8, bps);
        let done = self.busy_until.ceil();
        self.push(done, bytes);
        Ok(Admitted { done, wait, marked })
    }

    fn push(&mut self, done: Time, bytes: u32) {
        if !self.tracked {
            return;
        }
        self.queued.push_back((done, bytes));
        self.queued_bytes += u64::from(bytes);
    }

    /// Packets in the queue at `now` (not before the last admission), the one being
    /// serialized included; always 0 for an unbounded drop-tail queue, which is not tracked.
    pub fn len_at(&self, now: Time) -> usize {
        self.queued.len() - self.queued.partition_point(|&(done, _)| done <= now)
    }

    /// RED's average queue after the last arrival, in packets (or bytes); `None` without
    /// RED.
    pub fn red_average(&self) -> Option<f64> {
        self.red.as_ref().map(|r| r.avg)
    }

    /// How long a packet sent at `now` (not before the last admission) would wait for its
    /// serialization to start.
    pub fn wait_at(&self, now: Time) -> Duration {
        match self.bandwidth_bps {
            Some(_) => self.busy_until.ceil().saturating_since(now),
            None => Duration::ZERO,
        }
    }
}

/// An instant on a link of `bps` bits a second, exactly: `ns + rem / bps` nanoseconds with
/// `rem < bps`. Serialization times are rarely whole nanoseconds; keeping the remainder
/// keeps back-to-back packets from drifting, and keeps it in two 64-bit words where the
/// instant times `bps` would need 128 bits and a 128-bit division for every packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Exact {
    ns: u64,
    rem: u64,
}

impl Exact {
    fn at(t: Time) -> Exact {
        Exact {
            ns: t.as_nanos(),
            rem: 0,
        }
    }

    /// Rounded up to a whole nanosecond.
    fn ceil(self) -> Time {
        Time::from_nanos(self.ns.saturating_add(u64::from(self.rem > 0)))
    }

    /// `bits` later on a link of `bps` bits a second (saturating at the end of time).
    fn plus_bits(self, bits: u64, bps: u64) -> Exact {
        let (whole, part) = match bits.checked_mul(NANOS_PER_SEC) {
            Some(scaled) => (scaled / bps, scaled % bps),
            None => {
                let scaled = u128::from(bits) * u128::from(NANOS_PER_SEC);
                let bps = u128::from(bps);
                let whole = u64::try_from(scaled / bps).unwrap_or(u64::MAX);
                (whole, (scaled % bps) as u64)
            }
        };
        // Both below `bps`: their sum is below 2·bps, so one subtraction normalizes it (in
        // wrapping arithmetic should the sum pass 2^64).
        let (rem, over) = self.rem.overflowing_add(part);
        let (carry, rem) = if over || rem >= bps {
            (1, rem.wrapping_sub(bps))
        } else {
            (0, rem)
        };
        Exact {
            ns: self.ns.saturating_add(whole).saturating_add(carry),
            rem,
        }
    }
}

/// RED's state: the paper's `avg`, `count` and `q_time`.
#[derive(Clone, Debug)]
struct RedState {
    params: Red,
    /// `s`, the transmission time of a typical (`avpkt`) packet, in ns.
    s_nanos: f64,
    avg: f64,
    /// Packets since the last early drop while the average was above `min_th`; -1 below.
    count: i64,
}

impl RedState {
    fn new(params: Red, bandwidth_bps: Option<u64>) -> RedState {
        let s_nanos = bandwidth_bps.map_or(1.0, |bps| {
            (f64::from(params.avpkt) * 8.0 * 1e9 / bps as f64).max(1.0)
        });
        RedState {
            params,
            s_nanos,
            avg: 0.0,
            // Floyd & Jacobson 1993, Figure 2: "Initialization: avg ← 0, count ← −1".
            count: -1,
        }
    }

    /// A packet arrives at a queue of `q` packets (or bytes, [`Red::bytes`]) that went idle
    /// at `q_time` (if `q` is 0): updates the average and says whether the packet is dropped
    /// early.
    fn arrival(&mut self, now: Time, q: f64, q_time: Time, word: u32) -> bool {
        let p = self.params;
        if q > 0.0 {
            // Figure 2: "if the queue is nonempty, avg ← (1 − w_q)·avg + w_q·q".
            self.avg = (1.0 - p.weight) * self.avg + p.weight * q;
        } else {
            // Figure 2, the idle-time correction: "m ← f(time − q_time);
            // avg ← (1 − w_q)^m · avg", m the number of typical small packets that could
            // have been sent while the queue was idle.
            let idle = now.saturating_since(q_time).as_nanos() as f64;
            let m = (idle / self.s_nanos).floor().min(f64::from(i32::MAX)) as i32;
            self.avg *= (1.0 - p.weight).powi(m);
        }
        let (low, high) = if p.gentle {
            (p.min_th, 2.0 * p.max_th)
        } else {
            (p.min_th, p.max_th)
        };
        if self.avg < low {
            // Figure 2: below min_th, "count ← −1".
            self.count = -1;
            return false;
        }
        if self.avg >= high {
            // Figure 2: "else if max_th ≤ avg: mark the arriving packet, count ← 0"
            // (with `gentle`, from 2·max_th on: Floyd 2000).
            self.count = 0;
            return true;
        }
        self.count += 1;
        // Figure 2: p_b ← max_p (avg − min_th)/(max_th − min_th); the gentle variant
        // (Floyd, "Recommendation on using the gentle_ variant of RED", 2000) continues
        // from max_p at max_th to 1 at 2·max_th.
        let pb = if self.avg < p.max_th {
            p.max_p * (self.avg - p.min_th) / (p.max_th - p.min_th)
        } else {
            p.max_p + (1.0 - p.max_p) * (self.avg - p.max_th) / p.max_th
        };
        let pa = red_pa(pb, self.count);
        if chance(word, pa) {
            // Figure 2: "with probability p_a: mark the arriving packet, count ← 0".
            self.count = 0;
            return true;
        }
        false
    }
}

/// RED's spacing of drops (Floyd & Jacobson 1993, Figure 2 and the section on calculating
/// the packet-marking probability):
/// `p_a ← p_b / (1 − count·p_b)`, which makes the gap between drops uniform over
/// `[1, 1/p_b]` rather than geometric; once `count·p_b ≥ 1` the drop is certain.
pub fn red_pa(pb: f64, count: i64) -> f64 {
    let denominator = 1.0 - count as f64 * pb;
    if denominator <= pb {
        1.0
    } else {
        (pb / denominator).min(1.0)
    }
}

/// CoDel's state variables (RFC 8289 §5.2), and where the per-packet walk through the
/// dequeue loop stands.
#[derive(Clone, Debug)]
struct CoDelState {
    /// Mark ECN-capable packets instead of dropping them.
    ecn: bool,
    target: u64,
    interval: u64,
    /// `first_above_time`, ns; 0 when not above target.
    first_above: u64,
    /// `drop_next`, ns.
    drop_next: u64,
    count: u32,
    lastcount: u32,
    dropping: bool,
    /// `maxpacket`: the largest packet seen.
    max_packet: u32,
    /// The previous packet was dropped inside the dropping state's loop, so this one is the
    /// loop's next `dodequeue`, at the same instant.
    in_loop: bool,
    /// The previous packet was dropped on entering the dropping state, so this one is
    /// dequeued and sent without a drop decision.
    after_entry: bool,
}

impl CoDelState {
    fn new(params: CoDel) -> CoDelState {
        CoDelState {
            ecn: params.ecn,
            target: params.target.as_nanos(),
            interval: params.interval.as_nanos(),
            first_above: 0,
            drop_next: 0,
            count: 0,
            lastcount: 0,
            dropping: false,
            max_packet: 0,
            in_loop: false,
            after_entry: false,
        }
    }

    /// The control law (RFC 8289 §5.6 `control_law`, §3.3): the next drop comes
    /// `interval / sqrt(count)` after `t`.
    fn control_law(&self, t: u64, count: u32) -> u64 {
        let gap = (self.interval as f64 / f64::from(count.max(1)).sqrt()) as u64;
        t.saturating_add(gap)
    }

    /// RFC 8289 §5.5 `dodequeue` (Linux `codel_should_drop`): has the sojourn time been
    /// above target for at least an interval? `backlog` stands for the bytes left queued.
    fn ok_to_drop(&mut self, now: u64, sojourn: u64, bytes: u32, backlog: u64) -> bool {
        self.max_packet = self.max_packet.max(bytes);
        if sojourn < self.target || backlog <= u64::from(self.max_packet) {
            // "went below - stay below for at least interval"
            self.first_above = 0;
            return false;
        }
        if self.first_above == 0 {
            // "just went above from below": ok to drop if still above an interval later.
            self.first_above = now + self.interval;
            false
        } else {
            now >= self.first_above
        }
    }

    /// A packet of `bytes` sent at `sent` reaches the head of the queue at `dequeued`,
    /// with `ahead` bytes queued in front of it when it was sent; the link was last free
    /// at `free_at`. Is it dropped (or, `can_mark`, marked)? RFC 8289 §5.5 `dequeue`, one
    /// packet at a time.
    fn dequeue(
        &mut self,
        sent: Time,
        dequeued: Time,
        free_at: Time,
        (bytes, ahead): (u32, u64),
        can_mark: bool,
    ) -> Verdict {
        if sent > free_at {
            // The link went idle before this packet came: it found the queue empty, which
            // resets `first_above_time` (§5.5 `dodequeue`: "queue is empty - we can't be
            // above target") and leaves the dropping state (§5.5 `dequeue`: "an empty queue
            // takes us out of dropping state").
            self.first_above = 0;
            self.dropping = false;
            self.in_loop = false;
            self.after_entry = false;
        }
        let now = dequeued.as_nanos();
        let sojourn = dequeued.saturating_since(sent).as_nanos();
        let ok = self.ok_to_drop(now, sojourn, bytes, ahead);
        if self.after_entry {
            // §5.5: on entering the dropping state the next packet is dequeued and sent.
            self.after_entry = false;
            return Verdict::Send;
        }
        if self.in_loop {
            // §5.5, the loop's `r = dodequeue(now)` after a drop: "if (!r.ok_to_drop) leave
            // dropping state; else schedule the next drop", then loop while it is due.
            if !ok {
                self.dropping = false;
                self.in_loop = false;
                return Verdict::Send;
            }
            self.drop_next = self.control_law(self.drop_next, self.count);
            return self.drop_if_due(now, can_mark);
        }
        if self.dropping {
            if !ok {
                // "sojourn time below TARGET - leave dropping state"
                self.dropping = false;
                return Verdict::Send;
            }
            return self.drop_if_due(now, can_mark);
        }
        if ok {
            // §5.5: entering the dropping state drops this packet. "If min went above
            // TARGET close to when it last went below, assume that the drop rate that
            // controlled the queue on the last cycle is a good starting point": the
            // re-entry rule, count − lastcount if above 1 and the last drop was within 16
            // intervals.
            self.dropping = true;
            let delta = self.count.wrapping_sub(self.lastcount);
            let recent =
                (i128::from(now) - i128::from(self.drop_next)) < 16 * i128::from(self.interval);
            self.count = if delta > 1 && recent { delta } else { 1 };
            self.lastcount = self.count;
            self.drop_next = self.control_law(now, self.count);
            if can_mark {
                // `codel_dequeue`: marked, it is the packet sent; no second look.
                return Verdict::Mark;
            }
            self.after_entry = true;
            return Verdict::Drop;
        }
        Verdict::Send
    }

    /// In the dropping state: "while (now >= drop_next && dropping) { drop; ++count; ... }".
    /// A mark instead (`can_mark`) schedules the next drop by the control law and leaves the
    /// loop (`codel_dequeue`: "goto end").
    fn drop_if_due(&mut self, now: u64, can_mark: bool) -> Verdict {
        if now >= self.drop_next {
            self.count = self.count.wrapping_add(1);
            if can_mark {
                self.drop_next = self.control_law(self.drop_next, self.count);
                self.in_loop = false;
                return Verdict::Mark;
            }
            self.in_loop = true;
            Verdict::Drop
        } else {
            self.in_loop = false;
            Verdict::Send
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn red_pa_spaces_drops() {
        assert_eq!(red_pa(0.1, 0), 0.1);
        assert!((red_pa(0.1, 5) - 0.2).abs() < 1e-12);
        // count·p_b reaching 1: certain.
        assert_eq!(red_pa(0.1, 9), 1.0);
        assert_eq!(red_pa(0.1, 50), 1.0);
    }

    proptest::proptest! {
        /// The busy instant kept as `ns + rem / bps` is the instant times `bps` kept in 128
        /// bits, as the serializer once kept it: every packet's start and end, rounded up to
        /// a nanosecond, are the same.
        #[test]
        fn exact_instants_are_the_scaled_ones(
            bps in proptest::prop_oneof![1u64..10_000, 1u64..=u64::MAX, proptest::strategy::Just(1_000_000_000u64)],
            packets in proptest::collection::vec((0u64..5_000_000, 1u32..70_000), 1..60),
        ) {
            let (mut exact, mut scaled) = (Exact::default(), 0u128);
            let mut now = 0u64;
            for (gap, bytes) in packets {
                now += gap;
                let start = exact.max(Exact::at(Time::from_nanos(now)));
                let start_scaled = scaled.max(u128::from(now) * u128::from(bps));
                proptest::prop_assert_eq!(
                    start.ceil().as_nanos(),
                    u64::try_from(start_scaled.div_ceil(u128::from(bps))).unwrap_or(u64::MAX)
                );
                exact = start.plus_bits(u64::from(bytes) * 8, bps);
                scaled = start_scaled + u128::from(bytes) * 8 * 1_000_000_000;
                proptest::prop_assert_eq!(
                    exact.ceil().as_nanos(),
                    u64::try_from(scaled.div_ceil(u128::from(bps))).unwrap_or(u64::MAX)
                );
            }
        }
    }
}
