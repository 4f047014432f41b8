//! Direct 3×3 convolution (stride 1, padding 1) with AVX2 + FMA, for the narrow groups of the
//! X and Y blocks: forward, input gradient and weight gradient.
//!
//! Why: with a group width of 8 one group's GEMM is 8 × 72 by 72 × H·W. Such small GEMMs spend
//! most of their time packing operands, the im2col copy that feeds them writes every input nine
//! times, and the input gradient (a GEMM with an inner dimension of 8, then col2im) is worse.
//! The grouped 3×3 convolution ran fwd + bwd at 0.42× PyTorch's speed that way
//! (`benches/train_step.rs`, case `conv`).
//!
//! The trick that makes a direct loop simple: pad each channel to (H+2)×(W+2) and compute the
//! output at every column of the *padded* width, row after row, as one flat vector. Then every
//! kernel tap (ky, kx) reads the same flat vector of padded input shifted by ky·(W+2) + kx: one
//! contiguous load feeds the FMAs of several output channels, and nothing is copied nine times.
//! The two extra columns per row are computed and dropped when the result is unpacked.
//!
//! - forward: `y[o] = Σ_ci Σ_t w[o, ci, t] · xpad[ci] ≫ off(t)`;
//! - input gradient (stride 1): the same convolution of the padded output gradient with the
//!   kernel transposed per group and flipped in space;
//! - weight gradient: `dw[o, ci, t] = Σ_q dy[o](q) · xpad[ci](q + off(t))`, a dot product over
//!   the flat grid, where `dy` read from its padded plane is zero on the dropped columns.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;
use std::mem::MaybeUninit;

/// Floats per vector.
const V: usize = 8;
/// Vectors per output tile in the forward kernel: 4 channels × 3 vectors = 12 accumulators,
/// plus 3 input vectors and a broadcast weight, fill the 16 AVX2 registers.
const PV: usize = 3;

/// Whether the direct kernels can run here (x86-64 with AVX2 and FMA).
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The flat padded grid of one H×W feature map.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plane {
    h: usize,
    w: usize,
    /// Padded row length, W + 2.
    wp: usize,
    /// Vectors covering the flat output, H·(W+2) values rounded up.
    nv: usize,
    /// Floats per padded channel: the (H+2)×(W+2) image plus the zeros that the last output
    /// vector's farthest tap reads past it.
    stride: usize,
}

impl Plane {
    pub(crate) fn new(h: usize, w: usize) -> Plane {
        let wp = w + 2;
        let nv = (h * wp).div_ceil(V);
        let stride = ((h + 2) * wp).max(nv * V + 2 * wp + 2).next_multiple_of(V);
        Plane {
            h,
            w,
            wp,
            nv,
            stride,
        }
    }

    /// Floats of one channel's flat output.
    pub(crate) fn flat(&self) -> usize {
        self.nv * V
    }

    /// Floats of `c` padded channels.
    pub(crate) fn padded_len(&self, c: usize) -> usize {
        c * self.stride
    }

    /// Offsets of the nine taps in a padded channel, row-major as the kernel.
    fn taps(&self) -> [usize; 9] {
        std::array::from_fn(|t| (t / 3) * self.wp + t % 3)
    }

    /// Copy `c` channels `[C, H, W]` into the interiors of padded planes `dst` (`[C][stride]`)
    /// whose borders are zero and stay zero.
    pub(crate) fn pad(&self, x: &[f32], c: usize, dst: &mut [f32]) {
        let (h, w, wp) = (self.h, self.w, self.wp);
        for ci in 0..c {
            let src = &x[ci * h * w..][..h * w];
            let plane = &mut dst[ci * self.stride..][..self.stride];
            for (iy, row) in src.chunks_exact(w).enumerate() {
                // An element loop, not `copy_from_slice`: rows of 4–32 floats would each be
                // a `memmove` call (15 % of a grouped conv's time in a profile).
                for (d, v) in plane[(iy + 1) * wp + 1..][..w].iter_mut().zip(row) {
                    *d = *v;
                }
            }
        }
    }

