//! CUBIC (RFC 9438) with HyStart, as Linux's `net/ipv4/tcp_cubic.c` (6.11 and later, where
//! `last_time` counts microseconds) implements them, in Linux's integer arithmetic.
//!
//! Units. Linux counts cwnd and ssthresh in packets; so does this module: its state is in
//! segments of SMSS, as `struct bictcp` and `snd_cwnd` are, and only the interface speaks
//! bytes ([`window`](CongestionControl::window) is cwnd·SMSS). Bytes acknowledged become
//! segments rounded up (a short last segment counts as one, as Linux's `pcount`). Time: the
//! cubic function runs on jiffies as Linux does, with HZ = 1000 (a kernel build option; 1000
//! is the common desktop and server choice); RTT samples, `delay_min` and HyStart run on
//! microseconds (`tcp_mstamp`).
//!
//! What runs where, by Linux's hook:
//! - `pkts_acked` ([`on_ack_sample`](CongestionControl::on_ack_sample), `cubictcp_acked`):
//!   `delay_min` from each ACK's RTT sample, and HyStart (`hystart_update`) in slow start
//!   from `hystart_low_window` = 16 segments on.
//! - `cong_avoid` ([`on_ack`](CongestionControl::on_ack), `cubictcp_cong_avoid`): nothing
//!   unless the window is the limit (`tcp_is_cwnd_limited`); slow start (`tcp_slow_start`),
//!   then the cubic function (`bictcp_update`) sets `cnt`, the ACKs per extra segment, and
//!   `tcp_cong_avoid_ai` adds a segment per `cnt` acknowledged.
//! - `ssthresh` ([`on_fast_retransmit`](CongestionControl::on_fast_retransmit) and
//!   [`on_rto`](CongestionControl::on_rto); `cubictcp_recalc_ssthresh`): W_max with fast
//!   convergence, ssthresh = max(0.7·cwnd, 2), and the epoch ends. Whether a timeout
//!   recomputes ssthresh is the connection's call, as `tcp_enter_loss` makes it in Linux
//!   ([`on_rto_held`](CongestionControl::on_rto_held) when it stays).
//! - `set_state(TCP_CA_Loss)` ([`on_enter_loss`](CongestionControl::on_enter_loss),
//!   `cubictcp_state`): a timeout forgets everything (`bictcp_reset`), W_max and `delay_min`
//!   included, and HyStart starts over.
//! - `cwnd_event(CA_EVENT_TX_START)` ([`on_send_after_idle`](CongestionControl::on_send_after_idle),
//!   `cubictcp_cwnd_event`): the epoch moves on by the idle time.
//!
//! Simplified, and what it costs:
//! - Fast recovery is the connection's: with SACK, RFC 6675 with proportional rate reduction
//!   (RFC 6937) as Linux runs it, setting cwnd through
//!   [`set_window`](CongestionControl::set_window); without, RFC 6582 NewReno (cwnd =
//!   ssthresh + 3 segments, inflated per duplicate ACK, deflated per partial ACK) where
//!   Linux would still run PRR. Both start from CUBIC's ssthresh and leave with cwnd =
//!   ssthresh (`tcp_end_cwnd_reduction`). The ACK that ends recovery does not grow the
//!   window, and the epoch starts at the next ACK: Linux without SACK does the same in two
//!   steps (`tcp_try_undo_recovery` holds Recovery on the ACK of exactly `high_seq`; the
//!   next ACK leaves it and goes on to `cong_avoid`); Linux with SACK grows on the ending ACK
//!   already. RTT samples taken in recovery count towards `delay_min`, as in Linux, where
//!   `epoch_start` is 0 until then; SACKed segments give no RTT sample here (Linux's
//!   `sack_rtt_us` does).
//! - Without SACK (`sack = false`), a first timeout during NewReno recovery lowers ssthresh
//!   (the connection follows RFC 5681 there; Linux's `tcp_enter_loss` keeps it in Recovery
//!   whether SACK is on or not), and a window that loses many segments recovers as NewReno
//!   does here (dup-ACK inflation, one hole per round trip, often a timeout); CUBIC's gentler
//!   β = 0.7 makes such windows larger than NewReno's halving does, so on shallow queues it
//!   can lose more than Linux's CUBIC (with PRR) would.
//! - `hystart_ack_delay` takes the pacing rate Linux's `tcp_update_pacing_rate` would set
//!   (200 % of cwnd·SMSS/SRTT in slow start) from the current cwnd and SRTT, where Linux uses
//!   the values of the previous ACK, and `sk_gso_max_size` = 65536 (Linux subtracts its
//!   header room from it); SRTT is RFC 6298's, from one sample per round trip.
//! - No undo (`undo_cwnd`): the connection detects no spurious retransmission.
//! - `tcp_friendliness`, `fast_convergence` and `hystart_detect` are Linux's defaults (on,
//!   on, both detectors) and cannot be changed; `initial_ssthresh` is 0 (unset).

