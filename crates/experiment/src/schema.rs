//! The reference of the experiment file and of the metrics, as data: every key the parser
//! accepts (its type, default and meaning), every metric and every series metric. It is
//! what `synack explain NAME` prints and what docs/reference.md's tables are generated from
//! ([`markdown`]); a test compares the two, and another compares the keys listed here with
//! the keys the parser accepts (the lists of its "expected one of" messages).
//!
//! Where the facts already live in code they are taken from there, not restated:
//! - `[tcp]` keys: the names and types from `tcp_keys!` ([`crate::config::TcpOverrides`]),
//!   the defaults from [`synack_tcp::config::Config::linux`] and
//!   [`synack_tcp::config::Config::rfc`] themselves, the meaning and the sources of the
//!   defaults from the doc comments of [`synack_tcp::config::Config`]'s fields
//!   ([`synack_tcp::config::SOURCE`]), the values of a choice from the parser;
//! - metrics: [`crate::metrics::METRIC_DOCS`] and [`crate::metrics::metric_unit`];
//! - series metrics: [`crate::spec::SeriesMetric::DOCS`].
//!
//! The other keys are described by the [`KEYS`] table below, next to the parsers.

use std::fmt::Write as _;

use crate::config::{suggest, TcpOverrides, TCP_KEYS};
use crate::metrics::{metric_unit, METRIC_DOCS, METRIC_NAMES};
use crate::spec::SeriesMetric;

/// What an entry describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A key of the experiment file.
    Key,
    /// A column of `runs.csv` (and `<name>_mean`, `<name>_ci95`, for a metric that may be
    /// empty `<name>_n`, in `summary.csv`).
    Metric,
    /// A quantity `[[series]]` records into `series.csv`.
    SeriesMetric,
}

/// One key or metric, as `synack explain` prints it and docs/reference.md lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The name `synack explain` takes: the key's place in the file (`tcp.syn_retries`,
    /// `link.loss.p`, `workload.churn.rate`, `chart.reference.expr`), or the metric's name.
    pub name: String,
    /// The table it belongs to, as a heading (`[tcp]`, `[[workload]] kind = "churn"`).
    pub table: String,
    /// What it is.
    pub kind: EntryKind,
    /// The type of a key's value (with its unit), or a metric's unit.
    pub ty: String,
    /// A key's default: `required`, a value as TOML writes it, or per profile for `[tcp]`.
    /// Empty for metrics.
    pub default: String,
    /// What it means.
    pub doc: String,
    /// For `[tcp]` keys: where each profile's default comes from (Linux's source, the RFC).
    pub source: String,
}

/// A required key: no default.
const REQUIRED: &str = "required";

