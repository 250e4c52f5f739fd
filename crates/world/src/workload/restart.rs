//! The `restart` workload: a server application exits and a new process listens again on
//! its port, retrying while `bind()` fails. What exiting and listening do to the host's
//! sockets is in `apps`; this module keeps the schedule and the counts.

use rand_chacha::ChaCha8Rng;
use synack_experiment::spec::RestartSpec;
use synack_sim::{Duration, Time};

use super::Action;
use crate::seeds::component_rng;

pub(crate) struct Restart {
    pub spec: RestartSpec,
    /// The cookie secrets of the new process's listeners.
    pub rng: ChaCha8Rng,
    /// The server application (its workload) and accept pace the old listener had, once
    /// the old process has exited.
    pub server: Option<(u32, Option<Duration>)>,
    /// Since when nothing has listened on the port (while the server is down).
    pub down_since: Option<Time>,
    /// Total time with nothing listening.
    pub downtime: Duration,
    /// `bind()` calls refused with `EADDRINUSE`.
    pub bind_failures: u64,
    exited: bool,
}

impl Restart {
    pub fn new(spec: &RestartSpec, run_seed: u64) -> Restart {
        Restart {
            spec: spec.clone(),
            rng: component_rng(run_seed, &format!("workload.{}.listener", spec.name)),
            server: None,
            down_since: None,
            downtime: Duration::ZERO,
            bind_failures: 0,
            exited: false,
        }
    }

    pub fn first(&self) -> Option<(Duration, u32)> {
        Some((self.spec.at, 0))
    }

    /// First the exit, with the first `bind()` `down` later; then that `bind()` (the world
    /// schedules the next try after a failure).
    pub fn fire(&mut self, now: Time) -> (Action, Option<Time>) {
        if self.exited {
            (Action::ServerStart, None)
        } else {
            self.exited = true;
            (Action::ServerExit, Some(now + self.spec.down))
        }
    }

    /// The port listens again at `now`.
    pub fn up(&mut self, now: Time) {
        if let Some(since) = self.down_since.take() {
            self.downtime += now - since;
        }
    }

    /// The run ends at `end`: a server still down was down until then.
    pub fn end(&mut self, end: Time) {
        self.up(end);
    }
}
