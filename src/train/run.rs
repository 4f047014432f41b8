//! The training loop: epochs of SGD steps on shuffled batches, evaluation after each epoch,
//! bounded by epochs and a time budget, checkpoints that let an interrupted run resume and
//! reach the same weights as an uninterrupted one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{D, DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use super::{EpochRecord, RunRecord, Sgd, StopReason, TrainConfig, TrainError, device_name};
use crate::model::{AnyNet, ModelConfig};
use crate::space::{AnyNetSpec, RegNetParams, Sample};

/// A batch: images `[N, C, H, W]` (f32, normalised) and labels `[N]` (u32), on the run's device.
pub type Batch = (Tensor, Tensor);

/// What the loop needs from a dataset. The `data` module's loaders implement it. `Sync`: a
/// concurrent sweep trains several models on one dataset at once.
pub trait TrainData: Sync {
    /// A description for records (e.g. `fashion-mnist-embedded train 6000 / test 1000`).
    fn describe(&self) -> String;
    /// Image side length.
    fn resolution(&self) -> usize;
    /// Number of training images.
    fn train_len(&self) -> usize;
    /// Optimiser steps in one epoch of batches of `batch_size` (a last partial batch counts).
    fn steps_per_epoch(&self, batch_size: usize) -> usize {
        self.train_len().div_ceil(batch_size.max(1))
    }
    /// Shuffled, augmented training batches of one epoch; a pure function of (seed, epoch).
    fn train_batches(
        &self,
        batch_size: usize,
        seed: u64,
        epoch: usize,
        device: &Device,
    ) -> Result<Box<dyn Iterator<Item = Result<Batch, TrainError>> + '_>, TrainError>;
    /// Evaluation batches in order, without augmentation.
    fn eval_batches(
        &self,
        batch_size: usize,
        device: &Device,
    ) -> Result<Box<dyn Iterator<Item = Result<Batch, TrainError>> + '_>, TrainError>;
}

/// What the loop reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Step {
        epoch: usize,
        step: usize,
        steps: usize,
        loss: f64,
        lr: f64,
        images_per_second: f64,
    },
    Epoch(EpochRecord),
    Resumed {
        epoch: usize,
    },
}

/// Prints one line per event (notebook kernels show lines as they come; no `\r`).
pub fn print_event(e: &Event) {
    match e {
        Event::Step {
            epoch,
            step,
            steps,
            loss,
            lr,
            images_per_second,
        } => println!(
            "epoch {} step {step}/{steps}  loss {loss:.4}  lr {lr:.4}  {images_per_second:.0} img/s",
            epoch + 1
        ),
        Event::Epoch(r) => println!(
            "epoch {} done  loss {:.4}  train err {:.2}%  test err {}  {:.1}s",
            r.epoch + 1,
            r.train_loss,
            r.train_error,
            r.test_error.map_or("-".into(), |e| format!("{e:.2}%")),
            r.seconds
        ),
        Event::Resumed { epoch } => println!("resumed from the checkpoint after epoch {epoch}"),
    }
}

/// Cross-entropy with label smoothing ε: (1 − ε) · NLL + ε · mean over classes of −log p.
pub fn cross_entropy(
    logits: &Tensor,
    labels: &Tensor,
    smoothing: f64,
) -> candle_core::Result<Tensor> {
    let logp = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    let nll = logp
        .gather(&labels.unsqueeze(1)?, 1)?
        .squeeze(1)?
        .neg()?
        .mean_all()?;
    if smoothing == 0.0 {
        return Ok(nll);
    }
    let uniform = logp.mean(D::Minus1)?.neg()?.mean_all()?;
    (nll * (1.0 - smoothing))? + (uniform * smoothing)?
}

/// Number of wrong top-1 predictions in a batch.
fn wrong(logits: &Tensor, labels: &Tensor) -> candle_core::Result<usize> {
    let pred = logits.argmax(D::Minus1)?;
    let right = pred
        .eq(labels)?
        .to_dtype(DType::F32)?
        .sum_all()?
        .to_scalar::<f32>()?;
    Ok(labels.dims1()? - right as usize)
}

/// Top-1 error (%) of `model` in eval mode over the evaluation split.
pub fn evaluate(
    model: &AnyNet,
    data: &dyn TrainData,
    batch_size: usize,
) -> Result<f64, TrainError> {
    Ok(evaluate_blocks(model, data, batch_size)?.error)
}

/// Images per class in one evaluation block: 100, so that a block of a 10-class test set is
/// 1,000 images, the size of the embedded test split.
pub const BLOCK_PER_CLASS: usize = 100;

