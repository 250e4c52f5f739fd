//! `[[chart]]`: what to draw from the results, and the metric names a chart may use.

use std::fmt;

use exmex::prelude::*;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::doc::{doc_path, Doc, Seg};
use super::error::ConfigError;

/// Every metric, in the order of `runs.csv`'s columns (see [`crate::metrics`]).
pub use crate::metrics::METRIC_NAMES as METRICS;

/// `flows.csv`'s columns after `point` and `replication` (`flows = true`): one row per
/// flow (connection) of a run.
pub const FLOW_COLUMNS: &[&str] = &[
    "flow",
    "workload",
    "client",
    "server",
    "start_s",
    "established_s",
    "closed_s",
    "end",
    "bytes_to_server",
    "bytes_to_client",
    "goodput_bps",
    "retransmits",
    "rto_timeouts",
    "handshake_s",
    "srtt_s",
];

/// The columns of `flows.csv` a `kind = "flows"` chart can plot: its numbers.
pub const FLOW_CHART_COLUMNS: &[&str] = &[
    "flow",
    "start_s",
    "established_s",
    "closed_s",
    "bytes_to_server",
    "bytes_to_client",
    "goodput_bps",
    "retransmits",
    "rto_timeouts",
    "handshake_s",
    "srtt_s",
];

/// What a chart plots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    /// Metrics (mean and 95% interval over replications) against a swept parameter.
    #[default]
    Sweep,
    /// Recorded `[[series]]` over simulated time.
    Timeseries,
    /// Columns of `flows.csv`: one point per flow (replication 0 of each sweep point), or
    /// with `x = "cdf"` the distribution of a column over the flows.
    Flows,
}

/// One chart, resolved.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChartConfig {
    /// File stem of the chart's `.png` and `.svg`. Default: `<y>-vs-<x>` (with
    /// `-by-<series>`), every character but letters, digits, `-` and `_` replaced by `_`.
    pub name: String,
    /// Default `sweep`.
    pub kind: ChartKind,
    /// The horizontal axis: a swept parameter path (`kind = "sweep"`). For a timeseries it
    /// defaults to `"time"`.
    pub x: String,
    /// A sweep chart's horizontal position as a function of the swept value `x` (in base
    /// units: seconds, bytes, bit/s), e.g. a Gilbert–Elliott model's mean loss rate
    /// `"x/(x + 0.25)"` from its swept `p`. Reference `expr`s and `csv` x columns are in the
    /// plotted units. Default: the swept value itself.
    pub x_expr: Option<Expr>,
    /// One or more metric names from [`METRICS`].
    pub y: Vec<String>,
    /// Another swept path: one line per value.
    pub series: Option<String>,
    /// Title. Default: chosen by the plotter.
    pub title: Option<String>,
    /// Label of the x axis. Default: chosen by the plotter (the path).
    pub x_label: Option<String>,
    /// Label of the y axis. Default: chosen by the plotter (the metric).
    pub y_label: Option<String>,
    /// Logarithmic x axis. Default false.
    pub log_x: bool,
    /// Logarithmic y axis. Default false.
    pub log_y: bool,
    /// Model curves and measured points drawn beside the measurements.
    pub reference: Vec<Reference>,
}

/// `[[chart]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChart {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub kind: ChartKind,
    /// Required for sweep charts (checked by `build`).
    #[serde(default)]
    pub x: Option<String>,
    #[serde(default)]
    pub x_expr: Option<Expr>,
    pub y: OneOrMany,
    #[serde(default)]
    pub series: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub x_label: Option<String>,
    #[serde(default)]
    pub y_label: Option<String>,
    #[serde(default)]
    pub log_x: bool,
    #[serde(default)]
    pub log_y: bool,
    #[serde(default)]
    pub reference: Vec<RawReference>,
}

impl RawChart {
    /// The chart (`[[chart]]` #`i` of `doc`) with its defaults filled in, and its
    /// references checked (a `csv` reference's rows are read later, by the `data` module).
    pub(crate) fn resolve(self, i: usize, doc: &Doc<'_>) -> Result<ChartConfig, ConfigError> {
        let x = self.x.unwrap_or_else(|| {
            match self.kind {
                ChartKind::Flows => "flow",
                _ => "time",
            }
            .to_string()
        });
        let name = self.name.unwrap_or_else(|| {
            // A file stem: anything but letters, digits, `-` and `_` (a path's dots, the
            // colon of `sockets:TIME-WAIT`) becomes `_`.
            let stem = |s: &str| {
                s.chars()
                    .map(|c| match c {
                        'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' => c,
                        _ => '_',
                    })
                    .collect::<String>()
            };
            let mut name = format!("{}-vs-{}", stem(&self.y.0.join("-")), stem(&x));
            if let Some(series) = &self.series {
                name.push_str(&format!("-by-{}", stem(series)));
            }
            name
        });
        let reference = self
            .reference
            .into_iter()
            .enumerate()
            .map(|(j, r)| r.resolve(doc, &doc_path!["chart", i, "reference", j]))
            .collect::<Result<_, _>>()?;
        Ok(ChartConfig {
            name,
            kind: self.kind,
            x,
            x_expr: self.x_expr,
            y: self.y.0,
            series: self.series,
            title: self.title,
            x_label: self.x_label,
            y_label: self.y_label,
            log_x: self.log_x,
            log_y: self.log_y,
            reference,
        })
    }
}

