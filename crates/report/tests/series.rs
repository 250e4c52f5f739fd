//! `[[series]]`: what a run records over time.

mod common;

use synack_experiment::config::Experiment;
use synack_report::results::series_cell;
use synack_world::ids::{FlowId, HostId};
use synack_world::{SeriesMetric, SeriesRow};

fn run(text: &str) -> (Vec<SeriesRow>, synack_experiment::metrics::Metrics) {
    let record = common::plan(text).run_one(0, 0);
    (record.series, record.metrics)
}

/// A 500 KB bulk transfer from client to server across 10 ms at 10 Mbit/s, then `rest`
/// (the tests' `[[series]]` and charts).
fn bulk_then(rest: &str) -> String {
    [
        common::head("s", "30s", "profile = \"rfc\"\nmsl = \"1s\""),
        common::client_server("delay = \"10ms\"\nbandwidth = \"10Mbps\"", "", ""),
        common::workload("t", "bulk", "client", "server:80", "bytes = \"500KB\""),
        rest.to_string(),
    ]
    .concat()
}

#[test]
fn cwnd_starts_at_the_initial_window_and_records_only_changes() {
    let (rows, _) = run(&bulk_then(
        "[[series]]\nmetric = \"cwnd\"\nhost = \"client\"\n",
    ));
    let cwnd: Vec<f64> = rows
        .iter()
        .filter(|r| r.metric == SeriesMetric::Cwnd)
        .map(|r| r.value)
        .collect();
    // rfc profile: 3 segments of 1460 bytes (RFC 3390), recorded when the connection opens.
    assert_eq!(cwnd[0], 3.0 * 1460.0);
    assert!(
        cwnd.windows(2).all(|w| w[0] != w[1]),
        "only changes are recorded"
    );
    // Slow start without loss: the window only grows.
    assert!(cwnd.windows(2).all(|w| w[1] > w[0]));
    assert!(rows
        .iter()
        .all(|r| r.host == HostId(0) && r.conn == Some(FlowId(0))));
}

#[test]
fn the_state_series_follows_the_connection_through_its_life() {
    let (rows, _) = run(&bulk_then("[[series]]\nmetric = \"state\"\n"));
    let client: Vec<String> = rows
        .iter()
        .filter(|r| r.host == HostId(0))
        .map(series_cell)
        .collect();
    assert_eq!(
        client,
        [
            "SYN-SENT",
            "ESTABLISHED",
            "FIN-WAIT-1",
            "FIN-WAIT-2",
            "TIME-WAIT",
            "CLOSED"
        ]
    );
    let server: Vec<String> = rows
        .iter()
        .filter(|r| r.host == HostId(1))
        .map(series_cell)
        .collect();
    assert_eq!(
        server,
        [
            "SYN-RECEIVED",
            "ESTABLISHED",
            "CLOSE-WAIT",
            "LAST-ACK",
            "CLOSED"
        ]
    );
    // TIME-WAIT lasts 2·MSL = 2 s.
    let at = |s: &str| {
        rows.iter()
            .find(|r| r.host == HostId(0) && series_cell(r) == s)
            .unwrap()
            .t
            .as_nanos()
    };
    assert_eq!(at("CLOSED") - at("TIME-WAIT"), 2_000_000_000);
}

#[test]
fn socket_counts_per_host_match_the_peaks() {
    let text = common::churn(
        "5s",
        "500ms",
        100.0,
        "32768-60999",
        "arrivals = \"periodic\"\n[[series]]\nmetric = \"sockets\"\n",
    );
    let (rows, m) = run(&text);
    let tw_max = rows
        .iter()
        .filter(|r| r.metric_name() == "sockets:TIME-WAIT")
        .map(|r| r.value as u64)
        .max()
        .unwrap();
    assert_eq!(tw_max, m.time_wait_peak);
    // Periodic arrivals every 10 ms, each in TIME-WAIT for 1 s: 100 at once.
    assert_eq!(tw_max, 100);
}

#[test]
fn a_periodic_series_samples_every_period() {
    let (rows, _) = run(&bulk_then(
        "[[series]]\nmetric = \"rto\"\nevery = \"100ms\"\nhost = \"client\"\n",
    ));
    let times: Vec<u64> = rows.iter().map(|r| r.t.as_nanos()).collect();
    assert!(!times.is_empty());
    assert!(times.iter().all(|t| t % 100_000_000 == 0), "{times:?}");
    assert!(rows.iter().all(|r| r.value >= 1.0), "rfc: RTO at least 1 s");
}

#[test]
fn series_and_timeseries_charts_are_checked() {
    let bad = bulk_then("[[series]]\nmetric = \"cwin\"\n");
    let e = Experiment::parse(&bad, "x.toml").unwrap_err().to_string();
    assert!(
        e.contains("unknown series metric \"cwin\"") && e.contains("did you mean `cwnd`"),
        "{e}"
    );
    let bad = bulk_then("[[series]]\nmetric = \"cwnd\"\nhost = \"clint\"\n");
    let e = Experiment::parse(&bad, "x.toml").unwrap_err().to_string();
    assert!(
        e.contains("unknown host \"clint\"") && e.contains("did you mean `client`"),
        "{e}"
    );
    let bad = bulk_then(
        "[[series]]\nmetric = \"cwnd\"\n[[chart]]\nkind = \"timeseries\"\ny = \"ssthresh\"\n",
    );
    let e = Experiment::parse(&bad, "x.toml").unwrap_err().to_string();
    assert!(
        e.contains("\"ssthresh\" is not recorded (recorded: cwnd)"),
        "{e}"
    );
}
