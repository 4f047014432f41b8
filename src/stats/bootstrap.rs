//! The bootstrap "good range" of a model property (paper §2.2 and Fig. 2 middle/right: the
//! shaded 95% band and the dashed line). Following pycls `get_filters`: draw `b` resamples,
//! each `max(1, ⌊n · 0.25⌋)` models picked uniformly *with replacement*; in each, the model with
//! the lowest error (the first one drawn among ties, as `numpy.argmin`) is the winner; the
//! winners' property values give the `α/2`, 50 and `100 − α/2` percentiles (numpy's linear
//! percentile). pycls uses `b = 2500` (the paper's text says 10^4), `α = 5`.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::util::{check_len, empty, finite_indices, percentile_sorted, portable_index};
use super::{StatsError, invalid};

/// pycls's number of bootstrap resamples.
pub const DEFAULT_RESAMPLES: usize = 2500;
/// pycls's resample size, as a fraction of the models.
pub const DEFAULT_FRACTION: f64 = 0.25;

/// Options of the bootstrap; `Default` is pycls's (2500 resamples of 25%, α = 5) with seed 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoodRangeOptions {
    /// Number of resamples `b`.
    pub resamples: usize,
    /// Resample size as a fraction of the (finite-error) models, `max(1, ⌊n · fraction⌋)`.
    pub fraction: f64,
    /// A fixed resample size instead of `fraction` (pycls: `sample > 1`).
    pub sample_size: Option<usize>,
    /// The band is the `[α/2, 100 − α/2]` percentile range (α in percent).
    pub alpha: f64,
    pub seed: u64,
}

impl Default for GoodRangeOptions {
    fn default() -> Self {
        GoodRangeOptions {
            resamples: DEFAULT_RESAMPLES,
            fraction: DEFAULT_FRACTION,
            sample_size: None,
            alpha: 5.0,
            seed: 0,
        }
    }
}

impl GoodRangeOptions {
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    pub fn resamples(mut self, b: usize) -> Self {
        self.resamples = b;
        self
    }
    pub fn fraction(mut self, f: f64) -> Self {
        self.fraction = f;
        self
    }
    pub fn sample_size(mut self, k: usize) -> Self {
        self.sample_size = Some(k);
        self
    }
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// The resample size for `n` models.
    pub fn size_for(&self, n: usize) -> Result<usize, StatsError> {
        if let Some(k) = self.sample_size {
            if k == 0 {
                return Err(invalid("sample_size", k, "must be at least 1"));
            }
            return Ok(k);
        }
        if !(self.fraction > 0.0 && self.fraction <= 1.0) {
            return Err(invalid("fraction", self.fraction, "must lie in (0, 1]"));
        }
        Ok(((n as f64 * self.fraction).floor() as usize).max(1))
    }

    fn validate(&self) -> Result<(), StatsError> {
        if self.resamples == 0 {
            return Err(invalid("resamples", self.resamples, "must be at least 1"));
        }
        if !(self.alpha > 0.0 && self.alpha < 100.0) {
            return Err(invalid("alpha", self.alpha, "must lie in (0, 100)"));
        }
        Ok(())
    }
}

/// The good range of one property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoodRange {
    /// `α/2` percentile of the winners' values (lower edge of the band).
    pub low: f64,
    /// Median of the winners' values: pycls draws its dashed line here.
    pub median: f64,
    /// `100 − α/2` percentile (upper edge of the band).
    pub high: f64,
    /// The most likely best value: the value the winners take most often (smallest on ties).
    /// For a discrete property (depth, a width) this is the mode of the best model's value;
    /// for a continuous one prefer `median`.
    pub mode: f64,
    pub alpha: f64,
}

/// Good ranges of several properties from the same resamples (as pycls: one set of winners).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoodRanges {
    /// One range per property column, in the order given.
    pub ranges: Vec<GoodRange>,
    /// The winner of each resample, as an index into the *original* columns.
    pub winners: Vec<usize>,
    /// Resample size used.
    pub sample_size: usize,
    /// Models resampled from (finite errors).
    pub n: usize,
    /// Models excluded because their error was not finite.
    pub n_excluded: usize,
}

