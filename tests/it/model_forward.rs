//! Running networks: every zoo model forward (and backward) on CPU at 32×32, train and eval
//! mode, every stem and block kind, half precision, and inputs that do not fit.

use std::time::Instant;

use anyhow::Result;
use candle_core::{D, DType, Device, Tensor};
use candle_nn::ModuleT;
use regnet_lab::model::{AnyNet, ModelConfig};
use regnet_lab::space::{AnyNetSpec, BlockKind, StemKind, zoo};

fn input(n: usize, c: usize, hw: usize) -> Result<Tensor> {
    // Deterministic, varied input without touching candle's global RNG.
    let v: Vec<f32> = (0..n * c * hw * hw)
        .map(|i| ((i * 7919 % 1013) as f32 / 1013.0 - 0.5) * 2.0)
        .collect();
    Ok(Tensor::from_vec(v, (n, c, hw, hw), &Device::Cpu)?)
}

/// Mean cross-entropy against labels 0, 1, … (modulo the number of classes).
fn loss(logits: &Tensor) -> Result<Tensor> {
    let (n, classes) = logits.dims2()?;
    let labels: Vec<u32> = (0..n).map(|i| (i % classes) as u32).collect();
    let labels = Tensor::from_vec(labels, n, logits.device())?;
    Ok(candle_nn::loss::cross_entropy(logits, &labels)?)
}

/// One training step's worth of work: forward in train mode, loss, backward; every parameter
/// gets a finite gradient.
fn forward_backward(net: &AnyNet, x: &Tensor) -> Result<()> {
    let logits = net.forward_t(x, true)?;
    let l = loss(&logits)?;
    assert!(l.to_scalar::<f32>()?.is_finite());
    let grads = l.backward()?;
    for p in net.named_parameters() {
        let g = grads
            .get(p.var.as_tensor())
            .unwrap_or_else(|| panic!("no gradient for {}", p.name));
        let s = g.abs()?.sum_all()?.to_scalar::<f32>()?;
        assert!(s.is_finite(), "{}", p.name);
    }
    Ok(())
}

/// All 24 zoo models run forward in eval and train mode at 32×32, batch 2; the models up to
/// 1.6GF also run backward. The larger ones are forward-only to keep the test short on 2 cores
/// (their blocks are the same code); `REGNET_LAB_FULL_BACKWARD=1` runs backward for all 24.
#[test]
fn every_zoo_model_runs_at_32px() -> Result<()> {
    let x = input(2, 3, 32)?;
    for (i, m) in zoo::all().into_iter().enumerate() {
        let t = Instant::now();
        let spec = m.spec().with_num_classes(10)?;
        let net = AnyNet::build(&spec, &ModelConfig::default().seed(i as u64))?;
        let built = t.elapsed();
        let y = net.forward_t(&x, false)?;
        assert_eq!(y.dims(), &[2, 10], "{}", m.name);
        assert!(y.abs()?.sum_all()?.to_scalar::<f32>()?.is_finite());
        let backward = std::env::var("REGNET_LAB_FULL_BACKWARD").as_deref() == Ok("1")
            || ["200MF", "400MF", "600MF", "800MF", "1.6GF"]
                .iter()
                .any(|s| m.name.ends_with(s));
        if backward {
            forward_backward(&net, &x)?;
        } else {
            assert_eq!(net.forward_t(&x, true)?.dims(), &[2, 10]);
        }
        eprintln!(
            "{:<14} build {:>6.2?}  {}  total {:>6.2?}",
            m.name,
            built,
            if backward { "fwd+bwd" } else { "fwd    " },
            t.elapsed()
        );
    }
    Ok(())
}

