//! One host's TCP ([`Stack`](synack_tcp::Stack)) against another across a wire: replies for
//! closed ports, a connection's whole life through the stacks, ephemeral ports, listeners
//! (SYN queue, cookies, accept queue) and TIME-WAIT sockets.

mod util;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use synack_sim::{Duration, Time};
use synack_tcp::config::{Config, Isn, PortRange, RttEstimation, Rules};
use synack_tcp::{
    Accept, Answer, ConnId, ConnectError, DropReason, Event, Flags, FourTuple, Incoming,
    IsnGenerator, Segment, Seq, Settled, SocketId, StackEvent, State, Stats, TimeWaitEnd,
    TimeWaitId, TimeWaitTimeout,
};
use util::hosts::{Host, Hosts, Record, CLIENT, PORT, SERVER};
use util::{ms, t_ms};

/// Small segments, zero ISNs (so that ladders read easily), five ephemeral ports.
fn cfg() -> Config {
    Config {
        mss: 1000,
        init_cwnd: Some(4),
        isn: Isn::Zero,
        ephemeral_ports: ports(40000, 40004),
        // Round numbers: no timestamps taking 12 bytes of each segment, no SACK blocks
        // (their own tests are in `options.rs`).
        timestamps: false,
        sack: false,
        // RFC 6298's estimator, with which these ladders' timer values were worked out.
        rtt_estimation: RttEstimation::Rfc6298,
        // RFC 1122's delayed ACKs (Linux's quick-ACK mode has its own tests, in `acks.rs`).
        quick_ack: false,
        ..Config::linux()
    }
}

fn ports(first: u16, last: u16) -> PortRange {
    PortRange { first, last }
}

fn secs_ms(s: u64, ms: u64) -> Time {
    Time::ZERO + Duration::from_secs(s) + Duration::from_millis(ms)
}

/// A segment from `src` to `dst` (the ACK field only with the ACK flag).
fn seg(ports: (u16, u16), flags: Flags, seq: u32, ack: u32, len: u32) -> Segment {
    Segment {
        src_port: ports.0,
        dst_port: ports.1,
        seq: Seq(seq),
        ack: if flags.ack() { Seq(ack) } else { Seq(0) },
        flags,
        window: 65535,
        len,
        opts: synack_tcp::Options::default(),
    }
}

/// The server's connection from the client's `port`.
fn server_conn(h: &Hosts, port: u16) -> ConnId {
    match h.server.lookup(PORT, CLIENT, port) {
        Some(SocketId::Conn(id)) => id,
        other => panic!("no server connection from port {port}: {other:?}"),
    }
}

fn ladder_from(h: &Hosts, line: usize) -> String {
    h.ladder()
        .lines()
        .skip(line)
        .map(|l| l.to_string() + "\n")
        .collect()
}

/// RFC 9293 §3.10.7.1: a host with no socket and no listener for a segment answers
/// everything but a RST with a RST; the source address is a third host's, which no wire
/// reaches.
#[test]
fn a_closed_port_answers_with_a_rst() {
    let mut h = Hosts::new(&cfg(), &cfg(), ms(10), false);
    // A SYN: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    h.inject(7, Host::Server, seg((5555, 81), Flags::SYN, 1000, 0, 0));
    // Data and a FIN without ACK: SEG.LEN = 100 + 1.
    h.inject(7, Host::Server, seg((5555, 81), Flags::FIN, 5000, 0, 100));
    // An ACK: <SEQ=SEG.ACK><CTL=RST>.
    h.inject(7, Host::Server, seg((5555, 81), Flags::ACK, 7, 4242, 10));
    // A RST: nothing.
    h.inject(7, Host::Server, seg((5555, 81), Flags::RST, 9, 0, 0));
    h.run(100);
    assert_eq!(
        h.ladder(),
        "\
0.000 0.010 7->S 5555>81 SYN     seq=1000 ack=0 len=0
0.000 0.010 7->S 5555>81 FIN     seq=5000 ack=0 len=100
0.000 0.010 7->S 5555>81 ACK     seq=7 ack=4242 len=10
0.000 0.010 7->S 5555>81 RST     seq=9 ack=0 len=0
0.010 lost S->7 81>5555 RST,ACK seq=0 ack=1001 len=0
0.010 lost S->7 81>5555 RST,ACK seq=0 ack=5101 len=0
0.010 lost S->7 81>5555 RST     seq=4242 ack=0 len=0
"
    );
    let answered = Incoming::Answered(Answer::Reset);
    assert_eq!(
        h.incoming(Host::Server),
        vec![
            (t_ms(10), answered),
            (t_ms(10), answered),
            (t_ms(10), answered),
            (t_ms(10), Incoming::Dropped(DropReason::RstForNothing)),
        ]
    );
}

