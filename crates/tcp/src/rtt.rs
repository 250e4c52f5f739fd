//! The retransmission timer's estimator, in integer nanoseconds: RFC 6298 §2, or Linux's
//! (`tcp_rtt_estimator` and `tcp_set_rto`, net/ipv4/tcp_input.c).
//!
//! The caller decides which samples to take (RFC 6298: one timed segment per round trip,
//! Karn's rule; Linux: every ACK of new data).

use synack_sim::Duration;

/// RFC 6298 §2: G, the clock granularity. The simulated clock ticks in nanoseconds, but a
/// host's TCP timer does not; 1 ms is a modern kernel's order of magnitude (Linux measures
/// RTT in µs but its timers run on jiffies of 1–4 ms). With `min_rto` ≥ 200 ms it only
/// matters when RTTVAR collapses to nearly zero.
pub const GRANULARITY: Duration = Duration::from_millis(1);

/// RFC 6298 (2.3): K = 4.
const K: u64 = 4;

/// SRTT, RTTVAR and the current RTO of one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RttEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
    rto: Duration,
    min_rto: Duration,
    max_rto: Duration,
    /// Linux's estimator, if it runs instead of RFC 6298's.
    linux: Option<LinuxRtt>,
}

/// Linux's extra state (`struct tcp_sock`): the mean deviation (`mdev_us`, 4× as Linux
/// keeps it), its maximum in the current round trip (`mdev_max_us`), and the sequence
/// number that ends that round trip (`rtt_seq`). `rttvar` holds `rttvar_us`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct LinuxRtt {
    mdev: u64,
    mdev_max: u64,
    rtt_seq: u32,
}

impl RttEstimator {
    /// RFC 6298 (2.1): until a measurement is made, RTO = the initial RTO.
    pub fn new(initial_rto: Duration, min_rto: Duration, max_rto: Duration) -> RttEstimator {
        RttEstimator {
            srtt: None,
            rttvar: Duration::ZERO,
            rto: initial_rto.min(max_rto),
            min_rto,
            max_rto,
            linux: None,
        }
    }

    /// Linux's estimator instead of RFC 6298's; samples go to [`sample_linux`].
    ///
    /// [`sample_linux`]: Self::sample_linux
    pub fn linux(initial_rto: Duration, min_rto: Duration, max_rto: Duration) -> RttEstimator {
        RttEstimator {
            linux: Some(LinuxRtt {
                mdev: 0,
                mdev_max: 0,
                rtt_seq: 0,
            }),
            ..RttEstimator::new(initial_rto, min_rto, max_rto)
        }
    }

    /// Whether this runs Linux's estimator.
    pub fn is_linux(&self) -> bool {
        self.linux.is_some()
    }

    /// Linux `tcp_rtt_estimator` with one sample `r` taken when SND.UNA is `una` and
    /// SND.NXT is `nxt` (sequence numbers as `u32`), then `tcp_set_rto`: RTO = SRTT +
    /// RTTVAR, where RTTVAR is the largest deviation of the last round trip and at least
    /// `min_rto` (Linux's `tcp_rto_min`), and decays by a quarter of the gap once per round
    /// trip. A falling RTT moves the deviation 8× more slowly (Linux's Eifel-like gain).
    pub fn sample_linux(&mut self, r: Duration, una: u32, nxt: u32) {
        let Some(mut l) = self.linux else {
            return self.sample(r);
        };
        let m = r.as_nanos().max(1) as i64;
        let min = self.min_rto.as_nanos();
        let srtt = match self.srtt {
            None => {
                l.mdev = 2 * m as u64; // "make sure rto = 3*rtt"
                self.rttvar = Duration::from_nanos(l.mdev.max(min));
                l.mdev_max = self.rttvar.as_nanos();
                l.rtt_seq = nxt;
                m as u64
            }
            Some(srtt) => {
                let srtt = srtt.as_nanos() as i64;
                let mut err = m - srtt;
                let new_srtt = srtt + err / 8;
                if err < 0 {
                    err = -err - (l.mdev / 4) as i64;
                    if err > 0 {
                        err /= 8;
                    }
                } else {
                    err -= (l.mdev / 4) as i64;
                }
                l.mdev = (l.mdev as i64 + err).max(0) as u64;
                if l.mdev > l.mdev_max {
                    l.mdev_max = l.mdev;
                    self.rttvar = self.rttvar.max(Duration::from_nanos(l.mdev_max));
                }
                if (una.wrapping_sub(l.rtt_seq) as i32) > 0 {
                    let var = self.rttvar.as_nanos();
                    if l.mdev_max < var {
                        self.rttvar = Duration::from_nanos(var - (var - l.mdev_max) / 4);
                    }
                    l.rtt_seq = nxt;
                    l.mdev_max = min;
                }
                new_srtt.max(1) as u64
            }
        };
        self.linux = Some(l);
        self.srtt = Some(Duration::from_nanos(srtt));
        self.rto = (Duration::from_nanos(srtt) + self.rttvar).min(self.max_rto);
    }

