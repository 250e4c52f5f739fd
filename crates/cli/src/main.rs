//! `synack`: run experiments, check experiment files, redraw charts. It parses the command
//! line, calls synack-report, and prints; the progress bar and the summary table are its own.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use synack_experiment::config::parse_cli_value;
use synack_experiment::config::units::parse_duration;
use synack_experiment::Checked;
use synack_report::files::OutputDir;
use synack_report::journal::{Header, JournalWriter};
use synack_report::ladder::LadderOptions;
use synack_report::merge::{self, MergeOptions};
use synack_report::output::{self, RunInfo};
use synack_report::results::{value_cell, PointSummary};
use synack_report::run::{threads, Plan, Shard};
use synack_report::source::Source;
use synack_report::sweep::Sweep;
use synack_report::view::{self, View, ViewError};
use synack_sim::Time;
use synack_world::ids::FlowId;
use synack_world::trace::{Names, Sink};

#[derive(Parser)]
#[command(
    name = "synack",
    version = env!("SYNACK_BUILD"),
    about = "Deterministic discrete-event simulator of TCP connection management"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment: every sweep point and replication; write results and charts.
    ///
    /// Each finished run is appended to DIR/journal.jsonl as it ends. Interrupted (Ctrl-C,
    /// SIGTERM, a crash), the same command again resumes: runs in the journal are not run
    /// again, and the results are byte-identical to an uninterrupted run's. A journal of
    /// another sweep (other code, file, overrides or shard) is refused, naming the
    /// difference; --fresh discards it.
    ///
    /// The results replace DIR as one set, swapped in with one rename: DIR holds the old set
    /// or the new one, never a mix. DIR may hold only what synack wrote (manifest.json, the
    /// files it lists, journal.jsonl); anything else there is refused, not deleted.
    ///
    /// With --shard K/N only the journal is written, and `synack merge` makes the results.
    Run(RunArgs),
    /// Merge the journals of shards (`synack run --shard K/N --out DIR`) into one results
    /// directory, byte-identical to one `synack run` of the whole experiment.
    ///
    /// The shards must be runs of the same code, file (named the same way), data files and
    /// overrides; every run must be in exactly one of them.
    Merge(MergeArgs),
    /// Validate an experiment file without running it; list its sweep points with their
    /// values (for `trace --point N` or `--where PATH=VALUE`).
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
    /// The experiment file (TOML); `-` reads it from standard input.
    file: PathBuf,
    /// Output directory [default: results/<name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override a parameter, e.g. --set link.wan.loss=0.02 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Worker threads; 0 uses one per core, and more than the cores are not started. Results
    /// do not depend on it.
    #[arg(long, default_value_t = 0)]
    jobs: usize,
    /// Run only share K of N of the runs (K from 1 to N), e.g. --shard 2/4: every N-th run
    /// from the K-th. Writes only DIR/journal.jsonl; `synack merge` makes the results.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// Discard the journal of an unfinished sweep in DIR instead of resuming it.
    #[arg(long)]
    fresh: bool,
}

// The arguments of `synack merge`.
#[derive(Args)]
struct MergeArgs {
    /// The shards' output directories (each with its journal.jsonl), in any order.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Output directory [default: results/<name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write results even when some runs are in no shard (the manifest counts them).
    #[arg(long)]
    allow_gaps: bool,
    /// Accept a run found in several shards (its copies must be identical).
    #[arg(long)]
    allow_overlaps: bool,
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
    /// The connection to show, numbered in order of opening from 0: the one drawn by ladder,
    /// mermaid and svg [default: 0]; jsonl, pcap and states show only its records.
    #[arg(long)]
    connection: Option<u32>,
    /// Absolute sequence and acknowledgment numbers (ladder, mermaid, svg); relative by
    /// default, as Wireshark shows them. Refused by jsonl and pcap, whose numbers are always
    /// absolute, and by states, which shows none.
    #[arg(long)]
    absolute: bool,
    /// Only what happened from this time on, e.g. 1.5s (every format: the segments sent,
    /// jsonl's records, pcap's packets, the state changes).
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// Only what happened up to this time, e.g. 1s (every format, as --from).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// The sweep point to replay, from 0 (`synack check FILE` lists them) [default: 0].
    #[arg(long, conflicts_with = "wheres")]
    point: Option<usize>,
    /// The sweep point to replay, by its value of a swept path, e.g. --where
    /// link.ab.loss=0.01 (repeatable: one per swept path, until one point matches); values
    /// as the experiment file writes them (500ms is 0.5s).
    #[arg(long = "where", value_name = "PATH=VALUE")]
    wheres: Vec<String>,
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