/// The bootstrap good range of one property (`values[i]` belongs to the model with error
/// `errors[i]`).
///
/// ```
/// use regnet_lab::stats::{good_range, GoodRangeOptions};
/// // depth of 8 models; the deeper ones are better
/// let errors = [0.40, 0.38, 0.35, 0.33, 0.30, 0.31, 0.29, 0.45];
/// let depth = [4.0, 6.0, 8.0, 10.0, 14.0, 12.0, 16.0, 2.0];
/// let r = good_range(&errors, &depth, &GoodRangeOptions::default().seed(1))?;
/// assert!(r.low <= r.median && r.median <= r.high && r.high == 16.0);
/// assert_eq!(r.mode, 16.0); // the best model wins most resamples
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn good_range(
    errors: &[f64],
    values: &[f64],
    opts: &GoodRangeOptions,
) -> Result<GoodRange, StatsError> {
    let mut r = good_ranges(errors, &[values], opts)?;
    Ok(r.ranges.remove(0))
}

/// Good ranges of several properties at once, sharing the resamples.
pub fn good_ranges(
    errors: &[f64],
    columns: &[&[f64]],
    opts: &GoodRangeOptions,
) -> Result<GoodRanges, StatsError> {
    opts.validate()?;
    let keep = finite_indices(errors);
    for col in columns {
        check_len("good range (errors vs property)", errors.len(), col.len())?;
        if let Some(&index) = keep.iter().find(|&&i| !col[i].is_finite()) {
            return Err(StatsError::NonFinite {
                what: "property of a model with a finite error".into(),
                index,
                value: col[index],
            });
        }
    }
    if keep.is_empty() {
        return Err(empty("good range", errors.len()));
    }
    let n = keep.len();
    let k = opts.size_for(n)?;
    let kept_errors: Vec<f64> = keep.iter().map(|&i| errors[i]).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let winners: Vec<usize> = (0..opts.resamples)
        .map(|_| {
            let mut best = portable_index(&mut rng, n);
            for _ in 1..k {
                let j = portable_index(&mut rng, n);
                if kept_errors[j] < kept_errors[best] {
                    best = j;
                }
            }
            keep[best]
        })
        .collect();
    let lo_q = opts.alpha / 2.0;
    let ranges = columns
        .iter()
        .map(|col| {
            let mut v: Vec<f64> = winners.iter().map(|&i| col[i]).collect();
            v.sort_by(f64::total_cmp);
            GoodRange {
                low: percentile_sorted(&v, lo_q),
                median: percentile_sorted(&v, 50.0),
                high: percentile_sorted(&v, 100.0 - lo_q),
                mode: mode_sorted(&v),
                alpha: opts.alpha,
            }
        })
        .collect();
    Ok(GoodRanges {
        ranges,
        winners,
        sample_size: k,
        n,
        n_excluded: errors.len() - n,
    })
}

/// The most frequent value of sorted values (the smallest among equally frequent ones).
fn mode_sorted(v: &[f64]) -> f64 {
    let (mut best, mut best_count) = (v[0], 0usize);
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j < v.len() && v[j] == v[i] {
            j += 1;
        }
        if j - i > best_count {
            best = v[i];
            best_count = j - i;
        }
        i = j;
    }
    best
}

/// The exact probability that each model is the winner of one resample of `sample_size`
/// models drawn with replacement: with `a` models worse than model `i` and `c` tied with it,
/// `P = (((a + c)/n)^k − (a/n)^k) / c`. This is the distribution the bootstrap estimates; use it
/// to check the bootstrap, or directly (it is the `b → ∞` limit). Non-finite errors get 0.
///
/// ```
/// use regnet_lab::stats::winner_distribution;
/// let p = winner_distribution(&[0.1, 0.2], 2)?;
/// assert_eq!(p, vec![0.75, 0.25]);
/// let p = winner_distribution(&[0.1, 0.1, 0.3, f64::NAN], 1)?;
/// assert!((p[0] - 1.0 / 3.0).abs() < 1e-15 && p[3] == 0.0);
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn winner_distribution(errors: &[f64], sample_size: usize) -> Result<Vec<f64>, StatsError> {
    if sample_size == 0 {
        return Err(invalid("sample_size", sample_size, "must be at least 1"));
    }
    let keep = finite_indices(errors);
    if keep.is_empty() {
        return Err(empty("winner distribution", errors.len()));
    }
    let n = keep.len() as f64;
    let k = sample_size as i32;
    let mut sorted: Vec<f64> = keep.iter().map(|&i| errors[i]).collect();
    sorted.sort_by(f64::total_cmp);
    let mut p = vec![0.0; errors.len()];
    for &i in &keep {
        let e = errors[i];
        let worse = sorted.len() - sorted.partition_point(|x| *x <= e);
        let tied = sorted.partition_point(|x| *x <= e) - sorted.partition_point(|x| *x < e);
        let a = worse as f64;
        let c = tied as f64;
        p[i] = (((a + c) / n).powi(k) - (a / n).powi(k)) / c;
    }
    Ok(p)
}
