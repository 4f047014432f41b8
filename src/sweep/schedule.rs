//! Training several models of a sweep at once.
//!
//! A sweep of tiny networks (a few megaflops on 28×28 images) keeps two cores busier with two
//! models at once, one thread each, than with one model on both threads: besides its training
//! steps, each model has serial phases (building, evaluation, checkpoints, records) that the
//! other model's training then overlaps (`scripts/bench_sweep.sh`; the numbers are in
//! `docs/performance.md`, "Sweeps"). Side by side needs candle's element-wise pool at one
//! thread (`CANDLE_NUM_THREADS=1`, which the CLI sets): two trainers sharing a larger pool
//! serialise on its lock. A large model trains alone on every thread.
//!
//! Results do not depend on it: every reduction over images in the crate's ops is split into a
//! fixed number of runs (`ops::IMAGE_RUNS`), not one per thread, so a model trains to the same
//! weights and errors with one thread or two, whatever runs beside it. Finished runs are
//! appended by the calling thread alone, through the sweep's one [`Appender`]: its lock, its
//! fsync per record and the resume rules are those of a sequential sweep.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{Appender, RunSummary, SweepError};
use crate::space::Sample;
use crate::train::RunRecord;

/// Which runs of a sweep one process trains, for how long, and how many at once: what
/// `regnet-lab sweep` and `evidence` take as `--shard`, `--time-budget` and `--concurrency`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// The indices this process trains (`Shard::WHOLE`: all of them).
    pub shard: super::Shard,
    /// Stop launching runs after this many seconds (runs in progress finish).
    pub budget_seconds: Option<f64>,
    pub concurrency: Concurrency,
}

impl Default for Schedule {
    /// The whole sweep, no time limit, [`Concurrency::auto`].
    fn default() -> Self {
        Schedule {
            shard: super::Shard::WHOLE,
            budget_seconds: None,
            concurrency: Concurrency::auto(),
        }
    }
}

/// Below this many flops (at the training resolution) `auto` trains a model on one thread,
/// side by side with another: the cpu-budget sweep's 1–6 MF models gain from it, larger models
/// were not measured to (`docs/performance.md`, "Sweeps"), so they train alone on every
/// thread.
pub const SIDE_BY_SIDE_BELOW_FLOPS: u64 = 6_000_000;

/// How many models a sweep trains at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Concurrency {
    /// One model at a time, on every thread (the behaviour of sweeps before concurrency).
    Sequential,
    /// Models below `below_flops` train on one thread each, up to `threads` of them at once;
    /// larger models train alone on all `threads`.
    SideBySide { threads: usize, below_flops: u64 },
}

impl Default for Concurrency {
    fn default() -> Self {
        Concurrency::auto()
    }
}

impl Concurrency {
    /// Side by side on rayon's thread count (`RAYON_NUM_THREADS`, else the cores) below
    /// [`SIDE_BY_SIDE_BELOW_FLOPS`], as measured fastest (module docs).
    pub fn auto() -> Self {
        Concurrency::SideBySide {
            threads: rayon::current_num_threads().max(1),
            below_flops: SIDE_BY_SIDE_BELOW_FLOPS,
        }
    }

    /// Up to `models` side by side, one thread each, whatever their size (`1`: sequential).
    pub fn models_at_once(models: usize) -> Self {
        if models <= 1 {
            Concurrency::Sequential
        } else {
            Concurrency::SideBySide {
                threads: models,
                below_flops: u64::MAX,
            }
        }
    }

    /// All threads the sweep may use.
    pub fn threads(&self) -> usize {
        match *self {
            Concurrency::Sequential => rayon::current_num_threads().max(1),
            Concurrency::SideBySide { threads, .. } => threads.max(1),
        }
    }

    /// Threads for one model of `flops`.
    pub fn threads_for(&self, flops: u64) -> usize {
        match *self {
            Concurrency::SideBySide { below_flops, .. } if flops < below_flops => 1,
            _ => self.threads(),
        }
    }
}

/// What a worker thread sends back: the index, its checkpoint directory, the threads it held,
/// and the run's record or error.
type Finished = (u64, PathBuf, usize, Result<RunRecord, SweepError>);

/// Train the samples `todo` (in order of launch) with `train_one`, as many at once as
/// `concurrency` allows, appending each finished run through `appender` on this thread.
/// Stops launching when `budget_seconds` have passed or a run fails; runs already started are
/// waited for and recorded, then the first error is returned.
#[allow(clippy::too_many_arguments)]
pub(crate) fn train_all(
    todo: &[u64],
    sample: &dyn Fn(u64) -> Result<Sample, SweepError>,
    dir: &Path,
    concurrency: Concurrency,
    budget_seconds: Option<f64>,
    appender: &mut Appender,
    summary: &mut RunSummary,
    train_one: &(dyn Fn(&Sample, &Path) -> Result<RunRecord, SweepError> + Sync),
    progress: &mut dyn FnMut(&RunRecord, &RunSummary),
) -> Result<(), SweepError> {
    let start = Instant::now();
    let total = concurrency.threads();
    let (tx, rx) = mpsc::channel::<Finished>();
    let mut failure: Option<SweepError> = None;
    std::thread::scope(|scope| {
        let mut next = 0usize;
        let mut pending: Option<Sample> = None;
        let (mut free, mut running) = (total, 0usize);
        loop {
            // Launch what fits.
            while failure.is_none()
                && next < todo.len()
                && !budget_seconds.is_some_and(|b| start.elapsed().as_secs_f64() >= b)
            {
                let s = match pending.take() {
                    Some(s) => s,
                    None => match sample(todo[next]) {
                        Ok(s) => s,
                        Err(e) => {
                            failure = Some(e);
                            break;
                        }
                    },
                };
                let want = concurrency.threads_for(s.complexity.flops).min(total);
                if want > free {
                    // A large model waits for the cores; nothing overtakes it.
                    pending = Some(s);
                    break;
                }
                let index = todo[next];
                next += 1;
                free -= want;
                running += 1;
                let tx = tx.clone();
                let ckpt = dir.join("checkpoints").join(index.to_string());
                scope.spawn(move || {
                    let result = rayon::ThreadPoolBuilder::new()
                        .num_threads(want)
                        .thread_name(move |i| format!("sweep-{index}-{i}"))
                        .build()
                        .map_err(|e| SweepError::Threads {
                            index,
                            threads: want,
                            why: e.to_string(),
                        })
                        .and_then(|pool| pool.install(|| train_one(&s, &ckpt)));
                    let _ = tx.send((index, ckpt, want, result));
                });
            }
            if running == 0 {
                break;
            }
            let Ok((index, ckpt, threads, result)) = rx.recv() else {
                break;
            };
            running -= 1;
            free += threads;
            let recorded = result.and_then(|mut record| {
                record.sample.index = Some(index);
                appender.append(&record)?;
                Ok(record)
            });
            match recorded {
                Ok(record) => {
                    // The record is durable: the run's checkpoint is no longer needed.
                    let _ = std::fs::remove_dir_all(&ckpt);
                    summary.finished += 1;
                    summary.remaining -= 1;
                    progress(&record, summary);
                }
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
