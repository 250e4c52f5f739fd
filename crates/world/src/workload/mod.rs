//! The workloads: what sets traffic going. Each kind is a module here holding its state
//! and what it does when its time comes ([`Workload::fire`] returns an [`Action`]); the
//! world carries the action out, so a new kind touches its module, this enum and the
//! experiment schema. What TCP applications do with their connections is in `apps`.
//!
//! A workload's events are numbered steps: most kinds have one step, rescheduled after
//! each firing; a script schedules one step per segment when the run starts.

mod client;
mod flood;
mod pool;
mod probe;
mod restart;
mod script;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashMap as HashMap;
use synack_experiment::metrics::Metrics;
use synack_experiment::spec::{AppSpec, WorkloadSpec};
use synack_sim::{Duration, Time};
use synack_tcp::Segment;

use crate::ids::{Addr, HostId};

pub(crate) use client::Client;
pub(crate) use flood::Flood;
pub(crate) use pool::Pool;
pub(crate) use probe::Probe;
pub(crate) use restart::Restart;
pub(crate) use script::Script;

/// The time from one arrival of a Poisson process of `rate` a second to the next, or from
/// its start to its first: an exponential gap of mean 1/rate (inverse transform; 1 − u is
/// in (0, 1], so the logarithm is finite). The process is memoryless, so it has no arrival
/// at its start: its first is one such gap after it, and a process on [start, stop) has
/// Poisson(rate · (stop − start)) arrivals.
pub(crate) fn exponential_gap(rng: &mut ChaCha8Rng, rate: f64) -> Duration {
    let u: f64 = rng.random();
    Duration::from_secs_f64(-(1.0 - u).ln() / rate)
}

pub(crate) enum Workload {
    Probe(Probe),
    Client(Client),
    Pool(Pool),
    Flood(Flood),
    Script(Script),
    Restart(Restart),
}

/// What a workload does when its time comes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Action {
    /// Sends datagram `seq` of `size` bytes (on the wire) over `channel`, outside TCP.
    Datagram { channel: u32, size: u32, seq: u32 },
    /// Puts a segment on the wire outside any connection.
    Segment { from: Addr, to: Addr, seg: Segment },
    /// The client application opens its next connection.
    Connect,
    /// A pool opens its connections.
    OpenPool,
    /// A request arrives at a pool.
    Request,
    /// A pool's arrivals have stopped: its idle connections close.
    ClosePool,
    /// A `restart` workload's server application exits.
    ServerExit,
    /// A `restart` workload's new server process binds and listens.
    ServerStart,
}

/// What building the workloads of a run needs.
pub(crate) struct Setup<'a> {
    pub run_seed: u64,
    /// The channel from one host to another.
    pub routes: &'a HashMap<(u32, u32), u32>,
    /// Floods built so far (each numbers its spoofed addresses by its place among them).
    pub floods: u16,
}

impl Workload {
    pub fn new(spec: &WorkloadSpec, setup: &mut Setup) -> Workload {
        match spec {
            WorkloadSpec::Probe(p) => {
                let channel = setup.routes[&(p.from as u32, p.to as u32)];
                Workload::Probe(Probe::new(p, channel, setup.run_seed))
            }
            WorkloadSpec::App(a) if a.kind.persistent() => {
                Workload::Pool(Pool::new(a, setup.run_seed))
            }
            WorkloadSpec::App(a) => Workload::Client(Client::new(a, setup.run_seed)),
            WorkloadSpec::Flood(f) => {
                let number = setup.floods;
                setup.floods = setup.floods.wrapping_add(1);
                Workload::Flood(Flood::new(f, number, setup.run_seed))
            }
            WorkloadSpec::Script(s) => Workload::Script(Script::new(s)),
            WorkloadSpec::Restart(r) => Workload::Restart(Restart::new(r, setup.run_seed)),
        }
    }

    /// The first events of a run of `duration`: (when, step).
    pub fn first(&mut self, duration: Duration) -> Vec<(Duration, u32)> {
        match self {
            Workload::Probe(p) => p.first().into_iter().collect(),
            Workload::Client(c) => c.first(duration).into_iter().collect(),
            Workload::Pool(p) => p.first(duration).into_iter().collect(),
            Workload::Flood(f) => f.first().into_iter().collect(),
            Workload::Script(s) => s.first(duration),
            Workload::Restart(r) => r.first().into_iter().collect(),
        }
    }

    /// Step `step` is due: what to do, and when this workload's next step is due, if it has
    /// one more (same number).
    pub fn fire(&mut self, now: Time, step: u32) -> (Action, Option<Time>) {
        match self {
            Workload::Probe(p) => p.fire(now),
            Workload::Client(c) => c.fire(now),
            Workload::Pool(p) => p.fire(now),
            Workload::Flood(f) => f.fire(now),
            Workload::Script(s) => (s.fire(step), None),
            Workload::Restart(r) => r.fire(now),
        }
    }

    /// The TCP application's specification, for a workload that has connections.
    pub fn app(&self) -> &AppSpec {
        match self {
            Workload::Client(c) => &c.spec,
            Workload::Pool(p) => &p.spec,
            _ => unreachable!("only TCP workloads own connections"),
        }
    }

    /// Where a flood's spoofed addresses enter the network.
    pub fn flood_entry(&self) -> Option<HostId> {
        match self {
            Workload::Flood(f) => Some(f.entry()),
            _ => None,
        }
    }
}

/// The workloads' contributions to a run that ends at `end` to its metrics.
pub(crate) fn summarize(workloads: &mut [Workload], end: Time, m: &mut Metrics) {
    for w in workloads.iter_mut() {
        if let Workload::Restart(r) = w {
            r.end(end);
            m.bind_failures += r.bind_failures;
            m.restart_downtime_s += r.downtime.as_secs_f64();
        }
    }
    probe::summarize(
        workloads.iter_mut().filter_map(|w| match w {
            Workload::Probe(p) => Some(p),
            _ => None,
        }),
        m,
    );
}
