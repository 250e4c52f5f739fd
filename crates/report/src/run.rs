//! Sweeps: every (point, replication) of an experiment, run in parallel, results in order.
//!
//! A plan is made from [`synack_experiment::check`]'s result: every sweep point's world
//! resolved and checked before anything runs, so no run can fail on a mistake in the file.
//! Runs are independent worlds seeded by (experiment seed, point, replication), so a run's
//! result does not depend on which thread, process or machine runs it, nor when: the
//! results are byte-identical whatever the number of threads, however a sweep was
//! interrupted and resumed, and however it was split into shards.
//!
//! Order ([`Schedule`]): the longest runs go first, so that the last runs to finish are
//! short ones and no thread idles while one long run ends the sweep. A run's length is
//! estimated by its simulated duration until one replication of its point has run, then by
//! the mean wall time of its point's finished replications: first one replication of every
//! point, longest estimate first; then the rest, longest measured point first. The same
//! measurements make the progress bar's estimate of the time left.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::results::{RunRecord, RunRow};
use synack_experiment::Checked;
use synack_world::seeds::run_seed;
use synack_world::trace::{Names, Sink, Trace};
use synack_world::World;

/// One sweep point, resolved and checked.
pub use synack_experiment::Point;

/// Everything a run of the experiment will do.
#[derive(Clone, Debug)]
pub struct Plan {
    pub points: std::sync::Arc<[Point]>,
    pub replications: u32,
    pub seed: u64,
    /// The host names, by id, as `series.csv` writes them.
    pub hosts: Vec<String>,
    /// The workload names, by index, as `flows.csv` writes them.
    pub workloads: Vec<String>,
    /// Whether runs return a row per flow (`flows = true`).
    pub flows: bool,
}

/// Which share of the runs this process does: runs `i` with `i % of == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub of: usize,
}

/// A finished run, as [`Plan::execute_each`] hands it over.
#[derive(Clone, Debug)]
pub struct Finished {
    pub row: RunRow,
    /// Wall-clock seconds it took.
    pub seconds: f64,
    /// Runs finished so far in this call, this one included.
    pub done: usize,
    /// Estimated time until the last run of the call ends; `None` before anything ends.
    pub eta: Option<Duration>,
}

