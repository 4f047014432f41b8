//! Sweeps that ship with the crate, under `datasets/sweeps/`, so that a notebook shows meaningful
//! figures at once. They are ordinary sweep directories made by regnet-lab itself
//! (`regnet-lab evidence`) at the `cpu` budget: a notebook at that
//! budget runs exactly the same sweeps, finds every run already recorded, and trains nothing;
//! extend `n` or change anything and only the missing runs are trained.
//!
//! The design spaces of the notebooks are defined here, once, so that the notebooks and the
//! precomputed sweeps cannot drift apart (a changed space is a different manifest, and a sweep
//! with a different manifest is never reused).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::{Sweep, SweepError, SweepManifest, SweepResults};
use crate::budget::Budget;
use crate::space::{
    AnyNetXRanges, BlockKind, Constraint, DesignSpace, NetTemplate, Property, RegNetRanges, Regime,
    SpaceError,
};
use crate::train::{ImageData, RunRecord, TrainConfig, TrainData};

/// Flop regime of the notebooks' 28×28 sweeps: 1–6 MF.
pub fn fashion_regime() -> Regime {
    Regime::flops(1_000_000, 6_000_000, 28)
}

/// AnyNetX_A → AnyNetX_E sized for 28×28 Fashion-MNIST (3 stages, d ≤ 4, w ≤ 128): notebook 01.
pub fn anynetx_chain() -> Result<Vec<DesignSpace>, SpaceError> {
    [
        "AnyNetX_A",
        "AnyNetX_B",
        "AnyNetX_C",
        "AnyNetX_D",
        "AnyNetX_E",
    ]
    .iter()
    .map(|n| {
        Ok(DesignSpace::named(n)?
            .with_anynet_ranges(AnyNetXRanges::small())?
            .with_template(NetTemplate::fashion_mnist())
            .with_regime(fashion_regime()))
    })
    .collect()
}

/// The alternatives the paper rejected on its way to D and E, sized as [`anynetx_chain`]:
/// AnyNetX_C with constant or non-increasing widths (instead of D's non-decreasing ones), and
/// AnyNetX_D with constant or non-increasing depths (instead of E's non-decreasing ones).
pub fn anynetx_alternatives() -> Result<Vec<DesignSpace>, SpaceError> {
    let chain = anynetx_chain()?;
    let (c, d) = (chain[2].clone(), chain[3].clone());
    Ok(vec![
        c.clone()
            .refine(Constraint::WidthsConstant)
            .renamed("AnyNetX_C widths constant"),
        c.refine(Constraint::WidthsNonIncreasing)
            .renamed("AnyNetX_C widths non-increasing"),
        d.clone()
            .refine(Constraint::DepthsConstant)
            .renamed("AnyNetX_D depths constant"),
        d.refine(Constraint::DepthsNonIncreasing)
            .renamed("AnyNetX_D depths non-increasing"),
    ])
}

/// RegNetX and two of the paper's restrictions (Figure 9), sized for 28×28: notebook 02.
pub fn regnet_x_variants() -> Vec<DesignSpace> {
    let base = DesignSpace::regnet_x()
        .with_regnet_ranges(RegNetRanges::small())
        .expect("RegNetX is a RegNet space")
        .with_template(NetTemplate::fashion_mnist())
        .with_regime(fashion_regime());
    vec![
        base.clone(),
        base.clone()
            .refine(Constraint::FixedWm(2.0))
            .renamed("RegNetX wm=2"),
        base.refine(Constraint::W0EqualsWa).renamed("RegNetX w0=wa"),
    ]
}

/// RegNetY (RegNetX with squeeze-excitation, ratio 0.25) with the same small ranges, template
/// and regime as [`regnet_x_variants`]: the SE comparison.
pub fn regnet_y() -> DesignSpace {
    DesignSpace::regnet_y()
        .with_regnet_ranges(RegNetRanges::small())
        .expect("RegNetY is a RegNet space")
        .with_template(NetTemplate::fashion_mnist())
        .with_regime(fashion_regime())
}

