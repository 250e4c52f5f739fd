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

use crate::flows::{Endpoints, FlowEnd, FlowRow, Jain};
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
    /// When the client reached ESTABLISHED.
    pub established: Option<Time>,
    /// The addresses and ports of its two ends, and the workload whose application runs it.
    pub endpoints: Endpoints,
    /// A client connection opened the flow (a flow a listener opened for a SYN of no
    /// client, a flood's or an old duplicate's, has none).
    pub has_client: bool,
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
    /// When each side's connection reached CLOSED or TIME-WAIT: its part of the exchange over.
    pub client_closed: Option<Time>,
    pub server_closed: Option<Time>,
    /// Each side's smoothed RTT when it closed (or at the end of the run, if still open).
    pub client_srtt: Option<Duration>,
    pub server_srtt: Option<Duration>,
    /// Data and FIN segments sent again, and retransmission timeouts, both sides summed.
    pub retransmits: u64,
    pub rto_timeouts: u64,
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
        f.established = Some(now);
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
                if f.established.is_none() && end != End::Clean {
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

    /// One side of `flow` reached CLOSED or TIME-WAIT at `now`, with this smoothed RTT.
    pub fn side_closed(&mut self, now: Time, flow: FlowId, side: Side, srtt: Option<Duration>) {
        let f = &mut self.flows[flow.0 as usize];
        match side {
            Side::Client => (f.client_closed, f.client_srtt) = (Some(now), srtt),
            Side::Server => (f.server_closed, f.server_srtt) = (Some(now), srtt),
        }
    }

    /// A connection of `flow` still open at the end of the run has this smoothed RTT.
    pub fn still_open(&mut self, flow: FlowId, side: Side, srtt: Option<Duration>) {
        let f = &mut self.flows[flow.0 as usize];
        match side {
            Side::Client => f.client_srtt = srtt,
            Side::Server => f.server_srtt = srtt,
        }
    }

    /// A socket left TIME-WAIT for CLOSED, with these counters.
    pub fn left_time_wait(&mut self, now: Time, flow: FlowId, side: Side, stats: &Stats) {
        self.gauge(now, State::TimeWait, -1);
        self.add_stats(Some(flow), stats);
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

    /// Adds a socket's counters to the totals, and to its flow's.
    pub fn add_stats(&mut self, flow: Option<FlowId>, s: &Stats) {
        if let Some(flow) = flow {
            let f = &mut self.flows[flow.0 as usize];
            f.retransmits += s.retransmits;
            f.rto_timeouts += u64::from(s.rto_timeouts);
        }
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
        let mut jain = Jain::default();
        for f in &self.flows {
            if let Some(g) = f.goodput_bps(end) {
                jain.add(g);
            }
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
            if let Some(t) = f.transfer_end(end) {
                last_delivery = last_delivery.max(t);
            }
        }
        if last_delivery > first_write {
            let transfer = (last_delivery - first_write).as_secs_f64();
            m.goodput_bps = m.bytes_delivered as f64 * 8.0 / transfer;
        }
        m.jain_goodput = jain.index();
    }

    /// One row per flow, in flow order, for `flows.csv`; `end` is the end of the run.
    pub fn flow_rows(&self, end: Time) -> Vec<FlowRow> {
        (self.flows.iter().enumerate())
            .map(|(i, f)| f.row(FlowId(i as u32), end))
            .collect()
    }
}

impl Flow {
    /// When its transfer ended: the last delivery, or the end of the run (`end`) for a
    /// transfer still under way (bytes written and not yet delivered on a connection still
    /// open). `None` before anything was delivered.
    fn transfer_end(&self, end: Time) -> Option<Time> {
        let undelivered = self.client_written > self.server_delivered
            || self.server_written > self.client_delivered;
        let open = self.client_end == End::Open || self.server_end == End::Open;
        if undelivered && open {
            Some(end)
        } else {
            self.last_delivery
        }
    }

    /// Bytes delivered to either application.
    fn delivered(&self) -> u64 {
        self.server_delivered + self.client_delivered
    }

    /// Its goodput over its transfer: bytes delivered · 8 from the first byte written to
    /// the transfer's end; `None` for a flow that delivered nothing.
    pub fn goodput_bps(&self, end: Time) -> Option<f64> {
        let (start, stop) = (self.first_write?, self.transfer_end(end)?);
        (self.delivered() > 0 && stop > start)
            .then(|| self.delivered() as f64 * 8.0 / (stop - start).as_secs_f64())
    }

    /// How it ended: open while one of its connections is; else by RST (refused, for a
    /// client reset before ESTABLISHED), by timeout, or closed.
    fn end(&self) -> FlowEnd {
        let client = self
            .has_client
            .then_some((self.client_end, self.client_closed));
        let server = self
            .has_server
            .then_some((self.server_end, self.server_closed));
        let sides = || client.iter().chain(server.iter());
        if sides().any(|(_, closed)| closed.is_none()) {
            return FlowEnd::Open;
        }
        if self.client_end == End::Reset && self.established.is_none() && self.has_client {
            FlowEnd::Refused
        } else if sides().any(|(e, _)| *e == End::Reset) {
            FlowEnd::Reset
        } else if sides().any(|(e, _)| *e == End::TimedOut) {
            FlowEnd::TimedOut
        } else {
            FlowEnd::Closed
        }
    }

    fn row(&self, flow: FlowId, end: Time) -> FlowRow {
        let ended = self.end();
        let closed = (ended != FlowEnd::Open)
            .then(|| self.client_closed.max(self.server_closed))
            .flatten();
        // The smoothed RTT of the side that sent more (the client's on a tie): the one
        // whose RTT samples the data's ACKs made.
        let client_sends =
            !self.has_server || (self.has_client && self.client_written >= self.server_written);
        let srtt = if client_sends {
            self.client_srtt
        } else {
            self.server_srtt
        };
        FlowRow {
            flow,
            endpoints: self.endpoints,
            has_client: self.has_client,
            start: self.started,
            established: self.established,
            closed,
            end: ended,
            bytes_to_server: self.server_delivered,
            bytes_to_client: self.client_delivered,
            goodput_bps: self.goodput_bps(end),
            retransmits: self.retransmits,
            rto_timeouts: self.rto_timeouts,
            handshake: self.established.map(|t| t - self.started),
            srtt,
        }
    }
}
