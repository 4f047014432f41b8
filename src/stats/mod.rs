//! Statistics of design spaces (paper §2; ICCV 2019 "On Network Design Spaces for Visual
//! Recognition" §3–4): the tools the paper uses to compare populations of models rather than
//! single models.
//!
//! - [`Edf`]: the error EDF `F(e) = (1/n) Σ 1[e_i < e]` and its legend summary
//!   (`[min error | mean error]`), unweighted or weighted.
//! - [`ComplexityBins`] / [`complexity_weights`] / [`normalized_edf`]: the complexity-normalised
//!   EDF of ICCV 2019 §4, which removes the effect of different flops (or params) distributions.
//! - [`ks_2samp`] / [`ks_statistic`]: the two-sample Kolmogorov–Smirnov statistic
//!   `D = sup_e |F1(e) − F2(e)|` with the p-value of `scipy.stats.ks_2samp`.
//! - [`good_range`]: the bootstrap range of a property of the best models (paper Fig. 2, middle
//!   and right: the shaded band and the dashed line), as pycls `get_filters` computes it.
//! - [`fit_quantized_linear`] / [`e_fit`]: fitting the quantised-linear width model
//!   `(w0, wa, wm)` to a network's per-block widths (paper §3.3, Fig. 8), and [`linear_fit`] for
//!   trends (best depth vs flops regime, Fig. 11).
//! - [`random_search_efficiency`]: expected minimum error of `k` models drawn from a sweep
//!   (ICCV 2019), exactly from the order statistics.
//! - [`compare_spaces`] / [`compare_paired`]: how one space's errors differ from another's
//!   (mean and 25th percentile with bootstrap intervals, KS), independent or paired by index.
//! - [`spearman`] / [`kendall_tau_b`]: rank correlation of two error columns.
//! - [`ks_plan_from_pilots`] / [`ks_plan_for_shift`]: how many models per space a KS
//!   comparison needs, by simulation (planning a sweep from a pilot or a given effect).
//!
//! # Diverged runs
//! A run that diverged has a non-finite error (`NaN`, or `±inf`). Every function that takes an
//! error column **excludes** such models and reports how many it excluded (`n_excluded`), so
//! a sweep with a few diverged runs can still be analysed; only when nothing is left does it
//! return [`StatsError::Empty`]. Non-finite values in any *other* column (weights, complexity,
//! property values, `x` of a fit) are an error ([`StatsError::NonFinite`]) that names the index.
//!
//! All randomness (the bootstrap) comes from a `ChaCha8Rng` seeded with a `u64`, with indices
//! drawn by our own portable mapping from `next_u64`, so results are identical on every machine.

mod bootstrap;
mod compare;
mod edf;
mod fit;
mod kolmogorov;
mod ks;
mod normalize;
mod power;
mod rank;
mod search;
mod util;

pub use bootstrap::{
    DEFAULT_FRACTION, DEFAULT_RESAMPLES, GoodRange, GoodRangeOptions, GoodRanges, good_range,
    good_ranges, winner_distribution,
};
pub use compare::{
    CompareOptions, Interval, PairedComparison, RankAgreement, SpaceComparison, compare_paired,
    compare_spaces, rank_agreement,
};
pub use edf::{Edf, EdfSummary, linspace};
pub use fit::{
    FitOptions, LinearFit, QuantizedLinearFit, XScale, e_fit, fit_quantized_linear,
    fit_quantized_linear_with, linear_fit,
};
pub use kolmogorov::{kolmogorov_limit_sf, kstwo_sf};
pub use ks::{KsMethod, KsTest, ks_2samp, ks_2samp_with, ks_statistic, ks_statistic_weighted};
pub use normalize::{
    BinScale, ComplexityBins, ComplexityWeights, EmptyBins, complexity_weights, normalized_edf,
};
pub use power::{
    PilotCorrection, PowerOptions, PowerPlan, PowerPoint, ks_critical_distance, ks_plan_for_shift,
    ks_plan_from_pilots,
};
pub use rank::{RankCorrelation, kendall_tau_b, spearman};
pub use search::{Draws, SearchEfficiency, random_search_efficiency};
pub(crate) use util::{mean, percentile_sorted};
pub use util::{percentile, portable_index, sample_indices};

use thiserror::Error;

/// Everything that can be wrong with the inputs of a statistic.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum StatsError {
    /// Nothing to compute on (after excluding non-finite errors).
    #[error("{what}: no finite values ({excluded} non-finite excluded)")]
    Empty { what: String, excluded: usize },
    /// Two columns that must pair up have different lengths.
    #[error("{what}: lengths differ ({left} vs {right})")]
    LengthMismatch {
        what: String,
        left: usize,
        right: usize,
    },
    /// A non-finite value where only finite values make sense.
    #[error("{what}: value {value} at index {index} is not finite")]
    NonFinite {
        what: String,
        index: usize,
        value: f64,
    },
    /// A weight below zero.
    #[error("weight {value} at index {index} is negative")]
    NegativeWeight { index: usize, value: f64 },
    /// Weights whose (finite-error) sum is zero: the weighted EDF is undefined.
    #[error("weights sum to {sum}: the weighted EDF is undefined")]
    ZeroWeight { sum: f64 },
    /// Complexity bins that hold no model, with [`EmptyBins::Error`].
    #[error(
        "complexity bins {bins:?} are empty (edges {edges:?}); use EmptyBins::Merge, fewer bins, \
         or other edges"
    )]
    EmptyBins { bins: Vec<usize>, edges: Vec<f64> },
    /// A complexity value outside the bins' edges.
    #[error("complexity {value} at index {index} lies outside the bins [{low}, {high}]")]
    OutsideBins {
        index: usize,
        value: f64,
        low: f64,
        high: f64,
    },
    /// An option or parameter out of its domain.
    #[error("invalid {name} = {value}: {why}")]
    InvalidArgument {
        name: String,
        value: String,
        why: String,
    },
    /// A column with no variation where a statistic needs some (a correlation of a constant).
    #[error("{what}: all values are equal ({value}); the statistic is undefined")]
    Constant { what: String, value: f64 },
}

pub(crate) fn invalid(name: &str, value: impl std::fmt::Display, why: &str) -> StatsError {
    StatsError::InvalidArgument {
        name: name.to_string(),
        value: value.to_string(),
        why: why.to_string(),
    }
}
