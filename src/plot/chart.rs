//! One panel as plain data: two axes and a stack of layers in data coordinates. Every figure
//! type reduces to one or more [`Chart`]s, and one generic renderer draws them with plotters,
//! so all figures share fonts, sizes, grid and legend style.

use std::ops::Range;

use plotters::style::RGBColor;

use super::{Figure, Frame, PlotError, figure_api};

/// Axis scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    #[default]
    Linear,
    /// Base-10 logarithmic: for flops, params and `k` spanning decades. Values ≤ 0 are skipped.
    Log,
}

/// One axis: its label (with units) and scale; the range is taken from the data unless set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Axis {
    pub label: String,
    pub scale: Scale,
    pub range: Option<(f64, f64)>,
    /// Only whole numbers are labelled (epochs, block indices).
    pub integer: bool,
}

impl Axis {
    pub fn new(label: impl Into<String>) -> Self {
        Axis {
            label: label.into(),
            ..Axis::default()
        }
    }
    pub fn log(mut self) -> Self {
        self.scale = Scale::Log;
        self
    }
    pub fn scale(mut self, scale: Scale) -> Self {
        self.scale = scale;
        self
    }
    pub fn range(mut self, low: f64, high: f64) -> Self {
        self.range = Some((low, high));
        self
    }
    /// Label only whole numbers.
    pub fn integer(mut self) -> Self {
        self.integer = true;
        self
    }
}

/// Where the legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LegendPosition {
    /// The corner that hides the fewest data points.
    #[default]
    Auto,
    UpperLeft,
    UpperRight,
    LowerRight,
    LowerLeft,
}

/// Something drawn in a panel, in data coordinates. A layer with a `label` gets a legend entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// A polyline (solid or dashed).
    Line {
        points: Vec<(f64, f64)>,
        color: RGBColor,
        width: u32,
        dashed: bool,
        label: Option<String>,
    },
    /// Markers (filled circles with a given opacity).
    Points {
        points: Vec<(f64, f64)>,
        color: RGBColor,
        radius: u32,
        opacity: f64,
        label: Option<String>,
    },
    /// A vertical band `[x0, x1]` over the whole height (the bootstrap good range).
    Band {
        x0: f64,
        x1: f64,
        color: RGBColor,
        opacity: f64,
        label: Option<String>,
    },
    /// A vertical line over the whole height.
    VLine {
        x: f64,
        color: RGBColor,
        dashed: bool,
        label: Option<String>,
    },
    /// A few lines of text in a corner of the plot, boxed like the legend (a panel's key
    /// numbers). Placed in pixels, so it takes no part in the axis ranges; `Auto` picks the
    /// emptiest corner other than the legend's.
    Note {
        lines: Vec<String>,
        corner: LegendPosition,
        color: RGBColor,
    },
}

/// One panel: axes, layers, legend. Usable directly as a figure for custom plots.
///
/// ```
/// use regnet_lab::plot::{Axis, Chart, Layer, color};
/// let c = Chart::new(Axis::new("epoch"), Axis::new("error (%)")).layer(Layer::Line {
///     points: vec![(1.0, 60.0), (2.0, 45.0)], color: color(0), width: 2, dashed: false,
///     label: Some("run 0".into()),
/// });
/// assert!(c.svg()?.contains("run 0"));
/// # Ok::<(), regnet_lab::plot::PlotError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub caption: Option<String>,
    pub x: Axis,
    pub y: Axis,
    pub layers: Vec<Layer>,
    pub legend: Option<LegendPosition>,
    pub(crate) frame: Frame,
}

impl Chart {
    pub fn new(x: Axis, y: Axis) -> Self {
        Chart {
            caption: None,
            x,
            y,
            layers: Vec::new(),
            legend: Some(LegendPosition::default()),
            frame: Frame::default(),
        }
    }

    pub fn layer(mut self, layer: Layer) -> Self {
        self.layers.push(layer);
        self
    }

    pub fn legend(mut self, position: Option<LegendPosition>) -> Self {
        self.legend = position;
        self
    }

