//! The record of one run: every segment sent, received and dropped, every state change,
//! in time order, handed as it happens to a [`Sink`]: written out at once as JSON lines or a
//! capture (DESIGN.md, "Command line"), counted, or kept in memory as a [`Trace`] to draw one
//! connection's packet ladder (RFC 9293's figures).

use rustc_hash::FxHashMap as HashMap;
use std::ops::ControlFlow;

use synack_sim::Time;
use synack_tcp::{Segment, State};

use crate::ids::{Addr, ChannelId, FlowId, HostId, PacketId};
use crate::WorldSpec;

/// What made a state change happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The receipt of this packet.
    Packet(PacketId),
    /// A timer of the endpoint (retransmission, TIME-WAIT, FIN-WAIT-2…).
    Timer,
    /// The application: a connect, a close, an accept.
    App,
}

/// A segment handed to a link: the record every receipt and drop of its packet refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    pub t: Time,
    /// The packet, the same from its send to its receipts (a link may deliver copies).
    pub packet: PacketId,
    /// Sender and receiver.
    pub from: Addr,
    pub to: Addr,
    /// The connection that sent it. A segment that belongs to no connection (a RST
    /// answering a segment for a closed port) is shown with the connection whose segment it
    /// answers, if any.
    pub conn: Option<FlowId>,
    pub seg: Segment,
}

/// A change of an endpoint's state, and what made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub t: Time,
    pub host: HostId,
    pub conn: FlowId,
    pub from: State,
    pub to: State,
    pub cause: Cause,
}

/// One thing that happened, whole, as a run hands it to its [`Sink`]. Connections are
/// numbered by flow: the client's and the server's connection of one 4-tuple incarnation
/// share a number.
#[derive(Clone, Copy, Debug)]
pub enum Seen<'a> {
    /// A segment put on a link. Its channel (link direction) is not given: the route from
    /// its sender to its receiver decides it, and only a drop needs it.
    Send(&'a Sent),
    /// A copy of `sent`'s packet taken by its receiver (the send's `to`).
    Recv {
        t: Time,
        sent: &'a Sent,
        /// The connection that took it (or the TIME-WAIT socket's), which need not be the
        /// one that sent it (an old duplicate SYN opens another connection); the sender's
        /// when none did.
        conn: Option<FlowId>,
        /// A queue on the way marked this copy CE (ECN, RFC 3168 §5): the one thing a link
        /// changes in a packet. `sent.seg.ecn` is as sent.
        ce: bool,
    },
    /// `sent`'s packet lost on `channel`, the link direction it was put on, as it was sent
    /// (or at a router on its way).
    Drop {
        t: Time,
        sent: &'a Sent,
        channel: ChannelId,
    },
    State(&'a Change),
}

impl Seen<'_> {
    /// When it happened.
    pub fn t(&self) -> Time {
        match self {
            Seen::Send(s) => s.t,
            Seen::Recv { t, .. } | Seen::Drop { t, .. } => *t,
            Seen::State(c) => c.t,
        }
    }

    /// The connection it is shown under: a send's, a receipt's (the one that took it), a
    /// drop's send's, a change's.
    pub fn conn(&self) -> Option<FlowId> {
        match self {
            Seen::Send(s) | Seen::Drop { sent: s, .. } => s.conn,
            Seen::Recv { conn, .. } => *conn,
            Seen::State(c) => Some(c.conn),
        }
    }
}

/// Where a traced run hands what happens, in time order, as it happens.
pub trait Sink {
    /// Takes one record. `Break` ends the run at once (the output it writes to failed or
    /// closed): a sink that breaks sees nothing more.
    fn see(&mut self, seen: Seen<'_>) -> ControlFlow<()>;
}

/// The names a trace prints: hosts by id, links by index.
#[derive(Clone, Debug, Default)]
pub struct Names {
    hosts: Vec<String>,
    /// Link of each channel: channel `c` is a direction of link `c / 2`.
    links: Vec<String>,
}

impl Names {
    pub fn new(hosts: Vec<String>, links: Vec<String>) -> Names {
        Names { hosts, links }
    }

