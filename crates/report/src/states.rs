//! The state machine of a run (`synack trace --format states`): for each endpoint the
//! states it went through and when ([`endpoint_states`]), how often each transition was
//! taken ([`transition_counts`]), and RFC 9293 §3.3.2's state diagram (Figure 5) with
//! every arrow annotated by its count, followed by a table of every transition taken
//! ([`state_diagram`]).
//!
//! All of it reads the changes of state of a run as the run hands them over ([`States`], a
//! [`Sink`]) or of a [`Trace`] kept; each names its cause, which [`Transitions::causes`]
//! reports as it is recorded: `timer`, `application`, or `rcv` and the flags of the packet
//! received (the receipt just before the change: the world records a receipt, then what its
//! handling changes).
//! Simplified, and what it costs:
//! - An arrow of the figure counts every move between its two states, whatever caused it:
//!   SYN-SENT → CLOSED is drawn as the user's CLOSE, but a SYN that timed out or was reset
//!   takes the same arrow. The table's last column says, for moves into CLOSED, what
//!   caused them in this run.
//! - Listeners are not connections in the trace: a server endpoint starts in LISTEN, at
//!   its first record, and ends in CLOSED rather than going back to LISTEN (the listener
//!   itself stays). The figure's CLOSED ↔ LISTEN and LISTEN → SYN-SENT arrows stay at 0.

use std::fmt::Write as _;

use rustc_hash::FxHashMap as HashMap;
use synack_sim::Time;
use synack_tcp::State;

use std::ops::ControlFlow;

use synack_tcp::Flags;
use synack_world::ids::{FlowId, HostId, PacketId};
use synack_world::trace::{Cause, Names, Seen, Sink, Trace};

use crate::view::Filter;

/// How many endpoints [`endpoint_states`] lists before it summarises the rest.
pub const MAX_ENDPOINTS: usize = 50;

/// The eleven states in the figure's reading order: top to bottom, left to right.
const STATES: [State; 11] = [
    State::Closed,
    State::Listen,
    State::SynReceived,
    State::SynSent,
    State::Established,
    State::FinWait1,
    State::CloseWait,
    State::FinWait2,
    State::Closing,
    State::LastAck,
    State::TimeWait,
];

/// A state's place in [`STATES`]: the index of the count arrays, and the table's order.
fn rank(s: State) -> usize {
    match s {
        State::Closed => 0,
        State::Listen => 1,
        State::SynReceived => 2,
        State::SynSent => 3,
        State::Established => 4,
        State::FinWait1 => 5,
        State::CloseWait => 6,
        State::FinWait2 => 7,
        State::Closing => 8,
        State::LastAck => 9,
        State::TimeWait => 10,
    }
}

/// One side of one connection: the states it was in, each with the time it was entered.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub conn: FlowId,
    pub host: HostId,
    /// The first is the state the endpoint started in (CLOSED for a client, LISTEN for a
    /// server), at the time of its first change.
    pub visits: Vec<(State, Time)>,
}

/// What the state views gather from a run as it goes ([`Sink`]): the first
/// [`MAX_ENDPOINTS`] endpoints with their states, how many there were, and the count of every
/// transition with its causes. It keeps a small entry per endpoint (to count them), nothing
/// per segment.
#[derive(Debug)]
pub struct States {
    filter: Filter,
    /// Each endpoint's place among those listed, if it is listed.
    index: HashMap<(FlowId, HostId), Option<u32>>,
    listed: Vec<Endpoint>,
    /// At most this many are listed.
    most: usize,
    transitions: Transitions,
    /// The flags of the latest packet received: a change it causes follows its receipt at
    /// once.
    received: Option<(PacketId, Flags)>,
}

impl States {
    /// Gathers the changes `filter` keeps (a time window, a connection): an endpoint starts
    /// in the state of its first change kept.
    pub fn new(filter: Filter) -> States {
        States::listing(filter, MAX_ENDPOINTS)
    }

