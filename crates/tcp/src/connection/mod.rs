//! One TCP connection: the RFC 9293 state machine, sans-IO.
//!
//! Inputs are method calls — [`Connection::handle_segment`], [`Connection::handle_timeout`]
//! and the application's [`connect`](Connection::connect), [`accept`](Connection::accept),
//! [`send`](Connection::send), [`close`](Connection::close), [`abort`](Connection::abort).
//! Outputs are polled: [`poll_transmit`](Connection::poll_transmit) (segments to put on the
//! wire), [`poll_timeout`](Connection::poll_timeout) (when to call `handle_timeout` next) and
//! [`poll_event`](Connection::poll_event) (what the application learns).
//!
//! Simplified, and what it costs:
//! - No payload: the stream is sequence numbers only, so the receiving application is told
//!   byte *counts*. Nothing checks content; reassembly keeps ranges.
//! - The receiving application reads at once: only data held beyond a hole takes room in
//!   the receive buffer. The window is the whole buffer (up to what the agreed window scale
//!   expresses), or with `recv_autotuning` Linux's (`window.rs`). Receiver-limited
//!   transfers (a slow reader) are not modelled; flow control still bounds the sender by
//!   the advertised window, and a zero window from a peer is probed by the persist timer.
//! - With SACK, recovery is RFC 6675 with PRR (`recovery.rs`); losses are found by RFC
//!   6675's rule and by RACK's time-based one (RFC 8985 §6.2), first transmissions and
//!   retransmissions alike, but there is no tail loss probe: a lost tail waits for the
//!   retransmission timer.
//!   No D-SACK, no undo, no F-RTO. After a timeout the resend is go-back-N, skipping what was
//!   SACKed. Without SACK, `recovery = "linux"` runs the same recovery on Linux's Reno-mode
//!   count of duplicate ACKs; `recovery = "rfc"` is RFC 5681/6582 with window inflation, no
//!   limited transmit (RFC 3042), and RFC 6582 §4's "Impatient" timer: only the first
//!   partial ACK resets it, so a window with more holes than one RTO has round trips for
//!   ends in a timeout.
//! - RTT: with `rtt_estimation = "rfc6298"` one sample per round trip (a single timed
//!   segment); with `"linux"` one per ACK of new data (`rtt_sample`). Congestion control
//!   gets one per ACK either way (Linux's `ca_rtt_us`). Timestamps tick at 1 ms (Linux's
//!   TCP clock) and serve RTTM and PAWS (§5), also in TIME-WAIT. A segment without
//!   timestamps on a connection that agreed on them is accepted, as Linux accepts it (RFC
//!   7323 §3.2 says it SHOULD be dropped).
//! - No Nagle (RFC 896); sender-side silly-window avoidance only: a segment shorter than
//!   the SMSS goes out when it carries the end of the queued data or nothing is in flight.
//! - Data on a SYN is ignored; no URG, no PSH, no keep-alive, no PMTU discovery.
//! - A data retransmission gives up after [`DATA_RETRIES`] timeouts, counted rather than
//!   timed as Linux's `tcp_retries2` is; or, with a `user_timeout`, once that long has
//!   passed since the first of them, as Linux's `TCP_USER_TIMEOUT` does.
//! - ACKs: RFC 1122's delayed ACKs, or with `quick_ack` Linux's policy (`acks.rs`).
//! - A lost SYN or SYN-ACK leaves an initial window of one segment (RFC 5681 §3.1) after a
//!   single retransmission; Linux waits for a second one (`tcp_init_transfer`).
//! - RFC 5961 in part: RSTs and SYNs are validated (§3, §4) and the challenge ACKs and
//!   answers to unacceptable segments are throttled per connection (§7, as Linux's
//!   `tcp_invalid_ratelimit`; `invalid_ratelimit`), but old ACKs are not checked against
//!   MAX.SND.WND (§5).
//! - One flat set of send and receive variables for every state, rather than per-state
//!   data: a TIME-WAIT connection is as large as an established one, until the caller
//!   swaps it for a compact [`TimeWait`] ([`Connection::into_time_wait`]).
//! - A connection knows its ports only; the caller demultiplexes by address.

mod acks;
mod ecn;
mod input;
mod options;
mod output;
mod recovery;
mod timeout;
mod tlp;
mod window;

pub(crate) use options::{paws_rejects, stamp_seconds, ts_before};
pub use options::{syn_window, ts_clock, wscale_for, MAX_WSCALE, TIMESTAMPS_LEN, TS_OFFSET};

pub(crate) use input::{acceptable, oow_rate_limited};

use std::collections::VecDeque;

use synack_sim::{Duration, Time};

