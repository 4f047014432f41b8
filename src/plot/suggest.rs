//! Small multiples of the refinement assistant ([`crate::refine`]): for each ranked candidate,
//! the error EDF of the models it keeps against that of every model it was tested on — the
//! comparison the paper makes by eye when it refines a design space (§2.1 step 4,
//! §3.2–3.3: a constraint is kept when the refined space's EDF is as good or better).

use plotters::style::RGBColor;

use super::chart::{Axis, Chart, Layer, LegendPosition};
use super::edf::staircase;
use super::{Figure, Frame, PlotError, color, figure_api};
use crate::refine::{CandidateResult, Suggestions, Verdict};
use crate::stats::Edf;

/// Pixels of one panel in the default canvas size.
const PANEL: (u32, u32) = (360, 300);

/// EDFs of kept vs all tested models, one panel per candidate of a [`Suggestions`], in rank
/// order and in a grid (4 columns by default). Each panel shows all tested models in grey and
/// the kept ones in the verdict's colour (improves green, neutral blue, hurts red, not enough
/// models orange) on an error axis shared by every panel, titled `#rank candidate`, with a
/// note of the verdict, `n_kept/n_tested`, the KS distance of kept vs all and the adjusted
/// p-value of the test (kept vs rejected) when one was run. A candidate that keeps no model
/// shows only the grey curve and says so.
///
/// The canvas is `360 × 300` pixels per panel unless `with_size` sets it; `title` puts a
/// heading above the grid.
///
/// ```
/// use regnet_lab::plot::SuggestionsPlot;
/// use regnet_lab::refine::{suggest, SuggestOptions};
/// # use regnet_lab::{space::*, sweep::SweepResults, train::*};
/// # let space = DesignSpace::anynet_x_a().with_template(NetTemplate::fashion_mnist())
/// #     .with_anynet_ranges(AnyNetXRanges::small()).unwrap();
/// # let records = (0..300).map(|i| { let s = space.sample(3, i).unwrap();
/// #     let w = s.spec.stage_widths();
/// #     let noise = ((i * 7919) % 101) as f64 / 50.0;
/// #     let e = if w.windows(2).all(|p| p[0] <= p[1]) { 10.0 } else { 14.0 } + noise;
/// #     RunRecord::synthetic(&s, Some(e)) }).collect();
/// # let sweep = SweepResults::from_records(records);
/// // `sweep`: 300 AnyNetX_A models, 4 points better when widths never shrink.
/// let s = suggest(&sweep, &SuggestOptions::default().seed(1).resamples(500))?;
/// let fig = s.plot().top(4); // the same as SuggestionsPlot::new(&s).top(4)
/// assert_eq!(fig.panel_count(), 4.min(s.results.len()));
/// let svg = fig.svg().unwrap();
/// assert!(svg.contains("#1 widths non-decreasing"));
/// assert!(fig.summary_text().contains("improves"));
/// # Ok::<(), regnet_lab::refine::RefineError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestionsPlot {
    pub(crate) frame: Frame,
    results: Vec<CandidateResult>,
    top: usize,
    columns: usize,
}

impl SuggestionsPlot {
    /// Candidates shown unless [`SuggestionsPlot::top`] says otherwise.
    pub const DEFAULT_TOP: usize = 8;
    /// Panels per row unless [`SuggestionsPlot::columns`] says otherwise.
    pub const DEFAULT_COLUMNS: usize = 3;

    /// The first [`Self::DEFAULT_TOP`] ranked candidates of `suggestions` (copied: the figure
    /// is a value that outlives them).
    pub fn new(suggestions: &Suggestions) -> Self {
        SuggestionsPlot {
            frame: Frame::default(),
            results: suggestions.results.clone(),
            top: Self::DEFAULT_TOP,
            columns: Self::DEFAULT_COLUMNS,
        }
    }

    /// Show the first `k` ranked candidates (all of them when there are fewer).
    pub fn top(mut self, k: usize) -> Self {
        self.top = k;
        self
    }

    /// Panels per row (at least 1).
    pub fn columns(mut self, columns: usize) -> Self {
        self.columns = columns.max(1);
        self
    }

    /// Number of panels drawn.
    pub fn panel_count(&self) -> usize {
        self.top.min(self.results.len())
    }

    /// The candidates drawn, in rank order.
    pub fn shown(&self) -> &[CandidateResult] {
        &self.results[..self.panel_count()]
    }

    /// The plain-text summary ([`Figure::summary`]) without importing the trait.
    pub fn summary_text(&self) -> String {
        Figure::summary(self)
    }

    fn used_columns(&self) -> usize {
        self.columns.min(self.panel_count()).max(1)
    }

