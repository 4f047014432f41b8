//! The refinement assistant on synthetic sweeps whose error is made to depend on a known rule:
//! the rule must come first with "improves", irrelevant rules must be neutral; plus small
//! sweeps, diverged runs, seeding, user candidates and the tables.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use regnet_lab::refine::{
    Candidate, Correction, Origin, RangeSelection, RefineError, SuggestOptions, TestedOn, Verdict,
    adjust_pvalues, catalogue, suggest,
};
use regnet_lab::space::{
    AnyNetXRanges, Constraint, DesignSpace, NetTemplate, Property, Regime, Sample,
};
use regnet_lab::sweep::{FORMAT_VERSION, SweepManifest, SweepResults};
use regnet_lab::train::{RunRecord, TrainConfig};

fn record(s: &Sample, error: Option<f64>) -> RunRecord {
    let mut record = RunRecord::synthetic(s, error);
    record.sample.resolution = 28;
    record
}

/// Standard normal noise from a seeded generator (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A sweep of `n` models of `space` (seed 11) with `error(sample) + noise`, and its manifest.
fn sweep(space: &DesignSpace, n: u64, sigma: f64, error: impl Fn(&Sample) -> f64) -> SweepResults {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let records = (0..n)
        .map(|i| {
            let s = space.sample(11, i).unwrap();
            let e = error(&s) + sigma * normal(&mut rng);
            record(&s, Some(e))
        })
        .collect();
    SweepResults {
        manifest: Some(SweepManifest {
            format: FORMAT_VERSION,
            crate_version: "test".into(),
            space: space.describe(),
            seed: 11,
            n,
            train: TrainConfig::default(),
            dataset: "synthetic".into(),
            draws: None,
        }),
        ..SweepResults::from_records(records)
    }
}

fn anynet_a() -> DesignSpace {
    DesignSpace::anynet_x_a()
        .with_template(NetTemplate::fashion_mnist())
        .with_anynet_ranges(AnyNetXRanges::small())
        .unwrap()
        .with_regime(Regime {
            resolution: 28,
            flops: None,
            params: None,
        })
}

use crate::regnet_small;

fn non_decreasing_widths(s: &Sample) -> bool {
    s.spec.stage_widths().windows(2).all(|p| p[0] <= p[1])
}

/// Error 3 points lower when widths never shrink; nothing else matters.
fn widths_sweep(n: u64) -> SweepResults {
    sweep(&anynet_a(), n, 1.5, |s| {
        if non_decreasing_widths(s) { 20.0 } else { 23.0 }
    })
}

fn opts() -> SuggestOptions {
    SuggestOptions::default()
        .seed(5)
        .resamples(1000)
        .share_samples(1000)
}

