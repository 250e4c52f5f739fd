//! Parameter paths and `[sweep]`.
//!
//! A parameter path is dotted; the elements of `[[host]]`, `[[link]]` and `[[workload]]` are
//! addressed by their `name`: `tcp.msl`, `host.server.tcp.syn_cookies`, `link.wan.loss`,
//! `link.wan.forward.delay`, `workload.flood.rate`, `duration`. A path sets a value in the
//! raw document ([`set_path`]); the typed experiment is then deserialized again, so a path
//! to a key the schema does not have is rejected by the same `deny_unknown_fields` checks,
//! with the same suggestions, as the file itself.

use toml::de::DeValue;

use super::doc::{doc_path, Doc, Lines, NAMED_ARRAYS};
use super::error::{did_you_mean, suggest, ConfigError, ErrorKind, Origin};

/// One `[sweep]` entry: a path and its values, with where they were written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Axis {
    /// The parameter path.
    pub path: String,
    /// The values, in file order.
    pub values: Vec<toml::Value>,
    /// Line and column of the key.
    pub key_pos: (usize, usize),
    /// Line and column of each value.
    pub value_pos: Vec<(usize, usize)>,
}

/// Reads `[sweep]`, in file order. Checks the shape only (paths are checked by applying
/// the values).
pub(crate) fn read_axes(doc: &Doc<'_>) -> Result<Vec<Axis>, ConfigError> {
    let Some(sweep) = doc.root.get_ref().get("sweep") else {
        return Ok(Vec::new());
    };
    let DeValue::Table(table) = sweep.get_ref() else {
        return Err(doc.invalid(
            &doc_path!["sweep"],
            "expected a table of `\"PATH\" = [values]`",
        ));
    };
    let mut entries: Vec<_> = table.iter().collect();
    // The document's tables are sorted by key; the sweep's order is the file's.
    entries.sort_by_key(|(k, _)| k.span().start);
    let mut axes: Vec<Axis> = Vec::with_capacity(entries.len());
    // Keys and values are located in file order, with one cursor.
    let mut lines = Lines::new(doc.text);
    let mut lines_of_paths = std::collections::HashMap::new();
    for (key, value) in entries {
        let key_pos = lines.position(key.span().start);
        let path = key.get_ref().to_string();
        let at_key = |message: String| ConfigError {
            origin: doc.origin_at(key.span().start),
            kind: ErrorKind::Invalid,
            key: Some(format!("sweep.\"{path}\"")),
            message: format!("[sweep] \"{path}\": {message}"),
            suggestion: None,
        };
        check_path_syntax(&path).map_err(at_key)?;
        if let Some(line) = lines_of_paths.insert(path.clone(), key_pos.0) {
            return Err(at_key(format!("swept twice (also at line {line})")));
        }
        let DeValue::Array(items) = value.get_ref() else {
            return Err(at_key(
                "expected a list of values, such as [0.001, 0.01]".to_string(),
            ));
        };
        if items.is_empty() {
            return Err(at_key(
                "expected a non-empty list of values, found []".to_string(),
            ));
        }
        let mut values = Vec::with_capacity(items.len());
        let mut value_pos = Vec::with_capacity(items.len());
        // Values seen, as TOML text (which tells 1 from 1.0, as `==` does): a set, so that a
        // list of n values costs O(n), not O(n²).
        let mut seen = std::collections::HashSet::with_capacity(items.len());
        for item in items.iter() {
            let v: toml::Value = doc.deserialize(|| item.clone())?;
            let pos = lines.position(item.span().start);
            if !seen.insert(v.to_string()) {
                return Err(ConfigError {
                    origin: doc.origin_at(item.span().start),
                    kind: ErrorKind::Invalid,
                    key: Some(format!("sweep.\"{path}\"")),
                    message: format!("[sweep] \"{path}\": the value {v} appears twice"),
                    suggestion: None,
                });
            }
            values.push(v);
            value_pos.push(pos);
        }
        axes.push(Axis {
            path,
            values,
            key_pos,
            value_pos,
        });
    }
    Ok(axes)
}

