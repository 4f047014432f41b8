//! candle networks built from an [`AnyNetSpec`] (paper §3.1, Fig. 3–4).
//!
//! An [`AnyNet`] is the stem, the body of stages of blocks and the head that the spec
//! describes — any number of stages, any [`StemKind`](crate::space::StemKind) and any
//! [`BlockKind`]: X blocks, Y blocks (X + squeeze-excitation), the ResNet basic (R) and
//! bottleneck blocks used as baselines, and the vanilla (V) block without a residual. It is
//! made of struct modules that implement [`candle_nn::ModuleT`], so the train flag reaches every
//! BatchNorm: in train mode BN normalises with batch statistics and updates its running
//! statistics with the reference momentum 0.1 and eps 1e-5 (docs/regnet.md, "Networks").
//!
//! Parameters are named as torchvision names its RegNets (`stem.0.weight`,
//! `trunk_output.block1.block1-0.f.a.0.weight`, `…f.se.fc1.weight`, `fc.weight`), so a
//! torchvision state dict exported to safetensors loads unchanged (see [`AnyNet::load_safetensors`]).
//! The parameter count equals [`complexity`](crate::complexity::complexity)'s `params`, which
//! the tests check for every zoo model.
//!
//! ```
//! use candle_core::{DType, Device, Tensor};
//! use regnet_lab::model::{AnyNet, ModelConfig};
//! use regnet_lab::space::zoo;
//!
//! let spec = zoo::get("RegNetX-200MF")?.spec();
//! let net = AnyNet::build(&spec, &ModelConfig::default().seed(0))?;
//! println!("RegNetX-200MF: {} parameters", net.param_count()); // ≈ 2.7 M, as published
//! assert_eq!(net.param_count(), regnet_lab::complexity::complexity(&spec, 224)?.params);
//! let x = Tensor::randn(0f32, 1.0, (1, 3, 64, 64), &Device::Cpu)?;
//! let logits = net.forward_t(&x, false)?;
//! assert_eq!(logits.dims(), &[1, 1000]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Device-agnostic: nothing here assumes the CPU. Build with `--features cuda` and pass
//! `Device::new_cuda(0)?` in the [`ModelConfig`]. f32 by default; f16 (and f64) are selectable
//! everywhere, bf16 on CUDA only (candle 0.11 has no bf16 matmul on the CPU, so building a bf16
//! model on the CPU is refused with a [`ModelError::DType`]). BatchNorm statistics are kept in
//! f32 for the half types.

mod blocks;
mod init;
mod layers;
mod weights;

use candle_core::{DType, Device, Result as CResult, Tensor, Var};
use candle_nn::{ModuleT, VarBuilder};
use thiserror::Error;

pub use blocks::{BasicTransform, Block, BottleneckTransform, Stage, Stem, Transform};
pub use layers::{
    BN_EPS, BN_MOMENTUM, BatchNorm, Conv2d, ConvBn, Layer, Linear, NamedParam, ParamInit,
    ParamKind, SqueezeExcitation,
};

use crate::space::{AnyNetSpec, BlockKind};

/// Errors of building, running, initialising and (de)serialising models. Each names the layer,
/// tensor or file at fault.
#[derive(Debug, Error)]
pub enum ModelError {
    /// A layer could not be created (e.g. a checkpoint tensor with the wrong shape in a
    /// `VarBuilder`).
    #[error("layer {layer}: {source}")]
    Build {
        layer: String,
        #[source]
        source: candle_core::Error,
    },
    /// The input does not fit the network.
    #[error("layer {layer}: {why}")]
    Input { layer: String, why: String },
    /// candle failed during the forward pass; the message names the layer.
    #[error("forward pass failed: {0}")]
    Forward(#[source] candle_core::Error),
    /// A checkpoint does not match the model.
    #[error(
        "checkpoint {origin} does not match the model:{}{}{}",
        list("missing", missing),
        list("unexpected", unexpected),
        list("wrong shape", mismatched)
    )]
    StateDict {
        origin: String,
        missing: Vec<String>,
        unexpected: Vec<String>,
        mismatched: Vec<String>,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: candle_core::Error,
    },
    /// The dtype cannot be used (not floating point, or not on this device).
    #[error("unsupported model dtype {dtype:?}: {why}")]
    DType { dtype: DType, why: String },
}

