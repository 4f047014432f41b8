//! Evaluating one candidate: the kept and rejected models' errors, the KS test, bootstrap
//! intervals of the effect, and the verdict by the module's rule.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::join_notes;
use super::{
    Candidate, CandidateResult, ErrorSummary, Interval, RefineError, SuggestOptions, TestedOn,
    Verdict,
};
use crate::random::{derive_seed, fnv1a};
use crate::stats::{Edf, ks_2samp, mean, portable_index};
use crate::train::RunRecord;

pub(super) fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// Linear (numpy) percentile of sorted values: the one rule of `stats`.
pub(super) fn pct_sorted(v: &[f64], q: f64) -> f64 {
    crate::stats::percentile_sorted(v, q)
}

/// Stratified percentile bootstrap of `mean(kept) − mean(all)` and `p25(kept) − p25(all)`.
pub(super) fn bootstrap_diffs(
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

pub(super) fn evaluate(
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
pub(super) fn verdict(r: &CandidateResult, alpha: f64) -> (Verdict, String) {
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
