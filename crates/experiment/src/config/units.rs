//! Quantities with units, as experiment files write them.
//!
//! - Durations: a string, a decimal number and a unit: `"10ms"`, `"1.5s"`, `"250us"`, `"2min"`.
//!   Units `ns`, `us` (or `µs`), `ms`, `s`, `min`. A unit is required and the value must be a
//!   whole number of nanoseconds; negative values are rejected.
//! - Sizes: `"50MB"`, `"4MiB"`, `"1500B"`, or a bare integer of bytes. `KB`, `MB`, `GB` are
//!   powers of 1000; `KiB`, `MiB`, `GiB` powers of 1024.
//! - Rates: `"100Mbps"`; units `bps`, `Kbps` (or `kbps`), `Mbps`, `Gbps`, powers of 1000.
//! - Probabilities: a number in [0, 1].
//!
//! Decimal fractions are converted exactly (no float rounding): `"1.5s"` is exactly
//! 1 500 000 000 ns, and `"1.5ns"` is an error rather than a silent rounding.
//!
//! Each quantity has a `serde(with = ...)` module here, so the typed structs keep plain
//! [`Duration`] and integer fields.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};
use synack_sim::Duration;

/// Duration units and their length in nanoseconds.
const DURATION_UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("min", 60_000_000_000),
];
const DURATION_UNIT_NAMES: &str = "ns, us, ms, s, min";

/// Size units and their length in bytes.
const SIZE_UNITS: &[(&str, u128)] = &[
    ("B", 1),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
];
const SIZE_UNIT_NAMES: &str = "B, KB, MB, GB, KiB, MiB, GiB";

/// Rate units and their value in bits per second.
const RATE_UNITS: &[(&str, u128)] = &[
    ("bps", 1),
    ("Kbps", 1_000),
    ("kbps", 1_000),
    ("Mbps", 1_000_000),
    ("Gbps", 1_000_000_000),
];
const RATE_UNIT_NAMES: &str = "bps, Kbps, Mbps, Gbps";

/// One kind of quantity: its name, example, units.
struct Quantity {
    what: &'static str,
    example: &'static str,
    units: &'static [(&'static str, u128)],
    unit_names: &'static str,
    /// The smallest step, for "not a whole number of ..." errors.
    grain: &'static str,
    /// Two units to suggest when a unit is missing.
    hint: [&'static str; 2],
}

const DURATION: Quantity = Quantity {
    what: "duration",
    example: "\"30s\"",
    units: DURATION_UNITS,
    unit_names: DURATION_UNIT_NAMES,
    grain: "nanoseconds",
    hint: ["s", "ms"],
};
const SIZE: Quantity = Quantity {
    what: "size",
    example: "\"50MB\"",
    units: SIZE_UNITS,
    unit_names: SIZE_UNIT_NAMES,
    grain: "bytes",
    hint: ["B", "KB"],
};
const RATE: Quantity = Quantity {
    what: "rate",
    example: "\"100Mbps\"",
    units: RATE_UNITS,
    unit_names: RATE_UNIT_NAMES,
    grain: "bits per second",
    hint: ["Mbps", "Kbps"],
};

