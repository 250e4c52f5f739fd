//! The one checker: from a parsed experiment and the caller's overrides to the resolved,
//! checked world of every sweep point.
//!
//! [`Experiment::parse`](crate::config::Experiment::parse) already checks the file on its
//! own: every key, type, unit and range, the names, TCP settings, link parameters (as
//! `synack_link` checks them), a route under every workload and scripted segment,
//! listeners, the charts, each sweep value, and each sweep point of small sweeps. [`check`]
//! adds what depends on the whole run: it refuses an override of a swept path, applies the
//! overrides, checks that the charts show every swept path, and applies and checks every
//! sweep point, however many there are. What it returns builds a world that cannot fail on
//! a user's mistake: `World::new` has no error to return.
//!
//! Every error names the file, line and column: of the key it is about; for an error found
//! only with overrides applied, of the key the error is about in the file as written; for
//! one found only at a sweep point, of the value in `[sweep]` (or of the first swept path,
//! naming every value of the point, when it takes several values together).

use crate::build::build_world;
use crate::config::{ConfigError, Experiment};
use crate::spec::WorldSpec;

/// One sweep point, resolved and checked.
#[derive(Clone, Debug)]
pub struct Point {
    /// Its index, from 0, in the order of [`Experiment::sweep_points`].
    pub index: usize,
    /// The swept paths and this point's values, in `[sweep]` order; empty without a sweep.
    pub params: Vec<(String, toml::Value)>,
    /// The world of every run at this point.
    pub world: WorldSpec,
}

/// An experiment with its overrides applied and every sweep point resolved: everything a
/// run needs, checked.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The experiment with the overrides applied (the sweep not applied): its name,
    /// charts, series and resolved settings, for results and manifests.
    pub experiment: Experiment,
    /// The overrides, as given.
    pub overrides: Vec<(String, toml::Value)>,
    /// Every sweep point, in order (one point, with no values, without a sweep); shared
    /// with the runner's plan, not copied.
    pub points: std::sync::Arc<[Point]>,
    /// Independent runs per point.
    pub replications: u32,
    /// The experiment's seed, from which every run's seed is derived.
    pub seed: u64,
}

impl Checked {
    /// How many runs the whole experiment makes: points × replications.
    pub fn runs(&self) -> usize {
        self.points.len() * self.replications as usize
    }

    /// The segments the runs will send, estimated from each point's world
    /// ([`crate::estimate`]): the most of one run, and of all runs together.
    pub fn estimate(&self) -> Estimate {
        let mut estimate = Estimate::default();
        for p in self.points.iter() {
            estimate.add(p, self.replications);
        }
        estimate
    }
}

/// The segments an experiment's runs will send, estimated before they run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Estimate {
    /// In the largest run.
    pub most_in_a_run: f64,
    /// In all runs together.
    pub in_all: f64,
}

impl Estimate {
    /// Counts the `replications` runs of `point` in.
    pub fn add(&mut self, point: &Point, replications: u32) {
        let segments = crate::estimate::segments(&point.world);
        self.most_in_a_run = self.most_in_a_run.max(segments);
        self.in_all += segments * f64::from(replications);
    }
}

/// Checks `experiment` with `overrides` (`PATH = VALUE`, as the CLI's `--set` gives them)
/// applied, and resolves the world of every sweep point. See the module documentation for
/// what is checked.
pub fn check(
    experiment: &Experiment,
    overrides: &[(String, toml::Value)],
) -> Result<Checked, ConfigError> {
    let mut points = Vec::new();
    let experiment = check_each(experiment, overrides, |p| points.push(p))?;
    Ok(Checked {
        replications: experiment.replications,
        seed: experiment.seed,
        overrides: overrides.to_vec(),
        points: points.into(),
        experiment,
    })
}

/// [`check`], handing each sweep point to `each` as it is checked instead of keeping them
/// all: what `synack check` uses, so that it holds one point's world at a time, however
/// many points there are. Returns the experiment with the overrides applied.
pub fn check_each(
    experiment: &Experiment,
    overrides: &[(String, toml::Value)],
    mut each: impl FnMut(Point),
) -> Result<Experiment, ConfigError> {
    experiment.refuse_swept(overrides)?;
    let experiment = if overrides.is_empty() {
        experiment.clone()
    } else {
        experiment.with_overrides(overrides)?
    };
    experiment.check_charts_cover_sweep()?;
    // With flows.csv, every point's connections count towards its row limit.
    let mut connections = 0.0;
    for (index, params) in experiment.sweep_points().into_iter().enumerate() {
        let at_point = experiment.at_point(&params)?;
        let world = build_world(&at_point);
        if experiment.flows {
            connections += crate::estimate::connections(&world);
        }
        each(Point {
            index,
            world,
            params,
        });
    }
    if experiment.flows {
        experiment.refuse_flow_rows(connections * f64::from(experiment.replications))?;
    }
    Ok(experiment)
}
