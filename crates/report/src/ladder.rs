//! The packet ladder of one connection, as text in the style of RFC 9293's figures.

use std::fmt::Write as _;

use synack_sim::Time;
use synack_tcp::{Segment, State};
use synack_world::ids::{Addr, FlowId};
use synack_world::trace::{Cause, Record, Trace, TraceEvent};

/// What a ladder shows.
#[derive(Clone, Copy, Debug, Default)]
pub struct LadderOptions {
    /// Absolute sequence and acknowledgment numbers instead of relative ones.
    pub absolute: bool,
    /// Only segments sent at or after this time…
    pub from: Option<Time>,
    /// …and at or before this one.
    pub until: Option<Time>,
}

/// The packet ladder of connection `conn`, in the style of RFC 9293's figures: the
/// client (the side that sent the first segment) on the left, the server on the right,
/// one line per segment with its send time, the sender's state after sending, the
/// segment, and the receiver's state after receiving it (or `--x` if a link lost it).
/// State changes that no segment causes (a timer) get lines of their own.
pub fn ladder(trace: &Trace, conn: FlowId, options: &LadderOptions) -> Option<String> {
    let records: Vec<&Record> = trace
        .records
        .iter()
        .filter(|r| match r {
            Record::Segment { conn: c, .. } => *c == Some(conn),
            Record::State { conn: c, .. } => *c == conn,
        })
        .collect();
    let (left, right) = records.iter().find_map(|r| match r {
        Record::Segment {
            ev: TraceEvent::Send,
            from,
            to,
            ..
        } => Some((*from, *to)),
        _ => None,
    })?;
    // Relative numbers, as Wireshark shows them: each side's from its first sequence
    // number in this connection (its ISN, when the SYN is part of the trace).
    let first_seq = |host: Addr| {
        records.iter().find_map(|r| match r {
            Record::Segment {
                ev: TraceEvent::Send,
                from,
                seg,
                ..
            } if *from == host => Some(seg.seq.0),
            _ => None,
        })
    };
    let bases =
        (!options.absolute).then(|| (first_seq(left).unwrap_or(0), first_seq(right).unwrap_or(0)));
    let mut lines = Ladder::build(&records, left, bases);
    lines.retain(|l| {
        options.from.is_none_or(|from| l.sent >= from)
            && options.until.is_none_or(|until| l.sent <= until)
    });
    let mut out = String::new();
    // Each side's port, from any segment it sent or was sent (a server that never got
    // a segment still has the port the client aimed at).
    let port = |host: Addr| {
        records.iter().find_map(|r| match r {
            Record::Segment { from, seg, .. } if *from == host => Some(seg.src_port),
            Record::Segment { to, seg, .. } if *to == host => Some(seg.dst_port),
            _ => None,
        })
    };
    let _ = writeln!(
        out,
        "connection {conn}: {}:{} → {}:{} ({})\n",
        trace.host(left),
        port(left).unwrap_or(0),
        trace.host(right),
        port(right).unwrap_or(0),
        if options.absolute {
            "absolute seq and ack"
        } else {
            "relative seq and ack"
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
        trace.host(left),
        "",
        trace.host(right),
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
            l.arrived.map(fmt_time).unwrap_or_default(),
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
    arrived: Option<Time>,
}

struct Ladder;

impl Ladder {
    fn build(records: &[&Record], left: Addr, bases: Option<(u32, u32)>) -> Vec<Line> {
        // Each side's state after record i: replay the state changes.
        let mut left_state = State::Closed;
        let mut right_state = State::Closed;
        let mut after: Vec<(State, State)> = Vec::with_capacity(records.len());
        for r in records {
            if let Record::State { host, to, .. } = r {
                if Addr::from(*host) == left {
                    left_state = *to;
                } else {
                    right_state = *to;
                }
            }
            after.push((left_state, right_state));
        }
        // A receiver's state after a segment: after the state changes its stack makes on
        // receipt (the records right behind the receipt), before its application reacts.
        let settled = |i: usize, host: Addr| -> State {
            let mut j = i;
            while j + 1 < records.len()
                && matches!(records[j + 1], Record::State { host: h, cause, .. } if Addr::from(*h) == host && *cause != Cause::App)
            {
                j += 1;
            }
            if host == left {
                after[j].0
            } else {
                after[j].1
            }
        };
        let mut matched = vec![false; records.len()];
        let mut explained = vec![false; records.len()];
        let mut lines = Vec::new();
        for (i, r) in records.iter().enumerate() {
            match r {
                Record::Segment {
                    ev: TraceEvent::Send,
                    t,
                    from,
                    seg,
                    ..
                } => {
                    // The arrival: the first unmatched receipt of the same segment.
                    let arrival = (i + 1..records.len()).find(|&j| {
                        !matched[j]
                            && matches!(records[j], Record::Segment { ev: TraceEvent::Recv, from: f, seg: s, .. } if f == from && s == seg)
                    });
                    let lost = records[i + 1..].iter().take_while(|x| time(x) == *t).any(|x| {
                        matches!(x, Record::Segment { ev: TraceEvent::Drop, seg: s, from: f, .. } if s == seg && f == from)
                    });
                    let (arrived, receiver_state) = match arrival {
                        Some(j) if !lost => {
                            matched[j] = true;
                            mark_states(records, j, &mut explained);
                            (
                                Some(time(records[j])),
                                Some(settled(j, other(records, *from, left))),
                            )
                        }
                        _ => (None, None),
                    };
                    mark_states(records, i, &mut explained);
                    // A stack changes state before it sends, so the sender's state at the
                    // send is exact; the receiver's is taken once its reaction settles.
                    let sender_state = Some(if *from == left {
                        after[i].0
                    } else {
                        after[i].1
                    });
                    let to_right = *from == left;
                    let (arrow_in, arrow_out) = match (to_right, arrived.is_some()) {
                        (true, true) => ("-->", "-->"),
                        (true, false) => ("-->", "--x"),
                        (false, true) => ("<--", "<--"),
                        (false, false) => ("x--", "<--"),
                    };
                    let (left_state, right_state) = if to_right {
                        (sender_state, receiver_state)
                    } else {
                        (receiver_state, sender_state)
                    };
                    lines.push(Line {
                        sent: *t,
                        left_state,
                        right_state,
                        arrow_in,
                        arrow_out,
                        segment: rfc_segment(
                            seg,
                            match bases {
                                None => (0, 0),
                                Some((l, r)) if to_right => (l, r),
                                Some((l, r)) => (r, l),
                            },
                        ),
                        arrived,
                    });
                }
                Record::State { .. } => {}
                _ => {}
            }
        }
        // State changes no segment explains: a timer's doing.
        for (i, r) in records.iter().enumerate() {
            if let Record::State { t, host, to, .. } = r {
                if !explained[i] {
                    let (l, rt) = if Addr::from(*host) == left {
                        (Some(*to), None)
                    } else {
                        (None, Some(*to))
                    };
                    lines.push(Line {
                        sent: *t,
                        left_state: l,
                        right_state: rt,
                        arrow_in: "   ",
                        arrow_out: "   ",
                        segment: "(timer)".to_string(),
                        arrived: None,
                    });
                }
            }
        }
        lines.sort_by_key(|l| l.sent);
        lines
    }
}

fn time(r: &Record) -> Time {
    match r {
        Record::Segment { t, .. } | Record::State { t, .. } => *t,
    }
}

/// The host at the other end of the ladder from `host`.
fn other(records: &[&Record], host: Addr, left: Addr) -> Addr {
    if host != left {
        return left;
    }
    records
        .iter()
        .find_map(|r| match r {
            Record::Segment { from, to, .. } if *from == left => Some(*to),
            _ => None,
        })
        .unwrap_or(left)
}

/// Marks the state changes around segment record `i` (the same instant) as explained.
fn mark_states(records: &[&Record], i: usize, explained: &mut [bool]) {
    let t = time(records[i]);
    let mut j = i;
    while j > 0 && time(records[j - 1]) == t {
        j -= 1;
    }
    while j < records.len() && time(records[j]) == t {
        if matches!(records[j], Record::State { .. }) {
            explained[j] = true;
        }
        j += 1;
    }
}
