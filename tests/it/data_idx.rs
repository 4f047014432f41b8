//! IDX reading (Fashion-MNIST format) on tiny synthetic files: round trip and every kind of
//! bad input, each of which must name the file.

use std::path::{Path, PathBuf};

use regnet_lab::data::{self, DataError, FASHION_MNIST_FILES, idx};

/// A fresh, empty directory under the system temp dir.
fn tmpdir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "regnet-lab-data-idx-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const H: usize = 5;
const W: usize = 4;

fn pixels(n: usize, salt: u8) -> Vec<u8> {
    (0..n * H * W)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(salt))
        .collect()
}

fn labels(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 10) as u8).collect()
}

/// Writes a valid 4-file set (20 train, 10 test images of 5×4) and returns the raw contents.
fn write_set(dir: &Path, gz: bool) -> [Vec<u8>; 4] {
    let files = [
        idx::encode_images(20, H, W, &pixels(20, 1)).unwrap(),
        idx::encode_labels(&labels(20)).unwrap(),
        idx::encode_images(10, H, W, &pixels(10, 2)).unwrap(),
        idx::encode_labels(&labels(10)).unwrap(),
    ];
    for (name, bytes) in FASHION_MNIST_FILES.iter().zip(&files) {
        let file = if gz {
            format!("{name}.gz")
        } else {
            name.to_string()
        };
        idx::write_file(&dir.join(file), bytes, gz).unwrap();
    }
    files
}

fn file(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("{}.gz", FASHION_MNIST_FILES[i]))
}

fn assert_names(err: &DataError, path: &Path) {
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "{msg:?} does not name {}",
        path.display()
    );
}

#[test]
fn round_trip_gzip_and_plain() {
    for gz in [true, false] {
        let dir = tmpdir("roundtrip");
        write_set(&dir, gz);
        let s = data::fashion_mnist_unverified(&dir).unwrap();
        assert_eq!((s.train.len(), s.val.len(), s.test.len()), (20, 0, 10));
        let shape = s.train.shape();
        assert_eq!((shape.channels, shape.height, shape.width), (1, H, W));
        assert_eq!(s.train.images(), &pixels(20, 1)[..]);
        assert_eq!(s.test.images(), &pixels(10, 2)[..]);
        assert_eq!(s.train.labels(), &labels(20)[..]);
        assert_eq!(s.train.num_classes(), 10);
        assert_eq!(s.train.class_names()[9], "Ankle boot");
        assert_eq!(
            s.train.image(3).unwrap(),
            &pixels(20, 1)[3 * H * W..4 * H * W]
        );
        assert!(s.train.image(20).is_none());
    }
}

#[test]
fn checksum_is_over_decompressed_bytes() {
    let dir = tmpdir("sha");
    let files = write_set(&dir, true);
    let raw = idx::RawFile::read(&file(&dir, 0)).unwrap();
    assert_eq!(raw.bytes, files[0]);
    assert_eq!(raw.sha256(), idx::sha256_hex(&files[0]));
    raw.verify_sha256(&idx::sha256_hex(&files[0])).unwrap();
    // The verified loader rejects the synthetic files by checksum, naming the first file.
    let err = data::fashion_mnist(&dir).unwrap_err();
    assert!(matches!(err, DataError::Checksum { .. }), "{err}");
    assert_names(&err, &file(&dir, 0));
}

#[test]
fn wrong_magic() {
    let dir = tmpdir("magic");
    let files = write_set(&dir, true);
    // Labels where images belong.
    idx::write_file(&file(&dir, 0), &files[1], true).unwrap();
    let err = data::fashion_mnist_unverified(&dir).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::WrongMagic {
                found: 0x801,
                expected: 0x803,
                ..
            }
        ),
        "{err}"
    );
    assert_names(&err, &file(&dir, 0));
    assert!(err.to_string().contains("0x00000801"), "{err}");
}

