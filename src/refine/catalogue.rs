//! The candidate refinements: the paper's rules (AnyNetX_A → _E, §3.2) and ranges of the
//! properties the paper reads off its error-vs-property plots (§3.3: wm ≈ 2.5, b = 1, d ≈ 20),
//! derived from the sweep by the bootstrap good range (paper Fig. 2, pycls `get_filters`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{RangeSelection, RefineError, SuggestOptions, split_indices};
use crate::space::{AnyNetSpec, Constraint, Family, Property, RegNetParams};
use crate::stats::{GoodRange, good_range};
use crate::sweep::SweepResults;
use crate::train::RunRecord;

/// Where a candidate comes from; decides which models it is tested on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Origin {
    /// A rule of the paper fixed before looking at the data (shared b, shared g, monotone
    /// widths / depths, §3.2): tested on every model of the sweep.
    Paper,
    /// A range read off the sweep's best models by the bootstrap good range. `in_sample` is
    /// true when it is tested on the same models it was derived from (circular: biased towards
    /// "improves"; see [`RangeSelection`]).
    GoodRange {
        property: Property,
        range: GoodRange,
        /// Models the range was derived from.
        derived_from: usize,
        in_sample: bool,
    },
    /// A constraint given by the user: tested on every model of the sweep.
    User,
}

/// A named candidate refinement of the sweep's design space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Unique name shown in tables.
    pub name: String,
    /// The rule, as [`crate::space::DesignSpace::refine`] takes it.
    pub constraint: Constraint,
    pub origin: Origin,
}

impl Candidate {
    /// A user candidate from any constraint.
    ///
    /// ```
    /// use regnet_lab::refine::Candidate;
    /// use regnet_lab::space::{Constraint, Property};
    /// let c = Candidate::new("d ≤ 8", Constraint::Range { property: Property::Depth, min: 1.0, max: 8.0 });
    /// assert_eq!(c.name, "d ≤ 8");
    /// ```
    pub fn new(name: impl Into<String>, constraint: Constraint) -> Self {
        Candidate {
            name: name.into(),
            constraint,
            origin: Origin::User,
        }
    }

    /// A user candidate from a predicate over the spec (a [`Constraint::Custom`]).
    ///
    /// ```
    /// use regnet_lab::refine::Candidate;
    /// let c = Candidate::custom("last stage widest", |s| {
    ///     let w = s.stage_widths();
    ///     w.last() == w.iter().max()
    /// });
    /// assert_eq!(c.constraint.name(), "last stage widest");
    /// ```
    pub fn custom(
        name: impl Into<String>,
        pred: impl Fn(&AnyNetSpec) -> bool + Send + Sync + 'static,
    ) -> Self {
        let name = name.into();
        Candidate {
            constraint: Constraint::Custom {
                name: name.clone(),
                pred: Some(Arc::new(pred)),
            },
            name,
            origin: Origin::User,
        }
    }

    /// A user candidate from a predicate over the RegNet parameters
    /// ([`Constraint::CustomRegNet`]); models without RegNet parameters satisfy it.
    pub fn custom_regnet(
        name: impl Into<String>,
        pred: impl Fn(&RegNetParams) -> bool + Send + Sync + 'static,
    ) -> Self {
        let name = name.into();
        Candidate {
            constraint: Constraint::CustomRegNet {
                name: name.clone(),
                pred: Some(Arc::new(pred)),
            },
            name,
            origin: Origin::User,
        }
    }

    fn paper(c: Constraint) -> Self {
        Candidate {
            name: c.name(),
            constraint: c,
            origin: Origin::Paper,
        }
    }

    /// Whether a model of the sweep satisfies the candidate.
    pub fn admits(&self, r: &RunRecord) -> bool {
        self.constraint.admits(&r.sample)
    }

    /// True for a range read off the same models it is tested on.
    pub fn is_circular(&self) -> bool {
        matches!(
            self.origin,
            Origin::GoodRange {
                in_sample: true,
                ..
            }
        )
    }
}

/// What the paper found about a candidate's rule, to show next to the sweep's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperFinding {
    /// The paper's verdict on the rule itself (`None` for ranges: the paper reports a best
    /// value, not a test of this particular range).
    pub verdict: Option<super::Verdict>,
    /// Short text with the section, for a table column.
    pub short: String,
    /// One sentence with the paper's evidence.
    pub text: String,
}

