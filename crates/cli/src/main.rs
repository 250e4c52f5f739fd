//! `synack`: run experiments, check experiment files, redraw charts. It parses the command
//! line, calls synack-report, and prints; the progress bar and the summary table are its own.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use synack_experiment::config::units::parse_duration;
use synack_experiment::config::{parse_cli_value, Experiment};
use synack_experiment::Checked;
use synack_report::files::prepare_output_dir;
use synack_report::ladder::LadderOptions;
use synack_report::output::{self, RunInfo};
use synack_report::results::{value_cell, PointSummary};
use synack_report::run::{Plan, Shard};
use synack_report::view::{self, View, ViewError};
use synack_sim::Time;
use synack_world::ids::FlowId;

#[derive(Parser)]
#[command(
    name = "synack",
    version,
    about = "Deterministic discrete-event simulator of TCP connection management"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment: every sweep point and replication; write results and charts.
    Run(RunArgs),
    /// Validate an experiment file without running it.
    Check {
        /// The experiment file (TOML).
        file: PathBuf,
        /// Overrides to validate with the file, as for `run` (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
    },
    /// Replay one run and print what happened to every segment.
    Trace(TraceArgs),
    /// Redraw the charts of a results directory from its summary.csv and manifest.json.
    Plot {
        /// A directory `synack run` wrote, e.g. results/link-probe.
        results_dir: PathBuf,
    },
    /// Describe an experiment-file key or a metric: type, unit, default, meaning, source.
    Explain {
        /// A key (tcp.syn_retries, workload.churn.rate), a parameter path (link.wan.loss),
        /// a table (workload.pool), a metric (goodput_bps) or a series metric (cwnd).
        name: String,
    },
    /// Run packetdrill scripts against synack's TCP; fails if any script fails.
    Drill(DrillArgs),
}

// The arguments of `synack drill`.
#[derive(Args)]
struct DrillArgs {
    /// packetdrill scripts (.pkt).
    #[arg(required = true)]
    scripts: Vec<PathBuf>,
    /// The TCP settings the scripts' sysctls start from.
    #[arg(long, value_enum, default_value_t = DrillProfile::Linux)]
    profile: DrillProfile,
    /// Timing tolerance, µs, for scripts that set none (packetdrill's --tolerance_usecs).
    #[arg(long, default_value_t = 4000, value_parser = clap::value_parser!(i64).range(1..=3_600_000_000))]
    tolerance_usecs: i64,
    /// Also print the sysctls mapped onto [tcp] keys and the settings synack lacks.
    #[arg(long)]
    verbose: bool,
    /// One tab-separated line per script: outcome, path, first mismatch or reason.
    #[arg(long)]
    brief: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DrillProfile {
    Linux,
    Rfc,
}

// The arguments of `synack run` (the variant's comment is the command's help).
#[derive(Args)]
struct RunArgs {
    /// The experiment file (TOML).
    file: PathBuf,
    /// Output directory [default: results/<name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override a parameter, e.g. --set link.wan.loss=0.02 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Worker threads; 0 uses one per core. Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// Run only share K of N of the runs (K from 1 to N), e.g. --shard 2/4.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
}

// The arguments of `synack trace`.
#[derive(Args)]
struct TraceArgs {
    /// The experiment file (TOML).
    file: PathBuf,
    /// ladder: the packet ladder of one connection; jsonl: every event, one JSON object a line;
    /// pcap: every segment sent, as a capture file for Wireshark (needs --out); mermaid: one
    /// connection as a Mermaid sequence diagram for Markdown; svg: one connection's ladder
    /// drawn to scale (needs --out); states: each endpoint's states with times, and RFC 9293's
    /// state diagram with every transition counted.
    #[arg(long, value_enum, default_value_t = TraceFormat::Ladder)]
    format: TraceFormat,
    /// The connection to draw (ladder, mermaid, svg), numbered in order of opening from 0.
    #[arg(long, default_value_t = 0)]
    connection: u32,
    /// Absolute sequence and acknowledgment numbers (ladder, mermaid, svg); relative by
    /// default, as Wireshark shows them.
    #[arg(long)]
    absolute: bool,
    /// Only segments sent from this time on (ladder, mermaid, svg), e.g. 1.5s.
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// Only segments sent up to this time (ladder, mermaid, svg).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// The sweep point to replay, from 0.
    #[arg(long, default_value_t = 0)]
    point: usize,
    /// The replication to replay, from 0.
    #[arg(long, default_value_t = 0)]
    replication: u32,
    /// Write here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override a parameter, e.g. --set tcp.msl=5s (repeatable); a swept path cannot be set.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum TraceFormat {
    Ladder,
    Jsonl,
    Pcap,
    Mermaid,
    Svg,
    States,
}

impl TraceFormat {
    /// The view of the trace this format names.
    fn view(self) -> View {
        match self {
            TraceFormat::Ladder => View::Ladder,
            TraceFormat::Jsonl => View::Jsonl,
            TraceFormat::Pcap => View::Pcap,
            TraceFormat::Mermaid => View::Mermaid,
            TraceFormat::Svg => View::Svg,
            TraceFormat::States => View::States,
        }
    }

