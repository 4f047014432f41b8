//! `regnet_lab::stats` against independent numpy / scipy computations
//! (tests/oracle/stats_oracle.py → tests/fixtures/stats_oracle.json), plus properties that need
//! no oracle. Regenerate the fixture with `.venv/bin/python tests/oracle/stats_oracle.py`.

use regnet_lab::space::zoo;
use regnet_lab::stats::*;
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/stats_oracle.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) if s == "nan" => f64::NAN,
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        other => panic!("not a number: {other}"),
    }
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(num).collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

#[track_caller]
fn close(got: f64, want: f64, rel: f64, what: &str) {
    let tol = rel * want.abs().max(1e-300) + 1e-15;
    assert!(
        (got - want).abs() <= tol || (got.is_nan() && want.is_nan()),
        "{what}: got {got:e}, want {want:e} (diff {:e})",
        (got - want).abs()
    );
}

#[track_caller]
fn close_all(got: &[f64], want: &[f64], rel: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        close(*g, *w, rel, &format!("{what}[{i}]"));
    }
}

#[test]
fn edf_matches_numpy() {
    let f = fixture();
    for c in f["edf"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let errors = nums(&c["errors"]);
        let grid = nums(&c["grid"]);
        let edf = if c.get("weights").is_some() {
            let w = nums(&c["weights"]);
            match Edf::weighted(&errors, &w) {
                Err(StatsError::ZeroWeight { .. }) => {
                    assert_eq!(c["error"], "zero_weight", "{name}");
                    continue;
                }
                other => other.unwrap(),
            }
        } else {
            Edf::new(&errors).unwrap()
        };
        assert!(c.get("error").is_none(), "{name}: expected an error");
        close_all(&edf.eval_grid(&grid), &nums(&c["edf"]), 1e-12, name);
        let s = edf.summary();
        assert_eq!(
            s.n_excluded,
            c["n_excluded"].as_u64().unwrap() as usize,
            "{name}"
        );
        assert_eq!(s.n + s.n_excluded, errors.len());
        close(s.min, num(&c["min"]), 0.0, name);
        close(s.mean, num(&c["mean"]), 1e-12, name);
        if let Some(xs) = c.get("steps_x") {
            let steps = edf.steps();
            let (sx, sy): (Vec<f64>, Vec<f64>) = steps.into_iter().unzip();
            close_all(&sx, &nums(xs), 0.0, name);
            close_all(&sy, &nums(&c["steps_y"]), 1e-12, name);
        }
    }
}

#[test]
fn edf_rejects_bad_inputs() {
    assert!(matches!(Edf::new(&[]), Err(StatsError::Empty { .. })));
    assert!(matches!(
        Edf::new(&[f64::NAN, f64::INFINITY]),
        Err(StatsError::Empty { excluded: 2, .. })
    ));
    assert!(matches!(
        Edf::weighted(&[0.1, 0.2], &[1.0, -1.0]),
        Err(StatsError::NegativeWeight { index: 1, .. })
    ));
    assert!(matches!(
        Edf::weighted(&[0.1, 0.2], &[1.0, f64::NAN]),
        Err(StatsError::NonFinite { index: 1, .. })
    ));
    assert!(matches!(
        Edf::weighted(&[0.1], &[1.0, 2.0]),
        Err(StatsError::LengthMismatch { .. })
    ));
}

