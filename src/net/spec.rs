//! `AnyNetSpec`: what a network of the AnyNet family is, as plain validated data.
//!
//! An AnyNet (paper §3.1, Fig. 3) is a stem, a body of stages and a head. Stage `i` has a depth
//! `d_i` (number of blocks), a width `w_i`, a stride (on its first block), a bottleneck ratio `b_i`
//! and a group width `g_i`. Everything else in the crate — complexity, candle modules, sampling,
//! training records — is driven by this one description.

use serde::{Deserialize, Serialize};

use super::NetError;
use super::round_half_even;

/// Most stages a spec may have. The paper's networks have 4; small-image nets have 2–3.
pub const MAX_STAGES: usize = 8;

/// The stem: the first layers that turn the image into `stem_width` channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StemKind {
    /// ImageNet "simple" stem used by RegNet: 3×3 conv stride 2, BN, ReLU.
    Simple,
    /// ResNet stem: 7×7 conv stride 2, BN, ReLU, 3×3 max-pool stride 2.
    Resnet,
    /// CIFAR stem: 3×3 conv stride 1, BN, ReLU (32×32 inputs keep their size).
    Cifar,
    /// Stem for 28×28 single-channel images (Fashion-MNIST): 3×3 conv stride 1, BN, ReLU.
    /// Its arithmetic equals the CIFAR stem; it is its own kind so that a spec says what input
    /// it was made for, and so that templates default to one input channel.
    Small,
}

impl StemKind {
    /// Kernel size of the stem convolution.
    pub fn kernel(self) -> usize {
        match self {
            StemKind::Resnet => 7,
            _ => 3,
        }
    }
    /// Stride of the stem convolution.
    pub fn stride(self) -> usize {
        match self {
            StemKind::Simple | StemKind::Resnet => 2,
            StemKind::Cifar | StemKind::Small => 1,
        }
    }
    /// Whether a 3×3 stride-2 max-pool follows the convolution.
    pub fn has_max_pool(self) -> bool {
        matches!(self, StemKind::Resnet)
    }
    /// The name used in JSON and tables.
    pub fn name(self) -> &'static str {
        match self {
            StemKind::Simple => "simple",
            StemKind::Resnet => "resnet",
            StemKind::Cifar => "cifar",
            StemKind::Small => "small",
        }
    }
}

/// The block every stage is made of. The paper's generalisation study (Fig. 10) names three
/// kinds: V (vanilla), R (residual basic) and X; Y is X with squeeze-excitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// X block (paper §3.1, Fig. 4): 1×1 → 3×3 group conv (stride here) → 1×1, residual.
    X,
    /// Y block: the X block with squeeze-excitation after the 3×3 conv (paper §4, "RegNetY").
    Y,
    /// ResNet basic block: two full 3×3 convs (stride on the first). `group_width` must equal
    /// the stage width (one group) and the bottleneck ratio must be 1.
    ResBasic,
    /// ResNet bottleneck block: the X block with one group, i.e. `group_width` equal to the
    /// bottleneck width `w / b`.
    ResBottleneck,
    /// Vanilla (V) block: the basic block without its residual, i.e. 3×3 conv (stride) → BN →
    /// ReLU → 3×3 conv → BN → ReLU, as in VGG. Same constraints as [`BlockKind::ResBasic`].
    Vanilla,
}

impl BlockKind {
    /// The name used in JSON and tables.
    pub fn name(self) -> &'static str {
        match self {
            BlockKind::X => "x",
            BlockKind::Y => "y",
            BlockKind::ResBasic => "res_basic",
            BlockKind::ResBottleneck => "res_bottleneck",
            BlockKind::Vanilla => "vanilla",
        }
    }

    /// Basic blocks (two full 3×3 convs: [`BlockKind::ResBasic`], [`BlockKind::Vanilla`]) have
    /// no bottleneck (b = 1) and one group (g = the stage width).
    pub fn is_basic(self) -> bool {
        matches!(self, BlockKind::ResBasic | BlockKind::Vanilla)
    }

    /// Whether the block adds its input back (every kind but [`BlockKind::Vanilla`]).
    pub fn is_residual(self) -> bool {
        self != BlockKind::Vanilla
    }
}

