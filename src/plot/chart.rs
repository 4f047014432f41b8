//! One panel as plain data: two axes and a stack of layers in data coordinates. Every figure
//! type reduces to one or more [`Chart`]s, and one generic renderer draws them with plotters,
//! so all figures share fonts, sizes, grid and legend style.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::render::{FONT_FAMILY, draw_err, ensure_font};
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
    fn extent(&self, want_x: bool) -> Option<(f64, f64)> {
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
    fn axis_range(&self, want_x: bool) -> Result<Range<f64>, PlotError> {
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
    /// The corner (a box of 45% × 30% of the plot) holding the fewest points, preferring
    /// upper right, lower right, upper left, lower left on ties; never `taken` (a corner
    /// already holding the legend).
    fn emptiest_corner(
        &self,
        xr: &Range<f64>,
        yr: &Range<f64>,
        taken: Option<LegendPosition>,
    ) -> LegendPosition {
        let unit = |v: f64, r: &Range<f64>, scale: Scale| match scale {
            Scale::Linear => (v - r.start) / (r.end - r.start),
            Scale::Log => (v / r.start).ln() / (r.end / r.start).ln(),
        };
        let mut counts = [0usize; 4];
        let corners = [
            LegendPosition::UpperRight,
            LegendPosition::LowerRight,
            LegendPosition::UpperLeft,
            LegendPosition::LowerLeft,
        ];
        for l in &self.layers {
            let pts = match l {
                Layer::Line { points, .. } | Layer::Points { points, .. } => points,
                _ => continue,
            };
            for &(x, y) in pts {
                let (u, v) = (unit(x, xr, self.x.scale), unit(y, yr, self.y.scale));
                if !(u.is_finite() && v.is_finite()) {
                    continue;
                }
                let (right, left) = (u > 0.55, u < 0.45);
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

fn axis_tick(axis: &Axis, v: f64) -> String {
    if axis.integer && (v - v.round()).abs() > 1e-9 {
        String::new()
    } else {
        tick(v)
    }
}

/// Draw one chart on an area (which the caller has filled).
pub(crate) fn draw_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart,
) -> Result<(), PlotError> {
    ensure_font()?;
    let xr = chart.axis_range(true)?;
    let yr = chart.axis_range(false)?;
    let auto_note = chart.layers.iter().any(|l| {
        matches!(
            l,
            Layer::Note {
                corner: LegendPosition::Auto,
                ..
            }
        )
    });
    let mut resolved;
    let chart = if chart.legend == Some(LegendPosition::Auto) || auto_note {
        resolved = chart.clone();
        if resolved.legend == Some(LegendPosition::Auto) {
            resolved.legend = Some(chart.emptiest_corner(&xr, &yr, None));
        }
        let legend = resolved.legend;
        for l in &mut resolved.layers {
            if let Layer::Note { corner, .. } = l {
                if *corner == LegendPosition::Auto {
                    *corner = chart.emptiest_corner(&xr, &yr, legend);
                }
            }
        }
        &resolved
    } else {
        chart
    };
    let lin = |r: Range<f64>| RangedCoordf64::from(r);
    let log = |r: Range<f64>| {
        let (bold, light) = log_ticks(r.start, r.end);
        LogCoord::from(r.log_scale())
            .with_key_points(bold)
            .with_light_points(light)
    };
    match (chart.x.scale, chart.y.scale) {
        (Scale::Linear, Scale::Linear) => draw_in(area, chart, lin(xr), lin(yr)),
        (Scale::Log, Scale::Linear) => draw_in(area, chart, log(xr), lin(yr)),
        (Scale::Linear, Scale::Log) => draw_in(area, chart, lin(xr), log(yr)),
        (Scale::Log, Scale::Log) => draw_in(area, chart, log(xr), log(yr)),
    }
}

/// Ticks of a log axis: labelled ticks at 1, 2, 5 × 10^k (every 1…9 × 10^k when that gives
/// fewer than three, only the powers of ten when it gives more than ten), grid lines at every
/// 1…9 × 10^k. plotters' own log axis labels only the powers of ten, which leaves a
/// flops axis spanning less than a decade with one label or none.
pub(crate) fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let mut light = Vec::new();
    let mut bold = Vec::new();
    let mut tens = Vec::new();
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return (bold, light);
    }
    let k0 = lo.log10().floor() as i32;
    let k1 = hi.log10().ceil() as i32;
    for k in k0..=k1 {
        for m in 1..=9 {
            let v = m as f64 * 10f64.powi(k);
            if v >= lo && v <= hi {
                light.push(v);
                if matches!(m, 1 | 2 | 5) {
                    bold.push(v);
                }
                if m == 1 {
                    tens.push(v);
                }
            }
        }
    }
    if bold.len() < 3 {
        bold = light.clone();
    }
    if bold.len() > 10 {
        bold = tens;
    }
    (bold, light)
}

/// Coordinates both axis kinds satisfy.
trait Coord: Ranged<ValueType = f64> + ValueFormatter<f64> {}
impl<T: Ranged<ValueType = f64> + ValueFormatter<f64>> Coord for T {}

fn keep(scale: Scale, v: f64) -> bool {
    v.is_finite() && (scale == Scale::Linear || v > 0.0)
}

fn draw_in<DB: DrawingBackend, X: Coord, Y: Coord>(
    area: &DrawingArea<DB, Shift>,
    spec: &Chart,
    x: X,
    y: Y,
) -> Result<(), PlotError> {
    let (y_lo, y_hi) = {
        let r = y.range();
        (r.start, r.end)
    };
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(14)
        .x_label_area_size(46)
        .y_label_area_size(58);
    if let Some(c) = &spec.caption {
        builder.caption(c, (FONT_FAMILY, 17).into_font().color(&BLACK));
    }
    let mut chart = builder.build_cartesian_2d(x, y).map_err(draw_err)?;
    let label_style = (FONT_FAMILY, 13).into_font().color(&RGBColor(40, 40, 40));
    chart
        .configure_mesh()
        .x_desc(spec.x.label.as_str())
        .y_desc(spec.y.label.as_str())
        .axis_desc_style((FONT_FAMILY, 14).into_font().color(&BLACK))
        .label_style(label_style)
        .x_label_formatter(&|v| axis_tick(&spec.x, *v))
        .y_label_formatter(&|v| axis_tick(&spec.y, *v))
        .x_labels(8)
        .y_labels(8)
        .bold_line_style(RGBColor(222, 222, 222))
        .light_line_style(RGBColor(244, 244, 244))
        .axis_style(RGBColor(90, 90, 90))
        .draw()
        .map_err(draw_err)?;

    let (sx, sy) = (spec.x.scale, spec.y.scale);
    let ok = |p: &&(f64, f64)| keep(sx, p.0) && keep(sy, p.1);
    let mut labelled = false;
    for layer in &spec.layers {
        match layer {
            Layer::Band {
                x0,
                x1,
                color,
                opacity,
                label,
            } => {
                if !(keep(sx, *x0) && keep(sx, *x1)) {
                    continue;
                }
                let style = color.mix(*opacity).filled();
                let anno = chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(*x0, y_lo), (*x1, y_hi)],
                        style,
                    )))
                    .map_err(draw_err)?;
                if let Some(l) = label {
                    labelled = true;
                    anno.label(l.as_str())
                        .legend(move |(a, b)| Rectangle::new([(a, b - 5), (a + 18, b + 5)], style));
                }
            }
            Layer::VLine {
                x,
                color,
                dashed,
                label,
            } => {
                if !keep(sx, *x) {
                    continue;
                }
                let style = ShapeStyle::from(color).stroke_width(2);
                let pts = vec![(*x, y_lo), (*x, y_hi)];
                let anno = if *dashed {
                    chart
                        .draw_series(DashedLineSeries::new(pts, 7, 5, style))
                        .map_err(draw_err)?
                } else {
                    chart
                        .draw_series(LineSeries::new(pts, style))
                        .map_err(draw_err)?
                };
                if let Some(l) = label {
                    labelled = true;
                    legend_line(anno.label(l.as_str()), style, *dashed);
                }
            }
            Layer::Line {
                points,
                color,
                width,
                dashed,
                label,
            } => {
                let pts: Vec<(f64, f64)> = points.iter().filter(ok).copied().collect();
                if pts.is_empty() {
                    continue;
                }
                let style = ShapeStyle::from(color).stroke_width(*width);
                let anno = if *dashed {
                    chart
                        .draw_series(DashedLineSeries::new(pts, 7, 5, style))
                        .map_err(draw_err)?
                } else {
                    chart
                        .draw_series(LineSeries::new(pts, style))
                        .map_err(draw_err)?
                };
                if let Some(l) = label {
                    labelled = true;
                    legend_line(anno.label(l.as_str()), style, *dashed);
                }
            }
            Layer::Points {
                points,
                color,
                radius,
                opacity,
                label,
            } => {
                let style = color.mix(*opacity).filled();
                let r = *radius;
                let anno = chart
                    .draw_series(points.iter().filter(ok).map(|&p| Circle::new(p, r, style)))
                    .map_err(draw_err)?;
                if let Some(l) = label {
                    labelled = true;
                    anno.label(l.as_str())
                        .legend(move |(a, b)| Circle::new((a + 9, b), r.max(3), style));
                }
            }
            Layer::Note {
                lines,
                corner,
                color,
            } => draw_note(
                &chart.plotting_area().strip_coord_spec(),
                lines,
                *corner,
                color,
            )?,
        }
    }
    if let (true, Some(pos)) = (labelled, spec.legend) {
        let pos = match pos {
            LegendPosition::UpperLeft | LegendPosition::Auto => SeriesLabelPosition::UpperLeft,
            LegendPosition::UpperRight => SeriesLabelPosition::UpperRight,
            LegendPosition::LowerRight => SeriesLabelPosition::LowerRight,
            LegendPosition::LowerLeft => SeriesLabelPosition::LowerLeft,
        };
        chart
            .configure_series_labels()
            .position(pos)
            .label_font((FONT_FAMILY, 13).into_font().color(&BLACK))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(170, 170, 170))
            .margin(10)
            .draw()
            .map_err(draw_err)?;
    }
    Ok(())
}

