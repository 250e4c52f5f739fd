//! Workloads shared by synack's criterion benchmarks (in `benches/benches/`), kept in a
//! library so that tests can check they do what the benchmarks claim.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use synack_sim::{Duration, Scheduler, Time};

/// The classic hold model: `pending` events in the queue; each popped event schedules one
/// more at now + U(0, 1 ms), as `../shared/peers/ns3/hold.cc` does in ns-3.
pub struct Hold {
    scheduler: Scheduler<u32>,
    rng: ChaCha8Rng,
}

impl Hold {
    pub fn new(pending: usize, seed: u64) -> Hold {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut scheduler = Scheduler::new();
        for i in 0..pending {
            let at = Time::ZERO + Duration::from_nanos(rng.random_range(0..=1_000_000));
            scheduler
                .schedule(at, i as u32)
                .expect("at or after time zero");
        }
        Hold { scheduler, rng }
    }

    /// Executes `events` events; returns a checksum of their payloads so the work cannot be
    /// optimised away.
    pub fn run(&mut self, events: u64) -> u64 {
        let mut sum = 0u64;
        for _ in 0..events {
            let (_, e) = self.scheduler.pop().expect("the hold model never drains");
            sum = sum.wrapping_add(u64::from(e));
            let delay = Duration::from_nanos(self.rng.random_range(0..=1_000_000));
            self.scheduler.schedule_in(delay, e);
        }
        sum
    }

    pub fn now(&self) -> Time {
        self.scheduler.now()
    }

    pub fn pending(&self) -> usize {
        self.scheduler.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_keeps_its_population_and_time_moves_forward() {
        let mut h = Hold::new(1000, 1);
        h.run(10_000);
        assert_eq!(h.pending(), 1000);
        // 1,000 pending events each a mean 0.5 ms ahead run at 2 M events per simulated
        // second, so 10,000 events take about 5 ms.
        let t = h.now().as_secs_f64();
        assert!(t > 0.004 && t < 0.006, "clock at {t} s");
    }
}
