//! One connection as its ladders draw it ([`crate::ladder`], [`crate::export::mermaid`],
//! [`crate::export::svg`]): every packet the connection sent, what became of it, and every
//! state change with what caused it. Built from the trace's records by packet id and cause
//! alone: no receipt is paired with a send by comparing segments, and no cause is guessed
//! from timing (time only decides where a ladder shows a change, below).
//!
//! - **Flights.** One per packet sent on the connection (a `send` record of its `conn`).
//!   Its fate comes from the records of the same packet id, wherever they were recorded:
//!   a `recv` makes it arrived (at the time of the first receipt), a `drop` lost on a
//!   link; with neither, it vanished if it was addressed to a spoofed address (the world
//!   delivers nothing there), else it was still in flight when the run ended.
//! - **Copies.** A link may deliver a packet more than once (a duplicate, a stale copy):
//!   every receipt of the packet id after the first is a copy of its flight, not a flight
//!   of its own. The text ladder gives a copy a line of its own right below its flight's,
//!   marked `(copy)`; Mermaid draws it as a dotted arrow where it arrives; the SVG as a thin
//!   second arrow from the send to the copy's arrival.
//! - **States.** The sender's state at a send is its state at that moment (a stack changes
//!   state before it sends). A change caused by a packet (`Cause::Packet`) belongs to the
//!   latest receipt of that packet recorded before it: the world records a receipt, then
//!   the changes its handling makes, so that receipt is the one handled. The receiver's
//!   state after a receipt is the last change it caused, or the state it was already in.
//! - **Changes of their own.** A change a timer or the application made is shown by the
//!   send that follows it at the same instant, with nothing else of that side in between
//!   (connect, then the SYN; close, then the FIN); otherwise it stands alone. So does a
//!   change caused by a packet this view has no flight for: one sent by no connection (a
//!   flood's SYN), by another connection, or before the time window.
//! - **Ends and numbers.** The client is the sender of the connection's first segment;
//!   relative numbers count from each side's first sequence number in the connection (its
//!   ISN, when the SYN is part of the trace), as Wireshark does. The connection's segments
//!   are those recorded with it, and the receipts of packets that changed its states: a
//!   receipt is recorded with one connection, though it may change another's state too (a
//!   SYN that ends a TIME-WAIT and opens the 4-tuple's next incarnation is recorded with the
//!   new connection, and closes the old one).
//!
//! Simplified: the two sides are told apart by address, so a connection from a host to
//! itself would be drawn with both ends on the left.

use std::fmt::Write as _;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use synack_sim::Time;
use synack_tcp::{Segment, State};
use synack_world::ids::{Addr, FlowId, HostId, PacketId};
use synack_world::trace::{Cause, Record, Sent, Trace};

/// What a ladder shows.
#[derive(Clone, Copy, Debug, Default)]
pub struct LadderOptions {
    /// Absolute sequence and acknowledgment numbers instead of relative ones.
    pub absolute: bool,
    /// Only segments sent at or after this time, and state changes made at or after it…
    pub from: Option<Time>,
    /// …and at or before this one.
    pub until: Option<Time>,
}

/// One receipt of a flight's packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub t: Time,
    /// The receiver's state once it had taken the packet: the last change this receipt
    /// caused in the connection, or the state it was already in.
    pub state: State,
}

/// What became of a packet once sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Received; this is the first receipt.
    Arrived(Receipt),
    /// Lost on its link.
    Lost,
    /// Sent to a spoofed address: it vanished where the flood enters the network.
    Vanished,
    /// Neither received nor lost when the run ended.
    InFlight,
}

/// One packet sent on the connection.
#[derive(Clone, Debug)]
pub struct Flight {
    pub packet: PacketId,
    pub sent: Time,
    pub seg: Segment,
    /// Sent by the client (the left-hand side of a ladder).
    pub from_client: bool,
    /// The sender's state when it sent the packet.
    pub sender_state: State,
    pub fate: Fate,
    /// The receipts after the first (duplicates, stale copies), in the order they came.
    pub copies: Vec<Receipt>,
}

impl Flight {
    /// Receipt `k`: 0 is the arrival, `k` the `k`-th copy.
    pub fn receipt(&self, k: usize) -> Option<&Receipt> {
        match (k, &self.fate) {
            (0, Fate::Arrived(r)) => Some(r),
            (0, _) => None,
            _ => self.copies.get(k - 1),
        }
    }

