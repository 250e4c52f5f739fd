//! What the TCP workloads' applications do with their connections (when the clients open
//! them is in `workload::client`).
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
//! - With `linger_zero`, the application that closes first (the client, or the server with
//!   `closer = "server"`) aborts where it would close: a RST, and no TIME-WAIT.

use synack_sim::{EventKey, Time};
use synack_tcp::{ConnId, Event as TcpEvent, State};

use crate::flows::Endpoints;
use crate::host::{ConnRef, Owner, Server};
use crate::ids::{Addr, HostId};
use crate::ledger::{End, Flow, Side};
use crate::trace::Cause;
use crate::workload::{Pool, Workload};
use crate::{AppKind, Event, World};

/// What the world keeps with one connection: the pending timer event (with the time it is
/// set for), the workload it belongs to, and what its application is doing.
pub(crate) struct Conn {
    pub timer: Option<(Time, EventKey)>,
    /// The workload (its index among the TCP applications).
    pub workload: u32,
    pub app: App,
}

/// What the application at one end of a connection is doing: one state per kind of end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum App {
    /// The client of a `bulk` workload: writes its bytes, then closes.
    BulkClient { out: Out },
    /// The client of a `request` or `churn` connection: writes the request and reads the
    /// response; closes once it has it all (or, with `closer = "server"`, after the server's
    /// FIN; with `half_close`, as soon as the response starts arriving, reading on).
    RequestClient { out: Out },
    /// A connection of a `pool`: idle, or carrying the request that arrived at `busy`,
    /// after `done` others; the pool closes it once its arrivals have stopped.
    PoolClient {
        out: Out,
        busy: Option<Time>,
        done: u64,
    },
    /// The server application of any TCP workload: it reads what arrives; a `request`,
    /// `churn` or `pool` server answers each whole request it has read; it closes after the
    /// client (first, with `closer = "server"`; never, with `server_close = "never"`).
    Server { phase: Serving, out: Out },
}

/// Where a server application is with its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Serving {
    /// Established, waiting in the accept queue: the application does nothing with it yet.
    Unaccepted,
    /// Accepted: reading (the request, for workloads that answer; a pool's server stays
    /// here, answering request after request).
    Reading,
    /// The response to the connection's one request is written or being written.
    Answered,
    /// The application exited (a `restart`): it reads, writes and closes nothing more.
    Exited,
}

/// An application's sending side: bytes it still means to write, and its close.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Out {
    pub left: u64,
    pub close: Closing,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Closing {
    /// Not closing.
    #[default]
    No,
    /// close() once everything is written.
    WhenWritten,
    /// close() was called.
    Called,
}

impl Out {
    /// The application will close once everything is written (if it has not already).
    fn close_when_written(&mut self) {
        if self.close == Closing::No {
            self.close = Closing::WhenWritten;
        }
    }
}

impl App {
    fn out(&mut self) -> &mut Out {
        match self {
            App::BulkClient { out }
            | App::RequestClient { out }
            | App::PoolClient { out, .. }
            | App::Server { out, .. } => out,
        }
    }

    /// The application has accepted its connection (a client always has).
    fn accepted(&self) -> bool {
        !matches!(
            self,
            App::Server {
                phase: Serving::Unaccepted,
                ..
            }
        )
    }
}

impl Conn {
    pub fn new(workload: u32, app: App) -> Conn {
        Conn {
            timer: None,
            workload,
            app,
        }
    }

    /// Puts `conn` in the slot of connection `id` (slots follow the stack's; a slot is
    /// always placed before it is used).
    pub fn place(conns: &mut Vec<Conn>, id: synack_tcp::ConnId, conn: Conn) {
        let i = id.index();
        if conns.len() <= i {
            conns.resize_with(i + 1, || Conn::new(0, App::server()));
        }
        conns[i] = conn;
    }

    /// The server application exited: it does nothing more with the connection.
    pub fn exit(&mut self) {
        if let App::Server { phase, out } = &mut self.app {
            *phase = Serving::Exited;
            // What it had not yet handed to TCP dies with it.
            out.left = 0;
        }
    }

    /// The server application has accepted the connection.
    pub fn accept(&mut self) {
        if let App::Server { phase, .. } = &mut self.app {
            if *phase == Serving::Unaccepted {
                *phase = Serving::Reading;
            }
        }
    }
}

impl App {
    /// A server application's state for a connection it has not accepted yet.
    pub fn server() -> App {
        App::Server {
            phase: Serving::Unaccepted,
            out: Out::default(),
        }
    }
}

