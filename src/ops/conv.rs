//! Convolution with groups as one CPU op: im2col + GEMM per group, for the forward pass, the
//! input gradient and the weight gradient.
//!
//! Why: candle 0.11 runs a grouped convolution as split → one convolution per group → concat,
//! and its backward computes the input gradient with `conv_transpose2d`, a direct loop without
//! GEMM, padding and adding a full-size zero tensor per group. Measured on this kind of machine
//! (/work/shared/reference/candle-training.md), a single op doing forward, input gradient and
//! weight gradient by GEMM with the groups inside made the whole RegNetX-200MF train step
//! 2.1–2.4× faster. Every X/Y block's 3×3 convolution is grouped, so this is the hot path.
//!
//! Layout: NCHW, f32, square kernels, dilation 1. Work is split over images (each worker keeps
//! its own im2col buffer and, in backward, its own weight-gradient accumulator), and every GEMM
//! inside a worker is single-threaded, so the op uses exactly rayon's thread count
//! (`RAYON_NUM_THREADS`, as candle does).

use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};
use gemm::Parallelism;
use rayon::prelude::*;

use std::mem::MaybeUninit;

use super::{cpu_f32, simd, with_f32};

/// Geometry of one convolution.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Geom {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub o: usize,
    pub k: usize,
    pub stride: usize,
    pub padding: usize,
    pub groups: usize,
    pub ho: usize,
    pub wo: usize,
}

impl Geom {
    pub(crate) fn new(
        x: &Shape,
        wt: &Shape,
        stride: usize,
        padding: usize,
        groups: usize,
    ) -> Result<Geom> {
        let (n, c, h, w) = x.dims4()?;
        let (o, cg, kh, kw) = wt.dims4()?;
        if kh != kw {
            candle_core::bail!("ops::conv2d: square kernels only, got {kh}×{kw}")
        }
        if groups == 0 || c % groups != 0 || o % groups != 0 || cg * groups != c {
            candle_core::bail!(
                "ops::conv2d: {groups} groups do not fit input channels {c}, kernel {:?}",
                wt.dims()
            )
        }
        if stride == 0 || h + 2 * padding < kh || w + 2 * padding < kw {
            candle_core::bail!(
                "ops::conv2d: input {h}×{w} with padding {padding} is smaller than the kernel {kh}×{kw} (stride {stride})"
            )
        }
        Ok(Geom {
            n,
            c,
            h,
            w,
            o,
            k: kh,
            stride,
            padding,
            groups,
            ho: (h + 2 * padding - kh) / stride + 1,
            wo: (w + 2 * padding - kw) / stride + 1,
        })
    }

    fn cg(&self) -> usize {
        self.c / self.groups
    }
    fn og(&self) -> usize {
        self.o / self.groups
    }
    /// Rows of one group's column matrix (= one output channel's kernel size).
    fn kk(&self) -> usize {
        self.cg() * self.k * self.k
    }
    fn hw_in(&self) -> usize {
        self.h * self.w
    }
    fn hw_out(&self) -> usize {
        self.ho * self.wo
    }
    /// A 1×1, stride-1, unpadded convolution reads the image itself as its column matrix.
    fn pointwise(&self) -> bool {
        self.k == 1 && self.stride == 1 && self.padding == 0
    }
    /// The zero-padded copy of one channel.
    fn pad_len(&self) -> usize {
        (self.h + 2 * self.padding) * (self.w + 2 * self.padding)
    }
    fn col_len(&self) -> usize {
        if self.pointwise() {
            0
        } else {
            self.c * self.k * self.k * self.hw_out()
        }
    }
}

/// Workers for `n` images: at least one image each; twice the threads so that a worker slowed
/// by another process on a shared machine does not hold up the others.
fn chunking(n: usize) -> (usize, Parallelism) {
    let threads = rayon::current_num_threads().max(1);
    let workers = n.min(2 * threads).max(1);
    let per = n.div_ceil(workers);
    // Fewer images than threads (inference on one image): parallelise inside the GEMMs instead.
    let par = if n < threads {
        Parallelism::Rayon(threads)
    } else {
        Parallelism::None
    };
    (per, par)
}