use crate::config::{Config, Handshake, LossRecovery, RttEstimation};
use crate::congestion::{CongestionControl, Controller};
use crate::error::{AcceptError, CloseError, SendError};
use crate::reassembly::Reassembly;
use crate::rtt::RttEstimator;
use crate::sack::Scoreboard;
use crate::segment::{Options, SackBlocks, Segment};
use crate::sent::SentLog;
use crate::seq::Seq;
use crate::state::State;
use crate::time_wait::TimeWait;

use crate::timer::{Timer, TimerTable};
use options::Agreed;

/// Timeouts of data or FIN before the connection gives up (Linux `tcp_retries2` = 15,
/// which Linux converts to a time of about 924.6 s; counted here).
pub const DATA_RETRIES: u32 = 15;

/// RFC 9293 §3.7.1: the MSS assumed when the peer's SYN carries no MSS option.
pub const DEFAULT_MSS: u32 = 536;

/// RFC 6298 (5.7): the RTO once data transmission begins after a SYN timed out.
pub const RTO_AFTER_SYN_TIMEOUT: Duration = Duration::from_secs(3);

/// RFC 7323 §2.3: the largest window scaling can express.
const MAX_WINDOW: u64 = 1 << 30;

/// The largest window the 16-bit field expresses unscaled.
const MAX_UNSCALED: u64 = 65_535;

/// What the application learns, in the order it happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The state changed.
    StateChanged { from: State, to: State },
    /// ESTABLISHED was reached.
    Connected,
    /// This many more bytes arrived in order (and were read by the application).
    DataReceived(u64),
    /// The peer acknowledged this many more bytes of ours: send-buffer space freed.
    Acked(u64),
    /// The peer closed its direction (its FIN arrived in order).
    PeerFin,
    /// CLOSED was reached in an orderly way (the FIN exchange, or a local `close`/`abort`).
    Closed,
    /// CLOSED was reached because the peer reset the connection.
    Reset,
    /// CLOSED was reached because retransmissions were exhausted.
    TimedOut,
}

/// Counters of one connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub segments_sent: u64,
    /// Data and FIN segments sent again (SYNs are counted apart).
    pub retransmits: u64,
    // Events per connection: 32 bits hold any count one connection can reach, and keep
    // a `TimeWait` (which carries these) within its 128 bytes.
    pub rto_timeouts: u32,
    pub fast_retransmits: u32,
    /// Tail loss probes sent (Linux's `TCPLossProbes`).
    pub loss_probes: u32,
    pub syn_retransmits: u32,
    /// SYN-ACKs sent again: on a timeout, on the peer's SYN arriving again, and the one a
    /// simultaneous open sends (its SYN again, now with an ACK).
    pub synack_retransmits: u32,
    /// Bytes written by the application and never sent (`passive_close = "with-ack"`).
    pub unsent_discarded: u64,
}

/// The send side: RFC 9293 §3.3.1's SND variables, and the application's stream.
#[derive(Clone, Debug)]
struct Send {
    /// ISS.
    iss: Seq,
    /// SND.UNA.
    una: Seq,
    /// SND.NXT: the next sequence number to send; rewound to UNA by a timeout (go-back-N).
    nxt: Seq,
    /// The highest sequence number sent so far, plus one.
    max: Seq,
    /// SND.WND, SND.WL1, SND.WL2.
    wnd: u32,
    wl1: Seq,
    wl2: Seq,
    /// Bytes the application has written, and of those, acknowledged.
    written: u64,
    acked: u64,
    /// The application closed: a FIN follows the data.
    closed: bool,
    /// SMSS: the smaller of ours and the peer's MSS option.
    mss: u32,
    /// The segment being timed for an RTT sample: (the ACK that completes it, sent at).
    timed: Option<(Seq, Time)>,
    /// Our SYN (or SYN-ACK) was sent more than once.
    syn_retransmitted: bool,
    /// Zero-window probes sent since the window was last open.
    probes: u32,
}

/// The receive side: RCV variables, and the stream delivered so far.
#[derive(Clone, Debug)]
struct Recv {
    /// IRS.
    irs: Seq,
    /// RCV.NXT.
    nxt: Seq,
    /// RCV.WND, bytes: the receive buffer, up to what the agreed window scale expresses.
    wnd: u32,
    /// RCV.NXT when we last sent an ACK (RFC 7323 §4.3's Last.ACK.sent).
    last_ack_sent: Seq,
    /// The blocks held beyond a hole, the one most recently added to first (RFC 2018 §4).
    sacks: SackBlocks,
    stream: Reassembly,
    /// Stream offset of the peer's FIN, once seen (possibly beyond a hole).
    fin_at: Option<u64>,
    fin_received: bool,
    /// The application reads no more (close(), or shutdown with SHUT_RD: Linux's
    /// `RCV_SHUTDOWN`).
    shut: bool,
    /// Bytes accepted since our last ACK (RFC 5681 §4.2: ACK every second full segment).
    unacked: u64,
    /// An ACK is due now.
    ack_now: bool,
    /// Quick-ACK, ATO and pingpong state (with `quick_ack`).
    acks: acks::AckState,
    /// Receive-buffer autotuning (with `recv_autotuning`).
    tune: window::Tuning,
}

