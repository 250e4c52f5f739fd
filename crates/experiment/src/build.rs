//! From an experiment (one sweep point's values applied) to the resolved [`WorldSpec`].

use synack_link::{Aqm, CoDel, LinkParams as Params, LossModel, Red, Reorder, Stale};

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::{Arrivals, Closer, Endpoint, ScriptSegment, ServerClose, WorkloadConfig};
use crate::config::{Experiment, RoutingMetric, TcpOverrides};
use crate::config::{LinkParams, Loss, Queue, Threshold};
use crate::routing::{Metric, Routes};
use synack_tcp::{Flags, Options, Segment, Seq};

use crate::spec::{
    AppKind, AppSpec, FloodSpec, HostSpec, LinkSpec, ProbeSpec, RestartSpec, ScriptSpec,
    ScriptedSegment, SeriesMetric, SeriesSpec, WorkloadSpec, WorldSpec,
};

/// Resolves names to indices and configuration to the components' own parameter types.
/// Validation already guaranteed that every name refers to something that exists, and
/// everything else a world needs (see `config::validate`): [`crate::check`] is the way in.
pub(crate) fn build_world(exp: &Experiment) -> WorldSpec {
    let mut hosts: Vec<HostSpec> = Vec::new();
    for h in &exp.hosts {
        let tcp = TcpOverrides::resolve(&exp.tcp, Some(&h.tcp));
        match h.count {
            None => hosts.push(HostSpec {
                name: h.name.clone(),
                tcp,
            }),
            Some(n) => hosts.extend((0..n).map(|i| HostSpec {
                name: format!("{}[{i}]", h.name),
                tcp: tcp.clone(),
            })),
        }
    }
    let indices = HostIndex::new(exp);
    let index = |name: &str| indices.of(name);
    let links = links(exp, &indices);
    let routes = routes(exp, &indices, &links);
    let mut workloads = Vec::with_capacity(exp.workloads.len());
    for w in &exp.workloads {
        let group = w.from().and_then(|from| match indices.resolve(from) {
            Ok(NodeRef::All { count, .. }) => Some((from.trim_end_matches("[*]"), count)),
            _ => None,
        });
        let Some((base, count)) = group else {
            workloads.push(workload_spec(exp, &indices, w));
            continue;
        };
        // One copy per member: `<name>[i]` from `<group>[i]`.
        for i in 0..count {
            let mut member = w.clone();
            let (name, from) = member.name_and_from_mut();
            *name = format!("{name}[{i}]");
            if let Some(from) = from {
                *from = format!("{base}[{i}]");
            }
            workloads.push(workload_spec(exp, &indices, &member));
        }
    }
    let series = exp
        .series
        .iter()
        .map(|s| SeriesSpec {
            metric: SeriesMetric::from_name(&s.metric).expect("validated metric"),
            every: s.every,
            host: s.host.as_deref().map(index),
        })
        .collect();
    WorldSpec {
        duration: exp.duration,
        hosts,
        routers: exp.routers.iter().map(|r| r.name.clone()).collect(),
        links,
        routes: Arc::new(routes),
        ttl: exp.ttl,
        workloads,
        series,
    }
}

/// Every link, one per member for a link to a group (`<link>[i]`).
pub(crate) fn links(exp: &Experiment, nodes: &HostIndex<'_>) -> Vec<LinkSpec> {
    let mut links = Vec::with_capacity(exp.links.len());
    for l in &exp.links {
        let ends = [&l.between[0], &l.between[1]].map(|n| {
            nodes
                .resolve(n)
                .expect("validation checked every link's ends")
        });
        let spec = |name: String, a: usize, b: usize| LinkSpec {
            name,
            a,
            b,
            forward: link_params(&l.forward),
            reverse: link_params(&l.reverse),
        };
        match ends {
            [NodeRef::One(a), NodeRef::One(b)] => links.push(spec(l.name.clone(), a, b)),
            [NodeRef::All { first, count }, NodeRef::One(b)] => {
                links.extend((0..count).map(|i| spec(format!("{}[{i}]", l.name), first + i, b)))
            }
            [NodeRef::One(a), NodeRef::All { first, count }] => {
                links.extend((0..count).map(|i| spec(format!("{}[{i}]", l.name), a, first + i)))
            }
            [NodeRef::All { .. }, NodeRef::All { .. }] => {
                unreachable!("validation refuses a link between two groups")
            }
        }
    }
    links
}

