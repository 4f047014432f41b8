//! The `space` module against the reference's rules: rounding ties, the generator's fast path,
//! validation, serde, and the design spaces' constraints on many samples.

use regnet_lab::complexity::complexity;
use regnet_lab::space::*;

/// (name, stage depths, stage widths, stage group widths).
type ZooStages = (&'static str, [usize; 4], [usize; 4], [usize; 4]);

/// Widths, depths and group widths pycls builds for the 24 zoo models (ImageNet).
const ZOO_STAGES: [ZooStages; 24] = [
    (
        "RegNetX-200MF",
        [1, 1, 4, 7],
        [24, 56, 152, 368],
        [8, 8, 8, 8],
    ),
    (
        "RegNetX-400MF",
        [1, 2, 7, 12],
        [32, 64, 160, 384],
        [16, 16, 16, 16],
    ),
    (
        "RegNetX-600MF",
        [1, 3, 5, 7],
        [48, 96, 240, 528],
        [24, 24, 24, 24],
    ),
    (
        "RegNetX-800MF",
        [1, 3, 7, 5],
        [64, 128, 288, 672],
        [16, 16, 16, 16],
    ),
    (
        "RegNetX-1.6GF",
        [2, 4, 10, 2],
        [72, 168, 408, 912],
        [24, 24, 24, 24],
    ),
    (
        "RegNetX-3.2GF",
        [2, 6, 15, 2],
        [96, 192, 432, 1008],
        [48, 48, 48, 48],
    ),
    (
        "RegNetX-4.0GF",
        [2, 5, 14, 2],
        [80, 240, 560, 1360],
        [40, 40, 40, 40],
    ),
    (
        "RegNetX-6.4GF",
        [2, 4, 10, 1],
        [168, 392, 784, 1624],
        [56, 56, 56, 56],
    ),
    (
        "RegNetX-8.0GF",
        [2, 5, 15, 1],
        [80, 240, 720, 1920],
        [80, 120, 120, 120],
    ),
    (
        "RegNetX-12GF",
        [2, 5, 11, 1],
        [224, 448, 896, 2240],
        [112, 112, 112, 112],
    ),
    (
        "RegNetX-16GF",
        [2, 6, 13, 1],
        [256, 512, 896, 2048],
        [128, 128, 128, 128],
    ),
    (
        "RegNetX-32GF",
        [2, 7, 13, 1],
        [336, 672, 1344, 2520],
        [168, 168, 168, 168],
    ),
    (
        "RegNetY-200MF",
        [1, 1, 4, 7],
        [24, 56, 152, 368],
        [8, 8, 8, 8],
    ),
    (
        "RegNetY-400MF",
        [1, 3, 6, 6],
        [48, 104, 208, 440],
        [8, 8, 8, 8],
    ),
    (
        "RegNetY-600MF",
        [1, 3, 7, 4],
        [48, 112, 256, 608],
        [16, 16, 16, 16],
    ),
    (
        "RegNetY-800MF",
        [1, 3, 8, 2],
        [64, 128, 320, 768],
        [16, 16, 16, 16],
    ),
    (
        "RegNetY-1.6GF",
        [2, 6, 17, 2],
        [48, 120, 336, 888],
        [24, 24, 24, 24],
    ),
    (
        "RegNetY-3.2GF",
        [2, 5, 13, 1],
        [72, 216, 576, 1512],
        [24, 24, 24, 24],
    ),
    (
        "RegNetY-4.0GF",
        [2, 6, 12, 2],
        [128, 192, 512, 1088],
        [64, 64, 64, 64],
    ),
    (
        "RegNetY-6.4GF",
        [2, 7, 14, 2],
        [144, 288, 576, 1296],
        [72, 72, 72, 72],
    ),
    (
        "RegNetY-8.0GF",
        [2, 4, 10, 1],
        [168, 448, 896, 2016],
        [56, 56, 56, 56],
    ),
    (
        "RegNetY-12GF",
        [2, 5, 11, 1],
        [224, 448, 896, 2240],
        [112, 112, 112, 112],
    ),
    (
        "RegNetY-16GF",
        [2, 4, 11, 1],
        [224, 448, 1232, 3024],
        [112, 112, 112, 112],
    ),
    (
        "RegNetY-32GF",
        [2, 5, 12, 1],
        [232, 696, 1392, 3712],
        [232, 232, 232, 232],
    ),
];

#[test]
fn zoo_models_have_the_reference_stages() {
    for (name, depths, widths, groups) in ZOO_STAGES {
        let spec = zoo::get(name).unwrap().spec();
        assert_eq!(spec.stage_depths(), depths, "{name} depths");
        assert_eq!(spec.stage_widths(), widths, "{name} widths");
        assert_eq!(spec.stage_group_widths(), groups, "{name} group widths");
        assert_eq!(spec.stage_strides(), vec![2; 4], "{name} strides");
        assert_eq!(
            spec.block(),
            if name.contains('Y') {
                BlockKind::Y
            } else {
                BlockKind::X
            }
        );
    }
}

#[test]
fn zoo_names_are_case_and_separator_insensitive() {
    for alias in [
        "RegNetX-1.6GF",
        "regnetx_1.6gf",
        "REGNETX-1.6GF",
        "regnet_x_1.6gf",
    ] {
        assert_eq!(zoo::get(alias).unwrap().name, "RegNetX-1.6GF", "{alias}");
    }
    let err = zoo::get("RegNetX-300MF").unwrap_err().to_string();
    assert!(
        err.contains("RegNetX-300MF") && err.contains("RegNetX-200MF"),
        "{err}"
    );
}

#[test]
fn generator_rounds_half_to_even() {
    // w0 = 40, wm = 2.5: u = 100 is stage 1, 40 · 2.5 = 100, 100 / 8 = 12.5 → 12 → 96 (not 104).
    let g = generate_widths(2, 40, 60.0, 2.5);
    assert_eq!(g.exponents, vec![0, 1]);
    assert_eq!(g.quantized, vec![40, 96]);
    // Compatibility: v / g = 20 / 8 = 2.5 → 2 → 16 (not 24); RegNetX-400MF's 392 / 16 = 24.5 → 384.
    assert_eq!(
        adjust_block_compatibility(&[20], &[1.0], &[8]),
        (vec![16], vec![8])
    );
    assert_eq!(
        adjust_block_compatibility(&[392], &[1.0], &[16]),
        (vec![384], vec![16])
    );
    // Group width capped at the bottleneck width (RegNetX-8.0GF's first stage).
    assert_eq!(compatible_stage(80, 1.0, 120), (80, 80));
    // With b = 4 (bot_mul 0.25) the bottleneck must be a multiple of lcm(g, ...) and width = v · b.
    assert_eq!(compatible_stage(100, 4.0, 8), (96, 8));
    // SE width from the input width, half to even: round(10 · 0.25) = round(2.5) = 2.
    let spec = AnyNetSpec::builder()
        .block(BlockKind::Y)
        .stem(StemKind::Simple, 10)
        .stage(1, 16, 2, 1.0, 8)
        .build()
        .unwrap();
    assert_eq!(spec.se_width(10), Some(2));
    assert_eq!(spec.se_width(14), Some(4)); // 3.5 → 4
    assert_eq!(round_half_even(0.5), 0.0);
    assert_eq!(round_half_even(1.5), 2.0);
    assert_eq!(round_half_even(-2.5), -2.0);
}

#[test]
fn generator_reports_stages_realised_and_possible() {
    let g = zoo::get("RegNetX-200MF").unwrap().params.widths();
    assert_eq!(g.continuous.len(), 13);
    assert!((g.continuous[1] - 60.44).abs() < 1e-12);
    assert_eq!(g.stage_widths, vec![24, 56, 152, 368]);
    assert_eq!(g.stage_depths, vec![1, 1, 4, 7]);
    assert_eq!((g.num_stages, g.possible_stages), (4, 4));
    // A large w0 with a small slope skips a stage index: fewer realised than possible.
    let mut skipped = false;
    for wa in 1..200 {
        let g = generate_widths(8, 8, wa as f64 * 2.0, 1.6);
        assert!(g.num_stages <= g.possible_stages);
        skipped |= g.num_stages < g.possible_stages;
    }
    assert!(skipped, "expected a case with a skipped stage");
}

#[test]
fn fast_stage_path_agrees_with_the_per_block_generator() {
    // to_spec uses a fast path; its stages must equal generate_widths's for any parameters.
    let space = DesignSpace::regnet().with_max_tries(10);
    let mut checked = 0;
    for i in 0..20_000u64 {
        let Ok(s) = space.sample(11, i) else { continue };
        let p = s.regnet.unwrap();
        let g = p.widths();
        let (ws, gs) = adjust_block_compatibility(
            &g.stage_widths,
            &vec![p.bottleneck_ratio(); g.num_stages],
            &vec![p.group_width(); g.num_stages],
        );
        assert_eq!(s.spec.stage_depths(), g.stage_depths, "{p}");
        assert_eq!(s.spec.stage_widths(), ws, "{p}");
        assert_eq!(s.spec.stage_group_widths(), gs, "{p}");
        checked += 1;
    }
    assert!(checked > 10_000, "only {checked} samples checked");
}

#[test]
fn invalid_specs_cannot_be_built() {
    let base = || AnyNetSpec::builder().stage(2, 64, 2, 1.0, 8);
    let cases: Vec<(AnyNetSpecBuilder, &str)> = vec![
        (AnyNetSpec::builder(), "stages"),
        (base().stage(0, 64, 2, 1.0, 8), "stage 2 depth"),
        (base().stage(1, 0, 2, 1.0, 8), "stage 2 width"),
        (base().stage(1, 64, 0, 1.0, 8), "stage 2 stride"),
        (base().stage(1, 64, 2, 0.0, 8), "stage 2 bottleneck_ratio"),
        (
            base().stage(1, 64, 2, f64::NAN, 8),
            "stage 2 bottleneck_ratio",
        ),
        (base().stage(1, 64, 2, 1.0, 0), "stage 2 group_width"),
        (
            base().stage(1, 60, 2, 1.0, 8),
            "stage 2: group width 8 does not divide the bottleneck width 60",
        ),
        (base().stem(StemKind::Simple, 0), "stem_width"),
        (base().num_classes(0), "num_classes"),
        (base().in_channels(0), "in_channels"),
        (base().se_ratio(0.25), "only Y blocks have SE"),
        (base().block(BlockKind::Y).se_ratio(2.0), "se_ratio = 2"),
        (
            base().block(BlockKind::ResBasic),
            "basic blocks use one group",
        ),
        (
            base().block(BlockKind::ResBottleneck),
            "must equal the bottleneck width 64",
        ),
        (
            base()
                .stage(1, 8, 1, 1.0, 8)
                .stage(1, 8, 1, 1.0, 8)
                .stage(1, 8, 1, 1.0, 8)
                .stage(1, 8, 1, 1.0, 8)
                .stage(1, 8, 1, 1.0, 8)
                .stage(1, 8, 1, 1.0, 8)
                .stage(1, 8, 1, 1.0, 8)
                .stage(1, 8, 1, 1.0, 8),
            "1 to 8 stages",
        ),
    ];
    for (builder, expected) in cases {
        let err = builder.build().unwrap_err().to_string();
        assert!(err.contains(expected), "expected '{expected}' in '{err}'");
    }
    // Deserialising validates too.
    let good = base().build().unwrap();
    let mut json: serde_json::Value = serde_json::to_value(&good).unwrap();
    json["stages"][0]["group_width"] = 7.into();
    let err = serde_json::from_value::<AnyNetSpec>(json)
        .unwrap_err()
        .to_string();
    assert!(err.contains("group width 7"), "{err}");
    // Valid ResNet baselines.
    AnyNetSpec::builder()
        .stem(StemKind::Resnet, 64)
        .block(BlockKind::ResBasic)
        .stage(2, 64, 1, 1.0, 64)
        .stage(2, 128, 2, 1.0, 128)
        .build()
        .unwrap();
    AnyNetSpec::builder()
        .stem(StemKind::Resnet, 64)
        .block(BlockKind::ResBottleneck)
        .stage(3, 256, 1, 4.0, 64)
        .build()
        .unwrap();
}

#[test]
fn regnet_params_validate_and_parse() {
    let p: RegNetParams = "d=13, w0=24, wa=36.44, wm=2.49, g=8, se=0.25"
        .parse()
        .unwrap();
    assert_eq!(p, RegNetParams::y(13, 24, 36.44, 2.49, 8).unwrap());
    assert_eq!(p.to_string().parse::<RegNetParams>().unwrap(), p);
    for (input, expected) in [
        ("d=13,w0=20,wa=36,wm=2.5,g=8", "w0 = 20"),
        ("d=13,w0=24,wa=-1,wm=2.5,g=8", "wa = -1"),
        ("d=13,w0=24,wa=36,wm=1,g=8", "wm = 1"),
        ("d=0,w0=24,wa=36,wm=2.5,g=8", "depth = 0"),
        ("d=13,w0=24,wa=36,wm=2.5", "missing g"),
        ("d=13,w0=24,wa=x,wm=2.5,g=8", "'x' is not a number"),
        ("d=13,w0=24,wa=36,wm=2.5,g=8,q=3", "unknown key 'q'"),
        (
            "d=13,w0=24,wa=36,wm=2.5,g=8,b=0.4",
            "bottleneck_ratio = 0.4",
        ),
        ("d13", "not key=value"),
    ] {
        let err = input.parse::<RegNetParams>().unwrap_err().to_string();
        assert!(
            err.contains(expected),
            "{input}: expected '{expected}' in '{err}'"
        );
    }
}

#[test]
fn specs_and_spaces_round_trip_through_json() {
    for m in zoo::all() {
        let spec = m.spec();
        let back: AnyNetSpec =
            serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
        assert_eq!(back, spec);
        let p: RegNetParams =
            serde_json::from_str(&serde_json::to_string(&m.params).unwrap()).unwrap();
        assert_eq!(p, m.params);
    }
    let space = DesignSpace::anynet_x_e()
        .with_regime(Regime::mf400())
        .refine(Constraint::Range {
            property: Property::Depth,
            min: 4.0,
            max: 20.0,
        });
    let json = serde_json::to_string(&space.describe()).unwrap();
    let back = DesignSpace::from_description(serde_json::from_str(&json).unwrap());
    assert_eq!(back, space);
    assert_eq!(back.sample(5, 9).unwrap(), space.sample(5, 9).unwrap());
    // A custom predicate survives by name and must be re-attached before sampling.
    let custom = DesignSpace::regnet_x().constrain("shallow", |s| s.depth() <= 16);
    let json = serde_json::to_string(&custom.describe()).unwrap();
    let restored = DesignSpace::from_description(serde_json::from_str(&json).unwrap());
    assert_eq!(restored.refinements(), vec!["shallow"]);
    let err = restored.sample(0, 0).unwrap_err().to_string();
    assert!(err.contains("'shallow' has no predicate"), "{err}");
    let restored = restored.attach("shallow", |s| s.depth() <= 16).unwrap();
    assert!(restored.sample(0, 0).unwrap().spec.depth() <= 16);
    assert!(DesignSpace::regnet_x().attach("nope", |_| true).is_err());
}

/// Every sample obeys its space's rules (paper §3.1–3.3), checked independently of the
/// sampler's own code paths.
fn check_anynet(name: &str, s: &Sample, level: char) {
    let r = AnyNetXRanges::paper();
    let st = s.spec.stages();
    assert_eq!(st.len(), 4, "{name}");
    for x in st {
        assert!(
            r.depths.contains(&x.depth) && r.widths.contains(&x.width),
            "{name}: {x:?}"
        );
        assert!(
            r.bottleneck_ratios.contains(&x.bottleneck_ratio)
                && r.group_widths.contains(&x.group_width),
            "{name}: {x:?}"
        );
        assert_eq!(x.bottleneck_width() % x.group_width, 0, "{name}: {x:?}");
    }
    let all_same = |f: &dyn Fn(&StageSpec) -> f64| st.iter().all(|x| f(x) == f(&st[0]));
    if level >= 'B' {
        assert!(all_same(&|x| x.bottleneck_ratio), "{name}: shared b {st:?}");
    }
    if level >= 'C' {
        assert!(
            all_same(&|x| x.group_width as f64),
            "{name}: shared g {st:?}"
        );
    }
    if level >= 'D' {
        assert!(
            st.windows(2).all(|p| p[0].width <= p[1].width),
            "{name}: widths {st:?}"
        );
    }
    if level >= 'E' {
        assert!(
            st.windows(2).all(|p| p[0].depth <= p[1].depth),
            "{name}: depths {st:?}"
        );
    }
}

#[test]
fn ten_thousand_samples_of_each_anynet_space_obey_its_constraints() {
    for level in ['A', 'B', 'C', 'D', 'E'] {
        let name = format!("AnyNetX_{level}");
        let space = DesignSpace::named(&name).unwrap();
        let mut widths_vary = false;
        for i in 0..10_000 {
            let s = space.sample(2024, i).unwrap();
            check_anynet(&name, &s, level);
            widths_vary |= s.spec.stage_widths()[0] != s.spec.stage_widths()[3];
        }
        assert!(widths_vary, "{name} never varied its widths");
    }
}

#[test]
fn ten_thousand_samples_of_each_regnet_space_obey_its_constraints() {
    for (name, ranges) in [
        ("RegNet", RegNetRanges::initial()),
        ("RegNetX", RegNetRanges::regnet_x()),
        ("RegNetY", RegNetRanges::regnet_y()),
    ] {
        let space = DesignSpace::named(name).unwrap();
        for i in 0..10_000 {
            let s = space.sample(7, i).unwrap();
            let p = s.regnet.as_ref().unwrap();
            assert!(
                (ranges.depth.0..=ranges.depth.1).contains(&p.depth()),
                "{name}: {p}"
            );
            assert!(
                p.w0().is_multiple_of(8) && (ranges.w0.0..=ranges.w0.1).contains(&p.w0()),
                "{name}: {p}"
            );
            assert!(
                ranges.wa.0 - 0.05 <= p.wa() && p.wa() <= ranges.wa.1 + 0.05,
                "{name}: {p}"
            );
            assert!(
                (p.wa() * 10.0 - (p.wa() * 10.0).round()).abs() < 1e-9,
                "{name}: wa step {p}"
            );
            assert!(
                ranges.wm.0 - 5e-4 <= p.wm() && p.wm() <= ranges.wm.1 + 5e-4,
                "{name}: {p}"
            );
            let g = p.group_width();
            assert!(
                if g < 8 {
                    g.is_power_of_two()
                } else {
                    g.is_multiple_of(8)
                },
                "{name}: g {p}"
            );
            assert!(
                ranges.bottleneck_ratios.contains(&p.bottleneck_ratio()),
                "{name}: {p}"
            );
            assert_eq!(p.se_ratio(), ranges.se_ratio, "{name}");
            let w = p.widths();
            assert_eq!(w.num_stages, w.possible_stages, "{name}: {p}");
            assert_eq!(
                s.spec,
                p.to_spec().unwrap(),
                "{name}: spec is the generator's"
            );
        }
    }
}

#[test]
fn regime_is_met_and_sampling_is_a_pure_function_of_seed_and_index() {
    for name in ["AnyNetX_A", "AnyNetX_E", "RegNetX", "RegNetY"] {
        let space = DesignSpace::named(name)
            .unwrap()
            .with_regime(Regime::mf400());
        let samples = space.samples(3, 30).unwrap();
        for s in &samples {
            assert!(
                (360_000_000..=400_000_000).contains(&s.complexity.flops),
                "{name}: {}",
                s.complexity.flops
            );
            assert_eq!(s.complexity, complexity(&s.spec, 224).unwrap());
        }
        // Any index alone gives the same model; another seed gives other models.
        assert_eq!(space.sample(3, 17).unwrap(), samples[17]);
        let other = space.samples(4, 30).unwrap();
        assert_ne!(other, samples, "{name}");
    }
    // Fixed values, so that a change of sampler is noticed (same on every machine).
    let s = DesignSpace::regnet_x().sample(0, 0).unwrap();
    let p = s.regnet.unwrap();
    assert_eq!(
        p.to_string(),
        SNAPSHOT_REGNETX_0_0,
        "sampler output changed"
    );
}

const SNAPSHOT_REGNETX_0_0: &str = "d=26,w0=208,wa=129.7,wm=2.129,g=88";

#[test]
fn unreachable_regime_is_a_clear_error() {
    let space = DesignSpace::regnet_x()
        .with_regime(Regime::flops(1, 2, 224))
        .with_max_tries(2000);
    let err = space.sample(0, 0).unwrap_err().to_string();
    assert!(
        err.contains("RegNetX") && err.contains("2000 tries") && err.contains("flops seen"),
        "{err}"
    );
}

#[test]
fn refinement_chain_and_variants() {
    let e = DesignSpace::anynet_x_e();
    assert_eq!(e.name(), "AnyNetX_E");
    assert_eq!(e.refinements().len(), 4);
    let v = DesignSpace::regnet_x()
        .refine(Constraint::FixedWm(2.0))
        .refine(Constraint::W0EqualsWa);
    assert_eq!(v.refinements(), vec!["wm = 2", "w0 = wa"]);
    for s in v.samples(1, 200).unwrap() {
        let p = s.regnet.unwrap();
        assert_eq!(p.wm(), 2.0);
        assert_eq!(p.wa(), p.w0() as f64);
    }
    let r = DesignSpace::regnet_x().constrain_regnet("wm near 2.5", |p| (p.wm() - 2.5).abs() < 0.2);
    assert!(
        r.samples(1, 50)
            .unwrap()
            .iter()
            .all(|s| (s.regnet.as_ref().unwrap().wm() - 2.5).abs() < 0.2)
    );
    let ranged = DesignSpace::regnet_x().refine(Constraint::Range {
        property: Property::Depth,
        min: 14.0,
        max: 18.0,
    });
    assert!(
        ranged
            .samples(1, 50)
            .unwrap()
            .iter()
            .all(|s| (14..=18).contains(&s.spec.depth()))
    );
    assert!(DesignSpace::named("AnyNetX_F").is_err());
}

#[test]
fn design_space_sizes_follow_the_paper() {
    let log = |n: &str| DesignSpace::named(n).unwrap().size().log10.unwrap();
    // (16 · 128 · 3 · 6)^4 ≈ 1.8e18.
    assert_eq!(
        DesignSpace::anynet_x_a().size().count,
        Some(36_864u128.pow(4))
    );
    assert!((log("AnyNetX_A") - 18.27).abs() < 0.01);
    assert!((log("AnyNetX_A") - log("AnyNetX_B") - 3.0 * 3f64.log10()).abs() < 1e-9);
    assert!((log("AnyNetX_B") - log("AnyNetX_C") - 3.0 * 6f64.log10()).abs() < 1e-9);
    // D and E each divide by about 4! (exactly: 128^4 / C(131, 4) and 16^4 / C(19, 4)).
    assert!((log("AnyNetX_C") - log("AnyNetX_D") - 24f64.log10()).abs() < 0.05);
    assert!((log("AnyNetX_D") - log("AnyNetX_E") - 24f64.log10()).abs() < 0.2);
    // In all A → E removes a factor ≈ 3^3 · 6^3 · 4! · 4! ≈ 10^6.5 (the paper's "O(10^7)").
    assert!((log("AnyNetX_A") - log("AnyNetX_E") - (27.0f64 * 216.0 * 576.0).log10()).abs() < 0.2);
    assert!(DesignSpace::regnet_x().size().count.unwrap() > 1_000_000);
    let fixed = DesignSpace::regnet_x().refine(Constraint::FixedWm(2.0));
    assert!(fixed.size().count.unwrap() < DesignSpace::regnet_x().size().count.unwrap());
    assert_eq!(
        DesignSpace::regnet_x()
            .constrain("x", |_| true)
            .size()
            .count,
        None
    );
}

/// The alternatives to D and E the paper rejected: every draw obeys its rule, the space sizes
/// count the allowed sequences, the rules round-trip through JSON, and the paper's own chain
/// draws what it drew before they existed.
#[test]
fn alternative_orderings_sample_and_count_as_their_rules_say() {
    let c = DesignSpace::anynet_x_c();
    let d = DesignSpace::anynet_x_d();
    let cases = [
        (c.clone().refine(Constraint::WidthsConstant), 128f64.log10()),
        (
            c.clone().refine(Constraint::WidthsNonIncreasing),
            (131.0 * 130.0 * 129.0 * 128.0 / 24.0f64).log10(),
        ),
    ];
    let log_c = c.size().log10.unwrap();
    let widths_c = 4.0 * 128f64.log10();
    for (space, widths) in &cases {
        // Only the widths' factor changes against C.
        assert!((space.size().log10.unwrap() - (log_c - widths_c + widths)).abs() < 1e-9);
    }
    // (constraint, what it demands of per-stage values, whether it is about widths)
    type Rule = (Constraint, fn(&[usize]) -> bool, bool);
    let rules: [Rule; 4] = [
        (
            Constraint::WidthsConstant,
            |v| v.windows(2).all(|p| p[0] == p[1]),
            true,
        ),
        (
            Constraint::WidthsNonIncreasing,
            |v| v.windows(2).all(|p| p[0] >= p[1]),
            true,
        ),
        (
            Constraint::DepthsConstant,
            |v| v.windows(2).all(|p| p[0] == p[1]),
            false,
        ),
        (
            Constraint::DepthsNonIncreasing,
            |v| v.windows(2).all(|p| p[0] >= p[1]),
            false,
        ),
    ];
    for (rule, holds, on_widths) in rules {
        let space = if on_widths { c.clone() } else { d.clone() }.refine(rule.clone());
        for s in space.samples(5, 40).unwrap() {
            let seq = if on_widths {
                s.spec.stage_widths()
            } else {
                s.spec.stage_depths()
            };
            assert!(holds(&seq), "{}: {seq:?}", rule.name());
        }
        let json = serde_json::to_string(&rule).unwrap();
        assert_eq!(
            serde_json::from_str::<Constraint>(&json).unwrap(),
            rule,
            "{json}"
        );
    }
    // A constant sequence is both non-decreasing and non-increasing: D + non-increasing widths
    // draws constant widths.
    let both = d.clone().refine(Constraint::WidthsNonIncreasing);
    assert!(both.samples(2, 20).unwrap().iter().all(|s| {
        let w = s.spec.stage_widths();
        w.windows(2).all(|p| p[0] == p[1])
    }));
}

#[test]
fn properties_parse_and_read_values() {
    let s = DesignSpace::regnet_y().sample(1, 1).unwrap();
    for (name, expected) in [
        ("d", s.spec.depth() as f64),
        ("w1", s.spec.stage_widths()[0] as f64),
        ("d2", s.spec.stage_depths()[1] as f64),
        ("wm", s.regnet.as_ref().unwrap().wm()),
        ("flops", s.complexity.flops as f64),
    ] {
        let p: Property = name.parse().unwrap();
        assert_eq!(s.property(p), Some(expected), "{name}");
        assert_eq!(p.to_string(), name);
    }
    assert_eq!(s.property(Property::StageWidth(8)), None);
    assert!("w9".parse::<Property>().is_err());
    assert!("x1".parse::<Property>().is_err());
}

/// The paper's alternate designs of RegNetX: every sample of the inverted-bottleneck space has
/// b = 1/4 (a bottleneck four times the stage width) and every depthwise sample has group width
/// 1 (one group per channel), inside the same regime as RegNetX.
#[test]
fn alternate_designs_sample_what_their_names_say() {
    use regnet_lab::sweep::precomputed;
    let [inverted, depthwise]: [DesignSpace; 2] = precomputed::regnet_x_alternate_designs()
        .try_into()
        .expect("two designs");
    for i in 0..12 {
        let s = inverted.sample(0, i).unwrap();
        assert_eq!(s.property(Property::BottleneckRatio), Some(0.25), "{i}");
        for st in s.spec.stages() {
            assert_eq!(st.bottleneck_width(), 4 * st.width, "{i}");
        }
        let s = depthwise.sample(0, i).unwrap();
        assert_eq!(s.property(Property::GroupWidth), Some(1.0), "{i}");
        for st in s.spec.stages() {
            assert_eq!(st.groups(), st.bottleneck_width(), "{i}");
        }
        for s in [&inverted, &depthwise].map(|d| d.sample(0, i).unwrap()) {
            let mf = s.complexity.flops as f64 / 1e6;
            assert!((1.0..=6.0).contains(&mf), "{i}: {mf} MF");
        }
    }
}

/// Every space a claim set of `findings` names is a committed space of `precomputed`: a
/// misspelt name would leave its row at "no sweep" forever.
#[test]
fn claims_name_committed_spaces() {
    use regnet_lab::findings::{
        Claim, paper_alternative_claims, paper_claims, paper_constraint_claims,
        paper_design_claims, paper_generalisation_claims, paper_se_claims, paper_trend_claims,
    };
    use regnet_lab::sweep::precomputed;
    let spaces: Vec<String> = precomputed::evidence()
        .unwrap()
        .into_iter()
        .chain(precomputed::secondary().unwrap())
        .map(|(_, s)| s.name().to_string())
        .collect();
    let claims = paper_claims()
        .into_iter()
        .chain(paper_alternative_claims())
        .chain(paper_design_claims())
        .chain(paper_generalisation_claims().unwrap())
        .chain(paper_se_claims())
        .chain(paper_constraint_claims())
        .chain(paper_trend_claims());
    for claim in claims {
        let names = match &claim {
            Claim::Compare { a, b, .. } => vec![a.clone(), b.clone()],
            Claim::GoodModels { space, .. } | Claim::WithinSpace { space, .. } => {
                vec![space.clone()]
            }
        };
        for name in names {
            assert!(
                spaces.contains(&name),
                "{}: {name} is no space",
                claim.text()
            );
        }
    }
}

/// The generalisation settings (paper Fig. 10 at 28×28): every space samples inside its
/// regime, the 5-stage spaces draw five stages, and the higher regime draws 6–20 MF models.
#[test]
fn generalisation_spaces_sample_their_settings() {
    use regnet_lab::sweep::precomputed;
    let settings = precomputed::generalisation().unwrap();
    let names: Vec<&str> = settings.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        ["6-20 MF", "5 stages", "R blocks", "V blocks", "3x epochs"]
    );
    for precomputed::Setting {
        name: setting,
        group,
        spaces,
    } in &settings
    {
        let longer = *setting == "3x epochs";
        assert_eq!(*group, if longer { "epochs" } else { "generalisation" });
        assert_eq!(spaces.len(), 3, "{setting}");
        if longer {
            // The evidence's own spaces, only renamed: the recipe is what differs.
            let evidence = precomputed::anynetx_chain().unwrap();
            for (s, e) in spaces[..2].iter().zip([&evidence[0], &evidence[4]]) {
                assert_eq!(s.describe().family, e.describe().family);
                assert_eq!(s.sample(0, 3).unwrap().spec, e.sample(0, 3).unwrap().spec);
            }
        }
        for space in spaces {
            assert!(space.name().ends_with(setting), "{}", space.name());
            for i in 0..6 {
                let s = space.sample(0, i).unwrap();
                let mf = s.complexity.flops as f64 / 1e6;
                let block = match *setting {
                    "R blocks" => BlockKind::ResBasic,
                    "V blocks" => BlockKind::Vanilla,
                    _ => BlockKind::X,
                };
                assert_eq!(s.spec.block(), block, "{}", space.name());
                if block.is_basic() {
                    for st in s.spec.stages() {
                        assert_eq!((st.bottleneck_ratio, st.group_width), (1.0, st.width));
                    }
                }
                assert_eq!(
                    s.spec.stages().len() == 5,
                    *setting == "5 stages",
                    "{}",
                    space.name()
                );
                let regime = if *setting == "6-20 MF" {
                    6.0..=20.0
                } else {
                    1.0..=6.0
                };
                assert!(regime.contains(&mf), "{}: {mf} MF", space.name());
            }
        }
    }
}

