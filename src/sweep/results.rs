//! Loading finished sweeps and reading them as columns for the statistics.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{SweepError, SweepManifest, read_jsonl};
use crate::space::Property;
use crate::train::RunRecord;

/// The records of a sweep (all shards), with its manifest when loaded from a directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepResults {
    pub manifest: Option<SweepManifest>,
    pub records: Vec<RunRecord>,
    /// Torn last lines ignored while loading (a crash mid-write).
    pub torn_lines: usize,
    /// Complete but unreadable lines skipped while loading (with a warning on stderr).
    #[serde(default)]
    pub corrupt_lines: usize,
}

impl SweepResults {
    /// Records without a directory (made in memory, or read from elsewhere).
    pub fn from_records(records: Vec<RunRecord>) -> Self {
        SweepResults {
            manifest: None,
            records,
            torn_lines: 0,
            corrupt_lines: 0,
        }
    }

    /// Load a sweep directory (its manifest and every `results*.jsonl`) or one JSONL file.
    /// Records are sorted by sample index; an index recorded twice (two shards that overlap)
    /// keeps its first record.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, SweepError> {
        let path = path.as_ref();
        let meta = std::fs::metadata(path).map_err(|e| SweepError::io(path, "open", e))?;
        let (manifest, files) = if meta.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(path)
                .map_err(|e| SweepError::io(path, "list", e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("results") && n.ends_with(".jsonl"))
                })
                .collect();
            files.sort();
            (Some(SweepManifest::load(path)?), files)
        } else {
            (None, vec![path.to_path_buf()])
        };
        let mut records: Vec<RunRecord> = Vec::new();
        let mut torn_lines = 0;
        let mut corrupt_lines = 0;
        for f in files {
            let loaded = read_jsonl::<RunRecord>(&f)?;
            torn_lines += usize::from(loaded.torn_bytes > 0);
            corrupt_lines += loaded.corrupt.len();
            if let Some(warning) = loaded.warning(&f) {
                eprintln!("{warning}");
            }
            records.extend(loaded.records);
        }
        records.sort_by_key(|r| r.sample.index);
        let mut seen = std::collections::HashSet::new();
        records.retain(|r| r.sample.index.is_none_or(|i| seen.insert(i)));
        Ok(SweepResults {
            manifest,
            records,
            torn_lines,
            corrupt_lines,
        })
    }

    /// Name of the design space, when known.
    pub fn space_name(&self) -> Option<&str> {
        self.manifest.as_ref().map(|m| m.space.name.as_str())
    }

    /// Records that finished with an error (diverged runs excluded).
    pub fn valid(&self) -> impl Iterator<Item = &RunRecord> {
        self.records
            .iter()
            .filter(|r| !r.diverged && r.error().is_some_and(f64::is_finite))
    }

    /// Number of diverged (or error-less) runs, excluded from every column.
    pub fn excluded(&self) -> usize {
        self.records.len() - self.valid().count()
    }

    /// Top-1 errors (%) of the valid runs, in sample order.
    pub fn errors(&self) -> Vec<f64> {
        self.valid().filter_map(RunRecord::error).collect()
    }

    /// A property of every valid run, aligned with [`SweepResults::errors`]; `NaN` where a
    /// model lacks it (stage 4 of a 3-stage net, `wm` of an AnyNet).
    pub fn column(&self, property: Property) -> Vec<f64> {
        self.valid()
            .map(|r| r.sample.property(property).unwrap_or(f64::NAN))
            .collect()
    }

    pub fn flops(&self) -> Vec<f64> {
        self.column(Property::Flops)
    }

    pub fn params(&self) -> Vec<f64> {
        self.column(Property::Params)
    }
}