#[test]
fn anynet_rule_ranks_first_and_irrelevant_rules_are_neutral() {
    let res = widths_sweep(400);
    let s = suggest(&res, &opts()).unwrap();
    println!("{s}");
    let best = s.best().expect("an improving candidate");
    assert_eq!(best.candidate.name, "widths non-decreasing");
    assert_eq!(best.candidate.constraint, Constraint::WidthsNonDecreasing);
    assert_eq!(best.rank, 1);
    assert_eq!(best.tested_on, TestedOn::All);
    assert_eq!(best.n_tested, 400);
    // Shown next to the paper's choice (AnyNetX_D: improves).
    assert_eq!(
        best.paper.as_ref().unwrap().verdict,
        Some(Verdict::Improves)
    );
    let md = best.mean_diff.unwrap();
    assert!(md.high < 0.0 && md.low < md.estimate && md.estimate < md.high);
    assert!(best.p_adjusted.unwrap() < 1e-6);
    // Share kept of a 3-stage space with 16 widths: P(w1 ≤ w2 ≤ w3) = C(18,3)/16³ ≈ 0.1995.
    let share = best.share_of_space.unwrap();
    assert!((share - 0.1995).abs() < 0.04, "share of space {share}");
    assert!((best.share_of_sweep - 0.1995).abs() < 0.06);
    for name in [
        "shared bottleneck ratio",
        "shared group width",
        "depths non-decreasing",
    ] {
        let r = s.get(name).unwrap();
        assert_eq!(r.verdict, Verdict::Neutral, "{name}: {r:?}");
        assert!(r.p_adjusted.unwrap() > 0.05);
    }
    // Nothing that does not involve widths improves; ranges of depths, b and g are neutral
    // or not testable.
    for r in &s.results {
        if let Origin::GoodRange { property, .. } = r.candidate.origin {
            assert_eq!(r.tested_on, TestedOn::HoldOut);
            assert_eq!(r.n_tested, s.n_holdout);
            // The paper's RegNet findings (d ≈ 20, b = 1) are not attached to AnyNet ranges.
            assert!(r.paper.is_none(), "{}", r.candidate.name);
            if !matches!(property, Property::StageWidth(_)) {
                assert_ne!(r.verdict, Verdict::Improves, "{}", r.candidate.name);
            }
        }
    }
    assert_eq!(s.n_derive + s.n_holdout, 400);
    // The refined space keeps the best rule.
    let refined = s.refined_space().unwrap();
    assert!(
        refined
            .constraints()
            .contains(&Constraint::WidthsNonDecreasing)
    );
    assert!(non_decreasing_widths(&refined.sample(0, 0).unwrap()));
}

#[test]
fn regnet_wm_near_2_5_makes_the_wm_range_win() {
    let res = sweep(&regnet_small(), 400, 0.5, |s| {
        let wm = s.regnet.as_ref().unwrap().wm();
        20.0 + 40.0 * (wm / 2.5).ln().powi(2)
    });
    let s = suggest(&res, &opts()).unwrap();
    println!("{s}");
    let best = s.best().expect("an improving candidate");
    let Constraint::Range { property, min, max } = best.candidate.constraint else {
        panic!("best is not a range: {}", best.candidate.name);
    };
    assert_eq!(property, Property::Wm);
    assert!(
        min <= 2.5 && 2.5 <= max && min > 1.5,
        "{}",
        best.candidate.name
    );
    assert_eq!(best.verdict, Verdict::Improves);
    assert_eq!(best.tested_on, TestedOn::HoldOut);
    assert!(best.paper.as_ref().unwrap().short.contains("wm ≈ 2.5"));
    // No paper rules for a RegNet sweep; candidates are ranges of d, w0, wa, wm, g, b only.
    for r in &s.results {
        assert!(matches!(r.candidate.origin, Origin::GoodRange { .. }));
    }
    // Ranges of properties the error ignores do not improve.
    for r in &s.results {
        if let Origin::GoodRange { property, .. } = r.candidate.origin
            && matches!(property, Property::Depth | Property::GroupWidth)
        {
            assert_ne!(r.verdict, Verdict::Improves, "{}", r.candidate.name);
        }
    }
}

#[test]
fn too_few_models_says_so() {
    let res = widths_sweep(15);
    let s = suggest(&res, &opts()).unwrap();
    assert!(s.best().is_none());
    assert_eq!(s.n_tested, 0);
    for r in &s.results {
        assert_eq!(r.verdict, Verdict::NotEnoughModels, "{}", r.candidate.name);
        assert!(r.ks.is_none() && r.p_adjusted.is_none() && r.mean_diff.is_none());
        assert!(!r.note.is_empty());
    }
    assert!(
        s.notes.iter().any(|n| n.contains("only 15 models")),
        "{:?}",
        s.notes
    );
    assert!(s.to_text().contains("not enough models"));
}

