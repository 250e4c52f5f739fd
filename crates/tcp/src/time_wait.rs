//! A compact TIME-WAIT: what a connection keeps once nothing but TIME-WAIT is left to do.
//!
//! RFC 9293 §3.6.1 keeps a closed connection's 4-tuple for 2·MSL so that old duplicates die
//! and a lost last ACK can be repeated. A host closing many connections holds many of them
//! (with MSL = 30 s and 10 000 closes a second, 600 000 at once), so, as Linux swaps the
//! socket for a small `inet_timewait_sock`, the caller swaps its [`Connection`] for a
//! [`TimeWait`] ([`Connection::into_time_wait`]): at most 128 bytes, against the
//! connection's ~600 and its queues.
//!
//! [`TimeWait::handle_segment`] says what to do with a segment ([`TimeWaitAction`]), and the
//! caller ends it when [`TimeWait::deadline`] passes. This is the one implementation of
//! TIME-WAIT: a [`Connection`] in TIME-WAIT runs its segments and its timer through a
//! `TimeWait` made from its own state, so the two answer alike — except for a SYN that may
//! reopen the 4-tuple, which the caller is to take to a listener
//! ([`Connection::time_wait_accepts`]); a connection handed one anyway answers it with a
//! challenge ACK. The tests still drive both with the same segments and compare.
//!
//! Two rule sets (`time_wait_rules`): RFC 9293 §3.10.7.4 with RFC 5961 and RFC 7323, or
//! Linux's `tcp_timewait_state_process` (TIME-WAIT proper; Linux's FIN-WAIT-2 substate of a
//! timewait socket is a [`Connection`] here).
//!
//! Simplified: nothing else is kept, so a `TimeWait` emits no [`Event`](crate::Event)s; the
//! caller knows it closes on [`TimeWaitAction::Close`] or at the deadline. Linux's
//! TIME-WAIT ACKs carry the socket's own timestamp offset; here every TSval comes from the
//! host's one clock ([`ts_clock`]).
//!
//! [`Connection`]: crate::Connection
//! [`Connection::into_time_wait`]: crate::Connection::into_time_wait
//! [`Connection::time_wait_accepts`]: crate::Connection::time_wait_accepts

use synack_sim::{Duration, Time};

use crate::config::Rules;
use crate::connection::{
    acceptable, oow_rate_limited, paws_rejects, stamp_seconds, ts_before, ts_clock, Stats,
};
use crate::segment::{Flags, Options, Segment, Timestamp};
use crate::seq::Seq;

/// Linux `TCP_PAWS_MSL`: a RST older than TS.Recent is still rejected by PAWS while
/// TS.Recent was set less than 60 s ago.
const PAWS_MSL_SECONDS: u32 = 60;

/// Linux `TCP_PAWS_WRAP`: a TS.Recent set more than 24 days ago no longer rejects anything.
const PAWS_WRAP_SECONDS: u32 = 24 * 24 * 60 * 60;

/// What to do with a segment that reached a [`TimeWait`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeWaitAction {
    /// Send this ACK; the 2·MSL timer has restarted (see [`TimeWait::deadline`]). The
    /// peer's FIN came again: our last ACK was lost (RFC 9293 §3.10.7.4, eighth, TIME-WAIT);
    /// with Linux's rules, any segment outside the window that carries an ACK or fails
    /// PAWS.
    AckFin(Segment),
    /// Send this ACK; the timer is unchanged. The answer to a segment outside the window
    /// (RFC 9293 §3.10.7.4 first), to an in-window RST that is not exact (RFC 5961 §3.2),
    /// to a SYN that may not reopen the connection (RFC 5961 §4.2), or to an ACK of
    /// something never sent; with Linux's rules, to a SYN without ACK that may not reopen
    /// the connection.
    Ack(Segment),
    /// An exact RST with `rfc1337` off (RFC 9293 §3.10.7.4 second; Linux: a RST at RCV.NXT
    /// that passes PAWS): forget the connection.
    Close,
    /// A new SYN beyond the old sequence space (RFC 6191 / RFC 1122 §4.2.2.13, Linux
    /// `tcp_timewait_state_process`): forget this connection and hand the SYN to the
    /// listener, with an ISN of at least [`TimeWait::successor_isn`].
    Reopen,
    /// Nothing to do.
    Ignore,
}