#[test]
fn complexity_weights_match_numpy() {
    let f = fixture();
    for c in f["weights"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let flops = nums(&c["flops"]);
        let scale = match c["scale"].as_str().unwrap() {
            "log" => BinScale::Log,
            _ => BinScale::Linear,
        };
        let n_bins = c["n_bins"].as_u64().unwrap() as usize;
        let bins = ComplexityBins::covering(&[&flops], n_bins, scale).unwrap();
        close_all(bins.edges(), &nums(&c["edges"]), 1e-12, name);
        let empty = usizes(&c["empty_bins"]);
        match complexity_weights(&flops, &bins, EmptyBins::Error) {
            Ok(w) => {
                assert!(empty.is_empty(), "{name}: expected empty bins {empty:?}");
                close_all(&w.weights, &nums(&c["weights"]), 1e-12, name);
            }
            Err(StatsError::EmptyBins { bins: got, .. }) => assert_eq!(got, empty, "{name}"),
            Err(e) => panic!("{name}: {e}"),
        }
        let w = complexity_weights(&flops, &bins, EmptyBins::Merge).unwrap();
        assert_eq!(w.merged, empty, "{name}");
        close_all(&w.edges, &nums(&c["merged_edges"]), 1e-12, name);
        assert_eq!(w.counts, usizes(&c["merged_counts"]), "{name}");
        assert_eq!(w.bin_of, usizes(&c["merged_bin_of"]), "{name}");
        close_all(&w.weights, &nums(&c["merged_weights"]), 1e-12, name);
        close(w.weights.iter().sum(), 1.0, 1e-12, name);
    }
}

#[test]
fn complexity_weights_errors_name_the_problem() {
    let bins = ComplexityBins::equal_width(1.0, 2.0, 2, BinScale::Linear).unwrap();
    match complexity_weights(&[1.0, 2.5], &bins, EmptyBins::Error) {
        Err(StatsError::OutsideBins {
            index: 1, value, ..
        }) => assert_eq!(value, 2.5),
        other => panic!("{other:?}"),
    }
    let msg = complexity_weights(&[1.0, 1.1], &bins, EmptyBins::Error)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("[1]"), "{msg}");
    assert!(ComplexityBins::equal_width(0.0, 1.0, 2, BinScale::Log).is_err());
    assert!(ComplexityBins::from_edges(vec![1.0, 1.0]).is_err());
    assert!(matches!(
        ComplexityBins::covering(&[&[3.0, 3.0]], 2, BinScale::Linear),
        Err(StatsError::Constant { .. })
    ));
}

#[test]
fn normalized_edf_and_weighted_ks_match_numpy() {
    let f = fixture();
    let c = &f["normalized"];
    let (ea, fa, eb, fb) = (
        nums(&c["errors_a"]),
        nums(&c["flops_a"]),
        nums(&c["errors_b"]),
        nums(&c["flops_b"]),
    );
    let bins = ComplexityBins::covering(&[&fa, &fb], 3, BinScale::Linear).unwrap();
    let (edf_a, wa) = normalized_edf(&ea, &fa, &bins, EmptyBins::Error).unwrap();
    let (edf_b, wb) = normalized_edf(&eb, &fb, &bins, EmptyBins::Error).unwrap();
    close_all(&wa.weights, &nums(&c["weights_a"]), 1e-12, "weights a");
    close_all(&wb.weights, &nums(&c["weights_b"]), 1e-12, "weights b");
    close_all(
        &edf_a.eval_grid(&nums(&c["edf_a_grid"])),
        &nums(&c["edf_a"]),
        1e-12,
        "edf a",
    );
    let want = num(&c["ks_weighted"]);
    close(edf_a.ks_distance(&edf_b), want, 1e-12, "ks weighted (edf)");
    close(
        ks_statistic_weighted(&ea, &wa.weights, &eb, &wb.weights).unwrap(),
        want,
        1e-12,
        "ks weighted",
    );

    // A diverged model takes no bin mass.
    let (edf, w) = normalized_edf(
        &[0.1, f64::NAN, 0.3],
        &[1.0, 1.9, 2.0],
        &bins_0_2(),
        EmptyBins::Error,
    )
    .unwrap();
    assert_eq!(edf.n_excluded(), 1);
    assert_eq!(w.counts, vec![1, 1]);
}

fn bins_0_2() -> ComplexityBins {
    ComplexityBins::from_edges(vec![0.0, 1.5, 2.0]).unwrap()
}