    fn charts(&self) -> Result<Vec<Chart>, PlotError> {
        const FIG: &str = "refinement EDFs";
        if self.results.is_empty() {
            return Err(PlotError::empty(FIG, "the suggestions have no candidate"));
        }
        if self.top == 0 {
            return Err(PlotError::empty(FIG, "top(0) shows no candidate"));
        }
        let mut edfs = Vec::with_capacity(self.panel_count());
        for r in self.shown() {
            let e = r
                .edfs()
                .map_err(|e| PlotError::stats(&format!("EDFs of '{}'", r.candidate.name), e))?;
            edfs.push(e);
        }
        // One error axis for every panel, so that curves compare across panels.
        let (lo, hi) = edfs
            .iter()
            .map(|(_, all)| all.errors())
            .filter_map(|e| Some((*e.first()?, *e.last()?)))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (l, h)| {
                (a.min(l), b.max(h))
            });
        let pad = if hi > lo {
            0.04 * (hi - lo)
        } else {
            lo.abs().max(1.0) * 0.1
        };
        let (x_lo, x_hi) = (lo - pad, hi + pad);
        // Long names would run over the next panel's title (17 px glyphs are ~9.5 px wide).
        let panel_w = self.size().0 / self.used_columns() as u32;
        let max_chars = ((panel_w.saturating_sub(24)) as f64 / 9.5).max(8.0) as usize;
        Ok(self
            .shown()
            .iter()
            .zip(edfs)
            .map(|(r, (kept, all))| panel(r, kept.as_ref(), &all, (x_lo, x_hi), max_chars))
            .collect())
    }
}

/// The colour of a verdict (the table's colours in the crate's palette).
fn verdict_color(v: Verdict) -> RGBColor {
    match v {
        Verdict::Improves => color(2),
        Verdict::Neutral => color(0),
        Verdict::Hurts => color(3),
        Verdict::NotEnoughModels => color(1),
    }
}

const GREY: RGBColor = RGBColor(150, 150, 150);

fn pval(p: f64) -> String {
    if p < 1e-3 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

/// The note of a panel, one short line each (it sits in the lower right, which an EDF leaves
/// empty): verdict, kept / tested, KS distance of kept vs all, adjusted p.
fn note_lines(r: &CandidateResult) -> Vec<String> {
    let mut lines = vec![r.verdict.label().to_string()];
    if r.n_kept == 0 {
        lines.push(format!("no models kept (0/{})", r.n_tested));
    } else {
        lines.push(format!("kept {}/{}", r.n_kept, r.n_tested));
        if let Some(d) = r.ks_kept_vs_all {
            lines.push(format!("KS vs all {d:.3}"));
        }
    }
    if let Some(p) = r.p_adjusted {
        lines.push(format!("p adj {}", pval(p)));
    }
    lines
}

fn caption(r: &CandidateResult, max_chars: usize) -> String {
    let full = format!("#{} {}", r.rank, r.candidate.name);
    if full.chars().count() <= max_chars {
        full
    } else {
        let cut: String = full.chars().take(max_chars.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

fn panel(
    r: &CandidateResult,
    kept: Option<&Edf>,
    all: &Edf,
    (x_lo, x_hi): (f64, f64),
    max_chars: usize,
) -> Chart {
    let mut chart = Chart::new(
        Axis::new("error (%)").range(x_lo, x_hi),
        Axis::new("cumulative prob.").range(0.0, 1.0),
    )
    .legend(Some(LegendPosition::UpperLeft));
    chart.caption = Some(caption(r, max_chars));
    chart.layers.push(Layer::Line {
        points: staircase(all, x_lo, x_hi),
        color: GREY,
        width: 2,
        dashed: false,
        label: Some("all".into()),
    });
    if let Some(k) = kept {
        chart.layers.push(Layer::Line {
            points: staircase(k, x_lo, x_hi),
            color: verdict_color(r.verdict),
            width: 2,
            dashed: false,
            label: Some("kept".into()),
        });
    }
    chart.layers.push(Layer::Note {
        lines: note_lines(r),
        corner: LegendPosition::LowerRight,
        color: RGBColor(40, 40, 40),
    });
    chart
}

impl Figure for SuggestionsPlot {
    fn size(&self) -> (u32, u32) {
        // `with_size` overrides the grid of default-sized panels.
        if self.frame.size != Frame::default().size || self.panel_count() == 0 {
            return self.frame.size;
        }
        let cols = self.used_columns() as u32;
        let rows = self.panel_count().div_ceil(cols as usize) as u32;
        let heading = if self.frame.title.is_some() { 30 } else { 0 };
        (cols * PANEL.0, rows * PANEL.1 + heading)
    }
    fn panels(&self) -> Result<Vec<Chart>, PlotError> {
        self.charts()
    }
    fn heading(&self) -> Option<&str> {
        self.frame.title.as_deref()
    }
    fn grid_columns(&self) -> Option<usize> {
        Some(self.used_columns())
    }
    fn summary(&self) -> String {
        let mut s = format!(
            "error EDFs of kept vs all tested models, {} of {} candidates:\n",
            self.panel_count(),
            self.results.len()
        );
        for r in self.shown() {
            s.push_str(&format!(
                "  #{} {}: {}\n",
                r.rank,
                r.candidate.name,
                note_lines(r).join(", ")
            ));
        }
        s
    }
}

figure_api!(SuggestionsPlot);

impl Suggestions {
    /// The small-multiples figure of the ranked candidates ([`SuggestionsPlot`], first
    /// [`SuggestionsPlot::DEFAULT_TOP`]); `.top(k)` for more or fewer. Defined beside the
    /// figure: the refinement assistant itself knows nothing of plotting.
    pub fn plot(&self) -> SuggestionsPlot {
        SuggestionsPlot::new(self)
    }
}