/// Loss detection and fast recovery bookkeeping (RFC 5681 §3.2, RFC 6582 §3.2).
#[derive(Clone, Debug)]
struct Recovery {
    dup_acks: u32,
    in_recovery: bool,
    /// RFC 6582 "recover": the highest sequence number sent when recovery began.
    recover: Seq,
    /// A partial ACK has arrived in this recovery: the retransmission timer was reset on it
    /// and is not reset again until recovery ends (RFC 6582 §3.2 (5), "Impatient").
    partial_acked: bool,
    /// With SACK: what the receiver holds beyond SND.UNA (RFC 6675 §3).
    board: Scoreboard,
    /// With SACK: HighRxt, the end of the last retransmission in this recovery (RFC 6675).
    high_rxt: Seq,
    /// With SACK: proportional rate reduction's counters (RFC 6937).
    prr: recovery::Prr,
    /// With SACK: this recovery's retransmissions, watched for their own loss (RACK).
    resent: recovery::Watched,
    /// Without SACK, `recovery = "linux"`: duplicate ACKs counted as segments that left the
    /// network (Linux's `sacked_out` in Reno mode).
    reno_sacked: u32,
    /// The bytes from SND.UNA up to here are marked lost beyond RFC 6675's rule: by RACK
    /// with SACK, by `tcp_newreno_mark_lost` (the first segment) without.
    marked_lost: Seq,
    /// A timeout's go-back-N is under way: SND.UNA has not passed `recover` since (Linux's
    /// `TCP_CA_Loss`).
    after_rto: bool,
    /// RACK (with SACK): when the newest delivered first transmission went out, and the
    /// round trip of its delivery.
    rack_xmit: Option<Time>,
    rack_rtt: Duration,
    /// The lowest round trip measured, and when (Linux's windowed `tcp_min_rtt`, for RACK's
    /// reordering window).
    min_rtt: Option<(Duration, Time)>,
    /// A tail loss probe is out: SND.NXT when it went (Linux's `tlp_high_seq`), and whether
    /// it resent data rather than sending new (`tlp_retrans`).
    tlp_high: Option<Seq>,
    tlp_retrans: bool,
    /// An ACK of new data asks for the probe timer to be set again (`FLAG_SET_XMIT_TIMER`);
    /// `push` does it once the sending it allows is done.
    tlp_rearm: bool,
}

/// The growable buffers of a connection, empty: what a [`Stack`](crate::Stack) keeps of a
/// connection that ended and gives the next one, so that in a steady stream of connections
/// none allocates (each would otherwise grow three queues from nothing, and free them).
#[derive(Clone, Debug, Default)]
pub(crate) struct Buffers {
    out: VecDeque<Segment>,
    events: VecDeque<Event>,
    sent: VecDeque<(Seq, Time)>,
}

/// One TCP connection.
#[derive(Clone, Debug)]
pub struct Connection {
    config: Config,
    state: State,
    local_port: u16,
    remote_port: u16,
    /// Opened by `accept` (passive open).
    passive: bool,
    timers: TimerTable,
    out: VecDeque<Segment>,
    events: VecDeque<Event>,
    snd: Send,
    rcv: Recv,
    rtt: RttEstimator,
    cc: Controller,
    /// Transmission times and window use, for congestion control.
    sent: SentLog,
    recovery: Recovery,
    /// The options agreed in the handshake.
    agreed: Agreed,
    /// ECN (RFC 3168): agreed or not, and the state of its signals.
    ecn: ecn::EcnState,
    /// Consecutive timeouts of the current retransmission.
    retries: u32,
    /// When the first of those timeouts resent (Linux's `retrans_stamp`): what the user
    /// timeout counts from.
    retrans_stamp: Option<Time>,
    /// SYN-ACK retransmissions allowed now, when the listener lowered them (SYN-queue
    /// pruning); else `synack_retries`.
    synack_limit: Option<u32>,
    /// When the last answer to an unacceptable segment or challenge ACK went out
    /// (milliseconds), for `invalid_ratelimit` ([`oow_rate_limited`]), kept into TIME-WAIT.
    last_oow_ack: u32,
    stats: Stats,
}

