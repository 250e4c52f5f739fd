//! Trace exports (`synack trace --format pcap|mermaid|svg`): the whole run as a capture file
//! that Wireshark and tcpdump read ([`pcap`]), and one connection's packet ladder as a Mermaid
//! sequence diagram to paste into Markdown ([`mermaid`]) or as a drawn SVG picture ([`svg`]).
//!
//! All three read only the [`Trace`] of a run; none changes it.

pub mod jsonl;
pub mod mermaid;
pub mod pcap;
pub mod svg;

use std::fmt::Write as _;

use synack_sim::Time;
use synack_tcp::{Segment, State};

use crate::ladder::LadderOptions;
use synack_world::ids::{Addr, FlowId};
use synack_world::trace::{Record, Trace, TraceEvent};

/// What became of a segment once sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    Arrived(Time),
    /// Lost on its link.
    Lost,
    /// Never received, and not lost on a link: sent to a spoofed address (the answer
    /// vanishes where the flood enters), or still on the wire when the run ended.
    InFlight,
}

/// One segment of a connection, from its send to its arrival.
#[derive(Clone, Debug)]
pub(crate) struct Flight {
    pub sent: Time,
    pub fate: Fate,
    pub seg: Segment,
    /// Sent by the client (the left-hand side of a ladder).
    pub from_client: bool,
}

/// A connection's records in their order, as a ladder draws them.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step {
    /// Flight `.0` leaves its sender.
    Send(usize),
    /// Flight `.0` reaches its receiver.
    Arrive(usize),
    State {
        t: Time,
        /// The client's state changed (else the server's).
        client: bool,
        to: State,
    },
}

/// One connection, seen as a ladder: the client (the side that sent its first segment) and
/// the server, every segment paired with its arrival, in record order.
pub(crate) struct Conversation {
    pub client: Addr,
    pub server: Addr,
    pub client_port: u16,
    pub server_port: u16,
    pub flights: Vec<Flight>,
    pub steps: Vec<Step>,
    /// For relative numbers: the client's and the server's first sequence number.
    bases: Option<(u32, u32)>,
    /// The first sequence number seen from the server (0) and from the client (1).
    first_seq: [Option<u32>; 2],
}

impl Conversation {
    /// Connection `conn` of `trace` as `options` show it (the segments sent in its time
    /// window, the state changes in it), or `None` if the connection sent no segment.
    pub fn of(trace: &Trace, conn: FlowId, options: &LadderOptions) -> Option<Conversation> {
        let mine = |r: &&Record| match r {
            Record::Segment { conn: c, .. } => *c == Some(conn),
            Record::State { conn: c, .. } => *c == conn,
        };
        // The first segment may be a receipt: a listener's connection begins with the SYN
        // it received (a flood's SYN, sent by no connection).
        let (client, server, client_port, server_port) =
            trace.records.iter().filter(mine).find_map(|r| match r {
                Record::Segment { from, to, seg, .. } => {
                    Some((*from, *to, seg.src_port, seg.dst_port))
                }
                Record::State { .. } => None,
            })?;
        let mut c = Conversation {
            client,
            server,
            client_port,
            server_port,
            flights: Vec::new(),
            steps: Vec::new(),
            bases: None,
            first_seq: [None; 2],
        };
        for r in trace.records.iter().filter(mine) {
            c.add(r);
        }
        if !options.absolute {
            // Relative numbers as the text ladder and Wireshark count them: each side's
            // from its first sequence number in the connection (its ISN, if the SYN is in it).
            c.bases = Some((c.first_seq[1].unwrap_or(0), c.first_seq[0].unwrap_or(0)));
        }
        c.restrict(options);
        Some(c)
    }

    /// Keeps the segments sent, and the state changes made, within the options' window.
    fn restrict(&mut self, options: &LadderOptions) {
        let within = |t: Time| {
            options.from.is_none_or(|from| t >= from) && options.until.is_none_or(|u| t <= u)
        };
        let mut index = vec![usize::MAX; self.flights.len()];
        let mut kept = Vec::new();
        for (i, f) in self.flights.iter().enumerate() {
            if within(f.sent) {
                index[i] = kept.len();
                kept.push(f.clone());
            }
        }
        self.flights = kept;
        self.steps = self
            .steps
            .iter()
            .filter_map(|s| match *s {
                Step::Send(i) => (index[i] != usize::MAX).then(|| Step::Send(index[i])),
                Step::Arrive(i) => (index[i] != usize::MAX).then(|| Step::Arrive(index[i])),
                Step::State { t, .. } => within(t).then_some(*s),
            })
            .collect();
    }

    /// Whether numbers are shown relative to each side's first sequence number.
    pub fn relative(&self) -> bool {
        self.bases.is_some()
    }

    /// A segment's label: its flags, `seq`, `ack` (if the ACK flag is set) and `len` (if it
    /// carries data), as in `SYN,ACK seq=0 ack=1`; relative or absolute as asked.
    pub fn label(&self, f: &Flight) -> String {
        let (own, peer) = match self.bases {
            None => (0, 0),
            Some((client, server)) if f.from_client => (client, server),
            Some((client, server)) => (server, client),
        };
        let seg = &f.seg;
        let mut s = seg.flags.to_string();
        if !s.is_empty() {
            s.push(' ');
        }
        let _ = write!(s, "seq={}", seg.seq.0.wrapping_sub(own));
        if seg.flags.ack() {
            let _ = write!(s, " ack={}", seg.ack.0.wrapping_sub(peer));
        }
        if seg.len > 0 {
            let _ = write!(s, " len={}", seg.len);
        }
        s
    }

    fn add(&mut self, r: &Record) {
        match *r {
            Record::Segment {
                t, ev, from, seg, ..
            } => {
                let from_client = from == self.client;
                self.first_seq[usize::from(from_client)].get_or_insert(seg.seq.0);
                // The flight a drop or a receipt belongs to: the earliest one of the same
                // segment still on the wire (links deliver in order, and identical
                // segments look the same whichever is taken).
                let on_wire = |f: &Flight| {
                    f.fate == Fate::InFlight && f.from_client == from_client && f.seg == seg
                };
                match ev {
                    TraceEvent::Send => {
                        self.flights.push(Flight {
                            sent: t,
                            fate: Fate::InFlight,
                            seg,
                            from_client,
                        });
                        self.steps.push(Step::Send(self.flights.len() - 1));
                    }
                    // A drop is recorded right behind its send.
                    TraceEvent::Drop => {
                        if let Some(f) = self.flights.iter_mut().rev().find(|f| on_wire(f)) {
                            f.fate = Fate::Lost;
                        }
                    }
                    // A receipt that matches no flight is a duplicate the link made.
                    TraceEvent::Recv => {
                        if let Some(i) = self.flights.iter().position(on_wire) {
                            self.flights[i].fate = Fate::Arrived(t);
                            self.steps.push(Step::Arrive(i));
                        }
                    }
                }
            }
            Record::State { t, host, to, .. } => self.steps.push(Step::State {
                t,
                client: Addr::from(host) == self.client,
                to,
            }),
        }
    }
}