/// Every stem and block kind, with 1 to 4 stages, trains a step and gives the right shape.
#[test]
fn every_stem_and_block_kind_runs() -> Result<()> {
    let stems = [
        (StemKind::Simple, 3, 32),
        (StemKind::Resnet, 3, 32),
        (StemKind::Cifar, 3, 32),
        (StemKind::Small, 1, 28),
    ];
    for (stem, cin, res) in stems {
        for block in [
            BlockKind::X,
            BlockKind::Y,
            BlockKind::ResBasic,
            BlockKind::ResBottleneck,
            BlockKind::Vanilla,
        ] {
            for n_stages in [1, 2, 4] {
                let mut b = AnyNetSpec::builder()
                    .stem(stem, 16)
                    .in_channels(cin)
                    .num_classes(10)
                    .block(block);
                for i in 0..n_stages {
                    let width = 16 << i;
                    let (ratio, g) = match block {
                        BlockKind::ResBasic | BlockKind::Vanilla => (1.0, width),
                        BlockKind::ResBottleneck => (2.0, width / 2),
                        _ => (1.0, 8),
                    };
                    let stride = if i == 0 { 1 } else { 2 };
                    b = b.stage(2, width, stride, ratio, g);
                }
                let spec = b.build()?;
                let net = AnyNet::build(&spec, &ModelConfig::default().seed(1))?;
                let x = input(2, cin, res)?;
                forward_backward(&net, &x)?;
                assert_eq!(net.forward_t(&x, false)?.dims(), &[2, 10]);
            }
        }
    }
    Ok(())
}

/// The train flag reaches every BatchNorm: train mode updates the running statistics of all of
/// them (momentum 0.1 from mean 0, variance 1), eval mode changes nothing and is deterministic.
#[test]
fn train_flag_reaches_every_batch_norm() -> Result<()> {
    let spec = zoo::get("RegNetY-200MF")?.spec().with_num_classes(10)?;
    let net = AnyNet::build(&spec, &ModelConfig::default().seed(2))?;
    let x = input(4, 3, 32)?;
    let snapshot = |net: &AnyNet| -> Result<Vec<Vec<f32>>> {
        net.named_buffers()
            .iter()
            .map(|(_, v)| Ok(v.to_vec1::<f32>()?))
            .collect()
    };
    let before = snapshot(&net)?;
    let e1 = net.forward_t(&x, false)?;
    let e2 = net.forward_t(&x, false)?;
    assert_eq!(e1.to_vec2::<f32>()?, e2.to_vec2::<f32>()?);
    // Eval mode is inference: no autograd graph (RegNetY: SE and the head included).
    assert!(!e1.track_op(), "eval mode built a graph");
    assert_eq!(
        snapshot(&net)?,
        before,
        "eval mode must not touch running statistics"
    );

    // Through the ModuleT trait as a training loop would call it.
    let t = ModuleT::forward_t(&net, &x, true)?;
    assert!(t.track_op(), "train mode must build the graph");
    assert_ne!(t.to_vec2::<f32>()?, e1.to_vec2::<f32>()?);
    let after = snapshot(&net)?;
    let names = net.named_buffers();
    for ((name, _), (b, a)) in names.iter().zip(before.iter().zip(&after)) {
        assert_ne!(a, b, "{name} was not updated in train mode");
        if name.ends_with("running_mean") {
            // 0.9 · 0 + 0.1 · batch mean.
            assert!(a.iter().all(|v| v.is_finite()));
        } else {
            // 0.9 · 1 + 0.1 · (unbiased variance ≥ 0) ≥ 0.9.
            assert!(a.iter().all(|&v| v >= 0.9 - 1e-6), "{name}");
        }
    }
    for bn in net.batch_norms() {
        assert_eq!(bn.num_batches_tracked(), 1, "{}", bn.name());
    }
    Ok(())
}

