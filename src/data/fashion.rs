//! Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, Zalando, MIT licence): 60 000 training and
//! 10 000 test greyscale 28×28 images of 10 kinds of clothing, in four IDX files.

use std::path::{Path, PathBuf};

use super::idx::{IdxImages, RawFile};
use super::{DataError, Dataset, ImageShape, Splits, splits_from};

/// Where Debian's `dataset-fashion-mnist` package installs the files.
pub const DEFAULT_FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// The four files, without the `.gz` suffix: train images, train labels, test images, test
/// labels. Each may be present gzip-compressed (`<name>.gz`, preferred) or plain.
pub const FASHION_MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// SHA-256 of the *decompressed* upstream files, in the order of [`FASHION_MNIST_FILES`].
///
/// Checked on the decompressed bytes because Debian's `.gz` files are re-compressed (their
/// SHA-256 and upstream's MD5 differ) while their contents are upstream's byte for byte.
pub const FASHION_MNIST_SHA256: [&str; 4] = [
    "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
];

/// SHA-256 of the decompressed files of the embedded subset (`datasets/fashion-mnist-subset`),
/// in the order of [`FASHION_MNIST_FILES`].
pub const EMBEDDED_SHA256: [&str; 4] = [
    "cf313073c7eb485392848071d5c433571d7166043e971e3345b095cc30518084",
    "097b93fbcf9bd5bc648b1a457ddc55c9e4ab49afb33f9ecae8ce068399a75e3a",
    "7cee33c3c6414b1b86c25e665a6c4f41584269de3b7cc9768b1d351922845eef",
    "3128d790775889812b73c4f13923559c8b9e281d112c6ea7862acf60a206a909",
];

/// Class names, indexed by label.
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

const EMBEDDED_DIR: &str = "embedded:datasets/fashion-mnist-subset";

static EMBEDDED_FILES: [&[u8]; 4] = [
    include_bytes!("../../datasets/fashion-mnist-subset/train-images-idx3-ubyte.gz"),
    include_bytes!("../../datasets/fashion-mnist-subset/train-labels-idx1-ubyte.gz"),
    include_bytes!("../../datasets/fashion-mnist-subset/t10k-images-idx3-ubyte.gz"),
    include_bytes!("../../datasets/fashion-mnist-subset/t10k-labels-idx1-ubyte.gz"),
];

