//! The tables of results: `runs.csv`, `series.csv` and `summary.csv` (DESIGN.md,
//! "Results"), as bytes; [`crate::output`] writes them. `summary.csv` is read back too, to
//! redraw charts.
//!
//! Numbers are written with Rust's shortest round-trip formatting, which is deterministic:
//! the same runs give byte-identical files.

use std::path::{Path, PathBuf};

use synack_experiment::config::parse_cli_value;
use synack_experiment::metrics::{Metrics, METRIC_NAMES};
use synack_experiment::spec::SeriesMetric;
use synack_world::stats::{ci95_half_width, mean};
use synack_world::{FlowRow, SeriesRow};

/// One finished run, as the world returned it.
#[derive(Clone, Debug)]
pub struct RunRecord {
    pub point: usize,
    pub replication: u32,
    pub seed: u64,
    /// The swept parameters of this run's point, in `[sweep]` order.
    pub params: Vec<(String, toml::Value)>,
    pub metrics: Metrics,
    /// What the `[[series]]` recorded (empty without any).
    pub series: Vec<SeriesRow>,
    /// A row per flow (empty without `flows = true`).
    pub flows: Vec<FlowRow>,
}

/// `series.csv`'s cells of one recorded value after `point` and `replication`:
/// `t_s, host, conn, metric, value`.
pub type SeriesCells = [String; 5];

/// One finished run as the tables hold it: what `runs.csv` and `series.csv` write of it,
/// and what the journal keeps ([`crate::journal`]). Its metrics are the floats `runs.csv`
/// prints with shortest round-trip formatting, so a row read back from its text is the same
/// row, and the tables written from it the same bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    pub point: usize,
    pub replication: u32,
    pub seed: u64,
    /// The swept parameters of this run's point, in `[sweep]` order.
    pub params: Vec<(String, toml::Value)>,
    /// Every metric, in [`METRIC_NAMES`] order.
    pub metrics: Vec<f64>,
    /// What the `[[series]]` recorded, in order (empty without any).
    pub series: Vec<SeriesCells>,
    /// `flows.csv`'s lines of the run's flows, in flow order, each without `point` and
    /// `replication` (and without its newline): one string a row keeps a row's memory
    /// small (empty without `flows = true`).
    pub flows: Vec<String>,
}

impl RunRecord {
    /// The run as the tables hold it; `hosts` and `workloads` are the experiment's host
    /// and workload names, by index.
    pub fn to_row(&self, hosts: &[String], workloads: &[String]) -> RunRow {
        RunRow {
            point: self.point,
            replication: self.replication,
            seed: self.seed,
            params: self.params.clone(),
            metrics: self.metrics.values(),
            series: self
                .series
                .iter()
                .map(|row| {
                    [
                        fmt_num(row.t.as_secs_f64()),
                        hosts.get(row.host.0 as usize).cloned().unwrap_or_default(),
                        row.conn.map(|c| c.to_string()).unwrap_or_default(),
                        row.metric_name(),
                        series_cell(row),
                    ]
                })
                .collect(),
            flows: self
                .flows
                .iter()
                .map(|f| csv_line(&f.cells(hosts, workloads, fmt_num)))
                .collect(),
        }
    }
}

/// One CSV record, quoted as the `csv` crate quotes, without its line end.
fn csv_line(cells: &[String]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(cells).expect("writing to memory");
    let mut bytes = w.into_inner().expect("writing to memory");
    bytes.pop();
    String::from_utf8(bytes).expect("cells are text")
}

/// A swept value as a CSV cell: numbers and booleans as TOML writes them, strings bare.
pub fn value_cell(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Float(f) => fmt_num(*f),
        other => other.to_string(),
    }
}

/// Shortest round-trip formatting; integral values without a fraction.
pub fn fmt_num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        // Unreachable for well-formed metrics; keep the file parseable anyway.
        "nan".to_string()
    }
}