/// `dst = src` for the short rows of small feature maps: constant-length copies for the
/// common widths compile to a few vector moves instead of a `memcpy` call.
#[inline(always)]
fn copy_row(dst: &mut [f32], src: &[f32]) {
    match dst.len() {
        4 => dst.copy_from_slice(&src[..4]),
        7 => dst.copy_from_slice(&src[..7]),
        8 => dst.copy_from_slice(&src[..8]),
        14 => dst.copy_from_slice(&src[..14]),
        16 => dst.copy_from_slice(&src[..16]),
        28 => dst.copy_from_slice(&src[..28]),
        32 => dst.copy_from_slice(&src[..32]),
        n => dst.copy_from_slice(&src[..n]),
    }
}

/// Column matrix `[C·K·K, Ho·Wo]` of one image `[C, H, W]`; row `(c·K + ky)·K + kx`, as the
/// kernel `[O, C/g, K, K]` is laid out, so group `g` owns a contiguous block of rows.
/// `pad` is scratch of `(H + 2p)·(W + 2p)` zeros: each channel is copied into its interior
/// once, so that every column row is a plain copy of `Wo` values per output row.
fn im2col(g: &Geom, x: &[f32], col: &mut [f32], pad: &mut [f32]) {
    let (k, s, p, hwo) = (g.k, g.stride, g.padding, g.hw_out());
    let wp = g.w + 2 * p;
    for c in 0..g.c {
        let xc = &x[c * g.hw_in()..][..g.hw_in()];
        let src: &[f32] = if p > 0 {
            for iy in 0..g.h {
                copy_row(&mut pad[(iy + p) * wp + p..][..g.w], &xc[iy * g.w..][..g.w]);
            }
            pad
        } else {
            xc
        };
        for ky in 0..k {
            for kx in 0..k {
                let row = &mut col[((c * k + ky) * k + kx) * hwo..][..hwo];
                for (oy, out) in row.chunks_exact_mut(g.wo).enumerate() {
                    let sr = &src[(oy * s + ky) * wp + kx..];
                    if s == 1 {
                        copy_row(out, sr);
                    } else {
                        for (ox, o) in out.iter_mut().enumerate() {
                            *o = sr[ox * s];
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: add every column entry back to the pixel it was read from,
/// through the padded scratch `pad`; writes (does not accumulate into) `dx`.
fn col2im(g: &Geom, col: &[f32], dx: &mut [f32], pad: &mut [f32]) {
    let (k, s, p, hwo) = (g.k, g.stride, g.padding, g.hw_out());
    let wp = g.w + 2 * p;
    for c in 0..g.c {
        pad.fill(0.0);
        for ky in 0..k {
            for kx in 0..k {
                let row = &col[((c * k + ky) * k + kx) * hwo..][..hwo];
                for (oy, src) in row.chunks_exact(g.wo).enumerate() {
                    let dr = &mut pad[(oy * s + ky) * wp + kx..];
                    if s == 1 {
                        simd::add_into::<false>(&mut dr[..g.wo], src);
                    } else {
                        for (ox, v) in src.iter().enumerate() {
                            dr[ox * s] += v;
                        }
                    }
                }
            }
        }
        let dxc = &mut dx[c * g.hw_in()..][..g.hw_in()];
        for iy in 0..g.h {
            copy_row(
                &mut dxc[iy * g.w..][..g.w],
                &pad[(iy + p) * wp + p..][..g.w],
            );
        }
    }
}

/// `dst[m×n] (+)= lhs[m×k] · rhs[k×n]` with explicit (row, column) strides. `dst` may be
/// uninitialised unless `accumulate`; every element of the `m×n` block is written.
#[allow(clippy::too_many_arguments)]
fn mm(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [MaybeUninit<f32>],
    dst_rs: usize,
    accumulate: bool,
    lhs: &[f32],
    (lhs_rs, lhs_cs): (usize, usize),
    rhs: &[f32],
    (rhs_rs, rhs_cs): (usize, usize),
    par: Parallelism,
) {
    if m == 0 || n == 0 {
        return;
    }
    // Bounds of every element each operand is read or written at.
    assert!((m - 1) * dst_rs + n <= dst.len());
    if k > 0 {
        assert!((m - 1) * lhs_rs + (k - 1) * lhs_cs < lhs.len());
        assert!((k - 1) * rhs_rs + (n - 1) * rhs_cs < rhs.len());
    }
    // SAFETY: the asserts above keep every access inside the three slices; `dst` is borrowed
    // mutably and does not alias the shared `lhs` / `rhs`; gemm reads `dst` only when
    // `accumulate`, whose callers pass initialised memory.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr().cast::<f32>(),
            1,
            dst_rs as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_cs as isize,
            lhs_rs as isize,
            rhs.as_ptr(),
            rhs_cs as isize,
            rhs_rs as isize,
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            par,
        )
    }
}

/// `y = conv(x, w)` into `y` (`[N, O, Ho, Wo]`).
pub(crate) fn forward(g: &Geom, x: &[f32], wt: &[f32], y: &mut [MaybeUninit<f32>]) {
    let (chw, ohw) = (g.c * g.hw_in(), g.o * g.hw_out());
    let (per, par) = chunking(g.n);
    let (og, kk, hwo) = (g.og(), g.kk(), g.hw_out());
    y.par_chunks_mut(per * ohw)
        .zip(x.par_chunks(per * chw))
        .for_each(|(yc, xc)| {
            let mut col = vec![0f32; g.col_len()];
            let mut pad = vec![0f32; g.pad_len()];
            for (yi, xi) in yc.chunks_mut(ohw).zip(xc.chunks(chw)) {
                let cols: &[f32] = if g.pointwise() {
                    xi
                } else {
                    im2col(g, xi, &mut col, &mut pad);
                    &col
                };
                for gi in 0..g.groups {
                    mm(
                        og,
                        hwo,
                        kk,
                        &mut yi[gi * og * hwo..],
                        hwo,
                        false,
                        &wt[gi * og * kk..],
                        (kk, 1),
                        &cols[gi * kk * hwo..],
                        (hwo, 1),
                        par,
                    );
                }
            }
        });
}

/// Gradients of `y = conv(x, w)`: `dx` (when `want_dx`) and `dw`.
pub(crate) fn backward(
    g: &Geom,
    x: &[f32],
    wt: &[f32],
    dy: &[f32],
    want_dx: bool,
) -> (Option<Vec<f32>>, Vec<f32>) {
    let (chw, ohw) = (g.c * g.hw_in(), g.o * g.hw_out());
    let (per, par) = chunking(g.n);
    let (og, kk, hwo) = (g.og(), g.kk(), g.hw_out());
    let wlen = g.o * kk;
    // One worker: its images, their slice of dx (empty when not wanted), a weight-gradient
    // accumulator of its own.
    let work = |xc: &[f32], dyc: &[f32], mut dxc: Option<&mut [f32]>| -> Vec<f32> {
        let mut dw = vec![0f32; wlen];
        let mut col = vec![0f32; g.col_len()];
        let mut pad = vec![0f32; g.pad_len()];
        let mut dcol = if want_dx && !g.pointwise() {
            vec![0f32; g.col_len()]
        } else {
            Vec::new()
        };
        for (i, (xi, dyi)) in xc.chunks(chw).zip(dyc.chunks(ohw)).enumerate() {
            let cols: &[f32] = if g.pointwise() {
                xi
            } else {
                im2col(g, xi, &mut col, &mut pad);
                &col
            };
            for gi in 0..g.groups {
                // dW_g += dY_g · cols_gᵀ
                mm(
                    og,
                    kk,
                    hwo,
                    uninit(&mut dw[gi * og * kk..]),
                    kk,
                    true,
                    &dyi[gi * og * hwo..],
                    (hwo, 1),
                    &cols[gi * kk * hwo..],
                    (1, hwo),
                    par,
                );
            }
            if let Some(dxc) = dxc.as_deref_mut() {
                let dxi = &mut dxc[i * chw..][..chw];
                // dcols_g = W_gᵀ · dY_g, straight into dx for a pointwise conv.
                let target: &mut [MaybeUninit<f32>] = if g.pointwise() {
                    uninit(dxi)
                } else {
                    uninit(&mut dcol)
                };
                for gi in 0..g.groups {
                    mm(
                        kk,
                        hwo,
                        og,
                        &mut target[gi * kk * hwo..],
                        hwo,
                        false,
                        &wt[gi * og * kk..],
                        (1, kk),
                        &dyi[gi * og * hwo..],
                        (hwo, 1),
                        par,
                    );
                }
                if !g.pointwise() {
                    col2im(g, &dcol, &mut dxc[i * chw..][..chw], &mut pad);
                }
            }
        }
        dw
    };
    let (dx, partial): (Option<Vec<f32>>, Vec<Vec<f32>>) = if want_dx {
        let mut dx = vec![0f32; g.n * chw];
        let partial = dx
            .par_chunks_mut(per * chw)
            .zip(x.par_chunks(per * chw).zip(dy.par_chunks(per * ohw)))
            .map(|(dxc, (xc, dyc))| work(xc, dyc, Some(dxc)))
            .collect();
        (Some(dx), partial)
    } else {
        let partial = x
            .par_chunks(per * chw)
            .zip(dy.par_chunks(per * ohw))
            .map(|(xc, dyc)| work(xc, dyc, None))
            .collect();
        (None, partial)
    };
    let mut parts = partial.into_iter();
    let mut dw = parts.next().unwrap_or_else(|| vec![0f32; wlen]);
    for p in parts {
        simd::add_into::<false>(&mut dw, &p);
    }
    (dx, dw)
}

/// The candle op: `conv2d(x, w)` with gradients for both.
pub(crate) struct Conv2dOp {
    pub stride: usize,
    pub padding: usize,
    pub groups: usize,
}

impl CustomOp2 for Conv2dOp {
    fn name(&self) -> &'static str {
        "regnet-conv2d"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let g = Geom::new(
            l1.shape(),
            l2.shape(),
            self.stride,
            self.padding,
            self.groups,
        )?;
        let x = cpu_f32(s1, l1)?;
        let wt = cpu_f32(s2, l2)?;
        // SAFETY: the GEMMs of all images and groups write every output element.
        let y = unsafe { simd::filled(g.n * g.o * g.hw_out(), |y| forward(&g, x, wt, y)) };
        Ok((CpuStorage::F32(y), Shape::from((g.n, g.o, g.ho, g.wo))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        wt: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let g = Geom::new(
            x.shape(),
            wt.shape(),
            self.stride,
            self.padding,
            self.groups,
        )?;
        // The network's input is not a variable: skip its gradient (the stem's col2im).
        let want_dx = x.track_op();
        let (dx, dw) = with_f32(x, |xs| {
            with_f32(wt, |ws| {
                with_f32(grad, |gs| backward(&g, xs, ws, gs, want_dx))
            })
        })???;
        let dev = x.device();
        let dx = match dx {
            Some(v) => Some(Tensor::from_vec(v, x.shape(), dev)?),
            None => None,
        };
        Ok((dx, Some(Tensor::from_vec(dw, wt.shape(), dev)?)))
    }
}

/// An initialised buffer seen as possibly uninitialised, for [`mm`]'s destination.
fn uninit(v: &mut [f32]) -> &mut [MaybeUninit<f32>] {
    // SAFETY: same layout; writing through it only ever stores valid f32 values.
    unsafe { &mut *(v as *mut [f32] as *mut [MaybeUninit<f32>]) }
}
