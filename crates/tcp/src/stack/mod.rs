//! One host's TCP, sans-IO: the sockets of one address, found by 4-tuple.
//!
//! A [`Stack`] owns a host's [`Connection`]s, its compact [`TimeWait`] sockets and its
//! [`Listener`]s, the host's [`IsnGenerator`] and its ephemeral-port cursor. Like a
//! [`Connection`] it never sees a scheduler: inputs are method calls
//! ([`handle_segment`](Stack::handle_segment), [`handle_conn_timeout`](Stack::handle_conn_timeout),
//! [`handle_time_wait_timeout`](Stack::handle_time_wait_timeout) and the application's
//! [`listen`](Stack::listen), [`connect`](Stack::connect), [`accept`](Stack::accept)); outputs
//! are polled ([`poll_transmit`](Stack::poll_transmit), [`poll_event`](Stack::poll_event), and
//! per connection [`poll_conn_transmit`](Stack::poll_conn_transmit),
//! [`poll_conn_event`](Stack::poll_conn_event), then [`settle`](Stack::settle) for its next
//! deadline).
//!
//! A segment goes to the socket of its 4-tuple — a connection, or a TIME-WAIT socket — and
//! else to the listener of its port (RFC 9293 §3.10.7.2), else it is answered as CLOSED
//! answers (§3.10.7.1). A connection that reaches TIME-WAIT shrinks, once drained, into a
//! [`TimeWait`] kept with its remote address and tag in at most 128 bytes.
//!
//! Ids are slab indices: a freed slot is reused before the table grows, the most recently
//! freed first, so the same calls always give the same ids, and [`Stack::connections`] lists
//! connections in slot order.
//!
//! Simplified, and what it costs:
//! - One local address per stack; a listener takes a port on it. `SO_REUSEADDR` is one
//!   setting per `listen` call, taken to be the setting of every socket the port's server
//!   program had (see [`Stack::listen_with`]); no `SO_REUSEPORT`, no binding of a client to a
//!   chosen port.
//! - Ephemeral ports are tried in order from a cursor that moves on after every try (Linux
//!   hashes the starting point per destination): either way every port is tried once before
//!   [`connect`](Stack::connect) fails, but successive connections take neighbouring ports.
//!   A port is taken only while a connection or TIME-WAIT socket of the same 4-tuple exists,
//!   so one port serves many destinations, and a listening port may be handed out too. With
//!   `tw_reuse`, the first port in that order whose TIME-WAIT socket may be taken over is
//!   taken, as Linux takes the first acceptable port it tries.
//! - `max_tw_buckets` counts TIME-WAIT sockets only; Linux's count also holds the orphaned
//!   FIN-WAIT-2 connections it keeps as `timewait` sockets (here they stay connections).
//! - While a listener's accept queue is full, the final ACK of a handshake is ignored and the
//!   SYN-ACK is sent again (Linux's default), or, with `abort_on_overflow`, answered with a
//!   RST that ends the half-open connection.
//! - Peers "proven alive" (Linux's TCP metrics cache, `tcp_peer_is_proven`, consulted only
//!   without SYN cookies) are the addresses with which a connection measured a round trip
//!   and then entered TIME-WAIT or closed from LAST-ACK (where Linux calls
//!   `tcp_update_metrics`); they are never forgotten (Linux's entries expire after an hour).

mod input;
mod slab;
mod sockets;

use std::collections::VecDeque;
use std::fmt::Debug;
use std::hash::Hash;

use rand_chacha::ChaCha8Rng;
use rustc_hash::{FxHashMap, FxHashSet};
use synack_sim::Time;

use crate::config::Config;
use crate::connection::{Buffers, Connection, Stats};
use crate::error::{ConnectError, ListenError};
use crate::isn::{FourTuple, IsnGenerator};
use crate::listener::Listener;
use crate::segment::Segment;
use crate::seq::Seq;
use crate::state::State;
use crate::time_wait::TimeWait;
use slab::Slab;

/// An address as the stack sees it: the caller's type (a simulator may have hosts and
/// spoofed addresses).
pub trait Address: Copy + Eq + Hash + Debug {
    /// The number RFC 6528's F (and a SYN cookie's hash) takes for this address.
    fn isn_key(self) -> u32;
}

/// A plain number is its own key.
impl Address for u32 {
    fn isn_key(self) -> u32 {
        self
    }
}

