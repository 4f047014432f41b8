//! Stems, residual blocks and stages (paper §3.1, Fig. 3–4; pycls `anynet.py`), named as
//! torchvision's RegNet names them so that its checkpoints load unchanged.

use candle_core::{Result as CResult, Tensor};
use candle_nn::{ModuleT, VarBuilder};

use super::ModelError;
use super::layers::{Activation, ConvBn, ConvBnConfig, Layer, SqueezeExcitation, at};
use crate::space::{AnyNetSpec, BlockKind, StageSpec, StemKind};

/// The stem: conv → BN → ReLU (→ 3×3 max-pool stride 2 for the ResNet stem). Parameters
/// `stem.0.weight`, `stem.1.*`, as torchvision's `SimpleStemIN`.
#[derive(Debug, Clone)]
pub struct Stem {
    kind: StemKind,
    conv_bn: ConvBn,
}

impl Stem {
    pub(crate) fn new(vb: &VarBuilder, spec: &AnyNetSpec) -> Result<Self, ModelError> {
        let kind = spec.stem();
        Ok(Stem {
            kind,
            conv_bn: ConvBn::new(
                vb,
                spec.in_channels(),
                spec.stem_width(),
                ConvBnConfig::kernel(kind.kernel()).stride(kind.stride()),
            )?,
        })
    }

    pub fn kind(&self) -> StemKind {
        self.kind
    }

    pub(crate) fn visit<'a>(&'a self, f: &mut dyn FnMut(Layer<'a>)) {
        self.conv_bn.visit(f)
    }
}

impl ModuleT for Stem {
    fn forward_t(&self, xs: &Tensor, train: bool) -> CResult<Tensor> {
        let y = self.conv_bn.forward_act(xs, train, Activation::Relu)?;
        if self.kind.has_max_pool() {
            max_pool_3x3_s2_p1(&y, train).map_err(at("stem.3"))
        } else {
            Ok(y)
        }
    }
}

/// 3×3 max-pool, stride 2, padding 1 (the ResNet stem's), for inputs ≥ 0 (it follows a ReLU).
///
/// candle's pool has no padding; since every value is ≥ 0 and every window holds a real pixel,
/// zero padding gives the same maximum as PyTorch's −∞ padding. candle 0.11 cannot
/// differentiate its pool when kernel ≠ stride, so in train mode the pool is composed from
/// slices and `maximum` (separably: columns, then rows), which candle differentiates. Eval mode
/// uses candle's kernel.
pub(crate) fn max_pool_3x3_s2_p1(x: &Tensor, train: bool) -> CResult<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    let (ho, wo) = ((h - 1) / 2 + 1, (w - 1) / 2 + 1);
    if !train {
        let y = x.pad_with_zeros(2, 1, 1)?.pad_with_zeros(3, 1, 1)?;
        return y.max_pool2d_with_stride(3, 2);
    }
    // Along `dim` (size n, out = (n − 1) / 2 + 1): pad to 2·out + 2 with a zero in front, then
    // window i covers padded positions 2i, 2i + 1, 2i + 2.
    let pool1d = |x: &Tensor, dim: usize, n: usize, out: usize| -> CResult<Tensor> {
        let p = x.pad_with_zeros(dim, 1, 2 * out + 1 - n)?;
        let pair = |start: usize| -> CResult<(Tensor, Tensor)> {
            let t = p.narrow(dim, start, 2 * out)?;
            let mut shape = t.dims().to_vec();
            shape[dim] = out;
            shape.insert(dim + 1, 2);
            let t = t.reshape(shape)?;
            Ok((
                t.narrow(dim + 1, 0, 1)?.squeeze(dim + 1)?,
                t.narrow(dim + 1, 1, 1)?.squeeze(dim + 1)?,
            ))
        };
        let (even, odd) = pair(0)?;
        let (next, _) = pair(2)?;
        even.maximum(&odd)?.maximum(&next)
    };
    let y = pool1d(x, 3, w, wo)?;
    pool1d(&y, 2, h, ho)
}

/// A block (paper §3.1, Fig. 4; pycls's `ResBottleneckBlock` / `ResBasicBlock` /
/// `VanillaBlock`): `relu(shortcut(x) + f(x))` for residual kinds, `f(x)` (which then ends in
/// its own ReLU) for the vanilla block. The shortcut is a projection (`proj`: 1×1 conv with the
/// block's stride, then BN) when the width or the resolution changes, the identity otherwise;
/// `f` is the block's [`Transform`].
#[derive(Debug, Clone)]
pub struct Block {
    shortcut: Shortcut,
    f: Transform,
}

/// What a [`Block`] adds to its branch.
#[derive(Debug, Clone)]
pub enum Shortcut {
    /// The input itself (same width and resolution).
    Identity,
    /// `proj`: 1×1 conv with the block's stride, then BN.
    Projection(ConvBn),
    /// Nothing: the vanilla block is its branch alone.
    None,
}

