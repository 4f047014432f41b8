//! Random-search efficiency (ICCV 2019 §5; paper §2): how good is the best of `k` models drawn
//! from a design space, as a function of `k`. Computed exactly from the order statistics of
//! the sweep's errors `e(1) ≤ … ≤ e(n)`, not by Monte Carlo:
//! - with replacement: `P(min = e(i)) = ((n−i+1)/n)^k − ((n−i)/n)^k`;
//! - without replacement: `P(min = e(i)) = C(n−i, k−1) / C(n, k)` (needs `k ≤ n`).

use serde::{Deserialize, Serialize};
use statrs::function::factorial::ln_binomial;

use super::util::{empty, finite_indices};
use super::{StatsError, invalid};

/// How the `k` models are drawn from the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Draws {
    /// Each of the `k` draws is uniform over all `n` models (the sweep stands in for the space;
    /// any `k` is allowed).
    #[default]
    WithReplacement,
    /// `k` distinct models of the sweep (`k ≤ n`).
    WithoutReplacement,
}

/// Expected minimum error of `k` models drawn from the sweep, for each `k` in `ks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchEfficiency {
    pub k: Vec<usize>,
    pub expected_min: Vec<f64>,
    pub draws: Draws,
    /// Models with a finite error.
    pub n: usize,
    /// Models excluded because their error was not finite.
    pub n_excluded: usize,
}

/// Expected best error of random search with `k` trials, for each `k` in `ks`.
///
/// ```
/// use regnet_lab::stats::{random_search_efficiency, Draws};
/// let e = [0.3, 0.1, 0.2];
/// let r = random_search_efficiency(&e, &[1, 2, 3], Draws::WithoutReplacement)?;
/// assert!((r.expected_min[0] - 0.2).abs() < 1e-12);            // the mean
/// assert!((r.expected_min[1] - (0.1 * 2.0 + 0.2) / 3.0).abs() < 1e-12);
/// assert!((r.expected_min[2] - 0.1).abs() < 1e-12);            // the minimum
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn random_search_efficiency(
    errors: &[f64],
    ks: &[usize],
    draws: Draws,
) -> Result<SearchEfficiency, StatsError> {
    let keep = finite_indices(errors);
    if keep.is_empty() {
        return Err(empty("random search efficiency", errors.len()));
    }
    let mut e: Vec<f64> = keep.iter().map(|&i| errors[i]).collect();
    e.sort_by(f64::total_cmp);
    let n = e.len();
    let mut out = Vec::with_capacity(ks.len());
    for &k in ks {
        if k == 0 {
            return Err(invalid("k", k, "must be at least 1"));
        }
        let v = match draws {
            Draws::WithReplacement => {
                let nf = n as f64;
                let kk = k as f64;
                // P(min ≥ e(i)) = ((n − i + 1)/n)^k, i = 1..n
                let tail = |i: usize| ((n + 1 - i) as f64 / nf).powf(kk);
                (1..=n)
                    .map(|i| {
                        let next = if i < n { tail(i + 1) } else { 0.0 };
                        e[i - 1] * (tail(i) - next)
                    })
                    .sum()
            }
            Draws::WithoutReplacement => {
                if k > n {
                    return Err(invalid(
                        "k",
                        k,
                        &format!("exceeds the {n} models (without replacement)"),
                    ));
                }
                let ln_total = ln_binomial(n as u64, k as u64);
                (1..=n + 1 - k)
                    .map(|i| {
                        e[i - 1] * (ln_binomial((n - i) as u64, (k - 1) as u64) - ln_total).exp()
                    })
                    .sum()
            }
        };
        out.push(v);
    }
    Ok(SearchEfficiency {
        k: ks.to_vec(),
        expected_min: out,
        draws,
        n,
        n_excluded: errors.len() - n,
    })
}
