//! The views of one run's trace, as `synack trace --format` names them: one connection's
//! ladder as text ([`crate::ladder`]), Mermaid or SVG ([`crate::export`]), the whole run as
//! JSON lines or a capture file, and the state machine's summary ([`crate::states`]).

use synack_sim::Time;
use synack_world::ids::FlowId;
use synack_world::trace::{Record, Trace};

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

/// Whether a record is in the time window of `options` (its time: a send's, a receipt's, a
/// drop's or a change of state's) and, if `connection` is given, belongs to it (a receipt
/// or drop with its packet's connection as recorded).
pub fn keeps(
    trace: &Trace,
    connection: Option<FlowId>,
    options: &LadderOptions,
    record: &Record,
) -> bool {
    let (t, conn): (Time, Option<FlowId>) = match record {
        Record::Send(s) => (s.t, s.conn),
        Record::Recv { t, conn, .. } => (*t, *conn),
        Record::Drop { t, packet, .. } => (*t, trace.sent(*packet).and_then(|s| s.conn)),
        Record::State { t, conn, .. } => (*t, Some(*conn)),
    };
    options.from.is_none_or(|from| t >= from)
        && options.until.is_none_or(|until| t <= until)
        && connection.is_none_or(|c| conn == Some(c))
}

/// The bytes of `view` of `trace`: UTF-8 text for every view but [`View::Pcap`].
/// `connection` and `options` choose what the views show (see [`write`]).
pub fn render(
    view: View,
    trace: &Trace,
    connection: Option<FlowId>,
    options: &LadderOptions,
) -> Result<Vec<u8>, ViewError> {
    let mut out = Vec::new();
    write(view, trace, connection, options, &mut out)?;
    Ok(out)
}

/// [`render`], written to `out`. The one-connection views draw `connection` (0 if `None`);
/// the views of the whole run (JSON lines, the capture, the states) show only `connection`'s
/// records when it is given. Every view shows only the records in the time window of
/// `options` ([`keeps`]); `options.absolute` is for the views with relative numbers
/// ([`View::has_relative_numbers`]). JSON lines and the capture are written a record at a
/// time, never held whole; the one-connection views and the states are made in memory
/// first (they are the size of one connection, or of one line per endpoint).
pub fn write(
    view: View,
    trace: &Trace,
    connection: Option<FlowId>,
    options: &LadderOptions,
    out: &mut dyn std::io::Write,
) -> Result<(), ViewError> {
    let no_such = || ViewError::NoSuchConnection {
        count: trace.connections().len(),
    };
    let one = |drawn: Option<String>| drawn.map(String::into_bytes).ok_or_else(no_such);
    if let (false, Some(c)) = (view.one_connection(), connection) {
        if !trace.connections().contains(&c) {
            return Err(no_such());
        }
    }
    let keep = |r: &Record| keeps(trace, connection, options, r);
    let drawn = connection.unwrap_or(FlowId(0));
    let bytes = match view {
        View::Jsonl => return Ok(jsonl::write_jsonl_of(trace, &keep, out)?),
        View::Pcap => {
            pcap::write_capture_of(trace, &keep, out)?;
            return Ok(());
        }
        View::Ladder => one(ladder(trace, drawn, options))?,
        View::Mermaid => one(mermaid::sequence_diagram(trace, drawn, options))?,
        View::Svg => one(svg::ladder(trace, drawn, options))?,
        View::States => format!(
            "{}\n{}",
            states::endpoint_states_of(trace, &keep),
            states::state_diagram_of(trace, &keep)
        )
        .into_bytes(),
    };
    Ok(out.write_all(&bytes)?)
}