/// The paper's finding on a constraint, if it studied one like it: AnyNetX_B–E (§3.2, Fig. 5, 7)
/// and, for RegNet sweeps (`regnet`), ranges of wm, b, g, d (§3.3–4, Fig. 9, 11). The paper's
/// findings are about ImageNet at 400MF; a small-image sweep may legitimately disagree.
///
/// ```
/// use regnet_lab::refine::{paper_finding, Verdict};
/// use regnet_lab::space::Constraint;
/// let f = paper_finding(&Constraint::WidthsNonDecreasing, false).unwrap();
/// assert_eq!(f.verdict, Some(Verdict::Improves));
/// ```
pub fn paper_finding(c: &Constraint, regnet: bool) -> Option<PaperFinding> {
    use super::Verdict::{Improves, Neutral};
    let f = |verdict, short: &str, text: &str| {
        Some(PaperFinding {
            verdict,
            short: short.into(),
            text: text.into(),
        })
    };
    match c {
        Constraint::SharedBottleneckRatio => f(
            Some(Neutral),
            "B (§3.2): no loss",
            "AnyNetX_B: sharing b leaves the EDF unchanged, so the space is simplified for free",
        ),
        Constraint::SharedGroupWidth => f(
            Some(Neutral),
            "C (§3.2): no loss",
            "AnyNetX_C: sharing g leaves the EDF unchanged (6^3 fewer models)",
        ),
        Constraint::WidthsNonDecreasing => f(
            Some(Improves),
            "D (§3.2): improves",
            "AnyNetX_D: good models widen stage by stage; w_{i+1} ≥ w_i improves the EDF",
        ),
        Constraint::DepthsNonDecreasing => f(
            Some(Improves),
            "E (§3.2): improves",
            "AnyNetX_E: d_{i+1} ≥ d_i improves the EDF (good models deepen, not always the last stage)",
        ),
        Constraint::WidthsConstant | Constraint::WidthsNonIncreasing => f(
            Some(super::Verdict::Hurts),
            "D alternatives (§3.2): worse",
            "the paper tried constant and decreasing widths as alternatives to AnyNetX_D: both worse",
        ),
        Constraint::DepthsConstant | Constraint::DepthsNonIncreasing => f(
            Some(super::Verdict::Hurts),
            "E alternatives (§3.2): worse",
            "the paper tried constant and decreasing depths as alternatives to AnyNetX_E: both worse",
        ),
        Constraint::Range { property, .. } if regnet => match property {
            Property::Wm => f(
                None,
                "§3.3: wm ≈ 2.5",
                "best RegNet models have wm ≈ 2.5; RegNetX samples 2 ≤ wm ≤ 3",
            ),
            Property::BottleneckRatio => f(
                None,
                "§3.3: b = 1",
                "b = 1 (no bottleneck) is best in RegNet; RegNetX fixes it",
            ),
            Property::GroupWidth => f(
                None,
                "§3.3: g > 1",
                "group widths above 1 are better; the best g grows with complexity",
            ),
            Property::Depth => f(
                None,
                "§3.3: d ≈ 20",
                "the best depth is about 20 blocks across regimes; RegNetX samples 12 ≤ d ≤ 28",
            ),
            _ => None,
        },
        _ => None,
    }
}

/// Whether the sweep is a RegNet sweep (from its manifest, else from its records).
pub(crate) fn is_regnet(results: &SweepResults) -> bool {
    match &results.manifest {
        Some(m) => matches!(m.space.family, Family::RegNet(_)),
        None => results.records.iter().any(|r| r.sample.regnet.is_some()),
    }
}

fn space_has(results: &SweepResults, c: &Constraint) -> bool {
    results
        .manifest
        .as_ref()
        .is_some_and(|m| m.space.constraints.contains(c))
}

/// The paper's rules that still restrict the sweep's space (paper §3.2: AnyNetX_A → B → C → D
/// → E): shared bottleneck ratio, shared group width, non-decreasing widths, non-decreasing
/// depths; a rule the space already imposes is left out. RegNet sweeps get none (their widths
/// are non-decreasing by construction and their b and g are shared).
pub fn paper_candidates(results: &SweepResults) -> Vec<Candidate> {
    if is_regnet(results) {
        return Vec::new();
    }
    [
        Constraint::SharedBottleneckRatio,
        Constraint::SharedGroupWidth,
        Constraint::WidthsNonDecreasing,
        Constraint::DepthsNonDecreasing,
    ]
    .into_iter()
    .filter(|c| !space_has(results, c))
    .map(Candidate::paper)
    .collect()
}

/// The properties whose good ranges become candidates: for RegNet sweeps `d, w0, wa, wm, g, b`
/// (paper §3.3–4, Fig. 9, 11); for AnyNet sweeps `d`, each stage's `d_i`, `w_i`, and `b_i`, `g_i`
/// (or the shared `b`, `g` once the space shares them). Only properties every model has.
pub fn range_properties(results: &SweepResults) -> Vec<Property> {
    if is_regnet(results) {
        return vec![
            Property::Depth,
            Property::W0,
            Property::Wa,
            Property::Wm,
            Property::GroupWidth,
            Property::BottleneckRatio,
        ];
    }
    let stages = results
        .valid()
        .map(|r| r.sample.spec.stages().len())
        .min()
        .unwrap_or(0);
    let mut props = vec![Property::Depth];
    props.extend((1..=stages).map(Property::StageDepth));
    props.extend((1..=stages).map(Property::StageWidth));
    if space_has(results, &Constraint::SharedBottleneckRatio) {
        props.push(Property::BottleneckRatio);
    } else {
        props.extend((1..=stages).map(Property::StageBottleneckRatio));
    }
    if space_has(results, &Constraint::SharedGroupWidth) {
        props.push(Property::GroupWidth);
    } else {
        props.extend((1..=stages).map(Property::StageGroupWidth));
    }
    props
}

