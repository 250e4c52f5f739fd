//! `[[chart]]`s: from a results summary to plot data, drawn as PNG and SVG.
//!
//! A chart sets one or more metrics (`y`) against a swept parameter (`x`), one line per
//! metric and per value of an optional second swept parameter (`series`), each point the
//! mean over replications with its 95 % confidence interval. Swept values with units are
//! put on the axis in base units: durations in seconds, sizes in bytes, rates in bit/s.
//! Reference curves (`[[chart.reference]] expr`) are evaluated on 200 points across the x
//! range; measured references (`csv`) are drawn as points without a line, each x the mean of
//! the file's rows at that x with its 95 % confidence interval.
//! A timeseries chart draws `series.csv` instead: replication 0 of each point over time,
//! with its references as a sweep chart's. A flows chart draws `flows.csv`: replication 0
//! of each point, a point per flow against a column (the flow number by default), or with
//! `x = "cdf"` the distribution of a column over the flows.
//!
//! `synack-plot` renders the charts to bytes; [`draw_all`] writes them with
//! [`write_atomic`], the writer of every synack file.

use std::path::{Path, PathBuf};

use crate::files::{write_atomic, WriteError};
use crate::results::{value_cell, PointSummary};
use synack_experiment::config::units::{parse_duration, parse_rate, parse_size};
use synack_experiment::config::{ChartConfig, ChartKind, Experiment};
use synack_experiment::metrics::METRIC_NAMES;
use synack_plot::{Chart, PlotError, Point, Reference, Series, SeriesStyle};
use synack_world::stats::{ci95_half_width, mean};

/// Why a chart could not be made, drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("chart `{chart}`: summary has no column `{column}`")]
    NoColumn { chart: String, column: String },
    #[error("chart `{chart}`: x value `{value}` of `{column}` is not a number")]
    NotANumber {
        chart: String,
        value: String,
        column: String,
    },
    #[error("chart `{chart}`: unknown metric `{metric}`")]
    UnknownMetric { chart: String, metric: String },
    #[error("reading {}", path.display())]
    ReadSeries {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error(transparent)]
    Draw(#[from] PlotError),
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// The unit a swept value carries, for the axis title.
#[derive(Clone, Copy, PartialEq)]
enum Unit {
    None,
    Seconds,
    Bytes,
    BitsPerSecond,
}

/// A swept value as a number in base units.
fn numeric(v: &toml::Value) -> Option<(f64, Unit)> {
    match v {
        toml::Value::Integer(i) => Some((*i as f64, Unit::None)),
        toml::Value::Float(f) => Some((*f, Unit::None)),
        toml::Value::Boolean(b) => Some((f64::from(u8::from(*b)), Unit::None)),
        toml::Value::String(s) => {
            if let Ok(d) = parse_duration(s) {
                Some((d.as_secs_f64(), Unit::Seconds))
            } else if let Ok(r) = parse_rate(s) {
                Some((r as f64, Unit::BitsPerSecond))
            } else if let Ok(b) = parse_size(s) {
                Some((b as f64, Unit::Bytes))
            } else {
                None
            }
        }
        _ => None,
    }
}

fn unit_suffix(unit: Unit) -> &'static str {
    match unit {
        Unit::None => "",
        Unit::Seconds => " (s)",
        Unit::Bytes => " (bytes)",
        Unit::BitsPerSecond => " (bit/s)",
    }
}

fn metric_unit(metric: &str) -> &'static str {
    if metric.ends_with("_s") {
        " (s)"
    } else if metric.ends_with("_bps") {
        " (bit/s)"
    } else {
        ""
    }
}

fn param<'a>(point: &'a PointSummary, path: &str) -> Option<&'a toml::Value> {
    point.params.iter().find(|(k, _)| k == path).map(|(_, v)| v)
}

