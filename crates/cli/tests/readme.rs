//! The README is executable: every command it shows, and every `synack` command the
//! experiment files' headers suggest, is run, and the output the README quotes is checked
//! against what the command prints (the wall time of `synack run` aside).
//!
//! What counts as a command:
//! - in README.md, a code block with lines starting `$ `: each such line is a command, and
//!   the lines below it (up to the next `$ ` or the end of the block) are its quoted output,
//!   which must appear in the real output as a block of consecutive lines;
//! - in README.md, a ```` ```sh ```` block: a command per line (after `#` a comment), run
//!   and expected to succeed;
//! - in README.md, a plain code block starting `synack `: a synopsis, whose every `--option`
//!   must be one the subcommand's `--help` lists;
//! - in README.md's text and in the comment header of experiments/*.toml, a code span
//!   `` `synack … experiments/…` ``: run and expected to succeed.
//!
//! `cargo run --release --` and `synack` both mean the binary under test (this debug
//! build). Commands run in a scratch directory that sees the repository's experiments/ and
//! validation/ but not its results/, so `synack run` leaves the checkout as it was.
//! The commands that take minutes, or need what a clone does not have, are listed in
//! [`SKIPPED`] with the reason; the test fails if that list names a command the README no
//! longer shows, so it cannot go stale.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Commands shown but not run here, and why.
const SKIPPED: &[(&str, &str)] = &[
    (
        "cargo test --workspace",
        "the test suite this test is part of",
    ),
    (
        "cargo bench -p synack-benches --bench scheduler",
        "a benchmark: minutes, and its figures are the machine's",
    ),
    (
        "cargo run --release -p synack-benches --example hold -- 1000 20000000",
        "a benchmark: 20 million events, timed",
    ),
    (
        "cargo bench -p synack-benches --bench tcp",
        "a benchmark: minutes, and its figures are the machine's",
    ),
    (
        "synack run benches/flood-1m.toml --set host.server.tcp.syn_cookies=1",
        "a benchmark: ten million SYNs, timed",
    ),
    (
        "validation/packetdrill/run-upstream.sh PATH/TO/packetdrill",
        "needs a checkout of google/packetdrill",
    ),
    (
        "synack drill close-remote-fin-then-close.pkt",
        "a script of google/packetdrill's suite (GPL-2.0), which is not in this repository",
    ),
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository")
}

/// A command as shown, and the output quoted below it (empty: only success is checked).
#[derive(Debug)]
struct Shown {
    command: String,
    quoted: Vec<String>,
    origin: String,
}

/// `line` without a trailing `# comment` (a `#` after whitespace).
fn strip_comment(line: &str) -> &str {
    match line.find(" #") {
        Some(i) => line[..i].trim_end(),
        None => line.trim_end(),
    }
}

/// The fenced code blocks of a Markdown text: (info string, lines, line number).
fn code_blocks(text: &str) -> Vec<(String, Vec<String>, usize)> {
    let mut out = Vec::new();
    let mut current: Option<(String, Vec<String>, usize)> = None;
    for (n, line) in text.lines().enumerate() {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            match current.take() {
                Some(block) => out.push(block),
                None => current = Some((info.trim().to_string(), Vec::new(), n + 1)),
            }
        } else if let Some((_, lines, _)) = current.as_mut() {
            lines.push(line.to_string());
        }
    }
    out
}

/// Markdown text outside code blocks, lines joined by spaces (code spans may wrap).
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
        } else if !inside {
            out.push_str(line);
            out.push(' ');
        }
    }
    out
}

/// The code spans of `text` that are `synack` commands on experiment files, without
/// placeholders (words in capitals such as FILE or NAME).
fn command_spans(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| {
            s.starts_with("synack ")
                && (s.contains("experiments/") || s.starts_with("synack explain "))
        })
        .filter(|s| {
            !s.split(|c: char| !c.is_ascii_alphabetic())
                .any(|w| w.len() > 1 && w.chars().all(|c| c.is_ascii_uppercase()))
        })
        .collect()
}

/// The documents whose commands are run.
const DOCUMENTS: &[&str] = &["README.md", "docs/reference.md"];