/// A connection: its slot in the stack, reused once the connection is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConnId(u32);

/// A TIME-WAIT socket: its slot, reused once the socket is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeWaitId(u32);

/// A listener, in the order of [`Stack::listen`] calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ListenerId(u32);

impl ConnId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl TimeWaitId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl ListenerId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What a 4-tuple leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketId {
    Conn(ConnId),
    TimeWait(TimeWaitId),
}

/// A segment to put on the wire towards `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transmit<A> {
    pub to: A,
    pub seg: Segment,
    /// The socket that sent it; `None` for an answer from no socket (a RST for a closed
    /// port, a cookie SYN-ACK).
    pub from: Option<SocketId>,
}

/// What became of an arriving segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Incoming<T> {
    /// Connection `id` handled it; it was in state `before` and `received` bytes were newly
    /// delivered in order. Drain the connection next.
    Conn {
        id: ConnId,
        before: State,
        received: u64,
    },
    /// TIME-WAIT socket `id` (tagged `tag`) took it: its answer, if any, is on
    /// [`Stack::poll_transmit`], its end (an exact RST), if any, on [`Stack::poll_event`].
    TimeWait { id: TimeWaitId, tag: T },
    /// Listener `listener` opened connection `id`: from a SYN, half-open in SYN-RECEIVED
    /// (`cookie` false), or from a valid cookie ACK, ESTABLISHED and already in the accept
    /// queue (`cookie` true). Its tag is `T::default()` until the caller sets one; drain it
    /// next.
    Opened {
        id: ConnId,
        listener: ListenerId,
        cookie: bool,
    },
    /// An answer from no socket is queued on [`Stack::poll_transmit`].
    Answered(Answer),
    /// Nothing came of it.
    Dropped(DropReason),
}

/// An answer from no socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// RFC 9293 §3.10.7.1 (CLOSED), or §3.10.7.2 second (an ACK at a listener, with no
    /// valid cookie): a RST.
    Reset,
    /// A listener's SYN queue is full: a SYN-ACK whose sequence number is a cookie (RFC 4987
    /// §3.6).
    Cookie,
}

/// Why an arriving segment had no effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// A RST for no socket: RFC 9293 §3.10.7.1 (CLOSED) and §3.10.7.2 first (LISTEN) ignore
    /// it.
    RstForNothing,
    /// A SYN at a listener whose SYN queue is full, with `syn_cookies` off.
    SynQueueFull,
    /// A SYN from a peer not proven alive, at a listener without cookies whose SYN queue has
    /// taken three quarters of `max_syn_backlog` (Linux `tcp_conn_request`).
    PeerNotProven,
    /// A SYN at a listener whose accept queue is full (Linux `tcp_conn_request`).
    AcceptQueueFull,
    /// A segment with the ACK bit for a half-open connection, or carrying a valid SYN
    /// cookie, while its listener's accept queue is full (Linux `tcp_check_req`,
    /// `tcp_get_cookie_sock`): ignored, so the SYN-ACK (or the peer's segment) is sent
    /// again. (With `abort_on_overflow` a half-open connection's final ACK goes to the
    /// connection, which resets.)
    AckWhileAcceptQueueFull,
    /// A segment with none of SYN, ACK and RST at a listener (a bare FIN, say): RFC 9293
    /// §3.10.7.2 fourth drops it.
    ListenNoAck,
}

/// What [`Stack::settle`] did with a drained connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled<T> {
    /// Still a connection: call [`Stack::handle_conn_timeout`] at `timeout`, if any.
    Open { timeout: Option<Time> },
    /// It entered TIME-WAIT and is now socket `id`; call
    /// [`Stack::handle_time_wait_timeout`] at `deadline`. Its [`ConnId`] is free.
    TimeWait { id: TimeWaitId, deadline: Time },
    /// CLOSED and forgotten; its [`ConnId`] is free.
    Closed { tag: T, stats: Stats },
    /// It closed where it would have entered TIME-WAIT, because the host already holds
    /// `max_tw_buckets` TIME-WAIT sockets (Linux `tcp_time_wait`, when `inet_twsk_alloc`
    /// fails: `TCPTimeWaitOverflow`, then `tcp_done`); its move was reported as to CLOSED,
    /// with no [`Event::Closed`](crate::Event::Closed) after it. Its [`ConnId`] is free.
    TimeWaitOverflow { tag: T, stats: Stats },
}