/// The plot data of one chart.
pub fn chart_data(chart: &ChartConfig, summary: &[PointSummary]) -> Result<Chart, ChartError> {
    let mut x_unit = Unit::None;
    let mut series: Vec<Series> = Vec::new();
    let values = series_values(chart, summary);
    for metric in &chart.y {
        for value in &values {
            let (points, unit) = sweep_points(chart, summary, metric, value)?;
            x_unit = unit.unwrap_or(x_unit);
            let label = match (&chart.series, chart.y.len()) {
                // A lone line needs a name only to tell it from reference curves.
                (None, 1) if chart.reference.is_empty() => String::new(),
                (None, _) => metric.clone(),
                (Some(path), 1) => format!("{path} = {value}"),
                (Some(path), _) => format!("{metric}, {path} = {value}"),
            };
            series.push(Series {
                label,
                points,
                style: SeriesStyle::Line,
            });
        }
    }
    series.extend(measured_references(chart));
    Ok(Chart {
        title: chart
            .title
            .clone()
            .unwrap_or_else(|| format!("{} against {}", chart.y.join(", "), chart.x)),
        x_label: chart
            .x_label
            .clone()
            .unwrap_or_else(|| format!("{}{}", chart.x, unit_suffix(x_unit))),
        y_label: y_label(chart, metric_unit),
        log_x: chart.log_x,
        log_y: chart.log_y,
        references: references(chart, &series),
        series,
    })
}

/// The values of the chart's `series` parameter, in order of first appearance; one empty
/// value for a chart without `series`.
fn series_values(chart: &ChartConfig, summary: &[PointSummary]) -> Vec<String> {
    let Some(path) = &chart.series else {
        return vec![String::new()];
    };
    let mut values: Vec<String> = Vec::new();
    for p in summary {
        let cell = param(p, path).map(value_cell).unwrap_or_default();
        if !values.contains(&cell) {
            values.push(cell);
        }
    }
    values
}

/// One line of a sweep chart: `metric` at each point whose `series` value is `value`, and
/// the unit of the x values (none without points).
fn sweep_points(
    chart: &ChartConfig,
    summary: &[PointSummary],
    metric: &str,
    value: &str,
) -> Result<(Vec<Point>, Option<Unit>), ChartError> {
    let mut points = Vec::new();
    let mut x_unit = None;
    for p in summary {
        if let Some(path) = &chart.series {
            if param(p, path).map(value_cell).unwrap_or_default() != value {
                continue;
            }
        }
        let raw = param(p, &chart.x).ok_or_else(|| ChartError::NoColumn {
            chart: chart.name.clone(),
            column: chart.x.clone(),
        })?;
        let (x, unit) = numeric(raw).ok_or_else(|| ChartError::NotANumber {
            chart: chart.name.clone(),
            value: value_cell(raw),
            column: chart.x.clone(),
        })?;
        x_unit = Some(unit);
        // `x_expr`: plotted at a function of the swept value (a non-finite result is
        // skipped by the plotter).
        let x = match &chart.x_expr {
            Some(f) => f.eval(x).unwrap_or(f64::NAN),
            None => x,
        };
        if !METRIC_NAMES.contains(&metric) {
            return Err(ChartError::UnknownMetric {
                chart: chart.name.clone(),
                metric: metric.to_string(),
            });
        }
        // A point where no run had a value (nothing established, no probe…) is left out.
        let Some((y, ci)) = p.metric(metric) else {
            continue;
        };
        // Every metric is a count, a time, a rate or a fraction: its bar stops at 0.
        points.push(Point::new(x, y, ci).non_negative());
    }
    Ok((points, x_unit))
}

