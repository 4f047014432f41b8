//! Make the sweeps committed under `datasets/sweeps/`: the notebooks' design spaces at the `cpu`
//! budget on the embedded Fashion-MNIST subset, exactly as the notebooks define them (so that a
//! notebook at that budget reuses them instead of training).
//!
//! ```text
//! cargo run --release --example precompute_sweeps            # every group
//! cargo run --release --example precompute_sweeps -- anynetx # one group
//! ```
//!
//! Interrupt it at any point and run it again: finished runs are kept, missing ones are trained.

use regnet_lab::budget::Budget;
use regnet_lab::sweep::{Sweep, precomputed};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let only: Vec<String> = std::env::args().skip(1).collect();
    let budget = Budget::Cpu;
    let data = budget.data()?;
    let groups = [
        ("anynetx", precomputed::anynetx_chain()?),
        ("regnetx", precomputed::regnet_x_variants()),
    ];
    for (group, spaces) in groups {
        if !only.is_empty() && !only.iter().any(|g| g == group) {
            continue;
        }
        for space in spaces {
            let sweep = Sweep {
                space: space.clone(),
                seed: 0,
                n: budget.sweep_size(),
                train: budget.train_config(),
                dataset: regnet_lab::train::TrainData::describe(&data),
            };
            let dir = precomputed::path(group, &space);
            let started = std::time::Instant::now();
            let results = sweep.run(&dir, &data)?;
            println!(
                "{group}/{}: {} runs ({} diverged) in {:.0} s -> {}",
                space.name(),
                results.records.len(),
                results.excluded(),
                started.elapsed().as_secs_f64(),
                dir.display()
            );
        }
    }
    Ok(())
}