impl Connection {
    fn new(
        config: &Config,
        local_port: u16,
        remote_port: u16,
        iss: Seq,
        buffers: Buffers,
    ) -> Connection {
        let Buffers { out, events, sent } = buffers;
        debug_assert!(out.is_empty() && events.is_empty());
        let mss = config.mss;
        // Unscaled until the handshake agrees on a shift.
        let wnd = config.recv_buffer.min(MAX_UNSCALED) as u32;
        Connection {
            config: config.clone(),
            state: State::Closed,
            local_port,
            remote_port,
            passive: false,
            timers: TimerTable::default(),
            out,
            events,
            snd: Send {
                iss,
                una: iss,
                nxt: iss,
                max: iss,
                wnd: 0,
                wl1: Seq(0),
                wl2: iss,
                written: 0,
                acked: 0,
                closed: false,
                mss,
                timed: None,
                syn_retransmitted: false,
                probes: 0,
            },
            rcv: Recv {
                irs: Seq(0),
                nxt: Seq(0),
                wnd,
                last_ack_sent: Seq(0),
                sacks: SackBlocks::default(),
                stream: Reassembly::default(),
                fin_at: None,
                fin_received: false,
                shut: false,
                unacked: 0,
                ack_now: false,
                acks: acks::AckState::default(),
                tune: window::Tuning::default(),
            },
            rtt: match config.rtt_estimation {
                RttEstimation::Rfc6298 => {
                    RttEstimator::new(config.initial_rto, config.min_rto, config.max_rto)
                }
                RttEstimation::Linux => {
                    RttEstimator::linux(config.initial_rto, config.min_rto, config.max_rto)
                }
            },
            cc: Controller::with_growth(
                config.congestion,
                config.cwnd_growth,
                u64::from(mss),
                config.initial_window(u64::from(mss)),
            ),
            sent: SentLog::new(iss, sent),
            recovery: Recovery {
                dup_acks: 0,
                in_recovery: false,
                // RFC 6582 §3.2 (1): recover is initialised to the ISS.
                recover: iss,
                partial_acked: false,
                board: Scoreboard::default(),
                high_rxt: iss,
                prr: recovery::Prr::default(),
                resent: recovery::Watched::default(),
                reno_sacked: 0,
                marked_lost: iss,
                after_rto: false,
                rack_xmit: None,
                rack_rtt: Duration::ZERO,
                min_rtt: None,
                tlp_high: None,
                tlp_retrans: false,
                tlp_rearm: false,
            },
            agreed: Agreed::default(),
            ecn: ecn::EcnState::default(),
            retries: 0,
            retrans_stamp: None,
            synack_limit: None,
            last_oow_ack: 0,
            stats: Stats::default(),
        }
    }

    /// Active open (RFC 9293 §3.10.1): sends a SYN with sequence number `iss` at `now`.
    pub fn connect(
        now: Time,
        config: &Config,
        local_port: u16,
        remote_port: u16,
        iss: Seq,
    ) -> Connection {
        Connection::connect_with(
            now,
            config,
            (local_port, remote_port),
            iss,
            Buffers::default(),
        )
    }

    /// [`Connection::connect`] into `buffers`.
    pub(crate) fn connect_with(
        now: Time,
        config: &Config,
        (local_port, remote_port): (u16, u16),
        iss: Seq,
        buffers: Buffers,
    ) -> Connection {
        let mut c = Connection::new(config, local_port, remote_port, iss, buffers);
        c.set_state(State::SynSent);
        c.send_syn(now);
        c
    }

    /// Passive open: a listener on `local_port` received `syn` at `now` and answers with a
    /// SYN-ACK of sequence number `iss` (RFC 9293 §3.10.7.2, LISTEN, third). The connection
    /// starts in LISTEN and reports its move to SYN-RECEIVED (or, with `handshake =
    /// "two-way"`, on to ESTABLISHED).
    pub fn accept(
        now: Time,
        config: &Config,
        local_port: u16,
        syn: &Segment,
        iss: Seq,
    ) -> Result<Connection, AcceptError> {
        Connection::accept_with(now, config, local_port, syn, iss, Buffers::default())
    }

    /// [`Connection::accept`] into `buffers`.
    pub(crate) fn accept_with(
        now: Time,
        config: &Config,
        local_port: u16,
        syn: &Segment,
        iss: Seq,
        buffers: Buffers,
    ) -> Result<Connection, AcceptError> {
        if !syn.flags.syn() || syn.flags.ack() || syn.flags.rst() {
            return Err(AcceptError::NotSyn);
        }
        let mut c = Connection::new(config, local_port, syn.src_port, iss, buffers);
        c.state = State::Listen;
        c.passive = true;
        c.take_peer_syn(now, syn);
        c.set_window(syn);
        c.set_state(State::SynReceived);
        c.send_syn(now);
        if c.config.handshake == Handshake::TwoWay {
            // Ablation: ESTABLISHED on the SYN alone (what RFC 9293 §3.5's third segment
            // exists to prevent).
            c.establish(now);
        }
        Ok(c)
    }