/// A string or a list of strings.
pub(crate) struct OneOrMany(pub Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OneOrMany, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a metric name or a list of metric names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_string()]))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                if out.is_empty() {
                    return Err(de::Error::custom(
                        "expected at least one metric name, found an empty list",
                    ));
                }
                Ok(OneOrMany(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[[chart.reference]]`: something drawn beside the measurements, under a legend label:
/// a model curve (`expr`) or points measured elsewhere (`csv`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reference {
    /// Legend text.
    pub label: String,
    /// What is drawn.
    #[serde(flatten)]
    pub kind: ReferenceKind,
}

/// The two kinds of reference; a `[[chart.reference]]` has exactly one of `expr` and `csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ReferenceKind {
    /// `expr`: a curve, an arithmetic expression in `x`, drawn as a dashed line.
    Expr {
        /// The curve (boxed: a compiled expression is large).
        expr: Box<Expr>,
    },
    /// `csv`: measured points, drawn as markers with 95 % confidence bars.
    Csv(CsvReference),
}

/// Measured points read from a CSV file (with a header row): column `x` against column `y`,
/// over the rows that match `where`. Rows that share an x are one point: their mean, with
/// the 95 % confidence interval of the mean (Student's t), as synack's own series are drawn.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CsvReference {
    /// The file, as written: relative to the experiment file's directory (or absolute).
    pub csv: String,
    /// The column of x values, in the chart's x units (base units: seconds, bytes, bit/s).
    pub x: String,
    /// The column of y values.
    pub y: String,
    /// Only rows whose cell in each column is the value given (or one of the values, for
    /// a list): a string matches the cell's text, a number its numeric value (`1` matches
    /// `1` and `1.0`), a boolean `true` or `false` in any case. Empty: every row.
    #[serde(rename = "where", skip_serializing_if = "Vec::is_empty")]
    #[serde(serialize_with = "serialize_filter")]
    pub filter: Vec<(String, Vec<CellValue>)>,
    /// The matching rows' (x, y), in file order; read when the experiment is loaded (see
    /// the `data` module).
    #[serde(skip)]
    pub rows: Vec<(f64, f64)>,
}

/// A value a `where` condition matches a CSV cell against.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum CellValue {
    /// The cell's text, exactly (cells are trimmed of surrounding spaces).
    Text(String),
    /// The cell read as a number, for an integer as written.
    Integer(i64),
    /// The cell read as a number.
    Number(f64),
    /// `true` or `false`, in any case.
    Bool(bool),
}

impl CellValue {
    /// Whether `cell` (already trimmed) matches.
    pub fn matches(&self, cell: &str) -> bool {
        match self {
            CellValue::Text(t) => cell == t,
            CellValue::Integer(i) => cell.parse::<f64>().is_ok_and(|c| c == *i as f64),
            CellValue::Number(n) => cell.parse::<f64>().is_ok_and(|c| c == *n),
            CellValue::Bool(b) => cell.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        }
    }
}

impl fmt::Display for CellValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CellValue::Text(t) => write!(f, "\"{t}\""),
            CellValue::Integer(i) => write!(f, "{i}"),
            CellValue::Number(n) => write!(f, "{n}"),
            CellValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// `where` as a table, a lone value as itself and several as a list, as written.
fn serialize_filter<S: Serializer>(
    filter: &[(String, Vec<CellValue>)],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(filter.len()))?;
    for (column, values) in filter {
        match values.as_slice() {
            [one] => map.serialize_entry(column, one)?,
            many => map.serialize_entry(column, many)?,
        }
    }
    map.end()
}

impl Reference {
    /// The model curve, for an `expr` reference.
    pub fn expr(&self) -> Option<&Expr> {
        match &self.kind {
            ReferenceKind::Expr { expr } => Some(expr),
            ReferenceKind::Csv(_) => None,
        }
    }

