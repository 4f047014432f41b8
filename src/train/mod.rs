//! Short training runs (the paper's "low-epoch regime", §2.2): SGD with momentum, learning-rate
//! schedules with warm-up, the training loop, evaluation, run records and checkpoints.

mod data;
mod device;
mod optim;
mod record;
mod run;
mod schedule;

pub use data::{DataSource, EvalSplit, ImageData};
pub use device::{DeviceChoice, device_name};
pub use optim::{OptimStateError, Sgd, SgdConfig};
pub use record::{EpochRecord, RunRecord, StopReason, TrainConfig};
pub use run::{
    BLOCK_PER_CLASS, Batch, CPU_EVAL_BATCH, Evaluation, Event, TrainData, cross_entropy, evaluate,
    evaluate_blocks, print_event, train, train_model, train_with,
};
pub use schedule::{LrSchedule, LrShape};

use thiserror::Error;

/// Errors of training: bad configuration, devices, the model, the data, checkpoints.
#[derive(Debug, Error)]
pub enum TrainError {
    #[error("device {0}")]
    Device(String),
    #[error("invalid training configuration: {0}")]
    Config(String),
    #[error("model: {0}")]
    Model(#[from] crate::model::ModelError),
    #[error("tensor operation failed: {0}")]
    Candle(#[from] candle_core::Error),
    /// A dataset that cannot be read or split (the source error is kept).
    #[error("data: {0}")]
    Dataset(#[from] crate::data::DataError),
    /// Data that does not fit the run (a message).
    #[error("data: {0}")]
    Data(String),
    #[error("checkpoint {0}")]
    Checkpoint(String),
    /// A checkpoint's momentum buffers that do not fit the optimiser (the cause is kept).
    #[error("checkpoint {}: {source}", path.display())]
    OptimState {
        path: std::path::PathBuf,
        #[source]
        source: Box<OptimStateError>,
    },
}
