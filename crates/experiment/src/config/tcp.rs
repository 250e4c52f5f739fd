//! `[tcp]` and `host.<name>.tcp`: overrides of a TCP profile.
//!
//! Both tables take the same keys, all optional. Resolution happens in one place,
//! [`TcpOverrides::resolve`]: the profile (the host's if it names one, else the global one,
//! else `linux`) gives the base; the global `[tcp]` keys override it; the host's keys
//! override those. The defaults and their sources are documented on
//! [`synack_tcp::config::Config`].

use serde::{Deserialize, Serialize};
use synack_sim::Duration;
use synack_tcp::config::{
    Config, Congestion, CwndGrowth, Handshake, Isn, PassiveClose, PortRange, Profile,
};

use super::units;

/// Settings that override a TCP profile. Every field is optional; absent means "inherit".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TcpOverrides {
    /// `"linux"` (the default) or `"rfc"`: which [`Config`] the other keys modify. A host's
    /// `profile` replaces the global one as its base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// See [`Config::mss`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mss: Option<u32>,
    /// See [`Config::msl`].
    #[serde(
        default,
        with = "units::opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub msl: Option<Duration>,
    /// See [`Config::time_wait`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_wait: Option<bool>,
    /// See [`Config::handshake`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake: Option<Handshake>,
    /// See [`Config::passive_close`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passive_close: Option<PassiveClose>,
    /// See [`Config::initial_rto`].
    #[serde(
        default,
        with = "units::opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub initial_rto: Option<Duration>,
    /// See [`Config::min_rto`].
    #[serde(
        default,
        with = "units::opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub min_rto: Option<Duration>,
    /// See [`Config::max_rto`].
    #[serde(
        default,
        with = "units::opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_rto: Option<Duration>,
    /// See [`Config::syn_retries`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syn_retries: Option<u32>,
    /// See [`Config::synack_retries`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synack_retries: Option<u32>,
    /// See [`Config::syn_linear_timeouts`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syn_linear_timeouts: Option<u32>,
    /// See [`Config::init_cwnd`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_cwnd: Option<u32>,
    /// See [`Config::delayed_ack`]: a duration, or `"off"`.
    #[serde(
        default,
        with = "off_or_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub delayed_ack: Option<Option<Duration>>,
    /// See [`Config::congestion`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub congestion: Option<Congestion>,
    /// See [`Config::cwnd_growth`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwnd_growth: Option<CwndGrowth>,
    /// See [`Config::send_buffer`].
    #[serde(
        default,
        with = "units::opt_size",
        skip_serializing_if = "Option::is_none"
    )]
    pub send_buffer: Option<u64>,
    /// See [`Config::recv_buffer`].
    #[serde(
        default,
        with = "units::opt_size",
        skip_serializing_if = "Option::is_none"
    )]
    pub recv_buffer: Option<u64>,
    /// See [`Config::isn`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isn: Option<Isn>,
    /// See [`Config::backlog`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog: Option<u32>,
    /// See [`Config::accept_queue`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept_queue: Option<u32>,
    /// See [`Config::syn_cookies`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub syn_cookies: Option<bool>,
    /// See [`Config::rfc1337`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfc1337: Option<bool>,
    /// See [`Config::fin_timeout`]: a duration, or `"none"`.
    #[serde(
        default,
        with = "none_or_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub fin_timeout: Option<Option<Duration>>,
    /// See [`Config::ephemeral_ports`]: `"FIRST-LAST"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_ports: Option<PortRange>,
}

impl TcpOverrides {
    /// The one place where TCP settings are resolved: the profile (`host`'s if it names
    /// one, else `global`'s, else Linux), then `global`'s keys, then `host`'s keys.
    pub fn resolve(global: &TcpOverrides, host: Option<&TcpOverrides>) -> Config {
        let profile = host
            .and_then(|h| h.profile)
            .or(global.profile)
            .unwrap_or_default();
        let mut config = profile.config();
        global.apply(&mut config);
        if let Some(host) = host {
            host.apply(&mut config);
        }
        config
    }

    /// Writes every key this table sets into `c`.
    fn apply(&self, c: &mut Config) {
        fn set<T: Copy>(field: &mut T, value: Option<T>) {
            if let Some(v) = value {
                *field = v;
            }
        }
        set(&mut c.mss, self.mss);
        set(&mut c.msl, self.msl);
        set(&mut c.time_wait, self.time_wait);
        set(&mut c.handshake, self.handshake);
        set(&mut c.passive_close, self.passive_close);
        set(&mut c.initial_rto, self.initial_rto);
        set(&mut c.min_rto, self.min_rto);
        set(&mut c.max_rto, self.max_rto);
        set(&mut c.syn_retries, self.syn_retries);
        set(&mut c.synack_retries, self.synack_retries);
        set(&mut c.syn_linear_timeouts, self.syn_linear_timeouts);
        set(&mut c.init_cwnd, self.init_cwnd);
        set(&mut c.delayed_ack, self.delayed_ack);
        set(&mut c.congestion, self.congestion);
        set(&mut c.cwnd_growth, self.cwnd_growth);
        set(&mut c.send_buffer, self.send_buffer);
        set(&mut c.recv_buffer, self.recv_buffer);
        set(&mut c.isn, self.isn);
        set(&mut c.backlog, self.backlog);
        set(&mut c.accept_queue, self.accept_queue);
        set(&mut c.syn_cookies, self.syn_cookies);
        set(&mut c.rfc1337, self.rfc1337);
        set(&mut c.fin_timeout, self.fin_timeout);
        set(&mut c.ephemeral_ports, self.ephemeral_ports);
    }
}

/// A duration, or one word meaning "no duration".
struct WordOrDuration(&'static str);

impl WordOrDuration {
    fn deserialize<'de, D: serde::Deserializer<'de>>(
        &self,
        d: D,
    ) -> Result<Option<Option<Duration>>, D::Error> {
        struct V(&'static str);
        impl serde::de::Visitor<'_> for V {
            type Value = Option<Duration>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "a duration such as \"40ms\", or \"{}\"", self.0)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<Duration>, E> {
                if v == self.0 {
                    return Ok(None);
                }
                units::parse_duration(v).map(Some).map_err(|e| {
                    // A number gets the duration's own diagnosis (negative, missing unit).
                    if v.trim_start()
                        .starts_with(|c: char| c.is_ascii_digit() || c == '-')
                    {
                        E::custom(format!("{e} (or \"{}\")", self.0))
                    } else {
                        E::custom(format!(
                            "expected a duration such as \"40ms\", or \"{}\"; found \"{v}\"",
                            self.0
                        ))
                    }
                })
            }
        }
        d.deserialize_any(V(self.0)).map(Some)
    }

    fn serialize<S: serde::Serializer>(
        &self,
        v: &Option<Option<Duration>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(Some(d)) => s.collect_str(d),
            Some(None) => s.serialize_str(self.0),
            None => s.serialize_none(),
        }
    }
}

/// `delayed_ack`: a duration or `"off"`.
mod off_or_duration {
    use super::*;
    const W: WordOrDuration = WordOrDuration("off");
    pub fn serialize<S: serde::Serializer>(
        v: &Option<Option<Duration>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        W.serialize(v, s)
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<Duration>>, D::Error> {
        W.deserialize(d)
    }
}

/// `fin_timeout`: a duration or `"none"`.
mod none_or_duration {
    use super::*;
    const W: WordOrDuration = WordOrDuration("none");
    pub fn serialize<S: serde::Serializer>(
        v: &Option<Option<Duration>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        W.serialize(v, s)
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<Duration>>, D::Error> {
        W.deserialize(d)
    }
}
