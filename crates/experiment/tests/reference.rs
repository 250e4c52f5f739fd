//! The reference (docs/reference.md, `synack explain`) against the code: the generated
//! tables are what the code says now, every key the parser accepts has an entry and every
//! entry is a key the parser accepts, the values of every choice are the parser's, and the
//! documented defaults are those the parser fills in.
//!
//! After changing a key, a metric or a doc comment they come from, rewrite the tables with
//! `SYNACK_BLESS=1 cargo test -p synack-experiment --test reference`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use synack_experiment::config::Experiment;
use synack_experiment::schema::{self, EntryKind, KEYS};

fn reference_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/reference.md")
}

#[test]
fn docs_reference_tables_are_generated_from_the_code() {
    let path = reference_path();
    let text = std::fs::read_to_string(&path).expect("docs/reference.md exists");
    for section in schema::SECTIONS {
        assert!(
            text.contains(&format!("<!-- generated: {section} -->")),
            "docs/reference.md has no generated section `{section}`"
        );
    }
    let fresh = schema::regenerate(&text).expect("the markers are well formed");
    if std::env::var_os("SYNACK_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write docs/reference.md");
        return;
    }
    assert!(
        fresh == text,
        "docs/reference.md's generated tables differ from the code (keys, metrics or their doc \
         comments changed): run `SYNACK_BLESS=1 cargo test -p synack-experiment --test \
         reference` and commit docs/reference.md"
    );
}

/// A valid file to probe the parser with: two hosts `a` and `b` and a link between them,
/// then `extra`.
fn file(top: &str, extra: &str) -> String {
    format!(
        "{top}\nname = \"x\"\nduration = \"10s\"\n[[host]]\nname = \"a\"\n[[host]]\nname = \"b\"\n\
         [[link]]\nname = \"l\"\nbetween = [\"a\", \"b\"]\n{extra}\n"
    )
}

/// The error `text` gets from the parser.
fn error(text: &str) -> String {
    match Experiment::parse(text, "probe.toml") {
        Ok(_) => panic!("the parser accepted\n{text}"),
        Err(e) => e.message,
    }
}

