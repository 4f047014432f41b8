//! Fits: the quantised-linear width model of RegNet (paper §3.3, eqs. 2–4, Fig. 8) to a
//! network's per-block widths, measured by `e_fit`; and least-squares trend lines (paper Fig. 11:
//! the best depth, `w_m` … across flops regimes).

use serde::{Deserialize, Serialize};

use super::util::{check_finite, check_len};
use super::{StatsError, invalid};
use crate::space::{WIDTH_QUANTUM, generate_widths, round_half_even};

/// `e_fit` of given parameters (paper §3.3): the mean over blocks of `|log(w_pred_j / w_j)|`,
/// where `w_pred` are the quantised widths of [`generate_widths`]`(d, w0, wa, wm)` with `d` the
/// number of observed blocks.
///
/// ```
/// use regnet_lab::stats::e_fit;
/// // RegNetX-200MF's per-block widths fit its own parameters exactly
/// let w = [24, 56, 152, 152, 152, 152, 368, 368, 368, 368, 368, 368, 368];
/// assert_eq!(e_fit(&w, 24, 36.44, 2.49)?, 0.0);
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn e_fit(widths: &[usize], w0: usize, wa: f64, wm: f64) -> Result<f64, StatsError> {
    check_widths(widths)?;
    check_params(w0, wa, wm)?;
    let pred = generate_widths(widths.len(), w0, wa, wm).quantized;
    Ok(widths
        .iter()
        .zip(&pred)
        .map(|(&o, &p)| (p as f64 / o as f64).ln().abs())
        .sum::<f64>()
        / widths.len() as f64)
}

fn check_widths(widths: &[usize]) -> Result<(), StatsError> {
    if widths.is_empty() {
        return Err(super::util::empty("e_fit widths", 0));
    }
    if let Some(i) = widths.iter().position(|&w| w == 0) {
        return Err(invalid(
            "block width",
            format!("0 at block {i}"),
            "widths must be positive",
        ));
    }
    Ok(())
}

fn check_params(w0: usize, wa: f64, wm: f64) -> Result<(), StatsError> {
    if w0 == 0 || !w0.is_multiple_of(WIDTH_QUANTUM) {
        return Err(invalid("w0", w0, "must be a positive multiple of 8"));
    }
    if !(wa.is_finite() && wa >= 0.0) {
        return Err(invalid("wa", wa, "must be finite and ≥ 0"));
    }
    if !(wm.is_finite() && wm > 1.0) {
        return Err(invalid("wm", wm, "must be finite and > 1"));
    }
    Ok(())
}

/// Search ranges of [`fit_quantized_linear_with`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    /// Inclusive range of `w0` (multiples of 8 inside it are tried); `None`: 8 to the largest
    /// observed width rounded up to a multiple of 8.
    pub w0_range: Option<(usize, usize)>,
    /// Grid of `wm`: `wm_min, wm_min + wm_step, … ≤ wm_max`, then refined around the best
    /// value with a step 20× finer.
    pub wm_min: f64,
    pub wm_max: f64,
    pub wm_step: f64,
    /// Largest `wa` considered (the paper's initial space has `wa < 256`).
    pub wa_max: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            w0_range: None,
            wm_min: 1.2,
            wm_max: 4.0,
            wm_step: 0.01,
            wa_max: 512.0,
        }
    }
}

/// The best quantised-linear parameters for a network and its `e_fit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantizedLinearFit {
    pub depth: usize,
    pub w0: usize,
    pub wa: f64,
    pub wm: f64,
    pub e_fit: f64,
    /// The fitted model's quantised per-block widths.
    pub predicted: Vec<usize>,
}

/// Fit `(w0, wa, wm)` to per-block widths with the default search ([`FitOptions`]).
///
/// For each `w0` (multiple of 8) and `wm` on a grid, `e_fit` is a step function of `wa` whose
/// steps are where some block's stage index `s_j = round(log(1 + wa·j/w0) / log wm)` changes,
/// i.e. at `wa = w0 (wm^{k+1/2} − 1) / j`. Sweeping those breakpoints in order gives the exact
/// best `wa` for that `(w0, wm)` — no grid over `wa`. `wa` is reported at a point inside the
/// best interval (rounded to 0.1 when that stays inside).
///
/// The quantisation is many-to-one, so the parameters found may differ from the ones a model
/// was generated with while predicting the same widths (`e_fit = 0`).
///
/// ```
/// use regnet_lab::{space::zoo, stats::fit_quantized_linear};
/// let widths = zoo::get("RegNetX-200MF")?.spec().block_widths();
/// let fit = fit_quantized_linear(&widths)?;
/// assert!(fit.e_fit < 1e-12);
/// assert_eq!(fit.predicted, widths);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fit_quantized_linear(widths: &[usize]) -> Result<QuantizedLinearFit, StatsError> {
    fit_quantized_linear_with(widths, &FitOptions::default())
}

