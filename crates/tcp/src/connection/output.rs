//! What goes on the wire: new data within the windows, retransmissions, SYNs and ACKs.

use synack_sim::Time;

use super::{syn_window, Connection, MAX_UNSCALED};
use crate::config::IdleRestart;
use crate::congestion::CongestionControl;
use crate::segment::{Flags, Options, Segment};
use crate::seq::Seq;
use crate::state::State;
use crate::timer::{jiffies, Timer};

impl Connection {
    /// After every input: send what the windows allow, then any ACK still due.
    pub(super) fn push(&mut self, now: Time) {
        let sending = self.state.transmits();
        let max_before = self.snd.max;
        if sending {
            let before = self.stats.segments_sent;
            if self.prr_recovery() && self.recovery.in_recovery {
                self.send_in_sack_recovery(now);
            } else {
                while let Some(seg) = self.next_segment() {
                    self.snd.nxt = seg.end();
                    if self.ecn.cwr_high.is_some() {
                        // Linux `tcp_write_xmit`: in a reduction, PRR counts what goes out.
                        self.recovery.prr.out += u64::from(seg.seq_len());
                    }
                    self.emit(now, seg);
                }
            }
            self.validate_cwnd(self.stats.segments_sent > before);
            self.arm_persist(now);
        }
        // The probe timer: after new data went out (Linux `tcp_write_xmit`), as late as the
        // retransmission timer allows; else after an ACK of new data (`tcp_set_xmit_timer`),
        // as late as a whole RTO — the same, as that ACK has just restarted the timer.
        let sent_new = self.snd.max.gt(max_before);
        if sent_new || self.recovery.tlp_rearm {
            self.recovery.tlp_rearm = false;
            self.schedule_loss_probe(now, !sent_new);
        }
        if self.rcv.ack_now {
            self.send_ack(now);
        }
    }

    /// Linux `tcp_cwnd_validate` after `tcp_write_xmit`: whether the congestion window is
    /// what stops the sender (no room in it for another full segment), for congestion
    /// control's `tcp_is_cwnd_limited`.
    fn validate_cwnd(&mut self, sent: bool) {
        let in_flight = if self.prr_recovery() {
            self.pipe()
        } else {
            u64::from(self.snd.nxt.since(self.snd.una))
        };
        let limited = self.cc.window().saturating_sub(in_flight) < u64::from(self.snd.mss);
        if sent || limited {
            self.sent.validate(self.snd.una, self.snd.max, limited);
        }
    }

    /// The next new (or, after a timeout, resent) segment at SND.NXT, if the congestion and
    /// send windows allow one. After a timeout, what the receiver SACKed is skipped and not
    /// counted in flight (Linux `tcp_enter_loss` marks only the rest lost).
    fn next_segment(&self) -> Option<Segment> {
        let end = self.data_end();
        let board = &self.recovery.board;
        let (start, sacked_next) = board.next_hole(self.snd.nxt);
        if start.gt(end) {
            return None; // the FIN is out
        }
        let unsent = u64::from(end.since(start));
        if unsent == 0 && !self.snd.closed {
            return None;
        }
        let una = self.snd.una;
        // Without SACK in Linux's Reno mode, less what duplicate ACKs reported delivered:
        // new data goes out on the first two (RFC 3042's limited transmit, in effect).
        let in_flight = u64::from(start.since(una) - board.bytes_in(una, start))
            .saturating_sub(self.reno_sacked_bytes());
        // RFC 5681 §3: at most cwnd in flight, and nothing beyond the peer's window
        // (Linux `tcp_cwnd_test`, `tcp_snd_wnd_test`): SACKed bytes (or duplicate ACKs)
        // free room in the first but not in the second.
        let window_end = una + self.snd.wnd;
        let rwnd_room = if start.lt(window_end) {
            u64::from(window_end.since(start))
        } else {
            0
        };
        let room = (self.cc.window().saturating_sub(in_flight)).min(rwnd_room);
        let before_sacked = sacked_next.map_or(u64::MAX, |s| u64::from(s.since(start)));
        let full = unsent.min(u64::from(self.snd.mss)).min(before_sacked);
        let len = full.min(room);
        // RFC 9293 §3.8.6.2.1 (sender SWS avoidance): send a full segment, or all that is
        // queued; a shorter piece only when nothing is in flight.
        if unsent > 0 && (len == 0 || (len < full && in_flight > 0)) {
            return None;
        }
        // RFC 9293 §3.10.4: the FIN follows the last byte of data, on the same segment when
        // that one carries it.
        let fin = self.snd.closed && len == unsent;
        let flags = if fin {
            Flags::ACK | Flags::FIN
        } else {
            Flags::ACK
        };
        Some(self.segment(start, flags, len as u32))
    }