/// Fashion-MNIST from `dir`, checked against the published contents (SHA-256 of each
/// decompressed file) after the IDX structure checks.
pub fn fashion_mnist(dir: impl AsRef<Path>) -> Result<Splits, DataError> {
    let files = find_files(dir.as_ref())?;
    let raws = files
        .iter()
        .map(|p| RawFile::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    build("fashion-mnist", &raws, Some(&FASHION_MNIST_SHA256))
}

/// Fashion-MNIST-format IDX files from `dir` (the four names of [`FASHION_MNIST_FILES`]),
/// with the structure checks but no checksum: for subsets and other IDX data with the same
/// ten classes.
pub fn fashion_mnist_unverified(dir: impl AsRef<Path>) -> Result<Splits, DataError> {
    let dir = dir.as_ref();
    let files = find_files(dir)?;
    let raws = files
        .iter()
        .map(|p| RawFile::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let name = dir.file_name().map_or_else(
        || "fashion-mnist".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    build(&name, &raws, None)
}

/// Fashion-MNIST from [`DEFAULT_FASHION_MNIST_DIR`] (`apt-get install dataset-fashion-mnist`).
pub fn fashion_mnist_default() -> Result<Splits, DataError> {
    fashion_mnist(DEFAULT_FASHION_MNIST_DIR)
}

/// The embedded class-balanced subset of Fashion-MNIST: the first 600 training and the first
/// 100 test images of each class (6 000 + 1 000), compiled into the crate so it works from any
/// directory and without any installed data. See `datasets/README.md`.
///
/// ```
/// let data = regnet_lab::data::embedded()?;
/// assert_eq!(data.train.class_counts(), vec![600; 10]);
/// assert_eq!(data.test.class_names()[9], "Ankle boot");
/// println!("{data}"); // fashion-mnist-subset: train 6000, val 0, test 1000 images of 1×28×28, 10 classes
/// # Ok::<(), regnet_lab::data::DataError>(())
/// ```
pub fn embedded() -> Result<Splits, DataError> {
    let raws = FASHION_MNIST_FILES
        .iter()
        .zip(EMBEDDED_FILES)
        .map(|(name, bytes)| {
            RawFile::from_bytes(PathBuf::from(format!("{EMBEDDED_DIR}/{name}.gz")), bytes)
        })
        .collect::<Result<Vec<_>, _>>()?;
    build("fashion-mnist-subset", &raws, Some(&EMBEDDED_SHA256))
}

/// Full Fashion-MNIST when the Debian package is installed, else the embedded subset.
///
/// Only a *missing* directory falls back: a directory that exists but holds broken files is an
/// error, so corruption is never silently replaced by the subset.
///
/// ```
/// let data = regnet_lab::data::fashion_mnist_or_embedded()?.with_val(0.1, 0)?;
/// assert!(data.train.len() == 5400 || data.train.len() == 54000);
/// # Ok::<(), regnet_lab::data::DataError>(())
/// ```
pub fn fashion_mnist_or_embedded() -> Result<Splits, DataError> {
    if Path::new(DEFAULT_FASHION_MNIST_DIR).exists() {
        fashion_mnist_default()
    } else {
        embedded()
    }
}

/// The paths of the four files in `dir`, `<name>.gz` preferred over `<name>`.
fn find_files(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let found: Vec<Option<PathBuf>> = FASHION_MNIST_FILES
        .iter()
        .map(|name| {
            [format!("{name}.gz"), name.to_string()]
                .into_iter()
                .map(|f| dir.join(f))
                .find(|p| p.is_file())
        })
        .collect();
    if found.iter().all(Option::is_none) {
        if let Err(source) = std::fs::read_dir(dir) {
            return Err(DataError::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
        return Err(DataError::EmptyDir {
            path: dir.to_path_buf(),
            dataset: "Fashion-MNIST",
            expected: FASHION_MNIST_FILES.map(|f| format!("{f}.gz")).join(", "),
        });
    }
    found
        .into_iter()
        .zip(FASHION_MNIST_FILES)
        .map(|(p, name)| {
            p.ok_or_else(|| DataError::MissingFile {
                path: dir.join(format!("{name}.gz")),
                what: format!("Fashion-MNIST {}, gzip or plain", describe(name)),
            })
        })
        .collect()
}

fn describe(name: &str) -> &'static str {
    match (name.starts_with("train"), name.contains("images")) {
        (true, true) => "training images",
        (true, false) => "training labels",
        (false, true) => "test images",
        (false, false) => "test labels",
    }
}

/// Parses and cross-checks the four decompressed files.
fn build(name: &str, raws: &[RawFile], sha256: Option<&[&str; 4]>) -> Result<Splits, DataError> {
    let classes = FASHION_MNIST_CLASSES.len();
    let train_images = raws[0].parse_images()?;
    let train_labels = raws[1].parse_labels(classes)?;
    let test_images = raws[2].parse_images()?;
    let test_labels = raws[3].parse_labels(classes)?;
    check_counts(&raws[0], &train_images, &raws[1], &train_labels)?;
    check_counts(&raws[2], &test_images, &raws[3], &test_labels)?;
    if (test_images.rows, test_images.cols) != (train_images.rows, train_images.cols) {
        return Err(DataError::Malformed {
            path: raws[2].path.clone(),
            problem: format!(
                "test images are {}×{} but training images ({}) are {}×{}",
                test_images.rows,
                test_images.cols,
                raws[0].path.display(),
                train_images.rows,
                train_images.cols
            ),
        });
    }
    if let Some(expected) = sha256 {
        for (raw, sha) in raws.iter().zip(expected) {
            raw.verify_sha256(sha)?;
        }
    }
    let shape = ImageShape {
        channels: 1,
        height: train_images.rows,
        width: train_images.cols,
    };
    let class_names: Vec<String> = FASHION_MNIST_CLASSES
        .iter()
        .map(|s| s.to_string())
        .collect();
    let train = Dataset::try_new(
        name,
        shape,
        train_images.pixels,
        train_labels,
        class_names.clone(),
    )?;
    let test = Dataset::try_new(name, shape, test_images.pixels, test_labels, class_names)?;
    Ok(splits_from(name, train, test))
}

fn check_counts(
    images_file: &RawFile,
    images: &IdxImages,
    labels_file: &RawFile,
    labels: &[u8],
) -> Result<(), DataError> {
    if images.count != labels.len() {
        return Err(DataError::Malformed {
            path: labels_file.path.clone(),
            problem: format!(
                "{} labels for {} images in {}",
                labels.len(),
                images.count,
                images_file.path.display()
            ),
        });
    }
    Ok(())
}