impl Plan {
    /// The runs of a checked experiment: its points, replications and seed.
    pub fn new(checked: &Checked) -> Plan {
        Plan {
            points: checked.points.clone(),
            replications: checked.replications,
            seed: checked.seed,
            hosts: checked
                .experiment
                .hosts
                .iter()
                .map(|h| h.name.clone())
                .collect(),
            workloads: (checked.experiment.workloads.iter())
                .map(|w| w.name().to_string())
                .collect(),
            flows: checked.experiment.flows,
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

    /// Runs `runs` on `jobs` threads and returns their rows in the order of `runs`.
    pub fn execute(&self, runs: &[(usize, u32)], jobs: usize) -> Vec<RunRow> {
        let rows = Mutex::new(Vec::with_capacity(runs.len()));
        self.execute_each(runs, jobs, &[], &AtomicBool::new(false), &|f| {
            rows.lock().expect("rows").push(f.row)
        });
        let mut rows = rows.into_inner().expect("rows");
        let position = |r: &RunRow| runs.iter().position(|&k| k == (r.point, r.replication));
        rows.sort_by_key(position);
        rows
    }

    /// Runs `runs` on `jobs` threads (at least one), longest first ([`Schedule`]), calling
    /// `on_done` as each ends, on the thread that ran it. `known` are (point, seconds) of
    /// runs finished earlier (from a journal), for the estimates. Once `stop` is set no
    /// run starts; the runs under way finish.
    pub fn execute_each(
        &self,
        runs: &[(usize, u32)],
        jobs: usize,
        known: &[(usize, f64)],
        stop: &AtomicBool,
        on_done: &(dyn Fn(Finished) + Sync),
    ) {
        let estimates: Vec<f64> = self
            .points
            .iter()
            .map(|p| p.world.duration.as_secs_f64().max(1e-9))
            .collect();
        let schedule = Mutex::new(Schedule::new(&estimates, runs, known, jobs.max(1)));
        let worker = || loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let Some((point, replication)) = schedule.lock().expect("schedule").next_run() else {
                return;
            };
            let started = Instant::now();
            let row = self
                .run_one(point, replication)
                .to_row(&self.hosts, &self.workloads);
            let seconds = started.elapsed().as_secs_f64();
            let (done, eta) = schedule.lock().expect("schedule").finished(point, seconds);
            on_done(Finished {
                row,
                seconds,
                done,
                eta,
            });
        };
        std::thread::scope(|scope| {
            for _ in 1..jobs.max(1).min(runs.len().max(1)) {
                scope.spawn(worker);
            }
            worker();
        });
    }

    /// Run (`point`, `replication`) again with its trace kept in memory: the same run as
    /// in the results, since the trace only watches.
    pub fn trace_one(
        &self,
        point: usize,
        replication: u32,
    ) -> (synack_experiment::metrics::Metrics, Trace) {
        let p = &self.points[point];
        let mut trace = Trace::new(Names::of(&p.world));
        let metrics = trace_point(p, self.seed, replication, &mut trace);
        (metrics, trace)
    }

    /// One run, alone: the same result whichever thread or process runs it.
    pub fn run_one(&self, point: usize, replication: u32) -> RunRecord {
        let p = &self.points[point];
        let seed = run_seed(self.seed, point, replication);
        let world = World::new(&p.world, seed);
        let out = if self.flows {
            world.with_flows()
        } else {
            world
        }
        .run_all();
        RunRecord {
            point,
            replication,
            seed,
            params: p.params.clone(),
            metrics: out.metrics,
            series: out.series,
            flows: out.flows,
        }
    }
}

/// Runs replication `replication` of `point` of an experiment of seed `seed`, traced into
/// `sink`: the run of the results (its seed is derived from the seed, the point's index and
/// the replication), without a [`Plan`] of every point. A sink that breaks off ends the run
/// there (and its metrics are those of the run so far).
pub fn trace_point(
    point: &Point,
    seed: u64,
    replication: u32,
    sink: &mut dyn Sink,
) -> synack_experiment::metrics::Metrics {
    let seed = run_seed(seed, point.index, replication);
    World::new(&point.world, seed).with_trace(sink).run()
}

/// The order of a sweep's runs and the estimate of the time left (see the module's doc).
#[derive(Debug)]
pub struct Schedule {
    points: Vec<PointState>,
    jobs: usize,
    done: usize,
}

#[derive(Debug, Default)]
struct PointState {
    /// Its estimate before any of its runs is measured (simulated seconds).
    estimate: f64,
    /// Replications still to start, last first.
    waiting: Vec<u32>,
    /// Runs started (in this call or before it).
    started: usize,
    /// Start times of the runs under way.
    running: Vec<Instant>,
    /// Wall seconds of its finished runs, and how many.
    seconds: f64,
    measured: usize,
}

impl PointState {
    /// Seconds a run of this point is expected to take, with `scale` seconds per unit of
    /// estimate for a point not yet measured.
    fn expected(&self, scale: Option<f64>) -> Option<f64> {
        if self.measured > 0 {
            Some(self.seconds / self.measured as f64)
        } else {
            scale.map(|s| s * self.estimate)
        }
    }
}

impl Schedule {
    /// The schedule of `runs`, with `estimates` per point and `known` (point, seconds) of
    /// runs measured before, on `jobs` threads.
    pub fn new(
        estimates: &[f64],
        runs: &[(usize, u32)],
        known: &[(usize, f64)],
        jobs: usize,
    ) -> Schedule {
        let mut points: Vec<PointState> = estimates
            .iter()
            .map(|&estimate| PointState {
                estimate,
                ..PointState::default()
            })
            .collect();
        for &(point, replication) in runs.iter().rev() {
            points[point].waiting.push(replication);
        }
        for &(point, seconds) in known {
            if let Some(p) = points.get_mut(point) {
                p.started += 1;
                p.measured += 1;
                p.seconds += seconds;
            }
        }
        Schedule {
            points,
            jobs,
            done: 0,
        }
    }

    /// The next run to start: a replication of the unstarted point with the longest
    /// estimate while there is one, then of the point whose runs take longest.
    pub fn next_run(&mut self) -> Option<(usize, u32)> {
        let scale = self.scale();
        let waiting = || {
            self.points
                .iter()
                .enumerate()
                .filter(|(_, p)| !p.waiting.is_empty())
        };
        let first_of_its_point = waiting()
            .filter(|(_, p)| p.started == 0)
            .max_by(|(i, a), (j, b)| a.estimate.total_cmp(&b.estimate).then(j.cmp(i)));
        let pick = first_of_its_point
            .or_else(|| {
                waiting().max_by(|(i, a), (j, b)| {
                    let cost = |p: &PointState| p.expected(scale.or(Some(1.0))).unwrap_or(0.0);
                    cost(a).total_cmp(&cost(b)).then(j.cmp(i))
                })
            })
            .map(|(i, _)| i)?;
        let p = &mut self.points[pick];
        let replication = p.waiting.pop()?;
        p.started += 1;
        p.running.push(Instant::now());
        Some((pick, replication))
    }