    /// Why this format cannot go to standard output, if it cannot.
    fn needs_out(self) -> Option<&'static str> {
        match self {
            TraceFormat::Pcap => {
                Some("--format pcap writes a binary capture: give --out FILE.pcap")
            }
            TraceFormat::Svg => Some("--format svg draws a picture: give --out FILE.svg"),
            _ => None,
        }
    }
}

fn drill(args: DrillArgs) -> Result<()> {
    use synack_drill::{suite, Profile, RunOptions};
    let profile = match args.profile {
        DrillProfile::Linux => Profile::Linux,
        DrillProfile::Rfc => Profile::Rfc,
    };
    let opts = RunOptions {
        config: profile.config(),
        tolerance_usecs: args.tolerance_usecs,
    };
    let style = suite::Style {
        verbose: args.verbose,
        brief: args.brief,
    };
    let paths: Vec<&Path> = args.scripts.iter().map(PathBuf::as_path).collect();
    let mut out = std::io::stdout().lock();
    let counts = suite::run_paths(&paths, &opts, style, &mut out)?;
    std::io::Write::flush(&mut out)?;
    let bad = counts.failed + counts.errors;
    if bad > 0 {
        bail!("{bad} of {} scripts failed", counts.total());
    }
    Ok(())
}

fn main() -> ExitCode {
    match Cli::parse().command.execute() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

impl Command {
    fn execute(self) -> Result<()> {
        match self {
            Command::Run(args) => run(args),
            Command::Check { file, sets } => check(&file, &sets),
            Command::Trace(args) => trace(args),
            Command::Drill(args) => drill(args),
            Command::Explain { name } => explain(&name),
            Command::Plot { results_dir } => {
                for path in output::redraw_charts(&results_dir)? {
                    emit(&format!("wrote {}\n", path.display()))?;
                }
                Ok(())
            }
        }
    }
}

/// `synack run`: every run of the experiment (or of a shard), a progress bar while they run,
/// the results directory, then the summary table.
fn run(args: RunArgs) -> Result<()> {
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    let checked = load(&args.file, &args.sets)?;
    let plan = Plan::new(&checked);
    let out = args
        .out
        .unwrap_or_else(|| output::default_dir(&checked.experiment));
    prepare_output_dir(&out)?;

    let runs = plan.runs(shard);
    let bar = progress_bar(runs.len() as u64);
    let started = Instant::now();
    let records = plan.execute(&runs, args.jobs, &|| bar.inc(1));
    bar.finish_and_clear();
    let info = RunInfo {
        file: &args.file,
        checked: &checked,
        shard,
        wall_time_s: started.elapsed().as_secs_f64(),
    };
    let written = output::write_results(&out, &info, &records)?;

    print_table(&written.summary)?;
    // Each chart is written as a PNG and an SVG: count charts, not files.
    let charts = written
        .charts
        .iter()
        .map(|p| p.with_extension(""))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    emit(&format!(
        "{} run{} in {:.2} s; results in {}{}\n",
        records.len(),
        plural(records.len()),
        info.wall_time_s,
        out.display(),
        if charts == 0 {
            String::new()
        } else {
            format!(" ({charts} chart{})", plural(charts))
        }
    ))
}

/// `synack explain`: the reference entry (docs/reference.md) of a key or a metric, or the
/// nearest names.
fn explain(name: &str) -> Result<()> {
    use synack_experiment::schema;
    match schema::explain(name) {
        Ok(text) => emit(&text),
        Err(near) if near.is_empty() => bail!(
            "no key or metric named `{name}`; `synack explain tcp` lists the [tcp] keys, \
             docs/reference.md all of them"
        ),
        Err(near) => {
            let names: Vec<String> = near.iter().map(|n| format!("`{n}`")).collect();
            bail!(
                "no key or metric named `{name}`; did you mean {}?",
                names.join(" or ")
            )
        }
    }
}

/// `synack check`: the experiment checked with its overrides, how many runs it makes, and
/// about how many segments they will send.
fn check(file: &Path, sets: &[String]) -> Result<()> {
    let checked = load(file, sets)?;
    let estimate = checked.estimate();
    emit(&format!(
        "{}: ok ({} sweep point{}, {} replication{}, {} run{}; about {} segments in the \
         largest run, {} in all)\n",
        file.display(),
        checked.points.len(),
        plural(checked.points.len()),
        checked.replications,
        plural(checked.replications as usize),
        checked.runs(),
        plural(checked.runs()),
        round_figure(estimate.most_in_a_run),
        round_figure(estimate.in_all),
    ))
}

/// A rough count in two significant figures: `540`, `3.2e6`.
fn round_figure(x: f64) -> String {
    if x < 1000.0 {
        format!("{}", x.round())
    } else {
        format!("{x:.1e}")
    }
}

/// `synack trace`: one run replayed with its trace, shown as `--format` asks, to standard
/// output or `--out`.
fn trace(args: TraceArgs) -> Result<()> {
    let plan = Plan::new(&load(&args.file, &args.sets)?);
    if args.point >= plan.points.len() {
        bail!(
            "--point {}: the sweep has {} point(s), numbered from 0",
            args.point,
            plan.points.len()
        );
    }
    if args.replication >= plan.replications {
        bail!(
            "--replication {}: the experiment has {} replication(s), numbered from 0",
            args.replication,
            plan.replications
        );
    }
    if let (None, Some(why)) = (&args.out, args.format.needs_out()) {
        bail!(why);
    }
    let options = ladder_options(args.absolute, args.from, args.until)?;
    let (_, trace) = plan.trace_one(args.point, args.replication);
    let connection = FlowId(args.connection);
    let view = args.format.view();
    // Streamed to its destination: a trace's JSON lines or capture are never held whole.
    let write =
        |out: &mut dyn std::io::Write| match view::write(view, &trace, connection, &options, out) {
            Err(e @ ViewError::NoSuchConnection { .. }) => bail!("--connection {connection}: {e}"),
            other => Ok(other?),
        };
    match args.out {
        Some(path) => write_streamed(&path, write),
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let done = write(&mut out).and_then(|()| Ok(std::io::Write::flush(&mut out)?));
            // A reader that went away (`synack trace ... | head`) ends the output quietly.
            match done {
                Err(e) if is_broken_pipe(&e) => Ok(()),
                other => other,
            }
        }
    }
}