/// A connection in TIME-WAIT, reduced to what TIME-WAIT needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeWait {
    local_port: u16,
    remote_port: u16,
    /// `rfc1337`: ignore an RST (RFC 1337 §3).
    rfc1337: bool,
    /// `time_wait_rules`.
    rules: Rules,
    /// SND.NXT: every sequence number we used lies before it (everything is acknowledged).
    snd_nxt: Seq,
    /// RCV.NXT, just after the peer's FIN.
    rcv_nxt: Seq,
    /// RCV.WND, bytes.
    rcv_wnd: u32,
    /// Our window scale: the ACKs' window field is RCV.WND shifted by it.
    rcv_wscale: u8,
    /// TS.Recent, if the connection used timestamps (RFC 7323 §3, §5): to echo, and to
    /// reject old duplicates against.
    ts_recent: Option<u32>,
    /// When TIME-WAIT began, in milliseconds of the simulation clock, wrapping (Linux's
    /// `tw_entry_stamp`), for `tw_reuse_delay`.
    entered_ms: u32,
    /// When TS.Recent was set, in whole seconds (Linux's `tw_ts_recent_stamp`).
    ts_recent_stamp: u32,
    /// When TIME-WAIT last answered a segment outside the window that carried no data or
    /// FIN, in milliseconds, 0 for never (Linux's `tw_last_oow_ack_time`, for
    /// `tcp_oow_rate_limited`).
    last_oow_ack: u32,
    /// `invalid_ratelimit` in milliseconds (at most 60 s).
    oow_interval_ms: u16,
    /// When TIME-WAIT ends.
    deadline: Time,
    /// 2·MSL, for restarting the timer.
    len: Duration,
    /// The connection's counters, and the ACKs sent since.
    stats: Stats,
}

/// `now` in whole milliseconds, wrapping (Linux's 32-bit millisecond stamps).
fn millis(now: Time) -> u32 {
    (now.as_nanos() / 1_000_000) as u32
}

// The point of the type: a million of these take under 128 MB.
const _: () = assert!(std::mem::size_of::<TimeWait>() <= 128);

impl TimeWait {
    /// Built by [`Connection::into_time_wait`](crate::Connection::into_time_wait).
    pub(crate) fn new(
        (local_port, remote_port): (u16, u16),
        snd_nxt: Seq,
        (rcv_nxt, rcv_wnd, rcv_wscale): (Seq, u32, u8),
        (deadline, len): (Time, Duration),
        (rules, rfc1337, (last_oow_ack, oow_interval_ms)): (Rules, bool, (u32, u16)),
        (ts_recent, ts_recent_stamp): (Option<u32>, u32),
        stats: Stats,
    ) -> TimeWait {
        TimeWait {
            local_port,
            remote_port,
            rfc1337,
            rules,
            snd_nxt,
            rcv_nxt,
            rcv_wnd,
            rcv_wscale,
            ts_recent,
            // At construction 2·MSL has just begun (the connection shrinks as it enters).
            entered_ms: millis(Time::ZERO + (deadline - Time::ZERO).saturating_sub(len)),
            ts_recent_stamp,
            last_oow_ack,
            oow_interval_ms,
            deadline,
            len,
            stats,
        }
    }

    /// A segment for this connection arrived at `now`. After [`TimeWaitAction::Ack`] and
    /// [`TimeWaitAction::AckFin`] the caller sends the segment given (it is counted in
    /// [`stats`](Self::stats)); after [`TimeWaitAction::Close`] and
    /// [`TimeWaitAction::Reopen`] it drops this `TimeWait`.
    pub fn handle_segment(&mut self, now: Time, seg: &Segment) -> TimeWaitAction {
        if seg.dst_port != self.local_port || seg.src_port != self.remote_port {
            return TimeWaitAction::Ignore; // not ours: the caller demultiplexes
        }
        match self.rules {
            Rules::Rfc9293 => self.handle_rfc9293(now, seg),
            Rules::Linux => self.handle_linux(now, seg),
        }
    }

