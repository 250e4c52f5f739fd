//! Merging shards: the journals of `synack run --shard K/N` (run on one machine or many)
//! made into one results set, byte for byte the set one `synack run` of the whole
//! experiment writes.
//!
//! The journals must be runs of the same experiment: the same code, file name and text,
//! data files and overrides ([`Header::differs_from`]); shards of different N may be
//! mixed. Every run of the plan must be in exactly one journal: a run in two is an
//! overlap, refused unless allowed (and then the copies must agree, as a deterministic run
//! does), and a run in none is a gap, refused unless allowed (the manifest then counts the
//! missing runs). A shard with no runs (more shards than runs) is merged like any other.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use synack_experiment::config::ConfigError;
use synack_experiment::Checked;

use crate::files::JOURNAL;
use crate::journal::{self, JournalError};
use crate::results::RunRow;
use crate::run::Plan;
use crate::source::Source;

/// What a merge may accept.
#[derive(Clone, Copy, Debug, Default)]
pub struct MergeOptions {
    /// Write results even when some runs are in no journal.
    pub allow_gaps: bool,
    /// Accept a run found in several journals (identical in each).
    pub allow_overlaps: bool,
}

/// The runs of the shards, ready to be written as one set.
#[derive(Debug)]
pub struct Merged {
    pub source: Source,
    pub checked: Checked,
    /// Every run found, in plan order.
    pub rows: Vec<RunRow>,
    /// Runs of the plan in no journal.
    pub missing: usize,
    /// The runs' wall-clock seconds, summed.
    pub seconds: f64,
}

/// Why shards could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{}: no {JOURNAL}; is it the --out of a `synack run --shard`?", dir.display())]
    NoJournal { dir: PathBuf },
    #[error("{} is given twice", dir.display())]
    Twice { dir: PathBuf },
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("{} and {} are runs of different sweeps: {why}", first.display(), other.display())]
    Different {
        first: PathBuf,
        other: PathBuf,
        why: String,
    },
    #[error("the experiment recorded in the journals no longer checks")]
    Experiment(#[source] ConfigError),
    #[error("{}: run (point {point}, replication {replication}) is not a run of the experiment", dir.display())]
    Stranger {
        dir: PathBuf,
        point: usize,
        replication: u32,
    },
    #[error(
        "run (point {point}, replication {replication}) is in both {} and {}{}",
        first.display(),
        second.display(),
        if *identical { " (overlapping shards; --allow-overlaps takes one copy)" } else { ", with different results" }
    )]
    Overlap {
        point: usize,
        replication: u32,
        first: PathBuf,
        second: PathBuf,
        identical: bool,
    },
    #[error("{missing} of {total} runs are in no journal: {detail} (--allow-gaps writes results without them)")]
    Gaps {
        missing: usize,
        total: usize,
        detail: String,
    },
}

/// Reads the journals of `dirs` and checks that together they are the runs of one sweep.
pub fn merge(dirs: &[PathBuf], options: MergeOptions) -> Result<Merged, MergeError> {
    let mut journals = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for dir in dirs {
        if !seen.insert(dir.canonicalize().unwrap_or_else(|_| dir.clone())) {
            return Err(MergeError::Twice { dir: dir.clone() });
        }
        let contents = journal::read(&dir.join(JOURNAL))?
            .ok_or_else(|| MergeError::NoJournal { dir: dir.clone() })?;
        if let Some((first, header)) = journals
            .first()
            .map(|(d, c): &(PathBuf, journal::Contents)| (d, &c.header))
        {
            if let Some(why) = header.differs_from(&contents.header) {
                return Err(MergeError::Different {
                    first: first.clone(),
                    other: dir.clone(),
                    why,
                });
            }
        }
        journals.push((dir.clone(), contents));
    }
    let Some((_, first)) = journals.first() else {
        return Err(MergeError::NoJournal {
            dir: PathBuf::from("(no directory given)"),
        });
    };
    let (source, checked) = first.header.checked().map_err(MergeError::Experiment)?;
    let plan = Plan::new(&checked);

    let mut found: BTreeMap<(usize, u32), (RunRow, &Path)> = BTreeMap::new();
    let mut seconds = 0.0;
    for (dir, contents) in &journals {
        for entry in &contents.entries {
            let row = entry.to_row(&plan).ok_or_else(|| MergeError::Stranger {
                dir: dir.clone(),
                point: entry.point,
                replication: entry.replication,
            })?;
            let key = (row.point, row.replication);
            if let Some((earlier, earlier_dir)) = found.get(&key) {
                let identical = *earlier == row;
                if earlier_dir != dir || !identical {
                    if options.allow_overlaps && identical {
                        continue;
                    }
                    return Err(MergeError::Overlap {
                        point: key.0,
                        replication: key.1,
                        first: earlier_dir.to_path_buf(),
                        second: dir.clone(),
                        identical,
                    });
                }
                continue;
            }
            seconds += entry.seconds;
            found.insert(key, (row, dir));
        }
    }
    let all = plan.runs(None);
    let missing: Vec<(usize, u32)> = all
        .iter()
        .copied()
        .filter(|k| !found.contains_key(k))
        .collect();
    if !missing.is_empty() && !options.allow_gaps {
        return Err(MergeError::Gaps {
            missing: missing.len(),
            total: all.len(),
            detail: gap_detail(&all, &missing, &journals),
        });
    }
    Ok(Merged {
        source,
        checked,
        rows: found.into_values().map(|(row, _)| row).collect(),
        missing: missing.len(),
        seconds,
    })
}

/// Which shards the missing runs belong to: a shard given but unfinished, or one not
/// given at all; else the first missing runs.
fn gap_detail(
    all: &[(usize, u32)],
    missing: &[(usize, u32)],
    journals: &[(PathBuf, journal::Contents)],
) -> String {
    let shards: Vec<(&PathBuf, Option<crate::run::Shard>)> = journals
        .iter()
        .map(|(d, c)| (d, c.header.shard()))
        .collect();
    let of = shards.iter().filter_map(|(_, s)| s.map(|s| s.of)).next();
    let mut parts = Vec::new();
    if let Some(n) = of.filter(|n| shards.iter().all(|(_, s)| s.is_some_and(|s| s.of == *n))) {
        let position: BTreeMap<(usize, u32), usize> =
            all.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let mut per_shard = vec![0usize; n];
        for k in missing {
            per_shard[position[k] % n] += 1;
        }
        for (index, count) in per_shard.iter().enumerate().filter(|(_, c)| **c > 0) {
            let total = (0..all.len()).filter(|i| i % n == index).count();
            match shards
                .iter()
                .find(|(_, s)| s.is_some_and(|s| s.index == index))
            {
                Some((dir, _)) => parts.push(format!(
                    "shard {}/{n} in {} has {} of its {total} runs (resume it with the same \
                     `synack run … --shard {}/{n} --out {}`)",
                    index + 1,
                    dir.display(),
                    total - count,
                    index + 1,
                    dir.display()
                )),
                None => parts.push(format!(
                    "shard {}/{n} is not among the directories",
                    index + 1
                )),
            }
        }
    }
    if parts.is_empty() {
        let shown: Vec<String> = missing
            .iter()
            .take(5)
            .map(|(p, r)| format!("(point {p}, replication {r})"))
            .collect();
        parts.push(format!(
            "{}{}",
            shown.join(", "),
            if missing.len() > 5 { ", …" } else { "" }
        ));
    }
    parts.join("; ")
}