#[test]
fn diverged_and_nan_runs_are_excluded() {
    let clean = widths_sweep(200);
    let mut dirty = clean.clone();
    let space = anynet_a();
    for i in 500..510 {
        dirty
            .records
            .push(record(&space.sample(11, i).unwrap(), None));
    }
    let mut nan = record(&space.sample(11, 600).unwrap(), Some(f64::NAN));
    nan.diverged = false;
    dirty.records.push(nan);
    // A diverged run that still carries an error is excluded too.
    let mut div = record(&space.sample(11, 601).unwrap(), Some(1.0));
    div.diverged = true;
    dirty.records.push(div);
    let o = opts().share_samples(0);
    let a = suggest(&clean, &o).unwrap();
    let b = suggest(&dirty, &o).unwrap();
    assert_eq!(b.n_excluded, 12);
    assert_eq!(b.n_models, 200);
    assert_eq!(a.results, b.results);
    assert!(b.notes.iter().any(|n| n.contains("12 diverged")));
    for r in &b.results {
        assert!(r.all_errors.iter().all(|e| e.is_finite() && *e > 5.0));
    }
}

#[test]
fn no_finite_error_is_an_error() {
    let space = anynet_a();
    let res = SweepResults::from_records(
        (0..3)
            .map(|i| record(&space.sample(1, i).unwrap(), None))
            .collect(),
    );
    assert_eq!(
        suggest(&res, &opts()).unwrap_err(),
        RefineError::NoModels { excluded: 3 }
    );
}

#[test]
fn seeded_and_deterministic() {
    let res = widths_sweep(200);
    let a = suggest(&res, &opts()).unwrap();
    let b = suggest(&res, &opts()).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.to_text(), b.to_text());
    let c = suggest(&res, &opts().seed(6)).unwrap();
    let ci = |s: &regnet_lab::refine::Suggestions| {
        s.get("widths non-decreasing").unwrap().mean_diff.unwrap()
    };
    // Same point estimate (same models), different bootstrap draws.
    assert_eq!(ci(&a).estimate, ci(&c).estimate);
    assert_ne!((ci(&a).low, ci(&a).high), (ci(&c).low, ci(&c).high));
    // The catalogue uses the same split as suggest.
    let cat = catalogue(&res, &opts()).unwrap();
    let mut names: Vec<_> = cat.iter().map(|c| c.name.clone()).collect();
    let mut got: Vec<_> = a.results.iter().map(|r| r.candidate.name.clone()).collect();
    names.sort();
    got.sort();
    assert_eq!(names, got);
}

#[test]
fn user_candidates_are_tested_and_checked() {
    let res = widths_sweep(300);
    let o = opts()
        .ranges(RangeSelection::Off)
        .custom("last stage widest", |s| {
            let w = s.stage_widths();
            w.last() == w.iter().max()
        })
        .candidate(Candidate::new(
            "d ≤ 6",
            Constraint::Range {
                property: Property::Depth,
                min: 1.0,
                max: 6.0,
            },
        ));
    let s = suggest(&res, &o).unwrap();
    assert_eq!(s.results.len(), 6);
    let widest = s.get("last stage widest").unwrap();
    assert_eq!(widest.candidate.origin, Origin::User);
    assert_eq!(widest.n_tested, 300);
    assert!(widest.share_of_space.is_some());
    // It contains every non-decreasing model, so it is better too — but less clearly.
    assert!(widest.rank > s.get("widths non-decreasing").unwrap().rank);

    let dup = opts().custom("x", |_| true).custom("x", |_| false);
    assert!(matches!(
        suggest(&res, &dup),
        Err(RefineError::DuplicateName { .. })
    ));
    let detached = opts().candidate(Candidate::new(
        "lost",
        Constraint::Custom {
            name: "lost".into(),
            pred: None,
        },
    ));
    assert!(matches!(
        suggest(&res, &detached),
        Err(RefineError::DetachedConstraint { .. })
    ));
    assert!(matches!(
        suggest(&res, &opts().alpha(1.5)),
        Err(RefineError::InvalidOption { .. })
    ));
}

