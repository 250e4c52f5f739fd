//! The experiment file: its schema, units, validation, errors and parameter paths.
//!
//! [`Experiment::load`] reads a TOML file, checks everything (unknown keys, types, units,
//! ranges, names of hosts and links, the sweep and the charts) and returns a typed,
//! resolved [`Experiment`] — or one [`ConfigError`] that names the file, line, column and
//! key, says what was expected, and suggests the nearest valid key. Nothing runs on an
//! invalid file.
//!
//! How it works: the text is parsed once into toml's spanned document; the typed structs
//! are deserialized from it with `deny_unknown_fields`, so serde's errors carry spans,
//! which the `doc` module turns into `line:column` and a dotted key. `[[workload]]` is read
//! in two steps (`kind`, then that kind's struct) because serde's internally tagged enums
//! lose spans.
//! Checks across keys (an unknown host, `jitter` above `delay`, a chart over a path that is
//! not swept) locate their key in the same spanned document; so do the checks of what a
//! world relies on (link parameters as `synack_link` checks them, a route under every
//! workload and scripted segment, one server behaviour per port, a listener for every flood).
//!
//! Parameter paths (`link.wan.loss`, used by `[sweep]` and `--set`) edit a copy of the raw
//! document, which is then written out and read again through the same checks
//! ([`Experiment::with_overrides`]); an error found that way is reported at the key it is
//! about in the file as written. Every sweep value is applied this way at load time, and
//! every sweep point too when there are at most [`MAX_CHECKED_POINTS`]; [`crate::check`]
//! applies every point of any sweep, and checks the charts against the whole sweep.
//!
//! A `[[chart]] kind = "timeseries"` plots recorded `[[series]]` against time: its `y` names
//! series metrics instead of run metrics, and its `x` is `"time"`.
//!
//! A `[[chart.reference]]` is a model curve (`expr`) or points measured elsewhere (`csv`, a
//! CSV file relative to the experiment file): the `data` module reads and checks those
//! files at load time, once, and keeps their texts for the manifest
//! ([`Experiment::data_files`]); [`Experiment::parse_with`] reads them from a manifest
//! instead of the disk.

mod chart;
mod data;
mod doc;
mod error;
pub mod limits;
mod link;
mod series;
mod sweep;
mod tcp;
pub mod units;
mod validate;
mod workload;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use synack_sim::Duration;

pub use chart::{
    CellValue, ChartConfig, ChartKind, CsvReference, Expr, ExprError, Reference, ReferenceKind,
    FLOW_CHART_COLUMNS, FLOW_COLUMNS, METRICS,
};
pub use data::DataFiles;
pub(crate) use error::suggest;
pub use error::{ConfigError, ErrorKind, Origin};
pub use link::{
    LinkConfig, LinkOverrides, LinkParams, Loss, Queue, Reorder, Stale, Threshold,
    DEFAULT_CODEL_LIMIT, DEFAULT_QUEUE,
};
pub use series::{SeriesConfig, SERIES_METRICS};
pub use sweep::parse_cli_value;
pub use tcp::TcpOverrides;
pub(crate) use tcp::TCP_KEYS;
pub use workload::{
    Arrivals, Bulk, Churn, Closer, Endpoint, Flags, Flood, Probe, Request, Script, ScriptSegment,
    ServerClose, Target, WorkloadConfig, WORKLOAD_KINDS,
};

use chart::RawChart;
use doc::Doc;
use link::RawLink;
use sweep::Axis;

/// Sweeps with at most this many points have every point checked at load time (beyond each
/// value on its own), so that a combination that is invalid (say `jitter` above `delay`)
/// is reported before anything runs.
pub const MAX_CHECKED_POINTS: usize = 1024;

/// `[sweep]`'s paths and values, in file order.
type SweepAxes = Vec<(String, Vec<toml::Value>)>;