use synack_sim::{Duration, Time};

use super::{AckSample, CongestionControl, PartialAck};
use crate::seq::Seq;

/// `BICTCP_BETA_SCALE`: β is a fraction of 1024.
const BETA_SCALE: u32 = 1024;
/// `beta` = 717: RFC 9438 §4.6's β_cubic = 0.7, as 717/1024.
const BETA: u32 = 717;
/// `BICTCP_HZ`: the cubic function's clock counts 1/2^10 s.
const BICTCP_HZ: u32 = 10;
/// `bic_scale` = 41: RFC 9438 §5's C = 0.4, as 41·10/1024.
const BIC_SCALE: u64 = 41;
/// `cube_rtt_scale` = `bic_scale`·10: C scaled by 2^10.
const CUBE_RTT_SCALE: u64 = BIC_SCALE * 10;
/// `cube_factor` = 2^(10 + 3·BICTCP_HZ) / (`bic_scale`·10): 1/C in the units that make
/// K = `cubic_root`(`cube_factor`·(W_max − cwnd)) a count of 1/1024 s (RFC 9438 eq. 2).
const CUBE_FACTOR: u64 = (1 << (10 + 3 * BICTCP_HZ)) / (BIC_SCALE * 10);
/// `beta_scale` = 8·(1024 + β)/3/(1024 − β) = 15: the Reno estimate gains one segment per
/// 15/8 cwnd segments acknowledged, α = 8/15 per round trip ≈ RFC 9438 §4.3's
/// α_cubic = 3(1 − β)/(1 + β) = 0.529.
const FRIENDLY_SCALE: u32 = 8 * (BETA_SCALE + BETA) / 3 / (BETA_SCALE - BETA);
/// `TCP_INFINITE_SSTHRESH`.
const INFINITE_SSTHRESH: u32 = 0x7fff_ffff;
/// Jiffies per second (`HZ`).
const HZ: u64 = 1000;
/// `hystart_low_window`: HyStart only runs from a window of 16 segments.
const HYSTART_LOW_WINDOW: u32 = 16;
/// `HYSTART_MIN_SAMPLES`: RTT samples of a round before the delay detector judges it.
const HYSTART_MIN_SAMPLES: u8 = 8;
/// `HYSTART_DELAY_MIN`, `HYSTART_DELAY_MAX`: the delay threshold is clamped to 4..16 ms.
const HYSTART_DELAY_MIN_US: u32 = 4_000;
const HYSTART_DELAY_MAX_US: u32 = 16_000;
/// `hystart_ack_delta_us`: ACKs this close (µs) belong to one train.
const HYSTART_ACK_DELTA_US: u64 = 2_000;
/// `GSO_LEGACY_MAX_SIZE`, for `hystart_ack_delay`.
const GSO_MAX_SIZE: u64 = 65_536;

/// HyStart's round (`struct bictcp`'s `round_start` … `curr_rtt`, `found`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Hystart {
    /// The exit point was found: HyStart is done until a timeout resets it.
    found: bool,
    /// RTT samples taken in this round, up to `HYSTART_MIN_SAMPLES`.
    sample_cnt: u8,
    /// When the round began and when the last ACK of the current train came, µs.
    round_start: u64,
    last_ack: u64,
    /// The round ends when SND.UNA passes this (`end_seq`); `None`: at the next sample.
    end_seq: Option<Seq>,
    /// The smallest RTT of this round, µs.
    curr_rtt: u32,
}

impl Hystart {
    fn new() -> Hystart {
        Hystart {
            found: false,
            sample_cnt: 0,
            round_start: 0,
            last_ack: 0,
            end_seq: None,
            curr_rtt: u32::MAX,
        }
    }

