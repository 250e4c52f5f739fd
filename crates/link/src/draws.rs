//! The random numbers one packet consumes: always the same count, in the same order.
//!
//! Every call to [`Channel::transmit`](crate::Channel::transmit) takes exactly eight 32-bit
//! words from the channel's ChaCha8 stream, whatever happens to the packet and whatever the
//! parameters are. So the `n`-th packet always sees words `8n + 1 .. 8n + 9` (word 0 is
//! drawn at construction), and each word has one job. Two things follow. Determinism does
//! not hinge on outcomes: a change that drops one more packet cannot shift the draws of
//! every later packet. And a sweep over one parameter keeps the others' random numbers
//! (common random numbers): for the same sequence of packets, sweeping `duplicate` leaves the
//! losses untouched, and since a packet is lost when its word is below `p`, raising a
//! Bernoulli `p` only adds losses.
//!
//! Why 32 bits, not 64: every decision then costs half as much of the stream, which is most
//! of the per-packet cost (and nearly all of it in debug builds), and 2^-32 is about the
//! resolution of ns-3's MRG32k3a streams too. The cost: a probability acts as itself
//! rounded up to a multiple of 2^-32 (an error below 2.4·10^-10), and a uniform delay over
//! more than 2^32 ns (4.3 s: in practice only a stale copy's age) takes values on a grid of
//! `width / 2^32` ns, 28 ns for an age of up to two minutes.
//!
//! A link whose queue runs RED (`Aqm::Red`) draws a ninth word per packet, after the
//! eight, for RED's early-drop decision (whether or not it is needed); every other link
//! draws eight, so adding RED to one link changes no other link's numbers, and a link
//! without RED sees the words it always saw.
//!
//! A link on which no word can change anything — no loss, jitter, reordering, duplication
//! or stale copies, and no RED — draws none ([`needed`]): its packets' fates do not depend on
//! its stream, and each link has its own, so skipping the words changes no result. They
//! were a sixth of the cost of a packet crossing such a link.
//!
//! Only the raw words of the stream are used, converted here, never `rand`'s distributions:
//! those may change their algorithms between versions, while ChaCha8's stream is fixed.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use synack_sim::Duration;

use crate::{Aqm, LinkParams, LossModel};

/// One packet's words, in the order they are drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Draws {
    /// Lost in the current loss state?
    pub loss: u32,
    /// Gilbert-Elliott transition after the loss decision.
    pub transition: u32,
    /// The original's jitter.
    pub jitter: u32,
    /// Held for reordering?
    pub reorder: u32,
    /// Duplicated?
    pub duplicate: u32,
    /// The duplicate's own jitter.
    pub duplicate_jitter: u32,
    /// A stale copy kept?
    pub stale: u32,
    /// The stale copy's age.
    pub stale_age: u32,
}

/// Whether a packet's words can change anything on a link of these parameters: some
/// randomness is on (the words are then always drawn, all eight, whatever they decide).
pub(crate) fn needed(params: &LinkParams) -> bool {
    let loss = !matches!(params.loss, LossModel::None | LossModel::Bernoulli(0.0));
    loss || params.jitter > Duration::ZERO
        || params.reorder.is_some_and(|r| r.probability > 0.0)
        || params.duplicate > 0.0
        || params.stale.is_some_and(|s| s.probability > 0.0)
        || matches!(params.aqm, Aqm::Red(_))
}

impl Draws {
    /// The words of a link that needs none ([`needed`]): every decision they would make is
    /// the certain one (no loss, no jitter, no copy).
    pub const NONE: Draws = Draws {
        loss: 0,
        transition: 0,
        jitter: 0,
        reorder: 0,
        duplicate: 0,
        duplicate_jitter: 0,
        stale: 0,
        stale_age: 0,
    };

    pub fn next(rng: &mut ChaCha8Rng) -> Draws {
        // Struct fields are evaluated in the order written: that order is the draw order.
        Draws {
            loss: rng.next_u32(),
            transition: rng.next_u32(),
            jitter: rng.next_u32(),
            reorder: rng.next_u32(),
            duplicate: rng.next_u32(),
            duplicate_jitter: rng.next_u32(),
            stale: rng.next_u32(),
            stale_age: rng.next_u32(),
        }
    }
}

/// True with probability `p` (rounded up to a multiple of 2^-32) for a uniform `word`: the
/// word, read as a fraction in [0, 1), is below `p`. Exact for `p = 0` (never) and `p = 1`
/// (always).
pub(crate) fn chance(word: u32, p: f64) -> bool {
    const SCALE: f64 = 1.0 / (1u64 << 32) as f64;
    f64::from(word) * SCALE < p
}

/// A whole number in `[0, n)` for a uniform `word`, by Lemire's multiply-and-shift: the
/// high 32 bits of `word · n`. No rejection step, so it never draws again; the price is that
/// its distribution function is off by at most 2^-32. `n = 0` gives 0.
pub(crate) fn below(word: u32, n: u128) -> u128 {
    (u128::from(word) * n) >> 32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chance_is_exact_at_the_ends() {
        for word in [0, 1, u32::MAX / 2, u32::MAX] {
            assert!(!chance(word, 0.0));
            assert!(chance(word, 1.0));
        }
        assert!(chance(0, 1e-300));
        assert!(!chance(1, 1.0 / (1u64 << 32) as f64));
        assert!(!chance(u32::MAX, 1.0 - f64::EPSILON.sqrt()));
    }

    #[test]
    fn below_spans_the_whole_range() {
        assert_eq!(below(0, 10), 0);
        assert_eq!(below(u32::MAX, 10), 9);
        assert_eq!(below(1 << 31, 10), 5);
        assert_eq!(below(u32::MAX, 0), 0);
        // 2^65 - 1 values, the widest jitter range, does not overflow.
        let n = 2 * u128::from(u64::MAX) + 1;
        assert_eq!(below(u32::MAX, n), n - (n >> 32) - 1);
    }
}