    /// The current retransmission timeout (backed off if [`back_off`](Self::back_off) ran
    /// since the last sample).
    pub fn rto(&self) -> Duration {
        self.rto
    }

    /// The smoothed RTT, once there is a sample.
    pub fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    pub fn rttvar(&self) -> Duration {
        self.rttvar
    }

    /// Takes one RTT measurement `r`.
    pub fn sample(&mut self, r: Duration) {
        match self.srtt {
            None => {
                // RFC 6298 (2.2): SRTT <- R, RTTVAR <- R/2.
                self.srtt = Some(r);
                self.rttvar = Duration::from_nanos(r.as_nanos() / 2);
            }
            Some(srtt) => {
                // RFC 6298 (2.3), β = 1/4 then α = 1/8, RTTVAR first (it uses the old SRTT).
                let err = srtt.as_nanos().abs_diff(r.as_nanos());
                self.rttvar = Duration::from_nanos((3 * self.rttvar.as_nanos() + err) / 4);
                self.srtt = Some(Duration::from_nanos(
                    (7 * srtt.as_nanos() + r.as_nanos()) / 8,
                ));
            }
        }
        let srtt = self.srtt.expect("set above");
        // RFC 6298 (2.2)/(2.3): RTO <- SRTT + max(G, K*RTTVAR).
        let rto = srtt + GRANULARITY.max(self.rttvar.saturating_mul(K));
        // RFC 6298 (2.4): rounded up to the minimum; (2.5): capped at the maximum.
        self.rto = rto.max(self.min_rto).min(self.max_rto);
    }

    /// RFC 6298 (5.5): after a timeout, RTO <- RTO * 2, up to the maximum (2.5).
    pub fn back_off(&mut self) {
        self.rto = self.rto.saturating_mul(2).min(self.max_rto);
    }

