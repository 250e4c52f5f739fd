//! `[[workload]]`: what the hosts do. One struct per `kind`.
//!
//! serde's internally tagged enums buffer the table and lose the spans and the
//! unknown-key lists of their variants, so a workload is read in two steps
//! ([`parse_workloads`]): `kind` first, then the rest of the table as that kind's struct,
//! with `deny_unknown_fields` and every span intact.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use synack_sim::Duration;
use toml::de::DeValue;
use toml::Spanned;

use super::doc::{doc_path, Doc};
use super::error::{suggest, ConfigError};
use super::units;

/// The workload kinds, as `kind = "..."` spells them.
pub const WORKLOAD_KINDS: &[&str] = &[
    "probe", "bulk", "request", "churn", "flood", "script", "pool", "restart",
];

/// One workload. Serializes with its `kind` tag, as written in files.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum WorkloadConfig {
    /// Datagrams without TCP: measures the link itself.
    Probe(Probe),
    /// One connection that sends `bytes` and closes.
    Bulk(Bulk),
    /// `count` request/response connections.
    Request(Request),
    /// A stream of short connections.
    Churn(Churn),
    /// A stream of requests over persistent connections.
    Pool(Pool),
    /// Spoofed SYNs that never complete.
    Flood(Flood),
    /// Raw segments injected at given times.
    Script(Script),
    /// A server application that exits and starts again.
    Restart(Restart),
}

impl WorkloadConfig {
    /// The workload's name (unique among workloads).
    pub fn name(&self) -> &str {
        match self {
            WorkloadConfig::Probe(w) => &w.name,
            WorkloadConfig::Bulk(w) => &w.name,
            WorkloadConfig::Request(w) => &w.name,
            WorkloadConfig::Churn(w) => &w.name,
            WorkloadConfig::Pool(w) => &w.name,
            WorkloadConfig::Flood(w) => &w.name,
            WorkloadConfig::Script(w) => &w.name,
            WorkloadConfig::Restart(w) => &w.name,
        }
    }

    /// Its name and its `from` host, for the kinds that have one: what a workload over a
    /// host group (`from = "client[*]"`) changes in each member's copy.
    pub fn name_and_from_mut(&mut self) -> (&mut String, Option<&mut String>) {
        match self {
            WorkloadConfig::Probe(w) => (&mut w.name, Some(&mut w.from)),
            WorkloadConfig::Bulk(w) => (&mut w.name, Some(&mut w.from)),
            WorkloadConfig::Request(w) => (&mut w.name, Some(&mut w.from)),
            WorkloadConfig::Churn(w) => (&mut w.name, Some(&mut w.from)),
            WorkloadConfig::Pool(w) => (&mut w.name, Some(&mut w.from)),
            WorkloadConfig::Flood(w) => (&mut w.name, Some(&mut w.from)),
            WorkloadConfig::Script(w) => (&mut w.name, None),
            WorkloadConfig::Restart(w) => (&mut w.name, None),
        }
    }

    /// Its `from` host, for the kinds that have one.
    pub fn from(&self) -> Option<&str> {
        match self {
            WorkloadConfig::Probe(w) => Some(&w.from),
            WorkloadConfig::Bulk(w) => Some(&w.from),
            WorkloadConfig::Request(w) => Some(&w.from),
            WorkloadConfig::Churn(w) => Some(&w.from),
            WorkloadConfig::Pool(w) => Some(&w.from),
            WorkloadConfig::Flood(w) => Some(&w.from),
            WorkloadConfig::Script(_) | WorkloadConfig::Restart(_) => None,
        }
    }

    /// The `kind` as files spell it.
    pub fn kind(&self) -> &'static str {
        match self {
            WorkloadConfig::Probe(_) => "probe",
            WorkloadConfig::Bulk(_) => "bulk",
            WorkloadConfig::Request(_) => "request",
            WorkloadConfig::Churn(_) => "churn",
            WorkloadConfig::Pool(_) => "pool",
            WorkloadConfig::Flood(_) => "flood",
            WorkloadConfig::Script(_) => "script",
            WorkloadConfig::Restart(_) => "restart",
        }
    }
}

fn zero() -> Duration {
    Duration::ZERO
}
/// Placeholder for "until the end of the experiment", replaced once `duration` is known.
pub(crate) fn until_end() -> Duration {
    Duration::MAX
}
fn probe_size() -> u64 {
    64
}
fn request_size() -> u64 {
    100
}
fn response_size() -> u64 {
    1000
}
fn one() -> u32 {
    1
}
fn one_second() -> Duration {
    Duration::from_secs(1)
}
fn hundred_ms() -> Duration {
    Duration::from_millis(100)
}

