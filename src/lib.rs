//! # regnet-lab
//!
//! The method of *Designing Network Design Spaces* (Radosavovic et al., CVPR 2020) and *On
//! Network Design Spaces for Visual Recognition* (ICCV 2019), cell by cell: sample models from a
//! design space (AnyNetX_A…_E, RegNetX, RegNetY), count their complexity, build them with candle,
//! train each briefly, and compare design spaces by their error distributions.
//!
//! The crate is laid out as the paper's pipeline, one module per stage:
//! [`space`] (what a network is, design spaces as samplers) → [`complexity`] (flops, params,
//! activations) → model → train → sweep → stats → plot → display.
//!
//! ```
//! use regnet_lab::{complexity::complexity, space::zoo};
//! let spec = zoo::get("RegNetX-200MF")?.spec();
//! let cx = complexity(&spec, 224)?;
//! assert_eq!(spec.stage_widths(), vec![24, 56, 152, 368]);
//! assert!(cx.params > 2_600_000 && cx.params < 2_800_000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod budget;
pub mod complexity;
pub mod data;
pub mod display;
pub mod findings;
pub mod model;
pub mod net;
pub mod ops;
pub mod plot;
pub mod prelude;
pub mod random;
pub mod refine;
pub mod report;
pub mod runtime;
pub mod space;
pub mod stats;
pub mod summary;
pub mod sweep;
pub mod train;

mod atomic;

/// The candle this crate builds on, re-exported so that a notebook needs no `:dep` of its own
/// (and cannot pick a second, incompatible version): `regnet_lab::candle::Tensor`.
pub use candle_core as candle;
/// candle's layers and optimisers, re-exported for the same reason.
pub use candle_nn;
