//! The ablations of DESIGN.md's `[tcp]` table: what breaks without each mechanism.

mod util;

use synack_sim::Time;
use synack_tcp::config::{Config, Handshake, PassiveClose, RttEstimation};
use synack_tcp::{Event, Flags, Segment, Seq, State};
use util::{ms, t_ms, Pair};

fn cfg() -> Config {
    Config {
        mss: 1000,
        init_cwnd: Some(4),
        timestamps: false,
        sack: false,
        rtt_estimation: RttEstimation::Rfc6298,
        quick_ack: false,
        ..Config::linux()
    }
}

/// `handshake = "two-way"`: the server is ESTABLISHED on the SYN alone (and may send at
/// once); the client's ACK only acknowledges the SYN-ACK.
#[test]
fn two_way_handshake_establishes_on_the_syn() {
    let two_way = Config {
        handshake: Handshake::TwoWay,
        ..cfg()
    };
    let mut p = Pair::connect(&two_way, &two_way, ms(10));
    p.run(100);
    assert_eq!(
        p.ladder(),
        "\
0.000 0.010 C->S SYN     seq=100 ack=0 len=0 SYN-SENT ESTABLISHED
0.010 0.020 S->C SYN,ACK seq=300 ack=101 len=0 ESTABLISHED ESTABLISHED
0.020 0.030 C->S ACK     seq=101 ack=301 len=0 ESTABLISHED ESTABLISHED
"
    );
    assert_eq!(p.server_app_events(), vec![(t_ms(10), Event::Connected)]);
}

/// Why three segments: under the two-way ablation an old duplicate SYN alone creates an
/// ESTABLISHED connection (RFC 9293 §3.5, Figure 8); with three-way it stays half-open.
#[test]
fn old_duplicate_syn_makes_a_ghost_connection_only_with_two_way() {
    let mut syn = Segment::rst(40000, 80, Seq(90), None);
    syn.flags = Flags::SYN;
    for (handshake, state) in [
        (Handshake::TwoWay, State::Established),
        (Handshake::ThreeWay, State::SynReceived),
    ] {
        let config = Config { handshake, ..cfg() };
        let c = synack_tcp::Connection::accept(Time::ZERO, &config, 80, &syn, Seq(300)).unwrap();
        assert_eq!(c.state(), state);
    }
}

/// `time_wait = false`: the active closer forgets the connection as soon as it has sent
/// the last ACK.
#[test]
fn without_time_wait_the_closer_is_gone_at_once() {
    let config = Config {
        time_wait: false,
        ..cfg()
    };
    let mut p = Pair::connect(&config, &config, ms(10));
    p.run_until(t_ms(30));
    p.client.close(p.now).unwrap();
    p.run_until(t_ms(100));
    p.server().close(t_ms(100)).unwrap();
    p.run(100);
    let tail: Vec<_> = p.ladder().lines().skip(3).map(str::to_string).collect();
    assert_eq!(
        tail,
        [
            "0.030 0.040 C->S FIN,ACK seq=101 ack=301 len=0 FIN-WAIT-1 CLOSE-WAIT",
            "0.040 0.050 S->C ACK     seq=301 ack=102 len=0 FIN-WAIT-2 CLOSE-WAIT",
            "0.100 0.110 S->C FIN,ACK seq=301 ack=102 len=0 CLOSED LAST-ACK",
            "0.110 0.120 C->S ACK     seq=102 ack=302 len=0 CLOSED CLOSED",
        ]
    );
    let events = p
        .client_events
        .iter()
        .rev()
        .take(3)
        .copied()
        .collect::<Vec<_>>();
    assert_eq!(
        events,
        vec![
            (t_ms(110), Event::Closed),
            (
                t_ms(110),
                Event::StateChanged {
                    from: State::TimeWait,
                    to: State::Closed
                }
            ),
            (
                t_ms(110),
                Event::StateChanged {
                    from: State::FinWait2,
                    to: State::TimeWait
                }
            ),
        ]
    );
}

/// `passive_close = "with-ack"`: the server's FIN rides on the ACK of the client's FIN and
/// the 6000 bytes it had not yet sent are discarded: a three-segment teardown.
#[test]
fn with_ack_passive_close_discards_unsent_data() {
    let config = Config {
        passive_close: PassiveClose::WithAck,
        ..cfg()
    };
    let mut p = Pair::connect(&config, &config, ms(10));
    p.run_until(t_ms(30));
    p.server().send(t_ms(30), 10_000).unwrap();
    p.client.close(t_ms(30)).unwrap();
    p.run(100);
    let tail: Vec<_> = p.ladder().lines().skip(3).map(str::to_string).collect();
    assert_eq!(
        tail,
        [
            "0.030 0.040 C->S FIN,ACK seq=101 ack=301 len=0 FIN-WAIT-1 LAST-ACK",
            "0.030 0.040 S->C ACK     seq=301 ack=101 len=1000 FIN-WAIT-1 LAST-ACK",
            "0.030 0.040 S->C ACK     seq=1301 ack=101 len=1000 FIN-WAIT-1 LAST-ACK",
            "0.030 0.040 S->C ACK     seq=2301 ack=101 len=1000 FIN-WAIT-1 LAST-ACK",
            "0.030 0.040 S->C ACK     seq=3301 ack=101 len=1000 FIN-WAIT-1 LAST-ACK",
            "0.040 0.050 S->C FIN,ACK seq=4301 ack=102 len=0 TIME-WAIT LAST-ACK",
            "0.040 0.050 C->S ACK     seq=102 ack=2301 len=0 TIME-WAIT LAST-ACK",
            "0.040 0.050 C->S ACK     seq=102 ack=4301 len=0 TIME-WAIT LAST-ACK",
            "0.050 0.060 C->S ACK     seq=102 ack=4302 len=0 TIME-WAIT CLOSED",
        ]
    );
    assert_eq!(p.client.bytes_received(), 4000);
    assert_eq!(p.server().stats().unsent_discarded, 6000);
}