    fn listing(filter: Filter, most: usize) -> States {
        States {
            filter,
            index: HashMap::default(),
            listed: Vec::new(),
            most,
            transitions: Transitions::default(),
            received: None,
        }
    }

    /// The endpoints listed, in order of their first change.
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.listed
    }

    /// How many endpoints changed state.
    pub fn endpoint_count(&self) -> usize {
        self.index.len()
    }

    pub fn transitions(&self) -> &Transitions {
        &self.transitions
    }

    /// The listing of the endpoints ([`endpoint_states`]), then the diagram
    /// ([`state_diagram`]).
    pub fn render(&self, names: &Names) -> String {
        format!(
            "{}\n{}",
            self.listing_text(names),
            diagram(&self.transitions)
        )
    }

    /// One line per endpoint listed, `conn 0 client: CLOSED 0.000 → SYN-SENT 0.000 → …`
    /// (times in seconds); a last line says how many were left out.
    fn listing_text(&self, names: &Names) -> String {
        let mut out = String::new();
        for e in &self.listed {
            let _ = write!(out, "conn {} {}:", e.conn, names.host(e.host.into()));
            for (i, (state, t)) in e.visits.iter().enumerate() {
                let arrow = if i == 0 { "" } else { " →" };
                let _ = write!(out, "{arrow} {state} {:.3}", t.as_secs_f64());
            }
            out.push('\n');
        }
        let all = self.endpoint_count();
        if all > self.listed.len() {
            let _ = writeln!(
                out,
                "… and {} more endpoints ({} in all)",
                all - self.listed.len(),
                all
            );
        }
        out
    }
}

impl Sink for States {
    fn see(&mut self, seen: Seen<'_>) -> ControlFlow<()> {
        if let Seen::Recv { sent, .. } = seen {
            self.received = Some((sent.packet, sent.seg.flags));
        }
        let Seen::State(c) = seen else {
            return ControlFlow::Continue(());
        };
        if !self.filter.keeps(&seen) {
            return ControlFlow::Continue(());
        }
        let (listed, most) = (&mut self.listed, self.most);
        let place = *self.index.entry((c.conn, c.host)).or_insert_with(|| {
            (listed.len() < most).then(|| {
                listed.push(Endpoint {
                    conn: c.conn,
                    host: c.host,
                    visits: vec![(c.from, c.t)],
                });
                (listed.len() - 1) as u32
            })
        });
        if let Some(i) = place {
            self.listed[i as usize].visits.push((c.to, c.t));
        }
        let cause = match c.cause {
            Cause::App => "application".to_string(),
            Cause::Timer => "timer".to_string(),
            Cause::Packet(p) => match self.received {
                Some((q, flags)) if q == p => format!("rcv {flags}"),
                _ => format!("rcv packet {p}"),
            },
        };
        self.transitions.add(c.from, c.to, cause);
        ControlFlow::Continue(())
    }
}

/// The states of a trace kept in memory, every endpoint listed.
fn gathered(trace: &Trace, most: usize) -> States {
    let mut states = States::listing(Filter::default(), most);
    let _ = trace.replay(&mut states);
    states
}

/// Every endpoint that changed state, in order of its first change.
pub fn endpoints(trace: &Trace) -> Vec<Endpoint> {
    gathered(trace, usize::MAX).listed
}

/// One line per endpoint, `conn 0 client: CLOSED 0.000 → SYN-SENT 0.000 → …` (times in
/// seconds), for the first [`MAX_ENDPOINTS`]; a last line says how many were left out.
pub fn endpoint_states(trace: &Trace) -> String {
    gathered(trace, MAX_ENDPOINTS).listing_text(trace.names())
}

/// How often each transition was taken in a run, and, for each, what caused it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transitions {
    /// `counts[rank(from)][rank(to)]`.
    counts: [[u64; 11]; 11],
    /// (from, to, cause, count), in order of first occurrence.
    causes: Vec<(State, State, String, u64)>,
}

impl Transitions {
    /// How often `from` → `to` was taken.
    pub fn get(&self, from: State, to: State) -> u64 {
        self.counts[rank(from)][rank(to)]
    }

