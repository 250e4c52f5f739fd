//! CUBIC (RFC 9438) and HyStart as Linux's `tcp_cubic.c`, checked against the RFC's closed
//! forms and Linux's integer arithmetic: directly on [`Cubic`], fed ACKs by a model sender,
//! and end to end through the [`Pair`] harness.

mod util;

use synack_sim::{Duration, Time};
use synack_tcp::config::{Config, Congestion};
use synack_tcp::congestion::cubic::cubic_root;
use synack_tcp::{AckSample, CongestionControl, Cubic, Seq};
use util::{ms, Pair, Side};

const MSS: u64 = 1000;
/// RFC 9438 §5's C as Linux has it: `bic_scale`·10/1024.
const C: f64 = 410.0 / 1024.0;

/// RFC 9438 eq. 2: K = ∛((W_max − cwnd_epoch)/C), seconds.
fn k_closed(w_max: f64, cwnd_epoch: f64) -> f64 {
    ((w_max - cwnd_epoch) / C).cbrt()
}

/// RFC 9438 eq. 1: W_cubic(t) = C·(t − K)³ + W_max, segments.
fn w_cubic(t: f64, k: f64, w_max: f64) -> f64 {
    C * (t - k).powi(3) + w_max
}

/// A model sender over a path of fixed RTT: one ACK per segment, spread evenly over the
/// round trip, always limited by the window, every ACK with an RTT sample.
struct Sender {
    cc: Cubic,
    now: Time,
    rtt: Duration,
    una: u32,
    /// Whether the window is what limits the sender (`tcp_cwnd_validate`'s verdict).
    cwnd_limited: bool,
}

impl Sender {
    fn new(initial_segments: u64, rtt: Duration) -> Sender {
        Sender {
            cc: Cubic::new(MSS, initial_segments * MSS),
            now: Time::ZERO,
            rtt,
            una: 0,
            cwnd_limited: true,
        }
    }

    fn cwnd(&self) -> u32 {
        self.cc.cwnd_segments()
    }

    fn sample(&self) -> AckSample {
        AckSample {
            now: self.now,
            rtt: Some(self.rtt),
            srtt: Some(self.rtt),
            una: Seq(self.una),
            snd_nxt: Seq(self.una + self.cwnd()),
            cwnd_limited: self.cwnd_limited,
            max_packets_out: if self.cwnd_limited {
                self.cwnd()
            } else {
                self.cwnd() / 2
            },
        }
    }

    /// One ACK of one segment at `now`.
    fn ack(&mut self) {
        self.una += 1;
        let s = self.sample();
        self.cc.on_ack_sample(&s);
        self.cc.on_ack(MSS);
    }

    /// One round trip: the window's segments acknowledged one by one.
    fn round(&mut self) {
        let start = self.now;
        let n = u64::from(self.cwnd());
        for i in 1..=n {
            self.now = start + Duration::from_nanos(self.rtt.as_nanos() * i / n);
            self.ack();
        }
    }

    /// A loss detected now, repaired at once: fast recovery in and out (the window in
    /// between does not matter to CUBIC).
    fn loss(&mut self) {
        self.cc.on_fast_retransmit(0);
        self.cc.on_recovery_end(0);
    }
}

/// Grows the sender (slow start, then CUBIC from an unknown W_max) until cwnd ≥ `w`.
fn grown_to(w: u32, rtt: Duration) -> Sender {
    let mut s = Sender::new(10, rtt);
    while s.cwnd() < w {
        s.ack();
        s.now += Duration::from_micros(10);
    }
    s
}

/// Seconds from `t0` to `t`.
fn secs_since(t: Time, t0: Time) -> f64 {
    (t.as_nanos() - t0.as_nanos()) as f64 * 1e-9
}

