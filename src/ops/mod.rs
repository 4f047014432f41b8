//! Fast CPU kernels for the training step: grouped convolution (a direct 3×3 kernel for narrow
//! groups, batched GEMMs for 1×1, im2col + GEMM otherwise), BatchNorm (+ ReLU), and
//! `relu(a + b)`, each a single candle custom op with a hand-written backward.
//!
//! Why this module exists: plain candle 0.11 trains these networks several times slower than
//! PyTorch on the CPU. The time goes to grouped convolutions run group by group, the input
//! gradient through a GEMM-less `conv_transpose2d`, about ten element-wise ops per BatchNorm,
//! and page faults on the fresh tensors all of these allocate. The ops here remove those costs
//! (the measurements: `docs/performance.md`); `benches/train_step.rs` measures the result side
//! by side with PyTorch.
//!
//! Every function dispatches by device and dtype: the custom ops run for f32 tensors on the
//! CPU ([`is_fast`]); anything else (CUDA, f16, f64) takes candle's own ops, so the `cuda`
//! feature keeps working through candle's CUDA kernels. [`reference`](mod@reference) holds the plain candle
//! versions the tests compare against (forward and gradients).
//!
//! Runtime setting worth making in a binary's environment: `CANDLE_BARRIER_POOL_SPIN_LIMIT=500`.
//! candle's own element-wise ops (gradient accumulation, the optimiser) run on a thread pool
//! whose idle workers spin 25 000 times before parking, stealing the cores from the rayon
//! workers of these ops (`docs/performance.md`).
//! candle reads it once, when that pool starts, so it must be in the environment before the
//! first tensor op.

mod bn;
mod conv;
mod direct;
mod eltwise;
mod simd;

use std::sync::{Arc, Mutex, Once};

use candle_core::{CpuStorage, DType, Layout, Result, Storage, Tensor};

pub use bn::BnBatchStats;

/// Runs of images a batch is split into for every sum over images (weight gradients,
/// BatchNorm statistics). A constant rather than the thread count, so that a run computes the
/// same numbers with any number of threads — alone with two, or with one beside another
/// trainer in a concurrent sweep. Four is what two threads used before this constant existed
/// (twice the threads, so that a worker slowed by another process does not hold the others up).
pub const IMAGE_RUNS: usize = 4;

/// Images per run when `n` images are split into [`IMAGE_RUNS`] runs.
pub(crate) fn images_per_run(n: usize) -> usize {
    n.div_ceil(n.clamp(1, IMAGE_RUNS))
}

/// Whether `t` takes the custom CPU kernels (f32 on the CPU). `REGNET_LAB_REFERENCE_OPS=1`
/// forces candle's plain ops everywhere, to compare a run against the reference path.
pub fn is_fast(t: &Tensor) -> bool {
    static REFERENCE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let reference = *REFERENCE.get_or_init(|| {
        std::env::var_os("REGNET_LAB_REFERENCE_OPS").is_some_and(|v| !v.is_empty() && v != "0")
    });
    !reference && t.device().is_cpu() && t.dtype() == DType::F32
}

/// How [`conv2d_using`] computes a convolution on the CPU (f32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConvAlgorithm {
    /// The direct 3×3 kernel for padding-1 convolutions with narrow groups (up to 32 input
    /// channels per group at stride 1, 8 at stride 2: the X blocks' grouped 3×3s and the
    /// stems) in optimised builds without debug assertions (`--release`); 1×1 convolutions
    /// with one group as one GEMM per run of images; im2col + GEMM per image for the rest.
    #[default]
    Auto,
    /// im2col + one GEMM per image and group, for every shape (the path before the direct
    /// kernel and the batched 1×1; kept to compare against).
    Gemm,
    /// The direct kernel (AVX2 + FMA, 3×3, stride 1 or 2, padding 1); an error elsewhere.
    Direct,
}

