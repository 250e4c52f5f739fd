//! `manifest.json`: what was run, so that results can be traced back and their charts
//! redrawn (DESIGN.md, "Results").
//!
//! It holds the experiment file's text as it was run (read once, before the runs:
//! [`crate::source`]) with its SHA-256, the texts of the data files its charts read
//! (`[[chart.reference]] csv`) and the `--set` overrides as given:
//! [`Manifest::experiment`] reads them again exactly as `synack run` did, without the files
//! (which may have changed or gone since). `files` names every other file of the results
//! directory: the set synack wrote, which the next run into the directory replaces whole
//! ([`crate::files`]). The resolved experiment, the seeds of every run and the wall time are
//! there for a reader only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use synack_experiment::config::{parse_cli_value, ConfigError, DataFiles, Experiment};
use synack_experiment::Checked;
use synack_world::seeds::run_seed;

use crate::source::Source;

/// The contents of `manifest.json`; the fields are written in this order.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub synack_version: String,
    /// The experiment file, as it was named on the command line.
    pub file: String,
    /// The experiment file's text as it was run.
    pub source: String,
    /// The SHA-256 of `source`, lower-case hex (absent from manifests of synack before 0.1
    /// had it).
    #[serde(default)]
    pub source_sha256: String,
    /// The data files the charts read, as they were read: each path as the experiment
    /// writes it, with its text. Absent when there are none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data_files: BTreeMap<String, String>,
    /// `--set` overrides, as given.
    pub sets: Vec<(String, String)>,
    pub seed: u64,
    pub replications: u32,
    /// Runs of the plan that are not in these results: 0 except for a merge told to
    /// accept gaps (`synack merge --allow-gaps`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub runs_missing: usize,
    pub points: Vec<ManifestPoint>,
    /// The other files of the results directory, in the order they were written. Empty in
    /// manifests of synack versions that did not record it.
    #[serde(default)]
    pub files: Vec<String>,
    /// The experiment with every default resolved, for reading; `source` is what reruns it.
    pub resolved: serde_json::Value,
}

/// One sweep point: its swept values and the seed of each replication.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ManifestPoint {
    pub point: usize,
    pub params: serde_json::Map<String, serde_json::Value>,
    pub seeds: Vec<u64>,
}

/// Why a manifest could not be made or read back.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("reading {} (is {} a results directory?)", path.display(), dir.display())]
    Read {
        path: PathBuf,
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a synack manifest", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot encode the manifest")]
    Encode(#[source] serde_json::Error),
    /// The results do not agree with the manifest (edited, or from another run).
    #[error("{}: {message}; run the experiment again", path.display())]
    Inconsistent { path: PathBuf, message: String },
}

impl Manifest {
    /// The manifest of `checked`, read from `source`, whose results are `files` (less
    /// `runs_missing` runs). It holds nothing of how or when the runs ran (no wall time), so
    /// that a rerun, a resumed run and a merge of shards write the same bytes.
    pub fn new(
        source: &Source,
        checked: &Checked,
        files: Vec<String>,
        runs_missing: usize,
    ) -> Manifest {
        let points = checked
            .points
            .iter()
            .map(|p| ManifestPoint {
                point: p.index,
                params: p
                    .params
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
                    .collect(),
                seeds: (0..checked.replications)
                    .map(|r| run_seed(checked.seed, p.index, r))
                    .collect(),
            })
            .collect();
        Manifest {
            synack_version: env!("CARGO_PKG_VERSION").to_string(),
            file: source.file.clone(),
            source: source.text.clone(),
            source_sha256: source.sha256.clone(),
            data_files: checked
                .experiment
                .data_files()
                .map(|(path, text)| (path.to_string(), text.to_string()))
                .collect(),
            sets: checked
                .overrides
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
            seed: checked.seed,
            replications: checked.replications,
            runs_missing,
            points,
            files,
            resolved: checked.experiment.to_json(),
        }
    }

    /// The text of `manifest.json`: pretty JSON and a final newline.
    pub fn to_json(&self) -> Result<String, ManifestError> {
        Ok(serde_json::to_string_pretty(self).map_err(ManifestError::Encode)? + "\n")
    }

    /// Reads `dir/manifest.json`.
    pub fn read(dir: &Path) -> Result<Manifest, ManifestError> {
        let path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).map_err(|source| ManifestError::Read {
            path: path.clone(),
            dir: dir.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| ManifestError::Parse { path, source })
    }

    /// The source this manifest was run from.
    pub fn source(&self) -> Source {
        Source::new(self.file.clone(), self.source.clone())
    }

    /// The `--set` overrides, parsed as the command line parses them.
    pub fn sets(&self) -> Vec<(String, toml::Value)> {
        self.sets
            .iter()
            .map(|(k, v)| (k.clone(), parse_cli_value(v)))
            .collect()
    }

    /// The experiment as it was run: its text, read under its file name with the data files
    /// recorded here, with the overrides.
    pub fn experiment(&self) -> Result<Experiment, ConfigError> {
        let files = DataFiles::Recorded(&self.data_files);
        Experiment::parse_with(&self.source, &self.file, files)?.with_overrides(&self.sets())
    }

    /// The experiment kept in the manifest of the results directory `dir`, checked with its
    /// overrides as `synack run` checks them (an override of a swept path, or one that
    /// breaks the file, is refused). Errors name the copy they are in, `source` in
    /// `dir/manifest.json`, not the original file, which may have changed since.
    pub fn checked_experiment(&self, dir: &Path) -> Result<Experiment, ConfigError> {
        let copy = format!(
            "{} (`source`, the copy of {})",
            dir.join("manifest.json").display(),
            self.file
        );
        let files = DataFiles::Recorded(&self.data_files);
        let experiment = Experiment::parse_with(&self.source, &copy, files)?;
        Ok(synack_experiment::check(&experiment, &self.sets())?.experiment)
    }

    /// Whether `summary` (the rows of `dir/summary.csv`) can be results of this manifest:
    /// each row a point of it, in order, with its swept values and at most `replications`
    /// runs.
    pub fn check_summary(
        &self,
        dir: &Path,
        summary: &[crate::results::PointSummary],
    ) -> Result<(), ManifestError> {
        let inconsistent = |message: String| ManifestError::Inconsistent {
            path: dir.join("summary.csv"),
            message,
        };
        let mut previous = None;
        for s in summary {
            let Some(point) = self.points.get(s.point) else {
                return Err(inconsistent(format!(
                    "point {} is not in manifest.json, which has {} point(s)",
                    s.point,
                    self.points.len()
                )));
            };
            if previous.is_some_and(|p| p >= s.point) {
                return Err(inconsistent(format!("point {} is out of order", s.point)));
            }
            previous = Some(s.point);
            let same = s.params.len() == point.params.len()
                && s.params.iter().all(|(path, value)| {
                    point.params.get(path).is_some_and(|v| {
                        serde_json::from_value::<toml::Value>(v.clone()).is_ok_and(|v| {
                            synack_experiment::points::same_value(&v, value)
                                || crate::results::value_cell(&v)
                                    == crate::results::value_cell(value)
                        })
                    })
                });
            if !same {
                return Err(inconsistent(format!(
                    "the swept values of point {} are not those of manifest.json",
                    s.point
                )));
            }
            if s.replications > self.replications as usize || s.replications == 0 {
                return Err(inconsistent(format!(
                    "point {} has {} replication(s); manifest.json has {}",
                    s.point, s.replications, self.replications
                )));
            }
        }
        Ok(())
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}
