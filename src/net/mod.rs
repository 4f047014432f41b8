//! What a network is, before any design space: an AnyNet as validated data ([`AnyNetSpec`]:
//! stem, stages of blocks, head; paper §3.1), the RegNet parameterisation that generates one
//! from six numbers ([`RegNetParams`]; paper §3.3) and the published model zoo. The crate's
//! modules read in the paper's order: `net` → `complexity` (counted from a spec) → `space`
//! (design spaces that draw specs and count their complexity).

mod regnet;
mod spec;
pub mod zoo;

pub(crate) use regnet::stage_runs;
pub use regnet::{
    NetTemplate, RegNetParams, RegNetParamsData, RegNetWidths, WIDTH_QUANTUM,
    adjust_block_compatibility, compatible_stage, generate_widths,
};
pub use spec::{
    AnyNetSpec, AnyNetSpecBuilder, AnyNetSpecData, BlockKind, MAX_STAGES, StageSpec, StemKind,
};

use thiserror::Error;

/// Everything that can be wrong with a spec or RegNet parameters.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum NetError {
    #[error("invalid {field} = {value}: {why}")]
    InvalidField {
        field: String,
        value: String,
        why: String,
    },
    #[error("invalid stage {stage} {field} = {value}: {why}")]
    InvalidStage {
        stage: usize,
        field: String,
        value: String,
        why: String,
    },
    #[error(
        "stage {stage}: group width {group_width} does not divide the bottleneck width \
         {bottleneck_width} (width {width})"
    )]
    GroupWidthIncompatible {
        stage: usize,
        width: usize,
        bottleneck_width: usize,
        group_width: usize,
    },
    #[error("cannot parse '{input}': {why}")]
    Parse { input: String, why: String },
    #[error("unknown model '{name}'; known models: {known}")]
    UnknownModel { name: String, known: String },
}

/// Round half to even, as Python's `round` and numpy's `np.round` do. The reference's widths
/// depend on it (RegNetX-400MF's last stage is 384, not 400).
pub fn round_half_even(x: f64) -> f64 {
    x.round_ties_even()
}
