//! `relu(a + b)` as one op: the end of every residual block.
//!
//! Why: candle runs it as an add and a ReLU, and differentiates the ReLU with a comparison, a
//! dtype conversion and a multiply — four full-size tensors for one mask. Fused, the forward
//! writes one tensor and the backward one gradient shared by both inputs.

use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

use super::{cpu_f32, simd, with_f32};

/// Elements per parallel task (large enough to amortise rayon, small enough to split a batch).
const CHUNK: usize = 1 << 15;

pub(crate) struct AddReluOp;

impl CustomOp2 for AddReluOp {
    fn name(&self) -> &'static str {
        "regnet-add-relu"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        if l1.shape() != l2.shape() {
            candle_core::bail!("ops::add_relu: shapes {:?} and {:?}", l1.dims(), l2.dims())
        }
        let a = cpu_f32(s1, l1)?;
        let b = cpu_f32(s2, l2)?;
        let fill = |y: &mut [std::mem::MaybeUninit<f32>]| {
            y.par_chunks_mut(CHUNK)
                .zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK)))
                .for_each(|(y, (a, b))| simd::add_relu::<false>(a, b, y))
        };
        // SAFETY: the chunks of `y` cover it, and `add_relu` writes each whole chunk.
        let y = unsafe { simd::filled(a.len(), fill) };
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }

    fn bwd(
        &self,
        a: &Tensor,
        b: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let g = with_f32(res, |ys| {
            with_f32(grad, |gs| {
                let fill = |g: &mut [std::mem::MaybeUninit<f32>]| {
                    g.par_chunks_mut(CHUNK)
                        .zip(ys.par_chunks(CHUNK).zip(gs.par_chunks(CHUNK)))
                        .for_each(|(g, (y, d))| simd::scaled_mask::<true>(d, y, 1.0, g))
                };
                // SAFETY: the chunks of `g` cover it, and `scaled_mask` writes each whole chunk.
                unsafe { simd::filled(gs.len(), fill) }
            })
        })??;
        let g = Tensor::from_vec(g, res.shape(), res.device())?;
        let ga = a.track_op().then(|| g.clone());
        let gb = b.track_op().then_some(g);
        Ok((ga, gb))
    }
}