/// The branch of a [`Block`].
#[derive(Debug, Clone)]
pub enum Transform {
    /// X, Y (with SE) and ResNet bottleneck blocks.
    Bottleneck(Box<BottleneckTransform>),
    /// ResNet basic and vanilla blocks.
    Basic(Box<BasicTransform>),
}

impl Block {
    /// A residual block from `w_in` to `w_out` channels at `stride`, its branch built under `f`.
    fn residual(
        vb: &VarBuilder,
        w_in: usize,
        w_out: usize,
        stride: usize,
        f: impl FnOnce(&VarBuilder) -> Result<Transform, ModelError>,
    ) -> Result<Self, ModelError> {
        let shortcut = if w_in != w_out || stride != 1 {
            let cfg = ConvBnConfig::kernel(1).stride(stride);
            Shortcut::Projection(ConvBn::new(&vb.pp("proj"), w_in, w_out, cfg)?)
        } else {
            Shortcut::Identity
        };
        Ok(Block {
            shortcut,
            f: f(&vb.pp("f"))?,
        })
    }

    /// The residual branch.
    pub fn transform(&self) -> &Transform {
        &self.f
    }

    /// What the block adds to its branch.
    pub fn shortcut(&self) -> &Shortcut {
        &self.shortcut
    }

    pub(crate) fn visit<'a>(&'a self, f: &mut dyn FnMut(Layer<'a>)) {
        if let Shortcut::Projection(p) = &self.shortcut {
            p.visit(f);
        }
        match &self.f {
            Transform::Bottleneck(t) => t.visit(f),
            Transform::Basic(t) => t.visit(f),
        }
    }
}

impl ModuleT for Block {
    fn forward_t(&self, xs: &Tensor, train: bool) -> CResult<Tensor> {
        let y = match &self.f {
            Transform::Bottleneck(t) => t.forward_t(xs, train)?,
            Transform::Basic(t) => t.forward_t(xs, train)?,
        };
        let shortcut = match &self.shortcut {
            Shortcut::Projection(p) => p.forward_t(xs, train)?,
            Shortcut::Identity => xs.clone(),
            Shortcut::None => return Ok(y),
        };
        // One fused op on the CPU (`ops::add_relu`).
        crate::ops::add_relu(&shortcut, &y)
    }
}

/// The bottleneck branch, the X block of paper §3.1 (Fig. 4): 1×1 (`f.a`) → 3×3 group conv
/// with the stride (`f.b`) → [squeeze-excitation `f.se` for Y blocks] → 1×1 (`f.c`, no ReLU).
/// With one group it is the ResNet bottleneck.
#[derive(Debug, Clone)]
pub struct BottleneckTransform {
    a: ConvBn,
    b: ConvBn,
    se: Option<SqueezeExcitation>,
    c: ConvBn,
}

impl BottleneckTransform {
    fn new(
        f: &VarBuilder,
        w_in: usize,
        stage: &StageSpec,
        stride: usize,
        w_se: Option<usize>,
    ) -> Result<Self, ModelError> {
        let (w_out, w_b) = (stage.width, stage.bottleneck_width());
        Ok(BottleneckTransform {
            a: ConvBn::new(&f.pp("a"), w_in, w_b, ConvBnConfig::kernel(1))?,
            b: ConvBn::new(
                &f.pp("b"),
                w_b,
                w_b,
                ConvBnConfig::kernel(3)
                    .stride(stride)
                    .groups(stage.groups()),
            )?,
            // SE width from the block's *input* width (docs/regnet.md, "Y block"), applied to w_b.
            se: match w_se {
                Some(w_se) => Some(SqueezeExcitation::new(&f.pp("se"), w_b, w_se)?),
                None => None,
            },
            c: ConvBn::new(
                &f.pp("c"),
                w_b,
                w_out,
                ConvBnConfig::kernel(1).ends_branch(),
            )?,
        })
    }

    fn visit<'a>(&'a self, f: &mut dyn FnMut(Layer<'a>)) {
        self.a.visit(f);
        self.b.visit(f);
        if let Some(se) = &self.se {
            se.visit(f);
        }
        self.c.visit(f);
    }
}

impl ModuleT for BottleneckTransform {
    fn forward_t(&self, xs: &Tensor, train: bool) -> CResult<Tensor> {
        let y = self.a.forward_act(xs, train, Activation::Relu)?;
        let y = self.b.forward_act(&y, train, Activation::Relu)?;
        let y = match &self.se {
            Some(se) => se.forward_t(&y, train)?,
            None => y,
        };
        self.c.forward_t(&y, train)
    }
}

/// The basic branch: 3×3 (`f.a`, with the stride) → BN → ReLU → 3×3 (`f.b`) → BN, and for
/// the vanilla block a final ReLU (there is no residual sum to apply it after).
#[derive(Debug, Clone)]
pub struct BasicTransform {
    a: ConvBn,
    b: ConvBn,
    last: Activation,
}