/// A client connecting to a port where nothing listens is reset by the answer.
#[test]
fn a_connect_to_a_closed_port_is_reset() {
    let mut h = Hosts::new(&cfg(), &cfg(), ms(10), true);
    let c = h.connect(81).unwrap();
    h.run(100);
    assert_eq!(
        h.ladder(),
        "\
0.000 0.010 C->S 40000>81 SYN     seq=0 ack=0 len=0
0.010 0.020 S->C 81>40000 RST,ACK seq=0 ack=1 len=0
"
    );
    let closed = Settled::Closed {
        tag: 1,
        stats: Stats {
            segments_sent: 1,
            ..Stats::default()
        },
    };
    assert_eq!(
        h.records_of(Host::Client)[2..],
        [
            (
                t_ms(20),
                Record::Incoming(incoming_conn(c, State::SynSent, 0))
            ),
            (
                t_ms(20),
                Record::Conn(c, changed(State::SynSent, State::Closed))
            ),
            (t_ms(20), Record::Conn(c, Event::Reset)),
            (t_ms(20), Record::Settled(c, closed)),
        ]
    );
    assert_eq!(h.client.connections().count(), 0);
    assert_eq!(h.client.lookup(40000, SERVER, 81), None);
}

fn incoming_conn(id: ConnId, before: State, received: u64) -> Incoming<u32> {
    Incoming::Conn {
        id,
        before,
        received,
    }
}

fn changed(from: State, to: State) -> Event {
    Event::StateChanged { from, to }
}

/// RFC 9293 Figure 12 through two stacks, with data, and the client's last ACK lost: the
/// client shrinks into a TIME-WAIT socket at 210 ms, which re-acknowledges the FIN the
/// server sends again at 400 ms and restarts 2·MSL (60 s) from 410 ms. Its only ephemeral
/// port stays taken until then.
#[test]
fn a_connection_lives_and_ends_in_time_wait() {
    let client = Config {
        ephemeral_ports: ports(40000, 40000),
        ..cfg()
    };
    let mut h = Hosts::new(&client, &cfg(), ms(10), true);
    let c = h.connect(PORT).unwrap();
    h.run_until(t_ms(30));
    h.app(Host::Client, c, |conn, now| {
        assert_eq!(conn.send(now, 1500), Ok(1500));
    });
    h.run_until(t_ms(100));
    h.app(Host::Client, c, |conn, now| conn.close(now).unwrap());
    h.run_until(t_ms(200));
    let s = server_conn(&h, 40000);
    h.drop_next(Host::Client, |s| s.ack == Seq(2));
    h.app(Host::Server, s, |conn, now| conn.close(now).unwrap());
    h.run_until(secs_ms(30, 0));
    assert_eq!(
        h.ladder(),
        "\
0.000 0.010 C->S 40000>80 SYN     seq=0 ack=0 len=0
0.010 0.020 S->C 80>40000 SYN,ACK seq=0 ack=1 len=0
0.020 0.030 C->S 40000>80 ACK     seq=1 ack=1 len=0
0.030 0.040 C->S 40000>80 ACK     seq=1 ack=1 len=1000
0.030 0.040 C->S 40000>80 ACK     seq=1001 ack=1 len=500
0.080 0.090 S->C 80>40000 ACK     seq=1 ack=1501 len=0
0.100 0.110 C->S 40000>80 FIN,ACK seq=1501 ack=1 len=0
0.110 0.120 S->C 80>40000 ACK     seq=1 ack=1502 len=0
0.200 0.210 S->C 80>40000 FIN,ACK seq=1 ack=1502 len=0
0.210 lost C->S 40000>80 ACK     seq=1502 ack=2 len=0
0.400 0.410 S->C 80>40000 FIN,ACK seq=1 ack=1502 len=0
0.410 0.420 C->S 40000>80 ACK     seq=1502 ack=2 len=0
"
    );
    let tw = match h.client.lookup(40000, SERVER, PORT) {
        Some(SocketId::TimeWait(tw)) => tw,
        other => panic!("{other:?}"),
    };
    let client = h.records_of(Host::Client);
    let entered = Settled::TimeWait {
        id: tw,
        deadline: secs_ms(60, 210),
    };
    assert!(client.contains(&(t_ms(210), Record::Settled(c, entered))));
    let answered = Incoming::TimeWait { id: tw, tag: 1 };
    assert_eq!(
        client.last(),
        Some(&(t_ms(410), Record::Incoming(answered)))
    );
    assert_eq!(h.client.connections().count(), 0);
    assert_eq!(h.client.time_waits().map(|t| t.2).collect::<Vec<_>>(), [1]);
    assert_eq!(h.client.time_wait_remote(tw), (SERVER, PORT));
    // The server forgot its connection when the last ACK came.
    let server_closed = Settled::Closed {
        tag: 2,
        stats: Stats {
            segments_sent: 5,
            retransmits: 1,
            rto_timeouts: 1,
            ..Stats::default()
        },
    };
    let server = h.records_of(Host::Server);
    assert_eq!(
        server.last(),
        Some(&(t_ms(420), Record::Settled(s, server_closed)))
    );

    // The port is held: EADDRNOTAVAIL, until 2·MSL after the FIN last came.
    assert_eq!(h.connect(PORT), Err(ConnectError::NoFreePort));
    h.run_until(secs_ms(60, 409));
    assert_eq!(h.connect(PORT), Err(ConnectError::NoFreePort));
    h.run_until(secs_ms(60, 410));
    let expired = TimeWaitTimeout::Expired {
        tag: 1,
        stats: Stats {
            segments_sent: 7,
            ..Stats::default()
        },
    };
    assert_eq!(
        h.records_of(Host::Client)[client.len()..],
        [
            (
                secs_ms(60, 210),
                Record::TimeWait(tw, TimeWaitTimeout::Later(secs_ms(60, 410)))
            ),
            (secs_ms(60, 410), Record::TimeWait(tw, expired)),
        ]
    );
    assert_eq!(h.client.lookup(40000, SERVER, PORT), None);
    let again = h.connect(PORT).unwrap();
    assert_eq!(h.client.connection(again).local_port(), 40000);
    assert_eq!(again.index(), 0, "the freed slot again");
}

