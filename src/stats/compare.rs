//! Comparing two design spaces by their error distributions: the difference of the means and of
//! the 25th percentiles (the good end of the EDF, where the paper reads its figures), each with
//! a 95 % bootstrap interval, and the two-sample KS test. Effects are always **B − A**: a
//! negative effect means space B's models have lower error.
//!
//! Sweeps of related spaces drawn with the same sample seed are *paired* by sample index (the
//! refinement chain draws the same model at an index wherever a constraint does not bind).
//! [`compare_paired`] resamples those pairs jointly, which keeps their correlation; it is valid
//! exactly when both sweeps used the same seed and indices, and it estimates the same effects.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::util::{empty, mean, percentile_sorted, portable_index};
use super::{KsTest, StatsError, invalid, ks_2samp};

/// A point estimate with its bootstrap percentile interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// The whole interval lies below zero.
    pub fn below_zero(&self) -> bool {
        self.high < 0.0
    }
    /// The whole interval lies above zero.
    pub fn above_zero(&self) -> bool {
        self.low > 0.0
    }
    /// The whole interval lies within `±margin`.
    pub fn within(&self, margin: f64) -> bool {
        self.low > -margin && self.high < margin
    }
}

impl std::fmt::Display for Interval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:+.2} [{:+.2}, {:+.2}]",
            self.estimate, self.low, self.high
        )
    }
}

/// Settings of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareOptions {
    /// Bootstrap resamples of each interval.
    pub resamples: usize,
    /// Intervals are `1 − alpha` (0.05: 95 %).
    pub alpha: f64,
    /// Seed of the bootstrap stream.
    pub seed: u64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            resamples: 2000,
            alpha: 0.05,
            seed: 0,
        }
    }
}

impl CompareOptions {
    fn check(&self) -> Result<(), StatsError> {
        if self.resamples < 100 {
            return Err(invalid("resamples", self.resamples, "must be at least 100"));
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(invalid("alpha", self.alpha, "must lie in (0, 1)"));
        }
        Ok(())
    }
}

/// How space B's errors differ from space A's (independent samples).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpaceComparison {
    /// Finite errors of each side (diverged runs excluded).
    pub n_a: usize,
    pub n_b: usize,
    pub mean_a: f64,
    pub mean_b: f64,
    pub q25_a: f64,
    pub q25_b: f64,
    /// `mean(B) − mean(A)` in error points.
    pub mean_diff: Interval,
    /// `p25(B) − p25(A)`.
    pub q25_diff: Interval,
    /// KS test of "same distribution" (independent samples: conservative for paired sweeps).
    pub ks: KsTest,
}

/// The same effects from sweeps paired by sample index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedComparison {
    /// Pairs with a finite error on both sides.
    pub n_pairs: usize,
    /// `mean(B) − mean(A)` over the pairs, bootstrapped by pair.
    pub mean_diff: Interval,
    /// `p25(B) − p25(A)` over the pairs, bootstrapped by pair.
    pub q25_diff: Interval,
}

/// Compare the error columns of two independent sweeps (non-finite errors excluded).
///
/// ```
/// use regnet_lab::stats::{CompareOptions, compare_spaces};
/// let a: Vec<f64> = (0..40).map(|i| 20.0 + 0.1 * i as f64).collect();
/// let b: Vec<f64> = a.iter().map(|e| e - 3.0).collect();
/// let c = compare_spaces(&a, &b, &CompareOptions::default())?;
/// assert!((c.mean_diff.estimate + 3.0).abs() < 1e-9 && c.mean_diff.below_zero());
/// assert!(c.ks.pvalue < 0.01);
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn compare_spaces(
    a: &[f64],
    b: &[f64],
    opts: &CompareOptions,
) -> Result<SpaceComparison, StatsError> {
    opts.check()?;
    let a = finite_sorted("errors of space A", a)?;
    let b = finite_sorted("errors of space B", b)?;
    let ks = ks_2samp(&a, &b)?;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let (mut dm, mut dq) = (Vec::new(), Vec::new());
    let (mut ra, mut rb) = (vec![0.0; a.len()], vec![0.0; b.len()]);
    for _ in 0..opts.resamples {
        resample(&mut rng, &a, &mut ra);
        resample(&mut rng, &b, &mut rb);
        dm.push(mean(&rb) - mean(&ra));
        dq.push(q25(&mut rb) - q25(&mut ra));
    }
    Ok(SpaceComparison {
        n_a: a.len(),
        n_b: b.len(),
        mean_a: mean(&a),
        mean_b: mean(&b),
        q25_a: percentile_sorted(&a, 25.0),
        q25_b: percentile_sorted(&b, 25.0),
        mean_diff: interval(mean(&b) - mean(&a), dm, opts.alpha),
        q25_diff: interval(
            percentile_sorted(&b, 25.0) - percentile_sorted(&a, 25.0),
            dq,
            opts.alpha,
        ),
        ks,
    })
}

