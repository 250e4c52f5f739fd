//! `[[link]]`: a two-way link between two hosts, with per-direction overrides.
//!
//! The keys at the top of a `[[link]]` apply to both directions; `[link.forward]` (from the
//! first host of `between` to the second) and `[link.reverse]` override any of them for one
//! direction. [`LinkConfig`] holds both directions resolved.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use synack_sim::Duration;

use super::units;

/// Default drop-tail queue length, in packets, when a link has a `bandwidth`: ns-3's
/// `DropTailQueue` default (`MaxSize = "100p"`), what an ns-3 user expects.
pub const DEFAULT_QUEUE: u32 = 100;

/// One link, both directions resolved.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkConfig {
    /// Unique among links; addresses the link in parameter paths (`link.<name>.delay`).
    pub name: String,
    /// The two hosts joined. `forward` carries packets from `between[0]` to `between[1]`.
    pub between: [String; 2],
    /// From `between[0]` to `between[1]`: the shared keys, overridden by `[link.forward]`.
    pub forward: LinkParams,
    /// From `between[1]` to `between[0]`: the shared keys, overridden by `[link.reverse]`.
    pub reverse: LinkParams,
}

impl LinkConfig {
    /// The parameters for packets sent by `from` (one of `between`), or `None` if `from`
    /// is not an end of this link.
    pub fn direction_from(&self, from: &str) -> Option<&LinkParams> {
        if self.between[0] == from {
            Some(&self.forward)
        } else if self.between[1] == from {
            Some(&self.reverse)
        } else {
            None
        }
    }
}

/// A loss model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Loss {
    /// Each packet is lost independently with this probability (`loss = 0.01`).
    Probability(f64),
    /// The Gilbert–Elliott two-state model, as in the literature
    /// (`loss = { model = "gilbert-elliott", p, r, k, h }`).
    GilbertElliott {
        /// Probability of moving from the good to the bad state, per packet.
        p: f64,
        /// Probability of moving from the bad to the good state, per packet.
        r: f64,
        /// Probability of delivery in the good state (loss 1 − k). Default 1.
        k: f64,
        /// Probability of delivery in the bad state (loss 1 − h). Default 0.
        h: f64,
    },
}

impl Loss {
    /// The long-run fraction of packets lost. For Gilbert–Elliott, the stationary
    /// probability of each state weighted by its loss: (r·(1−k) + p·(1−h)) / (p + r); if
    /// `p + r = 0` the chain stays in the good state it starts in.
    pub fn mean(&self) -> f64 {
        match *self {
            Loss::Probability(p) => p,
            Loss::GilbertElliott { p, r, k, h } => {
                if p + r == 0.0 {
                    1.0 - k
                } else {
                    (r * (1.0 - k) + p * (1.0 - h)) / (p + r)
                }
            }
        }
    }
}

impl Serialize for Loss {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Loss::Probability(p) => s.serialize_f64(p),
            Loss::GilbertElliott { p, r, k, h } => GeTable {
                model: GeModel::GilbertElliott,
                p,
                r,
                k,
                h,
            }
            .serialize(s),
        }
    }
}

/// The only table form of `loss`.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum GeModel {
    GilbertElliott,
}

/// `{ model = "gilbert-elliott", p, r, k, h }`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GeTable {
    model: GeModel,
    #[serde(with = "units::probability")]
    p: f64,
    #[serde(with = "units::probability")]
    r: f64,
    #[serde(default = "one", with = "units::probability")]
    k: f64,
    #[serde(default, with = "units::probability")]
    h: f64,
}

fn one() -> f64 {
    1.0
}