    /// The measured points, for a `csv` reference.
    pub fn csv(&self) -> Option<&CsvReference> {
        match &self.kind {
            ReferenceKind::Csv(c) => Some(c),
            ReferenceKind::Expr { .. } => None,
        }
    }
}

/// `[[chart.reference]]` as written; [`RawReference::resolve`] checks that it is one kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReference {
    pub label: String,
    #[serde(default)]
    pub expr: Option<Expr>,
    #[serde(default)]
    pub csv: Option<String>,
    #[serde(default)]
    pub x: Option<String>,
    #[serde(default)]
    pub y: Option<String>,
    #[serde(default, rename = "where")]
    pub filter: Option<toml::Table>,
}

/// Why a reference is neither kind, or both.
const NEITHER: &str = "a reference needs `expr` (a model curve in x) or `csv` (a CSV file of \
                       measured points, with `x` and `y` naming its columns)";
const BOTH: &str = "a reference has either `expr` (a model curve) or `csv` (measured points), \
                    not both";
const NOT_FOR_EXPR: &str = "belongs to a `csv` reference (a column of its file); an `expr` \
                            curve takes only `label` and `expr`";

impl RawReference {
    /// The reference at `at` in `doc`, checked to be of one kind. A `csv` reference's rows
    /// are left empty.
    pub(crate) fn resolve(self, doc: &Doc<'_>, at: &[Seg]) -> Result<Reference, ConfigError> {
        let key = |k: &str| {
            let mut path = at.to_vec();
            path.push(Seg::Key(k.to_string()));
            path
        };
        let columns = Columns {
            x: self.x,
            y: self.y,
            filter: self.filter,
        };
        let kind = match (self.expr, self.csv) {
            (Some(_), Some(_)) => return Err(doc.invalid(&key("csv"), BOTH)),
            (None, None) => return Err(doc.invalid(at, NEITHER)),
            (Some(expr), None) => {
                let csv_only = [
                    ("x", columns.x.is_some()),
                    ("y", columns.y.is_some()),
                    ("where", columns.filter.is_some()),
                ];
                if let Some((k, _)) = csv_only.iter().find(|(_, given)| *given) {
                    return Err(doc.invalid(&key(k), NOT_FOR_EXPR));
                }
                ReferenceKind::Expr {
                    expr: Box::new(expr),
                }
            }
            (None, Some(csv)) => ReferenceKind::Csv(columns.resolve(csv, doc, at, key)?),
        };
        Ok(Reference {
            label: self.label,
            kind,
        })
    }
}

/// The keys of a `csv` reference besides the file, as written.
struct Columns {
    x: Option<String>,
    y: Option<String>,
    filter: Option<toml::Table>,
}

impl Columns {
    /// The `csv` reference at `at` reading `csv`: its columns given, its `where` values of a
    /// kind a cell can match.
    fn resolve(
        self,
        csv: String,
        doc: &Doc<'_>,
        at: &[Seg],
        key: impl Fn(&str) -> Vec<Seg>,
    ) -> Result<CsvReference, ConfigError> {
        if csv.trim().is_empty() {
            return Err(doc.invalid(&key("csv"), "expected the path of a CSV file, found \"\""));
        }
        let column = |given: Option<String>, k: &str| {
            given.ok_or_else(|| {
                let why = format!("missing key `{k}`: the column of the CSV file that holds the");
                doc.invalid(at, format!("{why} {k} values"))
            })
        };
        let (x, y) = (column(self.x, "x")?, column(self.y, "y")?);
        let mut filter = Vec::new();
        for (name, value) in self.filter.unwrap_or_default() {
            let mut path = key("where");
            path.push(Seg::Key(name.clone()));
            let values = cell_values(&value).map_err(|m| doc.invalid(&path, m))?;
            filter.push((name, values));
        }
        Ok(CsvReference {
            csv,
            x,
            y,
            filter,
            rows: Vec::new(),
        })
    }
}

/// A `where` value: one string, number or boolean, or a non-empty list of them.
fn cell_values(value: &toml::Value) -> Result<Vec<CellValue>, String> {
    let one = |v: &toml::Value| match v {
        toml::Value::String(s) => Ok(CellValue::Text(s.clone())),
        toml::Value::Integer(i) => Ok(CellValue::Integer(*i)),
        toml::Value::Float(f) if f.is_finite() => Ok(CellValue::Number(*f)),
        toml::Value::Boolean(b) => Ok(CellValue::Bool(*b)),
        other => Err(format!(
            "expected a string, a number, a boolean or a list of them, found {}",
            other.type_str()
        )),
    };
    match value {
        toml::Value::Array(items) if items.is_empty() => {
            Err("expected at least one value, found an empty list".to_string())
        }
        toml::Value::Array(items) => items.iter().map(one).collect(),
        v => Ok(vec![one(v)?]),
    }
}

