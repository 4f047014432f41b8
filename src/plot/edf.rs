//! Error EDFs of design spaces on shared axes (paper §2.2, Fig. 2 left, Figs. 4–5): the
//! curve `F(e)` of each space with the legend `name [min error | mean error]`, and optionally
//! the complexity-normalised EDF of ICCV 2019 §4.

use super::chart::{Axis, Chart, Layer, LegendPosition};
use super::{Figure, Frame, PlotError, color, figure_api};
use crate::stats::{BinScale, ComplexityBins, Edf, EmptyBins, normalized_edf};
use crate::sweep::SweepResults;

#[derive(Debug, Clone, PartialEq)]
struct Series {
    name: String,
    errors: Vec<f64>,
    /// Flops aligned with `errors`, for the complexity-normalised EDF.
    flops: Option<Vec<f64>>,
    /// Runs left out before `errors` was taken (diverged runs of a sweep).
    excluded: usize,
}

/// How the complexity-normalised EDF bins the models.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Normalize {
    bins: usize,
    scale: BinScale,
}

/// EDFs of one or more sweeps. Build with [`EdfPlot::new`] and add series, or use [`edf`].
///
/// ```
/// use regnet_lab::plot::EdfPlot;
/// let fig = EdfPlot::new()
///     .errors("AnyNetX_A", &[40.0, 35.0, 37.5])
///     .errors("AnyNetX_B", &[36.0, 34.0, 39.0]);
/// let edfs = fig.edfs()?;
/// assert_eq!(edfs[0].1.summary().min, 35.0);
/// assert!(fig.svg()?.contains("AnyNetX_B [34.0|36.3]"));
/// # Ok::<(), regnet_lab::plot::PlotError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EdfPlot {
    pub(crate) frame: Frame,
    series: Vec<Series>,
    normalize: Option<Normalize>,
    x_range: Option<(f64, f64)>,
}

impl Default for EdfPlot {
    fn default() -> Self {
        Self::new()
    }
}

/// EDFs of named error columns (errors in %), as `plot::edf(&[("A", &errs_a), ("B", &errs_b)])`.
pub fn edf<S: AsRef<str>, E: AsRef<[f64]>>(series: &[(S, E)]) -> EdfPlot {
    series
        .iter()
        .fold(EdfPlot::new(), |p, (n, e)| p.errors(n.as_ref(), e.as_ref()))
}

/// A legend entry that says how many models a curve rests on: `name (n = valid runs)`, the one
/// home of that rule for the figures that draw committed sweeps.
///
/// ```
/// use regnet_lab::plot::counted;
/// use regnet_lab::sweep::SweepResults;
/// assert_eq!(counted("RegNetX", &SweepResults::from_records(vec![])), "RegNetX (n = 0)");
/// ```
pub fn counted(name: &str, r: &SweepResults) -> String {
    format!("{name} (n = {})", r.errors().len())
}

/// Sweeps named `… <regime>` (e.g. `RegNetX 4-10 MF`) as one EDF panel per flop regime of
/// `sweep::precomputed::TREND_REGIMES`, titled by the regime, each legend with its n, two panels
/// a row after the panels in `first`; a regime no sweep is named for is left out. One panel of
/// six curves cannot be told apart; one per regime can.
///
/// ```
/// use regnet_lab::plot::{EdfPlot, edf_by_regime};
/// // Nothing committed yet: only the panels given first.
/// let row = edf_by_regime(&[], vec![EdfPlot::new().title("1-6 MF")]);
/// assert_eq!(row.panel_count(), 1);
/// ```
pub fn edf_by_regime(sweeps: &[(String, SweepResults)], first: Vec<EdfPlot>) -> super::Row {
    use crate::sweep::precomputed::{TREND_REGIMES, regime_label};
    let mut row = super::Row::new().columns(2);
    for panel in first {
        row = row.with(panel);
    }
    for &(lo, hi) in &TREND_REGIMES {
        let label = regime_label(lo, hi);
        let mut fig = EdfPlot::new().title(label.as_str());
        let mut drawn = 0;
        for (name, r) in sweeps.iter().filter(|(n, _)| n.ends_with(&label)) {
            fig = fig.sweep(&counted(name, r), r);
            drawn += 1;
        }
        if drawn > 0 {
            row = row.with(fig);
        }
    }
    row
}

