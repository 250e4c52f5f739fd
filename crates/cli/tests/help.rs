//! The command line describes itself: every subcommand, argument and option has help text
//! (each default stated once), and `synack explain` prints the reference's entries.

use std::process::Command;

fn synack(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_synack"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The subcommands `synack --help` lists.
fn subcommands() -> Vec<String> {
    let (ok, help, _) = synack(&["--help"]);
    assert!(ok);
    let commands = help
        .split("Commands:")
        .nth(1)
        .expect("a Commands section")
        .split("\n\n")
        .next()
        .unwrap();
    commands
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let name = words.next()?;
            // Each command is described on its line.
            assert!(words.next().is_some(), "`synack {name}` has no description");
            Some(name.to_string())
        })
        .filter(|n| n != "help")
        .collect()
}

#[test]
fn every_argument_and_option_has_help_text() {
    let commands = subcommands();
    for expected in ["run", "check", "trace", "plot", "explain", "drill"] {
        assert!(commands.iter().any(|c| c == expected), "{commands:?}");
    }
    for command in commands {
        let (ok, help, stderr) = synack(&[&command, "--help"]);
        assert!(ok, "{command}: {stderr}");
        let lines: Vec<&str> = help.lines().collect();
        let mut entries = 0;
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let is_entry = line.starts_with("  ")
                && !line.starts_with("          ")
                && (trimmed.starts_with('-') || trimmed.starts_with('<'));
            if !is_entry {
                continue;
            }
            entries += 1;
            // The description follows the name after two spaces, or on the next line,
            // indented further (clap's long layout).
            let spec_end = trimmed.find("  ");
            let on_line = spec_end.is_some_and(|e| !trimmed[e..].trim().is_empty());
            let below = lines
                .get(i + 1)
                .is_some_and(|next| next.starts_with("          ") && !next.trim().is_empty());
            assert!(
                on_line || below,
                "`synack {command} --help`: `{}` has no description",
                trimmed
            );
            assert!(
                line.matches("[default:").count() <= 1,
                "`synack {command} --help` states a default twice: {line}"
            );
        }
        assert!(
            entries >= 2,
            "{command}: no arguments or options found in\n{help}"
        );
    }
}

#[test]
fn explain_prints_the_entry_or_suggests() {
    let (ok, out, _) = synack(&["explain", "workload.churn.rate"]);
    assert!(ok);
    assert!(out.starts_with("workload.churn.rate (key of [[workload]] kind = \"churn\")"));
    assert!(out.contains("New connections per second."));
    let (ok, out, _) = synack(&["explain", "host.server.tcp.syn_cookies"]);
    assert!(ok && out.starts_with("tcp.syn_cookies "), "{out}");
    assert!(out.contains("default: linux: 1 · rfc: 0"), "{out}");
    let (ok, out, _) = synack(&["explain", "goodput_bps_mean"]);
    assert!(ok && out.contains("unit:    bits per second"), "{out}");
    let (ok, _, err) = synack(&["explain", "tcp.syn_retry"]);
    assert!(!ok);
    assert_eq!(
        err.trim(),
        "error: no key or metric named `tcp.syn_retry`; did you mean `tcp.syn_retries`?"
    );
}