/// A path is dot-separated non-empty segments without spaces, and names a parameter
/// (not a chart or the sweep itself).
fn check_path_syntax(path: &str) -> Result<(), String> {
    if path
        .split('.')
        .any(|s| s.is_empty() || s.contains(char::is_whitespace))
    {
        return Err(format!(
            "`{path}` is not a parameter path; expected dotted keys such as `link.wan.loss`"
        ));
    }
    match path.split('.').next() {
        Some(root @ ("sweep" | "chart")) => Err(format!(
            "`{path}` is not a parameter: [{root}] cannot be swept or set"
        )),
        _ => Ok(()),
    }
}

/// Why a parameter path cannot be set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PathError {
    /// What is wrong (ending with the suggestion, if any).
    pub message: String,
    /// The nearest existing name, if one is near.
    pub suggestion: Option<String>,
}

impl From<String> for PathError {
    fn from(message: String) -> PathError {
        PathError {
            message,
            suggestion: None,
        }
    }
}

/// Sets `value` at `path` in a raw document (without `[sweep]`). Missing tables and keys
/// are created; whether they exist in the schema is for the typed deserialization to say.
pub(crate) fn set_path(
    root: &mut toml::Table,
    path: &str,
    value: toml::Value,
) -> Result<(), PathError> {
    check_path_syntax(path)?;
    let segs: Vec<&str> = path.split('.').collect();
    let (mut table, rest): (&mut toml::Table, &[&str]) = match segs.as_slice() {
        [array, name, rest @ ..] if NAMED_ARRAYS.contains(array) => {
            if rest.is_empty() {
                return Err(format!(
                    "`{path}` names a whole [[{array}]]; name one of its keys: \
                     `{array}.{name}.KEY`"
                )
                .into());
            }
            (find_named(root, array, name)?, rest)
        }
        [array] if NAMED_ARRAYS.contains(array) => {
            return Err(format!(
                "`{path}` needs a name: `{array}.NAME.KEY`, where NAME is a [[{array}]]'s name"
            )
            .into());
        }
        _ => (root, segs.as_slice()),
    };
    let Some((last, parents)) = rest.split_last() else {
        return Err(format!("`{path}` is empty").into());
    };
    for (depth, seg) in parents.iter().enumerate() {
        let entry = table
            .entry(seg.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = match entry {
            toml::Value::Table(t) => t,
            other => {
                let at = segs[..segs.len() - rest.len() + depth + 1].join(".");
                return Err(format!(
                    "`{at}` is {}, not a table, so `{path}` cannot be set",
                    type_name(other)
                )
                .into());
            }
        };
    }
    table.insert(last.to_string(), value);
    Ok(())
}

/// The element of `[[array]]` whose `name` is `name`.
fn find_named<'t>(
    root: &'t mut toml::Table,
    array: &str,
    name: &str,
) -> Result<&'t mut toml::Table, PathError> {
    let names: Vec<String> = match root.get(array) {
        Some(toml::Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.get("name").and_then(|n| n.as_str()).map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let found = match root.get_mut(array) {
        Some(toml::Value::Array(items)) => items
            .iter_mut()
            .filter_map(|i| i.as_table_mut())
            .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(name)),
        _ => None,
    };
    found.ok_or_else(|| {
        let suggestion = suggest(name, names.iter().map(String::as_str)).map(str::to_string);
        let message = if names.is_empty() {
            format!("no [[{array}]] named `{name}`: the file has no [[{array}]]")
        } else {
            format!(
                "no [[{array}]] named `{name}`; there are: {}{}",
                names.join(", "),
                did_you_mean(suggestion.as_deref())
            )
        };
        PathError {
            message,
            suggestion,
        }
    })
}

fn type_name(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a number",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

/// The cartesian product of the axes, the first axis varying slowest. No axes: one empty
/// point.
pub(crate) fn product(axes: &[(String, Vec<toml::Value>)]) -> Vec<Vec<(String, toml::Value)>> {
    let mut points = vec![Vec::new()];
    for (path, values) in axes {
        points = points
            .into_iter()
            .flat_map(|p| {
                values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push((path.clone(), v.clone()));
                    q
                })
            })
            .collect();
    }
    points
}

