//! Every figure kind rendered from fixed data: the SVG parses, carries the expected labels,
//! series and number of points; PNGs decode to the requested size and contain drawn text;
//! bad inputs give errors, never panics.

use crate::plot_fixtures::{epochs, sweep};
use regnet_lab::display::figure_blocks;
use regnet_lab::plot::{
    self, CurvesPlot, EdfPlot, ErrorVsPlot, Figure, Metric, PlotError, Row, SearchPlot, TrendPlot,
    WidthsPlot,
};
use regnet_lab::space::{Property, RegNetParams, zoo};

/// Parse an SVG and return (texts, element name counts).
fn parse(svg: &str) -> (Vec<String>, std::collections::HashMap<String, usize>) {
    let doc = roxmltree::Document::parse(svg).expect("SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let mut texts = Vec::new();
    let mut counts = std::collections::HashMap::new();
    for n in doc.descendants().filter(|n| n.is_element()) {
        *counts.entry(n.tag_name().name().to_string()).or_insert(0) += 1;
        if n.tag_name().name() == "text" {
            texts.push(n.text().unwrap_or("").to_string());
        }
    }
    (texts, counts)
}

fn has_text(texts: &[String], want: &str) -> bool {
    texts.iter().any(|t| t.contains(want))
}

/// Decode a PNG; return (width, height, number of dark pixels).
fn decode_png(bytes: &[u8]) -> (u32, u32, usize) {
    let dec = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = dec.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let dark = buf[..info.buffer_size()]
        .chunks(3)
        .filter(|p| p.iter().all(|&c| c < 100))
        .count();
    (info.width, info.height, dark)
}

#[test]
fn edf_of_two_sweeps_has_paper_legend_and_one_curve_each() {
    let a = sweep("AnyNetX_A", 40, 4.0, true);
    let e = sweep("AnyNetX_E", 40, 0.0, false);
    let fig = EdfPlot::new().sweep("AnyNetX_A", &a).sweep("AnyNetX_E", &e);
    let edfs = fig.edfs().unwrap();
    assert_eq!(edfs[0].1.len(), 39, "the diverged run is excluded");
    let (texts, counts) = parse(&fig.svg().unwrap());
    for (name, edf) in &edfs {
        let s = edf.summary();
        let legend = format!("{name} [{:.1}|{:.1}]", s.min, s.mean);
        assert!(has_text(&texts, &legend), "legend {legend} in {texts:?}");
    }
    assert!(has_text(&texts, "error (%)"));
    assert!(has_text(&texts, "cumulative prob."));
    // one polyline per curve plus one per legend entry
    assert!(counts.get("polyline").copied().unwrap_or(0) >= 2);
    assert!(fig.summary().contains("1 diverged excluded"));
    assert!(fig.summary().contains("AnyNetX_E: ["));
    assert!(fig.summary().contains("], n = 40\n"));
}

#[test]
fn edf_summary_states_n_once_when_the_legend_counts() {
    let e = sweep("AnyNetX_E", 40, 0.0, false);
    let fig = EdfPlot::new().sweep(&plot::counted("AnyNetX_E", &e), &e);
    let s = fig.summary();
    assert!(s.contains("AnyNetX_E (n = 40): ["), "{s}");
    assert_eq!(s.matches("n = 40").count(), 1, "{s}");
}

#[test]
fn edf_free_function_and_fixed_x_range() {
    let a = vec![31.0, 33.5, 35.2, 40.1, 38.0];
    let fig = plot::edf(&[("A", &a)]).x_range(30.0, 45.0);
    let (texts, _) = parse(&fig.svg().unwrap());
    assert!(has_text(&texts, "A [31.0|35.6]"));
    assert!(has_text(&texts, "40"), "tick labels inside the fixed range");
}

#[test]
fn normalized_edf_uses_flops_and_needs_them() {
    let a = sweep("RegNetX", 30, 2.0, false);
    let b = sweep("AnyNetX_A", 30, 0.0, false);
    let fig = EdfPlot::new()
        .sweep("RegNetX", &a)
        .sweep("AnyNetX_A", &b)
        .normalized(4);
    let edfs = fig.edfs().unwrap();
    assert!(edfs.iter().all(|(_, e)| e.is_weighted()));
    let (texts, _) = parse(&fig.svg().unwrap());
    assert!(has_text(&texts, "complexity-normalised"));
    // an error column without flops cannot be normalised: an error, not a panic
    let bad = plot::edf(&[("x", &[1.0, 2.0])]).normalized(2);
    assert!(matches!(bad.svg(), Err(PlotError::InvalidArgument { .. })));
}

#[test]
fn error_vs_property_has_one_dot_per_model_and_the_good_range() {
    let r = sweep("AnyNetX_E", 48, 0.0, true);
    let fig = plot::error_vs(&r, Property::Depth);
    let n = r.errors().len();
    assert_eq!(fig.points().len(), n);
    let gr = fig.good_range().unwrap().unwrap();
    assert!(gr.low <= gr.median && gr.median <= gr.high);
    let svg = fig.svg().unwrap();
    let (texts, counts) = parse(&svg);
    // n dots + the legend's marker
    assert_eq!(counts["circle"], n + 1);
    assert!(has_text(&texts, "depth d"));
    assert!(has_text(&texts, "95% good range"));
    assert!(has_text(&texts, "most likely best"));
    assert!(has_text(&texts, &format!("(n = {n})")));
    // the band is a translucent rectangle
    assert!(svg.contains("opacity=\"0.18"), "band drawn");
    assert!(fig.summary().contains("bootstrap range"));
}

#[test]
fn error_vs_flops_is_in_mf_on_a_log_axis_and_skips_missing_values() {
    let r = sweep("AnyNetX_A", 30, 0.0, false);
    let fig = plot::error_vs(&r, Property::Flops).without_band();
    let (texts, counts) = parse(&fig.svg().unwrap());
    let max = r.flops().into_iter().fold(0.0, f64::max);
    let unit = if max >= 1e9 {
        "flops (GF)"
    } else {
        "flops (MF)"
    };
    assert!(has_text(&texts, unit), "{unit} in {texts:?}");
    assert_eq!(counts["circle"], 31);
    // wm does not exist for AnyNet models: nothing to draw is an error, not a panic
    let none = plot::error_vs(&r, Property::Wm);
    assert!(matches!(none.svg(), Err(PlotError::Empty { .. })));
    assert!(figure_blocks(&none).contains("figure could not be drawn"));
}

#[test]
fn block_widths_show_widths_and_fits_of_several_models() {
    let a = zoo::get("RegNetX-200MF").unwrap().spec();
    let b = zoo::get("RegNetX-400MF").unwrap().spec();
    let p = RegNetParams::x(13, 24, 36.44, 2.49, 8).unwrap();
    let fig = plot::block_widths(&[("RegNetX-200MF", &a), ("RegNetX-400MF", &b)])
        .regnet("generated", &p)
        .widths("AnyNet-like", &[16, 16, 64, 32, 128, 128]);
    let fits = fig.fits().unwrap();
    assert_eq!(fits.len(), 4);
    assert!(
        fits[0].1.e_fit < 1e-9,
        "a RegNet's widths are quantized-linear"
    );
    assert!(fits[3].1.e_fit > 0.0);
    let (texts, counts) = parse(&fig.svg().unwrap());
    for name in ["RegNetX-200MF", "RegNetX-400MF", "generated", "AnyNet-like"] {
        assert!(has_text(&texts, name), "{name}");
    }
    assert!(has_text(&texts, "e_fit"));
    assert!(has_text(&texts, "block index j"));
    let markers: usize =
        [&a, &b].iter().map(|s| s.depth()).sum::<usize>() + p.widths().quantized.len() + 6;
    assert_eq!(counts["circle"], markers);
}

#[test]
fn trend_across_regimes_fits_log_flops() {
    let sweeps = [
        sweep("RegNetX", 12, 3.0, false),
        sweep("RegNetY", 12, 1.0, false),
        sweep("RegNetX", 20, 0.0, false),
    ];
    let refs: Vec<&_> = sweeps.iter().collect();
    let fig = TrendPlot::best(Property::Depth, "RegNetX", &refs);
    let svg = fig.svg().unwrap();
    let (texts, counts) = parse(&svg);
    assert!(has_text(&texts, "best model's depth d"));
    assert!(has_text(&texts, "log10(flops)"));
    assert_eq!(counts["circle"], 3 + 1);
    let manual = TrendPlot::new("best wm").series(
        "RegNetX",
        &[(200e6, 2.4), (800e6, 2.5), (3.2e9, 2.6), (12.8e9, 2.7)],
    );
    let f = &manual.fits().unwrap()[0].1;
    assert!((f.r_squared - 1.0).abs() < 1e-9);
    let (texts, _) = parse(&manual.svg().unwrap());
    assert!(
        has_text(&texts, "flops (GF)"),
        "GF above a gigaflop: {texts:?}"
    );
}

/// The paper's trends: per regime, the bootstrap good range among the best models, a bar over
/// the range and the point at its median.
#[test]
fn trend_of_good_ranges_draws_a_bar_per_regime() {
    use regnet_lab::stats::{GoodRangeOptions, good_range};
    let sweeps = [
        sweep("RegNetX", 24, 3.0, false),
        sweep("RegNetY", 24, 1.0, false),
        sweep("RegNetX", 30, 0.0, true),
    ];
    let refs: Vec<&_> = sweeps.iter().collect();
    let opts = GoodRangeOptions::default();
    let fig = TrendPlot::good_ranges(Property::Depth, "RegNetX", &refs, &opts);
    assert_eq!(fig.regimes(), 3);
    let svg = fig.svg().unwrap();
    let (texts, counts) = parse(&svg);
    assert!(
        has_text(&texts, "depth d of the good models (95 % range)"),
        "{texts:?}"
    );
    let g = good_range(
        &sweeps[0].errors(),
        &sweeps[0].column(Property::Depth),
        &opts,
    )
    .unwrap();
    assert!(g.low <= g.median && g.median <= g.high);
    assert_eq!(fig.fits().unwrap().len(), 1);
    // One vertical bar (a two-point polyline, 3 px wide) per regime.
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let bars = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("3"))
        .filter(|n| {
            let pts: Vec<&str> = n
                .attribute("points")
                .unwrap_or("")
                .split_whitespace()
                .collect();
            pts.len() == 2 && pts[0].split(',').next() == pts[1].split(',').next()
        })
        .count();
    assert_eq!(bars, 3, "one bar per regime");
    assert_eq!(counts["circle"], 3 + 1, "3 points and a legend marker");
    // A property the models lack gives no point rather than an error.
    let none = TrendPlot::good_ranges(Property::StageWidth(9), "RegNetX", &refs, &opts);
    assert_eq!(none.regimes(), 0);
}