/// The list after "expected one of: " in `message`, up to the next `;`, quotes removed.
fn expected_list(message: &str) -> BTreeSet<String> {
    let list = message
        .split_once("expected one of: ")
        .unwrap_or_else(|| panic!("no list of choices in: {message}"))
        .1;
    let list = list.split(';').next().unwrap_or("");
    list.split(", ")
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The keys of `table` in the reference.
fn documented(table: &str) -> BTreeSet<String> {
    let prefix = if table.is_empty() {
        String::new()
    } else {
        format!("{table}.")
    };
    schema::entries()
        .into_iter()
        .filter(|e| e.kind == EntryKind::Key)
        .filter_map(|e| e.name.strip_prefix(&prefix).map(str::to_string))
        .filter(|k| !k.contains('.'))
        .collect()
}

/// Where each table's keys are checked: the table, and a file with an unknown key in it.
fn probes() -> Vec<(String, String)> {
    let unknown = "zzz_unknown = 1";
    let mut out = vec![
        (String::new(), file(unknown, "")),
        ("tcp".into(), file("", &format!("[tcp]\n{unknown}"))),
        (
            "tcp".into(),
            file(
                "",
                &format!("[[host]]\nname = \"c\"\ntcp = {{ {unknown} }}"),
            ),
        ),
        (
            "host".into(),
            file("", &format!("[[host]]\nname = \"c\"\n{unknown}")),
        ),
        (
            "link".into(),
            file(
                "",
                &format!("[[link]]\nname = \"m\"\nbetween = [\"a\", \"b\"]\n{unknown}"),
            ),
        ),
        (
            "link.loss".into(),
            file(
                "",
                &format!(
                    "[[link]]\nname = \"m\"\nbetween = [\"a\", \"b\"]\nloss = {{ model = \
                     \"gilbert-elliott\", p = 0.1, r = 0.1, {unknown} }}"
                ),
            ),
        ),
        (
            "workload.script.segments".into(),
            file(
                "",
                &format!(
                    "[[workload]]\nkind = \"script\"\nname = \"s\"\nsegments = [{{ {unknown} }}]"
                ),
            ),
        ),
        ("chart".into(), file("", &format!("[[chart]]\n{unknown}"))),
        (
            "chart.reference".into(),
            file(
                "",
                &format!("[[chart]]\ny = \"events\"\n[[chart.reference]]\n{unknown}"),
            ),
        ),
        ("series".into(), file("", &format!("[[series]]\n{unknown}"))),
        ("router".into(), file("", &format!("[[router]]\n{unknown}"))),
        ("route".into(), file("", &format!("[[route]]\n{unknown}"))),
    ];
    for sub in ["reorder", "stale", "queue"] {
        out.push((
            format!("link.{sub}"),
            file(
                "",
                &format!(
                    "[[link]]\nname = \"m\"\nbetween = [\"a\", \"b\"]\n{sub} = {{ {unknown} }}"
                ),
            ),
        ));
    }
    for kind in synack_experiment::config::WORKLOAD_KINDS {
        out.push((
            format!("workload.{kind}"),
            file("", &format!("[[workload]]\nkind = \"{kind}\"\n{unknown}")),
        ));
    }
    out
}

#[test]
fn every_key_the_parser_accepts_is_documented_and_no_other() {
    let mut tables_checked = BTreeSet::new();
    for (table, text) in probes() {
        let message = error(&text);
        assert!(
            message.contains("unknown key `zzz_unknown`"),
            "probing {table:?}: {message}"
        );
        let mut accepted = expected_list(&message);
        let mut keys = documented(&table);
        if table.starts_with("workload.") && table != "workload.script.segments" {
            // `kind` is read first, for every kind.
            assert!(accepted.remove("kind"), "{message}");
        }
        if table == "workload" {
            keys = BTreeSet::from(["kind".to_string()]);
        }
        assert_eq!(
            accepted, keys,
            "table {table:?}: the parser's keys (left) and the reference's (right) differ"
        );
        tables_checked.insert(table);
    }
    // Per-direction overrides take the link's keys but for the link's own.
    let message = error(&file(
        "",
        "[[link]]\nname = \"m\"\nbetween = [\"a\", \"b\"]\nforward = { zzz_unknown = 1 }",
    ));
    let mut link = documented("link");
    for own in ["name", "between", "forward", "reverse"] {
        link.remove(own);
    }
    assert_eq!(expected_list(&message), link);
    // Every table of the reference was probed (`workload` holds only `kind`).
    let tables: BTreeSet<String> = KEYS.iter().map(|r| r.0.to_string()).collect();
    let unprobed: Vec<&String> = tables
        .iter()
        .filter(|t| !tables_checked.contains(*t) && t.as_str() != "workload")
        .collect();
    assert!(unprobed.is_empty(), "tables never checked: {unprobed:?}");
}

/// The quoted words of a type that is a choice (`"a", "b" or "c"`), if it is one.
fn choice_values(ty: &str) -> Option<BTreeSet<String>> {
    let words: Vec<&str> = ty
        .split([',', ' '])
        .filter(|w| !w.is_empty() && *w != "or")
        .collect();
    words
        .iter()
        .all(|w| w.len() > 2 && w.starts_with('"') && w.ends_with('"'))
        .then(|| {
            words
                .iter()
                .map(|w| w.trim_matches('"').to_string())
                .collect()
        })
}

#[test]
fn every_choice_lists_the_values_the_parser_takes() {
    let mut checked = 0;
    for &(table, key, ty, _, _) in KEYS {
        let Some(values) = choice_values(ty) else {
            continue;
        };
        if values.len() < 2 {
            continue;
        }
        let bad = format!("{key} = \"\\u0001\"");
        let text = match table {
            "" => file(&bad, ""),
            "link.loss" => file(
                "",
                "[[link]]\nname = \"m\"\nbetween = [\"a\", \"b\"]\nloss = { model = \"\\u0001\", p = 0.1, r = 0.1 }",
            ),
            "link.queue" => file(
                "",
                "[[link]]\nname = \"m\"\nbetween = [\"a\", \"b\"]\nqueue = { kind = \"\\u0001\" }",
            ),
            "workload" => file("", &format!("[[workload]]\nname = \"w\"\n{bad}")),
            "chart" => file("", &format!("[[chart]]\ny = \"events\"\n{bad}")),
            t if t.starts_with("workload.") => {
                let kind = &t["workload.".len()..];
                file("", &format!("[[workload]]\nkind = \"{kind}\"\nname = \"w\"\n{bad}"))
            }
            t => panic!("no probe for choices in table {t:?}"),
        };
        let message = error(&text);
        assert_eq!(
            expected_list(&message),
            values,
            "{table}.{key}: the parser's values (left) and the reference's (right) differ"
        );
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} choices checked");
}

/// A TOML value as written in the reference's default column, if it is one.
fn toml_value(text: &str) -> Option<toml::Value> {
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
}

fn same(documented: &toml::Value, resolved: &serde_json::Value) -> bool {
    match (documented, resolved) {
        (toml::Value::String(a), serde_json::Value::String(b)) => a == b,
        (toml::Value::Boolean(a), serde_json::Value::Bool(b)) => a == b,
        (toml::Value::Integer(a), serde_json::Value::Number(b)) => b.as_f64() == Some(*a as f64),
        (toml::Value::Float(a), serde_json::Value::Number(b)) => b.as_f64() == Some(*a),
        _ => false,
    }
}

/// Every default written as a value is the value the parser fills in when the key is left
/// out, as the resolved experiment (`manifest.json`'s `resolved`) shows it.
#[test]
fn documented_defaults_are_the_parsers() {
    let server =
        "[[workload]]\nkind = \"bulk\"\nname = \"srv\"\nfrom = \"a\"\nto = \"b:80\"\nbytes = 1\n";
    let minimal = [
        (
            "workload.probe",
            "name = \"w\"\nfrom = \"a\"\nto = \"b\"\nrate = 1",
        ),
        (
            "workload.bulk",
            "name = \"w\"\nfrom = \"a\"\nto = \"b:81\"\nbytes = 1",
        ),
        (
            "workload.request",
            "name = \"w\"\nfrom = \"a\"\nto = \"b:81\"",
        ),
        (
            "workload.churn",
            "name = \"w\"\nfrom = \"a\"\nto = \"b:81\"\nrate = 1",
        ),
        (
            "workload.pool",
            "name = \"w\"\nfrom = \"a\"\nto = \"b:81\"\nrate = 1",
        ),
        (
            "workload.flood",
            "name = \"w\"\nfrom = \"a\"\nto = \"b:80\"\nrate = 1",
        ),
        (
            "workload.restart",
            "name = \"w\"\nserver = \"b:80\"\nat = \"1s\"",
        ),
    ];
    let mut compared = 0;
    let mut compare = |table: &str, resolved: &serde_json::Value| {
        for &(t, key, _, default, _) in KEYS {
            if t != table {
                continue;
            }
            // Tables and arrays of tables default to empty; their keys are checked in turn.
            let Some(value) = toml_value(default).filter(|v| !v.is_table() && !v.is_array()) else {
                continue;
            };
            let got = resolved.get(key).unwrap_or(&serde_json::Value::Null);
            assert!(
                same(&value, got),
                "{table}.{key}: documented default {default}, the parser fills in {got}"
            );
            compared += 1;
        }
    };
    for (table, keys) in minimal {
        let kind = &table["workload.".len()..];
        let text = file(
            "",
            &format!("{server}[[workload]]\nkind = \"{kind}\"\n{keys}"),
        );
        let exp = Experiment::parse(&text, "defaults.toml").unwrap();
        compare(table, &exp.to_json()["workloads"][1]);
    }
    let text = file(
        "",
        "[[workload]]\nkind = \"script\"\nname = \"w\"\nsegments = [{ at = \"1s\", from = \"a\", \
         to = \"b\", sport = 1, dport = 2, flags = \"SYN\" }]\n\
         [[series]]\nmetric = \"cwnd\"\n[sweep]\nseed = [1, 2]\n[[chart]]\nx = \"seed\"\ny = \"events\"",
    );
    let exp = Experiment::parse(&text, "defaults.toml").unwrap();
    let json = exp.to_json();
    compare("", &json);
    compare("link", &json["links"][0]["forward"]);
    compare(
        "workload.script.segments",
        &json["workloads"][0]["segments"][0],
    );
    compare("chart", &json["charts"][0]);
    compare("series", &json["series"][0]);
    assert!(compared >= 40, "only {compared} defaults compared");
}
