//! TCP options: what each profile offers, what two ends agree on, and what the agreed
//! options do (RFC 7323 window scaling, timestamps and PAWS; RFC 2018 SACK blocks), as exact
//! segments.

mod util;

use synack_sim::{Duration, Time};
use synack_tcp::config::{Config, SynCookies};
use synack_tcp::{Flags, Options, Segment, Seq, State, TimeWaitAction, Timestamp};
use util::{ms, t_ms, Pair, Side, CLIENT_PORT, SERVER_PORT};

fn established(client: &Config, server: &Config) -> Pair {
    let mut p = Pair::connect(client, server, ms(10));
    p.run_until(t_ms(30));
    assert_eq!(p.client_state(), State::Established);
    p
}

/// The linux profile's handshake, as Linux sends it (`tcp_syn_options`,
/// `tcp_synack_options`): the SYN offers MSS 1460, SACK, timestamps (TSecr 0) and window
/// scale 6 (the smallest shift that expresses the 4 MB buffer, `tcp_select_initial_window`)
/// in a window of 64,240; the SYN-ACK answers in kind, echoing the SYN's TSval; from then on
/// every segment carries timestamps, 1448 bytes of payload, and windows scaled by 6 (sized
/// by receive-buffer autotuning).
#[test]
fn linux_offers_and_agrees_on_every_option() {
    let linux = Config::linux();
    let mut p = established(&linux, &linux);
    p.client.send(p.now, 3000).unwrap();
    p.run_until(t_ms(100));
    let syn = p.log[0].seg;
    let ts = syn.opts.timestamp.expect("TS on the SYN");
    assert_eq!(
        syn.opts,
        Options {
            mss: Some(1460),
            wscale: Some(6),
            sack_permitted: true,
            timestamp: Some(Timestamp {
                val: ts.val,
                ecr: 0
            }),
            ..Options::default()
        }
    );
    assert_eq!(
        syn.window, 64_240,
        "44 × 1460, unscaled on a SYN (RFC 7323 §2.2)"
    );
    let synack = p.log[1].seg;
    assert_eq!(
        synack.opts.timestamp.unwrap().ecr,
        ts.val,
        "the SYN's TSval echoed"
    );
    assert_eq!(
        (
            synack.opts.mss,
            synack.opts.wscale,
            synack.opts.sack_permitted
        ),
        (Some(1460), Some(6), true)
    );
    assert_eq!(synack.window, 64_240);
    for side in [p.client.agreed_options(), p.server().agreed_options()] {
        assert_eq!(side, (true, true, Some((6, 6))));
    }
    assert_eq!(p.client.mss(), 1448, "1460 − 12 bytes of timestamps");
    let data: Vec<u32> = (p.log.iter())
        .filter(|l| l.from == Side::Client && l.seg.len > 0)
        .map(|l| l.seg.len)
        .collect();
    assert_eq!(data, vec![1448, 1448, 104]);
    for l in &p.log[2..] {
        assert!(
            l.seg.opts.timestamp.is_some() && l.seg.opts.mss.is_none(),
            "{l:?}"
        );
    }
    let windows = |side| -> Vec<u16> {
        (p.log[2..].iter())
            .filter(|l| l.from == side)
            .map(|l| l.seg.window)
            .collect()
    };
    // Autotuning (`window.rs`): the client, receiving nothing, keeps offering the SYN's
    // 64,240 bytes, rounded up to the 64-byte unit (1004 · 64 = 64,256); the server's
    // window grows by 2 · 1448 bytes per segment received: 67,136, 70,032, 72,928 bytes,
    // rounded up.
    assert_eq!(windows(Side::Client), [1004; 4]);
    assert_eq!(windows(Side::Server), [1049, 1095, 1140]);
    assert_eq!(p.client.send_window(), 1140 << 6);
}

