//! Where a tiny net's training step goes: the phases of one SGD step of a 2–6 MF AnyNetX or
//! RegNetY model (and of the RegNetY networks without squeeze-excitation) at batch 64 on 28×28 (batching with augmentation, forward, loss, backward, optimiser), and the
//! evaluation of 10,000 test images at several inference batch sizes.
//!
//! ```text
//! cargo run --release --example step_profile            # quiet machine, ~1 min on 2 cores
//! ```
//!
//! Each phase is timed with a wall clock around it over `STEPS` steps after `WARMUP` untimed ones;
//! the table gives the mean per step and the share of the step. The evaluation rows train
//! nothing: the same weights are evaluated at each batch size, and must give the same error.

use std::time::Instant;

use regnet_lab::model::{AnyNet, ModelConfig};
use regnet_lab::space::{AnyNetSpec, BlockKind, Sample};
use regnet_lab::sweep::precomputed;
use regnet_lab::train::{
    DataSource, ImageData, Sgd, SgdConfig, TrainData, cross_entropy, evaluate,
};

const WARMUP: usize = 10;
const STEPS: usize = 60;
const BATCH: usize = 64;

/// Time the phases of `STEPS` training steps of `spec` and print one table row.
fn profile(
    name: &str,
    spec: &AnyNetSpec,
    flops: u64,
    data: &ImageData,
) -> Result<AnyNet, Box<dyn std::error::Error + Send + Sync>> {
    let model = AnyNet::build(spec, &ModelConfig::default().seed(0))?;
    let vars = model.named_vars();
    let mut opt = Sgd::new(vars, SgdConfig::default());
    let device = candle_core::Device::Cpu;
    let mut batches = data.train_batches(BATCH, 0, 0, &device)?;
    let mut t = [0f64; 5];
    for step in 0..WARMUP + STEPS {
        let t0 = Instant::now();
        let (x, y) = batches.next().ok_or("the epoch ran out of batches")??;
        let t1 = Instant::now();
        let logits = model.forward_t(&x, true)?;
        let t2 = Instant::now();
        let loss = cross_entropy(&logits, &y, 0.0)?;
        let t3 = Instant::now();
        let grads = loss.backward()?;
        let t4 = Instant::now();
        opt.step(&grads, 0.05)?;
        let t5 = Instant::now();
        if step >= WARMUP {
            for (k, (a, b)) in [(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5)]
                .into_iter()
                .enumerate()
            {
                t[k] += (b - a).as_secs_f64();
            }
        }
    }
    let total: f64 = t.iter().sum();
    let cell = |v: f64| {
        format!(
            "{:.2} ms ({:.0} %)",
            1e3 * v / STEPS as f64,
            100.0 * v / total
        )
    };
    println!(
        "| {name} | {:.2} | {} | {} | {} | {} | {} | {:.2} ms | {:.0} |",
        flops as f64 / 1e6,
        cell(t[0]),
        cell(t[1]),
        cell(t[2]),
        cell(t[3]),
        cell(t[4]),
        1e3 * total / STEPS as f64,
        (STEPS * BATCH) as f64 / total
    );
    Ok(model)
}

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if std::env::var_os("CANDLE_BARRIER_POOL_SPIN_LIMIT").is_none() {
        // SAFETY: no other thread exists yet. The CLI's setting (see ops' module doc).
        unsafe { std::env::set_var("CANDLE_BARRIER_POOL_SPIN_LIMIT", "500") };
    }
    // On a worker of rayon's pool, as training runs (`ops::on_pool`).
    regnet_lab::ops::on_pool(profile_all)
}

fn profile_all() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let data = ImageData::load(&DataSource::FashionMnist(None))?.with_train_limit(6000);
    let space = precomputed::anynetx_chain()?.remove(0);
    let samples: Vec<Sample> = space.samples(0, 3)?;
    println!(
        "{} threads, batch {BATCH}, {STEPS} timed steps after {WARMUP}; AnyNetX_A samples 0–2 of the evidence space, \
         then RegNetY samples 0–2 and the same networks without squeeze-excitation\n",
        rayon::current_num_threads()
    );
    println!(
        "| model | MF | batch + augment | forward | loss | backward | optimiser | step | img/s |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut last = None;
    for s in &samples {
        let name = format!("AnyNetX_A #{}", s.index.unwrap_or_default());
        last = Some(profile(&name, &s.spec, s.complexity.flops, &data)?);
    }
    let regnet_y = precomputed::regnet_y();
    for s in regnet_y.samples(0, 3)? {
        let i = s.index.unwrap_or_default();
        profile(&format!("RegNetY #{i}"), &s.spec, s.complexity.flops, &data)?;
        let mut x = s.spec.data().clone();
        x.block = BlockKind::X;
        x.se_ratio = None;
        let x = AnyNetSpec::try_new(x)?;
        let flops = regnet_lab::complexity::complexity(&x, s.resolution)?.flops;
        profile(&format!("RegNetY #{i} without SE"), &x, flops, &data)?;
    }
    let model = last.ok_or("no model")?;
    println!("\n| evaluation of 10,000 test images | batch | seconds | img/s | error |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for batch in [64, 256, 1000, 2500] {
        let t0 = Instant::now();
        let err = evaluate(&model, &data, batch)?;
        let secs = t0.elapsed().as_secs_f64();
        println!(
            "| model #{} | {batch} | {secs:.2} | {:.0} | {err:.2} % |",
            samples[2].index.unwrap_or_default(),
            10_000.0 / secs
        );
    }
    Ok(())
}
