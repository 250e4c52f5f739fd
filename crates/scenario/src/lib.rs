//! Experiments: the TOML schema and its validation ([`config`]), the world of one run
//! ([`world`]), sweeps over many runs ([`run`]) and the result files ([`results`]).

mod build;
pub mod config;
pub mod export;
pub mod metrics;
pub mod results;
pub mod run;
pub mod seeds;
pub mod states;
pub mod stats;
pub mod trace;
pub mod world;
