//! Congestion control on a live connection: slow start, fast retransmit and recovery
//! (RFC 5681), NewReno partial ACKs (RFC 6582), Reno for contrast, and the timeout.

mod util;

use std::collections::BTreeMap;

use synack_tcp::config::{Config, Congestion, IdleRestart, LossRecovery, RttEstimation};
use synack_tcp::State;
use util::{ms, t_ms, Pair, Side};

/// MSS 1000, 10-segment initial window, every segment acknowledged at once (so that each
/// duplicate ACK stands for exactly one segment).
fn cfg() -> Config {
    Config {
        mss: 1000,
        init_cwnd: Some(10),
        delayed_ack: None,
        // Reno's arithmetic, which these ladders were worked out with (CUBIC: `cubic.rs`).
        congestion: Congestion::NewReno,
        // Round numbers: no timestamps taking 12 bytes of each segment, no SACK blocks
        // (their own tests are in `options.rs`).
        timestamps: false,
        sack: false,
        // RFC 6298's estimator, with which these ladders' timer values were worked out.
        rtt_estimation: RttEstimation::Rfc6298,
        // RFC 1122's delayed ACKs (Linux's quick-ACK mode has its own tests, in `acks.rs`).
        quick_ack: false,
        // RFC 5681/6582 recovery (Linux's Reno mode: the `linux_reno_mode_*` tests).
        recovery: LossRecovery::Rfc,
        // Exact timers (Linux's timer wheel has its own tests, in `handshake.rs`).
        timer_wheel_hz: 0,
        ..Config::linux()
    }
}

fn established(config: &Config) -> Pair {
    let mut p = Pair::connect(config, config, ms(10));
    p.run_until(t_ms(30));
    assert_eq!(p.client_state(), State::Established);
    p
}

/// The client's data segments from the log: (sent at ms, seq, delivered?).
fn data(p: &Pair) -> Vec<(u64, u32, bool)> {
    p.log
        .iter()
        .filter(|l| l.from == Side::Client && l.seg.len > 0)
        .map(|l| {
            (
                l.sent.as_nanos() / 1_000_000,
                l.seg.seq.0,
                l.arrived.is_some(),
            )
        })
        .collect()
}

/// The server's ACK numbers, in order.
fn acks(p: &Pair) -> Vec<u32> {
    p.log
        .iter()
        .filter(|l| l.from == Side::Server && l.seg.len == 0)
        .skip(1) // the SYN-ACK
        .map(|l| l.seg.ack.0)
        .collect()
}

/// One loss in a window of ten: seven duplicate ACKs come back; the third triggers fast
/// retransmit (RFC 5681 §3.2 (2)) with ssthresh = FlightSize/2 = 4000 (8 segments
/// outstanding) and cwnd = ssthresh + 3·SMSS = 7000; each later duplicate inflates cwnd by
/// one SMSS; the full ACK ends recovery with cwnd = min(ssthresh, FlightSize + SMSS)
/// (RFC 6582 §3.2 (3), option 1: nothing is outstanding, so 2000). No timeout.
#[test]
fn fast_retransmit_on_the_third_duplicate_ack() {
    let mut p = established(&cfg());
    p.drop_next(Side::Client, |s| s.seq.0 == 2101);
    p.client.send(p.now, 10_000).unwrap();
    let mut seen = Vec::new();
    while p.step() {
        if p.client.stats().fast_retransmits > 0 {
            seen.push((p.client.cwnd(), p.client.ssthresh()));
        }
    }
    let mut expected: Vec<_> = (0..10).map(|i| (30, 101 + 1000 * i, i != 2)).collect();
    expected.push((50, 2101, true));
    assert_eq!(data(&p), expected);
    let mut expected_acks = vec![1101, 2101];
    expected_acks.extend([2101; 7]);
    expected_acks.push(10101);
    assert_eq!(acks(&p), expected_acks);
    assert_eq!(
        seen[..5],
        [
            (7000, 4000),
            (8000, 4000),
            (9000, 4000),
            (10_000, 4000),
            (11_000, 4000)
        ]
    );
    assert_eq!(p.client.cwnd(), 2000);
    let stats = p.client.stats();
    assert_eq!((stats.fast_retransmits, stats.rto_timeouts), (1, 0));
}

