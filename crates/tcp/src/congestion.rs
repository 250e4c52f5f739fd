//! Congestion control behind a narrow trait: the connection detects losses and decides what
//! to retransmit (RFC 5681 §3.2, RFC 6582 §3.2); a [`CongestionControl`] only answers "how
//! many bytes may be in flight" and how that changes on each event.
//!
//! How the window grows on an ACK of new data is the configured [`CwndGrowth`]:
//! - [`CwndGrowth::PerAck`] (the `rfc` profile): RFC 5681 §3.1 as written. Slow start adds
//!   min(N, SMSS) per ACK (equation 2), congestion avoidance SMSS·SMSS/cwnd per ACK
//!   (equation 3). With delayed ACKs (one ACK per two segments) that is ×1.5 per RTT in slow
//!   start and ½ SMSS per RTT in congestion avoidance.
//! - [`CwndGrowth::PerSegmentAcked`] (the `linux` profile): Linux's `tcp_reno_cong_avoid`.
//!   Slow start adds what was acknowledged, up to ssthresh (`tcp_slow_start`), and the rest
//!   counts towards congestion avoidance, which adds one SMSS per cwnd acknowledged
//!   (`tcp_cong_avoid_ai`; RFC 3465 byte counting). ×2 per RTT and 1 SMSS per RTT, whether
//!   ACKs are delayed or not.
//!
//! [`Cubic`] (`congestion = "cubic"`) is Linux's `tcp_cubic.c`, counted in segments as
//! Linux counts them; see its module.
//!
//! Simplified: Reno and NewReno count windows in bytes, so a segment shorter than SMSS counts
//! for its share of one where Linux counts it as a whole packet; they grow whether or not
//! the window is what limits the sender (Linux's `tcp_is_cwnd_limited` gates growth; CUBIC
//! here applies it); no restart after idle (RFC 5681 §4.1). The `linux` profile runs
//! NewReno, not Linux's default CUBIC.

use synack_sim::{Duration, Time};

use crate::config::{Congestion, CwndGrowth};
use crate::seq::Seq;

pub mod cubic;

pub use cubic::Cubic;

/// What a partial ACK (one that acknowledges some but not all of the data outstanding when
/// fast recovery began) means to the algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartialAck {
    /// RFC 6582 §3.2 (5): stay in fast recovery and retransmit the next hole.
    StayInRecovery,
    /// RFC 5681 §3.2 (6): any new ACK ends fast recovery.
    ExitRecovery,
}

/// What one ACK of new data tells the algorithm beyond the bytes it acknowledges: Linux's
/// `struct ack_sample` (given to `pkts_acked`) with the socket fields its `cong_avoid` reads
/// (`tcp_mstamp`, `snd_una`, `snd_nxt`, `is_cwnd_limited`, `max_packets_out`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckSample {
    /// When the ACK arrived.
    pub now: Time,
    /// The round trip of the newest segment this ACK acknowledges, from its transmission;
    /// `None` when the ACK covers a retransmitted segment (Karn) or no whole segment
    /// (Linux's `ca_rtt_us` of `tcp_clean_rtx_queue`, without timestamps).
    pub rtt: Option<Duration>,
    /// The connection's smoothed RTT (RFC 6298), once measured.
    pub srtt: Option<Duration>,
    /// SND.UNA after this ACK.
    pub una: Seq,
    /// The highest sequence number sent, plus one (Linux's `snd_nxt`, which a timeout does
    /// not rewind).
    pub snd_nxt: Seq,
    /// The window was full when data last went out in the current window of data (Linux's
    /// `tp->is_cwnd_limited`, kept by `tcp_cwnd_validate`).
    pub cwnd_limited: bool,
    /// The most segments outstanding in the current window of data (`tp->max_packets_out`).
    pub max_packets_out: u32,
}

