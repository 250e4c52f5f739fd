//! Checking speed (issue 14): `synack check` must stay linear in the size of the file.
//!
//! `check/star/N`: parse and check a star of N clients around one server, each with its own
//! link and churn workload (3N + 1 hosts, links and workloads), then resolve its world, as
//! `synack check` does. Target: under 1 s for 10,000 clients, and time per client flat from
//! 1,000 to 10,000 (linear; the checker once took 8.5 s at 1,000 and 176 s at 3,000).
//! `check/sweep/N`: a sweep of N values of one path, each value applied and checked.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use synack_experiment::config::Experiment;

/// A star of `n` clients around one server, each with a link and a churn workload.
fn star(n: usize) -> String {
    let mut text =
        String::from("name = \"star\"\nduration = \"1s\"\n[[host]]\nname = \"server\"\n");
    for i in 0..n {
        text.push_str(&format!("[[host]]\nname = \"c{i}\"\n"));
    }
    for i in 0..n {
        text.push_str(&format!(
            "[[link]]\nname = \"l{i}\"\nbetween = [\"c{i}\", \"server\"]\ndelay = \"1ms\"\n"
        ));
    }
    for i in 0..n {
        text.push_str(&format!(
            "[[workload]]\nname = \"w{i}\"\nkind = \"churn\"\nfrom = \"c{i}\"\n\
             to = \"server:80\"\nrate = 10\n"
        ));
    }
    text
}

/// Two hosts and a churn, with `n` values of its rate swept.
fn sweep(n: usize) -> String {
    let values: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
    format!(
        "name = \"sweep\"\nduration = \"1s\"\n[[host]]\nname = \"client\"\n[[host]]\n\
         name = \"server\"\n[[link]]\nname = \"wan\"\nbetween = [\"client\", \"server\"]\n\
         delay = \"1ms\"\n[[workload]]\nname = \"w\"\nkind = \"churn\"\nfrom = \"client\"\n\
         to = \"server:80\"\nrate = 10\n[sweep]\n\"workload.w.rate\" = [{}]\n",
        values.join(", ")
    )
}

fn check_text(text: &str) -> usize {
    let experiment = Experiment::parse(text, "bench.toml").expect("a valid experiment");
    let checked = synack_experiment::check(&experiment, &[]).expect("checks");
    checked.runs()
}

fn check(c: &mut Criterion) {
    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    for n in [1_000, 3_000, 10_000] {
        let text = star(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("star", n), &text, |b, t| {
            b.iter(|| check_text(t))
        });
    }
    for n in [1_000, 10_000] {
        let text = sweep(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("sweep", n), &text, |b, t| {
            b.iter(|| check_text(t))
        });
    }
    group.finish();
}

criterion_group!(benches, check);
criterion_main!(benches);
