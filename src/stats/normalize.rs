//! The complexity-normalised EDF (ICCV 2019 §4, "Normalized comparison"). Two design spaces
//! sampled in the same flops window can still have very different flops *distributions*, and
//! error falls with flops, so raw EDFs partly compare complexity. Binning models by complexity
//! and weighting each by `1 / (count in its bin) / (number of bins)` gives every bin the same
//! mass in every space: the weighted EDFs then compare spaces at equal complexity distribution.
//!
//! The nds notebooks use equal-width bins and assert that no bin is empty. Here an empty bin
//! is either an error that names the bins ([`EmptyBins::Error`], the default) or is merged into
//! its neighbour ([`EmptyBins::Merge`]); bins must be shared between the spaces compared
//! (build them with [`ComplexityBins::covering`], then merge empty bins jointly with
//! [`ComplexityBins::merged_for`], so that every space is weighted on the same bins).

use serde::{Deserialize, Serialize};

use super::edf::Edf;
use super::util::{check_finite, check_len, empty, finite_indices};
use super::{StatsError, invalid};

/// How bin edges are spaced between the lowest and highest complexity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum BinScale {
    /// Equal-width bins in flops (the nds notebooks).
    #[default]
    Linear,
    /// Equal-width bins in log(flops): geometric edges, for spaces spanning decades.
    Log,
}

/// What to do with a bin that holds no model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum EmptyBins {
    /// Return [`StatsError::EmptyBins`] naming the empty bins (the reference asserts).
    #[default]
    Error,
    /// Merge each empty bin into the next non-empty bin above it (trailing empty bins into the
    /// last non-empty bin below): the interior edges between them are dropped, and the number of
    /// bins in the weights is the number of non-empty bins.
    Merge,
}

/// Bin edges over a complexity axis (flops, params, …): bin `i` is `[edges[i], edges[i+1])`,
/// the last bin also includes its upper edge (as `numpy.histogram`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplexityBins {
    edges: Vec<f64>,
}

impl ComplexityBins {
    /// Bins from explicit, strictly increasing, finite edges (at least two).
    pub fn from_edges(edges: Vec<f64>) -> Result<Self, StatsError> {
        if edges.len() < 2 {
            return Err(invalid(
                "bin edges",
                format!("{edges:?}"),
                "need at least two edges",
            ));
        }
        check_finite("bin edges", &edges)?;
        if edges.windows(2).any(|w| w[0] >= w[1]) {
            return Err(invalid(
                "bin edges",
                format!("{edges:?}"),
                "must be strictly increasing",
            ));
        }
        Ok(ComplexityBins { edges })
    }

    /// `n_bins` equal-width bins (in the given scale) from `low` to `high`.
    pub fn equal_width(
        low: f64,
        high: f64,
        n_bins: usize,
        scale: BinScale,
    ) -> Result<Self, StatsError> {
        if n_bins == 0 {
            return Err(invalid("n_bins", n_bins, "must be at least 1"));
        }
        if !(low.is_finite() && high.is_finite() && low < high) {
            return Err(invalid(
                "bin range",
                format!("[{low}, {high}]"),
                "need finite low < high",
            ));
        }
        let mut edges = match scale {
            BinScale::Linear => super::edf::linspace(low, high, n_bins + 1),
            BinScale::Log => {
                if low <= 0.0 {
                    return Err(invalid(
                        "bin range",
                        format!("[{low}, {high}]"),
                        "log bins need low > 0",
                    ));
                }
                super::edf::linspace(low.ln(), high.ln(), n_bins + 1)
                    .into_iter()
                    .map(f64::exp)
                    .collect()
            }
        };
        edges[0] = low;
        edges[n_bins] = high;
        Self::from_edges(edges)
    }

    /// `n_bins` bins spanning every value of every column: the shared bins for comparing
    /// several design spaces (each space's complexity column is one element of `columns`).
    ///
    /// ```
    /// use regnet_lab::stats::{BinScale, ComplexityBins};
    /// let a = [1.0, 2.0, 3.0];
    /// let b = [2.0, 5.0];
    /// let bins = ComplexityBins::covering(&[&a, &b], 4, BinScale::Linear)?;
    /// assert_eq!(bins.edges(), &[1.0, 2.0, 3.0, 4.0, 5.0]);
    /// # Ok::<(), regnet_lab::stats::StatsError>(())
    /// ```
    pub fn covering(
        columns: &[&[f64]],
        n_bins: usize,
        scale: BinScale,
    ) -> Result<Self, StatsError> {
        let mut low = f64::INFINITY;
        let mut high = f64::NEG_INFINITY;
        for col in columns {
            check_finite("complexity", col)?;
            for &v in col.iter() {
                low = low.min(v);
                high = high.max(v);
            }
        }
        if low > high {
            return Err(empty("complexity bins", 0));
        }
        if low == high {
            return Err(StatsError::Constant {
                what: "complexity (cannot bin)".into(),
                value: low,
            });
        }
        Self::equal_width(low, high, n_bins, scale)
    }

