//! Everything a notebook cell usually needs, in one `use regnet_lab::prelude::*;`.

pub use crate::budget::Budget;
pub use crate::candle;
pub use crate::complexity::{Complexity, complexity};
pub use crate::data::{Augment, Normalize};
pub use crate::findings::{
    Claim, Expect, Findings, FindingsOptions, findings, paper_alternative_claims, paper_claims,
    paper_constraint_claims, paper_design_claims, paper_generalisation_claims, paper_se_claims,
    paper_trend_claims,
};
pub use crate::model::{AnyNet, ModelConfig};
pub use crate::plot::{
    CurvesPlot, EdfPlot, ErrorVsPlot, Row, SearchPlot, SuggestionsPlot, TrendPlot, WidthsPlot,
    block_widths, counted, edf, edf_by_regime, error_vs, search_efficiency, training_curves,
};
pub use crate::refine::{SuggestOptions, Suggestions, Verdict, suggest};
pub use crate::space::{
    AnyNetSpec, AnyNetXRanges, BlockKind, Constraint, DesignSpace, NetTemplate, Property,
    RegNetParams, RegNetRanges, Regime, Sample, SpaceError, StemKind, zoo,
};
pub use crate::stats::{
    CompareOptions, ComplexityBins, Draws, Edf, EmptyBins, GoodRangeOptions, PowerOptions, XScale,
    compare_paired, compare_spaces, fit_quantized_linear, good_range, good_ranges, ks_2samp,
    ks_plan_for_shift, ks_plan_from_pilots, linear_fit, normalized_edf, random_search_efficiency,
    rank_agreement,
};
pub use crate::summary::ModelSummary;
pub use crate::sweep::{Sweep, SweepResults, precomputed};
pub use crate::train::{
    DataSource, ImageData, LrSchedule, RunRecord, TrainConfig, TrainData, train, train_with,
};
