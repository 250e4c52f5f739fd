//! Sweeps that survive interruption and split over machines, as a user meets them: killed
//! at any moment and run again, a disk that fills up, shards merged in any order, files of
//! the user's in the output directory, the experiment read from standard input.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_synack"));
    c.args(args).current_dir(workspace());
    c
}

fn synack(args: &[&str]) -> Output {
    command(args).output().expect("the synack binary runs")
}

fn ok(o: &Output) -> &Output {
    assert!(
        o.status.success(),
        "synack failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// 20 sweep points × 2 replications of a second each: about a second of runs and half a
/// second of results (4 charts, and flows.csv) in a debug build.
const SWEEP: &[&str] = &[
    "run",
    "experiments/loss-sweep.toml",
    "--set",
    "duration=1s",
    "--set",
    "replications=2",
    "--set",
    "flows=true",
    "--jobs",
    "2",
];

fn with_out<'a>(args: &[&'a str], out: &'a Path) -> Vec<&'a str> {
    let mut v = args.to_vec();
    v.extend(["--out", out.to_str().unwrap()]);
    v
}

/// The entries of `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// Every file of results directory `a` is byte-identical to `b`'s, the manifest's wall
/// time aside, and the directories hold the same files.
fn assert_same_results(a: &Path, b: &Path) {
    assert_eq!(
        names(a),
        names(b),
        "{} against {}",
        a.display(),
        b.display()
    );
    for name in names(a) {
        let (x, y) = (
            fs::read(a.join(&name)).unwrap(),
            fs::read(b.join(&name)).unwrap(),
        );
        assert!(
            x == y,
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// What a crashed or stopped run may leave beside `dir` or in it: its stage, an old set,
/// `.tmp-` files.
fn temporaries(dir: &Path) -> Vec<String> {
    let name = dir.file_name().unwrap().to_str().unwrap().to_string();
    let beside = names(dir.parent().unwrap())
        .into_iter()
        .filter(|n| n.starts_with(&format!(".{name}.synack-")));
    let inside = names(dir).into_iter().filter(|n| n.starts_with('.'));
    beside.chain(inside).collect()
}

/// The output directory holds one whole set: exactly the files its manifest lists, with
/// the manifest, and maybe the journal; and that set is either `old`'s or `new`'s.
fn assert_one_whole_set(dir: &Path, old: &Path, new: &Path) {
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let mut expected: Vec<String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    expected.push("manifest.json".into());
    expected.sort();
    let present: Vec<String> = names(dir)
        .into_iter()
        .filter(|n| n != "journal.jsonl" && !n.starts_with('.'))
        .collect();
    assert_eq!(present, expected, "{}", dir.display());
    let set = if fs::read(dir.join("runs.csv")).unwrap() == fs::read(old.join("runs.csv")).unwrap()
    {
        old
    } else {
        new
    };
    for name in &expected {
        if name != "manifest.json" {
            assert!(
                fs::read(dir.join(name)).unwrap() == fs::read(set.join(name)).unwrap(),
                "{name} of {} is from another set than its runs.csv",
                dir.display()
            );
        }
    }
}

/// A small, reproducible generator of the moments to interrupt at.
struct Moments(u64);

impl Moments {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[derive(Clone, Copy, Debug)]
enum Moment {
    /// A random time while runs run (or, on a fast machine, later).
    Runs,
    /// Shortly after the stage beside the output directory appears.
    Writing,
    /// As soon as the stage is gone again: the swap done, the old set being removed.
    AfterSwap,
}

/// Waits until `done` holds or the child ends; false on timeout.
fn wait_for(child: &mut Child, done: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if done() || child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_micros(300));
    }
    false
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, sig) };
}

#[test]
fn a_sweep_killed_or_stopped_at_any_moment_resumes_to_the_bytes_of_an_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = tmp.path().join("reference");
    ok(&synack(&with_out(SWEEP, &reference)));
    // The results of another sweep, which every interrupted directory starts with.
    let old = tmp.path().join("old");
    let mut other = with_out(SWEEP, &old);
    other.extend(["--set", "seed=7"]);
    ok(&synack(&other));

    let mut moments = Moments(0x5eed_cafe);
    let trials = [
        (libc::SIGKILL, Moment::Runs),
        (libc::SIGINT, Moment::Runs),
        (libc::SIGTERM, Moment::Runs),
        (libc::SIGKILL, Moment::Writing),
        (libc::SIGINT, Moment::Writing),
        (libc::SIGKILL, Moment::AfterSwap),
    ];
    for (i, (sig, moment)) in trials.into_iter().enumerate() {
        let dir = tmp.path().join(format!("trial{i}"));
        fs::create_dir(&dir).unwrap();
        for name in names(&old) {
            fs::copy(old.join(&name), dir.join(&name)).unwrap();
        }
        let mut child = command(&with_out(SWEEP, &dir))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stage_exists = || {
            temporaries(&dir)
                .iter()
                .any(|t| t.contains(".synack-stage-"))
        };
        let delay = match moment {
            Moment::Runs => Duration::from_millis(100 + moments.below(700)),
            Moment::Writing => {
                assert!(wait_for(&mut child, stage_exists), "no stage appeared");
                Duration::from_millis(moments.below(100))
            }
            Moment::AfterSwap => {
                assert!(wait_for(&mut child, stage_exists), "no stage appeared");
                assert!(wait_for(&mut child, || !stage_exists()), "the stage stayed");
                Duration::ZERO
            }
        };
        std::thread::sleep(delay);
        signal(&child, sig);
        let stopped = child.wait_with_output().unwrap();
        let what = format!("trial {i}: signal {sig} at {moment:?} + {delay:?}");
        if sig != libc::SIGKILL && stopped.status.code() == Some(130) {
            let err = stderr(&stopped);
            assert!(err.contains("run the same command again"), "{what}: {err}");
        }
        assert_one_whole_set(&dir, &old, &reference);

        let resumed = synack(&with_out(SWEEP, &dir));
        assert!(resumed.status.success(), "{what}: {}", stderr(&resumed));
        assert_same_results(&dir, &reference);
        assert!(
            temporaries(&dir).is_empty(),
            "{what}: {:?}",
            temporaries(&dir)
        );
    }
}