/// One row of [`KEYS`]: table, key, type, default, meaning.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// The keys of every table but `[tcp]`, by table (the `[tcp]` keys come from the code of
/// `tcp_keys!` and of `Config`). The first field is the table: "" for the top level, else
/// the dotted prefix of its keys' names. Keep in step with the structs of `crate::config`:
/// a test compares these keys with those the parser accepts, table by table.
pub const KEYS: &[Row] = &[
    // The top level.
    ("", "name", "string: letters, digits, `.`, `-`, `_`, not starting with `.`; at most 200 bytes", REQUIRED,
     "The experiment's name: results go to `results/<name>/`."),
    ("", "description", "string", "\"\"", "Free text, kept in `manifest.json`."),
    ("", "seed", "integer ≥ 0", "1",
     "Base of every random stream. Each run's seed comes from (seed, point, replication), and each component (a link direction, a workload, a host's ISNs) draws from its own ChaCha8 stream under it."),
    ("", "duration", "duration, > 0", REQUIRED, "Simulated time of each run."),
    ("", "replications", "integer, 1 to 1,000,000", "1",
     "Independent runs (seeds) per sweep point; `summary.csv` gives their mean and 95 % confidence interval."),
    ("", "tcp", "table", "{}", "TCP settings of every host: the `[tcp]` keys. A host's own `tcp` overrides them."),
    ("", "host", "array of tables", "[]", "The hosts: `[[host]]`."),
    ("", "router", "array of tables", "[]", "Routers: `[[router]]`. They forward packets between their links and have no TCP."),
    ("", "link", "array of tables", "[]", "The links between hosts and routers: `[[link]]`."),
    ("", "route", "array of tables", "[]", "Static routes: `[[route]]`, each replacing one computed next hop."),
    ("", "routing", "\"hops\" or \"delay\"", "\"hops\"",
     "What routes minimise, computed once per sweep point: the number of links crossed, or the sum of their propagation delays (ties broken by hops, then by link order). A node with one link sends everything on it; only routers forward (a path never crosses a host). Static `[[route]]`s then replace single next hops; one that makes a loop, or a workload whose hosts no route joins, is an error."),
    ("", "ttl", "integer, 1 to 255", "64",
     "The TTL of every packet a host sends (Linux's `net.ipv4.ip_default_ttl`). Each router takes one off; a packet that reaches a router with 1 left is dropped (RFC 1812 §5.3.1, Linux's `ip_forward`) and counted in `ttl_expired`, with no ICMP sent."),
    ("", "workload", "array of tables", "[]", "What the hosts do: `[[workload]]`, one `kind` each."),
    ("", "sweep", "table of PATH = [values]", "{}",
     "The parameters to vary: each key a parameter path, each value a non-empty list of values. The runs cover the cartesian product of the lists (the first path varying slowest), `replications` runs per point."),
    ("", "chart", "array of tables", "[]", "Charts drawn after the runs: `[[chart]]`."),
    ("", "series", "array of tables", "[]", "Quantities recorded over time in every run, into `series.csv`: `[[series]]`."),
    ("", "flows", "boolean", "false",
     "Write `flows.csv`: a row per flow (connection: the client's and the server's of one 4-tuple incarnation, or a server's alone for a SYN of no live client, such as a flood's) of every run. Columns: point, replication, flow (numbered from 0 in the order flows began; traces call it conn), workload, client and server (`host:port`; a flood's source is `spoofed-<flood>-<hex>`), start_s (connect(), or the SYN's arrival), established_s (the client's ESTABLISHED), closed_s (when the last of its connections reached CLOSED or TIME-WAIT), end (`closed`, `reset`, `refused`: the client's SYN answered by a RST, `timeout`, or `open` while a connection is), bytes_to_server and bytes_to_client (delivered in order to the applications), goodput_bps (bytes delivered both ways · 8 from the first byte written to the last delivered, or to the end of the run for a transfer under way), retransmits and rto_timeouts (both connections summed), handshake_s (connect() to ESTABLISHED), srtt_s (the smoothed RTT at its close, or at the end of the run, of the side that sent more). A value that does not apply is an empty cell. At most 1,000,000 rows over all runs, by `check`'s estimate of the connections (each row is kept in memory until the results are written)."),
    ("", "summary", "array of metric names, each once", "[]",
     "The metrics the console summary prints after `synack run` and `synack merge`, in this order, as mean ± 95 % half-width per sweep point. Empty: the metrics the sweep charts plot, in chart order (with no sweep chart, the first six not zero everywhere)."),
    // [[host]]
    ("host", "name", "string: letters, digits, `-`, `_`", REQUIRED,
     "Unique among hosts; addresses the host in parameter paths (`host.<name>.tcp.msl`). Host i (from 0, in file order) has the address 10.0.0.(i+1) in captures."),
    ("host", "count", "integer, 1 to 1,000,000", "absent: one host",
     "A host group: `count` alike hosts `<name>[0]` … `<name>[count-1]`. A link with `between = [\"<name>[*]\", \"r1\"]` is one link per member (`<link>[i]`, each its own two queues); a workload with `from = \"<name>[*]\"` runs one copy per member (`<workload>[i]`, each its own random streams); a member is named `<name>[i]` wherever one host is expected. Parameter paths address the group's link or workload as a whole (`link.access.delay`)."),
    ("host", "tcp", "table of `[tcp]` keys", "{}",
     "This host's TCP settings: its `profile` replaces the global one as its base, then the global `[tcp]` keys apply, then these."),
    // [[router]]
    ("router", "name", "string: letters, digits, `-`, `_`", REQUIRED,
     "Unique among hosts and routers. A router forwards each packet that arrives on one of its links onto the next link of the packet's route at once (its queue is that link direction's), taking one off its TTL; it runs no TCP and cannot be a workload's end."),
    // [[route]]
    ("route", "at", "host or router name", REQUIRED, "The node whose next hop this replaces (a router, or a host with several links)."),
    ("route", "to", "host name (a member `g[i]`, or every member `g[*]`)", REQUIRED, "The destination host(s)."),
    ("route", "via", "host or router name", REQUIRED, "The neighbour `at` sends those packets to; a link must join them."),
    // [[link]]
    ("link", "name", "string: letters, digits, `-`, `_`", REQUIRED,
     "Unique among links; addresses the link in parameter paths (`link.<name>.loss`)."),
    ("link", "between", "array of 2 host or router names", REQUIRED,
     "The two nodes joined (different, and joined by no other link); one may be a whole group `g[*]`, for one link per member. The forward direction carries packets from the first to the second."),
    ("link", "forward", "table of the per-direction keys", "{}",
     "Overrides for the direction from `between[0]` to `between[1]`: any of delay, jitter, bandwidth, queue, loss, duplicate, reorder, stale."),
    ("link", "reverse", "table of the per-direction keys", "{}",
     "Overrides for the direction from `between[1]` to `between[0]`."),
    ("link", "delay", "duration", "\"0s\"", "Propagation delay, added to every packet after it leaves the queue."),
    ("link", "jitter", "duration, at most `delay`", "\"0s\"",
     "Each packet's delay is `delay` + U, U uniform over the whole nanoseconds in [−jitter, +jitter], drawn per packet (so packets sent less than 2·jitter apart may be reordered)."),
    ("link", "bandwidth", "rate (`\"100Mbps\"`; bps, Kbps, Mbps, Gbps), > 0", "absent: infinite",
     "Serialisation rate: a packet of n bytes takes n·8/bandwidth to leave, and waits in the queue while earlier ones do. Absent: a packet leaves the moment it is sent."),
    ("link", "queue", "integer (packets), ≥ 1, or a table `{ kind, ... }` (`link.queue.*`)", "100",
     "The queue in front of the link, used only with a `bandwidth`. An integer is a drop-tail limit on the packets whose serialisation has not finished, the one being serialised included (ns-3's `DropTailQueue` of 100 packets does not count that one). The table form chooses drop-tail (in packets and/or bytes), RED or CoDel: `{ kind = \"red\", min = 5, max = 15, max_p = 0.1, weight = 0.002 }`, `{ kind = \"codel\", target = \"5ms\", interval = \"100ms\" }`, `{ kind = \"drop-tail\", bytes = 150000 }`. Everything is decided when a packet is sent (no dequeue events): exact for drop-tail and RED; CoDel's \"queue nearly empty\" test reads the backlog the packet found ahead of it."),
    ("link", "loss", "probability, or a table `{ model = \"gilbert-elliott\", p, r, k, h }`", "0",
     "Loss on the wire, after serialisation: each packet lost independently with this probability, or by the Gilbert–Elliott model (`link.loss.*`). Decided per packet, whatever its size."),
    ("link", "duplicate", "probability", "0", "Probability that a delivered packet is delivered a second time."),
    ("link", "reorder", "table `{ probability, delay }`", "absent: none",
     "With `probability`, a delivered packet is held an extra `delay` after its propagation delay, so packets sent up to `delay` later overtake it."),
    ("link", "stale", "table `{ probability, max_age }`", "absent: none",
     "With `probability`, a copy of a delivered packet is kept and delivered again after a uniform delay in (0, max_age] past the original's arrival: the old duplicates that TIME-WAIT (2·MSL) exists to outlive."),
    ("link.loss", "model", "\"gilbert-elliott\"", REQUIRED, "The only table form of `loss`."),
    ("link.loss", "p", "probability", REQUIRED, "P(good → bad) per packet."),
    ("link.loss", "r", "probability", REQUIRED, "P(bad → good) per packet; bursts last 1/r packets on average."),
    ("link.loss", "k", "probability", "1", "Probability of delivery in the good state (loss 1 − k)."),
    ("link.loss", "h", "probability", "0",
     "Probability of delivery in the bad state (loss 1 − h). The mean loss rate is (r·(1−k) + p·(1−h)) / (p + r); the chain starts in a state drawn from its stationary law (netem starts good), and per packet the loss is decided in the current state, then the chain steps. k = 1, h = 0 is Gilbert's model: loss exactly when bad."),
    ("link.reorder", "probability", "probability", REQUIRED, "Probability that a packet is held back."),
    ("link.reorder", "delay", "duration", REQUIRED, "The extra delay of a held-back packet."),
    ("link.stale", "probability", "probability", REQUIRED, "Probability that a packet leaves a stale copy."),
    ("link.stale", "max_age", "duration, > 0", REQUIRED, "The longest a copy waits, after the original's arrival, before its second delivery."),
    ("link.queue", "kind", "\"drop-tail\", \"red\" or \"codel\"", "\"drop-tail\"",
     "Drop-tail drops only when a limit is reached; RED (Floyd & Jacobson 1993) drops early with a probability that grows with the average queue; CoDel (RFC 8289) drops at dequeue once the queue delay has stayed above `target` for an `interval`."),
    ("link.queue", "limit", "integer (packets), ≥ 1", "100; 1000 for codel (Linux's default)",
     "Drop-tail limit on the packets queued, the one being serialised included, for any kind. A drop-tail table with only `bytes` has no packet limit."),
    ("link.queue", "bytes", "size (bytes, headers included), ≥ 1", "absent: none",
     "Drop-tail limit on the bytes queued, the arriving packet's included: a packet that would exceed it is dropped. For any kind."),
    ("link.queue", "min", "number (packets), ≥ 0; or a size (bytes)", "5",
     "RED's `min_th`: below this average queue nothing is dropped early. A number counts packets, as Floyd and Jacobson's paper and ns-2 do; a size (`\"30KB\"`, with `max` a size too) counts bytes, as tc-red's `min` does: the average is then of the bytes queued (Linux `red_enqueue` averages the byte backlog)."),
    ("link.queue", "max", "number (packets), > min; or a size (bytes), as `min`", "15",
     "RED's `max_th`: the drop probability rises linearly from 0 at `min` to `max_p` here; at or above it (without `gentle`) every packet is dropped. In the unit of `min`."),
    ("link.queue", "max_p", "probability, > 0", "0.1",
     "RED's drop probability p_b at `max`. Drops are spaced by the paper's count rule p_a = p_b / (1 − count·p_b), one random number per packet from the link's stream."),
    ("link.queue", "weight", "number in (0, 1]", "0.002",
     "RED's w_q, the weight of the instantaneous queue in its moving average (avg ← (1 − w_q)·avg + w_q·q per arrival; over an idle period avg decays by (1 − w_q)^m, m the `avpkt` packets that could have been sent)."),
    ("link.queue", "gentle", "boolean", "false",
     "RED's gentle variant (Floyd 2000): between `max` and 2·`max` the probability rises from `max_p` to 1 instead of jumping to 1."),
    ("link.queue", "avpkt", "integer (bytes), ≥ 1", "1000",
     "RED's typical packet size (tc-red's `avpkt`), whose transmission time sets the decay of the average over an idle period."),
    ("link.queue", "target", "duration, > 0", "\"5ms\"",
     "CoDel's acceptable standing queue delay (RFC 8289 §4.3)."),
    ("link.queue", "interval", "duration, > 0", "\"100ms\"",
     "CoDel's window: the delay must stay above `target` this long before a drop; in the dropping state drops come interval/√count apart (RFC 8289 §4.2, §3.3)."),
    ("link.queue", "ecn", "boolean (red and codel only)", "false",
     "ECN (RFC 3168 §5; tc-red's and tc-codel's `ecn`): where RED would drop an ECN-capable packet early (its probabilistic drop, and above `max` too) or CoDel would drop one at dequeue, the packet is marked CE and kept; counted in `ecn_marks`. A full queue still drops. Only new data of connections that agreed on ECN (`tcp.ecn`) is ECN-capable."),
    // [[workload]]
    ("workload", "kind", "\"probe\", \"bulk\", \"request\", \"churn\", \"pool\", \"flood\", \"script\" or \"restart\"", REQUIRED,
     "What the workload does; each kind takes the keys listed under it (`workload.<kind>.<key>`)."),
    ("workload.probe", "name", "string: letters, digits, `-`, `_`", REQUIRED, "Unique among workloads; addresses it in parameter paths (`workload.<name>.rate`)."),
    ("workload.probe", "from", "host name, or every member of a group (`g[*]`: one copy of the workload per member)", REQUIRED, "Sending host. Datagrams without TCP, to measure the link itself."),
    ("workload.probe", "to", "HOST or HOST:PORT", REQUIRED, "Receiving host (joined to `from` by a link)."),
    ("workload.probe", "rate", "number (datagrams per second), > 0, at most 10⁹", REQUIRED, "Datagrams per second."),
    ("workload.probe", "size", "size (`\"200B\"`, or bytes)", "64", "Bytes per datagram (64: ping's 56 bytes of data and 8 of ICMP header)."),
    ("workload.probe", "start", "duration, before `duration`", "\"0s\"", "First send."),
    ("workload.probe", "stop", "duration, after `start`", "the experiment's `duration`", "No sends from then on."),
    ("workload.probe", "arrivals", "\"periodic\" or \"poisson\"", "\"periodic\"", "Spacing of sends: the first at start, then every 1/rate exactly; or a Poisson process (exponential gaps of mean 1/rate, the first a gap after start)."),
    ("workload.bulk", "name", "string: letters, digits, `-`, `_`", REQUIRED, "Unique among workloads."),
    ("workload.bulk", "from", "host name, or every member of a group (`g[*]`: one copy of the workload per member)", REQUIRED, "Client host: connects, sends `bytes`, closes; the server reads everything and closes after the client's FIN."),
    ("workload.bulk", "to", "HOST:PORT", REQUIRED, "Server host and listening port."),
    ("workload.bulk", "bytes", "size (`\"50MB\"`, or bytes)", REQUIRED, "Bytes to send."),
    ("workload.bulk", "start", "duration, before `duration`", "\"0s\"", "When to connect."),
    ("workload.bulk", "server_close", "\"after-fin\" or \"never\"", "\"after-fin\"",
     "What the server application does after the client's FIN: close its side, or never (the application bug that leaves CLOSE-WAIT sockets behind)."),
    ("workload.bulk", "accept_rate", "number (connections per second), > 0", "absent: at once",
     "Connections the server application accepts per second; absent, each as soon as it is established. Connections wait in the accept queue meanwhile."),
    ("workload.bulk", "linger_zero", "boolean", "false",
     "The application that closes first sets `SO_LINGER` to {on, 0 s}: its close() sends a RST, not a FIN (Linux `tcp_close` → `tcp_disconnect`); data not yet sent or acknowledged is discarded; no TIME-WAIT."),
    ("workload.request", "name", "string: letters, digits, `-`, `_`", REQUIRED, "Unique among workloads."),
    ("workload.request", "from", "host name, or every member of a group (`g[*]`: one copy of the workload per member)", REQUIRED, "Client host. Each connection: connect, send the request, read the response, close."),
    ("workload.request", "to", "HOST:PORT", REQUIRED, "Server host and listening port."),
    ("workload.request", "request", "size", "100", "Request bytes."),
    ("workload.request", "response", "size", "1000", "Response bytes."),
    ("workload.request", "start", "duration, before `duration`", "\"0s\"", "First connect."),
    ("workload.request", "count", "integer ≥ 1", "1", "Number of connections."),
    ("workload.request", "interval", "duration", "\"1s\"", "Time between successive connects."),
    ("workload.request", "half_close", "boolean, not with `linger_zero`", "false",
     "The client shuts down its sending side as soon as the response starts arriving, then reads the rest (a half-close); false: it closes after the whole response."),
    ("workload.request", "server_close", "\"after-fin\" or \"never\"", "\"after-fin\"", "What the server application does after the client's FIN (as for bulk)."),
    ("workload.request", "accept_rate", "number (connections per second), > 0", "absent: at once", "Connections the server application accepts per second (as for bulk)."),
    ("workload.request", "linger_zero", "boolean", "false", "The client's close() is a RST (`SO_LINGER` 0, as for bulk)."),
    ("workload.churn", "name", "string: letters, digits, `-`, `_`", REQUIRED, "Unique among workloads."),
    ("workload.churn", "from", "host name, or every member of a group (`g[*]`: one copy of the workload per member)", REQUIRED, "Client host. Connections arrive at `rate`; each sends a request, reads the response and closes."),
    ("workload.churn", "to", "HOST:PORT", REQUIRED, "Server host and listening port."),
    ("workload.churn", "rate", "number (connections per second), > 0, at most 10⁹", REQUIRED, "New connections per second."),
    ("workload.churn", "arrivals", "\"poisson\" or \"periodic\"", "\"poisson\"", "Spacing of arrivals: a Poisson process (exponential gaps of mean 1/rate, the first a gap after start: Poisson(rate·(stop − start)) arrivals); or the first at start, then every 1/rate exactly."),
    ("workload.churn", "request", "size", "100", "Request bytes."),
    ("workload.churn", "response", "size", "1000", "Response bytes."),
    ("workload.churn", "closer", "\"client\" or \"server\"", "\"client\"",
     "Which side closes first, and so ends up in TIME-WAIT: the client after reading the response, or the server after sending it."),
    ("workload.churn", "half_close", "boolean, not with `linger_zero`", "false", "The client half-closes once the response starts arriving (as for request)."),
    ("workload.churn", "start", "duration, before `duration`", "\"0s\"", "First arrival."),
    ("workload.churn", "stop", "duration, after `start`", "the experiment's `duration`", "No arrivals from then on."),
    ("workload.churn", "server_close", "\"after-fin\" or \"never\"", "\"after-fin\"", "What the server application does after the client's FIN (as for bulk)."),
    ("workload.churn", "accept_rate", "number (connections per second), > 0", "absent: at once", "Connections the server application accepts per second (as for bulk)."),
    ("workload.churn", "linger_zero", "boolean", "false", "The side that closes first (`closer`) resets instead (`SO_LINGER` 0, as for bulk)."),
    ("workload.pool", "name", "string: letters, digits, `-`, `_`", REQUIRED, "Unique among workloads."),
    ("workload.pool", "from", "host name, or every member of a group (`g[*]`: one copy of the workload per member)", REQUIRED,
     "Client host. Requests arrive at `rate` and are carried by `connections` persistent connections opened at `start`, one request at a time on each (HTTP/1.1 keep-alive without pipelining); a request that finds every connection busy waits for the first to come free. The client closes the connections once `stop` has passed and no request waits."),
    ("workload.pool", "to", "HOST:PORT", REQUIRED, "Server host and listening port."),
    ("workload.pool", "rate", "number (requests per second), > 0, at most 10⁹", REQUIRED, "Requests per second."),
    ("workload.pool", "arrivals", "\"poisson\" or \"periodic\"", "\"poisson\"", "Spacing of requests, as churn's `arrivals` (the pool opens at start either way)."),
    ("workload.pool", "connections", "integer ≥ 0", "1", "Persistent connections; 0: no pool, a connection per request, closed by the client after the response (as churn)."),
    ("workload.pool", "request", "size", "100", "Request bytes."),
    ("workload.pool", "response", "size", "1000", "Response bytes."),
    ("workload.pool", "start", "duration, before `duration`", "\"0s\"", "When the pool opens and the first request arrives."),
    ("workload.pool", "stop", "duration, after `start`", "the experiment's `duration`", "No arrivals from then on."),
    ("workload.pool", "server_close", "\"after-fin\" or \"never\"", "\"after-fin\"", "What the server application does after the client's FIN (as for bulk)."),
    ("workload.pool", "accept_rate", "number (connections per second), > 0", "absent: at once", "Connections the server application accepts per second (as for bulk)."),
    ("workload.pool", "linger_zero", "boolean", "false", "The client, which closes first, resets instead (`SO_LINGER` 0, as for bulk)."),
    ("workload.flood", "name", "string: letters, digits, `-`, `_`", REQUIRED, "Unique among workloads. At most 65,535 floods."),
    ("workload.flood", "from", "host or router name, or every member of a group (`g[*]`: one copy of the workload per member)", REQUIRED,
     "The host or router where the attack enters the network: SYNs from random spoofed addresses (in 198.18.0.0/15) and ports, whose answers vanish there."),
    ("workload.flood", "to", "HOST:PORT", REQUIRED, "Attacked host and port; a bulk, request, churn or pool workload must serve it."),
    ("workload.flood", "rate", "number (SYNs per second), > 0, at most 10⁹", REQUIRED, "SYNs per second, periodic."),
    ("workload.flood", "start", "duration, before `duration`", "\"0s\"", "First SYN."),
    ("workload.flood", "stop", "duration, after `start`", "the experiment's `duration`", "No SYNs from then on."),
    ("workload.script", "name", "string: letters, digits, `-`, `_`", REQUIRED, "Unique among workloads."),
    ("workload.script", "segments", "array of tables (`workload.script.segments.*`), at least one", REQUIRED,
     "Raw segments injected at given times, in any order: `{ at, from, to, sport, dport, flags, seq, ack, len }`."),
    ("workload.script.segments", "at", "duration, before `duration`", REQUIRED, "When it is sent."),
    ("workload.script.segments", "from", "host name", REQUIRED, "Source host: the segment is routed from it to `to`, as the host's own would be."),
    ("workload.script.segments", "to", "host name", REQUIRED, "Destination host."),
    ("workload.script.segments", "sport", "integer, 0 to 65535", REQUIRED, "Source port."),
    ("workload.script.segments", "dport", "integer, 0 to 65535", REQUIRED, "Destination port."),
    ("workload.script.segments", "flags", "string: comma-separated SYN, FIN, RST, ACK (any case), or \"\"", REQUIRED, "TCP flags."),
    ("workload.script.segments", "seq", "integer, 0 to 2³²−1", "0", "Absolute sequence number."),
    ("workload.script.segments", "ack", "integer, 0 to 2³²−1", "0", "Absolute acknowledgment number."),
    ("workload.script.segments", "len", "integer, 0 to 65455", "0", "Payload bytes (zero-filled)."),
    ("workload.restart", "name", "string: letters, digits, `-`, `_`", REQUIRED, "Unique among workloads."),
    ("workload.restart", "server", "HOST:PORT", REQUIRED,
     "The server application that restarts; a bulk, request, churn or pool workload must serve it."),
    ("workload.restart", "at", "duration, before `duration`", REQUIRED,
     "When the old process exits: its listener closes (connections it had not accepted are reset), and the connections it had accepted are closed — a FIN after what their send buffers hold, or a RST with `linger_zero` on a server that closes first."),
    ("workload.restart", "down", "duration", "\"100ms\"", "From the exit to the new process's first `bind()` and `listen()`."),
    ("workload.restart", "retry", "duration, > 0", "\"1s\"",
     "How long the new process waits before trying again after `bind()` fails with `EADDRINUSE` (connections or TIME-WAIT sockets of the old process hold the port; Linux `inet_csk_bind_conflict`)."),
    ("workload.restart", "reuse_addr", "boolean", "false",
     "`SO_REUSEADDR` on the server program's sockets: `bind()` succeeds while the old process's connections and TIME-WAIT sockets still hold the port."),
    // [[chart]]
    ("chart", "name", "string: letters, digits, `.`, `-`, `_`, not starting with `.`", "`<y>-vs-<x>` (`-by-<series>`), dots as `_`",
     "The file stem of the chart's `.png` and `.svg`; unique among charts."),
    ("chart", "kind", "\"sweep\", \"timeseries\" or \"flows\"", "\"sweep\"",
     "sweep: metrics (mean and 95 % interval over the replications) against a swept path. timeseries: recorded `[[series]]` against simulated time, replication 0 of each sweep point, one line per quantity and connection (at most 12). flows: columns of `flows.csv` (needs `flows = true`), replication 0 of each sweep point: a marker per flow against `x`, or with `x = \"cdf\"` each column's distribution over the flows as a step line (at most 12 sets); flows whose cell is empty are left out. No `series` or `x_expr`."),
    ("chart", "x", "a swept parameter path; for a timeseries, \"time\"; for a flows chart, a numeric column of flows.csv or \"cdf\"", "required for sweep charts; \"time\"; \"flow\"",
     "The horizontal axis. Durations, sizes and rates are plotted in base units (seconds, bytes, bit/s)."),
    ("chart", "y", "a metric name or a list of them (timeseries: recorded series, `sockets:<STATE>`; flows: numeric columns of flows.csv: flow, start_s, established_s, closed_s, bytes_to_server, bytes_to_client, goodput_bps, retransmits, rto_timeouts, handshake_s, srtt_s)", REQUIRED, "What is plotted: one line per name."),
    ("chart", "series", "a swept parameter path other than `x`", "absent",
     "One line per value of this path. Every swept path must be the chart's `x` or its `series`."),
    ("chart", "x_expr", "string: an expression in `x` (see \"Chart expressions\")", "absent: the swept value",
     "Sweep charts: the horizontal position as a function of the swept value `x` (base units), e.g. a Gilbert-Elliott model's mean loss rate `\"x/(x + 0.25)\"` from its swept `p`. References' `expr` and `csv` x columns are in the plotted units."),
    ("chart", "title", "string", "absent: chosen from the metrics", "Title."),
    ("chart", "x_label", "string", "absent: the path", "Label of the x axis."),
    ("chart", "y_label", "string", "absent: the metric", "Label of the y axis."),
    ("chart", "log_x", "boolean", "false", "Logarithmic x axis (every swept value must be positive)."),
    ("chart", "log_y", "boolean", "false", "Logarithmic y axis."),
    ("chart", "reference", "array of tables (`chart.reference.*`)", "[]",
     "Drawn beside the measurements: model curves (`expr`) and points measured elsewhere (`csv`)."),
    ("chart.reference", "label", "string", REQUIRED, "Legend text."),
    ("chart.reference", "expr", "string: an expression in `x` (see \"Chart expressions\")", "absent",
     "A model curve y = f(x), drawn as a dashed line over the chart's x range. x is in the axis's base units: seconds for durations, bytes for sizes, bit/s for rates. Exactly one of `expr` and `csv`."),
    ("chart.reference", "csv", "string: a path, relative to the experiment file", "absent",
     "Points measured elsewhere, from a CSV file with a header row: rows with the same x are one point, their mean with its 95 % confidence interval (Student's t), drawn as a marker with error bars. The file's text is kept in `manifest.json`."),
    ("chart.reference", "x", "string: a column of the CSV file", "required with `csv`", "The column of x values, in the axis's base units."),
    ("chart.reference", "y", "string: a column of the CSV file", "required with `csv`", "The column of y values."),
    ("chart.reference", "where", "table: column = value or [values]", "absent: every row",
     "Only the rows whose cell in each column matches: a string its text, a number its value (`1` matches `1` and `1.0`), a boolean `true`/`false` in any case, a list any of its values; cells are trimmed. A `where` that keeps no row is an error."),
    // [[series]]
    ("series", "metric", "a series metric: cwnd, ssthresh, flight, srtt, rto, state, sockets, queue, queue_delay", REQUIRED, "What to record (see \"Series metrics\")."),
    ("series", "host", "host name", "absent: every host", "Only this host's connections (or sockets, or for `queue` and `queue_delay` the link directions it sends on)."),
    ("series", "every", "duration, > 0", "absent: every change",
     "Sample periodically; absent, a row is written whenever the value changes. At most 10,000,000 rows per series and run."),
];

