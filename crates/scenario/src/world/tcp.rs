//! TCP on the hosts: connections, listeners, segment arrival, timers, and the connection
//! metrics.
//!
//! Each host has its settings, an ISN generator on its own random stream and an ephemeral
//! port cursor. Connections live in a slab addressed by small ids and are found by their
//! 4-tuple; a listener is a (host, port) that accepts SYNs for which no connection exists.
//! A connection's earliest deadline is one cancellable scheduler event: an earlier deadline
//! replaces it, a later one lets it fire early and be re-armed (the endpoint treats an early
//! wake-up as a no-op).
//!
//! **Incarnations.** Each connection belongs to a *flow*: the client's connection and the
//! server's connection of one incarnation of a 4-tuple. Every segment carries its sender's
//! flow on the wire, invisibly to the endpoints, so the world can tell what really happened:
//! a data segment of one flow accepted by a connection of another is a stale acceptance, and
//! a server connection established for a flow whose client is gone is a ghost.
//!
//! **Listeners** keep at most `backlog` connections in SYN-RECEIVED (the SYN queue); a SYN
//! beyond that is dropped and counted in `syn_dropped`. The application accepts established
//! connections at once, so the accept queue never fills. SYN cookies are not modelled yet:
//! with `syn_cookies = true` a full SYN queue still drops SYNs.

use std::collections::HashMap;

use rand_chacha::ChaCha8Rng;
use synack_sim::{EventKey, Time};
use synack_tcp::config::Config as TcpConfig;
use synack_tcp::{
    Connection, Event as TcpEvent, FourTuple, IsnGenerator, Segment, Seq, State, Stats,
};

use super::{AppSpec, Event, FloodSpec, SetupError, World, WorldSpec};
use crate::metrics::Metrics;
use crate::seeds::component_rng;
use crate::stats::quantile_nearest_rank;
use crate::trace::{TraceEvent, NO_CONN};

/// Where a connection is found: (host, local port, remote address, remote port).
pub(super) type Key = (u32, u16, u32, u16);

/// Spoofed source addresses: the high bit set, the flood's index in bits 24–30.
pub(super) const SPOOFED: u32 = 0x8000_0000;

pub(super) struct Host {
    pub(super) config: TcpConfig,
    pub(super) isn: IsnGenerator,
    /// Where the search for a free ephemeral port starts next.
    next_port: u16,
}

/// Which application a connection belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Side {
    Client,
    Server,
}

pub(super) struct Conn {
    pub(super) conn: Connection,
    pub(super) key: Key,
    pub(super) side: Side,
    /// The workload (its index among the TCP applications).
    pub(super) app: u32,
    pub(super) flow: u32,
    /// The listener that accepted it, while it counts in that listener's SYN queue.
    pub(super) syn_queue: Option<u32>,
    /// The pending timer event, and the time it is set for.
    timer: Option<(Time, EventKey)>,
    /// Bytes the application still means to write.
    pub(super) to_write: u64,
    /// Close once everything is written.
    pub(super) close_when_written: bool,
    pub(super) closed_by_app: bool,
}

impl Conn {
    pub(super) fn new(conn: Connection, key: Key, side: Side, app: u32, flow: u32) -> Conn {
        Conn {
            conn,
            key,
            side,
            app,
            flow,
            syn_queue: None,
            timer: None,
            to_write: 0,
            close_when_written: false,
            closed_by_app: false,
        }
    }
}

/// How one side of a flow ended.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub(super) enum End {
    #[default]
    Open,
    /// CLOSED through the FIN exchange (or a local abort).
    Clean,
    Reset,
    TimedOut,
}

/// The two connections of one 4-tuple incarnation.
#[derive(Default)]
pub(super) struct Flow {
    pub(super) started: Time,
    pub(super) established: bool,
    /// The client's connection exists (it has not reached CLOSED).
    pub(super) client_live: bool,
    /// A server connection has joined the flow.
    pub(super) has_server: bool,
    /// Bytes written by the client (server) application, and delivered to the server
    /// (client) application.
    pub(super) client_written: u64,
    pub(super) server_delivered: u64,
    pub(super) server_written: u64,
    pub(super) client_delivered: u64,
    /// Bytes the client expects back (request and churn workloads).
    pub(super) response_due: u64,
    pub(super) last_delivery: Option<Time>,
    pub(super) client_end: End,
    pub(super) server_end: End,
}

