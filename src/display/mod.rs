//! Inline display in evcxr (Jupyter) notebooks, and the tables behind it.
//!
//! evcxr shows the last expression of a cell by calling its inherent `evcxr_display(&self)`,
//! which prints `EVCXR_BEGIN_CONTENT <mime>` … `EVCXR_END_CONTENT` blocks on stdout. This
//! module gives that method to the crate's figures ([`crate::plot`]: an `image/svg+xml`
//! block plus a `text/plain` summary) and to its data — [`AnyNetSpec`](crate::space::AnyNetSpec),
//! [`DesignSpace`](crate::space::DesignSpace) (its refinement chain),
//! [`RunRecord`](crate::train::RunRecord), [`SweepResults`](crate::sweep::SweepResults) (summary
//! and first rows) and the [`stats`](crate::stats) results — as compact HTML tables with a
//! readable `text/plain` twin; [`Suggestions`](crate::refine::Suggestions) shows its ranked
//! table with the EDF figure of its candidates ([`suggestions_blocks`]). The inherent methods
//! live here, beside the presentation code, rather than in the modules that own the types.
//!
//! Display never panics: a figure that cannot be drawn shows its error as text.
//!
//! ```
//! use regnet_lab::display::{Tabular, blocks};
//! use regnet_lab::space::zoo;
//! let spec = zoo::get("RegNetX-200MF")?.spec();
//! let out = blocks(&[("text/html", &spec.to_html()), ("text/plain", &spec.to_text())]);
//! assert!(out.starts_with("EVCXR_BEGIN_CONTENT text/html\n<table"));
//! assert!(spec.to_text().contains("368"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod figures;
mod findings;
mod suggest;
mod tables;

pub use figures::figure_blocks;
pub use suggest::suggestions_blocks;
pub use tables::{SWEEP_ROWS, Tabular};

use std::io::Write;

/// The evcxr protocol text of a list of `(mime, content)` blocks.
pub fn blocks(items: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (mime, content) in items {
        out.push_str("EVCXR_BEGIN_CONTENT ");
        out.push_str(mime);
        out.push('\n');
        out.push_str(content);
        if !content.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("EVCXR_END_CONTENT\n");
    }
    out
}

/// Print blocks for evcxr, holding the stdout lock so that other output cannot interleave.
/// Write errors (a closed stdout) are ignored: display must never panic.
pub fn emit(items: &[(&str, &str)]) {
    write_stdout(&blocks(items));
}

fn write_stdout(text: &str) {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let _ = lock.write_all(text.as_bytes());
    let _ = lock.flush();
}

/// A table: caption, header and rows of cells, rendered as compact HTML or aligned text.
///
/// ```
/// use regnet_lab::display::Table;
/// let t = Table::new(&["stage", "width"]).caption("widths").row(["1", "24"]);
/// assert!(t.to_html().contains("<td>24</td>"));
/// assert!(t.to_text().contains("stage  width"));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub caption: Option<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Lines shown under the table.
    pub notes: Vec<String>,
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            ..Table::default()
        }
    }

    /// A two-column `field | value` table.
    pub fn key_value(pairs: Vec<(&str, String)>) -> Self {
        let mut t = Table::new(&["", ""]);
        t.header.clear();
        for (k, v) in pairs {
            t.rows.push(vec![k.to_string(), v]);
        }
        t
    }

    pub fn caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = Some(caption.into());
        self
    }

    pub fn row<I, S>(mut self, cells: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Compact HTML; colours are left to the notebook's theme (light or dark).
    pub fn to_html(&self) -> String {
        let mut h = String::from(
            "<table style=\"border-collapse:collapse;font-size:0.9em;margin:0.3em 0\">",
        );
        if let Some(c) = &self.caption {
            h.push_str(&format!(
                "<caption style=\"text-align:left;font-weight:bold;padding-bottom:0.2em\">{}\
                 </caption>",
                escape(c)
            ));
        }
        if !self.header.is_empty() {
            h.push_str("<thead><tr>");
            for c in &self.header {
                h.push_str(&format!("<th>{}</th>", escape(c)));
            }
            h.push_str("</tr></thead>");
        }
        h.push_str("<tbody>");
        for r in &self.rows {
            h.push_str("<tr>");
            for c in r {
                h.push_str(&format!("<td>{}</td>", escape(c)));
            }
            h.push_str("</tr>");
        }
        h.push_str("</tbody></table>");
        for n in &self.notes {
            h.push_str(&format!(
                "<div style=\"font-size:0.85em;opacity:0.8\">{}</div>",
                escape(n)
            ));
        }
        h
    }

    /// Aligned plain text (columns padded to their widest cell).
    pub fn to_text(&self) -> String {
        let ncol = self
            .rows
            .iter()
            .map(Vec::len)
            .chain(std::iter::once(self.header.len()))
            .max()
            .unwrap_or(0);
        let mut widths = vec![0usize; ncol];
        for r in std::iter::once(&self.header).chain(&self.rows) {
            for (i, c) in r.iter().enumerate() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
        let line = |r: &[String]| {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
                .collect();
            cells.join("  ").trim_end().to_string()
        };
        let mut out = String::new();
        if let Some(c) = &self.caption {
            out.push_str(c);
            out.push('\n');
        }
        if !self.header.is_empty() {
            out.push_str(&line(&self.header));
            out.push('\n');
        }
        for r in &self.rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        for n in &self.notes {
            out.push_str(n);
            out.push('\n');
        }
        out
    }
}

/// Escape text for HTML.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Show tables in the cell (HTML plus text).
pub fn show_tables(tables: &[Table]) {
    write_stdout(&tables_blocks(tables));
}

/// The evcxr blocks of tables: one `text/html` block with all of them and a `text/plain` twin.
pub fn tables_blocks(tables: &[Table]) -> String {
    let html: String = tables.iter().map(Table::to_html).collect();
    let text: Vec<String> = tables.iter().map(Table::to_text).collect();
    blocks(&[("text/html", &html), ("text/plain", &text.join("\n"))])
}

impl crate::findings::Findings {
    /// Show in an evcxr notebook: the Markdown table, then the same in words
    /// ([`reading`](crate::findings::Findings::reading)).
    pub fn evcxr_display(&self) {
        let md = format!("{}\n{}\n", self.to_markdown(), self.reading());
        emit(&[("text/markdown", &md), ("text/plain", &md)]);
    }
}

impl crate::findings::UndecidedRows {
    /// Show in an evcxr notebook: what each undecided "better" row lacks, or that none is
    /// undecided.
    pub fn evcxr_display(&self) {
        let md = match self.to_markdown() {
            s if s.is_empty() => "No \"better\" row is undecided.\n".to_string(),
            s => s,
        };
        emit(&[("text/markdown", &md), ("text/plain", &md)]);
    }
}
