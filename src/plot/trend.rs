//! Trends across flop regimes (paper §5.1, Fig. 11): a property of the best model of each
//! regime (depth, width, wm, g …) against the regime's flops on a log axis, with a
//! least-squares fit in log10 flops.

use super::chart::{Axis, Chart, Layer, LegendPosition, Scale};
use super::{Figure, Frame, PlotError, color, figure_api, flops_unit};
use crate::space::Property;
use crate::stats::{LinearFit, XScale, linear_fit};
use crate::sweep::SweepResults;

#[derive(Debug, Clone, PartialEq)]
struct Series {
    name: String,
    /// (flops, value)
    points: Vec<(f64, f64)>,
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
        });
        self
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
                let (x, y): (Vec<f64>, Vec<f64>) = Self::finite(s).into_iter().unzip();
                linear_fit(&x, &y, XScale::Log10)
                    .map(|f| (s.name.clone(), f))
                    .map_err(|e| PlotError::stats(&format!("trend of {}", s.name), e))
            })
            .collect()
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
        let fits = if self.fit { Some(self.fits()?) } else { None };
        for (i, s) in self.series.iter().enumerate() {
            let pts: Vec<(f64, f64)> = Self::finite(s)
                .into_iter()
                .map(|(x, y)| (x / div, y))
                .collect();
            let c = color(i);
            if let Some(fits) = &fits {
                let f = &fits[i].1;
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
