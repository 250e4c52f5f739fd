//! Hosts: each is one [`Stack`] (the host's TCP, sans-IO) and what the world keeps beside
//! it — the pending timer of each socket and the state of the application that owns each
//! connection. The world only dispatches: segments, timers and application calls go into
//! the stack; what comes out is put on the wire, recorded, or handed to the application.
//!
//! A connection's earliest deadline is one cancellable scheduler event: an earlier deadline
//! replaces it, a later one lets it fire early and be re-armed (the stack treats an early
//! wake-up as a no-op).

use synack_sim::{Duration, EventKey, Time};
use synack_tcp::{
    Accept, ConnId, Ecn, Event as TcpEvent, Incoming, ListenerId, Segment, Settled, Stack,
    StackEvent, State, TimeWaitEnd, TimeWaitId, TimeWaitTimeout,
};

use crate::apps::{App, Conn};
use crate::flows::Endpoints;
use crate::ids::{Addr, FlowId, HostId, PacketId};
use crate::ledger::{End, Flow, Side};
use crate::trace::{Cause, Change, Seen, Sent};
use crate::{Event, World};

/// What a host's stack keeps with each socket: the flow (incarnation) it belongs to and
/// its side. `None` only between a listener opening a connection and the world naming it.
pub(crate) type Tag = Option<Owner>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Owner {
    pub flow: FlowId,
    pub side: Side,
}

/// One connection of one host: a socket reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ConnRef {
    pub host: HostId,
    pub id: ConnId,
}

/// The server application listening on a port: which workload it is, and its accept pace.
pub(crate) struct Server {
    pub app: u32,
    /// One accept every this long; `None`: each connection at once.
    pub accept_gap: Option<Duration>,
    /// An `Accept` event is pending.
    pub accepting: bool,
}

pub(crate) struct Host {
    pub stack: Stack<Addr, Tag>,
    /// By connection slot: the application's state and the pending timer.
    pub conns: Vec<Conn>,
    /// By TIME-WAIT slot: the pending 2·MSL event.
    pub time_wait_timers: Vec<EventKey>,
    /// By listener: the server application behind it.
    pub servers: Vec<Server>,
}

impl Host {
    pub fn new(stack: Stack<Addr, Tag>) -> Host {
        Host {
            stack,
            conns: Vec::new(),
            time_wait_timers: Vec::new(),
            servers: Vec::new(),
        }
    }

    /// The owner of a live connection.
    pub fn owner(&self, id: ConnId) -> Owner {
        self.stack
            .tag(synack_tcp::SocketId::Conn(id))
            .expect("the world names every connection it drains")
    }
}

/// A packet as it arrives: sender, receiver, the segment as sent, the sender's incarnation
/// (on the wire, invisible to the endpoints), the packet's id, whether a queue marked it
/// CE, and in a traced run its send.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Arrival<'a> {
    pub from: Addr,
    pub to: HostId,
    pub seg: &'a Segment,
    pub flow: Option<FlowId>,
    pub packet: PacketId,
    pub ce: bool,
    pub sent: Option<&'a Sent>,
}

