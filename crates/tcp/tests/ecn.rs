//! ECN (RFC 3168) between two endpoints: the negotiation of §6.1.1 as Linux runs it
//! (`tcp_ecn_send_syn`, `tcp_ecn_make_synack`, `tcp_ecn_rcv_synack`), the marking of new
//! data ECT(0) (`tcp_ecn_send`), the receiver's echo until CWR (`tcp_ecn_check_ce`,
//! `tcp_ecn_accept_cwr`) and the sender's one reduction per window (`tcp_enter_cwr`).
//! MSS 1000, no timestamps, 10 ms each way.

mod util;

use synack_tcp::config::{Config, Congestion, EcnMode};
use synack_tcp::{Ecn, Segment, State};
use util::{ms, t_ms, Pair, Side};

fn cfg(ecn: EcnMode) -> Config {
    Config {
        mss: 1000,
        timestamps: false,
        ecn,
        ..Config::linux()
    }
}

/// A line of the ladder with the ECN field: `C->S SYN,ECE,CWR not-ect len=0`.
fn line(from: Side, seg: &Segment) -> String {
    let dir = match from {
        Side::Client => "C->S",
        Side::Server => "S->C",
    };
    let ecn = match seg.ecn {
        Ecn::NotEct => "not-ect",
        Ecn::Ect0 => "ect0",
        Ecn::Ect1 => "ect1",
        Ecn::Ce => "ce",
    };
    format!("{dir} {} {ecn} len={}", seg.flags, seg.len)
}

fn ladder(p: &Pair, n: usize) -> Vec<String> {
    p.log.iter().take(n).map(|l| line(l.from, &l.seg)).collect()
}

/// `ecn = 1` client, `ecn = 2` server (Linux's default): the SYN asks with ECE and CWR, the
/// SYN-ACK answers with ECE alone, and from then on new data goes out ECT(0) while pure
/// ACKs (and the handshake) stay Not-ECT.
#[test]
fn negotiation_ladder_then_data_ect0() {
    let mut p = Pair::connect(&cfg(EcnMode::On), &cfg(EcnMode::Passive), ms(10));
    p.run_until(t_ms(30));
    assert_eq!(p.client_state(), State::Established);
    p.client.send(p.now, 3000).unwrap();
    p.run_until(t_ms(200));
    assert_eq!(
        ladder(&p, 7),
        [
            "C->S SYN,ECE,CWR not-ect len=0",
            "S->C SYN,ACK,ECE not-ect len=0",
            "C->S ACK not-ect len=0",
            "C->S ACK ect0 len=1000",
            "C->S ACK ect0 len=1000",
            "C->S ACK ect0 len=1000",
            "S->C ACK not-ect len=0",
        ]
    );
    assert!(p.client.ecn_agreed() && p.server().ecn_agreed());
}

/// `ecn = 0` on either side, or no side asking (2 and 2), means no ECN: no ECE on the
/// SYN-ACK, data Not-ECT.
#[test]
fn no_ecn_unless_one_side_asks_and_the_other_accepts() {
    use EcnMode::*;
    for (client, server, syn, synack) in [
        (
            On,
            Off,
            "C->S SYN,ECE,CWR not-ect len=0",
            "S->C SYN,ACK not-ect len=0",
        ),
        (
            Off,
            On,
            "C->S SYN not-ect len=0",
            "S->C SYN,ACK not-ect len=0",
        ),
        (
            Passive,
            Passive,
            "C->S SYN not-ect len=0",
            "S->C SYN,ACK not-ect len=0",
        ),
    ] {
        let mut p = Pair::connect(&cfg(client), &cfg(server), ms(10));
        p.run_until(t_ms(30));
        p.client.send(p.now, 2000).unwrap();
        p.run_until(t_ms(200));
        let l = ladder(&p, 4);
        assert_eq!(l[..2], [syn, synack], "{client} to {server}");
        assert_eq!(l[3], "C->S ACK not-ect len=1000", "{client} to {server}");
        assert!(!p.client.ecn_agreed() && !p.server().ecn_agreed());
    }
}