/// Parses `"<decimal><unit>"` exactly into a count of the quantity's base unit.
/// `bare` is the scale used when no unit is written (`None`: a unit is required).
fn parse_quantity(s: &str, q: &Quantity, bare: Option<u128>) -> Result<u64, String> {
    let t = s.trim();
    if t.starts_with('-') {
        return Err(format!("a {} cannot be negative, found \"{s}\"", q.what));
    }
    let t = t.strip_prefix('+').unwrap_or(t);
    let num_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = (&t[..num_end], t[num_end..].trim());
    let not_a_quantity = || {
        format!(
            "expected a {} such as {} (units: {}), found \"{s}\"",
            q.what, q.example, q.unit_names
        )
    };
    let too_large = || format!("{} \"{s}\" is too large", q.what);
    let (mantissa, frac_digits) = match parse_decimal(num) {
        Ok(parts) => parts,
        Err(Decimal::Syntax) => return Err(not_a_quantity()),
        Err(Decimal::Overflow) => return Err(too_large()),
    };
    let scale = if unit.is_empty() {
        match bare {
            Some(scale) => scale,
            None => {
                let [a, b] = q.hint;
                return Err(format!(
                    "missing unit in \"{s}\": write for example \"{num}{a}\" or \"{num}{b}\" \
                     (units: {})",
                    q.unit_names
                ));
            }
        }
    } else {
        match q.units.iter().find(|(name, _)| *name == unit) {
            Some((_, scale)) => *scale,
            None => {
                let mut msg = format!(
                    "unknown unit `{unit}` in \"{s}\"; expected one of: {}",
                    q.unit_names
                );
                let names: Vec<&str> = q.units.iter().map(|(n, _)| *n).collect();
                if let Some(best) = crate::config::error::suggest(unit, names.iter().copied()) {
                    msg.push_str(&format!("; did you mean `{best}`?"));
                }
                return Err(msg);
            }
        }
    };
    let scaled = mantissa.checked_mul(scale).ok_or_else(too_large)?;
    let divisor = 10u128.checked_pow(frac_digits).ok_or_else(too_large)?;
    if scaled % divisor != 0 {
        return Err(format!("\"{s}\" is not a whole number of {}", q.grain));
    }
    u64::try_from(scaled / divisor).map_err(|_| too_large())
}

/// Why a decimal number did not parse.
enum Decimal {
    Syntax,
    Overflow,
}

/// `"12.345"` → (12345, 3). At least one digit before any point; at most one point, with
/// digits after it.
fn parse_decimal(num: &str) -> Result<(u128, u32), Decimal> {
    let (int, frac) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num, ""),
    };
    if int.is_empty() || frac.contains('.') || num.ends_with('.') {
        return Err(Decimal::Syntax);
    }
    let mut mantissa: u128 = 0;
    for c in int.chars().chain(frac.chars()) {
        let d = c.to_digit(10).ok_or(Decimal::Syntax)?;
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(u128::from(d)))
            .ok_or(Decimal::Overflow)?;
    }
    let frac_digits = u32::try_from(frac.len()).map_err(|_| Decimal::Overflow)?;
    Ok((mantissa, frac_digits))
}

/// Parses a duration string: `"10ms"`, `"1.5s"`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    parse_quantity(s, &DURATION, None).map(Duration::from_nanos)
}

/// Parses a size string: `"50MB"`, `"4MiB"`, `"1500"` (bytes).
pub fn parse_size(s: &str) -> Result<u64, String> {
    parse_quantity(s, &SIZE, Some(1))
}

/// Parses a rate string into bits per second: `"100Mbps"`.
pub fn parse_rate(s: &str) -> Result<u64, String> {
    parse_quantity(s, &RATE, None)
}

/// Formats a size with the largest unit that divides it exactly: `50MB`, `4MiB`, `1460B`.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 6] = [
        (1 << 30, "GiB"),
        (1_000_000_000, "GB"),
        (1 << 20, "MiB"),
        (1_000_000, "MB"),
        (1 << 10, "KiB"),
        (1_000, "KB"),
    ];
    if bytes == 0 {
        return "0B".to_string();
    }
    for (scale, unit) in UNITS {
        if bytes.checked_rem(scale) == Some(0) {
            return format!("{}{unit}", bytes / scale);
        }
    }
    format!("{bytes}B")
}

/// Formats a rate with the largest unit that divides it exactly: `100Mbps`.
pub fn format_rate(bps: u64) -> String {
    const UNITS: [(u64, &str); 3] = [
        (1_000_000_000, "Gbps"),
        (1_000_000, "Mbps"),
        (1_000, "Kbps"),
    ];
    if bps != 0 {
        for (scale, unit) in UNITS {
            if bps.checked_rem(scale) == Some(0) {
                return format!("{}{unit}", bps / scale);
            }
        }
    }
    format!("{bps}bps")
}

