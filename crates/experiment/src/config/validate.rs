//! Checks across keys, after deserialization: names, hosts, links, workloads, TCP settings
//! and charts. Each error is located at the key it is about.
//!
//! They include everything the world would otherwise find only when it is built: link
//! parameters as `synack_link` checks them, a route under every workload and scripted
//! segment (no loop, no dead end; a probe's direct link), one server behaviour per listening
//! port, and a listener for every flood. A checked experiment therefore always builds a
//! world that runs.

use std::cell::OnceCell;
use std::collections::HashMap;

use synack_link::LinkError;
use synack_sim::Duration;

use super::doc::{doc_path, position, Doc, DocPath, Seg};
use super::error::{suggest, ConfigError};
use super::limits::{
    MAX_NAME, MAX_QUEUE, MAX_RUNS, MAX_SCRIPT_LEN, MAX_SERIES_ROWS, MAX_WORLD_PARTS,
};
use super::tcp::TcpOverrides;
use super::units;
use super::{
    ChartConfig, ChartKind, Experiment, LinkParams, Queue, ScriptSegment, SeriesConfig,
    WorkloadConfig, FLOW_CHART_COLUMNS, METRICS, SERIES_METRICS,
};
use crate::build::{self, NodeRef, Unresolved};
use crate::routing::{Routes, Walk};
use crate::spec::{AppSpec, LinkSpec};

/// Every state's name, for `sockets:<STATE>` series.
const STATE_NAMES: &[&str] = &[
    "LISTEN",
    "SYN-SENT",
    "SYN-RECEIVED",
    "ESTABLISHED",
    "FIN-WAIT-1",
    "FIN-WAIT-2",
    "CLOSE-WAIT",
    "CLOSING",
    "LAST-ACK",
    "TIME-WAIT",
    "CLOSED",
];

/// Checks everything but the charts, in file order of the sections.
/// Floods an experiment may have: a spoofed address names its flood in 16 bits, which keeps
/// every address, and so every packet in the event queue, small.
pub const MAX_FLOODS: usize = 1 << 16;

pub(crate) fn check(exp: &Experiment, doc: &Doc<'_>) -> Result {
    let v = Checker::new(exp, doc);
    v.top()?;
    v.hosts()?;
    v.tcp()?;
    v.links()?;
    v.routes()?;
    v.workloads()?;
    v.listeners()?;
    v.series()?;
    v.size()
}

/// Checks the charts against the metrics and the sweep. Overrides cannot change either,
/// so this runs once, after the sweep itself has been checked.
pub(crate) fn check_charts(exp: &Experiment, doc: &Doc<'_>) -> Result {
    Checker::new(exp, doc).charts()
}

/// Checks that every sweep chart shows every swept path, as its x or its series, so that no
/// two sweep points fall on one point of one line. A file may sweep more than its charts
/// can show and still be parsed (to run one point, or trace one run): this is checked when
/// the whole sweep is to run ([`crate::check`]).
pub(crate) fn check_chart_sweep(exp: &Experiment, doc: &Doc<'_>) -> Result {
    let v = Checker::new(exp, doc);
    for (i, c) in exp.charts.iter().enumerate() {
        if c.kind != ChartKind::Sweep {
            continue;
        }
        for (path, _) in exp.sweep.iter() {
            if *path == c.x || c.series.as_deref() == Some(path.as_str()) {
                continue;
            }
            let fix = match &c.series {
                None => format!("add `series = \"{path}\"` to it"),
                Some(series) => format!(
                    "it already draws one line per value of `{series}`: sweep fewer paths, or \
                     run the others as separate experiments"
                ),
            };
            return Err(v.err(
                doc_path!["chart", i],
                format!(
                    "chart \"{}\": the sweep also varies `{path}`, which is neither its x nor \
                     its series: points that differ only in `{path}` would be drawn at one \
                     place; {fix}",
                    c.name
                ),
            ));
        }
    }
    Ok(())
}

struct Checker<'a, 'd> {
    exp: &'a Experiment,
    doc: &'a Doc<'d>,
    /// Each host's and router's node by name (the first, if names repeat), so that every
    /// check that looks up a host, a link or a server costs O(1): the checks stay linear in
    /// the size of the file.
    nodes: build::HostIndex<'a>,
    /// The links, one per group member, and the routes over them, once the links are
    /// checked; with the channel from each node to each neighbour.
    topology: OnceCell<Topology>,
}

struct Topology {
    links: Vec<LinkSpec>,
    channels: HashMap<(usize, usize), u32>,
    routes: OnceCell<Routes>,
}

type Result<T = ()> = std::result::Result<T, ConfigError>;

/// Whether `name` is usable in parameter paths: letters, digits, `-`, `_`.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Whether `name` is usable as a file or directory name: also `.`, but not first.
fn is_file_stem(name: &str) -> bool {
    !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !name.is_empty()
}

impl<'a, 'd> Checker<'a, 'd> {
    fn new(exp: &'a Experiment, doc: &'a Doc<'d>) -> Checker<'a, 'd> {
        Checker {
            exp,
            doc,
            nodes: build::HostIndex::new(exp),
            topology: OnceCell::new(),
        }
    }

    fn err(&self, path: DocPath, message: impl Into<String>) -> ConfigError {
        self.doc.invalid(&path, message)
    }

    fn top(&self) -> Result {
        let e = self.exp;
        self.summary()?;
        self.name_length(doc_path!["name"], &e.name, "results directory")?;
        if !is_file_stem(&e.name) {
            return Err(self.err(
                doc_path!["name"],
                format!(
                    "expected a name for the results directory (letters, digits, `.`, `-`, `_`, \
                     not starting with `.`), found \"{}\"",
                    e.name
                ),
            ));
        }
        if e.duration.is_zero() {
            return Err(self.err(
                doc_path!["duration"],
                "expected a positive duration, found 0s",
            ));
        }
        if e.replications == 0 {
            return Err(self.err(
                doc_path!["replications"],
                "expected at least 1 replication, found 0",
            ));
        }
        if e.ttl == 0 {
            return Err(self.err(
                doc_path!["ttl"],
                "expected a TTL of 1 to 255 (a packet sent with 0 could not leave its host), \
                 found 0",
            ));
        }
        if u64::from(e.replications) > MAX_RUNS {
            return Err(self.err(
                doc_path!["replications"],
                format!(
                    "expected at most {MAX_RUNS} replications (the most runs an experiment may \
                     make), found {}",
                    e.replications
                ),
            ));
        }
        Ok(())
    }