fn csv_bytes(header: Vec<String>, rows: Vec<Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("writing to memory");
    for row in rows {
        w.write_record(&row).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// The swept paths of the runs (all runs share them).
fn param_names(runs: &[RunRow]) -> Vec<String> {
    runs.first()
        .map(|r| r.params.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default()
}

/// `runs.csv`: one row per (point, replication).
pub fn runs_csv(runs: &[RunRow]) -> Vec<u8> {
    let mut header: Vec<String> = vec!["point".into(), "replication".into(), "seed".into()];
    header.extend(param_names(runs));
    header.extend(METRIC_NAMES.iter().map(|m| m.to_string()));
    let rows = runs
        .iter()
        .map(|r| {
            let mut row = vec![
                r.point.to_string(),
                r.replication.to_string(),
                r.seed.to_string(),
            ];
            row.extend(r.params.iter().map(|(_, v)| value_cell(v)));
            row.extend(r.metrics.iter().map(|m| fmt_num(*m)));
            row
        })
        .collect();
    csv_bytes(header, rows)
}

/// `series.csv`: `point, replication, t_s, host, conn, metric, value`, a row per recorded
/// value, runs in order; `conn` is empty for per-host rows.
pub fn series_csv(runs: &[RunRow]) -> Vec<u8> {
    let header = [
        "point",
        "replication",
        "t_s",
        "host",
        "conn",
        "metric",
        "value",
    ]
    .map(String::from)
    .to_vec();
    let rows = runs
        .iter()
        .flat_map(|r| {
            r.series.iter().map(move |cells| {
                let mut row = vec![r.point.to_string(), r.replication.to_string()];
                row.extend(cells.iter().cloned());
                row
            })
        })
        .collect();
    csv_bytes(header, rows)
}

/// `flows.csv`: `point, replication`, then [`synack_world::flows::FLOW_COLUMNS`]: a row
/// per flow, runs in order, flows in the order they began.
pub fn flows_csv(runs: &[RunRow]) -> Vec<u8> {
    let mut header = vec!["point".to_string(), "replication".to_string()];
    header.extend(
        synack_world::flows::FLOW_COLUMNS
            .iter()
            .map(|c| c.to_string()),
    );
    let mut out = csv_line(&header).into_bytes();
    out.push(b'\n');
    for r in runs {
        let prefix = format!("{},{},", r.point, r.replication);
        for line in &r.flows {
            out.extend_from_slice(prefix.as_bytes());
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
    }
    out
}

/// Mean and 95 % CI half-width of every metric at one sweep point.
#[derive(Clone, Debug)]
pub struct PointSummary {
    pub point: usize,
    pub params: Vec<(String, toml::Value)>,
    pub replications: usize,
    /// In [`METRIC_NAMES`] order: (mean, ci95 half-width).
    pub metrics: Vec<(f64, f64)>,
}

impl PointSummary {
    pub fn metric(&self, name: &str) -> Option<(f64, f64)> {
        METRIC_NAMES
            .iter()
            .position(|m| *m == name)
            .map(|i| self.metrics[i])
    }
}

/// Groups runs by point (runs must be sorted by point) and summarises each.
pub fn summarize(runs: &[RunRow]) -> Vec<PointSummary> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < runs.len() {
        let point = runs[start].point;
        let end = start + runs[start..].partition_point(|r| r.point == point);
        let group = &runs[start..end];
        let columns: Vec<&Vec<f64>> = group.iter().map(|r| &r.metrics).collect();
        let metrics = (0..METRIC_NAMES.len())
            .map(|i| {
                let values: Vec<f64> = columns.iter().map(|c| c[i]).collect();
                (mean(&values), ci95_half_width(&values))
            })
            .collect();
        out.push(PointSummary {
            point,
            params: group[0].params.clone(),
            replications: group.len(),
            metrics,
        });
        start = end;
    }
    out
}

/// `summary.csv`: one row per point: swept paths, then `<metric>_mean`, `<metric>_ci95`.
pub fn summary_csv(summary: &[PointSummary]) -> Vec<u8> {
    let mut header: Vec<String> = vec!["point".into(), "replications".into()];
    header.extend(
        summary
            .first()
            .map(|s| s.params.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    for m in METRIC_NAMES {
        header.push(format!("{m}_mean"));
        header.push(format!("{m}_ci95"));
    }
    let rows = summary
        .iter()
        .map(|s| {
            let mut row = vec![s.point.to_string(), s.replications.to_string()];
            row.extend(s.params.iter().map(|(_, v)| value_cell(v)));
            for (m, ci) in &s.metrics {
                row.push(fmt_num(*m));
                row.push(fmt_num(*ci));
            }
            row
        })
        .collect();
    csv_bytes(header, rows)
}

/// Why `summary.csv` could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error("reading {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("{}: no `{column}` column; not a synack summary", path.display())]
    NoMetrics { path: PathBuf, column: String },
    #[error(
        "{}: expected point, replications, the swept parameters and {columns} metric columns",
        path.display()
    )]
    Columns { path: PathBuf, columns: usize },
    #[error("{}: row {row}: `{cell}` is not a number", path.display())]
    NotANumber {
        path: PathBuf,
        row: usize,
        cell: String,
        #[source]
        source: std::num::ParseFloatError,
    },
}

/// Reads a `summary.csv` back: the columns between `replications` and the first metric
/// column are the swept parameters.
pub fn read_summary(path: &Path) -> Result<Vec<PointSummary>, SummaryError> {
    let read = |source| SummaryError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = csv::Reader::from_path(path).map_err(read)?;
    let header: Vec<String> = reader
        .headers()
        .map_err(read)?
        .iter()
        .map(str::to_string)
        .collect();
    let params_end = params_end(&header, path)?;
    let mut out = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(read)?;
        let num = |i: usize| -> Result<f64, SummaryError> {
            record[i]
                .parse::<f64>()
                .map_err(|source| SummaryError::NotANumber {
                    path: path.to_path_buf(),
                    row: line + 2,
                    cell: record[i].to_string(),
                    source,
                })
        };
        out.push(PointSummary {
            point: num(0)? as usize,
            replications: num(1)? as usize,
            params: (2..params_end)
                .map(|i| (header[i].clone(), parse_cli_value(&record[i])))
                .collect(),
            metrics: (0..METRIC_NAMES.len())
                .map(|m| Ok((num(params_end + 2 * m)?, num(params_end + 2 * m + 1)?)))
                .collect::<Result<_, SummaryError>>()?,
        });
    }
    Ok(out)
}

/// Where the swept parameters of a `summary.csv` header end: at the first metric column.
fn params_end(header: &[String], path: &Path) -> Result<usize, SummaryError> {
    let first_metric = format!("{}_mean", METRIC_NAMES[0]);
    let end = header
        .iter()
        .position(|h| *h == first_metric)
        .ok_or_else(|| SummaryError::NoMetrics {
            path: path.to_path_buf(),
            column: first_metric,
        })?;
    if header.len() != end + 2 * METRIC_NAMES.len() || end < 2 {
        return Err(SummaryError::Columns {
            path: path.to_path_buf(),
            columns: 2 * METRIC_NAMES.len(),
        });
    }
    Ok(end)
}

/// A series row's value as `series.csv` writes it: a state's name for `state` rows.
pub fn series_cell(row: &SeriesRow) -> String {
    match (row.metric, row.state) {
        (SeriesMetric::State, Some(s)) => s.to_string(),
        _ => fmt_num(row.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(point: usize, replication: u32, events: u64) -> RunRow {
        RunRecord {
            point,
            replication,
            seed: 42,
            params: vec![("link.wan.loss".into(), toml::Value::Float(0.01))],
            metrics: Metrics {
                events,
                ..Metrics::default()
            },
            series: Vec::new(),
            flows: Vec::new(),
        }
        .to_row(&[], &[])
    }

    #[test]
    fn runs_csv_has_the_design_columns() {
        let text = String::from_utf8(runs_csv(&[record(0, 0, 10), record(0, 1, 12)])).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        assert!(header.starts_with("point,replication,seed,link.wan.loss,conn_attempted,"));
        assert!(header.ends_with(",probe_reordered,probe_duplicated,events"));
        assert!(header.contains(",probe_received,probe_loss,"));
        assert!(lines.next().unwrap().starts_with("0,0,42,0.01,0,"));
    }

    #[test]
    fn summary_averages_each_point() {
        let runs = [record(0, 0, 10), record(0, 1, 12), record(1, 0, 5)];
        let s = summarize(&runs);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].replications, 2);
        assert_eq!(s[0].metric("events").unwrap().0, 11.0);
        assert!(s[0].metric("events").unwrap().1 > 0.0);
        assert_eq!(s[1].metric("events").unwrap(), (5.0, 0.0));
        let text = String::from_utf8(summary_csv(&s)).unwrap();
        assert!(text.starts_with(
            "point,replications,link.wan.loss,conn_attempted_mean,conn_attempted_ci95,"
        ));
    }
}