/// ` missing (3): a, b, c` — at most 12 names, then a count.
fn list(what: &str, names: &[String]) -> String {
    if names.is_empty() {
        return String::new();
    }
    let shown: Vec<&str> = names.iter().take(12).map(String::as_str).collect();
    let more = if names.len() > 12 {
        format!(", … ({} more)", names.len() - 12)
    } else {
        String::new()
    };
    format!(" {what} ({}): {}{more};", names.len(), shown.join(", "))
}

/// Device, dtype and seeded initialisation of a model built with [`AnyNet::build`].
#[derive(Debug, Clone)]
pub struct ModelConfig {
    pub device: Device,
    pub dtype: DType,
    /// Seed of the reference initialisation.
    pub seed: u64,
    /// Zero-initialise γ of the last BN of every residual branch (pycls `ZERO_INIT_FINAL_GAMMA`,
    /// off by default as in pycls), so every block starts as the identity.
    pub zero_init: bool,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            device: Device::Cpu,
            dtype: DType::F32,
            seed: 0,
            zero_init: false,
        }
    }
}

impl ModelConfig {
    pub fn device(mut self, device: Device) -> Self {
        self.device = device;
        self
    }
    pub fn dtype(mut self, dtype: DType) -> Self {
        self.dtype = dtype;
        self
    }
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    pub fn zero_init(mut self, zero_init: bool) -> Self {
        self.zero_init = zero_init;
        self
    }
}

/// A candle network of the AnyNet family: stem → stages → head (global average pool + linear).
#[derive(Debug, Clone)]
pub struct AnyNet {
    spec: AnyNetSpec,
    stem: Stem,
    stages: Vec<Stage>,
    fc: Linear,
    device: Device,
    dtype: DType,
}

impl AnyNet {
    /// Build the network `spec` describes, taking parameters from `vb` under torchvision's
    /// names. With `VarBuilder::from_varmap` the trainable parameters are created in (or taken
    /// from) the `VarMap`; the BN running statistics are buffers owned by the model, not
    /// `VarMap` entries, so an optimiser walking the map never touches them — save and load
    /// checkpoints with [`AnyNet::save_safetensors`] / [`AnyNet::load_safetensors`], which
    /// include them. With a checkpoint-backed builder (e.g. `from_mmaped_safetensors`) the
    /// statistics are read from it too.
    ///
    /// Parameters created here get candle's (unseeded) version of the reference init; call
    /// [`AnyNet::init_reference`] for the seeded one, or use [`AnyNet::build`].
    pub fn new(spec: &AnyNetSpec, vb: VarBuilder) -> Result<AnyNet, ModelError> {
        let dtype = vb.dtype();
        if !dtype.is_float() {
            return Err(ModelError::DType {
                dtype,
                why: "use F32 (default), BF16, F16 or F64".into(),
            });
        }
        if dtype == DType::BF16 && vb.device().is_cpu() {
            // candle 0.11's CPU backend has no bf16 matmul, hence no bf16 convolution.
            return Err(ModelError::DType {
                dtype,
                why:
                    "candle has no bf16 convolution on the CPU; use F32 or F16 there, BF16 on CUDA"
                        .into(),
            });
        }
        let stem = Stem::new(&vb.pp("stem"), spec)?;
        let trunk = vb.pp("trunk_output");
        let mut stages = Vec::with_capacity(spec.stages().len());
        let mut w_in = spec.stem_width();
        for i in 1..=spec.stages().len() {
            stages.push(Stage::new(&trunk.pp(format!("block{i}")), spec, i, w_in)?);
            w_in = spec.stages()[i - 1].width;
        }
        let fc = Linear::new(&vb.pp("fc"), w_in, spec.num_classes())?;
        Ok(AnyNet {
            spec: spec.clone(),
            stem,
            stages,
            fc,
            device: vb.device().clone(),
            dtype,
        })
    }

