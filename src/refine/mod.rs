//! The refinement assistant: from one finished sweep, rank the constraints that would improve
//! the design space, with the evidence for each.
//!
//! The paper refines AnyNetX_A into _E and then RegNet by *looking* at its plots (§2.1 step 4,
//! §3.2–3.3): a constraint is adopted when the refined space's error EDF is as good or better
//! (shared b and g cost nothing; non-decreasing widths and depths help; wm ≈ 2.5, b = 1).
//! [`suggest`] does that step from the data. The models already trained are reused — a model
//! that satisfies a constraint *is* a sample of the refined space (uniform sampling restricted
//! to a subset is uniform on the subset) — so a proposal costs no training; the refined space
//! is then sampled ([`Suggestions::refined_space`]) and confirmed with a new sweep.
//!
//! # What is computed, per candidate
//! - **kept / rejected**: the tested models that satisfy the constraint, and the others.
//! - **share of the sweep** (`n_kept / n_tested`) and **share of the space**: the fraction of
//!   `share_samples` fresh samples of the sweep's space (rebuilt from the manifest) that satisfy
//!   it, i.e. how much smaller the refined space is (paper §3.2 counts these sizes).
//! - **EDFs**: the error summaries (`[min | mean]` as the paper's legends, 10th and 25th
//!   percentiles) of kept vs all tested models, and the KS distance between those two EDFs
//!   (what the paper's EDF panels compare).
//! - **test**: two-sided two-sample KS test of *kept vs rejected* (disjoint, so independent
//!   samples and `ks_2samp`'s p-value is valid; kept vs all would share models). Its p-value is
//!   adjusted over all candidates tested ([`Correction`], Holm by default).
//! - **effects**: `mean(kept) − mean(all)` and `p25(kept) − p25(all)` (errors in %, negative =
//!   better), each with a percentile bootstrap interval at level `1 − α`: `resamples` stratified
//!   resamples (kept and rejected resampled separately with replacement, so the share kept is
//!   fixed), seeded per candidate from `seed` and the candidate's name. The intervals are
//!   per candidate (not adjusted); the multiplicity correction is carried by the test.
//!
//! # Verdict rule
//! With `p̃` the adjusted KS p-value and `CI_mean`, `CI_q25` the intervals above:
//! - [`Verdict::NotEnoughModels`] when fewer than `min_models` tested models are kept or
//!   fewer than `min_models` are rejected (no test is run and the candidate does not count
//!   towards the correction);
//! - [`Verdict::Improves`] when `p̃ ≤ α`, at least one of `CI_mean`, `CI_q25` lies entirely
//!   below 0, and neither lies entirely above 0;
//! - [`Verdict::Hurts`] when `p̃ ≤ α`, at least one interval lies entirely above 0 and neither
//!   entirely below 0;
//! - [`Verdict::Neutral`] otherwise: no evidence of a difference (the paper's "keeps the EDF",
//!   as for shared b and g — adopting it shrinks the space at no visible cost), or a
//!   significant change of shape without a clear direction (said in the note).
//!
//! Ranking: improves, neutral, hurts, not enough models; within each by adjusted p-value
//! (ascending), then by the mean difference (most negative first), then by name.
//!
//! # Ranges read off the same data are circular
//! A good-range candidate is derived from the sweep's best models, so testing it on the same
//! models is biased towards "improves" (its kept set contains the best models by
//! construction). By default ([`RangeSelection::HoldOut`]) the valid models are split once by a
//! seeded permutation: ranges are derived on one part (half by default) and tested only on the
//! other. The paper's rules and the user's candidates are fixed before looking at the data and
//! are tested on every model. [`RangeSelection::InSample`] derives and tests on all models and
//! marks those candidates `circular` in the table.
//!
//! ```
//! use regnet_lab::refine::{suggest, SuggestOptions, Verdict};
//! # use regnet_lab::{space::*, sweep::SweepResults, train::*};
//! # let space = DesignSpace::anynet_x_a().with_template(NetTemplate::fashion_mnist())
//! #     .with_anynet_ranges(AnyNetXRanges::small()).unwrap();
//! # let records = (0..300).map(|i| { let s = space.sample(3, i).unwrap();
//! #     let w = s.spec.stage_widths();
//! #     let noise = ((i * 7919) % 101) as f64 / 50.0;
//! #     let e = if w.windows(2).all(|p| p[0] <= p[1]) { 10.0 } else { 14.0 } + noise;
//! #     RunRecord::synthetic(&s, Some(e)) }).collect();
//! // `sweep`: 300 AnyNetX_A models whose error is 4 points lower when widths never shrink.
//! let sweep = SweepResults::from_records(records);
//! let s = suggest(&sweep, &SuggestOptions::default().seed(1).resamples(500))?;
//! let best = s.best().unwrap();
//! assert_eq!(best.candidate.name, "widths non-decreasing");
//! assert_eq!(best.verdict, Verdict::Improves);
//! println!("{s}"); // the ranked table; `s.to_html()` for a notebook
//! # Ok::<(), regnet_lab::refine::RefineError>(())
//! ```