    /// The segment at SND.UNA, for fast retransmit (RFC 5681 §3.2 (2)) and NewReno partial
    /// ACKs (RFC 6582 §3.2 (5)).
    pub(super) fn retransmit_first(&mut self, now: Time) {
        let end = self.data_end();
        let unsent = if self.snd.una.le(end) {
            end.since(self.snd.una)
        } else {
            0
        };
        let len = unsent.min(self.snd.mss);
        let fin = self.snd.closed && len == unsent && self.snd.una.le(end);
        if len == 0 && !fin {
            return;
        }
        let flags = if fin {
            Flags::ACK | Flags::FIN
        } else {
            Flags::ACK
        };
        let seg = self.segment(self.snd.una, flags, len);
        self.emit(now, seg);
    }

    /// RFC 9293 §3.8.6.1: data waits behind a zero window with nothing in flight, so no
    /// ACK will come to reopen it unless asked: start the persist timer (at the RTO, doubling
    /// per probe). A window that opens stops it.
    fn arm_persist(&mut self, now: Time) {
        let blocked =
            self.snd.wnd == 0 && self.snd.una == self.snd.max && self.snd.nxt.lt(self.data_end());
        if !blocked {
            self.timers.stop(Timer::Persist);
            self.snd.probes = 0;
        } else if !self.timers.is_armed(Timer::Persist) {
            let wait = self.rtt.rto().saturating_mul(1 << self.snd.probes.min(16));
            self.arm(Timer::Persist, now, wait.min(self.config.max_rto));
        }
    }

    /// The zero-window probe. Simplified as Linux does it (`tcp_xmit_probe_skb`): a bare ACK
    /// with SEQ = SND.UNA − 1, outside the peer's window, which it must answer with an ACK
    /// carrying its current window (RFC 9293 §3.10.7.4 first). No sequence space is used, so
    /// nothing needs retransmitting.
    pub(super) fn send_window_probe(&mut self, now: Time) {
        self.snd.probes += 1;
        let seg = self.segment(self.snd.una - 1, Flags::ACK, 0);
        self.emit(now, seg);
    }

    /// A header from this connection with our current ACK and window.
    pub(super) fn segment(&self, seq: Seq, flags: Flags, len: u32) -> Segment {
        Segment {
            src_port: self.local_port,
            dst_port: self.remote_port,
            seq,
            ack: if flags.ack() { self.rcv.nxt } else { Seq(0) },
            flags,
            window: self.window_field(flags.syn()),
            len,
            opts: Options::default(),
            ecn: Default::default(),
        }
    }

    /// The window field: RCV.WND shifted by our window scale; on a SYN, unscaled and, as
    /// Linux offers it (`tcp_select_initial_window`), a multiple of the MSS (64,240 bytes
    /// at MSS 1460).
    pub(super) fn window_field(&self, syn: bool) -> u16 {
        if syn {
            return syn_window(u64::from(self.rcv.wnd), self.config.mss);
        }
        (u64::from(self.rcv.wnd) >> self.agreed.rcv_wscale).min(MAX_UNSCALED) as u16
    }

