//! BatchNorm (+ ReLU) as single CPU ops: training with batch statistics, and the per-channel
//! affine map that evaluation mode reduces to.
//!
//! Why: composed from candle tensor ops, one training-mode BatchNorm is about ten full-size
//! element-wise ops forward and as many again backward, each allocating a fresh tensor — in the
//! measured plain-candle step ~19 % of the time went to element-wise ops and ~1/3 to page faults
//! on fresh allocations. A fused BatchNorm+ReLU op with the closed-form backward was measured
//! 2.2–2.6× faster on the whole step with 3× less peak memory
//! (/work/shared/reference/candle-training.md).
//!
//! Arithmetic is PyTorch's: normalise with the batch mean and the *biased* variance,
//! `y = γ (x − μ) / sqrt(σ² + eps) + β`, then ReLU if asked. Sums are taken in f64 per
//! channel. The batch statistics are handed back to the caller (through [`BnBatchStats`]) so
//! that it can update its running statistics with its own momentum convention.

use std::sync::{Arc, Mutex};

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::{cpu_f32, with_f32};

/// Batch statistics of one training-mode BatchNorm call: per-channel mean and biased variance.
#[derive(Debug, Clone, Default)]
pub struct BnBatchStats {
    pub mean: Vec<f32>,
    pub var: Vec<f32>,
    invstd: Vec<f32>,
}

/// Sum and sum of squares of a row, in 8 independent f32 lanes (so the compiler vectorises),
/// returned in f64.
#[inline]
fn sum_sumsq(row: &[f32]) -> (f64, f64) {
    let mut s = [0f32; 8];
    let mut q = [0f32; 8];
    let mut it = row.chunks_exact(8);
    for ch in &mut it {
        for l in 0..8 {
            s[l] += ch[l];
            q[l] += ch[l] * ch[l];
        }
    }
    let (mut s1, mut q1) = (0f64, 0f64);
    for v in it.remainder() {
        s1 += *v as f64;
        q1 += (*v as f64) * (*v as f64);
    }
    for l in 0..8 {
        s1 += s[l] as f64;
        q1 += q[l] as f64;
    }
    (s1, q1)
}

/// `Σ g` and `Σ g·x` over a row, where `g = dy` masked by `y > 0` when `relu`.
#[inline]
fn grad_sums(dy: &[f32], x: &[f32], y: &[f32], relu: bool) -> (f64, f64) {
    let mut s = [0f32; 8];
    let mut q = [0f32; 8];
    let n = dy.len() / 8 * 8;
    for i in (0..n).step_by(8) {
        for l in 0..8 {
            let g = if !relu || y[i + l] > 0.0 {
                dy[i + l]
            } else {
                0.0
            };
            s[l] += g;
            q[l] += g * x[i + l];
        }
    }
    let (mut s1, mut q1) = (0f64, 0f64);
    for i in n..dy.len() {
        let g = if !relu || y[i] > 0.0 { dy[i] } else { 0.0 };
        s1 += g as f64;
        q1 += (g * x[i]) as f64;
    }
    for l in 0..8 {
        s1 += s[l] as f64;
        q1 += q[l] as f64;
    }
    (s1, q1)
}

/// `y = max?(x·a + b)` per channel, image by image.
fn affine(x: &[f32], a: &[f32], b: &[f32], hw: usize, relu: bool, y: &mut [f32]) {
    let c = a.len();
    y.par_chunks_mut(c * hw)
        .zip(x.par_chunks(c * hw))
        .for_each(|(yi, xi)| {
            for ci in 0..c {
                let (a, b) = (a[ci], b[ci]);
                let yr = &mut yi[ci * hw..][..hw];
                let xr = &xi[ci * hw..][..hw];
                if relu {
                    for (o, v) in yr.iter_mut().zip(xr) {
                        *o = (v * a + b).max(0.0);
                    }
                } else {
                    for (o, v) in yr.iter_mut().zip(xr) {
                        *o = v * a + b;
                    }
                }
            }
        });
}