/// The routes over `links`: shortest paths, then the static `[[route]]`s.
pub(crate) fn routes(exp: &Experiment, nodes: &HostIndex<'_>, links: &[LinkSpec]) -> Routes {
    let metric = match exp.routing {
        RoutingMetric::Hops => Metric::Hops,
        RoutingMetric::Delay => Metric::Delay,
    };
    let mut routes = Routes::for_links(nodes.hosts(), nodes.nodes(), links, metric);
    if !exp.routes.is_empty() {
        let channels = channel_map(links);
        for r in &exp.routes {
            let (at, via) = (nodes.of(&r.at), nodes.of(&r.via));
            let c = channels[&(at, via)];
            match nodes.resolve(&r.to).expect("validated route") {
                NodeRef::One(to) => routes.set(at, to, c),
                NodeRef::All { first, count } => {
                    for to in first..first + count {
                        routes.set(at, to, c);
                    }
                }
            }
        }
    }
    routes
}

/// The channel from each node to each neighbour (the first link joining them).
pub(crate) fn channel_map(links: &[LinkSpec]) -> HashMap<(usize, usize), u32> {
    let mut channel = HashMap::with_capacity(links.len() * 2);
    for (i, l) in links.iter().enumerate() {
        channel.entry((l.a, l.b)).or_insert(2 * i as u32);
        channel.entry((l.b, l.a)).or_insert(2 * i as u32 + 1);
    }
    channel
}

/// One workload of a validated experiment, resolved.
fn workload_spec(exp: &Experiment, hosts: &HostIndex<'_>, w: &WorkloadConfig) -> WorkloadSpec {
    let index = |name: &str| hosts.of(name);
    match w {
        WorkloadConfig::Probe(p) => WorkloadSpec::Probe(ProbeSpec {
            name: p.name.clone(),
            from: index(&p.from),
            to: index(&p.to.host),
            rate: p.rate,
            size: u32::try_from(p.size).unwrap_or(u32::MAX),
            start: p.start,
            stop: p.stop.min(exp.duration),
            poisson: p.arrivals == Arrivals::Poisson,
        }),
        WorkloadConfig::Bulk(_)
        | WorkloadConfig::Request(_)
        | WorkloadConfig::Churn(_)
        | WorkloadConfig::Pool(_) => {
            WorkloadSpec::App(app_spec(exp, hosts, w).expect("a TCP workload"))
        }
        WorkloadConfig::Flood(f) => WorkloadSpec::Flood(FloodSpec {
            name: f.name.clone(),
            entry: index(&f.from),
            target: index(&f.to.host),
            port: f.to.port,
            rate: f.rate,
            start: f.start,
            stop: f.stop.min(exp.duration),
        }),
        WorkloadConfig::Script(s) => WorkloadSpec::Script(ScriptSpec {
            name: s.name.clone(),
            segments: s.segments.iter().map(|seg| scripted(hosts, seg)).collect(),
        }),
        WorkloadConfig::Restart(r) => WorkloadSpec::Restart(RestartSpec {
            name: r.name.clone(),
            host: index(&r.server.host),
            port: r.server.port,
            at: r.at,
            down: r.down,
            retry: r.retry,
            reuse_addr: r.reuse_addr,
        }),
    }
}

/// A `script` workload's segment, as the world sends it.
fn scripted(hosts: &HostIndex<'_>, seg: &ScriptSegment) -> ScriptedSegment {
    let flags = [
        (seg.flags.syn, Flags::SYN),
        (seg.flags.fin, Flags::FIN),
        (seg.flags.rst, Flags::RST),
        (seg.flags.ack, Flags::ACK),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .fold(Flags::default(), |all, (_, flag)| all | flag);
    ScriptedSegment {
        at: seg.at,
        from: hosts.of(&seg.from),
        to: hosts.of(&seg.to),
        seg: Segment {
            src_port: seg.sport,
            dst_port: seg.dport,
            seq: Seq(seg.seq),
            ack: Seq(seg.ack),
            flags,
            window: 65535,
            len: seg.len,
            opts: Options {
                mss: seg.flags.syn.then_some(1460),
                ..Options::default()
            },
            ecn: Default::default(),
        },
    }
}

/// Each host's and router's node number by name, built once so that resolving a world
/// costs time linear in its size. Hosts come first (a group's members in order), then the
/// routers.
pub(crate) struct HostIndex<'a> {
    map: HashMap<&'a str, Named>,
    hosts: usize,
    nodes: usize,
}

/// What a name in `[[host]]` or `[[router]]` stands for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Named {
    /// Its (first) node.
    pub first: usize,
    /// A group's number of members.
    pub count: Option<u32>,
    /// A `[[router]]`.
    pub router: bool,
}