fn value(r: &RunRecord, p: Property) -> f64 {
    r.sample.property(p).unwrap_or(f64::NAN)
}

/// Round `x` to 3 significant digits, down (`up = false`) or up: readable bounds that still
/// contain the bootstrap range.
fn round_sig(x: f64, up: bool) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let k = 2 - x.abs().log10().floor() as i32;
    let s = 10f64.powi(k);
    let y = if up { (x * s).ceil() } else { (x * s).floor() };
    // Snap back to the nearest decimal (2.21, not 2.2100000000000004).
    format!("{:.*}", k.max(0) as usize, y / s)
        .parse()
        .unwrap_or(y / s)
}

fn fmt_bound(x: f64) -> String {
    let s = format!("{x}");
    if s.len() > 10 { format!("{x:.4}") } else { s }
}

/// Range candidates from the bootstrap good ranges of [`range_properties`] on the models at
/// `derive` (indices into the sweep's valid models). A range that keeps every derive model
/// restricts nothing and is left out. Bounds are widened to 3 significant digits (integer
/// properties: to integers).
pub(crate) fn range_candidates(
    results: &SweepResults,
    derive: &[usize],
    in_sample: bool,
    opts: &SuggestOptions,
) -> Result<Vec<Candidate>, RefineError> {
    let valid: Vec<&RunRecord> = results.valid().collect();
    let errors: Vec<f64> = derive.iter().filter_map(|&i| valid[i].error()).collect();
    if errors.len() < 2 {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (k, p) in range_properties(results).into_iter().enumerate() {
        let values: Vec<f64> = derive.iter().map(|&i| value(valid[i], p)).collect();
        if values.iter().any(|v| !v.is_finite()) {
            continue;
        }
        let gr_opts = opts.good_range.clone().seed(crate::random::derive_seed(
            opts.seed,
            0x6005_0000 + k as u64,
        ));
        let range = good_range(&errors, &values, &gr_opts)?;
        let integral = values.iter().all(|v| v.fract() == 0.0);
        let (lo, hi) = if integral {
            (range.low.floor(), range.high.ceil())
        } else {
            (round_sig(range.low, false), round_sig(range.high, true))
        };
        let (vmin, vmax) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        if lo <= vmin && hi >= vmax {
            continue;
        }
        let name = if lo == hi {
            format!("{p} = {}", fmt_bound(lo))
        } else {
            format!("{p} in [{}, {}]", fmt_bound(lo), fmt_bound(hi))
        };
        out.push(Candidate {
            name,
            constraint: Constraint::Range {
                property: p,
                min: lo,
                max: hi,
            },
            origin: Origin::GoodRange {
                property: p,
                range,
                derived_from: derive.len(),
                in_sample,
            },
        });
    }
    Ok(out)
}

/// Every candidate [`super::suggest`] tests with these options, in catalogue order: the
/// paper's rules ([`paper_candidates`]), the good-range candidates (derived from the derive
/// half of the sweep under [`RangeSelection::HoldOut`], the same split `suggest` uses), then
/// the user's `opts.extra`.
///
/// ```
/// # use regnet_lab::{refine::{catalogue, SuggestOptions}, space::*, sweep::SweepResults, train::*};
/// # let space = DesignSpace::anynet_x_a().with_template(NetTemplate::fashion_mnist())
/// #     .with_anynet_ranges(AnyNetXRanges::small()).unwrap();
/// # let records = (0..40).map(|i| { let s = space.sample(1, i).unwrap();
/// #     let e = 10.0 + s.spec.stage_widths()[0] as f64 / 10.0;
/// #     RunRecord::synthetic(&s, Some(e)) }).collect();
/// let sweep = SweepResults::from_records(records);
/// let cands = catalogue(&sweep, &SuggestOptions::default())?;
/// assert_eq!(cands[0].name, "shared bottleneck ratio");
/// assert!(cands.iter().any(|c| c.name.starts_with("w1 in")));
/// # Ok::<(), regnet_lab::refine::RefineError>(())
/// ```
pub fn catalogue(
    results: &SweepResults,
    opts: &SuggestOptions,
) -> Result<Vec<Candidate>, RefineError> {
    opts.validate()?;
    let n = results.valid().count();
    let mut out = if opts.paper_rules {
        paper_candidates(results)
    } else {
        Vec::new()
    };
    match opts.ranges {
        RangeSelection::Off => {}
        RangeSelection::InSample => {
            let all: Vec<usize> = (0..n).collect();
            out.extend(range_candidates(results, &all, true, opts)?);
        }
        RangeSelection::HoldOut { derive_fraction } => {
            let (derive, _) = split_indices(n, derive_fraction, opts.seed);
            out.extend(range_candidates(results, &derive, false, opts)?);
        }
    }
    out.extend(opts.extra.iter().cloned());
    Ok(out)
}
