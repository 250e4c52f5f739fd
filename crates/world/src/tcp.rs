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
//! **TIME-WAIT** sockets shrink, once a connection enters TIME-WAIT, to the endpoint's
//! compact [`TimeWait`] (as Linux keeps an `inet_timewait_sock`): with the world's
//! bookkeeping, [`TimeWaitSocket`] holds at most 128 bytes, so a million fit in 128 MB.
//!
//! **Listeners** are the endpoint's [`synack_tcp::Listener`]: at most `backlog` connections
//! in SYN-RECEIVED (the SYN queue); beyond that a SYN is answered with a cookie when
//! `syn_cookies` is on, else dropped (`syn_dropped`); an ACK for no connection that carries a
//! valid cookie becomes a connection. The application accepts established connections at
//! once, or with the workload's `accept_rate` one every 1/rate seconds, first come first
//! served; until then a server application does nothing with its connection, and while the
//! accept queue is full the final ACK of a handshake is dropped, as Linux does.

use rustc_hash::FxHashMap as HashMap;

use std::collections::VecDeque;

use rand_chacha::ChaCha8Rng;
use synack_sim::{Duration, EventKey, Time};
use synack_tcp::config::Config as TcpConfig;
use synack_tcp::{
    Connection, Event as TcpEvent, FourTuple, IsnGenerator, Segment, Seq, State, Stats,
};
use synack_tcp::{Listener as TcpListener, SynDecision, TimeWait, TimeWaitAction};

use super::{AppSpec, Event, FloodSpec, World, WorldSpec};
use crate::ids::{FlowId, HostId, PacketId};
use crate::seeds::component_rng;
use crate::stats::quantile_nearest_rank;
use crate::trace::{Cause, Record, TraceEvent};

/// No connection: a segment that belongs to none, a flow not yet known.
pub(super) const NO_CONN: u32 = u32::MAX;
use synack_experiment::metrics::Metrics;

/// Where a connection is found: (host, local port, remote address, remote port).
pub(super) type Key = (u32, u16, u32, u16);

/// Spoofed source addresses: the high bit set, the flood's index in bits 24–30.
pub(super) const SPOOFED: u32 = 0x8000_0000;

/// In the demux map, ids with this bit set are TIME-WAIT sockets, the others connections.
const TIME_WAIT_ID: u32 = 0x8000_0000;

/// A connection in TIME-WAIT: only what TIME-WAIT needs.
pub(super) struct TimeWaitSocket {
    tw: TimeWait,
    host: u32,
    remote: u32,
    /// The flow, with the side in the top bit (set: server).
    flow_side: u32,
    timer: EventKey,
}

const SERVER_SIDE: u32 = 0x8000_0000;

// Issue 4: a connection in TIME-WAIT keeps at most 128 bytes.
const _: () = assert!(std::mem::size_of::<TimeWaitSocket>() <= 128);

impl TimeWaitSocket {
    fn key(&self) -> Key {
        (
            self.host,
            self.tw.local_port(),
            self.remote,
            self.tw.remote_port(),
        )
    }
    fn flow(&self) -> u32 {
        self.flow_side & !SERVER_SIDE
    }
    fn side(&self) -> Side {
        if self.flow_side & SERVER_SIDE != 0 {
            Side::Server
        } else {
            Side::Client
        }
    }
}

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
    /// The server application has accepted it (always true for clients).
    pub(super) accepted: bool,
    /// The server application has started its response.
    pub(super) answered: bool,
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
            accepted: side == Side::Client,
            answered: false,
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
    /// The workload whose server application answers here.
    app: u32,
    inner: TcpListener,
    /// With an accept rate: established connections (id, flow) not yet accepted, oldest
    /// first, and whether an `Accept` event is pending.
    backlog: VecDeque<(u32, u32)>,
    accepting: bool,
    accept_gap: Option<Duration>,
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
    time_waits: Vec<Option<TimeWaitSocket>>,
    time_wait_free: Vec<u32>,
    pub(super) demux: HashMap<Key, u32>,
    listeners: Vec<Listener>,
    listener_at: HashMap<(u32, u16), u32>,
    pub(super) flows: Vec<Flow>,
    pub(super) handshakes_ns: Vec<u64>,
    stats: Stats,
    time_wait: u64,
    /// ∫ (sockets in TIME-WAIT) dt in socket·nanoseconds, up to `time_wait_since`.
    time_wait_area: u128,
    time_wait_since: Time,
    close_wait: u64,
    half_open: u64,
    pub(super) counts: Counts,
}

