//! The interpreter: one synack [`Stack`] as packetdrill's socket-under-test, driven in
//! simulated time.
//!
//! The stack sits at packetdrill's local address (192.168.0.1), the script plays the remote
//! one (192.0.2.1). Events run in script order, each at its time (packetdrill's
//! `adjust_relative_event_times`: a relative time counts from the previous event's actual
//! time, or from its script time between two inbound packets); the stack's timers run in
//! between. Inbound packets become [`Segment`]s; every segment the stack sends is queued
//! with its send time and matched, in order, against the next `>` line (time within
//! tolerance, then flags, sequence and acknowledgment numbers, window and options).
//!
//! Sequence numbers are relative as packetdrill computes them: outbound `seq` and inbound
//! `ack` count from synack's ISN (learned from its SYN or SYN-ACK, packetdrill's
//! `live.local_isn`), offset by the script's own ISN for it (`script.local_isn`, nearly
//! always 0). The script's side is the remote end, so its numbers need no translation;
//! here they are offset by a fixed [`REMOTE_ISN`] on the way in and out, so that nothing
//! can depend on the peer's ISN being small.
//!
//! Each 4-tuple keeps the ISNs of its first connection (packetdrill keeps them per socket,
//! checked on Linux 6.18): a new connection on the 4-tuple, as one that reopens TIME-WAIT,
//! is numbered from them, so the ISN chosen for it (Linux's `tw_isn`) is checked.
//!
//! synack's dialect adds one thing packetdrill cannot say, written in the brackets that
//! packetdrill uses for ECN marks, after `<` or `>`:
//! - `[remote_port N]`: the packet comes from (`<`) or goes to (`>`) the script side's port
//!   `N` instead of the socket under test's remote port, so one script can open several
//!   connections to a listener (say, to fill its SYN queue). Each port's sequence numbers
//!   count from its own connection's ISNs.
//!
//! Simplified, and what it costs:
//! - One remote address (192.0.2.1; port 8080 for `connect`, a fixed port for inbound
//!   connections unless a line names another with `[remote_port N]`).
//! - PSH is not modelled by synack's segments: `P` in a script is not compared.
//! - TSO/GSO: Linux hands packetdrill one large segment where synack sends several
//!   MSS-sized ones at the same instant; contiguous same-instant segments with the same ACK
//!   are joined to match one longer `>` line, unless the script turns TSO off (`ethtool -K
//!   tun0 tso off gso off`).
//! - Options are compared by kind and value in order, NOPs and EOL aside (synack lays out
//!   no padding). On inbound packets only MSS reaches synack; SACK-permitted, SACK blocks,
//!   timestamps and window scale are parsed and dropped, as synack negotiates none of them.
//! - No Nagle (RFC 896) and no quick-ACK mode in synack: `TCP_NODELAY` is accepted and
//!   noted, and scripts that depend on either fail where they do.
//! - The receiving application of a connection reads at once in synack (the window never
//!   closes): unread data is counted for `read`, but does not shrink the advertised window,
//!   which synack advertises in bytes (no window scaling): `win` on a `>` line is compared
//!   with that, unscaled.
//! - synack's settings are per stack: `TCP_MAXSEG`, `SO_SNDBUF`, `SO_RCVBUF` and sysctls
//!   rebuild the stack, which works only before the first connection (else unsupported).
//! - `listen`'s backlog is the listener's `backlog` (capped at `somaxconn`, as Linux caps
//!   it; `accept_queue` applies only with `listen_queues = "separate"`); `bind` on a client socket does not choose its port (the stack hands out an ephemeral
//!   one). Closing a listener resets the connections waiting in its accept queue
//!   (`inet_csk_listen_stop`) but leaves half-open ones to time out, and a segment that would
//!   reach the closed listener makes the script unsupported (synack's `Stack` cannot remove
//!   a listener).

mod drive;
mod packet;
mod socket;
mod sockopt;

use std::collections::{BTreeMap, VecDeque};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use synack_sim::Time;
use synack_tcp::config::Config;
use synack_tcp::{ConnId, IsnGenerator, ListenerId, Segment, Seq, Stack, State, TimeWaitId};