#[test]
fn cubic_root_is_a_cube_root_within_linux_precision() {
    // Small arguments come from the table alone: the nearest integer or one off it.
    for a in 0u64..64 {
        let x = f64::from(cubic_root(a));
        assert!((x - (a as f64).cbrt()).abs() <= 1.0, "∛{a} ≈ {x}");
    }
    // Larger ones after a Newton-Raphson step: Linux quotes an average error of 0.195 %
    // (here over results of 100 and more, where one unit is under 1 %).
    let mut sum = 0.0;
    let mut n = 0.0;
    for a in (6..64).flat_map(|b| [1u64 << b, (1u64 << b) + (1u64 << (b - 1)), (1u64 << b) - 1]) {
        let exact = (a as f64).cbrt();
        let off = (f64::from(cubic_root(a)) - exact).abs();
        let err = off / exact;
        // Within one unit of the integer result, and within 0.1 % once that is finer.
        assert!(
            off < 1.0 || err < 0.001,
            "∛{a}: {} against {exact}",
            cubic_root(a)
        );
        if exact >= 100.0 {
            sum += err;
            n += 1.0;
        }
    }
    assert!(sum / n < 0.002, "mean relative error {}", sum / n);
    assert_eq!(cubic_root(1_000_000_000), 1000);
    // By hand through Linux's steps: fls64(96) = 7, b = 1, v[96 >> 3] = 143, x = 306 >> 6
    // = 4, then (2·4 + 96/(4·3))·341 >> 10 = 5.
    assert_eq!(cubic_root(96), 5);
}

/// RFC 9438 §4.6 and Linux `cubictcp_recalc_ssthresh`: ssthresh = max(cwnd·717/1024, 2)
/// whatever the flight, W_max = cwnd; fast recovery ends at cwnd = ssthresh; a timeout
/// gives the same ssthresh and a window of one segment.
#[test]
fn window_after_a_loss_is_beta_times_cwnd() {
    for w in [2u32, 3, 10, 100, 333, 1000, 4096] {
        let mut c = Cubic::new(MSS, u64::from(w) * MSS);
        c.on_fast_retransmit(1);
        let expected = (0.7 * f64::from(w)).floor().max(2.0);
        let ssthresh = (c.ssthresh() / MSS) as f64;
        assert!((ssthresh - expected).abs() <= 1.0, "w = {w}: {ssthresh}");
        assert_eq!(c.ssthresh() / MSS, u64::from((w * 717 / 1024).max(2)));
        assert_eq!(c.window(), c.ssthresh() + 3 * MSS, "RFC 5681 §3.2 (3)");
        assert_eq!(c.w_max(), w);
        c.on_recovery_end(0);
        assert_eq!(c.window(), c.ssthresh(), "tcp_end_cwnd_reduction");

        let mut c = Cubic::new(MSS, u64::from(w) * MSS);
        c.on_rto(0);
        assert_eq!(c.ssthresh() / MSS, u64::from((w * 717 / 1024).max(2)));
        assert_eq!(c.window(), MSS);
    }
}

/// RFC 9438 §4.7 fast convergence: a loss before cwnd regains the last W_max sets W_max to
/// cwnd·(1 + β)/2; one at or above it sets W_max to cwnd.
#[test]
fn fast_convergence_lowers_w_max() {
    let mut s = grown_to(1000, ms(100));
    s.loss();
    assert_eq!((s.cc.w_max(), s.cwnd()), (1000, 700));
    for _ in 0..10 {
        s.round();
    }
    let w = s.cwnd();
    assert!(w > 700 && w < 1000, "{w}");
    s.loss();
    let closed = f64::from(w) * (1.0 + 0.7) / 2.0;
    assert!(
        (f64::from(s.cc.w_max()) - closed).abs() <= 1.0,
        "{} vs {closed}",
        s.cc.w_max()
    );
    assert_eq!(s.cc.w_max(), w * (1024 + 717) / 2048);
    assert_eq!(s.cwnd(), w * 717 / 1024);
    // Back above W_max, the next loss takes cwnd as it is.
    while s.cwnd() <= 1000 {
        s.round();
    }
    let w = s.cwnd();
    s.loss();
    assert_eq!(s.cc.w_max(), w);
}

