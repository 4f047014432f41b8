//! Prove a device path: the same network, seed and batches on the CPU and on `--device`, their
//! losses and gradients side by side for the first steps, then training and inference speed on
//! the device. `scripts/gpu-smoke.sh` runs it for f32 and bf16 on CUDA.
//!
//! ```text
//! cargo run --release --features cuda --example device_check -- --device cuda --dtype bf16
//! cargo run --release --example device_check -- --device cpu --steps 20     # the CPU against itself
//! ```
//!
//! The network is the training benchmark's: RegNetX-200MF's body with a 3×3 stride-1 stem of
//! width 24 at 32×32×3, 10 classes, batch 128. The data are seeded random images with random
//! labels (a check of arithmetic and speed, not of learning: the loss still falls, by
//! memorisation, over the repeated batches). Exit status 1 when the comparison fails.

use std::time::Instant;

use anyhow::{Result, bail};
use candle_core::{DType, Device, Tensor};
use regnet_lab::model::{AnyNet, ModelConfig};
use regnet_lab::space::{AnyNetSpec, zoo};
use regnet_lab::train::{DeviceChoice, Sgd, SgdConfig, cross_entropy};

struct Args {
    device: String,
    dtype: DType,
    steps: usize,
    compare: usize,
    batch: usize,
}

fn parse() -> Result<Args> {
    let mut a = Args {
        device: "cuda".into(),
        dtype: DType::F32,
        steps: 300,
        compare: 5,
        batch: 128,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--device" => a.device = value()?,
            "--dtype" => {
                a.dtype = match value()?.as_str() {
                    "f32" => DType::F32,
                    "bf16" => DType::BF16,
                    "f16" => DType::F16,
                    other => bail!("--dtype {other}: expected f32, bf16 or f16"),
                }
            }
            "--steps" => a.steps = value()?.parse()?,
            "--compare" => a.compare = value()?.parse()?,
            "--batch" => a.batch = value()?.parse()?,
            other => {
                bail!("unknown argument {other} (--device, --dtype, --steps, --compare, --batch)")
            }
        }
    }
    Ok(a)
}

/// `k` seeded batches of random images and labels, on the CPU.
fn batches(k: usize, batch: usize) -> Result<Vec<(Tensor, Tensor)>> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..k)
        .map(|_| {
            let x: Vec<f32> = (0..batch * 3 * 32 * 32)
                .map(|_| (next() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0)
                .collect();
            let y: Vec<u32> = (0..batch).map(|_| (next() % 10) as u32).collect();
            Ok((
                Tensor::from_vec(x, (batch, 3, 32, 32), &Device::Cpu)?,
                Tensor::from_vec(y, batch, &Device::Cpu)?,
            ))
        })
        .collect()
}

struct Net {
    model: AnyNet,
    opt: Sgd,
    device: Device,
    dtype: DType,
}

impl Net {
    fn new(spec: &AnyNetSpec, device: Device, dtype: DType) -> Result<Self> {
        let model = AnyNet::build(
            spec,
            &ModelConfig::default()
                .device(device.clone())
                .dtype(dtype)
                .seed(0)
                .zero_init(true),
        )?;
        let named = model.named_vars();
        let opt = Sgd::new(named, SgdConfig::default());
        Ok(Net {
            model,
            opt,
            device,
            dtype,
        })
    }

    /// One SGD step; returns the loss and the gradients of a few parameters (as f32 on the CPU).
    fn step(&mut self, x: &Tensor, y: &Tensor, lr: f64) -> Result<(f32, Vec<(String, Tensor)>)> {
        let x = x.to_device(&self.device)?.to_dtype(self.dtype)?;
        let y = y.to_device(&self.device)?;
        let logits = self.model.forward_t(&x, true)?.to_dtype(DType::F32)?;
        let loss = cross_entropy(&logits, &y, 0.0)?;
        let grads = loss.backward()?;
        let mut probe = Vec::new();
        for p in self.model.named_parameters() {
            let n = &p.name;
            if (n == "stem.0.weight" || n == "fc.weight" || n.ends_with("block3-0.f.b.0.weight"))
                && let Some(g) = grads.get(p.var.as_tensor())
            {
                probe.push((n.clone(), g.to_dtype(DType::F32)?.to_device(&Device::Cpu)?));
            }
        }
        self.opt.step(&grads, lr)?;
        Ok((loss.to_device(&Device::Cpu)?.to_scalar::<f32>()?, probe))
    }
}

