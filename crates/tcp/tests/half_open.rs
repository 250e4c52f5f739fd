//! A listener's half-open connection (SYN-RECEIVED after a passive open) and what it makes
//! of the peer's SYN again, of another SYN, of RSTs and of segments outside its window:
//! Linux's `tcp_check_req` (`syn_received_rules = "linux"`) against RFC 9293 §3.10.7.4
//! (`"rfc9293"`).

mod util;

use synack_sim::{Duration, Time};
use synack_tcp::config::{Config, Rules};
use synack_tcp::{Connection, Event, Flags, Segment, Seq, State};
use util::{ms, t_ms, Pair, Side, CLIENT_PORT, SERVER_ISN, SERVER_PORT};

/// The linux profile without options, so that ladders read simply.
fn linux() -> Config {
    Config {
        timestamps: false,
        sack: false,
        window_scaling: false,
        // Exact timers (the wheel's slack: `handshake.rs`).
        timer_wheel_hz: 0,
        ..Config::linux()
    }
}

/// A client whose SYN-ACKs are all lost: it keeps retransmitting its SYN (Linux ≥ 6.5: at
/// 1, 2, 3, 4, 5, 7, 11, 19, 35 and 67 s, `tcp_syn_linear_timeouts`). Every SYN of the
/// same sequence number draws the SYN-ACK at once (`inet_rtx_syn_ack`) and restarts the
/// SYN-ACK timer at its current timeout; only the timer's own expiries count towards
/// `synack_retries` (`num_timeout`, `reqsk_timer_handler`), so the half-open connection
/// outlives the 63 s of five unanswered timeouts: timeouts at 6, 9, 15, 27 and 51 s, each
/// pushed on by the SYNs in between, the last timer set by the SYN of 67 s, and the end at
/// 67 + 32 = 99 s.
#[test]
fn linux_answers_the_syn_again_and_restarts_the_synack_timer() {
    let mut p = Pair::connect(&linux(), &linux(), ms(10));
    p.drop_all(Side::Server, |s| s.flags.syn());
    p.run(1000);
    let server: Vec<String> = p
        .ladder()
        .lines()
        .filter(|l| l.contains("S->C"))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(
        server,
        [
            "0.010", "1.010", "2.010", "3.010", "4.010", "5.010", "6.010", "7.010", "9.010",
            "11.010", "15.010", "19.010", "27.010", "35.010", "51.010", "67.010"
        ]
    );
    assert!(p
        .ladder()
        .lines()
        .filter(|l| l.contains("S->C"))
        .all(|l| l.contains("SYN,ACK seq=300 ack=101 len=0 SYN-SENT SYN-RECEIVED")));
    assert_eq!(p.server_app_events(), [(t_ms(99_010), Event::TimedOut)]);
    assert_eq!(p.server().stats().synack_retransmits, 15);
    assert_eq!(p.client_app_events(), [(t_ms(131_000), Event::TimedOut)]);
}

/// The same, but the client gives up after 4.5 s (a connect timeout of the application):
/// the last SYN, at 4 s, set the timer to 5.010 s, and from there five timeouts of 1, 2,
/// 4, 8 and 16 s and the wait of 32 s end the half-open connection 67 s after the first
/// SYN — 4 s more than a client that sends its SYN once. (Issue 12 measured 67.6 s on
/// Linux; the difference is the timer wheel's slack on long timers.)
#[test]
fn linux_half_open_lives_63_seconds_after_the_last_syn_of_the_first_second() {
    let mut p = Pair::connect(&linux(), &linux(), ms(10));
    p.drop_all(Side::Server, |s| s.flags.syn());
    p.run_until(t_ms(4_500));
    p.client.abort(p.now);
    p.run(1000);
    assert_eq!(p.server_app_events(), [(t_ms(67_010), Event::TimedOut)]);
    assert_eq!(p.server().stats().synack_retransmits, 4 + 5);

    let once = |config: Config| {
        let mut p = Pair::connect(&config, &config, ms(10));
        p.drop_all(Side::Server, |s| s.flags.syn());
        p.run_until(t_ms(500));
        p.client.abort(p.now);
        p.run(1000);
        p.server_app_events()
    };
    assert_eq!(once(linux()), [(t_ms(63_010), Event::TimedOut)]);
}

