//! The error EDF (paper §2.2, eq. 1): `F(e) = (1/n) Σ 1[e_i < e]`, the fraction of models with
//! error below `e`, and its weighted form `F(e) = Σ w_i 1[e_i < e] / Σ w_i` used by the
//! complexity-normalised EDF (ICCV 2019 §4).

use serde::{Deserialize, Serialize};

use super::StatsError;
use super::util::{check_finite, check_len, empty, finite_indices};

/// An empirical distribution function of errors. Built from an error column; models with a
/// non-finite error (diverged runs) are excluded and counted in [`Edf::n_excluded`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edf {
    /// Finite errors, ascending.
    errors: Vec<f64>,
    /// Normalised weights (sum 1) in the order of `errors`.
    weights: Vec<f64>,
    /// `cumulative[i]` = mass of `errors[..=i]`.
    cumulative: Vec<f64>,
    n_excluded: usize,
    weighted: bool,
}

/// The numbers the paper prints in its EDF legends, `[min error | mean error]`, and the counts
/// behind them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdfSummary {
    /// Models with a finite error.
    pub n: usize,
    /// Models excluded because their error was not finite (diverged).
    pub n_excluded: usize,
    pub min: f64,
    /// Mean error; the weighted mean `Σ w_i e_i / Σ w_i` for a weighted EDF.
    pub mean: f64,
    pub weighted: bool,
}

impl Edf {
    /// The EDF of an error column, each model with mass `1/n`.
    ///
    /// ```
    /// use regnet_lab::stats::Edf;
    /// let edf = Edf::new(&[0.3, 0.1, f64::NAN, 0.2, 0.2])?;
    /// assert_eq!(edf.eval(0.2), 0.25);          // only 0.1 is strictly below 0.2
    /// assert_eq!(edf.eval(0.25), 0.75);
    /// assert_eq!(edf.n_excluded(), 1);           // the diverged run
    /// let s = edf.summary();
    /// assert_eq!((s.min, s.mean), (0.1, 0.2));
    /// # Ok::<(), regnet_lab::stats::StatsError>(())
    /// ```
    pub fn new(errors: &[f64]) -> Result<Self, StatsError> {
        let keep = finite_indices(errors);
        let n_excluded = errors.len() - keep.len();
        if keep.is_empty() {
            return Err(empty("edf", n_excluded));
        }
        let mut e: Vec<f64> = keep.iter().map(|&i| errors[i]).collect();
        e.sort_by(f64::total_cmp);
        let n = e.len();
        let nf = n as f64;
        Ok(Edf {
            weights: vec![1.0 / nf; n],
            cumulative: (1..=n).map(|i| i as f64 / nf).collect(),
            errors: e,
            n_excluded,
            weighted: false,
        })
    }

    /// A weighted EDF: model `i` has mass `w_i / Σ w`. Weights must be finite and
    /// non-negative; models with a non-finite error are excluded together with their weight
    /// and the rest renormalised. If the remaining weights sum to zero the EDF is undefined
    /// and [`StatsError::ZeroWeight`] is returned.
    ///
    /// ```
    /// use regnet_lab::stats::Edf;
    /// let edf = Edf::weighted(&[0.1, 0.2, 0.3], &[2.0, 1.0, 1.0])?;
    /// assert_eq!(edf.eval(0.15), 0.5);
    /// assert!(Edf::weighted(&[0.1], &[0.0]).is_err());
    /// # Ok::<(), regnet_lab::stats::StatsError>(())
    /// ```
    pub fn weighted(errors: &[f64], weights: &[f64]) -> Result<Self, StatsError> {
        check_len(
            "weighted edf (errors vs weights)",
            errors.len(),
            weights.len(),
        )?;
        check_finite("edf weights", weights)?;
        if let Some(index) = weights.iter().position(|w| *w < 0.0) {
            return Err(StatsError::NegativeWeight {
                index,
                value: weights[index],
            });
        }
        let keep = finite_indices(errors);
        let n_excluded = errors.len() - keep.len();
        if keep.is_empty() {
            return Err(empty("weighted edf", n_excluded));
        }
        let mut pairs: Vec<(f64, f64)> = keep.iter().map(|&i| (errors[i], weights[i])).collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total: f64 = pairs.iter().map(|p| p.1).sum();
        if total <= 0.0 || !total.is_finite() {
            return Err(StatsError::ZeroWeight { sum: total });
        }
        let weights: Vec<f64> = pairs.iter().map(|p| p.1 / total).collect();
        let mut acc = 0.0;
        let cumulative = pairs
            .iter()
            .map(|p| {
                acc += p.1;
                acc / total
            })
            .collect();
        Ok(Edf {
            errors: pairs.iter().map(|p| p.0).collect(),
            weights,
            cumulative,
            n_excluded,
            weighted: true,
        })
    }

