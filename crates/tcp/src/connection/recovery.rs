//! Loss recovery once SACK is agreed: RFC 6675's scoreboard-based recovery with
//! proportional rate reduction (RFC 6937), as Linux runs it (`tcp_fastretrans_alert`,
//! `tcp_cwnd_reduction`, `tcp_xmit_retransmit_queue`). Without SACK, `recovery = "linux"`
//! runs it too, as Linux's Reno mode does (`tcp_is_reno`): duplicate ACKs counted as
//! segments delivered somewhere above SND.UNA (`sacked_out`), the first segment marked lost
//! at the third and on every partial ACK; `recovery = "rfc"` keeps RFC 5681/6582 NewReno
//! (`input.rs`).
//!
//! - Recovery starts when three duplicate ACKs came or the scoreboard says SND.UNA is lost
//!   (more than 2·SMSS SACKed above it), once per window (RFC 6582's `recover` guard):
//!   ssthresh from the congestion control, the recovery point at the highest byte sent.
//! - On every ACK in recovery PRR sets cwnd = pipe + sndcnt, sndcnt the share of the data
//!   delivered (acknowledged or SACKed) that ssthresh/RecoverFS allows, or, once pipe is
//!   below ssthresh, the slow-start reduction bound; the first ACK always lets one
//!   retransmission out.
//! - What goes out: first the lost holes in order (each once per recovery, `HighRxt`),
//!   then new data; pipe counts what is neither SACKed nor lost, plus what was resent.
//! - Recovery ends when SND.UNA passes the recovery point: cwnd = ssthresh.
//! - After a timeout the scoreboard is kept (Linux `tcp_enter_loss`, unless the receiver
//!   reneged): the go-back-N resend skips what the receiver holds.
//!
//! - RACK (RFC 8985 §6.2, Linux `tcp_rack_detect_loss`) judges by time too: a segment not
//!   SACKed that went out before the newest one delivered is lost once that delivery's round
//!   trip and a reordering window (zero in recovery, after a timeout or with three segments
//!   SACKed, else a quarter of the lowest round trip) have passed; the reordering timer catches the ones still inside the window, so
//!   a loss with fewer than three segments SACKed after it starts recovery without a
//!   timeout. A retransmission lost again is found the same way (RACK's rule for
//!   retransmissions, `Watched`): once data first sent after it has been delivered and
//!   SRTT + SRTT/4 has passed since it went out, it leaves pipe and goes out again first.
//!
//! Simplified: RACK's reordering window is not widened when reordering is seen (Linux's
//! D-SACK-driven `reo_wnd_steps`; synack's links reorder only when asked to); at most
//! [`WATCHED`] retransmissions watched at once; no D-SACK, no undo of spurious recoveries.
//! A lost tail is found by a tail loss probe (`tlp.rs`).

use synack_sim::{Duration, Time};

use super::Connection;
use crate::config::LossRecovery;
use crate::congestion::CongestionControl;
use crate::segment::{Flags, Segment};
use crate::seq::Seq;
use crate::timer::{jiffies, Timer};

/// Retransmissions watched for their own loss, at most this many at once (a further one
/// falls back to the retransmission timer). Linux watches every one; 64 covers a slow
/// start's overshoot into a 50-packet queue, where 16 left a timeout in about one 30 s
/// transfer in three (validation/linux, Reno with SACK at 0.5 % and 1 % loss).
pub const WATCHED: usize = 64;

/// One retransmission of the current recovery.
#[derive(Clone, Copy, Debug, Default)]
struct Resent {
    start: Seq,
    end: Seq,
    at: Time,
    lost: bool,
}

/// The retransmissions of the current recovery that may still be lost. Their room is made
/// at a connection's first retransmission, once, for [`WATCHED`] of them: most connections
/// never retransmit, and a connection without it is half the size (a thousand hosts' idle
/// connections stay in cache).
#[derive(Clone, Debug, Default)]
pub(super) struct Watched {
    items: Vec<Resent>,
}

impl Watched {
    fn as_slice(&self) -> &[Resent] {
        &self.items
    }