/// Stem-BN arithmetic checked by hand: with identity-like statistics the train-mode running
/// mean is 0.1 × the batch mean of the stem convolution's output.
#[test]
fn batch_norm_momentum_and_unbiased_variance() -> Result<()> {
    let spec = AnyNetSpec::builder()
        .stem(StemKind::Cifar, 4)
        .in_channels(1)
        .num_classes(2)
        .stage(1, 8, 1, 1.0, 8)
        .build()?;
    let net = AnyNet::build(&spec, &ModelConfig::default().seed(3))?;
    let x = input(3, 1, 5)?;
    let w = net
        .named_parameters()
        .into_iter()
        .find(|p| p.name == "stem.0.weight")
        .expect("stem conv")
        .var;
    let conv = x.conv2d(w.as_tensor(), 1, 1, 1, 1)?; // [3, 4, 5, 5]
    let per_channel = conv.transpose(0, 1)?.flatten_from(1)?; // [4, 75]
    let mean = per_channel.mean(D::Minus1)?;
    let n = per_channel.dim(1)? as f64;
    let var_unbiased = (per_channel
        .broadcast_sub(&mean.unsqueeze(1)?)?
        .sqr()?
        .sum(D::Minus1)?
        / (n - 1.0))?;
    net.forward_t(&x, true)?;
    let bn = net.batch_norms()[0];
    assert_eq!(bn.name(), "stem.1");
    let want_mean = (mean * 0.1)?.to_vec1::<f32>()?;
    let want_var = ((var_unbiased * 0.1)? + 0.9)?.to_vec1::<f32>()?;
    let got_mean = bn.running_mean().to_vec1::<f32>()?;
    let got_var = bn.running_var().to_vec1::<f32>()?;
    for i in 0..4 {
        assert!(
            (got_mean[i] - want_mean[i]).abs() < 1e-5,
            "{got_mean:?} {want_mean:?}"
        );
        assert!(
            (got_var[i] - want_var[i]).abs() < 1e-5,
            "{got_var:?} {want_var:?}"
        );
    }
    Ok(())
}

/// f16 runs on the CPU (BN statistics stay in f32) and agrees roughly with f32; bf16, which
/// candle cannot convolve on the CPU, is refused with a clear error.
#[test]
fn half_precision_runs() -> Result<()> {
    let spec = zoo::get("RegNetX-200MF")?.spec().with_num_classes(10)?;
    let x = input(2, 3, 32)?;
    let reference = AnyNet::build(&spec, &ModelConfig::default().seed(4))?
        .forward_t(&x, false)?
        .to_vec2::<f32>()?;
    let err = AnyNet::build(&spec, &ModelConfig::default().dtype(DType::BF16))
        .unwrap_err()
        .to_string();
    assert!(err.contains("BF16") && err.contains("CUDA"), "{err}");
    for dtype in [DType::F16] {
        let net = AnyNet::build(&spec, &ModelConfig::default().seed(4).dtype(dtype))?;
        assert_eq!(net.batch_norms()[0].running_var().dtype(), DType::F32);
        let y = net
            .forward_t(&x.to_dtype(dtype)?, false)?
            .to_dtype(DType::F32)?
            .to_vec2::<f32>()?;
        for (a, b) in y.iter().flatten().zip(reference.iter().flatten()) {
            assert!(
                (a - b).abs() < 0.05 * b.abs().max(0.1),
                "{dtype:?}: {a} vs {b}"
            );
        }
        forward_backward_half(&net, &x.to_dtype(dtype)?)?;
    }
    Ok(())
}

fn forward_backward_half(net: &AnyNet, x: &Tensor) -> Result<()> {
    let logits = net.forward_t(x, true)?.to_dtype(DType::F32)?;
    let grads = loss(&logits)?.backward()?;
    assert!(grads.get(net.vars()[0].as_tensor()).is_some());
    Ok(())
}

