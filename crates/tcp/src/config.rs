//! The settings of one TCP endpoint, resolved: every value is concrete and typed.
//!
//! Two profiles give the defaults. [`Config::linux()`] follows the Linux kernel's defaults
//! (the default profile of an experiment file); [`Config::rfc()`] follows the standards
//! (RFC 9293, RFC 6298, RFC 5681, RFC 3390). Each field's documentation gives its value in
//! both profiles and where that value comes from. The values are exactly those of the `[tcp]`
//! table in docs/reference.md; where that table deliberately differs from a current kernel, the field
//! says so.
//!
//! The experiment file's `[tcp]` table and `host.<name>.tcp` overrides are resolved into a
//! `Config` by `synack-scenario` (profile, then global overrides, then host overrides).
//!
//! Simplifications: one congestion-control choice per endpoint; no window scaling, SACK or
//! timestamps settings (the endpoint does not model those options).

use std::fmt;
use std::str::FromStr;

/// This file's text: the documentation of [`Config`]'s fields is the reference of the
/// experiment file's `[tcp]` keys, and `synack explain` and docs/reference.md quote it from
/// here (synack-experiment's `schema` module), so the two cannot drift apart.
pub const SOURCE: &str = include_str!("config.rs");

use serde::{Deserialize, Serialize, Serializer};
use synack_sim::Duration;

/// Which set of defaults a [`Config`] starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// The Linux kernel's defaults: [`Config::linux()`]. The default profile.
    #[default]
    Linux,
    /// The RFCs' values: [`Config::rfc()`].
    Rfc,
}

impl Profile {
    /// The resolved configuration of this profile.
    pub fn config(self) -> Config {
        match self {
            Profile::Linux => Config::linux(),
            Profile::Rfc => Config::rfc(),
        }
    }

    /// The name used in experiment files: `linux`, `rfc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Linux => "linux",
            Profile::Rfc => "rfc",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a connection is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Handshake {
    /// RFC 9293 §3.5: SYN, SYN-ACK, ACK; the server is ESTABLISHED on the final ACK.
    ThreeWay,
    /// Ablation: the server enters ESTABLISHED as soon as it receives a SYN (and answers
    /// SYN-ACK), so old duplicate SYNs create connections — the failure the third
    /// segment exists to prevent (RFC 9293 §3.5, Figure 8).
    TwoWay,
}

impl Handshake {
    /// The name used in experiment files.
    pub fn as_str(self) -> &'static str {
        match self {
            Handshake::ThreeWay => "three-way",
            Handshake::TwoWay => "two-way",
        }
    }
}

impl fmt::Display for Handshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When the side that receives the first FIN sends its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PassiveClose {
    /// RFC 9293 §3.6: CLOSE-WAIT lasts until the application closes; its FIN follows the
    /// data it still has to send.
    AfterApp,
    /// Ablation: the FIN rides with the ACK of the peer's FIN, and unsent data is discarded —
    /// a three-segment teardown, and what it costs (`bytes_lost`).
    WithAck,
}

impl PassiveClose {
    /// The name used in experiment files.
    pub fn as_str(self) -> &'static str {
        match self {
            PassiveClose::AfterApp => "after-app",
            PassiveClose::WithAck => "with-ack",
        }
    }
}

impl fmt::Display for PassiveClose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The congestion-control algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Congestion {
    /// RFC 6582 NewReno on top of RFC 5681.
    NewReno,
    /// RFC 5681 Reno.
    Reno,
    /// CUBIC (RFC 9438) with HyStart, as Linux's `tcp_cubic.c`: β = 0.7, C = 0.4, fast
    /// convergence, the Reno-friendly region. See [`Cubic`](crate::congestion::Cubic).
    Cubic,
    /// A fixed window of `init_cwnd` segments (still limited by the receive window).
    None,
}

impl Congestion {
    /// The name used in experiment files.
    pub fn as_str(self) -> &'static str {
        match self {
            Congestion::NewReno => "newreno",
            Congestion::Reno => "reno",
            Congestion::Cubic => "cubic",
            Congestion::None => "none",
        }
    }
}

impl fmt::Display for Congestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How losses are recovered from without SACK (with SACK both use RFC 6675 with
/// proportional rate reduction, RFC 6937).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LossRecovery {
    /// RFC 5681 §3.2 fast recovery with window inflation by one SMSS per duplicate ACK,
    /// kept over partial ACKs by RFC 6582 (`congestion = "newreno"`, §4's "Impatient"
    /// timer) or left at the first new ACK (`"reno"`).
    Rfc,
    /// Linux's `tcp_fastretrans_alert` in Reno mode (`tcp_is_reno`): each duplicate ACK
    /// counts as a segment that left the network (`tcp_add_reno_sack`), which lets new data
    /// out before the third (RFC 3042's limited transmit, in effect); the third marks the
    /// first segment lost and starts a recovery paced by PRR (`tcp_cwnd_reduction`); each
    /// partial ACK marks the next one lost (`tcp_newreno_mark_lost`) and restarts the
    /// retransmission timer (`tcp_rearm_rto`: RFC 6582's "Slow-but-Steady"); no inflation.
    Linux,
}

impl LossRecovery {
    /// The name used in experiment files.
    pub fn as_str(self) -> &'static str {
        match self {
            LossRecovery::Rfc => "rfc",
            LossRecovery::Linux => "linux",
        }
    }
}

impl fmt::Display for LossRecovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the congestion window grows on an ACK of new data, in slow start and in congestion
/// avoidance. The two differ once ACKs cover more than one segment (delayed ACKs: every
/// second segment).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CwndGrowth {
    /// RFC 5681 §3.1 as written, counted per ACK: slow start cwnd += min(N, SMSS)
    /// (equation 2), congestion avoidance cwnd += SMSS·SMSS/cwnd, at least 1 byte
    /// (equation 3). With an ACK per two segments the window grows ×1.5 per RTT in slow
    /// start and by ½ SMSS per RTT in congestion avoidance.
    PerAck,
    /// Linux (`tcp_reno_cong_avoid`), counted per segment acknowledged: slow start cwnd +=
    /// the bytes newly acknowledged, up to ssthresh (`tcp_slow_start`), the rest counted
    /// towards congestion avoidance, which adds one SMSS per cwnd of bytes acknowledged
    /// (`tcp_cong_avoid_ai`; RFC 3465's byte counting). ×2 per RTT in slow start and
    /// 1 SMSS per RTT in congestion avoidance, whether ACKs are delayed or not.
    PerSegmentAcked,
}

impl CwndGrowth {
    /// The name used in experiment files.
    pub fn as_str(self) -> &'static str {
        match self {
            CwndGrowth::PerAck => "per-ack",
            CwndGrowth::PerSegmentAcked => "per-segment-acked",
        }
    }
}

