//! Opening a connection: RFC 9293 Figures 6 and 7, lost handshake segments, giving up.

mod util;

use synack_sim::{Duration, Time};
use synack_tcp::config::Config;
use synack_tcp::{Connection, Event, Flags, Segment, Seq, State};
use util::{ms, t_ms, Pair, Side};

fn secs(n: u64) -> Time {
    Time::ZERO + Duration::from_secs(n)
}

/// RFC 9293 Figure 6, with the figure's ISNs (100 and 300) and a 10 ms one-way delay.
#[test]
fn figure_6_three_way_handshake() {
    let mut p = Pair::connect(&Config::rfc(), &Config::rfc(), ms(10));
    p.run(100);
    assert_eq!(
        p.ladder(),
        "\
0.000 0.010 C->S SYN     seq=100 ack=0 len=0 SYN-SENT SYN-RECEIVED
0.010 0.020 S->C SYN,ACK seq=300 ack=101 len=0 ESTABLISHED SYN-RECEIVED
0.020 0.030 C->S ACK     seq=101 ack=301 len=0 ESTABLISHED ESTABLISHED
"
    );
    assert_eq!(p.client_app_events(), vec![(t_ms(20), Event::Connected)]);
    assert_eq!(p.server_app_events(), vec![(t_ms(30), Event::Connected)]);
    let server_states: Vec<_> = p
        .server_events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::StateChanged { from, to } => Some((*from, *to)),
            _ => None,
        })
        .collect();
    assert_eq!(
        server_states,
        vec![
            (State::Listen, State::SynReceived),
            (State::SynReceived, State::Established)
        ]
    );
    // One RTT sample each: the SYN (20 ms) and the SYN-ACK (20 ms).
    assert_eq!(p.client.srtt(), Some(ms(20)));
    assert_eq!(p.server().srtt(), Some(ms(20)));
}

/// Figure 6, line 5: data queued during the handshake rides on the third segment.
#[test]
fn data_queued_in_syn_sent_goes_with_the_handshake_ack() {
    let mut p = Pair::connect(&Config::rfc(), &Config::rfc(), ms(10));
    assert_eq!(p.client.send(Time::ZERO, 100), Ok(100));
    p.run(100);
    assert_eq!(
        p.ladder(),
        "\
0.000 0.010 C->S SYN     seq=100 ack=0 len=0 SYN-SENT SYN-RECEIVED
0.010 0.020 S->C SYN,ACK seq=300 ack=101 len=0 ESTABLISHED SYN-RECEIVED
0.020 0.030 C->S ACK     seq=101 ack=301 len=100 ESTABLISHED ESTABLISHED
0.230 0.240 S->C ACK     seq=301 ack=201 len=0 ESTABLISHED ESTABLISHED
"
    );
    // The server's ACK waited the rfc profile's 200 ms delayed-ACK limit.
    assert_eq!(
        p.server_app_events(),
        vec![
            (t_ms(30), Event::Connected),
            (t_ms(30), Event::DataReceived(100))
        ]
    );
}

/// RFC 9293 Figure 7: simultaneous open. Each side's SYN crosses the other's; each goes
/// SYN-SENT → SYN-RECEIVED and answers SYN,ACK; each SYN,ACK's SYN is old news and its ACK
/// completes the open.
#[test]
fn figure_7_simultaneous_open() {
    let mut p = Pair::simultaneous(&Config::rfc(), ms(10));
    p.run(100);
    assert_eq!(
        p.ladder(),
        "\
0.000 0.010 C->S SYN     seq=100 ack=0 len=0 SYN-SENT SYN-RECEIVED
0.000 0.010 S->C SYN     seq=300 ack=0 len=0 SYN-RECEIVED SYN-RECEIVED
0.010 0.020 S->C SYN,ACK seq=300 ack=101 len=0 ESTABLISHED SYN-RECEIVED
0.010 0.020 C->S SYN,ACK seq=100 ack=301 len=0 ESTABLISHED ESTABLISHED
"
    );
    let states: Vec<_> = p.client_events.iter().map(|(t, e)| (*t, *e)).collect();
    assert_eq!(
        states,
        vec![
            (
                t_ms(0),
                Event::StateChanged {
                    from: State::Closed,
                    to: State::SynSent
                }
            ),
            (
                t_ms(10),
                Event::StateChanged {
                    from: State::SynSent,
                    to: State::SynReceived
                }
            ),
            (
                t_ms(20),
                Event::StateChanged {
                    from: State::SynReceived,
                    to: State::Established
                }
            ),
            (t_ms(20), Event::Connected),
        ]
    );
}

