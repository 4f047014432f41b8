//! The tables of README's "Noise budget" and "Findings" sections, computed from the sweeps
//! committed under `datasets/sweeps/` (nothing is trained):
//!
//! ```text
//! cargo run --release --example evidence_report            # both tables
//! cargo run --release --example evidence_report -- noise   # only the noise budget
//! cargo run --release --example evidence_report -- findings
//! cargo run --release --example evidence_report -- secondary  # the secondary groups' rows
//! ```
//!
//! The noise sweeps are described in `datasets/sweeps/README.md`; the findings rest on the
//! evidence sweeps (`regnet-lab evidence`), whatever number of runs they hold today.

use std::collections::BTreeMap;
use std::path::Path;

use regnet_lab::budget::Budget;
use regnet_lab::findings::{
    Claim, FindingsOptions, findings, paper_alternative_claims, paper_claims,
    paper_constraint_claims, paper_design_claims, paper_generalisation_claims, paper_se_claims,
    paper_trend_claims,
};
use regnet_lab::stats::{
    CompareOptions, Edf, PowerOptions, compare_paired, ks_2samp, ks_plan_from_pilots,
    rank_agreement,
};
use regnet_lab::sweep::{SweepResults, precomputed};
use regnet_lab::train::RunRecord;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let only: Vec<String> = std::env::args().skip(1).collect();
    let want = |what: &str| only.is_empty() || only.iter().any(|o| o == what);
    if want("noise") {
        noise_budget()?;
    }
    if want("findings") {
        evidence()?;
    }
    if only.iter().any(|o| o == "secondary") {
        secondary()?;
    }
    Ok(())
}

fn load(dir: &Path) -> Result<Option<SweepResults>, Error> {
    if !dir.join("manifest.json").exists() {
        return Ok(None);
    }
    Ok(Some(SweepResults::load(dir)?))
}

fn by_index(r: &SweepResults) -> BTreeMap<u64, &RunRecord> {
    r.valid()
        .filter_map(|rec| Some((rec.sample.index?, rec)))
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn sd(v: &[f64]) -> f64 {
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)).sqrt()
}

fn seconds_per_model(r: &SweepResults) -> f64 {
    mean(&r.records.iter().map(|x| x.seconds).collect::<Vec<_>>())
}