    /// `bictcp_hystart_reset`: a new round starts at `now_us`, ending at `snd_nxt`.
    fn reset(&mut self, now_us: u64, snd_nxt: Seq) {
        self.round_start = now_us;
        self.last_ack = now_us;
        self.end_seq = Some(snd_nxt);
        self.curr_rtt = u32::MAX;
        self.sample_cnt = 0;
    }
}

/// CUBIC's window: `snd_cwnd`, `snd_ssthresh`, `snd_cwnd_cnt` and `struct bictcp`, in
/// segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cubic {
    smss: u64,
    /// `snd_cwnd`, segments.
    cwnd: u32,
    /// `snd_ssthresh`, segments.
    ssthresh: u32,
    /// `snd_cwnd_cnt`: segments acknowledged towards the next increase.
    cwnd_cnt: u32,
    /// `cnt`: segments to acknowledge per one-segment increase.
    cnt: u32,
    /// `last_max_cwnd`: W_max, segments.
    last_max_cwnd: u32,
    /// `last_cwnd`, `last_time` (µs): when `cnt` was last computed, and for which cwnd.
    last_cwnd: u32,
    last_time: u64,
    /// `bic_origin_point`: the plateau W_max the curve heads for, segments.
    origin_point: u32,
    /// `bic_K`: time from the epoch's start to the plateau, 1/1024 s.
    k: u32,
    /// `delay_min`: the smallest RTT seen, µs; 0 until a sample.
    delay_min: u32,
    /// `epoch_start`: the first ACK of congestion avoidance after a reduction, jiffies.
    epoch_start: Option<u64>,
    /// `ack_cnt`: segments acknowledged towards the Reno estimate.
    ack_cnt: u32,
    /// `tcp_cwnd`: W_est, the window Reno would have (RFC 9438 §4.3), segments.
    tcp_cwnd: u32,
    hystart: Hystart,
    /// The ACK being processed: when, and what limited the sender before it.
    now: Time,
    is_cwnd_limited: bool,
    max_packets_out: u32,
}

impl Cubic {
    /// A window of `initial` bytes (whole segments of `smss`); ssthresh unset
    /// (`cubictcp_init` with `initial_ssthresh` = 0).
    pub fn new(smss: u64, initial: u64) -> Cubic {
        let smss = smss.max(1);
        Cubic {
            smss,
            cwnd: u32::try_from(initial / smss).unwrap_or(u32::MAX).max(1),
            ssthresh: INFINITE_SSTHRESH,
            cwnd_cnt: 0,
            cnt: 0,
            last_max_cwnd: 0,
            last_cwnd: 0,
            last_time: 0,
            origin_point: 0,
            k: 0,
            delay_min: 0,
            epoch_start: None,
            ack_cnt: 0,
            tcp_cwnd: 0,
            hystart: Hystart::new(),
            now: Time::ZERO,
            is_cwnd_limited: true,
            max_packets_out: 0,
        }
    }

    /// cwnd in segments (`snd_cwnd`).
    pub fn cwnd_segments(&self) -> u32 {
        self.cwnd
    }

    /// W_max in segments (`last_max_cwnd`): the window at the last reduction, or less
    /// after fast convergence; 0 before any.
    pub fn w_max(&self) -> u32 {
        self.last_max_cwnd
    }

    /// K in 1/1024 s (`bic_K`): how long after the epoch's start the curve reaches W_max.
    pub fn k(&self) -> u32 {
        self.k
    }

    /// The smallest RTT seen (`delay_min`), once sampled.
    pub fn delay_min(&self) -> Option<Duration> {
        (self.delay_min > 0).then(|| Duration::from_micros(u64::from(self.delay_min)))
    }

    /// `tcp_in_slow_start`.
    fn in_slow_start(&self) -> bool {
        self.cwnd < self.ssthresh
    }

    /// `tcp_is_cwnd_limited`: the window was full in this window of data, or (in slow
    /// start) at least half used, so that it may grow to twice what was sent.
    fn is_cwnd_limited(&self) -> bool {
        self.is_cwnd_limited
            || (self.in_slow_start() && u64::from(self.cwnd) < 2 * u64::from(self.max_packets_out))
    }