    fn as_mut_slice(&mut self) -> &mut [Resent] {
        &mut self.items
    }

    pub(super) fn clear(&mut self) {
        self.items.clear();
    }

    /// Watches `[start, end)`, resent at `at`.
    fn watch(&mut self, start: Seq, end: Seq, at: Time) {
        let again = Resent {
            start,
            end,
            at,
            lost: false,
        };
        // The one it resends again, from any byte of it (SND.UNA may have moved into it):
        // no longer lost.
        let holds = |r: &Resent| r.start.le(start) && start.lt(r.end);
        if let Some(r) = self.as_mut_slice().iter_mut().find(|r| holds(r)) {
            *r = again;
        } else if self.items.len() < WATCHED {
            if self.items.capacity() == 0 {
                self.items.reserve_exact(WATCHED);
            }
            self.items.push(again);
        }
    }

    /// Keeps those with bytes still neither acknowledged nor SACKed.
    fn retain(&mut self, keep: impl Fn(&Resent) -> bool) {
        self.items.retain(keep);
    }
}

impl super::Recovery {
    /// Linux `tcp_rack_advance`: a segment sent at `xmit` was delivered at `now`; the newest
    /// such sets RACK's clock and round trip. A resent segment (`resent`) delivered sooner
    /// than the lowest round trip may be its original's; it says nothing.
    fn rack_advance(&mut self, now: Time, xmit: Time, resent: bool) {
        let rtt = now.saturating_since(xmit);
        let ambiguous = resent && self.min_rtt.is_some_and(|(min, _)| rtt < min);
        if !ambiguous && self.rack_xmit.is_none_or(|t| xmit > t) {
            self.rack_xmit = Some(xmit);
            self.rack_rtt = rtt;
        }
    }
}

/// PRR's counters for one recovery (RFC 6937 §3).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Prr {
    /// Bytes delivered (acknowledged or SACKed) since recovery began.
    delivered: u64,
    /// Bytes sent since recovery began.
    pub(super) out: u64,
    /// cwnd when recovery began (Linux `prior_cwnd`; RFC 6937's RecoverFS).
    recover_fs: u64,
}

impl Connection {
    /// Takes the SACK blocks of an acceptable ACK into the scoreboard; returns the bytes
    /// they newly SACKed.
    pub(super) fn take_sack_blocks(&mut self, seg: &Segment) -> u64 {
        if !self.agreed.sack || seg.opts.sack.is_empty() {
            return 0;
        }
        let una = self.snd.una.max(seg.ack);
        let mut newly = 0;
        for &block in seg.opts.sack.as_slice() {
            // Linux SACKs whole segments only (`tcp_match_skb_to_sack`: a block covering
            // part of one leaves it unSACKed).
            let block = match self.config.recovery {
                LossRecovery::Linux => match self.sent.whole_segments(self.snd.una, block) {
                    Some(b) => b,
                    None => continue,
                },
                LossRecovery::Rfc => block,
            };
            newly += self.recovery.board.add(block, una, self.snd.max);
        }
        u64::from(newly)
    }

