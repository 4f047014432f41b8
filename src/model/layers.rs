//! The leaf layers every AnyNet is made of: convolution, BatchNorm, linear, squeeze-excitation.
//!
//! Each layer owns its parameters as candle [`Var`]s and knows its full torchvision-style name
//! (`trunk_output.block1.block1-0.f.a.0`), so that errors, parameter lists, the seeded reference
//! initialisation and safetensors checkpoints all speak the same names.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use candle_core::{Result as CResult, Tensor, Var};
use candle_nn::{Init, ModuleT, VarBuilder};

use super::ModelError;
use crate::ops::stat_dtype;

/// BatchNorm epsilon of the reference (PyTorch's default; pycls `BN.EPS`).
pub const BN_EPS: f64 = 1e-5;
/// BatchNorm momentum in PyTorch's convention: `running = (1 − m) · running + m · batch`
/// (pycls `BN.MOM`, torchvision's RegNet).
pub const BN_MOMENTUM: f64 = 0.1;

/// What a trainable parameter is, so that an optimiser can treat kinds differently (e.g. no
/// weight decay on BatchNorm parameters, as the paper's CIFAR sweep does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamKind {
    /// Convolution kernel `[out, in / groups, k, k]`.
    ConvWeight,
    /// Convolution bias (only the squeeze-excitation convs have one).
    ConvBias,
    /// BatchNorm scale γ.
    BnWeight,
    /// BatchNorm shift β.
    BnBias,
    /// Classifier weight `[classes, width]`.
    LinearWeight,
    /// Classifier bias.
    LinearBias,
}

impl ParamKind {
    /// Whether this is a BatchNorm parameter (γ or β).
    pub fn is_batch_norm(self) -> bool {
        matches!(self, ParamKind::BnWeight | ParamKind::BnBias)
    }
}

/// How the reference initialises one parameter (pycls `init_weights`, torchvision's RegNet).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamInit {
    /// Normal with mean 0 and this standard deviation.
    Normal { std: f64 },
    /// Uniform on `[−bound, bound]` (PyTorch's default conv bias init).
    Uniform { bound: f64 },
    /// A constant.
    Const(f64),
    /// γ of the final BN of a residual branch: 1, or 0 when zero-init is on (pycls
    /// `ZERO_INIT_FINAL_GAMMA`), so that every block starts as the identity.
    BranchFinalGamma,
}

/// One trainable parameter with its torchvision-style name.
#[derive(Debug, Clone)]
pub struct NamedParam {
    /// Full name, e.g. `trunk_output.block1.block1-0.f.a.0.weight`.
    pub name: String,
    /// The variable (shares storage with the model: `set` changes the model).
    pub var: Var,
    pub kind: ParamKind,
    /// The reference initialisation of this parameter.
    pub init: ParamInit,
}

/// Fetch (or create, for a `VarMap` builder) a parameter and make sure it is a [`Var`].
fn param(
    vb: &VarBuilder,
    layer: &str,
    shape: &[usize],
    leaf: &str,
    hint: Init,
) -> Result<Var, ModelError> {
    let build = |source| ModelError::Build {
        layer: layer.to_string(),
        source,
    };
    let t = vb.get_with_hints(shape, leaf, hint).map_err(build)?;
    Var::from_tensor(&t).map_err(build)
}

/// A parameter as an op's input: itself in train mode, detached in eval mode. Candle records an
/// op (and keeps its inputs alive) whenever an input is a variable; detached, an evaluation
/// builds no graph and frees each activation as soon as the next layer has read it. The
/// values are the same either way.
pub(crate) fn param_t(var: &Var, train: bool) -> Tensor {
    if train {
        var.as_tensor().clone()
    } else {
        var.as_tensor().detach()
    }
}

/// Add the layer's name to a candle error raised inside it.
pub(crate) fn at(name: &str) -> impl FnOnce(candle_core::Error) -> candle_core::Error + '_ {
    move |e| e.context(format!("in layer {name}"))
}

/// k×k convolution with "same" padding `k / 2`, optional groups and bias.
#[derive(Debug, Clone)]
pub struct Conv2d {
    name: String,
    weight: Var,
    bias: Option<Var>,
    in_channels: usize,
    out_channels: usize,
    kernel: usize,
    stride: usize,
    groups: usize,
}

/// How a [`Conv2d`] is built, as candle-nn's `Conv2dConfig`: a `kernel`×`kernel` convolution
/// (padding `kernel / 2`) with `stride` and `groups`, with or without a learned bias.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvConfig {
    pub kernel: usize,
    pub stride: usize,
    pub groups: usize,
    pub bias: bool,
}

