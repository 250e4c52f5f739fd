//! The machine-readable record of one run: one JSON object a line, in time order
//! (DESIGN.md, "Command line"; docs/reference.md).

use std::io::{self, Write};

use serde_json::{json, Value};
use synack_sim::Time;
use synack_tcp::{Ecn, Options};
use synack_world::ids::{ChannelId, FlowId, PacketId};
use synack_world::trace::{Cause, Record, Sent, Trace};

/// One JSON object a line, in time order, as DESIGN.md defines them.
pub fn jsonl(trace: &Trace) -> String {
    let mut out = Vec::new();
    write_jsonl(trace, &mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// [`jsonl`], written to `out` a line at a time: the output is never held whole, whatever
/// the length of the run.
pub fn write_jsonl(trace: &Trace, out: &mut dyn Write) -> io::Result<()> {
    write_jsonl_of(trace, &|_| true, out)
}

/// [`write_jsonl`] of the records `keep` keeps (a time window, a connection).
pub fn write_jsonl_of(
    trace: &Trace,
    keep: &dyn Fn(&Record) -> bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    for r in trace.records().iter().filter(|r| keep(r)) {
        let line = match *r {
            Record::Send(ref s) => segment(trace, s.t, Event::Send, s.conn, s),
            Record::Recv {
                t,
                packet,
                conn,
                ce,
            } => {
                let mut v = segment(trace, t, Event::Recv, conn, sent(trace, packet));
                if ce {
                    v["ecn"] = "ce".into();
                }
                v
            }
            Record::Drop { t, packet, channel } => {
                let s = sent(trace, packet);
                segment(trace, t, Event::Drop(channel), s.conn, s)
            }
            Record::State {
                t,
                host,
                conn,
                from,
                to,
                ref cause,
            } => json!({
                "t": t.as_nanos(),
                "ev": "state",
                "host": trace.host(host.into()),
                "conn": conn.0,
                "from": from.to_string(),
                "to": to.to_string(),
                "cause": cause_json(cause),
            }),
        };
        let mut text = line.to_string();
        text.push('\n');
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

/// The send of a packet a receipt or a drop names: recorded before it in every trace.
fn sent(trace: &Trace, packet: PacketId) -> &Sent {
    trace
        .sent(packet)
        .expect("a trace records each packet's send before its receipts and drop")
}

/// What happened to a segment.
#[derive(Clone, Copy)]
enum Event {
    Send,
    Recv,
    /// Lost on this channel.
    Drop(ChannelId),
}

/// Event `ev` at time `t` of the segment sent as `s`, recorded with connection `conn`: at
/// the sender for sends and drops, at the receiver for receipts; a drop names its link.
fn segment(trace: &Trace, t: Time, ev: Event, conn: Option<FlowId>, s: &Sent) -> Value {
    let (name, host) = match ev {
        Event::Send => ("send", s.from),
        Event::Recv => ("recv", s.to),
        Event::Drop(_) => ("drop", s.from),
    };
    let seg = &s.seg;
    let mut v = json!({
        "t": t.as_nanos(),
        "ev": name,
        "packet": s.packet.0,
        "host": trace.host(host),
        "conn": conn.map(|c| c.0),
        "src": format!("{}:{}", trace.host(s.from), seg.src_port),
        "dst": format!("{}:{}", trace.host(s.to), seg.dst_port),
        "flags": seg.flags.to_string(),
        "seq": seg.seq.0,
        "ack": seg.ack.0,
        "len": seg.len,
        "wnd": seg.window,
    });
    if seg.opts != Options::default() {
        v["opts"] = options_json(&seg.opts);
    }
    // The IP ECN field, only when set (RFC 3168 §5): a `recv` shows a queue's CE mark.
    match seg.ecn {
        Ecn::NotEct => {}
        Ecn::Ect0 => v["ecn"] = "ect0".into(),
        Ecn::Ect1 => v["ecn"] = "ect1".into(),
        Ecn::Ce => v["ecn"] = "ce".into(),
    }
    if let Event::Drop(c) = ev {
        v["link"] = trace.link_of(c).0.into();
    }
    v
}

/// A segment's options, those it carries only: `mss`, `wscale`, `sackOK`, `ts` as
/// `[val, ecr]`, `sack` as `[[left, right], …]`.
fn options_json(o: &Options) -> Value {
    let mut v = json!({});
    if let Some(mss) = o.mss {
        v["mss"] = mss.into();
    }
    if let Some(shift) = o.wscale {
        v["wscale"] = shift.into();
    }
    if o.sack_permitted {
        v["sackOK"] = true.into();
    }
    if let Some(ts) = o.timestamp {
        v["ts"] = json!([ts.val, ts.ecr]);
    }
    if !o.sack.is_empty() {
        let blocks: Vec<Value> = (o.sack.as_slice().iter())
            .map(|(l, r)| json!([l.0, r.0]))
            .collect();
        v["sack"] = blocks.into();
    }
    v
}

/// What caused a change of state: `{"packet": id}`, `"timer"` or `"app"`.
fn cause_json(cause: &Cause) -> Value {
    match cause {
        Cause::Packet(p) => json!({ "packet": p.0 }),
        Cause::Timer => "timer".into(),
        Cause::App => "app".into(),
    }
}