/// RFC 9438 §4.2 and §4.5-§4.6: after a loss at W_max = 1000 segments, K is
/// ∛(W_max·(1 − β)/C), and cwnd follows W_cubic(t) = C·(t − K)³ + W_max (measured from the
/// epoch's start, the first ACK after recovery): concave up to W_max, flat about t = K,
/// convex beyond. With an RTT of 100 ms the Reno estimate stays far below (§4.3).
#[test]
fn cwnd_follows_the_cubic_curve_after_a_loss() {
    let mut s = grown_to(1000, ms(100));
    assert_eq!(s.cc.delay_min(), Some(ms(100)));
    s.loss();
    let (w_max, cwnd0) = (1000.0, f64::from(s.cwnd()));
    let k = k_closed(w_max, cwnd0);
    let t0 = s.now;
    let mut points = Vec::new();
    for _ in 0..200 {
        s.round();
        points.push((secs_since(s.now, t0), f64::from(s.cwnd())));
    }
    // The epoch started at the first ACK after recovery, one ACK-spacing after t0.
    let linux_k = f64::from(s.cc.k()) / 1024.0;
    assert!(
        (linux_k - k).abs() / k < 0.002,
        "K = {linux_k} s, closed form {k} s"
    );
    for &(t, cwnd) in &points {
        let w = w_cubic(t, k, w_max);
        assert!(
            (cwnd - w).abs() <= 2.0,
            "t = {t:.2} s: cwnd {cwnd}, W_cubic {w:.1}"
        );
    }
    // Growth per second: shrinking up to K (concave), growing after (convex).
    let per_second: Vec<f64> = points
        .iter()
        .step_by(10)
        .map(|p| p.1)
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| w[1] - w[0])
        .collect();
    let at_k = k.floor() as usize;
    assert!(
        per_second[..at_k].windows(2).all(|w| w[1] <= w[0]),
        "{per_second:?}"
    );
    assert!(
        per_second[at_k + 1..].windows(2).all(|w| w[1] >= w[0]),
        "{per_second:?}"
    );
    assert!(per_second[at_k - 1..=at_k + 1].iter().all(|&d| d <= 3.0));
    let at_plateau = points[(k * 10.0).round() as usize - 1].1;
    assert!(
        (at_plateau - w_max).abs() <= 1.0,
        "cwnd {at_plateau} at t = K"
    );
}

/// RFC 9438 §4.3, the Reno-friendly region: with a short RTT and a small window the cubic
/// function barely moves in the first second, and cwnd follows the Reno estimate instead:
/// α_cubic = 3(1 − β)/(1 + β) ≈ 0.53 segments per RTT (RFC 8312's 3β/(2 − β) with β the
/// decrease); Linux's `beta_scale` makes it 8/15.
#[test]
fn reno_friendly_region_grows_like_aimd() {
    let rtt = ms(1);
    let mut s = grown_to(20, rtt);
    s.loss();
    let cwnd0 = f64::from(s.cwnd());
    assert_eq!(cwnd0, 14.0);
    let k = k_closed(20.0, cwnd0);
    let t0 = s.now;
    let rounds = 300;
    for _ in 0..rounds {
        s.round();
    }
    let t = secs_since(s.now, t0);
    let alpha = 3.0 * (1.0 - 0.7) / (1.0 + 0.7);
    let per_rtt = (f64::from(s.cwnd()) - cwnd0) / f64::from(rounds);
    assert!(
        (per_rtt - alpha).abs() < 0.02,
        "{per_rtt} segments per RTT, α = {alpha}"
    );
    assert!(
        w_cubic(t, k, 20.0) < 20.0,
        "the cubic curve alone is still below W_max"
    );
}

/// Feeds HyStart one RTT sample per ACK (without growing cwnd, as `pkts_acked` does not):
/// `rtts` in µs, one ACK every `spacing_us`, SND.UNA advancing one segment per ACK from
/// `una`, the round ending at `end`. Returns the index of the sample that ended slow start.
fn hystart_round(
    c: &mut Cubic,
    start_us: u64,
    spacing_us: u64,
    rtts: &[u64],
    (una, end): (u32, u32),
    srtt: Option<Duration>,
) -> Option<usize> {
    for (i, &rtt) in rtts.iter().enumerate() {
        let sample = AckSample {
            now: Time::from_nanos((start_us + spacing_us * i as u64) * 1_000),
            rtt: Some(Duration::from_micros(rtt)),
            srtt,
            una: Seq(una + i as u32),
            snd_nxt: Seq(end),
            cwnd_limited: true,
            max_packets_out: c.cwnd_segments(),
        };
        c.on_ack_sample(&sample);
        if c.ssthresh() != u64::MAX {
            return Some(i);
        }
    }
    None
}