    /// Records that a run of `point` ended after `seconds`; returns the runs finished so
    /// far and the estimated time left.
    pub fn finished(&mut self, point: usize, seconds: f64) -> (usize, Option<Duration>) {
        let p = &mut self.points[point];
        // The earliest start is as good as the right one for the estimate.
        if !p.running.is_empty() {
            p.running.remove(0);
        }
        p.seconds += seconds;
        p.measured += 1;
        self.done += 1;
        (self.done, self.time_left())
    }

    /// Wall seconds per unit of estimate, over the points measured.
    fn scale(&self) -> Option<f64> {
        let (seconds, units) = self
            .points
            .iter()
            .filter(|p| p.measured > 0)
            .fold((0.0, 0.0), |(s, u), p| {
                (s + p.seconds, u + p.estimate * p.measured as f64)
            });
        (units > 0.0).then(|| seconds / units)
    }

    /// The work left (runs waiting, and what remains of those under way) spread over the
    /// threads, but never less than the longest run left.
    fn time_left(&self) -> Option<Duration> {
        let scale = self.scale()?;
        let now = Instant::now();
        let (mut total, mut longest) = (0.0f64, 0.0f64);
        for p in &self.points {
            let each = p.expected(Some(scale))?;
            total += each * p.waiting.len() as f64;
            if !p.waiting.is_empty() {
                longest = longest.max(each);
            }
            for start in &p.running {
                let left = (each - now.duration_since(*start).as_secs_f64()).max(0.0);
                total += left;
                longest = longest.max(left);
            }
        }
        Some(Duration::from_secs_f64(
            (total / self.jobs as f64).max(longest),
        ))
    }
}

/// The threads to run `runs` runs on when `requested` are asked for (0: one per core):
/// never more than the cores, nor than the runs. The second value says why fewer than
/// requested, when it is so because of the cores.
pub fn threads(requested: usize, runs: usize) -> (usize, Option<String>) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut note = None;
    let mut jobs = if requested == 0 { cores } else { requested };
    if jobs > cores {
        note = Some(format!(
            "--jobs {requested}: this machine has {cores} core{}; running {cores} thread{} \
             (more threads than cores only slow a sweep down)",
            if cores == 1 { "" } else { "s" },
            if cores == 1 { "" } else { "s" }
        ));
        jobs = cores;
    }
    (jobs.min(runs).max(1), note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_replication_of_every_point_first_longest_estimate_first_then_longest_measured() {
        let runs: Vec<(usize, u32)> = (0..3).flat_map(|p| (0..2).map(move |r| (p, r))).collect();
        let mut s = Schedule::new(&[1.0, 3.0, 2.0], &runs, &[], 2);
        assert_eq!(s.next_run(), Some((1, 0)));
        assert_eq!(s.next_run(), Some((2, 0)));
        assert_eq!(s.next_run(), Some((0, 0)));
        // Point 0 turns out the slowest, point 1 the fastest.
        s.finished(1, 0.1);
        s.finished(2, 0.5);
        s.finished(0, 2.0);
        assert_eq!(s.next_run(), Some((0, 1)));
        assert_eq!(s.next_run(), Some((2, 1)));
        assert_eq!(s.next_run(), Some((1, 1)));
        assert_eq!(s.next_run(), None);
    }

    #[test]
    fn the_time_left_counts_the_work_waiting_and_the_longest_run() {
        let runs: Vec<(usize, u32)> = (0..2).flat_map(|p| (0..4).map(move |r| (p, r))).collect();
        // Point 0's runs took 3 s each, point 1's 1 s, in an earlier session.
        let mut s = Schedule::new(&[1.0, 1.0], &runs, &[(0, 3.0), (1, 1.0)], 2);
        for _ in 0..7 {
            s.next_run().unwrap();
        }
        let (done, _) = s.finished(0, 3.0);
        assert_eq!(done, 1);
        // Started: the four runs of point 0 (the slower), then three of point 1. Waiting:
        // one run of point 1 (1 s); under way: three of point 0 (3 s each, just started)
        // and three of point 1 (1 s each).
        let left = s.time_left().unwrap().as_secs_f64();
        let expected = (1.0 + 3.0 * 3.0 + 3.0 * 1.0) / 2.0;
        assert!((left - expected).abs() < 0.05, "{left} against {expected}");
    }

    #[test]
    fn threads_are_capped_at_the_cores_and_the_runs() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(threads(0, 1000).0, cores);
        let (jobs, note) = threads(100_000, 1000);
        assert_eq!(jobs, cores);
        assert!(note.unwrap().contains("--jobs 100000"));
        assert_eq!(threads(cores, 1), (1, None));
        assert_eq!(threads(1, 0).0, 1);
    }
}