/// Five ephemeral ports: five connections take them in order, a sixth finds none. A port
/// comes free with its connection; the cursor goes on from where it stopped, and a
/// TIME-WAIT socket holds its port.
#[test]
fn ephemeral_ports_run_out_and_time_wait_holds_one() {
    let mut h = Hosts::new(&cfg(), &cfg(), ms(10), true);
    let conns: Vec<ConnId> = (0..5).map(|_| h.connect(PORT).unwrap()).collect();
    let port = |h: &Hosts, c: ConnId| h.client.connection(c).local_port();
    let taken: Vec<u16> = conns.iter().map(|&c| port(&h, c)).collect();
    assert_eq!(taken, [40000, 40001, 40002, 40003, 40004]);
    assert_eq!(h.connect(PORT), Err(ConnectError::NoFreePort));
    h.run_until(t_ms(100));
    // The connection on 40002 aborts: its port is free, and the next connect finds it.
    h.app(Host::Client, conns[2], |conn, now| conn.abort(now));
    let c7 = h.connect(PORT).unwrap();
    assert_eq!(
        (port(&h, c7), c7),
        (40002, conns[2]),
        "the port and the slot"
    );
    // The connection on 40003 closes first, so it ends in TIME-WAIT.
    h.app(Host::Client, conns[3], |conn, now| conn.close(now).unwrap());
    h.run_until(t_ms(200));
    let s = server_conn(&h, 40003);
    h.app(Host::Server, s, |conn, now| conn.close(now).unwrap());
    h.run_until(t_ms(300));
    assert!(matches!(
        h.client.lookup(40003, SERVER, PORT),
        Some(SocketId::TimeWait(_))
    ));
    // The cursor is at 40003: TIME-WAIT holds it, and 40004, 40000, 40001, 40002 are taken.
    assert_eq!(h.connect(PORT), Err(ConnectError::NoFreePort));
    // Towards another port every local port is free again, from the cursor on.
    let other = h.client.connect(h.now, SERVER, 81, 0).unwrap();
    assert_eq!(port(&h, other), 40003);
}

/// The ISNs are drawn from each stack's generator, for the 4-tuple as that host sees it.
#[test]
fn isns_come_from_the_generator_for_the_four_tuple() {
    let clock = Config {
        isn: Isn::Clock,
        ..cfg()
    };
    let mut h = Hosts::new(&clock, &clock, ms(10), true);
    let c = h.connect(PORT).unwrap();
    h.run_until(t_ms(30));
    let s = server_conn(&h, 40000);
    let client_tuple = FourTuple {
        local_addr: CLIENT,
        local_port: 40000,
        remote_addr: SERVER,
        remote_port: PORT,
    };
    let server_tuple = FourTuple {
        local_addr: SERVER,
        local_port: PORT,
        remote_addr: CLIENT,
        remote_port: 40000,
    };
    let isn = |seed, at, tuple| {
        IsnGenerator::new(Isn::Clock, ChaCha8Rng::seed_from_u64(seed)).next(at, tuple)
    };
    let (iss, irs) = (
        isn(1, t_ms(0), client_tuple),
        isn(2, t_ms(10), server_tuple),
    );
    assert_eq!(h.client.connection(c).isn(), (iss, irs));
    assert_eq!(h.server.connection(s).isn(), (irs, iss));
    assert_ne!(iss, isn(1, t_ms(0), server_tuple));
}

