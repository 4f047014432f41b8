//! Tables of the crate's data and statistics, and their `evcxr_display` methods.

use super::{Table, show_tables};
use crate::space::{AnyNetSpec, DesignSpace, Family, RegNetParams};
use crate::stats::{
    Edf, EdfSummary, GoodRange, KsTest, LinearFit, QuantizedLinearFit, RankCorrelation,
    SearchEfficiency, XScale,
};
use crate::summary::human;
use crate::sweep::SweepResults;
use crate::train::RunRecord;

/// Rows of a sweep shown inline (the rest is counted in a note).
pub const SWEEP_ROWS: usize = 10;

/// Something shown as one or more tables.
pub trait Tabular {
    fn tables(&self) -> Vec<Table>;

    fn to_html(&self) -> String {
        self.tables().iter().map(Table::to_html).collect()
    }

    fn to_text(&self) -> String {
        let t: Vec<String> = self.tables().iter().map(Table::to_text).collect();
        t.join("\n")
    }
}

/// A number with `d` decimals, or "–" when it is not finite.
fn num(v: f64, d: usize) -> String {
    if v.is_finite() {
        format!("{v:.d$}")
    } else {
        "–".into()
    }
}

fn opt(v: Option<f64>, d: usize) -> String {
    v.map_or("–".into(), |v| num(v, d))
}

fn list<T: std::fmt::Display>(v: &[T]) -> String {
    let s: Vec<String> = v.iter().map(T::to_string).collect();
    format!("[{}]", s.join(", "))
}

/// The median by the crate's one percentile rule (numpy's linear), `NaN` when empty.
fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    crate::stats::percentile_sorted(v, 50.0)
}

impl Tabular for AnyNetSpec {
    fn tables(&self) -> Vec<Table> {
        let mut t = Table::new(&[
            "stage",
            "depth d",
            "width w",
            "stride",
            "bottleneck b",
            "group width g",
            "groups",
        ])
        .caption(format!(
            "AnyNet: {} block, {} stem (width {}), depth {}, {} stages, {} classes{}",
            self.block().name(),
            self.stem().name(),
            self.stem_width(),
            self.depth(),
            self.stages().len(),
            self.num_classes(),
            self.se_ratio()
                .map_or(String::new(), |r| format!(", SE ratio {r}"))
        ));
        for (i, s) in self.stages().iter().enumerate() {
            t = t.row([
                (i + 1).to_string(),
                s.depth.to_string(),
                s.width.to_string(),
                s.stride.to_string(),
                s.bottleneck_ratio.to_string(),
                s.group_width.to_string(),
                s.groups().to_string(),
            ]);
        }
        vec![t]
    }
}

impl Tabular for RegNetParams {
    fn tables(&self) -> Vec<Table> {
        let w = self.widths();
        vec![
            Table::key_value(vec![
                ("depth d", self.depth().to_string()),
                ("initial width w0", self.w0().to_string()),
                ("slope wa", num(self.wa(), 2)),
                ("width multiplier wm", num(self.wm(), 3)),
                ("group width g", self.group_width().to_string()),
                ("bottleneck ratio b", self.bottleneck_ratio().to_string()),
                (
                    "SE ratio",
                    self.se_ratio().map_or("–".into(), |r| r.to_string()),
                ),
                ("stage widths", list(&w.stage_widths)),
                ("stage depths", list(&w.stage_depths)),
            ])
            .caption(format!("RegNet parameters {self}")),
        ]
    }
}

fn family_text(f: &Family) -> String {
    let set = |v: &[f64]| list(v);
    match f {
        Family::AnyNetX(r) => {
            let (d0, d1) = (r.depths.first(), r.depths.last());
            let (w0, w1) = (r.widths.first(), r.widths.last());
            format!(
                "AnyNetX: {} stages, d ∈ {}..{}, w ∈ {}..{} ({} values), b ∈ {}, g ∈ {}",
                r.num_stages,
                d0.copied().unwrap_or(0),
                d1.copied().unwrap_or(0),
                w0.copied().unwrap_or(0),
                w1.copied().unwrap_or(0),
                r.widths.len(),
                set(&r.bottleneck_ratios),
                list(&r.group_widths)
            )
        }
        Family::RegNet(r) => format!(
            "RegNet: d ∈ [{}, {}], w0 ∈ [{}, {}], wa ∈ [{}, {}], wm ∈ [{}, {}], g ∈ [{}, {}], \
             b ∈ {}, {}–{} stages{}",
            r.depth.0,
            r.depth.1,
            r.w0.0,
            r.w0.1,
            r.wa.0,
            r.wa.1,
            r.wm.0,
            r.wm.1,
            r.group_width.0,
            r.group_width.1,
            set(&r.bottleneck_ratios),
            r.num_stages.0,
            r.num_stages.1,
            r.se_ratio.map_or(String::new(), |s| format!(", SE {s}"))
        ),
    }
}

