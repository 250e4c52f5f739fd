//! The compact TIME-WAIT ([`TimeWait`]) answers as the [`Connection`] it came from: the same
//! segments go to a connection in TIME-WAIT and to its `TimeWait`, and the segments sent, the
//! deadline, the counters and the end must agree.

mod util;

use proptest::prelude::*;
use synack_sim::{Duration, Time};
use synack_tcp::config::{Config, RttEstimation};
use synack_tcp::{Connection, Flags, Segment, Seq, State, TimeWait, TimeWaitAction};
use util::{ms, t_ms, Pair, Side, CLIENT_PORT, SERVER_PORT};

fn linux() -> Config {
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
        // The whole buffer as the window, one field value (autotuning: `window.rs`).
        recv_autotuning: false,
        // Exact timers (Linux's timer wheel has its own tests, in `handshake.rs`).
        timer_wheel_hz: 0,
        ..Config::linux()
    }
}

fn rfc() -> Config {
    Config {
        mss: 1000,
        init_cwnd: Some(4),
        ..Config::rfc()
    }
}

/// RFC 9293 Figure 12 up to the client's TIME-WAIT: it closed at 30 ms, the server at
/// 100 ms after sending 2500 bytes; the client acknowledged the FIN at 110 ms. Its RCV.NXT is
/// 301 + 2500 + 1 = 2802, its SND.NXT 102, and TIME-WAIT ends 2·MSL after 110 ms.
fn time_wait_pair(config: &Config) -> Pair {
    let mut p = Pair::connect(config, config, ms(10));
    p.run_until(t_ms(30));
    p.client.close(p.now).unwrap();
    p.run_until(t_ms(100));
    p.server().send(t_ms(100), 2500).unwrap();
    p.server().close(t_ms(100)).unwrap();
    p.run_until(t_ms(200));
    assert_eq!(
        (p.client_state(), p.server_state()),
        (State::TimeWait, State::Closed)
    );
    p
}

/// The client's connection in TIME-WAIT, and its compact form.
fn both(config: &Config) -> (Connection, TimeWait) {
    let conn = time_wait_pair(config).client;
    let tw = conn.clone().into_time_wait().expect("TIME-WAIT, drained");
    (conn, tw)
}

/// A segment from the server's port to the client's.
fn seg(flags: Flags, seq: u32, ack: u32, len: u32) -> Segment {
    Segment {
        src_port: SERVER_PORT,
        dst_port: CLIENT_PORT,
        seq: Seq(seq),
        ack: if flags.ack() { Seq(ack) } else { Seq(0) },
        flags,
        window: 62_500,
        len,
        opts: synack_tcp::Options::default(),
        ecn: Default::default(),
    }
}

/// What the connection does with `seg` at `now`, as a simulator drives it: a SYN that may
/// reopen the 4-tuple goes to the listener, anything else to the connection.
fn connection_action(conn: &mut Connection, now: Time, seg: &Segment) -> TimeWaitAction {
    let ours = seg.dst_port == conn.local_port() && seg.src_port == conn.remote_port();
    if ours && conn.time_wait_accepts(seg) {
        return TimeWaitAction::Reopen;
    }
    let deadline = conn.poll_timeout();
    conn.handle_segment(now, seg);
    let out: Vec<Segment> = std::iter::from_fn(|| conn.poll_transmit()).collect();
    while conn.poll_event().is_some() {}
    match (conn.state(), out.as_slice()) {
        (State::Closed, []) => TimeWaitAction::Close,
        (State::TimeWait, []) => TimeWaitAction::Ignore,
        (State::TimeWait, [ack]) if conn.poll_timeout() != deadline => TimeWaitAction::AckFin(*ack),
        (State::TimeWait, [ack]) => TimeWaitAction::Ack(*ack),
        (state, out) => panic!("{state} sending {out:?}"),
    }
}

