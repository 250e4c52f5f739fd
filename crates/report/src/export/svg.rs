//! One connection's packet ladder drawn as an SVG picture, in the style of the textbooks'
//! timing diagrams: the client's time axis on the left, the server's on the right, time
//! running down; each segment a slanted arrow from its send to its arrival, so the slope
//! shows the delay; a lost segment stops half-way in a cross; each endpoint's state written
//! beside its axis where it changes; a time scale down the left edge.
//!
//! The vertical scale is linear in time — one typical one-way delay is [`TRANSIT_PX`]
//! pixels — with two departures, both visible in the picture:
//! - events closer together than a line of text are pushed apart to one line
//!   ([`ROW`]), so every label stays legible (several events at one instant, such as an ACK
//!   and a data segment sent together, get a line each);
//! - a stretch with nothing happening that lasts longer than four typical delays (a
//!   retransmission timeout, TIME-WAIT) is cut out and marked with its length.
//!
//! The time scale names the instant of every labelled event, so the picture never lies
//! about when something happened, only about how long the cut gaps were drawn.
//!
//! A segment that was never received but not lost on a link either (sent to a spoofed
//! address, or in flight when the run ended) is a dashed line to half-way; its tooltip says
//! which. A copy a link delivered again (a duplicate, a stale copy) is a thin second arrow,
//! unlabelled, from the segment's send to the copy's arrival.
//!
//! Made for handshakes, teardowns and short exchanges: a bulk transfer with a window of
//! segments in flight draws correctly but densely (each event gets its line, so the picture
//! grows with the number of segments), and its labels crowd; use `--from`/`--until`.
//!
//! The text is written by hand; it uses generic font families (`sans-serif`, `monospace`)
//! only, so it renders the same with no particular fonts installed.

use std::fmt::Write as _;

use synack_tcp::State;

use crate::conversation::{Conversation, Fate, Flight, LadderOptions, Step};
use synack_world::ids::FlowId;
use synack_world::trace::Trace;

/// Vertical pixels for one typical one-way delay.
pub const TRANSIT_PX: f64 = 90.0;
/// The least vertical distance between two events (one line of label text).
pub const ROW: f64 = 18.0;
/// Height of a cut-out idle stretch.
const BREAK_PX: f64 = 56.0;
/// A stretch with no event longer than this many typical delays is cut out.
const BREAK_AFTER: u64 = 4;

/// Font size of segment labels and times; monospace glyphs are 0.6 em wide.
const FONT: f64 = 12.0;
const CHAR_W: f64 = FONT * 0.6;

const TIME_RIGHT: f64 = 84.0;
const STATE_W: f64 = 112.0;
const CLIENT_X: f64 = TIME_RIGHT + 16.0 + STATE_W;
const TOP: f64 = 96.0;

const CLIENT_COLOR: &str = "#1f4e9c";
const SERVER_COLOR: &str = "#a3470c";
const LOST_COLOR: &str = "#c62828";
const AXIS_COLOR: &str = "#333333";
const MUTED: &str = "#6b6b6b";

/// The SVG picture of connection `conn` as `options` show it (relative or absolute numbers,
/// a time window), or `None` if the run has no such connection.
pub fn ladder(trace: &Trace, conn: FlowId, options: &LadderOptions) -> Option<String> {
    let c = Conversation::of(trace, conn, options)?;
    let layout = Layout::new(&c);
    Some(Picture::new(trace, conn, &c, &layout).draw())
}

/// Something drawn at one point of an axis, in the order the axis meets it at one instant:
/// segments arrive, the state changes, segments leave (`Kind`'s order).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Arrive,
    State,
    Send,
}

#[derive(Clone, Copy)]
struct Mark {
    t: u64,
    /// On the client's axis (else the server's).
    client: bool,
    kind: Kind,
    what: What,
}

#[derive(Clone, Copy)]
enum What {
    Send(usize),
    Arrive(usize),
    /// Copy `.1` (from 1) of flight `.0` arrives.
    Copy(usize, usize),
    /// Where a segment that never arrived is drawn to end: half-way.
    Vanish(usize),
    State(State),
}

