//! Poisson arrivals form a Poisson process on [start, stop): none at `start` itself (the
//! process is memoryless, so its first arrival is an exponential gap after the start, as
//! every later one is after the one before), and Poisson(λ·(stop − start)) of them in all.
//! Each test runs one workload over many seeds and holds the counts to the closed forms:
//! P(N = 0) = e^(−λT), E[N] = Var[N] = λT, within four standard errors.

mod common;

use synack_experiment::metrics::Metrics;
use synack_experiment::spec::WorldSpec;
use synack_world::World;

const SEEDS: u64 = 1000;

/// A server and a group of `clients`, each on its own link to it, running `workload`.
fn world(clients: u32, workload: &str) -> WorldSpec {
    let text = format!(
        r#"
name = "arrivals"
duration = "3s"
[[host]]
name = "server"
[[host]]
name = "client"
count = {clients}
[[link]]
name = "lan"
between = ["client[*]", "server"]
delay = "1ms"
[[workload]]
name = "w"
from = "client[*]"
{workload}
"#
    );
    common::world_of(&text)
}

/// The count `of` each run's metrics, over the seeds.
fn counts(spec: &WorldSpec, of: impl Fn(&Metrics) -> u64) -> Vec<f64> {
    (1..=SEEDS)
        .map(|seed| of(&World::new(spec, seed).run()) as f64)
        .collect()
}

/// Holds `counts` to Poisson(`mean`): the share of empty runs, the mean and the variance.
fn assert_poisson(counts: &[f64], mean: f64) {
    let n = counts.len() as f64;
    let p0 = (-mean).exp();
    let empty = counts.iter().filter(|&&c| c == 0.0).count() as f64 / n;
    let tolerance = 4.0 * (p0 * (1.0 - p0) / n).sqrt();
    assert!(
        (empty - p0).abs() < tolerance,
        "P(N = 0) = {empty:.3}, e^-λT = {p0:.3}"
    );
    let m = counts.iter().sum::<f64>() / n;
    assert!(
        (m - mean).abs() < 4.0 * (mean / n).sqrt(),
        "mean {m:.3}, λT = {mean}"
    );
    let var = counts.iter().map(|c| (c - m).powi(2)).sum::<f64>() / (n - 1.0);
    // Var of the sample variance of a Poisson(λ): (μ4 − σ⁴)/n with μ4 = λ(1 + 3λ).
    let sd = ((mean * (1.0 + 3.0 * mean) - mean * mean) / n).sqrt();
    assert!(
        (var - mean).abs() < 4.0 * sd,
        "variance {var:.3}, λT = {mean}"
    );
}

#[test]
fn churn_connects_a_poisson_number_of_times() {
    // λ = 2 a second over [0, 500 ms): λT = 1.
    let spec = world(
        1,
        "kind = \"churn\"\nto = \"server:80\"\nrate = 2\nstop = \"500ms\"",
    );
    assert_poisson(&counts(&spec, |m| m.conn_attempted), 1.0);
}

#[test]
fn a_group_of_clients_connects_a_poisson_number_of_times_not_one_each_at_the_start() {
    // 200 members, each 1 a second over [100 ms, 150 ms): λT = 0.05 each, 10 for the group
    // (one each at the start would make it 210).
    let spec = world(
        200,
        "kind = \"churn\"\nto = \"server:80\"\nrate = 1\nstart = \"100ms\"\nstop = \"150ms\"",
    );
    let counts: Vec<f64> = (1..=100)
        .map(|seed| World::new(&spec, seed).run().conn_attempted as f64)
        .collect();
    let m = counts.iter().sum::<f64>() / counts.len() as f64;
    assert!(
        (m - 10.0).abs() < 4.0 * (10.0f64 / 100.0).sqrt(),
        "mean {m}"
    );
}

#[test]
fn a_pool_receives_a_poisson_number_of_requests() {
    let spec = world(
        1,
        "kind = \"pool\"\nto = \"server:80\"\nconnections = 2\nrate = 2\nstop = \"500ms\"",
    );
    assert_poisson(&counts(&spec, |m| m.requests_completed), 1.0);
}

#[test]
fn a_poisson_probe_sends_a_poisson_number_of_datagrams() {
    let spec = world(
        1,
        "kind = \"probe\"\nto = \"server\"\nrate = 2\narrivals = \"poisson\"\nstop = \"500ms\"",
    );
    assert_poisson(&counts(&spec, |m| m.probe_sent), 1.0);
}