impl BasicTransform {
    fn new(
        f: &VarBuilder,
        w_in: usize,
        w_out: usize,
        stride: usize,
        residual: bool,
    ) -> Result<Self, ModelError> {
        let b = ConvBnConfig::kernel(3);
        // Only a residual branch may start at zero (`ends_branch`): a vanilla block that did
        // would pass nothing on.
        let (b, last) = if residual {
            (b.ends_branch(), Activation::None)
        } else {
            (b, Activation::Relu)
        };
        Ok(BasicTransform {
            a: ConvBn::new(
                &f.pp("a"),
                w_in,
                w_out,
                ConvBnConfig::kernel(3).stride(stride),
            )?,
            b: ConvBn::new(&f.pp("b"), w_out, w_out, b)?,
            last,
        })
    }

    fn visit<'a>(&'a self, f: &mut dyn FnMut(Layer<'a>)) {
        self.a.visit(f);
        self.b.visit(f);
    }
}

impl ModuleT for BasicTransform {
    fn forward_t(&self, xs: &Tensor, train: bool) -> CResult<Tensor> {
        let y = self.a.forward_act(xs, train, Activation::Relu)?;
        self.b.forward_act(&y, train, self.last)
    }
}

/// A stage: `depth` blocks, the first with the stage's stride. Named
/// `trunk_output.block{i}` with blocks `block{i}-{j}` (torchvision's `AnyStage`).
#[derive(Debug, Clone)]
pub struct Stage {
    blocks: Vec<Block>,
}

impl Stage {
    /// Stage `index` (1-based) of `spec`, whose input has `w_in` channels.
    pub(crate) fn new(
        vb: &VarBuilder,
        spec: &AnyNetSpec,
        index: usize,
        w_in: usize,
    ) -> Result<Self, ModelError> {
        let stage = &spec.stages()[index - 1];
        let mut blocks = Vec::with_capacity(stage.depth);
        let mut w = w_in;
        for j in 0..stage.depth {
            let vb = vb.pp(format!("block{index}-{j}"));
            let stride = if j == 0 { stage.stride } else { 1 };
            let block = match spec.block() {
                BlockKind::X | BlockKind::Y | BlockKind::ResBottleneck => {
                    Block::residual(&vb, w, stage.width, stride, |f| {
                        Ok(Transform::Bottleneck(Box::new(BottleneckTransform::new(
                            f,
                            w,
                            stage,
                            stride,
                            spec.se_width(w),
                        )?)))
                    })?
                }
                BlockKind::ResBasic => Block::residual(&vb, w, stage.width, stride, |f| {
                    let t = BasicTransform::new(f, w, stage.width, stride, true)?;
                    Ok(Transform::Basic(Box::new(t)))
                })?,
                BlockKind::Vanilla => {
                    let t = BasicTransform::new(&vb.pp("f"), w, stage.width, stride, false)?;
                    Block {
                        shortcut: Shortcut::None,
                        f: Transform::Basic(Box::new(t)),
                    }
                }
            };
            blocks.push(block);
            w = stage.width;
        }
        Ok(Stage { blocks })
    }

    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    pub(crate) fn visit<'a>(&'a self, f: &mut dyn FnMut(Layer<'a>)) {
        for b in &self.blocks {
            b.visit(f);
        }
    }
}

impl ModuleT for Stage {
    fn forward_t(&self, xs: &Tensor, train: bool) -> CResult<Tensor> {
        let mut x = xs.clone();
        for b in &self.blocks {
            x = b.forward_t(&x, train)?;
        }
        Ok(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    /// The composed (differentiable) pool equals candle's kernel, for odd and even sizes.
    #[test]
    fn composed_max_pool_matches_candle() -> CResult<()> {
        for (h, w) in [(7, 7), (8, 8), (5, 6), (1, 1), (2, 3)] {
            let x = Tensor::randn(0f32, 1.0, (2, 3, h, w), &Device::Cpu)?.relu()?;
            let a = max_pool_3x3_s2_p1(&x, false)?;
            let b = max_pool_3x3_s2_p1(&x, true)?;
            assert_eq!(a.dims(), &[2, 3, (h - 1) / 2 + 1, (w - 1) / 2 + 1]);
            let d = (a - b)?
                .abs()?
                .max_all()?
                .to_dtype(DType::F32)?
                .to_scalar::<f32>()?;
            assert_eq!(d, 0.0, "{h}x{w}");
        }
        Ok(())
    }

    /// Its gradient goes to the window maxima.
    #[test]
    fn composed_max_pool_backward() -> CResult<()> {
        let v: Vec<f32> = (0..16).map(|i| i as f32).collect();
        let x = candle_core::Var::from_vec(v, (1, 1, 4, 4), &Device::Cpu)?;
        let y = max_pool_3x3_s2_p1(x.as_tensor(), true)?; // 2×2: maxima at 5, 7, 13, 15
        let g = y.sum_all()?.backward()?;
        let gx = g
            .get(x.as_tensor())
            .expect("gradient")
            .flatten_all()?
            .to_vec1::<f32>()?;
        let mut want = vec![0f32; 16];
        for i in [5, 7, 13, 15] {
            want[i] = 1.0;
        }
        assert_eq!(gx, want);
        Ok(())
    }
}