/// What [`Stack::handle_time_wait_timeout`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeWaitTimeout<T> {
    /// 2·MSL passed: the socket is gone (RFC 9293 §3.6.1: "delete the TCB").
    Expired { tag: T, stats: Stats },
    /// The peer's FIN came again and restarted 2·MSL: wake it at this time instead.
    Later(Time),
}

/// What ended a TIME-WAIT socket before its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeWaitEnd {
    /// An exact RST, with `rfc1337` off (RFC 9293 §3.10.7.4 second).
    Rst,
    /// A new SYN beyond the old incarnation, which went on to the listener (RFC 1122
    /// §4.2.2.13).
    Reopen,
    /// A local connect() took the 4-tuple over (`tw_reuse`, Linux `tcp_twsk_unique`).
    Reused,
}

/// Stack-level happenings, in the order they happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StackEvent<T> {
    /// A segment (or, `Reused`, a connect()) ended TIME-WAIT socket `id`; the id is free.
    TimeWaitEnded {
        id: TimeWaitId,
        tag: T,
        stats: Stats,
        by: TimeWaitEnd,
    },
}

/// What [`Stack::accept`] took from an accept queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accept {
    /// The oldest waiting connection, still live.
    Conn(ConnId),
    /// The oldest waiting connection had ended meanwhile (it was reset, say); it still
    /// counts as accepted, as Linux's `accept()` hands over a connection that may since
    /// have been reset.
    Ended,
    /// No connection is waiting.
    Empty,
}

/// A connection and what the stack keeps with it.
#[derive(Clone, Debug)]
struct ConnSocket<A, T> {
    conn: Connection,
    remote: A,
    tag: T,
    /// The listener that opened it (none for an active open).
    listener: Option<ListenerId>,
    /// That listener, while the connection counts in its SYN queue.
    syn_queue: Option<ListenerId>,
    /// Its SYN-ACK has not timed out yet (a young entry of the SYN queue).
    young: bool,
    /// It entered TIME-WAIT with the host's TIME-WAIT table full (`max_tw_buckets`): it is
    /// reported CLOSED and forgotten when settled.
    overflow: bool,
}

/// A connection in TIME-WAIT: only what TIME-WAIT needs.
#[derive(Clone, Debug)]
struct TimeWaitSocket<A, T> {
    tw: TimeWait,
    remote: A,
    tag: T,
}

/// The point of shrinking: with an 8-byte address and tag a TIME-WAIT socket takes at most
/// 128 bytes, so a million fit in 128 MB.
const _: () = {
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    struct EightBytes(u64);
    assert!(std::mem::size_of::<TimeWaitSocket<EightBytes, u64>>() <= 128);
    assert!(std::mem::size_of::<Option<TimeWaitSocket<EightBytes, u64>>>() <= 128);
};

/// A listener and its accept queue: established connections not yet accepted, oldest
/// first, each with the generation of its slot.
#[derive(Clone, Debug)]
struct ListenSocket {
    inner: Listener,
    accept_queue: VecDeque<(ConnId, u32)>,
}

/// Where a socket is found: (local port, remote address, remote port).
type Key<A> = (u16, A, u16);

/// One host's TCP. `T` is the caller's small tag, kept with each connection and carried into
/// its TIME-WAIT socket.
#[derive(Clone)]
pub struct Stack<A: Address, T: Copy + Default> {
    local: A,
    config: Config,
    isn: IsnGenerator,
    /// Where the search for a free ephemeral port starts next.
    next_port: u16,
    conns: Slab<ConnSocket<A, T>>,
    time_waits: Slab<TimeWaitSocket<A, T>>,
    demux: FxHashMap<Key<A>, SocketId>,
    /// Sockets towards each (remote address, remote port) whose local port lies in the
    /// ephemeral range: when they fill it, connect() fails without trying every port.
    in_range: FxHashMap<(A, u16), u32>,
    listeners: Vec<ListenSocket>,
    listener_at: FxHashMap<u16, ListenerId>,
    /// Peers proven alive (Linux's `tcp_peer_is_proven`): a connection with them measured a
    /// round trip and closed in order.
    proven: FxHashSet<A>,
    transmits: VecDeque<Transmit<A>>,
    events: VecDeque<StackEvent<T>>,
    /// The emptied buffers of connections that ended, for the next ones (at most
    /// [`SPARE_BUFFERS`]).
    spare: Vec<Buffers>,
}

