//! `synack plot` refuses results it cannot trust, saying which file and where, and exits
//! non-zero.

use std::path::Path;
use std::process::{Command, Output};

fn synack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_synack"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .output()
        .expect("the synack binary runs")
}

/// The error of `synack plot dir`, which must fail.
fn plot_fails(dir: &Path) -> String {
    let o = synack(&["plot", dir.to_str().unwrap()]);
    assert!(!o.status.success(), "plot succeeded");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Edits `dir/name` with `edit`.
fn edit(dir: &Path, name: &str, edit: impl FnOnce(String) -> String) {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(text)).unwrap();
}

/// Edits the manifest's JSON.
fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("manifest.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

#[test]
fn plot_refuses_what_it_cannot_trust() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    let o = synack(&[
        "run",
        "experiments/link-probe.toml",
        "--out",
        good.to_str().unwrap(),
        "--set",
        "duration=1s",
        "--set",
        "replications=2",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let copy = |name: &str| {
        let dir = tmp.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        for entry in std::fs::read_dir(&good).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
        }
        dir
    };
    assert!(synack(&["plot", good.to_str().unwrap()]).status.success());

    // A defect in the manifest's copy of the experiment is blamed on that copy.
    let dir = copy("bad-source");
    edit_manifest(&dir, |m| {
        let source = m["source"]
            .as_str()
            .unwrap()
            .replace("jitter = \"5ms\"", "jitter = 5");
        m["source"] = source.into();
    });
    let e = plot_fails(&dir);
    let line = std::fs::read_to_string("../../experiments/link-probe.toml")
        .unwrap()
        .lines()
        .position(|l| l.starts_with("jitter"))
        .unwrap()
        + 1;
    assert!(
        e.contains(&format!(
            "bad-source/manifest.json (`source`, the copy of experiments/link-probe.toml):{line}:"
        )),
        "{e}"
    );

    // An override `run` would refuse: of a swept path.
    let dir = copy("swept-override");
    edit_manifest(&dir, |m| {
        m["sets"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!(["link.wan.loss", "0.5"]));
    });
    let e = plot_fails(&dir);
    assert!(e.contains("link.wan.loss") && e.contains("swept"), "{e}");

    // A mean that is not a number, with the file, line and column.
    let dir = copy("nan");
    edit(&dir, "summary.csv", |text| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let header: Vec<&str> = lines[0].split(',').collect();
        let column = header.iter().position(|h| *h == "probe_loss_mean").unwrap();
        let mut cells: Vec<String> = lines[2].split(',').map(str::to_string).collect();
        cells[column] = "NaN".into();
        lines[2] = cells.join(",");
        lines.join("\n") + "\n"
    });
    let e = plot_fails(&dir);
    assert!(
        e.contains("nan/summary.csv:3: `probe_loss_mean`: `NaN` is not a finite number"),
        "{e}"
    );

    // A header alone.
    let dir = copy("header-only");
    edit(&dir, "summary.csv", |text| {
        text.lines().next().unwrap().to_string() + "\n"
    });
    let e = plot_fails(&dir);
    assert!(e.contains("header-only/summary.csv: no rows"), "{e}");

    // A row cut short: the csv error names the file and the line.
    let dir = copy("short-row");
    edit(&dir, "summary.csv", |text| {
        let mut lines: Vec<&str> = text.lines().collect();
        let cut = &lines[3][..lines[3].len() / 2];
        lines[3] = cut;
        lines.join("\n") + "\n"
    });
    let e = plot_fails(&dir);
    assert!(
        e.contains("short-row/summary.csv") && e.contains("line: 4"),
        "{e}"
    );

    // Points the manifest does not have.
    let dir = copy("other-values");
    edit(&dir, "summary.csv", |text| {
        text.replacen("\n0,2,0.001,", "\n0,2,0.002,", 1)
    });
    let e = plot_fails(&dir);
    assert!(
        e.contains("the swept values of point 0 are not those of manifest.json"),
        "{e}"
    );
}
