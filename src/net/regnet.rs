//! The RegNet parameterisation (paper §3.3): a network's per-block widths follow a quantised
//! linear function of the block index, so six numbers describe the whole body.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::spec::{AnyNetSpec, AnyNetSpecData, BlockKind, StageSpec, StemKind};
use super::{NetError, round_half_even};

/// Widths are quantised to multiples of this (pycls `q = 8`).
pub const WIDTH_QUANTUM: usize = 8;

/// The RegNet parameters `(d, w0, wa, wm, g, b)` plus the SE ratio of RegNetY.
///
/// ```
/// use regnet_lab::space::RegNetParams;
/// // RegNetX-200MF (paper Table / pycls zoo).
/// let p: RegNetParams = "d=13,w0=24,wa=36.44,wm=2.49,g=8".parse().unwrap();
/// let spec = p.to_spec().unwrap();
/// assert_eq!(spec.stage_depths(), vec![1, 1, 4, 7]);
/// assert_eq!(spec.stage_widths(), vec![24, 56, 152, 368]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RegNetParamsData", into = "RegNetParamsData")]
pub struct RegNetParams {
    data: RegNetParamsData,
}

/// Unvalidated fields of [`RegNetParams`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegNetParamsData {
    /// Total number of blocks `d`.
    pub depth: usize,
    /// Initial width `w0 > 0`, a multiple of 8.
    pub w0: usize,
    /// Slope `wa ≥ 0` of the linear widths `u_j = w0 + wa · j`.
    pub wa: f64,
    /// Width multiplier `wm > 1` between consecutive stages.
    pub wm: f64,
    /// Group width `g` (the same for all stages before the compatibility adjustment).
    pub group_width: usize,
    /// The paper's bottleneck ratio `b` (divisor; RegNet uses 1).
    #[serde(default = "one")]
    pub bottleneck_ratio: f64,
    /// SE ratio (RegNetY: 0.25), `None` for RegNetX.
    #[serde(default)]
    pub se_ratio: Option<f64>,
}

fn one() -> f64 {
    1.0
}

impl TryFrom<RegNetParamsData> for RegNetParams {
    type Error = NetError;
    fn try_from(d: RegNetParamsData) -> Result<Self, NetError> {
        let bad = |f: &str, v: String, why: &str| NetError::InvalidField {
            field: f.into(),
            value: v,
            why: why.into(),
        };
        if d.depth == 0 {
            return Err(bad("depth", "0".into(), "must be at least 1"));
        }
        if d.w0 == 0 || !d.w0.is_multiple_of(WIDTH_QUANTUM) {
            return Err(bad(
                "w0",
                d.w0.to_string(),
                "must be a positive multiple of 8",
            ));
        }
        if !(d.wa.is_finite() && d.wa >= 0.0) {
            return Err(bad("wa", d.wa.to_string(), "must be ≥ 0"));
        }
        if !(d.wm.is_finite() && d.wm > 1.0) {
            return Err(bad("wm", d.wm.to_string(), "must be > 1"));
        }
        if d.group_width == 0 {
            return Err(bad("group_width", "0".into(), "must be at least 1"));
        }
        let b = d.bottleneck_ratio;
        // pycls requires bot_mul < 1 or an integer; in the paper's convention b > 1 or 1/b integer.
        let m = 1.0 / b;
        if !(b.is_finite() && b > 0.0) || !(m < 1.0 || m.fract() == 0.0) {
            return Err(bad(
                "bottleneck_ratio",
                b.to_string(),
                "must be positive with 1/b < 1 or 1/b an integer",
            ));
        }
        if let Some(r) = d.se_ratio
            && !(r.is_finite() && r > 0.0 && r <= 1.0)
        {
            return Err(bad("se_ratio", r.to_string(), "must be in (0, 1]"));
        }
        Ok(RegNetParams { data: d })
    }
}

impl From<RegNetParams> for RegNetParamsData {
    fn from(p: RegNetParams) -> Self {
        p.data
    }
}