/// [`fit_quantized_linear`] with explicit search ranges.
pub fn fit_quantized_linear_with(
    widths: &[usize],
    opts: &FitOptions,
) -> Result<QuantizedLinearFit, StatsError> {
    check_widths(widths)?;
    if !(opts.wm_min > 1.0
        && opts.wm_max >= opts.wm_min
        && opts.wm_step > 0.0
        && opts.wm_max.is_finite())
    {
        return Err(invalid(
            "wm grid",
            format!("[{}, {}] step {}", opts.wm_min, opts.wm_max, opts.wm_step),
            "need 1 < wm_min ≤ wm_max and a positive step",
        ));
    }
    if !(opts.wa_max.is_finite() && opts.wa_max >= 0.0) {
        return Err(invalid("wa_max", opts.wa_max, "must be finite and ≥ 0"));
    }
    let q = WIDTH_QUANTUM;
    let max_w = *widths.iter().max().unwrap_or(&q);
    let (lo, hi) = opts.w0_range.unwrap_or((q, max_w.div_ceil(q) * q));
    let w0s: Vec<usize> = (lo.div_ceil(q).max(1)..=hi / q).map(|k| k * q).collect();
    if w0s.is_empty() {
        return Err(invalid(
            "w0_range",
            format!("{lo}..={hi}"),
            "holds no multiple of 8",
        ));
    }
    let ln_obs: Vec<f64> = widths.iter().map(|&w| (w as f64).ln()).collect();
    let mut search = Search::new(&ln_obs, max_w as f64, opts.wa_max);
    let n_wm = ((opts.wm_max - opts.wm_min) / opts.wm_step + 1e-9).floor() as usize + 1;
    let mut best: Option<Candidate> = None;
    for &w0 in &w0s {
        // Every predicted width is at least w0, so e_fit ≥ mean_j max(0, log(w0 / w_j)); this
        // bound grows with w0, so once it reaches the best found, larger w0 cannot win.
        let bound = ln_obs
            .iter()
            .map(|&lo| ((w0 as f64).ln() - lo).max(0.0))
            .sum::<f64>();
        if best.as_ref().is_some_and(|b| bound >= b.total - 1e-12) {
            break;
        }
        for i in 0..n_wm {
            let wm = opts.wm_min + i as f64 * opts.wm_step;
            search.consider(w0, wm, &mut best);
        }
    }
    // Refine wm around the best grid point, with the neighbouring w0 values.
    if let Some(b) = best.clone() {
        let fine = opts.wm_step / 20.0;
        for w0 in [b.w0.saturating_sub(q), b.w0, b.w0 + q] {
            if w0 < lo.max(q) || w0 > hi {
                continue;
            }
            for i in -20i32..=20 {
                let wm = b.wm + i as f64 * fine;
                if wm > 1.0 {
                    search.consider(w0, wm, &mut best);
                }
            }
        }
    }
    let b = best.ok_or_else(|| invalid("fit", "no candidate", "empty search"))?;
    let predicted = generate_widths(widths.len(), b.w0, b.wa, b.wm).quantized;
    Ok(QuantizedLinearFit {
        depth: widths.len(),
        w0: b.w0,
        wa: b.wa,
        wm: b.wm,
        e_fit: e_fit(widths, b.w0, b.wa, b.wm)?,
        predicted,
    })
}

#[derive(Debug, Clone)]
struct Candidate {
    w0: usize,
    wa: f64,
    wm: f64,
    total: f64,
}

/// Scratch space of the breakpoint sweep.
struct Search<'a> {
    ln_obs: &'a [f64],
    max_w: f64,
    wa_max: f64,
    events: Vec<(f64, usize)>,
    ln_pred: Vec<f64>,
    stage: Vec<usize>,
}

impl<'a> Search<'a> {
    fn new(ln_obs: &'a [f64], max_w: f64, wa_max: f64) -> Self {
        Search {
            ln_obs,
            max_w,
            wa_max,
            events: Vec::new(),
            ln_pred: Vec::new(),
            stage: vec![0; ln_obs.len()],
        }
    }

    /// The best `wa` for `(w0, wm)`; replaces `best` when strictly better.
    fn consider(&mut self, w0: usize, wm: f64, best: &mut Option<Candidate>) {
        let d = self.ln_obs.len();
        let w0f = w0 as f64;
        let q = WIDTH_QUANTUM as f64;
        // Stage indices worth reaching: predicted widths up to 4× the widest block.
        let kmax = (((4.0 * self.max_w / w0f).ln() / wm.ln()).ceil().max(0.0) as usize + 1).min(64);
        self.ln_pred.clear();
        for s in 0..=kmax {
            let w = round_half_even(w0f * wm.powf(s as f64) / q) * q;
            self.ln_pred.push(w.max(q).ln());
        }
        self.events.clear();
        for j in 1..d {
            for k in 0..kmax {
                let b = w0f * (wm.powf(k as f64 + 0.5) - 1.0) / j as f64;
                if b > self.wa_max {
                    break;
                }
                self.events.push((b, j));
            }
        }
        self.events.sort_by(|a, b| a.0.total_cmp(&b.0));
        self.stage.iter_mut().for_each(|s| *s = 0);
        let term = |lp: f64, lo: f64| (lp - lo).abs();
        let mut total: f64 = self
            .ln_obs
            .iter()
            .map(|&lo| term(self.ln_pred[0], lo))
            .sum();
        // Best over this (w0, wm): interval [lo, hi) of wa.
        let mut local_best = total;
        let mut local_iv = (0.0, self.events.first().map_or(self.wa_max, |e| e.0));
        let mut i = 0;
        while i < self.events.len() {
            let b = self.events[i].0;
            while i < self.events.len() && self.events[i].0 == b {
                let j = self.events[i].1;
                let s = self.stage[j];
                total += term(self.ln_pred[s + 1], self.ln_obs[j])
                    - term(self.ln_pred[s], self.ln_obs[j]);
                self.stage[j] = s + 1;
                i += 1;
            }
            let next = if i < self.events.len() {
                self.events[i].0
            } else {
                self.wa_max.max(b)
            };
            if total < local_best - 1e-12 {
                local_best = total;
                local_iv = (b, next);
            }
        }
        let better = match best {
            None => true,
            Some(c) => local_best < c.total - 1e-12,
        };
        if better {
            *best = Some(Candidate {
                w0,
                wa: pick_inside(local_iv.0, local_iv.1),
                wm,
                total: local_best,
            });
        }
    }
}

