//! The `probe` workload: datagrams without TCP, measuring the link itself.

use rand_chacha::ChaCha8Rng;
use synack_sim::{Duration, Time};

use super::{exponential_gap, Action};
use crate::seeds::component_rng;
use crate::stats::quantile_nearest_rank;
use synack_experiment::metrics::Metrics;
use synack_experiment::spec::ProbeSpec;

pub(crate) struct Probe {
    spec: ProbeSpec,
    channel: u32,
    rng: ChaCha8Rng,
    next_seq: u32,
    /// Bit `seq` set once probe `seq` has arrived.
    received: Vec<u64>,
    highest_received: Option<u32>,
    /// Originals handed to the link and neither lost nor arrived yet.
    in_flight: u64,
    delays_ns: Vec<u64>,
    sent: u64,
    unique: u64,
    reordered: u64,
    duplicated: u64,
}

impl Probe {
    /// `spec.rate` is positive and finite (the experiment checker's rule).
    pub fn new(spec: &ProbeSpec, channel: u32, run_seed: u64) -> Probe {
        debug_assert!(
            spec.rate.is_finite() && spec.rate > 0.0,
            "probe rate {}",
            spec.rate
        );
        let expected = (spec.rate * spec.stop.saturating_sub(spec.start).as_secs_f64()).ceil();
        let expected = expected.clamp(0.0, 1e8) as usize;
        Probe {
            spec: spec.clone(),
            channel,
            rng: component_rng(run_seed, &format!("workload.{}", spec.name)),
            next_seq: 0,
            received: Vec::with_capacity(expected / 64 + 1),
            highest_received: None,
            in_flight: 0,
            delays_ns: Vec::with_capacity(expected),
            sent: 0,
            unique: 0,
            reordered: 0,
            duplicated: 0,
        }
    }

    /// The first datagram: at `start`, or for Poisson sends an exponential gap after it.
    pub fn first(&mut self) -> Option<(Duration, u32)> {
        let at = if self.spec.poisson {
            self.spec.start + exponential_gap(&mut self.rng, self.spec.rate)
        } else {
            self.spec.start
        };
        (at < self.spec.stop).then_some((at, 0))
    }

    /// Numbers the datagram sent at `now`; returns it and when the next is due, if before
    /// `stop`.
    pub fn fire(&mut self, now: Time) -> (Action, Option<Time>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.sent += 1;
        let at = if self.spec.poisson {
            now + exponential_gap(&mut self.rng, self.spec.rate)
        } else {
            // The k-th datagram at start + k/rate exactly, so rounding never accumulates.
            let k = f64::from(self.next_seq);
            Time::ZERO + self.spec.start + Duration::from_secs_f64(k / self.spec.rate)
        };
        let datagram = Action::Datagram {
            channel: self.channel,
            size: self.spec.size,
            seq,
        };
        (datagram, (at < Time::ZERO + self.spec.stop).then_some(at))
    }

    /// The link took the datagram just sent: it is on its way (`true`) or lost.
    pub(crate) fn transmitted(&mut self, on_its_way: bool) {
        if on_its_way {
            self.in_flight += 1;
        }
    }

    pub(crate) fn receive(&mut self, now: Time, seq: u32, sent: Time, copy: bool) {
        if !copy {
            self.in_flight -= 1;
        }
        let (word, bit) = (seq as usize / 64, seq % 64);
        if self.received.len() <= word {
            self.received.resize(word + 1, 0);
        }
        if self.received[word] & (1 << bit) != 0 {
            self.duplicated += 1;
            return;
        }
        self.received[word] |= 1 << bit;
        self.unique += 1;
        self.delays_ns.push((now - sent).as_nanos());
        match self.highest_received {
            Some(h) if seq < h => self.reordered += 1,
            _ => self.highest_received = Some(seq),
        }
    }
}

/// Fills the `probe_*` metrics from every probe workload.
pub(super) fn summarize<'a>(probes: impl Iterator<Item = &'a mut Probe>, m: &mut Metrics) {
    let mut delays: Vec<u64> = Vec::new();
    let (mut sent, mut unique, mut in_flight) = (0, 0, 0);
    for probe in probes {
        sent += probe.sent;
        unique += probe.unique;
        in_flight += probe.in_flight;
        m.probe_reordered += probe.reordered;
        m.probe_duplicated += probe.duplicated;
        delays.append(&mut probe.delays_ns);
    }
    m.probe_sent = sent;
    m.probe_received = unique;
    let settled = sent - in_flight;
    m.probe_loss = (settled > 0).then(|| 1.0 - unique.min(settled) as f64 / settled as f64);
    if !delays.is_empty() {
        let total: u128 = delays.iter().map(|&d| u128::from(d)).sum();
        m.probe_delay_mean_s = Some(total as f64 / delays.len() as f64 * 1e-9);
        m.probe_delay_p99_s = Some(quantile_nearest_rank(&mut delays, 0.99) as f64 * 1e-9);
    }
}