/// A reference to nodes: one, or every member of a group (`client[*]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeRef {
    One(usize),
    All { first: usize, count: usize },
}

/// Why a name resolves to nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Unresolved {
    /// No host or router has this name (the name, without any `[i]`).
    Unknown(String),
    /// Known, but used wrongly: what to say.
    Misused(String),
}

impl<'a> HostIndex<'a> {
    pub(crate) fn new(exp: &'a Experiment) -> HostIndex<'a> {
        let mut map = HashMap::with_capacity(exp.hosts.len() + exp.routers.len());
        let mut next = 0usize;
        for h in &exp.hosts {
            map.entry(h.name.as_str()).or_insert(Named {
                first: next,
                count: h.count,
                router: false,
            });
            next += h.members();
        }
        let hosts = next;
        for r in &exp.routers {
            map.entry(r.name.as_str()).or_insert(Named {
                first: next,
                count: None,
                router: true,
            });
            next += 1;
        }
        HostIndex {
            map,
            hosts,
            nodes: next,
        }
    }

    /// Hosts, a group's members counted one by one.
    pub(crate) fn hosts(&self) -> usize {
        self.hosts
    }

    /// Hosts and routers.
    pub(crate) fn nodes(&self) -> usize {
        self.nodes
    }

    /// What `name` stands for: a host or router, a member `group[i]`, or a whole group
    /// `group[*]`.
    pub(crate) fn lookup(&self, name: &str) -> Result<(NodeRef, Named), Unresolved> {
        let (base, member) = match name.strip_suffix(']').and_then(|n| n.split_once('[')) {
            Some((base, i)) => (base, Some(i)),
            None => (name, None),
        };
        let Some(&named) = self.map.get(base) else {
            return Err(Unresolved::Unknown(base.to_string()));
        };
        let node = match (named.count, member) {
            (None, None) => NodeRef::One(named.first),
            (Some(n), None) => {
                return Err(Unresolved::Misused(format!(
                    "\"{name}\" is a host group of {n}: name one member (\"{name}[0]\") or \
                     every member (\"{name}[*]\")"
                )))
            }
            (None, Some(_)) => {
                return Err(Unresolved::Misused(format!(
                    "\"{base}\" is not a host group (it has no `count`), so \"{name}\" names \
                     nothing; write \"{base}\""
                )))
            }
            (Some(n), Some("*")) => NodeRef::All {
                first: named.first,
                count: n as usize,
            },
            (Some(n), Some(i)) => {
                // Written as Rust writes it: no sign, no leading zero.
                let canonical = i == "0" || (!i.starts_with('0') && !i.starts_with('+'));
                match i.parse::<u32>() {
                    Ok(k) if k < n && canonical => NodeRef::One(named.first + k as usize),
                    _ => {
                        return Err(Unresolved::Misused(format!(
                            "\"{name}\" names no member of group \"{base}\": its members are \
                             \"{base}[0]\" to \"{base}[{}]\", or all of them, \"{base}[*]\"",
                            n - 1
                        )))
                    }
                }
            }
        };
        Ok((node, named))
    }

    /// Like [`HostIndex::lookup`], the nodes only.
    pub(crate) fn resolve(&self, name: &str) -> Result<NodeRef, Unresolved> {
        self.lookup(name).map(|(node, _)| node)
    }

    /// The node of `name`, or of a group's first member for `group[*]`.
    pub(crate) fn first(&self, name: &str) -> usize {
        match self.resolve(name) {
            Ok(NodeRef::One(n) | NodeRef::All { first: n, .. }) => n,
            _ => panic!("validation checked every host name"),
        }
    }

    /// The name of node `node`: a host's, a member's (`client[3]`), a router's. Walks the
    /// file's hosts: for messages, not for every packet.
    pub(crate) fn name_of(&self, exp: &Experiment, node: usize) -> String {
        let mut first = 0;
        for h in &exp.hosts {
            let members = h.members();
            if node < first + members {
                return match h.count {
                    Some(_) => format!("{}[{}]", h.name, node - first),
                    None => h.name.clone(),
                };
            }
            first += members;
        }
        exp.routers
            .get(node - first)
            .map_or_else(|| format!("node {node}"), |r| r.name.clone())
    }

    /// The node of `name` (a host, a router or a member), which validation checked exists.
    pub(crate) fn of(&self, name: &str) -> usize {
        match self.resolve(name) {
            Ok(NodeRef::One(n)) => n,
            _ => panic!("validation checked every host name"),
        }
    }
}

/// The client and server applications of a bulk, request, churn or pool workload; `None` for
/// other kinds. Its hosts must exist.
pub(crate) fn app_spec(
    exp: &Experiment,
    hosts: &HostIndex<'_>,
    w: &WorkloadConfig,
) -> Option<AppSpec> {
    // What bulk, request and churn share: a client, a server application on `to`.
    let app = |name: &str,
               from: &str,
               to: &Endpoint,
               (start, server_close, accept_rate, linger_zero),
               kind| AppSpec {
        name: name.to_string(),
        // A group's workload (checked as one) has a copy per member, each its own client.
        client: hosts.first(from),
        server: hosts.of(&to.host),
        port: to.port,
        kind,
        start,
        server_never_closes: server_close == ServerClose::Never,
        accept_rate,
        linger_zero,
    };
    Some(match w {
        WorkloadConfig::Bulk(b) => app(
            &b.name,
            &b.from,
            &b.to,
            (b.start, b.server_close, b.accept_rate, b.linger_zero),
            AppKind::Bulk { bytes: b.bytes },
        ),
        WorkloadConfig::Request(r) => app(
            &r.name,
            &r.from,
            &r.to,
            (r.start, r.server_close, r.accept_rate, r.linger_zero),
            AppKind::Request {
                request: r.request,
                response: r.response,
                count: r.count,
                interval: r.interval,
                half_close: r.half_close,
            },
        ),
        WorkloadConfig::Churn(c) => app(
            &c.name,
            &c.from,
            &c.to,
            (c.start, c.server_close, c.accept_rate, c.linger_zero),
            AppKind::Churn {
                request: c.request,
                response: c.response,
                rate: c.rate,
                poisson: c.arrivals == Arrivals::Poisson,
                stop: c.stop.min(exp.duration),
                server_closes: c.closer == Closer::Server,
                half_close: c.half_close,
            },
        ),
        // Without a pool, each request has a connection of its own: a churn.
        WorkloadConfig::Pool(p) if p.connections == 0 => app(
            &p.name,
            &p.from,
            &p.to,
            (p.start, p.server_close, p.accept_rate, p.linger_zero),
            AppKind::Churn {
                request: p.request,
                response: p.response,
                rate: p.rate,
                poisson: p.arrivals == Arrivals::Poisson,
                stop: p.stop.min(exp.duration),
                server_closes: false,
                half_close: false,
            },
        ),
        WorkloadConfig::Pool(p) => app(
            &p.name,
            &p.from,
            &p.to,
            (p.start, p.server_close, p.accept_rate, p.linger_zero),
            AppKind::Pool {
                request: p.request,
                response: p.response,
                rate: p.rate,
                poisson: p.arrivals == Arrivals::Poisson,
                stop: p.stop.min(exp.duration),
                connections: p.connections,
            },
        ),
        WorkloadConfig::Probe(_)
        | WorkloadConfig::Flood(_)
        | WorkloadConfig::Script(_)
        | WorkloadConfig::Restart(_) => return None,
    })
}

/// One direction of a link in `synack_link`'s terms.
pub(crate) fn link_params(p: &LinkParams) -> Params {
    Params {
        delay: p.delay,
        jitter: p.jitter,
        bandwidth_bps: p.bandwidth,
        queue_packets: p.queue.limit(),
        queue_bytes: p.queue.bytes(),
        aqm: match p.queue {
            Queue::DropTail { .. } => Aqm::None,
            Queue::Red {
                min,
                max,
                max_p,
                weight,
                gentle,
                avpkt,
                ecn,
                ..
            } => Aqm::Red(Red {
                min_th: min.value(),
                max_th: max.value(),
                bytes: matches!(min, Threshold::Bytes(_)),
                max_p,
                weight,
                gentle,
                avpkt,
                ecn,
            }),
            Queue::CoDel {
                target,
                interval,
                ecn,
                ..
            } => Aqm::CoDel(CoDel {
                target,
                interval,
                ecn,
            }),
        },
        loss: match p.loss {
            Loss::Probability(0.0) => LossModel::None,
            Loss::Probability(x) => LossModel::Bernoulli(x),
            Loss::GilbertElliott { p, r, k, h } => LossModel::GilbertElliott { p, r, k, h },
        },
        duplicate: p.duplicate,
        reorder: p.reorder.map(|r| Reorder {
            probability: r.probability,
            delay: r.delay,
        }),
        stale: p.stale.map(|s| Stale {
            probability: s.probability,
            max_age: s.max_age,
        }),
    }
}
