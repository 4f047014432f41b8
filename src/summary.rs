//! One flat record per model — a [`Sample`]'s spec as per-stage columns plus its complexity —
//! for the CLI's `--json` lines, tables and sweep results. Pure data; rendering lives in callers.

use serde::{Deserialize, Serialize};

use crate::complexity::ComplexityError;
use crate::space::{AnyNetSpec, RegNetParams, Sample};

/// A model described by columns: what `regnet-lab describe --json` and `sample --json` print.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// Zoo name, when the model has one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// Index in a seeded sample sequence, for sampled models.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub index: Option<u64>,
    pub block: String,
    pub stem: String,
    pub stem_width: usize,
    pub in_channels: usize,
    pub num_classes: usize,
    pub depth: usize,
    pub stage_depths: Vec<usize>,
    pub stage_widths: Vec<usize>,
    pub stage_strides: Vec<usize>,
    pub stage_group_widths: Vec<usize>,
    /// The paper's bottleneck ratio `b` (a divisor: bottleneck width = w / b).
    pub stage_bottleneck_ratios: Vec<f64>,
    pub se_ratio: Option<f64>,
    /// Input resolution at which the complexity was counted.
    pub resolution: usize,
    pub flops: u64,
    pub params: u64,
    pub acts: u64,
    /// RegNet parameters, for models that have them.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub regnet: Option<RegNetParams>,
}

impl ModelSummary {
    /// Summarise `spec`, counting complexity at `resolution`².
    pub fn new(
        spec: &AnyNetSpec,
        regnet: Option<&RegNetParams>,
        resolution: usize,
    ) -> Result<Self, ComplexityError> {
        Ok(Self::of_sample(&Sample::new(
            spec.clone(),
            regnet.cloned(),
            resolution,
        )?))
    }

    /// Summarise a sample (its complexity is already counted).
    pub fn of_sample(sample: &Sample) -> Self {
        let (spec, cx) = (&sample.spec, sample.complexity);
        ModelSummary {
            name: None,
            index: sample.index,
            block: spec.block().name().into(),
            stem: spec.stem().name().into(),
            stem_width: spec.stem_width(),
            in_channels: spec.in_channels(),
            num_classes: spec.num_classes(),
            depth: spec.depth(),
            stage_depths: spec.stage_depths(),
            stage_widths: spec.stage_widths(),
            stage_strides: spec.stage_strides(),
            stage_group_widths: spec.stage_group_widths(),
            stage_bottleneck_ratios: spec.stage_bottleneck_ratios(),
            se_ratio: spec.se_ratio(),
            resolution: sample.resolution,
            flops: cx.flops,
            params: cx.params,
            acts: cx.acts,
            regnet: sample.regnet.clone(),
        }
    }

    /// A named copy.
    pub fn named(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// A plain-text description: one line of totals, then one row per stage.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(n) = &self.name {
            out.push_str(&format!("{n}\n"));
        }
        if let Some(i) = self.index {
            out.push_str(&format!("sample {i}\n"));
        }
        if let Some(p) = &self.regnet {
            out.push_str(&format!("regnet: {p}\n"));
        }
        out.push_str(&format!(
            "block {}, stem {} (width {}, {} input channels), {} classes, depth {}\n",
            self.block, self.stem, self.stem_width, self.in_channels, self.num_classes, self.depth
        ));
        out.push_str(&format!(
            "at {r}x{r}: {} flops, {} params, {} acts\n",
            human(self.flops, "F"),
            human(self.params, ""),
            human(self.acts, ""),
            r = self.resolution
        ));
        out.push_str("stage  depth  width  stride  bottleneck b  group width\n");
        for i in 0..self.stage_depths.len() {
            out.push_str(&format!(
                "{:>5}  {:>5}  {:>5}  {:>6}  {:>12}  {:>11}\n",
                i + 1,
                self.stage_depths[i],
                self.stage_widths[i],
                self.stage_strides[i],
                self.stage_bottleneck_ratios[i],
                self.stage_group_widths[i]
            ));
        }
        if let Some(se) = self.se_ratio {
            out.push_str(&format!("squeeze-excitation ratio {se}\n"));
        }
        out
    }
}

/// 2_684_792 → "2.68 M"; flops get "MF"/"GF".
pub fn human(n: u64, unit: &str) -> String {
    let x = n as f64;
    if x >= 1e9 {
        format!("{:.2} G{unit}", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.2} M{unit}", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.2} K{unit}", x / 1e3)
    } else {
        format!("{n} {unit}")
    }
}
