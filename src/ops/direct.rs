//! Direct 3×3 convolution (padding 1, stride 1 or 2) with AVX2 + FMA, for the narrow groups of
//! the X and Y blocks: forward, input gradient and weight gradient.
//!
//! Why: with a group width of 8 one group's GEMM is 8 × 72 by 72 × H·W. Such small GEMMs spend
//! most of their time packing operands, the im2col copy that feeds them writes every input nine
//! times, and the input gradient (a GEMM with an inner dimension of 8, then col2im) is worse.
//! The grouped 3×3 convolution ran fwd + bwd at 0.42× PyTorch's speed that way
//! (`benches/train_step.rs`, case `conv`); `examples/conv_algorithms.rs` compares the two.
//!
//! The trick that makes a direct loop simple: pad each channel to (H+2)×(W+2) and compute the
//! output at every column of the *padded* width, row after row, as one flat vector. Then every
//! kernel tap (ky, kx) reads the same flat vector of padded input shifted by ky·(W+2) + kx: one
//! contiguous load feeds the FMAs of several output channels, and nothing is copied nine times.
//! The extra columns per row are computed and dropped when the result is unpacked.
//!
//! Stride 2 becomes stride 1 by splitting the padded input into its four phases (even/odd rows
//! × even/odd columns): tap (ky, kx) reads phase (ky mod 2, kx mod 2) at (ky/2, kx/2), so the
//! convolution is a stride-1 2×2 convolution over 4·C phase planes (taps past the 3×3 kernel
//! get zero weights). Its input gradient is again such a convolution, of the output gradient
//! with the kernel flipped, giving the gradient of each phase.
//!
//! - forward: `y[o] = Σ_i Σ_t w[o, i, t] · x[i] ≫ off(t)` over input planes `i` and taps `t`;
//! - input gradient: the same kernel on the padded output gradient with the transposed,
//!   flipped weights ([`Conv3x3::backward_weights`]);
//! - weight gradient: `dw[o, i, t] = Σ_q dy[o](q) · x[i](q + off(t))`, a dot product over the
//!   flat grid, where `dy` read from its padded plane is zero on the dropped columns.

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

/// One pass of the flat-grid kernel: `nv` output vectors per plane, planes `stride` floats
/// apart, and the offsets of the taps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pass<'a> {
    nv: usize,
    stride: usize,
    taps: &'a [usize],
}

impl Pass<'_> {
    /// Floats of one output plane.
    pub(crate) fn flat(&self) -> usize {
        self.nv * V
    }
}

/// A 3×3 convolution with padding 1 at stride 1 or 2 over H×W maps, laid out for the kernels:
/// how inputs become planes, the two passes' grids, and how results come back.
#[derive(Debug, Clone)]
pub(crate) struct Conv3x3 {
    s: usize,
    h: usize,
    w: usize,
    ho: usize,
    wo: usize,
    /// Row length of every grid and plane: W + 2 at stride 1, the phase width ⌈(W+2)/2⌉ at 2.
    width: usize,
    taps: Vec<usize>,
    nv_f: usize,
    nv_b: usize,
    /// Floats per plane, for every plane buffer: room for the content and for the farthest read.
    stride: usize,
}

impl Conv3x3 {
    /// `None` unless stride is 1 or 2.
    pub(crate) fn new(h: usize, w: usize, s: usize) -> Option<Conv3x3> {
        let (ho, wo) = ((h - 1) / s + 1, (w - 1) / s + 1);
        let (width, rows_in, rows_b, k) = match s {
            1 => (w + 2, h + 2, h, 3),
            2 => (w.div_ceil(2) + 1, h.div_ceil(2) + 1, h.div_ceil(2) + 1, 2),
            _ => return None,
        };
        let taps: Vec<usize> = (0..k * k).map(|t| (t / k) * width + t % k).collect();
        let reach = taps[k * k - 1];
        // The input-gradient grid has H rows at stride 1, the phase height at stride 2.
        let nv_f = (ho * width).div_ceil(V);
        let nv_b = (rows_b * width).div_ceil(V);
        let stride = [
            rows_in * width,      // input planes
            (ho + 2) * width,     // output-gradient planes
            nv_f * V + reach,     // forward reads
            nv_b * V + reach,     // input-gradient reads
            nv_f * V + width + 1, // weight-gradient reads of the output gradient
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
        .next_multiple_of(V);
        Some(Conv3x3 {
            s,
            h,
            w,
            ho,
            wo,
            width,
            taps,
            nv_f,
            nv_b,
            stride,
        })
    }

    /// Input planes per channel: 1, or the 4 phases at stride 2.
    pub(crate) fn phases(&self) -> usize {
        self.s * self.s
    }

    /// Taps per (output, input plane) pair of the flat kernels: 9, or 4 at stride 2.
    pub(crate) fn tap_count(&self) -> usize {
        self.taps.len()
    }

    /// Floats of `n` planes.
    pub(crate) fn planes(&self, n: usize) -> usize {
        n * self.stride
    }

    /// The forward (and weight-gradient) pass: output rows at the padded width.
    pub(crate) fn forward_pass(&self) -> Pass<'_> {
        Pass {
            nv: self.nv_f,
            stride: self.stride,
            taps: &self.taps,
        }
    }