    /// RFC 9293 §3.10.7.4 in TIME-WAIT, with RFC 5961 and RFC 7323's PAWS.
    fn handle_rfc9293(&mut self, now: Time, seg: &Segment) -> TimeWaitAction {
        if self.accepts(seg) {
            return TimeWaitAction::Reopen;
        }
        // PAWS (RFC 7323 §5.3 R1, Linux `tcp_timewait_state_process`): an old duplicate
        // is acknowledged and dropped.
        if self
            .ts_recent
            .is_some_and(|recent| paws_rejects(seg, recent))
        {
            return TimeWaitAction::Ack(self.send_ack(now));
        }
        // RFC 9293 §3.10.7.4 first: an unacceptable segment, other than a RST, is answered
        // with an ACK. The only thing that can arrive is a retransmission of the remote FIN:
        // acknowledge it, and restart the 2·MSL timeout.
        if !acceptable(self.rcv_nxt, self.rcv_wnd, seg) {
            if seg.flags.rst() {
                return TimeWaitAction::Ignore;
            }
            if seg.flags.fin() && seg.end() == self.rcv_nxt {
                self.deadline = now + self.len;
                self.take_ts_recent(now, seg);
                return TimeWaitAction::AckFin(self.send_ack(now));
            }
            return TimeWaitAction::Ack(self.send_ack(now));
        }
        // Second: RST. RFC 5961 §3.2: only an exact one counts, an in-window one draws a
        // challenge ACK; RFC 1337 §3 (fix F1): ignored altogether when `rfc1337` is on.
        if seg.flags.rst() {
            return if seg.seq != self.rcv_nxt {
                TimeWaitAction::Ack(self.send_ack(now))
            } else if self.rfc1337 {
                TimeWaitAction::Ignore
            } else {
                TimeWaitAction::Close
            };
        }
        // Fourth: a SYN draws a challenge ACK (RFC 5961 §4.2).
        if seg.flags.syn() {
            return TimeWaitAction::Ack(self.send_ack(now));
        }
        // Fifth: no ACK bit, drop; an ACK of something not yet sent, ACK. Any other ACK
        // acknowledges nothing new (ours were all acknowledged), and in TIME-WAIT text and
        // a FIN already received are ignored (seventh, eighth).
        if seg.flags.ack() && seg.ack.gt(self.snd_nxt) {
            return TimeWaitAction::Ack(self.send_ack(now));
        }
        TimeWaitAction::Ignore
    }

    /// Linux `tcp_timewait_state_process`, TIME-WAIT proper.
    fn handle_linux(&mut self, now: Time, seg: &Segment) -> TimeWaitAction {
        let paws = self.paws_rejects_linux(now, seg);
        let rst = seg.flags.rst();
        // "In window segment, it may be only reset or bare ack": exactly at RCV.NXT.
        if !paws && seg.seq == self.rcv_nxt && (seg.seq_len() == 0 || rst) {
            if rst && !self.rfc1337 {
                // "TIME_WAIT assassination": `tcp_rfc1337` off lets it end TIME-WAIT.
                return TimeWaitAction::Close;
            }
            if !rst {
                self.deadline = now + self.len;
            }
            self.take_ts_recent(now, seg);
            return TimeWaitAction::Ignore;
        }
        // "Out of window segment. All the segments are ACKed immediately. The only
        // exception is new SYN."
        if self.accepts(seg) {
            return TimeWaitAction::Reopen;
        }
        if rst {
            return TimeWaitAction::Ignore;
        }
        // "If it is ACKless SYN it may be both old duplicate and new good SYN with random
        // sequence number <rcv_nxt. Do not reschedule in the last case."
        let restart = paws || seg.flags.ack();
        if restart {
            self.deadline = now + self.len;
        }
        let interval = u32::from(self.oow_interval_ms);
        if oow_rate_limited(&mut self.last_oow_ack, now, seg, interval) {
            return TimeWaitAction::Ignore;
        }
        let ack = self.send_ack(now);
        if restart {
            TimeWaitAction::AckFin(ack)
        } else {
            TimeWaitAction::Ack(ack)
        }
    }

    /// Linux `tcp_paws_reject` with TIME-WAIT's TS.Recent: a TSval older than TS.Recent,
    /// unless TS.Recent is over 24 days old (`TCP_PAWS_WRAP`), or the segment is a RST and
    /// TS.Recent is 60 s old or more (`TCP_PAWS_MSL`: "we can relax time bounds for RST
    /// segments to MSL").
    fn paws_rejects_linux(&self, now: Time, seg: &Segment) -> bool {
        let (Some(recent), Some(seen)) = (self.ts_recent, seg.opts.timestamp) else {
            return false;
        };
        let age = stamp_seconds(now).wrapping_sub(self.ts_recent_stamp);
        let bound = if seg.flags.rst() {
            PAWS_MSL_SECONDS
        } else {
            PAWS_WRAP_SECONDS
        };
        ts_before(seen.val, recent) && age < bound
    }

    /// TS.Recent takes the segment's TSval, if both carry one.
    fn take_ts_recent(&mut self, now: Time, seg: &Segment) {
        if let (Some(recent), Some(seen)) = (&mut self.ts_recent, seg.opts.timestamp) {
            *recent = seen.val;
            self.ts_recent_stamp = stamp_seconds(now);
        }
    }

    /// When TIME-WAIT ends (2·MSL after it began, or after the peer's FIN last came again):
    /// the caller then forgets the connection (RFC 9293 §3.6.1: "delete the TCB").
    pub fn deadline(&self) -> Time {
        self.deadline
    }

    /// Whether TIME-WAIT is over at `now`.
    pub fn is_expired(&self, now: Time) -> bool {
        now >= self.deadline
    }

