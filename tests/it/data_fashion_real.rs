//! The full Fashion-MNIST from Debian's `dataset-fashion-mnist` package.
//!
//! Fails when the files are missing, unless `REGNET_LAB_ALLOW_SKIP=1`: a test that passes
//! without looking at the data would hide a broken setup.

use std::path::Path;

use candle_core::Device;
use regnet_lab::data::{self, DataConfig, Normalize};

fn installed() -> bool {
    if Path::new(data::DEFAULT_FASHION_MNIST_DIR).exists() {
        return true;
    }
    if std::env::var("REGNET_LAB_ALLOW_SKIP").as_deref() == Ok("1") {
        eprintln!(
            "skipped: {} is missing (REGNET_LAB_ALLOW_SKIP=1)",
            data::DEFAULT_FASHION_MNIST_DIR
        );
        return false;
    }
    panic!(
        "{} is missing: `apt-get install dataset-fashion-mnist`, or set REGNET_LAB_ALLOW_SKIP=1",
        data::DEFAULT_FASHION_MNIST_DIR
    );
}

#[test]
fn full_fashion_mnist_loads_and_verifies() {
    if !installed() {
        return;
    }
    let t = std::time::Instant::now();
    let s = data::fashion_mnist_default().unwrap();
    eprintln!("loaded and verified in {:.2?}", t.elapsed());
    assert_eq!(
        (s.train.len(), s.val.len(), s.test.len()),
        (60000, 0, 10000)
    );
    assert_eq!(s.train.class_counts(), vec![6000; 10]);
    assert_eq!(s.test.class_counts(), vec![1000; 10]);
    let shape = s.shape();
    assert_eq!((shape.channels, shape.height, shape.width), (1, 28, 28));
    // The decompressed files are upstream's.
    for (name, sha) in data::FASHION_MNIST_FILES
        .iter()
        .zip(data::FASHION_MNIST_SHA256)
    {
        let p = Path::new(data::DEFAULT_FASHION_MNIST_DIR).join(format!("{name}.gz"));
        assert_eq!(
            data::idx::RawFile::read(&p).unwrap().sha256(),
            sha,
            "{}",
            p.display()
        );
    }
    // The documented reference statistics are this training set's.
    let n = Normalize::from_dataset(&s.train).unwrap();
    let r = Normalize::fashion_mnist();
    assert!(
        (n.mean()[0] - r.mean()[0]).abs() < 0.01 && (n.std()[0] - r.std()[0]).abs() < 0.01,
        "{n:?}"
    );
    // The embedded subset is the first 600 / 100 images of each class.
    let e = data::embedded().unwrap();
    assert_eq!(e.train.images(), s.train.first_per_class(600).images());
    assert_eq!(e.test.labels(), s.test.first_per_class(100).labels());
    assert_eq!(
        data::fashion_mnist_or_embedded().unwrap().train.len(),
        60000
    );
    // One epoch of batches.
    let s = s.with_val(1.0 / 12.0, 0).unwrap();
    assert_eq!((s.train.len(), s.val.len()), (55000, 5000));
    let t = std::time::Instant::now();
    let cfg = DataConfig::default();
    let mut count = 0;
    for b in cfg.train_batches(&s.train, &n, 0, &Device::Cpu).unwrap() {
        let (x, _) = b.unwrap();
        count += x.dims()[0];
    }
    eprintln!(
        "one augmented epoch of {count} images batched in {:.2?}",
        t.elapsed()
    );
    assert_eq!(count, 55000 / 128 * 128);
}
