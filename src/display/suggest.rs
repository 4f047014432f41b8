//! `evcxr_display` for the refinement assistant's [`Suggestions`]: the ranked table and, below
//! it, the EDFs of its first candidates ([`SuggestionsPlot`]).

use super::{blocks, escape, write_stdout};
use crate::plot::{Figure, SuggestionsPlot};
use crate::refine::Suggestions;

/// The blocks `Suggestions` shows: one `text/html` block with the ranked table followed by
/// the figure as inline SVG (a notebook renders one representation of a display, so table
/// and figure share the HTML one), and a `text/plain` twin (the table as text and the
/// figure's summary).
///
/// Never panics: a figure that cannot be drawn is replaced by its error as text under the
/// table, and a panic while building either part (a bug) is caught and shown the same way.
///
/// ```
/// use regnet_lab::display::suggestions_blocks;
/// use regnet_lab::refine::{suggest, SuggestOptions};
/// # use regnet_lab::{space::*, sweep::SweepResults, train::*};
/// # let space = DesignSpace::anynet_x_a().with_template(NetTemplate::fashion_mnist())
/// #     .with_anynet_ranges(AnyNetXRanges::small()).unwrap();
/// # let records = (0..60).map(|i| { let s = space.sample(3, i).unwrap();
/// #     let e = 10.0 + ((i * 7919) % 101) as f64 / 50.0;
/// #     RunRecord::synthetic(&s, Some(e)) }).collect();
/// # let sweep = SweepResults::from_records(records);
/// let s = suggest(&sweep, &SuggestOptions::default().resamples(200))?;
/// let out = suggestions_blocks(&s);
/// assert!(out.starts_with("EVCXR_BEGIN_CONTENT text/html\n<div class=\"regnet-refine\">"));
/// assert!(out.contains("<svg"));
/// assert!(out.contains("EVCXR_BEGIN_CONTENT text/plain\nRefinements of"));
/// # Ok::<(), regnet_lab::refine::RefineError>(())
/// ```
pub fn suggestions_blocks(s: &Suggestions) -> String {
    let caught =
        |what: &str| format!("{what} could not be built: a panic (a bug; please report it)");
    let (table_html, table_text) =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (s.to_html(), s.to_text())))
            .unwrap_or_else(|_| {
                let m = caught("the table");
                (format!("<pre>{}</pre>\n", escape(&m)), m)
            });
    let mut html = table_html;
    let mut text = table_text;
    if !s.results.is_empty() {
        let fig = SuggestionsPlot::new(s);
        let drawn =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (fig.summary(), fig.svg())));
        let (fig_html, fig_text) = match drawn {
            Ok((summary, Ok(svg))) => (format!("<div>{svg}</div>\n"), summary),
            Ok((summary, Err(e))) => {
                let m = format!("figure could not be drawn: {e}");
                (
                    format!("<pre>{}</pre>\n", escape(&m)),
                    format!("{m}\n{summary}"),
                )
            }
            Err(_) => {
                let m = caught("the figure");
                (format!("<pre>{}</pre>\n", escape(&m)), m)
            }
        };
        html.push_str(&fig_html);
        text.push('\n');
        text.push_str(&fig_text);
    }
    blocks(&[("text/html", &html), ("text/plain", &text)])
}

impl Suggestions {
    /// Show the ranked table and the EDFs of the first candidates inline in an evcxr notebook
    /// (the cell's last expression); see [`suggestions_blocks`].
    pub fn evcxr_display(&self) {
        write_stdout(&suggestions_blocks(self));
    }
}
