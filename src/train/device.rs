//! Where a run executes: `cpu`, `cuda[:N]` or `auto` (CUDA when the crate was built with the
//! `cuda` feature and a GPU answers, else the CPU). Serialised as that string, so a record says
//! what was asked for; [`DeviceChoice::resolve`] says what was used.

use std::fmt;
use std::str::FromStr;

use candle_core::Device;
use serde::{Deserialize, Serialize};

use super::TrainError;

/// A device request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum DeviceChoice {
    #[default]
    Cpu,
    Cuda(usize),
    Auto,
}

impl DeviceChoice {
    /// The candle device. `cuda` without the `cuda` feature, or without a GPU, is an error;
    /// `auto` falls back to the CPU.
    pub fn resolve(self) -> Result<Device, TrainError> {
        match self {
            DeviceChoice::Cpu => Ok(Device::Cpu),
            DeviceChoice::Cuda(n) => cuda(n),
            DeviceChoice::Auto => Ok(cuda(0).unwrap_or(Device::Cpu)),
        }
    }
}

#[cfg(feature = "cuda")]
fn cuda(n: usize) -> Result<Device, TrainError> {
    Device::new_cuda(n).map_err(|e| TrainError::Device(format!("cuda:{n}: {e}")))
}

#[cfg(not(feature = "cuda"))]
fn cuda(n: usize) -> Result<Device, TrainError> {
    Err(TrainError::Device(format!(
        "cuda:{n} asked for, but regnet-lab was built without the `cuda` feature \
         (cargo build --features cuda)"
    )))
}

/// A short name of a resolved device (`cpu`, `cuda:0`).
pub fn device_name(device: &Device) -> String {
    match device {
        Device::Cpu => "cpu".into(),
        Device::Cuda(_) => format!("cuda:{}", device_ordinal(device)),
        Device::Metal(_) => "metal".into(),
    }
}

fn device_ordinal(device: &Device) -> usize {
    match device.location() {
        candle_core::DeviceLocation::Cuda { gpu_id } => gpu_id,
        _ => 0,
    }
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceChoice::Cpu => write!(f, "cpu"),
            DeviceChoice::Cuda(n) => write!(f, "cuda:{n}"),
            DeviceChoice::Auto => write!(f, "auto"),
        }
    }
}

impl FromStr for DeviceChoice {
    type Err = TrainError;
    fn from_str(s: &str) -> Result<Self, TrainError> {
        let t = s.trim().to_ascii_lowercase();
        match t.as_str() {
            "cpu" => Ok(DeviceChoice::Cpu),
            "auto" => Ok(DeviceChoice::Auto),
            "cuda" | "gpu" => Ok(DeviceChoice::Cuda(0)),
            _ => t
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(DeviceChoice::Cuda)
                .ok_or_else(|| {
                    TrainError::Device(format!("'{s}': expected cpu, cuda, cuda:N or auto"))
                }),
        }
    }
}

impl From<DeviceChoice> for String {
    fn from(d: DeviceChoice) -> String {
        d.to_string()
    }
}

impl TryFrom<String> for DeviceChoice {
    type Error = TrainError;
    fn try_from(s: String) -> Result<Self, TrainError> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_resolves() {
        assert_eq!(
            "CUDA:1".parse::<DeviceChoice>().unwrap(),
            DeviceChoice::Cuda(1)
        );
        assert_eq!("auto".parse::<DeviceChoice>().unwrap(), DeviceChoice::Auto);
        assert!(
            "tpu"
                .parse::<DeviceChoice>()
                .unwrap_err()
                .to_string()
                .contains("'tpu'")
        );
        assert!(DeviceChoice::Cpu.resolve().unwrap().is_cpu());
        #[cfg(not(feature = "cuda"))]
        {
            assert!(DeviceChoice::Auto.resolve().unwrap().is_cpu());
            let err = DeviceChoice::Cuda(0).resolve().unwrap_err().to_string();
            assert!(err.contains("without the `cuda` feature"), "{err}");
        }
    }
}