/// Only basic blocks replace a family's blocks, and never under squeeze-excitation: both are
/// clear errors, not silently other models.
#[test]
fn template_blocks_are_checked() {
    let fashion = NetTemplate::fashion_mnist();
    let err = DesignSpace::regnet_y()
        .with_template(fashion.clone().with_block(BlockKind::Vanilla))
        .sample(0, 0)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("squeeze-excitation (RegNetY) needs X blocks"),
        "{err}"
    );
    let err = DesignSpace::anynet_x_a()
        .with_template(fashion.with_block(BlockKind::ResBottleneck))
        .sample(0, 0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("only the basic kinds"), "{err}");
}

/// The regime sweeps of the trends: RegNetX and RegNetY (with SE) in three windows, named by
/// family and window, each sample inside its window, with depths beyond the small ranges' 16
/// and every b of {1, 2, 4}.
#[test]
fn trend_regimes_are_named_and_sampled_by_window() {
    use regnet_lab::sweep::precomputed;
    let trends = precomputed::trends();
    let names: Vec<String> = trends
        .iter()
        .flat_map(|(_, spaces)| spaces.iter().map(|s| s.name().to_string()))
        .collect();
    assert_eq!(
        names,
        [
            "RegNetX 0.5-1.5 MF",
            "RegNetX 1.5-4 MF",
            "RegNetX 4-10 MF",
            "RegNetY 0.5-1.5 MF",
            "RegNetY 1.5-4 MF",
            "RegNetY 4-10 MF"
        ]
    );
    for (family, spaces) in &trends {
        for space in spaces {
            let (lo, hi) = space.regime().unwrap().flops.unwrap();
            let draws = space.samples(0, 48).unwrap();
            for s in &draws {
                assert!((lo..=hi).contains(&s.complexity.flops), "{}", space.name());
                assert_eq!(s.spec.se_ratio().is_some(), *family == "RegNetY");
            }
            // Depth and b are left open, so the trends can find where good models have them.
            let depths: Vec<f64> = draws
                .iter()
                .map(|s| s.property(Property::Depth).unwrap())
                .collect();
            assert!(
                depths.iter().any(|&d| d > 16.0),
                "{}: {depths:?}",
                space.name()
            );
            for b in [1.0, 2.0, 4.0] {
                assert!(
                    draws
                        .iter()
                        .any(|s| s.property(Property::BottleneckRatio) == Some(b)),
                    "{}: no b = {b}",
                    space.name()
                );
            }
        }
    }
}

