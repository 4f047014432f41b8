//! What [`super::suggest`] is asked to do: how good ranges are chosen and tested, the
//! resamples, the level and the correction, checked before anything runs.

use serde::{Deserialize, Serialize};

use super::{Candidate, Correction, RefineError, invalid};
use crate::stats::GoodRangeOptions;

/// How good-range candidates are derived and tested (see the module docs on circularity).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum RangeSelection {
    /// Derive ranges on a seeded random `derive_fraction` of the valid models, test them on
    /// the rest only. Honest p-values, at the cost of half the models (default 0.5).
    HoldOut { derive_fraction: f64 },
    /// Derive and test on every model: more power, but biased towards "improves"; such
    /// candidates are marked circular.
    InSample,
    /// No range candidates.
    Off,
}

impl Default for RangeSelection {
    fn default() -> Self {
        RangeSelection::HoldOut {
            derive_fraction: 0.5,
        }
    }
}

/// Parses `holdout` (half derives), `holdout:F` (a fraction F derives), `in-sample`, `off`,
/// for command lines.
///
/// ```
/// use regnet_lab::refine::RangeSelection;
/// assert_eq!("holdout".parse::<RangeSelection>()?, RangeSelection::default());
/// assert_eq!("holdout:0.3".parse::<RangeSelection>()?, RangeSelection::HoldOut { derive_fraction: 0.3 });
/// assert_eq!("in-sample".parse::<RangeSelection>()?, RangeSelection::InSample);
/// assert!("holdout:1.5".parse::<RangeSelection>().is_err());
/// # Ok::<(), regnet_lab::refine::RefineError>(())
/// ```
impl std::str::FromStr for RangeSelection {
    type Err = RefineError;
    fn from_str(s: &str) -> Result<Self, RefineError> {
        let t = s.trim().to_ascii_lowercase().replace('_', "-");
        let bad = || {
            invalid(
                "ranges",
                s,
                "expected holdout, holdout:F with 0 < F < 1, in-sample or off",
            )
        };
        match t.as_str() {
            "holdout" | "hold-out" => Ok(RangeSelection::default()),
            "in-sample" | "insample" => Ok(RangeSelection::InSample),
            "off" | "none" => Ok(RangeSelection::Off),
            _ => {
                let f: f64 = t
                    .strip_prefix("holdout:")
                    .or_else(|| t.strip_prefix("hold-out:"))
                    .and_then(|f| f.parse().ok())
                    .ok_or_else(bad)?;
                if f > 0.0 && f < 1.0 {
                    Ok(RangeSelection::HoldOut { derive_fraction: f })
                } else {
                    Err(bad())
                }
            }
        }
    }
}

/// Options of [`suggest`](super::suggest); `Default` is the documented choice for each, seed 0.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestOptions {
    /// Seeds the hold-out split, the good-range bootstrap, the effect bootstraps and the
    /// samples of the space: the same seed gives the same table.
    pub seed: u64,
    /// Bootstrap resamples for the effect intervals (default 2000).
    pub resamples: usize,
    /// Fewest kept and fewest rejected models for a test (default 10 each).
    pub min_models: usize,
    /// Level of the tests and `1 − α` of the intervals (default 0.05).
    pub alpha: f64,
    /// Multiple-testing correction (default Holm).
    pub correction: Correction,
    /// Fresh samples of the space to estimate the share each candidate keeps (default 2000;
    /// 0: not estimated).
    pub share_samples: usize,
    /// Good-range candidates: hold-out (default), in-sample or off.
    pub ranges: RangeSelection,
    /// Bootstrap of the good ranges (default pycls's: 2500 resamples of 25%, α = 5%); its
    /// seed is replaced by one derived from `seed`.
    pub good_range: GoodRangeOptions,
    /// Include the paper's rules (shared b, shared g, monotone widths / depths) (default true).
    pub paper_rules: bool,
    /// The user's own candidates, tested on every model.
    pub extra: Vec<Candidate>,
}

impl Default for SuggestOptions {
    fn default() -> Self {
        SuggestOptions {
            seed: 0,
            resamples: 2000,
            min_models: 10,
            alpha: 0.05,
            correction: Correction::Holm,
            share_samples: 2000,
            ranges: RangeSelection::default(),
            good_range: GoodRangeOptions::default(),
            paper_rules: true,
            extra: Vec::new(),
        }
    }
}

impl SuggestOptions {
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    pub fn resamples(mut self, b: usize) -> Self {
        self.resamples = b;
        self
    }
    pub fn min_models(mut self, n: usize) -> Self {
        self.min_models = n;
        self
    }
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
    pub fn correction(mut self, c: Correction) -> Self {
        self.correction = c;
        self
    }
    pub fn share_samples(mut self, n: usize) -> Self {
        self.share_samples = n;
        self
    }
    pub fn ranges(mut self, r: RangeSelection) -> Self {
        self.ranges = r;
        self
    }
    pub fn paper_rules(mut self, on: bool) -> Self {
        self.paper_rules = on;
        self
    }
    /// Add a user candidate (any [`Constraint`](crate::space::Constraint)).
    pub fn candidate(mut self, c: Candidate) -> Self {
        self.extra.push(c);
        self
    }
    /// Add a user candidate given as a named predicate over the spec.
    pub fn custom(
        self,
        name: &str,
        pred: impl Fn(&crate::space::AnyNetSpec) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.candidate(Candidate::custom(name, pred))
    }

    pub(crate) fn validate(&self) -> Result<(), RefineError> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(invalid("alpha", self.alpha, "must lie in (0, 1)"));
        }
        if self.resamples < 100 {
            return Err(invalid(
                "resamples",
                self.resamples,
                "at least 100 bootstrap resamples are needed for a 95% interval",
            ));
        }
        if self.min_models < 2 {
            return Err(invalid(
                "min_models",
                self.min_models,
                "must be at least 2 (a KS test of one model says nothing)",
            ));
        }
        if let RangeSelection::HoldOut { derive_fraction } = self.ranges
            && !(derive_fraction > 0.0 && derive_fraction < 1.0)
        {
            return Err(invalid(
                "derive_fraction",
                derive_fraction,
                "must lie in (0, 1): some models derive the ranges, the rest test them",
            ));
        }
        Ok(())
    }
}
