//! A sans-IO TCP endpoint and listener (RFC 9293 state machine); [`config`] holds its settings.

pub mod config;