/// Every command the documents and the experiment headers show, and the documents'
/// synopsis lines.
fn shown() -> (Vec<Shown>, Vec<String>) {
    let root = repo();
    let mut commands = Vec::new();
    let mut synopsis = Vec::new();
    for document in DOCUMENTS {
        let text = std::fs::read_to_string(root.join(document)).unwrap();
        read_document(document, &text, &mut commands, &mut synopsis);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("experiments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let header: String = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .map(|l| format!("{} ", l.trim_start_matches('#')))
            .collect();
        for command in command_spans(&header) {
            commands.push(Shown {
                command,
                quoted: Vec::new(),
                origin: format!(
                    "experiments/{}",
                    file.file_name().unwrap().to_string_lossy()
                ),
            });
        }
    }
    (commands, synopsis)
}

/// The commands and synopsis lines of the Markdown `text` of `document`.
fn read_document(
    document: &str,
    text: &str,
    commands: &mut Vec<Shown>,
    synopsis: &mut Vec<String>,
) {
    for (info, lines, at) in code_blocks(text) {
        let origin = format!("{document}:{at}");
        if lines.iter().any(|l| l.starts_with("$ ")) {
            for line in &lines {
                if let Some(command) = line.strip_prefix("$ ") {
                    commands.push(Shown {
                        command: strip_comment(command).to_string(),
                        quoted: Vec::new(),
                        origin: origin.clone(),
                    });
                } else if let Some(last) = commands.last_mut() {
                    last.quoted.push(line.trim_end().to_string());
                }
            }
            // Blank lines that end a quote are layout, not output.
            for shown in commands.iter_mut() {
                while shown.quoted.last().is_some_and(|l| l.is_empty()) {
                    shown.quoted.pop();
                }
            }
        } else if info == "sh" {
            for line in &lines {
                let command = strip_comment(line.trim());
                if !command.is_empty() && !command.starts_with('#') {
                    commands.push(Shown {
                        command: command.to_string(),
                        quoted: Vec::new(),
                        origin: origin.clone(),
                    });
                }
            }
        } else if info.is_empty() && lines.first().is_some_and(|l| l.starts_with("synack ")) {
            for line in &lines {
                if line.starts_with("synack ") {
                    synopsis.push(strip_comment(line).to_string());
                } else if let Some(last) = synopsis.last_mut() {
                    last.push(' ');
                    last.push_str(strip_comment(line.trim()));
                }
            }
        }
    }
    for command in command_spans(&prose(text)) {
        commands.push(Shown {
            command,
            quoted: Vec::new(),
            origin: format!("{document} (text)"),
        });
    }
}

/// The arguments of a `synack` command (`cargo run --release -- ARGS` or `synack ARGS`).
fn synack_args(command: &str) -> Option<Vec<String>> {
    let rest = command
        .strip_prefix("cargo run --release -- ")
        .or_else(|| command.strip_prefix("synack "))?;
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// A scratch directory to run commands in: it sees the repository's experiments/,
/// validation/ and crates/ (through links), and writes its own results/.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["experiments", "validation", "crates", "docs"] {
        std::os::unix::fs::symlink(repo().join(name), dir.path().join(name)).unwrap();
    }
    dir
}

/// Output as compared: lines without trailing spaces, the wall time of a run left out.
fn normalise(line: &str) -> String {
    let line = line.trim_end();
    match (line.find(" runs in "), line.find(" s; results in ")) {
        (Some(a), Some(b)) if a < b => format!("{} runs in … s{}", &line[..a], &line[b + 2..]),
        _ => line.to_string(),
    }
}

/// Whether `quoted` appears in `actual` as consecutive lines.
fn contains_block(actual: &[String], quoted: &[String]) -> bool {
    quoted.is_empty() || actual.windows(quoted.len()).any(|w| w == quoted)
}

