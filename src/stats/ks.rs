//! Comparing two design spaces: the two-sample Kolmogorov–Smirnov statistic
//! `D = sup_e |F1(e) − F2(e)|` (ICCV 2019 §3, used there to compare spaces and to decide how many
//! samples suffice), with the two-sided p-value of `scipy.stats.ks_2samp`.

use serde::{Deserialize, Serialize};

use super::StatsError;
use super::edf::Edf;
use super::kolmogorov::{gcd, kstwo_sf, smirnov_two_sided_exact};

/// How the p-value is computed; the names and the `Auto` rule are scipy's (`ks_2samp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum KsMethod {
    /// `Exact` when both samples have at most 10 000 models, else `Asymptotic` (scipy's
    /// `method='auto'`).
    #[default]
    Auto,
    /// The exact null distribution of the two-sample statistic, by counting lattice paths that
    /// stay inside the band (Hodges 1958, in the `1 − p` form of Viehmann 2021 that scipy uses).
    Exact,
    /// scipy's `method='asymp'`: the one-sample Kolmogorov distribution `kstwo` at
    /// `n = round(n1·n2 / (n1 + n2))`, see [`kstwo_sf`].
    Asymptotic,
}

/// Result of a two-sample KS test on error columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KsTest {
    /// `D = sup_e |F1(e) − F2(e)|`.
    pub statistic: f64,
    /// Two-sided p-value of "both samples come from the same distribution".
    pub pvalue: f64,
    /// The method actually used (never `Auto`).
    pub method: KsMethod,
    pub n1: usize,
    pub n2: usize,
    /// Non-finite errors excluded from each sample (diverged runs).
    pub n_excluded: (usize, usize),
}

/// `D = sup_e |F1(e) − F2(e)|` between two error columns (non-finite errors excluded).
///
/// ```
/// use regnet_lab::stats::ks_statistic;
/// assert_eq!(ks_statistic(&[0.1, 0.2, 0.3], &[0.1, 0.2, 0.3])?, 0.0);
/// assert_eq!(ks_statistic(&[0.1, 0.2], &[0.3, 0.4])?, 1.0);
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn ks_statistic(a: &[f64], b: &[f64]) -> Result<f64, StatsError> {
    Ok(Edf::new(a)?.ks_distance(&Edf::new(b)?))
}

/// `D` between two weighted EDFs, e.g. complexity-normalised ones (ICCV 2019 §4). No p-value:
/// the null distribution of a weighted statistic depends on the weights.
pub fn ks_statistic_weighted(
    a: &[f64],
    weights_a: &[f64],
    b: &[f64],
    weights_b: &[f64],
) -> Result<f64, StatsError> {
    Ok(Edf::weighted(a, weights_a)?.ks_distance(&Edf::weighted(b, weights_b)?))
}

/// The two-sample KS test with scipy's default method ([`KsMethod::Auto`]).
///
/// ```
/// use regnet_lab::stats::{ks_2samp, KsMethod};
/// let t = ks_2samp(&[0.1, 0.2, 0.3, 0.4], &[0.35, 0.45, 0.5, 0.6, 0.7])?;
/// assert_eq!(t.method, KsMethod::Exact);
/// assert!((t.statistic - 0.8).abs() < 1e-12);
/// assert!((t.pvalue - 0.079365079365).abs() < 1e-9); // scipy.stats.ks_2samp
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn ks_2samp(a: &[f64], b: &[f64]) -> Result<KsTest, StatsError> {
    ks_2samp_with(a, b, KsMethod::Auto)
}

/// Exact `ks_2samp` is tried up to this many models per sample under [`KsMethod::Auto`].
const MAX_AUTO_N: usize = 10_000;

/// The two-sample KS test with an explicit method.
pub fn ks_2samp_with(a: &[f64], b: &[f64], method: KsMethod) -> Result<KsTest, StatsError> {
    let ea = Edf::new(a)?;
    let eb = Edf::new(b)?;
    let (n1, n2) = (ea.len(), eb.len());
    let mut d = ea.ks_distance(&eb);
    let method = match method {
        KsMethod::Auto if n1.max(n2) <= MAX_AUTO_N => KsMethod::Exact,
        KsMethod::Auto => KsMethod::Asymptotic,
        m => m,
    };
    let pvalue = match method {
        KsMethod::Exact => {
            // As scipy: D is a multiple of 1/lcm(n1, n2); snap it to that lattice.
            let g = gcd(n1 as u64, n2 as u64);
            let lcm = (n1 as u64 / g) * n2 as u64;
            let h = (d * lcm as f64).round_ties_even() as u64;
            d = h as f64 / lcm as f64;
            if h == 0 {
                1.0
            } else {
                smirnov_two_sided_exact(n1 as u64, n2 as u64, h)
            }
        }
        _ => {
            let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
            let en = (m * n / (m + n)).round_ties_even();
            kstwo_sf(en as u64, d)
        }
    };
    Ok(KsTest {
        statistic: d,
        pvalue: pvalue.clamp(0.0, 1.0),
        method,
        n1,
        n2,
        n_excluded: (ea.n_excluded(), eb.n_excluded()),
    })
}

impl Edf {
    /// `sup_e |F_self(e) − F_other(e)|`, evaluated at every jump of either EDF (weighted or not).
    pub fn ks_distance(&self, other: &Edf) -> f64 {
        let mut d: f64 = 0.0;
        for &e in self.errors().iter().chain(other.errors()) {
            d = d.max((self.eval_le(e) - other.eval_le(e)).abs());
        }
        d
    }
}
