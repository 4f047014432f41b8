//! The evidence as Markdown: the tables that README and `datasets/sweeps/README.md` show,
//! computed from the sweeps committed under `datasets/sweeps/` (nothing is trained).
//!
//! Each [`Section`] lives in its document between two HTML comments (invisible when the
//! Markdown is rendered) and is rewritten there by `regnet-lab report --write`; the prose
//! around it stays hand-written. A test compares every committed section with what the
//! committed sweeps give today, so the tables cannot drift from the data they describe.
//!
//! ```
//! use regnet_lab::report::{Section, splice};
//! let doc = "intro\n<!-- begin report counts -->\nold\n<!-- end report counts -->\noutro\n";
//! let new = splice(doc, Section::Counts, "| new |\n")?;
//! assert_eq!(new, "intro\n<!-- begin report counts -->\n| new |\n<!-- end report counts -->\noutro\n");
//! # Ok::<(), regnet_lab::report::ReportError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::findings::{
    Claim, FindingsOptions, findings, paper_alternative_claims, paper_claims,
    paper_constraint_claims, paper_design_claims, paper_generalisation_claims, paper_se_claims,
    paper_trend_claims,
};
use crate::space::{DesignSpace, SpaceError};
use crate::stats::{
    CompareOptions, Edf, PowerOptions, StatsError, compare_paired, ks_2samp, ks_plan_from_pilots,
    mean, percentile, rank_agreement,
};
use crate::sweep::{SweepError, SweepManifest, SweepResults, precomputed};
use crate::train::{ImageData, RunRecord};

/// What can stop a report: a committed sweep that cannot be read, a statistic whose input is
/// wrong, or a document without the markers of a section.
#[derive(Debug, Error)]
pub enum ReportError {
    #[error(transparent)]
    Sweep(#[from] SweepError),
    #[error(transparent)]
    Space(#[from] SpaceError),
    #[error(transparent)]
    Stats(#[from] StatsError),
    #[error("the noise sweep datasets/sweeps/noise/{0} is missing")]
    MissingNoise(&'static str),
    #[error("'{0}' is not a report section: give noise, findings, secondary or counts")]
    UnknownSection(String),
    #[error("the document has no '{begin}' … '{end}' pair (in that order, once each)")]
    Markers { begin: String, end: String },
}

/// One generated table group and the document that shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// README "Noise budget": evaluation and seed noise, the epoch proxy, the warm-up choice
    /// (`datasets/sweeps/noise`).
    Noise,
    /// README "The evidence and the findings": the evidence spaces, the KS power plans of the
    /// A→E steps and the main findings table.
    Findings,
    /// README "Secondary sweeps": the secondary groups beside the evidence, and the findings
    /// rows of Figs. 7, 10, 11, 13 and 14.
    Secondary,
    /// `datasets/sweeps/README.md`: every committed sweep directory and its runs.
    Counts,
}

impl Section {
    pub const ALL: [Section; 4] = [
        Section::Noise,
        Section::Findings,
        Section::Secondary,
        Section::Counts,
    ];

    /// How the command line and the markers name the section.
    pub fn name(self) -> &'static str {
        match self {
            Section::Noise => "noise",
            Section::Findings => "findings",
            Section::Secondary => "secondary",
            Section::Counts => "counts",
        }
    }

    /// The document, relative to the crate root, whose markers hold this section.
    pub fn document(self) -> &'static str {
        match self {
            Section::Counts => "datasets/sweeps/README.md",
            _ => "README.md",
        }
    }

    /// [`Section::document`] in this crate's source tree.
    pub fn document_path(self) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(self.document())
    }

    /// The section's Markdown from the sweeps committed today. `data` is the `cpu` budget's
    /// dataset, against which each sweep's manifest is checked ([`precomputed::committed`]).
    pub fn markdown(self, data: &ImageData) -> Result<String, ReportError> {
        match self {
            Section::Noise => noise_budget(),
            Section::Findings => evidence(data),
            Section::Secondary => secondary(data),
            Section::Counts => sweep_counts(),
        }
    }

    fn markers(self) -> (String, String) {
        (
            format!("<!-- begin report {} -->\n", self.name()),
            format!("<!-- end report {} -->", self.name()),
        )
    }
}

impl std::str::FromStr for Section {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, ReportError> {
        Section::ALL
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| ReportError::UnknownSection(s.to_string()))
    }
}

