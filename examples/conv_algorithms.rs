//! Which CPU algorithm to use for a 3×3 convolution (padding 1, stride 1 or 2): the direct
//! kernel against im2col + GEMM, forward + backward, across group widths and map sizes.
//!
//! `ops::ConvAlgorithm::Auto` gives the direct kernel groups up to a width chosen from this
//! table (`DIRECT_MAX_GROUP_WIDTH` in `src/ops/conv.rs`). Run it quietly:
//!
//! ```text
//! RAYON_NUM_THREADS=2 CANDLE_BARRIER_POOL_SPIN_LIMIT=500 cargo run --release --example conv_algorithms
//! ```

use std::time::Instant;

use anyhow::Result;
use candle_core::{Device, Tensor, Var};
use regnet_lab::ops::{self, ConvAlgorithm};

/// Median milliseconds of a forward + backward pass over `iters` timed runs after warm-up.
fn time_ms(
    x: &Var,
    w: &Var,
    stride: usize,
    groups: usize,
    algo: ConvAlgorithm,
    iters: usize,
) -> Result<f64> {
    let step = || -> Result<()> {
        let y = ops::conv2d_using(x.as_tensor(), w.as_tensor(), stride, 1, groups, algo)?;
        y.sum_all()?.backward()?;
        Ok(())
    };
    for _ in 0..2 {
        step()?;
    }
    let mut t = Vec::with_capacity(iters);
    for _ in 0..iters {
        let s = Instant::now();
        step()?;
        t.push(s.elapsed().as_secs_f64() * 1e3);
    }
    t.sort_by(|a, b| a.total_cmp(b));
    Ok(t[iters / 2])
}

fn main() -> Result<()> {
    if !ops::direct_conv_available() {
        println!("this CPU has no AVX2 + FMA: only im2col + GEMM runs here");
        return Ok(());
    }
    let dev = Device::Cpu;
    let n = 64;
    println!(
        "batch {n}, f32, {} threads; fwd + bwd, median ms\n",
        rayon::current_num_threads()
    );
    println!(
        "| input → output channels | group width | map | stride | GEMM ms | direct ms | direct speed-up |"
    );
    println!("| --- | ---: | --- | ---: | ---: | ---: | ---: |");
    // (in, out, group width, map side): the X blocks' grouped convs at several widths, then
    // dense ones (one group) like the stems and AnyNetX_A's free group widths.
    let cases = [
        (192, 192, 1, 8),
        (192, 192, 4, 8),
        (192, 192, 8, 8),
        (192, 192, 16, 8),
        (192, 192, 24, 8),
        (192, 192, 32, 8),
        (192, 192, 48, 8),
        (192, 192, 64, 8),
        (96, 96, 8, 16),
        (96, 96, 32, 16),
        (96, 96, 48, 16),
        (368, 368, 8, 4),
        (368, 368, 46, 4),
        (3, 24, 3, 32),
        (1, 16, 1, 28),
        (24, 24, 24, 32),
        (64, 64, 64, 8),
    ];
    // The first block of each stage: stride 2.
    let strided = [
        (56, 56, 8, 32),
        (152, 152, 8, 16),
        (368, 368, 8, 8),
        (192, 192, 32, 16),
        (192, 192, 48, 16),
    ];
    let all = cases
        .iter()
        .map(|&(c, o, cg, hw)| (c, o, cg, hw, 1))
        .chain(strided.iter().map(|&(c, o, cg, hw)| (c, o, cg, hw, 2)));
    for (c, o, cg, hw, stride) in all {
        let groups = c / cg;
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (n, c, hw, hw), &dev)?)?;
        let w = Var::from_tensor(&Tensor::randn(0f32, 0.1, (o, cg, 3, 3), &dev)?)?;
        let iters = if hw >= 16 { 9 } else { 21 };
        let gemm = time_ms(&x, &w, stride, groups, ConvAlgorithm::Gemm, iters)?;
        let direct = time_ms(&x, &w, stride, groups, ConvAlgorithm::Direct, iters)?;
        println!(
            "| {c} → {o} | {cg} | {hw}×{hw} | {stride} | {gemm:.2} | {direct:.2} | {:.2}× |",
            gemm / direct
        );
    }
    Ok(())
}
