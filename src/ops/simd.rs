//! The element-wise and reduction loops of the fast ops, compiled twice: for the build's
//! baseline target and with AVX2 + FMA, picked at run time.
//!
//! Why: the crate is built for baseline x86-64 (SSE2), where these loops ran as scalar code in
//! a profile of the training step (BatchNorm reductions alone ~14 % of the step). The bodies are
//! written as bounds-check-free, branch-free lane loops so that the compiler vectorises them;
//! the AVX2 copy doubles the vector width. Results do not depend on the copy taken (no FMA
//! contraction without fast-math).

// Lane loops index several fixed-size arrays in step; that is what the vectoriser wants.
#![allow(clippy::needless_range_loop)]

use std::mem::MaybeUninit;

/// Lanes of the reduction accumulators (two AVX registers).
const L: usize = 16;

macro_rules! multiversion {
    ($(#[$doc:meta])* pub fn $name:ident<const $c:ident: bool>($($a:ident: $t:ty),* $(,)?) $(-> $r:ty)?, $imp:ident, $avx:ident) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $avx<const $c: bool>($($a: $t),*) $(-> $r)? {
            $imp::<$c>($($a),*)
        }
        $(#[$doc])*
        #[inline]
        pub fn $name<const $c: bool>($($a: $t),*) $(-> $r)? {
            #[cfg(target_arch = "x86_64")]
            if avx2() {
                // SAFETY: the CPU supports AVX2 and FMA (checked at run time).
                return unsafe { $avx::<$c>($($a),*) };
            }
            $imp::<$c>($($a),*)
        }
    };
}

#[cfg(target_arch = "x86_64")]
fn avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// Per-lane partial sums, carried across the rows of one channel and reduced once (in f64)
/// by [`Lanes::total`]: short rows (4×4 maps) then cost no per-row reduction.
#[derive(Clone, Copy)]
pub struct Lanes {
    s: [f32; L],
    q: [f32; L],
}

impl Default for Lanes {
    fn default() -> Self {
        Lanes {
            s: [0.0; L],
            q: [0.0; L],
        }
    }
}

impl Lanes {
    pub fn total(&self) -> (f64, f64) {
        let sum = |a: &[f32; L]| a.iter().map(|v| *v as f64).sum::<f64>();
        (sum(&self.s), sum(&self.q))
    }
}

#[inline(always)]
fn sum_sumsq_imp<const UNUSED: bool>(row: &[f32], acc: &mut Lanes) {
    let mut it = row.chunks_exact(L);
    for ch in &mut it {
        for l in 0..L {
            acc.s[l] += ch[l];
            acc.q[l] += ch[l] * ch[l];
        }
    }
    for (l, v) in it.remainder().iter().enumerate() {
        acc.s[l] += *v;
        acc.q[l] += *v * *v;
    }
}

multiversion!(
    /// Adds `(Σ x, Σ x²)` of a row to `acc`.
    pub fn sum_sumsq<const UNUSED: bool>(row: &[f32], acc: &mut Lanes), sum_sumsq_imp, sum_sumsq_avx2
);

#[inline(always)]
fn mask<const RELU: bool>(g: f32, y: f32) -> f32 {
    if RELU && y <= 0.0 { 0.0 } else { g }
}

#[inline(always)]
fn grad_sums_imp<const RELU: bool>(dy: &[f32], x: &[f32], y: &[f32], acc: &mut Lanes) {
    let (dc, xc, yc) = (dy.chunks_exact(L), x.chunks_exact(L), y.chunks_exact(L));
    let (dr, xr, yr) = (dc.remainder(), xc.remainder(), yc.remainder());
    for ((d, x), y) in dc.zip(xc).zip(yc) {
        for l in 0..L {
            let g = mask::<RELU>(d[l], y[l]);
            acc.s[l] += g;
            acc.q[l] += g * x[l];
        }
    }
    for (l, ((d, x), y)) in dr.iter().zip(xr).zip(yr).enumerate() {
        let g = mask::<RELU>(*d, *y);
        acc.s[l] += g;
        acc.q[l] += g * x;
    }
}

multiversion!(
    /// Adds `(Σ g, Σ g·x)` of a row to `acc`, `g = dy` masked by `y > 0` when `RELU`.
    pub fn grad_sums<const RELU: bool>(dy: &[f32], x: &[f32], y: &[f32], acc: &mut Lanes), grad_sums_imp, grad_sums_avx2
);

#[inline(always)]
fn affine_imp<const RELU: bool>(x: &[f32], a: f32, b: f32, out: &mut [MaybeUninit<f32>]) {
    for (o, v) in out.iter_mut().zip(x) {
        let z = v * a + b;
        o.write(if RELU { z.max(0.0) } else { z });
    }
}

multiversion!(
    /// `out = relu?(x·a + b)`.
    pub fn affine<const RELU: bool>(x: &[f32], a: f32, b: f32, out: &mut [MaybeUninit<f32>]), affine_imp, affine_avx2
);

#[inline(always)]
fn bn_dx_imp<const RELU: bool>(
    dy: &[f32],
    x: &[f32],
    y: &[f32],
    (a, b, d): (f32, f32, f32),
    out: &mut [MaybeUninit<f32>],
) {
    for (((o, g), x), y) in out.iter_mut().zip(dy).zip(x).zip(y) {
        o.write(a * mask::<RELU>(*g, *y) + b * x + d);
    }
}

multiversion!(
    /// BatchNorm input gradient `out = a·g + b·x + d` with `g = dy` masked by `y > 0` when `RELU`.
    pub fn bn_dx<const RELU: bool>(dy: &[f32], x: &[f32], y: &[f32], k: (f32, f32, f32), out: &mut [MaybeUninit<f32>]), bn_dx_imp, bn_dx_avx2
);

#[inline(always)]
fn scaled_mask_imp<const RELU: bool>(dy: &[f32], y: &[f32], a: f32, out: &mut [MaybeUninit<f32>]) {
    for ((o, g), y) in out.iter_mut().zip(dy).zip(y) {
        o.write(mask::<RELU>(*g, *y) * a);
    }
}

multiversion!(
    /// `out = a·g` with `g = dy` masked by `y > 0` when `RELU`.
    pub fn scaled_mask<const RELU: bool>(dy: &[f32], y: &[f32], a: f32, out: &mut [MaybeUninit<f32>]), scaled_mask_imp, scaled_mask_avx2
);

#[inline(always)]
fn add_relu_imp<const UNUSED: bool>(a: &[f32], b: &[f32], out: &mut [MaybeUninit<f32>]) {
    for ((o, a), b) in out.iter_mut().zip(a).zip(b) {
        o.write((a + b).max(0.0));
    }
}

multiversion!(
    /// `out = relu(a + b)`.
    pub fn add_relu<const UNUSED: bool>(a: &[f32], b: &[f32], out: &mut [MaybeUninit<f32>]), add_relu_imp, add_relu_avx2
);

#[inline(always)]
fn add_into_imp<const UNUSED: bool>(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}

multiversion!(
    /// `dst += src`.
    pub fn add_into<const UNUSED: bool>(dst: &mut [f32], src: &[f32]), add_into_imp, add_into_avx2
);

/// A vector of `n` f32 filled by `fill`, without the zeroing pass of `vec![0.0; n]` (a full
/// memory pass per tensor).
///
/// # Safety
/// `fill` must write every one of the `n` elements.
pub unsafe fn filled(n: usize, fill: impl FnOnce(&mut [MaybeUninit<f32>])) -> Vec<f32> {
    let mut v: Vec<f32> = Vec::with_capacity(n);
    fill(&mut v.spare_capacity_mut()[..n]);
    // SAFETY: the caller guarantees that `fill` wrote all `n` elements.
    unsafe { v.set_len(n) };
    v
}