/// Whether `e` is, at bottom, a write to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || matches!(c.downcast_ref::<ViewError>(), Some(ViewError::Write(io))
                if io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Writes `path` atomically, as `write_atomic` does, from a writer: `write` fills a
/// temporary file beside `path`, which is then renamed over it (and removed on failure).
fn write_streamed(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<()>,
) -> Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = dir.join(format!(".tmp-{}-{name}", std::process::id()));
    let cannot = |e: std::io::Error| anyhow::anyhow!("cannot write {}: {e}", path.display());
    let file = std::fs::File::create(&tmp).map_err(cannot)?;
    let mut out = std::io::BufWriter::new(file);
    let written = write(&mut out).and_then(|()| {
        let file = out.into_inner().map_err(|e| cannot(e.into_error()))?;
        file.sync_all().map_err(cannot)?;
        std::fs::rename(&tmp, path).map_err(cannot)
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The ladder's options from the command line.
fn ladder_options(
    absolute: bool,
    from: Option<String>,
    until: Option<String>,
) -> Result<LadderOptions> {
    let time = |flag: &str, v: Option<String>| -> Result<Option<Time>> {
        v.map(|v| {
            parse_duration(&v)
                .map(|d| Time::ZERO + d)
                .map_err(|e| anyhow::anyhow!("--{flag} {v}: {e}"))
        })
        .transpose()
    };
    Ok(LadderOptions {
        absolute,
        from: time("from", from)?,
        until: time("until", until)?,
    })
}

/// Writes to standard output; a reader that went away (`synack trace ... | head`) ends the
/// output quietly instead of failing.
fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Reads the experiment and checks it with the `--set` overrides: every sweep point
/// resolved.
fn load(file: &Path, sets: &[String]) -> Result<Checked> {
    let experiment = Experiment::load(file)?;
    let sets = parse_sets(sets)?;
    Ok(synack_experiment::check(&experiment, &sets)?)
}

fn parse_sets(sets: &[String]) -> Result<Vec<(String, toml::Value)>> {
    sets.iter()
        .map(|s| match s.split_once('=') {
            Some((path, value)) if !path.trim().is_empty() => {
                Ok((path.trim().to_string(), parse_cli_value(value.trim())))
            }
            _ => bail!("--set expects PATH=VALUE, e.g. --set link.wan.loss=0.02; got `{s}`"),
        })
        .collect()
}

fn parse_shard(s: &str) -> Result<Shard> {
    let parsed = s.split_once('/').and_then(|(k, n)| {
        Some((
            k.trim().parse::<usize>().ok()?,
            n.trim().parse::<usize>().ok()?,
        ))
    });
    match parsed {
        Some((k, n)) if n >= 1 && (1..=n).contains(&k) => Ok(Shard {
            index: k - 1,
            of: n,
        }),
        _ => bail!("--shard expects K/N with 1 <= K <= N, e.g. --shard 1/4; got `{s}`"),
    }
}

fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {elapsed_precise} (eta {eta})")
            .expect("a valid template"),
    );
    bar
}

