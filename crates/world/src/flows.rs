//! Per-flow results: one [`FlowRow`] per flow (a 4-tuple incarnation: the client's and
//! the server's connection of it), as `flows.csv` writes them, and Jain's fairness index
//! over the flows' goodputs.
//!
//! A flow's row is made at the end of the run from the ledger, which keeps every flow of
//! the run anyway; rows are made only when the experiment asks for them
//! ([`crate::World::with_flows`]). Jain's index is a running sum over the flows, whatever
//! is asked.

use synack_sim::{Duration, Time};

use crate::ids::{Addr, FlowId, HostId};

/// The two ends of a flow and the workload whose application runs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// The client's address (a spoofed one for a flow a flood's SYN opened) and port.
    pub client: Addr,
    pub client_port: u16,
    pub server: HostId,
    pub server_port: u16,
    /// The workload, by its place among all workloads: the client's, or for a flow with no
    /// client the one whose server application listens on the port.
    pub workload: u32,
}

impl Default for Endpoints {
    fn default() -> Endpoints {
        Endpoints {
            client: Addr::Host(HostId(0)),
            client_port: 0,
            server: HostId(0),
            server_port: 0,
            workload: 0,
        }
    }
}

/// How a flow ended, as `flows.csv`'s `end` column names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowEnd {
    /// One of its connections is still open at the end of the run (TIME-WAIT counts as
    /// closed: the exchange is over).
    Open,
    /// Every connection closed through the FIN exchange (or a local abort).
    Closed,
    /// A connection ended by RST.
    Reset,
    /// The client's connect() was answered by a RST (a closed port, a full accept queue
    /// with `abort_on_overflow`, a listener gone).
    Refused,
    /// A connection gave up after its retransmissions (SYN, SYN-ACK or data).
    TimedOut,
}

impl FlowEnd {
    pub fn name(self) -> &'static str {
        match self {
            FlowEnd::Open => "open",
            FlowEnd::Closed => "closed",
            FlowEnd::Reset => "reset",
            FlowEnd::Refused => "refused",
            FlowEnd::TimedOut => "timeout",
        }
    }
}

/// One flow of a run, as `flows.csv` writes it. Values that do not apply are `None`.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowRow {
    pub flow: FlowId,
    pub endpoints: Endpoints,
    /// Whether a client connection opened it (else a listener did, for a SYN of no live
    /// client: a flood's, or an old duplicate's).
    pub has_client: bool,
    /// connect() on the client, or the SYN's arrival for a flow with no client.
    pub start: Time,
    /// The client reached ESTABLISHED.
    pub established: Option<Time>,
    /// The last of its connections reached CLOSED or TIME-WAIT; `None` while one is open.
    pub closed: Option<Time>,
    pub end: FlowEnd,
    /// Bytes delivered in order to the server's application, and to the client's.
    pub bytes_to_server: u64,
    pub bytes_to_client: u64,
    /// Bytes delivered (both ways) · 8 over the flow's transfer: from the first byte an
    /// application wrote (the client's, as it is established) to the last byte delivered,
    /// or to the end of the run for a transfer still under way. `None` for a flow that
    /// delivered nothing.
    pub goodput_bps: Option<f64>,
    /// Data and FIN segments sent again, both connections summed.
    pub retransmits: u64,
    /// Retransmission timeouts, both connections summed (SYN and SYN-ACK timeouts too).
    pub rto_timeouts: u64,
    /// From connect() to ESTABLISHED on the client.
    pub handshake: Option<Duration>,
    /// The smoothed RTT, at its close (or at the end of the run), of the connection that
    /// sent more bytes (the client's on a tie); `None` before any RTT sample.
    pub srtt: Option<Duration>,
}

/// `flows.csv`'s columns after `point` and `replication`, in the order of
/// [`FlowRow::cells`].
pub use synack_experiment::config::FLOW_COLUMNS;

