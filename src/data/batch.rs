//! Shuffled, augmented mini-batches as tensors on a device.

use candle_core::{Device, Tensor};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::rng::{self, Purpose};
use super::{Augment, DataError, Dataset, Normalize};

/// How a training run draws its data: batch size, seed, shuffling and augmentation.
///
/// Serialisable so a training record can store it: with the same config (and the same
/// [`Normalize`]), epoch `e` yields the same batches, in the same order, with the same crops and
/// flips, on every machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataConfig {
    /// Images per batch.
    pub batch_size: usize,
    /// Seed of the epoch order and of the augmentation.
    pub seed: u64,
    /// Reorder the training set every epoch.
    pub shuffle: bool,
    /// Drop the last, smaller training batch (keeps BatchNorm statistics well defined).
    pub drop_last: bool,
    /// Training-time augmentation.
    pub augment: Augment,
}

impl Default for DataConfig {
    /// Batch 128, seed 0, shuffled, last partial batch dropped, [`Augment::STANDARD`].
    fn default() -> Self {
        Self {
            batch_size: 128,
            seed: 0,
            shuffle: true,
            drop_last: true,
            augment: Augment::STANDARD,
        }
    }
}

impl DataConfig {
    /// Fails when the batch size is 0.
    pub fn validate(&self) -> Result<(), DataError> {
        if self.batch_size == 0 {
            return Err(DataError::Invalid("batch_size must be at least 1".into()));
        }
        Ok(())
    }

    /// The batches of training epoch `epoch`: shuffled (if `shuffle`) and augmented by the
    /// stream `(seed, epoch)`, normalised with `normalize`, on `device`.
    ///
    /// Fails when `drop_last` is set and the dataset is smaller than one batch, rather than
    /// yielding an empty epoch.
    pub fn train_batches<'a>(
        &self,
        data: &'a Dataset,
        normalize: &Normalize,
        epoch: u64,
        device: &Device,
    ) -> Result<Batches<'a>, DataError> {
        self.validate()?;
        check_channels(data, normalize)?;
        if self.drop_last && data.len() < self.batch_size {
            return Err(DataError::Invalid(format!(
                "{} has {} images, fewer than one batch of {} (set drop_last = false or a smaller batch)",
                data.name(),
                data.len(),
                self.batch_size
            )));
        }
        let mut order: Vec<usize> = (0..data.len()).collect();
        if self.shuffle {
            rng::shuffle(
                &mut rng::stream(self.seed, Purpose::Shuffle, epoch),
                &mut order,
            );
        }
        if self.drop_last {
            order.truncate(order.len() / self.batch_size * self.batch_size);
        }
        let augment = (!self.augment.is_none()).then(|| {
            (
                self.augment,
                rng::stream(self.seed, Purpose::Augment, epoch),
            )
        });
        Ok(Batches {
            data,
            normalize: normalize.clone(),
            order,
            pos: 0,
            batch_size: self.batch_size,
            augment,
            device: device.clone(),
        })
    }

    /// The batches for evaluation: every image once, in dataset order, no augmentation, the
    /// last batch possibly smaller.
    pub fn eval_batches<'a>(
        &self,
        data: &'a Dataset,
        normalize: &Normalize,
        device: &Device,
    ) -> Result<Batches<'a>, DataError> {
        self.validate()?;
        check_channels(data, normalize)?;
        Ok(Batches {
            data,
            normalize: normalize.clone(),
            order: (0..data.len()).collect(),
            pos: 0,
            batch_size: self.batch_size,
            augment: None,
            device: device.clone(),
        })
    }
}

fn check_channels(data: &Dataset, normalize: &Normalize) -> Result<(), DataError> {
    if normalize.channels() != data.shape().channels {
        return Err(DataError::Invalid(format!(
            "{} has {} channels but the normalisation has {}",
            data.name(),
            data.shape().channels,
            normalize.channels()
        )));
    }
    Ok(())
}

