//! The random stages against their probabilities and closed forms.
//!
//! Each estimate must fall within `SIGMAS` standard deviations of its estimator around the
//! value the model promises. The seeds are fixed, so every run sees the same numbers; with
//! five sigmas a correct model would fail on fewer than one seed in a million (normal
//! approximation), while the mistakes these tests are for (a probability used as its
//! complement, a swapped `p` and `r`, a memoryless chain) miss by dozens of sigmas.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use synack_link::{Channel, DropCause, Fate, LinkParams, LossModel, Reorder, Stale};
use synack_sim::{Duration, Time};

const SIGMAS: f64 = 5.0;

fn channel(params: LinkParams, seed: u64) -> Channel {
    Channel::new(params, ChaCha8Rng::seed_from_u64(seed)).expect("valid parameters")
}

/// Sends `n` packets one millisecond apart and returns, for each, whether it was lost.
fn loss_pattern(loss: LossModel, n: usize, seed: u64) -> Vec<bool> {
    let mut link = channel(
        LinkParams {
            loss,
            ..LinkParams::default()
        },
        seed,
    );
    (0..n)
        .map(|i| {
            let outcome = link.transmit(Time::ZERO + Duration::from_millis(i as u64), 100);
            outcome.fate == Fate::Drop(DropCause::Loss)
        })
        .collect()
}

fn fraction(hits: usize, n: usize) -> f64 {
    hits as f64 / n as f64
}

fn assert_close(what: &str, observed: f64, expected: f64, sd: f64) {
    let sigmas = (observed - expected).abs() / sd;
    assert!(
        sigmas <= SIGMAS,
        "{what}: observed {observed}, expected {expected} ± {sd} (1 sd); off by {sigmas:.1} sd"
    );
}

/// The standard deviation of a proportion of `n` independent trials of probability `p`.
fn binomial_sd(p: f64, n: usize) -> f64 {
    (p * (1.0 - p) / n as f64).sqrt()
}

#[test]
fn bernoulli_loss_rate_matches_p() {
    let n = 100_000;
    for (p, seed) in [(0.01, 1), (0.1, 2)] {
        let lost = loss_pattern(LossModel::Bernoulli(p), n, seed);
        let rate = fraction(lost.iter().filter(|&&l| l).count(), n);
        assert_close(&format!("loss rate, p = {p}"), rate, p, binomial_sd(p, n));
    }
}

#[test]
fn bernoulli_extremes_are_exact() {
    assert!(loss_pattern(LossModel::Bernoulli(0.0), 10_000, 4)
        .iter()
        .all(|&l| !l));
    assert!(loss_pattern(LossModel::Bernoulli(1.0), 10_000, 5)
        .iter()
        .all(|&l| l));
}

/// The standard deviation of the loss rate of `n` consecutive packets of a stationary
/// Gilbert-Elliott chain. A packet is lost with probability `l(X)` in state `X`, so the loss
/// indicator is `l(X) + e`, with `e` of variance `l (1 - l)` independent of everything else.
/// `l(X)` has variance `Var` under the stationary law and autocorrelation `lambda^t`, where
/// `lambda = 1 - p - r` is the chain's second eigenvalue; summing the covariances gives
/// `n · Var(mean) = E[l (1 - l)] + Var · (1 + lambda) / (1 - lambda)`.
fn gilbert_elliott_sd(p: f64, r: f64, k: f64, h: f64, n: usize) -> f64 {
    let bad = p / (p + r);
    let (l_good, l_bad) = (1.0 - k, 1.0 - h);
    let mean = (1.0 - bad) * l_good + bad * l_bad;
    let noise = (1.0 - bad) * l_good * (1.0 - l_good) + bad * l_bad * (1.0 - l_bad);
    let var_state = (1.0 - bad) * l_good * l_good + bad * l_bad * l_bad - mean * mean;
    let lambda = 1.0 - p - r;
    ((noise + var_state * (1.0 + lambda) / (1.0 - lambda)) / n as f64).sqrt()
}

/// Lengths of the runs of consecutive losses, leaving out a run cut off by the end.
fn burst_lengths(lost: &[bool]) -> Vec<usize> {
    let mut bursts = Vec::new();
    let mut run = 0;
    for &l in lost {
        if l {
            run += 1;
        } else if run > 0 {
            bursts.push(run);
            run = 0;
        }
    }
    bursts
}

