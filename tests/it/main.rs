//! The integration tests, one crate: every file below is a module, so candle and the crate are
//! linked into one test binary instead of one per file (`cargo test --test it <module>::` runs one).

mod cli;
mod data_cifar;
mod data_fashion_real;
mod data_idx;
mod data_pipeline;
mod display_tables;
mod model_build;
mod model_forward;
mod model_torchvision;
mod model_weights;
mod ops_bn;
mod ops_conv;
mod plot_figures;
mod readme;
mod refine_suggest;
mod report;
mod space;
mod stats;
mod sweep;
mod train_loop;
mod zoo;

/// Shared fixed data for the figure and table tests.
mod plot_fixtures;

/// RegNetX with the small ranges on the 28×28 template and no flops window: the space the
/// sweep and refinement tests draw from.
fn regnet_small() -> regnet_lab::space::DesignSpace {
    use regnet_lab::space::{DesignSpace, NetTemplate, RegNetRanges, Regime};
    DesignSpace::regnet_x()
        .with_template(NetTemplate::fashion_mnist())
        .with_regnet_ranges(RegNetRanges::small())
        .unwrap()
        .with_regime(Regime {
            resolution: 28,
            flops: None,
            params: None,
        })
}
