//! The limits an experiment file must keep to, so that every file `check` accepts runs in
//! memory and time `check` can predict. Each is named in the error a file beyond it gets.
//!
//! They bound what one process holds at once: the resolved world of every sweep point
//! (`check` keeps them all, and a run reads them), the list of runs, the rows a periodic
//! `[[series]]` writes, and what a listener can queue. The time a run takes is not bounded,
//! but predicted: `synack check` prints an estimate of the segments the runs send
//! ([`crate::Checked::estimate`]).

/// The most events per second a workload may generate (`rate` of probe, churn, pool and
/// flood, and `accept_rate`): one per nanosecond, the resolution of the simulated clock. At a
/// higher rate successive events would fall on the same nanosecond and time would not
/// advance.
pub const MAX_RATE: f64 = 1e9;

/// The most runs (sweep points × replications) an experiment may make: the runner keeps a
/// list of them, and their results, in memory.
pub const MAX_RUNS: u64 = 1_000_000;

/// The most resolved parts (hosts, links, workloads and scripted segments, counted once per
/// sweep point) an experiment may have over its whole sweep. `check` keeps the resolved world
/// of every sweep point, about 250 bytes a part: a million parts is about 250 MB.
pub const MAX_WORLD_PARTS: u64 = 1_000_000;

/// The most rows one periodic `[[series]]` may write per run, counted from its samples
/// (`duration / every`) and what each sample holds at least: a row per host and state for
/// `sockets`, a row per sample for the per-connection metrics. The rows stay in memory until
/// the run ends.
pub const MAX_SERIES_ROWS: u64 = 10_000_000;

/// The most rows `flows.csv` may have over all runs (`flows = true`), counted from
/// `check`'s estimate of the connections each run opens: a connection per bulk workload and
/// per request, churn arrival and pool connection, and one per flood SYN (each may open a
/// half-open connection). Every run's rows stay in memory (about 150 bytes each as text)
/// until the results are written, when the file is made in memory too: a million rows take
/// about 300 MB (measured: `experiments/churn.toml`'s 50,000 rows add 18 MB to the
/// process's peak).
pub const MAX_FLOW_ROWS: u64 = 1_000_000;

/// The largest listen queue (`backlog`, `accept_queue`, `somaxconn`, `max_syn_backlog`):
/// 65,535, the most a listener could queue while Linux kept `sk_max_ack_backlog` in 16 bits
/// (before 4.1, include/net/sock.h), and the value `net.core.somaxconn` is usually raised to
/// on busy servers. Each half-open or unaccepted connection is kept in memory.
pub const MAX_QUEUE: u32 = 65_535;

/// The longest experiment or chart `name`: results go to a directory of that name, and charts
/// to `<name>.png` and `<name>.svg`, so the name with its longest suffix must fit in a file
/// name (255 bytes on Linux's file systems, `NAME_MAX`).
pub const MAX_NAME: usize = 200;

/// The most payload a scripted segment may carry: 65,455 bytes, the largest IPv4 packet
/// (65,535 bytes, RFC 791's 16-bit total length) less an IPv4 header (20 bytes) and a TCP
/// header with the most options (60 bytes), so that `synack trace --format pcap` can write
/// it as one packet.
pub const MAX_SCRIPT_LEN: u32 = 65_455;

/// The largest experiment file: 16 MiB. Checking holds the parsed document several times
/// over (about 35 bytes per byte of text), so this keeps `check` within a few hundred MB;
/// the largest sensible experiments (a 10,000-host star is about 1 MB) are far smaller.
pub const MAX_FILE_BYTES: u64 = 16 << 20;