/// Inputs that do not fit give errors naming the layer, never a panic.
#[test]
fn bad_inputs_name_the_layer() -> Result<()> {
    let spec = zoo::get("RegNetX-200MF")?.spec().with_num_classes(10)?;
    let net = AnyNet::build(&spec, &ModelConfig::default())?;

    let err = net
        .forward_t(&input(2, 1, 32)?, false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("stem.0") && err.contains("expects 3 input channels, got 1"),
        "{err}"
    );

    let err = net
        .forward_t(&Tensor::zeros((2, 3, 32), DType::F32, &Device::Cpu)?, false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("stem.0") && err.contains("[2, 3, 32]"),
        "{err}"
    );

    let err = net
        .forward_t(&input(2, 3, 32)?.to_dtype(DType::F64)?, false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("F64"), "{err}");

    let err = net
        .forward_t(
            &Tensor::zeros((0, 3, 32, 32), DType::F32, &Device::Cpu)?,
            false,
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("empty"), "{err}");

    // Batch 1 at 16×16: stage 3 is already 1×1, one value per channel — BN cannot train on it.
    let err = net
        .forward_t(&input(1, 3, 16)?, true)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("trunk_output.block3.block3-0.f.b.1") && err.contains("more than one value"),
        "{err}"
    );
    // …but eval mode works at any size, down to 1×1.
    assert_eq!(net.forward_t(&input(1, 3, 1)?, false)?.dims(), &[1, 10]);
    // Batch 1 at 1×1 fails in the stem's BN already.
    let err = net
        .forward_t(&input(1, 3, 1)?, true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("stem.1"), "{err}");
    // Through the ModuleT trait the same message comes back as a candle error.
    let err = ModuleT::forward_t(&net, &input(2, 1, 32)?, false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("stem.0"), "{err}");
    Ok(())
}

/// The same network on CUDA gives the CPU's logits and gradients, and runs in bf16 there.
/// Needs `--features cuda` and a GPU.
#[test]
#[cfg_attr(not(feature = "cuda"), ignore = "needs --features cuda and a GPU")]
fn cuda_matches_cpu() -> Result<()> {
    let gpu = Device::new_cuda(0)?;
    let spec = zoo::get("RegNetY-200MF")?.spec().with_num_classes(10)?;
    let cpu_net = AnyNet::build(&spec, &ModelConfig::default().seed(9))?;
    let gpu_net = AnyNet::build(&spec, &ModelConfig::default().seed(9).device(gpu.clone()))?;
    let x = input(4, 3, 32)?;
    for train in [false, true] {
        let a = cpu_net.forward_t(&x, train)?;
        let b = gpu_net
            .forward_t(&x.to_device(&gpu)?, train)?
            .to_device(&Device::Cpu)?;
        let d = (a - b)?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(d < 1e-3, "train={train}: CPU and CUDA differ by {d}");
    }
    forward_backward(&gpu_net, &x.to_device(&gpu)?)?;
    let bf16 = AnyNet::build(
        &spec,
        &ModelConfig::default()
            .seed(9)
            .device(gpu.clone())
            .dtype(DType::BF16),
    )?;
    let y = bf16.forward_t(&x.to_device(&gpu)?.to_dtype(DType::BF16)?, true)?;
    assert_eq!(y.dims(), &[4, 10]);
    Ok(())
}

/// Throughput of one training step (forward, loss, backward; no optimiser) and of inference
/// for RegNetX-200MF at 32×32, batch 128, on the CPU. Run with
/// `cargo test --release --test it model_forward::speed -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark"]
fn speed_regnetx_200mf_32px_batch_128() -> Result<()> {
    let zoo_spec = zoo::get("RegNetX-200MF")?.spec().with_num_classes(10)?;
    // The CIFAR variant of the zoo model: stride-1 3×3 stem of width 24, first stage at
    // stride 1, so the 32×32 input is not downsampled before the stages.
    let mut stages = zoo_spec.stages().to_vec();
    stages[0].stride = 1;
    let cifar_spec = AnyNetSpec::builder()
        .stem(StemKind::Cifar, 24)
        .num_classes(10)
        .stages(stages)
        .build()?;
    let x = input(128, 3, 32)?;
    for (name, spec) in [
        ("zoo (simple stem)", zoo_spec),
        ("cifar variant", cifar_spec),
    ] {
        let net = AnyNet::build(&spec, &ModelConfig::default().seed(0))?;
        forward_backward(&net, &x)?; // warm-up
        let reps = 3;
        let t = Instant::now();
        for _ in 0..reps {
            let logits = net.forward_t(&x, true)?;
            let _ = loss(&logits)?.backward()?;
        }
        let train = t.elapsed().as_secs_f64() / reps as f64;
        let t = Instant::now();
        for _ in 0..reps {
            net.forward_t(&x, false)?;
        }
        let eval = t.elapsed().as_secs_f64() / reps as f64;
        eprintln!(
            "RegNetX-200MF {name}: train step {:.2} s ({:.0} img/s), inference {:.2} s ({:.0} img/s)",
            train,
            128.0 / train,
            eval,
            128.0 / eval
        );
    }
    Ok(())
}

