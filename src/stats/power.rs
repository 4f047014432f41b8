//! Planning a sweep: how many models per design space a KS comparison needs.
//!
//! The question a user asks before a long sweep is "with n models per space, will the
//! two-sample KS test between these spaces reject 'same distribution' at level α with
//! probability (power) 1 − β?". No closed form answers it for arbitrary error distributions,
//! so it is answered by simulation: draw n errors per space from a model of the truth, run the
//! exact KS test, count rejections over `replicates` draws, and take the smallest n whose
//! rejection rate reaches the target power.
//!
//! Two models of the truth:
//! - **A given effect** ([`ks_plan_for_shift`]): two normal distributions shifted so that their
//!   KS distance is `d` — the textbook alternative, for "how many models would an effect of
//!   D = 0.2 need?".
//! - **A pilot sweep** ([`ks_plan_from_pilots`]): the two observed error columns. Resampling
//!   them as they are (the plug-in plan, [`PilotCorrection::None`]) is optimistic: two samples
//!   of the *same* distribution already have a KS distance well above zero at pilot sizes (≈ 0.2
//!   at 32 models each), and resampling carries that inflation into the plan. The default,
//!   [`PilotCorrection::Shrink`], models each space as the mixture
//!   `(1 − λ)·F_pooled + λ·F_pilot` and picks the λ whose expected pilot-sized KS distance equals
//!   the observed one: λ = 0 means the pilots are explained by noise alone, and the plan is then
//!   "no n suffices" rather than a number.
//!
//! Everything is seeded (ChaCha8, the crate's portable index mapping) and reports the Monte
//! Carlo standard error of each power estimate.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::kolmogorov::{gcd, smirnov_two_sided_exact};
use super::util::{check_finite, portable_index};
use super::{StatsError, invalid};

/// How a pilot sweep stands for the truth (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum PilotCorrection {
    /// Resample the pilots as they are: optimistic (their noise counts as effect).
    None,
    /// Shrink each pilot towards the pooled errors until its expected KS distance at pilot size
    /// matches the observed one.
    #[default]
    Shrink,
}

/// Settings of a power calculation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerOptions {
    /// Level of the two-sided exact KS test (correct it for multiple comparisons first, e.g.
    /// α / k for Bonferroni over k comparisons).
    pub alpha: f64,
    /// Target probability of rejecting, 1 − β.
    pub power: f64,
    /// Simulated sweeps per candidate n (Monte Carlo error ≈ √(p(1 − p)/R)).
    pub replicates: usize,
    /// The largest n per space to consider; beyond it the plan says "more than `max_n`".
    pub max_n: usize,
    pub seed: u64,
    pub correction: PilotCorrection,
}

impl Default for PowerOptions {
    fn default() -> Self {
        PowerOptions {
            alpha: 0.05,
            power: 0.8,
            replicates: 1000,
            max_n: 2000,
            seed: 0,
            correction: PilotCorrection::Shrink,
        }
    }
}

impl PowerOptions {
    fn check(&self) -> Result<(), StatsError> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(invalid("alpha", self.alpha, "must lie in (0, 1)"));
        }
        if !(self.power > 0.0 && self.power < 1.0) {
            return Err(invalid("power", self.power, "must lie in (0, 1)"));
        }
        if self.replicates < 10 {
            return Err(invalid(
                "replicates",
                self.replicates,
                "must be at least 10",
            ));
        }
        if self.max_n < 2 {
            return Err(invalid("max_n", self.max_n, "must be at least 2"));
        }
        Ok(())
    }
}

/// The simulated power at one sample size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PowerPoint {
    /// Models per space.
    pub n: usize,
    /// Share of simulated sweeps in which the KS test rejected at α.
    pub power: f64,
    /// Monte Carlo standard error of `power`.
    pub se: f64,
}

