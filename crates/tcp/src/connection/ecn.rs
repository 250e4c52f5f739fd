//! Explicit Congestion Notification (RFC 3168), as Linux runs it in its classic mode
//! (`net.ipv4.tcp_ecn` = 1 or 2; include/net/tcp_ecn.h, net/ipv4/tcp_input.c, tcp_output.c):
//!
//! - **Negotiation** (RFC 3168 §6.1.1). With `ecn = 1` our SYN carries ECE and CWR
//!   (`tcp_ecn_send_syn`); a retransmitted SYN no longer does (`tcp_ecn_clear_syn`, the
//!   fallback of §6.1.1.1). A listener with `ecn` 1 or 2 grants it to a SYN with both flags
//!   that arrived Not-ECT (`tcp_ecn_create_request`): its SYN-ACK carries ECE alone
//!   (`tcp_ecn_make_synack`). The client takes ECN when the SYN-ACK has ECE without CWR
//!   (`tcp_ecn_rcv_synack`); a simultaneous open, when the peer's SYN has both
//!   (`tcp_ecn_rcv_syn`). A SYN cookie keeps the grant in its timestamp (`cookie_ecn_ok`).
//! - **Sending** (`tcp_ecn_send`): new data goes out ECT(0); pure ACKs, SYNs, FINs without
//!   data, window probes and retransmissions go out Not-ECT. A queued CWR rides on the next
//!   new data segment; ECE on every segment while the peer's CWR is awaited.
//! - **Receiving**: a data segment marked CE makes the receiver acknowledge at once (quick-ACK
//!   mode for two ACKs) and set ECE on everything until a data segment with CWR arrives
//!   (`tcp_ecn_check_ce`, `tcp_ecn_accept_cwr`, which also acknowledges that one at once);
//!   Not-ECT data after ECT was seen (a retransmission, probably) gets quick ACKs too.
//! - **Responding** (RFC 3168 §6.1.2): an ACK with ECE outside any reduction enters CWR
//!   (`tcp_try_to_open` → `tcp_enter_cwr` → `tcp_init_cwnd_reduction`): ssthresh from the
//!   congestion control, as for a loss; PRR brings cwnd down to it on the following ACKs
//!   (`tcp_cwnd_reduction`); CWR is queued for the next new data. The state ends when an ACK
//!   goes beyond SND.NXT at its start (`high_seq`; "something *above* high_seq", so that the
//!   CWR has reached the receiver): cwnd = ssthresh (`tcp_end_cwnd_reduction`). A loss in CWR
//!   enters recovery continuing the same reduction (`tcp_enter_recovery`); entering recovery
//!   or a timeout queues CWR too. Without SACK under `recovery = "rfc"` the response is RFC
//!   3168 §6.1.2's: ssthresh from the congestion control, cwnd = ssthresh at once, no growth
//!   on that ACK, once per window of data.
//!
//! Simplified: ECE on a duplicate ACK is acted on only by the PRR recoveries (`rfc`
//! recovery waits for the next ACK of new data, which carries ECE too); no undo of a CWR
//! reduction (`tcp_ecn_withdraw_cwr`); no ECT(1) or Accurate ECN.

use super::Connection;
use crate::segment::{Ecn, Flags, Segment};
use crate::seq::Seq;

/// A connection's ECN state (Linux's `ecn_flags`, and `high_seq` in CWR).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct EcnState {
    /// Our SYN asked for ECN.
    asked: bool,
    /// ECN is in use (`TCP_ECN_OK`).
    pub ok: bool,
    /// A CE mark arrived: ECE on everything until the peer's CWR (`TCP_ECN_DEMAND_CWR`).
    demand_cwr: bool,
    /// CWR goes on the next new data segment (`TCP_ECN_QUEUE_CWR`).
    queue_cwr: bool,
    /// ECT or CE has been seen on the peer's data (`TCP_ECN_SEEN`).
    seen: bool,
    /// In the CWR state: SND.NXT when it began (`high_seq`).
    pub cwr_high: Option<Seq>,
    /// The ACK being processed carries ECE, and ECN is in use (`FLAG_ECE`).
    pub echo: bool,
}

impl Connection {
    /// The ECN flags of our SYN or SYN-ACK (Linux `tcp_ecn_send_syn`, `tcp_ecn_clear_syn`,
    /// `tcp_ecn_make_synack`); `again`: the SYN is a retransmission.
    pub(super) fn ecn_syn_flags(&mut self, synack: bool, again: bool) -> Flags {
        if synack {
            return if self.ecn.ok { Flags::ECE } else { Flags::NONE };
        }
        if !again {
            self.ecn.asked = self.config.ecn.requests();
        }
        if self.ecn.asked && !again {
            Flags::ECE | Flags::CWR
        } else {
            Flags::NONE
        }
    }

