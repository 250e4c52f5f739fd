//! What the integration tests share: building runs from experiment text, the pieces that
//! experiment texts are made of and experiments several tests use, and the segments a trace
//! records.
#![allow(dead_code)] // each test binary uses its own subset

use synack_experiment::config::Experiment;
use synack_experiment::metrics::Metrics;
use synack_report::run::Plan;
use synack_world::ids::PacketId;
use synack_world::trace::{Record, Sent, Trace};

/// The plan of an experiment written inline; panics with the error's message.
pub fn plan(text: &str) -> Plan {
    plan_of(text, "test.toml")
}

/// The plan of experiment `text`, read as file `file`.
fn plan_of(text: &str, file: &str) -> Plan {
    let exp = Experiment::parse(text, file).unwrap_or_else(|e| panic!("{e}"));
    Plan::new(&synack_experiment::check(&exp, &[]).unwrap_or_else(|e| panic!("{e}")))
}

/// The text of `experiments/NAME`, the file the command line would read.
pub fn experiment_text(name: &str) -> String {
    let path = format!("{}/../../experiments/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The plan of `experiments/NAME`.
pub fn experiment(name: &str) -> Plan {
    plan_of(&experiment_text(name), name)
}

/// Replication `replication` of the first sweep point.
pub fn run(text: &str, replication: u32) -> Metrics {
    plan(text).run_one(0, replication).metrics
}

/// Replication 0 of the first sweep point, with its trace.
pub fn traced(text: &str) -> (Metrics, Trace) {
    plan(text).trace_one(0, 0)
}

/// Every segment sent, in record order.
pub fn sent(trace: &Trace) -> impl Iterator<Item = Sent> + '_ {
    trace.records().iter().filter_map(|r| match r {
        Record::Send(s) => Some(*s),
        _ => None,
    })
}

/// The packet of every segment dropped on a link, in record order.
pub fn dropped(trace: &Trace) -> Vec<PacketId> {
    trace
        .records()
        .iter()
        .filter_map(|r| match r {
            Record::Drop { packet, .. } => Some(*packet),
            _ => None,
        })
        .collect()
}

// The pieces experiment texts are made of, each a table (or the top-level keys) as TOML.

/// The top-level keys and the `[tcp]` table: experiment `name`, simulated for `duration`;
/// `tcp` holds the `[tcp]` lines (`profile` and more).
pub fn head(name: &str, duration: &str, tcp: &str) -> String {
    format!("name = \"{name}\"\nduration = \"{duration}\"\n[tcp]\n{tcp}\n")
}

/// A `[[host]]` table; `tcp` holds its `tcp = { … }` entries, empty for none.
pub fn host(name: &str, tcp: &str) -> String {
    if tcp.is_empty() {
        format!("[[host]]\nname = \"{name}\"\n")
    } else {
        format!("[[host]]\nname = \"{name}\"\ntcp = {{ {tcp} }}\n")
    }
}

/// A `[[link]]` table between hosts `a` and `b`; `settings` holds its other lines (`delay`…).
pub fn link(name: &str, a: &str, b: &str, settings: &str) -> String {
    format!("[[link]]\nname = \"{name}\"\nbetween = [\"{a}\", \"{b}\"]\n{settings}\n")
}

/// The topology most fixtures share: hosts `client` and `server` (hosts 0 and 1), with
/// `client_tcp` and `server_tcp` as their `tcp = { … }` entries (empty for none), joined by
/// the link `l` with `settings` (its `delay` and more).
pub fn client_server(settings: &str, client_tcp: &str, server_tcp: &str) -> String {
    [
        host("client", client_tcp),
        host("server", server_tcp),
        link("l", "client", "server", settings),
    ]
    .concat()
}

/// A third host, `attacker` (host 2), joined to the server by the 10 ms link `a`.
pub fn attacker() -> String {
    [
        host("attacker", ""),
        link("a", "attacker", "server", "delay = \"10ms\""),
    ]
    .concat()
}

/// A workload `name` of `kind` from `from` to `to`; `settings` holds its other lines.
pub fn workload(name: &str, kind: &str, from: &str, to: &str, settings: &str) -> String {
    format!(
        "[[workload]]\nname = \"{name}\"\nkind = \"{kind}\"\nfrom = \"{from}\"\nto = \"{to}\"\n{settings}\n"
    )
}

/// A `request` workload from the client to `server:80`.
pub fn request(name: &str, settings: &str) -> String {
    workload(name, "request", "client", "server:80", settings)
}

/// A `flood` workload `f` from the attacker to `server:80`.
pub fn syn_flood(settings: &str) -> String {
    workload("f", "flood", "attacker", "server:80", settings)
}

/// A `script` workload `name` that injects `segments` (inline tables, comma-separated).
pub fn script(name: &str, segments: &str) -> String {
    format!("[[workload]]\nname = \"{name}\"\nkind = \"script\"\nsegments = [ {segments} ]\n")
}

// Experiments several tests use.

/// One request and response: a client connects to port 80 across a 10 ms link, sends
/// 1 KB, reads 1 KB and closes; the server closes after the client's FIN. The rfc profile
/// (MSL 2 min), with ISNs of zero so that the numbers read like RFC 9293's figures.
pub fn exchange() -> String {
    exchange_over("", "1KB")
}

/// [`exchange`] with a request of `request` bytes over a wire with `settings` added to its
/// `[[link]]` table (jitter, loss, duplication…).
pub fn exchange_over(settings: &str, request: &str) -> String {
    let head = head("exchange", "5min", "profile = \"rfc\"\nisn = \"zero\"");
    exchange_with(&head, settings, request)
}

/// `head` (the top-level keys and `[tcp]`), then [`exchange`]'s hosts, its 10 ms link `wire`
/// with `settings` added, and its request `exchange` of `request` bytes for 1 KB.
pub fn exchange_with(head: &str, settings: &str, request: &str) -> String {
    [
        head.to_string(),
        host("client", ""),
        host("server", ""),
        link(
            "wire",
            "client",
            "server",
            &format!("delay = \"10ms\"\n{settings}"),
        ),
        self::request(
            "exchange",
            &format!("request = \"{request}\"\nresponse = \"1KB\""),
        ),
    ]
    .concat()
}

/// A flood's spoofed SYN opens a half-open connection on the server (connection 0); nobody
/// answers. A later request gives the server its listener. The attacker is host 0, 5 ms
/// from the server; the client is host 2, 10 ms from it.
pub fn flood() -> String {
    [
        head("flood", "2s", "profile = \"linux\""),
        host("attacker", ""),
        host("server", ""),
        link("a", "attacker", "server", "delay = \"5ms\""),
        host("client", ""),
        link("c", "client", "server", "delay = \"10ms\""),
        syn_flood("rate = 1\nstop = \"500ms\""),
        request(
            "web",
            "start = \"1s\"\nrequest = \"1KB\"\nresponse = \"1KB\"",
        ),
    ]
    .concat()
}

/// A churn of short connections from client to server:80 over a 1 ms link; `extra` is
/// appended to the workload (settings, then `[[series]]`, …).
pub fn churn(duration: &str, msl: &str, rate: f64, ports: &str, extra: &str) -> String {
    [
        head(
            "churn",
            duration,
            &format!("profile = \"linux\"\nmsl = \"{msl}\""),
        ),
        client_server(
            "delay = \"1ms\"",
            &format!("ephemeral_ports = \"{ports}\""),
            "",
        ),
        workload(
            "c",
            "churn",
            "client",
            "server:80",
            &format!("rate = {rate}\nrequest = \"100B\"\nresponse = \"100B\"\n{extra}"),
        ),
    ]
    .concat()
}