/// The chart's `csv` references: for each, a series of points alone, one per distinct x,
/// the mean of its rows' y with the 95 % confidence interval of the mean, as a sweep point
/// summarises its replications.
fn measured_references(chart: &ChartConfig) -> Vec<Series> {
    chart
        .reference
        .iter()
        .filter_map(|r| {
            let csv = r.csv()?;
            let mut rows = csv.rows.clone();
            rows.sort_by(|a, b| a.0.total_cmp(&b.0));
            let points = rows
                .chunk_by(|a, b| a.0 == b.0)
                .map(|group| {
                    let ys: Vec<f64> = group.iter().map(|&(_, y)| y).collect();
                    Point::new(group[0].0, mean(&ys), ci95_half_width(&ys))
                })
                .collect();
            Some(Series {
                label: r.label.clone(),
                points,
                style: SeriesStyle::Points,
            })
        })
        .collect()
}

/// The chart's model curves (`expr` references), sampled across the x range of every
/// series drawn, measured references included.
fn references(chart: &ChartConfig, series: &[Series]) -> Vec<Reference> {
    let xs: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.x))
        .filter(|x| x.is_finite() && (!chart.log_x || *x > 0.0))
        .collect();
    chart
        .reference
        .iter()
        .filter_map(|r| {
            let expr = r.expr()?;
            Some(Reference {
                label: r.label.clone(),
                points: sample_grid(&xs, chart.log_x)
                    .into_iter()
                    .filter_map(|x| expr.eval(x).ok().filter(|y| y.is_finite()).map(|y| (x, y)))
                    .collect(),
            })
        })
        .collect()
}

/// The y axis title: the chart's own, or its quantities with their `unit` if they all
/// share it.
fn y_label(chart: &ChartConfig, unit: fn(&str) -> &'static str) -> String {
    chart.y_label.clone().unwrap_or_else(|| {
        let units: Vec<&str> = chart.y.iter().map(|m| unit(m)).collect();
        let common = match units.split_first() {
            Some((first, rest)) if rest.iter().all(|u| u == first) => first,
            _ => "",
        };
        format!("{}{common}", chart.y.join(", "))
    })
}

/// 200 points spanning the data's x range, evenly in x or in log x.
fn sample_grid(xs: &[f64], log: bool) -> Vec<f64> {
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return Vec::new();
    }
    const N: usize = 200;
    (0..N)
        .map(|i| {
            let f = i as f64 / (N - 1) as f64;
            if log {
                (lo.ln() + f * (hi.ln() - lo.ln())).exp()
            } else {
                lo + f * (hi - lo)
            }
        })
        .collect()
}

/// Lines a timeseries chart draws at most, to stay legible.
const MAX_TIMESERIES_LINES: usize = 12;

/// What tells the lines of a timeseries chart apart: the columns of `series.csv` other than
/// the time and the value.
#[derive(Clone, PartialEq)]
struct LineKey {
    point: String,
    host: String,
    conn: String,
    metric: String,
}

/// The plot data of a timeseries chart, from `series.csv`: replication 0 of each point, one
/// line per (point, host, connection, quantity).
fn timeseries_data(
    chart: &ChartConfig,
    summary: &[PointSummary],
    series_csv: &Path,
) -> Result<Chart, ChartError> {
    let lines = read_lines(chart, series_csv)?;
    let keys: Vec<&LineKey> = lines.iter().map(|(k, _)| k).collect();
    let labels = line_labels(&keys, summary);
    let mut series: Vec<Series> = labels
        .into_iter()
        .zip(lines)
        // Every series metric (cwnd, ssthresh, srtt, RTO, flight, state, socket counts)
        // holds its value from one instant it changes to the next: drawn as steps, not
        // ramps between samples.
        .map(|(label, (_, points))| Series {
            label,
            points,
            style: SeriesStyle::Step,
        })
        .collect();
    series.extend(measured_references(chart));
    Ok(Chart {
        title: chart
            .title
            .clone()
            .unwrap_or_else(|| format!("{} over time", chart.y.join(", "))),
        x_label: chart
            .x_label
            .clone()
            .unwrap_or_else(|| "time (s)".to_string()),
        y_label: y_label(chart, timeseries_unit),
        log_x: chart.log_x,
        log_y: chart.log_y,
        references: references(chart, &series),
        series,
    })
}

