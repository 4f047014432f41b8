//! The training loop on a small synthetic task: loss goes down, a resumed run reaches the same
//! weights as an uninterrupted one, divergence and bad configurations are reported.

use std::path::PathBuf;
use std::sync::Mutex;

use candle_core::{DType, Device, Tensor};
use regnet_lab::space::{AnyNetSpec, BlockKind, StemKind};
use regnet_lab::train::*;

/// Images whose class is encoded in where a bright square sits: easy to learn, not trivial.
struct Squares {
    images: Vec<f32>,
    labels: Vec<u32>,
    n: usize,
    /// Fail when asked for this epoch's batches (simulates a crash).
    fail_at_epoch: Mutex<Option<usize>>,
}

const R: usize = 12;

impl Squares {
    fn new(n: usize, seed: u64) -> Self {
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f32 / (1u64 << 31) as f32
        };
        let mut images = vec![0f32; n * R * R];
        let mut labels = vec![0u32; n];
        for i in 0..n {
            let class = i % 4;
            labels[i] = class as u32;
            let (oy, ox) = ((class / 2) * 6, (class % 2) * 6);
            for y in 0..R {
                for x in 0..R {
                    let inside = (oy..oy + 6).contains(&y) && (ox..ox + 6).contains(&x);
                    images[i * R * R + y * R + x] =
                        if inside { 1.0 } else { 0.0 } + 0.8 * (next() - 0.5);
                }
            }
        }
        Squares {
            images,
            labels,
            n,
            fail_at_epoch: Mutex::new(None),
        }
    }

    fn batch(&self, idx: &[usize], device: &Device) -> Result<Batch, TrainError> {
        let mut x = Vec::with_capacity(idx.len() * R * R);
        let mut y = Vec::with_capacity(idx.len());
        for &i in idx {
            x.extend_from_slice(&self.images[i * R * R..(i + 1) * R * R]);
            y.push(self.labels[i]);
        }
        let e = |e: candle_core::Error| TrainError::Data(e.to_string());
        Ok((
            Tensor::from_vec(x, (idx.len(), 1, R, R), device).map_err(e)?,
            Tensor::from_vec(y, idx.len(), device).map_err(e)?,
        ))
    }
}

impl TrainData for Squares {
    fn describe(&self) -> String {
        format!("squares {}", self.n)
    }
    fn resolution(&self) -> usize {
        R
    }
    fn train_len(&self) -> usize {
        self.n
    }
    fn train_batches(
        &self,
        bs: usize,
        seed: u64,
        epoch: usize,
        device: &Device,
    ) -> Result<Box<dyn Iterator<Item = Result<Batch, TrainError>> + '_>, TrainError> {
        if *self.fail_at_epoch.lock().unwrap() == Some(epoch) {
            return Err(TrainError::Data("simulated crash".into()));
        }
        // A permutation that depends on (seed, epoch) only.
        let mut order: Vec<usize> = (0..self.n).collect();
        let mut s = seed ^ (epoch as u64).wrapping_mul(0x9E3779B97F4A7C15);
        for i in (1..order.len()).rev() {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let device = device.clone();
        Ok(Box::new(
            order
                .chunks(bs)
                .map(|c| c.to_vec())
                .collect::<Vec<_>>()
                .into_iter()
                .map(move |c| self.batch(&c, &device)),
        ))
    }
    fn eval_batches(
        &self,
        bs: usize,
        device: &Device,
    ) -> Result<Box<dyn Iterator<Item = Result<Batch, TrainError>> + '_>, TrainError> {
        let idx: Vec<usize> = (0..self.n).collect();
        let device = device.clone();
        Ok(Box::new(
            idx.chunks(bs)
                .map(|c| c.to_vec())
                .collect::<Vec<_>>()
                .into_iter()
                .map(move |c| self.batch(&c, &device)),
        ))
    }
}

fn tiny() -> AnyNetSpec {
    AnyNetSpec::builder()
        .stem(StemKind::Small, 8)
        .in_channels(1)
        .num_classes(4)
        .block(BlockKind::X)
        .stage(1, 16, 2, 1.0, 8)
        .stage(1, 32, 2, 1.0, 8)
        .build()
        .unwrap()
}

fn config(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 32,
        schedule: LrSchedule::cosine(0.2),
        seed: 3,
        ..TrainConfig::default()
    }
}