/// Per-channel reduction over the batch of `f(channel, image)`.
fn per_channel<F>(c: usize, n: usize, f: F) -> Vec<(f64, f64)>
where
    F: Fn(usize, usize) -> (f64, f64) + Sync,
{
    (0..c)
        .into_par_iter()
        .map(|ci| {
            (0..n).fold((0.0, 0.0), |(a, b), ni| {
                let (x, y) = f(ci, ni);
                (a + x, b + y)
            })
        })
        .collect()
}

/// Training-mode BatchNorm (+ ReLU): `(x [N, C, H, W], γ [C], β [C]) → y`.
pub(crate) struct BnTrainOp {
    pub eps: f64,
    pub relu: bool,
    pub stats: Arc<Mutex<Option<BnBatchStats>>>,
}

impl CustomOp3 for BnTrainOp {
    fn name(&self) -> &'static str {
        "regnet-batch-norm-train"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, c, h, w) = l1.shape().dims4()?;
        let hw = h * w;
        let x = cpu_f32(s1, l1)?;
        let gamma = cpu_f32(s2, l2)?;
        let beta = cpu_f32(s3, l3)?;
        if gamma.len() != c || beta.len() != c {
            candle_core::bail!(
                "ops::batch_norm: {c} channels, γ {} β {}",
                gamma.len(),
                beta.len()
            )
        }
        let m = (n * hw) as f64;
        let sums = per_channel(c, n, |ci, ni| sum_sumsq(&x[(ni * c + ci) * hw..][..hw]));
        let mut st = BnBatchStats::default();
        for (s, q) in sums {
            let mean = s / m;
            let var = (q / m - mean * mean).max(0.0);
            st.mean.push(mean as f32);
            st.var.push(var as f32);
            st.invstd.push((1.0 / (var + self.eps).sqrt()) as f32);
        }
        let a: Vec<f32> = (0..c).map(|i| gamma[i] * st.invstd[i]).collect();
        let b: Vec<f32> = (0..c).map(|i| beta[i] - st.mean[i] * a[i]).collect();
        let mut y = vec![0f32; x.len()];
        affine(x, &a, &b, hw, self.relu, &mut y);
        *self
            .stats
            .lock()
            .map_err(|_| candle_core::Error::msg("poisoned BN stats"))? = Some(st);
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        _beta: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let st = self
            .stats
            .lock()
            .map_err(|_| candle_core::Error::msg("poisoned BN stats"))?
            .clone()
            .ok_or_else(|| candle_core::Error::msg("BN backward before forward"))?;
        let (n, c, h, w) = x.dims4()?;
        let hw = h * w;
        let m = (n * hw) as f64;
        let relu = self.relu;
        let (dx, dgamma, dbeta) = with_f32(x, |xs| {
            with_f32(res, |ys| {
                with_f32(grad, |gs| {
                    with_f32(gamma, |gm| {
                        let sums = per_channel(c, n, |ci, ni| {
                            let o = (ni * c + ci) * hw;
                            grad_sums(&gs[o..o + hw], &xs[o..o + hw], &ys[o..o + hw], relu)
                        });
                        let mut dgamma = Vec::with_capacity(c);
                        let mut dbeta = Vec::with_capacity(c);
                        let (mut ka, mut kb, mut kd) =
                            (vec![0f32; c], vec![0f32; c], vec![0f32; c]);
                        for (ci, (sdy, sdyx)) in sums.into_iter().enumerate() {
                            let (mean, is) = (st.mean[ci] as f64, st.invstd[ci] as f64);
                            // Σ g·(x − μ) = Σ g·x − μ Σ g
                            let sdxc = sdyx - mean * sdy;
                            dgamma.push((sdxc * is) as f32);
                            dbeta.push(sdy as f32);
                            let a = gm[ci] as f64 * is;
                            let b = -a * is * is * sdxc / m;
                            ka[ci] = a as f32;
                            kb[ci] = b as f32;
                            kd[ci] = (-a * sdy / m - b * mean) as f32;
                        }
                        let mut dx = vec![0f32; xs.len()];
                        dx.par_chunks_mut(c * hw).enumerate().for_each(|(ni, di)| {
                            for ci in 0..c {
                                let o = (ni * c + ci) * hw;
                                let (xr, yr, gr) = (&xs[o..o + hw], &ys[o..o + hw], &gs[o..o + hw]);
                                let dr = &mut di[ci * hw..][..hw];
                                let (a, b, d) = (ka[ci], kb[ci], kd[ci]);
                                for j in 0..hw {
                                    let g = if !relu || yr[j] > 0.0 { gr[j] } else { 0.0 };
                                    dr[j] = a * g + b * xr[j] + d;
                                }
                            }
                        });
                        (dx, dgamma, dbeta)
                    })
                })
            })
        })????;
        let dev = x.device();
        Ok((
            Some(Tensor::from_vec(dx, x.shape(), dev)?),
            Some(Tensor::from_vec(dgamma, c, dev)?),
            Some(Tensor::from_vec(dbeta, c, dev)?),
        ))
    }
}

