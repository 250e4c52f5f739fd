//! The world of one run: hosts joined by links, workloads driving them, one event queue.
//!
//! Everything lives in `Vec`s addressed by small ids; events are a plain `Copy` enum, so the
//! event loop allocates nothing per event. A packet sent from host `a` to host `b` goes onto
//! the channel (link direction) that joins them; the channel decides its fate and arrival
//! times, and each copy that arrives becomes a `Deliver` event.
//!
//! Simplifications: hosts talk only to hosts they share a link with (no multi-hop routing);
//! if two links join the same pair of hosts, the first one in the file carries the traffic.

mod apps;
pub mod ids;
mod probe;
pub mod seeds;
mod series;
pub mod stats;
mod tcp;
pub mod trace;

pub use series::SeriesRow;
pub use synack_experiment::metrics::Metrics;
pub use synack_experiment::spec::*;

use rustc_hash::FxHashMap as HashMap;

use synack_link::{Channel, Fate};
use synack_sim::{Scheduler, Time};
use synack_tcp::Segment;

use crate::ids::{Addr, ChannelId, FlowId, HostId, PacketId};
use crate::seeds::component_rng;
use crate::trace::{Record, Trace, TraceEvent};

use probe::Probe;
use tcp::Tcp;

#[derive(Clone, Copy, Debug)]
enum Event {
    /// Time for probe workload `.0` to send its next datagram.
    ProbeSend(u32),
    /// A copy of `packet` comes off channel `channel` at its receiving host.
    Deliver { channel: u32, packet: Packet },
    /// A TCP application opens its next connection.
    AppConnect(u32),
    /// A connection's earliest timer may be due.
    ConnTimer(u32),
    /// Flood `.0` sends its next spoofed SYN.
    FloodSyn(u32),
    /// Scripted segment `.0` is sent.
    Script(u32),
    /// Listener `.0`'s application accepts its next connection.
    Accept(u32),
    /// A compact TIME-WAIT socket's 2·MSL may be over.
    TimeWaitTimer(u32),
    /// Periodic series `.0` samples.
    Sample(u32),
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
    Tcp {
        /// Sending and receiving addresses: a host's index, or a spoofed address.
        from: u32,
        to: u32,
        seg: Segment,
        /// The incarnation (flow) of the connection that sent it, invisible to endpoints:
        /// how stale segments and ghost connections are recognised.
        flow: u32,
        id: PacketId,
    },
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
            tcp @ Packet::Tcp { .. } => tcp,
        }
    }
}

/// IPv4 (20 bytes) and TCP (20 bytes) headers, plus the MSS option (4 bytes) on SYNs: what
/// a segment adds to its payload on the wire.
fn wire_bytes(seg: &Segment) -> u32 {
    40 + if seg.mss.is_some() { 4 } else { 0 } + seg.len
}

/// What a run produced.
pub struct RunOutput {
    pub metrics: Metrics,
    pub trace: Option<Trace>,
    pub series: Vec<SeriesRow>,
}

/// One run, ready to go.
pub struct World {
    sched: Scheduler<Event>,
    end: Time,
    host_names: Vec<String>,
    link_names: Vec<String>,
    channels: Vec<Channel>,
    /// The channel from one host to another.
    routes: HashMap<(u32, u32), u32>,
    probes: Vec<Probe>,
    tcp: Tcp,
    script: Vec<ScriptedSegment>,
    metrics: Metrics,
    trace: Option<Trace>,
    /// Application events waiting for their connection's segments to go out first.
    reactions: Vec<synack_tcp::Event>,
    /// `[[series]]` being recorded, if any.
    recorder: Option<series::Recorder>,
    /// The id of the next packet handed to a link.
    next_packet: u64,
}

impl World {
    /// Builds the world of run `run_seed`, drawing each component's stream from it.
    ///
    /// `spec` comes from `synack_experiment::check`, which checked everything a world
    /// needs; a spec that breaks those rules (link parameters out of range, a workload
    /// between hosts no link joins, a flood without a listener, two different servers on
    /// one port) is a bug in the caller, and panics.
    pub fn new(spec: &WorldSpec, run_seed: u64) -> World {
        let mut channels = Vec::with_capacity(spec.links.len() * 2);
        let mut routes: HashMap<(u32, u32), u32> = HashMap::default();
        for link in &spec.links {
            for (direction, params, from, to) in [
                ("forward", &link.forward, link.a, link.b),
                ("reverse", &link.reverse, link.b, link.a),
            ] {
                let rng = component_rng(run_seed, &format!("link.{}.{direction}", link.name));
                let channel = Channel::new(params.clone(), rng)
                    .expect("the checker validated the link parameters");
                routes
                    .entry((from as u32, to as u32))
                    .or_insert(channels.len() as u32);
                channels.push(channel);
            }
        }
        let route = |from: usize, to: usize| {
            *routes
                .get(&(from as u32, to as u32))
                .expect("the checker found a direct link under every workload")
        };
        let mut sched = Scheduler::new();
        let mut probes = Vec::with_capacity(spec.probes.len());
        for (i, p) in spec.probes.iter().enumerate() {
            let channel = route(p.from, p.to);
            probes.push(Probe::new(p, channel, run_seed));
            if p.start < p.stop {
                sched.schedule_in(p.start, Event::ProbeSend(i as u32));
            }
        }
        let tcp = Tcp::new(spec, run_seed);
        for (i, app) in spec.apps.iter().enumerate() {
            if app.start < spec.duration {
                sched.schedule_in(app.start, Event::AppConnect(i as u32));
            }
        }
        for (i, f) in spec.floods.iter().enumerate() {
            if f.start < f.stop.min(spec.duration) {
                sched.schedule_in(f.start, Event::FloodSyn(i as u32));
            }
        }
        let recorder = series::Recorder::new(&spec.series, spec.hosts.len());
        if let Some(rec) = &recorder {
            for (i, every) in rec.periodic() {
                sched.schedule_in(every, Event::Sample(i));
            }
        }
        for (i, s) in spec.script.iter().enumerate() {
            if s.at <= spec.duration {
                sched.schedule_in(s.at, Event::Script(i as u32));
            }
        }
        World {
            sched,
            end: Time::ZERO + spec.duration,
            host_names: spec.hosts.iter().map(|h| h.name.clone()).collect(),
            link_names: spec.links.iter().map(|l| l.name.clone()).collect(),
            channels,
            routes,
            probes,
            tcp,
            script: spec.script.clone(),
            metrics: Metrics::default(),
            trace: None,
            reactions: Vec::new(),
            recorder,
            next_packet: 0,
        }
    }