    /// The ACK this connection sends at `now`: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, with
    /// timestamps if the connection used them.
    pub fn ack_segment(&self, now: Time) -> Segment {
        let timestamp = self.ts_recent.map(|recent| Timestamp {
            val: ts_clock(now),
            ecr: recent,
        });
        Segment {
            src_port: self.local_port,
            dst_port: self.remote_port,
            seq: self.snd_nxt,
            ack: self.rcv_nxt,
            flags: Flags::ACK,
            window: (self.rcv_wnd >> self.rcv_wscale).min(65_535) as u16,
            len: 0,
            opts: Options {
                timestamp,
                ..Options::default()
            },
            ecn: Default::default(),
        }
    }

    /// Whether `syn` may reopen the 4-tuple (what
    /// [`Connection::time_wait_accepts`](crate::Connection::time_wait_accepts) asks of it):
    /// a SYN that PAWS lets through, beyond the old incarnation's sequence space or, with
    /// timestamps, newer than TS.Recent (Linux `tcp_timewait_state_process`).
    pub fn accepts(&self, syn: &Segment) -> bool {
        let is_syn = syn.flags.syn() && !syn.flags.ack() && !syn.flags.rst();
        let newer = match (self.ts_recent, syn.opts.timestamp) {
            (Some(recent), Some(seen)) => ts_before(recent, seen.val),
            _ => false,
        };
        let paws = self
            .ts_recent
            .is_some_and(|recent| paws_rejects(syn, recent));
        is_syn && !paws && (syn.seq.gt(self.rcv_nxt) || newer)
    }

    /// An ISN above every sequence number this connection used ([`tw_isn`]).
    pub fn successor_isn(&self) -> Seq {
        tw_isn(self.snd_nxt)
    }

    /// Whether connect() may take this 4-tuple over at `now` with `tw_reuse` on (Linux
    /// `tcp_twsk_unique`): the connection used timestamps (Linux's `tw_ts_recent_stamp` is
    /// set), so PAWS will reject its old segments at the peer, and TIME-WAIT began more than
    /// `delay` ago (`tcp_tw_reuse_delay`; kernels before it asked for a TS.Recent at least a
    /// second old). The new connection then starts at [`reuse_isn`](Self::reuse_isn).
    pub fn reusable(&self, now: Time, delay: Duration) -> bool {
        // `time_after32(now, tw_entry_stamp + delay)`.
        let since = millis(now).wrapping_sub(self.entered_ms) as i32;
        self.ts_recent.is_some() && i64::from(since) > (delay.as_nanos() / 1_000_000) as i64
    }

    /// The ISS of a connection that reuses this 4-tuple (`tcp_twsk_unique`: `tw_snd_nxt +
    /// 65535 + 2`, and 1 rather than 0).
    pub fn reuse_isn(&self) -> Seq {
        match self.successor_isn() {
            Seq(0) => Seq(1),
            isn => isn,
        }
    }

    pub fn local_port(&self) -> u16 {
        self.local_port
    }
    pub fn remote_port(&self) -> u16 {
        self.remote_port
    }
    /// The connection's counters, including the ACKs sent in TIME-WAIT.
    pub fn stats(&self) -> Stats {
        self.stats
    }
    /// TS.Recent and when it was set (seconds), if the connection used timestamps: for a
    /// [`Connection`](crate::Connection) in TIME-WAIT to take back.
    pub(crate) fn ts_recent(&self) -> Option<(u32, u32)> {
        self.ts_recent.map(|r| (r, self.ts_recent_stamp))
    }
    /// When TIME-WAIT last answered a segment it rate-limits answers to.
    pub(crate) fn last_oow_ack(&self) -> u32 {
        self.last_oow_ack
    }

    fn send_ack(&mut self, now: Time) -> Segment {
        self.stats.segments_sent += 1;
        self.ack_segment(now)
    }
}

/// The ISS of a connection that reopens a TIME-WAIT 4-tuple whose SND.NXT was `snd_nxt`:
/// Linux's `tw_isn`, `tw_snd_nxt + 65535 + 2`, and 1 should that be 0
/// (`tcp_timewait_state_process`).
pub(crate) fn tw_isn(snd_nxt: Seq) -> Seq {
    match snd_nxt + 65_537 {
        Seq(0) => Seq(1),
        isn => isn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tw_isn_skips_zero() {
        assert_eq!(tw_isn(Seq(102)), Seq(102 + 65_537));
        assert_eq!(tw_isn(Seq(0u32.wrapping_sub(65_537))), Seq(1));
        assert_eq!(tw_isn(Seq(0u32.wrapping_sub(65_536))), Seq(1));
    }
}