    /// A connection completed by a SYN cookie (RFC 4987 §3.6): the listener kept no state,
    /// so it is rebuilt from the final `ack` — our ISS is its ACK − 1 (the cookie), the
    /// peer's ISN its SEQ − 1, the peer's MSS and options what the cookie encoded — and
    /// enters ESTABLISHED at once; any data or FIN on the ACK is then processed as usual.
    /// `ecn`: the cookie says ECN was granted (Linux `cookie_ecn_ok`).
    pub fn from_cookie(
        now: Time,
        config: &Config,
        local_port: u16,
        ack: &Segment,
        iss: Seq,
        (peer_mss, peer_options, ecn): (u32, Options, bool),
    ) -> Connection {
        let mut c = Connection::new(config, local_port, ack.src_port, iss, Buffers::default());
        c.state = State::Listen;
        c.passive = true;
        c.snd.una = iss + 1;
        c.snd.nxt = iss + 1;
        c.snd.max = iss + 1;
        let syn = Segment {
            seq: ack.seq - 1,
            opts: Options {
                mss: Some(peer_mss.min(u32::from(u16::MAX)) as u16),
                ..peer_options
            },
            ..*ack
        };
        c.take_peer_syn(now, &syn);
        c.ecn_from_cookie(ecn);
        c.rcv.last_ack_sent = c.rcv.nxt;
        c.set_window(ack);
        c.establish(now);
        c.handle_segment(now, ack);
        c
    }

    /// Empties the connection's buffers and hands them over, for the next connection: what
    /// it had yet to hand out (segments, events) is discarded.
    pub(crate) fn take_buffers(&mut self) -> Buffers {
        let mut out = std::mem::take(&mut self.out);
        let mut events = std::mem::take(&mut self.events);
        out.clear();
        events.clear();
        Buffers {
            out,
            events,
            sent: self.sent.take_buffer(),
        }
    }

    /// Queues up to `bytes` more bytes for sending (RFC 9293 §3.10.2); returns how many the
    /// send buffer took.
    pub fn send(&mut self, now: Time, bytes: u64) -> Result<u64, SendError> {
        if self.snd.closed {
            return Err(SendError::Closing);
        }
        if !self.state.can_send() {
            return Err(SendError::InvalidState(self.state));
        }
        let taken = bytes.min(self.send_space());
        if taken > 0 {
            self.restart_after_idle(now);
        }
        self.snd.written += taken;
        self.push(now);
        Ok(taken)
    }

    /// Closes our direction (RFC 9293 §3.10.4): a FIN follows the queued data.
    pub fn close(&mut self, now: Time) -> Result<(), CloseError> {
        if matches!(self.state, State::Closed | State::Listen) {
            return Err(CloseError::NotOpen);
        }
        if self.snd.closed {
            return Err(CloseError::AlreadyClosing);
        }
        match self.state {
            State::Closed | State::Listen => return Err(CloseError::NotOpen),
            // "Delete the TCB": nothing was acknowledged, nothing to say.
            State::SynSent => {
                self.finish(Event::Closed);
                return Ok(());
            }
            // "Queue for processing after entering ESTABLISHED state."
            State::SynReceived => self.snd.closed = true,
            State::Established => {
                self.snd.closed = true;
                self.set_state(State::FinWait1);
            }
            State::CloseWait => {
                self.snd.closed = true;
                self.set_state(State::LastAck);
            }
            State::FinWait1
            | State::FinWait2
            | State::Closing
            | State::LastAck
            | State::TimeWait => return Err(CloseError::AlreadyClosing),
        }
        self.push(now);
        Ok(())
    }

    /// Aborts (RFC 9293 §3.10.5): sends a RST where the peer has a connection to reset, and
    /// enters CLOSED at once. Does nothing when already CLOSED.
    pub fn abort(&mut self, now: Time) {
        match self.state {
            State::SynReceived
            | State::Established
            | State::FinWait1
            | State::FinWait2
            | State::CloseWait => {
                // <SEQ=SND.NXT><CTL=RST>; SND.NXT here is the highest sent, as go-back-N may
                // have rewound ours. With `rst_ack`, <ACK=RCV.NXT><CTL=RST,ACK> and our
                // window, as Linux's `tcp_send_active_reset`.
                let ack = self.config.rst_ack.then_some(self.rcv.nxt);
                let mut rst = Segment::rst(self.local_port, self.remote_port, self.snd.max, ack);
                if ack.is_some() {
                    rst.window = self.window_field(false);
                }
                rst.opts.timestamp = self.agreed.timestamp(now);
                self.emit_control(rst);
            }
            State::Closed => return,
            State::Listen | State::SynSent | State::Closing | State::LastAck | State::TimeWait => {}
        }
        self.finish(Event::Closed);
    }

