//! Figures of the sweeps committed under `datasets/sweeps/` (made by `regnet-lab evidence`), into
//! `docs/figures/`: the AnyNetX_A → E EDFs with KS distances, the refinement assistant's proposal
//! for AnyNetX_A (its ranked table is printed), the shared b / g bands of AnyNetX_B / _C, the
//! best and worst AnyNetX_C models' widths, e_fit against error over AnyNetX_E, RegNetX against
//! AnyNetX_A and _E with random-search efficiency, the zoo's per-block widths, and, once their
//! secondary sweeps are committed, the rejected alternatives of D and E (Fig. 7), RegNetX in
//! other settings (Fig. 10), the good ranges by regime (Fig. 11), RegNetX constrained (Fig. 13)
//! and RegNetX's alternate designs, resolutions and SE by regime (Fig. 14) — the notebooks'
//! figures, from the same committed runs (each title or legend says how many).
//!
//! ```text
//! cargo run --release --example precomputed_figures -- [OUT]   # default docs/figures
//! ```

use std::path::PathBuf;

use anyhow::{Context, Result};
use regnet_lab::budget::Budget;
use regnet_lab::plot::{EdfPlot, counted};
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
    // The evidence's RegNetX, which several figures compare against.
    let regnetx = precomputed::regnet_x_variants().remove(0);
    let rx = precomputed::committed("regnetx", &regnetx, &data)?
        .context("no committed cpu-budget sweep of RegNetX")?;
    evidence_figures(&out, &sweeps, &rx)?;
    secondary_figures(&out, &data, &sweeps, &rx)?;
    generalisation_figure(&out, &data, &sweeps, &rx)?;
    trend_figures(&out, &data, &rx)?;
    println!(
        "wrote {}/: anynetx_edf, suggest, shared_b_g, good_bad_c, efit_vs_error, regnetx_vs_anynetx, zoo_widths, and alternatives, designs, generalisation, trend_bands, constrained, se_by_regime where committed (.svg, .png)",
        out.display()
    );
    Ok(())
}

fn save(fig: &impl regnet_lab::plot::Figure, out: &std::path::Path, name: &str) -> Result<()> {
    std::fs::write(
        out.join(format!("{name}.svg")),
        regnet_lab::plot::svg_of(fig)?,
    )?;
    std::fs::write(
        out.join(format!("{name}.png")),
        regnet_lab::plot::png_of(fig)?,
    )?;
    Ok(())
}

fn evidence_figures(
    out: &std::path::Path,
    chain: &[(String, SweepResults)],
    rx: &SweepResults,
) -> Result<()> {
    use regnet_lab::plot::{ErrorVsPlot, Row, SearchPlot, WidthsPlot, error_vs};
    use regnet_lab::space::{Property, zoo};
    use regnet_lab::stats::{fit_quantized_linear, spearman};
    let n = |r: &SweepResults| r.errors().len();
    let (b, c, e) = (&chain[1].1, &chain[2].1, &chain[4].1);
    let row = Row::new()
        .with(
            error_vs(b, Property::BottleneckRatio)
                .title(format!("AnyNetX_B: shared b, n = {}", n(b))),
        )
        .with(
            error_vs(c, Property::GroupWidth).title(format!("AnyNetX_C: shared g, n = {}", n(c))),
        );
    save(&row, out, "shared_b_g")?;

    let mut runs: Vec<_> = c.valid().collect();
    runs.sort_by(|x, y| {
        x.error()
            .unwrap_or(f64::NAN)
            .total_cmp(&y.error().unwrap_or(f64::NAN))
    });
    let k = 3.min(runs.len() / 2).max(1);
    let mut widths = WidthsPlot::new().without_fit().title(format!(
        "AnyNetX_C: the {k} best and {k} worst of {} models",
        runs.len()
    ));
    for (kind, r) in runs
        .iter()
        .take(k)
        .map(|r| ("best", r))
        .chain(runs.iter().rev().take(k).map(|r| ("worst", r)))
    {
        let label = format!(
            "{kind} #{} {:.1} %",
            r.sample.index.unwrap_or(0),
            r.error().unwrap_or(f64::NAN)
        );
        widths = widths.model(&label, &r.sample.spec);
    }
    save(&widths, out, "good_bad_c")?;

    let errors = e.errors();
    let efit: Vec<f64> = e
        .valid()
        .map(|r| fit_quantized_linear(&r.sample.spec.block_widths()).map_or(f64::NAN, |f| f.e_fit))
        .collect();
    let rho = spearman(&efit, &errors)
        .map(|r| r.coefficient)
        .unwrap_or(f64::NAN);
    println!(
        "AnyNetX_E: Spearman ρ(e_fit, error) = {rho:.2} over {} models",
        errors.len()
    );
    let fig = ErrorVsPlot::new("e_fit", &efit, &errors)
        .name("AnyNetX_E")
        .title(format!(
            "AnyNetX_E: e_fit vs error, n = {}, Spearman ρ = {rho:.2}",
            errors.len()
        ));
    save(&fig, out, "efit_vs_error")?;

    let mut edfs = EdfPlot::new().title("RegNetX vs AnyNetX_A and AnyNetX_E (cpu budget)");
    let mut search = SearchPlot::new().title("random search: expected best of k models");
    for (name, r) in [
        ("AnyNetX_A", &chain[0].1),
        ("AnyNetX_E", e),
        ("RegNetX", rx),
    ] {
        // The search plot's legend gives n itself.
        edfs = edfs.sweep(&counted(name, r), r);
        search = search.sweep(name, r);
    }
    save(
        &Row::new().with(edfs).with(search),
        out,
        "regnetx_vs_anynetx",
    )?;

    let mut zoo_fig = WidthsPlot::new()
        .without_fit()
        .title("RegNetX zoo: width of every block");
    for name in [
        "RegNetX-200MF",
        "RegNetX-800MF",
        "RegNetX-3.2GF",
        "RegNetX-16GF",
    ] {
        zoo_fig = zoo_fig.regnet(name, &zoo::get(name)?.params);
    }
    save(&zoo_fig, out, "zoo_widths")?;
    Ok(())
}