/// The vanilla (V) block is the basic branch with a ReLU at its end and nothing added: a V net
/// in eval mode equals the same computation written out with candle's own reference ops
/// (`conv2d`, the BN formula, `relu`, mean pool, linear) from the net's own parameters.
#[test]
fn vanilla_block_is_its_branch_with_a_final_relu() -> Result<()> {
    let spec = AnyNetSpec::builder()
        .stem(StemKind::Small, 8)
        .in_channels(1)
        .num_classes(3)
        .block(BlockKind::Vanilla)
        .stage(2, 16, 2, 1.0, 16)
        .build()?;
    let net = AnyNet::build(&spec, &ModelConfig::default().seed(4))?;
    assert!(
        !net.named_parameters()
            .iter()
            .any(|p| p.name.contains("proj")),
        "a vanilla block has no shortcut"
    );
    let mut p: std::collections::HashMap<String, Tensor> = net
        .named_vars()
        .into_iter()
        .chain(net.named_buffers())
        .map(|(n, v)| (n, v.as_tensor().clone()))
        .collect();
    // Give the running statistics values other than 0 / 1, so eval-mode BN is exercised.
    for (name, t) in p.iter_mut() {
        if name.ends_with("running_mean") || name.ends_with("running_var") {
            let n = t.dim(0)?;
            let v: Vec<f32> = (0..n).map(|i| 0.5 + 0.1 * i as f32).collect();
            *t = Tensor::from_vec(v, n, &Device::Cpu)?;
        }
    }
    for (name, v) in net.named_buffers() {
        v.set(&p[&name])?;
    }
    let conv_bn = |x: &Tensor, at: &str, stride: usize, relu: bool| -> Result<Tensor> {
        let y = x.conv2d(&p[&format!("{at}.0.weight")], 1, stride, 1, 1)?;
        let c = y.dim(1)?;
        let per = |n: &str| p[&format!("{at}.1.{n}")].reshape((1, c, 1, 1));
        let y = y
            .broadcast_sub(&per("running_mean")?)?
            .broadcast_div(&(per("running_var")? + 1e-5)?.sqrt()?)?
            .broadcast_mul(&per("weight")?)?
            .broadcast_add(&per("bias")?)?;
        Ok(if relu { y.relu()? } else { y })
    };
    let x = input(2, 1, 12)?;
    let mut y = conv_bn(&x, "stem", 1, true)?;
    for (j, stride) in [(0, 2), (1, 1)] {
        let b = format!("trunk_output.block1.block1-{j}.f");
        y = conv_bn(&y, &format!("{b}.a"), stride, true)?;
        y = conv_bn(&y, &format!("{b}.b"), 1, true)?;
    }
    let pooled = y.mean((2, 3))?;
    let want = pooled
        .matmul(&p["fc.weight"].t()?)?
        .broadcast_add(&p["fc.bias"])?;
    let got = net.forward_t(&x, false)?;
    let diff = (got - want)?.abs()?.max_all()?.to_scalar::<f32>()?;
    assert!(diff < 1e-4, "max |diff| = {diff}");
    Ok(())
}
