//! The fast grouped convolution (`ops::conv2d`) against candle's own `conv2d`: outputs and both
//! gradients on random shapes — odd sizes, strides 1 and 2, 1×1 and 3×3 kernels, with and
//! without padding, and every group count that divides the width.

use anyhow::Result;
use candle_core::{Device, Tensor, Var};
use regnet_lab::ops::{self, ConvAlgorithm};

/// Largest absolute difference relative to the largest magnitude of `b`.
fn rel_err(a: &Tensor, b: &Tensor) -> Result<f32> {
    let d = (a - b)?.abs()?.max_all()?.to_scalar::<f32>()?;
    let m = b.abs()?.max_all()?.to_scalar::<f32>()?.max(1e-6);
    Ok(d / m)
}

/// The gradient oracle: candle's convolution at stride 1, subsampled with `index_select`.
/// (candle's own stride-s backward sizes its `conv_transpose2d` from the height alone, so it
/// fails on non-square inputs whose height and width leave different remainders.)
fn oracle(x: &Tensor, w: &Tensor, stride: usize, padding: usize, groups: usize) -> Result<Tensor> {
    let y = ops::reference::conv2d(x, w, 1, padding, groups)?;
    if stride == 1 {
        return Ok(y);
    }
    let (_, _, h, w) = y.dims4()?;
    let pick = |n: usize| -> Result<Tensor> {
        let idx: Vec<u32> = (0..n).step_by(stride).map(|i| i as u32).collect();
        Ok(Tensor::new(idx.as_slice(), y.device())?)
    };
    Ok(y.index_select(&pick(h)?, 2)?.index_select(&pick(w)?, 3)?)
}

/// [`check_using`] with every CPU algorithm that applies: the automatic choice, im2col +
/// GEMM, and the direct 3×3 kernel where the shape and the CPU allow it.
#[allow(clippy::too_many_arguments)]
fn check(
    n: usize,
    c: usize,
    hw: (usize, usize),
    o: usize,
    k: usize,
    stride: usize,
    padding: usize,
    groups: usize,
) -> Result<()> {
    for algo in [ConvAlgorithm::Auto, ConvAlgorithm::Gemm] {
        check_using(n, c, hw, o, k, stride, padding, groups, algo)?;
    }
    if k == 3 && stride <= 2 && padding == 1 && ops::direct_conv_available() {
        check_using(
            n,
            c,
            hw,
            o,
            k,
            stride,
            padding,
            groups,
            ConvAlgorithm::Direct,
        )?;
    }
    Ok(())
}

/// Output, input gradient and weight gradient of the fast op (computed by `algo`) and candle's
/// under a random linear loss.
#[allow(clippy::too_many_arguments)]
fn check_using(
    n: usize,
    c: usize,
    (h, w): (usize, usize),
    o: usize,
    k: usize,
    stride: usize,
    padding: usize,
    groups: usize,
    algo: ConvAlgorithm,
) -> Result<()> {
    let dev = Device::Cpu;
    let what = format!("{algo:?}: n{n} c{c} {h}x{w} o{o} k{k} s{stride} p{padding} g{groups}");
    let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (n, c, h, w), &dev)?)?;
    let wt = Var::from_tensor(&Tensor::randn(0f32, 0.5, (o, c / groups, k, k), &dev)?)?;
    let fast = ops::conv2d_using(x.as_tensor(), wt.as_tensor(), stride, padding, groups, algo)?;
    let slow = ops::reference::conv2d(x.as_tensor(), wt.as_tensor(), stride, padding, groups)?;
    assert_eq!(fast.dims(), slow.dims(), "{what}");
    let e = rel_err(&fast, &slow)?;
    assert!(e < 1e-5, "{what}: forward rel err {e}");
    let slow = oracle(x.as_tensor(), wt.as_tensor(), stride, padding, groups)?;
    assert!(rel_err(&fast, &slow)? < 1e-5, "{what}: oracle forward");
    let r = Tensor::randn(0f32, 1.0, slow.dims(), &dev)?;
    let gf = (fast * &r)?.sum_all()?.backward()?;
    let gs = (slow * &r)?.sum_all()?.backward()?;
    for (name, v) in [("dx", &x), ("dw", &wt)] {
        let a = gf.get(v.as_tensor()).expect("fast grad");
        let b = gs.get(v.as_tensor()).expect("reference grad");
        let e = rel_err(a, b)?;
        assert!(e < 1e-5, "{what}: {name} rel err {e}");
    }
    Ok(())
}

#[test]
fn grouped_3x3_every_group_count() -> Result<()> {
    for groups in [1, 2, 3, 4, 6, 12] {
        for stride in [1, 2] {
            check(3, 12, (7, 5), 12, 3, stride, 1, groups)?;
        }
    }
    Ok(())
}

#[test]
fn direct_kernel_tiles_and_tails() -> Result<()> {
    // The direct kernel computes 4 output channels × 3 vectors of 8 at a time: channel counts
    // per group of 1 (depthwise) to 9 and maps whose flat padded grid is below, at and above
    // one tile, including 1-pixel and single-row maps, odd and even sizes (which decide the
    // phase planes at stride 2).
    for (cg, og) in [(1, 1), (1, 2), (3, 5), (4, 4), (8, 8), (9, 7), (2, 16)] {
        for (h, w) in [
            (1, 1),
            (1, 9),
            (4, 4),
            (5, 3),
            (7, 7),
            (8, 8),
            (3, 22),
            (6, 9),
        ] {
            for stride in [1, 2] {
                check(3, 2 * cg, (h, w), 2 * og, 3, stride, 1, 2)?;
            }
        }
    }
    // Widths above the automatic choice's limit, and one group.
    check(2, 40, (6, 5), 24, 3, 1, 1, 1)?;
    check(2, 40, (7, 6), 24, 3, 2, 1, 1)?;
    Ok(())
}

