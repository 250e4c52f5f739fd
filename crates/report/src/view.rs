//! The views of one run's trace, as `synack trace --format` names them: one connection's
//! ladder as text ([`crate::ladder`]), Mermaid or SVG ([`crate::export`]), the whole run as
//! JSON lines or a capture file, and the state machine's summary ([`crate::states`]).

use std::ops::ControlFlow;

use synack_sim::Time;
use synack_world::ids::FlowId;
use synack_world::trace::{ConnectionCount, Names, Seen, Sink, Trace};

use crate::export::pcap::PcapError;
use crate::export::{jsonl, mermaid, pcap, svg};
use crate::ladder::{ladder, LadderOptions};
use crate::states;

/// One way of showing a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// One connection's packet ladder, as text.
    Ladder,
    /// Every record, one JSON object a line.
    Jsonl,
    /// Every segment sent, as a capture file (binary).
    Pcap,
    /// One connection as a Mermaid sequence diagram.
    Mermaid,
    /// One connection's ladder drawn to scale.
    Svg,
    /// Each endpoint's states with times, and RFC 9293's state diagram with every transition
    /// counted.
    States,
}

/// Why a view could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// The connection asked for is not in the run (ladder, mermaid, svg).
    #[error("this run has {count} connection(s){}", numbered(*count))]
    NoSuchConnection { count: usize },
    #[error(transparent)]
    Pcap(#[from] PcapError),
    #[error("cannot write the view: {0}")]
    Write(#[from] std::io::Error),
}

fn numbered(count: usize) -> String {
    if count == 0 {
        " (no TCP workload?)".to_string()
    } else {
        format!(", numbered 0 to {}", count - 1)
    }
}

impl View {
    /// Whether the view draws one connection (the first, 0, unless one is named).
    pub fn one_connection(self) -> bool {
        matches!(self, View::Ladder | View::Mermaid | View::Svg)
    }

    /// Whether the view shows sequence numbers relative to each side's ISN (and so has an
    /// `absolute` option): the one-connection views. JSON lines and the capture always
    /// carry absolute numbers; the states show none.
    pub fn has_relative_numbers(self) -> bool {
        self.one_connection()
    }
}

/// What the views of a whole run keep of it: one connection's records, if one is named,
/// and those of a time window ([`LadderOptions::from`] and `until`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Filter {
    pub connection: Option<FlowId>,
    pub from: Option<Time>,
    pub until: Option<Time>,
}

impl Filter {
    pub fn new(connection: Option<FlowId>, options: &LadderOptions) -> Filter {
        Filter {
            connection,
            from: options.from,
            until: options.until,
        }
    }

    /// Whether a record is in the time window (its time: a send's, a receipt's, a drop's or
    /// a change of state's) and, if a connection is named, belongs to it (a receipt with the
    /// connection that took it, a drop with its packet's).
    pub fn keeps(&self, seen: &Seen<'_>) -> bool {
        let t = seen.t();
        self.from.is_none_or(|from| t >= from)
            && self.until.is_none_or(|until| t <= until)
            && self.connection.is_none_or(|c| seen.conn() == Some(c))
    }
}

/// The bytes of `view` of a trace kept in memory: UTF-8 text for every view but
/// [`View::Pcap`]. `connection` and `options` choose what the views show (see [`write`]).
pub fn render(
    view: View,
    trace: &Trace,
    connection: Option<FlowId>,
    options: &LadderOptions,
) -> Result<Vec<u8>, ViewError> {
    let mut out = Vec::new();
    let play = |sink: &mut dyn Sink| {
        let _ = trace.replay(sink);
    };
    write(view, trace.names(), play, connection, options, &mut out)?;
    Ok(out)
}

/// Writes `view` of the run `play` plays (into the sink it is handed: a traced world, or a
/// trace's replay) to `out`, the host and link names from `names`. The one-connection views
/// draw `connection` (0 if `None`); the views of the whole run (JSON lines, the capture,
/// the states) show only `connection`'s records when it is given. Every view shows only the
/// records in the time window of `options`; `options.absolute` is for the views with
/// relative numbers ([`View::has_relative_numbers`]).
///
/// Nothing holds the run whole: JSON lines and the capture are written a record at a time
/// as the run makes them; the states keep a line per endpoint and the counts; the
/// one-connection views keep that connection's records ([`Trace::of_connection`]). A
/// connection the run does not have is an error once the run is over: no record was kept,
/// so nothing was written (not even the capture's header).
pub fn write(
    view: View,
    names: &Names,
    play: impl FnOnce(&mut dyn Sink),
    connection: Option<FlowId>,
    options: &LadderOptions,
    out: &mut dyn std::io::Write,
) -> Result<(), ViewError> {
    let filter = Filter::new(connection, options);
    let no_such = |count: ConnectionCount| ViewError::NoSuchConnection { count: count.get() };
    if view.one_connection() {
        let drawn = connection.unwrap_or(FlowId(0));
        let mut trace = Trace::of_connection(names.clone(), drawn);
        play(&mut trace);
        let drawing = match view {
            View::Ladder => ladder(&trace, drawn, options),
            View::Mermaid => mermaid::sequence_diagram(&trace, drawn, options),
            _ => svg::ladder(&trace, drawn, options),
        };
        let bytes = drawing.ok_or_else(|| no_such(trace.connection_count()))?;
        return Ok(out.write_all(bytes.as_bytes())?);
    }
    let mut count = ConnectionCount::default();
    let counted = |sink: &mut dyn Sink| {
        play(&mut Counting {
            count: &mut count,
            sink,
        })
    };
    let missing = |count: ConnectionCount| connection.is_some_and(|c| !count.has(c));
    match view {
        View::Jsonl => {
            let mut lines = jsonl::JsonLines::new(names, filter, out);
            counted(&mut lines);
            lines.finish()?;
            if missing(count) {
                return Err(no_such(count));
            }
        }
        View::Pcap => {
            let mut capture = pcap::Capture::new(filter, out);
            counted(&mut capture);
            if missing(count) {
                return Err(no_such(count));
            }
            capture.finish()?;
        }
        _ => {
            let mut states = states::States::new(filter);
            counted(&mut states);
            if missing(count) {
                return Err(no_such(count));
            }
            out.write_all(states.render(names).as_bytes())?;
        }
    }
    Ok(())
}

/// Counts a run's connections on the way to `sink`.
struct Counting<'a> {
    count: &'a mut ConnectionCount,
    sink: &'a mut dyn Sink,
}

impl Sink for Counting<'_> {
    fn see(&mut self, seen: Seen<'_>) -> ControlFlow<()> {
        self.count.see(&seen);
        self.sink.see(seen)
    }
}