    /// `F(e)`: the mass of models with error strictly below `e` (paper eq. 1).
    pub fn eval(&self, e: f64) -> f64 {
        let k = self.errors.partition_point(|x| *x < e);
        if k == 0 { 0.0 } else { self.cumulative[k - 1] }
    }

    /// The mass of models with error at most `e` (the right-continuous EDF, as scipy's
    /// `searchsorted(side='right')`); equals [`Edf::eval`] except at the errors themselves.
    pub fn eval_le(&self, e: f64) -> f64 {
        let k = self.errors.partition_point(|x| *x <= e);
        if k == 0 { 0.0 } else { self.cumulative[k - 1] }
    }

    /// `F` on a grid of errors (e.g. [`linspace`]), for plotting a curve.
    pub fn eval_grid(&self, grid: &[f64]) -> Vec<f64> {
        grid.iter().map(|&e| self.eval(e)).collect()
    }

    /// The step function as `(error, mass at or below it)` at each distinct error, ascending:
    /// `F` jumps to the second value just after the first. With `(min, 0)` prepended this is
    /// the curve the paper draws.
    pub fn steps(&self) -> Vec<(f64, f64)> {
        let mut out: Vec<(f64, f64)> = Vec::new();
        for (i, &e) in self.errors.iter().enumerate() {
            match out.last_mut() {
                Some(last) if last.0 == e => last.1 = self.cumulative[i],
                _ => out.push((e, self.cumulative[i])),
            }
        }
        out
    }

    /// `[min error | mean error]` and counts, as in the paper's legends.
    pub fn summary(&self) -> EdfSummary {
        let mean = if self.weighted {
            self.errors
                .iter()
                .zip(&self.weights)
                .map(|(e, w)| e * w)
                .sum::<f64>()
        } else {
            self.errors.iter().sum::<f64>() / self.errors.len() as f64
        };
        EdfSummary {
            n: self.errors.len(),
            n_excluded: self.n_excluded,
            min: self.errors[0],
            mean,
            weighted: self.weighted,
        }
    }

    /// The finite errors, ascending.
    pub fn errors(&self) -> &[f64] {
        &self.errors
    }

    /// The normalised weights (sum 1), in the order of [`Edf::errors`].
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// Number of models in the EDF (finite errors).
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Never true: an EDF cannot be built from no finite error.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Models excluded because their error was not finite.
    pub fn n_excluded(&self) -> usize {
        self.n_excluded
    }

    pub fn is_weighted(&self) -> bool {
        self.weighted
    }
}

/// `n` evenly spaced values from `start` to `stop` inclusive, as `numpy.linspace`.
///
/// ```
/// assert_eq!(regnet_lab::stats::linspace(0.0, 1.0, 5), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
/// ```
pub fn linspace(start: f64, stop: f64, n: usize) -> Vec<f64> {
    match n {
        0 => vec![],
        1 => vec![start],
        _ => {
            let step = (stop - start) / (n - 1) as f64;
            let mut v: Vec<f64> = (0..n).map(|i| i as f64 * step + start).collect();
            v[n - 1] = stop;
            v
        }
    }
}

impl Edf {
    pub(crate) fn set_n_excluded(&mut self, n: usize) {
        self.n_excluded = n;
    }
}
