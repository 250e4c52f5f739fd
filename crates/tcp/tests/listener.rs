//! The listener: SYN queue, SYN cookies.

mod util;

use synack_sim::Time;
use synack_tcp::config::{Config, SynCookies};
use synack_tcp::{Event, State};
use util::{ms, t_ms, Pair};

/// `syn_cookies = 2` (a cookie for every SYN, as if the SYN queue were full): the SYN-ACK's
/// sequence number is a cookie, the listener keeps nothing, and the final ACK — carrying the
/// client's first data — rebuilds the connection straight into ESTABLISHED. The client offered MSS 1000;
/// the cookie can only say 536 (Linux's table: 536, 1300, 1440, 1460), which the server
/// then uses: what cookies cost.
#[test]
fn a_syn_cookie_completes_the_handshake() {
    let client = Config {
        mss: 1000,
        ..Config::linux()
    };
    let server = Config {
        syn_cookies: SynCookies::Always,
        ..Config::linux()
    };
    let mut p = Pair::listen(&client, &server, ms(10));
    p.client.send(Time::ZERO, 100).unwrap();
    p.run(100);
    let cookie = p.log[1].seg.seq;
    let lines: Vec<_> = p.ladder().lines().map(str::to_string).collect();
    assert_eq!(
        lines[0],
        "0.000 0.010 C->S SYN     seq=100 ack=0 len=0 SYN-SENT LISTEN"
    );
    assert_eq!(
        lines[1],
        format!("0.010 0.020 S->C SYN,ACK seq={cookie} ack=101 len=0 ESTABLISHED LISTEN")
    );
    assert_eq!(
        lines[2],
        format!(
            "0.020 0.030 C->S ACK     seq=101 ack={} len=100 ESTABLISHED ESTABLISHED",
            cookie + 1
        )
    );
    assert_eq!(p.server().isn().0, cookie);
    // The client's MSS 1000 is encoded as the table's 536; the cookie kept timestamps (the
    // SYN offered them), which take 12 bytes of each segment.
    assert_eq!(p.server().mss(), 536 - 12);
    assert_eq!(
        p.server_app_events(),
        vec![
            (t_ms(30), Event::Connected),
            (t_ms(30), Event::DataReceived(100))
        ]
    );
    let stats = p.listener.as_ref().unwrap().stats();
    assert_eq!((stats.syncookies_sent, stats.syncookies_accepted), (1, 1));
    assert_eq!(p.listener.as_ref().unwrap().unaccepted(), 1);
}

/// A full queue without cookies (the rfc profile's `separate` SYN queue of 0): the SYN is dropped and the client
/// retries; nothing gets through while the queue stays full.
#[test]
fn a_full_syn_queue_without_cookies_drops_syns() {
    let server = Config {
        backlog: 0,
        ..Config::rfc()
    };
    let mut p = Pair::listen(&Config::rfc(), &server, ms(10));
    p.run(100);
    assert_eq!(p.client.state(), State::Closed);
    assert_eq!(p.client_app_events().last().unwrap().1, Event::TimedOut);
    assert_eq!(p.listener.as_ref().unwrap().stats().syn_dropped, 7);
}

/// A backlog with room: the listener opens a normal connection.
#[test]
fn room_in_the_syn_queue_opens_a_connection() {
    let mut p = Pair::listen(&Config::linux(), &Config::linux(), ms(10));
    p.run(100);
    assert_eq!(p.server_state(), State::Established);
    assert_eq!(
        p.listener.as_ref().unwrap().half_open(),
        1,
        "the caller reports progress"
    );
}