/// The headings of the tables, in the order docs/reference.md lists them.
fn heading(table: &str) -> String {
    match table {
        "" => "top level".to_string(),
        "tcp" => "[tcp] and [[host]] tcp".to_string(),
        "host" => "[[host]]".to_string(),
        "router" => "[[router]]".to_string(),
        "route" => "[[route]]".to_string(),
        "link" => "[[link]], [link.forward], [link.reverse]".to_string(),
        "link.loss" => "[[link]] loss = { model = \"gilbert-elliott\", ... }".to_string(),
        "link.reorder" => "[[link]] reorder = { ... }".to_string(),
        "link.stale" => "[[link]] stale = { ... }".to_string(),
        "workload" => "[[workload]]".to_string(),
        "workload.script.segments" => "[[workload]] kind = \"script\": segments".to_string(),
        "chart" => "[[chart]]".to_string(),
        "chart.reference" => "[[chart.reference]]".to_string(),
        "series" => "[[series]]".to_string(),
        t => match t.strip_prefix("workload.") {
            Some(kind) => format!("[[workload]] kind = \"{kind}\""),
            None => t.to_string(),
        },
    }
}

/// Every entry: the keys (top level, `[tcp]`, then the other tables), the metrics, the
/// series metrics.
pub fn entries() -> Vec<Entry> {
    let mut out = Vec::new();
    let mut tcp_done = false;
    for &(table, key, ty, default, doc) in KEYS {
        // The [tcp] keys go after the top level.
        if table == "host" && !tcp_done {
            out.extend(tcp_entries());
            tcp_done = true;
        }
        out.push(Entry {
            name: if table.is_empty() {
                key.to_string()
            } else {
                format!("{table}.{key}")
            },
            table: heading(table),
            kind: EntryKind::Key,
            ty: ty.to_string(),
            default: default.to_string(),
            doc: doc.to_string(),
            source: String::new(),
        });
    }
    out.extend(metric_entries());
    out
}

