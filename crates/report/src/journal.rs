//! The journal: every finished run of a sweep, kept on disk as it finishes, so that an
//! interrupted sweep resumes where it stopped and shards on many machines merge into one
//! set of results (DESIGN.md, "Results").
//!
//! `journal.jsonl` in the output directory is one JSON object a line. The first line, the
//! [`Header`], says what the runs are runs of: the code (synack's version and build), the
//! experiment file's name, text and SHA-256, the data files its charts read, the `--set`
//! overrides, and the shard. Every other line is one finished run ([`Entry`]): its point,
//! replication, the seconds it took, every metric as `runs.csv` writes it, and the
//! `series.csv` cells of what it recorded. Metrics are written with shortest round-trip
//! formatting and read back with correct rounding, so a run read from the journal is the
//! run that was simulated, bit for bit, and results written from it are the same bytes.
//!
//! Runs are appended by one writer thread ([`JournalWriter`]) that flushes each batch to
//! disk (`fdatasync`) before taking the next: a run is on disk within one flush of its end,
//! and no simulation waits for the disk. A crash can tear only the last line; [`read`]
//! ignores a last line without its newline, and the writer cuts it off before appending.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use synack_experiment::metrics::METRIC_NAMES;
use synack_experiment::Checked;

use crate::files::write_atomic;
use crate::results::{metric_cell, parse_metric_cell, RunRow, SeriesCells};
use crate::run::{Plan, Shard};
use crate::source::{sha256_hex, Source};

/// The journal format this synack writes and reads.
pub const FORMAT: u32 = 1;

/// What a journal's runs are runs of: a journal is resumed, and journals are merged, only
/// when these agree.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Header {
    /// [`FORMAT`].
    pub synack_journal: u32,
    /// The code that ran: synack's version and its build (see `synack --version`).
    pub code: String,
    /// The experiment file, as named on the command line.
    pub file: String,
    /// The SHA-256 of `source`.
    pub source_sha256: String,
    /// The `--set` overrides, as given.
    pub sets: Vec<(String, String)>,
    /// `K/N` for share K of N of the runs; absent for all of them.
    pub shard: Option<String>,
    /// Runs in the whole experiment (every point and replication).
    pub runs: usize,
    /// The SHA-256 of each data file the charts read, by path as the experiment writes it.
    pub data_files_sha256: BTreeMap<String, String>,
    /// The experiment file's text.
    pub source: String,
    /// The data files' texts.
    pub data_files: BTreeMap<String, String>,
}

impl Header {
    /// The header of the runs of `checked` (read from `source`), or of `shard`'s share.
    pub fn new(code: &str, source: &Source, checked: &Checked, shard: Option<Shard>) -> Header {
        let data_files: BTreeMap<String, String> = checked
            .experiment
            .data_files()
            .map(|(path, text)| (path.to_string(), text.to_string()))
            .collect();
        Header {
            synack_journal: FORMAT,
            code: code.to_string(),
            file: source.file.clone(),
            source_sha256: source.sha256.clone(),
            sets: checked
                .overrides
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
            shard: shard.map(|s| format!("{}/{}", s.index + 1, s.of)),
            runs: checked.runs(),
            data_files_sha256: data_files
                .iter()
                .map(|(k, v)| (k.clone(), sha256_hex(v.as_bytes())))
                .collect(),
            source: source.text.clone(),
            data_files,
        }
    }

    /// The first way `other` differs from this header in what its runs are (the shard
    /// aside), for a message: `None` when its runs are runs of the same experiment.
    pub fn differs_from(&self, other: &Header) -> Option<String> {
        if self.synack_journal != other.synack_journal {
            return Some(format!(
                "journal format {} against {}",
                other.synack_journal, self.synack_journal
            ));
        }
        if self.code != other.code {
            return Some(format!(
                "written by synack {}, this is synack {}",
                other.code, self.code
            ));
        }
        if self.file != other.file {
            return Some(format!(
                "runs of the file named {}, not {}",
                other.file, self.file
            ));
        }
        if self.source_sha256 != other.source_sha256 || self.source != other.source {
            return Some(format!(
                "runs of another text of {} (SHA-256 {}…, this one {}…)",
                self.file,
                &other.source_sha256[..other.source_sha256.len().min(12)],
                &self.source_sha256[..self.source_sha256.len().min(12)]
            ));
        }
        if self.data_files != other.data_files {
            return Some("runs with other data files for the charts".to_string());
        }
        if self.sets != other.sets {
            return Some(format!(
                "runs with other overrides ({} against {})",
                show_sets(&other.sets),
                show_sets(&self.sets)
            ));
        }
        if self.runs != other.runs {
            return Some(format!("{} runs against {}", other.runs, self.runs));
        }
        None
    }