fn weights(model: &regnet_lab::model::AnyNet) -> Vec<(String, Vec<f32>)> {
    model
        .state_dict()
        .unwrap()
        .into_iter()
        .filter(|(_, t)| t.dtype() == DType::F32)
        .map(|(k, t)| (k, t.flatten_all().unwrap().to_vec1::<f32>().unwrap()))
        .collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("regnet-lab-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn loss_goes_down_and_the_record_is_complete() {
    let data = Squares::new(256, 1);
    let rec = train_with(&tiny(), None, &data, &config(4), None, &mut |_| {}).unwrap();
    assert_eq!(rec.epochs.len(), 4);
    assert_eq!(rec.stop, StopReason::Completed);
    let first = rec.epochs[0].train_loss;
    let last = rec.epochs[3].train_loss;
    assert!(last < 0.7 * first, "loss {first} → {last}");
    assert!(rec.best_error.unwrap() < 30.0, "error {:?}", rec.best_error);
    assert!(rec.images_per_second > 0.0 && rec.seconds > 0.0);
    assert_eq!(rec.device, "cpu");
    let json = serde_json::to_string(&rec).unwrap();
    assert_eq!(serde_json::from_str::<RunRecord>(&json).unwrap(), rec);
}

#[test]
fn resumed_run_reaches_the_same_weights() {
    let data = Squares::new(128, 2);
    let cfg = config(3);
    let (whole, model_a) = train_model(&tiny(), None, &data, &cfg, None, &mut |_| {}).unwrap();

    let dir = temp_dir("resume");
    *data.fail_at_epoch.lock().unwrap() = Some(2);
    let err = train_model(&tiny(), None, &data, &cfg, Some(&dir), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("simulated crash"), "{err}");
    *data.fail_at_epoch.lock().unwrap() = None;
    let mut resumed_at = None;
    let (resumed, model_b) = train_model(&tiny(), None, &data, &cfg, Some(&dir), &mut |e| {
        if let Event::Resumed { epoch } = e {
            resumed_at = Some(*epoch);
        }
    })
    .unwrap();
    assert_eq!(resumed_at, Some(2));
    assert_eq!(weights(&model_a), weights(&model_b));
    // Same history too, timings aside.
    let untimed = |r: &RunRecord| {
        r.epochs
            .iter()
            .map(|e| EpochRecord {
                seconds: 0.0,
                ..e.clone()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(untimed(&whole), untimed(&resumed));
    // A checkpoint of another configuration is refused, not silently mixed.
    let err = train_model(&tiny(), None, &data, &config(5), Some(&dir), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("another run"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn divergence_and_time_budget_end_runs_cleanly() {
    let data = Squares::new(64, 3);
    let cfg = TrainConfig {
        schedule: LrSchedule::cosine(1e6),
        ..config(2)
    };
    let rec = train_with(&tiny(), None, &data, &cfg, None, &mut |_| {}).unwrap();
    assert!(
        rec.diverged && rec.stop == StopReason::Diverged && rec.best_error.is_none(),
        "{rec:?}"
    );
    let cfg = TrainConfig {
        max_seconds: Some(0.0),
        ..config(2)
    };
    let rec = train_with(&tiny(), None, &data, &cfg, None, &mut |_| {}).unwrap();
    assert_eq!(rec.stop, StopReason::TimeBudget);
    assert!(rec.epochs.is_empty());
    let cfg = TrainConfig {
        batch_size: 0,
        ..config(1)
    };
    assert!(
        train_with(&tiny(), None, &data, &cfg, None, &mut |_| {})
            .unwrap_err()
            .to_string()
            .contains("batch_size")
    );
}

#[test]
fn label_smoothing_matches_its_definition() {
    let dev = Device::Cpu;
    let logits = Tensor::new(&[[2.0f32, 0.5, -1.0], [0.0, 0.0, 3.0]], &dev).unwrap();
    let labels = Tensor::new(&[0u32, 1], &dev).unwrap();
    let ls = |eps| {
        cross_entropy(&logits, &labels, eps)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap() as f64
    };
    // By hand with log-softmax.
    let lse = |r: [f64; 3]| r.iter().map(|v| v.exp()).sum::<f64>().ln();
    let rows = [[2.0, 0.5, -1.0], [0.0, 0.0, 3.0]];
    let logp: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| r.iter().map(|v| v - lse(*r)).collect())
        .collect();
    let nll = -(logp[0][0] + logp[1][1]) / 2.0;
    let uni = -(logp[0].iter().sum::<f64>() + logp[1].iter().sum::<f64>()) / 6.0;
    assert!((ls(0.0) - nll).abs() < 1e-5);
    assert!((ls(0.1) - (0.9 * nll + 0.1 * uni)).abs() < 1e-5);
}

/// The evaluation batch is a speed setting only: the same weights give the same error, to the
/// last image, at every inference batch size (each image's logits do not depend on its batch
/// mates in eval mode), so the loop's choice of batch cannot move a recorded error.
#[test]
fn evaluation_does_not_depend_on_its_batch_size() {
    let data = ImageData::load(&DataSource::Embedded)
        .unwrap()
        .with_train_limit(1280);
    let space = regnet_lab::sweep::precomputed::anynetx_chain()
        .unwrap()
        .remove(0);
    let spec = space.sample(0, 0).unwrap().spec;
    let cfg = TrainConfig {
        epochs: 2,
        ..regnet_lab::budget::Budget::Cpu.train_config()
    };
    let (record, model) = train_model(&spec, None, &data, &cfg, None, &mut |_| {}).unwrap();
    let trained = record.final_error.unwrap();
    assert!(trained < 80.0, "trained enough to rank images: {trained}");
    for batch in [1, 64, 128, 256, 1000] {
        let e = evaluate_blocks(&model, &data, batch).unwrap();
        assert_eq!(e.error, trained, "batch {batch}");
    }
}
