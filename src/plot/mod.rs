//! The paper's figures as values (plotters): build one in a line, show it as the last
//! expression of a notebook cell (`evcxr_display`, see [`crate::display`]), or save it with
//! `.save("fig.svg")` / `.save("fig.png")`.
//!
//! | figure | paper | builder |
//! | --- | --- | --- |
//! | error EDFs of design spaces, legend `name [min | mean]`, optionally complexity-normalised | Fig. 2 left, 4–5; ICCV 2019 §4 | [`EdfPlot`], [`edf`] |
//! | error vs a model property with the bootstrap good range | Fig. 2 middle/right, 5 right | [`ErrorVsPlot`], [`error_vs`] |
//! | per-block widths and their quantized-linear fit | Fig. 6, 8 | [`WidthsPlot`], [`block_widths`] |
//! | a property of the best models across flop regimes, with its trend | Fig. 11 | [`TrendPlot`] |
//! | training curves of runs | — | [`CurvesPlot`], [`training_curves`] |
//! | random-search efficiency | ICCV 2019 §5 | [`SearchPlot`], [`search_efficiency`] |
//! | panels side by side | the paper's 2–3 panel rows | [`Row`] |
//! | EDFs of kept vs all models, one panel per refinement candidate | §2.1 step 4, §3.2–3.3 | [`SuggestionsPlot`] |
//!
//! Every figure computes its statistics when drawn, so building one never fails; a bad input
//! surfaces as a [`PlotError`] from `.svg()` / `.png()` / `.save()`, or as text in the cell.
//! Text is set in DejaVu Sans, shipped in the crate (`assets/fonts/`) and registered with
//! plotters' `ab_glyph` backend: no fontconfig or system font is needed. Figures have a white
//! background so that they read the same in JupyterLab's light and dark themes.
//!
//! ```
//! use regnet_lab::plot::{self, Row};
//! let a = [31.0, 33.5, 35.2, 40.1, 38.0];
//! let b = [30.5, 31.2, 32.8, 34.0, 36.3];
//! let fig = plot::edf(&[("AnyNetX_A", &a), ("AnyNetX_B", &b)]);
//! let svg = fig.svg()?;
//! assert!(svg.contains("AnyNetX_A [31.0|35.6]"));
//! let row = Row::new().with(fig).with(plot::search_efficiency(&[("AnyNetX_A", &a)]));
//! assert!(row.svg()?.starts_with("<svg"));
//! # Ok::<(), regnet_lab::plot::PlotError>(())
//! ```

mod chart;
mod curves;
mod edf;
mod render;
mod row;
mod scatter;
mod search;
mod suggest;
mod trend;
mod widths;

pub use chart::{Axis, Chart, Layer, LegendPosition, Scale};
pub use curves::{CurvesPlot, Metric, training_curves};
pub use edf::{EdfPlot, counted, edf, edf_by_regime};
pub use render::{FONT_FAMILY, ImageFormat, draw_figure};
pub use row::{MAX_ROW_WIDTH, Row};
pub use scatter::{ErrorVsPlot, error_vs};
pub use search::{SearchPlot, search_efficiency};
pub use suggest::SuggestionsPlot;
pub use trend::TrendPlot;
pub use widths::{WidthsPlot, block_widths};

use plotters::style::RGBColor;
use thiserror::Error;

use crate::stats::StatsError;

/// Everything that can go wrong while making a figure.
#[derive(Debug, Error)]
pub enum PlotError {
    /// A statistic behind the figure could not be computed (no finite errors, …).
    #[error("{figure}: {source}")]
    Stats {
        figure: String,
        #[source]
        source: StatsError,
    },
    /// The figure has nothing to draw.
    #[error("{figure}: nothing to plot ({why})")]
    Empty { figure: String, why: String },
    /// An argument out of its domain (a size of zero, a log axis over non-positive values…).
    #[error("invalid {name} = {value}: {why}")]
    InvalidArgument {
        name: String,
        value: String,
        why: String,
    },
    /// plotters failed to draw (a font that did not load, a backend error).
    #[error("drawing failed: {0}")]
    Draw(String),
    /// `save` was given a path whose extension is neither `.svg` nor `.png`.
    #[error("cannot tell the image format of {path:?}: use a .svg or .png extension")]
    UnknownFormat { path: std::path::PathBuf },
    /// Writing the file failed.
    #[error("cannot write {path:?}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl PlotError {
    pub(crate) fn stats(figure: &str, source: StatsError) -> Self {
        PlotError::Stats {
            figure: figure.to_string(),
            source,
        }
    }