mod catalogue;
mod correct;
mod table;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use catalogue::{
    Candidate, Origin, PaperFinding, catalogue, paper_candidates, paper_finding, range_properties,
};
pub use correct::{Correction, adjust_pvalues};

use crate::random::{derive_seed, fnv1a, shuffle_with};
use crate::space::{Constraint, DesignSpace, Sample, SpaceDescription};
use crate::stats::{
    Edf, GoodRangeOptions, KsTest, StatsError, ks_2samp, percentile, portable_index,
};
use crate::sweep::SweepResults;
use crate::train::RunRecord;

/// Everything that can go wrong while proposing refinements.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum RefineError {
    /// No model of the sweep has a finite error.
    #[error(
        "the sweep has no model with a finite error ({excluded} diverged or unfinished runs \
         excluded)"
    )]
    NoModels { excluded: usize },
    /// An option out of its domain.
    #[error("invalid option {name} = {value}: {why}")]
    InvalidOption {
        name: String,
        value: String,
        why: String,
    },
    /// A custom candidate without its predicate (e.g. deserialised from JSON).
    #[error(
        "candidate '{name}' is a custom constraint without its predicate (restored from \
         JSON?): build it again with Candidate::custom"
    )]
    DetachedConstraint { name: String },
    /// Two candidates share a name (the tables and seeds key on it).
    #[error("two candidates are named '{name}'; give each a unique name")]
    DuplicateName { name: String },
    #[error(transparent)]
    Stats(#[from] StatsError),
}

fn invalid(name: &str, value: impl std::fmt::Display, why: &str) -> RefineError {
    RefineError::InvalidOption {
        name: name.into(),
        value: value.to_string(),
        why: why.into(),
    }
}

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

/// Options of [`suggest`]; `Default` is the documented choice for each, seed 0.
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
    /// Add a user candidate (any [`Constraint`]).
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
        if let RangeSelection::HoldOut { derive_fraction } = self.ranges {
            if !(derive_fraction > 0.0 && derive_fraction < 1.0) {
                return Err(invalid(
                    "derive_fraction",
                    derive_fraction,
                    "must lie in (0, 1): some models derive the ranges, the rest test them",
                ));
            }
        }
        Ok(())
    }
}

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
    fn of(errors: &[f64]) -> Result<Self, StatsError> {
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

pub use crate::stats::Interval;

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
    /// What the paper found about this kind of rule ([`paper_finding`]), to read next to the
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

const SPLIT_STREAM: u64 = 0x5911_7000;
const SPACE_STREAM: u64 = 0x5AACE;

/// The hold-out split of `0..n`: a seeded Fisher–Yates permutation; the first
/// `round(n · fraction)` indices (sorted) derive, the rest (sorted) test.
pub(crate) fn split_indices(n: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut idx: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(seed, SPLIT_STREAM));
    shuffle_with(&mut idx, |k| portable_index(&mut rng, k));
    let k = ((n as f64 * fraction).round() as usize).min(n);
    let (mut a, mut b) = (idx[..k].to_vec(), idx[k..].to_vec());
    a.sort_unstable();
    b.sort_unstable();
    (a, b)
}

