//! The paper's claims about its design spaces, tested on sweeps: each claim names the two spaces
//! it compares (or a property of one space's good models, or two subsets of one space's models)
//! and what the paper reports; the
//! verdict says whether these sweeps reproduce it, contradict it, or cannot decide at their n.
//!
//! Rules (docs/findings.md explains them):
//! - "B is better than A": **reproduced** when the KS test rejects "same distribution" at the
//!   Holm-corrected level and the mean difference B − A has its whole 95 % interval below zero;
//!   **contradicted** when the test rejects and the interval lies above zero; else undecided.
//! - "B costs nothing against A": **contradicted** when the test rejects and B is worse (interval
//!   above zero); **reproduced** when the interval's upper end is below the equivalence margin
//!   ([`FindingsOptions::margin`], error points); else undecided.
//! - "good models have property P in R": the bootstrap good range of P among the best models
//!   (paper Figure 2's band) — undecided when the sweep drew no model in R; else contradicted
//!   when the band excludes R; reproduced when it agrees with R and spans less than
//!   [`GOOD_RANGE_MAX_SHARE`] of the sampled range; otherwise undecided.
//! - "within one space, models with P in B are better than those with P in A": the two subsets
//!   of the sweep's models compared as two spaces are (KS, bootstrap mean interval, Holm), by the
//!   "B is better than A" rule; undecided when either subset has fewer than
//!   [`MIN_SUBSET_MODELS`] models.
//!
//! The mean intervals are paired by sample index where both sweeps share the sample seed (valid
//! for any two sweeps drawn index by index from one seed, and tighter where they share models).

use serde::{Deserialize, Serialize};

use crate::refine::{Correction, adjust_pvalues};
use crate::space::Property;
use crate::stats::{
    CompareOptions, GoodRange, GoodRangeOptions, Interval, PairedComparison, PowerOptions,
    PowerPlan, SpaceComparison, StatsError, compare_paired, compare_spaces, good_range,
    ks_plan_from_pilots,
};
use crate::sweep::SweepResults;

/// What the paper reports for a pair of spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// B's errors are lower than A's.
    Better,
    /// B's errors are no higher than A's (the restriction costs nothing).
    NoWorse,
}

/// What the paper reports about the good models of one space.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expected {
    /// The good range of the property contains this value.
    Near { value: f64 },
    /// The good range lies above this value.
    Above { value: f64 },
}

/// One claim of the paper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Claim {
    /// Space `b` against space `a`.
    Compare {
        text: String,
        a: String,
        b: String,
        expect: Expect,
    },
    /// The good models of `space` have `property` as `expected`.
    GoodModels {
        text: String,
        space: String,
        property: Property,
        expected: Expected,
    },
    /// Among the models of one `space`, those with `property` in `b` (inclusive bounds) against
    /// those with it in `a`: a direct test of a trend where the good range is too wide to
    /// decide (a value the flop window keeps rare, such as b = 1).
    WithinSpace {
        text: String,
        space: String,
        property: Property,
        a: (f64, f64),
        b: (f64, f64),
        expect: Expect,
    },
}

impl Claim {
    fn compare(text: &str, a: &str, b: &str, expect: Expect) -> Self {
        Claim::Compare {
            text: text.into(),
            a: a.into(),
            b: b.into(),
            expect,
        }
    }

    /// The claim in words.
    pub fn text(&self) -> &str {
        match self {
            Claim::Compare { text, .. }
            | Claim::GoodModels { text, .. }
            | Claim::WithinSpace { text, .. } => text,
        }
    }
}

