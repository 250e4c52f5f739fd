//! A results directory: what `synack run` writes and `synack plot` redraws (DESIGN.md,
//! "Results").
//!
//! [`write_results`] writes, in this order, `runs.csv`, `summary.csv`, `series.csv` (when
//! the experiment records `[[series]]`), `manifest.json`, then each chart's PNG and SVG: a
//! timeseries chart reads `series.csv` back, as [`redraw_charts`] reads `summary.csv` and
//! `manifest.json`. Every file goes through [`write_atomic`].

use std::path::{Path, PathBuf};

use synack_experiment::config::{ConfigError, Experiment};
use synack_experiment::Checked;

use crate::charts::{self, ChartError};
use crate::files::{write_atomic, WriteError};
use crate::manifest::{Manifest, ManifestError};
use crate::results::{
    read_summary, runs_csv, series_csv, summarize, summary_csv, PointSummary, RunRecord,
    SummaryError,
};
use crate::run::Shard;

/// What the manifest records about a set of runs besides their results.
#[derive(Clone, Copy, Debug)]
pub struct RunInfo<'a> {
    /// The experiment file, as named on the command line; its text is copied.
    pub file: &'a Path,
    /// The experiment as it was checked, with its overrides.
    pub checked: &'a Checked,
    /// The share of the runs done, or `None` for all of them.
    pub shard: Option<Shard>,
    /// How long the runs took, in seconds.
    pub wall_time_s: f64,
}

/// What [`write_results`] wrote, for the caller to report.
#[derive(Clone, Debug)]
pub struct Written {
    /// Each point's means and confidence intervals, as `summary.csv` has them.
    pub summary: Vec<PointSummary>,
    /// The chart files, PNG then SVG for each chart.
    pub charts: Vec<PathBuf>,
}

/// Why a results directory could not be written or read back.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error(transparent)]
    Summary(#[from] SummaryError),
    /// The experiment kept in a manifest no longer reads (a different synack version).
    #[error(transparent)]
    Experiment(#[from] ConfigError),
}

/// Where `synack run` writes an experiment's results without `--out`: `results/<name>`.
pub fn default_dir(experiment: &Experiment) -> PathBuf {
    Path::new("results").join(&experiment.name)
}

/// Writes the results of `records` (sorted by point, as [`crate::run::Plan::execute`]
/// returns them) into `dir`, which [`crate::files::prepare_output_dir`] made ready.
pub fn write_results(
    dir: &Path,
    run: &RunInfo,
    records: &[RunRecord],
) -> Result<Written, OutputError> {
    let experiment = &run.checked.experiment;
    let summary = summarize(records);
    write_atomic(&dir.join("runs.csv"), &runs_csv(records))?;
    write_atomic(&dir.join("summary.csv"), &summary_csv(&summary))?;
    if !experiment.series.is_empty() {
        let hosts: Vec<String> = experiment.hosts.iter().map(|h| h.name.clone()).collect();
        write_atomic(&dir.join("series.csv"), &series_csv(records, &hosts))?;
    }
    let manifest = Manifest::new(run.file, run.checked, run.shard, run.wall_time_s)?;
    write_atomic(&dir.join("manifest.json"), manifest.to_json()?.as_bytes())?;
    let charts = charts::draw_all(experiment, &summary, dir)?;
    Ok(Written { summary, charts })
}

/// Draws the charts of the results directory `dir` again, from its `manifest.json` and
/// `summary.csv` (and `series.csv` for timeseries charts); returns the files written.
pub fn redraw_charts(dir: &Path) -> Result<Vec<PathBuf>, OutputError> {
    let experiment = Manifest::read(dir)?.experiment()?;
    let summary = read_summary(&dir.join("summary.csv"))?;
    Ok(charts::draw_all(&experiment, &summary, dir)?)
}