use crate::report::{Failure, Outcome};
use crate::script::{Direction, Event, EventKind, Script, TimeSpec};
use crate::sysctl::run_shell;
use crate::tcpinfo::assertions;

/// packetdrill's addresses: the stack under test, and the script's side.
pub const LOCAL_ADDR: u32 = 0xC0A8_0001;
pub const REMOTE_ADDR: u32 = 0xC000_0201;
/// packetdrill's `--bind_port` and `--connect_port` default.
pub const SCRIPT_PORT: u16 = 8080;
/// The script side's port for connections it opens.
pub const REMOTE_PORT: u16 = 48_879;
/// The script side's ISN.
pub const REMOTE_ISN: Seq = Seq(0x1000_0000);

/// The end of a `*` time: no bound.
const ANY_TIME: i64 = i64::MAX / 4;

/// How a script is run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The stack's settings before the script's own (`[tcp]` profile).
    pub config: Config,
    /// packetdrill's `--tolerance_usecs` unless the script sets its own.
    pub tolerance_usecs: i64,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            config: Config::linux(),
            tolerance_usecs: 4_000,
        }
    }
}

/// The result of a run, and what `--verbose` prints.
#[derive(Clone, Debug)]
pub struct RunReport {
    pub outcome: Outcome,
    /// `[tcp]` keys set by the script's sysctls, and settings synack has no model for yet.
    pub notes: Vec<String>,
}

/// The errnos a system call may report.
#[allow(clippy::upper_case_acronyms)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Errno {
    EBADF = 9,
    EAGAIN = 11,
    EINVAL = 22,
    EPIPE = 32,
    EOPNOTSUPP = 95,
    EADDRINUSE = 98,
    EADDRNOTAVAIL = 99,
    ECONNRESET = 104,
    EISCONN = 106,
    ENOTCONN = 107,
    ETIMEDOUT = 110,
    ECONNREFUSED = 111,
    EALREADY = 114,
    EINPROGRESS = 115,
}

impl Errno {
    pub fn name(self) -> String {
        format!("{self:?}")
    }
}

/// Something with a timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wake {
    Conn(ConnId),
    TimeWait(TimeWaitId),
}

/// A connection as its socket sees it (also once the stack has forgotten it).
#[derive(Clone, Debug)]
struct ConnInfo {
    /// `None` once in TIME-WAIT or CLOSED.
    id: Option<ConnId>,
    state: State,
    /// The state it left for CLOSED.
    closed_from: Option<State>,
    /// Bytes delivered and not yet read.
    readable: u64,
    fin: bool,
    /// The pending socket error.
    error: Option<Errno>,
    connected: bool,
}

/// A file descriptor of the script.
#[derive(Clone, Debug)]
enum Sock {
    Fresh,
    Listener {
        id: ListenerId,
        port: u16,
        /// `listen()`'s backlog argument, if it was one.
        backlog: Option<u32>,
    },
    Conn {
        tag: u32,
        shut_rd: bool,
        reported: bool,
    },
}

#[derive(Clone, Debug)]
struct Fd {
    sock: Sock,
    nonblocking: bool,
    linger_zero: bool,
    bound: Option<u16>,
    /// TCP_MAXSEG as set, for getsockopt before a connection exists.
    user_mss: Option<u32>,
}

impl Fd {
    fn new(sock: Sock, nonblocking: bool) -> Fd {
        Fd {
            sock,
            nonblocking,
            linger_zero: false,
            bound: None,
            user_mss: None,
        }
    }
}

/// What a blocked system call waits for.
#[derive(Clone, Debug)]
enum Wait {
    Accept { fd: i64 },
    Connect { tag: u32 },
    Read { tag: u32, max: u64, fd: i64 },
    Write { tag: u32, left: u64, total: u64 },
}

/// A blocking call in progress.
#[derive(Clone, Debug)]
struct Pending {
    line: u32,
    name: String,
    wait: Wait,
    expected: crate::script::SyscallResult,
    /// When it should return, script time (µs), and the tolerance.
    end_us: i64,
    tolerance: i64,
}

