//! `[[chart.reference]] csv`: measured points read from a CSV file beside the experiment,
//! checked when the experiment is loaded, each mistake at the key it is about.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{BASE, BULK};
use synack_experiment::config::{CellValue, DataFiles, Experiment, ReferenceKind};

/// Linux-like measurements: two congestion controls, SACK on and off, two seeds each at two
/// loss rates; cells padded with spaces, one row of another scenario holding text.
const POINTS: &str = "\
loss,cc,sack,seed,goodput_bps
0.01,cubic,1,1,2000000
0.01,cubic,1,2,2200000
0.02, cubic ,1.0,1,1500000
0.02,cubic,1,2,1700000
0.01,reno,1,1,2100000
0.01,cubic,0,1,1000000
0.02,reno,0,1,n/a
";

/// [`BASE`] with a bulk transfer, a loss sweep and a goodput chart: what the cases append
/// (a `[[chart.reference]]`'s keys) starts at line 29.
fn experiment(reference: &str) -> String {
    format!(
        "{BASE}{BULK}
[sweep]
\"link.wan.loss\" = [0.01, 0.02]

[[chart]]
x = \"link.wan.loss\"
y = \"goodput_bps\"
[[chart.reference]]
label = \"Linux\"
{reference}"
    )
}

/// A directory with `points.csv` and `data/e.toml` holding `text`; returns it and the
/// experiment's path. The experiment names the CSV file `../points.csv`.
fn files(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("points.csv"), POINTS).unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let file = dir.path().join("data").join("e.toml");
    std::fs::write(&file, text).unwrap();
    (dir, file)
}

fn load(reference: &str) -> Result<Experiment, String> {
    let (_dir, file) = files(&experiment(reference));
    Experiment::load(&file).map_err(|e| {
        // Name the file as the test writes its expectations.
        e.to_string().replace(&file.display().to_string(), "e.toml")
    })
}

fn rows(e: &Experiment) -> &[(f64, f64)] {
    &e.charts[0].reference[0].csv().unwrap().rows
}

const CUBIC_SACK: &str = "csv = \"../points.csv\"
x = \"loss\"
y = \"goodput_bps\"
where = { cc = \"cubic\", sack = 1 }
";

#[test]
fn a_csv_reference_reads_the_rows_its_filter_keeps() {
    let e = load(CUBIC_SACK).unwrap();
    // `1` matches "1" and "1.0"; " cubic " is trimmed; the other scenarios are left out,
    // the text in one of them included (only kept rows must be numbers).
    assert_eq!(
        rows(&e),
        [
            (0.01, 2_000_000.0),
            (0.01, 2_200_000.0),
            (0.02, 1_500_000.0),
            (0.02, 1_700_000.0)
        ]
    );
    let csv = e.charts[0].reference[0].csv().unwrap();
    assert_eq!(csv.csv, "../points.csv");
    assert_eq!(
        csv.filter,
        [
            ("cc".to_string(), vec![CellValue::Text("cubic".into())]),
            ("sack".to_string(), vec![CellValue::Integer(1)])
        ]
    );
    // The text read is kept for the manifest, under the path as written.
    let kept: Vec<(&str, &str)> = e.data_files().collect();
    assert_eq!(kept, [("../points.csv", POINTS)]);
    // The resolved experiment shows the reference as written, without its rows.
    let json = e.to_json();
    let r = &json["charts"][0]["reference"][0];
    assert_eq!(r["label"], "Linux");
    assert_eq!(r["csv"], "../points.csv");
    assert_eq!(r["where"]["sack"], 1);
    assert!(r.get("rows").is_none());
}

#[test]
fn where_takes_lists_numbers_and_booleans_and_may_be_left_out() {
    let any_cc = "csv = \"../points.csv\"\nx = \"loss\"\ny = \"goodput_bps\"\n\
                  where = { cc = [\"reno\", \"cubic\"], sack = 1.0, loss = 0.01 }\n";
    assert_eq!(
        rows(&load(any_cc).unwrap()),
        [
            (0.01, 2_000_000.0),
            (0.01, 2_200_000.0),
            (0.01, 2_100_000.0)
        ]
    );
    // Without `where`, every row is kept, and every row must then hold numbers.
    let all = "csv = \"../points.csv\"\nx = \"sack\"\ny = \"seed\"\n";
    assert_eq!(rows(&load(all).unwrap()).len(), 7);
    assert!(CellValue::Bool(true).matches("TRUE"));
    assert!(!CellValue::Bool(true).matches("1"));
    assert!(CellValue::Number(0.5).matches("5e-1"));
    assert!(!CellValue::Text("1".into()).matches("1.0"));
}

#[test]
fn the_points_hold_for_every_sweep_point_and_override() {
    let e = load(CUBIC_SACK).unwrap();
    let sets = [(
        "link.wan.delay".to_string(),
        toml::Value::String("20ms".into()),
    )];
    let checked = synack_experiment::check(&e, &sets).unwrap();
    assert_eq!(rows(&checked.experiment), rows(&e));
    assert_eq!(checked.experiment.data_files().count(), 1);
    // Two references to one file read it once.
    let twice = format!(
        "{CUBIC_SACK}[[chart.reference]]\nlabel = \"reno\"\ncsv = \"../points.csv\"\n\
         x = \"loss\"\ny = \"goodput_bps\"\nwhere = {{ cc = \"reno\", sack = 1 }}\n"
    );
    let e = load(&twice).unwrap();
    assert_eq!(e.charts[0].reference.len(), 2);
    assert_eq!(e.data_files().count(), 1);
}

#[test]
fn recorded_files_stand_in_for_the_disk() {
    let text = experiment(CUBIC_SACK);
    let mut recorded = BTreeMap::new();
    recorded.insert(
        "../points.csv".to_string(),
        "loss,cc,sack,goodput_bps\n0.5,cubic,1,7\n".to_string(),
    );
    // No such file next to "nowhere/e.toml": the recorded text is read instead.
    let e =
        Experiment::parse_with(&text, "nowhere/e.toml", DataFiles::Recorded(&recorded)).unwrap();
    assert_eq!(rows(&e), [(0.5, 7.0)]);
    let err = Experiment::parse_with(&text, "e.toml", DataFiles::Recorded(&BTreeMap::new()))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "e.toml:29:7: `chart[0].reference[0].csv`: \"../points.csv\" is not recorded with \
         the experiment (in its manifest)"
    );
}