/// The paper's alternate designs of RegNetX (§4), sized as [`regnet_x_variants`]: an inverted
/// bottleneck (b = 1/4, so the 3×3 convolution runs at four times the block's width) and
/// depthwise 3×3 convolutions (group width g = 1). The paper finds both worse than RegNetX's
/// b = 1 with g > 1. Everything else is drawn as in RegNetX, index by index from the same seed.
pub fn regnet_x_alternate_designs() -> Vec<DesignSpace> {
    let base = regnet_x_variants().swap_remove(0);
    let ranges = RegNetRanges::small();
    vec![
        base.clone()
            .with_regnet_ranges(RegNetRanges {
                bottleneck_ratios: vec![0.25],
                ..ranges.clone()
            })
            .expect("RegNetX is a RegNet space")
            .renamed("RegNetX inverted bottleneck"),
        base.with_regnet_ranges(RegNetRanges {
            group_width: (1, 1),
            ..ranges
        })
        .expect("RegNetX is a RegNet space")
        .renamed("RegNetX depthwise"),
    ]
}

/// Input resolution (paper Fig. 14, middle): RegNetX in the evidence's regime (1–6 MF) with
/// its flops counted at, and its models trained on Fashion-MNIST resampled to, 20×20 and 40×40
/// (the evidence's RegNetX is the 28×28 one). At fixed flops a larger input leaves less width
/// and depth; the paper finds its native 224×224 best. Named `RegNetX 20px`, `RegNetX 40px`.
pub fn regnet_x_resolutions() -> Vec<DesignSpace> {
    let base = regnet_x_variants().swap_remove(0);
    RESOLUTIONS
        .iter()
        .map(|&side| {
            base.clone()
                .with_regime(Regime {
                    resolution: side,
                    ..fashion_regime()
                })
                .renamed(&format!("RegNetX {side}px"))
        })
        .collect()
}

/// The input sides of [`regnet_x_resolutions`], beside the native 28.
pub const RESOLUTIONS: [usize; 2] = [20, 40];

/// The data a sweep of `space` trains on: `data` itself when its images have the side the
/// space counts complexity at, otherwise `data` resampled to it ([`ImageData::at_resolution`]).
pub fn data_for<'a>(
    space: &DesignSpace,
    data: &'a ImageData,
) -> Result<Cow<'a, ImageData>, SweepError> {
    let side = space.resolution();
    if space.regime().is_none() || side == data.resolution() {
        return Ok(Cow::Borrowed(data));
    }
    data.at_resolution(side)
        .map(Cow::Owned)
        .map_err(|e| SweepError::Resample {
            space: space.name().to_string(),
            source: Box::new(e),
        })
}

/// One setting of the generalisation study: its name, the group its sweeps are committed
/// under (which also fixes their recipe, see [`train_config`]) and its spaces, [AnyNetX_A,
/// AnyNetX_E, RegNetX].
#[derive(Debug, Clone)]
pub struct Setting {
    pub name: &'static str,
    pub group: &'static str,
    pub spaces: Vec<DesignSpace>,
}

/// Group of the generalisation settings trained at the budget's own recipe.
pub const GENERALISATION: &str = "generalisation";
/// Group of the sweeps trained [`LONGER_TRAINING`] times longer than the budget's recipe.
pub const LONGER: &str = "epochs";
/// How many times the budget's epochs group [`LONGER`] trains (the paper goes from 10 to 50).
pub const LONGER_TRAINING: usize = 3;