/// The claims of the paper's §3 that the committed evidence can test, in the paper's order,
/// named with the spaces of `sweep::precomputed::evidence()`.
pub fn paper_claims() -> Vec<Claim> {
    use Expect::*;
    vec![
        Claim::compare(
            "AnyNetX_B ≈ A: a shared bottleneck ratio costs nothing",
            "AnyNetX_A",
            "AnyNetX_B",
            NoWorse,
        ),
        Claim::compare(
            "AnyNetX_C ≈ B: a shared group width costs nothing",
            "AnyNetX_B",
            "AnyNetX_C",
            NoWorse,
        ),
        Claim::compare(
            "AnyNetX_D better than C: non-decreasing widths",
            "AnyNetX_C",
            "AnyNetX_D",
            Better,
        ),
        Claim::compare(
            "AnyNetX_E better than D: non-decreasing depths",
            "AnyNetX_D",
            "AnyNetX_E",
            Better,
        ),
        Claim::compare(
            "RegNetX better than AnyNetX_A",
            "AnyNetX_A",
            "RegNetX",
            Better,
        ),
        Claim::compare(
            "RegNetX better than AnyNetX_E",
            "AnyNetX_E",
            "RegNetX",
            Better,
        ),
        Claim::compare(
            "wm = 2 costs nothing in RegNetX",
            "RegNetX",
            "RegNetX wm=2",
            NoWorse,
        ),
        Claim::compare(
            "w0 = wa costs nothing in RegNetX",
            "RegNetX",
            "RegNetX w0=wa",
            NoWorse,
        ),
        Claim::GoodModels {
            text: "good RegNetX models have wm ≈ 2.5".into(),
            space: "RegNetX".into(),
            property: Property::Wm,
            expected: Expected::Near { value: 2.5 },
        },
        Claim::GoodModels {
            text: "good RegNetX models have g > 1".into(),
            space: "RegNetX".into(),
            property: Property::GroupWidth,
            expected: Expected::Above { value: 1.0 },
        },
        Claim::compare(
            "SE helps: RegNetY better than RegNetX",
            "RegNetX",
            "RegNetY",
            Better,
        ),
    ]
}

/// The paper's claims about the alternatives it rejected on the way to AnyNetX_D and _E
/// (Fig. 7), named with the spaces of `sweep::precomputed::anynetx_alternatives()`: constant or
/// non-increasing widths are worse than D's non-decreasing ones, and constant or non-increasing
/// depths worse than E's non-decreasing ones. Each alternative refines the same space as the
/// paper's choice (C for widths, D for depths), so the two differ only in the constraint.
///
/// ```
/// let claims = regnet_lab::findings::paper_alternative_claims();
/// assert_eq!(claims.len(), 4);
/// assert!(claims.iter().all(|c| c.text().contains("better than")));
/// ```
pub fn paper_alternative_claims() -> Vec<Claim> {
    let claim = |text: &str, alternative: &str, choice: &str| {
        Claim::compare(text, alternative, choice, Expect::Better)
    };
    vec![
        claim(
            "AnyNetX_D (widths non-decreasing) better than constant widths",
            "AnyNetX_C widths constant",
            "AnyNetX_D",
        ),
        claim(
            "AnyNetX_D (widths non-decreasing) better than non-increasing widths",
            "AnyNetX_C widths non-increasing",
            "AnyNetX_D",
        ),
        claim(
            "AnyNetX_E (depths non-decreasing) better than constant depths",
            "AnyNetX_D depths constant",
            "AnyNetX_E",
        ),
        claim(
            "AnyNetX_E (depths non-decreasing) better than non-increasing depths",
            "AnyNetX_D depths non-increasing",
            "AnyNetX_E",
        ),
    ]
}

/// The paper's §4 claims about RegNetX's alternate designs and input resolution (Fig. 14 left
/// and middle), named with the spaces of `sweep::precomputed::regnet_x_alternate_designs()` and
/// `regnet_x_resolutions()`: the inverted bottleneck (b < 1) and depthwise convolution (g = 1)
/// are both worse than RegNetX's b = 1, g > 1, and the native input resolution (28×28 here,
/// 224×224 there) is better than a smaller or a larger one at the same flops.
///
/// ```
/// let claims = regnet_lab::findings::paper_design_claims();
/// assert_eq!(claims.len(), 4);
/// assert!(claims.iter().all(|c| c.text().contains("RegNetX")));
/// ```
pub fn paper_design_claims() -> Vec<Claim> {
    vec![
        Claim::compare(
            "RegNetX (b = 1) better than an inverted bottleneck (b = 1/4)",
            "RegNetX inverted bottleneck",
            "RegNetX",
            Expect::Better,
        ),
        Claim::compare(
            "RegNetX (g > 1) better than depthwise convolution (g = 1)",
            "RegNetX depthwise",
            "RegNetX",
            Expect::Better,
        ),
        Claim::compare(
            "RegNetX at its native 28×28 better than at 20×20",
            "RegNetX 20px",
            "RegNetX",
            Expect::Better,
        ),
        Claim::compare(
            "RegNetX at its native 28×28 better than at 40×40",
            "RegNetX 40px",
            "RegNetX",
            Expect::Better,
        ),
    ]
}