/// Whether [`ConvAlgorithm::Direct`] can run on this CPU (x86-64 with AVX2 and FMA).
pub fn direct_conv_available() -> bool {
    direct::available()
}

/// 2-D convolution `[N, C, H, W] * [O, C / groups, K, K] → [N, O, Ho, Wo]` with square kernel,
/// zero padding `padding`, stride `stride`, dilation 1; differentiable in both arguments.
///
/// On the CPU in f32 this is one op with the groups inside (a direct 3×3 kernel or im2col +
/// GEMM, see [`ConvAlgorithm`]); elsewhere it is candle's `conv2d`.
///
/// ```
/// use candle_core::{Device, Tensor};
/// // A grouped 3×3 convolution: 8 channels in 2 groups of 4.
/// let x = Tensor::ones((1, 8, 5, 5), candle_core::DType::F32, &Device::Cpu)?;
/// let w = Tensor::ones((8, 4, 3, 3), candle_core::DType::F32, &Device::Cpu)?;
/// let y = regnet_lab::ops::conv2d(&x, &w, 1, 1, 2)?;
/// assert_eq!(y.dims(), &[1, 8, 5, 5]);
/// // The centre sees 4 channels × 9 taps of ones; a corner 4 × 4.
/// let y = y.squeeze(0)?.to_vec3::<f32>()?;
/// assert_eq!((y[0][2][2], y[0][0][0]), (36.0, 16.0));
/// # Ok::<(), candle_core::Error>(())
/// ```
pub fn conv2d(
    x: &Tensor,
    w: &Tensor,
    stride: usize,
    padding: usize,
    groups: usize,
) -> Result<Tensor> {
    conv2d_using(x, w, stride, padding, groups, ConvAlgorithm::Auto)
}

/// [`conv2d`] with the CPU algorithm chosen by the caller: for tests and benchmarks that
/// compare the paths. Off the fast path (not f32 on the CPU) `algo` is ignored.
pub fn conv2d_using(
    x: &Tensor,
    w: &Tensor,
    stride: usize,
    padding: usize,
    groups: usize,
    algo: ConvAlgorithm,
) -> Result<Tensor> {
    if is_fast(x) && is_fast(w) {
        tune_allocator();
        let x = x.contiguous()?;
        let w = w.contiguous()?;
        x.apply_op2(
            &w,
            conv::Conv2dOp {
                stride,
                padding,
                groups,
                algo,
            },
        )
    } else {
        reference::conv2d(x, w, stride, padding, groups)
    }
}

/// Training-mode BatchNorm over `[N, C, H, W]` with batch statistics, followed by ReLU when
/// `relu`: returns the output and the batch's per-channel mean and *biased* variance (`[C]`,
/// in [`stat_dtype`], for the caller's running statistics). Differentiable in `x`, `gamma` and
/// `beta`. f32 on the CPU runs as one fused op each way; other devices and dtypes compose
/// candle ops ([`reference::batch_norm_train`]), as the other ops here fall back.
pub fn batch_norm_train(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f64,
    relu: bool,
) -> Result<(Tensor, Tensor, Tensor)> {
    if !(is_fast(x) && is_fast(gamma) && is_fast(beta)) {
        return reference::batch_norm_train(x, gamma, beta, eps, relu);
    }
    tune_allocator();
    let stats = Arc::new(Mutex::new(None));
    let y = x.contiguous()?.apply_op3(
        &gamma.contiguous()?,
        &beta.contiguous()?,
        bn::BnTrainOp {
            eps,
            relu,
            stats: stats.clone(),
        },
    )?;
    let st = stats
        .lock()
        .map_err(|_| candle_core::Error::msg("poisoned BN stats"))?
        .clone()
        .ok_or_else(|| candle_core::Error::msg("BN forward left no statistics"))?;
    let c = x.dim(1)?;
    let BnBatchStats { mean, var, .. } = st;
    Ok((
        y,
        Tensor::from_vec(mean, c, x.device())?,
        Tensor::from_vec(var, c, x.device())?,
    ))
}

