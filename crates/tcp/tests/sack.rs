//! Loss recovery with SACK: RFC 6675 with proportional rate reduction (RFC 6937), as Linux
//! recovers (`tcp_fastretrans_alert`, `tcp_cwnd_reduction`), against exact segment counts.
//! MSS 1000, no timestamps, an ACK for every segment, 10 ms each way.

mod util;

use synack_tcp::config::{Config, Congestion};
use synack_tcp::State;
use util::{ms, t_ms, Pair, Side};

fn cfg() -> Config {
    Config {
        mss: 1000,
        init_cwnd: Some(10),
        delayed_ack: None,
        // Reno's arithmetic, which these ladders were worked out with (CUBIC: `cubic.rs`).
        congestion: Congestion::NewReno,
        timestamps: false,
        ..Config::linux()
    }
}

fn established() -> Pair {
    let c = cfg();
    let mut p = Pair::connect(&c, &c, ms(10));
    p.run_until(t_ms(30));
    assert_eq!(p.client_state(), State::Established);
    assert!(p.client.agreed_options().0, "SACK agreed");
    p
}

/// The client's data segments sent in `[from, to)` ms: (seq, a retransmission?).
fn sent_between(p: &Pair, from: u64, to: u64) -> Vec<(u32, bool)> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for l in p
        .log
        .iter()
        .filter(|l| l.from == Side::Client && l.seg.len > 0)
    {
        let again = !seen.insert(l.seg.seq.0);
        let t = l.sent.as_nanos() / 1_000_000;
        if (from..to).contains(&t) {
            out.push((l.seg.seq.0 - 101, again));
        }
    }
    out
}

/// One loss in a window of ten. Nine SACKed duplicate ACKs return at 50 ms. The first two
/// each let a new segment out (what the receiver SACKed is no longer in flight: Linux's
/// `tcp_packets_in_flight`, RFC 3042's limited transmit in effect); the third starts
/// recovery with ssthresh = cwnd/2 = 5 segments (`tcp_reno_ssthresh`) and RecoverFS = 10.
/// PRR then lets ⌈delivered·5/10⌉ − out segments go while pipe exceeds ssthresh: the
/// retransmission on the first ACK, a new segment on the third and the fifth; by the last
/// ACK pipe has fallen to ssthresh (14 sent − 9 SACKed − 1 lost + 1 resent = 5) and the
/// reduction bound lets nothing more go. No inflation, no burst; recovery ends with cwnd =
/// ssthresh when the retransmission is acknowledged.
#[test]
fn one_loss_prr_sends_half_as_much_as_was_delivered() {
    let mut p = established();
    p.drop_next(Side::Client, |s| s.seq.0 == 101);
    p.client.send(p.now, 30_000).unwrap();
    p.run_until(t_ms(51));
    let during = sent_between(&p, 50, 51);
    assert_eq!(
        during,
        vec![
            (10_000, false),
            (11_000, false),
            (0, true),
            (12_000, false),
            (13_000, false),
        ],
        "two before recovery, the hole, then one for every second segment delivered"
    );
    assert_eq!(p.client.ssthresh(), 5000);
    p.run_until(t_ms(71));
    assert_eq!(p.client.cwnd(), 5000, "recovery over: cwnd = ssthresh");
    let s = p.client.stats();
    assert_eq!(
        (s.fast_retransmits, s.retransmits, s.rto_timeouts),
        (1, 1, 0)
    );
}

/// Three losses in one window: the scoreboard knows all three holes, so one recovery
/// repairs them all, each retransmitted once: the first hole at 50 ms, the other two as
/// PRR lets them go, with the next round of ACKs at 70 ms (NewReno repairs one hole per
/// round trip, or ends in a timeout: see `congestion.rs`).
#[test]
fn three_holes_are_repaired_in_one_recovery() {
    let mut p = established();
    for seq in [2101, 5101, 7101] {
        p.drop_next(Side::Client, move |s| s.seq.0 == seq);
    }
    p.client.send(p.now, 20_000).unwrap();
    p.run_until(t_ms(200));
    let resent: Vec<u32> = (sent_between(&p, 0, 200).into_iter())
        .filter(|&(_, again)| again)
        .map(|(seq, _)| seq)
        .collect();
    assert_eq!(resent, vec![2000, 5000, 7000]);
    let last_resend = (p.log.iter())
        .rfind(|l| l.from == Side::Client && l.seg.seq.0 == 7101)
        .unwrap()
        .sent;
    assert_eq!(last_resend, t_ms(70), "{}", p.ladder());
    let s = p.client.stats();
    assert_eq!((s.fast_retransmits, s.rto_timeouts), (1, 0));
    assert_eq!(p.server().bytes_received(), 20_000);
}