#[test]
fn gilbert_loss_rate_and_burst_length() {
    // Gilbert's model: lost exactly in the bad state.
    let (p, r) = (0.01, 0.25);
    let model = LossModel::GilbertElliott {
        p,
        r,
        k: 1.0,
        h: 0.0,
    };
    let n = 200_000;
    let lost = loss_pattern(model, n, 10);

    let rate = fraction(lost.iter().filter(|&&l| l).count(), n);
    assert_close(
        "Gilbert loss rate",
        rate,
        model.mean_loss(),
        gilbert_elliott_sd(p, r, 1.0, 0.0, n),
    );
    assert!((model.mean_loss() - p / (p + r)).abs() < 1e-15);

    // A burst is a stay in the bad state: geometric, mean 1/r, variance (1 - r)/r². Stays
    // are independent of each other, so the mean of m of them has variance (1 - r)/(r² m).
    let bursts = burst_lengths(&lost);
    let mean_burst = bursts.iter().sum::<usize>() as f64 / bursts.len() as f64;
    let sd = ((1.0 - r) / (r * r * bursts.len() as f64)).sqrt();
    assert_close("Gilbert mean loss burst", mean_burst, 1.0 / r, sd);
}

/// Loss in both states: the rate matches the closed form, and losses cluster: a packet right
/// after a loss is lost far more often than on average, as often as the chain says. A
/// memoryless model at the same mean rate fails the second check by dozens of sigmas.
#[test]
fn gilbert_elliott_with_loss_in_both_states() {
    let (p, r, k, h) = (0.05, 0.4, 0.98, 0.3);
    let model = LossModel::GilbertElliott { p, r, k, h };
    let expected_rate = (r * (1.0 - k) + p * (1.0 - h)) / (p + r);
    assert!((model.mean_loss() - expected_rate).abs() < 1e-15);
    let n = 200_000;
    let lost = loss_pattern(model, n, 11);
    let rate = fraction(lost.iter().filter(|&&l| l).count(), n);
    assert_close(
        "Gilbert-Elliott loss rate",
        rate,
        expected_rate,
        gilbert_elliott_sd(p, r, k, h, n),
    );

    // P(lost, then lost) = Σ_x π_x l_x Σ_y P(x→y) l_y, over the mean loss.
    let (good, bad) = (r / (p + r), p / (p + r));
    let (l_good, l_bad) = (1.0 - k, 1.0 - h);
    let after_good = (1.0 - p) * l_good + p * l_bad;
    let after_bad = r * l_good + (1.0 - r) * l_bad;
    let both = good * l_good * after_good + bad * l_bad * after_bad;
    let expected = both / expected_rate;

    // This estimator's variance has no simple closed form (the pairs overlap and the chain
    // correlates them), so estimate it by batch means: 20 batches of 10,000 packets, each
    // thousands of times longer than the chain's memory of 1/(p + r) ≈ 2 packets, so the
    // batches are as good as independent.
    let batches: Vec<f64> = lost
        .chunks(10_000)
        .map(|batch| {
            let losses = batch[..batch.len() - 1].iter().filter(|&&l| l).count();
            let repeats = batch.windows(2).filter(|w| w[0] && w[1]).count();
            repeats as f64 / losses as f64
        })
        .collect();
    let m = batches.len() as f64;
    let mean = batches.iter().sum::<f64>() / m;
    let var = batches.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1.0);
    let sd = (var / m).sqrt();
    assert!(
        SIGMAS * sd < (expected - expected_rate) / 4.0,
        "too few packets to tell a burst from no burst: sd {sd}"
    );
    assert_close("P(loss | previous lost)", mean, expected, sd);
}

#[test]
fn jitter_stays_within_bounds_and_averages_to_the_delay() {
    let delay = Duration::from_millis(10);
    let jitter = Duration::from_millis(2);
    let mut link = channel(
        LinkParams {
            delay,
            jitter,
            duplicate: 0.5,
            ..LinkParams::default()
        },
        20,
    );
    let n = 100_000;
    let mut delays = Vec::with_capacity(n);
    for i in 0..n {
        let now = Time::ZERO + Duration::from_micros(100 * i as u64);
        let outcome = link.transmit(now, 100);
        for at in outcome.arrivals() {
            let d = at - now;
            assert!(
                delay - jitter <= d && d <= delay + jitter,
                "packet {i}: delay {d} outside {delay} ± {jitter}"
            );
        }
        delays.push((outcome.fate.arrival().unwrap() - now).as_nanos() as f64);
    }
    // Uniform over 4 ms: standard deviation 4 ms / √12 per packet.
    let sd = 4e6 / 12f64.sqrt() / (n as f64).sqrt();
    let mean = delays.iter().sum::<f64>() / n as f64;
    assert_close("mean delay (ns)", mean, 1e7, sd);
    // Both ends are reached: 100,000 draws all missing a 10 µs edge of a 4 ms range has
    // probability (1 - 1/400)^100000, about e^-250.
    let (min, max) = delays
        .iter()
        .fold((f64::MAX, 0f64), |(lo, hi), &d| (lo.min(d), hi.max(d)));
    assert!(min < 8.01e6 && max > 11.99e6, "range [{min}, {max}] ns");
}

