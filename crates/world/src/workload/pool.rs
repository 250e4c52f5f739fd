//! The `pool` workload: requests arriving at a rate, carried by a pool of persistent
//! connections opened at the start. When each request arrives and which connection serves
//! it is kept here; what the applications do with the connections is in `apps`.

use std::collections::VecDeque;

use rand_chacha::ChaCha8Rng;
use synack_experiment::spec::{AppKind, AppSpec};
use synack_sim::{Duration, Time};

use super::{exponential_gap, Action};
use crate::host::ConnRef;
use crate::seeds::component_rng;

pub(crate) struct Pool {
    pub spec: AppSpec,
    /// Poisson arrivals.
    rng: ChaCha8Rng,
    phase: Phase,
    arrived: u32,
    /// Requests waiting for a connection to come free, by arrival time.
    pub waiting: VecDeque<Time>,
    /// The pool's established connections with no request under way, longest idle first.
    pub idle: VecDeque<ConnRef>,
    /// The pool's connections not yet ended (opening, busy or idle).
    pub live: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Next: open the connections.
    Opening,
    /// Next: a request arrives.
    Arriving,
    /// Next: `stop` is reached; the idle connections close.
    Stopping,
    Done,
}

impl Pool {
    pub fn new(spec: &AppSpec, run_seed: u64) -> Pool {
        Pool {
            spec: spec.clone(),
            rng: component_rng(run_seed, &format!("workload.{}.arrivals", spec.name)),
            phase: Phase::Opening,
            arrived: 0,
            waiting: VecDeque::new(),
            idle: VecDeque::new(),
            live: 0,
        }
    }

    pub fn first(&self, duration: Duration) -> Option<(Duration, u32)> {
        (self.spec.start < duration).then_some((self.spec.start, 0))
    }

    /// The pool size.
    pub fn connections(&self) -> u32 {
        match self.spec.kind {
            AppKind::Pool { connections, .. } => connections,
            _ => unreachable!("a pool's spec is a pool"),
        }
    }

    /// When arrivals stop.
    pub fn stop(&self) -> Time {
        match self.spec.kind {
            AppKind::Pool { stop, .. } => Time::ZERO + stop,
            _ => unreachable!("a pool's spec is a pool"),
        }
    }

    /// Whether the pool is still taking requests at `now`.
    pub fn open(&self, now: Time) -> bool {
        now < self.stop()
    }

    /// What happens now, and when the next thing does: the pool opens, requests arrive (the
    /// first as the pool opens, or for Poisson arrivals a gap later), and at `stop` the idle
    /// connections close.
    pub fn fire(&mut self, now: Time) -> (Action, Option<Time>) {
        match self.phase {
            Phase::Opening => {
                // The first request arrives as the pool opens, or for Poisson arrivals an
                // exponential gap later.
                let first = self.next_arrival(now);
                if first >= self.stop() {
                    self.phase = Phase::Stopping;
                    (Action::OpenPool, Some(self.stop().max(now)))
                } else {
                    self.phase = Phase::Arriving;
                    (Action::OpenPool, Some(first))
                }
            }
            Phase::Arriving => {
                self.arrived += 1;
                let next = self.next_arrival(now);
                if next >= self.stop() {
                    self.phase = Phase::Stopping;
                    (Action::Request, Some(self.stop().max(now)))
                } else {
                    (Action::Request, Some(next))
                }
            }
            Phase::Stopping => {
                self.phase = Phase::Done;
                (Action::ClosePool, None)
            }
            Phase::Done => unreachable!("nothing is scheduled after the pool closes"),
        }
    }

    fn next_arrival(&mut self, now: Time) -> Time {
        let AppKind::Pool { rate, poisson, .. } = self.spec.kind else {
            unreachable!("a pool's spec is a pool");
        };
        if poisson {
            now + exponential_gap(&mut self.rng, rate)
        } else {
            // The k-th arrival at start + k/rate exactly: no rounding drift.
            Time::ZERO + self.spec.start + Duration::from_secs_f64(f64::from(self.arrived) / rate)
        }
    }
}
