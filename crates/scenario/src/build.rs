//! From an experiment (one sweep point's values applied) to the resolved [`WorldSpec`].

use synack_link::{LinkParams as Params, LossModel, Reorder, Stale};

use crate::config::Experiment;
use crate::config::{Arrivals, WorkloadConfig};
use crate::config::{LinkParams, Loss};
use crate::world::{LinkSpec, ProbeSpec, SetupError, WorldSpec};

/// Resolves names to indices and configuration to the components' own parameter types.
/// Validation already guaranteed that every name refers to something that exists.
pub fn build_world(exp: &Experiment) -> Result<WorldSpec, SetupError> {
    let hosts: Vec<String> = exp.hosts.iter().map(|h| h.name.clone()).collect();
    let index = |name: &str| {
        hosts
            .iter()
            .position(|h| h == name)
            .expect("validation checked every host name")
    };
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
    let mut probes = Vec::new();
    for w in &exp.workloads {
        match w {
            WorkloadConfig::Probe(p) => probes.push(ProbeSpec {
                name: p.name.clone(),
                from: index(&p.from),
                to: index(&p.to.host),
                rate: p.rate,
                size: u32::try_from(p.size).unwrap_or(u32::MAX),
                start: p.start,
                stop: p.stop.min(exp.duration),
                poisson: p.arrivals == Arrivals::Poisson,
            }),
            other => {
                return Err(SetupError::Unsupported {
                    workload: other.name().to_string(),
                    kind: other.kind(),
                })
            }
        }
    }
    Ok(WorldSpec {
        duration: exp.duration,
        hosts,
        links,
        probes,
    })
}

fn link_params(p: &LinkParams) -> Params {
    Params {
        delay: p.delay,
        jitter: p.jitter,
        bandwidth_bps: p.bandwidth,
        queue_packets: Some(p.queue),
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
