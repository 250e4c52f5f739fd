//! The metrics of one run, in the column order of `runs.csv`.
//!
//! Every metric is present in every run and 0 where it does not apply. Counters are exact
//! integers; the `_s` and `_bps` metrics are measurements; `time_wait_mean` and
//! `probe_loss` are time and sample averages.

use serde::Serialize;

macro_rules! metrics {
    ($( $(#[$doc:meta])* $name:ident : $ty:ty ),* $(,)?) => {
        /// One run's results.
        #[derive(Clone, Debug, Default, PartialEq, Serialize)]
        pub struct Metrics {
            $( $(#[$doc])* pub $name: $ty, )*
        }

        /// Metric names, in column order.
        pub const METRIC_NAMES: &[&str] = &[$( stringify!($name) ),*];

        impl Metrics {
            /// Every metric as a float, in [`METRIC_NAMES`] order.
            pub fn values(&self) -> Vec<f64> {
                vec![$( self.$name as f64 ),*]
            }

            /// One metric by name.
            pub fn get(&self, name: &str) -> Option<f64> {
                match name {
                    $( stringify!($name) => Some(self.$name as f64), )*
                    _ => None,
                }
            }
        }
    };
}

metrics! {
    /// Connects issued by legitimate workloads.
    conn_attempted: u64,
    /// Of those, reached ESTABLISHED on the client.
    conn_established: u64,
    /// Gave up: SYN retries exhausted, reset, or no free port.
    conn_failed: u64,
    /// Connects refused locally for lack of a free ephemeral port.
    port_exhausted: u64,
    /// Both ends reached CLOSED through the FIN exchange.
    conn_closed_clean: u64,
    /// Connections that ended by RST.
    conn_reset: u64,
    /// Mean time from connect() to ESTABLISHED on the client, seconds.
    handshake_mean_s: f64,
    /// 99th percentile (nearest rank) of the same, seconds.
    handshake_p99_s: f64,
    /// Mean time from connect() to the end of a connection that failed before ESTABLISHED
    /// (its SYN retries exhausted, or reset), seconds; connects refused at once for lack of
    /// a port (`port_exhausted`) are not counted. 0 when none failed.
    connect_fail_mean_s: f64,
    /// Requests of request, churn and pool workloads answered in full.
    requests_completed: u64,
    /// Mean time from a request's arrival (a pool's) or its connection's connect() (request,
    /// churn) to the last byte of its response, seconds.
    request_mean_s: f64,
    /// 99th percentile (nearest rank) of the same, seconds.
    request_p99_s: f64,
    /// Server connections established that no live client connection matches.
    ghost_established: u64,
    /// Segments of an earlier incarnation of a 4-tuple accepted by a later one.
    stale_accepted: u64,
    /// Bytes delivered in order to receiving applications.
    bytes_delivered: u64,
    /// Bytes written on connections that closed without error, never delivered.
    bytes_lost: u64,
    /// bytes_delivered · 8 over the transfer: from the first byte an application wrote to
    /// the last byte delivered (not over the whole run).
    goodput_bps: f64,
    retransmits: u64,
    rto_timeouts: u64,
    fast_retransmits: u64,
    /// Tail loss probes sent (RFC 8985 §7; Linux's `TCPLossProbes`).
    loss_probes: u64,
    syn_retransmits: u64,
    synack_retransmits: u64,
    time_wait_peak: u64,
    /// Time-average number of sockets in TIME-WAIT over the run (Little's law: λ·2·MSL in a
    /// steady state).
    time_wait_mean: f64,
    /// Connections that closed without TIME-WAIT because their host already held
    /// `max_tw_buckets` TIME-WAIT sockets (Linux's `TCPTimeWaitOverflow`).
    time_wait_overflow: u64,
    /// TIME-WAIT sockets ended early because a connect() took their port over (`tw_reuse`;
    /// Linux's `TWRecycled`).
    time_wait_reused: u64,
    close_wait_peak: u64,
    half_open_peak: u64,
    syn_dropped: u64,
    syncookies_sent: u64,
    syncookies_accepted: u64,
    /// SYNs dropped, and handshakes' final ACKs ignored or reset (`abort_on_overflow`),
    /// because a listener's accept queue was full (Linux's `ListenOverflows`).
    listen_overflows: u64,
    /// `bind()` calls of restarted servers refused with `EADDRINUSE` (the old process's
    /// connections or TIME-WAIT sockets held the port, without `SO_REUSEADDR`).
    bind_failures: u64,
    /// Time restarted servers spent with nothing listening on their port, seconds (summed
    /// over restarts; until the end of the run for one that never listened again).
    restart_downtime_s: f64,
    /// Packets handed to links (all directions, all kinds).
    segments_sent: u64,
    /// Packets lost on links: queue overflow or loss model.
    segments_lost: u64,
    /// Probe datagrams sent.
    probe_sent: u64,
    /// Distinct probe datagrams received (duplicates not counted).
    probe_received: u64,
    /// Fraction of the probes sent (and not still in flight at the end) never received.
    probe_loss: f64,
    /// Mean one-way delay of the first copy of each probe received, seconds.
    probe_delay_mean_s: f64,
    /// 99th percentile (nearest rank) of the same, seconds.
    probe_delay_p99_s: f64,
    /// Probes that arrived after a probe sent later than them.
    probe_reordered: u64,
    /// Extra copies of probes received (duplicates and stale copies).
    probe_duplicated: u64,
    /// Events the simulation processed: the scheduler's, plus the arrivals of packets sent
    /// to addresses no host has (a flood's answers to spoofed sources), which are counted
    /// without being queued.
    events: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_a_value_and_a_name() {
        let m = Metrics {
            events: 7,
            probe_loss: 0.25,
            ..Metrics::default()
        };
        assert_eq!(m.values().len(), METRIC_NAMES.len());
        assert_eq!(m.get("events"), Some(7.0));
        assert_eq!(m.get("probe_loss"), Some(0.25));
        assert_eq!(m.get("nope"), None);
        assert_eq!(METRIC_NAMES[0], "conn_attempted");
        assert_eq!(*METRIC_NAMES.last().unwrap(), "events");
    }
}