fn sync(device: &Device) -> Result<()> {
    Ok(device.synchronize()?)
}

fn main() -> Result<()> {
    let args = parse()?;
    let device = args.device.parse::<DeviceChoice>()?.resolve()?;
    let spec = zoo::regnetx_200mf_body_32()?;
    let data = batches(8, args.batch)?;
    let lr = 0.02;
    println!(
        "device_check: {} on {:?} vs f32 on the CPU, RegNetX-200MF body at 32×32, batch {}",
        args.device, args.dtype, args.batch
    );

    // 1. The first steps on both, same weights and batches.
    let (loss_tol, grad_tol) = match args.dtype {
        DType::F32 => (1e-3, 1e-2),
        _ => (5e-2, 2.5e-1),
    };
    let mut cpu = Net::new(&spec, Device::Cpu, DType::F32)?;
    let mut dev = Net::new(&spec, device.clone(), args.dtype)?;
    let mut failed = false;
    println!("step  loss cpu   loss device  |Δ|/loss  max rel. grad diff");
    for (i, (x, y)) in data.iter().cycle().take(args.compare).enumerate() {
        let (lc, gc) = cpu.step(x, y, lr)?;
        let (ld, gd) = dev.step(x, y, lr)?;
        let dl = (lc - ld).abs() as f64 / lc.abs().max(1e-6) as f64;
        let mut worst = 0.0f64;
        for ((name, a), (_, b)) in gc.iter().zip(&gd) {
            let diff = (a - b)?.abs()?.max_all()?.to_scalar::<f32>()? as f64;
            let scale = a.abs()?.max_all()?.to_scalar::<f32>()?.max(1e-12) as f64;
            let rel = diff / scale;
            if rel > grad_tol && i == 0 {
                println!("      gradient of {name}: relative difference {rel:.2e}");
            }
            worst = worst.max(rel);
        }
        // Chaos grows with the steps: hold the first step to the tolerance, report the rest.
        let ok = i > 0 || (dl <= loss_tol && worst <= grad_tol);
        failed |= !ok;
        println!(
            "{:4}  {lc:9.5}  {ld:11.5}  {dl:8.1e}  {worst:8.1e}{}",
            i + 1,
            if ok { "" } else { "   <- beyond tolerance" }
        );
    }

    // 2. Speed on the device: training steps, then inference.
    let warm = 3.min(args.steps);
    let mut first = f32::NAN;
    let mut last = f32::NAN;
    for (i, (x, y)) in data.iter().cycle().take(warm).enumerate() {
        let (l, _) = dev.step(x, y, lr)?;
        if i == 0 {
            first = l;
        }
    }
    sync(&device)?;
    let t = Instant::now();
    let on_device: Vec<(Tensor, Tensor)> = data
        .iter()
        .map(|(x, y)| {
            Ok((
                x.to_device(&device)?.to_dtype(args.dtype)?,
                y.to_device(&device)?,
            ))
        })
        .collect::<Result<_>>()?;
    let t_copy = t.elapsed().as_secs_f64();
    let t = Instant::now();
    // The loss stays on the device until the end: reading it every step would wait for the
    // device every step and time the round trips, not the training.
    let mut last_loss = None;
    for (x, y) in on_device.iter().cycle().take(args.steps) {
        let logits = dev.model.forward_t(x, true)?.to_dtype(DType::F32)?;
        let loss = cross_entropy(&logits, y, 0.0)?;
        dev.opt.step(&loss.backward()?, lr)?;
        last_loss = Some(loss);
    }
    sync(&device)?;
    let train = (args.steps * args.batch) as f64 / t.elapsed().as_secs_f64();
    if let Some(loss) = last_loss {
        last = loss.to_device(&Device::Cpu)?.to_scalar::<f32>()?;
    }
    let t = Instant::now();
    let infer_iters = args.steps.max(10);
    for (x, _) in on_device.iter().cycle().take(infer_iters) {
        let _ = dev.model.forward_t(x, false)?;
    }
    sync(&device)?;
    let infer = (infer_iters * args.batch) as f64 / t.elapsed().as_secs_f64();
    println!(
        "{} steps: loss {first:.4} -> {last:.4}; train {train:.0} img/s, inference {infer:.0} img/s (data copied once in {t_copy:.2} s)",
        args.steps
    );
    if !last.is_finite() {
        failed = true;
        println!("the loss is not finite");
    }
    if failed {
        bail!("the device disagrees with the CPU beyond tolerance");
    }
    println!("device_check: OK");
    Ok(())
}