/// Each bad reference, and the whole message it gives.
#[test]
fn bad_references() {
    let csv = |rest: &str| format!("csv = \"../points.csv\"\n{rest}");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "missing file",
            "csv = \"../nothing.csv\"\nx = \"loss\"\ny = \"goodput_bps\"\n".into(),
            "e.toml:29:7: `chart[0].reference[0].csv`: cannot read \"DIR/data/../nothing.csv\": \
             No such file or directory (os error 2)",
        ),
        (
            "missing x column",
            csv("x = \"los\"\ny = \"goodput_bps\"\n"),
            "e.toml:30:5: `chart[0].reference[0].x`: \"DIR/data/../points.csv\" has no column \
             \"los\"; its columns are: loss, cc, sack, seed, goodput_bps; did you mean `loss`?",
        ),
        (
            "missing y column",
            csv("x = \"loss\"\ny = \"goodput\"\n"),
            "e.toml:31:5: `chart[0].reference[0].y`: \"DIR/data/../points.csv\" has no column \
             \"goodput\"; its columns are: loss, cc, sack, seed, goodput_bps; did you mean \
             `goodput_bps`?",
        ),
        (
            "missing where column",
            csv("x = \"loss\"\ny = \"goodput_bps\"\nwhere = { kernel = \"6.18\" }\n"),
            "e.toml:32:20: `chart[0].reference[0].where.kernel`: \"DIR/data/../points.csv\" \
             has no column \"kernel\"; its columns are: loss, cc, sack, seed, goodput_bps",
        ),
        (
            "a kept cell that is not a number",
            csv("x = \"loss\"\ny = \"goodput_bps\"\nwhere = { sack = 0 }\n"),
            "e.toml:31:5: `chart[0].reference[0].y`: DIR/data/../points.csv:8: column \
             \"goodput_bps\" holds \"n/a\", not a finite number",
        ),
        (
            "no row has the value",
            csv("x = \"loss\"\ny = \"goodput_bps\"\nwhere = { cc = \"cubik\", sack = 1 }\n"),
            "e.toml:32:16: `chart[0].reference[0].where.cc`: no row of \
             \"DIR/data/../points.csv\" has cc = \"cubik\"; the column holds: cubic, reno",
        ),
        (
            "no row has the values together",
            csv("x = \"loss\"\ny = \"goodput_bps\"\nwhere = { cc = \"reno\", seed = 2 }\n"),
            "e.toml:32:9: `chart[0].reference[0].where`: no row of \"DIR/data/../points.csv\" \
             has cc = \"reno\" and seed = 2 together",
        ),
        (
            "an empty list in where",
            csv("x = \"loss\"\ny = \"goodput_bps\"\nwhere = { cc = [] }\n"),
            "e.toml:32:16: `chart[0].reference[0].where.cc`: expected at least one value, \
             found an empty list",
        ),
        (
            "a table in where",
            csv("x = \"loss\"\ny = \"goodput_bps\"\nwhere = { cc = { name = \"cubic\" } }\n"),
            "e.toml:32:16: `chart[0].reference[0].where.cc`: expected a string, a number, a \
             boolean or a list of them, found table",
        ),
        (
            "both kinds",
            csv("x = \"loss\"\ny = \"goodput_bps\"\nexpr = \"x\"\n"),
            "e.toml:29:7: `chart[0].reference[0].csv`: a reference has either `expr` (a model \
             curve) or `csv` (measured points), not both",
        ),
        (
            "neither kind",
            String::new(),
            "e.toml:27:1: `chart[0].reference[0]`: a reference needs `expr` (a model curve in \
             x) or `csv` (a CSV file of measured points, with `x` and `y` naming its columns)",
        ),
        (
            "a column with a curve",
            "expr = \"2*x\"\ny = \"goodput_bps\"\n".into(),
            "e.toml:30:5: `chart[0].reference[0].y`: belongs to a `csv` reference (a column \
             of its file); an `expr` curve takes only `label` and `expr`",
        ),
        (
            "no y column",
            csv("x = \"loss\"\n"),
            "e.toml:27:1: `chart[0].reference[0]`: missing key `y`: the column of the CSV file \
             that holds the y values",
        ),
        (
            "an empty path",
            "csv = \"\"\nx = \"loss\"\ny = \"goodput_bps\"\n".into(),
            "e.toml:29:7: `chart[0].reference[0].csv`: expected the path of a CSV file, found \
             \"\"",
        ),
        (
            "a misspelt key",
            csv("x = \"loss\"\ny = \"goodput_bps\"\nwehre = { cc = \"cubic\" }\n"),
            "e.toml:32:1: unknown key `wehre` in `chart[0].reference[0]`; expected one of: \
             label, expr, csv, x, y, where; did you mean `where`?",
        ),
    ];
    for (what, reference, expected) in cases {
        let (dir, file) = files(&experiment(&reference));
        let err = Experiment::load(&file)
            .err()
            .unwrap_or_else(|| panic!("{what}: expected an error"))
            .to_string()
            .replace(&file.display().to_string(), "e.toml")
            .replace(&dir.path().display().to_string(), "DIR");
        assert_eq!(err, expected, "{what}");
    }
}

