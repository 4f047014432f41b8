//! The noun that travels the pipeline: one model of a design space with what is known about it
//! before training (spec, RegNet parameters, complexity at a resolution). A run record carries
//! the sample it trained; the statistics read its properties as columns.

use serde::{Deserialize, Serialize};

use super::property::Property;
use crate::complexity::{Complexity, ComplexityError, complexity};
use crate::net::AnyNetSpec;
use crate::net::RegNetParams;

/// One model: drawn from a design space (then `index` says where in its seeded sequence), or
/// given by hand (a zoo model, a spec written in a notebook: no index).
///
/// ```
/// use regnet_lab::space::{DesignSpace, Property, Sample};
/// let s = DesignSpace::anynet_x_a().sample(0, 3)?;
/// assert_eq!(s.index, Some(3));
/// let by_hand = Sample::new(s.spec.clone(), None, s.resolution)?;
/// assert_eq!((by_hand.index, by_hand.complexity), (None, s.complexity));
/// assert_eq!(s.property(Property::Depth), Some(s.spec.depth() as f64));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Index within the seeded sequence of its design space (`None` for a model given by hand).
    /// Named `sample_index` in JSON, as run records have always called it.
    #[serde(rename = "sample_index", default)]
    pub index: Option<u64>,
    pub spec: AnyNetSpec,
    /// The RegNet parameters, for samples of a RegNet space.
    #[serde(default)]
    pub regnet: Option<RegNetParams>,
    /// Complexity at `resolution`² (a space's regime resolution; 224 when it has no regime).
    pub complexity: Complexity,
    pub resolution: usize,
    /// Draws rejected before this one was accepted: a fact of the draw, not of the model, so
    /// run records do not keep it (it reads 0 there).
    #[serde(skip)]
    pub rejected: u64,
}

impl Sample {
    /// A model given by hand, its complexity counted at `resolution`².
    pub fn new(
        spec: AnyNetSpec,
        regnet: Option<RegNetParams>,
        resolution: usize,
    ) -> Result<Self, ComplexityError> {
        Ok(Sample {
            index: None,
            complexity: complexity(&spec, resolution)?,
            spec,
            regnet,
            resolution,
            rejected: 0,
        })
    }

    /// The value of a property (see [`Property`]); `None` when the model lacks it (stage 5 of
    /// a 4-stage net, `wm` of an AnyNetX sample).
    pub fn property(&self, p: Property) -> Option<f64> {
        p.value(self)
    }
}