/// RFC 3168 §6.1.1.1 (Linux `tcp_ecn_clear_syn`): a retransmitted SYN no longer asks, so a
/// path that drops ECN SYNs still connects, without ECN.
#[test]
fn a_retransmitted_syn_does_not_ask() {
    let mut p = Pair::connect(&cfg(EcnMode::On), &cfg(EcnMode::On), ms(10));
    p.drop_next(Side::Client, |s| s.flags.syn());
    p.run_until(t_ms(1100));
    assert_eq!(
        ladder(&p, 3),
        [
            "C->S SYN,ECE,CWR not-ect len=0",
            "C->S SYN not-ect len=0",
            "S->C SYN,ACK not-ect len=0",
        ]
    );
    assert_eq!(p.client_state(), State::Established);
    assert!(!p.client.ecn_agreed() && !p.server().ecn_agreed());
}

/// One data segment marked CE on its way. The receiver acknowledges it at once and sets ECE
/// on every ACK until the sender's CWR arrives, and on none after; the sender reduces once
/// (cwnd/2 for Reno, `tcp_reno_ssthresh`; 0.7·cwnd for CUBIC) however many ECEs come,
/// enters CWR (`tcpi_ca_state` 2), sets CWR on exactly one segment, and leaves CWR with
/// cwnd = ssthresh; nothing is lost or retransmitted.
#[test]
fn a_ce_mark_is_echoed_until_cwr_and_the_sender_reduces_once() {
    for congestion in [Congestion::Reno, Congestion::Cubic] {
        let c = Config {
            congestion,
            ..cfg(EcnMode::On)
        };
        let mut p = Pair::connect(&c, &cfg(EcnMode::Passive), ms(10));
        p.run_until(t_ms(30));
        p.client.send(p.now, 200_000).unwrap();
        // The 30th data segment (seq 101 + 29,000), in the third round trip.
        let marked = synack_tcp::Seq(101 + 29_000);
        p.mark_next(Side::Client, move |s| s.seq == marked && s.len > 0);
        let mss = 1000u64;
        let mut before = (p.client.cwnd(), p.client.ssthresh());
        let mut reduced = None;
        let mut states = Vec::new();
        while p.step() && p.now < t_ms(3000) {
            let state = p.client.ca_state();
            if states.last() != Some(&state) {
                states.push(state);
            }
            if state == 2 && reduced.is_none() {
                reduced = Some((before.0, p.client.ssthresh()));
            }
            before = (p.client.cwnd(), p.client.ssthresh());
        }
        let (cwnd, ssthresh) = reduced.expect("the sender entered CWR");
        let expected = match congestion {
            Congestion::Reno => (cwnd / 2).max(2 * mss),
            _ => (cwnd / mss * 717 / 1024).max(2) * mss,
        };
        assert_eq!(ssthresh, expected, "{congestion}: cwnd {cwnd}");
        assert_eq!(states, [0, 2, 0], "{congestion}: Open, CWR, Open");
        assert_eq!(p.client.stats().retransmits, 0);
        assert_eq!(p.client.bytes_acked(), 200_000);
        // ssthresh was never lowered again: one reduction.
        assert!(p.client.ssthresh() >= ssthresh, "{congestion}");

        // The receiver's side of it.
        let at = |l: &util::Line| l.arrived.expect("nothing dropped");
        let ce = p
            .log
            .iter()
            .find(|l| l.seg.seq == marked && l.seg.len > 0)
            .unwrap();
        let cwr: Vec<_> = (p.log.iter())
            .filter(|l| l.from == Side::Client && l.seg.flags.cwr() && !l.seg.flags.syn())
            .collect();
        assert_eq!(cwr.len(), 1, "{congestion}: one CWR");
        assert_eq!(cwr[0].seg.ecn, Ecn::Ect0, "CWR rides on new data");
        let echoes: Vec<_> = (p.log.iter())
            .filter(|l| l.from == Side::Server && l.seg.flags.ece() && !l.seg.flags.syn())
            .collect();
        assert!(echoes.len() >= 2, "{congestion}: {} ECEs", echoes.len());
        // The first ECE answers the CE mark at once, the last goes before CWR arrives.
        assert_eq!(echoes[0].sent, at(ce), "{congestion}: an immediate ACK");
        assert!(echoes
            .iter()
            .all(|e| e.sent >= at(ce) && e.sent <= at(cwr[0])));
        // (Segments arriving at one instant are answered at that instant: strictly between.)
        let server = |l: &&util::Line| l.from == Side::Server;
        for l in p.log.iter().filter(server) {
            if l.sent > at(ce) && l.sent < at(cwr[0]) {
                assert!(
                    l.seg.flags.ece(),
                    "{congestion}: every ACK in between echoes"
                );
            }
            if l.sent > at(cwr[0]) {
                assert!(!l.seg.flags.ece(), "{congestion}: no echo after CWR");
            }
        }
    }
}