/// RegNetX against AnyNetX_A and AnyNetX_E in settings other than the evidence's (the
/// generalisation study of paper Fig. 10, at 28×28):
/// - `6-20 MF`: a higher flop regime;
/// - `5 stages`: five stages instead of three (AnyNetX: d ≤ 4 and w ≤ 128 per stage as in
///   [`anynetx_chain`]; RegNetX: exactly five realised stages);
/// - `R blocks` and `V blocks`: residual basic and vanilla blocks instead of X blocks
///   (their widths and depths drawn as before, b = 1 and one group; see
///   [`NetTemplate::with_block`]);
/// - `3x epochs`: the evidence's spaces trained [`LONGER_TRAINING`] times as many epochs
///   (group [`LONGER`]).
///
/// The first four are committed under [`GENERALISATION`] at the budget's recipe.
pub fn generalisation() -> Result<Vec<Setting>, SpaceError> {
    let fashion = NetTemplate::fashion_mnist();
    let small = (AnyNetXRanges::small(), RegNetRanges::small());
    let five = (
        AnyNetXRanges {
            num_stages: 5,
            ..AnyNetXRanges::small()
        },
        RegNetRanges {
            num_stages: (5, 5),
            ..RegNetRanges::small()
        },
    );
    let setting = |name: &'static str,
                   group: &'static str,
                   template: &NetTemplate,
                   (anynet, regnet): &(AnyNetXRanges, RegNetRanges),
                   regime: Regime| {
        let spaces = vec![
            anynet_in(
                "AnyNetX_A",
                anynet.clone(),
                template.clone(),
                regime.clone(),
                name,
            )?,
            anynet_in(
                "AnyNetX_E",
                anynet.clone(),
                template.clone(),
                regime.clone(),
                name,
            )?,
            regnet_x_in(regnet.clone(), template.clone(), regime, name)?,
        ];
        Ok::<_, SpaceError>(Setting {
            name,
            group,
            spaces,
        })
    };
    let r = fashion.clone().with_block(BlockKind::ResBasic);
    let v = fashion.clone().with_block(BlockKind::Vanilla);
    let higher = Regime::flops(6_000_000, 20_000_000, 28);
    Ok(vec![
        setting("6-20 MF", GENERALISATION, &fashion, &small, higher)?,
        setting(
            "5 stages",
            GENERALISATION,
            &fashion,
            &five,
            fashion_regime(),
        )?,
        setting("R blocks", GENERALISATION, &r, &small, fashion_regime())?,
        setting("V blocks", GENERALISATION, &v, &small, fashion_regime())?,
        setting("3x epochs", LONGER, &fashion, &small, fashion_regime())?,
    ])
}

/// The recipe of a precomputed group's sweeps at `budget`: the budget's own, with
/// [`LONGER_TRAINING`] times the epochs for group [`LONGER`] (the warm-up, in epochs, stays).
///
/// ```
/// use regnet_lab::{budget::Budget, sweep::precomputed};
/// let base = precomputed::train_config(Budget::Cpu, "anynetx");
/// assert_eq!(base, Budget::Cpu.train_config());
/// assert_eq!(precomputed::train_config(Budget::Cpu, "epochs").epochs, 3 * base.epochs);
/// ```
pub fn train_config(budget: Budget, group: &str) -> TrainConfig {
    let base = budget.train_config();
    if group == LONGER {
        TrainConfig {
            epochs: base.epochs * LONGER_TRAINING,
            ..base
        }
    } else {
        base
    }
}

/// AnyNetX space `name` with `ranges`, `template` and `regime`, named `"{name} {label}"`.
fn anynet_in(
    name: &str,
    ranges: AnyNetXRanges,
    template: NetTemplate,
    regime: Regime,
    label: &str,
) -> Result<DesignSpace, SpaceError> {
    Ok(DesignSpace::named(name)?
        .with_anynet_ranges(ranges)?
        .with_template(template)
        .with_regime(regime)
        .renamed(&format!("{name} {label}")))
}

/// RegNetX with `ranges`, `template` and `regime`, named `"RegNetX {label}"`.
fn regnet_x_in(
    ranges: RegNetRanges,
    template: NetTemplate,
    regime: Regime,
    label: &str,
) -> Result<DesignSpace, SpaceError> {
    Ok(DesignSpace::regnet_x()
        .with_regnet_ranges(ranges)?
        .with_template(template)
        .with_regime(regime)
        .renamed(&format!("RegNetX {label}")))
}