/// Where everything goes vertically.
struct Layout {
    marks: Vec<Mark>,
    /// The y of each mark.
    y: Vec<f64>,
    /// The y of each flight's send, and of its arrival (or vanishing point).
    sent_y: Vec<f64>,
    end_y: Vec<f64>,
    /// The y of each flight's copies.
    copy_y: Vec<Vec<f64>>,
    /// The line of its instant each flight left on.
    send_line: Vec<usize>,
    /// Each instant with an event of its own (not only a vanishing point): its time and y.
    ticks: Vec<(u64, f64)>,
    /// Cut-out idle stretches: top, bottom, and the time they stand for (ns).
    breaks: Vec<(f64, f64, u64)>,
    bottom: f64,
}

impl Layout {
    fn new(c: &Conversation) -> Layout {
        let typical = typical_transit(&c.flights, None);
        let marks = marks(c);
        let px_per_ns = TRANSIT_PX / typical as f64;
        let break_after = typical.saturating_mul(BREAK_AFTER);
        let mut layout = Layout {
            y: vec![0.0; marks.len()],
            marks: Vec::new(),
            sent_y: vec![0.0; c.flights.len()],
            end_y: vec![0.0; c.flights.len()],
            copy_y: c
                .flights
                .iter()
                .map(|f| vec![0.0; f.copies.len()])
                .collect(),
            send_line: vec![0; c.flights.len()],
            ticks: Vec::new(),
            breaks: Vec::new(),
            bottom: TOP,
        };
        let mut previous: Option<u64> = None;
        let mut start = 0;
        while start < marks.len() {
            let t = marks[start].t;
            let end = start + marks[start..].iter().take_while(|m| m.t == t).count();
            let top = match previous {
                None => TOP,
                Some(p) if t - p > break_after => {
                    layout
                        .breaks
                        .push((layout.bottom, layout.bottom + BREAK_PX, t - p));
                    layout.bottom + BREAK_PX
                }
                Some(p) => layout.bottom + ((t - p) as f64 * px_per_ns).max(ROW),
            };
            layout.bottom = top + ROW * layout.place(&marks[start..end], start, top) as f64;
            if marks[start..end]
                .iter()
                .any(|m| !matches!(m.what, What::Vanish(_)))
            {
                layout.ticks.push((t, top));
            }
            previous = Some(t);
            start = end;
        }
        for (m, &y) in marks.iter().zip(&layout.y) {
            match m.what {
                What::Send(i) => layout.sent_y[i] = y,
                What::Arrive(i) | What::Vanish(i) => layout.end_y[i] = y,
                What::Copy(i, k) => layout.copy_y[i][k - 1] = y,
                What::State(_) => {}
            }
        }
        layout.marks = marks;
        layout
    }

    /// Places the marks of one instant, each axis on its own: a mark takes the current line
    /// unless that line already holds a mark that must come after or beside it. A
    /// vanishing point keeps the line its segment left on, so that a lost segment runs
    /// parallel to the delivered ones sent with it. Returns the number of extra lines used.
    fn place(&mut self, marks: &[Mark], first: usize, top: f64) -> usize {
        let mut line = [0usize; 2];
        let mut last: [Option<Kind>; 2] = [None; 2];
        let mut extra = 0;
        for (k, m) in marks.iter().enumerate() {
            let on = if let What::Vanish(i) = m.what {
                self.send_line[i]
            } else {
                let side = usize::from(m.client);
                if last[side].is_some_and(|l| m.kind <= l) {
                    line[side] += 1;
                }
                last[side] = Some(m.kind);
                if let What::Send(i) = m.what {
                    self.send_line[i] = line[side];
                }
                line[side]
            };
            extra = extra.max(on);
            self.y[first + k] = top + ROW * on as f64;
        }
        extra
    }
}

/// Every mark, in time order: the steps, and where each segment that never arrived ends.
fn marks(c: &Conversation) -> Vec<Mark> {
    let half = |from_client: bool| typical_transit(&c.flights, Some(from_client)) / 2;
    let mut marks: Vec<Mark> = c.steps.iter().map(|s| mark(c, *s)).collect();
    for (i, f) in c.flights.iter().enumerate() {
        if !matches!(f.fate, Fate::Arrived(_)) {
            marks.push(Mark {
                t: f.sent.as_nanos() + half(f.from_client),
                client: !f.from_client,
                kind: Kind::Arrive,
                what: What::Vanish(i),
            });
        }
    }
    // Stable: records keep their order within an instant; vanishing points come last.
    marks.sort_by_key(|m| m.t);
    marks
}