    /// The whole experiment stays within [`MAX_RUNS`] runs and [`MAX_WORLD_PARTS`] resolved
    /// parts over its sweep points. Counted, not listed.
    fn size(&self) -> Result {
        let e = self.exp;
        let points = e
            .sweep
            .iter()
            .fold(1u64, |n, (_, v)| n.saturating_mul(v.len() as u64));
        let at = if e.sweep.is_empty() {
            doc_path!["replications"]
        } else {
            doc_path!["sweep"]
        };
        let shape = if e.sweep.is_empty() {
            String::new()
        } else {
            let sizes: Vec<String> = e.sweep.iter().map(|(_, v)| v.len().to_string()).collect();
            format!(
                "{points} sweep point{} ({}) × ",
                if points == 1 { "" } else { "s" },
                sizes.join(" × ")
            )
        };
        let runs = points.saturating_mul(u64::from(e.replications));
        if runs > MAX_RUNS {
            return Err(self.err(
                at,
                format!(
                    "{shape}{} replication{} = {runs} runs; at most {MAX_RUNS} runs are allowed",
                    e.replications,
                    if e.replications == 1 { "" } else { "s" }
                ),
            ));
        }
        let segments: usize = e
            .workloads
            .iter()
            .map(|w| match w {
                WorkloadConfig::Script(s) => s.segments.len(),
                _ => 0,
            })
            .sum();
        let parts = (self.nodes.nodes() + self.topology().links.len() + segments) as u64
            + self.workload_instances();
        let total = points.saturating_mul(parts);
        if total > MAX_WORLD_PARTS {
            return Err(self.err(
                at,
                format!(
                    "{points} sweep point{} of {parts} hosts, links, workloads and scripted \
                     segments each = {total} resolved parts; at most {MAX_WORLD_PARTS} are \
                     allowed (`check` keeps every point's world): sweep fewer values, or split \
                     the experiment",
                    if points == 1 { "" } else { "s" },
                ),
            ));
        }
        Ok(())
    }

    /// Workloads, one per member for a workload from a group.
    fn workload_instances(&self) -> u64 {
        self.exp
            .workloads
            .iter()
            .map(|w| match w.from().map(|f| self.nodes.resolve(f)) {
                Some(Ok(NodeRef::All { count, .. })) => count as u64,
                _ => 1,
            })
            .sum()
    }

    /// `name` fits in a file name with the suffixes synack adds (see [`MAX_NAME`]).
    fn name_length(&self, path: DocPath, name: &str, what: &str) -> Result {
        if name.len() <= MAX_NAME {
            return Ok(());
        }
        Err(self.err(
            path,
            format!(
                "a name of at most {MAX_NAME} bytes was expected (it names the {what}, and \
                 a file name holds 255), found {} bytes",
                name.len()
            ),
        ))
    }