struct Listener {
    app: u32,
    backlog: u32,
    /// Connections in SYN-RECEIVED.
    syn_queue: u32,
}

/// Metrics that are plain counts.
#[derive(Default)]
pub(super) struct Counts {
    pub(super) attempted: u64,
    pub(super) established: u64,
    pub(super) failed: u64,
    pub(super) port_exhausted: u64,
    pub(super) ghosts: u64,
    pub(super) stale_accepted: u64,
    pub(super) syn_dropped: u64,
    time_wait_peak: u64,
    close_wait_peak: u64,
    half_open_peak: u64,
}

pub(super) struct Tcp {
    pub(super) hosts: Vec<Host>,
    pub(super) apps: Vec<AppSpec>,
    /// Each application's random stream (churn arrivals).
    pub(super) app_rngs: Vec<ChaCha8Rng>,
    /// Connections opened so far, per application.
    pub(super) opened: Vec<u32>,
    pub(super) floods: Vec<FloodSpec>,
    pub(super) flood_rngs: Vec<ChaCha8Rng>,
    conns: Vec<Option<Conn>>,
    free: Vec<u32>,
    pub(super) demux: HashMap<Key, u32>,
    listeners: Vec<Listener>,
    listener_at: HashMap<(u32, u16), u32>,
    pub(super) flows: Vec<Flow>,
    pub(super) handshakes_ns: Vec<u64>,
    stats: Stats,
    time_wait: u64,
    close_wait: u64,
    half_open: u64,
    pub(super) counts: Counts,
}

impl Tcp {
    pub(super) fn new(spec: &WorldSpec, run_seed: u64) -> Result<Tcp, SetupError> {
        let hosts = spec
            .hosts
            .iter()
            .map(|h| Host {
                isn: IsnGenerator::new(
                    h.tcp.isn,
                    component_rng(run_seed, &format!("host.{}.isn", h.name)),
                ),
                next_port: h.tcp.ephemeral_ports.first,
                config: h.tcp.clone(),
            })
            .collect();
        let mut listeners: Vec<Listener> = Vec::new();
        let mut listener_at: HashMap<(u32, u16), u32> = HashMap::new();
        for (i, app) in spec.apps.iter().enumerate() {
            let key = (app.server as u32, app.port);
            if let Some(&l) = listener_at.get(&key) {
                let first = &spec.apps[listeners[l as usize].app as usize];
                if !first.same_server(app) {
                    return Err(SetupError::ListenerConflict {
                        first: first.name.clone(),
                        second: app.name.clone(),
                        host: spec.hosts[app.server].name.clone(),
                        port: app.port,
                    });
                }
            } else {
                listener_at.insert(key, listeners.len() as u32);
                listeners.push(Listener {
                    app: i as u32,
                    backlog: spec.hosts[app.server].tcp.backlog,
                    syn_queue: 0,
                });
            }
        }
        // A flood's target port listens even if no legitimate workload serves it.
        for f in &spec.floods {
            let key = (f.target as u32, f.port);
            if !listener_at.contains_key(&key) {
                return Err(SetupError::NoListener {
                    workload: f.name.clone(),
                    host: spec.hosts[f.target].name.clone(),
                    port: f.port,
                });
            }
        }
        if spec.floods.len() > 128 {
            return Err(SetupError::TooManyFloods(spec.floods.len()));
        }
        let stream =
            |kind: &str, name: &str| component_rng(run_seed, &format!("workload.{name}.{kind}"));
        Ok(Tcp {
            hosts,
            app_rngs: spec
                .apps
                .iter()
                .map(|a| stream("arrivals", &a.name))
                .collect(),
            apps: spec.apps.clone(),
            opened: vec![0; spec.apps.len()],
            flood_rngs: spec
                .floods
                .iter()
                .map(|f| stream("spoof", &f.name))
                .collect(),
            floods: spec.floods.clone(),
            conns: Vec::new(),
            free: Vec::new(),
            demux: HashMap::new(),
            listeners,
            listener_at,
            flows: Vec::new(),
            handshakes_ns: Vec::new(),
            stats: Stats::default(),
            time_wait: 0,
            close_wait: 0,
            half_open: 0,
            counts: Counts::default(),
        })
    }

    pub(super) fn insert(&mut self, conn: Conn) -> u32 {
        let key = conn.key;
        let id = match self.free.pop() {
            Some(id) => {
                self.conns[id as usize] = Some(conn);
                id
            }
            None => {
                self.conns.push(Some(conn));
                (self.conns.len() - 1) as u32
            }
        };
        self.demux.insert(key, id);
        id
    }

