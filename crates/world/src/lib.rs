//! The world of one run: hosts joined by links, workloads driving them, one event queue.
//!
//! Everything lives in `Vec`s addressed by small ids; events are a plain `Copy` enum, so the
//! event loop allocates nothing per event. A packet sent from host `a` to host `b` goes onto
//! the channel (link direction) that joins them; the channel decides its fate and arrival
//! times, and each copy that arrives becomes a `Deliver` event.
//!
//! Each host's TCP is a [`synack_tcp::Stack`] (`host`); the workloads (`workload`) set traffic
//! going (one module per kind, each returning what it does as an action the world carries
//! out) and the TCP applications (`apps`) drive the connections; the `ledger` keeps
//! flows, gauges and counters; the trace and the `[[series]]` recorder observe. Modules:
//! `lib` (setup, the event loop, the wire), `host` (dispatch to and from the stacks),
//! `workload`, `apps`, `ledger`, `flows` (a row per flow, Jain's index), `series`, `trace`.
//!
//! Workloads start in file order; at equal times, events run in the order they were planned.
//!
//! Routers (`[[router]]`) forward: a packet that comes off a link at a router goes straight
//! onto the next link of its route (the spec's [`Routes`], computed once per world), with
//! one less TTL; no TCP runs there, and the packet is the same packet (same id) all along,
//! so the trace shows its send and its receipt at the endpoints, and a drop at any link on
//! the way with that link's channel. Each link direction is its own queue, so a router's
//! outgoing link is a bottleneck shared by everything routed over it.
//!
//! Simplifications: no ICMP (a packet whose TTL runs out is dropped and counted, as Linux's
//! `ip_forward` drops it, with no Time Exceeded sent back); probes measure one direct link.

mod apps;
pub mod flows;
mod host;
pub mod ids;
mod ledger;
pub mod seeds;
mod series;
pub mod stats;
pub mod trace;
mod workload;

pub use flows::FlowRow;
pub use series::SeriesRow;
pub use synack_experiment::metrics::Metrics;
pub use synack_experiment::spec::*;

use rustc_hash::FxHashMap as HashMap;

use std::sync::Arc;

use synack_experiment::routing::Routes;
use synack_link::{Channel, Fate};
use synack_sim::{Duration, Scheduler, Time};
use synack_tcp::{Ecn, IsnGenerator, ListenerId, Segment, Stack, TimeWaitId};

use crate::host::{Arrival, ConnRef, Host, Server};
use crate::ids::{Addr, ChannelId, FlowId, HostId, PacketId};
use crate::ledger::Ledger;
use crate::seeds::component_rng;
use crate::trace::{Seen, Sent, Sink};
use crate::workload::{Action, Setup, Workload};

#[derive(Clone, Copy, Debug)]
enum Event {
    /// Workload `index`'s step `step` is due.
    Workload { index: u32, step: u32 },
    /// A copy of a packet comes off its link at the node at the link's far end (its
    /// receiving host, or a router on its way): the packet waits in this slot of the
    /// world's packets on the wire, so events stay small (the scheduler moves them about).
    Deliver(u32),
    /// A connection's earliest timer may be due.
    ConnTimer(ConnRef),
    /// A listener's application accepts its next connection.
    Accept { host: HostId, listener: ListenerId },
    /// A TIME-WAIT socket's 2·MSL may be over.
    TimeWaitTimer { host: HostId, socket: TimeWaitId },
    /// Periodic series `.0` samples.
    Sample(u32),
}

#[derive(Clone, Copy, Debug)]
enum Packet {
    /// A datagram of workload `workload`, outside TCP.
    Datagram {
        workload: u32,
        seq: u32,
        sent: Time,
        /// A duplicate or stale copy rather than the original transmission.
        copy: bool,
    },
    Tcp {
        from: Addr,
        to: Addr,
        seg: Segment,
        /// The incarnation (flow) of the connection that sent it, invisible to endpoints:
        /// how stale segments and ghost connections are recognised.
        flow: Option<FlowId>,
        id: PacketId,
    },
}

