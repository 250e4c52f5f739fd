//! The receive window with `recv_autotuning` (Linux's `tcp_moderate_rcvbuf`), as exact
//! window fields: how it opens at the start, and that data held beyond a hole stops its
//! right edge.

mod util;

use synack_sim::Time;
use synack_tcp::config::Config;
use synack_tcp::State;
use util::{ms, t_ms, Pair, Side};

/// Linux's first window fields, as Linux 6.18 sent them in validation/linux's ladder
/// (`ladder-linux.json`: a 32 MiB `tcp_rmem[2]`, so window scale 10): the handshake's ACK
/// offers the SYN's 64,240 bytes rounded up to the 1024-byte unit (63); each in-order
/// segment then adds 2·1448 bytes to rcv_ssthresh (`tcp_grow_window`) — 66, 69, 72, 75, 78
/// units — until the clamp, 128 KiB · 158/256 = 80,896 bytes (79 units), stops it.
#[test]
fn the_window_opens_as_linux_opens_it() {
    let linux = Config {
        recv_buffer: 32 << 20,
        ..Config::linux()
    };
    let mut p = Pair::connect(&linux, &linux, ms(25));
    p.run_until(t_ms(80));
    assert_eq!(p.client_state(), State::Established);
    p.server().send(Time::ZERO + ms(80), 20_000).unwrap();
    p.run_until(t_ms(400));
    let windows: Vec<u16> = (p.log.iter())
        .filter(|l| l.from == Side::Client && !l.seg.flags.syn())
        .map(|l| l.seg.window)
        .collect();
    assert_eq!(p.log[0].seg.opts.wscale, Some(10));
    assert_eq!(windows[..10], [63, 66, 69, 72, 75, 78, 79, 79, 79, 79]);
}

/// Without SACK, one segment lost twice (the fast retransmission too) leaves a hole until
/// the retransmission timer. The receiver holds everything after it, and what it holds
/// counts against its buffer (`tcp_space`), so the right edge of its window (ACK + window)
/// stays where it was while duplicate ACKs flow, and the sender, whose buffer is 4 MB, sends
/// nothing beyond it.
#[test]
fn data_held_beyond_a_hole_stops_the_right_edge() {
    let mut ahead = Vec::new();
    for autotuning in [true, false] {
        let config = Config {
            sack: false,
            recv_autotuning: autotuning,
            ..Config::linux()
        };
        let mut p = Pair::connect(&config, &config, ms(10));
        p.run_until(t_ms(30));
        let smss = p.client.mss();
        let hole = 101 + 300 * smss;
        p.drop_next(Side::Client, move |s| s.seq.0 == hole);
        p.drop_next(Side::Client, move |s| s.seq.0 == hole);
        p.client.send(p.now, 10_000_000).unwrap();
        p.run_until(t_ms(3000));
        let dups: Vec<_> = (p.log.iter())
            .filter(|l| l.from == Side::Server && l.seg.ack.0 == hole)
            .collect();
        assert!(dups.len() > 100, "{} duplicate ACKs", dups.len());
        let edges: Vec<u32> = (dups.iter())
            .map(|l| l.seg.ack.0 + (u32::from(l.seg.window) << 6))
            .collect();
        let (lo, hi) = (edges.iter().min().unwrap(), edges.iter().max().unwrap());
        // What the client sent until the last duplicate ACK reached it.
        let until = dups.last().unwrap().arrived.unwrap();
        let sent_beyond = (p.log.iter())
            .filter(|l| l.from == Side::Client && l.seg.len > 0 && l.sent <= until)
            .map(|l| l.seg.end().0)
            .max()
            .unwrap();
        assert!(sent_beyond <= *hi, "sent to {sent_beyond}, beyond {hi}");
        assert!(hi - lo <= 64, "the edge stays within one unit: {lo}..{hi}");
        ahead.push((hi - hole, sent_beyond - hole));
    }
    // Autotuning: an edge 228,800 bytes past the hole (twice what was read per round trip
    // before it, plus the span held, `tcp_rcvbuf_grow`), which the sender fills and stops
    // at. Without: the whole 4 MB buffer, and 3.6 MB sent beyond the hole before the timeout.
    let (tuned, whole) = (ahead[0], ahead[1]);
    assert!(tuned.0 < 400_000 && tuned.1 == tuned.0, "{ahead:?}");
    assert!(whole.0 == 4_000_000 && whole.1 > 3_000_000, "{ahead:?}");
}
