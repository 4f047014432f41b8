//! How much compute a notebook or demo may spend: `REGNET_LAB_BUDGET` = `smoke` (CI: each
//! notebook in a few minutes on 2 cores), `cpu` (meaningful curves on a laptop) or `gpu` (the
//! paper's scale where a GPU is present). Results at `smoke` budget are not evidence of anything.

use serde::{Deserialize, Serialize};

use crate::train::{DataSource, DeviceChoice, ImageData, LrSchedule, TrainConfig, TrainError};

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

    /// Models per sweep.
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
            Budget::Cpu => TrainConfig {
                epochs: 3,
                batch_size: 64,
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

    /// The data of a run: the embedded subset (limited at `smoke`), full Fashion-MNIST at `gpu`.
    pub fn data(self) -> Result<ImageData, TrainError> {
        match self {
            Budget::Smoke => Ok(ImageData::load(&DataSource::Embedded)?
                .with_train_limit(128)
                .with_eval_limit(100)),
            Budget::Cpu => ImageData::load(&DataSource::Embedded),
            Budget::Gpu => ImageData::load(&DataSource::FashionMnist(None)),
        }
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