/// Drives `seg` into both and checks that they agree. A FIN retransmitted twice at the same
/// instant restarts the connection's timer without moving it, so `AckFin` and `Ack` are
/// compared by the deadline they leave.
fn agree(conn: &mut Connection, tw: &mut TimeWait, now: Time, seg: &Segment) -> TimeWaitAction {
    let expected = connection_action(conn, now, seg);
    let action = tw.handle_segment(now, seg);
    let strip = |a: TimeWaitAction| match a {
        TimeWaitAction::AckFin(s) => TimeWaitAction::Ack(s),
        a => a,
    };
    assert_eq!(strip(action), strip(expected), "{seg:?} at {now:?}");
    if !matches!(action, TimeWaitAction::Close | TimeWaitAction::Reopen) {
        assert_eq!(conn.poll_timeout(), Some(tw.deadline()));
        assert_eq!(conn.stats(), tw.stats());
    }
    action
}

#[test]
fn only_a_drained_time_wait_converts() {
    let mut p = Pair::connect(&linux(), &linux(), ms(10));
    p.run_until(t_ms(30));
    let established = p.client.clone().into_time_wait();
    assert_eq!(established.unwrap_err().state(), State::Established);

    p.client.close(p.now).unwrap();
    p.run_until(t_ms(100));
    assert_eq!(p.client.state(), State::FinWait2);
    // The server's FIN, handed over by hand: the client's ACK and its move to TIME-WAIT
    // are still to be polled.
    let mut client = p.client.clone();
    client.handle_segment(t_ms(100), &seg(Flags::FIN | Flags::ACK, 301, 102, 0));
    assert_eq!(client.state(), State::TimeWait);
    let mut client = client.into_time_wait().unwrap_err();
    let ack = client.poll_transmit().unwrap();
    assert!(client.clone().into_time_wait().is_err(), "events left");
    while client.poll_event().is_some() {}
    let tw = client.into_time_wait().unwrap();
    assert_eq!(tw.ack_segment(t_ms(100)), ack);
    assert_eq!(tw.deadline(), t_ms(100) + Duration::from_secs(60));
    assert!(!tw.is_expired(t_ms(100) + Duration::from_millis(59_999)));
    assert!(tw.is_expired(t_ms(100) + Duration::from_secs(60)));
}

/// The last ACK lost: the server's FIN (seq 2801) comes again; the answer is the same ACK,
/// and 2·MSL starts over (RFC 9293 §3.10.7.4, eighth).
#[test]
fn a_retransmitted_fin_is_acknowledged_and_restarts_the_timer() {
    let (mut conn, mut tw) = both(&linux());
    assert_eq!(tw.deadline(), t_ms(110) + Duration::from_secs(60));
    let fin = seg(Flags::FIN | Flags::ACK, 2801, 102, 0);
    let at = t_ms(310);
    let action = agree(&mut conn, &mut tw, at, &fin);
    let ack = seg(Flags::ACK, 102, 2802, 0);
    let ack = Segment {
        src_port: CLIENT_PORT,
        dst_port: SERVER_PORT,
        ..ack
    };
    assert_eq!(action, TimeWaitAction::AckFin(ack));
    assert_eq!(tw.deadline(), at + Duration::from_secs(60));
    assert_eq!(tw.stats().segments_sent, conn.stats().segments_sent);
    // The last data segment and the FIN on it, again: also a retransmission of the FIN.
    let action = agree(
        &mut conn,
        &mut tw,
        t_ms(400),
        &seg(Flags::FIN | Flags::ACK, 2301, 102, 500),
    );
    assert_eq!(action, TimeWaitAction::AckFin(ack));
    assert_eq!(tw.deadline(), t_ms(400) + Duration::from_secs(60));
}

