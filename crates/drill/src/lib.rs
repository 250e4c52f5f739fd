//! Runs packetdrill scripts against synack's TCP in simulated time.
pub mod error;
pub mod lex;
pub mod parse;
pub mod script;

pub use error::ParseError;
pub use parse::parse;