impl Packet {
    fn as_copy(self) -> Packet {
        match self {
            Packet::Datagram {
                workload,
                seq,
                sent,
                ..
            } => Packet::Datagram {
                workload,
                seq,
                sent,
                copy: true,
            },
            tcp @ Packet::Tcp { .. } => tcp,
        }
    }
}

/// IPv4 (20 bytes) and TCP (20 bytes) headers, plus the options: what a segment adds to its
/// payload on the wire.
fn wire_bytes(seg: &Segment) -> u32 {
    40 + seg.opts.wire_len() + seg.len
}

/// What a run produced.
pub struct RunOutput {
    pub metrics: Metrics,
    pub series: Vec<SeriesRow>,
    /// One row per flow, if [`World::with_flows`] asked for them.
    pub flows: Vec<FlowRow>,
}

/// One run, ready to go; `'t` is the life of the sink it is traced into, if any.
pub struct World<'t> {
    sched: Scheduler<Event>,
    end: Time,
    channels: Vec<Channel>,
    /// Each node's channel toward each host (read for every packet sent or forwarded),
    /// and where each channel leads.
    routes: Arc<Routes>,
    /// The TTL of every packet a host sends.
    ttl: u8,
    hosts: Vec<Host>,
    /// In file order.
    workloads: Vec<Workload>,
    /// By flood number: where its spoofed addresses enter the network.
    flood_entries: Vec<HostId>,
    ledger: Ledger,
    metrics: Metrics,
    /// Where the run is traced, if it is.
    trace: Option<&'t mut dyn Sink>,
    /// The sink broke off: the run ends.
    stopped: bool,
    /// Application events waiting for their connection's segments to go out first.
    reactions: Vec<synack_tcp::Event>,
    /// `[[series]]` being recorded, if any.
    recorder: Option<series::Recorder>,
    /// Whether to return a row per flow.
    flow_rows: bool,
    /// The id of the next packet handed to a link.
    next_packet: u32,
    /// Packets (and copies) on their way, until their `Deliver` event.
    wire: Wire,
    /// Arrivals at a spoofed address by the end of the run: counted as executed events,
    /// though they never enter the queue (see [`World::schedule_delivery`]).
    vanished: u64,
}

/// A packet on a link: the channel it crosses (whose far end it comes off at), the TTL it
/// has left, and whether a queue on the way set CE (RFC 3168 §5: the one change a link
/// makes to a packet).
#[derive(Clone, Copy, Debug)]
struct InFlight {
    packet: Packet,
    channel: u32,
    ttl: u8,
    ce: bool,
}

/// Packets on the wire, in slots reused most recently freed first (no allocation once the
/// most packets ever in flight at once have been seen).
#[derive(Default)]
struct Wire {
    slots: Vec<InFlight>,
    free: Vec<u32>,
    /// In a traced run, each slot's packet as its sender sent it: what its receipts and
    /// drops are traced with. Kept beside the packets rather than in them, so that an
    /// untraced run copies no more than the packet as each link takes and delivers it.
    sends: Vec<Sent>,
}

impl Wire {
    fn put(&mut self, packet: &InFlight, sent: Option<&Sent>) -> u32 {
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = *packet;
                i
            }
            None => {
                self.slots.push(*packet);
                (self.slots.len() - 1) as u32
            }
        };
        if let Some(&s) = sent {
            let i = i as usize;
            if i < self.sends.len() {
                self.sends[i] = s;
            } else {
                self.sends.resize(i + 1, s);
            }
        }
        i
    }

    /// The packet in `slot`, which is free again, and in a traced run its send.
    fn take(&mut self, slot: u32, traced: bool) -> (InFlight, Option<Sent>) {
        self.free.push(slot);
        let sent = if traced {
            self.sends.get(slot as usize).copied()
        } else {
            None
        };
        (self.slots[slot as usize], sent)
    }
}

