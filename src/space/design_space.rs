//! Design spaces as seeded samplers (paper §2–3): AnyNetX_A → _E, the RegNet spaces, a
//! complexity regime met by rejection, and refinement by named constraints.
//!
//! Sample `i` of a space with seed `s` is a pure function of `(s, i)`: each index draws from its
//! own ChaCha8 stream, so any process (a shard of a job array, a resumed sweep) can compute any
//! sample, on any machine.

use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::constraint::Constraint;
use super::ranges::{AnyNetXRanges, Family, RegNetRanges};
use super::regime::Regime;
use super::sample::Sample;
use super::{SpaceError, round_half_even};
use crate::complexity::complexity;
use crate::net::{AnyNetSpec, AnyNetSpecData, BlockKind, StageSpec};
use crate::net::{NetTemplate, RegNetParams, RegNetParamsData, WIDTH_QUANTUM};
use crate::random::{index_by_unit, unit};

/// The serialisable description of a design space (for sweep manifests).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpaceDescription {
    pub name: String,
    pub family: Family,
    pub template: NetTemplate,
    pub regime: Option<Regime>,
    pub constraints: Vec<Constraint>,
    pub max_tries: u64,
}

/// Size of a design space: the number of distinct models its sampler can produce, before the
/// complexity regime and block compatibility (the paper quotes these orders of magnitude).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpaceSize {
    /// Exact count, when countable (`None` after a range or custom constraint).
    pub count: Option<u128>,
    /// log10 of the count.
    pub log10: Option<f64>,
    /// How it was counted.
    pub note: String,
}

/// `10^18.2 models` (or `unknown` when a range or custom constraint makes it uncountable):
/// the order of magnitude the paper quotes.
///
/// ```
/// use regnet_lab::space::DesignSpace;
/// assert_eq!(DesignSpace::anynet_x_a().size().to_string(), "10^18.3 models");
/// let custom = DesignSpace::anynet_x_a().constrain("d ≤ 12", |s| s.depth() <= 12);
/// assert_eq!(custom.size().to_string(), "unknown");
/// ```
impl std::fmt::Display for SpaceSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.log10 {
            Some(l) => write!(f, "10^{l:.1} models"),
            None => f.write_str("unknown"),
        }
    }
}

/// A design space: a family of models, a template (stem, input, classes), an optional
/// complexity regime and the chain of refinements it went through.
///
/// ```
/// use regnet_lab::space::{DesignSpace, Regime};
/// let space = DesignSpace::named("AnyNetX_E").unwrap().with_regime(Regime::mf400());
/// assert_eq!(space.refinements(), vec![
///     "shared bottleneck ratio", "shared group width",
///     "widths non-decreasing", "depths non-decreasing"]);
/// let s = space.sample(7, 0).unwrap();
/// assert!(s.spec.stage_widths().windows(2).all(|w| w[0] <= w[1]));
/// assert_eq!(s, space.sample(7, 0).unwrap()); // a pure function of (seed, index)
/// // A user refinement: the chain grows.
/// let narrower = space.constrain("at most 12 blocks", |spec| spec.depth() <= 12);
/// assert!(narrower.sample(7, 3).unwrap().spec.depth() <= 12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DesignSpace {
    name: String,
    family: Family,
    template: NetTemplate,
    regime: Option<Regime>,
    constraints: Vec<Constraint>,
    max_tries: u64,
}

/// Names accepted by [`DesignSpace::named`].
pub const SPACE_NAMES: [&str; 9] = [
    "AnyNetX_A",
    "AnyNetX_B",
    "AnyNetX_C",
    "AnyNetX_D",
    "AnyNetX_E",
    "RegNet",
    "RegNetX",
    "RegNetY",
    "RegNetX_small",
];

impl DesignSpace {
    const DEFAULT_MAX_TRIES: u64 = 1_000_000;

    fn new(name: &str, family: Family) -> Self {
        DesignSpace {
            name: name.to_string(),
            family,
            template: NetTemplate::imagenet(),
            regime: None,
            constraints: Vec::new(),
            max_tries: Self::DEFAULT_MAX_TRIES,
        }
    }