    /// The hosts and links of a world.
    pub fn of(spec: &WorldSpec) -> Names {
        Names {
            hosts: spec.hosts.iter().map(|h| h.name.clone()).collect(),
            links: spec.links.iter().map(|l| l.name.clone()).collect(),
        }
    }

    /// A host's name, or for a spoofed address `spoofed-<flood>-<hex>`.
    pub fn host(&self, addr: Addr) -> std::borrow::Cow<'_, str> {
        match addr {
            Addr::Host(h) => self.hosts[h.0 as usize].as_str().into(),
            Addr::Spoofed { flood, addr } => format!("spoofed-{flood}-{addr:06x}").into(),
        }
    }

    /// The link a channel belongs to, and whether the channel is its forward direction
    /// (from the first host of `between` to the second).
    pub fn link_of(&self, channel: ChannelId) -> (&str, bool) {
        (&self.links[channel.link as usize], channel.forward)
    }

    /// Every link's name, in file order.
    pub fn links(&self) -> &[String] {
        &self.links
    }
}

/// How many connections a run has: flows are numbered from 0 in the order they begin, and
/// each begins with a record that names it, so one more than the largest number seen.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConnectionCount(u32);

impl ConnectionCount {
    pub fn see(&mut self, seen: &Seen<'_>) {
        let mut count = |c: Option<FlowId>| {
            if let Some(c) = c {
                self.0 = self.0.max(c.0 + 1);
            }
        };
        count(seen.conn());
        if let Seen::Recv { sent, .. } = seen {
            count(sent.conn);
        }
    }

    pub fn get(self) -> usize {
        self.0 as usize
    }

    /// Whether connection `c` is one of the run's.
    pub fn has(self, c: FlowId) -> bool {
        c.0 < self.0
    }
}

/// A record as a [`Trace`] keeps it: a receipt and a drop name their packet, not its
/// segment, which are those of the packet's send ([`Trace::sent`]). This keeps every record
/// within 64 bytes.
#[derive(Clone, Debug)]
pub enum Record {
    Send(Sent),
    /// A copy of packet `packet` taken by its receiver; see [`Seen::Recv`].
    Recv {
        t: Time,
        packet: PacketId,
        conn: Option<FlowId>,
        ce: bool,
    },
    /// Packet `packet` lost on `channel`; see [`Seen::Drop`].
    Drop {
        t: Time,
        packet: PacketId,
        channel: ChannelId,
    },
    State(Change),
}

/// A run's records kept in memory, with the names to print them: all of them, or one
/// connection's ([`Trace::of_connection`]), which is what its ladder needs and is the size
/// of that connection however long the run.
#[derive(Clone, Debug)]
pub struct Trace {
    names: Names,
    records: Vec<Record>,
    /// Where each packet's send is in `records`.
    sends: HashMap<PacketId, u32>,
    /// The sends of the packets received in the connection kept that it did not send.
    foreign: HashMap<PacketId, Sent>,
    /// The connection kept, if not all.
    only: Option<FlowId>,
    /// The latest receipt not kept: a change of the connection kept that it caused makes
    /// it the connection's.
    held: Option<(Time, Sent, Option<FlowId>, bool)>,
    count: ConnectionCount,
}

