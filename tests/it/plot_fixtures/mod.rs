//! Fixed synthetic data shared by the plot and display tests: sweeps whose models are real
//! samples of the crate's design spaces and whose errors follow a fixed formula (deeper and
//! wider is better, plus deterministic noise), so the statistics behave like a real sweep's.
#![allow(dead_code)]

use regnet_lab::space::{DesignSpace, Property};
use regnet_lab::sweep::SweepResults;
use regnet_lab::train::{EpochRecord, RunRecord};

/// Deterministic noise in [0, 1).
pub fn noise(i: u64, salt: u64) -> f64 {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Epochs of a run converging to `error` (counted from 0, as the training loop records them).
pub fn epochs(error: f64, n: usize) -> Vec<EpochRecord> {
    (1..=n)
        .map(|e| {
            let t = e as f64 / n as f64;
            EpochRecord {
                epoch: e - 1,
                lr: 0.1 * (1.0 + (std::f64::consts::PI * t).cos()) / 2.0,
                steps: 16,
                train_loss: 2.3 * (1.0 - 0.6 * t) * (error / 50.0),
                train_error: error + 8.0 * (1.0 - t),
                test_error: Some(error + 12.0 * (1.0 - t)),
                test_error_blocks: vec![],
                seconds: 2.0,
            }
        })
        .collect()
}

/// `n` runs of the named space; `quality` shifts every error (a better space has a lower one).
/// Model `n - 1` is marked diverged when `diverged` is set.
pub fn sweep(space: &str, n: u64, quality: f64, diverged: bool) -> SweepResults {
    let ds = DesignSpace::named(space).expect("known space");
    let records = (0..n)
        .map(|i| {
            let s = ds.sample(7, i).expect("sample");
            let depth = s.property(Property::Depth).unwrap_or(4.0);
            let flops = s.complexity.flops as f64;
            let error =
                quality + 30.0 - 2.5 * flops.ln().max(1.0) / 3.0 - 0.3 * depth + 6.0 * noise(i, 1);
            let dead = diverged && i == n - 1;
            RunRecord {
                epochs: if dead { vec![] } else { epochs(error, 5) },
                images_per_second: 500.0,
                seconds: 10.0,
                ..RunRecord::synthetic(&s, (!dead).then_some(error))
            }
        })
        .collect();
    SweepResults::from_records(records)
}
