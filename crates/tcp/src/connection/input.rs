//! Segment arrival, in the order of RFC 9293 §3.10.7: one function per step.

use synack_sim::{Duration, Time};

use super::{ts_clock, Connection, Event};
use crate::config::{LossRecovery, PassiveClose, Rules};
use crate::congestion::{AckSample, CongestionControl, PartialAck};
use crate::segment::{Flags, SackBlocks, Segment};
use crate::seq::Seq;
use crate::state::State;
use crate::time_wait::TimeWaitAction;
use crate::timer::Timer;

impl Connection {
    /// A segment for this connection arrived at `now`.
    pub fn handle_segment(&mut self, now: Time, seg: &Segment) {
        if seg.dst_port != self.local_port || seg.src_port != self.remote_port {
            return; // not ours: the caller demultiplexes
        }
        match self.state {
            State::Closed | State::Listen => self.on_segment_closed(seg),
            State::SynSent => self.on_segment_syn_sent(now, seg),
            State::TimeWait => self.on_segment_time_wait(now, seg),
            _ => self.on_segment_synchronizing(now, seg),
        }
        self.push(now);
    }

    /// RFC 9293 §3.10.7.4 in TIME-WAIT, as the compact [`TimeWait`](crate::TimeWait) answers
    /// it: one implementation for both. A SYN that may reopen the 4-tuple is the caller's to
    /// take to a listener ([`time_wait_accepts`](Self::time_wait_accepts)); handed to the
    /// connection, it draws the challenge ACK any SYN draws here (RFC 5961 §4.2).
    fn on_segment_time_wait(&mut self, now: Time, seg: &Segment) {
        let mut tw = self.time_wait().expect("TIME-WAIT runs its 2·MSL timer");
        let action = tw.handle_segment(now, seg);
        // The ACK sent, if any, is counted in the `TimeWait`'s counters; TS.Recent and the
        // rate limit's clock come back too.
        self.stats = tw.stats();
        self.timers.set(Timer::TimeWait, tw.deadline());
        self.last_oow_ack = tw.last_oow_ack();
        if let Some((recent, stamp)) = tw.ts_recent() {
            (self.agreed.ts_recent, self.agreed.ts_recent_stamp) = (recent, stamp);
        }
        match action {
            TimeWaitAction::AckFin(ack) | TimeWaitAction::Ack(ack) => self.out.push_back(ack),
            TimeWaitAction::Reopen => self.emit_control(tw.ack_segment(now)),
            TimeWaitAction::Close => self.finish(Event::Closed),
            TimeWaitAction::Ignore => {}
        }
    }

    /// RFC 9293 §3.10.7.1: CLOSED answers everything but a RST with a RST.
    fn on_segment_closed(&mut self, seg: &Segment) {
        if seg.flags.rst() {
            return;
        }
        let rst = if seg.flags.ack() {
            Segment::rst(self.local_port, self.remote_port, seg.ack, None)
        } else {
            Segment::rst(self.local_port, self.remote_port, Seq(0), Some(seg.end()))
        };
        self.emit_control(rst);
    }

    /// RFC 9293 §3.10.7.3: SYN-SENT.
    fn on_segment_syn_sent(&mut self, now: Time, seg: &Segment) {
        // First: an ACK of something we never sent is answered by a RST.
        let ack_ok = seg.flags.ack();
        if ack_ok && (seg.ack.le(self.snd.iss) || seg.ack.gt(self.snd.max)) {
            if !seg.flags.rst() {
                let rst = Segment::rst(self.local_port, self.remote_port, seg.ack, None);
                self.emit_control(rst);
            }
            return;
        }
        // Second: a RST counts only with an acceptable ACK ("connection reset").
        if seg.flags.rst() {
            if ack_ok {
                self.finish(Event::Reset);
            }
            return;
        }
        // Fourth: the SYN. Text on it is not modelled (see the module doc).
        if !seg.flags.syn() {
            return;
        }
        self.take_peer_syn(now, seg);
        if ack_ok {
            self.set_window(seg);
            self.on_new_ack(now, seg, 0);
            self.establish(now);
            self.rcv.ack_now = true;
        } else {
            // Simultaneous open (Figure 7): SYN-RECEIVED, and our SYN goes out again with
            // an ACK: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
            self.set_window(seg);
            self.set_state(State::SynReceived);
            self.send_syn(now);
        }
    }

