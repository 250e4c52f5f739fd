//! `[[series]]`: quantities recorded over time during each run, into `series.csv`.

use serde::{Deserialize, Serialize};
use synack_sim::Duration;

use crate::spec::SeriesMetric;

use super::units;

/// Per-connection quantities a series may record, `sockets`: each host's number of
/// sockets in each state (recorded as `sockets:<STATE>`, e.g. `sockets:TIME-WAIT`), and
/// `queue` and `queue_delay`: each link direction's (recorded as `queue:<LINK>`).
/// The names come from the one table of [`SeriesMetric`].
pub const SERIES_METRICS: &[&str] = SeriesMetric::NAMES;

/// One `[[series]]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesConfig {
    /// One of [`SERIES_METRICS`].
    pub metric: String,
    /// Sample every this long; absent: record every change.
    #[serde(
        default,
        with = "units::opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub every: Option<Duration>,
    /// Only this host's connections (or sockets, or for `queue` and `queue_delay` the link
    /// directions it sends on); absent: every host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}
