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
mod evaluate;
mod options;
mod outcome;
mod table;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use thiserror::Error;

pub use crate::stats::Interval;
pub use catalogue::{
    Candidate, Origin, PaperFinding, catalogue, paper_candidates, paper_finding, range_properties,
};
pub use correct::{Correction, adjust_pvalues};
pub use options::{RangeSelection, SuggestOptions};
pub use outcome::{CandidateResult, ErrorSummary, Suggestions, TestedOn, Verdict};

use crate::random::{derive_seed, shuffle_with};
use crate::space::{Constraint, DesignSpace, Sample};
use crate::stats::{StatsError, portable_index};
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

pub(crate) fn invalid(name: &str, value: impl std::fmt::Display, why: &str) -> RefineError {
    RefineError::InvalidOption {
        name: name.into(),
        value: value.to_string(),
        why: why.into(),
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
            evaluate::evaluate(c, tested_on, pop, &valid, &errors, share, opts).map(|mut r| {
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
        let (verdict, note) = evaluate::verdict(&rows[i], opts.alpha);
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

pub(super) fn join_notes(a: &str, b: &str) -> String {
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
