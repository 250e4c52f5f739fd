//! Timer expiry. Each timer has one handler; a wake-up with nothing due does nothing.

use synack_sim::{Duration, Time};

use super::{Connection, Event, DATA_RETRIES};
use crate::config::LossRecovery;
use crate::congestion::CongestionControl;
use crate::state::State;
use crate::timer::{wheel_deadline, Timer};

impl Connection {
    /// Arms `timer` to fire `delay` after `now`, on Linux's timer wheel with
    /// `timer_wheel_hz` (see [`wheel_deadline`]).
    pub(super) fn arm(&mut self, timer: Timer, now: Time, delay: Duration) {
        let at = wheel_deadline(now, delay, self.config.timer_wheel_hz);
        self.timers.set(timer, at);
    }

    /// The retransmission timeout to arm: the RTO, cut short to what is left of the user
    /// timeout while a data retransmission runs (Linux `tcp_clamp_rto_to_user_timeout`;
    /// once it has run out, a jiffy — "fire ASAP" — here a nanosecond).
    pub(super) fn rto_to_arm(&self, now: Time) -> Duration {
        let rto = self.rtt.rto();
        match (self.config.user_timeout, self.retrans_stamp) {
            (Some(limit), Some(first)) => {
                let left = limit.saturating_sub(now.saturating_since(first));
                rto.min(left).max(Duration::from_nanos(1))
            }
            _ => rto,
        }
    }

    /// Runs the timers due at `now` (none, if the wake-up is spurious).
    pub fn handle_timeout(&mut self, now: Time) {
        if self.state == State::TimeWait {
            self.on_time_wait_timeout(now);
        }
        for timer in Timer::ALL {
            if self.state == State::Closed {
                break;
            }
            if self.timers.take_expired(timer, now) {
                self.on_timer(now, timer);
            }
        }
        self.push(now);
    }

    /// RFC 9293 §3.6.1: "When the time-wait timeout expires, delete the TCB" — decided by
    /// the compact [`TimeWait`](crate::TimeWait), as for a connection already swapped for
    /// one. TIME-WAIT runs no other timer.
    fn on_time_wait_timeout(&mut self, now: Time) {
        let tw = self.time_wait().expect("TIME-WAIT runs its 2·MSL timer");
        if tw.is_expired(now) {
            self.finish(Event::Closed);
        }
    }

    fn on_timer(&mut self, now: Time, timer: Timer) {
        match timer {
            Timer::LossProbe => self.send_loss_probe(now),
            Timer::Retransmit => self.on_retransmit_timeout(now),
            Timer::Reorder => self.on_reorder_timeout(now),
            Timer::DelayedAck => self.on_delayed_ack_timeout(),
            // Armed only in TIME-WAIT, whose end `on_time_wait_timeout` decides.
            Timer::TimeWait => {}
            // Linux `tcp_fin_timeout`: an orphaned FIN-WAIT-2 is dropped silently.
            Timer::FinWait2 => self.finish(Event::Closed),
            // `push` re-arms it, backed off, while the window stays shut.
            Timer::Persist => self.send_window_probe(now),
        }
    }

    fn on_retransmit_timeout(&mut self, now: Time) {
        match self.state {
            State::SynSent => self.on_syn_timeout(now),
            State::Closed | State::Listen | State::TimeWait | State::FinWait2 => {}
            _ if !self.syn_acked() => self.on_synack_timeout(now),
            _ => self.on_data_timeout(now),
        }
    }

    /// The SYN went unanswered. Linux ≥ 6.5 (`tcp_syn_linear_timeouts`, ip-sysctl.rst):
    /// the first `syn_linear_timeouts` retransmissions keep the initial RTO, then the RTO
    /// doubles (RFC 6298 (5.5)); the connection gives up when the timer expires after
    /// `syn_retries + syn_linear_timeouts` retransmissions (Linux `tcp_write_timeout`).
    fn on_syn_timeout(&mut self, now: Time) {
        let limit = self.config.syn_retries + self.config.syn_linear_timeouts;
        if self.retries >= limit {
            return self.finish(Event::TimedOut);
        }
        self.retries += 1;
        if self.retries > self.config.syn_linear_timeouts {
            self.rtt.back_off();
        }
        self.resend_syn(now);
    }