/// A `[[host]]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    /// Unique among hosts; letters, digits, `-` and `_`.
    pub name: String,
    /// Overrides of the global `[tcp]` for this host (see [`TcpOverrides::resolve`]).
    #[serde(default)]
    pub tcp: TcpOverrides,
    /// A host group: this many hosts, `<name>[0]` to `<name>[count-1]`, alike. Absent: one
    /// host called `<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

impl HostConfig {
    /// The hosts it stands for: 1, or the group's `count`.
    pub fn members(&self) -> usize {
        self.count.map_or(1, |n| n as usize)
    }
}

/// A `[[router]]`: a node that forwards packets between its links and has no TCP.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouterConfig {
    /// Unique among hosts and routers; letters, digits, `-` and `_`.
    pub name: String,
}

/// A `[[route]]`: at node `at`, packets for host `to` leave on the link to `via`,
/// whatever the computed shortest path says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// A router (or a host with several links).
    pub at: String,
    /// The destination host (a group member `client[3]`, or every member `client[*]`).
    pub to: String,
    /// A neighbour of `at`: a link must join them.
    pub via: String,
}

/// What routes minimise: the top-level `routing` key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoutingMetric {
    /// The number of links crossed.
    #[default]
    Hops,
    /// The sum of the propagation delays.
    Delay,
}

/// A checked experiment: everything the file says, typed, with defaults filled in.
#[derive(Clone, Debug)]
pub struct Experiment {
    /// Results go to `results/<name>/`. Letters, digits, `.`, `-`, `_`.
    pub name: String,
    /// Free text. Default empty.
    pub description: String,
    /// Base of every random stream. Default 1.
    pub seed: u64,
    /// Simulated time limit of each run.
    pub duration: Duration,
    /// Independent seeds per sweep point. Default 1.
    pub replications: u32,
    /// The global `[tcp]` table (use [`Experiment::tcp_for`] for a host's resolved settings).
    pub tcp: TcpOverrides,
    /// The `[[host]]`s, in file order.
    pub hosts: Vec<HostConfig>,
    /// The `[[router]]`s, in file order.
    pub routers: Vec<RouterConfig>,
    /// The `[[link]]`s, in file order, both directions resolved.
    pub links: Vec<LinkConfig>,
    /// The static `[[route]]`s, in file order.
    pub routes: Vec<RouteConfig>,
    /// What shortest-path routes minimise. Default hops.
    pub routing: RoutingMetric,
    /// The TTL every host's packets start with (Linux's `ip_default_ttl`). Default 64.
    pub ttl: u8,
    /// The `[[workload]]`s, in file order.
    pub workloads: Vec<WorkloadConfig>,
    /// The `[[chart]]`s, in file order.
    pub charts: Vec<ChartConfig>,
    /// The `[[series]]`, in file order.
    pub series: Vec<SeriesConfig>,
    /// Write `flows.csv`: a row per flow (connection) of every run. Default false.
    pub flows: bool,
    /// The metrics the console summary shows after a run, in order (`summary = [...]`);
    /// empty: those the sweep charts plot. Each is a metric name, checked.
    pub summary: Vec<String>,
    /// The file name errors are reported against.
    file: String,
    /// The file's text as written (without the overrides applied since): where positions
    /// in errors found later (overrides, the charts against the sweep) are looked up.
    text: Arc<str>,
    /// The document as written, without `[sweep]`: what parameter paths edit.
    raw: toml::Table,
    /// `[sweep]`, in file order.
    sweep: Arc<SweepAxes>,
    /// `[sweep]` with the positions of its keys and values.
    axes: Arc<Vec<Axis>>,
    /// The texts of the files the charts' `csv` references read, by path as written.
    data_files: BTreeMap<String, Arc<str>>,
}