/// backlog = 1 without cookies: of two SYNs that arrive together, the second is dropped;
/// the client sends it again after its 1 s RTO, when the queue has room.
#[test]
fn a_full_syn_queue_without_cookies_drops_a_syn() {
    let server = Config {
        backlog: 1,
        syn_cookies: false,
        ..cfg()
    };
    let mut h = Hosts::new(&cfg(), &server, ms(10), true);
    h.connect(PORT).unwrap();
    h.connect(PORT).unwrap();
    h.run_until(t_ms(1100));
    assert_eq!(
        h.ladder(),
        "\
0.000 0.010 C->S 40000>80 SYN     seq=0 ack=0 len=0
0.000 0.010 C->S 40001>80 SYN     seq=0 ack=0 len=0
0.010 0.020 S->C 80>40000 SYN,ACK seq=0 ack=1 len=0
0.020 0.030 C->S 40000>80 ACK     seq=1 ack=1 len=0
1.000 1.010 C->S 40001>80 SYN     seq=0 ack=0 len=0
1.010 1.020 S->C 80>40001 SYN,ACK seq=0 ack=1 len=0
1.020 1.030 C->S 40001>80 ACK     seq=1 ack=1 len=0
"
    );
    let (s1, s2) = (server_conn(&h, 40000), server_conn(&h, 40001));
    let l = h.listener.unwrap();
    let opened = |id| Incoming::Opened {
        id,
        listener: l,
        cookie: false,
    };
    assert_eq!(
        h.incoming(Host::Server),
        vec![
            (t_ms(10), opened(s1)),
            (t_ms(10), Incoming::Dropped(DropReason::SynQueueFull)),
            (t_ms(30), incoming_conn(s1, State::SynReceived, 0)),
            (t_ms(1010), opened(s2)),
            (t_ms(1030), incoming_conn(s2, State::SynReceived, 0)),
        ]
    );
    let stats = h.server.listener(l).stats();
    assert_eq!((stats.syn_received, stats.syn_dropped), (3, 1));
    assert_eq!(h.server.listener(l).half_open(), 0);
    assert_eq!(h.server.listener(l).unaccepted(), 2);
}

/// backlog = 1 with cookies: the second SYN is answered with a cookie SYN-ACK, and the ACK
/// that returns it opens an ESTABLISHED connection straight into the accept queue, behind
/// the first (whose final ACK came first).
#[test]
fn a_full_syn_queue_with_cookies_answers_with_a_cookie() {
    let server = Config {
        backlog: 1,
        ..cfg()
    };
    let mut h = Hosts::new(&cfg(), &server, ms(10), true);
    h.connect(PORT).unwrap();
    h.connect(PORT).unwrap();
    h.run(100);
    let cookie = h.log[3].seg.seq;
    assert_eq!(
        h.ladder(),
        format!(
            "\
0.000 0.010 C->S 40000>80 SYN     seq=0 ack=0 len=0
0.000 0.010 C->S 40001>80 SYN     seq=0 ack=0 len=0
0.010 0.020 S->C 80>40000 SYN,ACK seq=0 ack=1 len=0
0.010 0.020 S->C 80>40001 SYN,ACK seq={cookie} ack=1 len=0
0.020 0.030 C->S 40000>80 ACK     seq=1 ack=1 len=0
0.020 0.030 C->S 40001>80 ACK     seq=1 ack={} len=0
",
            cookie + 1
        )
    );
    let (s1, s2) = (server_conn(&h, 40000), server_conn(&h, 40001));
    let l = h.listener.unwrap();
    assert_eq!(
        h.incoming(Host::Server),
        vec![
            (
                t_ms(10),
                Incoming::Opened {
                    id: s1,
                    listener: l,
                    cookie: false
                }
            ),
            (t_ms(10), Incoming::Answered(Answer::Cookie)),
            (t_ms(30), incoming_conn(s1, State::SynReceived, 0)),
            (
                t_ms(30),
                Incoming::Opened {
                    id: s2,
                    listener: l,
                    cookie: true
                }
            ),
        ]
    );
    assert_eq!(h.server.connection(s2).state(), State::Established);
    assert_eq!(h.server.connection(s2).isn(), (cookie, Seq(0)));
    assert_eq!(h.server.connection(s2).mss(), 536, "what a cookie can say");
    assert_eq!(h.server.listener_of(s2), Some(l));
    let stats = h.server.listener(l).stats();
    assert_eq!((stats.syncookies_sent, stats.syncookies_accepted), (1, 1));
    assert_eq!(h.server.listener(l).unaccepted(), 2);
    assert_eq!(h.server.accept(l), Accept::Conn(s1));
    assert_eq!(h.server.accept(l), Accept::Conn(s2));
    assert_eq!(h.server.accept(l), Accept::Empty);
    assert_eq!(h.server.listener(l).unaccepted(), 0);
}

