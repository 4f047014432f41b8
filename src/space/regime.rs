//! Complexity regimes (paper §3.1: models are compared inside a window of flops, 360–400 MF
//! at 224² for the AnyNetX study), met by rejection sampling.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::complexity::Complexity;

/// A complexity window met by rejection sampling (paper: 360 MF ≤ flops ≤ 400 MF at 224²).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Regime {
    /// Input resolution at which complexity is counted.
    pub resolution: usize,
    /// Inclusive flops window.
    pub flops: Option<(u64, u64)>,
    /// Inclusive params window.
    pub params: Option<(u64, u64)>,
}

impl Regime {
    /// The paper's 400MF regime: 360–400 MF at 224².
    pub fn mf400() -> Self {
        Regime::flops(360_000_000, 400_000_000, 224)
    }
    /// Flops in `[min, max]` at `resolution`².
    pub fn flops(min: u64, max: u64, resolution: usize) -> Self {
        Regime {
            resolution,
            flops: Some((min, max)),
            params: None,
        }
    }
    /// Whether a model of this complexity lies inside the window.
    pub fn admits(&self, cx: &Complexity) -> bool {
        let inside = |w: Option<(u64, u64)>, v: u64| w.is_none_or(|(lo, hi)| lo <= v && v <= hi);
        inside(self.flops, cx.flops) && inside(self.params, cx.params)
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some((lo, hi)) = self.flops {
            parts.push(format!("{:.1}–{:.1} MF", lo as f64 / 1e6, hi as f64 / 1e6));
        }
        if let Some((lo, hi)) = self.params {
            parts.push(format!(
                "{:.2}–{:.2} M params",
                lo as f64 / 1e6,
                hi as f64 / 1e6
            ));
        }
        write!(f, "{} at {}²", parts.join(", "), self.resolution)
    }
}