/// The lines of `series.csv` a timeseries chart draws: replication 0, the chart's
/// quantities, the first [`MAX_TIMESERIES_LINES`] keys in order of appearance.
fn read_lines(
    chart: &ChartConfig,
    series_csv: &Path,
) -> Result<Vec<(LineKey, Vec<Point>)>, ChartError> {
    let read = |source| ChartError::ReadSeries {
        path: series_csv.to_path_buf(),
        source,
    };
    let mut reader = csv::Reader::from_path(series_csv).map_err(read)?;
    let mut lines: Vec<(LineKey, Vec<Point>)> = Vec::new();
    let mut dropped = 0usize;
    for record in reader.records() {
        let r = record.map_err(read)?;
        let (point, replication, t, host, conn, metric, value) =
            (&r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6]);
        if replication != "0" || !chart.y.iter().any(|y| y == metric) {
            continue;
        }
        let (Ok(t), Ok(v)) = (t.parse::<f64>(), value.parse::<f64>()) else {
            continue;
        };
        let key = LineKey {
            point: point.to_string(),
            host: host.to_string(),
            conn: conn.to_string(),
            metric: metric.to_string(),
        };
        let i = match lines.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None if lines.len() < MAX_TIMESERIES_LINES => {
                lines.push((key, Vec::new()));
                lines.len() - 1
            }
            None => {
                dropped += 1;
                continue;
            }
        };
        lines[i].1.push(Point::new(t, v, 0.0));
    }
    if dropped > 0 && lines.len() == MAX_TIMESERIES_LINES {
        eprintln!(
            "note: chart `{}` draws the first {MAX_TIMESERIES_LINES} lines only",
            chart.name
        );
    }
    Ok(lines)
}

/// Each line's legend: what differs between the lines (quantity, host, connection, the
/// point's swept values), in that order.
fn line_labels(keys: &[&LineKey], summary: &[PointSummary]) -> Vec<String> {
    let varies = |field: fn(&LineKey) -> &String| {
        let mut v: Vec<&String> = keys.iter().map(|k| field(k)).collect();
        v.sort();
        v.dedup();
        v.len() > 1
    };
    let (many_points, many_hosts, many_conns, many_metrics) = (
        varies(|k| &k.point),
        varies(|k| &k.host),
        varies(|k| &k.conn),
        varies(|k| &k.metric),
    );
    keys.iter()
        .map(|key| {
            let mut parts = Vec::new();
            if many_metrics {
                parts.push(key.metric.clone());
            }
            if many_hosts {
                parts.push(key.host.clone());
            }
            if many_conns && !key.conn.is_empty() {
                parts.push(format!("conn {}", key.conn));
            }
            if many_points {
                parts.push(point_label(&key.point, summary));
            }
            parts.join(", ")
        })
        .collect()
}