    /// Build `spec` on `config.device` in `config.dtype` with the seeded reference
    /// initialisation.
    pub fn build(spec: &AnyNetSpec, config: &ModelConfig) -> Result<AnyNet, ModelError> {
        let net = AnyNet::new(spec, VarBuilder::zeros(config.dtype, &config.device))?;
        net.init_reference(config.seed, config.zero_init)?;
        Ok(net)
    }

    /// Re-initialise every parameter as the reference does (pycls `init_weights`;
    /// docs/regnet.md, "Networks"): conv weights N(0, sqrt(2 / fan_out)) with
    /// fan_out = k·k·out_channels (not divided by the groups); BN γ = 1, β = 0, except γ = 0 for the last BN of each
    /// residual branch when `zero_init` is on; linear N(0, 0.01), bias 0; the SE convs' biases
    /// keep PyTorch's default U(±1/sqrt(fan_in)) since the reference touches conv weights only.
    /// BN running statistics are reset to mean 0, variance 1. Seeded: the same seed gives the
    /// same weights on any device.
    pub fn init_reference(&self, seed: u64, zero_init: bool) -> Result<(), ModelError> {
        init::apply(&self.named_parameters(), seed, zero_init)?;
        for bn in self.batch_norms() {
            let reset = |v: &Var, x: f64| {
                v.ones_like()
                    .and_then(|o| o.affine(x, 0.0))
                    .and_then(|t| v.set(&t))
                    .map_err(|source| ModelError::Build {
                        layer: bn.name().to_string(),
                        source,
                    })
            };
            reset(bn.running_mean(), 0.0)?;
            reset(bn.running_var(), 1.0)?;
            bn.set_num_batches_tracked(0);
        }
        Ok(())
    }

    /// The spec this network was built from.
    pub fn spec(&self) -> &AnyNetSpec {
        &self.spec
    }
    pub fn device(&self) -> &Device {
        &self.device
    }
    pub fn dtype(&self) -> DType {
        self.dtype
    }
    pub fn stem(&self) -> &Stem {
        &self.stem
    }
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// Walk every leaf layer in torchvision's state-dict order.
    pub fn visit_layers<'a>(&'a self, f: &mut dyn FnMut(Layer<'a>)) {
        self.stem.visit(f);
        for s in &self.stages {
            s.visit(f);
        }
        f(Layer::Linear(&self.fc));
    }

    /// Every trainable parameter with its torchvision name, kind and reference init.
    pub fn named_parameters(&self) -> Vec<NamedParam> {
        let mut out = Vec::new();
        self.visit_layers(&mut |l| match l {
            Layer::Conv(c) => c.params(&mut out),
            Layer::Bn(b) => b.params(&mut out),
            Layer::Linear(fc) => fc.params(&mut out),
        });
        out
    }

    /// The trainable variables with their names, as `train::Sgd::new` takes them (the names
    /// key the momentum buffers in checkpoints).
    pub fn named_vars(&self) -> Vec<(String, Var)> {
        self.named_parameters()
            .into_iter()
            .map(|p| (p.name, p.var))
            .collect()
    }

    /// The trainable variables, for an optimiser.
    pub fn vars(&self) -> Vec<Var> {
        self.named_parameters().into_iter().map(|p| p.var).collect()
    }

    /// Names and shapes of the trainable parameters.
    pub fn parameter_shapes(&self) -> Vec<(String, Vec<usize>)> {
        self.named_parameters()
            .into_iter()
            .map(|p| (p.name, p.var.dims().to_vec()))
            .collect()
    }

    /// Number of trainable parameters; equals `complexity(spec, _).params` (BN running
    /// statistics are buffers, not parameters, as in the reference's count).
    pub fn param_count(&self) -> u64 {
        self.named_parameters()
            .iter()
            .map(|p| p.var.elem_count() as u64)
            .sum()
    }

    /// The BN running statistics (`…running_mean`, `…running_var`).
    pub fn named_buffers(&self) -> Vec<(String, Var)> {
        let mut out = Vec::new();
        for bn in self.batch_norms() {
            bn.buffers(&mut out);
        }
        out
    }

    /// Every BatchNorm in order.
    pub fn batch_norms(&self) -> Vec<&BatchNorm> {
        let mut out = Vec::new();
        self.visit_layers(&mut |l| {
            if let Layer::Bn(b) = l {
                out.push(b)
            }
        });
        out
    }

