//! The views of one run's trace, as `synack trace --format` names them: one connection's
//! ladder as text ([`crate::ladder`]), Mermaid or SVG ([`crate::export`]), the whole run as
//! JSON lines or a capture file, and the state machine's summary ([`crate::states`]).

use synack_world::ids::FlowId;
use synack_world::trace::Trace;

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

/// The bytes of `view` of `trace`: UTF-8 text for every view but [`View::Pcap`].
/// `connection` and `options` choose what the one-connection views draw.
pub fn render(
    view: View,
    trace: &Trace,
    connection: FlowId,
    options: &LadderOptions,
) -> Result<Vec<u8>, ViewError> {
    let mut out = Vec::new();
    write(view, trace, connection, options, &mut out)?;
    Ok(out)
}

/// [`render`], written to `out`. The views of the whole run (JSON lines, the capture) are
/// written a record at a time, never held whole; the one-connection views and the states
/// are made in memory first (they are the size of one connection, or of one line per
/// endpoint).
pub fn write(
    view: View,
    trace: &Trace,
    connection: FlowId,
    options: &LadderOptions,
    out: &mut dyn std::io::Write,
) -> Result<(), ViewError> {
    let one = |drawn: Option<String>| {
        drawn
            .map(String::into_bytes)
            .ok_or_else(|| ViewError::NoSuchConnection {
                count: trace.connections().len(),
            })
    };
    let bytes = match view {
        View::Jsonl => return Ok(jsonl::write_jsonl(trace, out)?),
        View::Pcap => {
            pcap::write_capture(trace, out)?;
            return Ok(());
        }
        View::Ladder => one(ladder(trace, connection, options))?,
        View::Mermaid => one(mermaid::sequence_diagram(trace, connection, options))?,
        View::Svg => one(svg::ladder(trace, connection, options))?,
        View::States => format!(
            "{}\n{}",
            states::endpoint_states(trace),
            states::state_diagram(trace)
        )
        .into_bytes(),
    };
    Ok(out.write_all(&bytes)?)
}
