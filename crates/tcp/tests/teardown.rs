//! Closing: RFC 9293 Figures 12 and 13, half-close, FIN retransmission into TIME-WAIT,
//! FIN-WAIT-2's limit, RST in TIME-WAIT, abort.

mod util;

use synack_sim::{Duration, Time};
use synack_tcp::config::{Config, RttEstimation};
use synack_tcp::{CloseError, Event, Segment, Seq, State};
use util::{ms, t_ms, Pair, Side};

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

fn established(config: &Config) -> Pair {
    let mut p = Pair::connect(config, config, ms(10));
    p.run_until(t_ms(30));
    p
}

fn secs_ms(s: u64, ms: u64) -> Time {
    Time::ZERO + Duration::from_secs(s) + Duration::from_millis(ms)
}

const HANDSHAKE: &str = "\
0.000 0.010 C->S SYN     seq=100 ack=0 len=0 SYN-SENT SYN-RECEIVED
0.010 0.020 S->C SYN,ACK seq=300 ack=101 len=0 ESTABLISHED SYN-RECEIVED
0.020 0.030 C->S ACK     seq=101 ack=301 len=0 ESTABLISHED ESTABLISHED
";

/// RFC 9293 Figure 12: the client closes at 30 ms, the server's application at 100 ms. The
/// FIN takes one sequence number (ACK 102, then 302); the active closer waits 2·MSL = 60 s
/// (linux) in TIME-WAIT.
#[test]
fn figure_12_normal_close() {
    let mut p = established(&cfg());
    p.client.close(p.now).unwrap();
    p.run_until(t_ms(100));
    assert_eq!(
        p.server_app_events().last(),
        Some(&(t_ms(40), Event::PeerFin))
    );
    p.server().close(t_ms(100)).unwrap();
    p.run(100);
    let expected = HANDSHAKE.to_string()
        + "\
0.030 0.040 C->S FIN,ACK seq=101 ack=301 len=0 FIN-WAIT-1 CLOSE-WAIT
0.040 0.050 S->C ACK     seq=301 ack=102 len=0 FIN-WAIT-2 CLOSE-WAIT
0.100 0.110 S->C FIN,ACK seq=301 ack=102 len=0 TIME-WAIT LAST-ACK
0.110 0.120 C->S ACK     seq=102 ack=302 len=0 TIME-WAIT CLOSED
";
    assert_eq!(p.ladder(), expected);
    assert_eq!(
        p.client_events.last(),
        Some(&(secs_ms(60, 110), Event::Closed))
    );
    assert_eq!(p.server_events.last(), Some(&(t_ms(120), Event::Closed)));
}

/// RFC 9293 Figure 13: both close at once. The FINs cross; each side goes FIN-WAIT-1 →
/// CLOSING on the other's FIN, then TIME-WAIT on the ACK of its own. Both wait 2·MSL.
#[test]
fn figure_13_simultaneous_close() {
    let mut p = established(&cfg());
    p.client.close(p.now).unwrap();
    p.server().close(t_ms(30)).unwrap();
    p.run(100);
    let expected = HANDSHAKE.to_string()
        + "\
0.030 0.040 C->S FIN,ACK seq=101 ack=301 len=0 FIN-WAIT-1 CLOSING
0.030 0.040 S->C FIN,ACK seq=301 ack=101 len=0 CLOSING CLOSING
0.040 0.050 S->C ACK     seq=302 ack=102 len=0 TIME-WAIT CLOSING
0.040 0.050 C->S ACK     seq=102 ack=302 len=0 TIME-WAIT TIME-WAIT
";
    assert_eq!(p.ladder(), expected);
    assert_eq!(
        p.client_events.last(),
        Some(&(secs_ms(60, 50), Event::Closed))
    );
    assert_eq!(
        p.server_events.last(),
        Some(&(secs_ms(60, 50), Event::Closed))
    );
}

/// Half-close: the side that received a FIN (CLOSE-WAIT) keeps sending; the side in
/// FIN-WAIT-2 keeps receiving and acknowledging.
#[test]
fn half_close_data_flows_after_the_fin() {
    let mut p = established(&cfg());
    p.client.close(p.now).unwrap();
    p.run_until(t_ms(50));
    p.server().send(t_ms(50), 3000).unwrap();
    p.server().close(t_ms(50)).unwrap();
    p.run(100);
    let expected = HANDSHAKE.to_string()
        + "\
0.030 0.040 C->S FIN,ACK seq=101 ack=301 len=0 FIN-WAIT-1 CLOSE-WAIT
0.040 0.050 S->C ACK     seq=301 ack=102 len=0 FIN-WAIT-2 CLOSE-WAIT
0.050 0.060 S->C ACK     seq=301 ack=102 len=1000 FIN-WAIT-2 LAST-ACK
0.050 0.060 S->C ACK     seq=1301 ack=102 len=1000 FIN-WAIT-2 LAST-ACK
0.050 0.060 S->C ACK     seq=2301 ack=102 len=1000 FIN-WAIT-2 LAST-ACK
0.050 0.060 S->C FIN,ACK seq=3301 ack=102 len=0 TIME-WAIT LAST-ACK
0.060 0.070 C->S ACK     seq=102 ack=2301 len=0 TIME-WAIT LAST-ACK
0.060 0.070 C->S ACK     seq=102 ack=3302 len=0 TIME-WAIT CLOSED
";
    assert_eq!(p.ladder(), expected);
    assert_eq!(p.client.bytes_received(), 3000);
    assert_eq!(p.server().bytes_acked(), 3000);
}

