//! Null distributions of the Kolmogorov–Smirnov statistics, written from the literature (scipy
//! has them, statrs does not):
//! - the exact two-sample two-sided distribution (Hodges 1958; the `1 − p` recursion of
//!   Viehmann 2021, arXiv:2102.08037), as `scipy.stats.ks_2samp(method='exact')`;
//! - the one-sample two-sided distribution `kstwo(n)` (Simard & L'Ecuyer 2011 choice of
//!   algorithms: Ruben–Gambino closed forms, Durbin's matrix in the Marsaglia–Tsang–Wang form,
//!   the exact one-sided Smirnov sum (Birnbaum–Tingey), Pelz–Good), which
//!   `ks_2samp(method='asymp')` evaluates at `n = round(n1 n2 / (n1 + n2))`;
//! - the limiting Kolmogorov distribution (`kstwobign`).

use statrs::function::factorial::{ln_binomial, ln_factorial};

pub(crate) fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `P(D_{m,n} ≥ h / lcm(m, n))` for the two-sample two-sided statistic under the null: the
/// fraction of monotone lattice paths from `(0, 0)` to `(m, n)` that touch or cross the lines
/// `|x/m − y/n| = h / lcm`. `q(x, y)`, the probability that a uniform random path to `(x, y)`
/// has already left the band, obeys `q = (x·q(x−1, y) + y·q(x, y−1)) / (x + y)` inside the band
/// and `q = 1` outside; every step is a convex combination, so it neither overflows nor
/// cancels. O(m·n) time, O(n) memory.
pub(crate) fn smirnov_two_sided_exact(m: u64, n: u64, h: u64) -> f64 {
    let g = gcd(m, n);
    let (mg, ng) = ((m / g) as i128, (n / g) as i128);
    let h = h as i128;
    let outside = |x: u64, y: u64| (ng * x as i128 - mg * y as i128).abs() >= h;
    let n_us = n as usize;
    let mut q = vec![0.0f64; n_us + 1];
    // Column x = 0.
    for y in 0..=n {
        q[y as usize] = if outside(0, y) {
            1.0
        } else if y == 0 {
            0.0
        } else {
            q[y as usize - 1]
        };
    }
    for x in 1..=m {
        let xf = x as f64;
        for y in 0..=n {
            let yi = y as usize;
            q[yi] = if outside(x, y) {
                1.0
            } else if y == 0 {
                q[0]
            } else {
                let yf = y as f64;
                (xf * q[yi] + yf * q[yi - 1]) / (xf + yf)
            };
        }
    }
    q[n_us]
}

/// Survival function of the limiting Kolmogorov distribution (scipy `kstwobign.sf`,
/// `scipy.special.kolmogorov`): `P(K > z)` with `K = lim √n D_n`.
///
/// ```
/// use regnet_lab::stats::kolmogorov_limit_sf;
/// assert!((kolmogorov_limit_sf(1.0) - 0.26999967167735456).abs() < 1e-14);
/// ```
pub fn kolmogorov_limit_sf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    if z <= 0.0 {
        return 1.0;
    }
    if z < 1.0 {
        // CDF by the Jacobi-theta form, accurate for small z.
        let mut cdf = 0.0;
        let c = -std::f64::consts::PI.powi(2) / (8.0 * z * z);
        for k in 1..=20 {
            let m = (2 * k - 1) as f64;
            let t = (c * m * m).exp();
            cdf += t;
            if t < 1e-300 {
                break;
            }
        }
        return 1.0 - cdf * (2.0 * std::f64::consts::PI).sqrt() / z;
    }
    let mut sf = 0.0;
    for k in 1..=100 {
        let kf = k as f64;
        let t = (-2.0 * kf * kf * z * z).exp();
        sf += if k % 2 == 1 { t } else { -t };
        if t < 1e-300 {
            break;
        }
    }
    (2.0 * sf).clamp(0.0, 1.0)
}