    /// The input-gradient pass.
    pub(crate) fn backward_pass(&self) -> Pass<'_> {
        Pass {
            nv: self.nv_b,
            stride: self.stride,
            taps: &self.taps,
        }
    }

    /// Planes of `c` input channels `[C, H, W]` into `dst` (`c · phases()` planes), whose
    /// zero borders are never written and stay zero.
    pub(crate) fn input_planes(&self, x: &[f32], c: usize, dst: &mut [f32]) {
        let (h, w, wd) = (self.h, self.w, self.width);
        for ci in 0..c {
            let src = &x[ci * h * w..][..h * w];
            if self.s == 1 {
                let plane = &mut dst[ci * self.stride..][..self.stride];
                for (iy, row) in src.chunks_exact(w).enumerate() {
                    copy(&mut plane[(iy + 1) * wd + 1..][..w], row);
                }
            } else {
                // Padded pixel (py, px) = (iy + 1, ix + 1) goes to phase (py mod 2, px mod 2)
                // at (py / 2, px / 2).
                for (iy, row) in src.chunks_exact(w).enumerate() {
                    let py = iy + 1;
                    for (ix, v) in row.iter().enumerate() {
                        let px = ix + 1;
                        let phase = (py % 2) * 2 + px % 2;
                        dst[(ci * 4 + phase) * self.stride + (py / 2) * wd + px / 2] = *v;
                    }
                }
            }
        }
    }

    /// Planes of `c` output-gradient channels `[C, Ho, Wo]` into `dst`, each placed one row
    /// and one column in: read at [`Conv3x3::dy_offset`] it lies on the forward grid with
    /// zeros on the dropped columns; read whole it is the padded input of the input-gradient
    /// pass.
    pub(crate) fn output_planes(&self, dy: &[f32], c: usize, dst: &mut [f32]) {
        let (ho, wo, wd) = (self.ho, self.wo, self.width);
        for ci in 0..c {
            let src = &dy[ci * ho * wo..][..ho * wo];
            let plane = &mut dst[ci * self.stride..][..self.stride];
            for (oy, row) in src.chunks_exact(wo).enumerate() {
                copy(&mut plane[(oy + 1) * wd + 1..][..wo], row);
            }
        }
    }

    /// Where the forward grid starts in an output-gradient plane.
    pub(crate) fn dy_offset(&self) -> usize {
        self.width + 1
    }

    /// `c` forward outputs (`[C][flat]`) to `[C, Ho, Wo]`, dropping the padding columns;
    /// writes every element of the `C·Ho·Wo` values of `dst`.
    pub(crate) fn unpack_output(&self, flat: &[f32], c: usize, dst: &mut [MaybeUninit<f32>]) {
        let (ho, wo, wd, f) = (self.ho, self.wo, self.width, self.nv_f * V);
        for ci in 0..c {
            let out = &mut dst[ci * ho * wo..][..ho * wo];
            for (oy, row) in out.chunks_exact_mut(wo).enumerate() {
                for (d, v) in row.iter_mut().zip(&flat[ci * f + oy * wd..][..wo]) {
                    d.write(*v);
                }
            }
        }
    }

    /// The input-gradient pass's planes (`c · phases()` of them, `[.][flat]`) to `[C, H, W]`;
    /// writes every element of the `C·H·W` values of `dst`.
    pub(crate) fn unpack_input_grad(&self, flat: &[f32], c: usize, dst: &mut [MaybeUninit<f32>]) {
        let (h, w, wd, f) = (self.h, self.w, self.width, self.nv_b * V);
        for ci in 0..c {
            let out = &mut dst[ci * h * w..][..h * w];
            for (iy, row) in out.chunks_exact_mut(w).enumerate() {
                if self.s == 1 {
                    for (d, v) in row.iter_mut().zip(&flat[ci * f + iy * wd..][..w]) {
                        d.write(*v);
                    }
                } else {
                    let py = iy + 1;
                    for (ix, d) in row.iter_mut().enumerate() {
                        let px = ix + 1;
                        let phase = (py % 2) * 2 + px % 2;
                        d.write(flat[(ci * 4 + phase) * f + (py / 2) * wd + px / 2]);
                    }
                }
            }
        }
    }

    /// One group's kernel `[cout, cin, 3, 3]` as the forward pass reads it:
    /// `[cout, cin · phases, taps]`.
    pub(crate) fn forward_weights(&self, w: &[f32], cout: usize, cin: usize, dst: &mut [f32]) {
        let t = self.tap_count();
        let ip = cin * self.phases();
        for o in 0..cout {
            for ci in 0..cin {
                for k in 0..9 {
                    let (i, tap) = self.plane_tap(ci, k / 3, k % 3);
                    dst[(o * ip + i) * t + tap] = w[(o * cin + ci) * 9 + k];
                }
            }
        }
    }

    /// One group's kernel as the input-gradient pass reads it: transposed and flipped,
    /// `[cin · phases, cout, taps]` (zeros where a phase has no tap).
    pub(crate) fn backward_weights(&self, w: &[f32], cout: usize, cin: usize, dst: &mut [f32]) {
        let t = self.tap_count();
        dst[..cin * self.phases() * cout * t].fill(0.0);
        for o in 0..cout {
            for ci in 0..cin {
                for k in 0..9 {
                    let (ky, kx) = (k / 3, k % 3);
                    let (i, tap) = self.plane_tap(ci, ky, kx);
                    // Flipped: the tap's offset from the far corner of the kernel's reach.
                    let flipped = t - 1 - tap;
                    dst[(i * cout + o) * t + flipped] = w[(o * cin + ci) * 9 + ky * 3 + kx];
                }
            }
        }
    }

    /// `dw[o, ci, ky, kx] += ` the weight-gradient lanes (`[cout, cin · phases, taps, 8]`).
    pub(crate) fn add_weight_grad(&self, lanes: &[f32], cout: usize, cin: usize, dw: &mut [f32]) {
        let t = self.tap_count();
        let ip = cin * self.phases();
        for o in 0..cout {
            for ci in 0..cin {
                for k in 0..9 {
                    let (i, tap) = self.plane_tap(ci, k / 3, k % 3);
                    let l = &lanes[((o * ip + i) * t + tap) * V..][..V];
                    dw[(o * cin + ci) * 9 + k] += l.iter().sum::<f32>();
                }
            }
        }
    }

    /// The input plane and tap that kernel position (ky, kx) of input channel `ci` reads.
    fn plane_tap(&self, ci: usize, ky: usize, kx: usize) -> (usize, usize) {
        if self.s == 1 {
            (ci, ky * 3 + kx)
        } else {
            (ci * 4 + (ky % 2) * 2 + kx % 2, (ky / 2) * 2 + kx / 2)
        }
    }
}