/// A "nice" point strictly inside `(lo, hi)` (or `lo` itself when `lo = 0`, which is inside
/// the first interval `[0, first breakpoint)`).
fn pick_inside(lo: f64, hi: f64) -> f64 {
    if lo == 0.0 {
        return 0.0;
    }
    if hi <= lo {
        return lo + 1e-6 * lo.max(1.0);
    }
    for scale in [1.0, 10.0, 100.0, 1000.0] {
        let c = (lo * scale).floor() / scale + 1.0 / scale;
        if c > lo && c < hi {
            return c;
        }
    }
    0.5 * (lo + hi)
}

/// How `x` enters a trend fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum XScale {
    #[default]
    Linear,
    /// `log10(x)`: for flops or params regimes spanning decades (paper Fig. 11 uses log flops).
    Log10,
}

/// A least-squares line `y ≈ intercept + slope · x'`, with `x' = x` or `log10 x`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearFit {
    pub slope: f64,
    pub intercept: f64,
    /// Coefficient of determination; 1 when `y` is constant (the fit is exact).
    pub r_squared: f64,
    pub n: usize,
    pub x_scale: XScale,
}

impl LinearFit {
    /// The fitted value at `x` (in the original units of `x`).
    pub fn predict(&self, x: f64) -> f64 {
        let x = match self.x_scale {
            XScale::Linear => x,
            XScale::Log10 => x.log10(),
        };
        self.intercept + self.slope * x
    }
}

/// Least-squares line of a property against another (e.g. the best depth of each flops regime
/// against its flops, paper Fig. 11). Needs at least two distinct `x`; all values finite (and
/// `x > 0` for [`XScale::Log10`]).
///
/// ```
/// use regnet_lab::stats::{linear_fit, XScale};
/// let fit = linear_fit(&[200e6, 2e9, 20e9], &[20.0, 22.0, 24.0], XScale::Log10)?;
/// assert!((fit.slope - 2.0).abs() < 1e-9 && (fit.r_squared - 1.0).abs() < 1e-12);
/// assert!((fit.predict(2e9) - 22.0).abs() < 1e-9);
/// # Ok::<(), regnet_lab::stats::StatsError>(())
/// ```
pub fn linear_fit(x: &[f64], y: &[f64], x_scale: XScale) -> Result<LinearFit, StatsError> {
    check_len("linear fit (x vs y)", x.len(), y.len())?;
    check_finite("linear fit x", x)?;
    check_finite("linear fit y", y)?;
    let xs: Vec<f64> = match x_scale {
        XScale::Linear => x.to_vec(),
        XScale::Log10 => {
            if let Some(i) = x.iter().position(|&v| v <= 0.0) {
                return Err(invalid(
                    "linear fit x",
                    format!("{} at index {i}", x[i]),
                    "log10 needs x > 0",
                ));
            }
            x.iter().map(|v| v.log10()).collect()
        }
    };
    let n = xs.len();
    if n < 2 {
        return Err(invalid(
            "linear fit",
            format!("{n} points"),
            "need at least two points",
        ));
    }
    let nf = n as f64;
    let mx = xs.iter().sum::<f64>() / nf;
    let my = y.iter().sum::<f64>() / nf;
    let sxx: f64 = xs.iter().map(|v| (v - mx) * (v - mx)).sum();
    let sxy: f64 = xs.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let syy: f64 = y.iter().map(|v| (v - my) * (v - my)).sum();
    if sxx == 0.0 {
        return Err(StatsError::Constant {
            what: "linear fit x".into(),
            value: x[0],
        });
    }
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let ss_res: f64 = xs
        .iter()
        .zip(y)
        .map(|(a, b)| (b - intercept - slope * a).powi(2))
        .sum();
    let r_squared = if syy == 0.0 { 1.0 } else { 1.0 - ss_res / syy };
    Ok(LinearFit {
        slope,
        intercept,
        r_squared,
        n,
        x_scale,
    })
}