#[test]
fn training_curves_plot_each_epoch() {
    let r = sweep("RegNetX", 3, 0.0, false);
    let recs: Vec<&_> = r.records.iter().collect();
    let fig = plot::training_curves(&recs);
    let (texts, counts) = parse(&fig.svg().unwrap());
    assert!(has_text(&texts, "model 0 test"));
    assert!(has_text(&texts, "model 2 train"));
    assert!(has_text(&texts, "top-1 error (%)"));
    // 3 runs x 2 curves x 5 epochs
    assert_eq!(counts["circle"], 30);
    let loss = CurvesPlot::new()
        .epochs("short", &epochs(40.0, 4))
        .metric(Metric::Loss);
    let (texts, counts) = parse(&loss.svg().unwrap());
    assert!(has_text(&texts, "training loss"));
    assert_eq!(counts["circle"], 4);
    assert!(CurvesPlot::new().epochs("none", &[]).svg().is_err());
}

#[test]
fn search_efficiency_decreases_with_k() {
    let a = sweep("AnyNetX_A", 50, 4.0, false);
    let fig = SearchPlot::new()
        .sweep("AnyNetX_A", &a)
        .errors("B", &[30.0, 31.0, 29.0]);
    let curves = fig.curves().unwrap();
    let e = &curves[0].1.expected_min;
    assert!(e.windows(2).all(|w| w[1] <= w[0] + 1e-12));
    assert_eq!(*curves[0].1.k.last().unwrap(), 50);
    let (texts, _) = parse(&fig.svg().unwrap());
    assert!(has_text(&texts, "models tried k"));
    assert!(has_text(&texts, "AnyNetX_A (n = 50)"));
    assert!(has_text(&texts, "B (n = 3)"));
}