    /// AnyNetX_A: every stage's d, w, b, g drawn independently (paper §3.1).
    pub fn anynet_x_a() -> Self {
        Self::new("AnyNetX_A", Family::AnyNetX(AnyNetXRanges::paper()))
    }
    /// AnyNetX_B = A + shared bottleneck ratio.
    pub fn anynet_x_b() -> Self {
        Self::anynet_x_a()
            .refine(Constraint::SharedBottleneckRatio)
            .renamed("AnyNetX_B")
    }
    /// AnyNetX_C = B + shared group width.
    pub fn anynet_x_c() -> Self {
        Self::anynet_x_b()
            .refine(Constraint::SharedGroupWidth)
            .renamed("AnyNetX_C")
    }
    /// AnyNetX_D = C + non-decreasing widths.
    pub fn anynet_x_d() -> Self {
        Self::anynet_x_c()
            .refine(Constraint::WidthsNonDecreasing)
            .renamed("AnyNetX_D")
    }
    /// AnyNetX_E = D + non-decreasing depths.
    pub fn anynet_x_e() -> Self {
        Self::anynet_x_d()
            .refine(Constraint::DepthsNonDecreasing)
            .renamed("AnyNetX_E")
    }
    /// The initial RegNet space (paper §3.3).
    pub fn regnet() -> Self {
        Self::new("RegNet", Family::RegNet(RegNetRanges::initial()))
    }
    /// RegNetX, pycls's refined sampler.
    pub fn regnet_x() -> Self {
        Self::new("RegNetX", Family::RegNet(RegNetRanges::regnet_x()))
    }
    /// RegNetY = RegNetX + SE.
    pub fn regnet_y() -> Self {
        Self::new("RegNetY", Family::RegNet(RegNetRanges::regnet_y()))
    }

    /// A space by name (`AnyNetX_A`…`_E`, `RegNet`, `RegNetX`, `RegNetY`, `RegNetX_small`),
    /// case- and `_`/`-`-insensitive.
    pub fn named(name: &str) -> Result<Self, SpaceError> {
        let key = name.trim().to_ascii_lowercase().replace('-', "_");
        Ok(match key.as_str() {
            "anynetx_a" => Self::anynet_x_a(),
            "anynetx_b" => Self::anynet_x_b(),
            "anynetx_c" => Self::anynet_x_c(),
            "anynetx_d" => Self::anynet_x_d(),
            "anynetx_e" => Self::anynet_x_e(),
            "regnet" => Self::regnet(),
            "regnetx" => Self::regnet_x(),
            "regnety" => Self::regnet_y(),
            "regnetx_small" => Self::new("RegNetX_small", Family::RegNet(RegNetRanges::small())),
            _ => {
                return Err(SpaceError::UnknownSpace {
                    name: name.to_string(),
                    known: SPACE_NAMES.join(", "),
                });
            }
        })
    }