/// The paper's claim that RegNetX's advantage generalises (Fig. 10): in every setting of
/// `sweep::precomputed::generalisation()` (a higher flop regime, five stages, R and V blocks,
/// three times the epochs) RegNetX is better than AnyNetX_A and than AnyNetX_E, named with
/// that setting's spaces (e.g. `RegNetX 5 stages` against `AnyNetX_A 5 stages`).
///
/// ```
/// let claims = regnet_lab::findings::paper_generalisation_claims()?;
/// assert_eq!(claims.len(), 10);
/// assert_eq!(claims[0].text(), "RegNetX better than AnyNetX_A at 6-20 MF");
/// # Ok::<(), regnet_lab::space::SpaceError>(())
/// ```
pub fn paper_generalisation_claims() -> Result<Vec<Claim>, crate::space::SpaceError> {
    let mut claims = Vec::new();
    for setting in crate::sweep::precomputed::generalisation()? {
        for anynet in ["AnyNetX_A", "AnyNetX_E"] {
            claims.push(Claim::compare(
                &format!("RegNetX better than {anynet} at {}", setting.name),
                &format!("{anynet} {}", setting.name),
                &format!("RegNetX {}", setting.name),
                Expect::Better,
            ));
        }
    }
    Ok(claims)
}

/// The paper's claim that squeeze-excitation helps in every flop regime (Fig. 14, right): RegNetY
/// better than RegNetX in the evidence's own regime (spaces `RegNetX` and `RegNetY`) and in each
/// of `sweep::precomputed::TREND_REGIMES` (spaces `RegNetX 4-10 MF`, `RegNetY 4-10 MF`, …).
///
/// ```
/// let claims = regnet_lab::findings::paper_se_claims();
/// assert_eq!(claims.len(), 4);
/// assert_eq!(claims[3].text(), "SE helps at 4-10 MF");
/// ```
pub fn paper_se_claims() -> Vec<Claim> {
    use crate::sweep::precomputed::{TREND_REGIMES, fashion_regime, regime_label};
    let (lo, hi) = fashion_regime()
        .flops
        .expect("the evidence's regime is a flop window");
    let mut claims = vec![Claim::compare(
        &format!("SE helps at {} (the evidence)", regime_label(lo, hi)),
        "RegNetX",
        "RegNetY",
        Expect::Better,
    )];
    claims.extend(TREND_REGIMES.iter().map(|&(lo, hi)| {
        let r = regime_label(lo, hi);
        Claim::compare(
            &format!("SE helps at {r}"),
            &format!("RegNetX {r}"),
            &format!("RegNetY {r}"),
            Expect::Better,
        )
    }));
    claims
}

/// The paper's claim that its constrained RegNetX (Fig. 13: wm ≥ 2, parameters and activations
/// limited) is better than RegNetX in every flop regime, one claim per
/// `sweep::precomputed::TREND_REGIMES` (spaces of `regnet_x_constrained()` against `trends()`).
///
/// ```
/// let claims = regnet_lab::findings::paper_constraint_claims();
/// assert_eq!(claims.len(), 3);
/// assert_eq!(claims[0].text(), "constrained RegNetX better at 0.5-1.5 MF");
/// ```
pub fn paper_constraint_claims() -> Vec<Claim> {
    use crate::sweep::precomputed::{TREND_REGIMES, regime_label};
    TREND_REGIMES
        .iter()
        .map(|&(lo, hi)| {
            let r = regime_label(lo, hi);
            Claim::compare(
                &format!("constrained RegNetX better at {r}"),
                &format!("RegNetX {r}"),
                &format!("RegNetX constrained {r}"),
                Expect::Better,
            )
        })
        .collect()
}