    /// An ACK with SACK agreed: `acked` bytes newly acknowledged and not SACKed before
    /// (`advanced`: SND.UNA moved), `sacked` newly SACKed, `dup` a duplicate ACK (RFC 5681
    /// §2, or one with new SACK information: RFC 6675 §2). `acked + sacked` is what the ACK
    /// delivered (RFC 6937's DeliveredData, Linux's `acked_sacked`), by which PRR counts and
    /// slow start and congestion avoidance grow — on an ACK that moves SND.UNA only
    /// (`tcp_may_raise_cwnd`: FLAG_DATA_ACKED).
    pub(super) fn on_ack_sack(
        &mut self,
        now: Time,
        (acked, advanced): (u64, bool),
        sacked: u64,
        dup: bool,
    ) {
        if self.agreed.sack {
            self.rack_detect_loss(now);
        }
        if self.recovery.in_recovery {
            if self.snd.una.gt(self.recovery.recover) {
                // Linux `tcp_end_cwnd_reduction`: recovery over, cwnd = ssthresh.
                self.recovery.in_recovery = false;
                self.recovery.dup_acks = 0;
                self.recovery.resent.clear();
                let flight = u64::from(self.snd.max.since(self.snd.una));
                self.cc.on_recovery_end(flight);
                self.cc.set_window(self.cc.ssthresh());
            } else {
                self.detect_lost_retransmissions(now);
                self.prr_update(acked + sacked, advanced);
            }
            return;
        }
        if self.ecn_end_cwr() {
            // Linux `tcp_end_cwnd_reduction`: the ECN reduction is over, cwnd = ssthresh.
            self.cc.set_window(self.cc.ssthresh());
        }
        // Linux grows cwnd after deciding on the state (`tcp_fastretrans_alert`, then
        // `tcp_cong_control`); here growth comes first, except that an ACK which starts or
        // continues an ECN reduction grows nothing.
        let reducing = self.ecn.cwr_high.is_some() || self.ecn_should_reduce();
        if advanced {
            self.recovery.dup_acks = 0;
            if !reducing {
                self.cc.on_ack(acked + sacked);
            }
        }
        if dup {
            self.recovery.dup_acks += 1;
        }
        let una_lost = self.lost_below().gt(self.snd.una);
        // RFC 6675 §5 (DupAcks ≥ DupThresh, or IsLost(HighACK + 1)), and RFC 6582's guard:
        // one recovery per window of data.
        let once = self.snd.una.gt(self.recovery.recover);
        if (self.recovery.dup_acks >= 3 || una_lost) && once {
            return self.enter_sack_recovery(acked + sacked);
        }
        if self.ecn_should_reduce() {
            // Linux `tcp_try_to_open` → `tcp_enter_cwr` (RFC 3168 §6.1.2).
            self.enter_cwr();
        }
        if self.ecn.cwr_high.is_some() && acked + sacked > 0 {
            // Linux `tcp_cong_control` in CWR: `tcp_cwnd_reduction`.
            self.prr_update(acked + sacked, advanced);
        }
    }

    /// Linux `tcp_enter_cwr` and `tcp_init_cwnd_reduction`: the CWR state until SND.NXT is
    /// acknowledged and more, ssthresh from the congestion control, PRR's counters from
    /// zero, CWR queued for the receiver.
    fn enter_cwr(&mut self) {
        let cwnd = self.cc.window();
        self.ecn.cwr_high = Some(self.snd.max);
        self.recovery.tlp_high = None;
        self.recovery.prr = Prr {
            recover_fs: cwnd,
            ..Prr::default()
        };
        self.cc.on_fast_retransmit(cwnd);
        // The Reno family's fast retransmit sets cwnd = ssthresh + 3·SMSS; PRR sets it
        // from the next delivery on. Until then it stays where it was.
        self.cc.set_window(cwnd);
        self.ecn_queue_cwr();
    }

    /// An ACK below SND.UNA that SACKs `sacked` new bytes (Linux `tcp_ack`'s old_ack:
    /// `tcp_sacktag_write_queue`, `tcp_fastretrans_alert`, then `tcp_xmit_recovery`): losses
    /// are looked for and recovery may begin, but PRR and the window do not move; what the
    /// SACKed bytes took out of the pipe may go out under the window as it is.
    pub(super) fn on_old_ack_sack(&mut self, now: Time, sacked: u64) {
        self.rack_detect_loss(now);
        if self.recovery.in_recovery {
            self.detect_lost_retransmissions(now);
            return;
        }
        let once = self.snd.una.gt(self.recovery.recover);
        if once && self.lost_below().gt(self.snd.una) {
            self.enter_sack_recovery(sacked);
        }
    }