#[test]
fn direct_kernel_refuses_other_shapes() -> Result<()> {
    let dev = Device::Cpu;
    let x = Tensor::zeros((1, 4, 6, 6), candle_core::DType::F32, &dev)?;
    let w3 = Tensor::zeros((4, 2, 3, 3), candle_core::DType::F32, &dev)?;
    let w1 = Tensor::zeros((4, 2, 1, 1), candle_core::DType::F32, &dev)?;
    for (w, stride, padding) in [(&w3, 3, 1), (&w3, 1, 0), (&w3, 2, 0), (&w1, 1, 0)] {
        let e = ops::conv2d_using(&x, w, stride, padding, 2, ConvAlgorithm::Direct)
            .expect_err("direct kernel on a shape it does not handle");
        assert!(e.to_string().contains("direct kernel"), "{e}");
    }
    Ok(())
}

#[test]
fn pointwise_and_projection() -> Result<()> {
    // 1×1 stride 1 (no im2col), 1×1 stride 2 (the projection shortcut), widening and narrowing.
    // Auto runs these for a run of images at once (one GEMM over their pixels side by side):
    // batches of 1 to 5 images split unevenly over the workers.
    for (c, o, stride) in [(8, 24, 1), (24, 8, 1), (8, 16, 2), (5, 7, 2)] {
        check(2, c, (9, 6), o, 1, stride, 0, 1)?;
    }
    for n in [1, 3, 5] {
        check(n, 6, (5, 7), 10, 1, 1, 0, 1)?;
        check(n, 6, (7, 5), 10, 1, 2, 0, 1)?;
    }
    Ok(())
}

#[test]
fn widening_grouped_and_unpadded() -> Result<()> {
    // Output width ≠ input width with groups; no padding; 5×5 kernel; tiny and 1-pixel maps.
    check(2, 6, (6, 7), 12, 3, 1, 1, 3)?;
    check(2, 6, (6, 7), 12, 3, 2, 0, 2)?;
    check(1, 4, (5, 5), 4, 5, 1, 2, 4)?;
    check(3, 4, (1, 1), 8, 3, 1, 1, 2)?;
    check(2, 3, (2, 3), 6, 3, 2, 1, 1)?;
    Ok(())
}

#[test]
fn regnet_like_shapes() -> Result<()> {
    // A stage-3-like grouped conv (group width 8), and a stem at odd resolution.
    check(4, 48, (8, 8), 48, 3, 1, 1, 6)?;
    check(4, 48, (9, 9), 48, 3, 2, 1, 6)?;
    check(4, 3, (11, 13), 16, 3, 1, 1, 1)?;
    Ok(())
}

#[test]
fn input_gradient_skipped_for_plain_inputs() -> Result<()> {
    // The network input is a plain tensor: only the weight gets a gradient, and it is right.
    let dev = Device::Cpu;
    let x = Tensor::randn(0f32, 1.0, (2, 4, 5, 5), &dev)?;
    let wt = Var::from_tensor(&Tensor::randn(0f32, 1.0, (8, 2, 3, 3), &dev)?)?;
    let gf = ops::conv2d(&x, wt.as_tensor(), 1, 1, 2)?
        .sum_all()?
        .backward()?;
    let gs = ops::reference::conv2d(&x, wt.as_tensor(), 1, 1, 2)?
        .sum_all()?
        .backward()?;
    assert!(gf.get(&x).is_none());
    let e = rel_err(
        gf.get(wt.as_tensor()).unwrap(),
        gs.get(wt.as_tensor()).unwrap(),
    )?;
    assert!(e < 1e-5, "dw rel err {e}");
    Ok(())
}

#[test]
fn bad_groups_are_errors() -> Result<()> {
    let dev = Device::Cpu;
    let x = Tensor::zeros((1, 6, 4, 4), candle_core::DType::F32, &dev)?;
    let wt = Tensor::zeros((6, 3, 3, 3), candle_core::DType::F32, &dev)?;
    assert!(ops::conv2d(&x, &wt, 1, 1, 4).is_err());
    assert!(ops::conv2d(&x, &wt, 1, 1, 2).is_ok());
    Ok(())
}

/// Other dtypes take candle's path and agree with the f32 fast op.
#[test]
fn f64_falls_back_to_candle() -> Result<()> {
    let dev = Device::Cpu;
    let x = Tensor::randn(0f32, 1.0, (2, 4, 6, 6), &dev)?;
    let wt = Tensor::randn(0f32, 1.0, (4, 2, 3, 3), &dev)?;
    let a = ops::conv2d(&x, &wt, 2, 1, 2)?;
    let b = ops::conv2d(
        &x.to_dtype(candle_core::DType::F64)?,
        &wt.to_dtype(candle_core::DType::F64)?,
        2,
        1,
        2,
    )?;
    assert!(rel_err(&a, &b.to_dtype(candle_core::DType::F32)?)? < 1e-5);
    Ok(())
}
