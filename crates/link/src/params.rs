//! What one direction of a link does to packets: plain data, checked once by
//! [`LinkParams::validate`].
//!
//! Every default is the perfect wire: no delay, no jitter, infinite bandwidth, an unbounded
//! queue, no loss, no duplicates, no reordering, no stale copies. The experiment file's
//! `[[link]]` keys map one to one onto these fields (see DESIGN.md); the field names in
//! [`LinkError`] are those keys, so the scenario crate can point at the offending one.

use synack_sim::Duration;
use thiserror::Error;

/// One direction of a link.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LinkParams {
    /// Propagation delay, added to every packet after it leaves the queue. Default 0.
    pub delay: Duration,
    /// Each packet's propagation delay is `delay + U`, with `U` uniform over the whole
    /// nanoseconds in `[-jitter, +jitter]`, clamped so that it is never negative. Drawn
    /// independently per packet, so it reorders packets sent less than `2·jitter` apart.
    /// Default 0.
    pub jitter: Duration,
    /// Serialization rate in bits per second; `None` (the default) is infinite: a packet
    /// leaves the moment it is sent and never waits.
    pub bandwidth_bps: Option<u64>,
    /// Drop-tail limit on the packets whose serialization has not finished, counting the one
    /// being serialized; `None` (the default) is unbounded. Only meaningful with a bandwidth:
    /// on an infinite link nothing ever waits. ns-3's `DropTailQueue` `MaxSize` does not count
    /// the packet the device is transmitting, so ns-3's `n` is our `n + 1`.
    pub queue_packets: Option<u32>,
    /// Drop-tail limit on the bytes (headers included) of the same packets, the arriving one
    /// included: a packet is dropped if it would take them past this. `None` (the default)
    /// is unbounded. Applies together with `queue_packets` and with any [`Aqm`].
    pub queue_bytes: Option<u64>,
    /// Active queue management: which packets the queue drops before it is full. Default
    /// [`Aqm::None`] (plain drop-tail).
    pub aqm: Aqm,
    /// Loss on the wire, after serialization. Default [`LossModel::None`].
    pub loss: LossModel,
    /// Probability that a delivered packet is delivered a second time. Default 0.
    pub duplicate: f64,
    /// Occasional extra hold that lets later packets overtake. Default none.
    pub reorder: Option<Reorder>,
    /// Occasional old copy delivered long after the original. Default none.
    pub stale: Option<Stale>,
}

/// Active queue management: a rule that drops packets before the queue is full. Only
/// meaningful with a bandwidth (see `src/queue.rs` for the model and its simplifications).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Aqm {
    /// None: the queue drops only when a limit is reached (drop-tail).
    #[default]
    None,
    /// Random Early Detection (Floyd & Jacobson 1993), in packets or bytes.
    Red(Red),
    /// Controlled Delay (RFC 8289).
    CoDel(CoDel),
}

/// RED's parameters, in the paper's names. The queue is measured in packets, as the
/// limit counts them (the one being serialized included), or with `bytes` in bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Red {
    /// `min_th`: below this average queue (packets, or bytes with `bytes`) nothing is
    /// dropped early.
    pub min_th: f64,
    /// `max_th`: at this average the early-drop probability reaches `max_p`; above it every
    /// packet is dropped (or, `gentle`, the probability rises to 1 at `2·max_th`).
    pub max_th: f64,
    /// The thresholds and the average count bytes, as tc-red's do (Linux `red_enqueue`
    /// averages the byte backlog, `sch->qstats.backlog`), rather than packets as Floyd and
    /// Jacobson's paper and ns-2 count them.
    pub bytes: bool,
    /// `max_p`: the early-drop probability at `max_th`.
    pub max_p: f64,
    /// `w_q`: the weight of each new sample in the exponentially weighted average.
    pub weight: f64,
    /// The gentle variant (Floyd 2000): between `max_th` and `2·max_th` the probability
    /// rises linearly from `max_p` to 1 instead of jumping to 1.
    pub gentle: bool,
    /// The typical packet size in bytes, whose transmission time `s` scales the idle-time
    /// correction (tc-red's `avpkt`).
    pub avpkt: u32,
    /// ECN (RFC 3168 §5, tc-red's `ecn`): an early drop of an ECN-capable (ECT) packet
    /// marks it CE and keeps it instead, above `max_th` too (Linux `red_enqueue` without
    /// `harddrop`); a full queue still drops.
    pub ecn: bool,
}

/// CoDel's parameters (RFC 8289 §4.2, §4.3).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CoDel {
    /// The acceptable standing queue delay (RFC 8289: 5 ms).
    pub target: Duration,
    /// The window over which the delay must stay above target before a drop, and the
    /// control law's scale (RFC 8289: 100 ms).
    pub interval: Duration,
    /// ECN (RFC 8289 §5.5, tc-codel's `ecn`): a drop of an ECN-capable (ECT) packet at its
    /// dequeue marks it CE and sends it instead (Linux `codel_dequeue`).
    pub ecn: bool,
}