/// Slow start at 20 segments: a first round of RTTs at `base_us` (delay_min), then a second
/// whose samples are all `second_us`. ACKs 3 ms apart, so no ACK train forms. Returns the
/// index, in the second round, of the sample that ended slow start.
fn delay_exit(base_us: u64, second_us: u64) -> Option<usize> {
    let mut c = Cubic::new(MSS, 20 * MSS);
    let first = hystart_round(&mut c, 0, 3_000, &[base_us; 10], (1, 100), None);
    assert_eq!(first, None);
    assert_eq!(c.delay_min(), Some(Duration::from_micros(base_us)));
    let exit = hystart_round(&mut c, 1_000_000, 3_000, &[second_us; 20], (101, 200), None);
    if exit.is_some() {
        assert_eq!(
            c.ssthresh(),
            c.window(),
            "slow start ends with ssthresh = cwnd"
        );
        assert_eq!(c.window(), 20 * MSS);
    }
    exit
}

/// HyStart's delay detector (`HYSTART_DELAY`): the smallest RTT of a round, once 8 samples
/// are in, above delay_min + clamp(delay_min/8, 4 ms, 16 ms).
#[test]
fn hystart_leaves_slow_start_on_a_delay_increase() {
    // delay_min 100 ms: threshold 12.5 ms. The 9th sample of the round decides.
    assert_eq!(delay_exit(100_000, 112_501), Some(8));
    assert_eq!(
        delay_exit(100_000, 112_500),
        None,
        "not above the threshold"
    );
    assert_eq!(
        delay_exit(100_000, 150_000),
        Some(8),
        "never before 8 samples"
    );
    // delay_min 10 ms: 1.25 ms is clamped up to 4 ms.
    assert_eq!(delay_exit(10_000, 14_001), Some(8));
    assert_eq!(delay_exit(10_000, 14_000), None);
    // delay_min 200 ms: 25 ms is clamped down to 16 ms.
    assert_eq!(delay_exit(200_000, 216_001), Some(8));
    assert_eq!(delay_exit(200_000, 216_000), None);
}

/// One sample below the threshold in a round keeps slow start going: the detector judges
/// the round's minimum.
#[test]
fn hystart_delay_judges_the_rounds_minimum() {
    let mut c = Cubic::new(MSS, 20 * MSS);
    hystart_round(&mut c, 0, 3_000, &[100_000; 10], (1, 100), None);
    let mut rtts = [120_000; 20];
    rtts[3] = 110_000;
    assert_eq!(
        hystart_round(&mut c, 1_000_000, 3_000, &rtts, (101, 200), None),
        None
    );
}

/// HyStart's ACK-train detector (`HYSTART_ACK_TRAIN`): ACKs at most 2 ms apart spanning more
/// than (delay_min + `hystart_ack_delay`)/2 since the round began.
#[test]
fn hystart_leaves_slow_start_on_an_ack_train() {
    // delay_min 20 ms, no SRTT (no pacing cushion): a train of ACKs 0.5 ms apart ends slow
    // start at the first ACK more than 10 ms after the round's start: 10.5 ms, the 22nd.
    let mut c = Cubic::new(MSS, 20 * MSS);
    let exit = hystart_round(&mut c, 0, 500, &[20_000; 40], (1, 1000), None);
    assert_eq!(exit, Some(21));
    assert_eq!(c.ssthresh(), c.window());

    // With an SRTT the pacing rate is 2·20·1000 B per 20 ms = 2 MB/s, at which 4·64 KiB take
    // 131 ms: the cushion is capped at 1 ms, the threshold 10.5 ms, reached at 11 ms.
    let mut c = Cubic::new(MSS, 20 * MSS);
    let exit = hystart_round(&mut c, 0, 500, &[20_000; 40], (1, 1000), Some(ms(20)));
    assert_eq!(exit, Some(22));

    // ACKs 2.5 ms apart are no train.
    let mut c = Cubic::new(MSS, 20 * MSS);
    assert_eq!(
        hystart_round(&mut c, 0, 2_500, &[20_000; 40], (1, 1000), None),
        None
    );
}