    /// These bins with every bin that is empty in *any* of `columns` merged into its
    /// neighbour above (the last one into its neighbour below), repeated until each column has a
    /// model in every bin. Comparing spaces needs this joint merge: merging per space
    /// ([`EmptyBins::Merge`]) could leave two spaces on different bins, and their normalised
    /// EDFs would then weight complexity differently.
    ///
    /// ```
    /// use regnet_lab::stats::{BinScale, ComplexityBins};
    /// let bins = ComplexityBins::equal_width(0.0, 4.0, 4, BinScale::Linear)?;
    /// let a = [0.5, 1.5, 2.5, 3.5];
    /// let b = [0.5, 2.5, 3.6]; // nothing in [1, 2)
    /// let joint = bins.merged_for(&[&a, &b])?;
    /// assert_eq!(joint.edges(), &[0.0, 1.0, 3.0, 4.0]); // [1, 2) joined [2, 3)
    /// # Ok::<(), regnet_lab::stats::StatsError>(())
    /// ```
    pub fn merged_for(&self, columns: &[&[f64]]) -> Result<Self, StatsError> {
        let mut edges = self.edges.clone();
        for col in columns {
            check_finite("complexity", col)?;
        }
        loop {
            let bins = ComplexityBins {
                edges: edges.clone(),
            };
            let n = bins.n_bins();
            let mut empty_anywhere = vec![false; n];
            for col in columns {
                let mut counts = vec![0usize; n];
                for &v in col.iter() {
                    if let Some(b) = bins.bin_of(v) {
                        counts[b] += 1;
                    }
                }
                for (b, &c) in counts.iter().enumerate() {
                    empty_anywhere[b] |= c == 0;
                }
            }
            let Some(b) = empty_anywhere.iter().position(|&e| e) else {
                return Ok(bins);
            };
            if n == 1 {
                return Err(empty("complexity bins (a column is empty)", 0));
            }
            // Drop the edge between bin b and its neighbour above (below for the last bin).
            edges.remove(if b + 1 < n { b + 1 } else { b });
        }
    }

    pub fn edges(&self) -> &[f64] {
        &self.edges
    }

    pub fn n_bins(&self) -> usize {
        self.edges.len() - 1
    }

    /// The bin of a value, `None` outside `[first edge, last edge]`.
    pub fn bin_of(&self, value: f64) -> Option<usize> {
        let n = self.n_bins();
        if !(value >= self.edges[0] && value <= self.edges[n]) {
            return None;
        }
        let k = self.edges.partition_point(|e| *e <= value);
        Some((k - 1).min(n - 1))
    }
}

/// Per-model weights of the complexity-normalised EDF, with the binning behind them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplexityWeights {
    /// `1 / count(bin of i) / number of bins`, summing to 1.
    pub weights: Vec<f64>,
    /// The (effective) bin of each model.
    pub bin_of: Vec<usize>,
    /// Models per effective bin.
    pub counts: Vec<usize>,
    /// The effective edges: the input edges less those dropped by merging.
    pub edges: Vec<f64>,
    /// Original indices of the bins that were empty and merged (empty unless
    /// [`EmptyBins::Merge`]).
    pub merged: Vec<usize>,
}