/// A visitor for one kind of quantity; numbers are accepted only where `bare` allows.
struct QuantityVisitor {
    q: &'static Quantity,
    bare: Option<u128>,
}

impl Visitor<'_> for QuantityVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a {} such as {} (units: {})",
            self.q.what, self.q.example, self.q.unit_names
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        parse_quantity(v, self.q, self.bare).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        if v < 0 {
            return Err(E::custom(format!(
                "a {} cannot be negative, found {v}",
                self.q.what
            )));
        }
        self.visit_u64(v as u64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        match self.bare {
            Some(1) => Ok(v),
            _ => Err(E::custom(format!(
                "expected a {} with a unit, such as {}; found the bare number {v} \
                 (units: {})",
                self.q.what, self.q.example, self.q.unit_names
            ))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        if v < 0.0 {
            return Err(E::custom(format!(
                "a {} cannot be negative, found {v}",
                self.q.what
            )));
        }
        Err(E::custom(format!(
            "expected a {} written as a string with a unit, such as {}; found the bare \
             number {v} (units: {})",
            self.q.what, self.q.example, self.q.unit_names
        )))
    }
}

/// `serde(with = "units::duration")` for a required [`Duration`].
pub mod duration {
    use super::*;

    /// Writes `"40ms"`.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(d)
    }

    /// Reads `"40ms"`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        d.deserialize_any(QuantityVisitor {
            q: &DURATION,
            bare: None,
        })
        .map(Duration::from_nanos)
    }
}

/// `serde(with = "units::opt_duration")` for an optional [`Duration`] (absent = `None`).
pub mod opt_duration {
    use super::*;

    /// Writes `"40ms"` or nothing.
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.collect_str(d),
            None => s.serialize_none(),
        }
    }

    /// Reads `"40ms"`; used with `#[serde(default)]`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        super::duration::deserialize(d).map(Some)
    }
}

/// `serde(with = "units::size")` for a size in bytes.
pub mod size {
    use super::*;

    /// Writes the byte count as a number.
    pub fn serialize<S: Serializer>(b: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(*b)
    }

    /// Reads `"50MB"`, `"4MiB"` or a bare integer of bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        d.deserialize_any(QuantityVisitor {
            q: &SIZE,
            bare: Some(1),
        })
    }
}

/// `serde(with = "units::opt_size")` for an optional size in bytes.
pub mod opt_size {
    use super::*;

    /// Writes the byte count, or nothing.
    pub fn serialize<S: Serializer>(b: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match b {
            Some(b) => s.serialize_u64(*b),
            None => s.serialize_none(),
        }
    }

    /// Reads a size; used with `#[serde(default)]`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        super::size::deserialize(d).map(Some)
    }
}

/// `serde(with = "units::opt_rate")` for an optional rate in bits per second.
pub mod opt_rate {
    use super::*;

    /// Writes `"100Mbps"`, or nothing.
    pub fn serialize<S: Serializer>(r: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match r {
            Some(r) => s.serialize_str(&format_rate(*r)),
            None => s.serialize_none(),
        }
    }

    /// Reads `"100Mbps"`; used with `#[serde(default)]`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        d.deserialize_any(QuantityVisitor {
            q: &RATE,
            bare: None,
        })
        .map(Some)
    }
}

/// A probability in [0, 1].
struct ProbabilityVisitor;

impl Visitor<'_> for ProbabilityVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a probability (a number in [0, 1])")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        self.visit_f64(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        check_probability(v).map_err(E::custom)
    }
}

/// `Ok(p)` if `p` is in [0, 1]; NaN is rejected.
pub fn check_probability(p: f64) -> Result<f64, String> {
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("expected a probability in [0, 1], found {p}"))
    }
}