fn mark(c: &Conversation, step: Step) -> Mark {
    match step {
        Step::Send(i) => Mark {
            t: c.flights[i].sent.as_nanos(),
            client: c.flights[i].from_client,
            kind: Kind::Send,
            what: What::Send(i),
        },
        Step::Receive(i, k) => Mark {
            t: c.flights[i]
                .receipt(k)
                .expect("a receive step names a receipt of its flight")
                .t
                .as_nanos(),
            client: !c.flights[i].from_client,
            kind: Kind::Arrive,
            what: if k == 0 {
                What::Arrive(i)
            } else {
                What::Copy(i, k)
            },
        },
        Step::Change(i) => {
            let ch = &c.changes[i];
            Mark {
                t: ch.t.as_nanos(),
                client: ch.client,
                kind: Kind::State,
                what: What::State(ch.to),
            }
        }
    }
}

/// The median one-way delay of the flights that arrived (sent by the client, the server,
/// or either); failing that, of either direction; failing that, 1 ms. Never zero.
fn typical_transit(flights: &[Flight], from_client: Option<bool>) -> u64 {
    let transits = |dir: Option<bool>| {
        let mut v: Vec<u64> = flights
            .iter()
            .filter(|f| dir.is_none_or(|d| f.from_client == d))
            .filter_map(|f| match f.fate {
                Fate::Arrived(r) => Some(r.t.as_nanos() - f.sent.as_nanos()),
                _ => None,
            })
            .collect();
        v.sort_unstable();
        v.get(v.len() / 2).copied()
    };
    transits(from_client)
        .or_else(|| transits(None))
        .filter(|&t| t > 0)
        .unwrap_or(1_000_000)
}

/// The drawing, with its horizontal layout.
struct Picture<'a> {
    title: String,
    client_name: String,
    server_name: String,
    client_port: u16,
    server_port: u16,
    c: &'a Conversation,
    layout: &'a Layout,
    server_x: f64,
    width: f64,
    height: f64,
}