    /// Every transition taken at least once, with its count, in the figure's order of
    /// `from` and then of `to` (CLOSED, where every connection ends, last).
    pub fn iter(&self) -> impl Iterator<Item = (State, State, u64)> + '_ {
        STATES.iter().flat_map(move |&from| {
            STATES[1..]
                .iter()
                .chain(&STATES[..1])
                .map(move |&to| (from, to, self.get(from, to)))
                .filter(|&(_, _, n)| n > 0)
        })
    }

    /// All transitions taken.
    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// Transitions into `state`.
    pub fn entered(&self, state: State) -> u64 {
        self.counts.iter().map(|row| row[rank(state)]).sum()
    }

    /// Transitions out of `state`.
    pub fn left(&self, state: State) -> u64 {
        self.counts[rank(state)].iter().sum()
    }

    /// What caused `from` → `to` in this run (`rcv RST`, `timer`, `application`, …) and
    /// how often, most frequent first.
    pub fn causes(&self, from: State, to: State) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self
            .causes
            .iter()
            .filter(|(f, t, _, _)| (*f, *t) == (from, to))
            .map(|(_, _, cause, n)| (cause.as_str(), *n))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    }

    fn add(&mut self, from: State, to: State, cause: String) {
        self.counts[rank(from)][rank(to)] += 1;
        match self
            .causes
            .iter_mut()
            .find(|(f, t, c, _)| (*f, *t) == (from, to) && *c == cause)
        {
            Some((_, _, _, n)) => *n += 1,
            None => self.causes.push((from, to, cause, 1)),
        }
    }
}

/// Counts every (from, to) of every endpoint in the run, with the cause each record names.
pub fn transition_counts(trace: &Trace) -> Transitions {
    gathered(trace, 0).transitions
}

/// What makes each transition happen, in the figure's `event / action` style, and whether
/// the figure draws it.
fn rfc_event(from: State, to: State) -> (&'static str, bool) {
    use State::*;
    match (from, to) {
        (Closed, Listen) => ("passive OPEN / create TCB", true),
        (Closed, SynSent) => ("active OPEN / create TCB, snd SYN", true),
        (Listen, Closed) => ("CLOSE / delete TCB", true),
        (Listen, SynReceived) => ("rcv SYN / snd SYN,ACK", true),
        (Listen, SynSent) => ("SEND / snd SYN", true),
        // RFC 4987 §3.6: the SYN-ACK's state came back in the ACK.
        (Listen, Established) => ("rcv ACK carrying a SYN cookie (RFC 4987)", false),
        // RFC 9293 §3.10.7.3 (SYN-SENT, fourth): simultaneous open, Figure 7.
        (SynSent, SynReceived) => ("rcv SYN / snd SYN,ACK", true),
        (SynSent, Established) => ("rcv SYN,ACK / snd ACK", true),
        (SynSent, Closed) => ("CLOSE, rcv RST, or SYN retries exhausted", true),
        (SynReceived, Established) => ("rcv ACK of SYN / x", true),
        (SynReceived, FinWait1) => ("CLOSE / snd FIN", true),
        // RFC 9293 §3.10.7.4 (second): back to LISTEN after a passive open.
        (SynReceived, Listen) => ("rcv RST (after a passive OPEN)", false),
        (SynReceived, Closed) => ("rcv RST, ABORT, or SYN,ACK retries exhausted", false),
        (Established, FinWait1) => ("CLOSE / snd FIN", true),
        (Established, CloseWait) => ("rcv FIN / snd ACK", true),
        (FinWait1, FinWait2) => ("rcv ACK of FIN / x", true),
        (FinWait1, Closing) => ("rcv FIN / snd ACK", true),
        // RFC 9293 §3.10.7.4 (eighth): the FIN and the ACK of ours in one segment.
        (FinWait1, TimeWait) => ("rcv FIN and ACK of FIN / snd ACK", false),
        (CloseWait, LastAck) => ("CLOSE / snd FIN", true),
        (FinWait2, TimeWait) => ("rcv FIN / snd ACK", true),
        // Linux tcp_fin_timeout: an orphaned FIN-WAIT-2 is dropped.
        (FinWait2, Closed) => ("fin_timeout, rcv RST, or ABORT", false),
        (Closing, TimeWait) => ("rcv ACK of FIN / x", true),
        (LastAck, Closed) => ("rcv ACK of FIN / x", true),
        (TimeWait, Closed) => ("timeout=2MSL / delete TCB", true),
        (Established | FinWait1 | CloseWait, Closed) => {
            ("rcv RST, ABORT, or retransmissions exhausted", false)
        }
        (Closing, Closed) => ("rcv RST or retransmissions exhausted", false),
        _ => ("(not in RFC 9293)", false),
    }
}

