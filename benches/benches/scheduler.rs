//! Scheduler throughput in the classic hold model at 1,000, 100,000 and 1,000,000 pending
//! events. Targets (issue 2): >= 20 M events/s at N = 1,000 and >= 5 M/s at N = 1,000,000.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use synack_benches::Hold;

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold");
    const BATCH: u64 = 1_000_000;
    for pending in [1_000usize, 100_000, 1_000_000] {
        group.throughput(Throughput::Elements(BATCH));
        group.sample_size(20);
        let mut model = Hold::new(pending, 7);
        // Warm the queue into its steady state before measuring.
        model.run(4 * pending as u64);
        group.bench_with_input(BenchmarkId::from_parameter(pending), &pending, |b, _| {
            b.iter(|| model.run(BATCH))
        });
    }
    group.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