/// The congestion window's arithmetic. Amounts in the interface are bytes.
///
/// An ACK of new data calls [`on_ack_sample`](Self::on_ack_sample) first, then one of
/// [`on_ack`](Self::on_ack), [`on_partial_ack`](Self::on_partial_ack) and
/// [`on_recovery_end`](Self::on_recovery_end); a timeout calls [`on_rto`](Self::on_rto) and
/// then [`on_enter_loss`](Self::on_enter_loss). The hooks with a default do nothing for the
/// Reno family.
pub trait CongestionControl {
    /// How many bytes may be outstanding (cwnd).
    fn window(&self) -> u64;
    /// The slow-start threshold, for traces and tests.
    fn ssthresh(&self) -> u64;
    /// `acked` bytes newly acknowledged outside fast recovery: slow start or congestion
    /// avoidance.
    fn on_ack(&mut self, acked: u64);
    /// The third duplicate ACK: a loss detected with `flight` bytes outstanding.
    fn on_fast_retransmit(&mut self, flight: u64);
    /// Each further duplicate ACK during fast recovery.
    fn on_dup_ack(&mut self);
    /// An ACK of `acked` new bytes during fast recovery that does not cover the recovery
    /// point.
    fn on_partial_ack(&mut self, acked: u64) -> PartialAck;
    /// The ACK that covers the recovery point; `flight` bytes are still outstanding.
    fn on_recovery_end(&mut self, flight: u64);
    /// The retransmission timer expired with `flight` bytes outstanding.
    fn on_rto(&mut self, flight: u64);
    /// A timeout that keeps ssthresh (RFC 5681 §3.1: a segment timed out again; Linux
    /// `tcp_enter_loss`: a timeout during fast recovery): cwnd is the loss window.
    fn on_rto_held(&mut self);
    /// Sets cwnd, ssthresh unchanged: proportional rate reduction (RFC 6937) sets cwnd
    /// itself during SACK recovery, as Linux's `tcp_cwnd_reduction` does.
    fn set_window(&mut self, cwnd: u64);
    /// Sets ssthresh (`u64::MAX`: infinite), cwnd unchanged: the restart after idle
    /// (`tcp_cwnd_restart`) keeps it at least ¾ of the old window.
    fn set_ssthresh(&mut self, ssthresh: u64);
    /// Linux's `pkts_acked`: every ACK of new data, in fast recovery or not, before the
    /// call that grows or deflates the window for it.
    fn on_ack_sample(&mut self, _sample: &AckSample) {}
    /// Linux's `set_state(TCP_CA_Loss)`, right after [`on_rto`](Self::on_rto): the timeout
    /// fired at `now`, when the highest sequence number sent (plus one) was `snd_nxt`.
    fn on_enter_loss(&mut self, _now: Time, _snd_nxt: Seq) {}
    /// Linux's `cwnd_event(CA_EVENT_TX_START)`: data goes out at `now` with nothing in
    /// flight; data last went out at `last_sent`.
    fn on_send_after_idle(&mut self, _now: Time, _last_sent: Time) {}
}

/// The window shared by Reno and NewReno: cwnd, ssthresh, the growth rule, and the bytes
/// acknowledged since cwnd last grew in congestion avoidance (`PerSegmentAcked` only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    smss: u64,
    cwnd: u64,
    ssthresh: u64,
    growth: CwndGrowth,
    acked_in_ca: u64,
}

impl Window {
    /// RFC 5681 §3.1: ssthresh starts arbitrarily high.
    fn new(growth: CwndGrowth, smss: u64, initial: u64) -> Window {
        Window {
            smss,
            cwnd: initial,
            ssthresh: u64::MAX,
            growth,
            acked_in_ca: 0,
        }
    }

    fn on_ack(&mut self, acked: u64) {
        // Only an ACK of new data grows the window (an ACK of a FIN alone does not).
        if acked == 0 {
            return;
        }
        match self.growth {
            CwndGrowth::PerAck => self.grow_per_ack(acked),
            CwndGrowth::PerSegmentAcked => self.grow_per_segment(acked),
        }
    }

    fn grow_per_ack(&mut self, acked: u64) {
        if self.cwnd < self.ssthresh {
            // RFC 5681 §3.1 equation (2): cwnd += min(N, SMSS).
            self.cwnd += acked.min(self.smss);
        } else {
            // RFC 5681 §3.1 equation (3): cwnd += SMSS*SMSS/cwnd; "if the above formula
            // yields 0, the result SHOULD be rounded up to 1 byte".
            self.cwnd += (self.smss * self.smss / self.cwnd).max(1);
        }
    }

