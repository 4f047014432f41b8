//! The ranked table of [`Suggestions`], as plain text (terminals, `Display`) and as an HTML
//! string (notebooks).

use std::fmt;

use super::{CandidateResult, RangeSelection, Suggestions, TestedOn};

const HEADERS: [&str; 13] = [
    "#",
    "candidate",
    "verdict",
    "kept / tested",
    "share space",
    "mean kept | all",
    "Δmean [CI]",
    "Δp25 [CI]",
    "KS D",
    "p",
    "p adj",
    "paper",
    "note",
];

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn pval(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

fn interval(i: Option<super::Interval>) -> String {
    i.map_or("–".into(), |i| {
        format!("{:+.2} [{:+.2}, {:+.2}]", i.estimate, i.low, i.high)
    })
}

fn cells(r: &CandidateResult) -> Vec<String> {
    let tested = match r.tested_on {
        TestedOn::All => "",
        TestedOn::HoldOut => " (held out)",
    };
    vec![
        r.rank.to_string(),
        r.candidate.name.clone(),
        r.verdict.label().to_string(),
        format!(
            "{}/{} ({}){tested}",
            r.n_kept,
            r.n_tested,
            pct(r.share_of_sweep)
        ),
        r.share_of_space.map_or("–".into(), pct),
        format!(
            "{} | {:.2}",
            r.kept
                .as_ref()
                .map_or("–".into(), |k| format!("{:.2}", k.mean)),
            r.all.mean
        ),
        interval(r.mean_diff),
        interval(r.q25_diff),
        r.ks.as_ref()
            .map_or("–".into(), |k| format!("{:.3}", k.statistic)),
        r.ks.as_ref().map_or("–".into(), |k| pval(k.pvalue)),
        r.p_adjusted.map_or("–".into(), pval),
        r.paper.as_ref().map_or(String::new(), |p| p.short.clone()),
        r.note.clone(),
    ]
}

impl Suggestions {
    /// Lines above the table: what was tested and how.
    fn header_lines(&self) -> Vec<String> {
        let space = self.space.as_ref().map_or("(unknown space)", |s| &s.name);
        let mut lines = vec![
            format!(
                "Refinements of {space}: {} models ({} excluded), {} candidates, {} tested",
                self.n_models,
                self.n_excluded,
                self.results.len(),
                self.n_tested
            ),
            format!(
                "KS kept vs rejected, {} correction at α = {}; Δ = kept − all (error %, \
                 negative is better), {} stratified bootstrap resamples, {:.0}% intervals; \
                 at least {} kept and {} rejected models; seed {}",
                self.correction.name(),
                self.alpha,
                self.resamples,
                100.0 * (1.0 - self.alpha),
                self.min_models,
                self.min_models,
                self.seed
            ),
        ];
        if self.space_samples > 0 {
            lines.push(format!(
                "share of the space from {} fresh samples of it",
                self.space_samples
            ));
        }
        if let RangeSelection::Off = self.ranges {
            lines.push("no good-range candidates".into());
        }
        lines.extend(self.notes.iter().map(|n| format!("note: {n}")));
        lines
    }

    /// The ranked table as aligned plain text.
    pub fn to_text(&self) -> String {
        let rows: Vec<Vec<String>> = self.results.iter().map(cells).collect();
        let widths: Vec<usize> = (0..HEADERS.len())
            .map(|c| {
                rows.iter()
                    .map(|r| r[c].chars().count())
                    .chain([HEADERS[c].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cols: Vec<&str>| {
            cols.iter()
                .zip(&widths)
                .map(|(s, w)| format!("{s}{}", " ".repeat(w - s.chars().count())))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let mut out = self.header_lines().join("\n");
        out.push_str("\n\n");
        out.push_str(&line(HEADERS.to_vec()));
        out.push('\n');
        out.push_str(&line(
            widths
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect(),
        ));
        for r in &rows {
            out.push('\n');
            out.push_str(&line(r.iter().map(String::as_str).collect()));
        }
        out.push('\n');
        out
    }

    /// The ranked table as an HTML fragment (a caption of the method and a `<table>`), for
    /// notebooks. Verdicts carry a class (`improves`, `neutral`, `hurts`, `not-enough`) and a
    /// colour.
    pub fn to_html(&self) -> String {
        let mut h = String::from("<div class=\"regnet-refine\">\n");
        for l in self.header_lines() {
            h.push_str(&format!("<p style=\"margin:2px 0\">{}</p>\n", escape(&l)));
        }
        h.push_str("<table>\n<thead><tr>");
        for c in HEADERS {
            h.push_str(&format!("<th>{}</th>", escape(c)));
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for r in &self.results {
            let (class, colour) = match r.verdict {
                super::Verdict::Improves => ("improves", "#1a7f37"),
                super::Verdict::Neutral => ("neutral", "#57606a"),
                super::Verdict::Hurts => ("hurts", "#cf222e"),
                super::Verdict::NotEnoughModels => ("not-enough", "#9a6700"),
            };
            h.push_str(&format!("<tr class=\"{class}\">"));
            for (k, c) in cells(r).iter().enumerate() {
                if k == 2 {
                    h.push_str(&format!(
                        "<td style=\"color:{colour};font-weight:bold\">{}</td>",
                        escape(c)
                    ));
                } else {
                    h.push_str(&format!("<td>{}</td>", escape(c)));
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody>\n</table>\n</div>\n");
        h
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl fmt::Display for Suggestions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}