#[test]
fn truncated_idx_and_truncated_gzip() {
    let dir = tmpdir("trunc");
    let files = write_set(&dir, true);
    // Decompresses fine but holds fewer pixels than the header promises.
    let short = &files[2][..files[2].len() - 7];
    idx::write_file(&file(&dir, 2), short, true).unwrap();
    let err = data::fashion_mnist_unverified(&dir).unwrap_err();
    match &err {
        DataError::Truncated {
            expected, found, ..
        } => {
            assert_eq!(
                (*expected, *found),
                (files[2].len() as u64, short.len() as u64)
            )
        }
        e => panic!("expected Truncated, got {e}"),
    }
    assert_names(&err, &file(&dir, 2));

    // A gzip stream cut in the middle.
    write_set(&dir, true);
    let gz = std::fs::read(file(&dir, 0)).unwrap();
    std::fs::write(file(&dir, 0), &gz[..gz.len() / 2]).unwrap();
    let err = data::fashion_mnist_unverified(&dir).unwrap_err();
    assert!(matches!(err, DataError::Decompress { .. }), "{err}");
    assert_names(&err, &file(&dir, 0));

    // Only a header fragment.
    write_set(&dir, true);
    idx::write_file(&file(&dir, 1), &[0, 0, 8, 1, 0], true).unwrap();
    let err = data::fashion_mnist_unverified(&dir).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Truncated {
                expected: 8,
                found: 5,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn trailing_bytes_and_count_mismatch() {
    let dir = tmpdir("extra");
    let files = write_set(&dir, true);
    let mut long = files[0].clone();
    long.extend_from_slice(&[1, 2, 3]);
    idx::write_file(&file(&dir, 0), &long, true).unwrap();
    let err = data::fashion_mnist_unverified(&dir).unwrap_err();
    assert!(matches!(err, DataError::Malformed { .. }), "{err}");
    assert_names(&err, &file(&dir, 0));

    write_set(&dir, true);
    idx::write_file(
        &file(&dir, 3),
        &idx::encode_labels(&labels(9)).unwrap(),
        true,
    )
    .unwrap();
    let err = data::fashion_mnist_unverified(&dir).unwrap_err();
    assert!(matches!(err, DataError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("9 labels for 10 images"), "{err}");
    assert_names(&err, &file(&dir, 3));
}

#[test]
fn label_out_of_range() {
    let dir = tmpdir("label");
    write_set(&dir, true);
    let mut l = labels(20);
    l[13] = 10;
    idx::write_file(&file(&dir, 1), &idx::encode_labels(&l).unwrap(), true).unwrap();
    let err = data::fashion_mnist_unverified(&dir).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::LabelOutOfRange {
                index: 13,
                label: 10,
                classes: 10,
                ..
            }
        ),
        "{err}"
    );
    assert_names(&err, &file(&dir, 1));
}

#[test]
fn empty_missing_and_absent_dirs() {
    let dir = tmpdir("empty");
    let err = data::fashion_mnist(&dir).unwrap_err();
    assert!(matches!(err, DataError::EmptyDir { .. }), "{err}");
    assert_names(&err, &dir);
    assert!(
        err.to_string().contains("train-images-idx3-ubyte.gz"),
        "{err}"
    );

    write_set(&dir, true);
    std::fs::remove_file(file(&dir, 3)).unwrap();
    let err = data::fashion_mnist(&dir).unwrap_err();
    assert!(matches!(err, DataError::MissingFile { .. }), "{err}");
    assert_names(&err, &file(&dir, 3));

    let absent = dir.join("no-such-dir");
    let err = data::fashion_mnist(&absent).unwrap_err();
    assert!(matches!(err, DataError::Io { .. }), "{err}");
    assert_names(&err, &absent);
}

#[test]
fn embedded_subset_is_intact_and_balanced() {
    let t = std::time::Instant::now();
    let s = data::embedded().unwrap();
    eprintln!(
        "embedded subset decompressed and verified in {:.2?}",
        t.elapsed()
    );
    assert_eq!((s.train.len(), s.val.len(), s.test.len()), (6000, 0, 1000));
    assert_eq!(s.train.class_counts(), vec![600; 10]);
    assert_eq!(s.test.class_counts(), vec![100; 10]);
    let shape = s.train.shape();
    assert_eq!((shape.channels, shape.height, shape.width), (1, 28, 28));
    assert_eq!(s.train.name(), "fashion-mnist-subset/train");
    // The committed files hash to the constants the loader checks.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/fashion-mnist-subset");
    for (i, sha) in data::EMBEDDED_SHA256.iter().enumerate() {
        assert_eq!(&idx::RawFile::read(&file(&dir, i)).unwrap().sha256(), sha);
    }
    assert_eq!(
        data::fashion_mnist_unverified(&dir).unwrap().train,
        s.train.clone().with_name("fashion-mnist-subset/train")
    );
}
