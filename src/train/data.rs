//! The bridge from the `data` module to the loop: which dataset a run uses ([`DataSource`], a
//! string in records and manifests) and a loaded dataset ready for training ([`ImageData`]).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use candle_core::Device;
use serde::{Deserialize, Serialize};

use super::TrainError;
use super::run::{Batch, TrainData};
use crate::data::{self, Augment, DataConfig, Normalize, Splits};

/// Where the images come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum DataSource {
    /// The Fashion-MNIST subset compiled into the crate (6 000 train / 1 000 test).
    Embedded,
    /// Full Fashion-MNIST from a directory (default: Debian's `dataset-fashion-mnist`).
    FashionMnist(Option<PathBuf>),
    /// CIFAR-10 binary batches from a directory.
    Cifar10(PathBuf),
}

impl DataSource {
    /// Load the official splits.
    pub fn load(&self) -> Result<Splits, TrainError> {
        let r = match self {
            DataSource::Embedded => data::embedded(),
            DataSource::FashionMnist(None) => data::fashion_mnist_default(),
            DataSource::FashionMnist(Some(d)) => data::fashion_mnist(d),
            DataSource::Cifar10(d) => data::cifar10(d),
        };
        Ok(r?)
    }

    /// The reference normalisation of this dataset.
    pub fn normalize(&self) -> Normalize {
        match self {
            DataSource::Cifar10(_) => Normalize::cifar10(),
            _ => Normalize::fashion_mnist(),
        }
    }

    /// `--dataset NAME [--data-dir DIR]` as the CLI takes it.
    pub fn from_cli(name: &str, dir: Option<PathBuf>) -> Result<Self, TrainError> {
        match (name.to_ascii_lowercase().replace('_', "-").as_str(), dir) {
            ("embedded", None) => Ok(DataSource::Embedded),
            ("embedded", Some(_)) => Err(TrainError::Config("--data-dir does not apply to the embedded dataset".into())),
            ("fashion-mnist", dir) => Ok(DataSource::FashionMnist(dir)),
            ("cifar10" | "cifar-10", Some(d)) => Ok(DataSource::Cifar10(d)),
            ("cifar10" | "cifar-10", None) => Err(TrainError::Config(
                "CIFAR-10 cannot be downloaded here: give --data-dir with data_batch_1.bin … test_batch.bin".into(),
            )),
            (other, _) => Err(TrainError::Config(format!(
                "unknown dataset '{other}' (embedded, fashion-mnist, cifar10)"
            ))),
        }
    }
}

impl fmt::Display for DataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataSource::Embedded => write!(f, "embedded"),
            DataSource::FashionMnist(None) => write!(f, "fashion-mnist"),
            DataSource::FashionMnist(Some(d)) => write!(f, "fashion-mnist:{}", d.display()),
            DataSource::Cifar10(d) => write!(f, "cifar10:{}", d.display()),
        }
    }
}

impl FromStr for DataSource {
    type Err = TrainError;
    fn from_str(s: &str) -> Result<Self, TrainError> {
        let (name, dir) = match s.split_once(':') {
            Some((n, d)) => (n, Some(PathBuf::from(d))),
            None => (s, None),
        };
        Self::from_cli(name, dir)
    }
}

impl From<DataSource> for String {
    fn from(d: DataSource) -> String {
        d.to_string()
    }
}

impl TryFrom<String> for DataSource {
    type Error = TrainError;
    fn try_from(s: String) -> Result<Self, TrainError> {
        s.parse()
    }
}

/// Which split measures a run's error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvalSplit {
    /// The official test set (what pycls's sweeps report).
    Test,
    /// A validation split carved from the training set.
    Val,
}

/// A loaded dataset ready for the loop: splits, normalisation, augmentation and which split
/// evaluates.
///
/// ```
/// use regnet_lab::train::{DataSource, ImageData, TrainData};
/// let data = ImageData::load(&DataSource::Embedded)?;
/// assert_eq!((data.train_len(), data.resolution()), (6000, 28));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ImageData {
    pub source: Option<DataSource>,
    pub splits: Splits,
    pub normalize: Normalize,
    pub augment: Augment,
    pub eval: EvalSplit,
    /// Use only the first this-many training images (class order preserved), for smoke runs.
    pub train_limit: Option<usize>,
    /// Evaluate on only the first this-many images (class-balanced), for smoke runs.
    pub eval_limit: Option<usize>,
    /// The side every image was resampled to from the source's own ([`ImageData::at_resolution`]).
    pub resized: Option<usize>,
}

impl ImageData {
    /// Load `source` with its reference normalisation and the standard augmentation
    /// (pad-4 crop, flip), evaluating on the test set.
    pub fn load(source: &DataSource) -> Result<Self, TrainError> {
        Ok(ImageData {
            source: Some(source.clone()),
            splits: source.load()?,
            normalize: source.normalize(),
            augment: Augment::STANDARD,
            eval: EvalSplit::Test,
            train_limit: None,
            eval_limit: None,
            resized: None,
        })
    }