/// The last ACK is lost: the server's FIN times out (RTO 200 ms) and comes again; the
/// client, in TIME-WAIT, acknowledges it again and restarts its 2·MSL timer (RFC 9293
/// §3.10.7.4, eighth), so it closes 60 s after the second FIN, not the first.
#[test]
fn fin_retransmitted_into_time_wait() {
    let mut p = established(&cfg());
    p.client.close(p.now).unwrap();
    p.run_until(t_ms(100));
    p.server().close(t_ms(100)).unwrap();
    p.drop_next(Side::Client, |s| s.ack == Seq(302));
    p.run(100);
    let expected = HANDSHAKE.to_string()
        + "\
0.030 0.040 C->S FIN,ACK seq=101 ack=301 len=0 FIN-WAIT-1 CLOSE-WAIT
0.040 0.050 S->C ACK     seq=301 ack=102 len=0 FIN-WAIT-2 CLOSE-WAIT
0.100 0.110 S->C FIN,ACK seq=301 ack=102 len=0 TIME-WAIT LAST-ACK
0.110 lost C->S ACK     seq=102 ack=302 len=0 TIME-WAIT LAST-ACK
0.300 0.310 S->C FIN,ACK seq=301 ack=102 len=0 TIME-WAIT LAST-ACK
0.310 0.320 C->S ACK     seq=102 ack=302 len=0 TIME-WAIT CLOSED
";
    assert_eq!(p.ladder(), expected);
    assert_eq!(
        p.client_events.last(),
        Some(&(secs_ms(60, 310), Event::Closed))
    );
    assert_eq!(p.server().stats().retransmits, 1);
}

/// A lost FIN is retransmitted with the data's timer (FIN-WAIT-1 persists meanwhile).
#[test]
fn lost_fin_is_retransmitted() {
    let mut p = established(&cfg());
    p.drop_next(Side::Client, |s| s.flags.fin());
    p.client.close(p.now).unwrap();
    p.run_until(t_ms(300));
    let fins: Vec<_> = p
        .log
        .iter()
        .filter(|l| l.seg.flags.fin())
        .map(|l| (l.sent, l.arrived))
        .collect();
    assert_eq!(fins, vec![(t_ms(30), None), (t_ms(230), Some(t_ms(240)))]);
    assert_eq!(
        (p.client_state(), p.server_state()),
        (State::FinWait2, State::CloseWait)
    );
}

/// Linux `tcp_fin_timeout` (60 s): a FIN-WAIT-2 whose peer never closes is dropped; the
/// rfc profile has no such limit and waits forever.
#[test]
fn fin_wait_2_times_out_on_linux_only() {
    let mut p = established(&cfg());
    p.client.close(p.now).unwrap();
    p.run(100);
    assert_eq!(p.client.state(), State::Closed);
    assert_eq!(
        p.client_events.last(),
        Some(&(secs_ms(60, 50), Event::Closed))
    );
    assert_eq!(p.server_state(), State::CloseWait);

    let rfc = Config {
        mss: 1000,
        ..Config::rfc()
    };
    let mut p = established(&rfc);
    p.client.close(p.now).unwrap();
    p.run(100);
    assert_eq!(p.client.state(), State::FinWait2);
    assert_eq!(p.client.poll_timeout(), None);
}

/// Linux `tcp_fin_time`: however short `fin_timeout` is, FIN-WAIT-2 lasts at least
/// 3.5·RTO. The client enters FIN-WAIT-2 at 50 ms with an RTO of 200 ms (`min_rto`), so a
/// 100 ms `fin_timeout` ends it at 50 + 700 ms.
#[test]
fn fin_timeout_lasts_at_least_three_and_a_half_rtos() {
    let short = Config {
        fin_timeout: Some(ms(100)),
        ..cfg()
    };
    let mut p = established(&short);
    p.client.close(p.now).unwrap();
    p.run_until(t_ms(50));
    assert_eq!(p.client.state(), State::FinWait2);
    assert_eq!(p.client.rto(), ms(200));
    p.run(100);
    assert_eq!(p.client_events.last(), Some(&(t_ms(750), Event::Closed)));
}