    /// The SYN-ACK went unacknowledged: exponential backoff, `synack_retries` times.
    fn on_synack_timeout(&mut self, now: Time) {
        if self.retries >= self.synack_limit.unwrap_or(self.config.synack_retries) {
            return self.finish(Event::TimedOut);
        }
        self.retries += 1;
        self.rtt.back_off();
        self.resend_syn(now);
    }

    fn resend_syn(&mut self, now: Time) {
        // RFC 6298 (5.7) and RFC 5681 §3.1 look at this when the handshake completes.
        self.snd.syn_retransmitted = true;
        self.send_syn(now);
        self.arm(Timer::Retransmit, now, self.rtt.rto());
    }

    /// RFC 6298 (5.4)-(5.6) and RFC 5681 §3.1: data or FIN timed out. RFC 9293 §3.10.8:
    /// past the user timeout, if one is set, the connection is aborted (Linux
    /// `tcp_write_timeout`: `retransmits_timed_out` with `icsk_user_timeout`, counted from
    /// `retrans_stamp`), else after [`DATA_RETRIES`] timeouts.
    fn on_data_timeout(&mut self, now: Time) {
        let expired = match self.config.user_timeout {
            Some(limit) => self
                .retrans_stamp
                .is_some_and(|first| now.saturating_since(first) >= limit),
            None => self.retries >= DATA_RETRIES,
        };
        if expired {
            return self.finish(Event::TimedOut);
        }
        if self.retries == 0 {
            self.retrans_stamp = Some(now);
        }
        // RFC 5681 §3.1: ssthresh follows equation (4) on the first timeout of a segment
        // and is "held constant" on the next ones; as Linux's `tcp_enter_loss`, not lowered
        // again by a timeout during a PRR recovery either, and taken from cwnd, not
        // FlightSize, with `recovery = "linux"` (`tcp_reno_ssthresh`). cwnd is the loss
        // window, one segment, in every case.
        // Nor during an ECN reduction whose window is still outstanding (`tcp_enter_loss`:
        // CWR with `high_seq` after SND.UNA keeps ssthresh).
        let prr_recovery = self.prr_recovery() && self.recovery.in_recovery;
        let cwr = (self.ecn.cwr_high).is_some_and(|high| high.gt(self.snd.una));
        let lower = self.retries == 0 && !prr_recovery && !cwr;
        self.retries += 1;
        self.stats.rto_timeouts += 1;
        let flight = u64::from(self.snd.max.since(self.snd.una));
        let basis = match self.config.recovery {
            LossRecovery::Linux => self.cc.window(),
            LossRecovery::Rfc => flight,
        };
        if lower {
            self.cc.on_rto(basis);
        } else {
            self.cc.on_rto_held();
        }
        self.cc.on_enter_loss(now, self.snd.max);
        // `tcp_enter_loss`: the Loss state replaces CWR, and CWR is queued (ECN).
        self.ecn.cwr_high = None;
        self.ecn_queue_cwr();
        // RFC 6582 §3.2 (4): after a timeout, recover = the highest sequence number sent.
        self.recovery.in_recovery = false;
        self.recovery.resent.clear();
        self.recovery.dup_acks = 0;
        self.recovery.recover = self.snd.max - 1;
        // Linux `tcp_timeout_mark_lost` (Reno mode: `tcp_reset_reno_sack`): everything is
        // resent, so no segment stays marked, and RACK starts again.
        self.recovery.reno_sacked = 0;
        self.recovery.marked_lost = self.snd.una;
        self.recovery.after_rto = true;
        self.recovery.rack_xmit = None;
        self.timers.stop(Timer::Reorder);
        // Linux `tcp_enter_loss`: no probe is out any more.
        self.recovery.tlp_high = None;
        self.timers.stop(Timer::LossProbe);
        // RFC 6298 (5.5): back off; Karn: nothing outstanding is timed any more.
        self.rtt.back_off();
        self.snd.timed = None;
        // RFC 6298 (5.4): retransmit from the earliest unacknowledged byte (go-back-N: the
        // rest follows as the window reopens); `push` sends it and (5.6) restarts the timer.
        self.snd.nxt = self.snd.una;
    }
}