    /// The application will read no more: close() (before [`close`](Self::close)), or
    /// shutdown with `SHUT_RD`. New data that arrives once our FIN is out then resets the
    /// connection, as in Linux (see `handle_segment`).
    pub fn shutdown_read(&mut self) {
        self.rcv.shut = true;
    }

    /// Ends the connection and answers `seg` with the reset a segment that reaches no
    /// connection draws (RFC 9293 §3.10.7.1: <SEQ=SEG.ACK><CTL=RST>, or
    /// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> without an ACK): Linux's `embryonic_reset`
    /// of a half-open connection (`tcp_v4_send_reset`), as `abort_on_overflow` asks.
    pub fn reset_answering(&mut self, seg: &Segment) {
        self.reset_answering_as(seg, Event::Closed);
    }

    /// [`reset_answering`](Self::reset_answering), reporting the end as `end`.
    pub(crate) fn reset_answering_as(&mut self, seg: &Segment, end: Event) {
        if self.state == State::Closed {
            return;
        }
        let rst = if seg.flags.ack() {
            Segment::rst(self.local_port, self.remote_port, seg.ack, None)
        } else {
            Segment::rst(self.local_port, self.remote_port, Seq(0), Some(seg.end()))
        };
        self.emit_control(rst);
        self.finish(end);
    }

    /// The next segment to put on the wire.
    pub fn poll_transmit(&mut self) -> Option<Segment> {
        self.out.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    pub fn poll_timeout(&self) -> Option<Time> {
        self.timers.next()
    }

    /// The next thing the application should learn.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    pub fn state(&self) -> State {
        self.state
    }
    pub fn local_port(&self) -> u16 {
        self.local_port
    }
    pub fn remote_port(&self) -> u16 {
        self.remote_port
    }
    pub fn config(&self) -> &Config {
        &self.config
    }
    pub fn stats(&self) -> Stats {
        self.stats
    }
    /// The current retransmission timeout.
    pub fn rto(&self) -> Duration {
        self.rtt.rto()
    }
    /// The smoothed RTT, once measured.
    pub fn srtt(&self) -> Option<Duration> {
        self.rtt.srtt()
    }
    /// The congestion window, bytes.
    pub fn cwnd(&self) -> u64 {
        self.cc.window()
    }
    /// The slow-start threshold, bytes.
    pub fn ssthresh(&self) -> u64 {
        self.cc.ssthresh()
    }
    /// SMSS: the segment size in use.
    pub fn mss(&self) -> u32 {
        self.snd.mss
    }
    /// The options the handshake agreed on: SACK, timestamps, and the window scales as
    /// (the peer's shift, ours), `None` without window scaling.
    pub fn agreed_options(&self) -> (bool, bool, Option<(u8, u8)>) {
        let a = &self.agreed;
        let scales = a.scaling.then_some((a.snd_wscale, a.rcv_wscale));
        (a.sack, a.timestamps, scales)
    }
    /// Whether ECN (RFC 3168) was agreed in the handshake.
    pub fn ecn_agreed(&self) -> bool {
        self.ecn.ok
    }
    /// SND.WND: the peer's window in bytes, scaled.
    pub fn send_window(&self) -> u32 {
        self.snd.wnd
    }
    /// Timeouts of our SYN or SYN-ACK so far (0 once the handshake is over and data flows).
    pub fn syn_timeouts(&self) -> u32 {
        if self.syn_acked() {
            0
        } else {
            self.retries
        }
    }
    /// Lowers the SYN-ACK retransmissions this half-open connection may still make (Linux's
    /// SYN-queue pruning, decided by its listener).
    pub fn limit_synack_retries(&mut self, n: u32) {
        self.synack_limit = Some(n);
    }
    /// ISS and IRS (the latter 0 until the peer's SYN arrives).
    pub fn isn(&self) -> (Seq, Seq) {
        (self.snd.iss, self.rcv.irs)
    }
    /// RFC 1122 §4.2.2.13: a connection in TIME-WAIT MAY let a new SYN reopen its 4-tuple
    /// when the SYN's sequence number lies beyond the old incarnation's (RCV.NXT), as Linux
    /// does without timestamps (`tcp_timewait_state_process`). The caller then drops this
    /// connection and passes the SYN to [`accept`](Self::accept) with an ISN of at least
    /// [`successor_isn`](Self::successor_isn).
    pub fn time_wait_accepts(&self, syn: &Segment) -> bool {
        self.time_wait().is_some_and(|tw| tw.accepts(syn))
    }