/// The metrics and the series metrics.
fn metric_entries() -> Vec<Entry> {
    let metrics = METRIC_NAMES
        .iter()
        .zip(METRIC_DOCS)
        .map(|(name, doc)| Entry {
            name: name.to_string(),
            table: "metrics".to_string(),
            kind: EntryKind::Metric,
            ty: metric_unit(name).unwrap_or("").to_string(),
            default: String::new(),
            doc: clean_doc(doc),
            source: String::new(),
        });
    let series = SeriesMetric::NAMES
        .iter()
        .zip(SeriesMetric::DOCS)
        .map(|(name, doc)| Entry {
            name: name.to_string(),
            table: "series metrics".to_string(),
            kind: EntryKind::SeriesMetric,
            ty: series_unit(name).to_string(),
            default: String::new(),
            doc: clean_doc(doc),
            source: String::new(),
        });
    metrics.chain(series).collect()
}

/// The unit of a series metric's `value` column.
fn series_unit(name: &str) -> &'static str {
    match name {
        "cwnd" | "ssthresh" | "flight" => "bytes",
        "srtt" | "rto" | "queue_delay" => "seconds",
        "state" => "a state's name",
        "queue" => "packets",
        _ => "sockets",
    }
}

/// The `[tcp]` keys: `profile`, then the rows of `tcp_keys!`.
fn tcp_entries() -> Vec<Entry> {
    let docs = config_field_docs();
    let linux = serde_json::to_value(synack_tcp::config::Config::linux()).unwrap_or_default();
    let rfc = serde_json::to_value(synack_tcp::config::Config::rfc()).unwrap_or_default();
    let table = heading("tcp");
    let mut out = vec![Entry {
        name: "tcp.profile".to_string(),
        table: table.clone(),
        kind: EntryKind::Key,
        ty: choices("profile").unwrap_or_default(),
        default: "\"linux\"".to_string(),
        doc: "Which set of defaults the other keys modify: the Linux kernel's (`linux`) or the \
              standards' (`rfc`: RFC 9293, RFC 6298, RFC 5681, RFC 3390, RFC 6528, RFC 1337). \
              A host's `profile` replaces the global one as its base."
            .to_string(),
        source: String::new(),
    }];
    for &(key, rust_ty, note) in TCP_KEYS {
        let (doc, source) = docs
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, d, s)| (d.clone(), s.clone()))
            .unwrap_or_default();
        let show = |v: &serde_json::Value| match v.get(key) {
            Some(serde_json::Value::String(s)) => format!("\"{s}\""),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        out.push(Entry {
            name: format!("tcp.{key}"),
            table: table.clone(),
            kind: EntryKind::Key,
            ty: tcp_type(key, rust_ty, note),
            default: format!("linux: {} · rfc: {}", show(&linux), show(&rfc)),
            doc,
            source,
        });
    }
    out
}

