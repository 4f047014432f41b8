//! The RegNetX / RegNetY ImageNet model zoo of the reference code (pycls
//! `configs/dds_baselines`), by its published parameters `(d, w0, wa, wm, g)`.

use super::NetError;
use super::regnet::RegNetParams;
use super::spec::AnyNetSpec;

/// One zoo model: its name and RegNet parameters (b = 1, SE 0.25 for RegNetY).
#[derive(Debug, Clone, PartialEq)]
pub struct ZooModel {
    pub name: &'static str,
    pub params: RegNetParams,
}

impl ZooModel {
    /// The ImageNet network (simple stem of width 32, stride 2 per stage, 1000 classes).
    pub fn spec(&self) -> AnyNetSpec {
        self.params
            .to_spec()
            .expect("zoo parameters are valid (checked by the zoo tests)")
    }
}

/// `(name, d, w0, wa, wm, g)`: RegNetX then RegNetY, each from 200MF to 32GF.
const TABLE: [(&str, usize, usize, f64, f64, usize); 24] = [
    ("RegNetX-200MF", 13, 24, 36.44, 2.49, 8),
    ("RegNetX-400MF", 22, 24, 24.48, 2.54, 16),
    ("RegNetX-600MF", 16, 48, 36.97, 2.24, 24),
    ("RegNetX-800MF", 16, 56, 35.73, 2.28, 16),
    ("RegNetX-1.6GF", 18, 80, 34.01, 2.25, 24),
    ("RegNetX-3.2GF", 25, 88, 26.31, 2.25, 48),
    ("RegNetX-4.0GF", 23, 96, 38.65, 2.43, 40),
    ("RegNetX-6.4GF", 17, 184, 60.83, 2.07, 56),
    ("RegNetX-8.0GF", 23, 80, 49.56, 2.88, 120),
    ("RegNetX-12GF", 19, 168, 73.36, 2.37, 112),
    ("RegNetX-16GF", 22, 216, 55.59, 2.1, 128),
    ("RegNetX-32GF", 23, 320, 69.86, 2.0, 168),
    ("RegNetY-200MF", 13, 24, 36.44, 2.49, 8),
    ("RegNetY-400MF", 16, 48, 27.89, 2.09, 8),
    ("RegNetY-600MF", 15, 48, 32.54, 2.32, 16),
    ("RegNetY-800MF", 14, 56, 38.84, 2.4, 16),
    ("RegNetY-1.6GF", 27, 48, 20.71, 2.65, 24),
    ("RegNetY-3.2GF", 21, 80, 42.63, 2.66, 24),
    ("RegNetY-4.0GF", 22, 96, 31.41, 2.24, 64),
    ("RegNetY-6.4GF", 25, 112, 33.22, 2.27, 72),
    ("RegNetY-8.0GF", 17, 192, 76.82, 2.19, 56),
    ("RegNetY-12GF", 19, 168, 73.36, 2.37, 112),
    ("RegNetY-16GF", 18, 200, 106.23, 2.48, 112),
    ("RegNetY-32GF", 20, 232, 115.89, 2.53, 232),
];

fn entry(row: &(&'static str, usize, usize, f64, f64, usize)) -> ZooModel {
    let &(name, d, w0, wa, wm, g) = row;
    let params = if name.starts_with("RegNetY") {
        RegNetParams::y(d, w0, wa, wm, g)
    } else {
        RegNetParams::x(d, w0, wa, wm, g)
    };
    ZooModel {
        name,
        params: params.expect("zoo parameters are valid"),
    }
}

/// All 24 zoo models, RegNetX first, in increasing flops.
pub fn all() -> Vec<ZooModel> {
    TABLE.iter().map(entry).collect()
}

/// The zoo's model names.
pub fn names() -> Vec<&'static str> {
    TABLE.iter().map(|r| r.0).collect()
}

fn normalize(name: &str) -> String {
    let n = name.trim().to_ascii_lowercase().replace('_', "-");
    // torchvision spells them regnet_x_400mf.
    n.replacen("regnet-x-", "regnetx-", 1)
        .replacen("regnet-y-", "regnety-", 1)
}

/// Look a model up by name, case- and `_`/`-`-insensitively (`regnetx_200mf`, `RegNetY-1.6GF`).
///
/// ```
/// let m = regnet_lab::space::zoo::get("regnety_400mf").unwrap();
/// assert_eq!(m.name, "RegNetY-400MF");
/// assert!(regnet_lab::space::zoo::get("RegNetZ-1GF").is_err());
/// ```
pub fn get(name: &str) -> Result<ZooModel, NetError> {
    let key = normalize(name);
    TABLE
        .iter()
        .find(|r| normalize(r.0) == key)
        .map(entry)
        .ok_or_else(|| NetError::UnknownModel {
            name: name.to_string(),
            known: names().join(", "),
        })
}

/// RegNetX-200MF's body (depths 1, 1, 4, 7, widths 24, 56, 152, 368, group width 8) for 32×32
/// inputs: a 3×3 stride-1 stem of width 24, stage 1 at stride 1, 10 classes. The network of
/// the training-speed benchmark and of the GPU check, so that their numbers compare.
///
/// ```
/// let spec = regnet_lab::space::zoo::regnetx_200mf_body_32()?;
/// assert_eq!(spec.stage_widths(), vec![24, 56, 152, 368]);
/// # Ok::<(), regnet_lab::space::NetError>(())
/// ```
pub fn regnetx_200mf_body_32() -> Result<AnyNetSpec, NetError> {
    let mut stages = get("RegNetX-200MF")?.spec().stages().to_vec();
    stages[0].stride = 1;
    AnyNetSpec::builder()
        .stem(super::StemKind::Cifar, 24)
        .num_classes(10)
        .stages(stages)
        .build()
}