    fn grow_per_segment(&mut self, mut acked: u64) {
        if self.cwnd < self.ssthresh {
            // Linux `tcp_slow_start`: cwnd = min(cwnd + acked, ssthresh); what is left over
            // goes on to congestion avoidance.
            let grown = self.cwnd.saturating_add(acked).min(self.ssthresh);
            acked -= grown - self.cwnd;
            self.cwnd = grown;
            if acked == 0 {
                return;
            }
        }
        // Linux `tcp_cong_avoid_ai(tp, cwnd, acked)`: one SMSS per cwnd acknowledged.
        self.acked_in_ca += acked;
        if self.acked_in_ca >= self.cwnd {
            let delta = self.acked_in_ca / self.cwnd;
            self.acked_in_ca -= delta * self.cwnd;
            self.cwnd += delta * self.smss;
        }
    }

    /// RFC 5681 §3.1 equation (4): ssthresh = max(FlightSize / 2, 2·SMSS).
    fn halve(&mut self, flight: u64) {
        self.ssthresh = (flight / 2).max(2 * self.smss);
        self.acked_in_ca = 0;
    }

    fn on_fast_retransmit(&mut self, flight: u64) {
        self.halve(flight);
        // RFC 5681 §3.2 (3): cwnd = ssthresh + 3·SMSS, the three segments that left.
        self.cwnd = self.ssthresh + 3 * self.smss;
    }

    /// RFC 5681 §3.2 (4): each further duplicate ACK inflates cwnd by one SMSS.
    fn on_dup_ack(&mut self) {
        self.cwnd += self.smss;
    }

    fn on_rto(&mut self, flight: u64) {
        self.halve(flight);
        // RFC 5681 §3.1: after a timeout cwnd is the loss window, 1 SMSS.
        self.cwnd = self.smss;
    }
}

/// RFC 5681 Reno: fast recovery ends at the first ACK of new data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reno(Window);

impl Reno {
    /// Growing per ACK, as RFC 5681 §3.1 writes it ([`CwndGrowth::PerAck`]).
    pub fn new(smss: u64, initial: u64) -> Reno {
        Reno::with_growth(CwndGrowth::PerAck, smss, initial)
    }

    /// Growing by the rule `growth`.
    pub fn with_growth(growth: CwndGrowth, smss: u64, initial: u64) -> Reno {
        Reno(Window::new(growth, smss, initial))
    }
}

impl CongestionControl for Reno {
    fn window(&self) -> u64 {
        self.0.cwnd
    }
    fn ssthresh(&self) -> u64 {
        self.0.ssthresh
    }
    fn on_ack(&mut self, acked: u64) {
        self.0.on_ack(acked)
    }
    fn on_fast_retransmit(&mut self, flight: u64) {
        self.0.on_fast_retransmit(flight)
    }
    fn on_dup_ack(&mut self) {
        self.0.on_dup_ack()
    }
    fn on_partial_ack(&mut self, _acked: u64) -> PartialAck {
        // RFC 5681 §3.2 (6): the next ACK of new data sets cwnd to ssthresh ("deflating").
        self.0.cwnd = self.0.ssthresh;
        PartialAck::ExitRecovery
    }
    fn on_recovery_end(&mut self, _flight: u64) {
        // RFC 5681 §3.2 (6).
        self.0.cwnd = self.0.ssthresh;
    }
    fn on_rto(&mut self, flight: u64) {
        self.0.on_rto(flight)
    }
    fn on_rto_held(&mut self) {
        self.0.cwnd = self.0.smss;
    }
    fn set_window(&mut self, cwnd: u64) {
        self.0.cwnd = cwnd;
    }
    fn set_ssthresh(&mut self, ssthresh: u64) {
        self.0.ssthresh = ssthresh;
    }
}

/// RFC 6582 NewReno: partial ACKs keep fast recovery going, one hole per round trip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewReno(Window);

impl NewReno {
    /// Growing per ACK, as RFC 5681 §3.1 writes it ([`CwndGrowth::PerAck`]).
    pub fn new(smss: u64, initial: u64) -> NewReno {
        NewReno::with_growth(CwndGrowth::PerAck, smss, initial)
    }

    /// Growing by the rule `growth`.
    pub fn with_growth(growth: CwndGrowth, smss: u64, initial: u64) -> NewReno {
        NewReno(Window::new(growth, smss, initial))
    }
}