/// How a `[tcp]` key's value is written: from its Rust type, the row's note in `tcp_keys!`,
/// or the values the parser takes.
fn tcp_type(key: &str, rust_ty: &str, note: &str) -> String {
    let note = note.trim().trim_end_matches('.');
    match rust_ty {
        "bool" => "boolean".to_string(),
        "u32" => "integer".to_string(),
        "u64" => "size (`\"4MB\"`, `\"4MiB\"`, or bytes)".to_string(),
        "Duration" => "duration".to_string(),
        _ => choices(key).unwrap_or_else(|| {
            // The note as a type: "Segments, or …" → "segments, or …".
            let mut chars = note.chars();
            chars.next().map_or(String::new(), |c| {
                c.to_lowercase().chain(chars).collect::<String>()
            })
        }),
    }
}

/// The values of a `[tcp]` choice key, as the parser lists them when given a value that is
/// none of them: `"a", "b" or "c"`. `None` for a key that is not a choice.
fn choices(key: &str) -> Option<String> {
    let err = toml::from_str::<TcpOverrides>(&format!("{key} = \"\\u0001\"")).err()?;
    let values = expected_variants(err.message())?;
    Some(or_list(&values))
}

/// The variants in serde's "unknown variant `v`, expected one of `a`, `b`" (or "expected
/// `a` or `b`").
pub fn expected_variants(message: &str) -> Option<Vec<String>> {
    let rest = message.strip_prefix("unknown variant ")?;
    let ticks: Vec<String> = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    (ticks.len() > 1).then(|| ticks[1..].to_vec())
}