/// Propose the next refinement of the sweep's design space: every candidate of
/// [`catalogue`] with its share of the space, its EDF against the sweep's, a multiplicity-
/// corrected KS test, bootstrap intervals of the effect and a verdict, ranked by evidence (see
/// the module docs for the exact rule).
pub fn suggest(results: &SweepResults, opts: &SuggestOptions) -> Result<Suggestions, RefineError> {
    opts.validate()?;
    let valid: Vec<&RunRecord> = results.valid().collect();
    let n = valid.len();
    let n_excluded = results.records.len() - n;
    if n == 0 {
        return Err(RefineError::NoModels {
            excluded: n_excluded,
        });
    }
    let errors: Vec<f64> = valid.iter().filter_map(|r| r.error()).collect();
    let mut notes = Vec::new();
    if n_excluded > 0 {
        notes.push(format!(
            "{n_excluded} diverged or unfinished runs excluded from every statistic"
        ));
    }
    if n < 100 {
        notes.push(format!(
            "only {n} models (the paper uses 500 per space): only large effects can be detected, \
             and \"neutral\" here means \"no evidence\", not \"no effect\""
        ));
    }

    let candidates = catalogue(results, opts)?;
    let mut seen = std::collections::HashSet::new();
    for c in &candidates {
        if !seen.insert(c.name.clone()) {
            return Err(RefineError::DuplicateName {
                name: c.name.clone(),
            });
        }
        if matches!(
            c.constraint,
            Constraint::Custom { pred: None, .. } | Constraint::CustomRegNet { pred: None, .. }
        ) {
            return Err(RefineError::DetachedConstraint {
                name: c.name.clone(),
            });
        }
    }
    let all_idx: Vec<usize> = (0..n).collect();
    let (n_derive, holdout) = match opts.ranges {
        RangeSelection::HoldOut { derive_fraction } => {
            let (d, t) = split_indices(n, derive_fraction, opts.seed);
            (d.len(), t)
        }
        RangeSelection::InSample => {
            notes.push(
                "good ranges derived and tested on the same models (in-sample): their \
                 verdicts are biased towards \"improves\" and marked circular"
                    .into(),
            );
            (n, all_idx.clone())
        }
        RangeSelection::Off => (0, Vec::new()),
    };
    if let RangeSelection::HoldOut { .. } = opts.ranges {
        notes.push(format!(
            "good ranges derived on {n_derive} models and tested on the other {} (hold-out); \
             the paper's and the user's rules are tested on all {n}",
            holdout.len()
        ));
    }

    let samples = space_samples(results, opts, &mut notes);
    let regnet = catalogue::is_regnet(results);

    let mut rows: Vec<CandidateResult> = candidates
        .into_par_iter()
        .map(|c| {
            let (tested_on, pop) = match c.origin {
                Origin::GoodRange {
                    in_sample: false, ..
                } => (TestedOn::HoldOut, &holdout),
                _ => (TestedOn::All, &all_idx),
            };
            let share = samples.as_ref().map(|s| {
                s.iter().filter(|x| c.constraint.admits(x)).count() as f64 / s.len() as f64
            });
            evaluate(c, tested_on, pop, &valid, &errors, share, opts).map(|mut r| {
                r.paper = paper_finding(&r.candidate.constraint, regnet);
                r
            })
        })
        .collect::<Result<_, RefineError>>()?;

    // Multiplicity: one family of every candidate actually tested.
    let tested: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].ks.is_some()).collect();
    let p: Vec<f64> = tested
        .iter()
        .map(|&i| rows[i].ks.as_ref().map_or(1.0, |k| k.pvalue))
        .collect();
    let adj = adjust_pvalues(&p, opts.correction);
    for (&i, a) in tested.iter().zip(adj) {
        rows[i].p_adjusted = Some(a);
        let (verdict, note) = verdict(&rows[i], opts.alpha);
        rows[i].verdict = verdict;
        rows[i].note = join_notes(&rows[i].note, &note);
    }
    rows.sort_by(|a, b| {
        a.verdict
            .cmp(&b.verdict)
            .then(
                a.p_adjusted
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&b.p_adjusted.unwrap_or(f64::INFINITY)),
            )
            .then(
                a.mean_diff
                    .map_or(f64::INFINITY, |m| m.estimate)
                    .total_cmp(&b.mean_diff.map_or(f64::INFINITY, |m| m.estimate)),
            )
            .then(a.candidate.name.cmp(&b.candidate.name))
    });
    for (k, r) in rows.iter_mut().enumerate() {
        r.rank = k + 1;
    }
    Ok(Suggestions {
        space: results.manifest.as_ref().map(|m| m.space.clone()),
        n_models: n,
        n_excluded,
        n_derive,
        n_holdout: holdout.len(),
        ranges: opts.ranges,
        correction: opts.correction,
        alpha: opts.alpha,
        seed: opts.seed,
        resamples: opts.resamples,
        min_models: opts.min_models,
        space_samples: samples.as_ref().map_or(0, Vec::len),
        n_tested: tested.len(),
        notes,
        results: rows,
    })
}