    fn receipt_mut(&mut self, k: usize) -> Option<&mut Receipt> {
        match (k, &mut self.fate) {
            (0, Fate::Arrived(r)) => Some(r),
            (0, _) => None,
            _ => self.copies.get_mut(k - 1),
        }
    }

    fn receipts(&self) -> usize {
        usize::from(matches!(self.fate, Fate::Arrived(_))) + self.copies.len()
    }
}

/// Where a ladder shows a state change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// In the receiver's state after receipt `receipt` (0: the arrival, `k`: copy `k`) of
    /// flight `flight`, the receipt that caused it.
    Receipt { flight: usize, receipt: usize },
    /// In the sender's state of flight `.0`: a timer or the application made the change at
    /// the instant the flight left, just before it.
    Send(usize),
    /// On a line of its own.
    Alone,
}

/// A state change of one side of the connection.
#[derive(Clone, Copy, Debug)]
pub struct Change {
    pub t: Time,
    /// The client's state changed (else the server's).
    pub client: bool,
    pub from: State,
    pub to: State,
    pub cause: Cause,
    /// For a change a packet caused: that packet's segment.
    pub segment: Option<Segment>,
    pub shown: Shown,
}

/// The connection's records in their order, as the drawings meet them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Flight `.0` leaves its sender.
    Send(usize),
    /// Receipt `.1` of flight `.0` (0: its arrival, `k`: copy `k`).
    Receive(usize, usize),
    /// Change `.0`.
    Change(usize),
}

/// One connection: the client (the side whose segment comes first in the connection's
/// records) and the server, its flights, its state changes, and their order.
#[derive(Clone, Debug)]
pub struct Conversation {
    pub client: Addr,
    pub server: Addr,
    pub client_port: u16,
    pub server_port: u16,
    pub flights: Vec<Flight>,
    pub changes: Vec<Change>,
    pub steps: Vec<Step>,
    /// For relative numbers: the client's and the server's first sequence number.
    bases: Option<(u32, u32)>,
}

impl Conversation {
    /// Connection `conn` of `trace` as `options` show it (the segments sent in its time
    /// window, the state changes made in it), or `None` if it has no segment.
    pub fn of(trace: &Trace, conn: FlowId, options: &LadderOptions) -> Option<Conversation> {
        let mut b = Builder::new(trace, conn)?;
        for r in trace.records() {
            b.add(trace, r);
        }
        let mut c = b.c;
        if !options.absolute {
            c.bases = Some((b.first_seq[0].unwrap_or(0), b.first_seq[1].unwrap_or(0)));
        }
        c.restrict(options);
        Some(c)
    }

    /// Whether numbers are shown relative to each side's first sequence number.
    pub fn relative(&self) -> bool {
        self.bases.is_some()
    }

    /// What to subtract from the seq and the ack of a segment the client (or the server)
    /// sent: the sender's and the receiver's first numbers, or nothing.
    pub fn bases(&self, from_client: bool) -> (u32, u32) {
        match self.bases {
            None => (0, 0),
            Some((client, server)) if from_client => (client, server),
            Some((client, server)) => (server, client),
        }
    }