    /// RFC 9293 §3.10.7.4: every state from SYN-RECEIVED on.
    fn on_segment_synchronizing(&mut self, now: Time, seg: &Segment) {
        let half_open = self.state == State::SynReceived && self.passive;
        let seg = if half_open && self.config.syn_received_rules == Rules::Linux {
            self.check_half_open_linux(now, seg)
        } else {
            Some(self.trim_duplicate_syn(seg))
        };
        let Some(seg) = seg else {
            return;
        };
        let seg = &seg;
        if self.agreed.paws_rejects(seg) {
            // RFC 7323 §5.3 R1: an old duplicate; acknowledge it and drop it. (Linux
            // `tcp_validate_incoming`: a SYN draws the challenge ACK, and the ACK is
            // rate-limited.)
            self.answer_unacceptable(now, seg);
            return;
        }
        if !self.check_sequence(now, seg) {
            return;
        }
        self.agreed
            .update_ts_recent(now, seg, self.rcv.last_ack_sent);
        if seg.flags.rst() {
            return self.check_rst(now, seg);
        }
        if seg.flags.syn() {
            return self.check_syn(now);
        }
        // Fifth: "if the ACK bit is off, drop the segment and return".
        if !seg.flags.ack() || !self.check_ack(now, seg) {
            return;
        }
        if self.data_after_close(seg) {
            // RFC 1122 §4.2.2.13: "if new data is received after CLOSE is called, its TCP
            // SHOULD send a RST to show that data was lost". Linux `tcp_rcv_state_process`
            // (TCPAbortOnData): `tcp_reset`, which reports ECONNRESET, and the reply RST of
            // `tcp_v4_send_reset`.
            return self.reset_answering_as(seg, Event::Reset);
        }
        self.process_text(now, seg);
        self.process_fin(now, seg);
    }

    /// SYN-RECEIVED and the peer's SYN again. A SYN-ACK in a simultaneous open (Figure 7,
    /// line 6) straddles old and new: its SYN is trimmed and the rest processed (RFC 9293
    /// §3.10.7.4: "only the new parts are processed"). The peer's SYN alone lies wholly
    /// before the window, so the sequence check answers it with an ACK; the SYN-ACK goes
    /// again when its own timer expires (RFC 9293 says no more: Linux's half-open
    /// connections answer it at once, [`check_half_open_linux`](Self::check_half_open_linux)).
    fn trim_duplicate_syn(&self, seg: &Segment) -> Segment {
        let retransmitted_syn = self.state == State::SynReceived
            && seg.flags.syn()
            && seg.flags.ack()
            && seg.seq == self.rcv.irs;
        if !retransmitted_syn {
            return *seg;
        }
        let mut trimmed = *seg;
        trimmed.seq = seg.seq + 1;
        trimmed.flags = Flags::ACK;
        if seg.flags.fin() {
            trimmed.flags |= Flags::FIN;
        }
        trimmed
    }