#[test]
fn ks_matches_scipy() {
    let f = fixture();
    for c in f["ks"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let (a, b) = (nums(&c["a"]), nums(&c["b"]));
        let t = ks_2samp(&a, &b).unwrap();
        assert_eq!(t.method, KsMethod::Exact, "{name}");
        close(t.statistic, num(&c["statistic"]), 1e-12, name);
        close(
            ks_statistic(&a, &b).unwrap(),
            num(&c["statistic"]),
            1e-12,
            name,
        );
        close(
            t.pvalue,
            num(&c["pvalue"]),
            1e-9,
            &format!("{name} exact p"),
        );
        let t = ks_2samp_with(&a, &b, KsMethod::Asymptotic).unwrap();
        assert_eq!(t.method, KsMethod::Asymptotic);
        close(t.statistic, num(&c["statistic_asymp"]), 1e-12, name);
        close(
            t.pvalue,
            num(&c["pvalue_asymp"]),
            1e-8,
            &format!("{name} asymp p"),
        );
    }
}

#[test]
fn ks_counts_diverged_runs() {
    let t = ks_2samp(&[0.1, f64::NAN, 0.2], &[0.3, 0.4, f64::INFINITY, f64::NAN]).unwrap();
    assert_eq!((t.n1, t.n2, t.n_excluded), (2, 2, (1, 2)));
    assert!(ks_2samp(&[f64::NAN], &[0.1]).is_err());
}

#[test]
fn kolmogorov_distributions_match_scipy() {
    let f = fixture();
    for row in f["kstwo"].as_array().unwrap() {
        let r = row.as_array().unwrap();
        let (n, x, want) = (r[0].as_u64().unwrap(), num(&r[1]), num(&r[2]));
        let got = kstwo_sf(n, x);
        // Absolute 1e-12 for tiny tails, else relative 1e-8 (different but exact algorithms
        // on some branches, see kolmogorov.rs).
        assert!(
            (got - want).abs() <= 1e-8 * want + 1e-12,
            "kstwo.sf({x}, {n}): got {got:e}, want {want:e}"
        );
    }
    for row in f["kstwobign"].as_array().unwrap() {
        let r = row.as_array().unwrap();
        close(
            kolmogorov_limit_sf(num(&r[0])),
            num(&r[1]),
            1e-10,
            "kstwobign",
        );
    }
}

#[test]
fn percentile_matches_numpy() {
    let f = fixture();
    let c = &f["percentiles"];
    let v = nums(&c["values"]);
    let got: Vec<f64> = nums(&c["q"])
        .iter()
        .map(|&q| percentile(&v, q).unwrap())
        .collect();
    close_all(&got, &nums(&c["expected"]), 1e-14, "percentile");
}

/// Quantile of a discrete distribution (values with probabilities) at level `p`.
fn quantile(values: &[f64], probs: &[f64], p: f64) -> f64 {
    let mut pairs: Vec<(f64, f64)> = values
        .iter()
        .copied()
        .zip(probs.iter().copied())
        .filter(|x| x.1 > 0.0)
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut acc = 0.0;
    for (v, q) in &pairs {
        acc += q;
        if acc >= p {
            return *v;
        }
    }
    pairs.last().unwrap().0
}