impl Tcp {
    /// Workloads sharing a host and port serve it the same way, and every flood's port has
    /// a listener: the experiment checker's rules.
    pub(super) fn new(spec: &WorldSpec, run_seed: u64) -> Tcp {
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
        let mut listener_at: HashMap<(u32, u16), u32> = HashMap::default();
        for (i, app) in spec.apps.iter().enumerate() {
            let key = (app.server as u32, app.port);
            if let Some(&l) = listener_at.get(&key) {
                let first = &spec.apps[listeners[l as usize].app as usize];
                debug_assert!(first.same_server(app), "two servers on one port");
            } else {
                let host = &spec.hosts[app.server];
                let mut rng = component_rng(
                    run_seed,
                    &format!("host.{}.listener.{}", host.name, app.port),
                );
                listener_at.insert(key, listeners.len() as u32);
                listeners.push(Listener {
                    app: i as u32,
                    inner: TcpListener::new(&host.tcp, app.port, &mut rng),
                    backlog: VecDeque::new(),
                    accepting: false,
                    accept_gap: app.accept_rate.map(|r| Duration::from_secs_f64(1.0 / r)),
                });
            }
        }
        // Every flood's target port has a listener: the checker refuses a flood without one.
        debug_assert!(
            spec.floods
                .iter()
                .all(|f| listener_at.contains_key(&(f.target as u32, f.port))),
            "a flood without a listener"
        );
        let stream =
            |kind: &str, name: &str| component_rng(run_seed, &format!("workload.{name}.{kind}"));
        Tcp {
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
            time_waits: Vec::new(),
            time_wait_free: Vec::new(),
            demux: HashMap::default(),
            listeners,
            listener_at,
            flows: Vec::new(),
            handshakes_ns: Vec::new(),
            stats: Stats::default(),
            time_wait: 0,
            time_wait_area: 0,
            time_wait_since: Time::ZERO,
            close_wait: 0,
            half_open: 0,
            counts: Counts::default(),
        }
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

    /// Every connection (not TIME-WAIT socket): (host, flow, connection).
    pub(super) fn live_connections(&self) -> impl Iterator<Item = (u32, u32, &Connection)> {
        self.conns
            .iter()
            .flatten()
            .map(|c| (c.key.0, c.flow, &c.conn))
    }

    /// The flow of a demux entry (a connection or a TIME-WAIT socket).
    fn flow_of(&self, id: u32) -> u32 {
        if id & TIME_WAIT_ID != 0 {
            self.time_waits[(id & !TIME_WAIT_ID) as usize]
                .as_ref()
                .map_or(NO_CONN, |t| t.flow())
        } else {
            self.conns[id as usize].as_ref().map_or(NO_CONN, |c| c.flow)
        }
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

    fn gauge(&mut self, now: Time, state: State, delta: i64) {
        if state == State::TimeWait {
            self.integrate_time_wait(now);
        }
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

    fn integrate_time_wait(&mut self, now: Time) {
        let dt = (now - self.time_wait_since).as_nanos();
        self.time_wait_area += u128::from(self.time_wait) * u128::from(dt);
        self.time_wait_since = now;
    }

    /// Fills the connection metrics at the end of a run.
    pub(super) fn summarize(&mut self, end: Time, m: &mut Metrics) {
        self.integrate_time_wait(end);
        if end > Time::ZERO {
            m.time_wait_mean = self.time_wait_area as f64 / end.as_nanos() as f64;
        }
        for c in self.conns.iter().flatten() {
            add_stats(&mut self.stats, &c.conn.stats());
        }
        for t in self.time_waits.iter().flatten() {
            add_stats(&mut self.stats, &t.tw.stats());
        }
        let c = &self.counts;
        m.conn_attempted = c.attempted;
        m.conn_established = c.established;
        m.conn_failed = c.failed;
        m.port_exhausted = c.port_exhausted;
        m.ghost_established = c.ghosts;
        m.stale_accepted = c.stale_accepted;
        for l in &self.listeners {
            let s = l.inner.stats();
            m.syn_dropped += s.syn_dropped;
            m.syncookies_sent += s.syncookies_sent;
            m.syncookies_accepted += s.syncookies_accepted;
        }
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
    pub(super) fn tcp_receive(
        &mut self,
        now: Time,
        from: u32,
        to: u32,
        seg: Segment,
        tag: u32,
        packet: PacketId,
    ) {
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
            trace.push(Record::Segment {
                t: now,
                ev: TraceEvent::Recv,
                packet,
                from: super::addr(from),
                to: super::addr(to),
                conn: super::flow_id(flow),
                seg,
                channel: None,
            });
        }
        match id {
            Some(id) if id & TIME_WAIT_ID != 0 => {
                self.time_wait_segment(now, id & !TIME_WAIT_ID, from, to, seg, tag, packet)
            }
            Some(id) => {
                let c = self.tcp.conn(id);
                if let Some(l) = c.syn_queue {
                    if seg.flags.ack() && self.tcp.listeners[l as usize].inner.accept_queue_full() {
                        // Linux tcp_check_req: no room in the accept queue, so the handshake's
                        // last ACK is ignored; the SYN-ACK will be sent again.
                        return;
                    }
                }
                self.adopt(id, tag);
                let c = self.tcp.conn(id);
                let before = c.conn.bytes_received();
                c.conn.handle_segment(now, &seg);
                // Flows are numbered in the order they began: a smaller tag is an earlier
                // incarnation of the 4-tuple.
                if tag < c.flow && c.conn.bytes_received() > before {
                    // Data of an earlier incarnation taken as this one's.
                    self.tcp.counts.stale_accepted += 1;
                }
                self.pump(now, id, Cause::Packet(packet));
            }
            None => self.no_connection(now, from, to, seg, tag, packet),
        }
    }

    /// A half-open server connection that an old duplicate SYN opened, reached now by a
    /// segment of a live client of this 4-tuple (its SYN, identical to the old one when ISNs
    /// repeat, or its ACK): from here on it serves that client's incarnation.
    fn adopt(&mut self, id: u32, tag: u32) {
        let c = self.tcp.conn(id);
        if c.side != Side::Server
            || tag == NO_CONN
            || tag == c.flow
            || c.conn.state() != State::SynReceived
        {
            return;
        }
        let (old, f) = (c.flow, &self.tcp.flows[tag as usize]);
        if f.client_live && !f.has_server && !self.tcp.flows[old as usize].client_live {
            self.tcp.conn(id).flow = tag;
            self.tcp.flows[tag as usize].has_server = true;
        }
    }

    /// RFC 9293 §3.10.7.1 (CLOSED) and §3.10.7.2 (LISTEN): a segment for no connection.
    fn no_connection(
        &mut self,
        now: Time,
        from: u32,
        to: u32,
        seg: Segment,
        tag: u32,
        packet: PacketId,
    ) {
        let listener = self.tcp.listener_at.get(&(to, seg.dst_port)).copied();
        match listener {
            Some(l) if seg.flags.syn() && !seg.flags.ack() && !seg.flags.rst() => {
                self.accept(now, l, from, to, seg, tag, packet)
            }
            // LISTEN, first: an incoming RST is ignored. CLOSED: likewise.
            _ if seg.flags.rst() => {}
            // An ACK that may carry a SYN cookie (RFC 4987 §3.6).
            Some(l)
                if seg.flags.ack()
                    && !seg.flags.syn()
                    && self.cookie_ack(now, l, from, to, seg, tag, packet) => {}
            // LISTEN, second (an ACK) and CLOSED: <SEQ=SEG.ACK><CTL=RST>.
            _ if seg.flags.ack() => {
                let rst = Segment::rst(seg.dst_port, seg.src_port, seg.ack, None);
                self.send_answer(now, to, from, NO_CONN, tag, rst);
            }
            // CLOSED, no ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
            None => {
                let rst = Segment::rst(seg.dst_port, seg.src_port, Seq(0), Some(seg.end()));
                self.send_answer(now, to, from, NO_CONN, tag, rst);
            }
            // LISTEN with anything else (a FIN alone, say): dropped.
            Some(_) => {}
        }
    }

    /// A listener takes a SYN: a new connection in SYN-RECEIVED, a cookie, or nothing.
    #[allow(clippy::too_many_arguments)]
    fn accept(
        &mut self,
        now: Time,
        l: u32,
        from: u32,
        to: u32,
        syn: Segment,
        tag: u32,
        packet: PacketId,
    ) {
        let tuple = FourTuple {
            local_addr: to,
            local_port: syn.dst_port,
            remote_addr: from,
            remote_port: syn.src_port,
        };
        match self.tcp.listeners[l as usize]
            .inner
            .on_syn(now, tuple, &syn)
        {
            SynDecision::Drop => {}
            SynDecision::Cookie(synack) => self.send_segment(now, to, from, tag, synack),
            SynDecision::Open => {
                let host = &mut self.tcp.hosts[to as usize];
                let iss = host.isn.next(now, tuple);
                if let Ok(conn) = Connection::accept(now, &host.config, syn.dst_port, &syn, iss) {
                    let key = (to, syn.dst_port, from, syn.src_port);
                    self.open_server(now, l, conn, key, tag, true, packet);
                }
            }
        }
    }

    /// An ACK for no connection at a listener: a connection if it carries a valid cookie.
    #[allow(clippy::too_many_arguments)] // until the host stack takes segments whole
    fn cookie_ack(
        &mut self,
        now: Time,
        l: u32,
        from: u32,
        to: u32,
        ack: Segment,
        tag: u32,
        packet: PacketId,
    ) -> bool {
        let tuple = FourTuple {
            local_addr: to,
            local_port: ack.dst_port,
            remote_addr: from,
            remote_port: ack.src_port,
        };
        match self.tcp.listeners[l as usize]
            .inner
            .on_ack(now, tuple, &ack)
        {
            Some(conn) => {
                let key = (to, ack.dst_port, from, ack.src_port);
                self.open_server(now, l, conn, key, tag, false, packet);
                true
            }
            None => false,
        }
    }

    /// A new server connection, from a SYN (`half_open`) or from a cookie.
    #[allow(clippy::too_many_arguments)] // until the host stack takes segments whole
    fn open_server(
        &mut self,
        now: Time,
        l: u32,
        conn: Connection,
        key: Key,
        tag: u32,
        half_open: bool,
        packet: PacketId,
    ) {
        // The segment's own incarnation, if its client is still there and has no server yet;
        // otherwise a flow of its own, with no client: if it is ever established, a ghost.
        let joins = tag != NO_CONN && {
            let f = &self.tcp.flows[tag as usize];
            f.client_live && !f.has_server
        };
        let flow = if joins {
            tag
        } else {
            self.tcp.new_flow(Flow {
                started: now,
                ..Flow::default()
            })
        };
        self.tcp.flows[flow as usize].has_server = true;
        if let Some(trace) = &mut self.trace {
            trace.claim_last_receipt(FlowId(flow));
        }
        let app = self.tcp.listeners[l as usize].app;
        let mut c = Conn::new(conn, key, Side::Server, app, flow);
        if half_open {
            c.syn_queue = Some(l);
        }
        let id = self.tcp.insert(c);
        if !half_open {
            // A cookie's connection is established at once and waits to be accepted. The
            // listener counted it in its accept queue when it checked the cookie.
            self.enqueue_accept(now, l, id);
        }
        self.pump(now, id, Cause::Packet(packet));
    }

    /// A connection's timer event fired.
    pub(super) fn conn_timer(&mut self, now: Time, id: u32) {
        let c = self.tcp.conn(id);
        c.timer = None;
        if c.conn.poll_timeout().is_some_and(|t| t <= now) {
            c.conn.handle_timeout(now);
        }
        self.pump(now, id, Cause::Timer);
    }

    /// Lets the applications react to a connection's events, sends what it has to send,
    /// and re-arms its timer or, once it is CLOSED, forgets it.
    pub(super) fn pump(&mut self, now: Time, id: u32, cause: Cause) {
        // The stack's own doings first (state changes, the segments it sends), then the
        // application's reactions, as a kernel sends its ACK before the woken application
        // runs. `reactions` is kept between calls, so this allocates nothing once warm.
        let mut reactions = std::mem::take(&mut self.reactions);
        let mut cause = cause;
        loop {
            while let Some(event) = self.tcp.conn(id).conn.poll_event() {
                match event {
                    TcpEvent::StateChanged { from, to } => {
                        self.state_changed(now, id, from, to, cause)
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
            cause = Cause::App;
        }
        self.reactions = reactions;
        if let Some(rec) = &mut self.recorder {
            let c = self.tcp.conns[id as usize]
                .as_ref()
                .expect("pumped connections are live");
            rec.connection(now, id, c.key.0, c.flow, &c.conn);
        }
        let c = self.tcp.conn(id);
        match c.conn.state() {
            State::Closed => return self.remove(id),
            State::TimeWait => return self.enter_time_wait(id),
            _ => {}
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

    fn state_changed(&mut self, now: Time, id: u32, from: State, to: State, cause: Cause) {
        let c = self.tcp.conn(id);
        let (host, flow, side) = (c.key.0, c.flow, c.side);
        if from == State::SynReceived {
            if let Some(l) = c.syn_queue.take() {
                self.tcp.listeners[l as usize]
                    .inner
                    .half_open_ended(to == State::Established);
                if to == State::Established {
                    self.enqueue_accept(now, l, id);
                }
            }
        }
        self.tcp.gauge(now, from, -1);
        self.tcp.gauge(now, to, 1);
        if to == State::Established
            && side == Side::Server
            && !self.tcp.flows[flow as usize].client_live
        {
            // Established on the server, with no client connection of this incarnation.
            self.tcp.counts.ghosts += 1;
        }
        if let Some(trace) = &mut self.trace {
            trace.push(Record::State {
                t: now,
                host: HostId(host),
                conn: FlowId(flow),
                from,
                to,
                cause,
            });
        }
        if let Some(rec) = &mut self.recorder {
            rec.state(now, host, flow, from, to);
        }
    }

    /// An established connection joins listener `l`'s accept queue: accepted at once, or
    /// when the application's next accept comes.
    fn enqueue_accept(&mut self, now: Time, l: u32, id: u32) {
        let flow = self.tcp.conn(id).flow;
        let listener = &mut self.tcp.listeners[l as usize];
        match listener.accept_gap {
            None => {
                listener.inner.accepted();
                self.tcp.conn(id).accepted = true;
            }
            Some(_) => {
                listener.backlog.push_back((id, flow));
                if !listener.accepting {
                    listener.accepting = true;
                    self.sched.schedule_in(Duration::ZERO, Event::Accept(l));
                }
            }
        }
        let _ = now;
    }

    /// The application of listener `l` accepts its oldest waiting connection (one still
    /// open), then waits 1/rate before the next.
    pub(super) fn accept_next(&mut self, now: Time, l: u32) {
        let listener = &mut self.tcp.listeners[l as usize];
        let gap = listener
            .accept_gap
            .expect("accept events come only with a rate");
        let Some((id, flow)) = listener.backlog.pop_front() else {
            listener.accepting = false;
            return;
        };
        listener.inner.accepted();
        self.sched.schedule_in(gap, Event::Accept(l));
        let live = self.tcp.conns[id as usize]
            .as_ref()
            .is_some_and(|c| c.flow == flow);
        if live {
            self.tcp.conn(id).accepted = true;
            self.server_accepted(now, id);
            self.pump(now, id, Cause::App);
        }
    }

    /// A connection that reached TIME-WAIT (and has sent everything) shrinks to a
    /// [`TimeWaitSocket`].
    fn enter_time_wait(&mut self, id: u32) {
        let c = self.tcp.conns[id as usize]
            .take()
            .expect("a live connection");
        let timer = c.timer;
        let tw = match c.conn.into_time_wait() {
            Ok(tw) => tw,
            Err(conn) => {
                // Not ready to shrink (cannot happen after a drain): stay a connection.
                self.tcp.conns[id as usize] = Some(Conn { conn, ..c });
                return;
            }
        };
        if let Some((_, key)) = timer {
            self.sched.cancel(key);
        }
        self.tcp.free.push(id);
        let slot = match self.tcp.time_wait_free.pop() {
            Some(slot) => slot,
            None => {
                self.tcp.time_waits.push(None);
                (self.tcp.time_waits.len() - 1) as u32
            }
        };
        let timer = self
            .sched
            .schedule_cancellable(tw.deadline(), Event::TimeWaitTimer(slot))
            .expect("TIME-WAIT ends in the future");
        let side_bit = if c.side == Side::Server {
            SERVER_SIDE
        } else {
            0
        };
        let socket = TimeWaitSocket {
            tw,
            host: c.key.0,
            remote: c.key.2,
            flow_side: c.flow | side_bit,
            timer,
        };
        self.tcp.demux.insert(socket.key(), TIME_WAIT_ID | slot);
        self.tcp.time_waits[slot as usize] = Some(socket);
    }

    /// RFC 9293 §3.10.7.4 in TIME-WAIT, as the endpoint's [`TimeWait`] answers it.
    #[allow(clippy::too_many_arguments)] // until the host stack takes segments whole
    fn time_wait_segment(
        &mut self,
        now: Time,
        slot: u32,
        from: u32,
        to: u32,
        seg: Segment,
        tag: u32,
        packet: PacketId,
    ) {
        let t = self.tcp.time_waits[slot as usize]
            .as_mut()
            .expect("demux names live sockets");
        let (host, remote, flow) = (t.host, t.remote, t.flow());
        match t.tw.handle_segment(now, &seg) {
            // The 2·MSL timer restarted: the pending event fires early and re-arms.
            TimeWaitAction::AckFin(ack) | TimeWaitAction::Ack(ack) => {
                self.send_segment(now, host, remote, flow, ack)
            }
            TimeWaitAction::Close => self.leave_time_wait(now, slot, Cause::Packet(packet)),
            TimeWaitAction::Reopen => {
                // A new SYN ends TIME-WAIT and opens a new incarnation.
                self.leave_time_wait(now, slot, Cause::Packet(packet));
                self.no_connection(now, from, to, seg, tag, packet);
            }
            TimeWaitAction::Ignore => {}
        }
    }

    pub(super) fn time_wait_timer(&mut self, now: Time, slot: u32) {
        let Some(t) = self.tcp.time_waits[slot as usize].as_ref() else {
            return;
        };
        if t.tw.is_expired(now) {
            self.leave_time_wait(now, slot, Cause::Timer);
        } else {
            let at = t.tw.deadline();
            let timer = self
                .sched
                .schedule_cancellable(at, Event::TimeWaitTimer(slot))
                .expect("the deadline moved later");
            self.tcp.time_waits[slot as usize]
                .as_mut()
                .expect("checked")
                .timer = timer;
        }
    }

    /// TIME-WAIT is over (2·MSL passed, an RST, or a new SYN): CLOSED.
    fn leave_time_wait(&mut self, now: Time, slot: u32, cause: Cause) {
        let t = self.tcp.time_waits[slot as usize]
            .take()
            .expect("a live socket");
        self.sched.cancel(t.timer);
        self.tcp.time_wait_free.push(slot);
        self.tcp.demux.remove(&t.key());
        self.tcp.gauge(now, State::TimeWait, -1);
        add_stats(&mut self.tcp.stats, &t.tw.stats());
        let (flow, side) = (t.flow(), t.side());
        let f = &mut self.tcp.flows[flow as usize];
        match side {
            Side::Client => {
                f.client_end = End::Clean;
                f.client_live = false;
            }
            Side::Server => f.server_end = End::Clean,
        }
        if let Some(trace) = &mut self.trace {
            trace.push(Record::State {
                t: now,
                host: HostId(t.host),
                conn: FlowId(flow),
                from: State::TimeWait,
                to: State::Closed,
                cause,
            });
        }
        if let Some(rec) = &mut self.recorder {
            rec.state(now, t.host, flow, State::TimeWait, State::Closed);
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
            self.tcp.listeners[l as usize].inner.half_open_ended(false);
        }
        if c.side == Side::Client {
            self.tcp.flows[c.flow as usize].client_live = false;
        }
        self.tcp.demux.remove(&c.key);
        self.tcp.free.push(id);
        add_stats(&mut self.tcp.stats, &c.conn.stats());
    }
}
