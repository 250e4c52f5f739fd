//! The record of one run: every segment sent, received and dropped, every state change,
//! in time order; written as JSON lines (DESIGN.md, "Command line") or drawn as the packet
//! ladder of RFC 9293's figures.

use synack_sim::Time;
use synack_tcp::{Segment, State};

use crate::ids::{Addr, ChannelId, FlowId, HostId, PacketId};

/// What happened to a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceEvent {
    Send,
    Recv,
    /// Lost on a link.
    Drop,
}

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

/// One thing that happened. Connections are numbered by flow: the client's and the server's
/// connection of one 4-tuple incarnation share a number.
#[derive(Clone, Debug)]
pub enum Record {
    Segment {
        t: Time,
        ev: TraceEvent,
        /// The packet, the same from its send to its receipts (a link may deliver copies).
        packet: PacketId,
        /// Sender and receiver.
        from: Addr,
        to: Addr,
        /// The connection that sent it (sends, drops) or took it (receipts). A segment that
        /// belongs to no connection (a RST answering a segment for a closed port) is shown
        /// with the connection whose segment it answers, if any.
        conn: Option<FlowId>,
        seg: Segment,
        /// For sends and drops: the channel (link direction) it was put on.
        channel: Option<ChannelId>,
    },
    State {
        t: Time,
        host: HostId,
        conn: FlowId,
        from: State,
        to: State,
        cause: Cause,
    },
}

/// A run's records, with the names to print them.
#[derive(Clone, Debug)]
pub struct Trace {
    hosts: Vec<String>,
    /// Link of each channel: channel `c` is a direction of link `c / 2`.
    links: Vec<String>,
    pub records: Vec<Record>,
}

impl Trace {
    pub fn new(hosts: Vec<String>, links: Vec<String>) -> Trace {
        Trace {
            hosts,
            links,
            records: Vec::new(),
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

    pub(crate) fn push(&mut self, record: Record) {
        self.records.push(record);
    }

    /// A host's name, or for a spoofed address `spoofed-<flood>-<hex>`.
    pub fn host(&self, addr: Addr) -> std::borrow::Cow<'_, str> {
        match addr {
            Addr::Host(h) => self.hosts[h.0 as usize].as_str().into(),
            Addr::Spoofed { flood, addr } => format!("spoofed-{flood}-{addr:06x}").into(),
        }
    }

    /// The connection numbers that appear, in order of first appearance.
    pub fn connections(&self) -> Vec<FlowId> {
        let mut seen = Vec::new();
        for r in &self.records {
            let c = match r {
                Record::Segment { conn, .. } => *conn,
                Record::State { conn, .. } => Some(*conn),
            };
            if let Some(c) = c.filter(|c| !seen.contains(c)) {
                seen.push(c);
            }
        }
        seen
    }
}