/// The bootstrap is seeded with our own RNG, so it cannot equal numpy's draws. What is checked:
/// (1) our winner frequencies over many resamples agree with the exact winner distribution
/// computed independently in numpy (within 5 binomial standard deviations per model);
/// (2) with pycls's 2500 resamples, each reported percentile lies between the exact
/// distribution's quantiles at the level ± 4 Monte-Carlo standard deviations, and agrees with a
/// 100 000-resample run of pycls's own algorithm on numpy's RNG within that same band;
/// (3) the percentiles are numpy's percentiles of the exported winners.
#[test]
fn bootstrap_agrees_with_exact_winner_distribution() {
    let f = fixture();
    let c = &f["bootstrap"];
    let errors = nums(&c["errors"]);
    let p_win = nums(&c["p_win"]);
    let k = c["sample_size"].as_u64().unwrap() as usize;

    // Our own exact distribution equals numpy's.
    close_all(
        &winner_distribution(&errors, k).unwrap(),
        &p_win,
        1e-12,
        "p_win",
    );

    // (1) frequencies over 200 000 resamples
    let b = 200_000;
    let names = ["depth", "w0", "wa", "wm", "g", "flops"];
    let props: Vec<Vec<f64>> = names.iter().map(|n| nums(&c["props"][*n])).collect();
    let cols: Vec<&[f64]> = props.iter().map(|v| v.as_slice()).collect();
    let opts = GoodRangeOptions::default().resamples(b).seed(11);
    let r = good_ranges(&errors, &cols, &opts).unwrap();
    assert_eq!(r.sample_size, k);
    assert_eq!(r.n_excluded, 2);
    let mut freq = vec![0usize; errors.len()];
    for &w in &r.winners {
        freq[w] += 1;
    }
    for (i, (&fr, &p)) in freq.iter().zip(&p_win).enumerate() {
        let sd = (b as f64 * p * (1.0 - p)).sqrt().max(1.0);
        assert!(
            (fr as f64 - b as f64 * p).abs() < 5.0 * sd,
            "model {i}: {fr} wins, expected {:.1}",
            b as f64 * p
        );
    }

    // (2) pycls defaults
    let b = DEFAULT_RESAMPLES;
    let r = good_ranges(&errors, &cols, &GoodRangeOptions::default().seed(3)).unwrap();
    assert_eq!(r.winners.len(), b);
    for (j, name) in names.iter().enumerate() {
        let pycls = nums(&c["pycls_b100000"][*name]);
        let got = &r.ranges[j];
        for (level, value, reference) in [
            (0.025, got.low, pycls[0]),
            (0.5, got.median, pycls[1]),
            (0.975, got.high, pycls[2]),
        ] {
            let sd = (level * (1.0 - level) / b as f64).sqrt();
            let lo = quantile(&props[j], &p_win, (level - 4.0 * sd).max(0.0));
            let hi = quantile(&props[j], &p_win, (level + 4.0 * sd).min(1.0));
            assert!(
                lo <= value && value <= hi,
                "{name} at {level}: {value} outside the exact band [{lo}, {hi}]"
            );
            assert!(
                lo <= reference && reference <= hi,
                "{name} at {level}: pycls/numpy {reference} outside the exact band [{lo}, {hi}]"
            );
        }
        // (3) percentiles of the exported winners
        let vals: Vec<f64> = r.winners.iter().map(|&w| props[j][w]).collect();
        assert_eq!(got.low, percentile(&vals, 2.5).unwrap());
        assert_eq!(got.median, percentile(&vals, 50.0).unwrap());
        assert_eq!(got.high, percentile(&vals, 97.5).unwrap());
        assert!(vals.contains(&got.mode));
    }
}

#[test]
fn bootstrap_is_seeded_and_winners_are_argmins() {
    let errors = [0.3, 0.2, 0.25, 0.2, f64::NAN, 0.4];
    let depth = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let o = GoodRangeOptions::default()
        .seed(9)
        .resamples(300)
        .sample_size(3);
    let a = good_ranges(&errors, &[&depth], &o).unwrap();
    let b = good_ranges(&errors, &[&depth], &o).unwrap();
    assert_eq!(a, b);
    assert!(
        a.winners.iter().all(|&w| w != 4),
        "diverged model never wins"
    );
    assert_ne!(
        a,
        good_ranges(&errors, &[&depth], &o.clone().seed(10)).unwrap()
    );
    // n = 1: the only model always wins
    let r = good_range(&[0.5], &[7.0], &GoodRangeOptions::default()).unwrap();
    assert_eq!((r.low, r.median, r.high, r.mode), (7.0, 7.0, 7.0, 7.0));
    // a NaN property of a model that counts is an error that names it
    assert!(matches!(
        good_range(&[0.1, 0.2], &[1.0, f64::NAN], &GoodRangeOptions::default()),
        Err(StatsError::NonFinite { index: 1, .. })
    ));
    // ...but not of a diverged one
    assert!(
        good_range(
            &[0.1, f64::NAN],
            &[1.0, f64::NAN],
            &GoodRangeOptions::default()
        )
        .is_ok()
    );
    assert!(good_range(&[0.1], &[1.0], &GoodRangeOptions::default().fraction(0.0)).is_err());
}

