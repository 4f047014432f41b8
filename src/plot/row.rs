//! Panels side by side, as the paper lays out its figures (EDF | error vs a property | …).

use super::{Figure, Frame, PlotError, figure_api};
use crate::plot::Chart;

/// A row of figures, left to right, each panel getting an equal share of the width. The row's
/// default size is the sum of the figures' widths, at most [`MAX_ROW_WIDTH`] (so that it fits a
/// notebook cell), by their largest height; `with_size` sets it, and `title` puts a heading
/// above the whole row.
///
/// ```
/// use regnet_lab::plot::{self, Row};
/// let errs = [40.0, 35.0, 37.5, 33.0];
/// let depth = [4.0, 8.0, 6.0, 12.0];
/// let row = Row::new()
///     .with(plot::edf(&[("A", &errs)]))
///     .with(plot::ErrorVsPlot::new("depth d", &depth, &errs));
/// assert_eq!(row.panel_count(), 2);
/// assert_eq!(regnet_lab::plot::Figure::size(&row), (1080, 440));
/// assert!(row.svg()?.contains("depth d"));
/// # Ok::<(), regnet_lab::plot::PlotError>(())
/// ```
/// Widest a row is drawn by default, in pixels: a notebook's output area in a 1,100-pixel
/// browser window (wider figures are cut off on the right).
pub const MAX_ROW_WIDTH: u32 = 1080;

pub struct Row {
    pub(crate) frame: Frame,
    figures: Vec<Box<dyn Figure>>,
    columns: Option<usize>,
}

impl Default for Row {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Row({} figures)", self.figures.len())
    }
}

impl Row {
    pub fn new() -> Self {
        Row {
            frame: Frame::default(),
            figures: Vec::new(),
            columns: None,
        }
    }

    /// Append a figure on the right.
    pub fn with(mut self, figure: impl Figure + 'static) -> Self {
        self.figures.push(Box::new(figure));
        self
    }

    /// Wrap into rows of `n` figures (of one panel each), so that many panels stay readable
    /// within [`MAX_ROW_WIDTH`].
    ///
    /// ```
    /// use regnet_lab::plot::{self, Figure, Row};
    /// let errs = [10.0, 12.0, 15.0];
    /// let mut row = Row::new().columns(2);
    /// for _ in 0..3 {
    ///     row = row.with(plot::edf(&[("A", &errs)]));
    /// }
    /// assert_eq!(row.size(), (1080, 880)); // two rows of two
    /// # Ok::<(), regnet_lab::plot::PlotError>(())
    /// ```
    pub fn columns(mut self, n: usize) -> Self {
        self.columns = Some(n.max(1));
        self
    }

    /// Number of figures in the row.
    pub fn panel_count(&self) -> usize {
        self.figures.len()
    }
}

impl Figure for Row {
    fn size(&self) -> (u32, u32) {
        // `with_size` overrides the sum of the figures' sizes.
        if self.frame.size != Frame::default().size || self.figures.is_empty() {
            return self.frame.size;
        }
        let n = self.figures.len();
        let cols = self.columns.unwrap_or(n).min(n);
        let w = self
            .figures
            .iter()
            .take(cols)
            .map(|f| f.size().0)
            .sum::<u32>()
            .min(MAX_ROW_WIDTH);
        let h = self.figures.iter().map(|f| f.size().1).max().unwrap_or(0);
        (w, h * n.div_ceil(cols) as u32)
    }
    fn grid_columns(&self) -> Option<usize> {
        self.columns
    }
    fn panels(&self) -> Result<Vec<Chart>, PlotError> {
        if self.figures.is_empty() {
            return Err(PlotError::empty("row", "no figure added"));
        }
        let mut out = Vec::new();
        for f in &self.figures {
            out.extend(f.panels()?);
        }
        Ok(out)
    }
    fn heading(&self) -> Option<&str> {
        self.frame.title.as_deref()
    }
    fn summary(&self) -> String {
        let mut s = format!("row of {} figures:\n", self.figures.len());
        for (i, f) in self.figures.iter().enumerate() {
            s.push_str(&format!("({}) {}\n", i + 1, f.summary().trim_end()));
        }
        s
    }
}

figure_api!(Row);