/// Where the text between `section`'s markers starts and ends in `doc`: both markers once
/// each, begin before end.
fn bounds(doc: &str, section: Section) -> Result<(usize, usize), ReportError> {
    let (begin, end) = section.markers();
    let missing = || ReportError::Markers {
        begin: begin.trim_end().to_string(),
        end: end.clone(),
    };
    if doc.matches(&begin).count() != 1 || doc.matches(&end).count() != 1 {
        return Err(missing());
    }
    match (doc.find(&begin), doc.find(&end)) {
        (Some(a), Some(b)) if a + begin.len() <= b => Ok((a + begin.len(), b)),
        _ => Err(missing()),
    }
}

/// The text between `section`'s markers in `doc`.
pub fn region(doc: &str, section: Section) -> Result<&str, ReportError> {
    let (a, b) = bounds(doc, section)?;
    Ok(&doc[a..b])
}

/// `doc` with the text between `section`'s markers replaced by `body` (which gets a final
/// newline if it lacks one, so that the end marker keeps its own line).
pub fn splice(doc: &str, section: Section, body: &str) -> Result<String, ReportError> {
    let (a, b) = bounds(doc, section)?;
    let newline = if body.is_empty() || body.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    Ok(format!("{}{body}{newline}{}", &doc[..a], &doc[b..]))
}

fn load(dir: &Path) -> Result<Option<SweepResults>, SweepError> {
    if !dir.join("manifest.json").exists() {
        return Ok(None);
    }
    Ok(Some(SweepResults::load(dir)?))
}

fn noise_sweep(name: &'static str) -> Result<SweepResults, ReportError> {
    load(&precomputed::root().join("noise").join(name))?.ok_or(ReportError::MissingNoise(name))
}

fn by_index(r: &SweepResults) -> BTreeMap<u64, &RunRecord> {
    r.valid()
        .filter_map(|rec| Some((rec.sample.index?, rec)))
        .collect()
}

/// The errors of the indices both maps hold, as two aligned columns.
fn common_errors(
    a: &BTreeMap<u64, &RunRecord>,
    b: &BTreeMap<u64, &RunRecord>,
) -> (Vec<f64>, Vec<f64>) {
    a.iter()
        .filter_map(|(i, x)| Some((x.error()?, b.get(i)?.error()?)))
        .unzip()
}

fn sd(v: &[f64]) -> f64 {
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0)).sqrt()
}

fn seconds_per_model(r: &SweepResults) -> f64 {
    mean(&r.records.iter().map(|x| x.seconds).collect::<Vec<_>>())
}