/// Two losses in one window. The third duplicate ACK retransmits the first hole; its ACK
/// (5101) is partial — it stops at the second hole — so NewReno retransmits that at once
/// and deflates cwnd by the 3000 bytes acknowledged, plus one SMSS (RFC 6582 §3.2 (5)):
/// 10000 → 8000. The next ACK covers `recover` and ends recovery. One fast retransmit, no
/// timeout: both holes repaired in two round trips.
#[test]
fn newreno_repairs_two_losses_in_one_window() {
    let mut p = established(&cfg());
    p.drop_next(Side::Client, |s| s.seq.0 == 2101);
    p.drop_next(Side::Client, |s| s.seq.0 == 5101);
    p.client.send(p.now, 10_000).unwrap();
    let mut cwnd_at = Vec::new();
    while p.step() {
        cwnd_at.push((p.now.as_nanos() / 1_000_000, p.client.cwnd()));
    }
    let mut expected: Vec<_> = (0..10)
        .map(|i| (30, 101 + 1000 * i, i != 2 && i != 5))
        .collect();
    expected.extend([(50, 2101, true), (70, 5101, true)]);
    assert_eq!(data(&p), expected);
    // After the partial ACK (arriving at 70 ms): 10000 − 3000 + 1000.
    assert!(cwnd_at.contains(&(70, 8000)));
    let stats = p.client.stats();
    assert_eq!(
        (
            stats.fast_retransmits,
            stats.retransmits,
            stats.rto_timeouts
        ),
        (1, 2, 0)
    );
    assert_eq!(p.server().bytes_received(), 10_000);
}

/// The same two losses under Reno: the partial ACK ends fast recovery (RFC 5681 §3.2 (6)),
/// no duplicate ACKs are left to signal the second hole, and it waits for the RTO
/// (200 ms after the partial ACK restarted the timer at 70 ms).
#[test]
fn reno_needs_a_timeout_for_the_second_loss() {
    let reno = Config {
        congestion: Congestion::Reno,
        ..cfg()
    };
    let mut p = established(&reno);
    p.drop_next(Side::Client, |s| s.seq.0 == 2101);
    p.drop_next(Side::Client, |s| s.seq.0 == 5101);
    p.client.send(p.now, 10_000).unwrap();
    p.run(1000);
    let retransmits: Vec<_> = data(&p).into_iter().skip(10).collect();
    assert_eq!(retransmits[..2], [(50, 2101, true), (270, 5101, true)]);
    let stats = p.client.stats();
    assert_eq!((stats.fast_retransmits, stats.rto_timeouts), (1, 1));
    assert_eq!(p.server().bytes_received(), 10_000);
}

/// Slow start (RFC 5681 §3.1): from the rfc profile's RFC 3390 window (4 segments at SMSS
/// 1000), each ACK adds one SMSS, so with an ACK per segment the window doubles every round
/// trip (20 ms): 4, 8, 16, then the 17 segments left of 45.
#[test]
fn slow_start_doubles_per_round_trip() {
    let config = Config {
        mss: 1000,
        delayed_ack: None,
        ..Config::rfc()
    };
    let mut p = established(&config);
    p.client.send(p.now, 45_000).unwrap();
    p.run(10_000);
    assert_eq!(per_round(&p), vec![(30, 4), (50, 8), (70, 16), (90, 17)]);
    assert_eq!(p.client.cwnd(), 4_000 + 45 * 1_000);
}

/// A timeout: ssthresh = max(FlightSize/2, 2·SMSS), cwnd = 1 SMSS (RFC 5681 §3.1 eq. (4)).
#[test]
fn timeout_collapses_the_window() {
    let mut p = established(&cfg());
    p.drop_all(Side::Client, |s| s.len > 0);
    p.client.send(p.now, 10_000).unwrap();
    p.run_until(t_ms(231));
    assert_eq!(p.client.stats().rto_timeouts, 1);
    assert_eq!((p.client.cwnd(), p.client.ssthresh()), (1000, 5000));
}

/// `congestion = "none"`: the window stays at `init_cwnd` whatever happens.
#[test]
fn fixed_window_never_moves() {
    let fixed = Config {
        congestion: Congestion::None,
        init_cwnd: Some(4),
        ..cfg()
    };
    let mut p = established(&fixed);
    p.drop_next(Side::Client, |s| s.seq.0 == 101);
    p.client.send(p.now, 20_000).unwrap();
    p.run(1000);
    assert_eq!(p.client.cwnd(), 4000);
    assert_eq!(p.server().bytes_received(), 20_000);
}