/// At a listener, an ACK with no valid cookie draws <SEQ=SEG.ACK><CTL=RST> (RFC 9293
/// §3.10.7.2 second), with cookies on or off; a RST is ignored (first) and so is a segment
/// with neither SYN nor ACK (fourth).
#[test]
fn a_listener_resets_a_forged_cookie_and_ignores_the_rest() {
    for cookies in [true, false] {
        let server = Config {
            syn_cookies: cookies,
            ..cfg()
        };
        let mut h = Hosts::new(&cfg(), &server, ms(10), true);
        h.inject(
            7,
            Host::Server,
            seg((5555, PORT), Flags::ACK, 500, 12345, 0),
        );
        h.inject(7, Host::Server, seg((5555, PORT), Flags::RST, 500, 0, 0));
        h.inject(7, Host::Server, seg((5555, PORT), Flags::FIN, 500, 0, 0));
        h.run(100);
        assert_eq!(
            ladder_from(&h, 3),
            "0.010 lost S->7 80>5555 RST     seq=12345 ack=0 len=0\n"
        );
        assert_eq!(
            h.incoming(Host::Server),
            vec![
                (t_ms(10), Incoming::Answered(Answer::Reset)),
                (t_ms(10), Incoming::Dropped(DropReason::RstForNothing)),
                (t_ms(10), Incoming::Dropped(DropReason::ListenNoAck)),
            ]
        );
        let stats = h.server.listener(h.listener.unwrap()).stats();
        assert_eq!(stats.syncookies_failed, u64::from(cookies));
        assert_eq!(h.server.connections().count(), 0);
    }
}

/// accept_queue = 1, nobody accepting: the first handshake fills the accept queue, so the
/// second one's final ACK is ignored (Linux `tcp_check_req`) and a third SYN dropped. Once
/// the application accepts (at 500 ms), the client's answer to the SYN-ACK sent again at
/// 1.010 s completes the second.
#[test]
fn a_full_accept_queue_ignores_the_final_ack() {
    let server = Config {
        backlog: 2,
        accept_queue: 1,
        syn_cookies: false,
        ..cfg()
    };
    let mut h = Hosts::new(&cfg(), &server, ms(10), true);
    h.connect(PORT).unwrap();
    h.connect(PORT).unwrap();
    h.run_until(t_ms(100));
    h.connect(PORT).unwrap();
    h.run_until(t_ms(500));
    let l = h.listener.unwrap();
    let (s1, s2) = (server_conn(&h, 40000), server_conn(&h, 40001));
    assert_eq!(h.server.connection(s2).state(), State::SynReceived);
    assert_eq!(h.server.accept(l), Accept::Conn(s1));
    h.run_until(t_ms(1050));
    assert_eq!(
        h.ladder(),
        "\
0.000 0.010 C->S 40000>80 SYN     seq=0 ack=0 len=0
0.000 0.010 C->S 40001>80 SYN     seq=0 ack=0 len=0
0.010 0.020 S->C 80>40000 SYN,ACK seq=0 ack=1 len=0
0.010 0.020 S->C 80>40001 SYN,ACK seq=0 ack=1 len=0
0.020 0.030 C->S 40000>80 ACK     seq=1 ack=1 len=0
0.020 0.030 C->S 40001>80 ACK     seq=1 ack=1 len=0
0.100 0.110 C->S 40002>80 SYN     seq=0 ack=0 len=0
1.010 1.020 S->C 80>40001 SYN,ACK seq=0 ack=1 len=0
1.020 1.030 C->S 40001>80 ACK     seq=1 ack=1 len=0
"
    );
    let opened = |id| Incoming::Opened {
        id,
        listener: l,
        cookie: false,
    };
    assert_eq!(
        h.incoming(Host::Server),
        vec![
            (t_ms(10), opened(s1)),
            (t_ms(10), opened(s2)),
            (t_ms(30), incoming_conn(s1, State::SynReceived, 0)),
            (
                t_ms(30),
                Incoming::Dropped(DropReason::AckWhileAcceptQueueFull)
            ),
            (t_ms(110), Incoming::Dropped(DropReason::AcceptQueueFull)),
            (t_ms(1030), incoming_conn(s2, State::SynReceived, 0)),
        ]
    );
    assert_eq!(h.server.connection(s2).state(), State::Established);
    assert_eq!(h.server.accept_queue_len(l), 1);
    assert!(h.server.listener(l).accept_queue_full());
}