/// `dst = src` for one row.
#[inline(always)]
fn copy(dst: &mut [f32], src: &[f32]) {
    dst.copy_from_slice(src);
}

/// `out[o] = Σ_i Σ_t w[o, i, t] · x[i] ≫ taps[t]` on the grid of `pass`: `x` holds `cin`
/// planes, `w` is `[cout, cin, taps]`, `out` is `[cout][flat]`.
///
/// Panics if a slice is too short (a bug in the caller, not bad input).
pub(crate) fn conv(p: Pass, x: &[f32], cin: usize, w: &[f32], cout: usize, out: &mut [f32]) {
    let t = p.taps.len();
    let reach = p.taps.iter().copied().max().unwrap_or(0);
    assert!(available(), "direct conv without AVX2/FMA");
    assert!(p.nv * V + reach <= p.stride && x.len() >= cin * p.stride);
    assert!(w.len() >= cout * cin * t && out.len() >= cout * p.flat());
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX2 and FMA are present (asserted); every read is inside `x` (the farthest, the
    // last vector + the farthest tap, is below `stride`) and `w`, every write inside `out`, by
    // the asserts above.
    unsafe {
        match t {
            9 => conv_channels::<9>(p, x.as_ptr(), cin, w.as_ptr(), cout, out.as_mut_ptr()),
            4 => conv_channels::<4>(p, x.as_ptr(), cin, w.as_ptr(), cout, out.as_mut_ptr()),
            _ => unreachable!("3×3 kernels have 9 taps, or 4 per phase"),
        }
    }
}

/// Every output channel, 4 at a time; `T` taps, known at compile time so that the tap loop
/// unrolls with its offsets in registers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn conv_channels<const T: usize>(
    p: Pass,
    x: *const f32,
    cin: usize,
    w: *const f32,
    cout: usize,
    out: *mut f32,
) {
    let taps: [usize; T] = std::array::from_fn(|k| p.taps[k]);
    let mut o = 0;
    // SAFETY: as stated in `conv`.
    unsafe {
        while o + 4 <= cout {
            conv_rows::<4, T>(p, &taps, x, cin, w.add(o * cin * T), out.add(o * p.flat()));
            o += 4;
        }
        while o < cout {
            conv_rows::<1, T>(p, &taps, x, cin, w.add(o * cin * T), out.add(o * p.flat()));
            o += 1;
        }
    }
}