/// One stage of the body: `depth` blocks of output width `width`; the first block has stride
/// `stride` (and the projection shortcut when the width or resolution changes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageSpec {
    /// Number of blocks `d_i`.
    pub depth: usize,
    /// Output width `w_i` (channels).
    pub width: usize,
    /// Stride of the stage's first block.
    pub stride: usize,
    /// The paper's bottleneck ratio `b_i`, a *divisor*: the bottleneck width is `w_i / b_i`
    /// (pycls stores the multiplier `bot_mul = 1 / b_i`). AnyNetX uses b ∈ {1, 2, 4}.
    pub bottleneck_ratio: f64,
    /// Channels per group `g_i` of the 3×3 convolution; groups = bottleneck width / `g_i`.
    pub group_width: usize,
}

impl StageSpec {
    /// pycls's `bot_mul`, the multiplier `1 / b`.
    pub fn bot_mul(&self) -> f64 {
        1.0 / self.bottleneck_ratio
    }

    /// Bottleneck width `w_b = round(w · bot_mul)`, rounded half to even as the reference does.
    pub fn bottleneck_width(&self) -> usize {
        round_half_even(self.width as f64 * self.bot_mul()) as usize
    }

    /// Number of groups of the 3×3 convolution.
    pub fn groups(&self) -> usize {
        self.bottleneck_width() / self.group_width.max(1)
    }
}

/// A complete, valid AnyNet. Build it with [`AnyNetSpec::builder`] or [`AnyNetSpec::try_new`];
/// deserialising validates too, so an invalid spec cannot exist.
///
/// ```
/// use regnet_lab::space::{AnyNetSpec, BlockKind, StemKind};
/// let spec = AnyNetSpec::builder()
///     .stem(StemKind::Small, 16)
///     .in_channels(1)
///     .num_classes(10)
///     .block(BlockKind::X)
///     .stage(1, 32, 2, 1.0, 8)
///     .stage(2, 64, 2, 1.0, 8)
///     .build()
///     .unwrap();
/// assert_eq!(spec.depth(), 3);
/// // A width that the group width does not divide is refused, naming the stage.
/// let bad = AnyNetSpec::builder().stage(1, 36, 2, 1.0, 8).build();
/// assert!(bad.unwrap_err().to_string().contains("stage 1"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "AnyNetSpecData", into = "AnyNetSpecData")]
pub struct AnyNetSpec {
    data: AnyNetSpecData,
}

/// The unvalidated fields of an [`AnyNetSpec`], as written in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnyNetSpecData {
    pub stem: StemKind,
    pub stem_width: usize,
    pub in_channels: usize,
    pub block: BlockKind,
    pub stages: Vec<StageSpec>,
    /// Squeeze-excitation ratio of Y blocks: `w_se = round(w_in · se_ratio)` with `w_in` the
    /// block's *input* width. Must be set for Y blocks and absent for all others.
    #[serde(default)]
    pub se_ratio: Option<f64>,
    pub num_classes: usize,
}

impl TryFrom<AnyNetSpecData> for AnyNetSpec {
    type Error = NetError;
    fn try_from(data: AnyNetSpecData) -> Result<Self, NetError> {
        validate(&data)?;
        Ok(AnyNetSpec { data })
    }
}

impl From<AnyNetSpec> for AnyNetSpecData {
    fn from(spec: AnyNetSpec) -> Self {
        spec.data
    }
}

impl AnyNetSpec {
    /// Validate `data` and wrap it.
    pub fn try_new(data: AnyNetSpecData) -> Result<Self, NetError> {
        Self::try_from(data)
    }

    /// A builder with ImageNet defaults: simple stem of width 32, 3 input channels, 1000
    /// classes, X blocks, no SE.
    pub fn builder() -> AnyNetSpecBuilder {
        AnyNetSpecBuilder::default()
    }

    /// The validated fields.
    pub fn data(&self) -> &AnyNetSpecData {
        &self.data
    }
    pub fn stem(&self) -> StemKind {
        self.data.stem
    }
    pub fn stem_width(&self) -> usize {
        self.data.stem_width
    }
    pub fn in_channels(&self) -> usize {
        self.data.in_channels
    }
    pub fn block(&self) -> BlockKind {
        self.data.block
    }
    pub fn stages(&self) -> &[StageSpec] {
        &self.data.stages
    }
    pub fn se_ratio(&self) -> Option<f64> {
        self.data.se_ratio
    }
    pub fn num_classes(&self) -> usize {
        self.data.num_classes
    }