/// A boxed block of text lines in a corner of the plotting area (pixel coordinates).
fn draw_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    lines: &[String],
    corner: LegendPosition,
    color: &RGBColor,
) -> Result<(), PlotError> {
    if lines.is_empty() {
        return Ok(());
    }
    let font = (FONT_FAMILY, 13).into_font().color(color);
    let (pad, gap, margin) = (6i32, 3i32, 8i32);
    let mut w = 0i32;
    let mut heights = Vec::with_capacity(lines.len());
    for l in lines {
        let (tw, th) = area.estimate_text_size(l, &font).map_err(draw_err)?;
        w = w.max(tw as i32);
        heights.push(th as i32);
    }
    let h: i32 = heights.iter().sum::<i32>() + gap * (lines.len() as i32 - 1);
    let (aw, ah) = area.dim_in_pixel();
    let (bw, bh) = (w + 2 * pad, h + 2 * pad);
    let right = matches!(
        corner,
        LegendPosition::UpperRight | LegendPosition::LowerRight
    );
    let bottom = matches!(
        corner,
        LegendPosition::LowerRight | LegendPosition::LowerLeft
    );
    let x0 = if right {
        aw as i32 - margin - bw
    } else {
        margin
    };
    let y0 = if bottom {
        ah as i32 - margin - bh
    } else {
        margin
    };
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + bw, y0 + bh)],
        WHITE.mix(0.85).filled(),
    ))
    .map_err(draw_err)?;
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + bw, y0 + bh)],
        RGBColor(170, 170, 170),
    ))
    .map_err(draw_err)?;
    let mut y = y0 + pad;
    for (l, th) in lines.iter().zip(heights) {
        area.draw(&Text::new(l.as_str(), (x0 + pad, y), font.clone()))
            .map_err(draw_err)?;
        y += th + gap;
    }
    Ok(())
}

/// A legend marker for a line: a solid stroke, or two dashes for a dashed line.
fn legend_line<'a, DB: DrawingBackend + 'a>(
    anno: &mut plotters::chart::SeriesAnno<'a, DB>,
    style: ShapeStyle,
    dashed: bool,
) {
    if dashed {
        anno.legend(move |(a, b)| {
            EmptyElement::at((a, b))
                + PathElement::new(vec![(0, 0), (7, 0)], style)
                + PathElement::new(vec![(11, 0), (18, 0)], style)
        });
    } else {
        anno.legend(move |(a, b)| PathElement::new(vec![(a, b), (a + 18, b)], style));
    }
}
