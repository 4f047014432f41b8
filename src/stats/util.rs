//! Small shared pieces: portable random indices, numpy-compatible percentiles, and the
//! filtering of diverged (non-finite) errors.

use super::{StatsError, invalid};

pub use crate::random::portable_index;

/// `count` indices in `0..n`, uniform, with replacement (as `numpy.random.choice(n, count)`),
/// from a `ChaCha8Rng` seeded with `seed`. Exported so a test or notebook can re-run a
/// statistic on exactly the resamples the bootstrap used.
///
/// ```
/// let a = regnet_lab::stats::sample_indices(10, 5, 7);
/// assert_eq!(a, regnet_lab::stats::sample_indices(10, 5, 7));
/// assert!(a.iter().all(|&i| i < 10));
/// ```
pub fn sample_indices(n: usize, count: usize, seed: u64) -> Vec<usize> {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..count).map(|_| portable_index(&mut rng, n)).collect()
}

/// The `q`-th percentile (0 ≤ q ≤ 100) of `values` with numpy's default (`linear`) method:
/// position `q/100 · (n − 1)` in the sorted values, linearly interpolated, computed with
/// numpy's two-sided lerp so ties and exact positions agree bit for bit in most cases.
///
/// ```
/// use regnet_lab::stats::percentile;
/// assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0)?, 2.5);
/// assert_eq!(percentile(&[5.0], 97.5)?, 5.0);
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn percentile(values: &[f64], q: f64) -> Result<f64, StatsError> {
    if !(0.0..=100.0).contains(&q) {
        return Err(invalid("percentile", q, "must lie in [0, 100]"));
    }
    check_finite("percentile values", values)?;
    if values.is_empty() {
        return Err(StatsError::Empty {
            what: "percentile".into(),
            excluded: 0,
        });
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    Ok(percentile_sorted(&v, q))
}

/// The arithmetic mean (NaN for no values): one home for the statistics', the refinement
/// assistant's and the report's means.
pub(crate) fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// numpy's linear percentile of already sorted, finite, non-empty values.
pub(crate) fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let pos = q / 100.0 * (n - 1) as f64;
    let lo = pos.floor();
    let t = pos - lo;
    let lo = (lo as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    lerp(sorted[lo], sorted[hi], t)
}

/// numpy's `_lerp`: `a + (b − a)·t`, evaluated from the nearer end so that `t = 1` gives `b`.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Error that names the first non-finite value of a column.
pub(crate) fn check_finite(what: &str, values: &[f64]) -> Result<(), StatsError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(StatsError::NonFinite {
            what: what.to_string(),
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

pub(crate) fn check_len(what: &str, left: usize, right: usize) -> Result<(), StatsError> {
    if left != right {
        return Err(StatsError::LengthMismatch {
            what: what.to_string(),
            left,
            right,
        });
    }
    Ok(())
}

/// Indices of the models whose error is finite (the rest diverged and are excluded).
pub(crate) fn finite_indices(errors: &[f64]) -> Vec<usize> {
    (0..errors.len())
        .filter(|&i| errors[i].is_finite())
        .collect()
}

pub(crate) fn empty(what: &str, excluded: usize) -> StatsError {
    StatsError::Empty {
        what: what.to_string(),
        excluded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn portable_index_is_in_range_and_roughly_uniform() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut counts = [0usize; 7];
        for _ in 0..70_000 {
            counts[portable_index(&mut rng, 7)] += 1;
        }
        for c in counts {
            assert!((9_400..10_600).contains(&c), "{counts:?}");
        }
        assert_eq!(portable_index(&mut rng, 1), 0);
    }

    #[test]
    fn percentile_matches_numpy_linear() {
        // numpy.percentile([3, 1, 2, 10], [0, 2.5, 50, 97.5, 100])
        let v = [3.0, 1.0, 2.0, 10.0];
        let want = [1.0, 1.075, 2.5, 9.475, 10.0];
        for (q, w) in [0.0, 2.5, 50.0, 97.5, 100.0].iter().zip(want) {
            assert!((percentile(&v, *q).unwrap() - w).abs() < 1e-12);
        }
        assert!(percentile(&v, 101.0).is_err());
        assert!(percentile(&[], 50.0).is_err());
        assert!(percentile(&[f64::NAN], 50.0).is_err());
    }
}
