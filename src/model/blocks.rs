//! Stems, residual blocks and stages (paper §3.1, Fig. 3–4; pycls `anynet.py`), named as
//! torchvision's RegNet names them so that its checkpoints load unchanged.

use candle_core::{Module, Result as CResult, Tensor};
use candle_nn::{ModuleT, VarBuilder};

use super::ModelError;
use super::layers::{ConvBn, Layer, SqueezeExcitation, at};
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
                kind.kernel(),
                kind.stride(),
                1,
                false,
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
        let y = self.conv_bn.forward_t(xs, train)?.relu()?;
        if self.kind.has_max_pool() {
            // 3×3 max-pool, stride 2, padding 1. candle's pool has no padding; after the ReLU
            // every value is ≥ 0 and every window holds a real pixel, so zero padding gives the
            // same maximum as PyTorch's −∞ padding.
            let y = y.pad_with_zeros(2, 1, 1)?.pad_with_zeros(3, 1, 1)?;
            y.max_pool2d_with_stride(3, 2).map_err(at("stem.3"))
        } else {
            Ok(y)
        }
    }
}

/// Bottleneck block, the X block of paper §3.1 (Fig. 4): 1×1 (`f.a`) → 3×3 group conv with the
/// stride (`f.b`) → [squeeze-excitation `f.se` for Y blocks] → 1×1 (`f.c`, no ReLU), plus a
/// projection shortcut (`proj`, 1×1 conv stride s + BN) when the width or resolution changes;
/// ReLU after the sum. With one group it is the ResNet bottleneck block.
#[derive(Debug, Clone)]
pub struct BottleneckBlock {
    proj: Option<ConvBn>,
    a: ConvBn,
    b: ConvBn,
    se: Option<SqueezeExcitation>,
    c: ConvBn,
}

impl BottleneckBlock {
    pub(crate) fn new(
        vb: &VarBuilder,
        w_in: usize,
        stage: &StageSpec,
        stride: usize,
        w_se: Option<usize>,
    ) -> Result<Self, ModelError> {
        let w_out = stage.width;
        let w_b = stage.bottleneck_width();
        let groups = stage.groups();
        let proj = if w_in != w_out || stride != 1 {
            Some(ConvBn::new(
                &vb.pp("proj"),
                w_in,
                w_out,
                1,
                stride,
                1,
                false,
            )?)
        } else {
            None
        };
        let f = vb.pp("f");
        Ok(BottleneckBlock {
            proj,
            a: ConvBn::new(&f.pp("a"), w_in, w_b, 1, 1, 1, false)?,
            b: ConvBn::new(&f.pp("b"), w_b, w_b, 3, stride, groups, false)?,
            // SE width from the block's *input* width (reference regnet.md §8), applied to w_b.
            se: match w_se {
                Some(w_se) => Some(SqueezeExcitation::new(&f.pp("se"), w_b, w_se)?),
                None => None,
            },
            c: ConvBn::new(&f.pp("c"), w_b, w_out, 1, 1, 1, true)?,
        })
    }

    pub(crate) fn visit<'a>(&'a self, f: &mut dyn FnMut(Layer<'a>)) {
        if let Some(p) = &self.proj {
            p.visit(f);
        }
        self.a.visit(f);
        self.b.visit(f);
        if let Some(se) = &self.se {
            se.visit(f);
        }
        self.c.visit(f);
    }
}

impl ModuleT for BottleneckBlock {
    fn forward_t(&self, xs: &Tensor, train: bool) -> CResult<Tensor> {
        let y = self.a.forward_t(xs, train)?.relu()?;
        let y = self.b.forward_t(&y, train)?.relu()?;
        let y = match &self.se {
            Some(se) => se.forward(&y)?,
            None => y,
        };
        let y = self.c.forward_t(&y, train)?;
        let shortcut = match &self.proj {
            Some(p) => p.forward_t(xs, train)?,
            None => xs.clone(),
        };
        (shortcut + y)?.relu()
    }
}

/// ResNet basic block: 3×3 (`f.a`, stride here) → BN → ReLU → 3×3 (`f.b`) → BN, projection
/// shortcut as in the X block, ReLU after the sum.
#[derive(Debug, Clone)]
pub struct BasicBlock {
    proj: Option<ConvBn>,
    a: ConvBn,
    b: ConvBn,
}

impl BasicBlock {
    pub(crate) fn new(
        vb: &VarBuilder,
        w_in: usize,
        w_out: usize,
        stride: usize,
    ) -> Result<Self, ModelError> {
        let proj = if w_in != w_out || stride != 1 {
            Some(ConvBn::new(
                &vb.pp("proj"),
                w_in,
                w_out,
                1,
                stride,
                1,
                false,
            )?)
        } else {
            None
        };
        let f = vb.pp("f");
        Ok(BasicBlock {
            proj,
            a: ConvBn::new(&f.pp("a"), w_in, w_out, 3, stride, 1, false)?,
            b: ConvBn::new(&f.pp("b"), w_out, w_out, 3, 1, 1, true)?,
        })
    }

    pub(crate) fn visit<'a>(&'a self, f: &mut dyn FnMut(Layer<'a>)) {
        if let Some(p) = &self.proj {
            p.visit(f);
        }
        self.a.visit(f);
        self.b.visit(f);
    }
}

impl ModuleT for BasicBlock {
    fn forward_t(&self, xs: &Tensor, train: bool) -> CResult<Tensor> {
        let y = self.a.forward_t(xs, train)?.relu()?;
        let y = self.b.forward_t(&y, train)?;
        let shortcut = match &self.proj {
            Some(p) => p.forward_t(xs, train)?,
            None => xs.clone(),
        };
        (shortcut + y)?.relu()
    }
}

/// One residual block of any kind.
#[derive(Debug, Clone)]
pub enum Block {
    /// X, Y (with SE) and ResNet bottleneck blocks.
    Bottleneck(BottleneckBlock),
    /// ResNet basic block.
    Basic(BasicBlock),
}

impl Block {
    pub(crate) fn visit<'a>(&'a self, f: &mut dyn FnMut(Layer<'a>)) {
        match self {
            Block::Bottleneck(b) => b.visit(f),
            Block::Basic(b) => b.visit(f),
        }
    }
}

impl ModuleT for Block {
    fn forward_t(&self, xs: &Tensor, train: bool) -> CResult<Tensor> {
        match self {
            Block::Bottleneck(b) => b.forward_t(xs, train),
            Block::Basic(b) => b.forward_t(xs, train),
        }
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
                BlockKind::X | BlockKind::Y | BlockKind::ResBottleneck => Block::Bottleneck(
                    BottleneckBlock::new(&vb, w, stage, stride, spec.se_width(w))?,
                ),
                BlockKind::ResBasic => Block::Basic(BasicBlock::new(&vb, w, stage.width, stride)?),
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