/// Expand a per-channel tensor `[1, C, 1, 1]` (or `[C]`) to `x`'s shape `[N, C, H, W]` in two
/// broadcasts, batch first, then space. The result is the same view as one `broadcast_as`, but
/// candle's backward then sums the gradient over the contiguous spatial dims and then over the
/// batch, instead of over `(0, 2, 3)` at once, which is ~10–70× slower on NCHW tensors.
pub fn per_channel(t: &Tensor, x: &Tensor) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    t.reshape((1, c, 1, 1))?
        .broadcast_as((n, c, 1, 1))?
        .broadcast_as((n, c, h, w))
}

/// The dtype BatchNorm statistics are computed and kept in: f32 for half types.
pub fn stat_dtype(dtype: DType) -> DType {
    match dtype {
        DType::F16 | DType::BF16 => DType::F32,
        d => d,
    }
}

/// `relu?(x · scale + shift)` with per-channel `scale`, `shift` (`[C]`) over `[N, C, H, W]`:
/// evaluation-mode BatchNorm (+ ReLU) in one pass. Differentiable in all three.
pub fn channel_affine(x: &Tensor, scale: &Tensor, shift: &Tensor, relu: bool) -> Result<Tensor> {
    if is_fast(x) && is_fast(scale) && is_fast(shift) {
        tune_allocator();
        x.contiguous()?.apply_op3(
            &scale.contiguous()?,
            &shift.contiguous()?,
            bn::ChannelAffineOp { relu },
        )
    } else {
        reference::channel_affine(x, scale, shift, relu)
    }
}

/// `relu(a + b)` (the end of a residual block), differentiable in both.
pub fn add_relu(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if is_fast(a) && is_fast(b) && a.shape() == b.shape() {
        a.contiguous()?
            .apply_op2(&b.contiguous()?, eltwise::AddReluOp)
    } else {
        reference::add_relu(a, b)
    }
}

/// Run `f` on a worker thread of rayon's global pool, or right here when already on one.
///
/// Why: the fast ops split their work with rayon. Called from a thread outside the pool (a
/// program's main thread, a notebook cell), every parallel call hands its work to the pool and
/// sleeps on a latch until it comes back: a futex wake and a wait per op, thousands per
/// training step. From a worker the calls run inline. Training and evaluation
/// (`train::train_model`, `train::evaluate_blocks`) run their whole loop through this (the
/// gain: `docs/performance.md`, "Training on a rayon worker").
///
/// ```
/// let on_worker = regnet_lab::ops::on_pool(|| rayon::current_thread_index().is_some());
/// assert!(on_worker);
/// ```
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() {
        f()
    } else {
        rayon::scope(|_| f())
    }
}

/// Keep freed tensor buffers in the heap instead of returning them to the kernel.
///
/// Why: by default glibc serves every allocation above 128 KiB — every activation tensor —
/// with a fresh `mmap` and unmaps it on free, so each training step page-faults all of its
/// memory in again (`docs/performance.md`, "Allocator policy"). Raising the mmap threshold to its maximum
/// (32 MiB on 64-bit) and never trimming the heap top keeps the buffers for reuse; the cost is
/// that the process's resident memory stays at its peak.
///
/// Called once, automatically, by the first fast op, because a notebook or library user would
/// otherwise lose that speed without knowing why; a program that wants glibc's defaults for
/// the rest of its memory can call `mallopt` itself afterwards. The CLI calls it first thing.
/// A no-op outside Linux/glibc.
pub fn tune_allocator() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            unsafe extern "C" {
                fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
            }
            const M_TRIM_THRESHOLD: std::ffi::c_int = -1;
            const M_TOP_PAD: std::ffi::c_int = -2;
            const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
            // SAFETY: mallopt only changes glibc's allocation policy; the parameters are
            // glibc's documented constants and values inside their ranges.
            unsafe {
                mallopt(M_MMAP_THRESHOLD, 32 << 20);
                mallopt(M_TRIM_THRESHOLD, 1 << 30);
                mallopt(M_TOP_PAD, 64 << 20);
            }
        }
    });
}

