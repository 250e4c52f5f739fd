//! Packets on the wire: one direction of a link as a pure per-packet decision.
//!
//! A [`Channel`] is one direction of a link with its own seeded ChaCha8 stream. It knows no
//! scheduler and holds no packets: the caller tells it that a packet of so many bytes enters
//! the link now ([`Channel::transmit`]) and gets back an [`Outcome`], the instants at which
//! the packet and any copies of it arrive, or why it was dropped. The caller schedules those
//! deliveries and carries the packet's bytes itself. Nothing is allocated per packet.
//!
//! ```
//! use rand::SeedableRng;
//! use rand_chacha::ChaCha8Rng;
//! use synack_link::{Channel, Fate, LinkParams};
//! use synack_sim::{Duration, Time};
//!
//! let params = LinkParams {
//!     delay: Duration::from_millis(10),
//!     bandwidth_bps: Some(8_000_000), // 1 byte per microsecond
//!     ..LinkParams::default()
//! };
//! let mut link = Channel::new(params, ChaCha8Rng::seed_from_u64(1))?;
//! let outcome = link.transmit(Time::ZERO, 1000);
//! assert_eq!(outcome.fate, Fate::Deliver(Time::ZERO + Duration::from_micros(11_000)));
//! # Ok::<(), synack_link::LinkError>(())
//! ```
//!
//! # The order of the stages
//!
//! 1. **Queue and serialization** (`src/queue.rs`). A packet that finds the queue full (in
//!    packets or bytes) is dropped ([`DropCause::QueueFull`]), as is one RED drops early or
//!    CoDel drops at its dequeue ([`DropCause::Aqm`]; with `ecn`, an ECN-capable packet is
//!    marked CE instead, [`Outcome::marked`]); otherwise it leaves the sender when
//!    its serialization at the bandwidth ends, behind every packet before it.
//!    The queue comes first because it sits at the sender, in front of the bottleneck.
//! 2. **Loss on the wire** ([`DropCause::Loss`]; Bernoulli or Gilbert-Elliott). After the
//!    queue, so a lost packet has still taken its queue slot and its serialization time, as in
//!    ns-3, whose receive error model drops packets the sending device fully transmitted.
//!    Deciding loss before the queue would make lost packets free and understate the
//!    queueing delay on a lossy, loaded link.
//! 3. **Propagation delay and jitter**: arrival = departure + `delay` ± `jitter`.
//! 4. **Reordering**: with its probability the packet is held a further `reorder.delay`.
//! 5. **Duplication**: with its probability a second copy arrives at departure + `delay`
//!    ± its own jitter (it is not held for reordering).
//! 6. **Stale copy**: with its probability a copy arrives again a uniform `(0, max_age]`
//!    after the original's arrival (reordering hold included).
//!
//! A packet dropped at stage 1 or 2 has no copies. Copies are made past the bottleneck,
//! as by a misbehaving router downstream, so they use no bandwidth and no queue slot.
//!
//! # Randomness
//!
//! Every `transmit` call draws exactly eight 32-bit words from the channel's stream, in this
//! order: loss, Gilbert-Elliott transition, jitter, reorder, duplicate, the duplicate's
//! jitter, stale, stale age, and a ninth for RED's early drop on a RED link only;
//! [`Channel::new`] draws one word first, for the initial Gilbert-Elliott state. The count depends on nothing (not the outcome, not the
//! parameters), so the same seed and the same sequence of `transmit` calls give the same
//! outcomes, and sweeping one parameter leaves the other stages' draws alone
//! (`src/draws.rs` has the details).
//!
//! # Simplified, and what it costs
//!
//! - **Jitter is drawn independently per packet**, as netem's does, so packets sent less than
//!   `2·jitter` apart can overtake each other even with `reorder` off; enough of that triggers
//!   fast retransmits. A real path's delay variation mostly keeps order. Jitter is clamped
//!   at zero delay, so with `jitter > delay` the mean delay exceeds `delay`.
//! - **The queue is decided at admission**, with no dequeue events: exact for drop-tail and
//!   RED, and for CoDel up to its "queue nearly empty" test (see `src/queue.rs`). RED
//!   counts packets, so small packets (SYNs, ACKs) fill its average as fast as full
//!   segments; a byte limit (`queue_bytes`) does not.
//! - **Loss does not depend on packet size** (no bit-error rate), and the Gilbert-Elliott
//!   chain steps per packet, not per unit of time (see `src/loss.rs`).
//! - **Copies cost nothing** (see above): with heavy duplication a link delivers more than
//!   its bandwidth.
//! - **No corruption**: a packet arrives intact or not at all.
//! - **Calls must come in time order** (`now` never decreases), which a discrete-event
//!   simulation guarantees; debug builds assert it.

mod draws;
mod loss;
mod params;
mod queue;