impl World<'_> {
    /// Client application `app` (a workload) opens its next connection, if a port is free.
    pub(crate) fn app_connect(&mut self, now: Time, app: u32) -> Option<ConnId> {
        let spec = self.workloads[app as usize].app();
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
            return None;
        };
        // A TIME-WAIT socket whose port connect() took over (`tw_reuse`) ends first.
        self.drain_stack(now, client, None, Cause::App);
        // A pool's connection counts its responses itself.
        let response_due = match kind.server_answers() {
            Some((_, response, _)) if !kind.persistent() => response,
            _ => 0,
        };
        let host = &mut self.hosts[client.0 as usize];
        let endpoints = Endpoints {
            client: Addr::Host(client),
            client_port: host.stack.connection(id).local_port(),
            server: HostId(server),
            server_port: port,
            workload: app,
        };
        let flow = self.ledger.new_flow(Flow {
            started: now,
            endpoints,
            has_client: true,
            client_live: true,
            response_due,
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
        let out = Out::default();
        let role = match kind {
            AppKind::Bulk { .. } => App::BulkClient { out },
            AppKind::Request { .. } | AppKind::Churn { .. } => App::RequestClient { out },
            AppKind::Pool { .. } => App::PoolClient {
                out,
                busy: None,
                done: 0,
            },
        };
        Conn::place(&mut host.conns, id, Conn::new(app, role));
        self.pump(now, ConnRef { host: client, id }, Cause::App);
        Some(id)
    }

    fn conn(&mut self, c: ConnRef) -> &mut Conn {
        &mut self.hosts[c.host.0 as usize].conns[c.id.index()]
    }

    /// The application's reaction to one of its connection's events.
    pub(crate) fn on_app_event(&mut self, now: Time, c: ConnRef, owner: Owner, event: TcpEvent) {
        let workload = self.conn(c).workload as usize;
        let kind = self.workloads[workload].app().kind;
        match event {
            // Handled as they happen, in `pump`.
            TcpEvent::StateChanged { .. } => {}
            TcpEvent::Connected => self.connected(now, c, owner, kind),
            TcpEvent::DataReceived(n) => self.data_received(now, c, owner, kind, n),
            TcpEvent::Acked(_) => self.write(now, c),
            TcpEvent::PeerFin => self.peer_closed(now, c),
            TcpEvent::Closed | TcpEvent::Reset | TcpEvent::TimedOut => {
                let end = match event {
                    TcpEvent::Closed => End::Clean,
                    TcpEvent::Reset => End::Reset,
                    _ => End::TimedOut,
                };
                self.ledger.ended(now, owner.flow, owner.side, end);
                if matches!(self.conn(c).app, App::PoolClient { .. }) {
                    self.pool_conn_ended(c);
                }
            }
        }
    }

    /// ESTABLISHED: a client starts writing (a bulk client closes when it is done).
    fn connected(&mut self, now: Time, c: ConnRef, owner: Owner, kind: AppKind) {
        if owner.side != Side::Client {
            return;
        }
        self.ledger.client_established(now, owner.flow);
        let out = self.conn(c).app.out();
        match kind {
            AppKind::Bulk { bytes } => {
                out.left = bytes;
                out.close_when_written();
            }
            AppKind::Request { request, .. } | AppKind::Churn { request, .. } => out.left = request,
            // A pool's connection waits for its first request.
            AppKind::Pool { .. } => return self.pool_idle(now, c),
        }
        self.write(now, c);
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
                let (got, due, started) = (f.client_delivered, f.response_due, f.started);
                if kind.persistent() {
                    return self.pool_response(now, c, got);
                }
                if kind.half_closes() {
                    // Nothing more to say: shut down the sending side, keep reading.
                    self.conn(c).app.out().close_when_written();
                    self.write(now, c);
                }
                let answered = due > 0 && got >= due && got - n < due;
                if answered {
                    // The request was made when the connection was opened.
                    self.ledger.request_done(now - started);
                }
                let client_closes = !kind.server_answers().is_some_and(|(_, _, s)| s);
                if client_closes && answered {
                    self.conn(c).app.out().close_when_written();
                    self.write(now, c);
                }
            }
        }
    }

    /// A server application answers each whole request it has read: one per connection,
    /// or (a pool's) one after another.
    fn server_answer(&mut self, now: Time, c: ConnRef) {
        let flow = self.hosts[c.host.0 as usize].owner(c.id).flow;
        let conn = self.conn(c);
        let (workload, app) = (conn.workload as usize, conn.app);
        let App::Server {
            phase: Serving::Reading,
            mut out,
        } = app
        else {
            return;
        };
        let kind = self.workloads[workload].app().kind;
        let Some((request, response, server_closes)) = kind.server_answers() else {
            return;
        };
        let f = self.ledger.flow_mut(flow);
        let whole = if kind.persistent() {
            f.server_delivered / request.max(1)
        } else {
            u64::from(f.server_delivered >= request)
        };
        let new = whole.saturating_sub(f.server_answered);
        if new == 0 {
            return;
        }
        f.server_answered += new;
        out.left += new * response;
        if server_closes {
            out.close_when_written();
        }
        let phase = if kind.persistent() {
            Serving::Reading
        } else {
            Serving::Answered
        };
        self.conn(c).app = App::Server { phase, out };
        self.write(now, c);
    }

    /// The peer closed its direction: close ours too, unless this is a server that never
    /// closes, or one that has not accepted the connection yet.
    fn peer_closed(&mut self, now: Time, c: ConnRef) {
        let conn = self.conn(c);
        let (workload, app) = (conn.workload as usize, conn.app);
        let never =
            matches!(app, App::Server { .. }) && self.workloads[workload].app().server_never_closes;
        if !never && app.accepted() {
            self.conn(c).app.out().close_when_written();
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
    /// application means to close — with a RST if it is the first closer and sets
    /// `SO_LINGER` to zero (Linux `tcp_close` → `tcp_disconnect`).
    fn write(&mut self, now: Time, c: ConnRef) {
        let workload = self.conn(c).workload as usize;
        let spec = self.workloads[workload].app();
        let host = &mut self.hosts[c.host.0 as usize];
        let owner = host.owner(c.id);
        let lingers =
            spec.linger_zero && (owner.side == Side::Server) == spec.server_closes_first();
        let out = host.conns[c.id.index()].app.out();
        let tcp = host.stack.connection_mut(c.id);
        if out.left > 0 {
            let n = tcp.send(now, out.left).unwrap_or(0);
            out.left -= n;
            let f = self.ledger.flow_mut(owner.flow);
            if n > 0 {
                f.first_write.get_or_insert(now);
            }
            match owner.side {
                Side::Client => f.client_written += n,
                Side::Server => f.server_written += n,
            }
        }
        if out.left == 0 && out.close == Closing::WhenWritten {
            out.close = Closing::Called;
            if lingers {
                tcp.abort(now);
            } else {
                // A close in a state that does not allow one (already closing) changes
                // nothing.
                let _ = tcp.close(now);
            }
        }
    }
}

impl World<'_> {
    /// A `restart` workload's server application exits (workload `index`): as the kernel
    /// closes a dying process's sockets, its listener closes (Linux `inet_csk_listen_stop`
    /// resets what it had not handed over) and every connection it had accepted is closed —
    /// a FIN after what the send buffer holds (`tcp_close`), or a RST for a server that
    /// closes first with `linger_zero`; what the application had not yet written is lost.
    pub(crate) fn server_exit(&mut self, now: Time, index: u32) {
        let Workload::Restart(r) = &mut self.workloads[index as usize] else {
            unreachable!("only restarts exit");
        };
        let (h, port) = (HostId(r.spec.host as u32), r.spec.port);
        let host = &mut self.hosts[h.0 as usize];
        let Some(l) = host.stack.listener_on(port) else {
            return;
        };
        let server = &host.servers[l.index()];
        r.server = Some((server.app, server.accept_gap));
        r.down_since = Some(now);
        for id in host.stack.close_listener(now, l) {
            self.hosts[h.0 as usize].conns[id.index()].exit();
            self.pump(now, ConnRef { host: h, id }, Cause::App);
        }
        let host = &mut self.hosts[h.0 as usize];
        let accepted: Vec<ConnId> = host
            .stack
            .connections()
            .map(|(id, _, _)| id)
            .filter(|&id| host.stack.listener_of(id) == Some(l))
            .collect();
        for id in accepted {
            let c = ConnRef { host: h, id };
            let conn = self.conn(c);
            if conn.app.accepted() {
                conn.exit();
                conn.app.out().close_when_written();
                self.write(now, c);
                self.pump(now, c, Cause::App);
            }
        }
    }

    /// A `restart` workload's new server process binds and listens (workload `index`); if
    /// the port is held (`EADDRINUSE`), it tries again `retry` later.
    pub(crate) fn server_start(&mut self, now: Time, index: u32) {
        let Workload::Restart(r) = &mut self.workloads[index as usize] else {
            unreachable!("only restarts start servers");
        };
        let (app, accept_gap) = r.server.expect("the old process exited first");
        let host = &mut self.hosts[r.spec.host];
        match host
            .stack
            .listen_with(r.spec.port, r.spec.reuse_addr, &mut r.rng)
        {
            Ok(l) => {
                debug_assert_eq!(l.index(), host.servers.len(), "servers follow listeners");
                host.servers.push(Server {
                    app,
                    accept_gap,
                    accepting: false,
                });
                r.up(now);
            }
            Err(_) => {
                r.bind_failures += 1;
                let at = now + r.spec.retry;
                self.sched
                    .schedule(at, Event::Workload { index, step: 0 })
                    .expect("retries move forward");
            }
        }
    }
}

