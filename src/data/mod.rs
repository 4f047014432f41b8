//! Datasets as tensors: Fashion-MNIST, CIFAR-10 and an embedded Fashion-MNIST subset, with
//! splits, normalisation, augmentation and batching.
//!
//! The paper trains every sampled model briefly on a small dataset and compares *distributions*
//! of errors (§3.1); what matters here is that the data side is cheap, deterministic and the
//! same for every model of a sweep. So:
//!
//! - A [`Dataset`] keeps its images as `u8` in host memory, `N × C × H × W`: one byte a pixel,
//!   a quarter of `f32`, and all of Fashion-MNIST fits in 55 MB. [`Batches`] turns each batch
//!   into a normalised (and, for training, augmented) `f32` tensor in a single pass over the
//!   bytes and uploads it to the chosen device; labels come as a `u32` tensor, as candle's
//!   cross-entropy wants them. For a whole split at once, [`Dataset::to_tensors`].
//! - Every random choice — the validation split, the order of an epoch, crop offsets and flips —
//!   is drawn from a ChaCha8 stream keyed by `(seed, purpose, epoch)` with a portable integer
//!   mapping, so a run's data order is reproduced from its [`DataConfig`] on any machine.
//! - Loaders check what they read: IDX magic numbers, dimensions and counts, label ranges,
//!   record sizes, and for Fashion-MNIST the SHA-256 of the decompressed files. Errors
//!   ([`DataError`]) name the file and what is wrong with it.
//!
//! ```
//! use regnet_lab::data::{self, DataConfig, Normalize};
//! use candle_core::Device;
//!
//! // 600 training and 100 test images per class, compiled into the crate.
//! let data = data::embedded()?.with_val(0.1, 0)?;
//! assert_eq!((data.train.len(), data.val.len(), data.test.len()), (5400, 600, 1000));
//!
//! let norm = Normalize::from_dataset(&data.train)?;
//! let config = DataConfig { batch_size: 64, ..DataConfig::default() };
//! let mut batches = config.train_batches(&data.train, &norm, 0, &Device::Cpu)?;
//! assert_eq!(batches.len(), 5400 / 64);
//! let (images, labels) = batches.next().unwrap()?;
//! assert_eq!(images.dims(), &[64, 1, 28, 28]);
//! assert_eq!(labels.dims(), &[64]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod batch;
mod cifar;
mod fashion;
pub mod idx;
mod resize;
mod rng;
mod transform;

use std::fmt;
use std::path::PathBuf;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

pub use batch::{Batches, DataConfig};
pub use cifar::{CIFAR10_CLASSES, cifar10};
pub use fashion::{
    DEFAULT_FASHION_MNIST_DIR, EMBEDDED_SHA256, FASHION_MNIST_CLASSES, FASHION_MNIST_FILES,
    FASHION_MNIST_SHA256, embedded, fashion_mnist, fashion_mnist_default,
    fashion_mnist_or_embedded, fashion_mnist_unverified,
};
pub use transform::{Augment, Normalize};