    /// Logits `[N, num_classes]` for images `[N, in_channels, H, W]`. `train` selects batch
    /// statistics (and running-statistics updates) in every BatchNorm. Eval mode is inference:
    /// the parameters enter detached, so no autograd graph is built (every activation is freed
    /// once read; evaluation runs 10–20 % faster) and the logits have no gradient. The input is
    /// checked first: rank, dtype, device, channel count, and — in train mode — that every BN
    /// sees more than one value per channel; errors name the layer.
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> Result<Tensor, ModelError> {
        self.check_input(xs, train)?;
        self.forward_unchecked(xs, train)
            .map_err(ModelError::Forward)
    }

    fn forward_unchecked(&self, xs: &Tensor, train: bool) -> CResult<Tensor> {
        let mut x = self.stem.forward_t(xs, train)?;
        for s in &self.stages {
            x = s.forward_t(&x, train)?;
        }
        let x = x.mean((2, 3))?;
        self.fc.forward_t(&x, train)
    }

    fn check_input(&self, xs: &Tensor, train: bool) -> Result<(), ModelError> {
        let bad = |layer: &str, why: String| ModelError::Input {
            layer: layer.to_string(),
            why,
        };
        let (n, c, h, w) = xs.dims4().map_err(|_| {
            bad(
                "stem.0",
                format!(
                    "expects images [N, {}, H, W], got shape {:?}",
                    self.spec.in_channels(),
                    xs.dims()
                ),
            )
        })?;
        if xs.dtype() != self.dtype {
            return Err(bad(
                "stem.0",
                format!(
                    "input dtype {:?} differs from the model's {:?}",
                    xs.dtype(),
                    self.dtype
                ),
            ));
        }
        if !xs.device().same_device(&self.device) {
            return Err(bad(
                "stem.0",
                format!(
                    "input on {:?}, model on {:?}",
                    xs.device().location(),
                    self.device.location()
                ),
            ));
        }
        if c != self.spec.in_channels() {
            return Err(bad(
                "stem.0",
                format!(
                    "expects {} input channels, got {c} (input shape {:?})",
                    self.spec.in_channels(),
                    xs.dims()
                ),
            ));
        }
        if n == 0 || h == 0 || w == 0 {
            return Err(bad(
                "stem.0",
                format!("input shape {:?} is empty", xs.dims()),
            ));
        }
        if train {
            // Every conv is "same"-padded: h ← (h − 1) / s + 1. BN in train mode needs more than
            // one value per channel (PyTorch refuses too); find the first BN that would not get it.
            let down = |x: usize, s: usize| (x - 1) / s + 1;
            let stem = self.spec.stem();
            let (mut hh, mut ww) = (down(h, stem.stride()), down(w, stem.stride()));
            let mut at = "stem.1".to_string();
            let mut first_bad = None;
            if n * hh * ww < 2 {
                first_bad = Some((at.clone(), hh, ww));
            }
            if stem.has_max_pool() {
                hh = down(hh, 2);
                ww = down(ww, 2);
            }
            for (i, st) in self.spec.stages().iter().enumerate() {
                if first_bad.is_some() {
                    break;
                }
                hh = down(hh, st.stride);
                ww = down(ww, st.stride);
                let bn = match self.spec.block() {
                    BlockKind::ResBasic | BlockKind::Vanilla => "f.a.1",
                    _ => "f.b.1",
                };
                at = format!("trunk_output.block{}.block{}-0.{bn}", i + 1, i + 1);
                if n * hh * ww < 2 {
                    first_bad = Some((at.clone(), hh, ww));
                }
            }
            if let Some((layer, hh, ww)) = first_bad {
                return Err(bad(
                    &layer,
                    format!(
                        "BatchNorm in train mode needs more than one value per channel, but \
                         input {:?} reaches {hh}×{ww} here at batch {n}; use a larger batch or \
                         image, or eval mode",
                        xs.dims()
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl ModuleT for AnyNet {
    fn forward_t(&self, xs: &Tensor, train: bool) -> CResult<Tensor> {
        AnyNet::forward_t(self, xs, train).map_err(candle_core::Error::wrap)
    }
}