/// The figure, our own layout of RFC 9293 Figure 5. `@x~~~~~~~~` is a slot ten characters
/// wide for the count of the transition [`SLOTS`] names `x`.
const FIGURE: &str = r"
                                  +--------------+    active OPEN / snd SYN @c~~~~~~~~
                                  |    CLOSED    |------------------------------------+
                                  +--------------+<-----------------------+           |
                 passive OPEN       |          ^  CLOSE                   |           |
                 create TCB         |          |  delete TCB              |           |
                 @a~~~~~~~~         v          |  @b~~~~~~~~              | CLOSE     |
                                  +--------------+                        | delete    |
                                  |    LISTEN    |                        | TCB       |
                                  +--------------+                        | @d~~~~~~~~|
                 rcv SYN            |          |  SEND                    |           |
                 snd SYN,ACK        |          |  snd SYN                 |           |
                 @e~~~~~~~~         |          |  @f~~~~~~~~              |           v
  +--------------+                  |          |                        +--------------+
  | SYN-RECEIVED |<-----------------+          +----------------------->|   SYN-SENT   |
  |              |<-----------------------------------------------------|              |
  +--------------+        rcv SYN / snd SYN,ACK   @g~~~~~~~~            +--------------+
    |         |                                                           |
    |         |  rcv ACK of SYN                         rcv SYN,ACK       |
    |         |  x  @h~~~~~~~~                          snd ACK @i~~~~~~~~|
    |         |                                                           |
    |         |                   +--------------+                        |
    |         +------------------>| ESTABLISHED  |<-----------------------+
    |                             +--------------+
    | CLOSE             CLOSE       |          |  rcv FIN
    | snd FIN           snd FIN     |          |  snd ACK
    | @j~~~~~~~~        @k~~~~~~~~  |          |  @l~~~~~~~~
    v                               |          |
  +--------------+                  |          |                        +--------------+
  |  FIN-WAIT-1  |<-----------------+          +----------------------->|  CLOSE-WAIT  |
  +--------------+                                                      +--------------+
    |         | rcv FIN                                                        |
    |         | snd ACK @n~~~~~~~~                              CLOSE          |
    |         +--------------------------+                      snd FIN        |
    | rcv ACK of FIN                     |                      @o~~~~~~~~     |
    | x @m~~~~~~~~                       |                                     |
    |                                    |                                     |
    v                                    v                                     v
  +--------------+                +--------------+                      +--------------+
  |  FIN-WAIT-2  |                |   CLOSING    |                      |   LAST-ACK   |
  +--------------+                +--------------+                      +--------------+
    |                                    |                                     |
    | rcv FIN                            | rcv ACK of FIN       rcv ACK of FIN |
    | snd ACK                            | x @q~~~~~~~~         x @r~~~~~~~~   |
    | @p~~~~~~~~                         v                                     v
    |                             +--------------+  timeout=2MSL        +--------------+
    +---------------------------->|  TIME-WAIT   |--------------------->|    CLOSED    |
                                  +--------------+  delete TCB          +--------------+
                                                    @s~~~~~~~~
";

