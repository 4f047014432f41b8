//! Run time against complexity (paper §5: which of flops, parameters and activations predicts
//! a network's speed): one measurement per model, as `examples/runtime_vs_complexity.rs` makes
//! them (each model timed in its own fresh process) and as the committed
//! `docs/figures/runtime.jsonl` holds them. Pure data; the timing lives in the example.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The measured speed of one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuntimeMeasurement {
    /// The space (and flop window) the model was sampled from.
    pub space: String,
    /// Its sample index there.
    pub index: u64,
    pub flops: u64,
    pub params: u64,
    pub acts: u64,
    /// Images per pass.
    pub batch: usize,
    /// Threads the process used.
    pub threads: usize,
    /// Median milliseconds of one inference pass (eval mode).
    pub inference_ms: f64,
    /// Median milliseconds of one training step (forward, backward, SGD).
    pub train_step_ms: f64,
}

/// Every measurement of a JSON-lines file; a line that does not parse is an error naming it.
pub fn load_measurements(path: impl AsRef<Path>) -> std::io::Result<Vec<RuntimeMeasurement>> {
    let path = path.as_ref();
    std::fs::read_to_string(path)?
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}:{}: {e}", path.display(), i + 1),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_measurements_load() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/figures/runtime.jsonl");
        let rows = load_measurements(&path).unwrap();
        assert_eq!(rows.len(), 40);
        assert!(
            rows.iter()
                .all(|r| r.train_step_ms > r.inference_ms && r.flops > 0)
        );
        let bad = std::env::temp_dir().join(format!("regnet-runtime-{}.jsonl", std::process::id()));
        std::fs::write(&bad, "{\"space\": 1}\n").unwrap();
        let err = load_measurements(&bad).unwrap_err().to_string();
        assert!(err.contains(":1:"), "{err}");
        let _ = std::fs::remove_file(bad);
    }
}