    /// Names of an array's elements are plain and unique.
    fn names<'n>(&self, array: &str, names: impl Iterator<Item = &'n str>) -> Result {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, name) in names.enumerate() {
            let path = doc_path![array, i, "name"];
            if !is_plain_name(name) {
                return Err(self.err(
                    path,
                    format!(
                        "expected a name of letters, digits, `-` and `_` (it is used in \
                         parameter paths), found \"{name}\""
                    ),
                ));
            }
            if let Some(first) = seen.insert(name, i) {
                let span = self.doc.span_of(&doc_path![array, first, "name"]);
                let (line, _) = position(self.doc.text, span.start);
                return Err(self.err(
                    path,
                    format!("duplicate [[{array}]] name \"{name}\" (first used at line {line})"),
                ));
            }
        }
        Ok(())
    }

    fn hosts(&self) -> Result {
        let e = self.exp;
        self.names("host", e.hosts.iter().map(|h| h.name.as_str()))?;
        self.names("router", e.routers.iter().map(|r| r.name.as_str()))?;
        let mut total = 0u64;
        for (i, h) in e.hosts.iter().enumerate() {
            if let Some(n) = h.count {
                if n == 0 || u64::from(n) > MAX_WORLD_PARTS {
                    return Err(self.err(
                        doc_path!["host", i, "count"],
                        format!("expected a group of 1 to {MAX_WORLD_PARTS} hosts, found {n}"),
                    ));
                }
            }
            total += h.members() as u64;
            if total > MAX_WORLD_PARTS {
                return Err(self.err(
                    doc_path!["host", i],
                    format!(
                        "the groups so far make {total} hosts; at most {MAX_WORLD_PARTS} are \
                         allowed"
                    ),
                ));
            }
        }
        for (i, r) in e.routers.iter().enumerate() {
            if let Some(j) = e.hosts.iter().position(|h| h.name == r.name) {
                let span = self.doc.span_of(&doc_path!["host", j, "name"]);
                let (line, _) = position(self.doc.text, span.start);
                return Err(self.err(
                    doc_path!["router", i, "name"],
                    format!(
                        "router \"{}\" has the name of a [[host]] (line {line}); hosts and \
                         routers share one set of names",
                        r.name
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `name` names nodes; else an error at `path` suggesting the nearest name. What it may
    /// name: `hosts` (hosts and group members), `routers`, and with `groups` a whole group
    /// (`client[*]`).
    fn node(&self, path: DocPath, name: &str, allow: Allow) -> Result<NodeRef> {
        let (node, named) = match self.nodes.lookup(name) {
            Ok(found) => found,
            Err(Unresolved::Misused(message)) => return Err(self.err(path, message)),
            Err(Unresolved::Unknown(base)) => return Err(self.unknown(path, &base, allow)),
        };
        if named.router && !allow.routers {
            return Err(self.err(
                path,
                format!(
                    "\"{name}\" is a [[router]]: it forwards packets and has no TCP, so it \
                     cannot be an end of a workload; name a [[host]]"
                ),
            ));
        }
        if matches!(node, NodeRef::All { .. }) && !allow.groups {
            return Err(self.err(
                path,
                format!(
                    "\"{name}\" names every member of a group; here one host is expected \
                     (a member, \"{}[0]\")",
                    name.trim_end_matches("[*]")
                ),
            ));
        }
        Ok(node)
    }

    fn unknown(&self, path: DocPath, name: &str, allow: Allow) -> ConfigError {
        let e = self.exp;
        // Routers are named only where they may be used, and exist.
        let allow_routers = allow.routers && !e.routers.is_empty();
        let routers = e.routers.iter().filter(|_| allow_routers);
        let names = || {
            e.hosts
                .iter()
                .map(|h| h.name.as_str())
                .chain(routers.clone().map(|r| r.name.as_str()))
        };
        let list: Vec<&str> = names().collect();
        let what = if allow_routers {
            "host or router"
        } else {
            "host"
        };
        if list.is_empty() {
            return self.err(
                path,
                format!("unknown {what} \"{name}\": the file has no [[host]]"),
            );
        }
        let shown = if list.len() > 20 {
            format!("{}, … ({} in all)", list[..20].join(", "), list.len())
        } else {
            list.join(", ")
        };
        self.doc.invalid_with(
            &path,
            format!("unknown {what} \"{name}\"; the {what}s are: {shown}"),
            suggest(name, names()),
        )
    }

    /// `name` is one host (a `[[host]]` or a group member); else an error at `path`.
    fn known_host(&self, path: DocPath, name: &str) -> Result {
        self.node(path, name, Allow::HOST).map(|_| ())
    }

    /// Every host's resolved TCP settings are usable.
    fn tcp(&self) -> Result {
        let e = self.exp;
        let mut checks: Vec<(Option<usize>, synack_tcp::config::Config)> = e
            .hosts
            .iter()
            .enumerate()
            .map(|(i, h)| (Some(i), TcpOverrides::resolve(&e.tcp, Some(&h.tcp))))
            .collect();
        if checks.is_empty() {
            checks.push((None, TcpOverrides::resolve(&e.tcp, None)));
        }
        for (host, config) in checks {
            let Some(bad) = config.validate().err().or_else(|| queue_too_long(&config)) else {
                continue;
            };
            // Report it where the offending key is set: the host's table, else [tcp].
            let mut candidates: Vec<DocPath> = Vec::new();
            if let Some(i) = host {
                candidates.push(doc_path!["host", i, "tcp", bad.key]);
            }
            candidates.push(doc_path!["tcp", bad.key]);
            if let Some(i) = host {
                candidates.push(doc_path!["host", i, "tcp"]);
            }
            candidates.push(doc_path!["tcp"]);
            let path = candidates
                .into_iter()
                .find(|p| self.doc.get(p).is_some())
                .unwrap_or_default();
            let what = match host {
                Some(i) => format!(" (resolved for host \"{}\")", e.hosts[i].name),
                None => String::new(),
            };
            return Err(self.err(path, format!("`{}` {}{what}", bad.key, bad.reason)));
        }
        Ok(())
    }

    fn links(&self) -> Result {
        let links = &self.exp.links;
        self.names("link", links.iter().map(|l| l.name.as_str()))?;
        let mut total = 0u64;
        // The first link joining each pair of nodes, a group's members one by one: a link
        // to `client[1]` beside one to every `client[*]` joins a pair twice.
        let mut joined: HashMap<(usize, usize), usize> = HashMap::new();
        for (i, link) in links.iter().enumerate() {
            let [a, b] = &link.between;
            let ends = [
                self.node(doc_path!["link", i, "between", 0], a, Allow::ANY)?,
                self.node(doc_path!["link", i, "between", 1], b, Allow::ANY)?,
            ];
            let count = match ends {
                [NodeRef::All { .. }, NodeRef::All { .. }] => {
                    return Err(self.err(
                        doc_path!["link", i, "between"],
                        format!(
                            "a link joins every member of one group to one node; both \"{a}\" \
                             and \"{b}\" are whole groups"
                        ),
                    ))
                }
                [NodeRef::All { count, .. }, _] | [_, NodeRef::All { count, .. }] => count,
                _ => 1,
            };
            total += count as u64;
            if total > MAX_WORLD_PARTS {
                return Err(self.err(
                    doc_path!["link", i, "between"],
                    format!(
                        "the links so far, one per group member, make {total}; at most \
                         {MAX_WORLD_PARTS} are allowed"
                    ),
                ));
            }
            if ends[0] == ends[1] {
                return Err(self.err(
                    doc_path!["link", i, "between"],
                    format!("a link joins two different hosts, found \"{a}\" twice"),
                ));
            }
            let members = |end: NodeRef| match end {
                NodeRef::One(n) => n..n + 1,
                NodeRef::All { first, count } => first..first + count,
            };
            for x in members(ends[0]) {
                for y in members(ends[1]) {
                    let first = *joined.entry((x.min(y), x.max(y))).or_insert(i);
                    if first == i {
                        continue;
                    }
                    // Named as written, with the members meant where a group is.
                    let name = |n| self.nodes.name_of(self.exp, n);
                    let these = if count == 1 {
                        format!("\"{a}\" and \"{b}\"")
                    } else {
                        format!("\"{a}\" and \"{b}\": \"{}\" and \"{}\"", name(x), name(y))
                    };
                    let [fa, fb] = &links[first].between;
                    let by = if fa.ends_with("[*]") || fb.ends_with("[*]") {
                        format!(" (between \"{fa}\" and \"{fb}\")")
                    } else {
                        String::new()
                    };
                    return Err(self.err(
                        doc_path!["link", i, "between"],
                        format!(
                            "{these} are already joined by link \"{}\"{by}",
                            links[first].name
                        ),
                    ));
                }
            }
            self.direction(i, "forward", &link.forward)?;
            self.direction(i, "reverse", &link.reverse)?;
        }
        Ok(())
    }

    /// Where a per-direction key of link `i` was set: `[link.<dir>]`, else the link.
    fn link_key(&self, i: usize, dir: &str, key: &str) -> DocPath {
        let own = doc_path!["link", i, dir, key];
        if self.doc.get(&own).is_some() {
            own
        } else {
            doc_path!["link", i, key]
        }
    }

    fn direction(&self, i: usize, dir: &str, p: &LinkParams) -> Result {
        if p.jitter > p.delay {
            return Err(self.err(
                self.link_key(i, dir, "jitter"),
                format!(
                    "jitter ({}) exceeds delay ({}) in the {dir} direction: a packet could \
                     arrive before it was sent",
                    p.jitter, p.delay
                ),
            ));
        }
        if p.bandwidth == Some(0) {
            return Err(self.err(
                self.link_key(i, dir, "bandwidth"),
                "expected a positive rate; leave `bandwidth` out for an infinitely fast link",
            ));
        }
        // The table form's key, if the queue was written as a table.
        let queue_key = |key: &str| {
            let table = self.link_key(i, dir, "queue");
            let mut inner = table.clone();
            inner.push(Seg::Key(key.to_string()));
            if self.doc.get(&inner).is_some() {
                inner
            } else {
                table
            }
        };
        if p.queue.limit() == Some(0) {
            return Err(self.err(queue_key("limit"), "expected a queue of at least 1 packet"));
        }
        if p.queue.bytes() == Some(0) {
            return Err(self.err(
                queue_key("bytes"),
                "expected a byte limit of at least 1 byte (leave `bytes` out for none)",
            ));
        }
        if p.bandwidth.is_none() && !matches!(p.queue, Queue::DropTail { .. }) {
            return Err(self.err(
                queue_key("kind"),
                format!(
                    "a {} queue needs a `bandwidth` on its link ({} direction): on an \
                     infinitely fast link no packet ever waits",
                    if p.queue.kind() == "red" {
                        "RED"
                    } else {
                        "CoDel"
                    },
                    dir
                ),
            ));
        }
        // What the link itself checks when it is built, so that building it cannot fail.
        if let Err(e) = build::link_params(p).validate() {
            let field = match &e {
                LinkError::NotAProbability { field, .. } => field,
                LinkError::ZeroBandwidth => "bandwidth",
                LinkError::ZeroQueue => "queue",
                LinkError::ZeroQueueBytes => "queue.bytes",
                LinkError::BadQueue { field, .. } => field,
                LinkError::ZeroStaleAge => "stale.max_age",
            };
            let keys: Vec<&str> = field.split('.').collect();
            let mut own = doc_path!["link", i, dir];
            let mut shared = doc_path!["link", i];
            for k in &keys {
                own.push(Seg::Key(k.to_string()));
                shared.push(Seg::Key(k.to_string()));
            }
            // Name the direction only where the key was set for one direction.
            let (path, message) = if self.doc.get(&own).is_some() {
                (own, format!("{e} (in the {dir} direction)"))
            } else if self.doc.get(&shared).is_some() {
                (shared, e.to_string())
            } else {
                (self.link_key(i, dir, keys[0]), e.to_string())
            };
            return Err(self.err(path, message));
        }
        Ok(())
    }

    /// The links (one per group member) and the channel from each node to each neighbour,
    /// built once the links are checked.
    fn topology(&self) -> &Topology {
        self.topology.get_or_init(|| {
            let links = build::links(self.exp, &self.nodes);
            let channels = build::channel_map(&links);
            Topology {
                links,
                channels,
                routes: OnceCell::new(),
            }
        })
    }

    /// The routes, built once the static routes are checked.
    fn routing(&self) -> &Routes {
        let t = self.topology();
        t.routes
            .get_or_init(|| build::routes(self.exp, &self.nodes, &t.links))
    }

    /// The name of node `n`: a host, a group member `client[3]`, a router.
    fn node_name(&self, n: usize) -> String {
        let hosts = self.nodes.hosts();
        if n >= hosts {
            return self.exp.routers[n - hosts].name.clone();
        }
        let mut first = 0;
        for h in &self.exp.hosts {
            let members = h.members();
            if n < first + members {
                return match h.count {
                    None => h.name.clone(),
                    Some(_) => format!("{}[{}]", h.name, n - first),
                };
            }
            first += members;
        }
        unreachable!("every host node belongs to a [[host]]")
    }

    /// Static routes: `at` and `via` are neighbours, `to` names hosts, and following the
    /// routes from `at` reaches `to` (no loop, no dead end).
    fn routes(&self) -> Result {
        let mut nodes = Vec::with_capacity(self.exp.routes.len());
        for (i, r) in self.exp.routes.iter().enumerate() {
            let key = |k: &str| doc_path!["route", i, k];
            let one = |n| match n {
                NodeRef::One(n) => n,
                NodeRef::All { .. } => unreachable!("groups are refused for `at` and `via`"),
            };
            let at = one(self.node(key("at"), &r.at, Allow::NODE)?);
            let to = self.node(key("to"), &r.to, Allow::HOSTS)?;
            let via = one(self.node(key("via"), &r.via, Allow::NODE)?);
            if !self.topology().channels.contains_key(&(at, via)) {
                return Err(self.err(
                    key("via"),
                    format!(
                        "no [[link]] joins \"{}\" and \"{}\": a route's `via` is a neighbour of \
                         its `at`",
                        r.at, r.via
                    ),
                ));
            }
            nodes.push((at, to));
        }
        let routes = self.routing();
        for (i, (at, to)) in nodes.into_iter().enumerate() {
            let (first, count) = match to {
                NodeRef::One(n) => (n, 1),
                NodeRef::All { first, count } => (first, count),
            };
            for dest in first..first + count {
                let r = &self.exp.routes[i];
                match routes.walk(at, dest) {
                    Walk::Reached { .. } => {}
                    Walk::Loop { at: node } => {
                        return Err(self.err(
                            doc_path!["route", i],
                            format!(
                                "routing loop: packets from \"{}\" to \"{}\" go round in a \
                                 circle through \"{}\" (the static routes send them back \
                                 where they came from)",
                                r.at,
                                self.node_name(dest),
                                self.node_name(node)
                            ),
                        ))
                    }
                    Walk::NoRoute { at: node } => {
                        return Err(self.err(
                            doc_path!["route", i, "via"],
                            format!(
                                "packets for \"{}\" sent via \"{}\" never arrive: {}",
                                self.node_name(dest),
                                r.via,
                                self.dead_end(at, node)
                            ),
                        ))
                    }
                }
            }
        }
        Ok(())
    }

    /// Why packets stop at node `at` on their way from `from`.
    fn dead_end(&self, from: usize, at: usize) -> String {
        let name = self.node_name(at);
        if at == from {
            format!("\"{name}\" has no link toward it")
        } else if at < self.nodes.hosts() {
            format!(
                "the path reaches host \"{name}\", and hosts do not forward packets (make it a \
                 [[router]])"
            )
        } else {
            format!("router \"{name}\" has no route to it")
        }
    }

    /// `from` (a host, or every member of a group) and `to` (one host) are known, distinct,
    /// and the routes lead from each `from` to `to`.
    fn route(&self, from_path: DocPath, from: &str, to_path: DocPath, to: &str) -> Result {
        self.route_from(Allow::HOSTS, from_path, from, to_path, to)
    }

    /// [`route`](Self::route), from what `allow` allows.
    fn route_from(
        &self,
        allow: Allow,
        from_path: DocPath,
        from: &str,
        to_path: DocPath,
        to: &str,
    ) -> Result {
        let src = self.node(from_path, from, allow)?;
        let NodeRef::One(dest) = self.node(to_path.clone(), to, Allow::HOST)? else {
            unreachable!("a group is refused for `to`")
        };
        let (first, count) = match src {
            NodeRef::One(n) => (n, 1),
            NodeRef::All { first, count } => (first, count),
        };
        let routes = self.routing();
        for f in first..first + count {
            if f == dest {
                return Err(self.err(
                    to_path,
                    format!("`from` and `to` are the same host \"{to}\""),
                ));
            }
            let message = match routes.walk(f, dest) {
                Walk::Reached { .. } => continue,
                Walk::NoRoute { .. } if routes.isolated(dest) => format!(
                    "no route from \"{}\" to \"{to}\": no [[link]] reaches \"{to}\"",
                    self.node_name(f)
                ),
                Walk::NoRoute { at } => format!(
                    "no route from \"{}\" to \"{to}\": {}; join them by [[link]]s, directly or \
                     through [[router]]s",
                    self.node_name(f),
                    self.dead_end(f, at)
                ),
                Walk::Loop { at } => format!(
                    "no route from \"{}\" to \"{to}\": the [[route]]s send its packets round in \
                     a circle through \"{}\"",
                    self.node_name(f),
                    self.node_name(at)
                ),
            };
            return Err(self.err(to_path, message));
        }
        Ok(())
    }

    /// A probe measures one link: `from` and `to` share one.
    fn direct(&self, to_path: DocPath, from: &str, to: &str) -> Result {
        let src = self.nodes.resolve(from);
        let dest = self.nodes.of(to);
        let first = match src {
            Ok(NodeRef::One(n)) => n,
            Ok(NodeRef::All { first, .. }) => first,
            Err(_) => unreachable!("checked by route"),
        };
        if self.topology().channels.contains_key(&(first, dest)) {
            return Ok(());
        }
        Err(self.err(
            to_path,
            format!(
                "a probe measures one link, and no [[link]] joins \"{}\" and \"{to}\"",
                self.node_name(first)
            ),
        ))
    }

    fn workloads(&self) -> Result {
        let ws = &self.exp.workloads;
        self.names("workload", ws.iter().map(|w| w.name()))?;
        let mut total = 0u64;
        for (i, w) in ws.iter().enumerate() {
            if let Some(Ok(NodeRef::All { count, .. })) = w.from().map(|f| self.nodes.resolve(f)) {
                total += count as u64;
                if total > MAX_WORLD_PARTS {
                    return Err(self.err(
                        doc_path!["workload", i, "from"],
                        format!(
                            "the workloads so far, one per group member, make {total}; at most \
                             {MAX_WORLD_PARTS} are allowed"
                        ),
                    ));
                }
            }
            let at = |key: &str| doc_path!["workload", i, key];
            match w {
                WorkloadConfig::Probe(p) => {
                    self.route(at("from"), &p.from, at("to"), &p.to.host)?;
                    self.direct(at("to"), &p.from, &p.to.host)?;
                    self.window(i, p.start, Some(p.stop))?;
                }
                WorkloadConfig::Bulk(b) => {
                    self.route(at("from"), &b.from, at("to"), &b.to.host)?;
                    self.window(i, b.start, None)?;
                }
                WorkloadConfig::Request(r) => {
                    self.route(at("from"), &r.from, at("to"), &r.to.host)?;
                    self.window(i, r.start, None)?;
                    if r.count == 0 {
                        return Err(self.err(at("count"), "expected at least 1 connection"));
                    }
                    self.linger_and_half_close(i, r.linger_zero, r.half_close)?;
                }
                WorkloadConfig::Churn(c) => {
                    self.route(at("from"), &c.from, at("to"), &c.to.host)?;
                    self.window(i, c.start, Some(c.stop))?;
                    self.linger_and_half_close(i, c.linger_zero, c.half_close)?;
                }
                WorkloadConfig::Pool(p) => {
                    self.route(at("from"), &p.from, at("to"), &p.to.host)?;
                    self.window(i, p.start, Some(p.stop))?;
                }
                WorkloadConfig::Flood(f) => {
                    // A flood's SYNs may enter at a router: no TCP runs at their entry.
                    self.route_from(Allow::ANY, at("from"), &f.from, at("to"), &f.to.host)?;
                    self.window(i, f.start, Some(f.stop))?;
                }
                WorkloadConfig::Restart(r) => {
                    self.known_host(at("server"), &r.server.host)?;
                    let duration = self.exp.duration;
                    if r.at >= duration {
                        return Err(self.err(
                            at("at"),
                            format!(
                                "at ({}) is not before the end of the experiment (duration = \
                                 {duration})",
                                r.at
                            ),
                        ));
                    }
                    if r.retry.is_zero() {
                        return Err(self.err(at("retry"), "expected a positive duration"));
                    }
                }
                WorkloadConfig::Script(s) => {
                    if s.segments.is_empty() {
                        return Err(self.err(at("segments"), "expected at least one segment"));
                    }
                    for (j, seg) in s.segments.iter().enumerate() {
                        let p = |key: &str| doc_path!["workload", i, "segments", j, key];
                        self.route(p("from"), &seg.from, p("to"), &seg.to)?;
                        self.scripted(p, seg)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Workloads that serve one host and port behave the same there (one server application
    /// answers each port), and every flood's target port has a listener.
    fn listeners(&self) -> Result {
        let ws = &self.exp.workloads;
        let indices = build::HostIndex::new(self.exp);
        // Nodes count a group's members one by one: name them by the index, not the file's
        // `[[host]]` list.
        let host = |node: usize| indices.name_of(self.exp, node);
        // The first workload serving each host and port, and its position in `servers`.
        let mut servers: Vec<(usize, AppSpec)> = Vec::new();
        let mut served: HashMap<(usize, u16), usize> = HashMap::new();
        for (i, w) in ws.iter().enumerate() {
            let Some(app) = build::app_spec(self.exp, &indices, w) else {
                continue;
            };
            match served.get(&(app.server, app.port)) {
                Some(&k) if !servers[k].1.same_server(&app) => {
                    let (j, first) = &servers[k];
                    return Err(self.err(
                        doc_path!["workload", i, "to"],
                        format!(
                            "workloads \"{}\" and \"{}\" both serve {}:{} but differently ({}); \
                             one server application answers each port: give them different ports",
                            ws[*j].name(),
                            w.name(),
                            host(app.server),
                            app.port,
                            server_difference(first, &app)
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    served.insert((app.server, app.port), servers.len());
                    servers.push((i, app));
                }
            }
        }
        let serves = |h: &str, port: u16| match self.nodes.resolve(h) {
            Ok(NodeRef::One(h)) => served.contains_key(&(h, port)),
            _ => false,
        };
        for (i, w) in ws.iter().enumerate() {
            let WorkloadConfig::Restart(r) = w else {
                continue;
            };
            if !serves(&r.server.host, r.server.port) {
                return Err(self.err(
                    doc_path!["workload", i, "server"],
                    format!(
                        "no server application runs on {}:{} to restart; a bulk, request, \
                         churn or pool workload serves a port",
                        r.server.host, r.server.port
                    ),
                ));
            }
        }
        let mut floods = 0usize;
        for (i, w) in ws.iter().enumerate() {
            let WorkloadConfig::Flood(f) = w else {
                continue;
            };
            floods += 1;
            if floods > MAX_FLOODS {
                return Err(self.err(
                    doc_path!["workload", i, "kind"],
                    format!(
                        "workload \"{}\" is flood number {floods}; at most {MAX_FLOODS} floods \
                         are supported (a spoofed address names its flood in 16 bits)",
                        w.name()
                    ),
                ));
            }
            if serves(&f.to.host, f.to.port) {
                continue;
            }
            let target = match self.nodes.resolve(&f.to.host) {
                Ok(NodeRef::One(node)) => Some(node),
                _ => None,
            };
            let ports: Vec<String> = servers
                .iter()
                .filter(|(_, s)| Some(s.server) == target)
                .map(|(_, s)| s.port.to_string())
                .collect();
            let served = if ports.is_empty() {
                format!("no workload serves \"{}\"", f.to.host)
            } else {
                format!("\"{}\" serves port {}", f.to.host, ports.join(", "))
            };
            return Err(self.err(
                doc_path!["workload", i, "to"],
                format!(
                    "nothing listens on {}:{}; a flood needs a bulk, request, churn or pool workload \
                     serving that port ({served})",
                    f.to.host, f.to.port
                ),
            ));
        }
        Ok(())
    }

    /// `SO_LINGER` changes close(), not a half-close (shutdown): a half-closing client never
    /// makes the full close `linger_zero` would turn into a RST.
    fn linger_and_half_close(&self, i: usize, linger_zero: bool, half_close: bool) -> Result {
        if linger_zero && half_close {
            return Err(self.err(
                doc_path!["workload", i, "linger_zero"],
                "`linger_zero` (SO_LINGER 0 on close) cannot go with `half_close = true`: the \
                 client only shuts down its sending side, which SO_LINGER does not change",
            ));
        }
        Ok(())
    }

    /// A scripted segment is sent before the end of the run, and fits in one IPv4 packet.
    fn scripted(&self, p: impl Fn(&str) -> DocPath, seg: &ScriptSegment) -> Result {
        let duration = self.exp.duration;
        if seg.at >= duration {
            return Err(self.err(
                p("at"),
                format!(
                    "at ({}) is not before the end of the experiment (duration = {duration}): \
                     the segment would never be sent",
                    seg.at
                ),
            ));
        }
        if seg.len > MAX_SCRIPT_LEN {
            return Err(self.err(
                p("len"),
                format!(
                    "expected at most {MAX_SCRIPT_LEN} payload bytes (one IPv4 packet of \
                     65535 bytes less its headers), found {}",
                    seg.len
                ),
            ));
        }
        Ok(())
    }

    /// `start` falls inside the experiment, and before `stop`.
    fn window(&self, i: usize, start: Duration, stop: Option<Duration>) -> Result {
        let duration = self.exp.duration;
        if start >= duration {
            return Err(self.err(
                doc_path!["workload", i, "start"],
                format!(
                    "start ({start}) is not before the end of the experiment (duration = {duration})"
                ),
            ));
        }
        if let Some(stop) = stop {
            if stop <= start {
                return Err(self.err(
                    doc_path!["workload", i, "stop"],
                    format!("stop ({stop}) is not after start ({start})"),
                ));
            }
        }
        Ok(())
    }

    /// `summary = [...]`: metric names, each once.
    fn summary(&self) -> Result {
        let names = &self.exp.summary;
        for (j, metric) in names.iter().enumerate() {
            if !METRICS.contains(&metric.as_str()) {
                return Err(self.doc.invalid_with(
                    &doc_path!["summary", j],
                    format!(
                        "unknown metric \"{metric}\"; the console summary shows metrics, one of: \
                         {}",
                        METRICS.join(", ")
                    ),
                    suggest(metric, METRICS.iter().copied()),
                ));
            }
            if names[..j].contains(metric) {
                return Err(self.err(
                    doc_path!["summary", j],
                    format!("\"{metric}\" is listed twice"),
                ));
            }
        }
        Ok(())
    }

    fn series(&self) -> Result {
        for (i, s) in self.exp.series.iter().enumerate() {
            if !SERIES_METRICS.contains(&s.metric.as_str()) {
                return Err(self.doc.invalid_with(
                    &doc_path!["series", i, "metric"],
                    format!(
                        "unknown series metric \"{}\"; expected one of: {}",
                        s.metric,
                        SERIES_METRICS.join(", ")
                    ),
                    suggest(&s.metric, SERIES_METRICS.iter().copied()),
                ));
            }
            if let Some(host) = &s.host {
                self.known_host(doc_path!["series", i, "host"], host)?;
            }
            if s.every.is_some_and(|d| d.is_zero()) {
                return Err(self.err(
                    doc_path!["series", i, "every"],
                    "`every` must be longer than 0s",
                ));
            }
            if let Some(every) = s.every {
                self.series_rows(i, s, every)?;
            }
        }
        Ok(())
    }

    /// A periodic series writes at most [`MAX_SERIES_ROWS`] rows a run: a row per sample
    /// at least, and for `sockets` one per host and state.
    fn series_rows(&self, i: usize, s: &SeriesConfig, every: Duration) -> Result {
        let duration = self.exp.duration;
        let samples = duration.as_nanos() / every.as_nanos();
        let per_sample = if s.metric == "sockets" {
            let hosts = if s.host.is_some() {
                1
            } else {
                self.exp.hosts.len().max(1) as u64
            };
            hosts * STATE_NAMES.len() as u64
        } else if s.metric == "queue" || s.metric == "queue_delay" {
            // A row per link direction the series' host (or any host) sends on.
            let ends = self.exp.links.iter().flat_map(|l| l.between.iter());
            (ends
                .filter(|h| s.host.as_ref().is_none_or(|want| want == *h))
                .count() as u64)
                .max(1)
        } else {
            1
        };
        let rows = samples.saturating_mul(per_sample);
        if rows <= MAX_SERIES_ROWS {
            return Ok(());
        }
        Err(self.err(
            doc_path!["series", i, "every"],
            format!(
                "sampling every {every} for {duration} writes {samples} samples{}, {rows} rows \
                 a run; at most {MAX_SERIES_ROWS} rows are allowed: sample less often (every \
                 {} or more)",
                if per_sample > 1 {
                    format!(" of {per_sample} rows (one per host and state)")
                } else {
                    String::new()
                },
                Duration::from_nanos(
                    (u128::from(duration.as_nanos()) * u128::from(per_sample))
                        .div_ceil(u128::from(MAX_SERIES_ROWS))
                        .min(u128::from(u64::MAX)) as u64
                )
            ),
        ))
    }

    /// Every chart: a file name of its own, metrics that exist (or, for a timeseries chart,
    /// series that are recorded), and axes the sweep can fill.
    fn charts(&self) -> Result {
        let swept: Vec<&str> = self.exp.sweep.iter().map(|(p, _)| p.as_str()).collect();
        let mut names: HashMap<&str, usize> = HashMap::new();
        for (i, c) in self.exp.charts.iter().enumerate() {
            self.chart_name(i, c, &mut names)?;
            self.chart_metrics(i, c)?;
            self.chart_axes(i, c, &swept)?;
        }
        Ok(())
    }

    /// Chart `i`'s name is a file name no other chart has.
    fn chart_name<'e>(
        &self,
        i: usize,
        c: &'e ChartConfig,
        names: &mut HashMap<&'e str, usize>,
    ) -> Result {
        let at = |key: &str| doc_path!["chart", i, key];
        self.name_length(
            if self.doc.get(&at("name")).is_some() {
                at("name")
            } else {
                doc_path!["chart", i]
            },
            &c.name,
            "chart's files",
        )?;
        if !is_file_stem(&c.name) {
            return Err(self.err(
                at("name"),
                format!(
                    "expected a file name (letters, digits, `.`, `-`, `_`, not starting \
                     with `.`), found \"{}\"",
                    c.name
                ),
            ));
        }
        if let Some(first) = names.insert(&c.name, i) {
            return Err(self.err(
                if self.doc.get(&at("name")).is_some() {
                    at("name")
                } else {
                    doc_path!["chart", i]
                },
                format!(
                    "charts #{} and #{} are both named \"{}\"; set `name` to tell them apart",
                    first + 1,
                    i + 1,
                    c.name
                ),
            ));
        }
        Ok(())
    }

    /// Chart `i`'s `y`: metrics, or for a timeseries chart, recorded series quantities.
    fn chart_metrics(&self, i: usize, c: &ChartConfig) -> Result {
        let y_is_list = matches!(
            self.doc
                .get(&doc_path!["chart", i, "y"])
                .map(|v| v.get_ref()),
            Some(toml::de::DeValue::Array(_))
        );
        let y_path = |j: usize| {
            let mut path = doc_path!["chart", i, "y"];
            if y_is_list {
                path.push(Seg::Index(j));
            }
            path
        };
        if c.kind == ChartKind::Timeseries && c.x_expr.is_some() {
            return Err(self.doc.invalid(
                &doc_path!["chart", i, "x_expr"],
                "`x_expr` maps a swept value; a timeseries chart's x is time",
            ));
        }
        if c.kind == ChartKind::Flows {
            return self.flow_chart(i, c, y_path);
        }
        let recorded = self.recorded_series();
        for (j, metric) in c.y.iter().enumerate() {
            if c.kind == ChartKind::Timeseries {
                if !recorded.contains(metric) {
                    let listed: Vec<&str> = recorded.iter().map(String::as_str).collect();
                    return Err(self.doc.invalid_with(
                        &y_path(j),
                        format!(
                            "a timeseries chart plots recorded [[series]]; \"{metric}\" is not \
                             recorded (recorded: {})",
                            if listed.is_empty() {
                                "none".to_string()
                            } else {
                                listed.join(", ")
                            }
                        ),
                        suggest(metric, listed.iter().copied()),
                    ));
                }
            } else if !METRICS.contains(&metric.as_str()) {
                return Err(self.doc.invalid_with(
                    &y_path(j),
                    format!(
                        "unknown metric \"{metric}\"; expected one of: {}",
                        METRICS.join(", ")
                    ),
                    suggest(metric, METRICS.iter().copied()),
                ));
            }
        }
        Ok(())
    }

    /// A `kind = "flows"` chart: the experiment writes `flows.csv`, and `x` and `y` are its
    /// numeric columns (`x` may be `"cdf"`); no `x_expr` or `series` (each sweep point is
    /// drawn apart).
    fn flow_chart(&self, i: usize, c: &ChartConfig, y_path: impl Fn(usize) -> DocPath) -> Result {
        let at = |key: &str| doc_path!["chart", i, key];
        if !self.exp.flows {
            return Err(self.err(
                at("kind"),
                "a flows chart plots flows.csv, which only `flows = true` (at the top of the \
                 file) writes",
            ));
        }
        for key in ["x_expr", "series"] {
            if self.doc.get(&at(key)).is_some() {
                return Err(self.err(
                    at(key),
                    format!(
                        "a flows chart takes no `{key}`: it draws replication 0 of each sweep \
                         point, one set of points per point and column"
                    ),
                ));
            }
        }
        let column = |at: DocPath, name: &str, cdf: bool| -> Result {
            if FLOW_CHART_COLUMNS.contains(&name) || (cdf && name == "cdf") {
                return Ok(());
            }
            let extra = if cdf { "\"cdf\" or " } else { "" };
            Err(self.doc.invalid_with(
                &at,
                format!(
                    "a flows chart plots columns of flows.csv; expected {extra}one of: {}, \
                     found \"{name}\"",
                    FLOW_CHART_COLUMNS.join(", ")
                ),
                suggest(name, FLOW_CHART_COLUMNS.iter().copied()),
            ))
        };
        column(at("x"), &c.x, true)?;
        for (j, y) in c.y.iter().enumerate() {
            column(y_path(j), y, false)?;
        }
        Ok(())
    }

    /// What a timeseries chart may plot: the quantities the `[[series]]` record.
    fn recorded_series(&self) -> Vec<String> {
        self.exp
            .series
            .iter()
            .flat_map(|s| {
                if s.metric == "sockets" {
                    STATE_NAMES
                        .iter()
                        .map(|st| format!("sockets:{st}"))
                        .collect::<Vec<_>>()
                } else if s.metric == "queue" || s.metric == "queue_delay" {
                    self.exp
                        .links
                        .iter()
                        .map(|l| format!("{}:{}", s.metric, l.name))
                        .collect()
                } else {
                    vec![s.metric.clone()]
                }
            })
            .collect()
    }

    /// Chart `i`'s `x` and `series`: swept paths (or time, for a timeseries chart), and a
    /// positive x on a log axis.
    fn chart_axes(&self, i: usize, c: &ChartConfig, swept: &[&str]) -> Result {
        let at = |key: &str| doc_path!["chart", i, key];
        if c.kind == ChartKind::Sweep {
            self.swept(at("x"), &c.x, swept)?;
        } else if c.kind == ChartKind::Flows {
            // Checked with its y (`flow_chart`).
        } else if c.x != "time" {
            return Err(self.err(
                at("x"),
                format!(
                    "a timeseries chart's x is \"time\", not `{}`; leave `x` out",
                    c.x
                ),
            ));
        }
        if let Some(series) = &c.series {
            self.swept(at("series"), series, swept)?;
            if *series == c.x {
                return Err(self.err(
                    at("series"),
                    format!("`series` and `x` are the same path `{series}`"),
                ));
            }
        }
        if c.log_x && c.kind == ChartKind::Sweep {
            self.positive_axis(at("log_x"), &c.x)?;
        }
        Ok(())
    }

    /// `path` is one of the swept paths.
    fn swept(&self, at: DocPath, path: &str, swept: &[&str]) -> Result {
        if swept.contains(&path) {
            return Ok(());
        }
        if swept.is_empty() {
            return Err(self.err(
                at,
                format!("`{path}` is not swept: the file has no [sweep]"),
            ));
        }
        Err(self.doc.invalid_with(
            &at,
            format!(
                "`{path}` is not swept; the swept paths are: {}",
                swept.join(", ")
            ),
            suggest(path, swept.iter().copied()),
        ))
    }

    /// Every value of the axis `path` is a positive number (for a log axis).
    fn positive_axis(&self, at: DocPath, path: &str) -> Result {
        let values = self
            .exp
            .sweep
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.as_slice())
            .unwrap_or_default();
        for v in values {
            // Durations, sizes and rates are plotted in base units: positive unless zero.
            let ok = match v {
                toml::Value::Integer(n) => *n > 0,
                toml::Value::Float(x) => *x > 0.0,
                toml::Value::String(s) => units::parse_duration(s)
                    .map(|d| !d.is_zero())
                    .or_else(|_| units::parse_rate(s).map(|r| r > 0))
                    .or_else(|_| units::parse_size(s).map(|b| b > 0))
                    .unwrap_or(false),
                _ => false,
            };
            if !ok {
                return Err(self.err(
                    at,
                    format!("a logarithmic x axis needs positive numbers, but `{path}` takes {v}"),
                ));
            }
        }
        Ok(())
    }
}

/// What a name may stand for where it is used.
#[derive(Clone, Copy)]
struct Allow {
    routers: bool,
    groups: bool,
}

impl Allow {
    /// One host.
    const HOST: Allow = Allow {
        routers: false,
        groups: false,
    };
    /// A host, or every member of a group (a workload's `from`).
    const HOSTS: Allow = Allow {
        routers: false,
        groups: true,
    };
    /// Any node (a link's end).
    const ANY: Allow = Allow {
        routers: true,
        groups: true,
    };
    /// One host or router (a route's `at` and `via`).
    const NODE: Allow = Allow {
        routers: true,
        groups: false,
    };
}

/// A listen queue longer than [`MAX_QUEUE`], if any.
fn queue_too_long(c: &synack_tcp::config::Config) -> Option<synack_tcp::config::InvalidConfig> {
    [
        ("backlog", c.backlog),
        ("accept_queue", c.accept_queue),
        ("somaxconn", c.somaxconn),
        ("max_syn_backlog", c.max_syn_backlog),
    ]
    .into_iter()
    .find(|(_, n)| *n > MAX_QUEUE)
    .map(|(key, n)| synack_tcp::config::InvalidConfig {
        key,
        reason: format!(
            "expected at most {MAX_QUEUE} (the most a Linux listener queued while \
             sk_max_ack_backlog had 16 bits; each queued connection is kept in memory), \
             found {n}"
        ),
    })
}

/// How two servers of one port differ, in words.
fn server_difference(a: &AppSpec, b: &AppSpec) -> String {
    let mut differences = Vec::new();
    match (a.kind.server_answers(), b.kind.server_answers()) {
        (Some((req_a, resp_a, closes_a)), Some((req_b, resp_b, closes_b))) => {
            if req_a != req_b {
                differences.push(format!("`request` is {req_a} B and {req_b} B"));
            }
            if resp_a != resp_b {
                differences.push(format!("`response` is {resp_a} B and {resp_b} B"));
            }
            if closes_a != closes_b {
                differences.push("`closer` differs".to_string());
            }
        }
        (None, None) => {}
        _ => differences.push(
            "a bulk transfer's server only reads, a request, churn or pool server answers"
                .to_string(),
        ),
    }
    if a.server_never_closes != b.server_never_closes {
        differences.push("`server_close` differs".to_string());
    }
    if a.server_lingers() != b.server_lingers() {
        differences.push("`linger_zero` differs for the server, which closes first".to_string());
    }
    differences.join("; ")
}
