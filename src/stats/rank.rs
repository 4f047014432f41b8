//! Rank correlation between two error columns (e.g. the same models trained with two schedules,
//! or two seeds): Spearman's ρ and Kendall's τ-b, with the p-values of `scipy.stats`.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use super::util::check_len;
use super::{StatsError, invalid};

/// A rank correlation coefficient and its two-sided p-value for "no association".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankCorrelation {
    pub coefficient: f64,
    /// `None` when the test is undefined (fewer than 3 pairs).
    pub pvalue: Option<f64>,
    /// Pairs used.
    pub n: usize,
    /// Pairs dropped because either value was not finite (scipy's `nan_policy='omit'`).
    pub n_excluded: usize,
}

fn paired(what: &str, x: &[f64], y: &[f64]) -> Result<(Vec<f64>, Vec<f64>, usize), StatsError> {
    check_len(what, x.len(), y.len())?;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for (&u, &v) in x.iter().zip(y) {
        if u.is_finite() && v.is_finite() {
            a.push(u);
            b.push(v);
        }
    }
    let excluded = x.len() - a.len();
    if a.len() < 2 {
        return Err(invalid(
            what,
            format!("{} finite pairs", a.len()),
            "need at least two",
        ));
    }
    for (col, name) in [(&a, "first column"), (&b, "second column")] {
        if col.iter().all(|v| *v == col[0]) {
            return Err(StatsError::Constant {
                what: format!("{what}: {name}"),
                value: col[0],
            });
        }
    }
    Ok((a, b, excluded))
}

/// Ranks 1..n with ties given their average rank (scipy `rankdata(method='average')`).
fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

/// Spearman's ρ: the Pearson correlation of the average ranks. p-value from Student's t with
/// `n − 2` degrees of freedom, `t = ρ √((n−2)/((1+ρ)(1−ρ)))`, as `scipy.stats.spearmanr`.
///
/// ```
/// use regnet_lab::stats::spearman;
/// let r = spearman(&[0.1, 0.2, 0.3, 0.4], &[0.15, 0.25, 0.2, 0.5])?;
/// assert!((r.coefficient - 0.8).abs() < 1e-12);
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn spearman(x: &[f64], y: &[f64]) -> Result<RankCorrelation, StatsError> {
    let (a, b, n_excluded) = paired("spearman", x, y)?;
    let (ra, rb) = (average_ranks(&a), average_ranks(&b));
    let n = ra.len();
    let nf = n as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / nf, rb.iter().sum::<f64>() / nf);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (u, v) in ra.iter().zip(&rb) {
        sab += (u - ma) * (v - mb);
        saa += (u - ma) * (u - ma);
        sbb += (v - mb) * (v - mb);
    }
    let rho = (sab / (saa * sbb).sqrt()).clamp(-1.0, 1.0);
    let pvalue = if n < 3 {
        None
    } else {
        let dof = nf - 2.0;
        let denom = (rho + 1.0) * (1.0 - rho);
        if denom <= 0.0 {
            Some(0.0)
        } else {
            let t = rho * (dof / denom).sqrt();
            let dist = StudentsT::new(0.0, 1.0, dof)
                .map_err(|e| invalid("student t", dof, &e.to_string()))?;
            Some((2.0 * dist.sf(t.abs())).min(1.0))
        }
    };
    Ok(RankCorrelation {
        coefficient: rho,
        pvalue,
        n,
        n_excluded,
    })
}

