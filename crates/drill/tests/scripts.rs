//! The project's own packetdrill scripts (tests/scripts/*.pkt, written here) run against
//! synack's linux profile; and what the runner says when a script is wrong, unsupported or
//! malformed.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use synack_drill::{run_source, Outcome, RunOptions};
use synack_tcp::config::Config;

fn scripts() -> Vec<(PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts");
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pkt"))
        .map(|p| {
            let src = std::fs::read_to_string(&p).unwrap();
            (p, src)
        })
        .collect();
    out.sort();
    out
}

fn run(src: &str) -> Outcome {
    run_source("test.pkt", src, &RunOptions::default()).outcome
}

fn script(name: &str) -> String {
    let (_, src) = scripts()
        .into_iter()
        .find(|(p, _)| p.file_name().unwrap() == name)
        .unwrap();
    src
}

#[test]
fn every_own_script_passes_on_the_linux_profile() {
    let all = scripts();
    assert!(all.len() >= 10, "the scripts are there");
    for (path, src) in &all {
        let outcome = run(src);
        assert_eq!(
            outcome,
            Outcome::Pass,
            "{}: {}",
            path.display(),
            outcome.reason()
        );
    }
}

/// The first failure of a script with `from` replaced by `to`.
fn failure_after(name: &str, from: &str, to: &str) -> String {
    let src = script(name);
    assert!(src.contains(from), "{name} holds `{from}`");
    match run(&src.replacen(from, to, 1)) {
        Outcome::Fail(f) => f.render("test.pkt"),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_wrong_expectation_fails_packetdrill_style() {
    let f = failure_after(
        "delayed-ack.pkt",
        " +.04~+.048 > . 101:101(0) ack 2001",
        " +.03 > . 101:101(0) ack 2001",
    );
    assert!(
        f.starts_with("test.pkt:29: error handling packet: timing error"),
        "{f}"
    );
    // The delayed ACK's 40 ms timer on the 250 Hz wheel: 10 jiffies from jiffy 52.5, due
    // at jiffy 63 (252 ms).
    assert!(f.contains("but happened at 0.252000 sec"), "{f}");
    assert!(
        f.contains("script packet:  0.240000 . 101:101(0) ack 2001"),
        "{f}"
    );
    assert!(
        f.contains("actual packet:  0.252000 . 101:101(0) ack 2001"),
        "{f}"
    );

    let f = failure_after(
        "fast-retransmit.pkt",
        "+0 > . 1:1001(1000) ack 1\n",
        "+0 > . 1:1001(1000) ack 2\n",
    );
    assert!(
        f.contains("live packet field tcp_ack_seq: expected: 2 (0x2) vs actual: 1 (0x1)"),
        "{f}"
    );

    let f = failure_after("syn-retries.pkt", "= -1 ETIMEDOUT", "= -1 ECONNREFUSED");
    assert!(f.contains("runtime error in connect call: Expected result -1 ECONNREFUSED but got -1 with errno 110 (ETIMEDOUT)"), "{f}");

    let f = failure_after(
        "passive-open-and-close.pkt",
        "+0 > R 1002:1002(0)",
        "+0 > R. 1002:1002(0)",
    );
    assert!(f.contains("tcp_ack: expected: 1"), "{f}");

    let f = failure_after(
        "active-open-and-close.pkt",
        "   +1 < F. 1:1(0) ack 2 win 65535\n   +0 > . 2:2(0) ack 2",
        "   +1 < F. 1:1(0) ack 2 win 65535\n   +0 > . 2:2(0) ack 3",
    );
    assert!(f.contains("tcp_ack_seq"), "{f}");
}

#[test]
fn blocking_calls_are_checked_for_time_and_result() {
    let f = failure_after("blocking-calls.pkt", "+0...0.1 write", "+0...0.05 write");
    assert!(f.contains("runtime error in write call: timing error: expected system call to return at 0.200000 sec but happened at 0.250000 sec"), "{f}");
    let f = failure_after(
        "blocking-calls.pkt",
        "read(4, ..., 1000) = 500",
        "read(4, ..., 1000) = 400",
    );
    assert!(
        f.contains("runtime error in read call: Expected result 400 but got 500"),
        "{f}"
    );
    // A connection is already waiting: accept returns at once, not at the end time given.
    let src = script("blocking-calls.pkt");
    let early = src
        .replace("   +0...0.1 accept(3, ..., ...) = 4\n", "")
        .replace(
            "   +0 < . 1:1(0) ack 1 win 65535\n",
            "   +0 < . 1:1(0) ack 1 win 65535\n   +0...0.1 accept(3, ..., ...) = 4\n",
        );
    assert!(
        matches!(run(&early), Outcome::Fail(f) if f.what.contains("expected system call to return at 0.200000 sec but happened at 0.100000 sec"))
    );
}

#[test]
fn segments_sent_together_match_one_tso_packet_unless_tso_is_off() {
    let src = script("blocking-calls.pkt");
    let off = format!("`ethtool -K tun0 tso off gso off`\n{src}");
    match run(&off) {
        Outcome::Fail(f) => assert!(
            f.what
                .contains("tcp_payload_len: expected: 10000 (0x2710) vs actual: 1000"),
            "{f:?}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn retransmission_timers_are_checked() {
    let f = failure_after(
        "synack-retries.pkt",
        "   +2 > S. 0:0(0)",
        "   +1 > S. 0:0(0)",
    );
    // Counted from the first retransmission, which the 250 Hz wheel sent at 1.024 s.
    assert!(f.contains("timing error: expected outbound packet at 2.024000 sec but happened at 3.040000 sec; tolerance 0.128000 sec"), "{f}");
    let f = failure_after(
        "challenge-ack.pkt",
        " +.01 < R. 1001:1001(0) ack 1 win 0\n   +0 > . 1:1(0) ack 1",
        " +.01 < R. 1001:1001(0) ack 1 win 0\n   +0 > R 1:1(0)",
    );
    assert!(
        f.contains("live packet field tcp_rst: expected: 1 (0x1) vs actual: 0 (0x0)"),
        "{f}"
    );
}

#[test]
fn options_synack_does_not_send_fail_naming_them() {
    let f = failure_after(
        "passive-open-and-close.pkt",
        "> S. 0:0(0) ack 1 <mss 1460>",
        "> S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>",
    );
    assert!(
        f.contains("TCP options differ: expected <mss 1460,sackOK,wscale 8> vs actual <mss 1460>"),
        "{f}"
    );
}

#[test]
fn a_missing_packet_times_out() {
    let f = failure_after(
        "simultaneous-close.pkt",
        " +.5 < F. 1:1(0) ack 2 win 65535\n",
        "",
    );
    assert!(f.contains("Timed out waiting for packet"), "{f}");
}

#[test]
fn the_profile_matters() {
    // RFC 1122's delayed ACK is 200 ms, not Linux's 40 ms.
    let opts = RunOptions {
        config: Config::rfc(),
        ..RunOptions::default()
    };
    let o = run_source("d.pkt", &script("delayed-ack.pkt"), &opts).outcome;
    assert!(
        matches!(&o, Outcome::Fail(f) if f.what.contains("timing error")),
        "{o:?}"
    );
}

#[test]
fn pruning_is_what_ends_the_old_half_open_connections_early() {
    // Without pruning every entry keeps its five SYN-ACK retries: the first one resends
    // at 7 s where Linux's reqsk_timer_handler lets it expire.
    let opts = RunOptions {
        config: Config {
            syn_queue_pruning: false,
            ..Config::linux()
        },
        ..RunOptions::default()
    };
    let o = run_source("p.pkt", &script("syn-queue-pruning.pkt"), &opts).outcome;
    let Outcome::Fail(f) = &o else {
        panic!("{o:?}")
    };
    assert!(
        f.what
            .contains("tcp_dst_port: expected: 40005 (0x9c45) vs actual: 40001"),
        "{}",
        f.render("p.pkt")
    );
    let actual = &f.detail[1];
    assert!(
        actual.starts_with("actual packet:  7.168000 [remote_port 40001] S. 0:0(0) ack 1"),
        "{actual}"
    );
}

#[test]
fn a_remote_port_is_part_of_the_expectation() {
    // The SYN-ACK answers the port that sent the SYN.
    let f = failure_after(
        "syn-queue-pruning.pkt",
        "   +0 > [remote_port 40003] S. 0:0(0) ack 1 <mss 1460>",
        "   +0 > [remote_port 40004] S. 0:0(0) ack 1 <mss 1460>",
    );
    assert!(
        f.contains("tcp_dst_port: expected: 40004 (0x9c44) vs actual: 40003 (0x9c43)"),
        "{f}"
    );
}

/// As packetdrill numbers them (checked on Linux 6.18), a new connection on a 4-tuple
/// counts from the first connection's ISN, so a wrong ISN for the connection that reopens
/// TIME-WAIT fails as a sequence number.
#[test]
fn a_reopened_four_tuple_is_numbered_from_its_first_isn() {
    let f = failure_after("tw-isn.pkt", "> S. 66539:66539(0)", "> S. 66538:66538(0)");
    assert!(
        f.contains("tcp_seq: expected: 66538 (0x103ea) vs actual: 66539 (0x103eb)"),
        "{f}"
    );
    let f = failure_after("tw-isn.pkt", "> S. 66539:66539(0)", "> S. 0:0(0)");
    assert!(
        f.contains("tcp_seq: expected: 0 (0x0) vs actual: 66539"),
        "{f}"
    );
}

#[test]
fn what_synack_does_not_model_is_unsupported_with_the_reason() {
    let cases = [
        ("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 epoll_create(1) = 4\n", "epoll_create"),
        ("0 < S 0:0(0) win 100 <mss 1460,FO abcd1234>\n", "FO"),
        ("0 < [ect2] S 0:0(0) win 100\n", "ECN mark [ect2]"),
        ("`sysctl -q net.ipv4.tcp_ecn=3`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", "Accurate ECN"),
        ("`sysctl -q net.ipv4.tcp_mtu_probing=1`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", "tcp_mtu_probing"),
        ("--ip_version=ipv6\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n", "ip_version"),
        ("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ assert tcpi_lost == 0 }%\n", "tcpi_lost"),
        ("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_SOCKET, SO_ZEROCOPY, [1], 4) = 0\n", "SO_ZEROCOPY"),
        ("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 send(3, ..., 10, MSG_ZEROCOPY) = 10\n", "MSG_ZEROCOPY"),
    ];
    for (src, word) in cases {
        match run(src) {
            Outcome::Unsupported(why) => assert!(why.contains(word), "{src}: {why}"),
            other => panic!("{src}: expected unsupported, got {other:?}"),
        }
    }
}

#[test]
fn tcp_info_assertions_are_checked() {
    let base = script("fast-retransmit.pkt");
    let ok = base.replace(
        "   +0 write(4,",
        "   +0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%\n   +0 write(4,",
    );
    assert_eq!(run(&ok), Outcome::Pass);
    let bad = base.replace(
        "   +0 write(4,",
        "   +0 %{ assert tcpi_snd_cwnd == 11 }%\n   +0 write(4,",
    );
    assert!(
        matches!(run(&bad), Outcome::Fail(f) if f.what.contains("tcpi_snd_cwnd == 11 (actual 10)"))
    );
}

#[test]
fn malformed_scripts_name_line_and_column() {
    let cases = [
        (
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n  +0 < S 0:0(0) <mss 1460>\n",
            "test.pkt:2:17: expected `win N`",
        ),
        (
            "0 socket(..., SOCK_STREAM\n",
            "test.pkt:2:1: expected `,` or `)`",
        ),
        (
            "+0 > S 0:1(0)\n",
            "test.pkt:1:8: inconsistent TCP sequence numbers",
        ),
        ("+0 > Q 0:0(0)\n", "test.pkt:1:6: expected TCP flags"),
        (
            "+0 > S. 0:0(0) ack 1 <mss 1460\n",
            "test.pkt:2:1: expected `,` or `>`",
        ),
        ("`unterminated\n", "test.pkt:1:1: unterminated `command`"),
        (
            "0 write(3, ..., 10) = 10 @\n",
            "test.pkt:1:26: unexpected character `@`",
        ),
        ("99999999999 close(3) = 0\n", "test.pkt:1:1: a time"),
        (
            "// c\n--tolerance_usecs=ten\n0 close(3) = 0\n",
            "test.pkt:2:1: --tolerance_usecs expects",
        ),
        (
            "+0 < [remote_port 70000] S 0:0(0) win 100\n",
            "test.pkt:1:19: a port out of range",
        ),
    ];
    for (src, want) in cases {
        match run(src) {
            Outcome::Error(e) => assert!(e.starts_with(want), "{src:?}: got {e}"),
            other => panic!("{src:?}: expected a parse error, got {other:?}"),
        }
    }
}

/// One edit of a script's text.
#[derive(Clone, Debug)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, char),
    Duplicate(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let chars = prop::sample::select(vec![
        ' ', '\n', '.', ':', '(', ')', '<', '>', '+', '-', '0', '9', '~', '*', ',', '`', '%', '{',
        '[', 'S', 'F', 'é',
    ]);
    prop_oneof![
        (any::<usize>(), 1..40usize).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<usize>(), chars).prop_map(|(a, c)| Edit::Insert(a, c)),
        (any::<usize>(), 1..80usize).prop_map(|(a, n)| Edit::Duplicate(a, n)),
    ]
}

fn apply(src: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = src.chars().collect();
    for e in edits {
        let len = chars.len().max(1);
        match *e {
            Edit::Delete(a, n) => {
                let a = a % len;
                let b = (a + n).min(chars.len());
                chars.drain(a.min(chars.len())..b);
            }
            Edit::Insert(a, c) => chars.insert(a % (chars.len() + 1), c),
            Edit::Duplicate(a, n) => {
                let a = a % len;
                let b = (a + n).min(chars.len());
                let piece: Vec<char> = chars[a.min(chars.len())..b].to_vec();
                for (i, c) in piece.into_iter().enumerate() {
                    chars.insert(b + i, c);
                }
            }
        }
    }
    chars.into_iter().collect()
}

proptest! {
    // 4 000 mutated scripts: parsing and running never panic, and a malformed script's
    // error names a line and column.
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn mutated_scripts_never_panic(which in 0..64usize, edits in prop::collection::vec(edit(), 1..6)) {
        let all = scripts();
        let (_, src) = &all[which % all.len()];
        let mutated = apply(src, &edits);
        if let Outcome::Error(e) = run(&mutated) {
            let mut parts = e.splitn(4, ':');
            prop_assert_eq!(parts.next(), Some("test.pkt"));
            let line = parts.next().and_then(|l| l.parse::<u32>().ok());
            let col = parts.next().and_then(|c| c.parse::<u32>().ok());
            prop_assert!(line.is_some() && col.is_some(), "{}", e);
        }
    }
}

#[test]
fn sequence_numbers_below_our_isn_print_wrapped_without_panicking() {
    // A RST from a closed port carries SEQ 0 (RFC 9293 §3.10.7.1), whatever our ISN was.
    let src = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
               +0...0.01 connect(3, ..., ...) = -1 ECONNREFUSED\n\
               +0 > S 0:0(0) <...>\n\
               +.01 < R. 0:0(0) ack 1 win 0\n\
               +0 < S 0:0(0) win 100\n\
               +0 > R. 0:0(0) ack 1\n";
    match run(src) {
        Outcome::Fail(f) => assert!(f.what.contains("tcp_seq"), "{f:?}"),
        other => panic!("{other:?}"),
    }
}

/// The idle-restart script checks the restart itself: with `tcp_slow_start_after_idle` at 0
/// the window stays 40 after the idle period (on Linux 6.18 too, under packetdrill); and
/// the application-limited script checks that nothing decays the window there (25 would be
/// RFC 2861's halfway step towards the 10 segments used).
#[test]
fn the_window_scripts_fail_without_what_they_check() {
    let f = failure_after(
        "idle-restart.pkt",
        "tcp_slow_start_after_idle=1",
        "tcp_slow_start_after_idle=0",
    );
    assert!(
        f.contains("error in Python code: AssertionError: tcpi_snd_cwnd == 20 (actual 40)"),
        "{f}"
    );
    let f = failure_after(
        "app-limited.pkt",
        "ack 46001 win 65535\n   +0 %{ assert tcpi_snd_cwnd == 40",
        "ack 46001 win 65535\n   +0 %{ assert tcpi_snd_cwnd == 25",
    );
    assert!(
        f.contains("error in Python code: AssertionError: tcpi_snd_cwnd == 25 (actual 40)"),
        "{f}"
    );
}

/// The user-timeout script checks the timeout and where it counts from: without the
/// option the connection outlives the second write (15 timeouts decide), and a tenth
/// more or less moves the end out of the 0.3 s between the writes.
#[test]
fn the_user_timeout_script_fails_without_what_it_checks() {
    for (to, expected) in [
        ("[0]", "Expected result -1 ETIMEDOUT but got 1000"),
        ("[3300]", "Expected result -1 ETIMEDOUT but got 1000"),
        ("[2700]", "Expected result 1000 but got -1"),
    ] {
        let f = failure_after("user-timeout.pkt", "[3000]", to);
        assert!(f.contains(expected), "{to}: {f}");
    }
}

/// The data-after-close script checks that only a close of both directions resets: after
/// a half-close the same data is taken and acknowledged.
#[test]
fn the_data_after_close_script_fails_after_a_half_close() {
    let f = failure_after(
        "data-after-close.pkt",
        "close(4) = 0",
        "shutdown(4, SHUT_WR) = 0",
    );
    assert!(f.contains("expected: 1 (0x1) vs actual: 0 (0x0)"), "{f}");
}

/// `SO_SNDBUF` on a connected socket sets that connection's send buffer (doubled, as Linux
/// keeps it), where before it made the script unsupported.
#[test]
fn so_sndbuf_on_a_connection_is_the_connections_own() {
    let script = |reported: u32| {
        format!(
            "    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 16) = 0
   +0 < S 0:0(0) win 65535 <mss 1000>
   +0 > S. 0:0(0) ack 1 <mss 1460>
 +.1 < . 1:1(0) ack 1 win 65535
   +0 accept(3, ..., ...) = 4
   +0 setsockopt(4, SOL_SOCKET, SO_SNDBUF, [3000], 4) = 0
   +0 getsockopt(4, SOL_SOCKET, SO_SNDBUF, [{reported}], [4]) = 0
"
        )
    };
    assert_eq!(run(&script(6000)), Outcome::Pass);
    match run(&script(3000)) {
        Outcome::Fail(f) => {
            let f = f.render("test.pkt");
            assert!(f.contains("expected: 3000 actual: 6000"), "{f}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}
