//! When does training two models side by side, one thread each, beat training them one after
//! the other on every thread? The measurement behind `sweep::SIDE_BY_SIDE_BELOW_FLOPS`.
//!
//! ```text
//! cargo run --release --example concurrency            # quiet machine, ~3 min on 2 cores
//! ```
//!
//! For pairs of models of growing size (28×28, batch 64, `STEPS` training steps and a 500-image
//! evaluation each, the sweep's recipe otherwise) it prints the wall time of both ways and their
//! ratio; above 1, side by side wins. It also checks that each model's training losses are the
//! same both ways (the ops' reductions do not depend on the thread count).

use std::time::Instant;

use regnet_lab::space::{AnyNetXRanges, DesignSpace, NetTemplate, RegNetRanges, Regime, Sample};
use regnet_lab::train::{DataSource, ImageData, RunRecord, TrainConfig, train_with};

const STEPS: usize = 40;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("CANDLE_BARRIER_POOL_SPIN_LIMIT").is_none() {
        // SAFETY: no other thread exists yet. The CLI's setting (see ops' module doc).
        unsafe { std::env::set_var("CANDLE_BARRIER_POOL_SPIN_LIMIT", "500") };
    }
    let threads = rayon::current_num_threads();
    let data = ImageData::load(&DataSource::Embedded)?.with_eval_limit(500);
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: 64,
        max_steps_per_epoch: Some(STEPS),
        ..TrainConfig::default()
    };
    let t = NetTemplate::fashion_mnist();
    let anynet = |lo: u64, hi: u64| {
        DesignSpace::anynet_x_a()
            .with_template(t.clone())
            .with_anynet_ranges(AnyNetXRanges::small())
            .with_regime(Regime::flops(lo, hi, 28))
    };
    let regnet = |lo: u64, hi: u64| {
        DesignSpace::regnet_x()
            .with_template(t.clone())
            .with_regnet_ranges(RegNetRanges::regnet_x())
            .with_regime(Regime::flops(lo, hi, 28))
    };
    let windows: Vec<(&str, DesignSpace)> = vec![
        ("AnyNetX_A 1–3 MF", anynet(1_000_000, 3_000_000)),
        ("AnyNetX_A 3–6 MF", anynet(3_000_000, 6_000_000)),
        ("AnyNetX_A 10–30 MF", anynet(10_000_000, 30_000_000)),
        ("RegNetX 20–40 MF", regnet(20_000_000, 40_000_000)),
        ("RegNetX 40–80 MF", regnet(40_000_000, 80_000_000)),
        ("RegNetX 80–160 MF", regnet(80_000_000, 160_000_000)),
        ("RegNetX 160–320 MF", regnet(160_000_000, 320_000_000)),
    ];
    println!("{threads} threads, {STEPS} steps of batch 64 + 500 test images per model\n");
    println!(
        "| models | MF (each) | one after the other, {threads} threads | side by side, 1 thread each | speed-up | same losses |"
    );
    println!("| --- | --- | ---: | ---: | ---: | --- |");
    for (name, space) in windows {
        let pair = space.samples(1, 2)?;
        let train = |s: &Sample, k: usize| -> Result<RunRecord, String> {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(k)
                .build()
                .map_err(|e| e.to_string())?;
            pool.install(|| {
                train_with(&s.spec, s.regnet.as_ref(), &data, &cfg, None, &mut |_| {})
                    .map_err(|e| e.to_string())
            })
        };
        // Warm-up (allocator, caches), not timed.
        train(&pair[0], threads)?;
        let t0 = Instant::now();
        let seq: Vec<RunRecord> = pair
            .iter()
            .map(|s| train(s, threads))
            .collect::<Result<_, _>>()?;
        let sequential = t0.elapsed().as_secs_f64();
        let t0 = Instant::now();
        let side: Vec<RunRecord> = std::thread::scope(|scope| {
            let handles: Vec<_> = pair
                .iter()
                .map(|s| scope.spawn(move || train(s, 1)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("training thread"))
                .collect::<Result<_, _>>()
        })?;
        let side_by_side = t0.elapsed().as_secs_f64();
        let same = seq
            .iter()
            .zip(&side)
            .all(|(a, b)| a.epochs[0].train_loss.to_bits() == b.epochs[0].train_loss.to_bits());
        println!(
            "| {name} | {} | {sequential:.2} s | {side_by_side:.2} s | {:.2}× | {} |",
            pair.iter()
                .map(|s| format!("{:.1}", s.complexity.flops as f64 / 1e6))
                .collect::<Vec<_>>()
                .join(", "),
            sequential / side_by_side,
            if same { "yes" } else { "NO" }
        );
    }
    Ok(())
}
