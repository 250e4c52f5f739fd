//! Data files: the measured points of `[[chart.reference]] csv = "…"`.
//!
//! A `csv` reference names a CSV file (comma-separated, a header row, cells trimmed of
//! surrounding spaces, UTF-8) by a path relative to the experiment file's directory. The
//! file is read when the experiment is loaded, once per path: its columns `x` and `y` and
//! those `where` names are checked against the header, the rows `where` keeps are read as
//! numbers, and the (x, y) pairs are kept in the chart's [`CsvReference`]. Every mistake
//! is reported at the key it is about in the experiment file (`csv` for a file that cannot
//! be read or parsed, `x` or `y` for a missing column or a cell that is not a number, with
//! the CSV file's line, `where` for a filter that keeps no row).
//!
//! The texts read are kept with the experiment ([`Experiment::data_files`]) so that
//! `manifest.json` records them beside the experiment's own text: a results directory's
//! charts are redrawn from what was run, even when the file has since changed or gone
//! ([`DataFiles::Recorded`]).
//!
//! Overrides cannot reach the charts (parameter paths refuse `chart`), so the points read
//! at load time hold for every sweep point and every `--set`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::chart::{CellValue, CsvReference, ReferenceKind};
use super::doc::{doc_path, Doc, DocPath, Seg};
use super::error::{suggest, ConfigError};
use super::Experiment;

/// Distinct values of a `where` column an error lists at most.
const SHOWN_VALUES: usize = 12;

/// Where the files named by `csv` references are read from.
#[derive(Clone, Copy, Debug)]
pub enum DataFiles<'a> {
    /// From disk, relative to the directory of the experiment file as it is named.
    Disk,
    /// Only these texts, by path as the experiment writes it: the files recorded in a
    /// results directory's manifest.
    Recorded(&'a BTreeMap<String, String>),
}

/// Reads every `csv` reference of `exp`'s charts into its rows, each file once, and keeps
/// the texts in `exp`.
pub(crate) fn read_references(
    exp: &mut Experiment,
    doc: &Doc<'_>,
    files: DataFiles<'_>,
) -> Result<(), ConfigError> {
    let mut texts = std::mem::take(&mut exp.data_files);
    for (i, chart) in exp.charts.iter_mut().enumerate() {
        for (j, reference) in chart.reference.iter_mut().enumerate() {
            let ReferenceKind::Csv(csv) = &mut reference.kind else {
                continue;
            };
            let at = doc_path!["chart", i, "reference", j];
            let text = match texts.get(&csv.csv) {
                Some(text) => text.clone(),
                None => {
                    let text: Arc<str> = read(doc, &at, &csv.csv, files)?.into();
                    texts.insert(csv.csv.clone(), text.clone());
                    text
                }
            };
            csv.rows = Table {
                doc,
                at,
                shown: shown_path(doc.file, &csv.csv),
            }
            .rows(&text, csv)?;
        }
    }
    exp.data_files = texts;
    Ok(())
}

/// The file `path` (as written) names, for messages: joined to the experiment's directory.
fn shown_path(experiment: &str, path: &str) -> String {
    let base = Path::new(experiment).parent().unwrap_or(Path::new(""));
    base.join(path).display().to_string()
}

