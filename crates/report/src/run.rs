//! Sweeps: every (point, replication) of an experiment, run in parallel, results in order.
//!
//! A plan applies each sweep point's values to the experiment and resolves the world of
//! every point before anything runs, so an invalid point fails the whole run up front.
//! Runs are independent worlds seeded by (experiment seed, point, replication); rayon runs
//! them on `jobs` threads and `collect` keeps them in plan order, so the results are
//! byte-identical whatever the number of threads.

use rayon::prelude::*;

use crate::results::RunRecord;
use synack_experiment::build_world;
use synack_experiment::config::{ConfigError, Experiment};
use synack_world::seeds::run_seed;
use synack_world::trace::Trace;
use synack_world::{SetupError, World, WorldSpec};

/// One sweep point, resolved.
#[derive(Clone, Debug)]
pub struct Point {
    pub index: usize,
    /// The swept paths and this point's values, in `[sweep]` order.
    pub params: Vec<(String, toml::Value)>,
    pub experiment: Experiment,
    pub world: WorldSpec,
}

/// Everything a run of the experiment will do.
#[derive(Clone, Debug)]
pub struct Plan {
    pub points: Vec<Point>,
    pub replications: u32,
    pub seed: u64,
}

/// Why a plan could not be made or run.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("sweep point {point} ({params}): {error}")]
    Setup {
        point: usize,
        params: String,
        error: SetupError,
    },
}

/// Which share of the runs this process does: runs `i` with `i % of == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub of: usize,
}

impl Plan {
    /// Resolves every sweep point of `experiment`.
    pub fn new(experiment: &Experiment) -> Result<Plan, PlanError> {
        let points = experiment
            .sweep_points()
            .into_iter()
            .enumerate()
            .map(|(index, params)| {
                let experiment = experiment.with_overrides(&params)?;
                let setup = |error| PlanError::Setup {
                    point: index,
                    params: describe(&params),
                    error,
                };
                let world = build_world(&experiment);
                // Constructing it once checks what only the components can check (e.g. link
                // parameters), so no run fails half-way through a sweep.
                World::new(&world, 0).map_err(setup)?;
                Ok(Point {
                    index,
                    params,
                    experiment,
                    world,
                })
            })
            .collect::<Result<Vec<_>, PlanError>>()?;
        Ok(Plan {
            points,
            replications: experiment.replications,
            seed: experiment.seed,
        })
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
        let world =
            World::new(&p.world, seed).expect("the plan built every point's world once already");
        let (metrics, trace) = world.with_trace().run_traced();
        (metrics, trace.expect("tracing was asked for"))
    }

    /// One run, alone: the same result whichever thread or process runs it.
    pub fn run_one(&self, point: usize, replication: u32) -> RunRecord {
        let p = &self.points[point];
        let seed = run_seed(self.seed, point, replication);
        let world =
            World::new(&p.world, seed).expect("the plan built every point's world once already");
        let out = world.run_all();
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

/// `a=1, b=2s` for messages.
fn describe(params: &[(String, toml::Value)]) -> String {
    if params.is_empty() {
        return "no sweep".to_string();
    }
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}