impl Tabular for DesignSpace {
    fn tables(&self) -> Vec<Table> {
        let size = self.size();
        let about = Table::key_value(vec![
            ("family", family_text(self.family())),
            (
                "regime",
                self.regime().map_or("none".into(), |r| r.to_string()),
            ),
            (
                "size",
                match (size.count, size.log10) {
                    (Some(c), Some(l)) => format!("{c} (10^{l:.1})"),
                    (None, Some(l)) => format!("10^{l:.1}"),
                    _ => "unknown (range or custom constraints)".into(),
                },
            ),
        ])
        .caption(format!("design space {}", self.name()));
        let mut chain =
            Table::new(&["step", "refinement"]).caption("refinement chain (paper §2.1)");
        let base = match self.family() {
            Family::AnyNetX(_) => "AnyNetX_A (unconstrained)",
            Family::RegNet(_) => "RegNet sampler",
        };
        chain = chain.row(["0".to_string(), base.to_string()]);
        for (i, r) in self.refinements().iter().enumerate() {
            chain = chain.row([(i + 1).to_string(), r.clone()]);
        }
        vec![about, chain]
    }
}

impl Tabular for RunRecord {
    fn tables(&self) -> Vec<Table> {
        let cx = &self.sample.complexity;
        let mut pairs = vec![
            (
                "sample",
                self.sample.index.map_or("–".into(), |i| i.to_string()),
            ),
            ("error (best, %)", opt(self.best_error, 2)),
            ("error (final, %)", opt(self.final_error, 2)),
            ("stop", format!("{:?}", self.stop)),
            ("dataset", self.dataset.clone()),
            ("device", self.device.clone()),
            (
                "flops",
                format!("{} at {}²", human(cx.flops, "F"), self.sample.resolution),
            ),
            ("params", human(cx.params, "")),
            ("depth", self.sample.spec.depth().to_string()),
            ("stage depths", list(&self.sample.spec.stage_depths())),
            ("stage widths", list(&self.sample.spec.stage_widths())),
            ("group widths", list(&self.sample.spec.stage_group_widths())),
            (
                "bottleneck ratios",
                list(&self.sample.spec.stage_bottleneck_ratios()),
            ),
        ];
        if let Some(p) = &self.sample.regnet {
            pairs.push(("regnet", p.to_string()));
        }
        pairs.push((
            "time",
            format!(
                "{:.1} s, {:.0} images/s",
                self.seconds, self.images_per_second
            ),
        ));
        let about = Table::key_value(pairs).caption(format!(
            "run{}: {} epochs{}",
            self.sample.index.map_or(String::new(), |i| format!(" {i}")),
            self.epochs.len(),
            if self.diverged { ", diverged" } else { "" }
        ));
        let mut ep = Table::new(&[
            "epoch",
            "lr",
            "steps",
            "train loss",
            "train error (%)",
            "test error (%)",
            "seconds",
        ]);
        for e in &self.epochs {
            ep = ep.row([
                (e.epoch + 1).to_string(),
                format!("{:.4}", e.lr),
                e.steps.to_string(),
                num(e.train_loss, 4),
                num(e.train_error, 2),
                opt(e.test_error, 2),
                num(e.seconds, 1),
            ]);
        }
        vec![about, ep]
    }
}