impl EdfPlot {
    pub fn new() -> Self {
        EdfPlot {
            frame: Frame::default(),
            series: Vec::new(),
            normalize: None,
            x_range: None,
        }
    }

    /// Add a sweep: its errors and flops (diverged runs excluded, and counted in the summary).
    pub fn sweep(mut self, name: &str, results: &SweepResults) -> Self {
        self.series.push(Series {
            name: name.to_string(),
            errors: results.errors(),
            flops: Some(results.flops()),
            excluded: results.excluded(),
        });
        self
    }

    /// Add an error column (%). Non-finite errors (diverged runs) are excluded.
    pub fn errors(mut self, name: &str, errors: &[f64]) -> Self {
        self.series.push(Series {
            name: name.to_string(),
            errors: errors.to_vec(),
            flops: None,
            excluded: 0,
        });
        self
    }

    /// Add an error column with its complexity column (flops), so that it can be normalised.
    pub fn errors_with_flops(mut self, name: &str, errors: &[f64], flops: &[f64]) -> Self {
        self.series.push(Series {
            name: name.to_string(),
            errors: errors.to_vec(),
            flops: Some(flops.to_vec()),
            excluded: 0,
        });
        self
    }

    /// Draw complexity-normalised EDFs (ICCV 2019 §4): models are binned by flops into `bins`
    /// log-spaced bins shared by all series, and each bin carries equal mass, so spaces with
    /// different flops distributions compare fairly. Empty bins merge into their neighbour
    /// (the reference asserts they do not occur; a figure should still draw).
    pub fn normalized(mut self, bins: usize) -> Self {
        self.normalize = Some(Normalize {
            bins,
            scale: BinScale::Log,
        });
        self
    }

    /// Same as [`EdfPlot::normalized`] with linear bins.
    pub fn normalized_linear(mut self, bins: usize) -> Self {
        self.normalize = Some(Normalize {
            bins,
            scale: BinScale::Linear,
        });
        self
    }

    /// Fix the error axis to `[low, high]` % (the paper zooms on the left tail).
    pub fn x_range(mut self, low: f64, high: f64) -> Self {
        self.x_range = Some((low, high));
        self
    }

    /// The EDF of every series, as drawn (normalised when asked).
    pub fn edfs(&self) -> Result<Vec<(String, Edf)>, PlotError> {
        const FIG: &str = "EDF";
        if self.series.is_empty() {
            return Err(PlotError::empty(FIG, "no series added"));
        }
        let Some(norm) = self.normalize else {
            return self
                .series
                .iter()
                .map(|s| {
                    Edf::new(&s.errors)
                        .map(|e| (s.name.clone(), e))
                        .map_err(|e| PlotError::stats(&format!("EDF of {}", s.name), e))
                })
                .collect();
        };
        let mut cols: Vec<(&Series, &[f64])> = Vec::new();
        for s in &self.series {
            match &s.flops {
                Some(f) => cols.push((s, f.as_slice())),
                None => {
                    return Err(PlotError::InvalidArgument {
                        name: "series".into(),
                        value: s.name.clone(),
                        why: "a complexity-normalised EDF needs flops: add it with \
                              .sweep() or .errors_with_flops()"
                            .into(),
                    });
                }
            }
        }
        // Bins cover the flops of the models that have a finite error.
        let kept: Vec<Vec<f64>> = cols
            .iter()
            .map(|(s, f)| {
                s.errors
                    .iter()
                    .zip(f.iter())
                    .filter(|(e, _)| e.is_finite())
                    .map(|(_, &c)| c)
                    .collect()
            })
            .collect();
        let refs: Vec<&[f64]> = kept.iter().map(Vec::as_slice).collect();
        // One set of bins for every space: empty bins are merged jointly, never per space.
        let bins = ComplexityBins::covering(&refs, norm.bins, norm.scale)
            .and_then(|b| b.merged_for(&refs))
            .map_err(|e| PlotError::stats("complexity bins", e))?;
        cols.iter()
            .map(|(s, f)| {
                normalized_edf(&s.errors, f, &bins, EmptyBins::Error)
                    .map(|(e, _)| (s.name.clone(), e))
                    .map_err(|e| PlotError::stats(&format!("normalised EDF of {}", s.name), e))
            })
            .collect()
    }