#[test]
fn in_sample_ranges_are_marked_circular() {
    let res = widths_sweep(300);
    let s = suggest(&res, &opts().ranges(RangeSelection::InSample)).unwrap();
    let ranges: Vec<_> = s
        .results
        .iter()
        .filter(|r| matches!(r.candidate.origin, Origin::GoodRange { .. }))
        .collect();
    assert!(!ranges.is_empty());
    for r in ranges {
        assert!(r.candidate.is_circular());
        assert_eq!(r.tested_on, TestedOn::All);
        assert!(r.note.contains("circular"), "{}", r.note);
    }
    assert!(s.notes.iter().any(|n| n.contains("in-sample")));
}

#[test]
fn applied_rules_are_not_candidates() {
    // An AnyNetX_C sweep already shares b and g: only the monotone rules remain, and ranges
    // use the shared b and g.
    let space = DesignSpace::anynet_x_c()
        .with_template(NetTemplate::fashion_mnist())
        .with_anynet_ranges(AnyNetXRanges::small())
        .unwrap();
    let res = sweep(&space, 120, 1.0, |_| 20.0);
    let cat = catalogue(&res, &opts()).unwrap();
    let names: Vec<_> = cat.iter().map(|c| c.name.as_str()).collect();
    assert!(!names.contains(&"shared bottleneck ratio"));
    assert!(!names.contains(&"shared group width"));
    assert!(names.contains(&"widths non-decreasing"));
    for c in &cat {
        if let Origin::GoodRange { property, .. } = c.origin {
            assert!(!matches!(
                property,
                Property::StageBottleneckRatio(_) | Property::StageGroupWidth(_)
            ));
        }
    }
}

#[test]
fn tables_show_every_candidate() {
    let res = widths_sweep(200);
    let s = suggest(&res, &opts().custom("a <b> & c", |_| true)).unwrap();
    let text = s.to_text();
    let html = s.to_html();
    assert_eq!(format!("{s}"), text);
    for r in &s.results {
        assert!(text.contains(&r.candidate.name));
    }
    assert!(text.contains("Holm") && text.contains("seed 5"));
    assert!(html.starts_with("<div") && html.contains("<table>"));
    assert!(html.contains("a &lt;b&gt; &amp; c") && !html.contains("<b>"));
    assert_eq!(html.matches("<tr class=").count(), s.results.len());
}

#[test]
fn corrections_match_reference_values() {
    // statsmodels.stats.multitest.multipletests(p, method='holm' / 'fdr_bh')
    let p = [0.001, 0.2, 0.03, 0.04, f64::NAN];
    let holm = adjust_pvalues(&p, Correction::Holm);
    let want = [0.005, 0.4, 0.12, 0.12, 1.0];
    for (a, b) in holm.iter().zip(want) {
        assert!((a - b).abs() < 1e-12, "{holm:?}");
    }
    let bh = adjust_pvalues(&p, Correction::BenjaminiHochberg);
    let want = [0.005, 0.25, 0.0666666666666667, 0.0666666666666667, 1.0];
    for (a, b) in bh.iter().zip(want) {
        assert!((a - b).abs() < 1e-12, "{bh:?}");
    }
    assert_eq!(adjust_pvalues(&[0.5], Correction::None), vec![0.5]);
    assert!(adjust_pvalues(&[], Correction::Holm).is_empty());
    assert_eq!(
        "bh".parse::<Correction>().unwrap(),
        Correction::BenjaminiHochberg
    );
}

