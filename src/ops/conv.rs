//! Convolution with groups as one CPU op: im2col + GEMM per group, for the forward pass, the
//! input gradient and the weight gradient.
//!
//! Why: candle 0.11 runs a grouped convolution as split → one convolution per group → concat,
//! and its backward computes the input gradient with `conv_transpose2d`, a direct loop without
//! GEMM, padding and adding a full-size zero tensor per group. A single op doing forward, input
//! gradient and weight gradient by GEMM with the groups inside is much faster
//! (`docs/performance.md`). Every X/Y block's 3×3 convolution is grouped: this is the hot path.
//!
//! Layout: NCHW, f32, square kernels, dilation 1. Work is split over images (each worker keeps
//! its own im2col buffer and, in backward, its own weight-gradient accumulator), and every GEMM
//! inside a worker is single-threaded, so the op uses exactly rayon's thread count
//! (`RAYON_NUM_THREADS`, as candle does).

use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};
use gemm::Parallelism;
use rayon::prelude::*;

use std::mem::MaybeUninit;

use super::{ConvAlgorithm, cpu_f32, direct, simd, with_f32};

/// Widest group (input channels per group) that [`ConvAlgorithm::Auto`] gives the direct
/// kernel at stride 1 and at stride 2; wider groups make GEMMs large enough to win. At stride
/// 2 the direct kernel does 16/9 of the multiply-adds (2×2 taps over four phases) and wins
/// only narrowly at width 8 (`examples/conv_algorithms.rs`; `docs/performance.md`).
const DIRECT_MAX_GROUP_WIDTH: [usize; 2] = [32, 8];