/// The top level of a file, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default = "default_seed")]
    seed: u64,
    #[serde(with = "units::duration")]
    duration: Duration,
    #[serde(default = "one")]
    replications: u32,
    #[serde(default)]
    tcp: TcpOverrides,
    #[serde(default)]
    host: Vec<HostConfig>,
    #[serde(default)]
    router: Vec<RouterConfig>,
    #[serde(default)]
    link: Vec<RawLink>,
    #[serde(default)]
    route: Vec<RouteConfig>,
    #[serde(default)]
    routing: RoutingMetric,
    #[serde(default = "default_ttl")]
    ttl: u8,
    /// Read in two steps by [`workload::parse_workloads`].
    #[serde(default)]
    #[allow(dead_code)]
    workload: Option<IgnoredAny>,
    /// Read by [`sweep::read_axes`], which keeps the file's order and positions.
    #[serde(default)]
    #[allow(dead_code)]
    sweep: Option<IgnoredAny>,
    #[serde(default)]
    chart: Vec<RawChart>,
    #[serde(default)]
    series: Vec<SeriesConfig>,
    #[serde(default)]
    flows: bool,
    #[serde(default)]
    summary: Vec<String>,
}

fn default_seed() -> u64 {
    1
}
fn one() -> u32 {
    1
}
fn default_ttl() -> u8 {
    64
}

