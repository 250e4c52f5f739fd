//! `synack`: run experiments, check experiment files, redraw charts.

use synack_report::charts;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use synack_experiment::config::units::parse_duration;
use synack_experiment::config::{parse_cli_value, Experiment};
use synack_experiment::Checked;
use synack_report::ladder::{ladder, LadderOptions};
use synack_report::results::{
    prepare_output_dir, runs_csv, series_csv, summarize, summary_csv, write_atomic, PointSummary,
};
use synack_report::run::{Plan, Shard};
use synack_report::{export, states};
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
    Run {
        /// The experiment file (TOML).
        file: PathBuf,
        /// Output directory [default: results/<name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override a parameter, e.g. --set link.wan.loss=0.02 (repeatable).
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
        /// Worker threads [default: one per core]. Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        jobs: usize,
        /// Run only share K of N of the runs (K from 1 to N), e.g. --shard 2/4.
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
    },
    /// Validate an experiment file without running it.
    Check {
        file: PathBuf,
        /// Overrides to validate with the file, as for `run`.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
    },
    /// Replay one run and print what happened to every segment.
    Trace {
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
        #[arg(long = "set", value_name = "PATH=VALUE")]
        sets: Vec<String>,
    },
    /// Redraw the charts of a results directory from its summary.csv and manifest.json.
    Plot { results_dir: PathBuf },
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
            Command::Run {
                file,
                out,
                sets,
                jobs,
                shard,
            } => run(&file, out, &sets, jobs, shard.as_deref()),
            Command::Check { file, sets } => {
                let checked = load(&file, &sets)?;
                emit(&format!(
                    "{}: ok ({} sweep point{}, {} replication{}, {} run{})\n",
                    file.display(),
                    checked.points.len(),
                    plural(checked.points.len()),
                    checked.replications,
                    plural(checked.replications as usize),
                    checked.runs(),
                    plural(checked.runs()),
                ))
            }
            Command::Trace {
                file,
                format,
                connection,
                absolute,
                from,
                until,
                point,
                replication,
                out,
                sets,
            } => {
                let plan = Plan::new(&load(&file, &sets)?);
                if point >= plan.points.len() {
                    bail!(
                        "--point {point}: the sweep has {} point(s), numbered from 0",
                        plan.points.len()
                    );
                }
                if replication >= plan.replications {
                    bail!(
                        "--replication {replication}: the experiment has {} replication(s), numbered from 0",
                        plan.replications
                    );
                }
                if out.is_none() {
                    match format {
                        TraceFormat::Pcap => {
                            bail!("--format pcap writes a binary capture: give --out FILE.pcap")
                        }
                        TraceFormat::Svg => {
                            bail!("--format svg draws a picture: give --out FILE.svg")
                        }
                        _ => {}
                    }
                }
                let options = ladder_options(absolute, from, until)?;
                let (_, trace) = plan.trace_one(point, replication);
                let connection = FlowId(connection);
                let unknown = || {
                    let known = trace.connections();
                    anyhow::anyhow!(
                        "--connection {connection}: this run has {} connection(s){}",
                        known.len(),
                        if known.is_empty() {
                            " (no TCP workload?)".to_string()
                        } else {
                            format!(", numbered 0 to {}", known.len() - 1)
                        }
                    )
                };
                let bytes = match format {
                    TraceFormat::Jsonl => export::jsonl::jsonl(&trace).into_bytes(),
                    TraceFormat::Ladder => ladder(&trace, connection, &options)
                        .ok_or_else(unknown)?
                        .into_bytes(),
                    TraceFormat::Pcap => export::pcap::capture(&trace)?,
                    TraceFormat::Mermaid => {
                        export::mermaid::sequence_diagram(&trace, connection, &options)
                            .ok_or_else(unknown)?
                            .into_bytes()
                    }
                    TraceFormat::Svg => export::svg::ladder(&trace, connection, &options)
                        .ok_or_else(unknown)?
                        .into_bytes(),
                    TraceFormat::States => format!(
                        "{}\n{}",
                        states::endpoint_states(&trace),
                        states::state_diagram(&trace)
                    )
                    .into_bytes(),
                };
                match out {
                    Some(path) => write_atomic(&path, &bytes)?,
                    None => emit(&String::from_utf8(bytes).expect("text formats are UTF-8"))?,
                }
                Ok(())
            }
            Command::Plot { results_dir } => {
                let manifest = Manifest::read(&results_dir)?;
                let experiment = Experiment::parse(&manifest.source, &manifest.file)?
                    .with_overrides(&manifest.sets()?)?;
                let summary = charts::read_summary(&results_dir.join("summary.csv"))?;
                for path in charts::draw_all(&experiment, &summary, &results_dir)? {
                    emit(&format!("wrote {}\n", path.display()))?;
                }
                Ok(())
            }
        }
    }
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