#[test]
fn e_fit_matches_numpy() {
    let f = fixture();
    for c in f["fits"]["efit_cases"].as_array().unwrap() {
        let w = usizes(&c["widths"]);
        let got = e_fit(
            &w,
            c["w0"].as_u64().unwrap() as usize,
            num(&c["wa"]),
            num(&c["wm"]),
        )
        .unwrap();
        close(got, num(&c["e_fit"]), 1e-12, "e_fit");
    }
}

#[test]
fn fit_recovers_generated_widths() {
    let f = fixture();
    for c in f["fits"]["efit_cases"].as_array().unwrap() {
        let w = usizes(&c["widths"]);
        let fit = fit_quantized_linear(&w).unwrap();
        assert!(fit.e_fit < 1e-12, "{w:?}: {fit:?}");
        assert_eq!(fit.predicted, w);
        assert!(fit.w0.is_multiple_of(8) && fit.wm > 1.0 && fit.wa >= 0.0);
    }
}

#[test]
fn fit_recovers_zoo_models() {
    for model in zoo::all() {
        let name = model.name;
        // The generator's widths: reproducible exactly (e_fit = 0), maybe by other parameters.
        let widths = model.params.widths().quantized;
        let fit = fit_quantized_linear(&widths).unwrap();
        assert!(fit.e_fit < 1e-12, "{name}: {fit:?}");
        assert_eq!(fit.predicted, widths, "{name}");
        close(
            e_fit(&widths, fit.w0, fit.wa, fit.wm).unwrap(),
            fit.e_fit,
            0.0,
            name,
        );
        // The built network's widths went through the group-width compatibility adjustment
        // (RegNetX-400MF: 24 → 32 …); they fit well but not always exactly (RegNetY-4.0GF:
        // 0.071).
        let spec_widths = model.spec().block_widths();
        let fit = fit_quantized_linear(&spec_widths).unwrap();
        if spec_widths == widths {
            assert!(fit.e_fit < 1e-12, "{name}: {fit:?}");
        } else {
            assert!(fit.e_fit < 0.1, "{name}: {fit:?}");
        }
    }
    let widths = zoo::get("RegNetX-200MF").unwrap().spec().block_widths();
    assert!(fit_quantized_linear(&widths).unwrap().e_fit < 1e-12);
}

#[test]
fn fit_beats_a_brute_force_grid() {
    let f = fixture();
    let w = usizes(&f["fits"]["anynet"]);
    let grid_best = num(&f["fits"]["anynet_grid_best"]);
    let opts = FitOptions {
        w0_range: Some((8, 256)),
        wa_max: 256.0,
        ..FitOptions::default()
    };
    let fit = fit_quantized_linear_with(&w, &opts).unwrap();
    assert!(
        fit.e_fit <= grid_best + 1e-12,
        "ours {} vs numpy grid {grid_best}",
        fit.e_fit
    );
    close(
        e_fit(&w, fit.w0, fit.wa, fit.wm).unwrap(),
        fit.e_fit,
        0.0,
        "recomputed",
    );
    assert!(fit_quantized_linear(&[]).is_err());
    assert!(fit_quantized_linear(&[8, 0]).is_err());
    assert!(e_fit(&[8], 12, 1.0, 2.0).is_err());
    assert!(e_fit(&[8], 8, 1.0, 1.0).is_err());
    let one = fit_quantized_linear(&[100]).unwrap();
    assert_eq!(one.w0, 104);
}

#[test]
fn linear_fit_matches_numpy_polyfit() {
    let f = fixture();
    for c in f["fits"]["linear"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let scale = if c["scale"] == "log10" {
            XScale::Log10
        } else {
            XScale::Linear
        };
        let fit = linear_fit(&nums(&c["x"]), &nums(&c["y"]), scale).unwrap();
        close(fit.slope, num(&c["slope"]), 1e-10, name);
        close(fit.intercept, num(&c["intercept"]), 1e-10, name);
        close(fit.r_squared, num(&c["r_squared"]), 1e-10, name);
    }
    assert!(matches!(
        linear_fit(&[1.0, 1.0], &[1.0, 2.0], XScale::Linear),
        Err(StatsError::Constant { .. })
    ));
    assert!(linear_fit(&[0.0, 1.0], &[1.0, 2.0], XScale::Log10).is_err());
    assert!(linear_fit(&[1.0], &[1.0], XScale::Linear).is_err());
}