    /// Bytes acknowledged as segments, a short one counting whole.
    fn segments(&self, bytes: u64) -> u32 {
        u32::try_from(bytes.div_ceil(self.smss)).unwrap_or(u32::MAX)
    }

    /// Linux `tcp_slow_start`: cwnd grows by what was acknowledged, up to ssthresh; returns
    /// the segments left over for congestion avoidance.
    fn slow_start(&mut self, acked: u32) -> u32 {
        let cwnd = self.cwnd.saturating_add(acked).min(self.ssthresh);
        let left = acked - (cwnd - self.cwnd);
        self.cwnd = cwnd;
        left
    }

    /// Linux `tcp_cong_avoid_ai(tp, w, acked)`: one segment per `w` acknowledged.
    fn cong_avoid_ai(&mut self, w: u32, acked: u32) {
        // "If credits accumulated at a higher w, apply them gently now."
        if self.cwnd_cnt >= w {
            self.cwnd_cnt = 0;
            self.cwnd = self.cwnd.saturating_add(1);
        }
        self.cwnd_cnt = self.cwnd_cnt.saturating_add(acked);
        if self.cwnd_cnt >= w {
            let delta = self.cwnd_cnt / w;
            self.cwnd_cnt -= delta * w;
            self.cwnd = self.cwnd.saturating_add(delta);
        }
    }

    /// `bictcp_update(sk, cwnd, acked)`: `cnt` for the current cwnd, recomputed at most once
    /// per millisecond, and every 1/32 s even when cwnd has not moved.
    fn update(&mut self, acked: u32) {
        let cwnd = self.cwnd;
        self.ack_cnt = self.ack_cnt.wrapping_add(acked);
        let now_us = micros(self.now);
        let delta = now_us.saturating_sub(self.last_time);
        if self.last_cwnd == cwnd && delta <= 1_000_000 / 32 {
            return;
        }
        // "The CUBIC function can update ca->cnt at most once per ms. On all cwnd reduction
        // events, ca->epoch_start is set to 0, which will force a recalculation."
        if self.epoch_start.is_none() || delta >= 1_000 {
            self.last_cwnd = cwnd;
            self.last_time = now_us;
            self.cubic_cnt(cwnd, acked);
        }
        self.tcp_friendliness(cwnd);
        // "The maximum rate of cwnd increase CUBIC allows is 1 packet per 2 packets ACKed,
        // meaning cwnd grows at 1.5x per RTT."
        self.cnt = self.cnt.max(2);
    }

    /// The cubic part of `bictcp_update`: start the epoch if none runs (RFC 9438 §4.2's
    /// K and W_max), then `cnt` = cwnd/(W_cubic(t + RTT) − cwnd) (§4.4, §4.5: the target one
    /// `delay_min` ahead).
    fn cubic_cnt(&mut self, cwnd: u32, acked: u32) {
        let now = jiffies(self.now);
        let epoch = match self.epoch_start {
            Some(epoch) => epoch,
            None => self.start_epoch(now, cwnd, acked),
        };
        // t in 1/1024 s: (jiffies since the epoch + delay_min in jiffies, rounded up) / HZ.
        let mut t = now.saturating_sub(epoch);
        t += u64::from(self.delay_min).div_ceil(1_000_000 / HZ);
        t = (t << BICTCP_HZ) / HZ;
        let k = u64::from(self.k);
        let offs = t.abs_diff(k);
        // C·(t − K)³ in segments; wrapping as Linux's u64 and u32 do.
        let delta = (CUBE_RTT_SCALE
            .wrapping_mul(offs)
            .wrapping_mul(offs)
            .wrapping_mul(offs)
            >> (10 + 3 * BICTCP_HZ)) as u32;
        let target = if t < k {
            self.origin_point.wrapping_sub(delta)
        } else {
            self.origin_point.wrapping_add(delta)
        };
        self.cnt = if target > cwnd {
            cwnd / (target - cwnd)
        } else {
            // "very small increment"
            cwnd.wrapping_mul(100)
        };
        // "The initial growth of cubic function may be too conservative when the available
        // bandwidth is still unknown": at least 5 % per RTT before the first loss.
        if self.last_max_cwnd == 0 && self.cnt > 20 {
            self.cnt = 20;
        }
    }