impl fmt::Display for CwndGrowth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How round trips are measured and turned into the retransmission timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RttEstimation {
    /// RFC 6298: one timed segment per round trip (Karn: never a retransmitted one),
    /// RTO = SRTT + max(G, 4·RTTVAR), at least `min_rto`.
    Rfc6298,
    /// Linux (`tcp_ack_update_rtt`, `tcp_rtt_estimator`, `tcp_set_rto`): a sample on every
    /// ACK of new data — the oldest segment it covers if none of it was retransmitted, else
    /// the echoed timestamp — and RTO = SRTT + max(mdev, `min_rto`), where the deviation
    /// only falls once per round trip.
    Linux,
}

impl RttEstimation {
    /// The name used in experiment files.
    pub fn as_str(self) -> &'static str {
        match self {
            RttEstimation::Rfc6298 => "rfc6298",
            RttEstimation::Linux => "linux",
        }
    }
}

impl fmt::Display for RttEstimation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How initial sequence numbers are chosen. `linux` and `clock` are both RFC 6528's
/// M + F(4-tuple, key): across 4-tuples the hash F makes ISNs look random, but successive
/// incarnations of one 4-tuple get ISNs that grow with the clock M, which is what lets a
/// server's TIME-WAIT accept a reused client port (RFC 1122 §4.2.2.13, RFC 6191).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Isn {
    /// Linux (`secure_tcp_seq`, net/core/secure_seq.c): a keyed hash of the 4-tuple plus
    /// `seq_scale`, the clock in nanoseconds shifted right by 6 — a 64 ns tick, so the
    /// clock term wraps every 2³²·64 ns ≈ 275 s.
    Linux,
    /// RFC 6528 / RFC 9293 §3.4.1: a keyed hash of the 4-tuple plus a 4 µs clock (wrapping
    /// every ≈ 4.8 h).
    Clock,
    /// Uniformly random, from the host's seeded ISN stream: no clock, so a new incarnation
    /// of a 4-tuple lies beyond the old one's sequence numbers only half the time. An
    /// ablation; no common stack does this.
    Random,
    /// Always 0: the ablation that lets old duplicates fall inside a new window.
    Zero,
}

impl Isn {
    /// The name used in experiment files.
    pub fn as_str(self) -> &'static str {
        match self {
            Isn::Linux => "linux",
            Isn::Random => "random",
            Isn::Clock => "clock",
            Isn::Zero => "zero",
        }
    }
}

impl fmt::Display for Isn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whose rules a part of segment arrival follows, where Linux departs from the RFCs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rules {
    /// RFC 9293 §3.10.7.4, with RFC 5961's checks of RSTs and SYNs and RFC 7323's PAWS.
    Rfc9293,
    /// Linux's, from `net/ipv4/tcp_minisocks.c`: each field that takes this says which.
    Linux,
}

impl Rules {
    /// The name used in experiment files.
    pub fn as_str(self) -> &'static str {
        match self {
            Rules::Rfc9293 => "rfc9293",
            Rules::Linux => "linux",
        }
    }
}

impl fmt::Display for Rules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a sender does with its congestion window when it writes again after sending no data
/// for longer than the retransmission timeout (the window no longer says what the path
/// carries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdleRestart {
    /// Keeps it (Linux with `net.ipv4.tcp_slow_start_after_idle = 0`).
    Off,
    /// RFC 5681 §4.1: cwnd = RW = min(IW, cwnd), ssthresh unchanged.
    Rfc5681,
    /// Linux's `tcp_cwnd_restart` (net/ipv4/tcp_output.c): cwnd halves for every RTO of
    /// idleness beyond the first, down to min(IW, cwnd), and ssthresh keeps at least ¾ of
    /// the old cwnd (`tcp_current_ssthresh`).
    Linux,
}

/// An inclusive range of ephemeral (client) ports, written `"32768-60999"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PortRange {
    /// The lowest port handed out.
    pub first: u16,
    /// The highest port handed out (inclusive).
    pub last: u16,
}

impl PortRange {
    /// How many ports the range holds.
    pub fn len(self) -> u32 {
        if self.last < self.first {
            0
        } else {
            u32::from(self.last - self.first) + 1
        }
    }

    /// Whether the range holds no port (only possible if built by hand with `last < first`).
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// Whether `port` is in the range.
    pub fn contains(self, port: u16) -> bool {
        (self.first..=self.last).contains(&port)
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

/// Why a string is not a port range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortRangeError(String);

impl fmt::Display for PortRangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PortRangeError {}

impl FromStr for PortRange {
    type Err = PortRangeError;

    /// Parses `"FIRST-LAST"` with `1 <= FIRST <= LAST <= 65535`.
    fn from_str(s: &str) -> Result<PortRange, PortRangeError> {
        let bad = || {
            PortRangeError(format!(
                "expected a port range such as \"32768-60999\", found \"{s}\""
            ))
        };
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let first: u16 = a.trim().parse().map_err(|_| bad())?;
        let last: u16 = b.trim().parse().map_err(|_| bad())?;
        if first == 0 {
            return Err(PortRangeError(format!(
                "port 0 cannot be an ephemeral port, found \"{s}\""
            )));
        }
        if first > last {
            return Err(PortRangeError(format!(
                "the first port is above the last one in \"{s}\""
            )));
        }
        Ok(PortRange { first, last })
    }
}

impl Serialize for PortRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PortRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<PortRange, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = PortRange;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port range such as \"32768-60999\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PortRange, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// How a listener bounds its SYN queue and its accept queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListenQueues {
    /// Linux (as of 2025): `listen()` sets one limit, min(`backlog`, `somaxconn`)
    /// (`__sys_listen_socket`), and both queues are full only once they hold *more* than it
    /// (`inet_csk_reqsk_queue_is_full`, `sk_acceptq_is_full`); without SYN cookies the last
    /// quarter of `max_syn_backlog` is kept for peers proven alive (`tcp_conn_request`).
    /// `accept_queue` is not used.
    Linux,
    /// Two queues of their own: a SYN queue of `backlog` entries and an accept queue of
    /// `accept_queue`, each full at its limit. `somaxconn` and `max_syn_backlog` are not
    /// used.
    Separate,
}

impl ListenQueues {
    /// The name used in experiment files.
    pub fn as_str(self) -> &'static str {
        match self {
            ListenQueues::Linux => "linux",
            ListenQueues::Separate => "separate",
        }
    }
}

impl fmt::Display for ListenQueues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a listener answers a SYN with a SYN cookie: Linux's `net.ipv4.tcp_syncookies`,
/// written 0, 1 or 2 in files (`false` and `true` are read as 0 and 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SynCookies {
    /// 0: never; a SYN that finds the SYN queue full is dropped.
    Off,
    /// 1: when the SYN queue is full (`tcp_conn_request` asks `tcp_syn_flood_action`).
    Overflow,
    /// 2: for every SYN, whatever the queue holds ("syncookies == 2" in `tcp_conn_request`);
    /// no half-open connection is ever kept.
    Always,
}