/// The answer: how many models per space, and the evidence behind the number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerPlan {
    /// Smallest n per space whose simulated power reaches the target; `None` when no n up to
    /// `max_n` does (or when the pilots are explained by noise alone).
    pub n: Option<usize>,
    /// Every sample size simulated, in increasing n.
    pub curve: Vec<PowerPoint>,
    /// The effect planned for, as the KS distance between the two modelled distributions.
    pub effect_d: f64,
    /// Share of the pilots' difference taken as real (1 for the plug-in plan and for a given
    /// effect; 0 when the observed distance is no more than noise).
    pub lambda: f64,
    /// The pilots' observed KS distance and sizes, when planned from pilots.
    pub pilot: Option<(f64, usize, usize)>,
    pub options: PowerOptions,
}

impl PowerPlan {
    /// One line for a notebook or report: "needs ≈ N models per space (…); it rests on n".
    pub fn sentence(&self) -> String {
        // Four decimals: a corrected level such as 0.05 / 3 reads 0.0167.
        let target = format!(
            "α = {}, power {:.0} %",
            (self.options.alpha * 1e4).round() / 1e4,
            100.0 * self.options.power
        );
        let need = match self.n {
            Some(n) => format!("needs ≈ {n} models per space ({target})"),
            None if self.lambda == 0.0 => format!(
                "cannot be planned: the pilots differ no more than two samples of one distribution would ({target})"
            ),
            None => format!(
                "needs more than {} models per space ({target})",
                self.options.max_n
            ),
        };
        match self.pilot {
            Some((d, n1, n2)) => {
                format!("this comparison {need}; it rests on {n1} / {n2} (D = {d:.3})")
            }
            None => format!("an effect of D = {:.3} {need}", self.effect_d),
        }
    }
}

/// The smallest KS distance at which the exact two-sided test of samples of sizes `n1`, `n2`
/// rejects at level `alpha` (`D` on the lattice of multiples of `1 / lcm(n1, n2)`), or `None`
/// when even `D = 1` does not.
///
/// ```
/// use regnet_lab::stats::ks_critical_distance;
/// // Four models per space, all of one space better than all of the other: D = 1,
/// // p = 2 / C(8, 4) = 0.029 — the smallest n at which such a split is significant at 5 %.
/// assert_eq!(ks_critical_distance(4, 4, 0.05), Some(1.0));
/// assert_eq!(ks_critical_distance(3, 3, 0.05), None);
/// ```
pub fn ks_critical_distance(n1: usize, n2: usize, alpha: f64) -> Option<f64> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let g = gcd(n1 as u64, n2 as u64);
    let lcm = (n1 as u64 / g) * n2 as u64;
    let p = |h: u64| smirnov_two_sided_exact(n1 as u64, n2 as u64, h);
    if p(lcm) > alpha {
        return None;
    }
    // p falls as h grows: the smallest h with p(h) ≤ α by bisection.
    let (mut lo, mut hi) = (0u64, lcm);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if p(mid) <= alpha {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi as f64 / lcm as f64)
}

/// Models per space for an effect given as a KS distance `d` between two normal
/// distributions of equal spread (a location shift of `2·Φ⁻¹((1 + d)/2)` standard deviations).
///
/// ```
/// use regnet_lab::stats::{PowerOptions, ks_plan_for_shift};
/// let opts = PowerOptions { replicates: 200, ..PowerOptions::default() };
/// let plan = ks_plan_for_shift(0.5, &opts)?;
/// let n = plan.n.unwrap();
/// assert!((15..=50).contains(&n), "{n}");
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn ks_plan_for_shift(d: f64, options: &PowerOptions) -> Result<PowerPlan, StatsError> {
    options.check()?;
    if !(d > 0.0 && d < 1.0) {
        return Err(invalid(
            "d",
            d,
            "a KS distance between two distributions lies in (0, 1)",
        ));
    }
    use statrs::distribution::{ContinuousCDF, Normal};
    let unit = Normal::new(0.0, 1.0).expect("the unit normal exists");
    let shift = 2.0 * unit.inverse_cdf((1.0 + d) / 2.0);
    let draw = |rng: &mut ChaCha8Rng, which: usize| {
        let z = unit.inverse_cdf(uniform_open(rng));
        if which == 0 { z } else { z + shift }
    };
    let (n, curve) = search_n(options, &draw)?;
    Ok(PowerPlan {
        n,
        curve,
        effect_d: d,
        lambda: 1.0,
        pilot: None,
        options: options.clone(),
    })
}

