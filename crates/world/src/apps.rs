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
use synack_sim::{Duration, Time};
use synack_tcp::{Connection, Event as TcpEvent, Flags, FourTuple, Segment, Seq};

use super::tcp::NO_CONN;
use super::tcp::{Conn, End, Flow, Side, SPOOFED};
use super::{AppKind, Event, World};
use crate::trace::Cause;

impl World {
    /// A client application opens its next connection (and plans the one after).
    pub(super) fn app_connect(&mut self, now: Time, app: u32) {
        self.tcp.opened[app as usize] += 1;
        if let Some(next) = self.next_arrival(now, app) {
            self.sched
                .schedule(next, Event::AppConnect(app))
                .expect("arrivals move forward");
        }
        let spec = &self.tcp.apps[app as usize];
        let (client, server, port, kind) =
            (spec.client as u32, spec.server as u32, spec.port, spec.kind);
        self.tcp.counts.attempted += 1;
        let Some(local_port) = self.tcp.ephemeral_port(client, server, port) else {
            // No free port: connect() fails locally (EADDRNOTAVAIL).
            self.tcp.counts.port_exhausted += 1;
            self.tcp.counts.failed += 1;
            return;
        };
        let host = &mut self.tcp.hosts[client as usize];
        let tuple = FourTuple {
            local_addr: client,
            local_port,
            remote_addr: server,
            remote_port: port,
        };
        let iss = host.isn.next(now, tuple);
        let conn = Connection::connect(now, &host.config, local_port, port, iss);
        let flow = self.tcp.new_flow(Flow {
            started: now,
            client_live: true,
            response_due: kind.server_answers().map_or(0, |(_, response, _)| response),
            ..Flow::default()
        });
        let id = self.tcp.insert(Conn::new(
            conn,
            (client, local_port, server, port),
            Side::Client,
            app,
            flow,
        ));
        self.pump(now, id, Cause::App);
    }