impl<'a> Picture<'a> {
    fn new(trace: &Trace, conn: FlowId, c: &'a Conversation, layout: &'a Layout) -> Picture<'a> {
        // Labels start at their sender's end of the arrow; leave room for one from each
        // side to pass without touching where two arrows cross.
        let widest = c
            .flights
            .iter()
            .map(|f| c.label(f).len())
            .max()
            .unwrap_or(0) as f64
            * CHAR_W;
        let gap = (2.0 * (widest + 2.0 * LABEL_INSET) + 40.0).max(440.0);
        let server_x = CLIENT_X + gap;
        let client_name = trace.host(c.client).into_owned();
        let server_name = trace.host(c.server).into_owned();
        Picture {
            title: format!(
                "connection {conn}: {client_name}:{} → {server_name}:{}",
                c.client_port, c.server_port
            ),
            client_name,
            server_name,
            client_port: c.client_port,
            server_port: c.server_port,
            c,
            layout,
            server_x,
            width: server_x + 16.0 + STATE_W + 12.0,
            // Room for the legend, and for its line on copies if there are any.
            height: layout.bottom
                + 154.0
                + if c.flights.iter().any(|f| !f.copies.is_empty()) {
                    ROW
                } else {
                    0.0
                },
        }
    }

    fn draw(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif">"#,
            w = fmt(self.width),
            h = fmt(self.height)
        );
        let _ = writeln!(out, "<title>{}</title>", xml(&self.title));
        out.push_str(&defs());
        let _ = writeln!(
            out,
            r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
        );
        self.header(&mut out);
        self.axes(&mut out);
        self.time_scale(&mut out);
        self.states(&mut out);
        for i in 0..self.c.flights.len() {
            self.arrow(&mut out, i);
            self.copies(&mut out, i);
        }
        self.legend(&mut out);
        out.push_str("</svg>\n");
        out
    }

    fn header(&self, out: &mut String) {
        let _ = writeln!(
            out,
            r#"<text x="{}" y="28" font-size="15" font-weight="bold" fill="{AXIS_COLOR}" text-anchor="middle">{}</text>"#,
            fmt((CLIENT_X + self.server_x) / 2.0),
            xml(&self.title)
        );
        for (x, name, port) in [
            (CLIENT_X, &self.client_name, self.client_port),
            (self.server_x, &self.server_name, self.server_port),
        ] {
            let _ = writeln!(
                out,
                r#"<text x="{x}" y="62" font-size="15" font-weight="bold" fill="{AXIS_COLOR}" text-anchor="middle">{}</text>"#,
                xml(name)
            );
            let _ = writeln!(
                out,
                r#"<text x="{x}" y="79" font-size="11" fill="{MUTED}" text-anchor="middle">port {port}</text>"#
            );
        }
        let _ = writeln!(
            out,
            r#"<text x="{TIME_RIGHT}" y="79" font-size="11" fill="{MUTED}" text-anchor="end">time</text>"#
        );
    }

    /// The two time axes, interrupted where idle stretches are cut, ending in an arrowhead.
    fn axes(&self, out: &mut String) {
        let end = self.layout.bottom + 26.0;
        for x in [CLIENT_X, self.server_x] {
            let mut from = TOP - 8.0;
            for &(top, bottom, _) in &self.layout.breaks {
                let (cut_top, cut_bottom) = (top + 18.0, bottom - 18.0);
                line(out, x, from, x, cut_top, AXIS_COLOR, 1.6, "");
                for y in [cut_top, cut_bottom] {
                    line(out, x - 7.0, y + 3.0, x + 7.0, y - 3.0, AXIS_COLOR, 1.6, "");
                }
                from = cut_bottom;
            }
            line(
                out,
                x,
                from,
                x,
                end,
                AXIS_COLOR,
                1.6,
                r#" marker-end="url(#time)""#,
            );
        }
        for &(top, bottom, ns) in &self.layout.breaks {
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" font-size="12" font-style="italic" fill="{MUTED}" text-anchor="middle">{} later</text>"#,
                fmt((CLIENT_X + self.server_x) / 2.0),
                fmt((top + bottom) / 2.0 + 4.0),
                duration(ns)
            );
        }
    }

    /// The time of each event down the left edge, leaving out those too close to the
    /// previous one to print.
    fn time_scale(&self, out: &mut String) {
        let mut last = f64::NEG_INFINITY;
        for &(t, y) in &self.layout.ticks {
            if y - last < 14.0 {
                continue;
            }
            last = y;
            let _ = writeln!(
                out,
                r#"<text x="{TIME_RIGHT}" y="{}" font-family="monospace" font-size="11" fill="{MUTED}" text-anchor="end">{}</text>"#,
                fmt(y + 4.0),
                duration(t)
            );
            line(
                out,
                TIME_RIGHT + 4.0,
                y,
                TIME_RIGHT + 10.0,
                y,
                MUTED,
                1.0,
                "",
            );
        }
    }

    /// Each state change: a dot on the axis and the new state's name beside it, outside.
    fn states(&self, out: &mut String) {
        for (m, y) in self.layout.marks.iter().zip(&self.layout.y) {
            let What::State(state) = m.what else { continue };
            let (x, dx, anchor) = if m.client {
                (CLIENT_X, -10.0, "end")
            } else {
                (self.server_x, 10.0, "start")
            };
            let _ = writeln!(
                out,
                r#"<circle cx="{x}" cy="{}" r="3" fill="{AXIS_COLOR}"/>"#,
                fmt(*y)
            );
            let _ = writeln!(
                out,
                r#"<text class="state" x="{}" y="{}" font-size="12" font-weight="bold" fill="{AXIS_COLOR}" text-anchor="{anchor}">{state}</text>"#,
                fmt(x + dx),
                fmt(*y + 4.0)
            );
        }
    }

    /// Where a flight's arrow starts and points (the sender's and the receiver's lines), and
    /// its sender's colour.
    fn direction(&self, f: &Flight) -> (f64, f64, &'static str) {
        if f.from_client {
            (CLIENT_X, self.server_x, CLIENT_COLOR)
        } else {
            (self.server_x, CLIENT_X, SERVER_COLOR)
        }
    }

    /// One segment: its arrow (or its line to the half-way cross), its label along it, and a
    /// tooltip with the whole header.
    fn arrow(&self, out: &mut String, i: usize) {
        let f = &self.c.flights[i];
        let (y0, y1) = (self.layout.sent_y[i], self.layout.end_y[i]);
        let (x0, x_end, color) = self.direction(f);
        let half = (x0 + x_end) / 2.0;
        let (x1, fate) = match f.fate {
            Fate::Arrived(r) => (x_end, format!("arrived {}", duration(r.t.as_nanos()))),
            Fate::Lost => (half, "lost on the link".to_string()),
            Fate::Vanished => (half, "vanished: sent to a spoofed address".to_string()),
            Fate::InFlight => (half, "still in flight when the run ended".to_string()),
        };
        let kind = match f.fate {
            Fate::Arrived(_) => "segment",
            Fate::Lost => "segment lost",
            Fate::Vanished | Fate::InFlight => "segment unreceived",
        };
        let _ = writeln!(out, r#"<g class="{kind}">"#);
        let _ = writeln!(
            out,
            "<title>{}: sent {}, {fate}; window {}</title>",
            xml(&self.c.label(f)),
            duration(f.sent.as_nanos()),
            f.seg.window
        );
        let style = match f.fate {
            Fate::Arrived(_) => format!(r#" marker-end="url(#{})""#, head_id(f.from_client)),
            Fate::Lost => String::new(),
            Fate::Vanished | Fate::InFlight => r#" stroke-dasharray="5 4""#.to_string(),
        };
        line(out, x0, y0, x1, y1, color, 1.4, &style);
        if f.fate == Fate::Lost {
            for (dx, dy) in [(-6.0, -6.0), (-6.0, 6.0)] {
                line(out, x1 + dx, y1 + dy, x1 - dx, y1 - dy, LOST_COLOR, 2.4, "");
            }
        }
        self.label(out, f, (x0, y0), (x1, y1), color);
        out.push_str("</g>\n");
    }

    /// Flight `i`'s copies: each a thin arrow from the send to where the copy arrived, with a
    /// tooltip.
    fn copies(&self, out: &mut String, i: usize) {
        let f = &self.c.flights[i];
        let (x0, x1, color) = self.direction(f);
        let y0 = self.layout.sent_y[i];
        for (r, &y1) in f.copies.iter().zip(&self.layout.copy_y[i]) {
            out.push_str("<g class=\"copy\">\n");
            let _ = writeln!(
                out,
                "<title>copy of {}: sent {}, arrived again {}</title>",
                xml(&self.c.label(f)),
                duration(f.sent.as_nanos()),
                duration(r.t.as_nanos())
            );
            let head = format!(
                r#" stroke-opacity="0.6" marker-end="url(#{})""#,
                head_id(f.from_client)
            );
            line(out, x0, y0, x1, y1, color, 0.8, &head);
            out.push_str("</g>\n");
        }
    }

    /// The label along the arrow, beginning at the sender's end, reading left to right.
    fn label(&self, out: &mut String, f: &Flight, from: (f64, f64), to: (f64, f64), color: &str) {
        let (dx, dy) = (to.0 - from.0, to.1 - from.1);
        let length = dx.hypot(dy);
        let (ux, uy) = (dx / length, dy / length);
        let (x, y) = (from.0 + ux * LABEL_INSET, from.1 + uy * LABEL_INSET);
        // Angle of the line read left to right, in degrees (SVG's y grows downwards).
        let angle = if dx >= 0.0 {
            dy.atan2(dx)
        } else {
            (-dy).atan2(-dx)
        }
        .to_degrees();
        let anchor = if f.from_client { "start" } else { "end" };
        let _ = writeln!(
            out,
            r##"<text class="label" x="{x}" y="{y}" dy="-5" transform="rotate({a} {x} {y})" font-family="monospace" font-size="{FONT}" fill="{color}" text-anchor="{anchor}" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">{}</text>"##,
            xml(&self.c.label(f)),
            x = fmt(x),
            y = fmt(y),
            a = fmt(angle),
        );
    }

    /// What the marks mean, under the picture.
    fn legend(&self, out: &mut String) {
        let x = CLIENT_X;
        let y = self.layout.bottom + 58.0;
        line(
            out,
            x - 12.0,
            y,
            x + 16.0,
            y,
            CLIENT_COLOR,
            1.4,
            r#" marker-end="url(#head-client)""#,
        );
        for (dx, dy) in [(-5.0, -5.0), (-5.0, 5.0)] {
            let cx = x + 2.0;
            let cy = y + ROW;
            line(out, cx + dx, cy + dy, cx - dx, cy - dy, LOST_COLOR, 2.2, "");
        }
        let numbers = if self.c.relative() {
            "a segment: its flags, seq and ack (relative, as Wireshark counts), payload bytes"
        } else {
            "a segment: its flags, seq and ack (absolute), payload bytes"
        };
        let mut notes = vec![numbers, "lost on the link"];
        if let Some(note) = self.unreceived_note() {
            let y = y + ROW * notes.len() as f64;
            line(
                out,
                x - 12.0,
                y,
                x + 16.0,
                y,
                CLIENT_COLOR,
                1.4,
                r#" stroke-dasharray="5 4""#,
            );
            notes.push(note);
        }
        if self.c.flights.iter().any(|f| !f.copies.is_empty()) {
            let y = y + ROW * notes.len() as f64;
            let head = r#" stroke-opacity="0.6" marker-end="url(#head-client)""#;
            line(out, x - 12.0, y, x + 16.0, y, CLIENT_COLOR, 0.8, head);
            notes.push("a copy the link delivered again (a duplicate or a stale copy)");
        }
        notes.push("time runs down at one scale, except that events closer than a line of text");
        notes.push("are spaced out and idle stretches are cut (their length is written)");
        for (k, note) in notes.iter().enumerate() {
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" font-size="11" fill="{MUTED}">{note}</text>"#,
                fmt(x + 28.0),
                fmt(y + 4.0 + 18.0 * k as f64)
            );
        }
    }

    /// The legend's words for the dashed lines, if there are any: which of the two ways of
    /// never being received the picture holds.
    fn unreceived_note(&self) -> Option<&'static str> {
        let any = |fate: Fate| self.c.flights.iter().any(|f| f.fate == fate);
        match (any(Fate::Vanished), any(Fate::InFlight)) {
            (true, true) => {
                Some("never received: sent to a spoofed address, or the run ended first")
            }
            (true, false) => Some("never received: sent to a spoofed address"),
            (false, true) => Some("never received: still in flight when the run ended"),
            (false, false) => None,
        }
    }
}