/// The paper's parameter trends of RegNetX (Fig. 11) as claims about the models of each of
/// `sweep::precomputed::TREND_REGIMES` (spaces of `trends()`, e.g. `RegNetX 4-10 MF`): in
/// every regime the best models have b = 1, a depth of about 20 blocks and wm ≈ 2.5. Each is a
/// good-range claim; b = 1 is also tested directly, as b = 1 models against the b = 2 and 4
/// models of the same sweep, because a flop window keeps few b = 1 models and their good range
/// stays wide. (Its fourth trend, g, wa and w0 growing with the flops, is a slope across
/// regimes, which the trend figure shows rather than a claim per regime.)
///
/// ```
/// let claims = regnet_lab::findings::paper_trend_claims();
/// assert_eq!(claims.len(), 12);
/// assert_eq!(claims[0].text(), "good RegNetX models at 0.5-1.5 MF have b = 1");
/// assert_eq!(claims[1].text(), "RegNetX at 0.5-1.5 MF: b = 1 better than b = 2 or 4");
/// ```
pub fn paper_trend_claims() -> Vec<Claim> {
    use crate::sweep::precomputed::{TREND_REGIMES, regime_label};
    let trends = [
        ("b = 1", Property::BottleneckRatio, 1.0),
        ("depth ≈ 20", Property::Depth, 20.0),
        ("wm ≈ 2.5", Property::Wm, 2.5),
    ];
    TREND_REGIMES
        .iter()
        .flat_map(|&(lo, hi)| {
            let r = regime_label(lo, hi);
            let space = format!("RegNetX {r}");
            let mut claims: Vec<Claim> = trends
                .iter()
                .map(|&(what, property, value)| Claim::GoodModels {
                    text: format!("good RegNetX models at {r} have {what}"),
                    space: space.clone(),
                    property,
                    expected: Expected::Near { value },
                })
                .collect();
            claims.insert(
                1,
                Claim::WithinSpace {
                    text: format!("RegNetX at {r}: b = 1 better than b = 2 or 4"),
                    space,
                    property: Property::BottleneckRatio,
                    a: (2.0, 4.0),
                    b: (1.0, 1.0),
                    expect: Expect::Better,
                },
            );
            claims
        })
        .collect()
}

/// The verdict on one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Reproduced,
    Contradicted,
    /// Neither at this number of models.
    Undecided,
    /// A space the claim needs has no sweep here.
    Missing,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Reproduced => "reproduced",
            Verdict::Contradicted => "contradicted",
            Verdict::Undecided => "undecided at this n",
            Verdict::Missing => "no sweep",
        })
    }
}

/// Settings of the findings table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingsOptions {
    pub compare: CompareOptions,
    /// Level of the KS tests after the correction.
    pub alpha: f64,
    pub correction: Correction,
    /// A restriction "costs nothing" when its mean cost's upper 95 % bound is below this many
    /// error points: about the seed noise of one model's error under the `cpu` recipe.
    pub margin: f64,
}

impl Default for FindingsOptions {
    fn default() -> Self {
        FindingsOptions {
            compare: CompareOptions::default(),
            alpha: 0.05,
            correction: Correction::Holm,
            margin: 0.5,
        }
    }
}

/// The evidence on one claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub claim: Claim,
    /// Independent comparison (KS, both effects), for space comparisons.
    pub comparison: Option<SpaceComparison>,
    /// The effects paired by sample index, where both sweeps share the sample seed.
    pub paired: Option<PairedComparison>,
    /// Pairs that are the same model in both spaces (a constraint that did not bind).
    pub same_models: Option<usize>,
    /// KS p-value after the correction over all space comparisons of the table.
    pub p_adjusted: Option<f64>,
    /// The good range, for claims about good models.
    pub good_range: Option<GoodRange>,
    /// Models the good range rests on, and the property's sampled range.
    pub good_n: Option<usize>,
    /// Models in subsets A and B, for claims within one space (also when too few to compare).
    pub subset_n: Option<(usize, usize)>,
    pub sampled: Option<(f64, f64)>,
    pub verdict: Verdict,
}

impl Finding {
    /// The mean difference the verdict used (paired where available).
    pub fn mean_diff(&self) -> Option<Interval> {
        self.paired
            .as_ref()
            .map(|p| p.mean_diff)
            .or(self.comparison.as_ref().map(|c| c.mean_diff))
    }
    /// The 25th-percentile difference (paired where available).
    pub fn q25_diff(&self) -> Option<Interval> {
        self.paired
            .as_ref()
            .map(|p| p.q25_diff)
            .or(self.comparison.as_ref().map(|c| c.q25_diff))
    }
}