/// An epoch's mini-batches: `(images, labels)` with images `B × C × H × W` `f32` and labels
/// `B` `u32`, both on the device. Built by [`DataConfig::train_batches`] or
/// [`DataConfig::eval_batches`].
#[derive(Debug)]
pub struct Batches<'a> {
    data: &'a Dataset,
    normalize: Normalize,
    order: Vec<usize>,
    pos: usize,
    batch_size: usize,
    augment: Option<(Augment, ChaCha8Rng)>,
    device: Device,
}

impl Batches<'_> {
    /// The image indices of the whole epoch, in the order they are batched.
    pub fn order(&self) -> &[usize] {
        &self.order
    }
}

impl Iterator for Batches<'_> {
    type Item = Result<(Tensor, Tensor), DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.order.len() {
            return None;
        }
        let end = (self.pos + self.batch_size).min(self.order.len());
        let idx = &self.order[self.pos..end];
        self.pos = end;
        let aug = self.augment.as_mut().map(|(a, r)| (*a, r));
        Some(assemble(self.data, idx, &self.normalize, aug, &self.device))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.order.len() - self.pos).div_ceil(self.batch_size);
        (left, Some(left))
    }
}

impl ExactSizeIterator for Batches<'_> {}

/// Normalises (and augments) the images at `idx` into one `f32` tensor, in one pass.
pub(crate) fn assemble(
    data: &Dataset,
    idx: &[usize],
    normalize: &Normalize,
    mut augment: Option<(Augment, &mut ChaCha8Rng)>,
    device: &Device,
) -> Result<(Tensor, Tensor), DataError> {
    let s = data.shape();
    let (c, h, w) = (s.channels, s.height, s.width);
    let tables = normalize.tables();
    let mut out = vec![0f32; idx.len() * s.len()];
    let mut labels = Vec::with_capacity(idx.len());
    for (dst, &i) in out.chunks_exact_mut(s.len()).zip(idx) {
        let (Some(src), Some(label)) = (data.image(i), data.label(i)) else {
            return Err(DataError::Invalid(format!("{}: no image {i}", data.name())));
        };
        labels.push(u32::from(label));
        // Offsets of the crop window in the padded image, minus the padding: the output pixel
        // (y, x) reads the source pixel (y + dy, x + dx), zero (the mean) outside.
        let (mut dy, mut dx, mut flip) = (0isize, 0isize, false);
        if let Some((a, rng)) = augment.as_mut() {
            let p = a.random_crop_padding as u64;
            if p > 0 {
                dy = rng::below(rng, 2 * p + 1) as isize - p as isize;
                dx = rng::below(rng, 2 * p + 1) as isize - p as isize;
            }
            if a.horizontal_flip {
                flip = rng::below(rng, 2) == 1;
            }
        }
        if dy == 0 && dx == 0 && !flip {
            for (o, (&v, t)) in dst.iter_mut().zip(src.iter().zip(planes(&tables, h * w))) {
                *o = t[usize::from(v)];
            }
            continue;
        }
        let channels = tables
            .iter()
            .zip(src.chunks_exact(h * w))
            .zip(dst.chunks_exact_mut(h * w));
        for ((t, sp), dp) in channels {
            for y in 0..h {
                let sy = y as isize + dy;
                if sy < 0 || sy >= h as isize {
                    continue; // stays 0.0, the channel mean
                }
                let row = &sp[sy as usize * w..(sy as usize + 1) * w];
                for x in 0..w {
                    // Flip the cropped image: output column x shows crop column w-1-x.
                    let cx = if flip { w - 1 - x } else { x };
                    let sx = cx as isize + dx;
                    if sx >= 0 && sx < w as isize {
                        dp[y * w + x] = t[usize::from(row[sx as usize])];
                    }
                }
            }
        }
    }
    let n = idx.len();
    let images = Tensor::from_vec(out, (n, c, h, w), device)?;
    let labels = Tensor::from_vec(labels, n, device)?;
    Ok((images, labels))
}

/// Each channel's table, repeated for every pixel of that channel's plane.
fn planes(tables: &[[f32; 256]], plane: usize) -> impl Iterator<Item = &[f32; 256]> {
    tables
        .iter()
        .flat_map(move |t| std::iter::repeat_n(t, plane))
}