/// RST in TIME-WAIT: RFC 9293 closes (linux profile, `rfc1337 = false`); RFC 1337 ignores
/// it (rfc profile). The RST must still match RCV.NXT exactly (RFC 5961 §3.2).
#[test]
fn rst_in_time_wait_follows_rfc1337() {
    for (config, survives) in [
        (cfg(), false),
        (
            Config {
                mss: 1000,
                ..Config::rfc()
            },
            true,
        ),
    ] {
        let mut p = established(&config);
        p.client.close(p.now).unwrap();
        p.run_until(t_ms(100));
        p.server().close(t_ms(100)).unwrap();
        p.run_until(t_ms(200));
        assert_eq!(p.client.state(), State::TimeWait);
        let rst = Segment::rst(80, 40000, Seq(302), None);
        p.client.handle_segment(t_ms(200), &rst);
        let expect = if survives {
            State::TimeWait
        } else {
            State::Closed
        };
        assert_eq!(p.client.state(), expect);
    }
}

/// RFC 5961 §3.2: an in-window RST that does not match RCV.NXT draws a challenge ACK and
/// changes nothing; an exact one resets.
#[test]
fn rst_needs_an_exact_sequence_number() {
    let mut p = established(&cfg());
    p.client
        .handle_segment(p.now, &Segment::rst(80, 40000, Seq(305), None));
    let challenge = p.client.poll_transmit().unwrap();
    assert_eq!((challenge.seq, challenge.ack), (Seq(101), Seq(301)));
    assert_eq!(p.client.state(), State::Established);
    p.client
        .handle_segment(p.now, &Segment::rst(80, 40000, Seq(301), None));
    assert_eq!(p.client.state(), State::Closed);
    let events: Vec<_> = std::iter::from_fn(|| p.client.poll_event()).collect();
    assert_eq!(events.last(), Some(&Event::Reset));
}

/// RFC 9293 §3.10.5: abort sends <SEQ=SND.NXT><CTL=RST>; the peer resets. Linux's
/// `tcp_send_active_reset` (`rst_ack`, the linux profile's) acknowledges RCV.NXT on it too.
#[test]
fn abort_sends_a_reset() {
    for (rst_ack, line) in [
        (false, "RST     seq=101 ack=0 len=0"),
        (true, "RST,ACK seq=101 ack=301 len=0"),
    ] {
        let mut p = established(&Config { rst_ack, ..cfg() });
        p.client.abort(p.now);
        p.run(100);
        let expected = HANDSHAKE.to_string() + "0.030 0.040 C->S " + line + " CLOSED CLOSED\n";
        assert_eq!(p.ladder(), expected);
        assert_eq!(
            p.client_app_events().last(),
            Some(&(t_ms(30), Event::Closed))
        );
        assert_eq!(
            p.server_app_events().last(),
            Some(&(t_ms(40), Event::Reset))
        );
    }
}

/// RFC 9293 §3.10.7.1: a CLOSED connection answers with a RST.
#[test]
fn closed_answers_with_reset() {
    let mut p = established(&cfg());
    p.server().abort(t_ms(30));
    p.drop_next(Side::Server, |s| s.flags.rst());
    p.client.send(t_ms(30), 100).unwrap();
    p.run(100);
    let last = p.log.last().unwrap();
    assert_eq!(
        (last.from, last.seg.flags.rst(), last.seg.seq),
        (Side::Server, true, Seq(301))
    );
    assert_eq!(p.client.state(), State::Closed);
    assert_eq!(p.client_app_events().last().unwrap().1, Event::Reset);
}

#[test]
fn close_twice_is_an_error() {
    let mut p = established(&cfg());
    p.client.close(p.now).unwrap();
    assert_eq!(p.client.close(p.now), Err(CloseError::AlreadyClosing));
    p.client.abort(p.now);
    assert_eq!(p.client.close(p.now), Err(CloseError::NotOpen));
}

/// RFC 1122 §4.2.2.13: TIME-WAIT may be cut short by a new SYN beyond the old sequence
/// space; an old duplicate SYN (at or before RCV.NXT) may not.
#[test]
fn time_wait_can_accept_a_new_incarnation() {
    let mut p = established(&cfg());
    p.client.close(p.now).unwrap();
    p.run_until(t_ms(100));
    p.server().close(t_ms(100)).unwrap();
    p.run_until(t_ms(200));
    // The server was the passive closer; the client holds TIME-WAIT, RCV.NXT = 302.
    let tw = &p.client;
    assert_eq!(tw.state(), State::TimeWait);
    let mut syn = Segment::rst(80, 40000, Seq(302), None);
    syn.flags = synack_tcp::Flags::SYN;
    assert!(!tw.time_wait_accepts(&syn), "an old duplicate");
    syn.seq = Seq(5000);
    assert!(tw.time_wait_accepts(&syn));
    assert_eq!(tw.successor_isn(), Seq(102 + 65_537));
}

