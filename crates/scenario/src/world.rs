//! The world of one run: hosts joined by links, workloads driving them, one event queue.
//!
//! Everything lives in `Vec`s addressed by small ids; events are a plain `Copy` enum, so the
//! event loop allocates nothing per event. A packet sent from host `a` to host `b` goes onto
//! the channel (link direction) that joins them; the channel decides its fate and arrival
//! times, and each copy that arrives becomes a `Deliver` event.
//!
//! Simplifications: hosts talk only to hosts they share a link with (no multi-hop routing);
//! if two links join the same pair of hosts, the first one in the file carries the traffic.

use std::collections::HashMap;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use synack_link::{Channel, Fate, LinkError, LinkParams};
use synack_sim::{Duration, Scheduler, Time};

use crate::metrics::Metrics;
use crate::seeds::component_rng;
use crate::stats::quantile_nearest_rank;

/// A fully resolved description of one run's world: names resolved to indices, units to
/// numbers. Built from an experiment (after its sweep values are applied) by `build`.
#[derive(Clone, Debug)]
pub struct WorldSpec {
    pub duration: Duration,
    pub hosts: Vec<String>,
    pub links: Vec<LinkSpec>,
    pub probes: Vec<ProbeSpec>,
}

#[derive(Clone, Debug)]
pub struct LinkSpec {
    pub name: String,
    /// Host indices; `forward` carries a → b, `reverse` b → a.
    pub a: usize,
    pub b: usize,
    pub forward: LinkParams,
    pub reverse: LinkParams,
}

#[derive(Clone, Debug)]
pub struct ProbeSpec {
    pub name: String,
    pub from: usize,
    pub to: usize,
    /// Datagrams per second.
    pub rate: f64,
    /// Bytes on the wire per datagram.
    pub size: u32,
    pub start: Duration,
    pub stop: Duration,
    /// Exponential gaps (a Poisson process) instead of a fixed interval.
    pub poisson: bool,
}

/// Why a world could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("link `{link}` ({direction}): {error}")]
    Link {
        link: String,
        direction: &'static str,
        error: LinkError,
    },
    #[error("workload `{workload}`: no link joins `{from}` and `{to}` (synack routes over direct links only)")]
    NoRoute {
        workload: String,
        from: String,
        to: String,
    },
    #[error("workload `{workload}`: kind `{kind}` runs over TCP endpoints, which the simulator does not host yet (only `probe` runs so far)")]
    Unsupported {
        workload: String,
        kind: &'static str,
    },
    #[error("workload `{workload}`: rate must be positive and finite, got {rate}")]
    Rate { workload: String, rate: f64 },
}

#[derive(Clone, Copy, Debug)]
enum Event {
    /// Time for probe workload `.0` to send its next datagram.
    ProbeSend(u32),
    /// A copy of `packet` comes off channel `channel` at its receiving host.
    Deliver { channel: u32, packet: Packet },
}

#[derive(Clone, Copy, Debug)]
enum Packet {
    Probe {
        probe: u32,
        seq: u32,
        sent: Time,
        /// A duplicate or stale copy rather than the original transmission.
        copy: bool,
    },
}

struct Probe {
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

/// One run, ready to go.
pub struct World {
    sched: Scheduler<Event>,
    end: Time,
    channels: Vec<Channel>,
    probes: Vec<Probe>,
    metrics: Metrics,
}

impl World {
    /// Builds the world of run `run_seed`, drawing each component's stream from it.
    pub fn new(spec: &WorldSpec, run_seed: u64) -> Result<World, SetupError> {
        let mut channels = Vec::with_capacity(spec.links.len() * 2);
        let mut routes: HashMap<(usize, usize), u32> = HashMap::new();
        for link in &spec.links {
            for (direction, params, from, to) in [
                ("forward", &link.forward, link.a, link.b),
                ("reverse", &link.reverse, link.b, link.a),
            ] {
                let rng = component_rng(run_seed, &format!("link.{}.{direction}", link.name));
                let channel =
                    Channel::new(params.clone(), rng).map_err(|error| SetupError::Link {
                        link: link.name.clone(),
                        direction,
                        error,
                    })?;
                routes.entry((from, to)).or_insert(channels.len() as u32);
                channels.push(channel);
            }
        }
        let mut sched = Scheduler::new();
        let mut probes = Vec::with_capacity(spec.probes.len());
        for (i, p) in spec.probes.iter().enumerate() {
            if !(p.rate.is_finite() && p.rate > 0.0) {
                return Err(SetupError::Rate {
                    workload: p.name.clone(),
                    rate: p.rate,
                });
            }
            let channel = *routes
                .get(&(p.from, p.to))
                .ok_or_else(|| SetupError::NoRoute {
                    workload: p.name.clone(),
                    from: spec.hosts[p.from].clone(),
                    to: spec.hosts[p.to].clone(),
                })?;
            let expected = (p.rate * p.stop.saturating_sub(p.start).as_secs_f64()).ceil();
            let expected = expected.clamp(0.0, 1e8) as usize;
            probes.push(Probe {
                spec: p.clone(),
                channel,
                rng: component_rng(run_seed, &format!("workload.{}", p.name)),
                next_seq: 0,
                received: Vec::with_capacity(expected / 64 + 1),
                highest_received: None,
                in_flight: 0,
                delays_ns: Vec::with_capacity(expected),
                sent: 0,
                unique: 0,
                reordered: 0,
                duplicated: 0,
            });
            if p.start < p.stop {
                sched.schedule_in(p.start, Event::ProbeSend(i as u32));
            }
        }
        Ok(World {
            sched,
            end: Time::ZERO + spec.duration,
            channels,
            probes,
            metrics: Metrics::default(),
        })
    }

