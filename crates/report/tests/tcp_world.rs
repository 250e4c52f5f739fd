//! TCP workloads through the whole simulator: experiment text in, metrics and trace out.

mod common;

use common::{client_server, exchange, head, host, link, request, run, traced, workload};
use synack_experiment::metrics::Metrics;

use synack_report::ladder::{self, LadderOptions};
use synack_world::ids::{Addr, FlowId, HostId};
use synack_world::trace::{Record, Trace};

/// (time in ms, sender, flags, seq, ack, len) of every segment sent.
fn sends(trace: &Trace) -> Vec<(f64, &'static str, String, u32, u32, u32)> {
    common::sent(trace)
        .map(|s| {
            (
                s.t.as_nanos() as f64 / 1e6,
                if s.from == Addr::Host(HostId(0)) {
                    "client"
                } else {
                    "server"
                },
                s.seg.flags.to_string(),
                s.seg.seq.0,
                s.seg.ack.0,
                s.seg.len,
            )
        })
        .collect()
}

#[test]
fn a_request_follows_rfc_9293_figures_6_and_12_segment_by_segment() {
    let (m, trace) = traced(&exchange());
    let s = |t: f64, who: &'static str, flags: &str, seq, ack, len| {
        (t, who, flags.to_string(), seq, ack, len)
    };
    assert_eq!(
        sends(&trace),
        vec![
            // Figure 6: SYN, SYN-ACK, ACK (ISNs are zero here), one 10 ms hop each.
            s(0.0, "client", "SYN", 0, 0, 0),
            s(10.0, "server", "SYN,ACK", 0, 1, 0),
            s(20.0, "client", "ACK", 1, 1, 0),
            // The request; the response carries the ACK of the request.
            s(20.0, "client", "ACK", 1, 1, 1000),
            s(30.0, "server", "ACK", 1, 1001, 1000),
            // Figure 12: the client closes once it has the response; FIN takes one number.
            s(40.0, "client", "FIN,ACK", 1001, 1001, 0),
            s(50.0, "server", "ACK", 1001, 1002, 0),
            s(50.0, "server", "FIN,ACK", 1001, 1002, 0),
            s(60.0, "client", "ACK", 1002, 1002, 0),
        ]
    );
    // The client's TIME-WAIT lasts exactly 2·MSL (rfc profile: MSL = 2 min).
    let closed: Vec<(u64, u32)> = trace
        .records()
        .iter()
        .filter_map(|r| match r {
            Record::State(c) if c.to.to_string() == "CLOSED" => Some((c.t.as_nanos(), c.host.0)),
            _ => None,
        })
        .collect();
    assert_eq!(
        closed,
        vec![(70_000_000, 1), (60_000_000 + 240_000_000_000, 0)]
    );
    assert_eq!(
        (
            m.conn_attempted,
            m.conn_established,
            m.conn_closed_clean,
            m.conn_reset,
            m.conn_failed
        ),
        (1, 1, 1, 0, 0)
    );
    assert_eq!(m.handshake_mean_s.unwrap(), 0.020);
    assert_eq!((m.bytes_delivered, m.bytes_lost), (2000, 0));
    assert_eq!(
        (m.time_wait_peak, m.close_wait_peak, m.half_open_peak),
        (1, 1, 1)
    );
    assert_eq!((m.retransmits, m.syn_retransmits), (0, 0));
}

#[test]
fn the_ladder_draws_the_same_exchange() {
    let (_, trace) = traced(&exchange());
    let ladder = ladder::ladder(&trace, FlowId(0), &LadderOptions::default()).unwrap();
    let lines: Vec<&str> = ladder.lines().collect();
    assert!(
        lines[0].starts_with("connection 0: client:49152 → server:80"),
        "{ladder}"
    );
    let rows: Vec<String> = lines[3..]
        .iter()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        rows[0],
        "0.000000 SYN-SENT --> <SEQ=0><CTL=SYN> --> SYN-RECEIVED 0.010000"
    );
    assert_eq!(
        rows[1],
        "0.010000 ESTABLISHED <-- <SEQ=0><ACK=1><CTL=SYN,ACK> <-- SYN-RECEIVED 0.020000"
    );
    assert_eq!(
        rows[5],
        "0.040000 FIN-WAIT-1 --> <SEQ=1001><ACK=1001><CTL=FIN,ACK> --> CLOSE-WAIT 0.050000"
    );
    assert_eq!(
        rows[7],
        "0.050000 TIME-WAIT <-- <SEQ=1001><ACK=1002><CTL=FIN,ACK> <-- LAST-ACK 0.060000"
    );
    assert_eq!(rows[9], "240.060000 CLOSED (timer)");
    assert!(ladder::ladder(&trace, FlowId(1), &LadderOptions::default()).is_none());
}