/// An exact RST closes TIME-WAIT on linux (`rfc1337 = false`) and is ignored on rfc. An
/// inexact one in the window draws a challenge ACK under RFC 5961 §3.2, and is dropped
/// silently by Linux (`tcp_timewait_state_process`: anything but a bare segment at RCV.NXT
/// is "out of window", and a RST there is not answered).
#[test]
fn rst_follows_rfc1337() {
    for (config, exact, inexact_acked) in [
        (linux(), TimeWaitAction::Close, false),
        (rfc(), TimeWaitAction::Ignore, true),
    ] {
        let (mut conn, mut tw) = both(&config);
        let inexact = agree(&mut conn, &mut tw, t_ms(300), &seg(Flags::RST, 2810, 0, 0));
        assert_eq!(matches!(inexact, TimeWaitAction::Ack(_)), inexact_acked);
        let action = agree(&mut conn, &mut tw, t_ms(300), &seg(Flags::RST, 2802, 0, 0));
        assert_eq!(action, exact);
    }
}

/// The ACK TIME-WAIT sends: <SEQ=102><ACK=2802>, with the window field `window` (62,500:
/// the 4 MB buffer scaled by 2^6; 65,535 without window scaling).
fn tw_ack(window: u16) -> Segment {
    Segment {
        src_port: CLIENT_PORT,
        dst_port: SERVER_PORT,
        window,
        ..seg(Flags::ACK, 102, 2802, 0)
    }
}

/// Linux's TIME-WAIT, segment by segment (RCV.NXT = 2802, TIME-WAIT from 110 ms for 60 s).
/// A bare ACK at RCV.NXT is taken silently and restarts the timer. Any other segment with
/// an ACK is "out of window": it restarts the timer and draws an ACK — at most one per
/// 500 ms (`tcp_oow_rate_limited`) unless it carries data or a FIN. A SYN without ACK that
/// may not reopen the 4-tuple draws the ACK and leaves the timer ("it may be both old
/// duplicate and new good SYN with random sequence number <rcv_nxt").
#[test]
fn linux_time_wait_answers_out_of_window_segments_once_per_500_ms() {
    let (mut conn, mut tw) = both(&linux());
    // What TIME-WAIT does with `s` at `at` ms, and the deadline it leaves.
    let mut step = |at: u64, s: Segment| {
        let action = agree(&mut conn, &mut tw, t_ms(at), &s);
        (action, tw.deadline())
    };
    let restarted = |at: u64| t_ms(at) + Duration::from_secs(60);
    let (ack, ignore) = (TimeWaitAction::Ack(tw_ack(62_500)), TimeWaitAction::Ignore);
    let ack_restart = TimeWaitAction::AckFin(tw_ack(62_500));
    // At RCV.NXT: silent, timer restarted.
    let at_rcv_nxt = seg(Flags::ACK, 2802, 102, 0);
    assert_eq!(step(1_000, at_rcv_nxt), (ignore, restarted(1_000)));
    // In the window, beyond RCV.NXT: answered, timer restarted; again within 500 ms, the
    // timer restarts but the answer is skipped.
    let beyond = seg(Flags::ACK, 2900, 102, 0);
    assert_eq!(step(2_000, beyond), (ack_restart, restarted(2_000)));
    assert_eq!(step(2_400, beyond), (ignore, restarted(2_400)));
    // Old data is always answered.
    let data = seg(Flags::ACK, 2000, 102, 100);
    assert_eq!(step(2_450, data), (ack_restart, restarted(2_450)));
    // An old SYN: answered (500 ms after the last limited answer), the timer left alone.
    let syn = seg(Flags::SYN, 2000, 0, 0);
    assert_eq!(step(2_900, syn), (ack, restarted(2_450)));
    assert_eq!(step(3_000, syn), (ignore, restarted(2_450)));
}