/// The ISNs of one 4-tuple's connection: synack's, learned from its SYN or SYN-ACK
/// (packetdrill's `live.local_isn`), and the number the script gives it (`script.local_isn`,
/// nearly always 0).
#[derive(Clone, Copy, Debug)]
struct Isns {
    live: Seq,
    script: u32,
}

impl Isns {
    /// A sequence number of synack's as the script writes it.
    fn script_number(self, s: Seq) -> u32 {
        s.0.wrapping_sub(self.live.0).wrapping_add(self.script)
    }

    /// A sequence number of synack's written by the script.
    fn live_number(self, n: u32) -> Seq {
        self.live + n.wrapping_sub(self.script)
    }
}

/// A system call's result: a value or an errno.
type SysResult = Result<i64, Errno>;

/// The interpreter's state.
pub(crate) struct Runner {
    now: Time,
    stack: Stack<u32, u32>,
    config: Config,
    conns: Vec<ConnInfo>,
    fds: BTreeMap<i64, Fd>,
    next_fd: i64,
    /// The descriptor the script expects from the `accept` in progress.
    accept_as: Option<i64>,
    timers: Vec<(Wake, Time)>,
    sent: VecDeque<(Time, Segment)>,
    /// By the script side's port: the ISNs of the connection on that 4-tuple, once its SYN
    /// or SYN-ACK was seen.
    isns: BTreeMap<u16, Isns>,
    /// synack's TSval less the script's, once an outbound TSval fixed it.
    ts_offset: Option<u32>,
    /// The 4-tuple's ports: (ours, the script's).
    ports: (u16, u16),
    pending: Option<Pending>,
    /// Listeners whose socket was closed: synack's `Stack` cannot remove a listener.
    closed_listeners: Vec<ListenerId>,
    tso: bool,
    tolerance_usecs: i64,
    tolerance_percent: f64,
    /// The previous event: its script time (µs) and whether it was an inbound packet.
    last: Option<(i64, bool)>,
    notes: Vec<String>,
}

/// Stops a run: the outcome.
type Stop = Outcome;

fn us(t: Time) -> i64 {
    (t.as_nanos() / 1_000) as i64
}

fn time_of(us: i64) -> Time {
    Time::from_nanos(us.max(0) as u64 * 1_000)
}

/// Runs a parsed script.
pub fn run_script(script: &Script, opts: &RunOptions) -> RunReport {
    if let Some(why) = crate::scan::unsupported(script) {
        return RunReport {
            outcome: Outcome::Unsupported(why),
            notes: Vec::new(),
        };
    }
    let mut r = Runner::new(opts);
    for o in &script.options {
        let value = o.value.as_deref().unwrap_or("");
        match o.name.as_str() {
            // The parser checked both values.
            "tolerance_usecs" => r.tolerance_usecs = value.parse().unwrap_or(r.tolerance_usecs),
            "tolerance_percent" => {
                r.tolerance_percent = value.parse().unwrap_or(r.tolerance_percent)
            }
            _ => {}
        }
    }
    let outcome = match r.run_events(&script.events) {
        Ok(()) => Outcome::Pass,
        Err(stop) => stop,
    };
    RunReport {
        outcome,
        notes: r.notes,
    }
}

impl Runner {
    fn new(opts: &RunOptions) -> Runner {
        // Timers fire on the profile's timer wheel (`timer_wheel_hz`: 250 Hz, as on the
        // kernel the scripts are checked against), from a jiffy boundary at time 0.
        let config = opts.config.clone();
        Runner {
            now: Time::ZERO,
            stack: new_stack(&config, &[]).0,
            config,
            conns: Vec::new(),
            fds: BTreeMap::new(),
            next_fd: 3,
            accept_as: None,
            timers: Vec::new(),
            sent: VecDeque::new(),
            isns: BTreeMap::new(),
            ts_offset: None,
            ports: (SCRIPT_PORT, REMOTE_PORT),
            pending: None,
            closed_listeners: Vec::new(),
            tso: true,
            tolerance_usecs: opts.tolerance_usecs,
            tolerance_percent: 12.5,
            last: None,
            notes: Vec::new(),
        }
    }

