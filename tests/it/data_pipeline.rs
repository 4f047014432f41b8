//! Splits, normalisation, augmentation and batching, on the embedded subset and on small
//! hand-made datasets where every output pixel can be predicted.

use candle_core::{Device, Tensor};
use regnet_lab::data::{self, Augment, DataConfig, Dataset, ImageShape, Normalize};

fn tiny(n: usize, h: usize, w: usize, channels: usize) -> Dataset {
    let shape = ImageShape {
        channels,
        height: h,
        width: w,
    };
    let images = (0..n * shape.len()).map(|i| (i * 31 % 251) as u8).collect();
    let labels = (0..n).map(|i| (i % 3) as u8).collect();
    Dataset::try_new(
        "tiny",
        shape,
        images,
        labels,
        vec!["a".into(), "b".into(), "c".into()],
    )
    .unwrap()
}

fn values(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

#[test]
fn val_split_is_deterministic_stratified_and_disjoint() {
    let a = data::embedded().unwrap().with_val(0.1, 7).unwrap();
    let b = data::embedded().unwrap().with_val(0.1, 7).unwrap();
    let c = data::embedded().unwrap().with_val(0.1, 8).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.val.images(), c.val.images());
    assert_eq!(
        (a.train.len(), a.val.len(), a.test.len()),
        (5400, 600, 1000)
    );
    assert_eq!(a.val.class_counts(), vec![60; 10]);
    assert_eq!(a.train.class_counts(), vec![540; 10]);
    assert_eq!(a.val.name(), "fashion-mnist-subset/val");
    // Together they are the original training set: compare sorted image hashes.
    let full = data::embedded().unwrap().train;
    let key = |d: &Dataset| {
        let mut v: Vec<Vec<u8>> = (0..d.len()).map(|i| d.image(i).unwrap().to_vec()).collect();
        v.sort();
        v
    };
    let mut joined = key(&a.train);
    joined.extend(key(&a.val));
    joined.sort();
    assert_eq!(joined, key(&full));
    // Bad fractions and double splits are errors.
    assert!(data::embedded().unwrap().with_val(1.0, 0).is_err());
    assert!(data::embedded().unwrap().with_val(-0.1, 0).is_err());
    assert!(a.with_val(0.1, 0).is_err());
    // 0 leaves an empty val.
    assert!(
        data::embedded()
            .unwrap()
            .with_val(0.0, 0)
            .unwrap()
            .val
            .is_empty()
    );
}

#[test]
fn normalisation_statistics() {
    let d = tiny(10, 3, 4, 2);
    let n = Normalize::from_dataset(&d).unwrap();
    let (mean, std) = d.channel_mean_std();
    for ch in 0..2 {
        let px: Vec<f64> = (0..10)
            .flat_map(|i| d.image(i).unwrap()[ch * 12..(ch + 1) * 12].to_vec())
            .map(f64::from)
            .collect();
        let m = px.iter().sum::<f64>() / px.len() as f64;
        let s = (px.iter().map(|v| (v - m).powi(2)).sum::<f64>() / px.len() as f64).sqrt();
        assert!((mean[ch] - m).abs() < 1e-9 && (std[ch] - s).abs() < 1e-9);
        assert!((n.mean()[ch] - m as f32).abs() < 1e-4);
    }
    // Normalised, the whole set has mean 0 and std 1 per channel.
    let (x, _) = d.to_tensors(&n, &Device::Cpu).unwrap();
    let v = values(&x);
    for ch in 0..2 {
        let px: Vec<f32> = (0..10)
            .flat_map(|i| v[i * 24 + ch * 12..i * 24 + (ch + 1) * 12].to_vec())
            .collect();
        let m = px.iter().sum::<f32>() / px.len() as f32;
        let s = (px.iter().map(|v| (v - m).powi(2)).sum::<f32>() / px.len() as f32).sqrt();
        assert!(
            m.abs() < 1e-4 && (s - 1.0).abs() < 1e-4,
            "channel {ch}: mean {m} std {s}"
        );
    }
    // Invalid values are refused; a constant channel gets std 1.
    assert!(Normalize::try_new(vec![0.0], vec![0.0]).is_err());
    assert!(Normalize::try_new(vec![0.0, 1.0], vec![1.0]).is_err());
    assert!(Normalize::try_new(vec![f32::NAN], vec![1.0]).is_err());
    let flat = Dataset::try_new(
        "flat",
        ImageShape {
            channels: 1,
            height: 2,
            width: 2,
        },
        vec![9; 8],
        vec![0, 0],
        vec!["x".into()],
    )
    .unwrap();
    assert_eq!(Normalize::from_dataset(&flat).unwrap().std(), &[1.0]);
    assert!(Normalize::from_dataset(&flat.subset(&[]).unwrap()).is_err());
    // The embedded subset's statistics are close to the full training set's.
    let e = Normalize::from_dataset(&data::embedded().unwrap().train).unwrap();
    let r = Normalize::fashion_mnist();
    assert!(
        (e.mean()[0] - r.mean()[0]).abs() < 3.0 && (e.std()[0] - r.std()[0]).abs() < 3.0,
        "{e:?}"
    );
}