/// RFC 9293 in TIME-WAIT: a segment in the window is acceptable and, being neither RST nor
/// SYN nor new, ignored; one outside draws an ACK each time; only the FIN again restarts
/// the timer.
#[test]
fn rfc_time_wait_acknowledges_every_unacceptable_segment() {
    let (mut conn, mut tw) = both(&rfc());
    let deadline = tw.deadline();
    let mut step = |at: u64, s: Segment| {
        let action = agree(&mut conn, &mut tw, t_ms(at), &s);
        (action, tw.deadline())
    };
    let ignore = TimeWaitAction::Ignore;
    assert_eq!(
        step(1_000, seg(Flags::ACK, 2802, 102, 0)),
        (ignore, deadline)
    );
    assert_eq!(
        step(2_000, seg(Flags::ACK, 2900, 102, 0)),
        (ignore, deadline)
    );
    let old = seg(Flags::ACK, 2000, 102, 0);
    for at in [2_100, 2_200, 2_300] {
        assert_eq!(
            step(at, old),
            (TimeWaitAction::Ack(tw_ack(65_535)), deadline)
        );
    }
}

/// PAWS in TIME-WAIT, with timestamps. An old TSval is acknowledged (RFC 7323 §5.3 R1), and
/// with Linux's rules restarts the timer; Linux also rejects a RST with an old TSval at
/// RCV.NXT while TS.Recent is under 60 s old (`TCP_PAWS_MSL`), and lets it end TIME-WAIT
/// after that. (A 2·MSL of 160 s keeps TIME-WAIT open long enough to see it.)
#[test]
fn paws_in_time_wait() {
    let config = Config {
        timestamps: true,
        msl: Duration::from_secs(80),
        ..linux()
    };
    let (mut conn, mut tw) = both(&config);
    let recent = tw.ack_segment(t_ms(200)).opts.timestamp.unwrap().ecr;
    let stamped = |s: Segment, val: u32| Segment {
        opts: synack_tcp::Options {
            timestamp: Some(synack_tcp::Timestamp { val, ecr: 0 }),
            ..synack_tcp::Options::default()
        },
        ..s
    };
    let old_ack = stamped(seg(Flags::ACK, 2802, 102, 0), recent - 1);
    let action = agree(&mut conn, &mut tw, t_ms(1_000), &old_ack);
    assert!(matches!(action, TimeWaitAction::AckFin(_)), "{action:?}");
    assert_eq!(tw.deadline(), t_ms(1_000) + Duration::from_secs(160));
    let old_rst = stamped(seg(Flags::RST, 2802, 0, 0), recent - 1);
    let early = agree(&mut conn, &mut tw, t_ms(30_000), &old_rst);
    assert_eq!(early, TimeWaitAction::Ignore);
    // TS.Recent was set when the server's FIN arrived, at 100 ms.
    let late = agree(&mut conn, &mut tw, t_ms(60_000), &old_rst);
    assert_eq!(late, TimeWaitAction::Close);

    let rfc = Config {
        timestamps: true,
        ..rfc()
    };
    let (mut conn, mut tw) = both(&rfc);
    let recent = tw.ack_segment(t_ms(200)).opts.timestamp.unwrap().ecr;
    let deadline = tw.deadline();
    let old_ack = stamped(seg(Flags::ACK, 2802, 102, 0), recent - 1);
    let action = agree(&mut conn, &mut tw, t_ms(1_000), &old_ack);
    assert!(matches!(action, TimeWaitAction::Ack(_)), "{action:?}");
    assert_eq!(tw.deadline(), deadline);
}

/// A new SYN beyond RCV.NXT reopens the 4-tuple (the listener takes it, with an ISN above
/// SND.NXT + 65535); an old duplicate SYN draws a challenge ACK.
#[test]
fn a_new_syn_reopens_an_old_one_does_not() {
    let (mut conn, mut tw) = both(&linux());
    let old = agree(&mut conn, &mut tw, t_ms(300), &seg(Flags::SYN, 2000, 0, 0));
    assert!(matches!(old, TimeWaitAction::Ack(_)));
    let new = agree(
        &mut conn,
        &mut tw,
        t_ms(300),
        &seg(Flags::SYN, 900_000, 0, 0),
    );
    assert_eq!(new, TimeWaitAction::Reopen);
    assert_eq!(tw.successor_isn(), conn.successor_isn());
    assert_eq!(tw.successor_isn(), Seq(102 + 65_537));
}