#[test]
fn a_write_error_leaves_the_previous_results_whole_and_no_temporaries() {
    let tmp = tempfile::tempdir().unwrap();
    // Thirty short runs whose charts are larger than their journal.
    let link_probe = ["run", "experiments/link-probe.toml"];
    let reference = tmp.path().join("reference");
    ok(&synack(&with_out(&link_probe, &reference)));
    let dir = tmp.path().join("results");
    let mut previous = with_out(&link_probe, &dir);
    previous.extend(["--set", "seed=9"]);
    ok(&synack(&previous));
    let before: Vec<(String, Vec<u8>)> = names(&dir)
        .into_iter()
        .map(|n| (n.clone(), fs::read(dir.join(&n)).unwrap()))
        .collect();

    // A disk that takes no file as large as the largest result: the journal is written,
    // the largest chart is not (EFBIG, as a full disk gives ENOSPC).
    let largest = names(&reference)
        .iter()
        .map(|n| fs::metadata(reference.join(n)).unwrap().len())
        .max()
        .unwrap();
    let limit = largest - 1;
    let mut limited = command(&with_out(&link_probe, &dir));
    // SAFETY: setrlimit and signal are async-signal-safe; the child only then execs.
    unsafe {
        limited.pre_exec(move || {
            let rlim = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            if libc::setrlimit(libc::RLIMIT_FSIZE, &rlim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let failed = limited.output().unwrap();
    assert!(!failed.status.success(), "the write should fail");
    let err = stderr(&failed);
    assert!(err.starts_with("error: cannot write"), "{err}");
    let journal = fs::metadata(dir.join("journal.jsonl")).unwrap().len();
    assert!(
        journal < limit,
        "the journal ({journal} B) must fit under {limit} B"
    );

    let after: Vec<(String, Vec<u8>)> = names(&dir)
        .into_iter()
        .filter(|n| n != "journal.jsonl")
        .map(|n| (n.clone(), fs::read(dir.join(&n)).unwrap()))
        .collect();
    assert!(before == after, "the previous results changed");
    assert!(temporaries(&dir).is_empty(), "{:?}", temporaries(&dir));

    // With room again, the journaled run is written without running it again.
    let o = ok(&synack(&with_out(&link_probe, &dir))).clone();
    assert!(
        stderr(&o).contains("resuming: 30 of 30 runs"),
        "{}",
        stderr(&o)
    );
    assert_same_results(&dir, &reference);
}

#[test]
fn shards_in_any_order_merge_to_the_bytes_of_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    // Four runs with time series and flows, in five shards: the fifth has no run.
    let base = [
        "run",
        "experiments/slow-start.toml",
        "--set",
        "replications=4",
        "--set",
        "duration=1s",
        "--set",
        "flows=true",
    ];
    let whole = tmp.path().join("whole");
    ok(&synack(&with_out(&base, &whole)));
    let flows = fs::read_to_string(whole.join("flows.csv")).unwrap();
    assert_eq!(flows.lines().count(), 1 + 4, "a flow a run: {flows}");
    let shard_dir = |k: usize| tmp.path().join(format!("shard{k}"));
    for k in [3, 5, 1, 4, 2] {
        let shard = format!("{k}/5");
        let dir = shard_dir(k);
        let mut args = with_out(&base, &dir);
        args.extend(["--shard", &shard]);
        let o = ok(&synack(&args)).clone();
        assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("shard {k}/5")));
        assert_eq!(
            names(&shard_dir(k)),
            ["journal.jsonl"],
            "a shard writes its journal only"
        );
    }
    let dirs: Vec<String> = (1..=5)
        .map(|k| shard_dir(k).display().to_string())
        .collect();
    for (n, order) in [[0, 1, 2, 3, 4], [4, 2, 0, 3, 1]].iter().enumerate() {
        let out = tmp.path().join(format!("merged{n}"));
        let mut args = vec!["merge"];
        args.extend(order.iter().map(|&i| dirs[i].as_str()));
        args.extend(["--out", out.to_str().unwrap()]);
        ok(&synack(&args));
        assert_same_results(&out, &whole);
    }

    let merge = |dirs: &[&str]| {
        let mut args = vec!["merge"];
        args.extend(dirs);
        let out = tmp.path().join("refused");
        args.extend(["--out", out.to_str().unwrap()]);
        synack(&args)
    };
    // A shard left out is a gap, named.
    let o = merge(&[&dirs[0], &dirs[1], &dirs[3], &dirs[4]]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("shard 3/5 is not among the directories"),
        "{}",
        stderr(&o)
    );
    // Told to, the merge writes the rest, and the manifest counts what is missing.
    let partial = tmp.path().join("partial");
    let o = synack(&[
        "merge",
        &dirs[0],
        &dirs[1],
        &dirs[3],
        &dirs[4],
        "--allow-gaps",
        "--out",
        partial.to_str().unwrap(),
    ]);
    ok(&o);
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(partial.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["runs_missing"], 1,
        "shard 3/5 holds one of the four runs"
    );
    let runs = fs::read_to_string(partial.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 1 + 3);
    // The same runs twice are an overlap, unless allowed.
    let single = tmp.path().join("single");
    let mut args = with_out(&base, &single);
    args.extend(["--shard", "1/1"]);
    ok(&synack(&args));
    let o = merge(&[&dirs[0], single.to_str().unwrap()]);
    assert!(stderr(&o).contains("overlapping shards"), "{}", stderr(&o));
    let mut allowed = vec![
        "merge",
        &dirs[0],
        single.to_str().unwrap(),
        "--allow-overlaps",
    ];
    let out = tmp.path().join("overlapping");
    allowed.extend(["--out", out.to_str().unwrap()]);
    ok(&synack(&allowed));
    assert_same_results(&out, &whole);
    // Shards of another sweep do not mix.
    let other = tmp.path().join("other");
    let mut args = with_out(&base, &other);
    args.extend(["--shard", "3/5", "--set", "seed=5"]);
    ok(&synack(&args));
    let o = merge(&[
        &dirs[0],
        &dirs[1],
        other.to_str().unwrap(),
        &dirs[3],
        &dirs[4],
    ]);
    assert!(
        stderr(&o).contains("runs of different sweeps"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--set seed=5"), "{}", stderr(&o));
}

#[test]
fn files_the_user_put_in_the_output_directory_are_refused_not_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("results");
    let probe = ["run", "experiments/link-probe.toml", "--set", "duration=1s"];
    ok(&synack(&with_out(&probe, &dir)));
    let runs = fs::read(dir.join("runs.csv")).unwrap();
    fs::write(dir.join("notes.txt"), "mine").unwrap();
    let o = synack(&with_out(&probe, &dir));
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("holds a file that synack did not write: notes.txt"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read(dir.join("notes.txt")).unwrap(), b"mine");
    assert_eq!(fs::read(dir.join("runs.csv")).unwrap(), runs);
    // Moved away, the results are replaced as a set: no file of the earlier set stays.
    fs::remove_file(dir.join("notes.txt")).unwrap();
    fs::write(dir.join("stale.png"), "an earlier experiment's chart").unwrap();
    let o = synack(&with_out(&probe, &dir));
    assert!(stderr(&o).contains("stale.png"), "{}", stderr(&o));
}

#[test]
fn a_journal_of_another_sweep_is_refused_unless_discarded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("results");
    let probe = ["run", "experiments/link-probe.toml", "--set", "duration=1s"];
    let mut shard = with_out(&probe, &dir);
    shard.extend(["--shard", "1/2"]);
    ok(&synack(&shard));
    let o = synack(&with_out(&probe, &dir));
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("journal of another sweep (runs of shard 1/2, not all)"),
        "{err}"
    );
    assert!(err.contains("--fresh"), "{err}");
    let mut fresh = with_out(&probe, &dir);
    fresh.push("--fresh");
    ok(&synack(&fresh));
    assert!(!dir.join("journal.jsonl").exists());
}

#[test]
fn the_experiment_is_read_once_from_standard_input_too() {
    let tmp = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(workspace().join("experiments/handshake.toml")).unwrap();
    let out = tmp.path().join("stdin");
    let mut child = command(&["run", "-", "--out", out.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["file"], "-");
    assert_eq!(manifest["source"], text.as_str());
    // The SHA-256 of the bytes read, as sha256sum prints it.
    let sum = Command::new("sha256sum")
        .arg(workspace().join("experiments/handshake.toml"))
        .output();
    if let Ok(sum) = sum {
        let sum = String::from_utf8_lossy(&sum.stdout);
        assert_eq!(
            manifest["source_sha256"],
            sum.split_whitespace().next().unwrap()
        );
    }
}