impl<'t> World<'t> {
    /// Builds the world of run `run_seed`, drawing each component's stream from it.
    ///
    /// `spec` comes from `synack_experiment::check`, which checked everything a world
    /// needs; a spec that breaks those rules (link parameters out of range, a workload
    /// between hosts no link joins, a flood without a listener, two different servers on
    /// one port) is a bug in the caller, and panics.
    pub fn new(spec: &WorldSpec, run_seed: u64) -> World<'t> {
        let (channels, direct) = channels(spec, run_seed);
        let mut setup = Setup {
            run_seed,
            routes: &direct,
            floods: 0,
        };
        let mut workloads: Vec<Workload> = (spec.workloads.iter())
            .map(|w| Workload::new(w, &mut setup))
            .collect();
        let mut sched = Scheduler::new();
        for (index, w) in workloads.iter_mut().enumerate() {
            for (at, step) in w.first(spec.duration) {
                let index = index as u32;
                sched.schedule_in(at, Event::Workload { index, step });
            }
        }
        let recorder = series::Recorder::new(
            &spec.series,
            spec.hosts.len(),
            spec.links
                .iter()
                .flat_map(|l| {
                    let name: std::sync::Arc<str> = l.name.as_str().into();
                    [
                        (name.clone(), HostId(l.a as u32)),
                        (name, HostId(l.b as u32)),
                    ]
                })
                .collect(),
        );
        if let Some(rec) = &recorder {
            for (i, every) in rec.periodic() {
                sched.schedule_in(every, Event::Sample(i));
            }
        }
        World {
            sched,
            end: Time::ZERO + spec.duration,
            channels,
            routes: Arc::clone(&spec.routes),
            ttl: spec.ttl,
            hosts: hosts(spec, run_seed),
            flood_entries: workloads.iter().filter_map(Workload::flood_entry).collect(),
            workloads,
            ledger: Ledger::default(),
            metrics: Metrics::default(),
            trace: None,
            stopped: false,
            reactions: Vec::new(),
            recorder,
            flow_rows: false,
            next_packet: 0,
            wire: Wire::default(),
            vanished: 0,
        }
    }

    /// Hands `sink` every segment sent, received and dropped, and every state change, as
    /// they happen ([`trace`]).
    pub fn with_trace(mut self, sink: &'t mut dyn Sink) -> World<'t> {
        self.trace = Some(sink);
        self
    }

    /// Runs `spec` with seed `run_seed`, its whole trace kept in memory: for tests and
    /// short runs (a long run's trace is better streamed to a [`Sink`] that writes it).
    pub fn traced(spec: &WorldSpec, run_seed: u64) -> (RunOutput, trace::Trace) {
        let mut trace = trace::Trace::new(trace::Names::of(spec));
        let out = World::new(spec, run_seed).with_trace(&mut trace).run_all();
        (out, trace)
    }

    /// Returns a row per flow ([`RunOutput::flows`]).
    pub fn with_flows(mut self) -> World<'t> {
        self.flow_rows = true;
        self
    }

    /// Runs to the end of the experiment's duration and returns the metrics.
    pub fn run(self) -> Metrics {
        self.run_all().metrics
    }

    /// Runs, and returns everything recorded: metrics, series, flows. A run whose sink
    /// broke off ([`Sink::see`]) ends there.
    pub fn run_all(mut self) -> RunOutput {
        while let Some((now, event)) = self.sched.pop_until(self.end) {
            if self.stopped {
                break;
            }
            match event {
                Event::Workload { index, step } => self.workload_step(now, index, step),
                Event::Deliver(slot) => {
                    let (f, sent) = self.wire.take(slot, self.trace.is_some());
                    self.arrive(now, &f, sent.as_ref())
                }
                Event::ConnTimer(c) => self.conn_timer(now, c),
                Event::Accept { host, listener } => self.accept_next(now, host, listener),
                Event::TimeWaitTimer { host, socket } => self.time_wait_timer(now, host, socket),
                Event::Sample(i) => self.sample(now, i),
            }
        }
        self.finish()
    }

    /// Hands `packet` (with `ttl` left, and marked CE on its way so far if `ce`) to
    /// `channel` and schedules the arrival of every copy that survives at the channel's far
    /// end. `sent`: its send, in a traced run.
    fn transmit(
        &mut self,
        now: Time,
        channel: u32,
        bytes: u32,
        packet: Packet,
        (ttl, ce): (u8, bool),
        sent: Option<&Sent>,
    ) -> bool {
        // ECT(0), ECT(1) or CE already: Linux's `INET_ECN_set_ce` keeps a CE packet too.
        let ect = matches!(packet, Packet::Tcp { seg, .. } if seg.ecn != Ecn::NotEct);
        let outcome = self.channels[channel as usize].transmit_ecn(now, bytes, ect);
        // RFC 3168 §5: the queue set CE in the IP header; every copy carries it on.
        let ce = ce || outcome.marked;
        if let Some(rec) = &mut self.recorder {
            rec.packet(now, channel, &self.channels[channel as usize]);
        }
        self.metrics.segments_sent += 1;
        let f = InFlight {
            packet,
            channel,
            ttl,
            ce,
        };
        let delivered = match outcome.fate {
            Fate::Deliver(at) => {
                self.schedule_delivery(at, &f, sent);
                true
            }
            Fate::Drop(_) => {
                self.metrics.segments_lost += 1;
                false
            }
        };
        for at in [outcome.duplicate, outcome.stale].into_iter().flatten() {
            let copy = InFlight {
                packet: packet.as_copy(),
                ..f
            };
            self.schedule_delivery(at, &copy, sent);
        }
        delivered
    }

    fn schedule_delivery(&mut self, at: Time, f: &InFlight, sent: Option<&Sent>) {
        if let Packet::Tcp {
            to: Addr::Spoofed { flood, .. },
            ..
        } = f.packet
        {
            if self.routes.channel_to(f.channel) == self.flood_entries[flood as usize].0 as usize {
                // An answer to a spoofed address vanishes where its flood enters the
                // network: its arrival would change nothing but the count of events, so it
                // is counted (if it comes by the end) instead of queued. Under a flood these
                // answers are a third of all events; queueing them cost a sixth of a run's
                // time. On its way there (through routers) it is queued like any packet.
                if at <= self.end {
                    self.vanished += 1;
                }
                return;
            }
        }
        let slot = self.wire.put(f, sent);
        self.sched
            .schedule(at, Event::Deliver(slot))
            .expect("links never deliver before the packet was sent");
    }

    /// A packet comes off its link: at its receiving host, or at a router on its way.
    /// `sent`: its send, in a traced run.
    fn arrive(&mut self, now: Time, f: &InFlight, sent: Option<&Sent>) {
        let Packet::Tcp { to, seg, .. } = f.packet else {
            // Datagrams cross one link.
            return self.deliver(now, f, sent);
        };
        let node = self.routes.channel_to(f.channel);
        let dest = self.host_of(to) as usize;
        if node == dest {
            return self.deliver(now, f, sent);
        }
        // A router (routes lead through routers only): RFC 1812 §5.3.1 and Linux's
        // `ip_forward` (net/ipv4/ip_forward.c) drop a packet that arrives with a TTL of 1
        // or less (Linux would send an ICMP Time Exceeded; synack has no ICMP), else
        // decrement it and send it on.
        let dropped = if f.ttl <= 1 {
            self.metrics.ttl_expired += 1;
            Some(f.channel)
        } else {
            let next = self
                .routes
                .next(node, dest)
                .expect("the checker found a route under every workload and script segment");
            let on = self.transmit(
                now,
                next,
                wire_bytes(&seg),
                f.packet,
                (f.ttl - 1, f.ce),
                sent,
            );
            (!on).then_some(next)
        };
        if let (Some(channel), Some(sent)) = (dropped, sent) {
            self.trace_drop(now, sent, channel);
        }
    }

    /// Hands `seen` to the sink, if the run is traced. Out of the way of the untraced run:
    /// callers build `seen` only when there is a sink.
    #[cold]
    #[inline(never)]
    pub(crate) fn record(&mut self, seen: Seen<'_>) {
        match &mut self.trace {
            Some(sink) if !self.stopped => self.stopped = sink.see(seen).is_break(),
            _ => {}
        }
    }

    fn trace_drop(&mut self, now: Time, sent: &Sent, channel: u32) {
        let channel = ChannelId::from_index(channel as usize);
        self.record(Seen::Drop {
            t: now,
            sent,
            channel,
        });
    }

    /// The host where address `addr` is: itself, or for a spoofed address the host where
    /// its flood enters the network.
    fn host_of(&self, addr: Addr) -> u32 {
        match addr {
            Addr::Host(h) => h.0,
            Addr::Spoofed { flood, .. } => self.flood_entries[flood as usize].0,
        }
    }

    /// Puts a TCP segment on the wire from `from` to `to`, tagged with incarnation `flow`
    /// (the sending connection's) and shown in the trace under connection `shown` (a reply
    /// that belongs to no connection is shown with the connection whose segment it answers).
    fn send_segment(
        &mut self,
        now: Time,
        from: Addr,
        to: Addr,
        flow: Option<FlowId>,
        shown: Option<FlowId>,
        seg: Segment,
    ) {
        let (a, b) = (self.host_of(from) as usize, self.host_of(to) as usize);
        let channel = (self.routes.next(a, b))
            .expect("the checker found a route under every workload and script segment");
        let id = PacketId(self.next_packet);
        self.next_packet = self.next_packet.wrapping_add(1);
        let packet = Packet::Tcp {
            from,
            to,
            seg,
            flow,
            id,
        };
        // Built only in a traced run: an untraced one copies no more than the packet.
        let sent = self.trace.as_ref().map(|_| Sent {
            t: now,
            packet: id,
            from,
            to,
            conn: shown,
            seg,
        });
        let delivered = self.transmit(
            now,
            channel,
            wire_bytes(&seg),
            packet,
            (self.ttl, false),
            sent.as_ref(),
        );
        if let Some(sent) = &sent {
            self.record(Seen::Send(sent));
            if !delivered {
                self.trace_drop(now, sent, channel);
            }
        }
    }

    fn deliver(&mut self, now: Time, f: &InFlight, sent: Option<&Sent>) {
        match &f.packet {
            Packet::Datagram {
                workload,
                seq,
                sent,
                copy,
            } => match &mut self.workloads[*workload as usize] {
                Workload::Probe(p) => p.receive(now, *seq, *sent, *copy),
                _ => unreachable!("only probes send datagrams"),
            },
            Packet::Tcp {
                from,
                to: Addr::Host(to),
                seg,
                flow,
                id,
            } => self.tcp_receive(
                now,
                Arrival {
                    from: *from,
                    to: *to,
                    seg,
                    flow: *flow,
                    packet: *id,
                    ce: f.ce,
                    sent,
                },
            ),
            Packet::Tcp { .. } => unreachable!("answers to spoofed addresses vanish at entry"),
        }
    }

    /// Workload `index`'s step `step`: plans its next step, then acts.
    fn workload_step(&mut self, now: Time, index: u32, step: u32) {
        let (action, next) = self.workloads[index as usize].fire(now, step);
        if let Some(at) = next {
            self.sched
                .schedule(at, Event::Workload { index, step })
                .expect("workloads move forward");
        }
        match action {
            Action::Datagram { channel, size, seq } => {
                let packet = Packet::Datagram {
                    workload: index,
                    seq,
                    sent: now,
                    copy: false,
                };
                let on_its_way = self.transmit(now, channel, size, packet, (self.ttl, false), None);
                if let Workload::Probe(p) = &mut self.workloads[index as usize] {
                    p.transmitted(on_its_way);
                }
            }
            Action::Segment { from, to, seg } => {
                self.send_segment(now, from, to, None, None, seg);
            }
            Action::Connect => {
                self.app_connect(now, index);
            }
            Action::OpenPool => self.pool_open(now, index),
            Action::Request => self.pool_request(now, index),
            Action::ClosePool => self.pool_stop(now, index),
            Action::ServerExit => self.server_exit(now, index),
            Action::ServerStart => self.server_start(now, index),
        }
    }

    fn finish(mut self) -> RunOutput {
        let mut m = std::mem::take(&mut self.metrics);
        let end = self.sched.now().max(self.end);
        workload::summarize(&mut self.workloads, end, &mut m);
        for host in &self.hosts {
            for (_, c, tag) in host.stack.connections() {
                self.ledger.add_stats(tag.map(|o| o.flow), &c.stats());
                if let Some(o) = tag {
                    self.ledger.still_open(o.flow, o.side, c.srtt());
                }
            }
            for (_, t, tag) in host.stack.time_waits() {
                self.ledger.add_stats(tag.map(|o| o.flow), &t.stats());
            }
            for l in host.stack.listeners() {
                let s = l.stats();
                m.syn_dropped += s.syn_dropped;
                m.syncookies_sent += s.syncookies_sent;
                m.syncookies_accepted += s.syncookies_accepted;
                m.listen_overflows += s.listen_overflows;
            }
        }
        self.ledger.summarize(end, &mut m);
        for channel in &self.channels {
            let s = channel.stats();
            m.queue_drops += s.dropped_queue + s.dropped_aqm;
            m.ecn_marks += s.ecn_marked;
            if channel.params().bandwidth_bps.is_some() && s.queued > 0 {
                let mean = s.waited_nanos as f64 / s.queued as f64 / 1e9;
                m.queue_delay_mean_s = Some(m.queue_delay_mean_s.map_or(mean, |m| m.max(mean)));
            }
        }
        m.events = self.sched.executed() + self.vanished;
        let flows = if self.flow_rows {
            self.ledger.flow_rows(end)
        } else {
            Vec::new()
        };
        RunOutput {
            metrics: m,
            series: self.recorder.map(|r| r.rows).unwrap_or_default(),
            flows,
        }
    }
}