#[test]
fn loads_a_sweep_directory_with_a_flops_regime() {
    use regnet_lab::sweep::{Shard, Sweep};
    // As `make demo`: AnyNetX_A, small ranges, Fashion-MNIST template, 1–6 MF at 28².
    let space = DesignSpace::anynet_x_a()
        .with_template(NetTemplate::fashion_mnist())
        .with_anynet_ranges(AnyNetXRanges::small())
        .unwrap()
        .with_regime(Regime::flops(1_000_000, 6_000_000, 28));
    let dir = std::env::temp_dir().join(format!("regnet-refine-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sw = Sweep {
        space,
        seed: 3,
        n: 150,
        train: TrainConfig::default(),
        dataset: "synthetic".into(),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    sw.run_with(
        &dir,
        Shard::WHOLE,
        None,
        |s, _| {
            let e = if non_decreasing_widths(s) { 20.0 } else { 23.0 } + normal(&mut rng);
            Ok(record(s, Some(e)))
        },
        |_, _| {},
    )
    .unwrap();
    let res = SweepResults::load(&dir).unwrap();
    let t = std::time::Instant::now();
    let s = suggest(&res, &SuggestOptions::default().seed(1)).unwrap();
    println!("{s}\n(suggest took {:.2?})", t.elapsed());
    assert_eq!(s.space.as_ref().unwrap().name, "AnyNetX_A");
    assert_eq!(s.space_samples, 2000);
    let best = s.best().unwrap();
    assert_eq!(best.candidate.name, "widths non-decreasing");
    let share = best.share_of_space.unwrap();
    assert!(share > 0.05 && share < 0.5, "{share}");
    let refined = s.refined_space().unwrap();
    assert_eq!(refined.name(), "AnyNetX_A + widths non-decreasing");
    let f = refined.sample(0, 1).unwrap().complexity.flops;
    assert!((1_000_000..=6_000_000).contains(&f));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// (texts of an SVG, which must be well-formed XML).
fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "text")
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

#[test]
fn edf_figure_has_one_panel_per_candidate_shown() {
    use regnet_lab::display::suggestions_blocks;
    use regnet_lab::plot::{Figure, PlotError, SuggestionsPlot};

    let res = widths_sweep(300);
    // A candidate no model satisfies (with characters SVG and HTML must escape).
    let o = opts().custom("nothing <kept> & more", |_| false);
    let s = suggest(&res, &o).unwrap();
    let nothing = s.get("nothing <kept> & more").unwrap();
    assert_eq!(nothing.n_kept, 0);
    assert!(s.results.len() > 4, "{} candidates", s.results.len());

    // Default: the first 8 ranked (or all, when fewer), 3 columns of 360 × 300 px panels (a
    // notebook cell's width).
    let fig = s.plot();
    let n = s.results.len().min(SuggestionsPlot::DEFAULT_TOP);
    assert_eq!(fig.panel_count(), n);
    assert_eq!(fig.size(), (3 * 360, n.div_ceil(3) as u32 * 300));

    // top(4): one panel each for the first four, titled `#rank name`, nothing of the others.
    let top = SuggestionsPlot::new(&s).top(4);
    let texts = svg_texts(&top.svg().unwrap());
    let count = |want: &str| texts.iter().filter(|t| t.contains(want)).count();
    assert_eq!(
        count("cumulative prob."),
        4,
        "one y axis per panel: {texts:?}"
    );
    for r in &s.results[..4] {
        let title = format!("#{} {}", r.rank, r.candidate.name);
        assert_eq!(count(&title), 1, "{title} in {texts:?}");
        assert!(count(r.verdict.label()) >= 1, "{} in {texts:?}", r.verdict);
    }
    for r in &s.results[4..] {
        assert_eq!(count(&format!("#{} ", r.rank)), 0, "#{} not shown", r.rank);
    }
    let best = &s.results[0];
    assert_eq!(best.candidate.name, "widths non-decreasing");
    assert!(count(&format!("kept {}/{}", best.n_kept, best.n_tested)) == 1);
    assert!(count("p adj ") >= 1);
    assert!(count("KS vs all ") >= 1);
    assert_eq!(count("kept"), 4 + 4, "legend and note of every panel");

    // Every candidate, the empty one included: it draws, with its note.
    let all = s.plot().top(usize::MAX).columns(5).title("synthetic sweep");
    assert_eq!(all.panel_count(), s.results.len());
    let rows = s.results.len().div_ceil(5) as u32;
    assert_eq!(all.size(), (5 * 360, rows * 300 + 30));
    let texts = svg_texts(&all.svg().unwrap());
    let count = |want: &str| texts.iter().filter(|t| t.contains(want)).count();
    assert_eq!(count("cumulative prob."), s.results.len());
    assert_eq!(count("synthetic sweep"), 1);
    assert_eq!(count("no models kept (0/300)"), 1, "{texts:?}");
    assert_eq!(
        count(&format!("#{} nothing <kept> & more", nothing.rank)),
        1,
        "{texts:?}"
    );
    assert!(
        all.summary_text()
            .contains("nothing <kept> & more: not enough models")
    );

    // PNG at the grid's size, with drawn axes and text.
    let png = all.png().unwrap();
    let dec = png::Decoder::new(std::io::Cursor::new(png.as_slice()));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), all.size());
    let dark = buf[..info.buffer_size()]
        .chunks(3)
        .filter(|p| p.iter().all(|&c| c < 100))
        .count();
    assert!(dark > 1000, "{dark} dark pixels");

    // Long names are shortened to fit their panel; with_size overrides the grid.
    let small = s.plot().top(2).with_size(400, 300);
    assert_eq!(small.size(), (400, 300));
    assert!(small.svg().is_ok());
    assert!(matches!(
        s.plot().top(0).svg(),
        Err(PlotError::Empty { .. })
    ));

    // The notebook display: ranked table and figure in one HTML block, text twin.
    let blocks = suggestions_blocks(&s);
    assert!(blocks.starts_with("EVCXR_BEGIN_CONTENT text/html\n<div class=\"regnet-refine\">"));
    let html = blocks.split("EVCXR_END_CONTENT").next().unwrap();
    assert!(html.contains("nothing &lt;kept&gt; &amp; more"));
    let svg = &html[html.find("<svg").unwrap()..html.rfind("</svg>").unwrap() + 6];
    assert_eq!(
        svg_texts(svg)
            .iter()
            .filter(|t| t.trim_start().starts_with('#'))
            .count(),
        n
    );
    assert!(blocks.contains("EVCXR_BEGIN_CONTENT text/plain\nRefinements of AnyNetX_A"));
    assert!(blocks.contains("error EDFs of kept vs all tested models"));

    // A figure that cannot be drawn leaves the table and says why, as text.
    let mut broken = s.clone();
    broken.results[0].all_errors.clear();
    let blocks = suggestions_blocks(&broken);
    assert!(blocks.contains("<table>"));
    assert!(blocks.contains("figure could not be drawn"));
    assert!(!blocks.contains("<svg"));
}