/// Distance along an arrow from its sender's end to its label.
const LABEL_INSET: f64 = 56.0;

fn head_id(from_client: bool) -> &'static str {
    if from_client {
        "head-client"
    } else {
        "head-server"
    }
}

/// Arrowheads: one per direction's colour, and the time axes'.
fn defs() -> String {
    let mut s = String::from("<defs>\n");
    for (id, color) in [
        ("head-client", CLIENT_COLOR),
        ("head-server", SERVER_COLOR),
        ("time", AXIS_COLOR),
    ] {
        let _ = writeln!(
            s,
            r#"<marker id="{id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,1 L10,5 L0,9 z" fill="{color}"/></marker>"#
        );
    }
    s.push_str("</defs>\n");
    s
}

#[allow(clippy::too_many_arguments)]
fn line(
    out: &mut String,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    color: &str,
    width: f64,
    extra: &str,
) {
    let _ = writeln!(
        out,
        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{color}" stroke-width="{width}"{extra}/>"#,
        fmt(x0),
        fmt(y0),
        fmt(x1),
        fmt(y1)
    );
}

/// A coordinate with at most two decimals.
fn fmt(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// `0 ms`, `20 ms`, `20.116 ms` below a second; `1.5 s`, `240.06 s` above.
fn duration(ns: u64) -> String {
    let trim = |s: String| s.trim_end_matches('0').trim_end_matches('.').to_string();
    if ns < 1_000_000_000 {
        format!("{} ms", trim(format!("{:.3}", ns as f64 / 1e6)))
    } else {
        format!("{} s", trim(format!("{:.6}", ns as f64 / 1e9)))
    }
}

/// Text with XML's special characters escaped.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(0), "0 ms");
        assert_eq!(duration(20_000_000), "20 ms");
        assert_eq!(duration(20_116_000), "20.116 ms");
        assert_eq!(duration(1_500_000_000), "1.5 s");
        assert_eq!(duration(240_060_000_000), "240.06 s");
    }

    #[test]
    fn coordinates_are_short() {
        assert_eq!(fmt(12.0), "12");
        assert_eq!(fmt(12.345), "12.35");
        assert_eq!(fmt(-0.001), "0");
    }
}