#[test]
fn jitter_larger_than_the_delay_is_clamped_at_zero() {
    // Delay 1 ms ± 3 ms: the 2 ms of the 6 ms range below zero all become exactly zero.
    let mut link = channel(
        LinkParams {
            delay: Duration::from_millis(1),
            jitter: Duration::from_millis(3),
            ..LinkParams::default()
        },
        21,
    );
    let n = 50_000;
    let mut zero = 0;
    for i in 0..n {
        let now = Time::ZERO + Duration::from_micros(10 * i as u64);
        let at = link.transmit(now, 100).fate.arrival().unwrap();
        assert!(at >= now);
        zero += usize::from(at == now);
    }
    let expected = 2.0 / 6.0;
    assert_close(
        "share clamped to no delay",
        fraction(zero, n),
        expected,
        binomial_sd(expected, n),
    );
}

/// Sends `n` packets 1 ms apart on `params` and returns (now, outcome) pairs.
fn run(params: LinkParams, n: usize, seed: u64) -> Vec<(Time, synack_link::Outcome)> {
    let mut link = channel(params, seed);
    (0..n)
        .map(|i| {
            let now = Time::ZERO + Duration::from_millis(i as u64);
            (now, link.transmit(now, 100))
        })
        .collect()
}

#[test]
fn duplicates_come_at_their_rate_and_only_from_delivered_packets() {
    let (loss, dup) = (0.2, 0.1);
    let n = 50_000;
    let delay = Duration::from_millis(5);
    let outcomes = run(
        LinkParams {
            delay,
            loss: LossModel::Bernoulli(loss),
            duplicate: dup,
            ..LinkParams::default()
        },
        n,
        30,
    );
    let delivered = outcomes
        .iter()
        .filter(|(_, o)| o.fate.arrival().is_some())
        .count();
    let duplicated = outcomes
        .iter()
        .filter(|(_, o)| o.duplicate.is_some())
        .count();
    for (now, o) in &outcomes {
        match o.fate {
            Fate::Drop(_) => assert!(o.duplicate.is_none() && o.stale.is_none()),
            Fate::Deliver(at) => {
                assert_eq!(at, *now + delay);
                assert!(o.duplicate.is_none_or(|d| d == at));
            }
        }
    }
    assert_close(
        "duplicated share of delivered",
        fraction(duplicated, delivered),
        dup,
        binomial_sd(dup, delivered),
    );
}

#[test]
fn stale_copies_come_at_their_rate_within_max_age() {
    let prob = 0.05;
    let max_age = Duration::from_secs(60);
    let n = 50_000;
    let outcomes = run(
        LinkParams {
            delay: Duration::from_millis(5),
            jitter: Duration::from_millis(1),
            stale: Some(Stale {
                probability: prob,
                max_age,
            }),
            ..LinkParams::default()
        },
        n,
        31,
    );
    let mut ages = Vec::new();
    for (_, o) in &outcomes {
        if let Some(stale) = o.stale {
            let arrival = o
                .fate
                .arrival()
                .expect("a stale copy of a delivered packet");
            assert!(arrival < stale && stale <= arrival + max_age);
            ages.push((stale - arrival).as_secs_f64());
        }
    }
    assert_close(
        "stale share",
        fraction(ages.len(), n),
        prob,
        binomial_sd(prob, n),
    );
    // Uniform over (0, 60 s]: mean 30 s, standard deviation 60/√12 s per copy.
    let mean_age = ages.iter().sum::<f64>() / ages.len() as f64;
    let sd = 60.0 / 12f64.sqrt() / (ages.len() as f64).sqrt();
    assert_close("mean stale age (s)", mean_age, 30.0, sd);
}

#[test]
fn reordered_packets_are_overtaken() {
    let prob = 0.02;
    let delay = Duration::from_millis(10);
    let hold = Duration::from_millis(5);
    let n = 50_000;
    let outcomes = run(
        LinkParams {
            delay,
            reorder: Some(Reorder {
                probability: prob,
                delay: hold,
            }),
            ..LinkParams::default()
        },
        n,
        32,
    );
    let arrivals: Vec<(Time, Time)> = outcomes
        .iter()
        .map(|(now, o)| (*now, o.fate.arrival().unwrap()))
        .collect();
    let is_held = |(now, at): (Time, Time)| at == now + delay + hold;
    let mut held = 0;
    for (i, &(now, at)) in arrivals.iter().enumerate() {
        if !is_held((now, at)) {
            assert_eq!(at, now + delay);
            continue;
        }
        held += 1;
        // Sent 1 ms later and not held, the next packet arrives 4 ms earlier.
        if let Some(&next) = arrivals.get(i + 1).filter(|&&next| !is_held(next)) {
            assert!(next.1 < at, "packet {i} held but not overtaken");
        }
    }
    assert_close(
        "reordered share",
        fraction(held, n),
        prob,
        binomial_sd(prob, n),
    );
}
