//! Statistics throughput. Target: the bootstrap good range (2500 resamples of 25%)
//! over 500 models × 6 properties in under 50 ms. The other rows size the rest of the module
//! on a 500-model sweep.
//!
//! Run: `cargo bench --bench stats` (prints a table; medians of 15 timed runs after a warm-up).

use std::hint::black_box;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use regnet_lab::space::zoo;
use regnet_lab::stats::*;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

fn time<F: FnMut()>(runs: usize, mut f: F) -> f64 {
    f(); // warm-up
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn main() {
    let n = 500;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let errors: Vec<f64> = (0..n).map(|_| rng.random_range(0.3..0.6)).collect();
    let errors_b: Vec<f64> = (0..n).map(|_| rng.random_range(0.32..0.62)).collect();
    let flops: Vec<f64> = (0..n).map(|_| rng.random_range(360e6..440e6)).collect();
    let props: Vec<Vec<f64>> = (0..6)
        .map(|_| (0..n).map(|_| rng.random_range(8..64) as f64).collect())
        .collect();
    let cols: Vec<&[f64]> = props.iter().map(|v| v.as_slice()).collect();
    let runs = 15;
    let mut rows: Vec<(String, f64, &str)> = Vec::new();

    let opts = GoodRangeOptions::default().seed(1);
    let s = time(runs, || {
        black_box(good_ranges(black_box(&errors), &cols, &opts).unwrap());
    });
    rows.push((
        format!("good_ranges: {n} models × 6 properties, 2500 × 25%"),
        s,
        "< 50 ms",
    ));
    let s = time(runs, || {
        for c in &cols {
            black_box(good_range(black_box(&errors), c, &opts).unwrap());
        }
    });
    rows.push(("good_range × 6 (resampling per property)".into(), s, ""));
    let s = time(runs, || {
        black_box(Edf::new(black_box(&errors)).unwrap().summary());
    });
    rows.push((format!("Edf::new + summary, n = {n}"), s, ""));
    let bins = ComplexityBins::covering(&[&flops], 10, BinScale::Linear).unwrap();
    let s = time(runs, || {
        black_box(normalized_edf(&errors, &flops, &bins, EmptyBins::Merge).unwrap());
    });
    rows.push(("normalized_edf, 10 bins".into(), s, ""));
    let s = time(runs, || {
        black_box(ks_2samp(black_box(&errors), &errors_b).unwrap());
    });
    rows.push((format!("ks_2samp exact p, {n} vs {n}"), s, ""));
    let s = time(runs, || {
        black_box(ks_2samp_with(&errors, &errors_b, KsMethod::Asymptotic).unwrap());
    });
    rows.push((format!("ks_2samp asymptotic p, {n} vs {n}"), s, ""));
    let ks: Vec<usize> = (1..=n).collect();
    let s = time(runs, || {
        black_box(random_search_efficiency(&errors, &ks, Draws::WithoutReplacement).unwrap());
    });
    rows.push((format!("random_search_efficiency, k = 1..{n}"), s, ""));
    let s = time(runs, || {
        black_box(kendall_tau_b(&errors, &errors_b).unwrap());
        black_box(spearman(&errors, &errors_b).unwrap());
    });
    rows.push((format!("kendall_tau_b + spearman, n = {n}"), s, ""));
    for name in ["RegNetX-200MF", "RegNetY-32GF"] {
        let widths = zoo::get(name).unwrap().spec().block_widths();
        let s = time(5, || {
            black_box(fit_quantized_linear(&widths).unwrap());
        });
        rows.push((
            format!("fit_quantized_linear, {name} (d = {})", widths.len()),
            s,
            "",
        ));
    }
    println!("| case | median ms | target |");
    println!("| --- | --- | --- |");
    for (name, s, target) in rows {
        println!("| {name} | {:.3} | {target} |", s * 1e3);
    }
}
