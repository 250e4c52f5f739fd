//! When the receiver acknowledges, with `quick_ack` on: Linux's policy
//! (`tcp_event_data_recv`, `__tcp_ack_snd_check`, `tcp_send_delayed_ack`,
//! `tcp_delack_timer_handler`, net/ipv4/tcp_input.c and tcp_output.c/tcp_timer.c).
//!
//! - Quick-ACK mode: the first data of a connection (or data after a silence longer than the
//!   RTO) allows up to 16 immediate ACKs (`tcp_incr_quickack`: receive window / 2·MSS,
//!   at most `TCP_MAX_QUICKACKS`); each ACK sent uses one.
//! - ATO, the delayed-ACK timeout, starts at `delayed_ack` (Linux's `TCP_ATO_MIN`, 40 ms)
//!   and follows the gaps between arriving segments; a timeout that fires doubles it (up to
//!   the RTO), except in pingpong mode.
//! - Pingpong (interactive) mode: entered when we send data soon after data arrived (a reply)
//!   and when the peer's FIN moves us to CLOSE-WAIT; quick ACKs stop, and the ACK of that
//!   FIN waits ATO, so that an application that closes at once sends one FIN-ACK (a
//!   three-segment close) — once data has arrived: before any, ATO is zero and the FIN is
//!   acknowledged at once. A delayed ACK that fires in pingpong mode ends it.
//!
//! Simplified: one pingpong step (Linux ≥ 5.x counts them, `TCP_PINGPONG_THRESH` = 1 in 6.x
//! kernels that use the count), and the delayed-ACK timeout is bounded by 200 ms in pingpong
//! mode and 500 ms otherwise, and by SRTT (at least `delayed_ack`), as `tcp_send_delayed_ack`.

use synack_sim::{Duration, Time};

use super::Connection;
use crate::timer::Timer;

/// Linux `TCP_MAX_QUICKACKS`.
const MAX_QUICKACKS: u32 = 16;

/// Linux `TCP_DELACK_MAX`: the longest delay in pingpong mode.
const DELACK_MAX: Duration = Duration::from_millis(200);

fn half(d: Duration) -> Duration {
    Duration::from_nanos(d.as_nanos() / 2)
}

/// The receiver's ACK state.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct AckState {
    /// Immediate ACKs left in quick-ACK mode.
    quick: u32,
    /// The delayed-ACK timeout (`icsk_ack.ato`); zero before the first data.
    ato: Duration,
    /// When data last arrived (`icsk_ack.lrcvtime`).
    last_data: Option<Time>,
    /// Interactive: ACKs wait for a reply to carry them.
    pingpong: bool,
}

impl Connection {
    fn ato_min(&self) -> Duration {
        self.config.delayed_ack.unwrap_or(Duration::ZERO)
    }

    /// Linux `tcp_incr_quickack`.
    fn incr_quickack(&mut self) {
        let per = 2 * u64::from(self.snd.mss.max(1));
        let n = (u64::from(self.rcv.wnd) / per).clamp(2, u64::from(MAX_QUICKACKS)) as u32;
        self.rcv.acks.quick = self.rcv.acks.quick.max(n);
    }

    /// Linux `tcp_event_data_recv`: data arrived at `now`.
    pub(super) fn on_data_arrival(&mut self, now: Time) {
        if !self.config.quick_ack {
            return;
        }
        let ato_min = self.ato_min();
        let a = self.rcv.acks;
        match a.last_data {
            None => {
                self.incr_quickack();
                self.rcv.acks.ato = ato_min;
            }
            Some(last) => {
                let gap = now.saturating_since(last);
                if gap <= half(ato_min) {
                    self.rcv.acks.ato = half(a.ato) + half(ato_min);
                } else if gap < a.ato {
                    self.rcv.acks.ato = (half(a.ato) + gap).min(self.rtt.rto());
                } else if gap > self.rtt.rto() {
                    self.incr_quickack();
                }
            }
        }
        self.rcv.acks.last_data = Some(now);
    }

