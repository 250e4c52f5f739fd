//! How much a run will simulate, estimated from its resolved world before it runs, so that
//! `synack check` can show the size of an experiment (a sweep a thousand times larger than
//! meant, a flood at a billion SYNs a second) before anything runs.
//!
//! The estimate counts segments (and probe datagrams) sent: a run executes about one to two
//! scheduler events per segment. It is an upper estimate for what each workload asks for —
//! a churn's every arrival completing its exchange, a bulk transfer at the lesser of its
//! path's bandwidth, one window a round trip and, under random loss, the Mathis model — and it ignores what only the run finds
//! out: losses that slow a transfer, ports that run out, connections refused.

use std::collections::HashMap;

use synack_link::LossModel;
use synack_sim::Duration;

use crate::routing::Walk;
use crate::spec::{AppKind, AppSpec, WorkloadSpec, WorldSpec};

/// Headers of a data segment on the wire (IPv4 and TCP without options), for the share of
/// a link's bandwidth its payload gets.
const HEADERS: f64 = 40.0;
/// Segments of a connection's handshake and teardown: SYN, SYN-ACK, ACK, two FINs and their
/// ACKs, and one spare.
const OPEN_AND_CLOSE: f64 = 8.0;
/// Segments per data segment: itself, and half an ACK (a delayed ACK covers two).
const PER_DATA_SEGMENT: f64 = 1.5;

/// The segments a run of `world` sends, estimated (see the module documentation).
pub fn segments(world: &WorldSpec) -> f64 {
    let secs = |from: Duration, to: Duration| to.saturating_sub(from).as_secs_f64();
    // Bulk transfers whose paths share a bottleneck share its rate.
    let mut sharing: HashMap<u32, f64> = HashMap::new();
    for w in &world.workloads {
        if let WorkloadSpec::App(a) = w {
            if let (AppKind::Bulk { .. }, Some(path)) = (a.kind, Path::of(world, a)) {
                if let Some((channel, _)) = path.bottleneck {
                    *sharing.entry(channel).or_default() += 1.0;
                }
            }
        }
    }
    world
        .workloads
        .iter()
        .map(|w| match w {
            WorkloadSpec::Probe(p) => p.rate * secs(p.start, p.stop),
            WorkloadSpec::Flood(f) => 2.0 * f.rate * secs(f.start, f.stop),
            WorkloadSpec::Script(s) => 2.0 * s.segments.len() as f64,
            WorkloadSpec::Restart(_) => 0.0,
            WorkloadSpec::App(a) => app(world, &sharing, a),
        })
        .sum()
}

/// What a transfer from `a.client` to `a.server` crosses, following the routes: the
/// round trip's propagation delay, the data direction's chance of loss, and its narrowest
/// channel (with its bandwidth in bit/s).
struct Path {
    rtt: f64,
    loss: f64,
    bottleneck: Option<(u32, u64)>,
}

impl Path {
    fn of(world: &WorldSpec, a: &AppSpec) -> Option<Path> {
        let mut path = Path {
            rtt: 0.0,
            loss: 0.0,
            bottleneck: None,
        };
        for (from, to, data) in [(a.client, a.server, true), (a.server, a.client, false)] {
            let walk = world.routes.walk_with(from, to, |channel| {
                let link = &world.links[channel as usize / 2];
                let params = if channel % 2 == 0 {
                    &link.forward
                } else {
                    &link.reverse
                };
                path.rtt += params.delay.as_secs_f64();
                if data {
                    if let LossModel::Bernoulli(p) = params.loss {
                        path.loss = 1.0 - (1.0 - path.loss) * (1.0 - p);
                    }
                    if let Some(bps) = params.bandwidth_bps {
                        if path.bottleneck.is_none_or(|(_, b)| bps < b) {
                            path.bottleneck = Some((channel, bps));
                        }
                    }
                }
            });
            if !matches!(walk, Walk::Reached { .. }) {
                return None;
            }
        }
        Some(path)
    }
}