    /// RFC 6298 (5.7): when the SYN's timer expired and no sample was taken, the RTO "MUST
    /// be re-initialized to 3 seconds" (`rto`) once data transmission begins (Linux likewise
    /// sets TCP_TIMEOUT_FALLBACK); the SYN's backoff is forgotten. Nothing changes once a
    /// sample exists.
    pub fn reinitialize(&mut self, rto: Duration) {
        if self.srtt.is_none() {
            self.rto = rto.min(self.max_rto);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Linux's arithmetic by hand (`tcp_rtt_estimator`, `tcp_set_rto`, tcp_rto_min 200 ms).
    #[test]
    fn follows_linux_by_hand() {
        let mut e = RttEstimator::linux(Duration::from_secs(1), ms(200), Duration::from_secs(120));
        // First sample 50 ms: SRTT 50, mdev 100, RTTVAR = max(100, 200) = 200: RTO 250 ms.
        e.sample_linux(ms(50), 0, 1000);
        assert_eq!((e.srtt(), e.rto()), (Some(ms(50)), ms(250)));
        // A steady 50 ms: mdev decays, but RTTVAR holds tcp_rto_min: RTO stays 250 ms.
        for i in 1..50 {
            e.sample_linux(ms(50), 1000 * i + 1, 1000 * (i + 1));
        }
        assert_eq!(e.rto(), ms(250));
        // A jump to 150 ms: SRTT = 50 + 100/8 = 62.5 ms; mdev (4× the deviation) rises to
        // about 100 ms, still below tcp_rto_min, so RTTVAR stays 200 ms.
        e.sample_linux(ms(150), 50_001, 51_000);
        assert_eq!(e.srtt(), Some(Duration::from_micros(62_500)));
        assert_eq!(
            e.rto(),
            Duration::from_micros(262_500),
            "RTTVAR still tcp_rto_min"
        );
        // Backoff is forgotten at the next sample, as Linux resets icsk_backoff.
        e.back_off();
        e.sample_linux(ms(50), 51_001, 52_000);
        assert!(e.rto() < ms(300));
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn follows_rfc_6298_by_hand() {
        let mut e = RttEstimator::new(Duration::from_secs(1), ms(200), Duration::from_secs(120));
        assert_eq!(e.rto(), Duration::from_secs(1));
        // First sample 100 ms: SRTT 100, RTTVAR 50, RTO = 100 + 4·50 = 300 ms.
        e.sample(ms(100));
        assert_eq!(
            (e.srtt(), e.rttvar(), e.rto()),
            (Some(ms(100)), ms(50), ms(300))
        );
        // Second sample 200 ms: RTTVAR = 3/4·50 + 1/4·|100−200| = 62.5 ms;
        // SRTT = 7/8·100 + 1/8·200 = 112.5 ms; RTO = 112.5 + 250 = 362.5 ms.
        e.sample(ms(200));
        assert_eq!(e.rttvar(), Duration::from_micros(62_500));
        assert_eq!(e.srtt(), Some(Duration::from_micros(112_500)));
        assert_eq!(e.rto(), Duration::from_micros(362_500));
        // Third sample 112.5 ms: RTTVAR = 3/4·62.5 = 46.875; SRTT unchanged; RTO = 300 ms.
        e.sample(Duration::from_micros(112_500));
        assert_eq!(e.rttvar(), Duration::from_nanos(46_875_000));
        assert_eq!(e.rto(), ms(300));
    }

    #[test]
    fn clamps_and_backs_off() {
        // RFC profile: min 1 s. A 10 ms path gets RTO 1 s (2.4).
        let mut e = RttEstimator::new(Duration::from_secs(1), ms(1000), Duration::from_secs(60));
        e.sample(ms(10));
        assert_eq!(e.rto(), Duration::from_secs(1));
        for _ in 0..5 {
            e.back_off();
        }
        assert_eq!(e.rto(), Duration::from_secs(32));
        e.back_off();
        assert_eq!(e.rto(), Duration::from_secs(60), "capped at max_rto (2.5)");
        // A new sample recomputes from SRTT: the backoff is forgotten (Karn, RFC 6298 §5).
        e.sample(ms(10));
        assert_eq!(e.rto(), Duration::from_secs(1));
    }

    #[test]
    fn granularity_floors_the_variance_term() {
        let mut e = RttEstimator::new(Duration::from_secs(1), ms(1), Duration::from_secs(60));
        for _ in 0..50 {
            e.sample(ms(10));
        }
        // RTTVAR has decayed to under G/4: RTO = SRTT + G.
        assert_eq!(e.rto(), ms(11));
    }

    #[test]
    fn syn_timeout_raises_the_first_data_rto_to_three_seconds() {
        let mut e = RttEstimator::new(Duration::from_secs(1), ms(200), Duration::from_secs(120));
        e.back_off();
        e.back_off();
        e.reinitialize(Duration::from_secs(3));
        assert_eq!(
            e.rto(),
            Duration::from_secs(3),
            "4 s of SYN backoff forgotten"
        );
        e.sample(ms(100));
        e.reinitialize(Duration::from_secs(3));
        assert_eq!(e.rto(), ms(300), "only without a sample");
    }
}
