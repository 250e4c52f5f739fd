//! The tables of results: `runs.csv`, `series.csv` and `summary.csv` (DESIGN.md,
//! "Results"), as bytes; [`crate::output`] writes them. `summary.csv` is read back too, to
//! redraw charts.
//!
//! Numbers are written with Rust's shortest round-trip formatting, which is deterministic:
//! the same runs give byte-identical files.

use std::path::{Path, PathBuf};

use synack_experiment::config::parse_cli_value;
use synack_experiment::metrics::{Metrics, METRIC_MAY_BE_EMPTY, METRIC_NAMES};
use synack_experiment::points::{axis_companion, value_quantity};
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
    /// Every metric, in [`METRIC_NAMES`] order; `None` where it does not apply (an empty
    /// cell).
    pub metrics: Vec<Option<f64>>,
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

/// A metric's cell: [`fmt_num`], or empty where it does not apply.
pub fn metric_cell(x: Option<f64>) -> String {
    x.map(fmt_num).unwrap_or_default()
}

/// A metric's cell read back: empty is `None`; `None` for a cell that is not a number.
pub fn parse_metric_cell(cell: &str) -> Option<Option<f64>> {
    if cell.is_empty() {
        Some(None)
    } else {
        cell.parse::<f64>().ok().map(Some)
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

/// A CSV file's bytes: the rows are made one at a time as they are written, so a table
/// is held once, as text, never also as a table of cells.
fn csv_bytes(header: Vec<String>, rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("writing to memory");
    for row in rows {
        w.write_record(&row).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// The swept paths of a table's rows (all rows share them), each with the suffix of its
/// numeric companion column when every value of the path is a quantity of one kind
/// ([`axis_companion`]): `link.ab.delay` swept over `"500ms"` and `"1s"` gets a
/// `link.ab.delay_s` column of seconds, sizes `_bytes`, rates `_bps`.
fn swept_columns(rows: &[&[(String, toml::Value)]]) -> Vec<(String, Option<&'static str>)> {
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    (first.iter().enumerate())
        .map(|(i, (path, _))| {
            let values: Vec<toml::Value> = (rows.iter())
                .filter_map(|p| p.get(i).map(|(_, v)| v.clone()))
                .collect();
            (path.clone(), axis_companion(&values))
        })
        .collect()
}

/// The header cells of the swept columns: each path, then its companion if it has one.
fn swept_header(columns: &[(String, Option<&'static str>)]) -> Vec<String> {
    columns
        .iter()
        .flat_map(|(path, companion)| {
            std::iter::once(path.clone()).chain(companion.map(|suffix| format!("{path}{suffix}")))
        })
        .collect()
}

/// The swept cells of one row: each value, then its companion's number if it has one.
fn swept_cells(
    columns: &[(String, Option<&'static str>)],
    params: &[(String, toml::Value)],
) -> Vec<String> {
    params
        .iter()
        .zip(columns)
        .flat_map(|((_, value), (_, companion))| {
            let number = companion
                .and_then(|_| value_quantity(value))
                .map(|q| fmt_num(q.companion().1));
            std::iter::once(value_cell(value)).chain(number)
        })
        .collect()
}

/// `runs.csv`: one row per (point, replication).
pub fn runs_csv(runs: &[RunRow]) -> Vec<u8> {
    let swept = swept_columns(&runs.iter().map(|r| r.params.as_slice()).collect::<Vec<_>>());
    let mut header: Vec<String> = vec!["point".into(), "replication".into(), "seed".into()];
    header.extend(swept_header(&swept));
    header.extend(METRIC_NAMES.iter().map(|m| m.to_string()));
    let rows = runs.iter().map(|r| {
        let mut row = vec![
            r.point.to_string(),
            r.replication.to_string(),
            r.seed.to_string(),
        ];
        row.extend(swept_cells(&swept, &r.params));
        row.extend(r.metrics.iter().map(|m| metric_cell(*m)));
        row
    });
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
    let rows = runs.iter().flat_map(|r| {
        r.series.iter().map(move |cells| {
            let mut row = vec![r.point.to_string(), r.replication.to_string()];
            row.extend(cells.iter().cloned());
            row
        })
    });
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

/// Mean and 95 % CI half-width of every metric at one sweep point, over the runs where it
/// has a value.
#[derive(Clone, Debug)]
pub struct PointSummary {
    pub point: usize,
    pub params: Vec<(String, toml::Value)>,
    pub replications: usize,
    /// In [`METRIC_NAMES`] order: (mean, ci95 half-width), `None` when no run had a value.
    pub metrics: Vec<Option<(f64, f64)>>,
    /// In [`METRIC_NAMES`] order: how many runs had a value (`replications` but for the
    /// metrics that may be empty).
    pub counts: Vec<usize>,
}

impl PointSummary {
    /// (mean, ci95 half-width) of metric `name`; `None` for no such metric, or when no run
    /// at this point had a value.
    pub fn metric(&self, name: &str) -> Option<(f64, f64)> {
        METRIC_NAMES
            .iter()
            .position(|m| *m == name)
            .and_then(|i| self.metrics[i])
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
        let (mut metrics, mut counts) = (Vec::new(), Vec::new());
        for i in 0..METRIC_NAMES.len() {
            // Runs where the metric does not apply are left out of its mean and interval.
            let values: Vec<f64> = group.iter().filter_map(|r| r.metrics[i]).collect();
            counts.push(values.len());
            metrics.push((!values.is_empty()).then(|| (mean(&values), ci95_half_width(&values))));
        }
        out.push(PointSummary {
            point,
            params: group[0].params.clone(),
            replications: group.len(),
            metrics,
            counts,
        });
        start = end;
    }
    out
}

/// `summary.csv`: one row per point: swept paths, then `<metric>_mean`, `<metric>_ci95`,
/// and for a metric that may be empty `<metric>_n`, the runs that had a value (mean and
/// interval are over those; both empty when none had).
pub fn summary_csv(summary: &[PointSummary]) -> Vec<u8> {
    let swept = swept_columns(
        &summary
            .iter()
            .map(|s| s.params.as_slice())
            .collect::<Vec<_>>(),
    );
    let mut header: Vec<String> = vec!["point".into(), "replications".into()];
    header.extend(swept_header(&swept));
    for (m, may_be_empty) in METRIC_NAMES.iter().zip(METRIC_MAY_BE_EMPTY) {
        header.push(format!("{m}_mean"));
        header.push(format!("{m}_ci95"));
        if *may_be_empty {
            header.push(format!("{m}_n"));
        }
    }
    let rows = summary.iter().map(|s| {
        let mut row = vec![s.point.to_string(), s.replications.to_string()];
        row.extend(swept_cells(&swept, &s.params));
        for (i, stat) in s.metrics.iter().enumerate() {
            row.push(metric_cell(stat.map(|(m, _)| m)));
            row.push(metric_cell(stat.map(|(_, ci)| ci)));
            if METRIC_MAY_BE_EMPTY[i] {
                row.push(s.counts[i].to_string());
            }
        }
        row
    });
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
        "{}: expected point, replications, the swept parameters (each with its numeric \
         companion column, if any) and the metric columns {}",
        path.display(),
        expected
    )]
    Columns { path: PathBuf, expected: String },
    #[error("{}:{line}: `{column}`: `{cell}` is not a {what}", path.display())]
    NotANumber {
        path: PathBuf,
        line: u64,
        column: String,
        cell: String,
        what: &'static str,
    },
    #[error("{}: no rows (a header alone); run the experiment again", path.display())]
    Empty { path: PathBuf },
}

/// The metric columns of `summary.csv`, in order: `<metric>_mean`, `<metric>_ci95`, and
/// `<metric>_n` for a metric that may be empty.
pub fn summary_metric_columns() -> Vec<String> {
    let mut columns = Vec::new();
    for (m, may_be_empty) in METRIC_NAMES.iter().zip(METRIC_MAY_BE_EMPTY) {
        columns.push(format!("{m}_mean"));
        columns.push(format!("{m}_ci95"));
        if *may_be_empty {
            columns.push(format!("{m}_n"));
        }
    }
    columns
}

/// Reads a `summary.csv` back: the columns between `replications` and the first metric
/// column are the swept parameters and their numeric companions (a column named after the
/// one before it with `_s`, `_bytes` or `_bps`). Refuses a file without rows, and numbers
/// that are not finite.
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
    let params: Vec<usize> = (2..params_end)
        .filter(|&i| !is_companion(&header[i - 1], &header[i]))
        .collect();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(read)?;
        let line = record.position().map_or(0, |p| p.line());
        let bad = |i: usize, what| SummaryError::NotANumber {
            path: path.to_path_buf(),
            line,
            column: header[i].clone(),
            cell: record[i].to_string(),
            what,
        };
        let count = |i: usize| record[i].parse::<usize>().map_err(|_| bad(i, "count"));
        let number = |i: usize| -> Result<Option<f64>, SummaryError> {
            match parse_metric_cell(&record[i]) {
                Some(x) if x.is_none_or(f64::is_finite) => Ok(x),
                _ => Err(bad(i, "finite number")),
            }
        };
        let (mut metrics, mut counts) = (Vec::new(), Vec::new());
        let replications = count(1)?;
        let mut at = params_end;
        for may_be_empty in METRIC_MAY_BE_EMPTY {
            let (mean, ci) = (number(at)?, number(at + 1)?);
            at += 2;
            let n = if *may_be_empty {
                at += 1;
                count(at - 1)?
            } else {
                replications
            };
            let stat = match (mean, ci) {
                (Some(m), Some(c)) => Some((m, c)),
                (None, None) if *may_be_empty => None,
                _ => return Err(bad(at - 2, "finite number")),
            };
            metrics.push(stat);
            counts.push(n);
        }
        out.push(PointSummary {
            point: count(0)?,
            replications,
            params: params
                .iter()
                .map(|&i| (header[i].clone(), parse_cli_value(&record[i])))
                .collect(),
            metrics,
            counts,
        });
    }
    if out.is_empty() {
        return Err(SummaryError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(out)
}

/// Whether column `name` is the numeric companion of the column before it, `previous`.
fn is_companion(previous: &str, name: &str) -> bool {
    name.strip_prefix(previous)
        .is_some_and(|suffix| ["_s", "_bytes", "_bps"].contains(&suffix))
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
    let metrics = summary_metric_columns();
    if end < 2 || header[end..] != metrics[..] {
        let wrong = (header[end..].iter().zip(&metrics))
            .find(|(h, m)| h != m)
            .map(|(h, m)| format!("(`{m}` where it has `{h}`)"))
            .unwrap_or_else(|| {
                format!(
                    "({} of them, where it has {})",
                    metrics.len(),
                    header.len() - end
                )
            });
        return Err(SummaryError::Columns {
            path: path.to_path_buf(),
            expected: wrong,
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

    fn with_handshake(point: usize, replication: u32, handshake: Option<f64>) -> RunRow {
        RunRecord {
            point,
            replication,
            seed: 42,
            params: vec![("link.wan.loss".into(), toml::Value::Float(0.01))],
            metrics: Metrics {
                handshake_mean_s: handshake,
                ..Metrics::default()
            },
            series: Vec::new(),
            flows: Vec::new(),
        }
        .to_row(&[], &[])
    }

    #[test]
    fn not_applicable_is_an_empty_cell_left_out_of_the_mean_and_counted() {
        let runs = [
            with_handshake(0, 0, Some(1.0)),
            with_handshake(0, 1, None),
            with_handshake(0, 2, Some(3.0)),
            with_handshake(1, 0, None),
        ];
        let runs_text = String::from_utf8(runs_csv(&runs)).unwrap();
        let header: Vec<&str> = runs_text.lines().next().unwrap().split(',').collect();
        let column = header
            .iter()
            .position(|h| *h == "handshake_mean_s")
            .unwrap();
        let cells: Vec<String> = (runs_text.lines().skip(1))
            .map(|l| l.split(',').nth(column).unwrap().to_string())
            .collect();
        assert_eq!(cells, ["1", "", "3", ""]);

        let summary = summarize(&runs);
        // The mean of 1 and 3, over the two runs that had a value.
        assert_eq!(summary[0].metric("handshake_mean_s").unwrap().0, 2.0);
        assert_eq!(summary[1].metric("handshake_mean_s"), None);
        let text = String::from_utf8(summary_csv(&summary)).unwrap();
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let (mean, ci, n) = (
            at("handshake_mean_s_mean"),
            at("handshake_mean_s_ci95"),
            at("handshake_mean_s_n"),
        );
        assert_eq!((ci, n), (mean + 1, mean + 2));
        assert!(!header.contains(&"conn_failed_n"));
        let rows: Vec<Vec<&str>> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect())
            .collect();
        assert_eq!((rows[0][mean], rows[0][n]), ("2", "2"));
        assert!(rows[0][ci].parse::<f64>().unwrap() > 0.0);
        assert_eq!((rows[1][mean], rows[1][ci], rows[1][n]), ("", "", "0"));

        // Read back as written.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.csv");
        std::fs::write(&path, &text).unwrap();
        let back = read_summary(&path).unwrap();
        assert_eq!(back[0].metrics, summary[0].metrics);
        assert_eq!(back[1].metrics, summary[1].metrics);
        assert_eq!(back[0].counts, summary[0].counts);
    }

    #[test]
    fn swept_quantities_get_numeric_companion_columns() {
        let row = |point: usize, delay: &str, size: &str, rate: &str, profile: &str| RunRow {
            params: vec![
                ("link.ab.delay".into(), delay.into()),
                ("workload.w.bytes".into(), size.into()),
                ("link.ab.bandwidth".into(), rate.into()),
                ("tcp.profile".into(), profile.into()),
            ],
            ..with_handshake(point, 0, None)
        };
        let runs = [
            row(0, "500ms", "4KiB", "10Mbps", "linux"),
            row(1, "1s", "1MB", "1Gbps", "rfc"),
        ];
        let text = String::from_utf8(runs_csv(&runs)).unwrap();
        assert!(text.starts_with(
            "point,replication,seed,link.ab.delay,link.ab.delay_s,workload.w.bytes,\
             workload.w.bytes_bytes,link.ab.bandwidth,link.ab.bandwidth_bps,tcp.profile,\
             conn_attempted,"
        ));
        assert!(text.contains("\n0,0,42,500ms,0.5,4KiB,4096,10Mbps,10000000,linux,0,"));
        let summary = String::from_utf8(summary_csv(&summarize(&runs))).unwrap();
        assert!(summary.starts_with(
            "point,replications,link.ab.delay,link.ab.delay_s,workload.w.bytes,\
             workload.w.bytes_bytes,link.ab.bandwidth,link.ab.bandwidth_bps,tcp.profile,"
        ));
        assert!(summary.contains("\n1,1,1s,1,1MB,1000000,1Gbps,1000000000,rfc,"));
        // Read back, the companions are not swept paths.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.csv");
        std::fs::write(&path, &summary).unwrap();
        let back = read_summary(&path).unwrap();
        let paths: Vec<&str> = back[0].params.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "link.ab.delay",
                "workload.w.bytes",
                "link.ab.bandwidth",
                "tcp.profile"
            ]
        );
        // A path whose values are not all quantities of one kind has no companion.
        let mixed = [
            row(0, "500ms", "4KiB", "1s", "x"),
            row(1, "1s", "1MB", "5", "y"),
        ];
        let text = String::from_utf8(runs_csv(&mixed)).unwrap();
        assert!(text.contains(",link.ab.bandwidth,tcp.profile,"), "{text}");
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