/// Top-1 error of a whole evaluation split, and of its consecutive class-balanced blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Error (%) on every image.
    pub error: f64,
    /// Error (%) on block `k`: the images ranked `k·100 … k·100 + 99` within their class, in
    /// dataset order (block 0 of Fashion-MNIST's test set is the embedded 1,000 images). Only
    /// complete blocks, and only when there are at least two: the spread of these errors is the
    /// measured noise of a 1,000-image evaluation, for the same weights.
    pub blocks: Vec<f64>,
}

/// [`evaluate`], with the per-block errors of [`Evaluation::blocks`]. Runs on a worker of
/// rayon's pool ([`crate::ops::on_pool`]).
pub fn evaluate_blocks(
    model: &AnyNet,
    data: &dyn TrainData,
    batch_size: usize,
) -> Result<Evaluation, TrainError> {
    crate::ops::on_pool(|| evaluate_on_this_thread(model, data, batch_size))
}

fn evaluate_on_this_thread(
    model: &AnyNet,
    data: &dyn TrainData,
    batch_size: usize,
) -> Result<Evaluation, TrainError> {
    let (mut n, mut bad) = (0usize, 0usize);
    // Per image: (class, rank within its class, right?).
    let mut seen_per_class: Vec<usize> = Vec::new();
    let mut block_counts: Vec<Vec<(usize, usize)>> = Vec::new(); // [block][class] = (n, wrong)
    for batch in data.eval_batches(batch_size, model.device())? {
        let (x, y) = batch?;
        let logits = model.forward_t(&x, false).map_err(model_err)?;
        let labels = y.to_vec1::<u32>().map_err(candle_err)?;
        let pred = logits
            .argmax(D::Minus1)
            .and_then(|p| p.to_vec1::<u32>())
            .map_err(candle_err)?;
        for (&label, &p) in labels.iter().zip(&pred) {
            let c = label as usize;
            if seen_per_class.len() <= c {
                seen_per_class.resize(c + 1, 0);
            }
            let block = seen_per_class[c] / BLOCK_PER_CLASS;
            seen_per_class[c] += 1;
            if block_counts.len() <= block {
                block_counts.resize(block + 1, Vec::new());
            }
            let row = &mut block_counts[block];
            if row.len() <= c {
                row.resize(c + 1, (0, 0));
            }
            row[c].0 += 1;
            row[c].1 += usize::from(p != label);
            bad += usize::from(p != label);
        }
        n += labels.len();
    }
    if n == 0 {
        return Err(TrainError::Config("the evaluation split is empty".into()));
    }
    let classes = seen_per_class.len();
    let complete: Vec<f64> = block_counts
        .iter()
        .filter(|row| row.len() == classes && row.iter().all(|&(k, _)| k == BLOCK_PER_CLASS))
        .map(|row| {
            let wrong: usize = row.iter().map(|&(_, w)| w).sum();
            100.0 * wrong as f64 / (classes * BLOCK_PER_CLASS) as f64
        })
        .collect();
    Ok(Evaluation {
        error: 100.0 * bad as f64 / n as f64,
        blocks: if complete.len() >= 2 {
            complete
        } else {
            Vec::new()
        },
    })
}

fn candle_err(e: candle_core::Error) -> TrainError {
    TrainError::Candle(e)
}

fn model_err(e: crate::model::ModelError) -> TrainError {
    TrainError::Model(e)
}

/// The JSON part of a checkpoint: where the run is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CheckpointState {
    /// Epochs completed.
    epochs_done: usize,
    epochs: Vec<EpochRecord>,
    train_seconds: f64,
    images_seen: u64,
    config: TrainConfig,
    spec: AnyNetSpec,
}

/// Train `spec` on `data` with `cfg`, printing progress lines; returns the record.
///
/// The three ways to train, by what they add: `train` (the notebook's one-liner: progress
/// printed, no checkpoint), [`train_with`] (RegNet parameters for the record, a checkpoint
/// directory to resume from, your own progress callback) and [`train_model`] (as
/// `train_with`, also returning the trained network).
pub fn train(
    spec: &AnyNetSpec,
    data: &dyn TrainData,
    cfg: &TrainConfig,
) -> Result<RunRecord, TrainError> {
    train_with(spec, None, data, cfg, None, &mut print_event)
}

