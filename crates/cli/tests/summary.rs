//! The console summary after `synack run`: the metrics `summary = [...]` names, and `n/a`
//! where no run had a value.

use std::process::Command;

/// A client whose SYNs are all lost: nothing is established, every connect() fails.
const UNREACHABLE: &str = r#"name = "unreachable"
summary = ["conn_failed", "handshake_mean_s", "connect_fail_mean_s"]
duration = "30s"
replications = 2
[tcp]
profile = "rfc"
syn_retries = 2
[[host]]
name = "client"
[[host]]
name = "server"
[[link]]
name = "wan"
between = ["client", "server"]
delay = "10ms"
[link.forward]
loss = 1.0
[[workload]]
name = "connect"
kind = "request"
from = "client"
to = "server:80"
"#;

#[test]
fn the_summary_shows_the_metrics_the_file_names_and_n_a_where_none_applies() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("unreachable.toml");
    std::fs::write(&file, UNREACHABLE).unwrap();
    let out = tmp.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_synack"))
        .args([
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<Vec<&str>> = text
        .lines()
        .take(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines[0],
        ["conn_failed", "handshake_mean_s", "connect_fail_mean_s"],
        "{text}"
    );
    // rfc: SYNs at 0, 1 and 3 s; it gives up at 7 s.
    assert_eq!(lines[1], ["1.000", "n/a", "7.000"], "{text}");

    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let header: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    for row in runs.lines().skip(1) {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells[column("handshake_mean_s")], "");
        assert_eq!(cells[column("connect_fail_mean_s")], "7");
    }
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = summary.lines().nth(1).unwrap().split(',').collect();
    let cell = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(
        (cell("handshake_mean_s_mean"), cell("handshake_mean_s_n")),
        ("", "0")
    );
    assert_eq!(
        (
            cell("connect_fail_mean_s_mean"),
            cell("connect_fail_mean_s_n")
        ),
        ("7", "2")
    );
}