/// The connections (flows) a run of `world` opens, estimated: one per bulk workload, per
/// request, churn arrival and pool connection, and per flood SYN (each may open a half-open
/// connection on its listener). An upper estimate, as [`segments`] is: it ignores the
/// connects a run refuses and the SYNs a full queue drops; and a pool's reconnections.
pub fn connections(world: &WorldSpec) -> f64 {
    let secs = |from: Duration, to: Duration| to.saturating_sub(from).as_secs_f64();
    world
        .workloads
        .iter()
        .map(|w| match w {
            WorkloadSpec::Flood(f) => f.rate * secs(f.start, f.stop),
            WorkloadSpec::App(a) => match a.kind {
                AppKind::Bulk { .. } => 1.0,
                AppKind::Request {
                    count, interval, ..
                } => {
                    let active = world.duration.saturating_sub(a.start).as_secs_f64();
                    let fit = if interval.is_zero() {
                        f64::INFINITY
                    } else {
                        (active / interval.as_secs_f64()).floor() + 1.0
                    };
                    f64::from(count).min(fit)
                }
                AppKind::Churn { rate, stop, .. } => rate * secs(a.start, stop),
                AppKind::Pool { connections, .. } => f64::from(connections),
            },
            WorkloadSpec::Probe(_) | WorkloadSpec::Script(_) | WorkloadSpec::Restart(_) => 0.0,
        })
        .sum()
}

/// One TCP workload's segments; `sharing` counts the bulk transfers on each bottleneck.
fn app(world: &WorldSpec, sharing: &HashMap<u32, f64>, a: &AppSpec) -> f64 {
    let tcp = &world.hosts[a.client].tcp;
    let mss = f64::from(tcp.mss.max(1));
    let data = |bytes: u64| (bytes as f64 / mss).ceil() * PER_DATA_SEGMENT;
    let active = world.duration.saturating_sub(a.start).as_secs_f64();
    match a.kind {
        AppKind::Bulk { bytes } => {
            // Bytes a second: at most its share of the path's narrowest link, and one
            // window a round trip.
            let window = tcp.send_buffer.min(tcp.recv_buffer) as f64;
            let mut rate = f64::INFINITY;
            if let Some(path) = Path::of(world, a) {
                if path.rtt > 0.0 {
                    rate = window / path.rtt;
                    // Random loss: the Mathis et al. (1997) bound, MSS/RTT · 1.22/√p.
                    if path.loss > 0.0 {
                        rate = rate.min(mss / path.rtt * 1.22 / path.loss.sqrt());
                    }
                }
                if let Some((channel, bps)) = path.bottleneck {
                    let flows = sharing.get(&channel).copied().unwrap_or(1.0).max(1.0);
                    rate = rate.min(bps as f64 / 8.0 * mss / (mss + HEADERS) / flows);
                }
            }
            OPEN_AND_CLOSE + data((bytes as f64).min(rate * active) as u64)
        }
        AppKind::Request {
            request,
            response,
            count,
            interval,
            ..
        } => {
            let fit = if interval.is_zero() {
                f64::INFINITY
            } else {
                (active / interval.as_secs_f64()).floor() + 1.0
            };
            f64::from(count).min(fit) * (OPEN_AND_CLOSE + data(request) + data(response))
        }
        AppKind::Churn {
            request,
            response,
            rate,
            stop,
            ..
        } => {
            let arrivals = rate * stop.saturating_sub(a.start).as_secs_f64();
            arrivals * (OPEN_AND_CLOSE + data(request) + data(response))
        }
        AppKind::Pool {
            request,
            response,
            rate,
            stop,
            connections,
            ..
        } => {
            let arrivals = rate * stop.saturating_sub(a.start).as_secs_f64();
            f64::from(connections) * OPEN_AND_CLOSE + arrivals * (data(request) + data(response))
        }
    }
}
