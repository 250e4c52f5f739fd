//! Sweep points by their values: `synack check` lists them, `synack trace --where` picks one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn synack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_synack"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .output()
        .expect("the synack binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The error of a command that must fail.
fn fails(args: &[&str]) -> String {
    let o = synack(args);
    assert!(!o.status.success(), "{args:?} succeeded:\n{}", stdout(&o));
    stderr(&o)
}

/// One connection over a link whose delay is swept (as durations written two ways) with
/// the TCP profile.
fn delay_sweep(dir: &Path, delays: &str) -> PathBuf {
    let file = dir.join("delays.toml");
    std::fs::write(
        &file,
        format!(
            r#"name = "delays"
duration = "10s"
[[host]]
name = "client"
[[host]]
name = "server"
[[link]]
name = "ab"
between = ["client", "server"]
delay = "10ms"
[[workload]]
name = "one"
kind = "request"
from = "client"
to = "server:80"
[sweep]
"link.ab.delay" = {delays}
"tcp.profile" = ["linux", "rfc"]
"#
        ),
    )
    .unwrap();
    file
}

#[test]
fn check_lists_every_point_with_its_values() {
    let o = synack(&["check", "experiments/syn-retries.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let points: Vec<&str> = out.lines().skip(1).map(str::trim).collect();
    assert_eq!(points.len(), 12, "{out}");
    assert_eq!(points[0], "#0 tcp.syn_retries=1 tcp.profile=rfc");
    assert_eq!(points[11], "#11 tcp.syn_retries=6 tcp.profile=linux");
}

#[test]
fn check_shows_the_ends_of_a_huge_sweep_and_counts_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let delays: Vec<String> = (1..=100).map(|ms| format!("\"{ms}ms\"")).collect();
    let file = delay_sweep(tmp.path(), &format!("[{}]", delays.join(", ")));
    let o = synack(&["check", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().skip(1).map(str::trim).collect();
    assert_eq!(lines.len(), 11, "{out}");
    assert_eq!(lines[0], "#0 link.ab.delay=1ms tcp.profile=linux");
    assert_eq!(lines[5], "… 190 more points …");
    assert_eq!(lines[10], "#199 link.ab.delay=100ms tcp.profile=rfc");
}

#[test]
fn where_picks_the_point_with_those_values() {
    let by_number = synack(&["trace", "experiments/syn-retries.toml", "--point", "10"]);
    assert!(by_number.status.success(), "{}", stderr(&by_number));
    // In either order, and 6 written as a float.
    for wheres in [
        ["tcp.profile=rfc", "tcp.syn_retries=6"],
        ["tcp.syn_retries=6.0", "tcp.profile=\"rfc\""],
    ] {
        let mut args = vec!["trace", "experiments/syn-retries.toml"];
        for w in &wheres {
            args.extend(["--where", w]);
        }
        let by_value = synack(&args);
        assert!(by_value.status.success(), "{}", stderr(&by_value));
        assert_eq!(stdout(&by_value), stdout(&by_number));
        assert!(stdout(&by_value).contains("123.000000  CLOSED"));
    }
}

#[test]
fn where_compares_durations_by_length() {
    let tmp = tempfile::tempdir().unwrap();
    let file = delay_sweep(tmp.path(), r#"["500ms", "1s"]"#);
    let file = file.to_str().unwrap();
    let at = |args: &[&str]| {
        let mut all = vec!["trace", file];
        all.extend_from_slice(args);
        let o = synack(&all);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        stdout(&o)
    };
    let point_2 = at(&["--point", "2"]);
    assert!(point_2.contains("1.000000  ESTABLISHED"), "{point_2}");
    for delay in ["1s", "1000ms", "\"1s\""] {
        let by_value = at(&[
            "--where",
            &format!("link.ab.delay={delay}"),
            "--where",
            "tcp.profile=linux",
        ]);
        assert_eq!(by_value, point_2, "--where link.ab.delay={delay}");
    }
    assert_eq!(
        at(&[
            "--where",
            "link.ab.delay=0.5s",
            "--where",
            "tcp.profile=rfc"
        ]),
        at(&["--point", "1"])
    );
}

#[test]
fn where_explains_what_it_could_not_choose() {
    let file = "experiments/syn-retries.toml";
    let none = fails(&["trace", file, "--where", "tcp.syn_retries=7"]);
    assert!(
        none.contains(
            "no sweep point has tcp.syn_retries=7; tcp.syn_retries takes 1, 2, 3, 4, 5, 6"
        ),
        "{none}"
    );
    let several = fails(&["trace", file, "--where", "tcp.syn_retries=2"]);
    assert!(
        several.contains(
            "2 sweep points have tcp.syn_retries=2: #2 tcp.syn_retries=2 tcp.profile=rfc, \
             #3 tcp.syn_retries=2 tcp.profile=linux; add --where for tcp.profile"
        ),
        "{several}"
    );
    let unknown = fails(&["trace", file, "--where", "tcp.msl=1s"]);
    assert!(
        unknown
            .contains("`tcp.msl` is not swept; the swept paths are tcp.syn_retries, tcp.profile"),
        "{unknown}"
    );
    let twice = fails(&[
        "trace",
        file,
        "--where",
        "tcp.profile=rfc",
        "--where",
        "tcp.profile=linux",
    ]);
    assert!(twice.contains("tcp.profile=…: given twice"), "{twice}");
    let mixed = fails(&["trace", file, "--point", "1", "--where", "tcp.profile=rfc"]);
    assert!(
        mixed.contains("cannot be used with") && mixed.contains("--where <PATH=VALUE>"),
        "{mixed}"
    );
    let malformed = fails(&["trace", file, "--where", "rfc"]);
    assert!(
        malformed.contains("--where expects PATH=VALUE"),
        "{malformed}"
    );
    let out_of_range = fails(&["trace", file, "--point", "12"]);
    assert!(
        out_of_range.contains("--point 12: the sweep has 12 point(s)"),
        "{out_of_range}"
    );
}
