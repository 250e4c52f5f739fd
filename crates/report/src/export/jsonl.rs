//! The machine-readable record of one run: one JSON object a line, in time order
//! (DESIGN.md, "Command line"; docs/reference.md).

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
                let (name, host) = match ev {
                    TraceEvent::Send => ("send", *from),
                    TraceEvent::Recv => ("recv", *to),
                    TraceEvent::Drop => ("drop", *from),
                };
                let mut v = serde_json::json!({
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
            } => serde_json::json!({
                "t": t.as_nanos(),
                "ev": "state",
                "host": trace.host((*host).into()),
                "conn": conn.0,
                "from": from.to_string(),
                "to": to.to_string(),
                "cause": match cause {
                    Cause::Packet(p) => serde_json::json!({ "packet": p.0 }),
                    Cause::Timer => "timer".into(),
                    Cause::App => "app".into(),
                },
            }),
        };
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}
