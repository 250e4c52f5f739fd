//! Every `synack trace` option applies to every format, or the format refuses it saying so:
//! one row per (format, option).

use std::path::Path;
use std::process::{Command, Output};

/// Connections opened every 0.5 s over a 1 ms link: several connections, each over in a
/// few milliseconds.
const CHURN: &str = r#"name = "options"
duration = "3s"
[tcp]
msl = "10ms"
[[host]]
name = "client"
[[host]]
name = "server"
[[link]]
name = "lan"
between = ["client", "server"]
delay = "1ms"
[[workload]]
name = "short"
kind = "churn"
from = "client"
to = "server:80"
rate = 2
arrivals = "periodic"
request = "100B"
response = "100B"
stop = "2s"
"#;

const FORMATS: [&str; 6] = ["ladder", "jsonl", "pcap", "mermaid", "svg", "states"];

/// The bytes `synack trace FILE --format FORMAT ARGS` writes (to a file for pcap and svg),
/// or its error.
fn trace(file: &Path, format: &str, args: &[&str]) -> Result<Vec<u8>, String> {
    let dir = file.parent().unwrap();
    let out = dir.join(format!("out.{format}"));
    let _ = std::fs::remove_file(&out);
    let mut all = vec!["trace", file.to_str().unwrap(), "--format", format];
    all.extend_from_slice(args);
    let to_file = matches!(format, "pcap" | "svg");
    if to_file {
        all.extend(["--out", out.to_str().unwrap()]);
    }
    let o: Output = Command::new(env!("CARGO_BIN_EXE_synack"))
        .args(&all)
        .output()
        .expect("the synack binary runs");
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).into_owned());
    }
    Ok(if to_file {
        std::fs::read(&out).unwrap()
    } else {
        o.stdout
    })
}

/// (nanoseconds, connection) of every JSON line.
fn jsonl_records(bytes: &[u8]) -> Vec<(u64, Option<u64>)> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["t"].as_u64().unwrap(), v["conn"].as_u64())
        })
        .collect()
}

/// The time stamps, in nanoseconds, of a nanosecond libpcap file's packets.
fn pcap_times(bytes: &[u8]) -> Vec<u64> {
    let mut times = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let word = |i: usize| u32::from_le_bytes(bytes[at + i..at + i + 4].try_into().unwrap());
        times.push(u64::from(word(0)) * 1_000_000_000 + u64::from(word(4)));
        at += 16 + word(8) as usize;
    }
    times
}

/// The times (seconds) and connections of the states view's endpoint lines.
fn state_lines(bytes: &[u8]) -> Vec<(u64, Vec<f64>)> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| l.starts_with("conn "))
        .map(|l| {
            let conn = l.split(' ').nth(1).unwrap().parse().unwrap();
            let times = l
                .split(' ')
                .filter(|w| w.contains('.'))
                .filter_map(|w| w.parse::<f64>().ok())
                .collect();
            (conn, times)
        })
        .collect()
}