impl<'de> Deserialize<'de> for Loss {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Loss, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Loss;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a probability in [0, 1], or a table { model = \"gilbert-elliott\", p, r, k, h }",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Loss, E> {
                self.visit_f64(v as f64)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loss, E> {
                self.visit_f64(v as f64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Loss, E> {
                units::check_probability(v)
                    .map(Loss::Probability)
                    .map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Loss, A::Error> {
                // Deserializing through the map keeps each key's span for errors.
                let t = GeTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Loss::GilbertElliott {
                    p: t.p,
                    r: t.r,
                    k: t.k,
                    h: t.h,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// Default limit of a CoDel queue, in packets: Linux's `sch_codel` default (`limit 1000`,
/// tc-codel(8)).
pub const DEFAULT_CODEL_LIMIT: u32 = 1000;

/// A link direction's queue: drop-tail (in packets, bytes or both), RED or CoDel.
/// `queue = 100` is drop-tail of 100 packets; the table forms are
/// `{ kind = "drop-tail", limit, bytes }`, `{ kind = "red", min, max, max_p, weight, gentle,
/// avpkt, ecn, limit, bytes }` and `{ kind = "codel", target, interval, ecn, limit, bytes }`.
/// `ecn = true` (default false) marks ECN-capable packets CE where RED or CoDel would drop
/// them (RFC 3168 §5; tc-red's and tc-codel's `ecn`); a full queue still drops.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Queue {
    /// Drops only when full.
    DropTail {
        /// Packets (the one being serialised included); `None`: no packet limit.
        limit: Option<u32>,
        /// Bytes, headers included; `None`: no byte limit.
        bytes: Option<u64>,
    },
    /// Random Early Detection (Floyd & Jacobson 1993), in packets, or in bytes as tc-red.
    Red {
        limit: u32,
        bytes: Option<u64>,
        /// `min_th`.
        min: Threshold,
        /// `max_th`, in the same unit as `min`.
        max: Threshold,
        max_p: f64,
        /// `w_q`.
        weight: f64,
        gentle: bool,
        /// The typical packet size, bytes, for the idle-time correction.
        avpkt: u32,
        /// Mark ECN-capable packets instead of dropping them early.
        ecn: bool,
    },
    /// Controlled Delay (RFC 8289).
    CoDel {
        limit: u32,
        bytes: Option<u64>,
        target: Duration,
        interval: Duration,
        /// Mark ECN-capable packets instead of dropping them at dequeue.
        ecn: bool,
    },
}

impl Default for Queue {
    fn default() -> Queue {
        Queue::packets(DEFAULT_QUEUE)
    }
}

impl Queue {
    /// Drop-tail of `n` packets (`queue = n`).
    pub fn packets(n: u32) -> Queue {
        Queue::DropTail {
            limit: Some(n),
            bytes: None,
        }
    }

    /// The limit in packets, if any.
    pub fn limit(&self) -> Option<u32> {
        match *self {
            Queue::DropTail { limit, .. } => limit,
            Queue::Red { limit, .. } | Queue::CoDel { limit, .. } => Some(limit),
        }
    }

    /// The limit in bytes, if any.
    pub fn bytes(&self) -> Option<u64> {
        match *self {
            Queue::DropTail { bytes, .. }
            | Queue::Red { bytes, .. }
            | Queue::CoDel { bytes, .. } => bytes,
        }
    }

    /// `"drop-tail"`, `"red"` or `"codel"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Queue::DropTail { .. } => "drop-tail",
            Queue::Red { .. } => "red",
            Queue::CoDel { .. } => "codel",
        }
    }
}

/// A RED threshold: a number of packets (Floyd and Jacobson's unit, ns-2's), or a size in
/// bytes (tc-red's: `min 30000`), the average queue then counting bytes too.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    Packets(f64),
    Bytes(u64),
}

impl Threshold {
    /// The number, in its unit.
    pub fn value(self) -> f64 {
        match self {
            Threshold::Packets(n) => n,
            Threshold::Bytes(b) => b as f64,
        }
    }
}

impl Serialize for Threshold {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Threshold::Packets(n) => s.serialize_f64(n),
            Threshold::Bytes(b) => s.serialize_str(&format!("{b}B")),
        }
    }
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Threshold, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Threshold;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of packets (`5`), or a size in bytes (`\"30KB\"`)")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Threshold, E> {
                Ok(Threshold::Packets(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Threshold, E> {
                Ok(Threshold::Packets(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Threshold, E> {
                Ok(Threshold::Packets(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Threshold, E> {
                units::parse_size(v)
                    .map(Threshold::Bytes)
                    .map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum QueueKind {
    #[default]
    DropTail,
    Red,
    Codel,
}

/// The table form of `queue`, every key optional; which apply depends on `kind`.
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueTable {
    #[serde(default)]
    kind: QueueKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    limit: Option<u32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "units::opt_size"
    )]
    bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min: Option<Threshold>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max: Option<Threshold>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "units::opt_probability"
    )]
    max_p: Option<f64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "units::opt_probability"
    )]
    weight: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gentle: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    avpkt: Option<u32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "units::opt_duration"
    )]
    target: Option<Duration>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "units::opt_duration"
    )]
    interval: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ecn: Option<bool>,
}

/// RED's defaults: Floyd's recommendations ("RED: Discussions of Setting Parameters",
/// 1997: `max_p` 0.1, `w_q` 0.002, `max_th` three times `min_th`) with ns-2's `thresh_ 5`,
/// and tc-red(8)'s `avpkt 1000`.
const RED_MIN: f64 = 5.0;
const RED_MAX: f64 = 15.0;
const RED_MAX_P: f64 = 0.1;
const RED_WEIGHT: f64 = 0.002;
const RED_AVPKT: u32 = 1000;
/// CoDel's defaults (RFC 8289 §4.2, §4.3).
const CODEL_TARGET: Duration = Duration::from_millis(5);
const CODEL_INTERVAL: Duration = Duration::from_millis(100);

impl QueueTable {
    /// The keys set that `kind` does not take.
    fn foreign_keys(&self) -> Vec<&'static str> {
        let red = [
            ("min", self.min.is_some()),
            ("max", self.max.is_some()),
            ("max_p", self.max_p.is_some()),
            ("weight", self.weight.is_some()),
            ("gentle", self.gentle.is_some()),
            ("avpkt", self.avpkt.is_some()),
        ];
        let aqm = [("ecn", self.ecn.is_some())];
        let codel = [
            ("target", self.target.is_some()),
            ("interval", self.interval.is_some()),
        ];
        let foreign: Vec<(&'static str, bool)> = match self.kind {
            QueueKind::DropTail => (red.iter().chain(codel.iter()).chain(aqm.iter()))
                .copied()
                .collect(),
            QueueKind::Red => codel.to_vec(),
            QueueKind::Codel => red.to_vec(),
        };
        foreign
            .into_iter()
            .filter(|&(_, set)| set)
            .map(|(k, _)| k)
            .collect()
    }