    /// A listener's half-open connection as Linux's `tcp_check_req` runs it, before the
    /// steps every state shares. Returns the segment, its SYN trimmed, if processing goes
    /// on (it is in the window, and an acceptable ACK: the handshake's last segment).
    fn check_half_open_linux(&mut self, now: Time, seg: &Segment) -> Option<Segment> {
        let (syn, ack, rst) = (seg.flags.syn(), seg.flags.ack(), seg.flags.rst());
        let paws = self.agreed.paws_rejects(seg);
        if syn && !ack && !rst && seg.seq == self.rcv.irs && !paws {
            // "Check for pure retransmitted SYN": the SYN-ACK again (`inet_rtx_syn_ack`,
            // counted in `num_retrans`, not in the `num_timeout` that `synack_retries`
            // bounds), and the SYN-ACK timer restarts at the timeout it has reached.
            let limit = self.invalid_ratelimit_ms();
            if !oow_rate_limited(&mut self.last_oow_ack, now, seg, limit) {
                self.send_syn(now);
                self.timers.set(Timer::Retransmit, now + self.rtt.rto());
            }
            return None;
        }
        if ack && seg.ack != self.snd.iss + 1 {
            // RFC 9293 §3.10.7.4's unacceptable ACK, checked first: the listener answers
            // <SEQ=SEG.ACK><CTL=RST> and the half-open connection stays.
            let rst = Segment::rst(self.local_port, self.remote_port, seg.ack, None);
            self.emit_control(rst);
            return None;
        }
        let end = self.rcv.nxt + self.rcv.wnd;
        if paws || !linux_in_window(seg, self.rcv.nxt, end) {
            // "Out of window: send ACK and drop": <SEQ=ISS+1><ACK=RCV.NXT><CTL=ACK>.
            let limit = self.invalid_ratelimit_ms();
            if !rst && !oow_rate_limited(&mut self.last_oow_ack, now, seg, limit) {
                self.send_ack(now);
            }
            return None;
        }
        let seg = self.trim_duplicate_syn(seg);
        if seg.flags.rst() && seg.seq != self.rcv.nxt {
            // "Second check the RST bit", as RFC 5961 §3.2 asks and Linux 6.18 does
            // (measured with packetdrill: `syn-received.pkt`, run on the kernel too): a RST
            // in the window but not at RCV.NXT draws the challenge ACK
            // <SEQ=ISS+1><ACK=RCV.NXT><CTL=ACK>, throttled (§7), and the half-open
            // connection stays. (Older kernels' `tcp_check_req` ended it.)
            let limit = self.invalid_ratelimit_ms();
            if !rate_limited(&mut self.last_oow_ack, now, limit) {
                self.send_ack(now);
            }
            return None;
        }
        if seg.flags.rst() || seg.flags.syn() {
            // The RST at RCV.NXT, and "fourth, check the SYN bit": either ends the half-open
            // connection; a SYN is answered by a RST as from no connection
            // (`tcp_v4_send_reset`; Linux's carries a sequence number of its own).
            if !seg.flags.rst() {
                let rst = if seg.flags.ack() {
                    Segment::rst(self.local_port, self.remote_port, seg.ack, None)
                } else {
                    Segment::rst(self.local_port, self.remote_port, Seq(0), Some(seg.end()))
                };
                self.emit_control(rst);
            }
            self.finish(Event::Reset);
            return None;
        }
        Some(seg)
    }

    /// First: is the segment in the receive window? An unacceptable one (other than a RST)
    /// is answered with an ACK.
    fn check_sequence(&mut self, now: Time, seg: &Segment) -> bool {
        if self.acceptable(seg) {
            return true;
        }
        if !seg.flags.rst() {
            self.answer_unacceptable(now, seg);
        }
        false
    }

    /// The ACK that answers a segment failing the sequence or PAWS test, at most once per
    /// `invalid_ratelimit` unless it carries data or a FIN; for a SYN, the challenge ACK
    /// (Linux `tcp_validate_incoming`: "if (th->syn) goto syn_challenge", then
    /// `tcp_oow_rate_limited` before `tcp_send_dupack`).
    fn answer_unacceptable(&mut self, now: Time, seg: &Segment) {
        let limit = self.invalid_ratelimit_ms();
        if seg.flags.syn() {
            self.challenge_ack(now);
        } else if !oow_rate_limited(&mut self.last_oow_ack, now, seg, limit) {
            self.rcv.ack_now = true;
        }
    }

    /// RFC 5961's challenge ACK (§3.2, §4.2), throttled as §7 asks: at most once per
    /// `invalid_ratelimit` (Linux `tcp_send_challenge_ack`, whose per-socket check is
    /// `__tcp_oow_rate_limited`).
    fn challenge_ack(&mut self, now: Time) {
        let limit = self.invalid_ratelimit_ms();
        if !rate_limited(&mut self.last_oow_ack, now, limit) {
            self.rcv.ack_now = true;
        }
    }

    pub(super) fn invalid_ratelimit_ms(&self) -> u32 {
        (self.config.invalid_ratelimit.as_nanos() / 1_000_000) as u32
    }

    fn acceptable(&self, seg: &Segment) -> bool {
        acceptable(self.rcv.nxt, self.rcv.wnd, seg)
    }

    /// Second: RST, validated as RFC 5961 §3.2 asks: only an exact match resets; an
    /// in-window one draws a challenge ACK. In SYN-RECEIVED after a passive open RFC 9293
    /// returns to LISTEN; the listener here is the caller's, so the connection just ends
    /// (with [`Event::Reset`]) and the caller's listener stays. (TIME-WAIT, where a RST
    /// does not count as a reset, is [`TimeWait`](crate::TimeWait)'s.)
    fn check_rst(&mut self, now: Time, seg: &Segment) {
        if seg.seq != self.rcv.nxt {
            self.challenge_ack(now);
            return;
        }
        self.finish(Event::Reset);
    }