#[test]
fn random_search_efficiency_matches_enumeration() {
    let f = fixture();
    let s = &f["search"];
    let e = nums(&s["errors"]);
    for (key, draws) in [
        ("with", Draws::WithReplacement),
        ("without", Draws::WithoutReplacement),
    ] {
        let rows: Vec<Vec<f64>> = s[key].as_array().unwrap().iter().map(nums).collect();
        let ks: Vec<usize> = rows.iter().map(|r| r[0] as usize).collect();
        let want: Vec<f64> = rows.iter().map(|r| r[1]).collect();
        let got = random_search_efficiency(&e, &ks, draws).unwrap();
        assert_eq!(got.n_excluded, 1);
        close_all(&got.expected_min, &want, 1e-12, key);
        let big = nums(&s["big_errors"]);
        let rows: Vec<Vec<f64>> = s[&format!("big_{key}")]
            .as_array()
            .unwrap()
            .iter()
            .map(nums)
            .collect();
        let ks: Vec<usize> = rows.iter().map(|r| r[0] as usize).collect();
        let want: Vec<f64> = rows.iter().map(|r| r[1]).collect();
        let got = random_search_efficiency(&big, &ks, draws).unwrap();
        close_all(&got.expected_min, &want, 1e-10, &format!("big {key}"));
        // non-increasing in k
        assert!(got.expected_min.windows(2).all(|w| w[1] <= w[0] + 1e-15));
    }
    assert!(random_search_efficiency(&[0.1, 0.2], &[3], Draws::WithoutReplacement).is_err());
    assert!(random_search_efficiency(&[0.1, 0.2], &[0], Draws::WithReplacement).is_err());
    let one = random_search_efficiency(&[0.1], &[1, 5], Draws::WithReplacement).unwrap();
    assert_eq!(one.expected_min, vec![0.1, 0.1]);
}

#[test]
fn rank_correlations_match_scipy() {
    let f = fixture();
    for c in f["rank"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let (x, y) = (nums(&c["x"]), nums(&c["y"]));
        let s = spearman(&x, &y).unwrap();
        close(s.coefficient, num(&c["spearman"]), 1e-12, name);
        close(
            s.pvalue.unwrap(),
            num(&c["spearman_p"]),
            1e-9,
            &format!("{name} spearman p"),
        );
        let k = kendall_tau_b(&x, &y).unwrap();
        close(k.coefficient, num(&c["kendall"]), 1e-12, name);
        close(
            k.pvalue.unwrap(),
            num(&c["kendall_p"]),
            1e-9,
            &format!("{name} kendall p"),
        );
    }
    assert!(matches!(
        spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]),
        Err(StatsError::Constant { .. })
    ));
    assert!(kendall_tau_b(&[1.0], &[1.0]).is_err());
    let r = spearman(&[1.0, 2.0, f64::NAN], &[1.0, 2.0, 3.0]).unwrap();
    assert_eq!((r.n, r.n_excluded, r.pvalue), (2, 1, None));
}

// ---- Power: planning how many models a KS comparison needs ----

/// `n` values `start, start + 1, …`: with a second run shifted by `h`, the two have D = h / n.
fn ladder(n: usize, start: f64) -> Vec<f64> {
    (0..n).map(|i| start + i as f64).collect()
}

