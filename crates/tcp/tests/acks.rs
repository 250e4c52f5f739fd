//! Linux's ACK policy (`quick_ack`): quick-ACK mode at the start of a connection, the
//! adaptive delayed-ACK timeout, and the ACK of a FIN that waits for the application's own
//! FIN (a three-segment close). 10 ms each way, MSS 1000, no timestamps.

mod util;

use synack_tcp::config::Config;
use synack_tcp::{Flags, State};
use util::{ms, t_ms, Pair, Side};

fn cfg(quick_ack: bool) -> Config {
    Config {
        mss: 1000,
        init_cwnd: Some(10),
        timestamps: false,
        quick_ack,
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

/// The server's pure ACKs, as (sent at ms, ACK number).
fn server_acks(p: &Pair) -> Vec<(u64, u32)> {
    (p.log.iter())
        .filter(|l| l.from == Side::Server && l.seg.len == 0 && !l.seg.flags.syn())
        .map(|l| (l.sent.as_nanos() / 1_000_000, l.seg.ack.0))
        .collect()
}

/// Ten segments arriving together at a fresh connection: in quick-ACK mode each is
/// acknowledged at once (`tcp_incr_quickack` allows min(16, window / 2·MSS) quick ACKs);
/// RFC 1122's policy acknowledges every second one.
#[test]
fn a_fresh_connection_acknowledges_every_segment() {
    for (quick, acks) in [(true, 10), (false, 5)] {
        let config = cfg(quick);
        let mut p = established(&config);
        p.client.send(p.now, 10_000).unwrap();
        p.run_until(t_ms(45));
        let got = server_acks(&p);
        assert_eq!(got.len(), acks, "quick_ack = {quick}: {got:?}");
        assert!(got.iter().all(|&(t, _)| t == 40), "all at once: {got:?}");
    }
}

/// Quick ACKs run out after sixteen; then every second segment is acknowledged again.
#[test]
fn quick_acks_run_out_after_sixteen() {
    let config = Config {
        init_cwnd: Some(40),
        ..cfg(true)
    };
    let mut p = established(&config);
    p.client.send(p.now, 40_000).unwrap();
    p.run_until(t_ms(45));
    // 16 quick ACKs, then one for each two of the other 24 segments.
    assert_eq!(server_acks(&p).len(), 16 + 12);
}

/// A request, then the client closes; the server's application closes as soon as it sees
/// the FIN. The ACK of the client's FIN waits (pingpong mode, `tcp_fin`; ATO is 40 ms since
/// data arrived), so the server's FIN carries it: FIN, FIN-ACK, ACK — three segments.
/// Without Linux's policy the FIN is acknowledged at once and the close takes four.
#[test]
fn the_fin_carries_the_ack_of_the_peers_fin() {
    for (quick, segments) in [(true, 3), (false, 4)] {
        let config = cfg(quick);
        let mut p = established(&config);
        p.client.send(p.now, 100).unwrap();
        p.run_until(t_ms(300));
        let start = p.log.len();
        p.client.close(p.now).unwrap();
        p.run_until(t_ms(310));
        assert_eq!(p.server_state(), State::CloseWait);
        let now = p.now;
        p.server().close(now).unwrap();
        p.run_until(t_ms(400));
        let close: Vec<Flags> = p.log[start..].iter().map(|l| l.seg.flags).collect();
        assert_eq!(close.len(), segments, "quick_ack = {quick}: {close:?}");
        assert_eq!(p.client_state(), State::TimeWait);
    }
}

/// A server application that does not close: the ACK of the FIN goes alone when the
/// delayed-ACK timer fires, ATO = 40 ms later; a connection that received no data before
/// the FIN acknowledges it at once (ATO is still zero, as Linux's `tcp_send_delayed_ack`
/// then fires at once).
#[test]
fn an_unanswered_fin_is_acknowledged_after_the_delay() {
    let config = cfg(true);
    let mut p = established(&config);
    p.client.send(p.now, 100).unwrap();
    p.run_until(t_ms(300));
    p.client.close(p.now).unwrap();
    p.run_until(t_ms(400));
    assert_eq!(p.server_state(), State::CloseWait);
    let acks = server_acks(&p);
    assert_eq!(
        acks.last(),
        Some(&(350, 102 + 100)),
        "FIN at 310 ms, its ACK 40 ms later"
    );

    let mut p = established(&config);
    p.client.close(p.now).unwrap();
    p.run_until(t_ms(100));
    assert_eq!(server_acks(&p), vec![(40, 102)], "no data before: at once");
}
