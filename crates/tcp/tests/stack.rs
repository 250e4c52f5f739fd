//! One host's TCP ([`Stack`](synack_tcp::Stack)) against another across a wire: replies for
//! closed ports, a connection's whole life through the stacks, ephemeral ports, listeners
//! (SYN queue, cookies, accept queue) and TIME-WAIT sockets.

mod util;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use synack_sim::{Duration, Time};
use synack_tcp::config::{
    Config, Isn, ListenQueues, PortRange, RttEstimation, Rules, SynCookies, TwReuse,
};
use synack_tcp::{
    Accept, Answer, ConnId, ConnectError, DropReason, Event, Flags, FourTuple, Incoming,
    IsnGenerator, ListenError, Segment, Seq, Settled, SocketId, StackEvent, State, Stats,
    TimeWaitEnd, TimeWaitId, TimeWaitTimeout,
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
        // Exact timers (Linux's timer wheel has its own tests, in `handshake.rs`).
        timer_wheel_hz: 0,
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
        ecn: Default::default(),
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

/// A SYN queue of one (`separate` queues, backlog = 1) without cookies: of two SYNs that
/// arrive together, the second is dropped; the client sends it again after its 1 s RTO, when
/// the queue has room.
#[test]
fn a_full_syn_queue_without_cookies_drops_a_syn() {
    let server = Config {
        backlog: 1,
        listen_queues: ListenQueues::Separate,
        syn_cookies: SynCookies::Off,
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

/// listen(fd, 1) with cookies, the `separate` queues: the second SYN finds the SYN queue of
/// one full and is answered with a cookie SYN-ACK, and the ACK that returns it opens an
/// ESTABLISHED connection straight into the accept queue, behind the first (whose final ACK
/// came first).
#[test]
fn a_full_syn_queue_with_cookies_answers_with_a_cookie() {
    let server = Config {
        backlog: 1,
        listen_queues: ListenQueues::Separate,
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
            syn_cookies: if cookies {
                SynCookies::Overflow
            } else {
                SynCookies::Off
            },
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

/// `separate` queues with accept_queue = 1, nobody accepting: the first handshake fills the
/// accept queue, so the second one's final ACK is ignored (Linux `tcp_check_req`) and a
/// third SYN dropped. Once the application accepts (at 500 ms), the client's answer to the
/// SYN-ACK sent again at 1.010 s completes the second.
#[test]
fn a_full_accept_queue_ignores_the_final_ack() {
    let server = Config {
        backlog: 2,
        accept_queue: 1,
        listen_queues: ListenQueues::Separate,
        syn_cookies: SynCookies::Off,
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
    assert_eq!(h.server.listener(l).stats().listen_overflows, 2);
}

/// Linux's queues with listen(fd, 1), nobody accepting: each queue is full once it holds
/// two. One connection waits to be accepted; two more handshakes run together; the first
/// final ACK fills the accept queue, and the second overflows it. By default it is ignored
/// and the SYN-ACK sent again; with `abort_on_overflow` the listener answers it with
/// <SEQ=SEG.ACK><CTL=RST> and drops the half-open connection (`tcp_check_req`), and the
/// client, ESTABLISHED since it sent that ACK, is reset.
#[test]
fn abort_on_overflow_resets_the_final_ack_that_overflows() {
    for abort in [false, true] {
        let server = Config {
            backlog: 1,
            syn_cookies: SynCookies::Off,
            abort_on_overflow: abort,
            ..cfg()
        };
        let mut h = Hosts::new(&cfg(), &server, ms(10), true);
        let c1 = h.connect(PORT).unwrap();
        h.run_until(t_ms(100));
        let c2 = h.connect(PORT).unwrap();
        let c3 = h.connect(PORT).unwrap();
        h.run_until(t_ms(1150));
        let l = h.listener.unwrap();
        let tail = ladder_from(&h, 3);
        let stats = h.server.listener(l).stats();
        // Without the abort, the ACK that answers the SYN-ACK sent again overflows too.
        assert_eq!(stats.listen_overflows, 1 + u64::from(!abort), "{tail}");
        assert_eq!(h.server.accept_queue_len(l), 2);
        assert_eq!(h.client.connection(c1).state(), State::Established);
        assert_eq!(h.client.connection(c2).state(), State::Established);
        if abort {
            assert_eq!(
                tail,
                "\
0.100 0.110 C->S 40001>80 SYN     seq=0 ack=0 len=0
0.100 0.110 C->S 40002>80 SYN     seq=0 ack=0 len=0
0.110 0.120 S->C 80>40001 SYN,ACK seq=0 ack=1 len=0
0.110 0.120 S->C 80>40002 SYN,ACK seq=0 ack=1 len=0
0.120 0.130 C->S 40001>80 ACK     seq=1 ack=1 len=0
0.120 0.130 C->S 40002>80 ACK     seq=1 ack=1 len=0
0.130 0.140 S->C 80>40002 RST     seq=1 ack=0 len=0
"
            );
            assert!(h.client.lookup(40002, SERVER, PORT).is_none(), "reset");
            assert!(h.server.lookup(PORT, CLIENT, 40002).is_none());
            assert_eq!(h.server.listener(l).half_open(), 0);
        } else {
            assert!(tail.ends_with(
                "\
0.120 0.130 C->S 40002>80 ACK     seq=1 ack=1 len=0
1.110 1.120 S->C 80>40002 SYN,ACK seq=0 ack=1 len=0
1.120 1.130 C->S 40002>80 ACK     seq=1 ack=1 len=0
"
            ));
            assert_eq!(h.client.connection(c3).state(), State::Established);
            let s3 = server_conn(&h, 40002);
            assert_eq!(h.server.connection(s3).state(), State::SynReceived);
        }
    }
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

/// With Linux's queues a reopening SYN skips the SYN-queue checks (`tcp_conn_request` with
/// `tcp_tw_isn` set: "TW buckets are converted to open requests without limitations"):
/// listen(fd, 1), two spoofed half-open entries fill the SYN queue, and the SYN that reopens
/// 40000 ↔ 80 still opens a connection of its own, not a cookie.
#[test]
fn a_reopening_syn_skips_a_full_linux_syn_queue() {
    let mut h = reopen_config(Config {
        backlog: 1,
        ..cfg()
    });
    for port in [5555, 5556] {
        h.inject(7, Host::Server, seg((port, PORT), Flags::SYN, 1, 0, 0));
    }
    h.connect(PORT).unwrap();
    h.run_until(t_ms(1030));
    let l = h.listener.unwrap();
    assert!(h.server.listener(l).syn_queue_full());
    let s = server_conn(&h, 40000);
    let incoming = h.incoming(Host::Server);
    assert!(
        incoming.contains(&(
            t_ms(1010),
            Incoming::Opened {
                id: s,
                listener: l,
                cookie: false
            }
        )),
        "{incoming:?}"
    );
    assert_eq!(h.server.connection(s).state(), State::Established);
    assert_eq!(h.server.listener(l).stats().syncookies_sent, 0);
}

/// With the `separate` queues the reopening SYN goes to the listener as any SYN: with a
/// full SYN queue (backlog = 0), a cookie answers it, and the client's ACK opens the
/// connection.
#[test]
fn a_reopening_syn_may_get_a_cookie() {
    let mut h = reopen_config(Config {
        backlog: 0,
        listen_queues: ListenQueues::Separate,
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
        // The 1 s retry exactly, not on the timer wheel.
        timer_wheel_hz: 0,
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

/// One client port, a connection the client closes first: its TIME-WAIT holds 40000 ↔ 80
/// from 0.130 s. Returns the hosts and the client's SND.NXT when it closed.
fn one_closed_connection(client: Config, server: Config) -> (Hosts, Seq) {
    let mut h = Hosts::new(&client, &server, ms(10), true);
    let c = h.connect(PORT).unwrap();
    h.run_until(t_ms(100));
    h.app(Host::Client, c, |conn, now| conn.close(now).unwrap());
    h.run_until(t_ms(110));
    let s = server_conn(&h, 40000);
    h.app(Host::Server, s, |conn, now| conn.close(now).unwrap());
    h.run_until(t_ms(200));
    assert!(matches!(
        h.client.lookup(40000, SERVER, PORT),
        Some(SocketId::TimeWait(_))
    ));
    // SYN, FIN: the ISS (zero ISNs) + 2.
    (h, Seq(2))
}

/// `tw_reuse = 1` (Linux `tcp_twsk_unique`): with timestamps on both ends, connect() takes
/// the port of a TIME-WAIT socket once `tw_reuse_delay` (1 s) has passed since TIME-WAIT
/// began — not before — ending the socket; the new ISS is the old SND.NXT + 65537, and the
/// server, whose side closed from LAST-ACK, opens the connection as any other.
#[test]
fn tw_reuse_takes_over_a_time_wait_port_after_the_delay() {
    let ts = Config {
        timestamps: true,
        ephemeral_ports: ports(40000, 40000),
        ..cfg()
    };
    let reuse = Config {
        tw_reuse: TwReuse::On,
        ..ts.clone()
    };
    let (mut h, snd_nxt) = one_closed_connection(reuse, ts);
    // TIME-WAIT began when the server's FIN arrived, at 0.120 s.
    h.run_until(t_ms(1120));
    assert_eq!(
        h.connect(PORT),
        Err(ConnectError::NoFreePort),
        "1 s exactly"
    );
    h.run_until(t_ms(1121));
    let c = h.connect(PORT).unwrap();
    assert_eq!(h.client.connection(c).isn().0, snd_nxt + 65_537);
    assert_eq!(h.client.time_waits().count(), 0);
    assert!(matches!(
        h.stack_events(Host::Client)[..],
        [(
            t,
            StackEvent::TimeWaitEnded {
                by: TimeWaitEnd::Reused,
                ..
            }
        )] if t == t_ms(1121)
    ));
    h.run_until(t_ms(1200));
    assert_eq!(h.client.connection(c).state(), State::Established);
}

/// Without timestamps on the old connection, or with `tw_reuse` 0 or 2 (loopback only, and
/// these hosts are not each other's loopback), the port stays held for 2·MSL.
#[test]
fn tw_reuse_needs_timestamps_and_the_setting() {
    for (tw_reuse, timestamps) in [
        (TwReuse::On, false),
        (TwReuse::Off, true),
        (TwReuse::Loopback, true),
    ] {
        let server = Config {
            timestamps,
            ..cfg()
        };
        let client = Config {
            tw_reuse,
            ephemeral_ports: ports(40000, 40000),
            ..server.clone()
        };
        let (mut h, _) = one_closed_connection(client, server);
        h.run_until(secs_ms(30, 0));
        assert_eq!(
            h.connect(PORT),
            Err(ConnectError::NoFreePort),
            "{tw_reuse} {timestamps}"
        );
    }
}

/// `max_tw_buckets = 1`: the first connection the client closes first keeps its TIME-WAIT;
/// the second, finding the table full, goes from FIN-WAIT-2 to CLOSED where it would have
/// entered TIME-WAIT (Linux `tcp_time_wait` when `inet_twsk_alloc` fails, then
/// `tcp_done`), so its port is free at once.
#[test]
fn beyond_max_tw_buckets_a_connection_skips_time_wait() {
    let client = Config {
        max_tw_buckets: Some(1),
        ephemeral_ports: ports(40000, 40001),
        ..cfg()
    };
    let mut h = Hosts::new(&client, &cfg(), ms(10), true);
    let c1 = h.connect(PORT).unwrap();
    let c2 = h.connect(PORT).unwrap();
    h.run_until(t_ms(100));
    for (c, port) in [(c1, 40000), (c2, 40001)] {
        h.app(Host::Client, c, |conn, now| conn.close(now).unwrap());
        h.run_until(h.now + ms(20));
        let s = server_conn(&h, port);
        h.app(Host::Server, s, |conn, now| conn.close(now).unwrap());
        h.run_until(h.now + ms(100));
    }
    assert!(matches!(
        h.client.lookup(40000, SERVER, PORT),
        Some(SocketId::TimeWait(_))
    ));
    assert_eq!(h.client.lookup(40001, SERVER, PORT), None);
    assert_eq!(h.client.time_waits().count(), 1);
    let overflowed = h.records_of(Host::Client).into_iter().any(
        |(_, r)| matches!(r, Record::Settled(id, Settled::TimeWaitOverflow { .. }) if id == c2),
    );
    assert!(overflowed);
    let closed = Record::Conn(c2, changed(State::FinWait2, State::Closed));
    assert!(h.records_of(Host::Client).iter().any(|r| r.1 == closed));
    let again = h.connect(PORT).unwrap();
    assert_eq!(h.client.connection(again).local_port(), 40001);
}

/// A server restart: the server closes its accepted connection first, so its side ends in
/// TIME-WAIT on port 80; a second connection waits, unaccepted. Closing the listener resets
/// the waiting one (`inet_csk_listen_stop`) and port 80 answers SYNs with a RST. A new
/// listen without `SO_REUSEADDR` fails with `EADDRINUSE` while the TIME-WAIT socket holds
/// the port (`inet_csk_bind_conflict`); with it, it succeeds; once 2·MSL is over, either does.
#[test]
fn a_restarted_server_needs_so_reuseaddr_while_time_wait_holds_its_port() {
    let mut h = Hosts::new(&cfg(), &cfg(), ms(10), true);
    let l = h.listener.unwrap();
    let c1 = h.connect(PORT).unwrap();
    h.run_until(t_ms(50));
    let s1 = server_conn(&h, 40000);
    assert_eq!(h.server.accept(l), Accept::Conn(s1));
    h.app(Host::Server, s1, |conn, now| conn.close(now).unwrap());
    h.run_until(t_ms(100));
    h.app(Host::Client, c1, |conn, now| conn.close(now).unwrap());
    let c2 = h.connect(PORT).unwrap();
    h.run_until(t_ms(200));
    assert!(matches!(
        h.server.lookup(PORT, CLIENT, 40000),
        Some(SocketId::TimeWait(_))
    ));
    let s2 = server_conn(&h, 40001);
    let left = h.close_listener(l);
    assert_eq!(left, [s2]);
    assert_eq!(h.server.listener_on(PORT), None);
    h.run_until(t_ms(300));
    assert!(h.client.lookup(40001, SERVER, PORT).is_none(), "reset");
    assert!(h
        .records_of(Host::Client)
        .contains(&(t_ms(210), Record::Conn(c2, Event::Reset))));
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    assert_eq!(
        h.server.listen_with(PORT, false, &mut rng),
        Err(ListenError::PortHeld(PORT))
    );
    let again = h.server.listen_with(PORT, true, &mut rng).unwrap();
    assert_eq!(h.server.listener_on(PORT), Some(again));
    // A connect while nothing listened would have been refused; now it is served.
    h.connect(PORT).unwrap();
    h.run_until(t_ms(400));
    assert_eq!(h.server.listener(again).unaccepted(), 1);
    // Without SO_REUSEADDR the port is free again once TIME-WAIT is over.
    h.close_listener(again);
    h.run_until(secs_ms(61, 0));
    assert!(h.server.lookup(PORT, CLIENT, 40000).is_none());
    assert!(h.server.listen_with(PORT, false, &mut rng).is_ok());
}

/// Without cookies, the last quarter of `max_syn_backlog` is kept for peers proven alive
/// (Linux `tcp_conn_request`, `tcp_peer_is_proven`): with `max_syn_backlog = 4` and four
/// spoofed half-open entries, a client the server never talked to is dropped; one whose
/// earlier connection measured a round trip and closed (here from LAST-ACK) gets in.
#[test]
fn without_cookies_the_syn_queue_reserve_admits_proven_peers_only() {
    let server = Config {
        syn_cookies: SynCookies::Off,
        max_syn_backlog: 4,
        ..cfg()
    };
    for proven in [false, true] {
        let mut h = Hosts::new(&cfg(), &server, ms(10), true);
        if proven {
            let c = h.connect(PORT).unwrap();
            h.run_until(t_ms(50));
            let s = server_conn(&h, 40000);
            h.app(Host::Server, s, |conn, now| {
                assert_eq!(conn.send(now, 1000), Ok(1000));
            });
            h.run_until(t_ms(100));
            h.app(Host::Client, c, |conn, now| conn.close(now).unwrap());
            h.run_until(t_ms(200));
            assert!(h.server.connection(s).srtt().is_some());
            h.app(Host::Server, s, |conn, now| conn.close(now).unwrap());
            h.run_until(t_ms(300));
            assert!(h.server.lookup(PORT, CLIENT, 40000).is_none(), "closed");
        }
        for port in 5555..5559 {
            h.inject(7, Host::Server, seg((port, PORT), Flags::SYN, 1, 0, 0));
        }
        h.run_until(h.now + ms(20));
        h.connect(PORT).unwrap();
        h.run_until(h.now + ms(20));
        let last = h.incoming(Host::Server).last().copied().unwrap().1;
        if proven {
            assert!(
                matches!(last, Incoming::Opened { cookie: false, .. }),
                "{last:?}"
            );
        } else {
            assert_eq!(last, Incoming::Dropped(DropReason::PeerNotProven));
        }
    }
}
