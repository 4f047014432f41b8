//! Building networks: parameter counts equal the reference's complexity count, names follow
//! torchvision, the seeded reference initialisation, and the `VarMap` path for training.

use anyhow::Result;
use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use regnet_lab::complexity::complexity;
use regnet_lab::model::{AnyNet, ModelConfig, ParamInit, ParamKind};
use regnet_lab::space::{AnyNetSpec, BlockKind, StemKind, zoo};

/// Build without initialising (zeros): enough for shapes and counts, and fast.
fn shell(spec: &AnyNetSpec) -> Result<AnyNet> {
    Ok(AnyNet::new(
        spec,
        VarBuilder::zeros(DType::F32, &Device::Cpu),
    )?)
}

/// The parameter count of every zoo model at full size equals the complexity count (which the
/// space tests check against pycls's published figures).
#[test]
fn param_count_equals_complexity_for_every_zoo_model() -> Result<()> {
    for m in zoo::all() {
        let spec = m.spec();
        let net = shell(&spec)?;
        assert_eq!(
            net.param_count(),
            complexity(&spec, 224)?.params,
            "{}",
            m.name
        );
    }
    Ok(())
}

/// A spread of specs: every stem and block kind, 1 to 5 stages, strides 1 and 2, bottleneck
/// ratios 1, 2, 4, several group widths, SE ratios.
fn sample_specs() -> Vec<AnyNetSpec> {
    let mut specs = Vec::new();
    let stems = [
        (StemKind::Simple, 32, 3),
        (StemKind::Resnet, 24, 3),
        (StemKind::Cifar, 16, 3),
        (StemKind::Small, 8, 1),
    ];
    for (si, &(stem, sw, cin)) in stems.iter().enumerate() {
        // X and Y: 1–4 stages with mixed ratios and group widths.
        for block in [BlockKind::X, BlockKind::Y] {
            for n_stages in 1..=4 {
                let mut b = AnyNetSpec::builder()
                    .stem(stem, sw)
                    .in_channels(cin)
                    .num_classes(10 + si)
                    .block(block);
                if block == BlockKind::Y {
                    b = b.se_ratio([0.25, 0.5][n_stages % 2]);
                }
                for i in 0..n_stages {
                    let ratio = [1.0, 2.0, 4.0][(i + si) % 3];
                    let width = 32 << i;
                    let w_b = (width as f64 / ratio) as usize;
                    let g = [1, 2, 4, 8][(i + n_stages) % 4].min(w_b);
                    let stride = if i == 0 && stem != StemKind::Simple {
                        1
                    } else {
                        2
                    };
                    b = b.stage(1 + (i + si) % 3, width, stride, ratio, g);
                }
                specs.push(b.build().expect("valid sample spec"));
            }
        }
        // ResNet basic and vanilla (no shortcut, so no projection): one group of the stage
        // width, b = 1.
        for block in [BlockKind::ResBasic, BlockKind::Vanilla] {
            specs.push(
                AnyNetSpec::builder()
                    .stem(stem, sw)
                    .in_channels(cin)
                    .num_classes(7)
                    .block(block)
                    .stage(2, 16, 1, 1.0, 16)
                    .stage(2, 32, 2, 1.0, 32)
                    .stage(1, 64, 2, 1.0, 64)
                    .build()
                    .expect("valid basic spec"),
            );
        }
        // ResNet bottleneck: one group of the bottleneck width.
        specs.push(
            AnyNetSpec::builder()
                .stem(stem, sw)
                .in_channels(cin)
                .num_classes(5)
                .block(BlockKind::ResBottleneck)
                .stage(1, 64, 1, 4.0, 16)
                .stage(2, 128, 2, 4.0, 32)
                .stage(1, 256, 2, 2.0, 128)
                .stage(1, 256, 2, 1.0, 256)
                .stage(1, 512, 2, 4.0, 128)
                .build()
                .expect("valid bottleneck spec"),
        );
    }
    specs
}

#[test]
fn param_count_equals_complexity_for_sampled_specs() -> Result<()> {
    let specs = sample_specs();
    assert!(specs.len() >= 40);
    for spec in &specs {
        let net = shell(spec)?;
        assert_eq!(net.param_count(), complexity(spec, 32)?.params, "{spec:?}");
        // Every parameter is listed once, with its shape.
        let shapes = net.parameter_shapes();
        let mut names: Vec<&String> = shapes.iter().map(|(n, _)| n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), shapes.len(), "duplicate names in {spec:?}");
    }
    Ok(())
}

