//! `evcxr_display` for the figures of [`crate::plot`].

use super::{blocks, write_stdout};
use crate::plot::{
    Chart, CurvesPlot, EdfPlot, ErrorVsPlot, Figure, Row, SearchPlot, SuggestionsPlot, TrendPlot,
    WidthsPlot,
};

/// The blocks a figure shows: the SVG (`image/svg+xml`) and its text summary, or, when it
/// cannot be drawn, the error as `text/plain`.
///
/// A panic inside plotters (a bug, not an input error) is caught and shown the same way, so
/// a notebook cell never dies while displaying.
pub fn figure_blocks<F: Figure + ?Sized>(fig: &F) -> String {
    let drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        (fig.summary(), crate::plot::svg_of(fig))
    }));
    match drawn {
        Ok((summary, Ok(svg))) => blocks(&[("image/svg+xml", &svg), ("text/plain", &summary)]),
        Ok((summary, Err(e))) => blocks(&[(
            "text/plain",
            &format!("figure could not be drawn: {e}\n{summary}"),
        )]),
        Err(_) => blocks(&[(
            "text/plain",
            "figure could not be drawn: the drawing code panicked (a bug; please report it)",
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
    SuggestionsPlot,
    Row,
    Chart
);