/// `kind = "probe"`: datagrams from `from` to `to`, no TCP.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// Unique among workloads.
    pub name: String,
    /// Sending host.
    pub from: String,
    /// Receiving host, with an optional port (`"server"` or `"server:7"`).
    pub to: Target,
    /// Datagrams per second.
    #[serde(with = "units::per_second")]
    pub rate: f64,
    /// Bytes per datagram. Default 64 (ping's default: 56 bytes of data + 8 of ICMP header).
    #[serde(default = "probe_size", with = "units::size")]
    pub size: u64,
    /// First send. Default 0 s.
    #[serde(default = "zero", with = "units::duration")]
    pub start: Duration,
    /// No sends from then on. Default: the experiment's `duration`.
    #[serde(default = "until_end", with = "units::duration")]
    pub stop: Duration,
    /// Spacing of sends. Default periodic.
    #[serde(default = "Arrivals::periodic")]
    pub arrivals: Arrivals,
}

/// `kind = "bulk"`: connect, send `bytes`, close; the server reads everything and closes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bulk {
    /// Unique among workloads.
    pub name: String,
    /// Client host.
    pub from: String,
    /// Server host and listening port.
    pub to: Endpoint,
    /// Bytes to send.
    #[serde(with = "units::size")]
    pub bytes: u64,
    /// When to connect. Default 0 s.
    #[serde(default = "zero", with = "units::duration")]
    pub start: Duration,
    /// What the server application does after the client's FIN. Default after-fin.
    #[serde(default)]
    pub server_close: ServerClose,
    /// Connections the server application accepts per second; absent: each at once.
    #[serde(
        default,
        with = "units::opt_per_second",
        skip_serializing_if = "Option::is_none"
    )]
    pub accept_rate: Option<f64>,
    /// The application that closes first (the client; the server with `closer = "server"`)
    /// sets `SO_LINGER` to {on, 0 s}: its close() resets the connection instead of closing it
    /// (Linux `tcp_close` → `tcp_disconnect`): a RST, not a FIN; data not yet sent or not yet
    /// acknowledged is discarded; no TIME-WAIT. Default false.
    #[serde(default)]
    pub linger_zero: bool,
}

/// `kind = "request"`: `count` connections, each: connect, request, response, close.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Unique among workloads.
    pub name: String,
    /// Client host.
    pub from: String,
    /// Server host and listening port.
    pub to: Endpoint,
    /// Request bytes. Default 100.
    #[serde(default = "request_size", with = "units::size")]
    pub request: u64,
    /// Response bytes. Default 1000.
    #[serde(default = "response_size", with = "units::size")]
    pub response: u64,
    /// First connect. Default 0 s.
    #[serde(default = "zero", with = "units::duration")]
    pub start: Duration,
    /// Number of connections. Default 1.
    #[serde(default = "one")]
    pub count: u32,
    /// Time between successive connects. Default 1 s.
    #[serde(default = "one_second", with = "units::duration")]
    pub interval: Duration,
    /// The client shuts down its sending side as soon as the response starts arriving, then
    /// reads the rest (a half-close). Default false: it closes after the whole response.
    #[serde(default)]
    pub half_close: bool,
    /// What the server application does after the client's FIN. Default after-fin.
    #[serde(default)]
    pub server_close: ServerClose,
    /// Connections the server application accepts per second; absent: each at once.
    #[serde(
        default,
        with = "units::opt_per_second",
        skip_serializing_if = "Option::is_none"
    )]
    pub accept_rate: Option<f64>,
    /// The application that closes first (the client; the server with `closer = "server"`)
    /// sets `SO_LINGER` to {on, 0 s}: its close() resets the connection instead of closing it
    /// (Linux `tcp_close` → `tcp_disconnect`): a RST, not a FIN; data not yet sent or not yet
    /// acknowledged is discarded; no TIME-WAIT. Default false.
    #[serde(default)]
    pub linger_zero: bool,
}

