//! Random-search efficiency (ICCV 2019 §5): the expected error of the best of `k` models drawn
//! from a design space, against `k` on a log axis. A better space reaches a low error with
//! fewer models.

use super::chart::{Axis, Chart, Layer, LegendPosition, Scale};
use super::{Figure, Frame, PlotError, color, figure_api, log_ks};
use crate::stats::{Draws, SearchEfficiency, random_search_efficiency};
use crate::sweep::SweepResults;

/// Random-search efficiency curves of several sweeps.
///
/// ```
/// use regnet_lab::plot::SearchPlot;
/// let fig = SearchPlot::new().errors("AnyNetX_A", &[40.0, 35.0, 37.5, 33.0]);
/// let eff = fig.curves()?;
/// assert_eq!(eff[0].1.k[0], 1);
/// assert!(fig.svg()?.contains("models tried"));
/// # Ok::<(), regnet_lab::plot::PlotError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPlot {
    pub(crate) frame: Frame,
    series: Vec<(String, Vec<f64>)>,
    ks: Option<Vec<usize>>,
    draws: Draws,
}

impl Default for SearchPlot {
    fn default() -> Self {
        Self::new()
    }
}

/// Search efficiency of named error columns, as `plot::search_efficiency(&[("A", &errs)])`.
pub fn search_efficiency<S: AsRef<str>, E: AsRef<[f64]>>(series: &[(S, E)]) -> SearchPlot {
    series.iter().fold(SearchPlot::new(), |p, (n, e)| {
        p.errors(n.as_ref(), e.as_ref())
    })
}

impl SearchPlot {
    pub fn new() -> Self {
        SearchPlot {
            frame: Frame::default(),
            series: Vec::new(),
            ks: None,
            draws: Draws::default(),
        }
    }

    /// Add a sweep's errors.
    pub fn sweep(self, name: &str, results: &SweepResults) -> Self {
        self.errors(name, &results.errors())
    }

    /// Add an error column (%).
    pub fn errors(mut self, name: &str, errors: &[f64]) -> Self {
        self.series.push((name.to_string(), errors.to_vec()));
        self
    }

    /// The `k`s to evaluate (default: about 40 log-spaced values from 1 to the sweep size).
    pub fn ks(mut self, ks: &[usize]) -> Self {
        self.ks = Some(ks.to_vec());
        self
    }

    /// Draw with or without replacement (default with).
    pub fn draws(mut self, draws: Draws) -> Self {
        self.draws = draws;
        self
    }

    /// The expected best error for each `k` of every series.
    pub fn curves(&self) -> Result<Vec<(String, SearchEfficiency)>, PlotError> {
        if self.series.is_empty() {
            return Err(PlotError::empty("search efficiency", "no series added"));
        }
        self.series
            .iter()
            .map(|(name, e)| {
                let n = e.iter().filter(|v| v.is_finite()).count();
                let ks = self.ks.clone().unwrap_or_else(|| log_ks(n));
                random_search_efficiency(e, &ks, self.draws)
                    .map(|r| (name.clone(), r))
                    .map_err(|err| PlotError::stats(&format!("search efficiency of {name}"), err))
            })
            .collect()
    }

    fn chart(&self) -> Result<Chart, PlotError> {
        let curves = self.curves()?;
        let mut chart = Chart::new(
            Axis::new("models tried k").scale(Scale::Log).integer(),
            Axis::new("expected best error (%)"),
        )
        .legend(Some(LegendPosition::Auto));
        chart.caption = self.frame.title.clone();
        for (i, (name, r)) in curves.iter().enumerate() {
            let pts: Vec<(f64, f64)> =
                r.k.iter()
                    .zip(&r.expected_min)
                    .map(|(&k, &e)| (k as f64, e))
                    .collect();
            chart.layers.push(Layer::Line {
                points: pts,
                color: color(i),
                width: 2,
                dashed: false,
                label: Some(format!("{name} (n = {})", r.n)),
            });
        }
        Ok(chart)
    }
}

impl Figure for SearchPlot {
    fn size(&self) -> (u32, u32) {
        self.frame.size
    }
    fn panels(&self) -> Result<Vec<Chart>, PlotError> {
        Ok(vec![self.chart()?])
    }
    fn summary(&self) -> String {
        match self.curves() {
            Ok(c) => {
                let mut s = String::from("random-search efficiency (expected best error, %):\n");
                for (name, r) in c {
                    let first = r.expected_min.first().copied().unwrap_or(f64::NAN);
                    let last = r.expected_min.last().copied().unwrap_or(f64::NAN);
                    let kmax = r.k.last().copied().unwrap_or(0);
                    s.push_str(&format!(
                        "  {name}: k = 1 → {first:.2}, k = {kmax} → {last:.2} (n = {})\n",
                        r.n
                    ));
                }
                s
            }
            Err(e) => format!("random-search efficiency: {e}"),
        }
    }
}

figure_api!(SearchPlot);
