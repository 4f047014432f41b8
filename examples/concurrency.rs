//! When does training two models side by side, one thread each, beat training them one after
//! the other on every thread? The measurement behind `sweep::Concurrency::auto`.
//!
//! ```text
//! cargo run --release --example concurrency            # quiet machine, ~5 min on 2 cores
//! cargo run --release --example concurrency -- 2       # only the first 2 pairs (the small nets)
//! ```
//!
//! For pairs of models of growing size (28×28, batch 64, `STEPS` training steps and a 500-image
//! evaluation each, the sweep's recipe otherwise) it prints the wall time of three ways — one
//! after the other on every thread, side by side in this process (one thread each), and side by
//! side in two worker processes (one thread each, as `regnet-lab sweep` runs them) — and the
//! speed-ups over the first; above 1, side by side wins. It also checks that each model's
//! training losses are the same every way (the ops' reductions do not depend on the threads).

use std::time::Instant;

use regnet_lab::space::{AnyNetXRanges, DesignSpace, NetTemplate, RegNetRanges, Regime, Sample};
use regnet_lab::train::{DataSource, ImageData, RunRecord, TrainConfig, train_with};

const STEPS: usize = 40;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("CANDLE_BARRIER_POOL_SPIN_LIMIT").is_none() {
        // SAFETY: no other thread exists yet. The CLI's setting (see ops' module doc).
        unsafe { std::env::set_var("CANDLE_BARRIER_POOL_SPIN_LIMIT", "500") };
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `--child W I`: train sample I of window W on this process's threads, print its loss bits.
    let child = match args.first().map(String::as_str) {
        Some("--child") => Some((args[1].parse::<usize>()?, args[2].parse::<u64>()?)),
        _ => None,
    };
    let limit = match (&child, args.first()) {
        (None, Some(k)) => k.parse::<usize>()?,
        _ => usize::MAX,
    };
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
            .unwrap()
            .with_regime(Regime::flops(lo, hi, 28))
    };
    let regnet = |lo: u64, hi: u64| {
        DesignSpace::regnet_x()
            .with_template(t.clone())
            .with_regnet_ranges(RegNetRanges::regnet_x())
            .unwrap()
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
    if let Some((w, i)) = child {
        let s = windows[w].1.sample(1, i)?;
        let r = train_with(&s.spec, s.regnet.as_ref(), &data, &cfg, None, &mut |_| {})?;
        println!("{}", r.epochs[0].train_loss.to_bits());
        return Ok(());
    }
    println!("{threads} threads, {STEPS} steps of batch 64 + 500 test images per model\n");
    println!(
        "| models | MF (each) | one after the other, {threads} threads | side by side in one process | speed-up | side by side in two processes | speed-up | same losses |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |");
    for (w, (name, space)) in windows.iter().enumerate().take(limit) {
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
        // Two worker processes, one thread each (their start-up and data loading included).
        let t0 = Instant::now();
        let exe = std::env::current_exe()?;
        let children: Vec<std::process::Output> = (0..2u64)
            .map(|i| {
                std::process::Command::new(&exe)
                    .args(["--child", &w.to_string(), &i.to_string()])
                    .env("RAYON_NUM_THREADS", "1")
                    .stdout(std::process::Stdio::piped())
                    .spawn()
            })
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .map(|c| c.wait_with_output())
            .collect::<Result<_, _>>()?;
        let processes = t0.elapsed().as_secs_f64();
        let proc_bits: Vec<u64> = children
            .iter()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<u64>())
            .collect::<Result<_, _>>()?;
        let same = seq.iter().zip(&side).zip(&proc_bits).all(|((a, b), c)| {
            let bits = a.epochs[0].train_loss.to_bits();
            bits == b.epochs[0].train_loss.to_bits() && bits == *c
        });
        println!(
            "| {name} | {} | {sequential:.2} s | {side_by_side:.2} s | {:.2}× | {processes:.2} s | {:.2}× | {} |",
            pair.iter()
                .map(|s| format!("{:.1}", s.complexity.flops as f64 / 1e6))
                .collect::<Vec<_>>()
                .join(", "),
            sequential / side_by_side,
            sequential / processes,
            if same { "yes" } else { "NO" }
        );
    }
    Ok(())
}