impl SynCookies {
    /// The sysctl's value: 0, 1 or 2.
    pub fn value(self) -> u8 {
        match self {
            SynCookies::Off => 0,
            SynCookies::Overflow => 1,
            SynCookies::Always => 2,
        }
    }

    /// Whether cookies are ever sent (and cookie ACKs checked).
    pub fn enabled(self) -> bool {
        self != SynCookies::Off
    }
}

impl fmt::Display for SynCookies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value())
    }
}

impl Serialize for SynCookies {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.value())
    }
}

impl<'de> Deserialize<'de> for SynCookies {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SynCookies, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = SynCookies;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("0, 1 or 2 (net.ipv4.tcp_syncookies), or false or true")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<SynCookies, E> {
                Ok(if v {
                    SynCookies::Overflow
                } else {
                    SynCookies::Off
                })
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<SynCookies, E> {
                match v {
                    0 => Ok(SynCookies::Off),
                    1 => Ok(SynCookies::Overflow),
                    2 => Ok(SynCookies::Always),
                    _ => Err(E::custom(format!(
                        "expected 0, 1 or 2 (or false or true); found {v}"
                    ))),
                }
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<SynCookies, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Whether connect() may reuse a port held in TIME-WAIT: Linux's `net.ipv4.tcp_tw_reuse`,
/// written 0, 1 or 2 in files (`false` and `true` are read as 0 and 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TwReuse {
    /// 0: never.
    Off,
    /// 1: whenever `tcp_twsk_unique`'s rule allows.
    On,
    /// 2: only for connections over loopback (`tcp_twsk_unique` checks the addresses); no
    /// connection between synack's hosts is one.
    Loopback,
}

impl TwReuse {
    /// The sysctl's value: 0, 1 or 2.
    pub fn value(self) -> u8 {
        match self {
            TwReuse::Off => 0,
            TwReuse::On => 1,
            TwReuse::Loopback => 2,
        }
    }

    /// Whether a connection between two of synack's hosts may reuse a TIME-WAIT port.
    pub fn between_hosts(self) -> bool {
        self == TwReuse::On
    }
}

impl fmt::Display for TwReuse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value())
    }
}

impl Serialize for TwReuse {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.value())
    }
}

impl<'de> Deserialize<'de> for TwReuse {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TwReuse, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = TwReuse;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("0, 1 or 2 (net.ipv4.tcp_tw_reuse), or false or true")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<TwReuse, E> {
                Ok(if v { TwReuse::On } else { TwReuse::Off })
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<TwReuse, E> {
                match v {
                    0 => Ok(TwReuse::Off),
                    1 => Ok(TwReuse::On),
                    2 => Ok(TwReuse::Loopback),
                    _ => Err(E::custom(format!(
                        "expected 0, 1 or 2 (or false or true); found {v}"
                    ))),
                }
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<TwReuse, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Whether a connection uses Explicit Congestion Notification (RFC 3168): Linux's
/// `net.ipv4.tcp_ecn`, written 0, 1 or 2 in files (`false` and `true` are read as 0 and 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EcnMode {
    /// 0: never; a SYN asking for ECN gets a SYN-ACK without ECE.
    Off,
    /// 1: asked for on outgoing connections (SYN with ECE and CWR) and granted to incoming
    /// ones that ask.
    On,
    /// 2: granted to incoming connections that ask, never asked for.
    Passive,
}

impl EcnMode {
    /// The sysctl's value: 0, 1 or 2.
    pub fn value(self) -> u8 {
        match self {
            EcnMode::Off => 0,
            EcnMode::On => 1,
            EcnMode::Passive => 2,
        }
    }

    /// Whether an active open asks for ECN (Linux `tcp_ecn_send_syn`).
    pub fn requests(self) -> bool {
        self == EcnMode::On
    }

    /// Whether a passive open grants ECN to a SYN that asks (Linux `tcp_ecn_create_request`).
    pub fn accepts(self) -> bool {
        self != EcnMode::Off
    }
}

impl fmt::Display for EcnMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value())
    }
}

impl Serialize for EcnMode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.value())
    }
}