/// The findings table on sweeps with planted effects: the same noise at every index (as two
/// spaces drawn from one seed share models), so the paired effects are exact.
#[test]
fn findings_follow_planted_effects() {
    use regnet_lab::findings::{Claim, Expect, FindingsOptions, Verdict, findings};
    let space = anynet_a();
    let at = |level: f64| sweep(&space, 120, 1.0, move |_| level);
    let sweeps = vec![
        ("A".to_string(), at(25.0)),
        ("B".to_string(), at(25.0)),
        ("C".to_string(), at(23.0)),
        ("D".to_string(), at(25.0)),
    ];
    let claim = |a: &str, b: &str, expect| Claim::Compare {
        text: format!("{b} vs {a}"),
        a: a.into(),
        b: b.into(),
        expect,
    };
    let claims = [
        claim("A", "B", Expect::NoWorse),
        claim("B", "C", Expect::Better),
        claim("C", "D", Expect::Better),
        claim("C", "D", Expect::NoWorse),
        claim("A", "missing", Expect::Better),
    ];
    let table = findings(&claims, &sweeps, &FindingsOptions::default()).unwrap();
    let verdicts: Vec<Verdict> = table.rows.iter().map(|r| r.verdict).collect();
    assert_eq!(
        verdicts,
        [
            Verdict::Reproduced,
            Verdict::Reproduced,
            Verdict::Contradicted,
            Verdict::Contradicted,
            Verdict::Missing
        ]
    );
    let b_vs_c = &table.rows[1];
    let d = b_vs_c.mean_diff().unwrap();
    assert!(
        (d.estimate + 2.0).abs() < 1e-9 && (d.high - d.low) < 1e-9,
        "{d:?}"
    );
    assert_eq!(b_vs_c.same_models, Some(120));
    // Holm over the four comparisons: never below the raw p-value.
    for r in &table.rows[..4] {
        assert!(r.p_adjusted.unwrap() >= r.comparison.as_ref().unwrap().ks.pvalue);
    }
    let md = table.to_markdown();
    assert_eq!(md.lines().count(), 2 + claims.len(), "{md}");
    assert!(
        md.contains("contradicted") && md.contains("no sweep"),
        "{md}"
    );
    // The reading names every claim once, under its verdict, with its effect and n.
    let reading = table.reading();
    assert!(
        reading.starts_with("Reproduced on this data: B vs A (Δ mean"),
        "{reading}"
    );
    assert!(
        reading.contains("Contradicted by this data: D vs C (Δ mean +2.00"),
        "{reading}"
    );
    assert!(reading.contains("n = 120 / 120"), "{reading}");
    assert!(
        reading.ends_with("No sweep yet for: missing vs A."),
        "{reading}"
    );
    assert!(!reading.contains("Undecided"), "{reading}");
}

