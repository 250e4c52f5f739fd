//! Fuzzes the script parser and runner with mutated copies of the scripts under a directory
//! (for instance a packetdrill checkout's `gtests/net/tcp`, which stays outside this
//! repository): `cargo run --release -p synack-drill --example fuzz -- DIR [CASES] [SEED]`.
//!
//! Each case deletes, inserts or duplicates text a few times in one script, then parses and
//! runs it. A panic is counted (and its input printed); a malformed script must give an
//! error that names its line and column. Exits non-zero if either ever fails.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use synack_drill::{run_source, Outcome, RunOptions};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "pkt") {
            out.push(p);
        }
    }
}

const PIECES: [&str; 12] = [
    " ", "\n", ".", ":", "(", ")", "<", ">", "+", "...", "`", "%{",
];

fn mutate(src: &str, rng: &mut ChaCha8Rng) -> String {
    let mut chars: Vec<char> = src.chars().collect();
    for _ in 0..rng.random_range(1..6) {
        let len = chars.len();
        let at = rng.random_range(0..=len);
        match rng.random_range(0..3) {
            0 => {
                let end = (at + rng.random_range(1..40)).min(len);
                chars.drain(at..end);
            }
            1 => {
                let piece = PIECES[rng.random_range(0..PIECES.len())];
                for (i, c) in piece.chars().enumerate() {
                    chars.insert(at + i, c);
                }
            }
            _ => {
                let end = (at + rng.random_range(1..80)).min(len);
                let copy: Vec<char> = chars[at..end].to_vec();
                for (i, c) in copy.into_iter().enumerate() {
                    chars.insert(end + i, c);
                }
            }
        }
    }
    chars.into_iter().collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else {
        eprintln!("usage: fuzz DIR [CASES] [SEED]");
        std::process::exit(2);
    };
    let cases: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5000);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut files = Vec::new();
    collect(Path::new(dir), &mut files);
    files.sort();
    let sources: Vec<String> = files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    if sources.is_empty() {
        eprintln!("no .pkt files under {dir}");
        std::process::exit(2);
    }
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut errors, mut panics, mut bad_errors) = (0, 0, 0);
    let opts = RunOptions::default();
    for _ in 0..cases {
        let src = &sources[rng.random_range(0..sources.len())];
        let mutated = mutate(src, &mut rng);
        match catch_unwind(AssertUnwindSafe(|| {
            run_source("f.pkt", &mutated, &opts).outcome
        })) {
            Ok(Outcome::Error(e)) => {
                errors += 1;
                let mut parts = e.splitn(4, ':');
                let located = parts.next() == Some("f.pkt")
                    && parts.next().is_some_and(|l| l.parse::<u32>().is_ok())
                    && parts.next().is_some_and(|c| c.parse::<u32>().is_ok());
                if !located {
                    bad_errors += 1;
                    eprintln!("error without line:col: {e}");
                }
            }
            Ok(_) => {}
            Err(_) => {
                panics += 1;
                eprintln!("PANIC on input:\n{mutated}\n----");
            }
        }
    }
    let located = if bad_errors == 0 {
        "every one"
    } else {
        "NOT every one"
    };
    println!(
        "{cases} mutated cases of {} scripts: {errors} malformed ({located} reported with its line and column), {panics} panics",
        sources.len()
    );
    if panics > 0 || bad_errors > 0 {
        std::process::exit(1);
    }
}