    /// RFC 6675 §5 step 4 with RFC 6937: ssthresh from the congestion control, the
    /// recovery point at the highest byte sent, PRR's counters from zero. Reno's ssthresh
    /// is half of cwnd, as Linux's `tcp_reno_ssthresh` takes it (RFC 5681 takes half the
    /// FlightSize, which the SACKed segments sent beyond it would inflate).
    /// From the CWR state (ECN) the reduction under way goes on: ssthresh, RecoverFS and
    /// PRR's counters are kept (Linux `tcp_enter_recovery`: `tcp_init_cwnd_reduction` only
    /// outside a reduction).
    fn enter_sack_recovery(&mut self, delivered: u64) {
        let cwnd = self.cc.window();
        let in_cwr = self.ecn.cwr_high.take().is_some();
        self.ecn_queue_cwr();
        self.recovery.in_recovery = true;
        self.recovery.recover = self.snd.max - 1;
        self.recovery.high_rxt = self.snd.una;
        self.recovery.resent.clear();
        // `tcp_init_cwnd_reduction`: a probe's episode ends; the probe timer gives way to
        // the retransmission timer.
        self.recovery.tlp_high = None;
        self.timers.stop(Timer::LossProbe);
        self.stats.fast_retransmits += 1;
        if !in_cwr {
            self.recovery.prr = Prr {
                recover_fs: cwnd,
                ..Prr::default()
            };
            self.cc.on_fast_retransmit(cwnd);
        }
        self.mark_head_lost();
        self.prr_update(delivered, false);
    }

    /// RFC 6937 §3 as Linux's `tcp_cwnd_reduction` computes it: cwnd = pipe + sndcnt.
    fn prr_update(&mut self, delivered: u64, una_advanced: bool) {
        let mss = u64::from(self.snd.mss);
        let prr = &mut self.recovery.prr;
        prr.delivered += delivered;
        let pipe = self.pipe();
        let ssthresh = self.cc.ssthresh();
        let prr = self.recovery.prr;
        let sndcnt = if pipe > ssthresh {
            // Proportional: deliveries × ssthresh / RecoverFS, rounded up, less what went out.
            let share = (prr.delivered * ssthresh).div_ceil(prr.recover_fs.max(1));
            share.saturating_sub(prr.out)
        } else {
            // The slow-start reduction bound (Linux adds a segment on an ACK that moved
            // SND.UNA).
            let bound = prr.delivered.saturating_sub(prr.out).max(delivered);
            let bound = bound + if una_advanced { mss } else { 0 };
            (ssthresh - pipe).min(bound)
        };
        // "Force a fast retransmit upon entering fast recovery."
        let sndcnt = if prr.out == 0 {
            sndcnt.max(mss)
        } else {
            sndcnt
        };
        self.cc.set_window(pipe + sndcnt);
    }

    /// Whether fast recovery is RFC 6675's with PRR (`send_in_sack_recovery`): with SACK,
    /// or without it in Linux's Reno mode.
    pub(super) fn prr_recovery(&self) -> bool {
        self.agreed.sack || self.config.recovery == LossRecovery::Linux
    }

    /// Where what is deemed lost from SND.UNA ends: what RACK (with SACK) or Linux's Reno
    /// mode (without) marked, and with SACK RFC 6675's `IsLost` too.
    fn lost_below(&self) -> Seq {
        let marked = self.recovery.marked_lost.max(self.snd.una);
        if self.agreed.sack {
            marked.max(self.recovery.board.lost_below(self.snd.una, self.snd.mss))
        } else {
            marked
        }
    }

    /// What Linux's Reno mode counts as having left the network above SND.UNA, in bytes.
    pub(super) fn reno_sacked_bytes(&self) -> u64 {
        u64::from(self.recovery.reno_sacked) * u64::from(self.snd.mss)
    }

    /// Without SACK, Linux `tcp_newreno_mark_lost`: the first unacknowledged segment is
    /// lost, when recovery starts and on every partial ACK.
    fn mark_head_lost(&mut self) {
        let (una, max) = (self.snd.una, self.snd.max);
        if self.agreed.sack || !self.recovery.marked_lost.le(una) || !una.lt(max) {
            return;
        }
        self.recovery.marked_lost = una + max.since(una).min(self.snd.mss);
    }