fn noise_budget() -> Result<(), Error> {
    let root = precomputed::root().join("noise");
    let opts = CompareOptions::default();
    println!("## Noise budget (datasets/sweeps/noise)\n");
    println!("| source of noise | measured | on |\n| --- | ---: | --- |");

    // Evaluation: the spread of one model's error over the ten class-balanced 1,000-image
    // blocks of the 10,000-image test set (last epoch), averaged over models.
    let seed0 = load(&root.join("e3-seed0"))?.ok_or("noise/e3-seed0 is missing")?;
    let block_sds: Vec<f64> = seed0
        .valid()
        .filter_map(|r| r.epochs.last())
        .filter(|e| e.test_error_blocks.len() >= 2)
        .map(|e| sd(&e.test_error_blocks))
        .collect();
    let block_sd = mean(&block_sds);
    println!(
        "| evaluation on 1,000 test images (SD of one model's error across the ten blocks) | {block_sd:.2} points | {} models |",
        block_sds.len()
    );
    println!(
        "| evaluation on all 10,000 test images (the same, / √10) | {:.2} points | {} models |",
        block_sd / 10f64.sqrt(),
        block_sds.len()
    );

    // Training seed: the SD of the same spec's error across seeds, pooled over specs.
    let seeds: Vec<SweepResults> = ["e3-seed0", "e3-seed1", "e3-seed2"]
        .iter()
        .filter_map(|d| load(&root.join(d)).transpose())
        .collect::<Result<_, _>>()?;
    let maps: Vec<_> = seeds.iter().map(by_index).collect();
    let mut variances = Vec::new();
    let mut specs_all_seeds = 0;
    for (i, r0) in &maps[0] {
        let errs: Vec<f64> = maps
            .iter()
            .filter_map(|m| m.get(i).and_then(|r| r.error()))
            .collect();
        if errs.len() >= 2 {
            variances.push(sd(&errs).powi(2));
            let _ = r0;
        }
        specs_all_seeds += usize::from(errs.len() == maps.len());
    }
    println!(
        "| training seed (pooled SD of a spec's error across seeds) | {:.2} points | {} specs, {} with all {} seeds |",
        mean(&variances).sqrt(),
        variances.len(),
        specs_all_seeds,
        maps.len()
    );
    if maps.len() >= 2 {
        let common: Vec<u64> = maps[0]
            .keys()
            .filter(|i| maps[1].contains_key(i))
            .copied()
            .collect();
        let x: Vec<f64> = common.iter().map(|i| maps[0][i].error().unwrap()).collect();
        let y: Vec<f64> = common.iter().map(|i| maps[1][i].error().unwrap()).collect();
        let r = rank_agreement(&x, &y, &opts)?;
        println!(
            "| rank agreement of seed 0 and seed 1 (Spearman ρ / Kendall τ, 95 % CI) | {} / {} | {} specs |",
            r.spearman, r.kendall, r.n
        );
        let m0 = mean(&x);
        let spread = sd(&x);
        println!(
            "| spread of errors between specs (SD, seed 0; mean {m0:.2}) | {spread:.2} points | {} specs |",
            x.len()
        );
    }

    // The low-epoch proxy: the cpu recipe (3 epochs) against 3× longer (9 epochs), same specs.
    let short = load(&precomputed::path(
        "anynetx",
        &precomputed::anynetx_chain()?[0],
    ))?;
    let long = load(&root.join("e9-warmup"))?;
    if let (Some(short), Some(long)) = (short, long) {
        let (s, l) = (by_index(&short), by_index(&long));
        let common: Vec<u64> = l.keys().filter(|i| s.contains_key(i)).copied().collect();
        if common.len() >= 5 {
            let x: Vec<f64> = common.iter().map(|i| s[i].error().unwrap()).collect();
            let y: Vec<f64> = common.iter().map(|i| l[i].error().unwrap()).collect();
            let r = rank_agreement(&x, &y, &opts)?;
            println!(
                "| rank agreement of 3 and 9 epochs (Spearman ρ / Kendall τ, 95 % CI) | {} / {} | {} specs |",
                r.spearman, r.kendall, r.n
            );
            println!(
                "| mean error, 3 → 9 epochs | {:.2} → {:.2} | {} specs |",
                mean(&x),
                mean(&y),
                r.n
            );
        }
    }

    // RegNetX with and without warm-up / zero-init: runs near chance, and what each costs.
    println!(
        "\n| RegNetX recipe | runs | first-epoch loss > 2.0 | mean error | median | paired Δ mean vs no warm-up (95 % CI) | wall s / model (busy machine) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | --- | ---: |");
    let base = load(&root.join("rx-base"))?.ok_or("noise/rx-base is missing")?;
    for (name, dir) in [
        ("no warm-up", "rx-base"),
        ("warm-up 0.5 epoch", "rx-warmup"),
        ("zero-init γ", "rx-zeroinit"),
    ] {
        let Some(r) = load(&root.join(dir))? else {
            continue;
        };
        let errs = r.errors();
        let chance = r
            .records
            .iter()
            .filter(|x| x.epochs.first().is_some_and(|e| e.train_loss > 2.0))
            .count();
        let (b, m) = (by_index(&base), by_index(&r));
        let pairs: Vec<(f64, f64)> = m
            .iter()
            .filter_map(|(i, x)| Some((b.get(i)?.error()?, x.error()?)))
            .collect();
        let paired = if dir == "rx-base" {
            "–".to_string()
        } else {
            compare_paired(&pairs, &opts)?.mean_diff.to_string()
        };
        let mut sorted = errs.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "| {name} | {} | {chance} | {:.2} | {:.2} | {paired} | {:.0} |",
            r.records.len(),
            mean(&errs),
            regnet_lab::stats::percentile(&sorted, 50.0)?,
            seconds_per_model(&r)
        );
    }
    println!();
    Ok(())
}

