//! Design spaces as data (paper §2–3): what a network is ([`AnyNetSpec`]), the RegNet
//! parameterisation ([`RegNetParams`]), the model zoo, and design spaces as seeded samplers
//! that can be refined with named constraints ([`DesignSpace`]).

mod constraint;
mod design_space;
mod property;
mod ranges;
mod regime;
mod regnet;
mod sample;
mod spec;
pub mod zoo;

pub use constraint::{Constraint, RegNetPredicate, SpecPredicate};
pub use design_space::{DesignSpace, SPACE_NAMES, SpaceDescription, SpaceSize};
pub use property::Property;
pub use ranges::{AnyNetXRanges, Family, RegNetRanges};
pub use regime::Regime;
pub use regnet::{
    NetTemplate, RegNetParams, RegNetParamsData, RegNetWidths, WIDTH_QUANTUM,
    adjust_block_compatibility, compatible_stage, generate_widths,
};
pub use sample::Sample;
pub use spec::{
    AnyNetSpec, AnyNetSpecBuilder, AnyNetSpecData, BlockKind, MAX_STAGES, StageSpec, StemKind,
};

use thiserror::Error;

/// Everything that can be wrong with a spec, parameters or a design space.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SpaceError {
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
    #[error("unknown design space '{name}'; known spaces: {known}")]
    UnknownSpace { name: String, known: String },
    #[error(
        "design space {space}: no sample met the regime {regime} in {tries} tries \
         (flops seen: {seen}); widen the window or change the resolution"
    )]
    RegimeUnreachable {
        space: String,
        regime: String,
        tries: u64,
        seen: String,
    },
    #[error("design space {space}: {why}")]
    InvalidSpace { space: String, why: String },
}

/// Round half to even, as Python's `round` and numpy's `np.round` do. The reference's widths
/// depend on it (RegNetX-400MF's last stage is 384, not 400).
pub fn round_half_even(x: f64) -> f64 {
    x.round_ties_even()
}