    /// A duplicate ACK without SACK, in Linux's Reno mode (`tcp_add_reno_sack`): one more
    /// segment has left the network, so one may go out — up to `packets_out` less the
    /// segments marked lost, or at least one (`tcp_limit_reno_sacked`). After a timeout it
    /// counts only once new data has gone out (`tcp_process_loss`). Returns the bytes it
    /// deems delivered.
    pub(super) fn add_reno_sack(&mut self) -> u64 {
        let (una, max, mss) = (self.snd.una, self.snd.max, self.snd.mss);
        let r = &self.recovery;
        if r.after_rto && !max.gt(r.recover + 1) {
            return 0;
        }
        let packets_out = max.since(una).div_ceil(mss);
        let holes = self.lost_below().since(una).div_ceil(mss).max(1);
        if r.reno_sacked + 1 + holes > packets_out {
            return 0;
        }
        self.recovery.reno_sacked += 1;
        u64::from(mss)
    }

    /// An ACK of `acked` new bytes without SACK, in Linux's Reno mode. As
    /// `tcp_remove_reno_sacks`: one segment filled the hole, the others were already
    /// counted by duplicate ACKs, so `max(segments − sacked_out, 1)` are delivered. A partial
    /// ACK in recovery marks the next segment lost (`tcp_newreno_mark_lost`) before PRR
    /// looks at pipe; outside recovery the count starts again (`tcp_reset_reno_sack`).
    pub(super) fn on_ack_reno(&mut self, now: Time, acked: u64) {
        let mss = u64::from(self.snd.mss);
        let eaten =
            (acked.div_ceil(mss).saturating_sub(1)).min(u64::from(self.recovery.reno_sacked));
        self.recovery.reno_sacked -= eaten as u32;
        let delivered = acked.saturating_sub(eaten * mss).max(acked.min(1));
        if self.recovery.in_recovery && self.snd.una.le(self.recovery.recover) {
            self.mark_head_lost();
        }
        self.on_ack_sack(now, (delivered, acked > 0), 0, false);
        if !self.recovery.in_recovery {
            self.recovery.reno_sacked = 0;
        }
    }

    /// RFC 6675 §4 `SetPipe`: bytes outstanding that are neither SACKed nor lost, plus
    /// those resent in this recovery (Linux `tcp_packets_in_flight`); without SACK, less
    /// the segments duplicate ACKs counted.
    pub(super) fn pipe(&self) -> u64 {
        let (una, max) = (self.snd.una, self.snd.max);
        let board = &self.recovery.board;
        let lost_below = self.lost_below();
        let unsacked = |to: Seq| {
            if to.le(una) {
                0
            } else {
                to.since(una) - board.bytes_in(una, to)
            }
        };
        let resent = if self.recovery.in_recovery {
            let lost_again: u32 = (self.recovery.resent.as_slice().iter())
                .filter(|r| r.lost)
                .map(|r| {
                    let (s, e) = (r.start.max(una), r.end.min(self.recovery.high_rxt));
                    if s.lt(e) {
                        e.since(s) - board.bytes_in(s, e)
                    } else {
                        0
                    }
                })
                .sum();
            unsacked(self.recovery.high_rxt).saturating_sub(lost_again)
        } else {
            0
        };
        (u64::from(unsacked(max) - unsacked(lost_below)) + u64::from(resent))
            .saturating_sub(self.reno_sacked_bytes())
    }