/// Whether [`ConvAlgorithm::Auto`] uses the direct kernel at all: only in builds without debug
/// assertions. The kernel relies on the optimiser to keep its tiles in registers: with debug
/// assertions (this crate's dev profile, evcxr's default) it is slower than im2col + GEMM,
/// whose work happens in the optimised `gemm` crate (`docs/performance.md`, "Direct 3×3
/// kernel"). Release builds, benches and `--release` binaries get it; tests check it through
/// [`ConvAlgorithm::Direct`].
const DIRECT_PAYS: bool = !cfg!(debug_assertions);

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
    /// Whether the direct 3×3 kernel ([`direct`]) computes this convolution, as `algo` asks.
    fn use_direct(&self, algo: ConvAlgorithm) -> Result<bool> {
        let applies = self.k == 3
            && (self.stride == 1 || self.stride == 2)
            && self.padding == 1
            && direct::available();
        Ok(match algo {
            ConvAlgorithm::Gemm => false,
            ConvAlgorithm::Auto => {
                applies && DIRECT_PAYS && self.cg() <= DIRECT_MAX_GROUP_WIDTH[self.stride - 1]
            }
            ConvAlgorithm::Direct if applies => true,
            ConvAlgorithm::Direct => candle_core::bail!(
                "ops::conv2d: the direct kernel needs a 3×3 kernel, stride 1 or 2, padding 1 and \
                 an x86-64 CPU with AVX2 + FMA; got {}×{} stride {} padding {}{}",
                self.k,
                self.k,
                self.stride,
                self.padding,
                if direct::available() {
                    ""
                } else {
                    " without AVX2/FMA"
                }
            ),
        })
    }
    /// A 1×1 convolution with one group (at any stride, without padding) is computed for a
    /// run of images at once, as one GEMM over their pixels side by side.
    fn pointwise_batched(&self) -> bool {
        self.k == 1 && self.padding == 0 && self.groups == 1
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
/// through the padded scratch `pad`; writes every element of `dx` (does not accumulate).
fn col2im(g: &Geom, col: &[f32], dx: &mut [MaybeUninit<f32>], pad: &mut [f32]) {
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
            let from = &pad[(iy + p) * wp + p..][..g.w];
            for (d, v) in dxc[iy * g.w..][..g.w].iter_mut().zip(from) {
                d.write(*v);
            }
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

/// The (subsampled) pixels of `m` images `[m, C, H, W]` side by side as `[C, m·Ho·Wo]`
/// (image `i`'s pixels of channel `c` at `c·m·Ho·Wo + i·Ho·Wo`), in a new buffer. `C` and
/// the stride are those of the 1×1 convolution `g` when `input`, else (an output gradient)
/// `O` and 1.
fn gather(g: &Geom, src: &[f32], m: usize, input: bool) -> Vec<f32> {
    let (ch, hw, s) = if input {
        (g.c, g.hw_in(), g.stride)
    } else {
        (g.o, g.hw_out(), 1)
    };
    let hwo = g.hw_out();
    let cols = m * hwo;
    // SAFETY: the loops below write every (channel, image, pixel) of the buffer.
    unsafe {
        simd::filled(ch * cols, |cat| {
            for i in 0..m {
                for c in 0..ch {
                    let from = &src[(i * ch + c) * hw..][..hw];
                    let to = &mut cat[c * cols + i * hwo..][..hwo];
                    if s == 1 {
                        for (d, v) in to.iter_mut().zip(from) {
                            d.write(*v);
                        }
                    } else {
                        for (oy, row) in to.chunks_exact_mut(g.wo).enumerate() {
                            let fr = &from[oy * s * g.w..];
                            for (ox, d) in row.iter_mut().enumerate() {
                                d.write(fr[ox * s]);
                            }
                        }
                    }
                }
            }
        })
    }
}

/// `y = conv(x, w)` for a 1×1 convolution with one group: per run of images, one GEMM
/// `[O, C] · [C, m·Ho·Wo]` instead of one small GEMM per image (which re-packed the whole
/// kernel for every image: ~36 % of a train step went to such GEMMs).
fn forward_pointwise(g: &Geom, x: &[f32], wt: &[f32], y: &mut [MaybeUninit<f32>]) {
    let (chw, ohw, hwo) = (g.c * g.hw_in(), g.o * g.hw_out(), g.hw_out());
    let (per, par) = chunking(g.n);
    y.par_chunks_mut(per * ohw)
        .zip(x.par_chunks(per * chw))
        .for_each(|(yc, xc)| {
            let m = xc.len() / chw;
            let cols = m * hwo;
            let xcat = gather(g, xc, m, true);
            // SAFETY: the GEMM writes the whole `[O, cols]` block.
            let ycat = unsafe {
                simd::filled(g.o * cols, |ycat| {
                    mm(
                        g.o,
                        cols,
                        g.c,
                        ycat,
                        cols,
                        false,
                        wt,
                        (g.c, 1),
                        &xcat,
                        (cols, 1),
                        par,
                    )
                })
            };
            for (i, yi) in yc.chunks_mut(ohw).enumerate() {
                for (o, row) in yi.chunks_mut(hwo).enumerate() {
                    for (d, v) in row.iter_mut().zip(&ycat[o * cols + i * hwo..][..hwo]) {
                        d.write(*v);
                    }
                }
            }
        });
}

/// Gradients of a 1×1 convolution with one group, per run of images: `dW += dY·Xᵀ` and
/// `dX = Wᵀ·dY` as one GEMM each over the run's pixels side by side.
fn backward_pointwise(
    g: &Geom,
    x: &[f32],
    wt: &[f32],
    dy: &[f32],
    want_dx: bool,
) -> (Option<Vec<f32>>, Vec<f32>) {
    let (chw, hwo) = (g.c * g.hw_in(), g.hw_out());
    let (_, par) = chunking(g.n);
    let wlen = g.o * g.c;
    let work = |xc: &[f32], dyc: &[f32], dxc: Option<&mut [MaybeUninit<f32>]>| -> Vec<f32> {
        let m = xc.len() / chw;
        let cols = m * hwo;
        let mut xcat = gather(g, xc, m, true);
        let dycat = gather(g, dyc, m, false);
        // SAFETY: the GEMM writes the whole `[O, C]` gradient.
        let dw = unsafe {
            simd::filled(wlen, |dw| {
                mm(
                    g.o,
                    g.c,
                    cols,
                    dw,
                    g.c,
                    false,
                    &dycat,
                    (cols, 1),
                    &xcat,
                    (1, cols),
                    par,
                )
            })
        };
        if let Some(dxc) = dxc {
            // dX of the run, side by side like X; reuse X's buffer.
            mm(
                g.c,
                cols,
                g.o,
                uninit(&mut xcat),
                cols,
                false,
                wt,
                (1, g.c),
                &dycat,
                (cols, 1),
                par,
            );
            let (s, hw) = (g.stride, g.hw_in());
            for i in 0..m {
                for c in 0..g.c {
                    let from = &xcat[c * cols + i * hwo..][..hwo];
                    let to = &mut dxc[(i * g.c + c) * hw..][..hw];
                    if s == 1 {
                        for (d, v) in to.iter_mut().zip(from) {
                            d.write(*v);
                        }
                    } else {
                        // Pixels the strided kernel skips get no gradient.
                        for d in to.iter_mut() {
                            d.write(0.0);
                        }
                        for (oy, row) in from.chunks_exact(g.wo).enumerate() {
                            let tr = &mut to[oy * s * g.w..];
                            for (ox, v) in row.iter().enumerate() {
                                tr[ox * s].write(*v);
                            }
                        }
                    }
                }
            }
        }
        dw
    };
    // SAFETY: `work` writes every pixel of its run's input gradient.
    unsafe { over_image_runs(g, x, dy, want_dx, wlen, work) }
}

/// The backward passes' driver: `work` gets runs of images (their inputs, output gradients and,
/// when `want_dx`, their slice of the input gradient) in parallel and returns its run's weight
/// gradient (`wlen` values); the runs' weight gradients are summed.
///
/// # Safety
/// `work` must write every element of the input-gradient slice it is given.
unsafe fn over_image_runs(
    g: &Geom,
    x: &[f32],
    dy: &[f32],
    want_dx: bool,
    wlen: usize,
    work: impl Fn(&[f32], &[f32], Option<&mut [MaybeUninit<f32>]>) -> Vec<f32> + Sync,
) -> (Option<Vec<f32>>, Vec<f32>) {
    let (chw, ohw) = (g.c * g.hw_in(), g.o * g.hw_out());
    // The weight gradient is a sum over runs: their number must not depend on the threads.
    let per = super::images_per_run(g.n);
    let (dx, partial): (Option<Vec<f32>>, Vec<Vec<f32>>) = if want_dx {
        let mut partial = Vec::new();
        // SAFETY: the caller's `work` writes every element of each run's slice.
        let dx = unsafe {
            simd::filled(g.n * chw, |dx| {
                partial = dx
                    .par_chunks_mut(per * chw)
                    .zip(x.par_chunks(per * chw).zip(dy.par_chunks(per * ohw)))
                    .map(|(dxc, (xc, dyc))| work(xc, dyc, Some(dxc)))
                    .collect();
            })
        };
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

/// The direct kernel's layout of `g` (a 3×3, padding-1 convolution at stride 1 or 2).
fn conv3x3(g: &Geom) -> Result<direct::Conv3x3> {
    direct::Conv3x3::new(g.h, g.w, g.stride)
        .ok_or_else(|| candle_core::Error::msg("ops::conv2d: direct kernel at stride 1 or 2 only"))
}

/// Every group's kernel rearranged by `f` (one of `Conv3x3`'s weight layouts).
fn per_group(
    g: &Geom,
    d: &direct::Conv3x3,
    wt: &[f32],
    f: impl Fn(&direct::Conv3x3, &[f32], usize, usize, &mut [f32]),
) -> Vec<f32> {
    let (cg, og) = (g.cg(), g.og());
    let len = og * cg * d.phases() * d.tap_count();
    let mut out = vec![0f32; g.groups * len];
    for gi in 0..g.groups {
        f(d, &wt[gi * og * cg * 9..], og, cg, &mut out[gi * len..]);
    }
    out
}

/// `y = conv(x, w)` into `y` by the direct 3×3 kernel: one task per (image, group), each
/// laying its group's input channels out as planes in a scratch buffer of its worker. Writes
/// every element of `y`.
fn forward_direct(
    g: &Geom,
    d: &direct::Conv3x3,
    x: &[f32],
    wt: &[f32],
    y: &mut [MaybeUninit<f32>],
) {
    let (cg, og, hw) = (g.cg(), g.og(), g.hw_in());
    let planes = cg * d.phases();
    let wf = per_group(g, d, wt, direct::Conv3x3::forward_weights);
    let wlen = og * planes * d.tap_count();
    let pass = d.forward_pass();
    let groups = g.groups;
    y.par_chunks_mut(og * g.hw_out())
        .enumerate()
        .with_min_len(groups.min(8))
        .for_each_init(
            || (vec![0f32; d.planes(planes)], vec![0f32; og * pass.flat()]),
            |(xp, flat), (task, yb)| {
                let (i, gi) = (task / groups, task % groups);
                d.input_planes(&x[(i * g.c + gi * cg) * hw..], cg, xp);
                direct::conv(pass, xp, planes, &wf[gi * wlen..], og, flat);
                d.unpack_output(flat, og, yb);
            },
        );
}

/// Gradients of `y = conv(x, w)` by the direct 3×3 kernel: `dx` (when `want_dx`) and `dw`.
/// Workers take runs of images, each with its own weight-gradient accumulator.
fn backward_direct(
    g: &Geom,
    x: &[f32],
    wt: &[f32],
    dy: &[f32],
    want_dx: bool,
) -> Result<(Option<Vec<f32>>, Vec<f32>)> {
    let d = conv3x3(g)?;
    let (cg, og, hw) = (g.cg(), g.og(), g.hw_in());
    let (chw, ohw) = (g.c * hw, g.o * g.hw_out());
    let planes = cg * d.phases();
    let t = d.tap_count();
    let wlen = og * planes * t;
    // The input gradient is a convolution of dy with each group's kernel transposed and flipped.
    let wb = per_group(g, &d, wt, direct::Conv3x3::backward_weights);
    let (fwd, bwd) = (d.forward_pass(), d.backward_pass());
    let work = |xc: &[f32], dyc: &[f32], mut dxc: Option<&mut [MaybeUninit<f32>]>| -> Vec<f32> {
        let mut lanes = vec![0f32; g.groups * direct::lanes_len(og, planes, t)];
        let mut xp = vec![0f32; d.planes(g.c * d.phases())];
        let mut dyp = vec![0f32; d.planes(g.o)];
        let mut flat = vec![0f32; planes * bwd.flat()];
        for (i, (xi, dyi)) in xc.chunks(chw).zip(dyc.chunks(ohw)).enumerate() {
            d.input_planes(xi, g.c, &mut xp);
            d.output_planes(dyi, g.o, &mut dyp);
            for gi in 0..g.groups {
                let dyg = &dyp[d.planes(gi * og)..];
                direct::weight_grad(
                    fwd,
                    dyg,
                    d.dy_offset(),
                    og,
                    &xp[d.planes(gi * planes)..],
                    planes,
                    &mut lanes[gi * direct::lanes_len(og, planes, t)..],
                );
                if let Some(dxc) = dxc.as_deref_mut() {
                    direct::conv(bwd, dyg, og, &wb[gi * wlen..], planes, &mut flat);
                    d.unpack_input_grad(&flat, cg, &mut dxc[i * chw + gi * cg * hw..]);
                }
            }
        }
        let mut dw = vec![0f32; g.o * cg * 9];
        for gi in 0..g.groups {
            d.add_weight_grad(
                &lanes[gi * direct::lanes_len(og, planes, t)..],
                og,
                cg,
                &mut dw[gi * og * cg * 9..],
            );
        }
        dw
    };
    // SAFETY: every image's every group unpacks its whole input gradient.
    Ok(unsafe { over_image_runs(g, x, dy, want_dx, g.o * cg * 9, work) })
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
    let (_, par) = chunking(g.n);
    let (og, kk, hwo) = (g.og(), g.kk(), g.hw_out());
    let wlen = g.o * kk;
    // One worker: its images, their slice of dx (when wanted), a weight-gradient accumulator
    // of its own.
    let work = |xc: &[f32], dyc: &[f32], mut dxc: Option<&mut [MaybeUninit<f32>]>| -> Vec<f32> {
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
                    dxi
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
    // SAFETY: every image's input gradient is written whole, by the GEMMs straight into it
    // (pointwise) or by `col2im`.
    unsafe { over_image_runs(g, x, dy, want_dx, wlen, work) }
}

/// The candle op: `conv2d(x, w)` with gradients for both.
pub(crate) struct Conv2dOp {
    pub stride: usize,
    pub padding: usize,
    pub groups: usize,
    pub algo: ConvAlgorithm,
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
        let len = g.n * g.o * g.hw_out();
        let y = if g.use_direct(self.algo)? {
            let d = conv3x3(&g)?;
            // SAFETY: every (image, group) task unpacks its whole output block.
            unsafe { simd::filled(len, |y| forward_direct(&g, &d, x, wt, y)) }
        } else if g.pointwise_batched() && self.algo != ConvAlgorithm::Gemm {
            // SAFETY: every run of images scatters its whole output block.
            unsafe { simd::filled(len, |y| forward_pointwise(&g, x, wt, y)) }
        } else {
            // SAFETY: the GEMMs of all images and groups write every output element.
            unsafe { simd::filled(len, |y| forward(&g, x, wt, y)) }
        };
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
        let direct = g.use_direct(self.algo)?;
        let batched = g.pointwise_batched() && self.algo != ConvAlgorithm::Gemm;
        let (dx, dw) = with_f32(x, |xs| {
            with_f32(wt, |ws| {
                with_f32(grad, |gs| {
                    if direct {
                        backward_direct(&g, xs, ws, gs, want_dx)
                    } else if batched {
                        Ok(backward_pointwise(&g, xs, ws, gs, want_dx))
                    } else {
                        Ok(backward(&g, xs, ws, gs, want_dx))
                    }
                })
            })
        })????;
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
