//! The `synack` command as a user runs it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

// The experiment texts of the experiment crate's tests.
#[path = "../../experiment/tests/common/mod.rs"]
mod common;

fn synack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_synack"))
        .args(args)
        .current_dir(workspace())
        .output()
        .expect("the synack binary runs")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes experiment `text` as `dir/name`; returns its path.
fn experiment_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let file = dir.join(name);
    fs::write(&file, text).unwrap();
    file
}

/// A small, fast version of the probe experiment.
const QUICK: &[&str] = &["--set", "duration=2s", "--set", "replications=3"];

fn run_into(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        "experiments/link-probe.toml",
        "--out",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(QUICK);
    args.extend_from_slice(extra);
    synack(&args)
}

#[test]
fn results_are_byte_identical_whatever_the_number_of_jobs() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, four) = (tmp.path().join("one"), tmp.path().join("four"));
    let a = run_into(&one, &["--jobs", "1"]);
    assert!(a.status.success(), "{}", stderr(&a));
    let b = run_into(&four, &["--jobs", "4"]);
    assert!(b.status.success(), "{}", stderr(&b));
    for file in [
        "runs.csv",
        "summary.csv",
        "measured-loss.png",
        "measured-loss.svg",
    ] {
        assert_eq!(
            fs::read(one.join(file)).unwrap(),
            fs::read(four.join(file)).unwrap(),
            "{file} differs between --jobs 1 and --jobs 4"
        );
    }
    let runs = fs::read_to_string(one.join("runs.csv")).unwrap();
    // 6 loss values × 3 replications, and a header.
    assert_eq!(runs.lines().count(), 1 + 6 * 3);
    assert!(runs.starts_with("point,replication,seed,link.wan.loss,conn_attempted,"));
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(one.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["replications"], 3);
    assert_eq!(manifest["points"].as_array().unwrap().len(), 6);
}

#[test]
fn plot_redraws_the_charts_of_a_results_directory() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(run_into(tmp.path(), &[]).status.success());
    let chart = tmp.path().join("measured-loss.png");
    let before = fs::read(&chart).unwrap();
    fs::remove_file(&chart).unwrap();
    let o = synack(&["plot", tmp.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        fs::read(&chart).unwrap(),
        before,
        "a redraw from summary.csv is identical"
    );
}

#[test]
fn every_experiment_file_checks() {
    let mut checked = 0;
    for entry in fs::read_dir(workspace().join("experiments")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let o = synack(&["check", path.to_str().unwrap()]);
            assert!(o.status.success(), "{}: {}", path.display(), stderr(&o));
            checked += 1;
        }
    }
    assert!(checked >= 1);
}

/// Each bad invocation fails with one clear message, no panic, and writes nothing.
#[test]
fn bad_input_gives_a_clear_error_and_no_results() {
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("a-file");
    fs::write(&blocker, "not a directory").unwrap();
    let bad = tmp.path().join("bad.toml");
    fs::write(&bad, "name = \"x\"\nduraton = \"1s\"\n").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["run".into(), "experiments/no-such-file.toml".into()],
            "no-such-file.toml",
        ),
        (
            vec!["run".into(), bad.display().to_string()],
            "did you mean `duration`",
        ),
        (
            vec![
                "run".into(),
                "experiments/link-probe.toml".into(),
                "--set".into(),
                "link.wan.los=0.1".into(),
            ],
            "loss",
        ),
        (
            vec![
                "run".into(),
                "experiments/link-probe.toml".into(),
                "--set".into(),
                "link.wan.delay=-5ms".into(),
            ],
            "cannot be negative",
        ),
        (
            vec![
                "run".into(),
                "experiments/link-probe.toml".into(),
                "--set".into(),
                "nonsense".into(),
            ],
            "PATH=VALUE",
        ),
        (
            vec![
                "run".into(),
                "experiments/link-probe.toml".into(),
                "--shard".into(),
                "3/2".into(),
            ],
            "K/N",
        ),
        (
            vec![
                "run".into(),
                "experiments/link-probe.toml".into(),
                "--out".into(),
                blocker.join("sub").display().to_string(),
            ],
            "cannot create output directory",
        ),
        (
            vec![
                "run".into(),
                "experiments/link-probe.toml".into(),
                "--set".into(),
                "link.wan.loss=0.2".into(),
            ],
            "is swept",
        ),
        (
            vec!["plot".into(), tmp.path().display().to_string()],
            "manifest.json",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = synack(&args);
        let err = stderr(&o);
        assert!(!o.status.success(), "{args:?} should fail");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            err.contains(expected),
            "{args:?}: expected `{expected}` in: {err}"
        );
    }
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        2,
        "nothing written beside the inputs"
    );
}