fn run(
    file: &Path,
    out: Option<PathBuf>,
    sets: &[String],
    jobs: usize,
    shard: Option<&str>,
) -> Result<()> {
    let shard = shard.map(parse_shard).transpose()?;
    let checked = load(file, sets)?;
    let plan = Plan::new(&checked);
    let (experiment, sets) = (&checked.experiment, &checked.overrides);
    let out = out.unwrap_or_else(|| Path::new("results").join(&experiment.name));
    prepare_output_dir(&out)?;

    let runs = plan.runs(shard);
    let bar = progress_bar(runs.len() as u64);
    let started = Instant::now();
    let records = plan.execute(&runs, jobs, &|| bar.inc(1));
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();

    let summary = summarize(&records);
    write_atomic(&out.join("runs.csv"), &runs_csv(&records))?;
    write_atomic(&out.join("summary.csv"), &summary_csv(&summary))?;
    if !experiment.series.is_empty() {
        let hosts: Vec<String> = experiment.hosts.iter().map(|h| h.name.clone()).collect();
        write_atomic(&out.join("series.csv"), &series_csv(&records, &hosts))?;
    }
    let manifest = Manifest::new(file, experiment, sets, &plan, shard, wall)?;
    write_atomic(&out.join("manifest.json"), manifest.to_json()?.as_bytes())?;
    let charts = charts::draw_all(experiment, &summary, &out)?;

    print_table(&summary)?;
    emit(&format!(
        "{} run{} in {:.2} s; results in {}{}\n",
        records.len(),
        plural(records.len()),
        wall,
        out.display(),
        if charts.is_empty() {
            String::new()
        } else {
            format!(" ({} chart{})", charts.len(), plural(charts.len()))
        }
    ))
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
            let mut row: Vec<String> = s
                .params
                .iter()
                .map(|(_, v)| synack_report::results::value_cell(v))
                .collect();
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

/// `manifest.json`: what was run, so results can be traced back and charts redrawn.
#[derive(serde::Serialize, serde::Deserialize)]
struct Manifest {
    synack_version: String,
    file: String,
    /// The experiment file's text as it was run.
    source: String,
    /// `--set` overrides, as given.
    sets: Vec<(String, String)>,
    seed: u64,
    replications: u32,
    shard: Option<String>,
    points: Vec<ManifestPoint>,
    /// The experiment with every default resolved, for reading; `source` is what reruns it.
    resolved: serde_json::Value,
    wall_time_s: f64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ManifestPoint {
    point: usize,
    params: serde_json::Map<String, serde_json::Value>,
    seeds: Vec<u64>,
}

impl Manifest {
    fn new(
        file: &Path,
        experiment: &Experiment,
        sets: &[(String, toml::Value)],
        plan: &Plan,
        shard: Option<Shard>,
        wall: f64,
    ) -> Result<Manifest> {
        let source =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let points = plan
            .points
            .iter()
            .map(|p| ManifestPoint {
                point: p.index,
                params: p
                    .params
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
                    .collect(),
                seeds: (0..plan.replications)
                    .map(|r| synack_world::seeds::run_seed(plan.seed, p.index, r))
                    .collect(),
            })
            .collect();
        Ok(Manifest {
            synack_version: env!("CARGO_PKG_VERSION").to_string(),
            file: file.display().to_string(),
            source,
            sets: sets
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
            seed: plan.seed,
            replications: plan.replications,
            shard: shard.map(|s| format!("{}/{}", s.index + 1, s.of)),
            points,
            resolved: experiment.to_json(),
            wall_time_s: wall,
        })
    }

    fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }

    fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "reading {} (is {} a results directory?)",
                path.display(),
                dir.display()
            )
        })?;
        serde_json::from_str(&text)
            .with_context(|| format!("{}: not a synack manifest", path.display()))
    }

    fn sets(&self) -> Result<Vec<(String, toml::Value)>> {
        Ok(self
            .sets
            .iter()
            .map(|(k, v)| (k.clone(), parse_cli_value(v)))
            .collect())
    }
}