    /// RACK for first transmissions (RFC 8985 §6.2, Linux `tcp_rack_detect_loss`): a segment
    /// not SACKed that went out before the newest one delivered is lost once RACK.rtt (that
    /// delivery's round trip) and a reordering window have passed since it went out. The
    /// window is zero in recovery, after a timeout or once three segments are SACKed
    /// (`tcp_rack_reo_wnd` without reordering seen), else min RTT/4 (at most SRTT). Segments go out in sequence order, so the lost
    /// ones are the unSACKed bytes below a boundary; the first segment still inside the
    /// window arms the reordering timer.
    pub(super) fn rack_detect_loss(&mut self, now: Time) {
        let una = self.snd.una;
        let high = self.recovery.board.ranges().last().map(|&(_, r)| r);
        let Some(high) = high.filter(|h| h.gt(una)) else {
            self.recovery.marked_lost = una;
            self.timers.stop(Timer::Reorder);
            return;
        };
        if let Some((xmit, probe)) = self.sent.sent_through(high) {
            self.recovery.rack_advance(now, xmit, probe);
        }
        let Some(srtt) = self.rtt.srtt() else {
            return;
        };
        let mss = u64::from(self.snd.mss);
        let sacked = u64::from(self.recovery.board.bytes_in(una, self.snd.max));
        let r = &self.recovery;
        let reo_wnd = if r.in_recovery || r.after_rto || sacked >= 3 * mss {
            Duration::ZERO
        } else {
            // `tcp_rack_reo_wnd`: a quarter of the lowest round trip, at most SRTT.
            let min_rtt = r.min_rtt.map_or(srtt, |(min, _)| min);
            Duration::from_nanos(min_rtt.as_nanos() / 4).min(srtt)
        };
        let wait = self.recovery.rack_rtt + reo_wnd;
        let Some(deadline) = now.as_nanos().checked_sub(wait.as_nanos()) else {
            return;
        };
        let (lost_to, next) = self.sent.split_at_time(Time::from_nanos(deadline));
        if let Some(end) = lost_to {
            let bound = end.min(high);
            if bound.gt(self.recovery.marked_lost) {
                self.recovery.marked_lost = bound;
            }
        }
        match next {
            Some((end, at)) if end.le(high) && self.recovery.rack_xmit.is_some_and(|x| at <= x) => {
                // `tcp_rack_mark_lost`: the rest of the window in whole jiffies, plus
                // `TCP_TIMEOUT_MIN` (2 jiffies: 8 ms at 250 Hz; 2 ms with exact timers);
                // the reordering timer takes the probe timer's place.
                let rest = (at + wait).saturating_since(now);
                let wait = rest + jiffies(self.config.timer_wheel_hz, 2);
                self.arm(Timer::Reorder, now, wait);
                self.timers.stop(Timer::LossProbe);
            }
            _ => self.timers.stop(Timer::Reorder),
        }
    }

    /// Linux `tcp_update_rtt_min`: the lowest round trip over the last
    /// `tcp_min_rtt_wlen` = 300 s. Simplified from Linux's windowed min-filter
    /// (`minmax_running_min`, which keeps runners-up): a minimum older than the window gives
    /// way to the next sample.
    pub(super) fn update_min_rtt(&mut self, now: Time, rtt: Duration) {
        const WINDOW: Duration = Duration::from_secs(300);
        let keep = self
            .recovery
            .min_rtt
            .is_some_and(|(min, at)| min <= rtt && now.saturating_since(at) <= WINDOW);
        if !keep {
            self.recovery.min_rtt = Some((rtt, now));
        }
    }

    /// The reordering timer: RACK looks again; a lost first segment starts recovery.
    pub(super) fn on_reorder_timeout(&mut self, now: Time) {
        if !self.agreed.sack {
            return;
        }
        self.rack_detect_loss(now);
        let once = self.snd.una.gt(self.recovery.recover);
        if !self.recovery.in_recovery && once && self.lost_below().gt(self.snd.una) {
            self.enter_sack_recovery(0);
        }
    }

    /// RACK's rule for retransmissions (RFC 8985 §6.2, Linux `tcp_rack_detect_loss` over
    /// the time-sorted queue): one is lost once a segment sent after it — new data, or
    /// another retransmission — has been delivered and RACK.rtt has passed since it went
    /// out (the reordering window is zero in recovery, `tcp_rack_reo_wnd`). A delivered
    /// retransmission advances RACK's clock as any delivered segment does
    /// (`tcp_rack_advance`), unless it came back sooner than the lowest round trip (it may
    /// be the original's). Delivered ones are forgotten.
    fn detect_lost_retransmissions(&mut self, now: Time) {
        let una = self.snd.una;
        let r = &mut self.recovery;
        let board = r.board;
        let delivered = |w: &Resent| {
            let s = w.start.max(una);
            !s.lt(w.end) || board.bytes_in(s, w.end) >= w.end.since(s)
        };
        for i in 0..r.resent.as_slice().len() {
            let w = r.resent.as_slice()[i];
            if delivered(&w) {
                r.rack_advance(now, w.at, true);
            }
        }
        r.resent.retain(|w| !delivered(w));
        let Some(xmit) = r.rack_xmit else {
            return;
        };
        let rack_rtt = r.rack_rtt;
        for w in r.resent.as_mut_slice() {
            if !w.lost && w.at < xmit && now >= w.at + rack_rtt {
                w.lost = true;
            }
        }
    }

