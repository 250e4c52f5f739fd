//! Tail loss probes (RFC 8985 §7), as Linux sends them (`tcp_schedule_loss_probe`,
//! `tcp_send_loss_probe`, `tcp_process_tlp_ack`), against hand-worked ladders. MSS 1000, no
//! timestamps, an ACK for every segment, 10 ms each way, exact timers. Every RTT sample is
//! 20 ms, so SRTT = 20 ms and Linux's RTO = SRTT + max(RTTVAR, 200 ms) = 220 ms.

mod util;

use synack_tcp::config::{Config, Congestion};
use synack_tcp::State;
use util::{ms, t_ms, Pair, Side};

fn cfg() -> Config {
    Config {
        mss: 1000,
        init_cwnd: Some(10),
        delayed_ack: None,
        congestion: Congestion::NewReno,
        timestamps: false,
        timer_wheel_hz: 0,
        ..Config::linux()
    }
}

fn established(c: &Config) -> Pair {
    let mut p = Pair::connect(c, c, ms(10));
    p.run_until(t_ms(30));
    assert_eq!(p.client_state(), State::Established);
    p
}

/// The client's data segments after the first `skip`: (ms sent, seq − ISS − 1).
fn data_sent(p: &Pair, skip: usize) -> Vec<(u64, u32)> {
    (p.log.iter())
        .filter(|l| l.from == Side::Client && l.seg.len > 0)
        .skip(skip)
        .map(|l| (l.sent.as_nanos() / 1_000_000, l.seg.seq.0 - 101))
        .collect()
}

/// The last two of ten segments (sent at 30 ms) are lost: nothing sent after them can be
/// SACKed, so neither DupThresh nor RACK can see the loss. The eight ACKs of 50 ms leave two
/// segments in flight, so the probe is due 2·SRTT + 2 ms = 42 ms later, at 92 ms, well
/// before the RTO (50 + 220 = 270 ms). With no new data it resends the last segment (9000);
/// its SACK returns at 112 ms, and RACK, timing the probe's delivery (RACK.rtt 20 ms,
/// window min RTT/4 = 5 ms), finds 8000 — sent at 30 ms — lost at once: recovery resends it
/// at 112 ms. No timeout. Without probes the same losses wait for the RTO at 270 ms.
#[test]
fn a_lost_tail_is_probed_and_repaired_without_a_timeout() {
    let c = cfg();
    let mut p = established(&c);
    p.drop_next(Side::Client, |s| s.seq.0 == 8101);
    p.drop_next(Side::Client, |s| s.seq.0 == 9101);
    p.client.send(p.now, 10_000).unwrap();
    p.run(1000);
    assert_eq!(data_sent(&p, 10), [(92, 9000), (112, 8000)]);
    let s = p.client.stats();
    assert_eq!(
        (s.loss_probes, s.fast_retransmits, s.rto_timeouts),
        (1, 1, 0)
    );
    assert_eq!(p.server().bytes_received(), 10_000);

    let off = Config {
        tail_loss_probe: false,
        ..cfg()
    };
    let mut p = established(&off);
    p.drop_next(Side::Client, |s| s.seq.0 == 8101);
    p.drop_next(Side::Client, |s| s.seq.0 == 9101);
    p.client.send(p.now, 10_000).unwrap();
    p.run(1000);
    assert_eq!(data_sent(&p, 10)[0], (270, 8000));
    let s = p.client.stats();
    assert_eq!((s.loss_probes, s.rto_timeouts), (0, 1));
}

/// Every ACK of the first window is lost. The probe timer, set when the ten segments went
/// out at 30 ms, fires at 30 + 42 = 72 ms; there is more data and the peer's window takes
/// it, so the probe is a new segment (10000), though cwnd (ten segments, none acknowledged)
/// would not let it out. Its cumulative ACK (92 ms) reaches SND.NXT-at-the-probe: the
/// episode ends with nothing to repair and cwnd untouched.
#[test]
fn a_probe_is_new_data_when_there_is_some() {
    let c = cfg();
    let mut p = established(&c);
    p.drop_all(Side::Server, |s| s.len == 0 && s.ack.0 <= 10_101);
    p.client.send(p.now, 20_000).unwrap();
    p.run_until(t_ms(91));
    assert_eq!(data_sent(&p, 10), [(72, 10_000)]);
    p.run(1000);
    let s = p.client.stats();
    assert_eq!((s.loss_probes, s.retransmits, s.rto_timeouts), (1, 0, 0));
    assert_eq!(p.client.ssthresh(), u64::MAX);
    assert_eq!(p.server().bytes_received(), 20_000);
}

/// The last segment alone is lost. With one segment in flight the probe waits 2·SRTT +
/// `min_rto` (240 ms), so the RTO's 220 ms limits it: it fires at 50 + 220 = 270 ms in the
/// timeout's place and resends 9000 — no timeout, cwnd kept. Its ACK (290 ms) only reaches
/// SND.NXT-at-the-probe; the ACK of the next data to go beyond it shows the probe repaired a
/// loss, and cwnd is reduced once, as Linux's CWR: ssthresh = cwnd/2 (NewReno), cwnd =
/// ssthresh.
#[test]
fn a_probe_that_repaired_a_loss_halves_cwnd_once() {
    let c = cfg();
    let mut p = established(&c);
    p.drop_next(Side::Client, |s| s.seq.0 == 9101);
    p.client.send(p.now, 10_000).unwrap();
    p.run_until(t_ms(300));
    assert_eq!(data_sent(&p, 10), [(270, 9000)]);
    let s = p.client.stats();
    assert_eq!((s.loss_probes, s.rto_timeouts), (1, 0));
    // Slow start: ten segments acknowledged on top of ten.
    assert_eq!((p.client.cwnd(), p.client.ssthresh()), (20_000, u64::MAX));
    p.client.send(p.now, 1_000).unwrap();
    p.run_until(t_ms(330));
    assert_eq!((p.client.cwnd(), p.client.ssthresh()), (10_000, 10_000));
    p.client.send(p.now, 1_000).unwrap();
    p.run_until(t_ms(360));
    assert_eq!(p.client.ssthresh(), 10_000, "reduced once");
    assert_eq!(p.server().bytes_received(), 12_000);
}

/// The peer's window (3,000 bytes, no autotuning) holds the client to three segments of
/// the 10,000 it has queued, and all three are lost. With no room for new data the probe at
/// 30 + 42 = 72 ms resends the last segment sent — 2000, one segment — not what is queued
/// behind it.
#[test]
fn a_probe_resends_one_segment_not_the_queue() {
    let client = cfg();
    let server = Config {
        recv_buffer: 3000,
        recv_autotuning: false,
        window_scaling: false,
        ..cfg()
    };
    let mut p = Pair::connect(&client, &server, ms(10));
    p.run_until(t_ms(30));
    for seq in [101, 1101, 2101] {
        p.drop_next(Side::Client, move |s| s.seq.0 == seq);
    }
    p.client.send(p.now, 10_000).unwrap();
    p.run_until(t_ms(80));
    let probe: Vec<_> = (p.log.iter())
        .filter(|l| l.from == Side::Client && l.seg.len > 0)
        .skip(3)
        .map(|l| (l.sent.as_nanos() / 1_000_000, l.seg.seq.0 - 101, l.seg.len))
        .collect();
    assert_eq!(probe, [(72, 2000, 1000)]);
}
