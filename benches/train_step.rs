//! regnet-lab against PyTorch CPU, side by side, on the same network, batch and threads.
//!
//! Cases: (1) a training step — forward, backward, SGD update — of the RegNetX-200MF
//! body (depths 1, 1, 4, 7; widths 24, 56, 152, 368; group width 8) behind a 3×3 stride-1
//! stem of width 24, at 32×32×3, batch 128, f32; (2) the same network, inference only; (3) one
//! grouped 3×3 convolution (152 channels, group width 8, 8×8, batch 128), forward and
//! backward, also with candle's own grouped convolution for comparison; (4) a training step of
//! a Fashion-MNIST-sized AnyNetX sample of the kind the sweeps train (28×28×1, batch 128).
//!
//! Every case runs in a fresh process of its own — this binary re-run with `--case`, and
//! `scripts/bench_pytorch.py` (which installs torch into `.venv` when missing) — so that the
//! peak resident memory (`VmHWM`) is the case's own. Both sides use the same thread count:
//! `REGNET_BENCH_THREADS`, default all cores. Times are medians over timed iterations after
//! warm-up; `REGNET_BENCH_ITERS` scales the number of timed iterations. Each case runs
//! `REGNET_BENCH_ROUNDS` times (default 3), the two sides alternating, and the table reports
//! the median over rounds with the range of the per-round ratios: on a shared machine a
//! single pair of runs can be off by 2× (PyTorch's grouped conv measured 6 700–18 000 img/s in
//! six back-to-back runs on a quiet-looking machine). regnet-lab runs with
//! `CANDLE_BARRIER_POOL_SPIN_LIMIT=500` unless set (see `main`); PyTorch with its defaults.
//!
//! `cargo bench --bench train_step` prints a Markdown table.

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use candle_core::{Device, Tensor, Var};
use regnet_lab::model::{AnyNet, ModelConfig};
use regnet_lab::ops;
use regnet_lab::space::{AnyNetSpec, AnyNetXRanges, DesignSpace, NetTemplate, Regime, zoo};
use regnet_lab::train::{Sgd, SgdConfig};
use serde_json::{Value, json};

const BATCH: usize = 128;

/// A case: what runs, at which input, how many warm-up and timed iterations.
struct Case {
    name: &'static str,
    label: &'static str,
    warmup: usize,
    iters: usize,
}

const CASES: [Case; 5] = [
    Case {
        name: "train",
        label: "RegNetX-200MF body 32×32, train step",
        warmup: 2,
        iters: 8,
    },
    Case {
        name: "infer",
        label: "RegNetX-200MF body 32×32, inference",
        warmup: 2,
        iters: 12,
    },
    Case {
        name: "conv",
        label: "grouped 3×3 conv 152 ch g8 8×8, fwd+bwd",
        warmup: 5,
        iters: 60,
    },
    Case {
        name: "conv-candle",
        label: "  same, candle's own grouped conv",
        warmup: 1,
        iters: 5,
    },
    Case {
        name: "fashion",
        label: "AnyNetX sample 28×28×1, train step",
        warmup: 2,
        iters: 12,
    },
];

/// A deterministic sweep-like sample: AnyNetX_A with the small ranges on the Fashion-MNIST
/// template, the first draw (seed 0) between 10 and 20 MF at 28×28.
fn fashion_sample() -> Result<AnyNetSpec> {
    let space = DesignSpace::anynet_x_a()
        .with_template(NetTemplate::fashion_mnist())
        .with_anynet_ranges(AnyNetXRanges::small())
        .unwrap()
        .with_regime(Regime::flops(10_000_000, 20_000_000, 28));
    Ok(space.sample(0, 0)?.spec)
}

/// The spec as the Python peer reads it.
fn spec_json(spec: &AnyNetSpec, resolution: usize) -> Value {
    let stages: Vec<Value> = spec
        .stages()
        .iter()
        .map(|s| {
            json!({"depth": s.depth, "width": s.width, "stride": s.stride,
                   "bottleneck_width": s.bottleneck_width(), "groups": s.groups()})
        })
        .collect();
    json!({"in_channels": spec.in_channels(), "stem_width": spec.stem_width(),
           "num_classes": spec.num_classes(), "resolution": resolution, "stages": stages})
}

fn case_spec(case: &str) -> Result<Option<(AnyNetSpec, usize)>> {
    Ok(match case {
        "train" | "infer" => Some((zoo::regnetx_200mf_body_32()?, 32)),
        "fashion" => Some((fashion_sample()?, 28)),
        _ => None,
    })
}