/// `serde(with = "units::probability")` for a probability.
pub mod probability {
    use super::*;

    /// Writes the number.
    pub fn serialize<S: Serializer>(p: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(*p)
    }

    /// Reads a number in [0, 1].
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        d.deserialize_any(ProbabilityVisitor)
    }
}

/// `serde(with = "units::opt_probability")` for an optional probability.
pub mod opt_probability {
    use super::*;

    /// Writes the number, or nothing.
    pub fn serialize<S: Serializer>(p: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match p {
            Some(p) => s.serialize_f64(*p),
            None => s.serialize_none(),
        }
    }

    /// Reads a number in [0, 1]; used with `#[serde(default)]`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        d.deserialize_any(ProbabilityVisitor).map(Some)
    }
}

/// A positive, finite number of events per second.
struct RateVisitor;

impl Visitor<'_> for RateVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a positive number of events per second, such as 1000")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        self.visit_f64(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        use super::limits::MAX_RATE;
        if !(v.is_finite() && v > 0.0) {
            Err(E::custom(format!(
                "expected a positive number of events per second, found {v}"
            )))
        } else if v > MAX_RATE {
            Err(E::custom(format!(
                "expected at most {MAX_RATE:e} events per second (one per nanosecond, the \
                 resolution of the simulated clock), found {v:e}"
            )))
        } else {
            Ok(v)
        }
    }
}

/// `serde(with = "units::per_second")` for a workload rate (events per second, > 0).
pub mod per_second {
    use super::*;

    /// Writes the number.
    pub fn serialize<S: Serializer>(r: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(*r)
    }

    /// Reads a positive finite number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        d.deserialize_any(RateVisitor)
    }
}

/// `serde(with)` for an optional per-second rate (absent = none).
pub mod opt_per_second {
    use super::*;

    /// Writes the number, or nothing.
    pub fn serialize<S: Serializer>(r: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match r {
            Some(r) => s.serialize_f64(*r),
            None => s.serialize_none(),
        }
    }

    /// Reads a positive finite number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        d.deserialize_any(RateVisitor).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("250µs"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("10 ms"), Ok(Duration::from_millis(10)));
        assert_eq!(parse_duration("2min"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("7ns"), Ok(Duration::from_nanos(7)));
        assert!(parse_duration("-1s").unwrap_err().contains("negative"));
        assert!(parse_duration("30").unwrap_err().contains("missing unit"));
        assert!(parse_duration("30 sec")
            .unwrap_err()
            .contains("unknown unit `sec`"));
        assert!(parse_duration("1.5ns")
            .unwrap_err()
            .contains("whole number of nanoseconds"));
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("1..5s").is_err());
        assert!(parse_duration("1.s").is_err());
        assert!(parse_duration("").is_err());
        assert!(
            parse_duration("99999999999999999999999999999999999999999min")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn sizes_and_rates() {
        assert_eq!(parse_size("50MB"), Ok(50_000_000));
        assert_eq!(parse_size("4MiB"), Ok(4 * 1024 * 1024));
        assert_eq!(parse_size("1.5KB"), Ok(1500));
        assert_eq!(parse_size("1460"), Ok(1460));
        assert_eq!(parse_size("1460B"), Ok(1460));
        assert!(parse_size("1.5B").is_err());
        assert!(parse_size("3 mb")
            .unwrap_err()
            .contains("did you mean `MB`"));
        assert_eq!(parse_rate("100Mbps"), Ok(100_000_000));
        assert_eq!(parse_rate("1.5Gbps"), Ok(1_500_000_000));
        assert!(parse_rate("100").unwrap_err().contains("missing unit"));
        assert_eq!(format_size(50_000_000), "50MB");
        assert_eq!(format_size(4 << 20), "4MiB");
        assert_eq!(format_size(1460), "1460B");
        assert_eq!(format_rate(100_000_000), "100Mbps");
        assert_eq!(format_rate(1_500), "1500bps");
    }
}
