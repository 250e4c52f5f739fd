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
use synack_tcp::{Event as TcpEvent, State};

use crate::host::{ConnRef, Owner};
use crate::ids::{Addr, HostId};
use crate::ledger::{End, Flow, Side};
use crate::trace::Cause;
use crate::{AppKind, World};

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
    /// The server application of any TCP workload: it reads what arrives; a `request` or
    /// `churn` server answers once it has the whole request; it closes after the client
    /// (first, with `closer = "server"`; never, with `server_close = "never"`).
    Server { phase: Serving, out: Out },
}

/// Where a server application is with its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Serving {
    /// Established, waiting in the accept queue: the application does nothing with it yet.
    Unaccepted,
    /// Accepted: reading (the request, for workloads that answer).
    Reading,
    /// The response is written or being written.
    Answered,
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
            App::BulkClient { out } | App::RequestClient { out } | App::Server { out, .. } => out,
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

impl World {
    /// Client application `app` (a workload) opens its next connection.
    pub(crate) fn app_connect(&mut self, now: Time, app: u32) {
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
            return;
        };
        // A TIME-WAIT socket whose port connect() took over (`tw_reuse`) ends first.
        self.drain_stack(now, client, None, Cause::App);
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
        let role = match kind {
            AppKind::Bulk { .. } => App::BulkClient {
                out: Out::default(),
            },
            AppKind::Request { .. } | AppKind::Churn { .. } => App::RequestClient {
                out: Out::default(),
            },
        };
        Conn::place(&mut host.conns, id, Conn::new(app, role));
        self.pump(now, ConnRef { host: client, id }, Cause::App);
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
            TcpEvent::Closed => self.ledger.ended(owner.flow, owner.side, End::Clean),
            TcpEvent::Reset => self.ledger.ended(owner.flow, owner.side, End::Reset),
            TcpEvent::TimedOut => self.ledger.ended(owner.flow, owner.side, End::TimedOut),
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
                let (got, due) = (f.client_delivered, f.response_due);
                if kind.half_closes() {
                    // Nothing more to say: shut down the sending side, keep reading.
                    self.conn(c).app.out().close_when_written();
                    self.write(now, c);
                }
                let client_closes = !kind.server_answers().is_some_and(|(_, _, s)| s);
                if client_closes && due > 0 && got >= due && got - n < due {
                    self.conn(c).app.out().close_when_written();
                    self.write(now, c);
                }
            }
        }
    }

    /// A server application that has read the whole request starts its response.
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
        let Some((request, response, server_closes)) =
            self.workloads[workload].app().kind.server_answers()
        else {
            return;
        };
        if self.ledger.flow(flow).server_delivered >= request {
            out.left += response;
            if server_closes {
                out.close_when_written();
            }
            self.conn(c).app = App::Server {
                phase: Serving::Answered,
                out,
            };
            self.write(now, c);
        }
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