    /// The shard, parsed back.
    pub fn shard(&self) -> Option<Shard> {
        let (k, n) = self.shard.as_deref()?.split_once('/')?;
        let (k, n): (usize, usize) = (k.parse().ok()?, n.parse().ok()?);
        (1..=n).contains(&k).then_some(Shard {
            index: k - 1,
            of: n,
        })
    }

    /// The experiment as the journal's runs ran it: its text, read under its file name
    /// with the data files recorded here, the overrides, checked.
    pub fn checked(&self) -> Result<(Source, Checked), synack_experiment::config::ConfigError> {
        use synack_experiment::config::{parse_cli_value, DataFiles, Experiment};
        let source = Source::new(self.file.clone(), self.source.clone());
        let files = DataFiles::Recorded(&self.data_files);
        let experiment = Experiment::parse_with(&source.text, &source.file, files)?;
        let sets: Vec<(String, toml::Value)> = self
            .sets
            .iter()
            .map(|(k, v)| (k.clone(), parse_cli_value(v)))
            .collect();
        let checked = synack_experiment::check(&experiment, &sets)?;
        Ok((source, checked))
    }
}

fn show_sets(sets: &[(String, String)]) -> String {
    if sets.is_empty() {
        return "none".to_string();
    }
    sets.iter()
        .map(|(k, v)| format!("--set {k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One finished run, as a journal line holds it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub point: usize,
    pub replication: u32,
    /// Wall-clock seconds the run took (for scheduling and the manifest's wall time only).
    pub seconds: f64,
    /// Every metric in `runs.csv` order, as `runs.csv` writes it.
    pub metrics: Vec<String>,
    /// `series.csv`'s cells of every recorded value, after point and replication.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<SeriesCells>,
    /// `flows.csv`'s lines of its flows, after point and replication (`flows = true`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<String>,
}

impl Entry {
    /// The journal entry of `row`, which took `seconds`.
    pub fn new(row: &RunRow, seconds: f64) -> Entry {
        Entry {
            point: row.point,
            replication: row.replication,
            seconds,
            metrics: row.metrics.iter().map(|m| metric_cell(*m)).collect(),
            series: row.series.clone(),
            flows: row.flows.clone(),
        }
    }

    /// The line appended for this entry, newline included.
    pub fn line(&self) -> Vec<u8> {
        let mut line = serde_json::to_vec(self).expect("an entry is plain data");
        line.push(b'\n');
        line
    }

    /// The run again, with its seed and parameters from `plan`; `None` when the entry
    /// cannot be a run of `plan` (no such point or replication, or other metrics).
    pub fn to_row(&self, plan: &Plan) -> Option<RunRow> {
        let point = plan.points.get(self.point)?;
        if self.replication >= plan.replications || self.metrics.len() != METRIC_NAMES.len() {
            return None;
        }
        let metrics = self
            .metrics
            .iter()
            .map(|m| parse_metric_cell(m))
            .collect::<Option<Vec<Option<f64>>>>()?;
        Some(RunRow {
            point: self.point,
            replication: self.replication,
            seed: synack_world::seeds::run_seed(plan.seed, self.point, self.replication),
            params: point.params.clone(),
            metrics,
            series: self.series.clone(),
            flows: self.flows.clone(),
        })
    }
}

/// Why a journal could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot read {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot write {}: {error}", path.display())]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}:{line}: not a synack journal line ({error})", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        error: serde_json::Error,
    },
}

/// What a journal on disk holds.
#[derive(Clone, Debug)]
pub struct Contents {
    pub header: Header,
    /// The finished runs, in the order they were appended.
    pub entries: Vec<Entry>,
    /// Bytes of whole lines: a torn last line starts here.
    pub whole_len: u64,
}