/// The three flop windows of the trend sweeps at 28×28: 0.5–1.5, 1.5–4 and 4–10 MF.
pub const TREND_REGIMES: [(u64, u64); 3] = [
    (500_000, 1_500_000),
    (1_500_000, 4_000_000),
    (4_000_000, 10_000_000),
];

/// `0.5-1.5 MF`: a flop window as the trend spaces are named.
pub fn regime_label(lo: u64, hi: u64) -> String {
    let mf = |v: u64| {
        let x = v as f64 / 1e6;
        if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            format!("{x}")
        }
    };
    format!("{}-{} MF", mf(lo), mf(hi))
}

/// RegNetX and RegNetY in the [`TREND_REGIMES`], with the small ranges' w0, wm and group
/// widths but depth and bottleneck ratio left open ([`RegNetRanges::small_open`]: d ∈ [6, 40],
/// b ∈ {1, 2, 4}, and wa from 1 so that deep models fit the windows): the parameter trends of
/// paper Fig. 11, which ask where good models' d and b lie, and squeeze-excitation across
/// regimes (Fig. 14, right). Returned as (family, [one space per regime]), named e.g.
/// `RegNetX 4-10 MF`.
pub fn trends() -> Vec<(&'static str, Vec<DesignSpace>)> {
    [
        ("RegNetX", DesignSpace::regnet_x()),
        ("RegNetY", DesignSpace::regnet_y()),
    ]
    .into_iter()
    .map(|(family, space)| {
        let base = space
            .with_regnet_ranges(RegNetRanges::small_open())
            .expect("a RegNet space")
            .with_template(NetTemplate::fashion_mnist());
        let spaces = TREND_REGIMES
            .iter()
            .map(|&(lo, hi)| {
                base.clone()
                    .with_regime(Regime::flops(lo, hi, 28))
                    .renamed(&format!("{family} {}", regime_label(lo, hi)))
            })
            .collect();
        (family, spaces)
    })
    .collect()
}

/// Draws per regime from which [`regnet_x_constrained`] takes its parameter and activation
/// limits.
pub const CONSTRAINT_DRAWS: u64 = 200;

/// RegNetX constrained as the paper does after its trends (§4, Fig. 13), in each of the
/// [`TREND_REGIMES`]: b = 1, wm ≥ 2 (d ≤ 40 is already the trend ranges' bound), and
/// parameters and activations limited. The paper limits them by fits to its best models; here
/// the limits are the medians over the first [`CONSTRAINT_DRAWS`] untrained draws (seed 0) of
/// the regime's RegNetX with b = 1 and wm ≥ 2, rounded to two significant digits: the lighter
/// half of what the structural restrictions leave, chosen before any training. The paper finds
/// the constrained space as good or better in every regime. Named e.g. `RegNetX constrained
/// 4-10 MF`; index for index they are separate draws, not a subset of the RegNetX sweep.
pub fn regnet_x_constrained() -> Result<Vec<DesignSpace>, SpaceError> {
    let (_, regnetx) = trends().swap_remove(0);
    regnetx
        .into_iter()
        .zip(TREND_REGIMES)
        .map(|(space, (lo, hi))| {
            // The paper's structural restrictions first; the limits then keep the lighter half
            // of what they leave.
            let structural = space
                .refine(Constraint::Range {
                    property: Property::BottleneckRatio,
                    min: 1.0,
                    max: 1.0,
                })
                .refine(Constraint::Range {
                    property: Property::Wm,
                    min: 2.0,
                    max: RegNetRanges::small_open().wm.1,
                });
            let draws = structural.samples(0, CONSTRAINT_DRAWS as usize)?;
            let median = |p: Property| {
                let mut v: Vec<f64> = draws.iter().filter_map(|s| s.property(p)).collect();
                v.sort_by(f64::total_cmp);
                two_significant_digits(v[v.len() / 2])
            };
            let (params, acts) = (median(Property::Params), median(Property::Acts));
            Ok(structural
                .refine(Constraint::Range {
                    property: Property::Params,
                    min: 0.0,
                    max: params,
                })
                .refine(Constraint::Range {
                    property: Property::Acts,
                    min: 0.0,
                    max: acts,
                })
                .renamed(&format!("RegNetX constrained {}", regime_label(lo, hi))))
        })
        .collect()
}