/// `kind = "churn"`: connections arriving at `rate` per second from `start` to `stop`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Churn {
    /// Unique among workloads.
    pub name: String,
    /// Client host.
    pub from: String,
    /// Server host and listening port.
    pub to: Endpoint,
    /// New connections per second.
    #[serde(with = "units::per_second")]
    pub rate: f64,
    /// Spacing of arrivals. Default poisson.
    #[serde(default = "Arrivals::poisson")]
    pub arrivals: Arrivals,
    /// Request bytes. Default 100.
    #[serde(default = "request_size", with = "units::size")]
    pub request: u64,
    /// Response bytes. Default 1000.
    #[serde(default = "response_size", with = "units::size")]
    pub response: u64,
    /// Which side closes first (and so ends up in TIME-WAIT). Default client.
    #[serde(default)]
    pub closer: Closer,
    /// As for `request`: the client half-closes once the response starts arriving.
    #[serde(default)]
    pub half_close: bool,
    /// First arrival. Default 0 s.
    #[serde(default = "zero", with = "units::duration")]
    pub start: Duration,
    /// No arrivals from then on. Default: the experiment's `duration`.
    #[serde(default = "until_end", with = "units::duration")]
    pub stop: Duration,
    /// What the server application does after the client's FIN. Default after-fin.
    #[serde(default)]
    pub server_close: ServerClose,
    /// Connections the server application accepts per second; absent: each at once.
    #[serde(
        default,
        with = "units::opt_per_second",
        skip_serializing_if = "Option::is_none"
    )]
    pub accept_rate: Option<f64>,
    /// The application that closes first (the client; the server with `closer = "server"`)
    /// sets `SO_LINGER` to {on, 0 s}: its close() resets the connection instead of closing it
    /// (Linux `tcp_close` → `tcp_disconnect`): a RST, not a FIN; data not yet sent or not yet
    /// acknowledged is discarded; no TIME-WAIT. Default false.
    #[serde(default)]
    pub linger_zero: bool,
}

/// `kind = "pool"`: requests arriving at `rate` per second from `start` to `stop`, carried
/// by a pool of `connections` persistent connections opened at `start` — one request at a
/// time on each, as HTTP/1.1 keep-alive without pipelining; a request that finds every
/// connection busy waits for the first to come free. The client closes the connections
/// once `stop` has passed and no request waits. With `connections = 0` there is no pool:
/// each request opens a connection of its own and the client closes it after the response,
/// as `churn` does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    /// Unique among workloads.
    pub name: String,
    /// Client host.
    pub from: String,
    /// Server host and listening port.
    pub to: Endpoint,
    /// Requests per second.
    #[serde(with = "units::per_second")]
    pub rate: f64,
    /// Spacing of arrivals. Default poisson.
    #[serde(default = "Arrivals::poisson")]
    pub arrivals: Arrivals,
    /// Persistent connections; 0: a connection per request. Default 1.
    #[serde(default = "one")]
    pub connections: u32,
    /// Request bytes. Default 100.
    #[serde(default = "request_size", with = "units::size")]
    pub request: u64,
    /// Response bytes. Default 1000.
    #[serde(default = "response_size", with = "units::size")]
    pub response: u64,
    /// When the pool opens and the first request arrives. Default 0 s.
    #[serde(default = "zero", with = "units::duration")]
    pub start: Duration,
    /// No arrivals from then on. Default: the experiment's `duration`.
    #[serde(default = "until_end", with = "units::duration")]
    pub stop: Duration,
    /// What the server application does after the client's FIN. Default after-fin.
    #[serde(default)]
    pub server_close: ServerClose,
    /// Connections the server application accepts per second; absent: each at once.
    #[serde(
        default,
        with = "units::opt_per_second",
        skip_serializing_if = "Option::is_none"
    )]
    pub accept_rate: Option<f64>,
    /// The client, which closes first, sets `SO_LINGER` to {on, 0 s}: its close() is a RST
    /// (see `churn`). Default false.
    #[serde(default)]
    pub linger_zero: bool,
}

/// `kind = "flood"`: SYNs from random spoofed addresses and ports, entering at `from`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flood {
    /// Unique among workloads.
    pub name: String,
    /// The host or router where the attack enters the network.
    pub from: String,
    /// Attacked host and port.
    pub to: Endpoint,
    /// SYNs per second.
    #[serde(with = "units::per_second")]
    pub rate: f64,
    /// First SYN. Default 0 s.
    #[serde(default = "zero", with = "units::duration")]
    pub start: Duration,
    /// No SYNs from then on. Default: the experiment's `duration`.
    #[serde(default = "until_end", with = "units::duration")]
    pub stop: Duration,
}

/// `kind = "script"`: raw segments injected at given times.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// Unique among workloads.
    pub name: String,
    /// The segments, in any order.
    pub segments: Vec<ScriptSegment>,
}

