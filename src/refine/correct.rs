//! Corrections for testing many candidate constraints on one sweep. Each candidate is a
//! hypothesis test; with twenty candidates at α = 0.05 one is expected to look significant by
//! chance alone, so the verdicts use adjusted p-values.

use serde::{Deserialize, Serialize};

use super::RefineError;

/// How p-values are adjusted for testing many candidates at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Correction {
    /// Holm's step-down procedure (1979): controls the family-wise error rate (the chance of
    /// even one false "improves"/"hurts") under any dependence between the tests. Uniformly
    /// more powerful than Bonferroni. The default: a refinement is a decision about the space.
    #[default]
    Holm,
    /// Benjamini–Hochberg (1995): controls the false discovery rate (the expected share of
    /// false verdicts among the significant ones); more powerful, valid for independent or
    /// positively dependent tests. Candidates of one sweep overlap, so prefer Holm when a
    /// single wrong refinement is costly.
    BenjaminiHochberg,
    /// No correction (each candidate tested alone). Shown for comparison only.
    None,
}

impl Correction {
    /// Short name for tables.
    pub fn name(&self) -> &'static str {
        match self {
            Correction::Holm => "Holm",
            Correction::BenjaminiHochberg => "Benjamini–Hochberg",
            Correction::None => "none",
        }
    }
}

/// Parses `holm`, `bh` (or `benjamini-hochberg`, `fdr`), `none`, for command lines.
impl std::str::FromStr for Correction {
    type Err = RefineError;
    fn from_str(s: &str) -> Result<Self, RefineError> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "holm" => Ok(Correction::Holm),
            "bh" | "benjamini-hochberg" | "fdr" => Ok(Correction::BenjaminiHochberg),
            "none" => Ok(Correction::None),
            _ => Err(RefineError::InvalidOption {
                name: "correction".into(),
                value: s.to_string(),
                why: "expected holm, bh or none".into(),
            }),
        }
    }
}

/// Adjusted p-values in the input order (as R's `p.adjust` and statsmodels' `multipletests`
/// compute them): Holm `p̃_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j))`, Benjamini–Hochberg
/// `p̃_(i) = min_{j ≥ i} min(1, m p_(j) / j)`, with `p_(1) ≤ … ≤ p_(m)`. Rejecting every
/// hypothesis with `p̃ ≤ α` is the corresponding procedure at level α. A NaN p-value is
/// treated as 1.
///
/// ```
/// use regnet_lab::refine::{Correction, adjust_pvalues};
/// let p = [0.01, 0.04, 0.03, 0.005];
/// // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02
/// let holm = adjust_pvalues(&p, Correction::Holm);
/// for (a, b) in holm.iter().zip([0.03, 0.06, 0.06, 0.02]) { assert!((a - b).abs() < 1e-12); }
/// // R: p.adjust(..., "BH") = 0.02 0.04 0.04 0.02
/// let bh = adjust_pvalues(&p, Correction::BenjaminiHochberg);
/// for (a, b) in bh.iter().zip([0.02, 0.04, 0.04, 0.02]) { assert!((a - b).abs() < 1e-12); }
/// ```
pub fn adjust_pvalues(p: &[f64], correction: Correction) -> Vec<f64> {
    let m = p.len();
    let clean: Vec<f64> = p
        .iter()
        .map(|&x| if x.is_nan() { 1.0 } else { x.clamp(0.0, 1.0) })
        .collect();
    if m == 0 || correction == Correction::None {
        return clean;
    }
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| clean[a].total_cmp(&clean[b]).then(a.cmp(&b)));
    let mut out = vec![0.0; m];
    match correction {
        Correction::Holm => {
            let mut running: f64 = 0.0;
            for (rank, &i) in order.iter().enumerate() {
                let v = ((m - rank) as f64 * clean[i]).min(1.0);
                running = running.max(v);
                out[i] = running;
            }
        }
        Correction::BenjaminiHochberg => {
            let mut running: f64 = 1.0;
            for (rank, &i) in order.iter().enumerate().rev() {
                let v = (m as f64 * clean[i] / (rank + 1) as f64).min(1.0);
                running = running.min(v);
                out[i] = running;
            }
        }
        Correction::None => unreachable!(),
    }
    out
}