    /// When application `app` opens its next connection, if it does.
    fn next_arrival(&mut self, now: Time, app: u32) -> Option<Time> {
        let spec = &self.tcp.apps[app as usize];
        let opened = self.tcp.opened[app as usize];
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
                    let u: f64 = self.tcp.app_rngs[app as usize].random();
                    now + Duration::from_secs_f64(-(1.0 - u).ln() / rate)
                } else {
                    // The k-th arrival at start + k/rate exactly: no rounding drift.
                    Time::ZERO + spec.start + Duration::from_secs_f64(f64::from(opened) / rate)
                };
                (at < Time::ZERO + stop).then_some(at)
            }
        }
    }

    /// The application's reaction to one of its connection's events.
    pub(super) fn on_app_event(&mut self, now: Time, id: u32, event: TcpEvent) {
        let c = self.tcp.conn(id);
        let (side, flow, app) = (c.side, c.flow as usize, c.app as usize);
        let kind = self.tcp.apps[app].kind;
        match event {
            // Handled as they happen, in `pump`.
            TcpEvent::StateChanged { .. } => {}
            TcpEvent::Connected => {
                if side == Side::Client {
                    let f = &mut self.tcp.flows[flow];
                    f.established = true;
                    self.tcp.counts.established += 1;
                    self.tcp.handshakes_ns.push((now - f.started).as_nanos());
                    let c = self.tcp.conn(id);
                    match kind {
                        AppKind::Bulk { bytes } => {
                            c.to_write = bytes;
                            c.close_when_written = true;
                        }
                        AppKind::Request { request, .. } | AppKind::Churn { request, .. } => {
                            c.to_write = request
                        }
                    }
                    self.write(now, id);
                }
            }
            TcpEvent::DataReceived(n) => {
                let f = &mut self.tcp.flows[flow];
                f.last_delivery = Some(now);
                match side {
                    Side::Server => {
                        f.server_delivered += n;
                        self.server_answer(now, id);
                    }
                    Side::Client => {
                        f.client_delivered += n;
                        if kind.half_closes() {
                            // Nothing more to say: shut down the sending side, keep reading.
                            self.tcp.conn(id).close_when_written = true;
                            self.write(now, id);
                        }
                        let f = &self.tcp.flows[flow];
                        let (got, due) = (f.client_delivered, f.response_due);
                        let client_closes = !kind.server_answers().is_some_and(|(_, _, s)| s);
                        if client_closes && due > 0 && got >= due && got - n < due {
                            self.tcp.conn(id).close_when_written = true;
                            self.write(now, id);
                        }
                    }
                }
            }
            TcpEvent::Acked(_) => self.write(now, id),
            TcpEvent::PeerFin => self.peer_closed(now, id),
            TcpEvent::Closed | TcpEvent::Reset | TcpEvent::TimedOut => {
                let end = match event {
                    TcpEvent::Closed => End::Clean,
                    TcpEvent::Reset => End::Reset,
                    _ => End::TimedOut,
                };
                let f = &mut self.tcp.flows[flow];
                match side {
                    Side::Client => {
                        f.client_end = end;
                        if !f.established && end != End::Clean {
                            self.tcp.counts.failed += 1;
                        }
                    }
                    Side::Server => f.server_end = end,
                }
            }
        }
    }

    /// A server application that has read the whole request starts its response.
    fn server_answer(&mut self, now: Time, id: u32) {
        let c = self.tcp.conn(id);
        let (flow, app) = (c.flow as usize, c.app as usize);
        if !c.accepted || c.answered {
            return;
        }
        let Some((request, response, server_closes)) = self.tcp.apps[app].kind.server_answers()
        else {
            return;
        };
        if self.tcp.flows[flow].server_delivered >= request {
            let c = self.tcp.conn(id);
            c.answered = true;
            c.to_write += response;
            c.close_when_written |= server_closes;
            self.write(now, id);
        }
    }

    /// The peer closed its direction: close ours too, unless this is a server that never
    /// closes, or one that has not accepted the connection yet.
    fn peer_closed(&mut self, now: Time, id: u32) {
        let c = self.tcp.conn(id);
        let (side, app, accepted) = (c.side, c.app as usize, c.accepted);
        let never = side == Side::Server && self.tcp.apps[app].server_never_closes;
        if !never && accepted {
            self.tcp.conn(id).close_when_written = true;
            self.write(now, id);
        }
    }

    /// The server application accepts a connection that has been waiting: it reads what
    /// arrived meanwhile and reacts as it would have.
    pub(super) fn server_accepted(&mut self, now: Time, id: u32) {
        self.server_answer(now, id);
        if self.tcp.conn(id).conn.state() == synack_tcp::State::CloseWait {
            self.peer_closed(now, id);
        }
    }

    /// Writes as much as the send buffer takes; closes when all is written and the
    /// application means to close.
    fn write(&mut self, now: Time, id: u32) {
        let c = self.tcp.conn(id);
        if c.to_write > 0 {
            let n = c.conn.send(now, c.to_write).unwrap_or(0);
            c.to_write -= n;
            let (side, flow) = (c.side, c.flow as usize);
            let f = &mut self.tcp.flows[flow];
            match side {
                Side::Client => f.client_written += n,
                Side::Server => f.server_written += n,
            }
        }
        let c = self.tcp.conn(id);
        if c.to_write == 0 && c.close_when_written && !c.closed_by_app {
            c.closed_by_app = true;
            // A close in a state that does not allow one (already closing) changes nothing.
            let _ = c.conn.close(now);
        }
    }

    /// Flood `f` sends one spoofed SYN and plans the next.
    pub(super) fn flood_syn(&mut self, now: Time, f: u32) {
        let flood = &self.tcp.floods[f as usize];
        let (target, port, rate, stop) = (flood.target as u32, flood.port, flood.rate, flood.stop);
        let rng = &mut self.tcp.flood_rngs[f as usize];
        let addr = SPOOFED | (f << 24) | (rng.random::<u32>() & 0x00ff_ffff);
        let src_port = rng.random_range(1024..=65535u16);
        let seq = Seq(rng.random());
        let next = now + Duration::from_secs_f64(1.0 / rate);
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
        self.send_segment(now, addr, target, NO_CONN, syn);
        if next < Time::ZERO + stop {
            self.sched
                .schedule(next, Event::FloodSyn(f))
                .expect("floods move forward");
        }
    }

    /// Scripted segment `i` is sent.
    pub(super) fn script_send(&mut self, now: Time, i: u32) {
        let s = &self.script[i as usize];
        let (from, to, seg) = (s.from as u32, s.to as u32, s.seg);
        self.send_segment(now, from, to, NO_CONN, seg);
    }
}