    /// A new epoch at `now` (jiffies): the curve starts at cwnd and heads for W_max, reached
    /// after K = ∛(W_max·(1 − β)/C) (RFC 9438 eq. 2, with cwnd for W_max·β); above W_max it
    /// starts on the plateau (K = 0).
    fn start_epoch(&mut self, now: u64, cwnd: u32, acked: u32) -> u64 {
        self.epoch_start = Some(now);
        self.ack_cnt = acked;
        self.tcp_cwnd = cwnd;
        if self.last_max_cwnd <= cwnd {
            self.k = 0;
            self.origin_point = cwnd;
        } else {
            let gap = u64::from(self.last_max_cwnd - cwnd);
            self.k = cubic_root(CUBE_FACTOR.wrapping_mul(gap));
            self.origin_point = self.last_max_cwnd;
        }
        now
    }

    /// The `tcp_friendliness` part of `bictcp_update` (RFC 9438 §4.3): the Reno estimate
    /// W_est gains a segment per 15/8·cwnd acknowledged, and while it is above cwnd, cwnd
    /// grows at least as fast as it.
    fn tcp_friendliness(&mut self, cwnd: u32) {
        let delta = (cwnd.wrapping_mul(FRIENDLY_SCALE) >> 3).max(1);
        // `while (ca->ack_cnt > delta) { ca->ack_cnt -= delta; ca->tcp_cwnd++; }`
        if self.ack_cnt > delta {
            let steps = (self.ack_cnt - 1) / delta;
            self.ack_cnt -= steps * delta;
            self.tcp_cwnd = self.tcp_cwnd.wrapping_add(steps);
        }
        if self.tcp_cwnd > cwnd {
            let max_cnt = cwnd / (self.tcp_cwnd - cwnd);
            self.cnt = self.cnt.min(max_cnt);
        }
    }

    /// `cubictcp_recalc_ssthresh`: the epoch ends; W_max is this cwnd, or with fast
    /// convergence (RFC 9438 §4.7) cwnd·(1 + β)/2 if cwnd did not regain the last W_max;
    /// the new ssthresh is max(cwnd·β, 2) (§4.6).
    fn recalc_ssthresh(&mut self) -> u32 {
        self.epoch_start = None;
        let cwnd = self.cwnd;
        self.last_max_cwnd = if cwnd < self.last_max_cwnd {
            cwnd.wrapping_mul(BETA_SCALE + BETA) / (2 * BETA_SCALE)
        } else {
            cwnd
        };
        (cwnd.wrapping_mul(BETA) / BETA_SCALE).max(2)
    }

    /// `bictcp_reset`: everything `struct bictcp` holds before `unused`, and `found`.
    fn reset(&mut self) {
        self.cnt = 0;
        self.last_max_cwnd = 0;
        self.last_cwnd = 0;
        self.last_time = 0;
        self.origin_point = 0;
        self.k = 0;
        self.delay_min = 0;
        self.epoch_start = None;
        self.ack_cnt = 0;
        self.tcp_cwnd = 0;
        self.hystart.found = false;
    }

    /// `hystart_update`: on a new round, reset; then the two detectors, each of which ends
    /// slow start with ssthresh = cwnd.
    fn hystart_update(&mut self, sample: &AckSample, delay: u32) {
        let now = micros(sample.now);
        if self.hystart.end_seq.is_none_or(|end| sample.una.gt(end)) {
            self.hystart.reset(now, sample.snd_nxt);
        }
        // HYSTART_ACK_TRAIN: closely spaced ACKs spanning half the minimum RTT (the pacing
        // cushion included) mean the window fills the pipe. Without fq pacing
        // (`SK_PACING_NONE`) the threshold is halved.
        let train_threshold = (u64::from(self.delay_min) + self.ack_delay(sample.srtt)) >> 1;
        let h = &mut self.hystart;
        if now.saturating_sub(h.last_ack) <= HYSTART_ACK_DELTA_US {
            h.last_ack = now;
            if now.saturating_sub(h.round_start) > train_threshold {
                self.hystart_exit();
            }
        }
        // HYSTART_DELAY: the round's smallest RTT, after 8 samples, above delay_min by
        // delay_min/8 clamped to 4..16 ms.
        let h = &mut self.hystart;
        h.curr_rtt = h.curr_rtt.min(delay);
        if h.sample_cnt < HYSTART_MIN_SAMPLES {
            h.sample_cnt += 1;
        } else {
            let threshold = (self.delay_min >> 3).clamp(HYSTART_DELAY_MIN_US, HYSTART_DELAY_MAX_US);
            if h.curr_rtt > self.delay_min.saturating_add(threshold) {
                self.hystart_exit();
            }
        }
    }