    pub(crate) fn empty(figure: &str, why: impl Into<String>) -> Self {
        PlotError::Empty {
            figure: figure.to_string(),
            why: why.into(),
        }
    }
}

/// A figure: one or more panels (left to right) drawn into a canvas of a given size. All the
/// figure types implement it, so they can be drawn on any plotters backend and put into a
/// [`Row`]. Each figure type also has inherent `svg`, `png`, `save` and `evcxr_display`
/// methods, so a notebook needs no trait import.
pub trait Figure {
    /// Canvas size in pixels (width, height).
    fn size(&self) -> (u32, u32);
    /// The panels, left to right, with every statistic computed.
    fn panels(&self) -> Result<Vec<Chart>, PlotError>;
    /// A few lines of plain text describing what the figure shows (the `text/plain` output).
    fn summary(&self) -> String;
    /// A heading drawn above all the panels (a [`Row`]'s title); single-panel figures put
    /// their title in the panel's caption instead.
    fn heading(&self) -> Option<&str> {
        None
    }
    /// Panels per row of a grid (small multiples): `None`, the default, puts every panel in
    /// one row. A [`Row`] flattens its figures' panels into one row, or a grid with
    /// [`Row::columns`].
    fn grid_columns(&self) -> Option<usize> {
        None
    }
}

/// Any figure (or a `dyn Figure`) as an SVG document.
pub fn svg_of<F: Figure + ?Sized>(fig: &F) -> Result<String, PlotError> {
    render::svg(fig)
}

/// Any figure as PNG bytes.
pub fn png_of<F: Figure + ?Sized>(fig: &F) -> Result<Vec<u8>, PlotError> {
    render::png(fig)
}

/// Size and title shared by every figure type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Frame {
    pub size: (u32, u32),
    pub title: Option<String>,
}

impl Default for Frame {
    fn default() -> Self {
        Frame {
            size: (640, 440),
            title: None,
        }
    }
}

/// The inherent figure API, the same on every figure type.
macro_rules! figure_api {
    ($t:ty) => {
        impl $t {
            /// Canvas size in pixels (default 640×440; a [`Row`](crate::plot::Row) adds its panels' widths).
            pub fn with_size(mut self, width: u32, height: u32) -> Self {
                self.frame.size = (width, height);
                self
            }

            /// A title above the plot (the paper's figures have none; useful in notebooks,
            /// e.g. to say the data is synthetic).
            pub fn title(mut self, title: impl Into<String>) -> Self {
                self.frame.title = Some(title.into());
                self
            }

            /// The figure as an SVG document.
            pub fn svg(&self) -> Result<String, $crate::plot::PlotError> {
                $crate::plot::render::svg(self)
            }

            /// The figure as PNG bytes, at its size in pixels.
            pub fn png(&self) -> Result<Vec<u8>, $crate::plot::PlotError> {
                $crate::plot::render::png(self)
            }

            /// Write the figure to `path`, as SVG or PNG by its extension.
            pub fn save(
                &self,
                path: impl AsRef<std::path::Path>,
            ) -> Result<(), $crate::plot::PlotError> {
                $crate::plot::render::save(self, path.as_ref())
            }
        }
    };
}
pub(crate) use figure_api;

/// The matplotlib "tab10" colours the paper's figures use, darker shades first; legible on the
/// white figure background.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Colour of the `i`-th series.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Unit of a flops (or params) axis: MF below a GF, GF above; returns (divisor, unit suffix).
pub(crate) fn flops_unit(max: f64) -> (f64, &'static str) {
    if max >= 1e9 { (1e9, "GF") } else { (1e6, "MF") }
}

/// Log-spaced integer `k`s from 1 to `n` (for search-efficiency curves).
pub(crate) fn log_ks(n: usize) -> Vec<usize> {
    let n = n.max(1);
    let mut ks: Vec<usize> = (0..=40)
        .map(|i| ((n as f64).powf(i as f64 / 40.0)).round() as usize)
        .map(|k| k.clamp(1, n))
        .collect();
    ks.dedup();
    ks
}
