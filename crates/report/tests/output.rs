//! A results directory written and read back through the library, as `synack run` and
//! `synack plot` do: the files, the manifest, and charts redrawn byte for byte.

use std::fs;
use std::path::{Path, PathBuf};

use synack_experiment::config::{parse_cli_value, Experiment};
use synack_experiment::Checked;
use synack_plot::SeriesStyle;
use synack_report::charts::chart_data;
use synack_report::files::OutputDir;
use synack_report::manifest::Manifest;
use synack_report::output::{redraw_charts, stage_results, RunInfo, Written};
use synack_report::results::RunRow;
use synack_report::run::{Plan, Shard};
use synack_report::source::Source;

fn probe_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments/link-probe.toml")
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// Writes the results of `rows` of `file` into `out` as `synack run` does.
fn write_results(
    out: &Path,
    file: &Path,
    checked: &Checked,
    rows: &[RunRow],
    runs_missing: usize,
) -> Written {
    let source = Source::read(file).unwrap();
    let run = RunInfo {
        source: &source,
        checked,
        runs_missing,
    };
    let out = OutputDir::open(out).unwrap();
    stage_results(&out, &run, rows).unwrap().commit().unwrap()
}

#[test]
fn a_results_directory_holds_the_tables_the_manifest_and_charts_that_redraw_identically() {
    let file = probe_file();
    let sets = vec![
        ("duration".to_string(), parse_cli_value("2s")),
        ("replications".to_string(), parse_cli_value("2")),
    ];
    let checked = synack_experiment::check(&Experiment::load(&file).unwrap(), &sets).unwrap();
    let plan = Plan::new(&checked);
    let shard = Shard { index: 1, of: 2 };
    let records = plan.execute(&plan.runs(Some(shard)), 1);
    let dir = tempfile::tempdir().unwrap();
    let written = write_results(dir.path(), &file, &checked, &records, 6);

    assert_eq!(
        names(dir.path()),
        [
            "manifest.json",
            "measured-loss.png",
            "measured-loss.svg",
            "probe-delay.png",
            "probe-delay.svg",
            "runs.csv",
            "summary.csv"
        ]
    );
    // Every other run of 6 points × 2 replications: one replication of each point.
    assert_eq!(records.len(), 6);
    assert_eq!(written.summary.len(), 6);
    assert!(written.summary.iter().all(|s| s.replications == 1));

    let manifest = Manifest::read(dir.path()).unwrap();
    assert_eq!(manifest.file, file.display().to_string());
    assert_eq!(manifest.source, fs::read_to_string(&file).unwrap());
    assert_eq!(manifest.sets(), sets);
    assert_eq!(manifest.source_sha256, Source::read(&file).unwrap().sha256);
    assert_eq!(manifest.runs_missing, 6);
    assert_eq!(
        manifest.files,
        [
            "runs.csv",
            "summary.csv",
            "measured-loss.png",
            "measured-loss.svg",
            "probe-delay.png",
            "probe-delay.svg"
        ]
    );
    assert_eq!(manifest.points.len(), 6);
    assert!(manifest.points.iter().all(|p| p.seeds.len() == 2));
    assert_eq!(manifest.experiment().unwrap().name, checked.experiment.name);

    let before: Vec<Vec<u8>> = written
        .charts
        .iter()
        .map(|c| fs::read(c).unwrap())
        .collect();
    for chart in &written.charts {
        fs::remove_file(chart).unwrap();
    }
    assert_eq!(redraw_charts(dir.path()).unwrap(), written.charts);
    let after: Vec<Vec<u8>> = written
        .charts
        .iter()
        .map(|c| fs::read(c).unwrap())
        .collect();
    assert!(before == after, "a redraw from summary.csv is identical");
}

#[test]
fn a_directory_that_is_not_a_results_directory_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let e = redraw_charts(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("manifest.json") && e.contains("a results directory?"),
        "{e}"
    );
    fs::write(dir.path().join("manifest.json"), "{}").unwrap();
    let e = redraw_charts(dir.path()).unwrap_err().to_string();
    assert!(e.ends_with("manifest.json: not a synack manifest"), "{e}");
}

/// A probe experiment over two loss rates whose chart draws a CSV file's points beside it.
const WITH_POINTS: &str = r#"name = "with-points"
duration = "1s"
replications = 2

[[host]]
name = "a"
[[host]]
name = "b"

[[link]]
name = "wan"
between = ["a", "b"]
delay = "5ms"

[[workload]]
name = "probe"
kind = "probe"
from = "a"
to = "b"
rate = 100

[sweep]
"link.wan.loss" = [0.1, 0.3]

[[chart]]
name = "loss"
x = "link.wan.loss"
y = "probe_loss"

[[chart.reference]]
label = "measured elsewhere"
csv = "points/elsewhere.csv"
x = "p"
y = "lost"
where = { testbed = "a" }

[[chart.reference]]
label = "y = x"
expr = "x"
"#;