/// How many ended connections' buffers a stack keeps: enough to ride out the swings in the
/// number of connections open at once under Poisson churn (16 missed a twentieth of the
/// time in `experiments/churn.toml`), few enough to let the memory of a burst go. Spare
/// buffers never outnumber connections once open together, so they add nothing to a run's
/// peak.
const SPARE_BUFFERS: usize = 64;

const LIVE: &str = "the id names a live connection";
const LIVE_TIME_WAIT: &str = "the id names a live TIME-WAIT socket";

impl<A: Address, T: Copy + Default> Stack<A, T> {
    /// The TCP of the host at `local`, choosing ISNs with `isn`.
    pub fn new(local: A, config: Config, isn: IsnGenerator) -> Self {
        Stack {
            local,
            next_port: config.ephemeral_ports.first,
            config,
            isn,
            conns: Slab::default(),
            time_waits: Slab::default(),
            demux: FxHashMap::default(),
            in_range: FxHashMap::default(),
            listeners: Vec::new(),
            listener_at: FxHashMap::default(),
            proven: FxHashSet::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            spare: Vec::new(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn local(&self) -> A {
        self.local
    }

    /// Listens on `port` with the stack's settings, with `SO_REUSEADDR` set; the cookie
    /// secret is drawn from `rng` as [`Listener::new`] draws it. Only another listener on
    /// the port stands in the way: see [`listen_with`](Self::listen_with).
    pub fn listen(&mut self, port: u16, rng: &mut ChaCha8Rng) -> Result<ListenerId, ListenError> {
        self.listen_with(port, true, rng)
    }

    /// Binds `port` and listens on it, as `bind()` and `listen()` do, with `SO_REUSEADDR` set
    /// or not (`reuse_addr`). Linux `inet_csk_get_port` → `inet_csk_bind_conflict`
    /// (`inet_bind_conflict`): a socket already bound to the port conflicts unless both have
    /// `SO_REUSEADDR` and it is not listening. Connections a listener of this port opened and
    /// TIME-WAIT sockets of this port are taken to share the new listener's setting (they
    /// belonged to the same server program, as after a restart); a connection this host
    /// opened from the port conflicts either way (its socket never set `SO_REUSEADDR`).
    pub fn listen_with(
        &mut self,
        port: u16,
        reuse_addr: bool,
        rng: &mut ChaCha8Rng,
    ) -> Result<ListenerId, ListenError> {
        if self.listener_at.contains_key(&port) {
            return Err(ListenError::PortInUse(port));
        }
        let conflict = |passive: bool| !(reuse_addr && passive);
        let held = self
            .conns
            .iter()
            .any(|(_, s)| s.conn.local_port() == port && conflict(s.listener.is_some()))
            || self
                .time_waits
                .iter()
                .any(|(_, s)| s.tw.local_port() == port && conflict(true));
        if held {
            return Err(ListenError::PortHeld(port));
        }
        let id = ListenerId(self.listeners.len() as u32);
        self.listeners.push(ListenSocket {
            inner: Listener::new(&self.config, port, rng),
            accept_queue: VecDeque::new(),
        });
        self.listener_at.insert(port, id);
        Ok(id)
    }

    /// Closes listener `l`, as closing a listening socket does (Linux
    /// `inet_csk_listen_stop`): its port answers SYNs as a closed port from now on, and the
    /// connections it opened that the application has not accepted are aborted — a RST from
    /// those waiting in the accept queue (`inet_child_forget` → `tcp_disconnect`), and from
    /// the half-open ones too (Linux drops those silently and resets the peer's ACK when it
    /// comes). Their ids are returned, to be drained and settled; connections already
    /// accepted are the application's to close. The listener keeps its id and counters.
    pub fn close_listener(&mut self, now: Time, l: ListenerId) -> Vec<ConnId> {
        let port = self.listeners[l.index()].inner.port();
        if self.listener_at.get(&port) == Some(&l) {
            self.listener_at.remove(&port);
        }
        let mut left = Vec::new();
        while let Some((id, generation)) = self.listeners[l.index()].accept_queue.pop_front() {
            self.listeners[l.index()].inner.accepted();
            if self.conns.get(id.0).is_some() && self.conns.generation(id.0) == generation {
                left.push(id);
            }
        }
        left.extend(
            self.conns
                .iter()
                .filter(|(_, s)| s.syn_queue == Some(l))
                .map(|(i, _)| ConnId(i)),
        );
        for &id in &left {
            self.conns.get_mut(id.0).expect(LIVE).conn.abort(now);
        }
        left
    }

    /// Active open towards `remote:remote_port` (RFC 9293 §3.10.1) from a free ephemeral
    /// port, with an ISS from the stack's generator. The SYN is on
    /// [`poll_conn_transmit`](Self::poll_conn_transmit). A port held in TIME-WAIT is taken
    /// over when `tw_reuse` allows it: the TIME-WAIT socket ends first (its
    /// [`StackEvent::TimeWaitEnded`] is on [`poll_event`](Self::poll_event)), and the ISS
    /// continues its sequence space.
    pub fn connect(
        &mut self,
        now: Time,
        remote: A,
        remote_port: u16,
        tag: T,
    ) -> Result<ConnId, ConnectError> {
        let (local_port, reuse_isn) = self
            .ephemeral_port(now, remote, remote_port)
            .ok_or(ConnectError::NoFreePort)?;
        let iss = match reuse_isn {
            Some(iss) => iss,
            None => self
                .isn
                .next(now, self.tuple(local_port, remote, remote_port)),
        };
        let buffers = self.spare.pop().unwrap_or_default();
        let conn =
            Connection::connect_with(now, &self.config, (local_port, remote_port), iss, buffers);
        Ok(self.insert(conn, remote, tag, None))
    }

    /// The next usable local port towards `remote:remote_port`, tried in order from the
    /// cursor, which moves on after every try (Linux `__inet_hash_connect`): a port whose
    /// 4-tuple has no socket, or whose TIME-WAIT socket `tw_reuse` may take over
    /// (`__inet_check_established` asking `tcp_twsk_unique`) — then the socket is ended
    /// and the ISS it gives comes along.
    fn ephemeral_port(
        &mut self,
        now: Time,
        remote: A,
        remote_port: u16,
    ) -> Option<(u16, Option<Seq>)> {
        let range = self.config.ephemeral_ports;
        let reuse = self.config.tw_reuse.between_hosts();
        let taken = self.in_range.get(&(remote, remote_port)).copied();
        if !reuse && taken.is_some_and(|n| n >= range.len()) {
            // Every port is taken: trying each would bring the cursor back where it is.
            return None;
        }
        for _ in 0..range.len() {
            let port = self.next_port;
            self.next_port = if port >= range.last {
                range.first
            } else {
                port + 1
            };
            match self.demux.get(&(port, remote, remote_port)) {
                None => return Some((port, None)),
                Some(&SocketId::TimeWait(tw)) if reuse => {
                    let t = &self.time_waits.get(tw.0).expect(LIVE_TIME_WAIT).tw;
                    if t.reusable(now, self.config.tw_reuse_delay) {
                        let iss = t.reuse_isn();
                        self.end_time_wait(tw, TimeWaitEnd::Reused);
                        return Some((port, Some(iss)));
                    }
                }
                Some(_) => {}
            }
        }
        None
    }

    /// Frees a connection's slot, keeping its buffers for a later connection.
    fn free_conn(&mut self, id: ConnId) {
        let conn = &mut self.conns.get_mut(id.0).expect(LIVE).conn;
        if self.spare.len() < SPARE_BUFFERS {
            self.spare.push(conn.take_buffers());
        }
        self.conns.free(id.0);
    }

    /// A new connection: the next slot, and its 4-tuple in the demux.
    #[inline]
    fn insert(
        &mut self,
        conn: Connection,
        remote: A,
        tag: T,
        listener: Option<ListenerId>,
    ) -> ConnId {
        let key = (conn.local_port(), remote, conn.remote_port());
        let id = ConnId(self.conns.insert(ConnSocket {
            conn,
            remote,
            tag,
            listener,
            syn_queue: None,
            young: true,
            overflow: false,
        }));
        self.demux_insert(key, SocketId::Conn(id));
        id
    }

    /// Files a socket under its 4-tuple (replacing the one there, if any).
    fn demux_insert(&mut self, key: Key<A>, socket: SocketId) {
        let new = self.demux.insert(key, socket).is_none();
        if new && self.config.ephemeral_ports.contains(key.0) {
            *self.in_range.entry((key.1, key.2)).or_default() += 1;
        }
    }

    /// Forgets the socket of a 4-tuple.
    fn demux_remove(&mut self, key: Key<A>) {
        let had = self.demux.remove(&key).is_some();
        if had && self.config.ephemeral_ports.contains(key.0) {
            let dest = (key.1, key.2);
            match self.in_range.get_mut(&dest) {
                Some(n) if *n > 1 => *n -= 1,
                _ => {
                    self.in_range.remove(&dest);
                }
            }
        }
    }

    /// The 4-tuple as the ISN generator and the cookies hash it.
    fn tuple(&self, local_port: u16, remote: A, remote_port: u16) -> FourTuple {
        FourTuple {
            local_addr: self.local.isn_key(),
            local_port,
            remote_addr: remote.isn_key(),
            remote_port,
        }
    }

    /// The next answer from no socket, or from a TIME-WAIT socket, in the order made.
    #[inline]
    pub fn poll_transmit(&mut self) -> Option<Transmit<A>> {
        self.transmits.pop_front()
    }

    /// The next stack-level happening.
    #[inline]
    pub fn poll_event(&mut self) -> Option<StackEvent<T>> {
        self.events.pop_front()
    }

    #[inline]
    pub fn connection(&self, id: ConnId) -> &Connection {
        &self.conns.get(id.0).expect(LIVE).conn
    }

    /// The connection, for the application's `send`, `close` and `abort`; drain it after.
    #[inline]
    pub fn connection_mut(&mut self, id: ConnId) -> &mut Connection {
        &mut self.conns.get_mut(id.0).expect(LIVE).conn
    }

    /// The peer of a connection: address and port.
    pub fn remote(&self, id: ConnId) -> (A, u16) {
        let s = self.conns.get(id.0).expect(LIVE);
        (s.remote, s.conn.remote_port())
    }

    /// The listener that opened a connection (`None` for an active open). One opened from a
    /// SYN joins that listener's accept queue when [`poll_conn_event`](Self::poll_conn_event)
    /// returns its `StateChanged { from: SynReceived, to: Established }`; one opened from a
    /// cookie is there from the start.
    #[inline]
    pub fn listener_of(&self, id: ConnId) -> Option<ListenerId> {
        self.conns.get(id.0).expect(LIVE).listener
    }

    #[inline]
    pub fn tag(&self, socket: SocketId) -> T {
        match socket {
            SocketId::Conn(id) => self.conns.get(id.0).expect(LIVE).tag,
            SocketId::TimeWait(id) => self.time_waits.get(id.0).expect(LIVE_TIME_WAIT).tag,
        }
    }

    #[inline]
    pub fn set_tag(&mut self, id: ConnId, tag: T) {
        self.conns.get_mut(id.0).expect(LIVE).tag = tag;
    }

    /// The socket of a 4-tuple, if any.
    pub fn lookup(&self, local_port: u16, remote: A, remote_port: u16) -> Option<SocketId> {
        self.demux.get(&(local_port, remote, remote_port)).copied()
    }

    /// The live connections, in slot order.
    pub fn connections(&self) -> impl Iterator<Item = (ConnId, &Connection, T)> {
        self.conns.iter().map(|(i, s)| (ConnId(i), &s.conn, s.tag))
    }

    /// The TIME-WAIT sockets, in slot order.
    pub fn time_waits(&self) -> impl Iterator<Item = (TimeWaitId, &TimeWait, T)> {
        self.time_waits
            .iter()
            .map(|(i, s)| (TimeWaitId(i), &s.tw, s.tag))
    }

    /// A TIME-WAIT socket's peer: address and port.
    pub fn time_wait_remote(&self, id: TimeWaitId) -> (A, u16) {
        let s = self.time_waits.get(id.0).expect(LIVE_TIME_WAIT);
        (s.remote, s.tw.remote_port())
    }

    pub fn listener(&self, l: ListenerId) -> &Listener {
        &self.listeners[l.index()].inner
    }

    /// Listener `l`'s backlog, as the program's `listen(fd, backlog)` gives it
    /// ([`Listener::set_backlog`]).
    pub fn set_backlog(&mut self, l: ListenerId, backlog: u32) {
        self.listeners[l.index()].inner.set_backlog(backlog);
    }

    /// The listeners, in the order they were made.
    pub fn listeners(&self) -> impl Iterator<Item = &Listener> {
        self.listeners.iter().map(|l| &l.inner)
    }

    /// The listener on `port`, if any.
    pub fn listener_on(&self, port: u16) -> Option<ListenerId> {
        self.listener_at.get(&port).copied()
    }
}
