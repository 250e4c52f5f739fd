//! What the workloads' applications do with their connections, and the attackers.
//!
//! Applications move no data, only counts: a writer hands its bytes to the connection as
//! the send buffer frees up; a reader takes whatever arrives at once.
//!
//! - `bulk`: the client writes `bytes` and closes; the server reads and closes after the
//!   client's FIN.
//! - `request`, `churn`: the client writes the request; the server, once it has read the
//!   whole request, writes the response; the client closes once it has read the whole
//!   response (or, with `closer = "server"`, the server closes right after writing it, and
//!   the client closes after the server's FIN; with `half_close`, the client shuts down its
//!   sending side as soon as the response starts arriving and reads on).
//! - A server with `server_close = "never"` never closes: its sockets stay in CLOSE-WAIT.
//! - `flood`: SYNs from spoofed addresses and ports at a constant rate (as hping3 sends
//!   them); the answers go to the attacker's entry host and vanish there.
//! - `script`: raw segments at given times, outside any connection.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use synack_sim::{Duration, EventKey, Time};
use synack_tcp::{Event as TcpEvent, Flags, Segment, Seq, State};

use crate::host::{ConnRef, Owner};
use crate::ids::{Addr, HostId};
use crate::ledger::{End, Flow, Side};
use crate::trace::Cause;
use crate::{AppKind, AppSpec, Event, FloodSpec, World};

/// What an application keeps with one of its connections, and the connection's pending
/// timer event (with the time it is set for).
pub(crate) struct Conn {
    /// The workload (its index among the TCP applications).
    pub app: u32,
    pub timer: Option<(Time, EventKey)>,
    /// The server application has accepted it (always true for clients).
    pub accepted: bool,
    /// The server application has started its response.
    pub answered: bool,
    /// Bytes the application still means to write.
    pub to_write: u64,
    /// Close once everything is written.
    pub close_when_written: bool,
    pub closed_by_app: bool,
}

impl Conn {
    pub fn new(app: u32, side: Side) -> Conn {
        Conn {
            app,
            timer: None,
            accepted: side == Side::Client,
            answered: false,
            to_write: 0,
            close_when_written: false,
            closed_by_app: false,
        }
    }

    /// Puts `conn` in the slot of connection `id` (slots follow the stack's).
    pub fn place(conns: &mut Vec<Conn>, id: synack_tcp::ConnId, conn: Conn) {
        let i = id.index();
        if conns.len() <= i {
            conns.resize_with(i + 1, || Conn::new(0, Side::Client));
        }
        conns[i] = conn;
    }
}

/// The TCP workloads' client applications: their specifications, random streams (churn
/// arrivals) and how many connections each has opened.
pub(crate) struct Apps {
    pub specs: Vec<AppSpec>,
    pub rngs: Vec<ChaCha8Rng>,
    pub opened: Vec<u32>,
}

/// A flood: its specification, its random stream (spoofed addresses, ports, ISNs) and
/// how many SYNs it has sent.
pub(crate) struct Flood {
    pub spec: FloodSpec,
    pub rng: ChaCha8Rng,
    pub sent: u64,
}

impl World {
    /// A client application opens its next connection (and plans the one after).
    pub(crate) fn app_connect(&mut self, now: Time, app: u32) {
        self.apps.opened[app as usize] += 1;
        if let Some(next) = self.next_arrival(now, app) {
            self.sched
                .schedule(next, Event::AppConnect(app))
                .expect("arrivals move forward");
        }
        let spec = &self.apps.specs[app as usize];
        let (client, server, port, kind) = (
            HostId(spec.client as u32),
            spec.server as u32,
            spec.port,
            spec.kind,
        );
        self.ledger.attempted += 1;
        let host = &mut self.hosts[client.0 as usize];
        let Ok(id) = host
            .stack
            .connect(now, Addr::Host(HostId(server)), port, None)
        else {
            // No free port: connect() fails locally (EADDRNOTAVAIL).
            self.ledger.port_exhausted += 1;
            self.ledger.failed += 1;
            return;
        };
        let flow = self.ledger.new_flow(Flow {
            started: now,
            client_live: true,
            response_due: kind.server_answers().map_or(0, |(_, response, _)| response),
            ..Flow::default()
        });
        let host = &mut self.hosts[client.0 as usize];
        host.stack.set_tag(
            id,
            Some(Owner {
                flow,
                side: Side::Client,
            }),
        );
        Conn::place(&mut host.conns, id, Conn::new(app, Side::Client));
        self.pump(now, ConnRef { host: client, id }, Cause::App);
    }