    /// Wrap already loaded splits (normalised by their training set's statistics).
    pub fn from_splits(splits: Splits) -> Result<Self, TrainError> {
        let normalize = Normalize::from_dataset(&splits.train)?;
        Ok(ImageData {
            source: None,
            splits,
            normalize,
            augment: Augment::STANDARD,
            eval: EvalSplit::Test,
            train_limit: None,
            eval_limit: None,
            resized: None,
        })
    }

    pub fn with_augment(mut self, augment: Augment) -> Self {
        self.augment = augment;
        self
    }

    /// Carve a validation split (by seed) and evaluate on it.
    pub fn with_val(mut self, fraction: f64, seed: u64) -> Result<Self, TrainError> {
        self.splits = self.splits.with_val(fraction, seed)?;
        self.eval = EvalSplit::Val;
        Ok(self)
    }

    /// Train on a class-balanced subset of at most `n` images (the first of each class).
    pub fn with_train_limit(mut self, n: usize) -> Self {
        let per_class = n.div_ceil(self.splits.num_classes().max(1));
        self.splits.train = self.splits.train.first_per_class(per_class);
        self.train_limit = Some(n);
        self
    }

    /// Evaluate on a class-balanced subset of at most `n` images of the evaluation split.
    pub fn with_eval_limit(mut self, n: usize) -> Self {
        let per_class = n.div_ceil(self.splits.num_classes().max(1));
        match self.eval {
            EvalSplit::Test => self.splits.test = self.splits.test.first_per_class(per_class),
            EvalSplit::Val => self.splits.val = self.splits.val.first_per_class(per_class),
        }
        self.eval_limit = Some(n);
        self
    }

    /// The same data with every image resampled to `side × side` (antialiased bilinear, see
    /// `Dataset::resized`): the input resolution of paper Fig. 14 (middle). Normalisation and
    /// augmentation stay as they are (the pad-4 crop at the new size); the description says
    /// the new size, so a sweep at one resolution is never taken for one at another.
    ///
    /// ```
    /// use regnet_lab::train::{DataSource, ImageData, TrainData};
    /// let data = ImageData::load(&DataSource::Embedded)?.with_train_limit(50);
    /// let big = data.at_resolution(40)?;
    /// assert_eq!((big.resolution(), big.train_len()), (40, 50));
    /// assert!(big.describe().ends_with("resized to 40×40"));
    /// assert_eq!(data.at_resolution(28)?.describe(), data.describe());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn at_resolution(&self, side: usize) -> Result<Self, TrainError> {
        if side == self.resolution() {
            return Ok(self.clone());
        }
        let s = &self.splits;
        Ok(ImageData {
            splits: data::Splits {
                train: s.train.resized(side)?,
                val: s.val.resized(side)?,
                test: s.test.resized(side)?,
            },
            resized: Some(side),
            ..self.clone()
        })
    }

    fn eval_set(&self) -> &data::Dataset {
        match self.eval {
            EvalSplit::Test => &self.splits.test,
            EvalSplit::Val => &self.splits.val,
        }
    }

    fn config(&self, batch_size: usize, seed: u64) -> DataConfig {
        DataConfig {
            batch_size,
            seed,
            shuffle: true,
            // A last batch of one image would break BatchNorm's batch statistics.
            drop_last: self.splits.train.len() >= batch_size,
            augment: self.augment,
        }
    }
}

fn data_err(e: data::DataError) -> TrainError {
    TrainError::Dataset(e)
}

impl TrainData for ImageData {
    fn describe(&self) -> String {
        let eval = self.eval_set();
        format!(
            "{} | train {} ({} images) | eval {} ({} images) | augment crop {} flip {}",
            self.source
                .as_ref()
                .map_or("in-memory".into(), |s| s.to_string()),
            self.splits.train.name(),
            self.splits.train.len(),
            eval.name(),
            eval.len(),
            self.augment.random_crop_padding,
            self.augment.horizontal_flip
        ) + &self
            .resized
            .map_or(String::new(), |r| format!(" | resized to {r}×{r}"))
    }

    fn resolution(&self) -> usize {
        self.splits.shape().height
    }

    fn train_len(&self) -> usize {
        self.splits.train.len()
    }

    fn steps_per_epoch(&self, batch_size: usize) -> usize {
        let n = self.splits.train.len();
        if self.config(batch_size, 0).drop_last {
            n / batch_size
        } else {
            n.div_ceil(batch_size)
        }
    }

    fn train_batches(
        &self,
        batch_size: usize,
        seed: u64,
        epoch: usize,
        device: &Device,
    ) -> Result<Box<dyn Iterator<Item = Result<Batch, TrainError>> + '_>, TrainError> {
        let b = self
            .config(batch_size, seed)
            .train_batches(&self.splits.train, &self.normalize, epoch as u64, device)
            .map_err(data_err)?;
        Ok(Box::new(b.map(|r| r.map_err(data_err))))
    }

    fn eval_batches(
        &self,
        batch_size: usize,
        device: &Device,
    ) -> Result<Box<dyn Iterator<Item = Result<Batch, TrainError>> + '_>, TrainError> {
        let b = self
            .config(batch_size, 0)
            .eval_batches(self.eval_set(), &self.normalize, device)
            .map_err(data_err)?;
        Ok(Box::new(b.map(|r| r.map_err(data_err))))
    }
}