impl CongestionControl for NewReno {
    fn window(&self) -> u64 {
        self.0.cwnd
    }
    fn ssthresh(&self) -> u64 {
        self.0.ssthresh
    }
    fn on_ack(&mut self, acked: u64) {
        self.0.on_ack(acked)
    }
    fn on_fast_retransmit(&mut self, flight: u64) {
        self.0.on_fast_retransmit(flight)
    }
    fn on_dup_ack(&mut self) {
        self.0.on_dup_ack()
    }
    fn on_partial_ack(&mut self, acked: u64) -> PartialAck {
        // RFC 6582 §3.2 (5): deflate by the amount acknowledged, then add back one SMSS if
        // at least one SMSS was acknowledged.
        let w = &mut self.0;
        w.cwnd = w.cwnd.saturating_sub(acked);
        if acked >= w.smss {
            w.cwnd += w.smss;
        }
        w.cwnd = w.cwnd.max(w.smss);
        PartialAck::StayInRecovery
    }
    fn on_recovery_end(&mut self, flight: u64) {
        // RFC 6582 §3.2 (6), option (1): cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS),
        // which avoids a burst when little is outstanding.
        let w = &mut self.0;
        w.cwnd = w.ssthresh.min(flight.max(w.smss) + w.smss);
    }
    fn on_rto(&mut self, flight: u64) {
        self.0.on_rto(flight)
    }
    fn on_rto_held(&mut self) {
        self.0.cwnd = self.0.smss;
    }
    fn set_window(&mut self, cwnd: u64) {
        self.0.cwnd = cwnd;
    }
    fn set_ssthresh(&mut self, ssthresh: u64) {
        self.0.ssthresh = ssthresh;
    }
}

/// A fixed window (`congestion = "none"`): fast retransmit still repairs losses, but the
/// window never changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fixed {
    cwnd: u64,
}

impl Fixed {
    pub fn new(window: u64) -> Fixed {
        Fixed { cwnd: window }
    }
}

impl CongestionControl for Fixed {
    fn window(&self) -> u64 {
        self.cwnd
    }
    fn ssthresh(&self) -> u64 {
        u64::MAX
    }
    fn on_ack(&mut self, _acked: u64) {}
    fn on_fast_retransmit(&mut self, _flight: u64) {}
    fn on_dup_ack(&mut self) {}
    fn on_partial_ack(&mut self, _acked: u64) -> PartialAck {
        PartialAck::StayInRecovery
    }
    fn on_recovery_end(&mut self, _flight: u64) {}
    fn on_rto(&mut self, _flight: u64) {}
    fn on_rto_held(&mut self) {}
    fn set_window(&mut self, _cwnd: u64) {}
    fn set_ssthresh(&mut self, _ssthresh: u64) {}
}

/// The algorithm a connection runs: a closed set, dispatched without a `Box<dyn>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Controller {
    NewReno(NewReno),
    Reno(Reno),
    Cubic(Cubic),
    Fixed(Fixed),
}

impl Controller {
    /// The configured algorithm with an initial window of `initial` bytes, growing per ACK
    /// as RFC 5681 §3.1 writes it.
    pub fn new(kind: Congestion, smss: u64, initial: u64) -> Controller {
        Controller::with_growth(kind, CwndGrowth::PerAck, smss, initial)
    }

    /// The configured algorithm and growth rule, with an initial window of `initial` bytes.
    /// CUBIC counts per segment acknowledged as Linux does, whatever `growth` says.
    pub fn with_growth(
        kind: Congestion,
        growth: CwndGrowth,
        smss: u64,
        initial: u64,
    ) -> Controller {
        match kind {
            Congestion::NewReno => Controller::NewReno(NewReno::with_growth(growth, smss, initial)),
            Congestion::Reno => Controller::Reno(Reno::with_growth(growth, smss, initial)),
            Congestion::Cubic => Controller::Cubic(Cubic::new(smss, initial)),
            Congestion::None => Controller::Fixed(Fixed::new(initial)),
        }
    }

    fn get(&self) -> &dyn CongestionControl {
        match self {
            Controller::NewReno(c) => c,
            Controller::Reno(c) => c,
            Controller::Cubic(c) => c,
            Controller::Fixed(c) => c,
        }
    }

    fn get_mut(&mut self) -> &mut dyn CongestionControl {
        match self {
            Controller::NewReno(c) => c,
            Controller::Reno(c) => c,
            Controller::Cubic(c) => c,
            Controller::Fixed(c) => c,
        }
    }
}

