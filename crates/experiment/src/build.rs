//! From an experiment (one sweep point's values applied) to the resolved [`WorldSpec`].

use synack_link::{Aqm, CoDel, LinkParams as Params, LossModel, Red, Reorder, Stale};

use std::collections::HashMap;

use crate::config::{Arrivals, Closer, Endpoint, ScriptSegment, ServerClose, WorkloadConfig};
use crate::config::{Experiment, TcpOverrides};
use crate::config::{LinkParams, Loss, Queue};
use synack_tcp::{Flags, Options, Segment, Seq};

use crate::spec::{
    AppKind, AppSpec, FloodSpec, HostSpec, LinkSpec, ProbeSpec, RestartSpec, ScriptSpec,
    ScriptedSegment, SeriesMetric, SeriesSpec, WorkloadSpec, WorldSpec,
};

/// Resolves names to indices and configuration to the components' own parameter types.
/// Validation already guaranteed that every name refers to something that exists, and
/// everything else a world needs (see `config::validate`): [`crate::check`] is the way in.
pub(crate) fn build_world(exp: &Experiment) -> WorldSpec {
    let hosts: Vec<HostSpec> = exp
        .hosts
        .iter()
        .map(|h| HostSpec {
            name: h.name.clone(),
            tcp: TcpOverrides::resolve(&exp.tcp, Some(&h.tcp)),
        })
        .collect();
    let indices = HostIndex::new(exp);
    let index = |name: &str| indices.of(name);
    let links = exp
        .links
        .iter()
        .map(|l| LinkSpec {
            name: l.name.clone(),
            a: index(&l.between[0]),
            b: index(&l.between[1]),
            forward: link_params(&l.forward),
            reverse: link_params(&l.reverse),
        })
        .collect();
    let workloads = exp
        .workloads
        .iter()
        .map(|w| workload_spec(exp, &indices, w))
        .collect();
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
        links,
        workloads,
        series,
    }
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
        },
    }
}

/// Each host's index by name, built once so that resolving a world costs time linear in its
/// size.
pub(crate) struct HostIndex<'a>(HashMap<&'a str, usize>);

impl<'a> HostIndex<'a> {
    pub(crate) fn new(exp: &'a Experiment) -> HostIndex<'a> {
        let mut map = HashMap::with_capacity(exp.hosts.len());
        for (i, h) in exp.hosts.iter().enumerate() {
            map.entry(h.name.as_str()).or_insert(i);
        }
        HostIndex(map)
    }

    /// The index of host `name`, which validation checked exists.
    pub(crate) fn of(&self, name: &str) -> usize {
        *self
            .0
            .get(name)
            .expect("validation checked every host name")
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
        client: hosts.of(from),
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
                ..
            } => Aqm::Red(Red {
                min_th: min,
                max_th: max,
                max_p,
                weight,
                gentle,
                avpkt,
            }),
            Queue::CoDel {
                target, interval, ..
            } => Aqm::CoDel(CoDel { target, interval }),
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