pub use params::{Aqm, CoDel, LinkError, LinkParams, LossModel, Red, Reorder, Stale};
pub use queue::red_pa;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use synack_sim::{Duration, Time};

use draws::{below, chance, Draws};
use loss::Wire;
use queue::{Refusal, Serializer};

/// What became of one packet: its own fate, and the arrival instants of any extra copies.
/// The caller should schedule the deliveries in the order of [`Outcome::arrivals`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub fate: Fate,
    /// A duplicate's arrival, if the packet was duplicated.
    pub duplicate: Option<Time>,
    /// A stale copy's arrival, if one was kept.
    pub stale: Option<Time>,
    /// The queue marked the packet CE (ECN) instead of dropping it: every copy carries the
    /// mark.
    pub marked: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Arrives at the far end at this instant.
    Deliver(Time),
    Drop(DropCause),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropCause {
    /// The queue was full when the packet was sent (its packet or byte limit).
    QueueFull,
    /// Dropped by the queue's active management: early by RED, or by CoDel at its dequeue.
    Aqm,
    /// Lost on the wire, after serialization.
    Loss,
}

/// Counts since the channel was made. Copies are not counted in `delivered`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelStats {
    /// Packets handed to [`Channel::transmit`].
    pub sent: u64,
    /// Of those, delivered (at least once).
    pub delivered: u64,
    /// Dropped because the queue was full.
    pub dropped_queue: u64,
    /// Dropped by RED or CoDel.
    pub dropped_aqm: u64,
    /// Marked CE by RED or CoDel instead of dropped (ECN), and delivered or lost on.
    pub ecn_marked: u64,
    pub dropped_loss: u64,
    /// Delivered packets held for reordering.
    pub reordered: u64,
    /// Delivered packets that also arrive a second time.
    pub duplicated: u64,
    /// Delivered packets of which a stale copy arrives later.
    pub stale_copies: u64,
    /// Packets the queue admitted (not dropped by it), and their total wait for the start
    /// of their serialization, in nanoseconds.
    pub queued: u64,
    pub waited_nanos: u128,
}

/// One direction of a link.
#[derive(Clone, Debug)]
pub struct Channel {
    params: LinkParams,
    /// The link's stream, kept only where a packet's words can change anything on it (see
    /// [`Draws`]): a link without randomness, the common case in a large topology, does
    /// without its 300-odd bytes.
    rng: Option<Box<ChaCha8Rng>>,
    serializer: Serializer,
    wire: Wire,
    stats: ChannelStats,
    /// The latest `now` seen, to check that time never runs backwards.
    last_sent: Time,
    /// How long the last packet sent waits for its serialization, unless the queue dropped it.
    last_wait: Option<Duration>,
}

impl Outcome {
    fn dropped(cause: DropCause) -> Outcome {
        Outcome {
            fate: Fate::Drop(cause),
            duplicate: None,
            stale: None,
            marked: false,
        }
    }

    /// Every arrival: the original's, then the duplicate's, then the stale copy's.
    pub fn arrivals(&self) -> impl Iterator<Item = Time> {
        self.fate
            .arrival()
            .into_iter()
            .chain(self.duplicate)
            .chain(self.stale)
    }
}

impl Fate {
    pub fn arrival(self) -> Option<Time> {
        match self {
            Fate::Deliver(at) => Some(at),
            Fate::Drop(_) => None,
        }
    }
}

impl ChannelStats {
    /// Packets that never arrived, whatever the cause.
    pub fn dropped(&self) -> u64 {
        self.dropped_queue + self.dropped_aqm + self.dropped_loss
    }
}

impl Channel {
    /// A channel with the given parameters, drawing from `rng` alone. Fails if a parameter
    /// is out of range ([`LinkParams::validate`]).
    pub fn new(params: LinkParams, mut rng: ChaCha8Rng) -> Result<Channel, LinkError> {
        params.validate()?;
        let wire = Wire::new(params.loss, rng.next_u32());
        Ok(Channel {
            serializer: Serializer::new(
                params.bandwidth_bps,
                params.queue_packets,
                params.queue_bytes,
                params.aqm,
            ),
            wire,
            rng: draws::needed(&params).then(|| Box::new(rng)),
            stats: ChannelStats::default(),
            last_sent: Time::ZERO,
            last_wait: None,
            params,
        })
    }

    /// A packet of `wire_bytes` (headers included), not ECN-capable, enters the link at
    /// `now`.
    pub fn transmit(&mut self, now: Time, wire_bytes: u32) -> Outcome {
        self.transmit_ecn(now, wire_bytes, false)
    }