/// The very first data segment lost: `recover` starts at the ISS (RFC 6582 §3.2 (1)), so
/// its duplicate ACKs (ACK = ISS + 1) still cover more than it and fast retransmit fires.
#[test]
fn fast_retransmit_of_the_first_segment() {
    let mut p = established(&cfg());
    p.drop_next(Side::Client, |s| s.seq.0 == 101);
    p.client.send(p.now, 10_000).unwrap();
    p.run(1000);
    let retransmits: Vec<_> = data(&p).into_iter().skip(10).collect();
    assert_eq!(retransmits, [(50, 101, true)]);
    assert_eq!(p.client.stats().fast_retransmits, 1);
    assert_eq!(p.client.stats().rto_timeouts, 0);
}

/// Many losses in one window (six segments in a row) under NewReno, RTT 60 ms, RTO 200 ms.
/// Three duplicate ACKs start fast recovery at 120 ms; each partial ACK repairs one hole per
/// round trip. Only the first partial ACK (180 ms) resets the retransmission timer
/// (RFC 6582 §3.2 (5), the "Impatient" variant of §4; RFC 6298 (5.3)'s restart on new data
/// does not apply to the later ones), so the timer fires at 180 + 200 = 380 ms with two holes
/// left: recovery ends, ssthresh = max(FlightSize / 2, 2·SMSS) = 5000 / 2 = 2500 (RFC 5681
/// eq. (4)), cwnd = 1 SMSS, and go-back-N slow start resends from SND.UNA (5101, again, and
/// 7101, which had arrived). Resetting the timer on every partial ACK instead would keep
/// recovery going one hole per round trip, however many holes there are.
#[test]
fn impatient_newreno_times_out_one_rto_after_the_first_partial_ack() {
    let mut p = Pair::connect(&cfg(), &cfg(), ms(30));
    p.run_until(t_ms(60));
    assert_eq!(p.client_state(), State::Established);
    assert_eq!(p.client.rto(), ms(200), "max(min_rto, 60 + 4 × 30 ms)");
    for i in 1..=6u32 {
        p.drop_next(Side::Client, move |s| {
            s.len > 0 && s.seq.0 == 101 + 1000 * i
        });
    }
    p.client.send(p.now, 10_000).unwrap();
    p.run_until(t_ms(379));
    assert_eq!(p.client.stats().rto_timeouts, 0);
    p.run_until(t_ms(380));
    assert_eq!(p.client.stats().rto_timeouts, 1);
    assert_eq!((p.client.cwnd(), p.client.ssthresh()), (1000, 2500));
    p.run(1000);
    let expected = "\
0.000 0.030 C->S SYN     seq=100 ack=0 len=0 SYN-SENT SYN-RECEIVED
0.030 0.060 S->C SYN,ACK seq=300 ack=101 len=0 ESTABLISHED SYN-RECEIVED
0.060 0.090 C->S ACK     seq=101 ack=301 len=0 ESTABLISHED ESTABLISHED
0.060 0.090 C->S ACK     seq=101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.060 lost C->S ACK     seq=1101 ack=301 len=1000 ESTABLISHED SYN-RECEIVED
0.060 lost C->S ACK     seq=2101 ack=301 len=1000 ESTABLISHED SYN-RECEIVED
0.060 lost C->S ACK     seq=3101 ack=301 len=1000 ESTABLISHED SYN-RECEIVED
0.060 lost C->S ACK     seq=4101 ack=301 len=1000 ESTABLISHED SYN-RECEIVED
0.060 lost C->S ACK     seq=5101 ack=301 len=1000 ESTABLISHED SYN-RECEIVED
0.060 lost C->S ACK     seq=6101 ack=301 len=1000 ESTABLISHED SYN-RECEIVED
0.060 0.090 C->S ACK     seq=7101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.060 0.090 C->S ACK     seq=8101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.060 0.090 C->S ACK     seq=9101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.090 0.120 S->C ACK     seq=301 ack=1101 len=0 ESTABLISHED ESTABLISHED
0.090 0.120 S->C ACK     seq=301 ack=1101 len=0 ESTABLISHED ESTABLISHED
0.090 0.120 S->C ACK     seq=301 ack=1101 len=0 ESTABLISHED ESTABLISHED
0.090 0.120 S->C ACK     seq=301 ack=1101 len=0 ESTABLISHED ESTABLISHED
0.120 0.150 C->S ACK     seq=1101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.150 0.180 S->C ACK     seq=301 ack=2101 len=0 ESTABLISHED ESTABLISHED
0.180 0.210 C->S ACK     seq=2101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.210 0.240 S->C ACK     seq=301 ack=3101 len=0 ESTABLISHED ESTABLISHED
0.240 0.270 C->S ACK     seq=3101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.270 0.300 S->C ACK     seq=301 ack=4101 len=0 ESTABLISHED ESTABLISHED
0.300 0.330 C->S ACK     seq=4101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.330 0.360 S->C ACK     seq=301 ack=5101 len=0 ESTABLISHED ESTABLISHED
0.360 0.390 C->S ACK     seq=5101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.380 0.410 C->S ACK     seq=5101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.390 0.420 S->C ACK     seq=301 ack=6101 len=0 ESTABLISHED ESTABLISHED
0.410 0.440 S->C ACK     seq=301 ack=6101 len=0 ESTABLISHED ESTABLISHED
0.420 0.450 C->S ACK     seq=6101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.420 0.450 C->S ACK     seq=7101 ack=301 len=1000 ESTABLISHED ESTABLISHED
0.450 0.480 S->C ACK     seq=301 ack=10101 len=0 ESTABLISHED ESTABLISHED
0.450 0.480 S->C ACK     seq=301 ack=10101 len=0 ESTABLISHED ESTABLISHED
";
    assert_eq!(p.ladder(), expected);
    let stats = p.client.stats();
    assert_eq!(
        (
            stats.fast_retransmits,
            stats.rto_timeouts,
            stats.retransmits
        ),
        (1, 1, 8)
    );
    assert_eq!(p.server().bytes_received(), 10_000);
}

