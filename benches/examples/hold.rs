//! `cargo run --release -p synack-benches --example hold -- <pending> <events>`: the hold
//! model as a plain program, for profilers and for timing beside ns-3's `hold`.
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let pending: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let events: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let mut model = synack_benches::Hold::new(pending, 1);
    let t0 = Instant::now();
    let sum = model.run(events);
    let wall = t0.elapsed().as_secs_f64();
    println!(
        "pending={pending} events={events} wall_s={wall:.4} events_per_s={:.0} checksum={sum}",
        events as f64 / wall
    );
}