impl<'de> Deserialize<'de> for EcnMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<EcnMode, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = EcnMode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("0, 1 or 2 (net.ipv4.tcp_ecn), or false or true")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<EcnMode, E> {
                Ok(if v { EcnMode::On } else { EcnMode::Off })
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<EcnMode, E> {
                match v {
                    0 => Ok(EcnMode::Off),
                    1 => Ok(EcnMode::On),
                    2 => Ok(EcnMode::Passive),
                    _ => Err(E::custom(format!(
                        "expected 0, 1 or 2 (or false or true); found {v}"
                    ))),
                }
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<EcnMode, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// The settings of one TCP endpoint (and of its listeners), all resolved.
///
/// Build one with [`Config::linux()`] or [`Config::rfc()`] and change fields; check it with
/// [`Config::validate`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Config {
    /// Maximum segment size, bytes of payload per segment, as the MSS option announces it.
    /// Timestamps, when both ends use them, take 12 of these bytes from every segment
    /// (Linux `tcp_sync_mss`: 1448 bytes of payload at MSS 1460).
    ///
    /// Linux: 1460 (Ethernet MTU 1500 − 40 bytes of IPv4 and TCP headers);
    /// RFC: 1460 (the same path; RFC 9293 §3.7.1 defaults to 536 only when no MSS option is
    /// seen, and both ends here send one).
    pub mss: u32,

    /// Offer SACK (RFC 2018): SACK-permitted on the SYN, and SACK blocks on ACKs of
    /// out-of-order data once both ends offered it.
    ///
    /// Linux: true (`net.ipv4.tcp_sack = 1`); RFC: false (RFC 9293's bare handshake).
    pub sack: bool,

    /// Offer timestamps (RFC 7323 §3): TSval/TSecr on every segment once both ends offered
    /// them, PAWS (§5) on arrival.
    ///
    /// Linux: true (`net.ipv4.tcp_timestamps = 1`); RFC: false (RFC 9293's bare handshake).
    pub timestamps: bool,

    /// Offer window scaling (RFC 7323 §2). Without it on both ends, no window exceeds
    /// 65,535 bytes. With it, the shift is Linux's (`tcp_select_initial_window`): the
    /// smallest that lets the 16-bit field express `recv_buffer`.
    ///
    /// Linux: true (`net.ipv4.tcp_window_scaling = 1`); RFC: false (RFC 9293's bare
    /// handshake).
    pub window_scaling: bool,

    /// Maximum segment lifetime; TIME-WAIT lasts 2·msl.
    ///
    /// Linux: 30 s (TCP_TIMEWAIT_LEN = 60 s = 2·MSL, `include/net/tcp.h`);
    /// RFC 9293 §3.4.2: MSL = 2 min.
    #[serde(serialize_with = "ser_duration")]
    pub msl: Duration,

    /// Whether TIME-WAIT exists. `false` is an ablation: the connection is forgotten as soon
    /// as the last ACK is sent.
    ///
    /// Linux: true; RFC 9293 §3.6: true.
    pub time_wait: bool,

    /// How connections are opened.
    ///
    /// Linux: three-way; RFC 9293 §3.5: three-way.
    pub handshake: Handshake,

    /// When the passive closer sends its FIN.
    ///
    /// Linux: after-app; RFC 9293 §3.6: after-app.
    pub passive_close: PassiveClose,

    /// Retransmission timeout before any RTT sample (also for SYN and SYN-ACK).
    ///
    /// Linux: 1 s (TCP_TIMEOUT_INIT); RFC 6298 (2.1): 1 s.
    #[serde(serialize_with = "ser_duration")]
    pub initial_rto: Duration,

    /// Lower bound of the computed RTO.
    ///
    /// Linux: 200 ms (TCP_RTO_MIN); RFC 6298 (2.4): 1 s.
    #[serde(serialize_with = "ser_duration")]
    pub min_rto: Duration,

    /// Upper bound of the RTO, after backoff.
    ///
    /// Linux: 120 s (TCP_RTO_MAX); RFC 6298 (2.5): "a maximum value MAY be placed on RTO
    /// provided it is at least 60 seconds" — 60 s.
    #[serde(serialize_with = "ser_duration")]
    pub max_rto: Duration,

    /// How round trips are measured and the RTO computed from them.
    ///
    /// Linux: linux (a sample per ACK, `tcp_rtt_estimator`); RFC: rfc6298.
    pub rtt_estimation: RttEstimation,

    /// SYN retransmissions before connect() gives up.
    ///
    /// Linux: 6 (`net.ipv4.tcp_syn_retries`); RFC: 6 (RFC 1122 §4.2.3.5 asks for at least
    /// 3 minutes of retries for a SYN; the same count is kept so the profiles compare).
    pub syn_retries: u32,

    /// SYN-ACK retransmissions before a half-open connection is dropped.
    ///
    /// Linux: 5 (`net.ipv4.tcp_synack_retries`); RFC: 5 (no RFC value; Linux's is kept).
    pub synack_retries: u32,

    /// Linux's SYN-queue pruning (`reqsk_timer_handler`): once the SYN queue is more than
    /// half full, half-open connections that have already timed out get fewer SYN-ACK
    /// retries (down to 2) the fewer young ones there are, keeping room for new SYNs.
    ///
    /// Linux: true; RFC: false (every half-open connection gets `synack_retries`).
    pub syn_queue_pruning: bool,

    /// How a half-open connection of a listener (SYN-RECEIVED after a passive open)
    /// answers a SYN, a RST and a segment outside its window.
    ///
    /// Linux: linux (`tcp_check_req`). The peer's SYN again (the same sequence number, no
    /// ACK) draws the SYN-ACK again and restarts the SYN-ACK timer at the current timeout
    /// (`inet_rtx_syn_ack`; only timeouts count towards `synack_retries`, so a peer that
    /// keeps retransmitting its SYN keeps the half-open connection alive); an ACK of
    /// anything but our SYN draws <SEQ=SEG.ACK><CTL=RST>; a segment outside the window, an
    /// ACK <SEQ=ISS+1><ACK=RCV.NXT><CTL=ACK>; those answers at most once per
    /// `invalid_ratelimit` (`tcp_oow_rate_limited`). A RST at RCV.NXT ends the half-open
    /// connection silently; a RST elsewhere in the window draws a challenge ACK, throttled
    /// alike, and the connection stays (RFC 5961 §3.2; Linux 6.18, measured with
    /// packetdrill); another SYN in the window ends it, answered by a RST.
    ///
    /// RFC: rfc9293 (§3.10.7.4). The peer's SYN again lies before the window: an ACK
    /// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> answers it, and the SYN-ACK's own timer resends
    /// the SYN-ACK; a RST in the window draws a challenge ACK unless exact (RFC 5961 §3.2);
    /// a SYN in the window returns the connection to LISTEN (it ends, unanswered).
    pub syn_received_rules: Rules,

    /// Extra SYN retransmissions sent at `initial_rto` intervals, before exponential backoff
    /// starts; on top of `syn_retries`.
    ///
    /// Linux ≥ 6.5: 4 (`net.ipv4.tcp_syn_linear_timeouts`); RFC 6298 (5.5): 0 — always back off.
    pub syn_linear_timeouts: u32,

    /// Initial congestion window, in segments; `None` (`"rfc3390"` in files) is RFC 3390's
    /// min(4·SMSS, max(2·SMSS, 4380 bytes)): 3 segments at SMSS 1460, 4 at 536.
    ///
    /// Linux: 10 (TCP_INIT_CWND, as RFC 6928 allows); RFC: rfc3390.
    #[serde(serialize_with = "ser_init_cwnd")]
    pub init_cwnd: Option<u32>,

    /// Slow start after idle: when the application writes with nothing in flight and no
    /// data sent for longer than the RTO, cwnd restarts: `"linux"`, `"rfc5681"` or `"off"`
    /// (see [`IdleRestart`]). Linux checks on each write (`tcp_slow_start_after_idle_check`
    /// from `tcp_skb_entail`), in jiffies of `timer_wheel_hz`, from the last data segment
    /// sent (`lsndtime`). An application-limited sender that keeps sending keeps its window:
    /// Linux 6.18 does, measured under packetdrill (its `tcp_cwnd_application_limited`, RFC
    /// 2861's decay towards the window used, did not act over five RTOs of two-segment
    /// flights; `app-limited.pkt`).
    ///
    /// Linux: linux (`net.ipv4.tcp_slow_start_after_idle = 1`); RFC 5681 §4.1 ("TCP SHOULD
    /// set cwnd to no more than RW"): rfc5681.
    pub slow_start_after_idle: IdleRestart,

    /// Longest an ACK may be delayed; `None` ("off" in files) acknowledges every segment at once.
    ///
    /// Linux: 40 ms (TCP_DELACK_MIN, the delay a fresh connection starts with; TCP_DELACK_MAX
    /// is 200 ms); RFC 1122 §4.2.3.2 / RFC 5681 §4.2: under 500 ms, at least every second
    /// full segment — 200 ms, the classic BSD value.
    #[serde(serialize_with = "ser_delayed_ack")]
    pub delayed_ack: Option<Duration>,

    /// Linux's ACK policy (`tcp_event_data_recv`, `__tcp_ack_snd_check`): quick-ACK mode
    /// at the start (an ACK for every segment, up to 16 of them, `tcp_incr_quickack`), a
    /// delayed-ACK timeout that adapts from `delayed_ack` to the gaps between segments
    /// (`ato`, up to 200 ms once replies follow requests), and the ACK of a FIN delayed so
    /// that an application closing at once sends its FIN with it (pingpong mode).
    ///
    /// Linux: true; RFC 1122 §4.2.3.2: false (every second segment, or after `delayed_ack`).
    pub quick_ack: bool,

    /// Congestion-control algorithm: `"newreno"`, `"reno"`, `"cubic"` or `"none"`.
    ///
    /// `"cubic"` is CUBIC (RFC 9438) with HyStart as Linux's `tcp_cubic.c` runs them:
    /// β = 717/1024, C = 41·10/1024, fast convergence, the Reno-friendly region, HyStart's
    /// ACK-train and delay detectors from 16 segments on; counted in segments as Linux
    /// counts them, growing only while the window is what limits the sender
    /// (`tcp_is_cwnd_limited`). Its fast recovery is the connection's (SACK with PRR, or
    /// NewReno), entered at ssthresh = 0.7·cwnd and left at cwnd = ssthresh. See
    /// [`Cubic`](crate::congestion::Cubic).
    ///
    /// Linux: cubic (`net.ipv4.tcp_congestion_control`'s default); RFC 5681 + RFC 6582:
    /// newreno.
    pub congestion: Congestion,

    /// How cwnd grows on each ACK of new data (Reno and NewReno; `congestion = "none"`
    /// never grows, and `"cubic"` always counts segments acknowledged, as Linux does).
    ///
    /// Linux: per-segment-acked (`tcp_slow_start` and `tcp_cong_avoid_ai` count segments
    /// acknowledged); RFC 5681 §3.1: per-ack (equations 2 and 3).
    pub cwnd_growth: CwndGrowth,

    /// Loss recovery without SACK (with SACK: RFC 6675 with PRR either way).
    ///
    /// Linux: linux (Reno mode of `tcp_fastretrans_alert`: duplicate ACKs counted as
    /// delivered segments, PRR, the timer restarted on every partial ACK); RFC 5681 §3.2 +
    /// RFC 6582: rfc (window inflation, NewReno's partial ACKs, the "Impatient" timer).
    pub recovery: LossRecovery,

    /// Tail loss probes (RFC 8985 §7; Linux `tcp_schedule_loss_probe`,
    /// `tcp_send_loss_probe`): with SACK agreed and no loss being repaired, a probe goes out
    /// 2·SRTT (+ 2 ms, or + `min_rto` with one segment in flight) after the last send or
    /// ACK, unless the retransmission timer comes first: new data if the peer's window
    /// takes a segment, else the last segment again. Its SACK lets RACK find a lost tail
    /// without a timeout; a probe that repaired a loss reduces cwnd once.
    ///
    /// Linux: true (`net.ipv4.tcp_early_retrans` = 3); RFC: false (RFC 5681/6298 leave a
    /// lost tail to the retransmission timer).
    pub tail_loss_probe: bool,

    /// Send buffer, bytes: how much the application may have written and not yet had
    /// acknowledged.
    ///
    /// Linux: 4 MB = 4 000 000 bytes (near `tcp_wmem`'s maximum of 4 MiB);
    /// RFC: 4 MB (no RFC value; the same as Linux so the profiles compare).
    pub send_buffer: u64,

    /// Receive buffer, bytes: the largest window advertised.
    ///
    /// Linux: 4 MB = 4 000 000 bytes (`tcp_rmem`'s maximum is 6 MiB);
    /// RFC: 4 MB (no RFC value; the same as Linux).
    pub recv_buffer: u64,

    /// Receive-buffer autotuning (Linux's `net.ipv4.tcp_moderate_rcvbuf`): the window starts
    /// at what the SYN offered, its clamp at Linux's default buffer (80,896 bytes), and both
    /// grow with what the application reads per round trip, up to `recv_buffer`
    /// (`tcp_grow_window`, `tcp_rcv_space_adjust`); data held beyond a hole counts against it.
    ///
    /// Linux: true; RFC: false (the whole `recv_buffer` from the handshake on).
    pub recv_autotuning: bool,

    /// How initial sequence numbers are chosen.
    ///
    /// Linux: linux (`secure_tcp_seq`: a keyed hash of the 4-tuple plus a 64 ns clock);
    /// RFC 6528 (and RFC 9293 §3.4.1): clock (the same with a 4 µs clock).
    pub isn: Isn,

    /// The listen backlog: the number the server application passes to `listen()`. With
    /// `listen_queues = "linux"`, min(`backlog`, `somaxconn`) bounds both the SYN queue and
    /// the accept queue; with `"separate"`, it is the SYN queue's size (half-open
    /// connections, SYN-RECEIVED, kept at once).
    ///
    /// Linux: 128 (what many applications pass, the `SOMAXCONN` of kernels before 5.4);
    /// RFC: 128 (no RFC value).
    pub backlog: u32,

    /// With `listen_queues = "separate"`: established connections not yet accepted by the
    /// application, per listener. Not used with `"linux"`, where the accept queue is bounded
    /// by min(`backlog`, `somaxconn`).
    ///
    /// Linux: 128 (unused); RFC: 128 (no RFC value).
    pub accept_queue: u32,

    /// How a listener bounds its queues: `"linux"` or `"separate"` (see [`ListenQueues`]).
    ///
    /// Linux: linux; RFC: separate (RFC 9293 sizes no queue; the simple model of two
    /// fixed queues).
    pub listen_queues: ListenQueues,

    /// `net.core.somaxconn`: the most a listen backlog may be (`__sys_listen_socket` caps
    /// it). Used with `listen_queues = "linux"`.
    ///
    /// Linux: 4096 (the default since 5.4, `SOMAXCONN`); RFC: 4096 (unused).
    pub somaxconn: u32,

    /// `net.ipv4.tcp_max_syn_backlog`. With `listen_queues = "linux"` and SYN cookies off, a
    /// SYN from a peer not proven alive (no earlier connection with it that measured a round
    /// trip and closed, Linux's `tcp_peer_is_proven`) is dropped once fewer than a quarter of
    /// these entries remain free in the SYN queue (`tcp_conn_request`).
    ///
    /// Linux: 4096, max(128, buckets / 128) for a host whose established-socket hash has
    /// 524,288 buckets (64 GB of memory; `tcp_set_hashinfo`), the host `max_tw_buckets`
    /// describes too; RFC: 4096 (unused).
    pub max_syn_backlog: u32,

    /// When a listener answers a SYN with a cookie (RFC 4987 §3.6) instead of keeping a
    /// half-open connection: 0 never, 1 when the SYN queue is full, 2 always.
    ///
    /// Linux: 1 (`net.ipv4.tcp_syncookies = 1`); RFC: 0 (RFC 4987 describes SYN cookies as
    /// a mitigation, not a requirement).
    pub syn_cookies: SynCookies,

    /// `net.ipv4.tcp_abort_on_overflow`: a handshake's final ACK that finds the accept queue
    /// full is answered with a RST and the half-open connection dropped (`tcp_check_req`),
    /// instead of being ignored so that the SYN-ACK is sent again.
    ///
    /// Linux: false; RFC: false (no RFC value; Linux's default).
    pub abort_on_overflow: bool,

    /// Whether an RST received in TIME-WAIT is ignored (TIME-WAIT assassination hazards).
    ///
    /// Linux: false (`net.ipv4.tcp_rfc1337 = 0`); RFC 1337 §3 recommends ignoring it: true.
    pub rfc1337: bool,

    /// How TIME-WAIT answers the segments that reach it.
    ///
    /// Linux: linux (`tcp_timewait_state_process`). A bare segment (no data, SYN or FIN) at
    /// RCV.NXT is taken silently: an exact RST ends TIME-WAIT (unless `rfc1337`), anything
    /// else restarts the 2·MSL timer. Every other segment is outside the window: a new SYN
    /// may reopen the 4-tuple; a RST is dropped (no challenge ACK, so an inexact RST cannot
    /// draw the exact one that would end TIME-WAIT); the rest draws an ACK, at most once per
    /// `invalid_ratelimit` unless it carries data or a FIN (`tcp_oow_rate_limited`), and restarts the
    /// timer if it carries an ACK or fails PAWS. PAWS rejects an old RST too while TS.Recent
    /// is under 60 s old (`tcp_paws_reject`, TCP_PAWS_MSL).
    ///
    /// RFC: rfc9293 (§3.10.7.4 with RFC 5961 and RFC 7323). An unacceptable segment draws an
    /// ACK; in the window, a RST that is not exact draws a challenge ACK (RFC 5961 §3.2), an
    /// exact one ends TIME-WAIT (unless `rfc1337`); a SYN that may not reopen the 4-tuple
    /// draws a challenge ACK (RFC 5961 §4.2); only the peer's FIN again restarts the timer.
    pub time_wait_rules: Rules,

    /// Whether the RST an abort sends (close() with unread data, SO_LINGER 0, the
    /// application's abort) also carries ACK = RCV.NXT, as Linux's `tcp_send_active_reset`
    /// builds it (TCPHDR_ACK | TCPHDR_RST). Either way it carries the timestamp option once
    /// agreed (RFC 7323 §3.2: it SHOULD be sent in a RST).
    ///
    /// Linux: true; RFC: false (RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>).
    pub rst_ack: bool,

    /// `net.ipv4.tcp_invalid_ratelimit`: the least time between two answers a connection
    /// gives to segments it cannot accept — the ACK to a segment outside the window or
    /// failing PAWS (unless it carries data or a FIN), and the challenge ACK to an inexact
    /// RST or a SYN (RFC 5961 §7, "ACK Throttling") — in every state: Linux's
    /// `tcp_oow_rate_limited` in `tcp_validate_incoming`, `tcp_send_challenge_ack`,
    /// `tcp_check_req` and `tcp_timewait_state_process`. Zero answers every one. (Linux's
    /// host-wide `tcp_challenge_ack_limit` is unlimited since 6.0 and not modelled.) The
    /// rule sets (`syn_received_rules`, `time_wait_rules`) decide what is answered; this
    /// key, how often. At most 60 s.
    ///
    /// Linux: 500 ms (`TCP_INVALID_RATELIMIT`, HZ/2); RFC: 0 (RFC 9293 answers every
    /// unacceptable segment; RFC 5961 §7's throttle is a host-wide count, not modelled).
    #[serde(serialize_with = "ser_duration")]
    pub invalid_ratelimit: Duration,

    /// How long FIN-WAIT-2 may last once the application has closed; `None` ("none" in
    /// files) waits for the peer's FIN forever. As Linux's `tcp_fin_time`, the limit is at
    /// least 3.5·RTO; when it passes the connection is dropped silently. (`TCP_LINGER2`, the
    /// per-socket override, is this key per host.) Unlike Linux, the timer also runs after a
    /// half-close (`shutdown(SHUT_WR)`, whose socket is not orphaned, has none in Linux), and
    /// the connection stays a full one rather than a FIN-WAIT-2 `timewait` socket, so it does
    /// not count against `max_tw_buckets`.
    ///
    /// Linux: 60 s (`net.ipv4.tcp_fin_timeout`); RFC 9293 §3.6: none (FIN-WAIT-2 has no timer).
    #[serde(serialize_with = "ser_none_or_duration")]
    pub fin_timeout: Option<Duration>,

    /// The user timeout (RFC 9293 §3.10.8, RFC 5482; Linux's `TCP_USER_TIMEOUT`): a
    /// connection whose data or FIN has gone unacknowledged this long since its first
    /// retransmission is aborted ("connection aborted due to user timeout"), however few
    /// retransmissions that took, and the retransmission timer is cut short so as to fire
    /// when it runs out (Linux `retransmits_timed_out` with the user's timeout,
    /// `tcp_clamp_rto_to_user_timeout`). `None` ("none" in files): the connection gives up
    /// after 15 timeouts ([`DATA_RETRIES`](crate::connection::DATA_RETRIES)). As in Linux,
    /// the abort sends nothing. Not modelled: Linux also counts from a fast retransmission,
    /// clamps the SYN's and SYN-ACK's timers (whose retries still decide) and ends
    /// zero-window probing and keep-alive by it.
    ///
    /// Linux: none (the socket option is unset); RFC 9293: none (the user sets it).
    #[serde(serialize_with = "ser_none_or_duration")]
    pub user_timeout: Option<Duration>,

    /// Linux's timer wheel: retransmission, delayed-ACK, FIN-WAIT-2 and persist timers fire
    /// on the ticks of a `CONFIG_HZ` clock, late by up to their wheel level's granularity
    /// (`calc_wheel_index`: at 250 Hz 4 ms below 0.25 s, 32 ms below 2 s, 256 ms below 16 s,
    /// 2 s below 131 s); 0 fires them exactly. TIME-WAIT's timer stays exact.
    ///
    /// Linux: 250 (the validation kernel's `CONFIG_HZ`, and a common distribution choice);
    /// RFC: 0.
    pub timer_wheel_hz: u32,

    /// Ports a client picks its local port from.
    ///
    /// Linux: 32768–60999 (`net.ipv4.ip_local_port_range`); RFC 6335 §6: the dynamic
    /// range 49152–65535.
    pub ephemeral_ports: PortRange,

    /// `net.ipv4.tcp_tw_reuse`: whether connect() may take a local port whose 4-tuple is held
    /// in TIME-WAIT (Linux `tcp_twsk_unique`, asked by `__inet_check_established` as
    /// `__inet_hash_connect` tries each port): only if the old connection used timestamps
    /// (so that PAWS will reject its stray segments), and only `tw_reuse_delay` after it
    /// entered TIME-WAIT. The new connection's ISS is the old SND.NXT + 65535 + 2, and the
    /// TIME-WAIT socket is dropped. 0 never, 1 always, 2 only for loopback connections —
    /// which synack's hosts never make to each other, so 2 acts as 0.
    ///
    /// Linux: 2 ("enable for loopback traffic only", the default since 2018, commit
    /// 79e9fed4); RFC: 0 (RFC 9293 keeps TIME-WAIT for 2·MSL).
    pub tw_reuse: TwReuse,

    /// `net.ipv4.tcp_tw_reuse_delay`: how long a TIME-WAIT socket must have existed before
    /// `tw_reuse` may take its port (the old rule, in seconds of timestamp age, was at least
    /// one second).
    ///
    /// Linux: 1 s (`tcp_tw_reuse_delay`, in milliseconds); RFC: 1 s (unused while
    /// `tw_reuse` is 0).
    #[serde(serialize_with = "ser_duration")]
    pub tw_reuse_delay: Duration,

    /// `net.ipv4.tcp_max_tw_buckets`: the most TIME-WAIT sockets a host keeps; a connection
    /// that would enter TIME-WAIT beyond it is closed at once instead (`inet_twsk_alloc`
    /// fails, `tcp_time_wait` counts `TCPTimeWaitOverflow` and calls `tcp_done`), counted as
    /// `time_wait_overflow`. `None` ("none" in files): no limit.
    ///
    /// Linux: 262,144, half the established-socket hash's buckets (`tcp_set_hashinfo`; a
    /// 64 GB host, as for `max_syn_backlog`; every network namespace gets the same unless
    /// `tcp_child_ehash_entries` is set); RFC: none.
    #[serde(serialize_with = "ser_max_tw_buckets")]
    pub max_tw_buckets: Option<u32>,

    /// `net.ipv4.tcp_ecn`: Explicit Congestion Notification (RFC 3168). 1 asks for it in
    /// the SYN (ECE and CWR set, Linux `tcp_ecn_send_syn`) and grants it; 2 only grants it
    /// to a SYN that asks (the SYN-ACK carries ECE, `tcp_ecn_make_synack`); 0 neither. A
    /// retransmitted SYN no longer asks (`tcp_ecn_clear_syn`, RFC 3168 §6.1.1.1). Once both
    /// ends agree, new data goes out ECT(0); pure ACKs, SYNs and retransmissions go out
    /// Not-ECT (`tcp_ecn_send`). A receiver that gets a CE-marked segment acknowledges at
    /// once and sets ECE on every segment until one with CWR arrives (`tcp_ecn_check_ce`,
    /// `tcp_ecn_accept_cwr`); the sender answers an ECE, once per window of data, by
    /// entering CWR (`tcp_enter_cwr`, `tcpi_ca_state` 2): ssthresh from its congestion
    /// control as for a loss, cwnd brought down to it by PRR, CWR set on its next new data
    /// segment. Queues mark only with `queue = { ..., ecn = true }`.
    ///
    /// Linux: 2 (the kernel's default since 2.6.31); RFC: 0 (RFC 3168 leaves ECN to be
    /// enabled; most stacks ship with it off).
    pub ecn: EcnMode,
}

impl Config {
    /// The Linux kernel's defaults (the default profile).
    pub fn linux() -> Config {
        Config {
            mss: 1460,
            sack: true,
            timestamps: true,
            window_scaling: true,
            msl: Duration::from_secs(30),
            time_wait: true,
            handshake: Handshake::ThreeWay,
            passive_close: PassiveClose::AfterApp,
            initial_rto: Duration::from_secs(1),
            min_rto: Duration::from_millis(200),
            max_rto: Duration::from_secs(120),
            rtt_estimation: RttEstimation::Linux,
            syn_retries: 6,
            synack_retries: 5,
            syn_queue_pruning: true,
            syn_received_rules: Rules::Linux,
            syn_linear_timeouts: 4,
            init_cwnd: Some(10),
            slow_start_after_idle: IdleRestart::Linux,
            delayed_ack: Some(Duration::from_millis(40)),
            quick_ack: true,
            congestion: Congestion::Cubic,
            cwnd_growth: CwndGrowth::PerSegmentAcked,
            recovery: LossRecovery::Linux,
            tail_loss_probe: true,
            send_buffer: 4_000_000,
            recv_buffer: 4_000_000,
            recv_autotuning: true,
            isn: Isn::Linux,
            backlog: 128,
            accept_queue: 128,
            listen_queues: ListenQueues::Linux,
            somaxconn: 4096,
            max_syn_backlog: 4096,
            syn_cookies: SynCookies::Overflow,
            abort_on_overflow: false,
            rfc1337: false,
            time_wait_rules: Rules::Linux,
            invalid_ratelimit: Duration::from_millis(500),
            rst_ack: true,
            fin_timeout: Some(Duration::from_secs(60)),
            user_timeout: None,
            timer_wheel_hz: 250,
            ephemeral_ports: PortRange {
                first: 32768,
                last: 60999,
            },
            tw_reuse: TwReuse::Loopback,
            tw_reuse_delay: Duration::from_secs(1),
            max_tw_buckets: Some(262_144),
            ecn: EcnMode::Passive,
        }
    }

