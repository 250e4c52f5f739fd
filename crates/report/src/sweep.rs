//! A sweep with its journal: the runs of a plan (or of a shard of it) that the output
//! directory's journal does not hold yet, each appended to it as it ends ([`crate::journal`]).
//!
//! Resuming is the default: when the output directory holds a journal whose [`Header`]
//! matches this sweep's (the same code, file name and text, data files, overrides and
//! shard), its runs are taken as done and only the others run. A journal that does not
//! match is refused, naming the difference, unless the caller discards it (`--fresh`).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::files::{OutputDir, JOURNAL};
use crate::journal::{self, Entry, Header, JournalError, JournalWriter};
use crate::results::RunRow;
use crate::run::{Finished, Plan};

/// Why a sweep could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(
        "{} is the journal of another sweep ({why}): run that sweep's command again to \
         finish it, or pass --fresh to discard it",
        path.display()
    )]
    Mismatch { path: PathBuf, why: String },
    #[error("{}: run (point {point}, replication {replication}) is not a run of this sweep", path.display())]
    Stranger {
        path: PathBuf,
        point: usize,
        replication: u32,
    },
}

/// A sweep ready to run: what its journal holds and what is left.
#[derive(Debug)]
pub struct Sweep {
    /// Runs read from the journal.
    pub done: Vec<RunRow>,
    /// (point, seconds) of those runs, for the schedule.
    pub known: Vec<(usize, f64)>,
    /// Runs left, in plan order.
    pub todo: Vec<(usize, u32)>,
    /// The journal being appended to.
    pub journal: Arc<JournalWriter>,
    /// Its path.
    pub journal_path: PathBuf,
}

impl Sweep {
    /// The sweep of `runs` of `plan` into `out`, whose journal is resumed if it matches
    /// `header` and not `fresh`, and started otherwise.
    pub fn open(
        out: &OutputDir,
        plan: &Plan,
        runs: &[(usize, u32)],
        header: &Header,
        fresh: bool,
    ) -> Result<Sweep, SweepError> {
        let path = out.path().join(JOURNAL);
        let existing = if fresh { None } else { journal::read(&path)? };
        let Some(contents) = existing else {
            return Ok(Sweep {
                done: Vec::new(),
                known: Vec::new(),
                todo: runs.to_vec(),
                journal: Arc::new(JournalWriter::create(&path, header)?),
                journal_path: path,
            });
        };
        let why = contents.header.differs_from(header).or_else(|| {
            (contents.header.shard != header.shard).then(|| {
                let show = |s: &Option<String>| s.clone().unwrap_or_else(|| "all".into());
                format!(
                    "runs of shard {}, not {}",
                    show(&contents.header.shard),
                    show(&header.shard)
                )
            })
        });
        if let Some(why) = why {
            return Err(SweepError::Mismatch { path, why });
        }
        let mut is_done = vec![false; plan.points.len() * plan.replications as usize];
        let index = |point: usize, replication: u32| {
            point * plan.replications as usize + replication as usize
        };
        let wanted: std::collections::HashSet<(usize, u32)> = runs.iter().copied().collect();
        let mut done = Vec::new();
        let mut known = Vec::new();
        for entry in &contents.entries {
            let row = entry
                .to_row(plan)
                .filter(|r| wanted.contains(&(r.point, r.replication)))
                .ok_or_else(|| SweepError::Stranger {
                    path: path.clone(),
                    point: entry.point,
                    replication: entry.replication,
                })?;
            let i = index(row.point, row.replication);
            if !is_done[i] {
                is_done[i] = true;
                known.push((row.point, entry.seconds));
                done.push(row);
            }
        }
        let todo = runs
            .iter()
            .copied()
            .filter(|&(p, r)| !is_done[index(p, r)])
            .collect();
        Ok(Sweep {
            done,
            known,
            todo,
            journal: Arc::new(JournalWriter::append(&path, contents.whole_len)?),
            journal_path: path,
        })
    }

    /// Runs what is left on `jobs` threads, journaling each run as it ends and telling
    /// `progress`; stops starting runs once `stop` is set. Returns every run of the sweep,
    /// journaled before or now, in plan order, once the journal is flushed.
    pub fn run(
        self,
        plan: &Plan,
        jobs: usize,
        stop: &AtomicBool,
        progress: &(dyn Fn(&Finished) + Sync),
    ) -> Result<Vec<RunRow>, SweepError> {
        let rows = std::sync::Mutex::new(self.done);
        let failed = std::sync::Mutex::new(None);
        plan.execute_each(&self.todo, jobs, &self.known, stop, &|finished| {
            if let Err(e) = self
                .journal
                .push(&Entry::new(&finished.row, finished.seconds))
            {
                failed.lock().expect("failed").get_or_insert(e);
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            progress(&finished);
            rows.lock().expect("rows").push(finished.row);
        });
        self.journal.close()?;
        if let Some(e) = failed.into_inner().expect("failed") {
            return Err(e.into());
        }
        let mut rows = rows.into_inner().expect("rows");
        rows.sort_by_key(|r| (r.point, r.replication));
        Ok(rows)
    }
}
