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

/// What one direction of a link does to packets.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkParams {
    /// Propagation delay. Default 0.
    #[serde(with = "units::duration")]
    pub delay: Duration,
    /// Each packet's delay varies uniformly in `delay ± jitter`. Default 0; at most `delay`.
    #[serde(with = "units::duration")]
    pub jitter: Duration,
    /// Bits per second; `None` (the default) is infinitely fast, with no queueing.
    #[serde(with = "units::opt_rate")]
    pub bandwidth: Option<u64>,
    /// Drop-tail queue limit in packets (used only with a `bandwidth`).
    /// Default [`DEFAULT_QUEUE`] (100, as ns-3).
    pub queue: u32,
    /// Random loss. Default none.
    pub loss: Loss,
    /// Probability that a packet is delivered twice. Default 0.
    pub duplicate: f64,
    /// Occasional extra delay that reorders packets. Default none.
    pub reorder: Option<Reorder>,
    /// Old duplicates: a copy kept and delivered again later. Default none.
    pub stale: Option<Stale>,
}

impl Default for LinkParams {
    fn default() -> LinkParams {
        LinkParams {
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            bandwidth: None,
            queue: DEFAULT_QUEUE,
            loss: Loss::Probability(0.0),
            duplicate: 0.0,
            reorder: None,
            stale: None,
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

/// Declares the per-direction keys once, for both the shared part of `[[link]]` and the
/// `[link.forward]` / `[link.reverse]` tables.
macro_rules! link_keys {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($extra:tt)* }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        $vis struct $name {
            $($extra)*
            /// Propagation delay.
            #[serde(default, with = "units::opt_duration", skip_serializing_if = "Option::is_none")]
            pub delay: Option<Duration>,
            /// Uniform ± variation of the delay.
            #[serde(default, with = "units::opt_duration", skip_serializing_if = "Option::is_none")]
            pub jitter: Option<Duration>,
            /// Bits per second.
            #[serde(default, with = "units::opt_rate", skip_serializing_if = "Option::is_none")]
            pub bandwidth: Option<u64>,
            /// Drop-tail queue limit in packets.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub queue: Option<u32>,
            /// Loss model.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub loss: Option<Loss>,
            /// Duplication probability.
            #[serde(default, with = "units::opt_probability", skip_serializing_if = "Option::is_none")]
            pub duplicate: Option<f64>,
            /// Reordering.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub reorder: Option<Reorder>,
            /// Stale duplicates.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub stale: Option<Stale>,
        }
    };
}

link_keys! {
    /// The keys of `[link.forward]` / `[link.reverse]`: any per-direction key, all optional.
    pub struct LinkOverrides {}
}

link_keys! {
    /// `[[link]]` as written.
    pub(crate) struct RawLink {
        /// The link's name.
        pub name: String,
        /// The two hosts.
        pub between: [String; 2],
        /// Overrides for `between[0]` → `between[1]`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub forward: Option<LinkOverrides>,
        /// Overrides for `between[1]` → `between[0]`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub reverse: Option<LinkOverrides>,
    }
}

impl RawLink {
    /// Both directions resolved: per-direction key, else shared key, else default.
    pub(crate) fn resolve(&self) -> LinkConfig {
        let shared = LinkOverrides {
            delay: self.delay,
            jitter: self.jitter,
            bandwidth: self.bandwidth,
            queue: self.queue,
            loss: self.loss,
            duplicate: self.duplicate,
            reorder: self.reorder,
            stale: self.stale,
        };
        let empty = LinkOverrides::default();
        LinkConfig {
            name: self.name.clone(),
            between: self.between.clone(),
            forward: resolve(self.forward.as_ref().unwrap_or(&empty), &shared),
            reverse: resolve(self.reverse.as_ref().unwrap_or(&empty), &shared),
        }
    }
}

fn resolve(dir: &LinkOverrides, shared: &LinkOverrides) -> LinkParams {
    let d = LinkParams::default();
    LinkParams {
        delay: dir.delay.or(shared.delay).unwrap_or(d.delay),
        jitter: dir.jitter.or(shared.jitter).unwrap_or(d.jitter),
        bandwidth: dir.bandwidth.or(shared.bandwidth),
        queue: dir.queue.or(shared.queue).unwrap_or(d.queue),
        loss: dir.loss.or(shared.loss).unwrap_or(d.loss),
        duplicate: dir.duplicate.or(shared.duplicate).unwrap_or(d.duplicate),
        reorder: dir.reorder.or(shared.reorder),
        stale: dir.stale.or(shared.stale),
    }
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