#[test]
fn bad_csv_files() {
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "header only",
            b"loss,goodput_bps\n",
            "e.toml:29:7: `chart[0].reference[0].csv`: \"DIR/data/../points.csv\" has no data \
             rows",
        ),
        (
            "a row too short",
            b"loss,goodput_bps\n0.01,5\n0.02\n",
            "e.toml:29:7: `chart[0].reference[0].csv`: DIR/data/../points.csv:3: a row of 1 \
             cell, where the rows before it have 2",
        ),
        (
            "not UTF-8",
            b"loss,goodput_bps\n0.01,\xff\n",
            "e.toml:29:7: `chart[0].reference[0].csv`: \"DIR/data/../points.csv\" is not UTF-8 \
             text (invalid byte at offset 22)",
        ),
        (
            "infinite",
            b"loss,goodput_bps\n0.01,inf\n",
            "e.toml:31:5: `chart[0].reference[0].y`: DIR/data/../points.csv:2: column \
             \"goodput_bps\" holds \"inf\", not a finite number",
        ),
    ];
    let reference = "csv = \"../points.csv\"\nx = \"loss\"\ny = \"goodput_bps\"\n";
    for (what, csv, expected) in cases {
        let (dir, file) = files(&experiment(reference));
        std::fs::write(dir.path().join("points.csv"), csv).unwrap();
        let err = Experiment::load(&file)
            .err()
            .unwrap_or_else(|| panic!("{what}: expected an error"))
            .to_string()
            .replace(&file.display().to_string(), "e.toml")
            .replace(&dir.path().display().to_string(), "DIR");
        assert_eq!(err, *expected, "{what}");
    }
    // A byte-order mark is not part of the first column's name.
    let (dir, file) = files(&experiment(reference));
    std::fs::write(
        dir.path().join("points.csv"),
        "\u{feff}loss,goodput_bps\n0.01,5\n",
    )
    .unwrap();
    let e = Experiment::load(&file).unwrap();
    assert_eq!(rows(&e), [(0.01, 5.0)]);
    assert!(matches!(
        e.charts[0].reference[0].kind,
        ReferenceKind::Csv(_)
    ));
}

#[test]
fn a_path_is_relative_to_the_experiment_file() {
    let (dir, file) = files(&experiment(CUBIC_SACK));
    // The same text one directory up does not find ../points.csv.
    let above = dir.path().join("e.toml");
    std::fs::copy(&file, &above).unwrap();
    let err = Experiment::load(&above).unwrap_err().to_string();
    assert!(err.contains("cannot read"), "{err}");
    assert!(Experiment::load(Path::new(&file)).is_ok());
}