#[test]
fn the_critical_distance_is_where_the_exact_test_starts_to_reject() {
    for (n, alpha) in [(5, 0.05), (10, 0.05), (32, 0.05), (32, 0.01), (64, 0.001)] {
        let d = ks_critical_distance(n, n, alpha).unwrap();
        let h = (d * n as f64).round() as usize;
        let at = ks_2samp(&ladder(n, 0.0), &ladder(n, h as f64 - 0.5)).unwrap();
        assert!((at.statistic - d).abs() < 1e-12);
        assert!(at.pvalue <= alpha, "n {n}: p {} at D {d}", at.pvalue);
        let below = ks_2samp(&ladder(n, 0.0), &ladder(n, h as f64 - 1.5)).unwrap();
        assert!(
            below.pvalue > alpha,
            "n {n}: p {} one step below",
            below.pvalue
        );
    }
    assert_eq!(ks_critical_distance(3, 3, 0.05), None);
}

/// A known answer: two pilots that do not overlap. Every resample has D = 1, which the exact
/// test calls significant at 5 % from 4 models per space on (p = 2 / C(8, 4) = 0.029) and
/// never at 3 (p = 2 / C(6, 3) = 0.1).
#[test]
fn disjoint_pilots_need_exactly_four_models_per_space() {
    let a = ladder(20, 0.0);
    let b = ladder(20, 100.0);
    let opts = PowerOptions {
        replicates: 100,
        correction: PilotCorrection::None,
        ..PowerOptions::default()
    };
    let plan = ks_plan_from_pilots(&a, &b, &opts).unwrap();
    assert_eq!(plan.n, Some(4));
    let at = |n| plan.curve.iter().find(|p| p.n == n).unwrap().power;
    assert_eq!((at(3), at(4)), (0.0, 1.0));
    assert_eq!(plan.effect_d, 1.0);
    assert!(
        plan.sentence().contains("needs ≈ 4 models per space"),
        "{}",
        plan.sentence()
    );
}

/// Pilots drawn from one population: the shrunk plan finds no effect (λ = 0), and even the
/// plug-in plan, resampling the pilots' noise, rarely rejects.
#[test]
fn pilots_of_one_population_plan_no_n() {
    let a = ladder(32, 0.0);
    let shrunk = ks_plan_from_pilots(&a, &a, &PowerOptions::default()).unwrap();
    assert_eq!((shrunk.n, shrunk.lambda), (None, 0.0));
    assert!(shrunk.sentence().contains("cannot be planned"));
    let plug_in = ks_plan_from_pilots(
        &a,
        &a,
        &PowerOptions {
            replicates: 200,
            max_n: 64,
            correction: PilotCorrection::None,
            ..PowerOptions::default()
        },
    )
    .unwrap();
    assert_eq!(plug_in.n, None);
    // Under the null the exact test rejects at most α of the time (+ Monte Carlo error).
    for p in &plug_in.curve {
        assert!(
            p.power <= 0.05 + 3.0 * (0.05f64 * 0.95 / 200.0).sqrt(),
            "{p:?}"
        );
    }
}