    /// Fourth: a SYN. In SYN-RECEIVED after a passive open, RFC 9293 §3.10.7.4 returns the
    /// connection to LISTEN: here it ends (with [`Event::Reset`]), unanswered, and the
    /// caller's listener stays. In a synchronized state the SYN draws a challenge ACK
    /// (RFC 5961 §4.2).
    fn check_syn(&mut self, now: Time) {
        if self.state == State::SynReceived && self.passive {
            self.finish(Event::Reset);
        } else {
            self.challenge_ack(now);
        }
    }

    /// Fifth: the ACK field. Returns whether processing goes on.
    fn check_ack(&mut self, now: Time, seg: &Segment) -> bool {
        // Linux `tcp_ecn_rcv_ecn_echo`: ECE counts on a segment other than a SYN, once ECN
        // is agreed (`FLAG_ECE`).
        self.ecn.echo = self.ecn.ok && seg.flags.ece() && !seg.flags.syn();
        let going_on = self.check_ack_field(now, seg);
        self.ecn.echo = false;
        going_on
    }

    fn check_ack_field(&mut self, now: Time, seg: &Segment) -> bool {
        if self.state == State::SynReceived {
            // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED"; otherwise
            // <SEQ=SEG.ACK><CTL=RST>.
            if !(self.snd.una.lt(seg.ack) && seg.ack.le(self.snd.max)) {
                let rst = Segment::rst(self.local_port, self.remote_port, seg.ack, None);
                self.emit_control(rst);
                return false;
            }
            self.set_window(seg);
            self.on_new_ack(now, seg, 0);
            self.establish(now);
        } else if seg.ack.gt(self.snd.max) {
            // "If the ACK acks something not yet sent … send an ACK, drop the segment."
            self.rcv.ack_now = true;
            return false;
        } else if seg.ack.gt(self.snd.una) {
            let sacked = self.take_sack_blocks(seg);
            self.on_new_ack(now, seg, sacked);
        } else if seg.ack == self.snd.una {
            let sacked = self.take_sack_blocks(seg);
            self.on_same_ack(now, seg, sacked);
        } else if self.agreed.sack {
            // "A duplicate (SEG.ACK < SND.UNA), it can be ignored" — but not its SACK
            // blocks: a reordered ACK may carry news (Linux `tcp_ack`, old_ack).
            let sacked = self.take_sack_blocks(seg);
            if sacked > 0 {
                self.on_old_ack_sack(now, sacked);
            }
        }
        if self.snd.una.le(seg.ack) {
            self.update_window(seg);
        }
        self.after_our_fin_acked(now);
        self.state != State::Closed
    }

    /// RFC 9293 §3.10.7.4 fifth: the send window is updated by a segment newer than the one
    /// that last updated it.
    pub(super) fn update_window(&mut self, seg: &Segment) {
        let s = &self.snd;
        if s.wl1.lt(seg.seq) || (s.wl1 == seg.seq && s.wl2.le(seg.ack)) {
            self.set_window(seg);
        }
    }

    /// SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK: unconditionally, as the
    /// handshake does (RFC 9293 §3.10.7.3 and §3.10.7.4 fifth, SYN-RECEIVED).
    pub(super) fn set_window(&mut self, seg: &Segment) {
        self.snd.wnd = self.peer_window(seg);
        self.snd.wl1 = seg.seq;
        self.snd.wl2 = seg.ack;
    }

    /// SEG.WND in bytes: the field shifted by the peer's window scale, except on a SYN
    /// (RFC 7323 §2.2).
    fn peer_window(&self, seg: &Segment) -> u32 {
        let shift = if seg.flags.syn() {
            0
        } else {
            self.agreed.snd_wscale
        };
        u32::from(seg.window) << shift
    }