/// `"a", "b" or "c"`.
fn or_list(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Each field of `Config` with its doc comment, split into what the field means and the
/// paragraph that gives each profile's value and its source (the one starting `Linux`).
fn config_field_docs() -> Vec<(String, String, String)> {
    let src = synack_tcp::config::SOURCE;
    let Some(start) = src.find("pub struct Config {") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut doc: Vec<&str> = Vec::new();
    for line in src[start..].lines().skip(1) {
        let line = line.trim();
        if line == "}" {
            break;
        }
        if let Some(text) = line.strip_prefix("///") {
            doc.push(text.strip_prefix(' ').unwrap_or(text));
        } else if let Some(field) = line.strip_prefix("pub ") {
            let name = field.split(':').next().unwrap_or("").trim().to_string();
            let paragraphs: Vec<String> = doc
                .split(|l| l.trim().is_empty())
                .map(|p| clean_doc(&p.join(" ")))
                .filter(|p| !p.is_empty())
                .collect();
            // The values and their sources close the comment, from the paragraph that
            // starts `Linux:` (some give the RFC's in a paragraph of its own after it).
            let split = paragraphs
                .iter()
                .position(|p| p.starts_with("Linux:") || p.starts_with("Linux ≥"))
                .unwrap_or(paragraphs.len());
            let (meaning, sources) = paragraphs.split_at(split);
            out.push((name, meaning.join("\n\n"), sources.join("\n\n")));
            doc.clear();
        }
    }
    out
}

/// A doc comment as plain Markdown: lines joined, rustdoc's intra-doc links (``[`X`](path)``,
/// ``[`X`]``) reduced to their text.
fn clean_doc(doc: &str) -> String {
    let joined = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(joined.len());
    let mut rest = joined.as_str();
    while let Some(i) = rest.find("[`") {
        let Some(close) = rest[i..].find("`]") else {
            break;
        };
        out.push_str(&rest[..i]);
        let text = &rest[i + 1..i + close + 1];
        out.push_str(text);
        rest = &rest[i + close + 2..];
        if rest.starts_with('(') {
            if let Some(end) = rest.find(')') {
                rest = &rest[end + 1..];
            }
        }
    }
    out.push_str(rest);
    // `Config::linux()` and friends mean nothing to a reader of experiment files, nor does
    // Rust's `None` where the file writes a word: "`None` ("off" in files)" is "off".
    let mut out = out
        .replace("Config::linux()", "the linux profile")
        .replace("Config::rfc()", "the rfc profile");
    while let Some(i) = out.find("`None` (") {
        let Some(end) = out[i..].find(" in files)") else {
            break;
        };
        let word = out[i + "`None` (".len()..i + end].to_string();
        out.replace_range(i..i + end + " in files)".len(), &word);
    }
    out
}

/// The entry `name` names, or the entries it stands for: a parameter path with the names of
/// hosts, links and workloads (`link.wan.loss`, `host.server.tcp.msl`,
/// `workload.attack.rate`), or a table's name (`workload.churn`, `link.loss`: every key in
/// it). `Err` holds the nearest names, for a did-you-mean.
pub fn lookup(name: &str) -> Result<Vec<Entry>, Vec<String>> {
    let all = entries();
    let name = name.trim();
    let exact: Vec<Entry> = all.iter().filter(|e| e.name == name).cloned().collect();
    if !exact.is_empty() {
        return Ok(exact);
    }
    // `sockets:TIME-WAIT`, as series.csv and timeseries charts name socket counts.
    if let Some(("sockets", _)) = name.split_once(':') {
        return lookup("sockets");
    }
    // A `summary.csv` column names its metric.
    for suffix in ["_mean", "_ci95", "_n"] {
        if let Some(metric) = name.strip_suffix(suffix) {
            let found: Vec<Entry> = all
                .iter()
                .filter(|e| e.kind == EntryKind::Metric && e.name == metric)
                .cloned()
                .collect();
            if !found.is_empty() {
                return Ok(found);
            }
        }
    }
    for candidate in parameter_path_candidates(name) {
        let found: Vec<Entry> = all
            .iter()
            .filter(|e| wildcard_match(&candidate, &e.name))
            .cloned()
            .collect();
        if !found.is_empty() {
            return Ok(found);
        }
    }
    // A table: every key in it.
    let prefix = format!("{name}.");
    let inside: Vec<Entry> = all
        .iter()
        .filter(|e| e.kind == EntryKind::Key && e.name.starts_with(&prefix))
        .cloned()
        .collect();
    if !inside.is_empty() {
        return Ok(inside);
    }
    // The last segment alone names a key of some table: `syn_retries` → `tcp.syn_retries`.
    let last = name.rsplit('.').next().unwrap_or(name);
    let tail = |e: &Entry| e.name.rsplit('.').next().unwrap_or("").to_string();
    let same_tail: Vec<String> = all
        .iter()
        .filter(|e| e.name != name && tail(e) == last)
        .map(|e| e.name.clone())
        .collect();
    if !same_tail.is_empty() {
        return Err(same_tail);
    }
    let names: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
    let mut near: Vec<String> = suggest(name, names.iter().copied())
        .map(str::to_string)
        .into_iter()
        .collect();
    let tails: Vec<String> = all.iter().map(tail).collect();
    if let Some(t) = suggest(last, tails.iter().map(String::as_str)) {
        for e in all.iter().filter(|e| tail(e) == t) {
            if !near.contains(&e.name) && near.len() < 4 {
                near.push(e.name.clone());
            }
        }
    }
    Err(near)
}

/// What a parameter path may stand for in the reference's names, `*` standing for any one
/// segment: `link.wan.loss` → `link.loss`, `link.wan.forward.delay` → `link.delay`,
/// `host.server.tcp.msl` → `tcp.msl`, `workload.attack.rate` → `workload.*.rate`.
fn parameter_path_candidates(path: &str) -> Vec<String> {
    let segments: Vec<&str> = path.split('.').collect();
    let mut out = Vec::new();
    match segments.as_slice() {
        ["host", _, "tcp", rest @ ..] if !rest.is_empty() => {
            out.push(format!("tcp.{}", rest.join(".")));
        }
        ["host", "tcp", rest @ ..] if !rest.is_empty() => {
            out.push(format!("tcp.{}", rest.join(".")));
        }
        ["link", _, "forward" | "reverse", rest @ ..]
        | ["link", "forward" | "reverse", rest @ ..]
            if !rest.is_empty() =>
        {
            out.push(format!("link.{}", rest.join(".")));
        }
        ["link", _, rest @ ..] if !rest.is_empty() => {
            out.push(format!("link.{}", rest.join(".")));
        }
        ["workload", _, rest @ ..] if !rest.is_empty() => {
            out.push(format!("workload.*.{}", rest.join(".")));
        }
        _ => {}
    }
    out
}

/// Whether `name` matches `pattern`, where a `*` segment matches any one segment.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<&str>, Vec<&str>) = (pattern.split('.').collect(), name.split('.').collect());
    p.len() == n.len() && p.iter().zip(&n).all(|(a, b)| *a == "*" || a == b)
}

