//! Refinements of a design space (paper §2.1, step 4): named rules that every sample obeys,
//! the paper's (shared b and g, non-decreasing widths and depths, wm and w0 = wa for RegNet),
//! the alternatives it rejected, ranges found by bootstrap, and a user's own predicates.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::property::Property;
use super::sample::Sample;
use crate::net::RegNetParams;
use crate::net::{AnyNetSpec, StageSpec};

/// A predicate over a sampled model's spec, or over its RegNet parameters.
pub type SpecPredicate = Arc<dyn Fn(&AnyNetSpec) -> bool + Send + Sync>;
pub type RegNetPredicate = Arc<dyn Fn(&RegNetParams) -> bool + Send + Sync>;

/// A refinement of a design space (paper §2.1 step 4): a named rule that samples must obey.
/// The built-in ones serialise; custom closures serialise by name only.
#[derive(Clone)]
pub enum Constraint {
    /// AnyNetX_B: all stages share one bottleneck ratio.
    SharedBottleneckRatio,
    /// AnyNetX_C: all stages share one group width.
    SharedGroupWidth,
    /// AnyNetX_D: `w_{i+1} ≥ w_i`.
    WidthsNonDecreasing,
    /// AnyNetX_E: `d_{i+1} ≥ d_i`.
    DepthsNonDecreasing,
    /// An alternative to D the paper rejected: every stage has the same width.
    WidthsConstant,
    /// An alternative to D the paper rejected: `w_{i+1} ≤ w_i`.
    WidthsNonIncreasing,
    /// An alternative to E the paper rejected: every stage has the same depth.
    DepthsConstant,
    /// An alternative to E the paper rejected: `d_{i+1} ≤ d_i`.
    DepthsNonIncreasing,
    /// RegNet variant (paper Fig. 9): fix `wm` to this value.
    FixedWm(f64),
    /// RegNet variant (paper Fig. 9): `w0 = wa`.
    W0EqualsWa,
    /// A property kept inside `[min, max]` (e.g. from a bootstrap good range).
    Range {
        property: Property,
        min: f64,
        max: f64,
    },
    /// A user predicate over the spec.
    Custom {
        name: String,
        pred: Option<SpecPredicate>,
    },
    /// A user predicate over the RegNet parameters.
    CustomRegNet {
        name: String,
        pred: Option<RegNetPredicate>,
    },
}

impl Constraint {
    /// A user's predicate, kept in manifests by its name only.
    pub fn is_custom(&self) -> bool {
        matches!(
            self,
            Constraint::Custom { .. } | Constraint::CustomRegNet { .. }
        )
    }

    /// The name shown in refinement chains.
    pub fn name(&self) -> String {
        match self {
            Constraint::SharedBottleneckRatio => "shared bottleneck ratio".into(),
            Constraint::SharedGroupWidth => "shared group width".into(),
            Constraint::WidthsNonDecreasing => "widths non-decreasing".into(),
            Constraint::DepthsNonDecreasing => "depths non-decreasing".into(),
            Constraint::WidthsConstant => "widths constant".into(),
            Constraint::WidthsNonIncreasing => "widths non-increasing".into(),
            Constraint::DepthsConstant => "depths constant".into(),
            Constraint::DepthsNonIncreasing => "depths non-increasing".into(),
            Constraint::FixedWm(v) => format!("wm = {v}"),
            Constraint::W0EqualsWa => "w0 = wa".into(),
            Constraint::Range { property, min, max } => format!("{min} ≤ {property} ≤ {max}"),
            Constraint::Custom { name, .. } | Constraint::CustomRegNet { name, .. } => name.clone(),
        }
    }

    /// Whether a model obeys the rule. A custom rule restored from JSON without its closure
    /// cannot be checked and is reported by [`DesignSpace::sample`](super::DesignSpace::sample) instead.
    pub fn admits(&self, model: &Sample) -> bool {
        let (spec, regnet) = (&model.spec, model.regnet.as_ref());
        let stages = spec.stages();
        let all_eq =
            |f: &dyn Fn(&StageSpec) -> f64| stages.windows(2).all(|p| f(&p[0]) == f(&p[1]));
        match self {
            Constraint::SharedBottleneckRatio => all_eq(&|s| s.bottleneck_ratio),
            Constraint::SharedGroupWidth => all_eq(&|s| s.group_width as f64),
            Constraint::WidthsNonDecreasing => stages.windows(2).all(|p| p[1].width >= p[0].width),
            Constraint::DepthsNonDecreasing => stages.windows(2).all(|p| p[1].depth >= p[0].depth),
            Constraint::WidthsConstant => all_eq(&|s| s.width as f64),
            Constraint::WidthsNonIncreasing => stages.windows(2).all(|p| p[1].width <= p[0].width),
            Constraint::DepthsConstant => all_eq(&|s| s.depth as f64),
            Constraint::DepthsNonIncreasing => stages.windows(2).all(|p| p[1].depth <= p[0].depth),
            Constraint::FixedWm(v) => regnet.is_none_or(|p| p.wm() == *v),
            Constraint::W0EqualsWa => regnet.is_none_or(|p| p.w0() as f64 == p.wa()),
            Constraint::Range { property, min, max } => model
                .property(*property)
                .is_some_and(|v| *min <= v && v <= *max),
            Constraint::Custom { pred, .. } => pred.as_ref().is_none_or(|f| f(spec)),
            Constraint::CustomRegNet { pred, .. } => match (pred, regnet) {
                (Some(f), Some(p)) => f(p),
                _ => true,
            },
        }
    }

