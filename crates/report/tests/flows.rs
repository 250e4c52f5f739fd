//! `flows = true`: a row per flow in `flows.csv`, and Jain's fairness index of the flows'
//! goodputs (`jain_goodput`).

mod common;

use synack_report::results::{flows_csv, RunRecord};
use synack_world::flows::{FlowEnd, FlowRow};
use synack_world::ids::{Addr, FlowId, HostId};
use synack_world::Metrics;

fn run(text: &str) -> (Vec<FlowRow>, Metrics) {
    let record = common::plan(text).run_one(0, 0);
    (record.flows, record.metrics)
}

/// Seconds as nanoseconds, exactly.
fn ns(t: synack_sim::Time) -> u64 {
    t.as_nanos()
}

/// A 100 KB bulk transfer from client to server across a 10 ms link without a bandwidth
/// limit, every segment acknowledged at once, then `rest`.
fn bulk(rest: &str) -> String {
    [
        "flows = true\n".to_string(),
        common::head(
            "f",
            "10s",
            "profile = \"rfc\"\nmsl = \"1s\"\ndelayed_ack = \"off\"",
        ),
        common::client_server("delay = \"10ms\"", "", ""),
        common::workload("t", "bulk", "client", "server:80", "bytes = \"100KB\""),
        rest.to_string(),
    ]
    .concat()
}

#[test]
fn a_bulk_flow_has_its_handshake_bytes_goodput_and_rtt() {
    let (rows, m) = run(&bulk(""));
    assert_eq!(rows.len(), 1);
    let f = &rows[0];
    assert_eq!(f.flow, FlowId(0));
    assert!(f.has_client);
    assert_eq!(f.endpoints.client, Addr::Host(HostId(0)));
    assert!(f.endpoints.client_port >= 49152, "rfc ephemeral ports");
    assert_eq!(
        (f.endpoints.server, f.endpoints.server_port),
        (HostId(1), 80)
    );
    assert_eq!(ns(f.start), 0);
    // SYN 10 ms out, SYN-ACK 10 ms back: the handshake is one round trip.
    assert_eq!(f.established.map(ns), Some(20_000_000));
    assert_eq!(f.handshake.map(|d| d.as_nanos()), Some(20_000_000));
    assert_eq!((f.bytes_to_server, f.bytes_to_client), (100_000, 0));
    assert_eq!(f.end, FlowEnd::Closed);
    assert_eq!((f.retransmits, f.rto_timeouts), (0, 0));
    // Every RTT sample is the wire's round trip: no queue, no delayed ACK.
    assert_eq!(f.srtt.map(|d| d.as_nanos()), Some(20_000_000));
    // One flow: its goodput is the run's, over the same transfer, and the index is 1.
    let g = f.goodput_bps.unwrap();
    assert_eq!(g, m.goodput_bps);
    assert_eq!(m.jain_goodput, Some(1.0));
    // The transfer takes a handful of round trips (slow start from 3 segments): the
    // goodput is the bytes over that, well under the unlimited link's.
    let transfer = 100_000.0 * 8.0 / g;
    assert!((0.08..0.3).contains(&transfer), "{transfer} s");
    // Closed when the server's LAST-ACK got the final ACK: after the client's FIN went
    // out (at least one round trip after the last data), before TIME-WAIT's 2 s ended.
    let closed = f.closed.map(ns).unwrap() as f64 * 1e-9;
    assert!(closed > 0.02 + transfer && closed < 1.0, "{closed}");
}

#[test]
fn flows_csv_writes_the_rows_with_empty_cells_for_what_does_not_apply() {
    // Every packet lost: the SYN gives up after one retransmission (1 s, then 2 s).
    let text = bulk("")
        .replace("delay = \"10ms\"", "delay = \"10ms\"\nloss = 1.0")
        .replace(
            "delayed_ack = \"off\"",
            "delayed_ack = \"off\"\nsyn_retries = 1",
        );
    let plan = common::plan(&text);
    let record: RunRecord = plan.run_one(0, 0);
    let f = &record.flows[0];
    assert_eq!(f.end, FlowEnd::TimedOut);
    assert_eq!(f.closed.map(ns), Some(3_000_000_000));
    // The flow's counters are its connections': here the run's.
    assert_eq!(f.rto_timeouts, record.metrics.rto_timeouts);
    assert_eq!(f.retransmits, 0);
    let row = record.to_row(&plan.hosts, &plan.workloads);
    let text = String::from_utf8(flows_csv(&[row])).unwrap();
    let port = f.endpoints.client_port;
    assert_eq!(
        text,
        format!(
            "point,replication,flow,workload,client,server,start_s,established_s,closed_s,end,\
             bytes_to_server,bytes_to_client,goodput_bps,retransmits,rto_timeouts,handshake_s,\
             srtt_s\n\
             0,0,0,t,client:{port},server:80,0,,3,timeout,0,0,,0,0,,\n"
        )
    );
    assert_eq!(record.metrics.jain_goodput, None, "no flow carried data");
}