/// The names (and shapes) torchvision's RegNetY gives its parameters.
#[test]
fn names_follow_torchvision() -> Result<()> {
    let net = shell(&zoo::get("RegNetY-200MF")?.spec())?;
    let shapes: std::collections::HashMap<String, Vec<usize>> =
        net.parameter_shapes().into_iter().collect();
    let expect = [
        ("stem.0.weight", vec![32, 3, 3, 3]),
        ("stem.1.weight", vec![32]),
        ("stem.1.bias", vec![32]),
        (
            "trunk_output.block1.block1-0.proj.0.weight",
            vec![24, 32, 1, 1],
        ),
        ("trunk_output.block1.block1-0.proj.1.weight", vec![24]),
        (
            "trunk_output.block1.block1-0.f.a.0.weight",
            vec![24, 32, 1, 1],
        ),
        (
            "trunk_output.block1.block1-0.f.b.0.weight",
            vec![24, 8, 3, 3],
        ),
        // SE width from the block's input width: round(32 · 0.25) = 8 (docs/regnet.md, "Y block").
        (
            "trunk_output.block1.block1-0.f.se.fc1.weight",
            vec![8, 24, 1, 1],
        ),
        ("trunk_output.block1.block1-0.f.se.fc1.bias", vec![8]),
        (
            "trunk_output.block1.block1-0.f.se.fc2.weight",
            vec![24, 8, 1, 1],
        ),
        ("trunk_output.block1.block1-0.f.se.fc2.bias", vec![24]),
        (
            "trunk_output.block1.block1-0.f.c.0.weight",
            vec![24, 24, 1, 1],
        ),
        ("trunk_output.block1.block1-0.f.c.1.bias", vec![24]),
        // Second stage: SE width round(24 · 0.25) = 6.
        (
            "trunk_output.block2.block2-0.f.se.fc1.weight",
            vec![6, 56, 1, 1],
        ),
        (
            "trunk_output.block4.block4-6.f.se.fc1.weight",
            vec![92, 368, 1, 1],
        ),
        ("fc.weight", vec![1000, 368]),
        ("fc.bias", vec![1000]),
    ];
    for (name, shape) in expect {
        assert_eq!(shapes.get(name), Some(&shape), "{name}");
    }
    // No projection where width and stride are unchanged.
    assert!(!shapes.contains_key("trunk_output.block4.block4-1.proj.0.weight"));
    let buffers: Vec<String> = net.named_buffers().into_iter().map(|(n, _)| n).collect();
    assert!(buffers.contains(&"stem.1.running_mean".to_string()));
    assert!(buffers.contains(&"trunk_output.block4.block4-6.f.c.1.running_var".to_string()));
    Ok(())
}

