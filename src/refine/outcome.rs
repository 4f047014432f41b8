//! What [`super::suggest`] returns: per candidate its share of the space, its EDF against the
//! sweep's, the corrected test, the bootstrap intervals of the effect and a verdict, ranked.

use serde::{Deserialize, Serialize};

use super::{Candidate, Correction, Interval, PaperFinding, RangeSelection};
use crate::space::{DesignSpace, SpaceDescription};
use crate::stats::{Edf, KsTest, StatsError, percentile};

/// The verdict on one candidate (rule in the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Verdict {
    Improves,
    Neutral,
    Hurts,
    NotEnoughModels,
}

impl Verdict {
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Improves => "improves",
            Verdict::Neutral => "neutral",
            Verdict::Hurts => "hurts",
            Verdict::NotEnoughModels => "not enough models",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Which models a candidate was tested on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TestedOn {
    /// Every valid model of the sweep.
    All,
    /// Only the held-out models (not those its range was derived from).
    HoldOut,
}

/// Error summary of a group of models: the paper's legend `[min | mean]` and lower quantiles
/// (the good end of the EDF, where a refinement matters most).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorSummary {
    pub n: usize,
    pub min: f64,
    pub mean: f64,
    pub p10: f64,
    pub p25: f64,
    pub median: f64,
}

impl ErrorSummary {
    pub(super) fn of(errors: &[f64]) -> Result<Self, StatsError> {
        let s = Edf::new(errors)?.summary();
        Ok(ErrorSummary {
            n: s.n,
            min: s.min,
            mean: s.mean,
            p10: percentile(errors, 10.0)?,
            p25: percentile(errors, 25.0)?,
            median: percentile(errors, 50.0)?,
        })
    }
}

/// The evidence on one candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateResult {
    /// 1-based rank in [`Suggestions::results`].
    pub rank: usize,
    pub candidate: Candidate,
    pub tested_on: TestedOn,
    /// Models it was tested on (`n_kept + n_rejected`).
    pub n_tested: usize,
    pub n_kept: usize,
    pub n_rejected: usize,
    /// `n_kept / n_tested`.
    pub share_of_sweep: f64,
    /// Fraction of fresh samples of the space that satisfy it (`None`: space not rebuilt).
    pub share_of_space: Option<f64>,
    /// Errors of the kept models (`None` when none is kept).
    pub kept: Option<ErrorSummary>,
    /// Errors of all tested models.
    pub all: ErrorSummary,
    /// KS distance between the EDF of the kept models and that of all tested models (the
    /// paper's EDF panel: refined vs original space).
    pub ks_kept_vs_all: Option<f64>,
    /// KS test of kept vs rejected (`None`: not enough models).
    pub ks: Option<KsTest>,
    /// `mean(kept) − mean(all)` with its bootstrap interval.
    pub mean_diff: Option<Interval>,
    /// `p25(kept) − p25(all)` with its bootstrap interval.
    pub q25_diff: Option<Interval>,
    /// KS p-value adjusted for the number of candidates tested.
    pub p_adjusted: Option<f64>,
    pub verdict: Verdict,
    /// What the paper found about this kind of rule ([`paper_finding`](super::paper_finding)), to read next to the
    /// verdict.
    pub paper: Option<PaperFinding>,
    /// Why the verdict, and caveats (circular range, direction unclear, …).
    pub note: String,
    /// Errors of the kept models, ascending (for the EDF figure).
    pub kept_errors: Vec<f64>,
    /// Errors of all tested models, ascending.
    pub all_errors: Vec<f64>,
}

impl CandidateResult {
    /// The EDFs of kept and of all tested models, for the small-multiples figure.
    pub fn edfs(&self) -> Result<(Option<Edf>, Edf), StatsError> {
        let kept = if self.kept_errors.is_empty() {
            None
        } else {
            Some(Edf::new(&self.kept_errors)?)
        };
        Ok((kept, Edf::new(&self.all_errors)?))
    }
}

/// The ranked proposal for the next refinement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestions {
    /// The sweep's design space, when the sweep has a manifest.
    pub space: Option<SpaceDescription>,
    /// Valid models (finite error, not diverged).
    pub n_models: usize,
    /// Diverged or error-less runs, excluded.
    pub n_excluded: usize,
    /// Models the ranges were derived from / tested on under hold-out.
    pub n_derive: usize,
    pub n_holdout: usize,
    pub ranges: RangeSelection,
    pub correction: Correction,
    pub alpha: f64,
    pub seed: u64,
    pub resamples: usize,
    pub min_models: usize,
    /// Samples of the space drawn for the shares (0 when not estimated).
    pub space_samples: usize,
    /// Candidates tested (enough models): the size of the correction's family.
    pub n_tested: usize,
    /// Caveats about the whole analysis (small n, shares not estimated, …).
    pub notes: Vec<String>,
    /// Candidates, best first.
    pub results: Vec<CandidateResult>,
}

impl Suggestions {
    /// The best-supported improvement, if any candidate improves.
    pub fn best(&self) -> Option<&CandidateResult> {
        self.results
            .first()
            .filter(|r| r.verdict == Verdict::Improves)
    }

    /// The candidates with a verdict, in rank order.
    pub fn with_verdict(&self, v: Verdict) -> impl Iterator<Item = &CandidateResult> {
        self.results.iter().filter(move |r| r.verdict == v)
    }

    /// The result for a candidate by name.
    pub fn get(&self, name: &str) -> Option<&CandidateResult> {
        self.results.iter().find(|r| r.candidate.name == name)
    }

    /// The sweep's space refined by the best improving candidate: sample it and run the
    /// confirming sweep (`None` without a manifest or without an improvement).
    pub fn refined_space(&self) -> Option<DesignSpace> {
        let space = DesignSpace::from_description(self.space.clone()?);
        let best = self.best()?;
        let name = format!("{} + {}", space.name(), best.candidate.name);
        Some(
            space
                .refine(best.candidate.constraint.clone())
                .renamed(&name),
        )
    }
}
