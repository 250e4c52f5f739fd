//! Tail loss probes (RFC 8985 §7), as Linux sends them (`tcp_schedule_loss_probe`,
//! `tcp_send_loss_probe`, `tcp_process_tlp_ack`, net/ipv4/tcp_output.c and tcp_input.c).
//!
//! A loss at the tail of a flight leaves nothing sent after it to be SACKed, so neither
//! duplicate ACKs nor RACK can find it, and the sender would wait for the retransmission
//! timer. With SACK agreed and no loss being repaired, the probe timer runs instead:
//! - it is set after new data goes out and on every ACK of new data, to PTO = 2·SRTT plus
//!   2 ms (`TCP_TIMEOUT_MIN_US`), or plus `min_rto` when one segment is in flight (the
//!   receiver may be delaying its ACK), 1 s before any RTT sample; never later than the
//!   retransmission timer (on an ACK, the RTO the ACK restarts);
//! - when it fires, one probe goes out unless one is already out: a new segment if there is
//!   data and the peer's window takes it (whatever cwnd says), else the last segment sent,
//!   again; then the retransmission timer restarts from now;
//! - the probe's ACK or SACK does the rest: a SACK of the probe lets RACK mark what was
//!   sent before it lost, and recovery starts without a timeout;
//! - an ACK beyond SND.NXT-at-the-probe after a resent probe means the probe repaired a
//!   loss: cwnd is reduced once (Linux enters CWR: ssthresh from the congestion control,
//!   cwnd = ssthresh). A duplicate ACK there means the original and the probe both arrived.
//!
//! Simplified: with no D-SACK, a probe and its original both arriving are recognised only
//! by the duplicate ACK the second one draws; the timer that limits the probe is synack's
//! retransmission timer (RFC 8985 §7.2's "RTO expiration"), where Linux, for a probe set
//! after sending, counts the RTO from when the first unacknowledged segment last went out.

use synack_sim::{Duration, Time};

use super::Connection;
use crate::congestion::CongestionControl;
use crate::segment::Flags;
use crate::seq::Seq;
use crate::timer::{wheel_deadline, Timer};

/// Linux `TCP_TIMEOUT_MIN_US`: added to 2·SRTT when more than one segment is in flight.
const TIMEOUT_MIN: Duration = Duration::from_millis(2);

/// Linux `TCP_TIMEOUT_INIT`: the probe timeout before any RTT sample.
const TIMEOUT_INIT: Duration = Duration::from_secs(1);

impl Connection {
    /// Linux `tcp_schedule_loss_probe`: arms the probe timer if a probe may go (tail loss
    /// probes on, SACK agreed, data in flight, no loss being repaired: Linux's `Open` or
    /// `CWR`), else stops it. `advancing_rto`: an ACK just restarted the retransmission
    /// timer, so the probe may come as late as a whole RTO. Returns whether it is armed.
    pub(super) fn schedule_loss_probe(&mut self, now: Time, advancing_rto: bool) -> bool {
        let r = &self.recovery;
        let sending = self.state.transmits();
        let open = !r.in_recovery
            && !r.after_rto
            && r.board.ranges().is_empty()
            && !r.marked_lost.gt(self.snd.una);
        let packets_out = self.sent.packets_out();
        if !(self.config.tail_loss_probe && self.agreed.sack && sending && open) || packets_out == 0
        {
            self.timers.stop(Timer::LossProbe);
            return false;
        }
        let pto = match self.rtt.srtt() {
            Some(srtt) if packets_out == 1 => srtt.saturating_mul(2) + self.config.min_rto,
            Some(srtt) => srtt.saturating_mul(2) + TIMEOUT_MIN,
            None => TIMEOUT_INIT,
        };
        let rto_at = self.timers.get(Timer::Retransmit);
        let rto_delta = if advancing_rto {
            Some(self.rtt.rto())
        } else {
            rto_at.map(|at| at.saturating_since(now))
        };
        let delay = match rto_delta {
            Some(d) if d > Duration::ZERO => pto.min(d),
            _ => pto,
        };
        let mut at = wheel_deadline(now, delay, self.config.timer_wheel_hz);
        if let Some(rto_at) = rto_at {
            at = at.min(rto_at);
        }
        self.timers.set(Timer::LossProbe, at);
        true
    }

    /// Linux `tcp_send_loss_probe`: the probe timer fired. One probe at a time: new data if
    /// the peer's window takes a segment of it, else the last segment again; then the
    /// retransmission timer restarts from now.
    pub(super) fn send_loss_probe(&mut self, now: Time) {
        if self.recovery.tlp_high.is_some() || self.snd.una == self.snd.max {
            return;
        }
        let new = self.next_new_data().filter(|&(_, len)| {
            let unsent = self.data_end().since(self.snd.max);
            len == unsent.min(self.snd.mss)
        });
        let resent = new.is_none();
        let (seq, len) = match new {
            Some(next) => next,
            None => {
                // The last segment sent: from its start to SND.MAX (less the FIN), at most
                // SMSS (Linux fragments the last skb to its last MSS).
                let start = self.sent.last_start(self.snd.una);
                let end = self.data_end();
                let end = if self.snd.max.lt(end) {
                    self.snd.max
                } else {
                    end
                };
                let len = if start.lt(end) { end.since(start) } else { 0 };
                let len = len.min(self.snd.mss);
                (end - len, len)
            }
        };
        // The FIN rides on new data that ends the stream, and on a resend of the last
        // segment if it went out with it.
        let end = self.data_end();
        let fin = self.snd.closed && seq + len == end && (!resent || self.snd.max.gt(end));
        if len == 0 && !fin {
            return;
        }
        let flags = if fin {
            Flags::ACK | Flags::FIN
        } else {
            Flags::ACK
        };
        let seg = self.segment(seq, flags, len);
        if !resent {
            self.snd.nxt = seg.end();
        }
        self.emit_as(now, seg, true);
        self.stats.loss_probes += 1;
        self.recovery.tlp_high = Some(self.snd.max);
        self.recovery.tlp_retrans = resent;
        self.arm(Timer::Retransmit, now, self.rtt.rto());
    }

    /// Linux `tcp_process_tlp_ack`, for an ACK of `ack` while a probe is out: the probe is
    /// done once the ACK reaches SND.NXT-at-the-probe. A new segment probed for nothing to
    /// repair; a resent one repaired a loss if the ACK goes beyond (cwnd is reduced once, as
    /// Linux's CWR), or was a spurious copy if a pure duplicate ACK came (its original got
    /// there too).
    pub(super) fn process_tlp_ack(&mut self, ack: Seq, pure_dup: bool) {
        let Some(high) = self.recovery.tlp_high else {
            return;
        };
        if ack.lt(high) {
            return;
        }
        if !self.recovery.tlp_retrans {
            self.recovery.tlp_high = None;
        } else if ack.gt(high) {
            // `tcp_init_cwnd_reduction`, `tcp_end_cwnd_reduction`.
            self.recovery.tlp_high = None;
            let cwnd = self.cc.window();
            self.cc.on_fast_retransmit(cwnd);
            self.cc.set_window(self.cc.ssthresh());
        } else if pure_dup {
            self.recovery.tlp_high = None;
        }
    }
}
