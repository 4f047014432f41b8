//! Does run time follow flops, parameters or activations on this CPU? The paper (§5, on GPUs)
//! found activations a better predictor of run time than flops. Here: RegNetX models at 28×28
//! from four flop regimes and AnyNetX_A models of the evidence space, each measured in its own
//! fresh process (the crate's ops, batch 64, the threads of `RAYON_NUM_THREADS` or every core):
//! the median of 10 inference passes (eval mode) and of 10 training steps (forward, backward,
//! SGD), after 3 untimed ones. CPU time, not the paper's GPU time.
//!
//! ```text
//! cargo run --release --example runtime_vs_complexity -- [OUT_DIR]   # quiet machine, ~3 min
//! ```
//!
//! Prints a table of Spearman and log–log Pearson correlations of each time with each metric,
//! writes every measurement to OUT_DIR/runtime.jsonl and the figure OUT_DIR/runtime_vs_flops.*
//! (default OUT_DIR: docs/figures).

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use candle_core::{Device, Tensor};
use regnet_lab::model::{AnyNet, ModelConfig};
use regnet_lab::plot::TrendPlot;
use regnet_lab::runtime::RuntimeMeasurement;
use regnet_lab::space::{DesignSpace, NetTemplate, RegNetRanges, Regime};
use regnet_lab::stats::spearman;
use regnet_lab::sweep::precomputed;
use regnet_lab::train::{Sgd, SgdConfig, cross_entropy};

const PER_SPACE: u64 = 8;
const BATCH: usize = 64;

fn spaces() -> Vec<(String, DesignSpace)> {
    let mut out = Vec::new();
    for (lo, hi) in [(0.5, 2.0), (2.0, 8.0), (8.0, 32.0), (32.0, 128.0)] {
        let space = DesignSpace::regnet_x()
            .with_regnet_ranges(RegNetRanges::small())
            .expect("RegNetX is a RegNet space")
            .with_template(NetTemplate::fashion_mnist())
            .with_regime(Regime::flops((lo * 1e6) as u64, (hi * 1e6) as u64, 28));
        out.push((format!("RegNetX {lo}–{hi} MF"), space));
    }
    let a = precomputed::anynetx_chain()
        .expect("the evidence spaces")
        .remove(0);
    out.push(("AnyNetX_A 1–6 MF".to_string(), a));
    out
}

type Error = Box<dyn std::error::Error>;

/// Median seconds of `f` over 10 calls after 3 untimed ones.
fn median_time(mut f: impl FnMut() -> Result<(), Error>) -> Result<f64, Error> {
    for _ in 0..3 {
        f()?;
    }
    let mut t: Vec<f64> = (0..10)
        .map(|_| {
            let t0 = Instant::now();
            f().map(|()| t0.elapsed().as_secs_f64())
        })
        .collect::<Result<_, Error>>()?;
    t.sort_by(f64::total_cmp);
    Ok((t[4] + t[5]) / 2.0)
}

/// In a child process: measure sample `i` of space `k`, print one JSON line.
fn child(k: usize, i: u64) -> Result<(), Box<dyn std::error::Error>> {
    let (name, space) = spaces().remove(k);
    let s = space.sample(0, i)?;
    let model = AnyNet::build(&s.spec, &ModelConfig::default().seed(0))?;
    let dev = Device::Cpu;
    let x = Tensor::randn(0f32, 1.0, (BATCH, 1, 28, 28), &dev)?;
    let labels: Vec<u32> = (0..BATCH as u32).map(|i| i % 10).collect();
    let y = Tensor::new(labels.as_slice(), &dev)?;
    let infer = median_time(|| Ok(model.forward_t(&x, false).map(|_| ())?))?;
    let vars = model.named_vars();
    let mut opt = Sgd::new(vars, SgdConfig::default());
    let step = median_time(|| {
        let loss = cross_entropy(&model.forward_t(&x, true)?, &y, 0.0)?;
        Ok(opt.step(&loss.backward()?, 0.01)?)
    })?;
    let c = s.complexity;
    let m = RuntimeMeasurement {
        space: name,
        index: i,
        flops: c.flops,
        params: c.params,
        acts: c.acts,
        batch: BATCH,
        threads: rayon::current_num_threads(),
        inference_ms: infer * 1e3,
        train_step_ms: step * 1e3,
    };
    println!("{}", serde_json::to_string(&m)?);
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("CANDLE_BARRIER_POOL_SPIN_LIMIT").is_none() {
        // SAFETY: no other thread exists yet. The CLI's setting (see ops' module doc).
        unsafe { std::env::set_var("CANDLE_BARRIER_POOL_SPIN_LIMIT", "500") };
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        return child(args[1].parse()?, args[2].parse()?);
    }
    let out = PathBuf::from(args.first().map_or("docs/figures", String::as_str));
    std::fs::create_dir_all(&out)?;
    let exe = std::env::current_exe()?;
    let mut rows: Vec<RuntimeMeasurement> = Vec::new();
    let mut jsonl = std::fs::File::create(out.join("runtime.jsonl"))?;
    for (k, (name, _)) in spaces().iter().enumerate() {
        for i in 0..PER_SPACE {
            let o = std::process::Command::new(&exe)
                .args(["--child", &k.to_string(), &i.to_string()])
                .output()?;
            if !o.status.success() {
                return Err(format!("{name} #{i}: {}", String::from_utf8_lossy(&o.stderr)).into());
            }
            let line = String::from_utf8(o.stdout)?;
            jsonl.write_all(line.as_bytes())?;
            rows.push(serde_json::from_str(line.trim())?);
        }
    }
    let col = |key: &str| -> Vec<f64> {
        rows.iter()
            .map(|r| match key {
                "flops" => r.flops as f64,
                "params" => r.params as f64,
                "acts" => r.acts as f64,
                "inference_ms" => r.inference_ms,
                _ => r.train_step_ms,
            })
            .collect()
    };
    let log = |v: Vec<f64>| -> Vec<f64> { v.into_iter().map(f64::ln).collect() };
    let pearson = |x: &[f64], y: &[f64]| {
        let n = x.len() as f64;
        let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
        let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
        let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
        sxy / (sxx * syy).sqrt()
    };
    println!(
        "{} models, batch {BATCH}, {} threads, each in a fresh process\n",
        rows.len(),
        rows[0].threads
    );
    println!("| time | metric | Spearman ρ | Pearson r (log–log) |\n| --- | --- | ---: | ---: |");
    for time in ["inference_ms", "train_step_ms"] {
        for metric in ["flops", "params", "acts"] {
            let (x, y) = (col(metric), col(time));
            let rho = spearman(&x, &y)?.coefficient;
            let r = pearson(&log(x), &log(y));
            println!("| {time} | {metric} | {rho:.2} | {r:.2} |");
        }
    }
    let mut fig = TrendPlot::new("train step (ms, batch 64)").title(format!(
        "CPU train-step time vs flops, {} models, {} threads",
        rows.len(),
        rows[0].threads
    ));
    for (name, _) in spaces() {
        let pts: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| r.space == name)
            .map(|r| (r.flops as f64, r.train_step_ms))
            .collect();
        fig = fig.series(&name, &pts);
    }
    fig = fig.without_fit();
    std::fs::write(
        out.join("runtime_vs_flops.svg"),
        regnet_lab::plot::svg_of(&fig)?,
    )?;
    std::fs::write(
        out.join("runtime_vs_flops.png"),
        regnet_lab::plot::png_of(&fig)?,
    )?;
    println!(
        "\nwrote {}/runtime.jsonl and runtime_vs_flops.*",
        out.display()
    );
    Ok(())
}