    /// The peer's SYN (passive open, or a simultaneous open) or SYN-ACK arrived: is ECN
    /// agreed? `tcp_ecn_create_request` (a SYN with ECE and CWR, sent Not-ECT, to a host
    /// whose `ecn` is not 0), `tcp_ecn_rcv_syn` (a simultaneous open: both flags),
    /// `tcp_ecn_rcv_synack` (ECE without CWR).
    pub(super) fn ecn_take_peer_syn(&mut self, seg: &Segment) {
        let f = seg.flags;
        self.ecn.ok = if f.ack() {
            self.ecn.asked && f.ece() && !f.cwr()
        } else if self.passive {
            self.config.ecn.accepts() && f.ece() && f.cwr() && seg.ecn == Ecn::NotEct
        } else {
            self.ecn.asked && f.ece() && f.cwr()
        };
    }

    /// A cookie's final ACK said whether its SYN asked for ECN (and the listener granted it).
    pub(super) fn ecn_from_cookie(&mut self, granted: bool) {
        self.ecn.ok = granted && self.config.ecn.accepts();
    }

    /// Linux `tcp_ecn_send`, for a segment about to go out (not a SYN): ECT(0) and any queued
    /// CWR on new data, Not-ECT otherwise; ECE while the peer's CWR is awaited.
    pub(super) fn ecn_mark(&mut self, seg: &mut Segment) {
        if !self.ecn.ok || seg.flags.syn() {
            return;
        }
        if seg.len > 0 && !seg.seq.lt(self.snd.max) {
            seg.ecn = Ecn::Ect0;
            if self.ecn.queue_cwr {
                self.ecn.queue_cwr = false;
                seg.flags |= Flags::CWR;
            }
        }
        if self.ecn.demand_cwr {
            seg.flags |= Flags::ECE;
        }
    }

    /// A data segment reaches the receive queue (Linux `tcp_data_queue`, then
    /// `tcp_event_data_recv` or `tcp_data_queue_ofo`): `tcp_ecn_accept_cwr`, then
    /// `tcp_ecn_check_ce`.
    pub(super) fn ecn_on_data(&mut self, seg: &Segment) {
        if !self.ecn.ok {
            return;
        }
        if seg.flags.cwr() {
            // "If the sender is telling us it has entered CWR, then its cwnd may be very
            // low (even just 1 packet), so we should ACK immediately."
            self.ecn.demand_cwr = false;
            self.rcv.ack_now = true;
        }
        match seg.ecn {
            Ecn::NotEct => {
                // Not-ECT after ECT: probably a retransmission; acknowledge it quickly.
                if self.ecn.seen {
                    self.enter_quickack_mode(2);
                }
            }
            Ecn::Ce => {
                if !self.ecn.demand_cwr {
                    // "Better not delay acks, sender can have a very low cwnd."
                    self.enter_quickack_mode(2);
                    self.ecn.demand_cwr = true;
                }
                self.ecn.seen = true;
            }
            Ecn::Ect0 | Ecn::Ect1 => self.ecn.seen = true,
        }
    }

    /// `tcp_ecn_queue_cwr`: a reduction began (CWR, recovery or a timeout); the next new
    /// data tells the receiver.
    pub(super) fn ecn_queue_cwr(&mut self) {
        if self.ecn.ok {
            self.ecn.queue_cwr = true;
        }
    }

    /// Whether the ACK being processed should start a reduction: it carries ECE, no
    /// reduction is under way (`icsk_ca_state < TCP_CA_CWR`).
    pub(super) fn ecn_should_reduce(&self) -> bool {
        self.ecn.echo
            && self.ecn.cwr_high.is_none()
            && !self.recovery.in_recovery
            && !self.recovery.after_rto
    }

    /// `tcp_fastretrans_alert`'s exit from CWR: once SND.UNA is beyond `high_seq`,
    /// cwnd = ssthresh (`tcp_end_cwnd_reduction`). Returns whether CWR ended.
    pub(super) fn ecn_end_cwr(&mut self) -> bool {
        match self.ecn.cwr_high {
            Some(high) if self.snd.una.gt(high) => {
                self.ecn.cwr_high = None;
                true
            }
            _ => false,
        }
    }
}
