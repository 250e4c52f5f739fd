//! Fuzzing the experiment parser and checker (issue 14): the gallery's experiments and the
//! hostile corpus, mutated — values replaced by extreme ones, lines deleted or doubled,
//! characters inserted — are parsed and checked; whatever the text, nothing panics, every
//! error names the file, and an accepted experiment keeps the limits (`config::limits`).
//! An accepted experiment whose largest run is estimated small enough is run once, to the
//! end: what `check` accepts must run.
//!
//! CI runs `SYNACK_FUZZ_CASES` cases (default 48, a few seconds); run longer by hand:
//!
//! ```text
//! SYNACK_FUZZ_CASES=5000 cargo test --release -p synack-report --test fuzz_experiments
//! ```

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use synack_experiment::config::{limits, Experiment};
use synack_report::run::Plan;

fn cases() -> u32 {
    std::env::var("SYNACK_FUZZ_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(48)
}

/// The gallery's experiments and the hostile corpus, as texts.
fn seeds() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for dir in ["experiments", "tests/hostile"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    out.push((path, text));
                }
            }
        }
    }
    out.sort();
    out
}

/// One change to a file's text.
#[derive(Clone, Debug)]
enum Edit {
    /// The value of line `n` (after its first `=`) replaced by `value`.
    Value(usize, &'static str),
    DeleteLine(usize),
    DoubleLine(usize),
    /// Character `c` inserted at (a fraction of) the text.
    Insert(usize, char),
    /// The first number in the value of line `n` made larger by appending `k` zeros (so
    /// that the text mostly stays valid while its numbers grow extreme).
    Scale(usize, usize),
}

const VALUES: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "4294967296",
    "18446744073709551616",
    "nan",
    "inf",
    "1e9",
    "1e-300",
    "\"1ns\"",
    "\"0s\"",
    "\"99999999999999999999s\"",
    "\"584y\"",
    "\"65536\"",
    "\"\"",
    "[]",
    "{}",
    "true",
    "\"client\"",
    "\"server:0\"",
    "[\"client\", \"client\"]",
    "\"SYN,FIN,RST,ACK\"",
    "\"é\"",
    "[1, 1]",
];

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<usize>(), prop::sample::select(VALUES)).prop_map(|(n, v)| Edit::Value(n, v)),
        6 => (any::<usize>(), 1..12usize).prop_map(|(n, k)| Edit::Scale(n, k)),
        1 => any::<usize>().prop_map(Edit::DeleteLine),
        1 => any::<usize>().prop_map(Edit::DoubleLine),
        1 => (any::<usize>(), prop::sample::select(vec!['=', '[', ']', '"', '\n', '.', ',', '#', '{']))
            .prop_map(|(a, c)| Edit::Insert(a, c)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for e in edits {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match *e {
            Edit::Value(i, v) => {
                // Only lines that assign a value.
                let assigning: Vec<usize> = (0..n).filter(|&j| lines[j].contains('=')).collect();
                if let Some(&j) = assigning.get(i % assigning.len().max(1)) {
                    let key = lines[j].split('=').next().unwrap().to_string();
                    lines[j] = format!("{key}= {v}");
                }
            }
            Edit::Scale(i, k) => {
                let assigning: Vec<usize> = (0..n).filter(|&j| lines[j].contains('=')).collect();
                if let Some(&j) = assigning.get(i % assigning.len().max(1)) {
                    let eq = lines[j].find('=').unwrap();
                    let value = &lines[j][eq..];
                    if let Some(start) = value.find(|c: char| c.is_ascii_digit()) {
                        let end = value[start..]
                            .find(|c: char| !c.is_ascii_digit())
                            .map_or(value.len(), |e| start + e);
                        lines[j].insert_str(eq + end, &"0".repeat(k));
                    }
                }
            }
            Edit::DeleteLine(i) => {
                lines.remove(i % n);
            }
            Edit::DoubleLine(i) => {
                let line = lines[i % n].clone();
                lines.insert(i % n, line);
            }
            Edit::Insert(i, c) => {
                let j = i % n;
                let at = (i / n) % (lines[j].len() + 1);
                if lines[j].is_char_boundary(at) {
                    lines[j].insert(at, c);
                }
            }
        }
    }
    lines.join("\n") + "\n"
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_experiments_are_refused_clearly_or_run(
        which in any::<usize>(),
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let all = seeds();
        let (path, text) = &all[which % all.len()];
        let text = apply(text, &edits);
        // Parsed where the original lives, so that chart references find their files.
        let file = path.with_file_name("fuzzed.toml").display().to_string();
        let experiment = match Experiment::parse(&text, &file) {
            Ok(e) => e,
            Err(e) => {
                prop_assert!(e.to_string().starts_with(&file), "{e}");
                return Ok(());
            }
        };
        let checked = match synack_experiment::check(&experiment, &[]) {
            Ok(c) => c,
            Err(e) => {
                prop_assert!(e.to_string().starts_with(&file), "{e}");
                return Ok(());
            }
        };
        prop_assert!(checked.runs() as u64 <= limits::MAX_RUNS);
        let estimate = checked.estimate();
        prop_assert!(estimate.in_all.is_finite() && estimate.in_all >= 0.0, "{estimate:?}");
        // Run the first run of what is small enough to run in a test.
        if estimate.most_in_a_run <= 20_000.0 {
            if std::env::var_os("SYNACK_FUZZ_VERBOSE").is_some() {
                eprintln!("ran {}", path.display());
            }
            // What is tested: it returns (the world panics on what the checker should have
            // refused).
            Plan::new(&checked).run_one(0, 0);
        } else if std::env::var_os("SYNACK_FUZZ_VERBOSE").is_some() {
            eprintln!("accepted {}", path.display());
        }
    }
}