fn syn_times(p: &Pair) -> Vec<u64> {
    p.log
        .iter()
        .filter(|l| l.from == Side::Client && l.seg.flags == Flags::SYN)
        .map(|l| l.sent.as_nanos() / 1_000_000_000)
        .collect()
}

/// Linux ≥ 6.5 with `tcp_syn_retries = 6` and `tcp_syn_linear_timeouts = 4`.
/// `tcp_retransmit_timer` (net/ipv4/tcp_timer.c) doubles the RTO in SYN-SENT only once
/// `total_rto > tcp_syn_linear_timeouts`, so the SYN RTOs run 1, 1, 1, 1, 1, 2, 4, … s (as
/// ip-sysctl.rst says: "4 linear timeouts, and the first exponential backoff using
/// 2^0 * initial_RTO"); `tcp_write_timeout` gives up once `icsk_retransmits` reaches
/// `syn_retries + syn_linear_timeouts` = 10. So SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35 and
/// 67 s, and connect() fails at 67 + 64 = 131 s — with exact timers; on the timer wheel
/// see the next test.
#[test]
fn linux_syn_gives_up_after_131_seconds() {
    let exact = Config {
        timer_wheel_hz: 0,
        ..Config::linux()
    };
    let mut p = Pair::connect(&exact, &exact, ms(10));
    p.drop_all(Side::Client, |s| s.flags.syn());
    p.run(100);
    assert_eq!(syn_times(&p), vec![0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67]);
    assert_eq!(p.client_app_events(), vec![(secs(131), Event::TimedOut)]);
    assert_eq!(p.client.state(), State::Closed);
    assert_eq!(p.client.stats().syn_retransmits, 10);
}

/// The same on Linux's timer wheel at 250 Hz (`timer_wheel_hz`, `calc_wheel_index`): every
/// timer fires on a 4 ms tick past its expiry, rounded up to its level's bucket. A 1 s RTO
/// is 250 jiffies, level 1 (8-jiffy buckets): from jiffy 0 the first retransmission goes at
/// jiffy 256 (1.024 s), the next at 512, 768, 1024, 1280; the 2 s one (500 jiffies, still
/// level 1) at 1784 (7.136 s); 4 s (level 2, 64-jiffy buckets) at 2816 (11.264 s); then
/// 19.456, 35.584 and 69.632 s (8 and 16 s are level 2, 32 s level 3 with 512-jiffy
/// buckets), and the 64 s wait ends at 135.168 s. Linux 6.18 in validation/linux
/// (`connections-results.md`): the last SYN 68.71 s after the first, ETIMEDOUT at 134.25 s.
#[test]
fn linux_syn_retries_run_on_the_timer_wheel() {
    let mut p = Pair::connect(&Config::linux(), &Config::linux(), ms(10));
    p.drop_all(Side::Client, |s| s.flags.syn());
    p.run(100);
    let sent: Vec<u64> = (p.log.iter())
        .filter(|l| l.from == Side::Client && l.seg.flags.syn())
        .map(|l| l.sent.as_nanos() / 1_000_000)
        .collect();
    assert_eq!(
        sent,
        [0, 1024, 2048, 3072, 4096, 5120, 7136, 11_264, 19_456, 35_584, 69_632]
    );
    assert_eq!(
        p.client_app_events(),
        vec![(t_ms(135_168), Event::TimedOut)]
    );
}

