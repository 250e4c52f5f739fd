//! What the world measures: goodput over the transfer, flood spacing, FlightSize.

use synack_experiment::config::Experiment;
use synack_experiment::metrics::Metrics;
use synack_experiment::spec::SeriesMetric;
use synack_sim::{Duration, Time};
use synack_tcp::State;
use synack_world::ids::Addr;
use synack_world::trace::{Record, Sent, Trace};
use synack_world::{RunOutput, World};

/// Runs the first sweep point of `text` once (seed 1), with its trace.
fn run(text: &str) -> (RunOutput, Trace) {
    let exp = Experiment::parse(text, "test.toml").unwrap_or_else(|e| panic!("{e}"));
    let checked = synack_experiment::check(&exp, &[]).unwrap_or_else(|e| panic!("{e}"));
    World::traced(&checked.points[0].world, 1)
}

/// 1 MB from client to server over 10 Mbps, 5 ms each way, in a run of `duration`.
fn bulk(duration: &str, extra: &str) -> String {
    format!(
        r#"
name = "bulk"
duration = "{duration}"
[tcp]
profile = "rfc"
[[host]]
name = "client"
[[host]]
name = "server"
[[link]]
name = "wire"
between = ["client", "server"]
delay = "5ms"
bandwidth = "10Mbps"
[[workload]]
name = "transfer"
kind = "bulk"
from = "client"
to = "server:80"
bytes = "1MB"
{extra}
"#
    )
}

/// When `host` first entered `state`.
fn entered(trace: &Trace, host: u32, state: State) -> Time {
    trace
        .records()
        .iter()
        .find_map(|r| match r {
            Record::State(c) if c.host.0 == host && c.to == state => Some(c.t),
            _ => None,
        })
        .unwrap_or_else(|| panic!("host {host} never entered {state}"))
}

#[test]
fn goodput_is_measured_over_the_transfer_not_the_run() {
    let (short, trace) = run(&bulk("3s", ""));
    let (long, _) = run(&bulk("30s", ""));
    let m: Metrics = short.metrics;
    assert_eq!(m.bytes_delivered, 1_000_000);
    assert_eq!(m.goodput_bps, long.metrics.goodput_bps);
    // From the first byte written (the client application writes as its connection is
    // established) to the last byte delivered (the client's FIN goes with the last data,
    // so the server reaches CLOSE-WAIT as the last hole fills).
    let first = entered(&trace, 0, State::Established);
    let last = entered(&trace, 1, State::CloseWait);
    let expected = 8e6 / (last - first).as_secs_f64();
    assert!(
        (m.goodput_bps - expected).abs() < 1e-9 * expected,
        "{}",
        m.goodput_bps
    );
    // Below the 10 Mbps line, which headers share (40 of every 1,500 bytes).
    assert!(m.goodput_bps < 10e6 * 1460.0 / 1500.0);
}

#[test]
fn a_transfer_still_under_way_counts_until_the_end_of_the_run() {
    // 1 MB cannot cross 10 Mbps in 0.5 s: goodput is what arrived over the time since the
    // first byte was written (as the connection was established).
    let (out, trace) = run(&bulk("500ms", ""));
    let first = entered(&trace, 0, State::Established);
    let m = out.metrics;
    assert!(m.bytes_delivered > 0 && m.bytes_delivered < 1_000_000);
    let span = (Time::ZERO + Duration::from_millis(500) - first).as_secs_f64();
    let expected = m.bytes_delivered as f64 * 8.0 / span;
    assert!(
        (m.goodput_bps - expected).abs() < 1e-9 * expected,
        "{}",
        m.goodput_bps
    );
}

/// Send times of the flood's SYNs.
fn flood_sends(trace: &Trace) -> Vec<Time> {
    trace
        .records()
        .iter()
        .filter_map(|r| match r {
            Record::Send(Sent {
                t,
                from: Addr::Spoofed { .. },
                ..
            }) => Some(*t),
            _ => None,
        })
        .collect()
}

#[test]
fn flood_syns_keep_their_spacing_without_rounding_drift() {
    // 3 SYNs a second: 1/3 s is no whole number of nanoseconds, so adding it up drifts.
    let text = bulk(
        "30s",
        r#"
[[workload]]
name = "attack"
kind = "flood"
from = "client"
to = "server:80"
rate = 3
start = "1s"
"#,
    );
    let sends = flood_sends(&run(&text).1);
    assert_eq!(sends.len(), 87, "SYNs from 1 s until 30 s, 3 a second");
    for (k, t) in sends.iter().enumerate() {
        let exact = Duration::from_secs(1) + Duration::from_secs_f64(k as f64 / 3.0);
        assert_eq!(*t, Time::ZERO + exact, "SYN {k}");
    }
}

#[test]
fn the_flight_series_is_snd_nxt_minus_snd_una() {
    let text = bulk(
        "3s",
        r#"
[[series]]
metric = "flight"
host = "client"
"#,
    );
    let rows: Vec<(Time, f64)> = (run(&text).0.series)
        .iter()
        .filter(|r| r.metric == SeriesMetric::Flight)
        .map(|r| (r.t, r.value))
        .collect();
    // The SYN is in flight from 0 (it takes one sequence number). At 10 ms its ACK comes
    // and the application writes the whole megabyte, of which the initial window of 3
    // segments (RFC 3390 with the rfc profile) goes out: bytes written but unacknowledged
    // would be 1,000,000 here.
    assert_eq!(rows[0], (Time::ZERO, 1.0));
    // (10 ms of delay, and the SYN and SYN-ACK serialised: 44 bytes each at 10 Mbps.)
    let synack_acked = Time::ZERO + Duration::from_micros(10_070) + Duration::from_nanos(400);
    assert_eq!(rows[1], (synack_acked, 3.0 * 1460.0));
    // Everything, the FIN included, is acknowledged at the end.
    assert_eq!(rows.last().unwrap().1, 0.0);
}
