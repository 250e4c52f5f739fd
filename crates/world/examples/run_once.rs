//! Runs one replication of an experiment file's first sweep point and prints its metrics:
//! a small harness for profiling the world alone (`cargo run --release -p synack-world
//! --example run_once -- experiments/churn.toml`).

use synack_experiment::config::Experiment;

fn main() {
    let path = std::env::args().nth(1).expect("usage: run_once FILE.toml");
    let exp = Experiment::load(std::path::Path::new(&path)).unwrap_or_else(|e| panic!("{e}"));
    let checked = synack_experiment::check(&exp, &[]).unwrap_or_else(|e| panic!("{e}"));
    let metrics = synack_world::World::new(&checked.points[0].world, 1).run();
    println!("{metrics:?}");
}