impl World<'_> {
    /// A segment arrives at a host's stack.
    pub(crate) fn tcp_receive(&mut self, now: Time, a: Arrival<'_>) {
        let h = a.to;
        let marked;
        let seg = if a.ce {
            marked = Segment {
                ecn: Ecn::Ce,
                ..*a.seg
            };
            &marked
        } else {
            a.seg
        };
        let incoming = self.hosts[h.0 as usize]
            .stack
            .handle_segment(now, a.from, seg);
        let cause = Cause::Packet(a.packet);
        // The connection the receipt is shown under: the one that took it, else the sender's.
        let (shown, drained) = match incoming {
            Incoming::Conn {
                id,
                before,
                received,
            } => {
                let c = ConnRef { host: h, id };
                let owner = self.adopt(now, c, before, a.flow);
                if received > 0 && a.flow.is_some_and(|f| f < owner.flow) {
                    // Data of an earlier incarnation taken as this one's: flows are numbered
                    // in the order they began.
                    self.ledger.stale_accepted += 1;
                }
                (Some(owner.flow), Some((c, owner)))
            }
            Incoming::TimeWait { tag, .. } => (tag.map(|o| o.flow), None),
            Incoming::Opened {
                id,
                listener,
                cookie,
            } => {
                let owner = self.open_server(now, h, (id, listener, cookie), a.flow, a.from);
                (Some(owner.flow), Some((ConnRef { host: h, id }, owner)))
            }
            Incoming::Answered(_) | Incoming::Dropped(_) => (a.flow, None),
        };
        self.record_receipt(now, &a, shown);
        self.drain_stack(now, h, shown, cause);
        if let Some((c, owner)) = drained {
            self.pump_owned(now, c, owner, cause);
        }
    }

    #[inline]
    fn record_receipt(&mut self, now: Time, a: &Arrival<'_>, shown: Option<FlowId>) {
        if let Some(sent) = a.sent {
            // The sender, receiver and segment are the send's: a link's copies of a packet
            // are the packet.
            self.record(Seen::Recv {
                t: now,
                sent,
                conn: shown,
                ce: a.ce,
            });
        }
    }

    /// Sends what the stack answered from no connection (RSTs, cookie SYN-ACKs, TIME-WAIT
    /// ACKs) and ends the TIME-WAIT sockets a segment (or a connect() reusing a port) ended.
    /// `shown`: the connection the segment that caused them is shown under.
    pub(crate) fn drain_stack(
        &mut self,
        now: Time,
        h: HostId,
        shown: Option<FlowId>,
        cause: Cause,
    ) {
        loop {
            let host = &mut self.hosts[h.0 as usize];
            if let Some(StackEvent::TimeWaitEnded {
                id, tag, stats, by, ..
            }) = host.stack.poll_event()
            {
                self.sched.cancel(host.time_wait_timers[id.index()]);
                if by == TimeWaitEnd::Reused {
                    self.ledger.time_wait_reused += 1;
                }
                self.time_wait_over(now, h, tag, &stats, cause);
                continue;
            }
            let Some(t) = host.stack.poll_transmit() else {
                break;
            };
            // A socket's segment carries and shows its flow; an answer from no socket carries
            // none and is shown with the segment it answers.
            let (flow, shown) = match t.from {
                Some(socket) => {
                    let flow = host.stack.tag(socket).map(|o| o.flow);
                    (flow, flow)
                }
                None => (None, shown),
            };
            self.send_segment(now, Addr::Host(h), t.to, flow, shown, t.seg);
        }
    }

    /// A half-open server connection that an old duplicate SYN opened, reached now by a
    /// segment of a live client of this 4-tuple (its SYN, identical to the old one when ISNs
    /// repeat, or its ACK): from here on it serves that client's incarnation.
    /// Returns the connection's owner, adopted or not.
    fn adopt(&mut self, now: Time, c: ConnRef, before: State, tag: Option<FlowId>) -> Owner {
        let host = &mut self.hosts[c.host.0 as usize];
        let owner = host.owner(c.id);
        let Some(tag) = tag else { return owner };
        if owner.side != Side::Server || tag == owner.flow || before != State::SynReceived {
            return owner;
        }
        let f = self.ledger.flow(tag);
        if f.client_live && !f.has_server && !self.ledger.flow(owner.flow).client_live {
            let adopted = Owner { flow: tag, ..owner };
            host.stack.set_tag(c.id, Some(adopted));
            self.ledger.flow_mut(tag).has_server = true;
            // The flow the old SYN opened has no connection left: it is over.
            self.ledger.flow_mut(owner.flow).server_closed = Some(now);
            return adopted;
        }
        owner
    }

    /// A listener opened connection `id` for a segment of incarnation `tag`: it joins that
    /// incarnation if its client is still there and has no server yet; otherwise it is a
    /// flow of its own, with no client (if it is ever established, a ghost).
    fn open_server(
        &mut self,
        now: Time,
        h: HostId,
        (id, l, cookie): (ConnId, ListenerId, bool),
        tag: Option<FlowId>,
        from: Addr,
    ) -> Owner {
        let joins = tag.filter(|&t| {
            let f = self.ledger.flow(t);
            f.client_live && !f.has_server
        });
        let host = &mut self.hosts[h.0 as usize];
        let flow = joins.unwrap_or_else(|| {
            let conn = host.stack.connection(id);
            self.ledger.new_flow(Flow {
                started: now,
                endpoints: Endpoints {
                    client: from,
                    client_port: conn.remote_port(),
                    server: h,
                    server_port: conn.local_port(),
                    workload: host.servers[l.index()].app,
                },
                ..Flow::default()
            })
        });
        self.ledger.flow_mut(flow).has_server = true;
        let host = &mut self.hosts[h.0 as usize];
        let owner = Owner {
            flow,
            side: Side::Server,
        };
        host.stack.set_tag(id, Some(owner));
        let app = host.servers[l.index()].app;
        Conn::place(&mut host.conns, id, Conn::new(app, App::server()));
        if cookie {
            // A cookie's connection is established at once and waits to be accepted.
            self.enqueue_accept(ConnRef { host: h, id }, l);
        }
        owner
    }

    /// A connection's timer event fired.
    pub(crate) fn conn_timer(&mut self, now: Time, c: ConnRef) {
        let host = &mut self.hosts[c.host.0 as usize];
        host.conns[c.id.index()].timer = None;
        host.stack.handle_conn_timeout(now, c.id);
        self.pump(now, c, Cause::Timer);
    }

    /// Lets the applications react to a connection's events, sends what it has to send,
    /// and re-arms its timer, or hands it over to TIME-WAIT, or forgets it once CLOSED.
    pub(crate) fn pump(&mut self, now: Time, c: ConnRef, cause: Cause) {
        let owner = self.hosts[c.host.0 as usize].owner(c.id);
        self.pump_owned(now, c, owner, cause);
    }

    /// [`pump`](Self::pump) for a connection whose owner the caller knows (it does not
    /// change while the connection is drained).
    fn pump_owned(&mut self, now: Time, c: ConnRef, owner: Owner, cause: Cause) {
        // The stack's own doings first (state changes, the segments it sends), then the
        // application's reactions, as a kernel sends its ACK before the woken application
        // runs. `reactions` is kept between calls, so this allocates nothing once warm.
        let mut reactions = std::mem::take(&mut self.reactions);
        let mut cause = cause;
        loop {
            while let Some(event) = self.hosts[c.host.0 as usize].stack.poll_conn_event(c.id) {
                match event {
                    TcpEvent::StateChanged { from, to } => {
                        self.state_changed(now, c, owner, (from, to), cause)
                    }
                    other => reactions.push(other),
                }
            }
            if let Some(t) = self.hosts[c.host.0 as usize].stack.poll_conn_transmit(c.id) {
                let flow = Some(owner.flow);
                self.send_segment(now, Addr::Host(c.host), t.to, flow, flow, t.seg);
                continue;
            }
            if reactions.is_empty() {
                break;
            }
            for event in reactions.drain(..) {
                self.on_app_event(now, c, owner, event);
            }
            cause = Cause::App;
        }
        self.reactions = reactions;
        if let Some(rec) = &mut self.recorder {
            let conn = self.hosts[c.host.0 as usize].stack.connection(c.id);
            rec.connection(now, c, owner.flow, conn);
        }
        self.settle(now, c, owner);
    }

    /// After a connection was drained: its timer, its TIME-WAIT socket, or its end.
    fn settle(&mut self, now: Time, c: ConnRef, owner: Owner) {
        let host = &mut self.hosts[c.host.0 as usize];
        let pending = host.conns[c.id.index()].timer.take();
        match host.stack.settle(c.id) {
            Settled::Open { timeout } => {
                host.conns[c.id.index()].timer = pending;
                self.rearm(now, c, pending, timeout);
            }
            Settled::TimeWait { id, deadline } => {
                if let Some((_, key)) = pending {
                    self.sched.cancel(key);
                }
                let key = self
                    .sched
                    .schedule_cancellable(
                        deadline,
                        Event::TimeWaitTimer {
                            host: c.host,
                            socket: id,
                        },
                    )
                    .expect("TIME-WAIT ends in the future");
                let timers = &mut self.hosts[c.host.0 as usize].time_wait_timers;
                if timers.len() <= id.index() {
                    timers.resize(id.index() + 1, key);
                }
                timers[id.index()] = key;
            }
            Settled::Closed { stats, .. } => {
                if let Some((_, key)) = pending {
                    self.sched.cancel(key);
                }
                if owner.side == Side::Client {
                    self.ledger.flow_mut(owner.flow).client_live = false;
                }
                self.ledger.add_stats(Some(owner.flow), &stats);
            }
            Settled::TimeWaitOverflow { stats, .. } => {
                // No room for one more TIME-WAIT socket: CLOSED instead, in order.
                if let Some((_, key)) = pending {
                    self.sched.cancel(key);
                }
                self.ledger.time_wait_overflow += 1;
                self.ledger.ended(now, owner.flow, owner.side, End::Clean);
                if owner.side == Side::Client {
                    self.ledger.flow_mut(owner.flow).client_live = false;
                }
                self.ledger.add_stats(Some(owner.flow), &stats);
            }
        }
    }

    /// Keeps one pending event per connection at or before its earliest deadline.
    fn rearm(
        &mut self,
        now: Time,
        c: ConnRef,
        pending: Option<(Time, EventKey)>,
        want: Option<Time>,
    ) {
        let slot = &mut self.hosts[c.host.0 as usize].conns[c.id.index()].timer;
        match (pending, want) {
            (Some((_, key)), None) => {
                self.sched.cancel(key);
                *slot = None;
            }
            (Some((at, key)), Some(w)) if w < at => {
                self.sched.cancel(key);
                self.arm(c, w.max(now));
            }
            (None, Some(w)) => self.arm(c, w.max(now)),
            // Later than the pending event: that one fires early and re-arms.
            _ => {}
        }
    }

    fn arm(&mut self, c: ConnRef, at: Time) {
        let key = self
            .sched
            .schedule_cancellable(at, Event::ConnTimer(c))
            .expect("armed at or after now");
        self.hosts[c.host.0 as usize].conns[c.id.index()].timer = Some((at, key));
    }

    fn state_changed(
        &mut self,
        now: Time,
        c: ConnRef,
        owner: Owner,
        (from, to): (State, State),
        cause: Cause,
    ) {
        if from == State::SynReceived && to == State::Established {
            if let Some(l) = self.hosts[c.host.0 as usize].stack.listener_of(c.id) {
                // The stack put it in the listener's accept queue.
                self.enqueue_accept(c, l);
            }
        }
        self.ledger.moved(now, from, to);
        if matches!(to, State::Closed | State::TimeWait) {
            let srtt = self.hosts[c.host.0 as usize].stack.connection(c.id).srtt();
            self.ledger.side_closed(now, owner.flow, owner.side, srtt);
        }
        if to == State::Established
            && owner.side == Side::Server
            && !self.ledger.flow(owner.flow).client_live
        {
            // Established on the server, with no client connection of this incarnation.
            self.ledger.ghosts += 1;
        }
        self.record_state(now, c.host, owner.flow, from, to, cause);
    }

    #[inline]
    fn record_state(
        &mut self,
        now: Time,
        host: HostId,
        flow: FlowId,
        from: State,
        to: State,
        cause: Cause,
    ) {
        if self.trace.is_some() {
            let change = Change {
                t: now,
                host,
                conn: flow,
                from,
                to,
                cause,
            };
            self.record(Seen::State(&change));
        }
        if let Some(rec) = &mut self.recorder {
            rec.state(now, host, flow, from, to);
        }
    }

    /// An established connection waits in listener `l`'s accept queue: the application
    /// accepts it at once, or at its next accept.
    fn enqueue_accept(&mut self, c: ConnRef, l: ListenerId) {
        let host = &mut self.hosts[c.host.0 as usize];
        let server = &mut host.servers[l.index()];
        match server.accept_gap {
            None => {
                let taken = host.stack.accept(l);
                debug_assert_eq!(taken, Accept::Conn(c.id), "accepted at once, in order");
                host.conns[c.id.index()].accept();
            }
            Some(_) if !server.accepting => {
                server.accepting = true;
                self.sched.schedule_in(
                    Duration::ZERO,
                    Event::Accept {
                        host: c.host,
                        listener: l,
                    },
                );
            }
            Some(_) => {}
        }
    }

    /// The application of listener `l` accepts its oldest waiting connection, then waits
    /// 1/rate before the next.
    pub(crate) fn accept_next(&mut self, now: Time, h: HostId, l: ListenerId) {
        let host = &mut self.hosts[h.0 as usize];
        let server = &mut host.servers[l.index()];
        let gap = server
            .accept_gap
            .expect("accept events come only with a rate");
        let id = match host.stack.accept(l) {
            Accept::Empty => {
                server.accepting = false;
                return;
            }
            Accept::Ended => None,
            Accept::Conn(id) => Some(id),
        };
        self.sched.schedule_in(
            gap,
            Event::Accept {
                host: h,
                listener: l,
            },
        );
        if let Some(id) = id {
            let c = ConnRef { host: h, id };
            self.hosts[h.0 as usize].conns[id.index()].accept();
            self.server_accepted(now, c);
            self.pump(now, c, Cause::App);
        }
    }

    /// A TIME-WAIT socket's 2·MSL may be over.
    pub(crate) fn time_wait_timer(&mut self, now: Time, h: HostId, socket: TimeWaitId) {
        match self.hosts[h.0 as usize]
            .stack
            .handle_time_wait_timeout(now, socket)
        {
            TimeWaitTimeout::Later(at) => {
                let key = self
                    .sched
                    .schedule_cancellable(at, Event::TimeWaitTimer { host: h, socket })
                    .expect("the deadline moved later");
                self.hosts[h.0 as usize].time_wait_timers[socket.index()] = key;
            }
            TimeWaitTimeout::Expired { tag, stats } => {
                self.time_wait_over(now, h, tag, &stats, Cause::Timer)
            }
        }
    }

    /// TIME-WAIT is over (2·MSL passed, an RST, or a new SYN): CLOSED.
    fn time_wait_over(
        &mut self,
        now: Time,
        h: HostId,
        tag: Tag,
        stats: &synack_tcp::Stats,
        cause: Cause,
    ) {
        let owner = tag.expect("TIME-WAIT sockets come from named connections");
        self.ledger
            .left_time_wait(now, owner.flow, owner.side, stats);
        self.record_state(now, h, owner.flow, State::TimeWait, State::Closed, cause);
    }
}
