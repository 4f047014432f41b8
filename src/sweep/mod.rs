//! Sweeps: the paper's unit of evidence (§2.2) — n models sampled from one design space, each
//! trained with the same short schedule, stored with their complexity and error.
//!
//! A sweep directory holds `manifest.json` (what the sweep is) and one append-only
//! `results*.jsonl` per shard (what finished). Sample `i` is a pure function of the space, the
//! seed and `i`, so any process can run any index: running again skips every recorded index,
//! `--shard K/N` runs the indices `i ≡ K (mod N)` into its own file, and [`merge`] joins shards.
//!
//! Because sample `i` is a pure function of the space, a resumed sweep checks that it is still
//! the same sweep: the manifest carries a fingerprint of the space's first draws, and every
//! recorded run must be the model the space draws at its index today. A custom constraint is
//! stored by name only, so an edited closure under an unchanged name is caught there.

mod lock;
pub mod precomputed;
mod results;
mod schedule;
mod store;

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use lock::{LOCK_ENV, WriterLock, lock_path, utc};
pub use results::SweepResults;
pub use schedule::{Concurrency, SIDE_BY_SIDE_BELOW_FLOPS, Schedule};
pub use store::{Appender, CorruptLine, Loaded, quarantine_path, read_jsonl};

use crate::space::{DesignSpace, Sample, SpaceDescription, SpaceError};
use crate::train::{RunRecord, TrainConfig, TrainError};

/// Version of the on-disk format; a different one is refused with a clear error.
pub const FORMAT_VERSION: u32 = 1;

/// Errors of sweeps: I/O with the path, corrupt lines with their number, mismatched manifests.
#[derive(Debug, Error)]
pub enum SweepError {
    #[error("{action} {path}: {source}")]
    Io {
        path: PathBuf,
        action: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} line {line} is corrupt: {why}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        why: String,
    },
    #[error("{path}: {why}")]
    Manifest { path: PathBuf, why: String },
    #[error("manifests differ: {0}")]
    Mismatch(String),
    #[error("invalid shard '{0}': expected K/N with 0 ≤ K < N")]
    Shard(String),
    #[error(transparent)]
    Space(#[from] SpaceError),
    #[error("run {index} failed: {source}")]
    Run {
        index: u64,
        #[source]
        source: Box<TrainError>,
    },
    #[error("run {index}: cannot start {threads} training threads: {why}")]
    Threads {
        index: u64,
        threads: usize,
        why: String,
    },
    #[error(
        "{results} is being written by another sweep: {holder}. Wait for it (or stop it), or run \
         a shard (--shard K/N) into its own file"
    )]
    Locked { results: PathBuf, holder: String },
    #[error("{dir} holds another sweep: {why}")]
    Draws { dir: PathBuf, why: String },
    #[error(
        "the sweep says its dataset is '{declared}' but runs on '{actual}': build it with \
         Sweep::new(.., &data)"
    )]
    Dataset { declared: String, actual: String },
    #[error(
        "{space} counts its models' complexity at {counted}×{counted} but the data is \
         {actual}×{actual}: resample it first (ImageData::at_resolution({counted}))"
    )]
    Resolution {
        space: String,
        counted: usize,
        actual: usize,
    },
    #[error("resampling the data for {space}: {source}")]
    Resample {
        space: String,
        #[source]
        source: Box<TrainError>,
    },
}

impl SweepError {
    pub(crate) fn io(path: &Path, action: &str, source: std::io::Error) -> Self {
        SweepError::Io {
            path: path.to_path_buf(),
            action: action.to_string(),
            source,
        }
    }
}

/// What a sweep is: everything needed to recompute any of its samples and runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepManifest {
    pub format: u32,
    pub crate_version: String,
    pub space: SpaceDescription,
    /// Seed of the sample sequence.
    pub seed: u64,
    /// Number of samples (indices `0..n`).
    pub n: u64,
    pub train: TrainConfig,
    /// The dataset, as its loader describes it (e.g. `embedded`, `fashion-mnist:/usr/share/...`).
    pub dataset: String,
    /// Fingerprint of the space's first [`FINGERPRINT_DRAWS`] samples (SHA-256 of their specs):
    /// two spaces with the same description but other draws (an edited custom constraint under
    /// the same name) differ here. Absent in manifests written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draws: Option<String>,
}