/// Accepts come oldest first. A connection reset while it waits is still handed over as
/// ended (and counted as accepted), even though a newer connection took its slot since.
#[test]
fn accept_takes_the_oldest_and_reports_an_ended_one() {
    let mut h = Hosts::new(&cfg(), &cfg(), ms(10), true);
    let c1 = h.connect(PORT).unwrap();
    h.connect(PORT).unwrap();
    h.run_until(t_ms(100));
    let (s1, s2) = (server_conn(&h, 40000), server_conn(&h, 40001));
    h.app(Host::Client, c1, |conn, now| conn.abort(now));
    h.run_until(t_ms(200));
    let reset = h.records_of(Host::Server);
    assert_eq!(
        reset[reset.len() - 3..],
        [
            (
                t_ms(110),
                Record::Conn(s1, changed(State::Established, State::Closed))
            ),
            (t_ms(110), Record::Conn(s1, Event::Reset)),
            (
                t_ms(110),
                Record::Settled(
                    s1,
                    Settled::Closed {
                        tag: 3,
                        stats: Stats {
                            segments_sent: 1,
                            ..Stats::default()
                        }
                    }
                )
            ),
        ]
    );
    h.connect(PORT).unwrap();
    h.run_until(t_ms(300));
    let s3 = server_conn(&h, 40002);
    assert_eq!(s3, s1, "the reset connection's slot, reused");
    let l = h.listener.unwrap();
    assert_eq!(h.server.accept_queue_len(l), 3);
    assert_eq!(h.server.listener(l).unaccepted(), 3);
    assert_eq!(h.server.accept(l), Accept::Ended);
    assert_eq!(h.server.accept(l), Accept::Conn(s2));
    assert_eq!(h.server.accept(l), Accept::Conn(s3));
    assert_eq!(h.server.accept(l), Accept::Empty);
    assert_eq!(h.server.listener(l).unaccepted(), 0);
}

/// The server closes first, so its side of 40000 ↔ 80 ends in TIME-WAIT (RCV.NXT = the
/// client's ISN + 2). With clock ISNs the client's next connection on the same port, 1 s
/// later, starts 250 000 ticks higher: its SYN reopens the 4-tuple. The TIME-WAIT socket
/// ends first, then the listener opens a connection with an ISS drawn at that moment.
fn reopen_config(server: Config) -> Hosts {
    let client = Config {
        isn: Isn::Clock,
        ephemeral_ports: ports(40000, 40000),
        ..cfg()
    };
    let server = Config {
        isn: Isn::Clock,
        ..server
    };
    let mut h = Hosts::new(&client, &server, ms(10), true);
    let c = h.connect(PORT).unwrap();
    h.run_until(t_ms(100));
    let s = server_conn(&h, 40000);
    h.app(Host::Server, s, |conn, now| conn.close(now).unwrap());
    h.run_until(t_ms(110));
    h.app(Host::Client, c, |conn, now| conn.close(now).unwrap());
    h.run_until(t_ms(1000));
    assert_eq!(h.client.connections().count(), 0);
    h
}

fn tuple(local_addr: u32, local_port: u16, remote_addr: u32, remote_port: u16) -> FourTuple {
    FourTuple {
        local_addr,
        local_port,
        remote_addr,
        remote_port,
    }
}

fn clock_isn(seed: u64, at: Time, t: FourTuple) -> Seq {
    IsnGenerator::new(Isn::Clock, ChaCha8Rng::seed_from_u64(seed)).next(at, t)
}

#[test]
fn a_new_syn_reopens_time_wait() {
    let mut h = reopen_config(cfg());
    let tw = match h.server.lookup(PORT, CLIENT, 40000) {
        Some(SocketId::TimeWait(tw)) => tw,
        other => panic!("{other:?}"),
    };
    // Linux's `tw_isn`: the reopened connection's ISS is the old SND.NXT + 65537, beyond
    // every sequence number the old incarnation used (RFC 1122 §4.2.2.13).
    let (_, old_tw, _) = (h.server.time_waits())
        .find(|(id, _, _)| *id == tw)
        .expect("the TIME-WAIT socket");
    let iss = old_tw.successor_isn();
    let before = h.log.len();
    h.connect(PORT).unwrap();
    h.run_until(t_ms(1030));
    let old = clock_isn(1, t_ms(0), tuple(CLIENT, 40000, SERVER, PORT));
    let new = clock_isn(1, t_ms(1000), tuple(CLIENT, 40000, SERVER, PORT));
    assert_eq!(new.since(old), 250_000, "1 s of 4 µs ticks");
    assert_eq!(
        ladder_from(&h, before),
        format!(
            "\
1.000 1.010 C->S 40000>80 SYN     seq={new} ack=0 len=0
1.010 1.020 S->C 80>40000 SYN,ACK seq={iss} ack={} len=0
1.020 1.030 C->S 40000>80 ACK     seq={} ack={} len=0
",
            new + 1,
            new + 1,
            iss + 1
        )
    );
    let s = server_conn(&h, 40000);
    let server = h.records_of(Host::Server);
    let at = server.iter().position(|r| r.0 == t_ms(1010)).unwrap();
    let ended = StackEvent::TimeWaitEnded {
        id: tw,
        tag: 2,
        stats: Stats {
            segments_sent: 3,
            ..Stats::default()
        },
        by: TimeWaitEnd::Reopen,
    };
    let opened = Incoming::Opened {
        id: s,
        listener: h.listener.unwrap(),
        cookie: false,
    };
    assert_eq!(
        server[at..at + 3],
        [
            (t_ms(1010), Record::Stack(ended)),
            (t_ms(1010), Record::Incoming(opened)),
            (
                t_ms(1010),
                Record::Conn(s, changed(State::Listen, State::SynReceived))
            ),
        ]
    );
    assert_eq!(h.server.connection(s).state(), State::Established);
    assert_eq!(h.server.time_waits().count(), 0);
}