fn run(dir: &Path, args: &[String]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_synack"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_command_the_readme_and_the_experiments_show_works_as_quoted() {
    let (commands, _) = shown();
    let dir = scratch();
    let mut skipped_seen = BTreeSet::new();
    let mut done = BTreeSet::new();
    let mut ran = 0;
    let mut failures = Vec::new();
    // Quoted commands first, so that a command shown twice is checked against its quote.
    let mut ordered: Vec<&Shown> = commands.iter().filter(|c| !c.quoted.is_empty()).collect();
    ordered.extend(commands.iter().filter(|c| c.quoted.is_empty()));
    for shown in ordered {
        if let Some((command, _)) = SKIPPED.iter().find(|(c, _)| *c == shown.command) {
            skipped_seen.insert(*command);
            continue;
        }
        let Some(args) = synack_args(&shown.command) else {
            failures.push(format!(
                "{}: `{}` is neither a synack command nor listed in SKIPPED",
                shown.origin, shown.command
            ));
            continue;
        };
        if shown.quoted.is_empty() && done.contains(&args) {
            continue;
        }
        done.insert(args.clone());
        ran += 1;
        let (ok, stdout, stderr) = run(dir.path(), &args);
        if !ok {
            failures.push(format!(
                "{}: `{}` failed:\n{stderr}",
                shown.origin, shown.command
            ));
            continue;
        }
        let actual: Vec<String> = stdout.lines().map(normalise).collect();
        let quoted: Vec<String> = shown.quoted.iter().map(|l| normalise(l)).collect();
        if !contains_block(&actual, &quoted) {
            failures.push(format!(
                "{}: `{}` printed\n{}\nbut the README quotes\n{}",
                shown.origin,
                shown.command,
                actual.join("\n"),
                quoted.join("\n")
            ));
        }
    }
    for (command, why) in SKIPPED {
        if skipped_seen.contains(command) {
            eprintln!("skipped `{command}`: {why}");
        } else {
            failures.push(format!(
                "SKIPPED lists `{command}`, which nothing shows any more"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(ran >= 5, "only {ran} commands found and run");
}

#[test]
fn the_readme_synopsis_names_only_real_options() {
    let (_, synopsis) = shown();
    assert!(synopsis.len() >= 5, "synopsis lines: {synopsis:?}");
    let dir = scratch();
    for line in synopsis {
        let sub = line.split_whitespace().nth(1).unwrap().to_string();
        let (ok, help, stderr) = run(dir.path(), &[sub.clone(), "--help".to_string()]);
        assert!(ok, "`synack {sub} --help` failed: {stderr}");
        for option in line
            .split(|c: char| c.is_whitespace() || c == '[' || c == ']')
            .filter(|w| w.starts_with("--"))
        {
            let option = option.split('=').next().unwrap();
            assert!(
                help.contains(&format!("{option} ")) || help.contains(&format!("{option}\n")),
                "README's synopsis `{line}` names {option}, which `synack {sub} --help` does not list"
            );
        }
    }
}

/// Markdown links `](target)` in `text`, without anchors; web addresses left out.
fn links(text: &str) -> Vec<String> {
    text.split("](")
        .skip(1)
        .filter_map(|s| s.split(')').next())
        .filter(|t| !t.starts_with("http://") && !t.starts_with("https://") && !t.starts_with('#'))
        .map(|t| t.split('#').next().unwrap().to_string())
        .collect()
}

#[test]
fn documents_link_only_to_files_in_the_repository() {
    let root = repo();
    let mut documents = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            documents.push(path);
        }
    }
    for doc in documents {
        let text = std::fs::read_to_string(&doc).unwrap();
        assert!(
            !text.contains("../shared") && !text.contains("DESIGN.md"),
            "{} refers to the team's notes outside the repository",
            doc.display()
        );
        for target in links(&text) {
            let path = doc.parent().unwrap().join(&target);
            assert!(
                path.exists() && path.canonicalize().unwrap().starts_with(&root),
                "{} links to {target}, which is not a file of the repository",
                doc.display()
            );
        }
    }
    // The experiments' headers cite files of the repository only.
    for entry in std::fs::read_dir(root.join("experiments")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for cited in text
            .split(|c: char| c.is_whitespace() || "()`,;".contains(c))
            .filter(|w| w.starts_with("docs/") || w.ends_with(".md"))
        {
            let cited = cited.trim_end_matches('.');
            assert!(
                root.join(cited).exists(),
                "{} cites {cited}, which is not in the repository",
                path.display()
            );
        }
    }
}
