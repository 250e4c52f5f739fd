//! The machine-readable record of one run: one JSON object a line, in time order
//! (DESIGN.md, "Command line"; docs/reference.md).

use std::io::{self, Write};
use std::ops::ControlFlow;

use serde_json::{json, Value};
use synack_sim::Time;
use synack_tcp::{Ecn, Options};
use synack_world::ids::{ChannelId, FlowId};
use synack_world::trace::{Cause, Names, Seen, Sent, Sink, Trace};

use crate::view::Filter;

/// One JSON object a line, in time order, as DESIGN.md defines them.
pub fn jsonl(trace: &Trace) -> String {
    let mut out = Vec::new();
    write_jsonl(trace, &mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// [`jsonl`], written to `out` a line at a time.
pub fn write_jsonl(trace: &Trace, out: &mut dyn Write) -> io::Result<()> {
    let mut lines = JsonLines::new(trace.names(), Filter::default(), out);
    let _ = trace.replay(&mut lines);
    lines.finish()
}

/// A sink that writes each record `filter` keeps as a line of JSON as the run hands it
/// over: the output is never held, whatever the length of the run.
pub struct JsonLines<'a> {
    names: &'a Names,
    filter: Filter,
    out: &'a mut dyn Write,
    /// The first write that failed: the run stops there.
    failed: Option<io::Error>,
    line: Vec<u8>,
}

impl<'a> JsonLines<'a> {
    pub fn new(names: &'a Names, filter: Filter, out: &'a mut dyn Write) -> JsonLines<'a> {
        JsonLines {
            names,
            filter,
            out,
            failed: None,
            line: Vec::new(),
        }
    }

    /// Flushes the output; the first error of any write.
    pub fn finish(self) -> io::Result<()> {
        match self.failed {
            Some(e) => Err(e),
            None => self.out.flush(),
        }
    }
}

impl Sink for JsonLines<'_> {
    fn see(&mut self, seen: Seen<'_>) -> ControlFlow<()> {
        if !self.filter.keeps(&seen) {
            return ControlFlow::Continue(());
        }
        let names = self.names;
        let value = match seen {
            Seen::Send(s) => segment(names, s.t, Event::Send, s.conn, s),
            Seen::Recv { t, sent, conn, ce } => {
                let mut v = segment(names, t, Event::Recv, conn, sent);
                if ce {
                    v["ecn"] = "ce".into();
                }
                v
            }
            Seen::Drop { t, sent, channel } => {
                segment(names, t, Event::Drop(channel), sent.conn, sent)
            }
            Seen::State(c) => json!({
                "t": c.t.as_nanos(),
                "ev": "state",
                "host": names.host(c.host.into()),
                "conn": c.conn.0,
                "from": c.from.to_string(),
                "to": c.to.to_string(),
                "cause": cause_json(&c.cause),
            }),
        };
        self.line.clear();
        serde_json::to_writer(&mut self.line, &value).expect("a JSON value serialises");
        self.line.push(b'\n');
        match self.out.write_all(&self.line) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.failed = Some(e);
                ControlFlow::Break(())
            }
        }
    }
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
fn segment(names: &Names, t: Time, ev: Event, conn: Option<FlowId>, s: &Sent) -> Value {
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
        "host": names.host(host),
        "conn": conn.map(|c| c.0),
        "src": format!("{}:{}", names.host(s.from), seg.src_port),
        "dst": format!("{}:{}", names.host(s.to), seg.dst_port),
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
        v["link"] = names.link_of(c).0.into();
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