/// `VmRSS` / `VmHWM` of this process in MiB.
fn proc_status(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU seconds (user + system) this process has used: on a shared machine, less noisy than
/// wall time for comparing two versions of the same code.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let t = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(t / 100.0)
        })
        .unwrap_or(f64::NAN)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Run one case in this process and print its result as one JSON line.
fn child(case: &Case, iters: usize) -> Result<()> {
    let dev = Device::Cpu;
    let mut step: Box<dyn FnMut() -> Result<()>> = match case.name {
        "train" | "infer" | "fashion" => {
            let (spec, res) = case_spec(case.name)?.expect("network case");
            let net = AnyNet::build(&spec, &ModelConfig::default().seed(0))?;
            let x = Tensor::randn(0f32, 1.0, (BATCH, spec.in_channels(), res, res), &dev)?;
            let labels: Vec<u32> = (0..BATCH as u32).map(|i| i % 10).collect();
            let y = Tensor::new(labels.as_slice(), &dev)?;
            if case.name == "infer" {
                Box::new(move || {
                    net.forward_t(&x, false)?;
                    Ok(())
                })
            } else {
                let named = net.named_vars();
                let mut sgd = Sgd::new(named, SgdConfig::default());
                Box::new(move || {
                    let logits = net.forward_t(&x, true)?;
                    let loss = candle_nn::loss::cross_entropy(&logits, &y)?;
                    let grads = loss.backward()?;
                    sgd.step(&grads, 0.1)?;
                    Ok(())
                })
            }
        }
        "conv" | "conv-candle" => {
            let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (BATCH, 152, 8, 8), &dev)?)?;
            let w = Var::from_tensor(&Tensor::randn(0f32, 0.1, (152, 8, 3, 3), &dev)?)?;
            let plain = case.name == "conv-candle";
            Box::new(move || {
                let out = if plain {
                    ops::reference::conv2d(x.as_tensor(), w.as_tensor(), 1, 1, 19)?
                } else {
                    ops::conv2d(x.as_tensor(), w.as_tensor(), 1, 1, 19)?
                };
                let g = out.sum_all()?.backward()?;
                assert!(g.get(w.as_tensor()).is_some());
                Ok(())
            })
        }
        other => bail!("unknown case {other}"),
    };
    let rss_before = proc_status("VmRSS:");
    for _ in 0..case.warmup {
        step()?;
    }
    let mut times = Vec::with_capacity(iters);
    let cpu0 = cpu_seconds();
    for _ in 0..iters {
        let t = Instant::now();
        step()?;
        times.push(t.elapsed().as_secs_f64());
    }
    let cpu = (cpu_seconds() - cpu0) / iters as f64;
    let t = median(times);
    println!(
        "{}",
        json!({"case": case.name, "img_s": BATCH as f64 / t, "sec": t, "iters": iters,
               "cpu_s_per_iter": cpu,
               "rss_before_mb": rss_before, "peak_mb": proc_status("VmHWM:"),
               "threads": rayon::current_num_threads()})
    );
    Ok(())
}

/// The last JSON line a child printed.
fn last_json(out: &[u8]) -> Option<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
}