/// How many of a space's first samples its manifest fingerprint covers.
pub const FINGERPRINT_DRAWS: u64 = 4;

impl SweepManifest {
    /// Why two manifests are not the same sweep, if they are not (`n` may differ: a sweep can
    /// be extended).
    pub fn mismatch(&self, other: &SweepManifest) -> Option<String> {
        if self.format != other.format {
            return Some(format!("format {} vs {}", self.format, other.format));
        }
        if self.space != other.space {
            return Some(format!(
                "design space {} vs {}",
                self.space.name, other.space.name
            ));
        }
        if self.seed != other.seed {
            return Some(format!("seed {} vs {}", self.seed, other.seed));
        }
        if self.train != other.train {
            return Some("training configuration (schedule, epochs, batch, …) differs".into());
        }
        if self.dataset != other.dataset {
            return Some(format!("dataset {} vs {}", self.dataset, other.dataset));
        }
        if let (Some(a), Some(b)) = (&self.draws, &other.draws)
            && a != b
        {
            return Some(format!(
                "the design space {} draws other models under the same description{}",
                self.space.name,
                custom_names(&self.space)
            ));
        }
        None
    }

    /// Read `dir/manifest.json`, refusing other format versions.
    pub fn load(dir: &Path) -> Result<Self, SweepError> {
        let path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).map_err(|e| SweepError::io(&path, "read", e))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| SweepError::Manifest {
                path: path.clone(),
                why: e.to_string(),
            })?;
        let format = value.get("format").and_then(|f| f.as_u64());
        if format != Some(FORMAT_VERSION as u64) {
            return Err(SweepError::Manifest {
                path,
                why: format!(
                    "written in format {format:?} (by regnet-lab {}); this version reads format {FORMAT_VERSION}",
                    value
                        .get("crate_version")
                        .and_then(|v| v.as_str())
                        .unwrap_or("?")
                ),
            });
        }
        serde_json::from_value(value).map_err(|e| SweepError::Manifest {
            path,
            why: e.to_string(),
        })
    }

    fn save(&self, dir: &Path) -> Result<(), SweepError> {
        let path = dir.join("manifest.json");
        let text = serde_json::to_string_pretty(self).expect("manifests serialise");
        crate::atomic::write_atomic(&path, text.as_bytes())
            .map_err(|e| SweepError::io(&path, "write", e))
    }
}

/// One shard `K/N` of a sweep: the indices `i` with `i mod N = K`. A shard skips the indices
/// that any results file of its directory records, so a sweep can go on under another layout
/// (2 shards, then 4) without retraining; two overlapping layouts running at once would train
/// some index twice (readers keep its first record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub k: u64,
    pub n: u64,
}

impl Shard {
    pub const WHOLE: Shard = Shard { k: 0, n: 1 };

    pub fn contains(&self, index: u64) -> bool {
        index % self.n == self.k
    }

    /// The results file of this shard inside a sweep directory.
    pub fn results_file(&self, dir: &Path) -> PathBuf {
        if self.n == 1 {
            dir.join("results.jsonl")
        } else {
            dir.join(format!("results-shard-{}-of-{}.jsonl", self.k, self.n))
        }
    }
}

impl std::str::FromStr for Shard {
    type Err = SweepError;
    fn from_str(s: &str) -> Result<Self, SweepError> {
        let bad = || SweepError::Shard(s.to_string());
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (u64, u64) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if n == 0 || k >= n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

/// A sweep to run: design space, seed, number of samples, training configuration, dataset.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub space: DesignSpace,
    pub seed: u64,
    pub n: u64,
    pub train: TrainConfig,
    /// The description of the data it trains on (`TrainData::describe`); training on other
    /// data is refused.
    pub dataset: String,
}

impl Sweep {
    /// `n` samples of `space` with `seed`, each trained with `train` on `data` (the sweep takes
    /// its dataset description from the data).
    pub fn new(
        space: DesignSpace,
        seed: u64,
        n: u64,
        train: TrainConfig,
        data: &dyn crate::train::TrainData,
    ) -> Self {
        Sweep {
            space,
            seed,
            n,
            train,
            dataset: data.describe(),
        }
    }
}

/// Indices recorded in the results files of `dir` other than `own` (torn or corrupt lines
/// skipped, as every reader does).
fn recorded_elsewhere(dir: &Path, own: &Path) -> Result<Vec<u64>, SweepError> {
    let entries = std::fs::read_dir(dir).map_err(|e| SweepError::io(dir, "list", e))?;
    let mut out = Vec::new();
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        let is_results = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("results") && n.ends_with(".jsonl"));
        if is_results && path != own {
            let loaded = read_jsonl::<RunRecord>(&path)?;
            out.extend(loaded.records.iter().filter_map(|r| r.sample.index));
        }
    }
    Ok(out)
}