/// What can go wrong reading or preparing data. File errors name the file.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file or directory could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A gzip file is corrupt or cut short.
    #[error("{}: corrupt or truncated gzip data: {source}", path.display())]
    Decompress {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        source: std::io::Error,
    },
    /// The file does not start with the magic number of the expected IDX kind.
    #[error("{}: wrong magic number {found:#010x}, expected {expected:#010x} (IDX {kind})", path.display())]
    WrongMagic {
        /// The file.
        path: PathBuf,
        /// `"images"` or `"labels"`.
        kind: &'static str,
        /// The magic number for that kind.
        expected: u32,
        /// What the file starts with.
        found: u32,
    },
    /// The file is shorter than its header (or record size) says it must be.
    #[error("{}: truncated: expected {expected} bytes, found {found}", path.display())]
    Truncated {
        /// The file (decompressed size when it is gzip).
        path: PathBuf,
        /// The size it should have.
        expected: u64,
        /// The size it has.
        found: u64,
    },
    /// The file is readable but its contents do not fit the format or the rest of the dataset.
    #[error("{}: {problem}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A label names a class the dataset does not have.
    #[error("{}: label {label} of record {index} is out of range (the dataset has {classes} classes)", path.display())]
    LabelOutOfRange {
        /// The file.
        path: PathBuf,
        /// Record number, from 0.
        index: usize,
        /// The label found.
        label: u8,
        /// Number of classes.
        classes: usize,
    },
    /// The decompressed contents are not the published ones.
    #[error("{}: SHA-256 of the decompressed contents is {found}, expected {expected}", path.display())]
    Checksum {
        /// The file.
        path: PathBuf,
        /// The published checksum.
        expected: String,
        /// The checksum of what was read.
        found: String,
    },
    /// A file the dataset needs is not in the directory.
    #[error("{}: missing ({what})", path.display())]
    MissingFile {
        /// The path that was looked for.
        path: PathBuf,
        /// What the file is.
        what: String,
    },
    /// The directory holds none of the dataset's files.
    #[error("{}: no {dataset} files here (expected {expected})", path.display())]
    EmptyDir {
        /// The directory.
        path: PathBuf,
        /// The dataset looked for.
        dataset: &'static str,
        /// The file names it needs.
        expected: String,
    },
    /// An argument is out of range (a batch size of 0, a validation fraction of 1.5, …).
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// A tensor could not be built or moved to the device.
    #[error("tensor operation failed: {0}")]
    Candle(#[from] candle_core::Error),
}

/// Channels, height and width of every image of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImageShape {
    /// Colour channels: 1 for Fashion-MNIST, 3 for CIFAR-10.
    pub channels: usize,
    /// Height in pixels.
    pub height: usize,
    /// Width in pixels.
    pub width: usize,
}

impl ImageShape {
    /// Bytes (pixels × channels) of one image.
    pub fn len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// True when some dimension is zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Display for ImageShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}×{}×{}", self.channels, self.height, self.width)
    }
}

/// Labelled images in host memory: `N × C × H × W` bytes (0..=255) and one label per image.
///
/// Construction validates sizes and label ranges, so a `Dataset` is always consistent.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    name: String,
    shape: ImageShape,
    images: Vec<u8>,
    labels: Vec<u8>,
    class_names: Vec<String>,
}

impl Dataset {
    /// A dataset from raw bytes (`labels.len() × shape.len()` of them, in `N × C × H × W`
    /// order) and labels below `class_names.len()`.
    pub fn try_new(
        name: impl Into<String>,
        shape: ImageShape,
        images: Vec<u8>,
        labels: Vec<u8>,
        class_names: Vec<String>,
    ) -> Result<Self, DataError> {
        let name = name.into();
        if shape.is_empty() {
            return Err(DataError::Invalid(format!(
                "{name}: image shape {shape} is empty"
            )));
        }
        if class_names.is_empty() || class_names.len() > 256 {
            return Err(DataError::Invalid(format!(
                "{name}: {} classes (must be 1..=256)",
                class_names.len()
            )));
        }
        if images.len() != labels.len() * shape.len() {
            return Err(DataError::Invalid(format!(
                "{name}: {} image bytes for {} labels of {shape} images",
                images.len(),
                labels.len()
            )));
        }
        if let Some((i, &l)) = labels
            .iter()
            .enumerate()
            .find(|&(_, &l)| usize::from(l) >= class_names.len())
        {
            return Err(DataError::Invalid(format!(
                "{name}: label {l} of image {i} is out of range ({} classes)",
                class_names.len()
            )));
        }
        Ok(Self {
            name,
            shape,
            images,
            labels,
            class_names,
        })
    }