/// Data segments sent per round trip: (sent at ms, how many).
fn per_round(p: &Pair) -> Vec<(u64, usize)> {
    let mut rounds: BTreeMap<u64, usize> = BTreeMap::new();
    for (t, _, _) in data(p) {
        *rounds.entry(t).or_default() += 1;
    }
    rounds.into_iter().collect()
}

/// Slow start with delayed ACKs (the receiver acknowledges every second segment, RFC 5681
/// §4.2), from 16 segments so that every window is even and no ACK waits for the timer.
/// rfc counts growth per ACK (RFC 5681 eq. (2): one SMSS for the two segments an ACK
/// covers): ×1.5 per round trip, 16, 24, 36, 54. linux counts it per segment acknowledged
/// (`tcp_slow_start`): ×2, 16, 32, 64, 128.
#[test]
fn slow_start_with_delayed_acks_per_profile() {
    for (base, total, rounds, cwnd) in [
        (
            Config::rfc(),
            130,
            vec![(30, 16), (50, 24), (70, 36), (90, 54)],
            81_000,
        ),
        (
            Config::linux(),
            240,
            vec![(30, 16), (50, 32), (70, 64), (90, 128)],
            256_000,
        ),
    ] {
        let config = Config {
            mss: 1000,
            init_cwnd: Some(16),
            congestion: Congestion::NewReno,
            quick_ack: false,
            timestamps: false,
            sack: false,
            ..base
        };
        assert!(config.delayed_ack.is_some());
        let mut p = established(&config);
        p.client.send(p.now, total * 1000).unwrap();
        p.run(10_000);
        assert_eq!(per_round(&p), rounds, "{:?}", config.cwnd_growth);
        assert_eq!(p.client.cwnd(), cwnd, "{:?}", config.cwnd_growth);
        assert_eq!(p.server().bytes_received(), total * 1000);
    }
}

