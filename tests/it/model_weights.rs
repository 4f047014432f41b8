//! Checkpoints: safetensors round trips and strict loading with errors that name the tensors.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Result;
use candle_core::{DType, Device, Tensor};
use regnet_lab::model::{AnyNet, ModelConfig, ModelError};
use regnet_lab::space::{AnyNetSpec, zoo};

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    dir.join(format!("model_weights_{}_{name}", std::process::id()))
}

fn small_y() -> Result<AnyNetSpec> {
    Ok(zoo::get("RegNetY-200MF")?.spec().with_num_classes(10)?)
}

fn input() -> Result<Tensor> {
    let v: Vec<f32> = (0..2 * 3 * 32 * 32)
        .map(|i| ((i * 31 % 97) as f32) / 97.0 - 0.5)
        .collect();
    Ok(Tensor::from_vec(v, (2, 3, 32, 32), &Device::Cpu)?)
}

/// Save → load gives the same network, running statistics and batch counts included.
#[test]
fn round_trip_keeps_everything() -> Result<()> {
    let spec = small_y()?;
    let net = AnyNet::build(&spec, &ModelConfig::default().seed(5))?;
    net.forward_t(&input()?, true)?; // move the running statistics away from 0 / 1
    let path = tmp("round.safetensors");
    net.save_safetensors(&path)?;

    let raw = candle_core::safetensors::load(&path, &Device::Cpu)?;
    let nbt = &raw["stem.1.num_batches_tracked"];
    assert_eq!((nbt.dtype(), nbt.dims()), (DType::I64, &[][..]));
    assert_eq!(nbt.to_scalar::<i64>()?, 1);
    assert!(raw.contains_key("trunk_output.block2.block2-0.f.se.fc2.bias"));
    assert!(raw.contains_key("stem.1.running_var"));

    let back = AnyNet::from_safetensors(&spec, &path, &Device::Cpu, DType::F32)?;
    let a = net.forward_t(&input()?, false)?.to_vec2::<f32>()?;
    let b = back.forward_t(&input()?, false)?.to_vec2::<f32>()?;
    assert_eq!(a, b);
    assert_eq!(back.batch_norms()[0].num_batches_tracked(), 1);
    std::fs::remove_file(&path)?;
    Ok(())
}

/// An f16 model saves f16 parameters (statistics in f32) and loads into an f32 model (dtypes
/// are converted).
#[test]
fn dtypes_convert_on_load() -> Result<()> {
    let spec = small_y()?;
    let half = AnyNet::build(&spec, &ModelConfig::default().seed(6).dtype(DType::F16))?;
    let path = tmp("f16.safetensors");
    half.save_safetensors(&path)?;
    let raw = candle_core::safetensors::load(&path, &Device::Cpu)?;
    assert_eq!(raw["fc.weight"].dtype(), DType::F16);
    assert_eq!(raw["stem.1.running_mean"].dtype(), DType::F32);
    let full = AnyNet::from_safetensors(&spec, &path, &Device::Cpu, DType::F32)?;
    assert_eq!(full.dtype(), DType::F32);
    std::fs::remove_file(&path)?;
    Ok(())
}

fn state(net: &AnyNet) -> Result<HashMap<String, Tensor>> {
    Ok(net.state_dict()?.into_iter().collect())
}

/// Missing, unexpected and mis-shaped tensors are all reported by name, and nothing is loaded.
#[test]
fn mismatches_are_named() -> Result<()> {
    let spec = small_y()?;
    let net = AnyNet::build(&spec, &ModelConfig::default().seed(7))?;
    let mut sd = state(&net)?;
    sd.remove("trunk_output.block3.block3-1.f.b.0.weight");
    sd.remove("stem.1.running_mean");
    sd.insert(
        "head.weight".into(),
        Tensor::zeros(3, DType::F32, &Device::Cpu)?,
    );
    sd.insert(
        "fc.weight".into(),
        Tensor::zeros((11, 368), DType::F32, &Device::Cpu)?,
    );
    // num_batches_tracked is optional.
    sd.remove("stem.1.num_batches_tracked");

    let target = AnyNet::build(&spec, &ModelConfig::default().seed(8))?;
    let before = target.forward_t(&input()?, false)?.to_vec2::<f32>()?;
    let err = target.load_state_dict(&sd, "test dict").unwrap_err();
    let msg = err.to_string();
    match &err {
        ModelError::StateDict {
            missing,
            unexpected,
            mismatched,
            ..
        } => {
            assert_eq!(
                missing,
                &vec![
                    "stem.1.running_mean".to_string(),
                    "trunk_output.block3.block3-1.f.b.0.weight".to_string()
                ]
            );
            assert_eq!(unexpected, &vec!["head.weight".to_string()]);
            assert_eq!(
                mismatched,
                &vec!["fc.weight: checkpoint [11, 368], model [10, 368]".to_string()]
            );
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(
        msg.contains("test dict") && msg.contains("missing (2)"),
        "{msg}"
    );
    let after = target.forward_t(&input()?, false)?.to_vec2::<f32>()?;
    assert_eq!(before, after, "a failed load must not change the model");

    // Fixed up, it loads.
    let mut ok = state(&net)?;
    ok.remove("stem.1.num_batches_tracked");
    target.load_state_dict(&ok, "fixed dict")?;
    let loaded = target.forward_t(&input()?, false)?.to_vec2::<f32>()?;
    assert_eq!(loaded, net.forward_t(&input()?, false)?.to_vec2::<f32>()?);
    Ok(())
}

#[test]
fn unreadable_file_is_named() {
    let spec = small_y().expect("spec");
    let err = AnyNet::from_safetensors(
        &spec,
        "/nonexistent/weights.safetensors",
        &Device::Cpu,
        DType::F32,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("/nonexistent/weights.safetensors"), "{err}");
}