    /// Copy `c` flat outputs (`[C][flat]`) to `[C, H, W]`, dropping the padding columns;
    /// writes every element of the `C·H·W` values of `dst`.
    pub(crate) fn unpack(&self, flat: &[f32], c: usize, dst: &mut [MaybeUninit<f32>]) {
        let (h, w, wp) = (self.h, self.w, self.wp);
        for ci in 0..c {
            let src = &flat[ci * self.flat()..];
            let out = &mut dst[ci * h * w..][..h * w];
            for (oy, row) in out.chunks_exact_mut(w).enumerate() {
                for (d, v) in row.iter_mut().zip(&src[oy * wp..][..w]) {
                    d.write(*v);
                }
            }
        }
    }
}

/// `out[o] = Σ_ci Σ_t w[o, ci, t] · xpad[ci] ≫ off(t)` for one group: `xpad` holds `cin`
/// padded channels, `w` is `[cout, cin, 3, 3]`, `out` is `[cout][flat]`.
///
/// Panics if a slice is too short (a bug in the caller, not bad input).
pub(crate) fn conv(p: &Plane, xpad: &[f32], cin: usize, w: &[f32], cout: usize, out: &mut [f32]) {
    assert!(available(), "direct conv without AVX2/FMA");
    assert!(xpad.len() >= p.padded_len(cin) && w.len() >= cout * cin * 9);
    assert!(out.len() >= cout * p.flat());
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX2 and FMA are present (asserted); every read is inside `xpad` (the farthest,
    // last vector + the last tap, is < `stride` by `Plane::new`) and `w`, every write inside
    // `out`, by the asserts above.
    unsafe {
        conv_avx2(p, xpad.as_ptr(), cin, w.as_ptr(), cout, out.as_mut_ptr())
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn conv_avx2(
    p: &Plane,
    xpad: *const f32,
    cin: usize,
    w: *const f32,
    cout: usize,
    out: *mut f32,
) {
    let taps = p.taps();
    let mut o = 0;
    while o + 4 <= cout {
        unsafe {
            conv_rows::<4>(
                p,
                &taps,
                xpad,
                cin,
                w.add(o * cin * 9),
                out.add(o * p.flat()),
            )
        };
        o += 4;
    }
    while o < cout {
        unsafe {
            conv_rows::<1>(
                p,
                &taps,
                xpad,
                cin,
                w.add(o * cin * 9),
                out.add(o * p.flat()),
            )
        };
        o += 1;
    }
}

/// All output vectors of `OB` consecutive output channels.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn conv_rows<const OB: usize>(
    p: &Plane,
    taps: &[usize; 9],
    xpad: *const f32,
    cin: usize,
    w: *const f32,
    out: *mut f32,
) {
    let mut v = 0;
    while v + PV <= p.nv {
        unsafe { conv_tile::<OB, PV>(p, taps, xpad, cin, w, out, v) };
        v += PV;
    }
    while v < p.nv {
        unsafe { conv_tile::<OB, 1>(p, taps, xpad, cin, w, out, v) };
        v += 1;
    }
}

/// `OB` output channels × `NV` vectors starting at vector `v`, accumulated in registers over
/// every input channel and tap.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn conv_tile<const OB: usize, const NV: usize>(
    p: &Plane,
    taps: &[usize; 9],
    xpad: *const f32,
    cin: usize,
    w: *const f32,
    out: *mut f32,
    v: usize,
) {
    let mut acc = [[_mm256_setzero_ps(); NV]; OB];
    let wrow = cin * 9;
    for ci in 0..cin {
        // SAFETY (whole body): offsets bounded as stated in `conv`.
        let xc = unsafe { xpad.add(ci * p.stride + v * V) };
        let wc = unsafe { w.add(ci * 9) };
        for (t, &off) in taps.iter().enumerate() {
            let mut xs = [_mm256_setzero_ps(); NV];
            for (j, x) in xs.iter_mut().enumerate() {
                *x = unsafe { _mm256_loadu_ps(xc.add(off + j * V)) };
            }
            for (o, acc_o) in acc.iter_mut().enumerate() {
                let wv = unsafe { _mm256_broadcast_ss(&*wc.add(o * wrow + t)) };
                for (a, x) in acc_o.iter_mut().zip(&xs) {
                    *a = _mm256_fmadd_ps(wv, *x, *a);
                }
            }
        }
    }
    for (o, acc_o) in acc.iter().enumerate() {
        for (j, a) in acc_o.iter().enumerate() {
            unsafe { _mm256_storeu_ps(out.add(o * p.flat() + (v + j) * V), *a) };
        }
    }
}

/// Floats of the lane accumulators of [`weight_grad`] for a `[cout, cin, 3, 3]` kernel.
pub(crate) fn lanes_len(cout: usize, cin: usize) -> usize {
    cout * cin * 9 * V
}

/// `dw[o, ci, t] += Σ_q dy[o](q) · xpad[ci](q + off(t))` for one group, kept as 8 partial
/// sums per weight in `lanes` (`[cout, cin, 3, 3, 8]`; see [`sum_lanes`]) so that the sums
/// over images need no horizontal reduction each. `dypad` holds `cout` padded channels of the
/// output gradient, `xpad` `cin` padded input channels.
///
/// Panics if a slice is too short (a bug in the caller, not bad input).
pub(crate) fn weight_grad(
    p: &Plane,
    dypad: &[f32],
    cout: usize,
    xpad: &[f32],
    cin: usize,
    lanes: &mut [f32],
) {
    assert!(available(), "direct conv without AVX2/FMA");
    assert!(dypad.len() >= p.padded_len(cout) && xpad.len() >= p.padded_len(cin));
    assert!(lanes.len() >= lanes_len(cout, cin));
    let dw = lanes;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX2 and FMA are present; the output gradient is read at `wp + 1 + q` and the
    // input at `q + off(t)` for `q < flat`, both below `stride` by `Plane::new`.
    unsafe {
        let mut o = 0;
        while o + 4 <= cout {
            weight_grad_rows::<4>(p, dypad.as_ptr(), o, xpad.as_ptr(), cin, dw);
            o += 4;
        }
        while o < cout {
            weight_grad_rows::<1>(p, dypad.as_ptr(), o, xpad.as_ptr(), cin, dw);
            o += 1;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn weight_grad_rows<const OB: usize>(
    p: &Plane,
    dypad: *const f32,
    o0: usize,
    xpad: *const f32,
    cin: usize,
    lanes: &mut [f32],
) {
    // The output gradient's flat grid starts at its first interior pixel.
    let dy = unsafe { dypad.add(o0 * p.stride + p.wp + 1) };
    for ci in 0..cin {
        for ky in 0..3 {
            let xr = unsafe { xpad.add(ci * p.stride + ky * p.wp) };
            // OB channels × 3 taps (kx) = 12 accumulators, plus 3 inputs and one gradient.
            let at = |o: usize, kx: usize| (((o0 + o) * cin + ci) * 9 + ky * 3 + kx) * V;
            let mut acc = [[_mm256_setzero_ps(); 3]; OB];
            for (o, acc_o) in acc.iter_mut().enumerate() {
                for (kx, a) in acc_o.iter_mut().enumerate() {
                    *a = unsafe { _mm256_loadu_ps(lanes[at(o, kx)..][..V].as_ptr()) };
                }
            }
            for v in 0..p.nv {
                let mut xs = [_mm256_setzero_ps(); 3];
                for (kx, x) in xs.iter_mut().enumerate() {
                    *x = unsafe { _mm256_loadu_ps(xr.add(v * V + kx)) };
                }
                for (o, acc_o) in acc.iter_mut().enumerate() {
                    let d = unsafe { _mm256_loadu_ps(dy.add(o * p.stride + v * V)) };
                    for (a, x) in acc_o.iter_mut().zip(&xs) {
                        *a = _mm256_fmadd_ps(d, *x, *a);
                    }
                }
            }
            for (o, acc_o) in acc.iter().enumerate() {
                for (kx, a) in acc_o.iter().enumerate() {
                    unsafe { _mm256_storeu_ps(lanes[at(o, kx)..][..V].as_mut_ptr(), *a) };
                }
            }
        }
    }
}

/// `dw[i] += Σ lanes[i·8 .. i·8 + 8]`: the weight gradient from [`weight_grad`]'s partial sums.
pub(crate) fn sum_lanes(lanes: &[f32], dw: &mut [f32]) {
    for (d, l) in dw.iter_mut().zip(lanes.chunks_exact(V)) {
        *d += l.iter().sum::<f32>();
    }
}

/// The kernel of the input gradient for one group: `w` `[cout, cin, 3, 3]` → `[cin, cout, 3, 3]`
/// with each 3×3 tap table reversed, written to `dst`.
pub(crate) fn transpose_flip(w: &[f32], cout: usize, cin: usize, dst: &mut [f32]) {
    for o in 0..cout {
        for ci in 0..cin {
            for t in 0..9 {
                dst[(ci * cout + o) * 9 + 8 - t] = w[(o * cin + ci) * 9 + t];
            }
        }
    }
}