/// IPv4 and TCP headers, and the timestamps option (10 bytes, padded to 12) that Linux's
/// profile puts on every segment.
const HEADERS: f64 = 40.0;
const TIMESTAMPS: f64 = 12.0;

#[test]
fn identical_bulk_flows_share_a_drop_tail_bottleneck_fairly_and_fill_it() {
    const N: usize = 4;
    const RATE: f64 = 10e6;
    let workloads: String = (0..N)
        .map(|i| {
            common::workload(
                &format!("b{i}"),
                "bulk",
                "client",
                "server:80",
                "bytes = \"1GB\"",
            )
        })
        .collect();
    let text = [
        "flows = true\n".to_string(),
        common::head("fair", "60s", "profile = \"linux\""),
        common::client_server(
            "delay = \"10ms\"\nbandwidth = \"10Mbps\"\nqueue = 100",
            "",
            "",
        ),
        workloads,
    ]
    .concat();
    let (rows, m) = run(&text);
    assert_eq!(rows.len(), N);
    let goodputs: Vec<f64> = rows.iter().map(|f| f.goodput_bps.unwrap()).collect();
    // Each segment carries MSS − 12 bytes of payload (the timestamps option takes the rest
    // of the 1460), in 1500 bytes on the wire: the most payload the link can carry.
    let payload = 1460.0 - TIMESTAMPS;
    let capacity = RATE * payload / (payload + TIMESTAMPS + HEADERS);
    let sum: f64 = goodputs.iter().sum();
    assert!(
        (sum / capacity - 1.0).abs() < 0.03,
        "sum {sum} against {capacity}: {goodputs:?}"
    );
    let jain = sum * sum / (N as f64 * goodputs.iter().map(|g| g * g).sum::<f64>());
    let index = m.jain_goodput.unwrap();
    assert!((index - jain).abs() < 1e-12);
    assert!(index >= 0.9, "{index} {goodputs:?}");
    // None finished: each is open at the end, its goodput over the run after its handshake.
    assert!(rows
        .iter()
        .all(|f| f.end == FlowEnd::Open && f.closed.is_none()));
}