/// The reopening SYN goes to the listener as any SYN: with a full SYN queue (backlog = 0),
/// a cookie answers it, and the client's ACK opens the connection.
#[test]
fn a_reopening_syn_may_get_a_cookie() {
    let mut h = reopen_config(Config {
        backlog: 0,
        ..cfg()
    });
    h.connect(PORT).unwrap();
    h.run_until(t_ms(1030));
    let s = server_conn(&h, 40000);
    let l = h.listener.unwrap();
    let incoming = h.incoming(Host::Server);
    assert_eq!(
        incoming[incoming.len() - 2..],
        [
            (t_ms(1010), Incoming::Answered(Answer::Cookie)),
            (
                t_ms(1030),
                Incoming::Opened {
                    id: s,
                    listener: l,
                    cookie: true
                }
            ),
        ]
    );
    let ends: Vec<_> = h.stack_events(Host::Server);
    assert!(matches!(
        ends[..],
        [(
            t,
            StackEvent::TimeWaitEnded {
                by: TimeWaitEnd::Reopen,
                ..
            }
        )] if t == t_ms(1010)
    ));
    assert_eq!(h.server.listener(l).stats().syncookies_accepted, 2);
}

/// The server's TIME-WAIT socket of 40000 ↔ 80, with its RCV.NXT and SND.NXT.
fn server_time_wait(h: &Hosts) -> (TimeWaitId, Seq, Seq) {
    let tw = match h.server.lookup(PORT, CLIENT, 40000) {
        Some(SocketId::TimeWait(tw)) => tw,
        other => panic!("{other:?}"),
    };
    let rcv_nxt = clock_isn(1, t_ms(0), tuple(CLIENT, 40000, SERVER, PORT)) + 2;
    let snd_nxt = clock_isn(2, t_ms(10), tuple(SERVER, PORT, CLIENT, 40000)) + 2;
    (tw, rcv_nxt, snd_nxt)
}

/// Linux's TIME-WAIT (`time_wait_rules = "linux"`, `rfc1337` off) drops a RST with the
/// wrong sequence number, unanswered, and ends on an exact one.
#[test]
fn an_exact_rst_ends_time_wait() {
    let mut h = reopen_config(cfg());
    let (tw, rcv_nxt, _) = server_time_wait(&h);
    let before = h.log.len();
    h.inject(
        CLIENT,
        Host::Server,
        seg((40000, PORT), Flags::RST, (rcv_nxt + 5).0, 0, 0),
    );
    h.run_until(t_ms(1010));
    assert_eq!(h.log.len(), before + 1, "no answer");
    assert_eq!(
        h.server.lookup(PORT, CLIENT, 40000),
        Some(SocketId::TimeWait(tw))
    );
    h.inject(
        CLIENT,
        Host::Server,
        seg((40000, PORT), Flags::RST, rcv_nxt.0, 0, 0),
    );
    h.run_until(t_ms(1020));
    let ended = StackEvent::TimeWaitEnded {
        id: tw,
        tag: 2,
        stats: Stats {
            segments_sent: 3,
            ..Stats::default()
        },
        by: TimeWaitEnd::Rst,
    };
    assert_eq!(h.stack_events(Host::Server), [(t_ms(1020), ended)]);
    assert_eq!(h.server.lookup(PORT, CLIENT, 40000), None);
}