/// A findings table: one row per claim (shown as Markdown in a notebook, see
/// [`Findings::to_markdown`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Findings {
    pub rows: Vec<Finding>,
    pub options: FindingsOptions,
}

/// The findings table of `claims` on `sweeps` (name → results).
pub fn findings(
    claims: &[Claim],
    sweeps: &[(String, SweepResults)],
    opts: &FindingsOptions,
) -> Result<Findings, StatsError> {
    let get = |name: &str| sweeps.iter().find(|(n, _)| n == name).map(|(_, r)| r);
    let mut rows = Vec::new();
    for claim in claims {
        let mut row = Finding {
            claim: claim.clone(),
            comparison: None,
            paired: None,
            same_models: None,
            p_adjusted: None,
            good_range: None,
            good_n: None,
            subset_n: None,
            sampled: None,
            verdict: Verdict::Missing,
        };
        match claim {
            Claim::Compare { a, b, .. } => {
                if let (Some(ra), Some(rb)) = (get(a), get(b)) {
                    row.comparison =
                        Some(compare_spaces(&ra.errors(), &rb.errors(), &opts.compare)?);
                    if same_seed(ra, rb) {
                        let (pairs, same) = pairs_by_index(ra, rb);
                        if pairs.len() >= 2 {
                            row.paired = Some(compare_paired(&pairs, &opts.compare)?);
                            row.same_models = Some(same);
                        }
                    }
                }
            }
            Claim::GoodModels {
                space,
                property,
                expected,
                ..
            } => {
                if let Some(r) = get(space) {
                    let values = r.column(*property);
                    let g = good_range(&r.errors(), &values, &GoodRangeOptions::default())?;
                    let finite: Vec<f64> =
                        values.iter().copied().filter(|v| v.is_finite()).collect();
                    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    row.verdict = good_models_verdict(&g, *expected, (lo, hi));
                    row.good_range = Some(g);
                    row.good_n = Some(finite.len());
                    row.sampled = Some((lo, hi));
                }
            }
            Claim::WithinSpace {
                space,
                property,
                a,
                b,
                ..
            } => {
                if let Some(r) = get(space) {
                    let (ea, eb) = subsets(r, *property, *a, *b);
                    row.subset_n = Some((ea.len(), eb.len()));
                    row.verdict = Verdict::Undecided;
                    if ea.len().min(eb.len()) >= MIN_SUBSET_MODELS {
                        row.comparison = Some(compare_spaces(&ea, &eb, &opts.compare)?);
                    }
                }
            }
        }
        rows.push(row);
    }
    // One correction over every space comparison of the table.
    let tested: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].comparison.is_some())
        .collect();
    let p: Vec<f64> = tested
        .iter()
        .map(|&i| {
            rows[i]
                .comparison
                .as_ref()
                .expect("filtered above")
                .ks
                .pvalue
        })
        .collect();
    for (k, p_adj) in adjust_pvalues(&p, opts.correction).into_iter().enumerate() {
        let row = &mut rows[tested[k]];
        row.p_adjusted = Some(p_adj);
        if let Claim::Compare { expect, .. } | Claim::WithinSpace { expect, .. } = &row.claim {
            let diff = row.mean_diff().expect("a comparison has a mean difference");
            row.verdict = compare_verdict(*expect, diff, p_adj < opts.alpha, opts.margin);
        }
    }
    Ok(Findings {
        rows,
        options: opts.clone(),
    })
}

/// What an undecided "B better than A" row lacks to be decided (see [`Findings::undecided`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Lacking {
    /// The KS test rejects, but the mean difference's interval straddles zero.
    MeanInterval {
        p_adjusted: f64,
        mean_diff: Interval,
    },
    /// The KS test does not reject; `plan` says how many models per space would make it reject
    /// at the effect the sweeps show.
    KsTest { p_adjusted: f64, plan: PowerPlan },
}

/// One undecided row and what it lacks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UndecidedRow {
    pub claim: String,
    pub lacking: Lacking,
}

