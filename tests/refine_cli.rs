//! The `regnet-lab suggest RESULTS` subcommand, as handed to the integrator of
//! `src/bin/regnet-lab.rs`: the clap variant and the match arm below are the snippet, verbatim,
//! inside a minimal CLI, so the snippet is known to compile and to work on a sweep directory.
//! Once the subcommand is in the binary, `tests/cli.rs` can cover it and this file can go.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use regnet_lab::space::{AnyNetXRanges, DesignSpace, NetTemplate, Regime};
use regnet_lab::sweep::{Shard, Sweep, SweepResults};
use regnet_lab::train::{RunRecord, StopReason, TrainConfig};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    // ---- snippet: clap variant ----
    /// Propose the next refinement of a finished sweep's design space: rank candidate
    /// constraints (shared b / g, monotone widths / depths, good ranges, …) by the evidence
    /// in the sweep, with no new training (paper §2.1 step 4).
    Suggest {
        /// Sweep directory (manifest.json + results*.jsonl) or one results JSONL file.
        results: PathBuf,
        /// Seed of the hold-out split, the bootstraps and the samples of the space.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Bootstrap resamples for the effect intervals.
        #[arg(long, default_value_t = 2000)]
        resamples: usize,
        /// Level α of the tests (intervals are 1 − α).
        #[arg(long, default_value_t = 0.05)]
        alpha: f64,
        /// Fewest kept and fewest rejected models for a candidate to be tested.
        #[arg(long, default_value_t = 10)]
        min_models: usize,
        /// Multiple-testing correction: holm, bh or none.
        #[arg(long, default_value = "holm")]
        correction: String,
        /// Good-range candidates: holdout (derive on half, test on the rest), holdout:F,
        /// in-sample (circular, marked) or off.
        #[arg(long, default_value = "holdout")]
        ranges: String,
        /// Fresh samples of the space to estimate the share each candidate keeps (0: skip).
        #[arg(long, default_value_t = 2000)]
        share_samples: usize,
        /// Also write the ranked table as HTML to this file.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Print one JSON object instead of the table.
        #[arg(long)]
        json: bool,
    },
    // ---- end of snippet ----
}

fn run(cli: Cli) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        // ---- snippet: match arm ----
        Command::Suggest {
            results,
            seed,
            resamples,
            alpha,
            min_models,
            correction,
            ranges,
            share_samples,
            html,
            json,
        } => {
            use regnet_lab::refine::{SuggestOptions, suggest};
            let sweep = SweepResults::load(&results)
                .with_context(|| format!("reading the sweep {}", results.display()))?;
            let opts = SuggestOptions::default()
                .seed(seed)
                .resamples(resamples)
                .alpha(alpha)
                .min_models(min_models)
                .correction(correction.parse()?)
                .ranges(ranges.parse()?)
                .share_samples(share_samples);
            let s = suggest(&sweep, &opts)?;
            if let Some(path) = html {
                std::fs::write(&path, s.to_html())
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            if json {
                writeln!(out, "{}", serde_json::to_string(&s)?)?;
            } else {
                write!(out, "{s}")?;
            }
        } // ---- end of snippet ----
    }
    Ok(())
}

#[test]
fn suggest_subcommand_snippet_runs_on_a_sweep_directory() {
    let dir = std::env::temp_dir().join(format!("regnet-refine-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let space = DesignSpace::anynet_x_a()
        .with_template(NetTemplate::fashion_mnist())
        .with_anynet_ranges(AnyNetXRanges::small())
        .with_regime(Regime::flops(1_000_000, 6_000_000, 28));
    let sweep = Sweep {
        space,
        seed: 0,
        n: 60,
        train: TrainConfig::default(),
        dataset: "synthetic".into(),
    };
    sweep
        .run_with(
            &dir,
            Shard::WHOLE,
            None,
            |s, _| {
                let e = 20.0 + (s.index % 7) as f64;
                Ok(RunRecord {
                    crate_version: "test".into(),
                    sample_index: Some(s.index),
                    spec: s.spec.clone(),
                    regnet: None,
                    complexity: s.complexity,
                    resolution: 28,
                    config: TrainConfig::default(),
                    dataset: "synthetic".into(),
                    device: "cpu".into(),
                    epochs: vec![],
                    final_error: Some(e),
                    best_error: Some(e),
                    diverged: false,
                    stop: StopReason::Completed,
                    images_per_second: 1.0,
                    seconds: 0.0,
                })
            },
            |_, _| {},
        )
        .unwrap();
    let html = dir.join("suggest.html");
    let d = dir.to_str().unwrap();
    let h = html.to_str().unwrap();
    run(Cli::parse_from([
        "regnet-lab",
        "suggest",
        d,
        "--resamples",
        "200",
        "--share-samples",
        "100",
        "--correction",
        "bh",
        "--html",
        h,
    ]))
    .unwrap();
    assert!(std::fs::read_to_string(&html).unwrap().contains("<table>"));
    run(Cli::parse_from([
        "regnet-lab",
        "suggest",
        d,
        "--json",
        "--ranges",
        "off",
    ]))
    .unwrap();
    let err = run(Cli::parse_from([
        "regnet-lab",
        "suggest",
        d,
        "--ranges",
        "sideways",
    ]))
    .unwrap_err()
    .to_string();
    assert!(err.contains("ranges"), "{err}");
    let err = run(Cli::parse_from([
        "regnet-lab",
        "suggest",
        "/nonexistent/sweep",
    ]))
    .unwrap_err()
    .to_string();
    assert!(err.contains("/nonexistent/sweep"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