    fn run_events(&mut self, events: &[Event]) -> Result<(), Stop> {
        for e in events {
            let inbound =
                matches!(&e.kind, EventKind::Packet(p) if p.direction == Direction::Inbound);
            let (start, end) = self.schedule(e, inbound);
            let tolerance = self.tolerance(start);
            match &e.kind {
                EventKind::Packet(p) if p.direction == Direction::Inbound => {
                    self.wait_until(time_of(start))?;
                    self.inbound(e.span.line, p)?;
                    self.check_pending()?;
                }
                EventKind::Packet(p) => self.outbound(e, p, (start, end), tolerance)?,
                EventKind::Syscall(call) => {
                    self.wait_until(time_of(start))?;
                    let end_us = match (e.end, e.time) {
                        (Some(t), TimeSpec::Absolute(_)) => t,
                        (Some(t), _) => start - self.relative_offset(e.time) + t,
                        (None, _) => start,
                    };
                    // A blocking call's return: packetdrill's dynamic tolerance counts from
                    // the call's start ("the last event here is unpredictable and
                    // irrelevant", run_system_call.c).
                    let tolerance = if e.end.is_some() {
                        self.tolerance_over(end_us - start)
                    } else {
                        tolerance
                    };
                    self.syscall(e.span.line, call, (end_us, e.end.is_some()), tolerance)?;
                }
                EventKind::Command(text) => {
                    self.wait_until(time_of(start))?;
                    self.command(e.span.line, text)?;
                }
                EventKind::Code(code) => {
                    self.wait_until(time_of(start))?;
                    self.tcp_info(e.span.line, code)?;
                }
            }
            self.last = Some((start, inbound));
        }
        self.finish_pending()
    }

    /// The script time of an event, and the end of its range (µs).
    fn schedule(&self, e: &Event, inbound: bool) -> (i64, i64) {
        let now = us(self.now);
        let base = match self.last {
            Some((t, true)) if inbound => t,
            _ => now,
        };
        match e.time {
            TimeSpec::Any => (now, ANY_TIME),
            TimeSpec::Untimed => (now, now),
            TimeSpec::Absolute(t) => (t, t),
            TimeSpec::Relative(d) => (base + d, base + d),
            TimeSpec::AbsoluteRange(a, b) => (a, b),
            TimeSpec::RelativeRange(a, b) => (base + a, base + b),
        }
    }

    /// The start of a relative event, minus its base: the offset a `...END` is counted from.
    fn relative_offset(&self, t: TimeSpec) -> i64 {
        match t {
            TimeSpec::Relative(d) | TimeSpec::RelativeRange(d, _) => d,
            _ => 0,
        }
    }

    /// packetdrill's `verify_time` tolerance: the larger of `--tolerance_usecs` and
    /// `--tolerance_percent` of the time since the previous event.
    fn tolerance(&self, at: i64) -> i64 {
        self.tolerance_over(self.last.map_or(0, |(t, _)| at - t))
    }

    /// The tolerance for an event `delta` µs after the one it is timed from.
    fn tolerance_over(&self, delta: i64) -> i64 {
        let dynamic = (self.tolerance_percent / 100.0 * delta.max(0) as f64) as i64;
        self.tolerance_usecs.max(dynamic)
    }

    /// Runs the stack until `t`, completing a blocked call on the way if it can.
    fn wait_until(&mut self, t: Time) -> Result<(), Stop> {
        while self.step(t) {
            self.check_pending()?;
        }
        self.now = self.now.max(t);
        self.check_pending()
    }

    fn command(&mut self, line: u32, text: &str) -> Result<(), Stop> {
        let shell = run_shell(text, &mut self.config);
        if let Some(why) = shell.unsupported {
            return Err(Outcome::Unsupported(format!("line {line}: {why}")));
        }
        if shell.tso_off {
            self.tso = false;
        }
        self.notes.extend(shell.applied);
        self.notes.extend(shell.gaps);
        self.reconfigure(line, "a sysctl", |_| {})
    }