    /// The same space under another name (e.g. after a refinement).
    pub fn renamed(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }
    /// Another stem / input / classes / strides (e.g. [`NetTemplate::fashion_mnist`]).
    pub fn with_template(mut self, template: NetTemplate) -> Self {
        self.template = template;
        self
    }
    /// Only models inside this complexity window.
    pub fn with_regime(mut self, regime: Regime) -> Self {
        self.regime = Some(regime);
        self
    }
    /// Replace the AnyNetX ranges (keeps the refinements). A RegNet space has none: giving it
    /// AnyNetX ranges is an error, not a silent change of family under the same name.
    ///
    /// ```
    /// use regnet_lab::space::{AnyNetXRanges, DesignSpace};
    /// assert!(DesignSpace::anynet_x_a().with_anynet_ranges(AnyNetXRanges::small()).is_ok());
    /// assert!(DesignSpace::regnet_x().with_anynet_ranges(AnyNetXRanges::small()).is_err());
    /// ```
    pub fn with_anynet_ranges(mut self, ranges: AnyNetXRanges) -> Result<Self, SpaceError> {
        if !matches!(self.family, Family::AnyNetX(_)) {
            return Err(SpaceError::InvalidSpace {
                space: self.name.clone(),
                why: "AnyNetX ranges given to a RegNet space (its family stays RegNet)".into(),
            });
        }
        self.family = Family::AnyNetX(ranges);
        Ok(self)
    }
    /// Replace the RegNet ranges (keeps the refinements). The block kind stays the space's:
    /// a RegNetY space keeps its squeeze-excitation ratio and a RegNetX space stays without,
    /// whatever `ranges.se_ratio` says (the block belongs to the family, the ranges only say
    /// how large its parameters may be).
    ///
    /// ```
    /// use regnet_lab::space::{DesignSpace, Family, RegNetRanges};
    /// let y = DesignSpace::regnet_y().with_regnet_ranges(RegNetRanges::small())?;
    /// assert!(DesignSpace::anynet_x_a().with_regnet_ranges(RegNetRanges::small()).is_err());
    /// assert!(matches!(y.family(), Family::RegNet(r) if r.se_ratio == Some(0.25)));
    /// # Ok::<(), regnet_lab::space::SpaceError>(())
    /// ```
    pub fn with_regnet_ranges(mut self, mut ranges: RegNetRanges) -> Result<Self, SpaceError> {
        let Family::RegNet(current) = &self.family else {
            return Err(SpaceError::InvalidSpace {
                space: self.name.clone(),
                why: "RegNet ranges given to an AnyNetX space (its family stays AnyNetX)".into(),
            });
        };
        ranges.se_ratio = current.se_ratio;
        self.family = Family::RegNet(ranges);
        Ok(self)
    }
    /// How many draws one sample may reject before the regime counts as unreachable.
    pub fn with_max_tries(mut self, max_tries: u64) -> Self {
        self.max_tries = max_tries.max(1);
        self
    }
    /// Add a refinement.
    pub fn refine(mut self, constraint: Constraint) -> Self {
        self.constraints.push(constraint);
        self
    }
    /// Add a named refinement given as a predicate over the spec.
    pub fn constrain(
        self,
        name: &str,
        pred: impl Fn(&AnyNetSpec) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.refine(Constraint::Custom {
            name: name.to_string(),
            pred: Some(Arc::new(pred)),
        })
    }
    /// Add a named refinement given as a predicate over the RegNet parameters.
    pub fn constrain_regnet(
        self,
        name: &str,
        pred: impl Fn(&RegNetParams) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.refine(Constraint::CustomRegNet {
            name: name.to_string(),
            pred: Some(Arc::new(pred)),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn family(&self) -> &Family {
        &self.family
    }
    pub fn template(&self) -> &NetTemplate {
        &self.template
    }
    pub fn regime(&self) -> Option<&Regime> {
        self.regime.as_ref()
    }
    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }
    /// The refinement chain, oldest first (A→B→C→D→E shows four).
    pub fn refinements(&self) -> Vec<String> {
        self.constraints.iter().map(Constraint::name).collect()
    }
    /// Resolution at which samples' complexity is counted.
    pub fn resolution(&self) -> usize {
        self.regime.as_ref().map_or(224, |r| r.resolution)
    }

    /// Serialisable description (custom predicates are kept by name).
    pub fn describe(&self) -> SpaceDescription {
        SpaceDescription {
            name: self.name.clone(),
            family: self.family.clone(),
            template: self.template.clone(),
            regime: self.regime.clone(),
            constraints: self.constraints.clone(),
            max_tries: self.max_tries,
        }
    }

    /// Rebuild from a description. Custom constraints come back without their closures:
    /// re-attach them with [`DesignSpace::attach`], else sampling reports them.
    pub fn from_description(d: SpaceDescription) -> Self {
        DesignSpace {
            name: d.name,
            family: d.family,
            template: d.template,
            regime: d.regime,
            constraints: d.constraints,
            max_tries: d.max_tries.max(1),
        }
    }

    /// Give a custom constraint restored from JSON its predicate again.
    pub fn attach(
        mut self,
        name: &str,
        pred: impl Fn(&AnyNetSpec) -> bool + Send + Sync + 'static,
    ) -> Result<Self, SpaceError> {
        let slot = self
            .constraints
            .iter_mut()
            .find(|c| matches!(c, Constraint::Custom { name: n, .. } if n == name))
            .ok_or_else(|| self_err(&self.name, format!("has no custom constraint '{name}'")))?;
        *slot = Constraint::Custom {
            name: name.to_string(),
            pred: Some(Arc::new(pred)),
        };
        Ok(self)
    }

    /// Whether a model belongs to this space: every refinement admits it and it lies in the
    /// regime.
    pub fn admits(&self, model: &Sample) -> bool {
        self.constraints.iter().all(|c| c.admits(model))
            && self
                .regime
                .as_ref()
                .is_none_or(|r| r.admits(&model.complexity))
    }

    fn has(&self, c: &Constraint) -> bool {
        self.constraints.contains(c)
    }

    /// How this space orders the stages' depths or widths (its monotonicity refinements).
    fn order(&self, seq: Sequence) -> Order {
        let (up, down, constant) = match seq {
            Sequence::Depths => (
                Constraint::DepthsNonDecreasing,
                Constraint::DepthsNonIncreasing,
                Constraint::DepthsConstant,
            ),
            Sequence::Widths => (
                Constraint::WidthsNonDecreasing,
                Constraint::WidthsNonIncreasing,
                Constraint::WidthsConstant,
            ),
        };
        match (self.has(&up), self.has(&down), self.has(&constant)) {
            (_, _, true) | (true, true, _) => Order::Constant,
            (true, false, false) => Order::NonDecreasing,
            (false, true, false) => Order::NonIncreasing,
            (false, false, false) => Order::Free,
        }
    }

    /// Sample `index` of the sequence with this `seed`.
    pub fn sample(&self, seed: u64, index: u64) -> Result<Sample, SpaceError> {
        if let Some(c) = self.constraints.iter().find(|c| c.is_detached()) {
            return Err(self_err(
                &self.name,
                format!(
                    "custom constraint '{}' has no predicate (restored from JSON?): re-attach it",
                    c.name()
                ),
            ));
        }
        self.family
            .validate()
            .map_err(|why| self_err(&self.name, why))?;
        let has_se = matches!(&self.family, Family::RegNet(r) if r.se_ratio.is_some());
        self.template
            .check_block(has_se)
            .map_err(|why| self_err(&self.name, why))?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(index);
        let resolution = self.resolution();
        let (mut lo, mut hi) = (u64::MAX, 0u64);
        for tries in 0..self.max_tries {
            let Some((spec, regnet)) = self.draw(&mut rng) else {
                continue;
            };
            let cx =
                complexity(&spec, resolution).map_err(|e| self_err(&self.name, e.to_string()))?;
            lo = lo.min(cx.flops);
            hi = hi.max(cx.flops);
            let sample = Sample {
                index: Some(index),
                spec,
                regnet,
                complexity: cx,
                resolution,
                rejected: tries,
            };
            if self.admits(&sample) {
                return Ok(sample);
            }
        }
        Err(SpaceError::RegimeUnreachable {
            space: self.name.clone(),
            regime: self
                .regime
                .as_ref()
                .map_or("(none)".into(), |r| r.to_string()),
            tries: self.max_tries,
            seen: if lo <= hi {
                format!("{:.2}–{:.2} MF", lo as f64 / 1e6, hi as f64 / 1e6)
            } else {
                "no valid model".into()
            },
        })
    }

    /// Samples `0..n` with this seed.
    pub fn samples(&self, seed: u64, n: usize) -> Result<Vec<Sample>, SpaceError> {
        (0..n as u64).map(|i| self.sample(seed, i)).collect()
    }

    /// One draw before the regime and the rejection-only constraints: `None` when the draw is
    /// not a valid network (widths incompatible with the group width, too many stages).
    fn draw(&self, rng: &mut ChaCha8Rng) -> Option<(AnyNetSpec, Option<RegNetParams>)> {
        match &self.family {
            Family::AnyNetX(r) => self.draw_anynet(r, rng).map(|s| (s, None)),
            Family::RegNet(r) => self.draw_regnet(r, rng),
        }
    }

    /// One AnyNetX draw from checked ranges (see [`AnyNetXRanges::validate`]).
    fn draw_anynet(&self, r: &AnyNetXRanges, rng: &mut ChaCha8Rng) -> Option<AnyNetSpec> {
        let n = r.num_stages;
        // Refinements that restrict the draw itself are sampled directly, uniformly over the
        // constrained set (what rejection would give, without its cost): shared choices are
        // drawn once, non-decreasing sequences as uniform multisets.
        let shared_b = self
            .has(&Constraint::SharedBottleneckRatio)
            .then(|| *pick(rng, &r.bottleneck_ratios));
        let shared_g = self
            .has(&Constraint::SharedGroupWidth)
            .then(|| *pick(rng, &r.group_widths));
        let depths = self.order(Sequence::Depths).draw(rng, &r.depths, n);
        let widths = self.order(Sequence::Widths).draw(rng, &r.widths, n);
        let stages = (0..n)
            .map(|i| {
                let b = shared_b.unwrap_or_else(|| *pick(rng, &r.bottleneck_ratios));
                let g = shared_g.unwrap_or_else(|| *pick(rng, &r.group_widths));
                let (bottleneck_ratio, group_width) = self.template.stage_shape(widths[i], b, g);
                StageSpec {
                    depth: depths[i],
                    width: widths[i],
                    stride: self.template.stage_stride(i),
                    bottleneck_ratio,
                    group_width,
                }
            })
            .collect();
        let t = &self.template;
        // Incompatible (w, b, g) combinations are rejected, not adjusted, so every constraint holds literally.
        AnyNetSpec::try_new(AnyNetSpecData {
            stem: t.stem,
            stem_width: t.stem_width,
            in_channels: t.in_channels,
            block: t.block.unwrap_or(BlockKind::X),
            stages,
            se_ratio: None,
            num_classes: t.num_classes,
        })
        .ok()
    }

    /// One RegNet draw from checked ranges (see [`RegNetRanges::validate`]).
    fn draw_regnet(
        &self,
        r: &RegNetRanges,
        rng: &mut ChaCha8Rng,
    ) -> Option<(AnyNetSpec, Option<RegNetParams>)> {
        let depth = r.depth.0 + (unit(rng) * (r.depth.1 - r.depth.0 + 1) as f64) as usize;
        let w0 = log_uniform(rng, r.w0.0 as f64, r.w0.1 as f64);
        let w0 = (round_half_even(w0 / WIDTH_QUANTUM as f64) as usize).max(1) * WIDTH_QUANTUM;
        let wa = round_steps(log_uniform(rng, r.wa.0, r.wa.1), 10.0);
        let wm = round_steps(log_uniform(rng, r.wm.0, r.wm.1), 1000.0);
        let g = quantize_group_width(log_uniform(
            rng,
            r.group_width.0 as f64,
            r.group_width.1 as f64,
        ));
        let b = *pick(rng, &r.bottleneck_ratios);
        let mut data = RegNetParamsData {
            depth,
            w0,
            wa,
            wm,
            group_width: g,
            bottleneck_ratio: b,
            se_ratio: r.se_ratio,
        };
        for c in &self.constraints {
            match c {
                Constraint::FixedWm(v) => data.wm = *v,
                Constraint::W0EqualsWa => data.wa = data.w0 as f64,
                _ => {}
            }
        }
        let params = RegNetParams::try_new(data).ok()?;
        let (runs, possible) = crate::net::stage_runs(depth, w0, params.wa(), params.wm());
        let n = runs.len();
        if n != possible || n < r.num_stages.0 || n > r.num_stages.1 {
            return None;
        }
        params
            .spec_from_runs(&runs, &self.template)
            .ok()
            .map(|s| (s, Some(params)))
    }

    /// Number of distinct models the sampler can draw (nominal, as the paper counts: before
    /// block compatibility and the regime). Range and custom constraints make it unknown.
    pub fn size(&self) -> SpaceSize {
        let countable = self.constraints.iter().all(|c| {
            !matches!(
                c,
                Constraint::Range { .. }
                    | Constraint::Custom { .. }
                    | Constraint::CustomRegNet { .. }
            )
        });
        let (count, note) = match &self.family {
            Family::AnyNetX(r) => {
                let n = r.num_stages as u32;
                let (nd, nw) = (r.depths.len() as u128, r.widths.len() as u128);
                let (nb, ng) = (
                    r.bottleneck_ratios.len() as u128,
                    r.group_widths.len() as u128,
                );
                let depths = self.order(Sequence::Depths).count(nd, n);
                let widths = self.order(Sequence::Widths).count(nw, n);
                let bs = if self.has(&Constraint::SharedBottleneckRatio) {
                    nb
                } else {
                    nb.pow(n)
                };
                let gs = if self.has(&Constraint::SharedGroupWidth) {
                    ng
                } else {
                    ng.pow(n)
                };
                (
                    depths * widths * bs * gs,
                    "per-stage choices counted as the paper does, before block compatibility and the regime",
                )
            }
            Family::RegNet(r) => {
                let d = (r.depth.1 - r.depth.0 + 1) as u128;
                let w0 = (r.w0.1 / 8).saturating_sub(r.w0.0.div_ceil(8)) as u128 + 1;
                let steps =
                    |lo: f64, hi: f64, k: f64| ((hi * k).round() - (lo * k).round()) as u128 + 1;
                let wa = if self.has(&Constraint::W0EqualsWa) {
                    1
                } else {
                    steps(r.wa.0, r.wa.1, 10.0)
                };
                let wm = if self
                    .constraints
                    .iter()
                    .any(|c| matches!(c, Constraint::FixedWm(_)))
                {
                    1
                } else {
                    steps(r.wm.0, r.wm.1, 1000.0)
                };
                let g = (r.group_width.0..=r.group_width.1)
                    .filter(|&g| quantize_group_width(g as f64) == g)
                    .count() as u128;
                (
                    d * w0 * wa * wm * g * r.bottleneck_ratios.len() as u128,
                    "distinct (d, w0, wa, wm, g, b) at the sampler's quantisation (w0 step 8, wa 0.1, wm 0.001), before the regime",
                )
            }
        };
        if countable {
            SpaceSize {
                count: Some(count),
                log10: Some((count as f64).log10()),
                note: note.into(),
            }
        } else {
            SpaceSize {
                count: None,
                log10: None,
                note: "unknown: range or custom constraints (estimate the share kept by sampling)"
                    .into(),
            }
        }
    }
}

fn self_err(space: &str, why: String) -> SpaceError {
    SpaceError::InvalidSpace {
        space: space.to_string(),
        why,
    }
}

/// Number of non-decreasing sequences of length k over n values: C(n + k − 1, k).
/// The per-stage sequences a refinement may order.
#[derive(Clone, Copy)]
enum Sequence {
    Depths,
    Widths,
}

/// How a sequence of `k` per-stage values from `xs` is drawn, uniformly over the allowed set.
#[derive(Clone, Copy)]
enum Order {
    Free,
    NonDecreasing,
    NonIncreasing,
    Constant,
}

impl Order {
    fn draw(self, rng: &mut ChaCha8Rng, xs: &[usize], k: usize) -> Vec<usize> {
        match self {
            Order::Free => (0..k).map(|_| *pick(rng, xs)).collect(),
            Order::NonDecreasing => non_decreasing(rng, xs, k),
            Order::NonIncreasing => {
                let mut v = non_decreasing(rng, xs, k);
                v.reverse();
                v
            }
            Order::Constant => vec![*pick(rng, xs); k],
        }
    }

    /// How many sequences of `k` values from `n` choices it allows.
    fn count(self, n: u128, k: u32) -> u128 {
        match self {
            Order::Free => n.pow(k),
            Order::NonDecreasing | Order::NonIncreasing => multisets(n, k),
            Order::Constant => n,
        }
    }
}

fn multisets(n: u128, k: u32) -> u128 {
    let mut c: u128 = 1;
    for i in 0..k as u128 {
        c = c * (n + i) / (i + 1);
    }
    c
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, xs: &'a [T]) -> &'a T {
    &xs[index_by_unit(rng, xs.len())]
}

/// A uniformly random non-decreasing sequence of `k` values from the increasing list `xs`:
/// a uniform k-subset of `0..n+k-1` (stars and bars) mapped to indices by subtracting ranks.
fn non_decreasing(rng: &mut ChaCha8Rng, xs: &[usize], k: usize) -> Vec<usize> {
    let slots = xs.len() + k - 1;
    let mut chosen: Vec<usize> = Vec::with_capacity(k);
    while chosen.len() < k {
        let c = index_by_unit(rng, slots);
        if !chosen.contains(&c) {
            chosen.push(c);
        }
    }
    chosen.sort_unstable();
    chosen
        .iter()
        .enumerate()
        .map(|(rank, c)| xs[c - rank])
        .collect()
}

/// A RegNet group width as the sampler quantises it: a power of two below 8, else a multiple
/// of 8 (the reference sampler's rule); both the draws and the space's size use it.
fn quantize_group_width(g: f64) -> usize {
    if g < 8.0 {
        2f64.powf(round_half_even(g.log2())) as usize
    } else {
        (round_half_even(g / 8.0) as usize).max(1) * 8
    }
}

fn log_uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    (lo.ln() + unit(rng) * (hi.ln() - lo.ln())).exp()
}

/// Round to a step of `1 / per_unit`, returning the nearest f64 to the decimal (36.4, not 36.400000000000006).
fn round_steps(v: f64, per_unit: f64) -> f64 {
    round_half_even(v * per_unit) / per_unit
}