/// The output of the quantised-linear generator for one set of parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegNetWidths {
    /// Continuous per-block widths `u_j = w0 + wa · j` (paper eq. 2).
    pub continuous: Vec<f64>,
    /// Per-block stage index `s_j = round(log(u_j / w0) / log(wm))` (eq. 3).
    pub exponents: Vec<i64>,
    /// Quantised per-block widths `w_j = round(w0 · wm^s_j / 8) · 8` (eq. 4).
    pub quantized: Vec<usize>,
    /// Distinct widths in increasing order: the stage widths before block compatibility.
    pub stage_widths: Vec<usize>,
    /// Number of blocks of each stage width.
    pub stage_depths: Vec<usize>,
    /// Stages realised (distinct widths).
    pub num_stages: usize,
    /// Stages possible: `max(s_j) + 1`. pycls's samplers reject samples where the two differ.
    pub possible_stages: usize,
}

/// The quantised-linear generator (paper eqs. 2–4; pycls `generate_regnet`). Rounding is half
/// to even, as numpy's, so tie cases give the reference's widths.
pub fn generate_widths(depth: usize, w0: usize, wa: f64, wm: f64) -> RegNetWidths {
    let w0f = w0 as f64;
    let q = WIDTH_QUANTUM as f64;
    let continuous: Vec<f64> = (0..depth).map(|j| j as f64 * wa + w0f).collect();
    let log_wm = wm.ln();
    let exponents: Vec<i64> = continuous
        .iter()
        .map(|u| round_half_even((u / w0f).ln() / log_wm) as i64)
        .collect();
    let quantized: Vec<usize> = exponents
        .iter()
        .map(|&s| (round_half_even(w0f * wm.powf(s as f64) / q) * q) as usize)
        .collect();
    let mut stage_widths: Vec<usize> = quantized.clone();
    stage_widths.sort_unstable();
    stage_widths.dedup();
    let stage_depths = stage_widths
        .iter()
        .map(|w| quantized.iter().filter(|x| *x == w).count())
        .collect();
    let possible_stages = exponents.iter().copied().max().unwrap_or(0).max(0) as usize + 1;
    RegNetWidths {
        num_stages: stage_widths.len(),
        continuous,
        exponents,
        quantized,
        stage_widths,
        stage_depths,
        possible_stages,
    }
}

/// Make widths, bottleneck ratios and group widths compatible (pycls
/// `adjust_block_compatibility`): the group width is capped at the bottleneck width and the
/// bottleneck width rounded (half to even) to a multiple of the group width. Takes and returns
/// the paper's divisor `b`; returns `(widths, group_widths)`.
pub fn adjust_block_compatibility(
    widths: &[usize],
    bottleneck_ratios: &[f64],
    group_widths: &[usize],
) -> (Vec<usize>, Vec<usize>) {
    widths
        .iter()
        .zip(bottleneck_ratios)
        .zip(group_widths)
        .map(|((&w, &b), &g)| compatible_stage(w, b, g))
        .unzip()
}

/// [`adjust_block_compatibility`] for one stage: `(width, bottleneck ratio b, group width)` →
/// `(width, group width)`.
pub fn compatible_stage(w: usize, b: f64, g: usize) -> (usize, usize) {
    let m = 1.0 / b;
    let v = (w as f64 * m).max(1.0).trunc() as usize;
    let g = g.min(v);
    let q = if m > 1.0 { lcm(g, m as usize) } else { g };
    let v = q.max((round_half_even(v as f64 / q as f64) * q as f64) as usize);
    ((v as f64 / m).trunc() as usize, g)
}