/// The undecided "better" rows of one findings table (shown as a list under it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UndecidedRows {
    pub rows: Vec<UndecidedRow>,
}

impl Findings {
    /// For each undecided "B better than A" row, which half of the rule it lacks: the mean
    /// interval (the KS test already rejects) or the KS test, and then how many models per space
    /// would make that test reject at the effect `sweeps` show. The plan takes the two sweeps as
    /// pilots ([`ks_plan_from_pilots`], shrunk towards no difference) at level α / k for the
    /// table's k tests, the level Holm asks of the smallest p-value, so it errs high; it treats
    /// the spaces as independent samples. It tells whether growing the sweeps can decide the
    /// row, either way.
    ///
    /// ```
    /// use regnet_lab::findings::{FindingsOptions, findings, paper_design_claims};
    /// // No sweeps: nothing is undecided (every row lacks its spaces instead).
    /// let table = findings(&paper_design_claims(), &[], &FindingsOptions::default())?;
    /// assert!(table.undecided(&[])?.rows.is_empty());
    /// # Ok::<(), regnet_lab::stats::StatsError>(())
    /// ```
    pub fn undecided(
        &self,
        sweeps: &[(String, SweepResults)],
    ) -> Result<UndecidedRows, StatsError> {
        let errors = |name: &str| {
            sweeps
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, r)| r.errors())
        };
        self.undecided_with(&errors)
    }

    /// [`Findings::undecided`] with each space's errors given by name.
    fn undecided_with(
        &self,
        errors: &dyn Fn(&str) -> Option<Vec<f64>>,
    ) -> Result<UndecidedRows, StatsError> {
        let tests = self.rows.iter().filter(|r| r.p_adjusted.is_some()).count();
        let plan = PowerOptions {
            alpha: self.options.alpha / tests.max(1) as f64,
            replicates: 500,
            ..PowerOptions::default()
        };
        let mut rows = Vec::new();
        for row in self.rows.iter().filter(|r| r.verdict == Verdict::Undecided) {
            let Claim::Compare {
                text,
                a,
                b,
                expect: Expect::Better,
            } = &row.claim
            else {
                continue;
            };
            let (Some(x), Some(y), Some(p_adjusted), Some(mean_diff)) =
                (errors(a), errors(b), row.p_adjusted, row.mean_diff())
            else {
                continue;
            };
            let lacking = if p_adjusted < self.options.alpha {
                Lacking::MeanInterval {
                    p_adjusted,
                    mean_diff,
                }
            } else {
                Lacking::KsTest {
                    p_adjusted,
                    plan: ks_plan_from_pilots(&x, &y, &plan)?,
                }
            };
            rows.push(UndecidedRow {
                claim: text.clone(),
                lacking,
            });
        }
        Ok(UndecidedRows { rows })
    }
}

/// The rule for a space comparison (module docs).
fn compare_verdict(expect: Expect, diff: Interval, rejects: bool, margin: f64) -> Verdict {
    match expect {
        Expect::Better if rejects && diff.below_zero() => Verdict::Reproduced,
        Expect::Better if rejects && diff.above_zero() => Verdict::Contradicted,
        Expect::NoWorse if rejects && diff.above_zero() => Verdict::Contradicted,
        Expect::NoWorse if diff.high < margin => Verdict::Reproduced,
        _ => Verdict::Undecided,
    }
}

/// A good range decides a claim only if it spans less than this share of the sampled range.
pub const GOOD_RANGE_MAX_SHARE: f64 = 0.75;

/// The rule for a good-models claim (module docs).
fn good_models_verdict(g: &GoodRange, expected: Expected, sampled: (f64, f64)) -> Verdict {
    // A sweep that drew no model with the value (or beyond it) cannot say whether good models
    // have it: a few models that all miss b = 1 do not contradict "b = 1 is best".
    let drawn = match expected {
        Expected::Near { value } => sampled.0 <= value && value <= sampled.1,
        Expected::Above { value } => sampled.1 > value,
    };
    if !drawn {
        return Verdict::Undecided;
    }
    // A band over most of what was sampled says little about where good models are.
    let covers_all = g.high - g.low >= GOOD_RANGE_MAX_SHARE * (sampled.1 - sampled.0);
    match expected {
        Expected::Near { value } if value < g.low || value > g.high => Verdict::Contradicted,
        Expected::Above { value } if g.high <= value => Verdict::Contradicted,
        _ if covers_all => Verdict::Undecided,
        Expected::Near { .. } => Verdict::Reproduced,
        Expected::Above { value } if g.low > value => Verdict::Reproduced,
        Expected::Above { .. } => Verdict::Undecided,
    }
}