impl Tabular for SweepResults {
    fn tables(&self) -> Vec<Table> {
        let mut errors = self.errors();
        let flops = self.flops();
        let (emin, emax) = errors
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &e| {
                (a.min(e), b.max(e))
            });
        let mean = errors.iter().sum::<f64>() / errors.len().max(1) as f64;
        let med = median(&mut errors);
        let (fmin, fmax) = flops
            .iter()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &e| {
                (a.min(e), b.max(e))
            });
        let mut pairs = vec![
            ("runs", self.records.len().to_string()),
            ("valid", errors.len().to_string()),
            ("diverged / no error", self.excluded().to_string()),
        ];
        if self.torn_lines > 0 {
            pairs.push(("torn lines ignored", self.torn_lines.to_string()));
        }
        if self.corrupt_lines > 0 {
            pairs.push(("corrupt lines skipped", self.corrupt_lines.to_string()));
        }
        if !errors.is_empty() {
            pairs.push((
                "error (%) min / median / mean / max",
                format!(
                    "{} / {} / {} / {}",
                    num(emin, 2),
                    num(med, 2),
                    num(mean, 2),
                    num(emax, 2)
                ),
            ));
            if fmin.is_finite() {
                pairs.push((
                    "flops",
                    format!("{} – {}", human(fmin as u64, "F"), human(fmax as u64, "F")),
                ));
            }
        }
        if let Some(m) = &self.manifest {
            pairs.push(("dataset", m.dataset.clone()));
            pairs.push((
                "training",
                format!(
                    "{} epochs, batch {}, seed {}",
                    m.train.epochs, m.train.batch_size, m.train.seed
                ),
            ));
            pairs.push(("sample seed / n", format!("{} / {}", m.seed, m.n)));
        }
        let about = Table::key_value(pairs).caption(format!(
            "sweep of {}",
            self.space_name().unwrap_or("an unnamed design space")
        ));
        let regnet = self.records.iter().any(|r| r.sample.regnet.is_some());
        let mut header = vec![
            "sample",
            "error (%)",
            "flops",
            "params",
            "d",
            "depths",
            "widths",
            "g",
            "b",
        ];
        if regnet {
            header.extend(["w0", "wa", "wm"]);
        }
        header.extend(["epochs", "s"]);
        let mut rows = Table::new(&header)
            .caption(format!("first {} runs", SWEEP_ROWS.min(self.records.len())));
        for r in self.records.iter().take(SWEEP_ROWS) {
            let mut row = vec![
                r.sample.index.map_or("–".into(), |i| i.to_string()),
                if r.diverged {
                    "diverged".into()
                } else {
                    opt(r.error(), 2)
                },
                human(r.sample.complexity.flops, "F"),
                human(r.sample.complexity.params, ""),
                r.sample.spec.depth().to_string(),
                list(&r.sample.spec.stage_depths()),
                list(&r.sample.spec.stage_widths()),
                list(&r.sample.spec.stage_group_widths()),
                list(&r.sample.spec.stage_bottleneck_ratios()),
            ];
            if regnet {
                match &r.sample.regnet {
                    Some(p) => row.extend([p.w0().to_string(), num(p.wa(), 1), num(p.wm(), 2)]),
                    None => row.extend(["–".to_string(), "–".into(), "–".into()]),
                }
            }
            row.extend([r.epochs.len().to_string(), num(r.seconds, 0)]);
            rows = rows.row(row);
        }
        if self.records.len() > SWEEP_ROWS {
            rows = rows.note(format!("… {} more runs", self.records.len() - SWEEP_ROWS));
        }
        vec![about, rows]
    }
}

impl Tabular for EdfSummary {
    fn tables(&self) -> Vec<Table> {
        vec![
            Table::key_value(vec![
                ("models", self.n.to_string()),
                ("diverged, excluded", self.n_excluded.to_string()),
                ("min error", num(self.min, 3)),
                ("mean error", num(self.mean, 3)),
                ("weighted", self.weighted.to_string()),
            ])
            .caption(format!("EDF [{:.1}|{:.1}]", self.min, self.mean)),
        ]
    }
}

impl Tabular for Edf {
    fn tables(&self) -> Vec<Table> {
        let mut t = self.summary().tables();
        let e = self.errors();
        let q = |p: f64| e[((e.len() - 1) as f64 * p).round() as usize];
        if !e.is_empty() {
            t.push(
                Table::new(&["F(e)", "0.1", "0.25", "0.5", "0.75", "0.9"])
                    .row(
                        std::iter::once("e".to_string())
                            .chain([0.1, 0.25, 0.5, 0.75, 0.9].map(|p| num(q(p), 2))),
                    )
                    .caption("error at cumulative mass (unweighted positions)"),
            );
        }
        t
    }
}

