//! Axis ranges, tick positions and tick labels.
//!
//! plotters picks ticks itself and formats them with `Debug`, which prints
//! `0.30000000000000004` and puts log ticks wherever it likes. This module does the job by
//! hand, the way matplotlib and gnuplot do:
//!
//! - **Linear axes** get "nice" steps (1, 2 or 5 × 10ᵉ, about six ticks). A tick is held as
//!   an exact integer `k` times `10^e`, so its label is built from integer digits and never
//!   shows float noise. Every label on an axis has the same number of decimals (`0.0`,
//!   `0.5`, `1.0`). Large magnitudes (≥ 10⁵) switch the whole axis to SI suffixes (`20M`,
//!   `40M`, which reads well next to a title such as "goodput (bit/s)"); steps below 10⁻⁴
//!   switch to compact scientific labels (`2e-5`).
//! - **Log axes** get ticks at powers of ten, labelled `0.01 … 1000` when every exponent
//!   lies in −2…3 and `10⁻⁴` (Unicode superscripts) otherwise. More than nine decades keep
//!   every n-th power. A range holding fewer than three powers gets 1-2-5 ticks (`2×10⁶`,
//!   `5×10⁶`, `10⁷`, or plain decimals near 1), then 1…9 ticks, then linear nice ticks
//!   (still placed logarithmically). Light minor grid lines mark the other m × 10ᵏ.
//! - **Ranges** are the data extent padded by 5 % of the span on each side (in log10 units
//!   on a log axis). A single value, or all-equal values, get ±10 % of the value (±1 around
//!   zero, ±0.15 decade on a log axis). An axis with no data is laid out as if its data
//!   spanned 0…1 (linear) or 1…10 (log).

use std::ops::RangeInclusive;

/// Fraction of the data span added on each side of the axis.
const PAD: f64 = 0.05;
/// The number of labelled ticks a linear axis aims for.
const TARGET_TICKS: f64 = 6.0;
/// Decades of padding around a single value on a log axis.
const LOG_SINGLE_PAD: f64 = 0.15;
/// At most this many labelled powers of ten; wider log axes label every n-th power.
const MAX_LOG_TICKS: i64 = 9;

/// One labelled tick.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tick {
    pub value: f64,
    pub label: String,
}

/// A finished axis: its range, whether it is logarithmic, its labelled ticks and the
/// positions of light (minor) grid lines.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    log: bool,
    lo: f64,
    hi: f64,
    pub ticks: Vec<Tick>,
    pub minor: Vec<f64>,
}

impl Axis {
    /// Builds an axis that shows every value of `values`. The caller passes only values
    /// the axis can show: finite, and positive on a log axis.
    pub fn fit(values: impl IntoIterator<Item = f64>, log: bool) -> Axis {
        let extent = values.into_iter().fold(None, |acc: Option<(f64, f64)>, v| {
            Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
        });
        if log {
            Self::fit_log(extent)
        } else {
            Self::fit_linear(extent)
        }
    }

    fn fit_linear(extent: Option<(f64, f64)>) -> Axis {
        let (lo, hi) = match extent.unwrap_or((0.0, 1.0)) {
            (lo, hi) if hi > lo => {
                let pad = (hi - lo) * PAD;
                (lo - pad, hi + pad)
            }
            (v, _) => (v - v.abs() * 0.1, v + v.abs() * 0.1),
        };
        // Zero, or a value so small that 10 % of it rounds away: centre a unit range on it.
        let (lo, hi) = if hi > lo {
            (lo, hi)
        } else {
            (lo - 1.0, hi + 1.0)
        };
        let (ticks, minor) = linear_ticks(lo, hi);
        Axis {
            log: false,
            lo,
            hi,
            ticks,
            minor,
        }
    }