/// Kendall's τ-b (ties corrected) with scipy's `kendalltau` p-value (`method='auto'`): exact
/// (the permutation distribution of the number of discordant pairs) when there are no ties and
/// `n ≤ 33` or at most one pair is discordant (or concordant), otherwise the normal
/// approximation with the tie-corrected variance. O(n²) pairs, fine for sweeps of thousands.
///
/// ```
/// use regnet_lab::stats::kendall_tau_b;
/// let r = kendall_tau_b(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0])?;
/// assert!((r.coefficient - 4.0 / 6.0).abs() < 1e-12);
/// assert!((r.pvalue.unwrap() - 0.3333333333333333).abs() < 1e-12); // scipy.stats.kendalltau
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Result<RankCorrelation, StatsError> {
    let (a, b, n_excluded) = paired("kendall tau-b", x, y)?;
    let n = a.len();
    let (mut con, mut dis) = (0i64, 0i64);
    for i in 0..n {
        for j in (i + 1)..n {
            let s = (a[i] - a[j]).signum() * (b[i] - b[j]).signum();
            if a[i] == a[j] || b[i] == b[j] {
                continue;
            }
            if s > 0.0 {
                con += 1;
            } else {
                dis += 1;
            }
        }
    }
    // Tie groups: (pairs, Σ t(t−1)(t−2), Σ t(t−1)(2t+5))
    let ties = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        let (mut p, mut t0, mut t1) = (0.0f64, 0.0f64, 0.0f64);
        let mut i = 0;
        while i < s.len() {
            let mut j = i;
            while j < s.len() && s[j] == s[i] {
                j += 1;
            }
            let t = (j - i) as f64;
            if t > 1.0 {
                p += t * (t - 1.0) / 2.0;
                t0 += t * (t - 1.0) * (t - 2.0);
                t1 += t * (t - 1.0) * (2.0 * t + 5.0);
            }
            i = j;
        }
        (p, t0, t1)
    };
    let (xtie, x0, x1) = ties(&a);
    let (ytie, y0, y1) = ties(&b);
    let nf = n as f64;
    let tot = nf * (nf - 1.0) / 2.0;
    let cmd = (con - dis) as f64;
    let tau = (cmd / (tot - xtie).sqrt() / (tot - ytie).sqrt()).clamp(-1.0, 1.0);
    let exact = xtie == 0.0 && ytie == 0.0 && (n <= 33 || dis.min(con) <= 1);
    let pvalue = if exact {
        Some(kendall_exact_two_sided(n, dis as usize))
    } else if n < 3 {
        None
    } else {
        let m = nf * (nf - 1.0);
        let var = (m * (2.0 * nf + 5.0) - x1 - y1) / 18.0
            + (2.0 * xtie * ytie) / m
            + x0 * y0 / (9.0 * m * (nf - 2.0));
        let z = cmd / var.sqrt();
        let normal = Normal::new(0.0, 1.0).map_err(|e| invalid("normal", 0, &e.to_string()))?;
        Some((2.0 * normal.sf(z.abs())).min(1.0))
    };
    Ok(RankCorrelation {
        coefficient: tau,
        pvalue,
        n,
        n_excluded,
    })
}

/// Two-sided exact p-value of `dis` discordant pairs among `n` untied items: twice the lower
/// tail of the Mahonian distribution (number of inversions of a random permutation), capped
/// at 1. Computed as probabilities, `P_i(k) = (1/i) Σ_{j<i} P_{i−1}(k − j)`, so nothing
/// overflows.
fn kendall_exact_two_sided(n: usize, dis: usize) -> f64 {
    if n <= 2 {
        return 1.0;
    }
    let tot = n * (n - 1) / 2;
    let c = dis.min(tot - dis);
    if 4 * c == n * (n - 1) {
        return 1.0;
    }
    let mut p = vec![0.0f64; c + 1];
    p[0] = 1.0;
    for i in 2..=n {
        // new[k] = (1/i) Σ_{j=0}^{min(k, i−1)} p[k − j], via a running window sum
        let mut next = vec![0.0; c + 1];
        let mut window = 0.0;
        for k in 0..=c {
            window += p[k];
            if k >= i {
                window -= p[k - i];
            }
            next[k] = window / i as f64;
        }
        p = next;
    }
    (2.0 * p.iter().sum::<f64>()).min(1.0)
}