/// Seeded reference initialisation (pycls `init_weights`).
#[test]
fn reference_init_is_seeded_and_follows_the_rules() -> Result<()> {
    let spec = zoo::get("RegNetY-200MF")?.spec();
    let a = AnyNet::build(&spec, &ModelConfig::default().seed(7))?;
    let b = AnyNet::build(&spec, &ModelConfig::default().seed(7))?;
    let c = AnyNet::build(&spec, &ModelConfig::default().seed(8))?;
    let z = AnyNet::build(&spec, &ModelConfig::default().seed(7).zero_init(true))?;
    let (pa, pb, pc, pz) = (
        a.named_parameters(),
        b.named_parameters(),
        c.named_parameters(),
        z.named_parameters(),
    );
    let mut differ = 0;
    for (((x, y), w), q) in pa.iter().zip(&pb).zip(&pc).zip(&pz) {
        let vx = x.var.flatten_all()?.to_vec1::<f32>()?;
        assert_eq!(vx, y.var.flatten_all()?.to_vec1::<f32>()?, "{}", x.name);
        let vw = w.var.flatten_all()?.to_vec1::<f32>()?;
        let vq = q.var.flatten_all()?.to_vec1::<f32>()?;
        if vx != vw {
            differ += 1;
        }
        let n = vx.len() as f64;
        let mean = vx.iter().map(|&v| v as f64).sum::<f64>() / n;
        let std = (vx.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
        match x.init {
            ParamInit::Normal { std: want } => {
                if vx.len() >= 2000 {
                    assert!(
                        (std / want - 1.0).abs() < 0.1,
                        "{}: std {std} vs {want}",
                        x.name
                    );
                    assert!(mean.abs() < 0.1 * want, "{}: mean {mean}", x.name);
                }
                assert_eq!(vx, vq, "zero-init changes only final gammas");
            }
            ParamInit::Uniform { bound } => {
                assert_eq!(x.kind, ParamKind::ConvBias);
                assert!(x.name.contains(".f.se.fc"), "{}", x.name);
                assert!(vx.iter().all(|v| (*v as f64).abs() <= bound));
                assert!(std > 0.3 * bound, "{}: spread", x.name);
            }
            ParamInit::Const(k) => assert!(vx.iter().all(|&v| v as f64 == k), "{}", x.name),
            ParamInit::BranchFinalGamma => {
                assert!(x.name.ends_with(".f.c.1.weight"), "{}", x.name);
                assert!(vx.iter().all(|&v| v == 1.0));
                assert!(vq.iter().all(|&v| v == 0.0));
            }
        }
        // Conv std uses fan_out = k·k·out, not divided by the groups.
        if x.name == "trunk_output.block4.block4-0.f.b.0.weight" {
            let ParamInit::Normal { std: want } = x.init else {
                panic!("conv weight init");
            };
            assert!((want - (2.0f64 / (9.0 * 368.0)).sqrt()).abs() < 1e-12);
        }
        if x.name == "fc.weight" {
            assert_eq!(x.init, ParamInit::Normal { std: 0.01 });
        }
    }
    // Every random tensor changes with the seed.
    let random = pa
        .iter()
        .filter(|p| matches!(p.init, ParamInit::Normal { .. } | ParamInit::Uniform { .. }))
        .count();
    assert_eq!(differ, random);
    Ok(())
}

/// With a `VarMap` builder the trainable parameters live in the map under torchvision names;
/// the running statistics do not (an optimiser walking the map must not decay them).
#[test]
fn varmap_holds_exactly_the_trainable_parameters() -> Result<()> {
    let spec = zoo::get("RegNetX-200MF")?.spec().with_num_classes(10)?;
    let varmap = VarMap::new();
    let net = AnyNet::new(
        &spec,
        VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu),
    )?;
    net.init_reference(1, false)?;
    let map = varmap.data().lock().expect("varmap lock");
    let mut in_map: Vec<&String> = map.keys().collect();
    in_map.sort();
    let mut params: Vec<String> = net.named_parameters().into_iter().map(|p| p.name).collect();
    params.sort();
    assert_eq!(in_map, params.iter().collect::<Vec<_>>());
    // The map's variables are the model's: the seeded init is visible through the map.
    let fc = map["fc.weight"].flatten_all()?.to_vec1::<f32>()?;
    let ours = net
        .named_parameters()
        .into_iter()
        .find(|p| p.name == "fc.weight")
        .expect("fc.weight")
        .var
        .flatten_all()?
        .to_vec1::<f32>()?;
    assert_eq!(fc, ours);
    assert_eq!(net.vars().len(), map.len());
    Ok(())
}

#[test]
fn non_float_dtype_is_refused() {
    let spec = zoo::get("RegNetX-200MF").expect("zoo").spec();
    let err = AnyNet::new(&spec, VarBuilder::zeros(DType::U8, &Device::Cpu))
        .unwrap_err()
        .to_string();
    assert!(err.contains("U8"), "{err}");
}

/// A builder whose tensor has the wrong shape fails naming the layer.
#[test]
fn wrong_shape_in_a_var_builder_names_the_layer() -> Result<()> {
    let spec = zoo::get("RegNetX-200MF")?.spec();
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    // Pre-register a tensor of the wrong shape under a torchvision name.
    vb.get((8, 3, 3, 3), "stem.0.weight")?;
    let err = AnyNet::new(&spec, vb).unwrap_err().to_string();
    assert!(err.contains("stem.0"), "{err}");
    Ok(())
}