/// The value of a command-line `PATH=VALUE`: TOML if it parses as a TOML value
/// (`0.01`, `true`, `[1, 2]`, `"x"`, `{ model = "gilbert-elliott", p = 0.1, r = 0.5 }`),
/// otherwise the text as a string (`30s`, `server:80`, `linux`).
pub fn parse_cli_value(s: &str) -> toml::Value {
    match s.trim().parse::<toml::Value>() {
        Ok(toml::Value::Datetime(_)) | Err(_) => toml::Value::String(s.to_string()),
        Ok(v) => v,
    }
}

/// Where an error found while applying a sweep value is reported.
pub(crate) fn sweep_origin(file: &str, axis: &Axis, i: usize) -> Origin {
    Origin::Sweep {
        file: file.to_string(),
        position: axis.value_pos.get(i).copied().unwrap_or(axis.key_pos),
        path: axis.path.clone(),
        value: axis
            .values
            .get(i)
            .map(|v| v.to_string())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        text.parse().unwrap()
    }

    #[test]
    fn sets_by_name() {
        let mut t = table("[[link]]\nname = \"a\"\n[[link]]\nname = \"wan\"\ndelay = \"1ms\"\n");
        set_path(&mut t, "link.wan.delay", "5ms".into()).unwrap();
        set_path(&mut t, "link.wan.forward.loss", 0.5.into()).unwrap();
        let wan = &t["link"][1];
        assert_eq!(wan["delay"].as_str(), Some("5ms"));
        assert_eq!(wan["forward"]["loss"].as_float(), Some(0.5));
        assert!(t["link"][0].get("delay").is_none());
        let err = set_path(&mut t, "link.wam.delay", "1ms".into()).unwrap_err();
        assert!(err.message.contains("did you mean `wan`?"), "{err:?}");
        assert_eq!(err.suggestion.as_deref(), Some("wan"));
        let err = set_path(&mut t, "link.wan.delay.x", 1.into()).unwrap_err();
        assert!(
            err.message.contains("`link.wan.delay` is a string"),
            "{err:?}"
        );
        assert!(set_path(&mut t, "link", 1.into()).is_err());
        assert!(set_path(&mut t, "link.wan", 1.into()).is_err());
        assert!(set_path(&mut t, "chart.x", 1.into()).is_err());
        assert!(set_path(&mut t, "tcp..msl", 1.into()).is_err());
        set_path(&mut t, "tcp.msl", "1s".into()).unwrap();
        assert_eq!(t["tcp"]["msl"].as_str(), Some("1s"));
    }

    #[test]
    fn cli_values() {
        assert_eq!(parse_cli_value("0.01"), toml::Value::Float(0.01));
        assert_eq!(parse_cli_value("3"), toml::Value::Integer(3));
        assert_eq!(parse_cli_value("true"), toml::Value::Boolean(true));
        assert_eq!(parse_cli_value("30s"), toml::Value::String("30s".into()));
        assert_eq!(parse_cli_value("\"x\""), toml::Value::String("x".into()));
        assert_eq!(
            parse_cli_value("[1,2]"),
            toml::Value::Array(vec![1.into(), 2.into()])
        );
        assert_eq!(
            parse_cli_value("server:80"),
            toml::Value::String("server:80".into())
        );
        assert_eq!(
            parse_cli_value("1979-05-27"),
            toml::Value::String("1979-05-27".into())
        );
        assert_eq!(
            parse_cli_value("1\nb = 2"),
            toml::Value::String("1\nb = 2".into())
        );
    }

    #[test]
    fn product_order() {
        let axes = vec![
            ("a".to_string(), vec![1.into(), 2.into()]),
            ("b".to_string(), vec!["x".into(), "y".into(), "z".into()]),
        ];
        let points = product(&axes);
        assert_eq!(points.len(), 6);
        let flat: Vec<String> = points
            .iter()
            .map(|p| format!("{}{}", p[0].1, p[1].1))
            .collect();
        assert_eq!(
            flat,
            ["1\"x\"", "1\"y\"", "1\"z\"", "2\"x\"", "2\"y\"", "2\"z\""]
        );
        assert_eq!(product(&[]), vec![Vec::new()]);
    }
}
