//! What the integration tests share: building runs from experiment text, and experiments
//! several tests use.
#![allow(dead_code)] // each test binary uses its own subset

use synack_experiment::config::Experiment;
use synack_experiment::metrics::Metrics;
use synack_report::run::Plan;
use synack_world::trace::Trace;

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

/// One request and response: a client connects to port 80 across a 10 ms link, sends
/// 1 KB, reads 1 KB and closes; the server closes after the client's FIN. The rfc profile
/// (MSL 2 min), with ISNs of zero so that the numbers read like RFC 9293's figures.
pub const EXCHANGE: &str = r#"
name = "exchange"
duration = "5min"
[tcp]
profile = "rfc"
isn = "zero"
[[host]]
name = "client"
[[host]]
name = "server"
[[link]]
name = "wire"
between = ["client", "server"]
delay = "10ms"
[[workload]]
name = "exchange"
kind = "request"
from = "client"
to = "server:80"
request = "1KB"
response = "1KB"
"#;

/// [`EXCHANGE`] with a request of `request` bytes over a wire with `settings` added to its
/// `[[link]]` table (jitter, loss, duplication…).
pub fn exchange_over(settings: &str, request: &str) -> String {
    EXCHANGE
        .replace("delay = \"10ms\"", &format!("delay = \"10ms\"\n{settings}"))
        .replace("request = \"1KB\"", &format!("request = \"{request}\""))
}

/// A flood's spoofed SYN opens a half-open connection on the server (connection 0); nobody
/// answers. A later request gives the server its listener.
pub const FLOOD: &str = r#"
name = "flood"
duration = "2s"
[tcp]
profile = "linux"
[[host]]
name = "attacker"
[[host]]
name = "server"
[[link]]
name = "a"
between = ["attacker", "server"]
delay = "5ms"
[[host]]
name = "client"
[[link]]
name = "c"
between = ["client", "server"]
delay = "10ms"
[[workload]]
name = "f"
kind = "flood"
from = "attacker"
to = "server:80"
rate = 1
stop = "500ms"
[[workload]]
name = "web"
kind = "request"
from = "client"
to = "server:80"
start = "1s"
request = "1KB"
response = "1KB"
"#;

/// A churn of short connections from client to server:80 over a 1 ms link; `extra` is
/// appended (settings, `[[series]]`, …).
pub fn churn(duration: &str, msl: &str, rate: f64, ports: &str, extra: &str) -> String {
    format!(
        r#"
name = "churn"
duration = "{duration}"
[tcp]
profile = "linux"
msl = "{msl}"
[[host]]
name = "client"
tcp = {{ ephemeral_ports = "{ports}" }}
[[host]]
name = "server"
[[link]]
name = "l"
between = ["client", "server"]
delay = "1ms"
[[workload]]
name = "c"
kind = "churn"
from = "client"
to = "server:80"
rate = {rate}
request = "100B"
response = "100B"
{extra}
"#
    )
}
