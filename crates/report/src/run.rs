//! Sweeps: every (point, replication) of an experiment, run in parallel, results in order.
//!
//! A plan is made from [`synack_experiment::check`]'s result: every sweep point's world
//! resolved and checked before anything runs, so no run can fail on a mistake in the file.
//! Runs are independent worlds seeded by (experiment seed, point, replication); rayon runs
//! them on `jobs` threads and `collect` keeps them in plan order, so the results are
//! byte-identical whatever the number of threads.

use rayon::prelude::*;

use crate::results::RunRecord;
use synack_experiment::Checked;
use synack_world::seeds::run_seed;
use synack_world::trace::Trace;
use synack_world::World;

/// One sweep point, resolved and checked.
pub use synack_experiment::Point;

/// Everything a run of the experiment will do.
#[derive(Clone, Debug)]
pub struct Plan {
    pub points: Vec<Point>,
    pub replications: u32,
    pub seed: u64,
}

/// Which share of the runs this process does: runs `i` with `i % of == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub of: usize,
}

impl Plan {
    /// The runs of a checked experiment: its points, replications and seed.
    pub fn new(checked: &Checked) -> Plan {
        Plan {
            points: checked.points.clone(),
            replications: checked.replications,
            seed: checked.seed,
        }
    }

    /// (point, replication) of every run, point-major.
    pub fn runs(&self, shard: Option<Shard>) -> Vec<(usize, u32)> {
        let all = self
            .points
            .iter()
            .flat_map(|p| (0..self.replications).map(move |r| (p.index, r)));
        match shard {
            None => all.collect(),
            Some(s) => all
                .enumerate()
                .filter(|(i, _)| i % s.of == s.index)
                .map(|(_, run)| run)
                .collect(),
        }
    }

    /// Runs `runs` on a pool of `jobs` threads (0 = one per core), calling `on_done` after
    /// each; returns the records in the order of `runs`.
    pub fn execute(
        &self,
        runs: &[(usize, u32)],
        jobs: usize,
        on_done: &(dyn Fn() + Sync),
    ) -> Vec<RunRecord> {
        let work = || {
            runs.par_iter()
                .map(|&(point, replication)| {
                    let record = self.run_one(point, replication);
                    on_done();
                    record
                })
                .collect()
        };
        match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
            Ok(pool) => pool.install(work),
            // A pool that cannot start threads still leaves the current one.
            Err(_) => runs
                .iter()
                .map(|&(p, r)| {
                    let record = self.run_one(p, r);
                    on_done();
                    record
                })
                .collect(),
        }
    }

    /// Run (`point`, `replication`) again with its trace recorded: the same run as in the
    /// results, since the trace only watches.
    pub fn trace_one(
        &self,
        point: usize,
        replication: u32,
    ) -> (synack_experiment::metrics::Metrics, Trace) {
        let p = &self.points[point];
        let seed = run_seed(self.seed, point, replication);
        let (metrics, trace) = World::new(&p.world, seed).with_trace().run_traced();
        (metrics, trace.expect("tracing was asked for"))
    }

    /// One run, alone: the same result whichever thread or process runs it.
    pub fn run_one(&self, point: usize, replication: u32) -> RunRecord {
        let p = &self.points[point];
        let seed = run_seed(self.seed, point, replication);
        let out = World::new(&p.world, seed).run_all();
        RunRecord {
            point,
            replication,
            seed,
            params: p.params.clone(),
            metrics: out.metrics,
            series: out.series,
        }
    }
}