    /// The standards' values: RFC 9293, RFC 6298, RFC 5681, RFC 3390, RFC 6528, RFC 1337.
    pub fn rfc() -> Config {
        Config {
            mss: 1460,
            sack: false,
            timestamps: false,
            window_scaling: false,
            msl: Duration::from_secs(120),
            time_wait: true,
            handshake: Handshake::ThreeWay,
            passive_close: PassiveClose::AfterApp,
            initial_rto: Duration::from_secs(1),
            min_rto: Duration::from_secs(1),
            max_rto: Duration::from_secs(60),
            rtt_estimation: RttEstimation::Rfc6298,
            syn_retries: 6,
            synack_retries: 5,
            syn_queue_pruning: false,
            syn_received_rules: Rules::Rfc9293,
            syn_linear_timeouts: 0,
            init_cwnd: None,
            slow_start_after_idle: IdleRestart::Rfc5681,
            delayed_ack: Some(Duration::from_millis(200)),
            quick_ack: false,
            congestion: Congestion::NewReno,
            cwnd_growth: CwndGrowth::PerAck,
            recovery: LossRecovery::Rfc,
            tail_loss_probe: false,
            send_buffer: 4_000_000,
            recv_buffer: 4_000_000,
            recv_autotuning: false,
            isn: Isn::Clock,
            backlog: 128,
            accept_queue: 128,
            listen_queues: ListenQueues::Separate,
            somaxconn: 4096,
            max_syn_backlog: 4096,
            syn_cookies: SynCookies::Off,
            abort_on_overflow: false,
            rfc1337: true,
            time_wait_rules: Rules::Rfc9293,
            invalid_ratelimit: Duration::ZERO,
            rst_ack: false,
            fin_timeout: None,
            user_timeout: None,
            timer_wheel_hz: 0,
            ephemeral_ports: PortRange {
                first: 49152,
                last: 65535,
            },
            tw_reuse: TwReuse::Off,
            tw_reuse_delay: Duration::from_secs(1),
            max_tw_buckets: None,
            ecn: EcnMode::Off,
        }
    }