    pub(super) fn conn(&mut self, id: u32) -> &mut Conn {
        self.conns[id as usize]
            .as_mut()
            .expect("events name live connections")
    }

    fn flow_of(&self, id: u32) -> u32 {
        self.conns[id as usize].as_ref().map_or(NO_CONN, |c| c.flow)
    }

    /// A new flow started at `now`.
    pub(super) fn new_flow(&mut self, flow: Flow) -> u32 {
        self.flows.push(flow);
        (self.flows.len() - 1) as u32
    }

    /// A free local port on `host` towards `remote:port`, if any: a port is taken while any
    /// connection of that 4-tuple exists, TIME-WAIT included. Ports are tried in order from
    /// a cursor that moves on after each connect (Linux hashes the start instead; either
    /// way every port is tried once before connect fails).
    pub(super) fn ephemeral_port(
        &mut self,
        host: u32,
        remote: u32,
        remote_port: u16,
    ) -> Option<u16> {
        let h = &mut self.hosts[host as usize];
        let range = h.config.ephemeral_ports;
        let size = u32::from(range.last - range.first) + 1;
        for _ in 0..size {
            let port = h.next_port;
            h.next_port = if port >= range.last {
                range.first
            } else {
                port + 1
            };
            if !self.demux.contains_key(&(host, port, remote, remote_port)) {
                return Some(port);
            }
        }
        None
    }

    fn gauge(&mut self, state: State, delta: i64) {
        let (count, peak) = match state {
            State::TimeWait => (&mut self.time_wait, &mut self.counts.time_wait_peak),
            State::CloseWait => (&mut self.close_wait, &mut self.counts.close_wait_peak),
            State::SynReceived => (&mut self.half_open, &mut self.counts.half_open_peak),
            _ => return,
        };
        *count = count
            .checked_add_signed(delta)
            .expect("a state is left only after it was entered");
        *peak = (*peak).max(*count);
    }

    /// Fills the connection metrics at the end of a run.
    pub(super) fn summarize(&mut self, end: Time, m: &mut Metrics) {
        for c in self.conns.iter().flatten() {
            add_stats(&mut self.stats, &c.conn.stats());
        }
        let c = &self.counts;
        m.conn_attempted = c.attempted;
        m.conn_established = c.established;
        m.conn_failed = c.failed;
        m.port_exhausted = c.port_exhausted;
        m.ghost_established = c.ghosts;
        m.stale_accepted = c.stale_accepted;
        m.syn_dropped = c.syn_dropped;
        m.time_wait_peak = c.time_wait_peak;
        m.close_wait_peak = c.close_wait_peak;
        m.half_open_peak = c.half_open_peak;
        m.retransmits = self.stats.retransmits;
        m.rto_timeouts = self.stats.rto_timeouts;
        m.fast_retransmits = self.stats.fast_retransmits;
        m.syn_retransmits = self.stats.syn_retransmits;
        m.synack_retransmits = self.stats.synack_retransmits;
        if !self.handshakes_ns.is_empty() {
            let total: u128 = self.handshakes_ns.iter().map(|&d| u128::from(d)).sum();
            m.handshake_mean_s = total as f64 / self.handshakes_ns.len() as f64 * 1e-9;
            m.handshake_p99_s = quantile_nearest_rank(&mut self.handshakes_ns, 0.99) as f64 * 1e-9;
        }
        let (mut first_start, mut last_end) = (Time::MAX, Time::ZERO);
        for f in &self.flows {
            m.bytes_delivered += f.server_delivered + f.client_delivered;
            if f.client_end == End::Clean && f.server_end == End::Clean {
                m.conn_closed_clean += 1;
            }
            if f.client_end == End::Reset || f.server_end == End::Reset {
                m.conn_reset += 1;
            }
            // What a side wrote and closed on without error, yet the other side's
            // application never got.
            if f.client_end == End::Clean {
                m.bytes_lost += f.client_written.saturating_sub(f.server_delivered);
            }
            if f.server_end == End::Clean {
                m.bytes_lost += f.server_written.saturating_sub(f.client_delivered);
            }
            if f.client_written + f.server_written > 0 {
                first_start = first_start.min(f.started);
                let finished = f.client_end != End::Open && f.server_end != End::Open;
                let done_at = if finished {
                    f.last_delivery.unwrap_or(end)
                } else {
                    end
                };
                last_end = last_end.max(done_at);
            }
        }
        if last_end > first_start {
            m.goodput_bps = m.bytes_delivered as f64 * 8.0 / (last_end - first_start).as_secs_f64();
        }
    }
}

