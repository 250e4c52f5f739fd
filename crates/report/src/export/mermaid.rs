//! One connection as a Mermaid `sequenceDiagram`, fenced as a Markdown code block, so that
//! pasting it into a Markdown file (GitHub, GitLab, mdBook with the plugin) draws the ladder:
//!
//! ````text
//! ```mermaid
//! sequenceDiagram
//!     %% connection 0: client:40000 → server:80 (relative seq and ack)
//!     participant client
//!     participant server
//!     Note over client: SYN-SENT
//!     client->>server: SYN seq=0
//!     Note over server: SYN-RECEIVED
//!     server->>client: SYN,ACK seq=0 ack=1
//! ```
//! ````
//!
//! Each segment is an arrow at the moment it is sent (`-x` if a link lost it), labelled as
//! RFC 9293 and the text ladder write segments: flags, `seq`, `ack` only if the ACK flag is
//! set, `len` only if it carries data; numbers relative to each side's first sequence
//! number unless asked for absolute ones. A copy a link delivered again (a duplicate, a
//! stale copy) is a dotted arrow `-->>` labelled `copy of …` where it arrived. Each state
//! change is a note over its side, where it falls among the sends and arrivals.
//!
//! Simplified: a sequence diagram has no time axis, so delays and timer durations do not
//! show (the SVG export draws them), and notes do not say what caused a change (the text
//! ladder does); a segment never received (sent to a spoofed address, or in flight when
//! the run ended) is drawn as if it arrived.

use std::fmt::Write as _;

use crate::conversation::{Conversation, Fate, LadderOptions, Step};
use synack_world::ids::FlowId;
use synack_world::trace::Trace;

/// The sequence diagram of connection `conn` as `options` show it (relative or absolute
/// numbers, a time window), or `None` if the run has no such connection.
pub fn sequence_diagram(trace: &Trace, conn: FlowId, options: &LadderOptions) -> Option<String> {
    let c = Conversation::of(trace, conn, options)?;
    let client_name = trace.host(c.client);
    let server_name = trace.host(c.server);
    let client = participant_id(&client_name, "");
    let server = participant_id(&server_name, &client);
    let mut out = String::from("```mermaid\nsequenceDiagram\n");
    let _ = writeln!(
        out,
        "    %% connection {conn}: {client_name}:{} → {server_name}:{} ({} seq and ack)",
        c.client_port,
        c.server_port,
        if c.relative() { "relative" } else { "absolute" }
    );
    for (id, name) in [(&client, &client_name), (&server, &server_name)] {
        if id == name {
            let _ = writeln!(out, "    participant {id}");
        } else {
            let _ = writeln!(out, "    participant {id} as {}", text(name));
        }
    }
    for step in &c.steps {
        match *step {
            Step::Send(i) => {
                let f = &c.flights[i];
                let (from, to) = ends(f.from_client, &client, &server);
                let arrow = if f.fate == Fate::Lost { "-x" } else { "->>" };
                let _ = writeln!(out, "    {from}{arrow}{to}: {}", c.label(f));
            }
            Step::Receive(i, copy) if copy > 0 => {
                let f = &c.flights[i];
                let (from, to) = ends(f.from_client, &client, &server);
                let _ = writeln!(out, "    {from}-->>{to}: copy of {}", c.label(f));
            }
            Step::Change(i) => {
                let ch = &c.changes[i];
                let who = if ch.client { &client } else { &server };
                let _ = writeln!(out, "    Note over {who}: {}", ch.to);
            }
            Step::Receive(..) => {}
        }
    }
    out.push_str("```\n");
    Some(out)
}

/// The sender and the receiver of a segment the client sent (or the server).
fn ends<'a>(from_client: bool, client: &'a str, server: &'a str) -> (&'a str, &'a str) {
    if from_client {
        (client, server)
    } else {
        (server, client)
    }
}

/// Words Mermaid's sequence diagrams reserve; a participant so named gets a suffix.
const KEYWORDS: [&str; 28] = [
    "participant",
    "actor",
    "as",
    "note",
    "over",
    "left",
    "right",
    "of",
    "loop",
    "alt",
    "else",
    "opt",
    "par",
    "and",
    "rect",
    "end",
    "critical",
    "break",
    "box",
    "create",
    "destroy",
    "activate",
    "deactivate",
    "autonumber",
    "title",
    "links",
    "link",
    "properties",
];

/// A participant identifier Mermaid parses whatever the host is called: letters, digits and
/// `_` only (a `-` would read as the start of an arrow), no keyword, different from `other`.
fn participant_id(name: &str, other: &str) -> String {
    let mut id: String = name
        .chars()
        .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '_' })
        .collect();
    if id.is_empty() || KEYWORDS.contains(&id.to_ascii_lowercase().as_str()) {
        id.push('_');
    }
    while id == other {
        id.push('_');
    }
    id
}

/// A display name with the characters that end a Mermaid statement or start an entity
/// (`;`, `#`) written as entity codes.
fn text(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for ch in name.chars() {
        match ch {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            _ => out.push(ch),
        }
    }
    out
}