    /// Our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED, or a two-way ESTABLISHED whose SYN is
    /// unacknowledged), carrying the MSS option (RFC 9293 §3.7.1).
    pub(super) fn send_syn(&mut self, now: Time) {
        let flags = if self.state == State::SynSent {
            Flags::SYN
        } else {
            Flags::SYN | Flags::ACK
        };
        let again = self.snd.syn_retransmitted;
        let ecn = self.ecn_syn_flags(flags.ack(), again);
        let mut seg = self.segment(self.snd.iss, flags | ecn, 0);
        seg.opts = self.syn_options(now, flags.ack());
        self.snd.nxt = self.snd.nxt.max(self.snd.iss + 1);
        self.emit(now, seg);
    }

    /// An ACK of everything received so far: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, in
    /// SYN-RECEIVED too (RFC 9293 §3.10.7.4 first; Linux `tcp_v4_reqsk_send_ack`, SEQ =
    /// ISS + 1). A server that entered ESTABLISHED on the SYN alone (`handshake =
    /// "two-way"`) has only its SYN-ACK to acknowledge with until its SYN is acknowledged.
    pub(super) fn send_ack(&mut self, now: Time) {
        match self.state {
            State::Closed | State::Listen | State::SynSent => self.rcv.ack_now = false,
            State::SynReceived => self.send_bare_ack(now),
            _ if !self.syn_acked() => self.send_syn(now),
            _ => self.send_bare_ack(now),
        }
    }

    fn send_bare_ack(&mut self, now: Time) {
        // SND.NXT is the highest sent: go-back-N rewinds ours, and a rewound number could
        // fall left of the peer's window, get the ACK dropped unread and answered by
        // another ACK (an ACK war).
        let seg = self.segment(self.snd.max, Flags::ACK, 0);
        self.emit(now, seg);
    }

    /// Puts `seg` on the wire: RTT timing (Karn), the retransmission timer (RFC 6298 (5.1)),
    /// the ACK it carries and, once agreed, timestamps (RFC 7323 §3.2: on every segment
    /// but a RST) and SACK blocks (RFC 2018 §4: on ACKs while data is held beyond a hole;
    /// three beside timestamps, as Linux sends them).
    pub(super) fn emit(&mut self, now: Time, seg: Segment) {
        self.emit_as(now, seg, false);
    }

    /// [`emit`](Self::emit), for a tail loss probe if `probe`: a resent probe is timed
    /// apart from the other retransmissions (`SentLog::on_probe`).
    pub(super) fn emit_as(&mut self, now: Time, mut seg: Segment, probe: bool) {
        self.ecn_mark(&mut seg);
        if !seg.flags.syn() {
            self.select_window();
            seg.window = self.window_field(false);
            if let Some(ts) = self.agreed.timestamp(now) {
                seg.opts.timestamp = Some(ts);
            }
            if self.agreed.sack && seg.flags.ack() && !self.rcv.sacks.is_empty() {
                seg.opts.sack = self.rcv.sacks;
                let room = if self.agreed.timestamps { 3 } else { 4 };
                seg.opts.sack.truncate(room);
            }
        }
        let seq_len = seg.seq_len();
        if seg.len > 0 {
            self.on_data_sent(now, &seg);
        }
        if seq_len > 0 {
            let again = seg.seq.lt(self.snd.max);
            if probe && again {
                self.sent.on_probe(now, seg.seq, seg.end());
            } else {
                self.sent.on_send(now, seg.end(), again);
            }
            if again {
                self.count_retransmission(&seg);
                // RFC 6298 §3 (Karn): a retransmitted segment gives no RTT sample.
                self.snd.timed = None;
            } else if self.snd.timed.is_none() {
                self.snd.timed = Some((seg.end(), now));
            }
            self.snd.max = self.snd.max.max(seg.end());
            // RFC 6298 (5.1): start the timer if it is not running.
            if !self.timers.is_armed(Timer::Retransmit) {
                self.arm(Timer::Retransmit, now, self.rto_to_arm(now));
            }
        }
        if seg.len > 0 {
            self.on_reply_sent(now);
        }
        if seg.flags.ack() {
            if self.rcv.last_ack_sent != self.rcv.nxt {
                self.on_ack_sent();
            }
            self.rcv.last_ack_sent = self.rcv.nxt;
            self.rcv.ack_now = false;
            self.rcv.unacked = 0;
            self.timers.stop(Timer::DelayedAck);
        }
        self.stats.segments_sent += 1;
        self.out.push_back(seg);
    }

