//! Inline display of data: specs, RegNet parameters, design spaces (refinement chains), runs,
//! sweeps and statistics render as well-formed compact HTML tables with a readable text twin.

use crate::plot_fixtures::sweep;
use regnet_lab::display::{SWEEP_ROWS, Table, Tabular, blocks, escape, tables_blocks};
use regnet_lab::space::{DesignSpace, RegNetParams, zoo};
use regnet_lab::stats::{
    Draws, Edf, GoodRangeOptions, XScale, fit_quantized_linear, good_range, ks_2samp, linear_fit,
    random_search_efficiency, spearman,
};

/// Parse the HTML (wrapped in one root) as XML and return the cell texts.
fn cells(html: &str) -> Vec<String> {
    let wrapped = format!("<div>{html}</div>");
    let doc = roxmltree::Document::parse(&wrapped).expect("well-formed HTML");
    doc.descendants()
        .filter(|n| n.is_element() && matches!(n.tag_name().name(), "td" | "th" | "caption"))
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

fn check<T: Tabular>(x: &T, html_has: &[&str], text_has: &[&str]) {
    let html = x.to_html();
    let c = cells(&html);
    for want in html_has {
        assert!(c.iter().any(|t| t.contains(want)), "{want} in {c:?}");
    }
    let text = x.to_text();
    for want in text_has {
        assert!(text.contains(want), "{want} in\n{text}");
    }
}

#[test]
fn spec_table_has_one_row_per_stage() {
    let spec = zoo::get("RegNetX-200MF").unwrap().spec();
    let t = &spec.tables()[0];
    assert_eq!(t.rows.len(), spec.stages().len());
    check(
        &spec,
        &["368", "stage", "group width g"],
        &["depth 13", "368"],
    );
}

#[test]
fn regnet_params_show_generated_stages() {
    let p = RegNetParams::x(13, 24, 36.44, 2.49, 8).unwrap();
    check(&p, &["width multiplier wm", "2.490"], &["stage widths"]);
}

#[test]
fn design_space_shows_its_refinement_chain() {
    let space = DesignSpace::named("AnyNetX_E").unwrap();
    let tables = space.tables();
    let chain = &tables[1];
    assert_eq!(chain.rows.len(), 1 + space.refinements().len());
    check(
        &space,
        &[
            "design space AnyNetX_E",
            "shared bottleneck ratio",
            "depths non-decreasing",
        ],
        &["refinement chain", "widths non-decreasing"],
    );
    let custom = space.constrain("at most 12 blocks", |s| s.depth() <= 12);
    check(&custom, &["at most 12 blocks"], &["unknown"]);
}

#[test]
fn run_record_shows_summary_and_epochs() {
    let r = sweep("RegNetX", 2, 0.0, false);
    let run = &r.records[1];
    let tables = run.tables();
    assert_eq!(tables[1].rows.len(), run.epochs.len());
    let err = format!("{:.2}", run.best_error.unwrap());
    check(
        run,
        &[&err, "train loss", "regnet"],
        &["error (best, %)", &err],
    );
}

#[test]
fn sweep_shows_summary_and_first_rows() {
    let r = sweep("AnyNetX_A", 25, 0.0, true);
    let tables = r.tables();
    assert_eq!(tables[1].rows.len(), SWEEP_ROWS);
    assert_eq!(
        tables[1].notes,
        vec![format!("… {} more runs", 25 - SWEEP_ROWS)]
    );
    check(
        &r,
        &["diverged / no error", "24"],
        &["valid", "… 15 more runs"],
    );
    let small = sweep("RegNetX", 3, 0.0, true);
    check(&small, &["diverged", "wm"], &["first 3 runs"]);
}

#[test]
fn stats_results_render() {
    let a = [31.0, 33.0, 35.0, 40.0, 38.0, f64::NAN];
    let b = [30.0, 31.0, 32.0, 34.0, 36.0];
    let edf = Edf::new(&a).unwrap();
    check(&edf, &["EDF [31.0|35.4]", "1"], &["min error"]);
    check(&edf.summary(), &["35.400"], &["mean error"]);
    let gr = good_range(&b, &[1.0, 2.0, 3.0, 4.0, 5.0], &GoodRangeOptions::default()).unwrap();
    check(&gr, &["95% bootstrap"], &["median (most likely best)"]);
    check(
        &ks_2samp(&a, &b).unwrap(),
        &["D = sup |F1 − F2|"],
        &["p-value"],
    );
    let fit = fit_quantized_linear(&zoo::get("RegNetX-200MF").unwrap().spec().block_widths());
    check(&fit.unwrap(), &["e_fit", "0.0000"], &["predicted widths"]);
    check(
        &linear_fit(&[2e8, 2e9], &[20.0, 22.0], XScale::Log10).unwrap(),
        &["log10(x)", "2.0000"],
        &["R²"],
    );
    let se = random_search_efficiency(&b, &[1, 2, 5], Draws::WithoutReplacement).unwrap();
    assert_eq!(se.tables()[0].rows.len(), 3);
    check(&se, &["30.000"], &["expected best error"]);
    check(
        &spearman(&a[..5], &b).unwrap(),
        &["coefficient"],
        &["rank correlation"],
    );
}

#[test]
fn html_is_escaped_and_text_aligned() {
    let t = Table::new(&["name", "v"])
        .caption("<b>&</b>")
        .row(["a<b", "1"])
        .row(["long name", "22"]);
    let html = t.to_html();
    assert!(html.contains("&lt;b&gt;&amp;&lt;/b&gt;"));
    assert!(html.contains("<td>a&lt;b</td>"));
    cells(&html);
    let text = t.to_text();
    assert_eq!(text.lines().nth(1), Some("name       v"));
    assert_eq!(text.lines().nth(3), Some("long name  22"));
    assert_eq!(escape("\"'"), "&quot;&#39;");
}

#[test]
fn blocks_follow_the_evcxr_protocol() {
    let spec = zoo::get("RegNetX-400MF").unwrap().spec();
    let out = blocks(&[
        ("text/html", &spec.to_html()),
        ("text/plain", &spec.to_text()),
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "EVCXR_BEGIN_CONTENT text/html");
    assert_eq!(out.matches("EVCXR_BEGIN_CONTENT").count(), 2);
    assert_eq!(out.matches("EVCXR_END_CONTENT\n").count(), 2);
    assert_eq!(*lines.last().unwrap(), "EVCXR_END_CONTENT");
    let shown = tables_blocks(&DesignSpace::named("RegNetY").unwrap().tables());
    assert!(shown.starts_with("EVCXR_BEGIN_CONTENT text/html\n<table"));
    assert!(shown.contains("EVCXR_BEGIN_CONTENT text/plain\ndesign space RegNetY"));
}
