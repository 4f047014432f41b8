//! Trends across flop regimes (paper §4, Fig. 11): a property of the good models of each
//! regime (depth, width, wm, g …) against the regime's flops on a log axis, with a
//! least-squares fit in log10 flops. Each regime's point is either its single best model or,
//! as the paper draws it, the bootstrap good range of the property among its best models
//! (a bar over the 95 % range, the point at the median).

use super::chart::{Axis, Chart, Layer, LegendPosition, Scale};
use super::{Figure, Frame, PlotError, color, figure_api, flops_unit};
use crate::space::Property;
use crate::stats::{GoodRangeOptions, LinearFit, XScale, good_range, linear_fit};
use crate::sweep::SweepResults;

#[derive(Debug, Clone, PartialEq)]
struct Series {
    name: String,
    /// (flops, value)
    points: Vec<(f64, f64)>,
    /// The 95 % range drawn as a bar at each point (empty: points only).
    ranges: Vec<(f64, f64)>,
}

/// A property against flops across regimes, with a fitted trend per series.
///
/// ```
/// use regnet_lab::plot::TrendPlot;
/// let fig = TrendPlot::new("best depth d")
///     .series("RegNetX", &[(200e6, 13.0), (800e6, 16.0), (3.2e9, 22.0)]);
/// let fit = &fig.fits()?[0].1;
/// assert!(fit.slope > 0.0);
/// assert!(fig.svg()?.contains("flops (GF)")); // the axis unit follows the largest value
/// # Ok::<(), regnet_lab::plot::PlotError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPlot {
    pub(crate) frame: Frame,
    y_label: String,
    series: Vec<Series>,
    fit: bool,
}

impl TrendPlot {
    /// A trend plot whose y-axis is labelled `y_label` (with units).
    pub fn new(y_label: &str) -> Self {
        TrendPlot {
            frame: Frame::default(),
            y_label: y_label.to_string(),
            series: Vec::new(),
            fit: true,
        }
    }

    /// The property of the best (lowest-error) model of each sweep, one sweep per flop regime,
    /// against that model's flops: the paper's Fig. 11 from its per-regime sweeps.
    /// Sweeps with no valid run are skipped (and named in the summary).
    pub fn best(property: Property, name: &str, sweeps: &[&SweepResults]) -> Self {
        let mut points = Vec::new();
        for r in sweeps {
            let e = r.errors();
            let v = r.column(property);
            let f = r.flops();
            let best = e
                .iter()
                .enumerate()
                .filter(|(_, x)| x.is_finite())
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map(|(i, _)| i);
            if let Some(i) = best {
                points.push((f[i], v[i]));
            }
        }
        TrendPlot::new(&format!("best model's {}", property.label())).series(name, &points)
    }

    /// Add a series of `(flops, value)` points.
    pub fn series(mut self, name: &str, points: &[(f64, f64)]) -> Self {
        self.series.push(Series {
            name: name.to_string(),
            points: points.to_vec(),
            ranges: Vec::new(),
        });
        self
    }

    /// The bootstrap good range of `property` among the best models of each sweep (one sweep
    /// per flop regime; the band of paper Fig. 2, computed per regime with `options`), at the
    /// median flops of the sweep's models: a bar over the range, the point (and the fit) at its
    /// median. Sweeps where the range cannot be computed (no valid run, a property the models
    /// lack) are skipped; [`TrendPlot::regimes`] says how many points remain.
    ///
    /// ```
    /// use regnet_lab::plot::TrendPlot;
    /// use regnet_lab::space::{DesignSpace, Property};
    /// use regnet_lab::stats::GoodRangeOptions;
    /// use regnet_lab::sweep::SweepResults;
    /// use regnet_lab::train::RunRecord;
    /// let space = DesignSpace::regnet_x();
    /// let sweep = |shift: f64| -> SweepResults {
    ///     let recs = (0..40)
    ///         .map(|i| {
    ///             let s = space.sample(0, i).unwrap();
    ///             let err = 30.0 - s.spec.depth() as f64 * 0.1 + shift;
    ///             RunRecord::synthetic(&s, Some(err))
    ///         })
    ///         .collect();
    ///     SweepResults::from_records(recs)
    /// };
    /// let (a, b) = (sweep(0.0), sweep(1.0));
    /// let fig = TrendPlot::good_ranges(Property::Depth, "RegNetX", &[&a, &b], &GoodRangeOptions::default());
    /// assert_eq!(fig.regimes(), 2);
    /// # Ok::<(), regnet_lab::plot::PlotError>(())
    /// ```
    pub fn good_ranges(
        property: Property,
        name: &str,
        sweeps: &[&SweepResults],
        options: &GoodRangeOptions,
    ) -> Self {
        let (mut points, mut ranges) = (Vec::new(), Vec::new());
        for r in sweeps {
            let Ok(g) = good_range(&r.errors(), &r.column(property), options) else {
                continue;
            };
            let mut flops: Vec<f64> = r.flops().into_iter().filter(|f| f.is_finite()).collect();
            if flops.is_empty() || !(g.low.is_finite() && g.high.is_finite()) {
                continue;
            }
            flops.sort_by(f64::total_cmp);
            points.push((flops[flops.len() / 2], g.median));
            ranges.push((g.low, g.high));
        }
        let mut fig = TrendPlot::new(&format!(
            "{} of the good models ({:.0} % range)",
            property.label(),
            100.0 - options.alpha
        ));
        fig.series.push(Series {
            name: name.to_string(),
            points,
            ranges,
        });
        fig
    }