/// The committed sweeps of `group` for `spaces`, by name; spaces without one are left out (and
/// said so), since these figures only draw what has been measured.
fn committed_group(
    group: &str,
    spaces: Vec<regnet_lab::space::DesignSpace>,
    data: &regnet_lab::train::ImageData,
) -> Result<Vec<(String, SweepResults)>> {
    let mut found = Vec::new();
    for space in spaces {
        match precomputed::committed(group, &space, data)? {
            Some(r) if r.errors().len() >= 2 => found.push((space.name().to_string(), r)),
            _ => println!("{}: no committed sweep of group {group} yet", space.name()),
        }
    }
    Ok(found)
}

/// Figs. 7 and 14 (left, middle) from the secondary sweeps, beside the evidence they refine.
fn secondary_figures(
    out: &std::path::Path,
    data: &regnet_lab::train::ImageData,
    chain: &[(String, SweepResults)],
    rx: &SweepResults,
) -> Result<()> {
    use regnet_lab::plot::Row;
    let alternatives = committed_group("alternatives", precomputed::anynetx_alternatives()?, data)?;
    if !alternatives.is_empty() {
        let panel = |title: &str, base: [usize; 2], prefix: &str| {
            let mut fig = EdfPlot::new().title(title);
            for i in base {
                fig = fig.sweep(&counted(&chain[i].0, &chain[i].1), &chain[i].1);
            }
            for (name, r) in alternatives.iter().filter(|(n, _)| n.starts_with(prefix)) {
                fig = fig.sweep(&counted(name, r), r);
            }
            fig
        };
        let row = Row::new()
            .with(panel(
                "widths: C, D and the alternatives",
                [2, 3],
                "AnyNetX_C ",
            ))
            .with(panel(
                "depths: D, E and the alternatives",
                [3, 4],
                "AnyNetX_D ",
            ));
        save(&row, out, "alternatives")?;
    }
    let designs = committed_group(
        "designs",
        precomputed::regnet_x_alternate_designs()
            .into_iter()
            .chain(precomputed::regnet_x_resolutions())
            .collect(),
        data,
    )?;
    if !designs.is_empty() {
        let panel = |title: &str, names: &[&str]| {
            let mut fig = EdfPlot::new()
                .title(title)
                .sweep(&counted("RegNetX", rx), rx);
            for (name, r) in designs.iter().filter(|(n, _)| names.contains(&n.as_str())) {
                fig = fig.sweep(&counted(name, r), r);
            }
            fig
        };
        let row = Row::new()
            .with(panel(
                "RegNetX and its alternate designs",
                &["RegNetX inverted bottleneck", "RegNetX depthwise"],
            ))
            .with(panel(
                "RegNetX at other input resolutions (same flops)",
                &["RegNetX 20px", "RegNetX 40px"],
            ));
        save(&row, out, "designs")?;
    }
    Ok(())
}