    /// A segment's label in the exported drawings: its flags, `seq`, `ack` (if the ACK flag
    /// is set) and `len` (if it carries data), as in `SYN,ACK seq=0 ack=1`; relative or
    /// absolute as asked.
    pub fn label(&self, f: &Flight) -> String {
        let (own, peer) = self.bases(f.from_client);
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

    /// Keeps the flights sent, and the changes made, within the options' window.
    fn restrict(&mut self, options: &LadderOptions) {
        let within = |t: Time| {
            options.from.is_none_or(|from| t >= from) && options.until.is_none_or(|u| t <= u)
        };
        let flights = keep(&mut self.flights, |f| within(f.sent));
        let changes = keep(&mut self.changes, |c| within(c.t));
        for c in &mut self.changes {
            c.shown = match c.shown {
                Shown::Receipt { flight, receipt } => flights[flight]
                    .map_or(Shown::Alone, |flight| Shown::Receipt { flight, receipt }),
                Shown::Send(i) => flights[i].map_or(Shown::Alone, Shown::Send),
                Shown::Alone => Shown::Alone,
            };
        }
        self.steps.retain_mut(|s| {
            let new = match *s {
                Step::Send(i) => flights[i].map(Step::Send),
                Step::Receive(i, k) => flights[i].map(|i| Step::Receive(i, k)),
                Step::Change(i) => changes[i].map(Step::Change),
            };
            new.map(|n| *s = n).is_some()
        });
    }
}

/// Keeps the items `f` accepts; returns each old index's new one.
fn keep<T>(items: &mut Vec<T>, f: impl Fn(&T) -> bool) -> Vec<Option<usize>> {
    let mut n = 0;
    let index = items
        .iter()
        .map(|x| {
            f(x).then(|| {
                n += 1;
                n - 1
            })
        })
        .collect();
    items.retain(f);
    index
}

/// The connection's state records, read before the rest: each host's state before its
/// first change, and the packets whose receipt changed a state.
struct Preview {
    first: Vec<(HostId, State)>,
    causes: HashSet<PacketId>,
}

impl Preview {
    fn of(trace: &Trace, conn: FlowId) -> Preview {
        let mut p = Preview {
            first: Vec::new(),
            causes: HashSet::default(),
        };
        for r in trace.records() {
            let Record::State(c) = r else {
                continue;
            };
            if c.conn != conn {
                continue;
            }
            if !p.first.iter().any(|&(h, _)| h == c.host) {
                p.first.push((c.host, c.from));
            }
            if let Cause::Packet(id) = c.cause {
                p.causes.insert(id);
            }
        }
        p
    }

    /// Whether a receipt is the connection's: recorded with it, or of a packet that changed
    /// one of its states (a SYN recorded with the incarnation it opened, which ended this
    /// one's TIME-WAIT). A send (and its drop) is the connection's if recorded with it.
    fn holds_receipt(&self, conn: FlowId, c: Option<FlowId>, packet: PacketId) -> bool {
        c == Some(conn) || self.causes.contains(&packet)
    }

    /// Each side's state before its first change: that change's `from`, or CLOSED (a side
    /// that never changes state has no connection: a closed port, a spoofed address).
    fn initial_states(&self, client: Addr) -> [State; 2] {
        let mut states = [State::Closed; 2];
        for &(host, from) in self.first.iter().rev() {
            states[side(Addr::from(host) == client)] = from;
        }
        states
    }

    /// The two ends of connection `conn` from its first segment (a receipt, if it begins
    /// with a SYN that no connection or another one sent): client, server and their ports.
    fn ends(&self, trace: &Trace, conn: FlowId) -> Option<(Addr, Addr, u16, u16)> {
        let ends = |s: &Sent| (s.from, s.to, s.seg.src_port, s.seg.dst_port);
        // A drop follows its send, which comes first.
        trace.records().iter().find_map(|r| match *r {
            Record::Send(ref s) if s.conn == Some(conn) => Some(ends(s)),
            Record::Recv {
                packet, conn: c, ..
            } if self.holds_receipt(conn, c, packet) => trace.sent(packet).map(ends),
            _ => None,
        })
    }
}

/// The index of a side in the builder's arrays: the client's 0, the server's 1.
fn side(client: bool) -> usize {
    usize::from(!client)
}

/// Reads the records in order, one at a time.
struct Builder {
    conn: FlowId,
    c: Conversation,
    /// Each flight's index by its packet.
    flight_of: HashMap<PacketId, usize>,
    preview: Preview,
    /// Packets received in the connection that it did not send, with their segments.
    foreign: HashMap<PacketId, Segment>,
    /// Each side's state, as the records so far leave it.
    state: [State; 2],
    /// Each side's last change by a timer or the application, while nothing else of that
    /// side has happened since.
    pending: [Option<usize>; 2],
    first_seq: [Option<u32>; 2],
}

impl Builder {
    fn new(trace: &Trace, conn: FlowId) -> Option<Builder> {
        let preview = Preview::of(trace, conn);
        let (client, server, client_port, server_port) = preview.ends(trace, conn)?;
        Some(Builder {
            conn,
            c: Conversation {
                client,
                server,
                client_port,
                server_port,
                flights: Vec::new(),
                changes: Vec::new(),
                steps: Vec::new(),
                bases: None,
            },
            flight_of: HashMap::default(),
            foreign: HashMap::default(),
            state: preview.initial_states(client),
            preview,
            pending: [None; 2],
            first_seq: [None; 2],
        })
    }

