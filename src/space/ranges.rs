//! What a design space draws from: the AnyNetX per-stage choices (paper §3.1) or the RegNet
//! parameter ranges (paper §3.3), checked once before any draw.

use serde::{Deserialize, Serialize};

use crate::net::MAX_STAGES;

/// The per-stage choices of the AnyNetX spaces (paper §3.1), each drawn uniformly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnyNetXRanges {
    pub num_stages: usize,
    /// Depths `d_i` (paper: 1..=16).
    pub depths: Vec<usize>,
    /// Widths `w_i` (paper: 8, 16, …, 1024).
    pub widths: Vec<usize>,
    /// Bottleneck ratios `b_i`, paper's divisor (paper: 1, 2, 4).
    pub bottleneck_ratios: Vec<f64>,
    /// Group widths `g_i` (paper: 1, 2, 4, 8, 16, 32).
    pub group_widths: Vec<usize>,
}

impl AnyNetXRanges {
    /// Why these ranges cannot be sampled, if they cannot: 1..=MAX_STAGES stages, non-empty
    /// choices, depths and widths strictly increasing (the ordered draws rely on it).
    pub fn validate(&self) -> Result<(), String> {
        let empty = self.depths.is_empty()
            || self.widths.is_empty()
            || self.bottleneck_ratios.is_empty()
            || self.group_widths.is_empty();
        if empty || self.num_stages == 0 || self.num_stages > MAX_STAGES {
            return Err(format!(
                "AnyNetX ranges need 1..={MAX_STAGES} stages and non-empty choices"
            ));
        }
        let increasing = |xs: &[usize]| xs.windows(2).all(|p| p[0] < p[1]);
        if !increasing(&self.depths) || !increasing(&self.widths) {
            return Err("AnyNetX depth and width choices must be strictly increasing".into());
        }
        Ok(())
    }

    /// The paper's ranges: 4 stages, d ≤ 16, w ≤ 1024 in steps of 8, b ∈ {1,2,4}, g ∈ {1..32}.
    pub fn paper() -> Self {
        AnyNetXRanges {
            num_stages: 4,
            depths: (1..=16).collect(),
            widths: (1..=128).map(|k| 8 * k).collect(),
            bottleneck_ratios: vec![1.0, 2.0, 4.0],
            group_widths: vec![1, 2, 4, 8, 16, 32],
        }
    }
    /// Smaller ranges for short runs on 28×28 / 32×32 images on a CPU: 3 stages, d ≤ 4,
    /// w ∈ {8, …, 128}, same b and g choices.
    pub fn small() -> Self {
        AnyNetXRanges {
            num_stages: 3,
            depths: (1..=4).collect(),
            widths: (1..=16).map(|k| 8 * k).collect(),
            ..Self::paper()
        }
    }
}

/// The ranges of the RegNet samplers (paper §3.3; pycls's sweep sampler).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegNetRanges {
    /// Depth `d`, uniform integer, inclusive.
    pub depth: (usize, usize),
    /// `w0`, log-uniform, rounded to a multiple of 8.
    pub w0: (usize, usize),
    /// `wa`, log-uniform, rounded to 0.1.
    pub wa: (f64, f64),
    /// `wm`, log-uniform, rounded to 0.001.
    pub wm: (f64, f64),
    /// Group width, log-uniform: a power of two below 8, else a multiple of 8.
    pub group_width: (usize, usize),
    /// Bottleneck ratios `b` (paper's divisor), drawn uniformly.
    pub bottleneck_ratios: Vec<f64>,
    /// SE ratio (RegNetY), or none.
    pub se_ratio: Option<f64>,
    /// Realised stage counts allowed (inclusive).
    pub num_stages: (usize, usize),
}

impl RegNetRanges {
    /// Why these ranges cannot be sampled, if they cannot.
    pub fn validate(&self) -> Result<(), String> {
        let ordered = self.depth.0 >= 1
            && self.depth.0 <= self.depth.1
            && self.w0.0 >= 1
            && self.w0.0 <= self.w0.1
            && self.wa.0 > 0.0
            && self.wa.0 <= self.wa.1
            && self.wm.0 > 1.0
            && self.wm.0 <= self.wm.1
            && self.group_width.0 >= 1
            && self.group_width.0 <= self.group_width.1;
        if !ordered || self.bottleneck_ratios.is_empty() {
            return Err(format!(
                "RegNet ranges need 1 ≤ min ≤ max for d, w0, g; 0 < min ≤ max for wa; \
                 1 < min ≤ max for wm; and a bottleneck ratio (got {self:?})"
            ));
        }
        Ok(())
    }

