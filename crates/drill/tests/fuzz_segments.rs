//! Fuzzing the endpoint's segment input (issue 14): random segments — any flags, sequence
//! and acknowledgment numbers near the expected ones or anywhere, windows, payloads and
//! options — injected into a listening socket and into a connection being opened. Two
//! targets: `random_segments_drive_a_stack` hands them straight to a `synack_tcp::Stack`,
//! driven as the world drives one (its answers drained, each connection pumped and settled,
//! its timers fired in time order); `random_segments_never_panic_the_stack` writes them as a
//! packetdrill script and runs it (so the script parser and runner see them too; the runner
//! stops at the first reply the script did not state). Whatever arrives, nothing may panic.
//!
//! CI runs `SYNACK_FUZZ_CASES` cases (default 200, a few seconds); run longer by hand:
//!
//! ```text
//! SYNACK_FUZZ_CASES=100000 cargo test --release -p synack-drill --test fuzz_segments
//! ```

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use synack_drill::{parse, run_script, Outcome, RunOptions};
use synack_sim::{Duration, Time};
use synack_tcp::config::Config;
use synack_tcp::{
    ConnId, Flags, Incoming, IsnGenerator, Options, SackBlocks, Segment, Seq, Settled, Stack,
    TimeWaitId, TimeWaitTimeout, Timestamp,
};

fn cases() -> u32 {
    std::env::var("SYNACK_FUZZ_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(200)
}

/// One injected segment, as a packetdrill line.
fn segment() -> impl Strategy<Value = String> {
    let flags = prop::sample::select(vec![
        "S", "S.", ".", "P.", "F.", "R", "R.", "F", "SF", "SR", "FR.", "SFR.", "P", "SP.",
    ]);
    // Sequence and acknowledgment numbers: mostly near what a script's peer would use
    // (0, 1, a few segments in), sometimes anywhere in 32 bits.
    let number = prop_oneof![
        4 => 0u32..3000,
        1 => any::<u32>(),
        1 => (u32::MAX - 3000)..=u32::MAX,
    ];
    let option = prop_oneof![
        (0u32..=65535).prop_map(|m| format!("mss {m}")),
        Just("sackOK".to_string()),
        Just("nop".to_string()),
        (0u32..20).prop_map(|w| format!("wscale {w}")),
        (any::<u32>(), any::<u32>()).prop_map(|(v, e)| format!("TS val {v} ecr {e}")),
        (0u32..5000, 0u32..5000).prop_map(|(l, r)| format!("sack {l}:{r}")),
    ];
    (
        0u32..200,
        flags,
        number.clone(),
        0u32..3000,
        prop::option::of(number),
        0u32..=65535,
        prop::collection::vec(option, 0..4),
    )
        .prop_map(|(gap_ms, flags, seq, len, ack, win, opts)| {
            let ack = match ack {
                Some(a) if flags.contains('.') => format!(" ack {a}"),
                _ => String::new(),
            };
            let opts = if opts.is_empty() {
                String::new()
            } else {
                format!(" <{}>", opts.join(","))
            };
            format!(
                "+.{gap_ms:03} < {flags} {seq}:{}({len}){ack} win {win}{opts}\n",
                seq.wrapping_add(len)
            )
        })
}

/// How the script opens its socket before the segments arrive.
fn opening() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        // A listener.
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
         +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n\
         +0 bind(3, ..., ...) = 0\n\
         +0 listen(3, 1) = 0\n",
        // A connection being opened (its SYN goes out first).
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
         +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n\
         +0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n\
         +0 > S 0:0(0) <...>\n",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_segments_never_panic_the_stack(
        open in opening(),
        segments in prop::collection::vec(segment(), 1..24),
        sysctls in prop::sample::select(vec![
            "",
            "`sysctl -q net.ipv4.tcp_sack=0 net.ipv4.tcp_timestamps=0`\n",
            "`sysctl -q net.ipv4.tcp_syncookies=2`\n",
        ]),
    ) {
        let src = format!("{sysctls}{open}{}", segments.concat());
        let script = parse(&src).map_err(|e| TestCaseError::fail(format!("{e}\n{src}")))?;
        let report = run_script(&script, &RunOptions::default());
        // The script states no expected reply, so any reply fails it: what matters is that
        // the stack took every segment and the runner reported.
        prop_assert!(!matches!(report.outcome, Outcome::Error(_)), "{:?}\n{}", report.outcome, src);
    }
}

/// One segment for the stack itself, and the time since the one before.
#[derive(Clone, Debug)]
struct Input {
    gap_us: u64,
    /// To the listener's port 80 (from the peer's port 80, which the stack connects to, or
    /// from port 1000: see `seg.src_port`), else to the stack's connecting port.
    to_80: bool,
    seg: Segment,
}

