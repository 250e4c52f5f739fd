//! Initial sequence numbers (RFC 9293 §3.4.1, RFC 6528), one generator per host.
//!
//! RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), a clock
//! plus a keyed hash of the 4-tuple. `clock` ticks M every 4 µs as the RFC says; `linux`
//! every 64 ns, as Linux's `secure_tcp_seq` adds `seq_scale` (the clock in nanoseconds
//! shifted right by 6) to a SipHash of the 4-tuple.
//!
//! Simplified: F here is a keyed 64-bit mixer (two rounds of the SplitMix64 finaliser), not
//! MD5 or SipHash. That is not cryptographic — nobody attacks a simulation — but keeps what
//! the experiments rely on: a fixed offset per 4-tuple, different across 4-tuples, so
//! successive incarnations of one 4-tuple get ISNs that increase with the clock. Linux's M
//! is the wall clock (`ktime_get_real_ns`), here the simulation's clock from 0: the two
//! differ by a constant, which the hash's offset already hides.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use synack_sim::Time;

use crate::config::Isn;
use crate::seq::Seq;

/// Addresses are small integers (host ids) in the simulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FourTuple {
    pub local_addr: u32,
    pub local_port: u16,
    pub remote_addr: u32,
    pub remote_port: u16,
}

/// Chooses ISNs as `config.isn` says.
#[derive(Clone, Debug)]
pub struct IsnGenerator {
    kind: Isn,
    key: (u64, u64),
    rng: ChaCha8Rng,
}

/// RFC 6528 §3 / RFC 9293 §3.4.1: M is a timer that ticks every 4 µs.
const CLOCK_TICK_NS: u64 = 4_000;

/// Linux `seq_scale`: nanoseconds >> 6, a 64 ns tick ("we also need to limit the
/// resolution so that the u32 seq overlaps less than one time per MSL", secure_seq.c: it
/// wraps every 2³²·64 ns ≈ 275 s).
const LINUX_TICK_SHIFT: u32 = 6;

impl IsnGenerator {
    /// A generator drawing from `rng` (the host's own stream). The secret key of the `linux`
    /// and `clock` schemes is drawn first, whatever the scheme, so the draws do not depend on
    /// it.
    pub fn new(kind: Isn, mut rng: ChaCha8Rng) -> IsnGenerator {
        let key = (rng.next_u64(), rng.next_u64());
        IsnGenerator { kind, key, rng }
    }

    /// The ISN for a connection on `tuple` opened at `now`.
    pub fn next(&mut self, now: Time, tuple: FourTuple) -> Seq {
        match self.kind {
            Isn::Zero => Seq(0),
            Isn::Random => Seq(self.rng.next_u32()),
            // RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey).
            Isn::Clock => Seq((now.as_nanos() / CLOCK_TICK_NS) as u32) + self.offset(tuple),
            // Linux `secure_tcp_seq`: `seq_scale(hash)`, the hash plus ns >> 6.
            Isn::Linux => Seq((now.as_nanos() >> LINUX_TICK_SHIFT) as u32) + self.offset(tuple),
        }
    }

    /// F of RFC 6528: a keyed hash of the 4-tuple.
    fn offset(&self, t: FourTuple) -> u32 {
        let ports = (u64::from(t.local_port) << 16) | u64::from(t.remote_port);
        let addrs = (u64::from(t.local_addr) << 32) | u64::from(t.remote_addr);
        let h = mix(addrs ^ self.key.0);
        (mix(h ^ ports ^ self.key.1) >> 32) as u32
    }
}

/// The SplitMix64 finaliser: a bijection of u64 with good avalanche.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn tuple(port: u16) -> FourTuple {
        FourTuple {
            local_addr: 1,
            local_port: port,
            remote_addr: 2,
            remote_port: 80,
        }
    }

    #[test]
    fn clock_isns_tick_every_four_microseconds_per_tuple() {
        let mut g = IsnGenerator::new(Isn::Clock, ChaCha8Rng::seed_from_u64(7));
        let a = g.next(Time::ZERO, tuple(40000));
        let b = g.next(Time::from_nanos(4_000_000), tuple(40000));
        assert_eq!(b.since(a), 1000, "4 ms is 1000 ticks of 4 µs");
        let c = g.next(Time::ZERO, tuple(40001));
        assert_ne!(a, c, "another 4-tuple, another offset");
    }

    #[test]
    fn linux_isns_tick_every_64_nanoseconds_per_tuple() {
        let mut g = IsnGenerator::new(Isn::Linux, ChaCha8Rng::seed_from_u64(7));
        let a = g.next(Time::ZERO, tuple(40000));
        let b = g.next(Time::from_nanos(1_000_000), tuple(40000));
        assert_eq!(b.since(a), 15_625, "1 ms is 15625 ticks of 64 ns");
        // The same key and hash as `clock`: only the tick differs.
        let mut clock = IsnGenerator::new(Isn::Clock, ChaCha8Rng::seed_from_u64(7));
        assert_eq!(a, clock.next(Time::ZERO, tuple(40000)));
        assert_ne!(
            a,
            g.next(Time::ZERO, tuple(40001)),
            "another 4-tuple, another offset"
        );
        // The clock term wraps after 2^32 ticks: 274.877906944 s.
        let wrap = Time::from_nanos((1u64 << 32) * 64);
        assert_eq!(g.next(wrap, tuple(40000)), a);
    }

    #[test]
    fn zero_and_random() {
        let mut g = IsnGenerator::new(Isn::Zero, ChaCha8Rng::seed_from_u64(7));
        assert_eq!(g.next(Time::from_nanos(123_456), tuple(1)), Seq(0));
        let mut a = IsnGenerator::new(Isn::Random, ChaCha8Rng::seed_from_u64(7));
        let mut b = IsnGenerator::new(Isn::Random, ChaCha8Rng::seed_from_u64(7));
        let x = a.next(Time::ZERO, tuple(1));
        assert_eq!(x, b.next(Time::ZERO, tuple(1)), "seeded: reproducible");
        assert_ne!(x, a.next(Time::ZERO, tuple(1)));
    }
}
