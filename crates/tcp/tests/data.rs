//! Data transfer: segmentation, cumulative and delayed ACKs, reassembly, flow control, and
//! the retransmission timer.

mod util;

use synack_tcp::config::{Config, RttEstimation};
use synack_tcp::{Event, Flags, SendError, Seq, State};
use util::{ms, t_ms, Pair, Side};

/// The linux profile with round numbers: MSS 1000 and an initial window of 4 segments.
fn cfg() -> Config {
    Config {
        mss: 1000,
        init_cwnd: Some(4),
        // Round numbers: no timestamps taking 12 bytes of each segment, no SACK blocks
        // (their own tests are in `options.rs`).
        timestamps: false,
        sack: false,
        // RFC 6298's estimator, with which these ladders' timer values were worked out.
        rtt_estimation: RttEstimation::Rfc6298,
        // RFC 1122's delayed ACKs (Linux's quick-ACK mode has its own tests, in `acks.rs`).
        quick_ack: false,
        // Exact timers (Linux's timer wheel has its own tests, in `handshake.rs`).
        timer_wheel_hz: 0,
        ..Config::linux()
    }
}

/// Handshake done at 30 ms (10 ms one-way delay).
fn established(client: &Config, server: &Config) -> Pair {
    let mut p = Pair::connect(client, server, ms(10));
    p.run_until(t_ms(30));
    assert_eq!(
        (p.client_state(), p.server_state()),
        (State::Established, State::Established)
    );
    p
}

const HANDSHAKE: &str = "\
0.000 0.010 C->S SYN     seq=100 ack=0 len=0 SYN-SENT SYN-RECEIVED
0.010 0.020 S->C SYN,ACK seq=300 ack=101 len=0 ESTABLISHED SYN-RECEIVED
0.020 0.030 C->S ACK     seq=101 ack=301 len=0 ESTABLISHED ESTABLISHED
";

/// Four segments fill the initial window; the receiver acknowledges every second full-sized
/// segment at once (RFC 5681 §4.2); each ACK grows cwnd by the two segments it
/// acknowledges (slow start, linux's per-segment growth), and the last segment pair goes out
/// when the first ACK returns.
#[test]
fn segments_by_mss_and_acks_every_second_segment() {
    let mut p = established(&cfg(), &cfg());
    assert_eq!(p.client.send(p.now, 6000), Ok(6000));
    p.run(1000);
    let expected = HANDSHAKE.to_string()
        + "\
0.030 0.040 C->S ACK     seq=101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.030 0.040 C->S ACK     seq=1101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.030 0.040 C->S ACK     seq=2101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.030 0.040 C->S ACK     seq=3101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.040 0.050 S->C ACK     seq=301 ack=2101 len=0 ESTABLISHED ESTABLISHED
0.040 0.050 S->C ACK     seq=301 ack=4101 len=0 ESTABLISHED ESTABLISHED
0.050 0.060 C->S ACK     seq=4101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.050 0.060 C->S ACK     seq=5101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.060 0.070 S->C ACK     seq=301 ack=6101 len=0 ESTABLISHED ESTABLISHED
";
    assert_eq!(p.ladder(), expected);
    assert_eq!(p.server().bytes_received(), 6000);
    assert_eq!(p.client.bytes_acked(), 6000);
    assert_eq!(p.client.cwnd(), 10_000, "4 + every segment acknowledged");
    assert_eq!(
        p.client_app_events()[1..],
        [
            (t_ms(50), Event::Acked(2000)),
            (t_ms(50), Event::Acked(2000)),
            (t_ms(70), Event::Acked(2000))
        ]
    );
}

/// A lone segment is acknowledged when the delayed-ACK timer fires: 40 ms (linux) or
/// 200 ms (rfc); with `delayed_ack = "off"`, at once.
#[test]
fn delayed_ack_waits_its_limit() {
    for (config, ack_sent) in [
        (cfg(), 80),
        (
            Config {
                mss: 1000,
                ..Config::rfc()
            },
            240,
        ),
        (
            Config {
                delayed_ack: None,
                ..cfg()
            },
            40,
        ),
    ] {
        let mut p = established(&config, &config);
        p.client.send(p.now, 500).unwrap();
        p.run(100);
        let ack = p.log.last().unwrap();
        assert_eq!((ack.from, ack.sent), (Side::Server, t_ms(ack_sent)));
        assert_eq!(ack.seg.ack.0, 601);
    }
}

