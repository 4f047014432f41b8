//! Named properties of a sampled model: the columns that the paper plots error against
//! (depth, a stage's width, wm, g, b, flops …) and that constraints restrict.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::SpaceError;
use super::sample::Sample;

/// A numeric property of a model. Stage indices are 1-based, as in the paper (`d1`, `w4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Property {
    /// Total number of blocks `d`.
    Depth,
    /// Number of stages.
    NumStages,
    /// Depth of stage i (`d_i`).
    StageDepth(usize),
    /// Width of stage i (`w_i`).
    StageWidth(usize),
    /// Bottleneck ratio of stage i (`b_i`, paper's divisor).
    StageBottleneckRatio(usize),
    /// Group width of stage i (`g_i`).
    StageGroupWidth(usize),
    /// RegNet initial width `w0` (RegNet samples only).
    W0,
    /// RegNet slope `wa` (RegNet samples only).
    Wa,
    /// RegNet width multiplier `wm` (RegNet samples only).
    Wm,
    /// Group width of the first stage for AnyNet samples, the RegNet `g` for RegNet samples.
    GroupWidth,
    /// Bottleneck ratio of the first stage (shared in AnyNetX_B and later).
    BottleneckRatio,
    Flops,
    Params,
    Acts,
}

impl Property {
    /// The value for one model, `None` when the model does not have it (stage 5 of a 4-stage
    /// net, `wm` of an AnyNetX sample).
    pub fn value(&self, src: &Sample) -> Option<f64> {
        let stage = |i: usize| src.spec.stages().get(i.checked_sub(1)?);
        match *self {
            Property::Depth => Some(src.spec.depth() as f64),
            Property::NumStages => Some(src.spec.stages().len() as f64),
            Property::StageDepth(i) => stage(i).map(|s| s.depth as f64),
            Property::StageWidth(i) => stage(i).map(|s| s.width as f64),
            Property::StageBottleneckRatio(i) => stage(i).map(|s| s.bottleneck_ratio),
            Property::StageGroupWidth(i) => stage(i).map(|s| s.group_width as f64),
            Property::W0 => src.regnet.as_ref().map(|p| p.w0() as f64),
            Property::Wa => src.regnet.as_ref().map(|p| p.wa()),
            Property::Wm => src.regnet.as_ref().map(|p| p.wm()),
            Property::GroupWidth => match &src.regnet {
                Some(p) => Some(p.group_width() as f64),
                None => stage(1).map(|s| s.group_width as f64),
            },
            Property::BottleneckRatio => match &src.regnet {
                Some(p) => Some(p.bottleneck_ratio()),
                None => stage(1).map(|s| s.bottleneck_ratio),
            },
            Property::Flops => Some(src.complexity.flops as f64),
            Property::Params => Some(src.complexity.params as f64),
            Property::Acts => Some(src.complexity.acts as f64),
        }
    }

    /// A label for axes and tables.
    pub fn label(&self) -> String {
        match self {
            Property::Depth => "depth d".into(),
            Property::NumStages => "stages".into(),
            Property::StageDepth(i) => format!("stage {i} depth d{i}"),
            Property::StageWidth(i) => format!("stage {i} width w{i}"),
            Property::StageBottleneckRatio(i) => format!("stage {i} bottleneck ratio b{i}"),
            Property::StageGroupWidth(i) => format!("stage {i} group width g{i}"),
            Property::W0 => "initial width w0".into(),
            Property::Wa => "slope wa".into(),
            Property::Wm => "width multiplier wm".into(),
            Property::GroupWidth => "group width g".into(),
            Property::BottleneckRatio => "bottleneck ratio b".into(),
            Property::Flops => "flops".into(),
            Property::Params => "params".into(),
            Property::Acts => "activations".into(),
        }
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Property::Depth => write!(f, "d"),
            Property::NumStages => write!(f, "stages"),
            Property::StageDepth(i) => write!(f, "d{i}"),
            Property::StageWidth(i) => write!(f, "w{i}"),
            Property::StageBottleneckRatio(i) => write!(f, "b{i}"),
            Property::StageGroupWidth(i) => write!(f, "g{i}"),
            Property::W0 => write!(f, "w0"),
            Property::Wa => write!(f, "wa"),
            Property::Wm => write!(f, "wm"),
            Property::GroupWidth => write!(f, "g"),
            Property::BottleneckRatio => write!(f, "b"),
            Property::Flops => write!(f, "flops"),
            Property::Params => write!(f, "params"),
            Property::Acts => write!(f, "acts"),
        }
    }
}

/// Parses the short names: `d`, `stages`, `d1`…`d8`, `w1`…, `b1`…, `g1`…, `w0`, `wa`, `wm`,
/// `g`, `b`, `flops`, `params`, `acts` (also `depth`, `group_width`, `bottleneck_ratio`).
impl FromStr for Property {
    type Err = SpaceError;
    fn from_str(s: &str) -> Result<Self, SpaceError> {
        let t = s.trim().to_ascii_lowercase();
        let fixed = match t.as_str() {
            "d" | "depth" => Some(Property::Depth),
            "stages" | "num_stages" => Some(Property::NumStages),
            "w0" => Some(Property::W0),
            "wa" => Some(Property::Wa),
            "wm" => Some(Property::Wm),
            "g" | "group_width" => Some(Property::GroupWidth),
            "b" | "bottleneck_ratio" => Some(Property::BottleneckRatio),
            "flops" => Some(Property::Flops),
            "params" => Some(Property::Params),
            "acts" => Some(Property::Acts),
            _ => None,
        };
        if let Some(p) = fixed {
            return Ok(p);
        }
        let err = || SpaceError::Parse {
            input: s.to_string(),
            why: "expected d, stages, d1..d8, w1..w8, b1..b8, g1..g8, w0, wa, wm, g, b, flops, \
                  params or acts"
                .into(),
        };
        let (head, tail) = t.split_at(1.min(t.len()));
        let i: usize = tail.parse().map_err(|_| err())?;
        if i == 0 || i > crate::net::MAX_STAGES {
            return Err(err());
        }
        match head {
            "d" => Ok(Property::StageDepth(i)),
            "w" => Ok(Property::StageWidth(i)),
            "b" => Ok(Property::StageBottleneckRatio(i)),
            "g" => Ok(Property::StageGroupWidth(i)),
            _ => Err(err()),
        }
    }
}

impl From<Property> for String {
    fn from(p: Property) -> String {
        p.to_string()
    }
}

impl TryFrom<String> for Property {
    type Error = SpaceError;
    fn try_from(s: String) -> Result<Self, SpaceError> {
        s.parse()
    }
}