impl Sink for Trace {
    fn see(&mut self, seen: Seen<'_>) -> ControlFlow<()> {
        self.count.see(&seen);
        let Some(only) = self.only else {
            self.keep(seen);
            return ControlFlow::Continue(());
        };
        match seen {
            Seen::Send(s) | Seen::Drop { sent: s, .. } if s.conn == Some(only) => self.keep(seen),
            Seen::Recv { sent, conn, .. } if conn == Some(only) || sent.conn == Some(only) => {
                self.held = None;
                self.keep(seen)
            }
            Seen::Recv {
                t, sent, conn, ce, ..
            } => self.held = Some((t, *sent, conn, ce)),
            Seen::State(c) if c.conn == only => {
                // A receipt recorded with another connection whose handling changed this
                // one's state (a SYN recorded with the incarnation it opens, which ended
                // this one's TIME-WAIT) is this connection's too. Its handling follows it
                // at once, so it is the latest receipt.
                if let Some((t, sent, conn, ce)) = self.held {
                    if c.cause == Cause::Packet(sent.packet) {
                        self.held = None;
                        self.keep(Seen::Recv {
                            t,
                            sent: &sent,
                            conn,
                            ce,
                        });
                    }
                }
                self.keep(seen);
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

impl Trace {
    /// A trace that keeps everything.
    pub fn new(names: Names) -> Trace {
        Trace {
            names,
            records: Vec::new(),
            sends: HashMap::default(),
            foreign: HashMap::default(),
            only: None,
            held: None,
            count: ConnectionCount::default(),
        }
    }

    /// A trace that keeps what connection `conn`'s ladder shows: its sends and their
    /// receipts and drops, the receipts recorded with it, the receipts of packets that
    /// changed its states, and its changes.
    pub fn of_connection(names: Names, conn: FlowId) -> Trace {
        Trace {
            only: Some(conn),
            ..Trace::new(names)
        }
    }

    fn keep(&mut self, seen: Seen<'_>) {
        let record = match seen {
            Seen::Send(s) => {
                // Fewer than 2³² records: that many would take 256 GiB.
                self.sends.insert(s.packet, self.records.len() as u32);
                Record::Send(*s)
            }
            Seen::Recv { t, sent, conn, ce } => {
                if !self.sends.contains_key(&sent.packet) {
                    self.foreign.entry(sent.packet).or_insert(*sent);
                }
                Record::Recv {
                    t,
                    packet: sent.packet,
                    conn,
                    ce,
                }
            }
            Seen::Drop { t, sent, channel } => Record::Drop {
                t,
                packet: sent.packet,
                channel,
            },
            Seen::State(c) => Record::State(*c),
        };
        self.records.push(record);
    }

    /// Hands every record kept to `sink`, in order, as the run handed them.
    pub fn replay(&self, sink: &mut dyn Sink) -> ControlFlow<()> {
        for r in &self.records {
            sink.see(self.seen(r))?;
        }
        ControlFlow::Continue(())
    }

    /// A record kept, whole.
    pub fn seen<'a>(&'a self, r: &'a Record) -> Seen<'a> {
        let sent = |p: PacketId| {
            self.sent(p)
                .expect("a trace keeps the send of every packet it keeps a record of")
        };
        match r {
            Record::Send(s) => Seen::Send(s),
            Record::Recv {
                t,
                packet,
                conn,
                ce,
            } => Seen::Recv {
                t: *t,
                sent: sent(*packet),
                conn: *conn,
                ce: *ce,
            },
            Record::Drop { t, packet, channel } => Seen::Drop {
                t: *t,
                sent: sent(*packet),
                channel: *channel,
            },
            Record::State(c) => Seen::State(c),
        }
    }

    pub fn names(&self) -> &Names {
        &self.names
    }

    /// The link a channel belongs to, and whether the channel is its forward direction.
    pub fn link_of(&self, channel: ChannelId) -> (&str, bool) {
        self.names.link_of(channel)
    }

    /// Every record kept, in time order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The send of `packet`, if this trace kept it (or a receipt of it).
    pub fn sent(&self, packet: PacketId) -> Option<&Sent> {
        match self.sends.get(&packet) {
            Some(&i) => match &self.records[i as usize] {
                Record::Send(s) => Some(s),
                _ => None,
            },
            None => self.foreign.get(&packet),
        }
    }

    /// A host's name, or for a spoofed address `spoofed-<flood>-<hex>`.
    pub fn host(&self, addr: Addr) -> std::borrow::Cow<'_, str> {
        self.names.host(addr)
    }

    /// How many connections the run has (kept or not).
    pub fn connection_count(&self) -> ConnectionCount {
        self.count
    }

    /// The connection numbers kept, in order of first appearance.
    pub fn connections(&self) -> Vec<FlowId> {
        let mut seen = Vec::new();
        for r in &self.records {
            if let Some(c) = self.seen(r).conn().filter(|c| !seen.contains(c)) {
                seen.push(c);
            }
        }
        seen
    }
}
