//! Small statistics for results: means, Student-t confidence intervals, quantiles.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Mean of the values; 0 for none.
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// Half-width of the 95 % confidence interval of the mean, from Student's t with n − 1
/// degrees of freedom: t(0.975, n−1) · s / √n. With fewer than two values there is no
/// estimate of the spread and the half-width is reported as 0.
pub fn ci95_half_width(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 2 {
        return 0.0;
    }
    let m = mean(values);
    let var = values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1) as f64;
    if var == 0.0 || !var.is_finite() {
        return 0.0;
    }
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .expect("degrees of freedom are positive")
        .inverse_cdf(0.975);
    t * (var / n as f64).sqrt()
}

/// The `q`-quantile (0 ≤ q ≤ 1) by the nearest-rank method: the smallest value with at least
/// a fraction `q` of the values at or below it. Sorts `values` in place; 0 for none.
pub fn quantile_nearest_rank(values: &mut [u64], q: f64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let rank = (q * values.len() as f64).ceil().max(1.0) as usize;
    values[rank.min(values.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_matches_hand_computed_student_t() {
        // n = 5, mean 3, s = sqrt(2.5); t(0.975, 4) = 2.776445
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        let expected = 2.776_445_105 * (2.5f64 / 5.0).sqrt();
        assert!((ci95_half_width(&v) - expected).abs() < 1e-6);
        // n = 2: t(0.975, 1) = 12.706205
        let expected2 = 12.706_204_736 * (0.5f64 / 2.0).sqrt();
        assert!((ci95_half_width(&[1.0, 2.0]) - expected2).abs() < 1e-6);
        assert_eq!(ci95_half_width(&[7.0]), 0.0);
        assert_eq!(ci95_half_width(&[7.0, 7.0, 7.0]), 0.0);
    }

    #[test]
    fn nearest_rank_quantiles() {
        let mut v: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(quantile_nearest_rank(&mut v, 0.99), 99);
        assert_eq!(quantile_nearest_rank(&mut v, 1.0), 100);
        assert_eq!(quantile_nearest_rank(&mut v, 0.0), 1);
        assert_eq!(quantile_nearest_rank(&mut [5], 0.99), 5);
        assert_eq!(quantile_nearest_rank(&mut [], 0.5), 0);
    }
}