/// Stage widths and depths of the generator without the per-block vectors: the fast path used
/// to build specs while sampling millions of models. Returns `(runs of (width, depth), possible
/// stages)`; agrees exactly with [`generate_widths`] (tested), because `s_j` is only computed
/// through the same logarithm wherever it could change.
pub(crate) fn stage_runs(
    depth: usize,
    w0: usize,
    wa: f64,
    wm: f64,
) -> (Vec<(usize, usize)>, usize) {
    let w0f = w0 as f64;
    let q = WIDTH_QUANTUM as f64;
    let log_wm = wm.ln();
    let mut runs: Vec<(usize, usize)> = Vec::with_capacity(6);
    let mut s = i64::MIN;
    // u below `safe_below` certainly rounds to the current s; at or above it we recompute.
    let mut safe_below = f64::NEG_INFINITY;
    for j in 0..depth {
        let u = j as f64 * wa + w0f;
        if u < safe_below {
            runs.last_mut().expect("a run exists once s is set").1 += 1;
            continue;
        }
        let s_j = round_half_even((u / w0f).ln() / log_wm) as i64;
        if s_j != s {
            s = s_j;
            let w = (round_half_even(w0f * wm.powf(s as f64) / q) * q) as usize;
            match runs.last_mut() {
                Some(last) if last.0 == w => last.1 += 1,
                _ => runs.push((w, 1)),
            }
        } else {
            runs.last_mut().expect("a run exists once s is set").1 += 1;
        }
        safe_below = w0f * ((s as f64 + 0.5) * log_wm).exp() * (1.0 - 1e-9);
    }
    (runs, s.max(0) as usize + 1)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn lcm(a: usize, b: usize) -> usize {
    a / gcd(a, b) * b
}

/// Everything of a network that the RegNet parameters do not say: stem, input, classes, stride.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetTemplate {
    pub stem: StemKind,
    pub stem_width: usize,
    pub in_channels: usize,
    pub num_classes: usize,
    /// Stride of every stage's first block (RegNets use 2 everywhere, CIFAR ones too).
    pub stride: usize,
    /// Stride of the first stage if it differs (ResNet-style small-image nets use 1).
    #[serde(default)]
    pub first_stride: Option<usize>,
    /// The block every stage is made of, when not the family's own (X blocks, or Y blocks
    /// with SE): the basic kinds V ([`BlockKind::Vanilla`]) and R ([`BlockKind::ResBasic`]) of
    /// the paper's generalisation study (Fig. 10). A basic block has no bottleneck and one
    /// group, so a draw's `b` and `g` are replaced by 1 and the stage width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<BlockKind>,
}

impl NetTemplate {
    /// ImageNet RegNet: simple stem of width 32, 3 channels, 1000 classes, stride 2 per stage.
    pub fn imagenet() -> Self {
        NetTemplate {
            stem: StemKind::Simple,
            stem_width: 32,
            in_channels: 3,
            num_classes: 1000,
            stride: 2,
            first_stride: None,
            block: None,
        }
    }
    /// CIFAR-10 as in pycls's CIFAR sweeps: CIFAR stem of width 16, stride 2 per stage.
    pub fn cifar10() -> Self {
        NetTemplate {
            stem: StemKind::Cifar,
            stem_width: 16,
            num_classes: 10,
            ..Self::imagenet()
        }
    }
    /// Fashion-MNIST: 28×28 grey images, small stem of width 16, 10 classes, stride 2 per stage.
    pub fn fashion_mnist() -> Self {
        NetTemplate {
            stem: StemKind::Small,
            stem_width: 16,
            in_channels: 1,
            num_classes: 10,
            ..Self::imagenet()
        }
    }
    /// The same template with every stage made of basic `block`s (V or R).
    ///
    /// ```
    /// use regnet_lab::space::{BlockKind, NetTemplate};
    /// let r = NetTemplate::fashion_mnist().with_block(BlockKind::ResBasic);
    /// assert_eq!(r.block, Some(BlockKind::ResBasic));
    /// ```
    pub fn with_block(self, block: BlockKind) -> Self {
        NetTemplate {
            block: Some(block),
            ..self
        }
    }

