//! Hostile input (issue 14): `synack check` on every file of `tests/hostile/`, in a child
//! process with 512 MB of address space and a time limit, prints the line its
//! `.expected` file holds; and on huge generated files, it answers within the same limits.
//! See `tests/hostile/README.md`.
#![cfg(target_os = "linux")]

use std::fs;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The address space each `synack check` may use.
const MEMORY: u64 = 512 << 20;
/// The wall time each may take: generous, for debug builds on a busy machine.
const TIME: Duration = Duration::from_secs(60);

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What one limited `synack check` did.
struct Outcome {
    ok: bool,
    /// The first line of standard error if it failed, else of standard output.
    first_line: String,
    took: Duration,
}

/// Runs `synack check FILE` from the workspace root under [`MEMORY`] and [`TIME`]; panics if
/// it is killed (by the limits or a signal) or takes too long.
fn check_limited(file: &Path) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_synack"));
    cmd.arg("check")
        .arg(file)
        .current_dir(workspace())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; the closure allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: MEMORY,
                rlim_max: MEMORY,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("synack starts");
    // Read both pipes on threads, so that a long message cannot block the child.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).map(|_| s)
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIME {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{}: `synack check` took more than {TIME:?}", file.display());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = started.elapsed();
    let (out, err) = (out.join().unwrap().unwrap(), err.join().unwrap().unwrap());
    assert!(
        status.code().is_some(),
        "{}: `synack check` was killed ({status}) within {MEMORY} bytes; stderr: {err}",
        file.display()
    );
    let ok = status.success();
    assert!(
        !err.contains("panicked"),
        "{}: synack panicked: {err}",
        file.display()
    );
    let first_line = if ok { &out } else { &err }
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    Outcome {
        ok,
        first_line,
        took,
    }
}

#[test]
fn every_hostile_file_gets_its_expected_line_within_the_limits() {
    let dir = workspace().join("tests/hostile");
    let bless = std::env::var_os("HOSTILE_BLESS").is_some();
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 60, "only {} hostile files", files.len());
    let mut wrong = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(workspace()).unwrap_or(path);
        let relative = Path::new("tests/hostile").join(relative.file_name().unwrap());
        let got = check_limited(&relative);
        let expected_file = path.with_extension("expected");
        if bless {
            fs::write(&expected_file, format!("{}\n", got.first_line)).unwrap();
            continue;
        }
        let expected = fs::read_to_string(&expected_file)
            .unwrap_or_else(|_| panic!("{} has no .expected file", path.display()));
        let expected = expected.trim_end_matches('\n');
        if got.first_line != expected {
            wrong.push(format!(
                "{}:\n  got      {}\n  expected {expected}",
                relative.display(),
                got.first_line
            ));
        }
        assert_eq!(
            got.ok,
            !expected.starts_with("error:"),
            "{}: exit status",
            relative.display()
        );
        if !got.ok {
            // Errors in a file name it, with the line and column when they are in its text.
            assert!(
                got.first_line
                    .starts_with(&format!("error: {}", relative.display())),
                "{}: the error does not name the file: {}",
                relative.display(),
                got.first_line
            );
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A generated experiment: `hosts` clients in a star around one server, each with a link
/// and a churn workload of its own.
fn star(hosts: usize) -> String {
    let mut text =
        String::from("name = \"star\"\nduration = \"1s\"\n\n[[host]]\nname = \"server\"\n");
    for i in 0..hosts {
        text.push_str(&format!("\n[[host]]\nname = \"c{i}\"\n"));
    }
    for i in 0..hosts {
        text.push_str(&format!(
            "\n[[link]]\nname = \"l{i}\"\nbetween = [\"c{i}\", \"server\"]\ndelay = \"1ms\"\n"
        ));
    }
    for i in 0..hosts {
        text.push_str(&format!(
            "\n[[workload]]\nname = \"w{i}\"\nkind = \"churn\"\nfrom = \"c{i}\"\nto = \"server:80\"\nrate = 10\n"
        ));
    }
    text
}

const PAIR: &str = "name = \"big\"\nduration = \"1s\"\n[[host]]\nname = \"client\"\n[[host]]\n\
    name = \"server\"\n[[link]]\nname = \"wan\"\nbetween = [\"client\", \"server\"]\n\
    delay = \"1ms\"\n[[workload]]\nname = \"w\"\nkind = \"churn\"\nfrom = \"client\"\n\
    to = \"server:80\"\nrate = 10\n";

/// A sweep of `n` values of the churn's rate.
fn sweep(n: usize) -> String {
    let values: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
    format!(
        "{PAIR}[sweep]\n\"workload.w.rate\" = [{}]\n",
        values.join(", ")
    )
}

#[test]
fn huge_files_are_checked_within_the_limits() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = tmp.path().join(name);
        fs::write(&path, text).unwrap();
        path
    };
    let ok = |name: &str, text: &str, says: &str| {
        let got = check_limited(&write(name, text));
        assert!(got.ok, "{name}: {}", got.first_line);
        assert!(got.first_line.contains(says), "{name}: {}", got.first_line);
        got.took
    };
    let refused = |name: &str, text: &str, says: &str| {
        let got = check_limited(&write(name, text));
        assert!(!got.ok, "{name} was accepted: {}", got.first_line);
        assert!(got.first_line.contains(says), "{name}: {}", got.first_line);
    };
    ok("star.toml", &star(10_000), "1 run;");
    ok("sweep.toml", &sweep(20_000), "20000 sweep points");
    // A file of fourteen 1 MiB comment lines and a long description, then one more line.
    let mut padded = PAIR.to_string();
    let filler = "x".repeat(1 << 20);
    for _ in 0..14 {
        padded.push_str(&format!("# {filler}\n"));
    }
    padded = padded.replacen(
        "duration",
        &format!("description = \"{}\"\nduration", &filler[..(1 << 20) - 100]),
        1,
    );
    assert!(padded.len() < 16 << 20);
    ok("padded.toml", &padded, "ok");
    padded.push_str(&format!("# {filler}\n# {filler}\n"));
    refused("too-big.toml", &padded, "larger than 16 MiB");
    // A million sweep values: refused by counting, without resolving a million worlds.
    refused(
        "million.toml",
        &sweep(1_000_000),
        "at most 1000000 are allowed",
    );
    refused(
        "deep.toml",
        &format!(
            "{PAIR}description = {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
        "invalid TOML",
    );
}