impl World<'_> {
    /// A pool opens its connections (workload `index`).
    pub(crate) fn pool_open(&mut self, now: Time, index: u32) {
        let Workload::Pool(pool) = &self.workloads[index as usize] else {
            unreachable!("only pools open pools");
        };
        for _ in 0..pool.connections() {
            self.pool_connect(now, index);
        }
    }

    /// One more connection for the pool, if a port is free.
    fn pool_connect(&mut self, now: Time, index: u32) {
        if self.app_connect(now, index).is_some() {
            if let Workload::Pool(pool) = &mut self.workloads[index as usize] {
                pool.live += 1;
            }
        }
    }

    fn pool(&mut self, index: usize) -> &mut Pool {
        match &mut self.workloads[index] {
            Workload::Pool(pool) => pool,
            _ => unreachable!("a pool connection's workload is a pool"),
        }
    }

    /// A request arrives at pool `index`: the longest idle connection takes it, or it waits —
    /// and if connections have been lost, the pool opens one again.
    pub(crate) fn pool_request(&mut self, now: Time, index: u32) {
        let pool = self.pool(index as usize);
        if let Some(c) = pool.idle.pop_front() {
            self.pool_send(now, c, now);
            return self.pump(now, c, Cause::App);
        }
        pool.waiting.push_back(now);
        if pool.live < pool.connections() {
            self.pool_connect(now, index);
        }
    }

    /// Pool `index` stops taking requests: its idle connections close.
    pub(crate) fn pool_stop(&mut self, now: Time, index: u32) {
        let idle: Vec<ConnRef> = self.pool(index as usize).idle.drain(..).collect();
        for c in idle {
            self.conn(c).app.out().close_when_written();
            self.write(now, c);
            self.pump(now, c, Cause::App);
        }
    }

    /// Connection `c` of a pool has no request under way: it takes the oldest waiting one,
    /// or waits for one, or closes if the pool has stopped.
    fn pool_idle(&mut self, now: Time, c: ConnRef) {
        let index = self.conn(c).workload as usize;
        let pool = self.pool(index);
        if let Some(arrived) = pool.waiting.pop_front() {
            self.pool_send(now, c, arrived);
        } else if pool.open(now) {
            pool.idle.push_back(c);
        } else {
            self.conn(c).app.out().close_when_written();
            self.write(now, c);
        }
    }

    /// Connection `c` of a pool carries the request that arrived at `arrived` (the caller
    /// pumps it, unless it is being pumped).
    fn pool_send(&mut self, now: Time, c: ConnRef, arrived: Time) {
        let workload = self.conn(c).workload as usize;
        let Some((request, _, _)) = self.workloads[workload].app().kind.server_answers() else {
            unreachable!("a pool's server answers");
        };
        let App::PoolClient { out, busy, .. } = &mut self.conn(c).app else {
            unreachable!("a pool's connection");
        };
        *busy = Some(arrived);
        out.left += request;
        self.write(now, c);
    }

    /// `got` response bytes have arrived in all on a pool's connection: if that completes
    /// the response under way, the request is done and the connection is free.
    fn pool_response(&mut self, now: Time, c: ConnRef, got: u64) {
        let workload = self.conn(c).workload as usize;
        let Some((_, response, _)) = self.workloads[workload].app().kind.server_answers() else {
            unreachable!("a pool's server answers");
        };
        let App::PoolClient { busy, done, .. } = &mut self.conn(c).app else {
            unreachable!("a pool's connection");
        };
        let Some(arrived) = *busy else {
            return;
        };
        if got < (*done + 1) * response {
            return;
        }
        *done += 1;
        *busy = None;
        self.ledger.request_done(now - arrived);
        self.pool_idle(now, c);
    }

    /// A pool's connection ended (closed, reset or timed out): it leaves the pool, and a
    /// request it was carrying is lost. The pool opens a connection again at the next
    /// request that finds it short (as pools connect on demand).
    fn pool_conn_ended(&mut self, c: ConnRef) {
        let index = self.conn(c).workload;
        let pool = self.pool(index as usize);
        pool.idle.retain(|&i| i != c);
        pool.live -= 1;
    }
}