/// The rfc profile: RFC 6298 (5.5) doubling from 1 s, six retransmissions: SYNs at 0, 1, 3,
/// 7, 15, 31 and 63 s. The last wait would be 64 s, but RFC 6298 (2.5) caps the RTO at the
/// profile's `max_rto` of 60 s, so the connection gives up at 63 + 60 = 123 s (127 s with
/// no cap, as the next test shows).
#[test]
fn rfc_syn_gives_up_after_123_seconds() {
    let mut p = Pair::connect(&Config::rfc(), &Config::rfc(), ms(10));
    p.drop_all(Side::Client, |s| s.flags.syn());
    p.run(100);
    assert_eq!(syn_times(&p), vec![0, 1, 3, 7, 15, 31, 63]);
    assert_eq!(p.client_app_events(), vec![(secs(123), Event::TimedOut)]);
}

#[test]
fn rfc_syn_without_the_rto_cap_gives_up_after_127_seconds() {
    let config = Config {
        max_rto: Duration::from_secs(120),
        ..Config::rfc()
    };
    let mut p = Pair::connect(&config, &config, ms(10));
    p.drop_all(Side::Client, |s| s.flags.syn());
    p.run(100);
    assert_eq!(syn_times(&p), vec![0, 1, 3, 7, 15, 31, 63]);
    assert_eq!(p.client_app_events(), vec![(secs(127), Event::TimedOut)]);
}

/// The final ACK is always lost: the server resends its SYN-ACK at 1, 3, 7, 15, 31 s
/// (`synack_retries = 5`), the established client re-acknowledges each (RFC 9293 §3.10.7.4
/// first: an unacceptable segment draws an ACK), and the server gives up at 63 s.
#[test]
fn synack_retransmission_and_give_up() {
    let exact = Config {
        timer_wheel_hz: 0,
        ..Config::linux()
    };
    let mut p = Pair::connect(&exact, &exact, ms(10));
    p.drop_all(Side::Client, |s| !s.flags.syn());
    p.run(100);
    assert_eq!(
        p.ladder(),
        "\
0.000 0.010 C->S SYN     seq=100 ack=0 len=0 SYN-SENT SYN-RECEIVED
0.010 0.020 S->C SYN,ACK seq=300 ack=101 len=0 ESTABLISHED SYN-RECEIVED
0.020 lost C->S ACK     seq=101 ack=301 len=0 ESTABLISHED SYN-RECEIVED
1.010 1.020 S->C SYN,ACK seq=300 ack=101 len=0 ESTABLISHED SYN-RECEIVED
1.020 lost C->S ACK     seq=101 ack=301 len=0 ESTABLISHED SYN-RECEIVED
3.010 3.020 S->C SYN,ACK seq=300 ack=101 len=0 ESTABLISHED SYN-RECEIVED
3.020 lost C->S ACK     seq=101 ack=301 len=0 ESTABLISHED SYN-RECEIVED
7.010 7.020 S->C SYN,ACK seq=300 ack=101 len=0 ESTABLISHED SYN-RECEIVED
7.020 lost C->S ACK     seq=101 ack=301 len=0 ESTABLISHED SYN-RECEIVED
15.010 15.020 S->C SYN,ACK seq=300 ack=101 len=0 ESTABLISHED SYN-RECEIVED
15.020 lost C->S ACK     seq=101 ack=301 len=0 ESTABLISHED SYN-RECEIVED
31.010 31.020 S->C SYN,ACK seq=300 ack=101 len=0 ESTABLISHED SYN-RECEIVED
31.020 lost C->S ACK     seq=101 ack=301 len=0 ESTABLISHED SYN-RECEIVED
"
    );
    assert_eq!(p.server_app_events(), vec![(t_ms(63_010), Event::TimedOut)]);
    assert_eq!(p.server().stats().synack_retransmits, 5);
}