    /// Records every segment sent, received and dropped, and every state change.
    pub fn with_trace(mut self) -> World {
        self.trace = Some(Trace::new(self.host_names.clone(), self.link_names.clone()));
        self
    }

    /// Runs to the end of the experiment's duration and returns the metrics.
    pub fn run(self) -> Metrics {
        self.run_traced().0
    }

    /// Runs, and returns the trace too if [`World::with_trace`] asked for one.
    pub fn run_traced(self) -> (Metrics, Option<Trace>) {
        let out = self.run_all();
        (out.metrics, out.trace)
    }

    /// Runs, and returns everything recorded: metrics, trace, series.
    pub fn run_all(mut self) -> RunOutput {
        while let Some((now, event)) = self.sched.pop_until(self.end) {
            match event {
                Event::ProbeSend(p) => self.probe_send(now, p),
                Event::Deliver { channel, packet } => self.deliver(now, channel, packet),
                Event::AppConnect(app) => self.app_connect(now, app),
                Event::ConnTimer(conn) => self.conn_timer(now, conn),
                Event::FloodSyn(f) => self.flood_syn(now, f),
                Event::Script(i) => self.script_send(now, i),
                Event::Accept(l) => self.accept_next(now, l),
                Event::TimeWaitTimer(t) => self.time_wait_timer(now, t),
                Event::Sample(i) => self.sample(now, i),
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

    /// The host where address `addr` is: itself, or for a spoofed address the host where
    /// its flood enters the network.
    fn host_of(&self, addr: u32) -> u32 {
        if addr >= tcp::SPOOFED {
            self.tcp.floods[((addr >> 24) & 0x7f) as usize].entry as u32
        } else {
            addr
        }
    }

    /// Sends a TCP segment from address `from` to address `to`, tagged with the sender's
    /// incarnation `flow`.
    fn send_segment(&mut self, now: Time, from: u32, to: u32, flow: u32, seg: Segment) {
        self.send_answer(now, from, to, flow, flow, seg);
    }

    /// Sends a segment tagged with incarnation `flow` on the wire and shown in the trace
    /// under connection `shown`: a reply that belongs to no connection (a RST for a closed
    /// port) is shown with the connection whose segment it answers.
    fn send_answer(&mut self, now: Time, from: u32, to: u32, flow: u32, shown: u32, seg: Segment) {
        let Some(&channel) = self.routes.get(&(self.host_of(from), self.host_of(to))) else {
            // Only a scripted segment can name hosts no link joins: it goes nowhere.
            return;
        };
        let id = PacketId(self.next_packet);
        self.next_packet += 1;
        let packet = Packet::Tcp {
            from,
            to,
            seg,
            flow,
            id,
        };
        let delivered = self.transmit(now, channel, wire_bytes(&seg), packet);
        if let Some(trace) = &mut self.trace {
            let record = |ev| Record::Segment {
                t: now,
                ev,
                packet: id,
                from: addr(from),
                to: addr(to),
                conn: flow_id(shown),
                seg,
                channel: Some(ChannelId::from_index(channel as usize)),
            };
            trace.push(record(TraceEvent::Send));
            if !delivered {
                trace.push(record(TraceEvent::Drop));
            }
        }
    }

    fn deliver(&mut self, now: Time, _channel: u32, packet: Packet) {
        match packet {
            Packet::Probe {
                probe,
                seq,
                sent,
                copy,
            } => self.probes[probe as usize].receive(now, seq, sent, copy),
            Packet::Tcp {
                from,
                to,
                seg,
                flow,
                id,
            } => self.tcp_receive(now, from, to, seg, flow, id),
        }
    }

    fn probe_send(&mut self, now: Time, p: u32) {
        let probe = &mut self.probes[p as usize];
        let (seq, next) = probe.send(now);
        let (channel, size) = (probe.channel, probe.size());
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

    fn finish(mut self) -> RunOutput {
        let mut m = std::mem::take(&mut self.metrics);
        probe::summarize(&mut self.probes, &mut m);
        let end = self.sched.now().max(self.end);
        self.tcp.summarize(end, &mut m);
        m.events = self.sched.executed();
        RunOutput {
            metrics: m,
            trace: self.trace,
            series: self.recorder.map(|r| r.rows).unwrap_or_default(),
        }
    }
}

/// The trace's address of a world address (a host's index, or a spoofed address with the
/// top bit set and the flood's index in bits 24–30).
fn addr(a: u32) -> Addr {
    if a >= tcp::SPOOFED {
        Addr::Spoofed {
            flood: (a >> 24) & 0x7f,
            addr: a & 0x00ff_ffff,
        }
    } else {
        Addr::Host(HostId(a))
    }
}

/// The trace's connection of a flow number (`NO_CONN`: none).
fn flow_id(flow: u32) -> Option<FlowId> {
    (flow != tcp::NO_CONN).then_some(FlowId(flow))
}