/// An address as results name it: a host's name, or `spoofed-<flood>-<hex>` (as traces).
pub fn addr_name(hosts: &[String], addr: Addr) -> String {
    match addr {
        Addr::Host(h) => hosts.get(h.0 as usize).cloned().unwrap_or_default(),
        Addr::Spoofed { flood, addr } => format!("spoofed-{flood}-{addr:06x}"),
    }
}

impl FlowRow {
    /// The row's cells in [`FLOW_COLUMNS`] order, numbers formatted by `num` (the results'
    /// shortest round-trip formatting); a value that does not apply is an empty cell.
    /// `hosts` and `workloads` are the experiment's names, by index.
    pub fn cells(
        &self,
        hosts: &[String],
        workloads: &[String],
        num: fn(f64) -> String,
    ) -> Vec<String> {
        let secs = |t: Time| num(t.as_secs_f64());
        let dur = |d: Duration| num(d.as_secs_f64());
        let e = &self.endpoints;
        vec![
            self.flow.to_string(),
            workloads
                .get(e.workload as usize)
                .cloned()
                .unwrap_or_default(),
            format!("{}:{}", addr_name(hosts, e.client), e.client_port),
            format!(
                "{}:{}",
                addr_name(hosts, Addr::Host(e.server)),
                e.server_port
            ),
            secs(self.start),
            self.established.map(secs).unwrap_or_default(),
            self.closed.map(secs).unwrap_or_default(),
            self.end.name().to_string(),
            self.bytes_to_server.to_string(),
            self.bytes_to_client.to_string(),
            self.goodput_bps.map(num).unwrap_or_default(),
            self.retransmits.to_string(),
            self.rto_timeouts.to_string(),
            self.handshake.map(dur).unwrap_or_default(),
            self.srtt.map(dur).unwrap_or_default(),
        ]
    }
}

/// Jain's fairness index, (Σx)² / (n·Σx²), of values added one at a time (R. Jain, D. Chiu
/// and W. Hawe, "A Quantitative Measure of Fairness and Discrimination for Resource
/// Allocation in Shared Computer Systems", DEC-TR-301, 1984): 1 when all are equal, 1/n
/// when one takes everything. Running sums: nothing is kept per value.
#[derive(Clone, Copy, Debug, Default)]
pub struct Jain {
    n: u64,
    sum: f64,
    sum_sq: f64,
}

impl Jain {
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        self.sum_sq += x * x;
    }

    /// The index; `None` without values, or when all are 0 (no allocation to compare).
    pub fn index(&self) -> Option<f64> {
        (self.n > 0 && self.sum_sq > 0.0)
            .then(|| self.sum * self.sum / (self.n as f64 * self.sum_sq))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jain(xs: &[f64]) -> Option<f64> {
        let mut j = Jain::default();
        xs.iter().for_each(|&x| j.add(x));
        j.index()
    }

    #[test]
    fn jain_closed_form() {
        assert_eq!(jain(&[]), None);
        assert_eq!(jain(&[0.0, 0.0]), None);
        assert_eq!(jain(&[5.0]), Some(1.0));
        assert_eq!(jain(&[3.0, 3.0, 3.0, 3.0]), Some(1.0));
        // One of n takes everything: 1/n.
        assert_eq!(jain(&[10.0, 0.0, 0.0, 0.0]), Some(0.25));
        // (1 + 2 + 3)² / (3 · (1 + 4 + 9)) = 36 / 42.
        assert!((jain(&[1.0, 2.0, 3.0]).unwrap() - 36.0 / 42.0).abs() < 1e-15);
        // Half the flows at x, half at 2x: (3x·n/2)² / (n · 5x²·n/2) = 0.9.
        assert!((jain(&[1e6, 2e6, 1e6, 2e6]).unwrap() - 0.9).abs() < 1e-12);
        // Scale-free.
        assert!((jain(&[1.0, 2.0, 3.0]).unwrap() - jain(&[1e9, 2e9, 3e9]).unwrap()).abs() < 1e-15);
    }
}
