//! Trace exports (`synack trace --format pcap|mermaid|svg|jsonl`): the whole run as a capture
//! file that Wireshark and tcpdump read ([`pcap`]) or as JSON lines ([`jsonl`]), and one
//! connection's packet ladder as a Mermaid sequence diagram to paste into Markdown
//! ([`mermaid`]) or as a drawn SVG picture ([`svg`]); the two ladders draw the connection's
//! [`Conversation`](crate::conversation::Conversation).
//!
//! All of them read only the [`Trace`](synack_world::trace::Trace) of a run; none changes it.

pub mod jsonl;
pub mod mermaid;
pub mod pcap;
pub mod svg;