    fn fit_log(extent: Option<(f64, f64)>) -> Axis {
        let (lo, hi) = match extent.unwrap_or((1.0, 10.0)) {
            (lo, hi) if hi > lo => {
                let (lo, hi) = (lo.log10(), hi.log10());
                let pad = (hi - lo) * PAD;
                (lo - pad, hi + pad)
            }
            (v, _) => (v.log10() - LOG_SINGLE_PAD, v.log10() + LOG_SINGLE_PAD),
        };
        // Padding must not push the ends past what an f64 can hold.
        let (lo, hi) = (10f64.powf(lo.max(-307.0)), 10f64.powf(hi.min(307.0)));
        let (ticks, minor) = log_ticks(lo, hi);
        Axis {
            log: true,
            lo,
            hi,
            ticks,
            minor,
        }
    }

    /// Where `v` sits along the axis: 0 at the low end, 1 at the high end. Values outside
    /// the range give fractions outside 0…1; a non-positive value on a log axis gives −∞.
    pub fn frac(&self, v: f64) -> f64 {
        if self.log {
            if v <= 0.0 {
                return f64::NEG_INFINITY;
            }
            (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }
}

/// A tick value held exactly: `k × 10^e`.
#[derive(Debug, Clone, Copy)]
struct Exact {
    k: i64,
    e: i32,
}

impl Exact {
    fn value(self) -> f64 {
        self.k as f64 * 10f64.powi(self.e)
    }
}

/// A nice step (1, 2 or 5 × 10ᵉ) giving about [`TARGET_TICKS`] ticks over `span`.
fn nice_step(span: f64) -> (i64, i32) {
    let raw = span / TARGET_TICKS;
    let e = raw.log10().floor();
    let norm = raw / 10f64.powf(e);
    let (nice, e) = match norm {
        n if n < 1.5 => (1, e),
        n if n < 3.0 => (2, e),
        n if n < 7.0 => (5, e),
        _ => (1, e + 1.0),
    };
    (nice, e as i32)
}

/// Linear ticks over `lo..=hi`; no minor grid on a linear axis (it only adds ink).
fn linear_ticks(lo: f64, hi: f64) -> (Vec<Tick>, Vec<f64>) {
    let (nice, e) = nice_step(hi - lo);
    let step = nice as f64 * 10f64.powi(e);
    let (first, last) = ((lo / step).ceil(), (hi / step).floor());
    // Guard against absurd ranges (a span below float resolution of the values): label the
    // two ends rather than loop over billions of steps or overflow the integer.
    if !(first.is_finite() && last.is_finite()) || first.abs() > 1e15 || last - first > 100.0 {
        let ticks = [lo, hi]
            .into_iter()
            .map(|v| Tick {
                value: v,
                label: shortest(v),
            })
            .collect();
        return (ticks, Vec::new());
    }
    let exact: Vec<Exact> = (first as i64..=last as i64)
        .map(|i| Exact { k: i * nice, e })
        .collect();
    (label_linear(&exact, lo, hi, e), Vec::new())
}

/// Labels for linear ticks that share the exponent `e` of their step.
fn label_linear(ticks: &[Exact], lo: f64, hi: f64, e: i32) -> Vec<Tick> {
    let magnitude = lo.abs().max(hi.abs());
    // Beyond the largest SI prefix (E, 10¹⁸) labels go scientific, like tiny steps.
    let huge = magnitude >= 1e21;
    let si = if (1e5..1e21).contains(&magnitude) {
        si_prefix(magnitude)
    } else {
        None
    };
    ticks
        .iter()
        .map(|&t| {
            let label = match si {
                Some(_) if t.k == 0 => "0".to_string(),
                Some((power, suffix)) => {
                    let shifted = e - power;
                    format!("{}{suffix}", fixed(t.k, shifted, (-shifted).max(0)))
                }
                None if e < -4 || huge => scientific(t),
                None => fixed(t.k, e, (-e).max(0)),
            };
            Tick {
                value: t.value(),
                label,
            }
        })
        .collect()
}

/// The SI prefix (power of ten and suffix) for values up to `magnitude`.
fn si_prefix(magnitude: f64) -> Option<(i32, &'static str)> {
    const PREFIXES: [(i32, &str); 6] = [
        (3, "k"),
        (6, "M"),
        (9, "G"),
        (12, "T"),
        (15, "P"),
        (18, "E"),
    ];
    PREFIXES
        .iter()
        .rev()
        .find(|(p, _)| magnitude >= 10f64.powi(*p))
        .copied()
}

/// `k × 10^e` written with exactly `decimals` decimals (which must be ≥ −e when e < 0).
fn fixed(k: i64, e: i32, decimals: i32) -> String {
    let sign = if k < 0 { "-" } else { "" };
    let mut digits = k.unsigned_abs().to_string();
    if e >= 0 {
        if k != 0 {
            digits.push_str(&"0".repeat(e as usize));
        }
        if decimals > 0 {
            digits.push('.');
            digits.push_str(&"0".repeat(decimals as usize));
        }
        return format!("{sign}{digits}");
    }
    let shift = (-e) as usize;
    if digits.len() <= shift {
        digits = format!("{}{digits}", "0".repeat(shift + 1 - digits.len()));
    }
    let (int, frac) = digits.split_at(digits.len() - shift);
    let mut frac = frac.to_string();
    let want = decimals.max(0) as usize;
    if frac.len() < want {
        frac.push_str(&"0".repeat(want - frac.len()));
    }
    let sign = if k == 0 { "" } else { sign };
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// `k × 10^e` as compact scientific notation: `2e-5`, `1.5e-5`, `0`.
fn scientific(t: Exact) -> String {
    if t.k == 0 {
        return "0".to_string();
    }
    let sign = if t.k < 0 { "-" } else { "" };
    let digits = t.k.unsigned_abs().to_string();
    let exponent = t.e + digits.len() as i32 - 1;
    let mantissa = digits.trim_end_matches('0');
    let (head, tail) = mantissa.split_at(1);
    if tail.is_empty() {
        format!("{sign}{head}e{exponent}")
    } else {
        format!("{sign}{head}.{tail}e{exponent}")
    }
}

/// The shortest faithful label of an arbitrary value, rounded to 6 significant digits.
pub(crate) fn shortest(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".to_string()
        } else {
            v.to_string()
        };
    }
    let rounded: f64 = format!("{v:.5e}").parse().unwrap_or(v);
    let magnitude = rounded.abs();
    if (1e-4..1e6).contains(&magnitude) {
        format!("{rounded}")
    } else {
        format!("{rounded:e}")
    }
}

/// Ticks of a log axis over `lo..=hi` (both positive).
fn log_ticks(lo: f64, hi: f64) -> (Vec<Tick>, Vec<f64>) {
    let decades = decades(lo, hi);
    let count = decades.end() - decades.start() + 1;
    if count >= 3 {
        return power_ticks(lo, hi, decades, count);
    }
    for mantissas in [&[1, 2, 5][..], &[1, 2, 3, 4, 5, 6, 7, 8, 9][..]] {
        let ticks = mantissa_ticks(lo, hi, mantissas);
        if (2..=12).contains(&ticks.len()) {
            let minor = mantissa_ticks(lo, hi, &[1, 2, 3, 4, 5, 6, 7, 8, 9])
                .into_iter()
                .map(|t| t.value())
                .filter(|v| !ticks.iter().any(|t| same(t.value(), *v)))
                .collect();
            return (label_mantissas(&ticks), minor);
        }
    }
    if count == 2 {
        return power_ticks(lo, hi, decades, count);
    }
    linear_ticks(lo, hi)
}

/// Labels for `m × 10ᵏ` ticks (m a single digit): plain decimals when every tick lies in
/// 10⁻⁴…10⁵, otherwise `2×10⁶`, `5×10⁶`, `10⁷`.
fn label_mantissas(ticks: &[Exact]) -> Vec<Tick> {
    let plain = ticks.iter().all(|t| (-4..=5).contains(&t.e));
    ticks
        .iter()
        .map(|&t| Tick {
            value: t.value(),
            label: match (plain, t.k) {
                (true, _) => fixed(t.k, t.e, (-t.e).max(0)),
                (false, 1) => power_of_ten(i64::from(t.e)),
                (false, k) => format!("{k}×{}", power_of_ten(i64::from(t.e))),
            },
        })
        .collect()
}

/// The exponents k with 10ᵏ inside `lo..=hi`, allowing for rounding at the ends.
fn decades(lo: f64, hi: f64) -> RangeInclusive<i64> {
    let first = (lo.log10() - 1e-9).ceil() as i64;
    let last = (hi.log10() + 1e-9).floor() as i64;
    first..=last
}

fn power_ticks(
    lo: f64,
    hi: f64,
    decades: RangeInclusive<i64>,
    count: i64,
) -> (Vec<Tick>, Vec<f64>) {
    let stride = ((count + MAX_LOG_TICKS - 1) / MAX_LOG_TICKS).max(1);
    let labelled: Vec<i64> = decades
        .clone()
        .filter(|k| k.rem_euclid(stride) == 0)
        .collect();
    let plain = labelled.iter().all(|k| (-2..=3).contains(k));
    let ticks = labelled
        .iter()
        .map(|&k| Tick {
            value: 10f64.powi(k as i32),
            label: if plain {
                fixed(1, k as i32, 0)
            } else {
                power_of_ten(k)
            },
        })
        .collect();
    let minor = if stride == 1 && count <= 12 {
        // 2…9 × 10ᵏ, including the partial decade just below the first power.
        (decades.start() - 1..=*decades.end())
            .flat_map(|k| (2..=9).map(move |m| Exact { k: m, e: k as i32 }.value()))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    } else if count <= 40 {
        decades
            .filter(|k| k.rem_euclid(stride) != 0)
            .map(|k| 10f64.powi(k as i32))
            .collect()
    } else {
        Vec::new()
    };
    (ticks, minor)
}

/// `m × 10ᵏ` for every mantissa m and every decade that lands in `lo..=hi`.
fn mantissa_ticks(lo: f64, hi: f64, mantissas: &[i64]) -> Vec<Exact> {
    let first = lo.log10().floor() as i32 - 1;
    let last = hi.log10().ceil() as i32;
    (first..=last)
        .flat_map(|e| mantissas.iter().map(move |&k| Exact { k, e }))
        .filter(|t| {
            let v = t.value();
            v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9)
        })
        .collect()
}