/// A claim within one space is tested only when both its subsets have at least this many
/// models: fewer make the KS test and the bootstrap interval meaningless.
pub const MIN_SUBSET_MODELS: usize = 5;

/// The errors of `r`'s models with `property` in `a` and in `b` (inclusive bounds).
fn subsets(
    r: &SweepResults,
    property: Property,
    a: (f64, f64),
    b: (f64, f64),
) -> (Vec<f64>, Vec<f64>) {
    let inside = |v: f64, (lo, hi): (f64, f64)| lo <= v && v <= hi;
    let (mut ea, mut eb) = (Vec::new(), Vec::new());
    for (e, v) in r.errors().into_iter().zip(r.column(property)) {
        if inside(v, a) {
            ea.push(e);
        }
        if inside(v, b) {
            eb.push(e);
        }
    }
    (ea, eb)
}

fn same_seed(a: &SweepResults, b: &SweepResults) -> bool {
    matches!((&a.manifest, &b.manifest), (Some(x), Some(y)) if x.seed == y.seed)
}

/// (error in A, error in B) for every sample index valid in both, and how many of those pairs
/// are the same model.
fn pairs_by_index(a: &SweepResults, b: &SweepResults) -> (Vec<(f64, f64)>, usize) {
    let mut pairs = Vec::new();
    let mut same = 0;
    for ra in a.valid() {
        let Some(i) = ra.sample.index else { continue };
        if let Some(rb) = b.valid().find(|r| r.sample.index == Some(i)) {
            // `valid()` runs have a finite error.
            pairs.push((
                ra.error().unwrap_or(f64::NAN),
                rb.error().unwrap_or(f64::NAN),
            ));
            same += usize::from(
                ra.sample.spec == rb.sample.spec && ra.sample.regnet == rb.sample.regnet,
            );
        }
    }
    (pairs, same)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(low: f64, high: f64) -> Interval {
        Interval {
            estimate: (low + high) / 2.0,
            low,
            high,
        }
    }

    fn compare_row(
        text: &str,
        expect: Expect,
        verdict: Verdict,
        p: f64,
        mean: (f64, f64),
    ) -> Finding {
        Finding {
            claim: Claim::compare(text, "A", "B", expect),
            comparison: None,
            paired: Some(PairedComparison {
                n_pairs: 40,
                mean_diff: iv(mean.0, mean.1),
                q25_diff: iv(mean.0, mean.1),
            }),
            same_models: None,
            p_adjusted: Some(p),
            good_range: None,
            good_n: None,
            subset_n: None,
            sampled: None,
            verdict,
        }
    }

    #[test]
    fn undecided_better_rows_say_which_half_of_the_rule_they_lack() {
        use Expect::*;
        use Verdict::*;
        let table = Findings {
            rows: vec![
                compare_row("ks rejects", Better, Undecided, 0.01, (-0.6, 0.3)),
                compare_row("ks does not", Better, Undecided, 0.30, (-1.0, -0.2)),
                compare_row("decided", Better, Reproduced, 0.001, (-2.0, -1.0)),
                compare_row("costs nothing", NoWorse, Undecided, 0.50, (-0.2, 0.9)),
            ],
            options: FindingsOptions::default(),
        };
        // Two sweeps of 40 models whose errors differ by a shift the KS test can find.
        let a: Vec<f64> = (0..40).map(|i| 22.0 + 0.1 * i as f64).collect();
        let errors = |name: &str| match name {
            "A" => Some(a.clone()),
            "B" => Some(a.iter().map(|e| e - 1.0).collect()),
            _ => None,
        };
        let rows = table.undecided_with(&errors).unwrap().rows;
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].claim, "ks rejects");
        assert!(matches!(
            rows[0].lacking,
            Lacking::MeanInterval { p_adjusted, mean_diff } if p_adjusted == 0.01 && mean_diff.high == 0.3
        ));
        assert_eq!(rows[1].claim, "ks does not");
        let Lacking::KsTest { p_adjusted, plan } = &rows[1].lacking else {
            panic!("{rows:?}")
        };
        assert_eq!(*p_adjusted, 0.30);
        // Four rows, four KS tests: the plan's level is 0.05 / 4; a shift of a quarter of the
        // range is found with fewer than 2,000 models.
        assert_eq!(plan.options.alpha, 0.0125);
        assert!(plan.n.is_some_and(|n| n > 10), "{plan:?}");
        let md = UndecidedRows { rows }.to_markdown();
        assert!(
            md.contains("- ks rejects: the KS test rejects (Holm p = 0.010); the mean difference")
        );
        assert!(
            md.contains(
                "straddles zero\n- ks does not: KS Holm p = 0.300; this comparison needs ≈"
            )
        );
        assert!(md.contains("α = 0.0125"), "{md}");
        // Nothing undecided: nothing to say.
        let decided = Findings {
            rows: vec![table.rows[2].clone()],
            options: FindingsOptions::default(),
        };
        assert!(decided.undecided_with(&errors).unwrap().rows.is_empty());
        assert_eq!(UndecidedRows { rows: vec![] }.to_markdown(), "");
    }

    #[test]
    fn comparison_verdicts_follow_the_rules() {
        use Expect::*;
        use Verdict::*;
        assert_eq!(
            compare_verdict(Better, iv(-2.0, -0.5), true, 0.5),
            Reproduced
        );
        assert_eq!(
            compare_verdict(Better, iv(-2.0, -0.5), false, 0.5),
            Undecided
        );
        assert_eq!(
            compare_verdict(Better, iv(0.5, 2.0), true, 0.5),
            Contradicted
        );
        assert_eq!(compare_verdict(Better, iv(-1.0, 1.0), true, 0.5), Undecided);
        assert_eq!(
            compare_verdict(NoWorse, iv(0.5, 2.0), true, 0.5),
            Contradicted
        );
        assert_eq!(
            compare_verdict(NoWorse, iv(-0.3, 0.4), false, 0.5),
            Reproduced
        );
        // Better than the restriction's cost bound: also "costs nothing".
        assert_eq!(
            compare_verdict(NoWorse, iv(-2.0, -1.0), true, 0.5),
            Reproduced
        );
        assert_eq!(
            compare_verdict(NoWorse, iv(-0.3, 0.8), false, 0.5),
            Undecided
        );
    }

    #[test]
    fn good_model_verdicts_follow_the_rules() {
        use Verdict::*;
        let g = |low, high| GoodRange {
            low,
            median: (low + high) / 2.0,
            high,
            mode: low,
            alpha: 5.0,
        };
        let near = Expected::Near { value: 2.5 };
        assert_eq!(
            good_models_verdict(&g(2.2, 2.7), near, (1.5, 3.0)),
            Reproduced
        );
        assert_eq!(
            good_models_verdict(&g(1.6, 2.0), near, (1.5, 3.0)),
            Contradicted
        );
        assert_eq!(
            good_models_verdict(&g(1.5, 3.0), near, (1.5, 3.0)),
            Undecided
        );
        // No model drawn at 2.5: three models between 1.56 and 2.43 decide nothing.
        assert_eq!(
            good_models_verdict(&g(1.56, 2.43), near, (1.56, 2.43)),
            Undecided
        );
        assert_eq!(
            good_models_verdict(&g(1.6, 1.7), near, (1.5, 2.4)),
            Undecided
        );
        let above = Expected::Above { value: 1.0 };
        assert_eq!(
            good_models_verdict(&g(8.0, 32.0), above, (1.0, 64.0)),
            Reproduced
        );
        assert_eq!(
            good_models_verdict(&g(1.0, 1.0), above, (1.0, 64.0)),
            Contradicted
        );
        assert_eq!(
            good_models_verdict(&g(1.0, 16.0), above, (1.0, 64.0)),
            Undecided
        );
        assert_eq!(
            good_models_verdict(&g(1.0, 1.0), above, (1.0, 1.0)),
            Undecided
        );
    }
}