/// A retransmission lost too: the timer fires (RFC 6298), cwnd drops to one segment, and
/// the resend after the timeout skips everything the receiver SACKed (Linux
/// `tcp_enter_loss`): only the lost segment goes again, not the window behind it.
#[test]
fn after_a_timeout_only_what_is_not_sacked_is_resent() {
    let mut p = established();
    p.drop_all(Side::Client, |s| s.seq.0 == 101);
    p.client.send(p.now, 10_000).unwrap();
    p.run_until(t_ms(1_500));
    let s = p.client.stats();
    assert!(s.rto_timeouts >= 1);
    let resent: Vec<u32> = (sent_between(&p, 0, 1_500).into_iter())
        .filter(|&(_, again)| again)
        .map(|(seq, _)| seq)
        .collect();
    assert!(
        resent.iter().all(|&seq| seq == 0),
        "only the hole is resent: {resent:?}"
    );
    assert_eq!(s.retransmits as usize, resent.len());
}

/// The retransmission of the hole is lost too. Without RACK that takes the retransmission
/// timer; with RACK's rule for retransmissions (RFC 8985 §6.2) the SACK of data first sent
/// after it, SRTT + SRTT/4 later, shows it lost, and it goes again at once: no timeout.
#[test]
fn a_lost_retransmission_goes_again_without_a_timeout() {
    let mut p = established();
    p.drop_next(Side::Client, |s| s.seq.0 == 101);
    p.drop_next(Side::Client, |s| s.seq.0 == 101);
    p.client.send(p.now, 40_000).unwrap();
    p.run_until(t_ms(400));
    let sends_of_first = (p.log.iter())
        .filter(|l| l.from == Side::Client && l.seg.seq.0 == 101 && l.seg.len > 0)
        .map(|l| l.sent.as_nanos() / 1_000_000)
        .collect::<Vec<_>>();
    assert_eq!(
        sends_of_first.len(),
        3,
        "sent, resent, resent again: {sends_of_first:?}"
    );
    assert!(
        sends_of_first[2] < 200,
        "long before a 1 s timeout: {sends_of_first:?}"
    );
    let s = p.client.stats();
    assert_eq!((s.rto_timeouts, s.fast_retransmits), (0, 1));
    assert_eq!(p.server().bytes_received(), 40_000);
}

/// RACK for first transmissions (RFC 8985 §6.2): the eighth of ten segments lost, so only
/// two are SACKed beyond it — too few for RFC 6675's DupThresh, and no more data to send.
/// The two were sent at the same instant (30 ms) and delivered at 50 ms, RACK.rtt 20 ms; the
/// reordering window is min RTT/4 = 5 ms with fewer than three segments SACKed, so 7101 is
/// lost at 30 + 20 + 5 = 55 ms. Linux's `tcp_rack_mark_lost` arms the reordering timer for
/// the 5 ms left plus `TCP_TIMEOUT_MIN`, 2 jiffies: with exact timers (2 ms) it fires at 57
/// ms; at 250 Hz 5 ms + 8 ms is 4 jiffies from jiffy 12 (50 ms), so jiffy 17 on the wheel:
/// 68 ms. Recovery resends 7101 at once; no timeout.
#[test]
fn rack_finds_a_loss_that_dupthresh_cannot() {
    for (hz, resent_at) in [(0, 57), (250, 68)] {
        let c = Config {
            timer_wheel_hz: hz,
            ..cfg()
        };
        let mut p = Pair::connect(&c, &c, ms(10));
        p.run_until(t_ms(30));
        p.drop_next(Side::Client, |s| s.seq.0 == 7101);
        p.client.send(p.now, 10_000).unwrap();
        p.run(1000);
        let resent: Vec<_> = (p.log.iter())
            .filter(|l| l.from == Side::Client && l.seg.len > 0)
            .skip(10)
            .map(|l| (l.sent.as_nanos() / 1_000_000, l.seg.seq.0))
            .collect();
        assert_eq!(resent, [(resent_at, 7101)], "{hz} Hz");
        let stats = p.client.stats();
        assert_eq!((stats.fast_retransmits, stats.rto_timeouts), (1, 0));
        assert_eq!(p.server().bytes_received(), 10_000);
    }
}
