//! The fused BatchNorm (+ ReLU), channel-affine and add-ReLU ops against the same arithmetic
//! composed from plain candle ops: outputs, batch statistics and every gradient.

use anyhow::Result;
use candle_core::{Device, Tensor, Var};
use regnet_lab::ops;

fn rel_err(a: &Tensor, b: &Tensor) -> Result<f32> {
    let d = (a - b)?.abs()?.max_all()?.to_scalar::<f32>()?;
    let m = b.abs()?.max_all()?.to_scalar::<f32>()?.max(1e-6);
    Ok(d / m)
}

fn close(what: &str, a: &Tensor, b: &Tensor, tol: f32) -> Result<()> {
    let e = rel_err(a, b)?;
    assert!(e < tol, "{what}: rel err {e}");
    Ok(())
}

fn bn_case(n: usize, c: usize, h: usize, w: usize, relu: bool) -> Result<()> {
    let dev = Device::Cpu;
    let what = format!("bn n{n} c{c} {h}x{w} relu {relu}");
    // Off-centre inputs, as after a convolution.
    let x = Var::from_tensor(&Tensor::randn(0.5f32, 2.0, (n, c, h, w), &dev)?)?;
    let g = Var::from_tensor(&Tensor::randn(1f32, 0.3, c, &dev)?)?;
    let b = Var::from_tensor(&Tensor::randn(0f32, 0.3, c, &dev)?)?;
    let (yf, mean_f, var_f) =
        ops::batch_norm_train(x.as_tensor(), g.as_tensor(), b.as_tensor(), 1e-5, relu)?;
    let (ys, mean, var) =
        ops::reference::batch_norm_train(x.as_tensor(), g.as_tensor(), b.as_tensor(), 1e-5, relu)?;
    close(&format!("{what} y"), &yf, &ys, 1e-5)?;
    close(&format!("{what} mean"), &mean_f, &mean, 1e-5)?;
    close(&format!("{what} var"), &var_f, &var, 1e-5)?;
    let r = Tensor::randn(0f32, 1.0, ys.dims(), &dev)?;
    let gf = (yf * &r)?.sum_all()?.backward()?;
    let gs = (ys * &r)?.sum_all()?.backward()?;
    for (name, v) in [("dx", &x), ("dgamma", &g), ("dbeta", &b)] {
        let a = gf.get(v.as_tensor()).expect("fast grad");
        let e = gs.get(v.as_tensor()).expect("reference grad");
        close(&format!("{what} {name}"), a, e, 2e-4)?;
    }
    Ok(())
}

#[test]
fn batch_norm_train_matches_composed() -> Result<()> {
    for relu in [false, true] {
        bn_case(4, 6, 5, 7, relu)?;
        bn_case(5, 3, 1, 1, relu)?;
        bn_case(16, 5, 4, 4, relu)?;
        bn_case(3, 2, 9, 11, relu)?;
    }
    Ok(())
}

#[test]
fn channel_affine_matches_composed() -> Result<()> {
    let dev = Device::Cpu;
    for relu in [false, true] {
        let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (3, 5, 6, 7), &dev)?)?;
        let a = Var::from_tensor(&Tensor::randn(0f32, 1.0, 5, &dev)?)?;
        let b = Var::from_tensor(&Tensor::randn(0f32, 1.0, 5, &dev)?)?;
        let yf = ops::channel_affine(x.as_tensor(), a.as_tensor(), b.as_tensor(), relu)?;
        let ys = ops::reference::channel_affine(x.as_tensor(), a.as_tensor(), b.as_tensor(), relu)?;
        close("affine y", &yf, &ys, 1e-6)?;
        let r = Tensor::randn(0f32, 1.0, ys.dims(), &dev)?;
        let gf = (yf * &r)?.sum_all()?.backward()?;
        let gs = (ys * &r)?.sum_all()?.backward()?;
        for v in [&x, &a, &b] {
            close(
                "affine grad",
                gf.get(v.as_tensor()).unwrap(),
                gs.get(v.as_tensor()).unwrap(),
                1e-5,
            )?;
        }
    }
    Ok(())
}

#[test]
fn add_relu_matches_composed() -> Result<()> {
    let dev = Device::Cpu;
    let a = Var::from_tensor(&Tensor::randn(0f32, 1.0, (3, 4, 5, 7), &dev)?)?;
    let b = Var::from_tensor(&Tensor::randn(0f32, 1.0, (3, 4, 5, 7), &dev)?)?;
    let yf = ops::add_relu(a.as_tensor(), b.as_tensor())?;
    let ys = ops::reference::add_relu(a.as_tensor(), b.as_tensor())?;
    close("add_relu y", &yf, &ys, 0.0 + f32::EPSILON)?;
    let r = Tensor::randn(0f32, 1.0, ys.dims(), &dev)?;
    let gf = (yf * &r)?.sum_all()?.backward()?;
    let gs = (ys * &r)?.sum_all()?.backward()?;
    for v in [&a, &b] {
        close(
            "add_relu grad",
            gf.get(v.as_tensor()).unwrap(),
            gs.get(v.as_tensor()).unwrap(),
            f32::EPSILON,
        )?;
    }
    Ok(())
}
