//! How much compute a notebook or demo may spend: `REGNET_LAB_BUDGET` = `smoke` (CI: each
//! notebook in a few minutes on 2 cores), `cpu` (meaningful curves on a laptop) or `gpu` (the
//! paper's scale where a GPU is present). Results at `smoke` budget are not evidence of anything.

use serde::{Deserialize, Serialize};

use crate::train::{DataSource, DeviceChoice, ImageData, LrSchedule, TrainConfig, TrainError};

/// Training images of a `cpu`-budget run (class-balanced, the first of each class).
pub const CPU_TRAIN_IMAGES: usize = 6_000;

/// Linear warm-up of a `cpu`-budget run, in epochs: without it, 9 of 32 RegNetX runs stayed
/// near chance after the first epoch (docs/noise-budget.md).
pub const CPU_WARMUP_EPOCHS: f64 = 0.5;

/// A compute budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    Smoke,
    Cpu,
    Gpu,
}

impl Budget {
    /// From `REGNET_LAB_BUDGET` (default `cpu`); an unknown value is an error, not a guess.
    pub fn from_env() -> Result<Self, TrainError> {
        match std::env::var("REGNET_LAB_BUDGET").as_deref() {
            Err(_) | Ok("") | Ok("cpu") => Ok(Budget::Cpu),
            Ok("smoke") => Ok(Budget::Smoke),
            Ok("gpu") => Ok(Budget::Gpu),
            Ok(other) => Err(TrainError::Config(format!(
                "REGNET_LAB_BUDGET='{other}': expected smoke, cpu or gpu"
            ))),
        }
    }

    /// Models per sweep a notebook trains itself (at `cpu` budget only where no committed
    /// sweep exists: the committed evidence holds up to [`EVIDENCE_MODELS`] per space).
    ///
    /// [`EVIDENCE_MODELS`]: crate::sweep::precomputed::EVIDENCE_MODELS
    pub fn sweep_size(self) -> u64 {
        match self {
            Budget::Smoke => 3,
            Budget::Cpu => 32,
            Budget::Gpu => 500,
        }
    }

    /// The training recipe of one run (the paper's low-epoch regime, scaled down).
    pub fn train_config(self) -> TrainConfig {
        let base = TrainConfig {
            device: DeviceChoice::Auto,
            ..TrainConfig::default()
        };
        match self {
            Budget::Smoke => TrainConfig {
                epochs: 1,
                batch_size: 32,
                max_steps_per_epoch: Some(4),
                schedule: LrSchedule::cosine(0.1).per_step(),
                ..base
            },
            // The recipe of the committed evidence, chosen from the measured noise budget
            // (docs/noise-budget.md): 3 epochs, batch 64, cosine per step from 0.1 after
            // CPU_WARMUP_EPOCHS of linear warm-up.
            Budget::Cpu => TrainConfig {
                epochs: 3,
                batch_size: 64,
                schedule: LrSchedule::cosine(0.1)
                    .with_warmup(CPU_WARMUP_EPOCHS)
                    .per_step(),
                ..base
            },
            Budget::Gpu => TrainConfig {
                epochs: 10,
                batch_size: 128,
                schedule: LrSchedule::cosine(0.1).with_warmup(1.0).per_step(),
                ..base
            },
        }
    }

    /// The data of a run: the embedded subset at `smoke`; at `cpu`, [`CPU_TRAIN_IMAGES`]
    /// class-balanced training images of the full Fashion-MNIST (Debian's
    /// `dataset-fashion-mnist`), evaluated on all 10,000 test images (a 1,000-image test set
    /// adds twice the noise of the training seed, docs/noise-budget.md); at `gpu`, all of it.
    pub fn data(self) -> Result<ImageData, TrainError> {
        match self {
            Budget::Smoke => Ok(ImageData::load(&DataSource::Embedded)?
                .with_train_limit(128)
                .with_eval_limit(100)),
            Budget::Cpu => Ok(ImageData::load(&DataSource::FashionMnist(None))?
                .with_train_limit(CPU_TRAIN_IMAGES)),
            Budget::Gpu => ImageData::load(&DataSource::FashionMnist(None)),
        }
    }

    /// Where a notebook trains its sweep of `space` at this budget:
    /// `out/<notebook>-<budget>/<space>`.
    ///
    /// ```
    /// use regnet_lab::{budget::Budget, space::DesignSpace};
    /// let dir = Budget::Smoke.out_dir("notebook-01", &DesignSpace::anynet_x_a());
    /// assert_eq!(dir, std::path::Path::new("out/notebook-01-smoke/anynetx_a"));
    /// ```
    pub fn out_dir(self, notebook: &str, space: &crate::space::DesignSpace) -> std::path::PathBuf {
        let budget = match self {
            Budget::Smoke => "smoke",
            Budget::Cpu => "cpu",
            Budget::Gpu => "gpu",
        };
        std::path::Path::new("out")
            .join(format!("{notebook}-{budget}"))
            .join(crate::sweep::precomputed::slug(space.name()))
    }

    /// A label for figure titles and tables.
    pub fn label(self) -> &'static str {
        match self {
            Budget::Smoke => "smoke budget (CI check, not evidence)",
            Budget::Cpu => "cpu budget",
            Budget::Gpu => "gpu budget",
        }
    }
}