/// `61_234.0` → `61_000.0`.
fn two_significant_digits(x: f64) -> f64 {
    if x <= 0.0 {
        return x;
    }
    let unit = 10f64.powi(x.log10().floor() as i32 - 1);
    (x / unit).round() * unit
}

/// Models per space the committed evidence is made for (`regnet-lab evidence`); what a
/// directory holds at any moment is whatever has finished, and the notebooks say how many.
pub const EVIDENCE_MODELS: u64 = 200;

/// Models per space the secondary groups ([`secondary`]) are made for: enough for the
/// secondary figures, where a finding undecided at this n is reported as such.
pub const SECONDARY_MODELS: u64 = 100;

/// Every committed evidence sweep as (group, space): `anynetx` (A → E), `regnetx` (RegNetX and
/// its restrictions wm = 2 and w0 = wa) and `regnety`, all at the `cpu` budget's recipe.
pub fn evidence() -> Result<Vec<(&'static str, DesignSpace)>, SpaceError> {
    let mut all: Vec<(&'static str, DesignSpace)> = anynetx_chain()?
        .into_iter()
        .map(|s| ("anynetx", s))
        .collect();
    all.extend(regnet_x_variants().into_iter().map(|s| ("regnetx", s)));
    all.push(("regnety", regnet_y()));
    Ok(all)
}

/// Secondary sweeps (for the secondary figures, [`SECONDARY_MODELS`] each), as (group, space): group
/// `alternatives` ([`anynetx_alternatives`]), group `designs` ([`regnet_x_alternate_designs`]
/// and [`regnet_x_resolutions`]), groups `generalisation` and `epochs` ([`generalisation`]),
/// and group `trends` ([`trends`] and [`regnet_x_constrained`]). `regnet-lab evidence
/// <group>…` grows them; they are not part of the default `evidence` run.
pub fn secondary() -> Result<Vec<(&'static str, DesignSpace)>, SpaceError> {
    let mut all: Vec<(&'static str, DesignSpace)> = anynetx_alternatives()?
        .into_iter()
        .map(|s| ("alternatives", s))
        .collect();
    all.extend(
        regnet_x_alternate_designs()
            .into_iter()
            .chain(regnet_x_resolutions())
            .map(|s| ("designs", s)),
    );
    for setting in generalisation()? {
        let group = setting.group;
        all.extend(setting.spaces.into_iter().map(|s| (group, s)));
    }
    for (_, spaces) in trends() {
        all.extend(spaces.into_iter().map(|s| ("trends", s)));
    }
    all.extend(regnet_x_constrained()?.into_iter().map(|s| ("trends", s)));
    Ok(all)
}

/// The sweep of `space` in `group` at `budget`: sample seed 0, `n` models, the group's recipe
/// ([`train_config`]), on `data`.
pub fn sweep(
    budget: Budget,
    group: &str,
    space: &DesignSpace,
    data: &dyn TrainData,
    n: u64,
) -> Sweep {
    Sweep::new(space.clone(), 0, n, train_config(budget, group), data)
}

/// The committed `cpu`-budget sweep of `space` under `group`, read as it is (no training), if
/// its directory exists and is that sweep on `data` (resampled to the space's resolution, see
/// [`data_for`]); `Ok(None)` if absent or another sweep.
pub fn committed(
    group: &str,
    space: &DesignSpace,
    data: &ImageData,
) -> Result<Option<SweepResults>, SweepError> {
    let dir = path(group, space);
    let Ok(theirs) = SweepManifest::load(&dir) else {
        return Ok(None);
    };
    let data = data_for(space, data)?;
    let mine = sweep(Budget::Cpu, group, space, data.as_ref(), theirs.n);
    if mine.manifest()?.mismatch(&theirs).is_some() {
        return Ok(None);
    }
    let results = SweepResults::load(&dir)?;
    mine.check_draws(&dir, &results.records)?;
    Ok(Some(results))
}

/// A notebook's sweep of `space`: at `cpu` budget the committed evidence when there is some
/// (every finished run, however many), otherwise [`Budget::sweep_size`] models trained into
/// `out` (resumable) on `data` resampled to the space's resolution ([`data_for`]).
pub fn results(
    budget: Budget,
    group: &str,
    space: &DesignSpace,
    data: &ImageData,
    out: impl AsRef<Path>,
) -> Result<SweepResults, SweepError> {
    if budget == Budget::Cpu
        && let Some(r) = committed(group, space, data)?
        && !r.records.is_empty()
    {
        println!(
            "{}: {} runs committed in {}",
            space.name(),
            r.records.len(),
            path(group, space).display()
        );
        return Ok(r);
    }
    let data = data_for(space, data)?;
    sweep(budget, group, space, data.as_ref(), budget.sweep_size()).run(out, data.as_ref())
}

/// `datasets/sweeps/` of this crate's source tree.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("datasets")
        .join("sweeps")
}

/// A directory name for a space: lower case, spaces to `_`, no `=`.
///
/// ```
/// assert_eq!(regnet_lab::sweep::precomputed::slug("RegNetX wm=2"), "regnetx_wm2");
/// ```
pub fn slug(name: &str) -> String {
    name.to_lowercase().replace(' ', "_").replace('=', "")
}

/// Where the precomputed sweep of `space` for `group` (e.g. `anynetx`) lives.
pub fn path(group: &str, space: &DesignSpace) -> PathBuf {
    root().join(group).join(slug(space.name()))
}

impl Sweep {
    /// If `dir` holds no results yet and `precomputed` holds a sweep with the same manifest,
    /// copy its manifest and records there (up to this sweep's `n`). Returns the number of runs
    /// reused; a missing or different precomputed sweep reuses nothing (it is not an error:
    /// the runs are then trained).
    pub fn reuse(&self, dir: &Path, precomputed: &Path) -> Result<usize, SweepError> {
        let mine = self.manifest()?;
        let Ok(theirs) = SweepManifest::load(precomputed) else {
            return Ok(0);
        };
        if mine.mismatch(&theirs).is_some() {
            return Ok(0);
        }
        if dir.join("manifest.json").exists() {
            let here = SweepResults::load(dir)?;
            let same = here.manifest.is_some_and(|m| mine.mismatch(&m).is_none());
            if !same || !here.records.is_empty() {
                return Ok(0);
            }
        }
        let records: Vec<RunRecord> = SweepResults::load(precomputed)?
            .records
            .into_iter()
            .filter(|r| r.sample.index.is_some_and(|i| i < self.n))
            .collect();
        // Same description, other draws (an edited custom constraint): never pass them off.
        self.check_draws(precomputed, &records)?;
        self.prepare(dir)?;
        let (mut out, _) =
            super::Appender::open::<RunRecord>(&super::Shard::WHOLE.results_file(dir))?;
        for r in &records {
            out.append(r)?;
        }
        Ok(records.len())
    }

    /// [`Sweep::run`], first reusing the precomputed sweep at `precomputed` when it is the
    /// same sweep (see [`Sweep::reuse`]).
    pub fn run_reusing(
        &self,
        dir: impl AsRef<Path>,
        precomputed: impl AsRef<Path>,
        data: &dyn crate::train::TrainData,
    ) -> Result<SweepResults, SweepError> {
        let dir = dir.as_ref();
        let reused = self.reuse(dir, precomputed.as_ref())?;
        if reused > 0 {
            println!(
                "{}: reused {reused} runs of the precomputed sweep {}",
                self.space.name(),
                precomputed.as_ref().display()
            );
        }
        self.run(dir, data)
    }
}