/// How noisy one model's error is under the short recipe, and what warm-up changes.
fn noise_budget() -> Result<String, ReportError> {
    let opts = CompareOptions::default();
    let mut s = String::from("| source of noise | measured | on |\n| --- | ---: | --- |\n");

    // Evaluation: the spread of one model's error over the ten class-balanced 1,000-image
    // blocks of the 10,000-image test set (last epoch), averaged over models.
    let seed0 = noise_sweep("e3-seed0")?;
    let block_sds: Vec<f64> = seed0
        .valid()
        .filter_map(|r| r.epochs.last())
        .filter(|e| e.test_error_blocks.len() >= 2)
        .map(|e| sd(&e.test_error_blocks))
        .collect();
    let block_sd = mean(&block_sds);
    let n = block_sds.len();
    let _ = writeln!(
        s,
        "| evaluation on 1,000 test images (SD of one model's error across the ten blocks) | {block_sd:.2} points | {n} models |"
    );
    let _ = writeln!(
        s,
        "| evaluation on all 10,000 test images (the same, / √10) | {:.2} points | {n} models |",
        block_sd / 10f64.sqrt(),
    );

    // Training seed: the SD of the same spec's error across seeds, pooled over specs.
    let seeds = ["e3-seed0", "e3-seed1", "e3-seed2"]
        .into_iter()
        .map(noise_sweep)
        .collect::<Result<Vec<_>, _>>()?;
    let maps: Vec<_> = seeds.iter().map(by_index).collect();
    let mut variances = Vec::new();
    let mut specs_all_seeds = 0;
    for i in maps[0].keys() {
        let errs: Vec<f64> = maps
            .iter()
            .filter_map(|m| m.get(i).and_then(|r| r.error()))
            .collect();
        if errs.len() >= 2 {
            variances.push(sd(&errs).powi(2));
        }
        specs_all_seeds += usize::from(errs.len() == maps.len());
    }
    let _ = writeln!(
        s,
        "| training seed (pooled SD of a spec's error across seeds) | {:.2} points | {} specs, {specs_all_seeds} with all {} seeds |",
        mean(&variances).sqrt(),
        variances.len(),
        maps.len()
    );
    let (x, y) = common_errors(&maps[0], &maps[1]);
    s += &rank_row("seed 0 and seed 1", &x, &y)?;
    let _ = writeln!(
        s,
        "| spread of errors between specs (SD, seed 0; mean {:.2}) | {:.2} points | {} specs |",
        mean(&x),
        sd(&x),
        x.len()
    );

    // The low-epoch proxy: the cpu recipe (3 epochs) against 3× longer (9 epochs), same specs.
    let short = load(&precomputed::path(
        "anynetx",
        &precomputed::anynetx_chain()?[0],
    ))?;
    if let (Some(short), long) = (short, noise_sweep("e9-warmup")?) {
        let (x, y) = common_errors(&by_index(&short), &by_index(&long));
        if x.len() >= 5 {
            s += &rank_row("3 and 9 epochs", &x, &y)?;
            let _ = writeln!(
                s,
                "| mean error, 3 → 9 epochs | {:.2} → {:.2} | {} specs |",
                mean(&x),
                mean(&y),
                x.len()
            );
        }
    }

    // RegNetX with and without warm-up / zero-init: runs near chance, and what each costs.
    s += "\n| RegNetX recipe | runs | first-epoch loss > 2.0 | mean error | median | paired Δ mean vs no warm-up (95 % CI) | wall s / model (busy machine) |\n\
          | --- | ---: | ---: | ---: | ---: | --- | ---: |\n";
    let base = noise_sweep("rx-base")?;
    for (name, dir) in [
        ("no warm-up", "rx-base"),
        ("warm-up 0.5 epoch", "rx-warmup"),
        ("zero-init γ", "rx-zeroinit"),
    ] {
        let r = noise_sweep(dir)?;
        let errs = r.errors();
        let chance = r
            .records
            .iter()
            .filter(|x| x.epochs.first().is_some_and(|e| e.train_loss > 2.0))
            .count();
        let paired = if dir == "rx-base" {
            "–".to_string()
        } else {
            let (a, b) = common_errors(&by_index(&base), &by_index(&r));
            let pairs: Vec<(f64, f64)> = a.into_iter().zip(b).collect();
            compare_paired(&pairs, &opts)?.mean_diff.to_string()
        };
        let _ = writeln!(
            s,
            "| {name} | {} | {chance} | {:.2} | {:.2} | {paired} | {:.0} |",
            r.records.len(),
            mean(&errs),
            percentile(&errs, 50.0)?,
            seconds_per_model(&r)
        );
    }
    Ok(s)
}

/// The noise table's row for how well two error columns of the same specs agree in rank.
fn rank_row(what: &str, x: &[f64], y: &[f64]) -> Result<String, StatsError> {
    let r = rank_agreement(x, y, &CompareOptions::default())?;
    Ok(format!(
        "| rank agreement of {what} (Spearman ρ / Kendall τ, 95 % CI) | {} / {} | {} specs |\n",
        r.spearman, r.kendall, r.n
    ))
}

