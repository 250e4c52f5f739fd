//! The client side of the TCP workloads (`bulk`, `request`, `churn`): when each opens its
//! connections. What its applications then do with them is in `apps`.

use rand_chacha::ChaCha8Rng;
use synack_experiment::spec::{AppKind, AppSpec};
use synack_sim::{Duration, Time};

use super::{exponential_gap, Action};
use crate::seeds::component_rng;

pub(crate) struct Client {
    pub spec: AppSpec,
    /// Churn's Poisson arrivals.
    rng: ChaCha8Rng,
    opened: u32,
}

impl Client {
    pub fn new(spec: &AppSpec, run_seed: u64) -> Client {
        Client {
            spec: spec.clone(),
            rng: component_rng(run_seed, &format!("workload.{}.arrivals", spec.name)),
            opened: 0,
        }
    }

    /// The first connection: at `start`, or for Poisson arrivals an exponential gap after
    /// it (none if that is past `stop`).
    pub fn first(&mut self, duration: Duration) -> Option<(Duration, u32)> {
        let at = match self.spec.kind {
            AppKind::Churn {
                rate,
                poisson: true,
                stop,
                ..
            } => {
                let at = self.spec.start + exponential_gap(&mut self.rng, rate);
                if at >= stop {
                    return None;
                }
                at
            }
            _ => self.spec.start,
        };
        (at < duration).then_some((at, 0))
    }

    /// The next connection opens now; when does the one after?
    pub fn fire(&mut self, now: Time) -> (Action, Option<Time>) {
        self.opened += 1;
        (Action::Connect, self.next_arrival(now))
    }

    fn next_arrival(&mut self, now: Time) -> Option<Time> {
        match self.spec.kind {
            AppKind::Bulk { .. } => None,
            AppKind::Request {
                count, interval, ..
            } => (self.opened < count).then(|| now + interval),
            AppKind::Churn {
                rate,
                poisson,
                stop,
                ..
            } => {
                let at = if poisson {
                    now + exponential_gap(&mut self.rng, rate)
                } else {
                    // The k-th arrival at start + k/rate exactly: no rounding drift.
                    Time::ZERO
                        + self.spec.start
                        + Duration::from_secs_f64(f64::from(self.opened) / rate)
                };
                (at < Time::ZERO + stop).then_some(at)
            }
            AppKind::Pool { .. } => unreachable!("a pool is a workload of its own"),
        }
    }
}
