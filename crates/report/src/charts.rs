//! `[[chart]]`s: from a results summary to plot data, drawn as PNG and SVG.
//!
//! A chart sets one or more metrics (`y`) against a swept parameter (`x`), one line per
//! metric and per value of an optional second swept parameter (`series`), each point the
//! mean over replications with its 95 % confidence interval. Swept values with units are
//! put on the axis in base units: durations in seconds, sizes in bytes, rates in bit/s.
//! Reference curves (`[[chart.reference]]`) are evaluated on 200 points across the x range.

use std::path::{Path, PathBuf};

use crate::results::{value_cell, PointSummary};
use anyhow::{bail, Context, Result};
use synack_experiment::config::units::{parse_duration, parse_rate, parse_size};
use synack_experiment::config::{parse_cli_value, ChartConfig, ChartKind, Experiment};
use synack_experiment::metrics::METRIC_NAMES;
use synack_plot::{Chart, Point, Reference, Series};

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
pub fn chart_data(chart: &ChartConfig, summary: &[PointSummary]) -> Result<Chart> {
    let mut x_unit = Unit::None;
    let mut series: Vec<Series> = Vec::new();
    let mut series_values: Vec<String> = Vec::new();
    if let Some(path) = &chart.series {
        for p in summary {
            let cell = param(p, path).map(value_cell).unwrap_or_default();
            if !series_values.contains(&cell) {
                series_values.push(cell);
            }
        }
    } else {
        series_values.push(String::new());
    }
    for metric in &chart.y {
        for value in &series_values {
            let mut points = Vec::new();
            for p in summary {
                if let Some(path) = &chart.series {
                    if param(p, path).map(value_cell).unwrap_or_default() != *value {
                        continue;
                    }
                }
                let raw = param(p, &chart.x).with_context(|| {
                    format!(
                        "chart `{}`: summary has no column `{}`",
                        chart.name, chart.x
                    )
                })?;
                let Some((x, unit)) = numeric(raw) else {
                    bail!(
                        "chart `{}`: x value `{}` of `{}` is not a number",
                        chart.name,
                        value_cell(raw),
                        chart.x
                    );
                };
                x_unit = unit;
                let (y, ci) = p.metric(metric).with_context(|| {
                    format!("chart `{}`: unknown metric `{metric}`", chart.name)
                })?;
                points.push(Point::new(x, y, ci));
            }
            let label = match (&chart.series, chart.y.len()) {
                // A lone line needs a name only to tell it from reference curves.
                (None, 1) if chart.reference.is_empty() => String::new(),
                (None, _) => metric.clone(),
                (Some(path), 1) => format!("{path} = {value}"),
                (Some(path), _) => format!("{metric}, {path} = {value}"),
            };
            series.push(Series { label, points });
        }
    }
    let xs: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.x))
        .filter(|x| x.is_finite() && (!chart.log_x || *x > 0.0))
        .collect();
    let references = chart
        .reference
        .iter()
        .map(|r| Reference {
            label: r.label.clone(),
            points: sample_grid(&xs, chart.log_x)
                .into_iter()
                .filter_map(|x| r.eval(x).ok().filter(|y| y.is_finite()).map(|y| (x, y)))
                .collect(),
        })
        .collect();
    let y_label = chart.y_label.clone().unwrap_or_else(|| {
        let units: Vec<&str> = chart.y.iter().map(|m| metric_unit(m)).collect();
        let common = if units.iter().all(|u| *u == units[0]) {
            units[0]
        } else {
            ""
        };
        format!("{}{common}", chart.y.join(", "))
    });
    Ok(Chart {
        title: chart
            .title
            .clone()
            .unwrap_or_else(|| format!("{} against {}", chart.y.join(", "), chart.x)),
        x_label: chart
            .x_label
            .clone()
            .unwrap_or_else(|| format!("{}{}", chart.x, unit_suffix(x_unit))),
        y_label,
        log_x: chart.log_x,
        log_y: chart.log_y,
        series,
        references,
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

/// The plot data of a timeseries chart, from `series.csv`: replication 0 of each point, one
/// line per (point, host, connection, quantity).
fn timeseries_data(
    chart: &ChartConfig,
    summary: &[PointSummary],
    series_csv: &Path,
) -> Result<Chart> {
    let mut reader = csv::Reader::from_path(series_csv)
        .with_context(|| format!("reading {}", series_csv.display()))?;
    let mut lines: Vec<(String, Vec<Point>)> = Vec::new();
    let mut keys: Vec<(String, String, String, String)> = Vec::new();
    let mut dropped = 0usize;
    for record in reader.records() {
        let r = record?;
        let (point, replication, t, host, conn, metric, value) =
            (&r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6]);
        if replication != "0" || !chart.y.iter().any(|y| y == metric) {
            continue;
        }
        let (Ok(t), Ok(v)) = (t.parse::<f64>(), value.parse::<f64>()) else {
            continue;
        };
        let key = (
            point.to_string(),
            host.to_string(),
            conn.to_string(),
            metric.to_string(),
        );
        let i = match keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None if keys.len() < MAX_TIMESERIES_LINES => {
                keys.push(key.clone());
                lines.push((String::new(), Vec::new()));
                keys.len() - 1
            }
            None => {
                dropped += 1;
                continue;
            }
        };
        lines[i].1.push(Point::new(t, v, 0.0));
    }
    let distinct = |f: fn(&(String, String, String, String)) -> &String| {
        let mut v: Vec<&String> = keys.iter().map(f).collect();
        v.sort();
        v.dedup();
        v.len() > 1
    };
    let (many_points, many_hosts, many_conns, many_metrics) = (
        distinct(|k| &k.0),
        distinct(|k| &k.1),
        distinct(|k| &k.2),
        distinct(|k| &k.3),
    );
    for (key, line) in keys.iter().zip(lines.iter_mut()) {
        let mut parts = Vec::new();
        if many_metrics {
            parts.push(key.3.clone());
        }
        if many_hosts {
            parts.push(key.1.clone());
        }
        if many_conns && !key.2.is_empty() {
            parts.push(format!("conn {}", key.2));
        }
        if many_points {
            let params = summary
                .iter()
                .find(|p| p.point.to_string() == key.0)
                .map(|p| {
                    p.params
                        .iter()
                        .map(|(k, v)| format!("{k} = {}", value_cell(v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_else(|| format!("point {}", key.0));
            parts.push(params);
        }
        line.0 = parts.join(", ");
    }
    if dropped > 0 && lines.len() == MAX_TIMESERIES_LINES {
        eprintln!(
            "note: chart `{}` draws the first {MAX_TIMESERIES_LINES} lines only",
            chart.name
        );
    }
    let unit = |m: &str| {
        if m.starts_with("sockets:") {
            " (sockets)"
        } else {
            match m {
                "cwnd" | "ssthresh" | "flight" => " (bytes)",
                "srtt" | "rto" => " (s)",
                _ => "",
            }
        }
    };
    let units: Vec<&str> = chart.y.iter().map(|m| unit(m)).collect();
    let common = if units.iter().all(|u| *u == units[0]) {
        units[0]
    } else {
        ""
    };
    Ok(Chart {
        title: chart
            .title
            .clone()
            .unwrap_or_else(|| format!("{} over time", chart.y.join(", "))),
        x_label: chart
            .x_label
            .clone()
            .unwrap_or_else(|| "time (s)".to_string()),
        y_label: chart
            .y_label
            .clone()
            .unwrap_or_else(|| format!("{}{common}", chart.y.join(", "))),
        log_x: chart.log_x,
        log_y: chart.log_y,
        series: lines
            .into_iter()
            .map(|(label, points)| Series { label, points })
            .collect(),
        references: Vec::new(),
    })
}

/// Draws every chart of `exp` into `dir`; returns the files written.
pub fn draw_all(exp: &Experiment, summary: &[PointSummary], dir: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for chart in &exp.charts {
        let data = match chart.kind {
            ChartKind::Timeseries => timeseries_data(chart, summary, &dir.join("series.csv"))?,
            ChartKind::Sweep => chart_data(chart, summary)?,
        };
        let png = dir.join(format!("{}.png", chart.name));
        let svg = dir.join(format!("{}.svg", chart.name));
        synack_plot::render(&data, &png, &svg)?;
        written.push(png);
        written.push(svg);
    }
    Ok(written)
}

/// Reads a `summary.csv` back: the columns between `replications` and the first metric
/// column are the swept parameters.
pub fn read_summary(path: &Path) -> Result<Vec<PointSummary>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let first_metric = format!("{}_mean", METRIC_NAMES[0]);
    let params_end = header
        .iter()
        .position(|h| *h == first_metric)
        .with_context(|| {
            format!(
                "{}: no `{first_metric}` column; not a synack summary",
                path.display()
            )
        })?;
    if header.len() != params_end + 2 * METRIC_NAMES.len() || params_end < 2 {
        bail!(
            "{}: expected point, replications, the swept parameters and {} metric columns",
            path.display(),
            2 * METRIC_NAMES.len()
        );
    }
    let mut out = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record?;
        let num = |i: usize| -> Result<f64> {
            record[i].parse::<f64>().with_context(|| {
                format!(
                    "{}: row {}: `{}` is not a number",
                    path.display(),
                    line + 2,
                    &record[i]
                )
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
                .collect::<Result<_>>()?,
        });
    }
    Ok(out)
}
