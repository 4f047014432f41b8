//! Makes one figure of each kind into `docs/figures/` (PNG and SVG).
//!
//! ```text
//! cargo run --example figures -- [SWEEPS] [OUT]
//! ```
//!
//! `SWEEPS` is a folder holding sweep directories made by `regnet-lab sweep`:
//! `AnyNetX_A/`, `AnyNetX_E/`, `RegNetX/` (same flops window) and `regime1/`…`regime3/`
//! (RegNetX in increasing flops windows), e.g.
//!
//! ```text
//! R="--train-limit 500 --eval-limit 300 --batch-size 32 --epochs 3"
//! regnet-lab sweep AnyNetX_A -n 40 $R --flops 0..3M --out sweeps/AnyNetX_A
//! regnet-lab sweep AnyNetX_E -n 40 $R --flops 0..3M --out sweeps/AnyNetX_E
//! regnet-lab sweep RegNetX   -n 40 $R --flops 0..3M --out sweeps/RegNetX
//! regnet-lab sweep RegNetX   -n 12 $R --flops 200K..600K --out sweeps/regime1
//! regnet-lab sweep RegNetX   -n 12 $R --flops 600K..2M   --out sweeps/regime2
//! regnet-lab sweep RegNetX   -n 12 $R --flops 2M..6M     --out sweeps/regime3
//! ```
//!
//! A sweep that is missing is replaced by synthetic errors over real samples of the space, and
//! the figure's title says so.

use std::path::{Path, PathBuf};

use anyhow::Result;
use regnet_lab::plot::{self, CurvesPlot, EdfPlot, Metric, Row, SearchPlot, TrendPlot};
use regnet_lab::space::{DesignSpace, Property, Regime, zoo};
use regnet_lab::sweep::SweepResults;
use regnet_lab::train::{EpochRecord, RunRecord};