    /// RED's thresholds: both in packets (each defaulting to Floyd's), or both sizes.
    fn thresholds(&self) -> Result<(Threshold, Threshold), String> {
        match (self.min, self.max) {
            (Some(Threshold::Bytes(_)), None) | (None, Some(Threshold::Bytes(_))) => Err(
                "with `min` or `max` a size in bytes, give both (tc-red's `min` and `max`)".into(),
            ),
            (Some(Threshold::Bytes(_)), Some(Threshold::Packets(_)))
            | (Some(Threshold::Packets(_)), Some(Threshold::Bytes(_))) => {
                Err("`min` and `max` must both be packets (numbers) or both sizes in bytes".into())
            }
            (min, max) => Ok((
                min.unwrap_or(Threshold::Packets(RED_MIN)),
                max.unwrap_or(Threshold::Packets(RED_MAX)),
            )),
        }
    }

    /// The queue the table describes, or why its RED thresholds cannot be read.
    fn resolve(self) -> Result<Queue, String> {
        Ok(match self.kind {
            QueueKind::DropTail => Queue::DropTail {
                limit: match (self.limit, self.bytes) {
                    (None, None) => Some(DEFAULT_QUEUE),
                    (limit, _) => limit,
                },
                bytes: self.bytes,
            },
            QueueKind::Red => {
                let (min, max) = self.thresholds()?;
                Queue::Red {
                    limit: self.limit.unwrap_or(DEFAULT_QUEUE),
                    bytes: self.bytes,
                    min,
                    max,
                    max_p: self.max_p.unwrap_or(RED_MAX_P),
                    weight: self.weight.unwrap_or(RED_WEIGHT),
                    gentle: self.gentle.unwrap_or(false),
                    avpkt: self.avpkt.unwrap_or(RED_AVPKT),
                    ecn: self.ecn.unwrap_or(false),
                }
            }
            QueueKind::Codel => Queue::CoDel {
                limit: self.limit.unwrap_or(DEFAULT_CODEL_LIMIT),
                bytes: self.bytes,
                target: self.target.unwrap_or(CODEL_TARGET),
                interval: self.interval.unwrap_or(CODEL_INTERVAL),
                ecn: self.ecn.unwrap_or(false),
            },
        })
    }
}

impl Serialize for Queue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Queue::DropTail {
                limit: Some(n),
                bytes: None,
            } => s.serialize_u32(n),
            Queue::DropTail { limit, bytes } => QueueTable {
                kind: QueueKind::DropTail,
                limit,
                bytes,
                ..QueueTable::default()
            }
            .serialize(s),
            Queue::Red {
                limit,
                bytes,
                min,
                max,
                max_p,
                weight,
                gentle,
                avpkt,
                ecn,
            } => QueueTable {
                kind: QueueKind::Red,
                limit: Some(limit),
                bytes,
                min: Some(min),
                max: Some(max),
                max_p: Some(max_p),
                weight: Some(weight),
                gentle: Some(gentle),
                avpkt: Some(avpkt),
                // Shown only when on, so that manifests of queues without it read as before.
                ecn: ecn.then_some(true),
                ..QueueTable::default()
            }
            .serialize(s),
            Queue::CoDel {
                limit,
                bytes,
                target,
                interval,
                ecn,
            } => QueueTable {
                kind: QueueKind::Codel,
                limit: Some(limit),
                bytes,
                target: Some(target),
                interval: Some(interval),
                ecn: ecn.then_some(true),
                ..QueueTable::default()
            }
            .serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Queue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Queue, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Queue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a number of packets, or a table { kind = \"drop-tail\", \"red\" or \"codel\", ... }",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Queue, E> {
                u32::try_from(v).map(Queue::packets).map_err(|_| {
                    E::custom(format!(
                        "expected a number of packets in 0..=4294967295, found {v}"
                    ))
                })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Queue, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Queue, A::Error> {
                // Deserializing through the map keeps each key's span for errors.
                let t = QueueTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let foreign = t.foreign_keys();
                if let Some(key) = foreign.first() {
                    let kind = match t.kind {
                        QueueKind::DropTail => "drop-tail",
                        QueueKind::Red => "red",
                        QueueKind::Codel => "codel",
                    };
                    let owner = if ["target", "interval"].contains(key) {
                        "codel"
                    } else if *key == "ecn" {
                        "red\" or kind = \"codel"
                    } else {
                        "red"
                    };
                    return Err(de::Error::custom(format!(
                        "`{key}` is a key of kind = \"{owner}\", not of kind = \"{kind}\"{}",
                        if t.kind == QueueKind::DropTail {
                            " (the default kind)"
                        } else {
                            ""
                        }
                    )));
                }
                t.resolve().map_err(de::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// `reorder = { probability, delay }`: with this probability a packet is held back by an
/// extra `delay`, so later packets overtake it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reorder {
    /// Probability that a packet is delayed.
    #[serde(with = "units::probability")]
    pub probability: f64,
    /// The extra delay.
    #[serde(with = "units::duration")]
    pub delay: Duration,
}

/// `stale = { probability, max_age }`: with this probability a copy of the packet is kept
/// and delivered again after a uniform delay in (0, max_age] — an old duplicate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stale {
    /// Probability that a packet leaves a stale copy.
    #[serde(with = "units::probability")]
    pub probability: f64,
    /// The longest a copy waits before its second delivery.
    #[serde(with = "units::duration")]
    pub max_age: Duration,
}

/// The per-direction keys of a link, declared once. A row is `key: Type = default`, or
/// `key: Type` for a key that is absent by default (resolved as `Option<Type>`), followed
/// by `=> "module", "opt_module"` where serde reads and writes the value with those `with`
/// modules (the first for the resolved value, the second for the key as written, an
/// `Option`). From the table come:
/// - the field of [`LinkParams`], documented by the row's doc comment, and its default;
/// - the optional field of [`LinkOverrides`] (`[link.forward]`, `[link.reverse]`) and of
///   `RawLink` (the shared keys of `[[link]]`), with their serde attributes (serde's lists
///   of these fields are the ones an unknown key is matched against and suggested from);
/// - the line of `RawLink::shared` and of `LinkOverrides::resolve` that carries it.
///
/// The rows' order is the keys' order in manifests and in error messages.
macro_rules! link_keys {
    (@resolved $ty:ty) => { Option<$ty> };
    (@resolved $ty:ty = $default:expr) => { $ty };
    (@default) => { None };
    (@default $default:expr) => { $default };
    (@or_default $value:expr) => { $value };
    (@or_default $value:expr, $default:expr) => { $value.unwrap_or($default) };
    ($(
        $(#[doc = $doc:literal])*
        $key:ident: $ty:ty $(= $default:expr)? $(=> $with:literal, $opt_with:literal)?,
    )*) => {
        /// What one direction of a link does to packets.
        #[derive(Clone, Debug, PartialEq, Serialize)]
        pub struct LinkParams {
            $(
                $(#[doc = $doc])*
                $(#[serde(with = $with)])?
                pub $key: link_keys!(@resolved $ty $(= $default)?),
            )*
        }

        impl Default for LinkParams {
            fn default() -> LinkParams {
                LinkParams {
                    $($key: link_keys!(@default $($default)?),)*
                }
            }
        }

        /// The keys of `[link.forward]` / `[link.reverse]`: any per-direction key, all
        /// optional.
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct LinkOverrides {
            $(
                #[doc = concat!("See [`LinkParams::", stringify!($key), "`].")]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                $(#[serde(with = $opt_with)])?
                pub $key: Option<$ty>,
            )*
        }

        /// `[[link]]` as written.
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(crate) struct RawLink {
            /// The link's name.
            pub name: String,
            /// The two hosts: exactly two (serde's arrays would ignore any more).
            #[serde(deserialize_with = "two_hosts")]
            pub between: [String; 2],
            /// Overrides for `between[0]` → `between[1]`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub forward: Option<LinkOverrides>,
            /// Overrides for `between[1]` → `between[0]`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub reverse: Option<LinkOverrides>,
            $(
                #[doc = concat!("See [`LinkParams::", stringify!($key), "`].")]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                $(#[serde(with = $opt_with)])?
                pub $key: Option<$ty>,
            )*
        }

        impl RawLink {
            /// The keys at the top of the link, which apply to both directions.
            fn shared(&self) -> LinkOverrides {
                LinkOverrides {
                    $($key: self.$key,)*
                }
            }
        }

        impl LinkOverrides {
            /// One direction: this table's key, else the shared key, else the default.
            fn resolve(&self, shared: &LinkOverrides) -> LinkParams {
                LinkParams {
                    $($key: link_keys!(@or_default self.$key.or(shared.$key) $(, $default)?),)*
                }
            }
        }
    };
}

link_keys! {
    /// Propagation delay. Default 0.
    delay: Duration = Duration::ZERO => "units::duration", "units::opt_duration",
    /// Each packet's delay varies uniformly in `delay ± jitter`. Default 0; at most `delay`.
    jitter: Duration = Duration::ZERO => "units::duration", "units::opt_duration",
    /// Bits per second; `None` (the default) is infinitely fast, with no queueing.
    bandwidth: u64 => "units::opt_rate", "units::opt_rate",
    /// The queue in front of the link (used only with a `bandwidth`): drop-tail in packets
    /// (`queue = 100`) or bytes, RED or CoDel. Default drop-tail of [`DEFAULT_QUEUE`]
    /// packets (100, as ns-3).
    queue: Queue = Queue::default(),
    /// Random loss. Default none.
    loss: Loss = Loss::Probability(0.0),
    /// Probability that a packet is delivered twice. Default 0.
    duplicate: f64 = 0.0 => "units::probability", "units::opt_probability",
    /// Occasional extra delay that reorders packets. Default none.
    reorder: Reorder,
    /// Old duplicates: a copy kept and delivered again later. Default none.
    stale: Stale,
}

impl RawLink {
    /// Both directions resolved: per-direction key, else shared key, else default.
    pub(crate) fn resolve(&self) -> LinkConfig {
        let shared = self.shared();
        let empty = LinkOverrides::default();
        LinkConfig {
            name: self.name.clone(),
            between: self.between.clone(),
            forward: self.forward.as_ref().unwrap_or(&empty).resolve(&shared),
            reverse: self.reverse.as_ref().unwrap_or(&empty).resolve(&shared),
        }
    }
}

/// `between`: an array of exactly two host names.
fn two_hosts<'de, D: serde::Deserializer<'de>>(d: D) -> Result<[String; 2], D::Error> {
    let hosts = Vec::<String>::deserialize(d)?;
    <[String; 2]>::try_from(hosts)
        .map_err(|h| serde::de::Error::invalid_length(h.len(), &"an array of 2 host names"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gilbert_elliott_mean() {
        let ge = Loss::GilbertElliott {
            p: 0.01,
            r: 0.3,
            k: 1.0,
            h: 0.0,
        };
        assert!((ge.mean() - 0.01 / 0.31).abs() < 1e-12);
        assert_eq!(Loss::Probability(0.2).mean(), 0.2);
    }
}
