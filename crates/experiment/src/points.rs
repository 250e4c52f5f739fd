//! Sweep points by their values: how `synack check` lists them (`#N path=value …`), how
//! `synack trace --where PATH=VALUE` finds one, and the numbers behind swept quantities
//! (`"500ms"` is 0.5 s) that the results' companion columns hold.
//!
//! Values are compared as the experiment file means them: `"500ms"` and `"0.5s"` are the
//! same duration, `1` and `1.0` the same number, inline tables the same when every key's
//! value is.

use synack_sim::Duration;

use crate::config::units::{parse_duration, parse_rate, parse_size};
use crate::Checked;

/// A swept string that names a quantity with a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// `"500ms"`.
    Duration(Duration),
    /// `"64KiB"`, bytes.
    Size(u64),
    /// `"10Mbps"`, bits per second.
    Rate(u64),
}

impl Quantity {
    /// The suffix of its numeric companion column (`link.ab.delay_s`) and the number it holds:
    /// seconds, bytes or bits per second.
    pub fn companion(self) -> (&'static str, f64) {
        match self {
            Quantity::Duration(d) => ("_s", d.as_secs_f64()),
            Quantity::Size(b) => ("_bytes", b as f64),
            Quantity::Rate(bps) => ("_bps", bps as f64),
        }
    }

    /// The kind of quantity, for comparing companions' kinds.
    fn kind(self) -> u8 {
        match self {
            Quantity::Duration(_) => 0,
            Quantity::Size(_) => 1,
            Quantity::Rate(_) => 2,
        }
    }
}

/// The quantity a string writes, if it writes one with a unit (a bare `"1500"` is text).
pub fn quantity(s: &str) -> Option<Quantity> {
    if !s.chars().any(|c| c.is_alphabetic()) {
        return None;
    }
    parse_duration(s)
        .map(Quantity::Duration)
        .or_else(|_| parse_rate(s).map(Quantity::Rate))
        .or_else(|_| parse_size(s).map(Quantity::Size))
        .ok()
}

/// The quantity a swept value writes, if it is a string with a unit.
pub fn value_quantity(v: &toml::Value) -> Option<Quantity> {
    v.as_str().and_then(quantity)
}

/// The kind of quantity every value of an axis writes, as a companion column's suffix:
/// `Some` only when all of them are quantities of one kind.
pub fn axis_companion(values: &[toml::Value]) -> Option<&'static str> {
    let mut kinds = values.iter().map(value_quantity);
    let first = kinds.next()??;
    kinds
        .all(|q| q.is_some_and(|q| q.kind() == first.kind()))
        .then(|| first.companion().0)
}

/// Whether two values mean the same: quantities by amount, numbers by value (integer or
/// float), arrays and tables element by element, other strings by text.
pub fn same_value(a: &toml::Value, b: &toml::Value) -> bool {
    use toml::Value as V;
    let number = |v: &V| match v {
        V::Integer(i) => Some(*i as f64),
        V::Float(f) => Some(*f),
        _ => None,
    };
    match (a, b) {
        (V::String(x), V::String(y)) => match (quantity(x), quantity(y)) {
            (Some(p), Some(q)) => p == q,
            _ => x == y,
        },
        (V::Array(x), V::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q))
        }
        (V::Table(x), V::Table(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| same_value(p, q)))
        }
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// A swept value as `--where` takes it back: strings bare, everything else as TOML.
pub fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A point as `synack check` lists it: `#3 link.ab.loss=0.01 tcp.profile=linux`.
pub fn label(index: usize, params: &[(String, toml::Value)]) -> String {
    let mut text = format!("#{index}");
    for (path, value) in params {
        text.push_str(&format!(" {path}={}", value_text(value)));
    }
    text
}

/// Sweeps of up to this many points are listed whole by [`listing`].
pub const LISTED_WHOLE: usize = 24;

/// The lines `synack check` prints for the points of a sweep: every point when there are
/// at most [`LISTED_WHOLE`], else the first and last `ends` with a line counting the rest.
/// Nothing without a sweep.
pub fn listing(points: &[Vec<(String, toml::Value)>], ends: usize) -> Vec<String> {
    if points.iter().all(|p| p.is_empty()) {
        return Vec::new();
    }
    let labels = |range: std::ops::Range<usize>| range.map(|i| label(i, &points[i]));
    if points.len() <= LISTED_WHOLE.max(2 * ends + 1) {
        return labels(0..points.len()).collect();
    }
    let rest = points.len() - 2 * ends;
    labels(0..ends)
        .chain([format!(
            "… {rest} more point{} …",
            if rest == 1 { "" } else { "s" }
        )])
        .chain(labels(points.len() - ends..points.len()))
        .collect()
}