/// Compare two sweeps paired by sample index: `pairs[i] = (error in A, error in B)` of the same
/// index; pairs with a non-finite side are dropped. The bootstrap resamples whole pairs.
///
/// ```
/// use regnet_lab::stats::{CompareOptions, compare_paired};
/// // B equals A at every index but costs 0.5 points more: paired, that is clear.
/// let pairs: Vec<(f64, f64)> = (0..30).map(|i| (20.0 + i as f64 * 0.3, 20.5 + i as f64 * 0.3)).collect();
/// let p = compare_paired(&pairs, &CompareOptions::default())?;
/// assert!(p.mean_diff.above_zero() && (p.mean_diff.estimate - 0.5).abs() < 1e-9);
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn compare_paired(
    pairs: &[(f64, f64)],
    opts: &CompareOptions,
) -> Result<PairedComparison, StatsError> {
    opts.check()?;
    let pairs: Vec<(f64, f64)> = pairs
        .iter()
        .copied()
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .collect();
    if pairs.len() < 2 {
        return Err(empty("paired errors", 0));
    }
    let n = pairs.len();
    let column = |pick: fn(&(f64, f64)) -> f64, idx: &mut dyn Iterator<Item = usize>| {
        let mut v: Vec<f64> = idx.map(|i| pick(&pairs[i])).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let stats_of = |idx: &[usize]| {
        let mut a = column(|p| p.0, &mut idx.iter().copied());
        let mut b = column(|p| p.1, &mut idx.iter().copied());
        (mean(&b) - mean(&a), q25(&mut b) - q25(&mut a))
    };
    let all: Vec<usize> = (0..n).collect();
    let (m0, q0) = stats_of(&all);
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let (mut dm, mut dq) = (Vec::new(), Vec::new());
    let mut idx = vec![0; n];
    for _ in 0..opts.resamples {
        for slot in idx.iter_mut() {
            *slot = portable_index(&mut rng, n);
        }
        let (m, q) = stats_of(&idx);
        dm.push(m);
        dq.push(q);
    }
    Ok(PairedComparison {
        n_pairs: n,
        mean_diff: interval(m0, dm, opts.alpha),
        q25_diff: interval(q0, dq, opts.alpha),
    })
}

fn finite_sorted(what: &str, v: &[f64]) -> Result<Vec<f64>, StatsError> {
    let mut out: Vec<f64> = v.iter().copied().filter(|e| e.is_finite()).collect();
    if out.len() < 2 {
        return Err(empty(what, v.len() - out.len()));
    }
    out.sort_by(f64::total_cmp);
    Ok(out)
}

fn resample(rng: &mut ChaCha8Rng, from: &[f64], into: &mut [f64]) {
    for slot in into.iter_mut() {
        *slot = from[portable_index(rng, from.len())];
    }
}

fn q25(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    percentile_sorted(v, 25.0)
}

fn interval(estimate: f64, mut draws: Vec<f64>, alpha: f64) -> Interval {
    draws.sort_by(f64::total_cmp);
    Interval {
        estimate,
        low: percentile_sorted(&draws, 50.0 * alpha),
        high: percentile_sorted(&draws, 100.0 - 50.0 * alpha),
    }
}

/// How well two error columns of the same models agree in rank (e.g. a short recipe against a
/// longer one: the paper's low-epoch proxy): Spearman's ρ and Kendall's τ-b with intervals from
/// a bootstrap over models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankAgreement {
    /// Models with both errors finite.
    pub n: usize,
    pub spearman: Interval,
    pub kendall: Interval,
    /// p-values of "no association" (scipy's).
    pub spearman_p: Option<f64>,
    pub kendall_p: Option<f64>,
}

/// [`RankAgreement`] of `x` and `y` (the same models, in the same order).
///
/// ```
/// use regnet_lab::stats::{CompareOptions, rank_agreement};
/// let x: Vec<f64> = (0..30).map(|i| i as f64).collect();
/// let y: Vec<f64> = x.iter().map(|v| v * v).collect();
/// let r = rank_agreement(&x, &y, &CompareOptions::default())?;
/// assert!((r.spearman.estimate - 1.0).abs() < 1e-12);
/// assert!(r.kendall.low > 1.0 - 1e-12);
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn rank_agreement(
    x: &[f64],
    y: &[f64],
    opts: &CompareOptions,
) -> Result<RankAgreement, StatsError> {
    use super::{kendall_tau_b, spearman};
    opts.check()?;
    let s = spearman(x, y)?;
    let k = kendall_tau_b(x, y)?;
    let pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .map(|(a, b)| (*a, *b))
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .collect();
    let n = pairs.len();
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let (mut ds, mut dk) = (Vec::new(), Vec::new());
    let (mut bx, mut by) = (vec![0.0; n], vec![0.0; n]);
    for _ in 0..opts.resamples {
        for j in 0..n {
            let (a, b) = pairs[portable_index(&mut rng, n)];
            bx[j] = a;
            by[j] = b;
        }
        // A resample with a constant column has no rank correlation: it is skipped.
        if let (Ok(rs), Ok(rk)) = (spearman(&bx, &by), kendall_tau_b(&bx, &by)) {
            ds.push(rs.coefficient);
            dk.push(rk.coefficient);
        }
    }
    if ds.is_empty() {
        return Err(empty("rank agreement resamples", 0));
    }
    Ok(RankAgreement {
        n,
        spearman: interval(s.coefficient, ds, opts.alpha),
        kendall: interval(k.coefficient, dk, opts.alpha),
        spearman_p: s.pvalue,
        kendall_p: k.pvalue,
    })
}