/// The rfc profile's bare handshake (RFC 9293): the MSS alone, and without window scaling no
/// window above 65,535 bytes (its 4 MB buffer notwithstanding).
#[test]
fn rfc_offers_the_mss_alone() {
    let rfc = Config::rfc();
    let mut p = established(&rfc, &rfc);
    p.client.send(p.now, 3000).unwrap();
    p.run_until(t_ms(300));
    assert_eq!(p.log[0].seg.opts.mss, Some(1460));
    for l in &p.log {
        let o = l.seg.opts;
        assert_eq!(
            (o.wscale, o.sack_permitted, o.timestamp),
            (None, false, None)
        );
        assert!(o.sack.is_empty());
    }
    assert_eq!(p.client.agreed_options(), (false, false, None));
    assert_eq!(p.log[2].seg.window, 65_535);
    assert_eq!(p.client.send_window(), 65_535);
    assert_eq!(p.client.mss(), 1460);
}

/// An option is agreed only when both ends offer it: a linux client and an rfc server use
/// none, and the client's segments carry no timestamps.
#[test]
fn options_need_both_ends() {
    let mut p = established(&Config::linux(), &Config::rfc());
    p.client.send(p.now, 3000).unwrap();
    p.run_until(t_ms(300));
    assert_eq!(p.log[1].seg.opts.mss, Some(1460));
    assert_eq!(p.log[1].seg.opts.timestamp, None);
    assert_eq!(p.client.agreed_options(), (false, false, None));
    assert!(p.log[2..].iter().all(|l| l.seg.opts == Options::default()));
    assert_eq!(p.client.mss(), 1460);
    assert_eq!(
        p.log[2].seg.window, 64_240,
        "the client's window, unscaled: the SYN's, where autotuning starts"
    );
}

/// The client's data segments `[seq, end)`, as sent.
fn blocks_of(p: &Pair, side: Side) -> Vec<Vec<(u32, u32)>> {
    (p.log.iter())
        .filter(|l| l.from == side && !l.seg.opts.sack.is_empty())
        .map(|l| {
            l.seg
                .opts
                .sack
                .as_slice()
                .iter()
                .map(|(a, b)| (a.0, b.0))
                .collect()
        })
        .collect()
}

/// RFC 2018 §4: a receiver holding data beyond holes reports it in SACK blocks, the block
/// with the newest segment first, then the others most recent first, three at most beside
/// timestamps; a block goes once the hole before it is filled. Segments 2 and 4 of 6 are
/// lost (MSS 1000 without timestamps, so that sequence numbers read easily).
#[test]
fn sack_blocks_report_the_newest_first() {
    let config = Config {
        mss: 1000,
        init_cwnd: Some(6),
        timestamps: false,
        delayed_ack: None,
        ..Config::linux()
    };
    let mut p = established(&config, &config);
    p.drop_next(Side::Client, |s| s.seq.0 == 1101);
    p.drop_next(Side::Client, |s| s.seq.0 == 3101);
    p.client.send(p.now, 6000).unwrap();
    p.run_until(t_ms(45));
    assert_eq!(
        blocks_of(&p, Side::Server),
        vec![
            vec![(2101, 3101)],
            vec![(4101, 5101), (2101, 3101)],
            vec![(4101, 6101), (2101, 3101)],
        ]
    );
    // The retransmission of 1101 fills the first hole: its ACK reports the block beyond
    // the second hole alone.
    p.run_until(t_ms(2_000));
    assert_eq!(p.server().bytes_received(), 6000);
    let later = blocks_of(&p, Side::Server);
    assert!(later.len() > 3, "{later:?}");
    assert!(
        later[3..].iter().all(|b| b == &vec![(4101, 6101)]),
        "{later:?}"
    );
    assert!(p
        .log
        .iter()
        .all(|l| l.from == Side::Server || l.seg.opts.sack.is_empty()));
}

/// A segment from the server to the client, with timestamps.
fn from_server(flags: Flags, seq: Seq, ack: Seq, len: u32, ts: (u32, u32)) -> Segment {
    Segment {
        src_port: SERVER_PORT,
        dst_port: CLIENT_PORT,
        seq,
        ack,
        flags,
        window: 62_500,
        len,
        opts: Options {
            timestamp: Some(Timestamp {
                val: ts.0,
                ecr: ts.1,
            }),
            ..Options::default()
        },
        ecn: Default::default(),
    }
}

