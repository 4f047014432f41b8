//! Makes the embedded Fashion-MNIST subset: the first K training and the first M test images
//! of each class, in dataset order, written as gzip IDX files with the upstream names.
//!
//! ```text
//! cargo run --release --example make_subset -- /usr/share/datasets/fashion-mnist datasets/fashion-mnist-subset [600 100]
//! ```
//!
//! Prints the size and the SHA-256 of the decompressed contents of every file written: the
//! latter are `regnet_lab::data::EMBEDDED_SHA256`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use regnet_lab::data::{self, Dataset, FASHION_MNIST_FILES, idx};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 2 && args.len() != 4 {
        bail!("usage: make_subset SOURCE_DIR OUT_DIR [TRAIN_PER_CLASS TEST_PER_CLASS]");
    }
    let (src, out) = (PathBuf::from(&args[0]), PathBuf::from(&args[1]));
    let (k_train, k_test) = if args.len() == 4 {
        (args[2].parse::<usize>()?, args[3].parse::<usize>()?)
    } else {
        (600, 100)
    };
    let full = data::fashion_mnist(&src).with_context(|| format!("loading {}", src.display()))?;
    let train = full.train.first_per_class(k_train);
    let test = full.test.first_per_class(k_test);
    std::fs::create_dir_all(&out)?;
    let files = [
        images(&train)?,
        idx::encode_labels(train.labels())?,
        images(&test)?,
        idx::encode_labels(test.labels())?,
    ];
    for (name, bytes) in FASHION_MNIST_FILES.iter().zip(&files) {
        let path = out.join(format!("{name}.gz"));
        idx::write_file(&path, bytes, true)?;
        let size = std::fs::metadata(&path)?.len();
        println!(
            "{}  {size:>9} bytes gz  {:>9} bytes  sha256 {}",
            path.display(),
            bytes.len(),
            idx::sha256_hex(bytes)
        );
    }
    println!(
        "train {:?}\ntest  {:?}",
        train.class_counts(),
        test.class_counts()
    );
    Ok(())
}

fn images(d: &Dataset) -> Result<Vec<u8>> {
    let s = d.shape();
    Ok(idx::encode_images(d.len(), s.height, s.width, d.images())?)
}