#[test]
fn row_puts_panels_side_by_side() {
    let a = sweep("AnyNetX_E", 30, 0.0, false);
    let row = Row::new()
        .with(EdfPlot::new().sweep("AnyNetX_E", &a))
        .with(plot::error_vs(&a, Property::Depth))
        .with(plot::error_vs(&a, Property::StageWidth(3)))
        .title("synthetic data");
    // Three 640-px panels share the widest a notebook cell shows.
    assert_eq!(row.size(), (plot::MAX_ROW_WIDTH, 440));
    const { assert!(plot::MAX_ROW_WIDTH <= 1100) };
    let (texts, _) = parse(&row.svg().unwrap());
    assert!(has_text(&texts, "synthetic data"));
    assert!(has_text(&texts, "stage 3 width w3"));
    let sized = Row::new()
        .with(plot::edf(&[("a", &[1.0, 2.0])]))
        .with_size(900, 300);
    assert_eq!(sized.size(), (900, 300));
    assert!(matches!(Row::new().svg(), Err(PlotError::Empty { .. })));
}

#[test]
fn png_decodes_to_the_requested_size_with_text() {
    let a = sweep("AnyNetX_A", 20, 0.0, false);
    let figs: Vec<(Box<dyn Figure>, (u32, u32))> = vec![
        (
            Box::new(EdfPlot::new().sweep("A", &a).with_size(500, 350)),
            (500, 350),
        ),
        (Box::new(plot::error_vs(&a, Property::Depth)), (640, 440)),
        (
            Box::new(
                WidthsPlot::new()
                    .widths("w", &[8, 16, 16, 32])
                    .with_size(300, 200),
            ),
            (300, 200),
        ),
    ];
    for (fig, size) in figs {
        let bytes = plot::png_of(fig.as_ref()).unwrap();
        let (w, h, dark) = decode_png(&bytes);
        assert_eq!((w, h), size);
        assert!(dark > 200, "axes and text drawn ({dark} dark pixels)");
    }
}

