//! Drawing a [`Figure`] onto SVG or PNG, with the shipped font.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Figure, PlotError, chart};

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
        chart::draw_chart(a, c)?;
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