/// All output vectors of `OB` consecutive output channels.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn conv_rows<const OB: usize, const T: usize>(
    p: Pass,
    taps: &[usize; T],
    x: *const f32,
    cin: usize,
    w: *const f32,
    out: *mut f32,
) {
    let mut v = 0;
    while v + PV <= p.nv {
        unsafe { conv_tile::<OB, PV, T>(p, taps, x, cin, w, out, v) };
        v += PV;
    }
    while v < p.nv {
        unsafe { conv_tile::<OB, 1, T>(p, taps, x, cin, w, out, v) };
        v += 1;
    }
}

/// `OB` output channels × `NV` vectors starting at vector `v`, accumulated in registers over
/// every input plane and tap.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn conv_tile<const OB: usize, const NV: usize, const T: usize>(
    p: Pass,
    taps: &[usize; T],
    x: *const f32,
    cin: usize,
    w: *const f32,
    out: *mut f32,
    v: usize,
) {
    let mut acc = [[_mm256_setzero_ps(); NV]; OB];
    let wrow = cin * T;
    for ci in 0..cin {
        // SAFETY (whole body): offsets bounded as stated in `conv`.
        let xc = unsafe { x.add(ci * p.stride + v * V) };
        let wc = unsafe { w.add(ci * T) };
        for (k, &off) in taps.iter().enumerate() {
            let mut xs = [_mm256_setzero_ps(); NV];
            for (j, xv) in xs.iter_mut().enumerate() {
                *xv = unsafe { _mm256_loadu_ps(xc.add(off + j * V)) };
            }
            for (o, acc_o) in acc.iter_mut().enumerate() {
                let wv = unsafe { _mm256_broadcast_ss(&*wc.add(o * wrow + k)) };
                for (a, xv) in acc_o.iter_mut().zip(&xs) {
                    *a = _mm256_fmadd_ps(wv, *xv, *a);
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

/// Floats of the lane accumulators of [`weight_grad`] for `cout × cin` planes and `taps` taps.
pub(crate) fn lanes_len(cout: usize, cin: usize, taps: usize) -> usize {
    cout * cin * taps * V
}

/// `dw[o, i, t] += Σ_q dy[o](q) · x[i](q + taps[t])` on the grid of `pass`, kept as 8 partial
/// sums per weight in `lanes` (`[cout, cin, taps, 8]`) so that the sums over images need no
/// horizontal reduction each. `dy` holds `cout` planes read from `dy_off` on, `x` `cin` planes.
///
/// Panics if a slice is too short (a bug in the caller, not bad input).
pub(crate) fn weight_grad(
    p: Pass,
    dy: &[f32],
    dy_off: usize,
    cout: usize,
    x: &[f32],
    cin: usize,
    lanes: &mut [f32],
) {
    let reach = p.taps.iter().copied().max().unwrap_or(0);
    assert!(available(), "direct conv without AVX2/FMA");
    assert!(p.nv * V + reach <= p.stride && p.nv * V + dy_off <= p.stride);
    assert!(dy.len() >= cout * p.stride && x.len() >= cin * p.stride);
    assert!(lanes.len() >= lanes_len(cout, cin, p.taps.len()));
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX2 and FMA are present; the output gradient is read at `dy_off + q` and the
    // input at `q + taps[t]` for `q < flat`, both below `stride` (asserted).
    unsafe {
        let dy = dy.as_ptr().add(dy_off);
        match p.taps.len() {
            9 => weight_grad_channels::<9>(p, dy, cout, x.as_ptr(), cin, lanes),
            4 => weight_grad_channels::<4>(p, dy, cout, x.as_ptr(), cin, lanes),
            _ => unreachable!("3×3 kernels have 9 taps, or 4 per phase"),
        }
    }
}

/// Every output channel, 4 at a time, for `T` taps known at compile time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn weight_grad_channels<const T: usize>(
    p: Pass,
    dy: *const f32,
    cout: usize,
    x: *const f32,
    cin: usize,
    lanes: &mut [f32],
) {
    let taps: [usize; T] = std::array::from_fn(|k| p.taps[k]);
    let mut o = 0;
    // SAFETY: as stated in `weight_grad`.
    unsafe {
        while o + 4 <= cout {
            weight_grad_rows::<4, T>(p, &taps, dy, o, x, cin, lanes);
            o += 4;
        }
        while o < cout {
            weight_grad_rows::<1, T>(p, &taps, dy, o, x, cin, lanes);
            o += 1;
        }
    }
}

/// Output channels `o0 .. o0 + OB`: every input plane, taps in runs of up to 3.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn weight_grad_rows<const OB: usize, const T: usize>(
    p: Pass,
    taps: &[usize; T],
    dy: *const f32,
    o0: usize,
    x: *const f32,
    cin: usize,
    lanes: &mut [f32],
) {
    for ci in 0..cin {
        let mut k = 0;
        while k < T {
            let run = (T - k).min(3);
            let at = (((o0 * cin) + ci) * T + k) * V;
            let taps = &taps[k..];
            // SAFETY: as stated in `weight_grad`.
            unsafe {
                match run {
                    3 => {
                        weight_grad_tile::<OB, 3, T>(p, taps, dy, o0, x, ci, cin, &mut lanes[at..])
                    }
                    2 => {
                        weight_grad_tile::<OB, 2, T>(p, taps, dy, o0, x, ci, cin, &mut lanes[at..])
                    }
                    _ => {
                        weight_grad_tile::<OB, 1, T>(p, taps, dy, o0, x, ci, cin, &mut lanes[at..])
                    }
                }
            }
            k += run;
        }
    }
}

/// `OB` output channels × the `NT` taps at the start of `taps` (tap `k` of `T`, where `lanes`
/// starts) of input plane `ci`: 12 accumulators at most, plus `NT` inputs and one gradient.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
#[allow(clippy::too_many_arguments)]
unsafe fn weight_grad_tile<const OB: usize, const NT: usize, const T: usize>(
    p: Pass,
    taps: &[usize],
    dy: *const f32,
    o0: usize,
    x: *const f32,
    ci: usize,
    cin: usize,
    lanes: &mut [f32],
) {
    let offs: [usize; NT] = std::array::from_fn(|j| taps[j]);
    // Lane block of (o0 + o, ci, k + j), relative to (o0, ci, k).
    let at = |o: usize, j: usize| ((o * cin) * T + j) * V;
    let mut acc = [[_mm256_setzero_ps(); NT]; OB];
    for (o, acc_o) in acc.iter_mut().enumerate() {
        for (j, a) in acc_o.iter_mut().enumerate() {
            *a = unsafe { _mm256_loadu_ps(lanes[at(o, j)..][..V].as_ptr()) };
        }
    }
    let xc = unsafe { x.add(ci * p.stride) };
    for v in 0..p.nv {
        let mut xs = [_mm256_setzero_ps(); NT];
        for (j, xv) in xs.iter_mut().enumerate() {
            *xv = unsafe { _mm256_loadu_ps(xc.add(v * V + offs[j])) };
        }
        for (o, acc_o) in acc.iter_mut().enumerate() {
            let d = unsafe { _mm256_loadu_ps(dy.add((o0 + o) * p.stride + v * V)) };
            for (a, xv) in acc_o.iter_mut().zip(&xs) {
                *a = _mm256_fmadd_ps(d, *xv, *a);
            }
        }
    }
    for (o, acc_o) in acc.iter().enumerate() {
        for (j, a) in acc_o.iter().enumerate() {
            unsafe { _mm256_storeu_ps(lanes[at(o, j)..][..V].as_mut_ptr(), *a) };
        }
    }
}