/// A short table: per point, the swept values and the metrics that are not all zero.
fn print_table(summary: &[PointSummary]) -> Result<()> {
    let Some(first) = summary.first() else {
        return Ok(());
    };
    let shown: Vec<&str> = synack_experiment::metrics::METRIC_NAMES
        .iter()
        .copied()
        .filter(|m| {
            *m != "events"
                && summary
                    .iter()
                    .any(|s| s.metric(m).is_some_and(|(v, _)| v != 0.0))
        })
        .take(6)
        .collect();
    let mut header: Vec<String> = first.params.iter().map(|(k, _)| k.clone()).collect();
    header.extend(shown.iter().map(|m| m.to_string()));
    let rows: Vec<Vec<String>> = summary
        .iter()
        .map(|s| {
            let mut row: Vec<String> = s.params.iter().map(|(_, v)| value_cell(v)).collect();
            row.extend(shown.iter().map(|m| {
                let (mean, ci) = s.metric(m).unwrap_or_default();
                if ci > 0.0 {
                    format!("{} ± {}", sig(mean), sig(ci))
                } else {
                    sig(mean)
                }
            }));
            row
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:>w$}"))
            .collect::<Vec<_>>()
            .join("  ")
    };
    emit(&format!("{}\n", line(&header)))?;
    for row in &rows {
        emit(&format!("{}\n", line(row)))?;
    }
    Ok(())
}

/// Four significant digits, without exponent for ordinary magnitudes.
fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - magnitude).max(0) as usize;
    format!("{x:.decimals$}")
}