    /// Data extent of the layers along x (`want_x`) or y, skipping non-finite values and, on a
    /// log axis, values ≤ 0.
    pub(crate) fn extent(&self, want_x: bool) -> Option<(f64, f64)> {
        let log = if want_x {
            self.x.scale == Scale::Log
        } else {
            self.y.scale == Scale::Log
        };
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        let mut take = |v: f64| {
            if v.is_finite() && (!log || v > 0.0) {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        };
        for l in &self.layers {
            match l {
                Layer::Line { points, .. } | Layer::Points { points, .. } => {
                    for &(x, y) in points {
                        take(if want_x { x } else { y });
                    }
                }
                Layer::Band { x0, x1, .. } if want_x => {
                    take(*x0);
                    take(*x1);
                }
                Layer::VLine { x, .. } if want_x => take(*x),
                _ => {}
            }
        }
        (lo <= hi).then_some((lo, hi))
    }

    /// The drawn range of an axis: the set range, or the data extent with a 4% margin
    /// (a factor on a log axis).
    pub(crate) fn axis_range(&self, want_x: bool) -> Result<Range<f64>, PlotError> {
        let axis = if want_x { &self.x } else { &self.y };
        let (lo, hi) = match axis.range {
            Some(r) => r,
            None => {
                let (lo, hi) = self.extent(want_x).ok_or_else(|| {
                    PlotError::empty(
                        self.caption.as_deref().unwrap_or("chart"),
                        format!("no finite data along '{}'", axis.label),
                    )
                })?;
                match axis.scale {
                    Scale::Linear => {
                        let pad = if hi > lo {
                            0.04 * (hi - lo)
                        } else {
                            lo.abs().max(1.0) * 0.1
                        };
                        (lo - pad, hi + pad)
                    }
                    Scale::Log => {
                        let f = if hi > lo { (hi / lo).powf(0.04) } else { 2.0 };
                        (lo / f, hi * f)
                    }
                }
            }
        };
        let bad = !(lo.is_finite() && hi.is_finite() && lo < hi)
            || (axis.scale == Scale::Log && lo <= 0.0);
        if bad {
            return Err(PlotError::InvalidArgument {
                name: format!("range of axis '{}'", axis.label),
                value: format!("[{lo}, {hi}]"),
                why: "need finite low < high (and low > 0 on a log axis)".into(),
            });
        }
        Ok(lo..hi)
    }
}

impl Chart {
    /// The corner (a box of 60% × 30% of the plot: legends with a fit in them are wide)
    /// holding the fewest points, preferring upper right, lower right, upper left, lower left
    /// on ties; never `taken` (a corner already holding the legend). Lines count along their
    /// length, so a band drawn as one vertical segment claims the corners it passes through.
    pub(crate) fn emptiest_corner(
        &self,
        xr: &Range<f64>,
        yr: &Range<f64>,
        taken: Option<LegendPosition>,
    ) -> LegendPosition {
        let unit = |v: f64, r: &Range<f64>, scale: Scale| match scale {
            Scale::Linear => (v - r.start) / (r.end - r.start),
            Scale::Log => (v / r.start).ln() / (r.end / r.start).ln(),
        };
        // A data point in plot units: (0, 0) lower left, (1, 1) upper right.
        let to_unit = |&(x, y): &(f64, f64)| (unit(x, xr, self.x.scale), unit(y, yr, self.y.scale));
        // Points counted per line segment besides its start.
        const STEPS: u32 = 8;
        let mut counts = [0usize; 4];
        let corners = [
            LegendPosition::UpperRight,
            LegendPosition::LowerRight,
            LegendPosition::UpperLeft,
            LegendPosition::LowerLeft,
        ];
        for l in &self.layers {
            let pts: Vec<(f64, f64)> = match l {
                Layer::Points { points, .. } => points.iter().map(to_unit).collect(),
                Layer::Line { points, .. } => {
                    let mut dense: Vec<(f64, f64)> =
                        points.first().map(to_unit).into_iter().collect();
                    for w in points.windows(2) {
                        let ((u0, v0), (u1, v1)) = (to_unit(&w[0]), to_unit(&w[1]));
                        dense.extend((1..=STEPS).map(|k| {
                            let t = f64::from(k) / f64::from(STEPS);
                            (u0 + t * (u1 - u0), v0 + t * (v1 - v0))
                        }));
                    }
                    dense
                }
                _ => continue,
            };
            for (u, v) in pts {
                if !(u.is_finite() && v.is_finite()) {
                    continue;
                }
                let (right, left) = (u > 0.4, u < 0.6);
                let (top, bottom) = (v > 0.7, v < 0.3);
                for (i, hit) in [right && top, right && bottom, left && top, left && bottom]
                    .into_iter()
                    .enumerate()
                {
                    counts[i] += usize::from(hit);
                }
            }
        }
        let best = (0..4)
            .filter(|&i| Some(corners[i]) != taken)
            .min_by_key(|&i| counts[i])
            .unwrap_or(0);
        corners[best]
    }
}

impl Figure for Chart {
    fn size(&self) -> (u32, u32) {
        self.frame.size
    }
    fn panels(&self) -> Result<Vec<Chart>, PlotError> {
        let mut c = self.clone();
        if c.caption.is_none() {
            c.caption = self.frame.title.clone();
        }
        Ok(vec![c])
    }
    fn summary(&self) -> String {
        format!(
            "chart: {} vs {}, {} layers",
            self.y.label,
            self.x.label,
            self.layers.len()
        )
    }
}

figure_api!(Chart);

/// A short tick label: at most 3 significant decimals, no trailing zeros.
pub(crate) fn tick(v: f64) -> String {
    let a = v.abs();
    let s = if a == 0.0 {
        "0".to_string()
    } else if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}