    /// Time spent in TIME-WAIT: 2·msl (RFC 9293 §3.6.1), or zero when `time_wait` is off.
    pub fn time_wait_len(&self) -> Duration {
        if self.time_wait {
            self.msl.saturating_mul(2)
        } else {
            Duration::ZERO
        }
    }

    /// Checks the values that no endpoint could work with. The error names the key as the
    /// experiment file spells it.
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        let fail = |key, reason: &str| {
            Err(InvalidConfig {
                key,
                reason: reason.to_string(),
            })
        };
        // 65495 = 65535 (largest IPv4 datagram) − 20 (IPv4 header) − 20 (TCP header).
        if self.mss == 0 || self.mss > 65495 {
            return fail("mss", "expected a segment size in 1..=65495 bytes");
        }
        if self.initial_rto.is_zero() {
            return fail("initial_rto", "expected a positive duration");
        }
        if self.min_rto.is_zero() {
            return fail("min_rto", "expected a positive duration");
        }
        if self.min_rto > self.max_rto {
            return fail("min_rto", "must not exceed max_rto");
        }
        if self.initial_rto > self.max_rto {
            return fail("initial_rto", "must not exceed max_rto");
        }
        if self.init_cwnd == Some(0) {
            return fail("init_cwnd", "expected at least 1 segment");
        }
        if self.send_buffer == 0 {
            return fail("send_buffer", "expected at least 1 byte");
        }
        if self.recv_buffer == 0 {
            return fail("recv_buffer", "expected at least 1 byte");
        }
        if self.invalid_ratelimit > Duration::from_secs(60) {
            return fail("invalid_ratelimit", "expected a duration of at most 60s");
        }
        if self.ephemeral_ports.is_empty() || self.ephemeral_ports.first == 0 {
            return fail(
                "ephemeral_ports",
                "expected a range FIRST-LAST with 1 <= FIRST <= LAST",
            );
        }
        Ok(())
    }
}