    /// The dataset's name, e.g. `fashion-mnist/train`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The same data under another name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Shape of one image.
    pub fn shape(&self) -> ImageShape {
        self.shape
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of classes (the model's output width).
    pub fn num_classes(&self) -> usize {
        self.class_names.len()
    }

    /// Class names, indexed by label.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// All image bytes, `N × C × H × W`.
    pub fn images(&self) -> &[u8] {
        &self.images
    }

    /// All labels.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The bytes of image `i` (`C × H × W`), if there is one.
    pub fn image(&self, i: usize) -> Option<&[u8]> {
        let n = self.shape.len();
        self.images.get(i * n..(i + 1) * n)
    }

    /// The label of image `i`, if there is one.
    pub fn label(&self, i: usize) -> Option<u8> {
        self.labels.get(i).copied()
    }

    /// Number of images of each class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_classes()];
        for &l in &self.labels {
            counts[usize::from(l)] += 1;
        }
        counts
    }

    /// The images at `indices`, in that order (repeats allowed).
    pub fn subset(&self, indices: &[usize]) -> Result<Self, DataError> {
        let n = self.shape.len();
        let mut images = Vec::with_capacity(indices.len() * n);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            let (Some(img), Some(l)) = (self.image(i), self.label(i)) else {
                return Err(DataError::Invalid(format!(
                    "{}: index {i} out of range ({} images)",
                    self.name,
                    self.len()
                )));
            };
            images.extend_from_slice(img);
            labels.push(l);
        }
        Ok(Self {
            name: self.name.clone(),
            shape: self.shape,
            images,
            labels,
            class_names: self.class_names.clone(),
        })
    }

    /// The first `k` images of each class, in dataset order: a deterministic, class-balanced
    /// subset for quick experiments (and how the embedded subset was made).
    pub fn first_per_class(&self, k: usize) -> Self {
        let mut taken = vec![0usize; self.num_classes()];
        let indices: Vec<usize> = (0..self.len())
            .filter(|&i| {
                let c = usize::from(self.labels[i]);
                taken[c] += 1;
                taken[c] <= k
            })
            .collect();
        // Indices come from 0..len, so subset cannot fail.
        self.subset(&indices).unwrap_or_else(|_| self.clone())
    }

    /// Per-channel mean and standard deviation of the pixel values, on the 0..=255 scale.
    /// Empty datasets give zeros.
    pub fn channel_mean_std(&self) -> (Vec<f64>, Vec<f64>) {
        let c = self.shape.channels;
        let plane = self.shape.height * self.shape.width;
        let mut sum = vec![0u64; c];
        let mut sum_sq = vec![0u64; c];
        for img in self.images.chunks_exact(self.shape.len()) {
            for (ch, px) in img.chunks_exact(plane).enumerate() {
                // Histogram-free exact sums: u64 cannot overflow below ~2^40 pixels.
                let (s, q) = px.iter().fold((0u64, 0u64), |(s, q), &v| {
                    let v = u64::from(v);
                    (s + v, q + v * v)
                });
                sum[ch] += s;
                sum_sq[ch] += q;
            }
        }
        let count = (self.len() * plane) as f64;
        if count == 0.0 {
            return (vec![0.0; c], vec![0.0; c]);
        }
        let mean: Vec<f64> = sum.iter().map(|&s| s as f64 / count).collect();
        let std = sum_sq
            .iter()
            .zip(&mean)
            .map(|(&q, &m)| (q as f64 / count - m * m).max(0.0).sqrt())
            .collect();
        (mean, std)
    }

    /// The whole dataset as tensors on `device`: images `N × C × H × W` `f32` normalised with
    /// `normalize`, labels `N` `u32`. Convenient for evaluation of small splits; for training,
    /// use [`DataConfig::train_batches`].
    pub fn to_tensors(
        &self,
        normalize: &Normalize,
        device: &Device,
    ) -> Result<(Tensor, Tensor), DataError> {
        let all: Vec<usize> = (0..self.len()).collect();
        batch::assemble(self, &all, normalize, None, device)
    }