/// RFC 5961 §4.2: a SYN on an established connection (even in the window) draws a
/// challenge ACK and changes nothing.
#[test]
fn syn_on_an_established_connection_draws_a_challenge_ack() {
    let mut p = established(&cfg());
    let mut syn = Segment::rst(80, 40000, Seq(310), None);
    syn.flags = synack_tcp::Flags::SYN;
    p.client.handle_segment(p.now, &syn);
    let ack = p.client.poll_transmit().unwrap();
    assert_eq!(
        (ack.flags, ack.seq, ack.ack),
        (synack_tcp::Flags::ACK, Seq(101), Seq(301))
    );
    assert_eq!(p.client.state(), State::Established);
}

/// RFC 5961 §7's throttle, as Linux applies it per connection (`tcp_send_challenge_ack`,
/// `tcp_validate_incoming` with `tcp_invalid_ratelimit` = 500 ms): of the challenge ACKs
/// that an inexact RST, a SYN and an out-of-window bare ACK would draw, one goes out per
/// 500 ms; out-of-window data is always answered. With `invalid_ratelimit = 0` (the RFC
/// profile's) every one is answered.
#[test]
fn challenge_acks_are_throttled_per_invalid_ratelimit() {
    let answers = |limit_ms: u64| {
        let config = Config {
            invalid_ratelimit: Duration::from_millis(limit_ms),
            ..cfg()
        };
        let mut p = established(&config);
        let rst = Segment::rst(80, 40000, Seq(310), None);
        let mut syn = rst;
        syn.flags = synack_tcp::Flags::SYN;
        let mut old_ack = Segment::rst(80, 40000, Seq(250), None);
        old_ack.flags = synack_tcp::Flags::ACK;
        old_ack.ack = Seq(101);
        let mut old_data = old_ack;
        old_data.len = 10;
        let mut answered = Vec::new();
        for (at, seg) in [
            (100, rst),
            (200, syn),
            (300, old_ack),
            (400, old_data),
            (599, rst),
            (600, syn),
            (700, old_ack),
        ] {
            p.client.handle_segment(t_ms(at), &seg);
            if let Some(ack) = p.client.poll_transmit() {
                assert_eq!(
                    (ack.flags, ack.seq, ack.ack),
                    (synack_tcp::Flags::ACK, Seq(101), Seq(301))
                );
                answered.push(at);
            }
            assert_eq!(p.client.state(), State::Established);
        }
        answered
    };
    assert_eq!(answers(500), [100, 400, 600]);
    assert_eq!(answers(0), [100, 200, 300, 400, 599, 600, 700]);
}

/// A FIN that arrives beyond a hole waits for the hole: FIN-WAIT-2 does not become
/// TIME-WAIT until the data before the FIN is in. Both out-of-order segments (data, then
/// the FIN) draw an immediate duplicate ACK.
#[test]
fn a_fin_beyond_a_hole_waits_for_it() {
    let mut p = established(&cfg());
    p.client.close(p.now).unwrap();
    p.run_until(t_ms(50));
    p.drop_next(Side::Server, |s| s.len > 0 && s.seq == Seq(301));
    p.server().send(t_ms(50), 1500).unwrap();
    p.server().close(t_ms(50)).unwrap();
    p.run(100);
    let expected = HANDSHAKE.to_string()
        + "\
0.030 0.040 C->S FIN,ACK seq=101 ack=301 len=0 FIN-WAIT-1 CLOSE-WAIT
0.040 0.050 S->C ACK     seq=301 ack=102 len=0 FIN-WAIT-2 CLOSE-WAIT
0.050 lost S->C ACK     seq=301 ack=102 len=1000 FIN-WAIT-2 LAST-ACK
0.050 0.060 S->C ACK     seq=1301 ack=102 len=500 FIN-WAIT-2 LAST-ACK
0.050 0.060 S->C FIN,ACK seq=1801 ack=102 len=0 FIN-WAIT-2 LAST-ACK
0.060 0.070 C->S ACK     seq=102 ack=301 len=0 FIN-WAIT-2 LAST-ACK
0.060 0.070 C->S ACK     seq=102 ack=301 len=0 FIN-WAIT-2 LAST-ACK
0.250 0.260 S->C ACK     seq=301 ack=102 len=1000 TIME-WAIT LAST-ACK
0.260 0.270 C->S ACK     seq=102 ack=1802 len=0 TIME-WAIT CLOSED
";
    assert_eq!(p.ladder(), expected);
    assert_eq!(
        p.client_app_events()[1..3],
        [
            (t_ms(260), Event::DataReceived(1500)),
            (t_ms(260), Event::PeerFin)
        ]
    );
}