pub(super) fn add_stats(total: &mut Stats, s: &Stats) {
    total.segments_sent += s.segments_sent;
    total.retransmits += s.retransmits;
    total.rto_timeouts += s.rto_timeouts;
    total.fast_retransmits += s.fast_retransmits;
    total.syn_retransmits += s.syn_retransmits;
    total.synack_retransmits += s.synack_retransmits;
    total.unsent_discarded += s.unsent_discarded;
}

impl World {
    /// A segment from address `from` arrives at address `to`.
    pub(super) fn tcp_receive(&mut self, now: Time, from: u32, to: u32, seg: Segment, tag: u32) {
        if to >= SPOOFED {
            // An answer to a spoofed address vanishes at the attacker's entry point.
            return;
        }
        let key = (to, seg.dst_port, from, seg.src_port);
        let id = self.tcp.demux.get(&key).copied();
        if let Some(trace) = &mut self.trace {
            // A segment for no connection is shown with its sender's, if it has one.
            let own = id.or_else(|| {
                self.tcp
                    .demux
                    .get(&(from, seg.src_port, to, seg.dst_port))
                    .copied()
            });
            let flow = own.map_or(NO_CONN, |c| self.tcp.flow_of(c));
            trace.segment(now, TraceEvent::Recv, from, to, flow, &seg, None);
        }
        match id {
            Some(id) => {
                let c = self.tcp.conn(id);
                let before = c.conn.bytes_received();
                c.conn.handle_segment(now, &seg);
                if tag != NO_CONN && tag != c.flow && c.conn.bytes_received() > before {
                    // Data of an earlier incarnation taken as this one's.
                    self.tcp.counts.stale_accepted += 1;
                }
                self.pump(now, id);
            }
            None => self.no_connection(now, from, to, seg, tag),
        }
    }

    /// RFC 9293 §3.10.7.1 (CLOSED) and §3.10.7.2 (LISTEN): a segment for no connection.
    fn no_connection(&mut self, now: Time, from: u32, to: u32, seg: Segment, tag: u32) {
        let listener = self.tcp.listener_at.get(&(to, seg.dst_port)).copied();
        match listener {
            Some(l) if seg.flags.syn() && !seg.flags.ack() && !seg.flags.rst() => {
                self.accept(now, l, from, to, seg, tag)
            }
            // LISTEN, first: an incoming RST is ignored. CLOSED: likewise.
            _ if seg.flags.rst() => {}
            // LISTEN, second (an ACK) and CLOSED: <SEQ=SEG.ACK><CTL=RST>.
            _ if seg.flags.ack() => {
                let rst = Segment::rst(seg.dst_port, seg.src_port, seg.ack, None);
                self.send_segment(now, to, from, NO_CONN, rst);
            }
            // CLOSED, no ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
            None => {
                let rst = Segment::rst(seg.dst_port, seg.src_port, Seq(0), Some(seg.end()));
                self.send_segment(now, to, from, NO_CONN, rst);
            }
            // LISTEN with anything else (a FIN alone, say): dropped.
            Some(_) => {}
        }
    }

    /// A listener takes a SYN: a new connection in SYN-RECEIVED, if the SYN queue has room.
    fn accept(&mut self, now: Time, l: u32, from: u32, to: u32, syn: Segment, tag: u32) {
        let listener = &mut self.tcp.listeners[l as usize];
        if listener.syn_queue >= listener.backlog {
            // Linux tcp_conn_request: the SYN queue is full (and no cookie is sent).
            self.tcp.counts.syn_dropped += 1;
            return;
        }
        let app = listener.app;
        let host = &mut self.tcp.hosts[to as usize];
        let tuple = FourTuple {
            local_addr: to,
            local_port: syn.dst_port,
            remote_addr: from,
            remote_port: syn.src_port,
        };
        let iss = host.isn.next(now, tuple);
        let Ok(conn) = Connection::accept(now, &host.config, syn.dst_port, &syn, iss) else {
            return;
        };
        // The SYN's own incarnation, if its client is still there and has no server yet;
        // otherwise a flow of its own, with no client: if it is ever established, a ghost.
        let joins = tag != NO_CONN && {
            let f = &self.tcp.flows[tag as usize];
            f.client_live && !f.has_server
        };
        let flow = if joins {
            tag
        } else {
            self.tcp.new_flow(super::tcp::Flow {
                started: now,
                ..Flow::default()
            })
        };
        self.tcp.flows[flow as usize].has_server = true;
        if let Some(trace) = &mut self.trace {
            trace.claim_last_receipt(flow);
        }
        let mut c = Conn::new(
            conn,
            (to, syn.dst_port, from, syn.src_port),
            Side::Server,
            app,
            flow,
        );
        c.syn_queue = Some(l);
        self.tcp.listeners[l as usize].syn_queue += 1;
        let id = self.tcp.insert(c);
        self.pump(now, id);
    }