    /// HyStart found the exit point: slow start ends at this cwnd.
    fn hystart_exit(&mut self) {
        self.hystart.found = true;
        self.ssthresh = self.cwnd;
    }

    /// `hystart_ack_delay`: the time, µs (at most 1 ms), that 4 GSO packets of 64 KiB take
    /// at the pacing rate `tcp_update_pacing_rate` sets, 200 % of cwnd·SMSS/SRTT while cwnd
    /// is below half ssthresh and 120 % after. Nothing before an SRTT (the rate is then
    /// unbounded).
    fn ack_delay(&self, srtt: Option<Duration>) -> u64 {
        // `srtt_us` holds 8·SRTT in µs.
        let Some(srtt_us8) = srtt.map(|s| s.as_nanos() * 8 / 1_000).filter(|&s| s > 0) else {
            return 0;
        };
        let ratio: u64 = if self.cwnd < self.ssthresh / 2 {
            200
        } else {
            120
        };
        let rate = (self.smss * ((1_000_000 / 100) << 3))
            .saturating_mul(ratio)
            .saturating_mul(u64::from(self.cwnd))
            / srtt_us8;
        if rate == 0 {
            return 0;
        }
        (GSO_MAX_SIZE * 4 * 1_000_000 / rate).min(1_000)
    }
}

impl CongestionControl for Cubic {
    fn window(&self) -> u64 {
        u64::from(self.cwnd) * self.smss
    }

    fn ssthresh(&self) -> u64 {
        if self.ssthresh >= INFINITE_SSTHRESH {
            u64::MAX
        } else {
            u64::from(self.ssthresh) * self.smss
        }
    }

    /// `cubictcp_cong_avoid`.
    fn on_ack(&mut self, acked: u64) {
        if acked == 0 {
            return;
        }
        if !self.is_cwnd_limited() {
            return;
        }
        let mut acked = self.segments(acked);
        if self.in_slow_start() {
            acked = self.slow_start(acked);
            if acked == 0 {
                return;
            }
        }
        self.update(acked);
        self.cong_avoid_ai(self.cnt, acked);
    }

    /// `tcp_enter_recovery`: ssthresh from `cubictcp_recalc_ssthresh` (of cwnd, not of
    /// FlightSize), then RFC 5681 §3.2 (3)'s inflation by the three segments that left.
    fn on_fast_retransmit(&mut self, _flight: u64) {
        self.ssthresh = self.recalc_ssthresh();
        self.cwnd_cnt = 0;
        self.cwnd = self.ssthresh + 3;
    }

    /// RFC 5681 §3.2 (4): one segment per further duplicate ACK.
    fn on_dup_ack(&mut self) {
        self.cwnd = self.cwnd.saturating_add(1);
    }

    /// RFC 6582 §3.2 (5), in segments: deflate by what was acknowledged, add one back.
    fn on_partial_ack(&mut self, acked: u64) -> PartialAck {
        self.cwnd = self.cwnd.saturating_sub(self.segments(acked));
        if acked >= self.smss {
            self.cwnd += 1;
        }
        self.cwnd = self.cwnd.max(1);
        PartialAck::StayInRecovery
    }

    /// `tcp_end_cwnd_reduction`: cwnd = ssthresh.
    fn on_recovery_end(&mut self, _flight: u64) {
        self.cwnd = self.ssthresh;
    }

    /// `tcp_enter_loss` from Open: ssthresh from `cubictcp_recalc_ssthresh`; cwnd = 1
    /// segment.
    fn on_rto(&mut self, _flight: u64) {
        self.ssthresh = self.recalc_ssthresh();
        self.on_rto_held();
    }

    /// `tcp_enter_loss` when ssthresh stays: cwnd = 1 segment.
    fn on_rto_held(&mut self) {
        self.cwnd = 1;
        self.cwnd_cnt = 0;
    }