/// `kind = "restart"`: the server application on `server` exits at `at`, and a new process
/// binds and listens on the same port `down` later — retrying every `retry` while `bind()`
/// fails with `EADDRINUSE` (connections or TIME-WAIT sockets of the old process hold the
/// port and `reuse_addr` is off).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restart {
    /// Unique among workloads.
    pub name: String,
    /// The host and port of the server application that restarts; a bulk, request, churn or
    /// pool workload serves it.
    pub server: Endpoint,
    /// When the old process exits: its listener closes (connections it had not accepted are
    /// reset), and the connections it had accepted are closed — a FIN after what their send
    /// buffers hold, or a RST with `linger_zero` on a server that closes first.
    #[serde(with = "units::duration")]
    pub at: Duration,
    /// From the exit to the new process's first `bind()` and `listen()`. Default 100 ms.
    #[serde(default = "hundred_ms", with = "units::duration")]
    pub down: Duration,
    /// How long the new process waits before trying again after `EADDRINUSE`. Default 1 s.
    #[serde(default = "one_second", with = "units::duration")]
    pub retry: Duration,
    /// `SO_REUSEADDR` on the server program's sockets, the old process's and the new one's:
    /// `bind()` then succeeds while the old process's connections and TIME-WAIT sockets
    /// still hold the port. Default false.
    #[serde(default)]
    pub reuse_addr: bool,
}

/// One injected segment: `{ at, from, to, sport, dport, flags, seq, ack, len }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptSegment {
    /// When it is sent.
    #[serde(with = "units::duration")]
    pub at: Duration,
    /// Source host (it is sent onto this host's links).
    pub from: String,
    /// Destination host.
    pub to: String,
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Flags, `"SYN,ACK"`; empty for none.
    pub flags: Flags,
    /// Absolute sequence number. Default 0.
    #[serde(default)]
    pub seq: u32,
    /// Absolute acknowledgment number. Default 0.
    #[serde(default)]
    pub ack: u32,
    /// Payload bytes. Default 0.
    #[serde(default)]
    pub len: u32,
}

/// How events are spaced in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arrivals {
    /// Exponential gaps of mean 1/rate.
    Poisson,
    /// Gaps of exactly 1/rate.
    Periodic,
}

impl Arrivals {
    fn poisson() -> Arrivals {
        Arrivals::Poisson
    }
    fn periodic() -> Arrivals {
        Arrivals::Periodic
    }
}

/// Which side of a churn connection closes first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Closer {
    /// The client closes after reading the response (it ends in TIME-WAIT).
    #[default]
    Client,
    /// The server closes after sending the response (the server ends in TIME-WAIT).
    Server,
}

/// What a server application does once it has read the peer's FIN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerClose {
    /// Closes its side (the default).
    #[default]
    AfterFin,
    /// Never closes: the application bug that leaves CLOSE-WAIT sockets behind.
    Never,
}

/// A host and a port, `"server:80"`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// Host name.
    pub host: String,
    /// Port, 1–65535.
    pub port: u16,
}

/// A host and an optional port, `"server"` or `"server:7"` (for probes).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// Host name.
    pub host: String,
    /// Port, if given.
    pub port: Option<u16>,
}

/// Splits `"host:port"`; the port is optional here.
fn split_endpoint(s: &str) -> Result<(String, Option<u16>), String> {
    match s.rsplit_once(':') {
        None => Ok((s.to_string(), None)),
        Some((host, port)) => match port.parse::<u16>() {
            Ok(p) if p > 0 && !host.is_empty() => Ok((host.to_string(), Some(p))),
            _ => Err(format!(
                "expected HOST:PORT with a port in 1..=65535, such as \"server:80\"; found \"{s}\""
            )),
        },
    }
}

impl<'de> Deserialize<'de> for Endpoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Endpoint, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Endpoint;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("HOST:PORT, such as \"server:80\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Endpoint, E> {
                match split_endpoint(v).map_err(E::custom)? {
                    (host, Some(port)) => Ok(Endpoint { host, port }),
                    (_, None) => Err(E::custom(format!(
                        "expected HOST:PORT, such as \"server:80\"; found \"{v}\" (the port is missing)"
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Endpoint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}:{}", self.host, self.port))
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Target, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Target;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("HOST or HOST:PORT, such as \"server\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Target, E> {
                let (host, port) = split_endpoint(v).map_err(E::custom)?;
                Ok(Target { host, port })
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.port {
            Some(p) => s.collect_str(&format_args!("{}:{p}", self.host)),
            None => s.serialize_str(&self.host),
        }
    }
}

/// TCP flags of a scripted segment. Written `"SYN,ACK"`, in the order SYN, FIN, RST, ACK.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    /// SYN.
    pub syn: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
    /// ACK.
    pub ack: bool,
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (self.syn, "SYN"),
            (self.fin, "FIN"),
            (self.rst, "RST"),
            (self.ack, "ACK"),
        ];
        let set: Vec<&str> = names
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect();
        f.write_str(&set.join(","))
    }
}