#[test]
fn eval_batches_cover_everything_in_order() {
    let d = tiny(10, 3, 4, 1);
    let n = Normalize::unit_range(1);
    let cfg = DataConfig {
        batch_size: 4,
        ..DataConfig::default()
    };
    let batches: Vec<_> = cfg
        .eval_batches(&d, &n, &Device::Cpu)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        batches.iter().map(|(x, _)| x.dims()[0]).collect::<Vec<_>>(),
        vec![4, 4, 2]
    );
    let (all, labels) = d.to_tensors(&n, &Device::Cpu).unwrap();
    let joined: Vec<f32> = batches.iter().flat_map(|(x, _)| values(x)).collect();
    assert_eq!(joined, values(&all));
    let ys: Vec<u32> = batches
        .iter()
        .flat_map(|(_, y)| y.to_vec1::<u32>().unwrap())
        .collect();
    assert_eq!(ys, labels.to_vec1::<u32>().unwrap());
    assert_eq!(values(&all)[1], f32::from(d.images()[1]) / 255.0);
}

#[test]
fn train_batches_shuffle_by_seed_and_epoch() {
    let d = tiny(50, 3, 4, 1);
    let n = Normalize::from_dataset(&d).unwrap();
    let cfg = DataConfig {
        batch_size: 8,
        augment: Augment::NONE,
        ..DataConfig::default()
    };
    let order = |cfg: &DataConfig, e| {
        cfg.train_batches(&d, &n, e, &Device::Cpu)
            .unwrap()
            .order()
            .to_vec()
    };
    let o = order(&cfg, 0);
    assert_eq!(o.len(), 48); // drop_last: 6 full batches of 8
    assert_eq!(o, order(&cfg, 0));
    assert_ne!(o, order(&cfg, 1));
    assert_ne!(
        o,
        order(
            &DataConfig {
                seed: 1,
                ..cfg.clone()
            },
            0
        )
    );
    let mut seen = o.clone();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 48);
    let b = cfg.train_batches(&d, &n, 0, &Device::Cpu).unwrap();
    assert_eq!(b.len(), 6);
    // The batches hold the images of that order.
    let first = cfg
        .train_batches(&d, &n, 0, &Device::Cpu)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let expect = d
        .subset(&o[..8])
        .unwrap()
        .to_tensors(&n, &Device::Cpu)
        .unwrap();
    assert_eq!(values(&first.0), values(&expect.0));
    // Without shuffle or drop_last: dataset order, last batch partial.
    let plain = DataConfig {
        shuffle: false,
        drop_last: false,
        ..cfg.clone()
    };
    assert_eq!(order(&plain, 3), (0..50).collect::<Vec<_>>());
    assert_eq!(
        plain.train_batches(&d, &n, 0, &Device::Cpu).unwrap().len(),
        7
    );
    // Too small for one batch, batch size 0, channel mismatch: errors.
    let small = d.subset(&[0, 1, 2]).unwrap();
    assert!(cfg.train_batches(&small, &n, 0, &Device::Cpu).is_err());
    assert!(
        DataConfig {
            batch_size: 0,
            ..cfg.clone()
        }
        .eval_batches(&d, &n, &Device::Cpu)
        .is_err()
    );
    assert!(
        cfg.eval_batches(&d, &Normalize::cifar10(), &Device::Cpu)
            .is_err()
    );
}

