//! Where a tiny net's training step goes: the phases of one SGD step of a 2–6 MF AnyNetX model at
//! batch 64 on 28×28 (batching with augmentation, forward, loss, backward, optimiser), and the
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
use regnet_lab::space::Sample;
use regnet_lab::sweep::precomputed;
use regnet_lab::train::{
    DataSource, ImageData, Sgd, SgdConfig, TrainData, cross_entropy, evaluate,
};

const WARMUP: usize = 10;
const STEPS: usize = 60;
const BATCH: usize = 64;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::var_os("CANDLE_BARRIER_POOL_SPIN_LIMIT").is_none() {
        // SAFETY: no other thread exists yet. The CLI's setting (see ops' module doc).
        unsafe { std::env::set_var("CANDLE_BARRIER_POOL_SPIN_LIMIT", "500") };
    }
    let data = ImageData::load(&DataSource::FashionMnist(None))?.with_train_limit(6000);
    let space = precomputed::anynetx_chain()?.remove(0);
    let samples: Vec<Sample> = space.samples(0, 3)?;
    println!(
        "{} threads, batch {BATCH}, {STEPS} timed steps after {WARMUP}; AnyNetX_A samples 0–2 of the evidence space\n",
        rayon::current_num_threads()
    );
    println!(
        "| model | MF | batch + augment | forward | loss | backward | optimiser | step | img/s |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut last = None;
    for s in &samples {
        let model = AnyNet::build(&s.spec, &ModelConfig::default().seed(0))?;
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
            "| #{} | {:.2} | {} | {} | {} | {} | {} | {:.2} ms | {:.0} |",
            s.index.unwrap_or_default(),
            s.complexity.flops as f64 / 1e6,
            cell(t[0]),
            cell(t[1]),
            cell(t[2]),
            cell(t[3]),
            cell(t[4]),
            1e3 * total / STEPS as f64,
            (STEPS * BATCH) as f64 / total
        );
        last = Some(model);
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