    /// This connection reduced to what TIME-WAIT needs: a [`TimeWait`] of at most 128 bytes
    /// (Linux keeps a small `inet_timewait_sock` for the same reason), which answers as this
    /// connection would: in TIME-WAIT the connection answers through the same [`TimeWait`].
    /// `Err(self)` unless the connection is in TIME-WAIT with its 2·MSL timer running and
    /// nothing left to poll: drain [`poll_transmit`](Self::poll_transmit) and
    /// [`poll_event`](Self::poll_event) first, so that the last ACK and the move to
    /// TIME-WAIT are not lost.
    // The error hands the connection back by value, as `TryFrom` conversions do; it is
    // moved once per close, not per segment, so its size does not matter here.
    #[allow(clippy::result_large_err)]
    pub fn into_time_wait(self) -> Result<TimeWait, Connection> {
        match self.time_wait() {
            Some(tw) if self.can_shrink() => Ok(tw),
            _ => Err(self),
        }
    }

    /// Whether [`into_time_wait`](Self::into_time_wait) would succeed: TIME-WAIT with its
    /// 2·MSL timer running, and nothing left to poll.
    pub(crate) fn can_shrink(&self) -> bool {
        let drained = self.out.is_empty() && self.events.is_empty();
        self.time_wait().is_some() && drained
    }

    /// [`into_time_wait`](Self::into_time_wait) without giving the connection up: for a
    /// caller that drops it where it lies.
    pub(crate) fn shrunk(&self) -> Option<TimeWait> {
        self.time_wait().filter(|_| self.can_shrink())
    }

    /// In TIME-WAIT with its 2·MSL timer running, the connection's state as a [`TimeWait`]:
    /// the one implementation of TIME-WAIT, which the connection runs its segments and its
    /// timer through (and then takes back the deadline and counters), and which
    /// [`into_time_wait`](Self::into_time_wait) hands over.
    fn time_wait(&self) -> Option<TimeWait> {
        let deadline = self.timers.get(Timer::TimeWait)?;
        (self.state == State::TimeWait).then(|| {
            TimeWait::new(
                (self.local_port, self.remote_port),
                // SND.NXT: the highest sent (go-back-N may have rewound ours), as every ACK
                // sent in TIME-WAIT carries it.
                self.snd.max,
                (self.rcv.nxt, self.rcv.wnd, self.agreed.rcv_wscale),
                (deadline, self.config.time_wait_len()),
                (
                    self.config.time_wait_rules,
                    self.config.rfc1337,
                    (self.last_oow_ack, self.invalid_ratelimit_ms() as u16),
                ),
                (
                    self.agreed.timestamps.then_some(self.agreed.ts_recent),
                    self.agreed.ts_recent_stamp,
                ),
                self.stats,
            )
        })
    }

    /// An ISN above every sequence number this connection used: Linux takes
    /// `tw_snd_nxt + 65535 + 2` for a connection reopened from TIME-WAIT (1 should that be 0).
    pub fn successor_isn(&self) -> Seq {
        crate::time_wait::tw_isn(self.snd.max)
    }

    /// Sets this connection's send buffer (`SO_SNDBUF` on a connected socket; the stack's
    /// `send_buffer` was its first value).
    pub fn set_send_buffer(&mut self, bytes: u64) {
        self.config.send_buffer = bytes;
    }

    /// Sets this connection's user timeout (`TCP_USER_TIMEOUT` on a socket; `None` clears
    /// it): see [`Config::user_timeout`].
    pub fn set_user_timeout(&mut self, timeout: Option<Duration>) {
        self.config.user_timeout = timeout;
    }