    /// When application `app` opens its next connection, if it does.
    fn next_arrival(&mut self, now: Time, app: u32) -> Option<Time> {
        let spec = &self.apps.specs[app as usize];
        let opened = self.apps.opened[app as usize];
        match spec.kind {
            AppKind::Bulk { .. } => None,
            AppKind::Request {
                count, interval, ..
            } => (opened < count).then(|| now + interval),
            AppKind::Churn {
                rate,
                poisson,
                stop,
                ..
            } => {
                let at = if poisson {
                    // An exponential gap of mean 1/rate (inverse transform; 1 − u is in (0, 1]).
                    let u: f64 = self.apps.rngs[app as usize].random();
                    now + Duration::from_secs_f64(-(1.0 - u).ln() / rate)
                } else {
                    // The k-th arrival at start + k/rate exactly: no rounding drift.
                    Time::ZERO + spec.start + Duration::from_secs_f64(f64::from(opened) / rate)
                };
                (at < Time::ZERO + stop).then_some(at)
            }
        }
    }

    fn conn(&mut self, c: ConnRef) -> &mut Conn {
        &mut self.hosts[c.host.0 as usize].conns[c.id.index()]
    }

    /// The application's reaction to one of its connection's events.
    pub(crate) fn on_app_event(&mut self, now: Time, c: ConnRef, owner: Owner, event: TcpEvent) {
        let app = self.conn(c).app as usize;
        let kind = self.apps.specs[app].kind;
        match event {
            // Handled as they happen, in `pump`.
            TcpEvent::StateChanged { .. } => {}
            TcpEvent::Connected if owner.side == Side::Client => {
                self.ledger.client_established(now, owner.flow);
                let conn = self.conn(c);
                match kind {
                    AppKind::Bulk { bytes } => {
                        conn.to_write = bytes;
                        conn.close_when_written = true;
                    }
                    AppKind::Request { request, .. } | AppKind::Churn { request, .. } => {
                        conn.to_write = request
                    }
                }
                self.write(now, c);
            }
            TcpEvent::Connected => {}
            TcpEvent::DataReceived(n) => self.data_received(now, c, owner, kind, n),
            TcpEvent::Acked(_) => self.write(now, c),
            TcpEvent::PeerFin => self.peer_closed(now, c),
            TcpEvent::Closed => self.ledger.ended(owner.flow, owner.side, End::Clean),
            TcpEvent::Reset => self.ledger.ended(owner.flow, owner.side, End::Reset),
            TcpEvent::TimedOut => self.ledger.ended(owner.flow, owner.side, End::TimedOut),
        }
    }

    /// `n` more bytes arrived in order: the server may answer; the client may close.
    fn data_received(&mut self, now: Time, c: ConnRef, owner: Owner, kind: AppKind, n: u64) {
        let f = self.ledger.flow_mut(owner.flow);
        f.last_delivery = Some(now);
        match owner.side {
            Side::Server => {
                f.server_delivered += n;
                self.server_answer(now, c);
            }
            Side::Client => {
                f.client_delivered += n;
                let (got, due) = (f.client_delivered, f.response_due);
                if kind.half_closes() {
                    // Nothing more to say: shut down the sending side, keep reading.
                    self.conn(c).close_when_written = true;
                    self.write(now, c);
                }
                let client_closes = !kind.server_answers().is_some_and(|(_, _, s)| s);
                if client_closes && due > 0 && got >= due && got - n < due {
                    self.conn(c).close_when_written = true;
                    self.write(now, c);
                }
            }
        }
    }

