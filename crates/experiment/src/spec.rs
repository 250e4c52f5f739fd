//! The resolved specification of one run: names resolved to indices, units to numbers.
//! [`check`](crate::check) makes one for every sweep point of a checked experiment; the
//! world runs it.

use std::sync::Arc;

use synack_link::LinkParams;

use crate::routing::Routes;
use synack_sim::Duration;
use synack_tcp::config::Config as TcpConfig;
use synack_tcp::{Connection, Segment};

/// A fully resolved description of one run's world: names resolved to indices, units to
/// numbers. Built from an experiment (after its sweep values are applied) by `build`.
#[derive(Clone, Debug)]
pub struct WorldSpec {
    pub duration: Duration,
    /// Nodes 0..hosts.len(): a group's members one by one (`client[3]`).
    pub hosts: Vec<HostSpec>,
    /// Nodes hosts.len().. : they forward packets and have no TCP.
    pub routers: Vec<String>,
    /// A link to a group is one link per member (`access[3]`).
    pub links: Vec<LinkSpec>,
    /// Every node's next hop toward every host, computed once for this world.
    pub routes: Arc<Routes>,
    /// The TTL packets start with; each router takes one off, and drops a packet that
    /// arrives with 1 left.
    pub ttl: u8,
    /// In file order: the order in which they start (and, at equal times, act).
    pub workloads: Vec<WorkloadSpec>,
    pub series: Vec<SeriesSpec>,
}

impl WorldSpec {
    /// The TCP workloads (bulk, request, churn, pool) with their indices among all workloads.
    pub fn apps(&self) -> impl Iterator<Item = (usize, &AppSpec)> {
        self.workloads
            .iter()
            .enumerate()
            .filter_map(|(i, w)| match w {
                WorkloadSpec::App(a) => Some((i, a)),
                _ => None,
            })
    }

    /// The floods, in file order.
    pub fn floods(&self) -> impl Iterator<Item = &FloodSpec> {
        self.workloads.iter().filter_map(|w| match w {
            WorkloadSpec::Flood(f) => Some(f),
            _ => None,
        })
    }
}

/// One workload, resolved: one variant per kind.
#[derive(Clone, Debug)]
pub enum WorkloadSpec {
    Probe(ProbeSpec),
    /// `bulk`, `request` and `churn`: a client application and its server.
    App(AppSpec),
    Flood(FloodSpec),
    Script(ScriptSpec),
    Restart(RestartSpec),
}

#[derive(Clone, Debug)]
pub struct HostSpec {
    pub name: String,
    /// The host's TCP settings, every default resolved.
    pub tcp: TcpConfig,
}

#[derive(Clone, Debug)]
pub struct LinkSpec {
    pub name: String,
    /// Node indices (hosts, then routers); `forward` carries a → b, `reverse` b → a.
    pub a: usize,
    pub b: usize,
    pub forward: LinkParams,
    pub reverse: LinkParams,
}

#[derive(Clone, Debug)]
pub struct ProbeSpec {
    pub name: String,
    pub from: usize,
    pub to: usize,
    /// Datagrams per second.
    pub rate: f64,
    /// Bytes on the wire per datagram.
    pub size: u32,
    pub start: Duration,
    pub stop: Duration,
    /// Exponential gaps (a Poisson process) instead of a fixed interval.
    pub poisson: bool,
}