/// A lost SYN-ACK: the client's SYN times out (1 s) and the server answers the retransmitted
/// SYN with its SYN-ACK. Because the SYN was retransmitted, the initial window is one
/// segment (RFC 5681 §3.1), and the RTO: with the rfc profile, no sample (Karn) and RTO =
/// 3 s (RFC 6298 (5.7)); with the linux profile, the SYN-ACK echoes the first SYN's TSval
/// (the server keeps its TS.Recent, `tcp_check_req`), so the timestamp gives a sample of
/// 1.02 s (RFC 7323 RTTM, Linux `tcp_ack_update_rtt`) and RTO = 1.02 + 2·1.02 = 3.06 s.
#[test]
fn lost_synack_gives_a_three_second_rto_and_one_segment_window() {
    for (config, rto, srtt, segment) in [
        (Config::rfc(), ms(3_000), None, 1460),
        (
            Config {
                timer_wheel_hz: 0,
                ..Config::linux()
            },
            ms(3_060),
            Some(ms(1_020)),
            1448,
        ),
    ] {
        let mut p = Pair::connect(&config, &config, ms(10));
        p.drop_next(Side::Server, |s| s.flags.syn());
        // The server's own SYN-ACK timer fires at 1.010 s too (the rfc profile's at 3.010 s);
        // the client's SYN comes first.
        p.run_until(t_ms(1_020));
        assert_eq!(p.client.state(), State::Established);
        assert_eq!((p.client.rto(), p.client.srtt()), (rto, srtt));
        // One segment (the linux profile's: 1460 − 12 bytes of timestamps).
        assert_eq!(p.client.cwnd(), segment);
    }
}

/// RFC 9293 §3.10.7.3: in SYN-SENT a RST with an acceptable ACK is "connection refused".
#[test]
fn rst_in_syn_sent_resets() {
    let mut c = Connection::connect(Time::ZERO, &Config::rfc(), 40000, 80, Seq(100));
    let syn = c.poll_transmit().unwrap();
    // An unacceptable ACK (not ISS+1) is ignored…
    let mut rst = Segment::rst(80, 40000, Seq(0), Some(Seq(5000)));
    c.handle_segment(t_ms(10), &rst);
    assert_eq!(c.state(), State::SynSent);
    // …the right one resets.
    rst.ack = syn.end();
    c.handle_segment(t_ms(10), &rst);
    assert_eq!(c.state(), State::Closed);
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert_eq!(events.last(), Some(&Event::Reset));
    assert_eq!(c.poll_timeout(), None);
}

/// RFC 9293 §3.10.7.3 first: an ACK of something never sent draws <SEQ=SEG.ACK><CTL=RST>.
#[test]
fn bad_ack_in_syn_sent_draws_a_reset() {
    let mut c = Connection::connect(Time::ZERO, &Config::rfc(), 40000, 80, Seq(100));
    c.poll_transmit();
    let mut synack = Segment::rst(80, 40000, Seq(300), Some(Seq(999)));
    synack.flags = Flags::SYN | Flags::ACK;
    c.handle_segment(t_ms(10), &synack);
    let rst = c.poll_transmit().unwrap();
    assert_eq!((rst.flags, rst.seq), (Flags::RST, Seq(999)));
    assert_eq!(c.state(), State::SynSent);
}

/// A passive side only opens on a bare SYN.
#[test]
fn accept_needs_a_syn() {
    let ack = Segment::rst(40000, 80, Seq(1), Some(Seq(1)));
    let err = Connection::accept(Time::ZERO, &Config::rfc(), 80, &ack, Seq(300)).unwrap_err();
    assert_eq!(err, synack_tcp::AcceptError::NotSyn);
}
