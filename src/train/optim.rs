//! SGD with momentum, Nesterov and weight decay, with PyTorch's update rule (which pycls uses):
//!
//! ```text
//! g ← ∇p + wd · p            (wd = 0 for excluded parameters)
//! v ← μ · v + g              (v ← g at the first step)
//! p ← p − lr · (g + μ · v)   with Nesterov,  p ← p − lr · v  without
//! ```
//!
//! candle-nn's own `SGD` has no momentum, hence this small optimiser over named `Var`s.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use serde::{Deserialize, Serialize};

/// Why saved momentum buffers do not fit an optimiser.
#[derive(Debug, thiserror::Error)]
pub enum OptimStateError {
    #[error("momentum of '{name}' has shape {found:?}, the parameter {expected:?}")]
    Shape {
        name: String,
        found: Vec<usize>,
        expected: Vec<usize>,
    },
    #[error("momentum of '{name}': {source}")]
    Tensor {
        name: String,
        #[source]
        source: candle_core::Error,
    },
    #[error("momentum for unknown parameter '{name}'")]
    Unknown { name: String },
}

/// Optimiser settings. Defaults: momentum 0.9, Nesterov on, weight decay 5e-4 — the crate's
/// one default for short runs on small images, which is pycls's CIFAR setting; the paper's
/// ImageNet runs (and pycls's ImageNet configs) use 5e-5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SgdConfig {
    pub momentum: f64,
    pub nesterov: bool,
    pub weight_decay: f64,
    /// Exclude 1-D parameters — BatchNorm γ/β and biases — from weight decay (pycls
    /// `BN.USE_CUSTOM_WEIGHT_DECAY`; off for ImageNet, on in the CIFAR sweep).
    pub no_decay_1d: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            momentum: 0.9,
            nesterov: true,
            weight_decay: 5e-4,
            no_decay_1d: false,
        }
    }
}

struct Param {
    name: String,
    var: Var,
    decay: f64,
    velocity: Option<Tensor>,
}

/// SGD over a set of named variables.
pub struct Sgd {
    config: SgdConfig,
    params: Vec<Param>,
}

impl Sgd {
    /// Optimise `vars` (name, variable); names key the momentum buffers in checkpoints.
    pub fn new(mut vars: Vec<(String, Var)>, config: SgdConfig) -> Self {
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let params = vars
            .into_iter()
            .map(|(name, var)| {
                let decay = if config.no_decay_1d && var.as_tensor().rank() <= 1 {
                    0.0
                } else {
                    config.weight_decay
                };
                Param {
                    name,
                    var,
                    decay,
                    velocity: None,
                }
            })
            .collect();
        Sgd { config, params }
    }

    pub fn config(&self) -> &SgdConfig {
        &self.config
    }

    /// One update with learning rate `lr`. Variables without a gradient are left alone.
    pub fn step(&mut self, grads: &GradStore, lr: f64) -> candle_core::Result<()> {
        let mu = self.config.momentum;
        for p in &mut self.params {
            let Some(grad) = grads.get(p.var.as_tensor()) else {
                continue;
            };
            let theta = p.var.as_tensor();
            let g = if p.decay != 0.0 {
                (grad + (theta * p.decay)?)?
            } else {
                grad.clone()
            };
            let update = if mu != 0.0 {
                let v = match &p.velocity {
                    Some(v) => ((v * mu)? + &g)?,
                    None => g.clone(),
                };
                let u = if self.config.nesterov {
                    (&g + (&v * mu)?)?
                } else {
                    v.clone()
                };
                p.velocity = Some(v.detach());
                u
            } else {
                g
            };
            p.var.set(&(theta - (update * lr)?)?.detach())?;
        }
        Ok(())
    }

    /// Momentum buffers by parameter name (for checkpoints).
    pub fn state(&self) -> HashMap<String, Tensor> {
        self.params
            .iter()
            .filter_map(|p| p.velocity.as_ref().map(|v| (p.name.clone(), v.clone())))
            .collect()
    }

    /// Restore momentum buffers saved by [`Sgd::state`]. Unknown names or wrong shapes are errors.
    pub fn load_state(
        &mut self,
        mut state: HashMap<String, Tensor>,
    ) -> Result<(), OptimStateError> {
        for p in &mut self.params {
            if let Some(v) = state.remove(&p.name) {
                if v.dims() != p.var.as_tensor().dims() {
                    return Err(OptimStateError::Shape {
                        name: p.name.clone(),
                        found: v.dims().to_vec(),
                        expected: p.var.as_tensor().dims().to_vec(),
                    });
                }
                let v = v
                    .to_device(p.var.as_tensor().device())
                    .and_then(|v| v.to_dtype(p.var.as_tensor().dtype()))
                    .map_err(|source| OptimStateError::Tensor {
                        name: p.name.clone(),
                        source,
                    })?;
                p.velocity = Some(v);
            }
        }
        match state.into_keys().next() {
            Some(name) => Err(OptimStateError::Unknown { name }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    /// Three steps on f(p) = Σ p² / 2 (gradient p), against the rule written out by hand.
    #[test]
    fn matches_pytorch_sgd_rule() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        for nesterov in [false, true] {
            let p = Var::from_tensor(&Tensor::new(&[1.0f32, -2.0], &dev)?)?;
            let cfg = SgdConfig {
                momentum: 0.9,
                nesterov,
                weight_decay: 0.1,
                no_decay_1d: false,
            };
            let mut opt = Sgd::new(vec![("p".into(), p.clone())], cfg);
            let (mut x, mut v): (f64, Option<f64>) = (1.0, None);
            for _ in 0..3 {
                let loss = (p.as_tensor().sqr()?.sum_all()? * 0.5)?;
                opt.step(&loss.backward()?, 0.5)?;
                let g = x + 0.1 * x;
                let vn = v.map_or(g, |v| 0.9 * v + g);
                x -= 0.5 * if nesterov { g + 0.9 * vn } else { vn };
                v = Some(vn);
            }
            let got = p.as_tensor().to_dtype(DType::F64)?.to_vec1::<f64>()?;
            assert!(
                (got[0] - x).abs() < 1e-5,
                "nesterov={nesterov}: {} vs {x}",
                got[0]
            );
            assert!((got[1] + 2.0 * x).abs() < 1e-5);
        }
        Ok(())
    }

    #[test]
    fn one_d_parameters_can_skip_weight_decay() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        let w = Var::from_tensor(&Tensor::ones((2, 2), DType::F32, &dev)?)?;
        let b = Var::from_tensor(&Tensor::ones(2, DType::F32, &dev)?)?;
        let cfg = SgdConfig {
            momentum: 0.0,
            nesterov: false,
            weight_decay: 0.5,
            no_decay_1d: true,
        };
        let mut opt = Sgd::new(vec![("w".into(), w.clone()), ("b".into(), b.clone())], cfg);
        // Gradient 1 everywhere: w ← 1 − (1 + 0.5 · 1) = −0.5, b ← 1 − 1 = 0.
        let loss = (w.as_tensor().sum_all()? + b.as_tensor().sum_all()?)?;
        opt.step(&loss.backward()?, 1.0)?;
        assert_eq!(
            w.as_tensor().flatten_all()?.to_vec1::<f32>()?,
            vec![-0.5; 4]
        );
        assert_eq!(b.as_tensor().to_vec1::<f32>()?, vec![0.0; 2]);
        Ok(())
    }
}