/// A TCP workload: a client application on `client` and its server on `server:port`.
#[derive(Clone, Debug)]
pub struct AppSpec {
    pub name: String,
    pub client: usize,
    pub server: usize,
    pub port: u16,
    pub kind: AppKind,
    /// The first connect.
    pub start: Duration,
    /// The server application never closes its side (it leaves CLOSE-WAIT sockets).
    pub server_never_closes: bool,
    /// Connections the server application accepts per second; `None`: each at once.
    pub accept_rate: Option<f64>,
    /// The application that closes first sets `SO_LINGER` {on, 0}: its close() is an abort
    /// (a RST; unsent and unacknowledged data discarded; no TIME-WAIT).
    pub linger_zero: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AppKind {
    /// One connection: send `bytes`, then close.
    Bulk { bytes: u64 },
    /// `count` connections `interval` apart: send `request` bytes, read `response` bytes
    /// from the server, close.
    Request {
        request: u64,
        response: u64,
        count: u32,
        interval: Duration,
        /// The client half-closes once the response starts arriving.
        half_close: bool,
    },
    /// Connections arriving at `rate` per second until `stop`, each a request and a
    /// response; `server_closes`: the server closes first (and holds the TIME-WAIT).
    Churn {
        request: u64,
        response: u64,
        rate: f64,
        poisson: bool,
        stop: Duration,
        server_closes: bool,
        half_close: bool,
    },
    /// Requests arriving at `rate` per second until `stop`, over `connections` persistent
    /// connections (at least one) opened at the start, one request at a time on each.
    Pool {
        request: u64,
        response: u64,
        rate: f64,
        poisson: bool,
        stop: Duration,
        connections: u32,
    },
}

/// SYNs from spoofed addresses and ports, entering the network at `entry`, towards
/// `target:port`, at `rate` per second from `start` until `stop`; they never answer.
#[derive(Clone, Debug)]
pub struct FloodSpec {
    pub name: String,
    pub entry: usize,
    pub target: usize,
    pub port: u16,
    pub rate: f64,
    pub start: Duration,
    pub stop: Duration,
}

/// The server application on `host:port` exits at `at`; a new process tries to bind and
/// listen `down` later, then every `retry` until it succeeds.
#[derive(Clone, Debug)]
pub struct RestartSpec {
    pub name: String,
    pub host: usize,
    pub port: u16,
    pub at: Duration,
    pub down: Duration,
    pub retry: Duration,
    /// `SO_REUSEADDR` on the server program's sockets.
    pub reuse_addr: bool,
}

/// Raw segments sent outside any connection.
#[derive(Clone, Debug)]
pub struct ScriptSpec {
    pub name: String,
    pub segments: Vec<ScriptedSegment>,
}

/// A raw segment sent from `from` to `to` at `at`, outside any connection.
#[derive(Clone, Debug)]
pub struct ScriptedSegment {
    pub at: Duration,
    pub from: usize,
    pub to: usize,
    pub seg: Segment,
}
impl AppSpec {
    /// Two workloads may share a listener only if its server behaves the same for both.
    pub fn same_server(&self, other: &AppSpec) -> bool {
        self.server_never_closes == other.server_never_closes
            && self.kind.server_answers() == other.kind.server_answers()
            && self.server_lingers() == other.server_lingers()
    }

    /// Which side closes first: the server with `closer = "server"`, else the client.
    pub fn server_closes_first(&self) -> bool {
        self.kind.server_answers().is_some_and(|(_, _, s)| s)
    }

    /// The server application closes with `SO_LINGER` {on, 0} (it is the first closer).
    pub fn server_lingers(&self) -> bool {
        self.linger_zero && self.server_closes_first()
    }
}

impl AppKind {
    pub fn half_closes(&self) -> bool {
        matches!(
            self,
            AppKind::Request {
                half_close: true,
                ..
            } | AppKind::Churn {
                half_close: true,
                ..
            }
        )
    }

    /// (request, response, the server closes first), for workloads whose server answers.
    pub fn server_answers(&self) -> Option<(u64, u64, bool)> {
        match *self {
            AppKind::Bulk { .. } => None,
            AppKind::Request {
                request, response, ..
            } => Some((request, response, false)),
            AppKind::Churn {
                request,
                response,
                server_closes,
                ..
            } => Some((request, response, server_closes)),
            AppKind::Pool {
                request, response, ..
            } => Some((request, response, false)),
        }
    }