    /// Why this template cannot build a family's models, if it cannot: only the basic kinds
    /// replace a family's blocks, and not in a family with squeeze-excitation (which needs the
    /// bottleneck of X blocks).
    pub fn check_block(&self, has_se: bool) -> Result<(), String> {
        match self.block {
            Some(k) if !k.is_basic() => Err(format!(
                "template block '{}': only the basic kinds (vanilla, res_basic) replace a \
                 family's blocks",
                k.name()
            )),
            Some(k) if has_se => Err(format!(
                "template block '{}': squeeze-excitation (RegNetY) needs X blocks",
                k.name()
            )),
            _ => Ok(()),
        }
    }

    /// Whether every stage is made of basic blocks (no bottleneck, one group).
    pub fn basic_blocks(&self) -> bool {
        self.block.is_some_and(BlockKind::is_basic)
    }

    /// A stage of `width` in the template's blocks: `(b, g)` replaced by `(1, width)` for
    /// basic blocks, as drawn otherwise.
    pub fn stage_shape(&self, width: usize, b: f64, g: usize) -> (f64, usize) {
        if self.basic_blocks() {
            (1.0, width)
        } else {
            (b, g)
        }
    }

    /// Stride of stage `i` (0-based).
    pub fn stage_stride(&self, i: usize) -> usize {
        match (i, self.first_stride) {
            (0, Some(s)) => s,
            _ => self.stride,
        }
    }
}

impl RegNetParams {
    pub fn try_new(data: RegNetParamsData) -> Result<Self, NetError> {
        Self::try_from(data)
    }

    /// RegNetX parameters (no SE, b = 1).
    pub fn x(
        depth: usize,
        w0: usize,
        wa: f64,
        wm: f64,
        group_width: usize,
    ) -> Result<Self, NetError> {
        Self::try_new(RegNetParamsData {
            depth,
            w0,
            wa,
            wm,
            group_width,
            bottleneck_ratio: 1.0,
            se_ratio: None,
        })
    }

    /// RegNetY parameters (SE ratio 0.25, b = 1).
    pub fn y(
        depth: usize,
        w0: usize,
        wa: f64,
        wm: f64,
        group_width: usize,
    ) -> Result<Self, NetError> {
        Self::try_new(RegNetParamsData {
            se_ratio: Some(0.25),
            ..Self::x(depth, w0, wa, wm, group_width)?.data
        })
    }

    pub fn data(&self) -> &RegNetParamsData {
        &self.data
    }
    pub fn depth(&self) -> usize {
        self.data.depth
    }
    pub fn w0(&self) -> usize {
        self.data.w0
    }
    pub fn wa(&self) -> f64 {
        self.data.wa
    }
    pub fn wm(&self) -> f64 {
        self.data.wm
    }
    pub fn group_width(&self) -> usize {
        self.data.group_width
    }
    pub fn bottleneck_ratio(&self) -> f64 {
        self.data.bottleneck_ratio
    }
    pub fn se_ratio(&self) -> Option<f64> {
        self.data.se_ratio
    }

    /// The generator's per-block widths (before block compatibility).
    pub fn widths(&self) -> RegNetWidths {
        generate_widths(self.data.depth, self.data.w0, self.data.wa, self.data.wm)
    }

    /// The ImageNet network of these parameters (as pycls builds it).
    pub fn to_spec(&self) -> Result<AnyNetSpec, NetError> {
        self.to_spec_with(&NetTemplate::imagenet())
    }

    /// The network of these parameters on another input (stem, classes, strides).
    pub fn to_spec_with(&self, template: &NetTemplate) -> Result<AnyNetSpec, NetError> {
        let (runs, _) = stage_runs(self.data.depth, self.data.w0, self.data.wa, self.data.wm);
        self.spec_from_runs(&runs, template)
    }

