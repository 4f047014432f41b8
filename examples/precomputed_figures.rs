//! Figures of the sweeps committed under `datasets/sweeps/` (made by `regnet-lab evidence`), into
//! `docs/figures/`: the AnyNetX_A → E EDFs with KS distances, and the refinement assistant's
//! proposal for AnyNetX_A (its ranked table is printed).
//!
//! ```text
//! cargo run --release --example precomputed_figures -- [OUT]   # default docs/figures
//! ```

use std::path::PathBuf;

use anyhow::{Context, Result};
use regnet_lab::budget::Budget;
use regnet_lab::plot::EdfPlot;
use regnet_lab::refine::{SuggestOptions, suggest};
use regnet_lab::stats::ks_2samp;
use regnet_lab::sweep::{SweepResults, precomputed};

fn main() -> Result<()> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or("docs/figures".into()));
    std::fs::create_dir_all(&out)?;
    let data = Budget::Cpu.data()?;
    let mut sweeps: Vec<(String, SweepResults)> = Vec::new();
    for space in precomputed::anynetx_chain()? {
        let r = precomputed::committed("anynetx", &space, &data)?
            .with_context(|| format!("no committed cpu-budget sweep of {}", space.name()))?;
        sweeps.push((space.name().to_string(), r));
    }
    let n: Vec<String> = sweeps
        .iter()
        .map(|(_, r)| r.records.len().to_string())
        .collect();
    for pair in sweeps.windows(2) {
        let ks = ks_2samp(&pair[0].1.errors(), &pair[1].1.errors())?;
        println!(
            "{} vs {}: KS D = {:.3}, p = {:.3}",
            pair[0].0, pair[1].0, ks.statistic, ks.pvalue
        );
    }
    let mut fig = EdfPlot::new().title(format!(
        "AnyNetX_A → E, cpu budget ({} models), Fashion-MNIST",
        n.join(" / ")
    ));
    for (name, r) in &sweeps {
        fig = fig.sweep(name, r);
    }
    for ext in ["svg", "png"] {
        fig.save(out.join(format!("anynetx_edf.{ext}")))?;
    }

    let suggestions = suggest(&sweeps[0].1, &SuggestOptions::default().seed(0))?;
    println!("{suggestions}");
    let plot = suggestions
        .plot()
        .title("Refinement assistant on the AnyNetX_A sweep: kept vs all");
    for ext in ["svg", "png"] {
        plot.save(out.join(format!("suggest.{ext}")))?;
    }
    println!("wrote {}/anynetx_edf.* and suggest.*", out.display());
    Ok(())
}