impl Default for Config {
    /// The default profile: [`Config::linux()`].
    fn default() -> Config {
        Config::linux()
    }
}

/// A [`Config`] value no endpoint can work with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidConfig {
    /// The key, as the experiment file spells it (`min_rto`).
    pub key: &'static str,
    /// What is wrong, or what was expected.
    pub reason: String,
}

impl fmt::Display for InvalidConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.key, self.reason)
    }
}

impl std::error::Error for InvalidConfig {}

/// Durations are written as the experiment files write them: `"40ms"`, `"2min"`.
fn ser_duration<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

fn ser_delayed_ack<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(d),
        None => s.serialize_str("off"),
    }
}

fn ser_init_cwnd<S: Serializer>(n: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    match n {
        Some(n) => s.serialize_u32(*n),
        None => s.serialize_str("rfc3390"),
    }
}

impl Config {
    /// The initial congestion window in bytes for segments of `smss` bytes.
    pub fn initial_window(&self, smss: u64) -> u64 {
        match self.init_cwnd {
            Some(n) => u64::from(n) * smss,
            // RFC 3390 §1, equation (1).
            None => (4 * smss).min((2 * smss).max(4380)),
        }
    }
}

fn ser_max_tw_buckets<S: Serializer>(n: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    match n {
        Some(n) => s.serialize_u32(*n),
        None => s.serialize_str("none"),
    }
}