    /// Points in the first series (regimes that gave a value).
    pub fn regimes(&self) -> usize {
        self.series.first().map_or(0, |s| s.points.len())
    }

    /// Points only, no fitted line.
    pub fn without_fit(mut self) -> Self {
        self.fit = false;
        self
    }

    fn finite(s: &Series) -> Vec<(f64, f64)> {
        s.points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && *x > 0.0 && y.is_finite())
            .collect()
    }

    /// The fit `value ≈ intercept + slope · log10(flops)` of every series.
    pub fn fits(&self) -> Result<Vec<(String, LinearFit)>, PlotError> {
        self.series
            .iter()
            .map(|s| {
                Self::fit(s)
                    .map(|f| (s.name.clone(), f))
                    .map_err(|e| PlotError::stats(&format!("trend of {}", s.name), e))
            })
            .collect()
    }

    /// The trend of one series in log10 flops.
    fn fit(s: &Series) -> Result<LinearFit, crate::stats::StatsError> {
        let (x, y): (Vec<f64>, Vec<f64>) = Self::finite(s).into_iter().unzip();
        linear_fit(&x, &y, XScale::Log10)
    }

    fn chart(&self) -> Result<Chart, PlotError> {
        let max = self
            .series
            .iter()
            .flat_map(Self::finite)
            .map(|p| p.0)
            .fold(f64::NEG_INFINITY, f64::max);
        if !max.is_finite() {
            return Err(PlotError::empty(
                "trend",
                "no point with finite positive flops and a finite value",
            ));
        }
        let (div, unit) = flops_unit(max);
        let mut chart = Chart::new(
            Axis::new(format!("flops ({unit})")).scale(Scale::Log),
            Axis::new(self.y_label.clone()),
        )
        .legend(Some(LegendPosition::Auto));
        chart.caption = self.frame.title.clone();
        for (i, s) in self.series.iter().enumerate() {
            let pts: Vec<(f64, f64)> = Self::finite(s)
                .into_iter()
                .map(|(x, y)| (x / div, y))
                .collect();
            let c = color(i);
            for (&(x, _), &(lo, hi)) in s.points.iter().zip(&s.ranges) {
                if x.is_finite() && x > 0.0 && lo.is_finite() && hi.is_finite() {
                    chart.layers.push(Layer::Line {
                        points: vec![(x / div, lo), (x / div, hi)],
                        color: c,
                        width: 3,
                        dashed: false,
                        label: None,
                    });
                }
            }
            // A series with fewer than two points has no trend line (its points still show).
            let fit = self.fit.then(|| Self::fit(s).ok());
            if let Some(Some(f)) = fit {
                let f = &f;
                let lo = pts.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
                let hi = pts.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
                let line: Vec<(f64, f64)> = (0..=32)
                    .map(|k| {
                        let x = lo * (hi / lo).powf(k as f64 / 32.0);
                        (x, f.predict(x * div))
                    })
                    .collect();
                chart.layers.push(Layer::Line {
                    points: line,
                    color: c,
                    width: 2,
                    dashed: true,
                    label: Some(format!(
                        "fit: {:.2} {} {:.2}·log10(flops), R² = {:.2}",
                        f.intercept,
                        if f.slope < 0.0 { '−' } else { '+' },
                        f.slope.abs(),
                        f.r_squared
                    )),
                });
            }
            chart.layers.push(Layer::Points {
                points: pts,
                color: c,
                radius: 5,
                opacity: 1.0,
                label: Some(s.name.clone()),
            });
        }
        // Headroom above the highest band: the legend (a fit's equation is wide) then sits in
        // empty space instead of over the top of a band.
        if let Some((lo, hi)) = chart.extent(false).filter(|(lo, hi)| hi > lo) {
            let span = hi - lo;
            chart.y = chart.y.range(lo - 0.04 * span, hi + 0.45 * span);
        }
        Ok(chart)
    }
}

impl Figure for TrendPlot {
    fn size(&self) -> (u32, u32) {
        self.frame.size
    }
    fn panels(&self) -> Result<Vec<Chart>, PlotError> {
        Ok(vec![self.chart()?])
    }
    fn summary(&self) -> String {
        let mut s = format!("{} vs flops:\n", self.y_label);
        let fits = self.fits();
        for (i, series) in self.series.iter().enumerate() {
            s.push_str(&format!(
                "  {}: {} points",
                series.name,
                series.points.len()
            ));
            match &fits {
                Ok(f) => s.push_str(&format!(
                    ", fit {:.3} + {:.3}·log10(flops), R² = {:.3}\n",
                    f[i].1.intercept, f[i].1.slope, f[i].1.r_squared
                )),
                Err(e) => s.push_str(&format!(" ({e})\n")),
            }
        }
        s
    }
}

figure_api!(TrendPlot);