    /// SND.UNA < SEG.ACK: new data (or our SYN, or our FIN) acknowledged; `sacked` bytes
    /// newly SACKed by the same ACK.
    pub(super) fn on_new_ack(&mut self, now: Time, seg: &Segment, sacked: u64) {
        let ack = seg.ack;
        let syn = u64::from(!self.syn_acked());
        let fin = u64::from(self.snd.closed && ack == self.data_end() + 1);
        let data = u64::from(ack.since(self.snd.una)) - syn - fin;
        let prior_una = self.snd.una;
        self.snd.una = ack;
        self.snd.nxt = self.snd.nxt.max(ack);
        // Bytes SACKed earlier that this ACK now covers: delivered already, not again.
        let resacked = u64::from(self.recovery.board.advance(ack));
        self.snd.acked += data;
        self.retries = 0;
        self.retrans_stamp = None;
        let rtts = self.sent.on_ack(now, prior_una, ack);
        let tsecr = seg.opts.timestamp.map(|ts| ts.ecr);
        self.rtt_sample(now, ack, rtts, tsecr);
        if self.snd.una == self.snd.max {
            // RFC 6298 (5.2): everything acknowledged: stop the timer.
            self.timers.stop(Timer::Retransmit);
        } else if !self.later_partial_ack(ack) {
            // RFC 6298 (5.3): new data acknowledged: restart it.
            self.arm(Timer::Retransmit, now, self.rtt.rto());
        }
        if data > 0 {
            self.events.push_back(Event::Acked(data));
        }
        let sample = AckSample {
            now,
            rtt: rtts.map(|(_, newest)| newest),
            srtt: self.rtt.srtt(),
            una: ack,
            snd_nxt: self.snd.max,
            cwnd_limited: self.sent.is_cwnd_limited(),
            max_packets_out: self.sent.max_packets_out(),
        };
        self.cc.on_ack_sample(&sample);
        if self.recovery.after_rto && ack.gt(self.recovery.recover) {
            self.recovery.after_rto = false;
        }
        self.process_tlp_ack(ack, false);
        if self.agreed.sack {
            // RFC 6937's DeliveredData, Linux's `acked_sacked`: the change in SND.UNA less
            // what was SACKed before, plus what this ACK newly SACKs.
            let delivered = data.saturating_sub(resacked);
            self.on_ack_sack(now, (delivered, data > 0), sacked, false);
        } else if self.config.recovery == LossRecovery::Linux {
            self.on_ack_reno(now, data);
        } else {
            self.on_ack_congestion(now, ack, data);
        }
        // Linux `tcp_set_xmit_timer`: the probe timer, if a probe may go, else only the
        // retransmission timer (`push` sets it).
        self.recovery.tlp_rearm = true;
    }

    /// Round-trip samples for the RTO. RFC 6298: the single timed segment, once `ack`
    /// covers it. Linux (`tcp_ack_update_rtt`): every ACK of new data — the oldest segment
    /// it acknowledges if none of it was retransmitted (`seq_rtt`), else the echoed
    /// timestamp (RFC 7323 §4's RTTM, `tcp_rtt_tsopt_us`, in 1 ms ticks).
    ///
    /// `rtts` are the round trips of the oldest and the newest segment the ACK covers; the
    /// newest (or the echoed timestamp's) also feeds the lowest round trip RACK keeps.
    fn rtt_sample(
        &mut self,
        now: Time,
        ack: Seq,
        rtts: Option<(Duration, Duration)>,
        tsecr: Option<u32>,
    ) {
        let by_ts = tsecr
            .filter(|&e| e != 0 && self.agreed.timestamps)
            .map(|e| {
                let ticks = ts_clock(now).wrapping_sub(e);
                Duration::from_millis(u64::from(ticks)).max(Duration::from_micros(1))
            });
        if let Some(newest) = rtts.map(|(_, newest)| newest).or(by_ts) {
            self.update_min_rtt(now, newest);
        }
        if self.rtt.is_linux() {
            if let Some(r) = rtts.map(|(oldest, _)| oldest).or(by_ts) {
                self.rtt.sample_linux(r, self.snd.una.0, self.snd.max.0);
            }
            return;
        }
        if let Some((end, sent)) = self.snd.timed {
            if ack.ge(end) {
                self.rtt.sample(now - sent);
                self.snd.timed = None;
            }
        }
    }

    /// Whether `ack` is a partial ACK in fast recovery after the first one. RFC 6582 §3.2
    /// (5): "For the first partial ACK that arrives during fast recovery, also reset the
    /// retransmit timer" — only the first: this is §4's "Impatient" variant, so a window
    /// with many losses ends in a timeout (and go-back-N slow start) one RTO after the first
    /// partial ACK, instead of repairing one hole per round trip for hundreds of round trips
    /// (the "Slow-but-Steady" variant). RFC 6298 (5.3)'s restart on every new ACK would undo
    /// this, so it is skipped for these ACKs. An ACK beyond `recover` ends recovery and
    /// restarts the timer as usual.
    fn later_partial_ack(&self, ack: Seq) -> bool {
        let r = &self.recovery;
        r.in_recovery && r.partial_acked && ack.le(r.recover)
    }