impl Experiment {
    /// Reads, parses and checks an experiment file.
    pub fn load(path: &Path) -> Result<Experiment, ConfigError> {
        use std::io::Read;
        let file = path.display().to_string();
        let cannot_read = |e: std::io::Error| {
            ConfigError::file(
                &file,
                ErrorKind::Io,
                format!("cannot read the experiment file: {e}"),
            )
        };
        // Read one byte past the limit, to tell a file at the limit from a longer one
        // without reading the whole of a huge file (or an endless one, such as a pipe).
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(limits::MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(cannot_read)?;
        if bytes.len() as u64 > limits::MAX_FILE_BYTES {
            return Err(ConfigError::file(
                &file,
                ErrorKind::Io,
                format!(
                    "the experiment file is larger than {} MiB, the most synack reads",
                    limits::MAX_FILE_BYTES >> 20
                ),
            ));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            ConfigError::file(
                &file,
                ErrorKind::Io,
                format!(
                    "not UTF-8 text (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
            )
        })?;
        Experiment::parse(&text, &file)
    }

    /// Parses and checks the text of an experiment file; `file` names it in errors, and
    /// the files its charts read (`[[chart.reference]] csv`) are found relative to its
    /// directory.
    pub fn parse(text: &str, file: &str) -> Result<Experiment, ConfigError> {
        Experiment::parse_with(text, file, DataFiles::Disk)
    }

    /// Like [`Experiment::parse`], with the files its charts read taken from `files`.
    pub fn parse_with(
        text: &str,
        file: &str,
        files: DataFiles<'_>,
    ) -> Result<Experiment, ConfigError> {
        let doc = Doc::parse(text, file)?;
        let axes = Arc::new(sweep::read_axes(&doc)?);
        let sweep = Arc::new(
            axes.iter()
                .map(|a| (a.path.clone(), a.values.clone()))
                .collect(),
        );
        let mut exp = build(&doc, (&axes, &sweep))?;
        let mut raw: toml::Table = toml::from_str(text).map_err(|e| doc.error_from_toml(&e))?;
        raw.remove("sweep");
        exp.raw = raw;
        exp.check_sweep()?;
        validate::check_charts(&exp, &doc)?;
        data::read_references(&mut exp, &doc, files)?;
        Ok(exp)
    }

    /// The files the charts read (`[[chart.reference]] csv`): each path as the experiment
    /// writes it, with the text that was read, in path order.
    pub fn data_files(&self) -> impl Iterator<Item = (&str, &str)> {
        self.data_files.iter().map(|(k, v)| (k.as_str(), &**v))
    }

    /// The name of the file this experiment was read from, as errors name it.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// A copy with parameters set by path (`link.wan.loss`, `tcp.msl`, ...): the values of a
    /// sweep point, or the CLI's `--set PATH=VALUE`. The result is checked as a file is;
    /// an error names the override. Unless every path is a swept path, the sweep is checked
    /// again against the new values.
    pub fn with_overrides(
        &self,
        sets: &[(String, toml::Value)],
    ) -> Result<Experiment, ConfigError> {
        let exp = self.apply(sets)?;
        if sets
            .iter()
            .any(|(p, _)| !self.sweep.iter().any(|(a, _)| a == p))
        {
            exp.check_sweep().map_err(|mut e| {
                // The sweep was valid without the overrides: say which ones broke it.
                let shown: Vec<String> = sets.iter().map(|(p, v)| format!("`{p} = {v}`")).collect();
                e.message
                    .push_str(&format!(" (with override {})", shown.join(", ")));
                e
            })?;
        }
        Ok(exp)
    }

    /// The swept paths and their values, in file order.
    pub fn sweep_axes(&self) -> &[(String, Vec<toml::Value>)] {
        &self.sweep
    }

    /// Every sweep point: the cartesian product of the axes, the first axis varying
    /// slowest. Without a sweep, one point with no values.
    pub fn sweep_points(&self) -> Vec<Vec<(String, toml::Value)>> {
        sweep::product(&self.sweep)
    }

    /// The TCP settings of `host`, resolved: its profile (the host's `profile`, else the
    /// global one, else `linux`), then the global `[tcp]` keys, then the host's. An unknown
    /// host gets the global settings.
    pub fn tcp_for(&self, host: &str) -> synack_tcp::config::Config {
        let own = self.hosts.iter().find(|h| h.name == host).map(|h| &h.tcp);
        TcpOverrides::resolve(&self.tcp, own)
    }

    /// The resolved experiment, for `manifest.json`: each host's TCP settings in full,
    /// each link's two directions, every default filled in.
    pub fn to_json(&self) -> serde_json::Value {
        fn json<T: Serialize>(v: &T) -> serde_json::Value {
            serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
        }
        let hosts: Vec<serde_json::Value> = self
            .hosts
            .iter()
            .map(|h| {
                let mut host = serde_json::json!({
                    "name": h.name,
                    "tcp": json(&self.tcp_for(&h.name)),
                });
                if let Some(count) = h.count {
                    host["count"] = count.into();
                }
                host
            })
            .collect();
        let sweep: Vec<serde_json::Value> = self
            .sweep
            .iter()
            .map(|(path, values)| serde_json::json!({ "path": path, "values": json(values) }))
            .collect();
        let mut out = serde_json::json!({
            "file": self.file,
            "name": self.name,
            "description": self.description,
            "seed": self.seed,
            "duration": self.duration.to_string(),
            "replications": self.replications,
            "tcp": json(&self.tcp),
            "hosts": hosts,
            "links": json(&self.links),
            "workloads": json(&self.workloads),
            "sweep": sweep,
            "charts": json(&self.charts),
            "series": json(&self.series),
            "flows": self.flows,
        });
        out["routers"] = json(&self.routers);
        out["routes"] = json(&self.routes);
        out["routing"] = json(&self.routing);
        out["ttl"] = json(&self.ttl);
        out
    }

    /// Applies overrides to the raw document and reads it again.
    fn apply(&self, sets: &[(String, toml::Value)]) -> Result<Experiment, ConfigError> {
        let mut raw = self.raw.clone();
        for (path, value) in sets {
            sweep::set_path(&mut raw, path, value.clone()).map_err(|e| ConfigError {
                origin: Box::new(self.override_origin(
                    std::slice::from_ref(&(path.clone(), value.clone())),
                    Some(path),
                )),
                kind: ErrorKind::UnknownKey,
                key: Some(path.clone()),
                message: e.message,
                suggestion: e.suggestion,
            })?;
        }
        let text = toml::to_string(&raw).map_err(|e| ConfigError {
            origin: Box::new(self.override_origin(sets, None)),
            kind: ErrorKind::Invalid,
            key: None,
            message: format!("the overridden document cannot be written as TOML: {e}"),
            suggestion: None,
        })?;
        let doc = Doc::parse(&text, &self.file)
            .map_err(|e| e.relocated(self.override_origin(sets, None)))?;
        let mut exp = build(&doc, (&self.axes, &self.sweep)).map_err(|e| {
            // Positions in the rewritten document mean nothing to the user: name the
            // override the error is about (or all of them), at the key in the file as written.
            let key = e.key.clone().unwrap_or_default();
            let related: Vec<(String, toml::Value)> = sets
                .iter()
                .filter(|(p, _)| {
                    key == *p
                        || key.starts_with(&format!("{p}."))
                        || key.starts_with(&format!("{p}["))
                        || p.starts_with(&format!("{key}."))
                })
                .cloned()
                .collect();
            let shown = if related.is_empty() { sets } else { &related };
            let origin = self.override_origin(shown, e.key.as_deref());
            e.relocated(origin)
        })?;
        exp.raw = raw;
        exp.file = self.file.clone();
        exp.text = self.text.clone();
        // Overrides cannot reach the charts: the points read from their files still hold.
        exp.charts = self.charts.clone();
        exp.data_files = self.data_files.clone();
        Ok(exp)
    }

    /// Where an error found with overrides applied is reported: the overrides, and the
    /// position in the file as written of the key the error is about, else of the first
    /// override's key (or of the nearest table enclosing it).
    fn override_origin(&self, sets: &[(String, toml::Value)], key: Option<&str>) -> Origin {
        let position = Doc::parse(&self.text, &self.file).ok().and_then(|doc| {
            key.into_iter()
                .chain(sets.iter().map(|(p, _)| p.as_str()))
                .find_map(|k| doc.position_of(&doc.path_of_key(k)))
        });
        Origin::Override {
            file: self.file.clone(),
            position,
            sets: sets
                .iter()
                .map(|(p, v)| (p.clone(), v.to_string()))
                .collect(),
        }
    }

    /// Refuses an override of a swept path (the sweep would override it), at the path's
    /// key in `[sweep]`.
    pub(crate) fn refuse_swept(&self, sets: &[(String, toml::Value)]) -> Result<(), ConfigError> {
        for (path, _) in sets {
            if let Some(axis) = self.axes.iter().find(|a| a.path == *path) {
                return Err(ConfigError {
                    origin: Box::new(Origin::File {
                        file: self.file.clone(),
                        position: Some(axis.key_pos),
                    }),
                    kind: ErrorKind::Invalid,
                    key: Some(path.clone()),
                    message: format!(
                        "--set {path}: this path is swept in [sweep] of {}; the sweep would \
                         override it (edit the sweep list to run fewer values)",
                        self.file
                    ),
                    suggestion: None,
                });
            }
        }
        Ok(())
    }

    /// This experiment at one sweep point (its values applied), checked. An error is
    /// reported in `[sweep]`: at the value of a one-path sweep, else at the first swept path
    /// with every value of the point.
    pub(crate) fn at_point(
        &self,
        point: &[(String, toml::Value)],
    ) -> Result<Experiment, ConfigError> {
        self.apply(point)
            .map_err(|e| e.relocated(self.point_origin(point)))
    }

    fn point_origin(&self, point: &[(String, toml::Value)]) -> Origin {
        if let [(path, value)] = point {
            if let Some(axis) = self.axes.iter().find(|a| a.path == *path) {
                let i = axis.values.iter().position(|v| v == value).unwrap_or(0);
                return sweep::sweep_origin(&self.file, axis, i);
            }
        }
        Origin::SweepPoint {
            file: self.file.clone(),
            position: self.axes.first().map_or((1, 1), |a| a.key_pos),
            values: point
                .iter()
                .map(|(p, v)| (p.clone(), v.to_string()))
                .collect(),
        }
    }

    /// Every sweep chart shows every swept path (as its x or its series), located in the
    /// file as written.
    pub(crate) fn check_charts_cover_sweep(&self) -> Result<(), ConfigError> {
        let doc = Doc::parse(&self.text, &self.file)?;
        validate::check_chart_sweep(self, &doc)
    }

    /// `flows = true` writes at most [`limits::MAX_FLOW_ROWS`] rows: `rows` is `check`'s
    /// estimate of the connections of all runs.
    pub(crate) fn refuse_flow_rows(&self, rows: f64) -> Result<(), ConfigError> {
        let max = limits::MAX_FLOW_ROWS;
        if rows <= max as f64 {
            return Ok(());
        }
        let doc = Doc::parse(&self.text, &self.file)?;
        Err(doc.invalid(
            &doc::doc_path!["flows"],
            format!(
                "the runs would open about {rows:.0} connections, a row each in flows.csv; at \
                 most {max} rows are allowed (every row is kept in memory until the results \
                 are written): shorten the runs, lower the rates, sweep fewer values or \
                 replications, or leave `flows` out"
            ),
        ))
    }

    /// Applies every sweep value on its own, then (for small sweeps) every point, and
    /// reports the first failure at the `[sweep]` entry's position.
    fn check_sweep(&self) -> Result<(), ConfigError> {
        for axis in self.axes.iter() {
            if let Some(first) = axis.values.first() {
                let mut raw = self.raw.clone();
                sweep::set_path(&mut raw, &axis.path, first.clone()).map_err(|e| ConfigError {
                    origin: Box::new(Origin::File {
                        file: self.file.clone(),
                        position: Some(axis.key_pos),
                    }),
                    kind: ErrorKind::UnknownKey,
                    key: Some(axis.path.clone()),
                    message: format!("[sweep] \"{}\": {}", axis.path, e.message),
                    suggestion: e.suggestion,
                })?;
            }
            for (i, value) in axis.values.iter().enumerate() {
                self.apply(&[(axis.path.clone(), value.clone())])
                    .map_err(|e| e.relocated(sweep::sweep_origin(&self.file, axis, i)))?;
            }
        }
        let count = self
            .sweep
            .iter()
            .try_fold(1usize, |n, (_, v)| n.checked_mul(v.len()));
        if self.sweep.len() > 1 && count.is_some_and(|n| n <= MAX_CHECKED_POINTS) {
            for point in self.sweep_points() {
                self.at_point(&point)?;
            }
        }
        Ok(())
    }
}

/// The typed experiment from a parsed document, checked (but for the charts); `raw` is
/// left empty.
fn build(
    doc: &Doc<'_>,
    (axes, sweep): (&Arc<Vec<Axis>>, &Arc<SweepAxes>),
) -> Result<Experiment, ConfigError> {
    let f: FileDoc = doc.deserialize(|| doc.root_value())?;
    for (i, chart) in f.chart.iter().enumerate() {
        if chart.kind == ChartKind::Sweep && chart.x.is_none() {
            return Err(doc.invalid(
                &doc::doc_path!["chart", i],
                "missing key `x`: the swept path to plot against",
            ));
        }
    }
    let mut workloads = workload::parse_workloads(doc)?;
    for w in &mut workloads {
        let stop = match w {
            WorkloadConfig::Probe(p) => &mut p.stop,
            WorkloadConfig::Churn(c) => &mut c.stop,
            WorkloadConfig::Pool(c) => &mut c.stop,
            WorkloadConfig::Flood(fl) => &mut fl.stop,
            _ => continue,
        };
        if *stop == workload::until_end() {
            *stop = f.duration;
        }
    }
    let exp = Experiment {
        name: f.name,
        description: f.description,
        seed: f.seed,
        duration: f.duration,
        replications: f.replications,
        tcp: f.tcp,
        hosts: f.host,
        routers: f.router,
        links: f.link.iter().map(RawLink::resolve).collect(),
        routes: f.route,
        routing: f.routing,
        ttl: f.ttl,
        workloads,
        charts: f
            .chart
            .into_iter()
            .enumerate()
            .map(|(i, c)| c.resolve(i, doc))
            .collect::<Result<_, _>>()?,
        series: f.series,
        flows: f.flows,
        summary: f.summary,
        file: doc.file.to_string(),
        text: Arc::from(doc.text),
        raw: toml::Table::new(),
        // Shared, not copied: an experiment is rebuilt for every sweep value and point.
        sweep: Arc::clone(sweep),
        axes: Arc::clone(axes),
        data_files: BTreeMap::new(),
    };
    validate::check(&exp, doc)?;
    Ok(exp)
}