/// `10ᵏ` with Unicode superscript digits, e.g. `10⁻⁴`.
fn power_of_ten(k: i64) -> String {
    const SUPERSCRIPT: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut label = String::from("10");
    if k < 0 {
        label.push('⁻');
    }
    for digit in k.unsigned_abs().to_string().bytes() {
        label.push(SUPERSCRIPT[(digit - b'0') as usize]);
    }
    label
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(axis: &Axis) -> Vec<&str> {
        axis.ticks.iter().map(|t| t.label.as_str()).collect()
    }

    #[test]
    fn linear_labels_have_no_float_noise() {
        let axis = Axis::fit([0.1, 0.7], false);
        assert_eq!(
            labels(&axis),
            ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"]
        );
        let axis = Axis::fit([0.0, 1.0], false);
        assert_eq!(labels(&axis), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
    }

    #[test]
    fn linear_integers_and_negatives() {
        let axis = Axis::fit([-30.0, 30.0], false);
        assert_eq!(labels(&axis), ["-30", "-20", "-10", "0", "10", "20", "30"]);
    }

    #[test]
    fn large_values_use_si_suffixes() {
        let axis = Axis::fit([0.0, 1e8], false);
        assert_eq!(labels(&axis), ["0", "20M", "40M", "60M", "80M", "100M"]);
        let axis = Axis::fit([0.0, 2.5e5], false);
        assert_eq!(labels(&axis), ["0", "50k", "100k", "150k", "200k", "250k"]);
    }

    #[test]
    fn tiny_values_use_scientific_labels() {
        let axis = Axis::fit([0.0, 5e-5], false);
        assert_eq!(labels(&axis), ["0", "1e-5", "2e-5", "3e-5", "4e-5", "5e-5"]);
    }

    #[test]
    fn single_value_gets_a_range() {
        let axis = Axis::fit([5.0], false);
        assert!(axis.lo < 5.0 && axis.hi > 5.0);
        assert!(!axis.ticks.is_empty());
        let axis = Axis::fit([0.0, 0.0], false);
        assert_eq!(labels(&axis), ["-1.0", "-0.5", "0.0", "0.5", "1.0"]);
    }

    #[test]
    fn empty_axes_fall_back() {
        assert_eq!(
            labels(&Axis::fit([], false)),
            ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
        );
        assert_eq!(labels(&Axis::fit([], true)), ["1", "2", "5", "10"]);
    }

    #[test]
    fn log_axes_label_powers_of_ten() {
        let axis = Axis::fit([1e-4, 0.05], true);
        assert_eq!(labels(&axis), ["10⁻⁴", "10⁻³", "10⁻²"]);
        assert!(axis.minor.iter().any(|&v| same(v, 2e-4)));
        let axis = Axis::fit([0.01, 1000.0], true);
        assert_eq!(labels(&axis), ["0.01", "0.1", "1", "10", "100", "1000"]);
    }

    #[test]
    fn log_axes_of_two_decades_add_twos_and_fives() {
        let axis = Axis::fit([2.2e6, 9e7], true);
        assert_eq!(
            labels(&axis),
            ["2×10⁶", "5×10⁶", "10⁷", "2×10⁷", "5×10⁷", "10⁸"]
        );
        assert!(axis.minor.iter().any(|&v| same(v, 3e6)));
    }

    #[test]
    fn wide_log_axes_skip_powers() {
        let axis = Axis::fit([1e-12, 1e12], true);
        assert!(axis.ticks.len() <= MAX_LOG_TICKS as usize);
        assert!(labels(&axis).contains(&"10⁰"));
    }

    #[test]
    fn narrow_log_axes_fall_back_to_mantissas() {
        let axis = Axis::fit([0.002, 0.009], true);
        assert_eq!(labels(&axis), ["0.002", "0.005"]);
        let axis = Axis::fit([3.0, 4.0], true);
        assert_eq!(labels(&axis), ["3", "4"]);
        let axis = Axis::fit([1e-3], true);
        assert_eq!(labels(&axis), ["0.0008", "0.0009", "0.001"]);
    }

    #[test]
    fn frac_maps_ends_to_zero_and_one() {
        let axis = Axis::fit([1.0, 100.0], true);
        assert!((axis.frac(axis.lo) - 0.0).abs() < 1e-12);
        assert!((axis.frac(axis.hi) - 1.0).abs() < 1e-12);
        assert_eq!(axis.frac(0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn extreme_ranges_stay_sane() {
        let axis = Axis::fit([-1e300, 1e300], false);
        assert!(axis.ticks.len() >= 2);
        assert!(
            axis.ticks.iter().all(|t| t.label.len() < 12),
            "{:?}",
            labels(&axis)
        );
        let axis = Axis::fit([1e-300, 1e300], true);
        assert!(axis.ticks.len() <= MAX_LOG_TICKS as usize);
        assert!(axis.minor.len() < 100);
        let axis = Axis::fit([1.0, 1.0 + 1e-15], false);
        assert!(!axis.ticks.is_empty());
        let axis = Axis::fit([5e-324], false);
        assert!(axis.hi > axis.lo && axis.frac(5e-324).is_finite());
    }

    #[test]
    fn fixed_formatting() {
        assert_eq!(fixed(5, -1, 1), "0.5");
        assert_eq!(fixed(15, -1, 1), "1.5");
        assert_eq!(fixed(-5, -2, 2), "-0.05");
        assert_eq!(fixed(0, -1, 1), "0.0");
        assert_eq!(fixed(2, 3, 0), "2000");
        assert_eq!(fixed(1, -3, 0), "0.001");
    }

    #[test]
    fn shortest_rounds() {
        assert_eq!(shortest(0.1 + 0.2), "0.3");
        assert_eq!(shortest(1.5e-7), "1.5e-7");
    }
}