/// PAWS (RFC 7323 §5.3): a segment whose TSval is older than TS.Recent is an old duplicate,
/// acknowledged and dropped even though its sequence numbers are in the window; the same
/// segment with a current TSval is taken.
#[test]
fn paws_drops_an_old_duplicate() {
    let linux = Config::linux();
    let p = established(&linux, &linux);
    let recent = p.log[1].seg.opts.timestamp.unwrap().val;
    let (iss, irs) = p.client.isn();
    let mut client = p.client.clone();
    let now = t_ms(40);
    let old = from_server(Flags::ACK, irs + 1, iss + 1, 100, (recent - 1, 0));
    client.handle_segment(now, &old);
    let ack = client
        .poll_transmit()
        .expect("an ACK for the old duplicate");
    assert_eq!(ack.ack, irs + 1, "nothing taken");
    assert_eq!(client.bytes_received(), 0);
    let fresh = from_server(Flags::ACK, irs + 1, iss + 1, 100, (recent + 5, 0));
    client.handle_segment(now, &fresh);
    assert_eq!(client.bytes_received(), 100);
}

/// Linux `tcp_timewait_state_process`: with timestamps, a SYN newer than TS.Recent may
/// reopen a 4-tuple in TIME-WAIT even when its sequence number lies below RCV.NXT (which
/// RFC 1122 §4.2.2.13 alone would refuse); an older one is PAWS-rejected and acknowledged,
/// and restarts the 2·MSL timer ("if (paws_reject || th->ack) inet_twsk_reschedule").
#[test]
fn time_wait_reopens_on_a_newer_timestamp() {
    let linux = Config::linux();
    let mut p = established(&linux, &linux);
    p.client.close(p.now).unwrap();
    p.run_until(t_ms(40));
    let now = p.now;
    p.server().close(now).unwrap();
    p.run_until(t_ms(100));
    assert_eq!(p.client_state(), State::TimeWait);
    let recent = (p.log.iter().rev())
        .find(|l| l.from == Side::Server)
        .and_then(|l| l.seg.opts.timestamp)
        .unwrap()
        .val;
    let (_, irs) = p.client.isn();
    let mut tw = p.client.clone().into_time_wait().expect("drained");
    let syn = |val: u32| Segment {
        flags: Flags::SYN,
        ack: Seq(0),
        ..from_server(Flags::SYN, irs - 1000, Seq(0), 0, (val, 0))
    };
    let now = Time::ZERO + Duration::from_millis(200);
    assert!(
        tw.accepts(&syn(recent + 1)),
        "newer TSval, old sequence number"
    );
    assert!(!tw.accepts(&syn(recent)), "not newer");
    assert!(matches!(
        tw.handle_segment(now, &syn(recent - 1)),
        TimeWaitAction::AckFin(_)
    ));
    assert_eq!(tw.deadline(), now + Duration::from_secs(60));
    let without_ts = Segment {
        opts: Options::default(),
        ..syn(0)
    };
    assert!(
        !tw.accepts(&without_ts),
        "no timestamp: RFC 1122's rule alone"
    );
}

/// A SYN cookie keeps the peer's window scale and SACK-permitted in its TSval's low six
/// bits (Linux `cookie_init_timestamp`): the connection the final ACK completes uses them.
#[test]
fn a_cookie_keeps_the_options_in_its_timestamp() {
    let server = Config {
        syn_cookies: SynCookies::Always,
        ..Config::linux()
    };
    let mut p = Pair::listen(&Config::linux(), &server, ms(10));
    p.client.send(p.now, 3000).unwrap();
    p.run_until(t_ms(100));
    let synack = p.log[1].seg;
    let val = synack.opts.timestamp.unwrap().val;
    assert_eq!(val & 0x3f, 6 | 0x10, "wscale 6 and SACK in the low bits");
    assert_eq!(p.server().agreed_options(), (true, true, Some((6, 6))));
    assert_eq!(p.server().bytes_received(), 3000);
}