    /// The congestion side of an ACK of new data: growth, or the course of fast recovery.
    fn on_ack_congestion(&mut self, now: Time, ack: Seq, acked: u64) {
        if !self.recovery.in_recovery {
            self.recovery.dup_acks = 0;
            self.ecn_end_cwr();
            if self.ecn_should_reduce() {
                // RFC 3168 §6.1.2: ssthresh as for a loss, cwnd = ssthresh, and no growth
                // on this ACK; `cwr_high` keeps it to once per window of data.
                let flight = u64::from(self.snd.max.since(self.snd.una));
                self.cc.on_fast_retransmit(flight);
                self.cc.set_window(self.cc.ssthresh());
                self.ecn.cwr_high = Some(self.snd.max);
                self.ecn_queue_cwr();
                return;
            }
            self.cc.on_ack(acked);
            return;
        }
        if ack.gt(self.recovery.recover) {
            // RFC 6582 §3.2 (3): a full acknowledgment ends fast recovery.
            self.recovery.in_recovery = false;
            self.recovery.dup_acks = 0;
            let flight = u64::from(self.snd.max.since(self.snd.una));
            self.cc.on_recovery_end(flight);
            return;
        }
        match self.cc.on_partial_ack(acked) {
            // RFC 6582 §3.2 (5): retransmit the first unacknowledged segment (the timer
            // was reset, or not, by `on_new_ack`).
            PartialAck::StayInRecovery => {
                self.recovery.partial_acked = true;
                self.retransmit_first(now);
            }
            PartialAck::ExitRecovery => {
                self.recovery.in_recovery = false;
                self.recovery.dup_acks = 0;
            }
        }
    }

    /// SEG.ACK = SND.UNA: perhaps a duplicate ACK (RFC 5681 §2: no data, no SYN or FIN,
    /// the same window, and data outstanding); with SACK, one that SACKs `sacked` new bytes
    /// counts as one too (RFC 6675 §2).
    fn on_same_ack(&mut self, now: Time, seg: &Segment, sacked: u64) {
        let duplicate = seg.len == 0
            && !seg.flags.syn()
            && !seg.flags.fin()
            && self.peer_window(seg) == self.snd.wnd
            && self.snd.una != self.snd.max;
        self.process_tlp_ack(seg.ack, duplicate && sacked == 0);
        if self.agreed.sack {
            return self.on_ack_sack(now, (0, false), sacked, duplicate || sacked > 0);
        }
        if !duplicate {
            return;
        }
        if self.config.recovery == LossRecovery::Linux {
            let delivered = self.add_reno_sack();
            return self.on_ack_sack(now, (0, false), delivered, true);
        }
        if self.recovery.in_recovery {
            // RFC 5681 §3.2 (4): inflate the window by the segment that left the network.
            self.cc.on_dup_ack();
            return;
        }
        self.recovery.dup_acks += 1;
        // RFC 5681 §3.2 (2): the third duplicate ACK; RFC 6582 §3.2 (2): only if the ACK
        // covers more than `recover` (all that was sent when the last recovery or timeout
        // began), so that one window's losses trigger one recovery.
        if self.recovery.dup_acks == 3 && seg.ack.gt(self.recovery.recover) {
            let flight = u64::from(self.snd.max.since(self.snd.una));
            self.recovery.in_recovery = true;
            self.recovery.partial_acked = false;
            self.recovery.recover = self.snd.max - 1;
            self.stats.fast_retransmits += 1;
            self.cc.on_fast_retransmit(flight);
            self.ecn.cwr_high = None;
            self.ecn_queue_cwr();
            self.retransmit_first(now);
        }
    }

    /// Fifth, the per-state part: what the acknowledgment of our FIN means.
    fn after_our_fin_acked(&mut self, now: Time) {
        if !self.fin_acked() {
            return;
        }
        match self.state {
            State::FinWait1 => {
                self.set_state(State::FinWait2);
                if let Some(limit) = self.config.fin_timeout {
                    // Linux `tcp_fin_time`: never less than 3.5·RTO.
                    let rto = self.rtt.rto();
                    let floor = rto.saturating_mul(4) - Duration::from_nanos(rto.as_nanos() / 2);
                    self.arm(Timer::FinWait2, now, limit.max(floor));
                }
            }
            State::Closing => self.enter_time_wait(now),
            State::LastAck => self.finish(Event::Closed),
            _ => {}
        }
    }

