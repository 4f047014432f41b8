//! The findings table ([`crate::findings`]) as Markdown: README, docs and notebook output.

use crate::findings::{Claim, Findings};
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
                (Claim::Compare { .. }, Some(c), _) => {
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
}