    /// Linux `tcp_enter_quickack_mode(sk, max)`: up to `max` immediate ACKs (`tcp_incr_quickack`:
    /// receive window / 2·MSS, 2 if that is 0, at most `max`), out of pingpong, ATO back to
    /// its minimum.
    pub(super) fn enter_quickack_mode(&mut self, max: u32) {
        if !self.config.quick_ack {
            return;
        }
        let per = 2 * u64::from(self.snd.mss.max(1));
        let n = match u64::from(self.rcv.wnd) / per {
            0 => 2,
            n => n.min(u64::from(max)) as u32,
        };
        let a = &mut self.rcv.acks;
        a.quick = a.quick.max(n.min(max));
        a.pingpong = false;
        a.ato = self.config.delayed_ack.unwrap_or(Duration::ZERO);
    }

    /// `__tcp_ack_snd_check`'s quick-ACK test: acknowledge this data at once.
    pub(super) fn quick_ack_due(&self) -> bool {
        self.config.quick_ack && self.rcv.acks.quick > 0 && !self.rcv.acks.pingpong
    }

    /// The delayed-ACK timeout now (`tcp_send_delayed_ack`).
    pub(super) fn ack_delay(&self) -> Option<Duration> {
        let base = self.config.delayed_ack?;
        if !self.config.quick_ack {
            return Some(base);
        }
        // Before any data arrived ATO is zero, and the "delayed" ACK goes at once (the
        // timer is set to fire now): a FIN that ends a connection that received nothing is
        // acknowledged at once.
        let ato = self.rcv.acks.ato;
        if ato <= base {
            return Some(ato);
        }
        let mut max = if self.rcv.acks.pingpong {
            DELACK_MAX
        } else {
            Duration::from_millis(500)
        };
        if let Some(srtt) = self.rtt.srtt() {
            max = max.min(srtt.max(base));
        }
        Some(ato.min(max))
    }

    /// Starts the delayed-ACK timer unless it runs; a zero delay is an ACK now.
    pub(super) fn schedule_delayed_ack(&mut self, now: Time) {
        match self.ack_delay() {
            Some(delay) if delay.is_zero() => self.rcv.ack_now = true,
            Some(delay) if !self.timers.is_armed(Timer::DelayedAck) => {
                self.arm(Timer::DelayedAck, now, delay);
            }
            Some(_) => {}
            None => self.rcv.ack_now = true,
        }
    }

    /// The delayed-ACK timer fired (`tcp_delack_timer_handler`): pingpong ends and ATO
    /// deflates; otherwise ATO doubles, up to the RTO.
    pub(super) fn on_delayed_ack_timeout(&mut self) {
        self.rcv.ack_now = true;
        if !self.config.quick_ack {
            return;
        }
        let a = &mut self.rcv.acks;
        if a.pingpong {
            a.pingpong = false;
            a.ato = self.config.delayed_ack.unwrap_or(Duration::ZERO);
        } else {
            a.ato = a.ato.saturating_mul(2).min(self.rtt.rto());
        }
    }

    /// An ACK of new data went out: one quick ACK used (`tcp_dec_quickack_mode`).
    pub(super) fn on_ack_sent(&mut self) {
        self.rcv.acks.quick = self.rcv.acks.quick.saturating_sub(1);
    }

    /// Data goes out at `now` (`tcp_event_data_sent`): a reply soon after data arrived
    /// makes the connection interactive.
    pub(super) fn on_reply_sent(&mut self, now: Time) {
        if !self.config.quick_ack {
            return;
        }
        if let Some(last) = self.rcv.acks.last_data {
            if now.saturating_since(last) < self.rcv.acks.ato {
                self.rcv.acks.pingpong = true;
            }
        }
    }

    /// The peer's FIN moved us to CLOSE-WAIT (`tcp_fin`): interactive, and its ACK waits
    /// for our own FIN if the application closes soon. Returns whether it waits.
    pub(super) fn delay_fin_ack(&mut self, now: Time) -> bool {
        if !self.config.quick_ack || self.config.delayed_ack.is_none() {
            return false;
        }
        self.rcv.acks.pingpong = true;
        self.schedule_delayed_ack(now);
        true
    }
}
