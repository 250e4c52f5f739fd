//! The receive window. With `recv_autotuning` (Linux's `tcp_moderate_rcvbuf`) it is sized as
//! Linux 6.x sizes it (net/ipv4/tcp_input.c, tcp_output.c); without, it is the whole receive
//! buffer from the handshake on.
//!
//! - **The clamp** (`window_clamp`, the receive buffer in window terms) starts at what Linux
//!   offers from its default buffer, `tcp_rmem[1]` = 128 KiB, of which a 1448-byte segment's
//!   memory is 158/256 payload (`scaling_ratio` as Linux 6.18 measured it on the validation's
//!   TUN devices): 80,896 bytes. It grows, up to `recv_buffer`, to twice the bytes the
//!   application read in the last receiver round trip when that was more than ever before
//!   (`tcp_rcv_space_adjust`, `tcp_rcvbuf_grow`), and to that plus the span held beyond a hole
//!   when out-of-order data arrives.
//! - **rcv_ssthresh**, the most the window may offer, starts at the SYN's window, rises to
//!   the window last offered on the first full-sized segment (`tcp_set_window_clamp`, when
//!   `tcp_measure_rcv_mss` measures the ratio), and grows by 2·MSS per arriving data segment
//!   up to the free space (`tcp_grow_window`; out-of-order
//!   segments only with SACK, so that a sender without it gets its duplicate ACKs).
//! - **The receiver's round trip** (`rcv_rtt_est`): with timestamps, now less the echoed
//!   TSval of a full-sized segment (`tcp_rcv_rtt_measure_ts`); without, the time a window of
//!   data takes to arrive (`tcp_rcv_rtt_measure`, minimum only). Smaller samples replace the
//!   estimate, larger ones move it by 1/8 (`tcp_rcv_rtt_update`).
//! - **The window offered** (`__tcp_select_window`, `tcp_select_window`): the clamp less
//!   what is held beyond holes, at most rcv_ssthresh; below half the clamp rounded down to the
//!   scale's unit, and zero below 1/16 of it or one MSS; rounded up to the scale's unit (or
//!   down to a multiple of the MSS without scaling); never less than what the last ACK
//!   promised (the right edge does not move left, RFC 7323 §2.4).
//!
//! Simplified: memory is counted in payload bytes (Linux counts each buffer's true size and
//! scales it by the measured ratio: in window terms the same while that ratio holds); no
//! memory pressure, no pruning or collapsing of the out-of-order queue.

use synack_sim::{Duration, Time};

use super::{ts_clock, Connection, MAX_UNSCALED};
use crate::segment::Segment;

/// Linux's default receive buffer, `tcp_rmem[1]`, in window terms: 131,072 · 158 / 256.
const INITIAL_CLAMP: u64 = 131_072 * 158 / 256;

/// Linux `TCP_INIT_CWND`: the first measure of the bytes read per round trip is this many
/// segments (`tcp_init_buffer_space`).
const INIT_CWND: u64 = 10;

/// Receive-buffer autotuning state.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Tuning {
    /// `window_clamp`, bytes.
    clamp: u64,
    /// `rcv_ssthresh`, bytes.
    ssthresh: u64,
    /// `rcvq_space.space`: the most bytes read in one receiver round trip so far.
    space: u64,
    /// `rcvq_space.seq` and `.time`: where and when the current measure began.
    space_from: u64,
    space_at: Time,
    /// `rcv_rtt_est.rtt_us`, eight times the estimate; zero before a sample.
    rtt_x8: u64,
    /// `rcv_rtt_last_tsecr`.
    last_tsecr: u32,
    /// `rcv_rtt_est.seq` (stream offset) and `.time`, without timestamps.
    rtt_until: u64,
    rtt_since: Option<Time>,
    /// A full-sized segment has arrived (`tcp_measure_rcv_mss` has measured the ratio).
    measured: bool,
}

impl Connection {
    /// The handshake is over: the window starts at what the SYN offered (`tcp_init_buffer_space`).
    pub(super) fn init_receive_window(&mut self, now: Time, syn_window: u32) {
        if !self.config.recv_autotuning {
            return;
        }
        let mss = u64::from(self.snd.mss);
        let clamp = INITIAL_CLAMP.min(self.max_receive_window());
        self.rcv.tune = Tuning {
            clamp,
            ssthresh: u64::from(syn_window).min(clamp),
            space: (INIT_CWND * mss).min(u64::from(syn_window)),
            space_from: self.rcv.stream.delivered(),
            space_at: now,
            ..Tuning::default()
        };
        self.rcv.wnd = syn_window;
    }

    /// The largest window: the receive buffer, up to what the agreed scale expresses.
    pub(super) fn max_receive_window(&self) -> u64 {
        let scaled = MAX_UNSCALED << self.agreed.rcv_wscale;
        self.config.recv_buffer.min(scaled)
    }

    /// A data segment arrived (`in_order`: it moved RCV.NXT): the receiver's round trip,
    /// rcv_ssthresh and, once a round trip has passed, the clamp.
    pub(super) fn tune_on_data(&mut self, now: Time, seg: &Segment, in_order: bool) {
        if !self.config.recv_autotuning || self.rcv.tune.clamp == 0 {
            return;
        }
        if !self.rcv.tune.measured && seg.len >= self.snd.mss {
            // `tcp_measure_rcv_mss` → `tcp_set_window_clamp`: with the measured ratio the
            // clamp is set again, and rcv_ssthresh rises to the window last offered.
            let t = &mut self.rcv.tune;
            t.measured = true;
            t.ssthresh = t.ssthresh.max(u64::from(self.rcv.wnd).min(t.clamp));
        }
        self.measure_receiver_rtt(now, seg, in_order);
        if in_order || self.agreed.sack {
            self.grow_window();
        }
        if in_order {
            self.adjust_space(now);
        } else {
            // Linux ≥ 6.16 `tcp_data_queue_ofo`: room for what is held beyond the hole.
            let space = self.rcv.tune.space;
            self.grow_clamp(space);
        }
    }

