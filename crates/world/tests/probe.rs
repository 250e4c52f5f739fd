//! The probe workload over the link model, through the world: measured against theory.

use synack_experiment::metrics::Metrics;
use synack_link::{LinkParams, LossModel};
use synack_sim::Duration;
use synack_tcp::config::Config;
use synack_world::{HostSpec, LinkSpec, ProbeSpec, WorkloadSpec, World, WorldSpec};

fn spec(forward: LinkParams, rate: f64, seconds: u64, poisson: bool) -> WorldSpec {
    WorldSpec {
        duration: Duration::from_secs(seconds),
        hosts: vec![host("a"), host("b")],
        routers: vec![],
        // Probes cross one direct link: they need no routes.
        routes: Default::default(),
        ttl: 64,
        links: vec![LinkSpec {
            name: "wan".into(),
            a: 0,
            b: 1,
            forward,
            reverse: LinkParams::default(),
        }],
        workloads: vec![WorkloadSpec::Probe(ProbeSpec {
            name: "probe".into(),
            from: 0,
            to: 1,
            rate,
            size: 100,
            start: Duration::ZERO,
            stop: Duration::from_secs(seconds),
            poisson,
        })],
        series: vec![],
    }
}

fn host(name: &str) -> HostSpec {
    HostSpec {
        name: name.into(),
        tcp: Config::linux(),
    }
}

fn run(spec: &WorldSpec, seed: u64) -> Metrics {
    World::new(spec, seed).run()
}

fn delay(ms: u64) -> LinkParams {
    LinkParams {
        delay: Duration::from_millis(ms),
        ..LinkParams::default()
    }
}

#[test]
fn bernoulli_loss_matches_its_probability() {
    let p = 0.05;
    let m = run(
        &spec(
            LinkParams {
                loss: LossModel::Bernoulli(p),
                ..delay(10)
            },
            10_000.0,
            20,
            false,
        ),
        1,
    );
    assert_eq!(m.probe_sent, 200_000);
    // Probes sent in the last 10 ms are still in flight and excluded from the loss rate.
    let n = (m.probe_sent - 100) as f64;
    let sigma = (p * (1.0 - p) / n).sqrt();
    assert!(
        (m.probe_loss.unwrap() - p).abs() < 5.0 * sigma,
        "measured {} against {p} (5σ = {})",
        m.probe_loss.unwrap(),
        5.0 * sigma
    );
    assert_eq!(m.segments_sent, m.probe_sent);
    // Every probe was received, lost, or is among the last 100 still in flight.
    let settled = m.probe_received + m.segments_lost;
    assert!(settled <= m.probe_sent && settled >= m.probe_sent - 100);
}

#[test]
fn without_jitter_every_probe_takes_exactly_the_delay_and_none_reorder() {
    let params = LinkParams {
        bandwidth_bps: Some(8_000_000),
        ..delay(25)
    };
    let m = run(&spec(params, 1000.0, 5, false), 3);
    // 100 bytes at 8 Mbps serialise in exactly 100 µs.
    assert_eq!(m.probe_delay_mean_s.unwrap(), 0.025_1);
    assert_eq!(m.probe_delay_p99_s.unwrap(), 0.025_1);
    assert_eq!(
        (m.probe_reordered, m.probe_duplicated, m.segments_lost),
        (0, 0, 0)
    );
    assert_eq!(m.probe_loss.unwrap(), 0.0);
}

#[test]
fn jitter_wider_than_the_send_interval_reorders_and_stays_in_bounds() {
    let params = LinkParams {
        jitter: Duration::from_millis(5),
        ..delay(20)
    };
    let m = run(&spec(params, 1000.0, 10, false), 4);
    assert!(m.probe_reordered > 1000, "{} reordered", m.probe_reordered);
    assert!(m.probe_delay_p99_s.unwrap() <= 0.025 && m.probe_delay_p99_s.unwrap() > 0.0245);
    // The mean of a uniform ±5 ms around 20 ms, over ~10,000 probes: σ ≈ 2.9 ms / 100.
    assert!((m.probe_delay_mean_s.unwrap() - 0.020).abs() < 5.0 * 0.002_887 / 100.0);
}

#[test]
fn duplicates_are_counted_once_each() {
    let params = LinkParams {
        duplicate: 0.1,
        ..delay(1)
    };
    let m = run(&spec(params, 10_000.0, 10, false), 5);
    let n = m.probe_received as f64;
    let sigma = (0.1 * 0.9 * n).sqrt();
    assert!((m.probe_duplicated as f64 - 0.1 * n).abs() < 5.0 * sigma);
    assert_eq!(
        m.probe_loss.unwrap(),
        0.0,
        "duplicates are not deliveries of lost probes"
    );
}

#[test]
fn poisson_arrivals_send_rate_times_duration_on_average() {
    let m = run(&spec(delay(1), 500.0, 40, true), 6);
    let mean = 500.0 * 40.0;
    // A Poisson count has variance equal to its mean.
    assert!(
        (m.probe_sent as f64 - mean).abs() < 5.0 * f64::sqrt(mean),
        "{} probes",
        m.probe_sent
    );
}

#[test]
fn the_same_seed_gives_the_same_run_and_another_seed_another() {
    let params = LinkParams {
        loss: LossModel::Bernoulli(0.1),
        jitter: Duration::from_millis(2),
        ..delay(10)
    };
    let s = spec(params, 2000.0, 3, true);
    assert_eq!(run(&s, 9), run(&s, 9));
    assert_ne!(run(&s, 9), run(&s, 10));
}

#[test]
fn adding_a_host_and_a_link_leaves_the_other_draws_alone() {
    let params = LinkParams {
        loss: LossModel::Bernoulli(0.2),
        jitter: Duration::from_millis(3),
        ..delay(10)
    };
    let base = spec(params, 2000.0, 3, true);
    let mut bigger = base.clone();
    bigger.hosts.insert(0, host("newcomer"));
    for l in &mut bigger.links {
        l.a += 1;
        l.b += 1;
    }
    for w in &mut bigger.workloads {
        if let WorkloadSpec::Probe(p) = w {
            p.from += 1;
            p.to += 1;
        }
    }
    bigger.links.insert(
        0,
        LinkSpec {
            name: "other".into(),
            a: 0,
            b: 1,
            forward: LinkParams {
                loss: LossModel::Bernoulli(0.5),
                ..delay(1)
            },
            reverse: LinkParams::default(),
        },
    );
    assert_eq!(run(&base, 11), run(&bigger, 11));
}