/// Prints one table row per committed sweep of `spaces` and returns those sweeps by name.
fn space_table(
    spaces: Vec<(&'static str, regnet_lab::space::DesignSpace)>,
    data: &regnet_lab::train::ImageData,
) -> Result<Vec<(String, SweepResults)>, Error> {
    let mut sweeps = Vec::new();
    println!(
        "| space | runs | [min \\| mean] | p25 | wall s / model (shared machine) |\n| --- | ---: | --- | ---: | ---: |"
    );
    for (group, space) in spaces {
        let Some(r) = precomputed::committed(group, &space, data)? else {
            println!("| {} | 0 | – | – | – |", space.name());
            continue;
        };
        let errs = r.errors();
        if errs.len() < 2 {
            continue;
        }
        let s = Edf::new(&errs)?.summary();
        let mut sorted = errs.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "| {} | {} | [{:.2} \\| {:.2}] | {:.2} | {:.0} |",
            space.name(),
            r.records.len(),
            s.min,
            s.mean,
            regnet_lab::stats::percentile(&sorted, 25.0)?,
            seconds_per_model(&r)
        );
        sweeps.push((space.name().to_string(), r));
    }
    Ok(sweeps)
}

/// The secondary sweeps (every group of `precomputed::secondary()`) beside the evidence they are
/// compared with, and the findings rows of Figs. 7, 10, 11, 13 and 14; a space with no committed
/// sweep shows 0 runs and its rows say "no sweep".
fn secondary() -> Result<(), Error> {
    let data = Budget::Cpu.data()?;
    let mut spaces = precomputed::evidence()?;
    spaces.extend(precomputed::secondary()?);
    println!("## Secondary sweeps (cpu recipe)\n");
    let sweeps = space_table(spaces, &data)?;
    let sets = [
        ("Alternatives (Fig. 7)", paper_alternative_claims()),
        ("Generalisation (Fig. 10)", paper_generalisation_claims()?),
        (
            "Parameter trends of RegNetX (Fig. 11)",
            paper_trend_claims(),
        ),
        ("Constrained RegNetX (Fig. 13)", paper_constraint_claims()),
        (
            "Alternate designs and resolution (Fig. 14 left, middle)",
            paper_design_claims(),
        ),
        ("SE across regimes (Fig. 14 right)", paper_se_claims()),
    ];
    for (title, claims) in sets {
        let compares = claims
            .iter()
            .any(|c| matches!(c, Claim::Compare { .. } | Claim::WithinSpace { .. }));
        let units = if compares {
            "; effects are B − A in error points"
        } else {
            ""
        };
        println!("\n### {title}{units}\n");
        let rows = findings(&claims, &sweeps, &FindingsOptions::default())?;
        print!("{}", rows.to_markdown());
    }
    Ok(())
}

fn evidence() -> Result<(), Error> {
    let data = Budget::Cpu.data()?;
    println!("## Evidence (datasets/sweeps, cpu recipe)\n");
    let sweeps = space_table(precomputed::evidence()?, &data)?;
    println!(
        "\n### Consecutive and A–D / A–E comparisons (KS, with the models a decision needs)\n"
    );
    let plan = PowerOptions {
        replicates: 500,
        ..PowerOptions::default()
    };
    let names = [
        "AnyNetX_A",
        "AnyNetX_B",
        "AnyNetX_C",
        "AnyNetX_D",
        "AnyNetX_E",
    ];
    let pairs = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 3), (0, 4)];
    for (i, j) in pairs {
        let get = |n: &str| sweeps.iter().find(|(m, _)| m == n).map(|(_, r)| r.errors());
        let (Some(a), Some(b)) = (get(names[i]), get(names[j])) else {
            continue;
        };
        let ks = ks_2samp(&a, &b)?;
        let p = ks_plan_from_pilots(&a, &b, &plan)?;
        println!(
            "- {} vs {}: D = {:.3}, p = {:.3}. {}",
            names[i],
            names[j],
            ks.statistic,
            ks.pvalue,
            p.sentence()
        );
    }
    println!("\n### Findings (effects are B − A in error points; negative: B better)\n");
    let rows = findings(&paper_claims(), &sweeps, &FindingsOptions::default())?;
    print!("{}", rows.to_markdown());
    Ok(())
}