impl std::str::FromStr for Flags {
    type Err = String;

    /// Parses `"SYN,ACK"` (any case, any order, spaces allowed); `""` is no flag.
    fn from_str(s: &str) -> Result<Flags, String> {
        let mut flags = Flags::default();
        for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let slot = match word.to_ascii_uppercase().as_str() {
                "SYN" => &mut flags.syn,
                "FIN" => &mut flags.fin,
                "RST" => &mut flags.rst,
                "ACK" => &mut flags.ack,
                _ => {
                    let names = ["SYN", "FIN", "RST", "ACK"];
                    let hint = suggest(&word.to_ascii_uppercase(), names)
                        .map(|n| format!("; did you mean `{n}`?"))
                        .unwrap_or_default();
                    return Err(format!(
                        "unknown flag `{word}` in \"{s}\"; expected a comma-separated list of \
                         SYN, FIN, RST, ACK{hint}"
                    ));
                }
            };
            if *slot {
                return Err(format!("flag `{word}` appears twice in \"{s}\""));
            }
            *slot = true;
        }
        Ok(flags)
    }
}

impl<'de> Deserialize<'de> for Flags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Flags, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Flags;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("TCP flags such as \"SYN,ACK\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Flags, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Flags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Reads every `[[workload]]` of the document: `kind` first, then that kind's struct.
pub(crate) fn parse_workloads(doc: &Doc<'_>) -> Result<Vec<WorkloadConfig>, ConfigError> {
    let Some(list) = doc.root.get_ref().get("workload") else {
        return Ok(Vec::new());
    };
    let DeValue::Array(items) = list.get_ref() else {
        return Err(doc.invalid(
            &doc_path!["workload"],
            "expected [[workload]] tables (an array of tables)",
        ));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let DeValue::Table(table) = item.get_ref() else {
            return Err(doc.invalid(&doc_path!["workload", i], "expected a table"));
        };
        let kinds = WORKLOAD_KINDS.join(", ");
        let Some(kind) = table.get("kind") else {
            return Err(doc.invalid(
                &doc_path!["workload", i],
                format!("missing key `kind`; expected one of: {kinds}"),
            ));
        };
        let Some(kind) = kind.get_ref().as_str() else {
            return Err(doc.invalid(
                &doc_path!["workload", i, "kind"],
                format!("expected a string, one of: {kinds}"),
            ));
        };
        let rest = || {
            let mut rest = table.clone();
            rest.remove("kind");
            Spanned::new(item.span(), DeValue::Table(rest))
        };
        out.push(match kind {
            "probe" => WorkloadConfig::Probe(doc.deserialize(rest)?),
            "bulk" => WorkloadConfig::Bulk(doc.deserialize(rest)?),
            "request" => WorkloadConfig::Request(doc.deserialize(rest)?),
            "churn" => WorkloadConfig::Churn(doc.deserialize(rest)?),
            "pool" => WorkloadConfig::Pool(doc.deserialize(rest)?),
            "flood" => WorkloadConfig::Flood(doc.deserialize(rest)?),
            "script" => WorkloadConfig::Script(doc.deserialize(rest)?),
            "restart" => WorkloadConfig::Restart(doc.deserialize(rest)?),
            other => {
                return Err(doc.invalid_with(
                    &doc_path!["workload", i, "kind"],
                    format!("unknown workload kind \"{other}\"; expected one of: {kinds}"),
                    suggest(other, WORKLOAD_KINDS.iter().copied()),
                ))
            }
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        let f: Flags = "SYN,ACK".parse().unwrap();
        assert!(f.syn && f.ack && !f.fin && !f.rst);
        assert_eq!(f.to_string(), "SYN,ACK");
        assert_eq!("ack, fin".parse::<Flags>().unwrap().to_string(), "FIN,ACK");
        assert_eq!("".parse::<Flags>().unwrap(), Flags::default());
        assert!("SYN,SIN"
            .parse::<Flags>()
            .unwrap_err()
            .contains("did you mean `SYN`?"));
        assert!("SYN,SYN".parse::<Flags>().is_err());
    }

    #[test]
    fn endpoints() {
        assert_eq!(
            split_endpoint("server:80"),
            Ok(("server".to_string(), Some(80)))
        );
        assert_eq!(split_endpoint("server"), Ok(("server".to_string(), None)));
        assert!(split_endpoint("server:0").is_err());
        assert!(split_endpoint("server:http").is_err());
        assert!(split_endpoint(":80").is_err());
    }
}
