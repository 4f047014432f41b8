//! Trace the first SGD steps of a network on real batches, and write what a PyTorch peer needs
//! to repeat them: the initial weights (torchvision names) and the batches.
//!
//! ```text
//! cargo run --example step_trace -- OUT_DIR [d=13,w0=24,wa=36.44,wm=2.49,g=8] [lr] [steps] [zero]
//! .venv/bin/python scripts/step_trace_torch.py OUT_DIR
//! ```
//!
//! Used to decide whether a divergence is the crate's or the recipe's: the PyTorch peer
//! (`scripts/step_trace_torch.py`) prints its losses next to the ones written here.

use std::collections::HashMap;

use candle_core::{DType, Tensor};
use regnet_lab::model::{AnyNet, ModelConfig};
use regnet_lab::space::{NetTemplate, RegNetParams};
use regnet_lab::train::{DataSource, ImageData, Sgd, SgdConfig, TrainData, cross_entropy};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = std::path::PathBuf::from(
        args.first()
            .ok_or("usage: step_trace OUT_DIR [params] [lr] [steps] [zero]")?,
    );
    let params: RegNetParams = args
        .get(1)
        .map_or("d=13,w0=24,wa=36.44,wm=2.49,g=8", |s| s.as_str())
        .parse()?;
    let lr: f64 = args.get(2).map_or(Ok(0.05), |s| s.parse())?;
    let steps: usize = args.get(3).map_or(Ok(10), |s| s.parse())?;
    let zero = args.get(4).is_some_and(|s| s == "zero");
    std::fs::create_dir_all(&out)?;

    let spec = params.to_spec_with(&NetTemplate::fashion_mnist())?;
    let model = AnyNet::build(&spec, &ModelConfig::default().seed(0).zero_init(zero))?;
    model.save_safetensors(out.join("init.safetensors"))?;
    let sgd = SgdConfig {
        weight_decay: 5e-4,
        ..SgdConfig::default()
    };
    let mut opt = Sgd::new(model.named_vars(), sgd);

    let source = std::env::var("STEP_TRACE_DATA").unwrap_or_else(|_| "fashion-mnist".into());
    let batch_size: usize = std::env::var("STEP_TRACE_BATCH").map_or(Ok(128), |s| s.parse())?;
    let data = ImageData::load(&source.parse::<DataSource>()?)?;
    let mut batches = HashMap::new();
    let mut losses = Vec::new();
    for (i, batch) in data
        .train_batches(batch_size, 0, 0, &candle_core::Device::Cpu)?
        .take(steps)
        .enumerate()
    {
        let (x, y) = batch?;
        let logits = model.forward_t(&x, true)?;
        let loss = cross_entropy(&logits, &y, 0.0)?;
        let value = loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        opt.step(&loss.backward()?, lr)?;
        println!("step {} loss {value:.4}", i + 1);
        losses.push(value);
        batches.insert(format!("x{i}"), x);
        batches.insert(format!("y{i}"), y.to_dtype(DType::I64)?);
    }
    // The final state, and the test error in eval mode (running statistics), so the peer can
    // evaluate the same weights; then in train mode (batch statistics), which moves the running
    // statistics and so comes last.
    model.save_safetensors(out.join("final.safetensors"))?;
    let test: Vec<_> = data
        .eval_batches(500, &candle_core::Device::Cpu)?
        .collect::<Result<_, _>>()?;
    let mut errors = [0usize; 2];
    let mut n = 0;
    for (train_mode, bad) in [false, true].into_iter().zip(errors.iter_mut()) {
        n = 0;
        for (i, (x, y)) in test.iter().enumerate() {
            let logits = model.forward_t(x, train_mode)?;
            let right = logits
                .argmax(1)?
                .eq(y)?
                .to_dtype(DType::F32)?
                .sum_all()?
                .to_scalar::<f32>()?;
            *bad += y.dims1()? - right as usize;
            n += y.dims1()?;
            if !train_mode {
                batches.insert(format!("test_logits{i}"), logits);
                batches.insert(format!("test_x{i}"), x.clone());
                batches.insert(format!("test_y{i}"), y.to_dtype(DType::I64)?);
            }
        }
    }
    println!(
        "test error: eval mode {:.2}%, train mode (batch statistics) {:.2}%",
        100.0 * errors[0] as f64 / n as f64,
        100.0 * errors[1] as f64 / n as f64
    );
    batches.insert(
        "losses".into(),
        Tensor::new(losses, &candle_core::Device::Cpu)?,
    );
    batches.insert("lr".into(), Tensor::new(&[lr], &candle_core::Device::Cpu)?);
    candle_core::safetensors::save(&batches, out.join("batches.safetensors"))?;
    Ok(())
}
