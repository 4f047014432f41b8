//! `evcxr_display` for the figures of [`crate::plot`].

use super::{blocks, write_stdout};
use crate::plot::{
    Chart, CurvesPlot, EdfPlot, ErrorVsPlot, Figure, Row, SearchPlot, TrendPlot, WidthsPlot,
};

/// The blocks a figure shows: the SVG (`image/svg+xml`) and its text summary, or, when it
/// cannot be drawn, the error as `text/plain`.
pub fn figure_blocks<F: Figure + ?Sized>(fig: &F) -> String {
    let summary = fig.summary();
    match crate::plot::svg_of(fig) {
        Ok(svg) => blocks(&[("image/svg+xml", &svg), ("text/plain", &summary)]),
        Err(e) => blocks(&[(
            "text/plain",
            &format!("figure could not be drawn: {e}\n{summary}"),
        )]),
    }
}

macro_rules! figure_display {
    ($($t:ty),*) => {$(
        impl $t {
            /// Show the figure inline in an evcxr notebook (the cell's last expression).
            pub fn evcxr_display(&self) {
                write_stdout(&figure_blocks(self));
            }
        }
    )*};
}

figure_display!(
    EdfPlot,
    ErrorVsPlot,
    WidthsPlot,
    TrendPlot,
    CurvesPlot,
    SearchPlot,
    Row,
    Chart
);