/// RFC 9293: the peer's SYN again lies wholly before the window (SEG.SEQ = IRS < RCV.NXT),
/// an unacceptable segment answered by <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; the SYN-ACK
/// goes again only when its timer expires, at 1, 3, 7, 15 and 31 s, and the half-open
/// connection ends at 63 s whatever the client does.
#[test]
fn rfc_answers_the_syn_again_with_an_ack() {
    let mut p = Pair::connect(&Config::rfc(), &Config::rfc(), ms(10));
    p.drop_all(Side::Server, |s| s.flags.syn());
    p.run_until(t_ms(3_100));
    assert_eq!(
        p.ladder(),
        "\
0.000 0.010 C->S SYN     seq=100 ack=0 len=0 SYN-SENT SYN-RECEIVED
0.010 lost S->C SYN,ACK seq=300 ack=101 len=0 SYN-SENT SYN-RECEIVED
1.000 1.010 C->S SYN     seq=100 ack=0 len=0 SYN-SENT SYN-RECEIVED
1.010 1.020 S->C ACK     seq=301 ack=101 len=0 SYN-SENT SYN-RECEIVED
1.010 lost S->C SYN,ACK seq=300 ack=101 len=0 SYN-SENT SYN-RECEIVED
3.000 3.010 C->S SYN     seq=100 ack=0 len=0 SYN-SENT SYN-RECEIVED
3.010 3.020 S->C ACK     seq=301 ack=101 len=0 SYN-SENT SYN-RECEIVED
3.010 lost S->C SYN,ACK seq=300 ack=101 len=0 SYN-SENT SYN-RECEIVED
"
    );
    p.run(1000);
    assert_eq!(p.server_app_events(), [(t_ms(63_010), Event::TimedOut)]);
    assert_eq!(p.server().stats().synack_retransmits, 5);
}

/// A half-open connection made by hand: the client's SYN (ISN 100) reached the server at 0
/// and was answered by the SYN-ACK (ISS 300).
fn half_open(config: &Config) -> Connection {
    let syn = seg(Flags::SYN, 100, 0, 0);
    let mut c = Connection::accept(Time::ZERO, config, SERVER_PORT, &syn, SERVER_ISN).unwrap();
    let synack = c.poll_transmit().unwrap();
    assert_eq!(
        (synack.flags, synack.seq, synack.ack),
        (Flags::SYN | Flags::ACK, Seq(300), Seq(101))
    );
    assert_eq!(c.state(), State::SynReceived);
    c
}

fn seg(flags: Flags, seq: u32, ack: u32, len: u32) -> Segment {
    Segment {
        src_port: CLIENT_PORT,
        dst_port: SERVER_PORT,
        seq: Seq(seq),
        ack: Seq(ack),
        flags,
        window: 65535,
        len,
        opts: synack_tcp::Options::default(),
        ecn: Default::default(),
    }
}

/// The segments `c` sends when `s` arrives at `at_ms`, as `FLAGS seq=.. ack=..`.
fn answers(c: &mut Connection, at_ms: u64, s: Segment) -> Vec<String> {
    c.handle_segment(t_ms(at_ms), &s);
    std::iter::from_fn(|| c.poll_transmit())
        .map(|s| format!("{} seq={} ack={}", s.flags, s.seq, s.ack))
        .collect()
}

const ACK: &str = "ACK seq=301 ack=101";
const NOTHING: [&str; 0] = [];

fn ended_by_reset(c: &mut Connection) -> bool {
    std::iter::from_fn(|| c.poll_event()).any(|e| e == Event::Reset) && c.state() == State::Closed
}

/// A SYN with another sequence number. Outside the window (before RCV.NXT), both rule sets
/// answer <SEQ=ISS+1><ACK=RCV.NXT><CTL=ACK> — not a second SYN-ACK — Linux at most once per
/// 500 ms. Inside the window, Linux answers as a closed port would, <SEQ=0><ACK=SEG.SEQ+1>
/// <CTL=RST,ACK>, and drops the half-open connection (`embryonic_reset`); RFC 9293 returns
/// it to LISTEN, unanswered.
#[test]
fn a_syn_with_another_sequence_number() {
    let mut c = half_open(&linux());
    assert_eq!(answers(&mut c, 100, seg(Flags::SYN, 50, 0, 0)), [ACK]);
    assert_eq!(answers(&mut c, 300, seg(Flags::SYN, 60, 0, 0)), NOTHING);
    assert_eq!(answers(&mut c, 600, seg(Flags::SYN, 70, 0, 0)), [ACK]);
    assert_eq!(c.state(), State::SynReceived);
    assert_eq!(
        answers(&mut c, 700, seg(Flags::SYN, 5000, 0, 0)),
        ["RST,ACK seq=0 ack=5001"]
    );
    assert!(ended_by_reset(&mut c));

    let mut c = half_open(&Config::rfc());
    for at in [100, 300, 600] {
        assert_eq!(answers(&mut c, at, seg(Flags::SYN, 50, 0, 0)), [ACK]);
    }
    assert_eq!(answers(&mut c, 700, seg(Flags::SYN, 5000, 0, 0)), NOTHING);
    assert!(ended_by_reset(&mut c));
}