/// A hole: the receiver holds what follows it and sends an immediate duplicate ACK for each
/// out-of-order segment (RFC 5681 §4.2). Two duplicates are not enough for fast retransmit,
/// so the hole waits for the RTO (200 ms, restarted by the ACK at 50 ms: RFC 6298 (5.3)).
/// The retransmission fills the hole, everything is delivered at once and acknowledged
/// immediately; go-back-N sends nothing the receiver already holds.
#[test]
fn out_of_order_segments_draw_immediate_duplicate_acks() {
    let mut p = established(&cfg(), &cfg());
    p.drop_next(Side::Client, |s| s.seq.0 == 1101);
    p.client.send(p.now, 4000).unwrap();
    p.run(1000);
    let expected = HANDSHAKE.to_string()
        + "\
0.030 0.040 C->S ACK     seq=101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.030 lost C->S ACK     seq=1101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.030 0.040 C->S ACK     seq=2101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.030 0.040 C->S ACK     seq=3101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.040 0.050 S->C ACK     seq=301 ack=1101 len=0 ESTABLISHED ESTABLISHED
0.040 0.050 S->C ACK     seq=301 ack=1101 len=0 ESTABLISHED ESTABLISHED
0.250 0.260 C->S ACK     seq=1101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.260 0.270 S->C ACK     seq=301 ack=4101 len=0 ESTABLISHED ESTABLISHED
";
    assert_eq!(p.ladder(), expected);
    assert_eq!(
        p.server_app_events()[1..],
        [
            (t_ms(40), Event::DataReceived(1000)),
            (t_ms(260), Event::DataReceived(3000))
        ]
    );
    assert_eq!(p.client.stats().rto_timeouts, 1);
    assert_eq!(p.client.stats().retransmits, 1);
}

/// RFC 6298 (5.5): each timeout doubles the RTO: 200, 400, 800 ms.
#[test]
fn retransmission_timer_backs_off() {
    let mut p = established(&cfg(), &cfg());
    for _ in 0..3 {
        p.drop_next(Side::Client, |s| s.len > 0);
    }
    p.client.send(p.now, 1000).unwrap();
    p.run(1000);
    let expected = HANDSHAKE.to_string()
        + "\
0.030 lost C->S ACK     seq=101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.230 lost C->S ACK     seq=101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.630 lost C->S ACK     seq=101 ack=301 len=1000 ESTABLISHED ESTABLISHED
1.430 1.440 C->S ACK     seq=101 ack=301 len=1000 ESTABLISHED ESTABLISHED
1.480 1.490 S->C ACK     seq=301 ack=1101 len=0 ESTABLISHED ESTABLISHED
";
    assert_eq!(p.ladder(), expected);
    // Karn: the retransmitted segment gave no sample, so the RTO stays backed off.
    assert_eq!(p.client.rto(), ms(1600));
    assert_eq!(p.client.srtt(), Some(ms(20)));
}

/// The user timeout (RFC 9293 §3.10.8, Linux `TCP_USER_TIMEOUT`) counts from the first
/// retransmission (Linux's `retrans_stamp`): with data lost at 30 ms and retransmitted at
/// 230 and 630 ms (RTO 200 ms, backed off), a 1 s timeout ends the connection at 1.230 s —
/// the timer, due at 1.430 s, is cut short to it (`tcp_clamp_rto_to_user_timeout`), and
/// nothing goes out then. With 2 s, the third retransmission at 1.430 s is the last, and
/// the end at 2.230 s comes before the 3.030 s its backed-off RTO would wait for.
#[test]
fn the_user_timeout_ends_a_retransmission_counted_from_the_first_one() {
    for (limit, sent, end) in [
        (1000, &["0.030", "0.230", "0.630"][..], 1230),
        (2000, &["0.030", "0.230", "0.630", "1.430"][..], 2230),
    ] {
        let client = Config {
            user_timeout: Some(ms(limit)),
            ..cfg()
        };
        let mut p = established(&client, &cfg());
        p.drop_all(Side::Client, |s| s.len > 0);
        p.client.send(p.now, 1000).unwrap();
        p.run(1000);
        let data: Vec<String> = p
            .ladder()
            .lines()
            .filter(|l| l.contains("C->S") && l.contains("len=1000"))
            .map(|l| l.split(' ').next().unwrap().to_string())
            .collect();
        assert_eq!(data, sent, "user timeout {limit} ms");
        assert_eq!(
            p.client_app_events().last(),
            Some(&(t_ms(end), Event::TimedOut)),
            "user timeout {limit} ms"
        );
    }
    // Without one, the fourth retransmission goes out at 3.030 s: 15 timeouts decide.
    let mut p = established(&cfg(), &cfg());
    p.drop_all(Side::Client, |s| s.len > 0);
    p.client.send(p.now, 1000).unwrap();
    p.run_until(t_ms(3100));
    assert_eq!(p.client_state(), State::Established);
    assert!(p.ladder().contains("3.030 lost C->S"), "{}", p.ladder());
}

