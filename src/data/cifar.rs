//! CIFAR-10 (Krizhevsky 2009) from its binary version: `data_batch_1.bin` … `data_batch_5.bin`
//! and `test_batch.bin`, each a sequence of 3 073-byte records (one label byte, then a 32×32
//! colour image as 1 024 red, 1 024 green, 1 024 blue bytes — already `C × H × W`).

use std::path::{Path, PathBuf};

use super::{DataError, Dataset, ImageShape, Splits, splits_from};

/// Class names, indexed by label.
pub const CIFAR10_CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

const TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];
const TEST_FILE: &str = "test_batch.bin";
const SHAPE: ImageShape = ImageShape {
    channels: 3,
    height: 32,
    width: 32,
};
const RECORD: usize = 1 + 3 * 32 * 32;

/// CIFAR-10 from the binary batches in `dir` (or in `dir/cifar-10-batches-bin`, as the
/// archive unpacks). Checks every file's size is a whole number of records and every label is
/// below 10. The official files hold 10 000 records each; smaller files (e.g. for tests) are
/// accepted.
///
/// ```no_run
/// use regnet_lab::data::{self, Normalize};
/// let data = data::cifar10("/data/cifar-10-batches-bin")?.with_val(0.1, 0)?;
/// let norm = Normalize::cifar10(); // or Normalize::from_dataset(&data.train)?
/// # Ok::<(), regnet_lab::data::DataError>(())
/// ```
pub fn cifar10(dir: impl AsRef<Path>) -> Result<Splits, DataError> {
    let mut dir = dir.as_ref().to_path_buf();
    let nested = dir.join("cifar-10-batches-bin");
    if !dir.join(TRAIN_FILES[0]).exists() && nested.is_dir() {
        dir = nested;
    }
    let all: Vec<&str> = TRAIN_FILES.iter().copied().chain([TEST_FILE]).collect();
    if all.iter().all(|f| !dir.join(f).is_file()) {
        if let Err(source) = std::fs::read_dir(&dir) {
            return Err(DataError::Io { path: dir, source });
        }
        return Err(DataError::EmptyDir {
            path: dir,
            dataset: "CIFAR-10 (binary version)",
            expected: all.join(", "),
        });
    }
    let mut images = Vec::new();
    let mut labels = Vec::new();
    for f in TRAIN_FILES {
        read_batch(&dir.join(f), &mut images, &mut labels)?;
    }
    let class_names: Vec<String> = CIFAR10_CLASSES.iter().map(|s| s.to_string()).collect();
    let train = Dataset::try_new("cifar-10", SHAPE, images, labels, class_names.clone())?;
    let (mut images, mut labels) = (Vec::new(), Vec::new());
    read_batch(&dir.join(TEST_FILE), &mut images, &mut labels)?;
    let test = Dataset::try_new("cifar-10", SHAPE, images, labels, class_names)?;
    Ok(splits_from("cifar-10", train, test))
}

/// Appends the records of one batch file.
fn read_batch(path: &Path, images: &mut Vec<u8>, labels: &mut Vec<u8>) -> Result<(), DataError> {
    let bytes = std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            DataError::MissingFile {
                path: PathBuf::from(path),
                what: "CIFAR-10 binary batch".into(),
            }
        } else {
            DataError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    if bytes.is_empty() {
        return Err(DataError::Malformed {
            path: path.to_path_buf(),
            problem: format!("empty file (expected records of {RECORD} bytes)"),
        });
    }
    if bytes.len() % RECORD != 0 {
        let whole = bytes.len() / RECORD;
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            expected: ((whole + 1) * RECORD) as u64,
            found: bytes.len() as u64,
        });
    }
    images.reserve(bytes.len() / RECORD * (RECORD - 1));
    for (index, rec) in bytes.chunks_exact(RECORD).enumerate() {
        let label = rec[0];
        if usize::from(label) >= CIFAR10_CLASSES.len() {
            return Err(DataError::LabelOutOfRange {
                path: path.to_path_buf(),
                index,
                label,
                classes: CIFAR10_CLASSES.len(),
            });
        }
        labels.push(label);
        images.extend_from_slice(&rec[1..]);
    }
    Ok(())
}