impl ConvConfig {
    /// A `kernel`×`kernel` convolution, stride 1, one group, no bias.
    pub fn kernel(kernel: usize) -> Self {
        ConvConfig {
            kernel,
            stride: 1,
            groups: 1,
            bias: false,
        }
    }
    pub fn stride(self, stride: usize) -> Self {
        ConvConfig { stride, ..self }
    }
    pub fn groups(self, groups: usize) -> Self {
        ConvConfig { groups, ..self }
    }
    /// With a learned bias (the SE convolutions').
    pub fn with_bias(self) -> Self {
        ConvConfig { bias: true, ..self }
    }
}

impl Conv2d {
    /// A convolution at `vb`'s prefix; parameters `weight` (and `bias`).
    pub(crate) fn new(
        vb: &VarBuilder,
        in_channels: usize,
        out_channels: usize,
        cfg: ConvConfig,
    ) -> Result<Self, ModelError> {
        let ConvConfig {
            kernel,
            stride,
            groups,
            bias,
        } = cfg;
        let name = vb.prefix();
        if groups == 0
            || !in_channels.is_multiple_of(groups)
            || !out_channels.is_multiple_of(groups)
        {
            return Err(ModelError::Build {
                layer: name,
                source: candle_core::Error::msg(format!(
                    "{groups} groups do not divide {in_channels} → {out_channels} channels"
                )),
            });
        }
        let std = (2.0 / (kernel * kernel * out_channels) as f64).sqrt();
        let weight = param(
            vb,
            &name,
            &[out_channels, in_channels / groups, kernel, kernel],
            "weight",
            Init::Randn {
                mean: 0.0,
                stdev: std,
            },
        )?;
        let bias = if bias {
            let bound = 1.0 / ((in_channels / groups * kernel * kernel) as f64).sqrt();
            Some(param(
                vb,
                &name,
                &[out_channels],
                "bias",
                Init::Uniform {
                    lo: -bound,
                    up: bound,
                },
            )?)
        } else {
            None
        };
        Ok(Conv2d {
            name,
            weight,
            bias,
            in_channels,
            out_channels,
            kernel,
            stride,
            groups,
        })
    }

    /// Full layer name, e.g. `stem.0`.
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn in_channels(&self) -> usize {
        self.in_channels
    }
    pub fn out_channels(&self) -> usize {
        self.out_channels
    }
    pub fn groups(&self) -> usize {
        self.groups
    }
    pub fn stride(&self) -> usize {
        self.stride
    }
    pub fn kernel(&self) -> usize {
        self.kernel
    }

    pub(crate) fn params(&self, out: &mut Vec<NamedParam>) {
        // Reference init (pycls `init_weights`, torchvision RegNet): N(0, sqrt(2 / fan_out)) with
        // fan_out = k·k·out_channels, *not* divided by the groups.
        let fan_out = self.kernel * self.kernel * self.out_channels;
        out.push(NamedParam {
            name: format!("{}.weight", self.name),
            var: self.weight.clone(),
            kind: ParamKind::ConvWeight,
            init: ParamInit::Normal {
                std: (2.0 / fan_out as f64).sqrt(),
            },
        });
        if let Some(b) = &self.bias {
            // The reference init touches conv weights only: biases keep PyTorch's default,
            // U(±1/sqrt(fan_in)) with fan_in = in/groups·k·k.
            let fan_in = self.in_channels / self.groups * self.kernel * self.kernel;
            out.push(NamedParam {
                name: format!("{}.bias", self.name),
                var: b.clone(),
                kind: ParamKind::ConvBias,
                init: ParamInit::Uniform {
                    bound: 1.0 / (fan_in as f64).sqrt(),
                },
            });
        }
    }
}

impl ModuleT for Conv2d {
    fn forward_t(&self, xs: &Tensor, train: bool) -> CResult<Tensor> {
        // One op with the groups inside on the CPU (`ops::conv2d`; candle's split-per-group
        // convolution elsewhere).
        let y = crate::ops::conv2d(
            xs,
            &param_t(&self.weight, train),
            self.stride,
            self.kernel / 2,
            self.groups,
        )
        .map_err(at(&self.name))?;
        match &self.bias {
            None => Ok(y),
            Some(b) => y
                .broadcast_add(&param_t(b, train).reshape((1, self.out_channels, 1, 1))?)
                .map_err(at(&self.name)),
        }
    }
}

