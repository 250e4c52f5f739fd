//! A results directory written and read back through the library, as `synack run` and
//! `synack plot` do: the files, the manifest, and charts redrawn byte for byte.

use std::fs;
use std::path::{Path, PathBuf};

use synack_experiment::config::{parse_cli_value, Experiment};
use synack_report::files::prepare_output_dir;
use synack_report::manifest::Manifest;
use synack_report::output::{redraw_charts, write_results, RunInfo};
use synack_report::run::{Plan, Shard};

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
    let records = plan.execute(&plan.runs(Some(shard)), 1, &|| {});
    let dir = tempfile::tempdir().unwrap();
    prepare_output_dir(dir.path()).unwrap();
    let run = RunInfo {
        file: &file,
        checked: &checked,
        shard: Some(shard),
        wall_time_s: 0.25,
    };
    let written = write_results(dir.path(), &run, &records).unwrap();

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
    assert_eq!(manifest.shard.as_deref(), Some("2/2"));
    assert_eq!(manifest.wall_time_s, 0.25);
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