fn join_notes(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}; {b}"),
    }
}

/// Fresh samples of the sweep's space (seeded, independent of the sweep's own sequence).
fn space_samples(
    results: &SweepResults,
    opts: &SuggestOptions,
    notes: &mut Vec<String>,
) -> Option<Vec<Sample>> {
    if opts.share_samples == 0 {
        return None;
    }
    let Some(m) = &results.manifest else {
        notes.push(
            "no manifest: the share of the space is not estimated (the share of the sweep \
             estimates it, less precisely)"
                .into(),
        );
        return None;
    };
    let space = DesignSpace::from_description(m.space.clone());
    let seed = derive_seed(opts.seed ^ m.seed, SPACE_STREAM);
    let drawn: Result<Vec<Sample>, _> = (0..opts.share_samples as u64)
        .into_par_iter()
        .map(|i| space.sample(seed, i))
        .collect();
    match drawn {
        Ok(s) => Some(s),
        Err(e) => {
            notes.push(format!(
                "the space could not be sampled ({e}): share of the space not estimated"
            ));
            None
        }
    }
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// Linear (numpy) percentile of sorted values: the one rule of `stats`.
fn pct_sorted(v: &[f64], q: f64) -> f64 {
    crate::stats::percentile_sorted(v, q)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Stratified percentile bootstrap of `mean(kept) − mean(all)` and `p25(kept) − p25(all)`.
fn bootstrap_diffs(
    kept: &[f64],
    rejected: &[f64],
    resamples: usize,
    alpha: f64,
    seed: u64,
) -> (Interval, Interval) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (nk, nr) = (kept.len(), rejected.len());
    let mut dm = Vec::with_capacity(resamples);
    let mut dq = Vec::with_capacity(resamples);
    let mut k = vec![0.0; nk];
    let mut all = vec![0.0; nk + nr];
    for _ in 0..resamples {
        for (j, slot) in k.iter_mut().enumerate() {
            *slot = kept[portable_index(&mut rng, nk)];
            all[j] = *slot;
        }
        for j in 0..nr {
            all[nk + j] = rejected[portable_index(&mut rng, nr)];
        }
        dm.push(mean(&k) - mean(&all));
        k.sort_by(f64::total_cmp);
        all.sort_by(f64::total_cmp);
        dq.push(pct_sorted(&k, 25.0) - pct_sorted(&all, 25.0));
    }
    let all0 = sorted([kept, rejected].concat());
    let k0 = sorted(kept.to_vec());
    let ci = |est: f64, d: Vec<f64>| {
        let d = sorted(d);
        Interval {
            estimate: est,
            low: pct_sorted(&d, 50.0 * alpha),
            high: pct_sorted(&d, 100.0 - 50.0 * alpha),
        }
    };
    (
        ci(mean(&k0) - mean(&all0), dm),
        ci(pct_sorted(&k0, 25.0) - pct_sorted(&all0, 25.0), dq),
    )
}

fn evaluate(
    candidate: Candidate,
    tested_on: TestedOn,
    pop: &[usize],
    valid: &[&RunRecord],
    errors: &[f64],
    share_of_space: Option<f64>,
    opts: &SuggestOptions,
) -> Result<CandidateResult, RefineError> {
    let mut kept = Vec::new();
    let mut rejected = Vec::new();
    for &i in pop {
        if candidate.admits(valid[i]) {
            kept.push(errors[i]);
        } else {
            rejected.push(errors[i]);
        }
    }
    let all_errors = sorted([kept.as_slice(), rejected.as_slice()].concat());
    let all = ErrorSummary::of(&all_errors)?;
    let kept_summary = if kept.is_empty() {
        None
    } else {
        Some(ErrorSummary::of(&kept)?)
    };
    let ks_kept_vs_all = if kept.is_empty() {
        None
    } else {
        Some(Edf::new(&kept)?.ks_distance(&Edf::new(&all_errors)?))
    };
    let (n_kept, n_rejected) = (kept.len(), rejected.len());
    let mut note = String::new();
    if candidate.is_circular() {
        note = "circular: range derived from the same models".into();
    }
    let enough = n_kept >= opts.min_models && n_rejected >= opts.min_models;
    let (ks, mean_diff, q25_diff) = if enough {
        let ks = ks_2samp(&kept, &rejected)?;
        let seed = derive_seed(opts.seed, fnv1a(&candidate.name));
        let (m, q) = bootstrap_diffs(&kept, &rejected, opts.resamples, opts.alpha, seed);
        (Some(ks), Some(m), Some(q))
    } else {
        let why = if n_rejected == 0 {
            "every tested model satisfies it: nothing to compare".to_string()
        } else if n_kept == 0 {
            "no tested model satisfies it".to_string()
        } else {
            format!(
                "{n_kept} kept / {n_rejected} rejected; need at least {} of each",
                opts.min_models
            )
        };
        note = join_notes(&note, &why);
        (None, None, None)
    };
    Ok(CandidateResult {
        rank: 0,
        candidate,
        tested_on,
        n_tested: pop.len(),
        n_kept,
        n_rejected,
        share_of_sweep: n_kept as f64 / pop.len().max(1) as f64,
        share_of_space,
        kept: kept_summary,
        all,
        ks_kept_vs_all,
        ks,
        mean_diff,
        q25_diff,
        p_adjusted: None,
        verdict: Verdict::NotEnoughModels,
        paper: None,
        note,
        kept_errors: sorted(kept),
        all_errors,
    })
}

/// The verdict rule of the module docs, with the reason.
fn verdict(r: &CandidateResult, alpha: f64) -> (Verdict, String) {
    let (Some(p), Some(m), Some(q)) = (r.p_adjusted, r.mean_diff, r.q25_diff) else {
        return (Verdict::NotEnoughModels, String::new());
    };
    let better = m.below_zero() || q.below_zero();
    let worse = m.above_zero() || q.above_zero();
    if p > alpha {
        return (Verdict::Neutral, String::new());
    }
    match (better, worse) {
        (true, false) => (Verdict::Improves, String::new()),
        (false, true) => (Verdict::Hurts, String::new()),
        (true, true) => (
            Verdict::Neutral,
            "EDFs differ, but mean and 25th percentile move in opposite directions".into(),
        ),
        (false, false) => (
            Verdict::Neutral,
            "EDFs differ, but neither interval excludes 0: direction unclear".into(),
        ),
    }
}