    /// Build the spec from the generator's stage runs (shared with the sampler, which already has them).
    pub(crate) fn spec_from_runs(
        &self,
        runs: &[(usize, usize)],
        template: &NetTemplate,
    ) -> Result<AnyNetSpec, NetError> {
        let n = runs.len();
        if n > super::spec::MAX_STAGES {
            return Err(NetError::InvalidField {
                field: "regnet".into(),
                value: self.to_string(),
                why: format!("generates {n} stages; at most {}", super::spec::MAX_STAGES),
            });
        }
        let b = self.data.bottleneck_ratio;
        let stages = runs
            .iter()
            .enumerate()
            .map(|(i, &(w, d))| {
                // Basic blocks take the generator's width as it is (no groups to fit it to).
                let (width, group_width) = if template.basic_blocks() {
                    (w, w)
                } else {
                    compatible_stage(w, b, self.data.group_width)
                };
                let (bottleneck_ratio, group_width) = template.stage_shape(width, b, group_width);
                StageSpec {
                    depth: d,
                    width,
                    stride: template.stage_stride(i),
                    bottleneck_ratio,
                    group_width,
                }
            })
            .collect();
        AnyNetSpec::try_new(AnyNetSpecData {
            stem: template.stem,
            stem_width: template.stem_width,
            in_channels: template.in_channels,
            block: match (template.block, self.data.se_ratio) {
                (Some(k), _) => k,
                (None, Some(_)) => BlockKind::Y,
                (None, None) => BlockKind::X,
            },
            stages,
            se_ratio: self.data.se_ratio,
            num_classes: template.num_classes,
        })
    }
}

impl fmt::Display for RegNetParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.data;
        write!(
            f,
            "d={},w0={},wa={},wm={},g={}",
            d.depth, d.w0, d.wa, d.wm, d.group_width
        )?;
        if d.bottleneck_ratio != 1.0 {
            write!(f, ",b={}", d.bottleneck_ratio)?;
        }
        if let Some(se) = d.se_ratio {
            write!(f, ",se={se}")?;
        }
        Ok(())
    }
}

/// Parses `d=13,w0=24,wa=36.44,wm=2.49,g=8[,b=1][,se=0.25]` (the CLI's `--regnet`).
impl FromStr for RegNetParams {
    type Err = NetError;
    fn from_str(s: &str) -> Result<Self, NetError> {
        let parse_err = |why: String| NetError::Parse {
            input: s.to_string(),
            why,
        };
        let (mut d, mut w0, mut wa, mut wm, mut g) = (None, None, None, None, None);
        let (mut b, mut se) = (1.0, None);
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| parse_err(format!("'{part}' is not key=value")))?;
            let num = |v: &str| -> Result<f64, NetError> {
                v.trim()
                    .parse::<f64>()
                    .map_err(|_| parse_err(format!("{key}: '{v}' is not a number")))
            };
            let int = |v: &str| -> Result<usize, NetError> {
                v.trim()
                    .parse::<usize>()
                    .map_err(|_| parse_err(format!("{key}: '{v}' is not a non-negative integer")))
            };
            match key.trim() {
                "d" | "depth" => d = Some(int(value)?),
                "w0" => w0 = Some(int(value)?),
                "wa" => wa = Some(num(value)?),
                "wm" => wm = Some(num(value)?),
                "g" | "group_width" => g = Some(int(value)?),
                "b" | "bottleneck_ratio" => b = num(value)?,
                "se" | "se_ratio" => se = Some(num(value)?),
                other => {
                    return Err(parse_err(format!(
                        "unknown key '{other}' (expected d, w0, wa, wm, g, b, se)"
                    )));
                }
            }
        }
        let need = |v: Option<f64>, k: &str| v.ok_or_else(|| parse_err(format!("missing {k}")));
        Self::try_new(RegNetParamsData {
            depth: d.ok_or_else(|| parse_err("missing d".into()))?,
            w0: w0.ok_or_else(|| parse_err("missing w0".into()))?,
            wa: need(wa, "wa")?,
            wm: need(wm, "wm")?,
            group_width: g.ok_or_else(|| parse_err("missing g".into()))?,
            bottleneck_ratio: b,
            se_ratio: se,
        })
    }
}