/// Reads the journal at `path`: `None` when there is none (or a crash tore its header).
pub fn read(path: &Path) -> Result<Option<Contents>, JournalError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(JournalError::Read {
                path: path.to_path_buf(),
                error,
            })
        }
    };
    let whole_len = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut lines = bytes[..whole_len].split(|&b| b == b'\n');
    let parse_error = |line, error| JournalError::Parse {
        path: path.to_path_buf(),
        line,
        error,
    };
    let header: Header = match lines.next() {
        Some(first) if whole_len > 0 => {
            serde_json::from_slice(first).map_err(|e| parse_error(1, e))?
        }
        _ => return Ok(None),
    };
    let mut entries = Vec::new();
    for (i, line) in lines.enumerate() {
        if line.is_empty() {
            continue;
        }
        entries.push(serde_json::from_slice(line).map_err(|e| parse_error(i + 2, e))?);
    }
    Ok(Some(Contents {
        header,
        entries,
        whole_len: whole_len as u64,
    }))
}

/// Appends finished runs to a journal from any thread; one thread of its own writes and
/// flushes them.
#[derive(Debug)]
pub struct JournalWriter {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
    path: PathBuf,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Lines waiting to be written.
    pending: Vec<u8>,
    /// Runs in `pending`.
    pending_runs: usize,
    /// Runs written and flushed.
    durable: usize,
    closing: bool,
    failed: Option<std::io::Error>,
}

impl JournalWriter {
    /// Starts a new journal at `path` with `header` (replacing any journal there): the
    /// header is written atomically, so a journal on disk always has one.
    pub fn create(path: &Path, header: &Header) -> Result<JournalWriter, JournalError> {
        let mut line = serde_json::to_vec(header).expect("a header is plain data");
        line.push(b'\n');
        write_atomic(path, &line).map_err(|e| match e {
            crate::files::WriteError::Write { error, .. } => JournalError::Write {
                path: path.to_path_buf(),
                error,
            },
            other => JournalError::Write {
                path: path.to_path_buf(),
                error: std::io::Error::other(other.to_string()),
            },
        })?;
        JournalWriter::append(path, line.len() as u64)
    }

    /// Appends to the journal at `path`, whose whole lines end at `whole_len` (a torn line
    /// after it is cut off).
    pub fn append(path: &Path, whole_len: u64) -> Result<JournalWriter, JournalError> {
        let error = |error| JournalError::Write {
            path: path.to_path_buf(),
            error,
        };
        let mut file = fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(error)?;
        file.set_len(whole_len).map_err(error)?;
        file.seek(std::io::SeekFrom::End(0)).map_err(error)?;
        let shared = Arc::new(Shared::default());
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || worker.write_loop(file))
            .map_err(error)?;
        Ok(JournalWriter {
            shared,
            thread: Mutex::new(Some(thread)),
            path: path.to_path_buf(),
        })
    }

    /// Queues `entry` to be written; an error when an earlier write failed.
    pub fn push(&self, entry: &Entry) -> Result<(), JournalError> {
        let line = entry.line();
        let mut state = self.shared.state.lock().expect("journal lock");
        if let Some(e) = &state.failed {
            return Err(self.write_error(e));
        }
        if state.closing {
            return Ok(());
        }
        state.pending.extend_from_slice(&line);
        state.pending_runs += 1;
        self.shared.wake.notify_all();
        Ok(())
    }

    /// Writes and flushes everything queued, stops the writer thread and returns how many
    /// runs this writer put on disk. Runs pushed afterwards are dropped. Safe to call
    /// from several threads; each waits for the flush.
    pub fn close(&self) -> Result<usize, JournalError> {
        {
            let mut state = self.shared.state.lock().expect("journal lock");
            state.closing = true;
            self.shared.wake.notify_all();
        }
        if let Some(thread) = self.thread.lock().expect("journal lock").take() {
            let _ = thread.join();
        }
        let state = self.shared.state.lock().expect("journal lock");
        match &state.failed {
            Some(e) => Err(self.write_error(e)),
            None => Ok(state.durable),
        }
    }

    fn write_error(&self, e: &std::io::Error) -> JournalError {
        JournalError::Write {
            path: self.path.clone(),
            error: std::io::Error::new(e.kind(), e.to_string()),
        }
    }
}