/// Retransmissions go out Not-ECT (`tcp_ecn_send`: "ACK or retransmitted segment: clear
/// ECT|CE"), and a loss queues CWR as an ECN reduction does (`tcp_init_cwnd_reduction`).
#[test]
fn retransmissions_are_not_ect() {
    let mut p = Pair::connect(&cfg(EcnMode::On), &cfg(EcnMode::Passive), ms(10));
    p.run_until(t_ms(30));
    p.client.send(p.now, 20_000).unwrap();
    let lost = synack_tcp::Seq(101 + 3000);
    p.drop_next(Side::Client, move |s| s.seq == lost && s.len > 0);
    p.run_until(t_ms(2000));
    let sends: Vec<_> = (p.log.iter())
        .filter(|l| l.from == Side::Client && l.seg.seq == lost && l.seg.len > 0)
        .map(|l| l.seg.ecn)
        .collect();
    assert_eq!(sends, [Ecn::Ect0, Ecn::NotEct]);
    assert_eq!(p.client.bytes_acked(), 20_000);
    let cwr = (p.log.iter())
        .filter(|l| l.seg.flags.cwr() && !l.seg.flags.syn())
        .count();
    assert_eq!(cwr, 1, "the recovery's reduction is signalled once");
}

/// The `rfc` profile without SACK (`recovery = "rfc"`): RFC 3168 §6.1.2's response, cwnd
/// and ssthresh halved at once (RFC 5681's max(FlightSize/2, 2·SMSS)), once per window.
#[test]
fn rfc_recovery_halves_at_once() {
    let c = Config {
        mss: 1000,
        ecn: EcnMode::On,
        delayed_ack: None,
        ..Config::rfc()
    };
    let mut p = Pair::connect(&c, &c, ms(10));
    p.run_until(t_ms(30));
    p.client.send(p.now, 100_000).unwrap();
    let marked = synack_tcp::Seq(101 + 9_000);
    p.mark_next(Side::Client, move |s| s.seq == marked && s.len > 0);
    let mut reduced = None;
    let mut reductions = 0;
    while p.step() && p.now < t_ms(3000) {
        let ssthresh = p.client.ssthresh();
        if p.client.ca_state() == 2 && reduced.is_none() {
            // FlightSize after the ACK's SND.UNA (cwnd now below it: nothing was sent).
            reduced = Some((p.client.flight_size(), ssthresh, p.client.cwnd()));
        }
        if reduced.is_some_and(|(_, s, _)| s != ssthresh) {
            reductions += 1;
        }
    }
    let (flight, ssthresh, cwnd) = reduced.expect("the sender reduced");
    assert_eq!(ssthresh, (flight / 2).max(2000));
    assert_eq!(cwnd, ssthresh, "cwnd = ssthresh at once");
    assert_eq!(reductions, 0, "once");
    assert_eq!(p.client.stats().retransmits, 0);
    assert_eq!(p.client.bytes_acked(), 100_000);
}

/// A SYN cookie keeps ECN in its timestamp (Linux `cookie_init_timestamp`'s TS_OPT_ECN,
/// `cookie_ecn_ok`): the cookie SYN-ACK carries ECE and the connection the final ACK rebuilds
/// uses ECN. Without timestamps a cookie cannot keep it, and the SYN-ACK does not offer it.
#[test]
fn a_syn_cookie_keeps_ecn_only_with_timestamps() {
    for timestamps in [true, false] {
        let client = Config {
            timestamps,
            ..cfg(EcnMode::On)
        };
        let server = Config {
            timestamps,
            syn_cookies: synack_tcp::config::SynCookies::Always,
            ..cfg(EcnMode::Passive)
        };
        let mut p = Pair::listen(&client, &server, ms(10));
        p.run_until(t_ms(30));
        p.client.send(p.now, 2000).unwrap();
        p.run_until(t_ms(200));
        let synack = if timestamps {
            "S->C SYN,ACK,ECE not-ect len=0"
        } else {
            "S->C SYN,ACK not-ect len=0"
        };
        assert_eq!(ladder(&p, 2)[1], synack);
        assert_eq!(p.client.ecn_agreed(), timestamps);
        assert_eq!(p.server().ecn_agreed(), timestamps);
        let data = p
            .log
            .iter()
            .find(|l| l.from == Side::Client && l.seg.len > 0);
        let expected = if timestamps { Ecn::Ect0 } else { Ecn::NotEct };
        assert_eq!(data.unwrap().seg.ecn, expected);
    }
}