/// BatchNorm over `[N, C, H, W]` with PyTorch semantics.
///
/// Written here rather than taken from `candle_nn::BatchNorm` because (1) the running statistics
/// must be buffers, not trainable parameters in the `VarMap` that an optimiser (and its weight
/// decay) would walk; (2) torchvision checkpoints carry `num_batches_tracked`; (3) statistics are
/// reduced over the spatial dims and then the batch, without candle-nn's transpose and copy. The arithmetic is
/// PyTorch's (checked against torchvision in `tests/it/model_torchvision.rs`): train mode normalises
/// with the batch mean and *biased* variance and updates
/// `running = (1 − momentum) · running + momentum · batch` with the *unbiased* variance;
/// eval mode uses the running statistics. Statistics are kept and computed in f32 for
/// bf16/f16 models.
#[derive(Debug, Clone)]
pub struct BatchNorm {
    name: String,
    channels: usize,
    weight: Var,
    bias: Var,
    running_mean: Var,
    running_var: Var,
    num_batches_tracked: Arc<AtomicU64>,
    eps: f64,
    momentum: f64,
    branch_final: bool,
}

impl BatchNorm {
    /// A BatchNorm at `vb`'s prefix. Running statistics are read from `vb` when it holds them
    /// (a checkpoint), otherwise start at mean 0 and variance 1.
    pub(crate) fn new(
        vb: &VarBuilder,
        channels: usize,
        branch_final: bool,
    ) -> Result<Self, ModelError> {
        let name = vb.prefix();
        let weight = param(vb, &name, &[channels], "weight", Init::Const(1.0))?;
        let bias = param(vb, &name, &[channels], "bias", Init::Const(0.0))?;
        let stat_dtype = stat_dtype(vb.dtype());
        let build = |source| ModelError::Build {
            layer: name.clone(),
            source,
        };
        let stat = |leaf: &str, init: f64| -> Result<Var, ModelError> {
            if vb.contains_tensor(leaf) {
                let t = vb
                    .get_with_hints_dtype(channels, leaf, Init::Const(init), stat_dtype)
                    .map_err(build)?;
                // A fresh variable: the statistics are never shared with a trainable store.
                Var::from_tensor(&t.copy().map_err(build)?).map_err(build)
            } else {
                let t = Tensor::full(init as f32, channels, vb.device())
                    .and_then(|t| t.to_dtype(stat_dtype))
                    .map_err(build)?;
                Var::from_tensor(&t).map_err(build)
            }
        };
        let running_mean = stat("running_mean", 0.0)?;
        let running_var = stat("running_var", 1.0)?;
        Ok(BatchNorm {
            name,
            channels,
            weight,
            bias,
            running_mean,
            running_var,
            num_batches_tracked: Arc::new(AtomicU64::new(0)),
            eps: BN_EPS,
            momentum: BN_MOMENTUM,
            branch_final,
        })
    }

    /// Full layer name, e.g. `stem.1`.
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn channels(&self) -> usize {
        self.channels
    }
    pub fn running_mean(&self) -> &Var {
        &self.running_mean
    }
    pub fn running_var(&self) -> &Var {
        &self.running_var
    }
    /// Training batches seen (torchvision's `num_batches_tracked`; informational only, since the
    /// momentum is fixed).
    pub fn num_batches_tracked(&self) -> u64 {
        self.num_batches_tracked.load(Ordering::Relaxed)
    }
    pub(crate) fn set_num_batches_tracked(&self, n: u64) {
        self.num_batches_tracked.store(n, Ordering::Relaxed)
    }
    /// Whether this is the last BN of a residual branch (zero-initialised γ under zero-init).
    pub fn is_branch_final(&self) -> bool {
        self.branch_final
    }

    pub(crate) fn params(&self, out: &mut Vec<NamedParam>) {
        out.push(NamedParam {
            name: format!("{}.weight", self.name),
            var: self.weight.clone(),
            kind: ParamKind::BnWeight,
            init: if self.branch_final {
                ParamInit::BranchFinalGamma
            } else {
                ParamInit::Const(1.0)
            },
        });
        out.push(NamedParam {
            name: format!("{}.bias", self.name),
            var: self.bias.clone(),
            kind: ParamKind::BnBias,
            init: ParamInit::Const(0.0),
        });
    }

    pub(crate) fn buffers(&self, out: &mut Vec<(String, Var)>) {
        out.push((
            format!("{}.running_mean", self.name),
            self.running_mean.clone(),
        ));
        out.push((
            format!("{}.running_var", self.name),
            self.running_var.clone(),
        ));
    }