/// `y = relu?(x · scale + shift)` per channel, `(x [N, C, H, W], scale [C], shift [C])` — the
/// evaluation-mode BatchNorm, whose scale and shift come from the running statistics.
pub(crate) struct ChannelAffineOp {
    pub relu: bool,
}

impl CustomOp3 for ChannelAffineOp {
    fn name(&self) -> &'static str {
        "regnet-channel-affine"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (_, c, h, w) = l1.shape().dims4()?;
        let x = cpu_f32(s1, l1)?;
        let a = cpu_f32(s2, l2)?;
        let b = cpu_f32(s3, l3)?;
        if a.len() != c || b.len() != c {
            candle_core::bail!(
                "ops::channel_affine: {c} channels, scale {} shift {}",
                a.len(),
                b.len()
            )
        }
        let mut y = vec![0f32; x.len()];
        affine(x, a, b, h * w, self.relu, &mut y);
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        scale: &Tensor,
        shift: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (n, c, h, w) = x.dims4()?;
        let hw = h * w;
        let relu = self.relu;
        let want_dx = x.track_op();
        let want_ab = scale.track_op() || shift.track_op();
        let (dx, sums) = with_f32(x, |xs| {
            with_f32(res, |ys| {
                with_f32(grad, |gs| {
                    with_f32(scale, |a| {
                        let sums = want_ab.then(|| {
                            per_channel(c, n, |ci, ni| {
                                let o = (ni * c + ci) * hw;
                                grad_sums(&gs[o..o + hw], &xs[o..o + hw], &ys[o..o + hw], relu)
                            })
                        });
                        let dx = want_dx.then(|| {
                            let mut dx = vec![0f32; xs.len()];
                            dx.par_chunks_mut(c * hw).enumerate().for_each(|(ni, di)| {
                                for ci in 0..c {
                                    let o = (ni * c + ci) * hw;
                                    let (yr, gr) = (&ys[o..o + hw], &gs[o..o + hw]);
                                    for (j, d) in di[ci * hw..][..hw].iter_mut().enumerate() {
                                        let g = if !relu || yr[j] > 0.0 { gr[j] } else { 0.0 };
                                        *d = g * a[ci];
                                    }
                                }
                            });
                            dx
                        });
                        (dx, sums)
                    })
                })
            })
        })????;
        let dev = x.device();
        let dx = dx
            .map(|v| Tensor::from_vec(v, x.shape(), dev))
            .transpose()?;
        let (da, db) = match sums {
            Some(s) => {
                let da: Vec<f32> = s.iter().map(|p| p.1 as f32).collect();
                let db: Vec<f32> = s.iter().map(|p| p.0 as f32).collect();
                (
                    Some(Tensor::from_vec(da, scale.shape(), dev)?),
                    Some(Tensor::from_vec(db, shift.shape(), dev)?),
                )
            }
            None => (None, None),
        };
        Ok((dx, da, db))
    }
}