/// Deterministic noise in [0, 1).
fn noise(i: u64) -> f64 {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Synthetic stand-in for a sweep: real samples of `space` in a flops window, errors from a
/// fixed formula (more flops and depth is better, plus noise).
fn synthetic(space: &str, n: u64, flops: (u64, u64), quality: f64) -> Result<SweepResults> {
    let ds = DesignSpace::named(space)?.with_regime(Regime::flops(flops.0, flops.1, 28));
    let mut records = Vec::new();
    for i in 0..n {
        let s = ds.sample(1, i)?;
        let depth = s.spec.depth() as f64;
        let e = quality + 60.0 - 4.0 * (s.complexity.flops as f64 / 1e5).ln() - 0.8 * depth
            + 10.0 * noise(i);
        let epochs = (1..=3)
            .map(|k| EpochRecord {
                epoch: k - 1,
                lr: 0.05,
                steps: 16,
                train_loss: 2.3 - 0.4 * k as f64 * (1.0 - e / 100.0),
                train_error: e + 10.0 / k as f64,
                test_error: Some(e + 14.0 / k as f64 - 14.0 / 3.0),
                test_error_blocks: vec![],
                seconds: 3.0,
            })
            .collect();
        records.push(RunRecord {
            epochs,
            ..RunRecord::synthetic(&s, Some(e))
        });
    }
    Ok(SweepResults::from_records(records))
}

/// A sweep from `root/name`, or a synthetic one; the flag says whether it is real.
fn load(
    root: &Path,
    name: &str,
    space: &str,
    flops: (u64, u64),
    q: f64,
) -> Result<(SweepResults, bool)> {
    match SweepResults::load(root.join(name)) {
        Ok(r) if !r.errors().is_empty() => Ok((r, true)),
        _ => Ok((synthetic(space, 40, flops, q)?, false)),
    }
}

/// What the data is, for the figure titles: the training set and epochs of a real sweep, or a
/// warning that the errors are synthetic.
fn provenance(r: &SweepResults, real: bool) -> String {
    match (&r.manifest, real) {
        (Some(m), true) => {
            // e.g. "embedded | train fashion-mnist-subset/train (500 images) | eval …"
            let train = m
                .dataset
                .split('|')
                .map(str::trim)
                .find_map(|p| p.strip_prefix("train "))
                .unwrap_or(m.dataset.as_str());
            format!("real sweeps: {} epochs on {train}", m.train.epochs)
        }
        _ => "SYNTHETIC errors over real samples".into(),
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let root = PathBuf::from(args.get(1).map_or("sweeps", String::as_str));
    let out = PathBuf::from(args.get(2).map_or("docs/figures", String::as_str));
    std::fs::create_dir_all(&out)?;
    let save = |name: &str, fig: &dyn Fn(&Path) -> Result<(), plot::PlotError>| -> Result<()> {
        for ext in ["svg", "png"] {
            let p = out.join(format!("{name}.{ext}"));
            fig(&p)?;
            println!("wrote {}", p.display());
        }
        Ok(())
    };

    let (a, ra) = load(&root, "AnyNetX_A", "AnyNetX_A", (0, 3_000_000), 6.0)?;
    let (e, re) = load(&root, "AnyNetX_E", "AnyNetX_E", (0, 3_000_000), 3.0)?;
    let (x, rx) = load(&root, "RegNetX", "RegNetX", (0, 3_000_000), 0.0)?;
    let all_real = ra && re && rx;
    let caption =
        |what: &str, r: &SweepResults, real: bool| format!("{what} ({})", provenance(r, real));

    // 1. EDFs (Fig. 2 left / Fig. 5) and the complexity-normalised EDFs (ICCV 2019 §4).
    let edf = EdfPlot::new()
        .sweep("AnyNetX_A", &a)
        .sweep("AnyNetX_E", &e)
        .sweep("RegNetX", &x);
    let normalized = edf
        .clone()
        .normalized(4)
        .title("complexity-normalised (4 flops bins)");
    let row = Row::new()
        .with(edf.clone().title("error EDF"))
        .with(normalized)
        .title(caption("Error EDFs", &a, all_real));
    save("edf", &|p| row.save(p))?;

    // 2. Error vs properties with the bootstrap good range (Fig. 2 middle/right, Figs. 8–9).
    let row = Row::new()
        .with(plot::error_vs(&e, Property::Depth))
        .with(plot::error_vs(&e, Property::StageWidth(3)))
        .with(plot::error_vs(&x, Property::Wm))
        .title(caption(
            "Error vs depth d, w3 (AnyNetX_E) and wm (RegNetX)",
            &e,
            re && rx,
        ));
    save("error_vs", &|p| row.save(p))?;

    // 3. Block widths with quantized-linear fits (Fig. 8): two zoo RegNets and the best
    //    AnyNetX_E model of the sweep.
    let best = e.valid().min_by(|p, q| {
        p.error()
            .unwrap_or(f64::MAX)
            .total_cmp(&q.error().unwrap_or(f64::MAX))
    });
    let mut widths = plot::block_widths(&[
        ("RegNetX-200MF", &zoo::get("RegNetX-200MF")?.spec()),
        ("RegNetX-1.6GF", &zoo::get("RegNetX-1.6GF")?.spec()),
    ]);
    if let Some(b) = best {
        widths = widths.model("best AnyNetX_E", &b.sample.spec);
    }
    let widths = widths
        .title("Per-block widths w_j (solid) and quantized-linear fits (dashed)")
        .with_size(900, 480);
    save("block_widths", &|p| widths.save(p))?;

    // 4. Trends across flop regimes (Fig. 11).
    let regimes = [
        ("regime1", (200_000, 600_000)),
        ("regime2", (600_000, 2_000_000)),
        ("regime3", (2_000_000, 6_000_000)),
    ];
    let mut sweeps = Vec::new();
    let mut real = true;
    for (i, (dir, f)) in regimes.iter().enumerate() {
        let (r, ok) = load(&root, dir, "RegNetX", *f, i as f64)?;
        real &= ok;
        sweeps.push(r);
    }
    let refs: Vec<&SweepResults> = sweeps.iter().collect();
    let trend = Row::new()
        .with(TrendPlot::best(Property::Depth, "RegNetX", &refs))
        .with(TrendPlot::best(Property::Wm, "RegNetX", &refs))
        .title(format!(
            "Best model per flops regime ({})",
            provenance(&sweeps[0], real)
        ));
    save("trends", &|p| trend.save(p))?;

    // 5. Training curves of the three best RegNetX runs.
    let mut runs: Vec<&RunRecord> = x.valid().collect();
    runs.sort_by(|p, q| {
        p.error()
            .unwrap_or(f64::MAX)
            .total_cmp(&q.error().unwrap_or(f64::MAX))
    });
    runs.truncate(3);
    let curves = plot::training_curves(&runs);
    let loss = runs.iter().fold(CurvesPlot::new(), |c, r| {
        c.run(&format!("model {}", r.sample.index.unwrap_or(0)), r)
    });
    let row = Row::new()
        .with(curves)
        .with(loss.metric(Metric::Loss))
        .title(caption(
            "Training curves of the 3 best RegNetX runs",
            &x,
            rx,
        ));
    save("training_curves", &|p| row.save(p))?;

    // 6. Random-search efficiency (ICCV 2019 §5).
    let search = SearchPlot::new()
        .sweep("AnyNetX_A", &a)
        .sweep("AnyNetX_E", &e)
        .sweep("RegNetX", &x)
        .title(caption("Random-search efficiency", &a, all_real))
        .with_size(900, 440);
    save("search_efficiency", &|p| search.save(p))?;
    Ok(())
}