/// The transition whose count fills each slot of [`FIGURE`].
const SLOTS: [(char, State, State); 19] = [
    ('a', State::Closed, State::Listen),
    ('b', State::Listen, State::Closed),
    ('c', State::Closed, State::SynSent),
    ('d', State::SynSent, State::Closed),
    ('e', State::Listen, State::SynReceived),
    ('f', State::Listen, State::SynSent),
    ('g', State::SynSent, State::SynReceived),
    ('h', State::SynReceived, State::Established),
    ('i', State::SynSent, State::Established),
    ('j', State::SynReceived, State::FinWait1),
    ('k', State::Established, State::FinWait1),
    ('l', State::Established, State::CloseWait),
    ('m', State::FinWait1, State::FinWait2),
    ('n', State::FinWait1, State::Closing),
    ('o', State::CloseWait, State::LastAck),
    ('p', State::FinWait2, State::TimeWait),
    ('q', State::Closing, State::TimeWait),
    ('r', State::LastAck, State::Closed),
    ('s', State::TimeWait, State::Closed),
];

const SLOT_WIDTH: usize = 10;

/// The figure with its counts: each `@x` slot becomes `[×n]`, padded to the slot's width
/// (a count too long for it pushes the rest of its line right).
fn figure(counts: &Transitions) -> String {
    let mut out = String::new();
    for line in FIGURE.lines().skip(1) {
        let mut rest = line;
        let mut drawn = String::new();
        while let Some(at) = rest.find('@') {
            drawn.push_str(&rest[..at]);
            let key = rest[at + 1..].chars().next().expect("a slot names its key");
            let (_, from, to) = SLOTS
                .iter()
                .find(|(k, _, _)| *k == key)
                .expect("every slot is in SLOTS");
            let label = format!("[×{}]", counts.get(*from, *to));
            let _ = write!(drawn, "{label:<SLOT_WIDTH$}");
            rest = &rest[at + SLOT_WIDTH..];
        }
        drawn.push_str(rest);
        out.push_str(drawn.trim_end());
        out.push('\n');
    }
    out
}

/// RFC 9293 Figure 5 with each arrow annotated `[×n]`, the number of times any endpoint
/// of the run took it; then every transition taken, drawn or not, with its count, the
/// event that causes it, and for moves into CLOSED what caused them in this run.
pub fn state_diagram(trace: &Trace) -> String {
    diagram(&transition_counts(trace))
}

/// [`state_diagram`] of these counts.
fn diagram(counts: &Transitions) -> String {
    let mut out = String::from(
        "Connection states (RFC 9293 §3.3.2, Figure 5); [×n]: transitions taken in this run\n",
    );
    out.push_str(&figure(counts));
    let undrawn: Vec<(State, State, u64)> = counts
        .iter()
        .filter(|&(from, to, _)| !rfc_event(from, to).1)
        .collect();
    if !undrawn.is_empty() {
        let n: u64 = undrawn.iter().map(|&(_, _, n)| n).sum();
        let _ = writeln!(
            out,
            "\nNot drawn above (†): {n} {} of {} {}",
            if n == 1 { "transition" } else { "transitions" },
            undrawn.len(),
            if undrawn.len() == 1 { "kind" } else { "kinds" }
        );
    }
    out.push('\n');
    out.push_str(&table(counts));
    out
}

/// Every transition taken: from, to, count, event, and the causes seen for moves into
/// CLOSED (where the event names several).
fn table(counts: &Transitions) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<12}  {:<12}  {:>8}  {:<48}  in this run",
        "from", "to", "count", "event (RFC 9293)"
    );
    for (from, to, n) in counts.iter() {
        let (event, drawn) = rfc_event(from, to);
        let event = if drawn {
            event.to_string()
        } else {
            format!("{event} †")
        };
        let seen = if to == State::Closed {
            counts
                .causes(from, to)
                .iter()
                .map(|(cause, n)| format!("{cause} ×{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            String::new()
        };
        let line = format!("{from:<12}  {to:<12}  {n:>8}  {event:<48}  {seen}");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let _ = writeln!(out, "{:<12}  {:<12}  {:>8}", "", "all", counts.total());
    out
}