#[test]
fn flows_charts_draw_a_point_per_flow_and_the_distribution_and_redraw_identically() {
    use std::fs;
    use synack_experiment::config::{ChartKind, Experiment};
    use synack_plot::SeriesStyle;
    use synack_report::charts::flows_data;
    use synack_report::files::OutputDir;
    use synack_report::output::{redraw_charts, stage_results, RunInfo};
    use synack_report::results::summarize;
    use synack_report::source::Source;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("share.toml");
    let workloads: String = (0..3)
        .map(|i| {
            let bytes = format!("bytes = \"{}KB\"", 100 * (i + 1));
            common::workload(&format!("b{i}"), "bulk", "client", "server:80", &bytes)
        })
        .collect();
    let text = [
        "flows = true\n".to_string(),
        common::head("share", "5s", "profile = \"linux\""),
        common::client_server("delay = \"5ms\"\nbandwidth = \"10Mbps\"", "", ""),
        workloads,
        "[[chart]]\nkind = \"flows\"\nname = \"per-flow\"\ny = \"goodput_bps\"\n".to_string(),
        "[[chart]]\nkind = \"flows\"\nname = \"cdf\"\nx = \"cdf\"\ny = [\"handshake_s\", \"bytes_to_server\"]\n"
            .to_string(),
    ]
    .concat();
    fs::write(&file, &text).unwrap();
    let checked = synack_experiment::check(&Experiment::load(&file).unwrap(), &[]).unwrap();
    let plan = synack_report::run::Plan::new(&checked);
    let rows = plan.execute(&plan.runs(None), 1);
    let out_path = dir.path().join("results");
    let source = Source::read(&file).unwrap();
    let info = RunInfo {
        source: &source,
        checked: &checked,
        runs_missing: 0,
    };
    let out = OutputDir::open(&out_path).unwrap();
    let written = stage_results(&out, &info, &rows).unwrap().commit().unwrap();
    assert!(out_path.join("flows.csv").exists());

    let charts = &checked.experiment.charts;
    assert_eq!(
        (charts[0].kind, charts[0].x.as_str()),
        (ChartKind::Flows, "flow")
    );
    let summary = summarize(&rows);
    let flows_csv = out_path.join("flows.csv");
    let per_flow = flows_data(&charts[0], &summary, &flows_csv).unwrap();
    assert_eq!(per_flow.series.len(), 1);
    assert_eq!(per_flow.series[0].style, SeriesStyle::Points);
    let record = plan.run_one(0, 0);
    let expected: Vec<(f64, f64)> = (record.flows.iter())
        .map(|f| (f64::from(f.flow.0), f.goodput_bps.unwrap()))
        .collect();
    let drawn: Vec<(f64, f64)> = per_flow.series[0]
        .points
        .iter()
        .map(|p| (p.x, p.y))
        .collect();
    assert_eq!(drawn, expected);
    assert_eq!(per_flow.y_label, "goodput_bps (bit/s)");

    // The distributions: each column's values in order against the fraction of flows at
    // or below them.
    let cdf = flows_data(&charts[1], &summary, &flows_csv).unwrap();
    assert_eq!(cdf.series.len(), 2);
    assert!(cdf.series.iter().all(|s| s.style == SeriesStyle::Step));
    let bytes: Vec<(f64, f64)> = cdf.series[1].points.iter().map(|p| (p.x, p.y)).collect();
    assert_eq!(
        bytes,
        [
            (100_000.0, 1.0 / 3.0),
            (200_000.0, 2.0 / 3.0),
            (300_000.0, 1.0)
        ]
    );
    assert_eq!(cdf.series[1].label, "bytes_to_server");
    assert_eq!(cdf.y_label, "fraction of flows at or below");

    // Redrawn from the directory alone, the same bytes.
    let before: Vec<Vec<u8>> = written
        .charts
        .iter()
        .map(|p| fs::read(p).unwrap())
        .collect();
    drop(out);
    redraw_charts(&out_path).unwrap();
    let after: Vec<Vec<u8>> = written
        .charts
        .iter()
        .map(|p| fs::read(p).unwrap())
        .collect();
    assert!(before == after);
}

#[test]
fn how_flows_end_closed_reset_and_refused() {
    // A connection a second; the server's process is down from 1.5 s to 2.5 s, so the
    // third connect (at 2 s) meets no listener: a RST answers its SYN.
    let text = |linger: bool| {
        [
            "flows = true\n".to_string(),
            common::head("ends", "5s", "profile = \"rfc\"\nmsl = \"1s\""),
            common::client_server("delay = \"10ms\"", "", ""),
            common::request(
                "r",
                &format!("count = 3\ninterval = \"1s\"\nlinger_zero = {linger}"),
            ),
            "[[workload]]\nname = \"x\"\nkind = \"restart\"\nserver = \"server:80\"\n\
             at = \"1500ms\"\ndown = \"1s\"\n"
                .to_string(),
        ]
        .concat()
    };
    let ends = |linger| -> Vec<FlowEnd> { run(&text(linger)).0.iter().map(|f| f.end).collect() };
    assert_eq!(
        ends(false),
        [FlowEnd::Closed, FlowEnd::Closed, FlowEnd::Refused]
    );
    // The client's close is a RST (SO_LINGER 0).
    assert_eq!(
        ends(true),
        [FlowEnd::Reset, FlowEnd::Reset, FlowEnd::Refused]
    );
    let (rows, _) = run(&text(false));
    let refused = &rows[2];
    assert_eq!(ns(refused.start), 2_000_000_000);
    assert_eq!((refused.established, refused.handshake), (None, None));
    // The RST comes back a round trip after the SYN.
    assert_eq!(refused.closed.map(ns), Some(2_020_000_000));
    assert_eq!(refused.goodput_bps, None);
    // A request and its response, delivered both ways.
    assert_eq!(
        (rows[0].bytes_to_server, rows[0].bytes_to_client),
        (100, 1000)
    );
}
