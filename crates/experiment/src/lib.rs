//! The experiment language: the TOML schema and its validation ([`config`]), the metric
//! names ([`metrics`]), the resolved specification of a run ([`spec`]), and the one checker
//! ([`check`]) that turns an experiment and its overrides into the checked world of every
//! sweep point.

mod build;
mod check;
pub mod config;
pub mod estimate;
pub mod metrics;
pub mod points;
pub mod routing;
pub mod schema;
pub mod spec;

pub use check::{check, check_each, Checked, Estimate, Point};