fn input() -> impl Strategy<Value = Input> {
    let number = prop_oneof![4 => 0u32..5000, 1 => any::<u32>()];
    let options = (
        prop::option::of(any::<u16>()),
        prop::option::of(0u8..20),
        any::<bool>(),
        prop::option::of((any::<u32>(), any::<u32>())),
        prop::collection::vec((0u32..5000, 0u32..5000), 0..5),
    )
        .prop_map(|(mss, wscale, sack_permitted, ts, blocks)| {
            let mut sack = SackBlocks::default();
            for (l, r) in blocks {
                sack.push((Seq(l), Seq(r)));
            }
            Options {
                mss,
                wscale,
                sack_permitted,
                timestamp: ts.map(|(val, ecr)| Timestamp { val, ecr }),
                sack,
            }
        });
    (
        0u64..300_000,
        any::<bool>(),
        any::<bool>(),
        0u8..16,
        number.clone(),
        number,
        any::<u16>(),
        prop_oneof![3 => 0u32..3000, 1 => 0u32..70_000],
        options,
    )
        .prop_map(
            |(gap_us, from_80, to_80, flags, seq, ack, window, len, opts)| {
                let all = [Flags::SYN, Flags::FIN, Flags::RST, Flags::ACK];
                let flags = (0..4)
                    .filter(|i| flags & (1 << i) != 0)
                    .fold(Flags::NONE, |f, i| f | all[i]);
                Input {
                    gap_us,
                    to_80,
                    seg: Segment {
                        src_port: if from_80 { 80 } else { 1000 },
                        dst_port: 0,
                        seq: Seq(seq),
                        ack: Seq(ack),
                        flags,
                        window,
                        len,
                        opts,
                        ecn: Default::default(),
                    },
                }
            },
        )
}

/// What wakes up: a connection's timer or a TIME-WAIT socket's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wake {
    Conn(ConnId),
    TimeWait(TimeWaitId),
}

/// A stack listening on port 80 and, if `connect`, opening a connection to the peer's port
/// 80, driven through `inputs` as the world drives one.
struct Driver {
    stack: Stack<u32, u32>,
    now: Time,
    timers: Vec<(Wake, Time)>,
    local_port: u16,
}

const PEER: u32 = 2;

impl Driver {
    fn new(config: Config, connect: bool) -> Driver {
        let isn = IsnGenerator::new(config.isn, ChaCha8Rng::seed_from_u64(2));
        let mut stack: Stack<u32, u32> = Stack::new(1, config, isn);
        stack.listen(80, &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
        let mut d = Driver {
            stack,
            now: Time::ZERO,
            timers: Vec::new(),
            local_port: 80,
        };
        if connect {
            let id = d.stack.connect(d.now, PEER, 80, 0).unwrap();
            d.local_port = d.stack.connection(id).local_port();
            d.pump(id);
        }
        d
    }

    fn arm(&mut self, wake: Wake, at: Option<Time>) {
        self.timers.retain(|t| t.0 != wake);
        if let Some(at) = at {
            self.timers.push((wake, at));
        }
    }

    /// Fires every timer due by `until`, in time order.
    fn run_timers(&mut self, until: Time) {
        while let Some(&(wake, at)) = self
            .timers
            .iter()
            .filter(|t| t.1 <= until)
            .min_by_key(|t| t.1)
        {
            self.now = self.now.max(at);
            self.timers.retain(|t| t.0 != wake);
            match wake {
                Wake::Conn(id) => {
                    self.stack.handle_conn_timeout(self.now, id);
                    self.pump(id);
                }
                Wake::TimeWait(id) => {
                    if let TimeWaitTimeout::Later(t) =
                        self.stack.handle_time_wait_timeout(self.now, id)
                    {
                        self.arm(wake, Some(t));
                    }
                }
            }
            self.drain();
        }
        self.now = self.now.max(until);
    }

    fn drain(&mut self) {
        while let Some(synack_tcp::StackEvent::TimeWaitEnded { id, .. }) = self.stack.poll_event() {
            self.arm(Wake::TimeWait(id), None);
        }
        while self.stack.poll_transmit().is_some() {}
    }

    fn pump(&mut self, id: ConnId) {
        loop {
            while self.stack.poll_conn_event(id).is_some() {}
            if self.stack.poll_conn_transmit(id).is_none() {
                break;
            }
        }
        match self.stack.settle(id) {
            Settled::Open { timeout } => self.arm(Wake::Conn(id), timeout),
            Settled::TimeWait { id: tw, deadline } => {
                self.arm(Wake::Conn(id), None);
                self.arm(Wake::TimeWait(tw), Some(deadline));
            }
            Settled::Closed { .. } | Settled::TimeWaitOverflow { .. } => {
                self.arm(Wake::Conn(id), None)
            }
        }
    }

    fn inject(&mut self, input: &Input) {
        self.run_timers(self.now + Duration::from_micros(input.gap_us));
        let mut seg = input.seg;
        seg.dst_port = if input.to_80 { 80 } else { self.local_port };
        let incoming = self.stack.handle_segment(self.now, PEER, &seg);
        self.drain();
        match incoming {
            Incoming::Conn { id, .. } | Incoming::Opened { id, .. } => self.pump(id),
            _ => {}
        }
        // Accept whatever the listener holds, as a server application would.
        if let Some(l) = self.stack.listener_on(80) {
            loop {
                match self.stack.accept(l) {
                    synack_tcp::Accept::Conn(id) => self.pump(id),
                    synack_tcp::Accept::Ended => {}
                    _ => break,
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_segments_drive_a_stack(
        connect in any::<bool>(),
        linux in any::<bool>(),
        inputs in prop::collection::vec(input(), 1..48),
    ) {
        let config = if linux { Config::linux() } else { Config::rfc() };
        let mut d = Driver::new(config, connect);
        for input in &inputs {
            d.inject(input);
        }
        // Then let every timer run out: retransmissions, TIME-WAIT, keep-alives.
        let end = d.now + Duration::from_secs(600);
        d.run_timers(end);
    }
}