/// RegNetX constrained (paper Fig. 13): per trend regime, b = 1, wm ≥ 2, and parameters and
/// activations at most the medians of the regime's untrained draws with b = 1 and wm ≥ 2, so
/// about half of those below each limit; every sample obeys all four and stays in its window.
#[test]
fn constrained_regnetx_keeps_the_lighter_models_of_each_regime() {
    use regnet_lab::sweep::precomputed;
    let constrained = precomputed::regnet_x_constrained().unwrap();
    let (_, plain) = precomputed::trends().swap_remove(0);
    assert_eq!(constrained.len(), 3);
    for (c, x) in constrained.iter().zip(&plain) {
        assert_eq!(
            c.name(),
            x.name().replace("RegNetX", "RegNetX constrained"),
            "named by regime"
        );
        let limit = |p: Property| {
            c.constraints()
                .iter()
                .find_map(|k| match k {
                    Constraint::Range { property, max, .. } if *property == p => Some(*max),
                    _ => None,
                })
                .unwrap()
        };
        let (params, acts) = (limit(Property::Params), limit(Property::Acts));
        // The regime's RegNetX draws that the structural restrictions keep (b = 1, wm ≥ 2).
        let draws: Vec<_> = x
            .samples(0, 3000)
            .unwrap()
            .into_iter()
            .filter(|s| {
                s.property(Property::BottleneckRatio) == Some(1.0)
                    && s.property(Property::Wm).unwrap() >= 2.0
            })
            .collect();
        assert!(draws.len() >= 100, "{}: {}", c.name(), draws.len());
        let share = |p: Property, l: f64| {
            draws.iter().filter(|s| s.property(p).unwrap() <= l).count() as f64 / draws.len() as f64
        };
        // Medians rounded to two digits: close to half of the draws below each limit.
        assert!(
            (0.4..=0.6).contains(&share(Property::Params, params)),
            "{}",
            c.name()
        );
        assert!(
            (0.4..=0.6).contains(&share(Property::Acts, acts)),
            "{}",
            c.name()
        );
        let (lo, hi) = c.regime().unwrap().flops.unwrap();
        for s in c.samples(0, 8).unwrap() {
            assert!(s.property(Property::Wm).unwrap() >= 2.0);
            assert_eq!(s.property(Property::BottleneckRatio), Some(1.0));
            assert!(s.complexity.params as f64 <= params && s.complexity.acts as f64 <= acts);
            assert!((lo..=hi).contains(&s.complexity.flops));
        }
    }
}