#[test]
fn csv_points_are_drawn_per_x_and_redrawn_from_the_manifest_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("with-points.toml");
    fs::write(&file, WITH_POINTS).unwrap();
    fs::create_dir(dir.path().join("points")).unwrap();
    let csv = dir.path().join("points/elsewhere.csv");
    let text =
        "p,testbed,lost\n0.2,a,0.19\n0.1,a,0.08\n0.2,b,0.9\n0.2,a,0.23\n0.1,a,0.12\n0.2,a,0.21\n";
    fs::write(&csv, text).unwrap();

    let checked = synack_experiment::check(&Experiment::load(&file).unwrap(), &[]).unwrap();
    let plan = Plan::new(&checked);
    let records = plan.execute(&plan.runs(None), 1);
    let out = dir.path().join("results");
    let written = write_results(&out, &file, &checked, &records, 0);

    // The measured line, then the file's points: one per x, in x order, the mean of its
    // rows with Student's 95 % interval (t(0.975, 1) = 12.706, t(0.975, 2) = 4.303).
    let chart = chart_data(&checked.experiment.charts[0], &written.summary).unwrap();
    let [line, points] = &chart.series[..] else {
        panic!("{:?}", chart.series)
    };
    assert_eq!(line.style, SeriesStyle::Line);
    assert_eq!(points.style, SeriesStyle::Points);
    assert_eq!(points.label, "measured elsewhere");
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
    let [low, high] = &points.points[..] else {
        panic!("{:?}", points.points)
    };
    assert_eq!((low.x, high.x), (0.1, 0.2));
    assert!(
        close(low.y, 0.10) && close(high.y, 0.21),
        "{low:?} {high:?}"
    );
    let sd = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
    };
    assert!(close(
        low.ci95,
        12.706_205 * sd(&[0.08, 0.12]) / 2f64.sqrt()
    ));
    assert!(close(
        high.ci95,
        4.302_653 * sd(&[0.19, 0.23, 0.21]) / 3f64.sqrt()
    ));
    // The curve spans the file's x range too, not only the sweep's.
    let curve = &chart.references[0].points;
    assert_eq!(chart.references.len(), 1);
    assert_eq!(curve.first().unwrap().0, 0.1);
    assert!(close(curve.last().unwrap().0, 0.3));

    // The manifest keeps the file's text; with the file gone the charts redraw identically.
    let manifest = Manifest::read(&out).unwrap();
    assert_eq!(
        manifest
            .data_files
            .get("points/elsewhere.csv")
            .map(String::as_str),
        Some(text)
    );
    let before: Vec<Vec<u8>> = written
        .charts
        .iter()
        .map(|c| fs::read(c).unwrap())
        .collect();
    let svg = String::from_utf8(before[1].clone()).unwrap();
    assert!(svg.contains("measured elsewhere"));
    fs::remove_file(&csv).unwrap();
    assert_eq!(redraw_charts(&out).unwrap(), written.charts);
    let after: Vec<Vec<u8>> = written
        .charts
        .iter()
        .map(|c| fs::read(c).unwrap())
        .collect();
    assert!(before == after, "a redraw from the manifest is identical");
    // ... and so does a file that has changed since.
    fs::write(&csv, "p,testbed,lost\n0.2,a,0.5\n").unwrap();
    redraw_charts(&out).unwrap();
    assert!(before[1] == fs::read(&written.charts[1]).unwrap());
}

#[test]
fn a_timeseries_chart_draws_its_references_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cwnd.toml");
    let text = r#"name = "cwnd"
duration = "1s"

[[host]]
name = "a"
[[host]]
name = "b"

[[link]]
name = "wan"
between = ["a", "b"]
delay = "5ms"

[[workload]]
name = "w"
kind = "bulk"
from = "a"
to = "b:80"
bytes = "1MB"

[[series]]
metric = "cwnd"
host = "a"

[[chart]]
kind = "timeseries"
y = "cwnd"

[[chart.reference]]
label = "cwnd elsewhere"
csv = "cwnd.csv"
x = "t"
y = "cwnd"

[[chart.reference]]
label = "a flat line"
expr = "50000"
"#;
    fs::write(&file, text).unwrap();
    fs::write(
        dir.path().join("cwnd.csv"),
        "t,cwnd\n0.1,20000\n0.5,40000\n",
    )
    .unwrap();
    let checked = synack_experiment::check(&Experiment::load(&file).unwrap(), &[]).unwrap();
    let plan = Plan::new(&checked);
    let records = plan.execute(&plan.runs(None), 1);
    let out = dir.path().join("results");
    let written = write_results(&out, &file, &checked, &records, 0);
    let svg = fs::read_to_string(&written.charts[1]).unwrap();
    assert!(svg.contains("cwnd elsewhere") && svg.contains("a flat line"));
    // The two measured points and the legend's marker, in the second series' colour.
    let vermillion = svg
        .match_indices("<rect")
        .filter(|(i, _)| svg[*i..].split("/>").next().unwrap().contains("#D55E00"))
        .count();
    assert_eq!(vermillion, 3, "{svg}");
}