    /// The raw images as a `u8` tensor `N × C × H × W` on `device`.
    pub fn images_u8(&self, device: &Device) -> Result<Tensor, DataError> {
        let s = self.shape;
        Ok(Tensor::from_slice(
            &self.images,
            (self.len(), s.channels, s.height, s.width),
            device,
        )?)
    }

    /// The labels as a `u32` tensor on `device`.
    pub fn labels_u32(&self, device: &Device) -> Result<Tensor, DataError> {
        let labels: Vec<u32> = self.labels.iter().map(|&l| u32::from(l)).collect();
        Ok(Tensor::from_vec(labels, self.len(), device)?)
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} images of {}, {} classes",
            self.name,
            self.len(),
            self.shape,
            self.num_classes()
        )
    }
}

/// A dataset's train / validation / test splits.
///
/// Loaders return the official train and test sets with an empty `val`; [`Splits::with_val`]
/// carves the validation set out of `train`, so the test set is never looked at while
/// choosing models.
#[derive(Debug, Clone, PartialEq)]
pub struct Splits {
    /// Training images.
    pub train: Dataset,
    /// Validation images (carved from the training set; empty until [`Splits::with_val`]).
    pub val: Dataset,
    /// The official test set.
    pub test: Dataset,
}

impl Splits {
    /// Moves `val_fraction` of each class of `train` (rounded to whole images) into `val`,
    /// chosen by `seed`. Stratified, so `val` has the class balance of `train`; both keep the
    /// original order of the images. The same seed always gives the same split.
    pub fn with_val(self, val_fraction: f64, seed: u64) -> Result<Self, DataError> {
        if !(0.0..1.0).contains(&val_fraction) {
            return Err(DataError::Invalid(format!(
                "val_fraction {val_fraction} must be in [0, 1)"
            )));
        }
        if !self.val.is_empty() {
            return Err(DataError::Invalid(format!(
                "{} already has a validation split of {} images",
                self.train.name(),
                self.val.len()
            )));
        }
        let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); self.train.num_classes()];
        for (i, &l) in self.train.labels().iter().enumerate() {
            by_class[usize::from(l)].push(i);
        }
        let mut rng = rng::stream(seed, rng::Purpose::ValSplit, 0);
        let mut in_val = vec![false; self.train.len()];
        for members in &mut by_class {
            rng::shuffle(&mut rng, members);
            let k = (val_fraction * members.len() as f64).round() as usize;
            for &i in &members[..k.min(members.len())] {
                in_val[i] = true;
            }
        }
        let (val_idx, train_idx): (Vec<usize>, Vec<usize>) =
            (0..self.train.len()).partition(|&i| in_val[i]);
        let base = base_name(self.train.name());
        Ok(Self {
            val: self
                .train
                .subset(&val_idx)?
                .with_name(format!("{base}/val")),
            train: self
                .train
                .subset(&train_idx)?
                .with_name(format!("{base}/train")),
            test: self.test,
        })
    }

    /// Number of classes.
    pub fn num_classes(&self) -> usize {
        self.train.num_classes()
    }

    /// Shape of one image.
    pub fn shape(&self) -> ImageShape {
        self.train.shape()
    }
}

impl fmt::Display for Splits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: train {}, val {}, test {} images of {}, {} classes",
            base_name(self.train.name()),
            self.train.len(),
            self.val.len(),
            self.test.len(),
            self.shape(),
            self.num_classes()
        )
    }
}

/// `fashion-mnist/train` → `fashion-mnist`.
fn base_name(name: &str) -> &str {
    name.rsplit_once('/').map_or(name, |(base, _)| base)
}

/// Builds `Splits` with an empty validation set named after `base`.
fn splits_from(base: &str, train: Dataset, test: Dataset) -> Splits {
    let val = Dataset {
        name: format!("{base}/val"),
        shape: train.shape,
        images: Vec::new(),
        labels: Vec::new(),
        class_names: train.class_names.clone(),
    };
    Splits {
        train: train.with_name(format!("{base}/train")),
        val,
        test: test.with_name(format!("{base}/test")),
    }
}