    /// Data reaching past RCV.NXT once the application has closed its reading side
    /// (`shutdown_read`) and our FIN is out: in FIN-WAIT-1 and FIN-WAIT-2, or in CLOSE-WAIT,
    /// CLOSING and LAST-ACK if the segment starts below RCV.NXT (Linux ignores one that
    /// starts at or after it there, as synack does: the peer's FIN came first).
    fn data_after_close(&self, seg: &Segment) -> bool {
        let beyond = seg.len > 0 && (seg.seq + seg.len).gt(self.rcv.nxt);
        self.rcv.shut
            && beyond
            && match self.state {
                State::FinWait1 | State::FinWait2 => true,
                State::CloseWait | State::Closing | State::LastAck => seg.seq.lt(self.rcv.nxt),
                _ => false,
            }
    }

    /// Seventh: segment text. Delivers what became in order, keeps what lies beyond a hole,
    /// and decides how soon to acknowledge.
    fn process_text(&mut self, now: Time, seg: &Segment) {
        if seg.len == 0 || !self.state.can_receive() {
            return;
        }
        let (start, end) = self.stream_range(seg);
        let limit = self.rcv.stream.delivered() + u64::from(self.rcv.wnd);
        let arrival = self.rcv.stream.insert(start, end, limit);
        if !arrival.duplicate {
            self.ecn_on_data(seg);
        }
        self.rcv.nxt += arrival.delivered as u32;
        if !arrival.duplicate {
            self.tune_on_data(now, seg, arrival.delivered > 0);
        }
        if self.agreed.sack {
            self.track_sack_blocks(start, arrival.out_of_order);
        }
        if arrival.delivered > 0 {
            self.events
                .push_back(Event::DataReceived(arrival.delivered));
            self.on_data_arrival(now);
        }
        if arrival.out_of_order || arrival.filled_gap || arrival.duplicate {
            // RFC 5681 §4.2: out-of-order data, or data filling a hole, is acknowledged at
            // once (the duplicate ACKs fast retransmit relies on).
            self.rcv.ack_now = true;
        } else {
            self.delay_ack(now, arrival.delivered);
        }
    }

    /// RFC 2018 §4: the first SACK block reports the block holding the segment that just
    /// arrived, the others the most recently reported first; blocks now delivered in order
    /// go (Linux `tcp_sack_new_ofo_skb`, `tcp_sack_remove`).
    fn track_sack_blocks(&mut self, start: u64, out_of_order: bool) {
        let delivered = self.rcv.stream.delivered();
        let seq_of = |offset: u64| self.rcv.nxt + (offset - delivered) as u32;
        let mut blocks = SackBlocks::default();
        let newest = out_of_order
            .then(|| self.rcv.stream.held_range(start))
            .flatten()
            .map(|(s, e)| (seq_of(s), seq_of(e)));
        if let Some(b) = newest {
            blocks.push(b);
        }
        for &(l, r) in self.rcv.sacks.as_slice() {
            let merged = newest.is_some_and(|(nl, nr)| nl.le(l) && r.le(nr));
            if r.gt(self.rcv.nxt) && !merged {
                blocks.push((l, r));
            }
        }
        self.rcv.sacks = blocks;
    }

    /// Stream offsets `[start, end)` of a segment's payload.
    fn stream_range(&self, seg: &Segment) -> (u64, u64) {
        let delivered = self.rcv.stream.delivered() as i64;
        let start = (delivered + i64::from(seg.seq.diff(self.rcv.nxt))).max(0) as u64;
        let end = (delivered + i64::from((seg.seq + seg.len).diff(self.rcv.nxt))).max(0) as u64;
        (start, end)
    }

    /// RFC 1122 §4.2.3.2 / RFC 5681 §4.2: delay the ACK at most `delayed_ack`, and
    /// acknowledge at least every second full-sized segment.
    fn delay_ack(&mut self, now: Time, bytes: u64) {
        self.rcv.unacked += bytes;
        if self.quick_ack_due() || self.rcv.unacked >= 2 * u64::from(self.snd.mss) {
            self.rcv.ack_now = true;
        } else {
            self.schedule_delayed_ack(now);
        }
    }