/// A claim within one space compares two subsets of its models: planted, it is reproduced
/// with the subsets' sizes; with a subset too small to test, undecided and says why.
#[test]
fn within_space_claims_compare_subsets_of_one_sweep() {
    use regnet_lab::findings::{Claim, Expect, FindingsOptions, Verdict, findings};
    use regnet_lab::space::Property;
    let space = anynet_a();
    // Shallow models (d ≤ 6 blocks in all) are 4 points better; nothing else matters.
    let r = sweep(&space, 150, 1.0, |s| {
        if s.property(Property::Depth).unwrap() <= 6.0 {
            20.0
        } else {
            24.0
        }
    });
    let depth = r.column(Property::Depth);
    let shallow = depth.iter().filter(|d| **d <= 6.0).count();
    assert!((5..150).contains(&shallow), "{shallow} shallow models");
    let within = |text: &str, b: (f64, f64)| Claim::WithinSpace {
        text: text.into(),
        space: "A".into(),
        property: Property::Depth,
        a: (7.0, 100.0),
        b,
        expect: Expect::Better,
    };
    let claims = [
        within("shallow better", (0.0, 6.0)),
        within("impossibly deep better", (1000.0, 2000.0)),
        Claim::WithinSpace {
            text: "missing".into(),
            space: "nowhere".into(),
            property: Property::Depth,
            a: (0.0, 1.0),
            b: (2.0, 3.0),
            expect: Expect::Better,
        },
    ];
    let table = findings(
        &claims,
        &[("A".to_string(), r)],
        &FindingsOptions::default(),
    )
    .unwrap();
    let verdicts: Vec<Verdict> = table.rows.iter().map(|row| row.verdict).collect();
    assert_eq!(
        verdicts,
        [Verdict::Reproduced, Verdict::Undecided, Verdict::Missing]
    );
    let c = table.rows[0].comparison.as_ref().unwrap();
    assert_eq!((c.n_a, c.n_b), (150 - shallow, shallow));
    assert!((c.mean_diff.estimate + 4.0).abs() < 1.0, "{c:?}");
    assert_eq!(table.rows[1].subset_n, Some((150 - shallow, 0)));
    assert!(table.rows[1].comparison.is_none());
    let md = table.to_markdown();
    assert!(
        md.contains(&format!("| {} / 0 (too few to compare) |", 150 - shallow)),
        "{md}"
    );
    let reading = table.reading();
    assert!(
        reading.contains(&format!(
            "impossibly deep better (n = {} / 0, too few to compare)",
            150 - shallow
        )),
        "{reading}"
    );
}
