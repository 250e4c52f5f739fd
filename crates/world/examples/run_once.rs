//! Runs an experiment file's runs (every sweep point and replication, or only the first
//! with `--first`; recording the trace with `--trace`) and prints each run's metrics, one line a run: a small harness for
//! profiling the world alone and for checking that a change leaves every run as it was
//! (`cargo run --release -p synack-world --example run_once -- experiments/churn.toml`).
//! Seeds are derived as `synack run` derives them.

use synack_experiment::config::Experiment;
use synack_world::seeds::run_seed;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .expect("usage: run_once [--first] [--trace] FILE.toml");
    let first = args.iter().any(|a| a == "--first");
    let traced = args.iter().any(|a| a == "--trace");
    let exp = Experiment::load(std::path::Path::new(path)).unwrap_or_else(|e| panic!("{e}"));
    let checked = synack_experiment::check(&exp, &[]).unwrap_or_else(|e| panic!("{e}"));
    for p in checked.points.iter() {
        for r in 0..checked.replications {
            let seed = run_seed(checked.seed, p.index, r);
            let world = synack_world::World::new(&p.world, seed);
            let metrics = if traced {
                synack_world::World::traced(&p.world, seed).0.metrics
            } else {
                world.run()
            };
            println!("{} {r} {metrics:?}", p.index);
            if first {
                return;
            }
        }
    }
}