/// Fig. 10: RegNetX against AnyNetX_A and _E in the evidence's setting and in every
/// generalisation setting with a committed sweep, two panels a row.
fn generalisation_figure(
    out: &std::path::Path,
    data: &regnet_lab::train::ImageData,
    chain: &[(String, SweepResults)],
    rx: &SweepResults,
) -> Result<()> {
    use regnet_lab::plot::Row;
    let base = EdfPlot::new()
        .title("RegNetX vs AnyNetX_A and _E: 1-6 MF, 3 stages")
        .sweep(&counted("AnyNetX_A", &chain[0].1), &chain[0].1)
        .sweep(&counted("AnyNetX_E", &chain[4].1), &chain[4].1)
        .sweep(&counted("RegNetX", rx), rx);
    let mut panels = Row::new().columns(2).with(base);
    let mut drawn = 0;
    for setting in precomputed::generalisation()? {
        let sweeps = committed_group(setting.group, setting.spaces, data)?;
        if sweeps.is_empty() {
            continue;
        }
        let mut fig =
            EdfPlot::new().title(format!("RegNetX vs AnyNetX_A and _E: {}", setting.name));
        for (name, r) in &sweeps {
            fig = fig.sweep(&counted(name, r), r);
        }
        panels = panels.with(fig);
        drawn += 1;
    }
    if drawn > 0 {
        save(&panels, out, "generalisation")?;
    }
    Ok(())
}

/// Figs. 11, 13 and 14 (right) from group `trends`: the good ranges of depth, b, wm and g of
/// RegNetX by regime, RegNetX constrained against RegNetX, and RegNetY against RegNetX (with the
/// evidence's `rx` and its RegNetY as the first SE panel), one EDF panel per regime.
fn trend_figures(
    out: &std::path::Path,
    data: &regnet_lab::train::ImageData,
    rx: &SweepResults,
) -> Result<()> {
    use regnet_lab::plot::{Row, TrendPlot, edf_by_regime};
    use regnet_lab::space::Property;
    use regnet_lab::stats::GoodRangeOptions;
    let mut families = Vec::new();
    for (family, spaces) in precomputed::trends() {
        families.push((family, committed_group("trends", spaces, data)?));
    }
    let regnetx = &families[0].1;
    if regnetx.len() >= 2 {
        let refs: Vec<&SweepResults> = regnetx.iter().map(|(_, r)| r).collect();
        let opts = GoodRangeOptions::default();
        // Two panels a row, as in the notebook: four side by side would not fit a cell.
        let mut row = Row::new().columns(2);
        for property in [
            Property::Depth,
            Property::BottleneckRatio,
            Property::Wm,
            Property::GroupWidth,
        ] {
            row = row.with(TrendPlot::good_ranges(property, "RegNetX", &refs, &opts));
        }
        save(&row, out, "trend_bands")?;
    }
    let constrained = committed_group("trends", precomputed::regnet_x_constrained()?, data)?;
    if !constrained.is_empty() {
        let both: Vec<(String, SweepResults)> =
            regnetx.iter().chain(&constrained).cloned().collect();
        save(&edf_by_regime(&both, vec![]), out, "constrained")?;
    }
    if !families[1].1.is_empty() {
        // The evidence's own regime first: its RegNetX and RegNetY.
        let y = precomputed::regnet_y();
        let ry = precomputed::committed("regnety", &y, data)?
            .context("no committed cpu-budget sweep of RegNetY")?;
        let evidence = EdfPlot::new()
            .title("1-6 MF (the evidence)")
            .sweep(&counted("RegNetX", rx), rx)
            .sweep(&counted("RegNetY", &ry), &ry);
        let both: Vec<(String, SweepResults)> =
            regnetx.iter().chain(&families[1].1).cloned().collect();
        save(&edf_by_regime(&both, vec![evidence]), out, "se_by_regime")?;
    }
    Ok(())
}