/// Models per space for the difference two pilot sweeps show (their error columns; non-finite
/// errors, diverged runs, are left out), corrected as `options.correction` says.
///
/// ```
/// use regnet_lab::stats::{PowerOptions, ks_plan_from_pilots};
/// let a: Vec<f64> = (0..32).map(|i| 20.0 + 0.1 * i as f64).collect();
/// let opts = PowerOptions { replicates: 200, ..PowerOptions::default() };
/// // Two pilots from one population: no number of models is planned.
/// let same = ks_plan_from_pilots(&a, &a, &opts)?;
/// assert_eq!((same.n, same.lambda), (None, 0.0));
/// println!("{}", same.sentence());
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn ks_plan_from_pilots(
    a: &[f64],
    b: &[f64],
    options: &PowerOptions,
) -> Result<PowerPlan, StatsError> {
    options.check()?;
    let a: Vec<f64> = a.iter().copied().filter(|e| e.is_finite()).collect();
    let b: Vec<f64> = b.iter().copied().filter(|e| e.is_finite()).collect();
    for (what, v) in [("pilot a", &a), ("pilot b", &b)] {
        if v.len() < 2 {
            return Err(StatsError::Empty {
                what: format!("{what} (needs at least 2 finite errors)"),
                excluded: 0,
            });
        }
        check_finite(what, v)?;
    }
    let observed = ks_distance(&a, &b);
    let pooled: Vec<f64> = a.iter().chain(&b).copied().collect();
    let lambda = match options.correction {
        PilotCorrection::None => 1.0,
        PilotCorrection::Shrink => shrink_lambda(&a, &b, &pooled, observed, options.seed),
    };
    let pilot = Some((observed, a.len(), b.len()));
    if lambda == 0.0 {
        return Ok(PowerPlan {
            n: None,
            curve: Vec::new(),
            effect_d: 0.0,
            lambda,
            pilot,
            options: options.clone(),
        });
    }
    let pilots = [a.as_slice(), b.as_slice()];
    let draw =
        |rng: &mut ChaCha8Rng, which: usize| mixture_draw(rng, lambda, pilots[which], &pooled);
    let (n, curve) = search_n(options, &draw)?;
    Ok(PowerPlan {
        n,
        curve,
        effect_d: mixture_distance(&a, &b, lambda),
        lambda,
        pilot,
        options: options.clone(),
    })
}

/// Simulated power of the exact KS test at `n` models per space, with draws from `draw(rng,
/// space)` (space 0 or 1).
fn power_at(
    n: usize,
    options: &PowerOptions,
    draw: &dyn Fn(&mut ChaCha8Rng, usize) -> f64,
) -> PowerPoint {
    let r = options.replicates;
    let Some(critical) = ks_critical_distance(n, n, options.alpha) else {
        return PowerPoint {
            n,
            power: 0.0,
            se: 0.0,
        };
    };
    // One stream per n: the curve is reproducible point by point.
    let mut rng =
        ChaCha8Rng::seed_from_u64(options.seed ^ (n as u64).wrapping_mul(crate::random::GOLDEN));
    let (mut xa, mut xb) = (vec![0.0; n], vec![0.0; n]);
    let mut rejected = 0usize;
    for _ in 0..r {
        xa.iter_mut().for_each(|x| *x = draw(&mut rng, 0));
        xb.iter_mut().for_each(|x| *x = draw(&mut rng, 1));
        // The lattice holds multiples of 1/n; compare with a little slack for rounding.
        if ks_distance(&xa, &xb) >= critical - 0.5 / (n * n) as f64 {
            rejected += 1;
        }
    }
    let power = rejected as f64 / r as f64;
    PowerPoint {
        n,
        power,
        se: (power * (1.0 - power) / r as f64).sqrt(),
    }
}