    /// Slow start after idle, checked as the application writes (`slow_start_after_idle`;
    /// Linux's `tcp_slow_start_after_idle_check`, include/net/tcp.h, from `tcp_skb_entail`):
    /// with nothing in flight (`packets_out` = 0) and no data sent for longer than the RTO,
    /// the window no longer says what the path carries, and restarts.
    pub(super) fn restart_after_idle(&mut self, now: Time) {
        let rule = self.config.slow_start_after_idle;
        if rule == IdleRestart::Off || self.snd.max != self.snd.una {
            return;
        }
        let Some(last) = self.sent.last_data() else {
            return;
        };
        let rto = self.rtt.rto();
        let smss = u64::from(self.snd.mss);
        let cwnd = self.cc.window();
        let iw = self.config.initial_window(smss);
        if rule == IdleRestart::Rfc5681 {
            // RFC 5681 §4.1: "if the TCP has not sent data in an interval exceeding the
            // retransmission timeout", cwnd = RW = min(IW, cwnd).
            if now.saturating_since(last) > rto {
                self.cc.set_window(cwnd.min(iw));
            }
            return;
        }
        // Linux: `delta = tcp_jiffies32 - tp->lsndtime`, against `icsk_rto` in jiffies
        // (`usecs_to_jiffies` rounds up).
        let tick = jiffies(self.config.timer_wheel_hz, 1).as_nanos().max(1);
        let delta = (now.as_nanos() / tick).saturating_sub(last.as_nanos() / tick);
        let rto = rto.as_nanos().div_ceil(tick).max(1);
        if delta <= rto {
            return;
        }
        // `tcp_cwnd_restart`, in segments as Linux counts: ssthresh first
        // (`tcp_current_ssthresh`: the old one during a reduction, else at least ¾ of cwnd),
        // then cwnd halved for every further RTO of idleness, down to restart_cwnd =
        // min(IW, cwnd).
        let segments = cwnd / smss;
        if !self.recovery.in_recovery {
            let keep = ((segments >> 1) + (segments >> 2)) * smss;
            self.cc.set_ssthresh(self.cc.ssthresh().max(keep));
        }
        let restart = (iw / smss).min(segments);
        let mut window = segments;
        let mut left = delta;
        while left > rto && window > restart {
            left -= rto;
            window >>= 1;
        }
        self.cc.set_window(window.max(restart) * smss);
    }

    /// Linux `tcp_event_data_sent`: data going out with nothing in flight (after an idle
    /// period, or a timeout) is `CA_EVENT_TX_START` to congestion control.
    fn on_data_sent(&mut self, now: Time, seg: &Segment) {
        let idle = seg.seq == self.snd.una && !self.snd.nxt.gt(seg.end());
        if let Some(last) = self.sent.on_data_sent(now) {
            if idle {
                self.cc.on_send_after_idle(now, last);
            }
        }
    }

    fn count_retransmission(&mut self, seg: &Segment) {
        if seg.flags.syn() {
            if seg.flags.ack() {
                self.stats.synack_retransmits += 1;
            } else {
                self.stats.syn_retransmits += 1;
            }
        } else {
            self.stats.retransmits += 1;
        }
    }

    /// A segment outside the connection's sequence space (a RST): no bookkeeping.
    pub(super) fn emit_control(&mut self, seg: Segment) {
        self.stats.segments_sent += 1;
        self.out.push_back(seg);
    }
}