    /// `tcp_rcv_rtt_measure_ts` and `tcp_rcv_rtt_measure`.
    fn measure_receiver_rtt(&mut self, now: Time, seg: &Segment, in_order: bool) {
        let t = &mut self.rcv.tune;
        if self.agreed.timestamps {
            let Some(ts) = seg.opts.timestamp else {
                return;
            };
            if ts.ecr == t.last_tsecr {
                return;
            }
            t.last_tsecr = ts.ecr;
            let ticks = ts_clock(now).wrapping_sub(ts.ecr);
            if seg.len >= self.snd.mss && ticks > 0 && ticks < 1 << 31 {
                self.update_receiver_rtt(Duration::from_millis(u64::from(ticks)), false);
            }
            return;
        }
        if !in_order {
            return;
        }
        let delivered = self.rcv.stream.delivered();
        if let Some(since) = t.rtt_since {
            if delivered < t.rtt_until {
                return;
            }
            let sample = now.saturating_since(since).max(Duration::from_nanos(1));
            self.update_receiver_rtt(sample, true);
        }
        let t = &mut self.rcv.tune;
        t.rtt_until = delivered + u64::from(self.rcv.wnd);
        t.rtt_since = Some(now);
    }

    /// `tcp_rcv_rtt_update`: a smaller sample replaces the estimate; a larger one moves it
    /// by 1/8, unless it is a whole window's time (`win_dep`), which only lowers it.
    fn update_receiver_rtt(&mut self, sample: Duration, win_dep: bool) {
        let t = &mut self.rcv.tune;
        let m = sample.as_nanos() * 8;
        if t.rtt_x8 == 0 || m < t.rtt_x8 {
            t.rtt_x8 = m;
        } else if !win_dep {
            t.rtt_x8 = t.rtt_x8 - t.rtt_x8 / 8 + sample.as_nanos();
        }
    }

    /// `tcp_grow_window`: 2·MSS more, up to the clamp and the free space.
    fn grow_window(&mut self) {
        let free = self.free_space();
        let t = &mut self.rcv.tune;
        let room = t.clamp.min(free).saturating_sub(t.ssthresh);
        t.ssthresh += room.min(2 * u64::from(self.snd.mss));
    }

    /// `tcp_rcv_space_adjust`, called as the application reads (here: at once): once a
    /// receiver round trip has passed, a new record of bytes read in one grows the clamp.
    fn adjust_space(&mut self, now: Time) {
        let t = self.rcv.tune;
        if t.rtt_x8 == 0 || now.saturating_since(t.space_at).as_nanos() < t.rtt_x8 / 8 {
            return;
        }
        let delivered = self.rcv.stream.delivered();
        let copied = delivered - t.space_from;
        if copied > t.space {
            self.grow_clamp(copied);
        }
        let t = &mut self.rcv.tune;
        t.space_from = delivered;
        t.space_at = now;
    }

    /// Linux ≥ 6.16 `tcp_rcvbuf_grow(sk, newval)`: the clamp becomes twice `space` (the
    /// sender may double its rate), plus the span held beyond a hole, up to `recv_buffer`.
    fn grow_clamp(&mut self, space: u64) {
        self.rcv.tune.space = space;
        let stream = &self.rcv.stream;
        let held_span = stream.held_end().map_or(0, |end| end - stream.delivered());
        let want = (2 * space + held_span).min(self.max_receive_window());
        let t = &mut self.rcv.tune;
        t.clamp = t.clamp.max(want);
    }

    /// `tcp_space`: the clamp less what is held beyond holes.
    fn free_space(&self) -> u64 {
        self.rcv
            .tune
            .clamp
            .saturating_sub(self.rcv.stream.held_bytes())
    }

    /// `tcp_select_window`: the window the next segment offers (RCV.WND), from RCV.NXT.
    pub(super) fn select_window(&mut self) {
        if !self.config.recv_autotuning || self.rcv.tune.clamp == 0 {
            return;
        }
        let t = self.rcv.tune;
        let mss = u64::from(self.snd.mss).min(t.clamp);
        let unit = 1u64 << self.agreed.rcv_wscale;
        let mut free = self.free_space();
        if free < t.clamp / 2 {
            free -= free % unit;
            if free < t.clamp / 16 || free < mss {
                free = 0;
            }
        }
        let free = free.min(t.ssthresh);
        let old = u64::from(self.rcv.wnd);
        let new = if self.agreed.rcv_wscale > 0 {
            free.div_ceil(unit) * unit
        } else if old + mss > free && old <= free {
            // Within one MSS of the free space: kept, as Linux keeps it.
            old
        } else {
            free / mss * mss
        };
        // Never shrink: the right edge the last ACK promised stays.
        let edge = self.rcv.last_ack_sent + self.rcv.wnd;
        let promised = if edge.gt(self.rcv.nxt) {
            u64::from(edge.since(self.rcv.nxt)).div_ceil(unit) * unit
        } else {
            0
        };
        self.rcv.wnd = new.max(promised).min(self.max_receive_window()) as u32;
    }
}