/// A point's swept values, `path = value, …`, as a legend names it.
fn point_label(point: &str, summary: &[PointSummary]) -> String {
    summary
        .iter()
        .find(|p| p.point.to_string() == point)
        .map(|p| {
            p.params
                .iter()
                .map(|(k, v)| format!("{k} = {}", value_cell(v)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|| format!("point {point}"))
}

/// The unit of a `[[series]]` quantity, for the axis title.
fn timeseries_unit(metric: &str) -> &'static str {
    if metric.starts_with("sockets:") {
        " (sockets)"
    } else if metric.starts_with("queue:") {
        " (packets)"
    } else if metric.starts_with("queue_delay:") {
        " (s)"
    } else {
        match metric {
            "cwnd" | "ssthresh" | "flight" => " (bytes)",
            "srtt" | "rto" => " (s)",
            _ => "",
        }
    }
}

/// Sets of points a flows chart draws at most, to stay legible.
const MAX_FLOW_SETS: usize = 12;

/// The unit of a `flows.csv` column, for an axis title.
fn flow_unit(column: &str) -> &'static str {
    match column {
        c if c.ends_with("_s") => " (s)",
        "goodput_bps" => " (bit/s)",
        "bytes_to_server" | "bytes_to_client" => " (bytes)",
        _ => "",
    }
}

/// The plot data of a flows chart, from `flows.csv`: replication 0 of each point, one set
/// of points per (point, column). Against a column (`x`, by default the flow number) each
/// flow is a point; with `x = "cdf"` each column's empirical distribution over the flows is
/// a step line (the fraction of flows at or below each value). Empty cells (a value that
/// does not apply to a flow, such as the goodput of one that carried no data) are left out.
pub fn flows_data(
    chart: &ChartConfig,
    summary: &[PointSummary],
    flows_csv: &Path,
) -> Result<Chart, ChartError> {
    let cdf = chart.x == "cdf";
    let sets = read_flow_sets(chart, flows_csv)?;
    let many_points = sets.iter().any(|s| s.point != sets[0].point);
    let mut series: Vec<Series> = sets
        .into_iter()
        .map(|set| {
            let mut parts = Vec::new();
            if chart.y.len() > 1 {
                parts.push(chart.y[set.column].clone());
            }
            if many_points {
                parts.push(point_label(&set.point, summary));
            }
            let (points, style) = if cdf {
                (distribution(set.pairs), SeriesStyle::Step)
            } else {
                let points = (set.pairs.into_iter())
                    .map(|(x, y)| Point::new(x, y, 0.0))
                    .collect();
                (points, SeriesStyle::Points)
            };
            Series {
                label: parts.join(", "),
                points,
                style,
            }
        })
        .collect();
    series.extend(measured_references(chart));
    let (x_label, y_label) = flow_axis_labels(chart);
    Ok(Chart {
        title: chart.title.clone().unwrap_or_else(|| {
            if cdf {
                format!("distribution of {} over the flows", chart.y.join(", "))
            } else {
                format!("{} of each flow against {}", chart.y.join(", "), chart.x)
            }
        }),
        x_label,
        y_label,
        log_x: chart.log_x,
        log_y: chart.log_y,
        references: references(chart, &series),
        series,
    })
}

/// The points of one sweep point's flows for one of a flows chart's columns.
struct FlowSet {
    point: String,
    /// The column's place in the chart's `y`.
    column: usize,
    /// (x, y) of each flow whose cells are numbers; x is 0 for a distribution.
    pairs: Vec<(f64, f64)>,
}

/// The sets a flows chart draws from `flows.csv`: replication 0, the first
/// [`MAX_FLOW_SETS`] (point, column) pairs in order of appearance.
fn read_flow_sets(chart: &ChartConfig, flows_csv: &Path) -> Result<Vec<FlowSet>, ChartError> {
    let read = |source| ChartError::ReadSeries {
        path: flows_csv.to_path_buf(),
        source,
    };
    let mut reader = csv::Reader::from_path(flows_csv).map_err(read)?;
    let header = reader.headers().map_err(read)?.clone();
    let column = |name: &str| {
        (header.iter().position(|h| h == name)).ok_or_else(|| ChartError::NoColumn {
            chart: chart.name.clone(),
            column: name.to_string(),
        })
    };
    let x_col = (chart.x != "cdf").then(|| column(&chart.x)).transpose()?;
    let y_cols = (chart.y.iter().map(|y| column(y))).collect::<Result<Vec<_>, _>>()?;
    let number = |r: &csv::StringRecord, i: usize| r.get(i).and_then(|c| c.parse::<f64>().ok());
    let mut sets: Vec<FlowSet> = Vec::new();
    let mut dropped = false;
    for record in reader.records() {
        let r = record.map_err(read)?;
        if r.get(1) != Some("0") {
            continue;
        }
        let point = r.get(0).unwrap_or_default();
        for (j, &yc) in y_cols.iter().enumerate() {
            let x = match x_col {
                Some(xc) => number(&r, xc),
                None => Some(0.0),
            };
            let (Some(x), Some(y)) = (x, number(&r, yc)) else {
                continue;
            };
            let i = match sets.iter().position(|s| s.point == point && s.column == j) {
                Some(i) => i,
                None if sets.len() < MAX_FLOW_SETS => {
                    sets.push(FlowSet {
                        point: point.to_string(),
                        column: j,
                        pairs: Vec::new(),
                    });
                    sets.len() - 1
                }
                None => {
                    dropped = true;
                    continue;
                }
            };
            sets[i].pairs.push((x, y));
        }
    }
    if dropped {
        eprintln!(
            "note: chart `{}` draws the first {MAX_FLOW_SETS} sets of points only",
            chart.name
        );
    }
    Ok(sets)
}

/// The empirical distribution of the pairs' y values: each value, in order, against the
/// fraction of the values at or below it.
fn distribution(pairs: Vec<(f64, f64)>) -> Vec<Point> {
    let mut ys: Vec<f64> = pairs.into_iter().map(|(_, y)| y).collect();
    ys.sort_by(f64::total_cmp);
    let n = ys.len() as f64;
    (ys.iter().enumerate())
        .map(|(i, &v)| Point::new(v, (i + 1) as f64 / n, 0.0))
        .collect()
}

/// A flows chart's axis titles: the chart's own, or the columns with their units (along x
/// for a distribution, whose y is the fraction of flows).
fn flow_axis_labels(chart: &ChartConfig) -> (String, String) {
    if chart.x == "cdf" {
        let values = ChartConfig {
            y_label: None,
            ..chart.clone()
        };
        (
            (chart.x_label.clone()).unwrap_or_else(|| y_label(&values, flow_unit)),
            (chart.y_label.clone()).unwrap_or_else(|| "fraction of flows at or below".to_string()),
        )
    } else {
        (
            (chart.x_label.clone())
                .unwrap_or_else(|| format!("{}{}", chart.x, flow_unit(&chart.x))),
            y_label(chart, flow_unit),
        )
    }
}

/// Draws every chart of `exp` into `dir`; returns the files written. Each picture (a
/// chart's PNG, its SVG) is rendered on a thread of its own, at most one per core: the bytes
/// do not depend on it, and drawing is most of what a sweep does after its runs.
pub fn draw_all(
    exp: &Experiment,
    summary: &[PointSummary],
    dir: &Path,
) -> Result<Vec<PathBuf>, ChartError> {
    let mut pictures = Vec::new();
    for chart in &exp.charts {
        let data = match chart.kind {
            ChartKind::Timeseries => timeseries_data(chart, summary, &dir.join("series.csv"))?,
            ChartKind::Sweep => chart_data(chart, summary)?,
            ChartKind::Flows => flows_data(chart, summary, &dir.join("flows.csv"))?,
        };
        let data = std::sync::Arc::new(data);
        pictures.push((dir.join(format!("{}.png", chart.name)), data.clone(), true));
        pictures.push((dir.join(format!("{}.svg", chart.name)), data, false));
    }
    let render = |(path, data, png): &(PathBuf, std::sync::Arc<Chart>, bool)| {
        let bytes = if *png {
            synack_plot::png_bytes(data)?
        } else {
            synack_plot::svg_string(data)?.into_bytes()
        };
        write_atomic(path, &bytes)?;
        Ok::<(), ChartError>(())
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<(), ChartError>> = std::thread::scope(|scope| {
        let work = || {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(picture) = pictures.get(i) else {
                    return done;
                };
                done.push((i, render(picture)));
            }
        };
        let helpers: Vec<_> = (1..threads.min(pictures.len()))
            .map(|_| scope.spawn(work))
            .collect();
        let mut all = work();
        for helper in helpers {
            all.extend(helper.join().expect("a chart thread does not panic"));
        }
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, r)| r).collect()
    });
    results.into_iter().collect::<Result<(), ChartError>>()?;
    Ok(pictures.into_iter().map(|(path, _, _)| path).collect())
}
