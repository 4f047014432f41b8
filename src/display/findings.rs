//! The findings table ([`crate::findings`]) as Markdown: README, docs and notebook output.

use crate::findings::{Claim, Findings, Lacking, UndecidedRows};
use crate::stats::Interval;

impl Findings {
    /// The table as Markdown (README, docs, notebooks), one row per claim.
    pub fn to_markdown(&self) -> String {
        let rows = &self.rows;
        let mut s = String::from(
            "| claim | n (A / B) | Δ mean, 95 % CI | Δ p25, 95 % CI | KS D | p (Holm) | verdict |\n\
         | --- | --- | --- | --- | ---: | ---: | --- |\n",
        );
        for r in rows {
            let cell = |i: Option<Interval>| i.map_or("–".to_string(), |i| i.to_string());
            match (&r.claim, &r.comparison, &r.good_range) {
                (Claim::Compare { .. } | Claim::WithinSpace { .. }, Some(c), _) => {
                    let paired = match (&r.paired, r.same_models) {
                        (Some(p), Some(same)) => {
                            format!(" ({} pairs, {same} same models)", p.n_pairs)
                        }
                        _ => String::new(),
                    };
                    s += &format!(
                        "| {} | {} / {}{paired} | {} | {} | {:.3} | {:.3} | {} |\n",
                        r.claim.text(),
                        c.n_a,
                        c.n_b,
                        cell(r.mean_diff()),
                        cell(r.q25_diff()),
                        c.ks.statistic,
                        r.p_adjusted.unwrap_or(f64::NAN),
                        r.verdict
                    );
                }
                (Claim::GoodModels { .. }, _, Some(g)) => {
                    let (lo, hi) = r.sampled.unwrap_or((f64::NAN, f64::NAN));
                    s += &format!(
                        "| {} | {} | good range [{:.2}, {:.2}], median {:.2} (sampled {:.2}–{:.2}) | – | – | – | {} |\n",
                        r.claim.text(),
                        r.good_n.unwrap_or(0),
                        g.low,
                        g.high,
                        g.median,
                        lo,
                        hi,
                        r.verdict
                    );
                }
                (Claim::WithinSpace { .. }, None, _) if r.subset_n.is_some() => {
                    let (na, nb) = r.subset_n.unwrap_or_default();
                    s += &format!(
                        "| {} | {na} / {nb} (too few to compare) | – | – | – | – | {} |\n",
                        r.claim.text(),
                        r.verdict
                    );
                }
                _ => {
                    s += &format!(
                        "| {} | – | – | – | – | – | {} |\n",
                        r.claim.text(),
                        r.verdict
                    )
                }
            }
        }
        s
    }

    /// The table in words, for the reading beside a notebook's figure: which of the paper's
    /// claims these sweeps reproduce, contradict or leave undecided, each with its effect and
    /// the models it rests on. Written from the rows, so the words always describe the data the
    /// cell ran on, at any budget and any n.
    ///
    /// ```
    /// use regnet_lab::findings::{FindingsOptions, findings, paper_design_claims};
    /// // No sweeps at all: every claim lacks its spaces, and the reading says so.
    /// let table = findings(&paper_design_claims(), &[], &FindingsOptions::default())?;
    /// assert!(table.reading().starts_with("No sweep yet for: RegNetX (b = 1)"));
    /// # Ok::<(), regnet_lab::stats::StatsError>(())
    /// ```
    pub fn reading(&self) -> String {
        use crate::findings::Verdict;
        let groups = [
            (Verdict::Reproduced, "Reproduced on this data"),
            (Verdict::Contradicted, "Contradicted by this data"),
            (Verdict::Undecided, "Undecided at this n"),
            (Verdict::Missing, "No sweep yet for"),
        ];
        let mut sentences = Vec::new();
        for (verdict, label) in groups {
            let items: Vec<String> = self
                .rows
                .iter()
                .filter(|r| r.verdict == verdict)
                .map(|r| match (&r.comparison, &r.good_range) {
                    (Some(c), _) => format!(
                        "{} (Δ mean {} error points, n = {} / {})",
                        r.claim.text(),
                        r.mean_diff().map_or("–".into(), |i| i.to_string()),
                        c.n_a,
                        c.n_b
                    ),
                    (None, Some(g)) => {
                        let (lo, hi) = r.sampled.unwrap_or((f64::NAN, f64::NAN));
                        format!(
                            "{} (good range [{:.2}, {:.2}] of the sampled {:.2}–{:.2}, n = {})",
                            r.claim.text(),
                            g.low,
                            g.high,
                            lo,
                            hi,
                            r.good_n.unwrap_or(0)
                        )
                    }
                    (None, None) => match r.subset_n {
                        Some((na, nb)) => {
                            format!("{} (n = {na} / {nb}, too few to compare)", r.claim.text())
                        }
                        None => r.claim.text().to_string(),
                    },
                })
                .collect();
            if !items.is_empty() {
                sentences.push(format!("{label}: {}.", items.join("; ")));
            }
        }
        sentences.join(" ")
    }
}

impl UndecidedRows {
    /// The list under a findings table (README, notebooks): one line per undecided "better"
    /// row with what it lacks; empty when no row is undecided.
    pub fn to_markdown(&self) -> String {
        if self.rows.is_empty() {
            return String::new();
        }
        let mut s = String::from("\nWhat the undecided rows lack:\n\n");
        for row in &self.rows {
            let lacking = match &row.lacking {
                Lacking::MeanInterval {
                    p_adjusted,
                    mean_diff,
                } => format!(
                    "the KS test rejects (Holm p = {p_adjusted:.3}); the mean difference {mean_diff} straddles zero"
                ),
                Lacking::KsTest { p_adjusted, plan } => {
                    format!("KS Holm p = {p_adjusted:.3}; {}", plan.sentence())
                }
            };
            s += &format!("- {}: {lacking}\n", row.claim);
        }
        s
    }
}
