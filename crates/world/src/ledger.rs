//! The ledger of a run: its flows (4-tuple incarnations), the socket gauges, the counters,
//! and from them, at the end, the connection metrics.
//!
//! **Incarnations.** Each connection belongs to a *flow*: the client's connection and the
//! server's connection of one incarnation of a 4-tuple. Every segment carries its sender's
//! flow on the wire, invisibly to the endpoints, so the world can tell what really happened:
//! a data segment of one flow accepted by a connection of another is a stale acceptance, and
//! a server connection established for a flow whose client is gone is a ghost.

use synack_experiment::metrics::Metrics;
use synack_sim::{Duration, Time};
use synack_tcp::{State, Stats};

use crate::ids::FlowId;
use crate::stats::quantile_nearest_rank;

/// Which application a connection belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Side {
    Client,
    Server,
}

/// How one side of a flow ended.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub(crate) enum End {
    #[default]
    Open,
    /// CLOSED through the FIN exchange (or a local abort).
    Clean,
    Reset,
    TimedOut,
}

/// The two connections of one 4-tuple incarnation.
#[derive(Default)]
pub(crate) struct Flow {
    pub started: Time,
    pub established: bool,
    /// The client's connection exists (it has not reached CLOSED).
    pub client_live: bool,
    /// A server connection has joined the flow.
    pub has_server: bool,
    /// Bytes written by the client (server) application, and delivered to the server
    /// (client) application.
    pub client_written: u64,
    pub server_delivered: u64,
    pub server_written: u64,
    pub client_delivered: u64,
    /// Bytes the client expects back (request and churn workloads).
    pub response_due: u64,
    /// Requests the server application has answered (started its response to).
    pub server_answered: u64,
    /// When an application of the flow first handed bytes to its connection, and when
    /// bytes were last delivered to one: the flow's transfer.
    pub first_write: Option<Time>,
    pub last_delivery: Option<Time>,
    pub client_end: End,
    pub server_end: End,
}

/// Counters, gauges and flows of one run.
#[derive(Default)]
pub(crate) struct Ledger {
    flows: Vec<Flow>,
    handshakes_ns: Vec<u64>,
    /// Each failed connect's time from connect() to its end (SYN retries exhausted, or
    /// reset before ESTABLISHED), nanoseconds.
    connect_failures_ns: Vec<u64>,
    /// Each request's time from arrival to its whole response, nanoseconds.
    requests_ns: Vec<u64>,
    /// The counters of every connection gone, and of every TIME-WAIT socket gone.
    totals: Totals,
    pub attempted: u64,
    pub established: u64,
    pub failed: u64,
    pub port_exhausted: u64,
    pub ghosts: u64,
    pub stale_accepted: u64,
    /// Connections that closed without TIME-WAIT for want of room (`max_tw_buckets`).
    pub time_wait_overflow: u64,
    /// TIME-WAIT sockets whose port a connect() took over (`tw_reuse`).
    pub time_wait_reused: u64,
    time_wait: Gauge,
    close_wait: Gauge,
    half_open: Gauge,
    /// ∫ (sockets in TIME-WAIT) dt in socket·nanoseconds, up to `time_wait_since`.
    time_wait_area: u128,
    time_wait_since: Time,
}

/// A number of sockets, and its peak.
/// The connections' counters, summed.
#[derive(Default)]
struct Totals {
    retransmits: u64,
    rto_timeouts: u64,
    fast_retransmits: u64,
    loss_probes: u64,
    syn_retransmits: u64,
    synack_retransmits: u64,
}

#[derive(Default)]
struct Gauge {
    now: u64,
    peak: u64,
}

impl Ledger {
    /// A new flow, started at `flow.started`.
    pub fn new_flow(&mut self, flow: Flow) -> FlowId {
        self.flows.push(flow);
        FlowId((self.flows.len() - 1) as u32)
    }

    pub fn flow(&self, f: FlowId) -> &Flow {
        &self.flows[f.0 as usize]
    }

    pub fn flow_mut(&mut self, f: FlowId) -> &mut Flow {
        &mut self.flows[f.0 as usize]
    }

    /// The client of `flow` reached ESTABLISHED at `now`.
    pub fn client_established(&mut self, now: Time, flow: FlowId) {
        let f = &mut self.flows[flow.0 as usize];
        f.established = true;
        self.established += 1;
        self.handshakes_ns.push((now - f.started).as_nanos());
    }

    /// A request was answered in full, `latency` after it was made.
    pub fn request_done(&mut self, latency: Duration) {
        self.requests_ns.push(latency.as_nanos());
    }

    /// One side of `flow` ended as `end` at `now`.
    pub fn ended(&mut self, now: Time, flow: FlowId, side: Side, end: End) {
        let f = &mut self.flows[flow.0 as usize];
        match side {
            Side::Client => {
                f.client_end = end;
                if !f.established && end != End::Clean {
                    self.failed += 1;
                    self.connect_failures_ns.push((now - f.started).as_nanos());
                }
            }
            Side::Server => f.server_end = end,
        }
    }

    /// A socket left state `from` for state `to` at `now`.
    pub fn moved(&mut self, now: Time, from: State, to: State) {
        self.gauge(now, from, -1);
        self.gauge(now, to, 1);
    }

    /// A socket left TIME-WAIT for CLOSED, with these counters.
    pub fn left_time_wait(&mut self, now: Time, flow: FlowId, side: Side, stats: &Stats) {
        self.gauge(now, State::TimeWait, -1);
        self.add_stats(stats);
        let f = &mut self.flows[flow.0 as usize];
        match side {
            Side::Client => {
                f.client_end = End::Clean;
                f.client_live = false;
            }
            Side::Server => f.server_end = End::Clean,
        }
    }