#[test]
fn a_server_that_never_closes_leaves_close_wait_behind() {
    let text = exchange().replace(
        "response = \"1KB\"",
        "response = \"1KB\"\nserver_close = \"never\"",
    );
    let m = run(&text, 0);
    assert_eq!(m.close_wait_peak, 1);
    assert_eq!(m.conn_closed_clean, 0);
    assert_eq!(m.bytes_delivered, 2000);
}

/// A bulk transfer of `bytes` from host `a` to `b` over 5 ms at 20 Mbit/s with a queue of
/// 200 packets and random `loss`.
fn bulk(bytes: &str, loss: f64) -> String {
    [
        head("bulk", "120s", "profile = \"linux\""),
        host("a", ""),
        host("b", ""),
        link(
            "l",
            "a",
            "b",
            &format!("delay = \"5ms\"\nbandwidth = \"20Mbps\"\nqueue = 200\nloss = {loss}"),
        ),
        workload("t", "bulk", "a", "b:5001", &format!("bytes = \"{bytes}\"")),
    ]
    .concat()
}

#[test]
fn a_bulk_transfer_over_a_lossy_link_delivers_every_byte_and_closes() {
    for replication in 0..5 {
        let m = run(&bulk("2MB", 0.02), replication);
        assert_eq!(m.bytes_delivered, 2_000_000, "replication {replication}");
        assert_eq!(m.bytes_lost, 0);
        assert_eq!(m.conn_closed_clean, 1, "replication {replication}");
        assert!(m.retransmits > 0 && m.segments_lost > 0);
        assert!(m.goodput_bps > 0.0 && m.goodput_bps < 20e6);
    }
}

#[test]
fn without_loss_a_bulk_transfer_fills_the_link() {
    // Per-ACK window growth (RFC 5681 as written, and ns-3's): after the slow-start
    // overshoot and its timeout, the window climbs back without bursting into the queue.
    let text = bulk("20MB", 0.0).replace(
        "profile = \"linux\"",
        "profile = \"linux\"\ncwnd_growth = \"per-ack\"",
    );
    let m = run(&text, 0);
    assert_eq!(m.bytes_delivered, 20_000_000);
    // 20 MB at 20 Mbps take 8 s on the wire (plus headers, slow start and the close): the
    // goodput is within 25 % of the link rate.
    assert!(
        m.goodput_bps > 15e6 && m.goodput_bps < 20e6,
        "{}",
        m.goodput_bps
    );
    // Linux's growth (the whole cumulative ACK at once in slow start) bursts after the
    // timeout and, with neither SACK nor timestamps modelled, backs off further; it still
    // delivers every byte, more slowly.
    let linux = run(&bulk("20MB", 0.0), 0);
    assert_eq!(linux.bytes_delivered, 20_000_000);
    assert!(linux.goodput_bps < 20e6);
}

#[test]
fn runs_are_reproducible() {
    assert_eq!(run(&bulk("1MB", 0.05), 3), run(&bulk("1MB", 0.05), 3));
    assert_ne!(run(&bulk("1MB", 0.05), 3), run(&bulk("1MB", 0.05), 4));
}

fn half_close(passive_close: &str) -> Metrics {
    let text = [
        head(
            "half-close",
            "60s",
            &format!("profile = \"rfc\"\nmsl = \"1s\"\npassive_close = \"{passive_close}\""),
        ),
        client_server("delay = \"10ms\"\nbandwidth = \"10Mbps\"", "", ""),
        request(
            "get",
            "request = \"1KB\"\nresponse = \"2MB\"\nhalf_close = true",
        ),
    ]
    .concat();
    run(&text, 0)
}

#[test]
fn after_a_half_close_the_server_keeps_sending_and_every_byte_arrives() {
    let m = half_close("after-app");
    assert_eq!((m.bytes_delivered, m.bytes_lost), (2_001_000, 0));
    assert_eq!((m.conn_closed_clean, m.close_wait_peak), (1, 1));
    // The ablation answers the client's FIN with its own at once, discarding what the
    // server had not sent yet: the FIN exchange completes "cleanly", the bytes are lost.
    let cut = half_close("with-ack");
    assert_eq!(cut.conn_closed_clean, 1);
    assert!(cut.bytes_lost > 1_000_000, "{}", cut.bytes_lost);
    assert_eq!(cut.bytes_delivered + cut.bytes_lost, 2_001_000);
}
