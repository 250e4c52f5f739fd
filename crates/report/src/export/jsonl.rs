//! The machine-readable record of one run: one JSON object a line, in time order
//! (DESIGN.md, "Command line"; docs/reference.md).

use serde_json::{json, Value};
use synack_world::ids::Addr;
use synack_world::trace::{Cause, Record, Trace, TraceEvent};

/// One JSON object a line, in time order, as DESIGN.md defines them.
pub fn jsonl(trace: &Trace) -> String {
    let mut out = String::new();
    for r in &trace.records {
        let line = match r {
            Record::Segment {
                t,
                ev,
                packet,
                from,
                to,
                conn,
                seg,
                channel,
            } => {
                let (name, host) = event(*ev, *from, *to);
                let mut v = json!({
                    "t": t.as_nanos(),
                    "ev": name,
                    "packet": packet.0,
                    "host": trace.host(host),
                    "conn": conn.map(|c| c.0),
                    "src": format!("{}:{}", trace.host(*from), seg.src_port),
                    "dst": format!("{}:{}", trace.host(*to), seg.dst_port),
                    "flags": seg.flags.to_string(),
                    "seq": seg.seq.0,
                    "ack": seg.ack.0,
                    "len": seg.len,
                    "wnd": seg.window,
                });
                if let (TraceEvent::Drop, Some(c)) = (ev, channel) {
                    v["link"] = trace.link_of(*c).0.into();
                }
                v
            }
            Record::State {
                t,
                host,
                conn,
                from,
                to,
                cause,
            } => json!({
                "t": t.as_nanos(),
                "ev": "state",
                "host": trace.host((*host).into()),
                "conn": conn.0,
                "from": from.to_string(),
                "to": to.to_string(),
                "cause": cause_json(cause),
            }),
        };
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

/// A segment event's name and the host it happened at: the sender for sends and drops, the
/// receiver for receipts.
fn event(ev: TraceEvent, from: Addr, to: Addr) -> (&'static str, Addr) {
    match ev {
        TraceEvent::Send => ("send", from),
        TraceEvent::Recv => ("recv", to),
        TraceEvent::Drop => ("drop", from),
    }
}

/// What caused a change of state: `{"packet": id}`, `"timer"` or `"app"`.
fn cause_json(cause: &Cause) -> Value {
    match cause {
        Cause::Packet(p) => json!({ "packet": p.0 }),
        Cause::Timer => "timer".into(),
        Cause::App => "app".into(),
    }
}
