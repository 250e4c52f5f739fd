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
    Config, Congestion, CwndGrowth, EcnMode, Handshake, IdleRestart, Isn, ListenQueues,
    LossRecovery, PassiveClose, PortRange, Profile, RttEstimation, Rules, SynCookies, TwReuse,
};

use super::units;

/// The `[tcp]` keys, declared once. A row is `key: Type`, with `=> "module"` where the value
/// is read and written by a serde `with` module (for an `Option<Type>`). The key names a
/// field of [`Config`] of that type (the compiler checks both), and the row gives:
/// - the optional field of [`TcpOverrides`], with its serde attributes (serde's list of
///   these fields is the one an unknown key is matched against and suggested from);
/// - its line in [`TcpOverrides::apply`], whose `Config` initializer also makes a field of
///   [`Config`] without a row fail to compile.
///
/// The rows' order is the keys' order, after `profile`, in manifests and in error messages.
/// A field's generated doc links to the field of [`Config`] of its name, then adds the
/// row's doc comment: a value's meaning and defaults are documented on [`Config`] alone.
macro_rules! tcp_keys {
    ($($(#[doc = $doc:literal])* $key:ident: $ty:ty $(=> $with:literal)?,)*) => {
        /// Settings that override a TCP profile. Every field is optional; absent means
        /// "inherit".
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct TcpOverrides {
            /// `"linux"` (the default) or `"rfc"`: which [`Config`] the other keys modify. A
            /// host's `profile` replaces the global one as its base.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub profile: Option<Profile>,
            $(
                #[doc = concat!("See [`Config::", stringify!($key), "`].")]
                $(#[doc = $doc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                $(#[serde(with = $with)])?
                pub $key: Option<$ty>,
            )*
        }

        /// The keys after `profile`, in order: the key, the Rust type of its value, and the
        /// row's note on how the value is written (empty where the type says it). What
        /// `synack explain` and docs/reference.md show of each key's type (`crate::schema`).
        pub(crate) const TCP_KEYS: &[(&str, &str, &str)] = &[
            $((stringify!($key), stringify!($ty), concat!("" $(, $doc)*)),)*
        ];

        impl TcpOverrides {
            /// `base` with every key this table sets replaced.
            fn apply(&self, base: &Config) -> Config {
                Config {
                    $($key: self.$key.unwrap_or(base.$key),)*
                }
            }
        }
    };
}

tcp_keys! {
    mss: u32,
    sack: bool,
    timestamps: bool,
    window_scaling: bool,
    msl: Duration => "units::opt_duration",
    time_wait: bool,
    handshake: Handshake,
    passive_close: PassiveClose,
    initial_rto: Duration => "units::opt_duration",
    min_rto: Duration => "units::opt_duration",
    max_rto: Duration => "units::opt_duration",
    rtt_estimation: RttEstimation,
    syn_retries: u32,
    synack_retries: u32,
    syn_queue_pruning: bool,
    /// `"linux"` or `"rfc9293"`.
    syn_received_rules: Rules,
    syn_linear_timeouts: u32,
    /// Segments, or `"rfc3390"`.
    init_cwnd: Option<u32> => "rfc3390_or_segments",
    slow_start_after_idle: IdleRestart,
    /// A duration, or `"off"`.
    delayed_ack: Option<Duration> => "off_or_duration",
    quick_ack: bool,
    congestion: Congestion,
    cwnd_growth: CwndGrowth,
    recovery: LossRecovery,
    tail_loss_probe: bool,
    send_buffer: u64 => "units::opt_size",
    recv_buffer: u64 => "units::opt_size",
    recv_autotuning: bool,
    isn: Isn,
    backlog: u32,
    accept_queue: u32,
    listen_queues: ListenQueues,
    somaxconn: u32,
    max_syn_backlog: u32,
    /// 0, 1 or 2 (`false` and `true` read as 0 and 1).
    syn_cookies: SynCookies,
    abort_on_overflow: bool,
    rfc1337: bool,
    /// `"linux"` or `"rfc9293"`.
    time_wait_rules: Rules,
    invalid_ratelimit: Duration => "units::opt_duration",
    rst_ack: bool,
    /// A duration, or `"none"`.
    fin_timeout: Option<Duration> => "none_or_duration",
    /// A duration, or `"none"`.
    user_timeout: Option<Duration> => "none_or_duration",
    timer_wheel_hz: u32,
    /// `"FIRST-LAST"`.
    ephemeral_ports: PortRange,
    /// 0, 1 or 2 (`false` and `true` read as 0 and 1).
    tw_reuse: TwReuse,
    tw_reuse_delay: Duration => "units::opt_duration",
    /// A number of sockets, or `"none"`.
    max_tw_buckets: Option<u32> => "none_or_count",
    /// 0, 1 or 2 (`false` and `true` read as 0 and 1).
    ecn: EcnMode,
}

impl TcpOverrides {
    /// The one place where TCP settings are resolved: the profile (`host`'s if it names
    /// one, else `global`'s, else Linux), then `global`'s keys, then `host`'s keys.
    pub fn resolve(global: &TcpOverrides, host: Option<&TcpOverrides>) -> Config {
        let profile = host
            .and_then(|h| h.profile)
            .or(global.profile)
            .unwrap_or_default();
        let config = global.apply(&profile.config());
        match host {
            Some(host) => host.apply(&config),
            None => config,
        }
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

/// A count, or one word in its place: `what` names the unit in messages, `example` a
/// typical value, `lowest` the smallest the key means.
struct WordOrCount {
    word: &'static str,
    what: &'static str,
    example: u32,
    lowest: u32,
}

impl WordOrCount {
    fn serialize<S: serde::Serializer>(
        &self,
        v: &Option<Option<u32>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(Some(n)) => s.serialize_u32(*n),
            Some(None) => s.serialize_str(self.word),
            None => s.serialize_none(),
        }
    }

    fn deserialize<'de, D: serde::Deserializer<'de>>(
        &'static self,
        d: D,
    ) -> Result<Option<Option<u32>>, D::Error> {
        struct V(&'static WordOrCount);
        impl serde::de::Visitor<'_> for V {
            type Value = Option<u32>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let w = self.0;
                write!(
                    f,
                    "a number of {} such as {}, or \"{}\"",
                    w.what, w.example, w.word
                )
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Option<u32>, E> {
                let w = self.0;
                u32::try_from(v).map(Some).map_err(|_| {
                    E::custom(format!(
                        "expected a number of {} from {} to {}, or \"{}\"; found {v}",
                        w.what,
                        w.lowest,
                        u32::MAX,
                        w.word
                    ))
                })
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Option<u32>, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<u32>, E> {
                let w = self.0;
                if v == w.word {
                    Ok(None)
                } else {
                    Err(E::custom(format!(
                        "expected a number of {} such as {}, or \"{}\"; found \"{v}\"",
                        w.what, w.example, w.word
                    )))
                }
            }
        }
        d.deserialize_any(V(self)).map(Some)
    }
}

/// A `serde(with = ...)` module for each key that takes a count or a word.
macro_rules! word_or_count {
    ($($(#[doc = $doc:literal])* $module:ident = $word:literal, $what:literal, $example:literal, $lowest:literal;)*) => {$(
        $(#[doc = $doc])*
        mod $module {
            use super::*;
            static W: WordOrCount = WordOrCount { word: $word, what: $what, example: $example, lowest: $lowest };
            pub fn serialize<S: serde::Serializer>(
                v: &Option<Option<u32>>,
                s: S,
            ) -> Result<S::Ok, S::Error> {
                W.serialize(v, s)
            }
            pub fn deserialize<'de, D: serde::Deserializer<'de>>(
                d: D,
            ) -> Result<Option<Option<u32>>, D::Error> {
                W.deserialize(d)
            }
        }
    )*};
}

word_or_count! {
    /// `init_cwnd`: a number of segments, or `"rfc3390"` (RFC 3390's formula).
    rfc3390_or_segments = "rfc3390", "segments", 10, 1;
    /// `max_tw_buckets`: a number of sockets, or `"none"` (no limit).
    none_or_count = "none", "sockets", 262144, 0;
}

/// A `serde(with = ...)` module for each word a duration may be replaced by.
macro_rules! word_or_duration {
    ($($(#[doc = $doc:literal])* $module:ident = $word:literal;)*) => {$(
        $(#[doc = $doc])*
        mod $module {
            use super::*;
            const W: WordOrDuration = WordOrDuration($word);
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
    )*};
}

word_or_duration! {
    /// `delayed_ack`: a duration or `"off"`.
    off_or_duration = "off";
    /// `fin_timeout`: a duration or `"none"`.
    none_or_duration = "none";
}
