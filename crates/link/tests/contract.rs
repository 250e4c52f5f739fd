//! What the rest of synack relies on: determinism, validation, and invariants that hold
//! for any parameters.

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use synack_link::{
    Aqm, Channel, DropCause, Fate, LinkError, LinkParams, LossModel, Outcome, Reorder, Stale,
};
use synack_sim::{Duration, Time};

/// Every stage switched on.
fn busy_link() -> LinkParams {
    LinkParams {
        delay: Duration::from_millis(20),
        jitter: Duration::from_millis(3),
        bandwidth_bps: Some(50_000_000),
        queue_packets: Some(20),
        queue_bytes: None,
        aqm: Aqm::None,
        loss: LossModel::GilbertElliott {
            p: 0.02,
            r: 0.3,
            k: 0.99,
            h: 0.2,
        },
        duplicate: 0.05,
        reorder: Some(Reorder {
            probability: 0.05,
            delay: Duration::from_millis(4),
        }),
        stale: Some(Stale {
            probability: 0.05,
            max_age: Duration::from_secs(30),
        }),
    }
}

/// Bursts of 40 packets of mixed sizes every 5 ms: about 4.8 ms of serialization on
/// [`busy_link`], so its 20-packet queue overflows in every burst.
fn outcomes(params: LinkParams, seed: u64, n: u64) -> Vec<Outcome> {
    let mut link = Channel::new(params, ChaCha8Rng::seed_from_u64(seed)).unwrap();
    (0..n)
        .map(|i| {
            let now = Time::ZERO + Duration::from_millis(5 * (i / 40));
            link.transmit(now, 40 + (i * 97 % 1461) as u32)
        })
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_outcomes() {
    let a = outcomes(busy_link(), 42, 5000);
    assert_eq!(a, outcomes(busy_link(), 42, 5000));
    // The run exercised every stage, or this proves little.
    let has = |f: &dyn Fn(&Outcome) -> bool| a.iter().any(f);
    assert!(has(&|o| o.fate == Fate::Drop(DropCause::QueueFull)));
    assert!(has(&|o| o.fate == Fate::Drop(DropCause::Loss)));
    assert!(has(&|o| o.duplicate.is_some()));
    assert!(has(&|o| o.stale.is_some()));
}

#[test]
fn different_seeds_give_different_outcomes() {
    assert_ne!(
        outcomes(busy_link(), 1, 1000),
        outcomes(busy_link(), 2, 1000)
    );
}

#[test]
fn a_clone_carries_on_identically() {
    let mut a = Channel::new(busy_link(), ChaCha8Rng::seed_from_u64(3)).unwrap();
    for i in 0..100 {
        a.transmit(Time::ZERO + Duration::from_micros(i), 1000);
    }
    let mut b = a.clone();
    for i in 100..1000 {
        let now = Time::ZERO + Duration::from_micros(i);
        assert_eq!(a.transmit(now, 1000), b.transmit(now, 1000));
    }
    assert_eq!(a.stats(), b.stats());
}

/// Each stage has its own draws, so sweeping one parameter leaves the others' outcomes
/// alone (common random numbers), and a higher loss probability only adds losses.
#[test]
fn sweeping_one_parameter_keeps_the_other_draws() {
    let lossy = |loss: f64, duplicate: f64| LinkParams {
        delay: Duration::from_millis(1),
        jitter: Duration::from_micros(100),
        loss: LossModel::Bernoulli(loss),
        duplicate,
        ..LinkParams::default()
    };
    let base = outcomes(lossy(0.1, 0.0), 9, 2000);
    let more_duplicates = outcomes(lossy(0.1, 0.3), 9, 2000);
    let more_loss = outcomes(lossy(0.2, 0.0), 9, 2000);
    for ((b, d), l) in base.iter().zip(&more_duplicates).zip(&more_loss) {
        assert_eq!(b.fate, d.fate, "the duplicate rate changed a fate");
        if b.fate == Fate::Drop(DropCause::Loss) {
            assert_eq!(l.fate, b.fate, "a higher loss rate saved a packet");
        } else if l.fate != Fate::Drop(DropCause::Loss) {
            assert_eq!(l.fate, b.fate, "a higher loss rate moved a packet");
        }
    }
    assert!(more_duplicates.iter().any(|o| o.duplicate.is_some()));
}

fn assert_not_a_probability(field: &str, value: f64, err: LinkError) {
    assert!(
        matches!(err, LinkError::NotAProbability { field: f, value: v }
            if f == field && (v == value || v.is_nan() && value.is_nan())),
        "{err:?}"
    );
    assert!(err.to_string().starts_with(field), "{err}");
}

#[test]
fn out_of_range_parameters_are_refused() {
    let refused = |params: LinkParams| {
        Channel::new(params, ChaCha8Rng::seed_from_u64(0)).expect_err("accepted an invalid link")
    };
    for bad in [1.5, -0.1, f64::NAN, f64::INFINITY] {
        assert_not_a_probability(
            "loss",
            bad,
            refused(LinkParams {
                loss: LossModel::Bernoulli(bad),
                ..LinkParams::default()
            }),
        );
        assert_not_a_probability(
            "duplicate",
            bad,
            refused(LinkParams {
                duplicate: bad,
                ..LinkParams::default()
            }),
        );
        assert_not_a_probability(
            "reorder.probability",
            bad,
            refused(LinkParams {
                reorder: Some(Reorder {
                    probability: bad,
                    delay: Duration::from_millis(1),
                }),
                ..LinkParams::default()
            }),
        );
        assert_not_a_probability(
            "stale.probability",
            bad,
            refused(LinkParams {
                stale: Some(Stale {
                    probability: bad,
                    max_age: Duration::from_secs(1),
                }),
                ..LinkParams::default()
            }),
        );
        let ge = |p, r, k, h| LossModel::GilbertElliott { p, r, k, h };
        for (field, model) in [
            ("loss.p", ge(bad, 0.1, 1.0, 0.0)),
            ("loss.r", ge(0.1, bad, 1.0, 0.0)),
            ("loss.k", ge(0.1, 0.1, bad, 0.0)),
            ("loss.h", ge(0.1, 0.1, 1.0, bad)),
        ] {
            assert_not_a_probability(
                field,
                bad,
                refused(LinkParams {
                    loss: model,
                    ..LinkParams::default()
                }),
            );
        }
    }
    assert_eq!(
        refused(LinkParams {
            bandwidth_bps: Some(0),
            ..LinkParams::default()
        }),
        LinkError::ZeroBandwidth
    );
    assert_eq!(
        refused(LinkParams {
            queue_packets: Some(0),
            ..LinkParams::default()
        }),
        LinkError::ZeroQueue
    );
    assert_eq!(
        refused(LinkParams {
            stale: Some(Stale {
                probability: 0.1,
                max_age: Duration::ZERO,
            }),
            ..LinkParams::default()
        }),
        LinkError::ZeroStaleAge
    );
    assert_eq!(
        LinkError::NotAProbability {
            field: "loss",
            value: 1.5
        }
        .to_string(),
        "loss must be a probability between 0 and 1, got 1.5"
    );
}

#[test]
fn the_ends_of_every_range_are_accepted() {
    for x in [0.0, 1.0] {
        let params = LinkParams {
            bandwidth_bps: Some(1),
            queue_packets: Some(1),
            loss: LossModel::GilbertElliott {
                p: x,
                r: x,
                k: x,
                h: x,
            },
            duplicate: x,
            reorder: Some(Reorder {
                probability: x,
                delay: Duration::ZERO,
            }),
            stale: Some(Stale {
                probability: x,
                max_age: Duration::from_nanos(1),
            }),
            ..LinkParams::default()
        };
        let mut link = Channel::new(params.clone(), ChaCha8Rng::seed_from_u64(0)).unwrap();
        assert_eq!(link.params(), &params);
        link.transmit(Time::ZERO, 1);
    }
}

fn arbitrary_params() -> impl Strategy<Value = LinkParams> {
    let probability = || prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64];
    let loss = prop_oneof![
        Just(LossModel::None),
        probability().prop_map(LossModel::Bernoulli),
        (probability(), probability(), probability(), probability())
            .prop_map(|(p, r, k, h)| LossModel::GilbertElliott { p, r, k, h }),
    ];
    (
        (0..50_000_000u64, 0..50_000_000u64),
        proptest::option::of(1..10_000_000_000u64),
        proptest::option::of(1..64u32),
        loss,
        probability(),
        proptest::option::of((probability(), 0..10_000_000u64)),
        proptest::option::of((probability(), 1..100_000_000_000u64)),
    )
        .prop_map(
            |((delay, jitter), bandwidth_bps, queue_packets, loss, duplicate, reorder, stale)| {
                LinkParams {
                    delay: Duration::from_nanos(delay),
                    jitter: Duration::from_nanos(jitter),
                    bandwidth_bps,
                    queue_packets,
                    queue_bytes: None,
                    aqm: Aqm::None,
                    loss,
                    duplicate,
                    reorder: reorder.map(|(probability, delay)| Reorder {
                        probability,
                        delay: Duration::from_nanos(delay),
                    }),
                    stale: stale.map(|(probability, age)| Stale {
                        probability,
                        max_age: Duration::from_nanos(age),
                    }),
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Whatever the parameters: nothing arrives before it was sent, or outside the delay
    /// bounds after leaving the queue; copies come only with delivered packets; a stale
    /// copy comes after the original, within max_age; and the counters add up.
    #[test]
    fn every_outcome_respects_the_parameters(
        params in arbitrary_params(),
        seed in any::<u64>(),
        gaps in proptest::collection::vec((0..2_000_000u64, 0..1600u32), 1..100),
    ) {
        let mut link = Channel::new(params.clone(), ChaCha8Rng::seed_from_u64(seed)).unwrap();
        let hold = params.reorder.map_or(Duration::ZERO, |r| r.delay);
        let mut now = Time::ZERO;
        let (mut delivered, mut lost, mut full, mut dups, mut stales) = (0, 0, 0, 0, 0);
        for (gap, bytes) in gaps {
            now += Duration::from_nanos(gap);
            let outcome = link.transmit(now, bytes);
            match outcome.fate {
                Fate::Deliver(at) => {
                    delivered += 1;
                    prop_assert!(at >= now);
                    // Propagation alone is at most delay + jitter; the queue and a reorder
                    // hold come on top. With infinite bandwidth there is no queue.
                    let most = params.delay + params.jitter + hold;
                    if params.bandwidth_bps.is_none() {
                        prop_assert!(at - now <= most);
                        prop_assert!(at - now >= params.delay - params.jitter);
                    }
                    if let Some(dup) = outcome.duplicate {
                        dups += 1;
                        prop_assert!(dup >= now);
                        prop_assert!(dup <= at + params.jitter + params.jitter);
                    }
                    if let Some(stale) = outcome.stale {
                        stales += 1;
                        prop_assert!(stale > at);
                        prop_assert!(stale - at <= params.stale.unwrap().max_age);
                    }
                }
                Fate::Drop(cause) => {
                    prop_assert_eq!(outcome.arrivals().count(), 0);
                    match cause {
                        DropCause::Loss => lost += 1,
                        DropCause::QueueFull => {
                            full += 1;
                            prop_assert!(params.queue_packets.is_some() && params.bandwidth_bps.is_some());
                        }
                        DropCause::Aqm => prop_assert!(false, "no AQM configured"),
                    }
                }
            }
        }
        let stats = link.stats();
        prop_assert_eq!(stats.delivered, delivered);
        prop_assert_eq!(stats.dropped_loss, lost);
        prop_assert_eq!(stats.dropped_queue, full);
        prop_assert_eq!(stats.duplicated, dups);
        prop_assert_eq!(stats.stale_copies, stales);
        prop_assert_eq!(stats.sent, delivered + lost + full);
        prop_assert_eq!(stats.dropped(), lost + full);
    }
}