    pub(crate) fn is_detached(&self) -> bool {
        matches!(
            self,
            Constraint::Custom { pred: None, .. } | Constraint::CustomRegNet { pred: None, .. }
        )
    }

    fn def(&self) -> ConstraintDef {
        match self {
            Constraint::SharedBottleneckRatio => ConstraintDef::SharedBottleneckRatio,
            Constraint::SharedGroupWidth => ConstraintDef::SharedGroupWidth,
            Constraint::WidthsNonDecreasing => ConstraintDef::WidthsNonDecreasing,
            Constraint::DepthsNonDecreasing => ConstraintDef::DepthsNonDecreasing,
            Constraint::WidthsConstant => ConstraintDef::WidthsConstant,
            Constraint::WidthsNonIncreasing => ConstraintDef::WidthsNonIncreasing,
            Constraint::DepthsConstant => ConstraintDef::DepthsConstant,
            Constraint::DepthsNonIncreasing => ConstraintDef::DepthsNonIncreasing,
            Constraint::FixedWm(v) => ConstraintDef::FixedWm { wm: *v },
            Constraint::W0EqualsWa => ConstraintDef::W0EqualsWa,
            Constraint::Range { property, min, max } => ConstraintDef::Range {
                property: *property,
                min: *min,
                max: *max,
            },
            Constraint::Custom { name, .. } => ConstraintDef::Custom { name: name.clone() },
            Constraint::CustomRegNet { name, .. } => {
                ConstraintDef::CustomRegnet { name: name.clone() }
            }
        }
    }
}

impl fmt::Debug for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Constraint({})", self.name())
    }
}

impl PartialEq for Constraint {
    fn eq(&self, other: &Self) -> bool {
        self.def() == other.def()
    }
}

/// The serialised form of a [`Constraint`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
enum ConstraintDef {
    SharedBottleneckRatio,
    SharedGroupWidth,
    WidthsNonDecreasing,
    DepthsNonDecreasing,
    WidthsConstant,
    WidthsNonIncreasing,
    DepthsConstant,
    DepthsNonIncreasing,
    FixedWm {
        wm: f64,
    },
    W0EqualsWa,
    Range {
        property: Property,
        min: f64,
        max: f64,
    },
    Custom {
        name: String,
    },
    CustomRegnet {
        name: String,
    },
}

impl From<ConstraintDef> for Constraint {
    fn from(d: ConstraintDef) -> Self {
        match d {
            ConstraintDef::SharedBottleneckRatio => Constraint::SharedBottleneckRatio,
            ConstraintDef::SharedGroupWidth => Constraint::SharedGroupWidth,
            ConstraintDef::WidthsNonDecreasing => Constraint::WidthsNonDecreasing,
            ConstraintDef::DepthsNonDecreasing => Constraint::DepthsNonDecreasing,
            ConstraintDef::WidthsConstant => Constraint::WidthsConstant,
            ConstraintDef::WidthsNonIncreasing => Constraint::WidthsNonIncreasing,
            ConstraintDef::DepthsConstant => Constraint::DepthsConstant,
            ConstraintDef::DepthsNonIncreasing => Constraint::DepthsNonIncreasing,
            ConstraintDef::FixedWm { wm } => Constraint::FixedWm(wm),
            ConstraintDef::W0EqualsWa => Constraint::W0EqualsWa,
            ConstraintDef::Range { property, min, max } => Constraint::Range { property, min, max },
            ConstraintDef::Custom { name } => Constraint::Custom { name, pred: None },
            ConstraintDef::CustomRegnet { name } => Constraint::CustomRegNet { name, pred: None },
        }
    }
}

impl Serialize for Constraint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.def().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Constraint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ConstraintDef::deserialize(d).map(Constraint::from)
    }
}
