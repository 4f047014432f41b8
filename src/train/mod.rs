//! Short training runs (the paper's "low-epoch regime", §2.2): SGD with momentum, learning-rate
//! schedules with warm-up, the training loop, evaluation, run records and checkpoints.

mod optim;
mod schedule;

pub use optim::{Sgd, SgdConfig};
pub use schedule::{LrSchedule, LrShape};