/// The text of the file `path` of the reference at `at`.
fn read(
    doc: &Doc<'_>,
    at: &DocPath,
    path: &str,
    files: DataFiles<'_>,
) -> Result<String, ConfigError> {
    let mut key = at.clone();
    key.push(Seg::Key("csv".to_string()));
    let shown = shown_path(doc.file, path);
    let bytes = match files {
        DataFiles::Disk => std::fs::read(&shown)
            .map_err(|e| doc.invalid(&key, format!("cannot read \"{shown}\": {e}")))?,
        DataFiles::Recorded(texts) => match texts.get(path) {
            Some(text) => return Ok(text.clone()),
            None => {
                return Err(doc.invalid(
                    &key,
                    format!("\"{path}\" is not recorded with the experiment (in its manifest)"),
                ))
            }
        },
    };
    let mut text = String::from_utf8(bytes).map_err(|e| {
        doc.invalid(
            &key,
            format!(
                "\"{shown}\" is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    // A byte-order mark, as spreadsheets write, is not part of the first column's name.
    if let Some(rest) = text.strip_prefix('\u{feff}') {
        text = rest.to_string();
    }
    Ok(text)
}

/// One reference's view of a CSV text, for reading its rows and locating its errors.
struct Table<'d, 'a> {
    doc: &'d Doc<'a>,
    /// The reference's path in the document.
    at: DocPath,
    /// The file, as messages name it.
    shown: String,
}

impl Table<'_, '_> {
    fn err(&self, key: &[&str], message: String) -> ConfigError {
        let mut path = self.at.clone();
        path.extend(key.iter().map(|k| Seg::Key(k.to_string())));
        self.doc.invalid(&path, message)
    }

    /// The (x, y) of every row that `where` keeps, in file order.
    fn rows(&self, text: &str, r: &CsvReference) -> Result<Vec<(f64, f64)>, ConfigError> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let malformed = |e: csv::Error| {
            let message = match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    pos,
                    expected_len,
                    len,
                } => format!(
                    "{}:{}: a row of {len} cell{}, where the rows before it have {expected_len}",
                    self.shown,
                    pos.as_ref().map_or(0, csv::Position::line),
                    if *len == 1 { "" } else { "s" },
                ),
                _ => format!("{}: {e}", self.shown),
            };
            self.err(&["csv"], message)
        };
        let header = reader.headers().map_err(malformed)?.clone();
        let columns: Vec<&str> = header.iter().collect();
        let column = |key: &[&str], name: &str| {
            columns.iter().position(|c| *c == name).ok_or_else(|| {
                let mut e = self.err(
                    key,
                    format!(
                        "\"{}\" has no column \"{name}\"; its columns are: {}",
                        self.shown,
                        columns.join(", ")
                    ),
                );
                if let Some(s) = suggest(name, columns.iter().copied()) {
                    e.message.push_str(&format!("; did you mean `{s}`?"));
                    e.suggestion = Some(s.to_string());
                }
                e
            })
        };
        let x = column(&["x"], &r.x)?;
        let y = column(&["y"], &r.y)?;
        let filter: Vec<(usize, &[CellValue])> = r
            .filter
            .iter()
            .map(|(name, values)| Ok((column(&["where", name], name)?, values.as_slice())))
            .collect::<Result<_, ConfigError>>()?;
        let mut rows = Vec::new();
        let mut seen: Vec<Vec<String>> = vec![Vec::new(); filter.len()];
        for record in reader.records() {
            let record = record.map_err(malformed)?;
            let mut keep = true;
            for (k, &(c, values)) in filter.iter().enumerate() {
                let cell = &record[c];
                if seen[k].len() < SHOWN_VALUES && !seen[k].iter().any(|s| s == cell) {
                    seen[k].push(cell.to_string());
                }
                keep &= values.iter().any(|v| v.matches(cell));
            }
            if keep {
                let line = record.position().map_or(0, |p| p.line());
                rows.push((
                    self.number(&record[x], "x", &r.x, line)?,
                    self.number(&record[y], "y", &r.y, line)?,
                ));
            }
        }
        if rows.is_empty() {
            return Err(self.no_rows(r, &seen));
        }
        Ok(rows)
    }

    /// A cell as a finite number, or an error at the reference's `key` naming the line.
    fn number(&self, cell: &str, key: &str, column: &str, line: u64) -> Result<f64, ConfigError> {
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.err(
                &[key],
                format!(
                    "{}:{line}: column \"{column}\" holds \"{cell}\", not a finite number",
                    self.shown
                ),
            )),
        }
    }

    /// Why no row is left: the file has none, or a condition of `where` (the first that no
    /// row meets on its own, with the values its column has) or their combination.
    fn no_rows(&self, r: &CsvReference, seen: &[Vec<String>]) -> ConfigError {
        if r.filter.is_empty() || seen.iter().all(Vec::is_empty) {
            return self.err(&["csv"], format!("\"{}\" has no data rows", self.shown));
        }
        // A column with more distinct values than are listed is not blamed on its own.
        let alone = r.filter.iter().zip(seen).find(|((_, values), cells)| {
            cells.len() < SHOWN_VALUES
                && !cells
                    .iter()
                    .any(|cell| values.iter().any(|v| v.matches(cell)))
        });
        if let Some(((name, values), cells)) = alone {
            let wanted: Vec<String> = values.iter().map(ToString::to_string).collect();
            return self.err(
                &["where", name],
                format!(
                    "no row of \"{}\" has {name} = {}; the column holds: {}",
                    self.shown,
                    wanted.join(" or "),
                    cells.join(", ")
                ),
            );
        }
        let all: Vec<String> = r
            .filter
            .iter()
            .map(|(name, values)| {
                let wanted: Vec<String> = values.iter().map(ToString::to_string).collect();
                format!("{name} = {}", wanted.join(" or "))
            })
            .collect();
        self.err(
            &["where"],
            format!(
                "no row of \"{}\" has {} together",
                self.shown,
                all.join(" and ")
            ),
        )
    }
}