/// `hystart_low_window`: below 16 segments HyStart does not run.
#[test]
fn hystart_waits_for_sixteen_segments() {
    let mut c = Cubic::new(MSS, 15 * MSS);
    hystart_round(&mut c, 0, 3_000, &[100_000; 10], (1, 100), None);
    let exit = hystart_round(&mut c, 1_000_000, 500, &[200_000; 40], (101, 200), None);
    assert_eq!(exit, None);
    assert_eq!(c.ssthresh(), u64::MAX);
}

/// Linux `tcp_is_cwnd_limited`: a window that is not the limit does not grow, in
/// congestion avoidance unless it was full in this window of data, in slow start unless at
/// least half of it was used.
#[test]
fn a_window_that_is_not_the_limit_does_not_grow() {
    let mut s = grown_to(100, ms(10));
    s.loss();
    for _ in 0..20 {
        s.round();
    }
    let w = s.cwnd();
    s.cwnd_limited = false;
    for _ in 0..50 {
        s.round();
    }
    assert_eq!(s.cwnd(), w, "congestion avoidance");
    s.cwnd_limited = true;
    s.round();
    assert!(s.cwnd() > w);

    let mut c = Cubic::new(MSS, 20 * MSS);
    let mut sample = AckSample {
        now: Time::ZERO,
        rtt: None,
        srtt: None,
        una: Seq(1),
        snd_nxt: Seq(21),
        cwnd_limited: false,
        max_packets_out: 10,
    };
    c.on_ack_sample(&sample);
    c.on_ack(MSS);
    assert_eq!(c.window(), 20 * MSS, "slow start: 20 ≥ 2·10 segments out");
    sample.max_packets_out = 11;
    c.on_ack_sample(&sample);
    c.on_ack(MSS);
    assert_eq!(c.window(), 21 * MSS, "slow start: 20 < 2·11");
}

/// `cubictcp_state(TCP_CA_Loss)`: a timeout forgets W_max and delay_min (`bictcp_reset`)
/// and re-arms HyStart, whether the timeout lowered ssthresh or kept it.
#[test]
fn a_timeout_resets_cubic() {
    let mut s = grown_to(100, ms(10));
    s.loss();
    s.round();
    assert_eq!(s.cc.w_max(), 100);
    let w = s.cwnd();
    s.cc.on_rto(0);
    s.cc.on_enter_loss(s.now, Seq(s.una + 100));
    assert_eq!((s.cc.w_max(), s.cc.delay_min(), s.cwnd()), (0, None, 1));
    let ssthresh = s.cc.ssthresh();
    assert_eq!(ssthresh, u64::from(w * 717 / 1024) * MSS);
    // A second timeout of the segment: the connection keeps ssthresh (`on_rto_held`).
    s.cc.on_rto_held();
    s.cc.on_enter_loss(s.now, Seq(s.una + 100));
    assert_eq!((s.cc.ssthresh(), s.cwnd()), (ssthresh, 1));
    s.ack();
    s.cc.on_rto(0);
    assert_eq!(
        s.cc.ssthresh(),
        2 * MSS,
        "a first timeout again: max(0.7 × 2, 2)"
    );
}

/// With SACK, fast recovery ends through `set_window` (PRR's cwnd, then ssthresh:
/// `tcp_end_cwnd_reduction`), not `on_recovery_end`. A timeout after it that the connection
/// says lowers ssthresh (`on_rto`, Linux `tcp_enter_loss` from Open) takes 0.7 of the cwnd
/// of that time, as after any other congestion avoidance.
#[test]
fn a_timeout_after_sack_recovery_lowers_ssthresh() {
    let mut s = grown_to(100, ms(10));
    s.cc.on_fast_retransmit(0);
    s.cc.set_window(80 * MSS);
    s.cc.set_window(s.cc.ssthresh());
    assert_eq!(s.cwnd(), 70);
    for _ in 0..30 {
        s.round();
    }
    let w = s.cwnd();
    assert!((75..100).contains(&w), "{w}");
    s.cc.on_rto(0);
    assert_eq!(s.cc.ssthresh(), u64::from(w * 717 / 1024) * MSS);
    assert_eq!(
        s.cc.w_max(),
        w * (1024 + 717) / 2048,
        "fast convergence: below 100"
    );
}