/// Congestion avoidance with delayed ACKs. A 22-segment window with its first segment lost
/// ends fast recovery with cwnd = ssthresh = 11 segments (RFC 6582 §3.2 (6) option 1: ten
/// segments sent during recovery are outstanding, plus one), and the sender then has data
/// for ever. The receiver acknowledges every second segment, an odd last one after 1 ms.
/// linux (`tcp_cong_avoid_ai`) gains exactly one SMSS per round trip; rfc (RFC 5681 eq. (3),
/// SMSS·SMSS/cwnd per ACK) about half that: ⌈n/2⌉ ACKs for n segments, so a little more
/// than ½ SMSS when n is odd, a little less from rounding down.
#[test]
fn congestion_avoidance_with_delayed_acks_per_profile() {
    let mut growth = Vec::new();
    for base in [Config::rfc(), Config::linux()] {
        let config = Config {
            mss: 1000,
            init_cwnd: Some(22),
            delayed_ack: Some(ms(1)),
            congestion: Congestion::NewReno,
            quick_ack: false,
            rtt_estimation: RttEstimation::Rfc6298,
            recovery: LossRecovery::Rfc,
            timestamps: false,
            sack: false,
            // A window the SYN offers as it is (a multiple of the MSS below 65,535), so that
            // the first duplicate ACK does not also update the window (RFC 5681 §2).
            recv_buffer: 64_000,
            // A 1 ms delayed-ACK timer, exactly (not on a 4 ms tick).
            timer_wheel_hz: 0,
            ..base
        };
        let mut p = established(&config);
        p.drop_next(Side::Client, |s| s.seq.0 == 101);
        p.client.send(p.now, 3_000_000).unwrap();
        // Recovery ends when the ACKs arrive at 70 ms; sample cwnd after each round trip's
        // ACKs (and the 1 ms delayed one).
        let mut cwnd = Vec::new();
        for round in 0..=20 {
            p.run_until(t_ms(75 + 20 * round));
            assert_eq!(p.client.ssthresh(), 11_000);
            cwnd.push(p.client.cwnd());
        }
        let stats = p.client.stats();
        assert_eq!((stats.fast_retransmits, stats.rto_timeouts), (1, 0));
        let per_rtt: Vec<u64> = cwnd.windows(2).map(|w| w[1] - w[0]).collect();
        growth.push((cwnd, per_rtt));
    }
    let (rfc, rfc_per_rtt) = &growth[0];
    let (linux, linux_per_rtt) = &growth[1];
    assert_eq!(linux[0], 11_000);
    assert_eq!(linux_per_rtt, &vec![1000; 20], "one SMSS per round trip");
    assert!(
        rfc_per_rtt.iter().all(|g| (450..=650).contains(g)),
        "about ½ SMSS per round trip: {rfc_per_rtt:?}"
    );
    let total = rfc[20] - rfc[0];
    assert!((10_000..=11_500).contains(&total), "{total}");
}

/// RFC 3390's initial window, the rfc profile's: min(4·SMSS, max(2·SMSS, 4380 bytes)) —
/// 3 segments at SMSS 1460, 4 at 536, 2 at 2500.
#[test]
fn rfc_initial_window_follows_rfc_3390() {
    for (mss, segments) in [(1460, 3), (536, 4), (2500, 2)] {
        let config = Config {
            mss,
            ..Config::rfc()
        };
        let mut p = established(&config);
        p.client.send(p.now, 20_000).unwrap();
        p.run_until(t_ms(31));
        let first_flight = data(&p).iter().filter(|&&(t, _, _)| t == 30).count();
        assert_eq!(first_flight, segments, "SMSS {mss}");
    }
}

/// `cfg()` with Linux's Reno-mode recovery (`recovery = "linux"`, no SACK).
fn linux_reno() -> Config {
    Config {
        recovery: LossRecovery::Linux,
        ..cfg()
    }
}