/// The estimator on a live connection: the handshake's 20 ms sample gives SRTT = 20 ms,
/// RTTVAR = 10 ms, RTO = 20 + 4·10 = 60 ms (RFC 6298 (2.2); `min_rto` lowered to 1 ms so
/// that (2.4) does not hide it). A lone segment then waits 40 ms for the delayed ACK: a
/// 60 ms sample, folded in by (2.3).
#[test]
fn estimator_on_a_connection() {
    let fast = Config {
        min_rto: ms(1),
        ..cfg()
    };
    let mut p = established(&fast, &fast);
    assert_eq!(p.client.srtt(), Some(ms(20)));
    assert_eq!(p.client.rto(), ms(60));
    // One lone segment: acknowledged after the 40 ms delayed ACK: R = 60 ms.
    p.client.send(p.now, 100).unwrap();
    p.run(100);
    // RTTVAR = 3/4·10 + 1/4·|20 − 60| = 17.5 ms; SRTT = 7/8·20 + 1/8·60 = 25 ms;
    // RTO = 25 + 4·17.5 = 95 ms.
    assert_eq!(p.client.srtt(), Some(ms(25)));
    assert_eq!(p.client.rto(), ms(95));
}

/// Flow control: a 2000-byte receive buffer lets two segments be outstanding at a time,
/// whatever cwnd says.
#[test]
fn the_receive_window_limits_the_sender() {
    let small = Config {
        recv_buffer: 2000,
        ..cfg()
    };
    let mut p = established(&cfg(), &small);
    p.client.send(p.now, 5000).unwrap();
    p.run(1000);
    let expected = HANDSHAKE.to_string()
        + "\
0.030 0.040 C->S ACK     seq=101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.030 0.040 C->S ACK     seq=1101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.040 0.050 S->C ACK     seq=301 ack=2101 len=0 ESTABLISHED ESTABLISHED
0.050 0.060 C->S ACK     seq=2101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.050 0.060 C->S ACK     seq=3101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.060 0.070 S->C ACK     seq=301 ack=4101 len=0 ESTABLISHED ESTABLISHED
0.070 0.080 C->S ACK     seq=4101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.120 0.130 S->C ACK     seq=301 ack=5101 len=0 ESTABLISHED ESTABLISHED
";
    assert_eq!(p.ladder(), expected);
}

/// The send buffer takes what fits, and frees space as data is acknowledged.
#[test]
fn send_buffer_is_a_byte_count() {
    let config = Config {
        send_buffer: 3000,
        ..cfg()
    };
    let mut p = established(&config, &config);
    assert_eq!(p.client.send(p.now, 5000), Ok(3000));
    assert_eq!(p.client.send(p.now, 5000), Ok(0));
    p.run(100);
    assert_eq!(p.client.send_space(), 3000);
    p.client.close(p.now).unwrap();
    assert_eq!(p.client.send(p.now, 1), Err(SendError::Closing));
}

/// RFC 9293 §3.8.6.1: a zero window with data waiting starts the persist timer; its probe
/// (SEQ = SND.UNA − 1, as Linux sends it) draws an ACK with the current window, and the
/// data flows. Here the peer's zero window is forged; this endpoint never advertises one.
#[test]
fn a_zero_window_is_probed() {
    let mut p = established(&cfg(), &cfg());
    let mut shut = synack_tcp::Segment::rst(80, 40000, Seq(301), Some(Seq(101)));
    shut.flags = Flags::ACK;
    shut.window = 0;
    p.client.handle_segment(p.now, &shut);
    p.client.send(p.now, 500).unwrap();
    p.run(100);
    let tail: Vec<_> = p.ladder().lines().skip(3).map(str::to_string).collect();
    assert_eq!(
        tail,
        [
            "0.230 0.240 C->S ACK     seq=100 ack=301 len=0 ESTABLISHED ESTABLISHED",
            "0.240 0.250 S->C ACK     seq=301 ack=101 len=0 ESTABLISHED ESTABLISHED",
            "0.250 0.260 C->S ACK     seq=101 ack=301 len=500 ESTABLISHED ESTABLISHED",
            "0.300 0.310 S->C ACK     seq=301 ack=601 len=0 ESTABLISHED ESTABLISHED",
        ]
    );
}

/// Reordering: a segment held back 15 ms arrives after the two behind it. Each of those
/// draws an immediate ACK of the hole (RFC 5681 §4.2), and the late one, filling it, an
/// immediate ACK of everything. One duplicate ACK is not a loss signal: nothing is resent.
#[test]
fn a_reordered_segment_fills_its_hole() {
    let mut p = established(&cfg(), &cfg());
    p.delay_next(Side::Client, ms(15), |s| s.seq == Seq(1101));
    p.client.send(p.now, 4000).unwrap();
    p.run(100);
    let expected = HANDSHAKE.to_string()
        + "\
0.030 0.040 C->S ACK     seq=101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.030 0.055 C->S ACK     seq=1101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.030 0.040 C->S ACK     seq=2101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.030 0.040 C->S ACK     seq=3101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.040 0.050 S->C ACK     seq=301 ack=1101 len=0 ESTABLISHED ESTABLISHED
0.040 0.050 S->C ACK     seq=301 ack=1101 len=0 ESTABLISHED ESTABLISHED
0.055 0.065 S->C ACK     seq=301 ack=4101 len=0 ESTABLISHED ESTABLISHED
";
    assert_eq!(p.ladder(), expected);
    assert_eq!(p.client.stats().retransmits, 0);
}