/// `cubictcp_cwnd_event(CA_EVENT_TX_START)`: after an idle period the epoch moves on by it,
/// so the curve resumes where it left off instead of jumping ahead.
#[test]
fn idle_time_does_not_count_towards_the_curve() {
    let mut busy = grown_to(1000, ms(100));
    busy.loss();
    for _ in 0..20 {
        busy.round();
    }
    let resume = |mut s: Sender, tx_start: bool| {
        let last_sent = s.now;
        s.now += Duration::from_secs(3);
        if tx_start {
            s.cc.on_send_after_idle(s.now, last_sent);
        }
        s.round();
        s
    };
    let idle = resume(Sender { ..busy }, true);
    let ignored = resume(Sender { ..busy }, false);
    busy.round();
    assert_eq!(idle.cwnd(), busy.cwnd());
    assert!(
        ignored.cwnd() > busy.cwnd() + 10,
        "{} vs {}",
        ignored.cwnd(),
        busy.cwnd()
    );
}

/// MSS 1000, 10-segment initial window, every segment acknowledged at once, buffers that
/// never limit the sender.
fn bulk_config() -> Config {
    Config {
        mss: 1000,
        init_cwnd: Some(10),
        delayed_ack: None,
        congestion: Congestion::Cubic,
        send_buffer: 1 << 30,
        recv_buffer: 1 << 30,
        // Round numbers: no 12 bytes of timestamps in each segment.
        timestamps: false,
        // A window that never limits the sender (autotuning's own tests: `window.rs`).
        recv_autotuning: false,
        ..Config::linux()
    }
}

/// End to end: a bulk transfer over a 100 ms round trip loses one segment when slow start
/// has the window at 200 segments. Fast recovery (one, no timeout) ends at cwnd = ssthresh
/// = 0.7·200 = 140 segments; then cwnd climbs the cubic curve back to W_max = 200 —
/// concave, flat about K = ∛(60/C) ≈ 5.3 s, convex beyond. The harness's wire has no
/// bandwidth, so each round's ACKs arrive together, and a round's growth, computed on its
/// first ACK, reaches the curve one `delay_min` ahead (`bictcp_update`'s t + delay_min).
#[test]
fn bulk_transfer_recovers_along_the_cubic_curve() {
    let config = bulk_config();
    let mut p = Pair::connect(&config, &config, ms(50));
    p.run_until(Time::ZERO + ms(150));
    // Segments of SMSS bytes (less than `mss` if options take room).
    let smss = u64::from(p.client.mss());
    p.client.send(p.now, 1 << 30).unwrap();
    // Slow start: 10, 20, 40, 80 segments per round; the 191st segment goes in the round
    // that takes cwnd from 160 to 320, when 40 ACKs of it have come back.
    let lost = 101 + 190 * smss as u32;
    p.drop_next(Side::Client, move |s| s.seq.0 == lost);
    // (time, cwnd, ssthresh, fast retransmits, the lost segment acknowledged) per step.
    let mut trace = Vec::new();
    let mut w_at_loss = 0;
    while p.now < Time::ZERO + Duration::from_secs(13) {
        let before = p.client.cwnd() / smss;
        assert!(p.step(), "the transfer stalled at {}", p.now);
        let fr = p.client.stats().fast_retransmits;
        if fr == 1 && w_at_loss == 0 {
            w_at_loss = before;
        }
        let repaired = p.client.bytes_acked() > 191 * smss;
        let c = &p.client;
        trace.push((p.now, c.cwnd() / smss, c.ssthresh() / smss, fr, repaired));
    }
    let stats = p.client.stats();
    assert_eq!((stats.fast_retransmits, stats.rto_timeouts), (1, 0));
    assert_eq!(w_at_loss, 200);
    // The ACK of the retransmission ends recovery at cwnd = ssthresh = 0.7·W_max, and the
    // epoch starts there.
    let &(recovered, cwnd0, ssthresh, _, _) =
        trace.iter().find(|l| l.4).expect("the loss is repaired");
    assert_eq!((cwnd0, ssthresh), (140, 140));
    let (w_max, k) = (200.0, k_closed(200.0, 140.0));
    // cwnd after each round's ACKs, from the end of recovery.
    let rtt = 0.1;
    let rounds: Vec<f64> = (1..=120)
        .map(|r| {
            let mid = recovered + Duration::from_millis(100 * r + 50);
            let last = trace.iter().rev().find(|l| l.0 <= mid).unwrap();
            last.1 as f64
        })
        .collect();
    for (r, &cwnd) in rounds.iter().enumerate() {
        let t = (r + 1) as f64 * rtt;
        let w = w_cubic(t + rtt, k, w_max);
        assert!(
            (cwnd - w).abs() <= 3.0,
            "{t:.1} s after recovery: cwnd {cwnd}, W {w:.1}"
        );
    }
    // Growth per second: shrinking towards W_max, none about K, growing beyond.
    let per_second: Vec<f64> = std::iter::once(cwnd0 as f64)
        .chain(rounds.iter().skip(9).step_by(10).copied())
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| w[1] - w[0])
        .collect();
    assert!(
        per_second[..5].windows(2).all(|w| w[1] <= w[0]),
        "{per_second:?}"
    );
    assert!(
        per_second[5..].windows(2).all(|w| w[1] >= w[0]),
        "{per_second:?}"
    );
    assert!(
        per_second[0] >= 20.0 && per_second[11] >= 20.0,
        "{per_second:?}"
    );
    assert!(
        per_second[4..=6].iter().all(|&d| d <= 2.0),
        "{per_second:?}"
    );
    let plateau = rounds[(k / rtt) as usize];
    assert!((plateau - w_max).abs() <= 2.0, "cwnd {plateau} at K");
}