/// What a (format, option) must do.
enum Expect {
    /// Refused, the error saying this.
    Refused(&'static str),
    /// Honoured: checked against the format's output without the option.
    Honoured(fn(full: &[u8], got: &[u8])),
}

/// The one-connection views: the option changes what is drawn.
fn changes(full: &[u8], got: &[u8]) {
    assert!(!got.is_empty());
    assert_ne!(full, got, "the option changed nothing");
}

const CUT_NS: u64 = 2_000_000;

fn jsonl_connection(full: &[u8], got: &[u8]) {
    let got = jsonl_records(got);
    assert!(!got.is_empty() && got.len() < jsonl_records(full).len());
    assert!(got.iter().all(|&(_, c)| c == Some(1)), "{got:?}");
}
fn jsonl_until(full: &[u8], got: &[u8]) {
    let got = jsonl_records(got);
    assert!(!got.is_empty() && got.len() < jsonl_records(full).len());
    assert!(got.iter().all(|&(t, _)| t <= CUT_NS), "{got:?}");
}
fn jsonl_from(full: &[u8], got: &[u8]) {
    let got = jsonl_records(got);
    assert!(!got.is_empty() && got.len() < jsonl_records(full).len());
    assert!(got.iter().all(|&(t, _)| t >= CUT_NS), "{got:?}");
}
fn pcap_connection(full: &[u8], got: &[u8]) {
    let (full, got) = (pcap_times(full), pcap_times(got));
    assert!(!got.is_empty() && got.len() < full.len());
    // Connection 1 opens at 0.5 s and is over well before 1 s.
    assert!(got
        .iter()
        .all(|&t| (500_000_000..1_000_000_000).contains(&t)));
}
fn pcap_until(full: &[u8], got: &[u8]) {
    let got = pcap_times(got);
    assert!(!got.is_empty() && got.len() < pcap_times(full).len());
    assert!(got.iter().all(|&t| t <= CUT_NS), "{got:?}");
}
fn pcap_from(full: &[u8], got: &[u8]) {
    let got = pcap_times(got);
    assert!(!got.is_empty() && got.len() < pcap_times(full).len());
    assert!(got.iter().all(|&t| t >= CUT_NS), "{got:?}");
}
fn states_connection(full: &[u8], got: &[u8]) {
    let got = state_lines(got);
    assert!(!got.is_empty() && got.len() < state_lines(full).len());
    assert!(got.iter().all(|(c, _)| *c == 1));
}
fn states_until(full: &[u8], got: &[u8]) {
    assert_ne!(full, got);
    let got = state_lines(got);
    assert!(!got.is_empty());
    assert!(
        got.iter().flat_map(|(_, t)| t).all(|&t| t <= 0.002),
        "{got:?}"
    );
}
fn states_from(full: &[u8], got: &[u8]) {
    assert_ne!(full, got);
    let got = state_lines(got);
    assert!(!got.is_empty());
    assert!(
        got.iter().flat_map(|(_, t)| t).all(|&t| t >= 0.002),
        "{got:?}"
    );
}

/// The expectation of every (format, option).
fn expected(format: &str, option: &str) -> Expect {
    use Expect::*;
    let one_connection = matches!(format, "ladder" | "mermaid" | "svg");
    match (format, option) {
        (_, _) if one_connection => Honoured(changes),
        (_, "--absolute") => Refused("--absolute applies to ladder, mermaid and svg"),
        ("jsonl", "--connection") => Honoured(jsonl_connection),
        ("jsonl", "--until") => Honoured(jsonl_until),
        ("jsonl", "--from") => Honoured(jsonl_from),
        ("pcap", "--connection") => Honoured(pcap_connection),
        ("pcap", "--until") => Honoured(pcap_until),
        ("pcap", "--from") => Honoured(pcap_from),
        ("states", "--connection") => Honoured(states_connection),
        ("states", "--until") => Honoured(states_until),
        ("states", "--from") => Honoured(states_from),
        other => panic!("no expectation for {other:?}"),
    }
}

#[test]
fn every_option_applies_to_every_format_or_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("options.toml");
    std::fs::write(&file, CHURN).unwrap();
    let options: [(&str, &[&str]); 4] = [
        ("--connection", &["--connection", "1"]),
        ("--absolute", &["--absolute"]),
        ("--until", &["--until", "2ms"]),
        ("--from", &["--from", "2ms"]),
    ];
    for format in FORMATS {
        let full = trace(&file, format, &[]).unwrap();
        for (option, args) in options {
            let got = trace(&file, format, args);
            match (expected(format, option), got) {
                (Expect::Honoured(check), Ok(got)) => check(&full, &got),
                (Expect::Refused(why), Err(e)) => {
                    assert!(e.contains(why), "{format} {option}: {e}");
                    assert!(e.contains(&format!("--format {format}")), "{e}");
                }
                (Expect::Honoured(_), Err(e)) => panic!("{format} {option} refused: {e}"),
                (Expect::Refused(_), Ok(_)) => panic!("{format} {option} not refused"),
            }
        }
        // A connection the run does not have is an error in every format.
        let e = trace(&file, format, &["--connection", "99"]).unwrap_err();
        assert!(e.contains("--connection 99: this run has"), "{format}: {e}");
    }
}

/// A reader that stops early (`synack trace … | head -1`) ends the trace quietly: the JSON
/// lines go out as the run makes them, the first one is there at once, and the closed pipe
/// breaks the run off with exit status 0 and nothing on standard error.
#[test]
fn a_reader_that_stops_early_ends_the_trace_quietly() {
    use std::io::BufRead;
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments/churn.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_synack"))
        .args(["trace", file.to_str().unwrap(), "--format", "jsonl"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("synack starts");
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is gone: the pipe is closed.
    let out = child.wait_with_output().unwrap();
    let line: serde_json::Value = serde_json::from_str(&first).expect("a JSON line");
    assert_eq!(line["ev"], "state");
    assert!(out.status.success(), "{:?}", out.status);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