impl Tabular for GoodRange {
    fn tables(&self) -> Vec<Table> {
        vec![
            Table::key_value(vec![
                ("low", num(self.low, 3)),
                ("median (most likely best)", num(self.median, 3)),
                ("high", num(self.high, 3)),
                ("mode", num(self.mode, 3)),
            ])
            .caption(format!(
                "{:.0}% bootstrap good range of the best model's value (paper Fig. 2)",
                100.0 - self.alpha
            )),
        ]
    }
}

impl Tabular for KsTest {
    fn tables(&self) -> Vec<Table> {
        vec![
            Table::key_value(vec![
                ("D = sup |F1 − F2|", num(self.statistic, 4)),
                ("p-value", format!("{:.4e}", self.pvalue)),
                ("method", format!("{:?}", self.method)),
                ("n1, n2", format!("{}, {}", self.n1, self.n2)),
                (
                    "excluded (diverged)",
                    format!("{}, {}", self.n_excluded.0, self.n_excluded.1),
                ),
            ])
            .caption("two-sample Kolmogorov–Smirnov test (ICCV 2019)"),
        ]
    }
}

impl Tabular for QuantizedLinearFit {
    fn tables(&self) -> Vec<Table> {
        vec![
            Table::key_value(vec![
                ("depth d", self.depth.to_string()),
                ("w0", self.w0.to_string()),
                ("wa", num(self.wa, 2)),
                ("wm", num(self.wm, 3)),
                ("e_fit", num(self.e_fit, 4)),
                ("predicted widths", list(&self.predicted)),
            ])
            .caption("quantized-linear fit (paper §3.3, Fig. 8)"),
        ]
    }
}

impl Tabular for LinearFit {
    fn tables(&self) -> Vec<Table> {
        let x = match self.x_scale {
            XScale::Linear => "x",
            XScale::Log10 => "log10(x)",
        };
        vec![
            Table::key_value(vec![
                ("intercept", num(self.intercept, 4)),
                ("slope", num(self.slope, 4)),
                ("R²", num(self.r_squared, 4)),
                ("points", self.n.to_string()),
            ])
            .caption(format!("trend y ≈ intercept + slope · {x}")),
        ]
    }
}

impl Tabular for SearchEfficiency {
    fn tables(&self) -> Vec<Table> {
        let mut t = Table::new(&["k", "expected best error"]).caption(format!(
            "random-search efficiency ({:?}, n = {})",
            self.draws, self.n
        ));
        for (k, e) in self.k.iter().zip(&self.expected_min) {
            t = t.row([k.to_string(), num(*e, 3)]);
        }
        vec![t]
    }
}

impl Tabular for RankCorrelation {
    fn tables(&self) -> Vec<Table> {
        vec![
            Table::key_value(vec![
                ("coefficient", num(self.coefficient, 4)),
                (
                    "p-value",
                    self.pvalue.map_or("–".into(), |p| format!("{p:.4e}")),
                ),
                ("n", self.n.to_string()),
                ("excluded", self.n_excluded.to_string()),
            ])
            .caption("rank correlation"),
        ]
    }
}

macro_rules! table_display {
    ($($t:ty),*) => {$(
        impl $t {
            /// Show as an HTML table (and text) in an evcxr notebook.
            pub fn evcxr_display(&self) {
                // Tables are plain formatting; a panic would be a bug, shown as text.
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    Tabular::tables(self)
                })) {
                    Ok(t) => show_tables(&t),
                    Err(_) => super::emit(&[(
                        "text/plain",
                        "table could not be built (a bug; please report it)",
                    )]),
                }
            }
        }
    )*};
}

table_display!(
    AnyNetSpec,
    RegNetParams,
    DesignSpace,
    RunRecord,
    SweepResults,
    EdfSummary,
    Edf,
    GoodRange,
    KsTest,
    QuantizedLinearFit,
    LinearFit,
    SearchEfficiency,
    RankCorrelation
);