/// Every augmented image is the original shifted by (dy, dx) in [-p, p]², padded with 0.0,
/// and possibly mirrored.
#[test]
fn augmentation_is_a_padded_crop_and_flip() {
    let (h, w, p) = (5usize, 6usize, 2usize);
    let d = tiny(40, h, w, 2);
    let n = Normalize::from_dataset(&d).unwrap();
    let cfg = DataConfig {
        batch_size: 40,
        shuffle: false,
        augment: Augment {
            random_crop_padding: p,
            horizontal_flip: true,
        },
        ..DataConfig::default()
    };
    let (x, _) = cfg
        .train_batches(&d, &n, 0, &Device::Cpu)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(x.dims(), &[40, 2, h, w]);
    let got = values(&x);
    let (plain, _) = d.to_tensors(&n, &Device::Cpu).unwrap();
    let plain = values(&plain);
    let img = h * w * 2;
    let (mut flips, mut shifts) = (0, 0);
    for i in 0..40 {
        let src = &plain[i * img..(i + 1) * img];
        let out = &got[i * img..(i + 1) * img];
        let mut found = None;
        'search: for flip in [false, true] {
            for dy in -(p as isize)..=p as isize {
                for dx in -(p as isize)..=p as isize {
                    let ok = (0..2).all(|c| {
                        (0..h).all(|y| {
                            (0..w).all(|xo| {
                                let cx = if flip { w - 1 - xo } else { xo };
                                let (sy, sx) = (y as isize + dy, cx as isize + dx);
                                let e = if sy < 0 || sx < 0 || sy >= h as isize || sx >= w as isize
                                {
                                    0.0
                                } else {
                                    src[c * h * w + sy as usize * w + sx as usize]
                                };
                                out[c * h * w + y * w + xo] == e
                            })
                        })
                    });
                    if ok {
                        found = Some((flip, dy, dx));
                        break 'search;
                    }
                }
            }
        }
        let (flip, dy, dx) =
            found.unwrap_or_else(|| panic!("image {i} is no crop/flip of its source"));
        flips += usize::from(flip);
        shifts += usize::from(dy != 0 || dx != 0);
    }
    assert!(flips > 5 && flips < 35, "{flips} flips of 40");
    assert!(shifts > 20, "{shifts} shifted of 40");
    // Same (seed, epoch): same pixels; another epoch: other crops.
    let again = values(
        &cfg.train_batches(&d, &n, 0, &Device::Cpu)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .0,
    );
    assert_eq!(got, again);
    let other = values(
        &cfg.train_batches(&d, &n, 1, &Device::Cpu)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .0,
    );
    assert_ne!(got, other);
}

#[test]
fn config_round_trips_through_json() {
    let cfg = DataConfig {
        batch_size: 32,
        seed: 9,
        augment: Augment::NONE,
        ..DataConfig::default()
    };
    let json = serde_json::to_string(&cfg).unwrap();
    assert_eq!(serde_json::from_str::<DataConfig>(&json).unwrap(), cfg);
    // Missing fields take the defaults, so old records stay readable.
    let partial: DataConfig = serde_json::from_str(r#"{"batch_size": 64}"#).unwrap();
    assert_eq!(
        partial,
        DataConfig {
            batch_size: 64,
            ..DataConfig::default()
        }
    );
    let n = Normalize::cifar10();
    let back: Normalize = serde_json::from_str(&serde_json::to_string(&n).unwrap()).unwrap();
    assert_eq!(back, n);
}

#[test]
fn first_per_class_and_display() {
    let d = data::embedded().unwrap();
    let small = d.train.first_per_class(5);
    assert_eq!(small.class_counts(), vec![5; 10]);
    assert_eq!(small.image(0), d.train.image(0));
    assert_eq!(
        d.to_string(),
        "fashion-mnist-subset: train 6000, val 0, test 1000 images of 1×28×28, 10 classes"
    );
    assert_eq!(
        small.to_string(),
        "fashion-mnist-subset/train: 50 images of 1×28×28, 10 classes"
    );
}

/// Resampling (input resolution, paper Fig. 14 middle) against Pillow's antialiased bilinear
/// resize (tests/oracle/resize_oracle.py → tests/fixtures/resize_oracle.json): the same triangle
/// filter, so every pixel agrees within one grey level (Pillow rounds in fixed point), when
/// shrinking, enlarging and at the same size.
#[test]
fn resampling_matches_pillow_within_one_grey_level() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/resize_oracle.json"
    ))
    .unwrap();
    let oracle: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = oracle["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 18);
    let u8s = |v: &serde_json::Value| -> Vec<u8> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u8)
            .collect()
    };
    for case in cases {
        let (h, w) = (
            case["height"].as_u64().unwrap() as usize,
            case["width"].as_u64().unwrap() as usize,
        );
        let side = case["side"].as_u64().unwrap() as usize;
        let shape = ImageShape {
            channels: 1,
            height: h,
            width: w,
        };
        let d = Dataset::try_new(
            "oracle",
            shape,
            u8s(&case["pixels"]),
            vec![0],
            vec!["a".into()],
        )
        .unwrap();
        let got = d.resized(side).unwrap();
        let want = u8s(&case["expected"]);
        let worst = got
            .images()
            .iter()
            .zip(&want)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(worst <= 1, "{h}×{w} → {side}: a pixel differs by {worst}");
    }
}