fn python() -> Result<std::path::PathBuf> {
    if let Ok(p) = std::env::var("REGNET_BENCH_PYTHON") {
        return Ok(p.into());
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join(".venv");
    let py = venv.join("bin/python");
    if !py.exists() {
        eprintln!("creating {} for the PyTorch peer", venv.display());
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .context("python3 -m venv")?
            .success();
        if !ok {
            bail!("python3 -m venv {} failed", venv.display());
        }
    }
    Ok(py)
}

/// One run of a regnet-lab case in a fresh process; `None` (with its stderr shown) if it failed.
fn run_ours(exe: &std::path::Path, case: &Case, threads: usize) -> Result<Option<Value>> {
    // candle's element-wise ops run on a barrier pool of its own whose idle workers spin
    // 25 000 times before parking, taking the cores from the rayon workers of the fast ops
    // that run next; 500 measured ~+25 % on the train step here (any value in 50–5 000 did
    // about the same). An explicit setting is kept.
    let spin = std::env::var("CANDLE_BARRIER_POOL_SPIN_LIMIT").unwrap_or_else(|_| "500".into());
    let out = Command::new(exe)
        .args(["--case", case.name])
        .env("RAYON_NUM_THREADS", threads.to_string())
        .env("CANDLE_BARRIER_POOL_SPIN_LIMIT", spin)
        .output()?;
    let v = last_json(&out.stdout);
    if v.is_none() {
        eprintln!(
            "regnet-lab case {} failed:\n{}",
            case.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(v)
}

/// One run of the PyTorch peer of a case in a fresh process; `None` if it failed.
fn run_theirs(
    py: &std::path::Path,
    script: &std::path::Path,
    case: &Case,
    iters: usize,
    threads: usize,
) -> Result<Option<Value>> {
    let mut cmd = Command::new(py);
    cmd.arg(script)
        .args(["--case", case.name])
        .args(["--threads", &threads.to_string()])
        .args(["--batch", &BATCH.to_string()])
        .args(["--warmup", &case.warmup.to_string()])
        .args(["--iters", &iters.to_string()])
        .env("OMP_NUM_THREADS", threads.to_string());
    if let Some((spec, res)) = case_spec(case.name)? {
        cmd.args(["--spec", &spec_json(&spec, res).to_string()]);
    }
    let out = cmd.output()?;
    let v = last_json(&out.stdout);
    if v.is_none() {
        eprintln!(
            "PyTorch case {} failed:\n{}",
            case.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(v)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let scale: f64 = std::env::var("REGNET_BENCH_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let iters_of = |c: &Case| ((c.iters as f64 * scale).round() as usize).max(1);
    if let Some(i) = args.iter().position(|a| a == "--case") {
        let name = args.get(i + 1).context("--case NAME")?;
        let case = CASES
            .iter()
            .find(|c| c.name == name)
            .context("unknown case")?;
        // On a worker of rayon's pool, as training runs (`ops::on_pool`).
        return ops::on_pool(|| child(case, iters_of(case)));
    }
    // `cargo bench --bench train_step -- train conv` runs only the named cases.
    let only: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
    let threads: usize = std::env::var("REGNET_BENCH_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("scripts/bench_pytorch.py");
    let py = python()?;
    let exe = std::env::current_exe()?;
    let rounds: usize = std::env::var("REGNET_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
        .max(1);
    println!(
        "threads {threads}, batch {BATCH}, f32; each case {rounds} rounds, regnet-lab and PyTorch \
         alternating, each run a fresh process reporting the median of its timed iterations \
         after warm-up; the table shows the median over rounds and the range of the per-round \
         ratios\n"
    );
    println!(
        "| case | regnet-lab img/s | PyTorch img/s | ratio | ratio range | regnet-lab peak RSS MiB | PyTorch peak RSS MiB |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for case in &CASES {
        if !only.is_empty() && !only.iter().any(|o| *o == case.name) {
            continue;
        }
        let iters = iters_of(case);
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for _ in 0..rounds {
            ours.push(run_ours(&exe, case, threads)?);
            // The PyTorch peer has no "candle" variant of the conv case.
            if case.name != "conv-candle" {
                theirs.push(run_theirs(&py, &script, case, iters, threads)?);
            }
        }
        let img_s = |v: &[Option<Value>]| -> Vec<f64> {
            v.iter()
                .filter_map(|r| r.as_ref().and_then(|r| r["img_s"].as_f64()))
                .collect()
        };
        let peak = |v: &[Option<Value>]| -> Option<f64> {
            v.iter()
                .filter_map(|r| r.as_ref().and_then(|r| r["peak_mb"].as_f64()))
                .reduce(f64::max)
        };
        let (a, b) = (img_s(&ours), img_s(&theirs));
        let med = |v: &[f64]| (!v.is_empty()).then(|| median(v.to_vec()));
        let ratios: Vec<f64> = a.iter().zip(&b).map(|(a, b)| a / b).collect();
        let cell = |x: Option<f64>, d: usize| x.map_or("n/a".to_string(), |x| format!("{x:.d$}"));
        let ratio = med(&a).zip(med(&b)).map(|(a, b)| a / b);
        let range = (ratios.len() > 1).then(|| {
            let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = ratios.iter().copied().fold(0.0, f64::max);
            format!("{lo:.2}–{hi:.2}")
        });
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            case.label,
            cell(med(&a), 0),
            cell(med(&b), 0),
            ratio.map_or("".into(), |r| format!("{r:.2}×")),
            range.unwrap_or_default(),
            cell(peak(&ours), 0),
            cell(peak(&theirs), 0),
        );
    }
    if let Some((spec, _)) = case_spec("fashion")? {
        let widths: Vec<String> = spec
            .stages()
            .iter()
            .map(|s| {
                format!(
                    "d{} w{} b{} g{}",
                    s.depth, s.width, s.bottleneck_ratio, s.group_width
                )
            })
            .collect();
        let cx = regnet_lab::complexity::complexity(&spec, 28)?;
        println!(
            "\nAnyNetX sample: stem {:?} w{}, stages [{}], {:.1} MF, {:.2} M params at 28×28",
            spec.stem(),
            spec.stem_width(),
            widths.join("; "),
            cx.flops as f64 / 1e6,
            cx.params as f64 / 1e6
        );
    }
    Ok(())
}
