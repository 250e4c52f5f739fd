//! Many scripts: run each, print its outcome packetdrill's way, and count.

use std::io::{self, Write};
use std::path::Path;

use crate::report::Outcome;
use crate::run::RunOptions;
use crate::run_source;

/// How many scripts ended each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub unsupported: usize,
    /// Malformed or unreadable scripts (counted as failures by the exit code).
    pub errors: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.passed + self.failed + self.unsupported + self.errors
    }

    fn count(&mut self, o: &Outcome) {
        match o {
            Outcome::Pass => self.passed += 1,
            Outcome::Fail(_) => self.failed += 1,
            Outcome::Unsupported(_) => self.unsupported += 1,
            Outcome::Error(_) => self.errors += 1,
        }
    }
}

/// How to print.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    /// Also print the sysctls mapped and the settings synack lacks.
    pub verbose: bool,
    /// One tab-separated line per script: outcome, path, reason.
    pub brief: bool,
}

/// Runs each script at `paths` and prints its outcome to `out`; a summary follows when
/// there is more than one.
pub fn run_paths(
    paths: &[&Path],
    opts: &RunOptions,
    style: Style,
    out: &mut impl Write,
) -> io::Result<Counts> {
    let mut counts = Counts::default();
    for path in paths {
        let name = path.display().to_string();
        let report = match std::fs::read_to_string(path) {
            Ok(src) => run_source(&name, &src, opts),
            Err(e) => crate::RunReport {
                outcome: Outcome::Error(format!("{name}: cannot read: {e}")),
                notes: Vec::new(),
            },
        };
        counts.count(&report.outcome);
        if style.brief {
            let reason = report.outcome.reason().replace(['\t', '\n'], " ");
            writeln!(out, "{}\t{name}\t{reason}", report.outcome.label())?;
            continue;
        }
        match &report.outcome {
            Outcome::Pass => writeln!(out, "pass {name}")?,
            Outcome::Fail(f) => writeln!(out, "FAIL {name}\n{}", f.render(&name))?,
            Outcome::Unsupported(why) => writeln!(out, "unsupported {name}: {why}")?,
            Outcome::Error(e) => writeln!(out, "ERROR {e}")?,
        }
        if style.verbose {
            for n in &report.notes {
                writeln!(out, "  note: {n}")?;
            }
        }
    }
    if paths.len() > 1 && !style.brief {
        writeln!(
            out,
            "{} scripts: {} passed, {} failed, {} unsupported, {} malformed",
            counts.total(),
            counts.passed,
            counts.failed,
            counts.unsupported,
            counts.errors
        )?;
    }
    Ok(counts)
}
