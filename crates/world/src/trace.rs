//! The record of one run: every segment sent, received and dropped, every state change,
//! in time order; written as JSON lines (DESIGN.md, "Command line") or drawn as the packet
//! ladder of RFC 9293's figures.

use synack_sim::Time;
use synack_tcp::{Segment, State};

use crate::ids::{Addr, ChannelId, FlowId, HostId, PacketId};

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

/// One thing that happened. Connections are numbered by flow: the client's and the server's
/// connection of one 4-tuple incarnation share a number.
///
/// A receipt and a drop name their packet, not its segment: the sender, receiver and
/// segment are those of the packet's send ([`Trace::sent`]). This keeps every record
/// within 64 bytes; a run traces one for each segment sent and each received.
#[derive(Clone, Debug)]
pub enum Record {
    /// A segment put on a link. Its channel (link direction) is not recorded: the route
    /// from its sender to its receiver decides it, and only a drop needs it.
    Send(Sent),
    /// A copy of packet `packet` taken by its receiver (the send's `to`).
    Recv {
        t: Time,
        packet: PacketId,
        /// The connection that took it (or the TIME-WAIT socket's), which need not be the
        /// one that sent it (an old duplicate SYN opens another connection); the sender's
        /// when none did.
        conn: Option<FlowId>,
        /// A queue on the way marked this copy CE (ECN, RFC 3168 §5): the one thing a link
        /// changes in a packet.
        ce: bool,
    },
    /// Packet `packet` lost on `channel`, the link direction it was put on, as it was sent.
    Drop {
        t: Time,
        packet: PacketId,
        channel: ChannelId,
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
    records: Vec<Record>,
    /// Where each packet's send is in `records`: packets are numbered from 0 in the order
    /// they are sent, so packet `p`'s is entry `p`.
    sends: Vec<u32>,
}

impl Trace {
    pub fn new(hosts: Vec<String>, links: Vec<String>) -> Trace {
        Trace {
            hosts,
            links,
            records: Vec::new(),
            sends: Vec::new(),
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

    /// Every record, in time order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The send of `packet`, if this trace recorded it.
    pub fn sent(&self, packet: PacketId) -> Option<&Sent> {
        let &i = self.sends.get(packet.0 as usize)?;
        match &self.records[i as usize] {
            Record::Send(s) if s.packet == packet => Some(s),
            _ => None,
        }
    }

    /// Records a send: the packets of a run are numbered from 0 in the order they are sent.
    pub(crate) fn push_send(&mut self, sent: Sent) {
        debug_assert_eq!(
            sent.packet.0 as usize,
            self.sends.len(),
            "packets in send order"
        );
        // Fewer than 2³² records: that many would take 256 GiB.
        self.sends.push(self.records.len() as u32);
        self.records.push(Record::Send(sent));
    }

    /// Records a receipt, a drop or a state change.
    pub(crate) fn push(&mut self, record: Record) {
        debug_assert!(
            !matches!(record, Record::Send(_)),
            "sends go through push_send"
        );
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
                Record::Send(s) => s.conn,
                Record::Recv { conn, .. } => *conn,
                // A drop's connection is its send's, just before it.
                Record::Drop { .. } => None,
                Record::State { conn, .. } => Some(*conn),
            };
            if let Some(c) = c.filter(|c| !seen.contains(c)) {
                seen.push(c);
            }
        }
        seen
    }
}