impl CongestionControl for Controller {
    fn window(&self) -> u64 {
        self.get().window()
    }
    fn ssthresh(&self) -> u64 {
        self.get().ssthresh()
    }
    fn on_ack(&mut self, acked: u64) {
        self.get_mut().on_ack(acked)
    }
    fn on_fast_retransmit(&mut self, flight: u64) {
        self.get_mut().on_fast_retransmit(flight)
    }
    fn on_dup_ack(&mut self) {
        self.get_mut().on_dup_ack()
    }
    fn on_partial_ack(&mut self, acked: u64) -> PartialAck {
        self.get_mut().on_partial_ack(acked)
    }
    fn on_recovery_end(&mut self, flight: u64) {
        self.get_mut().on_recovery_end(flight)
    }
    fn on_rto(&mut self, flight: u64) {
        self.get_mut().on_rto(flight)
    }
    fn on_rto_held(&mut self) {
        self.get_mut().on_rto_held()
    }
    fn set_window(&mut self, cwnd: u64) {
        self.get_mut().set_window(cwnd)
    }
    fn set_ssthresh(&mut self, ssthresh: u64) {
        self.get_mut().set_ssthresh(ssthresh)
    }
    fn on_ack_sample(&mut self, sample: &AckSample) {
        self.get_mut().on_ack_sample(sample)
    }
    fn on_enter_loss(&mut self, now: Time, snd_nxt: Seq) {
        self.get_mut().on_enter_loss(now, snd_nxt)
    }
    fn on_send_after_idle(&mut self, now: Time, last_sent: Time) {
        self.get_mut().on_send_after_idle(now, last_sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u64 = 1000;

    #[test]
    fn per_ack_growth_is_rfc_5681_equations_2_and_3() {
        let mut c = NewReno::new(MSS, 2 * MSS);
        c.on_ack(MSS);
        c.on_ack(500);
        assert_eq!(c.window(), 3500, "eq. (2): + min(N, SMSS)");
        c.on_ack(3 * MSS);
        assert_eq!(c.window(), 4500, "at most one SMSS per ACK");
        c.on_ack(0);
        assert_eq!(c.window(), 4500, "no new data, no growth");
        c.on_rto(8 * MSS);
        assert_eq!(
            (c.window(), c.ssthresh()),
            (MSS, 4 * MSS),
            "eq. (4) and the loss window"
        );
        c.on_ack(MSS);
        c.on_ack(MSS);
        c.on_ack(MSS);
        assert_eq!(c.window(), 4 * MSS);
        // Congestion avoidance, eq. (3): SMSS·SMSS/cwnd per ACK, whatever it covers.
        c.on_ack(2 * MSS);
        assert_eq!(c.window(), 4250);
        c.on_ack(MSS);
        assert_eq!(c.window(), 4250 + 1_000_000 / 4250);
    }

    #[test]
    fn per_ack_rounds_a_tiny_increase_up_to_one_byte() {
        let mut c = Reno::new(1, 10);
        c.on_rto(10); // ssthresh = max(5, 2) = 5, cwnd = 1
        for _ in 0..4 {
            c.on_ack(1);
        }
        assert_eq!((c.window(), c.ssthresh()), (5, 5));
        c.on_ack(1);
        assert_eq!(c.window(), 6, "1·1/5 = 0, rounded up to 1 byte");
    }

    #[test]
    fn per_segment_growth_is_linux_reno() {
        let mut c = NewReno::with_growth(CwndGrowth::PerSegmentAcked, MSS, 2 * MSS);
        c.on_ack(3 * MSS);
        assert_eq!(c.window(), 5 * MSS, "tcp_slow_start: + every segment acked");
        c.on_rto(12 * MSS);
        assert_eq!((c.window(), c.ssthresh()), (MSS, 6 * MSS));
        c.on_ack(4 * MSS);
        assert_eq!(c.window(), 5 * MSS);
        // Slow start stops at ssthresh; the other 2 segments count towards avoidance.
        c.on_ack(3 * MSS);
        assert_eq!(c.window(), 6 * MSS);
        c.on_ack(3 * MSS);
        assert_eq!(c.window(), 6 * MSS, "5 of 6 segments counted");
        c.on_ack(MSS);
        assert_eq!(
            c.window(),
            7 * MSS,
            "tcp_cong_avoid_ai: one SMSS per cwnd acked"
        );
        c.on_ack(15 * MSS);
        assert_eq!(c.window(), 9 * MSS, "two windows' worth at once: two SMSS");
    }

    /// One round trip with delayed ACKs: the window's full segments are acknowledged two
    /// at a time, an odd last one alone (by the delayed-ACK timer). Returns cwnd afterwards.
    fn round_with_delayed_acks(c: &mut NewReno) -> u64 {
        let segments = c.window() / MSS;
        for _ in 0..segments / 2 {
            c.on_ack(2 * MSS);
        }
        if segments % 2 == 1 {
            c.on_ack(MSS);
        }
        c.window()
    }

    #[test]
    fn growth_per_round_trip_with_delayed_acks() {
        let mut rfc = NewReno::with_growth(CwndGrowth::PerAck, MSS, 16 * MSS);
        let mut linux = NewReno::with_growth(CwndGrowth::PerSegmentAcked, MSS, 16 * MSS);
        let rfc_ss: Vec<u64> = (0..3).map(|_| round_with_delayed_acks(&mut rfc)).collect();
        let linux_ss: Vec<u64> = (0..3)
            .map(|_| round_with_delayed_acks(&mut linux))
            .collect();
        assert_eq!(
            rfc_ss,
            [24 * MSS, 36 * MSS, 54 * MSS],
            "slow start ×1.5 per RTT"
        );
        assert_eq!(
            linux_ss,
            [32 * MSS, 64 * MSS, 128 * MSS],
            "slow start ×2 per RTT"
        );

        // Congestion avoidance from 40 segments (ssthresh = 40): rfc gains about ½ SMSS per
        // round trip (20 ACKs of SMSS·SMSS/cwnd ≈ 24 bytes: +481, +480, +480, then 21 ACKs
        // for 41 segments: +493), linux exactly one SMSS.
        let mut rfc = NewReno::with_growth(CwndGrowth::PerAck, MSS, 40 * MSS);
        let mut linux = NewReno::with_growth(CwndGrowth::PerSegmentAcked, MSS, 40 * MSS);
        rfc.on_rto(80 * MSS);
        linux.on_rto(80 * MSS);
        while rfc.window() < 40 * MSS {
            rfc.on_ack(MSS);
            linux.on_ack(MSS);
        }
        assert_eq!((rfc.window(), linux.window()), (40 * MSS, 40 * MSS));
        let rfc_ca: Vec<u64> = (0..4).map(|_| round_with_delayed_acks(&mut rfc)).collect();
        let linux_ca: Vec<u64> = (0..4)
            .map(|_| round_with_delayed_acks(&mut linux))
            .collect();
        assert_eq!(rfc_ca, [40_481, 40_961, 41_441, 41_934]);
        assert_eq!(linux_ca, [41 * MSS, 42 * MSS, 43 * MSS, 44 * MSS]);
    }

    #[test]
    fn ssthresh_floor_is_two_segments() {
        let mut c = Reno::new(MSS, 10 * MSS);
        c.on_rto(MSS);
        assert_eq!(c.ssthresh(), 2 * MSS);
    }

    #[test]
    fn fast_recovery_newreno_and_reno() {
        let mut n = NewReno::new(MSS, 10 * MSS);
        n.on_fast_retransmit(10 * MSS);
        assert_eq!((n.window(), n.ssthresh()), (8 * MSS, 5 * MSS));
        n.on_dup_ack();
        assert_eq!(n.window(), 9 * MSS);
        assert_eq!(n.on_partial_ack(3 * MSS), PartialAck::StayInRecovery);
        assert_eq!(n.window(), 7 * MSS, "9 − 3 + 1 segments");
        n.on_recovery_end(6 * MSS);
        assert_eq!(n.window(), 5 * MSS, "min(ssthresh, flight + SMSS)");

        let mut r = Reno::new(MSS, 10 * MSS);
        r.on_fast_retransmit(10 * MSS);
        assert_eq!(r.on_partial_ack(MSS), PartialAck::ExitRecovery);
        assert_eq!(r.window(), 5 * MSS);
    }

    #[test]
    fn fixed_never_moves() {
        let mut c = Controller::new(Congestion::None, MSS, 3 * MSS);
        c.on_rto(10 * MSS);
        c.on_fast_retransmit(10 * MSS);
        c.on_ack(MSS);
        assert_eq!(c.window(), 3 * MSS);
    }
}