/// Survival function `P(D_n ≥ x)` of the one-sample two-sided KS statistic for a sample of
/// size `n` (scipy `kstwo.sf(x, n)`), choosing the algorithm by `(n, x)` as Simard & L'Ecuyer
/// (2011) and scipy do.
///
/// ```
/// use regnet_lab::stats::kstwo_sf;
/// assert!((kstwo_sf(10, 0.3) - 0.2705355748).abs() < 1e-9); // scipy.stats.kstwo.sf(0.3, 10)
/// ```
pub fn kstwo_sf(n: u64, x: f64) -> f64 {
    if n == 0 || x.is_nan() {
        return f64::NAN;
    }
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        // Ruben–Gambino: P(D_n ≤ x) = n!/n^n (2t − 1)^n for 1/(2n) ≤ x ≤ 1/n.
        if t <= 0.5 {
            return 1.0;
        }
        let cdf = if n <= 140 {
            (1..=n).fold(1.0, |p, i| p * (i as f64 / nf) * (2.0 * t - 1.0))
        } else {
            (ln_factorial(n) - nf * nf.ln() + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    if t >= nf - 1.0 {
        return (2.0 * (1.0 - x).powf(nf)).clamp(0.0, 1.0);
    }
    if x >= 0.5 {
        // D+ ≥ x and D− ≥ x cannot both happen.
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    let nxx = t * x;
    if n <= 140 {
        if nxx <= 4.0 {
            // scipy uses Pomeranz's recursion for 0.754693 < n x² ≤ 4; the Durbin matrix is
            // exact too and its matrix is small here (2⌈nx⌉ − 1 ≤ 47).
            return (1.0 - durbin_cdf(n, x)).clamp(0.0, 1.0);
        }
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    if nxx >= 370.0 {
        return 0.0;
    }
    if nxx >= 2.2 {
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    let cdf = if n <= 100_000 && nf * x.powf(1.5) <= 1.4 {
        durbin_cdf(n, x)
    } else {
        pelz_good_cdf(n, x)
    };
    (1.0 - cdf).clamp(0.0, 1.0)
}

/// Exact one-sided `P(D_n^+ ≥ x)` by the Birnbaum–Tingey sum
/// `x Σ_{j=0}^{⌊n(1−x)⌋} C(n, j) (1 − x − j/n)^{n−j} (x + j/n)^{j−1}` (positive terms, summed in
/// log space).
fn smirnov_sf(n: u64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x >= 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    let jmax = (nf * (1.0 - x)).floor() as u64;
    let mut sum = 0.0;
    for j in 0..=jmax.min(n) {
        let jf = j as f64;
        let a = 1.0 - x - jf / nf;
        if a <= 0.0 && n > j {
            continue;
        }
        let ln_term = ln_binomial(n, j)
            + if n > j { (nf - jf) * a.ln() } else { 0.0 }
            + (jf - 1.0) * (x + jf / nf).ln();
        sum += ln_term.exp();
    }
    x * sum
}

/// `P(D_n ≤ d)` by Durbin's matrix method, evaluated as Marsaglia, Tsang & Wang (2003): the
/// `(k, k)` entry of `H^n`, with `k = ⌈nd⌉`, times `n!/n^n`, with explicit power-of-two scaling.
fn durbin_cdf(n: u64, d: f64) -> f64 {
    if d >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let nd = nf * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    let mut hm = vec![0.0f64; m * m];
    // v[j] = (1 − h^{j+1}) / (j+1)!, w[j] = 1/j!
    let mut v = vec![0.0; m];
    let mut w = vec![0.0; m];
    let mut fac = 1.0;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] = (1.0 - h.powi(j as i32)) * fac;
    }
    let tt = (2.0 * h - 1.0).max(0.0).powi(m as i32) - 2.0 * h.powi(m as i32);
    v[m - 1] = (1.0 + tt) * fac;
    for i in 1..m {
        for r in (i - 1)..m {
            hm[r * m + i] = w[r - (i - 1)];
        }
    }
    for r in 0..m {
        hm[r * m] = v[r];
    }
    for c in 0..m {
        hm[(m - 1) * m + c] = v[m - 1 - c];
    }
    const E: i32 = 128;
    let ep = 2f64.powi(E);
    let em = 2f64.powi(-E);
    let mut pw = identity(m);
    let mut nn = n;
    let mut expnt: i64 = 0;
    let mut hexp: i64 = 0;
    while nn > 0 {
        if nn % 2 == 1 {
            pw = matmul(&pw, &hm, m);
            expnt += hexp;
        }
        hm = matmul(&hm, &hm, m);
        hexp *= 2;
        if hm[(k - 1) * m + (k - 1)].abs() > ep {
            for x in hm.iter_mut() {
                *x /= ep;
            }
            hexp += E as i64;
        }
        nn /= 2;
    }
    let mut p = pw[(k - 1) * m + (k - 1)];
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < em {
            p *= ep;
            expnt -= E as i64;
        }
    }
    if expnt != 0 {
        p *= 2f64.powf(expnt as f64);
    }
    p.clamp(0.0, 1.0)
}

fn identity(m: usize) -> Vec<f64> {
    let mut a = vec![0.0; m * m];
    for i in 0..m {
        a[i * m + i] = 1.0;
    }
    a
}

fn matmul(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * m];
    for i in 0..m {
        for k in 0..m {
            let aik = a[i * m + k];
            if aik == 0.0 {
                continue;
            }
            let row_b = &b[k * m..(k + 1) * m];
            let row_c = &mut c[i * m..(i + 1) * m];
            for (cj, bj) in row_c.iter_mut().zip(row_b) {
                *cj += aik * bj;
            }
        }
    }
    c
}

/// Pelz & Good (1976): the Li-Chien/Korolyuk expansion `K0 + K1/√n + K2/n + K3/n^{3/2}` of
/// `P(D_n ≤ x)`, rewritten with Jacobi theta identities for small `z = x√n`.
fn pelz_good_cdf(n: u64, x: f64) -> f64 {
    use std::f64::consts::PI;
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let z = nf.sqrt() * x;
    let (z2, z3, z4, z6) = (z * z, z.powi(3), z.powi(4), z.powi(6));
    let qlog = -PI * PI / 8.0 / z2;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();
    let (pi2, pi4, pi6) = (PI * PI, PI.powi(4), PI.powi(6));
    let k1a = -z2;
    let k1b = pi2 / 4.0;
    let k2a = 6.0 * z6 + 2.0 * z4;
    let k2b = (2.0 * z4 - 5.0 * z2) * pi2 / 4.0;
    let k2c = pi4 * (1.0 - 2.0 * z2) / 16.0;
    let k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z.powi(8);
    let mut kk = [0.0f64; 4];
    let maxk = (16.0 * z / PI).ceil() as i64;
    for k in (1..=maxk).rev() {
        let m = (2 * k - 1) as f64;
        let (m2, m4, m6) = (m * m, m.powi(4), m.powi(6));
        let qp = q.powf(8.0 * k as f64);
        let coeffs = [
            1.0,
            k1a + k1b * m2,
            k2a + k2b * m2 + k2c * m4,
            k3a + k3b * m2 + k3c * m4 + k3d * m6,
        ];
        for i in 0..4 {
            kk[i] = kk[i] * qp + coeffs[i];
        }
    }
    let s2pi = (2.0 * PI).sqrt();
    let div = [z, 6.0 * z4, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for i in 0..4 {
        kk[i] = kk[i] * q * s2pi / div[i];
    }
    let q2 = (-pi2 / 2.0 / z2).exp();
    let mut k2extra = 0.0;
    let mut k3extra = 0.0;
    let sqrt3z = 3f64.sqrt() * z;
    for k in (1..=maxk).rev() {
        let kf = k as f64;
        let ks2 = kf * kf;
        let qp = q2.powf(ks2);
        k2extra += ks2 * qp;
        let kspi = PI * kf;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * qp;
    }
    kk[2] += k2extra * pi2 * s2pi / (-36.0 * z3);
    kk[3] += k3extra * pi2 * s2pi / (216.0 * z6);
    let mut sum = 0.0;
    for (i, v) in kk.iter().enumerate() {
        sum += v / nf.powf(i as f64 / 2.0);
    }
    sum.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_square_matches_closed_form() {
        // P(D_{n,n} ≥ h/n) = 2 Σ_k (−1)^{k−1} C(2n, n − kh) / C(2n, n)
        for (n, h) in [(5u64, 2u64), (10, 3), (20, 7), (40, 5)] {
            let mut p = 0.0;
            let mut k = 1;
            while k * h <= n {
                let t = (ln_binomial(2 * n, n - k * h) - ln_binomial(2 * n, n)).exp();
                p += if k % 2 == 1 { 2.0 * t } else { -2.0 * t };
                k += 1;
            }
            let got = smirnov_two_sided_exact(n, n, h);
            assert!((got - p).abs() < 1e-12, "n={n} h={h}: {got} vs {p}");
        }
    }

    #[test]
    fn algorithms_agree_where_they_overlap() {
        // Durbin (exact) vs Pelz–Good (asymptotic) for a large n, small x.
        let (n, x) = (2000u64, 0.02);
        let a = durbin_cdf(n, x);
        let b = pelz_good_cdf(n, x);
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        // Durbin vs 2·smirnov where the intersection term is negligible.
        let (n, x) = (100u64, 0.2);
        let a = 1.0 - durbin_cdf(n, x);
        let b = 2.0 * smirnov_sf(n, x);
        assert!((a - b).abs() / a < 1e-6, "{a} vs {b}");
    }
}