/// One table row per committed sweep of `spaces` (spaces with nothing committed are left out),
/// and those sweeps by name.
fn space_table(
    spaces: Vec<(&'static str, DesignSpace)>,
    data: &ImageData,
) -> Result<(String, Vec<(String, SweepResults)>), ReportError> {
    let mut s = String::from(
        "| space | runs | [min \\| mean] | p25 | wall s / model (shared machine) |\n\
         | --- | ---: | --- | ---: | ---: |\n",
    );
    let mut sweeps = Vec::new();
    for (group, space) in spaces {
        let Some(r) = precomputed::committed(group, &space, data)? else {
            continue;
        };
        let errs = r.errors();
        if errs.len() < 2 {
            continue;
        }
        let e = Edf::new(&errs)?.summary();
        let _ = writeln!(
            s,
            "| {} | {} | [{:.2} \\| {:.2}] | {:.2} | {:.0} |",
            space.name(),
            r.records.len(),
            e.min,
            e.mean,
            percentile(&errs, 25.0)?,
            seconds_per_model(&r)
        );
        sweeps.push((space.name().to_string(), r));
    }
    Ok((s, sweeps))
}

/// The evidence spaces, the KS power plans of the A→E steps, and the findings table.
fn evidence(data: &ImageData) -> Result<String, ReportError> {
    let (mut s, sweeps) = space_table(precomputed::evidence()?, data)?;
    s += "\n### Consecutive and A–D / A–E comparisons (KS, with the models a decision needs)\n\n";
    let plan = PowerOptions {
        replicates: 500,
        ..PowerOptions::default()
    };
    let get = |n: &str| sweeps.iter().find(|(m, _)| m == n).map(|(_, r)| r.errors());
    for (a, b) in [
        ("AnyNetX_A", "AnyNetX_B"),
        ("AnyNetX_B", "AnyNetX_C"),
        ("AnyNetX_C", "AnyNetX_D"),
        ("AnyNetX_D", "AnyNetX_E"),
        ("AnyNetX_A", "AnyNetX_D"),
        ("AnyNetX_A", "AnyNetX_E"),
    ] {
        let (Some(x), Some(y)) = (get(a), get(b)) else {
            continue;
        };
        let ks = ks_2samp(&x, &y)?;
        let p = ks_plan_from_pilots(&x, &y, &plan)?;
        let _ = writeln!(
            s,
            "- {a} vs {b}: D = {:.3}, p = {:.3}. {}",
            ks.statistic,
            ks.pvalue,
            p.sentence()
        );
    }
    s += "\n### Findings (effects are B − A in error points; negative: B better)\n\n";
    s += &findings(&paper_claims(), &sweeps, &FindingsOptions::default())?.to_markdown();
    Ok(s)
}

/// The secondary sweeps beside the evidence they are compared with, and the findings rows of
/// Figs. 7, 10, 11, 13 and 14; a space with nothing committed is left out of the table and its
/// rows say "no sweep". Each table is one Holm family.
fn secondary(data: &ImageData) -> Result<String, ReportError> {
    let mut spaces = precomputed::evidence()?;
    spaces.extend(precomputed::secondary()?);
    let (mut s, sweeps) = space_table(spaces, data)?;
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
        let _ = write!(s, "\n#### {title}{units}\n\n");
        let table = findings(&claims, &sweeps, &FindingsOptions::default())?;
        s += &table.to_markdown();
        s += &table.undecided(&sweeps)?.to_markdown();
    }
    Ok(s)
}

/// Every committed sweep directory except the noise studies, with its space, its runs, the
/// number it is made for and what reaching that would cost at its measured seconds per model
/// (one core each, as `regnet-lab evidence` runs them): what a resumed sweep has left.
fn sweep_counts() -> Result<String, ReportError> {
    let root = precomputed::root();
    let evidence_groups: Vec<&str> = precomputed::evidence()?.iter().map(|(g, _)| *g).collect();
    let mut dirs = Vec::new();
    for group in sorted_dirs(&root)? {
        if group.file_name().is_some_and(|g| g == "noise") {
            continue;
        }
        let is_evidence = evidence_groups
            .iter()
            .any(|g| group.file_name().is_some_and(|n| n == *g));
        let target = if is_evidence {
            precomputed::EVIDENCE_MODELS
        } else {
            precomputed::SECONDARY_MODELS
        };
        dirs.extend(
            sorted_dirs(&group)?
                .into_iter()
                .filter(|d| d.join("manifest.json").exists())
                .map(|d| (d, target)),
        );
    }
    let mut s = String::from(
        "| directory | space | runs now | target | core-hours left |\n| --- | --- | ---: | ---: | ---: |\n",
    );
    let (mut runs_all, mut hours_all) = (0, 0.0);
    for (dir, target) in dirs {
        let manifest = SweepManifest::load(&dir)?;
        let results = SweepResults::load(&dir)?;
        let runs = results.records.len();
        let left = target.saturating_sub(runs as u64);
        let hours = if left == 0 {
            0.0
        } else {
            left as f64 * seconds_per_model(&results) / 3600.0
        };
        let rel = dir.strip_prefix(&root).unwrap_or(&dir);
        let _ = writeln!(
            s,
            "| `{}/` | {} | {runs} | {target} | {} |",
            rel.display(),
            manifest.space.name,
            core_hours(left, hours)
        );
        runs_all += runs;
        if hours.is_finite() {
            hours_all += hours;
        }
    }
    let _ = writeln!(s, "| all | | {runs_all} | | {hours_all:.1} |");
    Ok(s)
}

/// Core-hours as the counts table shows them: "–" when nothing is left, and unknown
/// (no run measured yet) as "?".
fn core_hours(left: u64, hours: f64) -> String {
    match (left, hours.is_nan()) {
        (0, _) => "–".into(),
        (_, true) => "?".into(),
        _ => format!("{hours:.1}"),
    }
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>, SweepError> {
    let io = |source| SweepError::Io {
        path: dir.to_path_buf(),
        action: "list".into(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}
