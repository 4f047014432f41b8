//! flops, params and activations of an [`AnyNetSpec`], counted without building the network and
//! exactly as the reference code counts them (pycls `complexity` methods; see
//! the paper's §5 and the reference code's counting rules). The paper's complexity regimes (e.g. 360–400 MF) and every
//! complexity-normalised comparison rest on these numbers.
//!
//! Conventions of the reference: one multiply-add is one flop; BN adds 2 params per channel and
//! no flops; ReLU and the residual add are free; activations are the output sizes of convolutions,
//! pools and the linear layer.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::net::{AnyNetSpec, BlockKind};

/// The three complexity measures of a network at one input resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Complexity {
    /// Multiply-adds of one forward pass of one image.
    pub flops: u64,
    /// Trainable parameters (BN's running statistics are not counted).
    pub params: u64,
    /// Activations: elements written by convolutions, pools and the linear layer.
    pub acts: u64,
}

impl Complexity {
    /// flops in millions (MF), as the paper's regimes are written.
    pub fn mflops(&self) -> f64 {
        self.flops as f64 / 1e6
    }
}

/// Errors of complexity counting.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ComplexityError {
    #[error("resolution must be at least 1 pixel, got {0}")]
    Resolution(usize),
}

/// The running counter of pycls's `cx` dictionary: spatial size and the three totals.
#[derive(Debug, Clone, Copy)]
struct Counter {
    h: u64,
    w: u64,
    cx: Complexity,
}

impl Counter {
    /// k×k convolution with "same" padding (pycls `conv2d_cx`).
    fn conv(&mut self, w_in: u64, w_out: u64, k: u64, stride: u64, groups: u64, bias: bool) {
        self.h = (self.h - 1) / stride + 1;
        self.w = (self.w - 1) / stride + 1;
        let hw = self.h * self.w;
        self.cx.flops += k * k * w_in * w_out * hw / groups + if bias { w_out * hw } else { 0 };
        self.cx.params += k * k * w_in * w_out / groups + if bias { w_out } else { 0 };
        self.cx.acts += w_out * hw;
    }
    /// BatchNorm: γ and β.
    fn bn(&mut self, w: u64) {
        self.cx.params += 2 * w;
    }
    /// Max-pool of odd size k.
    fn pool(&mut self, w: u64, stride: u64) {
        self.h = (self.h - 1) / stride + 1;
        self.w = (self.w - 1) / stride + 1;
        self.cx.acts += w * self.h * self.w;
    }
    /// Linear layer with bias at 1×1.
    fn linear(&mut self, w_in: u64, w_out: u64) {
        self.cx.flops += w_in * w_out + w_out;
        self.cx.params += w_in * w_out + w_out;
        self.cx.acts += w_out;
    }
    /// Squeeze-excitation: counted at 1×1 after the pool, then the spatial size is restored.
    fn se(&mut self, w: u64, w_se: u64) {
        let (h, wd) = (self.h, self.w);
        self.h = 1;
        self.w = 1;
        self.conv(w, w_se, 1, 1, 1, true);
        self.conv(w_se, w, 1, 1, 1, true);
        self.h = h;
        self.w = wd;
    }
}

/// Complexity of `spec` for square `resolution × resolution` inputs.
///
/// ```
/// use regnet_lab::complexity::complexity;
/// let spec = regnet_lab::space::zoo::get("RegNetX-200MF").unwrap().spec();
/// let cx = complexity(&spec, 224).unwrap();
/// assert_eq!((cx.flops + 5_000_000) / 10_000_000, 20); // ≈ 0.2 GF, as published
/// ```
pub fn complexity(spec: &AnyNetSpec, resolution: usize) -> Result<Complexity, ComplexityError> {
    if resolution == 0 {
        return Err(ComplexityError::Resolution(resolution));
    }
    let r = resolution as u64;
    let mut c = Counter {
        h: r,
        w: r,
        cx: Complexity::default(),
    };
    let stem = spec.stem();
    let sw = spec.stem_width() as u64;
    c.conv(
        spec.in_channels() as u64,
        sw,
        stem.kernel() as u64,
        stem.stride() as u64,
        1,
        false,
    );
    c.bn(sw);
    if stem.has_max_pool() {
        c.pool(sw, 2);
    }
    let mut w_in = sw;
    for stage in spec.stages() {
        let w_out = stage.width as u64;
        let w_b = stage.bottleneck_width() as u64;
        let groups = stage.groups() as u64;
        for j in 0..stage.depth {
            let stride = if j == 0 { stage.stride as u64 } else { 1 };
            if spec.block().is_residual() && (w_in != w_out || stride != 1) {
                // The projection is counted at the block's input resolution; the branch starts there too.
                let (h, w) = (c.h, c.w);
                c.conv(w_in, w_out, 1, stride, 1, false);
                c.bn(w_out);
                c.h = h;
                c.w = w;
            }
            match spec.block() {
                BlockKind::ResBasic | BlockKind::Vanilla => {
                    c.conv(w_in, w_out, 3, stride, 1, false);
                    c.bn(w_out);
                    c.conv(w_out, w_out, 3, 1, 1, false);
                    c.bn(w_out);
                }
                BlockKind::X | BlockKind::Y | BlockKind::ResBottleneck => {
                    c.conv(w_in, w_b, 1, 1, 1, false);
                    c.bn(w_b);
                    c.conv(w_b, w_b, 3, stride, groups, false);
                    c.bn(w_b);
                    if let Some(w_se) = spec.se_width(w_in as usize) {
                        c.se(w_b, w_se as u64);
                    }
                    c.conv(w_b, w_out, 1, 1, 1, false);
                    c.bn(w_out);
                }
            }
            w_in = w_out;
        }
    }
    c.h = 1;
    c.w = 1;
    c.linear(w_in, spec.num_classes() as u64);
    Ok(c.cx)
}