/// Linux rate-limits the SYN-ACK a repeated SYN draws too: a copy 100 ms after the last
/// answer gets nothing, and leaves the timer where it was.
#[test]
fn linux_answers_a_duplicated_syn_once() {
    let mut c = half_open(&linux());
    let synack = "SYN,ACK seq=300 ack=101";
    assert_eq!(answers(&mut c, 200, seg(Flags::SYN, 100, 0, 0)), [synack]);
    assert_eq!(c.poll_timeout(), Some(t_ms(1_200)));
    assert_eq!(answers(&mut c, 300, seg(Flags::SYN, 100, 0, 0)), NOTHING);
    assert_eq!(c.poll_timeout(), Some(t_ms(1_200)));
    assert_eq!(answers(&mut c, 700, seg(Flags::SYN, 100, 0, 0)), [synack]);
    assert_eq!(c.poll_timeout(), Some(t_ms(1_700)));
    assert_eq!(c.stats().synack_retransmits, 2);
}

/// RSTs, as RFC 5961 §3.2 asks and Linux 6.18 does (checked with packetdrill on the
/// kernel, `syn-received.pkt`): only an exact RST ends the half-open connection, silently;
/// any other in the window draws a challenge ACK, at most one per 500 ms on Linux
/// (`invalid_ratelimit`; older kernels dropped the connection on any RST in the window).
/// Both ignore a RST outside the window.
#[test]
fn rsts_in_syn_received() {
    let mut c = half_open(&linux());
    assert_eq!(answers(&mut c, 100, seg(Flags::RST, 90_000, 0, 0)), NOTHING);
    assert_eq!(c.state(), State::SynReceived);
    assert_eq!(answers(&mut c, 200, seg(Flags::RST, 200, 0, 0)), [ACK]);
    assert_eq!(answers(&mut c, 300, seg(Flags::RST, 200, 0, 0)), NOTHING);
    assert_eq!(c.state(), State::SynReceived);
    assert_eq!(answers(&mut c, 400, seg(Flags::RST, 101, 0, 0)), NOTHING);
    assert!(ended_by_reset(&mut c));

    let mut c = half_open(&Config::rfc());
    assert_eq!(answers(&mut c, 100, seg(Flags::RST, 90_000, 0, 0)), NOTHING);
    assert_eq!(answers(&mut c, 200, seg(Flags::RST, 200, 0, 0)), [ACK]);
    assert_eq!(answers(&mut c, 300, seg(Flags::RST, 200, 0, 0)), [ACK]);
    assert_eq!(c.state(), State::SynReceived);
    assert_eq!(answers(&mut c, 400, seg(Flags::RST, 101, 0, 0)), NOTHING);
    assert!(ended_by_reset(&mut c));
}

/// An ACK of something but our SYN draws <SEQ=SEG.ACK><CTL=RST> and leaves the half-open
/// connection. Linux checks the ACK before the window (`tcp_check_req`: "Invalid ACK:
/// reset will be sent by listening socket"); RFC 9293 checks the window first, so outside
/// it the answer is an ACK.
#[test]
fn an_unacceptable_ack() {
    for (config, before_window) in [(linux(), "RST seq=999 ack=0"), (Config::rfc(), ACK)] {
        let mut c = half_open(&config);
        let in_window = answers(&mut c, 100, seg(Flags::ACK, 101, 999, 0));
        assert_eq!(in_window, ["RST seq=999 ack=0"]);
        let before = answers(&mut c, 700, seg(Flags::ACK, 50, 999, 0));
        assert_eq!(before, [before_window]);
        assert_eq!(c.state(), State::SynReceived);
        // The handshake's ACK still completes it.
        assert_eq!(answers(&mut c, 800, seg(Flags::ACK, 101, 301, 0)), NOTHING);
        assert_eq!(c.state(), State::Established);
    }
}

/// The rule sets are per connection: an rfc9293 half-open connection in a linux profile
/// answers as RFC 9293 says.
#[test]
fn the_rules_are_a_key_of_their_own() {
    let config = Config {
        syn_received_rules: Rules::Rfc9293,
        ..linux()
    };
    let mut c = half_open(&config);
    assert_eq!(answers(&mut c, 100, seg(Flags::SYN, 100, 0, 0)), [ACK]);
    assert_eq!(c.poll_timeout(), Some(Time::ZERO + Duration::from_secs(1)));
    let mut c = half_open(&linux());
    assert_eq!(
        answers(&mut c, 100, seg(Flags::SYN, 100, 0, 0)),
        ["SYN,ACK seq=300 ack=101"]
    );
    assert_eq!(c.poll_timeout(), Some(t_ms(1_100)));
}
