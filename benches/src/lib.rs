//! Workloads shared by synack's criterion benchmarks (in `benches/benches/`), kept in a
//! library so that tests can check they do what the benchmarks claim.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use synack_sim::{Duration, Scheduler, Time};
use synack_tcp::config::Config;
use synack_tcp::{Connection, Segment, Seq, State};

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

/// A bulk transfer between two sans-IO endpoints with no simulator: segments go straight
/// from one endpoint to the other 1 µs after they were sent, timers fire when due. What it
/// measures is the endpoint itself: segments processed (each delivered segment is one
/// `handle_segment` call) per second of wall time.
pub struct SansIoTransfer {
    client: Connection,
    server: Connection,
    now: Time,
    to_write: u64,
    /// Segments delivered so far, both ways.
    pub segments: u64,
    /// Bytes the server has received.
    pub received: u64,
}

impl SansIoTransfer {
    /// A connection ready to carry `bytes` from client to server.
    pub fn new(config: &Config, bytes: u64) -> SansIoTransfer {
        let now = Time::ZERO;
        let mut client = Connection::connect(now, config, 40000, 80, Seq(1000));
        let syn = client.poll_transmit().expect("connect sends a SYN");
        let server = Connection::accept(now, config, 80, &syn, Seq(5000)).expect("a SYN");
        SansIoTransfer {
            client,
            server,
            now,
            to_write: bytes,
            segments: 0,
            received: 0,
        }
    }

    /// Runs until the server has received everything (or nothing moves any more).
    pub fn run(&mut self) {
        let hop = Duration::from_micros(1);
        loop {
            let mut moved = false;
            if self.to_write > 0 {
                self.to_write -= self.client.send(self.now, self.to_write).unwrap_or(0);
            }
            while let Some(seg) = self.client.poll_transmit() {
                deliver(&mut self.server, self.now + hop, &seg);
                self.segments += 1;
                moved = true;
            }
            while let Some(seg) = self.server.poll_transmit() {
                deliver(&mut self.client, self.now + hop, &seg);
                self.segments += 1;
                moved = true;
            }
            while let Some(ev) = self.server.poll_event() {
                if let synack_tcp::Event::DataReceived(n) = ev {
                    self.received += n;
                }
            }
            while self.client.poll_event().is_some() {}
            self.now += hop;
            if !moved {
                let next = [self.client.poll_timeout(), self.server.poll_timeout()]
                    .into_iter()
                    .flatten()
                    .min();
                match next {
                    Some(t) if self.to_write > 0 || self.client.unacked_bytes() > 0 => {
                        self.now = self.now.max(t);
                        self.client.handle_timeout(self.now);
                        self.server.handle_timeout(self.now);
                    }
                    _ => break,
                }
            }
        }
    }

    pub fn server_state(&self) -> State {
        self.server.state()
    }
}

fn deliver(to: &mut Connection, now: Time, seg: &Segment) {
    to.handle_segment(now, seg);
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

    #[test]
    fn the_sans_io_transfer_delivers_every_byte() {
        let mut t = SansIoTransfer::new(&Config::linux(), 10_000_000);
        t.run();
        assert_eq!(t.received, 10_000_000);
        // At least one segment per MSS of data, and some ACKs.
        assert!(t.segments > 10_000_000 / 1460);
        assert_eq!(t.server_state(), State::Established);
    }
}
