//! The metrics of one run, in the column order of `runs.csv`.
//!
//! Every metric is in every run. Most have a value in every run (0 where nothing happened);
//! the averages over events that may not happen (`handshake_mean_s` with nothing
//! established, `connect_fail_mean_s` with nothing failed, `probe_loss` without probes…)
//! are `Option`s, `None` where they do not apply: an empty cell in `runs.csv`, left out of
//! `summary.csv`'s means and intervals ([`METRIC_MAY_BE_EMPTY`]). Each one's doc comment is
//! its reference (`synack explain METRIC`, docs/reference.md). Counters are exact integers;
//! the `_s` and `_bps` metrics are measurements; `time_wait_mean` and `probe_loss` are time
//! and sample averages.

use serde::Serialize;

macro_rules! metrics {
    ($( $(#[doc = $doc:literal])* $name:ident : $ty:ty ),* $(,)?) => {
        /// One run's results.
        #[derive(Clone, Debug, Default, PartialEq, Serialize)]
        pub struct Metrics {
            $( $(#[doc = $doc])* pub $name: $ty, )*
        }

        /// Metric names, in column order.
        pub const METRIC_NAMES: &[&str] = &[$( stringify!($name) ),*];

        /// Whether each metric (in [`METRIC_NAMES`] order) may have no value in a run:
        /// those whose type is an `Option`.
        pub const METRIC_MAY_BE_EMPTY: &[bool] = &[$( <$ty as MetricValue>::MAY_BE_EMPTY ),*];

        /// Each metric's documentation (its doc comment below), in [`METRIC_NAMES`] order:
        /// what `synack explain METRIC` and docs/reference.md print.
        pub const METRIC_DOCS: &[&str] = &[$( concat!("" $(, $doc, "\n")*) ),*];

        impl Metrics {
            /// Every metric as a float, in [`METRIC_NAMES`] order; `None` where it does not
            /// apply.
            pub fn values(&self) -> Vec<Option<f64>> {
                vec![$( self.$name.value() ),*]
            }

            /// One metric by name: `None` for no such metric, `Some(None)` where it does
            /// not apply.
            pub fn get(&self, name: &str) -> Option<Option<f64>> {
                match name {
                    $( stringify!($name) => Some(self.$name.value()), )*
                    _ => None,
                }
            }
        }
    };
}

/// A metric's type: a count, a measurement, or a measurement that may not apply.
pub trait MetricValue {
    /// Whether a run may have no value.
    const MAY_BE_EMPTY: bool;
    /// The value as a float, `None` where it does not apply.
    fn value(&self) -> Option<f64>;
}

impl MetricValue for u64 {
    const MAY_BE_EMPTY: bool = false;
    fn value(&self) -> Option<f64> {
        Some(*self as f64)
    }
}

impl MetricValue for f64 {
    const MAY_BE_EMPTY: bool = false;
    fn value(&self) -> Option<f64> {
        Some(*self)
    }
}

impl MetricValue for Option<f64> {
    const MAY_BE_EMPTY: bool = true;
    fn value(&self) -> Option<f64> {
        *self
    }
}

/// Whether metric `name` may have no value in a run (false for an unknown name).
pub fn may_be_empty(name: &str) -> bool {
    METRIC_NAMES
        .iter()
        .position(|m| *m == name)
        .is_some_and(|i| METRIC_MAY_BE_EMPTY[i])
}

metrics! {
    /// Connects issued by legitimate workloads (bulk, request, churn, pool; not floods).
    conn_attempted: u64,
    /// Of those, the connections whose client reached ESTABLISHED.
    conn_established: u64,
    /// Connects that never reached ESTABLISHED and ended otherwise than cleanly: SYN retries
    /// exhausted, reset, or no free port (`port_exhausted` is counted here too).
    conn_failed: u64,
    /// Connects refused locally for lack of a free ephemeral port (`EADDRNOTAVAIL`).
    port_exhausted: u64,
    /// Connections both of whose ends reached CLOSED through the FIN exchange (TIME-WAIT
    /// included) by the end of the run.
    conn_closed_clean: u64,
    /// Connections that ended by RST, on either end.
    conn_reset: u64,
    /// Mean time from connect() to ESTABLISHED on the client, over the connections that got
    /// there. Empty in a run where none did (not applicable).
    handshake_mean_s: Option<f64>,
    /// 99th percentile (nearest rank) of the same. Empty in a run where no connection was
    /// established (not applicable).
    handshake_p99_s: Option<f64>,
    /// Mean time from connect() to the end of a connection that failed before ESTABLISHED
    /// (its SYN retries exhausted, or reset), seconds; connects refused at once for lack of
    /// a port (`port_exhausted`) are not counted. Empty when none failed (not applicable).
    connect_fail_mean_s: Option<f64>,
    /// Requests of request, churn and pool workloads answered in full.
    requests_completed: u64,
    /// Mean time from a request's arrival (a pool's) or its connection's connect() (request,
    /// churn) to the last byte of its response. Empty in a run where no request completed
    /// (not applicable).
    request_mean_s: Option<f64>,
    /// 99th percentile (nearest rank) of the same. Empty in a run where no request
    /// completed (not applicable).
    request_p99_s: Option<f64>,
    /// Server connections established that no live client connection of their incarnation
    /// matches: ghosts opened by old duplicate SYNs (`handshake = "two-way"`).
    ghost_established: u64,
    /// Segments of an earlier incarnation of a 4-tuple accepted as data by a later one.
    stale_accepted: u64,
    /// Bytes delivered in order to receiving applications, both directions.
    bytes_delivered: u64,
    /// Bytes written on connections that closed without error, never delivered to the
    /// peer's application.
    bytes_lost: u64,
    /// bytes_delivered · 8 over the transfer: from the first byte an application wrote to
    /// the last byte delivered (to the end of the run for a transfer still under way), not
    /// over the whole run. 0 in a run that delivered nothing.
    goodput_bps: f64,
    /// Jain's fairness index of the flows' goodputs, (Σx)² / (n·Σx²) over the n flows
    /// that delivered data, each flow's goodput measured over its own transfer (as
    /// `flows.csv`'s `goodput_bps`): 1 when every flow got the same, 1/n when one got
    /// everything. Empty in a run where no flow delivered data.
    jain_goodput: Option<f64>,
    /// Data and FIN segments sent again, over all connections (SYNs and SYN-ACKs are
    /// counted apart, in `syn_retransmits` and `synack_retransmits`).
    retransmits: u64,
    /// Retransmission timeouts that fired, over all connections (SYN and SYN-ACK timeouts
    /// included).
    rto_timeouts: u64,
    /// Fast retransmits: recoveries entered on duplicate ACKs or SACK, over all
    /// connections.
    fast_retransmits: u64,
    /// Tail loss probes sent (RFC 8985 §7; Linux's `TCPLossProbes`).
    loss_probes: u64,
    /// SYNs sent again by connecting clients.
    syn_retransmits: u64,
    /// SYN-ACKs sent again by servers: on a timeout, on the peer's SYN arriving again, and
    /// the one a simultaneous open sends.
    synack_retransmits: u64,
    /// The most sockets in TIME-WAIT at once, over all hosts.
    time_wait_peak: u64,
    /// Time-average number of sockets in TIME-WAIT over the run, over all hosts (Little's
    /// law: λ·2·MSL in a steady state).
    time_wait_mean: f64,
    /// Connections that closed without TIME-WAIT because their host already held
    /// `max_tw_buckets` TIME-WAIT sockets (Linux's `TCPTimeWaitOverflow`).
    time_wait_overflow: u64,
    /// TIME-WAIT sockets ended early because a connect() took their port over (`tw_reuse`;
    /// Linux's `TWRecycled`).
    time_wait_reused: u64,
    /// The most sockets in CLOSE-WAIT at once, over all hosts.
    close_wait_peak: u64,
    /// The most connections in SYN-RECEIVED (half-open) at once, over all hosts.
    half_open_peak: u64,
    /// SYNs a listener dropped: SYN queue full without cookies, the last quarter of
    /// `max_syn_backlog` kept for proven peers, or the accept queue full.
    syn_dropped: u64,
    /// SYN-ACKs carrying a SYN cookie, sent by listeners.
    syncookies_sent: u64,
    /// ACKs with a valid SYN cookie that opened a connection.
    syncookies_accepted: u64,
    /// SYNs dropped, and handshakes' final ACKs ignored or reset (`abort_on_overflow`),
    /// because a listener's accept queue was full (Linux's `ListenOverflows`).
    listen_overflows: u64,
    /// `bind()` calls of restarted servers refused with `EADDRINUSE` (the old process's
    /// connections or TIME-WAIT sockets held the port, without `SO_REUSEADDR`).
    bind_failures: u64,
    /// Time restarted servers spent with nothing listening on their port (summed over
    /// restarts; until the end of the run for one that never listened again). 0 without a
    /// `restart` workload.
    restart_downtime_s: f64,
    /// Packets handed to links (all directions, all kinds: segments, spoofed SYNs, probes);
    /// a packet routed over k links counts k times.
    segments_sent: u64,
    /// Packets lost on links: dropped by a queue or by the loss model.
    segments_lost: u64,
    /// Of those, the packets link queues dropped: full (their packet or byte limit), or
    /// dropped early by RED or at dequeue by CoDel.
    queue_drops: u64,
    /// Packets RED or CoDel marked CE instead of dropping them (`ecn = true` on the queue,
    /// and an ECN-capable packet: new data of a connection that agreed on ECN, `tcp.ecn`).
    ecn_marks: u64,
    /// Mean time the packets a link direction's queue admitted waited there before their
    /// serialisation started, in the direction where that mean is largest (the bottleneck's:
    /// a transfer's ACK direction would only dilute it). Empty where no link with a
    /// `bandwidth` queued a packet.
    queue_delay_mean_s: Option<f64>,
    /// Packets a router dropped because their TTL ran out (they arrived with 1 left):
    /// paths longer than the hosts' `ttl` allows. No ICMP is sent back.
    ttl_expired: u64,
    /// Probe datagrams sent.
    probe_sent: u64,
    /// Distinct probe datagrams received (duplicates not counted).
    probe_received: u64,
    /// Fraction of the probes sent (and not still in flight at the end) never received.
    /// Empty when no probe was sent and settled (no probe workload: not applicable).
    probe_loss: Option<f64>,
    /// Mean one-way delay of the first copy of each probe received. Empty when no probe
    /// arrived (not applicable).
    probe_delay_mean_s: Option<f64>,
    /// 99th percentile (nearest rank) of the same. Empty when no probe arrived (not
    /// applicable).
    probe_delay_p99_s: Option<f64>,
    /// Probes that arrived after a probe sent later than them.
    probe_reordered: u64,
    /// Extra copies of probes received (duplicates and stale copies).
    probe_duplicated: u64,
    /// Events the simulation processed, the simulator's work rather than a property of
    /// TCP: the scheduler's, plus the arrivals of packets sent to addresses no host has (a
    /// flood's answers to spoofed sources), which are counted without being queued.
    events: u64,
}

/// The unit of a metric's values, as `synack explain` and docs/reference.md state it.
/// Every metric has one: a test fails on a metric this does not know.
pub fn metric_unit(name: &str) -> Option<&'static str> {
    Some(match name {
        "handshake_mean_s"
        | "handshake_p99_s"
        | "connect_fail_mean_s"
        | "request_mean_s"
        | "request_p99_s"
        | "restart_downtime_s"
        | "probe_delay_mean_s"
        | "probe_delay_p99_s"
        | "queue_delay_mean_s" => "seconds",
        "goodput_bps" => "bits per second",
        "bytes_delivered" | "bytes_lost" => "bytes",
        "probe_loss" => "fraction, 0 to 1",
        "jain_goodput" => "index, 1/n to 1",
        "time_wait_mean" => "sockets (time average)",
        "time_wait_peak" | "close_wait_peak" | "half_open_peak" => "sockets",
        "conn_attempted" | "conn_established" | "conn_failed" | "port_exhausted"
        | "conn_closed_clean" | "conn_reset" | "ghost_established" | "time_wait_overflow" => {
            "connections"
        }
        "requests_completed" => "requests",
        "time_wait_reused" => "TIME-WAIT sockets",
        "stale_accepted" | "retransmits" | "syn_retransmits" | "synack_retransmits"
        | "loss_probes" | "syncookies_sent" => "segments",
        "syn_dropped" | "syncookies_accepted" | "listen_overflows" => "segments (SYNs or ACKs)",
        "rto_timeouts" | "fast_retransmits" | "bind_failures" | "events" => "count",
        "segments_sent" | "segments_lost" | "queue_drops" | "ecn_marks" | "ttl_expired" => {
            "packets"
        }
        "probe_sent" | "probe_received" | "probe_reordered" | "probe_duplicated" => "datagrams",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_a_value_and_a_name() {
        let m = Metrics {
            events: 7,
            probe_loss: Some(0.25),
            ..Metrics::default()
        };
        assert_eq!(m.values().len(), METRIC_NAMES.len());
        assert_eq!(m.get("events"), Some(Some(7.0)));
        assert_eq!(m.get("probe_loss"), Some(Some(0.25)));
        assert_eq!(m.get("handshake_mean_s"), Some(None));
        assert_eq!(m.get("nope"), None);
        assert!(may_be_empty("connect_fail_mean_s") && !may_be_empty("conn_failed"));
        assert_eq!(METRIC_MAY_BE_EMPTY.iter().filter(|e| **e).count(), 10);
        assert_eq!(METRIC_NAMES[0], "conn_attempted");
        assert_eq!(*METRIC_NAMES.last().unwrap(), "events");
    }

    #[test]
    fn every_metric_is_documented_with_a_unit() {
        assert_eq!(METRIC_DOCS.len(), METRIC_NAMES.len());
        for (name, doc) in METRIC_NAMES.iter().zip(METRIC_DOCS) {
            assert!(!doc.trim().is_empty(), "metric `{name}` has no doc comment");
            assert!(metric_unit(name).is_some(), "metric `{name}` has no unit");
        }
    }
}
