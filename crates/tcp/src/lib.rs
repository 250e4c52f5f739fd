//! The sans-IO TCP endpoint of synack (RFC 9293), arriving in the TCP issue; for now the
//! resolved settings of every endpoint, [`config`], with each default and its source.

pub mod config;