    /// A packet of `wire_bytes` (headers included) enters the link at `now`; `ect`: it is
    /// ECN-capable (ECT(0), ECT(1), or already CE, which Linux's `INET_ECN_set_ce` keeps as
    /// well), so a queue with `ecn` on may mark it rather than drop it early
    /// ([`Outcome::marked`]).
    pub fn transmit_ecn(&mut self, now: Time, wire_bytes: u32, ect: bool) -> Outcome {
        debug_assert!(
            now >= self.last_sent,
            "transmit at {now}, after {}",
            self.last_sent
        );
        self.last_sent = now;
        self.stats.sent += 1;
        let (draws, red_word) = match &mut self.rng {
            // RED's word comes after the eight, and only on a RED link: other links' streams
            // are what they always were.
            Some(rng) => (
                Draws::next(rng),
                match self.params.aqm {
                    Aqm::Red(_) => rng.next_u32(),
                    _ => 0,
                },
            ),
            None => (Draws::NONE, 0),
        };

        self.last_wait = None;
        let (departure, marked) = match self.serializer.admit(now, wire_bytes, red_word, ect) {
            Ok(admitted) => {
                let wait = admitted.wait;
                self.last_wait = Some(wait);
                self.stats.queued += 1;
                self.stats.waited_nanos += u128::from(wait.as_nanos());
                self.stats.ecn_marked += u64::from(admitted.marked);
                (admitted.done, admitted.marked)
            }
            Err(Refusal::Full) => {
                self.stats.dropped_queue += 1;
                return Outcome::dropped(DropCause::QueueFull);
            }
            Err(Refusal::Aqm) => {
                self.stats.dropped_aqm += 1;
                return Outcome::dropped(DropCause::Aqm);
            }
        };
        if self.wire.lose(&draws) {
            self.stats.dropped_loss += 1;
            return Outcome {
                marked,
                ..Outcome::dropped(DropCause::Loss)
            };
        }
        self.stats.delivered += 1;
        let arrival = self.propagate(departure, draws.jitter) + self.reorder_hold(draws.reorder);
        Outcome {
            fate: Fate::Deliver(arrival),
            duplicate: self.duplicate(departure, &draws),
            stale: self.stale(arrival, &draws),
            marked,
        }
    }

    pub fn stats(&self) -> &ChannelStats {
        &self.stats
    }

    pub fn params(&self) -> &LinkParams {
        &self.params
    }

    /// Packets in the queue at `now` (no earlier than the last `transmit`), the one being
    /// serialized included: what the limit counts. An unbounded drop-tail queue is not
    /// tracked and reports 0 (the experiment file always bounds a queue).
    pub fn queue_len(&self, now: Time) -> usize {
        self.serializer.len_at(now)
    }

    /// How long a packet sent at `now` (no earlier than the last `transmit`) would wait
    /// before its serialization starts (ignoring any CoDel drop ahead of it).
    pub fn queue_wait(&self, now: Time) -> Duration {
        self.serializer.wait_at(now)
    }

    /// RED's average queue (packets, or bytes) as the last `transmit` updated it; `None`
    /// without RED.
    pub fn red_average(&self) -> Option<f64> {
        self.serializer.red_average()
    }

    /// How long the packet of the last `transmit` waits for its serialization to start;
    /// `None` if the queue dropped it (or nothing was sent yet).
    pub fn last_wait(&self) -> Option<Duration> {
        self.last_wait
    }

    /// Departure plus the propagation delay, moved by a jitter uniform over the whole
    /// nanoseconds of `[-jitter, +jitter]` and clamped at no delay.
    fn propagate(&self, departure: Time, word: u32) -> Time {
        let delay = i128::from(self.params.delay.as_nanos());
        let jitter = i128::from(self.params.jitter.as_nanos());
        let offset = below(word, 2 * jitter as u128 + 1) as i128 - jitter;
        let delay = u64::try_from((delay + offset).max(0)).unwrap_or(u64::MAX);
        departure + Duration::from_nanos(delay)
    }

    fn reorder_hold(&mut self, word: u32) -> Duration {
        match self.params.reorder {
            Some(reorder) if chance(word, reorder.probability) => {
                self.stats.reordered += 1;
                reorder.delay
            }
            _ => Duration::ZERO,
        }
    }

    fn duplicate(&mut self, departure: Time, draws: &Draws) -> Option<Time> {
        if !chance(draws.duplicate, self.params.duplicate) {
            return None;
        }
        self.stats.duplicated += 1;
        Some(self.propagate(departure, draws.duplicate_jitter))
    }

    /// The stale copy arrives a whole number of nanoseconds in `[1, max_age]` after `arrival`.
    fn stale(&mut self, arrival: Time, draws: &Draws) -> Option<Time> {
        let stale = self.params.stale?;
        if !chance(draws.stale, stale.probability) {
            return None;
        }
        self.stats.stale_copies += 1;
        let age = 1 + below(draws.stale_age, u128::from(stale.max_age.as_nanos())) as u64;
        Some(arrival + Duration::from_nanos(age))
    }
}