    fn add(&mut self, trace: &Trace, r: &Record) {
        match *r {
            Record::Send(ref s) if s.conn == Some(self.conn) => {
                self.first_seq[side(s.from == self.c.client)].get_or_insert(s.seg.seq.0);
                self.send(s);
            }
            Record::Send(_) => {}
            // A drop's sender and segment are its send's, just before it.
            Record::Drop { packet, .. } => self.drop(packet),
            Record::Recv {
                t, packet, conn, ..
            } => {
                let Some(s) = trace.sent(packet) else {
                    return;
                };
                let mine = self.preview.holds_receipt(self.conn, conn, packet);
                if mine {
                    self.first_seq[side(s.from == self.c.client)].get_or_insert(s.seg.seq.0);
                }
                self.receive(t, packet, mine, s.seg);
            }
            Record::State(c) if c.conn == self.conn => {
                let client = Addr::from(c.host) == self.c.client;
                self.change(c.t, client, c.from, c.to, c.cause);
            }
            Record::State(_) => {}
        }
    }

    fn send(&mut self, s: &Sent) {
        let (t, packet) = (s.t, s.packet);
        let from_client = s.from == self.c.client;
        let i = self.c.flights.len();
        self.c.flights.push(Flight {
            packet,
            sent: t,
            seg: s.seg,
            from_client,
            sender_state: self.state[side(from_client)],
            fate: match s.to {
                Addr::Spoofed { .. } => Fate::Vanished,
                Addr::Host(_) => Fate::InFlight,
            },
            copies: Vec::new(),
        });
        self.flight_of.insert(packet, i);
        self.c.steps.push(Step::Send(i));
        if let Some(ch) = self.pending[side(from_client)].take() {
            if self.c.changes[ch].t == t {
                self.c.changes[ch].shown = Shown::Send(i);
            }
        }
    }

    fn drop(&mut self, packet: PacketId) {
        if let Some(&i) = self.flight_of.get(&packet) {
            self.c.flights[i].fate = Fate::Lost;
        }
    }

    fn receive(&mut self, t: Time, packet: PacketId, mine: bool, seg: Segment) {
        let Some(&i) = self.flight_of.get(&packet) else {
            if mine {
                self.foreign.insert(packet, seg);
            }
            return;
        };
        let f = &mut self.c.flights[i];
        let receipt = Receipt {
            t,
            state: self.state[side(!f.from_client)],
        };
        let k = f.receipts();
        if k == 0 {
            f.fate = Fate::Arrived(receipt);
        } else {
            f.copies.push(receipt);
        }
        self.c.steps.push(Step::Receive(i, k));
    }

    fn change(&mut self, t: Time, client: bool, from: State, to: State, cause: Cause) {
        let i = self.c.changes.len();
        let s = side(client);
        self.state[s] = to;
        self.pending[s] = None;
        let (shown, segment) = match cause {
            Cause::Packet(p) => self.caused_by(p, to),
            Cause::Timer | Cause::App => {
                self.pending[s] = Some(i);
                (Shown::Alone, None)
            }
        };
        self.c.changes.push(Change {
            t,
            client,
            from,
            to,
            cause,
            segment,
            shown,
        });
        self.c.steps.push(Step::Change(i));
    }

    /// Where a change to `to` caused by packet `p` is shown, and `p`'s segment: with the
    /// latest receipt of `p` if it is a flight of this connection, else on its own line.
    fn caused_by(&mut self, p: PacketId, to: State) -> (Shown, Option<Segment>) {
        let Some(&flight) = self.flight_of.get(&p) else {
            return (Shown::Alone, self.foreign.get(&p).copied());
        };
        let f = &mut self.c.flights[flight];
        let Some(receipt) = f.receipts().checked_sub(1) else {
            // No receipt recorded before the change it caused: nothing to show it with.
            return (Shown::Alone, Some(f.seg));
        };
        if let Some(r) = f.receipt_mut(receipt) {
            r.state = to;
        }
        (Shown::Receipt { flight, receipt }, Some(f.seg))
    }
}
