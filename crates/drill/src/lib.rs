//! Runs packetdrill scripts against synack's TCP in simulated time.
//!
//! packetdrill (google/packetdrill) is how Linux's TCP developers test their stack: a script
//! makes system calls, injects packets, and states to the millisecond which packets the
//! stack must send. This crate reads that language ([`lex`], [`parse`] into [`script`]'s
//! AST), maps the sysctls it sets onto synack's settings ([`sysctl`]), sets aside what synack
//! has no model for ([`scan`]), and runs the rest against one synack [`Stack`] in simulated
//! time ([`run`]), reporting the first mismatch as packetdrill does ([`report`]).
//!
//! [`Stack`]: synack_tcp::Stack

pub mod error;
pub mod lex;
pub mod parse;
pub mod report;
pub mod run;
pub mod scan;
pub mod script;
pub mod suite;
pub mod sysctl;
pub mod tcpinfo;

pub use error::ParseError;
pub use parse::parse;
pub use report::{Failure, Outcome};
pub use run::{run_script, RunOptions, RunReport};
pub use synack_tcp::config::Profile;

/// Parses and runs one script's text. A malformed script is an [`Outcome::Error`] naming
/// `name:LINE:COL`.
pub fn run_source(name: &str, src: &str, opts: &RunOptions) -> RunReport {
    match parse(src) {
        Ok(script) => run_script(&script, opts),
        Err(e) => RunReport {
            outcome: Outcome::Error(format!("{name}:{e}")),
            notes: Vec::new(),
        },
    }
}