/// Which packets the wire loses. Losses are decided per packet, whatever its size.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum LossModel {
    /// No loss (the default).
    #[default]
    None,
    /// Each packet is lost independently with this probability.
    Bernoulli(f64),
    /// The two-state Markov chain of Gilbert (1960) and Elliott (1963), in the parameter
    /// names of the literature (and of netem's `loss gemodel p r 1-h 1-k`):
    /// `p` is P(good → bad) and `r` is P(bad → good) per packet; a packet is lost with
    /// probability `1 - k` in the good state and `1 - h` in the bad state.
    /// `k = 1, h = 0` is Gilbert's original model: loss exactly when bad.
    ///
    /// Per packet, the loss is decided in the current state, then the chain steps. It
    /// starts in a state drawn from its stationary law (bad with probability `p / (p + r)`),
    /// where netem starts good, so even the first packets see the mean loss rate.
    GilbertElliott { p: f64, r: f64, k: f64, h: f64 },
}

/// With `probability`, a delivered packet is held an extra `delay` after its propagation
/// delay, so packets sent up to `delay` later overtake it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reorder {
    pub probability: f64,
    pub delay: Duration,
}

/// With `probability`, a delivered packet is also kept somewhere in the network and
/// delivered again after a uniform delay in `(0, max_age]` past the original's arrival: the
/// old duplicates that TIME_WAIT (2·MSL) exists to outlive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stale {
    pub probability: f64,
    /// Must be positive.
    pub max_age: Duration,
}

/// A parameter out of range. `field` is the experiment file's key for it.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum LinkError {
    #[error("{field} must be a probability between 0 and 1, got {value}")]
    NotAProbability { field: &'static str, value: f64 },
    #[error("bandwidth must be positive (leave it out for an infinite link)")]
    ZeroBandwidth,
    #[error("queue must hold at least one packet (leave it out for an unbounded queue)")]
    ZeroQueue,
    #[error("queue.bytes must be at least 1 (leave it out for no byte limit)")]
    ZeroQueueBytes,
    #[error("{field} {message}")]
    BadQueue {
        field: &'static str,
        message: &'static str,
    },
    #[error("stale.max_age must be positive: stale copies arrive after a delay in (0, max_age]")]
    ZeroStaleAge,
}

impl LinkParams {
    /// Checks every range. [`Channel::new`](crate::Channel::new) calls this; the scenario
    /// crate can call it alone to reject a file before anything runs.
    pub fn validate(&self) -> Result<(), LinkError> {
        if self.bandwidth_bps == Some(0) {
            return Err(LinkError::ZeroBandwidth);
        }
        if self.queue_packets == Some(0) {
            return Err(LinkError::ZeroQueue);
        }
        if self.queue_bytes == Some(0) {
            return Err(LinkError::ZeroQueueBytes);
        }
        self.aqm.validate()?;
        self.loss.validate()?;
        probability("duplicate", self.duplicate)?;
        if let Some(reorder) = &self.reorder {
            probability("reorder.probability", reorder.probability)?;
        }
        if let Some(stale) = &self.stale {
            probability("stale.probability", stale.probability)?;
            if stale.max_age.is_zero() {
                return Err(LinkError::ZeroStaleAge);
            }
        }
        Ok(())
    }
}

impl Aqm {
    fn validate(&self) -> Result<(), LinkError> {
        let bad = |field, message| Err(LinkError::BadQueue { field, message });
        match *self {
            Aqm::None => Ok(()),
            Aqm::Red(red) => {
                if !(red.min_th >= 0.0 && red.min_th.is_finite()) {
                    return bad(
                        "queue.min",
                        "must be a number of packets or bytes, 0 or more",
                    );
                }
                if !(red.max_th > red.min_th && red.max_th.is_finite()) {
                    return bad("queue.max", "must be more than queue.min");
                }
                if !(red.max_p > 0.0 && red.max_p <= 1.0) {
                    return bad("queue.max_p", "must be a probability in (0, 1]");
                }
                if !(red.weight > 0.0 && red.weight <= 1.0) {
                    return bad("queue.weight", "must be in (0, 1]");
                }
                if red.avpkt == 0 {
                    return bad("queue.avpkt", "must be at least 1 byte");
                }
                Ok(())
            }
            Aqm::CoDel(codel) => {
                if codel.target.is_zero() {
                    return bad("queue.target", "must be positive");
                }
                if codel.interval.is_zero() {
                    return bad("queue.interval", "must be positive");
                }
                Ok(())
            }
        }
    }
}

impl LossModel {
    fn validate(&self) -> Result<(), LinkError> {
        match *self {
            LossModel::None => Ok(()),
            LossModel::Bernoulli(p) => probability("loss", p),
            LossModel::GilbertElliott { p, r, k, h } => {
                probability("loss.p", p)?;
                probability("loss.r", r)?;
                probability("loss.k", k)?;
                probability("loss.h", h)
            }
        }
    }

    /// The long-run fraction of packets lost on the wire. For Gilbert-Elliott the chain is
    /// in the bad state a fraction `p / (p + r)` of the time, so this is
    /// `(r (1 - k) + p (1 - h)) / (p + r)`; a chain that never moves (`p = r = 0`) stays good.
    pub fn mean_loss(&self) -> f64 {
        match *self {
            LossModel::None => 0.0,
            LossModel::Bernoulli(p) => p,
            LossModel::GilbertElliott { p, r, k, h } => {
                if p + r == 0.0 {
                    1.0 - k
                } else {
                    (r * (1.0 - k) + p * (1.0 - h)) / (p + r)
                }
            }
        }
    }
}

/// `value` is in [0, 1]; NaN is not.
fn probability(field: &'static str, value: f64) -> Result<(), LinkError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(LinkError::NotAProbability { field, value })
    }
}