/// Why `--where` chose no single point.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// A path the sweep does not vary.
    #[error("--where {path}=…: `{path}` is not swept; {}", swept_paths(swept))]
    NotSwept { path: String, swept: Vec<String> },
    /// A path given twice.
    #[error("--where {path}=…: given twice; a point has one value of each swept path")]
    Twice { path: String },
    /// No point has every value asked for.
    #[error("no sweep point has {asked}; {takes}")]
    NoMatch { asked: String, takes: String },
    /// Several points have every value asked for.
    #[error(
        "{} sweep points have {asked}: {}; add --where for {}",
        matches.len(),
        matches.join(", "),
        unasked.join(" or ")
    )]
    Several {
        asked: String,
        matches: Vec<String>,
        unasked: Vec<String>,
    },
}

fn swept_paths(paths: &[String]) -> String {
    if paths.is_empty() {
        "the experiment has no [sweep]".to_string()
    } else {
        format!("the swept paths are {}", paths.join(", "))
    }
}

/// The one point of `checked` whose values are `wheres` (`PATH = VALUE`, as `--where`
/// gives them; a path may be given once).
pub fn select(checked: &Checked, wheres: &[(String, toml::Value)]) -> Result<usize, SelectError> {
    let points: Vec<Vec<(String, toml::Value)>> =
        checked.points.iter().map(|p| p.params.clone()).collect();
    select_among(checked.experiment.sweep_axes(), &points, wheres)
}

/// Whether a point's values (`params`) are those `wheres` asks for.
pub fn matches(params: &[(String, toml::Value)], wheres: &[(String, toml::Value)]) -> bool {
    wheres
        .iter()
        .all(|(path, want)| params.iter().any(|(k, v)| k == path && same_value(v, want)))
}

/// [`select`] among the values of every point (`points`, in order) of a sweep of `axes`.
pub fn select_among(
    axes: &[(String, Vec<toml::Value>)],
    points: &[Vec<(String, toml::Value)>],
    wheres: &[(String, toml::Value)],
) -> Result<usize, SelectError> {
    let swept: Vec<String> = axes.iter().map(|(p, _)| p.clone()).collect();
    for (i, (path, _)) in wheres.iter().enumerate() {
        if wheres[..i].iter().any(|(p, _)| p == path) {
            return Err(SelectError::Twice { path: path.clone() });
        }
        if !swept.contains(path) {
            return Err(SelectError::NotSwept {
                path: path.clone(),
                swept,
            });
        }
    }
    let found: Vec<(usize, &Vec<(String, toml::Value)>)> = (points.iter().enumerate())
        .filter(|(_, p)| matches(p, wheres))
        .collect();
    let asked = wheres
        .iter()
        .map(|(p, v)| format!("{p}={}", value_text(v)))
        .collect::<Vec<_>>()
        .join(" and ");
    match found.as_slice() {
        [(one, _)] => Ok(*one),
        [] => {
            let takes = axes
                .iter()
                .filter(|(p, _)| wheres.iter().any(|(w, _)| w == p))
                .map(|(p, values)| {
                    let values: Vec<String> = values.iter().map(value_text).collect();
                    format!("{p} takes {}", values.join(", "))
                })
                .collect::<Vec<_>>()
                .join("; ");
            Err(SelectError::NoMatch { asked, takes })
        }
        several => Err(SelectError::Several {
            asked: if asked.is_empty() {
                "any values".to_string()
            } else {
                asked
            },
            matches: several
                .iter()
                .take(10)
                .map(|(i, p)| label(*i, p))
                .chain((several.len() > 10).then(|| format!("… {} more", several.len() - 10)))
                .collect(),
            unasked: swept
                .into_iter()
                .filter(|s| !wheres.iter().any(|(w, _)| w == s))
                .collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> toml::Value {
        crate::config::parse_cli_value(text)
    }

    #[test]
    fn values_compare_as_the_file_means_them() {
        assert!(same_value(&v("500ms"), &v("0.5s")));
        assert!(!same_value(&v("500ms"), &v("5s")));
        assert!(same_value(&v("1"), &v("1.0")));
        assert!(same_value(&v("64KiB"), &v("65536B")));
        assert!(same_value(&v("1Gbps"), &v("1000Mbps")));
        assert!(same_value(&v("linux"), &v("\"linux\"")));
        assert!(!same_value(&v("linux"), &v("rfc")));
        assert!(same_value(
            &v("{ model = \"gilbert-elliott\", p = 0.1, r = 1 }"),
            &v("{ r = 1.0, p = 0.1, model = \"gilbert-elliott\" }")
        ));
        assert!(!same_value(&v("0.01"), &v("\"0.01\"")));
    }

    #[test]
    fn quantities_and_their_companions() {
        assert_eq!(quantity("500ms").unwrap().companion(), ("_s", 0.5));
        assert_eq!(quantity("4KiB").unwrap().companion(), ("_bytes", 4096.0));
        assert_eq!(quantity("10Mbps").unwrap().companion(), ("_bps", 1e7));
        assert_eq!(quantity("linux"), None);
        assert_eq!(quantity("1500"), None);
        assert_eq!(axis_companion(&[v("1s"), v("500ms")]), Some("_s"));
        assert_eq!(axis_companion(&[v("1s"), v("1MB")]), None);
        assert_eq!(axis_companion(&[v("1s"), v("2")]), None);
        assert_eq!(axis_companion(&[v("0.1")]), None);
    }
}