/// Segments somewhere near the connection's sequence numbers (RCV.NXT = 2802, SND.NXT =
/// 102), with any flags, sometimes for other ports, at increasing times.
fn arb_segment() -> impl Strategy<Value = (u64, Segment)> {
    let near = |base: u32| {
        prop_oneof![
            4 => (-2i64..=2).prop_map(move |d| base.wrapping_add(d as u32)),
            2 => (-3000i64..3000).prop_map(move |d| base.wrapping_add(d as u32)),
            1 => any::<u32>(),
            1 => (-2i64..=2).prop_map(move |d| base.wrapping_add(4_000_000).wrapping_add(d as u32)),
        ]
    };
    (
        prop_oneof![8 => 0u64..2000, 1 => 0u64..90_000],
        0u8..16,
        near(2802),
        near(102),
        prop_oneof![Just(0u32), Just(1), Just(500), Just(1000)],
        prop_oneof![8 => Just((SERVER_PORT, CLIENT_PORT)), 1 => Just((SERVER_PORT, 1)), 1 => Just((81, CLIENT_PORT))],
    )
        .prop_map(|(dt, bits, seq, ack, len, (src, dst))| {
            let mut flags = Flags::NONE;
            for (bit, flag) in [Flags::SYN, Flags::FIN, Flags::RST, Flags::ACK]
                .into_iter()
                .enumerate()
            {
                if bits & (1 << bit) != 0 {
                    flags |= flag;
                }
            }
            let mut s = seg(flags, seq, ack, len);
            s.ack = Seq(ack); // whatever the ACK bit says
            s.src_port = src;
            s.dst_port = dst;
            (dt, s)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any sequence of segments, with time passing (mostly under 2 s between them, now and
    /// then up to 90 s, so that linux's 60 s TIME-WAIT sometimes ends): both answer the same, keep the same deadline and
    /// counters, and end at the same moment.
    #[test]
    fn time_wait_answers_as_the_connection(
        rfc_profile in any::<bool>(),
        segments in proptest::collection::vec(arb_segment(), 1..40),
    ) {
        let config = if rfc_profile { rfc() } else { linux() };
        let (mut conn, mut tw) = both(&config);
        let mut now = t_ms(200);
        for (dt, s) in &segments {
            now += Duration::from_millis(*dt);
            if conn.poll_timeout().is_some_and(|t| t <= now) {
                conn.handle_timeout(now);
            }
            prop_assert_eq!(conn.state() == State::Closed, tw.is_expired(now));
            if tw.is_expired(now) {
                break;
            }
            let action = agree(&mut conn, &mut tw, now, s);
            if matches!(action, TimeWaitAction::Close | TimeWaitAction::Reopen) {
                break;
            }
        }
    }
}

/// The harness's lost-last-ACK ladder, driven the other way: the client's connection swapped
/// for its `TimeWait` as soon as it enters TIME-WAIT answers the retransmitted FIN with the
/// same ACK at the same time.
#[test]
fn the_lost_last_ack_through_a_time_wait() {
    let mut p = Pair::connect(&linux(), &linux(), ms(10));
    p.run_until(t_ms(30));
    p.client.close(p.now).unwrap();
    p.run_until(t_ms(100));
    p.server().close(t_ms(100)).unwrap();
    p.drop_next(Side::Client, |s| s.ack == Seq(302));
    p.run_until(t_ms(299));
    let mut tw = p.client.clone().into_time_wait().unwrap();
    p.run(100);
    // The FIN retransmitted at 300 ms reached the client at 310 ms.
    let fin = p.log.iter().rev().find(|l| l.seg.flags.fin()).unwrap();
    assert_eq!((fin.sent, fin.arrived), (t_ms(300), Some(t_ms(310))));
    let reply = p.log.last().unwrap();
    let action = tw.handle_segment(t_ms(310), &fin.seg);
    assert_eq!(action, TimeWaitAction::AckFin(reply.seg));
    assert_eq!(tw.deadline(), t_ms(310) + Duration::from_secs(60));
    assert_eq!(tw.stats(), p.client.stats());
}