    /// BatchNorm, then `act`, through [`crate::ops::batch_norm_train`] and
    /// [`crate::ops::channel_affine`] (fused on the CPU in f32, composed elsewhere).
    pub(crate) fn forward_act(&self, x: &Tensor, train: bool, act: Activation) -> CResult<Tensor> {
        let relu = act == Activation::Relu;
        if train {
            self.forward_train(x, relu)
        } else {
            self.forward_eval(x, relu)
        }
        .map_err(at(&self.name))
    }

    fn forward_train(&self, x: &Tensor, relu: bool) -> CResult<Tensor> {
        let (n, c, h, w) = x.dims4()?;
        if c != self.channels {
            candle_core::bail!("expects {} channels, got {c}", self.channels)
        }
        let count = n * h * w;
        if count < 2 {
            candle_core::bail!(
                "train mode needs more than one value per channel, got batch {n} at {h}×{w}"
            )
        }
        let (y, mean, var) = crate::ops::batch_norm_train(
            x,
            self.weight.as_tensor(),
            self.bias.as_tensor(),
            self.eps,
            relu,
        )?;
        self.update_running(mean.detach(), var.detach(), count)?;
        Ok(y)
    }

    /// Running statistics from a batch's mean and biased variance (`[C]`, in the statistics
    /// dtype) over `count` values per channel: PyTorch updates the variance with the unbiased
    /// estimate.
    fn update_running(&self, mean: Tensor, var: Tensor, count: usize) -> CResult<()> {
        let m = self.momentum;
        let unbias = count as f64 / (count - 1) as f64;
        let rm = ((self.running_mean.as_tensor().detach() * (1.0 - m))? + (mean * m)?)?;
        let rv = ((self.running_var.as_tensor().detach() * (1.0 - m))? + (var * (m * unbias))?)?;
        self.running_mean.set(&rm)?;
        self.running_var.set(&rv)?;
        self.num_batches_tracked.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn forward_eval(&self, x: &Tensor, relu: bool) -> CResult<Tensor> {
        let c = x.dim(1)?;
        if c != self.channels {
            candle_core::bail!("expects {} channels, got {c}", self.channels)
        }
        let sd = stat_dtype(x.dtype());
        // y = x · s + t with s = γ / sqrt(var + eps), t = β − mean · s: two full-size ops.
        let rv = self.running_var.as_tensor().detach();
        let rm = self.running_mean.as_tensor().detach();
        let scale = param_t(&self.weight, false)
            .to_dtype(sd)?
            .div(&(rv + self.eps)?.sqrt()?)?;
        let shift = (param_t(&self.bias, false).to_dtype(sd)? - (rm * &scale)?)?;
        crate::ops::channel_affine(x, &scale, &shift, relu)
    }
}

impl ModuleT for BatchNorm {
    fn forward_t(&self, xs: &Tensor, train: bool) -> CResult<Tensor> {
        self.forward_act(xs, train, Activation::None)
    }
}

/// What follows a BatchNorm: nothing, or a ReLU fused into the same op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    None,
    Relu,
}

/// Convolution followed by BatchNorm (torchvision's `Conv2dNormActivation` without the
/// activation): parameters `{prefix}.0.weight` and `{prefix}.1.*`.
#[derive(Debug, Clone)]
pub struct ConvBn {
    pub conv: Conv2d,
    pub bn: BatchNorm,
}

/// How a [`ConvBn`] is built: its convolution (without bias: the BatchNorm's β is the
/// bias), and whether its BatchNorm ends a residual branch (its γ is then zero-initialised
/// when the model asks for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvBnConfig {
    pub conv: ConvConfig,
    pub ends_branch: bool,
}

impl ConvBnConfig {
    /// A `kernel`×`kernel` convolution, stride 1, one group, not ending a branch.
    pub fn kernel(kernel: usize) -> Self {
        ConvBnConfig {
            conv: ConvConfig::kernel(kernel),
            ends_branch: false,
        }
    }
    pub fn stride(self, stride: usize) -> Self {
        ConvBnConfig {
            conv: self.conv.stride(stride),
            ..self
        }
    }
    pub fn groups(self, groups: usize) -> Self {
        ConvBnConfig {
            conv: self.conv.groups(groups),
            ..self
        }
    }
    /// The last BatchNorm of a residual branch.
    pub fn ends_branch(self) -> Self {
        ConvBnConfig {
            ends_branch: true,
            ..self
        }
    }
}