    /// How many more bytes [`send`](Self::send) would take.
    pub fn send_space(&self) -> u64 {
        let buffered = self.snd.written - self.snd.acked;
        self.config
            .send_buffer
            .min(MAX_WINDOW)
            .saturating_sub(buffered)
    }
    /// FlightSize (RFC 5681 §2): SND.NXT − SND.UNA, the sequence space sent and not yet
    /// acknowledged (a SYN or FIN in flight counts one). A timeout rewinds SND.NXT to
    /// SND.UNA (go-back-N), so it drops to zero there.
    pub fn flight_size(&self) -> u64 {
        u64::from(self.snd.nxt.since(self.snd.una))
    }
    /// Linux's congestion-avoidance state as `TCP_INFO` reports it (`tcpi_ca_state`): 0
    /// Open, 1 Disorder (segments SACKed, or duplicate ACKs counted, with no recovery), 2
    /// CWR (reducing after an ECN echo), 3 Recovery, 4 Loss (a timeout's go-back-N).
    pub fn ca_state(&self) -> u8 {
        let r = &self.recovery;
        if r.after_rto {
            4
        } else if r.in_recovery {
            3
        } else if self.ecn.cwr_high.is_some() {
            2
        } else if self.sacked_out() > 0 {
            1
        } else {
            0
        }
    }
    /// Segments the receiver holds beyond SND.UNA (Linux's `sacked_out`, `tcpi_sacked`):
    /// SACKed ones, or without SACK the duplicate ACKs counted for them.
    pub fn sacked_out(&self) -> u32 {
        let r = &self.recovery;
        if self.agreed.sack {
            let bytes = r.board.bytes_in(self.snd.una, self.snd.max);
            bytes.div_ceil(self.snd.mss.max(1))
        } else if self.config.recovery == LossRecovery::Linux {
            r.reno_sacked
        } else {
            r.dup_acks
        }
    }
    /// Bytes written by the application and not yet acknowledged.
    pub fn unacked_bytes(&self) -> u64 {
        self.snd.written - self.snd.acked
    }
    /// Bytes received in order (and read) so far.
    pub fn bytes_received(&self) -> u64 {
        self.rcv.stream.delivered()
    }
    /// Bytes the peer has acknowledged so far.
    pub fn bytes_acked(&self) -> u64 {
        self.snd.acked
    }

    fn set_state(&mut self, to: State) {
        if to != self.state {
            self.events.push_back(Event::StateChanged {
                from: self.state,
                to,
            });
            self.state = to;
        }
    }

    /// Enters CLOSED, ending with `why`. Segments already queued still go out.
    fn finish(&mut self, why: Event) {
        self.timers.stop_all();
        self.rcv.ack_now = false;
        self.set_state(State::Closed);
        self.events.push_back(why);
    }

    /// The peer's SYN: IRS, RCV.NXT, its MSS option (RFC 9293 §3.10.7.2-3, §3.7.1) and the
    /// options both ends offered. With timestamps every segment's payload is 12 bytes
    /// shorter (Linux `tcp_sync_mss`), and the receive window is what the agreed shift lets
    /// the 16-bit field express.
    fn take_peer_syn(&mut self, now: Time, syn: &Segment) {
        self.rcv.irs = syn.seq;
        self.rcv.nxt = syn.seq + 1;
        // What our SYN-ACK or ACK acknowledges: the window's left edge (Linux `rcv_wup`).
        self.rcv.last_ack_sent = self.rcv.nxt;
        self.agreed.take_peer_syn(now, &self.config, &syn.opts);
        self.ecn_take_peer_syn(syn);
        let peer_mss = syn.opts.mss.map_or(DEFAULT_MSS, u32::from);
        let options = if self.agreed.timestamps {
            TIMESTAMPS_LEN
        } else {
            0
        };
        self.snd.mss = self.config.mss.min(peer_mss).saturating_sub(options).max(1);
        self.rcv.wnd = if self.config.recv_autotuning {
            // Linux `tcp_select_initial_window`: what the SYN offers, to start with.
            u32::from(syn_window(self.config.recv_buffer, self.config.mss))
        } else {
            self.max_receive_window().min(MAX_WINDOW) as u32
        };
    }

    /// Entering ESTABLISHED, from SYN-SENT, SYN-RECEIVED, or at once (two-way ablation).
    fn establish(&mut self, now: Time) {
        let syn_window = self.rcv.wnd;
        self.init_receive_window(now, syn_window);
        let mss = u64::from(self.snd.mss);
        let initial = if self.snd.syn_retransmitted {
            // RFC 5681 §3.1: after a lost SYN or SYN-ACK the initial window is one segment.
            mss
        } else {
            self.config.initial_window(mss)
        };
        self.cc = Controller::with_growth(
            self.config.congestion,
            self.config.cwnd_growth,
            mss,
            initial,
        );
        if self.snd.syn_retransmitted {
            self.rtt.reinitialize(RTO_AFTER_SYN_TIMEOUT);
        }
        self.set_state(State::Established);
        self.events.push_back(Event::Connected);
        if self.snd.closed {
            // A close() issued in SYN-RECEIVED takes effect now (RFC 9293 §3.10.4).
            self.set_state(State::FinWait1);
        }
    }

    /// Our SYN has been acknowledged.
    fn syn_acked(&self) -> bool {
        self.snd.una.gt(self.snd.iss)
    }

    /// The sequence number after the last byte written: where the FIN goes.
    fn data_end(&self) -> Seq {
        self.snd.iss + 1 + self.snd.written as u32
    }

    /// Our FIN has been sent and acknowledged.
    fn fin_acked(&self) -> bool {
        self.snd.closed && self.snd.una == self.data_end() + 1
    }
}