    /// The initial RegNet space (paper §3.3): d ≤ 64, w0, wa ≤ 256, 1.5 ≤ wm ≤ 3, b and g as
    /// AnyNetX_E.
    pub fn initial() -> Self {
        RegNetRanges {
            depth: (1, 64),
            w0: (8, 256),
            wa: (8.0, 256.0),
            wm: (1.5, 3.0),
            group_width: (1, 32),
            bottleneck_ratios: vec![1.0, 2.0, 4.0],
            se_ratio: None,
            num_stages: (1, MAX_STAGES),
        }
    }
    /// RegNetX (pycls's default sampler): d ∈ [12, 28], w0, wa ∈ [8, 256], wm ∈ [2, 3],
    /// g ∈ [8, 128], b = 1.
    pub fn regnet_x() -> Self {
        RegNetRanges {
            depth: (12, 28),
            wm: (2.0, 3.0),
            group_width: (8, 128),
            bottleneck_ratios: vec![1.0],
            ..Self::initial()
        }
    }
    /// RegNetY = RegNetX + SE (ratio 0.25).
    pub fn regnet_y() -> Self {
        RegNetRanges {
            se_ratio: Some(0.25),
            ..Self::regnet_x()
        }
    }
    /// Small-image RegNets in the style of pycls's CIFAR sweep: d ∈ [6, 16], w0 ∈ [8, 64],
    /// wa ∈ [8, 64], wm ∈ [1.5, 3], g ∈ [1, 32], b = 1, 2 or 3 stages.
    pub fn small() -> Self {
        RegNetRanges {
            depth: (6, 16),
            w0: (8, 64),
            wa: (8.0, 64.0),
            wm: (1.5, 3.0),
            group_width: (1, 32),
            bottleneck_ratios: vec![1.0],
            se_ratio: None,
            num_stages: (2, 3),
        }
    }
    /// The small ranges with depth and bottleneck ratio left open: d ∈ [6, 40], b ∈ {1, 2, 4}
    /// and wa ∈ [1, 64], the rest as [`small`](Self::small). For the parameter trends (paper §4,
    /// Fig. 11), which ask where good models' b and d lie: the paper's answers (b = 1, d ≈ 20)
    /// must be able to emerge, so the ranges may not impose them. 40 is the paper's own later
    /// bound on d. The slope starts at 1 (the paper's initial space allows any wa > 0) because
    /// with wa ≥ 8, at most three stages and a few MF at 28×28, a model deeper than about 16
    /// blocks widens past three stages or past the flop window, so a wider depth range alone
    /// would still draw almost only shallow models.
    ///
    /// ```
    /// use regnet_lab::space::RegNetRanges;
    /// let open = RegNetRanges::small_open();
    /// assert_eq!(open.depth, (6, 40));
    /// assert_eq!(open.bottleneck_ratios, [1.0, 2.0, 4.0]);
    /// assert_eq!(open.wa, (1.0, 64.0));
    /// assert_eq!(open.wm, RegNetRanges::small().wm);
    /// ```
    pub fn small_open() -> Self {
        RegNetRanges {
            depth: (6, 40),
            wa: (1.0, 64.0),
            bottleneck_ratios: vec![1.0, 2.0, 4.0],
            ..Self::small()
        }
    }
}

/// What a design space draws from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum Family {
    /// AnyNetX: independent per-stage choices (AnyNetX_A), refined by constraints.
    AnyNetX(AnyNetXRanges),
    /// RegNet: `(d, w0, wa, wm, g, b)` through the quantised-linear generator.
    RegNet(RegNetRanges),
}

impl Family {
    /// Why this family's ranges cannot be sampled, if they cannot.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Family::AnyNetX(r) => r.validate(),
            Family::RegNet(r) => r.validate(),
        }
    }
}