    /// A retransmission RACK found lost, to go again first: from its first byte neither
    /// acknowledged nor SACKed, up to SMSS and short of the next SACKed range.
    fn next_lost_retransmission(&self) -> Option<(Seq, u32)> {
        let r = self.recovery.resent.as_slice().iter().find(|r| r.lost)?;
        let (hole, sacked_next) = self.recovery.board.next_hole(r.start.max(self.snd.una));
        if !hole.lt(r.end) {
            return None;
        }
        let limit = sacked_next.map_or(r.end, |s| s.min(r.end));
        Some((hole, limit.since(hole).min(self.snd.mss)))
    }

    /// Sends while pipe < cwnd: lost holes first, in order, then new data (RFC 6675 §5
    /// step C, `NextSeg` rules 1 and 2; Linux `tcp_xmit_retransmit_queue`, then
    /// `tcp_write_xmit`).
    pub(super) fn send_in_sack_recovery(&mut self, now: Time) {
        loop {
            let room = self.cc.window().saturating_sub(self.pipe());
            let next = (self.next_lost_retransmission())
                .or_else(|| self.next_lost_hole())
                .or_else(|| self.next_new_data());
            let Some((seq, len)) = next else {
                return;
            };
            if room < u64::from(len.max(1)) {
                return;
            }
            let end = self.data_end();
            let fin = self.snd.closed && seq + len == end;
            let flags = if fin {
                Flags::ACK | Flags::FIN
            } else {
                Flags::ACK
            };
            let seg = self.segment(seq, flags, len);
            if seq.lt(self.snd.max) {
                self.recovery.high_rxt = self.recovery.high_rxt.max(seg.end());
                self.recovery.resent.watch(seq, seg.end(), now);
            } else {
                self.snd.nxt = seg.end();
            }
            self.recovery.prr.out += u64::from(seg.seq_len());
            self.emit(now, seg);
        }
    }

    /// RFC 6675 `NextSeg` rule 1: the first byte after the last resent one that is neither
    /// SACKed nor acknowledged and is lost; the segment from it up to SMSS, short of the
    /// next SACKed range.
    fn next_lost_hole(&self) -> Option<(Seq, u32)> {
        let board = &self.recovery.board;
        let from = self.recovery.high_rxt.max(self.snd.una);
        let (hole, sacked_next) = board.next_hole(from);
        let lost_below = self.lost_below();
        if !hole.lt(lost_below) || !hole.lt(self.snd.max) {
            return None;
        }
        let limit = sacked_next.unwrap_or(self.snd.max);
        let data_left = if hole.lt(self.data_end()) {
            self.data_end().since(hole)
        } else {
            0
        };
        Some((hole, limit.since(hole).min(self.snd.mss).min(data_left)))
    }

    /// RFC 6675 `NextSeg` rule 2: a new segment at SND.MAX, if there is data and the peer's
    /// window takes it.
    pub(super) fn next_new_data(&self) -> Option<(Seq, u32)> {
        let end = self.data_end();
        if self.snd.nxt != self.snd.max || self.snd.max.gt(end) {
            return None;
        }
        let unsent = end.since(self.snd.max);
        let window_end = self.snd.una + self.snd.wnd;
        let room = if self.snd.max.lt(window_end) {
            window_end.since(self.snd.max)
        } else {
            0
        };
        let len = unsent.min(self.snd.mss).min(room);
        let fin = self.snd.closed && len == unsent;
        (len > 0 || fin).then_some((self.snd.max, len))
    }
}
