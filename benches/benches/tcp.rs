//! TCP speed (issue 3).
//!
//! - `sans_io/bulk`: a 100 MB transfer between two endpoints with no simulator; the
//!   throughput is in segments processed per second. Target: >= 10 M/s.
//! - `simulator/bulk_*`: `experiments/bulk.toml` (ns-3's bulk.cc: 100 Mbps, 10 ms, MSS 1448,
//!   4 MB buffers, NewReno without SACK) through the whole simulator: 60 s at 1 % loss and
//!   10 s without loss. ns-3 3.44 needs 1.17 s and 9.6 s of simulation wall time for these;
//!   the target is 100x faster.
//! - `simulator/bulk_60s_1pct_loss_traced`: the same with `synack trace`'s record on.
//! - `simulator/churn`: `experiments/churn.toml` (ns-3's churn.cc: 50,000 connections at one
//!   per 100 µs over 1 Gbps / 1 ms, each a handshake, 100 B each way, the four-way close and
//!   a 100 ms TIME-WAIT); throughput in complete connection lifecycles per second. Target
//!   (issue 4): >= 300,000 per second single-threaded, and 100x ns-3 (38–42 s here).
//! - `simulator/star_churn`: `benches/star-churn.toml`, churn's 50,000 lifecycles from 1,000
//!   clients through a router (two links and one forwarding per packet). Target (issue 16):
//!   within 20 % of `simulator/churn` per connection.
//! - `simulator/flood_1m`: `benches/flood-1m.toml` with SYN cookies on: a million spoofed
//!   SYNs a second for 10 s against a listener, each answered with a cookie SYN-ACK.
//!   Target (issue 12): <= 3 s and <= 64 MB for the whole `synack run`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use synack_benches::SansIoTransfer;
use synack_experiment::config::{parse_cli_value, Experiment};
use synack_report::run::Plan;
use synack_tcp::config::Config;

fn sans_io(c: &mut Criterion) {
    let mut group = c.benchmark_group("sans_io");
    let config = Config::linux();
    // Measure once to know how many segments a transfer takes.
    let mut probe = SansIoTransfer::new(&config, 100_000_000);
    probe.run();
    group.throughput(Throughput::Elements(probe.segments));
    group.sample_size(10);
    group.bench_function("bulk", |b| {
        b.iter(|| {
            let mut t = SansIoTransfer::new(&config, 100_000_000);
            t.run();
            t.segments
        })
    });
    group.finish();
}

fn experiment_plan(name: &str, sets: &[(&str, &str)]) -> Plan {
    plan(&format!("../experiments/{name}.toml"), sets)
}

/// The plan of the experiment file at `path` (from this crate's directory) with `sets`.
fn plan(path: &str, sets: &[(&str, &str)]) -> Plan {
    let path = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let exp = Experiment::load(std::path::Path::new(&path)).expect("an experiment file");
    let sets: Vec<(String, toml::Value)> = sets
        .iter()
        .map(|(k, v)| (k.to_string(), parse_cli_value(v)))
        .collect();
    Plan::new(&synack_experiment::check(&exp, &sets).expect("valid overrides"))
}

fn simulator(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulator");
    group.sample_size(20);
    let lossy = experiment_plan("bulk", &[]);
    group.bench_function("bulk_60s_1pct_loss", |b| {
        b.iter(|| lossy.run_one(0, 0).metrics.events)
    });
    // The same run with its trace recorded: what tracing costs when it is on (off, it is
    // one untaken branch per segment and state change).
    group.bench_function("bulk_60s_1pct_loss_traced", |b| {
        b.iter(|| lossy.trace_one(0, 0).1.records().len())
    });
    let clean = experiment_plan(
        "bulk",
        &[("link.wan.forward.loss", "0"), ("duration", "10s")],
    );
    group.bench_function("bulk_10s_no_loss", |b| {
        b.iter(|| clean.run_one(0, 0).metrics.events)
    });
    let churn = experiment_plan("churn", &[]);
    let lifecycles = churn.run_one(0, 0).metrics.conn_closed_clean;
    assert_eq!(lifecycles, 50_000, "every connection completes");
    group.throughput(Throughput::Elements(lifecycles));
    group.bench_function("churn", |b| b.iter(|| churn.run_one(0, 0).metrics.events));
    let star = plan("star-churn.toml", &[]);
    let lifecycles = star.run_one(0, 0).metrics.conn_closed_clean;
    assert!(
        lifecycles > 49_000,
        "nearly every connection completes: {lifecycles}"
    );
    group.throughput(Throughput::Elements(lifecycles));
    group.bench_function("star_churn", |b| {
        b.iter(|| star.run_one(0, 0).metrics.events)
    });
    group.finish();

    // Seconds per iteration: the fewest samples criterion takes.
    let mut group = c.benchmark_group("simulator");
    group.sample_size(10);
    let flood = plan("flood-1m.toml", &[("host.server.tcp.syn_cookies", "1")]);
    group.bench_function("flood_1m", |b| {
        b.iter(|| flood.run_one(0, 0).metrics.syncookies_sent)
    });
    group.finish();
}

criterion_group!(benches, sans_io, simulator);
criterion_main!(benches);