/// `bictcp_update`: before any loss (W_max unknown, as after HyStart ends slow start) the
/// curve starts flat at cwnd, and `cnt` is capped at 20: cwnd grows by 5 % per round trip
/// ("the available bandwidth is still unknown").
#[test]
fn without_a_w_max_cwnd_grows_five_percent_per_rtt() {
    let mut c = Cubic::new(MSS, 100 * MSS);
    hystart_round(&mut c, 0, 3_000, &[100_000; 10], (1, 100), None);
    let exit = hystart_round(&mut c, 1_000_000, 3_000, &[130_000; 10], (101, 200), None);
    assert_eq!(exit, Some(8));
    assert_eq!((c.ssthresh(), c.w_max()), (100 * MSS, 0));
    let mut s = Sender {
        cc: c,
        now: Time::from_nanos(2_000_000_000),
        rtt: ms(100),
        una: 300,
        cwnd_limited: true,
    };
    let mut cwnd = vec![s.cwnd()];
    for _ in 0..5 {
        s.round();
        cwnd.push(s.cwnd());
    }
    // One segment per 20 acknowledged: cwnd/20 per round, carried over between rounds.
    assert_eq!(cwnd, [100, 105, 110, 115, 121, 127]);
}

/// `cubictcp_acked`: "Discard delay samples right after fast recovery": for a second after
/// the epoch starts, a smaller RTT does not lower delay_min; after it, it does. (Until the
/// epoch starts, at the first ACK after recovery, samples count: Linux tests
/// `ca->epoch_start`, which the reduction zeroed.)
#[test]
fn delay_min_ignores_samples_for_a_second_after_a_reduction() {
    let mut s = grown_to(100, ms(100));
    s.loss();
    let epoch = s.now;
    s.round();
    s.rtt = ms(60);
    while s.now + ms(60) < epoch + ms(1000) {
        s.round();
    }
    assert_eq!(s.cc.delay_min(), Some(ms(100)));
    s.round();
    s.round();
    assert!(s.now > epoch + ms(1000));
    assert_eq!(s.cc.delay_min(), Some(ms(60)));
}