    /// A new stack with the current config (and `change` applied), listening where the old
    /// one did: possible only while no connection exists, since synack's config is per stack.
    fn reconfigure(
        &mut self,
        line: u32,
        what: &str,
        change: impl FnOnce(&mut Config),
    ) -> Result<(), Stop> {
        let mut config = self.config.clone();
        change(&mut config);
        if let Err(e) = config.validate() {
            return Err(Outcome::Unsupported(format!("line {line}: {what}: {e}")));
        }
        if config == *self.stack.config() {
            self.config = config;
            return Ok(());
        }
        if self.stack.connections().next().is_some() || self.stack.time_waits().next().is_some() {
            return Err(Outcome::Unsupported(format!(
                "line {line}: {what} while a connection exists (synack's settings are per stack)"
            )));
        }
        let ports: Vec<u16> = self.stack.listeners().map(|l| l.port()).collect();
        let (stack, ids) = new_stack(&config, &ports);
        for fd in self.fds.values_mut() {
            if let Sock::Listener { id, port, .. } = &mut fd.sock {
                let i = ports.iter().position(|p| p == port).expect("listening");
                *id = ids[i];
            }
        }
        self.stack = stack;
        // The backlogs `listen()` gave are the sockets', not the settings'.
        for fd in self.fds.values() {
            if let Sock::Listener {
                id,
                backlog: Some(b),
                ..
            } = fd.sock
            {
                self.stack.set_backlog(id, b);
            }
        }
        self.config = config;
        Ok(())
    }

    /// A `%{ assert tcpi_… }%` block, against the most recent connection's socket.
    fn tcp_info(&mut self, line: u32, code: &str) -> Result<(), Stop> {
        let asserts =
            assertions(code).map_err(|why| Outcome::Unsupported(format!("line {line}: {why}")))?;
        let conn = self.fds.values().rev().find_map(|fd| self.live(&fd.sock));
        let Some(id) = conn else {
            return Err(self.fail(
                line,
                "error in Python code",
                "no live connection for TCP_INFO".into(),
            ));
        };
        for a in asserts {
            let actual = self.tcpi(id, &a.field);
            if !a.holds(actual) {
                let what = format!(
                    "AssertionError: {} {} {} (actual {actual})",
                    a.field, a.op, a.value
                );
                return Err(self.fail(line, "error in Python code", what));
            }
        }
        Ok(())
    }

    /// A `TCP_INFO` field as Linux reports it: windows in segments, times in µs.
    fn tcpi(&self, id: ConnId, field: &str) -> i64 {
        let c = self.stack.connection(id);
        let mss = u64::from(c.mss().max(1));
        let v = match field {
            "tcpi_snd_cwnd" => c.cwnd() / mss,
            // Linux's TCP_INFINITE_SSTHRESH before the first loss.
            "tcpi_snd_ssthresh" => (c.ssthresh() / mss).min(0x7fff_ffff),
            "tcpi_snd_mss" => u64::from(c.mss()),
            "tcpi_advmss" => u64::from(self.stack.config().mss),
            "tcpi_unacked" => c.flight_size().div_ceil(mss),
            "tcpi_rto" => c.rto().as_nanos() / 1_000,
            "tcpi_total_retrans" => c.stats().retransmits,
            "tcpi_ca_state" => u64::from(c.ca_state()),
            "tcpi_sacked" => u64::from(c.sacked_out()),
            _ => unreachable!("assertions() admits known fields only"),
        };
        v as i64
    }

    fn fail(&self, line: u32, context: &str, what: String) -> Stop {
        Outcome::Fail(Failure {
            line,
            context: context.to_string(),
            what,
            detail: Vec::new(),
        })
    }
}

/// A stack at [`LOCAL_ADDR`] listening on `ports`, with fixed seeds: every run of a script is
/// the same.
fn new_stack(config: &Config, ports: &[u16]) -> (Stack<u32, u32>, Vec<ListenerId>) {
    let isn = IsnGenerator::new(config.isn, ChaCha8Rng::seed_from_u64(1));
    let mut stack = Stack::new(LOCAL_ADDR, config.clone(), isn);
    let ids = ports
        .iter()
        .map(|&p| {
            stack
                .listen(p, &mut listener_rng())
                .expect("distinct ports")
        })
        .collect();
    (stack, ids)
}

/// Where a listener's cookie secret is drawn from: the same every run.
fn listener_rng() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(2)
}