/// Weights that give each complexity bin equal mass (ICCV 2019 §4). `complexity` is one model's
/// flops (or params) each; every value must be finite and inside the bins.
///
/// ```
/// use regnet_lab::stats::{complexity_weights, BinScale, ComplexityBins, EmptyBins};
/// let flops = [1.0, 1.5, 1.2, 3.5];
/// let bins = ComplexityBins::equal_width(1.0, 4.0, 3, BinScale::Linear)?;
/// // bin [2, 3) is empty:
/// assert!(complexity_weights(&flops, &bins, EmptyBins::Error).is_err());
/// let w = complexity_weights(&flops, &bins, EmptyBins::Merge)?;
/// assert_eq!(w.weights, vec![1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0, 0.5]);
/// assert_eq!(w.merged, vec![1]);
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn complexity_weights(
    complexity: &[f64],
    bins: &ComplexityBins,
    empty_bins: EmptyBins,
) -> Result<ComplexityWeights, StatsError> {
    if complexity.is_empty() {
        return Err(empty("complexity weights", 0));
    }
    check_finite("complexity", complexity)?;
    let n_bins = bins.n_bins();
    let mut raw_bin = Vec::with_capacity(complexity.len());
    for (index, &value) in complexity.iter().enumerate() {
        match bins.bin_of(value) {
            Some(b) => raw_bin.push(b),
            None => {
                return Err(StatsError::OutsideBins {
                    index,
                    value,
                    low: bins.edges[0],
                    high: bins.edges[n_bins],
                });
            }
        }
    }
    let mut raw_counts = vec![0usize; n_bins];
    for &b in &raw_bin {
        raw_counts[b] += 1;
    }
    let empties: Vec<usize> = (0..n_bins).filter(|&b| raw_counts[b] == 0).collect();
    if !empties.is_empty() && empty_bins == EmptyBins::Error {
        return Err(StatsError::EmptyBins {
            bins: empties,
            edges: bins.edges.clone(),
        });
    }
    // Map each original bin to an effective bin: empty bins join the next non-empty bin
    // above; trailing empty bins join the last non-empty one.
    let nonempty: Vec<usize> = (0..n_bins).filter(|&b| raw_counts[b] > 0).collect();
    let mut effective = vec![0usize; n_bins];
    let mut next = 0;
    for (b, eff) in effective.iter_mut().enumerate() {
        while next < nonempty.len() && nonempty[next] < b {
            next += 1;
        }
        *eff = next.min(nonempty.len() - 1);
    }
    // Effective edges: the first edge, the upper edge of every non-empty bin but the last, and
    // the last edge.
    let mut edges = vec![bins.edges[0]];
    for &b in &nonempty[..nonempty.len() - 1] {
        edges.push(bins.edges[b + 1]);
    }
    edges.push(bins.edges[n_bins]);
    let counts: Vec<usize> = nonempty.iter().map(|&b| raw_counts[b]).collect();
    let bin_of: Vec<usize> = raw_bin.iter().map(|&b| effective[b]).collect();
    let k = counts.len() as f64;
    let weights = bin_of.iter().map(|&b| 1.0 / counts[b] as f64 / k).collect();
    Ok(ComplexityWeights {
        weights,
        bin_of,
        counts,
        edges,
        merged: empties,
    })
}

/// The complexity-normalised error EDF of one design space. Models with a non-finite error
/// (diverged) are excluded *before* binning, so they take no bin mass; the returned weights
/// are those of the kept models, in their original order.
///
/// ```
/// use regnet_lab::stats::{normalized_edf, BinScale, ComplexityBins, EmptyBins};
/// let errors = [0.30, 0.20, 0.25, 0.10];
/// let flops = [1.0, 1.1, 1.2, 3.9];
/// let bins = ComplexityBins::equal_width(1.0, 4.0, 2, BinScale::Linear)?;
/// let (edf, w) = normalized_edf(&errors, &flops, &bins, EmptyBins::Error)?;
/// // the single high-flops model carries half the mass
/// assert!((edf.eval(0.15) - 0.5).abs() < 1e-12);
/// assert_eq!(w.counts, vec![3, 1]);
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn normalized_edf(
    errors: &[f64],
    complexity: &[f64],
    bins: &ComplexityBins,
    empty_bins: EmptyBins,
) -> Result<(Edf, ComplexityWeights), StatsError> {
    check_len(
        "normalized edf (errors vs complexity)",
        errors.len(),
        complexity.len(),
    )?;
    let keep = finite_indices(errors);
    if keep.is_empty() {
        return Err(empty("normalized edf", errors.len()));
    }
    let e: Vec<f64> = keep.iter().map(|&i| errors[i]).collect();
    let c: Vec<f64> = keep.iter().map(|&i| complexity[i]).collect();
    let w = complexity_weights(&c, bins, empty_bins)?;
    let mut edf = Edf::weighted(&e, &w.weights)?;
    edf.set_n_excluded(errors.len() - keep.len());
    Ok((edf, w))
}