    /// Eighth: the FIN, once everything before it has arrived.
    fn process_fin(&mut self, now: Time, seg: &Segment) {
        if self.rcv.fin_received {
            return;
        }
        if seg.flags.fin() && self.state.can_receive() {
            self.rcv.fin_at = Some(self.stream_range(seg).1);
        }
        if self.rcv.fin_at != Some(self.rcv.stream.delivered()) {
            if seg.flags.fin() {
                // RFC 5681 §4.2: an out-of-order segment is acknowledged at once.
                self.rcv.ack_now = true;
            }
            return;
        }
        // "Advance RCV.NXT over the FIN, and send an acknowledgment for the FIN" — which,
        // with Linux's ACK policy, waits in CLOSE-WAIT for the application's own FIN.
        self.rcv.fin_received = true;
        self.rcv.nxt += 1;
        let waits = self.state == State::Established && self.delay_fin_ack(now);
        if !waits {
            self.rcv.ack_now = true;
        }
        self.events.push_back(Event::PeerFin);
        match self.state {
            State::Established => self.enter_close_wait(now),
            // Our FIN is not yet acknowledged (else we would be in FIN-WAIT-2): Figure 13.
            State::FinWait1 => self.set_state(State::Closing),
            State::FinWait2 => self.enter_time_wait(now),
            _ => {}
        }
    }

    fn enter_close_wait(&mut self, now: Time) {
        self.set_state(State::CloseWait);
        if self.config.passive_close == PassiveClose::WithAck {
            // Ablation: discard what was never sent, and close now, so that the FIN rides
            // on the ACK of the peer's FIN.
            let sent = self.snd.acked + u64::from(self.snd.max.since(self.snd.una));
            self.stats.unsent_discarded += self.snd.written - sent;
            self.snd.written = sent;
            let _ = self.close(now);
        }
    }

    /// RFC 9293 §3.6: TIME-WAIT for 2·MSL, other timers off. With `time_wait = false` the
    /// connection is forgotten as soon as the last ACK has gone out.
    pub(super) fn enter_time_wait(&mut self, now: Time) {
        self.timers.stop_all();
        self.set_state(State::TimeWait);
        let len = self.config.time_wait_len();
        if len.is_zero() {
            self.send_ack(now);
            self.finish(Event::Closed);
        } else {
            self.timers.set(Timer::TimeWait, now + len);
        }
    }
}

/// Linux `tcp_in_window`: whether `seg` starts at `start` or overlaps `[start, end)` (a
/// zero-length segment at `end` counts too). Unlike RFC 9293's table, a segment whose first
/// bytes lie before the window but which reaches into it is in it.
fn linux_in_window(seg: &Segment, start: Seq, end: Seq) -> bool {
    let seg_end = seg.end();
    seg.seq == start || (seg_end.gt(start) && seg.seq.lt(end)) || (seg.seq == end && seg_end == end)
}

/// Linux `tcp_oow_rate_limited`: whether the answer to `seg` must be skipped because the
/// last went out (at `last`, in milliseconds of the clock: Linux's `tcp_jiffies32` at
/// HZ = 1000; 0 for never, as Linux keeps it) less than `interval_ms` (`invalid_ratelimit`)
/// ago; if not, `last` becomes now. Data and FINs without a SYN are always answered ("not
/// likely part of an ACK loop").
pub(crate) fn oow_rate_limited(last: &mut u32, now: Time, seg: &Segment, interval_ms: u32) -> bool {
    if seg.seq_len() > 0 && !seg.flags.syn() {
        return false;
    }
    rate_limited(last, now, interval_ms)
}

/// Linux `__tcp_oow_rate_limited`: [`oow_rate_limited`] for any segment, as a challenge
/// ACK asks it (`tcp_send_challenge_ack`, RFC 5961 §7).
pub(crate) fn rate_limited(last: &mut u32, now: Time, interval_ms: u32) -> bool {
    let now_ms = (now.as_nanos() / 1_000_000) as u32;
    let elapsed = now_ms.wrapping_sub(*last) as i32;
    if *last != 0 && (0..interval_ms as i32).contains(&elapsed) {
        return true;
    }
    *last = now_ms;
    false
}

/// RFC 9293 §3.10.7.4 first, the table of four cases: whether `seg` falls in the receive
/// window RCV.NXT = `nxt`, RCV.WND = `wnd`. Shared with [`TimeWait`](crate::TimeWait).
pub(crate) fn acceptable(nxt: Seq, wnd: u32, seg: &Segment) -> bool {
    let in_window = |s: Seq| nxt.le(s) && s.lt(nxt + wnd);
    match (seg.seq_len(), wnd) {
        (0, 0) => seg.seq == nxt,
        (0, _) => in_window(seg.seq),
        (_, 0) => false,
        (len, _) => in_window(seg.seq) || in_window(seg.seq + (len - 1)),
    }
}