/// An arithmetic expression in one variable `x`, checked when the file is loaded:
/// `"1460*8/0.04*sqrt(1.5/x)"`.
///
/// All arithmetic is in `f64` (`3/2` is 1.5). Operators `+ - * / ^`, parentheses, and the
/// functions of [`exmex`]: `sqrt`, `exp`, `ln` (also `log`), `log10`, `log2`, `abs`, `sin`,
/// `cos`, `tan`, `min`, `max` and others, and the constants `PI` and `E`. Numbers are
/// decimals without exponents (`0.001`, not `1e-3`).
#[derive(Clone)]
pub struct Expr {
    text: String,
    compiled: FlatEx<f64>,
    /// Whether `x` occurs (if not, the expression takes no variables at all).
    uses_x: bool,
}

/// Why an expression cannot be parsed or evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ExprError(String);

impl Expr {
    /// Parses and checks an expression.
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        let bad = |why: String| ExprError(format!("invalid expression \"{text}\": {why}"));
        // exmex assumes ASCII in places; nothing a model curve needs is outside it.
        if let Some(c) = text.chars().find(|c| !c.is_ascii() || c.is_ascii_control()) {
            return Err(bad(format!("unexpected character {c:?}")));
        }
        if text.trim().is_empty() {
            return Err(bad("it is empty".to_string()));
        }
        let compiled = exmex::parse::<f64>(text).map_err(|e| bad(readable(e.msg())))?;
        let vars = compiled.var_names();
        if let Some(v) = vars.iter().find(|v| v.as_str() != "x") {
            return Err(bad(format!("unknown name `{v}`; the only variable is `x`")));
        }
        let uses_x = !vars.is_empty();
        let expr = Expr {
            text: text.to_string(),
            compiled,
            uses_x,
        };
        // One trial evaluation catches arity mistakes that parsing lets through.
        expr.eval(1.0).map_err(|e| bad(e.0))?;
        Ok(expr)
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The value at `x`. Non-finite results (`sqrt(-1)`, `1/0`) are returned as they are.
    pub fn eval(&self, x: f64) -> Result<f64, ExprError> {
        let args: &[f64] = if self.uses_x { &[x] } else { &[] };
        self.compiled
            .eval(args)
            .map_err(|e| ExprError(e.msg().to_string()))
    }
}

/// exmex's message in a user's words where it speaks of its own parse tree ("we have 0 ops
/// and 2 node..."): operands and operators that do not pair up.
fn readable(msg: &str) -> String {
    let numbers: Vec<usize> = msg
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    match (msg.starts_with("we have"), numbers.as_slice()) {
        (true, [ops, nodes]) if *nodes > ops + 1 => {
            "two values follow each other without an operator between them (write `2 * x`, \
             not `2 x`)"
                .to_string()
        }
        (true, [_, _]) => "an operator lacks a value on one side (as in `2 *`)".to_string(),
        _ => msg.to_string(),
    }
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Expr({:?})", self.text)
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        self.text == other.text
    }
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Expr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Expr, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Expr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an arithmetic expression in x, such as \"1460*8/0.04*sqrt(1.5/x)\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Expr, E> {
                Expr::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        let e = Expr::parse("1460*8/0.04*sqrt(1.5/x)").unwrap();
        let v = e.eval(0.01).unwrap();
        assert!((v - 1460.0 * 8.0 / 0.04 * (1.5f64 / 0.01).sqrt()).abs() < 1e-6);
        assert_eq!(Expr::parse("3/2").unwrap().eval(7.0), Ok(1.5));
        assert_eq!(Expr::parse("x^2+1").unwrap().eval(3.0), Ok(10.0));
        assert!(Expr::parse("y*2")
            .unwrap_err()
            .0
            .contains("unknown name `y`"));
        assert!(Expr::parse("sqrt(").is_err());
        assert!(Expr::parse("").is_err());
        assert!(Expr::parse("é").is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn expressions_never_panic(text in "[-+*/^(),. 0-9xyEPIsqrtlnexpabsminmax]{0,24}") {
            if let Ok(e) = Expr::parse(&text) {
                let _ = e.eval(0.5);
                let _ = e.eval(-1.0);
            }
        }

        #[test]
        fn printable_expressions_never_panic(text in "[ -~]{0,16}") {
            if let Ok(e) = Expr::parse(&text) {
                let _ = e.eval(2.0);
            }
        }
    }

    #[test]
    fn metrics_are_unique() {
        let mut m = METRICS.to_vec();
        m.sort_unstable();
        m.dedup();
        assert_eq!(m.len(), METRICS.len());
    }
}