    /// A server application that has read the whole request starts its response.
    fn server_answer(&mut self, now: Time, c: ConnRef) {
        let flow = self.hosts[c.host.0 as usize].owner(c.id).flow;
        let conn = self.conn(c);
        if !conn.accepted || conn.answered {
            return;
        }
        let app = conn.app as usize;
        let Some((request, response, server_closes)) = self.apps.specs[app].kind.server_answers()
        else {
            return;
        };
        if self.ledger.flow(flow).server_delivered >= request {
            let conn = self.conn(c);
            conn.answered = true;
            conn.to_write += response;
            conn.close_when_written |= server_closes;
            self.write(now, c);
        }
    }

    /// The peer closed its direction: close ours too, unless this is a server that never
    /// closes, or one that has not accepted the connection yet.
    fn peer_closed(&mut self, now: Time, c: ConnRef) {
        let side = self.hosts[c.host.0 as usize].owner(c.id).side;
        let conn = self.conn(c);
        let (app, accepted) = (conn.app as usize, conn.accepted);
        let never = side == Side::Server && self.apps.specs[app].server_never_closes;
        if !never && accepted {
            self.conn(c).close_when_written = true;
            self.write(now, c);
        }
    }

    /// The server application accepts a connection that has been waiting: it reads what
    /// arrived meanwhile and reacts as it would have.
    pub(crate) fn server_accepted(&mut self, now: Time, c: ConnRef) {
        self.server_answer(now, c);
        if self.hosts[c.host.0 as usize].stack.connection(c.id).state() == State::CloseWait {
            self.peer_closed(now, c);
        }
    }

    /// Writes as much as the send buffer takes; closes when all is written and the
    /// application means to close.
    fn write(&mut self, now: Time, c: ConnRef) {
        let host = &mut self.hosts[c.host.0 as usize];
        let owner = host.owner(c.id);
        let conn = &mut host.conns[c.id.index()];
        let tcp = host.stack.connection_mut(c.id);
        if conn.to_write > 0 {
            let n = tcp.send(now, conn.to_write).unwrap_or(0);
            conn.to_write -= n;
            let f = self.ledger.flow_mut(owner.flow);
            if n > 0 {
                f.first_write.get_or_insert(now);
            }
            match owner.side {
                Side::Client => f.client_written += n,
                Side::Server => f.server_written += n,
            }
        }
        if conn.to_write == 0 && conn.close_when_written && !conn.closed_by_app {
            conn.closed_by_app = true;
            // A close in a state that does not allow one (already closing) changes nothing.
            let _ = tcp.close(now);
        }
    }

    /// Flood `f` sends one spoofed SYN and plans the next.
    pub(crate) fn flood_syn(&mut self, now: Time, f: u32) {
        let flood = &mut self.floods[f as usize];
        let spec = &flood.spec;
        let (target, port, rate, start, stop) = (
            spec.target as u32,
            spec.port,
            spec.rate,
            spec.start,
            spec.stop,
        );
        let rng = &mut flood.rng;
        let addr = Addr::Spoofed {
            flood: u16::try_from(f).expect("the checker allows at most 65,536 floods"),
            addr: rng.random::<u32>() & 0x00ff_ffff,
        };
        let src_port = rng.random_range(1024..=65535u16);
        let seq = Seq(rng.random());
        // The k-th SYN at start + k/rate exactly: no rounding drift (as churn arrivals).
        flood.sent += 1;
        let next = Time::ZERO + start + Duration::from_secs_f64(flood.sent as f64 / rate);
        let syn = Segment {
            src_port,
            dst_port: port,
            seq,
            ack: Seq(0),
            flags: Flags::SYN,
            window: 65535,
            len: 0,
            mss: Some(1460),
        };
        self.send_segment(now, addr, Addr::Host(HostId(target)), None, None, syn);
        if next < Time::ZERO + stop {
            self.sched
                .schedule(next, Event::FloodSyn(f))
                .expect("floods move forward");
        }
    }

    /// Scripted segment `i` is sent.
    pub(crate) fn script_send(&mut self, now: Time, i: u32) {
        let s = &self.script[i as usize];
        let (from, to, seg) = (HostId(s.from as u32), HostId(s.to as u32), s.seg);
        self.send_segment(now, Addr::Host(from), Addr::Host(to), None, None, seg);
    }
}