/// The contiguous f32 data of a CPU storage.
fn cpu_f32<'a>(s: &'a CpuStorage, l: &Layout) -> Result<&'a [f32]> {
    let v = match s {
        CpuStorage::F32(v) => v.as_slice(),
        other => candle_core::bail!(
            "regnet ops: f32 only, got {:?}",
            candle_core::backend::BackendStorage::dtype(other)
        ),
    };
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&v[a..b]),
        None => candle_core::bail!("regnet ops: non-contiguous input {:?}", l.dims()),
    }
}

/// Run `f` on the contiguous f32 data of a CPU tensor.
fn with_f32<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> R) -> Result<R> {
    let t = t.contiguous()?;
    let (st, l) = t.storage_and_layout();
    match &*st {
        Storage::Cpu(cs) => Ok(f(cpu_f32(cs, l)?)),
        _ => candle_core::bail!("regnet ops: CPU tensors only"),
    }
}

/// The same operations composed from plain candle ops: the fallback off the fast path and the
/// oracle of the tests.
pub mod reference {
    use candle_core::{Result, Tensor};

    /// candle's `conv2d` (split → one convolution per group → concat when grouped).
    pub fn conv2d(
        x: &Tensor,
        w: &Tensor,
        stride: usize,
        padding: usize,
        groups: usize,
    ) -> Result<Tensor> {
        x.conv2d(w, padding, stride, 1, groups)
    }

    /// Training-mode BatchNorm (+ ReLU) from tensor ops; returns the output (in `x`'s dtype),
    /// batch mean and biased variance (`[C]`, computed in [`super::stat_dtype`]).
    pub fn batch_norm_train(
        x: &Tensor,
        gamma: &Tensor,
        beta: &Tensor,
        eps: f64,
        relu: bool,
    ) -> Result<(Tensor, Tensor, Tensor)> {
        let (c, dtype) = (x.dim(1)?, x.dtype());
        let sd = super::stat_dtype(dtype);
        let (x, gamma, beta) = (x.to_dtype(sd)?, gamma.to_dtype(sd)?, beta.to_dtype(sd)?);
        // Reduce the contiguous spatial dims first, then the batch: candle's reduction over
        // (0, 2, 3) at once is ~10× slower on NCHW (and every group has the same size, so the
        // mean of means is the mean).
        let mean = x.mean_keepdim((2, 3))?.mean_keepdim(0)?;
        let xc = (&x - super::per_channel(&mean, &x)?)?;
        let var = xc.sqr()?.mean_keepdim((2, 3))?.mean_keepdim(0)?;
        let scale = gamma.reshape((1, c, 1, 1))?.div(&(&var + eps)?.sqrt()?)?;
        let y = ((xc * super::per_channel(&scale, &x)?)? + super::per_channel(&beta, &x)?)?
            .to_dtype(dtype)?;
        let y = if relu { y.relu()? } else { y };
        Ok((y, mean.flatten_all()?, var.flatten_all()?))
    }

    /// `relu?(x · scale + shift)` per channel (`scale` and `shift` are cast to `x`'s dtype).
    pub fn channel_affine(
        x: &Tensor,
        scale: &Tensor,
        shift: &Tensor,
        relu: bool,
    ) -> Result<Tensor> {
        let scale = super::per_channel(&scale.to_dtype(x.dtype())?, x)?;
        let shift = super::per_channel(&shift.to_dtype(x.dtype())?, x)?;
        let y = ((x * scale)? + shift)?;
        if relu { y.relu() } else { Ok(y) }
    }

    /// `relu(a + b)`.
    pub fn add_relu(a: &Tensor, b: &Tensor) -> Result<Tensor> {
        (a + b)?.relu()
    }
}