/// RFC 9293 with RFC 5961 §3.2 (`time_wait_rules = "rfc9293"`, here with `rfc1337` off as
/// in Linux): a RST with the wrong sequence number draws a challenge ACK, which the client,
/// with no connection, answers with <SEQ=SEG.ACK><CTL=RST> — exactly RCV.NXT, so that RST
/// ends TIME-WAIT. One inexact RST assassinates TIME-WAIT in a round trip; Linux's silence
/// does not.
#[test]
fn a_challenge_ack_in_time_wait_draws_the_rst_that_ends_it() {
    let mut h = reopen_config(Config {
        time_wait_rules: Rules::Rfc9293,
        ..cfg()
    });
    let (tw, rcv_nxt, snd_nxt) = server_time_wait(&h);
    let before = h.log.len();
    h.inject(
        CLIENT,
        Host::Server,
        seg((40000, PORT), Flags::RST, (rcv_nxt + 5).0, 0, 0),
    );
    h.run(100);
    assert_eq!(
        ladder_from(&h, before),
        format!(
            "\
1.000 1.010 C->S 40000>80 RST     seq={} ack=0 len=0
1.010 1.020 S->C 80>40000 ACK     seq={snd_nxt} ack={rcv_nxt} len=0
1.020 1.030 C->S 40000>80 RST     seq={rcv_nxt} ack=0 len=0
",
            rcv_nxt + 5
        )
    );
    let took = Incoming::TimeWait { id: tw, tag: 2 };
    let ended = StackEvent::TimeWaitEnded {
        id: tw,
        tag: 2,
        stats: Stats {
            segments_sent: 4,
            ..Stats::default()
        },
        by: TimeWaitEnd::Rst,
    };
    let server = h.records_of(Host::Server);
    assert_eq!(
        server[server.len() - 3..],
        [
            (t_ms(1010), Record::Incoming(took)),
            (t_ms(1030), Record::Stack(ended)),
            (t_ms(1030), Record::Incoming(took)),
        ]
    );
    assert_eq!(
        h.incoming(Host::Client).last(),
        Some(&(t_ms(1020), Incoming::Answered(Answer::Reset)))
    );
    assert_eq!(h.server.lookup(PORT, CLIENT, 40000), None);
}

/// How `n` connections from a client with ten ephemeral ports fare when the server closes
/// first, so that from the eleventh on every SYN reuses a 4-tuple the server holds in
/// TIME-WAIT: the handshake time of each (connect to ESTABLISHED on the client). One at a
/// time, each 10 ms after the last one closed, over a 1.25 ms wire (a 2.5 ms round trip).
fn port_reuse_handshakes(config: Config, n: usize) -> Vec<Duration> {
    let config = Config {
        ephemeral_ports: ports(40000, 40009),
        ..config
    };
    let mut h = Hosts::new(&config, &config, Duration::from_micros(1250), true);
    let mut handshakes = Vec::new();
    for i in 0..n {
        h.run_until(h.now + ms(10));
        let start = h.now;
        let c = h.connect(PORT).unwrap();
        let connected = |h: &Hosts| {
            h.records_of(Host::Client)
                .iter()
                .rev()
                .find_map(|r| match r {
                    (t, Record::Conn(id, Event::Connected)) if *id == c && *t >= start => Some(*t),
                    _ => None,
                })
        };
        while connected(&h).is_none() {
            assert!(h.step(), "connection {i} neither opened nor failed");
        }
        handshakes.push(connected(&h).unwrap() - start);
        h.run_until(h.now + ms(3));
        let accepted = h.server.accept(h.listener.unwrap());
        assert!(matches!(accepted, Accept::Conn(_)), "{i}: {accepted:?}");
        // The server closes first and keeps the 4-tuple in TIME-WAIT; the client closes
        // on its FIN.
        let s = server_conn(&h, h.client.connection(c).local_port());
        h.app(Host::Server, s, |conn, now| conn.close(now).unwrap());
        h.run_until(h.now + ms(3));
        h.app(Host::Client, c, |conn, now| conn.close(now).unwrap());
    }
    h.run_until(h.now + ms(10));
    assert_eq!(h.server.time_waits().count(), 10, "one per client port");
    handshakes
}

/// Linux's ISNs (`secure_tcp_seq`: a 64 ns clock plus a hash of the 4-tuple) grow between
/// incarnations of a 4-tuple, so the server's TIME-WAIT accepts every reuse of a client
/// port (`tcp_timewait_state_process`: the SYN's sequence number is beyond RCV.NXT), with
/// or without timestamps; every handshake takes one round trip, as on Linux (issue 12:
/// 200 connects through 10 ports, all accepted, 2.5 ms each). Random ISNs without
/// timestamps fall below RCV.NXT about half the time: TIME-WAIT answers with an ACK, the
/// client resets it and tries again after the 1 s initial RTO.
#[test]
fn a_server_in_time_wait_accepts_every_reuse_of_a_client_port() {
    let rtt = Duration::from_micros(2500);
    for timestamps in [true, false] {
        let linux = Config {
            timestamps,
            ..Config::linux()
        };
        assert_eq!(linux.isn, Isn::Linux);
        let all = port_reuse_handshakes(linux, 200);
        assert!(all.iter().all(|&d| d == rtt), "timestamps {timestamps}");
    }
    let random = Config {
        isn: Isn::Random,
        timestamps: false,
        ..Config::linux()
    };
    let all = port_reuse_handshakes(random, 200);
    let slow = all.iter().filter(|&&d| d > rtt).count();
    assert!(all[..10].iter().all(|&d| d == rtt), "fresh 4-tuples");
    assert!((70..=120).contains(&slow), "{slow} of 190 reuses rejected");
    assert!(all
        .iter()
        .all(|&d| d == rtt || d == rtt + Duration::from_secs(1)));
}