/// Train `spec` on `data` with a checkpoint directory to resume from and a progress callback;
/// returns the record (which keeps `regnet`, the spec's RegNet parameters, if given).
///
/// With `checkpoint_dir`, the weights, BN statistics, momentum buffers and position are saved
/// atomically after every epoch, and a run that finds a checkpoint there for the same spec and
/// configuration resumes after its last epoch; since the data order is a function of
/// `(seed, epoch)`, the resumed run reaches the same weights as an uninterrupted one.
pub fn train_with(
    spec: &AnyNetSpec,
    regnet: Option<&RegNetParams>,
    data: &dyn TrainData,
    cfg: &TrainConfig,
    checkpoint_dir: Option<&Path>,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<RunRecord, TrainError> {
    train_model(spec, regnet, data, cfg, checkpoint_dir, on_event).map(|(record, _)| record)
}

/// [`train_with`], also returning the trained network (to evaluate, save or inspect it).
///
/// The whole run happens on a worker of rayon's pool ([`crate::ops::on_pool`]), so that the
/// fast ops' parallel calls run inline instead of handing work across threads.
pub fn train_model(
    spec: &AnyNetSpec,
    regnet: Option<&RegNetParams>,
    data: &dyn TrainData,
    cfg: &TrainConfig,
    checkpoint_dir: Option<&Path>,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<(RunRecord, AnyNet), TrainError> {
    crate::ops::on_pool(|| run_on_this_thread(spec, regnet, data, cfg, checkpoint_dir, on_event))
}

/// The body of [`train_model`].
fn run_on_this_thread(
    spec: &AnyNetSpec,
    regnet: Option<&RegNetParams>,
    data: &dyn TrainData,
    cfg: &TrainConfig,
    checkpoint_dir: Option<&Path>,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<(RunRecord, AnyNet), TrainError> {
    check_config(cfg)?;
    let started = Instant::now();
    let device = cfg.device.resolve()?;
    let (model, mut opt, mut state) = start(spec, cfg, &device, checkpoint_dir, on_event)?;
    let steps_per_epoch = cfg.steps_per_epoch(data);
    if steps_per_epoch == 0 {
        return Err(TrainError::Config("the training split is empty".into()));
    }
    let mut stop = StopReason::Completed;
    for epoch in state.epochs_done..cfg.epochs {
        let epoch_start = Instant::now();
        let run = EpochRun {
            model: &model,
            data,
            cfg,
            device: &device,
            epoch,
            steps_per_epoch,
            trained_before: state.train_seconds,
        };
        let sums = run.train(&mut opt, on_event)?;
        stop = sums.stop;
        state.train_seconds += epoch_start.elapsed().as_secs_f64();
        state.images_seen += sums.seen as u64;
        if stop == StopReason::Diverged || sums.seen == 0 {
            break;
        }
        let eval = evaluate_blocks(&model, data, eval_batch(cfg, &device))?;
        let record = EpochRecord {
            epoch,
            lr: sums.lr,
            steps: sums.steps,
            train_loss: sums.loss_sum / sums.seen as f64,
            train_error: 100.0 * sums.wrong as f64 / sums.seen as f64,
            test_error: Some(eval.error),
            test_error_blocks: eval.blocks,
            seconds: epoch_start.elapsed().as_secs_f64(),
        };
        on_event(&Event::Epoch(record.clone()));
        state.epochs.push(record);
        state.epochs_done = epoch + 1;
        if stop != StopReason::Completed {
            break;
        }
        if let Some(dir) = checkpoint_dir {
            save_checkpoint(dir, &model, &opt, &state)?;
        }
    }
    let record = finish(spec, regnet, data, cfg, &device, state, stop, started)?;
    Ok((record, model))
}

/// Inference batch of the loop's evaluations on the CPU. The batch is a speed setting only (an
/// image's logits do not depend on its batch mates in eval mode, tested); on one core 64–128
/// evaluate fastest and 256 is 8 % slower (docs/performance.md).
pub const CPU_EVAL_BATCH: usize = 128;

/// The loop's evaluation batch: [`CPU_EVAL_BATCH`] on the CPU, at least 256 on a GPU.
fn eval_batch(cfg: &TrainConfig, device: &Device) -> usize {
    if device.is_cpu() {
        CPU_EVAL_BATCH
    } else {
        cfg.batch_size.max(256)
    }
}

/// Settings no run can start with.
fn check_config(cfg: &TrainConfig) -> Result<(), TrainError> {
    if cfg.batch_size == 0 {
        return Err(TrainError::Config("batch_size must be at least 1".into()));
    }
    if !(0.0..1.0).contains(&cfg.label_smoothing) {
        return Err(TrainError::Config(format!(
            "label_smoothing {} must be in [0, 1)",
            cfg.label_smoothing
        )));
    }
    Ok(())
}

/// The seeded network and its optimiser, at the position of the checkpoint in
/// `checkpoint_dir` when it holds one of this run (refused when it holds another run's).
fn start(
    spec: &AnyNetSpec,
    cfg: &TrainConfig,
    device: &Device,
    checkpoint_dir: Option<&Path>,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<(AnyNet, Sgd, CheckpointState), TrainError> {
    let model = AnyNet::build(
        spec,
        &ModelConfig::default()
            .device(device.clone())
            .seed(cfg.seed)
            .zero_init(cfg.zero_init),
    )
    .map_err(model_err)?;
    let mut opt = Sgd::new(model.named_vars(), cfg.sgd.clone());
    let mut state = CheckpointState {
        epochs_done: 0,
        epochs: Vec::new(),
        train_seconds: 0.0,
        images_seen: 0,
        config: cfg.clone(),
        spec: spec.clone(),
    };
    if let Some(dir) = checkpoint_dir
        && let Some(saved) = load_checkpoint(dir, &model, &mut opt, device)?
    {
        if saved.config != *cfg || saved.spec != *spec {
            return Err(TrainError::Checkpoint(format!(
                "{dir:?} holds a checkpoint of another run (spec or configuration differ); remove it"
            )));
        }
        state = saved;
        on_event(&Event::Resumed {
            epoch: state.epochs_done,
        });
    }
    Ok((model, opt, state))
}

/// One epoch's training steps.
struct EpochRun<'a> {
    model: &'a AnyNet,
    data: &'a dyn TrainData,
    cfg: &'a TrainConfig,
    device: &'a Device,
    epoch: usize,
    steps_per_epoch: usize,
    /// Training seconds of the epochs before this one (for the time budget).
    trained_before: f64,
}

/// What one epoch's steps add up to, and why they stopped.
struct EpochSums {
    loss_sum: f64,
    seen: usize,
    wrong: usize,
    steps: usize,
    /// The learning rate of the last step.
    lr: f64,
    stop: StopReason,
}

impl EpochRun<'_> {
    /// Step through the epoch's batches until they run out, the time budget is spent or the
    /// loss diverges.
    fn train(
        &self,
        opt: &mut Sgd,
        on_event: &mut (dyn FnMut(&Event) + Send),
    ) -> Result<EpochSums, TrainError> {
        let (cfg, epoch, steps_per_epoch) = (self.cfg, self.epoch, self.steps_per_epoch);
        let epoch_start = Instant::now();
        let mut sums = EpochSums {
            loss_sum: 0.0,
            seen: 0,
            wrong: 0,
            steps: 0,
            lr: cfg.schedule.lr_at(epoch as f64, cfg.epochs),
            stop: StopReason::Completed,
        };
        let batches = self
            .data
            .train_batches(cfg.batch_size, cfg.seed, epoch, self.device)?;
        for batch in batches.take(steps_per_epoch) {
            let elapsed = self.trained_before + epoch_start.elapsed().as_secs_f64();
            if cfg.max_seconds.is_some_and(|m| elapsed >= m) {
                sums.stop = StopReason::TimeBudget;
                break;
            }
            let (x, y) = batch?;
            sums.lr = cfg.schedule.lr_at(
                epoch as f64 + sums.steps as f64 / steps_per_epoch as f64,
                cfg.epochs,
            );
            let logits = self.model.forward_t(&x, true).map_err(model_err)?;
            let loss = cross_entropy(&logits, &y, cfg.label_smoothing).map_err(candle_err)?;
            let loss_value = loss
                .to_dtype(DType::F64)
                .and_then(|l| l.to_scalar::<f64>())
                .map_err(candle_err)?;
            if !loss_value.is_finite() || loss_value > cfg.divergence_loss {
                sums.stop = StopReason::Diverged;
                break;
            }
            let grads = loss.backward().map_err(candle_err)?;
            opt.step(&grads, sums.lr).map_err(candle_err)?;
            let n = y.dims1().map_err(candle_err)?;
            sums.wrong += wrong(&logits, &y).map_err(candle_err)?;
            sums.loss_sum += loss_value * n as f64;
            sums.seen += n;
            sums.steps += 1;
            if cfg.log_every > 0 && sums.steps.is_multiple_of(cfg.log_every) {
                let secs = epoch_start.elapsed().as_secs_f64();
                on_event(&Event::Step {
                    epoch,
                    step: sums.steps,
                    steps: steps_per_epoch,
                    loss: loss_value,
                    lr: sums.lr,
                    images_per_second: sums.seen as f64 / secs.max(1e-9),
                });
            }
        }
        Ok(sums)
    }
}

/// The run's record: its sample, settings, epochs and best / final error (none when diverged).
#[allow(clippy::too_many_arguments)]
fn finish(
    spec: &AnyNetSpec,
    regnet: Option<&RegNetParams>,
    data: &dyn TrainData,
    cfg: &TrainConfig,
    device: &Device,
    state: CheckpointState,
    stop: StopReason,
    started: Instant,
) -> Result<RunRecord, TrainError> {
    let diverged = stop == StopReason::Diverged;
    let errors: Vec<f64> = state.epochs.iter().filter_map(|e| e.test_error).collect();
    Ok(RunRecord {
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        sample: Sample::new(spec.clone(), regnet.cloned(), data.resolution())
            .map_err(|e| TrainError::Config(e.to_string()))?,
        config: cfg.clone(),
        dataset: data.describe(),
        device: device_name(device),
        final_error: if diverged {
            None
        } else {
            errors.last().copied()
        },
        best_error: if diverged {
            None
        } else {
            errors.iter().copied().reduce(f64::min)
        },
        diverged,
        stop,
        images_per_second: state.images_seen as f64 / state.train_seconds.max(1e-9),
        seconds: started.elapsed().as_secs_f64(),
        epochs: state.epochs,
    })
}

const LATEST: &str = "latest.json";

fn ckpt_err(path: &Path, e: impl std::fmt::Display) -> TrainError {
    TrainError::Checkpoint(format!("{}: {e}", path.display()))
}

/// Save into `dir/epoch-E/` (weights, momentum, state), then point `dir/latest.json` at it
/// atomically and remove older epochs: a crash at any point leaves a complete checkpoint.
fn save_checkpoint(
    dir: &Path,
    model: &AnyNet,
    opt: &Sgd,
    state: &CheckpointState,
) -> Result<(), TrainError> {
    let name = format!("epoch-{}", state.epochs_done);
    let sub = dir.join(&name);
    std::fs::create_dir_all(&sub).map_err(|e| ckpt_err(&sub, e))?;
    model
        .save_safetensors(sub.join("model.safetensors"))
        .map_err(model_err)?;
    let momentum: HashMap<String, Tensor> = opt.state();
    let mpath = sub.join("momentum.safetensors");
    candle_core::safetensors::save(&momentum, &mpath).map_err(|e| ckpt_err(&mpath, e))?;
    let spath = sub.join("state.json");
    let json = serde_json::to_vec_pretty(state).expect("state serialises");
    crate::atomic::write_atomic(&spath, &json).map_err(|e| ckpt_err(&spath, e))?;
    for f in ["model.safetensors", "momentum.safetensors", "state.json"] {
        let p = sub.join(f);
        std::fs::File::open(&p)
            .and_then(|f| f.sync_all())
            .map_err(|e| ckpt_err(&p, e))?;
    }
    let latest = dir.join(LATEST);
    crate::atomic::write_atomic(
        &latest,
        serde_json::json!({ "dir": name }).to_string().as_bytes(),
    )
    .map_err(|e| ckpt_err(&latest, e))?;
    for entry in std::fs::read_dir(dir)
        .map_err(|e| ckpt_err(dir, e))?
        .flatten()
    {
        let p: PathBuf = entry.path();
        let fname = entry.file_name();
        let fname = fname.to_string_lossy();
        if fname.starts_with("epoch-") && *fname != name {
            let _ = std::fs::remove_dir_all(p);
        }
    }
    Ok(())
}

fn load_checkpoint(
    dir: &Path,
    model: &AnyNet,
    opt: &mut Sgd,
    device: &Device,
) -> Result<Option<CheckpointState>, TrainError> {
    let latest = dir.join(LATEST);
    let Ok(text) = std::fs::read_to_string(&latest) else {
        return Ok(None);
    };
    let pointer: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| ckpt_err(&latest, e))?;
    let name = pointer["dir"]
        .as_str()
        .ok_or_else(|| ckpt_err(&latest, "no \"dir\" field"))?;
    let sub = dir.join(name);
    let spath = sub.join("state.json");
    let state: CheckpointState =
        serde_json::from_slice(&std::fs::read(&spath).map_err(|e| ckpt_err(&spath, e))?)
            .map_err(|e| ckpt_err(&spath, e))?;
    if state.spec != *model.spec() {
        return Ok(Some(state));
    }
    model
        .load_safetensors(sub.join("model.safetensors"))
        .map_err(model_err)?;
    let mpath = sub.join("momentum.safetensors");
    let momentum =
        candle_core::safetensors::load(&mpath, device).map_err(|e| ckpt_err(&mpath, e))?;
    opt.load_state(momentum)
        .map_err(|source| TrainError::OptimState {
            path: mpath.clone(),
            source: Box::new(source),
        })?;
    Ok(Some(state))
}