    /// PRR's cwnd (`tcp_cwnd_reduction`), rounded up to whole segments.
    fn set_window(&mut self, cwnd: u64) {
        self.cwnd = u32::try_from(cwnd.div_ceil(self.smss))
            .unwrap_or(u32::MAX)
            .max(1);
    }

    /// In whole segments, as `tp->snd_ssthresh` counts them.
    fn set_ssthresh(&mut self, ssthresh: u64) {
        self.ssthresh = if ssthresh == u64::MAX {
            INFINITE_SSTHRESH
        } else {
            u32::try_from(ssthresh / self.smss).unwrap_or(u32::MAX)
        };
    }

    /// `cubictcp_acked`.
    fn on_ack_sample(&mut self, sample: &AckSample) {
        self.now = sample.now;
        self.is_cwnd_limited = sample.cwnd_limited;
        self.max_packets_out = sample.max_packets_out;
        let Some(rtt) = sample.rtt else {
            return;
        };
        // "Discard delay samples right after fast recovery."
        if let Some(epoch) = self.epoch_start {
            if jiffies(sample.now).saturating_sub(epoch) < HZ {
                return;
            }
        }
        let delay = u32::try_from(rtt.as_nanos() / 1_000)
            .unwrap_or(u32::MAX)
            .max(1);
        if self.delay_min == 0 || self.delay_min > delay {
            self.delay_min = delay;
        }
        if !self.hystart.found && self.in_slow_start() && self.cwnd >= HYSTART_LOW_WINDOW {
            self.hystart_update(sample, delay);
        }
    }

    /// `cubictcp_state(TCP_CA_Loss)`: `bictcp_reset` and `bictcp_hystart_reset`.
    fn on_enter_loss(&mut self, now: Time, snd_nxt: Seq) {
        self.reset();
        self.hystart.reset(micros(now), snd_nxt);
    }

    /// `cubictcp_cwnd_event(CA_EVENT_TX_START)`: "We were application limited (idle) for a
    /// while. Shift epoch_start to keep cwnd growth to cubic curve."
    fn on_send_after_idle(&mut self, now: Time, last_sent: Time) {
        let now = jiffies(now);
        let idle = now.saturating_sub(jiffies(last_sent));
        if let Some(epoch) = self.epoch_start {
            if idle > 0 {
                self.epoch_start = Some((epoch + idle).min(now));
            }
        }
    }
}

/// `tcp_jiffies32` at HZ = 1000.
fn jiffies(t: Time) -> u64 {
    t.as_nanos() / (1_000_000_000 / HZ)
}

/// `tcp_mstamp`: microseconds.
fn micros(t: Time) -> u64 {
    t.as_nanos() / 1_000
}

/// Linux `cubic_root`: ∛a from a table of the top six bits and one Newton-Raphson step
/// (average error ≈ 0.195 % in Linux's words), in the same integer steps.
pub fn cubic_root(a: u64) -> u32 {
    // "cbrt(x) MSB values for x MSB values in [0..63]. Precomputed then refined by hand -
    // Willy Tarreau": v = cbrt(x << 18) − 1, cbrt(x) = (v[x] + 10) >> 6.
    const V: [u8; 64] = [
        0, 54, 54, 54, 118, 118, 118, 118, 123, 129, 134, 138, 143, 147, 151, 156, 157, 161, 164,
        168, 170, 173, 176, 179, 181, 185, 187, 190, 192, 194, 197, 199, 200, 202, 204, 206, 209,
        211, 213, 215, 217, 219, 221, 222, 224, 225, 227, 229, 231, 232, 234, 236, 237, 239, 240,
        242, 244, 245, 246, 248, 250, 251, 252, 254,
    ];
    let b = 64 - a.leading_zeros(); // fls64
    if b < 7 {
        return (u32::from(V[a as usize]) + 35) >> 6;
    }
    let b = ((b * 84) >> 8) - 1;
    let shift = (a >> (b * 3)) as usize;
    let x = ((u32::from(V[shift]) + 10) << b) >> 6;
    // x_{k+1} = (2·x_k + a/x_k²)/3, with x·(x − 1) for x² and ·341/1024 for /3.
    let x = (2 * x).wrapping_add((a / (u64::from(x) * u64::from(x - 1))) as u32);
    x.wrapping_mul(341) >> 10
}