/// Each link's two channels (forward, then reverse), and the channel from one host to
/// another it shares a link with (the first link in the file that joins them), which a
/// probe measures.
fn channels(spec: &WorldSpec, run_seed: u64) -> (Vec<Channel>, HashMap<(u32, u32), u32>) {
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
    (channels, routes)
}

/// Each host's stack, with a listener on every port a TCP workload serves (in workload
/// order, so the listeners' cookie secrets are drawn in a fixed order). The checker made
/// sure that workloads sharing a port serve it alike and that every flood has a listener.
fn hosts(spec: &WorldSpec, run_seed: u64) -> Vec<Host> {
    let mut hosts: Vec<Host> = spec
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let isn = IsnGenerator::new(
                h.tcp.isn,
                component_rng(run_seed, &format!("host.{}.isn", h.name)),
            );
            Host::new(Stack::new(Addr::Host(HostId(i as u32)), h.tcp.clone(), isn))
        })
        .collect();
    for (i, app) in spec.apps() {
        let host = &mut hosts[app.server];
        if host.stack.listener_on(app.port).is_some() {
            // The first workload to serve a host:port runs its server application.
            continue;
        }
        let name = &spec.hosts[app.server].name;
        let mut rng = component_rng(run_seed, &format!("host.{name}.listener.{}", app.port));
        host.stack
            .listen(app.port, &mut rng)
            .expect("the port had no listener");
        host.servers.push(Server {
            app: i as u32,
            accept_gap: app.accept_rate.map(|r| Duration::from_secs_f64(1.0 / r)),
            accepting: false,
        });
    }
    hosts
}
