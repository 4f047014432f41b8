//! What a run is asked to do ([`TrainConfig`]) and what it did ([`RunRecord`]): plain serde data,
//! one JSON line per run in a sweep, enough to reproduce the run and to analyse it.

use serde::{Deserialize, Serialize};

use super::{DeviceChoice, LrSchedule, SgdConfig};
use crate::space::Sample;

/// A training run's settings. Defaults: a short CPU run in the style of the paper's low-epoch
/// regime (cosine from 0.1, Nesterov momentum 0.9, weight decay 5e-4, batch 128, 5 epochs).
///
/// One default differs from pycls: the rate changes every step, not once per epoch, because a
/// warm-up shorter than a short run needs per-step changes to mean anything.
///
/// `zero_init` is off, as in pycls: on short runs of small nets it costs error, while deep nets
/// at high rates need it or a warm-up (`docs/performance.md`, "Training defaults"; the evidence
/// recipe warms up instead, `docs/noise-budget.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub schedule: LrSchedule,
    pub sgd: SgdConfig,
    /// Seed of the initialisation, the data order and the augmentation.
    pub seed: u64,
    /// Stop between steps once this many seconds of training have passed.
    pub max_seconds: Option<f64>,
    /// At most this many optimiser steps per epoch (for smoke runs; `None`: whole epochs).
    pub max_steps_per_epoch: Option<usize>,
    /// Label smoothing ε of the cross-entropy (pycls CIFAR sweep: 0.1).
    pub label_smoothing: f64,
    /// Print a progress line every this many steps (0: once per epoch only).
    pub log_every: usize,
    /// Zero-initialise the last BN γ of every residual branch.
    pub zero_init: bool,
    pub device: DeviceChoice,
    /// Losses above this (or NaN) end the run as diverged.
    pub divergence_loss: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 5,
            batch_size: 128,
            schedule: LrSchedule::cosine(0.1).per_step(),
            sgd: SgdConfig::default(),
            seed: 0,
            max_seconds: None,
            max_steps_per_epoch: None,
            label_smoothing: 0.0,
            log_every: 0,
            zero_init: false,
            device: DeviceChoice::Cpu,
            divergence_loss: 1e4,
        }
    }
}

impl TrainConfig {
    /// Optimiser steps in one epoch on `data`: the data's own count (a dropped last partial
    /// batch is not a step, so the per-step schedule ends each run where it should, cosine at 0,
    /// not one step short), capped by `max_steps_per_epoch`.
    pub fn steps_per_epoch(&self, data: &dyn super::TrainData) -> usize {
        let full = data.steps_per_epoch(self.batch_size);
        self.max_steps_per_epoch.map_or(full, |m| m.min(full))
    }
}

/// One epoch's measurements. Errors are top-1 in percent, as pycls reports them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    pub lr: f64,
    pub steps: usize,
    pub train_loss: f64,
    pub train_error: f64,
    /// Error on the evaluation split (test by default) after this epoch.
    pub test_error: Option<f64>,
    /// Errors on the evaluation split's consecutive class-balanced blocks of 100 images per
    /// class (see `train::Evaluation::blocks`); empty when the split has fewer than two blocks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test_error_blocks: Vec<f64>,
    /// Seconds of this epoch, evaluation included.
    pub seconds: f64,
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// All epochs done.
    Completed,
    /// The time budget ran out first.
    TimeBudget,
    /// Loss became NaN or exploded.
    Diverged,
}

/// Everything a finished run reports: the [`Sample`] it trained (its fields sit at the top
/// level of the JSON line: `sample_index`, `spec`, `regnet`, `complexity`, `resolution`), how it
/// was trained and what it measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub crate_version: String,
    /// The model trained, its complexity at the training resolution.
    #[serde(flatten)]
    pub sample: Sample,
    pub config: TrainConfig,
    /// The dataset and split it was trained and evaluated on.
    pub dataset: String,
    /// Device actually used (`cpu`, `cuda:0`).
    pub device: String,
    pub epochs: Vec<EpochRecord>,
    /// Top-1 test error (%) at the end; `None` when diverged.
    pub final_error: Option<f64>,
    /// Best top-1 test error (%) over epochs (what pycls's sweeps report).
    pub best_error: Option<f64>,
    pub diverged: bool,
    pub stop: StopReason,
    /// Training throughput (images per second, evaluation excluded).
    pub images_per_second: f64,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
}

impl RunRecord {
    /// A record of `sample` with the given error and no training behind it (diverged when
    /// `None`): for tests, doc examples and synthetic sweeps that exercise the statistics.
    ///
    /// ```
    /// use regnet_lab::{space::DesignSpace, train::RunRecord};
    /// let s = DesignSpace::anynet_x_a().sample(0, 3)?;
    /// let r = RunRecord::synthetic(&s, Some(21.5));
    /// assert_eq!((r.sample.index, r.error()), (Some(3), Some(21.5)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn synthetic(sample: &Sample, error: Option<f64>) -> Self {
        RunRecord {
            crate_version: env!("CARGO_PKG_VERSION").into(),
            sample: sample.clone(),
            config: TrainConfig::default(),
            dataset: "synthetic".into(),
            device: "none".into(),
            epochs: Vec::new(),
            final_error: error,
            best_error: error,
            diverged: error.is_none(),
            stop: if error.is_some() {
                StopReason::Completed
            } else {
                StopReason::Diverged
            },
            images_per_second: 0.0,
            seconds: 0.0,
        }
    }

    /// The error used to compare models: the best test error over epochs, as in pycls's sweeps.
    pub fn error(&self) -> Option<f64> {
        self.best_error
    }
}