fn ser_none_or_duration<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(d),
        None => s.serialize_str("none"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_valid() {
        Config::linux().validate().unwrap();
        Config::rfc().validate().unwrap();
        assert_eq!(Config::default(), Config::linux());
        assert_eq!(Profile::Rfc.config(), Config::rfc());
    }

    #[test]
    fn time_wait_is_two_msl() {
        assert_eq!(Config::linux().time_wait_len(), Duration::from_secs(60));
        assert_eq!(Config::rfc().time_wait_len(), Duration::from_secs(240));
        let off = Config {
            time_wait: false,
            ..Config::linux()
        };
        assert_eq!(off.time_wait_len(), Duration::ZERO);
    }

    #[test]
    fn port_ranges_parse() {
        let r: PortRange = "32768-60999".parse().unwrap();
        assert_eq!(r, Config::linux().ephemeral_ports);
        assert_eq!(r.len(), 28232);
        assert!(r.contains(32768) && r.contains(60999) && !r.contains(61000));
        assert!("0-10".parse::<PortRange>().is_err());
        assert!("10-9".parse::<PortRange>().is_err());
        assert!("10".parse::<PortRange>().is_err());
        assert!("1-70000".parse::<PortRange>().is_err());
    }

    #[test]
    fn syn_cookies_read_as_the_sysctl_or_a_bool() {
        let read = |v: serde_json::Value| serde_json::from_value::<SynCookies>(v);
        assert_eq!(read(serde_json::json!(true)).unwrap(), SynCookies::Overflow);
        assert_eq!(read(serde_json::json!(false)).unwrap(), SynCookies::Off);
        assert_eq!(read(serde_json::json!(2)).unwrap(), SynCookies::Always);
        assert!(read(serde_json::json!(3)).is_err());
        assert_eq!(serde_json::to_value(SynCookies::Always).unwrap(), 2);
    }

    #[test]
    fn validate_names_the_key() {
        let c = Config {
            min_rto: Duration::from_secs(200),
            ..Config::linux()
        };
        assert_eq!(c.validate().unwrap_err().key, "min_rto");
        let c = Config {
            mss: 0,
            ..Config::rfc()
        };
        assert_eq!(c.validate().unwrap_err().key, "mss");
    }

    #[test]
    fn serializes_as_files_write_it() {
        let v = serde_json::to_value(Config::rfc()).unwrap();
        assert_eq!(v["msl"], "2min");
        assert_eq!(v["fin_timeout"], "none");
        assert_eq!(v["delayed_ack"], "200ms");
        assert_eq!(v["ephemeral_ports"], "49152-65535");
        assert_eq!(v["handshake"], "three-way");
        assert_eq!(v["congestion"], "newreno");
        assert_eq!(v["isn"], "clock");
        assert_eq!(v["syn_received_rules"], "rfc9293");
        assert_eq!(v["time_wait_rules"], "rfc9293");
        assert_eq!(v["cwnd_growth"], "per-ack");
        assert_eq!(v["syn_cookies"], 0);
        assert_eq!(v["listen_queues"], "separate");
        let v = serde_json::to_value(Config::linux()).unwrap();
        assert_eq!(v["cwnd_growth"], "per-segment-acked");
        assert_eq!(v["isn"], "linux");
        assert_eq!(v["syn_received_rules"], "linux");
        assert_eq!(v["time_wait_rules"], "linux");
        let cubic = Config {
            congestion: Congestion::Cubic,
            ..Config::linux()
        };
        let v = serde_json::to_value(&cubic).unwrap();
        assert_eq!(v["congestion"], "cubic");
        let back: Congestion = serde_json::from_value(v["congestion"].clone()).unwrap();
        assert_eq!(
            (back, back.to_string()),
            (Congestion::Cubic, "cubic".to_string())
        );
    }
}
