//! The `flood` workload: SYNs from spoofed addresses and ports at a constant rate (as
//! hping3 sends them); they never answer, and the answers to them vanish where the flood
//! enters the network.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use synack_experiment::spec::FloodSpec;
use synack_sim::{Duration, Time};
use synack_tcp::{Flags, Options, Segment, Seq};

use super::Action;
use crate::ids::{Addr, HostId};
use crate::seeds::component_rng;

pub(crate) struct Flood {
    spec: FloodSpec,
    /// Its place among the floods: the number in its spoofed addresses.
    number: u16,
    /// Spoofed addresses, ports and ISNs.
    rng: ChaCha8Rng,
    sent: u64,
}

impl Flood {
    pub fn new(spec: &FloodSpec, number: u16, run_seed: u64) -> Flood {
        Flood {
            spec: spec.clone(),
            number,
            rng: component_rng(run_seed, &format!("workload.{}.spoof", spec.name)),
            sent: 0,
        }
    }

    pub fn entry(&self) -> HostId {
        HostId(self.spec.entry as u32)
    }

    pub fn first(&self) -> Option<(Duration, u32)> {
        (self.spec.start < self.spec.stop).then_some((self.spec.start, 0))
    }

    /// One spoofed SYN, and when the next is due.
    pub fn fire(&mut self, _now: Time) -> (Action, Option<Time>) {
        let from = Addr::Spoofed {
            flood: self.number,
            addr: self.rng.random::<u32>() & 0x00ff_ffff,
        };
        let src_port = self.rng.random_range(1024..=65535u16);
        let seq = Seq(self.rng.random());
        // The k-th SYN at start + k/rate exactly: no rounding drift (as churn arrivals).
        self.sent += 1;
        let next = Time::ZERO
            + self.spec.start
            + Duration::from_secs_f64(self.sent as f64 / self.spec.rate);
        let seg = Segment {
            src_port,
            dst_port: self.spec.port,
            seq,
            ack: Seq(0),
            flags: Flags::SYN,
            window: 65535,
            len: 0,
            opts: Options {
                mss: Some(1460),
                ..Options::default()
            },
            ecn: Default::default(),
        };
        let to = Addr::Host(HostId(self.spec.target as u32));
        let next = (next < Time::ZERO + self.spec.stop).then_some(next);
        (Action::Segment { from, to, seg }, next)
    }
}
