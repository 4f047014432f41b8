//! Per-channel normalisation and training-time augmentation.

use serde::{Deserialize, Serialize};

use super::{DataError, Dataset};

/// Per-channel normalisation `x ↦ (x − mean) / std`, with `mean` and `std` on the 0..=255
/// pixel scale (so the CIFAR-10 reference values read as they are usually quoted).
///
/// Compute it from the *training* split ([`Normalize::from_dataset`]) and apply the same values
/// to validation and test images; store it with a training record so the model can be
/// evaluated later exactly as it was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalize {
    mean: Vec<f32>,
    std: Vec<f32>,
}

impl Normalize {
    /// Explicit values, one per channel; every `std` must be positive and every value finite.
    pub fn try_new(mean: Vec<f32>, std: Vec<f32>) -> Result<Self, DataError> {
        if mean.is_empty() || mean.len() != std.len() {
            return Err(DataError::Invalid(format!(
                "normalisation needs one mean and one std per channel, got {} and {}",
                mean.len(),
                std.len()
            )));
        }
        if let Some(bad) = mean.iter().find(|m| !m.is_finite()) {
            return Err(DataError::Invalid(format!(
                "normalisation mean {bad} is not finite"
            )));
        }
        if let Some(bad) = std.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(DataError::Invalid(format!(
                "normalisation std {bad} must be positive and finite"
            )));
        }
        Ok(Self { mean, std })
    }

    /// The mean and standard deviation of each channel of `data`. A channel whose std is
    /// below one grey level (a constant channel) is given std 1 so that it stays finite.
    pub fn from_dataset(data: &Dataset) -> Result<Self, DataError> {
        if data.is_empty() {
            return Err(DataError::Invalid(format!(
                "{}: cannot compute normalisation statistics of an empty dataset",
                data.name()
            )));
        }
        let (mean, std) = data.channel_mean_std();
        Self::try_new(
            mean.iter().map(|&m| m as f32).collect(),
            std.iter().map(|&s| s.max(1.0) as f32).collect(),
        )
    }

    /// The statistics of the CIFAR-10 training set used by pycls and most CIFAR code:
    /// mean (125.3, 123.0, 113.9), std (63.0, 62.1, 66.7).
    pub fn cifar10() -> Self {
        Self {
            mean: vec![125.3, 123.0, 113.9],
            std: vec![63.0, 62.1, 66.7],
        }
    }

    /// The statistics of the full Fashion-MNIST training set (60 000 images), computed with
    /// [`Normalize::from_dataset`]: mean 72.94, std 90.02.
    pub fn fashion_mnist() -> Self {
        Self {
            mean: vec![72.94],
            std: vec![90.02],
        }
    }

    /// Scaling to 0..=1 only (mean 0, std 255), for `channels` channels.
    pub fn unit_range(channels: usize) -> Self {
        Self {
            mean: vec![0.0; channels.max(1)],
            std: vec![255.0; channels.max(1)],
        }
    }

    /// Means, one per channel, on the 0..=255 scale.
    pub fn mean(&self) -> &[f32] {
        &self.mean
    }

    /// Standard deviations, one per channel, on the 0..=255 scale.
    pub fn std(&self) -> &[f32] {
        &self.std
    }

    /// Number of channels.
    pub fn channels(&self) -> usize {
        self.mean.len()
    }

    /// One 256-entry lookup table per channel: byte → normalised value. Normalising a batch is
    /// then one table read per pixel.
    pub(crate) fn tables(&self) -> Vec<[f32; 256]> {
        self.mean
            .iter()
            .zip(&self.std)
            .map(|(&m, &s)| std::array::from_fn(|v| (v as f32 - m) / s))
            .collect()
    }
}

/// Training-time augmentation, redrawn for every image in every epoch.
///
/// The CIFAR recipe of pycls (and of the ResNet paper): pad by `random_crop_padding` pixels,
/// take a random crop of the original size, and mirror left–right with probability ½. As in
/// pycls, padding is applied *after* normalisation with zeros, i.e. the padded border has the
/// channel mean. Flips are on by default for both datasets: CIFAR-10's objects and
/// Fashion-MNIST's garments, shoes and bags keep their class when mirrored (unlike digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Augment {
    /// Pixels of padding on each side before the random crop; 0 turns cropping off.
    pub random_crop_padding: usize,
    /// Mirror left–right with probability ½.
    pub horizontal_flip: bool,
}

impl Augment {
    /// No augmentation.
    pub const NONE: Self = Self {
        random_crop_padding: 0,
        horizontal_flip: false,
    };

    /// Pad-4 random crop and horizontal flip: the standard CIFAR augmentation, also used here
    /// for Fashion-MNIST.
    pub const STANDARD: Self = Self {
        random_crop_padding: 4,
        horizontal_flip: true,
    };

    /// True when this does nothing.
    pub fn is_none(&self) -> bool {
        self.random_crop_padding == 0 && !self.horizontal_flip
    }
}

impl Default for Augment {
    fn default() -> Self {
        Self::STANDARD
    }
}