/// One loss, with more data queued than the window. Linux's Reno mode counts each duplicate
/// ACK as a segment that left the network (`tcp_add_reno_sack`), so the first two each let
/// a new segment out (RFC 3042's limited transmit, in effect): 14101 and 15101, at 50 ms
/// beside the four that slow start sent on the two ACKs of new data. The third marks 2101
/// lost and starts recovery: ssthresh = cwnd / 2 = 6000 (cwnd was 12,000: 10 + 2 segments
/// of slow start), pipe = 14,000 outstanding − 3000 counted − 1000 lost = 10,000, above
/// ssthresh, so PRR's proportional part gives ⌈1000 · 6000 / 12,000⌉ = 500 bytes, raised to
/// one segment for the retransmission (`tcp_cwnd_reduction`). No inflation: cwnd never
/// exceeds 11,000 in recovery, which ends at cwnd = ssthresh. Under RFC 5681/6582 the same
/// loss sends nothing on the first two duplicate ACKs.
#[test]
fn linux_reno_mode_limited_transmit_and_prr() {
    let mut sent_on_dups = Vec::new();
    for config in [linux_reno(), cfg()] {
        let mut p = established(&config);
        p.drop_next(Side::Client, |s| s.seq.0 == 2101);
        p.client.send(p.now, 30_000).unwrap();
        let mut cwnd_in_recovery = Vec::new();
        while p.step() {
            if p.client.stats().fast_retransmits > 0 && p.now.as_nanos() < 70_000_000 {
                cwnd_in_recovery.push(p.client.cwnd());
            }
        }
        let at_50: Vec<u32> = (data(&p).into_iter())
            .filter(|&(t, _, _)| t == 50)
            .map(|(_, seq, _)| seq)
            .collect();
        sent_on_dups.push(at_50);
        if config.recovery == LossRecovery::Linux {
            assert_eq!(cwnd_in_recovery.iter().max(), Some(&11_000));
            assert_eq!(p.client.ssthresh(), 6000);
        }
        let stats = p.client.stats();
        assert_eq!((stats.fast_retransmits, stats.rto_timeouts), (1, 0));
        assert_eq!(p.server().bytes_received(), 30_000);
    }
    assert_eq!(
        sent_on_dups[0][..7],
        [10_101, 11_101, 12_101, 13_101, 14_101, 15_101, 2101],
        "Linux: two new segments on the first two duplicate ACKs, then the retransmission"
    );
    assert_eq!(
        sent_on_dups[1][..5],
        [10_101, 11_101, 12_101, 13_101, 2101],
        "RFC 5681: nothing new before the third duplicate ACK"
    );
}

/// The six losses in a row of `impatient_newreno_times_out_one_rto_after_the_first_partial_ack`
/// in Linux's Reno mode: every partial ACK marks the next segment lost
/// (`tcp_newreno_mark_lost`) and restarts the retransmission timer (`tcp_rearm_rto`, RFC
/// 6582's "Slow-but-Steady"), so the six holes are repaired one per 60 ms round trip, each
/// sent once, with no timeout and no go-back-N.
#[test]
fn linux_reno_mode_repairs_one_hole_per_round_trip_without_a_timeout() {
    let mut p = Pair::connect(&linux_reno(), &linux_reno(), ms(30));
    p.run_until(t_ms(60));
    for i in 1..=6u32 {
        p.drop_next(Side::Client, move |s| {
            s.len > 0 && s.seq.0 == 101 + 1000 * i
        });
    }
    p.client.send(p.now, 10_000).unwrap();
    p.run(1000);
    let retransmits: Vec<_> = data(&p).into_iter().skip(10).collect();
    let expected: Vec<_> = (1..=6u32)
        .map(|i| (u64::from(60 + 60 * i), 101 + 1000 * i, true))
        .collect();
    assert_eq!(retransmits, expected);
    let stats = p.client.stats();
    assert_eq!(
        (
            stats.fast_retransmits,
            stats.retransmits,
            stats.rto_timeouts
        ),
        (1, 6, 0)
    );
    assert_eq!(p.server().bytes_received(), 10_000);
}

/// Grows the client's window in slow start with 45 segments (rfc: 4 + 45 segments; linux
/// counting per segment acknowledged the same), all acknowledged; returns the pair, idle
/// from then on, and the window it ended with.
fn grown(config: &Config) -> (Pair, u64) {
    let mut p = established(config);
    p.client.send(p.now, 45_000).unwrap();
    p.run(10_000);
    let cwnd = p.client.cwnd();
    (p, cwnd)
}

/// How many data segments the client sends at `now` (the flight a write lets out at once).
fn flight_at(p: &Pair, now: u64) -> usize {
    data(p).iter().filter(|&&(t, _, _)| t == now).count()
}