/// The plan for a normal shift, checked against an independent simulation: other random
/// numbers, Box–Muller normals, and the crate's scipy-checked `ks_2samp` p-value instead of the
/// critical-distance shortcut. At the planned n the power reaches the target; at 2/3 of it it
/// does not.
#[test]
fn the_shift_plan_reaches_its_power_in_an_independent_simulation() {
    let d = 0.4;
    let opts = PowerOptions {
        replicates: 600,
        ..PowerOptions::default()
    };
    let plan = ks_plan_for_shift(d, &opts).unwrap();
    let n = plan.n.unwrap();
    assert!(plan.curve.windows(2).all(|w| w[0].n < w[1].n));
    // For scale: the asymptotic 5 % critical distance 1.36·√(2/n) is near d at the planned n
    // (a sample D overshoots the true one, so the plan may sit a little below where they meet).
    let crit = 1.36 * (2.0 / n as f64).sqrt();
    assert!((crit - d).abs() < 0.1, "n = {n}, critical distance {crit}");
    // Independent check.
    let shift = 2.0 * 0.524_400_512_708_041; // 2·Φ⁻¹(0.7): KS distance 0.4 between N(0,1), N(shift,1)
    let mut state: u64 = 0x1234_5678_9abc_def0;
    let mut unif = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut power = |n: usize, reps: usize| {
        let mut rejected = 0;
        for _ in 0..reps {
            let mut normal = || {
                let (u, v) = (unif(), unif());
                (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
            };
            let a: Vec<f64> = (0..n).map(|_| normal()).collect();
            let b: Vec<f64> = (0..n).map(|_| normal() + shift).collect();
            if ks_2samp(&a, &b).unwrap().pvalue <= 0.05 {
                rejected += 1;
            }
        }
        rejected as f64 / reps as f64
    };
    let reps = 800;
    let se = (0.8f64 * 0.2 / reps as f64).sqrt();
    let at_n = power(n, reps);
    assert!(
        at_n >= 0.8 - 4.0 * se,
        "power {at_n} at the planned n = {n}"
    );
    let smaller = power(n * 2 / 3, reps);
    assert!(smaller < 0.8, "power {smaller} at n = {}", n * 2 / 3);
}

/// Pilots with a real but noisy difference: the shrunk plan believes only part of the observed
/// distance and asks for more models than the plug-in plan.
#[test]
fn shrinking_a_pilot_asks_for_more_models_than_the_plug_in() {
    // Two pilots of 32 from normals a quarter of a standard deviation apart (deterministic
    // quantiles, jittered), so the observed D is modest.
    use statrs::distribution::{ContinuousCDF, Normal};
    let z = Normal::new(0.0, 1.0).unwrap();
    let q = |i: usize, k: usize| {
        z.inverse_cdf((i as f64 + 0.5 + 0.3 * ((i * k) % 3) as f64 / 3.0) / 33.0)
    };
    let a: Vec<f64> = (0..32).map(|i| q(i, 1)).collect();
    let b: Vec<f64> = (0..32).map(|i| q(i, 2) + 0.6).collect();
    let base = PowerOptions {
        replicates: 300,
        max_n: 1000,
        ..PowerOptions::default()
    };
    let shrunk = ks_plan_from_pilots(&a, &b, &base).unwrap();
    let plug_in = ks_plan_from_pilots(
        &a,
        &b,
        &PowerOptions {
            correction: PilotCorrection::None,
            ..base.clone()
        },
    )
    .unwrap();
    assert!(
        shrunk.lambda > 0.0 && shrunk.lambda < 1.0,
        "λ = {}",
        shrunk.lambda
    );
    assert!(shrunk.effect_d < plug_in.effect_d);
    let (ns, np) = (shrunk.n.unwrap(), plug_in.n.unwrap());
    assert!(ns > np, "shrunk {ns} vs plug-in {np}");
    assert!(
        shrunk.sentence().contains("it rests on 32 / 32"),
        "{}",
        shrunk.sentence()
    );
}

#[test]
fn power_options_are_checked() {
    let bad = PowerOptions {
        alpha: 1.5,
        ..PowerOptions::default()
    };
    assert!(matches!(
        ks_plan_for_shift(0.3, &bad),
        Err(StatsError::InvalidArgument { .. })
    ));
    assert!(ks_plan_for_shift(1.2, &PowerOptions::default()).is_err());
    assert!(ks_plan_from_pilots(&[1.0], &[2.0, 3.0], &PowerOptions::default()).is_err());
}

/// Spaces compared by normalised EDFs share their bins: a bin empty in one space is merged for
/// all, and then no space has an empty bin.
#[test]
fn normalised_edfs_of_several_spaces_use_the_same_merged_bins() {
    let a: Vec<f64> = (0..40).map(|i| 1.0 + 0.125 * i as f64).collect(); // 1 … 5.9
    let b: Vec<f64> = (0..40)
        .map(|i| {
            if i < 20 {
                1.0 + 0.05 * i as f64
            } else {
                4.5 + 0.07 * (i - 20) as f64
            }
        })
        .collect();
    let bins = ComplexityBins::covering(&[&a, &b], 10, BinScale::Linear).unwrap();
    let joint = bins.merged_for(&[&a, &b]).unwrap();
    assert!(joint.n_bins() < bins.n_bins());
    for col in [&a, &b] {
        let w = complexity_weights(col, &joint, EmptyBins::Error).unwrap();
        assert_eq!(w.edges, joint.edges());
        assert!((w.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
