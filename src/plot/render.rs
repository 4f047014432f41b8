//! Drawing a [`Figure`] onto SVG or PNG, with the shipped font: each of its panels (a
//! [`Chart`], pure data) drawn with plotters, axes, layers, legend and notes.

use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::chart::{Axis, Chart, Layer, LegendPosition, Scale, tick};
use super::{Figure, PlotError};

/// The font family every figure's text uses: DejaVu Sans, shipped in `assets/fonts/` and
/// registered with plotters under this name (SVG viewers fall back to their own sans-serif).
pub const FONT_FAMILY: &str = "sans-serif";

static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Register the shipped font once. plotters' `ab_glyph` backend needs it to measure text (SVG)
/// and to rasterise glyphs (PNG); without it a bitmap would carry no text.
pub(crate) fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(PlotError::Draw(
            "the shipped DejaVu Sans font did not load".into(),
        ))
    }
}

/// Output formats of [`save`](crate::plot::EdfPlot::save).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Svg,
    Png,
}

impl ImageFormat {
    /// The format named by a path's extension (case-insensitive).
    pub fn from_path(path: &Path) -> Result<Self, PlotError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("svg") => Ok(ImageFormat::Svg),
            Some("png") => Ok(ImageFormat::Png),
            _ => Err(PlotError::UnknownFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

pub(crate) fn draw_err(e: impl std::fmt::Display) -> PlotError {
    PlotError::Draw(e.to_string())
}

fn check_size((w, h): (u32, u32)) -> Result<(), PlotError> {
    if w < 64 || h < 64 || w > 8192 || h > 8192 {
        return Err(PlotError::InvalidArgument {
            name: "figure size".into(),
            value: format!("{w}x{h}"),
            why: "each side must be between 64 and 8192 pixels".into(),
        });
    }
    Ok(())
}

/// Draw every panel of `fig` on `area` (white background first): side by side, or in rows of
/// [`Figure::grid_columns`] panels.
pub fn draw_figure<DB: DrawingBackend, F: Figure + ?Sized>(
    area: &DrawingArea<DB, Shift>,
    fig: &F,
) -> Result<(), PlotError> {
    ensure_font()?;
    let panels = fig.panels()?;
    if panels.is_empty() {
        return Err(PlotError::empty("figure", "no panels"));
    }
    area.fill(&WHITE).map_err(draw_err)?;
    let area = match fig.heading() {
        Some(h) => area
            .titled(h, (FONT_FAMILY, 20).into_font().color(&BLACK))
            .map_err(draw_err)?,
        None => area.clone(),
    };
    let n = panels.len();
    let cols = fig.grid_columns().filter(|&c| c > 0).unwrap_or(n).min(n);
    let areas = area.split_evenly((n.div_ceil(cols), cols));
    for (a, c) in areas.iter().zip(&panels) {
        draw_chart(a, c)?;
    }
    Ok(())
}

pub(crate) fn svg<F: Figure + ?Sized>(fig: &F) -> Result<String, PlotError> {
    let size = fig.size();
    check_size(size)?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        draw_figure(&root, fig)?;
        root.present().map_err(draw_err)?;
    }
    Ok(out)
}

/// Raw RGB pixels of the figure.
pub(crate) fn rgb<F: Figure + ?Sized>(fig: &F) -> Result<Vec<u8>, PlotError> {
    let (w, h) = fig.size();
    check_size((w, h))?;
    let mut buf = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        draw_figure(&root, fig)?;
        root.present().map_err(draw_err)?;
    }
    Ok(buf)
}

pub(crate) fn png<F: Figure + ?Sized>(fig: &F) -> Result<Vec<u8>, PlotError> {
    let (w, h) = fig.size();
    let pixels = rgb(fig)?;
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        // Figures are flat colours: the best compression with adaptive filtering keeps a
        // 1920×440 row to a few hundred KB at most.
        enc.set_compression(png::Compression::Best);
        enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        let mut writer = enc.write_header().map_err(draw_err)?;
        writer.write_image_data(&pixels).map_err(draw_err)?;
        writer.finish().map_err(draw_err)?;
    }
    Ok(out)
}

pub(crate) fn save<F: Figure + ?Sized>(fig: &F, path: &Path) -> Result<(), PlotError> {
    let bytes = match ImageFormat::from_path(path)? {
        ImageFormat::Svg => svg(fig)?.into_bytes(),
        ImageFormat::Png => png(fig)?,
    };
    std::fs::write(path, bytes).map_err(|source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    })
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
            if let Layer::Note { corner, .. } = l
                && *corner == LegendPosition::Auto
            {
                *corner = chart.emptiest_corner(&xr, &yr, legend);
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
                labelled |= polyline(&mut chart, pts, style, *dashed, label.as_deref())?;
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
                labelled |= polyline(&mut chart, pts, style, *dashed, label.as_deref())?;
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
/// A solid or dashed polyline, with a legend entry when labelled (returns whether it was).
fn polyline<'a, DB: DrawingBackend + 'a, X: Coord, Y: Coord>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    pts: Vec<(f64, f64)>,
    style: ShapeStyle,
    dashed: bool,
    label: Option<&str>,
) -> Result<bool, PlotError> {
    let anno = if dashed {
        chart
            .draw_series(DashedLineSeries::new(pts, 7, 5, style))
            .map_err(draw_err)?
    } else {
        chart
            .draw_series(LineSeries::new(pts, style))
            .map_err(draw_err)?
    };
    match label {
        Some(l) => {
            legend_line(anno.label(l), style, dashed);
            Ok(true)
        }
        None => Ok(false),
    }
}

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
