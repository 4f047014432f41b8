//! Seeded reference initialisation (pycls `init_weights`; torchvision's RegNet does the same).
//!
//! Values are drawn on the host from a ChaCha8 stream and copied to the model's device, so a
//! seed gives the same network on CPU and CUDA and in every dtype (up to rounding). Each tensor
//! has its own stream, derived from the seed and the tensor's name, so adding a layer elsewhere
//! does not change the others.

use candle_core::{Device, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::ModelError;
use super::layers::{NamedParam, ParamInit};
use crate::random::{fnv1a, splitmix64};

/// Standard normal samples by Box–Muller.
fn normal(rng: &mut ChaCha8Rng, n: usize, std: f64) -> Vec<f32> {
    let mut out = Vec::with_capacity(n + 1);
    while out.len() < n {
        // u1 in (0, 1] so that ln(u1) is finite.
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random::<f64>();
        let r = (-2.0 * u1.ln()).sqrt();
        let t = std::f64::consts::TAU * u2;
        out.push((std * r * t.cos()) as f32);
        out.push((std * r * t.sin()) as f32);
    }
    out.truncate(n);
    out
}

/// Set every parameter to its reference initialisation, seeded.
pub(crate) fn apply(params: &[NamedParam], seed: u64, zero_init: bool) -> Result<(), ModelError> {
    for p in params {
        let shape = p.var.shape().clone();
        let n = shape.elem_count();
        let mut rng = ChaCha8Rng::seed_from_u64(splitmix64(seed ^ splitmix64(fnv1a(&p.name))));
        let values: Vec<f32> = match p.init {
            ParamInit::Normal { std } => normal(&mut rng, n, std),
            ParamInit::Uniform { bound } => (0..n)
                .map(|_| rng.random_range(-bound..bound) as f32)
                .collect(),
            ParamInit::Const(c) => vec![c as f32; n],
            ParamInit::BranchFinalGamma => vec![if zero_init { 0.0 } else { 1.0 }; n],
        };
        let wrap = |source| ModelError::Build {
            layer: p.name.clone(),
            source,
        };
        let t = Tensor::from_vec(values, shape, &Device::Cpu)
            .and_then(|t| t.to_dtype(p.var.dtype()))
            .and_then(|t| t.to_device(p.var.device()))
            .map_err(wrap)?;
        p.var.set(&t).map_err(wrap)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_has_the_requested_spread() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let v = normal(&mut rng, 20_001, 0.5);
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
        assert_eq!(v.len(), 20_001);
        assert!(mean.abs() < 0.02, "mean {mean}");
        assert!((var.sqrt() - 0.5).abs() < 0.02, "std {}", var.sqrt());
    }

    #[test]
    fn streams_depend_on_seed_and_name() {
        let seed = |s: u64, name: &str| splitmix64(s ^ splitmix64(fnv1a(name)));
        assert_ne!(seed(1, "a"), seed(1, "b"));
        assert_ne!(seed(1, "a"), seed(2, "a"));
    }
}