/// What `synack explain NAME` prints: the entries [`lookup`] finds, and for a table (`tcp`,
/// `workload.churn`, `link.loss`) a line per key in it. `Err` holds the nearest names.
pub fn explain(name: &str) -> Result<String, Vec<String>> {
    let name = name.trim();
    let found = lookup(name)?;
    let prefix = format!("{name}.");
    let (inside, own): (Vec<Entry>, Vec<Entry>) =
        found.into_iter().partition(|e| e.name.starts_with(&prefix));
    let mut out: Vec<String> = own.iter().map(text).collect();
    let inside: Vec<Entry> = if inside.is_empty() && !own.is_empty() {
        // An exact key that is also a table (`tcp`, `link.loss`): list its keys too.
        entries()
            .into_iter()
            .filter(|e| e.kind == EntryKind::Key && e.name.starts_with(&prefix))
            .collect()
    } else {
        inside
    };
    if !inside.is_empty() {
        let width = inside.iter().map(|e| e.name.len()).max().unwrap_or(0);
        let mut list = format!("keys of {name} (`synack explain KEY` for one):\n");
        for e in &inside {
            let _ = writeln!(list, "  {:width$}  {}; default {}", e.name, e.ty, e.default);
        }
        out.push(list);
    }
    Ok(out.join("\n"))
}