#[test]
fn save_picks_the_format_by_extension() {
    let dir = std::env::temp_dir().join(format!("regnet-plot-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fig = ErrorVsPlot::new("depth d", &[1.0, 2.0, 3.0, 4.0], &[4.0, 3.0, 2.0, 1.0]);
    fig.save(dir.join("x.svg")).unwrap();
    fig.save(dir.join("x.PNG")).unwrap();
    let svg = std::fs::read_to_string(dir.join("x.svg")).unwrap();
    assert!(svg.starts_with("<svg"));
    let (w, h, _) = decode_png(&std::fs::read(dir.join("x.PNG")).unwrap());
    assert_eq!((w, h), (640, 440));
    assert!(matches!(
        fig.save(dir.join("x.jpg")),
        Err(PlotError::UnknownFormat { .. })
    ));
    assert!(matches!(
        fig.save(dir.join("no/such/dir/x.svg")),
        Err(PlotError::Io { .. })
    ));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let nan = [f64::NAN, f64::NAN];
    assert!(matches!(
        plot::edf(&[("nan", &nan)]).svg(),
        Err(PlotError::Stats { .. })
    ));
    assert!(matches!(EdfPlot::new().svg(), Err(PlotError::Empty { .. })));
    let tiny = plot::edf(&[("a", &[1.0])]).with_size(10, 10);
    assert!(matches!(tiny.png(), Err(PlotError::InvalidArgument { .. })));
    let mismatched = ErrorVsPlot::new("d", &[1.0, 2.0], &[1.0]);
    assert!(mismatched.svg().is_err());
    assert!(WidthsPlot::new().widths("zero", &[]).svg().is_err());
    // One regime: no trend to fit (an error from `fits`), but its point still draws.
    let one = TrendPlot::new("y").series("one", &[(1e6, 1.0)]);
    assert!(one.fits().is_err());
    assert!(one.svg().is_ok());
    assert!(TrendPlot::new("y").series("none", &[]).svg().is_err());
    // a single model still draws (constant axes get a margin)
    assert!(plot::edf(&[("one", &[42.0])]).svg().is_ok());
    let blocks = figure_blocks(&EdfPlot::new());
    assert!(blocks.starts_with("EVCXR_BEGIN_CONTENT text/plain\n"));
    assert!(blocks.contains("nothing to plot"));
}

#[test]
fn figure_blocks_carry_svg_and_summary() {
    let fig = plot::edf(&[("A", &[30.0, 32.0, 35.0])]);
    let b = figure_blocks(&fig);
    assert!(b.starts_with("EVCXR_BEGIN_CONTENT image/svg+xml\n<svg"));
    assert!(b.contains("EVCXR_END_CONTENT\nEVCXR_BEGIN_CONTENT text/plain\nerror EDF"));
    assert!(b.trim_end().ends_with("EVCXR_END_CONTENT"));
}

#[test]
fn chart_note_is_drawn_in_a_corner_apart_from_the_legend() {
    use regnet_lab::plot::{Axis, Chart, Layer, LegendPosition};
    let curve: Vec<(f64, f64)> = (0..20)
        .map(|i| (i as f64, (i as f64 / 19.0).powi(2)))
        .collect();
    for corner in [LegendPosition::Auto, LegendPosition::UpperLeft] {
        let c = Chart::new(Axis::new("x"), Axis::new("y"))
            .layer(Layer::Line {
                points: curve.clone(),
                color: plot::color(0),
                width: 2,
                dashed: false,
                label: Some("curve".into()),
            })
            .layer(Layer::Note {
                lines: vec!["first line".into(), "second & <line>".into()],
                corner,
                color: plot::color(7),
            });
        let (texts, counts) = parse(&c.svg().unwrap());
        assert!(has_text(&texts, "first line") && has_text(&texts, "second & <line>"));
        assert!(has_text(&texts, "curve"));
        // legend box and note box
        assert!(counts.get("rect").copied().unwrap_or(0) >= 3, "{counts:?}");
        assert!(c.png().is_ok());
    }
}