impl ConvBn {
    pub(crate) fn new(
        vb: &VarBuilder,
        in_channels: usize,
        out_channels: usize,
        cfg: ConvBnConfig,
    ) -> Result<Self, ModelError> {
        Ok(ConvBn {
            conv: Conv2d::new(&vb.pp("0"), in_channels, out_channels, cfg.conv)?,
            bn: BatchNorm::new(&vb.pp("1"), out_channels, cfg.ends_branch)?,
        })
    }

    pub(crate) fn visit<'a>(&'a self, f: &mut dyn FnMut(Layer<'a>)) {
        f(Layer::Conv(&self.conv));
        f(Layer::Bn(&self.bn));
    }
}

impl ConvBn {
    /// Convolution, BatchNorm, then `act` (a ReLU is fused into the BatchNorm op on the CPU).
    pub(crate) fn forward_act(&self, xs: &Tensor, train: bool, act: Activation) -> CResult<Tensor> {
        let y = self.conv.forward_t(xs, train)?;
        self.bn.forward_act(&y, train, act)
    }
}

impl ModuleT for ConvBn {
    fn forward_t(&self, xs: &Tensor, train: bool) -> CResult<Tensor> {
        self.forward_act(xs, train, Activation::None)
    }
}

/// Squeeze-excitation (Hu et al.; paper §4 "RegNetY"): global average pool → 1×1 conv to
/// `w_se` (bias) → ReLU → 1×1 conv back (bias) → sigmoid → channel-wise scale. Named as
/// torchvision's `SqueezeExcitation`: `fc1`, `fc2`.
#[derive(Debug, Clone)]
pub struct SqueezeExcitation {
    pub fc1: Conv2d,
    pub fc2: Conv2d,
}

impl SqueezeExcitation {
    pub(crate) fn new(vb: &VarBuilder, channels: usize, w_se: usize) -> Result<Self, ModelError> {
        Ok(SqueezeExcitation {
            fc1: Conv2d::new(
                &vb.pp("fc1"),
                channels,
                w_se,
                ConvConfig::kernel(1).with_bias(),
            )?,
            fc2: Conv2d::new(
                &vb.pp("fc2"),
                w_se,
                channels,
                ConvConfig::kernel(1).with_bias(),
            )?,
        })
    }

    pub(crate) fn visit<'a>(&'a self, f: &mut dyn FnMut(Layer<'a>)) {
        f(Layer::Conv(&self.fc1));
        f(Layer::Conv(&self.fc2));
    }
}

impl ModuleT for SqueezeExcitation {
    fn forward_t(&self, xs: &Tensor, train: bool) -> CResult<Tensor> {
        let s = xs.mean_keepdim((2, 3))?;
        let s = self.fc1.forward_t(&s, train)?.relu()?;
        let s = candle_nn::ops::sigmoid(&self.fc2.forward_t(&s, train)?)?;
        xs.broadcast_mul(&s)
    }
}

/// Fully connected classifier `y = x Wᵀ + b`.
#[derive(Debug, Clone)]
pub struct Linear {
    name: String,
    weight: Var,
    bias: Var,
}

impl Linear {
    pub(crate) fn new(
        vb: &VarBuilder,
        in_features: usize,
        out_features: usize,
    ) -> Result<Self, ModelError> {
        let name = vb.prefix();
        let weight = param(
            vb,
            &name,
            &[out_features, in_features],
            "weight",
            Init::Randn {
                mean: 0.0,
                stdev: 0.01,
            },
        )?;
        let bias = param(vb, &name, &[out_features], "bias", Init::Const(0.0))?;
        Ok(Linear { name, weight, bias })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn params(&self, out: &mut Vec<NamedParam>) {
        out.push(NamedParam {
            name: format!("{}.weight", self.name),
            var: self.weight.clone(),
            kind: ParamKind::LinearWeight,
            init: ParamInit::Normal { std: 0.01 },
        });
        out.push(NamedParam {
            name: format!("{}.bias", self.name),
            var: self.bias.clone(),
            kind: ParamKind::LinearBias,
            init: ParamInit::Const(0.0),
        });
    }
}

impl ModuleT for Linear {
    fn forward_t(&self, xs: &Tensor, train: bool) -> CResult<Tensor> {
        xs.matmul(&param_t(&self.weight, train).t()?)
            .and_then(|y| y.broadcast_add(&param_t(&self.bias, train)))
            .map_err(at(&self.name))
    }
}

/// A borrowed leaf layer, for walking a network in order.
#[derive(Debug, Clone, Copy)]
pub enum Layer<'a> {
    Conv(&'a Conv2d),
    Bn(&'a BatchNorm),
    Linear(&'a Linear),
}
