//! Error vs a model property (paper Fig. 2 middle and right, Figs. 8–9): one dot per model,
//! a shaded band over the 95% bootstrap range of the best model's property, and a dashed line
//! at its median, the most likely best value (pycls `get_filters` draws it there).

use super::chart::{Axis, Chart, Layer, LegendPosition, Scale};
use super::{Figure, Frame, PlotError, color, figure_api, flops_unit};
use crate::space::Property;
use crate::stats::{GoodRange, GoodRangeOptions, good_range};
use crate::sweep::SweepResults;

/// Error vs a property as a scatter with its bootstrap good range.
///
/// ```
/// use regnet_lab::plot::ErrorVsPlot;
/// let depth = [4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 2.0];
/// let error = [40.0, 38.0, 35.0, 33.0, 31.0, 30.0, 29.0, 45.0];
/// let fig = ErrorVsPlot::new("depth d", &depth, &error);
/// let r = fig.good_range()?.expect("the band is on by default");
/// assert!(r.low <= r.median && r.median <= r.high);
/// assert_eq!(fig.svg()?.matches("<circle").count(), 8 + 1); // the dots and the legend's
/// # Ok::<(), regnet_lab::plot::PlotError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorVsPlot {
    pub(crate) frame: Frame,
    label: String,
    values: Vec<f64>,
    errors: Vec<f64>,
    /// Values are divided by this for display (flops → MF).
    divisor: f64,
    scale: Scale,
    band: bool,
    options: GoodRangeOptions,
    name: Option<String>,
}

/// Error vs `property` of every model of a sweep, e.g. `plot::error_vs(&results, Property::Depth)`.
/// Models without the property (stage 4 of a 3-stage net) are left out. Flops, params and
/// activations are drawn on a log axis in MF/GF, M and M.
pub fn error_vs(results: &SweepResults, property: Property) -> ErrorVsPlot {
    let values = results.column(property);
    let errors = results.errors();
    let mut fig = ErrorVsPlot::new(&property.label(), &values, &errors);
    match property {
        Property::Flops => {
            let max = values
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .fold(0.0, f64::max);
            let (div, unit) = flops_unit(max);
            fig.divisor = div;
            fig.label = format!("flops ({unit})");
            fig.scale = Scale::Log;
        }
        Property::Params => {
            fig.divisor = 1e6;
            fig.label = "params (M)".into();
            fig.scale = Scale::Log;
        }
        Property::Acts => {
            fig.divisor = 1e6;
            fig.label = "activations (M)".into();
            fig.scale = Scale::Log;
        }
        _ => {}
    }
    if let Some(name) = results.space_name() {
        fig.name = Some(name.to_string());
    }
    fig
}

impl ErrorVsPlot {
    /// `values[i]` is the property of the model with error `errors[i]` (%). The x-axis label
    /// should carry units.
    pub fn new(label: &str, values: &[f64], errors: &[f64]) -> Self {
        ErrorVsPlot {
            frame: Frame::default(),
            label: label.to_string(),
            values: values.to_vec(),
            errors: errors.to_vec(),
            divisor: 1.0,
            scale: Scale::Linear,
            band: true,
            options: GoodRangeOptions::default(),
            name: None,
        }
    }

    /// Bootstrap settings of the band (seed, resamples, fraction, alpha).
    pub fn options(mut self, options: GoodRangeOptions) -> Self {
        self.options = options;
        self
    }

    /// Draw without the good-range band and line.
    pub fn without_band(mut self) -> Self {
        self.band = false;
        self
    }

    /// Log or linear x-axis.
    pub fn x_scale(mut self, scale: Scale) -> Self {
        self.scale = scale;
        self
    }

    /// The name of the design space shown in the legend.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// The (value, error) pairs drawn: both finite, value in display units.
    pub fn points(&self) -> Vec<(f64, f64)> {
        self.values
            .iter()
            .zip(&self.errors)
            .filter(|(v, e)| v.is_finite() && e.is_finite())
            .map(|(v, e)| (v / self.divisor, *e))
            .collect()
    }

    /// The bootstrap good range of the property in display units (`None` without the band).
    pub fn good_range(&self) -> Result<Option<GoodRange>, PlotError> {
        if !self.band {
            return Ok(None);
        }
        if self.values.len() != self.errors.len() {
            return Err(PlotError::InvalidArgument {
                name: "columns".into(),
                value: format!(
                    "{} values vs {} errors",
                    self.values.len(),
                    self.errors.len()
                ),
                why: "each model needs one value and one error".into(),
            });
        }
        let pts = self.points();
        let (v, e): (Vec<f64>, Vec<f64>) = pts.into_iter().unzip();
        let r = good_range(&e, &v, &self.options)
            .map_err(|e| PlotError::stats(&format!("good range of {}", self.label), e))?;
        Ok(Some(r))
    }

    fn chart(&self) -> Result<Chart, PlotError> {
        let pts = self.points();
        if pts.is_empty() {
            return Err(PlotError::empty(
                &format!("error vs {}", self.label),
                "no model with a finite error and value",
            ));
        }
        let mut chart = Chart::new(
            Axis::new(self.label.clone()).scale(self.scale),
            Axis::new("error (%)"),
        )
        .legend(Some(LegendPosition::Auto));
        chart.caption = self.frame.title.clone();
        let blue = color(0);
        if let Some(r) = self.good_range()? {
            chart.layers.push(Layer::Band {
                x0: r.low,
                x1: r.high,
                color: blue,
                opacity: 0.18,
                label: Some(format!(
                    "{:.0}% good range [{}, {}]",
                    100.0 - r.alpha,
                    super::chart::tick(r.low),
                    super::chart::tick(r.high)
                )),
            });
            chart.layers.push(Layer::VLine {
                x: r.median,
                color: blue,
                dashed: true,
                label: Some(format!("most likely best {}", super::chart::tick(r.median))),
            });
        }
        chart.layers.push(Layer::Points {
            label: Some(format!(
                "{} (n = {})",
                self.name.as_deref().unwrap_or("models"),
                pts.len()
            )),
            points: pts,
            color: RGB_DOTS,
            radius: 3,
            opacity: 0.75,
        });
        Ok(chart)
    }
}

/// Dots in near-black, as the paper's scatter plots.
const RGB_DOTS: plotters::style::RGBColor = plotters::style::RGBColor(40, 40, 40);

impl Figure for ErrorVsPlot {
    fn size(&self) -> (u32, u32) {
        self.frame.size
    }
    fn panels(&self) -> Result<Vec<Chart>, PlotError> {
        Ok(vec![self.chart()?])
    }
    fn summary(&self) -> String {
        let n = self.points().len();
        let mut s = format!("error (%) vs {}: {n} models", self.label);
        match self.good_range() {
            Ok(Some(r)) => s.push_str(&format!(
                "; {:.0}% bootstrap range of the best model's value [{}, {}], most likely {}",
                100.0 - r.alpha,
                super::chart::tick(r.low),
                super::chart::tick(r.high),
                super::chart::tick(r.median)
            )),
            Ok(None) => {}
            Err(e) => s.push_str(&format!("; no good range: {e}")),
        }
        s
    }
}

figure_api!(ErrorVsPlot);
