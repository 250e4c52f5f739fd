//! The packet ladder of one connection, as text in the style of RFC 9293's figures, drawn
//! from its [`Conversation`].

use std::fmt::Write as _;

use synack_sim::Time;
use synack_tcp::{Segment, State};
use synack_world::ids::FlowId;
use synack_world::trace::{Cause, Trace};

pub use crate::conversation::LadderOptions;
use crate::conversation::{Change, Conversation, Fate, Flight, Receipt, Shown, Step};

/// The packet ladder of connection `conn`, in the style of RFC 9293's figures: the
/// client (the side that sent the first segment) on the left, the server on the right,
/// one line per segment with its send time, the sender's state after sending, the
/// segment, and the receiver's state after receiving it and when it arrived (`--x` if a
/// link lost it; `vanished` if it was sent to a spoofed address, `in flight` if the run
/// ended first). A copy a link delivered again gets a line below its segment's, marked
/// `(copy)`. State changes no line shows get lines of their own, labelled with their
/// cause: `(timer)`, `(application)`, or `(rcv <segment>)` for a segment this ladder has
/// no line for (one sent by no connection, such as a flood's SYN, by another connection,
/// or before `--from`).
pub fn ladder(trace: &Trace, conn: FlowId, options: &LadderOptions) -> Option<String> {
    let c = Conversation::of(trace, conn, options)?;
    let lines = lines(&c);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "connection {conn}: {}:{} → {}:{} ({})\n",
        trace.host(c.client),
        c.client_port,
        trace.host(c.server),
        c.server_port,
        if c.relative() {
            "relative seq and ack"
        } else {
            "absolute seq and ack"
        }
    );
    let seg_width = lines
        .iter()
        .map(|l| l.segment.len())
        .max()
        .unwrap_or(0)
        .max(24);
    let _ = writeln!(
        out,
        "{:>12}  {:<13}       {:<seg_width$}       {:<13}  {:>12}",
        "sent (s)",
        trace.host(c.client),
        "",
        trace.host(c.server),
        "arrived (s)"
    );
    for l in &lines {
        let _ = writeln!(
            out,
            "{:>12}  {:<13}  {}  {:<seg_width$}  {}  {:<13}  {:>12}",
            fmt_time(l.sent),
            l.left_state.map_or(String::new(), |s| s.to_string()),
            l.arrow_in,
            l.segment,
            l.arrow_out,
            l.right_state.map_or(String::new(), |s| s.to_string()),
            l.arrived,
        );
    }
    Some(out)
}

fn fmt_time(t: Time) -> String {
    format!("{:.6}", t.as_secs_f64())
}

/// `<SEQ=100><ACK=301><CTL=SYN,ACK>`, with `<DATA=n>` for a payload, as RFC 9293 writes it.
/// `bases`: subtract these from seq and ack (the sender's and the receiver's first numbers).
fn rfc_segment(seg: &Segment, bases: (u32, u32)) -> String {
    let mut s = format!("<SEQ={}>", seg.seq.0.wrapping_sub(bases.0));
    if seg.flags.ack() {
        let _ = write!(s, "<ACK={}>", seg.ack.0.wrapping_sub(bases.1));
    }
    let _ = write!(s, "<CTL={}>", seg.flags);
    if seg.len > 0 {
        let _ = write!(s, "<DATA={}>", seg.len);
    }
    s
}

struct Line {
    sent: Time,
    left_state: Option<State>,
    right_state: Option<State>,
    arrow_in: &'static str,
    arrow_out: &'static str,
    segment: String,
    arrived: String,
}

/// The ladder's lines in time order: each flight where it was sent, followed by its copies;
/// each change no flight's line shows where it was made. The changes one receipt of a
/// packet without a line made (a SYN that opened the connection) share a line, which shows
/// the last, as a flight's line shows the receiver's state after all its receipt did.
fn lines(c: &Conversation) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut last_alone: Option<&Change> = None;
    for step in &c.steps {
        match *step {
            Step::Send(i) => {
                let f = &c.flights[i];
                lines.push(flight_line(c, f));
                lines.extend(f.copies.iter().map(|r| copy_line(c, f, r)));
                last_alone = None;
            }
            Step::Change(i) if c.changes[i].shown == Shown::Alone => {
                let ch = &c.changes[i];
                if last_alone.is_some_and(|l| same_receipt(l, ch)) {
                    lines.pop();
                }
                lines.push(change_line(c, ch));
                last_alone = Some(ch);
            }
            Step::Change(_) | Step::Receive(..) => last_alone = None,
        }
    }
    lines
}

/// Whether two changes, one right behind the other, are the doing of one receipt.
fn same_receipt(a: &Change, b: &Change) -> bool {
    matches!(a.cause, Cause::Packet(_)) && (a.cause, a.client, a.t) == (b.cause, b.client, b.t)
}

/// A flight's line: the sender's state at the send, the receiver's after the arrival.
fn flight_line(c: &Conversation, f: &Flight) -> Line {
    let (arrow_in, arrow_out) = match (f.from_client, f.fate) {
        (true, Fate::Arrived(_)) => ("-->", "-->"),
        (true, Fate::Lost) => ("-->", "--x"),
        (true, Fate::Vanished | Fate::InFlight) => ("-->", "-- "),
        (false, Fate::Arrived(_)) => ("<--", "<--"),
        (false, Fate::Lost) => ("x--", "<--"),
        (false, Fate::Vanished | Fate::InFlight) => (" --", "<--"),
    };
    let (receiver, arrived) = match f.fate {
        Fate::Arrived(r) => (Some(r.state), fmt_time(r.t)),
        Fate::Lost => (None, String::new()),
        Fate::Vanished => (None, "vanished".to_string()),
        Fate::InFlight => (None, "in flight".to_string()),
    };
    let (left_state, right_state) = if f.from_client {
        (Some(f.sender_state), receiver)
    } else {
        (receiver, Some(f.sender_state))
    };
    Line {
        sent: f.sent,
        left_state,
        right_state,
        arrow_in,
        arrow_out,
        segment: rfc_segment(&f.seg, c.bases(f.from_client)),
        arrived,
    }
}

/// A copy's line: the flight's send time and segment, the receiver's state after the copy.
fn copy_line(c: &Conversation, f: &Flight, r: &Receipt) -> Line {
    let (arrow, left_state, right_state) = if f.from_client {
        ("-->", None, Some(r.state))
    } else {
        ("<--", Some(r.state), None)
    };
    Line {
        sent: f.sent,
        left_state,
        right_state,
        arrow_in: arrow,
        arrow_out: arrow,
        segment: format!("{} (copy)", rfc_segment(&f.seg, c.bases(f.from_client))),
        arrived: fmt_time(r.t),
    }
}

/// A change's own line, labelled with its cause.
fn change_line(c: &Conversation, ch: &Change) -> Line {
    let label = match (ch.cause, ch.segment) {
        (Cause::Timer, _) => "(timer)".to_string(),
        (Cause::App, _) => "(application)".to_string(),
        // The packet came from the other side.
        (Cause::Packet(_), Some(seg)) => {
            format!("(rcv {})", rfc_segment(&seg, c.bases(!ch.client)))
        }
        (Cause::Packet(p), None) => format!("(rcv packet {p})"),
    };
    let (left_state, right_state) = if ch.client {
        (Some(ch.to), None)
    } else {
        (None, Some(ch.to))
    };
    Line {
        sent: ch.t,
        left_state,
        right_state,
        arrow_in: "   ",
        arrow_out: "   ",
        segment: label,
        arrived: String::new(),
    }
}