    /// Its name, as `--format` takes it.
    fn name(self) -> &'static str {
        match self {
            TraceFormat::Ladder => "ladder",
            TraceFormat::Jsonl => "jsonl",
            TraceFormat::Pcap => "pcap",
            TraceFormat::Mermaid => "mermaid",
            TraceFormat::Svg => "svg",
            TraceFormat::States => "states",
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
            Command::Merge(args) => merge(args),
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

/// `synack run`: every run of the experiment (or of a shard) not yet in the journal, a
/// progress bar while they run, then the results set and the summary table (or, for a
/// shard, the journal alone).
fn run(args: RunArgs) -> Result<()> {
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    let (source, checked) = load(&args.file, &args.sets)?;
    let plan = Plan::new(&checked);
    let out_path = args
        .out
        .clone()
        .unwrap_or_else(|| output::default_dir(&checked.experiment));
    let out = OutputDir::open(&out_path)?;
    if shard.is_some() && out.path().join("manifest.json").exists() {
        bail!(
            "{} holds the results of a whole run; give each shard a directory of its own",
            out.path().display()
        );
    }
    out.refuse_foreign(shard.is_some())?;
    let header = Header::new(env!("SYNACK_BUILD"), &source, &checked, shard);
    let runs = plan.runs(shard);
    let sweep = Sweep::open(&out, &plan, &runs, &header, args.fresh)?;
    let journal = sweep.journal_path.clone();
    if !sweep.done.is_empty() {
        eprintln!(
            "resuming: {} of {} runs are already in {}",
            sweep.done.len(),
            runs.len(),
            journal.display()
        );
    }
    let (jobs, note) = threads(args.jobs, sweep.todo.len());
    if let Some(note) = note {
        eprintln!("warning: {note}");
    }
    let before = sweep.done.len();
    let bar = progress_bar(runs.len() as u64, before as u64);
    let stop = Arc::new(AtomicBool::new(false));
    let interrupt = Interrupt::install(
        stop.clone(),
        sweep.journal.clone(),
        sweep.done.len(),
        runs.len(),
        bar.clone(),
        journal.clone(),
    )?;
    let started = Instant::now();
    let writer = sweep.journal.clone();
    let rows = sweep.run(&plan, jobs, &stop, &|finished| {
        bar.inc(1);
        if let Some(eta) = finished.eta {
            bar.set_message(format!("eta {}", clock(eta)));
        }
    })?;
    bar.finish_and_clear();
    let wall_time_s = started.elapsed().as_secs_f64();
    interrupt.writing();
    if stop.load(Ordering::SeqCst) || rows.len() != runs.len() {
        let kept = writer.close().map_or(rows.len(), |n| n + before);
        interrupted(&format!(
            "interrupted: {kept} of {} runs are in {}",
            runs.len(),
            journal.display()
        ));
    }

    if let Some(s) = shard {
        return emit(&format!(
            "shard {}/{}: {} run{} in {}; merge the shards with `synack merge DIR...`\n",
            s.index + 1,
            s.of,
            rows.len(),
            plural(rows.len()),
            journal.display()
        ));
    }
    let info = RunInfo {
        source: &source,
        checked: &checked,
        runs_missing: 0,
    };
    let staged = output::stage_results(&out, &info, &rows)?;
    if stop.load(Ordering::SeqCst) {
        drop(staged);
        interrupted(&format!(
            "interrupted while writing the results: {} is as it was, and {} holds every run",
            out.path().display(),
            journal.display()
        ));
    }
    let written = staged.commit()?;
    print_table(&written.summary, &checked.experiment)?;
    // Each chart is written as a PNG and an SVG: count charts, not files.
    let charts = written
        .charts
        .iter()
        .map(|p| p.with_extension(""))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    emit(&format!(
        "{} run{} in {:.2} s; results in {}{}\n",
        rows.len(),
        plural(rows.len()),
        wall_time_s,
        out.path().display(),
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

/// `synack merge`: the shards' journals checked and written as one results set.
fn merge(args: MergeArgs) -> Result<()> {
    let options = MergeOptions {
        allow_gaps: args.allow_gaps,
        allow_overlaps: args.allow_overlaps,
    };
    let merged = merge::merge(&args.dirs, options)?;
    let out_path = args
        .out
        .clone()
        .unwrap_or_else(|| output::default_dir(&merged.checked.experiment));
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if let Some(dir) = args.dirs.iter().find(|d| same(d, &out_path)) {
        bail!(
            "--out {}: a shard's directory; write the merged results elsewhere",
            dir.display()
        );
    }
    let out = OutputDir::open(&out_path)?;
    out.refuse_foreign(false)?;
    let info = RunInfo {
        source: &merged.source,
        checked: &merged.checked,
        runs_missing: merged.missing,
    };
    let written = output::stage_results(&out, &info, &merged.rows)?.commit()?;
    print_table(&written.summary, &merged.checked.experiment)?;
    emit(&format!(
        "{} run{} from {} director{}{}; results in {}\n",
        merged.rows.len(),
        plural(merged.rows.len()),
        args.dirs.len(),
        if args.dirs.len() == 1 { "y" } else { "ies" },
        if merged.missing > 0 {
            format!(" ({} missing)", merged.missing)
        } else {
            String::new()
        },
        out.path().display()
    ))
}

/// What Ctrl-C, SIGTERM and SIGHUP do during `synack run`: while runs run, flush the
/// journal, say how to resume, and exit at once (runs under way are lost, the journal
/// keeps every finished one); while results are written, let the writing stop before the
/// swap (the previous results stay).
struct Interrupt {
    phase: Arc<AtomicU8>,
}

const RUNNING: u8 = 0;
const WRITING: u8 = 1;

impl Interrupt {
    fn install(
        stop: Arc<AtomicBool>,
        journal: Arc<JournalWriter>,
        before: usize,
        total: usize,
        bar: ProgressBar,
        path: PathBuf,
    ) -> Result<Interrupt> {
        let phase = Arc::new(AtomicU8::new(RUNNING));
        let seen = phase.clone();
        ctrlc::set_handler(move || {
            stop.store(true, Ordering::SeqCst);
            if seen.load(Ordering::SeqCst) != RUNNING {
                return;
            }
            let kept = journal.close().map(|n| n + before);
            bar.finish_and_clear();
            match kept {
                Ok(kept) => interrupted(&format!(
                    "interrupted: {kept} of {total} runs are in {}",
                    path.display()
                )),
                Err(e) => interrupted(&format!("interrupted; and then: {e}")),
            }
        })?;
        Ok(Interrupt { phase })
    }

    /// The runs are over; results are being written.
    fn writing(&self) {
        self.phase.store(WRITING, Ordering::SeqCst);
    }
}

/// Says what was kept and how to resume, and exits as a command stopped by SIGINT does.
/// The signal handler and the main thread may both get here; the first says it and exits,
/// the other waits for the exit.
fn interrupted(what: &str) -> ! {
    static EXITING: AtomicBool = AtomicBool::new(false);
    if EXITING.swap(true, Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
    let command: Vec<String> = std::env::args().map(|a| shell_word(&a)).collect();
    eprintln!(
        "{what}; run the same command again to resume:\n  {}",
        command.join(" ")
    );
    std::process::exit(130)
}

/// `word` as a POSIX shell reads it back.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// A duration as the progress bar shows it: h:mm:ss, or m:ss.
fn clock(d: Duration) -> String {
    let s = d.as_secs_f64().round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// `synack check`: the experiment checked with its overrides, how many runs it makes,
/// about how many segments they will send, and its sweep points with their values.
fn check(file: &Path, sets: &[String]) -> Result<()> {
    let source = Source::read(file)?;
    let experiment = source.experiment()?;
    let sets = parse_pairs("--set", "link.wan.loss=0.02", sets)?;
    // One point's world at a time: counted, estimated (for one replication each), dropped.
    let mut estimate = synack_experiment::Estimate::default();
    let mut points = Vec::new();
    let checked = synack_experiment::check_each(&experiment, &sets, |point| {
        estimate.add(&point, 1);
        points.push(point.params);
    })?;
    let replications = checked.replications;
    estimate.in_all *= f64::from(replications);
    let runs = points.len() * replications as usize;
    emit(&format!(
        "{}: ok ({} sweep point{}, {} replication{}, {} run{}; about {} segments in the \
         largest run, {} in all)\n",
        file.display(),
        points.len(),
        plural(points.len()),
        replications,
        plural(replications as usize),
        runs,
        plural(runs),
        round_figure(estimate.most_in_a_run),
        round_figure(estimate.in_all),
    ))?;
    // The points by their values, for `trace --point N` or `--where PATH=VALUE`.
    for line in synack_experiment::points::listing(&points, 5) {
        emit(&format!("  {line}\n"))?;
    }
    Ok(())
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
    let source = Source::read(&args.file)?;
    let experiment = source.experiment()?;
    let sets = parse_pairs("--set", "tcp.msl=5s", &args.sets)?;
    let wheres = parse_pairs("--where", "tcp.profile=linux", &args.wheres)?;
    // Every point is checked; only the worlds of the points asked for are kept.
    let wanted = |p: &synack_experiment::Point| match args.point {
        Some(n) => p.index == n,
        None if wheres.is_empty() => p.index == 0,
        None => synack_experiment::points::matches(&p.params, &wheres),
    };
    let (mut all, mut kept) = (Vec::new(), Vec::new());
    let checked = synack_experiment::check_each(&experiment, &sets, |p| {
        all.push(p.params.clone());
        if wanted(&p) && kept.len() < 2 {
            kept.push(p);
        }
    })?;
    let index = match args.point {
        Some(point) if point >= all.len() => bail!(
            "--point {point}: the sweep has {} point(s), numbered from 0 \
             (`synack check {}` lists them)",
            all.len(),
            args.file.display()
        ),
        Some(point) => point,
        None if wheres.is_empty() => 0,
        None => synack_experiment::points::select_among(checked.sweep_axes(), &all, &wheres)?,
    };
    let Some(point) = kept.into_iter().find(|p| p.index == index) else {
        bail!("internal error: sweep point {index} was checked but not kept");
    };
    if args.replication >= checked.replications {
        bail!(
            "--replication {}: the experiment has {} replication(s), numbered from 0",
            args.replication,
            checked.replications
        );
    }
    if let (None, Some(why)) = (&args.out, args.format.needs_out()) {
        bail!(why);
    }
    let view = args.format.view();
    if args.absolute && !view.has_relative_numbers() {
        bail!(
            "--absolute applies to ladder, mermaid and svg: --format {} {}",
            args.format.name(),
            if view == View::States {
                "shows no sequence numbers"
            } else {
                "always writes absolute sequence numbers"
            }
        );
    }
    let options = ladder_options(args.absolute, args.from, args.until)?;
    if let (Some(from), Some(until)) = (options.from, options.until) {
        if from > until {
            bail!("--from is after --until: nothing to show");
        }
    }
    let connection = args.connection.map(FlowId);
    let names = Names::of(&point.world);
    // The run is traced straight into the view, which writes JSON lines and the capture to
    // their destination as the run makes them: no view holds the run whole.
    let play = |sink: &mut dyn Sink| {
        synack_report::run::trace_point(&point, checked.seed, args.replication, sink);
    };
    let write = |out: &mut dyn std::io::Write| match view::write(
        view, &names, play, connection, &options, out,
    ) {
        Err(e @ ViewError::NoSuchConnection { .. }) => {
            bail!("--connection {}: {e}", connection.unwrap_or(FlowId(0)))
        }
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

/// Reads the experiment file once (`-`: standard input) and checks it with the `--set`
/// overrides: every sweep point resolved.
fn load(file: &Path, sets: &[String]) -> Result<(Source, Checked)> {
    let source = Source::read(file)?;
    let experiment = source.experiment()?;
    let sets = parse_pairs("--set", "link.wan.loss=0.02", sets)?;
    let checked = synack_experiment::check(&experiment, &sets)?;
    Ok((source, checked))
}

/// The `PATH=VALUE` arguments of `flag` (`--set`, `--where`), values read as
/// [`parse_cli_value`] reads them; `example` shows the form in the error.
fn parse_pairs(flag: &str, example: &str, pairs: &[String]) -> Result<Vec<(String, toml::Value)>> {
    pairs
        .iter()
        .map(|s| match s.split_once('=') {
            Some((path, value)) if !path.trim().is_empty() => {
                Ok((path.trim().to_string(), parse_cli_value(value.trim())))
            }
            _ => bail!("{flag} expects PATH=VALUE, e.g. {flag} {example}; got `{s}`"),
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

/// The progress bar, at `done` of `len` runs; its message is the estimated time left
/// ([`synack_report::run::Schedule`]), not indicatif's, which assumes runs of equal length.
fn progress_bar(len: u64, done: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs  {elapsed_precise}  {msg}")
            .expect("a valid template"),
    );
    bar.set_position(done);
    bar.enable_steady_tick(Duration::from_secs(1));
    bar
}

/// A short table: per point, the swept values and the metrics that are not all zero.
/// The console summary: each point's swept values and the metrics the file's `summary`
/// names, or else those the experiment's sweep charts plot, in chart order (with no such chart, the first six metrics that are not zero
/// everywhere), as mean ± 95 % half-width over the runs that had a value (`n/a` where none
/// had); a half-width below the mean's fourth significant digit is left out.
fn print_table(
    summary: &[PointSummary],
    experiment: &synack_experiment::config::Experiment,
) -> Result<()> {
    let Some(first) = summary.first() else {
        return Ok(());
    };
    let metrics = synack_experiment::metrics::METRIC_NAMES;
    // The file's `summary = [...]` (checked: metric names), else what the charts plot.
    let mut shown: Vec<&str> = experiment.summary.iter().map(String::as_str).collect();
    let charted = (experiment.charts.iter())
        .filter(|c| c.kind == synack_experiment::config::ChartKind::Sweep)
        .flat_map(|c| c.y.iter());
    for y in charted.filter(|_| experiment.summary.is_empty()) {
        if let Some(m) = metrics.iter().find(|m| **m == y.as_str()) {
            if !shown.contains(m) {
                shown.push(m);
            }
        }
    }
    if shown.is_empty() {
        shown = metrics
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
    }
    let mut header: Vec<String> = first.params.iter().map(|(k, _)| k.clone()).collect();
    header.extend(shown.iter().map(|m| m.to_string()));
    let rows: Vec<Vec<String>> = summary
        .iter()
        .map(|s| {
            let mut row: Vec<String> = s.params.iter().map(|(_, v)| value_cell(v)).collect();
            row.extend(shown.iter().map(|m| {
                // No run at this point had a value (nothing established, no probe…).
                let Some((mean, ci)) = s.metric(m) else {
                    return "n/a".to_string();
                };
                // Shown to four significant digits, a half-width below the fourth is noise.
                if ci > 1e-4 * mean.abs() {
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
