//! Design spaces as data (paper §2–3): design spaces as seeded samplers of networks
//! ([`DesignSpace`]) with their complexity regimes, ranges and named refinements, and the
//! [`Sample`] that travels the pipeline. What a network is lives in [`crate::net`]; its items
//! are re-exported here, so `space::AnyNetSpec` and `net::AnyNetSpec` are the same type.

mod constraint;
mod design_space;
mod property;
mod ranges;
mod regime;
mod sample;

pub use crate::net::{
    AnyNetSpec, AnyNetSpecBuilder, AnyNetSpecData, BlockKind, MAX_STAGES, NetError, NetTemplate,
    RegNetParams, RegNetParamsData, RegNetWidths, StageSpec, StemKind, WIDTH_QUANTUM,
    adjust_block_compatibility, compatible_stage, generate_widths, round_half_even, zoo,
};
pub use constraint::{Constraint, RegNetPredicate, SpecPredicate};
pub use design_space::{DesignSpace, SPACE_NAMES, SpaceDescription, SpaceSize};
pub use property::Property;
pub use ranges::{AnyNetXRanges, Family, RegNetRanges};
pub use regime::Regime;
pub use sample::Sample;

use thiserror::Error;

/// Everything that can be wrong with a design space (or with a spec it draws).
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SpaceError {
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("cannot parse '{input}': {why}")]
    Parse { input: String, why: String },
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