/// RFC 5681 §4.1: a sender that has not sent data for longer than the RTO (1 s, RFC 6298's
/// minimum, on this 20 ms path) sets cwnd to no more than RW = min(IW, cwnd) before sending
/// again: 4 segments (RFC 3390 at SMSS 1000) instead of the 49 the window had grown to; ssthresh
/// unchanged. After a pause shorter than the RTO, nothing changes.
#[test]
fn rfc5681_restarts_from_the_initial_window_after_an_rto_of_silence() {
    let config = Config {
        mss: 1000,
        delayed_ack: None,
        ..Config::rfc()
    };
    for (pause, cwnd, flight) in [(900, 49_000, 45), (1_100, 4_000, 4)] {
        let (mut p, grown) = grown(&config);
        assert_eq!((grown, p.client.rto()), (49_000, ms(1_000)));
        let ssthresh = p.client.ssthresh();
        let now = p.now.as_nanos() / 1_000_000 + pause;
        p.run_until(t_ms(now));
        p.client.send(p.now, 45_000).unwrap();
        assert_eq!(p.client.cwnd(), cwnd, "after {pause} ms");
        assert_eq!(p.client.ssthresh(), ssthresh);
        p.run_until(t_ms(now));
        assert_eq!(flight_at(&p, now), flight, "after {pause} ms");
    }
}

/// Linux (`tcp_cwnd_restart`): after an idle period of `delta` jiffies longer than the RTO,
/// cwnd halves while `delta -= rto` stays positive and cwnd exceeds the restart window
/// min(IW, cwnd), then takes the larger of the two. From 55 segments (10 + 45): 1.5 RTOs
/// halve it once (27), 2.5 twice (13), ten RTOs down to the initial window (10). ssthresh
/// becomes max(ssthresh, ¾·cwnd) (`tcp_current_ssthresh`), which from slow start's infinite
/// one stays infinite.
#[test]
fn linux_halves_the_window_for_every_rto_of_idleness() {
    let config = Config {
        slow_start_after_idle: IdleRestart::Linux,
        ..cfg()
    };
    let (_, grown_to) = grown(&config);
    assert_eq!(grown_to, 55_000);
    for (rtos, cwnd) in [(0.9, 55_000), (1.5, 27_000), (2.5, 13_000), (10.0, 10_000)] {
        let (mut p, _) = grown(&config);
        let rto = p.client.rto().as_nanos() / 1_000_000;
        let now = p.now.as_nanos() / 1_000_000 + (rtos * rto as f64) as u64;
        p.run_until(t_ms(now));
        p.client.send(p.now, 60_000).unwrap();
        assert_eq!(p.client.cwnd(), cwnd, "after {rtos} RTOs of {rto} ms");
        assert_eq!(p.client.ssthresh(), u64::MAX, "after {rtos} RTOs");
        p.run_until(t_ms(now));
        assert_eq!(flight_at(&p, now) as u64, cwnd / 1_000);
    }
    // Off: the window stays.
    let (mut p, _) = grown(&Config {
        slow_start_after_idle: IdleRestart::Off,
        ..cfg()
    });
    let now = p.now.as_nanos() / 1_000_000 + 5_000;
    p.run_until(t_ms(now));
    p.client.send(p.now, 60_000).unwrap();
    assert_eq!(p.client.cwnd(), 55_000);
}

/// Linux's restart after idle raises a finite ssthresh to ¾ of the window it leaves
/// (`tcp_current_ssthresh`: max(ssthresh, ⌊c/2⌋ + ⌊c/4⌋) segments), even where the window
/// itself, below the initial one, stays. After a loss (ssthresh 4000) and 30 more segments,
/// 1.5 RTOs of idleness.
#[test]
fn linux_restart_keeps_three_quarters_of_the_window_as_ssthresh() {
    let config = Config {
        slow_start_after_idle: IdleRestart::Linux,
        ..cfg()
    };
    let mut p = established(&config);
    p.drop_next(Side::Client, |s| s.seq.0 == 2101);
    p.client.send(p.now, 10_000).unwrap();
    p.run(10_000);
    assert_eq!((p.client.cwnd(), p.client.ssthresh()), (2000, 4000));
    p.client.send(p.now, 30_000).unwrap();
    p.run(10_000);
    let (cwnd, ssthresh) = (p.client.cwnd(), p.client.ssthresh());
    let segments = cwnd / 1000;
    assert!(segments > 4 && segments < 10, "cwnd {cwnd}");
    let keep = ((segments >> 1) + (segments >> 2)) * 1000;
    assert!(keep > ssthresh, "{keep} {ssthresh}");
    let rto = p.client.rto().as_nanos() / 1_000_000;
    let now = p.now.as_nanos() / 1_000_000 + rto * 3 / 2;
    p.run_until(t_ms(now));
    p.client.send(p.now, 1_000).unwrap();
    assert_eq!((p.client.cwnd(), p.client.ssthresh()), (cwnd, keep));
}