    fn gauge(&mut self, now: Time, state: State, delta: i64) {
        if state == State::TimeWait {
            self.integrate_time_wait(now);
        }
        let g = match state {
            State::TimeWait => &mut self.time_wait,
            State::CloseWait => &mut self.close_wait,
            State::SynReceived => &mut self.half_open,
            _ => return,
        };
        g.now = g
            .now
            .checked_add_signed(delta)
            .expect("a state is left only after it was entered");
        g.peak = g.peak.max(g.now);
    }

    fn integrate_time_wait(&mut self, now: Time) {
        let dt = (now - self.time_wait_since).as_nanos();
        self.time_wait_area += u128::from(self.time_wait.now) * u128::from(dt);
        self.time_wait_since = now;
    }

    pub fn add_stats(&mut self, s: &Stats) {
        let total = &mut self.totals;
        total.retransmits += s.retransmits;
        total.rto_timeouts += u64::from(s.rto_timeouts);
        total.fast_retransmits += u64::from(s.fast_retransmits);
        total.loss_probes += u64::from(s.loss_probes);
        total.syn_retransmits += u64::from(s.syn_retransmits);
        total.synack_retransmits += u64::from(s.synack_retransmits);
    }

    /// Fills the connection metrics at the end of a run (`end`). The counters of sockets
    /// still open must have been added with [`add_stats`](Self::add_stats).
    pub fn summarize(&mut self, end: Time, m: &mut Metrics) {
        self.integrate_time_wait(end);
        if end > Time::ZERO {
            m.time_wait_mean = self.time_wait_area as f64 / end.as_nanos() as f64;
        }
        m.conn_attempted = self.attempted;
        m.conn_established = self.established;
        m.conn_failed = self.failed;
        m.port_exhausted = self.port_exhausted;
        m.ghost_established = self.ghosts;
        m.stale_accepted = self.stale_accepted;
        m.time_wait_peak = self.time_wait.peak;
        m.time_wait_overflow = self.time_wait_overflow;
        m.time_wait_reused = self.time_wait_reused;
        m.close_wait_peak = self.close_wait.peak;
        m.half_open_peak = self.half_open.peak;
        let t = &self.totals;
        m.retransmits = t.retransmits;
        m.rto_timeouts = t.rto_timeouts;
        m.fast_retransmits = t.fast_retransmits;
        m.loss_probes = t.loss_probes;
        m.syn_retransmits = t.syn_retransmits;
        m.synack_retransmits = t.synack_retransmits;
        m.requests_completed = self.requests_ns.len() as u64;
        if !self.requests_ns.is_empty() {
            let total: u128 = self.requests_ns.iter().map(|&d| u128::from(d)).sum();
            m.request_mean_s = Some(total as f64 / self.requests_ns.len() as f64 * 1e-9);
            m.request_p99_s =
                Some(quantile_nearest_rank(&mut self.requests_ns, 0.99) as f64 * 1e-9);
        }
        if !self.connect_failures_ns.is_empty() {
            let total: u128 = self
                .connect_failures_ns
                .iter()
                .map(|&d| u128::from(d))
                .sum();
            m.connect_fail_mean_s =
                Some(total as f64 / self.connect_failures_ns.len() as f64 * 1e-9);
        }
        if !self.handshakes_ns.is_empty() {
            let total: u128 = self.handshakes_ns.iter().map(|&d| u128::from(d)).sum();
            m.handshake_mean_s = Some(total as f64 / self.handshakes_ns.len() as f64 * 1e-9);
            m.handshake_p99_s =
                Some(quantile_nearest_rank(&mut self.handshakes_ns, 0.99) as f64 * 1e-9);
        }
        self.summarize_flows(end, m);
    }

    /// Bytes, clean closes, resets and goodput, from the flows. Goodput is measured over the
    /// transfer, as FlowMonitor and iperf measure it: from the first byte any application
    /// wrote to the last byte delivered, so it does not depend on how long the run goes on
    /// after the transfer ended. A transfer still under way at the end (bytes written and not
    /// yet delivered on a connection still open) lasts until the end of the run.
    fn summarize_flows(&self, end: Time, m: &mut Metrics) {
        let (mut first_write, mut last_delivery) = (Time::MAX, Time::ZERO);
        for f in &self.flows {
            m.bytes_delivered += f.server_delivered + f.client_delivered;
            if f.client_end == End::Clean && f.server_end == End::Clean {
                m.conn_closed_clean += 1;
            }
            if f.client_end == End::Reset || f.server_end == End::Reset {
                m.conn_reset += 1;
            }
            // What a side wrote and closed on without error, yet the other side's
            // application never got.
            if f.client_end == End::Clean {
                m.bytes_lost += f.client_written.saturating_sub(f.server_delivered);
            }
            if f.server_end == End::Clean {
                m.bytes_lost += f.server_written.saturating_sub(f.client_delivered);
            }
            if let Some(t) = f.first_write {
                first_write = first_write.min(t);
            }
            let undelivered =
                f.client_written > f.server_delivered || f.server_written > f.client_delivered;
            let open = f.client_end == End::Open || f.server_end == End::Open;
            let until = if undelivered && open {
                Some(end)
            } else {
                f.last_delivery
            };
            if let Some(t) = until {
                last_delivery = last_delivery.max(t);
            }
        }
        if last_delivery > first_write {
            let transfer = (last_delivery - first_write).as_secs_f64();
            m.goodput_bps = m.bytes_delivered as f64 * 8.0 / transfer;
        }
    }
}