    /// Runs to the end of the experiment's duration and returns the metrics.
    pub fn run(mut self) -> Metrics {
        while let Some((now, event)) = self.sched.pop_until(self.end) {
            match event {
                Event::ProbeSend(p) => self.probe_send(now, p),
                Event::Deliver { channel, packet } => self.deliver(now, channel, packet),
            }
        }
        self.finish()
    }

    /// Hands `packet` to `channel` and schedules the arrival of every copy that survives.
    fn transmit(&mut self, now: Time, channel: u32, bytes: u32, packet: Packet) -> bool {
        let outcome = self.channels[channel as usize].transmit(now, bytes);
        self.metrics.segments_sent += 1;
        let delivered = match outcome.fate {
            Fate::Deliver(at) => {
                self.schedule_delivery(at, channel, packet);
                true
            }
            Fate::Drop(_) => {
                self.metrics.segments_lost += 1;
                false
            }
        };
        for at in [outcome.duplicate, outcome.stale].into_iter().flatten() {
            self.schedule_delivery(at, channel, packet.as_copy());
        }
        delivered
    }

    fn schedule_delivery(&mut self, at: Time, channel: u32, packet: Packet) {
        self.sched
            .schedule(at, Event::Deliver { channel, packet })
            .expect("links never deliver before the packet was sent");
    }

    fn deliver(&mut self, now: Time, channel: u32, packet: Packet) {
        // Only probes travel so far; the receiving host (the channel's far end) will matter
        // once TCP endpoints live on hosts.
        let _ = channel;
        match packet {
            Packet::Probe {
                probe,
                seq,
                sent,
                copy,
            } => self.probe_receive(now, probe, seq, sent, copy),
        }
    }

    fn probe_send(&mut self, now: Time, p: u32) {
        let probe = &mut self.probes[p as usize];
        let seq = probe.next_seq;
        probe.next_seq += 1;
        probe.sent += 1;
        let (channel, size) = (probe.channel, probe.spec.size);
        let next = probe.next_send(now);
        let packet = Packet::Probe {
            probe: p,
            seq,
            sent: now,
            copy: false,
        };
        if self.transmit(now, channel, size, packet) {
            self.probes[p as usize].in_flight += 1;
        }
        if let Some(at) = next {
            self.sched
                .schedule(at, Event::ProbeSend(p))
                .expect("the next probe is never in the past");
        }
    }

    fn probe_receive(&mut self, now: Time, p: u32, seq: u32, sent: Time, copy: bool) {
        let probe = &mut self.probes[p as usize];
        if !copy {
            probe.in_flight -= 1;
        }
        let (word, bit) = (seq as usize / 64, seq % 64);
        if probe.received.len() <= word {
            probe.received.resize(word + 1, 0);
        }
        if probe.received[word] & (1 << bit) != 0 {
            probe.duplicated += 1;
            return;
        }
        probe.received[word] |= 1 << bit;
        probe.unique += 1;
        probe.delays_ns.push((now - sent).as_nanos());
        match probe.highest_received {
            Some(h) if seq < h => probe.reordered += 1,
            _ => probe.highest_received = Some(seq),
        }
    }

    fn finish(mut self) -> Metrics {
        let mut m = std::mem::take(&mut self.metrics);
        let mut delays: Vec<u64> = Vec::new();
        let (mut sent, mut unique, mut in_flight) = (0, 0, 0);
        for probe in &mut self.probes {
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
        m.probe_loss = if settled > 0 {
            1.0 - unique.min(settled) as f64 / settled as f64
        } else {
            0.0
        };
        if !delays.is_empty() {
            let total: u128 = delays.iter().map(|&d| u128::from(d)).sum();
            m.probe_delay_mean_s = total as f64 / delays.len() as f64 * 1e-9;
            m.probe_delay_p99_s = quantile_nearest_rank(&mut delays, 0.99) as f64 * 1e-9;
        }
        m.events = self.sched.executed();
        m
    }
}

impl Packet {
    fn as_copy(self) -> Packet {
        match self {
            Packet::Probe {
                probe, seq, sent, ..
            } => Packet::Probe {
                probe,
                seq,
                sent,
                copy: true,
            },
        }
    }
}

impl Probe {
    /// When the datagram after the one sent at `now` is due, if before `stop`.
    fn next_send(&mut self, now: Time) -> Option<Time> {
        let start = Time::ZERO + self.spec.start;
        let at = if self.spec.poisson {
            // Inverse transform: an exponential gap with mean 1/rate. `random::<f64>()` is in
            // [0, 1), so 1 − u is in (0, 1] and the logarithm is finite.
            let u: f64 = self.rng.random();
            now + Duration::from_secs_f64(-(1.0 - u).ln() / self.spec.rate)
        } else {
            // The k-th datagram at start + k/rate exactly, so rounding never accumulates.
            let k = f64::from(self.next_seq);
            start + Duration::from_secs_f64(k / self.spec.rate)
        };
        (at < Time::ZERO + self.spec.stop).then_some(at)
    }
}
