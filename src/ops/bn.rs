//! BatchNorm (+ ReLU) as single CPU ops: training with batch statistics, and the per-channel
//! affine map that evaluation mode reduces to.
//!
//! Why: composed from candle tensor ops, one training-mode BatchNorm is about ten full-size
//! element-wise ops forward and as many again backward, each allocating a fresh tensor. One
//! fused op with the closed-form backward removes them (`docs/performance.md`, "Fused
//! BatchNorm + ReLU").
//!
//! Arithmetic is PyTorch's: normalise with the batch mean and the *biased* variance,
//! `y = γ (x − μ) / sqrt(σ² + eps) + β`, then ReLU if asked. Per-channel sums are accumulated
//! in f32 lanes per row and in f64 across rows. The batch statistics are handed back to the
//! caller (through [`BnBatchStats`]) so that it can update its running statistics with its own
//! momentum convention.

use std::mem::MaybeUninit;
use std::sync::{Arc, Mutex};

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::{cpu_f32, simd, with_f32};

/// Batch statistics of one training-mode BatchNorm call: per-channel mean and biased variance.
#[derive(Debug, Clone, Default)]
pub struct BnBatchStats {
    pub mean: Vec<f32>,
    pub var: Vec<f32>,
    invstd: Vec<f32>,
}

/// Per-channel sums over the batch of `f(offset of row (image, channel), lanes)`, reading
/// images in memory order; parallel over blocks of images, each keeping f32 lanes per channel
/// (at most a few thousand values per lane) that are reduced in f64.
fn channel_sums<F>(n: usize, c: usize, hw: usize, f: F) -> Vec<(f64, f64)>
where
    F: Fn(usize, &mut simd::Lanes) + Sync,
{
    // Runs fixed by `IMAGE_RUNS` and summed in order: the same sums with any thread count.
    let per = super::images_per_run(n);
    let runs: Vec<Vec<(f64, f64)>> = (0..n.div_ceil(per.max(1)))
        .into_par_iter()
        .map(|wi| {
            let mut acc = vec![simd::Lanes::default(); c];
            for ni in (wi * per)..((wi + 1) * per).min(n) {
                for (ci, a) in acc.iter_mut().enumerate() {
                    f((ni * c + ci) * hw, a);
                }
            }
            acc.iter().map(simd::Lanes::total).collect::<Vec<_>>()
        })
        .collect();
    let mut sums = vec![(0f64, 0f64); c];
    for run in runs {
        for (a, b) in sums.iter_mut().zip(run) {
            a.0 += b.0;
            a.1 += b.1;
        }
    }
    sums
}

/// A new `[N, C, H, W]` buffer written row by row: `row(offset, channel, out)` for every
/// (image, channel) row, parallel over images.
fn per_row(
    len: usize,
    c: usize,
    hw: usize,
    row: impl Fn(usize, usize, &mut [MaybeUninit<f32>]) + Sync,
) -> Vec<f32> {
    let fill = |out: &mut [MaybeUninit<f32>]| {
        out.par_chunks_mut((c * hw).max(1))
            .enumerate()
            .for_each(|(ni, img)| {
                for (ci, r) in img.chunks_mut(hw.max(1)).enumerate() {
                    row((ni * c + ci) * hw, ci, r);
                }
            })
    };
    // SAFETY: the rows of all images cover the whole buffer, and every `row` callback below
    // writes its whole row.
    unsafe { simd::filled(len, fill) }
}

/// `y = relu?(x·a + b)` per channel.
fn affine(x: &[f32], a: &[f32], b: &[f32], hw: usize, relu: bool) -> Vec<f32> {
    per_row(x.len(), a.len(), hw, |o, ci, out| {
        let xr = &x[o..o + hw];
        if relu {
            simd::affine::<true>(xr, a[ci], b[ci], out)
        } else {
            simd::affine::<false>(xr, a[ci], b[ci], out)
        }
    })
}

fn grad_sums(relu: bool, dy: &[f32], x: &[f32], y: &[f32], acc: &mut simd::Lanes) {
    if relu {
        simd::grad_sums::<true>(dy, x, y, acc)
    } else {
        simd::grad_sums::<false>(dy, x, y, acc)
    }
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
        let sums = channel_sums(n, c, hw, |o, acc| {
            simd::sum_sumsq::<false>(&x[o..o + hw], acc)
        });
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
        let y = affine(x, &a, &b, hw, self.relu);
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
                        let sums = channel_sums(n, c, hw, |o, acc| {
                            grad_sums(relu, &gs[o..o + hw], &xs[o..o + hw], &ys[o..o + hw], acc)
                        });
                        let mut dgamma = Vec::with_capacity(c);
                        let mut dbeta = Vec::with_capacity(c);
                        let mut k = Vec::with_capacity(c);
                        for (ci, (sdy, sdyx)) in sums.into_iter().enumerate() {
                            let (mean, is) = (st.mean[ci] as f64, st.invstd[ci] as f64);
                            // Σ g·(x − μ) = Σ g·x − μ Σ g
                            let sdxc = sdyx - mean * sdy;
                            dgamma.push((sdxc * is) as f32);
                            dbeta.push(sdy as f32);
                            // dx = a·g + b·x + d (the closed form, expanded per channel).
                            let a = gm[ci] as f64 * is;
                            let b = -a * is * is * sdxc / m;
                            k.push((a as f32, b as f32, (-a * sdy / m - b * mean) as f32));
                        }
                        let dx = per_row(xs.len(), c, hw, |o, ci, out| {
                            let (g, x, y) = (&gs[o..o + hw], &xs[o..o + hw], &ys[o..o + hw]);
                            if relu {
                                simd::bn_dx::<true>(g, x, y, k[ci], out)
                            } else {
                                simd::bn_dx::<false>(g, x, y, k[ci], out)
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
        let y = affine(x, a, b, h * w, self.relu);
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
                            channel_sums(n, c, hw, |o, acc| {
                                grad_sums(relu, &gs[o..o + hw], &xs[o..o + hw], &ys[o..o + hw], acc)
                            })
                        });
                        let dx = want_dx.then(|| {
                            per_row(xs.len(), c, hw, |o, ci, out| {
                                let (g, y) = (&gs[o..o + hw], &ys[o..o + hw]);
                                if relu {
                                    simd::scaled_mask::<true>(g, y, a[ci], out)
                                } else {
                                    simd::scaled_mask::<false>(g, y, a[ci], out)
                                }
                            })
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