    /// A connection carries many requests, one after another (a pool's).
    pub fn persistent(&self) -> bool {
        matches!(self, AppKind::Pool { .. })
    }
}

/// The series metrics, declared once: each row `Variant = "name"` gives a variant of
/// [`SeriesMetric`] and its name in files, and from the table come
/// [`SeriesMetric::name`], [`SeriesMetric::from_name`] and [`SeriesMetric::NAMES`] (the
/// checker's list of valid names, in this order).
macro_rules! series_metrics {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// What a series records.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum SeriesMetric {
            $($(#[doc = $doc])* $variant,)*
        }

        impl SeriesMetric {
            /// Every metric's name in files, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            /// Each metric's doc comment, in [`Self::NAMES`] order: its reference
            /// (`synack explain`, docs/reference.md).
            pub const DOCS: &'static [&'static str] = &[$(concat!("" $(, $doc, "\n")*)),*];

            pub fn from_name(name: &str) -> Option<SeriesMetric> {
                match name {
                    $($name => Some(SeriesMetric::$variant),)*
                    _ => None,
                }
            }

            pub fn name(self) -> &'static str {
                match self {
                    $(SeriesMetric::$variant => $name,)*
                }
            }
        }
    };
}

series_metrics! {
    /// A connection's congestion window, bytes.
    Cwnd = "cwnd",
    /// A connection's slow-start threshold, bytes; no row while it is still unbounded
    /// (before the first loss).
    Ssthresh = "ssthresh",
    /// A connection's smoothed round-trip time, seconds; no row before the first sample.
    Srtt = "srtt",
    /// A connection's retransmission timeout, seconds.
    Rto = "rto",
    /// A connection's bytes in flight (sent and not yet acknowledged), bytes.
    Flight = "flight",
    /// A connection's state, by name (`value` is `ESTABLISHED`, `TIME-WAIT`, ...).
    State = "state",
    /// Each host's number of sockets in each state, recorded as `sockets:<STATE>`
    /// (`sockets:TIME-WAIT`): on every change a row for the state left and one for the
    /// state entered; sampled (`every`), a row for each of the 11 states.
    Sockets = "sockets",
    /// Each link direction's queue, packets (the one being serialised included), recorded
    /// as `queue:<LINK>` with the sending host in the `host` column (`queue:wan` from
    /// `client` is the queue of wan's client → server direction). On every change: after
    /// each packet handed to the link; sampled (`every`): a row per link direction. Only
    /// with a `bandwidth` (an infinitely fast link never queues).
    Queue = "queue",
    /// Each link direction's queue delay, seconds, recorded as `queue_delay:<LINK>` with
    /// the sending host in the `host` column: without `every`, the wait of each packet the
    /// queue admits (from its sending until its serialisation starts), when it differs from
    /// the last; sampled, the wait a packet sent at that instant would have.
    QueueDelay = "queue_delay",
}

impl SeriesMetric {
    /// Per connection: (index in a connection's remembered values).
    pub fn slot(self) -> Option<usize> {
        match self {
            SeriesMetric::Cwnd => Some(0),
            SeriesMetric::Ssthresh => Some(1),
            SeriesMetric::Srtt => Some(2),
            SeriesMetric::Rto => Some(3),
            SeriesMetric::Flight => Some(4),
            SeriesMetric::State
            | SeriesMetric::Sockets
            | SeriesMetric::Queue
            | SeriesMetric::QueueDelay => None,
        }
    }

    /// A link quantity, recorded per link direction.
    pub fn per_link(self) -> bool {
        matches!(self, SeriesMetric::Queue | SeriesMetric::QueueDelay)
    }

    /// The value for a connection, if it has one.
    pub fn of(self, c: &Connection) -> Option<f64> {
        match self {
            SeriesMetric::Cwnd => Some(c.cwnd() as f64),
            SeriesMetric::Ssthresh => (c.ssthresh() < u64::MAX / 2).then(|| c.ssthresh() as f64),
            SeriesMetric::Srtt => c.srtt().map(|d| d.as_secs_f64()),
            SeriesMetric::Rto => Some(c.rto().as_secs_f64()),
            SeriesMetric::Flight => Some(c.flight_size() as f64),
            SeriesMetric::State
            | SeriesMetric::Sockets
            | SeriesMetric::Queue
            | SeriesMetric::QueueDelay => None,
        }
    }
}

/// One `[[series]]`, resolved.
#[derive(Clone, Debug)]
pub struct SeriesSpec {
    pub metric: SeriesMetric,
    pub every: Option<Duration>,
    pub host: Option<usize>,
}