impl Shared {
    /// Writes whatever is queued, flushes it, and again, until closed.
    fn write_loop(&self, mut file: fs::File) {
        loop {
            let (batch, runs) = {
                let mut state = self.state.lock().expect("journal lock");
                while state.pending.is_empty() && !state.closing {
                    state = self.wake.wait(state).expect("journal lock");
                }
                if state.pending.is_empty() {
                    return;
                }
                let runs = std::mem::take(&mut state.pending_runs);
                (std::mem::take(&mut state.pending), runs)
            };
            let result = file.write_all(&batch).and_then(|()| file.sync_data());
            let mut state = self.state.lock().expect("journal lock");
            match result {
                Ok(()) => state.durable += runs,
                Err(e) => {
                    state.failed = Some(e);
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::fmt_num;

    fn entry(point: usize, metrics: &[f64]) -> Entry {
        Entry {
            point,
            replication: 0,
            seconds: 0.5,
            metrics: metrics.iter().map(|m| fmt_num(*m)).collect(),
            series: vec![[
                "0.1".into(),
                "a".into(),
                "".into(),
                "cwnd".into(),
                "1".into(),
            ]],
            flows: vec!["0,bulk,a:40000,b:80,0,0.02,,open,100,0,8000,0,0,0.02,".into()],
        }
    }

    fn header() -> Header {
        Header {
            synack_journal: FORMAT,
            code: "test".into(),
            file: "x.toml".into(),
            source_sha256: sha256_hex(b"x"),
            sets: vec![],
            shard: Some("2/3".into()),
            runs: 9,
            data_files_sha256: BTreeMap::new(),
            source: "x".into(),
            data_files: BTreeMap::new(),
        }
    }

    #[test]
    fn floats_come_back_bit_for_bit() {
        // Shortest round-trip text, read back with correct rounding.
        let values = [
            0.1,
            1.0 / 3.0,
            f64::MIN_POSITIVE,
            5e-324,
            1.7976931348623157e308,
            123_456_789.123_456_79,
            -0.0,
        ];
        for v in values {
            let back: f64 = fmt_num(v).parse().unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{v}");
        }
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_cut_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let writer = JournalWriter::create(&path, &header()).unwrap();
        writer.push(&entry(0, &[1.0, 2.5])).unwrap();
        writer.push(&entry(3, &[0.1])).unwrap();
        assert_eq!(writer.close().unwrap(), 2);
        // A crash in the middle of the next line.
        let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"point\":4,\"repl").unwrap();
        drop(file);

        let contents = read(&path).unwrap().unwrap();
        assert_eq!(contents.header, header());
        assert_eq!(contents.entries, [entry(0, &[1.0, 2.5]), entry(3, &[0.1])]);
        let writer = JournalWriter::append(&path, contents.whole_len).unwrap();
        writer.push(&entry(6, &[7.0])).unwrap();
        writer.close().unwrap();
        let contents = read(&path).unwrap().unwrap();
        assert_eq!(contents.entries.len(), 3);
        assert_eq!(contents.entries[2], entry(6, &[7.0]));
    }

    #[test]
    fn a_damaged_line_in_the_middle_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut text = serde_json::to_string(&header()).unwrap();
        text.push_str("\n{\"point\":\n");
        text.push_str(&String::from_utf8(entry(1, &[1.0]).line()).unwrap());
        fs::write(&path, text).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("journal.jsonl:2:"), "{err}");
    }

    #[test]
    fn no_journal_and_a_torn_header_are_no_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        assert!(read(&path).unwrap().is_none());
        fs::write(&path, "{\"synack_journal\":1,\"co").unwrap();
        assert!(read(&path).unwrap().is_none());
    }

    #[test]
    fn headers_name_their_first_difference() {
        let a = header();
        let mut b = header();
        assert_eq!(a.differs_from(&b), None);
        b.shard = None;
        assert_eq!(a.differs_from(&b), None, "the shard aside");
        b.sets = vec![("tcp.msl".into(), "\"10s\"".into())];
        assert!(a.differs_from(&b).unwrap().contains("--set tcp.msl"));
        b.code = "other".into();
        assert!(a.differs_from(&b).unwrap().contains("synack other"));
        assert_eq!(a.shard(), Some(Shard { index: 1, of: 3 }));
    }
}
