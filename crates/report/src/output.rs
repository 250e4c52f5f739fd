//! A results directory: what `synack run` and `synack merge` write and `synack plot`
//! redraws (DESIGN.md, "Results").
//!
//! [`stage_results`] writes the whole set into a stage beside the output directory
//! ([`crate::files::Stage`]): `runs.csv`, `summary.csv`, `series.csv` (when the experiment
//! records `[[series]]`), `flows.csv` (with `flows = true`), each chart's PNG and SVG (a timeseries chart reads `series.csv`
//! back, as [`redraw_charts`] reads `summary.csv` and `manifest.json`), and last
//! `manifest.json`, which lists the others; [`Staged::commit`] swaps the set in.

use std::path::{Path, PathBuf};

use synack_experiment::config::ConfigError;
use synack_experiment::config::Experiment;
use synack_experiment::Checked;

use crate::charts::{self, ChartError};
use crate::files::{write_atomic, OutputDir, Stage, WriteError};
use crate::manifest::{Manifest, ManifestError};
use crate::results::{
    flows_csv, read_summary, runs_csv, series_csv, summarize, summary_csv, PointSummary, RunRow,
    SummaryError,
};
use crate::source::Source;

/// What the manifest records about a set of runs besides their results.
#[derive(Clone, Copy, Debug)]
pub struct RunInfo<'a> {
    /// The experiment file as it was read; its text is copied.
    pub source: &'a Source,
    /// The experiment as it was checked, with its overrides.
    pub checked: &'a Checked,
    /// Runs of the plan missing from the results (0 but for a merge allowed gaps).
    pub runs_missing: usize,
}

/// What [`stage_results`] wrote, for the caller to report.
#[derive(Clone, Debug)]
pub struct Written {
    /// Each point's means and confidence intervals, as `summary.csv` has them.
    pub summary: Vec<PointSummary>,
    /// The chart files in the output directory, PNG then SVG for each chart.
    pub charts: Vec<PathBuf>,
}

/// A results set written beside its output directory, not yet in its place.
#[derive(Debug)]
pub struct Staged<'a> {
    stage: Stage<'a>,
    pub written: Written,
}

impl Staged<'_> {
    /// Puts the set in the output directory's place, replacing what was there.
    pub fn commit(self) -> Result<Written, OutputError> {
        self.stage.commit()?;
        Ok(self.written)
    }
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

/// The files of a results set besides `manifest.json`, in the order they are written.
pub fn result_files(experiment: &Experiment) -> Vec<String> {
    let mut files = vec!["runs.csv".to_string(), "summary.csv".to_string()];
    if !experiment.series.is_empty() {
        files.push("series.csv".to_string());
    }
    if experiment.flows {
        files.push("flows.csv".to_string());
    }
    for chart in &experiment.charts {
        files.push(format!("{}.png", chart.name));
        files.push(format!("{}.svg", chart.name));
    }
    files
}

/// Writes the results of `rows` (sorted by point and replication) into a new stage beside
/// `out`; [`Staged::commit`] puts them in place.
pub fn stage_results<'a>(
    out: &'a OutputDir,
    run: &RunInfo,
    rows: &[RunRow],
) -> Result<Staged<'a>, OutputError> {
    let stage = out.stage()?;
    let summary = write_set(stage.path(), run, rows)?;
    let experiment = &run.checked.experiment;
    let charts = result_files(experiment)
        .into_iter()
        .filter(|f| f.ends_with(".png") || f.ends_with(".svg"))
        .map(|f| out.path().join(f))
        .collect();
    Ok(Staged {
        stage,
        written: Written { summary, charts },
    })
}

/// Writes the set of `rows` into the directory `dir`; returns the summary.
pub fn write_set(
    dir: &Path,
    run: &RunInfo,
    rows: &[RunRow],
) -> Result<Vec<PointSummary>, OutputError> {
    let experiment = &run.checked.experiment;
    let summary = summarize(rows);
    write_atomic(&dir.join("runs.csv"), &runs_csv(rows))?;
    write_atomic(&dir.join("summary.csv"), &summary_csv(&summary))?;
    if !experiment.series.is_empty() {
        write_atomic(&dir.join("series.csv"), &series_csv(rows))?;
    }
    if experiment.flows {
        write_atomic(&dir.join("flows.csv"), &flows_csv(rows))?;
    }
    charts::draw_all(experiment, &summary, dir)?;
    let manifest = Manifest::new(
        run.source,
        run.checked,
        result_files(experiment),
        run.runs_missing,
    );
    write_atomic(&dir.join("manifest.json"), manifest.to_json()?.as_bytes())?;
    Ok(summary)
}

/// Draws the charts of the results directory `dir` again, from its `manifest.json` and
/// `summary.csv` (and `series.csv` for timeseries charts); returns the files written.
/// Refuses, writing nothing, a manifest whose experiment or overrides `synack run` would
/// refuse (naming the manifest's copy of the file), a `summary.csv` without rows, with a
/// cell that is not a finite number, or with points the manifest does not have.
pub fn redraw_charts(dir: &Path) -> Result<Vec<PathBuf>, OutputError> {
    let manifest = Manifest::read(dir)?;
    let experiment = manifest.checked_experiment(dir)?;
    let summary = read_summary(&dir.join("summary.csv"))?;
    manifest.check_summary(dir, &summary)?;
    Ok(charts::draw_all(&experiment, &summary, dir)?)
}