    /// Total number of blocks (the paper's depth `d`).
    pub fn depth(&self) -> usize {
        self.stages().iter().map(|s| s.depth).sum()
    }
    pub fn stage_depths(&self) -> Vec<usize> {
        self.stages().iter().map(|s| s.depth).collect()
    }
    pub fn stage_widths(&self) -> Vec<usize> {
        self.stages().iter().map(|s| s.width).collect()
    }
    pub fn stage_strides(&self) -> Vec<usize> {
        self.stages().iter().map(|s| s.stride).collect()
    }
    pub fn stage_group_widths(&self) -> Vec<usize> {
        self.stages().iter().map(|s| s.group_width).collect()
    }
    /// Per-stage bottleneck ratios in the paper's convention (divisor `b`).
    pub fn stage_bottleneck_ratios(&self) -> Vec<f64> {
        self.stages().iter().map(|s| s.bottleneck_ratio).collect()
    }
    /// The width of every block in order (`w_j` of paper §3.3, the quantity Fig. 8 plots).
    pub fn block_widths(&self) -> Vec<usize> {
        self.stages()
            .iter()
            .flat_map(|s| std::iter::repeat_n(s.width, s.depth))
            .collect()
    }

    /// Squeeze-excitation width of a block whose input has `w_in` channels, if the block has SE.
    pub fn se_width(&self, w_in: usize) -> Option<usize> {
        self.se_ratio()
            .map(|r| round_half_even(w_in as f64 * r) as usize)
    }

    /// A copy with another number of classes (e.g. a zoo model for a 10-class dataset).
    pub fn with_num_classes(&self, num_classes: usize) -> Result<Self, NetError> {
        let mut data = self.data.clone();
        data.num_classes = num_classes;
        Self::try_new(data)
    }

    /// A copy with another stem and input channel count (e.g. a zoo model for 28×28 grey images).
    pub fn with_stem(
        &self,
        stem: StemKind,
        stem_width: usize,
        in_channels: usize,
    ) -> Result<Self, NetError> {
        let mut data = self.data.clone();
        data.stem = stem;
        data.stem_width = stem_width;
        data.in_channels = in_channels;
        Self::try_new(data)
    }
}

fn validate(d: &AnyNetSpecData) -> Result<(), NetError> {
    let field = |name: &str, value: String, why: &str| NetError::InvalidField {
        field: name.to_string(),
        value,
        why: why.to_string(),
    };
    if d.stem_width == 0 {
        return Err(field("stem_width", "0".into(), "must be at least 1"));
    }
    if d.in_channels == 0 {
        return Err(field("in_channels", "0".into(), "must be at least 1"));
    }
    if d.num_classes == 0 {
        return Err(field("num_classes", "0".into(), "must be at least 1"));
    }
    if d.stages.is_empty() || d.stages.len() > MAX_STAGES {
        return Err(field(
            "stages",
            d.stages.len().to_string(),
            &format!("a spec has 1 to {MAX_STAGES} stages"),
        ));
    }
    match (d.block, d.se_ratio) {
        (BlockKind::Y, None) => {
            return Err(field(
                "se_ratio",
                "none".into(),
                "Y blocks need an SE ratio",
            ));
        }
        (BlockKind::Y, Some(r)) if !(r.is_finite() && r > 0.0 && r <= 1.0) => {
            return Err(field("se_ratio", r.to_string(), "must be in (0, 1]"));
        }
        (kind, Some(r)) if kind != BlockKind::Y => {
            return Err(field(
                "se_ratio",
                r.to_string(),
                &format!(
                    "only Y blocks have SE; this spec has {} blocks",
                    kind.name()
                ),
            ));
        }
        _ => {}
    }
    let mut w_in = d.stem_width;
    for (i, s) in d.stages.iter().enumerate() {
        let stage = i + 1;
        let bad = |f: &str, v: String, why: &str| NetError::InvalidStage {
            stage,
            field: f.to_string(),
            value: v,
            why: why.to_string(),
        };
        if s.depth == 0 {
            return Err(bad("depth", "0".into(), "must be at least 1"));
        }
        if s.width == 0 {
            return Err(bad("width", "0".into(), "must be at least 1"));
        }
        if s.stride == 0 {
            return Err(bad("stride", "0".into(), "must be at least 1"));
        }
        let b = s.bottleneck_ratio;
        if !(b.is_finite() && b > 0.0) {
            return Err(bad(
                "bottleneck_ratio",
                b.to_string(),
                "must be a positive number",
            ));
        }
        if s.group_width == 0 {
            return Err(bad("group_width", "0".into(), "must be at least 1"));
        }
        let w_b = s.bottleneck_width();
        match d.block {
            kind if kind.is_basic() => {
                if b != 1.0 {
                    return Err(bad(
                        "bottleneck_ratio",
                        b.to_string(),
                        "basic blocks have b = 1",
                    ));
                }
                if s.group_width != s.width {
                    return Err(bad(
                        "group_width",
                        s.group_width.to_string(),
                        &format!(
                            "basic blocks use one group: it must equal the width {}",
                            s.width
                        ),
                    ));
                }
            }
            BlockKind::ResBottleneck if s.group_width != w_b => {
                return Err(bad(
                    "group_width",
                    s.group_width.to_string(),
                    &format!(
                        "ResNet bottleneck blocks use one group: it must equal the bottleneck width {w_b}"
                    ),
                ));
            }
            _ => {}
        }
        if w_b == 0 {
            return Err(bad(
                "bottleneck_ratio",
                b.to_string(),
                &format!("bottleneck width round({} / {b}) is 0", s.width),
            ));
        }
        if w_b % s.group_width != 0 {
            return Err(NetError::GroupWidthIncompatible {
                stage,
                width: s.width,
                bottleneck_width: w_b,
                group_width: s.group_width,
            });
        }
        if let Some(r) = d.se_ratio {
            // The first block sees the previous width, the others the stage's own width.
            for w in [w_in, s.width] {
                if round_half_even(w as f64 * r) < 1.0 {
                    return Err(bad(
                        "se_ratio",
                        r.to_string(),
                        &format!("SE width round({w} · {r}) is 0"),
                    ));
                }
            }
        }
        w_in = s.width;
    }
    Ok(())
}

