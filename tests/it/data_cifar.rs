//! CIFAR-10 binary batches, on small synthetic files in the official record format.

use std::path::{Path, PathBuf};

use regnet_lab::data::{self, DataError};

fn tmpdir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "regnet-lab-data-cifar-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const FILES: [&str; 6] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
    "test_batch.bin",
];

/// Record `r` of file `f`: label `(f + r) % 10`, every byte of channel `c` = `f*40 + r*3 + c`.
fn record(f: usize, r: usize) -> Vec<u8> {
    let mut rec = vec![((f + r) % 10) as u8];
    for c in 0..3 {
        rec.extend(std::iter::repeat_n((f * 40 + r * 3 + c) as u8, 1024));
    }
    rec
}

/// Writes the six files with `n` records each.
fn write_batches(dir: &Path, n: usize) {
    for (f, name) in FILES.iter().enumerate() {
        let bytes: Vec<u8> = (0..n).flat_map(|r| record(f, r)).collect();
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
fn reads_records_in_chw_order() {
    let dir = tmpdir("ok");
    write_batches(&dir, 3);
    let s = data::cifar10(&dir).unwrap();
    assert_eq!((s.train.len(), s.val.len(), s.test.len()), (15, 0, 3));
    let shape = s.train.shape();
    assert_eq!((shape.channels, shape.height, shape.width), (3, 32, 32));
    assert_eq!(s.train.class_names()[0], "airplane");
    // Train image 4 is record 1 of data_batch_2.
    let img = s.train.image(4).unwrap();
    assert_eq!((img[0], img[1024], img[2048], img[3071]), (43, 44, 45, 45));
    assert_eq!(s.train.label(4), Some(2));
    assert_eq!(s.test.label(2), Some(7));
    assert_eq!(s.test.image(2).unwrap()[0], (5 * 40 + 6) as u8);
    assert_eq!(s.train.name(), "cifar-10/train");
}

#[test]
fn finds_the_archive_subdirectory() {
    let dir = tmpdir("nested");
    let inner = dir.join("cifar-10-batches-bin");
    std::fs::create_dir_all(&inner).unwrap();
    write_batches(&inner, 1);
    assert_eq!(data::cifar10(&dir).unwrap().train.len(), 5);
}

#[test]
fn bad_input_names_the_file() {
    let dir = tmpdir("bad");
    let err = data::cifar10(&dir).unwrap_err();
    assert!(matches!(err, DataError::EmptyDir { .. }), "{err}");
    assert!(err.to_string().contains(&dir.display().to_string()));

    // Truncated record.
    write_batches(&dir, 2);
    let p = dir.join("data_batch_3.bin");
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() - 100]).unwrap();
    let err = data::cifar10(&dir).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::Truncated {
                expected: 6146,
                found: 6046,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("data_batch_3.bin"), "{err}");

    // Label out of range.
    write_batches(&dir, 2);
    let p = dir.join("test_batch.bin");
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[3073] = 12;
    std::fs::write(&p, bytes).unwrap();
    let err = data::cifar10(&dir).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::LabelOutOfRange {
                index: 1,
                label: 12,
                classes: 10,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("test_batch.bin"), "{err}");

    // Missing and empty files.
    write_batches(&dir, 2);
    std::fs::remove_file(dir.join("data_batch_5.bin")).unwrap();
    let err = data::cifar10(&dir).unwrap_err();
    assert!(matches!(err, DataError::MissingFile { .. }), "{err}");
    assert!(err.to_string().contains("data_batch_5.bin"), "{err}");
    std::fs::write(dir.join("data_batch_5.bin"), b"").unwrap();
    let err = data::cifar10(&dir).unwrap_err();
    assert!(matches!(err, DataError::Malformed { .. }), "{err}");
    assert!(
        err.to_string().contains("data_batch_5.bin: empty file"),
        "{err}"
    );
}

#[test]
fn cifar_reference_normalisation() {
    let n = data::Normalize::cifar10();
    assert_eq!(n.mean(), &[125.3, 123.0, 113.9]);
    assert_eq!(n.std(), &[63.0, 62.1, 66.7]);
    let dir = tmpdir("norm");
    write_batches(&dir, 2);
    let s = data::cifar10(&dir).unwrap();
    let (x, y) = s.test.to_tensors(&n, &candle_core::Device::Cpu).unwrap();
    assert_eq!(x.dims(), &[2, 3, 32, 32]);
    assert_eq!(y.to_vec1::<u32>().unwrap(), vec![5, 6]);
    let v = x.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    // Record 0 of test_batch: channel 0 bytes are 200.
    assert!((v[0] - (200.0 - 125.3) / 63.0).abs() < 1e-6);
}