/// The smallest n whose power reaches the target: doubling from 4, then bisection between the
/// last two sizes. Returns the plan's n (if any) and every point simulated, sorted by n.
fn search_n(
    options: &PowerOptions,
    draw: &dyn Fn(&mut ChaCha8Rng, usize) -> f64,
) -> Result<(Option<usize>, Vec<PowerPoint>), StatsError> {
    let mut curve = Vec::new();
    let mut lo = 1usize; // largest n known to fall short
    let mut hi = None;
    let mut n = 4usize;
    loop {
        let n_try = n.min(options.max_n);
        let p = power_at(n_try, options, draw);
        curve.push(p);
        if p.power >= options.power {
            hi = Some(n_try);
            break;
        }
        lo = n_try;
        if n_try == options.max_n {
            break;
        }
        n *= 2;
    }
    let Some(mut hi) = hi else {
        return Ok((None, curve));
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let p = power_at(mid, options, draw);
        curve.push(p);
        if p.power >= options.power {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    curve.sort_by_key(|p| p.n);
    Ok((Some(hi), curve))
}

/// λ of the shrunk pilots: the share of each pilot's own distribution, mixed with the pooled
/// errors, at which the expected KS distance of pilot-sized samples equals the observed one.
/// Common random numbers across λ keep the bisection's target monotone.
fn shrink_lambda(a: &[f64], b: &[f64], pooled: &[f64], observed: f64, seed: u64) -> f64 {
    const R: usize = 400;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5348_5249_4E4B);
    // Per replicate and draw: (u choosing the component, index into the pilot, into the pool).
    let streams: Vec<[Vec<(f64, usize, usize)>; 2]> = (0..R)
        .map(|_| {
            [a.len(), b.len()].map(|m| {
                (0..m)
                    .map(|_| {
                        let u = uniform_open(&mut rng);
                        (
                            u,
                            portable_index(&mut rng, m),
                            portable_index(&mut rng, pooled.len()),
                        )
                    })
                    .collect()
            })
        })
        .collect();
    let pilots = [a, b];
    let expected_d =
        |lambda: f64| -> f64 {
            let mut total = 0.0;
            let mut xs = [Vec::new(), Vec::new()];
            for s in &streams {
                for k in 0..2 {
                    xs[k].clear();
                    xs[k].extend(s[k].iter().map(|&(u, i, j)| {
                        if u < lambda { pilots[k][i] } else { pooled[j] }
                    }));
                }
                total += ks_distance(&xs[0], &xs[1]);
            }
            total / R as f64
        };
    if observed <= expected_d(0.0) {
        return 0.0;
    }
    if observed >= expected_d(1.0) {
        return 1.0;
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..30 {
        let mid = 0.5 * (lo + hi);
        if expected_d(mid) < observed {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// One draw from `λ·F_pilot + (1 − λ)·F_pooled`.
fn mixture_draw(rng: &mut ChaCha8Rng, lambda: f64, pilot: &[f64], pooled: &[f64]) -> f64 {
    if uniform_open(rng) < lambda {
        pilot[portable_index(rng, pilot.len())]
    } else {
        pooled[portable_index(rng, pooled.len())]
    }
}

/// KS distance between the two mixtures (population values, no sampling): λ times the pilots'.
fn mixture_distance(a: &[f64], b: &[f64], lambda: f64) -> f64 {
    // F_t,a − F_t,b = λ (F_a − F_b): the pooled part cancels.
    lambda * ks_distance(a, b)
}

/// `sup |F_a − F_b|` of two finite samples, by one merge of the sorted values.
fn ks_distance(a: &[f64], b: &[f64]) -> f64 {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / na - j as f64 / nb).abs());
    }
    d.max((i as f64 / na - j as f64 / nb).abs())
}

/// A uniform number in (0, 1) from 53 random bits.
fn uniform_open(rng: &mut ChaCha8Rng) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_distance_matches_the_edf_distance() {
        let a = [3.0, 1.0, 2.0, 2.0, 5.0];
        let b = [2.0, 4.0, 4.0, 0.5];
        let want = super::super::ks_statistic(&a, &b).unwrap();
        assert!((ks_distance(&a, &b) - want).abs() < 1e-12);
        assert_eq!(ks_distance(&[1.0, 2.0], &[3.0, 4.0]), 1.0);
    }
}