/// One ACK of a scripted exchange: at `at_ms`, SND.UNA moves to `una` (bytes of stream,
/// MSS 1000) with `snd_nxt` sent, its newest segment sent at `sent_ms`. Returns (cwnd in
/// segments, ssthresh in segments or `None` while unset).
fn scripted_ack(
    c: &mut Cubic,
    at_ms: u64,
    una: u32,
    snd_nxt: u32,
    sent_ms: u64,
) -> (u32, Option<u64>) {
    let before = c.cwnd_segments();
    let sample = AckSample {
        now: Time::ZERO + ms(at_ms),
        rtt: Some(ms(at_ms - sent_ms)),
        srtt: Some(ms(200)),
        una: Seq(una),
        snd_nxt: Seq(snd_nxt),
        cwnd_limited: true,
        max_packets_out: before,
    };
    c.on_ack_sample(&sample);
    c.on_ack(2 * MSS);
    let ssthresh = (c.ssthresh() != u64::MAX).then(|| c.ssthresh() / MSS);
    (c.cwnd_segments(), ssthresh)
}

/// The scenario of Linux's own HyStart regression test (packetdrill
/// `cubic/cubic-hystart-delay-rtt-jumps-upward.pkt`, whose expected values come from Linux):
/// MSS 1000, a 200 ms round trip, 10 segments, then 20; their ACKs (two segments each, 1 ms
/// apart) come 240 ms after they were sent. From cwnd 20 HyStart runs; the 9th RTT sample of
/// the round finds the round's minimum (240 ms) above 200 ms + 16 ms: slow start ends with
/// ssthresh = cwnd = 36, and cwnd stays there.
#[test]
fn hystart_delay_exit_matches_linux_packetdrill() {
    let mut c = Cubic::new(MSS, 10 * MSS);
    let sample = AckSample {
        now: Time::ZERO + ms(400),
        rtt: Some(ms(200)),
        srtt: Some(ms(200)),
        una: Seq(10_001),
        snd_nxt: Seq(10_001),
        cwnd_limited: true,
        max_packets_out: 10,
    };
    c.on_ack_sample(&sample);
    c.on_ack(10 * MSS);
    assert_eq!(c.cwnd_segments(), 20);
    // The 20 segments 10001..30001 went out at 400 ms.
    for (i, cwnd) in (22..=36).step_by(2).enumerate() {
        let i = i as u32;
        let got = scripted_ack(&mut c, 640 + u64::from(i), 12_001 + 2000 * i, 30_001, 400);
        assert_eq!(got, (cwnd, None), "ACK {}", 12_001 + 2000 * i);
    }
    assert_eq!(
        scripted_ack(&mut c, 648, 28_001, 30_001, 400),
        (36, Some(36))
    );
    assert_eq!(
        scripted_ack(&mut c, 649, 30_001, 30_001, 400),
        (36, Some(36))
    );
}

/// The scenario of `cubic/cubic-hystart-delay-min-rtt-jumps-downward.pkt` (Linux commit
/// b344579ca847, "tcp_cubic: fix spurious HYSTART_DELAY exit upon drop in min RTT"): RTTs
/// of 200..208 ms, then a 9th sample of 29 ms (a segment sent late). delay_min drops to
/// 29 ms before the check, and the round's minimum is that same sample: no exit.
#[test]
fn hystart_ignores_a_drop_in_min_rtt_as_linux_does() {
    let mut c = Cubic::new(MSS, 10 * MSS);
    let sample = AckSample {
        now: Time::ZERO + ms(400),
        rtt: Some(ms(200)),
        srtt: Some(ms(200)),
        una: Seq(10_001),
        snd_nxt: Seq(10_001),
        cwnd_limited: true,
        max_packets_out: 10,
    };
    c.on_ack_sample(&sample);
    c.on_ack(10 * MSS);
    // 10001..28001 went out at 400 ms, 28001..30001 at 580 ms.
    for (i, cwnd) in (22..=38).step_by(2).enumerate() {
        let i = i as u32;
        let got = scripted_ack(&mut c, 600 + u64::from(i), 12_001 + 2000 * i, 30_001, 400);
        assert_eq!(got, (cwnd, None), "ACK {}", 12_001 + 2000 * i);
    }
    assert_eq!(scripted_ack(&mut c, 609, 30_001, 30_001, 580), (40, None));
    assert_eq!(c.delay_min(), Some(ms(29)));
}
