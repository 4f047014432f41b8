//! Training curves of runs: loss or top-1 error per epoch, one colour per run. Records count
//! epochs from 0; the figures (and the run tables of [`crate::display`]) count from 1. The paper
//! trains each sampled model briefly (10 epochs, §2.1); looking at the curves tells whether
//! the short schedule has converged enough to rank models.

use super::chart::{Axis, Chart, Layer, LegendPosition};
use super::{Figure, Frame, PlotError, color, figure_api};
use crate::train::{EpochRecord, RunRecord};

/// Points, dashed, legend label.
type Curve = (Vec<(f64, f64)>, bool, String);

/// What a training-curve figure shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Metric {
    /// Training and test top-1 error (%): test solid, training dashed.
    #[default]
    Error,
    /// Training loss.
    Loss,
}

/// Per-epoch curves of several runs.
///
/// ```
/// use regnet_lab::plot::{CurvesPlot, Metric};
/// use regnet_lab::train::EpochRecord;
/// let epochs: Vec<EpochRecord> = (1..=3).map(|e| EpochRecord {
///     epoch: e, lr: 0.1, steps: 10, train_loss: 2.0 / e as f64,
///     train_error: 60.0 / e as f64, test_error: Some(65.0 / e as f64),
///     test_error_blocks: vec![], seconds: 1.0,
/// }).collect();
/// let fig = CurvesPlot::new().epochs("run 0", &epochs).metric(Metric::Loss);
/// assert!(fig.svg()?.contains("training loss"));
/// # Ok::<(), regnet_lab::plot::PlotError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CurvesPlot {
    pub(crate) frame: Frame,
    runs: Vec<(String, Vec<EpochRecord>)>,
    metric: Metric,
}

impl Default for CurvesPlot {
    fn default() -> Self {
        Self::new()
    }
}

/// Error curves of runs, each named by its sample index (or its position).
pub fn training_curves(runs: &[&RunRecord]) -> CurvesPlot {
    runs.iter()
        .enumerate()
        .fold(CurvesPlot::new(), |p, (i, r)| {
            let name = match r.sample.index {
                Some(s) => format!("model {s}"),
                None => format!("run {i}"),
            };
            p.run(&name, r)
        })
}

impl CurvesPlot {
    pub fn new() -> Self {
        CurvesPlot {
            frame: Frame::default(),
            runs: Vec::new(),
            metric: Metric::default(),
        }
    }

    /// Add a run's per-epoch records.
    pub fn run(self, name: &str, record: &RunRecord) -> Self {
        self.epochs(name, &record.epochs)
    }

    /// Add per-epoch records directly.
    pub fn epochs(mut self, name: &str, epochs: &[EpochRecord]) -> Self {
        self.runs.push((name.to_string(), epochs.to_vec()));
        self
    }

    pub fn metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }

    fn chart(&self) -> Result<Chart, PlotError> {
        if self.runs.iter().all(|(_, e)| e.is_empty()) {
            return Err(PlotError::empty("training curves", "no epoch recorded"));
        }
        let y = match self.metric {
            Metric::Error => "top-1 error (%)",
            Metric::Loss => "training loss",
        };
        let mut chart = Chart::new(Axis::new("epoch").integer(), Axis::new(y))
            .legend(Some(LegendPosition::Auto));
        chart.caption = self.frame.title.clone();
        for (i, (name, epochs)) in self.runs.iter().enumerate() {
            let c = color(i);
            // Records count epochs from 0; the curve is drawn after the n-th epoch at n.
            let x = |e: &EpochRecord| (e.epoch + 1) as f64;
            let mut series: Vec<Curve> = Vec::new();
            match self.metric {
                Metric::Loss => series.push((
                    epochs.iter().map(|e| (x(e), e.train_loss)).collect(),
                    false,
                    name.clone(),
                )),
                Metric::Error => {
                    series.push((
                        epochs
                            .iter()
                            .filter_map(|e| e.test_error.map(|t| (x(e), t)))
                            .collect(),
                        false,
                        format!("{name} test"),
                    ));
                    series.push((
                        epochs.iter().map(|e| (x(e), e.train_error)).collect(),
                        true,
                        format!("{name} train"),
                    ));
                }
            }
            for (pts, dashed, label) in series {
                if pts.is_empty() {
                    continue;
                }
                chart.layers.push(Layer::Line {
                    points: pts.clone(),
                    color: c,
                    width: 2,
                    dashed,
                    label: Some(label),
                });
                chart.layers.push(Layer::Points {
                    points: pts,
                    color: c,
                    radius: 3,
                    opacity: 1.0,
                    label: None,
                });
            }
        }
        Ok(chart)
    }
}

impl Figure for CurvesPlot {
    fn size(&self) -> (u32, u32) {
        self.frame.size
    }
    fn panels(&self) -> Result<Vec<Chart>, PlotError> {
        Ok(vec![self.chart()?])
    }
    fn summary(&self) -> String {
        let mut s = String::from("training curves (last epoch):\n");
        for (name, epochs) in &self.runs {
            match epochs.last() {
                Some(e) => s.push_str(&format!(
                    "  {name}: epoch {}, loss {:.3}, train error {:.2}%, test error {}\n",
                    e.epoch + 1,
                    e.train_loss,
                    e.train_error,
                    e.test_error.map_or("–".to_string(), |t| format!("{t:.2}%"))
                )),
                None => s.push_str(&format!("  {name}: no epochs\n")),
            }
        }
        s
    }
}

figure_api!(CurvesPlot);