/// Builder for [`AnyNetSpec`]; `build()` validates.
#[derive(Debug, Clone)]
pub struct AnyNetSpecBuilder {
    data: AnyNetSpecData,
}

impl Default for AnyNetSpecBuilder {
    fn default() -> Self {
        AnyNetSpecBuilder {
            data: AnyNetSpecData {
                stem: StemKind::Simple,
                stem_width: 32,
                in_channels: 3,
                block: BlockKind::X,
                stages: Vec::new(),
                se_ratio: None,
                num_classes: 1000,
            },
        }
    }
}

impl AnyNetSpecBuilder {
    pub fn stem(mut self, stem: StemKind, stem_width: usize) -> Self {
        self.data.stem = stem;
        self.data.stem_width = stem_width;
        self
    }
    pub fn in_channels(mut self, in_channels: usize) -> Self {
        self.data.in_channels = in_channels;
        self
    }
    pub fn num_classes(mut self, num_classes: usize) -> Self {
        self.data.num_classes = num_classes;
        self
    }
    /// Block kind; `BlockKind::Y` also sets the paper's SE ratio 0.25 unless one is given.
    pub fn block(mut self, block: BlockKind) -> Self {
        self.data.block = block;
        if block == BlockKind::Y && self.data.se_ratio.is_none() {
            self.data.se_ratio = Some(0.25);
        }
        if block != BlockKind::Y {
            self.data.se_ratio = None;
        }
        self
    }
    pub fn se_ratio(mut self, se_ratio: f64) -> Self {
        self.data.se_ratio = Some(se_ratio);
        self
    }
    /// Append a stage: depth, width, stride, bottleneck ratio (paper's divisor `b`), group width.
    pub fn stage(
        mut self,
        depth: usize,
        width: usize,
        stride: usize,
        bottleneck_ratio: f64,
        group_width: usize,
    ) -> Self {
        self.data.stages.push(StageSpec {
            depth,
            width,
            stride,
            bottleneck_ratio,
            group_width,
        });
        self
    }
    pub fn stages(mut self, stages: Vec<StageSpec>) -> Self {
        self.data.stages = stages;
        self
    }
    pub fn build(self) -> Result<AnyNetSpec, NetError> {
        AnyNetSpec::try_new(self.data)
    }
}