#[test]
fn series_are_written_and_drawn_over_time() {
    let tmp = tempfile::tempdir().unwrap();
    let o = synack(&[
        "run",
        "experiments/slow-start.toml",
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let series = fs::read_to_string(tmp.path().join("series.csv")).unwrap();
    assert!(series
        .starts_with("point,replication,t_s,host,conn,metric,value\n0,0,0,client,0,cwnd,4380\n"));
    assert!(series.lines().any(|l| l.contains(",ssthresh,")));
    let png = fs::read(tmp.path().join("cwnd.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn trace_writes_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let file = "experiments/handshake.toml";
    let out = |name: &str| tmp.path().join(name).display().to_string();
    let ladder = synack(&["trace", file]);
    assert!(String::from_utf8_lossy(&ladder.stdout).contains("<SEQ=0><CTL=SYN>"));
    let jsonl = String::from_utf8(synack(&["trace", file, "--format", "jsonl"]).stdout).unwrap();
    assert!(jsonl
        .lines()
        .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
    let mermaid =
        String::from_utf8(synack(&["trace", file, "--format", "mermaid"]).stdout).unwrap();
    assert!(mermaid.contains("sequenceDiagram") && mermaid.contains("SYN seq=0"));
    let states = String::from_utf8(synack(&["trace", file, "--format", "states"]).stdout).unwrap();
    assert!(
        states.contains("TIME-WAIT     CLOSED               1"),
        "{states}"
    );
    for (format, name) in [("pcap", "h.pcap"), ("svg", "h.svg")] {
        let o = synack(&["trace", file, "--format", format, "--out", &out(name)]);
        assert!(o.status.success(), "{}", stderr(&o));
        let refused = synack(&["trace", file, "--format", format]);
        assert!(!refused.status.success() && stderr(&refused).contains("--out"));
    }
    let pcap = fs::read(tmp.path().join("h.pcap")).unwrap();
    // Nanosecond-resolution pcap, little-endian.
    assert_eq!(&pcap[..4], &[0x4d, 0x3c, 0xb2, 0xa1]);
    assert!(fs::read_to_string(tmp.path().join("h.svg"))
        .unwrap()
        .contains("<svg"));
}

/// `check`, `run` and `trace` go through the one checker: a mistake that only building the
/// world used to find (here a request between hosts joined only through a third) is reported
/// by each at its file, line and column, and nothing runs or is written.
#[test]
fn every_command_reports_what_the_checker_finds_where_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!("{}{}", common::CHAIN, common::WEB.replace("b:80", "c:80"));
    let file = experiment_file(tmp.path(), "chain.toml", &text);
    let file = file.to_str().unwrap();
    let out = tmp.path().join("out");
    let expected = format!(
        "error: {file}:24:6: `workload.web.to`: no route from \"a\" to \"c\": the path reaches \
         host \"b\", and hosts do not forward packets (make it a [[router]]); join them by \
         [[link]]s, directly or through [[router]]s\n"
    );
    for args in [
        vec!["check", file],
        vec!["run", file, "--out", out.to_str().unwrap()],
        vec!["trace", file],
    ] {
        let o = synack(&args);
        assert!(!o.status.success(), "{args:?} should fail");
        assert_eq!(stderr(&o), expected, "{args:?}");
    }
    assert!(!out.exists(), "nothing written");
}

/// More than 128 floods (the limit of the old packed addresses) check and run.
#[test]
fn two_hundred_floods_run() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!("{}{}{}", common::CHAIN, common::WEB, common::floods(200));
    let file = experiment_file(tmp.path(), "floods.toml", &text);
    let out = tmp.path().join("out");
    let o = synack(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--set",
        "duration=1s",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let runs = fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 2, "one run and a header");
}

#[test]
fn drill_runs_packetdrill_scripts_and_fails_on_a_mismatch() {
    let scripts = workspace().join("crates/drill/tests/scripts");
    let mut args = vec!["drill".to_string()];
    for e in std::fs::read_dir(&scripts).unwrap() {
        args.push(e.unwrap().path().display().to_string());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = synack(&refs);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}{}", stderr(&o));
    assert!(
        out.contains(" passed, 0 failed, 0 unsupported, 0 malformed"),
        "{out}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.pkt");
    std::fs::write(&bad, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 connect(3, ..., ...) = 0\n+0 > S. 0:0(0) ack 1\n").unwrap();
    let o = synack(&["drill", bad.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!o.status.success());
    assert!(out.contains("bad.pkt:3: error handling packet: live packet field tcp_ack: expected: 1 (0x1) vs actual: 0 (0x0)"), "{out}");

    std::fs::write(
        &bad,
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S 0:0(0) win\n",
    )
    .unwrap();
    let o = synack(&["drill", bad.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!o.status.success());
    assert!(out.contains("bad.pkt:3:1: expected a window"), "{out}");
}