/// An entry as `synack explain` prints it.
pub fn text(e: &Entry) -> String {
    let mut out = String::new();
    let what = match e.kind {
        EntryKind::Key if e.table == "top level" => "top-level key".to_string(),
        EntryKind::Key => format!("key of {}", e.table),
        EntryKind::Metric if crate::metrics::may_be_empty(&e.name) => "metric: a column of \
             runs.csv (empty where it does not apply), <name>_mean, <name>_ci95 and <name>_n \
             in summary.csv"
            .to_string(),
        EntryKind::Metric => {
            "metric: a column of runs.csv, <name>_mean and <name>_ci95 in summary.csv".to_string()
        }
        EntryKind::SeriesMetric => "series metric: rows of series.csv".to_string(),
    };
    let _ = writeln!(out, "{} ({what})", e.name);
    match e.kind {
        EntryKind::Key => {
            let _ = writeln!(out, "  type:    {}", e.ty);
            let _ = writeln!(out, "  default: {}", e.default);
        }
        _ => {
            let _ = writeln!(out, "  unit:    {}", e.ty);
        }
    }
    for paragraph in [&e.doc, &e.source] {
        for p in paragraph.split("\n\n").filter(|p| !p.is_empty()) {
            out.push('\n');
            for line in wrap(p, 90) {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    out
}

/// `text` in lines of at most `width` characters (longer words stand alone).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The generated part of docs/reference.md named `section`: `keys` (a table per table of
/// the file), `metrics` or `series-metrics`. `None` for an unknown section.
pub fn markdown(section: &str) -> Option<String> {
    let all = entries();
    let mut out = String::new();
    let cell = |s: &str| s.replace('|', "\\|").replace("\n\n", "<br><br>");
    match section {
        "keys" => {
            let mut table = String::new();
            for e in all.iter().filter(|e| e.kind == EntryKind::Key) {
                if e.table != table {
                    table = e.table.clone();
                    let _ = write!(out, "\n#### `{table}`\n\n");
                    if e.name.starts_with("tcp.") {
                        out.push_str(
                            "| key | type | default | meaning | source of the defaults |\n",
                        );
                        out.push_str("|---|---|---|---|---|\n");
                    } else {
                        out.push_str("| key | type | default | meaning |\n|---|---|---|---|\n");
                    }
                }
                let _ = write!(
                    out,
                    "| `{}` | {} | {} | {} |",
                    e.name,
                    cell(&e.ty),
                    cell(&e.default),
                    cell(&e.doc)
                );
                if e.name.starts_with("tcp.") {
                    let _ = write!(out, " {} |", cell(&e.source));
                }
                out.push('\n');
            }
        }
        "metrics" | "series-metrics" => {
            let kind = if section == "metrics" {
                EntryKind::Metric
            } else {
                EntryKind::SeriesMetric
            };
            out.push_str("\n| name | unit | definition |\n|---|---|---|\n");
            for e in all.iter().filter(|e| e.kind == kind) {
                let _ = writeln!(out, "| `{}` | {} | {} |", e.name, cell(&e.ty), cell(&e.doc));
            }
        }
        _ => return None,
    }
    out.push('\n');
    Some(out)
}

/// The sections [`markdown`] generates.
pub const SECTIONS: &[&str] = &["keys", "metrics", "series-metrics"];

/// `text` with every generated section between its markers replaced by what the code says
/// now: `<!-- generated: NAME -->` … `<!-- end generated -->`. Errors name a marker that is
/// unknown or not closed.
pub fn regenerate(text: &str) -> Result<String, String> {
    const END: &str = "<!-- end generated -->";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("<!-- generated: ") {
        let open_end = rest[i..]
            .find("-->")
            .map(|j| i + j + 3)
            .ok_or("an unclosed `<!-- generated:` marker")?;
        let name = rest[i + "<!-- generated: ".len()..open_end - 3].trim();
        let body = markdown(name).ok_or_else(|| format!("unknown generated section `{name}`"))?;
        let close = rest[open_end..]
            .find(END)
            .map(|j| open_end + j)
            .ok_or_else(|| format!("generated section `{name}` has no `{END}`"))?;
        out.push_str(&rest[..open_end]);
        out.push('\n');
        out.push_str(&body);
        out.push_str(END);
        rest = &rest[close + END.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tcp_key_has_its_meaning_and_sources() {
        let entries = tcp_entries();
        assert_eq!(entries.len(), TCP_KEYS.len() + 1);
        for e in &entries[1..] {
            assert!(
                !e.doc.is_empty(),
                "{}: no doc comment on Config's field",
                e.name
            );
            assert!(
                e.source.starts_with("Linux:") || e.source.starts_with("Linux ≥"),
                "{}: Config's field has no `Linux: …; RFC: …` paragraph",
                e.name
            );
            assert!(e.default.starts_with("linux: ") && !e.default.ends_with(": "));
            assert!(!e.ty.is_empty(), "{}: no type", e.name);
        }
        let syn = entries
            .iter()
            .find(|e| e.name == "tcp.syn_retries")
            .unwrap();
        assert_eq!(syn.default, "linux: 6 · rfc: 6");
        assert!(syn.source.contains("tcp_syn_retries"));
        let cc = entries.iter().find(|e| e.name == "tcp.congestion").unwrap();
        assert_eq!(cc.ty, "\"newreno\", \"reno\", \"cubic\" or \"none\"");
        assert_eq!(cc.default, "linux: \"cubic\" · rfc: \"newreno\"");
        let profile = entries.iter().find(|e| e.name == "tcp.profile").unwrap();
        assert_eq!(profile.ty, "\"linux\" or \"rfc\"");
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<String> = entries().into_iter().map(|e| e.name).collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
    }

    #[test]
    fn lookups() {
        let one = |n: &str| {
            let found = lookup(n).unwrap();
            assert_eq!(found.len(), 1, "{n}");
            found[0].name.clone()
        };
        assert_eq!(one("tcp.syn_retries"), "tcp.syn_retries");
        assert_eq!(one("host.server.tcp.syn_cookies"), "tcp.syn_cookies");
        assert_eq!(one("link.wan.loss"), "link.loss");
        assert_eq!(one("link.wan.reverse.delay"), "link.delay");
        assert_eq!(one("link.wan.loss.p"), "link.loss.p");
        assert_eq!(one("goodput_bps"), "goodput_bps");
        assert_eq!(one("goodput_bps_mean"), "goodput_bps");
        assert_eq!(one("workload.churn.rate"), "workload.churn.rate");
        assert_eq!(one("cwnd"), "cwnd");
        assert_eq!(one("sockets:TIME-WAIT"), "sockets");
        // A workload's name stands for any kind.
        let rates = lookup("workload.attack.rate").unwrap();
        assert!(rates.len() >= 4 && rates.iter().all(|e| e.name.ends_with(".rate")));
        // A table: its keys.
        let churn = lookup("workload.churn").unwrap();
        assert!(churn.iter().any(|e| e.name == "workload.churn.closer"));
        // Did you mean.
        assert_eq!(lookup("tcp.syn_retry").unwrap_err()[0], "tcp.syn_retries");
        assert!(lookup("syn_retries")
            .unwrap_err()
            .contains(&"tcp.syn_retries".to_string()));
        assert!(lookup("goodput")
            .unwrap_err()
            .contains(&"goodput_bps".to_string()));
    }

    #[test]
    fn explain_text() {
        let e = &lookup("tcp.syn_retries").unwrap()[0];
        let t = text(e);
        assert!(t.starts_with("tcp.syn_retries (key of [tcp] and [[host]] tcp)\n"));
        assert!(t.contains("  default: linux: 6 · rfc: 6\n"));
        assert!(t.contains("SYN retransmissions before connect() gives up."));
    }

    #[test]
    fn regenerate_replaces_only_marked_sections() {
        let doc = "a\n<!-- generated: metrics -->\nold\n<!-- end generated -->\nb\n";
        let new = regenerate(doc).unwrap();
        assert!(new.starts_with("a\n<!-- generated: metrics -->\n\n| name |"));
        assert!(new.ends_with("<!-- end generated -->\nb\n"));
        assert!(new.contains("| `goodput_bps` | bits per second |"));
        assert_eq!(regenerate(&new).unwrap(), new);
        assert!(regenerate("<!-- generated: nope -->x<!-- end generated -->").is_err());
        assert!(regenerate("<!-- generated: keys -->x").is_err());
    }
}