    /// A connection's timer event fired.
    pub(super) fn conn_timer(&mut self, now: Time, id: u32) {
        let c = self.tcp.conn(id);
        c.timer = None;
        if c.conn.poll_timeout().is_some_and(|t| t <= now) {
            c.conn.handle_timeout(now);
        }
        self.pump(now, id);
    }

    /// Lets the applications react to a connection's events, sends what it has to send,
    /// and re-arms its timer or, once it is CLOSED, forgets it.
    pub(super) fn pump(&mut self, now: Time, id: u32) {
        // The stack's own doings first (state changes, the segments it sends), then the
        // application's reactions, as a kernel sends its ACK before the woken application
        // runs. `reactions` is kept between calls, so this allocates nothing once warm.
        let mut reactions = std::mem::take(&mut self.reactions);
        let mut by_app = false;
        loop {
            while let Some(event) = self.tcp.conn(id).conn.poll_event() {
                match event {
                    TcpEvent::StateChanged { from, to } => {
                        self.state_changed(now, id, from, to, by_app)
                    }
                    other => reactions.push(other),
                }
            }
            let c = self.tcp.conn(id);
            if let Some(seg) = c.conn.poll_transmit() {
                let (host, remote, flow) = (c.key.0, c.key.2, c.flow);
                self.send_segment(now, host, remote, flow, seg);
                continue;
            }
            if reactions.is_empty() {
                break;
            }
            for event in reactions.drain(..) {
                self.on_app_event(now, id, event);
            }
            by_app = true;
        }
        self.reactions = reactions;
        let c = self.tcp.conn(id);
        if c.conn.state() == State::Closed {
            self.remove(id);
            return;
        }
        let want = c.conn.poll_timeout();
        match (c.timer, want) {
            (Some((_, key)), None) => {
                self.sched.cancel(key);
                self.tcp.conn(id).timer = None;
            }
            (Some((at, key)), Some(w)) if w < at => {
                self.sched.cancel(key);
                self.arm(id, w.max(now));
            }
            (None, Some(w)) => self.arm(id, w.max(now)),
            // Later than the pending event: that one fires early and re-arms.
            _ => {}
        }
    }

    fn state_changed(&mut self, now: Time, id: u32, from: State, to: State, by_app: bool) {
        let c = self.tcp.conn(id);
        let (host, flow, side) = (c.key.0, c.flow, c.side);
        if from == State::SynReceived {
            if let Some(l) = c.syn_queue.take() {
                self.tcp.listeners[l as usize].syn_queue -= 1;
            }
        }
        self.tcp.gauge(from, -1);
        self.tcp.gauge(to, 1);
        if to == State::Established
            && side == Side::Server
            && !self.tcp.flows[flow as usize].client_live
        {
            // Established on the server, with no client connection of this incarnation.
            self.tcp.counts.ghosts += 1;
        }
        if let Some(trace) = &mut self.trace {
            trace.state(now, host, flow, from, to, by_app);
        }
    }

    fn arm(&mut self, id: u32, at: Time) {
        let key = self
            .sched
            .schedule_cancellable(at, Event::ConnTimer(id))
            .expect("armed at or after now");
        self.tcp.conn(id).timer = Some((at, key));
    }

    fn remove(&mut self, id: u32) {
        let c = self.tcp.conns[id as usize]
            .take()
            .expect("removing a live connection");
        if let Some((_, key)) = c.timer {
            self.sched.cancel(key);
        }
        if let Some(l) = c.syn_queue {
            self.tcp.listeners[l as usize].syn_queue -= 1;
        }
        if c.side == Side::Client {
            self.tcp.flows[c.flow as usize].client_live = false;
        }
        self.tcp.demux.remove(&c.key);
        self.tcp.free.push(id);
        add_stats(&mut self.tcp.stats, &c.conn.stats());
    }
}
