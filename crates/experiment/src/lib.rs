//! The experiment language: the TOML schema and its validation ([`config`]), the metric
//! names ([`metrics`]), and the resolved specification of a run ([`spec`]) that
//! [`build_world`] makes from a checked experiment.

mod build;
pub mod config;
pub mod metrics;
pub mod spec;

pub use build::build_world;
