//! Checkpoints: the state dict in torchvision's naming, saved and loaded through safetensors.
//!
//! A torchvision RegNet `state_dict()` exported with `safetensors.torch.save_file` loads
//! unchanged into the `AnyNet` of the same shape. BatchNorm's `num_batches_tracked` (an int64
//! scalar in PyTorch) is written on save so that PyTorch can load our files strictly, and is
//! accepted but optional on load: the reference momentum is fixed, so the count changes nothing.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use candle_core::{DType, Device, Tensor};

use super::{AnyNet, ModelError};

const NUM_BATCHES: &str = "num_batches_tracked";

impl AnyNet {
    /// Every tensor of the model by torchvision name: parameters, BN running statistics and
    /// `num_batches_tracked` (int64 scalars), on the model's device.
    pub fn state_dict(&self) -> Result<BTreeMap<String, Tensor>, ModelError> {
        let mut out = BTreeMap::new();
        for p in self.named_parameters() {
            out.insert(p.name, p.var.as_tensor().detach());
        }
        for (name, var) in self.named_buffers() {
            out.insert(name, var.as_tensor().detach());
        }
        for bn in self.batch_norms() {
            let n = Tensor::new(bn.num_batches_tracked() as i64, &Device::Cpu).map_err(|e| {
                ModelError::Build {
                    layer: bn.name().to_string(),
                    source: e,
                }
            })?;
            out.insert(format!("{}.{NUM_BATCHES}", bn.name()), n);
        }
        Ok(out)
    }

    /// Save the state dict to a safetensors file (parameters in the model's dtype, BN
    /// statistics in f32 for half-precision models).
    ///
    /// ```
    /// use regnet_lab::model::{AnyNet, ModelConfig};
    /// use regnet_lab::space::zoo;
    /// let spec = zoo::get("RegNetX-200MF")?.spec().with_num_classes(10)?;
    /// let net = AnyNet::build(&spec, &ModelConfig::default().seed(3))?;
    /// let path = std::env::temp_dir().join("regnet_lab_doc_x200.safetensors");
    /// net.save_safetensors(&path)?;
    /// let again = AnyNet::from_safetensors(&spec, &path, &candle_core::Device::Cpu, candle_core::DType::F32)?;
    /// assert_eq!(again.param_count(), net.param_count());
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save_safetensors(&self, path: impl AsRef<Path>) -> Result<(), ModelError> {
        let path = path.as_ref();
        let io = |source| ModelError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut cpu = HashMap::new();
        for (name, t) in self.state_dict()? {
            cpu.insert(name, t.to_device(&Device::Cpu).map_err(io)?);
        }
        candle_core::safetensors::save(&cpu, path).map_err(io)
    }

    /// Load a safetensors checkpoint into this model, strictly: every parameter and running
    /// statistic must be present with the right shape and nothing else may be there
    /// (`num_batches_tracked` is optional). Dtypes are converted to the model's.
    pub fn load_safetensors(&self, path: impl AsRef<Path>) -> Result<(), ModelError> {
        let path = path.as_ref();
        let tensors = candle_core::safetensors::load(path, &Device::Cpu).map_err(|source| {
            ModelError::Io {
                path: path.display().to_string(),
                source,
            }
        })?;
        self.load_state_dict(&tensors, &path.display().to_string())
    }

    /// Load named tensors (e.g. read from a checkpoint) into this model, strictly; `origin`
    /// names where they came from in errors. Nothing is changed unless everything matches.
    pub fn load_state_dict(
        &self,
        tensors: &HashMap<String, Tensor>,
        origin: &str,
    ) -> Result<(), ModelError> {
        let mut expected: BTreeMap<String, candle_core::Var> = BTreeMap::new();
        for p in self.named_parameters() {
            expected.insert(p.name, p.var);
        }
        for (name, var) in self.named_buffers() {
            expected.insert(name, var);
        }
        let bns: BTreeMap<String, _> = self
            .batch_norms()
            .into_iter()
            .map(|bn| (format!("{}.{NUM_BATCHES}", bn.name()), bn))
            .collect();

        let mut missing: Vec<String> = expected
            .keys()
            .filter(|k| !tensors.contains_key(*k))
            .cloned()
            .collect();
        missing.sort();
        let mut unexpected = Vec::new();
        let mut mismatched = Vec::new();
        let mut names: Vec<&String> = tensors.keys().collect();
        names.sort();
        for name in names {
            let t = &tensors[name];
            if let Some(var) = expected.get(name) {
                if t.dims() != var.dims() {
                    mismatched.push(format!(
                        "{name}: checkpoint {:?}, model {:?}",
                        t.dims(),
                        var.dims()
                    ));
                }
            } else if bns.contains_key(name) {
                if t.elem_count() != 1 {
                    mismatched.push(format!(
                        "{name}: checkpoint {:?}, model [] (a scalar)",
                        t.dims()
                    ));
                }
            } else {
                unexpected.push(name.clone());
            }
        }
        if !(missing.is_empty() && unexpected.is_empty() && mismatched.is_empty()) {
            return Err(ModelError::StateDict {
                origin: origin.to_string(),
                missing,
                unexpected,
                mismatched,
            });
        }
        for (name, var) in &expected {
            let t = tensors[name]
                .to_dtype(var.dtype())
                .and_then(|t| t.to_device(var.device()))
                .and_then(|t| var.set(&t))
                .map_err(|source| ModelError::Build {
                    layer: name.clone(),
                    source,
                });
            t?;
        }
        for (name, bn) in &bns {
            if let Some(t) = tensors.get(name) {
                let n = t
                    .flatten_all()
                    .and_then(|t| t.to_dtype(DType::F64))
                    .and_then(|t| t.to_vec1::<f64>())
                    .map_err(|source| ModelError::Build {
                        layer: name.clone(),
                        source,
                    })?;
                bn.set_num_batches_tracked(n.first().copied().unwrap_or(0.0).max(0.0) as u64);
            }
        }
        Ok(())
    }

    /// Build a model of shape `spec` and load a safetensors checkpoint into it (strictly).
    pub fn from_safetensors(
        spec: &crate::space::AnyNetSpec,
        path: impl AsRef<Path>,
        device: &Device,
        dtype: DType,
    ) -> Result<AnyNet, ModelError> {
        let net = AnyNet::new(spec, candle_nn::VarBuilder::zeros(dtype, device))?;
        net.load_safetensors(path)?;
        Ok(net)
    }
}
