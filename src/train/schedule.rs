//! Learning-rate schedules as the reference defines them (pycls `optim.py`): a base learning rate
//! shaped by cosine, steps or a constant, times a linear warm-up. pycls changes the rate once per
//! epoch; short design-space runs may prefer once per iteration (`per_iteration`).

use serde::{Deserialize, Serialize};

/// The shape of the schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrShape {
    /// Half-period cosine from `base_lr` to `min_lr · base_lr` at the last epoch.
    Cosine {
        #[serde(default)]
        min_lr: f64,
    },
    /// Multiply by `gamma` at each of `steps` (epochs, increasing).
    Step { steps: Vec<f64>, gamma: f64 },
    /// The same rate throughout.
    Constant,
}

/// A complete schedule: shape, base rate, warm-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LrSchedule {
    pub base_lr: f64,
    pub shape: LrShape,
    /// Epochs of linear warm-up (0 for none). pycls: 5 for ImageNet and the CIFAR sweep.
    #[serde(default)]
    pub warmup_epochs: f64,
    /// Factor the warm-up starts from (pycls `WARMUP_FACTOR`, 0.1).
    #[serde(default = "default_warmup_factor")]
    pub warmup_factor: f64,
    /// Update the rate every iteration (fractional epochs) instead of once per epoch.
    #[serde(default)]
    pub per_iteration: bool,
}

fn default_warmup_factor() -> f64 {
    0.1
}

impl LrSchedule {
    /// Cosine from `base_lr` to 0 without warm-up, updated once per epoch.
    pub fn cosine(base_lr: f64) -> Self {
        LrSchedule {
            base_lr,
            shape: LrShape::Cosine { min_lr: 0.0 },
            warmup_epochs: 0.0,
            warmup_factor: default_warmup_factor(),
            per_iteration: false,
        }
    }

    /// The same schedule with a linear warm-up.
    pub fn with_warmup(mut self, epochs: f64) -> Self {
        self.warmup_epochs = epochs;
        self
    }

    /// The same schedule, changing the rate every step instead of once per epoch.
    pub fn per_step(mut self) -> Self {
        self.per_iteration = true;
        self
    }

    /// The learning rate at (possibly fractional) `epoch` of a run of `max_epochs`.
    ///
    /// ```
    /// use regnet_lab::train::LrSchedule;
    /// let s = LrSchedule::cosine(0.1);
    /// assert_eq!(s.lr_at(0.0, 10), 0.1);
    /// assert!((s.lr_at(5.0, 10) - 0.05).abs() < 1e-12);
    /// ```
    pub fn lr_at(&self, epoch: f64, max_epochs: usize) -> f64 {
        let e = if self.per_iteration {
            epoch
        } else {
            epoch.floor()
        };
        let max = max_epochs.max(1) as f64;
        let shape = match &self.shape {
            LrShape::Cosine { min_lr } => {
                let c = 0.5 * (1.0 + (std::f64::consts::PI * e / max).cos());
                (1.0 - min_lr) * c + min_lr
            }
            LrShape::Step { steps, gamma } => {
                gamma.powi(steps.iter().filter(|&&s| e >= s).count() as i32)
            }
            LrShape::Constant => 1.0,
        };
        let warm = if e < self.warmup_epochs {
            let alpha = e / self.warmup_epochs;
            self.warmup_factor * (1.0 - alpha) + alpha
        } else {
            1.0
        };
        self.base_lr * shape * warm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_pycls_formulas() {
        // pycls: lr = base · 0.5 (1 + cos(π e / E)), warm-up factor 0.1 (1 − e/W) + e/W.
        let s = LrSchedule::cosine(0.8).with_warmup(5.0);
        let pycls = |e: f64| {
            let c = 0.5 * (1.0 + (std::f64::consts::PI * e / 100.0).cos());
            let w = if e < 5.0 {
                0.1 * (1.0 - e / 5.0) + e / 5.0
            } else {
                1.0
            };
            0.8 * c * w
        };
        for e in 0..100 {
            assert!(
                (s.lr_at(e as f64, 100) - pycls(e as f64)).abs() < 1e-15,
                "epoch {e}"
            );
        }
        // Once per epoch by default; per iteration on request.
        assert_eq!(s.lr_at(0.5, 100), s.lr_at(0.0, 100));
        let it = LrSchedule {
            per_iteration: true,
            ..s.clone()
        };
        assert!(it.lr_at(0.5, 100) > it.lr_at(0.0, 100));
        let st = LrSchedule {
            shape: LrShape::Step {
                steps: vec![30.0, 60.0],
                gamma: 0.1,
            },
            ..LrSchedule::cosine(1.0)
        };
        assert_eq!(st.lr_at(29.0, 90), 1.0);
        assert!((st.lr_at(30.0, 90) - 0.1).abs() < 1e-15);
        assert!((st.lr_at(75.0, 90) - 0.01).abs() < 1e-15);
    }
}