/// What one call of [`Sweep::run_with`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Indices of this shard already recorded before the call.
    pub skipped: u64,
    /// Indices trained and recorded by this call.
    pub finished: u64,
    /// Indices of this shard still missing (time budget reached).
    pub remaining: u64,
}

/// ` (custom constraints, stored by name only: 'a', 'b')`, or nothing when there are none.
fn custom_names(space: &SpaceDescription) -> String {
    let names: Vec<String> = space
        .constraints
        .iter()
        .filter(|c| c.is_custom())
        .map(|c| format!("'{}'", c.name()))
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!(
            " (custom constraints are stored by name only: was {} edited?)",
            names.join(", ")
        )
    }
}

impl Sweep {
    /// What this sweep is, with the fingerprint of its space's first draws.
    pub fn manifest(&self) -> Result<SweepManifest, SweepError> {
        Ok(SweepManifest {
            format: FORMAT_VERSION,
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            space: self.space.describe(),
            seed: self.seed,
            n: self.n,
            train: self.train.clone(),
            dataset: self.dataset.clone(),
            draws: Some(self.fingerprint()?),
        })
    }

    /// SHA-256 of the specs of samples `0..FINGERPRINT_DRAWS` (whatever `n` is, so that an
    /// extended sweep keeps its fingerprint).
    fn fingerprint(&self) -> Result<String, SweepError> {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        for i in 0..FINGERPRINT_DRAWS {
            let s = self.space.sample(self.seed, i)?;
            hash.update(serde_json::to_vec(&(&s.spec, &s.regnet)).expect("specs serialise"));
        }
        Ok(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Check that every record is the model the space draws at its index now, so results of
    /// another space (an edited custom constraint) are never passed off as this sweep's.
    pub fn check_draws(&self, dir: &Path, records: &[RunRecord]) -> Result<(), SweepError> {
        for r in records {
            let Some(i) = r.sample.index else { continue };
            let s = self.space.sample(self.seed, i)?;
            if s.spec != r.sample.spec || s.regnet != r.sample.regnet {
                return Err(SweepError::Draws {
                    dir: dir.to_path_buf(),
                    why: format!(
                        "its run {i} (widths {:?}) is not the model that {} draws at index {i} \
                         now (widths {:?}){}; use another directory or rename the constraint",
                        r.sample.spec.stage_widths(),
                        self.space.name(),
                        s.spec.stage_widths(),
                        custom_names(&self.space.describe())
                    ),
                });
            }
        }
        Ok(())
    }

    /// Prepare `dir`: write the manifest, or check that the one there is the same sweep.
    pub fn prepare(&self, dir: &Path) -> Result<(), SweepError> {
        std::fs::create_dir_all(dir).map_err(|e| SweepError::io(dir, "create", e))?;
        let mine = self.manifest()?;
        if dir.join("manifest.json").exists() {
            let theirs = SweepManifest::load(dir)?;
            if let Some(why) = mine.mismatch(&theirs) {
                return Err(SweepError::Manifest {
                    path: dir.join("manifest.json"),
                    why: format!("{dir:?} holds another sweep: {why}"),
                });
            }
            if theirs.n >= mine.n {
                return Ok(());
            }
        }
        mine.save(dir)
    }

    /// Take `dir`'s results file for `shard` (its lock, its repairs), check what it holds, and
    /// list the indices still to train.
    fn begin(
        &self,
        dir: &Path,
        shard: Shard,
    ) -> Result<(Appender, RunSummary, Vec<u64>), SweepError> {
        self.prepare(dir)?;
        let file = shard.results_file(dir);
        // The lock first: from here on no other process appends to this file.
        let (appender, recorded) = Appender::open::<RunRecord>(&file)?;
        self.check_draws(dir, &recorded)?;
        let mine: std::collections::HashSet<u64> =
            recorded.iter().filter_map(|r| r.sample.index).collect();
        // A process killed between appending a record and removing that run's checkpoint
        // leaves the checkpoint behind: the run is finished, so it goes now (only indices this
        // shard has recorded; another shard's runs in progress are not touched).
        for &i in &mine {
            let ckpt = dir.join("checkpoints").join(i.to_string());
            if ckpt.exists() {
                let _ = std::fs::remove_dir_all(&ckpt);
            }
        }
        // Runs another results file of the directory holds (another shard layout, a merged
        // file) are done too: a sweep sharded 2 ways can go on 4 ways without retraining.
        let mut done = mine;
        done.extend(recorded_elsewhere(dir, &file)?);
        let todo: Vec<u64> = (0..self.n)
            .filter(|i| shard.contains(*i) && !done.contains(i))
            .collect();
        let summary = RunSummary {
            skipped: (0..self.n)
                .filter(|i| shard.contains(*i) && done.contains(i))
                .count() as u64,
            finished: 0,
            remaining: todo.len() as u64,
        };
        Ok((appender, summary, todo))
    }

    /// Run the missing indices of `shard` into `dir`, one at a time, training each sample with
    /// `train_one` (given the sample and a checkpoint directory it may resume from), until done
    /// or until `budget_seconds` have passed (checked between runs). `progress` hears every
    /// finished run. [`Sweep::run_concurrently`] trains several at once.
    pub fn run_with(
        &self,
        dir: &Path,
        shard: Shard,
        budget_seconds: Option<f64>,
        mut train_one: impl FnMut(&Sample, &Path) -> Result<RunRecord, SweepError>,
        mut progress: impl FnMut(&RunRecord, &RunSummary),
    ) -> Result<RunSummary, SweepError> {
        let (mut appender, mut summary, todo) = self.begin(dir, shard)?;
        let start = Instant::now();
        for index in todo {
            if budget_seconds.is_some_and(|b| start.elapsed().as_secs_f64() >= b) {
                break;
            }
            let sample = self.space.sample(self.seed, index)?;
            let ckpt = dir.join("checkpoints").join(format!("{index}"));
            let mut record = train_one(&sample, &ckpt)?;
            record.sample.index = Some(index);
            appender.append(&record)?;
            // The record is durable: the run's checkpoint is no longer needed.
            let _ = std::fs::remove_dir_all(&ckpt);
            summary.finished += 1;
            summary.remaining -= 1;
            progress(&record, &summary);
        }
        Ok(summary)
    }

    /// [`Sweep::run_with`], training as many models at once as `concurrency` allows (each on
    /// its own rayon pool); finished runs are appended by this thread, in the order they finish.
    /// Every run's numbers are those of a sequential sweep.
    pub fn run_concurrently(
        &self,
        dir: &Path,
        shard: Shard,
        budget_seconds: Option<f64>,
        concurrency: Concurrency,
        train_one: impl Fn(&Sample, &Path) -> Result<RunRecord, SweepError> + Sync,
        mut progress: impl FnMut(&RunRecord, &RunSummary),
    ) -> Result<RunSummary, SweepError> {
        let (mut appender, mut summary, todo) = self.begin(dir, shard)?;
        schedule::train_all(
            &todo,
            &|i| Ok(self.space.sample(self.seed, i)?),
            dir,
            concurrency,
            budget_seconds,
            &mut appender,
            &mut summary,
            &train_one,
            &mut progress,
        )?;
        Ok(summary)
    }
}

impl Sweep {
    /// Train one sample of this sweep on `data` with the sweep's recipe, resuming from the
    /// checkpoint in `ckpt` if there is one: what [`Sweep::run`] and the command line do per
    /// index.
    pub fn train_sample(
        &self,
        sample: &Sample,
        data: &dyn crate::train::TrainData,
        ckpt: &Path,
    ) -> Result<RunRecord, SweepError> {
        crate::train::train_with(
            &sample.spec,
            sample.regnet.as_ref(),
            data,
            &self.train,
            Some(ckpt),
            &mut |_| {},
        )
        .map_err(|e| SweepError::Run {
            index: sample.index.unwrap_or_default(),
            source: Box::new(e),
        })
    }

    /// Train (or resume) this process's part of the sweep into `dir`, every sample on `data`
    /// with the sweep's recipe, as `schedule` says; `progress` hears every finished run. The
    /// data must be the sweep's (`dataset` is its description).
    pub fn train_on(
        &self,
        dir: &Path,
        data: &dyn crate::train::TrainData,
        schedule: Schedule,
        progress: impl FnMut(&RunRecord, &RunSummary),
    ) -> Result<RunSummary, SweepError> {
        if self.dataset != data.describe() {
            return Err(SweepError::Dataset {
                declared: self.dataset.clone(),
                actual: data.describe(),
            });
        }
        // A space's regime says the resolution its flops are counted at; training at another
        // would record models that are not the ones drawn.
        if self.space.regime().is_some() && self.space.resolution() != data.resolution() {
            return Err(SweepError::Resolution {
                space: self.space.name().to_string(),
                counted: self.space.resolution(),
                actual: data.resolution(),
            });
        }
        self.run_concurrently(
            dir,
            schedule.shard,
            schedule.budget_seconds,
            schedule.concurrency,
            |sample, ckpt| self.train_sample(sample, data, ckpt),
            progress,
        )
    }

    /// Run (or resume) the whole sweep into `dir` on this machine, training every sample on
    /// `data`, printing one line per finished run; returns everything recorded there.
    ///
    /// This is the notebook's entry point: a cell interrupted or re-run picks up where it
    /// stopped, since finished runs are on disk.
    pub fn run(
        &self,
        dir: impl AsRef<Path>,
        data: &dyn crate::train::TrainData,
    ) -> Result<SweepResults, SweepError> {
        let dir = dir.as_ref();
        let summary = self.train_on(dir, data, Schedule::default(), |r, s| {
            println!(
                "{} {}/{}: {:.2} MF, error {}, {:.0} img/s, {:.1} s",
                self.space.name(),
                s.skipped + s.finished,
                self.n,
                r.sample.complexity.flops as f64 / 1e6,
                r.best_error
                    .map_or("diverged".into(), |e| format!("{e:.2}%")),
                r.images_per_second,
                r.seconds
            )
        })?;
        if summary.skipped > 0 {
            println!(
                "{}: {} runs were already recorded",
                self.space.name(),
                summary.skipped
            );
        }
        SweepResults::load(dir)
    }
}

/// Join the results of several sweep directories (shards of one sweep, or copies) into `out`:
/// refuses manifests that differ, keeps one record per index (the first seen).
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<SweepResults, SweepError> {
    let Some(first) = dirs.first() else {
        return Err(SweepError::Mismatch("nothing to merge".into()));
    };
    let mut manifest = SweepManifest::load(first)?;
    let mut all = Vec::new();
    for dir in dirs {
        let m = SweepManifest::load(dir)?;
        if let Some(why) = manifest.mismatch(&m) {
            return Err(SweepError::Mismatch(format!(
                "{first:?} and {dir:?}: {why}"
            )));
        }
        manifest.n = manifest.n.max(m.n);
        all.extend(SweepResults::load(dir)?.records);
    }
    let mut seen = std::collections::HashSet::new();
    all.retain(|r| r.sample.index.is_none_or(|i| seen.insert(i)));
    all.sort_by_key(|r| r.sample.index);
    std::fs::create_dir_all(out).map_err(|e| SweepError::io(out, "create", e))?;
    let file = Shard::WHOLE.results_file(out);
    // The output is written whole; the lock keeps a sweep from appending to it meanwhile.
    let _lock = WriterLock::acquire(&file)?;
    manifest.save(out)?;
    let mut body = String::new();
    for r in &all {
        body.push_str(&serde_json::to_string(r).expect("records serialise"));
        body.push('\n');
    }
    crate::atomic::write_atomic(&file, body.as_bytes())
        .map_err(|e| SweepError::io(&file, "write", e))?;
    SweepResults::load(out)
}