    fn chart(&self) -> Result<Chart, PlotError> {
        let edfs = self.edfs()?;
        let lo = edfs
            .iter()
            .map(|(_, e)| e.summary().min)
            .fold(f64::INFINITY, f64::min);
        let hi = edfs
            .iter()
            .filter_map(|(_, e)| e.errors().last().copied())
            .fold(f64::NEG_INFINITY, f64::max);
        let (x_lo, x_hi) = self.x_range.unwrap_or((lo, hi));
        let mut x = Axis::new("error (%)");
        if let Some((a, b)) = self.x_range {
            x = x.range(a, b);
        }
        let y_label = if self.normalize.is_some() {
            "cumulative prob. (complexity-normalised)"
        } else {
            "cumulative prob."
        };
        let mut chart =
            Chart::new(x, Axis::new(y_label).range(0.0, 1.0)).legend(Some(LegendPosition::Auto));
        chart.caption = self.frame.title.clone();
        for (i, (name, e)) in edfs.iter().enumerate() {
            let s = e.summary();
            chart.layers.push(Layer::Line {
                points: staircase(e, x_lo, x_hi.max(hi)),
                color: color(i),
                width: 2,
                dashed: false,
                label: Some(format!("{name} [{:.1}|{:.1}]", s.min, s.mean)),
            });
        }
        Ok(chart)
    }
}

/// The points of an EDF's curve from `x_lo` to `x_hi`: F is 0 left of the best model and
/// jumps at each error (the paper's curve).
pub(super) fn staircase(e: &Edf, x_lo: f64, x_hi: f64) -> Vec<(f64, f64)> {
    let mut pts = vec![(x_lo.min(e.summary().min), 0.0)];
    let mut prev = 0.0;
    for (err, f) in e.steps() {
        pts.push((err, prev));
        pts.push((err, f));
        prev = f;
    }
    pts.push((x_hi, prev));
    pts
}

impl Figure for EdfPlot {
    fn size(&self) -> (u32, u32) {
        self.frame.size
    }
    fn panels(&self) -> Result<Vec<Chart>, PlotError> {
        Ok(vec![self.chart()?])
    }
    fn summary(&self) -> String {
        let kind = if self.normalize.is_some() {
            "complexity-normalised error EDF"
        } else {
            "error EDF"
        };
        match self.edfs() {
            Ok(edfs) => {
                let mut s = format!("{kind} [min | mean] error (%):\n");
                for ((name, e), series) in edfs.into_iter().zip(&self.series) {
                    let m = e.summary();
                    let excluded = m.n_excluded + series.excluded;
                    // A legend made by `counted` already states n; say it once.
                    let n = format!("(n = {})", m.n);
                    let n = if name.ends_with(&n) {
                        String::new()
                    } else {
                        format!(", n = {}", m.n)
                    };
                    s.push_str(&format!(
                        "  {name}: [{:.2} | {:.2}]{n}{}\n",
                        m.min,
                        m.mean,
                        if excluded > 0 {
                            format!(" ({excluded} diverged excluded)")
                        } else {
                            String::new()
                        }
                    ));
                }
                s
            }
            Err(e) => format!("{kind}: {e}"),
        }
    }
}

figure_api!(EdfPlot);
